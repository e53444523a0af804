//! `zhiyuan verify-records`: checks every volunteer's service-record hash chain.

use zhiyuan_app::service::records::ChainReport;
use zhiyuan_app::App;

/// The Chinese summary of a report; the second value is true when every chain is intact.
pub fn summary(report: &ChainReport) -> (String, bool) {
    let head = format!(
        "已校验 {} 名志愿者的 {} 条服务记录",
        report.chains, report.records
    );
    if report.broken.is_empty() {
        return (format!("{head}：全部完好"), true);
    }
    let mut text = format!("{head}：发现 {} 条记录链被篡改或损坏：", report.broken.len());
    for (volunteer_id, seq) in &report.broken {
        if *seq > 0 {
            text.push_str(&format!(
                "\n  志愿者 {volunteer_id}：第 {seq} 条起的记录无法通过校验"
            ));
        } else {
            text.push_str(&format!("\n  志愿者 {volunteer_id}：记录序号不连续"));
        }
    }
    (text, false)
}

/// Verifies, prints the summary and returns whether every chain is intact.
pub async fn run(app: &App) -> anyhow::Result<bool> {
    let report = app.service().verify_records().await?;
    let (text, ok) = summary(&report);
    if ok {
        println!("{text}");
    } else {
        eprintln!("{text}");
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhiyuan_app::demo::{DemoSize, DEMO_PASSWORD};
    use zhiyuan_app::service::records::{TeamEntry, TeamEntryLine};
    use zhiyuan_app::Settings;

    #[test]
    fn summary_names_broken_chains() {
        let clean = ChainReport {
            chains: 2,
            records: 5,
            broken: vec![],
        };
        assert_eq!(
            summary(&clean),
            ("已校验 2 名志愿者的 5 条服务记录：全部完好".to_owned(), true)
        );
        let bad = ChainReport {
            chains: 2,
            records: 5,
            broken: vec![(7, 2), (9, 0)],
        };
        let (text, ok) = summary(&bad);
        assert!(!ok);
        assert!(text.contains("志愿者 7：第 2 条起"), "{text}");
        assert!(text.contains("志愿者 9：记录序号不连续"), "{text}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tampering_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(&Settings::sqlite_in(dir.path())).await.unwrap();
        assert!(app.load_demo(DemoSize::SMALL).await.unwrap());
        let (_, admin) = app.auth().login("admin", DEMO_PASSWORD).await.unwrap();
        let (org_id,): (i64,) =
            sqlx::query_as("SELECT id FROM organizations WHERE kind = 'team' ORDER BY id LIMIT 1")
                .fetch_one(app.store.reader())
                .await
                .unwrap();
        // the demo data may hold records of its own: take two volunteers without any
        let before = app.service().verify_records().await.unwrap();
        assert!(before.broken.is_empty(), "{before:?}");
        let vids: Vec<(i64,)> = sqlx::query_as(
            "SELECT id FROM volunteers v WHERE NOT EXISTS \
             (SELECT 1 FROM service_records r WHERE r.volunteer_id = v.id) ORDER BY id LIMIT 2",
        )
        .fetch_all(app.store.reader())
        .await
        .unwrap();
        let (a, b) = (vids[0].0, vids[1].0);
        let date = zhiyuan_app::today().format("%Y-%m-%d").to_string();
        for (activity, minutes) in [("社区清扫", 120), ("敬老陪伴", 90)] {
            let entry = TeamEntry {
                organization_id: org_id,
                project_id: None,
                activity: activity.into(),
                service_date: date.clone(),
                place: "社区活动室".into(),
                content: "志愿服务".into(),
                person_in_charge: "王队长".into(),
                entries: vec![
                    TeamEntryLine {
                        volunteer_id: a,
                        minutes,
                    },
                    TeamEntryLine {
                        volunteer_id: b,
                        minutes,
                    },
                ],
                category: None,
            };
            app.service().enter_records(&admin, &entry).await.unwrap();
        }
        let report = app.service().verify_records().await.unwrap();
        assert_eq!(
            (report.chains, report.records),
            (before.chains + 2, before.records + 4)
        );
        assert!(report.broken.is_empty(), "{report:?}");
        assert!(run(&app).await.unwrap());

        // Tamper with b's second record behind the application's back.
        let (rid,): (i64,) =
            sqlx::query_as("SELECT id FROM service_records WHERE volunteer_id = $1 AND chain_seq = 2")
                .bind(b)
                .fetch_one(app.store.reader())
                .await
                .unwrap();
        let mut tx = app.store.write().await.unwrap();
        sqlx::query("DROP TRIGGER service_records_no_update")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("UPDATE service_records SET minutes = minutes + 60 WHERE id = $1")
            .bind(rid)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let report = app.service().verify_records().await.unwrap();
        assert_eq!(report.broken, vec![(b, 2)]);
        let (text, ok) = summary(&report);
        assert!(!ok);
        assert!(text.contains(&format!("志愿者 {b}")), "{text}");
        assert!(!run(&app).await.unwrap());
        app.store.close().await;
    }
}
