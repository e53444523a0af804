//! The zh-CN pages in headless Chromium: logging in, registering a volunteer as a team
//! admin, the masked resident ID, and the Chinese field errors of both registration forms.
//!
//! Skips itself when Chromium is not installed, unless `ZHIYUAN_REQUIRE_BROWSER` is set:
//! `ZHIYUAN_REQUIRE_BROWSER=1 cargo test -p zhiyuan-web --test browser`.

#[path = "support/browser.rs"]
mod browser;

use std::path::Path;

use anyhow::{Context, Result};
use browser::{css, fill, start_server, wait_for, wait_for_path};
use chrono::NaiveDate;
use fantoccini::Client;
use zhiyuan_app::demo::DEMO_PASSWORD;
use zhiyuan_domain::people::resident_id::ResidentId;

async fn submit(c: &Client) -> Result<()> {
    c.find(css("main form button[type=submit]"))
        .await?
        .click()
        .await?;
    Ok(())
}

/// A valid ID with its check character changed.
fn with_bad_check(id: &str) -> String {
    let last = id.chars().last().expect("18 chars");
    let wrong = if last == '1' { '2' } else { '1' };
    format!("{}{wrong}", &id[..17])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_pages_work_in_a_browser() -> Result<()> {
    let Some(b) = browser::Browser::start().await? else {
        return Ok(());
    };
    let result = run(&b.client).await;
    if result.is_err() {
        let _ = b
            .screenshot(&std::env::temp_dir().join("zhiyuan-browser-failure.png"))
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

    // Log in as the team admin through the form; the page asked for comes back.
    c.goto(&format!("{base}/volunteers/new")).await?;
    wait_for_path(c, "/login").await?;
    let html = c.source().await?;
    assert!(html.contains("lang=\"zh-CN\""), "the page is marked zh-CN");
    fill(c, "#username", "team").await?;
    fill(c, "#password", "wrong-password1").await?;
    submit(c).await?;
    let alert = wait_for(c, "#form-errors").await?.text().await?;
    assert!(alert.contains("用户名或密码错误"), "wrong password: {alert}");
    fill(c, "#username", "team").await?;
    fill(c, "#password", DEMO_PASSWORD).await?;
    submit(c).await?;
    wait_for_path(c, "/volunteers/new").await?;
    let who = c.find(css(".who")).await?.text().await?;
    assert!(who.contains("队伍管理员"), "role shown in the top bar: {who}");

    // Register a volunteer into the admin's team.
    let id = ResidentId::compose("110105", NaiveDate::from_ymd_opt(1991, 4, 17).expect("date"), 517)?;
    let id = id.as_str().to_owned();
    let team_select = c.find(css("#team_id")).await?;
    let team_id = c
        .find(css("#team_id option:nth-child(2)"))
        .await
        .context("the team admin has a team to choose")?
        .attr("value")
        .await?
        .context("option value")?;
    fill(c, "#name", "赵文明").await?;
    fill(c, "#resident_id", &id).await?;
    fill(c, "#phone", "13911112222").await?;
    c.find(css("#region_code"))
        .await?
        .select_by_value("110105001000")
        .await?;
    team_select.select_by_value(&team_id).await?;
    fill(c, "#skills", "急救、外语翻译").await?;
    c.find(css("input[name=categories][value=education]"))
        .await?
        .click()
        .await?;
    c.find(css("input[name=categories][value=elderly_disabled]"))
        .await?
        .click()
        .await?;
    fill(c, "#availability", "工作日 18-21；周末 9-17").await?;
    submit(c).await?;
    let path = wait_for_path(c, "/volunteers/").await?;
    assert_ne!(path, "/volunteers/new", "registration succeeded");
    let shown = wait_for(c, "#resident-id").await?.text().await?;
    assert!(
        shown.starts_with("110***********"),
        "masked ID keeps the first 3: {shown}"
    );
    assert!(
        !c.source().await?.contains(&id),
        "the full resident ID is not in the page"
    );
    let page = c.find(css("main")).await?.text().await?;
    for expected in [
        "赵文明",
        "男",
        "急救",
        "助学支教",
        "敬老助残",
        "周一至周五 18-21",
        "已加入",
    ] {
        assert!(page.contains(expected), "detail page shows {expected}: {page}");
    }

    // The same form with a bad check digit: a Chinese error beside the field, values kept.
    c.goto(&format!("{base}/volunteers/new")).await?;
    fill(c, "#name", "钱明理").await?;
    fill(c, "#resident_id", &with_bad_check(&id)).await?;
    fill(c, "#phone", "13911113333").await?;
    c.find(css("#region_code"))
        .await?
        .select_by_value("110105001000")
        .await?;
    c.find(css("#team_id")).await?.select_by_value(&team_id).await?;
    submit(c).await?;
    let err = wait_for(c, "#error-resident_id").await?.text().await?;
    assert!(err.contains("校验"), "check-digit error in Chinese: {err}");
    let kept = c
        .find(css("#name"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(kept, "钱明理", "the submitted name is kept");
    let region = c
        .find(css("#region_code"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(region, "110105001000", "the chosen residence is kept");
    assert!(
        c.find(css("#form-errors")).await?.text().await?.contains("校验"),
        "summary at the top"
    );

    // Log out; the list now asks for a login.
    c.find(css(".who button[type=submit]")).await?.click().await?;
    wait_for(c, ".who-login").await?;
    c.goto(&format!("{base}/volunteers")).await?;
    wait_for_path(c, "/login").await?;

    // Self-registration with a bad ID, on a phone-sized window.
    c.set_window_size(390, 844).await?;
    c.goto(&format!("{base}/register")).await?;
    wait_for(c, "#resident_id").await?;
    let shot = Path::new("/tmp/zhiyuan-register.png");
    std::fs::write(shot, c.screenshot().await?)?;
    fill(c, "#name", "孙志愿").await?;
    fill(c, "#resident_id", &with_bad_check("110105198511114560")).await?;
    fill(c, "#phone", "13622223333").await?;
    c.find(css("#region_code"))
        .await?
        .select_by_value("110105001000")
        .await?;
    fill(c, "#password", "abc12345").await?;
    submit(c).await?;
    let err = wait_for(c, "#error-resident_id").await?;
    let text = err.text().await?;
    assert!(
        text.contains("身份证号码") && text.contains("校验"),
        "self-registration error: {text}"
    );
    let _ = c
        .execute("document.getElementById('resident_id').scrollIntoView()", vec![])
        .await?;
    std::fs::write("/tmp/zhiyuan-register-error.png", c.screenshot().await?)?;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth",
            vec![],
        )
        .await?;
    assert_eq!(
        overflow,
        serde_json::Value::Bool(false),
        "no sideways scrolling on a phone"
    );
    Ok(())
}
