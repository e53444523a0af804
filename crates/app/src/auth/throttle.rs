//! Throttling of password and one-time-code guesses, and a bound on concurrent password hashing.
//!
//! Failures are counted per account name and per client address within [`WINDOW`]. After
//! [`DELAY_AFTER`] failures each further attempt waits a little longer before it is answered;
//! after the limit the key is locked for [`LOCK_FOR`], and attempts are refused without any
//! password being checked (so the right password does not help an attacker either). A success
//! clears the account's count. Argon2 hashing runs on blocking threads, at most
//! [`HASHING_PERMITS`] at a time, so a flood of logins neither starves other requests nor
//! grows memory without bound (each hash takes ~19 MiB).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{AppError, AppResult};

/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a key stays locked once over its limit.
pub const LOCK_FOR: Duration = Duration::from_secs(15 * 60);
/// Failures of one account name before it is locked.
pub const ACCOUNT_LIMIT: u32 = 5;
/// Wrong one-time codes for one phone before it is locked: above the 5 tries each code allows
/// on its own, so that the code's own lock speaks first and a new code can be asked for once.
pub const PHONE_LIMIT: u32 = 10;
/// Failures from one client address before it is locked (a family or an office may share one).
pub const ADDRESS_LIMIT: u32 = 30;
/// Self-registrations refused as already registered (a resident ID or a phone that has an
/// account) from one client address before it is locked: the refusal tells whether someone is
/// registered, so it must not be asked about many people.
pub const REGISTRATION_LIMIT: u32 = 10;
/// Failures after which answers are delayed: one second more for each further failure, at most
/// [`MAX_DELAY`].
pub const DELAY_AFTER: u32 = 3;
pub const MAX_DELAY: Duration = Duration::from_secs(3);
/// Concurrent password hashes.
pub const HASHING_PERMITS: usize = 4;
/// Remembered keys at most; past it, expired entries go, then the oldest half.
const MAX_KEYS: usize = 100_000;

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

/// What is being guessed, and from where.
#[derive(Clone, Debug)]
pub struct Attempt {
    keys: Vec<(String, u32)>,
}

impl Attempt {
    /// A password login: the account name, and the client address when known.
    pub fn login(username: &str, from: Option<IpAddr>) -> Attempt {
        let mut keys = vec![(format!("user:{}", username.trim().to_lowercase()), ACCOUNT_LIMIT)];
        if let Some(ip) = from {
            keys.push((format!("ip:{ip}"), ADDRESS_LIMIT));
        }
        Attempt { keys }
    }

    /// A self-registration from a client address (nothing is counted without one).
    pub fn registration(from: Option<IpAddr>) -> Attempt {
        Attempt {
            keys: from
                .map(|ip| (format!("register:{ip}"), REGISTRATION_LIMIT))
                .into_iter()
                .collect(),
        }
    }

    /// A one-time-code login for a phone number.
    pub fn phone(phone: &str, from: Option<IpAddr>) -> Attempt {
        let mut keys = vec![(format!("phone:{phone}"), PHONE_LIMIT)];
        if let Some(ip) = from {
            keys.push((format!("ip:{ip}"), ADDRESS_LIMIT));
        }
        Attempt { keys }
    }
}

#[derive(Debug)]
pub(crate) struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
    hashing: tokio::sync::Semaphore,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle {
            failures: Mutex::default(),
            hashing: tokio::sync::Semaphore::new(HASHING_PERMITS),
        }
    }
}

fn locked_message(wait: Duration) -> AppError {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    AppError::Throttled(format!("尝试次数过多，已暂时锁定，请{minutes}分钟后再试"))
}

impl Throttle {
    /// Refuses a locked attempt; otherwise waits as long as earlier failures ask for.
    pub(crate) async fn admit(&self, a: &Attempt) -> AppResult<()> {
        let now = Instant::now();
        let delay = {
            let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            let mut worst = 0;
            for (key, _) in &a.keys {
                if let Some(f) = map.get(key) {
                    if let Some(until) = f.locked_until.filter(|u| *u > now) {
                        return Err(locked_message(until - now));
                    }
                    if now.duration_since(f.first) < WINDOW {
                        worst = worst.max(f.count);
                    }
                }
            }
            delay_for(worst)
        };
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok(())
    }

    /// Counts a failed attempt against each of its keys; locks those over their limit.
    pub(crate) fn failed(&self, a: &Attempt) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, f| {
                now.duration_since(f.first) < WINDOW || f.locked_until.is_some_and(|u| u > now)
            });
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        for (key, limit) in &a.keys {
            let f = map.entry(key.clone()).or_insert(Failures {
                count: 0,
                first: now,
                locked_until: None,
            });
            let expired_lock = f.locked_until.is_some_and(|u| u <= now);
            if now.duration_since(f.first) >= WINDOW || expired_lock {
                *f = Failures {
                    count: 0,
                    first: now,
                    locked_until: None,
                };
            }
            f.count += 1;
            if f.count >= *limit {
                f.locked_until = Some(now + LOCK_FOR);
            }
        }
    }

    /// Clears the account's failures after a success (the address keeps its count).
    pub(crate) fn succeeded(&self, a: &Attempt) {
        if let Some((key, _)) = a.keys.first() {
            self.failures
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(key);
        }
    }

    /// Runs a password hash or check on a blocking thread, a bounded number at a time.
    pub(crate) async fn hash<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
    }
}

fn delay_for(failures: u32) -> Duration {
    if failures < DELAY_AFTER {
        Duration::ZERO
    } else {
        Duration::from_secs(u64::from(failures - DELAY_AFTER + 1)).min(MAX_DELAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_then_stop_growing() {
        assert_eq!(delay_for(0), Duration::ZERO);
        assert_eq!(delay_for(DELAY_AFTER - 1), Duration::ZERO);
        assert_eq!(delay_for(DELAY_AFTER), Duration::from_secs(1));
        assert_eq!(delay_for(100), MAX_DELAY);
    }

    #[tokio::test]
    async fn an_account_locks_after_its_limit_and_a_success_clears_it() {
        let t = Throttle::default();
        let a = Attempt::login("Admin", None);
        for _ in 0..ACCOUNT_LIMIT - 1 {
            t.failed(&a);
        }
        t.succeeded(&a);
        t.admit(&a).await.unwrap();
        for _ in 0..ACCOUNT_LIMIT {
            t.failed(&a);
        }
        let e = t.admit(&Attempt::login("admin ", None)).await.unwrap_err();
        assert_eq!(e.code(), "too_many_attempts");
        assert!(e.to_string().contains("15分钟"), "{e}");
        // another account is not affected
        t.admit(&Attempt::login("other", None)).await.unwrap();
    }

    #[tokio::test]
    async fn an_address_locks_across_accounts() {
        let t = Throttle::default();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        for i in 0..ADDRESS_LIMIT {
            t.failed(&Attempt::login(&format!("user{i}"), Some(ip)));
        }
        assert!(t.admit(&Attempt::login("fresh", Some(ip))).await.is_err());
        assert!(t.admit(&Attempt::login("fresh", None)).await.is_ok());
    }
}
