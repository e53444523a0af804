//! The home page and "my profile".

use askama::Template;
use axum::extract::Query;
use zhiyuan_app::people::{MembershipView, VolunteerView};
use zhiyuan_app::{AppResult, Caller, Scope};
use zhiyuan_domain::auth::{MembershipStatus, Role};
use zhiyuan_domain::orders::OrderStatus;

use super::{ok, scope_label, Ctx, Nav, PageResult};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Nav,
    admin: Option<AdminHome>,
    me: Option<VolunteerView>,
    memberships: Vec<MembershipView>,
    /// The role's work, most used first.
    tiles: Vec<Tile>,
}

impl HomePage {
    /// Teams the volunteer has joined.
    fn joined(&self) -> usize {
        self.memberships
            .iter()
            .filter(|m| m.status == MembershipStatus::Approved)
            .count()
    }

    /// Requests to join still waiting for the team.
    fn waiting(&self) -> usize {
        self.memberships
            .iter()
            .filter(|m| m.status == MembershipStatus::Pending)
            .count()
    }
}

/// A figure of the caller's scope on an office's home page.
struct Figure {
    value: String,
    label: &'static str,
    href: String,
}

/// A way into the role's work.
struct Tile {
    href: String,
    title: &'static str,
    text: &'static str,
}

fn tile(href: impl Into<String>, title: &'static str, text: &'static str) -> Tile {
    Tile {
        href: href.into(),
        title,
        text,
    }
}

struct AdminHome {
    scope: String,
    figures: Vec<Figure>,
    /// Membership requests waiting (the people who decide them: team and site admins).
    pending: Option<Pending>,
}

struct Pending {
    total: usize,
    first: Vec<MembershipView>,
}

/// The work of each role (a visitor: none; the template shows what the site offers).
fn tiles_of(caller: &Caller) -> Vec<Tile> {
    let queue = tile("/orders/queue", "点单受理", "居民点单的派单、驳回和督办");
    let records = tile("/records/pending", "待确认记录", "确认或驳回服务时长");
    let volunteers = tile("/volunteers", "查询志愿者", "按姓名、编号、手机号或身份证号");
    let audit = tile("/audit", "审计日志", "范围内的每一次写操作");
    let orgs = tile("/orgs", "组织与队伍", "成员、入队审核、新建下级队伍");
    let sites = tile("/sites", "文明实践阵地", "新时代文明实践中心、所、站");
    match (&caller.role, &caller.scope) {
        (Role::CityAdmin | Role::DistrictAdmin, _) => vec![
            queue,
            volunteers,
            orgs,
            sites,
            records,
            tile("/honor-roll", "光荣榜", "志愿服务时长排行"),
            audit,
        ],
        (Role::SiteAdmin, scope) => {
            let mut t = vec![queue];
            if let Scope::Site { site_id, .. } = scope {
                t.push(tile(
                    format!("/sites/{site_id}/menu"),
                    "点单菜单",
                    "本阵地可供居民点单的服务项目",
                ));
            }
            t.extend([
                tile("/projects/new", "发布项目", "志愿服务项目与班次，招募报名"),
                records,
                tile("/volunteers/new", "登记志愿者", "代为登记实名志愿者"),
                volunteers,
                audit,
            ]);
            t
        }
        (_, Scope::Team { org_id, .. }) => vec![
            tile("/projects/new", "发布项目", "志愿服务项目与班次，招募报名"),
            records,
            tile("/records/entry", "团体录入", "为参加活动的志愿者统一登记时长"),
            tile(format!("/orgs/{org_id}"), "我的队伍", "成员、入队审核、下级队伍"),
            tile("/orders/for-me", "接单", "派给本队的居民点单"),
            tile("/volunteers/new", "登记志愿者", "代为登记实名志愿者"),
            volunteers,
        ],
        (Role::Resident, _) => vec![
            tile("/orders/new", "我要点单", "需要帮助？选择服务，志愿者上门"),
            tile("/orders/mine", "我的点单", "进度、取消和服务评价"),
            tile("/projects/nearby", "附近项目", "身边正在招募的志愿服务"),
            tile("/sites", "文明实践阵地", "中心、所、站的地址和电话"),
            tile("/notices", "通知", "点单的进展"),
            tile("/me", "我的", "账号与密码"),
        ],
        _ => vec![
            tile("/projects", "找志愿服务项目", "报名参加正在招募的活动"),
            tile("/orders/for-me", "接单", "派给我的居民点单"),
            tile("/me/hours", "我的时长", "服务记录、星级和时长申报"),
            tile("/me/certificates", "我的证明", "出具、下载和查验志愿服务证明"),
            tile("/orgs", "申请加入队伍", "找到身边的志愿服务队"),
            tile("/me", "我的", "账号与志愿者档案"),
        ],
    }
}

