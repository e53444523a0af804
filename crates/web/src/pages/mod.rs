//! zh-CN server-rendered pages: plain HTML forms, no JavaScript, one stylesheet.
//!
//! Every handler takes a [`Ctx`] (who is calling, the request path, whether a POST came from
//! our own origin) and returns `Result<Response, Response>`: the error side is an already
//! rendered error page (403 / 404 / 500) or a redirect to the login page.

// A rendered page is the error value of every handler here; boxing it would buy nothing.
#![allow(clippy::result_large_err)]

mod home;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use zhiyuan_app::seek::{Seek, SeekRequest};
use zhiyuan_app::Page;
use zhiyuan_app::{App, AppError, Caller, FieldError};
use zhiyuan_domain::auth::Role;

use crate::extract::MaybeCaller;
use crate::AppState;

pub fn router() -> Router<AppState> {
    let r = Router::new()
        .route("/", get(home::home))
        .route("/me", get(home::me));
    let r = crate::auth::pages::routes(r);
    let r = crate::auth::accounts::routes(r);
    let r = crate::people::pages::routes(r);
    let r = crate::network::pages::routes(r);
    let r = crate::audit::pages::routes(r);
    let r = crate::service::pages::routes(r);
    let r = crate::orders::pages::routes(r);
    let r = crate::stats::pages::routes(r);
    let r = crate::events::pages::routes(r);
    let r = crate::imports::pages::routes(r);
    crate::notices::pages::routes(r)
}

/// The Chinese 404 page for paths nobody serves.
pub fn not_found() -> impl IntoResponse {
    error_page(
        &Nav::anonymous(""),
        StatusCode::NOT_FOUND,
        "页面不存在",
        "您访问的页面不存在或已被移除。",
    )
}

pub(crate) type PageResult = Result<Response, Response>;

/// What every page handler knows about its request.
pub(crate) struct Ctx {
    pub app: App,
    pub caller: Option<Caller>,
    /// Path and query of the request, e.g. `/volunteers?q=张`.
    pub uri: String,
    /// True when the request's `Origin` (or, without one, its `Referer`) is this server.
    origin_ok: bool,
    /// The caller's unread notices, for the header.
    unread: i64,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let uri = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        let caller = match MaybeCaller::from_request_parts(parts, state).await {
            Ok(MaybeCaller(c)) => c,
            Err(e) => {
                let nav = Nav::anonymous(&uri);
                return Err(error_page(&nav, e.status, "出错了", &e.message).into_response());
            }
        };
        let origin_ok =
            crate::extract::from_own_origin(&parts.headers, parts.uri.authority().map(|a| a.as_str()));
        // the header's count; a page is still served when it cannot be had
        let unread = match &caller {
            Some(c) if parts.method == axum::http::Method::GET => {
                state.app.notices().unread_count(c).await.unwrap_or(0)
            }
            _ => 0,
        };
        let ctx = Ctx {
            app: state.app.clone(),
            caller,
            uri,
            origin_ok,
            unread,
        };
        // every form post, whichever handler serves it
        if parts.method == axum::http::Method::POST {
            ctx.guard_post()?;
        }
        Ok(ctx)
    }
}

impl Ctx {
    pub fn nav(&self) -> Nav {
        match &self.caller {
            Some(c) => Nav {
                logged_in: true,
                is_admin: c.is_admin(),
                user_name: c.display_name.clone(),
                role_label: c.role.label_zh().to_owned(),
                role: c.role.as_str(),
                active: section_of(&self.uri),
                page_url: None,
                items: nav_items(Some(c.role)),
                unread: self.unread,
            },
            None => Nav::anonymous(&self.uri),
        }
    }

    /// The caller, or a redirect to the login page that comes back here.
    pub fn require_login(&self) -> Result<&Caller, Response> {
        self.caller.as_ref().ok_or_else(|| login_redirect(&self.uri))
    }

