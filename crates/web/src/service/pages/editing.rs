//! 修改项目 and 修改班次: the organizing team edits a draft or recruiting project's details and
//! the shifts that have not begun; every problem is shown beside its field with what was typed.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum_extra::extract::Form;
use zhiyuan_app::service::projects::{ProjectDetailsInput, ProjectView, ShiftView};
use zhiyuan_app::AppError;
use zhiyuan_domain::tags::SERVICE_CATEGORIES;

use super::manages;
use super::projects::{coordinate, number, shift_input, ProjectForm, ShiftForm};
use crate::pages::{is_input_error, parse_id, render, see_other, Choice, Ctx, FormErrors, Nav, PageResult};

#[derive(Template)]
#[template(path = "project_edit.html")]
struct ProjectEditPage {
    nav: Nav,
    p: ProjectView,
    form: ProjectForm,
    errors: FormErrors,
    categories: Vec<Choice>,
    /// The team is not chosen here (the shared fields leave its picker out when empty).
    teams: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "shift_edit.html")]
struct ShiftEditPage {
    nav: Nav,
    p: ProjectView,
    s: ShiftView,
    form: ShiftForm,
    errors: FormErrors,
}

/// `2026-05-01 09:00` as a `datetime-local` value.
fn local_input(shown: &str) -> String {
    shown.replacen(' ', "T", 1)
}

fn status_of(errors: &FormErrors) -> StatusCode {
    if errors.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// The project, for an administrator of its team while it may still be edited; otherwise the
/// project page says why (a finished project, a shift that has begun).
async fn editable_project(ctx: &Ctx, id: i64) -> Result<ProjectView, axum::response::Response> {
    let caller = ctx.require_login()?;
    let p = ctx
        .app
        .service()
        .project(Some(caller), id)
        .await
        .map_err(|e| ctx.fail(e))?;
    if !manages(Some(caller), &p.team) {
        return Err(ctx.fail(AppError::Forbidden));
    }
    Ok(p)
}

async fn project_edit_page(ctx: &Ctx, id: i64, form: Option<ProjectForm>, errors: FormErrors) -> PageResult {
    let p = editable_project(ctx, id).await?;
    if !p.status.editable() {
        return Ok(see_other(&format!("/projects/{id}")));
    }
    let form = form.unwrap_or_else(|| ProjectForm {
        title: p.title.clone(),
        category: p.category.clone(),
        description: p.description.clone(),
        address: p.address.clone(),
        lat: p.lat.map(|v| v.to_string()).unwrap_or_default(),
        lon: p.lon.map(|v| v.to_string()).unwrap_or_default(),
        checkin_radius_m: p.checkin_radius_m.to_string(),
        person_in_charge: p.person_in_charge.clone(),
        contact_phone: p.contact_phone.clone(),
        risk_notes: p.risk_notes.clone(),
        auto_approve: if p.auto_approve { "1".into() } else { String::new() },
        ..Default::default()
    });
    let categories = SERVICE_CATEGORIES
        .iter()
        .map(|c| Choice {
            value: c.code.into(),
            label: c.label.into(),
            selected: c.code == form.category.trim(),
        })
        .collect();
    Ok(render(
        status_of(&errors),
        &ProjectEditPage {
            nav: ctx.nav(),
            p,
            form,
            errors,
            categories,
            teams: Vec::new(),
        },
    ))
}

pub(crate) async fn project_edit_form(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    project_edit_page(&ctx, id, None, FormErrors::default()).await
}

pub(crate) async fn update_project(
    ctx: Ctx,
    Path(id): Path<String>,
    Form(f): Form<ProjectForm>,
) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    let input = ProjectDetailsInput {
        title: f.title.clone(),
        category: f.category.trim().to_owned(),
        description: f.description.clone(),
        address: f.address.clone(),
        lat: coordinate(&f.lat),
        lon: coordinate(&f.lon),
        checkin_radius_m: number(&f.checkin_radius_m, 0),
        person_in_charge: f.person_in_charge.clone(),
        contact_phone: f.contact_phone.clone(),
        risk_notes: f.risk_notes.clone(),
        auto_approve: !f.auto_approve.is_empty(),
    };
    match ctx.app.service().update_project(caller, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/projects/{id}?done=edited"))),
        // no longer editable (it started meanwhile): the project page shows it as it is
        Err(AppError::Conflict { .. }) => Ok(see_other(&format!("/projects/{id}"))),
        Err(e) if is_input_error(&e) => project_edit_page(&ctx, id, Some(f), FormErrors::from_app(&e)).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

async fn shift_edit_page(
    ctx: &Ctx,
    shift_id: i64,
    form: Option<ShiftForm>,
    errors: FormErrors,
    refused: Option<String>,
) -> PageResult {
    let project_id = ctx
        .app
        .service()
        .shift_project(shift_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let p = editable_project(ctx, project_id).await?;
    let Some(s) = p.shifts.iter().find(|s| s.id == shift_id).cloned() else {
        return Err(ctx.fail(AppError::NotFound("班次")));
    };
    let mut errors = errors;
    if let Some(m) = refused {
        errors = FormErrors::message(&m);
    }
    let form = form.unwrap_or_else(|| ShiftForm {
        start: local_input(&s.starts_at),
        end: local_input(&s.ends_at),
        headcount: s.headcount.to_string(),
        skills: s.required_skills.join("、"),
        min_age: if s.min_age > 0 {
            s.min_age.to_string()
        } else {
            String::new()
        },
    });
    Ok(render(
        status_of(&errors),
        &ShiftEditPage {
            nav: ctx.nav(),
            p,
            s,
            form,
            errors,
        },
    ))
}

pub(crate) async fn shift_edit_form(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    shift_edit_page(&ctx, id, None, FormErrors::default(), None).await
}

pub(crate) async fn update_shift(ctx: Ctx, Path(id): Path<String>, Form(f): Form<ShiftForm>) -> PageResult {
    let id = parse_id(&ctx, &id)?;
    let caller = ctx.require_login()?;
    let input = shift_input(&f.start, &f.end, &f.headcount, &f.skills, &f.min_age);
    match ctx.app.service().update_shift(caller, id, &input).await {
        Ok(s) => Ok(see_other(&format!(
            "/projects/{}?done=shift_edited#shift-{id}",
            s.project_id
        ))),
        Err(e @ AppError::Conflict { .. }) => {
            shift_edit_page(&ctx, id, Some(f), FormErrors::default(), Some(e.to_string())).await
        }
        Err(e) if is_input_error(&e) => {
            shift_edit_page(&ctx, id, Some(f), FormErrors::from_app(&e), None).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}
