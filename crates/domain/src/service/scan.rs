//! What a volunteer's scan of a shift's QR code does (扫码签到 / 签退). A scan checks in; it
//! never checks out by itself. People scan again when unsure, and a second scan that ended
//! the attendance a minute after it began lost the day's hours. Check-out by QR is a
//! deliberate action (确认签退), and even that is refused as a slip within a short time of
//! check-in or before the shift has started.

/// How long after check-in a QR scan cannot check out (default; `Rules::checkout_after`).
pub const DEFAULT_CHECKOUT_AFTER_MINUTES: i64 = 10;

/// Where the volunteer's attendance of the shift stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attendance {
    /// Check-in time (unix ms), if checked in.
    pub checkin_at: Option<i64>,
    /// Check-out time (unix ms), if checked out.
    pub checkout_at: Option<i64>,
    /// When the shift starts (unix ms).
    pub starts_at: i64,
}

/// What the volunteer asked for: just scanning, or confirming check-out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanAsk {
    /// The plain scan (or an explicit 签到).
    Scan,
    /// 确认签退 after a scan.
    ConfirmCheckOut,
}

/// What the scan does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanStep {
    /// Not checked in yet: check in now.
    CheckIn,
    /// Checked in already: write nothing, answer "已签到" with the time. `may_check_out` says
    /// whether 确认签退 may be offered now (the shift has started and the grace time passed).
    AlreadyIn { may_check_out: bool },
    /// Checked in, asked to check out, and it is time: check out now.
    CheckOut,
    /// Checked out already: write nothing, answer with the earlier result.
    AlreadyOut,
    /// Asked to check out without having checked in.
    NotCheckedIn,
}

/// Decides a scan at `now` (unix ms); `checkout_after_ms` is the time after check-in during
/// which a scan cannot check out.
pub fn scan_step(a: Attendance, ask: ScanAsk, now: i64, checkout_after_ms: i64) -> ScanStep {
    match (a.checkin_at, a.checkout_at) {
        (_, Some(_)) => ScanStep::AlreadyOut,
        (None, None) => match ask {
            ScanAsk::Scan => ScanStep::CheckIn,
            ScanAsk::ConfirmCheckOut => ScanStep::NotCheckedIn,
        },
        (Some(checkin), None) => {
            let may_check_out = now >= a.starts_at && now >= checkin.saturating_add(checkout_after_ms);
            match ask {
                ScanAsk::ConfirmCheckOut if may_check_out => ScanStep::CheckOut,
                _ => ScanStep::AlreadyIn { may_check_out },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const GAP: i64 = 10 * MIN;
    const START: i64 = 1_000 * MIN;

    fn at(checkin: Option<i64>, checkout: Option<i64>) -> Attendance {
        Attendance {
            checkin_at: checkin,
            checkout_at: checkout,
            starts_at: START,
        }
    }

    #[test]
    fn the_first_scan_checks_in() {
        assert_eq!(
            scan_step(at(None, None), ScanAsk::Scan, START - 30 * MIN, GAP),
            ScanStep::CheckIn
        );
    }

    #[test]
    fn a_second_scan_a_minute_later_does_not_check_out() {
        let a = at(Some(START), None);
        assert_eq!(
            scan_step(a, ScanAsk::Scan, START + MIN, GAP),
            ScanStep::AlreadyIn { may_check_out: false }
        );
        // not even when check-out is asked for
        assert_eq!(
            scan_step(a, ScanAsk::ConfirmCheckOut, START + MIN, GAP),
            ScanStep::AlreadyIn { may_check_out: false }
        );
    }

    #[test]
    fn before_the_shift_starts_no_scan_checks_out() {
        let a = at(Some(START - 50 * MIN), None);
        assert_eq!(
            scan_step(a, ScanAsk::ConfirmCheckOut, START - MIN, GAP),
            ScanStep::AlreadyIn { may_check_out: false }
        );
    }

    #[test]
    fn a_later_scan_offers_check_out_and_only_the_confirmation_checks_out() {
        let a = at(Some(START), None);
        assert_eq!(
            scan_step(a, ScanAsk::Scan, START + GAP, GAP),
            ScanStep::AlreadyIn { may_check_out: true }
        );
        assert_eq!(
            scan_step(a, ScanAsk::ConfirmCheckOut, START + GAP, GAP),
            ScanStep::CheckOut
        );
    }

    #[test]
    fn after_check_out_every_scan_answers_the_earlier_result() {
        let a = at(Some(START), Some(START + 60 * MIN));
        assert_eq!(
            scan_step(a, ScanAsk::Scan, START + 61 * MIN, GAP),
            ScanStep::AlreadyOut
        );
        assert_eq!(
            scan_step(a, ScanAsk::ConfirmCheckOut, START + 61 * MIN, GAP),
            ScanStep::AlreadyOut
        );
    }

    #[test]
    fn check_out_without_check_in_is_refused() {
        assert_eq!(
            scan_step(at(None, None), ScanAsk::ConfirmCheckOut, START, GAP),
            ScanStep::NotCheckedIn
        );
    }
}
