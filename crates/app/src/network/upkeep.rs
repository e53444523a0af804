//! Keeping the network true to life: a site's public details; an organization's details, its
//! place in the tree (调整上级) and its dissolution (解散). Each is one unit of work with its
//! audit entry; every problem of a form is reported at once.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::auth::MembershipStatus;
use zhiyuan_domain::notices::NoticeKind;
use zhiyuan_domain::service::project::ProjectStatus;
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::network::orgs::{self, OrgDetails, OrgFilter, OrgRow};
use zhiyuan_store::network::sites::{self, SiteDetails};
use zhiyuan_store::notices::Recipient;
use zhiyuan_store::people::memberships;
use zhiyuan_store::service::projects;
use zhiyuan_store::PageRequest;

use super::{name_text, optional_contact_phone, optional_name, optional_prose, policy, Network, OrgView};
use super::{SiteDetailsInput, SiteView};
use crate::access::{site_prefix, Caller};
use crate::error::{AppError, AppResult};
use crate::work::AfterCommit;

/// What an organization's administrators edit about it.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct OrgDetailsInput {
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 30)]
    pub contact_name: String,
    /// A mobile or landline number.
    #[serde(default)]
    #[schema(max_length = 30)]
    pub contact_phone: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
}

/// 调整上级组织: the organization it hangs under, or none for a top-level one.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct OrgMoveInput {
    pub parent_id: Option<i64>,
}

/// 解散: why, kept in the audit log and told to the members.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct OrgDissolveInput {
    #[schema(min_length = 2, max_length = 200)]
    pub reason: String,
}

/// An organization a team may be moved under, indented by its depth for a picker.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ParentChoice {
    pub id: i64,
    pub name: String,
    pub depth: usize,
}

/// The deepest a path may be (`/1/2/…/8/`): eight levels, as [`Network::create_org`] allows.
pub(crate) const MAX_PATH_LEVELS: usize = 8;

fn levels(path: &str) -> usize {
    path.matches('/').count().saturating_sub(1)
}

/// Refuses a write to an organization that was dissolved (no new members, teams, projects).
pub(crate) fn standing(org: &OrgRow) -> AppResult<()> {
    if org.dissolved_at.is_some() {
        return Err(AppError::Conflict {
            code: "org_dissolved",
            field: None,
            message: format!("{}已解散", org.name),
        });
    }
    Ok(())
}

fn entry(caller: &Caller, action: AuditAction, org: &OrgRow) -> NewAudit {
    NewAudit {
        actor_id: Some(caller.account_id),
        actor_name: caller.display_name.clone(),
        action,
        entity_id: org.id.to_string(),
        region_code: Some(org.region_code.clone()),
        org_path: Some(org.path.clone()),
        before: None,
        after: None,
    }
}

