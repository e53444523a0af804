//! Headless Chromium for browser integration tests, driven over WebDriver by
//! fantoccini through a chromedriver started per browser.
//!
//! Include it from a test file with
//!
//! ```ignore
//! #[path = "support/browser.rs"]
//! mod browser;
//! ```
//!
//! Binaries come from `$CHROMEDRIVER` and `$CHROMIUM` (default
//! `/usr/bin/chromedriver`, `/usr/bin/chromium`). When they are missing,
//! [`Browser::start`] returns `Ok(None)` so the test can skip itself, unless
//! `ZHIYUAN_REQUIRE_BROWSER` is set (as `cargo xtask test` does), in which
//! case it is an error. Every browser gets its own chromedriver port and its
//! own fresh profile directory, so tests may run browsers concurrently.
//!
//! The second half holds what the browser tests share beyond the browser: the
//! in-process app they drive ([`start_server`]) and small page helpers
//! ([`css`], [`wait_for`], [`wait_for_path`], [`fill`], [`set_value`],
//! [`click`], [`log_in`], [`main_text`], [`local_in`]).
//!
//! Every test binary includes this module on its own and uses only part of it.

#![allow(dead_code)]

#[path = "skip.rs"]
mod skip;

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use chrono::Utc;
use fantoccini::{Client, Locator};
use serde_json::json;
use zhiyuan_app::demo::{DemoSize, DEMO_PASSWORD};
use zhiyuan_app::{App, Settings};

const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
/// How long chromedriver may take to answer `/status` with `ready: true`.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// Attempts at starting chromedriver (another process may take the free port
/// between our probe and chromedriver's bind).
const START_ATTEMPTS: usize = 3;

pub struct Browser {
    /// The WebDriver session; use it to drive the page.
    pub client: fantoccini::Client,
    /// chromedriver, leader of its own process group (Chromium runs inside it).
    chromedriver: Option<Child>,
    /// Holds the Chromium profile (`profile/`) and `chromedriver.log`;
    /// removed when the browser is dropped.
    dir: tempfile::TempDir,
    /// The port chromedriver listens on (127.0.0.1).
    port: u16,
}

impl Browser {
    /// Starts chromedriver on a free 127.0.0.1 port and a headless Chromium session.
    /// Returns `Ok(None)` (after printing "skipping browser test: …" to stderr) when
    /// chromium/chromedriver are not installed and `ZHIYUAN_REQUIRE_BROWSER` is not set;
    /// errs when it is set.
    pub async fn start() -> Result<Option<Browser>> {
        let chromedriver = binary("CHROMEDRIVER", DEFAULT_CHROMEDRIVER);
        let chromium = binary("CHROMIUM", DEFAULT_CHROMIUM);
        let missing: Vec<String> = [&chromedriver, &chromium]
            .into_iter()
            .filter(|p| !p.is_file())
            .map(|p| p.display().to_string())
            .collect();
        if !missing.is_empty() {
            let why = format!(
                "{} not installed (set CHROMEDRIVER / CHROMIUM, or apt-get install chromium chromium-driver)",
                missing.join(" and ")
            );
            if browser_required() {
                bail!("ZHIYUAN_REQUIRE_BROWSER is set but {why}");
            }
            skip::skip_loudly(
                "browser",
                &why.to_string(),
                "apt-get install chromium chromium-driver fonts-wqy-microhei, or run `cargo xtask test`, which installs them and requires these tests",
            );
            return Ok(None);
        }

        let mut last_err = anyhow!("chromedriver was not started");
        for _ in 0..START_ATTEMPTS {
            match Self::try_start(&chromedriver, &chromium).await {
                Ok(browser) => return Ok(Some(browser)),
                Err(err) => last_err = err,
            }
        }
        Err(last_err)
    }

