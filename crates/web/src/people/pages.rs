//! Volunteers: self-registration, registration by an administrator, the list and the record.

use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;
use zhiyuan_app::auth::manage::VolunteerLogin;
use zhiyuan_app::network::OrgFilter;
use zhiyuan_app::people::{
    CloseInput, ContactInput, MembershipView, SelfRegistration, VolunteerInput, VolunteerView,
};
use zhiyuan_app::PageRequest;
use zhiyuan_app::{App, AppError, AppResult, Caller, Scope};
use zhiyuan_domain::tags::{SERVICE_CATEGORIES, SUGGESTED_SKILLS};

use crate::extract::ClientAddr;
use crate::pages::{
    clear_cookie, form_status, is_input_error, ok, parse_id, redirect_with_cookie, render, see_other,
    session_cookie, Choice, Ctx, FormErrors, Nav, PageResult, SeekPager, SeekQuery,
};

/// A registration form as submitted: every field as text, so that nothing the person typed
/// is lost when the form comes back with its problems.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct VolunteerForm {
    pub name: String,
    pub resident_id: String,
    pub phone: String,
    pub region_code: String,
    pub skills: String,
    pub categories: Vec<String>,
    pub lat: String,
    pub lon: String,
    pub availability: String,
    pub team_id: String,
    pub password: String,
    /// `1`: show my full name on the honor roll (the volunteer's own form only).
    pub public_name: String,
}

/// A coordinate as typed: blank is none; text that is not a number becomes NaN, which the
/// use case reports as an invalid location beside the other problems of the form.
fn coordinate(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        None
    } else {
        Some(s.parse::<f64>().unwrap_or(f64::NAN))
    }
}

impl VolunteerForm {
    fn input(&self) -> VolunteerInput {
        let team = self.team_id.trim();
        VolunteerInput {
            name: self.name.clone(),
            resident_id: self.resident_id.clone(),
            phone: self.phone.clone(),
            region_code: self.region_code.trim().to_owned(),
            skills: vec![self.skills.clone()],
            categories: self.categories.clone(),
            lat: coordinate(&self.lat),
            lon: coordinate(&self.lon),
            availability: self.availability.clone(),
            // an unknown id is reported by the use case as "所选队伍不存在"
            team_id: if team.is_empty() {
                None
            } else {
                Some(team.parse().unwrap_or(-1))
            },
        }
    }
}

pub(crate) struct RegionGroup {
    pub label: String,
    pub options: Vec<Choice>,
}

pub(crate) struct CategoryChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// Everything the shared form partial (`volunteer_form.html`) shows.
pub(crate) struct VolunteerFormView {
    pub form: VolunteerForm,
    pub errors: FormErrors,
    pub regions: Vec<RegionGroup>,
    pub categories: Vec<CategoryChoice>,
    pub suggested_skills: String,
    pub with_password: bool,
    pub teams: Option<Vec<Choice>>,
    pub team_required: bool,
    /// Changing a registered volunteer: name and resident ID are shown, not asked.
    pub editing: bool,
}

/// Residence choices grouped by district, limited to a region prefix when given.
async fn region_groups(app: &App, within: Option<&str>, selected: &str) -> AppResult<Vec<RegionGroup>> {
    let all = app.network().region_choices().await?;
    let within = within.unwrap_or("");
    let mut groups = Vec::new();
    for county in all.iter().filter(|r| r.level == "county") {
        let mut options: Vec<Choice> = all
            .iter()
            .filter(|t| t.level != "county" && t.parent_code.as_deref() == Some(county.code.as_str()))
            .filter(|t| t.code.starts_with(within))
            .map(|t| Choice {
                value: t.code.clone(),
                label: t.name.clone(),
                selected: t.code == selected,
            })
            .collect();
        if options.is_empty() && county.code.starts_with(within) {
            options.push(Choice {
                value: county.code.clone(),
                label: county.name.clone(),
                selected: county.code == selected,
            });
        }
        if !options.is_empty() {
            groups.push(RegionGroup {
                label: county.name.clone(),
                options,
            });
        }
    }
    Ok(groups)
}

