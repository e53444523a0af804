//! `Idempotency-Key` over real HTTP, on SQLite and PostgreSQL: a retried write is applied once
//! and answered with the first response; the same key with another body is refused; a key
//! belongs to its caller; a failed request frees its key.

mod support;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use support::app::{spawn_app, Db, TestApp};
use support::world::{self, World};

const PLACE: &str = "110105001001";

async fn count(t: &TestApp, sql: &str) -> i64 {
    let mut c = t.app.store.read().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *c).await.unwrap();
    n
}

fn team_entry(w: &World, minutes: i64) -> Value {
    json!({"organization_id": w.team_a, "activity": "垃圾分类宣传", "service_date": zhiyuan_app::today().to_string(),
           "place": "建外街道", "content": "入户宣传", "person_in_charge": "王队长",
           "entries": [{"volunteer_id": w.v_a, "minutes": minutes}]})
}

async fn order_body(t: &TestApp) -> Value {
    let m = t.get(&format!("/api/v1/menu?region_code={PLACE}"), None).await;
    let item = m.body["items"][0]["id"].as_i64().unwrap();
    let at = |h: i64| (Utc::now() + Duration::hours(h)).to_rfc3339();
    json!({"item_id": item, "region_code": PLACE, "address": "建外测试社区3号楼", "lat": 39.9087, "lon": 116.45,
           "window_start": at(3), "window_end": at(5), "people": 1, "notes": "",
           "contact_name": "张大妈", "contact_phone": "13800138000"})
}

/// Sends the same keyed request twice; asserts the replay is the first answer, marked replayed.
async fn twice(t: &TestApp, path: &str, token: &str, key: &str, body: Value, status: u16) -> Value {
    let first = t.post_keyed(path, Some(token), key, body.clone()).await;
    assert_eq!(first.status.as_u16(), status, "{path}: {}", first.body);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let again = t.post_keyed(path, Some(token), key, body).await;
    assert_eq!(again.status.as_u16(), status, "replay of {path}: {}", again.body);
    assert_eq!(
        again.body, first.body,
        "the replay answers with the first response"
    );
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap()),
        Some("true")
    );
    first.body
}

async fn a_retried_team_entry_credits_the_hours_once(t: TestApp) {
    let w = world::build(&t).await;
    let before = count(&t, "SELECT COUNT(*) FROM service_records").await;
    twice(
        &t,
        "/api/v1/records/team-entry",
        &w.team_a_admin,
        "entry-1",
        team_entry(&w, 120),
        201,
    )
    .await;
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM service_records").await,
        before + 1
    );
    // without a key, a second send is a second entry, as before
    let r = t
        .post(
            "/api/v1/records/team-entry",
            Some(&w.team_a_admin),
            team_entry(&w, 120),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM service_records").await,
        before + 2
    );
}

async fn the_same_key_with_another_body_is_refused(t: TestApp) {
    let w = world::build(&t).await;
    let path = "/api/v1/records/team-entry";
    let first = t
        .post_keyed(path, Some(&w.team_a_admin), "k-2", team_entry(&w, 60))
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let other = t
        .post_keyed(path, Some(&w.team_a_admin), "k-2", team_entry(&w, 90))
        .await;
    assert_eq!(
        (other.status.as_u16(), other.code()),
        (422, "idempotency_key_reused"),
        "{}",
        other.body
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM service_records WHERE minutes = 90").await,
        0
    );
    let bad = t
        .post_keyed(path, Some(&w.team_a_admin), "with space", team_entry(&w, 60))
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (400, "idempotency_key_invalid")
    );
}

async fn keys_belong_to_their_caller(t: TestApp) {
    let w = world::build(&t).await;
    let path = "/api/v1/records/team-entry";
    let a = t
        .post_keyed(path, Some(&w.team_a_admin), "shared-key", team_entry(&w, 60))
        .await;
    assert_eq!(a.status, 201);
    // another account using the same key string gets its own request run, not a's answer
    let b = t
        .post_keyed(path, Some(&w.chaoyang), "shared-key", team_entry(&w, 60))
        .await;
    assert_eq!(b.status, 201, "{}", b.body);
    assert!(b.headers.get("idempotent-replayed").is_none());
    assert_ne!(a.body[0]["id"], b.body[0]["id"]);
}

