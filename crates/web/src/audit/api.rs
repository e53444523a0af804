use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiyuan_app::audit::{AuditAction, AuditFilter, AuditView, Entity};

use crate::api::{query_enum, CursorPage, Seeking};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiCaller;
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// One kind of entity (e.g. `order`); an unknown one is a 400 `entity_type_invalid`.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// One action (e.g. `order.dispatch`); an unknown one is a 400 `action_invalid`.
    pub action: Option<String>,
    /// `next_cursor` of the page before (newer entries).
    pub after: Option<String>,
    /// `prev_cursor` of the page after.
    pub before: Option<String>,
    /// Items a page, 20 by default; values outside 1–200 are read as the nearest bound.
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// The audit log within the caller's scope (administrators only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = CursorPage<AuditView>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn audit_log(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<CursorPage<AuditView>>> {
    let entities = Entity::ALL.map(Entity::as_str);
    let actions = AuditAction::ALL.map(AuditAction::as_str);
    let f = AuditFilter {
        entity: query_enum(
            "entity_type",
            "entity_type_invalid",
            q.entity_type.as_deref(),
            Entity::parse,
            &entities,
        )?,
        entity_id: q.entity_id.clone().filter(|s| !s.trim().is_empty()),
        action: query_enum(
            "action",
            "action_invalid",
            q.action.as_deref(),
            AuditAction::parse,
            &actions,
        )?,
    };
    let paging = Seeking {
        after: q.after,
        before: q.before,
        per_page: q.per_page,
    };
    Ok(Json(
        s.app.audit().audit_log(&c, &f, &paging.request()).await?.into(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditExportQuery {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
}

/// The audit log under the filter (every page) as an Excel workbook, with what each entry
/// changed in words; the export is itself an entry.
#[utoipa::path(get, path = "/api/v1/audit.xlsx", tag = "admin", params(AuditExportQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The audit log as .xlsx"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn audit_xlsx(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<AuditExportQuery>,
) -> ApiResult<axum::response::Response> {
    let entities = Entity::ALL.map(Entity::as_str);
    let actions = AuditAction::ALL.map(AuditAction::as_str);
    let f = AuditFilter {
        entity: query_enum(
            "entity_type",
            "entity_type_invalid",
            q.entity_type.as_deref(),
            Entity::parse,
            &entities,
        )?,
        entity_id: q.entity_id.clone().filter(|s| !s.trim().is_empty()),
        action: query_enum(
            "action",
            "action_invalid",
            q.action.as_deref(),
            AuditAction::parse,
            &actions,
        )?,
    };
    let mut described: Vec<String> = Vec::new();
    if let Some(a) = f.action {
        described.push(format!("操作：{}", a.label()));
    }
    if let Some(e) = f.entity {
        described.push(format!("对象：{}", e.label()));
    }
    if let Some(id) = &f.entity_id {
        described.push(format!("对象编号：{id}"));
    }
    let described = if described.is_empty() {
        "全部".to_owned()
    } else {
        described.join("，")
    };
    Ok(crate::api::xlsx_response(
        s.app.audit().export_audit(&c, &f, &described).await?,
    ))
}

pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(audit_log)).routes(routes!(audit_xlsx))
}