/// The teams an administrator may register volunteers into.
pub(crate) async fn team_choices(app: &App, caller: &Caller, selected: &str) -> AppResult<Vec<Choice>> {
    let filter = match &caller.scope {
        Scope::Team { path, .. } => OrgFilter {
            path_prefix: Some(path.clone()),
            ..Default::default()
        },
        Scope::Region { prefix } | Scope::Site { prefix, .. } => OrgFilter {
            region_prefix: Some(prefix.clone()),
            ..Default::default()
        },
        Scope::Own => return Ok(Vec::new()),
    };
    let page = app
        .network()
        .orgs(&filter, PageRequest::new(None, Some(200)))
        .await?;
    let base = page.items.iter().map(|o| o.depth).min().unwrap_or(0);
    Ok(page
        .items
        .into_iter()
        .map(|o| {
            let indent = "　".repeat(o.depth.saturating_sub(base));
            let value = o.id.to_string();
            Choice {
                selected: value == selected,
                value,
                label: format!("{indent}{}（{}）", o.name, o.region_name),
            }
        })
        .collect())
}

async fn form_view(
    app: &App,
    form: VolunteerForm,
    errors: FormErrors,
    admin: Option<&Caller>,
) -> AppResult<VolunteerFormView> {
    let within = admin.and_then(|c| c.region_prefix()).map(str::to_owned);
    let regions = region_groups(app, within.as_deref(), form.region_code.trim()).await?;
    let categories = SERVICE_CATEGORIES
        .iter()
        .map(|c| CategoryChoice {
            code: c.code,
            label: c.label,
            checked: form.categories.iter().any(|x| x == c.code || x == c.label),
        })
        .collect();
    let teams = match admin {
        Some(c) => Some(team_choices(app, c, form.team_id.trim()).await?),
        None => None,
    };
    Ok(VolunteerFormView {
        errors,
        regions,
        categories,
        suggested_skills: SUGGESTED_SKILLS.join("、"),
        with_password: admin.is_none(),
        teams,
        team_required: admin.is_some_and(|c| matches!(c.scope, Scope::Team { .. })),
        editing: false,
        form: VolunteerForm {
            password: String::new(),
            ..form
        },
    })
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    nav: Nav,
    vf: VolunteerFormView,
}

pub(crate) async fn register_form(ctx: Ctx) -> PageResult {
    let vf = form_view(&ctx.app, VolunteerForm::default(), FormErrors::default(), None)
        .await
        .map_err(|e| ctx.fail(e))?;
    ok(&RegisterPage { nav: ctx.nav(), vf })
}

