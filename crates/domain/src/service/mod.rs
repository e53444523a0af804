//! Service minutes: rounding into credited minutes, limits of one record, star levels, the
//! 10-working-day entry deadline and how hours are shown.

pub mod chain;
pub mod checkin;
pub mod project;
pub mod scan;

use chrono::{Datelike, NaiveDate, Weekday};

use crate::error::DomainError;

/// Where a service record stands. Only confirmed minutes count towards hours and star levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    Pending,
    Confirmed,
    Rejected,
}

string_enum!(RecordStatus {
    Pending => "pending",
    Confirmed => "confirmed",
    Rejected => "rejected",
});

impl RecordStatus {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Pending => "待确认",
            Self::Confirmed => "已确认",
            Self::Rejected => "未通过",
        }
    }
}

/// How a service record came about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordSource {
    /// QR check-in and check-out (签到签退).
    Checkin,
    /// Entered by a team for several volunteers (团体录入), or by a completed order.
    Team,
    /// Declared by the volunteer and confirmed by the team (个人申报).
    Declared,
}

string_enum!(RecordSource {
    Checkin => "checkin",
    Team => "team",
    Declared => "declared",
});

impl RecordSource {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Checkin => "签到签退",
            Self::Team => "团体录入",
            Self::Declared => "个人申报",
        }
    }
}

/// How served minutes are rounded into credited minutes. Default (used by many platforms):
/// per started hour, a remainder ≤15 min counts 0, 15 < r < 45 counts 30 min, ≥45 counts 60 min.
///
/// Whole hours always count in full; only the remainder `r = minutes % 60` is rounded:
/// `r ≤ zero_up_to` → 0, `zero_up_to < r < half_below` → 30, otherwise → 60. A `zero_up_to` of
/// `u32::MAX` is reserved for [`RoundingRule::exact`] (flooring to whole hours is still
/// expressible as `zero_up_to: 59`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct RoundingRule {
    /// Remainders up to and including this many minutes count nothing (default 15).
    pub zero_up_to: u32,
    /// Remainders above `zero_up_to` and below this count half an hour; from it on, a whole
    /// hour (default 45).
    pub half_below: u32,
}

impl Default for RoundingRule {
    fn default() -> Self {
        Self {
            zero_up_to: 15,
            half_below: 45,
        }
    }
}

impl RoundingRule {
    /// No rounding: [`RoundingRule::apply`] returns the minutes as they are.
    pub fn exact() -> Self {
        Self {
            zero_up_to: u32::MAX,
            half_below: u32::MAX,
        }
    }

    /// Whether this is the no-rounding rule.
    pub fn is_exact(&self) -> bool {
        self.zero_up_to == u32::MAX
    }

    /// The credited minutes for `minutes` served.
    pub fn apply(&self, minutes: u32) -> u32 {
        if self.is_exact() {
            return minutes;
        }
        let whole = minutes - minutes % 60;
        let r = minutes % 60;
        let extra = if r <= self.zero_up_to {
            0
        } else if r < self.half_below {
            30
        } else {
            60
        };
        whole.saturating_add(extra)
    }
}

/// The most minutes one service record may hold.
pub const MAX_RECORD_MINUTES: u32 = 24 * 60;

/// Accepts the minutes of one service record: 1..=1440.
pub fn check_minutes(minutes: i64) -> Result<u32, DomainError> {
    if (1..=i64::from(MAX_RECORD_MINUTES)).contains(&minutes) {
        Ok(minutes as u32)
    } else {
        Err(DomainError::Minutes)
    }
}

/// Cumulative confirmed hours needed for each star, one to five.
pub const STAR_HOURS: [i64; 5] = [100, 300, 600, 1000, 1500];

/// Star level by cumulative confirmed minutes: 100/300/600/1000/1500 h → 1..=5 (0 below 100 h).
pub fn star_level(total_minutes: i64) -> u8 {
    STAR_HOURS.iter().filter(|&&h| total_minutes >= h * 60).count() as u8
}