    /// Refuses a POST that does not come from our own pages (foreign or missing `Origin` and
    /// `Referer`): a cross-site form cannot act with the user's cookie.
    pub fn guard_post(&self) -> Result<(), Response> {
        if self.origin_ok {
            Ok(())
        } else {
            Err(error_page(
                &self.nav(),
                StatusCode::FORBIDDEN,
                "请求被拒绝",
                "该请求来自其他网站，已被拒绝。",
            ))
        }
    }

    /// An application error as a page (or a redirect to the login page).
    pub fn fail(&self, e: AppError) -> Response {
        let nav = self.nav();
        match &e {
            AppError::Unauthenticated => login_redirect(&self.uri),
            AppError::Forbidden => error_page(&nav, StatusCode::FORBIDDEN, "无权访问", &e.to_string()),
            AppError::NotFound(_) => error_page(&nav, StatusCode::NOT_FOUND, "内容不存在", &e.to_string()),
            AppError::Store(_) | AppError::Internal(_) => {
                crate::error::log_internal(&e);
                error_page(
                    &nav,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "服务器内部错误",
                    &e.to_string(),
                )
            }
            _ => {
                let fields = e.fields();
                let msg = if fields.len() > 1 {
                    fields
                        .iter()
                        .map(|f| f.message.as_str())
                        .collect::<Vec<_>>()
                        .join("；")
                } else {
                    e.to_string()
                };
                error_page(&nav, crate::error::status_of(&e), "操作未成功", &msg)
            }
        }
    }

    pub fn not_found(&self) -> Response {
        error_page(
            &self.nav(),
            StatusCode::NOT_FOUND,
            "内容不存在",
            "您访问的内容不存在或已被移除。",
        )
    }
}

/// The top bar and navigation, shared by every page through `base.html`.
pub(crate) struct Nav {
    pub logged_in: bool,
    pub is_admin: bool,
    pub user_name: String,
    pub role_label: String,
    /// The role's code (`resident`, `team_admin` …); empty when not logged in.
    pub role: &'static str,
    /// Which nav item is current: home, volunteers, projects, hours, records, orgs, sites, honor,
    /// audit, me, login.
    pub active: &'static str,
    /// The address this page stands for when it answers a POST (a form shown again with its
    /// problems): the browser shows it instead of the POST's, so a refresh reloads the page
    /// rather than sending the form again.
    pub page_url: Option<String>,
    /// The main navigation: the role's most used pages first. On a phone the first
    /// `PHONE_NAV` stay in the bar and the rest go under 更多.
    pub items: Vec<NavItem>,
    /// The reader's unread notices (shown beside 通知 in the header).
    pub unread: i64,
}

/// One link of the main navigation.
pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    /// The section (`Nav::active`) the link leads to.
    pub section: &'static str,
}

/// How many navigation items a phone shows in the bar; the rest are under 更多.
const PHONE_NAV: usize = 4;

/// The main navigation of `role` (none: a visitor), most used first.
fn nav_items(role: Option<Role>) -> Vec<NavItem> {
    let item = |href, label, section| NavItem { href, label, section };
    let home = item("/", "首页", "home");
    let volunteers = item("/volunteers", "志愿者", "volunteers");
    let projects = item("/projects", "项目", "projects");
    let order = item("/orders/new", "点单", "orders");
    let my_orders = item("/orders/mine", "我的点单", "my-orders");
    let queue = item("/orders/queue", "派单", "orders");
    let for_me = item("/orders/for-me", "接单", "for-me");
    let notices = item("/notices", "通知", "notices");
    let hours = item("/me/hours", "我的时长", "hours");
    let records = item("/records/pending", "待确认记录", "records");
    let orgs = item("/orgs", "组织", "orgs");
    let sites = item("/sites", "阵地", "sites");
    let honor = item("/honor-roll", "光荣榜", "honor");
    let audit = item("/audit", "审计日志", "audit");
    let accounts = item("/accounts", "账号", "accounts");
    let me = item("/me", "我的", "me");
    let stats = item("/stats", "统计", "stats");
    let events = item("/events", "活动统计", "events");
    match role {
        None => vec![
            home,
            projects,
            order,
            honor,
            orgs,
            sites,
            item("/register", "注册志愿者", "register"),
            item("/login", "登录", "login"),
        ],
        Some(Role::Resident) => vec![home, order, my_orders, notices, projects, orgs, sites, honor, me],
        Some(Role::Volunteer) => vec![
            home, projects, for_me, hours, notices, order, orgs, sites, honor, events, me,
        ],
        Some(Role::TeamAdmin) => vec![
            home, projects, volunteers, records, stats, for_me, notices, orgs, sites, honor, events,
            accounts, audit, me,
        ],
        Some(Role::SiteAdmin) => vec![
            home, queue, volunteers, projects, stats, events, for_me, records, notices, orgs, sites, honor,
            accounts, audit, me,
        ],
        Some(Role::DistrictAdmin | Role::CityAdmin) => vec![
            home, stats, volunteers, projects, queue, events, records, notices, orgs, sites, honor, accounts,
            audit, me,
        ],
    }
}

