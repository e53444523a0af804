//! Volunteer service projects (志愿服务项目): their state machine, sign-ups and theirs, shift
//! times, headcounts, age limits and required skills.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::error::DomainError;

/// Where a project is in its life.
///
/// draft → recruiting | cancelled; recruiting → running | cancelled | draft (withdrawn for
/// edits); running → finished | cancelled; finished and cancelled are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    Draft,
    Recruiting,
    Running,
    Finished,
    Cancelled,
}

string_enum!(ProjectStatus {
    Draft => "draft",
    Recruiting => "recruiting",
    Running => "running",
    Finished => "finished",
    Cancelled => "cancelled",
});

impl ProjectStatus {
    /// The states of a project not yet over: a team with one of these is not dissolved.
    pub const OPEN: [ProjectStatus; 3] = [Self::Draft, Self::Recruiting, Self::Running];

    /// Whether shifts may still be added (draft, recruiting or running).
    pub fn takes_shifts(self) -> bool {
        Self::OPEN.contains(&self)
    }

    /// Whether its title, description and shifts may still be edited: before it runs, while
    /// people are deciding whether to sign up (草稿, 招募中).
    pub fn editable(self) -> bool {
        matches!(self, Self::Draft | Self::Recruiting)
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Recruiting => "招募中",
            Self::Running => "进行中",
            Self::Finished => "已结束",
            Self::Cancelled => "已取消",
        }
    }

    /// Whether the state machine allows going from `self` to `next` (staying put is not a move).
    pub fn can_become(self, next: Self) -> bool {
        use ProjectStatus::*;
        matches!(
            (self, next),
            (Draft, Recruiting | Cancelled)
                | (Recruiting, Running | Cancelled | Draft)
                | (Running, Finished | Cancelled)
        )
    }

    /// `next` when allowed, else [`DomainError::Transition`] with both Chinese labels.
    pub fn transition(self, next: Self) -> Result<Self, DomainError> {
        if self.can_become(next) {
            Ok(next)
        } else {
            Err(DomainError::Transition {
                entity: "project",
                from: self.label_zh(),
                to: next.label_zh(),
            })
        }
    }

    /// Whether no further change is possible.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Finished | Self::Cancelled)
    }

    /// Whether volunteers may sign up now.
    pub fn accepts_sign_ups(self) -> bool {
        self == Self::Recruiting
    }
}

/// Where one volunteer's sign-up (报名) for a project or shift is.
///
/// pending → approved | declined | cancelled | waitlisted; waitlisted → approved | cancelled |
/// declined; approved → cancelled; declined and cancelled are final.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignUpStatus {
    Pending,
    Approved,
    Waitlisted,
    Declined,
    Cancelled,
}

string_enum!(SignUpStatus {
    Pending => "pending",
    Approved => "approved",
    Waitlisted => "waitlisted",
    Declined => "declined",
    Cancelled => "cancelled",
});

impl SignUpStatus {
    /// The states in which a sign-up holds or waits for a place (one per volunteer and shift).
    pub const LIVE: [SignUpStatus; 3] = [Self::Pending, Self::Approved, Self::Waitlisted];

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Pending => "待审核",
            Self::Approved => "已录用",
            Self::Waitlisted => "候补中",
            Self::Declined => "未录用",
            Self::Cancelled => "已取消",
        }
    }

    /// Whether the state machine allows going from `self` to `next` (staying put is not a move).
    pub fn can_become(self, next: Self) -> bool {
        use SignUpStatus::*;
        matches!(
            (self, next),
            (Pending, Approved | Declined | Cancelled | Waitlisted)
                | (Waitlisted, Approved | Cancelled | Declined)
                | (Approved, Cancelled)
        )
    }

    /// `next` when allowed, else [`DomainError::Transition`] with both Chinese labels.
    pub fn transition(self, next: Self) -> Result<Self, DomainError> {
        if self.can_become(next) {
            Ok(next)
        } else {
            Err(DomainError::Transition {
                entity: "sign_up",
                from: self.label_zh(),
                to: next.label_zh(),
            })
        }
    }

    /// Whether no further change is possible.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Declined | Self::Cancelled)
    }

    /// Whether the sign-up holds a seat (counts against the headcount).
    pub fn holds_seat(self) -> bool {
        self == Self::Approved
    }

    /// Whether the sign-up is still alive (pending, waitlisted or approved): one volunteer has at
    /// most one live sign-up per shift.
    pub fn is_live(self) -> bool {
        !self.is_final()
    }
}

/// Longest allowed shift, in minutes.
pub const MAX_SHIFT_MINUTES: i64 = 24 * 60;

/// When a shift (班次) starts and ends: end after start, at most 24 hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ShiftTimes {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl ShiftTimes {
    /// Accepts `end > start` and at most 24 hours between them.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, DomainError> {
        if end <= start || end - start > chrono::Duration::minutes(MAX_SHIFT_MINUTES) {
            return Err(DomainError::ShiftTime);
        }
        Ok(Self { start, end })
    }

    /// Whether the two shifts share some time; one ending exactly when the other starts does
    /// not overlap.
    pub fn overlaps(&self, other: &ShiftTimes) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// Whole minutes from start to end (seconds dropped).
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }

    /// Whether `at` lies within [start, end).
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

