//! Residents' needs (点单·派单·接单·评单). A resident orders an item from the service menu of the
//! site covering the place; that site's office dispatches it to teams, a station or volunteers
//! (or rejects it); the first team or site to accept holds it, volunteers take seats up to the
//! headcount; completion turns the minutes served into service records on the volunteers'
//! chains; the resident rates it. Overdue orders go one site level up with a notice.

pub mod accept;
pub mod dispatch;
pub mod escalate;
pub mod export;
pub mod matching;
pub mod menus;
pub mod policy;
pub mod rate;
pub mod submit;

context_handle!(
    /// The orders context's use cases (`app.orders()`).
    Orders
);

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::auth::SiteLevel;
use zhiyuan_domain::network::geo::valid_point;
use zhiyuan_domain::network::{RegionCode, RegionLevel};
use zhiyuan_domain::notices::NoticeKind;
use zhiyuan_domain::orders::{
    self as rules, check_people, check_rating, AssigneeKind, OfferKind, OfferStatus, OrderAction,
    OrderStatus, Satisfaction, ServiceWindow, ACCEPT_WITHIN,
};
use zhiyuan_domain::phone::Phone;
use zhiyuan_domain::service::{format_hours, is_late_entry};
use zhiyuan_domain::tags::{category_by_code, category_by_code_or_label, parse_skills};
use zhiyuan_domain::DomainError;
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::network::sites::{self, SiteRow};
use zhiyuan_store::notices::Recipient;
use zhiyuan_store::orders::{
    self as store, Holder, NewMenuItem, NewOrder, OfferRow, OfferScope, OrderRow, ServiceRow, Target,
};
use zhiyuan_store::people::volunteers::{self, Visibility};
use zhiyuan_store::seek::{Seek, SeekRequest};
use zhiyuan_store::service::signups::lock_volunteer;
use zhiyuan_store::{network::orgs, network::regions, now_millis, Conn};

use crate::access::{site_prefix, Caller, Scope};
use crate::error::{AppError, AppResult, FieldError};
use crate::service::projects::{iso, parse_instant};
use crate::service::records::{append, Draft};
use crate::text::{name_text, optional_prose, prose, text};
use crate::work::{AfterCommit, Bookkeeping};
use crate::{show_time, TZ};

// ---------------------------------------------------------------------------------------------
// Views and inputs

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MenuItemView {
    pub id: i64,
    pub site_id: Option<i64>,
    pub category: String,
    pub category_label: String,
    pub name: String,
    pub description: String,
    pub skills: Vec<String>,
    pub active: bool,
    pub position: i64,
}

impl From<store::MenuItemRow> for MenuItemView {
    fn from(m: store::MenuItemRow) -> Self {
        MenuItemView {
            id: m.id,
            site_id: m.site_id,
            category_label: category_by_code(&m.category)
                .map(|c| c.label)
                .unwrap_or("")
                .to_owned(),
            category: m.category,
            name: m.name,
            description: m.description,
            skills: split(&m.skills),
            active: m.active != 0,
            position: m.position,
        }
    }
}

