//! Statistics (统计): dashboards over an office's region, answered from the roll-up index
//! ([`zhiyuan_domain::stats::index`]) that the unit of work keeps current, the project figures
//! ([`zhiyuan_domain::stats::projects`]) refreshed after each change to a project, and the order
//! and organization cells that triggers keep in the database (`store::stats::cells`).

pub mod export;
pub mod team;
pub mod upkeep;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{NaiveDate, TimeZone};
use zhiyuan_domain::network::RegionCode;
use zhiyuan_domain::service::STAR_HOURS;
use zhiyuan_domain::stats::index::{distinct, Delta, StatsIndex};
use zhiyuan_domain::stats::projects::ProjectIndex;
use zhiyuan_domain::stats::{
    self as rules, category_code, category_codes, category_label, category_text, month_label,
    parse_category_filter, CategoryCode, Month, Period, PeriodInput, StatsInputError,
};
use zhiyuan_store::network::regions;
use zhiyuan_store::seek::{Seek, SeekRequest};
use zhiyuan_store::stats as store;
pub use zhiyuan_store::stats::ActiveRow;

use crate::error::{AppError, AppResult};
use crate::service::records::RecordView;
use crate::{Caller, TZ};

/// The live index and when it last changed.
#[derive(Debug, Default)]
pub(crate) struct StatsState {
    pub(crate) index: RwLock<StatsIndex>,
    /// Serializes "read a volunteer, set their residence facts", so a slower refresh never
    /// overwrites a newer one.
    pub(crate) residents: tokio::sync::Mutex<()>,
    /// The project figures ([`ProjectIndex`]), and the lock that serializes refreshing them.
    pub(crate) projects: RwLock<ProjectIndex>,
    pub(crate) project_refresh: tokio::sync::Mutex<()>,
}

pub(crate) type SharedStats = Arc<StatsState>;

context_handle!(
    /// Dashboards, the lists behind their figures, and the upkeep of the roll-ups.
    Stats
);

/// Start of a Beijing day, in ms since the epoch.
pub fn day_start_ms(d: NaiveDate) -> i64 {
    TZ.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
        .earliest()
        .map(|t| t.timestamp_millis())
        .unwrap_or(0)
}

/// The Beijing month of an instant.
pub(crate) fn month_of_ms(ms: i64) -> Month {
    match TZ.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) => rules::month_of(t.date_naive()),
        _ => 197001,
    }
}

fn fmt_hours(minutes: i64) -> String {
    format!("{:.1}", minutes as f64 / 60.0)
}

/// A dashboard request.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct DashboardQuery {
    /// 12-digit region code; the caller's own region when absent.
    pub region: Option<String>,
    /// `YYYY-MM`
    pub month: Option<String>,
    /// `YYYY-Q1` … `YYYY-Q4`
    pub quarter: Option<String>,
    /// `YYYY`
    pub year: Option<String>,
    /// `YYYY-MM-DD` (with `to`; the calendar year when no period is given)
    pub from: Option<String>,
    pub to: Option<String>,
    /// A service category code or label; `none` for records without one.
    pub category: Option<String>,
    /// A team admin: one of their teams (their own team by default).
    pub team: Option<i64>,
    /// A team admin's lists: only the team's own records, not its sub-teams' (the 本级 row).
    pub only: Option<bool>,
}