impl Network<'_> {
    /// 修改阵地信息: address, phone, contact person and opening hours, by an office whose scope
    /// holds the site. Nothing is written unless every field is right.
    pub async fn update_site(
        &self,
        caller: &Caller,
        id: i64,
        input: &SiteDetailsInput,
    ) -> AppResult<SiteView> {
        let mut tx = self.begin().await?;
        let row = sites::get(&mut tx, id).await?.ok_or(AppError::NotFound("阵地"))?;
        if !policy::administers_site(caller, &row.region_code) {
            return Err(AppError::Forbidden);
        }
        let mut errs = Vec::new();
        let details = SiteDetails {
            address: optional_name("address", "地址", &input.address, 200, &mut errs),
            contact_phone: optional_contact_phone("contact_phone", &input.contact_phone, &mut errs),
            contact_name: optional_name("contact_name", "联系人", &input.contact_name, 30, &mut errs),
            opening_hours: optional_name("opening_hours", "开放时间", &input.opening_hours, 100, &mut errs),
        };
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let before = SiteView::from(row);
        sites::update_details(&mut tx, id, &details).await?;
        let after = SiteView::from(sites::get(&mut tx, id).await?.ok_or(AppError::NotFound("阵地"))?);
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::SiteUpdate,
            entity_id: id.to_string(),
            region_code: Some(after.region_code.clone()),
            org_path: None,
            before: Some(serde_json::to_value(&before).unwrap_or_default()),
            after: Some(serde_json::to_value(&after).unwrap_or_default()),
        })
        .await?;
        tx.commit(self).await?;
        Ok(after)
    }

    /// 修改组织/队伍信息: name, contact person and phone, description, by its administrators.
    pub async fn update_org(&self, caller: &Caller, id: i64, input: &OrgDetailsInput) -> AppResult<OrgView> {
        let mut tx = self.begin().await?;
        let row = orgs::get(&mut tx, id).await?.ok_or(AppError::NotFound("队伍"))?;
        caller.require_org(&row)?;
        standing(&row)?;
        let mut errs = Vec::new();
        let details = OrgDetails {
            name: name_text("name", "名称", &input.name, 60, &mut errs),
            contact_name: optional_name("contact_name", "联系人", &input.contact_name, 30, &mut errs),
            contact_phone: optional_contact_phone("contact_phone", &input.contact_phone, &mut errs),
            description: optional_prose("description", "简介", &input.description, 2000, &mut errs),
        };
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let before = OrgView::from(row.clone());
        orgs::update_details(&mut tx, id, &details).await?;
        let after = OrgView::from(orgs::get(&mut tx, id).await?.ok_or(AppError::NotFound("队伍"))?);
        tx.audit(NewAudit {
            before: Some(serde_json::to_value(&before).unwrap_or_default()),
            after: Some(serde_json::to_value(&after).unwrap_or_default()),
            ..entry(caller, AuditAction::OrgUpdate, &row)
        })
        .await?;
        tx.commit(self).await?;
        Ok(after)
    }

    /// The organizations `id` may be moved under by this caller: standing ones the caller
    /// administers, whose area holds the organization's region, outside its own subtree, with
    /// room for its subtree below them; in tree order.
    pub async fn parent_choices(&self, caller: &Caller, id: i64) -> AppResult<Vec<ParentChoice>> {
        let mut conn = self.conn().await?;
        let org = orgs::get(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("队伍"))?;
        caller.require_org(&org)?;
        let below = deepest_below(&mut conn, &org).await?;
        // a parent's area holds the organization's region: look within its district (or the
        // caller's team subtree), where the list's page of 200 holds every candidate
        let mut filter = OrgFilter::default();
        match &caller.scope {
            crate::access::Scope::Team { path, .. } => filter.path_prefix = Some(path.clone()),
            _ => filter.region_prefix = org.region_code.get(..6).map(str::to_owned),
        }
        let page = orgs::list(&mut conn, &filter, PageRequest::new(None, Some(200))).await?;
        Ok(page
            .items
            .into_iter()
            .filter(|p| fits_under(&org, p, below).is_ok() && caller.administers(p))
            .map(|p| ParentChoice {
                depth: levels(&p.path).saturating_sub(1),
                id: p.id,
                name: p.name,
            })
            .collect())
    }

    /// 调整上级组织: hangs the organization (and its sub-teams) under another parent it may stand
    /// under, or at the top level for an office whose area holds it.
    pub async fn move_org(&self, caller: &Caller, id: i64, input: &OrgMoveInput) -> AppResult<OrgView> {
        let mut tx = self.begin().await?;
        orgs::lock(
            &mut tx,
            &[Some(id), input.parent_id]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
        )
        .await?;
        let row = orgs::get(&mut tx, id).await?.ok_or(AppError::NotFound("队伍"))?;
        caller.require_org(&row)?;
        standing(&row)?;
        if row.parent_id == input.parent_id {
            return Ok(row.into());
        }
        let parent = match input.parent_id {
            Some(pid) => {
                let p = orgs::get(&mut tx, pid)
                    .await?
                    .ok_or_else(|| AppError::invalid("parent_id", "org_parent_invalid", "上级组织不存在"))?;
                caller.require_org(&p)?;
                let below = deepest_below(&mut tx, &row).await?;
                fits_under(&row, &p, below)
                    .map_err(|m| AppError::invalid("parent_id", "org_parent_invalid", m))?;
                Some(p)
            }
            None => {
                // taken out from under its parent only by an office over the parent too
                if !caller.covers_region(&row.region_code) {
                    return Err(AppError::Forbidden);
                }
                if let Some(pid) = row.parent_id {
                    let current = orgs::get(&mut tx, pid).await?.ok_or(AppError::NotFound("队伍"))?;
                    caller.require_org(&current)?;
                }
                None
            }
        };
        let before = serde_json::json!({"parent_name": parent_name(&mut tx, row.parent_id).await?});
        orgs::move_subtree(
            &mut tx,
            id,
            &row.path,
            parent.as_ref().map(|p| (p.id, p.path.as_str())),
        )
        .await?;
        let moved = orgs::get(&mut tx, id).await?.ok_or(AppError::NotFound("队伍"))?;
        tx.audit(NewAudit {
            before: Some(before),
            after: Some(serde_json::json!({
                "parent_name": parent.as_ref().map_or("（无，顶级组织）".to_owned(), |p| p.name.clone())
            })),
            ..entry(caller, AuditAction::OrgMove, &moved)
        })
        .await?;
        // team admins' scopes are paths: theirs may have moved
        tx.after_commit(AfterCommit::ForgetCallers);
        tx.commit(self).await?;
        Ok(moved.into())
    }

    /// 解散: an organization with no standing sub-teams and no project still open is dissolved.
    /// Its members leave and its open join requests are declined, each told why; its history
    /// (memberships, projects, service records) stays; it leaves the directory and dispatch.
    pub async fn dissolve_org(
        &self,
        caller: &Caller,
        id: i64,
        input: &OrgDissolveInput,
    ) -> AppResult<OrgView> {
        let mut tx = self.begin().await?;
        orgs::lock(&mut tx, &[id]).await?;
        let row = orgs::get(&mut tx, id).await?.ok_or(AppError::NotFound("队伍"))?;
        caller.require_org(&row)?;
        standing(&row)?;
        if caller.scope_org_id() == Some(id) {
            return Err(AppError::Conflict {
                code: "org_dissolve_own",
                field: None,
                message: "不能解散您自己管理的队伍，请联系上级组织或阵地办理".into(),
            });
        }
        let reason = crate::text::note("reason", "解散原因", &input.reason, 200)?;
        if reason.chars().count() < 2 {
            return Err(AppError::invalid("reason", "reason_required", "请填写解散原因"));
        }
        let children = orgs::live_children(&mut tx, id).await?;
        let open = projects::count_of_org(&mut tx, id, &ProjectStatus::OPEN).await?;
        let orders = zhiyuan_store::orders::open_for_team(&mut tx, id).await?;
        if children > 0 || open > 0 || orders > 0 {
            let mut what = Vec::new();
            if children > 0 {
                what.push(format!("{children} 支下级队伍"));
            }
            if open > 0 {
                what.push(format!("{open} 个未结束的项目"));
            }
            if orders > 0 {
                what.push(format!("{orders} 个待答复或未完成的点单"));
            }
            return Err(AppError::Conflict {
                code: "org_not_empty",
                field: None,
                message: format!(
                    "“{}”还有{}，请先解散下级队伍、结束或取消项目",
                    row.name,
                    what.join("和")
                ),
            });
        }
        let live = memberships::of_orgs(&mut tx, &row.path, Some(id), None, 100_000).await?;
        let left = memberships::end_all(
            &mut tx,
            memberships::Whose::Organization(id),
            MembershipStatus::Approved,
            MembershipStatus::Left,
            caller.account_id,
        )
        .await?;
        let declined = memberships::end_all(
            &mut tx,
            memberships::Whose::Organization(id),
            MembershipStatus::Pending,
            MembershipStatus::Declined,
            caller.account_id,
        )
        .await?;
        if !orgs::dissolve(&mut tx, id).await? {
            return Err(AppError::Conflict {
                code: "org_dissolved",
                field: None,
                message: format!("{}已解散", row.name),
            });
        }
        for m in live.iter().filter(|m| MembershipStatus::LIVE.contains(&m.status)) {
            let text = if m.status == MembershipStatus::Pending {
                format!("您申请加入的“{}”已解散（{reason}），申请未获通过。", row.name)
            } else {
                format!(
                    "您所在的“{}”已解散（{reason}），您的服务记录和时长仍然保留。",
                    row.name
                )
            };
            tx.notify(
                Recipient::Volunteer(m.volunteer_id),
                &row.region_code,
                NoticeKind::TeamDissolved,
                text,
                None,
            );
        }
        let after = orgs::get(&mut tx, id).await?.ok_or(AppError::NotFound("队伍"))?;
        tx.audit(NewAudit {
            before: Some(serde_json::json!({"member_count": row.member_count})),
            after: Some(serde_json::json!({
                "reason": reason,
                "members_left": left,
                "requests_declined": declined,
                "dissolved_at": after.dissolved_at.map(crate::show_time),
            })),
            ..entry(caller, AuditAction::OrgDissolve, &row)
        })
        .await?;
        tx.after_commit(AfterCommit::ForgetCallers);
        tx.commit(self).await?;
        Ok(after.into())
    }
}