impl Nav {
    /// The items a phone keeps in the bar.
    pub fn main_items(&self) -> &[NavItem] {
        &self.items[..self.items.len().min(PHONE_NAV)]
    }

    /// The items a phone shows under 更多 (a desktop shows them in the bar).
    pub fn more_items(&self) -> &[NavItem] {
        &self.items[self.items.len().min(PHONE_NAV)..]
    }

    /// Whether one of the 更多 items is the current page (the menu then says so).
    pub fn more_current(&self) -> bool {
        self.more_items().iter().any(|i| i.section == self.active)
    }

    /// This page, shown in answer to a POST, stands for `url`.
    pub fn at(self, url: impl Into<String>) -> Nav {
        Nav {
            page_url: Some(url.into()),
            ..self
        }
    }

    pub(crate) fn anonymous(uri: &str) -> Nav {
        Nav {
            logged_in: false,
            is_admin: false,
            user_name: String::new(),
            role_label: String::new(),
            role: "",
            active: section_of(uri),
            page_url: None,
            items: nav_items(None),
            unread: 0,
        }
    }
}

fn section_of(uri: &str) -> &'static str {
    let path = uri.split('?').next().unwrap_or("");
    if path.starts_with("/me/hours") || path.starts_with("/me/certificates") {
        return "hours";
    }
    if path.starts_with("/orders/for-me") || path.starts_with("/order-offers") {
        return "for-me";
    }
    if path.starts_with("/me/password") {
        return "me";
    }
    if path.starts_with("/orders/mine") {
        return "my-orders";
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "" => "home",
        "volunteers" => "volunteers",
        "orgs" | "memberships" => "orgs",
        "sites" => "sites",
        "projects" | "shifts" | "checkin" => "projects",
        "records" => "records",
        "honor-roll" => "honor",
        "audit" => "audit",
        "stats" => "stats",
        "events" => "events",
        "accounts" => "accounts",
        "orders" => "orders",
        "notices" => "notices",
        "me" => "me",
        "login" => "login",
        "register" => "register",
        _ => "",
    }
}

/// `/login?next=<uri>`.
pub(crate) fn login_redirect(uri: &str) -> Response {
    let next = if uri.is_empty() || uri == "/" {
        String::new()
    } else {
        format!("?next={}", enc(uri))
    };
    Redirect::to(&format!("/login{next}")).into_response()
}

/// A path on this site that is safe to send the browser back to; anything else is `/`.
pub(crate) fn local_path(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if ok {
        next
    } else {
        "/"
    }
}

/// 303 See Other to a local path, as after every successful POST.
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(local_path(to)).into_response()
}

/// Renders a template with a status; pages are personal, so they are not cached.
pub(crate) fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><meta charset=\"utf-8\"><h1>服务器内部错误</h1>"),
            )
                .into_response()
        }
    }
}

pub(crate) fn ok<T: Template>(t: &T) -> PageResult {
    Ok(render(StatusCode::OK, t))
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: &'a Nav,
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: String,
}

pub(crate) fn error_page(nav: &Nav, status: StatusCode, title: &str, message: &str) -> Response {
    render(
        status,
        &ErrorPage {
            nav,
            status: status.as_u16(),
            title,
            message,
            request_id: crate::edge::request_id().unwrap_or_default(),
        },
    )
}

