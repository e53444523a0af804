//! Use cases of Zhiyuan. Each takes a [`Caller`], checks permission, applies the domain rules,
//! writes through the store in one transaction, and records the write in the audit log.

/// Declares a context's handle: a borrowed [`App`] whose methods are that context's use cases,
/// reached as `app.orders().dispatch_order(..)`. Through `Deref` a context's code still reaches
/// the kernel (`self.begin()`, `self.store`, another context's handle).
macro_rules! context_handle {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<'a>(pub(crate) &'a crate::App);

        impl std::ops::Deref for $name<'_> {
            type Target = crate::App;
            fn deref(&self) -> &crate::App {
                self.0
            }
        }
    };
}

pub mod access;
pub mod audit;
pub mod auth;
pub mod demo;
pub mod error;
pub mod events;
pub mod exports;
pub mod idempotency;
pub mod imports;
pub mod network;
pub mod notices;
pub mod orders;
pub mod people;
pub mod service;
pub mod stats;
pub(crate) mod text;
pub mod vault;
pub(crate) mod work;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::TimeZone;
use zhiyuan_store::Store;

pub use access::{may_grant, Caller, Scope};
pub use error::{AppError, AppResult, FieldError};
/// Paging, as the store answers it (the web edge names these through the app only).
pub use zhiyuan_store::{seek, Page, PageRequest};

/// The time zone everything is shown and reasoned in.
pub const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// Shows an instant (milliseconds since the epoch) as Beijing time, e.g. `2026-11-22 21:30`.
pub fn show_time(ms: i64) -> String {
    match TZ.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        _ => String::new(),
    }
}

/// Today's date in Beijing.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&TZ).date_naive()
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub data_dir: PathBuf,
    /// 128 hex characters; generated into the data directory when absent.
    pub secret_key: Option<String>,
    pub rules: Rules,
    /// Where people reach this server, e.g. `https://zhiyuan.example.org`: certificate and
    /// check-in QR links point here. Never taken from a request's `Host` header.
    pub public_url: String,
    /// Whether the session cookie is `Secure`; by default, when the public URL is https.
    pub secure_cookies: Option<bool>,
    /// SQLite `synchronous = FULL` (every commit survives a power loss) instead of `NORMAL`.
    pub sqlite_sync_full: bool,
}

/// The public URL when none is configured (the default bind address).
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

impl Settings {
    pub fn sqlite_in(data_dir: &Path) -> Settings {
        Settings {
            database_url: format!("sqlite://{}", data_dir.join("zhiyuan.db").display()),
            data_dir: data_dir.to_owned(),
            secret_key: None,
            rules: Rules::default(),
            public_url: DEFAULT_PUBLIC_URL.to_owned(),
            secure_cookies: None,
            sqlite_sync_full: false,
        }
    }
}

/// The application: the store and the secrets, cheap to clone.
#[derive(Clone, Debug)]
pub struct App {
    pub store: Store,
    vault: Arc<vault::IdVault>,
    data_dir: PathBuf,
    rules: Rules,
    public_url: String,
    secure_cookies: bool,
    callers: Arc<auth::CallerCache>,
    throttle: Arc<auth::throttle::Throttle>,
    attend_queue: Arc<service::attendance::AttendQueue>,
    /// Volunteers by position, skills and availability, for dispatch (see [`orders::matching`]).
    match_index: orders::matching::SharedIndex,
    /// The statistics roll-ups (see [`stats`]).
    stats: stats::SharedStats,
}

/// The configurable rules of the field.
#[derive(Clone, Debug)]
pub struct Rules {
    /// How served minutes become credited minutes.
    pub rounding: zhiyuan_domain::service::RoundingRule,
    /// Demo mode: one-time codes for ordering by phone are shown on the page instead of being
    /// sent by SMS (there is no SMS gateway yet; without this, phone codes are refused).
    pub show_codes: bool,
    /// Minutes after check-in during which a QR scan cannot check out
    /// ([`zhiyuan_domain::service::scan`]; `--checkout-after`, default 10).
    pub checkout_after_minutes: i64,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            rounding: Default::default(),
            show_codes: false,
            checkout_after_minutes: zhiyuan_domain::service::scan::DEFAULT_CHECKOUT_AFTER_MINUTES,
        }
    }
}