/// Largest headcount of one project or shift.
pub const MAX_HEADCOUNT: u32 = 10_000;

/// Accepts a recruitment headcount: 1..=10000.
pub fn check_headcount(n: i64) -> Result<u32, DomainError> {
    if (1..=i64::from(MAX_HEADCOUNT)).contains(&n) {
        Ok(n as u32)
    } else {
        Err(DomainError::Headcount)
    }
}

/// Accepts a minimum age: 0..=100 (0 means no limit).
pub fn check_min_age(n: i64) -> Result<u8, DomainError> {
    if (0..=100).contains(&n) {
        Ok(n as u8)
    } else {
        Err(DomainError::MinAge)
    }
}

/// The required skills the volunteer lacks, compared trimmed and case-insensitively; each
/// returned once (first spelling, trimmed), in the order required; blank entries are ignored.
pub fn missing_skills(required: &[String], has: &[String]) -> Vec<String> {
    let norm = |s: &str| s.trim().to_lowercase();
    let has: Vec<String> = has.iter().map(|s| norm(s)).collect();
    let mut seen: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    for r in required {
        let key = norm(r);
        if key.is_empty() || has.contains(&key) || seen.contains(&key) {
            continue;
        }
        seen.push(key);
        missing.push(r.trim().to_owned());
    }
    missing
}

