//! Event tallies (活动统计): an office's event (e.g. 2023 年春运公共文明引导) with its period, its
//! posts (点位, each under a region) and its metrics (指标, each with a unit); post leaders enter a
//! daily tally per post (日报数): every metric's count, the guides on duty and their hours.
//! Pure checks here; the totals are sums of the current daily entries.

use chrono::NaiveDate;

/// At most this many posts and metrics an event.
pub const MAX_POSTS: usize = 200;
pub const MAX_METRICS: usize = 30;
/// A day's count of one metric at one post, and guides on duty, are at most this.
pub const MAX_COUNT: i64 = 1_000_000;
pub const MAX_GUIDES: i64 = 10_000;

/// What can be wrong with an event or a tally; each names its field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("请填写活动名称（不超过 60 个字）")]
    Name,
    #[error("日期格式不正确（应为 YYYY-MM-DD）")]
    Date,
    #[error("结束日期早于开始日期")]
    Backwards,
    #[error("活动期限不能超过 366 天")]
    TooLong,
    #[error("请至少设置一个点位，最多 200 个；每个点位填写名称（不超过 40 个字），名称不重复")]
    Posts,
    #[error(
        "请至少设置一项指标，最多 30 项；每项填写名称（不超过 30 个字）和单位（如 人次、件），名称不重复"
    )]
    Metrics,
    #[error("日期不在活动期间（{0} 至 {1}）")]
    DayOutside(String, String),
    #[error("该点位不属于本活动")]
    PostNotInEvent,
    #[error("指标“{0}”不属于本活动")]
    MetricNotInEvent(String),
    #[error("数量须为 0 到 1000000 之间的整数")]
    Count,
    #[error("在岗人数须为 0 到 10000 之间的整数")]
    Guides,
    #[error("服务时长须为 0 到在岗人数×24 小时之间")]
    GuideHours,
}

impl EventError {
    /// The form field (and API field) the problem belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Date | Self::Backwards | Self::TooLong => "period",
            Self::Posts => "posts",
            Self::Metrics => "metrics",
            Self::DayOutside(..) => "day",
            Self::PostNotInEvent => "post_id",
            Self::MetricNotInEvent(_) | Self::Count => "values",
            Self::Guides => "guides",
            Self::GuideHours => "guide_minutes",
        }
    }

    /// Stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Name => "name_invalid",
            Self::Date | Self::Backwards | Self::TooLong => "period_invalid",
            Self::Posts => "posts_invalid",
            Self::Metrics => "metrics_invalid",
            Self::DayOutside(..) => "day_outside_event",
            Self::PostNotInEvent => "post_not_in_event",
            Self::MetricNotInEvent(_) => "metric_not_in_event",
            Self::Count => "count_invalid",
            Self::Guides => "guides_invalid",
            Self::GuideHours => "guide_hours_invalid",
        }
    }
}

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A checked event name.
pub fn event_name(s: &str) -> Result<String, EventError> {
    let s = clean(s);
    if s.is_empty() || s.chars().count() > 60 {
        return Err(EventError::Name);
    }
    Ok(s)
}

/// A checked period (inclusive days).
pub fn event_period(from: &str, to: &str) -> Result<(NaiveDate, NaiveDate), EventError> {
    let day = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| EventError::Date);
    let (a, b) = (day(from)?, day(to)?);
    if b < a {
        return Err(EventError::Backwards);
    }
    if (b - a).num_days() >= 366 {
        return Err(EventError::TooLong);
    }
    Ok((a, b))
}

/// Checked post names: 1..=200, each 1..=40 characters, no two alike.
pub fn post_names(names: &[String]) -> Result<Vec<String>, EventError> {
    let names: Vec<String> = names.iter().map(|n| clean(n)).filter(|n| !n.is_empty()).collect();
    let unique: std::collections::HashSet<&String> = names.iter().collect();
    if names.is_empty()
        || names.len() > MAX_POSTS
        || unique.len() != names.len()
        || names.iter().any(|n| n.chars().count() > 40)
    {
        return Err(EventError::Posts);
    }
    Ok(names)
}

