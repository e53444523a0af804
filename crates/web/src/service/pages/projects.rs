//! Volunteer projects and their shifts: the public list and the nearby list, publishing a
//! project, its page with sign-up and the team's controls, the roster with check-in and
//! check-out, the printable QR poster and the volunteer's scan page.

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use zhiyuan_app::seek::SeekRequest;
use zhiyuan_app::service::attendance::{AttendanceView, Direction};
use zhiyuan_app::service::projects::ProjectFilter;
use zhiyuan_app::service::projects::{ProjectInput, ProjectView, ShiftInput, ShiftView, SignUpView};
use zhiyuan_app::service::records::RecordView;
use zhiyuan_app::PageRequest;
use zhiyuan_app::{AppError, AppResult, Caller};
use zhiyuan_domain::service::project::{ProjectStatus, SignUpStatus};
use zhiyuan_domain::service::{RecordSource, RecordStatus};
use zhiyuan_domain::tags::SERVICE_CATEGORIES;

use crate::pages::{
    county_choices, county_prefix, form_status, is_input_error, login_redirect, ok, page_no, parse_id,
    render, see_other, Choice, Ctx, FormErrors, Nav, PageResult, Pager,
};

use super::{manages, team_choices, with_param, Tone};

/// Midnight (Beijing) of a `YYYY-MM-DD` date plus some days, in milliseconds.
fn day_start(d: &str, plus_days: i64) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok()?;
    let t = (d + chrono::Duration::days(plus_days)).and_hms_opt(0, 0, 0)?;
    zhiyuan_app::TZ
        .from_local_datetime(&t)
        .single()
        .map(|t| t.timestamp_millis())
}

/// `21:00` when a shift ends on the day it starts (`2026-05-01 21:00`), else the whole time.
pub(crate) fn end_label(start: &str, end: &str) -> String {
    match (start.get(..10), end.get(..10), end.get(11..)) {
        (Some(a), Some(b), Some(t)) if a == b => t.to_owned(),
        _ => end.to_owned(),
    }
}

fn started(iso: &str) -> bool {
    DateTime::parse_from_rfc3339(iso).is_ok_and(|t| t.with_timezone(&Utc) <= Utc::now())
}

/// "约 850 米" / "约 1.2 公里".
fn distance_label(m: i64) -> String {
    if m < 1000 {
        format!("约 {m} 米")
    } else {
        format!("约 {:.1} 公里", m as f64 / 1000.0)
    }
}

// ---------------------------------------------------------------- the public list

/// What a project card shows.
pub(crate) struct Card {
    pub p: ProjectView,
    pub seats_left: i64,
    pub status_class: &'static str,
    pub distance: Option<String>,
}