    async fn try_start(chromedriver: &Path, chromium: &Path) -> Result<Browser> {
        let dir = tempfile::Builder::new()
            .prefix("zhiyuan-browser-")
            .tempdir()
            .context("creating a temporary directory for Chromium")?;
        let profile = dir.path().join("profile");
        std::fs::create_dir(&profile).context("creating the Chromium profile directory")?;
        let log_path = dir.path().join("chromedriver.log");
        let log = File::create(&log_path).context("creating chromedriver.log")?;

        let port = free_port()?;
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            // Chromium inherits it: its UI locale on Linux.
            .env("LANGUAGE", "zh_CN:zh")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Own process group, so that Drop can kill Chromium along with it.
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", chromedriver.display()))?;

        // From here on, dropping `guard` kills chromedriver.
        let mut guard = ChromedriverGuard(Some(child));
        if let Err(err) = wait_until_ready(&mut guard, port).await {
            drop(guard);
            return Err(anyhow!("{err:#}\n{}", log_tail(&log_path)));
        }

        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_string(),
            json!({
                "binary": chromium.to_string_lossy(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--disable-quic",
                    "--window-size=1280,900",
                    "--lang=zh-CN",
                    format!("--user-data-dir={}", profile.display()),
                ],
                // On Linux --lang alone leaves navigator.language and
                // Accept-Language at en-US; the pref and $LANGUAGE set them.
                "prefs": { "intl.accept_languages": "zh-CN,zh" },
            }),
        );
        let connected = fantoccini::ClientBuilder::rustls()
            .context("initialising rustls for the WebDriver client")?
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await;
        let client = match connected {
            Ok(client) => client,
            Err(err) => {
                drop(guard);
                return Err(anyhow!(
                    "creating a headless Chromium session ({}): {err}\n{}",
                    chromium.display(),
                    log_tail(&log_path)
                ));
            }
        };

        Ok(Browser {
            client,
            chromedriver: guard.0.take(),
            dir,
            port,
        })
    }

    /// Closes the session (Chromium quits) and kills chromedriver.
    pub async fn close(mut self) -> Result<()> {
        let closed = self.client.clone().close().await;
        kill_group(&mut self.chromedriver);
        closed.context("closing the WebDriver session")
    }

    /// Save a PNG screenshot to the given path (for debugging).
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        let png = self.client.screenshot().await.context("taking a screenshot")?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// The WebDriver URL of this browser's chromedriver.
    pub fn webdriver_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The Chromium profile directory (fresh for every browser).
    pub fn profile_dir(&self) -> PathBuf {
        self.dir.path().join("profile")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Kill chromedriver and Chromium before `dir` is removed.
        kill_group(&mut self.chromedriver);
    }
}

/// Kills chromedriver's process group if a start attempt fails half-way.
struct ChromedriverGuard(Option<Child>);

impl Drop for ChromedriverGuard {
    fn drop(&mut self) {
        kill_group(&mut self.0);
    }
}

/// Kills chromedriver together with everything in its process group
/// (the Chromium processes it started), then reaps it.
fn kill_group(child: &mut Option<Child>) {
    let Some(mut child) = child.take() else {
        return;
    };
    if let Ok(None) = child.try_wait() {
        // chromedriver leads its own process group: pgid == pid.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = child.kill();
    }
    let _ = child.wait();
}

fn binary(var: &str, default: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => PathBuf::from(default),
    }
}

fn browser_required() -> bool {
    std::env::var("ZHIYUAN_REQUIRE_BROWSER").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free port for chromedriver")?;
    Ok(listener.local_addr()?.port())
}

/// Polls chromedriver's `/status` until it says it is ready.
async fn wait_until_ready(guard: &mut ChromedriverGuard, port: u16) -> Result<()> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Some(child) = guard.0.as_mut() {
            if let Some(status) = child.try_wait()? {
                bail!("chromedriver exited during startup ({status}) on port {port}");
            }
        }
        let ready = tokio::task::spawn_blocking(move || status_ready(port))
            .await
            .unwrap_or(false);
        if ready {
            return Ok(());
        }
        if Instant::now() >= deadline {
            bail!(
                "chromedriver did not become ready on 127.0.0.1:{port} within {}s",
                STARTUP_TIMEOUT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One `GET /status`; true when chromedriver answers 200 with `"ready": true`.
/// chromedriver keeps the connection open despite `Connection: close`, so read
/// only until the answer is complete (it is small).
fn status_ready(port: u16) -> bool {
    let is_ready = |response: &[u8]| {
        let response = String::from_utf8_lossy(response);
        let compact: String = response.split_whitespace().collect();
        response.starts_with("HTTP/1.1 200") && compact.contains("\"ready\":true")
    };
    let attempt = || -> std::io::Result<bool> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.set_write_timeout(Some(Duration::from_secs(2)))?;
        let request = format!(
            "GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes())?;
        let mut response = Vec::new();
        let mut chunk = [0u8; 4096];
        while response.len() < 64 * 1024 {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            response.extend_from_slice(&chunk[..n]);
            if is_ready(&response) {
                return Ok(true);
            }
        }
        Ok(is_ready(&response))
    };
    attempt().unwrap_or(false)
}

/// The end of chromedriver's log, for error messages.
fn log_tail(path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let log = log.trim();
    if log.is_empty() {
        return "chromedriver.log is empty".to_string();
    }
    let start = log.char_indices().rev().nth(2000).map_or(0, |(i, _)| i);
    format!("chromedriver.log (last lines):\n{}", &log[start..])
}

// ---------------------------------------------------------------------------
// The app under test and shared page helpers
// ---------------------------------------------------------------------------

/// How long the helpers below wait for an element or a page.
const PAGE_TIMEOUT: Duration = Duration::from_secs(15);

/// The real application with the small demo data in a SQLite database under `dir`,
/// served on a free 127.0.0.1 port. Returns the base URL (`http://127.0.0.1:<port>`)
/// and the app itself, for tests that look into the store.
pub async fn start_server(dir: &Path) -> Result<(String, App)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut settings = Settings::sqlite_in(dir);
    // QR links point where this server really is, as `--public-url` would say
    settings.public_url = format!("http://{addr}");
    let app = App::open(&settings).await.context("opening the app")?;
    app.load_demo(DemoSize::SMALL)
        .await
        .context("loading demo data")?;
    let served = app.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            zhiyuan_web::router(served).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("server runs");
    });
    Ok((format!("http://{addr}"), app))
}

