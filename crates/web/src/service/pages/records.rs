//! Service records and what is made of them: 团体录入 by the team, records awaiting the
//! team's confirmation, a record's versions with corrections, the volunteer's hours and
//! declarations, certificates (PDF and public verification) and the honor roll (光荣榜).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use zhiyuan_app::people::VolunteerView;
use zhiyuan_app::seek::SeekRequest;
use zhiyuan_app::service::certificates::{CertificateRequest, CertificateView, Verification};
use zhiyuan_app::service::projects::SignUpView;
use zhiyuan_app::service::records::{
    Correction, Declaration, HonorView, HoursSummary, RecordView, TeamEntry, TeamEntryLine,
};
use zhiyuan_app::{App, AppError, AppResult, Caller, FieldError};
use zhiyuan_domain::auth::MembershipStatus;
use zhiyuan_domain::service::project::SignUpStatus;
use zhiyuan_domain::service::{format_hours, star_level, RecordStatus};

use super::{manages, stars, team_choices, with_param, Tone};
use crate::pages::{
    county_choices, county_prefix, form_status, is_input_error, login_redirect, ok, parse_id, render,
    see_other, Choice, Ctx, FormErrors, Nav, PageResult, SeekPager, SeekQuery,
};

/// Shows a refused action on the page it came from (input problems and conflicts), or fails.
fn shown_on_page(e: &AppError) -> bool {
    is_input_error(e)
}

/// Volunteer names for a list of records, looked up once each.
async fn names(app: &App, caller: &Caller, records: &[RecordView]) -> HashMap<i64, VolunteerView> {
    let mut out = HashMap::new();
    for r in records {
        if let std::collections::hash_map::Entry::Vacant(slot) = out.entry(r.volunteer_id) {
            if let Ok(v) = app.people().volunteer(caller, r.volunteer_id).await {
                slot.insert(v);
            }
        }
    }
    out
}

/// A record with the name of its volunteer.
pub(crate) struct NamedRecord {
    pub r: RecordView,
    pub name: String,
    pub volunteer_no: String,
}

fn named(records: Vec<RecordView>, names: &HashMap<i64, VolunteerView>) -> Vec<NamedRecord> {
    records
        .into_iter()
        .map(|r| {
            let v = names.get(&r.volunteer_id);
            NamedRecord {
                name: v
                    .map(|v| v.name.clone())
                    .unwrap_or_else(|| format!("志愿者 {}", r.volunteer_id)),
                volunteer_no: v.map(|v| v.volunteer_no.clone()).unwrap_or_default(),
                r,
            }
        })
        .collect()
}

fn today() -> String {
    zhiyuan_app::today().to_string()
}