async fn a_failed_request_frees_its_key(t: TestApp) {
    let w = world::build(&t).await;
    let path = "/api/v1/records/team-entry";
    let bad = t
        .post_keyed(path, Some(&w.team_a_admin), "k-fail", team_entry(&w, 0))
        .await;
    assert_eq!(bad.status, 422);
    // corrected and resent with the same key (a different body): it runs, once
    let good = t
        .post_keyed(path, Some(&w.team_a_admin), "k-fail", team_entry(&w, 60))
        .await;
    assert_eq!(good.status, 201, "{}", good.body);
    let again = t
        .post_keyed(path, Some(&w.team_a_admin), "k-fail", team_entry(&w, 60))
        .await;
    assert_eq!(again.body, good.body);
}

async fn retried_order_dispatch_declaration_and_certificate_apply_once(t: TestApp) {
    let w = world::build(&t).await;
    // 点单
    let body = order_body(&t).await;
    let orders_before = count(&t, "SELECT COUNT(*) FROM orders").await;
    let o = twice(&t, "/api/v1/orders", &w.resident, "order-1", body, 201).await;
    assert_eq!(count(&t, "SELECT COUNT(*) FROM orders").await, orders_before + 1);
    let id = o["id"].as_i64().unwrap();

    // 派单: a retry neither opens round 2 nor notifies again
    let notices = count(&t, "SELECT COUNT(*) FROM notices").await;
    let d = twice(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        "dispatch-1",
        json!({"target": "volunteers", "volunteer_ids": [w.v_self], "note": "请联系"}),
        200,
    )
    .await;
    assert_eq!(d["round"], 1);
    let o = t
        .get(&format!("/api/v1/orders/{id}"), Some(&w.jw_site_admin))
        .await;
    assert_eq!(o.body["round"], 1, "{}", o.body);
    let after_first = count(&t, "SELECT COUNT(*) FROM notices").await;
    assert!(after_first > notices);
    assert_eq!(
        count(
            &t,
            &format!("SELECT COUNT(*) FROM order_offers WHERE order_id = {id}")
        )
        .await,
        1
    );

    // 申报: a member declares hours; the retry adds no second pending record
    let join = t
        .post(
            &format!("/api/v1/organizations/{}/join-requests", w.team_a),
            Some(&w.volunteer),
            json!({}),
        )
        .await;
    t.post(
        &format!("/api/v1/join-requests/{}/approve", join.body["id"]),
        Some(&w.team_a_admin),
        json!({}),
    )
    .await;
    let declared_before = count(&t, "SELECT COUNT(*) FROM service_records").await;
    twice(
        &t,
        "/api/v1/records/declare",
        &w.volunteer,
        "declare-1",
        json!({"organization_id": w.team_a, "activity": "助老", "service_date": zhiyuan_app::today().to_string(),
               "place": "永安里", "content": "陪伴老人", "person_in_charge": "王队长", "minutes": 50}),
        201,
    )
    .await;
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM service_records").await,
        declared_before + 1
    );

    // 证明: a retried issue yields the same certificate, not a second one
    let r = t
        .post(
            "/api/v1/records/team-entry",
            Some(&w.team_a_admin),
            team_entry(&w, 120),
        )
        .await;
    assert_eq!(r.status, 201);
    let c = twice(
        &t,
        &format!("/api/v1/volunteers/{}/certificates", w.v_a),
        &w.team_a_admin,
        "cert-1",
        json!({"notes": "特此证明"}),
        201,
    )
    .await;
    assert!(c["certificate_no"].is_string());
    assert_eq!(count(&t, "SELECT COUNT(*) FROM certificates").await, 1);
}

both_backends!(
    a_retried_team_entry_credits_the_hours_once,
    the_same_key_with_another_body_is_refused,
    keys_belong_to_their_caller,
    a_failed_request_frees_its_key,
    retried_order_dispatch_declaration_and_certificate_apply_once,
);
