//! Administrators hand out accounts within their own scope, never above their own role.

use super::Auth;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::auth::Role;
use zhiyuan_domain::network::is_valid_prefix;
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::{auth::accounts, network::orgs, network::sites};

use crate::access::{may_grant, site_prefix, Caller, Scope};
use crate::auth::{caller_of, check_password, hash_password};
use crate::error::{AppError, AppResult, FieldError};
use crate::on_unique;

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct AccountInput {
    pub username: String,
    #[schema(min_length = 8, max_length = 64)]
    pub password: String,
    pub display_name: String,
    /// city_admin / district_admin / site_admin / team_admin / resident
    pub role: String,
    /// Region prefix for city and district admins (e.g. `110105`).
    pub scope_region: Option<String>,
    pub scope_site_id: Option<i64>,
    pub scope_org_id: Option<i64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    pub scope: Scope,
}

impl Auth<'_> {
    pub async fn create_account(&self, caller: &Caller, input: &AccountInput) -> AppResult<AccountView> {
        caller.require_admin()?;
        let mut errs = Vec::new();
        let username = input.username.trim().to_owned();
        if !(3..=32).contains(&username.chars().count())
            || !username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        {
            errs.push(FieldError::new(
                "username",
                "username_invalid",
                "用户名为3至32位字母、数字、下划线或连字符",
            ));
        }
        let display_name = crate::network::text("display_name", "姓名", &input.display_name, 30, &mut errs);
        if let Err(AppError::Invalid(mut e)) = check_password(&input.password) {
            errs.append(&mut e);
        }
        let role = Role::parse(&input.role);
        if role.is_none() || role == Some(Role::Volunteer) {
            errs.push(FieldError::new(
                "role",
                "role_invalid",
                "角色无效（志愿者账号由志愿者本人注册）",
            ));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let role = role.expect("checked");
        if !may_grant(caller.role, role) {
            return Err(AppError::Forbidden);
        }
        let mut tx = self.begin().await?;
        // Resolve and check the scope being granted: it must lie within the caller's own.
        let (scope_region, scope_site_id, scope_org_id) = match role {
            Role::CityAdmin | Role::DistrictAdmin => {
                let p = input.scope_region.clone().unwrap_or_default();
                let p = p.trim().to_owned();
                let want = if role == Role::CityAdmin { 2 } else { 6 };
                if !is_valid_prefix(&p) || p.len() != want {
                    return Err(AppError::invalid(
                        "scope_region",
                        "scope_invalid",
                        "管辖区划前缀无效（市级2位，区级6位）",
                    ));
                }
                if !caller.covers_region(&p) {
                    return Err(AppError::Forbidden);
                }
                (Some(p), None, None)
            }
            Role::SiteAdmin => {
                let id = input
                    .scope_site_id
                    .ok_or_else(|| AppError::invalid("scope_site_id", "scope_invalid", "请选择管理的阵地"))?;
                let site = sites::get(&mut tx, id)
                    .await?
                    .ok_or_else(|| AppError::invalid("scope_site_id", "scope_invalid", "阵地不存在"))?;
                let ok = match &caller.scope {
                    Scope::Region { .. } => caller.covers_region(&site.region_code),
                    Scope::Site { prefix, .. } => site_prefix(&site.region_code).starts_with(prefix.as_str()),
                    _ => false,
                };
                if !ok {
                    return Err(AppError::Forbidden);
                }
                (None, Some(id), None)
            }
            Role::TeamAdmin => {
                let id = input
                    .scope_org_id
                    .ok_or_else(|| AppError::invalid("scope_org_id", "scope_invalid", "请选择管理的队伍"))?;
                let org = orgs::get(&mut tx, id)
                    .await?
                    .ok_or_else(|| AppError::invalid("scope_org_id", "scope_invalid", "队伍不存在"))?;
                caller.require_org(&org)?;
                (None, None, Some(id))
            }
            Role::Resident => (None, None, None),
            Role::Volunteer => unreachable!("refused above"),
        };
        let password = input.password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let new = accounts::NewAccount {
            username: username.clone(),
            password_hash: hash,
            display_name,
            role: role.as_str().to_owned(),
            scope_region: scope_region.clone(),
            scope_site_id,
            scope_org_id,
            volunteer_id: None,
        };
        let id = accounts::insert(&mut tx, &new)
            .await
            .map_err(|e| on_unique(e, "username_taken", Some("username"), "该用户名已被使用"))?;
        let row = accounts::get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("账号"))?;
        let granted = caller_of(&mut tx, &row).await?;
        let (region_code, org_path) = match &granted.scope {
            Scope::Region { prefix } | Scope::Site { prefix, .. } => (Some(format!("{prefix:0<12}")), None),
            Scope::Team { path, .. } => {
                let org = orgs::get(&mut tx, scope_org_id.unwrap_or_default()).await?;
                (org.map(|o| o.region_code), Some(path.clone()))
            }
            Scope::Own => (caller.region_prefix().map(|p| format!("{p:0<12}")), None),
        };
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::AccountCreate,
            entity_id: id.to_string(),
            region_code,
            org_path,
            before: None,
            after: Some(
                serde_json::json!({"username": username, "role": role.as_str(), "scope": granted.scope}),
            ),
        })
        .await?;
        tx.commit(self).await?;
        Ok(AccountView {
            id,
            username,
            display_name: row.display_name,
            role: role.as_str().to_owned(),
            role_label: role.label_zh().to_owned(),
            scope: granted.scope,
        })
    }
}