// ---------------------------------------------------------------- 团体录入

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct EntryForm {
    organization_id: String,
    project_id: String,
    activity: String,
    service_date: String,
    place: String,
    content: String,
    person_in_charge: String,
    /// The service category when no project is named.
    category: String,
    /// One volunteer a line: `志愿者编号 分钟`.
    lines: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct EntryQuery {
    project: String,
    shift: String,
    entered: String,
}

#[derive(Template)]
#[template(path = "record_entry.html")]
struct EntryPage {
    nav: Nav,
    form: EntryForm,
    errors: FormErrors,
    teams: Vec<Choice>,
    categories: Vec<Choice>,
    notice: Option<String>,
}

async fn entry_page(
    ctx: &Ctx,
    caller: &Caller,
    form: EntryForm,
    errors: FormErrors,
    notice: Option<String>,
) -> AppResult<EntryPage> {
    Ok(EntryPage {
        nav: ctx.nav(),
        teams: team_choices(&ctx.app, caller, form.organization_id.trim()).await?,
        categories: crate::pages::category_choices(&form.category),
        form,
        errors,
        notice,
    })
}

/// The form filled in from a project (and a shift's approved volunteers with its length).
async fn entry_from(app: &App, caller: &Caller, q: &EntryQuery) -> AppResult<EntryForm> {
    let mut form = EntryForm {
        service_date: today(),
        ..Default::default()
    };
    let shift_id = q.shift.trim().parse::<i64>().ok();
    let project_id = match shift_id {
        Some(s) => match app.service().shift_project(s).await {
            Ok(p) => Some(p),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        None => q.project.trim().parse::<i64>().ok(),
    };
    let Some(project_id) = project_id else {
        return Ok(form);
    };
    let p = app.service().project(Some(caller), project_id).await?;
    form.organization_id = p.organization_id.to_string();
    form.project_id = p.id.to_string();
    form.activity = p.title.clone();
    form.place = p.address.clone();
    form.person_in_charge = p.person_in_charge.clone();
    form.content = p.description.chars().take(200).collect();
    if form.content.is_empty() {
        form.content = p.title.clone();
    }
    if let Some(shift) = shift_id.and_then(|s| p.shifts.iter().find(|x| x.id == s)) {
        let day = shift.starts_at.get(..10).unwrap_or("").to_owned();
        if day <= today() {
            form.service_date = day;
        }
        let minutes = match (
            chrono::DateTime::parse_from_rfc3339(&shift.starts_at_iso),
            chrono::DateTime::parse_from_rfc3339(&shift.ends_at_iso),
        ) {
            (Ok(a), Ok(b)) => (b - a).num_minutes(),
            _ => 0,
        };
        if let Ok(roster) = app.service().roster(caller, shift.id).await {
            form.lines = roster
                .iter()
                .filter(|u| u.status == SignUpStatus::Approved)
                .map(|u| format!("{} {minutes}", u.volunteer_no))
                .collect::<Vec<_>>()
                .join("\n");
        }
    }
    Ok(form)
}

pub(crate) async fn entry_form(ctx: Ctx, Query(q): Query<EntryQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    caller.require_admin().map_err(|e| ctx.fail(e))?;
    let form = entry_from(&ctx.app, caller, &q).await.map_err(|e| ctx.fail(e))?;
    let notice = q
        .entered
        .parse::<usize>()
        .ok()
        .map(|n| format!("已录入 {n} 名志愿者的服务记录，记录已确认并计入累计时长。"));
    let page = entry_page(&ctx, caller, form, FormErrors::default(), notice)
        .await
        .map_err(|e| ctx.fail(e))?;
    ok(&page)
}

/// Resolves one "who" of a line: a volunteer number, a phone number or a volunteer id.
async fn resolve_volunteer(app: &App, caller: &Caller, who: &str) -> Option<i64> {
    if let Ok(page) = app
        .people()
        .search_volunteers(caller, Some(who), None, &SeekRequest::first(5))
        .await
    {
        if let Some(v) = page
            .items
            .iter()
            .find(|v| v.volunteer_no == who || v.phone == who)
        {
            return Some(v.id);
        }
    }
    let id = who.parse::<i64>().ok().filter(|id| *id > 0)?;
    app.people().volunteer(caller, id).await.ok().map(|v| v.id)
}

/// The lines of the textarea as entries, or one message per bad line.
async fn parse_lines(app: &App, caller: &Caller, text: &str) -> Result<Vec<TeamEntryLine>, Vec<String>> {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let parts: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            continue;
        }
        let n = i + 1;
        let [who, minutes] = parts[..] else {
            problems.push(format!("第 {n} 行应为“志愿者编号 分钟”，如“110105000012345 120”"));
            continue;
        };
        let Ok(minutes) = minutes.trim_end_matches("分钟").parse::<i64>() else {
            problems.push(format!("第 {n} 行的时长“{minutes}”不是整数分钟"));
            continue;
        };
        match resolve_volunteer(app, caller, who).await {
            Some(volunteer_id) => entries.push(TeamEntryLine {
                volunteer_id,
                minutes,
            }),
            None => problems.push(format!("第 {n} 行：找不到志愿者“{who}”，或其不在您的管理范围内")),
        }
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

/// The entry form again, with its problems.
async fn entry_again(
    ctx: &Ctx,
    caller: &Caller,
    form: EntryForm,
    errors: FormErrors,
    status: StatusCode,
) -> PageResult {
    let page = entry_page(ctx, caller, form, errors, None)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(render(status, &page))
}

pub(crate) async fn enter(ctx: Ctx, Form(form): Form<EntryForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    caller.require_admin().map_err(|e| ctx.fail(e))?;
    let entries = match parse_lines(&ctx.app, caller, &form.lines).await {
        Ok(e) => e,
        Err(problems) => {
            let fields: Vec<FieldError> = problems
                .into_iter()
                .map(|m| FieldError::new("entries", "entries_invalid", m))
                .collect();
            return entry_again(
                &ctx,
                caller,
                form,
                FormErrors::from_fields(&fields),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let entry = TeamEntry {
        organization_id: form.organization_id.trim().parse().unwrap_or(-1),
        project_id: form.project_id.trim().parse().ok(),
        activity: form.activity.clone(),
        service_date: form.service_date.trim().to_owned(),
        place: form.place.clone(),
        content: form.content.clone(),
        person_in_charge: form.person_in_charge.clone(),
        entries,
        category: Some(form.category.clone()),
    };
    match ctx.app.service().enter_records(caller, &entry).await {
        Ok(records) => Ok(see_other(&format!("/records/entry?entered={}", records.len()))),
        Err(e) if shown_on_page(&e) || matches!(e, AppError::Forbidden) => {
            let errors = match &e {
                AppError::Forbidden => FormErrors::message("所选队伍或志愿者不在您的管理范围内"),
                _ => FormErrors::from_app(&e),
            };
            entry_again(&ctx, caller, form, errors, form_status(&e)).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------- awaiting confirmation

#[derive(Template)]
#[template(path = "records_pending.html")]
struct PendingPage {
    nav: Nav,
    items: Vec<NamedRecord>,
    notice: Option<String>,
    error: Option<String>,
    /// The bulk form as sent (shown again when refused): its reason and ticked records.
    reason: String,
    /// The refusal is about the reason (a rejection needs one).
    reason_error: bool,
    ticked: Vec<i64>,
}

impl PendingPage {
    fn is_ticked(&self, id: &i64) -> bool {
        self.ticked.contains(id)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DoneQuery {
    done: String,
}

async fn pending_page_data(ctx: &Ctx, caller: &Caller) -> Result<PendingPage, axum::response::Response> {
    let records = ctx
        .app
        .service()
        .pending_records(caller)
        .await
        .map_err(|e| ctx.fail(e))?;
    let names = names(&ctx.app, caller, &records).await;
    Ok(PendingPage {
        nav: ctx.nav(),
        items: named(records, &names),
        notice: None,
        error: None,
        reason: String::new(),
        reason_error: false,
        ticked: Vec::new(),
    })
}

async fn pending_page(
    ctx: &Ctx,
    caller: &Caller,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult {
    let mut page = pending_page_data(ctx, caller).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page.notice = notice;
    page.error = error;
    Ok(render(status, &page))
}

pub(crate) async fn pending(ctx: Ctx, Query(q): Query<DoneQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let notice = match q.done.as_str() {
        "confirmed" => Some("已确认该服务记录，时长已计入志愿者累计时长。".to_owned()),
        "rejected" => Some("已驳回该服务记录。".to_owned()),
        _ => None,
    };
    pending_page(&ctx, caller, notice, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DecideForm {
    reason: String,
    /// Where the form was: `history` (the record page) or the pending list.
    from: String,
}

async fn decide(ctx: Ctx, id: String, f: DecideForm, confirm: bool) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    match ctx
        .app
        .service()
        .decide_record(caller, id, confirm, &f.reason)
        .await
    {
        Ok(r) => {
            let done = if confirm { "confirmed" } else { "rejected" };
            if f.from == "history" {
                Ok(see_other(&format!("/records/{}?done={done}", r.id)))
            } else {
                Ok(see_other(&format!("/records/pending?done={done}")))
            }
        }
        Err(e) if shown_on_page(&e) => {
            if f.from == "history" {
                history_page(&ctx, caller, id, None, Some(e.to_string()), None).await
            } else {
                pending_page(&ctx, caller, None, Some(e.to_string())).await
            }
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct BulkForm {
    /// The ticked records.
    ids: Vec<String>,
    /// `confirm` or `reject`: which button was pressed.
    action: String,
    reason: String,
}

/// 确认所选 / 驳回所选 on 待确认记录.
pub(crate) async fn bulk(ctx: Ctx, Form(f): Form<BulkForm>) -> PageResult {
    let caller = ctx.require_login()?;
    let ids: Vec<i64> = f.ids.iter().filter_map(|s| s.trim().parse().ok()).collect();
    let confirm = f.action != "reject";
    match ctx
        .app
        .service()
        .decide_records(caller, &ids, confirm, &f.reason)
        .await
    {
        Ok(d) => {
            let verb = if confirm { "确认" } else { "驳回" };
            let mut notice = format!("已{verb} {} 条服务记录。", d.decided.len());
            if !d.refused.is_empty() {
                notice.push_str(&format!(
                    "另有 {} 条未处理：{}",
                    d.refused.len(),
                    d.refused
                        .iter()
                        .map(|r| format!("#{} {}", r.id, r.message))
                        .collect::<Vec<_>>()
                        .join("；")
                ));
            }
            let mut page = pending_page_data(&ctx, caller).await?;
            page.nav = page.nav.at("/records/pending");
            page.notice = Some(notice);
            ok(&page)
        }
        Err(e) if is_input_error(&e) => {
            let mut page = pending_page_data(&ctx, caller).await?;
            page.nav = page.nav.at("/records/pending");
            page.error = Some(e.to_string());
            page.reason = f.reason;
            page.reason_error = e.fields().iter().any(|x| x.field == "reason");
            page.ticked = ids;
            Ok(render(form_status(&e), &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn confirm(ctx: Ctx, Path(id): Path<String>, Form(f): Form<DecideForm>) -> PageResult {
    decide(ctx, id, f, true).await
}

pub(crate) async fn reject(ctx: Ctx, Path(id): Path<String>, Form(f): Form<DecideForm>) -> PageResult {
    decide(ctx, id, f, false).await
}

// ---------------------------------------------------------------- a record's versions

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CorrectionForm {
    minutes: String,
    activity: String,
    service_date: String,
    place: String,
    content: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "record.html")]
struct HistoryPage {
    nav: Nav,
    versions: Vec<RecordView>,
    current: RecordView,
    volunteer_name: String,
    volunteer_no: String,
    manage: bool,
    notice: Option<String>,
    error: Option<String>,
    form: CorrectionForm,
    errors: FormErrors,
}

async fn history_page(
    ctx: &Ctx,
    caller: &Caller,
    id: i64,
    notice: Option<String>,
    error: Option<String>,
    correction: Option<(CorrectionForm, FormErrors)>,
) -> PageResult {
    let app = &ctx.app;
    let versions = app
        .service()
        .record_history(caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let Some(current) = versions.last().cloned() else {
        return Err(ctx.not_found());
    };
    let v = app
        .people()
        .volunteer(caller, current.volunteer_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let manage = manages(Some(caller), &current.team);
    let failed = error.is_some() || correction.as_ref().is_some_and(|c| c.1.any());
    let (form, errors) = correction.unwrap_or_else(|| {
        (
            CorrectionForm {
                minutes: current.served_minutes.to_string(),
                activity: current.activity.clone(),
                service_date: current.service_date.clone(),
                place: current.place.clone(),
                content: current.content.clone(),
                reason: String::new(),
            },
            FormErrors::default(),
        )
    });
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(
        status,
        &HistoryPage {
            nav: ctx.nav(),
            versions,
            current,
            volunteer_name: v.name,
            volunteer_no: v.volunteer_no,
            manage,
            notice,
            error,
            form,
            errors,
        },
    ))
}

pub(crate) async fn history(ctx: Ctx, Path(id): Path<String>, Query(q): Query<DoneQuery>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    let notice = match q.done.as_str() {
        "corrected" => Some("已更正：新版本已生成，原记录保留在历史中。".to_owned()),
        "confirmed" => Some("已确认该服务记录。".to_owned()),
        "rejected" => Some("已驳回该服务记录。".to_owned()),
        _ => None,
    };
    history_page(&ctx, caller, id, notice, None, None).await
}

pub(crate) async fn correct(ctx: Ctx, Path(id): Path<String>, Form(f): Form<CorrectionForm>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let text = |s: &str| Some(s.to_owned());
    let c = Correction {
        minutes: match f.minutes.trim() {
            "" => None,
            m => Some(m.parse().unwrap_or(-1)),
        },
        activity: text(&f.activity),
        service_date: text(f.service_date.trim()),
        place: text(&f.place),
        content: text(&f.content),
        reason: f.reason.clone(),
    };
    match ctx.app.service().correct_record(caller, id, &c).await {
        Ok(r) => Ok(see_other(&format!("/records/{}?done=corrected", r.id))),
        Err(e) if shown_on_page(&e) => {
            let errors = FormErrors::from_app(&e);
            history_page(&ctx, caller, id, None, None, Some((f, errors))).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------- my hours

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DeclareForm {
    organization_id: String,
    activity: String,
    service_date: String,
    place: String,
    content: String,
    person_in_charge: String,
    minutes: String,
    category: String,
}

pub(crate) struct MySignUp {
    pub u: SignUpView,
    pub can_cancel: bool,
}

#[derive(Template)]
#[template(path = "my_hours.html")]
struct HoursPage {
    nav: Nav,
    summary: Option<HoursSummary>,
    stars: String,
    sign_ups: Vec<MySignUp>,
    records: Vec<RecordView>,
    pager: Option<SeekPager>,
    teams: Vec<Choice>,
    categories: Vec<Choice>,
    form: DeclareForm,
    errors: FormErrors,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct HoursQuery {
    after: String,
    before: String,
    done: String,
}

async fn hours_page(
    ctx: &Ctx,
    caller: &Caller,
    page: SeekQuery,
    form: DeclareForm,
    errors: FormErrors,
    notice: Option<String>,
) -> Result<HoursPage, Response> {
    let app = &ctx.app;
    let fail = |e| ctx.fail(e);
    let Some(vid) = caller.volunteer_id else {
        return Ok(HoursPage {
            nav: ctx.nav(),
            summary: None,
            stars: String::new(),
            sign_ups: Vec::new(),
            records: Vec::new(),
            pager: None,
            teams: Vec::new(),
            categories: Vec::new(),
            form,
            errors,
            notice,
        });
    };
    let summary = app.service().hours_summary(caller, vid).await.map_err(fail)?;
    let records = app
        .service()
        .volunteer_records(caller, vid, &page.request(20))
        .await
        .map_err(fail)?;
    let now = chrono::Utc::now();
    let sign_ups = app
        .service()
        .my_sign_ups(caller)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|u| {
            let live = u.status.is_live();
            let future = zhiyuan_app::service::projects::parse_instant(&u.starts_at).is_some_and(|t| t > now);
            MySignUp {
                can_cancel: live && future && u.checkin_at.is_none(),
                u,
            }
        })
        .collect();
    let selected = form.organization_id.trim().to_owned();
    let memberships = app.people().memberships_of(caller, vid).await.map_err(fail)?;
    let approved: Vec<_> = memberships
        .into_iter()
        .filter(|m| m.status == MembershipStatus::Approved)
        .collect();
    let only_one = approved.len() == 1;
    let teams = approved
        .into_iter()
        .map(|m| {
            let value = m.organization_id.to_string();
            Choice {
                selected: value == selected || only_one,
                value,
                label: m.organization_name,
            }
        })
        .collect();
    Ok(HoursPage {
        nav: ctx.nav(),
        stars: stars(summary.star_level),
        summary: Some(summary),
        sign_ups,
        pager: Some(SeekPager::of(&records, "/me/hours", &[])),
        records: records.items,
        teams,
        categories: crate::pages::category_choices(&form.category),
        form,
        errors,
        notice,
    })
}

pub(crate) async fn my_hours(ctx: Ctx, Query(q): Query<HoursQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let notice = match q.done.as_str() {
        "declared" => Some("已提交申报，待队伍确认后计入累计时长。".to_owned()),
        "cancelled" => Some("已取消报名。".to_owned()),
        _ => None,
    };
    let form = DeclareForm {
        service_date: today(),
        ..Default::default()
    };
    let page = hours_page(
        &ctx,
        caller,
        SeekQuery {
            after: q.after,
            before: q.before,
        },
        form,
        FormErrors::default(),
        notice,
    )
    .await?;
    ok(&page)
}

pub(crate) async fn declare(ctx: Ctx, Form(f): Form<DeclareForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let d = Declaration {
        organization_id: f.organization_id.trim().parse().unwrap_or(-1),
        activity: f.activity.clone(),
        service_date: f.service_date.trim().to_owned(),
        place: f.place.clone(),
        content: f.content.clone(),
        person_in_charge: f.person_in_charge.clone(),
        minutes: f.minutes.trim().parse().unwrap_or(-1),
        category: Some(f.category.clone()),
    };
    match ctx.app.service().declare_record(caller, &d).await {
        Ok(_) => Ok(see_other("/me/hours?done=declared#declare")),
        Err(e) if shown_on_page(&e) || matches!(e, AppError::NotFound(_)) => {
            let errors = match &e {
                AppError::NotFound(_) => FormErrors::from_fields(&[FieldError::new(
                    "organization_id",
                    "team_invalid",
                    "请选择您已加入的队伍",
                )]),
                _ => FormErrors::from_app(&e),
            };
            let page = hours_page(&ctx, caller, SeekQuery::default(), f, errors, None).await?;
            Ok(render(form_status(&e), &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------- certificates

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct IssueForm {
    from: String,
    to: String,
    notes: String,
}

#[derive(Template)]
#[template(path = "my_certificates.html")]
struct CertificatesPage {
    nav: Nav,
    is_volunteer: bool,
    items: Vec<CertificateView>,
    form: IssueForm,
    errors: FormErrors,
    issued: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct IssuedQuery {
    issued: String,
}

async fn certificates_page(
    ctx: &Ctx,
    caller: &Caller,
    form: IssueForm,
    errors: FormErrors,
    issued: Option<String>,
) -> Result<CertificatesPage, Response> {
    let items = match caller.volunteer_id {
        Some(vid) => ctx
            .app
            .service()
            .certificates_of(caller, vid)
            .await
            .map_err(|e| ctx.fail(e))?,
        None => Vec::new(),
    };
    Ok(CertificatesPage {
        nav: ctx.nav(),
        is_volunteer: caller.volunteer_id.is_some(),
        items,
        form,
        errors,
        issued,
    })
}

pub(crate) async fn my_certificates(ctx: Ctx, Query(q): Query<IssuedQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let issued = (!q.issued.is_empty()).then(|| q.issued.clone());
    let page = certificates_page(&ctx, caller, IssueForm::default(), FormErrors::default(), issued).await?;
    ok(&page)
}

pub(crate) async fn issue_certificate(ctx: Ctx, Form(f): Form<IssueForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let Some(vid) = caller.volunteer_id else {
        return Err(ctx.fail(AppError::Forbidden));
    };
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let req = CertificateRequest {
        from: opt(&f.from),
        to: opt(&f.to),
        notes: f.notes.clone(),
    };
    match ctx.app.service().issue_certificate(caller, vid, &req).await {
        Ok(c) => Ok(see_other(&with_param(
            "/me/certificates",
            "issued",
            &c.certificate_no,
        ))),
        Err(e) if shown_on_page(&e) => {
            let errors = FormErrors::from_app(&e);
            let page = certificates_page(&ctx, caller, f, errors, None).await?;
            Ok(render(form_status(&e), &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

/// `/certificates/{no}.pdf`: the certificate as a PDF download.
pub(crate) async fn certificate_pdf(ctx: Ctx, Path(file): Path<String>) -> PageResult {
    let Some(no) = file.strip_suffix(".pdf").filter(|n| !n.is_empty()) else {
        return Err(ctx.not_found());
    };
    let Some(caller) = &ctx.caller else {
        return Err(login_redirect(&ctx.uri));
    };
    let pdf = ctx
        .app
        .service()
        .certificate_pdf(caller, no)
        .await
        .map_err(|e| ctx.fail(e))?;
    let safe: String = no
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let mut r = pdf.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"certificate-{safe}.pdf\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

pub(crate) struct VerifiedRecord {
    pub date: String,
    pub activity: String,
    pub organizer: String,
    pub hours: String,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    nav: Nav,
    v: Verification,
    records: Vec<VerifiedRecord>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct VerifyQuery {
    s: String,
}

pub(crate) async fn verify(ctx: Ctx, Path(no): Path<String>, Query(q): Query<VerifyQuery>) -> PageResult {
    let s = q.s.trim();
    let v = ctx
        .app
        .service()
        .verify_certificate(no.trim(), (!s.is_empty()).then_some(s))
        .await
        .map_err(|e| ctx.fail(e))?;
    let records = v
        .payload
        .as_ref()
        .map(|p| {
            p.records
                .iter()
                .map(|r| VerifiedRecord {
                    date: r.date.clone(),
                    activity: r.activity.clone(),
                    organizer: r.organizer.clone(),
                    hours: format_hours(r.minutes),
                })
                .collect()
        })
        .unwrap_or_default();
    ok(&VerifyPage {
        nav: ctx.nav(),
        v,
        records,
    })
}

#[derive(Template)]
#[template(path = "verify_form.html")]
struct VerifyFormPage {
    nav: Nav,
    no: String,
    s: String,
    errors: FormErrors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct VerifyFormQuery {
    /// Absent on the first visit; present (perhaps empty) once the form was sent.
    no: Option<String>,
    s: Option<String>,
}

/// `/verify`: where a certificate's number and the code printed under its QR code are typed
/// in (README's public verification page); a filled form goes to `/verify/{no}?s=…`.
pub(crate) async fn verify_form(ctx: Ctx, Query(q): Query<VerifyFormQuery>) -> PageResult {
    let asked = q.no.is_some() || q.s.is_some();
    let (raw_no, raw_s) = (q.no.unwrap_or_default(), q.s.unwrap_or_default());
    let no: String = raw_no.split_whitespace().collect();
    let s: String = raw_s.split_whitespace().collect::<String>().replace('…', "");
    let mut errors = Vec::new();
    if asked {
        if no.is_empty() {
            errors.push(FieldError::new("no", "certificate_no_required", "请填写证明编号"));
        } else if no.chars().count() > 40 || !no.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            errors.push(FieldError::new(
                "no",
                "certificate_no_invalid",
                "证明编号由字母和数字组成，请对照证明填写",
            ));
        }
        if s.chars().count() < 16 {
            errors.push(FieldError::new(
                "s",
                "signature_required",
                "请填写证明上印的防伪签名（16 位）",
            ));
        }
        if errors.is_empty() {
            return Ok(crate::pages::see_other(&crate::pages::url_with(
                &format!("/verify/{}", crate::pages::enc(&no)),
                &[("s", &s)],
            )));
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(
        status,
        &VerifyFormPage {
            nav: ctx.nav(),
            no: raw_no.trim().to_owned(),
            s: raw_s.trim().to_owned(),
            errors: FormErrors::from_fields(&errors),
        },
    ))
}

// ---------------------------------------------------------------- 光荣榜

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct HonorQuery {
    county: String,
    from: String,
    to: String,
}

pub(crate) struct HonorLine {
    pub h: HonorView,
    pub stars: String,
}

#[derive(Template)]
#[template(path = "honor_roll.html")]
struct HonorPage {
    nav: Nav,
    counties: Vec<Choice>,
    from: String,
    to: String,
    scope: String,
    error: Option<String>,
    lines: Vec<HonorLine>,
    /// The Excel export of the roll shown.
    export: String,
}

pub(crate) async fn honor_roll(ctx: Ctx, Query(q): Query<HonorQuery>) -> PageResult {
    let today = zhiyuan_app::today();
    let county = q.county.trim().to_owned();
    let from = match q.from.trim() {
        "" => format!("{}-01-01", chrono::Datelike::year(&today)),
        d => d.to_owned(),
    };
    let to = match q.to.trim() {
        "" => today.to_string(),
        d => d.to_owned(),
    };
    let app = &ctx.app;
    let prefix = county_prefix(&county).unwrap_or_default();
    let counties = county_choices(app, &county).await.map_err(|e| ctx.fail(e))?;
    let scope = counties
        .iter()
        .find(|c| c.selected)
        .map(|c| c.label.clone())
        .unwrap_or_else(|| "全市".to_owned());
    let export = crate::pages::url_with(
        "/api/v1/honor-roll.xlsx",
        &[("region", &prefix), ("from", &from), ("to", &to), ("limit", "50")],
    );
    let (lines, error) = match app.service().honor_roll(&prefix, &from, &to, 50).await {
        Ok(list) => (
            list.into_iter()
                .map(|h| HonorLine {
                    stars: stars(star_level(h.minutes)),
                    h,
                })
                .collect(),
            None,
        ),
        Err(e) if is_input_error(&e) => (Vec::new(), Some(e.to_string())),
        Err(e) => return Err(ctx.fail(e)),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(render(
        status,
        &HonorPage {
            nav: ctx.nav(),
            counties,
            from,
            to,
            scope,
            error,
            lines,
            export,
        },
    ))
}