/// The Chinese title of a star level: "" for 0, 一星志愿者 … 五星志愿者 (levels above five read
/// as five).
pub fn star_label(level: u8) -> &'static str {
    match level {
        0 => "",
        1 => "一星志愿者",
        2 => "二星志愿者",
        3 => "三星志愿者",
        4 => "四星志愿者",
        _ => "五星志愿者",
    }
}

/// Minutes still needed for the next star (None at five stars).
pub fn minutes_to_next_star(total_minutes: i64) -> Option<i64> {
    STAR_HOURS
        .iter()
        .map(|h| h * 60)
        .find(|&need| total_minutes < need)
        .map(|need| need - total_minutes.max(0))
}

/// Days a record may be entered after the activity ends.
pub const ENTRY_WORKING_DAYS: u32 = 10;

/// Whether `day` is a working day: Monday to Friday unless a holiday, or a make-up working day
/// (调休上班) whatever its weekday.
pub fn is_working_day(day: NaiveDate, holidays: &[NaiveDate], extra_workdays: &[NaiveDate]) -> bool {
    if extra_workdays.contains(&day) {
        return true;
    }
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&day)
}

/// The `n`th working day after `from` (`from` itself not counted; `from` when `n` is 0): the
/// last day on which an entry is still on time.
pub fn working_days_after(
    from: NaiveDate,
    n: u32,
    holidays: &[NaiveDate],
    extra_workdays: &[NaiveDate],
) -> NaiveDate {
    let mut day = from;
    let mut left = n;
    while left > 0 {
        match day.succ_opt() {
            Some(next) => day = next,
            None => return NaiveDate::MAX,
        }
        if is_working_day(day, holidays, extra_workdays) {
            left -= 1;
        }
    }
    day
}

/// Service records must be entered within 10 working days of the activity's end (Mon–Fri,
/// minus the given holidays, plus the given make-up working days 调休上班). Returns true when late.
pub fn is_late_entry(
    activity_end: NaiveDate,
    entered: NaiveDate,
    holidays: &[NaiveDate],
    extra_workdays: &[NaiveDate],
) -> bool {
    entered > working_days_after(activity_end, ENTRY_WORKING_DAYS, holidays, extra_workdays)
}

