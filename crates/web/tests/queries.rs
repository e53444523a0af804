//! A page of orders is built with a constant number of queries (issue #8 §3): the office's
//! queue, the resident's list and the offers for a volunteer fetch the offers and the service of
//! the whole page at once, instead of two or three queries per order. Queries are counted from
//! sqlx's own statement events (target `sqlx::query`, one per statement executed), so the count
//! covers everything a request does. The two backends run one after the other in this one test
//! (the counter is process-wide, so nothing else may run meanwhile). The batched views must be
//! exactly what the one-by-one view of each order says.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use support::app::{spawn_app, Db, TestApp};
use support::world::{self, World};
use tracing_subscriber::layer::{Context, SubscriberExt};

static QUERIES: AtomicUsize = AtomicUsize::new(0);

struct CountQueries;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountQueries {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            QUERIES.fetch_add(1, Ordering::SeqCst);
        }
    }
}

const PLACE: &str = "110105001001";

async fn order(t: &TestApp, w: &World, it: i64, hours: i64) -> i64 {
    let at = |h: i64| (Utc::now() + Duration::hours(h)).to_rfc3339();
    let body = json!({"item_id": it, "region_code": PLACE, "address": "建外测试社区3号楼", "window_start": at(hours),
                      "window_end": at(hours + 2), "people": 1, "contact_name": "张大妈",
                      "contact_phone": "13800138000"});
    let r = t.post("/api/v1/orders", Some(&w.resident), body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

async fn ok(t: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let r = t.post(path, Some(token), body.clone()).await;
    assert_eq!(r.status, 200, "POST {path} {body}: {}", r.body);
    r.body
}

async fn dispatch(t: &TestApp, w: &World, id: i64) {
    ok(
        t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        json!({"target": "volunteers", "volunteer_ids": [w.v_self]}),
    )
    .await;
}

/// Accepts the volunteer's open offer of an order.
async fn accept(t: &TestApp, w: &World, id: i64) {
    let r = t
        .get("/api/v1/orders/for-me?per_page=200", Some(&w.volunteer))
        .await;
    let offer = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["order"]["id"] == id && x["open"] == true)
        .unwrap_or_else(|| panic!("an open offer of {id}: {}", r.body))["offer"]["id"]
        .as_i64()
        .unwrap();
    ok(
        t,
        &format!("/api/v1/order-offers/{offer}/accept"),
        &w.volunteer,
        json!({}),
    )
    .await;
}

/// Orders in every state: submitted, dispatched, accepted, completed (with service), rated,
/// rejected, cancelled.
async fn orders_in_every_state(t: &TestApp, w: &World, it: i64) {
    order(t, w, it, 3).await;
    let d = order(t, w, it, 4).await;
    dispatch(t, w, d).await;
    let a = order(t, w, it, 5).await;
    dispatch(t, w, a).await;
    accept(t, w, a).await;
    for rate in [false, true] {
        let c = order(t, w, it, 6).await;
        dispatch(t, w, c).await;
        accept(t, w, c).await;
        support::app::begun(&t.app, c).await;
        ok(
            t,
            &format!("/api/v1/orders/{c}/complete"),
            &w.volunteer,
            json!({"report": "已上门", "minutes": [{"volunteer_id": w.v_self, "minutes": 90}]}),
        )
        .await;
        if rate {
            ok(
                t,
                &format!("/api/v1/orders/{c}/rate"),
                &w.resident,
                json!({"rating": 5, "comment": "很好"}),
            )
            .await;
        }
    }
    let r = order(t, w, it, 7).await;
    ok(
        t,
        &format!("/api/v1/orders/{r}/reject"),
        &w.jw_site_admin,
        json!({"reason": "超出服务范围"}),
    )
    .await;
    let c = order(t, w, it, 8).await;
    ok(
        t,
        &format!("/api/v1/orders/{c}/cancel"),
        &w.resident,
        json!({"reason": "不需要了"}),
    )
    .await;
}

/// The queries one GET costs (after a first GET, so that the caller is cached), and its body.
async fn cost(t: &TestApp, path: &str, token: &str) -> (usize, Value) {
    let warm = t.get(path, Some(token)).await;
    assert_eq!(warm.status, 200, "{path}: {}", warm.body);
    let before = QUERIES.load(Ordering::SeqCst);
    let r = t.get(path, Some(token)).await;
    let n = QUERIES.load(Ordering::SeqCst) - before;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    (n, r.body)
}

/// Every view of a page is the one-by-one view of its order.
async fn same_as_one_by_one(t: &TestApp, token: &str, page: &Value, pointer: &str) {
    let items = page["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for x in items {
        let view = x.pointer(pointer).unwrap();
        let one = t
            .get(&format!("/api/v1/orders/{}", view["id"]), Some(token))
            .await;
        assert_eq!(one.status, 200, "{}", one.body);
        assert_eq!(view, &one.body, "order {}", view["id"]);
    }
}

async fn check(t: TestApp) {
    let w = world::build(&t).await;
    let menu = t.get(&format!("/api/v1/menu?region_code={PLACE}"), None).await;
    let it = menu.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "助老陪伴")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    orders_in_every_state(&t, &w, it).await;
    let lists = [
        ("/api/v1/orders/queue?per_page=100", w.jw_site_admin.clone(), ""),
        ("/api/v1/orders/mine?per_page=100", w.resident.clone(), ""),
        (
            "/api/v1/orders/for-me?per_page=100",
            w.volunteer.clone(),
            "/order",
        ),
    ];
    let mut small = Vec::new();
    for (path, token, pointer) in &lists {
        let (n, body) = cost(&t, path, token).await;
        same_as_one_by_one(&t, token, &body, pointer).await;
        small.push((n, body["items"].as_array().unwrap().len()));
    }
    // as many again
    orders_in_every_state(&t, &w, it).await;
    for ((path, token, pointer), (n_small, len_small)) in lists.iter().zip(small) {
        let (n, body) = cost(&t, path, token).await;
        let len = body["items"].as_array().unwrap().len();
        assert!(len >= 2 * len_small, "{path}: {len} rows now, {len_small} before");
        assert_eq!(
            n, n_small,
            "{path} ({:?}): {n} queries for {len} rows, {n_small} for {len_small}",
            t.db
        );
        assert!(n <= 6, "{path}: {n} queries");
        same_as_one_by_one(&t, token, &body, pointer).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_pages_cost_a_constant_number_of_queries() {
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(CountQueries))
        .expect("the only subscriber of this test binary");
    for db in [Db::Sqlite, Db::Postgres] {
        if let Some(t) = spawn_app(db).await {
            check(t).await;
        }
    }
}
