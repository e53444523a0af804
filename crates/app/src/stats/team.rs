//! A team's own dashboard (队伍统计): for a team administrator, whose scope is a team and its
//! sub-teams rather than a region. The figures are the service of the records the team (or a
//! sub-team) organized, and its members; a sub-team's row opens that sub-team's dashboard.
//! Counted straight from the rows: a team's records are few next to a region's, and the
//! region roll-ups are keyed by place, not by team.

use zhiyuan_domain::stats::{
    category_code, category_label, category_text, month_label, month_of_text, parse_category_filter,
    CategoryCode, Period,
};
use zhiyuan_store::network::orgs;
use zhiyuan_store::stats::{self as store, TeamBy, Teams};

use super::{input_error, CategoryFigures, DashboardQuery, ServiceFigures, Stats};
use crate::error::{AppError, AppResult};
use crate::{Caller, Scope};

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TeamRef {
    pub id: i64,
    pub name: String,
}

/// One sub-team's figures (with its own sub-teams), or the team's own (本级).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SubTeamFigures {
    pub id: i64,
    pub name: String,
    /// Approved members (open volunteers), each counted once.
    pub members: i64,
    pub service: ServiceFigures,
    /// Whether the row is the team's own records (not a sub-team's): it opens no dashboard.
    pub own: bool,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TeamMonthFigures {
    /// `YYYY-MM`
    pub month: String,
    pub label: String,
    pub service: ServiceFigures,
}

/// A team's dashboard.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TeamDashboard {
    /// 数据截至 (Beijing time).
    pub as_of: String,
    pub team: TeamRef,
    /// The teams from the caller's own down to this one's parent.
    pub trail: Vec<TeamRef>,
    pub from: String,
    pub to: String,
    pub period_label: String,
    /// Category code, or `none`; absent: every category.
    pub category: Option<String>,
    pub category_label: Option<String>,
    /// Approved members of the team and its sub-teams (open volunteers), each counted once.
    pub members: i64,
    /// Records the team and its sub-teams organized in the period.
    pub service: ServiceFigures,
    /// Hours per active volunteer, one decimal.
    pub avg_hours_per_active: String,
    pub by_team: Vec<SubTeamFigures>,
    pub by_category: Vec<CategoryFigures>,
    pub by_month: Vec<TeamMonthFigures>,
}

fn figures(row: Option<&(String, i64, i64, i64)>) -> ServiceFigures {
    match row {
        Some((_, minutes, records, active)) => ServiceFigures::of(*minutes, *records, *active as u64),
        None => ServiceFigures::of(0, 0, 0),
    }
}

