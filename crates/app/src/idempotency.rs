//! `Idempotency-Key`: a write a client may retry is applied once; a replay with the same key and
//! the same request gets the first response back, the same key with another request is refused.
//!
//! Keys belong to a caller (an account, or for anonymous writes the client address) and last
//! [`KEY_TTL_MS`]. Only successful responses are kept: a request that failed wrote nothing,
//! so its key is released and a retry runs it again.

context_handle!(
    /// The idempotency context's use cases (`app.idempotency()`).
    Idempotency
);

use zhiyuan_store::{idempotency, now_millis};

use crate::error::{AppError, AppResult};
use crate::work::Bookkeeping;

/// How long a key and its response are kept: 24 hours.
pub const KEY_TTL_MS: i64 = 24 * 3600 * 1000;

/// A client's key: 1 to 200 visible ASCII characters (a UUID is typical).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> AppResult<IdempotencyKey> {
        let ok = (1..=200).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(IdempotencyKey(raw.to_owned()))
        } else {
            Err(AppError::invalid(
                "Idempotency-Key",
                "idempotency_key_invalid",
                "Idempotency-Key 须为1至200个可见ASCII字符",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A response as saved for replays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// A fresh key for a page form that writes (its hidden `form_key` field): 256 random bits.
pub fn new_form_key() -> String {
    crate::auth::new_token()
}

/// What claiming a key found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: run the request, then [`App::save_response`] or [`App::release_key`].
    Fresh,
    /// The same request was answered before: send this again.
    Replay(SavedResponse),
    /// The key was used for a different request.
    Mismatch,
    /// The first request with this key has not finished (or its outcome is unknown).
    InFlight,
}

impl Idempotency<'_> {
    /// Claims `key` for `actor`'s request whose method, path and body hash to `fingerprint`.
    pub async fn claim_key(&self, actor: &str, key: &IdempotencyKey, fingerprint: &str) -> AppResult<Claim> {
        let now = now_millis();
        let mut tx = self.bookkeeping(Bookkeeping::IdempotencyKey).await?;
        let mut found = idempotency::get(&mut tx, actor, key.as_str()).await?;
        if found.as_ref().is_some_and(|r| r.created_at < now - KEY_TTL_MS) {
            idempotency::release(&mut tx, actor, key.as_str()).await?;
            found = None;
        }
        let claim = match found {
            Some(r) if r.fingerprint != fingerprint => Claim::Mismatch,
            Some(r) => match r.status {
                Some(status) => Claim::Replay(SavedResponse {
                    status: u16::try_from(status).unwrap_or(200),
                    content_type: r.content_type,
                    body: r.body.unwrap_or_default(),
                }),
                None => Claim::InFlight,
            },
            None => {
                if idempotency::claim(&mut tx, actor, key.as_str(), fingerprint, now).await? {
                    Claim::Fresh
                } else {
                    // claimed by a concurrent request that has not committed its answer
                    Claim::InFlight
                }
            }
        };
        tx.commit(self).await?;
        Ok(claim)
    }

    /// Saves the response of a request whose key was [`Claim::Fresh`].
    pub async fn save_response(&self, actor: &str, key: &IdempotencyKey, r: &SavedResponse) -> AppResult<()> {
        let mut tx = self.bookkeeping(Bookkeeping::IdempotencyKey).await?;
        idempotency::complete(
            &mut tx,
            actor,
            key.as_str(),
            i64::from(r.status),
            r.content_type.as_deref(),
            &r.body,
        )
        .await?;
        tx.commit(self).await
    }

    /// Releases a fresh key whose request failed, so that a retry runs it again.
    pub async fn release_key(&self, actor: &str, key: &IdempotencyKey) -> AppResult<()> {
        let mut tx = self.bookkeeping(Bookkeeping::IdempotencyKey).await?;
        idempotency::release(&mut tx, actor, key.as_str()).await?;
        tx.commit(self).await
    }

    /// Deletes keys older than [`KEY_TTL_MS`]; `zhiyuan serve` calls it every minute.
    pub async fn purge_expired_keys(&self) -> AppResult<u64> {
        let mut tx = self.bookkeeping(Bookkeeping::IdempotencyKey).await?;
        let n = idempotency::purge_before(&mut tx, now_millis() - KEY_TTL_MS).await?;
        tx.commit(self).await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(IdempotencyKey::parse("3f2c9a1e-6b7d-4c1e-9f00-1a2b3c4d5e6f").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("with space").is_err());
        assert!(IdempotencyKey::parse("键").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(201)).is_err());
    }
}
