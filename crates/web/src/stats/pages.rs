//! 统计: the dashboard page with its charts, and the lists behind its figures.

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use chrono::Datelike;
use serde::Deserialize;
use zhiyuan_app::service::records::RecordView;
use zhiyuan_app::stats::team::TeamDashboard;
use zhiyuan_app::stats::{Dashboard, DashboardQuery, ListTotals};
use zhiyuan_app::{AppError, FieldError};

use super::api::{active_of, ActiveVolunteer};
use super::charts::{self, Datum};
use crate::pages::{category_choices, ok, render, Choice, Ctx, Nav, PageResult, SeekPager};
use crate::AppState;

/// The filter as typed (kept when it is refused).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StatsForm {
    region: String,
    month: String,
    quarter: String,
    year: String,
    from: String,
    to: String,
    category: String,
    team: String,
    only: String,
    after: String,
    before: String,
}

impl StatsForm {
    fn query(&self) -> DashboardQuery {
        let o = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        DashboardQuery {
            region: o(&self.region),
            month: o(&self.month),
            quarter: o(&self.quarter),
            year: o(&self.year),
            from: o(&self.from),
            to: o(&self.to),
            category: o(&self.category),
            team: self.team.trim().parse().ok(),
            only: Some(self.only.trim() == "true"),
        }
    }
}

