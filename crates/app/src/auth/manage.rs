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

/// Where an administrator's role applies: a region prefix (city, district), a site or a team.
#[derive(Clone, Debug, Default)]
struct ScopeInput {
    /// Region prefix for city and district admins (e.g. `110105`).
    pub scope_region: Option<String>,
    pub scope_site_id: Option<i64>,
    pub scope_org_id: Option<i64>,
}

/// 调整角色: another role (and the place it applies to) for an administrator's account.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct RoleInput {
    /// city_admin / district_admin / site_admin / team_admin
    pub role: String,
    /// Region prefix for city and district admins (e.g. `110105`).
    pub scope_region: Option<String>,
    pub scope_site_id: Option<i64>,
    pub scope_org_id: Option<i64>,
}

/// Resolves and checks the scope granted with `role`: it must lie within the caller's own.
async fn grant_scope(
    tx: &mut crate::work::Work,
    caller: &Caller,
    role: Role,
    scope: &ScopeInput,
) -> AppResult<(Option<String>, Option<i64>, Option<i64>)> {
    Ok(match role {
        Role::CityAdmin | Role::DistrictAdmin => {
            let p = scope.scope_region.clone().unwrap_or_default();
            let p = p.trim().to_owned();
            if p.is_empty() {
                return Err(AppError::invalid(
                    "scope_region",
                    "scope_invalid",
                    "请选择管辖区域",
                ));
            }
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
            let id = scope
                .scope_site_id
                .ok_or_else(|| AppError::invalid("scope_site_id", "scope_invalid", "请选择管理的阵地"))?;
            let site = sites::get(&mut *tx, id)
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
            let id = scope
                .scope_org_id
                .ok_or_else(|| AppError::invalid("scope_org_id", "scope_invalid", "请选择管理的队伍"))?;
            let org = orgs::get(&mut *tx, id)
                .await?
                .ok_or_else(|| AppError::invalid("scope_org_id", "scope_invalid", "队伍不存在"))?;
            caller.require_org(&org)?;
            if org.dissolved_at.is_some() {
                return Err(AppError::invalid(
                    "scope_org_id",
                    "org_dissolved",
                    format!("{}已解散", org.name),
                ));
            }
            (None, None, Some(id))
        }
        Role::Resident => (None, None, None),
        Role::Volunteer => {
            return Err(AppError::invalid(
                "role",
                "role_invalid",
                "角色无效（志愿者账号由志愿者本人注册）",
            ))
        }
    })
}

/// What an administrator's place is called: the region, the site or the team.
async fn place_name(
    tx: &mut crate::work::Work,
    region: Option<&str>,
    site: Option<i64>,
    org: Option<i64>,
) -> AppResult<String> {
    Ok(match (region, site, org) {
        (Some(p), _, _) => zhiyuan_store::network::regions::get(&mut *tx, &format!("{p:0<12}"))
            .await?
            .map_or_else(|| p.to_owned(), |r| r.name),
        (_, Some(s), _) => sites::get(&mut *tx, s).await?.map(|s| s.name).unwrap_or_default(),
        (_, _, Some(o)) => orgs::get(&mut *tx, o).await?.map(|o| o.name).unwrap_or_default(),
        _ => String::new(),
    })
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
        let (scope_region, scope_site_id, scope_org_id) = grant_scope(
            &mut tx,
            caller,
            role,
            &ScopeInput {
                scope_region: input.scope_region.clone(),
                scope_site_id: input.scope_site_id,
                scope_org_id: input.scope_org_id,
            },
        )
        .await?;
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

/// An administrator's account as the accounts page lists it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AdminAccountView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = String)]
    pub role: Role,
    pub role_label: String,
    /// What it administers: "朝阳区", "建外街道新时代文明实践所", "建外邻里守望志愿服务队".
    pub place: String,
    pub disabled: bool,
    /// 最近登录, Beijing time; none when it has never logged in.
    pub last_login: Option<String>,
    pub created_at: String,
    /// The reader may disable it, enable it or reset its password (not their own account:
    /// that is changed on 我的).
    pub may_manage: bool,
    /// Where its role applies, as stored: a region prefix (city, district), a site or a team.
    pub scope_region: Option<String>,
    pub scope_site_id: Option<i64>,
    pub scope_org_id: Option<i64>,
}

/// A temporary password, shown once to the administrator who reset it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PasswordReset {
    pub account: AdminAccountView,
    pub temporary_password: String,
}