fn card(p: ProjectView) -> Card {
    Card {
        seats_left: p
            .shifts
            .iter()
            .filter(|s| !started(&s.starts_at_iso))
            .map(|s| s.seats_left)
            .sum(),
        status_class: p.status.tone(),
        distance: p.distance_m.map(distance_label),
        p,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ListQuery {
    category: String,
    county: String,
    from: String,
    to: String,
    status: String,
    q: String,
    page: String,
}

const LIST_STATUSES: &[(&str, &str)] = &[
    ("recruiting", "招募中"),
    ("running", "进行中"),
    ("finished", "已结束"),
];

#[derive(Template)]
#[template(path = "projects.html")]
struct ListPage {
    nav: Nav,
    categories: Vec<Choice>,
    counties: Vec<Choice>,
    statuses: Vec<Choice>,
    from: String,
    to: String,
    q: String,
    filtered: bool,
    error: Option<String>,
    cards: Vec<Card>,
    pager: Pager,
    can_create: bool,
    /// The Excel export of the whole filtered list.
    export: String,
}

pub(crate) async fn list(ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    let category = SERVICE_CATEGORIES
        .iter()
        .find(|c| c.code == q.category.trim())
        .map(|c| c.code.to_owned())
        .unwrap_or_default();
    let county = q.county.trim().to_owned();
    let status = LIST_STATUSES
        .iter()
        .find(|(s, _)| *s == q.status.trim())
        .map(|(s, _)| (*s).to_owned())
        .unwrap_or_default();
    let (from, to, text) = (
        q.from.trim().to_owned(),
        q.to.trim().to_owned(),
        q.q.trim().to_owned(),
    );
    let mut error = None;
    let mut date = |d: &str, plus: i64| {
        if d.is_empty() {
            return None;
        }
        let t = day_start(d, plus);
        if t.is_none() {
            error = Some("日期格式应为 YYYY-MM-DD".to_owned());
        }
        t
    };
    let filter = ProjectFilter {
        region_prefix: county_prefix(&county),
        category: (!category.is_empty()).then(|| category.clone()),
        statuses: ProjectStatus::parse(&status).into_iter().collect(),
        from: date(&from, 0),
        until: date(&to, 1),
        organization_path: None,
        q: (!text.is_empty()).then(|| text.clone()),
    };
    let app = &ctx.app;
    let page = app
        .service()
        .projects(&filter, PageRequest::new(page_no(&q.page), Some(20)))
        .await
        .map_err(|e| ctx.fail(e))?;
    let pager = Pager::of(
        &page,
        "/projects",
        &[
            ("category", &category),
            ("county", &county),
            ("from", &from),
            ("to", &to),
            ("status", &status),
            ("q", &text),
        ],
    );
    let region = filter.region_prefix.clone().unwrap_or_default();
    let export = crate::pages::url_with(
        "/api/v1/projects.xlsx",
        &[
            ("category", &category),
            ("region", &region),
            ("from", &from),
            ("to", &to),
            ("status", &status),
            ("q", &text),
        ],
    );
    let categories = SERVICE_CATEGORIES
        .iter()
        .map(|c| Choice {
            value: c.code.into(),
            label: c.label.into(),
            selected: c.code == category,
        })
        .collect();
    let statuses = LIST_STATUSES
        .iter()
        .map(|(v, l)| Choice {
            value: (*v).into(),
            label: (*l).into(),
            selected: *v == status,
        })
        .collect();
    let filtered = !(category.is_empty()
        && county.is_empty()
        && from.is_empty()
        && to.is_empty()
        && status.is_empty()
        && text.is_empty());
    ok(&ListPage {
        nav: ctx.nav(),
        categories,
        counties: county_choices(app, &county).await.map_err(|e| ctx.fail(e))?,
        statuses,
        from,
        to,
        q: text,
        filtered,
        error,
        cards: page.items.into_iter().map(card).collect(),
        pager,
        can_create: ctx.caller.as_ref().is_some_and(|c| c.is_admin()),
        export,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct NearbyQuery {
    lat: String,
    lon: String,
    radius_m: String,
}

#[derive(Template)]
#[template(path = "projects_nearby.html")]
struct NearbyPage {
    nav: Nav,
    lat: String,
    lon: String,
    radii: Vec<Choice>,
    searched: bool,
    error: Option<String>,
    cards: Vec<Card>,
}

pub(crate) async fn nearby(ctx: Ctx, Query(q): Query<NearbyQuery>) -> PageResult {
    let (lat, lon) = (q.lat.trim().to_owned(), q.lon.trim().to_owned());
    let radius_m = match q.radius_m.trim() {
        "" => "5000".to_owned(),
        r => r.to_owned(),
    };
    let searched = !lat.is_empty() || !lon.is_empty();
    let mut error = None;
    let mut cards = Vec::new();
    if searched {
        let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
        match ctx
            .app
            .service()
            .nearby_projects(num(&lat), num(&lon), num(&radius_m), 50)
            .await
        {
            Ok(found) => cards = found.into_iter().map(card).collect(),
            Err(e) if is_input_error(&e) => error = Some(e.to_string()),
            Err(e) => return Err(ctx.fail(e)),
        }
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(
        status,
        &NearbyPage {
            nav: ctx.nav(),
            lat,
            lon,
            radii: radius_choices(&radius_m),
            searched,
            error,
            cards,
        },
    ))
}

/// The ranges offered, plus the one asked for when it is another (e.g. from a shared link).
fn radius_choices(asked: &str) -> Vec<Choice> {
    let mut metres = vec![1000, 3000, 5000, 10000, 30000];
    if let Ok(m) = asked.parse::<i64>() {
        if (1..=100_000).contains(&m) && !metres.contains(&m) {
            metres.push(m);
            metres.sort_unstable();
        }
    }
    metres
        .into_iter()
        .map(|m| Choice {
            value: m.to_string(),
            label: if m % 1000 == 0 {
                format!("{} 公里", m / 1000)
            } else {
                format!("{m} 米")
            },
            selected: m.to_string() == asked,
        })
        .collect()
}

// ---------------------------------------------------------------- publishing a project

/// The project form as typed; shifts come as parallel lists, one entry per row.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ProjectForm {
    pub(crate) title: String,
    pub(crate) category: String,
    pub(crate) organization_id: String,
    pub(crate) description: String,
    pub(crate) address: String,
    pub(crate) lat: String,
    pub(crate) lon: String,
    pub(crate) checkin_radius_m: String,
    pub(crate) person_in_charge: String,
    pub(crate) contact_phone: String,
    pub(crate) risk_notes: String,
    pub(crate) auto_approve: String,
    pub(crate) shift_start: Vec<String>,
    pub(crate) shift_end: Vec<String>,
    pub(crate) shift_headcount: Vec<String>,
    pub(crate) shift_skills: Vec<String>,
    pub(crate) shift_min_age: Vec<String>,
    pub(crate) action: String,
}

/// One shift row of the form.
pub(crate) struct ShiftRowForm {
    pub n: usize,
    pub start: String,
    pub end: String,
    pub headcount: String,
    pub skills: String,
    pub min_age: String,
}

/// A coordinate as typed: blank is none; anything else that is not a number is NaN, which the
/// use case reports as an invalid location.
pub(crate) fn coordinate(s: &str) -> Option<f64> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.parse::<f64>().unwrap_or(f64::NAN))
}

/// A whole number as typed: blank is `blank`, junk is -1 (which the rules refuse).
pub(crate) fn number(s: &str, blank: i64) -> i64 {
    match s.trim() {
        "" => blank,
        s => s.parse().unwrap_or(-1),
    }
}

pub(crate) fn shift_input(
    start: &str,
    end: &str,
    headcount: &str,
    skills: &str,
    min_age: &str,
) -> ShiftInput {
    ShiftInput {
        starts_at: start.trim().to_owned(),
        ends_at: end.trim().to_owned(),
        headcount: number(headcount, 0),
        required_skills: vec![skills.to_owned()],
        min_age: number(min_age, 0),
    }
}

impl ProjectForm {
    fn rows(&self) -> Vec<ShiftRowForm> {
        let n = self.shift_start.len().max(self.shift_end.len()).max(3);
        let at = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
        (0..n)
            .map(|i| ShiftRowForm {
                n: i + 1,
                start: at(&self.shift_start, i),
                end: at(&self.shift_end, i),
                headcount: at(&self.shift_headcount, i),
                skills: at(&self.shift_skills, i),
                min_age: at(&self.shift_min_age, i),
            })
            .collect()
    }

    /// The rows that hold a shift (a row with neither time is left out), by their numbers.
    fn filled_rows(&self) -> Vec<ShiftRowForm> {
        self.rows()
            .into_iter()
            .filter(|r| !(r.start.trim().is_empty() && r.end.trim().is_empty()))
            .collect()
    }

    fn input(&self) -> ProjectInput {
        let shifts = self
            .filled_rows()
            .iter()
            .map(|r| shift_input(&r.start, &r.end, &r.headcount, &r.skills, &r.min_age))
            .collect();
        ProjectInput {
            title: self.title.clone(),
            category: self.category.trim().to_owned(),
            description: self.description.clone(),
            organization_id: number(&self.organization_id, -1),
            address: self.address.clone(),
            lat: coordinate(&self.lat),
            lon: coordinate(&self.lon),
            checkin_radius_m: number(&self.checkin_radius_m, 0),
            person_in_charge: self.person_in_charge.clone(),
            contact_phone: self.contact_phone.clone(),
            risk_notes: self.risk_notes.clone(),
            auto_approve: !self.auto_approve.is_empty(),
            shifts,
            publish: self.action == "publish",
        }
    }
}

#[derive(Template)]
#[template(path = "project_new.html")]
struct NewProjectPage {
    nav: Nav,
    form: ProjectForm,
    rows: Vec<ShiftRowForm>,
    errors: FormErrors,
    categories: Vec<Choice>,
    teams: Vec<Choice>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct NewQuery {
    org: String,
}

async fn new_page(
    ctx: &Ctx,
    caller: &Caller,
    form: ProjectForm,
    errors: FormErrors,
) -> AppResult<NewProjectPage> {
    let teams = team_choices(&ctx.app, caller, form.organization_id.trim()).await?;
    let categories = SERVICE_CATEGORIES
        .iter()
        .map(|c| Choice {
            value: c.code.into(),
            label: c.label.into(),
            selected: c.code == form.category.trim(),
        })
        .collect();
    Ok(NewProjectPage {
        nav: ctx.nav(),
        rows: form.rows(),
        form,
        errors,
        categories,
        teams,
    })
}

pub(crate) async fn new_form(ctx: Ctx, Query(q): Query<NewQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    caller.require_admin().map_err(|e| ctx.fail(e))?;
    let form = ProjectForm {
        organization_id: q.org.trim().to_owned(),
        auto_approve: String::new(),
        ..Default::default()
    };
    let page = new_page(&ctx, caller, form, FormErrors::default())
        .await
        .map_err(|e| ctx.fail(e))?;
    ok(&page)
}

pub(crate) async fn create(ctx: Ctx, Form(form): Form<ProjectForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    caller.require_admin().map_err(|e| ctx.fail(e))?;
    match ctx.app.service().create_project(caller, &form.input()).await {
        Ok(p) => Ok(see_other(&format!("/projects/{}?done=created", p.id))),
        Err(e) if is_input_error(&e) || matches!(e, AppError::Forbidden) => {
            let errors = match &e {
                AppError::Forbidden => FormErrors::from_fields(&[zhiyuan_app::FieldError::new(
                    "organization_id",
                    "forbidden",
                    "所选组织单位不在您的管理范围内",
                )]),
                _ => {
                    let rows: Vec<usize> = form.filled_rows().iter().map(|r| r.n).collect();
                    FormErrors::from_app_items(&e, "班次", &rows)
                }
            };
            let page = new_page(&ctx, caller, form, errors)
                .await
                .map_err(|e| ctx.fail(e))?;
            Ok(render(form_status(&e), &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------- the project page

/// A shift as the project page shows it, with the caller's own sign-up.
pub(crate) struct ShiftLine {
    pub s: ShiftView,
    /// The end time, without the date when the shift ends on the day it starts.
    pub ends: String,
    pub started: bool,
    pub mine: Option<SignUpView>,
    /// The caller may cancel `mine`.
    pub can_cancel: bool,
    pub can_sign_up: bool,
}

/// A state the team may move the project to.
pub(crate) struct Transition {
    pub to: &'static str,
    pub label: &'static str,
    pub danger: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ShiftForm {
    pub(crate) start: String,
    pub(crate) end: String,
    pub(crate) headcount: String,
    pub(crate) skills: String,
    pub(crate) min_age: String,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    nav: Nav,
    p: ProjectView,
    status_class: &'static str,
    shifts: Vec<ShiftLine>,
    /// The caller administers the organizing team.
    manage: bool,
    transitions: Vec<Transition>,
    /// The caller has a volunteer record (and may sign up).
    is_volunteer: bool,
    notice: Option<String>,
    error: Option<String>,
    shift_form: ShiftForm,
    shift_errors: FormErrors,
}

struct ProjectExtras {
    notice: Option<String>,
    error: Option<String>,
    shift_form: ShiftForm,
    shift_errors: FormErrors,
}

impl ProjectExtras {
    fn none() -> ProjectExtras {
        ProjectExtras {
            notice: None,
            error: None,
            shift_form: ShiftForm {
                headcount: "10".into(),
                ..Default::default()
            },
            shift_errors: FormErrors::default(),
        }
    }

    fn error(msg: String) -> ProjectExtras {
        ProjectExtras {
            error: Some(msg),
            ..ProjectExtras::none()
        }
    }
}

fn transitions(from: ProjectStatus) -> Vec<Transition> {
    use ProjectStatus::*;
    [
        (Recruiting, "发布招募", false),
        (Running, "开始项目", false),
        (Finished, "结束项目", false),
        (Draft, "退回草稿", true),
        (Cancelled, "取消项目", true),
    ]
    .into_iter()
    .filter(|(to, _, _)| from.can_become(*to))
    .map(|(to, label, danger)| Transition {
        to: to.as_str(),
        label,
        danger,
    })
    .collect()
}

async fn project_page(ctx: &Ctx, id: i64, extras: ProjectExtras) -> Result<ProjectPage, Response> {
    let app = &ctx.app;
    let caller = ctx.caller.as_ref();
    let p = app.service().project(caller, id).await.map_err(|e| ctx.fail(e))?;
    let manage = manages(caller, &p.team);
    let mine: Vec<SignUpView> = match caller {
        Some(c) if c.volunteer_id.is_some() => app
            .service()
            .my_sign_ups(c)
            .await
            .map_err(|e| ctx.fail(e))?
            .into_iter()
            .filter(|u| u.project_id == id)
            .collect(),
        _ => Vec::new(),
    };
    let recruiting = p.status == ProjectStatus::Recruiting;
    let shifts = p
        .shifts
        .iter()
        .map(|s| {
            let of_shift: Vec<&SignUpView> = mine.iter().filter(|u| u.shift_id == s.id).collect();
            let live = of_shift.iter().find(|u| u.status.is_live());
            let mine = live
                .or(of_shift.iter().max_by_key(|u| u.id))
                .map(|u| (*u).clone());
            let is_live = live.is_some();
            let started = started(&s.starts_at_iso);
            ShiftLine {
                can_cancel: is_live && mine.as_ref().is_some_and(|u| u.checkin_at.is_none()) && !started,
                can_sign_up: recruiting && !started && !is_live,
                started,
                mine,
                ends: end_label(&s.starts_at, &s.ends_at),
                s: s.clone(),
            }
        })
        .collect();
    Ok(ProjectPage {
        nav: ctx.nav(),
        status_class: p.status.tone(),
        transitions: if manage { transitions(p.status) } else { Vec::new() },
        is_volunteer: caller.is_some_and(|c| c.volunteer_id.is_some()),
        p,
        shifts,
        manage,
        notice: extras.notice,
        error: extras.error,
        shift_form: extras.shift_form,
        shift_errors: extras.shift_errors,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ProjectQuery {
    done: String,
}

pub(crate) async fn detail(ctx: Ctx, Path(id): Path<String>, Query(q): Query<ProjectQuery>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let notice = match q.done.as_str() {
        "created" => Some("项目已保存。"),
        "approved" => Some("报名成功，已确认您的名额。请按时参加。"),
        "pending" => Some("报名已提交，请等待队伍审核。"),
        "waitlisted" => Some("该班次名额已满，您已进入候补名单；有人取消时将按顺序递补。"),
        "cancelled" => Some("已取消报名。"),
        "status" => Some("项目状态已更新。"),
        "shift" => Some("已添加班次。"),
        "edited" => Some("项目信息已保存。"),
        "shift_edited" => Some("班次已修改；时间有变时，已报名的志愿者会收到通知。"),
        _ => None,
    };
    let extras = ProjectExtras {
        notice: notice.map(str::to_owned),
        ..ProjectExtras::none()
    };
    ok(&project_page(&ctx, id, extras).await?)
}

/// Renders the project page with an error box (after a refused action).
async fn project_with_error(ctx: &Ctx, project_id: i64, e: AppError) -> PageResult {
    let status = form_status(&e);
    let page = project_page(ctx, project_id, ProjectExtras::error(e.to_string())).await?;
    Ok(render(status, &page))
}

/// Whether a refused action is best shown on the page it came from.
fn shown_on_page(e: &AppError) -> bool {
    is_input_error(e) || matches!(e, AppError::Forbidden)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SignUpForm {
    note: String,
}

pub(crate) async fn sign_up(ctx: Ctx, Path(id): Path<String>, Form(f): Form<SignUpForm>) -> PageResult {
    let shift_id = parse_id(&ctx, &id)?;
    let project_id = ctx
        .app
        .service()
        .shift_project(shift_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let Some(caller) = &ctx.caller else {
        return Err(login_redirect(&format!("/projects/{project_id}")));
    };
    ctx.guard_post()?;
    match ctx.app.service().sign_up(caller, shift_id, &f.note).await {
        Ok(u) => Ok(see_other(&format!("/projects/{project_id}?done={}", u.status))),
        Err(e) if shown_on_page(&e) => project_with_error(&ctx, project_id, e).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

/// Where to go after acting on a sign-up: the page that sent the form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct BackForm {
    back: String,
}

pub(crate) async fn cancel(ctx: Ctx, Path(id): Path<String>, Form(f): Form<BackForm>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let Some(caller) = &ctx.caller else {
        return Err(login_redirect("/me/hours"));
    };
    ctx.guard_post()?;
    match ctx.app.service().cancel_sign_up(caller, id).await {
        Ok(u) => {
            let back = if f.back.is_empty() {
                format!("/projects/{}", u.project_id)
            } else {
                f.back.clone()
            };
            Ok(see_other(&with_param(&back, "done", "cancelled")))
        }
        Err(e) if shown_on_page(&e) => {
            // the project page with the error, when the caller may see this sign-up at all
            match ctx.app.service().sign_up_project(caller, id).await {
                Ok(project_id) => project_with_error(&ctx, project_id, e).await,
                Err(_) => Err(ctx.fail(e)),
            }
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct StatusForm {
    to: String,
}

pub(crate) async fn set_status(ctx: Ctx, Path(id): Path<String>, Form(f): Form<StatusForm>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let Some(caller) = &ctx.caller else {
        return Err(login_redirect(&format!("/projects/{id}")));
    };
    ctx.guard_post()?;
    match ctx
        .app
        .service()
        .set_project_status(caller, id, f.to.trim())
        .await
    {
        Ok(_) => Ok(see_other(&format!("/projects/{id}?done=status"))),
        Err(e) if is_input_error(&e) => project_with_error(&ctx, id, e).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn add_shift(ctx: Ctx, Path(id): Path<String>, Form(f): Form<ShiftForm>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let Some(caller) = &ctx.caller else {
        return Err(login_redirect(&format!("/projects/{id}")));
    };
    ctx.guard_post()?;
    let input = shift_input(&f.start, &f.end, &f.headcount, &f.skills, &f.min_age);
    match ctx.app.service().add_shift(caller, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/projects/{id}?done=shift"))),
        Err(e) if is_input_error(&e) => {
            let extras = ProjectExtras {
                shift_errors: FormErrors::from_app(&e),
                shift_form: f,
                ..ProjectExtras::none()
            };
            let page = project_page(&ctx, id, extras).await?;
            Ok(render(form_status(&e), &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------- the roster

pub(crate) struct RosterLine {
    pub u: SignUpView,
    pub status_class: &'static str,
    pub can_decide: bool,
    pub can_check_in: bool,
    pub can_check_out: bool,
    /// 撤销签退: checked out, and the record it made (if any) not yet confirmed.
    pub can_undo: bool,
    /// The record made at check-out.
    pub record: Option<RecordView>,
}

#[derive(Template)]
#[template(path = "roster.html")]
struct RosterPage {
    nav: Nav,
    p: ProjectView,
    s: ShiftView,
    ends: String,
    lines: Vec<RosterLine>,
    approved: usize,
    checked_in: usize,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RosterQuery {
    done: String,
    record: String,
}

/// The project and shift of a roster, checked for the team's administrator.
async fn shift_for_admin(
    ctx: &Ctx,
    caller: &Caller,
    shift_id: i64,
) -> Result<(ProjectView, ShiftView), Response> {
    let app = &ctx.app;
    let project_id = app
        .service()
        .shift_project(shift_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let p = app
        .service()
        .project(Some(caller), project_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    if !manages(Some(caller), &p.team) {
        return Err(ctx.fail(AppError::Forbidden));
    }
    let s = p
        .shifts
        .iter()
        .find(|s| s.id == shift_id)
        .cloned()
        .ok_or_else(|| ctx.not_found())?;
    Ok((p, s))
}

async fn roster_page(
    ctx: &Ctx,
    caller: &Caller,
    shift_id: i64,
    notice: Option<String>,
    error: Option<String>,
) -> Result<RosterPage, Response> {
    let app = &ctx.app;
    let (p, s) = shift_for_admin(ctx, caller, shift_id).await?;
    let roster = app
        .service()
        .roster(caller, shift_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let day = s.starts_at.get(..10).unwrap_or("").to_owned();
    let mut lines = Vec::with_capacity(roster.len());
    for u in roster {
        let record = if u.checkout_at.is_some() {
            app.service()
                .volunteer_records(caller, u.volunteer_id, &SeekRequest::first(100))
                .await
                .map(|page| {
                    page.items.into_iter().find(|r| {
                        r.project_id == Some(p.id)
                            && r.source == RecordSource::Checkin
                            && r.service_date == day
                    })
                })
                .unwrap_or(None)
        } else {
            None
        };
        let approved = u.status == SignUpStatus::Approved;
        lines.push(RosterLine {
            status_class: u.status.tone(),
            can_decide: matches!(u.status, SignUpStatus::Pending | SignUpStatus::Waitlisted),
            can_check_in: approved && u.checkin_at.is_none(),
            can_check_out: approved && u.checkin_at.is_some() && u.checkout_at.is_none(),
            can_undo: approved
                && u.checkout_at.is_some()
                && !record
                    .as_ref()
                    .is_some_and(|r| r.status == RecordStatus::Confirmed),
            record,
            u,
        });
    }
    Ok(RosterPage {
        nav: ctx.nav(),
        approved: lines
            .iter()
            .filter(|l| l.u.status == SignUpStatus::Approved)
            .count(),
        checked_in: lines.iter().filter(|l| l.u.checkin_at.is_some()).count(),
        ends: end_label(&s.starts_at, &s.ends_at),
        p,
        s,
        lines,
        notice,
        error,
    })
}

pub(crate) async fn roster(ctx: Ctx, Path(id): Path<String>, Query(q): Query<RosterQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let shift_id = parse_id(&ctx, &id)?;
    let mut notice = match q.done.as_str() {
        "approved" => Some("已通过该报名。".to_owned()),
        "waitlisted" => Some("名额已满，该报名已转入候补。".to_owned()),
        "declined" => Some("已拒绝该报名。".to_owned()),
        "cancelled" => Some("已取消该报名。".to_owned()),
        "in" => Some("签到成功。".to_owned()),
        "out" => Some("签退成功；本次服务时长不足计时标准，未生成服务记录。".to_owned()),
        "undone" => Some("已撤销签退。请填写实际签退时间后重新签退。".to_owned()),
        _ => None,
    };
    if q.done == "out" {
        if let Ok(rid) = q.record.parse::<i64>() {
            if let Ok(history) = ctx.app.service().record_history(caller, rid).await {
                if let Some(r) = history.last() {
                    notice = Some(format!(
                        "签退成功，本次记录服务时长 {} 小时（{}）。",
                        r.hours, r.status_label
                    ));
                }
            }
        }
    }
    ok(&roster_page(&ctx, caller, shift_id, notice, None).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RosterForm {
    /// The shift whose roster sent the form.
    shift: String,
    /// `datetime-local`; blank means now.
    at: String,
}

/// Renders the roster with an error box, or the error page when the shift is unknown.
async fn roster_with_error(ctx: &Ctx, caller: &Caller, shift: &str, e: AppError) -> PageResult {
    match shift.trim().parse::<i64>() {
        Ok(shift_id) if shift_id > 0 => {
            let status = form_status(&e);
            let mut page = roster_page(ctx, caller, shift_id, None, Some(e.to_string())).await?;
            page.nav = page.nav.at(format!("/shifts/{shift_id}/roster"));
            Ok(render(status, &page))
        }
        _ => Err(ctx.fail(e)),
    }
}

async fn decide(ctx: Ctx, id: String, f: RosterForm, approve: bool) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let result = if approve {
        ctx.app.service().approve_sign_up(caller, id).await
    } else {
        ctx.app.service().decline_sign_up(caller, id).await
    };
    match result {
        Ok(u) => Ok(see_other(&format!(
            "/shifts/{}/roster?done={}",
            u.shift_id, u.status
        ))),
        Err(e) if is_input_error(&e) => roster_with_error(&ctx, caller, &f.shift, e).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn approve(ctx: Ctx, Path(id): Path<String>, Form(f): Form<RosterForm>) -> PageResult {
    decide(ctx, id, f, true).await
}

pub(crate) async fn decline(ctx: Ctx, Path(id): Path<String>, Form(f): Form<RosterForm>) -> PageResult {
    decide(ctx, id, f, false).await
}

async fn attend(ctx: Ctx, id: String, f: RosterForm, dir: Direction) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let at = f.at.trim();
    match ctx
        .app
        .service()
        .roster_attend(caller, id, dir, (!at.is_empty()).then_some(at))
        .await
    {
        Ok(AttendanceView { sign_up, record, .. }) => {
            let mut to = format!("/shifts/{}/roster", sign_up.shift_id);
            to = with_param(&to, "done", if dir == Direction::In { "in" } else { "out" });
            if let Some(r) = record {
                to = with_param(&to, "record", &r.id.to_string());
            }
            Ok(see_other(&to))
        }
        Err(e) if is_input_error(&e) => roster_with_error(&ctx, caller, &f.shift, e).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn check_in(ctx: Ctx, Path(id): Path<String>, Form(f): Form<RosterForm>) -> PageResult {
    attend(ctx, id, f, Direction::In).await
}

pub(crate) async fn check_out(ctx: Ctx, Path(id): Path<String>, Form(f): Form<RosterForm>) -> PageResult {
    attend(ctx, id, f, Direction::Out).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct UndoForm {
    shift: String,
    reason: String,
}

/// 撤销签退 on the roster: a wrong check-out (a slip, a wrong time) is undone, with a reason.
pub(crate) async fn undo_check_out(ctx: Ctx, Path(id): Path<String>, Form(f): Form<UndoForm>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    match ctx.app.service().undo_check_out(caller, id, &f.reason).await {
        Ok(v) => Ok(see_other(&format!(
            "/shifts/{}/roster?done=undone#sign-up-{}",
            v.sign_up.shift_id, id
        ))),
        Err(e) if is_input_error(&e) => roster_with_error(&ctx, caller, &f.shift, e).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

/// 打印签到表: the shift's sign-in sheet as a PDF, to print where phones are not used.
pub(crate) async fn sign_in_sheet(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let caller = ctx.require_login()?;
    let shift_id = parse_id(&ctx, &id)?;
    let pdf = ctx
        .app
        .service()
        .sign_in_sheet(caller, shift_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut r = axum::response::IntoResponse::into_response(pdf);
    let h = r.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) =
        axum::http::HeaderValue::from_str(&format!("inline; filename=\"sign-in-sheet-{shift_id}.pdf\""))
    {
        h.insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

// ---------------------------------------------------------------- the QR poster and scanning

#[derive(Template)]
#[template(path = "qr_poster.html")]
struct PosterPage {
    nav: Nav,
    p: ProjectView,
    s: ShiftView,
    ends: String,
    url: String,
    svg: String,
    refresh_secs: i64,
    valid_until: String,
}

/// A QR code as an inline SVG element that scales to its container.
fn qr_svg(text: &str) -> Result<String, String> {
    let code =
        qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).map_err(|e| e.to_string())?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .module_dimensions(8, 8)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg").ok_or("no svg element")?;
    Ok(svg[start..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"签到二维码\" class=\"qr-svg\" ",
        1,
    ))
}

pub(crate) async fn poster(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let caller = ctx.require_login()?;
    let shift_id = parse_id(&ctx, &id)?;
    let (p, s) = shift_for_admin(&ctx, caller, shift_id).await?;
    let qr = ctx
        .app
        .service()
        .shift_qr(caller, shift_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let url = format!("{}{}", ctx.app.public_url(), qr.path);
    let svg = qr_svg(&url).map_err(|e| ctx.fail(AppError::Internal(e)))?;
    let now = Utc::now().timestamp();
    let valid_until = zhiyuan_app::TZ
        .timestamp_opt(qr.expires_at, 0)
        .single()
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default();
    ok(&PosterPage {
        nav: ctx.nav(),
        ends: end_label(&s.starts_at, &s.ends_at),
        p,
        s,
        url,
        svg,
        refresh_secs: (qr.rotates_at - now).clamp(1, 600) + 1,
        valid_until,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ScanForm {
    t: String,
    lat: String,
    lon: String,
    /// `out` from the 确认签退 button; otherwise a plain scan.
    direction: String,
}

#[derive(Template)]
#[template(path = "checkin.html")]
struct CheckinPage {
    nav: Nav,
    token: String,
    /// After the scan: (succeeded, message).
    result: Option<(bool, String)>,
    record_hours: Option<String>,
    project: Option<(i64, String)>,
    /// The scan found the volunteer checked in already (nothing was written).
    already_in: bool,
    /// … and 确认签退 may be offered.
    confirm_out: bool,
}

pub(crate) async fn checkin_form(ctx: Ctx, Query(f): Query<ScanForm>) -> PageResult {
    ctx.require_login()?;
    let token = f.t.trim().to_owned();
    if token.is_empty() {
        return Err(crate::pages::error_page(
            &ctx.nav(),
            StatusCode::BAD_REQUEST,
            "签到码无效",
            "请用手机扫描活动现场的签到二维码。",
        ));
    }
    ok(&CheckinPage {
        nav: ctx.nav(),
        token,
        result: None,
        record_hours: None,
        project: None,
        already_in: false,
        confirm_out: false,
    })
}

pub(crate) async fn checkin(ctx: Ctx, Form(f): Form<ScanForm>) -> PageResult {
    let token = f.t.trim().to_owned();
    let Some(caller) = &ctx.caller else {
        return Err(login_redirect(&crate::pages::url_with(
            "/checkin",
            &[("t", &token)],
        )));
    };
    ctx.guard_post()?;
    let position = coordinate(&f.lat).zip(coordinate(&f.lon));
    let direction = (f.direction.trim() == "out").then_some(Direction::Out);
    match ctx.app.service().scan(caller, &token, direction, position).await {
        Ok(v) => ok(&CheckinPage {
            nav: ctx.nav(),
            already_in: v.replay && v.sign_up.checkin_at.is_some() && v.sign_up.checkout_at.is_none(),
            confirm_out: v.may_check_out,
            result: Some((true, v.message)),
            record_hours: v.record.map(|r| r.hours),
            project: Some((v.sign_up.project_id, v.sign_up.project_title)),
            token,
        }),
        Err(e) if shown_on_page(&e) => Ok(render(
            form_status(&e),
            &CheckinPage {
                nav: ctx.nav(),
                result: Some((false, e.to_string())),
                record_hours: None,
                project: None,
                already_in: false,
                confirm_out: false,
                token,
            },
        )),
        Err(e) => Err(ctx.fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_read_in_chinese() {
        assert_eq!(distance_label(850), "约 850 米");
        assert_eq!(distance_label(1234), "约 1.2 公里");
        let r = radius_choices("2500");
        assert!(r.iter().any(|c| c.selected && c.label == "2500 米"));
        assert_eq!(end_label("2026-05-01 09:00", "2026-05-01 11:00"), "11:00");
        assert_eq!(
            end_label("2026-05-01 22:00", "2026-05-02 02:00"),
            "2026-05-02 02:00"
        );
    }

    #[test]
    fn qr_codes_render_as_inline_svg() {
        let svg = qr_svg("http://127.0.0.1:8080/checkin?t=1.2.abc").unwrap();
        assert!(svg.starts_with("<svg role=\"img\""));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn transitions_follow_the_rules() {
        let t: Vec<&str> = transitions(ProjectStatus::Recruiting)
            .iter()
            .map(|t| t.to)
            .collect();
        assert!(t.contains(&"running") && t.contains(&"draft") && t.contains(&"cancelled"));
        assert!(transitions(ProjectStatus::Finished).is_empty());
    }
}
