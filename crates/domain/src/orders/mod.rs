//! Residents' needs (点单·派单·接单·评单): the order state machine, the service window, headcount,
//! ratings, one-time codes, escalation between site levels, satisfaction figures, and the default
//! service menu.
//!
//! submitted → dispatched → accepted → completed → rated; submitted → rejected; submitted,
//! dispatched and accepted → cancelled; dispatched and accepted → dispatched again (re-dispatch to
//! a new assignee); escalation keeps a submitted or dispatched order where it is and only moves
//! the handling site up (station → institute → center).

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::auth::SiteLevel;
use crate::error::DomainError;

/// Where an order (点单) is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Submitted,
    Dispatched,
    Accepted,
    Completed,
    Rated,
    Rejected,
    Cancelled,
}

string_enum!(OrderStatus {
    Submitted => "submitted",
    Dispatched => "dispatched",
    Accepted => "accepted",
    Completed => "completed",
    Rated => "rated",
    Rejected => "rejected",
    Cancelled => "cancelled",
});

/// What someone does to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderAction {
    /// 派单 (also re-dispatch, 改派).
    Dispatch,
    /// 驳回, with a reason the resident sees.
    Reject,
    /// 接单.
    Accept,
    /// 完成, with a report and the minutes served.
    Complete,
    /// 评单.
    Rate,
    /// 取消.
    Cancel,
    /// 超时上报: the handling site moves one level up.
    Escalate,
}

string_enum!(OrderAction {
    Dispatch => "dispatch",
    Reject => "reject",
    Accept => "accept",
    Complete => "complete",
    Rate => "rate",
    Cancel => "cancel",
    Escalate => "escalate",
});

impl OrderAction {
    /// Chinese verb.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Dispatch => "派单",
            Self::Reject => "驳回",
            Self::Accept => "接单",
            Self::Complete => "完成",
            Self::Rate => "评价",
            Self::Cancel => "取消",
            Self::Escalate => "超时上报",
        }
    }
}

impl OrderStatus {
    /// The states from which `action` may move an order: the transition table read backwards
    /// (the store's conditional updates bind exactly these).
    pub fn before(action: OrderAction) -> Vec<OrderStatus> {
        OrderStatus::ALL
            .into_iter()
            .filter(|s| s.after(action).is_ok())
            .collect()
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Submitted => "待派单",
            Self::Dispatched => "已派单",
            Self::Accepted => "已接单",
            Self::Completed => "已完成",
            Self::Rated => "已评价",
            Self::Rejected => "已驳回",
            Self::Cancelled => "已取消",
        }
    }

    /// The state after `action`, or [`DomainError::OrderState`] when the action is not allowed
    /// now ([`DomainError::AlreadyRated`] for a second rating).
    pub fn after(self, action: OrderAction) -> Result<OrderStatus, DomainError> {
        use OrderAction as A;
        use OrderStatus::*;
        let next = match (self, action) {
            (Submitted | Dispatched | Accepted, A::Dispatch) => Some(Dispatched),
            (Submitted, A::Reject) => Some(Rejected),
            (Dispatched | Accepted, A::Accept) => Some(Accepted),
            (Accepted, A::Complete) => Some(Completed),
            (Completed, A::Rate) => Some(Rated),
            (Rated, A::Rate) => return Err(DomainError::AlreadyRated),
            (Submitted | Dispatched | Accepted, A::Cancel) => Some(Cancelled),
            (Submitted | Dispatched, A::Escalate) => Some(self),
            _ => None,
        };
        next.ok_or(DomainError::OrderState {
            from: self.label_zh(),
            action: action.label_zh(),
        })
    }

    /// Whether no further action is possible.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Rated | Self::Rejected | Self::Cancelled)
    }

    /// Whether the order waits for someone to act within a deadline (dispatch or acceptance).
    pub fn awaits_acceptance(self) -> bool {
        matches!(self, Self::Submitted | Self::Dispatched)
    }
}

/// Who an order is dispatched to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssigneeKind {
    /// One or more teams; the first to accept holds the order.
    Team,
    /// A practice site below the handling office (a station), which holds it on acceptance.
    Site,
    /// One or more volunteers directly, up to the order's headcount.
    Volunteers,
}

string_enum!(AssigneeKind {
    Team => "team",
    Site => "site",
    Volunteers => "volunteers",
});

impl AssigneeKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Team => "志愿服务队",
            Self::Site => "实践站",
            Self::Volunteers => "志愿者",
        }
    }
}

/// Whom one dispatch offer (派单对象) is made to: one per team, station or volunteer of a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    Team,
    Site,
    Volunteer,
}

string_enum!(OfferKind {
    Team => "team",
    Site => "site",
    Volunteer => "volunteer",
});

