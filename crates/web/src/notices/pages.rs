//! The notices page (通报).

use askama::Template;
use axum::extract::{Path, Query};
use axum::routing::{get, post};
use axum::Router;
use zhiyuan_app::notices::NoticeView;

use crate::pages::{ok, parse_id, see_other, Ctx, Nav, PageResult};
use crate::AppState;

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/notices", get(notices))
        .route("/notices/read-all", post(read_all))
        .route("/notices/{id}/read", post(read_notice))
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    nav: Nav,
    items: Vec<NoticeView>,
    unread: i64,
    notice: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct NoticesQuery {
    /// `n`: how many 全部标为已读 just marked.
    read: String,
}

pub(crate) async fn notices(ctx: Ctx, Query(q): Query<NoticesQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let n = ctx.app.notices().notices(caller).await.map_err(|e| ctx.fail(e))?;
    let notice = q
        .read
        .parse::<u64>()
        .ok()
        .map(|k| format!("已将 {k} 条通知标为已读。"));
    ok(&NoticesPage {
        nav: ctx.nav(),
        items: n.items,
        unread: n.unread,
        notice,
    })
}

/// 全部标为已读.
pub(crate) async fn read_all(ctx: Ctx) -> PageResult {
    let caller = ctx.require_login()?;
    let n = ctx
        .app
        .notices()
        .read_all(caller)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other(&format!("/notices?read={n}")))
}

pub(crate) async fn read_notice(ctx: Ctx, Path(id): Path<String>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let id = parse_id(&ctx, &id)?;
    ctx.app
        .notices()
        .read_notice(caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other("/notices"))
}
