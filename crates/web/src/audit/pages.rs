//! The audit log, for administrators within their scope.

use crate::AppState;
use askama::Template;
use axum::extract::Query;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use zhiyuan_app::audit::{AuditAction, AuditFilter, Entity, FieldChange};

use crate::pages::{ok, Choice, Ctx, Nav, PageResult, SeekPager, SeekQuery};

/// The actions about one kind of entity, for one `<optgroup>` of the filter.
pub(crate) struct ActionGroup {
    pub label: &'static str,
    pub actions: Vec<Choice>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct AuditQuery {
    action: String,
    entity: String,
    entity_id: String,
    after: String,
    before: String,
}

pub(crate) struct AuditEntry {
    pub at: String,
    pub actor_name: String,
    pub action_label: String,
    pub entity_label: String,
    pub entity_id: String,
    /// The object's name, when it has one ("助老陪伴").
    pub entity_name: Option<String>,
    /// A link to the entity's page, when it has one.
    pub entity_url: Option<String>,
    /// What the write set or changed, by Chinese field name.
    pub changes: Vec<FieldChange>,
    /// The entry has a before (an update or a deletion, not a creation).
    pub has_before: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    nav: Nav,
    action_groups: Vec<ActionGroup>,
    entities: Vec<Choice>,
    entity_id: String,
    items: Vec<AuditEntry>,
    pager: SeekPager,
    /// The log as Excel, with the same filter.
    export: String,
}

pub(crate) async fn audit(ctx: Ctx, Query(q): Query<AuditQuery>) -> PageResult {
    let caller = ctx.require_login()?;
    // an unknown value (an old bookmark) is no filter, and the select shows 全部
    let action = AuditAction::parse(q.action.trim());
    let entity = Entity::parse(q.entity.trim());
    let entity_id = q.entity_id.trim().to_owned();
    let filter = AuditFilter {
        entity,
        entity_id: (!entity_id.is_empty()).then(|| entity_id.clone()),
        action,
    };
    let page = ctx
        .app
        .audit()
        .audit_log(
            caller,
            &filter,
            &SeekQuery {
                after: q.after,
                before: q.before,
            }
            .request(30),
        )
        .await
        .map_err(|e| ctx.fail(e))?;
    let (action_code, entity_code) = (
        action.map(AuditAction::as_str).unwrap_or_default(),
        entity.map(Entity::as_str).unwrap_or_default(),
    );
    let pager = SeekPager::of(
        &page,
        "/audit",
        &[
            ("action", action_code),
            ("entity", entity_code),
            ("entity_id", &entity_id),
        ],
    );
    let items = page
        .items
        .into_iter()
        .map(|a| {
            let entity_url = match Entity::parse(&a.entity_type) {
                Some(Entity::Volunteer) => Some(format!("/volunteers/{}", a.entity_id)),
                Some(Entity::Site) => Some(format!("/sites/{}", a.entity_id)),
                Some(Entity::Organization) => Some(format!("/orgs/{}", a.entity_id)),
                Some(Entity::Project) => Some(format!("/projects/{}", a.entity_id)),
                Some(Entity::Order) => Some(format!("/orders/{}", a.entity_id)),
                Some(Entity::ServiceRecord) => Some(format!("/records/{}", a.entity_id)),
                _ => None,
            };
            AuditEntry {
                at: a.at,
                actor_name: a.actor_name,
                action_label: a.action_label,
                entity_label: a.entity_label,
                entity_id: a.entity_id,
                entity_name: a.entity_name,
                entity_url,
                changes: a.changes,
                has_before: a.before.is_some(),
            }
        })
        .collect();
    let action_groups = Entity::ALL
        .into_iter()
        .map(|e| ActionGroup {
            label: e.label(),
            actions: AuditAction::of(e)
                .map(|a| Choice {
                    value: a.as_str().into(),
                    label: a.label().into(),
                    selected: Some(a) == action,
                })
                .collect(),
        })
        .collect();
    let entities = Entity::ALL
        .into_iter()
        .map(|e| Choice {
            value: e.as_str().into(),
            label: e.label().into(),
            selected: Some(e) == entity,
        })
        .collect();
    let export = crate::pages::url_with(
        "/api/v1/audit.xlsx",
        &[
            ("action", action_code),
            ("entity_type", entity_code),
            ("entity_id", &entity_id),
        ],
    );
    ok(&AuditPage {
        export,
        nav: ctx.nav(),
        action_groups,
        entities,
        entity_id,
        items,
        pager,
    })
}

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    r.route("/audit", get(audit))
}