impl DashboardQuery {
    pub(crate) fn period_input(&self) -> PeriodInput {
        PeriodInput {
            month: self.month.clone(),
            quarter: self.quarter.clone(),
            year: self.year.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

/// A region as the dashboard names it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RegionRef {
    pub code: String,
    pub name: String,
}

/// What a dashboard covers, after reading the request.
#[derive(Clone, Debug)]
pub struct Selection {
    /// The region whose records count; for a team's selection, the team's own region (the
    /// records are then chosen by team: see [`Selection::within`]).
    pub region: RegionCode,
    /// The region's name, or the team's.
    pub region_name: String,
    pub period: Period,
    pub category: Option<CategoryCode>,
    /// A team administrator's lists: the team whose records count.
    pub team: Option<TeamPick>,
}

/// The team of a team administrator's selection.
#[derive(Clone, Debug)]
pub struct TeamPick {
    pub id: i64,
    pub path: String,
    /// Only the team's own records, not its sub-teams'.
    pub only: bool,
}

impl Selection {
    /// Which records the selection's lists and totals cover.
    pub fn within(&self) -> store::Within<'_> {
        match &self.team {
            Some(t) if t.only => store::Within::Teams(store::Teams::Only(t.id)),
            Some(t) => store::Within::Teams(store::Teams::Subtree(&t.path)),
            None => store::Within::Region(self.region.prefix()),
        }
    }

    /// The query string that selects the same thing (for paging and exports).
    pub fn query(&self) -> String {
        self.query_of(true)
    }

    /// The query string of the dashboard the selection's lists come from.
    pub fn dashboard_query(&self) -> String {
        self.query_of(false)
    }

    fn query_of(&self, with_only: bool) -> String {
        match &self.team {
            None => self.query_for(self.region.as_str()),
            Some(t) => format!(
                "team={}{}{}",
                t.id,
                if t.only && with_only { "&only=true" } else { "" },
                self.period_and_category()
            ),
        }
    }

    /// The query string that selects the same thing (for links), with another region.
    pub fn query_for(&self, region: &str) -> String {
        format!("region={region}{}", self.period_and_category())
    }

    /// `&from=…&to=…[&category=…]`
    fn period_and_category(&self) -> String {
        let mut q = format!(
            "&from={}&to={}",
            self.period.from.format("%Y-%m-%d"),
            self.period.to.format("%Y-%m-%d")
        );
        if let Some(c) = self.category {
            q.push_str("&category=");
            q.push_str(match c {
                0 => "none",
                c => category_text(c),
            });
        }
        q
    }

    fn category_text(&self) -> Option<&'static str> {
        self.category.map(category_text)
    }

    fn first_day_text(&self) -> String {
        self.period.from.format("%Y-%m-%d").to_string()
    }

    fn to_text(&self) -> String {
        self.period.to.format("%Y-%m-%d").to_string()
    }
}

/// Service figures of one row of a breakdown (or of the whole selection).
#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct ServiceFigures {
    /// Current confirmed records.
    pub records: i64,
    /// Their credited minutes.
    pub minutes: i64,
    /// The same in hours, one decimal.
    pub hours: String,
    /// Distinct volunteers with a confirmed record.
    pub active: u64,
}

