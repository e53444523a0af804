use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiyuan_app::network::OrgFilter;
use zhiyuan_app::network::SiteFilter;
use zhiyuan_app::network::{
    OrgDetailsInput, OrgDissolveInput, OrgInput, OrgMoveInput, OrgView, ParentChoice, RegionView,
    SiteDetailsInput, SiteInput, SiteView,
};

use crate::api::{query_enum, PageOf, Paging};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiCaller, ApiJson};
use crate::AppState;
use zhiyuan_domain::auth::SiteLevel;

#[derive(Debug, Deserialize, IntoParams)]
pub struct RegionQuery {
    /// The parent's code; the top level when absent.
    pub parent: Option<String>,
}

/// Regions (GB/T 2260 + statistical codes): the children of a region.
#[utoipa::path(get, path = "/api/v1/regions", tag = "network", params(RegionQuery),
    responses((status = 200, body = Vec<RegionView>)))]
pub async fn list_regions(
    State(s): State<AppState>,
    Query(q): Query<RegionQuery>,
) -> ApiResult<Json<Vec<RegionView>>> {
    Ok(Json(s.app.network().regions(q.parent.as_deref()).await?))
}

/// One region.
#[utoipa::path(get, path = "/api/v1/regions/{code}", tag = "network", params(("code" = String, Path)),
    responses((status = 200, body = RegionView), (status = 404, body = ErrorBody)))]
pub async fn get_region(State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<RegionView>> {
    Ok(Json(s.app.network().region(&code).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SiteQuery {
    /// Region code prefix, e.g. `110105`.
    pub region: Option<String>,
    /// center / institute / station
    pub level: Option<String>,
    pub parent_id: Option<i64>,
    /// Name contains.
    pub q: Option<String>,
    /// 1-based; values past 100 000 are read as 100 000.
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<i64>,
    /// Items a page, 20 by default; values outside 1–200 are read as the nearest bound.
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// The practice network (public): centers, institutes and stations.
#[utoipa::path(get, path = "/api/v1/sites", tag = "network", params(SiteQuery),
    responses((status = 200, body = PageOf<SiteView>), (status = 400, body = ErrorBody)))]
pub async fn list_sites(
    State(s): State<AppState>,
    Query(q): Query<SiteQuery>,
) -> ApiResult<Json<PageOf<SiteView>>> {
    let f = SiteFilter {
        region_prefix: q.region.clone(),
        level: query_enum(
            "level",
            "site_level_invalid",
            q.level.as_deref(),
            SiteLevel::parse,
            &SiteLevel::ALL.map(SiteLevel::as_str),
        )?,
        parent_id: q.parent_id,
        q: q.q.clone(),
    };
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    Ok(Json(s.app.network().sites(&f, paging.request()).await?.into()))
}

/// Open a practice site within the caller's region.
#[utoipa::path(post, path = "/api/v1/sites", tag = "network", request_body = SiteInput, security(("bearer" = [])),
    responses((status = 201, body = SiteView)))]
pub async fn create_site(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<SiteInput>,
) -> ApiResult<(StatusCode, Json<SiteView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.network().create_site(&c, &input).await?),
    ))
}

/// One practice site.
#[utoipa::path(get, path = "/api/v1/sites/{id}", tag = "network", params(("id" = i64, Path)),
    responses((status = 200, body = SiteView), (status = 404, body = ErrorBody)))]
pub async fn get_site(State(s): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<SiteView>> {
    Ok(Json(s.app.network().site(id).await?))
}

/// 修改阵地信息: a site's address, phone, contact person and opening hours, by a city, district or
/// site office whose scope holds it. Every field is written as given (empty clears it).
#[utoipa::path(put, path = "/api/v1/sites/{id}", tag = "network", params(("id" = i64, Path)),
    request_body = SiteDetailsInput, security(("bearer" = [])),
    responses((status = 200, body = SiteView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_site(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<SiteDetailsInput>,
) -> ApiResult<Json<SiteView>> {
    Ok(Json(s.app.network().update_site(&c, id, &input).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OrgQuery {
    /// Region code prefix.
    pub region: Option<String>,
    pub parent_id: Option<i64>,
    pub site_id: Option<i64>,
    /// Only top-level organizations.
    pub roots: Option<bool>,
    pub q: Option<String>,
    /// 1-based; values past 100 000 are read as 100 000.
    #[param(minimum = 1, maximum = 100000)]
    pub page: Option<i64>,
    /// Items a page, 20 by default; values outside 1–200 are read as the nearest bound.
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

/// The directory of organizations and teams (public), ordered as a tree.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "network", params(OrgQuery),
    responses((status = 200, body = PageOf<OrgView>)))]
pub async fn list_orgs(
    State(s): State<AppState>,
    Query(q): Query<OrgQuery>,
) -> ApiResult<Json<PageOf<OrgView>>> {
    let f = OrgFilter {
        region_prefix: q.region.clone(),
        path_prefix: None,
        site_id: q.site_id,
        parent_id: q.parent_id,
        roots_only: q.roots.unwrap_or(false),
        q: q.q.clone(),
    };
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    Ok(Json(s.app.network().orgs(&f, paging.request()).await?.into()))
}

/// Create an organization or a (sub-)team.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "network", request_body = OrgInput, security(("bearer" = [])),
    responses((status = 201, body = OrgView)))]
pub async fn create_org(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiJson(input): ApiJson<OrgInput>,
) -> ApiResult<(StatusCode, Json<OrgView>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.app.network().create_org(&c, &input).await?),
    ))
}

