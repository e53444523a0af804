//! Importing a roster as a team's admin meets it, in headless Chromium: upload a messy roster
//! whose ID column the platform cannot name, map it in the preview, import, take the workbook
//! of refused rows, fix a row in it, upload it again (the mapping is remembered), and see only
//! the fixed row added.
//!
//! Skips itself when Chromium is not installed, unless `ZHIYUAN_REQUIRE_BROWSER` is set.

#[path = "support/browser.rs"]
mod browser;

use anyhow::{ensure, Context, Result};
use base64::Engine;
use browser::{click, log_in, start_server, wait_for, wait_for_text};
use fantoccini::Client;
use rust_xlsxwriter::Workbook;
use zhiyuan_domain::people::resident_id::ResidentId;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_admin_imports_a_roster_and_its_fixed_error_rows() -> Result<()> {
    let Some(b) = browser::Browser::start().await? else {
        return Ok(());
    };
    let result = run(&b.client).await;
    if result.is_err() {
        let _ = b
            .screenshot(&std::env::temp_dir().join("zhiyuan-imports-failure.png"))
            .await;
        if let Ok(src) = b.client.source().await {
            eprintln!("page at failure:\n{src}");
        }
    }
    b.close().await?;
    result
}

fn id(birth: (i32, u32, u32), seq: u16) -> String {
    let d = chrono::NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap();
    ResidentId::compose("110105", d, seq).unwrap().as_str().to_owned()
}

fn save(rows: &[Vec<String>], path: &std::path::Path) -> Result<()> {
    let mut book = Workbook::new();
    let s = book.add_worksheet();
    for (i, row) in rows.iter().enumerate() {
        for (j, c) in row.iter().enumerate() {
            if !c.is_empty() {
                s.write_string(i as u32, j as u16, c)?;
            }
        }
    }
    book.save(path)?;
    Ok(())
}

async fn text(c: &Client, selector: &str) -> Result<String> {
    Ok(wait_for(c, selector).await?.text().await?.trim().to_owned())
}

/// Uploads `path` from the upload page and waits for the preview.
async fn upload(c: &Client, base: &str, path: &std::path::Path) -> Result<()> {
    c.goto(&format!("{base}/imports")).await?;
    wait_for(c, "#file")
        .await?
        .send_keys(&path.to_string_lossy())
        .await?;
    click(c, "form.form button[type=submit]").await?;
    wait_for_text(c, "h1", "核对后导入").await?;
    Ok(())
}

/// Names column B as the resident ID and checks again.
async fn map_ids(c: &Client) -> Result<()> {
    let errors = text(c, "#form-errors").await?;
    ensure!(errors.contains("缺少必填列：身份证号"), "{errors}");
    ensure!(
        c.find(browser::css("#confirm-import"))
            .await?
            .attr("disabled")
            .await?
            .is_some(),
        "nothing to import before the mapping is complete"
    );
    wait_for(c, "#map_1")
        .await?
        .select_by_value("resident_id")
        .await?;
    click(c, "#mapping-form button.secondary").await?;
    // the page again, without the complaint
    for _ in 0..100 {
        if c.find(browser::css("#form-errors")).await.is_err() {
            wait_for(c, "#import-rows").await?;
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    anyhow::bail!("the mapping was not taken: {}", text(c, "#form-errors").await?)
}

async fn run(c: &Client) -> Result<()> {
    let data = tempfile::tempdir()?;
    let (base, app) = start_server(data.path()).await?;
    let good = [id((1990, 3, 7), 11), id((1991, 4, 8), 22)];
    let fixed = id((1985, 5, 9), 33);
    let mut broken = fixed[..17].to_owned();
    broken.push(if fixed.ends_with('0') { '1' } else { '0' });
    let header = |cells: &[&str]| cells.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let rows = vec![
        header(&["2026年建外街道志愿者名册"]),
        header(&["姓名", "证件", "手机号（必填）", "备注"]),
        header(&["卫 一", &good[0], "+86 139-0000-0101", ""]),
        header(&["蒋二", &good[1].to_lowercase(), "13900000102", ""]),
        header(&["沈三", &broken, "13900000103", ""]),
        header(&["韩四", &id((1979, 6, 10), 44), "1390000", ""]),
        header(&["合计", "4人"]),
    ];
    let file = data.path().join("名册.xlsx");
    save(&rows, &file)?;

    // a phone: upload, name the ID column, import
    c.set_window_rect(0, 0, 390, 844).await?;
    log_in(c, &base, "team", "/volunteers").await?;
    click(c, "#import-roster").await?;
    wait_for(c, "#file").await?;
    upload(c, &base, &file).await?;
    map_ids(c).await?;
    ensure!(text(c, "#count-created").await? == "2", "two good rows");
    ensure!(text(c, "#count-refused").await? == "2", "two refused");
    let rows_text = text(c, "#import-rows").await?;
    ensure!(
        rows_text.contains("第 5 行") && rows_text.contains("校验位错误"),
        "{rows_text}"
    );
    ensure!(!rows_text.contains(&good[0]), "IDs are masked in the preview");
    click(c, "#confirm-import").await?;
    wait_for_text(c, "h1", "导入完成").await?;
    ensure!(text(c, "#count-created").await? == "2");

    // the refused rows, fixed in the workbook, imported again on a desktop
    c.set_window_rect(0, 0, 1280, 900).await?;
    let href = c
        .find(browser::css("#error-book"))
        .await?
        .attr("href")
        .await?
        .context("a download link")?;
    let b64 = href.split_once("base64,").context("a data URL")?.1;
    let book = base64::engine::general_purpose::STANDARD.decode(b64)?;
    let sheet = zhiyuan_app::imports::read::read(&book, None).map_err(|e| anyhow::anyhow!(e.message_zh()))?;
    ensure!(sheet.rows.len() == 3, "a header and two rows: {:?}", sheet.rows);
    ensure!(sheet.rows[0].iter().any(|c| c.shown() == "错误原因"));
    let mut again: Vec<Vec<String>> = sheet
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.shown()).collect())
        .collect();
    let at = again
        .iter()
        .position(|r| r[0] == "沈三")
        .context("the broken row")?;
    again[at][1] = fixed.clone();
    let fixed_file = data.path().join("名册-错误行.xlsx");
    save(&again, &fixed_file)?;
    // the team mapped 证件 once: its next files are read the same way
    upload(c, &base, &fixed_file).await?;
    ensure!(
        c.find(browser::css("#form-errors")).await.is_err(),
        "the mapping is remembered"
    );
    ensure!(text(c, "#count-created").await? == "1", "only the fixed row");
    click(c, "#confirm-import").await?;
    wait_for_text(c, "h1", "导入完成").await?;
    ensure!(
        text(c, "#count-refused").await? == "1",
        "the phone is still wrong"
    );

    // the first file once more: everybody is registered already
    upload(c, &base, &file).await?;
    ensure!(text(c, "#count-created").await? == "0");
    ensure!(text(c, "#count-existing").await? == "2");
    let mut conn = app.store.read().await?;
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM volunteers WHERE name IN ('卫一', '蒋二', '沈三')")
            .fetch_one(&mut *conn)
            .await?;
    ensure!(n == 3, "each registered once: {n}");
    Ok(())
}
