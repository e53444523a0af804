//! Statistics and event tallies as their users meet them, in headless Chromium: the district
//! office opens 统计, clicks a township's bar, then a figure, and lands on the list behind it
//! with the same count; a post leader enters a day's tally on a phone and sees the event's
//! total change.
//!
//! Skips itself when Chromium is not installed, unless `ZHIYUAN_REQUIRE_BROWSER` is set.

#[path = "support/browser.rs"]
mod browser;

use anyhow::{ensure, Context, Result};
use browser::{click, fill, log_in, start_server, wait_for, wait_for_path, wait_for_text};
use fantoccini::Client;
use zhiyuan_app::events::{EventInput, MetricInput, PostInput};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_drills_down_and_a_post_leader_enters_a_tally() -> Result<()> {
    let Some(b) = browser::Browser::start().await? else {
        return Ok(());
    };
    let result = run(&b.client).await;
    if result.is_err() {
        let _ = b
            .screenshot(&std::env::temp_dir().join("zhiyuan-stats-failure.png"))
            .await;
        if let Ok(src) = b.client.source().await {
            eprintln!("page at failure:\n{src}");
        }
    }
    b.close().await?;
    result
}

async fn text(c: &Client, selector: &str) -> Result<String> {
    Ok(wait_for(c, selector).await?.text().await?.trim().to_owned())
}

async fn run(c: &Client) -> Result<()> {
    let data = tempfile::tempdir()?;
    let (base, app) = start_server(data.path()).await?;

    // desktop: the district dashboard, a township bar, then a figure
    c.set_window_rect(0, 0, 1280, 900).await?;
    log_in(c, &base, "chaoyang", "/stats").await?;
    wait_for(c, "#chart-regions").await?;
    let bar = c.find(browser::css("#chart-regions a")).await?;
    let township_href = bar.attr("href").await?.context("a bar links")?;
    ensure!(township_href.contains("region=110105"), "{township_href}");
    bar.click().await?;
    wait_for_text(c, "h1", "街道").await?;
    let records = text(c, "#fig-records").await?;
    let active = text(c, "#fig-active").await?;
    ensure!(records.parse::<i64>()? > 0, "the township has records: {records}");
    click(c, "a.stat[href^='/stats/records']").await?;
    wait_for_path(c, "/stats/records").await?;
    ensure!(
        text(c, "#list-records").await? == records,
        "the list counts what the figure said"
    );
    c.back().await?;
    click(c, "a.stat[href^='/stats/volunteers']").await?;
    wait_for_path(c, "/stats/volunteers").await?;
    ensure!(
        text(c, "#list-active").await? == active,
        "the people behind 活跃志愿者"
    );

    // an event with a post the demo team admin leads
    let (_, office) = app
        .auth()
        .login("chaoyang", zhiyuan_app::demo::DEMO_PASSWORD)
        .await?;
    let today = zhiyuan_app::today();
    let e = app
        .events()
        .create_event(
            &office,
            &EventInput {
                name: "春运公共文明引导".into(),
                starts_on: (today - chrono::Duration::days(3)).to_string(),
                ends_on: (today + chrono::Duration::days(3)).to_string(),
                region_code: String::new(),
                posts: vec![PostInput {
                    name: "北京站".into(),
                    region_code: String::new(),
                    leader: "team".into(),
                }],
                metrics: vec![
                    MetricInput {
                        name: "照顾老幼病残孕乘客".into(),
                        unit: "人次".into(),
                    },
                    MetricInput {
                        name: "捡拾物品".into(),
                        unit: "件".into(),
                    },
                ],
            },
        )
        .await?;
    let metric = e.metrics[0].id;

    // a phone: the post leader fills in today's numbers (a double tap counts once)
    c.delete_all_cookies().await?;
    c.set_window_rect(0, 0, 390, 844).await?;
    log_in(c, &base, "team", &format!("/events/{}", e.id)).await?;
    ensure!(text(c, &format!("#total-{metric}")).await? == "0");
    click(c, "#enter-tally").await?;
    wait_for(c, "#tally-form").await?;
    fill(c, &format!("#m{metric}"), "128").await?;
    fill(c, "#guides", "6").await?;
    fill(c, "#hours", "36").await?;
    c.execute(
        "var b = document.getElementById('submit-tally'); b.click(); b.click();",
        vec![],
    )
    .await?;
    wait_for(c, "#notice").await?;
    ensure!(
        text(c, &format!("#total-{metric}")).await? == "128",
        "the total took the day's count once"
    );
    ensure!(text(c, "#total-hours").await? == "36.0");
    std::fs::write("/tmp/zhiyuan-stats-event-phone.png", c.screenshot().await?)?;
    Ok(())
}