/// Hours shown with one decimal, rounded half away from zero: 90 → "1.5", 100 → "1.7".
pub fn format_hours(minutes: i64) -> String {
    // tenths of an hour = minutes / 6
    let abs = minutes.unsigned_abs();
    let tenths = abs / 6 + u64::from(abs % 6 >= 3);
    let sign = if minutes < 0 && tenths > 0 { "-" } else { "" };
    format!("{sign}{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn default_rounding() {
        let r = RoundingRule::default();
        assert_eq!(
            r,
            RoundingRule {
                zero_up_to: 15,
                half_below: 45
            }
        );
        let cases = [
            (0, 0),
            (1, 0),
            (15, 0),
            (16, 30),
            (30, 30),
            (44, 30),
            (45, 60),
            (59, 60),
            (60, 60),
            (75, 60),
            (76, 90),
            (105, 120),
            (150, 150),
            (1440, 1440),
        ];
        for (m, want) in cases {
            assert_eq!(r.apply(m), want, "{m}");
        }
    }

    #[test]
    fn exact_and_other_rules() {
        let e = RoundingRule::exact();
        assert!(e.is_exact());
        assert!(!RoundingRule::default().is_exact());
        for m in [0, 1, 17, 59, 61, 1439, u32::MAX] {
            assert_eq!(e.apply(m), m);
        }
        let floor = RoundingRule {
            zero_up_to: 59,
            half_below: 60,
        };
        assert_eq!(floor.apply(119), 60);
        let ceil = RoundingRule {
            zero_up_to: 0,
            half_below: 0,
        };
        assert_eq!(ceil.apply(61), 120);
        assert_eq!(ceil.apply(60), 60);
        let nearest = RoundingRule {
            zero_up_to: 29,
            half_below: 30,
        };
        assert_eq!(nearest.apply(29), 0);
        assert_eq!(nearest.apply(30), 60);
        assert_eq!(RoundingRule::default().apply(u32::MAX), u32::MAX - 15); // remainder 15
    }

    #[test]
    fn rule_serde() {
        let j = serde_json::to_string(&RoundingRule::default()).unwrap();
        assert_eq!(j, r#"{"zero_up_to":15,"half_below":45}"#);
        let back: RoundingRule = serde_json::from_str(&j).unwrap();
        assert_eq!(back, RoundingRule::default());
    }

    #[test]
    fn minutes_limits() {
        assert_eq!(check_minutes(1), Ok(1));
        assert_eq!(check_minutes(1440), Ok(1440));
        for bad in [0, -1, 1441, i64::MAX, i64::MIN] {
            assert_eq!(check_minutes(bad), Err(DomainError::Minutes));
        }
    }

    #[test]
    fn stars() {
        assert_eq!(star_level(-5), 0);
        assert_eq!(star_level(0), 0);
        assert_eq!(star_level(100 * 60 - 1), 0);
        assert_eq!(star_level(100 * 60), 1);
        assert_eq!(star_level(300 * 60), 2);
        assert_eq!(star_level(600 * 60 - 1), 2);
        assert_eq!(star_level(600 * 60), 3);
        assert_eq!(star_level(1000 * 60), 4);
        assert_eq!(star_level(1500 * 60), 5);
        assert_eq!(star_level(i64::MAX), 5);
        assert_eq!(star_label(0), "");
        assert_eq!(star_label(1), "一星志愿者");
        assert_eq!(star_label(3), "三星志愿者");
        assert_eq!(star_label(5), "五星志愿者");
        assert_eq!(star_label(9), "五星志愿者");
        assert_eq!(minutes_to_next_star(0), Some(6000));
        assert_eq!(minutes_to_next_star(-10), Some(6000));
        assert_eq!(minutes_to_next_star(5999), Some(1));
        assert_eq!(minutes_to_next_star(6000), Some(12000));
        assert_eq!(minutes_to_next_star(1500 * 60 - 1), Some(1));
        assert_eq!(minutes_to_next_star(1500 * 60), None);
    }

    #[test]
    fn working_days_plain_weeks() {
        // 2025-06-06 is a Friday.
        assert_eq!(working_days_after(d("2025-06-06"), 0, &[], &[]), d("2025-06-06"));
        assert_eq!(working_days_after(d("2025-06-06"), 1, &[], &[]), d("2025-06-09"));
        assert_eq!(working_days_after(d("2025-06-06"), 10, &[], &[]), d("2025-06-20"));
        // A Saturday end: the first working day is Monday.
        assert_eq!(working_days_after(d("2025-06-07"), 1, &[], &[]), d("2025-06-09"));
        assert!(!is_late_entry(d("2025-06-06"), d("2025-06-20"), &[], &[]));
        assert!(is_late_entry(d("2025-06-06"), d("2025-06-21"), &[], &[]));
        assert!(!is_late_entry(d("2025-06-06"), d("2025-06-06"), &[], &[]));
        assert!(!is_late_entry(d("2025-06-06"), d("2025-06-01"), &[], &[]));
    }

    #[test]
    fn national_day_2025() {
        // 2025 National Day: 10-01..10-08 off; 09-28 (Sun) and 10-11 (Sat) are make-up days.
        let holidays: Vec<_> = (1..=8)
            .map(|day| NaiveDate::from_ymd_opt(2025, 10, day).unwrap())
            .collect();
        let extra = [d("2025-09-28"), d("2025-10-11")];
        // Activity ends Fri 09-26. Working days: 09-28, 09-29, 09-30, 10-09, 10-10, 10-11,
        // 10-13, 10-14, 10-15, 10-16.
        assert_eq!(
            working_days_after(d("2025-09-26"), 10, &holidays, &extra),
            d("2025-10-16")
        );
        assert!(!is_late_entry(
            d("2025-09-26"),
            d("2025-10-16"),
            &holidays,
            &extra
        ));
        assert!(is_late_entry(d("2025-09-26"), d("2025-10-17"), &holidays, &extra));
        // Without the calendar the deadline would be 10-10.
        assert!(is_late_entry(d("2025-09-26"), d("2025-10-13"), &[], &[]));
        assert!(is_working_day(d("2025-09-28"), &holidays, &extra));
        assert!(!is_working_day(d("2025-10-03"), &holidays, &extra));
    }

    #[test]
    fn working_days_at_the_end_of_time() {
        assert_eq!(working_days_after(NaiveDate::MAX, 3, &[], &[]), NaiveDate::MAX);
    }

    #[test]
    fn hours_format() {
        assert_eq!(format_hours(0), "0.0");
        assert_eq!(format_hours(90), "1.5");
        assert_eq!(format_hours(60), "1.0");
        assert_eq!(format_hours(100), "1.7");
        assert_eq!(format_hours(2), "0.0");
        assert_eq!(format_hours(3), "0.1");
        assert_eq!(format_hours(-90), "-1.5");
        assert_eq!(format_hours(-2), "0.0");
        assert_eq!(format_hours(570_000_000 * 60), "570000000.0");
        assert!(!format_hours(i64::MIN).is_empty());
        assert!(!format_hours(i64::MAX).is_empty());
    }

    proptest! {
        #[test]
        fn rounding_is_monotone_and_close(m in 0u32..100_000, z in 0u32..60, h in 0u32..61) {
            let rule = RoundingRule { zero_up_to: z, half_below: h };
            let a = rule.apply(m);
            prop_assert!(rule.apply(m + 1) >= a);
            prop_assert_eq!(a % 30, 0);
            prop_assert!(a + 60 > m && a <= m + 60);
        }

        #[test]
        fn default_rounding_within_a_quarter(m in 0u32..100_000) {
            let a = RoundingRule::default().apply(m);
            prop_assert!((i64::from(a) - i64::from(m)).abs() <= 15);
        }

        #[test]
        fn star_level_is_monotone(a in -1_000_000i64..10_000_000, b in 0i64..1_000_000) {
            prop_assert!(star_level(a + b) >= star_level(a));
            if let Some(need) = minutes_to_next_star(a) {
                prop_assert!(need > 0);
                prop_assert_eq!(star_level(a.max(0) + need), star_level(a) + 1);
                prop_assert_eq!(star_level(a.max(0) + need - 1), star_level(a));
            } else {
                prop_assert_eq!(star_level(a), 5);
            }
        }

        #[test]
        fn deadline_is_n_working_days(y in 2000i32..2100, ord in 1u32..365, n in 0u32..30) {
            let from = NaiveDate::from_yo_opt(y, ord).unwrap();
            let deadline = working_days_after(from, n, &[], &[]);
            prop_assert!(deadline >= from);
            let mut count = 0;
            let mut day = from;
            while day < deadline {
                day = day.succ_opt().unwrap();
                if is_working_day(day, &[], &[]) {
                    count += 1;
                }
            }
            prop_assert_eq!(count, n);
            if n > 0 {
                prop_assert!(is_working_day(deadline, &[], &[]));
            }
            // Working days never run more than two weekend days apart.
            prop_assert!((deadline - from).num_days() <= i64::from(n) / 5 * 7 + i64::from(n % 5) + 2);
        }

        #[test]
        fn format_hours_reads_back(m in -10_000_000i64..10_000_000) {
            let s = format_hours(m);
            let v: f64 = s.parse().unwrap();
            prop_assert!((v - m as f64 / 60.0).abs() <= 0.05 + 1e-9, "{} {}", m, s);
            prop_assert_eq!(s.split('.').nth(1).unwrap().len(), 1);
        }
    }
}
