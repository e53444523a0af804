//! The home page and "my profile".

use askama::Template;
use axum::extract::Query;
use zhiyuan_app::people::{MembershipView, VolunteerView};

use super::{ok, scope_label, Ctx, Nav, PageResult};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Nav,
    admin: Option<AdminHome>,
    me: Option<VolunteerView>,
    memberships: Vec<MembershipView>,
}

struct AdminHome {
    scope: String,
    volunteers: i64,
    pending_total: usize,
    pending: Vec<MembershipView>,
}

pub(crate) async fn home(ctx: Ctx) -> PageResult {
    let nav = ctx.nav();
    let Some(caller) = &ctx.caller else {
        return ok(&HomePage {
            nav,
            admin: None,
            me: None,
            memberships: Vec::new(),
        });
    };
    let app = &ctx.app;
    if caller.is_admin() {
        let volunteers = app
            .people()
            .count_volunteers(caller)
            .await
            .map_err(|e| ctx.fail(e))?;
        let mut pending = app
            .people()
            .pending_requests(caller)
            .await
            .map_err(|e| ctx.fail(e))?;
        let pending_total = pending.len();
        pending.truncate(10);
        let admin = AdminHome {
            scope: scope_label(app, caller).await,
            volunteers,
            pending_total,
            pending,
        };
        return ok(&HomePage {
            nav,
            admin: Some(admin),
            me: None,
            memberships: Vec::new(),
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
    /// For the shared memberships partial: this is the caller's own record.
    is_self: bool,
    volunteer: Option<VolunteerView>,
    memberships: Vec<MembershipView>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct MeQuery {
    registered: String,
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
        is_self: true,
        volunteer,
        memberships,
    })
}