pub fn css(s: &str) -> Locator<'_> {
    Locator::Css(s)
}

/// Waits until an element matching `selector` is on the page.
pub async fn wait_for(c: &Client, selector: &str) -> Result<fantoccini::elements::Element> {
    c.wait()
        .at_most(PAGE_TIMEOUT)
        .for_element(css(selector))
        .await
        .with_context(|| format!("waiting for {selector}"))
}

/// Waits until the browser's path starts with `prefix` and returns the path (without the query).
pub async fn wait_for_path(c: &Client, prefix: &str) -> Result<String> {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        let url = c.current_url().await?;
        if url.path().starts_with(prefix) {
            return Ok(url.path().to_owned());
        }
        if Instant::now() > deadline {
            bail!("still at {url}, expected a path starting with {prefix}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Replaces the text of the input matching `selector` by typing `text`.
pub async fn fill(c: &Client, selector: &str, text: &str) -> Result<()> {
    let e = c
        .find(css(selector))
        .await
        .with_context(|| format!("finding {selector}"))?;
    e.clear().await?;
    e.send_keys(text).await?;
    Ok(())
}

/// Sets an input's value directly (date and time pickers do not take typed text portably).
pub async fn set_value(c: &Client, selector: &str, value: &str) -> Result<()> {
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![selector.into(), value.into()],
    )
    .await
    .with_context(|| format!("setting {selector}"))?;
    Ok(())
}

pub async fn click(c: &Client, selector: &str) -> Result<()> {
    // A page still settling after a redirect can replace the element between finding and
    // clicking it ("stale element reference"): find it again, a few times, before giving up.
    let mut attempt = 0;
    loop {
        let found = c
            .find(css(selector))
            .await
            .with_context(|| format!("finding {selector}"))?;
        match found.click().await {
            Ok(_) => return Ok(()),
            Err(e) if attempt < 5 && e.to_string().contains("stale element") => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Logs in as the demo user `user` through the login form and waits for the page `next`.
pub async fn log_in(c: &Client, base: &str, user: &str, next: &str) -> Result<()> {
    c.goto(&format!("{base}/login?next={next}")).await?;
    fill(c, "#username", user).await?;
    fill(c, "#password", DEMO_PASSWORD).await?;
    click(c, "main form button[type=submit]").await?;
    wait_for_path(c, next.split('?').next().unwrap_or(next)).await?;
    Ok(())
}

/// Waits until the text of `selector` contains `needle` and returns it. For a form that posts
/// back to the page it is on: the path does not change, and the old page may be replaced
/// while it is read (a stale element is tried again).
pub async fn wait_for_text(c: &Client, selector: &str, needle: &str) -> Result<String> {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    let mut last = String::new();
    loop {
        if let Ok(e) = c.find(css(selector)).await {
            if let Ok(t) = e.text().await {
                if t.contains(needle) {
                    return Ok(t);
                }
                last = t;
            }
        }
        if Instant::now() > deadline {
            bail!("{selector} never showed {needle:?}; last text: {last}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The text of the page's `<main>`.
pub async fn main_text(c: &Client) -> Result<String> {
    Ok(c.find(css("main")).await?.text().await?)
}

/// A Beijing `datetime-local` value `minutes` from now.
pub fn local_in(minutes: i64) -> String {
    (Utc::now().with_timezone(&zhiyuan_app::TZ) + chrono::Duration::minutes(minutes))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}