impl ServiceFigures {
    pub(crate) fn of(minutes: i64, records: i64, active: u64) -> ServiceFigures {
        ServiceFigures {
            records,
            minutes,
            hours: fmt_hours(minutes),
            active,
        }
    }
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RegionFigures {
    pub code: String,
    pub name: String,
    /// Open volunteers living there.
    pub registered: i64,
    pub service: ServiceFigures,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CategoryFigures {
    /// Category code; empty for records without a category.
    pub code: String,
    pub label: String,
    pub service: ServiceFigures,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct MonthFigures {
    /// `YYYY-MM`
    pub month: String,
    pub label: String,
    pub new_registrations: i64,
    pub service: ServiceFigures,
}

/// Order figures (orders submitted in the period, placed in the region).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OrderFigures {
    pub total: i64,
    /// Count per state, in the order of the order's life.
    pub by_status: Vec<OrderStateCount>,
    /// Average hours from submission to dispatch (one decimal), when any was dispatched.
    pub avg_dispatch_hours: Option<String>,
    /// Average hours from dispatch to acceptance.
    pub avg_accept_hours: Option<String>,
    /// Average rating (two decimals) and the share rated 4 or 5 (percent, one decimal).
    pub avg_rating: Option<String>,
    pub good_share: Option<String>,
    pub rated: i64,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OrderStateCount {
    pub status: String,
    pub label: String,
    pub count: i64,
}

/// The headline figures.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Open volunteers living in the region (now).
    pub registered: i64,
    /// Of them, registered in the period.
    pub new_registrations: i64,
    pub service: ServiceFigures,
    /// Hours per active volunteer, one decimal.
    pub avg_hours_per_active: String,
    /// Open volunteers living in the region at 一星 … 五星.
    pub stars: Vec<i64>,
    pub organizations: i64,
    pub teams: i64,
    /// Projects with a shift starting in the period, and those shifts.
    pub projects: i64,
    pub shifts: i64,
    /// Certificates issued in the period to volunteers living in the region.
    pub certificates: i64,
}

/// A dashboard.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// 数据截至: when the figures were read (Beijing time).
    pub as_of: String,
    pub region: RegionRef,
    /// The enclosing regions from the caller's own region down to the parent of this one.
    pub trail: Vec<RegionRef>,
    pub from: String,
    pub to: String,
    pub period_label: String,
    /// Category code, or `none`; absent: every category.
    pub category: Option<String>,
    pub category_label: Option<String>,
    pub figures: Figures,
    pub orders: OrderFigures,
    pub by_region: Vec<RegionFigures>,
    pub by_category: Vec<CategoryFigures>,
    pub by_month: Vec<MonthFigures>,
}

pub(crate) fn input_error(e: StatsInputError) -> AppError {
    let field = match e {
        StatsInputError::Category(_) => "category",
        _ => "period",
    };
    AppError::invalid(field, e.code(), e.to_string())
}

/// The figures of the partial months of a period, from the rows (see `docs/architecture.md`).
struct Edges {
    index: StatsIndex,
    months: Vec<Month>,
}

impl Stats<'_> {
    fn live(&self) -> std::sync::RwLockReadGuard<'_, StatsIndex> {
        self.stats.index.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The selection of the rows behind a figure: a region's for a region's administrator, a
    /// team's (and its sub-teams', or with `only` its own) for a team administrator.
    pub async fn select_rows(&self, caller: &Caller, q: &DashboardQuery) -> AppResult<Selection> {
        if !matches!(caller.scope, crate::Scope::Team { .. }) {
            return self.select(caller, q).await;
        }
        let period = Period::parse(&q.period_input(), crate::today()).map_err(input_error)?;
        let category = parse_category_filter(q.category.as_deref().unwrap_or("")).map_err(input_error)?;
        let mut conn = self.store.read().await?;
        let team = self.pick_team(&mut conn, caller, q).await?;
        let only = q.only.unwrap_or(false);
        Ok(Selection {
            region: RegionCode::parse(&team.region_code)
                .map_err(|_| AppError::Internal(format!("team {} has no region", team.id)))?,
            region_name: if only {
                format!("{}（本级）", team.name)
            } else {
                team.name
            },
            period,
            category,
            team: Some(TeamPick {
                id: team.id,
                path: team.path,
                only,
            }),
        })
    }

