//! 账号管理: an office's administrators' accounts (create, 停用/启用, 重置密码, last login),
//! and every user's own password (修改密码).

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::{CookieJar, Form};
use serde::Deserialize;
use zhiyuan_app::auth::manage::{AccountInput, AdminAccountView, RoleInput};
use zhiyuan_app::network::SiteFilter;
use zhiyuan_app::{may_grant, AppError, Caller, PageRequest, Scope};
use zhiyuan_domain::auth::Role;

use crate::pages::{
    form_status, is_input_error, ok, parse_id, render, see_other, Choice, Ctx, FormErrors, Nav, PageResult,
};
use crate::AppState;

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/accounts", get(list))
        .route("/accounts/new", get(new_form).post(create))
        .route("/accounts/{id}/disable", post(disable))
        .route("/accounts/{id}/enable", post(enable))
        .route("/accounts/{id}/reset-password", post(reset_password))
        .route("/accounts/{id}/role", get(role_form).post(change_role))
        .route("/me/password", get(password_form).post(change_password))
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    nav: Nav,
    accounts: Vec<AdminAccountView>,
    notice: Option<String>,
    refused: Option<String>,
    /// A password just reset: the account and the temporary password, shown once.
    reset: Option<(AdminAccountView, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DoneQuery {
    done: String,
}

async fn accounts_page(ctx: &Ctx, caller: &Caller) -> Result<AccountsPage, axum::response::Response> {
    let accounts = ctx
        .app
        .auth()
        .admin_accounts(caller)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(AccountsPage {
        nav: ctx.nav(),
        accounts,
        notice: None,
        refused: None,
        reset: None,
    })
}

pub(crate) async fn list(ctx: Ctx, Query(q): Query<DoneQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let mut page = accounts_page(&ctx, caller).await?;
    page.notice = match q.done.as_str() {
        "created" => Some("账号已创建。请将用户名和初始密码告知本人，并提醒其登录后修改密码。".into()),
        "disabled" => Some("账号已停用，其所有登录已失效。".into()),
        "enabled" => Some("账号已启用。".into()),
        "role" => Some("角色和管理范围已保存；如有调整，该账号的登录随即按新的角色生效。".into()),
        _ => None,
    };
    ok(&page)
}

async fn set_disabled(ctx: Ctx, id: String, disabled: bool) -> PageResult {
    let caller = ctx.require_login()?;
    let id = parse_id(&ctx, &id)?;
    match ctx.app.auth().set_account_disabled(caller, id, disabled).await {
        Ok(_) => Ok(see_other(&format!(
            "/accounts?done={}#account-{id}",
            if disabled { "disabled" } else { "enabled" }
        ))),
        Err(e) if is_input_error(&e) => {
            let mut page = accounts_page(&ctx, caller).await?;
            page.nav = page.nav.at("/accounts");
            page.refused = Some(e.to_string());
            Ok(render(form_status(&e), &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

pub(crate) async fn disable(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    set_disabled(ctx, id, true).await
}

pub(crate) async fn enable(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    set_disabled(ctx, id, false).await
}

/// 重置密码: the temporary password is shown on this answer only (a reload does not show it
/// again, nor reset again: the address is the list's).
pub(crate) async fn reset_password(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let caller = ctx.require_login()?;
    let id = parse_id(&ctx, &id)?;
    let reset = ctx
        .app
        .auth()
        .reset_password(caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut page = accounts_page(&ctx, caller).await?;
    page.nav = page.nav.at("/accounts");
    page.reset = Some((reset.account, reset.temporary_password));
    ok(&page)
}

// ---------------------------------------------------------------------------------------------
// Creating an account

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct AccountForm {
    username: String,
    display_name: String,
    password: String,
    role: String,
    scope_region: String,
    scope_site_id: String,
    scope_org_id: String,
}

#[derive(Template)]
#[template(path = "account_new.html")]
struct NewAccountPage {
    nav: Nav,
    /// 调整角色 of this account (no name, username or password then); none when creating.
    editing: Option<AdminAccountView>,
    form: AccountForm,
    errors: FormErrors,
    roles: Vec<Choice>,
    regions: Vec<Choice>,
    sites: Vec<Choice>,
    teams: Vec<Choice>,
}

/// The roles the caller may hand out (administrators below or beside them, and residents).
fn grantable(caller: &Caller) -> Vec<Role> {
    [
        Role::CityAdmin,
        Role::DistrictAdmin,
        Role::SiteAdmin,
        Role::TeamAdmin,
        Role::Resident,
    ]
    .into_iter()
    .filter(|r| may_grant(caller.role, *r))
    .collect()
}

async fn new_page(ctx: &Ctx, caller: &Caller, form: AccountForm, errors: FormErrors) -> PageResult {
    account_page(ctx, caller, None, form, errors).await
}

/// The account form: creating one, or (with `editing`) 调整角色 of one the caller manages.
async fn account_page(
    ctx: &Ctx,
    caller: &Caller,
    editing: Option<AdminAccountView>,
    form: AccountForm,
    errors: FormErrors,
) -> PageResult {
    let app = &ctx.app;
    let roles = grantable(caller)
        .into_iter()
        .filter(|r| editing.is_none() || r.is_admin())
        .map(|r| Choice {
            value: r.as_str().into(),
            label: r.label_zh().into(),
            selected: r.as_str() == form.role,
        })
        .collect();
    // districts (and, for the city, the city itself) within the caller's region
    let mut regions = Vec::new();
    if let Scope::Region { prefix } = &caller.scope {
        if caller.role == Role::CityAdmin {
            regions.push(Choice {
                value: prefix.clone(),
                label: "全市（市级管理员）".into(),
                selected: form.scope_region == *prefix,
            });
        }
        let city = format!("{:0<12}", &prefix[..2.min(prefix.len())]);
        for r in app
            .network()
            .regions(Some(&city))
            .await
            .map_err(|e| ctx.fail(e))?
        {
            let p = r.code[..6].to_owned();
            if p.starts_with(prefix.as_str()) {
                regions.push(Choice {
                    selected: form.scope_region == p,
                    value: p,
                    label: r.name,
                });
            }
        }
    }
    let mut sites: Vec<Choice> = match caller.region_prefix() {
        Some(prefix) => app
            .network()
            .sites(
                &SiteFilter {
                    region_prefix: Some(prefix.to_owned()),
                    ..Default::default()
                },
                PageRequest::new(None, Some(200)),
            )
            .await
            .map_err(|e| ctx.fail(e))?
            .items
            .into_iter()
            .map(|s| Choice {
                selected: s.id.to_string() == form.scope_site_id,
                value: s.id.to_string(),
                label: format!("{}（{}）", s.name, s.region_name),
            })
            .collect(),
        None => Vec::new(),
    };
    // the site chosen (an account's current one) is offered even past the list's first 200
    if let Ok(id) = form.scope_site_id.trim().parse::<i64>() {
        if !sites.iter().any(|c| c.value == id.to_string()) {
            if let Ok(s) = app.network().site(id).await {
                if caller.covers_region(&s.region_code) {
                    sites.insert(
                        0,
                        Choice {
                            selected: true,
                            value: s.id.to_string(),
                            label: format!("{}（{}）", s.name, s.region_name),
                        },
                    );
                }
            }
        }
    }
    let teams = crate::service::pages::team_choices(app, caller, form.scope_org_id.trim())
        .await
        .map_err(|e| ctx.fail(e))?;
    let status = if errors.any() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    Ok(render(
        status,
        &NewAccountPage {
            nav: ctx.nav(),
            editing,
            form,
            errors,
            roles,
            regions,
            sites,
            teams,
        },
    ))
}

pub(crate) async fn new_form(ctx: Ctx) -> PageResult {
    let caller = ctx.require_login()?;
    caller.require_admin().map_err(|e| ctx.fail(e))?;
    new_page(&ctx, caller, AccountForm::default(), FormErrors::default()).await
}

pub(crate) async fn create(ctx: Ctx, Form(f): Form<AccountForm>) -> PageResult {
    let caller = ctx.require_login()?;
    caller.require_admin().map_err(|e| ctx.fail(e))?;
    let id = |s: &str| s.trim().parse::<i64>().ok();
    let input = AccountInput {
        username: f.username.clone(),
        password: f.password.clone(),
        display_name: f.display_name.clone(),
        role: f.role.clone(),
        scope_region: Some(f.scope_region.trim().to_owned()).filter(|s| !s.is_empty()),
        scope_site_id: id(&f.scope_site_id),
        scope_org_id: id(&f.scope_org_id),
    };
    match ctx.app.auth().create_account(caller, &input).await {
        Ok(a) => Ok(see_other(&format!("/accounts?done=created#account-{}", a.id))),
        Err(AppError::Forbidden) => {
            let errors = out_of_scope(&f.role);
            let mut f = f;
            f.password.clear();
            new_page(&ctx, caller, f, errors).await
        }
        Err(e) if is_input_error(&e) => {
            let mut f = f;
            f.password.clear();
            new_page(&ctx, caller, f, FormErrors::from_app(&e)).await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

/// The form's refusal of a place outside the caller's scope, beside the field of that role.
fn out_of_scope(role: &str) -> FormErrors {
    let field = match Role::parse(role) {
        Some(Role::SiteAdmin) => "scope_site_id",
        Some(Role::TeamAdmin) => "scope_org_id",
        Some(Role::CityAdmin | Role::DistrictAdmin) => "scope_region",
        _ => "role",
    };
    FormErrors::from_fields(&[zhiyuan_app::FieldError::new(
        field,
        "forbidden",
        "所选范围不在您的管理范围内，或角色高于您可授予的级别",
    )])
}

// ---------------------------------------------------------------------------------------------
// 调整角色

async fn role_page(
    ctx: &Ctx,
    caller: &Caller,
    id: i64,
    form: Option<AccountForm>,
    errors: FormErrors,
) -> PageResult {
    let a = ctx
        .app
        .auth()
        .admin_account(caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    if !a.may_manage {
        return Err(ctx.fail(AppError::Forbidden));
    }
    let id_text = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let form = form.unwrap_or_else(|| AccountForm {
        role: a.role.as_str().to_owned(),
        scope_region: a.scope_region.clone().unwrap_or_default(),
        scope_site_id: id_text(a.scope_site_id),
        scope_org_id: id_text(a.scope_org_id),
        ..Default::default()
    });
    account_page(ctx, caller, Some(a), form, errors).await
}

pub(crate) async fn role_form(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let caller = ctx.require_login()?;
    let id = parse_id(&ctx, &id)?;
    role_page(&ctx, caller, id, None, FormErrors::default()).await
}

pub(crate) async fn change_role(ctx: Ctx, Path(id): Path<String>, Form(f): Form<AccountForm>) -> PageResult {
    let caller = ctx.require_login()?;
    let id = parse_id(&ctx, &id)?;
    let num = |s: &str| s.trim().parse::<i64>().ok();
    let input = RoleInput {
        role: f.role.clone(),
        scope_region: Some(f.scope_region.trim().to_owned()).filter(|s| !s.is_empty()),
        scope_site_id: num(&f.scope_site_id),
        scope_org_id: num(&f.scope_org_id),
    };
    match ctx.app.auth().change_role(caller, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/accounts?done=role#account-{id}"))),
        Err(AppError::Forbidden) if !f.role.is_empty() => {
            let errors = out_of_scope(&f.role);
            role_page(&ctx, caller, id, Some(f), errors).await
        }
        Err(e) if is_input_error(&e) => role_page(&ctx, caller, id, Some(f), FormErrors::from_app(&e)).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// 修改密码

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    nav: Nav,
    errors: FormErrors,
    done: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

pub(crate) async fn password_form(ctx: Ctx, Query(q): Query<DoneQuery>) -> PageResult {
    ctx.require_login()?;
    ok(&PasswordPage {
        nav: ctx.nav(),
        errors: FormErrors::default(),
        done: q.done == "changed",
    })
}

pub(crate) async fn change_password(ctx: Ctx, headers: HeaderMap, Form(f): Form<PasswordForm>) -> PageResult {
    let caller = ctx.require_login()?;
    let again = |errors: FormErrors| {
        render(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                nav: ctx.nav(),
                errors,
                done: false,
            },
        )
    };
    if f.new_password != f.confirm_password {
        return Ok(again(FormErrors::from_fields(&[zhiyuan_app::FieldError::new(
            "confirm_password",
            "password_mismatch",
            "两次输入的新密码不一致",
        )])));
    }
    let jar = CookieJar::from_headers(&headers);
    let token = jar
        .get(crate::extract::SESSION_COOKIE)
        .map(|c| c.value().to_owned());
    match ctx
        .app
        .auth()
        .change_password(caller, &f.current_password, &f.new_password, token.as_deref())
        .await
    {
        Ok(()) => Ok(see_other("/me/password?done=changed")),
        Err(e) if is_input_error(&e) => Ok(again(FormErrors::from_app(&e))),
        Err(e) => Err(ctx.fail(e)),
    }
}
