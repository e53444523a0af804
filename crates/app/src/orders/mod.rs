//! Residents' needs (点单·派单·接单·评单). A resident orders an item from the service menu of the
//! site covering the place; that site's office dispatches it to teams, a station or volunteers
//! (or rejects it); the first team or site to accept holds it, volunteers take seats up to the
//! headcount; completion turns the minutes served into service records on the volunteers'
//! chains; the resident rates it. Overdue orders go one site level up with a notice.

pub mod matching;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::auth::{Role, SiteLevel};
use zhiyuan_domain::network::geo::valid_point;
use zhiyuan_domain::network::{RegionCode, RegionLevel};
use zhiyuan_domain::notices::NoticeKind;
use zhiyuan_domain::orders::{
    self as rules, check_people, check_rating, is_code_format, AssigneeKind, OfferStatus, OrderAction,
    OrderStatus, Satisfaction, ServiceWindow, ACCEPT_WITHIN,
};
use zhiyuan_domain::phone::Phone;
use zhiyuan_domain::service::{format_hours, is_late_entry};
use zhiyuan_domain::tags::{category_by_code, category_by_code_or_label, parse_skills};
use zhiyuan_domain::DomainError;
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::auth::phone_codes;
use zhiyuan_store::network::sites::{self, SiteRow};
use zhiyuan_store::notices::Recipient;
use zhiyuan_store::orders::{
    self as store, NewMenuItem, NewOrder, OfferRow, OfferScope, OrderChange, OrderRow, ServiceRow, Target,
};
use zhiyuan_store::people::volunteers::{self, Visibility};
use zhiyuan_store::seek::{Seek, SeekRequest};
use zhiyuan_store::service::signups::lock_volunteer;
use zhiyuan_store::{auth::accounts, auth::sessions, network::orgs, network::regions, now_millis, Conn};

use crate::access::{site_prefix, Caller, Scope};
use crate::error::{AppError, AppResult, FieldError};
use crate::service::projects::{iso, parse_instant};
use crate::service::records::{append, Draft};
use crate::text::{name_text, optional_prose, prose, text};
use crate::work::{AfterCommit, Bookkeeping};
use crate::{show_time, App, TZ};

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
    pub kind: String,
    pub target_id: i64,
    pub target_name: String,
    pub status: String,
    pub status_label: String,
    pub note: String,
    pub created_at: String,
    /// Whether this offer is of the order's current dispatch round.
    pub current: bool,
}

