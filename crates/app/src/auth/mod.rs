//! Passwords (argon2id), login sessions and turning a session token into a [`Caller`].

pub mod manage;
pub mod phone;
pub mod throttle;

context_handle!(
    /// The auth context's use cases (`app.auth()`).
    Auth
);

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::auth::Role;
use zhiyuan_store::auth::accounts::{self, AccountRow};
use zhiyuan_store::{auth::sessions, network::orgs, network::sites, now_millis, Conn};

use crate::access::{site_prefix, Caller, Scope};
use crate::auth::throttle::Attempt;
use crate::error::{AppError, AppResult};
use crate::work::{AfterCommit, Bookkeeping};

/// How long a login lasts.
pub const SESSION_DAYS: i64 = 7;

/// How long a resolved session is remembered. Logging out and linking a volunteer take effect
/// at once in this process; a session deleted by another process is honoured within this time.
pub const CALLER_CACHE_TTL: Duration = Duration::from_secs(10);

/// At most this many sessions are remembered; past it the cache starts afresh.
const CALLER_CACHE_MAX: usize = 50_000;

/// Session-token hash → caller, each entry for [`CALLER_CACHE_TTL`].
#[derive(Debug, Default)]
pub(crate) struct CallerCache {
    map: Mutex<HashMap<String, (Caller, Instant)>>,
}

impl CallerCache {
    fn get(&self, hash: &str) -> Option<Caller> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < CALLER_CACHE_TTL)
            .map(|(c, _)| c.clone())
    }

    fn put(&self, hash: String, caller: Caller) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CALLER_CACHE_MAX {
            map.retain(|_, (_, at)| at.elapsed() < CALLER_CACHE_TTL);
            if map.len() >= CALLER_CACHE_MAX {
                map.clear();
            }
        }
        map.insert(hash, (caller, Instant::now()));
    }

    fn forget(&self, hash: &str) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).remove(hash);
    }

    fn clear(&self) {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Passwords: 8 to 64 characters with at least a letter and a digit.
pub fn check_password(password: &str) -> AppResult<()> {
    let n = password.chars().count();
    let ok = (8..=64).contains(&n)
        && password.chars().any(|c| c.is_ascii_digit())
        && password.chars().any(|c| c.is_alphabetic());
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            "password",
            "password_weak",
            "密码需为8至64位，且同时包含字母和数字",
        ))
    }
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh random session token (URL-safe, 43 chars).
pub(crate) fn new_token() -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// Resolves an account row into a caller with its scope.
pub async fn caller_of(conn: &mut Conn, a: &AccountRow) -> AppResult<Caller> {
    let role =
        Role::parse(&a.role).ok_or_else(|| AppError::Internal(format!("account {} has bad role", a.id)))?;
    let scope = match role {
        Role::CityAdmin | Role::DistrictAdmin => Scope::Region {
            prefix: a.scope_region.clone().unwrap_or_default(),
        },
        Role::SiteAdmin => {
            let id = a
                .scope_site_id
                .ok_or_else(|| AppError::Internal("site admin without site".into()))?;
            let site = sites::get(conn, id).await?.ok_or(AppError::NotFound("阵地"))?;
            Scope::Site {
                site_id: id,
                prefix: site_prefix(&site.region_code),
            }
        }
        Role::TeamAdmin => {
            let id = a
                .scope_org_id
                .ok_or_else(|| AppError::Internal("team admin without team".into()))?;
            let path = orgs::path_of(conn, id).await?.ok_or(AppError::NotFound("队伍"))?;
            Scope::Team { org_id: id, path }
        }
        Role::Volunteer | Role::Resident => Scope::Own,
    };
    if let Scope::Region { prefix } = &scope {
        if prefix.is_empty() {
            return Err(AppError::Internal(format!(
                "account {} has no region scope",
                a.id
            )));
        }
    }
    Ok(Caller {
        account_id: a.id,
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        role,
        scope,
        volunteer_id: a.volunteer_id,
    })
}