/// A site's menu as residents and its admin see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MenuView {
    pub site_id: i64,
    pub site_name: String,
    /// Whether the site keeps a menu of its own (else it uses `source_name`'s).
    pub own: bool,
    /// Whose menu this is: the site, an ancestor site, or 默认菜单.
    pub source_name: String,
    pub items: Vec<MenuItemView>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct MenuItemInput {
    /// Service category code or Chinese label.
    pub category: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Required skills.
    #[serde(default)]
    pub skills: Vec<String>,
    /// On the menu (default true).
    pub active: Option<bool>,
    pub position: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct OrderInput {
    pub item_id: i64,
    /// The 12-digit code of the community (or township) where the service is wanted.
    pub region_code: String,
    pub address: String,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
    /// RFC 3339, or Beijing local `YYYY-MM-DDTHH:MM`.
    pub window_start: String,
    pub window_end: String,
    #[schema(minimum = 1, maximum = 50)]
    pub people: i64,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub notes: String,
    /// Defaults to the caller's name.
    #[serde(default)]
    pub contact_name: String,
    /// Defaults to the phone the caller logged in with.
    #[serde(default)]
    pub contact_phone: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OfferView {
    pub id: i64,
    pub order_id: i64,
    pub round: i64,
    /// team / site / volunteer
    #[schema(value_type = String)]
    pub kind: OfferKind,
    pub target_id: i64,
    pub target_name: String,
    #[schema(value_type = String)]
    pub status: OfferStatus,
    pub status_label: String,
    pub note: String,
    pub created_at: String,
    /// Whether this offer is of the order's current dispatch round.
    pub current: bool,
}

fn offer_view(o: OfferRow, round: i64) -> OfferView {
    let (target_id, target_name) = match o.kind {
        OfferKind::Team => (o.org_id.unwrap_or(0), o.org_name.unwrap_or_default()),
        OfferKind::Site => (o.site_id.unwrap_or(0), o.site_name.unwrap_or_default()),
        OfferKind::Volunteer => (o.volunteer_id.unwrap_or(0), o.volunteer_name.unwrap_or_default()),
    };
    OfferView {
        id: o.id,
        order_id: o.order_id,
        current: o.round == round,
        round: o.round,
        target_id,
        target_name,
        status_label: o.status.label_zh().to_owned(),
        status: o.status,
        kind: o.kind,
        note: o.note,
        created_at: show_time(o.created_at),
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ServedView {
    pub volunteer_id: i64,
    pub volunteer_name: String,
    pub minutes: i64,
    pub hours: String,
    pub record_id: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub category: String,
    pub category_label: String,
    pub skills: Vec<String>,
    #[schema(value_type = String)]
    pub status: OrderStatus,
    pub status_label: String,
    pub region_code: String,
    pub region_name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// RFC 3339.
    pub window_start: String,
    pub window_end: String,
    /// Beijing time, for people.
    pub window_text: String,
    pub people: i64,
    pub notes: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// The office handling the order.
    pub site_id: i64,
    pub site_name: String,
    pub escalations: i64,
    pub deadline: Option<String>,
    pub round: i64,
    /// team / site / volunteers, once dispatched.
    #[schema(value_type = Option<String>)]
    pub assignee_kind: Option<AssigneeKind>,
    pub assignee_label: String,
    /// Who holds it: the accepting team or site (volunteers: see `offers`).
    pub holder: String,
    pub team_id: Option<i64>,
    pub holder_site_id: Option<i64>,
    pub organizer_name: String,
    pub accepted_count: i64,
    pub reject_reason: String,
    pub cancel_reason: String,
    pub report: String,
    #[schema(minimum = 1, maximum = 5)]
    pub rating: Option<i64>,
    pub rating_comment: String,
    pub submitted_at: String,
    pub dispatched_at: Option<String>,
    pub accepted_at: Option<String>,
    pub completed_at: Option<String>,
    pub rated_at: Option<String>,
    pub offers: Vec<OfferView>,
    pub served: Vec<ServedView>,
    pub mine: bool,
    /// What the caller may do now (dispatch, reject, cancel, complete, rate): the orders
    /// policy's answer, the same one the use cases enforce.
    #[schema(value_type = Vec<String>)]
    pub can: Vec<OrderAction>,
}

impl OrderView {
    /// Whether the caller may do `action` now (see [`OrderView::can`]).
    pub fn can_do(&self, action: OrderAction) -> bool {
        self.can.contains(&action)
    }
}

/// 派单: to teams (the first to accept holds it), to a station below the office, or directly
/// to volunteers (up to the headcount take seats).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct DispatchInput {
    /// team / site / volunteers
    pub target: String,
    #[serde(default)]
    pub team_ids: Vec<i64>,
    pub site_id: Option<i64>,
    #[serde(default)]
    pub volunteer_ids: Vec<i64>,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ReasonInput {
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reason: String,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ServedLine {
    pub volunteer_id: i64,
    /// Minutes actually served (travel excluded); rounded by the configured rule.
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: i64,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct CompletionInput {
    #[schema(max_length = 1000)]
    pub report: String,
    #[serde(default)]
    pub minutes: Vec<ServedLine>,
    /// More volunteers, by their volunteer number (编号) as people know them.
    #[serde(default)]
    pub by_number: Vec<ServedByNumber>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ServedByNumber {
    #[schema(max_length = 20)]
    pub volunteer_no: String,
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: i64,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct RatingInput {
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub comment: String,
}

/// A dispatch choice.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TargetChoice {
    pub id: i64,
    pub name: String,
    pub note: String,
}

/// A volunteer suggested for an order by the matching engine, shown beside the manual choice on
/// the dispatch screen, with the figures that ranked them.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SuggestedVolunteer {
    pub volunteer_id: i64,
    pub name: String,
    pub volunteer_no: String,
    /// Why, for people: distance, skills, availability, current load, rating, last service.
    pub reason: String,
    /// Metres from the place of the order.
    pub distance_m: i64,
    /// Orders accepted and not yet finished.
    pub load: u32,
    /// Prior-smoothed average rating, 1–5.
    pub rating: f64,
    pub rating_count: u32,
    /// Whole days since the last service; none when never served.
    pub days_since_served: Option<i64>,
    /// The matching score (higher is better), see `zhiyuan_matching`.
    pub score: f64,
}

/// Suggestions are sought within this radius of the place first (就近就便) …
pub const SUGGEST_RADIUS_M: f64 = 5_000.0;
/// … and within this one when nobody qualifies nearer.
pub const SUGGEST_WIDE_RADIUS_M: f64 = 20_000.0;
/// How many volunteers are suggested.
pub const SUGGEST_COUNT: usize = 10;
/// At most this many volunteers in the caller's reach are read to match among (a district's).
pub const SUGGEST_REACH_MAX: i64 = 200_000;
/// Volunteers already holding this many orders are not suggested.
pub const SUGGEST_MAX_LOAD: u32 = 3;

/// What the dispatch screen offers for one order.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DispatchOptions {
    pub order: OrderView,
    /// Teams and organizations in the office's region.
    pub teams: Vec<TargetChoice>,
    /// Sites below the handling office that cover the place.
    pub sites: Vec<TargetChoice>,
    /// Suggested volunteers (best matches first); see [`SuggestedVolunteer`].
    pub suggested: Vec<SuggestedVolunteer>,
    /// How the suggestions were sought, or why there are none.
    pub suggest_note: String,
}

/// An offer addressed to the caller, with its order.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OfferTask {
    pub offer: OfferView,
    pub order: OrderView,
    /// Whether the caller may still accept or decline it.
    pub open: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StatusCount {
    pub status: String,
    pub label: String,
    pub count: i64,
}

/// Order figures of a region, for dashboards.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrderStats {
    pub region_prefix: String,
    pub total: i64,
    /// Every state, in life order, zero counts included.
    pub counts: Vec<StatusCount>,
    pub rated: i64,
    pub average_rating: Option<f64>,
    /// Share of rated orders with 4 or 5 stars, 0–100.
    pub good_percent: Option<f64>,
}

/// A one-time code was issued.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PhoneCodeIssued {
    pub phone_masked: String,
    pub expires_at: String,
    /// Demo mode only: the code itself, shown instead of being sent by SMS.
    pub demo_code: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Conflict {
        code,
        field: None,
        message: message.into(),
    }
}

/// A refused state change is a conflict with what is stored, not bad input.
fn state_err(e: DomainError) -> AppError {
    conflict(e.code(), e.to_string())
}

/// The instant as a Beijing date.
fn beijing_date(ms: i64) -> chrono::NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .with_timezone(&TZ)
        .date_naive()
}

fn order_audit(
    caller: Option<&Caller>,
    action: AuditAction,
    o: &OrderRow,
    after: serde_json::Value,
) -> NewAudit {
    NewAudit {
        actor_id: caller.map(|c| c.account_id),
        actor_name: caller
            .map(|c| c.display_name.clone())
            .unwrap_or_else(|| "系统".into()),
        action,
        entity_id: o.id.to_string(),
        region_code: Some(o.region_code.clone()),
        org_path: o.team_path.clone(),
        before: Some(serde_json::json!({"status": o.status, "site_id": o.site_id, "round": o.round})),
        after: Some(after),
    }
}

/// The site covering a place: the deepest site registered on the place's community, township or
/// county code (station before institute before center).
async fn covering_site(conn: &mut Conn, code: &RegionCode) -> AppResult<Option<SiteRow>> {
    let rank = |s: &SiteRow| match SiteLevel::parse(&s.level) {
        Some(SiteLevel::Station) => 0,
        Some(SiteLevel::Institute) => 1,
        _ => 2,
    };
    for level in [RegionLevel::Village, RegionLevel::Township, RegionLevel::County] {
        let Some(at) = code.ancestor_at(level) else {
            continue;
        };
        if at.level() != level {
            continue;
        }
        let mut found = store::sites_at(conn, at.as_str()).await?;
        found.sort_by_key(|s| (rank(s), s.id));
        if let Some(s) = found.into_iter().next() {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// The menu a site uses: its own items, else its nearest ancestor's, else the default menu.
async fn effective_menu(conn: &mut Conn, site: &SiteRow) -> AppResult<MenuView> {
    let mut at = Some(site.clone());
    let mut hops = 0;
    while let Some(s) = at {
        let items = store::menu_of(conn, Some(s.id)).await?;
        if !items.is_empty() {
            return Ok(MenuView {
                site_id: site.id,
                site_name: site.name.clone(),
                own: s.id == site.id,
                source_name: s.name.clone(),
                items: items.into_iter().map(Into::into).collect(),
            });
        }
        hops += 1;
        at = match s.parent_id {
            Some(p) if hops < 10 => sites::get(conn, p).await?,
            _ => None,
        };
    }
    Ok(MenuView {
        site_id: site.id,
        site_name: site.name.clone(),
        own: false,
        source_name: "默认菜单".into(),
        items: store::menu_of(conn, None)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    })
}

/// The organizing unit for records of a site's own service: the organization attached to the
/// site or, failing that, to the nearest site above it.
async fn site_organizer(conn: &mut Conn, site_id: i64) -> AppResult<(i64, String)> {
    let mut at = Some(site_id);
    let mut hops = 0;
    while let Some(id) = at {
        if let Some(o) = store::org_of_site(conn, id).await? {
            return Ok(o);
        }
        hops += 1;
        at = match sites::get(conn, id).await? {
            Some(s) if hops < 10 => s.parent_id,
            _ => None,
        };
    }
    Err(conflict(
        "site_has_no_organization",
        "本阵地及上级阵地均未登记志愿服务组织，无法为服务时长署名，请先登记组织",
    ))
}

impl Orders<'_> {
    /// The end of every order write: the audit entry, the order as it now is, the commit, and
    /// the volunteers it involves refreshed in the matching index.
    async fn finish_order(
        &self,
        mut tx: crate::work::Work,
        caller: &Caller,
        id: i64,
        entry: NewAudit,
    ) -> AppResult<OrderView> {
        tx.audit(entry).await?;
        let o = self.order_row(&mut tx, id).await?;
        let v = self.order_view(&mut tx, Some(caller), o).await?;
        tx.after_commit(AfterCommit::RefreshOrderVolunteers(v.id));
        tx.commit(self).await?;
        Ok(v)
    }

    async fn order_view(
        &self,
        conn: &mut Conn,
        caller: Option<&Caller>,
        o: OrderRow,
    ) -> AppResult<OrderView> {
        let offers = store::offers_of(conn, o.id).await?;
        let served = store::service_of(conn, o.id).await?;
        self.build_order_view(caller, o, offers, served)
    }

    /// The views of a page of orders in two queries whatever its length: the offers and the
    /// service of all its orders at once (one by one they cost two queries per order).
    async fn order_views(
        &self,
        conn: &mut Conn,
        caller: Option<&Caller>,
        rows: Vec<OrderRow>,
    ) -> AppResult<Vec<OrderView>> {
        let mut ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut offers: HashMap<i64, Vec<OfferRow>> = HashMap::new();
        for f in store::offers_of_orders(conn, &ids).await? {
            offers.entry(f.order_id).or_default().push(f);
        }
        let mut served: HashMap<i64, Vec<ServiceRow>> = HashMap::new();
        for x in store::service_of_orders(conn, &ids).await? {
            served.entry(x.order_id).or_default().push(x);
        }
        rows.into_iter()
            .map(|o| {
                let (f, x) = (offers.get(&o.id), served.get(&o.id));
                let (f, x) = (f.cloned().unwrap_or_default(), x.cloned().unwrap_or_default());
                self.build_order_view(caller, o, f, x)
            })
            .collect()
    }

    /// An order's view from its row, its offers (newest round first) and its service (by
    /// volunteer).
    fn build_order_view(
        &self,
        caller: Option<&Caller>,
        o: OrderRow,
        offers: Vec<OfferRow>,
        served: Vec<ServiceRow>,
    ) -> AppResult<OrderView> {
        let status = o.status;
        let can = caller
            .map(|c| policy::available(c, &o, &offers))
            .unwrap_or_default();
        let kind = o.assignee_kind.as_deref().and_then(AssigneeKind::parse);
        let holder = match kind {
            Some(AssigneeKind::Team) => o.team_name.clone().unwrap_or_default(),
            Some(AssigneeKind::Site) => o.holder_site_name.clone().unwrap_or_default(),
            Some(AssigneeKind::Volunteers) => offers
                .iter()
                .filter(|f| f.round == o.round && f.status == OfferStatus::Accepted)
                .filter_map(|f| f.volunteer_name.clone())
                .collect::<Vec<_>>()
                .join("、"),
            None => String::new(),
        };
        let category_label = category_by_code(&o.category)
            .map(|c| c.label)
            .unwrap_or("")
            .to_owned();
        Ok(OrderView {
            id: o.id,
            item_id: o.item_id,
            item_name: o.item_name,
            category: o.category,
            category_label,
            skills: split(&o.skills),
            status,
            status_label: status.label_zh().to_owned(),
            region_code: o.region_code,
            region_name: o.region_name,
            address: o.address,
            lat: o.lat,
            lon: o.lon,
            window_start: iso(o.window_start),
            window_end: iso(o.window_end),
            window_text: format!("{} 至 {}", show_time(o.window_start), show_time(o.window_end)),
            people: o.people,
            notes: o.notes,
            contact_name: o.contact_name,
            contact_phone: o.contact_phone,
            site_id: o.site_id,
            site_name: o.site_name,
            escalations: o.escalations,
            deadline: o.deadline_at.map(show_time),
            round: o.round,
            assignee_label: kind.map(|k| k.label_zh()).unwrap_or("").to_owned(),
            assignee_kind: o.assignee_kind.as_deref().and_then(AssigneeKind::parse),
            holder,
            team_id: o.team_id,
            holder_site_id: o.holder_site_id,
            organizer_name: o.organizer_name,
            accepted_count: o.accepted_count,
            reject_reason: o.reject_reason,
            cancel_reason: o.cancel_reason,
            report: o.report,
            rating: o.rating,
            rating_comment: o.rating_comment,
            submitted_at: show_time(o.submitted_at),
            dispatched_at: o.dispatched_at.map(show_time),
            accepted_at: o.accepted_at.map(show_time),
            completed_at: o.completed_at.map(show_time),
            rated_at: o.rated_at.map(show_time),
            offers: offers.into_iter().map(|f| offer_view(f, o.round)).collect(),
            served: served
                .into_iter()
                .map(|s| ServedView {
                    volunteer_id: s.volunteer_id,
                    volunteer_name: s.volunteer_name,
                    hours: format_hours(s.minutes),
                    minutes: s.minutes,
                    record_id: s.record_id,
                })
                .collect(),
            mine: caller.is_some_and(|c| c.account_id == o.resident_account_id),
            can,
        })
    }

    async fn order_row(&self, conn: &mut Conn, id: i64) -> AppResult<OrderRow> {
        store::get(conn, id).await?.ok_or(AppError::NotFound("点单"))
    }

    /// The caller's own orders, newest first (a keyset page).
    pub async fn my_orders(&self, caller: &Caller, page: &SeekRequest) -> AppResult<Seek<OrderView>> {
        let mut conn = self.conn().await?;
        let mut p = store::of_resident(&mut conn, caller.account_id, page).await?;
        let items = self
            .order_views(&mut conn, Some(caller), std::mem::take(&mut p.items))
            .await?;
        Ok(p.with_items(items))
    }

    /// One order, for its resident, the offices handling it and those it was dispatched to.
    pub async fn order(&self, caller: &Caller, id: i64) -> AppResult<OrderView> {
        let mut conn = self.conn().await?;
        let o = self.order_row(&mut conn, id).await?;
        let offers = store::offers_of(&mut conn, id).await?;
        if !policy::may_view(caller, &o, &offers) {
            return Err(AppError::Forbidden);
        }
        self.order_view(&mut conn, Some(caller), o).await
    }

    /// An office's queue: orders in its region that it handles, in the given states (all when
    /// empty), earliest window first (a keyset page).
    pub async fn order_queue(
        &self,
        caller: &Caller,
        statuses: &[OrderStatus],
        page: &SeekRequest,
    ) -> AppResult<Seek<OrderView>> {
        caller.require_admin()?;
        let prefix = caller.region_prefix().ok_or(AppError::Forbidden)?.to_owned();
        let mut conn = self.conn().await?;
        let mut p = store::queue(&mut conn, &prefix, statuses, page).await?;
        let items = self
            .order_views(&mut conn, Some(caller), std::mem::take(&mut p.items))
            .await?;
        Ok(p.with_items(items))
    }

    /// Counts per state, average rating and the share rated ≥ 4 of the orders placed in a
    /// region prefix within the caller's scope (the caller's whole scope when `prefix` is empty).
    pub async fn order_stats(&self, caller: &Caller, prefix: &str) -> AppResult<OrderStats> {
        caller.require_admin()?;
        let own = caller.region_prefix().ok_or(AppError::Forbidden)?;
        let prefix = prefix.trim();
        let prefix = if prefix.is_empty() { own } else { prefix };
        if !zhiyuan_domain::network::is_valid_prefix(prefix) {
            return Err(DomainError::RegionCode.into());
        }
        if !prefix.starts_with(own) {
            return Err(AppError::Forbidden);
        }
        let mut conn = self.conn().await?;
        let (counts, rated, sum, good) = store::stats(&mut conn, prefix).await?;
        let s = Satisfaction::of(rated, sum, good);
        let counts: Vec<StatusCount> = OrderStatus::ALL
            .iter()
            .map(|st| StatusCount {
                status: st.as_str().to_owned(),
                label: st.label_zh().to_owned(),
                count: counts
                    .iter()
                    .find(|c| c.0 == st.as_str())
                    .map(|c| c.1)
                    .unwrap_or(0),
            })
            .collect();
        Ok(OrderStats {
            region_prefix: prefix.to_owned(),
            total: counts.iter().map(|c| c.count).sum(),
            counts,
            rated: s.rated,
            average_rating: s.average,
            good_percent: s.good_percent,
        })
    }
}

fn menu_audit(caller: &Caller, site: &SiteRow, action: AuditAction, id: i64, m: &NewMenuItem) -> NewAudit {
    NewAudit {
        actor_id: Some(caller.account_id),
        actor_name: caller.display_name.clone(),
        action,
        entity_id: id.to_string(),
        region_code: Some(site.region_code.clone()),
        org_path: None,
        before: None,
        after: Some(
            serde_json::json!({"site_id": site.id, "name": m.name, "category": m.category,
            "skills": m.skills, "active": m.active}),
        ),
    }
}

fn uncovered_field() -> FieldError {
    FieldError::new(
        "region_code",
        "order_place_uncovered",
        "该地点不在任何新时代文明实践阵地的服务范围内",
    )
}

fn uncovered() -> AppError {
    AppError::Invalid(vec![uncovered_field()])
}

fn unknown_item() -> FieldError {
    FieldError::new(
        "item_id",
        "order_item_unknown",
        "所选服务项目不存在或不在当地服务菜单中",
    )
}

/// The screen's line for one match.
fn suggestion(
    h: &crate::orders::matching::Hit,
    name: &str,
    no: &str,
    skills: &[String],
) -> SuggestedVolunteer {
    let r = &h.reason;
    let days = r.days_since_served.map(|d| d.floor() as i64);
    let mut parts = vec![format!("距离 {:.1} 公里", r.distance_m / 1000.0)];
    if !skills.is_empty() {
        parts.push(format!("具备{}", skills.join("、")));
    }
    parts.push("该时段有空".into());
    parts.push(format!("进行中 {} 单", r.load));
    parts.push(if r.rating_count == 0 {
        "暂无评价".into()
    } else {
        format!("评分 {:.1}（{} 次）", r.rating, r.rating_count)
    });
    parts.push(match days {
        None => "尚无服务记录".into(),
        Some(0) => "今天刚服务过".into(),
        Some(d) => format!("{d} 天前服务过"),
    });
    SuggestedVolunteer {
        volunteer_id: h.id,
        name: name.to_owned(),
        volunteer_no: no.to_owned(),
        reason: parts.join(" · "),
        distance_m: r.distance_m.round() as i64,
        load: r.load,
        rating: (r.rating * 10.0).round() / 10.0,
        rating_count: r.rating_count,
        days_since_served: days,
        score: h.score,
    }
}