/// A quick period link.
pub(crate) struct Quick {
    pub label: &'static str,
    pub href: String,
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    nav: Nav,
    form: StatsForm,
    categories: Vec<Choice>,
    error: Option<FieldError>,
    quick: Vec<Quick>,
    d: Option<Dashboard>,
    /// `region=…&from=…&to=…[&category=…]` of this dashboard, for the drill-down links.
    q: String,
    region_chart: String,
    trend_chart: String,
    category_chart: String,
    star_labels: [&'static str; 5],
}

fn link_query(d: &Dashboard, region: &str) -> String {
    let mut q = format!("region={region}&from={}&to={}", d.from, d.to);
    if let Some(c) = &d.category {
        q.push_str("&category=");
        q.push_str(c);
    }
    q
}

fn quick_links(region: &str, category: &str) -> Vec<Quick> {
    let today = zhiyuan_app::today();
    let y = today.year();
    let q = (today.month() - 1) / 3 + 1;
    let tail = {
        let mut t = String::new();
        if !region.is_empty() {
            t.push_str(&format!("&region={region}"));
        }
        if !category.is_empty() {
            t.push_str(&format!("&category={category}"));
        }
        t
    };
    let last12_from = {
        let m0 = today.year() * 12 + today.month0() as i32 - 11;
        format!("{}-{:02}-01", m0 / 12, m0 % 12 + 1)
    };
    vec![
        Quick {
            label: "本年",
            href: format!("/stats?year={y}{tail}"),
        },
        Quick {
            label: "上一年",
            href: format!("/stats?year={}{tail}", y - 1),
        },
        Quick {
            label: "本季度",
            href: format!("/stats?quarter={y}-Q{q}{tail}"),
        },
        Quick {
            label: "本月",
            href: format!("/stats?month={y}-{:02}{tail}", today.month()),
        },
        Quick {
            label: "近12个月",
            href: format!("/stats?from={last12_from}&to={}{tail}", today.format("%Y-%m-%d")),
        },
    ]
}

#[derive(Template)]
#[template(path = "stats_team.html")]
struct TeamStatsPage {
    nav: Nav,
    form: StatsForm,
    categories: Vec<Choice>,
    error: Option<FieldError>,
    quick: Vec<Quick>,
    d: Option<TeamDashboard>,
    /// `team=…&from=…&to=…[&category=…]` of this dashboard, for the drill-down links.
    q: String,
    team_chart: String,
    trend_chart: String,
}

/// A team administrator's 统计: their team's own figures.
async fn team_dashboard(ctx: &Ctx, caller: &zhiyuan_app::Caller, form: StatsForm) -> PageResult {
    let mut quick = quick_links("", form.category.trim());
    if !form.team.trim().is_empty() {
        for k in &mut quick {
            k.href.push_str(&format!("&team={}", form.team.trim()));
        }
    }
    let mut page = TeamStatsPage {
        nav: ctx.nav(),
        categories: category_choices(&form.category),
        quick,
        form,
        error: None,
        d: None,
        q: String::new(),
        team_chart: String::new(),
        trend_chart: String::new(),
    };
    let d = match ctx.app.stats().team_dashboard(caller, &page.form.query()).await {
        Ok(d) => d,
        Err(AppError::Invalid(fields)) => {
            page.error = fields.into_iter().next();
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
        Err(e) => return Err(ctx.fail(e)),
    };
    let tail = match &d.category {
        Some(c) => format!("&category={c}"),
        None => String::new(),
    };
    let teams: Vec<Datum> = d
        .by_team
        .iter()
        .map(|t| Datum {
            label: t.name.clone(),
            value: t.service.minutes as f64 / 60.0,
            shown: t.service.hours.clone(),
            href: format!("/stats?team={}&from={}&to={}{tail}", t.id, d.from, d.to),
        })
        .collect();
    page.team_chart = charts::bars("chart-teams", "各下级队伍服务时长", "小时", &teams);
    let months: Vec<Datum> = d
        .by_month
        .iter()
        .map(|m| Datum {
            label: m.label.clone(),
            value: m.service.minutes as f64 / 60.0,
            shown: m.service.hours.clone(),
            href: format!(
                "/stats?team={}&from={}&to={}{tail}",
                d.team.id,
                month_first(&m.month, &d.from),
                month_last(&m.month, &d.to)
            ),
        })
        .collect();
    page.trend_chart = charts::trend("chart-trend", "月度服务时长", "小时", &months);
    page.q = format!("team={}&from={}&to={}{tail}", d.team.id, d.from, d.to);
    page.d = Some(d);
    ok(&page)
}

/// The first day of a month (`YYYY-MM`) inside a period starting `from`.
fn month_first(month: &str, from: &str) -> String {
    let first = format!("{month}-01");
    if first.as_str() < from {
        from.to_owned()
    } else {
        first
    }
}

/// The last day of a month (`YYYY-MM`) inside a period ending `to`.
fn month_last(month: &str, to: &str) -> String {
    let last = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .ok()
        .and_then(|f| f.checked_add_months(chrono::Months::new(1)))
        .and_then(|n| n.pred_opt())
        .map(|l| l.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| to.to_owned());
    if last.as_str() > to {
        to.to_owned()
    } else {
        last
    }
}

pub(crate) async fn dashboard(ctx: Ctx, Query(form): Query<StatsForm>) -> PageResult {
    let caller = ctx.require_login()?;
    if matches!(caller.scope, zhiyuan_app::Scope::Team { .. }) {
        return team_dashboard(&ctx, caller, form).await;
    }
    let mut page = StatsPage {
        nav: ctx.nav(),
        categories: category_choices(&form.category),
        quick: quick_links(form.region.trim(), form.category.trim()),
        form,
        error: None,
        d: None,
        q: String::new(),
        region_chart: String::new(),
        trend_chart: String::new(),
        category_chart: String::new(),
        star_labels: ["一星", "二星", "三星", "四星", "五星"],
    };
    let d = match ctx.app.stats().dashboard(caller, &page.form.query()).await {
        Ok(d) => d,
        Err(AppError::Invalid(fields)) => {
            page.error = fields.into_iter().next();
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
        Err(e) => return Err(ctx.fail(e)),
    };
    let here = link_query(&d, &d.region.code);
    let per_hour = |minutes: i64| minutes as f64 / 60.0;
    let region_data: Vec<Datum> = d
        .by_region
        .iter()
        .map(|r| Datum {
            label: r.name.clone(),
            value: per_hour(r.service.minutes),
            shown: r.service.hours.clone(),
            href: format!("/stats?{}", link_query(&d, &r.code)),
        })
        .collect();
    page.region_chart = charts::bars("chart-regions", "各下级区域服务时长", "小时", &region_data);
    let months: Vec<Datum> = d
        .by_month
        .iter()
        .map(|m| Datum {
            label: m.label.clone(),
            value: per_hour(m.service.minutes),
            shown: m.service.hours.clone(),
            href: format!("/stats/records?{}", month_query(&d, &m.month)),
        })
        .collect();
    page.trend_chart = charts::trend("chart-trend", "月度服务时长", "小时", &months);
    let cats: Vec<Datum> = d
        .by_category
        .iter()
        .map(|c| Datum {
            label: c.label.clone(),
            value: per_hour(c.service.minutes),
            shown: c.service.hours.clone(),
            href: format!(
                "/stats?region={}&from={}&to={}&category={}",
                d.region.code,
                d.from,
                d.to,
                if c.code.is_empty() { "none" } else { &c.code }
            ),
        })
        .collect();
    page.category_chart = charts::bars("chart-categories", "各服务类别服务时长", "小时", &cats);
    page.q = here;
    page.d = Some(d);
    ok(&page)
}

/// The selection of one month of a dashboard (the part of it inside the period).
fn month_query(d: &Dashboard, month: &str) -> String {
    let (from, to) = (month_first(month, &d.from), month_last(month, &d.to));
    let mut q = format!("region={}&from={from}&to={to}", d.region.code);
    if let Some(c) = &d.category {
        q.push_str("&category=");
        q.push_str(c);
    }
    q
}

#[derive(Template)]
#[template(path = "stats_records.html")]
struct RecordsPage {
    nav: Nav,
    title: String,
    back: String,
    export: String,
    totals: ListTotals,
    items: Vec<RecordView>,
    pager: SeekPager,
}

#[derive(Template)]
#[template(path = "stats_volunteers.html")]
struct VolunteersPage {
    nav: Nav,
    title: String,
    back: String,
    totals: ListTotals,
    items: Vec<ActiveVolunteer>,
}

fn list_title(sel: &zhiyuan_app::stats::Selection) -> String {
    let cat = match sel.category {
        Some(c) => format!(" · {}", zhiyuan_domain::stats::category_label(c)),
        None => String::new(),
    };
    format!("{} · {}{cat}", sel.region_name, sel.period.label())
}

pub(crate) async fn records(ctx: Ctx, Query(form): Query<StatsForm>) -> PageResult {
    let caller = ctx.require_login()?;
    let paging = zhiyuan_app::seek::SeekRequest::new(
        Some(form.after.clone()).filter(|s| !s.is_empty()),
        Some(form.before.clone()).filter(|s| !s.is_empty()),
        Some(50),
    );
    let (sel, page) = ctx
        .app
        .stats()
        .records(caller, &form.query(), &paging)
        .await
        .map_err(|e| ctx.fail(e))?;
    let totals = ctx.app.stats().list_totals(&sel).await.map_err(|e| ctx.fail(e))?;
    let q = sel.query();
    let params: Vec<(String, String)> = url_pairs(&q);
    let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let pager = SeekPager::of(&page, "/stats/records", &refs);
    ok(&RecordsPage {
        nav: ctx.nav(),
        title: list_title(&sel),
        back: format!("/stats?{}", sel.dashboard_query()),
        export: format!("/api/v1/stats/records.xlsx?{q}"),
        totals,
        items: page.items,
        pager,
    })
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

pub(crate) async fn volunteers(ctx: Ctx, Query(form): Query<StatsForm>) -> PageResult {
    let caller = ctx.require_login()?;
    let (sel, rows) = ctx
        .app
        .stats()
        .active_volunteers(caller, &form.query())
        .await
        .map_err(|e| ctx.fail(e))?;
    let totals = ctx.app.stats().list_totals(&sel).await.map_err(|e| ctx.fail(e))?;
    ok(&VolunteersPage {
        nav: ctx.nav(),
        title: list_title(&sel),
        back: format!("/stats?{}", sel.dashboard_query()),
        totals,
        items: rows.into_iter().map(active_of).collect(),
    })
}

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/stats", get(dashboard))
        .route("/stats/records", get(records))
        .route("/stats/volunteers", get(volunteers))
}
