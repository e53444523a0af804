//! Statistics (统计): the period and filters a dashboard is asked for, and the in-memory
//! roll-up index that answers it ([`index`]).

pub mod index;
pub mod projects;

use chrono::{Datelike, NaiveDate};

use crate::tags::{category_by_code_or_label, SERVICE_CATEGORIES};

/// A month as `yyyymm` (202305).
pub type Month = u32;

/// The month of a date.
pub fn month_of(d: NaiveDate) -> Month {
    d.year() as u32 * 100 + d.month()
}

/// The month of a `YYYY-MM-DD` text (the first seven characters), if it reads.
pub fn month_of_text(s: &str) -> Option<Month> {
    let y: u32 = s.get(0..4)?.parse().ok()?;
    let m: u32 = s.get(5..7)?.parse().ok()?;
    (1..=12).contains(&m).then_some(y * 100 + m)
}

/// The month after `m`.
pub fn next_month(m: Month) -> Month {
    if m % 100 == 12 {
        (m / 100 + 1) * 100 + 1
    } else {
        m + 1
    }
}

/// The first day of a month.
pub fn first_day(m: Month) -> NaiveDate {
    NaiveDate::from_ymd_opt((m / 100) as i32, m % 100, 1).expect("a month reads")
}

/// The last day of a month.
pub fn last_day(m: Month) -> NaiveDate {
    first_day(next_month(m)).pred_opt().expect("a day before")
}

/// `2023年5月`.
pub fn month_label(m: Month) -> String {
    format!("{}年{}月", m / 100, m % 100)
}

/// A category filter: one service category, or those records that name none.
/// Code 0 is "uncategorized", 1..=N the categories of [`SERVICE_CATEGORIES`] in order.
pub type CategoryCode = u8;

/// Every category code including 0 (uncategorized).
pub fn category_codes() -> impl Iterator<Item = CategoryCode> {
    0..=(SERVICE_CATEGORIES.len() as u8)
}

/// The compact code of a stored category text ('' → 0); an unknown text is uncategorized.
pub fn category_code(stored: &str) -> CategoryCode {
    SERVICE_CATEGORIES
        .iter()
        .position(|c| c.code == stored)
        .map(|i| i as u8 + 1)
        .unwrap_or(0)
}

/// The stored text of a compact code (0 → '').
pub fn category_text(code: CategoryCode) -> &'static str {
    match code {
        0 => "",
        n => SERVICE_CATEGORIES
            .get(n as usize - 1)
            .map(|c| c.code)
            .unwrap_or(""),
    }
}

/// Chinese label of a compact code.
pub fn category_label(code: CategoryCode) -> &'static str {
    match code {
        0 => "未分类",
        n => SERVICE_CATEGORIES
            .get(n as usize - 1)
            .map(|c| c.label)
            .unwrap_or("未分类"),
    }
}

/// Reads a category filter: empty means every category; `none` the uncategorized records; else a
/// category code or its Chinese label.
pub fn parse_category_filter(s: &str) -> Result<Option<CategoryCode>, StatsInputError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s == "none" || s == "未分类" {
        return Ok(Some(0));
    }
    category_by_code_or_label(s)
        .map(|c| Some(category_code(c.code)))
        .ok_or_else(|| StatsInputError::Category(s.to_owned()))
}

/// What can be wrong with a dashboard request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatsInputError {
    #[error("日期格式不正确：{0}（应为 YYYY-MM-DD）")]
    Date(String),
    #[error("月份格式不正确：{0}（应为 YYYY-MM）")]
    Month(String),
    #[error("季度格式不正确：{0}（应为 YYYY-Q1 至 YYYY-Q4）")]
    Quarter(String),
    #[error("年份格式不正确：{0}")]
    Year(String),
    #[error("结束日期早于开始日期")]
    Backwards,
    #[error("统计区间不能超过 10 年")]
    TooLong,
    #[error("未知的服务类别：{0}")]
    Category(String),
}

impl StatsInputError {
    /// Stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Category(_) => "category_invalid",
            _ => "period_invalid",
        }
    }
}

/// An inclusive range of days the figures cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// How a period was asked for (all optional; the first given wins, in this order).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct PeriodInput {
    /// `YYYY-MM`
    pub month: Option<String>,
    /// `YYYY-Q1`..`YYYY-Q4`
    pub quarter: Option<String>,
    /// `YYYY`
    pub year: Option<String>,
    /// `YYYY-MM-DD`, with `to`
    pub from: Option<String>,
    pub to: Option<String>,
}