impl OfferKind {
    /// The kind of offer a dispatch of this kind makes.
    pub fn of(kind: AssigneeKind) -> OfferKind {
        match kind {
            AssigneeKind::Team => OfferKind::Team,
            AssigneeKind::Site => OfferKind::Site,
            AssigneeKind::Volunteers => OfferKind::Volunteer,
        }
    }

    /// Whether the taker holds the whole order (a team or a station), rather than one seat.
    pub fn holds_order(self) -> bool {
        !matches!(self, OfferKind::Volunteer)
    }
}

/// Where one dispatch offer (派单对象) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    Offered,
    Accepted,
    Declined,
    /// Taken back by a re-dispatch or a cancellation, or lost to another taker.
    Withdrawn,
}

string_enum!(OfferStatus {
    Offered => "offered",
    Accepted => "accepted",
    Declined => "declined",
    Withdrawn => "withdrawn",
});

impl OfferStatus {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Offered => "待接单",
            Self::Accepted => "已接单",
            Self::Declined => "已谢绝",
            Self::Withdrawn => "已撤回",
        }
    }
}

/// How long an office or an assignee has to act before the order goes one level up.
pub const ACCEPT_WITHIN: Duration = Duration::hours(24);
/// Longest service window.
pub const MAX_WINDOW: Duration = Duration::days(7);
/// Farthest ahead a window may start.
pub const MAX_LEAD: Duration = Duration::days(180);
/// Most people one order may ask for.
pub const MAX_PEOPLE: i64 = 50;

/// When the resident wants the service: a window that has not started yet, end after start, at
/// most seven days long, starting within 180 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl ServiceWindow {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>, now: DateTime<Utc>) -> Result<Self, DomainError> {
        if end <= start || end - start > MAX_WINDOW {
            return Err(DomainError::OrderWindow);
        }
        if start < now || start - now > MAX_LEAD {
            return Err(DomainError::OrderWindowPast);
        }
        Ok(Self { start, end })
    }
}

/// Accepts how many people are wanted: 1..=50.
pub fn check_people(n: i64) -> Result<i64, DomainError> {
    if (1..=MAX_PEOPLE).contains(&n) {
        Ok(n)
    } else {
        Err(DomainError::OrderPeople)
    }
}

/// Accepts a rating: 1..=5 stars.
pub fn check_rating(n: i64) -> Result<i64, DomainError> {
    if (1..=5).contains(&n) {
        Ok(n)
    } else {
        Err(DomainError::Rating)
    }
}

/// The level an overdue order goes up to: station → institute → center; None above a center.
pub fn escalation_level(level: SiteLevel) -> Option<SiteLevel> {
    match level {
        SiteLevel::Station => Some(SiteLevel::Institute),
        SiteLevel::Institute => Some(SiteLevel::Center),
        SiteLevel::Center => None,
    }
}

/// Digits in a one-time code.
pub const CODE_DIGITS: usize = 6;
/// How long a one-time code lives.
pub const CODE_TTL: Duration = Duration::minutes(10);
/// Wrong guesses allowed per code.
pub const CODE_MAX_ATTEMPTS: i64 = 5;

/// A fresh 6-digit one-time code (leading zeros kept).
pub fn new_code<R: rand::Rng + ?Sized>(rng: &mut R) -> String {
    format!("{:06}", rng.gen_range(0..1_000_000u32))
}

/// Whether `s` looks like a one-time code: exactly six ASCII digits.
pub fn is_code_format(s: &str) -> bool {
    s.len() == CODE_DIGITS && s.bytes().all(|b| b.is_ascii_digit())
}

/// Satisfaction of rated orders: the average stars and the share rated 4 or 5.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Satisfaction {
    pub rated: i64,
    /// Average stars, None when nothing is rated.
    pub average: Option<f64>,
    /// Percentage (0–100) of ratings ≥ 4, None when nothing is rated.
    pub good_percent: Option<f64>,
}

impl Satisfaction {
    /// From the number of rated orders, the sum of their stars and how many got 4 or 5.
    pub fn of(rated: i64, sum: i64, good: i64) -> Satisfaction {
        if rated <= 0 {
            return Satisfaction {
                rated: 0,
                average: None,
                good_percent: None,
            };
        }
        Satisfaction {
            rated,
            average: Some(sum as f64 / rated as f64),
            good_percent: Some(good as f64 * 100.0 / rated as f64),
        }
    }
}

/// One item of the default service menu: (category code, item name, required skills).
pub type MenuSeed = (&'static str, &'static str, &'static [&'static str]);