pub(crate) async fn register(
    ctx: Ctx,
    ClientAddr(from): ClientAddr,
    Form(form): Form<VolunteerForm>,
) -> PageResult {
    ctx.guard_post()?;
    let reg = SelfRegistration {
        volunteer: VolunteerInput {
            team_id: None,
            ..form.input()
        },
        password: form.password.clone(),
    };
    match ctx.app.people().register_self_from(&reg, from).await {
        Ok((token, _)) => Ok(redirect_with_cookie(
            "/me?registered=1",
            session_cookie(&ctx.app, &token),
        )),
        Err(e) if is_input_error(&e) => {
            let vf = form_view(&ctx.app, form, FormErrors::from_app(&e), None)
                .await
                .map_err(|e| ctx.fail(e))?;
            Ok(render(form_status(&e), &RegisterPage { nav: ctx.nav(), vf }))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

#[derive(Template)]
#[template(path = "volunteer_new.html")]
struct NewVolunteerPage {
    nav: Nav,
    vf: VolunteerFormView,
}

pub(crate) async fn new_form(ctx: Ctx) -> PageResult {
    let caller = ctx.require_login()?;
    caller.require_admin().map_err(|e| ctx.fail(e))?;
    let vf = form_view(
        &ctx.app,
        VolunteerForm::default(),
        FormErrors::default(),
        Some(caller),
    )
    .await
    .map_err(|e| ctx.fail(e))?;
    ok(&NewVolunteerPage { nav: ctx.nav(), vf })
}

pub(crate) async fn create(ctx: Ctx, Form(form): Form<VolunteerForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    caller.require_admin().map_err(|e| ctx.fail(e))?;
    match ctx.app.people().register_volunteer(caller, &form.input()).await {
        Ok(v) => Ok(see_other(&format!("/volunteers/{}?created=1", v.id))),
        Err(e) if is_input_error(&e) || matches!(e, AppError::Forbidden) => {
            let errors = match &e {
                AppError::Forbidden => FormErrors::message("所填居住地或队伍不在您的管理范围内，无权登记"),
                _ => FormErrors::from_app(&e),
            };
            let vf = form_view(&ctx.app, form, errors, Some(caller))
                .await
                .map_err(|e| ctx.fail(e))?;
            Ok(render(form_status(&e), &NewVolunteerPage { nav: ctx.nav(), vf }))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ListQuery {
    q: String,
    after: String,
    before: String,
}

#[derive(Template)]
#[template(path = "volunteers.html")]
struct ListPage {
    nav: Nav,
    q: String,
    items: Vec<VolunteerView>,
    pager: SeekPager,
    /// The roster as Excel, with the same search.
    export: String,
    can_register: bool,
}

pub(crate) async fn list(ctx: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let query = q.q.trim().to_owned();
    let page = ctx
        .app
        .people()
        .search_volunteers(
            caller,
            Some(&query),
            None,
            &SeekQuery {
                after: q.after,
                before: q.before,
            }
            .request(20),
        )
        .await
        .map_err(|e| ctx.fail(e))?;
    let pager = SeekPager::of(&page, "/volunteers", &[("q", &query)]);
    ok(&ListPage {
        export: crate::pages::url_with("/api/v1/volunteers.xlsx", &[("q", &query)]),
        nav: ctx.nav(),
        q: query,
        items: page.items,
        pager,
        can_register: caller.is_admin(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DetailQuery {
    created: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "volunteer.html")]
struct DetailPage {
    nav: Nav,
    v: VolunteerView,
    memberships: Vec<MembershipView>,
    created: bool,
    updated: bool,
    is_self: bool,
    may_edit: bool,
    /// An administrator may open a login for this volunteer (平台账号 未开通).
    may_open: bool,
    /// The login just opened, shown once.
    opened: Option<VolunteerLogin>,
    refused: Option<String>,
    /// 注销 by an office: the reason typed, and why it was refused.
    close_reason: String,
    close_error: Option<String>,
}

async fn detail_page(ctx: &Ctx, id: i64) -> Result<DetailPage, axum::response::Response> {
    let caller = ctx.require_login()?;
    let people = ctx.app.people();
    let v = people.volunteer(caller, id).await.map_err(|e| ctx.fail(e))?;
    let memberships = people.memberships_of(caller, id).await.map_err(|e| ctx.fail(e))?;
    let may_edit = people.may_edit(caller, id).await.map_err(|e| ctx.fail(e))?;
    Ok(DetailPage {
        nav: ctx.nav(),
        is_self: caller.volunteer_id == Some(v.id),
        may_open: may_edit && caller.is_admin() && !v.has_account,
        v,
        memberships,
        created: false,
        updated: false,
        may_edit,
        opened: None,
        refused: None,
        close_reason: String::new(),
        close_error: None,
    })
}

pub(crate) async fn detail(ctx: Ctx, Path(id): Path<String>, Query(q): Query<DetailQuery>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let mut page = detail_page(&ctx, id).await?;
    page.created = !q.created.is_empty();
    page.updated = !q.updated.is_empty();
    ok(&page)
}

/// 开通平台账号: the login is shown on this answer only; the page stands for the record.
pub(crate) async fn open_account(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let caller = ctx.require_login()?;
    let id = parse_id(&ctx, &id)?;
    match ctx.app.auth().open_volunteer_account(caller, id).await {
        Ok(login) => {
            let mut page = detail_page(&ctx, id).await?;
            page.nav = page.nav.at(format!("/volunteers/{id}"));
            page.opened = Some(login);
            ok(&page)
        }
        Err(e) if is_input_error(&e) => {
            let mut page = detail_page(&ctx, id).await?;
            page.nav = page.nav.at(format!("/volunteers/{id}"));
            page.refused = Some(e.to_string());
            Ok(render(form_status(&e), &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// 修改信息: the volunteer, or an administrator who sees them, keeps the details up to date

#[derive(Template)]
#[template(path = "volunteer_edit.html")]
struct EditPage {
    nav: Nav,
    v: VolunteerView,
    vf: VolunteerFormView,
    /// Where the page leads back to: 我的 for the volunteer, the record for an administrator.
    back: String,
    is_self: bool,
}

async fn edit_page(ctx: &Ctx, id: i64, form: Option<VolunteerForm>, errors: FormErrors) -> PageResult {
    let caller = ctx.require_login()?;
    let people = ctx.app.people();
    let v = people.volunteer(caller, id).await.map_err(|e| ctx.fail(e))?;
    if !people.may_edit(caller, id).await.map_err(|e| ctx.fail(e))? {
        return Err(ctx.fail(AppError::Forbidden));
    }
    let form = form.unwrap_or_else(|| VolunteerForm {
        // a number shown masked is not filled in: left blank, it stays
        phone: if v.phone_masked {
            String::new()
        } else {
            v.phone.clone()
        },
        region_code: v.region_code.clone(),
        skills: v.skills.join("、"),
        categories: v.categories.iter().map(|c| c.code.clone()).collect(),
        lat: v.lat.map(|x| x.to_string()).unwrap_or_default(),
        lon: v.lon.map(|x| x.to_string()).unwrap_or_default(),
        availability: v.availability.clone(),
        public_name: if v.public_name { "1".into() } else { String::new() },
        ..Default::default()
    });
    let is_self = caller.volunteer_id == Some(id);
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut vf = form_view(&ctx.app, form, errors, None)
        .await
        .map_err(|e| ctx.fail(e))?;
    // a residence recorded finer than the list (a community) stays a choice, first
    if !vf
        .regions
        .iter()
        .any(|g| g.options.iter().any(|o| o.value == v.region_code))
    {
        let selected = vf.form.region_code.trim() == v.region_code;
        vf.regions.insert(
            0,
            RegionGroup {
                label: "当前居住地".into(),
                options: vec![Choice {
                    value: v.region_code.clone(),
                    label: v.region_name.clone(),
                    selected,
                }],
            },
        );
    }
    vf.editing = true;
    vf.with_password = false;
    let nav = if status == StatusCode::OK {
        ctx.nav()
    } else {
        ctx.nav().at(format!("/volunteers/{id}/edit"))
    };
    Ok(render(
        status,
        &EditPage {
            nav,
            back: if is_self {
                "/me".into()
            } else {
                format!("/volunteers/{id}")
            },
            is_self,
            v,
            vf,
        },
    ))
}

pub(crate) async fn edit_form(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    edit_page(&ctx, id, None, FormErrors::default()).await
}

/// 修改我的信息: the volunteer's own record.
pub(crate) async fn edit_mine(ctx: Ctx) -> PageResult {
    let caller = ctx.require_login()?;
    match caller.volunteer_id {
        Some(id) => edit_page(&ctx, id, None, FormErrors::default()).await,
        None => Ok(see_other("/me")),
    }
}

pub(crate) async fn update(ctx: Ctx, Path(id): Path<String>, Form(form): Form<VolunteerForm>) -> PageResult {
    let caller = ctx.require_login()?;
    let id = parse_id(&ctx, &id)?;
    let input = ContactInput {
        phone: form.phone.clone(),
        region_code: form.region_code.trim().to_owned(),
        skills: vec![form.skills.clone()],
        categories: form.categories.clone(),
        lat: coordinate(&form.lat),
        lon: coordinate(&form.lon),
        availability: form.availability.clone(),
        // the consent is the volunteer's own: an administrator's form does not carry it
        public_name: (caller.volunteer_id == Some(id)).then_some(!form.public_name.is_empty()),
    };
    match ctx.app.people().update_contact(caller, id, &input).await {
        Ok(_) if caller.volunteer_id == Some(id) => Ok(see_other("/me?updated=1")),
        Ok(_) => Ok(see_other(&format!("/volunteers/{id}?updated=1"))),
        Err(e) if is_input_error(&e) => edit_page(&ctx, id, Some(form), FormErrors::from_app(&e)).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// 注销: an office closes a volunteer's record (with a reason), or the volunteer their own (with
// their password)

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct CloseForm {
    reason: String,
    password: String,
}

pub(crate) async fn close(ctx: Ctx, Path(id): Path<String>, Form(f): Form<CloseForm>) -> PageResult {
    let caller = ctx.require_login()?;
    let id = parse_id(&ctx, &id)?;
    let input = CloseInput {
        reason: f.reason.clone(),
        password: String::new(),
    };
    match ctx.app.people().close_volunteer(caller, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/volunteers/{id}"))),
        // closed already (a second tap): the record says so
        Err(AppError::Conflict {
            code: "volunteer_closed",
            ..
        }) => Ok(see_other(&format!("/volunteers/{id}"))),
        Err(e) if is_input_error(&e) => {
            let mut page = detail_page(&ctx, id).await?;
            page.nav = page.nav.at(format!("/volunteers/{id}"));
            page.close_reason = f.reason;
            page.close_error = Some(e.to_string());
            Ok(render(form_status(&e), &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

#[derive(Template)]
#[template(path = "close_mine.html")]
struct CloseMinePage {
    nav: Nav,
    reason: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "closed.html")]
struct ClosedPage {
    nav: Nav,
}

/// Where a volunteer lands after closing their own account (signed out).
pub(crate) async fn closed_page(ctx: Ctx) -> PageResult {
    ok(&ClosedPage { nav: ctx.nav() })
}

pub(crate) async fn close_mine_form(ctx: Ctx) -> PageResult {
    let caller = ctx.require_login()?;
    if caller.volunteer_id.is_none() {
        return Ok(see_other("/me"));
    }
    ok(&CloseMinePage {
        nav: ctx.nav(),
        reason: String::new(),
        errors: FormErrors::default(),
    })
}

pub(crate) async fn close_mine(ctx: Ctx, Form(f): Form<CloseForm>) -> PageResult {
    let caller = ctx.require_login()?;
    let Some(id) = caller.volunteer_id else {
        return Ok(see_other("/me"));
    };
    let input = CloseInput {
        reason: f.reason.clone(),
        password: f.password.clone(),
    };
    match ctx.app.people().close_volunteer(caller, id, &input).await {
        // a redirect, so that back and reload show the page rather than send the form again
        Ok(_) => Ok(redirect_with_cookie("/closed", clear_cookie())),
        Err(e) if is_input_error(&e) => Ok(render(
            form_status(&e),
            &CloseMinePage {
                nav: ctx.nav().at("/me/close"),
                reason: f.reason,
                errors: FormErrors::from_app(&e),
            },
        )),
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/register", get(register_form).post(register))
        .route("/volunteers", get(list))
        .route("/volunteers/new", get(new_form).post(create))
        .route("/volunteers/{id}", get(detail))
        .route("/volunteers/{id}/edit", get(edit_form).post(update))
        .route("/volunteers/{id}/account", post(open_account))
        .route("/me/edit", get(edit_mine))
        .route("/me/close", get(close_mine_form).post(close_mine))
        .route("/closed", get(closed_page))
        .route("/volunteers/{id}/close", post(close))
}