fn blank(o: &Option<String>) -> Option<&str> {
    o.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parse_year(s: &str) -> Option<i32> {
    let y: i32 = s.parse().ok()?;
    (1949..=2200).contains(&y).then_some(y)
}

fn parse_day(s: &str) -> Result<NaiveDate, StatsInputError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (1949..=2200).contains(&d.year()))
        .ok_or_else(|| StatsInputError::Date(s.to_owned()))
}

impl Period {
    /// The period asked for; with nothing given, the calendar year of `today`.
    pub fn parse(p: &PeriodInput, today: NaiveDate) -> Result<Period, StatsInputError> {
        if let Some(m) = blank(&p.month) {
            let bad = || StatsInputError::Month(m.to_owned());
            let (y, mm) = m.split_once('-').ok_or_else(bad)?;
            let y = parse_year(y).ok_or_else(bad)?;
            let mm: u32 = mm.parse().map_err(|_| bad())?;
            if !(1..=12).contains(&mm) {
                return Err(bad());
            }
            let month = y as u32 * 100 + mm;
            return Ok(Period {
                from: first_day(month),
                to: last_day(month),
            });
        }
        if let Some(q) = blank(&p.quarter) {
            let bad = || StatsInputError::Quarter(q.to_owned());
            let (y, n) = q.split_once(['-', ' ']).ok_or_else(bad)?;
            let y = parse_year(y).ok_or_else(bad)?;
            let n: u32 = n.trim_start_matches(['Q', 'q']).parse().map_err(|_| bad())?;
            if !(1..=4).contains(&n) {
                return Err(bad());
            }
            let first = y as u32 * 100 + (n - 1) * 3 + 1;
            return Ok(Period {
                from: first_day(first),
                to: last_day(first + 2),
            });
        }
        if let Some(y) = blank(&p.year) {
            let yy = parse_year(y).ok_or_else(|| StatsInputError::Year(y.to_owned()))?;
            return Ok(Period::year(yy));
        }
        match (blank(&p.from), blank(&p.to)) {
            (None, None) => Ok(Period::year(today.year())),
            (from, to) => {
                let from = match from {
                    Some(f) => parse_day(f)?,
                    None => NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("1 January"),
                };
                let to = match to {
                    Some(t) => parse_day(t)?,
                    None => today,
                };
                Period::new(from, to)
            }
        }
    }

