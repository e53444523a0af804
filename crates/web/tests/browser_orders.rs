//! Residents' needs in headless Chromium: a resident orders from the local menu, the 建外 office
//! dispatches the order to a volunteer from the matching engine's suggestions, the volunteer
//! accepts and completes it with the minutes served, the resident rates it, and the volunteer's
//! hours page shows the new record.
//!
//! Skips itself when Chromium is not installed, unless `ZHIYUAN_REQUIRE_BROWSER` is set:
//! `ZHIYUAN_REQUIRE_BROWSER=1 cargo test -p zhiyuan-web --test browser_orders`.

#[path = "support/browser.rs"]
mod browser;

use anyhow::{Context, Result};
use browser::{
    click, css, fill, local_in, log_in, main_text, set_value, start_server, wait_for, wait_for_path,
    wait_for_text,
};
use fantoccini::Client;

/// A 建外 community: the demo gives it a station below the 建外 institute.
const PLACE: &str = "110105001001";

async fn log_out(c: &Client, base: &str) -> Result<()> {
    c.goto(&format!("{base}/")).await?;
    click(c, "form[action='/logout'] button").await?;
    wait_for(c, "a.who-login").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_order_is_dispatched_served_and_rated_in_a_browser() -> Result<()> {
    let Some(resident) = browser::Browser::start().await? else {
        return Ok(());
    };
    let Some(staff) = browser::Browser::start().await? else {
        return Ok(());
    };
    let result = run(&resident.client, &staff.client).await;
    if result.is_err() {
        for (name, b) in [("resident", &resident), ("staff", &staff)] {
            let _ = b
                .screenshot(&std::env::temp_dir().join(format!("zhiyuan-orders-failure-{name}.png")))
                .await;
            if let Ok(src) = b.client.source().await {
                eprintln!("{name} page at failure:\n{src}");
            }
        }
    }
    resident.close().await?;
    staff.close().await?;
    result
}

async fn run(r: &Client, s: &Client) -> Result<()> {
    let data = tempfile::tempdir()?;
    let (base, app) = start_server(data.path()).await?;
    // The demo volunteer, to find among the suggestions on the dispatch screen.
    let (vid, _vno) = {
        let mut c = app.store.read().await?;
        let acc = zhiyuan_store::auth::accounts::by_username(&mut c, "volunteer")
            .await?
            .context("demo volunteer")?;
        let vid = acc.volunteer_id.context("volunteer record")?;
        let v = zhiyuan_store::people::volunteers::get(&mut c, vid)
            .await?
            .context("volunteer row")?;
        (vid, v.volunteer_no.context("volunteer number")?)
    };

    // The demo volunteer lives at a known point and is free all week, so that the suggestion
    // does not depend on the time of day the test runs; the index is told, as after an edit.
    let (home_lat, home_lon) = (39.9075, 116.4410);
    {
        let mut tx = app.store.write().await?;
        sqlx::query("UPDATE volunteers SET lat = $1, lon = $2, availability = $3 WHERE id = $4")
            .bind(home_lat)
            .bind(home_lon)
            .bind(zhiyuan_domain::people::availability::WeeklyAvailability::all().to_hex())
            .bind(vid)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    app.orders().refresh_match_entry(vid).await?;
    // an item that needs no particular skill
    let item_id = app
        .orders()
        .menu_for_region(PLACE)
        .await?
        .items
        .into_iter()
        .find(|i| i.skills.is_empty())
        .context("an item without skills")?
        .id;

    // The resident chooses the place, sees its menu and orders.
    log_in(r, &base, "resident", "/orders/new").await?;
    // 找街道或社区: typing the community's name narrows the picker to it
    let place = app.network().region(PLACE).await?.name;
    fill(r, "#place_q", &place).await?;
    let found = wait_for_text(r, "#place-count", "找到").await?;
    assert!(found.contains("找到"), "{found}");
    let shown = r
        .execute(
            "return Array.from(document.querySelectorAll('#region option[data-search]')).filter(o => !o.hidden).map(o => o.value)",
            vec![],
        )
        .await?;
    let shown: Vec<String> = serde_json::from_value(shown)?;
    assert!(shown.contains(&PLACE.to_owned()), "{shown:?}");
    assert!(shown.len() < 10, "narrowed: {shown:?}");
    r.find(css("#region")).await?.select_by_value(PLACE).await?;
    click(r, "#show-menu").await?;
    wait_for(r, "#order-form").await?;
    let site = r.find(css("#covering-site")).await?.text().await?;
    assert!(
        site.contains("新时代文明实践站"),
        "the community's station takes it: {site}"
    );
    // a window in the past is refused beside the field, the input kept
    r.find(css(&format!("input[name=item_id][value='{item_id}']")))
        .await?
        .click()
        .await?;
    fill(r, "#address", "建外测试小区3号楼2单元501").await?;
    fill(r, "#lat", &format!("{}", home_lat + 0.004)).await?;
    fill(r, "#lon", &format!("{home_lon}")).await?;
    set_value(r, "#window_start", &local_in(-120)).await?;
    set_value(r, "#window_end", &local_in(-60)).await?;
    click(r, "#submit-order").await?;
    let err = wait_for(r, "#error-window").await?.text().await?;
    assert!(err.contains("不能早于现在"), "{err}");
    set_value(r, "#window_start", &local_in(120)).await?;
    set_value(r, "#window_end", &local_in(240)).await?;
    fill(r, "#notes", "老人独居，需要陪同就医").await?;
    fill(r, "#contact_phone", "13800138000").await?;
    click(r, "#submit-order").await?;
    let at = wait_for_path(r, "/orders/").await?;
    let id: i64 = at
        .trim_start_matches("/orders/")
        .parse()
        .ok()
        .with_context(|| format!("order id in {at}"))?;
    assert_eq!(wait_for(r, "#order-status").await?.text().await?, "待派单");
    // each fact is a label beside its value (a <dt> outside its row would pair labels and values wrongly)
    assert!(
        r.find_all(css("dl.facts > dt")).await?.is_empty(),
        "dt and dd pairs sit in their own rows"
    );
    // cancelling is behind a disclosure: a second tap where 提交点单 was cannot cancel
    assert!(
        !r.find(css("#cancel-button")).await?.is_displayed().await?,
        "the cancel button is hidden until asked for"
    );
    let item = r.find(css("main h1")).await?.text().await?;

    // The 建外 office finds it in its queue and dispatches it to the volunteer the matching
    // engine suggests, about 450 m away.
    log_in(s, &base, "jianwai", "/orders/queue").await?;
    wait_for(s, &format!("#order-{id}")).await?;
    s.goto(&format!("{base}/orders/{id}/dispatch")).await?;
    let suggested = wait_for(s, "#suggested").await?.text().await?;
    assert!(suggested.contains("5 公里内"), "{suggested}");
    let line = s
        .find(css(&format!("#suggested input[value='{vid}']")))
        .await
        .with_context(|| format!("the demo volunteer among the suggestions: {suggested}"))?;
    line.click().await?;
    let label = s
        .find(css(&format!("#suggested label:has(input[value='{vid}'])")))
        .await?
        .text()
        .await?;
    assert!(
        label.contains("距离 0.4 公里") && label.contains("该时段有空"),
        "{label}"
    );
    click(s, "#dispatch-suggested").await?;
    wait_for_path(s, &format!("/orders/{id}")).await?;
    assert_eq!(wait_for(s, "#order-status").await?.text().await?, "已派单");
    log_out(s, &base).await?;

    // The volunteer accepts, then completes with the minutes served.
    log_in(s, &base, "volunteer", "/orders/for-me").await?;
    let offer = wait_for(s, "li[id^=offer-]").await?;
    offer
        .find(css("form[action$='/accept'] button"))
        .await?
        .click()
        .await?;
    wait_for_path(s, &format!("/orders/{id}")).await?;
    assert_eq!(wait_for(s, "#order-status").await?.text().await?, "已接单");
    // Too early (the service has not begun): refused beside the report, everything kept.
    fill(s, "#report", "陪同老人到社区卫生服务站复诊").await?;
    fill(s, &format!("#m_{vid}"), "150").await?;
    click(s, "#complete-button").await?;
    let err = wait_for(s, "#error-report").await?.text().await?;
    assert!(err.contains("尚未到"), "{err}");
    let kept = s
        .find(css("#report"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(kept, "陪同老人到社区卫生服务站复诊", "the report is kept");
    let minutes = s
        .find(css(&format!("#m_{vid}")))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(minutes, "150", "the minutes are kept");
    assert!(
        !main_text(s).await?.contains("志愿者ID"),
        "no internal ids asked for"
    );
    // Once it has begun, the same form goes through.
    {
        let start = chrono::Utc::now().timestamp_millis() - 3_600_000;
        let mut tx = app.store.write().await?;
        sqlx::query("UPDATE orders SET window_start = $1, window_end = $2 WHERE id = $3")
            .bind(start)
            .bind(start + 2 * 3_600_000)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    click(s, "#complete-button").await?;
    // the page already shows the acceptance notice: wait for the completed order, not any notice
    wait_for_text(s, "#order-status", "已完成").await?;
    assert_eq!(wait_for(s, "#order-status").await?.text().await?, "已完成");

    // The resident sees it done and rates it.
    r.goto(&format!("{base}/orders/mine")).await?;
    let form = wait_for(r, &format!("#order-{id} .rate-form")).await?;
    form.find(css("input[value='4']")).await?.click().await?;
    form.find(css("input[name=comment]"))
        .await?
        .send_keys("志愿者很耐心")
        .await?;
    form.find(css("button")).await?.click().await?;
    // the form posts back to this page: wait for the new one
    let text = wait_for_text(r, "main", "我的评价：4 星 志愿者很耐心").await?;
    assert!(text.contains("已评价"), "{text}");

    // The volunteer's hours show the record made of the order: 150 minutes → 2.5 hours.
    s.goto(&format!("{base}/me/hours")).await?;
    wait_for(s, "#records").await?;
    let hours = s.find(css("#records")).await?.text().await?;
    let line = hours
        .lines()
        .find(|l| l.contains(&format!("点单服务：{item}")))
        .with_context(|| format!("no record of {item} in {hours}"))?;
    assert!(line.contains("2.5"), "{line}");
    // and the notices page tells the volunteer about the dispatch
    s.goto(&format!("{base}/notices")).await?;
    let text = main_text(s).await?;
    assert!(text.contains("新派单"), "{text}");
    Ok(())
}
