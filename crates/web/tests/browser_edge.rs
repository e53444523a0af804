//! The edge as a person meets it, in headless Chromium at phone width: wrong passwords, then
//! the temporary lock shown on the login form with the typed name kept; signing out everywhere
//! (and the back button afterwards); the pages whose scripts moved out of line still work under
//! the Content-Security-Policy; an error page quotes its request id.
//!
//! Skips itself when Chromium is not installed, unless `ZHIYUAN_REQUIRE_BROWSER` is set:
//! `ZHIYUAN_REQUIRE_BROWSER=1 cargo test -p zhiyuan-web --test browser_edge`.

#[path = "support/browser.rs"]
mod browser;

use anyhow::{ensure, Context, Result};
use browser::{click, css, fill, log_in, main_text, start_server, wait_for, wait_for_path, wait_for_text};
use fantoccini::Client;

/// A screenshot to `/tmp/zhiyuan-edge-<name>.png`, for looking at the pages.
async fn shot(c: &Client, name: &str) -> Result<()> {
    std::fs::write(format!("/tmp/zhiyuan-edge-{name}.png"), c.screenshot().await?)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_lock_sign_out_everywhere_and_scripted_pages_in_a_browser() -> Result<()> {
    let Some(b) = browser::Browser::start().await? else {
        return Ok(());
    };
    let result = run(&b.client).await;
    if result.is_err() {
        let _ = b
            .screenshot(&std::env::temp_dir().join("zhiyuan-edge-failure.png"))
            .await;
        if let Ok(src) = b.client.source().await {
            eprintln!("page at failure:\n{src}");
        }
    }
    b.close().await?;
    result
}

async fn run(c: &Client) -> Result<()> {
    let data = tempfile::tempdir()?;
    let (base, _app) = start_server(data.path()).await?;
    c.set_window_size(390, 844).await?;

    // Wrong passwords: the form says so and keeps the name; then the account is locked for a while.
    for _ in 0..zhiyuan_app::auth::throttle::ACCOUNT_LIMIT {
        c.goto(&format!("{base}/login")).await?;
        fill(c, "#username", "chaoyang").await?;
        fill(c, "#password", "wrong-pass-1").await?;
        click(c, "main form button[type=submit]").await?;
        wait_for(c, "#form-errors").await?;
    }
    c.goto(&format!("{base}/login")).await?;
    fill(c, "#username", "chaoyang").await?;
    fill(c, "#password", zhiyuan_app::demo::DEMO_PASSWORD).await?;
    click(c, "main form button[type=submit]").await?;
    wait_for_text(c, "#form-errors", "分钟后再试").await?;
    let kept = c.find(css("#username")).await?.prop("value").await?;
    ensure!(
        kept.as_deref() == Some("chaoyang"),
        "the typed name is kept: {kept:?}"
    );
    shot(c, "login-locked-phone").await?;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth",
            vec![],
        )
        .await?;
    ensure!(
        overflow == serde_json::Value::Bool(false),
        "no sideways scrolling"
    );

    // Another account logs in, signs out everywhere; the back button shows nothing private.
    log_in(c, &base, "volunteer", "/me").await?;
    shot(c, "me-phone").await?;
    click(c, "#logout-everywhere").await?;
    wait_for_path(c, "/login").await?;
    c.back().await?;
    c.refresh().await?;
    wait_for_path(c, "/login").await?;
    ensure!(
        !main_text(c).await?.contains("我的志愿者档案"),
        "after signing out everywhere, /me asks for a login"
    );

    // The pages whose scripts now come from /assets/app.js: the script loads and runs.
    c.goto(&format!("{base}/projects/nearby")).await?;
    wait_for(c, "#nearby-form").await?;
    let loaded = c
        .execute(
            "return Array.from(document.scripts).some(s => s.src.endsWith('/assets/app.js'))",
            vec![],
        )
        .await?;
    ensure!(loaded == serde_json::Value::Bool(true), "app.js is included");
    // headless Chromium has navigator.geolocation: the script un-hides the button
    let hidden = c
        .execute("return document.getElementById('use-location').hidden", vec![])
        .await?;
    ensure!(
        hidden == serde_json::Value::Bool(false),
        "the script ran under the CSP"
    );
    shot(c, "nearby-phone").await?;

    // An error page quotes its request id.
    c.goto(&format!("{base}/projects/999999")).await?;
    let id = wait_for(c, "#request-id").await?.text().await?;
    ensure!(!id.is_empty(), "request id shown");
    shot(c, "error-phone").await?;

    // The office's queue on a desktop, as the district admin, once the lock has passed for
    // another account.
    c.set_window_size(1280, 900).await?;
    log_in(c, &base, "jianwai", "/orders/queue").await?;
    wait_for(c, ".filters").await?;
    let text = main_text(c).await.context("queue")?;
    ensure!(text.contains("点单受理"), "{text}");
    shot(c, "queue-desktop").await?;
    Ok(())
}
