//! Logging in and out with the session cookie.

use crate::AppState;
use askama::Template;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::{CookieJar, Form};
use serde::Deserialize;
use zhiyuan_app::demo::{DEMO_LOGINS, DEMO_PASSWORD};
use zhiyuan_app::{App, AppError};

use crate::extract::ClientAddr;
use crate::pages::{
    clear_cookie, local_path, ok, redirect_with_cookie, render, session_cookie, Ctx, FormErrors, Nav,
    PageResult,
};

#[derive(Deserialize, Default)]
pub(crate) struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub(crate) struct DemoLogin {
    pub username: &'static str,
    pub role: &'static str,
    pub scope: &'static str,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Nav,
    username: String,
    next: String,
    errors: FormErrors,
    demo: Vec<DemoLogin>,
    demo_password: &'static str,
}

/// Demo logins are shown only when the demo data (and its `volunteer` login) is loaded.
async fn demo_logins(app: &App) -> Vec<DemoLogin> {
    if app.demo_loaded().await.unwrap_or(false) {
        DEMO_LOGINS
            .iter()
            .map(|(username, role, scope)| DemoLogin {
                username,
                role,
                scope,
            })
            .collect()
    } else {
        Vec::new()
    }
}

pub(crate) async fn login_form(ctx: Ctx, Query(q): Query<NextQuery>) -> PageResult {
    let next = local_path(&q.next).to_owned();
    ok(&LoginPage {
        nav: ctx.nav(),
        username: String::new(),
        next,
        errors: FormErrors::default(),
        demo: demo_logins(&ctx.app).await,
        demo_password: DEMO_PASSWORD,
    })
}

pub(crate) async fn login(ctx: Ctx, ClientAddr(from): ClientAddr, Form(f): Form<LoginForm>) -> PageResult {
    ctx.guard_post()?;
    let next = local_path(&f.next).to_owned();
    match ctx.app.auth().login_from(&f.username, &f.password, from).await {
        Ok((token, _)) => Ok(redirect_with_cookie(&next, session_cookie(&ctx.app, &token))),
        Err(
            e @ (AppError::LoginFailed
            | AppError::Invalid(_)
            | AppError::Throttled(_)
            | AppError::Conflict { .. }),
        ) => {
            let status = if matches!(e, AppError::Throttled(_)) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            let page = LoginPage {
                nav: ctx.nav(),
                username: f.username.trim().to_owned(),
                next,
                errors: FormErrors::message(&e.to_string()),
                demo: demo_logins(&ctx.app).await,
                demo_password: DEMO_PASSWORD,
            };
            Ok(render(status, &page))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

/// 在所有设备上退出: ends every session of the account, this one included.
pub(crate) async fn logout_everywhere(ctx: Ctx) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.app
        .auth()
        .logout_everywhere(caller)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(redirect_with_cookie("/login", clear_cookie()))
}

pub(crate) async fn logout(ctx: Ctx, headers: HeaderMap) -> PageResult {
    ctx.guard_post()?;
    let jar = CookieJar::from_headers(&headers);
    if let Some(c) = jar.get(crate::extract::SESSION_COOKIE) {
        if let Err(e) = ctx.app.auth().logout(c.value()).await {
            return Err(ctx.fail(e));
        }
    }
    Ok(redirect_with_cookie("/", clear_cookie()))
}

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
}
