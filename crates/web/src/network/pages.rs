//! Organizations and teams (with joining and its review), and the practice network of sites.

use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;
use zhiyuan_app::network::policy::administers;
use zhiyuan_app::network::policy::administers_site;
use zhiyuan_app::network::OrgFilter;
use zhiyuan_app::network::SiteFilter;
use zhiyuan_app::network::{
    OrgDetailsInput, OrgDissolveInput, OrgInput, OrgMoveInput, OrgView, ParentChoice, SiteDetailsInput,
    SiteView,
};
use zhiyuan_app::people::MembershipView;
use zhiyuan_app::service::projects::ProjectView;
use zhiyuan_app::AppError;
use zhiyuan_app::PageRequest;
use zhiyuan_domain::auth::{MembershipStatus, SiteLevel};

use crate::pages::{
    county_choices, county_prefix, form_status, is_input_error, login_redirect, ok, page_no, parse_id,
    render, see_other, Choice, Ctx, FormErrors, Nav, PageResult, Pager,
};

// ---------------------------------------------------------------- organizations

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct OrgsQuery {
    county: String,
    q: String,
    page: String,
}

pub(crate) struct OrgNode {
    pub org: OrgView,
    pub indent: usize,
    pub children: Vec<OrgView>,
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage {
    nav: Nav,
    counties: Vec<Choice>,
    q: String,
    /// Roots with their direct children (no filter) or a flat, indented list (filtered).
    tree: bool,
    nodes: Vec<OrgNode>,
    pager: Pager,
    /// The Excel export of the directory under the filter (every level).
    export: String,
}

pub(crate) async fn orgs(ctx: Ctx, Query(q): Query<OrgsQuery>) -> PageResult {
    let county = q.county.trim().to_owned();
    let text = q.q.trim().to_owned();
    let prefix = county_prefix(&county);
    let tree = prefix.is_none() && text.is_empty();
    let filter = OrgFilter {
        region_prefix: prefix,
        roots_only: tree,
        q: (!text.is_empty()).then(|| text.clone()),
        ..Default::default()
    };
    let per_page = if tree { 20 } else { 50 };
    let app = &ctx.app;
    let page = app
        .network()
        .orgs(&filter, PageRequest::new(page_no(&q.page), Some(per_page)))
        .await
        .map_err(|e| ctx.fail(e))?;
    let pager = Pager::of(&page, "/orgs", &[("county", &county), ("q", &text)]);
    let region = filter.region_prefix.clone().unwrap_or_default();
    let export = crate::pages::url_with("/api/v1/organizations.xlsx", &[("region", &region), ("q", &text)]);
    let base = page.items.iter().map(|o| o.depth).min().unwrap_or(0);
    let mut nodes = Vec::with_capacity(page.items.len());
    for org in page.items {
        let children = if tree {
            app.network()
                .org_children(org.id)
                .await
                .map_err(|e| ctx.fail(e))?
        } else {
            Vec::new()
        };
        let indent = if text.is_empty() {
            org.depth.saturating_sub(base).min(8)
        } else {
            0
        };
        nodes.push(OrgNode {
            org,
            indent,
            children,
        });
    }
    let counties = county_choices(app, &county).await.map_err(|e| ctx.fail(e))?;
    ok(&OrgsPage {
        nav: ctx.nav(),
        counties,
        q: text,
        tree,
        nodes,
        pager,
        export,
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TeamForm {
    name: String,
    kind: String,
    contact_name: String,
    contact_phone: String,
    description: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct OrgQuery {
    joined: String,
    created: String,
    decided: String,
    updated: String,
    moved: String,
    dissolved: String,
    unsaved: String,
}

pub(crate) struct OrgAdmin {
    pub members: Vec<MembershipView>,
    pub pending: Vec<MembershipView>,
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    nav: Nav,
    o: OrgView,
    parent: Option<OrgView>,
    children: Vec<OrgView>,
    /// Its projects (and its sub-teams') not yet over: drafts only for its administrators.
    projects: Vec<ProjectView>,
    admin: Option<OrgAdmin>,
    /// The caller is a volunteer who may ask to join.
    can_join: bool,
    /// The caller's own membership here, e.g. `待审核` / `已加入`.
    my_status: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    team_form: TeamForm,
    team_errors: FormErrors,
}

/// What the org page shows besides a notice or a form in progress.
struct OrgExtras {
    notice: Option<String>,
    error: Option<String>,
    team_form: TeamForm,
    team_errors: FormErrors,
}

impl Default for OrgExtras {
    fn default() -> Self {
        OrgExtras {
            notice: None,
            error: None,
            team_form: TeamForm {
                kind: "team".into(),
                ..Default::default()
            },
            team_errors: FormErrors::default(),
        }
    }
}

async fn org_page(ctx: &Ctx, id: i64, extras: OrgExtras) -> Result<OrgPage, axum::response::Response> {
    let app = &ctx.app;
    let o = app.network().org(id).await.map_err(|e| ctx.fail(e))?;
    let parent = match o.parent_id {
        Some(p) => app.network().org(p).await.ok(),
        None => None,
    };
    let children = app.network().org_children(id).await.map_err(|e| ctx.fail(e))?;
    let projects = app
        .service()
        .team_projects(ctx.caller.as_ref(), &o.place)
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut admin = None;
    let mut can_join = false;
    let mut my_status = None;
    if let Some(caller) = &ctx.caller {
        if caller.is_admin() {
            match app.people().org_memberships(caller, id, None).await {
                Ok(all) => {
                    let (pending, rest): (Vec<_>, Vec<_>) = all
                        .into_iter()
                        .partition(|m| m.status == MembershipStatus::Pending);
                    let members = rest
                        .into_iter()
                        .filter(|m| m.status == MembershipStatus::Approved)
                        .collect();
                    admin = Some(OrgAdmin { members, pending });
                }
                Err(AppError::Forbidden) => {}
                Err(e) => return Err(ctx.fail(e)),
            }
        }
        if let Some(vid) = caller.volunteer_id {
            let mine = app
                .people()
                .memberships_of(caller, vid)
                .await
                .map_err(|e| ctx.fail(e))?;
            my_status = mine
                .into_iter()
                .find(|m| m.organization_id == id && MembershipStatus::LIVE.contains(&m.status))
                .map(|m| m.status_label);
            can_join = my_status.is_none() && o.dissolved_at.is_none();
        }
    }
    Ok(OrgPage {
        nav: ctx.nav(),
        o,
        parent,
        children,
        projects,
        admin,
        can_join,
        my_status,
        notice: extras.notice,
        error: extras.error,
        team_form: extras.team_form,
        team_errors: extras.team_errors,
    })
}

pub(crate) async fn org(ctx: Ctx, Path(id): Path<String>, Query(q): Query<OrgQuery>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let notice = if !q.joined.is_empty() {
        Some("已提交入队申请，请等待队伍审核。".to_owned())
    } else if !q.created.is_empty() {
        Some("已创建。".to_owned())
    } else if q.decided == "approved" {
        Some("已批准该申请。".to_owned())
    } else if q.decided == "declined" {
        Some("已拒绝该申请。".to_owned())
    } else if !q.updated.is_empty() {
        Some("信息已保存。".to_owned())
    } else if !q.moved.is_empty() {
        Some("已调整上级组织。".to_owned())
    } else if !q.dissolved.is_empty() {
        Some("已解散，成员已收到通知。".to_owned())
    } else if !q.unsaved.is_empty() {
        Some("该组织已解散，您的修改未保存。".to_owned())
    } else {
        None
    };
    ok(&org_page(
        &ctx,
        id,
        OrgExtras {
            notice,
            ..Default::default()
        },
    )
    .await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct JoinForm {
    note: String,
}

pub(crate) async fn join(ctx: Ctx, Path(id): Path<String>, Form(f): Form<JoinForm>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let Some(caller) = &ctx.caller else {
        return Err(login_redirect(&format!("/orgs/{id}")));
    };
    ctx.guard_post()?;
    match ctx.app.people().request_join(caller, id, &f.note).await {
        Ok(_) => Ok(see_other(&format!("/orgs/{id}?joined=1"))),
        Err(e) if is_input_error(&e) => {
            let page = org_page(
                &ctx,
                id,
                OrgExtras {
                    error: Some(e.to_string()),
                    ..Default::default()
                },
            )
            .await?;
            Ok(render(form_status(&e), &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn create_team(ctx: Ctx, Path(id): Path<String>, Form(f): Form<TeamForm>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let Some(caller) = &ctx.caller else {
        return Err(login_redirect(&format!("/orgs/{id}")));
    };
    ctx.guard_post()?;
    let input = OrgInput {
        name: f.name.clone(),
        kind: f.kind.clone(),
        parent_id: Some(id),
        site_id: None,
        region_code: None,
        contact_name: f.contact_name.clone(),
        contact_phone: f.contact_phone.clone(),
        description: f.description.clone(),
    };
    match ctx.app.network().create_org(caller, &input).await {
        Ok(o) => Ok(see_other(&format!("/orgs/{}?created=1", o.id))),
        Err(e) if is_input_error(&e) => {
            let extras = OrgExtras {
                team_form: f,
                team_errors: FormErrors::from_app(&e),
                ..Default::default()
            };
            let page = org_page(&ctx, id, extras).await?;
            Ok(render(form_status(&e), &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DecideForm {
    back: String,
}

async fn decide(ctx: Ctx, id: String, f: DecideForm, approve: bool) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let Some(caller) = &ctx.caller else {
        return Err(login_redirect("/"));
    };
    ctx.guard_post()?;
    let m = ctx
        .app
        .people()
        .decide_join(caller, id, approve)
        .await
        .map_err(|e| ctx.fail(e))?;
    let decided = if approve { "approved" } else { "declined" };
    if f.back.is_empty() {
        Ok(see_other(&format!(
            "/orgs/{}?decided={decided}",
            m.organization_id
        )))
    } else {
        Ok(see_other(&f.back))
    }
}

pub(crate) async fn approve(ctx: Ctx, Path(id): Path<String>, Form(f): Form<DecideForm>) -> PageResult {
    decide(ctx, id, f, true).await
}

pub(crate) async fn decline(ctx: Ctx, Path(id): Path<String>, Form(f): Form<DecideForm>) -> PageResult {
    decide(ctx, id, f, false).await
}

// ---------------------------------------------------------------- an organization's upkeep

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct OrgDetailsForm {
    name: String,
    contact_name: String,
    contact_phone: String,
    description: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct MoveForm {
    parent_id: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DissolveForm {
    reason: String,
}

#[derive(Template)]
#[template(path = "org_edit.html")]
struct OrgEditPage {
    nav: Nav,
    o: OrgView,
    form: OrgDetailsForm,
    errors: FormErrors,
    parents: Vec<ParentChoice>,
    /// The parent picked (the current one unless a move was refused).
    parent_id: String,
    /// The caller may make it a top-level organization (an office whose area holds it).
    may_be_top: bool,
    reason: String,
    /// Why a dissolution was refused (sub-teams or open projects).
    dissolve_refused: Option<String>,
}

/// What the edit page shows besides the organization as it is now.
#[derive(Default)]
struct OrgEditState {
    form: Option<OrgDetailsForm>,
    parent_id: Option<String>,
    reason: String,
    errors: FormErrors,
    dissolve_refused: Option<String>,
}

async fn org_edit_page(ctx: &Ctx, id: i64, st: OrgEditState) -> PageResult {
    let caller = ctx.require_login()?;
    let o = ctx.app.network().org(id).await.map_err(|e| ctx.fail(e))?;
    if !administers(caller, &o.place) {
        return Err(ctx.fail(AppError::Forbidden));
    }
    if o.dissolved_at.is_some() {
        // dissolved meanwhile (another tab, another office): what was sent is not saved
        let stale = st.form.is_some() || st.parent_id.is_some();
        return Ok(see_other(&format!(
            "/orgs/{id}{}",
            if stale { "?unsaved=1" } else { "" }
        )));
    }
    let mut parents = ctx
        .app
        .network()
        .parent_choices(caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    // the current parent is always shown (chosen), even when the caller could not pick it now
    let current = match o.parent_id {
        Some(pid) => Some(ctx.app.network().org(pid).await.map_err(|e| ctx.fail(e))?),
        None => None,
    };
    if let Some(cur) = current.as_ref().filter(|c| !parents.iter().any(|p| p.id == c.id)) {
        parents.insert(
            0,
            ParentChoice {
                id: cur.id,
                name: format!("{}（当前）", cur.name),
                depth: 0,
            },
        );
    }
    // taken out to the top only by an office whose area holds it and that runs its parent
    let may_be_top = caller.covers_region(&o.region_code)
        && current.as_ref().is_none_or(|c| administers(caller, &c.place));
    let status = if st.errors.any() || st.dissolve_refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let form = st.form.unwrap_or_else(|| OrgDetailsForm {
        name: o.name.clone(),
        contact_name: o.contact_name.clone(),
        contact_phone: o.contact_phone.clone(),
        description: o.description.clone(),
    });
    let parent_id = st
        .parent_id
        .unwrap_or_else(|| o.parent_id.map(|p| p.to_string()).unwrap_or_default());
    Ok(render(
        status,
        &OrgEditPage {
            nav: ctx.nav(),
            may_be_top,
            o,
            form,
            errors: st.errors,
            parents,
            parent_id,
            reason: st.reason,
            dissolve_refused: st.dissolve_refused,
        },
    ))
}

/// 修改组织/队伍信息, 调整上级组织 and 解散 on one page, for its administrators.
pub(crate) async fn org_edit_form(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    org_edit_page(&ctx, id, OrgEditState::default()).await
}

pub(crate) async fn update_org(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<OrgDetailsForm>,
) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    let input = OrgDetailsInput {
        name: f.name.clone(),
        contact_name: f.contact_name.clone(),
        contact_phone: f.contact_phone.clone(),
        description: f.description.clone(),
    };
    match ctx.app.network().update_org(caller, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/orgs/{id}?updated=1"))),
        Err(e) if is_input_error(&e) => {
            let st = OrgEditState {
                form: Some(f),
                errors: FormErrors::from_app(&e),
                ..Default::default()
            };
            org_edit_page(&ctx, id, st).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn move_org(ctx: Ctx, Path(id): Path<String>, Form(f): Form<MoveForm>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    let parent_id = match f.parent_id.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(p) => Some(p),
            Err(_) => {
                let e = AppError::invalid("parent_id", "org_parent_invalid", "请选择上级组织");
                let st = OrgEditState {
                    parent_id: Some(f.parent_id),
                    errors: FormErrors::from_app(&e),
                    ..Default::default()
                };
                return org_edit_page(&ctx, id, st).await;
            }
        },
    };
    match ctx
        .app
        .network()
        .move_org(caller, id, &OrgMoveInput { parent_id })
        .await
    {
        Ok(_) => Ok(see_other(&format!("/orgs/{id}?moved=1"))),
        Err(e) if is_input_error(&e) => {
            let st = OrgEditState {
                parent_id: Some(f.parent_id),
                errors: FormErrors::from_app(&e),
                ..Default::default()
            };
            org_edit_page(&ctx, id, st).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn dissolve_org(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<DissolveForm>,
) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    let input = OrgDissolveInput {
        reason: f.reason.clone(),
    };
    match ctx.app.network().dissolve_org(caller, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/orgs/{id}?dissolved=1"))),
        // dissolved already (a second tap, or the back button): the page says so
        Err(AppError::Conflict {
            code: "org_dissolved",
            ..
        }) => Ok(see_other(&format!("/orgs/{id}"))),
        Err(e @ AppError::Conflict { .. }) => {
            let st = OrgEditState {
                reason: f.reason,
                dissolve_refused: Some(e.to_string()),
                ..Default::default()
            };
            org_edit_page(&ctx, id, st).await
        }
        Err(e) if is_input_error(&e) => {
            let st = OrgEditState {
                reason: f.reason,
                errors: FormErrors::from_app(&e),
                ..Default::default()
            };
            org_edit_page(&ctx, id, st).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------- practice network

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SitesQuery {
    county: String,
    level: String,
    q: String,
    page: String,
}

#[derive(Template)]
#[template(path = "sites.html")]
struct SitesPage {
    nav: Nav,
    counties: Vec<Choice>,
    levels: Vec<Choice>,
    q: String,
    items: Vec<SiteView>,
    pager: Pager,
    /// The Excel export of the directory under the filter.
    export: String,
}

const LEVELS: &[(&str, &str)] = &[
    ("center", "新时代文明实践中心"),
    ("institute", "新时代文明实践所"),
    ("station", "新时代文明实践站"),
];

pub(crate) async fn sites(ctx: Ctx, Query(q): Query<SitesQuery>) -> PageResult {
    let county = q.county.trim().to_owned();
    let level = LEVELS
        .iter()
        .find(|(code, _)| *code == q.level.trim())
        .map(|(c, _)| (*c).to_owned());
    let text = q.q.trim().to_owned();
    let filter = SiteFilter {
        region_prefix: county_prefix(&county),
        level: level.as_deref().and_then(SiteLevel::parse),
        parent_id: None,
        q: (!text.is_empty()).then(|| text.clone()),
    };
    let app = &ctx.app;
    let page = app
        .network()
        .sites(&filter, PageRequest::new(page_no(&q.page), Some(30)))
        .await
        .map_err(|e| ctx.fail(e))?;
    let level = level.unwrap_or_default();
    let region = filter.region_prefix.clone().unwrap_or_default();
    let export = crate::pages::url_with(
        "/api/v1/sites.xlsx",
        &[("region", &region), ("level", &level), ("q", &text)],
    );
    let pager = Pager::of(
        &page,
        "/sites",
        &[("county", &county), ("level", &level), ("q", &text)],
    );
    let levels = LEVELS
        .iter()
        .map(|(code, label)| Choice {
            value: (*code).into(),
            label: (*label).into(),
            selected: *code == level,
        })
        .collect();
    let counties = county_choices(app, &county).await.map_err(|e| ctx.fail(e))?;
    ok(&SitesPage {
        nav: ctx.nav(),
        counties,
        levels,
        q: text,
        items: page.items,
        pager,
        export,
    })
}

#[derive(Template)]
#[template(path = "site.html")]
struct SitePage {
    nav: Nav,
    s: SiteView,
    may_edit: bool,
    updated: bool,
    parent: Option<SiteView>,
    children: Vec<SiteView>,
    children_total: i64,
    teams: Vec<OrgView>,
    teams_total: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SiteQuery {
    updated: String,
}

pub(crate) async fn site(ctx: Ctx, Path(id): Path<String>, Query(q): Query<SiteQuery>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let app = &ctx.app;
    let s = app.network().site(id).await.map_err(|e| ctx.fail(e))?;
    let parent = match s.parent_id {
        Some(p) => app.network().site(p).await.ok(),
        None => None,
    };
    let all = PageRequest::new(None, Some(200));
    let children = app
        .network()
        .sites(
            &SiteFilter {
                parent_id: Some(id),
                ..Default::default()
            },
            all,
        )
        .await
        .map_err(|e| ctx.fail(e))?;
    let teams = app
        .network()
        .orgs(
            &OrgFilter {
                site_id: Some(id),
                ..Default::default()
            },
            all,
        )
        .await
        .map_err(|e| ctx.fail(e))?;
    let may_edit = ctx
        .caller
        .as_ref()
        .is_some_and(|c| administers_site(c, &s.region_code));
    ok(&SitePage {
        nav: ctx.nav(),
        may_edit,
        updated: !q.updated.is_empty(),
        s,
        parent,
        children_total: children.total,
        children: children.items,
        teams_total: teams.total,
        teams: teams.items,
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct SiteForm {
    address: String,
    contact_phone: String,
    contact_name: String,
    opening_hours: String,
}

#[derive(Template)]
#[template(path = "site_edit.html")]
struct SiteEditPage {
    nav: Nav,
    s: SiteView,
    form: SiteForm,
    errors: FormErrors,
}

async fn site_edit_page(ctx: &Ctx, id: i64, form: Option<SiteForm>, errors: FormErrors) -> PageResult {
    let caller = ctx.require_login()?;
    let s = ctx.app.network().site(id).await.map_err(|e| ctx.fail(e))?;
    if !administers_site(caller, &s.region_code) {
        return Err(ctx.fail(AppError::Forbidden));
    }
    let status = if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let form = form.unwrap_or_else(|| SiteForm {
        address: s.address.clone(),
        contact_phone: s.contact_phone.clone(),
        contact_name: s.contact_name.clone(),
        opening_hours: s.opening_hours.clone(),
    });
    Ok(render(
        status,
        &SiteEditPage {
            nav: ctx.nav(),
            s,
            form,
            errors,
        },
    ))
}

/// 修改阵地信息: the form, filled with what the site shows now.
pub(crate) async fn site_edit_form(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    site_edit_page(&ctx, id, None, FormErrors::default()).await
}

pub(crate) async fn update_site(ctx: Ctx, Path(id): Path<String>, Form(f): Form<SiteForm>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    let input = SiteDetailsInput {
        address: f.address.clone(),
        contact_phone: f.contact_phone.clone(),
        contact_name: f.contact_name.clone(),
        opening_hours: f.opening_hours.clone(),
    };
    match ctx.app.network().update_site(caller, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/sites/{id}?updated=1"))),
        Err(e) if is_input_error(&e) => site_edit_page(&ctx, id, Some(f), FormErrors::from_app(&e)).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/orgs", get(orgs))
        .route("/orgs/{id}", get(org))
        .route("/orgs/{id}/join", post(join))
        .route("/orgs/{id}/teams", post(create_team))
        .route("/orgs/{id}/edit", get(org_edit_form).post(update_org))
        .route("/orgs/{id}/move", post(move_org))
        .route("/orgs/{id}/dissolve", post(dissolve_org))
        .route("/memberships/{id}/approve", post(approve))
        .route("/memberships/{id}/decline", post(decline))
        .route("/sites", get(sites))
        .route("/sites/{id}", get(site))
        .route("/sites/{id}/edit", get(site_edit_form).post(update_site))
}
