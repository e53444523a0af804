//! `zhiyuan rebuild-stats` and `zhiyuan verify-stats`.

use zhiyuan_app::stats::upkeep::StatsReport;
use zhiyuan_app::App;

/// What `verify-stats` prints, and whether everything agreed.
fn summary(r: &StatsReport) -> (String, bool) {
    if r.differences.is_empty() {
        (
            format!(
                "已按服务记录与志愿者重新计算 {} 个汇总单元（{} 个明细单元）：与存储和内存中的统计完全一致",
                r.cells, r.leaves
            ),
            true,
        )
    } else {
        let mut text = format!("统计与记录不符（{} 处，最多列出 50 处）：", r.differences.len());
        for d in &r.differences {
            text.push_str("\n  ");
            text.push_str(d);
        }
        text.push_str("\n可运行 zhiyuan rebuild-stats 按记录重建统计。");
        (text, false)
    }
}

/// Recomputes every figure from the rows; `false` (exit code 1) on any difference.
pub async fn verify(app: &App) -> anyhow::Result<bool> {
    let (text, ok) = summary(&app.stats().verify().await?);
    if ok {
        println!("{text}");
    } else {
        eprintln!("{text}");
    }
    Ok(ok)
}

/// Rebuilds the stored roll-ups from the rows.
pub async fn rebuild(app: &App) -> anyhow::Result<()> {
    let (cells, leaves) = app.stats().rebuild().await?;
    println!("已按服务记录重建统计：{cells} 个汇总单元，{leaves} 个明细单元");
    Ok(())
}

#[cfg(test)]
mod tests {
    use zhiyuan_app::demo::DemoSize;
    use zhiyuan_app::Settings;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tampered_roll_up_is_found_and_a_rebuild_mends_it() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::sqlite_in(dir.path());
        let app = App::open(&settings).await.unwrap();
        assert!(app.load_demo(DemoSize::SMALL).await.unwrap());
        assert!(
            verify(&app).await.unwrap(),
            "the demo's figures agree with its rows"
        );
        // someone edits a stored cell behind the application's back
        let mut tx = app.store.write().await.unwrap();
        sqlx::query("UPDATE stats_cells SET minutes = minutes + 60 WHERE rowid = (SELECT MIN(rowid) FROM stats_cells)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let report = app.stats().verify().await.unwrap();
        assert!(!report.differences.is_empty());
        assert!(
            report.differences[0].starts_with("存储的汇总与记录不符"),
            "{:?}",
            report.differences
        );
        let (text, ok) = summary(&report);
        assert!(!ok && text.contains("rebuild-stats"));
        // a restart reads the tampered cell into memory too; a rebuild mends both
        drop(app);
        let app = App::open(&settings).await.unwrap();
        assert!(!verify(&app).await.unwrap());
        rebuild(&app).await.unwrap();
        assert!(verify(&app).await.unwrap());
    }
}