    /// Reads and checks a request against the caller's scope.
    pub async fn select(&self, caller: &Caller, q: &DashboardQuery) -> AppResult<Selection> {
        caller.require_admin()?;
        let Some(own) = caller.region_prefix() else {
            return Err(AppError::Forbidden);
        };
        let period = Period::parse(&q.period_input(), crate::today()).map_err(input_error)?;
        let category = parse_category_filter(q.category.as_deref().unwrap_or("")).map_err(input_error)?;
        let region = match q.region.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(r) => RegionCode::parse(r)
                .map_err(|_| AppError::invalid("region", "region_invalid", "行政区划代码不正确"))?,
            None => RegionCode::from_prefix(own).map_err(|_| AppError::Forbidden)?,
        };
        if !region.prefix().starts_with(own) {
            return Err(AppError::Forbidden);
        }
        let mut conn = self.store.read().await?;
        let region_name = match regions::get(&mut conn, region.as_str()).await? {
            Some(r) => r.name,
            None => return Err(AppError::NotFound("行政区划")),
        };
        Ok(Selection {
            region,
            region_name,
            period,
            category,
            team: None,
        })
    }

    async fn edges(&self, sel: &Selection) -> AppResult<Edges> {
        let mut index = StatsIndex::new();
        let mut months = Vec::new();
        let mut conn = self.store.read().await?;
        for (m, a, b) in sel.period.partial_months() {
            months.push(m);
            let rows = store::contributions_between(
                &mut conn,
                sel.region.prefix(),
                &a.format("%Y-%m-%d").to_string(),
                &b.format("%Y-%m-%d").to_string(),
            )
            .await?;
            for r in rows {
                if let Some(d) = delta_of(&r, 1) {
                    index.apply(&d);
                }
            }
        }
        Ok(Edges { index, months })
    }

    /// The service figures of a region under the selection's period (and a category).
    fn service(
        &self,
        live: &StatsIndex,
        edges: &Edges,
        sel: &Selection,
        region: &str,
        category: Option<CategoryCode>,
    ) -> ServiceFigures {
        let full: Vec<Month> = sel
            .period
            .months()
            .into_iter()
            .filter(|m| !edges.months.contains(m))
            .collect();
        let mut sets = Vec::new();
        let (m1, r1) = live.gather(region, category, &full, &mut sets);
        let (m2, r2) = edges.index.gather(region, category, &edges.months, &mut sets);
        ServiceFigures::of(m1 + m2, r1 + r2, distinct(&sets))
    }

    /// The dashboard of a selection.
    pub async fn dashboard(&self, caller: &Caller, q: &DashboardQuery) -> AppResult<Dashboard> {
        let sel = self.select(caller, q).await?;
        let edges = self.edges(&sel).await?;
        let mut conn = self.store.read().await?;
        let children = regions::children(&mut conn, sel.region.as_str()).await?;
        let own = caller.region_prefix().unwrap_or_default().to_owned();
        let mut trail = Vec::new();
        for r in regions::ancestry(&mut conn, sel.region.as_str()).await? {
            if r.code != sel.region.as_str()
                && RegionCode::parse(&r.code).is_ok_and(|c| c.prefix().starts_with(&own))
            {
                trail.push(RegionRef {
                    code: r.code,
                    name: r.name,
                });
            }
        }
        let prefix = sel.region.prefix().to_owned();
        let cat_text = sel.category_text();
        // the partial months' registrations and certificates, from the rows
        let mut edge_regs = 0;
        let mut edge_certs = 0;
        let mut edge_regs_by_month: HashMap<Month, i64> = HashMap::new();
        let mut edge_projects = Vec::new();
        for (m, a, b) in sel.period.partial_months() {
            let (a, b) = (day_start_ms(a), day_start_ms(b.succ_opt().unwrap_or(b)));
            let n = store::registrations_between(&mut conn, &prefix, a, b).await?;
            edge_regs += n;
            edge_regs_by_month.insert(m, n);
            edge_certs += store::certificates_between(&mut conn, &prefix, a, b).await?;
            edge_projects.extend(store::project_shifts_between(&mut conn, &prefix, cat_text, a, b).await?);
        }
        let (organizations, teams) = store::cells::org_cells(&mut conn, sel.region.as_str()).await?;
        let o = order_figures_of(&mut conn, &sel).await?;
        drop(conn);

        let live = self.live();
        // the partial months' sets counted together with the live index's: number them alike
        let edges = Edges {
            index: edges.index.renumbered_as(&live),
            months: edges.months,
        };
        let region = sel.region.as_str();
        let full: Vec<Month> = sel
            .period
            .months()
            .into_iter()
            .filter(|m| !edges.months.contains(m))
            .collect();
        let service = self.service(&live, &edges, &sel, region, sel.category);
        let minutes = service.minutes;
        let (projects, shifts) = {
            let index = self.stats.projects.read().unwrap_or_else(|p| p.into_inner());
            let mut sets = Vec::new();
            let mut shifts = index.gather(region, sel.category, &full, &mut sets);
            let edge: roaring::RoaringBitmap = edge_projects
                .iter()
                .filter_map(|&(id, n)| {
                    shifts += n;
                    u32::try_from(id).ok()
                })
                .collect();
            sets.push(&edge);
            (distinct(&sets) as i64, shifts)
        };
        let new_registrations = full
            .iter()
            .map(|&m| live.new_registrations(region, m))
            .sum::<i64>()
            + edge_regs;
        let certificates = full.iter().map(|&m| live.certificates(region, m)).sum::<i64>() + edge_certs;
        let figures = Figures {
            registered: live.registered(region),
            new_registrations,
            avg_hours_per_active: if service.active > 0 {
                format!("{:.1}", minutes as f64 / 60.0 / service.active as f64)
            } else {
                "0.0".into()
            },
            service,
            stars: (1..=5).map(|s| live.star_count(region, s)).collect(),
            organizations,
            teams,
            projects,
            shifts,
            certificates,
        };
        let child_registered: i64 = children.iter().map(|c| live.registered(&c.code)).sum();
        let mut by_region: Vec<RegionFigures> = children
            .into_iter()
            .map(|c| {
                let service = self.service(&live, &edges, &sel, &c.code, sel.category);
                RegionFigures {
                    registered: live.registered(&c.code),
                    code: c.code,
                    name: c.name,
                    service,
                }
            })
            .collect();
        if !by_region.is_empty() {
            // records placed on this region itself, and people living at no finer level
            let (m1, r1, mut set) = live.own_union(region, sel.category, &full);
            let (m2, r2, set2) = edges.index.own_union(region, sel.category, &edges.months);
            set |= set2;
            let registered = live.registered(region) - child_registered;
            if r1 + r2 != 0 || registered != 0 {
                by_region.push(RegionFigures {
                    code: region.to_owned(),
                    name: format!("{}（本级）", sel.region_name),
                    registered,
                    service: ServiceFigures::of(m1 + m2, r1 + r2, set.len()),
                });
            }
        }
        let by_category = category_codes()
            .filter(|c| sel.category.is_none_or(|s| s == *c))
            .filter_map(|c| {
                let service = self.service(&live, &edges, &sel, region, Some(c));
                (service.records != 0 || service.minutes != 0 || sel.category.is_some()).then(|| {
                    CategoryFigures {
                        code: category_text(c).to_owned(),
                        label: category_label(c).to_owned(),
                        service,
                    }
                })
            })
            .collect();
        let by_month = sel
            .period
            .months()
            .into_iter()
            .map(|m| {
                let (src, regs) = if edges.months.contains(&m) {
                    (&edges.index, edge_regs_by_month.get(&m).copied().unwrap_or(0))
                } else {
                    (&*live, live.new_registrations(region, m))
                };
                let mut sets = Vec::new();
                let (mm, r) = src.gather(region, sel.category, &[m], &mut sets);
                MonthFigures {
                    month: format!("{}-{:02}", m / 100, m % 100),
                    label: month_label(m),
                    new_registrations: regs,
                    service: ServiceFigures::of(mm, r, distinct(&sets)),
                }
            })
            .collect();
        drop(live);
        let orders = order_figures(&o);
        Ok(Dashboard {
            as_of: crate::show_time(zhiyuan_store::now_millis()),
            region: RegionRef {
                code: region.to_owned(),
                name: sel.region_name.clone(),
            },
            trail,
            from: sel.first_day_text(),
            to: sel.to_text(),
            period_label: sel.period.label(),
            category: sel.category.map(|c| {
                if c == 0 {
                    "none".to_owned()
                } else {
                    category_text(c).to_owned()
                }
            }),
            category_label: sel.category.map(|c| category_label(c).to_owned()),
            figures,
            orders,
            by_region,
            by_category,
            by_month,
        })
    }

    /// The records behind a service figure of a selection, latest first.
    pub async fn records(
        &self,
        caller: &Caller,
        q: &DashboardQuery,
        page: &SeekRequest,
    ) -> AppResult<(Selection, Seek<RecordView>)> {
        let sel = self.select_rows(caller, q).await?;
        let mut conn = self.store.read().await?;
        let rows = store::records_page(
            &mut conn,
            sel.within(),
            sel.category_text(),
            &sel.first_day_text(),
            &sel.to_text(),
            page,
        )
        .await?;
        Ok((sel, rows.map(RecordView::from)))
    }

    /// The volunteers behind an "active volunteers" figure, most hours first (up to 1 000).
    pub async fn active_volunteers(
        &self,
        caller: &Caller,
        q: &DashboardQuery,
    ) -> AppResult<(Selection, Vec<store::ActiveRow>)> {
        let sel = self.select_rows(caller, q).await?;
        let mut conn = self.store.read().await?;
        let rows = store::active_volunteers(
            &mut conn,
            sel.within(),
            sel.category_text(),
            &sel.first_day_text(),
            &sel.to_text(),
            1000,
        )
        .await?;
        Ok((sel, rows))
    }
}

