//! `spawn_app`: the real HTTP app on a fresh database (SQLite file or a new PostgreSQL
//! database that is dropped afterwards), listening on a random local port.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;
use zhiyuan_app::{App, Settings};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub app: App,
    pub http: reqwest::Client,
    pub db: Db,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
    server: tokio::task::JoinHandle<()>,
}

fn pg_admin_url() -> String {
    std::env::var("ZHIYUAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Starts the app; `None` (test skipped, with a note) when PostgreSQL is wanted but not
/// reachable and `ZHIYUAN_REQUIRE_PG` is not set.
pub async fn spawn_app(db: Db) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings::sqlite_in(dir.path());
    // no SMS gateway in tests: one-time codes come back in the response, as in the demo
    settings.rules.show_codes = true;
    let mut pg = None;
    if db == Db::Postgres {
        let admin = pg_admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => {
                if std::env::var("ZHIYUAN_REQUIRE_PG").is_ok() {
                    panic!("PostgreSQL required but unreachable at {admin}: {e}");
                }
                super::skip::skip_loudly(
                    "PostgreSQL",
                    &format!("no server at {admin}: {e}"),
                    "start PostgreSQL on 127.0.0.1:5432 (or set ZHIYUAN_TEST_PG_URL), or run `cargo xtask test`, which starts it and requires these tests",
                );
                return None;
            }
        };
        let name = format!("zy_test_{}_{}", std::process::id(), rand_suffix());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create database");
        let (base, _) = admin.rsplit_once('/').expect("database url has a path");
        settings.database_url = format!("{base}/{name}");
        pg = Some((admin, name));
    }
    let app = App::open(&settings).await.expect("open app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let router = zhiyuan_web::router(app.clone());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    Some(TestApp {
        base: format!("http://{addr}"),
        app,
        http,
        db,
        _dir: dir,
        pg,
        server,
    })
}

fn rand_suffix() -> u32 {
    static N: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    t ^ N.fetch_add(1, Ordering::SeqCst).wrapping_mul(2_654_435_761)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        if let Some((admin, name)) = self.pg.take() {
            let store = self.app.store.clone();
            // Drop the database from a thread of its own: Drop cannot await.
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    store.close().await;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut c)
                            .await;
                    }
                });
            })
            .join()
            .ok();
        }
    }
}

/// A response: status and JSON body (Null when empty or not JSON).
pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn send(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        self.send_with(method, path, token, &[], body).await
    }

    /// [`send`](Self::send) with extra request headers.
    pub async fn send_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        // a client without the cookie jar, so only the bearer token counts
        let mut req = reqwest::Client::new().request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        Resp {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            headers,
        }
    }

    /// A POST with an `Idempotency-Key`.
    pub async fn post_keyed(&self, path: &str, token: Option<&str>, key: &str, body: Value) -> Resp {
        self.send_with("POST", path, token, &[("Idempotency-Key", key)], Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Resp {
        self.send("POST", path, token, Some(body)).await
    }

    /// Logs in through the API and returns the bearer token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                serde_json::json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {}", r.body);
        r.body["token"].as_str().unwrap().to_owned()
    }
}

/// A valid resident ID, different for every call in this process.
pub fn new_resident_id(region6: &str) -> String {
    static SEQ: AtomicU32 = AtomicU32::new(1);
    let n = SEQ.fetch_add(1, Ordering::SeqCst);
    let birth =
        chrono::NaiveDate::from_ymd_opt(1960 + (n % 40) as i32, 1 + (n / 40 % 12), 1 + (n / 480 % 28))
            .unwrap();
    zhiyuan_domain::people::resident_id::ResidentId::compose(region6, birth, (n % 997) as u16)
        .unwrap()
        .as_str()
        .to_owned()
}

/// Runs one async test body against SQLite and PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(t) = spawn_app(Db::Sqlite).await {
                    super::$name(t).await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(t) = spawn_app(Db::Postgres).await {
                    super::$name(t).await;
                }
            }
        }
    )*};
}

/// A browser-like client: a cookie jar, no automatic redirects, and the `Origin` a browser
/// sends with every form post.
pub fn browser_client(t: &TestApp) -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("origin", t.base.parse().unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(h)
        .build()
        .unwrap()
}

/// A browser-like client logged in through the login form.
pub async fn page_session(t: &TestApp, user: &str) -> reqwest::Client {
    let c = browser_client(t);
    let r = c
        .post(t.url("/login"))
        .form(&[("username", user), ("password", super::world::PW), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login {user}");
    c
}

/// A page's HTML as a browser session gets it (any status).
#[allow(dead_code)]
pub async fn page_html(c: &reqwest::Client, t: &TestApp, path: &str) -> String {
    c.get(t.url(path)).send().await.unwrap().text().await.unwrap()
}

/// Moves an order's time window so that it began an hour ago: an order is completed only once
/// its time has come, and the tests place orders hours ahead.
#[allow(dead_code)]
pub async fn begun(app: &App, order_id: i64) {
    let start = chrono::Utc::now().timestamp_millis() - 3_600_000;
    let mut tx = app.store.write().await.unwrap();
    sqlx::query("UPDATE orders SET window_start = $1, window_end = $2 WHERE id = $3")
        .bind(start)
        .bind(start + 2 * 3_600_000)
        .bind(order_id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}