/// The menu every site starts with, items under the service categories of
/// [`crate::tags::SERVICE_CATEGORIES`]; skills are from [`crate::tags::SUGGESTED_SKILLS`].
pub const DEFAULT_MENU: &[MenuSeed] = &[
    ("policy_outreach", "政策宣讲进楼门", &["活动策划"]),
    ("policy_outreach", "惠民政策解读", &[]),
    ("education", "作业辅导", &["教学辅导"]),
    ("education", "老年人智能手机教学", &["计算机"]),
    ("medical", "上门健康咨询", &["医疗护理"]),
    ("medical", "测量血压血糖", &["医疗护理"]),
    ("legal", "法律咨询", &["法律咨询"]),
    ("legal", "调解邻里纠纷", &["法律咨询"]),
    ("environment", "楼道清理", &[]),
    ("environment", "垃圾分类指导", &["垃圾分类指导"]),
    ("poverty_relief", "困难家庭帮扶", &[]),
    ("poverty_relief", "爱心物资配送", &["驾驶"]),
    ("elderly_disabled", "助老陪伴", &[]),
    ("elderly_disabled", "助餐送餐", &[]),
    ("elderly_disabled", "上门理发", &["理发"]),
    ("elderly_disabled", "家电维修", &["维修"]),
    ("counseling", "心理疏导", &["心理咨询"]),
    ("counseling", "手语沟通协助", &["手语"]),
];