/// The figures of an office's scope.
async fn figures_of(ctx: &Ctx, caller: &Caller) -> AppResult<Vec<Figure>> {
    let app = &ctx.app;
    let mut out = vec![Figure {
        value: app.people().count_volunteers(caller).await?.to_string(),
        label: "范围内志愿者",
        href: "/volunteers".into(),
    }];
    if caller.region_prefix().is_some() {
        let stats = app.orders().order_stats(caller, "").await?;
        let count = |st: OrderStatus| {
            stats
                .counts
                .iter()
                .find(|c| c.status == st.as_str())
                .map_or(0, |c| c.count)
        };
        out.push(Figure {
            value: (count(OrderStatus::Submitted) + count(OrderStatus::Dispatched)).to_string(),
            label: "待派单、待接单的点单",
            href: "/orders/queue".into(),
        });
        out.push(Figure {
            value: (count(OrderStatus::Completed) + count(OrderStatus::Rated)).to_string(),
            label: "已完成点单",
            href: "/orders/queue?status=completed".into(),
        });
        if let Some(p) = stats.good_percent {
            out.push(Figure {
                value: format!("{p:.0}%"),
                label: "居民满意率（4星及以上）",
                href: "/orders/queue?status=completed".into(),
            });
        }
    }
    out.push(Figure {
        value: app.service().pending_records(caller).await?.len().to_string(),
        label: "待确认服务记录",
        href: "/records/pending".into(),
    });
    Ok(out)
}

pub(crate) async fn home(ctx: Ctx) -> PageResult {
    let nav = ctx.nav();
    let Some(caller) = &ctx.caller else {
        return ok(&HomePage {
            nav,
            admin: None,
            me: None,
            memberships: Vec::new(),
            tiles: Vec::new(),
        });
    };
    let app = &ctx.app;
    let tiles = tiles_of(caller);
    if caller.is_admin() {
        let figures = figures_of(&ctx, caller).await.map_err(|e| ctx.fail(e))?;
        // membership requests are decided by the team (and its site), not by the district or city
        let pending = if matches!(caller.role, Role::TeamAdmin | Role::SiteAdmin) {
            let mut first = app
                .people()
                .pending_requests(caller)
                .await
                .map_err(|e| ctx.fail(e))?;
            let total = first.len();
            first.truncate(10);
            Some(Pending { total, first })
        } else {
            None
        };
        let admin = AdminHome {
            scope: scope_label(app, caller).await,
            figures,
            pending,
        };
        return ok(&HomePage {
            nav,
            admin: Some(admin),
            me: None,
            memberships: Vec::new(),
            tiles,
        });
    }
    let me = app.people().my_volunteer(caller).await.map_err(|e| ctx.fail(e))?;
    let memberships = match &me {
        Some(v) => app
            .people()
            .memberships_of(caller, v.id)
            .await
            .map_err(|e| ctx.fail(e))?,
        None => Vec::new(),
    };
    ok(&HomePage {
        nav,
        admin: None,
        me,
        memberships,
        tiles,
    })
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    nav: Nav,
    username: String,
    display_name: String,
    role_label: String,
    scope: String,
    is_volunteer_role: bool,
    /// Just registered (the welcome notice).
    registered: bool,
    /// Just changed their details.
    updated: bool,
    /// For the shared memberships partial: this is the caller's own record.
    is_self: bool,
    volunteer: Option<VolunteerView>,
    memberships: Vec<MembershipView>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct MeQuery {
    registered: String,
    updated: String,
}

pub(crate) async fn me(ctx: Ctx, Query(q): Query<MeQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let app = &ctx.app;
    let volunteer = app.people().my_volunteer(caller).await.map_err(|e| ctx.fail(e))?;
    let memberships = match &volunteer {
        Some(v) => app
            .people()
            .memberships_of(caller, v.id)
            .await
            .map_err(|e| ctx.fail(e))?,
        None => Vec::new(),
    };
    ok(&MePage {
        nav: ctx.nav(),
        username: caller.username.clone(),
        display_name: caller.display_name.clone(),
        role_label: caller.role.label_zh().to_owned(),
        scope: scope_label(app, caller).await,
        is_volunteer_role: !caller.is_admin(),
        registered: !q.registered.is_empty(),
        updated: !q.updated.is_empty(),
        is_self: true,
        volunteer,
        memberships,
    })
}