/// The order figures of a selection: its whole months from the roll-up cells (a few rows
/// however many orders), the days of a partial first or last month from the rows.
async fn order_figures_of(conn: &mut zhiyuan_store::Conn, sel: &Selection) -> AppResult<store::OrderFigures> {
    let prefix = sel.region.prefix();
    let cat = sel.category_text();
    let mut out = store::OrderFigures::default();
    let mut full = Vec::new();
    for m in sel.period.months() {
        match sel.period.partial(m) {
            Some((a, b)) => {
                let end = day_start_ms(b.succ_opt().unwrap_or(b));
                out += store::order_figures(conn, prefix, cat, day_start_ms(a), end).await?;
            }
            None => full.push(m),
        }
    }
    // the whole months lie between the partial ones: one range
    if let (Some(&from), Some(&to)) = (full.iter().min(), full.iter().max()) {
        out += store::cells::order_months(conn, sel.region.as_str(), cat, i64::from(from), i64::from(to))
            .await?;
    }
    Ok(out)
}

fn order_figures(o: &store::OrderFigures) -> OrderFigures {
    use zhiyuan_domain::orders::OrderStatus as S;
    let by_status = [
        (S::Submitted, o.submitted),
        (S::Dispatched, o.dispatched),
        (S::Accepted, o.accepted),
        (S::Completed, o.completed),
        (S::Rated, o.rated),
        (S::Rejected, o.rejected),
        (S::Cancelled, o.cancelled),
    ]
    .into_iter()
    .map(|(s, n)| OrderStateCount {
        status: s.as_str().to_owned(),
        label: s.label_zh().to_owned(),
        count: n,
    })
    .collect();
    let avg = |ms: i64, n: i64| (n > 0).then(|| format!("{:.1}", ms as f64 / n as f64 / 3_600_000.0));
    OrderFigures {
        total: o.total,
        by_status,
        avg_dispatch_hours: avg(o.dispatch_ms, o.dispatch_n),
        avg_accept_hours: avg(o.accept_ms, o.accept_n),
        avg_rating: (o.rating_n > 0).then(|| format!("{:.2}", o.rating_sum as f64 / o.rating_n as f64)),
        good_share: (o.rating_n > 0)
            .then(|| format!("{:.1}", o.rating_good as f64 * 100.0 / o.rating_n as f64)),
        rated: o.rating_n,
    }
}

