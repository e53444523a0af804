//! Residents' needs (点单·派单·接单·评单): service menus, orders, dispatch offers, the minutes
//! served on an order; one-time codes live in `phone_codes`, notices in `notices`.
//!
//! Ownership of an order is decided by conditional updates (`… WHERE status = 'dispatched' AND
//! round = $n`), backed by the unique index `order_offers_one_holder` and the CHECK on
//! `accepted_count`, so the loser of a race changes nothing and learns it from the row count.

pub mod matching;

use sqlx::FromRow;

use zhiyuan_domain::orders::{AssigneeKind, OfferKind, OfferStatus, OrderAction, OrderStatus};

use crate::seek::{self, KeyKind, KeyValue, Seek, SeekRequest};
use crate::{in_list, now_millis, prefix_range, Conn, Result};

// ---------------------------------------------------------------------------------------------
// Menus

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct MenuItemRow {
    pub id: i64,
    pub site_id: Option<i64>,
    pub category: String,
    pub name: String,
    pub description: String,
    /// Comma-separated.
    pub skills: String,
    pub active: i64,
    pub position: i64,
}

#[derive(Clone, Debug)]
pub struct NewMenuItem {
    pub site_id: Option<i64>,
    pub category: String,
    pub name: String,
    pub description: String,
    pub skills: String,
    pub active: bool,
    pub position: i64,
}

const MENU_SELECT: &str =
    "SELECT id, site_id, category, name, description, skills, active, position FROM menu_items";