fn offer_view(o: OfferRow, round: i64) -> OfferView {
    let (target_id, target_name) = match o.kind.as_str() {
        "team" => (o.org_id.unwrap_or(0), o.org_name.unwrap_or_default()),
        "site" => (o.site_id.unwrap_or(0), o.site_name.unwrap_or_default()),
        _ => (o.volunteer_id.unwrap_or(0), o.volunteer_name.unwrap_or_default()),
    };
    OfferView {
        id: o.id,
        order_id: o.order_id,
        current: o.round == round,
        round: o.round,
        target_id,
        target_name,
        status_label: OfferStatus::parse(&o.status)
            .map(|s| s.label_zh())
            .unwrap_or("")
            .to_owned(),
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
    pub status: String,
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
    pub assignee_kind: Option<String>,
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
    /// What the caller may do now: dispatch, reject, cancel, complete, rate.
    pub can: Vec<String>,
}

impl OrderView {
    /// Whether the caller may do `what` now (see [`OrderView::can`]).
    pub fn can_do(&self, what: &str) -> bool {
        self.can.iter().any(|c| c == what)
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

fn status_of(o: &OrderRow) -> AppResult<OrderStatus> {
    OrderStatus::parse(&o.status).ok_or_else(|| AppError::Internal(format!("order {} has bad status", o.id)))
}

/// Whether the caller's office handles the order: a region admin covering the place, or a site
/// admin whose site is the handling site or above it (escalation moves an order out of a lower
/// office's reach).
fn may_handle(caller: &Caller, o: &OrderRow) -> bool {
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
fn answers(caller: &Caller, f: &OfferRow) -> bool {
    match (f.kind.as_str(), &caller.scope) {
        ("team", Scope::Team { path, .. }) => f
            .org_path
            .as_deref()
            .is_some_and(|p| p.starts_with(path.as_str())),
        ("site", Scope::Site { site_id, .. }) => f.site_id == Some(*site_id),
        ("volunteer", _) => caller.volunteer_id.is_some() && f.volunteer_id == caller.volunteer_id,
        _ => false,
    }
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

impl App {
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
        let status = status_of(&o)?;
        let mut can = Vec::new();
        if let Some(c) = caller {
            let mine = c.account_id == o.resident_account_id;
            let handles = may_handle(c, &o);
            if handles && status.after(OrderAction::Dispatch).is_ok() {
                can.push("dispatch".to_owned());
            }
            if handles && status.after(OrderAction::Reject).is_ok() {
                can.push("reject".to_owned());
            }
            if (handles || mine) && status.after(OrderAction::Cancel).is_ok() {
                can.push("cancel".to_owned());
            }
            if status == OrderStatus::Accepted && self.may_complete(c, &o, &offers) {
                can.push("complete".to_owned());
            }
            if mine && status == OrderStatus::Completed {
                can.push("rate".to_owned());
            }
        }
        let kind = o.assignee_kind.as_deref().and_then(AssigneeKind::parse);
        let holder = match kind {
            Some(AssigneeKind::Team) => o.team_name.clone().unwrap_or_default(),
            Some(AssigneeKind::Site) => o.holder_site_name.clone().unwrap_or_default(),
            Some(AssigneeKind::Volunteers) => offers
                .iter()
                .filter(|f| f.round == o.round && f.status == "accepted")
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
            status: status.as_str().to_owned(),
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
            assignee_kind: o.assignee_kind,
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

    /// Who completes an accepted order: the holding team's admin, the holding site's admin, or
    /// (for volunteer orders) a volunteer who took a seat.
    fn may_complete(&self, c: &Caller, o: &OrderRow, offers: &[OfferRow]) -> bool {
        match o.assignee_kind.as_deref() {
            Some("team") => matches!(&c.scope, Scope::Team { path, .. }
                if o.team_path.as_deref().is_some_and(|p| p.starts_with(path.as_str()))),
            Some("site") => {
                matches!(&c.scope, Scope::Site { site_id, .. } if Some(*site_id) == o.holder_site_id)
            }
            Some("volunteers") => c.volunteer_id.is_some_and(|v| {
                offers
                    .iter()
                    .any(|f| f.round == o.round && f.status == "accepted" && f.volunteer_id == Some(v))
            }),
            _ => false,
        }
    }

    /// Whether the caller may read the order.
    fn may_view(&self, c: &Caller, o: &OrderRow, offers: &[OfferRow]) -> bool {
        c.account_id == o.resident_account_id
            || may_handle(c, o)
            || offers.iter().any(|f| answers(c, f))
            || self.may_complete(c, o, offers)
    }

    async fn order_row(&self, conn: &mut Conn, id: i64) -> AppResult<OrderRow> {
        store::get(conn, id).await?.ok_or(AppError::NotFound("点单"))
    }

    // -----------------------------------------------------------------------------------------
    // Menus

    /// Puts the default menu in place on a database that has none (idempotent).
    pub async fn ensure_default_menu(&self) -> AppResult<usize> {
        let mut conn = self.conn().await?;
        if !store::menu_of(&mut conn, None).await?.is_empty() {
            return Ok(0);
        }
        drop(conn);
        let mut tx = self.bookkeeping(Bookkeeping::ReferenceData).await?;
        if !store::menu_of(&mut tx, None).await?.is_empty() {
            return Ok(0);
        }
        for (i, (cat, name, skills)) in rules::DEFAULT_MENU.iter().enumerate() {
            store::insert_menu_item(
                &mut tx,
                &NewMenuItem {
                    site_id: None,
                    category: (*cat).to_owned(),
                    name: (*name).to_owned(),
                    description: String::new(),
                    skills: skills.join(","),
                    active: true,
                    position: i as i64,
                },
            )
            .await?;
        }
        tx.commit(self).await?;
        Ok(rules::DEFAULT_MENU.len())
    }

    /// The menu residents order from at a place, with the site covering it.
    pub async fn menu_for_region(&self, region_code: &str) -> AppResult<MenuView> {
        let code = RegionCode::parse(region_code)?;
        let mut conn = self.conn().await?;
        let site = covering_site(&mut conn, &code).await?.ok_or_else(uncovered)?;
        let mut m = effective_menu(&mut conn, &site).await?;
        m.items.retain(|i| i.active);
        Ok(m)
    }

    /// The places a resident can order at: townships and communities, in code order (each
    /// township followed by its communities).
    pub async fn order_places(&self) -> AppResult<Vec<crate::network::RegionView>> {
        let mut conn = self.conn().await?;
        let mut rows = regions::by_levels(&mut conn, &["township", "village"]).await?;
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// A site's menu, inactive items included (public: menus are published information).
    pub async fn site_menu(&self, site_id: i64) -> AppResult<MenuView> {
        let mut conn = self.conn().await?;
        let site = sites::get(&mut conn, site_id)
            .await?
            .ok_or(AppError::NotFound("阵地"))?;
        effective_menu(&mut conn, &site).await
    }

    async fn menu_site_for_admin(
        &self,
        conn: &mut Conn,
        caller: &Caller,
        site_id: i64,
    ) -> AppResult<SiteRow> {
        let site = sites::get(conn, site_id)
            .await?
            .ok_or(AppError::NotFound("阵地"))?;
        if !caller.is_admin() || !caller.covers_region(&site.region_code) {
            return Err(AppError::Forbidden);
        }
        Ok(site)
    }

    fn check_menu_input(input: &MenuItemInput) -> AppResult<NewMenuItem> {
        let mut errs = Vec::new();
        let name = text("name", "服务项目名称", &input.name, 40, &mut errs);
        let category = match category_by_code_or_label(&input.category) {
            Some(c) => c.code.to_owned(),
            None => {
                errs.push(DomainError::ServiceCategory(input.category.trim().to_owned()).into());
                String::new()
            }
        };
        if input.description.chars().count() > 500 {
            errs.push(FieldError::new(
                "description",
                "text_invalid",
                "服务说明不超过500字",
            ));
        }
        let skills = match parse_skills(&input.skills.join(",")) {
            Ok(s) => s.join(","),
            Err(e) => {
                errs.push(e.into());
                String::new()
            }
        };
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        Ok(NewMenuItem {
            site_id: None,
            category,
            name,
            description: input.description.trim().to_owned(),
            skills,
            active: input.active.unwrap_or(true),
            position: input.position.unwrap_or(0),
        })
    }

    /// Gives a site a menu of its own, copied from the one it uses now (no-op when it has one).
    pub async fn customize_menu(&self, caller: &Caller, site_id: i64) -> AppResult<MenuView> {
        let mut tx = self.begin().await?;
        let site = self.menu_site_for_admin(&mut tx, caller, site_id).await?;
        let copied = self.copy_menu(&mut tx, caller, &site).await?;
        let m = effective_menu(&mut tx, &site).await?;
        if copied {
            tx.commit(self).await?;
        }
        Ok(m)
    }

    async fn copy_menu(
        &self,
        tx: &mut crate::work::Work,
        caller: &Caller,
        site: &SiteRow,
    ) -> AppResult<bool> {
        let current = effective_menu(tx, site).await?;
        if current.own {
            return Ok(false);
        }
        for (i, item) in current.items.iter().enumerate() {
            store::insert_menu_item(
                tx,
                &NewMenuItem {
                    site_id: Some(site.id),
                    category: item.category.clone(),
                    name: item.name.clone(),
                    description: item.description.clone(),
                    skills: item.skills.join(","),
                    active: item.active,
                    position: i as i64,
                },
            )
            .await?;
        }
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::MenuCustomize,
            entity_id: site.id.to_string(),
            region_code: Some(site.region_code.clone()),
            org_path: None,
            before: Some(serde_json::json!({"source": current.source_name})),
            after: Some(serde_json::json!({"items": current.items.len()})),
        })
        .await?;
        Ok(true)
    }

    /// Adds an item to a site's own menu (copying the inherited menu first).
    pub async fn add_menu_item(
        &self,
        caller: &Caller,
        site_id: i64,
        input: &MenuItemInput,
    ) -> AppResult<MenuItemView> {
        let mut new = Self::check_menu_input(input)?;
        let mut tx = self.begin().await?;
        let site = self.menu_site_for_admin(&mut tx, caller, site_id).await?;
        self.copy_menu(&mut tx, caller, &site).await?;
        new.site_id = Some(site.id);
        if input.position.is_none() {
            new.position = store::menu_of(&mut tx, Some(site.id)).await?.len() as i64;
        }
        let id = store::insert_menu_item(&mut tx, &new).await.map_err(|e| {
            crate::on_unique(
                e,
                "menu_item_exists",
                Some("name"),
                "本阵地菜单中已有同名服务项目",
            )
        })?;
        tx.audit(menu_audit(caller, &site, AuditAction::MenuAdd, id, &new))
            .await?;
        let row = store::menu_item(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("服务项目"))?;
        tx.commit(self).await?;
        Ok(row.into())
    }

    /// Changes an item of a site's own menu (inherited and default items are changed by
    /// customizing first).
    pub async fn update_menu_item(
        &self,
        caller: &Caller,
        item_id: i64,
        input: &MenuItemInput,
    ) -> AppResult<MenuItemView> {
        let mut new = Self::check_menu_input(input)?;
        let mut tx = self.begin().await?;
        let item = store::menu_item(&mut tx, item_id)
            .await?
            .ok_or(AppError::NotFound("服务项目"))?;
        let Some(site_id) = item.site_id else {
            return Err(conflict(
                "menu_item_not_own",
                "默认菜单项不能直接修改，请先定制本阵地菜单",
            ));
        };
        let site = self.menu_site_for_admin(&mut tx, caller, site_id).await?;
        new.site_id = Some(site.id);
        if input.position.is_none() {
            new.position = item.position;
        }
        store::update_menu_item(&mut tx, item_id, &new)
            .await
            .map_err(|e| {
                crate::on_unique(
                    e,
                    "menu_item_exists",
                    Some("name"),
                    "本阵地菜单中已有同名服务项目",
                )
            })?;
        tx.audit(menu_audit(caller, &site, AuditAction::MenuUpdate, item_id, &new))
            .await?;
        let row = store::menu_item(&mut tx, item_id)
            .await?
            .ok_or(AppError::NotFound("服务项目"))?;
        tx.commit(self).await?;
        Ok(row.into())
    }

    // -----------------------------------------------------------------------------------------
    // Ordering by phone

    fn code_hash(&self, phone: &str, code: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.vault().derived_key("order-phone-code"))
            .expect("any key length");
        mac.update(phone.as_bytes());
        mac.update(b"|");
        mac.update(code.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Issues a 6-digit one-time code for a phone. Only its keyed hash is stored, with an
    /// expiry and an attempt limit. There is no SMS gateway yet: in demo mode the code is
    /// returned to be shown on the page; otherwise the request is refused.
    pub async fn request_phone_code(&self, phone: &str) -> AppResult<PhoneCodeIssued> {
        let phone = Phone::parse(phone)?;
        if !self.rules().show_codes {
            return Err(conflict(
                "sms_unavailable",
                "短信服务尚未开通，请使用账号密码登录",
            ));
        }
        let now = now_millis();
        let mut tx = self.begin().await?;
        if let Some(last) = phone_codes::latest_code(&mut tx, phone.as_str()).await? {
            if last.used_at.is_none() && now - last.created_at < 60_000 {
                return Err(conflict(
                    "one_time_code_too_soon",
                    "验证码已发送，请60秒后再重新获取",
                ));
            }
        }
        let code = rules::new_code(&mut rand::rngs::OsRng);
        let expires = now + rules::CODE_TTL.num_milliseconds();
        phone_codes::insert_code(
            &mut tx,
            phone.as_str(),
            &self.code_hash(phone.as_str(), &code),
            expires,
        )
        .await?;
        tx.audit(NewAudit {
            actor_id: None,
            actor_name: phone.masked(),
            action: AuditAction::PhoneCodeIssue,
            entity_id: phone.masked(),
            region_code: None,
            org_path: None,
            before: None,
            after: Some(serde_json::json!({"expires_at": expires})),
        })
        .await?;
        tx.commit(self).await?;
        Ok(PhoneCodeIssued {
            phone_masked: phone.masked(),
            expires_at: show_time(expires),
            demo_code: Some(code),
        })
    }

    /// Logs a resident in with a phone number and its one-time code, creating their resident
    /// account (`phone:<number>`, no password) on first use.
    pub async fn phone_login(&self, phone: &str, code: &str) -> AppResult<(String, Caller)> {
        self.phone_login_from(phone, code, None).await
    }

    /// [`phone_login`](Self::phone_login) from a client address: wrong codes are throttled per
    /// phone and per address, like passwords.
    pub async fn phone_login_from(
        &self,
        phone: &str,
        code: &str,
        from: Option<std::net::IpAddr>,
    ) -> AppResult<(String, Caller)> {
        let attempt = crate::auth::throttle::Attempt::phone(phone.trim(), from);
        self.admit_code_attempt(&attempt).await?;
        let result = self.check_phone_code(phone, code).await;
        match &result {
            Ok(_) => self.code_attempt_succeeded(&attempt),
            Err(AppError::Invalid(_)) => self.code_attempt_failed(&attempt),
            Err(_) => {}
        }
        result
    }

    async fn check_phone_code(&self, phone: &str, code: &str) -> AppResult<(String, Caller)> {
        let phone = Phone::parse(phone)?;
        let invalid = || AppError::invalid("code", "one_time_code_invalid", "验证码错误或已过期，请重新获取");
        let code = code.trim();
        if !is_code_format(code) {
            return Err(invalid());
        }
        let now = now_millis();
        let mut tx = self.begin().await?;
        let Some(row) = phone_codes::latest_code(&mut tx, phone.as_str()).await? else {
            return Err(invalid());
        };
        if row.used_at.is_some() || row.expires_at <= now {
            return Err(invalid());
        }
        if row.attempts >= rules::CODE_MAX_ATTEMPTS {
            return Err(conflict(
                "one_time_code_locked",
                "验证码错误次数过多，请重新获取验证码",
            ));
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.vault().derived_key("order-phone-code"))
            .expect("any key length");
        mac.update(phone.as_str().as_bytes());
        mac.update(b"|");
        mac.update(code.as_bytes());
        let good = hex::decode(&row.code_hash).is_ok_and(|h| mac.verify_slice(&h).is_ok());
        if !good {
            phone_codes::count_attempt(&mut tx, row.id, rules::CODE_MAX_ATTEMPTS).await?;
            tx.excuse(Bookkeeping::CodeAttempt);
            tx.commit(self).await?;
            return Err(invalid());
        }
        if !phone_codes::use_code(&mut tx, row.id, rules::CODE_MAX_ATTEMPTS).await? {
            return Err(invalid());
        }
        let username = format!("phone:{}", phone.as_str());
        let account = match accounts::by_username(&mut tx, &username).await? {
            Some(a) => a,
            None => {
                let id = accounts::insert(
                    &mut tx,
                    &accounts::NewAccount {
                        username: username.clone(),
                        // no password: this account logs in only with one-time codes
                        password_hash: "!".into(),
                        display_name: format!("居民{}", phone.masked()),
                        role: Role::Resident.as_str().to_owned(),
                        scope_region: None,
                        scope_site_id: None,
                        scope_org_id: None,
                        volunteer_id: None,
                    },
                )
                .await?;
                tx.audit(NewAudit {
                        actor_id: None,
                        actor_name: phone.masked(),
                        action: AuditAction::AccountCreate,
                        entity_id: id.to_string(),
                        region_code: None,
                        org_path: None,
                        before: None,
                        after: Some(serde_json::json!({"username": format!("phone:{}", phone.masked()), "role": "resident"})),
                    },
                )
                .await?;
                accounts::get(&mut tx, id)
                    .await?
                    .ok_or(AppError::NotFound("账号"))?
            }
        };
        let caller = crate::auth::caller_of(&mut tx, &account).await?;
        let token = crate::auth::new_token();
        sessions::insert(
            &mut tx,
            &crate::auth::token_hash(&token),
            account.id,
            now + crate::auth::SESSION_DAYS * 86_400_000,
        )
        .await?;
        // using the code and opening the session are bookkeeping; a new account was audited
        tx.excuse(Bookkeeping::Session);
        tx.commit(self).await?;
        Ok((token, caller))
    }

    // -----------------------------------------------------------------------------------------
    // 点单

    /// A resident orders an item of the menu of the site covering the place.
    pub async fn submit_order(&self, caller: &Caller, input: &OrderInput) -> AppResult<OrderView> {
        if caller.is_admin() {
            return Err(AppError::Forbidden);
        }
        let mut errs: Vec<FieldError> = Vec::new();
        let mut conn = self.conn().await?;
        let site = match RegionCode::parse(&input.region_code) {
            Err(e) => {
                errs.push(e.into());
                None
            }
            Ok(code) => {
                if regions::get(&mut conn, code.as_str()).await?.is_none() {
                    errs.push(FieldError::new(
                        "region_code",
                        "region_code_invalid",
                        "该行政区划不存在",
                    ));
                    None
                } else {
                    let s = covering_site(&mut conn, &code).await?;
                    if s.is_none() {
                        errs.push(uncovered_field());
                    }
                    s
                }
            }
        };
        let item = match store::menu_item(&mut conn, input.item_id).await? {
            Some(i) if i.active != 0 => Some(i),
            _ => None,
        };
        let item = match (&site, item) {
            (Some(s), Some(i)) => {
                let menu = effective_menu(&mut conn, s).await?;
                if menu.items.iter().any(|m| m.id == i.id && m.active) {
                    Some(i)
                } else {
                    errs.push(unknown_item());
                    None
                }
            }
            (None, Some(i)) => Some(i),
            (_, None) => {
                errs.push(unknown_item());
                None
            }
        };
        drop(conn);
        let address = text("address", "服务地址", &input.address, 200, &mut errs);
        match (input.lat, input.lon) {
            (None, None) => {}
            (Some(a), Some(b)) if valid_point(a, b) => {}
            _ => errs.push(DomainError::Location.into()),
        }
        let now = Utc::now();
        let window = match (
            parse_instant(&input.window_start),
            parse_instant(&input.window_end),
        ) {
            (Some(a), Some(b)) => match ServiceWindow::new(a, b, now) {
                Ok(w) => Some(w),
                Err(e) => {
                    errs.push(e.into());
                    None
                }
            },
            _ => {
                errs.push(FieldError::new(
                    "window",
                    "order_window_invalid",
                    "服务时间格式不正确",
                ));
                None
            }
        };
        if let Err(e) = check_people(input.people) {
            errs.push(e.into());
        }
        let notes = optional_prose("notes", "备注", &input.notes, 500, &mut errs);
        let contact_name = if input.contact_name.trim().is_empty() {
            caller.display_name.clone()
        } else {
            name_text("contact_name", "联系人", &input.contact_name, 30, &mut errs)
        };
        let phone_in = if input.contact_phone.trim().is_empty() {
            caller.username.strip_prefix("phone:").unwrap_or("").to_owned()
        } else {
            input.contact_phone.clone()
        };
        let contact_phone = match Phone::parse(&phone_in) {
            Ok(p) => p.as_str().to_owned(),
            Err(e) => {
                errs.push(FieldError::new("contact_phone", e.code(), e.to_string()));
                String::new()
            }
        };
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let (site, item, window) = (
            site.expect("checked"),
            item.expect("checked"),
            window.expect("checked"),
        );
        let new = NewOrder {
            item_id: item.id,
            item_name: item.name.clone(),
            category: item.category.clone(),
            skills: item.skills.clone(),
            resident_account_id: caller.account_id,
            contact_name,
            contact_phone,
            region_code: input.region_code.trim().to_owned(),
            address,
            lat: input.lat,
            lon: input.lon,
            window_start: window.start.timestamp_millis(),
            window_end: window.end.timestamp_millis(),
            people: input.people,
            notes,
            site_id: site.id,
            deadline_at: now.timestamp_millis() + ACCEPT_WITHIN.num_milliseconds(),
        };
        let mut tx = self.begin().await?;
        let id = store::insert(&mut tx, &new).await?;
        let o = self.order_row(&mut tx, id).await?;
        tx.audit(order_audit(
            Some(caller),
            AuditAction::OrderSubmit,
            &o,
            serde_json::json!({"status": "submitted", "item": o.item_name, "site_id": o.site_id}),
        ))
        .await?;
        tx.notify(
            Recipient::Site(o.site_id),
            &o.region_code,
            NoticeKind::Submitted,
            format!(
                "新点单 #{}：{}（{}，{}）",
                o.id,
                o.item_name,
                o.region_name,
                show_time(o.window_start)
            ),
            Some(o.id),
        );
        let v = self.order_view(&mut tx, Some(caller), o).await?;
        tx.commit(self).await?;
        Ok(v)
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
        if !self.may_view(caller, &o, &offers) {
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

    // -----------------------------------------------------------------------------------------
    // 派单

    /// What the dispatch screen shows for an order: teams and stations to choose from, and the
    /// volunteers the matching engine suggests (`suggest_volunteers`).
    pub async fn dispatch_options(&self, caller: &Caller, id: i64) -> AppResult<DispatchOptions> {
        let mut conn = self.conn().await?;
        let o = self.order_row(&mut conn, id).await?;
        if !may_handle(caller, &o) {
            return Err(AppError::Forbidden);
        }
        let site_prefix_of_order = site_prefix(&o.site_region);
        let teams = store::orgs_in(&mut conn, &site_prefix_of_order, 200)
            .await?
            .into_iter()
            .map(|(id, name, path)| TargetChoice {
                id,
                note: format!("层级 {}", path.matches('/').count().saturating_sub(1)),
                name,
            })
            .collect();
        let sites = store::child_sites(&mut conn, o.site_id)
            .await?
            .into_iter()
            .filter(|s| o.region_code.starts_with(site_prefix(&s.region_code).as_str()))
            .map(|s| TargetChoice {
                id: s.id,
                note: s.region_name.clone(),
                name: s.name,
            })
            .collect();
        let (suggested, suggest_note) = self.suggest_volunteers(&mut conn, caller, &o).await?;
        let order = self.order_view(&mut conn, Some(caller), o).await?;
        Ok(DispatchOptions {
            order,
            teams,
            sites,
            suggested,
            suggest_note,
        })
    }

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

    /// The best volunteers for an order from the matching engine: within
    /// [`SUGGEST_RADIUS_M`] of the place (else [`SUGGEST_WIDE_RADIUS_M`]), holding every skill
    /// the item needs, available in every hour of the window, with fewer than
    /// [`SUGGEST_MAX_LOAD`] open orders, and visible to the caller (so that they can be
    /// dispatched). Returns the suggestions and a note for the screen.
    async fn suggest_volunteers(
        &self,
        conn: &mut Conn,
        caller: &Caller,
        o: &OrderRow,
    ) -> AppResult<(Vec<SuggestedVolunteer>, String)> {
        let (Some(lat), Some(lon)) = (o.lat, o.lon) else {
            return Ok((Vec::new(), "订单没有定位坐标，无法按距离推荐志愿者。".into()));
        };
        let skills: Vec<String> = o
            .skills
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let vis = caller.volunteer_visibility();
        let now = now_millis();
        let window = crate::orders::matching::window_cells(o.window_start, o.window_end);
        for radius in [SUGGEST_RADIUS_M, SUGGEST_WIDE_RADIUS_M] {
            let query = crate::orders::matching::Query {
                lat,
                lon,
                radius_m: radius,
                skills: skills.clone(),
                window,
                max_load: Some(SUGGEST_MAX_LOAD),
                // more than shown: some may lie outside the caller's view
                k: SUGGEST_COUNT * 5,
                now_ms: now,
            };
            let hits = self.match_volunteers(&query);
            if hits.is_empty() {
                continue;
            }
            let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
            let seen: std::collections::HashMap<i64, (String, String)> =
                volunteers::visible_among(conn, &ids, &vis)
                    .await?
                    .into_iter()
                    .map(|(id, name, no)| (id, (name, no)))
                    .collect();
            let out: Vec<SuggestedVolunteer> = hits
                .iter()
                .filter_map(|h| {
                    let (name, no) = seen.get(&h.id)?;
                    Some(suggestion(h, name, no, &skills))
                })
                .take(SUGGEST_COUNT)
                .collect();
            if !out.is_empty() {
                let note = format!(
                    "{} 公里内技能与时间都符合的志愿者，按距离、评分和公平（近来服务少者优先）综合排序。",
                    radius / 1000.0
                );
                return Ok((out, note));
            }
        }
        Ok((
            Vec::new(),
            format!(
                "{} 公里内没有技能与时间都符合、且任务不满的志愿者；可派给队伍或实践站，或按姓名查找。",
                SUGGEST_WIDE_RADIUS_M / 1000.0
            ),
        ))
    }

    /// Puts the volunteers an order involves (offered, holding or served) back into the
    /// matching index after a write changed their load, rating or last service.
    pub(crate) async fn refresh_order_volunteers(&self, order_id: i64) {
        let ids = match self.conn().await {
            Ok(mut conn) => store::volunteers_of_order(&mut conn, order_id).await,
            Err(e) => {
                tracing::warn!(order_id, cause = %e.cause(), "matching index not refreshed");
                return;
            }
        };
        match ids {
            Ok(ids) => {
                for id in ids {
                    self.refresh_match_entry_after_write(id).await;
                }
            }
            Err(e) => {
                tracing::warn!(order_id, cause = %AppError::from(e).cause(), "matching index not refreshed")
            }
        }
    }

    /// Dispatches (or re-dispatches) an order; live offers of the earlier round are withdrawn
    /// and volunteers who had taken a seat are released.
    pub async fn dispatch_order(
        &self,
        caller: &Caller,
        id: i64,
        input: &DispatchInput,
    ) -> AppResult<OrderView> {
        caller.require_admin()?;
        let bad = |m: &str| AppError::invalid("target", "dispatch_target_invalid", m);
        let kind = AssigneeKind::parse(input.target.trim())
            .ok_or_else(|| bad("请选择派单对象：志愿服务队、实践站或志愿者"))?;
        let note = crate::text::note("note", "派单说明", &input.note, 200)?;
        let mut tx = self.begin().await?;
        store::lock(&mut tx, id).await?;
        let o = self.order_row(&mut tx, id).await?;
        if !may_handle(caller, &o) {
            return Err(AppError::Forbidden);
        }
        status_of(&o)?.after(OrderAction::Dispatch).map_err(state_err)?;
        let mut targets = Vec::new();
        let mut organizer: Option<(i64, String)> = None;
        let mut organizer_name = String::new();
        match kind {
            AssigneeKind::Team => {
                let mut ids = input.team_ids.clone();
                ids.sort_unstable();
                ids.dedup();
                if ids.is_empty() || ids.len() > 10 {
                    return Err(bad("请选择1至10支志愿服务队"));
                }
                for t in ids {
                    let org = orgs::get(&mut tx, t)
                        .await?
                        .ok_or_else(|| bad("所选队伍不存在"))?;
                    if !caller.covers_org(&org) {
                        return Err(bad("只能派给本辖区内的队伍"));
                    }
                    targets.push(Target::Team(org.id));
                }
            }
            AssigneeKind::Site => {
                let sid = input.site_id.ok_or_else(|| bad("请选择实践站"))?;
                let s = sites::get(&mut tx, sid)
                    .await?
                    .ok_or_else(|| bad("所选阵地不存在"))?;
                let covers_place = o.region_code.starts_with(site_prefix(&s.region_code).as_str());
                let below =
                    s.id != o.site_id && s.region_code.starts_with(site_prefix(&o.site_region).as_str());
                if !covers_place || !below || !caller.covers_region(&s.region_code) {
                    return Err(bad("只能派给本阵地下级、且覆盖服务地点的实践站"));
                }
                let org = site_organizer(&mut tx, s.id).await?;
                organizer_name = s.name.clone();
                organizer = Some(org);
                targets.push(Target::Site(s.id));
            }
            AssigneeKind::Volunteers => {
                let mut ids = input.volunteer_ids.clone();
                ids.sort_unstable();
                ids.dedup();
                if ids.is_empty() || ids.len() > 20 {
                    return Err(bad("请选择1至20名志愿者"));
                }
                let vis = caller.volunteer_visibility();
                for v in ids {
                    volunteers::get(&mut tx, v)
                        .await?
                        .ok_or_else(|| bad("所选志愿者不存在"))?;
                    if !volunteers::visible(&mut tx, v, &vis).await? {
                        return Err(bad("只能派给本辖区的志愿者"));
                    }
                    targets.push(Target::Volunteer(v));
                }
                let org = site_organizer(&mut tx, o.site_id).await?;
                organizer_name = o.site_name.clone();
                organizer = Some(org);
            }
        }
        let released = store::withdraw_live(&mut tx, id).await?;
        for v in &released {
            store::add_active_orders(&mut tx, *v, -1).await?;
        }
        let now = now_millis();
        let deadline = now + ACCEPT_WITHIN.num_milliseconds();
        let round = o.round + 1;
        let changed = store::change(
            &mut tx,
            id,
            &["submitted", "dispatched", "accepted"],
            None,
            &OrderChange {
                status: Some("dispatched".into()),
                round: Some(round),
                deadline_at: Some(Some(deadline)),
                assignee_kind: Some(Some(kind.as_str().to_owned())),
                team_id: Some(None),
                holder_site_id: Some(None),
                organizer_org_id: Some(organizer.as_ref().map(|o| o.0)),
                organizer_name: Some(organizer_name),
                accepted_count: Some(0),
                dispatched_at: Some(now),
                ..Default::default()
            },
        )
        .await?;
        if !changed {
            return Err(conflict("order_changed", "该点单已被他人处理，请刷新后重试"));
        }
        let text = format!(
            "新派单 #{}：{}（{}，{}），请在{}前接单",
            o.id,
            o.item_name,
            o.address,
            show_time(o.window_start),
            show_time(deadline)
        );
        for t in &targets {
            store::insert_offer(&mut tx, id, round, *t, &note).await?;
            let to = match t {
                Target::Team(x) => Recipient::Team(*x),
                Target::Site(x) => Recipient::Site(*x),
                Target::Volunteer(x) => Recipient::Volunteer(*x),
            };
            tx.notify(to, &o.region_code, NoticeKind::Dispatched, &text, Some(id));
        }
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderDispatch,
            &o,
            serde_json::json!({"status": "dispatched", "round": round, "target": kind.as_str(),
                "targets": targets.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>(), "released": released}),
        );
        self.finish_order(tx, caller, id, entry).await
    }

    /// Rejects a submitted order with a reason the resident sees.
    pub async fn reject_order(&self, caller: &Caller, id: i64, reason: &str) -> AppResult<OrderView> {
        caller.require_admin()?;
        let mut errs = Vec::new();
        let reason = text("reason", "驳回理由", reason, 200, &mut errs);
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let mut tx = self.begin().await?;
        store::lock(&mut tx, id).await?;
        let o = self.order_row(&mut tx, id).await?;
        if !may_handle(caller, &o) {
            return Err(AppError::Forbidden);
        }
        status_of(&o)?.after(OrderAction::Reject).map_err(state_err)?;
        let now = now_millis();
        store::change(
            &mut tx,
            id,
            &["submitted"],
            None,
            &OrderChange {
                status: Some("rejected".into()),
                reject_reason: Some(reason.clone()),
                deadline_at: Some(None),
                closed_at: Some(now),
                ..Default::default()
            },
        )
        .await?;
        tx.notify(
            Recipient::Account(o.resident_account_id),
            &o.region_code,
            NoticeKind::Rejected,
            format!("您的点单 #{}（{}）未被受理：{}", o.id, o.item_name, reason),
            Some(id),
        );
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderReject,
            &o,
            serde_json::json!({"status": "rejected", "reason": reason}),
        );
        self.finish_order(tx, caller, id, entry).await
    }

    /// Cancels an order not yet completed: by its resident, or by the office handling it (with a
    /// reason). Volunteers who had taken a seat are released.
    pub async fn cancel_order(&self, caller: &Caller, id: i64, reason: &str) -> AppResult<OrderView> {
        let reason = crate::text::note("reason", "取消原因", reason, 200)?;
        let mut tx = self.begin().await?;
        store::lock(&mut tx, id).await?;
        let o = self.order_row(&mut tx, id).await?;
        let mine = caller.account_id == o.resident_account_id;
        if !mine && !may_handle(caller, &o) {
            return Err(AppError::Forbidden);
        }
        let reason = reason.as_str();
        if !mine && reason.is_empty() {
            return Err(AppError::invalid("reason", "text_invalid", "请填写取消原因"));
        }
        let reason = if reason.is_empty() { "居民取消" } else { reason }.to_owned();
        status_of(&o)?.after(OrderAction::Cancel).map_err(state_err)?;
        let released = store::withdraw_live(&mut tx, id).await?;
        for v in &released {
            store::add_active_orders(&mut tx, *v, -1).await?;
        }
        store::change(
            &mut tx,
            id,
            &["submitted", "dispatched", "accepted"],
            None,
            &OrderChange {
                status: Some("cancelled".into()),
                cancel_reason: Some(reason.clone()),
                deadline_at: Some(None),
                closed_at: Some(now_millis()),
                ..Default::default()
            },
        )
        .await?;
        let text = format!("点单 #{}（{}）已取消：{}", o.id, o.item_name, reason);
        if mine {
            tx.notify(
                Recipient::Site(o.site_id),
                &o.region_code,
                NoticeKind::Cancelled,
                &text,
                Some(id),
            );
        } else {
            tx.notify(
                Recipient::Account(o.resident_account_id),
                &o.region_code,
                NoticeKind::Cancelled,
                &text,
                Some(id),
            );
        }
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderCancel,
            &o,
            serde_json::json!({"status": "cancelled", "reason": reason, "released": released}),
        );
        self.finish_order(tx, caller, id, entry).await
    }

    // -----------------------------------------------------------------------------------------
    // 接单

    /// The offers addressed to the caller (their teams, their site, themselves), with orders:
    /// a keyset page, live offers first, in a constant number of queries.
    pub async fn orders_for_me(&self, caller: &Caller, page: &SeekRequest) -> AppResult<Seek<OfferTask>> {
        let mut scopes = Vec::new();
        match &caller.scope {
            Scope::Team { path, .. } => scopes.push(OfferScope::Teams(path.clone())),
            Scope::Site { site_id, .. } => scopes.push(OfferScope::Site(*site_id)),
            _ => {}
        }
        if let Some(v) = caller.volunteer_id {
            scopes.push(OfferScope::Volunteer(v));
        }
        let mut conn = self.conn().await?;
        let mut p = store::offers_for(&mut conn, &scopes, page).await?;
        let mut ids: Vec<i64> = p.items.iter().map(|f| f.order_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let rows = store::get_many(&mut conn, &ids).await?;
        let views: HashMap<i64, OrderView> = self
            .order_views(&mut conn, Some(caller), rows)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
        let mut items = Vec::new();
        for f in std::mem::take(&mut p.items) {
            let order = views
                .get(&f.order_id)
                .cloned()
                .ok_or(AppError::NotFound("点单"))?;
            let open = f.status == "offered" && f.round == order.round;
            items.push(OfferTask {
                offer: offer_view(f, order.round),
                order,
                open,
            });
        }
        Ok(p.with_items(items))
    }

    /// Accepts an offer. A team or site takes the whole order, decided by one conditional update
    /// (the loser of a race gets `order_taken`); a volunteer takes one of its seats
    /// (`order_full` when none is left).
    pub async fn accept_offer(&self, caller: &Caller, offer_id: i64) -> AppResult<OrderView> {
        let mut tx = self.begin().await?;
        let f = store::offer(&mut tx, offer_id)
            .await?
            .ok_or(AppError::NotFound("派单"))?;
        if !answers(caller, &f) {
            return Err(AppError::Forbidden);
        }
        let o = self.order_row(&mut tx, f.order_id).await?;
        let taken = || conflict("order_taken", "该点单已被其他队伍或志愿者接单");
        if f.status != "offered" || f.round != o.round {
            return Err(match (f.status.as_str(), o.status.as_str()) {
                ("withdrawn", "accepted" | "completed" | "rated") => taken(),
                ("accepted", _) => conflict("offer_decided", "您已接下该点单"),
                ("declined", _) => conflict("offer_decided", "您已谢绝该派单"),
                _ => conflict("offer_withdrawn", "该派单已撤回"),
            });
        }
        let status = status_of(&o)?;
        let now = now_millis();
        match f.kind.as_str() {
            "team" | "site" => {
                if status == OrderStatus::Accepted {
                    return Err(taken());
                }
                status.after(OrderAction::Accept).map_err(state_err)?;
                let mut change = OrderChange {
                    status: Some("accepted".into()),
                    deadline_at: Some(None),
                    accepted_at: Some(now),
                    ..Default::default()
                };
                if f.kind == "team" {
                    let org_id = f
                        .org_id
                        .ok_or_else(|| AppError::Internal("team offer without team".into()))?;
                    change.team_id = Some(Some(org_id));
                    change.organizer_org_id = Some(Some(org_id));
                    change.organizer_name = Some(f.org_name.clone().unwrap_or_default());
                } else {
                    change.holder_site_id = Some(f.site_id);
                }
                if !store::change(&mut tx, o.id, &["dispatched"], Some(f.round), &change).await? {
                    return Err(taken());
                }
                let won = store::set_offer(&mut tx, f.id, "offered", "accepted", Some(caller.account_id))
                    .await
                    .map_err(|e| {
                        if e.unique_violation().is_some() {
                            taken()
                        } else {
                            e.into()
                        }
                    })?;
                if !won {
                    return Err(taken());
                }
                store::withdraw_waiting(&mut tx, o.id).await?;
            }
            _ => {
                status.after(OrderAction::Accept).map_err(state_err)?;
                let vid = f
                    .volunteer_id
                    .ok_or_else(|| AppError::Internal("volunteer offer without volunteer".into()))?;
                if !store::take_seat(&mut tx, o.id, f.round, now).await? {
                    return Err(conflict("order_full", "该点单所需人数已满"));
                }
                if !store::set_offer(&mut tx, f.id, "offered", "accepted", Some(caller.account_id)).await? {
                    return Err(conflict("offer_decided", "该派单已处理"));
                }
                lock_volunteer(&mut tx, vid).await?;
                store::add_active_orders(&mut tx, vid, 1).await?;
            }
        }
        let who = match f.kind.as_str() {
            "team" => f.org_name.clone().unwrap_or_default(),
            "site" => f.site_name.clone().unwrap_or_default(),
            _ => f.volunteer_name.clone().unwrap_or_default(),
        };
        tx.notify(
            Recipient::Account(o.resident_account_id),
            &o.region_code,
            NoticeKind::Accepted,
            format!("您的点单 #{}（{}）已由{}接单", o.id, o.item_name, who),
            Some(o.id),
        );
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderAccept,
            &o,
            serde_json::json!({"status": "accepted", "offer_id": f.id, "kind": f.kind, "by": who}),
        );
        self.finish_order(tx, caller, o.id, entry).await
    }

    /// Declines an offer; the office is told, and when nobody is left to accept it must
    /// dispatch again.
    pub async fn decline_offer(&self, caller: &Caller, offer_id: i64, reason: &str) -> AppResult<OrderView> {
        let reason = crate::text::note("reason", "谢绝原因", reason, 200)?;
        let reason = reason.as_str();
        let mut tx = self.begin().await?;
        let f = store::offer(&mut tx, offer_id)
            .await?
            .ok_or(AppError::NotFound("派单"))?;
        if !answers(caller, &f) {
            return Err(AppError::Forbidden);
        }
        store::lock(&mut tx, f.order_id).await?;
        let o = self.order_row(&mut tx, f.order_id).await?;
        if !store::set_offer(&mut tx, f.id, "offered", "declined", Some(caller.account_id)).await? {
            return Err(conflict("offer_decided", "该派单已处理或已撤回"));
        }
        let who = f
            .org_name
            .clone()
            .or(f.site_name.clone())
            .or(f.volunteer_name.clone())
            .unwrap_or_default();
        let left = store::live_offers(&mut tx, o.id).await?;
        let mut text = format!("{}谢绝了点单 #{}（{}）", who, o.id, o.item_name);
        if !reason.trim().is_empty() {
            text.push_str(&format!("：{}", reason.trim()));
        }
        if left == 0 {
            text.push_str("。已无待接单对象，请重新派单");
        }
        tx.notify(
            Recipient::Site(o.site_id),
            &o.region_code,
            NoticeKind::Declined,
            &text,
            Some(o.id),
        );
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderDecline,
            &o,
            serde_json::json!({"offer_id": f.id, "reason": reason.trim(), "live_offers": left}),
        );
        self.finish_order(tx, caller, o.id, entry).await
    }

    /// Completes an accepted order with a short report and the minutes each volunteer served;
    /// each line becomes a confirmed service record on the volunteer's chain, organized by the
    /// holding team (or the site), in the same transaction.
    pub async fn complete_order(
        &self,
        caller: &Caller,
        id: i64,
        input: &CompletionInput,
    ) -> AppResult<OrderView> {
        let mut errs = Vec::new();
        let report = prose("report", "服务情况", &input.report, 1000, &mut errs);
        crate::service::records::check_minute_lines(
            "minutes",
            input.minutes.iter().map(|l| (l.volunteer_id, l.minutes)),
            50,
            &mut errs,
        );
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let mut tx = self.begin().await?;
        store::lock(&mut tx, id).await?;
        let o = self.order_row(&mut tx, id).await?;
        let offers = store::offers_of(&mut tx, id).await?;
        if !self.may_complete(caller, &o, &offers) {
            if self.may_view(caller, &o, &offers) && status_of(&o)? != OrderStatus::Accepted {
                return Err(state_err(
                    status_of(&o)?.after(OrderAction::Complete).unwrap_err(),
                ));
            }
            return Err(AppError::Forbidden);
        }
        status_of(&o)?.after(OrderAction::Complete).map_err(state_err)?;
        let seated: Vec<i64> = offers
            .iter()
            .filter(|f| f.round == o.round && f.kind == "volunteer" && f.status == "accepted")
            .filter_map(|f| f.volunteer_id)
            .collect();
        let vis = match o.assignee_kind.as_deref() {
            Some("team") => Some(Visibility::OrgSubtree(o.team_path.clone().unwrap_or_default())),
            Some("site") => match o.holder_site_id {
                Some(s) => {
                    let site = sites::get(&mut tx, s).await?.ok_or(AppError::NotFound("阵地"))?;
                    Some(Visibility::RegionPrefix(site_prefix(&site.region_code)))
                }
                None => None,
            },
            _ => None,
        };
        for line in &input.minutes {
            let v = volunteers::get(&mut tx, line.volunteer_id).await?;
            let ok = match (&v, &vis) {
                (None, _) => false,
                (Some(_), Some(vis)) => volunteers::visible(&mut tx, line.volunteer_id, vis).await?,
                (Some(_), None) => seated.contains(&line.volunteer_id),
            };
            if !ok {
                return Err(AppError::invalid(
                    "minutes",
                    "order_volunteer_invalid",
                    format!(
                        "志愿者{}不是本单的服务人员",
                        v.map(|v| v.name)
                            .unwrap_or_else(|| format!("#{}", line.volunteer_id))
                    ),
                ));
            }
        }
        let org_id = o
            .organizer_org_id
            .ok_or_else(|| AppError::Internal(format!("order {id} has no organizing unit")))?;
        let org = orgs::get(&mut tx, org_id)
            .await?
            .ok_or(AppError::NotFound("组织"))?;
        let now = now_millis();
        if !store::change(
            &mut tx,
            id,
            &["accepted"],
            Some(o.round),
            &OrderChange {
                status: Some("completed".into()),
                report: Some(report.clone()),
                completed_at: Some(now),
                deadline_at: Some(None),
                ..Default::default()
            },
        )
        .await?
        {
            return Err(conflict("order_changed", "该点单已被他人处理，请刷新后重试"));
        }
        for v in &seated {
            store::add_active_orders(&mut tx, *v, -1).await?;
        }
        let today = crate::today();
        let date = beijing_date(o.window_start).min(today);
        let served_until = o.window_end.min(now);
        let organizer = if o.organizer_name.is_empty() {
            org.name.clone()
        } else {
            o.organizer_name.clone()
        };
        let mut records = Vec::new();
        for line in &input.minutes {
            lock_volunteer(&mut tx, line.volunteer_id).await?;
            let d = Draft {
                volunteer_id: line.volunteer_id,
                version: 1,
                supersedes: None,
                organization_id: org.id,
                project_id: None,
                shift_id: None,
                sign_up_id: None,
                region_code: org.region_code.clone(),
                activity: format!("点单服务：{}", o.item_name),
                service_date: date.to_string(),
                place: o.address.clone(),
                content: report.clone(),
                served_minutes: line.minutes,
                minutes: self.rules().rounding.apply(line.minutes as u32) as i64,
                organizer: organizer.clone(),
                person_in_charge: caller.display_name.clone(),
                source: "team",
                status: "confirmed",
                late: is_late_entry(date, today, &[], &[]),
                reason: String::new(),
                created_by: Some(caller.account_id),
            };
            let rid = append(self, &mut tx, &d).await?;
            store::insert_service(&mut tx, id, line.volunteer_id, line.minutes, rid).await?;
            store::mark_served(&mut tx, line.volunteer_id, served_until).await?;
            tx.audit(NewAudit {
                    actor_id: Some(caller.account_id),
                    actor_name: caller.display_name.clone(),
                    action: AuditAction::RecordEnter,
                    entity_id: rid.to_string(),
                    region_code: Some(org.region_code.clone()),
                    org_path: Some(org.path.clone()),
                    before: None,
                    after: Some(serde_json::json!({"volunteer_id": line.volunteer_id, "minutes": d.minutes,
                        "status": "confirmed", "activity": d.activity, "service_date": d.service_date, "order_id": id})),
                },
            )
            .await?;
            records.push(rid);
        }
        tx.notify(
            Recipient::Account(o.resident_account_id),
            &o.region_code,
            NoticeKind::Completed,
            format!("您的点单 #{}（{}）已完成服务，欢迎评价", o.id, o.item_name),
            Some(id),
        );
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderComplete,
            &o,
            serde_json::json!({"status": "completed", "records": records, "report": report}),
        );
        self.finish_order(tx, caller, id, entry).await
    }

    // -----------------------------------------------------------------------------------------
    // 评单

    /// The resident rates a completed order 1–5 with a comment, once; the stars go to every
    /// volunteer who served and to the holding team.
    pub async fn rate_order(&self, caller: &Caller, id: i64, input: &RatingInput) -> AppResult<OrderView> {
        let mut errs = Vec::new();
        if let Err(e) = check_rating(input.rating) {
            errs.push(e.into());
        }
        let comment = optional_prose("comment", "评价内容", &input.comment, 500, &mut errs);
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let mut tx = self.begin().await?;
        store::lock(&mut tx, id).await?;
        let o = self.order_row(&mut tx, id).await?;
        if caller.account_id != o.resident_account_id {
            return Err(AppError::Forbidden);
        }
        status_of(&o)?.after(OrderAction::Rate).map_err(state_err)?;
        if !store::change(
            &mut tx,
            id,
            &["completed"],
            None,
            &OrderChange {
                status: Some("rated".into()),
                rating: Some(input.rating),
                rating_comment: Some(comment.clone()),
                rated_at: Some(now_millis()),
                closed_at: Some(now_millis()),
                ..Default::default()
            },
        )
        .await?
        {
            return Err(state_err(DomainError::AlreadyRated));
        }
        for s in store::service_of(&mut tx, id).await? {
            store::add_volunteer_rating(&mut tx, s.volunteer_id, input.rating).await?;
        }
        if let Some(t) = o.team_id {
            store::add_org_rating(&mut tx, t, input.rating).await?;
        }
        let text = format!(
            "居民评价了点单 #{}（{}）：{}星 {}",
            o.id, o.item_name, input.rating, comment
        );
        tx.notify(
            Recipient::Site(o.site_id),
            &o.region_code,
            NoticeKind::Rated,
            &text,
            Some(id),
        );
        if let Some(t) = o.team_id {
            tx.notify(
                Recipient::Team(t),
                &o.region_code,
                NoticeKind::Rated,
                &text,
                Some(id),
            );
        }
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderRate,
            &o,
            serde_json::json!({"status": "rated", "rating": input.rating, "comment": comment}),
        );
        self.finish_order(tx, caller, id, entry).await
    }

    // -----------------------------------------------------------------------------------------
    // Escalation, figures, notices

    /// Moves every order not dispatched or accepted by its deadline one site level up (station
    /// → institute → center) with a notice to the new office and a new deadline; above a center
    /// the district's administrators get an overdue notice and the order stops escalating.
    /// Returns how many orders were escalated. Run by `zhiyuan serve` on an interval.
    pub async fn escalate_overdue(&self, now: DateTime<Utc>) -> AppResult<usize> {
        let now_ms = now.timestamp_millis();
        let mut done = 0;
        loop {
            let mut conn = self.conn().await?;
            let due = store::overdue(&mut conn, now_ms, 200).await?;
            drop(conn);
            if due.is_empty() {
                break;
            }
            let mut moved_any = false;
            for o in due {
                let status = status_of(&o)?;
                if status.after(OrderAction::Escalate).is_err() {
                    continue;
                }
                let Some(deadline) = o.deadline_at else { continue };
                let mut tx = self.begin().await?;
                let site = sites::get(&mut tx, o.site_id)
                    .await?
                    .ok_or(AppError::NotFound("阵地"))?;
                let parent = match site.parent_id {
                    Some(p) => sites::get(&mut tx, p).await?,
                    None => None,
                };
                let waiting = if status == OrderStatus::Submitted {
                    "派单"
                } else {
                    "接单"
                };
                let (ok, to, text, kind) = match &parent {
                    Some(p) => {
                        let next = now_ms + ACCEPT_WITHIN.num_milliseconds();
                        let ok = store::escalate(&mut tx, o.id, deadline, Some(p.id), Some(next)).await?;
                        (
                            ok,
                            Recipient::Site(p.id),
                            format!(
                                "点单 #{}（{}，{}）超时未{}，已由{}上报至本阵地，请在{}前处理",
                                o.id,
                                o.item_name,
                                o.region_name,
                                waiting,
                                site.name,
                                show_time(next)
                            ),
                            NoticeKind::Escalated,
                        )
                    }
                    None => {
                        let ok = store::escalate(&mut tx, o.id, deadline, None, None).await?;
                        (
                            ok,
                            Recipient::Region(site_prefix(&site.region_code)),
                            format!(
                                "点单 #{}（{}，{}）在{}超时未{}，请督办",
                                o.id, o.item_name, o.region_name, site.name, waiting
                            ),
                            NoticeKind::Overdue,
                        )
                    }
                };
                if !ok {
                    continue;
                }
                tx.notify(to, &o.region_code, kind, text, Some(o.id));
                tx.audit(order_audit(
                        None,
                        AuditAction::OrderEscalate,
                        &o,
                        serde_json::json!({"status": o.status, "from_site": site.id,
                            "to_site": parent.as_ref().map(|p| p.id), "level": parent.as_ref().map(|p| p.level.clone())}),
                    ),
                )
                .await?;
                tx.commit(self).await?;
                done += 1;
                moved_any = true;
            }
            if !moved_any {
                break;
            }
        }
        Ok(done)
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