/// The change a current confirmed record makes (`sign` +1 when it appears, −1 when it goes).
pub(crate) fn delta_of(c: &store::Contribution, sign: i64) -> Option<Delta> {
    let sign = i32::try_from(sign).ok()?;
    delta_from(
        &c.region_code,
        &c.category,
        &c.service_date,
        c.volunteer_id,
        c.minutes,
        sign,
    )
}

/// The change a current confirmed record makes (`sign` +1) or undoes (−1), from its fields.
pub(crate) fn delta_from(
    region: &str,
    category: &str,
    service_date: &str,
    volunteer_id: i64,
    minutes: i64,
    sign: i32,
) -> Option<Delta> {
    let sign = i64::from(sign);
    Some(Delta {
        region: RegionCode::parse(region).ok()?,
        category: category_code(category),
        month: rules::month_of_text(service_date)?,
        volunteer: u32::try_from(volunteer_id).ok()?,
        minutes: sign * minutes,
        records: sign,
    })
}

/// The minutes each star level needs, lowest first.
pub fn star_bounds() -> [i64; 5] {
    STAR_HOURS.map(|h| h * 60)
}

/// Minutes, records and distinct volunteers of a selection, counted straight from the records
/// (the headline of the lists behind the figures, so a reader sees the two agree).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ListTotals {
    pub records: i64,
    pub hours: String,
    pub active: i64,
}

impl Stats<'_> {
    pub async fn list_totals(&self, sel: &Selection) -> AppResult<ListTotals> {
        let mut conn = self.store.read().await?;
        let (minutes, records, active) = store::direct_service(
            &mut conn,
            sel.within(),
            sel.category_text(),
            &sel.first_day_text(),
            &sel.to_text(),
        )
        .await?;
        Ok(ListTotals {
            records,
            hours: fmt_hours(minutes),
            active,
        })
    }
}
