//! Who may do what to an order: the one answer that the use cases enforce and that the views
//! show (`OrderView::can`), for the API and the pages alike.

use zhiyuan_domain::orders::{AssigneeKind, OfferKind, OfferStatus, OrderAction};
use zhiyuan_store::orders::{OfferRow, OrderRow};

use crate::access::{Caller, Scope};

/// Whether the caller's office handles the order: an administrator of its region, or a site
/// admin whose site is the handling site or above it (escalation moves an order out of a lower
/// office's reach).
pub(crate) fn handles(caller: &Caller, o: &OrderRow) -> bool {
    match &caller.scope {
        Scope::Region { prefix } => o.region_code.starts_with(prefix.as_str()),
        Scope::Site { prefix, .. } => {
            o.region_code.starts_with(prefix.as_str()) && o.site_region.starts_with(prefix.as_str())
        }
        _ => false,
    }
}

/// Whether the caller answers this offer: the team admin of the team (or a team above it), the
/// admin of the offered site, or the offered volunteer.
pub(crate) fn answers(caller: &Caller, f: &OfferRow) -> bool {
    match (f.kind, &caller.scope) {
        (OfferKind::Team, Scope::Team { path, .. }) => f
            .org_path
            .as_deref()
            .is_some_and(|p| p.starts_with(path.as_str())),
        (OfferKind::Site, Scope::Site { site_id, .. }) => f.site_id == Some(*site_id),
        (OfferKind::Volunteer, _) => caller.volunteer_id.is_some() && f.volunteer_id == caller.volunteer_id,
        _ => false,
    }
}

/// Who completes an accepted order: the holding team's admin, the holding site's admin, or
/// (for volunteer orders) a volunteer who took a seat.
pub(crate) fn completes(c: &Caller, o: &OrderRow, offers: &[OfferRow]) -> bool {
    match o.assignee_kind.as_deref().and_then(AssigneeKind::parse) {
        Some(AssigneeKind::Team) => matches!(&c.scope, Scope::Team { path, .. }
            if o.team_path.as_deref().is_some_and(|p| p.starts_with(path.as_str()))),
        Some(AssigneeKind::Site) => {
            matches!(&c.scope, Scope::Site { site_id, .. } if Some(*site_id) == o.holder_site_id)
        }
        Some(AssigneeKind::Volunteers) => c.volunteer_id.is_some_and(|v| {
            offers
                .iter()
                .any(|f| f.round == o.round && f.status == OfferStatus::Accepted && f.volunteer_id == Some(v))
        }),
        None => false,
    }
}

/// Whether the order is the caller's own (the resident who placed it).
pub(crate) fn placed(c: &Caller, o: &OrderRow) -> bool {
    c.account_id == o.resident_account_id
}

/// Whether the caller may read the order.
pub(crate) fn may_view(c: &Caller, o: &OrderRow, offers: &[OfferRow]) -> bool {
    placed(c, o) || handles(c, o) || offers.iter().any(|f| answers(c, f)) || completes(c, o, offers)
}

/// Whether the caller may do `action` to the order, whatever state it is in. Accepting goes by
/// offer ([`answers`]); escalation is the system's, never a caller's.
pub(crate) fn permits(c: &Caller, o: &OrderRow, offers: &[OfferRow], action: OrderAction) -> bool {
    match action {
        OrderAction::Dispatch | OrderAction::Reject => handles(c, o),
        OrderAction::Cancel => handles(c, o) || placed(c, o),
        OrderAction::Complete => completes(c, o, offers),
        OrderAction::Rate => placed(c, o),
        OrderAction::Accept => offers.iter().any(|f| f.round == o.round && answers(c, f)),
        OrderAction::Escalate => false,
    }
}

/// What the caller may do to the order now: permitted, and allowed from its state by the
/// domain's transition table. Accepting is shown on the offers, not here.
pub(crate) fn available(c: &Caller, o: &OrderRow, offers: &[OfferRow]) -> Vec<OrderAction> {
    [
        OrderAction::Dispatch,
        OrderAction::Reject,
        OrderAction::Cancel,
        OrderAction::Complete,
        OrderAction::Rate,
    ]
    .into_iter()
    .filter(|a| permits(c, o, offers, *a) && o.status.after(*a).is_ok())
    .collect()
}
