//! Matching volunteers to a need through the app: registration feeds the index, a changed row is
//! picked up by a refresh, and a rebuild from the store agrees. Every body on SQLite and
//! PostgreSQL.

mod support;

use chrono::TimeZone;
use serde_json::json;
use support::app::{spawn_app, Db, TestApp};
use support::world::PW;
use zhiyuan_app::orders::matching::{window_cells, Query};

const TIANANMEN: (f64, f64) = (39.9055, 116.3976);

/// The latitude `m` metres north of Tiananmen.
fn north(m: f64) -> f64 {
    TIANANMEN.0 + m / 111_195.0
}

/// Registers a volunteer themselves; returns the id.
async fn register(t: &TestApp, i: u32, at: Option<f64>, skills: &[&str], availability: &str) -> i64 {
    let mut body = json!({
        "name": "匹配测试", "resident_id": support::app::new_resident_id("110105"),
        "phone": format!("1367788{i:04}"), "region_code": "110105001000", "password": PW,
        "skills": skills, "availability": availability,
    });
    if let Some(lat) = at {
        body["lat"] = json!(lat);
        body["lon"] = json!(TIANANMEN.1);
    }
    let r = t.post("/api/v1/register", None, body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["volunteer"]["id"].as_i64().unwrap()
}

/// Wednesday 2026-11-25, 19:00–20:00 in Beijing.
fn wednesday_evening() -> (i64, i64) {
    let start = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 11, 25, 19, 0, 0)
        .single()
        .unwrap()
        .timestamp_millis();
    (start, start + 3_600_000)
}

fn need(skills: &[&str]) -> Query {
    let (start, end) = wednesday_evening();
    Query {
        lat: TIANANMEN.0,
        lon: TIANANMEN.1,
        radius_m: 5_000.0,
        skills: skills.iter().map(|s| s.to_string()).collect(),
        window: window_cells(start, end),
        max_load: Some(3),
        only: None,
        k: 10,
        now_ms: end,
    }
}

fn ids(t: &TestApp, q: &Query) -> Vec<i64> {
    t.app.orders().match_volunteers(q).iter().map(|h| h.id).collect()
}

async fn exec(t: &TestApp, sql: &str, id: i64) {
    let mut tx = t.app.store.write().await.unwrap();
    sqlx::query(sql).bind(id).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

async fn registered_volunteers_are_matched_and_updates_are_reflected(t: TestApp) {
    let a = register(&t, 1, Some(north(500.0)), &["急救", "驾驶"], "工作日 18-21").await;
    let b = register(&t, 2, Some(north(1_500.0)), &["急救"], "工作日 18-21；周末 9-17").await;
    let c = register(&t, 3, Some(north(800.0)), &["手语"], "工作日 18-21").await;
    let _weekend = register(&t, 4, Some(north(300.0)), &["急救"], "周末 9-17").await;
    let _far = register(&t, 5, Some(north(20_000.0)), &["急救"], "每天 全天").await;
    let nowhere = register(&t, 6, None, &["急救"], "每天 全天").await;
    assert_eq!(t.app.orders().match_index_len(), 5);

    assert_eq!(ids(&t, &need(&["急救"])), [a, b]);
    assert_eq!(ids(&t, &need(&["急救", "驾驶"])), [a]);
    assert_eq!(ids(&t, &need(&["手语"])), [c]);
    assert!(ids(&t, &need(&["理发"])).is_empty());
    let hits = t.app.orders().match_volunteers(&need(&["急救"]));
    assert!((hits[0].distance_m - 500.0).abs() < 2.0, "{:?}", hits[0]);
    assert_eq!(hits[0].reason.load, 0);
    assert_eq!(hits[0].reason.days_since_served, None);

    // b moves next door: a refresh puts them first.
    exec(
        &t,
        &format!("UPDATE volunteers SET lat = {} WHERE id = $1", north(100.0)),
        b,
    )
    .await;
    assert_eq!(ids(&t, &need(&["急救"])), [a, b], "not refreshed yet");
    t.app.orders().refresh_match_entry(b).await.unwrap();
    assert_eq!(ids(&t, &need(&["急救"])), [b, a]);
    // a takes three orders: over the load limit.
    exec(&t, "UPDATE volunteers SET active_orders = 3 WHERE id = $1", a).await;
    t.app.orders().refresh_match_entry(a).await.unwrap();
    assert_eq!(ids(&t, &need(&["急救"])), [b]);
    // The volunteer without a position gets one; b loses theirs.
    exec(
        &t,
        &format!(
            "UPDATE volunteers SET lat = {}, lon = {} WHERE id = $1",
            north(50.0),
            TIANANMEN.1
        ),
        nowhere,
    )
    .await;
    t.app.orders().refresh_match_entry(nowhere).await.unwrap();
    exec(&t, "UPDATE volunteers SET lat = NULL WHERE id = $1", b).await;
    t.app.orders().refresh_match_entry(b).await.unwrap();
    assert_eq!(ids(&t, &need(&["急救"])), [nowhere]);
    assert_eq!(t.app.orders().match_index_len(), 5);
    // Unknown ids are harmless.
    t.app.orders().refresh_match_entry(9_999_999).await.unwrap();

    // A rebuild from the store agrees with the refreshed index.
    let before: Vec<_> = [&["急救"][..], &["手语"], &["急救", "驾驶"]]
        .iter()
        .map(|s| t.app.orders().match_volunteers(&need(s)))
        .collect();
    t.app.orders().rebuild_match_index().await.unwrap();
    let after: Vec<_> = [&["急救"][..], &["手语"], &["急救", "驾驶"]]
        .iter()
        .map(|s| t.app.orders().match_volunteers(&need(s)))
        .collect();
    assert_eq!(before, after);
    assert_eq!(t.app.orders().match_index_len(), 5);
}

both_backends!(registered_volunteers_are_matched_and_updates_are_reflected);
