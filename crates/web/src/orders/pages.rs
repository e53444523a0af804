//! Pages for residents' needs: ordering (also by phone), my orders with rating, the office's
//! queue and dispatch screen, "orders for me" with accept / decline / complete, notices, and
//! the site admin's menu editor.

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use zhiyuan_app::network::policy::administers_site;
use zhiyuan_app::orders::menus::OrderPlace;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use serde::Deserialize;
use zhiyuan_app::orders::{
    CompletionInput, DispatchInput, DispatchOptions, MenuItemInput, MenuView, OfferTask, OrderInput,
    OrderView, RatingInput, ServedByNumber, ServedLine,
};
use zhiyuan_app::people::VolunteerView;
use zhiyuan_app::seek::SeekRequest;
use zhiyuan_app::{AppError, Scope};

use crate::pages::{
    form_status, is_input_error, ok, once, parse_id, redirect_with_cookie, render, see_other, session_cookie,
    Choice, Ctx, FormErrors, Nav, PageResult, SeekPager, SeekQuery,
};
use zhiyuan_domain::auth::MembershipStatus;
use zhiyuan_domain::orders::{AssigneeKind, OfferStatus, OrderAction, OrderStatus};

use crate::extract::ClientAddr;

/// `?done=…` notices shown after a successful POST.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DoneQuery {
    done: String,
}

fn done_text(code: &str) -> Option<String> {
    Some(
        match code {
            "submitted" => "点单已提交，等待阵地派单。",
            "dispatched" => "已派单。",
            "rejected" => "已驳回该点单。",
            "cancelled" => "已取消该点单。",
            "accepted" => "已接单，请按约定时间上门服务。",
            "declined" => "已谢绝该派单。",
            "completed" => "服务已完成，时长已记入志愿者的服务记录。",
            "rated" => "感谢您的评价！",
            "saved" => "菜单已保存。",
            _ => return None,
        }
        .to_owned(),
    )
}

// ---------------------------------------------------------------------------------------------
// Ordering by phone

