use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiyuan_app::service::records::RecordView;
use zhiyuan_app::stats::team::TeamDashboard;
use zhiyuan_app::stats::{Dashboard, DashboardQuery, ListTotals};

use crate::api::{CursorPage, Seeking};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ApiCaller;
use crate::AppState;

/// The dashboard of a region (the caller's own when none is given), a period and a category.
/// A region outside the caller's scope is a 403; a period that ends before it starts, or an
/// unknown category, a 422 with `period_invalid` / `category_invalid`.
#[utoipa::path(get, path = "/api/v1/stats/dashboard", tag = "stats", params(DashboardQuery), security(("bearer" = [])),
    responses((status = 200, body = Dashboard), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dashboard(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<DashboardQuery>,
) -> ApiResult<Json<Dashboard>> {
    Ok(Json(s.app.stats().dashboard(&c, &q).await?))
}

/// A team administrator's dashboard: the service their team and its sub-teams organized in a
/// period (and a category), their members, by sub-team, month and category. `team` picks one of
/// their sub-teams; another team, or a `region`, is a 403; a bad period or category a 422.
#[utoipa::path(get, path = "/api/v1/stats/team", tag = "stats", params(DashboardQuery), security(("bearer" = [])),
    responses((status = 200, body = TeamDashboard), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn team_dashboard(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<DashboardQuery>,
) -> ApiResult<Json<TeamDashboard>> {
    Ok(Json(s.app.stats().team_dashboard(&c, &q).await?))
}

/// A selection and a page of a list behind a figure.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct ListQuery {
    /// 12-digit region code; the caller's own region when absent.
    pub region: Option<String>,
    pub month: Option<String>,
    pub quarter: Option<String>,
    pub year: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub category: Option<String>,
    /// A team admin: one of their teams (their own team by default).
    pub team: Option<i64>,
    /// A team admin: only the team's own records, not its sub-teams'.
    pub only: Option<bool>,
    pub after: Option<String>,
    pub before: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<i64>,
}

impl ListQuery {
    pub(crate) fn selection(&self) -> DashboardQuery {
        DashboardQuery {
            region: self.region.clone(),
            month: self.month.clone(),
            quarter: self.quarter.clone(),
            year: self.year.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            category: self.category.clone(),
            team: self.team,
            only: self.only,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordList {
    /// Counted straight from the records: equal to the dashboard's figures of the same selection.
    pub totals: ListTotals,
    pub page: CursorPage<RecordView>,
}

/// The current confirmed records behind a dashboard's service figures, latest first.
#[utoipa::path(get, path = "/api/v1/stats/records", tag = "stats", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = RecordList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn records(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<RecordList>> {
    let paging = Seeking {
        after: q.after.clone(),
        before: q.before.clone(),
        per_page: q.per_page,
    };
    let (sel, page) = s
        .app
        .stats()
        .records(&c, &q.selection(), &paging.request())
        .await?;
    let totals = s.app.stats().list_totals(&sel).await?;
    Ok(Json(RecordList {
        totals,
        page: page.into(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActiveVolunteer {
    pub volunteer_id: i64,
    pub name: String,
    pub volunteer_no: Option<String>,
    pub region_code: String,
    pub records: i64,
    pub hours: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActiveList {
    pub totals: ListTotals,
    /// Most hours first; at most 1 000.
    pub items: Vec<ActiveVolunteer>,
}

/// The volunteers behind a dashboard's "active volunteers", with their records and hours there.
#[utoipa::path(get, path = "/api/v1/stats/active-volunteers", tag = "stats", params(DashboardQuery), security(("bearer" = [])),
    responses((status = 200, body = ActiveList), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn active_volunteers(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<DashboardQuery>,
) -> ApiResult<Json<ActiveList>> {
    let (sel, rows) = s.app.stats().active_volunteers(&c, &q).await?;
    let totals = s.app.stats().list_totals(&sel).await?;
    Ok(Json(ActiveList {
        totals,
        items: rows.into_iter().map(active_of).collect(),
    }))
}

pub(crate) fn active_of(r: zhiyuan_app::stats::ActiveRow) -> ActiveVolunteer {
    ActiveVolunteer {
        volunteer_id: r.volunteer_id,
        name: r.name,
        volunteer_no: r.volunteer_no,
        region_code: r.region_code,
        records: r.records,
        hours: format!("{:.1}", r.minutes as f64 / 60.0),
    }
}

/// The dashboard as an Excel workbook (sheets 概况, 按区域, 按月份, 按服务类别); recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/stats/dashboard.xlsx", tag = "stats", params(DashboardQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The dashboard as .xlsx"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dashboard_xlsx(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<DashboardQuery>,
) -> ApiResult<axum::response::Response> {
    Ok(crate::api::xlsx_response(
        s.app.stats().export_dashboard(&c, &q).await?,
    ))
}

/// Every record behind the dashboard's service figures as an Excel workbook, oldest first;
/// recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/stats/records.xlsx", tag = "stats", params(DashboardQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", description = "The records as .xlsx"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn records_xlsx(
    State(s): State<AppState>,
    ApiCaller(c): ApiCaller,
    Query(q): Query<DashboardQuery>,
) -> ApiResult<axum::response::Response> {
    Ok(crate::api::xlsx_response(
        s.app.stats().export_records(&c, &q).await?,
    ))
}

pub(crate) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(dashboard))
        .routes(routes!(team_dashboard))
        .routes(routes!(records))
        .routes(routes!(active_volunteers))
        .routes(routes!(dashboard_xlsx))
        .routes(routes!(records_xlsx))
}
