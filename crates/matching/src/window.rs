//! Service windows as sets of weekly (day, hour) cells.

use chrono::{Datelike, TimeZone, Timelike};
use zhiyuan_domain::people::availability::WeeklyAvailability;

const HOUR_MS: i64 = 3_600_000;
const WEEK_HOURS: i64 = 168;

/// The (day, hour) cells, in Asia/Shanghai, that the interval `[start_ms, end_ms)` touches: every
/// hour of which at least one millisecond lies in the interval. Empty when `end_ms <= start_ms`;
/// every cell when the interval covers a week or more.
pub fn window_cells(start_ms: i64, end_ms: i64) -> WeeklyAvailability {
    let mut mask = WeeklyAvailability::none();
    if end_ms <= start_ms {
        return mask;
    }
    // Shanghai has kept UTC+8 since 1991; the offset of whole hours keeps hour boundaries aligned
    // with UTC hour boundaries, so stepping by one hour from the floored start visits every cell.
    let mut t = start_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let mut steps = 0;
    while t < end_ms && steps < WEEK_HOURS {
        if let chrono::LocalResult::Single(local) = chrono_tz::Asia::Shanghai.timestamp_millis_opt(t) {
            mask.set(local.weekday().num_days_from_monday() as u8, local.hour() as u8);
        }
        t = t.saturating_add(HOUR_MS);
        steps += 1;
    }
    mask
}

/// The cells given as (day, hour) pairs, day 0 = Monday; out-of-range pairs are ignored.
pub fn window_from_cells(cells: &[(u8, u8)]) -> WeeklyAvailability {
    let mut mask = WeeklyAvailability::none();
    for &(d, h) in cells {
        mask.set(d, h);
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// Milliseconds of a Beijing wall-clock time.
    fn bj(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        let naive = NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap();
        chrono_tz::Asia::Shanghai
            .from_local_datetime(&naive)
            .single()
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn an_evening_on_a_wednesday() {
        // 2026-11-25 is a Wednesday (day 2).
        let m = window_cells(bj(2026, 11, 25, 18, 30), bj(2026, 11, 25, 20, 0));
        assert_eq!(m, window_from_cells(&[(2, 18), (2, 19)]));
        // A window ending one minute into the hour touches that hour.
        let m = window_cells(bj(2026, 11, 25, 18, 0), bj(2026, 11, 25, 20, 1));
        assert_eq!(m.hours_per_week(), 3);
        assert!(m.is_set(2, 20));
    }

    #[test]
    fn crosses_midnight_and_the_week_end() {
        // Sunday 23:00 to Monday 01:00.
        let m = window_cells(bj(2026, 11, 29, 23, 0), bj(2026, 11, 30, 1, 0));
        assert_eq!(m, window_from_cells(&[(6, 23), (0, 0)]));
    }

    #[test]
    fn empty_and_whole_weeks() {
        let t = bj(2026, 11, 25, 9, 0);
        assert!(window_cells(t, t).is_empty());
        assert!(window_cells(t, t - 1).is_empty());
        assert_eq!(window_cells(t, t + 7 * 24 * HOUR_MS), WeeklyAvailability::all());
        assert_eq!(window_cells(t, t + 30 * 24 * HOUR_MS), WeeklyAvailability::all());
        assert_eq!(window_cells(t + 1, t + 2), window_from_cells(&[(2, 9)]));
        assert_eq!(window_from_cells(&[(7, 0), (0, 24)]), WeeklyAvailability::none());
    }
}