/// The error page for a request the framework refused before any handler ran (a malformed
/// path or query, a wrong method, a body too large).
pub(crate) fn plain_error(status: StatusCode, message: &str) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "页面不存在",
        StatusCode::PAYLOAD_TOO_LARGE => "提交的内容过大",
        s if s.is_server_error() => "服务器内部错误",
        _ => "请求有误",
    };
    error_page(&Nav::anonymous(""), status, title, message)
}

/// A numeric path id, or the 404 page.
pub(crate) fn parse_id(ctx: &Ctx, raw: &str) -> Result<i64, Response> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ctx.not_found())
}

/// Percent-encodes a query-string component.
pub(crate) fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `base?k=v&…` keeping only the non-empty parameters.
pub(crate) fn url_with(base: &str, params: &[(&str, &str)]) -> String {
    let qs: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    if qs.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", qs.join("&"))
    }
}

/// A 1-based page number from a query string; junk means the first page.
pub(crate) fn page_no(raw: &str) -> Option<i64> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 1 && *p <= 1_000_000)
}

/// Links to the previous and next pages of a list.
pub(crate) struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub fn of<T>(p: &Page<T>, base: &str, params: &[(&str, &str)]) -> Pager {
        let pages = ((p.total + p.per_page - 1) / p.per_page.max(1)).max(1);
        let link = |n: i64| {
            let n = n.to_string();
            let mut all: Vec<(&str, &str)> = params.to_vec();
            if n != "1" {
                all.push(("page", &n));
            }
            url_with(base, &all)
        };
        Pager {
            page: p.page,
            pages,
            total: p.total,
            prev: (p.page > 1).then(|| link((p.page - 1).min(pages))),
            next: (p.page < pages).then(|| link(p.page + 1)),
        }
    }
}

/// Links to the neighbours of a keyset page (`?after=` / `?before=` a cursor), and back to
/// the first page once the reader has left it.
pub(crate) struct SeekPager {
    pub prev: Option<String>,
    pub next: Option<String>,
    pub first: Option<String>,
}

impl SeekPager {
    pub fn of<T>(p: &Seek<T>, base: &str, params: &[(&str, &str)]) -> SeekPager {
        let link = |k: &'static str, cursor: &str| {
            let mut all: Vec<(&str, &str)> = params.to_vec();
            all.push((k, cursor));
            url_with(base, &all)
        };
        SeekPager {
            prev: p.prev.as_deref().map(|c| link("before", c)),
            next: p.next.as_deref().map(|c| link("after", c)),
            first: p.prev.is_some().then(|| url_with(base, params)),
        }
    }

    /// Whether there is anywhere to go (a list that fits one page shows no pager).
    pub fn any(&self) -> bool {
        self.prev.is_some() || self.next.is_some()
    }
}

