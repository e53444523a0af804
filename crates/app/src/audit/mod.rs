//! Reading the audit log, within the reader's scope.

context_handle!(
    /// The audit context's use cases (`app.audit()`).
    Audit
);

mod changes;
pub mod export;

pub use changes::{changes, entity_name, field_label, FieldChange};

use serde::Serialize;
use utoipa::ToSchema;
use zhiyuan_store::audit::{self, AuditRow};
use zhiyuan_store::seek::{Seek, SeekRequest};

pub use zhiyuan_domain::audit::{AuditAction, Entity};
pub use zhiyuan_store::audit::AuditFilter;

use crate::access::Caller;
use crate::error::AppResult;
use crate::show_time;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    /// The action's code, e.g. `order.dispatch`.
    pub action: String,
    pub action_label: String,
    pub entity_type: String,
    pub entity_label: String,
    pub entity_id: String,
    /// The object's name from its snapshots ("助老陪伴"), when it has one.
    pub entity_name: Option<String>,
    /// What the write set or changed, field by field in Chinese.
    pub changes: Vec<FieldChange>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

/// The Chinese name of an action code as stored (an unknown code is shown as such).
pub fn action_label(code: &str) -> &'static str {
    AuditAction::parse(code).map_or("其他操作", AuditAction::label)
}

impl From<AuditRow> for AuditView {
    fn from(r: AuditRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok());
        let (before, after) = (parse(r.before_json), parse(r.after_json));
        let entity = Entity::parse(&r.entity_type);
        AuditView {
            id: r.id,
            at: show_time(r.at),
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action_label: action_label(&r.action).to_owned(),
            action: r.action,
            entity_label: Entity::parse(&r.entity_type)
                .map_or_else(|| r.entity_type.clone(), |e| e.label().to_owned()),
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            entity_name: entity_name(before.as_ref(), after.as_ref()),
            changes: changes(entity, before.as_ref(), after.as_ref()),
            before,
            after,
        }
    }
}

impl Audit<'_> {
    /// The audit log within the caller's scope, newest first (a keyset page).
    pub async fn audit_log(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        page: &SeekRequest,
    ) -> AppResult<Seek<AuditView>> {
        caller.require_admin()?;
        let scope = caller.audit_scope()?;
        let mut conn = self.conn().await?;
        let mut page: Seek<AuditView> = audit::list(&mut conn, &scope, filter, page)
            .await?
            .map(Into::into);
        // a region is shown by its name (朝阳区建外街道), not its code
        let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for entry in &mut page.items {
            for c in entry.changes.iter_mut().filter(|c| c.key == "region_code") {
                for v in [&mut c.before, &mut c.after].into_iter().flatten() {
                    if !names.contains_key(v.as_str()) {
                        let name = zhiyuan_store::network::regions::get(&mut conn, v)
                            .await?
                            .map(|r| r.name)
                            .unwrap_or_else(|| v.clone());
                        names.insert(v.clone(), name);
                    }
                    *v = names[v.as_str()].clone();
                }
            }
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recorded_action_has_a_label_of_its_own() {
        for a in AuditAction::ALL {
            assert_eq!(action_label(a.as_str()), a.label());
        }
        assert_eq!(action_label("legacy.thing"), "其他操作");
    }
}