async fn parent_name(conn: &mut zhiyuan_store::Conn, parent_id: Option<i64>) -> AppResult<String> {
    Ok(match parent_id {
        Some(pid) => orgs::get(conn, pid).await?.map(|p| p.name).unwrap_or_default(),
        None => "（无，顶级组织）".to_owned(),
    })
}

/// How many levels the organization's subtree reaches below it (0: no sub-teams).
async fn deepest_below(conn: &mut zhiyuan_store::Conn, org: &OrgRow) -> AppResult<usize> {
    let own = levels(&org.path);
    Ok(orgs::subtree(conn, &org.path)
        .await?
        .iter()
        .map(|(_, p)| levels(p).saturating_sub(own))
        .max()
        .unwrap_or(0))
}

/// Whether `org` (whose subtree reaches `below` levels under it) may hang under `parent`: not
/// itself or below itself, a standing parent whose area holds the organization's region, and
/// no deeper than nine levels in all. The error says why, for the form.
fn fits_under(org: &OrgRow, parent: &OrgRow, below: usize) -> Result<(), String> {
    if parent.path.starts_with(&org.path) {
        return Err("不能调整到本组织或其下级队伍之下".into());
    }
    if parent.dissolved_at.is_some() {
        return Err(format!("{}已解散", parent.name));
    }
    if !org
        .region_code
        .starts_with(site_prefix(&parent.region_code).as_str())
    {
        return Err("上级组织的辖区应包含本组织所在地区".into());
    }
    if levels(&parent.path) + 1 + below > MAX_PATH_LEVELS {
        return Err(format!("调整后队伍层级过深（最多{MAX_PATH_LEVELS}级）"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: i64, path: &str, region: &str) -> OrgRow {
        OrgRow {
            id,
            name: format!("队伍{id}"),
            kind: "team".into(),
            parent_id: None,
            path: path.into(),
            site_id: None,
            site_name: None,
            region_code: region.into(),
            region_name: String::new(),
            contact_name: String::new(),
            contact_phone: String::new(),
            description: String::new(),
            created_at: 0,
            member_count: 0,
            dissolved_at: None,
        }
    }

    #[test]
    fn a_team_moves_under_an_organization_whose_area_holds_it() {
        let team = org(5, "/5/", "110105001000");
        let union = org(1, "/1/", "110105000000");
        assert_eq!(fits_under(&team, &union, 0), Ok(()));
    }

    #[test]
    fn never_under_itself_or_its_own_sub_teams() {
        let team = org(5, "/1/5/", "110105001000");
        assert!(fits_under(&team, &team, 0).is_err());
        assert!(fits_under(&team, &org(9, "/1/5/9/", "110105001000"), 0).is_err());
        // a sibling whose id starts alike is not below it
        assert_eq!(fits_under(&team, &org(50, "/1/50/", "110105001000"), 0), Ok(()));
    }

    #[test]
    fn never_under_a_parent_elsewhere_or_dissolved() {
        let team = org(5, "/5/", "110105001000");
        assert!(fits_under(&team, &org(2, "/2/", "110108000000"), 0).is_err());
        let mut gone = org(3, "/3/", "110105000000");
        gone.dissolved_at = Some(1);
        assert!(fits_under(&team, &gone, 0).is_err());
    }

    #[test]
    fn the_whole_subtree_must_fit_in_nine_levels() {
        let team = org(5, "/5/", "110105001000");
        let deep = org(7, "/1/2/3/4/5/6/7/", "110105000000");
        assert_eq!(levels(&deep.path), 7);
        assert_eq!(fits_under(&team, &deep, 0), Ok(()));
        assert!(fits_under(&team, &deep, 1).is_err());
    }
}
