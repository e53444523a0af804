//! Notices (通知提醒): what a notice is about.

/// What happened that someone is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A resident's new order reached a site.
    Submitted,
    /// An order was dispatched to a team or volunteer.
    Dispatched,
    Accepted,
    /// A team or volunteer declined a dispatch.
    Declined,
    /// A dispatch was taken back: the order's seats were filled by others.
    Withdrawn,
    Rejected,
    Cancelled,
    Completed,
    Rated,
    /// An overdue order moved one level up.
    Escalated,
    /// An order is overdue above the top level.
    Overdue,
    /// A team the volunteer belonged to (or asked to join) was dissolved.
    TeamDissolved,
    /// The time of a shift the volunteer signed up for was changed.
    ShiftChanged,
}

string_enum!(NoticeKind {
    Submitted => "submitted",
    Dispatched => "dispatched",
    Accepted => "accepted",
    Declined => "declined",
    Withdrawn => "withdrawn",
    Rejected => "rejected",
    Cancelled => "cancelled",
    Completed => "completed",
    Rated => "rated",
    Escalated => "escalated",
    Overdue => "overdue",
    TeamDissolved => "team_dissolved",
    ShiftChanged => "shift_changed",
});

impl NoticeKind {
    /// The Chinese name shown beside a notice.
    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::Submitted => "新点单",
            NoticeKind::Dispatched => "新派单",
            NoticeKind::Accepted => "已接单",
            NoticeKind::Declined => "谢绝派单",
            NoticeKind::Withdrawn => "派单撤回",
            NoticeKind::Rejected => "点单驳回",
            NoticeKind::Cancelled => "点单取消",
            NoticeKind::Completed => "服务完成",
            NoticeKind::Rated => "居民评价",
            NoticeKind::Escalated => "超时上报",
            NoticeKind::Overdue => "超时督办",
            NoticeKind::TeamDissolved => "队伍解散",
            NoticeKind::ShiftChanged => "班次变更",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_labels_differ() {
        let mut labels = std::collections::HashSet::new();
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(k.as_str()), Some(k));
            assert!(labels.insert(k.label()));
        }
    }
}