pub async fn menu_item(conn: &mut Conn, id: i64) -> Result<Option<MenuItemRow>> {
    Ok(sqlx::query_as(&format!("{MENU_SELECT} WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// A site's own items (`None`: the default menu), active or not, in menu order.
pub async fn menu_of(conn: &mut Conn, site_id: Option<i64>) -> Result<Vec<MenuItemRow>> {
    let sql = match site_id {
        Some(_) => format!("{MENU_SELECT} WHERE site_id = $1 ORDER BY position, id"),
        None => format!("{MENU_SELECT} WHERE site_id IS NULL AND $1 IS NULL ORDER BY position, id"),
    };
    Ok(sqlx::query_as(&sql).bind(site_id).fetch_all(conn).await?)
}

pub async fn insert_menu_item(conn: &mut Conn, m: &NewMenuItem) -> Result<i64> {
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO menu_items (site_id, category, name, description, skills, active, position, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(m.site_id)
    .bind(&m.category)
    .bind(&m.name)
    .bind(&m.description)
    .bind(&m.skills)
    .bind(m.active as i64)
    .bind(m.position)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update_menu_item(conn: &mut Conn, id: i64, m: &NewMenuItem) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE menu_items SET category = $1, name = $2, description = $3, skills = $4, active = $5, \
         position = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&m.category)
    .bind(&m.name)
    .bind(&m.description)
    .bind(&m.skills)
    .bind(m.active as i64)
    .bind(m.position)
    .bind(now_millis())
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

// ---------------------------------------------------------------------------------------------
// Orders

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct OrderRow {
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub category: String,
    pub skills: String,
    pub resident_account_id: i64,
    pub contact_name: String,
    pub contact_phone: String,
    pub region_code: String,
    pub region_name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub window_start: i64,
    pub window_end: i64,
    pub people: i64,
    pub notes: String,
    #[sqlx(try_from = "String")]
    pub status: OrderStatus,
    pub site_id: i64,
    pub site_name: String,
    pub site_level: String,
    pub site_region: String,
    pub escalations: i64,
    pub deadline_at: Option<i64>,
    pub round: i64,
    pub assignee_kind: Option<String>,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub team_path: Option<String>,
    pub holder_site_id: Option<i64>,
    pub holder_site_name: Option<String>,
    pub organizer_org_id: Option<i64>,
    pub organizer_name: String,
    pub accepted_count: i64,
    pub reject_reason: String,
    pub cancel_reason: String,
    pub report: String,
    pub rating: Option<i64>,
    pub rating_comment: String,
    pub submitted_at: i64,
    pub dispatched_at: Option<i64>,
    pub accepted_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub rated_at: Option<i64>,
    pub closed_at: Option<i64>,
}

const ORDER_SELECT: &str = "SELECT o.id, o.item_id, o.item_name, o.category, o.skills, o.resident_account_id, \
     o.contact_name, o.contact_phone, o.region_code, r.name AS region_name, o.address, o.lat, o.lon, \
     o.window_start, o.window_end, o.people, o.notes, o.status, o.site_id, s.name AS site_name, \
     s.level AS site_level, s.region_code AS site_region, o.escalations, o.deadline_at, o.round, o.assignee_kind, \
     o.team_id, t.name AS team_name, t.path AS team_path, o.holder_site_id, hs.name AS holder_site_name, \
     o.organizer_org_id, o.organizer_name, o.accepted_count, o.reject_reason, o.cancel_reason, o.report, \
     o.rating, o.rating_comment, o.submitted_at, o.dispatched_at, o.accepted_at, o.completed_at, o.rated_at, \
     o.closed_at \
     FROM orders o JOIN sites s ON s.id = o.site_id JOIN regions r ON r.code = o.region_code \
     LEFT JOIN organizations t ON t.id = o.team_id LEFT JOIN sites hs ON hs.id = o.holder_site_id";

#[derive(Clone, Debug)]
pub struct NewOrder {
    pub item_id: i64,
    pub item_name: String,
    pub category: String,
    pub skills: String,
    pub resident_account_id: i64,
    pub contact_name: String,
    pub contact_phone: String,
    pub region_code: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub window_start: i64,
    pub window_end: i64,
    pub people: i64,
    pub notes: String,
    pub site_id: i64,
    pub deadline_at: i64,
}

pub async fn insert(conn: &mut Conn, o: &NewOrder) -> Result<i64> {
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO orders (item_id, item_name, category, skills, resident_account_id, contact_name, contact_phone, \
         region_code, address, lat, lon, window_start, window_end, people, notes, site_id, deadline_at, \
         submitted_at, updated_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
         $16, $17, $18, $18, $19) RETURNING id",
    )
    .bind(o.item_id)
    .bind(&o.item_name)
    .bind(&o.category)
    .bind(&o.skills)
    .bind(o.resident_account_id)
    .bind(&o.contact_name)
    .bind(&o.contact_phone)
    .bind(&o.region_code)
    .bind(&o.address)
    .bind(o.lat)
    .bind(o.lon)
    .bind(o.window_start)
    .bind(o.window_end)
    .bind(o.people)
    .bind(&o.notes)
    .bind(o.site_id)
    .bind(o.deadline_at)
    .bind(now)
    .bind(OrderStatus::Submitted.as_str())
    // Unprepared: sqlx 0.8's Any driver declares a NULL double as float4 but a present one
    // as float8 to PostgreSQL, so a statement prepared with a NULL place refuses a later
    // present one ("incorrect binary data format"); unprepared, each execution declares
    // what it binds. See docs/architecture.md.
    .persistent(false)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<OrderRow>> {
    Ok(sqlx::query_as(&format!("{ORDER_SELECT} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Takes a row lock on the order (a no-op update), so decisions about it queue on PostgreSQL
/// as they do on SQLite's single writer.
pub async fn lock(conn: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("UPDATE orders SET updated_at = updated_at WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Several orders by id, in no particular order (ids not found are missing).
pub async fn get_many(conn: &mut Conn, ids: &[i64]) -> Result<Vec<OrderRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{ORDER_SELECT} WHERE o.id IN ({})", in_list(1, ids.len()));
    let mut q = sqlx::query_as(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// A page of a resident's orders, newest first (keyset on the id, served by `orders_resident`).
pub async fn of_resident(conn: &mut Conn, account_id: i64, page: &SeekRequest) -> Result<Seek<OrderRow>> {
    let plan = seek::plan(page, KeyKind::Id, "", "o.id", true, 2)?;
    let sql = format!(
        "{ORDER_SELECT} WHERE o.resident_account_id = $1{}{}",
        plan.cond, plan.order
    );
    let rows: Vec<OrderRow> = plan
        .bind(sqlx::query_as(&sql).bind(account_id))
        .fetch_all(conn)
        .await?;
    Ok(plan.finish(rows, |o| (KeyValue::Int(o.id), o.id)))
}

/// A page of the queue of an office: orders placed in `prefix` whose handling site lies in
/// `prefix` too, in the given states (all when empty), earliest window first (keyset on the
/// window's start and the id, served by `orders_window`).
pub async fn queue(
    conn: &mut Conn,
    prefix: &str,
    statuses: &[OrderStatus],
    page: &SeekRequest,
) -> Result<Seek<OrderRow>> {
    let (lo, hi) = prefix_range(prefix);
    // one placeholder per state, bound like every other value
    let status_cond = if statuses.is_empty() {
        String::new()
    } else {
        format!(" AND o.status IN ({})", in_list(3, statuses.len()))
    };
    let plan = seek::plan(
        page,
        KeyKind::Int,
        "o.window_start",
        "o.id",
        false,
        3 + statuses.len(),
    )?;
    let sql = format!(
        "{ORDER_SELECT} WHERE o.region_code >= $1 AND o.region_code < $2 AND s.region_code >= $1 \
         AND s.region_code < $2{status_cond}{}{}",
        plan.cond, plan.order
    );
    let mut q = sqlx::query_as(&sql).bind(&lo).bind(&hi);
    for st in statuses {
        q = q.bind(st.as_str());
    }
    let rows: Vec<OrderRow> = plan.bind(q).fetch_all(conn).await?;
    Ok(plan.finish(rows, |o| (KeyValue::Int(o.window_start), o.id)))
}

/// Who takes a whole order (a team or a station), as opposed to volunteers taking seats.
#[derive(Clone, Copy, Debug)]
pub enum Holder<'a> {
    Team { org_id: i64, org_name: &'a str },
    Site(i64),
}

/// A dispatch (派单, also 改派): a new round to one kind of assignee.
#[derive(Clone, Copy, Debug)]
pub struct Dispatch<'a> {
    pub round: i64,
    pub deadline: i64,
    pub kind: AssigneeKind,
    pub organizer_org_id: Option<i64>,
    pub organizer_name: &'a str,
}

// One statement per transition. Each applies only while the order is in a state the domain's
// transition table allows the action from (bound as values, never spliced into the text) and,
// where a round is given, still in that round; each answers whether it applied.

/// `status IN ($first, …)` for the given states, and the codes to bind in that order.
fn in_states(first: usize, states: &[OrderStatus]) -> (String, Vec<&'static str>) {
    (
        format!("status IN ({})", in_list(first, states.len())),
        states.iter().map(|s| s.as_str()).collect(),
    )
}

async fn guarded<'q>(
    conn: &mut Conn,
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    codes: Vec<&'static str>,
) -> Result<bool> {
    for c in codes {
        q = q.bind(c);
    }
    Ok(q.execute(conn).await?.rows_affected() == 1)
}

/// 派单: opens round `d.round` (the offers are inserted beside it).
pub async fn dispatch(conn: &mut Conn, id: i64, d: &Dispatch<'_>) -> Result<bool> {
    let (cond, codes) = in_states(9, &OrderStatus::before(OrderAction::Dispatch));
    let sql = format!(
        "UPDATE orders SET status = $1, round = $2, deadline_at = $3, assignee_kind = $4, team_id = NULL, \
         holder_site_id = NULL, organizer_org_id = $5, organizer_name = $6, accepted_count = 0, \
         dispatched_at = $7, updated_at = $7 WHERE id = $8 AND {cond}"
    );
    let q = sqlx::query(&sql)
        .bind(OrderStatus::Dispatched.as_str())
        .bind(d.round)
        .bind(d.deadline)
        .bind(d.kind.as_str())
        .bind(d.organizer_org_id)
        .bind(d.organizer_name)
        .bind(now_millis())
        .bind(id);
    guarded(conn, q, codes).await
}

/// 驳回, with the reason the resident sees.
pub async fn reject(conn: &mut Conn, id: i64, reason: &str) -> Result<bool> {
    let (cond, codes) = in_states(5, &OrderStatus::before(OrderAction::Reject));
    let sql = format!(
        "UPDATE orders SET status = $1, reject_reason = $2, deadline_at = NULL, closed_at = $3, updated_at = $3 \
         WHERE id = $4 AND {cond}"
    );
    let q = sqlx::query(&sql)
        .bind(OrderStatus::Rejected.as_str())
        .bind(reason)
        .bind(now_millis())
        .bind(id);
    guarded(conn, q, codes).await
}

/// 取消, by the resident or an office.
pub async fn cancel(conn: &mut Conn, id: i64, reason: &str) -> Result<bool> {
    let (cond, codes) = in_states(5, &OrderStatus::before(OrderAction::Cancel));
    let sql = format!(
        "UPDATE orders SET status = $1, cancel_reason = $2, deadline_at = NULL, closed_at = $3, updated_at = $3 \
         WHERE id = $4 AND {cond}"
    );
    let q = sqlx::query(&sql)
        .bind(OrderStatus::Cancelled.as_str())
        .bind(reason)
        .bind(now_millis())
        .bind(id);
    guarded(conn, q, codes).await
}

/// 接单 by a team or a station, which then holds the whole order: only from dispatched (an order
/// already accepted is held by someone) and only in round `round`.
pub async fn take_whole(conn: &mut Conn, id: i64, round: i64, holder: Holder<'_>) -> Result<bool> {
    let (team, organizer, name, site) = match holder {
        Holder::Team { org_id, org_name } => (Some(org_id), Some(org_id), Some(org_name), None),
        Holder::Site(site_id) => (None, None, None, Some(site_id)),
    };
    let (cond, codes) = in_states(9, &[OrderStatus::Dispatched]);
    let sql = format!(
        "UPDATE orders SET status = $1, deadline_at = NULL, accepted_at = $2, updated_at = $2, \
         team_id = COALESCE($3, team_id), organizer_org_id = COALESCE($4, organizer_org_id), \
         organizer_name = COALESCE($5, organizer_name), holder_site_id = COALESCE($6, holder_site_id) \
         WHERE id = $7 AND round = $8 AND {cond}"
    );
    let q = sqlx::query(&sql)
        .bind(OrderStatus::Accepted.as_str())
        .bind(now_millis())
        .bind(team)
        .bind(organizer)
        .bind(name)
        .bind(site)
        .bind(id)
        .bind(round);
    guarded(conn, q, codes).await
}

/// 完成, with the report, in round `round`.
pub async fn complete(conn: &mut Conn, id: i64, round: i64, report: &str) -> Result<bool> {
    let (cond, codes) = in_states(6, &OrderStatus::before(OrderAction::Complete));
    let sql = format!(
        "UPDATE orders SET status = $1, report = $2, completed_at = $3, deadline_at = NULL, updated_at = $3 \
         WHERE id = $4 AND round = $5 AND {cond}"
    );
    let q = sqlx::query(&sql)
        .bind(OrderStatus::Completed.as_str())
        .bind(report)
        .bind(now_millis())
        .bind(id)
        .bind(round);
    guarded(conn, q, codes).await
}

/// 评单: the resident's rating, once.
pub async fn rate(conn: &mut Conn, id: i64, rating: i64, comment: &str) -> Result<bool> {
    let (cond, codes) = in_states(6, &OrderStatus::before(OrderAction::Rate));
    let sql = format!(
        "UPDATE orders SET status = $1, rating = $2, rating_comment = $3, rated_at = $4, closed_at = $4, \
         updated_at = $4 WHERE id = $5 AND {cond}"
    );
    let q = sqlx::query(&sql)
        .bind(OrderStatus::Rated.as_str())
        .bind(rating)
        .bind(comment)
        .bind(now_millis())
        .bind(id);
    guarded(conn, q, codes).await
}

/// One more volunteer takes a volunteers-order of round `round`, while fewer than `people` have:
/// the order becomes (or stays) accepted. False when it is full, re-dispatched or closed.
pub async fn take_seat(conn: &mut Conn, id: i64, round: i64, now: i64) -> Result<bool> {
    let (cond, codes) = in_states(6, &OrderStatus::before(OrderAction::Accept));
    let sql = format!(
        "UPDATE orders SET status = $1, accepted_count = accepted_count + 1, \
         accepted_at = COALESCE(accepted_at, $2), deadline_at = NULL, updated_at = $2 \
         WHERE id = $3 AND round = $4 AND assignee_kind = $5 AND {cond} AND accepted_count < people"
    );
    let q = sqlx::query(&sql)
        .bind(OrderStatus::Accepted.as_str())
        .bind(now)
        .bind(id)
        .bind(round)
        .bind(AssigneeKind::Volunteers.as_str());
    guarded(conn, q, codes).await
}

/// Orders waiting for dispatch or acceptance whose deadline has passed (oldest deadline first).
pub async fn overdue(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<OrderRow>> {
    let (cond, codes) = in_states(3, &OrderStatus::before(OrderAction::Escalate));
    let sql = format!(
        "{ORDER_SELECT} WHERE o.deadline_at IS NOT NULL AND o.deadline_at <= $1 AND o.{cond} \
         ORDER BY o.deadline_at, o.id LIMIT $2"
    );
    let mut q = sqlx::query_as(&sql).bind(now).bind(limit);
    for c in codes {
        q = q.bind(c);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Moves an overdue order's handling site up, once: only while its deadline is still `deadline`.
pub async fn escalate(
    conn: &mut Conn,
    id: i64,
    deadline: i64,
    to_site: Option<i64>,
    new_deadline: Option<i64>,
) -> Result<bool> {
    let (cond, codes) = in_states(6, &OrderStatus::before(OrderAction::Escalate));
    let sql = format!(
        "UPDATE orders SET site_id = COALESCE($1, site_id), escalations = escalations + 1, deadline_at = $2, \
         updated_at = $3 WHERE id = $4 AND deadline_at = $5 AND {cond}"
    );
    let q = sqlx::query(&sql)
        .bind(to_site)
        .bind(new_deadline)
        .bind(now_millis())
        .bind(id)
        .bind(deadline);
    guarded(conn, q, codes).await
}

// ---------------------------------------------------------------------------------------------
// Offers

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct OfferRow {
    pub id: i64,
    pub order_id: i64,
    pub round: i64,
    #[sqlx(try_from = "String")]
    pub kind: OfferKind,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub org_path: Option<String>,
    pub site_id: Option<i64>,
    pub site_name: Option<String>,
    pub volunteer_id: Option<i64>,
    pub volunteer_name: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: OfferStatus,
    pub note: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

const OFFER_SELECT: &str = "SELECT f.id, f.order_id, f.round, f.kind, f.org_id, g.name AS org_name, \
     g.path AS org_path, f.site_id, s.name AS site_name, f.volunteer_id, v.name AS volunteer_name, f.status, f.note, \
     f.created_at, f.decided_at FROM order_offers f LEFT JOIN organizations g ON g.id = f.org_id \
     LEFT JOIN sites s ON s.id = f.site_id LEFT JOIN volunteers v ON v.id = f.volunteer_id";

/// An offer's target: one of the three.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Team(i64),
    Site(i64),
    Volunteer(i64),
}

pub async fn insert_offer(
    conn: &mut Conn,
    order_id: i64,
    round: i64,
    target: Target,
    note: &str,
) -> Result<i64> {
    let (kind, org, site, vol) = match target {
        Target::Team(id) => (OfferKind::Team, Some(id), None, None),
        Target::Site(id) => (OfferKind::Site, None, Some(id), None),
        Target::Volunteer(id) => (OfferKind::Volunteer, None, None, Some(id)),
    };
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO order_offers (order_id, round, kind, org_id, site_id, volunteer_id, status, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $9, $7, $8) RETURNING id",
    )
    .bind(order_id)
    .bind(round)
    .bind(kind.as_str())
    .bind(org)
    .bind(site)
    .bind(vol)
    .bind(note)
    .bind(now_millis())
    .bind(OfferStatus::Offered.as_str())
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn offer(conn: &mut Conn, id: i64) -> Result<Option<OfferRow>> {
    Ok(sqlx::query_as(&format!("{OFFER_SELECT} WHERE f.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Every offer of an order, newest round first.
pub async fn offers_of(conn: &mut Conn, order_id: i64) -> Result<Vec<OfferRow>> {
    Ok(sqlx::query_as(&format!(
        "{OFFER_SELECT} WHERE f.order_id = $1 ORDER BY f.round DESC, f.id"
    ))
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

/// Every offer of several orders (a page of them), each order's newest round first.
pub async fn offers_of_orders(conn: &mut Conn, order_ids: &[i64]) -> Result<Vec<OfferRow>> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{OFFER_SELECT} WHERE f.order_id IN ({}) ORDER BY f.order_id, f.round DESC, f.id",
        in_list(1, order_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in order_ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Moves an offer from `from` to `to`; false when it was no longer in `from`.
pub async fn set_offer(
    conn: &mut Conn,
    id: i64,
    from: OfferStatus,
    to: OfferStatus,
    by: Option<i64>,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE order_offers SET status = $1, decided_at = $2, decided_by = $3 WHERE id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(now_millis())
    .bind(by)
    .bind(id)
    .bind(from.as_str())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Withdraws every live (offered or accepted) offer of an order; returns the volunteers whose
/// accepted offers were withdrawn (they no longer hold the order).
pub async fn withdraw_live(conn: &mut Conn, order_id: i64) -> Result<Vec<i64>> {
    let held: Vec<(i64,)> = sqlx::query_as(
        "SELECT volunteer_id FROM order_offers WHERE order_id = $1 AND kind = $2 AND status = $3 \
         ORDER BY volunteer_id",
    )
    .bind(order_id)
    .bind(OfferKind::Volunteer.as_str())
    .bind(OfferStatus::Accepted.as_str())
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE order_offers SET status = $1, decided_at = $2 WHERE order_id = $3 AND status IN ($4, $5)",
    )
    .bind(OfferStatus::Withdrawn.as_str())
    .bind(now_millis())
    .bind(order_id)
    .bind(OfferStatus::Offered.as_str())
    .bind(OfferStatus::Accepted.as_str())
    .execute(conn)
    .await?;
    Ok(held.into_iter().map(|r| r.0).collect())
}

/// The volunteers whose offers of an order are still waiting.
pub async fn waiting_volunteers(conn: &mut Conn, order_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT volunteer_id FROM order_offers WHERE order_id = $1 AND kind = $2 AND status = $3 \
         AND volunteer_id IS NOT NULL ORDER BY volunteer_id",
    )
    .bind(order_id)
    .bind(OfferKind::Volunteer.as_str())
    .bind(OfferStatus::Offered.as_str())
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Withdraws the offers of a round still waiting (after a team or site took the order).
pub async fn withdraw_waiting(conn: &mut Conn, order_id: i64) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE order_offers SET status = $1, decided_at = $2 WHERE order_id = $3 AND status = $4",
    )
    .bind(OfferStatus::Withdrawn.as_str())
    .bind(now_millis())
    .bind(order_id)
    .bind(OfferStatus::Offered.as_str())
    .execute(conn)
    .await?
    .rows_affected())
}

/// How many offers of an order are still waiting or accepted.
pub async fn live_offers(conn: &mut Conn, order_id: i64) -> Result<i64> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM order_offers WHERE order_id = $1 AND status IN ($2, $3)")
            .bind(order_id)
            .bind(OfferStatus::Offered.as_str())
            .bind(OfferStatus::Accepted.as_str())
            .fetch_one(conn)
            .await?;
    Ok(n)
}

/// Whose offers a caller answers.
#[derive(Clone, Debug)]
pub enum OfferScope {
    /// Teams in a path subtree.
    Teams(String),
    Site(i64),
    Volunteer(i64),
}

/// A page of the offers addressed to any of `scopes` (team subtrees, a site, a volunteer), with
/// their orders: live (offered or accepted) ones first, newest first within each (keyset on
/// liveness and the id).
pub async fn offers_for(
    conn: &mut Conn,
    scopes: &[OfferScope],
    page: &SeekRequest,
) -> Result<Seek<OfferRow>> {
    const LIVE: &str = "CASE WHEN f.status IN ('offered','accepted') THEN 1 ELSE 0 END";
    let mut conds = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut ints: Vec<i64> = Vec::new();
    // texts first ($1…), then ints, then the page's own values
    let n_texts: usize = scopes
        .iter()
        .map(|s| if matches!(s, OfferScope::Teams(_)) { 2 } else { 0 })
        .sum();
    for s in scopes {
        match s {
            OfferScope::Teams(p) => {
                let (lo, hi) = prefix_range(p);
                texts.push(lo);
                texts.push(hi);
                conds.push(format!(
                    "(f.kind = 'team' AND g.path >= ${} AND g.path < ${})",
                    texts.len() - 1,
                    texts.len()
                ));
            }
            OfferScope::Site(id) => {
                ints.push(*id);
                conds.push(format!(
                    "(f.kind = 'site' AND f.site_id = ${})",
                    n_texts + ints.len()
                ));
            }
            OfferScope::Volunteer(id) => {
                ints.push(*id);
                conds.push(format!(
                    "(f.kind = 'volunteer' AND f.volunteer_id = ${})",
                    n_texts + ints.len()
                ));
            }
        }
    }
    if conds.is_empty() {
        return Ok(Seek {
            items: Vec::new(),
            per_page: page.per_page,
            next: None,
            prev: None,
        });
    }
    let plan = seek::plan(
        page,
        KeyKind::Int,
        LIVE,
        "f.id",
        true,
        texts.len() + ints.len() + 1,
    )?;
    let sql = format!(
        "{OFFER_SELECT} WHERE ({}){}{}",
        conds.join(" OR "),
        plan.cond,
        plan.order
    );
    let mut q = sqlx::query_as(&sql);
    for t in texts {
        q = q.bind(t);
    }
    for i in ints {
        q = q.bind(i);
    }
    let rows: Vec<OfferRow> = plan.bind(q).fetch_all(conn).await?;
    Ok(plan.finish(rows, |f| {
        let live = matches!(f.status.as_str(), "offered" | "accepted");
        (KeyValue::Int(live as i64), f.id)
    }))
}

// ---------------------------------------------------------------------------------------------
// Service on completed orders and the figures kept for matching and scores

#[derive(Clone, Debug, FromRow, serde::Serialize)]
pub struct ServiceRow {
    pub order_id: i64,
    pub volunteer_id: i64,
    pub volunteer_name: String,
    pub minutes: i64,
    pub record_id: i64,
}

pub async fn insert_service(
    conn: &mut Conn,
    order_id: i64,
    volunteer_id: i64,
    minutes: i64,
    record_id: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO order_service (order_id, volunteer_id, minutes, record_id) VALUES ($1, $2, $3, $4)",
    )
    .bind(order_id)
    .bind(volunteer_id)
    .bind(minutes)
    .bind(record_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn service_of(conn: &mut Conn, order_id: i64) -> Result<Vec<ServiceRow>> {
    Ok(sqlx::query_as(
        "SELECT s.order_id, s.volunteer_id, v.name AS volunteer_name, s.minutes, s.record_id FROM order_service s \
         JOIN volunteers v ON v.id = s.volunteer_id WHERE s.order_id = $1 ORDER BY s.volunteer_id",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?)
}

/// The service on several orders (a page of them), by order and volunteer.
pub async fn service_of_orders(conn: &mut Conn, order_ids: &[i64]) -> Result<Vec<ServiceRow>> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT s.order_id, s.volunteer_id, v.name AS volunteer_name, s.minutes, s.record_id FROM order_service s \
         JOIN volunteers v ON v.id = s.volunteer_id WHERE s.order_id IN ({}) ORDER BY s.order_id, s.volunteer_id",
        in_list(1, order_ids.len())
    );
    let mut q = sqlx::query_as(&sql);
    for id in order_ids {
        q = q.bind(*id);
    }
    Ok(q.fetch_all(conn).await?)
}

/// Adds `delta` to a volunteer's count of orders accepted and not yet completed or cancelled.
pub async fn add_active_orders(conn: &mut Conn, volunteer_id: i64, delta: i64) -> Result<()> {
    sqlx::query("UPDATE volunteers SET active_orders = active_orders + $1 WHERE id = $2")
        .bind(delta)
        .bind(volunteer_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves a volunteer's `last_served_at` forward to `at` (never back).
pub async fn mark_served(conn: &mut Conn, volunteer_id: i64, at: i64) -> Result<()> {
    sqlx::query(
        "UPDATE volunteers SET last_served_at = CASE WHEN last_served_at IS NULL OR last_served_at < $1 \
         THEN $1 ELSE last_served_at END WHERE id = $2",
    )
    .bind(at)
    .bind(volunteer_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn add_volunteer_rating(conn: &mut Conn, volunteer_id: i64, stars: i64) -> Result<()> {
    sqlx::query(
        "UPDATE volunteers SET rating_sum = rating_sum + $1, rating_count = rating_count + 1 WHERE id = $2",
    )
    .bind(stars)
    .bind(volunteer_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn add_org_rating(conn: &mut Conn, org_id: i64, stars: i64) -> Result<()> {
    sqlx::query(
        "UPDATE organizations SET rating_sum = rating_sum + $1, rating_count = rating_count + 1 WHERE id = $2",
    )
    .bind(stars)
    .bind(org_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every volunteer an order involves: offered in any round, or served.
pub async fn volunteers_of_order(conn: &mut Conn, order_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT volunteer_id FROM order_offers WHERE order_id = $1 AND volunteer_id IS NOT NULL \
         UNION SELECT volunteer_id FROM order_service WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// (active_orders, last_served_at, rating_sum, rating_count) of a volunteer.
pub async fn volunteer_figures(conn: &mut Conn, volunteer_id: i64) -> Result<(i64, Option<i64>, i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT active_orders, last_served_at, rating_sum, rating_count FROM volunteers WHERE id = $1",
    )
    .bind(volunteer_id)
    .fetch_one(conn)
    .await?)
}

/// (rating_sum, rating_count) of an organization.
pub async fn org_figures(conn: &mut Conn, org_id: i64) -> Result<(i64, i64)> {
    Ok(
        sqlx::query_as("SELECT rating_sum, rating_count FROM organizations WHERE id = $1")
            .bind(org_id)
            .fetch_one(conn)
            .await?,
    )
}

/// Counts per state of the orders placed in a region prefix, and of the rated ones: how many,
/// the sum of their stars and how many got 4 or 5.
pub async fn stats(conn: &mut Conn, prefix: &str) -> Result<(Vec<(String, i64)>, i64, i64, i64)> {
    let (lo, hi) = prefix_range(prefix);
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM orders WHERE region_code >= $1 AND region_code < $2 GROUP BY status",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_all(&mut *conn)
    .await?;
    let (rated, sum, good): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(rating), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM orders WHERE region_code >= $1 AND region_code < $2 AND rating IS NOT NULL",
    )
    .bind(&lo)
    .bind(&hi)
    .fetch_one(conn)
    .await?;
    Ok((counts, rated, sum, good))
}

// ---------------------------------------------------------------------------------------------
// The practice network as orders see it

/// The sites registered on exactly this region code.
pub async fn sites_at(conn: &mut Conn, region_code: &str) -> Result<Vec<crate::network::sites::SiteRow>> {
    Ok(sqlx::query_as(&format!(
        "{} WHERE s.region_code = $1 ORDER BY s.id",
        crate::network::sites::SELECT
    ))
    .bind(region_code)
    .fetch_all(conn)
    .await?)
}

/// The sites directly below a site.
pub async fn child_sites(conn: &mut Conn, site_id: i64) -> Result<Vec<crate::network::sites::SiteRow>> {
    Ok(sqlx::query_as(&format!(
        "{} WHERE s.parent_id = $1 ORDER BY s.region_code, s.id",
        crate::network::sites::SELECT
    ))
    .bind(site_id)
    .fetch_all(conn)
    .await?)
}

/// The organization attached to a site that sits highest in its tree (the site's own
/// volunteer organization), as (id, name).
pub async fn org_of_site(conn: &mut Conn, site_id: i64) -> Result<Option<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, name FROM organizations WHERE site_id = $1 AND dissolved_at IS NULL \
         ORDER BY LENGTH(path), id LIMIT 1",
    )
    .bind(site_id)
    .fetch_optional(conn)
    .await?)
}

/// Orders a team still has to answer or serve: offers to it waiting for an answer, and orders it
/// accepted and has not completed.
pub async fn open_for_team(conn: &mut Conn, org_id: i64) -> Result<i64> {
    let (offers,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM order_offers WHERE org_id = $1 AND status = $2")
            .bind(org_id)
            .bind(OfferStatus::Offered.as_str())
            .fetch_one(&mut *conn)
            .await?;
    let (held,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM orders WHERE team_id = $1 AND status = $2")
        .bind(org_id)
        .bind(OrderStatus::Accepted.as_str())
        .fetch_one(conn)
        .await?;
    Ok(offers + held)
}

/// Teams and organizations whose region lies in a prefix, shallowest first.
pub async fn orgs_in(conn: &mut Conn, prefix: &str, limit: i64) -> Result<Vec<(i64, String, String)>> {
    let (lo, hi) = prefix_range(prefix);
    Ok(sqlx::query_as(
        "SELECT id, name, path FROM organizations WHERE region_code >= $1 AND region_code < $2 \
         AND dissolved_at IS NULL ORDER BY LENGTH(path), id LIMIT $3",
    )
    .bind(lo)
    .bind(hi)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Moves an order's time window (demo data: an order that took place already; tests).
pub async fn move_window(conn: &mut Conn, id: i64, start: i64, end: i64) -> Result<()> {
    sqlx::query("UPDATE orders SET window_start = $1, window_end = $2 WHERE id = $3")
        .bind(start)
        .bind(end)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