#[derive(Template)]
#[template(path = "order_phone.html")]
struct PhonePage {
    nav: Nav,
    phone: String,
    /// The code was issued: show the code field (and, in the demo, the code).
    issued: bool,
    demo_code: Option<String>,
    expires_at: String,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PhoneForm {
    phone: String,
    code: String,
}

pub(crate) async fn phone_form(ctx: Ctx) -> PageResult {
    ok(&PhonePage {
        nav: ctx.nav(),
        phone: String::new(),
        issued: false,
        demo_code: None,
        expires_at: String::new(),
        errors: FormErrors::default(),
    })
}

pub(crate) async fn phone_code(ctx: Ctx, Form(f): Form<PhoneForm>) -> PageResult {
    ctx.guard_post()?;
    match ctx.app.auth().request_phone_code(&f.phone).await {
        Ok(issued) => ok(&PhonePage {
            nav: ctx.nav(),
            phone: f.phone.trim().to_owned(),
            issued: true,
            demo_code: issued.demo_code,
            expires_at: issued.expires_at,
            errors: FormErrors::default(),
        }),
        Err(e) if is_input_error(&e) => Ok(render(
            form_status(&e),
            &PhonePage {
                nav: ctx.nav(),
                phone: f.phone,
                issued: false,
                demo_code: None,
                expires_at: String::new(),
                errors: FormErrors::from_app(&e),
            },
        )),
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn phone_verify(
    ctx: Ctx,
    ClientAddr(from): ClientAddr,
    Form(f): Form<PhoneForm>,
) -> PageResult {
    ctx.guard_post()?;
    match ctx.app.auth().phone_login_from(&f.phone, &f.code, from).await {
        Ok((token, _)) => Ok(redirect_with_cookie(
            "/orders/new",
            session_cookie(&ctx.app, &token),
        )),
        Err(e) if is_input_error(&e) => Ok(render(
            form_status(&e),
            &PhonePage {
                nav: ctx.nav(),
                phone: f.phone,
                issued: true,
                demo_code: None,
                expires_at: String::new(),
                errors: FormErrors::from_app(&e),
            },
        )),
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// 点单

#[derive(Template)]
#[template(path = "order_new.html")]
struct NewOrderPage {
    nav: Nav,
    logged_in: bool,
    /// The places, grouped by their district and street.
    place_groups: Vec<PlaceGroup>,
    /// How many places the search found (all of them without a search).
    place_count: usize,
    place_q: String,
    /// Step two: the place is chosen and covered.
    menu: Option<MenuView>,
    form: OrderForm,
    errors: FormErrors,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct OrderForm {
    region_code: String,
    item_id: String,
    address: String,
    lat: String,
    lon: String,
    window_start: String,
    window_end: String,
    people: String,
    notes: String,
    contact_name: String,
    contact_phone: String,
    /// The one-time key of this form (see `pages::once`).
    form_key: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct NewOrderQuery {
    /// Absent on a first visit; present but empty when 查看当地服务菜单 was pressed with no place.
    region: Option<String>,
    /// 找街道或社区: words the place's name holds.
    place_q: String,
    /// The search button was pressed: the place picked before is not yet the choice.
    find: String,
}

/// One street's places in the picker (an `<optgroup>`).
pub(crate) struct PlaceGroup {
    pub label: String,
    pub places: Vec<(OrderPlace, bool)>,
}

/// The places grouped by street in their order, the one chosen marked.
fn place_groups(places: Vec<OrderPlace>, chosen: &str) -> Vec<PlaceGroup> {
    let mut groups: Vec<PlaceGroup> = Vec::new();
    for p in places {
        let selected = p.code == chosen;
        match groups.last_mut() {
            Some(g) if g.label == p.street => g.places.push((p, selected)),
            _ => groups.push(PlaceGroup {
                label: p.street.clone(),
                places: vec![(p, selected)],
            }),
        }
    }
    groups
}

async fn new_order_page(
    ctx: &Ctx,
    mut form: OrderForm,
    mut errors: FormErrors,
    status: StatusCode,
    place_q: String,
) -> PageResult {
    let places = ctx
        .app
        .orders()
        .order_places(&place_q)
        .await
        .map_err(|e| ctx.fail(e))?;
    // a search that finds one place has chosen it
    if form.region_code.trim().is_empty() && places.len() == 1 && !place_q.trim().is_empty() {
        form.region_code = places[0].code.clone();
    }
    let menu = if form.region_code.trim().is_empty() {
        None
    } else {
        match ctx.app.orders().menu_for_region(form.region_code.trim()).await {
            Ok(m) => Some(m),
            Err(e) if is_input_error(&e) => {
                if !errors.any() {
                    errors = FormErrors::from_app(&e);
                }
                None
            }
            Err(e) => return Err(ctx.fail(e)),
        }
    };
    if form.people.is_empty() {
        form.people = "1".into();
    }
    if form.form_key.is_empty() {
        form.form_key = zhiyuan_app::idempotency::new_form_key();
    }
    let place_count = places.len();
    let place_groups = place_groups(places, form.region_code.trim());
    Ok(render(
        status,
        &NewOrderPage {
            nav: ctx.nav(),
            logged_in: ctx.caller.is_some(),
            place_groups,
            place_count,
            place_q,
            menu,
            form,
            errors,
        },
    ))
}

pub(crate) async fn new_form(ctx: Ctx, Query(q): Query<NewOrderQuery>) -> PageResult {
    let asked = q.find.is_empty() && q.region.is_some();
    let form = OrderForm {
        region_code: if q.find.is_empty() {
            q.region.unwrap_or_default()
        } else {
            String::new()
        },
        ..Default::default()
    };
    let errors = if asked && form.region_code.trim().is_empty() && q.place_q.trim().is_empty() {
        FormErrors::from_fields(&[zhiyuan_app::FieldError::new(
            "region",
            "region_required",
            "请先选择服务地点所在的街道或社区",
        )])
    } else {
        FormErrors::default()
    };
    new_order_page(&ctx, form, errors, StatusCode::OK, q.place_q.trim().to_owned()).await
}

fn opt_f64(s: &str) -> Option<f64> {
    s.trim().parse().ok()
}

pub(crate) async fn create(ctx: Ctx, Form(form): Form<OrderForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let input = OrderInput {
        item_id: form.item_id.trim().parse().unwrap_or(-1),
        region_code: form.region_code.trim().to_owned(),
        address: form.address.clone(),
        lat: opt_f64(&form.lat),
        lon: opt_f64(&form.lon),
        window_start: form.window_start.clone(),
        window_end: form.window_end.clone(),
        people: form.people.trim().parse().unwrap_or(0),
        notes: form.notes.clone(),
        contact_name: form.contact_name.clone(),
        contact_phone: form.contact_phone.clone(),
    };
    let key = form.form_key.clone();
    once(&ctx, caller, "orders.new", &key, async {
        match ctx.app.orders().submit_order(caller, &input).await {
            Ok(o) => Ok(see_other(&format!("/orders/{}?done=submitted", o.id))),
            Err(e) if is_input_error(&e) => {
                let errors = FormErrors::from_app(&e);
                new_order_page(&ctx, form, errors, form_status(&e), String::new()).await
            }
            Err(e) => Err(ctx.fail(e)),
        }
    })
    .await
}

#[derive(Template)]
#[template(path = "orders_mine.html")]
struct MyOrdersPage {
    nav: Nav,
    orders: Vec<OrderView>,
    pager: SeekPager,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct MineQuery {
    after: String,
    before: String,
    /// What was just done (`rated`, `cancelled`): said at the top.
    done: String,
}

/// Orders on one page of a resident's list and of the offers for a volunteer or team.
const LIST_PAGE: i64 = 30;

pub(crate) async fn mine(ctx: Ctx, Query(q): Query<MineQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let page = SeekQuery {
        after: q.after,
        before: q.before,
    };
    let p = ctx
        .app
        .orders()
        .my_orders(caller, &page.request(LIST_PAGE))
        .await
        .map_err(|e| ctx.fail(e))?;
    ok(&MyOrdersPage {
        nav: ctx.nav(),
        pager: SeekPager::of(&p, "/orders/mine", &[]),
        orders: p.items,
        notice: done_text(&q.done),
    })
}

// ---------------------------------------------------------------------------------------------
// One order, with the actions the caller may take

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    nav: Nav,
    o: OrderView,
    notice: Option<String>,
    /// Why the action just sent was refused (an order already cancelled, rated twice …).
    refused: Option<String>,
    /// For the completion form: volunteers to enter minutes for.
    candidates: Vec<(i64, String)>,
    /// The completion form as typed (shown again with its errors).
    form: CompleteForm,
    errors: FormErrors,
}

/// What the completion form holds: the report, minutes per listed volunteer, and other
/// volunteers by their volunteer number.
#[derive(Default)]
pub(crate) struct CompleteForm {
    report: String,
    minutes: HashMap<i64, String>,
    extra: String,
}

impl CompleteForm {
    /// The minutes typed for a listed volunteer.
    fn minutes_of(&self, volunteer_id: &i64) -> &str {
        self.minutes.get(volunteer_id).map(String::as_str).unwrap_or("")
    }
}

async fn completion_candidates(ctx: &Ctx, o: &OrderView) -> Vec<(i64, String)> {
    let Some(caller) = &ctx.caller else {
        return Vec::new();
    };
    match o.assignee_kind {
        Some(AssigneeKind::Volunteers) => o
            .offers
            .iter()
            .filter(|f| f.current && f.status == OfferStatus::Accepted)
            .map(|f| (f.target_id, f.target_name.clone()))
            .collect(),
        Some(AssigneeKind::Team) => match o.team_id {
            Some(t) => ctx
                .app
                .people()
                .org_memberships(caller, t, Some(MembershipStatus::Approved))
                .await
                .map(|ms| {
                    ms.into_iter()
                        .map(|m| (m.volunteer_id, m.volunteer_name))
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

pub(crate) async fn detail(ctx: Ctx, Path(id): Path<String>, Query(q): Query<DoneQuery>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let mut page = order_page(&ctx, id).await?;
    page.notice = done_text(&q.done);
    ok(&page)
}

/// Order `id` as the caller sees it, with an empty completion form.
async fn order_page(ctx: &Ctx, id: i64) -> Result<OrderPage, Response> {
    let caller = ctx.require_login()?;
    let o = ctx
        .app
        .orders()
        .order(caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let candidates = if o.can_do(OrderAction::Complete) {
        completion_candidates(ctx, &o).await
    } else {
        Vec::new()
    };
    Ok(OrderPage {
        nav: ctx.nav(),
        notice: None,
        refused: None,
        o,
        candidates,
        form: CompleteForm::default(),
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ReasonForm {
    reason: String,
    next: String,
}

fn back(next: &str, fallback: &str) -> String {
    let n = crate::pages::local_path(next);
    if next.is_empty() || n == "/" {
        fallback.to_owned()
    } else {
        n.to_owned()
    }
}

fn with_done(path: &str, done: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}done={done}")
}

/// An action on order `id` that was refused because of its input or the order's state (sent
/// twice, from a page gone stale): the order page as it is now, with why, at the order's address.
async fn refused(ctx: &Ctx, id: i64, e: AppError) -> PageResult {
    let mut page = order_page(ctx, id).await?;
    page.nav = page.nav.at(format!("/orders/{id}"));
    page.refused = Some(e.to_string());
    Ok(render(form_status(&e), &page))
}

pub(crate) async fn reject(ctx: Ctx, Path(id): Path<String>, Form(f): Form<ReasonForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let id = parse_id(&ctx, &id)?;
    match ctx.app.orders().reject_order(caller, id, &f.reason).await {
        Ok(_) => Ok(see_other(&format!("/orders/{id}?done=rejected"))),
        Err(e) if is_input_error(&e) => refused(&ctx, id, e).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn cancel(ctx: Ctx, Path(id): Path<String>, Form(f): Form<ReasonForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let id = parse_id(&ctx, &id)?;
    match ctx.app.orders().cancel_order(caller, id, &f.reason).await {
        Ok(_) => Ok(see_other(&with_done(
            &back(&f.next, &format!("/orders/{id}")),
            "cancelled",
        ))),
        Err(e) if is_input_error(&e) => refused(&ctx, id, e).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RateForm {
    rating: String,
    comment: String,
}

pub(crate) async fn rate(ctx: Ctx, Path(id): Path<String>, Form(f): Form<RateForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let id = parse_id(&ctx, &id)?;
    let input = RatingInput {
        rating: f.rating.trim().parse().unwrap_or(0),
        comment: f.comment,
    };
    match ctx.app.orders().rate_order(caller, id, &input).await {
        Ok(_) => Ok(see_other("/orders/mine?done=rated")),
        Err(e) if is_input_error(&e) => refused(&ctx, id, e).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

/// The completion form: `report`, `m_<volunteer id>` minutes for the listed volunteers, and
/// `extra` lines "志愿者编号 分钟数" for others. Refused, it is shown again with the errors
/// beside the fields and everything typed kept.
pub(crate) async fn complete(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let id = parse_id(&ctx, &id)?;
    let mut form = CompleteForm {
        report: f.get("report").cloned().unwrap_or_default(),
        extra: f.get("extra").cloned().unwrap_or_default(),
        ..Default::default()
    };
    let mut lines = Vec::new();
    for (k, v) in &f {
        if let Some(vid) = k.strip_prefix("m_").and_then(|x| x.parse::<i64>().ok()) {
            form.minutes.insert(vid, v.clone());
            let v = v.trim();
            if !v.is_empty() {
                lines.push(ServedLine {
                    volunteer_id: vid,
                    minutes: v.parse().unwrap_or(-1),
                });
            }
        }
    }
    let mut by_number = Vec::new();
    for line in form.extra.lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        let Some(no) = parts.first() else { continue };
        by_number.push(ServedByNumber {
            volunteer_no: (*no).to_owned(),
            minutes: parts.get(1).and_then(|m| m.parse().ok()).unwrap_or(-1),
        });
    }
    lines.sort_by_key(|l| l.volunteer_id);
    let input = CompletionInput {
        report: form.report.clone(),
        minutes: lines,
        by_number,
    };
    match ctx.app.orders().complete_order(caller, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/orders/{id}?done=completed"))),
        Err(e) if is_input_error(&e) => {
            let mut page = order_page(&ctx, id).await?;
            page.nav = page.nav.at(format!("/orders/{id}"));
            page.form = form;
            page.errors = FormErrors::from_app(&e);
            Ok(render(form_status(&e), &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// The office: queue and dispatch screen

#[derive(Template)]
#[template(path = "orders_queue.html")]
struct QueuePage {
    nav: Nav,
    orders: Vec<OrderView>,
    /// A site admin's own site, for the menu editor link.
    menu_site: Option<i64>,
    filter: String,
    filters: Vec<Choice>,
    pager: SeekPager,
    /// The Excel export of the queue under the filter (every page).
    export: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct QueueQuery {
    status: String,
    after: String,
    before: String,
}

/// Orders on one page of the office's queue.
const QUEUE_PAGE: i64 = 50;

pub(crate) async fn queue(ctx: Ctx, Query(q): Query<QueueQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let filter = if q.status.is_empty() {
        "open".to_owned()
    } else {
        q.status.clone()
    };
    let statuses: Vec<OrderStatus> = match filter.as_str() {
        "open" => vec![
            OrderStatus::Submitted,
            OrderStatus::Dispatched,
            OrderStatus::Accepted,
        ],
        "all" => Vec::new(),
        s => match OrderStatus::parse(s) {
            Some(st) => vec![st],
            None => return Err(ctx.not_found()),
        },
    };
    let p = ctx
        .app
        .orders()
        .order_queue(
            caller,
            &statuses,
            &SeekQuery {
                after: q.after,
                before: q.before,
            }
            .request(QUEUE_PAGE),
        )
        .await
        .map_err(|e| ctx.fail(e))?;
    let pager = SeekPager::of(&p, "/orders/queue", &[("status", &filter)]);
    let wanted: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let export = crate::pages::url_with("/api/v1/orders/queue.xlsx", &[("status", &wanted.join(","))]);
    let filters = [
        ("open", "待处理"),
        ("submitted", "待派单"),
        ("dispatched", "已派单"),
        ("accepted", "已接单"),
        ("completed", "已完成"),
        ("rated", "已评价"),
        ("all", "全部"),
    ]
    .iter()
    .map(|(v, l)| Choice {
        value: (*v).to_owned(),
        label: (*l).to_owned(),
        selected: *v == filter,
    })
    .collect();
    ok(&QueuePage {
        nav: ctx.nav(),
        orders: p.items,
        menu_site: own_site(&caller.scope),
        filter,
        filters,
        pager,
        export,
    })
}

/// The dispatch screen (派单): the order, the manual choices (teams, stations, volunteers found
/// by a search) and, beside them, the suggested volunteers from `DispatchOptions::suggested`.
#[derive(Template)]
#[template(path = "order_dispatch.html")]
struct DispatchPage {
    nav: Nav,
    d: DispatchOptions,
    q: String,
    found: Vec<VolunteerView>,
    errors: FormErrors,
    /// One key for the page's forms: whichever is sent, a resubmission (back and submit
    /// again, a double tap) dispatches once ([`once`]).
    form_key: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DispatchQuery {
    q: String,
}

async fn dispatch_page(ctx: &Ctx, id: i64, q: &str, errors: FormErrors, status: StatusCode) -> PageResult {
    let caller = ctx.require_login()?;
    let d = ctx
        .app
        .orders()
        .dispatch_options(caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let found = if q.trim().is_empty() {
        Vec::new()
    } else {
        ctx.app
            .people()
            .search_volunteers(caller, Some(q), None, &SeekRequest::first(20))
            .await
            .map_err(|e| ctx.fail(e))?
            .items
    };
    Ok(render(
        status,
        &DispatchPage {
            nav: ctx.nav(),
            d,
            q: q.to_owned(),
            found,
            errors,
            form_key: zhiyuan_app::idempotency::new_form_key(),
        },
    ))
}

pub(crate) async fn dispatch_form(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<DispatchQuery>,
) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    dispatch_page(&ctx, id, &q.q, FormErrors::default(), StatusCode::OK).await
}

/// `target`, `team_id` (repeated), `site_id`, `volunteer_id` (repeated), `note`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DispatchForm {
    target: String,
    team_id: Vec<String>,
    site_id: String,
    volunteer_id: Vec<String>,
    note: String,
    form_key: String,
}

pub(crate) async fn dispatch(ctx: Ctx, Path(id): Path<String>, Form(f): Form<DispatchForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let id = parse_id(&ctx, &id)?;
    let ids = |v: &[String]| {
        v.iter()
            .filter_map(|x| x.trim().parse().ok())
            .collect::<Vec<i64>>()
    };
    let input = DispatchInput {
        target: f.target.clone(),
        team_ids: ids(&f.team_id),
        site_id: f.site_id.trim().parse().ok(),
        volunteer_ids: ids(&f.volunteer_id),
        note: f.note.clone(),
    };
    once(&ctx, caller, "orders.dispatch", &f.form_key, async {
        match ctx.app.orders().dispatch_order(caller, id, &input).await {
            Ok(_) => Ok(see_other(&format!("/orders/{id}?done=dispatched"))),
            Err(e) if is_input_error(&e) => {
                dispatch_page(&ctx, id, "", FormErrors::from_app(&e), form_status(&e)).await
            }
            Err(e) => Err(ctx.fail(e)),
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Orders for me: accept, decline

#[derive(Template)]
#[template(path = "orders_for_me.html")]
struct ForMePage {
    nav: Nav,
    tasks: Vec<OfferTask>,
    notice: Option<String>,
    /// Why the accept or decline just sent was refused (answered already, the order full …).
    refused: Option<String>,
    pager: SeekPager,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ForMeQuery {
    done: String,
    after: String,
    before: String,
}

pub(crate) async fn for_me(ctx: Ctx, Query(q): Query<ForMeQuery>) -> PageResult {
    for_me_page(&ctx, q, None).await
}

async fn for_me_page(ctx: &Ctx, q: ForMeQuery, refused: Option<AppError>) -> PageResult {
    let caller = ctx.require_login()?;
    let page = SeekQuery {
        after: q.after,
        before: q.before,
    };
    let p = ctx
        .app
        .orders()
        .orders_for_me(caller, &page.request(LIST_PAGE))
        .await
        .map_err(|e| ctx.fail(e))?;
    let page = ForMePage {
        nav: match refused {
            Some(_) => ctx.nav().at("/orders/for-me"),
            None => ctx.nav(),
        },
        pager: SeekPager::of(&p, "/orders/for-me", &[]),
        tasks: p.items,
        notice: done_text(&q.done),
        refused: refused.as_ref().map(ToString::to_string),
    };
    match &refused {
        Some(e) => Ok(render(form_status(e), &page)),
        None => ok(&page),
    }
}

pub(crate) async fn accept(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let id = parse_id(&ctx, &id)?;
    match ctx.app.orders().accept_offer(caller, id).await {
        Ok(o) => Ok(see_other(&format!("/orders/{}?done=accepted", o.id))),
        Err(e) if is_input_error(&e) => for_me_page(&ctx, ForMeQuery::default(), Some(e)).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn decline(ctx: Ctx, Path(id): Path<String>, Form(f): Form<ReasonForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let id = parse_id(&ctx, &id)?;
    match ctx.app.orders().decline_offer(caller, id, &f.reason).await {
        Ok(_) => Ok(see_other("/orders/for-me?done=declined")),
        Err(e) if is_input_error(&e) => for_me_page(&ctx, ForMeQuery::default(), Some(e)).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Notices

// ---------------------------------------------------------------------------------------------
// The menu editor

#[derive(Template)]
#[template(path = "site_menu.html")]
struct MenuPage {
    nav: Nav,
    m: MenuView,
    may_edit: bool,
    categories: Vec<Choice>,
    notice: Option<String>,
    errors: FormErrors,
}

async fn menu_page(
    ctx: &Ctx,
    site_id: i64,
    notice: Option<String>,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let m = ctx
        .app
        .orders()
        .site_menu(site_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let site = ctx.app.network().site(site_id).await.map_err(|e| ctx.fail(e))?;
    let may_edit = ctx
        .caller
        .as_ref()
        .is_some_and(|c| administers_site(c, &site.region_code));
    let categories = zhiyuan_domain::tags::SERVICE_CATEGORIES
        .iter()
        .map(|c| Choice {
            value: c.code.to_owned(),
            label: c.label.to_owned(),
            selected: false,
        })
        .collect();
    Ok(render(
        status,
        &MenuPage {
            nav: ctx.nav(),
            m,
            may_edit,
            categories,
            notice,
            errors,
        },
    ))
}

pub(crate) async fn site_menu(ctx: Ctx, Path(id): Path<String>, Query(q): Query<DoneQuery>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    menu_page(
        &ctx,
        id,
        done_text(&q.done),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct MenuForm {
    category: String,
    name: String,
    description: String,
    skills: String,
    active: String,
    site_id: String,
}

impl MenuForm {
    fn input(&self) -> MenuItemInput {
        MenuItemInput {
            category: self.category.clone(),
            name: self.name.clone(),
            description: self.description.clone(),
            skills: vec![self.skills.clone()],
            active: Some(self.active != "0"),
            position: None,
        }
    }
}

async fn menu_result(ctx: &Ctx, site_id: i64, r: Result<(), AppError>) -> PageResult {
    match r {
        Ok(()) => Ok(see_other(&format!("/sites/{site_id}/menu?done=saved"))),
        Err(e) if is_input_error(&e) => {
            menu_page(ctx, site_id, None, FormErrors::from_app(&e), form_status(&e)).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn add_menu_item(ctx: Ctx, Path(id): Path<String>, Form(f): Form<MenuForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let id = parse_id(&ctx, &id)?;
    let r = ctx
        .app
        .orders()
        .add_menu_item(caller, id, &f.input())
        .await
        .map(|_| ());
    menu_result(&ctx, id, r).await
}

pub(crate) async fn customize_menu(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let id = parse_id(&ctx, &id)?;
    let r = ctx.app.orders().customize_menu(caller, id).await.map(|_| ());
    menu_result(&ctx, id, r).await
}

pub(crate) async fn update_menu_item(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<MenuForm>,
) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let id = parse_id(&ctx, &id)?;
    let site_id: i64 = f.site_id.trim().parse().map_err(|_| ctx.not_found())?;
    let r = ctx
        .app
        .orders()
        .update_menu_item(caller, id, &f.input())
        .await
        .map(|_| ());
    menu_result(&ctx, site_id, r).await
}

/// The site a site admin's menu link points at.
pub(crate) fn own_site(scope: &Scope) -> Option<i64> {
    match scope {
        Scope::Site { site_id, .. } => Some(*site_id),
        _ => None,
    }
}

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/orders/phone", get(phone_form).post(phone_code))
        .route("/orders/phone/verify", post(phone_verify))
        .route("/orders/new", get(new_form).post(create))
        .route("/orders/mine", get(mine))
        .route("/orders/queue", get(queue))
        .route("/orders/for-me", get(for_me))
        .route("/orders/{id}", get(detail))
        .route("/orders/{id}/dispatch", get(dispatch_form).post(dispatch))
        .route("/orders/{id}/reject", post(reject))
        .route("/orders/{id}/cancel", post(cancel))
        .route("/orders/{id}/complete", post(complete))
        .route("/orders/{id}/rate", post(rate))
        .route("/order-offers/{id}/accept", post(accept))
        .route("/order-offers/{id}/decline", post(decline))
        .route("/sites/{id}/menu", get(site_menu).post(add_menu_item))
        .route("/sites/{id}/menu/customize", post(customize_menu))
        .route("/menu-items/{id}", post(update_menu_item))
}
