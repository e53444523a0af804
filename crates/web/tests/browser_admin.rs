//! The administration an office needs on day one, walked in headless Chromium at phone width:
//! the district office creates a site administrator's account and the new administrator logs
//! in with it; a volunteer changes their own phone number.
//!
//! Skips itself when Chromium is not installed, unless `ZHIYUAN_REQUIRE_BROWSER` is set:
//! `ZHIYUAN_REQUIRE_BROWSER=1 cargo test -p zhiyuan-web --test browser_admin`.

#[path = "support/browser.rs"]
mod browser;

use anyhow::{ensure, Result};
use browser::{click, fill, log_in, main_text, start_server, wait_for, wait_for_path, wait_for_text};
use fantoccini::Client;

/// A screenshot to `/tmp/zhiyuan-admin-<name>.png`, for looking at the pages.
async fn shot(c: &Client, name: &str) -> Result<()> {
    std::fs::write(format!("/tmp/zhiyuan-admin-{name}.png"), c.screenshot().await?)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_makes_a_site_admin_and_a_volunteer_changes_their_phone() -> Result<()> {
    let Some(b) = browser::Browser::start().await? else {
        return Ok(());
    };
    let result = run(&b.client).await;
    if result.is_err() {
        let _ = b
            .screenshot(&std::env::temp_dir().join("zhiyuan-admin-failure.png"))
            .await;
        if let Ok(src) = b.client.source().await {
            eprintln!("page at failure:\n{src}");
        }
    }
    b.close().await?;
    result
}

async fn select(c: &Client, selector: &str, text: &str) -> Result<()> {
    let ok = c
        .execute(
            "var s = document.querySelector(arguments[0]), t = arguments[1]; \
             for (var i = 0; i < s.options.length; i++) { \
               if (s.options[i].text.indexOf(t) >= 0) { s.selectedIndex = i; return true; } } \
             return false;",
            vec![selector.into(), text.into()],
        )
        .await?;
    ensure!(
        ok == serde_json::Value::Bool(true),
        "{selector} has no option {text}"
    );
    Ok(())
}

async fn log_out(c: &Client) -> Result<()> {
    c.delete_all_cookies().await?;
    Ok(())
}

async fn run(c: &Client) -> Result<()> {
    let data = tempfile::tempdir()?;
    let (base, _app) = start_server(data.path()).await?;
    c.set_window_rect(0, 0, 390, 844).await?;

    // The district office opens 账号 from 更多 and creates a site administrator.
    log_in(c, &base, "chaoyang", "/").await?;
    click(c, "#nav-more > summary").await?;
    click(c, "#nav-more a[href='/accounts']").await?;
    wait_for_path(c, "/accounts").await?;
    click(c, "#new-account").await?;
    wait_for_path(c, "/accounts/new").await?;
    fill(c, "#display_name", "周站长").await?;
    fill(c, "#username", "jw_zhou").await?;
    fill(c, "#password", "short").await?;
    select(c, "#role", "阵地管理员").await?;
    select(c, "#scope_site_id", "建外街道").await?;
    click(c, "#create-account").await?;
    wait_for(c, "#error-password").await?;
    let kept = c.find(browser::css("#username")).await?.prop("value").await?;
    ensure!(
        kept.as_deref() == Some("jw_zhou"),
        "the typed name is kept: {kept:?}"
    );
    shot(c, "account-error-phone").await?;
    fill(c, "#password", "start2026a").await?;
    click(c, "#create-account").await?;
    wait_for_text(c, "#notice", "账号已创建").await?;
    let list = main_text(c).await?;
    ensure!(list.contains("周站长") && list.contains("从未登录"), "{list}");
    shot(c, "accounts-phone").await?;

    // The new site administrator logs in and sees their site's work.
    log_out(c).await?;
    c.goto(&format!("{base}/login")).await?;
    fill(c, "#username", "jw_zhou").await?;
    fill(c, "#password", "start2026a").await?;
    click(c, "main form button[type=submit]").await?;
    wait_for_text(c, "main h1", "周站长").await?;
    let home = main_text(c).await?;
    ensure!(home.contains("阵地管理员") && home.contains("点单受理"), "{home}");
    shot(c, "site-admin-home-phone").await?;

    // A volunteer changes their own phone number, then logs in with the new one.
    log_out(c).await?;
    log_in(c, &base, "volunteer", "/me").await?;
    click(c, "#edit-mine").await?;
    wait_for(c, "#phone").await?;
    fill(c, "#phone", "1390000").await?;
    click(c, "#save-volunteer").await?;
    wait_for(c, "#error-phone").await?;
    ensure!(
        c.current_url().await?.path().ends_with("/edit"),
        "the form stays where it was"
    );
    fill(c, "#phone", "13912340000").await?;
    click(c, "#save-volunteer").await?;
    wait_for_text(c, "#notice", "信息已更新").await?;
    ensure!(main_text(c).await?.contains("13912340000"));
    shot(c, "volunteer-phone-changed").await?;
    // the back button and a reload show the new number, not the old form
    c.back().await?;
    c.refresh().await?;
    c.goto(&format!("{base}/me")).await?;
    ensure!(main_text(c).await?.contains("13912340000"), "kept after a reload");
    Ok(())
}