/// A volunteer's new login: their phone number and a temporary password, shown once.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct VolunteerLogin {
    pub username: String,
    pub temporary_password: String,
}

/// A temporary password: 12 characters from an alphabet without look-alikes, with a digit.
fn temporary_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    loop {
        let pw: String = (0..12)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        if check_password(&pw).is_ok() {
            return pw;
        }
    }
}

impl Auth<'_> {
    /// Which administrators' accounts the caller oversees.
    fn admin_filter(caller: &Caller) -> AppResult<accounts::AdminFilter> {
        Ok(match &caller.scope {
            Scope::Region { prefix } | Scope::Site { prefix, .. } => accounts::AdminFilter {
                region_prefix: Some(prefix.clone()),
                org_path: None,
            },
            Scope::Team { path, .. } => accounts::AdminFilter {
                region_prefix: None,
                org_path: Some(path.clone()),
            },
            Scope::Own => return Err(AppError::Forbidden),
        })
    }

    async fn admin_view(
        &self,
        conn: &mut zhiyuan_store::Conn,
        caller: &Caller,
        r: accounts::AdminAccountRow,
    ) -> AppResult<AdminAccountView> {
        let a = r.account;
        let role =
            Role::parse(&a.role).ok_or_else(|| AppError::Internal(format!("account {} role", a.id)))?;
        let place = match (&a.scope_region, r.site_name, r.org_name) {
            (_, Some(site), _) => site,
            (_, _, Some(org)) => org,
            (Some(prefix), _, _) => {
                let code = format!("{prefix:0<12}");
                zhiyuan_store::network::regions::get(conn, &code)
                    .await?
                    .map_or_else(|| prefix.clone(), |r| r.name)
            }
            _ => String::new(),
        };
        Ok(AdminAccountView {
            id: a.id,
            username: a.username,
            display_name: a.display_name,
            role,
            role_label: role.label_zh().to_owned(),
            place,
            disabled: a.disabled_at.is_some(),
            last_login: a.last_login_at.map(crate::show_time),
            created_at: crate::show_time(a.created_at),
            may_manage: a.id != caller.account_id && may_grant(caller.role, role),
            scope_region: a.scope_region,
            scope_site_id: a.scope_site_id,
            scope_org_id: a.scope_org_id,
        })
    }

    /// The administrators' accounts the caller oversees (those below and beside them in their
    /// scope), by place.
    pub async fn admin_accounts(&self, caller: &Caller) -> AppResult<Vec<AdminAccountView>> {
        caller.require_admin()?;
        let filter = Self::admin_filter(caller)?;
        let mut conn = self.conn().await?;
        let rows = accounts::admins(&mut conn, &filter, 1000).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.admin_view(&mut conn, caller, r).await?);
        }
        Ok(out)
    }

    /// One administrator's account the caller oversees.
    pub async fn admin_account(&self, caller: &Caller, id: i64) -> AppResult<AdminAccountView> {
        self.admin_accounts(caller)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(AppError::NotFound("账号"))
    }

    /// An account the caller may manage, or why not.
    async fn managed(&self, caller: &Caller, id: i64) -> AppResult<AdminAccountView> {
        let a = self.admin_account(caller, id).await?;
        if !a.may_manage {
            return Err(AppError::Forbidden);
        }
        Ok(a)
    }

    fn account_audit(
        caller: &Caller,
        action: AuditAction,
        a: &AdminAccountView,
        after: serde_json::Value,
    ) -> NewAudit {
        NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action,
            entity_id: a.id.to_string(),
            region_code: caller.region_prefix().map(|p| format!("{p:0<12}")),
            org_path: match &caller.scope {
                Scope::Team { path, .. } => Some(path.clone()),
                _ => None,
            },
            before: Some(
                serde_json::json!({"username": a.username, "display_name": a.display_name, "active": !a.disabled}),
            ),
            after: Some(after),
        }
    }

    /// 停用 (`disabled`) or 启用 an account the caller manages. A disabled account's sessions
    /// end at once and it cannot log in; its history stays.
    pub async fn set_account_disabled(
        &self,
        caller: &Caller,
        id: i64,
        disabled: bool,
    ) -> AppResult<AdminAccountView> {
        let a = self.managed(caller, id).await?;
        if a.disabled == disabled {
            return Err(AppError::Conflict {
                code: "state_invalid",
                field: None,
                message: if disabled {
                    "该账号已停用"
                } else {
                    "该账号已启用"
                }
                .into(),
            });
        }
        let mut tx = self.begin().await?;
        accounts::set_disabled(&mut tx, id, disabled.then(zhiyuan_store::now_millis)).await?;
        if disabled {
            zhiyuan_store::auth::sessions::delete_for_account(&mut tx, id).await?;
        }
        let action = if disabled {
            AuditAction::AccountDisable
        } else {
            AuditAction::AccountEnable
        };
        tx.audit(Self::account_audit(
            caller,
            action,
            &a,
            serde_json::json!({"username": a.username, "display_name": a.display_name, "active": !disabled}),
        ))
        .await?;
        tx.after_commit(crate::work::AfterCommit::ForgetCallers);
        tx.commit(self).await?;
        self.admin_account(caller, id).await
    }

    /// Resets the password of an account the caller manages to a temporary one, shown once to
    /// the caller to hand over; the account's sessions end.
    pub async fn reset_password(&self, caller: &Caller, id: i64) -> AppResult<PasswordReset> {
        let a = self.managed(caller, id).await?;
        let temporary = temporary_password();
        let hash = self.hash_password_bounded(&temporary).await?;
        let mut tx = self.begin().await?;
        accounts::set_password(&mut tx, id, &hash).await?;
        zhiyuan_store::auth::sessions::delete_for_account(&mut tx, id).await?;
        tx.audit(Self::account_audit(
            caller,
            AuditAction::AccountPasswordReset,
            &a,
            serde_json::json!({"username": a.username, "display_name": a.display_name, "note": "已重置为临时密码"}),
        ))
        .await?;
        tx.after_commit(crate::work::AfterCommit::ForgetCallers);
        tx.commit(self).await?;
        Ok(PasswordReset {
            account: a,
            temporary_password: temporary,
        })
    }

    /// 调整角色: an administrator's account the caller manages gets another administrator role
    /// and place, within what the caller may grant; its sessions pick it up at once.
    pub async fn change_role(
        &self,
        caller: &Caller,
        id: i64,
        input: &RoleInput,
    ) -> AppResult<AdminAccountView> {
        let before = self.managed(caller, id).await?;
        let role = Role::parse(&input.role)
            .filter(|r| r.is_admin())
            .ok_or_else(|| AppError::invalid("role", "role_invalid", "请选择管理员角色"))?;
        if !may_grant(caller.role, role) {
            return Err(AppError::Forbidden);
        }
        let mut tx = self.begin().await?;
        let scope = ScopeInput {
            scope_region: input.scope_region.clone(),
            scope_site_id: input.scope_site_id,
            scope_org_id: input.scope_org_id,
        };
        let (region, site, org) = grant_scope(&mut tx, caller, role, &scope).await?;
        let was = accounts::get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("账号"))?;
        if (
            was.role.as_str(),
            &was.scope_region,
            was.scope_site_id,
            was.scope_org_id,
        ) == (role.as_str(), &region, site, org)
        {
            // nothing to change: nothing written, nothing logged
            return Ok(before);
        }
        accounts::set_role(&mut tx, id, role.as_str(), region.as_deref(), site, org).await?;
        let place = place_name(&mut tx, region.as_deref(), site, org).await?;
        let mut entry = Self::account_audit(
            caller,
            AuditAction::AccountRoleChange,
            &before,
            serde_json::json!({"display_name": before.display_name, "role": role.as_str(), "place": place}),
        );
        entry.before = Some(
            serde_json::json!({"display_name": before.display_name, "role": before.role.as_str(),
                                               "place": before.place}),
        );
        tx.audit(entry).await?;
        tx.after_commit(crate::work::AfterCommit::ForgetCallers);
        tx.commit(self).await?;
        self.admin_account(caller, id).await
    }

    /// Whether `password` is the caller's own (hashed on the bounded pool, like a login).
    pub(crate) async fn is_own_password(&self, caller: &Caller, password: &str) -> AppResult<bool> {
        let row = {
            let mut conn = self.conn().await?;
            accounts::get(&mut conn, caller.account_id)
                .await?
                .ok_or(AppError::NotFound("账号"))?
        };
        let hash = row.password_hash;
        if argon2::PasswordHash::new(&hash).is_err() {
            return Ok(false);
        }
        let pw = password.to_owned();
        self.throttle
            .hash(move || crate::auth::verify_password(&pw, &hash))
            .await
    }

    /// The caller changes their own password, giving the current one; their other sessions end
    /// (the one in use stays: `keep_token`).
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        keep_token: Option<&str>,
    ) -> AppResult<()> {
        let mut errs = Vec::new();
        if let Err(AppError::Invalid(mut e)) = check_password(new) {
            for f in &mut e {
                f.field = "new_password";
            }
            errs.append(&mut e);
        }
        if new == current && !new.is_empty() {
            errs.push(FieldError::new(
                "new_password",
                "password_same",
                "新密码不能与当前密码相同",
            ));
        }
        if !self.is_own_password(caller, current).await? {
            errs.insert(
                0,
                FieldError::new("current_password", "password_wrong", "当前密码不正确"),
            );
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let hash = self.hash_password_bounded(new).await?;
        let mut tx = self.begin().await?;
        accounts::set_password(&mut tx, caller.account_id, &hash).await?;
        let keep = keep_token.map(crate::auth::token_hash);
        zhiyuan_store::auth::sessions::delete_for_account_except(&mut tx, caller.account_id, keep.as_deref())
            .await?;
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::AccountPasswordChange,
            entity_id: caller.account_id.to_string(),
            region_code: caller.region_prefix().map(|p| format!("{p:0<12}")),
            org_path: match &caller.scope {
                Scope::Team { path, .. } => Some(path.clone()),
                _ => None,
            },
            before: None,
            after: Some(serde_json::json!({"username": caller.username, "note": "本人修改密码"})),
        })
        .await?;
        tx.after_commit(crate::work::AfterCommit::ForgetCallers);
        tx.commit(self).await?;
        Ok(())
    }

    /// 开通平台账号: a volunteer registered by an administrator gets a login — their phone
    /// number, with a temporary password shown once to the administrator to hand over.
    pub async fn open_volunteer_account(
        &self,
        caller: &Caller,
        volunteer_id: i64,
    ) -> AppResult<VolunteerLogin> {
        caller.require_admin()?;
        if !self.people().may_edit(caller, volunteer_id).await? {
            return Err(AppError::Forbidden);
        }
        let v = {
            let mut conn = self.conn().await?;
            zhiyuan_store::people::volunteers::get(&mut conn, volunteer_id)
                .await?
                .ok_or(AppError::NotFound("志愿者"))?
        };
        if v.closed_at.is_some() {
            return Err(crate::people::closed(&v));
        }
        if v.account_id.is_some() {
            return Err(AppError::Conflict {
                code: "account_exists",
                field: None,
                message: "该志愿者已开通平台账号".into(),
            });
        }
        let taken = || AppError::Conflict {
            code: "phone_taken",
            field: None,
            message: "该志愿者的手机号码已是其他账号的登录名，请先修改其手机号码".into(),
        };
        let temporary = temporary_password();
        let hash = self.hash_password_bounded(&temporary).await?;
        let mut tx = self.begin().await?;
        if accounts::by_username(&mut tx, &v.phone).await?.is_some() {
            return Err(taken());
        }
        let id = accounts::insert(
            &mut tx,
            &accounts::NewAccount {
                username: v.phone.clone(),
                password_hash: hash,
                display_name: v.name.clone(),
                role: Role::Volunteer.as_str().to_owned(),
                scope_region: None,
                scope_site_id: None,
                scope_org_id: None,
                volunteer_id: Some(volunteer_id),
            },
        )
        .await
        .map_err(|e| match on_unique(e, "phone_taken", None, "") {
            AppError::Conflict { .. } => taken(),
            other => other,
        })?;
        zhiyuan_store::people::volunteers::set_account(&mut tx, volunteer_id, id).await?;
        let masked = zhiyuan_domain::phone::Phone::parse(&v.phone)
            .map(|p| p.masked())
            .unwrap_or_default();
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::AccountOpenVolunteer,
            entity_id: id.to_string(),
            region_code: Some(v.region_code.clone()),
            org_path: match &caller.scope {
                Scope::Team { path, .. } => Some(path.clone()),
                _ => None,
            },
            before: None,
            after: Some(serde_json::json!({"username": masked, "display_name": v.name,
                "role": Role::Volunteer.as_str()})),
        })
        .await?;
        tx.commit(self).await?;
        Ok(VolunteerLogin {
            username: v.phone,
            temporary_password: temporary,
        })
    }
}