impl App {
    /// Connects, migrates, loads the reference regions and makes sure an administrator exists.
    pub async fn open(settings: &Settings) -> AppResult<App> {
        std::fs::create_dir_all(&settings.data_dir)
            .map_err(|e| AppError::Internal(format!("{}: {e}", settings.data_dir.display())))?;
        let vault = match &settings.secret_key {
            Some(k) => vault::IdVault::from_hex(k)?,
            None => vault::IdVault::load_or_create(&settings.data_dir)?,
        };
        let store = Store::connect_with(
            &settings.database_url,
            zhiyuan_store::StoreOptions {
                sqlite_sync_full: settings.sqlite_sync_full,
            },
        )
        .await?;
        store.migrate().await?;
        #[allow(clippy::disallowed_methods)] // before there is an App: reference data, not a change
        let mut tx = store.write().await?;
        let seeded = zhiyuan_store::network::regions::seed_reference(&mut tx).await?;
        tx.commit().await.map_err(zhiyuan_store::StoreError::from)?;
        if seeded > 0 {
            tracing::info!(regions = seeded, "loaded reference regions");
        }
        // the matching index loads on another task (another core) while the statistics load
        let matching = {
            let store = store.clone();
            tokio::spawn(async move { orders::matching::load_index(&store).await })
        };
        let app = App {
            store,
            vault: Arc::new(vault),
            data_dir: settings.data_dir.clone(),
            rules: settings.rules.clone(),
            public_url: settings.public_url.trim().trim_end_matches('/').to_owned(),
            secure_cookies: settings
                .secure_cookies
                .unwrap_or_else(|| settings.public_url.starts_with("https://")),
            callers: Arc::default(),
            throttle: Arc::default(),
            attend_queue: Arc::default(),
            match_index: Arc::new(std::sync::RwLock::new(zhiyuan_matching::Index::new())),
            stats: Arc::default(),
        };
        app.orders().ensure_default_menu().await?;
        stats::upkeep::load(&app).await?;
        let match_index = matching
            .await
            .map_err(|e| AppError::Internal(format!("loading the matching index: {e}")))??;
        *app.match_index.write().unwrap_or_else(|p| p.into_inner()) = match_index;
        Ok(app)
    }

    /// Logins, sessions, accounts and phone codes.
    pub fn auth(&self) -> auth::Auth<'_> {
        auth::Auth(self)
    }

    /// Regions, practice sites and organizations.
    pub fn network(&self) -> network::Network<'_> {
        network::Network(self)
    }

    /// Volunteers and their memberships.
    pub fn people(&self) -> people::People<'_> {
        people::People(self)
    }

    /// Importing offices' spreadsheets (导入).
    pub fn imports(&self) -> imports::Imports<'_> {
        imports::Imports(self)
    }

    /// Event tallies (活动统计).
    pub fn events(&self) -> events::Events<'_> {
        events::Events(self)
    }

    /// Dashboards and the roll-ups behind them.
    pub fn stats(&self) -> stats::Stats<'_> {
        stats::Stats(self)
    }

    /// Projects, shifts, sign-ups, attendance, service records and certificates.
    pub fn service(&self) -> service::Service<'_> {
        service::Service(self)
    }

    /// Residents' orders, the service menu and matching.
    pub fn orders(&self) -> orders::Orders<'_> {
        orders::Orders(self)
    }

    /// Notices to accounts and offices.
    pub fn notices(&self) -> notices::Notices<'_> {
        notices::Notices(self)
    }

    /// The audit log.
    pub fn audit(&self) -> audit::Audit<'_> {
        audit::Audit(self)
    }

    /// Saved answers of retried writes (`Idempotency-Key`).
    pub fn idempotency(&self) -> idempotency::Idempotency<'_> {
        idempotency::Idempotency(self)
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn vault(&self) -> &vault::IdVault {
        &self.vault
    }

    /// Where people reach this server, without a trailing slash (see [`Settings::public_url`]).
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Whether the session cookie is marked `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// A read connection.
    pub async fn conn(&self) -> AppResult<zhiyuan_store::PooledConn> {
        Ok(self.store.read().await?)
    }
}

/// Maps a store error, turning a unique-constraint violation into the given conflict.
pub(crate) fn on_unique(
    e: zhiyuan_store::StoreError,
    code: &'static str,
    field: Option<&'static str>,
    message: &str,
) -> AppError {
    if e.unique_violation().is_some() {
        AppError::Conflict {
            code,
            field,
            message: message.to_owned(),
        }
    } else {
        AppError::Store(e)
    }
}
