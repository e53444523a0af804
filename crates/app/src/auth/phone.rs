//! Ordering by phone: one-time codes and the residents' phone accounts.

use super::Auth;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::auth::Role;
use zhiyuan_domain::orders::{self as rules, is_code_format};
use zhiyuan_domain::phone::Phone;
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::auth::{accounts, phone_codes, sessions};
use zhiyuan_store::now_millis;

use crate::error::{AppError, AppResult};
use crate::orders::PhoneCodeIssued;
use crate::work::Bookkeeping;
use crate::{show_time, Caller};

fn conflict(code: &'static str, message: &str) -> AppError {
    AppError::Conflict {
        code,
        field: None,
        message: message.to_owned(),
    }
}

impl Auth<'_> {
    fn code_hash(&self, phone: &str, code: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.vault().derived_key("order-phone-code"))
            .expect("any key length");
        mac.update(phone.as_bytes());
        mac.update(b"|");
        mac.update(code.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Issues a 6-digit one-time code for a phone. Only its keyed hash is stored, with an
    /// expiry and an attempt limit. There is no SMS gateway yet: in demo mode the code is
    /// returned to be shown on the page; otherwise the request is refused.
    pub async fn request_phone_code(&self, phone: &str) -> AppResult<PhoneCodeIssued> {
        let phone = Phone::parse(phone)?;
        if !self.rules().show_codes {
            return Err(conflict(
                "sms_unavailable",
                "短信服务尚未开通，请使用账号密码登录",
            ));
        }
        let now = now_millis();
        let mut tx = self.begin().await?;
        if let Some(last) = phone_codes::latest_code(&mut tx, phone.as_str()).await? {
            if last.used_at.is_none() && now - last.created_at < 60_000 {
                return Err(conflict(
                    "one_time_code_too_soon",
                    "验证码已发送，请60秒后再重新获取",
                ));
            }
        }
        let code = rules::new_code(&mut rand::rngs::OsRng);
        let expires = now + rules::CODE_TTL.num_milliseconds();
        phone_codes::insert_code(
            &mut tx,
            phone.as_str(),
            &self.code_hash(phone.as_str(), &code),
            expires,
        )
        .await?;
        tx.audit(NewAudit {
            actor_id: None,
            actor_name: phone.masked(),
            action: AuditAction::PhoneCodeIssue,
            entity_id: phone.masked(),
            region_code: None,
            org_path: None,
            before: None,
            after: Some(serde_json::json!({"expires_at": expires})),
        })
        .await?;
        tx.commit(self).await?;
        Ok(PhoneCodeIssued {
            phone_masked: phone.masked(),
            expires_at: show_time(expires),
            demo_code: Some(code),
        })
    }

    /// Logs a resident in with a phone number and its one-time code, creating their resident
    /// account (`phone:<number>`, no password) on first use.
    pub async fn phone_login(&self, phone: &str, code: &str) -> AppResult<(String, Caller)> {
        self.phone_login_from(phone, code, None).await
    }

    /// [`phone_login`](Self::phone_login) from a client address: wrong codes are throttled per
    /// phone and per address, like passwords.
    pub async fn phone_login_from(
        &self,
        phone: &str,
        code: &str,
        from: Option<std::net::IpAddr>,
    ) -> AppResult<(String, Caller)> {
        let attempt = crate::auth::throttle::Attempt::phone(phone.trim(), from);
        self.admit_code_attempt(&attempt).await?;
        let result = self.check_phone_code(phone, code).await;
        match &result {
            Ok(_) => self.code_attempt_succeeded(&attempt),
            Err(AppError::Invalid(_)) => self.code_attempt_failed(&attempt),
            Err(_) => {}
        }
        result
    }

    async fn check_phone_code(&self, phone: &str, code: &str) -> AppResult<(String, Caller)> {
        let phone = Phone::parse(phone)?;
        let invalid = || AppError::invalid("code", "one_time_code_invalid", "验证码错误或已过期，请重新获取");
        let code = code.trim();
        if !is_code_format(code) {
            return Err(invalid());
        }
        let now = now_millis();
        let mut tx = self.begin().await?;
        let Some(row) = phone_codes::latest_code(&mut tx, phone.as_str()).await? else {
            return Err(invalid());
        };
        if row.used_at.is_some() || row.expires_at <= now {
            return Err(invalid());
        }
        if row.attempts >= rules::CODE_MAX_ATTEMPTS {
            return Err(conflict(
                "one_time_code_locked",
                "验证码错误次数过多，请重新获取验证码",
            ));
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.vault().derived_key("order-phone-code"))
            .expect("any key length");
        mac.update(phone.as_str().as_bytes());
        mac.update(b"|");
        mac.update(code.as_bytes());
        let good = hex::decode(&row.code_hash).is_ok_and(|h| mac.verify_slice(&h).is_ok());
        if !good {
            phone_codes::count_attempt(&mut tx, row.id, rules::CODE_MAX_ATTEMPTS).await?;
            tx.excuse(Bookkeeping::CodeAttempt);
            tx.commit(self).await?;
            return Err(invalid());
        }
        if !phone_codes::use_code(&mut tx, row.id, rules::CODE_MAX_ATTEMPTS).await? {
            return Err(invalid());
        }
        let username = format!("phone:{}", phone.as_str());
        let account = match accounts::by_username(&mut tx, &username).await? {
            Some(a) => a,
            None => {
                let id = accounts::insert(
                    &mut tx,
                    &accounts::NewAccount {
                        username: username.clone(),
                        // no password: this account logs in only with one-time codes
                        password_hash: "!".into(),
                        display_name: format!("居民{}", phone.masked()),
                        role: Role::Resident.as_str().to_owned(),
                        scope_region: None,
                        scope_site_id: None,
                        scope_org_id: None,
                        volunteer_id: None,
                    },
                )
                .await?;
                tx.audit(NewAudit {
                        actor_id: None,
                        actor_name: phone.masked(),
                        action: AuditAction::AccountCreate,
                        entity_id: id.to_string(),
                        region_code: None,
                        org_path: None,
                        before: None,
                        after: Some(serde_json::json!({"username": format!("phone:{}", phone.masked()), "role": "resident"})),
                    },
                )
                .await?;
                accounts::get(&mut tx, id)
                    .await?
                    .ok_or(AppError::NotFound("账号"))?
            }
        };
        let caller = crate::auth::caller_of(&mut tx, &account).await?;
        let token = crate::auth::new_token();
        sessions::insert(
            &mut tx,
            &crate::auth::token_hash(&token),
            account.id,
            now + crate::auth::SESSION_DAYS * 86_400_000,
        )
        .await?;
        // using the code and opening the session are bookkeeping; a new account was audited
        tx.excuse(Bookkeeping::Session);
        tx.commit(self).await?;
        Ok((token, caller))
    }
}
