//! The audit log, for administrators within their scope.

use askama::Template;
use axum::extract::Query;
use serde::Deserialize;
use zhiyuan_app::audit::action_label;
use zhiyuan_store::audit::AuditFilter;
use zhiyuan_store::PageRequest;

use super::{ok, page_no, Choice, Ctx, Nav, PageResult, Pager};

const ACTIONS: &[&str] = &[
    "volunteer.register",
    "membership.request",
    "membership.approve",
    "membership.decline",
    "site.create",
    "org.create",
    "account.create",
];

const ENTITIES: &[(&str, &str)] = &[
    ("volunteer", "志愿者"),
    ("membership", "入队申请"),
    ("site", "阵地"),
    ("organization", "组织/队伍"),
    ("account", "账号"),
];

fn entity_label(code: &str) -> &str {
    ENTITIES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or(code)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct AuditQuery {
    action: String,
    entity: String,
    entity_id: String,
    page: String,
}

pub(crate) struct AuditEntry {
    pub at: String,
    pub actor_name: String,
    pub action: String,
    pub action_label: String,
    pub entity_label: String,
    pub entity_id: String,
    /// A link to the entity's page, when it has one.
    pub entity_url: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    actions: Vec<Choice>,
    entities: Vec<Choice>,
    entity_id: String,
    items: Vec<AuditEntry>,
    pager: Pager,
}

pub(crate) async fn audit(ctx: Ctx, Query(q): Query<AuditQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    let action = ACTIONS
        .iter()
        .find(|a| **a == q.action.trim())
        .map(|a| (*a).to_owned());
    let entity = ENTITIES
        .iter()
        .find(|(c, _)| *c == q.entity.trim())
        .map(|(c, _)| (*c).to_owned());
    let entity_id = q.entity_id.trim().to_owned();
    let filter = AuditFilter {
        entity_type: entity.clone(),
        entity_id: (!entity_id.is_empty()).then(|| entity_id.clone()),
        action: action.clone(),
    };
    let page = ctx
        .app
        .audit_log(caller, &filter, PageRequest::new(page_no(&q.page), Some(30)))
        .await
        .map_err(|e| ctx.fail(e))?;
    let (action, entity) = (action.unwrap_or_default(), entity.unwrap_or_default());
    let pager = Pager::of(
        &page,
        "/audit",
        &[
            ("action", &action),
            ("entity", &entity),
            ("entity_id", &entity_id),
        ],
    );
    let pretty =
        |v: Option<serde_json::Value>| v.map(|v| serde_json::to_string_pretty(&v).unwrap_or_default());
    let items = page
        .items
        .into_iter()
        .map(|a| {
            let entity_url = match a.entity_type.as_str() {
                "volunteer" => Some(format!("/volunteers/{}", a.entity_id)),
                "site" => Some(format!("/sites/{}", a.entity_id)),
                "organization" => Some(format!("/orgs/{}", a.entity_id)),
                _ => None,
            };
            AuditEntry {
                at: a.at,
                actor_name: a.actor_name,
                action_label: a.action_label,
                action: a.action,
                entity_label: entity_label(&a.entity_type).to_owned(),
                entity_id: a.entity_id,
                entity_url,
                before: pretty(a.before),
                after: pretty(a.after),
            }
        })
        .collect();
    let actions = ACTIONS
        .iter()
        .map(|a| Choice {
            value: (*a).into(),
            label: action_label(a).into(),
            selected: *a == action,
        })
        .collect();
    let entities = ENTITIES
        .iter()
        .map(|(c, l)| Choice {
            value: (*c).into(),
            label: (*l).into(),
            selected: *c == entity,
        })
        .collect();
    ok(&AuditPage {
        nav: ctx.nav(),
        actions,
        entities,
        entity_id,
        items,
        pager,
    })
}