impl Auth<'_> {
    /// Checks the password and opens a session; returns the token and the caller.
    pub async fn login(&self, username: &str, password: &str) -> AppResult<(String, Caller)> {
        self.login_from(username, password, None).await
    }

    /// [`login`](Self::login) from a client address: failures are throttled per account and
    /// per address (see [`crate::auth::throttle`]). No database connection is held while hashing, and
    /// an unknown user or an account without a password costs the same check as a real one.
    pub async fn login_from(
        &self,
        username: &str,
        password: &str,
        from: Option<std::net::IpAddr>,
    ) -> AppResult<(String, Caller)> {
        let attempt = Attempt::login(username, from);
        self.throttle.admit(&attempt).await?;
        let account = {
            let mut conn = self.conn().await?;
            accounts::by_username(&mut conn, username.trim()).await?
        };
        // accounts without a password (phone logins) and unknown names check the dummy hash
        let own = account
            .as_ref()
            .map(|a| a.password_hash.clone())
            .filter(|h| PasswordHash::new(h).is_ok());
        let has_own = own.is_some();
        let hash = own.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let pw = password.to_owned();
        let verified = self.throttle.hash(move || verify_password(&pw, &hash)).await?;
        let account = match account {
            Some(a) if verified && has_own => a,
            _ => {
                self.throttle.failed(&attempt);
                return Err(AppError::LoginFailed);
            }
        };
        self.throttle.succeeded(&attempt);
        if account.disabled_at.is_some() {
            return Err(AppError::Conflict {
                code: "account_disabled",
                field: Some("username"),
                message: "该账号已停用，请联系您的上级管理员".into(),
            });
        }
        let caller = {
            let mut conn = self.conn().await?;
            caller_of(&mut conn, &account).await?
        };
        let token = new_token();
        let mut tx = self.bookkeeping(Bookkeeping::Session).await?;
        sessions::insert(
            &mut tx,
            &token_hash(&token),
            account.id,
            now_millis() + SESSION_DAYS * 86_400_000,
        )
        .await?;
        accounts::touch_login(&mut tx, account.id).await?;
        tx.commit(self).await?;
        Ok((token, caller))
    }

    /// Ends every session of the caller's account ("sign out everywhere").
    pub async fn logout_everywhere(&self, caller: &Caller) -> AppResult<u64> {
        let mut tx = self.bookkeeping(Bookkeeping::Session).await?;
        let n = sessions::delete_for_account(&mut tx, caller.account_id).await?;
        tx.after_commit(AfterCommit::ForgetCallers);
        tx.commit(self).await?;
        Ok(n)
    }

    /// Hashes a password on a blocking thread, bounded like login checks.
    pub async fn hash_password_bounded(&self, password: &str) -> AppResult<String> {
        let pw = password.to_owned();
        self.throttle.hash(move || hash_password(&pw)).await?
    }

    /// Admits a one-time-code attempt for a phone (throttled like passwords).
    pub(crate) async fn admit_code_attempt(&self, a: &Attempt) -> AppResult<()> {
        self.throttle.admit(a).await
    }

    pub(crate) fn code_attempt_failed(&self, a: &Attempt) {
        self.throttle.failed(a);
    }

    pub(crate) fn code_attempt_succeeded(&self, a: &Attempt) {
        self.throttle.succeeded(a);
    }

    pub async fn logout(&self, token: &str) -> AppResult<()> {
        let hash = token_hash(token);
        let mut tx = self.bookkeeping(Bookkeeping::Session).await?;
        sessions::delete(&mut tx, &hash).await?;
        tx.commit(self).await?;
        self.callers.forget(&hash);
        Ok(())
    }

    /// The caller an account is, by login name, for the command line (an operator on the
    /// server acts as a named account, so the audit log says who).
    pub async fn caller_by_username(&self, username: &str) -> AppResult<Caller> {
        let mut conn = self.conn().await?;
        let a = accounts::by_username(&mut conn, username.trim())
            .await?
            .ok_or(AppError::NotFound("账号"))?;
        caller_of(&mut conn, &a).await
    }

    /// The caller behind a session token, if the session is live. A live session's caller is
    /// remembered for [`CALLER_CACHE_TTL`], so a burst of requests reads the database once.
    pub async fn authenticate(&self, token: &str) -> AppResult<Option<Caller>> {
        let hash = token_hash(token);
        if let Some(c) = self.callers.get(&hash) {
            return Ok(Some(c));
        }
        let mut conn = self.conn().await?;
        let Some(account_id) = sessions::account_of(&mut conn, &hash).await? else {
            return Ok(None);
        };
        let Some(account) = accounts::get(&mut conn, account_id)
            .await?
            .filter(|a| a.disabled_at.is_none())
        else {
            return Ok(None);
        };
        let caller = caller_of(&mut conn, &account).await?;
        self.callers.put(hash, caller.clone());
        Ok(Some(caller))
    }

    /// Drops every remembered caller; called after a write that changes what a caller is.
    pub(crate) fn forget_callers(&self) {
        self.callers.clear();
    }

    /// On a database with no accounts, creates the city administrator `admin` with a random
    /// password written to `initial-admin-password.txt` in the data directory; returns it.
    pub async fn ensure_admin(&self) -> AppResult<Option<String>> {
        let mut conn = self.conn().await?;
        if accounts::count(&mut conn).await? > 0 {
            return Ok(None);
        }
        drop(conn);
        let password = format!("zy{}", &new_token()[..14]);
        self.create_account_unchecked(
            "admin",
            &password,
            "系统管理员",
            Role::CityAdmin,
            Some("11"),
            None,
            None,
            None,
        )
        .await?;
        let path = self.data_dir().join("initial-admin-password.txt");
        write_private(&path, format!("admin\n{password}\n").as_bytes())
            .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
        Ok(Some(password))
    }

    /// Creates an account with no permission check (bootstrap and demo data only).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_account_unchecked(
        &self,
        username: &str,
        password: &str,
        display_name: &str,
        role: Role,
        scope_region: Option<&str>,
        scope_site_id: Option<i64>,
        scope_org_id: Option<i64>,
        volunteer_id: Option<i64>,
    ) -> AppResult<i64> {
        let hash = hash_password(password)?;
        let mut tx = self.begin().await?;
        let id = accounts::insert(
            &mut tx,
            &accounts::NewAccount {
                username: username.to_owned(),
                password_hash: hash,
                display_name: display_name.to_owned(),
                role: role.as_str().to_owned(),
                scope_region: scope_region.map(str::to_owned),
                scope_site_id,
                scope_org_id,
                volunteer_id,
            },
        )
        .await?;
        if let Some(v) = volunteer_id {
            zhiyuan_store::people::volunteers::set_account(&mut tx, v, id).await?;
        }
        tx.audit(zhiyuan_store::audit::NewAudit {
            actor_id: None,
            actor_name: "系统".into(),
            action: AuditAction::AccountCreate,
            entity_id: id.to_string(),
            region_code: scope_region.map(|p| format!("{p:0<12}")),
            org_path: None,
            before: None,
            after: Some(serde_json::json!({"username": username, "role": role.as_str()})),
        })
        .await?;
        tx.commit(self).await?;
        Ok(id)
    }
}

/// Writes a file only its owner may read (mode 0600 on Unix), like `secret.key`.
fn write_private(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    // an older file keeps its mode on open: tighten it too
    #[cfg(unix)]
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    f.write_all(contents)
}

/// A valid argon2id hash of a random string, checked against when the username is unknown.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2xL3OQm6Ez3cTnqR6JF4xDZpQxyQW8UH2P3uZ9H5wIY";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("abc12345").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("abc12345", &h));
        assert!(!verify_password("abc12346", &h));
        assert!(!verify_password("abc12345", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_password("abc12345").is_ok());
        assert!(check_password("short1").is_err());
        assert!(check_password("allletters").is_err());
        assert!(check_password("12345678").is_err());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
