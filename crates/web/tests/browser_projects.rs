//! Projects, attendance, service records and certificates in headless Chromium: a team admin
//! publishes a project, a volunteer signs up and checks in by the shift's QR code, the team
//! ticks the roster and enters the hours (团体录入), and the volunteer sees the hours, issues a
//! certificate, downloads its PDF and verifies it.
//!
//! Skips itself when Chromium is not installed, unless `ZHIYUAN_REQUIRE_BROWSER` is set:
//! `ZHIYUAN_REQUIRE_BROWSER=1 cargo test -p zhiyuan-web --test browser_projects`.

#[path = "support/browser.rs"]
mod browser;

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use browser::{
    click, css, fill, local_in, log_in, main_text, set_value, start_server, wait_for, wait_for_path,
    wait_for_text,
};
use fantoccini::{Client, Locator};

async fn text_of(c: &Client, selector: &str) -> Result<String> {
    Ok(wait_for(c, selector).await?.text().await?)
}

/// A screenshot to `/tmp/zhiyuan-<name>.png`, for looking at the pages.
async fn shot(c: &Client, name: &str) -> Result<()> {
    std::fs::write(format!("/tmp/zhiyuan-{name}.png"), c.screenshot().await?)?;
    Ok(())
}

/// Waits until the browser is at `{prefix}{id}` and returns the id.
async fn wait_for_id(c: &Client, prefix: &str) -> Result<i64> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url = c.current_url().await?;
        if let Some(id) = url.path().strip_prefix(prefix).and_then(|s| s.parse().ok()) {
            return Ok(id);
        }
        if Instant::now() > deadline {
            bail!("still at {url}, expected {prefix}<id>");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The number after the last `/` of a path like `/projects/12`.
fn last_id(path: &str) -> Result<i64> {
    path.rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no id in {path}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_attendance_and_certificates_work_in_a_browser() -> Result<()> {
    let Some(team) = browser::Browser::start().await? else {
        return Ok(());
    };
    let Some(vol) = browser::Browser::start().await? else {
        return Ok(());
    };
    let result = run(&team.client, &vol.client).await;
    if result.is_err() {
        for (name, b) in [("team", &team), ("volunteer", &vol)] {
            let _ = b
                .screenshot(&std::env::temp_dir().join(format!("zhiyuan-projects-failure-{name}.png")))
                .await;
            if let Ok(src) = b.client.source().await {
                eprintln!("{name} page at failure:\n{src}");
            }
        }
    }
    team.close().await?;
    vol.close().await?;
    result
}

async fn run(t: &Client, v: &Client) -> Result<()> {
    let data = tempfile::tempdir()?;
    let (base, _app) = start_server(data.path()).await?;

    // The team admin publishes a project with one shift starting in five minutes.
    log_in(t, &base, "team", "/projects/new").await?;
    let team_id = t
        .find(css("#organization_id option[value]:not([value=''])"))
        .await
        .context("the team admin has a team to organize with")?
        .attr("value")
        .await?
        .context("option value")?;
    t.find(css("#organization_id"))
        .await?
        .select_by_value(&team_id)
        .await?;
    // First a form with problems: Chinese errors beside the fields, input kept.
    fill(t, "#title", "社区助老送餐").await?;
    click(t, "#publish").await?;
    let err = text_of(t, "#error-address").await?;
    assert!(err.contains("服务地点"), "address error in Chinese: {err}");
    text_of(t, "#error-shift").await?;
    let kept = t
        .find(css("#title"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(kept, "社区助老送餐", "the title is kept");
    t.find(css("#category"))
        .await?
        .select_by_value("elderly_disabled")
        .await?;
    fill(t, "#description", "为社区独居老人送午餐，陪伴聊天。").await?;
    fill(t, "#address", "建外街道永安里社区居委会").await?;
    fill(t, "#lat", "39.9087").await?;
    fill(t, "#lon", "116.4430").await?;
    fill(t, "#person_in_charge", "王队长").await?;
    fill(t, "#contact_phone", "13800138000").await?;
    fill(t, "#risk_notes", "请提前十分钟到场，注意交通安全。").await?;
    if !t.find(css("#auto_approve")).await?.is_selected().await? {
        click(t, "#auto_approve").await?;
    }
    set_value(t, "#shift-row-1 input[name=shift_start]", &local_in(5)).await?;
    set_value(t, "#shift-row-1 input[name=shift_end]", &local_in(125)).await?;
    fill(t, "#shift-row-1 input[name=shift_headcount]", "5").await?;
    click(t, "#publish").await?;
    let project_id = wait_for_id(t, "/projects/").await?;
    assert!(text_of(t, "#notice").await?.contains("已保存"));
    assert_eq!(text_of(t, "#project-status").await?, "招募中");
    let qr_href = wait_for(t, "a[href$='/qr']")
        .await?
        .attr("href")
        .await?
        .context("poster link")?;
    let shift_id = last_id(qr_href.trim_end_matches("/qr"))?;

    // Everyone sees it in the list and nearby.
    v.goto(&format!("{base}/projects?category=elderly_disabled&q=助老送餐"))
        .await?;
    let listed = main_text(v).await?;
    assert!(
        listed.contains("社区助老送餐") && listed.contains("剩余 5 个"),
        "listed publicly: {listed}"
    );
    v.goto(&format!(
        "{base}/projects/nearby?lat=39.91&lon=116.44&radius_m=3000"
    ))
    .await?;
    let nearby = main_text(v).await?;
    assert!(
        nearby.contains("社区助老送餐") && nearby.contains("约"),
        "nearby with distance: {nearby}"
    );

    // The volunteer joins the team (so the team may enter hours for them) and signs up.
    log_in(v, &base, "volunteer", &format!("/orgs/{team_id}")).await?;
    if v.find(css(".join-form")).await.is_ok() {
        click(v, ".join-form button[type=submit]").await?;
        text_of(v, ".alert-ok").await?;
        t.goto(&format!("{base}/orgs/{team_id}")).await?;
        click(t, "#pending form[action$='/approve'] button").await?;
        text_of(t, ".alert-ok").await?;
    }
    v.goto(&format!("{base}/projects/{project_id}")).await?;
    click(v, &format!("#shift-{shift_id} button.sign-up")).await?;
    let notice = text_of(v, "#notice").await?;
    assert!(notice.contains("报名成功"), "auto-approved sign-up: {notice}");
    shot(v, "project").await?;
    let mine = text_of(v, &format!("#shift-{shift_id} .my-status")).await?;
    assert!(mine.contains("已录用"), "my status shown: {mine}");
    // Signing up twice is a conflict shown on the page.
    assert!(
        v.find(css(&format!("#shift-{shift_id} button.sign-up")))
            .await
            .is_err(),
        "no second sign-up button"
    );

    // The QR poster (printable, refreshing) gives the check-in link.
    t.goto(&format!("{base}/shifts/{shift_id}/qr")).await?;
    let poster = wait_for(t, "#poster").await?;
    let checkin_url = poster
        .attr("data-checkin-url")
        .await?
        .context("data-checkin-url")?;
    assert!(
        checkin_url.starts_with(&format!("{base}/checkin?t=")),
        "absolute check-in URL: {checkin_url}"
    );
    let src = t.source().await?;
    assert!(
        src.contains("http-equiv=\"refresh\""),
        "the poster refreshes itself"
    );
    assert!(src.contains("<svg"), "inline SVG QR code");
    assert!(main_text(t).await?.contains("微信或手机浏览器扫码签到/签退"));
    shot(t, "poster").await?;

    // The volunteer scans it on a phone-sized window and checks in.
    v.set_window_size(390, 844).await?;
    v.goto(&checkin_url).await?;
    click(v, "#scan-button").await?;
    let result = text_of(v, "#checkin-result").await?;
    assert!(result.contains("签到成功"), "checked in: {result}");
    shot(v, "checkin").await?;
    // Unsure, the volunteer scans again a moment later: still checked in, nothing ended.
    v.goto(&checkin_url).await?;
    click(v, "#scan-button").await?;
    let again = text_of(v, "#checkin-result").await?;
    assert_eq!(again, "已签到", "a rescan answers 已签到");
    assert!(text_of(v, "#checkin-detail").await?.contains("无需重复扫码"));
    assert!(
        v.find(css("#checkout-button")).await.is_err(),
        "no 确认签退 before the shift starts"
    );
    shot(v, "checkin-again").await?;
    // A forged token is refused in Chinese.
    v.goto(&format!("{base}/checkin?t={shift_id}.1.AAAAAAAAAAAAAAAAAAAAAA"))
        .await?;
    click(v, "#scan-button").await?;
    let refused = text_of(v, "#form-errors").await?;
    assert!(
        !refused.is_empty() && refused.chars().any(|c| c > '\u{4e00}'),
        "Chinese error: {refused}"
    );

    // The roster shows the check-in; the leader checks the volunteer out now.
    t.goto(&format!("{base}/shifts/{shift_id}/roster")).await?;
    let line = wait_for(t, ".roster-line").await?;
    assert!(line.text().await?.contains("签到"), "roster line");
    wait_for(t, ".checkin-at").await?;
    assert!(
        t.find(css(".checkout-at")).await.is_err(),
        "the rescan did not check the volunteer out"
    );
    click(t, ".roster-line button.check-out").await?;
    // the page before may show a notice too: wait for this action's (a stale read would race)
    let notice = wait_for_text(t, "#notice", "签退成功").await?;
    assert!(notice.contains("签退成功"), "checked out: {notice}");
    wait_for(t, ".checkout-at").await?;
    // A wrong check-out is undone from the roster, with a reason, and done again.
    click(t, ".undo-check-out summary").await?;
    fill(t, ".undo-check-out input[name=reason]", "误点签退").await?;
    shot(t, "roster-undo").await?;
    click(t, ".undo-check-out button[type=submit]").await?;
    let notice = wait_for_text(t, "#notice", "已撤销签退").await?;
    assert!(notice.contains("已撤销签退"), "undone: {notice}");
    assert!(t.find(css(".checkout-at")).await.is_err(), "checked in again");
    click(t, ".roster-line button.check-out").await?;
    wait_for(t, ".checkout-at").await?;
    let notice = wait_for_text(t, "#notice", "签退成功").await?;
    assert!(notice.contains("签退成功"), "checked out again: {notice}");
    wait_for(t, ".checkout-at").await?;
    shot(t, "roster").await?;

    // Hours before the team enters them.
    v.set_window_size(1280, 900).await?;
    v.goto(&format!("{base}/me/hours")).await?;
    let before: f64 = text_of(v, "#total-hours").await?.trim().parse()?;

    // 团体录入 from the roster: prefilled with the shift's volunteers and its length.
    click(t, "a[href^='/records/entry?shift=']").await?;
    wait_for_path(t, "/records/entry").await?;
    let lines = t
        .find(css("#lines"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert!(lines.trim().ends_with(" 120"), "prefilled: {lines}");
    set_value(t, "#service_date", &zhiyuan_app::today().to_string()).await?;
    click(t, "main form button[type=submit]").await?;
    let notice = text_of(t, "#notice").await?;
    assert!(notice.contains("已录入 1 名"), "entered: {notice}");

    // The volunteer's hours, two more, with star icons.
    v.goto(&format!("{base}/me/hours")).await?;
    let after: f64 = text_of(v, "#total-hours").await?.trim().parse()?;
    assert!((after - before - 2.0).abs() < 0.05, "hours {before} → {after}");
    assert!(text_of(v, ".stars").await?.contains('☆') || after >= 1500.0);
    assert!(
        main_text(v).await?.contains("社区助老送餐"),
        "the record is listed"
    );
    shot(v, "hours").await?;

    // The volunteer declares service; the team confirms it, then corrects it with a reason.
    fill(v, "#activity", "社区环境清洁").await?;
    set_value(v, "#service_date", &zhiyuan_app::today().to_string()).await?;
    fill(v, "#minutes", "90").await?;
    fill(v, "#place", "永安里社区").await?;
    fill(v, "#content", "清理楼道小广告").await?;
    fill(v, "#person_in_charge", "王队长").await?;
    if v.find(css(&format!("#organization_id option[value='{team_id}']")))
        .await
        .is_ok()
    {
        v.find(css("#organization_id"))
            .await?
            .select_by_value(&team_id)
            .await?;
    }
    click(v, "#declare button[type=submit]").await?;
    let notice = text_of(v, "#notice").await?;
    assert!(notice.contains("已提交申报"), "declared: {notice}");
    t.goto(&format!("{base}/records/pending")).await?;
    let item = t
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath(
            "//li[contains(@class,'record-item')][contains(., '社区环境清洁')]",
        ))
        .await
        .context("the declaration awaits confirmation")?;
    let item_id = item.attr("id").await?.context("record item id")?;
    // Rejecting needs a reason.
    item.find(css(".reject-form button")).await?.click().await?;
    assert!(text_of(t, "#form-errors").await?.contains("原因"));
    click(t, &format!("#{item_id} button.confirm")).await?;
    assert!(text_of(t, "#notice").await?.contains("已确认"));
    shot(t, "pending").await?;
    v.goto(&format!("{base}/me/hours")).await?;
    let confirmed: f64 = text_of(v, "#total-hours").await?.trim().parse()?;
    assert!(
        (confirmed - after - 1.5).abs() < 0.05,
        "hours {after} → {confirmed}"
    );
    let record_href = v
        .find(css("#records a[href^='/records/']"))
        .await?
        .attr("href")
        .await?
        .context("record link")?;
    t.goto(&format!("{base}{record_href}")).await?;
    fill(t, "#minutes", "60").await?;
    click(t, "#correct button[type=submit]").await?;
    assert!(
        text_of(t, "#error-reason").await?.contains("原因"),
        "a correction needs a reason"
    );
    assert_eq!(
        t.find(css("#minutes")).await?.prop("value").await?.as_deref(),
        Some("60")
    );
    fill(t, "#reason", "实际服务1小时").await?;
    click(t, "#correct button[type=submit]").await?;
    assert!(text_of(t, "#notice").await?.contains("已更正"));
    let versions = text_of(t, ".versions").await?;
    assert!(
        versions.contains("第 3 版") && versions.contains("实际服务1小时"),
        "history: {versions}"
    );
    shot(t, "record").await?;
    v.goto(&format!("{base}/me/hours")).await?;
    let corrected: f64 = text_of(v, "#total-hours").await?.trim().parse()?;
    assert!(
        (corrected - after - 1.0).abs() < 0.05,
        "hours {after} → {corrected}"
    );

    // A certificate: issued, downloaded as a PDF, verified.
    v.goto(&format!("{base}/me/certificates")).await?;
    click(v, "#issue").await?;
    let notice = text_of(v, "#notice").await?;
    assert!(notice.contains("已出具证明"), "issued: {notice}");
    let pdf_href = wait_for(v, ".pdf-link")
        .await?
        .attr("href")
        .await?
        .context("pdf link")?;
    let cookie = v.get_named_cookie("zy_session").await?;
    let r = reqwest::Client::new()
        .get(format!("{base}{pdf_href}"))
        .header("Cookie", format!("zy_session={}", cookie.value()))
        .send()
        .await?;
    assert_eq!(r.status(), 200, "PDF download");
    assert_eq!(
        r.headers().get("content-type").and_then(|h| h.to_str().ok()),
        Some("application/pdf")
    );
    assert!(r
        .headers()
        .get("content-disposition")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|d| d.starts_with("attachment")));
    let body = r.bytes().await?;
    assert!(body.starts_with(b"%PDF"), "a PDF");
    // Without the session it is not served.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .get(format!("{base}{pdf_href}"))
        .send()
        .await?;
    assert_eq!(r.status(), 303, "anonymous download goes to the login page");

    click(v, ".verify-link").await?;
    wait_for_path(v, "/verify/").await?;
    let verdict = text_of(v, ".verdict-title").await?;
    assert_eq!(verdict, "真实有效");
    let page = main_text(v).await?;
    assert!(
        page.contains("社区助老送餐") && page.contains("********"),
        "what it certifies: {page}"
    );
    shot(v, "verify").await?;
    // A wrong signature fragment is not genuine, and shows nothing of the certificate.
    let url = v.current_url().await?;
    let sig: String = url
        .query_pairs()
        .find(|(k, _)| k == "s")
        .map(|(_, v)| v.into_owned())
        .context("the QR link carries the signature")?;
    let no = url.path().trim_start_matches("/verify/").to_owned();
    v.goto(&format!("{base}{}?s=0000000000000000", url.path()))
        .await?;
    assert_eq!(text_of(v, ".verdict-title").await?, "无法验证");
    assert!(
        !main_text(v).await?.contains("社区助老送餐"),
        "no contents without the genuine code"
    );
    // /verify: the number and the printed signature typed in by hand (in groups, as printed).
    v.goto(&format!("{base}/verify")).await?;
    click(v, "#verify-button").await?;
    assert!(text_of(v, "#error-no").await?.contains("证明编号"));
    fill(v, "#no", &no).await?;
    let printed: Vec<String> = sig
        .chars()
        .take(16)
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect())
        .collect();
    fill(v, "#s", &printed.join(" ")).await?;
    shot(v, "verify-form").await?;
    click(v, "#verify-button").await?;
    wait_for_path(v, "/verify/").await?;
    assert_eq!(text_of(v, ".verdict-title").await?, "真实有效");

    // The public pages on a phone: the project list and the honor roll.
    v.set_window_size(390, 844).await?;
    v.goto(&format!("{base}/projects")).await?;
    wait_for(v, ".project-card").await?;
    shot(v, "projects-phone").await?;
    let overflow = v
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
    v.goto(&format!("{base}/honor-roll")).await?;
    wait_for(v, ".honor-line").await?;
    shot(v, "honor-phone").await?;

    // Scanning while logged out goes to the login page and keeps the token for afterwards.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .get(&checkin_url)
        .send()
        .await?;
    let to = r
        .headers()
        .get("location")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    assert!(
        to.starts_with("/login?next=/checkin%3Ft%3D"),
        "login keeps the token: {to}"
    );

    // The honor roll is public.
    let anon = reqwest::get(format!("{base}/honor-roll")).await?;
    assert_eq!(anon.status(), 200);
    assert!(anon.text().await?.contains("光荣榜"));
    Ok(())
}