/// Checked metrics as (name, unit): 1..=30, names 1..=30 characters and unique, units 1..=8.
pub fn metrics(items: &[(String, String)]) -> Result<Vec<(String, String)>, EventError> {
    let items: Vec<(String, String)> = items
        .iter()
        .map(|(n, u)| (clean(n), clean(u)))
        .filter(|(n, u)| !n.is_empty() || !u.is_empty())
        .collect();
    let unique: std::collections::HashSet<&String> = items.iter().map(|(n, _)| n).collect();
    if items.is_empty()
        || items.len() > MAX_METRICS
        || unique.len() != items.len()
        || items
            .iter()
            .any(|(n, u)| n.is_empty() || u.is_empty() || n.chars().count() > 30 || u.chars().count() > 8)
    {
        return Err(EventError::Metrics);
    }
    Ok(items)
}

/// A day's tally, checked against its event: the day inside the period, non-negative counts
/// within bounds, guides and their minutes plausible.
pub fn check_tally(
    period: (NaiveDate, NaiveDate),
    day: NaiveDate,
    counts: &[i64],
    guides: i64,
    guide_minutes: i64,
) -> Result<(), Vec<EventError>> {
    let mut errs = Vec::new();
    if day < period.0 || day > period.1 {
        errs.push(EventError::DayOutside(period.0.to_string(), period.1.to_string()));
    }
    if counts.iter().any(|&c| !(0..=MAX_COUNT).contains(&c)) {
        errs.push(EventError::Count);
    }
    if !(0..=MAX_GUIDES).contains(&guides) {
        errs.push(EventError::Guides);
    } else if !(0..=guides * 24 * 60).contains(&guide_minutes) {
        errs.push(EventError::GuideHours);
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_event_is_checked_as_offices_write_it() {
        assert_eq!(
            event_name("  2023 年春运  公共文明引导 ").unwrap(),
            "2023 年春运 公共文明引导"
        );
        assert_eq!(event_name(" "), Err(EventError::Name));
        assert_eq!(
            event_period("2023-01-07", "2023-02-15").unwrap(),
            (d("2023-01-07"), d("2023-02-15"))
        );
        assert_eq!(
            event_period("2023-02-15", "2023-01-07"),
            Err(EventError::Backwards)
        );
        assert_eq!(event_period("2023-02-30", "2023-03-01"), Err(EventError::Date));
        assert!(event_period("2023-01-01", "2023-12-31").is_ok());
        assert_eq!(event_period("2023-01-01", "2024-01-02"), Err(EventError::TooLong));
        assert_eq!(
            post_names(&["北京站".into(), " ".into(), "北京西站".into()])
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            post_names(&["北京站".into(), "北京站".into()]),
            Err(EventError::Posts)
        );
        assert_eq!(post_names(&[]), Err(EventError::Posts));
        let m = |n: &str, u: &str| (n.to_owned(), u.to_owned());
        assert_eq!(
            metrics(&[m("捡拾物品", "件"), m("", "")]).unwrap(),
            vec![m("捡拾物品", "件")]
        );
        assert_eq!(metrics(&[m("捡拾物品", "")]), Err(EventError::Metrics));
        assert_eq!(
            metrics(&[m("咨询指路", "次"), m("咨询指路", "人次")]),
            Err(EventError::Metrics)
        );
    }

    #[test]
    fn a_tally_is_checked_against_its_event() {
        let p = (d("2023-01-07"), d("2023-02-15"));
        assert!(check_tally(p, d("2023-01-07"), &[0, 5], 3, 8 * 60).is_ok());
        let e = check_tally(p, d("2023-02-16"), &[-1], 2, 49 * 60).unwrap_err();
        assert_eq!(
            e,
            vec![
                EventError::DayOutside("2023-01-07".into(), "2023-02-15".into()),
                EventError::Count,
                EventError::GuideHours
            ]
        );
        assert_eq!(e[0].to_string(), "日期不在活动期间（2023-01-07 至 2023-02-15）");
        assert_eq!(e[0].code(), "day_outside_event");
        assert_eq!(
            check_tally(p, d("2023-01-08"), &[1_000_001], -1, 0).unwrap_err()[1],
            EventError::Guides
        );
    }
}