impl Stats<'_> {
    /// The team a team administrator asks for (their own by default), checked against their
    /// scope: a region, or a team outside theirs, is refused.
    pub(crate) async fn pick_team(
        &self,
        conn: &mut zhiyuan_store::Conn,
        caller: &Caller,
        q: &DashboardQuery,
    ) -> AppResult<orgs::OrgRow> {
        let Scope::Team { org_id, path: own } = &caller.scope else {
            return Err(AppError::Forbidden);
        };
        if q.region.as_deref().is_some_and(|r| !r.trim().is_empty()) {
            // a team's figures are not a region's: a region is outside a team admin's scope
            return Err(AppError::Forbidden);
        }
        let team = orgs::get(conn, q.team.unwrap_or(*org_id))
            .await?
            .ok_or(AppError::NotFound("队伍"))?;
        if !team.path.starts_with(own.as_str()) {
            return Err(AppError::Forbidden);
        }
        Ok(team)
    }

    /// The dashboard of a team administrator's team (or one of its sub-teams).
    pub async fn team_dashboard(&self, caller: &Caller, q: &DashboardQuery) -> AppResult<TeamDashboard> {
        let Scope::Team { path: own, .. } = &caller.scope else {
            return Err(AppError::Forbidden);
        };
        let period = Period::parse(&q.period_input(), crate::today()).map_err(input_error)?;
        let category = parse_category_filter(q.category.as_deref().unwrap_or("")).map_err(input_error)?;
        let cat_text = category.map(category_text);
        let (from, to) = (
            period.from.format("%Y-%m-%d").to_string(),
            period.to.format("%Y-%m-%d").to_string(),
        );
        let mut conn = self.store.read().await?;
        let team = self.pick_team(&mut conn, caller, q).await?;
        let mut trail = Vec::new();
        let mut up = team.parent_id;
        while let Some(id) = up {
            let Some(t) = orgs::get(&mut conn, id).await? else {
                break;
            };
            if !t.path.starts_with(own.as_str()) {
                break;
            }
            up = t.parent_id;
            trail.push(TeamRef {
                id: t.id,
                name: t.name,
            });
        }
        trail.reverse();
        let span = (from.as_str(), to.as_str());
        let all = Teams::Subtree(&team.path);
        let service = figures(
            store::team_service(&mut conn, all, cat_text, span, None)
                .await?
                .first(),
        );
        let members = store::team_members(&mut conn, all).await?;
        let children = orgs::list(
            &mut conn,
            &orgs::OrgFilter {
                parent_id: Some(team.id),
                ..Default::default()
            },
            zhiyuan_store::PageRequest::new(Some(1), Some(200)),
        )
        .await?
        .items;
        let mut by_team = Vec::with_capacity(children.len() + 1);
        for c in children {
            let sub = Teams::Subtree(&c.path);
            let s = figures(
                store::team_service(&mut conn, sub, cat_text, span, None)
                    .await?
                    .first(),
            );
            by_team.push(SubTeamFigures {
                members: store::team_members(&mut conn, sub).await?,
                id: c.id,
                name: c.name,
                service: s,
                own: false,
            });
        }
        if !by_team.is_empty() {
            // the team's own records and members, without its sub-teams'
            let only = Teams::Only(team.id);
            let s = figures(
                store::team_service(&mut conn, only, cat_text, span, None)
                    .await?
                    .first(),
            );
            let members = store::team_members(&mut conn, only).await?;
            if s.records != 0 || members != 0 {
                by_team.push(SubTeamFigures {
                    id: team.id,
                    name: format!("{}（本级）", team.name),
                    members,
                    service: s,
                    own: true,
                });
            }
        }
        let by_category = store::team_service(&mut conn, all, cat_text, span, Some(TeamBy::Category))
            .await?
            .iter()
            .map(|row| {
                let code = category_code(&row.0);
                CategoryFigures {
                    code: category_text(code).to_owned(),
                    label: category_label(code).to_owned(),
                    service: figures(Some(row)),
                }
            })
            .collect();
        let months = store::team_service(&mut conn, all, cat_text, span, Some(TeamBy::Month)).await?;
        let by_month = period
            .months()
            .into_iter()
            .map(|m| {
                let key = format!("{}-{:02}", m / 100, m % 100);
                let row = months
                    .iter()
                    .find(|r| month_of_text(&format!("{}-01", r.0)) == Some(m));
                TeamMonthFigures {
                    label: month_label(m),
                    month: key,
                    service: figures(row),
                }
            })
            .collect();
        drop(conn);
        Ok(TeamDashboard {
            as_of: crate::show_time(zhiyuan_store::now_millis()),
            team: TeamRef {
                id: team.id,
                name: team.name,
            },
            trail,
            avg_hours_per_active: if service.active > 0 {
                format!("{:.1}", service.minutes as f64 / 60.0 / service.active as f64)
            } else {
                "0.0".into()
            },
            from,
            to,
            period_label: period.label(),
            category: category.map(category_param),
            category_label: category.map(|c| category_label(c).to_owned()),
            members,
            service,
            by_team,
            by_category,
            by_month,
        })
    }
}

/// A category as the dashboard's `category` parameter takes it.
fn category_param(c: CategoryCode) -> String {
    if c == 0 {
        "none".to_owned()
    } else {
        category_text(c).to_owned()
    }
}