    /// A checked range: not backwards, at most ten years.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, StatsInputError> {
        if to < from {
            return Err(StatsInputError::Backwards);
        }
        if (to - from).num_days() > 3660 {
            return Err(StatsInputError::TooLong);
        }
        Ok(Period { from, to })
    }

    /// A calendar year.
    pub fn year(y: i32) -> Period {
        Period {
            from: NaiveDate::from_ymd_opt(y, 1, 1).expect("1 January"),
            to: NaiveDate::from_ymd_opt(y, 12, 31).expect("31 December"),
        }
    }

    /// Every month the period touches, in order.
    pub fn months(&self) -> Vec<Month> {
        let mut out = Vec::new();
        let mut m = month_of(self.from);
        let last = month_of(self.to);
        while m <= last {
            out.push(m);
            m = next_month(m);
        }
        out
    }

    /// Whether the period covers all of month `m`.
    pub fn covers_month(&self, m: Month) -> bool {
        self.from <= first_day(m) && last_day(m) <= self.to
    }

    /// The part of month `m` inside the period, if it is not the whole month.
    pub fn partial(&self, m: Month) -> Option<(NaiveDate, NaiveDate)> {
        if self.covers_month(m) {
            return None;
        }
        Some((self.from.max(first_day(m)), self.to.min(last_day(m))))
    }

    /// The months the period covers only in part, each with its first and last day in the
    /// period (at most two: the first month and the last).
    pub fn partial_months(&self) -> Vec<(Month, NaiveDate, NaiveDate)> {
        self.months()
            .into_iter()
            .filter_map(|m| self.partial(m).map(|(a, b)| (m, a, b)))
            .collect()
    }

    /// `2023年1月1日 至 2023年12月31日`, or `2023年` / `2023年5月` / `2023年第二季度` when it is one.
    pub fn label(&self) -> String {
        let months = self.months();
        let whole = months.iter().all(|&m| self.covers_month(m));
        let (f, t) = (self.from, self.to);
        if whole && months.len() == 12 && f.month() == 1 {
            return format!("{}年", f.year());
        }
        if whole && months.len() == 1 {
            return month_label(months[0]);
        }
        if whole && months.len() == 3 && (f.month() - 1) % 3 == 0 {
            let q = ["一", "二", "三", "四"][((f.month() - 1) / 3) as usize];
            return format!("{}年第{q}季度", f.year());
        }
        format!(
            "{}年{}月{}日 至 {}年{}月{}日",
            f.year(),
            f.month(),
            f.day(),
            t.year(),
            t.month(),
            t.day()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input(month: &str, quarter: &str, year: &str, from: &str, to: &str) -> PeriodInput {
        let o = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        PeriodInput {
            month: o(month),
            quarter: o(quarter),
            year: o(year),
            from: o(from),
            to: o(to),
        }
    }

    #[test]
    fn periods_read_as_offices_ask_for_them() {
        let today = d("2026-12-07");
        let p = Period::parse(&input("2023-02", "", "", "", ""), today).unwrap();
        assert_eq!((p.from, p.to), (d("2023-02-01"), d("2023-02-28")));
        assert_eq!(p.label(), "2023年2月");
        let p = Period::parse(&input("", "2024-Q2", "", "", ""), today).unwrap();
        assert_eq!((p.from, p.to), (d("2024-04-01"), d("2024-06-30")));
        assert_eq!(p.label(), "2024年第二季度");
        let p = Period::parse(&input("", "", "2025", "", ""), today).unwrap();
        assert_eq!(p.label(), "2025年");
        assert_eq!(p.months().len(), 12);
        let p = Period::parse(&input("", "", "", "", ""), today).unwrap();
        assert_eq!(p, Period::year(2026));
        let p = Period::parse(&input("", "", "", "2023-03-15", "2023-05-02"), today).unwrap();
        assert_eq!(p.months(), vec![202303, 202304, 202305]);
        assert_eq!(p.partial(202303), Some((d("2023-03-15"), d("2023-03-31"))));
        assert_eq!(p.partial(202304), None);
        assert_eq!(p.partial(202305), Some((d("2023-05-01"), d("2023-05-02"))));
        assert_eq!(p.label(), "2023年3月15日 至 2023年5月2日");
    }

    #[test]
    fn bad_periods_are_refused_with_the_reason() {
        let today = d("2026-12-07");
        let e = |i| Period::parse(&i, today).unwrap_err();
        assert_eq!(
            e(input("", "", "", "2023-05-02", "2023-03-15")),
            StatsInputError::Backwards
        );
        assert!(matches!(
            e(input("2023-13", "", "", "", "")),
            StatsInputError::Month(_)
        ));
        assert!(matches!(
            e(input("", "2023-Q5", "", "", "")),
            StatsInputError::Quarter(_)
        ));
        assert!(matches!(
            e(input("", "", "二〇二三", "", "")),
            StatsInputError::Year(_)
        ));
        assert!(matches!(
            e(input("", "", "", "2023-02-30", "")),
            StatsInputError::Date(_)
        ));
        assert_eq!(
            e(input("", "", "", "2000-01-01", "2020-01-01")),
            StatsInputError::TooLong
        );
        assert_eq!(
            e(input("", "", "", "2023-05-02", "2023-03-15")).code(),
            "period_invalid"
        );
    }

    #[test]
    fn categories_have_compact_codes_both_ways() {
        for c in category_codes() {
            assert_eq!(category_code(category_text(c)), c);
        }
        assert_eq!(parse_category_filter("").unwrap(), None);
        assert_eq!(parse_category_filter("none").unwrap(), Some(0));
        assert_eq!(
            parse_category_filter("敬老助残").unwrap(),
            parse_category_filter("elderly_disabled").unwrap()
        );
        assert_eq!(
            parse_category_filter("跳舞").unwrap_err().code(),
            "category_invalid"
        );
        assert_eq!(month_of_text("2023-05-01"), Some(202305));
        assert_eq!(next_month(202312), 202401);
        assert_eq!(last_day(202402), d("2024-02-29"));
    }
}