/// Age in completed years on `day` (0 when `day` is before `birth`). Someone born on 29 February
/// turns a year older on 1 March in common years.
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> u32 {
    if day <= birth {
        return 0;
    }
    let mut years = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

impl fmt::Display for ShiftTimes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", self.start.to_rfc3339(), self.end.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 5, h, m, 0).unwrap()
    }

    #[test]
    fn project_codes_and_labels() {
        for s in ProjectStatus::ALL {
            assert_eq!(ProjectStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
            assert!(!s.label_zh().is_empty());
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(ProjectStatus::parse("Draft"), None);
        assert_eq!(ProjectStatus::Recruiting.label_zh(), "招募中");
    }

    #[test]
    fn project_transitions() {
        use ProjectStatus::*;
        let allowed = [
            (Draft, Recruiting),
            (Draft, Cancelled),
            (Recruiting, Running),
            (Recruiting, Cancelled),
            (Recruiting, Draft),
            (Running, Finished),
            (Running, Cancelled),
        ];
        for a in ProjectStatus::ALL {
            for b in ProjectStatus::ALL {
                let want = allowed.contains(&(a, b));
                assert_eq!(a.can_become(b), want, "{a} → {b}");
                assert_eq!(a.transition(b).is_ok(), want);
            }
        }
        assert_eq!(Draft.transition(Recruiting), Ok(Recruiting));
        let e = Recruiting.transition(Finished).unwrap_err();
        assert_eq!(
            e,
            DomainError::Transition {
                entity: "project",
                from: "招募中",
                to: "已结束"
            }
        );
        assert_eq!(e.to_string(), "当前状态（招募中）不能变为已结束");
        assert_eq!(e.code(), "state_invalid");
        assert_eq!(e.field(), Some("status"));
        assert!(Finished.is_final() && Cancelled.is_final() && !Running.is_final());
        assert!(Recruiting.accepts_sign_ups() && !Draft.accepts_sign_ups());
    }

    #[test]
    fn sign_up_transitions() {
        use SignUpStatus::*;
        let allowed = [
            (Pending, Approved),
            (Pending, Declined),
            (Pending, Cancelled),
            (Pending, Waitlisted),
            (Waitlisted, Approved),
            (Waitlisted, Cancelled),
            (Waitlisted, Declined),
            (Approved, Cancelled),
        ];
        for a in SignUpStatus::ALL {
            assert_eq!(SignUpStatus::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.as_str()));
            for b in SignUpStatus::ALL {
                let want = allowed.contains(&(a, b));
                assert_eq!(a.can_become(b), want, "{a} → {b}");
                assert_eq!(a.transition(b).is_ok(), want);
            }
            // Final states have no way out.
            if a.is_final() {
                assert!(SignUpStatus::ALL.iter().all(|&b| !a.can_become(b)));
            }
        }
        assert_eq!(
            Declined.transition(Approved).unwrap_err().to_string(),
            "当前状态（未录用）不能变为已录用"
        );
        assert!(Approved.holds_seat() && !Waitlisted.holds_seat());
        assert!(Pending.is_live() && Waitlisted.is_live() && Approved.is_live() && !Cancelled.is_live());
    }

    #[test]
    fn project_final_states_have_no_way_out() {
        for a in ProjectStatus::ALL {
            let outs = ProjectStatus::ALL.iter().filter(|&&b| a.can_become(b)).count();
            assert_eq!(outs == 0, a.is_final(), "{a}");
        }
    }

    #[test]
    fn shift_times() {
        let s = ShiftTimes::new(t(9, 0), t(11, 30)).unwrap();
        assert_eq!(s.minutes(), 150);
        assert_eq!(ShiftTimes::new(t(9, 0), t(9, 0)), Err(DomainError::ShiftTime));
        assert_eq!(ShiftTimes::new(t(10, 0), t(9, 0)), Err(DomainError::ShiftTime));
        let day = ShiftTimes::new(t(0, 0), t(0, 0) + chrono::Duration::hours(24)).unwrap();
        assert_eq!(day.minutes(), 1440);
        assert!(ShiftTimes::new(t(0, 0), t(0, 0) + chrono::Duration::seconds(86_401)).is_err());
        assert!(s.contains(t(9, 0)) && s.contains(t(11, 29)) && !s.contains(t(11, 30)));
        assert!(!s.to_string().is_empty());
    }

    #[test]
    fn shift_overlap() {
        let a = ShiftTimes::new(t(9, 0), t(11, 0)).unwrap();
        let touching = ShiftTimes::new(t(11, 0), t(12, 0)).unwrap();
        let inside = ShiftTimes::new(t(9, 30), t(10, 0)).unwrap();
        let crossing = ShiftTimes::new(t(10, 59), t(13, 0)).unwrap();
        let before = ShiftTimes::new(t(7, 0), t(9, 0)).unwrap();
        assert!(!a.overlaps(&touching) && !touching.overlaps(&a));
        assert!(!a.overlaps(&before) && !before.overlaps(&a));
        assert!(a.overlaps(&inside) && inside.overlaps(&a));
        assert!(a.overlaps(&crossing) && crossing.overlaps(&a));
        assert!(a.overlaps(&a));
    }

    #[test]
    fn headcount_and_age_limits() {
        assert_eq!(check_headcount(1), Ok(1));
        assert_eq!(check_headcount(10_000), Ok(10_000));
        for bad in [0, -3, 10_001, i64::MAX] {
            assert_eq!(check_headcount(bad), Err(DomainError::Headcount));
        }
        assert_eq!(check_min_age(0), Ok(0));
        assert_eq!(check_min_age(18), Ok(18));
        assert_eq!(check_min_age(100), Ok(100));
        for bad in [-1, 101, i64::MIN] {
            assert_eq!(check_min_age(bad), Err(DomainError::MinAge));
        }
    }

    #[test]
    fn skills() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            missing_skills(&v(&["急救", " First Aid "]), &v(&["first aid"])),
            v(&["急救"])
        );
        assert_eq!(
            missing_skills(&v(&["Driving", "driving ", "  "]), &[]),
            v(&["Driving"])
        );
        assert!(missing_skills(&[], &v(&["x"])).is_empty());
        assert!(missing_skills(&v(&["心理疏导"]), &v(&[" 心理疏导"])).is_empty());
    }

    #[test]
    fn ages() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(age_on(d("2008-03-05"), d("2026-03-04")), 17);
        assert_eq!(age_on(d("2008-03-05"), d("2026-03-05")), 18);
        assert_eq!(age_on(d("2008-02-29"), d("2026-02-28")), 17);
        assert_eq!(age_on(d("2008-02-29"), d("2026-03-01")), 18);
        assert_eq!(age_on(d("2008-02-29"), d("2028-02-29")), 20);
        assert_eq!(age_on(d("2026-01-01"), d("2025-01-01")), 0);
        assert_eq!(age_on(d("2026-01-01"), d("2026-01-01")), 0);
        assert_eq!(age_on(d("1950-12-31"), d("2026-12-30")), 75);
    }

    proptest! {
        #[test]
        fn overlap_is_symmetric(a in 0i64..10_000, la in 1i64..1440, b in 0i64..10_000, lb in 1i64..1440) {
            let base = t(0, 0);
            let m = chrono::Duration::minutes;
            let x = ShiftTimes::new(base + m(a), base + m(a + la)).unwrap();
            let y = ShiftTimes::new(base + m(b), base + m(b + lb)).unwrap();
            prop_assert_eq!(x.overlaps(&y), y.overlaps(&x));
            // Overlap means some minute lies in both.
            let shared = (a.max(b)..(a + la).min(b + lb)).next().is_some();
            prop_assert_eq!(x.overlaps(&y), shared);
        }

        #[test]
        fn age_grows_by_one_per_year(y in 1900i32..2100, ord in 1u32..366, k in 0i32..120) {
            let birth = NaiveDate::from_yo_opt(y, ord.min(365)).unwrap();
            let later = birth.with_year(birth.year() + k).unwrap_or(NaiveDate::from_ymd_opt(birth.year() + k, 3, 1).unwrap());
            prop_assert_eq!(age_on(birth, later), k as u32);
            if let Some(prev) = later.pred_opt() {
                if k > 0 {
                    prop_assert_eq!(age_on(birth, prev), (k - 1) as u32);
                }
            }
        }
    }
}