impl fmt::Display for ServiceWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", self.start.to_rfc3339(), self.end.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_states_before_an_action_are_the_table_read_backwards() {
        use OrderStatus::*;
        assert_eq!(
            OrderStatus::before(OrderAction::Dispatch),
            [Submitted, Dispatched, Accepted]
        );
        assert_eq!(OrderStatus::before(OrderAction::Reject), [Submitted]);
        assert_eq!(OrderStatus::before(OrderAction::Accept), [Dispatched, Accepted]);
        assert_eq!(OrderStatus::before(OrderAction::Complete), [Accepted]);
        assert_eq!(OrderStatus::before(OrderAction::Rate), [Completed]);
        assert_eq!(
            OrderStatus::before(OrderAction::Cancel),
            [Submitted, Dispatched, Accepted]
        );
        assert_eq!(
            OrderStatus::before(OrderAction::Escalate),
            [Submitted, Dispatched]
        );
        for s in OrderStatus::ALL.into_iter().filter(|s| s.is_final()) {
            assert!(OrderAction::ALL
                .iter()
                .all(|a| !OrderStatus::before(*a).contains(&s)));
        }
    }

    #[test]
    fn stored_codes_read_back_and_unknown_ones_are_refused() {
        for k in OfferKind::ALL {
            assert_eq!(OfferKind::try_from(k.as_str().to_owned()), Ok(k));
        }
        assert!(OrderStatus::try_from("Foo".to_owned()).is_err());
        assert_eq!(OfferKind::of(AssigneeKind::Volunteers), OfferKind::Volunteer);
        assert!(OfferKind::Team.holds_order() && !OfferKind::Volunteer.holds_order());
    }
    use crate::tags::{category_by_code, SUGGESTED_SKILLS};
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
    }

    #[test]
    fn codes_and_labels() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
            assert!(!s.label_zh().is_empty());
        }
        for a in OrderAction::ALL {
            assert_eq!(OrderAction::parse(a.as_str()), Some(a));
            assert!(!a.label_zh().is_empty());
        }
        for k in AssigneeKind::ALL {
            assert_eq!(AssigneeKind::parse(k.as_str()), Some(k));
            assert!(!k.label_zh().is_empty());
        }
        for o in OfferStatus::ALL {
            assert_eq!(OfferStatus::parse(o.as_str()), Some(o));
            assert!(!o.label_zh().is_empty());
        }
        assert_eq!(OrderStatus::parse("Submitted"), None);
    }

    /// Every (state, action) pair: the allowed ones lead where the machine says, the rest are
    /// refused.
    #[test]
    fn every_transition_and_refusal() {
        use OrderAction as A;
        use OrderStatus::*;
        let allowed = [
            (Submitted, A::Dispatch, Dispatched),
            (Dispatched, A::Dispatch, Dispatched),
            (Accepted, A::Dispatch, Dispatched),
            (Submitted, A::Reject, Rejected),
            (Dispatched, A::Accept, Accepted),
            (Accepted, A::Accept, Accepted),
            (Accepted, A::Complete, Completed),
            (Completed, A::Rate, Rated),
            (Submitted, A::Cancel, Cancelled),
            (Dispatched, A::Cancel, Cancelled),
            (Accepted, A::Cancel, Cancelled),
            (Submitted, A::Escalate, Submitted),
            (Dispatched, A::Escalate, Dispatched),
        ];
        for s in OrderStatus::ALL {
            for a in OrderAction::ALL {
                let want = allowed.iter().find(|(f, x, _)| *f == s && *x == a).map(|w| w.2);
                match (s.after(a), want) {
                    (Ok(got), Some(w)) => assert_eq!(got, w, "{s} {a}"),
                    (Err(e), None) => {
                        if (s, a) == (Rated, A::Rate) {
                            assert_eq!(e, DomainError::AlreadyRated);
                        } else {
                            assert_eq!(
                                e,
                                DomainError::OrderState {
                                    from: s.label_zh(),
                                    action: a.label_zh()
                                }
                            );
                            assert_eq!(e.code(), "order_state_invalid");
                        }
                    }
                    (got, want) => panic!("{s} {a}: got {got:?}, want {want:?}"),
                }
            }
        }
        assert_eq!(
            Completed.after(A::Dispatch).unwrap_err().to_string(),
            "订单当前状态（已完成）不能派单"
        );
        assert_eq!(Rated.after(A::Rate).unwrap_err().code(), "order_already_rated");
    }

    #[test]
    fn final_states_allow_nothing() {
        for s in OrderStatus::ALL {
            let outs = OrderAction::ALL.iter().filter(|&&a| s.after(a).is_ok()).count();
            assert_eq!(outs == 0, s.is_final(), "{s}");
        }
        assert!(OrderStatus::Submitted.awaits_acceptance() && OrderStatus::Dispatched.awaits_acceptance());
        assert!(!OrderStatus::Accepted.awaits_acceptance());
    }

    #[test]
    fn windows() {
        let now = t(5, 8);
        let w = ServiceWindow::new(t(5, 9), t(5, 11), now).unwrap();
        assert_eq!((w.start, w.end), (t(5, 9), t(5, 11)));
        assert!(!w.to_string().is_empty());
        assert_eq!(
            ServiceWindow::new(t(5, 9), t(5, 9), now),
            Err(DomainError::OrderWindow)
        );
        assert_eq!(
            ServiceWindow::new(t(5, 11), t(5, 9), now),
            Err(DomainError::OrderWindow)
        );
        assert_eq!(
            ServiceWindow::new(t(5, 7), t(5, 9), now),
            Err(DomainError::OrderWindowPast)
        );
        assert!(ServiceWindow::new(t(5, 9), t(12, 9), now).is_ok());
        assert_eq!(
            ServiceWindow::new(t(5, 9), t(12, 10), now),
            Err(DomainError::OrderWindow)
        );
        let far = now + Duration::days(181);
        assert_eq!(
            ServiceWindow::new(far, far + Duration::hours(1), now),
            Err(DomainError::OrderWindowPast)
        );
        // starting right now is fine
        assert!(ServiceWindow::new(now, now + Duration::hours(1), now).is_ok());
    }

    #[test]
    fn people_and_ratings() {
        assert_eq!(check_people(1), Ok(1));
        assert_eq!(check_people(50), Ok(50));
        for bad in [0, -1, 51] {
            assert_eq!(check_people(bad), Err(DomainError::OrderPeople));
        }
        for ok in 1..=5 {
            assert_eq!(check_rating(ok), Ok(ok));
        }
        for bad in [0, 6, -5] {
            assert_eq!(check_rating(bad), Err(DomainError::Rating));
        }
    }

    #[test]
    fn escalation_goes_up_to_the_center() {
        assert_eq!(escalation_level(SiteLevel::Station), Some(SiteLevel::Institute));
        assert_eq!(escalation_level(SiteLevel::Institute), Some(SiteLevel::Center));
        assert_eq!(escalation_level(SiteLevel::Center), None);
    }

    #[test]
    fn one_time_codes() {
        let mut rng = rand::thread_rng();
        for _ in 0..200 {
            let c = new_code(&mut rng);
            assert!(is_code_format(&c), "{c}");
        }
        assert!(is_code_format("012345"));
        for bad in ["12345", "1234567", "12a456", "１２３４５６", ""] {
            assert!(!is_code_format(bad), "{bad}");
        }
    }

    #[test]
    fn satisfaction() {
        let none = Satisfaction::of(0, 0, 0);
        assert_eq!((none.average, none.good_percent), (None, None));
        let s = Satisfaction::of(4, 17, 3);
        assert_eq!(s.rated, 4);
        assert_eq!(s.average, Some(4.25));
        assert_eq!(s.good_percent, Some(75.0));
    }

    #[test]
    fn default_menu_uses_known_categories_and_skills() {
        let mut names = std::collections::HashSet::new();
        for (cat, name, skills) in DEFAULT_MENU {
            assert!(category_by_code(cat).is_some(), "{cat}");
            assert!(names.insert(*name), "duplicate {name}");
            for s in *skills {
                assert!(SUGGESTED_SKILLS.contains(s), "{s}");
            }
        }
        for needed in ["elderly_disabled", "medical", "legal", "counseling", "education"] {
            assert!(DEFAULT_MENU.iter().any(|m| m.0 == needed));
        }
    }
}