/// One organization or team.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "network", params(("id" = i64, Path)),
    responses((status = 200, body = OrgView), (status = 404, body = ErrorBody)))]
pub async fn get_org(State(s): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<OrgView>> {
    Ok(Json(s.app.network().org(id).await?))
}

/// 修改组织/队伍信息: name, contact person and phone, description, by its administrators.
#[utoipa::path(put, path = "/api/v1/organizations/{id}", tag = "network", params(("id" = i64, Path)),
    request_body = OrgDetailsInput, security(("bearer" = [])),
    responses((status = 200, body = OrgView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn update_org(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<OrgDetailsInput>,
) -> ApiResult<Json<OrgView>> {
    Ok(Json(s.app.network().update_org(&c, id, &input).await?))
}

/// The organizations this one may be moved under by the caller, in tree order.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/parent-choices", tag = "network", params(("id" = i64, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ParentChoice>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn parent_choices(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<ParentChoice>>> {
    Ok(Json(s.app.network().parent_choices(&c, id).await?))
}

/// 调整上级组织: hang the organization and its sub-teams under another parent (or none).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/move", tag = "network", params(("id" = i64, Path)),
    request_body = OrgMoveInput, security(("bearer" = [])),
    responses((status = 200, body = OrgView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn move_org(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<OrgMoveInput>,
) -> ApiResult<Json<OrgView>> {
    Ok(Json(s.app.network().move_org(&c, id, &input).await?))
}

/// 解散: members leave, open requests are declined (each told why); history stays. Refused
/// (409 `org_not_empty`) while it has standing sub-teams or open projects.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/dissolve", tag = "network", params(("id" = i64, Path)),
    request_body = OrgDissolveInput, security(("bearer" = [])),
    responses((status = 200, body = OrgView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn dissolve_org(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<OrgDissolveInput>,
) -> ApiResult<Json<OrgView>> {
    Ok(Json(s.app.network().dissolve_org(&c, id, &input).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SiteExportQuery {
    /// Region code prefix, e.g. `110105`.
    pub region: Option<String>,
    /// center / institute / station
    pub level: Option<String>,
    /// Name contains.
    pub q: Option<String>,
}

/// The practice sites the directory's filter finds (every page) as an Excel workbook, for an
/// administrator; recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/sites.xlsx", tag = "network", params(SiteExportQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The sites as .xlsx"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export_sites(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<SiteExportQuery>,
) -> ApiResult<axum::response::Response> {
    let level = query_enum(
        "level",
        "site_level_invalid",
        q.level.as_deref(),
        SiteLevel::parse,
        &SiteLevel::ALL.map(SiteLevel::as_str),
    )?;
    let f = SiteFilter {
        region_prefix: q.region.clone().filter(|r| !r.is_empty()),
        level,
        parent_id: None,
        q: q.q.clone().filter(|t| !t.trim().is_empty()),
    };
    let text = filter_text(&[
        f.region_prefix.as_ref().map(|r| format!("区划 {r}")),
        level.map(|l| l.short_zh().to_owned()),
        f.q.as_ref().map(|t| format!("名称含“{}”", t.trim())),
    ]);
    Ok(crate::api::xlsx_response(
        s.app.network().export_sites(&c, &f, &text).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OrgExportQuery {
    /// Region code prefix.
    pub region: Option<String>,
    /// Name contains.
    pub q: Option<String>,
}

/// The standing teams and organizations the directory's filter finds (all levels) as an Excel
/// workbook, for an administrator; recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/organizations.xlsx", tag = "network", params(OrgExportQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The teams as .xlsx"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export_orgs(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<OrgExportQuery>,
) -> ApiResult<axum::response::Response> {
    let f = OrgFilter {
        region_prefix: q.region.clone().filter(|r| !r.is_empty()),
        q: q.q.clone().filter(|t| !t.trim().is_empty()),
        ..Default::default()
    };
    let text = filter_text(&[
        f.region_prefix.as_ref().map(|r| format!("区划 {r}")),
        f.q.as_ref().map(|t| format!("名称含“{}”", t.trim())),
    ]);
    Ok(crate::api::xlsx_response(
        s.app.network().export_orgs(&c, &f, &text).await?,
    ))
}

/// The filter of an export in words, for its title and its audit entry.
pub(crate) fn filter_text(parts: &[Option<String>]) -> String {
    let parts: Vec<&str> = parts.iter().flatten().map(String::as_str).collect();
    if parts.is_empty() {
        "全部".to_owned()
    } else {
        parts.join(" · ")
    }
}

pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(export_sites))
        .routes(routes!(export_orgs))
        .routes(routes!(list_regions))
        .routes(routes!(get_region))
        .routes(routes!(list_sites, create_site))
        .routes(routes!(get_site, update_site))
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(get_org, update_org))
        .routes(routes!(parent_choices))
        .routes(routes!(move_org))
        .routes(routes!(dissolve_org))
}