/// Runs a page form's write once per `form_key` (a hidden field with
/// [`zhiyuan_app::idempotency::new_form_key`]): a resubmission of the same form — back and
/// submit again, a reload, a double tap — gets the first answer's redirect instead of writing
/// twice. Only a redirect (the write happened) is kept; a form shown again with its errors frees
/// the key, so the corrected form goes through. A form without a key just runs.
pub(crate) async fn once<F>(ctx: &Ctx, caller: &Caller, purpose: &str, key: &str, run: F) -> PageResult
where
    F: std::future::Future<Output = PageResult>,
{
    use zhiyuan_app::idempotency::{Claim, IdempotencyKey, SavedResponse};
    let Ok(key) = IdempotencyKey::parse(key.trim()) else {
        return run.await;
    };
    let actor = format!("page:{}", caller.account_id);
    let idem = ctx.app.idempotency();
    let mut waited = 0;
    loop {
        match idem
            .claim_key(&actor, &key, purpose)
            .await
            .map_err(|e| ctx.fail(e))?
        {
            Claim::Fresh => break,
            Claim::Replay(saved) => {
                let to = String::from_utf8(saved.body).unwrap_or_else(|_| "/".to_owned());
                return Ok(see_other(&to));
            }
            // the same key on another form: not a resubmission of this one
            Claim::Mismatch => return run.await,
            // the first submission is still being written (a double tap): wait for its answer
            Claim::InFlight if waited < 50 => {
                waited += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Claim::InFlight => {
                return Err(error_page(
                    &ctx.nav(),
                    StatusCode::CONFLICT,
                    "正在处理",
                    "该表单正在提交，请稍候刷新页面查看结果。",
                ))
            }
        }
    }
    let out = run.await;
    let location = out
        .as_ref()
        .ok()
        .filter(|r| r.status() == StatusCode::SEE_OTHER)
        .and_then(|r| {
            r.headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
    let kept = match location {
        Some(to) => {
            let saved = SavedResponse {
                status: StatusCode::SEE_OTHER.as_u16(),
                content_type: None,
                body: to.into_bytes(),
            };
            idem.save_response(&actor, &key, &saved).await
        }
        None => idem.release_key(&actor, &key).await,
    };
    if let Err(e) = kept {
        tracing::warn!(error = %e, "could not keep the form key");
    }
    out
}

/// `?after=` / `?before=` of a keyset-paged page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SeekQuery {
    pub after: String,
    pub before: String,
}

impl SeekQuery {
    pub fn request(&self, per_page: i64) -> SeekRequest {
        SeekRequest::new(
            Some(self.after.clone()),
            Some(self.before.clone()),
            Some(per_page),
        )
    }
}

/// The problems of a submitted form: one message per field, plus a summary of them all.
#[derive(Default)]
pub(crate) struct FormErrors {
    fields: Vec<(String, String)>,
    /// Problems of one item of a list (a shift row): its number as the form shows it, and the message.
    items: Vec<(usize, String)>,
    pub summary: Vec<String>,
}

impl FormErrors {
    pub fn from_app(e: &AppError) -> FormErrors {
        let fields = e.fields();
        if fields.is_empty() {
            return FormErrors::message(&e.to_string());
        }
        FormErrors::from_fields(&fields)
    }

    /// Like `from_app`, for a form with a list of items (`label` 1, 2 …): a problem placed on item
    /// `i` of the input belongs to the row numbered `rows[i]`, and the summary says which.
    pub fn from_app_items(e: &AppError, label: &str, rows: &[usize]) -> FormErrors {
        let mut out = FormErrors::default();
        for f in e.fields() {
            match f.index {
                Some(i) => {
                    let n = rows.get(i).copied().unwrap_or(i + 1);
                    out.summary.push(format!("{label} {n}：{}", f.message));
                    out.items.push((n, f.message.clone()));
                }
                None => out.add(&f),
            }
        }
        if out.summary.is_empty() {
            return FormErrors::from_app(e);
        }
        out
    }

    fn add(&mut self, f: &FieldError) {
        if !self.fields.iter().any(|(n, _)| n == f.field) {
            self.fields.push((f.field.to_owned(), f.message.clone()));
        }
        self.summary.push(f.message.clone());
    }

    /// The problems of list item `n`.
    pub fn item(&self, n: &usize) -> Vec<&str> {
        self.items
            .iter()
            .filter(|(i, _)| i == n)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    pub fn from_fields(fields: &[FieldError]) -> FormErrors {
        let mut out = FormErrors::default();
        for f in fields {
            out.add(f);
        }
        out
    }

    /// A problem with the form as a whole.
    pub fn message(msg: &str) -> FormErrors {
        FormErrors {
            summary: vec![msg.to_owned()],
            ..Default::default()
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn any(&self) -> bool {
        !self.summary.is_empty()
    }
}

/// The status of a form shown again with its problems.
pub(crate) fn form_status(e: &AppError) -> StatusCode {
    match e {
        AppError::LoginFailed => StatusCode::UNAUTHORIZED,
        _ => crate::error::status_of(e),
    }
}

/// Whether an error is about the submitted input (and the form should be shown again).
pub(crate) fn is_input_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Invalid(_) | AppError::Conflict { .. } | AppError::Throttled(_)
    )
}

/// The session cookie (HttpOnly, SameSite=Lax, for the whole site, as long as the session;
/// `Secure` when the server is reached over https) holding `token`.
pub(crate) fn session_cookie(app: &App, token: &str) -> HeaderValue {
    let max_age = zhiyuan_app::auth::SESSION_DAYS * 86_400;
    let secure = if app.secure_cookies() { "; Secure" } else { "" };
    let v = format!(
        "{}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}",
        crate::extract::SESSION_COOKIE
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("zy_session=; Path=/; Max-Age=0"))
}

/// Clears the session cookie.
pub(crate) fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("zy_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
}

/// A redirect that also sets a cookie.
pub(crate) fn redirect_with_cookie(to: &str, cookie: HeaderValue) -> Response {
    let mut r = see_other(to);
    r.headers_mut().append(header::SET_COOKIE, cookie);
    r
}

/// The Chinese description of an admin's scope, e.g. `朝阳区`.
pub(crate) async fn scope_label(app: &App, caller: &Caller) -> String {
    use zhiyuan_app::Scope;
    match &caller.scope {
        Scope::Region { prefix } => {
            let code = format!("{prefix:0<12}");
            match app.network().region(&code).await {
                Ok(r) => r.name,
                Err(_) if prefix == "11" => "北京市".into(),
                Err(_) => format!("区划 {prefix}"),
            }
        }
        Scope::Site { site_id, .. } => app
            .network()
            .site(*site_id)
            .await
            .map(|s| s.name)
            .unwrap_or_else(|_| "本阵地".into()),
        Scope::Team { org_id, .. } => app
            .network()
            .org(*org_id)
            .await
            .map(|o| format!("{}及下级队伍", o.name))
            .unwrap_or_else(|_| "本队伍".into()),
        Scope::Own => "本人信息".into(),
    }
}

/// A choice in a `<select>`.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The service categories as choices, `selected` (a code) chosen.
pub(crate) fn category_choices(selected: &str) -> Vec<Choice> {
    zhiyuan_domain::tags::SERVICE_CATEGORIES
        .iter()
        .map(|c| Choice {
            value: c.code.into(),
            label: c.label.into(),
            selected: c.code == selected.trim(),
        })
        .collect()
}

/// The counties (districts), for filters.
pub(crate) async fn county_choices(app: &App, selected: &str) -> Result<Vec<Choice>, AppError> {
    Ok(app
        .network()
        .region_choices()
        .await?
        .into_iter()
        .filter(|r| r.level == "county")
        .map(|r| Choice {
            selected: r.code == selected,
            value: r.code,
            label: r.name,
        })
        .collect())
}

/// The significant prefix (6 digits) of a county code chosen in a filter, or None.
pub(crate) fn county_prefix(code: &str) -> Option<String> {
    let code = code.trim();
    (code.len() == 12 && code.bytes().all(|b| b.is_ascii_digit())).then(|| code[..6].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/volunteers?q=1"), "/volunteers?q=1");
        assert_eq!(local_path("//evil.example"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path("https://evil.example"), "/");
        assert_eq!(local_path(""), "/");
    }

    #[test]
    fn only_requests_naming_our_origin_are_ours() {
        use crate::extract::from_own_origin as ours;
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("zy.example:8080"));
        assert!(!ours(&h, None), "neither Origin nor Referer");
        h.insert(
            header::REFERER,
            HeaderValue::from_static("http://zy.example:8080/orders/3?x=1"),
        );
        assert!(ours(&h, None));
        h.insert(
            header::REFERER,
            HeaderValue::from_static("https://evil.example/zy.example:8080"),
        );
        assert!(!ours(&h, None), "foreign Referer");
        h.insert(header::ORIGIN, HeaderValue::from_static("http://zy.example:8080"));
        assert!(ours(&h, None), "Origin decides when present");
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!ours(&h, None));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!ours(&h, None));
    }

    #[test]
    fn query_strings_are_encoded() {
        assert_eq!(
            url_with("/v", &[("q", "张 三&"), ("page", "")]),
            "/v?q=%E5%BC%A0%20%E4%B8%89%26"
        );
        assert_eq!(section_of("/volunteers/3"), "volunteers");
        assert_eq!(section_of("/"), "home");
    }
}
