//! Residents' needs over real HTTP, every body on SQLite and PostgreSQL: order → dispatch →
//! accept → complete → rate, the bad inputs, one-time codes, escalation, re-dispatch and the
//! concurrent-accept race.

mod support;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use support::app::{spawn_app, Db, TestApp};
use support::world::{self, World, PW};
use zhiyuan_domain::auth::Role;

/// A community of 建外 (covered by the 建外 institute: it has no station of its own).
const PLACE: &str = "110105001001";

fn at(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339()
}

/// The id of a menu item offered at PLACE.
async fn item(t: &TestApp, name: &str) -> i64 {
    let r = t.get(&format!("/api/v1/menu?region_code={PLACE}"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {}", r.body))["id"]
        .as_i64()
        .unwrap()
}

fn order_body(item: i64, people: i64) -> Value {
    json!({"item_id": item, "region_code": PLACE, "address": "建外测试社区3号楼2单元501", "lat": 39.9087,
           "lon": 116.45, "window_start": at(Duration::hours(3)), "window_end": at(Duration::hours(5)),
           "people": people, "notes": "老人腿脚不便", "contact_name": "张大妈", "contact_phone": "13800138000"})
}

async fn order(t: &TestApp, w: &World, people: i64) -> i64 {
    let it = item(t, "助老陪伴").await;
    let r = t
        .post("/api/v1/orders", Some(&w.resident), order_body(it, people))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

async fn ok(t: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let r = t.post(path, Some(token), body.clone()).await;
    assert_eq!(r.status, 200, "POST {path} {body}: {}", r.body);
    r.body
}

/// The offer of an order addressed to the caller.
async fn offer_for(t: &TestApp, token: &str, order: i64) -> i64 {
    let r = t.get("/api/v1/orders/for-me?per_page=200", Some(token)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["order"]["id"] == order && x["open"] == true)
        .unwrap_or_else(|| panic!("no open offer of {order}: {}", r.body))["offer"]["id"]
        .as_i64()
        .unwrap()
}

async fn figures(t: &TestApp, vid: i64) -> (i64, Option<i64>, i64, i64) {
    let mut c = t.app.store.read().await.unwrap();
    zhiyuan_store::orders::volunteer_figures(&mut c, vid)
        .await
        .unwrap()
}

/// The order and organization cells the dashboard reads still equal a recount of the rows
/// (triggers keep them on every write of the order loop).
async fn cells_agree(t: &TestApp) {
    let report = t.app.stats().verify().await.unwrap();
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    let mut c = t.app.store.read().await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *c).await.unwrap();
    n
}

async fn whole_loop_to_a_volunteer_and_to_a_team(t: TestApp) {
    let w = world::build(&t).await;
    // the menu of the place is the default one, from the 建外 institute
    let m = t.get(&format!("/api/v1/menu?region_code={PLACE}"), None).await;
    assert_eq!(m.body["site_id"], w.jw);
    assert_eq!(m.body["source_name"], "默认菜单");
    assert!(m.body["items"].as_array().unwrap().len() >= 10);

    // 点单
    let id = order(&t, &w, 1).await;
    let o = t.get(&format!("/api/v1/orders/{id}"), Some(&w.resident)).await;
    assert_eq!(
        (o.body["status"].as_str(), o.body["site_id"].as_i64()),
        (Some("submitted"), Some(w.jw))
    );
    assert_eq!(o.body["category"], "elderly_disabled");
    // what each may do now is the orders policy's one answer
    assert_eq!(o.body["can"], json!(["cancel"]), "the resident may only cancel");
    let office = t
        .get(&format!("/api/v1/orders/{id}"), Some(&w.jw_site_admin))
        .await;
    assert_eq!(
        office.body["can"],
        json!(["dispatch", "reject", "cancel"]),
        "{}",
        office.body
    );
    let q = t
        .get("/api/v1/orders/queue?status=submitted", Some(&w.jw_site_admin))
        .await;
    assert_eq!(q.body["items"].as_array().unwrap().len(), 1, "{}", q.body);
    let n = t.get("/api/v1/notices", Some(&w.jw_site_admin)).await;
    assert_eq!(n.body["unread"], 1, "{}", n.body);
    assert_eq!(n.body["items"][0]["kind"], "submitted");
    // the haidian office neither sees it nor may dispatch it
    assert_eq!(
        t.get("/api/v1/orders/queue", Some(&w.haidian)).await.body["items"],
        json!([])
    );
    let opts = t
        .get(&format!("/api/v1/orders/{id}/dispatch"), Some(&w.jw_site_admin))
        .await;
    assert_eq!(opts.status, 200, "{}", opts.body);
    assert!(opts.body["teams"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == w.team_a));
    assert!(opts.body["suggested"].as_array().unwrap().is_empty());

    // 派单 to the self-registered volunteer; 接单; complete; 评单
    let d = ok(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        json!({"target": "volunteers", "volunteer_ids": [w.v_self], "note": "请联系张大妈"}),
    )
    .await;
    assert_eq!(
        (d["status"].as_str(), d["round"].as_i64()),
        (Some("dispatched"), Some(1))
    );
    let offer = offer_for(&t, &w.volunteer, id).await;
    let a = ok(
        &t,
        &format!("/api/v1/order-offers/{offer}/accept"),
        &w.volunteer,
        json!({}),
    )
    .await;
    assert_eq!(
        (a["status"].as_str(), a["accepted_count"].as_i64()),
        (Some("accepted"), Some(1))
    );
    assert_eq!(figures(&t, w.v_self).await.0, 1, "active_orders after accepting");
    // not before its time: the record would be dated before the service
    let early = t
        .post(
            &format!("/api/v1/orders/{id}/complete"),
            Some(&w.volunteer),
            json!({"report": "陪老人聊天", "minutes": [{"volunteer_id": w.v_self, "minutes": 100}]}),
        )
        .await;
    assert_eq!(
        (early.status.as_u16(), early.code()),
        (409, "order_not_started"),
        "{}",
        early.body
    );
    support::app::begun(&t.app, id).await;
    let done = ok(
        &t,
        &format!("/api/v1/orders/{id}/complete"),
        &w.volunteer,
        json!({"report": "陪老人聊天并整理房间", "minutes": [{"volunteer_id": w.v_self, "minutes": 100}]}),
    )
    .await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["served"][0]["minutes"], 100);
    let (active, last, _, _) = figures(&t, w.v_self).await;
    assert_eq!(active, 0);
    assert!(last.is_some());
    // the volunteer's hours show the new record, organized by the 建外 site
    let recs = t
        .get(
            &format!("/api/v1/volunteers/{}/records", w.v_self),
            Some(&w.volunteer),
        )
        .await;
    let rec = &recs.body["items"][0];
    assert_eq!(rec["activity"], "点单服务：助老陪伴", "{}", recs.body);
    assert_eq!(
        (rec["served_minutes"].as_i64(), rec["minutes"].as_i64()),
        (Some(100), Some(90))
    );
    assert_eq!(
        (rec["status"].as_str(), rec["organizer"].as_str()),
        (Some("confirmed"), Some("建外街道新时代文明实践所"))
    );
    assert_eq!(
        rec["organization_id"], w.team_a,
        "the institute's own organization"
    );
    let h = t
        .get(
            &format!("/api/v1/volunteers/{}/hours", w.v_self),
            Some(&w.volunteer),
        )
        .await;
    assert_eq!(h.body["confirmed_minutes"], 90, "{}", h.body);
    let done = t.get(&format!("/api/v1/orders/{id}"), Some(&w.resident)).await;
    assert_eq!(
        done.body["can"],
        json!(["rate"]),
        "completed: the resident may rate"
    );
    let done = t
        .get(&format!("/api/v1/orders/{id}"), Some(&w.jw_site_admin))
        .await;
    assert_eq!(
        done.body["can"],
        json!([]),
        "completed: nothing left for the office"
    );
    let rated = ok(
        &t,
        &format!("/api/v1/orders/{id}/rate"),
        &w.resident,
        json!({"rating": 5, "comment": "很耐心"}),
    )
    .await;
    assert_eq!(
        (rated["status"].as_str(), rated["rating"].as_i64()),
        (Some("rated"), Some(5))
    );
    let f = figures(&t, w.v_self).await;
    assert_eq!((f.2, f.3), (5, 1), "rating sum and count");

    // the same loop through a team: the team admin accepts and completes with a member's minutes
    let id2 = order(&t, &w, 2).await;
    ok(
        &t,
        &format!("/api/v1/orders/{id2}/dispatch"),
        &w.chaoyang,
        json!({"target": "team", "team_ids": [w.team_a]}),
    )
    .await;
    let offer = offer_for(&t, &w.team_a_admin, id2).await;
    let a = ok(
        &t,
        &format!("/api/v1/order-offers/{offer}/accept"),
        &w.team_a_admin,
        json!({}),
    )
    .await;
    assert_eq!(
        (a["team_id"].as_i64(), a["holder"].as_str()),
        (Some(w.team_a), Some("建外邻里守望志愿服务队"))
    );
    // a volunteer of another team cannot be credited by this team
    support::app::begun(&t.app, id2).await;
    let bad = t
        .post(
            &format!("/api/v1/orders/{id2}/complete"),
            Some(&w.team_a_admin),
            json!({"report": "完成", "minutes": [{"volunteer_id": w.v_b, "minutes": 60}]}),
        )
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (422, "order_volunteer_invalid")
    );
    assert_eq!(
        t.get(&format!("/api/v1/orders/{id2}"), Some(&w.resident))
            .await
            .body["status"],
        "accepted"
    );
    // volunteers may be named by their number; an unknown one is refused beside that field
    let unknown = t
        .post(
            &format!("/api/v1/orders/{id2}/complete"),
            Some(&w.team_a_admin),
            json!({"report": "", "by_number": [{"volunteer_no": "110105000099999", "minutes": 60}]}),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    let fields: Vec<&str> = unknown.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"by_number") && fields.contains(&"report"),
        "every error at once: {}",
        unknown.body
    );
    let number = t
        .get(&format!("/api/v1/volunteers/{}", w.v_a), Some(&w.team_a_admin))
        .await
        .body["volunteer_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = ok(
        &t,
        &format!("/api/v1/orders/{id2}/complete"),
        &w.team_a_admin,
        json!({"report": "两人上门陪伴", "by_number": [{"volunteer_no": number, "minutes": 60}]}),
    )
    .await;
    assert_eq!(done["status"], "completed", "{done}");
    ok(
        &t,
        &format!("/api/v1/orders/{id2}/rate"),
        &w.resident,
        json!({"rating": 3}),
    )
    .await;
    let mut c = t.app.store.read().await.unwrap();
    assert_eq!(
        zhiyuan_store::orders::org_figures(&mut c, w.team_a)
            .await
            .unwrap(),
        (3, 1)
    );
    drop(c);
    let r = t
        .get(
            &format!("/api/v1/volunteers/{}/records", w.v_a),
            Some(&w.team_a_admin),
        )
        .await;
    assert_eq!(r.body["items"][0]["organizer"], "建外邻里守望志愿服务队");

    // figures for dashboards
    let s = t
        .get("/api/v1/orders/stats?region=110105", Some(&w.chaoyang))
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert_eq!(
        (s.body["total"].as_i64(), s.body["rated"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        (s.body["average_rating"].as_f64(), s.body["good_percent"].as_f64()),
        (Some(4.0), Some(50.0))
    );
    let rated_count = s.body["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "rated")
        .unwrap()["count"]
        .clone();
    assert_eq!(rated_count, 2);
    assert_eq!(
        t.get("/api/v1/orders/stats?region=110108", Some(&w.chaoyang))
            .await
            .status,
        403
    );
    assert_eq!(t.get("/api/v1/orders/stats", Some(&w.resident)).await.status, 403);

    // the resident was told at every step; every write is audited; the chains still verify
    let n = t.get("/api/v1/notices", Some(&w.resident)).await;
    let kinds: Vec<&str> = n.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"accepted") && kinds.contains(&"completed"),
        "{kinds:?}"
    );
    let nid = n.body["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        t.post(
            &format!("/api/v1/notices/{nid}/read"),
            Some(&w.resident),
            json!({})
        )
        .await
        .status,
        204
    );
    assert_eq!(
        t.post(
            &format!("/api/v1/notices/{nid}/read"),
            Some(&w.volunteer),
            json!({})
        )
        .await
        .status,
        404
    );
    let actions = count(&t, "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'order'").await;
    assert_eq!(actions, 10, "submit, dispatch, accept, complete, rate twice");
    assert!(t.app.service().verify_records().await.unwrap().broken.is_empty());
    cells_agree(&t).await;
}

async fn bad_input_is_refused_cleanly(t: TestApp) {
    let w = world::build(&t).await;
    let it = item(&t, "助老陪伴").await;
    let post = |b: Value| {
        let t = &t;
        let tok = w.resident.clone();
        async move { t.post("/api/v1/orders", Some(&tok), b).await }
    };
    let with = |k: &str, v: Value| {
        let mut b = order_body(it, 1);
        b[k] = v;
        b
    };
    let r = post(with("item_id", json!(999_999))).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "order_item_unknown"));
    assert!(r.message().contains("服务项目"), "{}", r.message());
    let r = post(with("region_code", json!("120101001000"))).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "order_place_uncovered"),
        "{}",
        r.body
    );
    let r = post(with("window_start", json!(at(Duration::hours(-2))))).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "order_window_past"));
    let r = post(with("window_end", json!(at(Duration::hours(2))))).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "order_window_invalid"));
    let r = post(with("people", json!(0))).await;
    assert_eq!(r.code(), "order_people_invalid");
    // every problem at once
    let mut b = with("people", json!(99));
    b["address"] = json!("");
    let r = post(b).await;
    let fields: Vec<&str> = r.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"people") && fields.contains(&"address"),
        "{fields:?}"
    );
    // administrators do not order
    assert_eq!(
        t.post("/api/v1/orders", Some(&w.chaoyang), order_body(it, 1))
            .await
            .status,
        403
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM orders").await,
        0,
        "nothing half-written"
    );

    let id = order(&t, &w, 1).await;
    // dispatch by an office that does not cover the place
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&w.haidian),
            json!({"target": "team", "team_ids": [w.team_b]}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "forbidden"));
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&w.jw_site_admin),
            json!({"target": "team", "team_ids": [w.team_b]}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "dispatch_target_invalid"));
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&w.jw_site_admin),
            json!({"target": "robots"}),
        )
        .await;
    assert_eq!(r.code(), "dispatch_target_invalid");
    assert_eq!(
        t.get(&format!("/api/v1/orders/{id}"), Some(&w.haidian))
            .await
            .status,
        403
    );
    // rating before completion, by someone else, twice
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/rate"),
            Some(&w.resident),
            json!({"rating": 5}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "order_state_invalid"));
    assert!(r.message().contains("待派单"), "{}", r.message());
    ok(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        json!({"target": "volunteers", "volunteer_ids": [w.v_self]}),
    )
    .await;
    let offer = offer_for(&t, &w.volunteer, id).await;
    ok(
        &t,
        &format!("/api/v1/order-offers/{offer}/accept"),
        &w.volunteer,
        json!({}),
    )
    .await;
    support::app::begun(&t.app, id).await;
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/complete"),
            Some(&w.volunteer),
            json!({"report": "好", "minutes": [{"volunteer_id": w.v_self, "minutes": 2000}]}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "minutes_invalid"));
    ok(
        &t,
        &format!("/api/v1/orders/{id}/complete"),
        &w.volunteer,
        json!({"report": "好", "minutes": [{"volunteer_id": w.v_self, "minutes": 30}]}),
    )
    .await;
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/rate"),
            Some(&w.volunteer),
            json!({"rating": 5}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "forbidden"));
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/rate"),
            Some(&w.resident),
            json!({"rating": 6}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "rating_invalid"));
    ok(
        &t,
        &format!("/api/v1/orders/{id}/rate"),
        &w.resident,
        json!({"rating": 4}),
    )
    .await;
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/rate"),
            Some(&w.resident),
            json!({"rating": 1}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "order_already_rated"));
    let f = figures(&t, w.v_self).await;
    assert_eq!((f.2, f.3), (4, 1), "rated once");
    // a rejected order shows its reason
    let id = order(&t, &w, 1).await;
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/reject"),
            Some(&w.jw_site_admin),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(r.code(), "text_invalid");
    ok(
        &t,
        &format!("/api/v1/orders/{id}/reject"),
        &w.jw_site_admin,
        json!({"reason": "该时段无人可派，请改约时间"}),
    )
    .await;
    let mine = t.get("/api/v1/orders/mine", Some(&w.resident)).await;
    let o = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(
        (o["status"].as_str(), o["reject_reason"].as_str()),
        (Some("rejected"), Some("该时段无人可派，请改约时间"))
    );
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&w.jw_site_admin),
            json!({"target": "team", "team_ids": [w.team_a]}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "order_state_invalid"));
}

async fn one_time_codes(t: TestApp) {
    let w = world::build(&t).await;
    let phone = "13912340001";
    let r = t
        .post("/api/v1/auth/phone-code", None, json!({"phone": "12345"}))
        .await;
    assert_eq!(r.code(), "phone_invalid");
    let r = t
        .post("/api/v1/auth/phone-code", None, json!({"phone": phone}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = r.body["demo_code"].as_str().unwrap().to_owned();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
    let stored: String = {
        let mut c = t.app.store.read().await.unwrap();
        sqlx::query_as::<_, (String,)>("SELECT code_hash FROM phone_codes")
            .fetch_one(&mut *c)
            .await
            .unwrap()
            .0
    };
    assert!(
        !stored.contains(&code) && stored.len() == 64,
        "only a keyed hash is stored"
    );
    let again = t
        .post("/api/v1/auth/phone-code", None, json!({"phone": phone}))
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "one_time_code_too_soon")
    );
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = t
        .post(
            "/api/v1/auth/phone-login",
            None,
            json!({"phone": phone, "code": wrong}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "one_time_code_invalid"));
    let r = t
        .post(
            "/api/v1/auth/phone-login",
            None,
            json!({"phone": phone, "code": code}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["account"]["role"], "resident");
    let token = r.body["token"].as_str().unwrap().to_owned();
    // used once only
    let r = t
        .post(
            "/api/v1/auth/phone-login",
            None,
            json!({"phone": phone, "code": code}),
        )
        .await;
    assert_eq!(r.code(), "one_time_code_invalid");
    // the phone resident orders; the contact phone defaults to the login phone
    let it = item(&t, "上门理发").await;
    let mut b = order_body(it, 1);
    b["contact_phone"] = json!("");
    let r = t.post("/api/v1/orders", Some(&token), b).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["contact_phone"], phone);
    let mine = t.get("/api/v1/orders/mine", Some(&token)).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1, "{}", mine.body);
    assert_eq!(
        t.get("/api/v1/orders/mine", Some(&w.resident)).await.body["items"],
        json!([])
    );

    // an expired code, then too many wrong guesses
    let expire = |t: &TestApp| {
        let store = t.app.store.clone();
        async move {
            let mut tx = store.write().await.unwrap();
            sqlx::query(
                "UPDATE phone_codes SET created_at = created_at - 600000, expires_at = created_at - 1",
            )
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
    };
    let p2 = "13912340002";
    let code = t
        .post("/api/v1/auth/phone-code", None, json!({"phone": p2}))
        .await
        .body["demo_code"]
        .as_str()
        .unwrap()
        .to_owned();
    expire(&t).await;
    let r = t
        .post(
            "/api/v1/auth/phone-login",
            None,
            json!({"phone": p2, "code": code}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "one_time_code_invalid"));
    let code = t
        .post("/api/v1/auth/phone-code", None, json!({"phone": p2}))
        .await
        .body["demo_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let r = t
            .post(
                "/api/v1/auth/phone-login",
                None,
                json!({"phone": p2, "code": wrong}),
            )
            .await;
        assert_eq!(r.code(), "one_time_code_invalid");
    }
    let r = t
        .post(
            "/api/v1/auth/phone-login",
            None,
            json!({"phone": p2, "code": code}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "one_time_code_locked"));
}

async fn overdue_orders_escalate(t: TestApp) {
    let w = world::build(&t).await;
    let id = order(&t, &w, 1).await;
    assert_eq!(
        t.app.orders().escalate_overdue(Utc::now()).await.unwrap(),
        0,
        "not due yet"
    );
    assert_eq!(
        t.app
            .orders()
            .escalate_overdue(Utc::now() + Duration::hours(25))
            .await
            .unwrap(),
        1
    );
    let o = t.get(&format!("/api/v1/orders/{id}"), Some(&w.resident)).await;
    assert_eq!(
        (o.body["status"].as_str(), o.body["site_id"].as_i64()),
        (Some("submitted"), Some(w.cy_center))
    );
    assert_eq!(o.body["escalations"], 1);
    // the institute no longer handles it; the center's office (here: the district) does
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&w.jw_site_admin),
            json!({"target": "team", "team_ids": [w.team_a]}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        t.get("/api/v1/orders/queue", Some(&w.jw_site_admin)).await.body["items"],
        json!([])
    );
    t.app
        .auth()
        .create_account_unchecked(
            "cysite",
            PW,
            "朝阳中心",
            Role::SiteAdmin,
            None,
            Some(w.cy_center),
            None,
            None,
        )
        .await
        .unwrap();
    let center = t.login("cysite", PW).await;
    let n = t.get("/api/v1/notices", Some(&center)).await;
    assert_eq!(n.body["items"][0]["kind"], "escalated", "{}", n.body);
    assert!(n.body["items"][0]["text"]
        .as_str()
        .unwrap()
        .contains("超时未派单"));
    // dispatched but not accepted in time: above the center the district is told, once
    ok(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &center,
        json!({"target": "team", "team_ids": [w.team_a]}),
    )
    .await;
    assert_eq!(
        t.app
            .orders()
            .escalate_overdue(Utc::now() + Duration::hours(23))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        t.app
            .orders()
            .escalate_overdue(Utc::now() + Duration::hours(25))
            .await
            .unwrap(),
        1
    );
    let n = t.get("/api/v1/notices", Some(&w.chaoyang)).await;
    assert!(
        n.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "overdue"),
        "{}",
        n.body
    );
    assert_eq!(
        t.get("/api/v1/notices", Some(&w.haidian)).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        t.app
            .orders()
            .escalate_overdue(Utc::now() + Duration::hours(100))
            .await
            .unwrap(),
        0,
        "escalates once at the top"
    );
    // it can still be accepted
    let offer = offer_for(&t, &w.team_a_admin, id).await;
    ok(
        &t,
        &format!("/api/v1/order-offers/{offer}/accept"),
        &w.team_a_admin,
        json!({}),
    )
    .await;
    assert_eq!(
        t.app
            .orders()
            .escalate_overdue(Utc::now() + Duration::hours(200))
            .await
            .unwrap(),
        0
    );
    cells_agree(&t).await;
}

async fn redispatch_decline_and_cancel(t: TestApp) {
    let w = world::build(&t).await;
    let id = order(&t, &w, 1).await;
    ok(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        json!({"target": "volunteers", "volunteer_ids": [w.v_self, w.v_a]}),
    )
    .await;
    let offer = offer_for(&t, &w.volunteer, id).await;
    ok(
        &t,
        &format!("/api/v1/order-offers/{offer}/accept"),
        &w.volunteer,
        json!({}),
    )
    .await;
    assert_eq!(figures(&t, w.v_self).await.0, 1);
    // re-dispatch away to a team: the volunteer is released and the old offer withdrawn
    let d = ok(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        json!({"target": "team", "team_ids": [w.team_a, w.team_a1]}),
    )
    .await;
    assert_eq!(
        (d["status"].as_str(), d["round"].as_i64()),
        (Some("dispatched"), Some(2))
    );
    assert_eq!(figures(&t, w.v_self).await.0, 0);
    let r = t
        .post(
            &format!("/api/v1/order-offers/{offer}/accept"),
            Some(&w.volunteer),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "offer_withdrawn"));
    // a team declines; the office is told
    let offers = d["offers"].as_array().unwrap();
    let a1 = offers
        .iter()
        .find(|o| o["target_id"] == w.team_a1 && o["current"] == true)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    ok(
        &t,
        &format!("/api/v1/order-offers/{a1}/decline"),
        &w.team_a_admin,
        json!({"reason": "人手不足"}),
    )
    .await;
    let r = t
        .post(
            &format!("/api/v1/order-offers/{a1}/accept"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "offer_decided");
    let n = t.get("/api/v1/notices", Some(&w.jw_site_admin)).await;
    assert!(n.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["kind"] == "declined"));
    // a volunteer cannot answer a team's offer
    let a = offers
        .iter()
        .find(|o| o["target_id"] == w.team_a && o["current"] == true)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        t.post(
            &format!("/api/v1/order-offers/{a}/accept"),
            Some(&w.volunteer),
            json!({})
        )
        .await
        .status,
        403
    );
    // the resident cancels; the team's offer is gone
    ok(&t, &format!("/api/v1/orders/{id}/cancel"), &w.resident, json!({})).await;
    let r = t
        .post(
            &format!("/api/v1/order-offers/{a}/accept"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "offer_withdrawn"));
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&w.resident),
            json!({}),
        )
        .await;
    assert_eq!(r.code(), "order_state_invalid");
    // the office cancels an accepted order with a reason; the seat is freed
    let id = order(&t, &w, 1).await;
    ok(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        json!({"target": "volunteers", "volunteer_ids": [w.v_self]}),
    )
    .await;
    let offer = offer_for(&t, &w.volunteer, id).await;
    ok(
        &t,
        &format!("/api/v1/order-offers/{offer}/accept"),
        &w.volunteer,
        json!({}),
    )
    .await;
    assert_eq!(
        t.post(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&w.jw_site_admin),
            json!({})
        )
        .await
        .code(),
        "text_invalid"
    );
    ok(
        &t,
        &format!("/api/v1/orders/{id}/cancel"),
        &w.jw_site_admin,
        json!({"reason": "居民电话告知不需要了"}),
    )
    .await;
    assert_eq!(figures(&t, w.v_self).await.0, 0);
    cells_agree(&t).await;
}

/// Two teams accept the same order at the same moment: exactly one holds it, the other gets a
/// clean 409, on both backends; volunteers racing for the last seat likewise.
async fn concurrent_accepts(t: TestApp) {
    let w = world::build(&t).await;
    t.app
        .auth()
        .create_account_unchecked(
            "teama1",
            PW,
            "突击队长",
            Role::TeamAdmin,
            None,
            None,
            Some(w.team_a1),
            None,
        )
        .await
        .unwrap();
    let a1_admin = t.login("teama1", PW).await;
    let it = item(&t, "助老陪伴").await;
    for round in 0..4 {
        let r = t
            .post("/api/v1/orders", Some(&w.resident), order_body(it, 1))
            .await;
        let id = r.body["id"].as_i64().unwrap();
        let d = ok(
            &t,
            &format!("/api/v1/orders/{id}/dispatch"),
            &w.jw_site_admin,
            json!({"target": "team", "team_ids": [w.team_a, w.team_a1]}),
        )
        .await;
        let offer = |team: i64| {
            d["offers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["target_id"] == team)
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        let (oa, ob) = (offer(w.team_a), offer(w.team_a1));
        let (pa, pb) = (
            format!("/api/v1/order-offers/{oa}/accept"),
            format!("/api/v1/order-offers/{ob}/accept"),
        );
        let (ra, rb) = tokio::join!(
            t.post(&pa, Some(&w.team_a_admin), json!({})),
            t.post(&pb, Some(&a1_admin), json!({})),
        );
        let mut st = [ra.status.as_u16(), rb.status.as_u16()];
        st.sort();
        assert_eq!(st, [200, 409], "round {round}: {} / {}", ra.body, rb.body);
        let loser = if ra.status == 409 { &ra } else { &rb };
        assert_eq!(loser.code(), "order_taken");
        let o = t.get(&format!("/api/v1/orders/{id}"), Some(&w.resident)).await;
        let winner = if ra.status == 200 { w.team_a } else { w.team_a1 };
        assert_eq!(
            (o.body["status"].as_str(), o.body["team_id"].as_i64()),
            (Some("accepted"), Some(winner))
        );
        let held = count(
            &t,
            &format!("SELECT COUNT(*) FROM order_offers WHERE order_id = {id} AND status = 'accepted'"),
        )
        .await;
        assert_eq!(held, 1);
    }
    // the last seat: people = 1, two volunteers at once
    let r = t
        .post("/api/v1/orders", Some(&w.resident), order_body(it, 1))
        .await;
    let id = r.body["id"].as_i64().unwrap();
    ok(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        json!({"target": "volunteers", "volunteer_ids": [w.v_self, w.v_a]}),
    )
    .await;
    t.app
        .auth()
        .create_account_unchecked("va", PW, "王建国", Role::Volunteer, None, None, None, Some(w.v_a))
        .await
        .unwrap();
    let va = t.login("va", PW).await;
    let (o1, o2) = (
        offer_for(&t, &w.volunteer, id).await,
        offer_for(&t, &va, id).await,
    );
    let (p1, p2) = (
        format!("/api/v1/order-offers/{o1}/accept"),
        format!("/api/v1/order-offers/{o2}/accept"),
    );
    let (r1, r2) = tokio::join!(
        t.post(&p1, Some(&w.volunteer), json!({})),
        t.post(&p2, Some(&va), json!({})),
    );
    let mut st = [r1.status.as_u16(), r2.status.as_u16()];
    st.sort();
    assert_eq!(st, [200, 409], "{} / {}", r1.body, r2.body);
    assert_eq!(if r1.status == 409 { r1.code() } else { r2.code() }, "order_full");
    assert_eq!(figures(&t, w.v_self).await.0 + figures(&t, w.v_a).await.0, 1);
    let o = t.get(&format!("/api/v1/orders/{id}"), Some(&w.resident)).await;
    assert_eq!(o.body["accepted_count"], 1);
    // the seats are full: the other volunteer's offer is withdrawn, and they are told
    let withdrawn = count(
        &t,
        &format!("SELECT COUNT(*) FROM order_offers WHERE order_id = {id} AND status = 'withdrawn'"),
    )
    .await;
    assert_eq!(withdrawn, 1, "the offer left waiting is withdrawn");
    let loser = if r1.status == 409 { &w.volunteer } else { &va };
    let n = t.get("/api/v1/notices", Some(loser)).await;
    assert!(
        n.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["order_id"] == id && x["kind"] == "withdrawn"),
        "{}",
        n.body
    );
    cells_agree(&t).await;
}

async fn site_menus_are_edited_by_their_admins(t: TestApp) {
    let w = world::build(&t).await;
    let base = format!("/api/v1/sites/{}/menu", w.jw);
    let r = t
        .post(
            &base,
            Some(&w.haidian),
            json!({"category": "medical", "name": "上门换药"}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = t
        .post(
            &base,
            Some(&w.jw_site_admin),
            json!({"category": "跳舞", "name": "广场舞"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "service_category_invalid"));
    let r = t
        .post(
            &base,
            Some(&w.jw_site_admin),
            json!({"category": "医疗服务", "name": "上门换药", "skills": ["医疗护理"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["category"], "medical");
    let m = t.get(&base, None).await;
    assert_eq!(
        (m.body["own"].as_bool(), m.body["source_name"].as_str()),
        (Some(true), Some("建外街道新时代文明实践所"))
    );
    let copied = m.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "助老陪伴")
        .unwrap()
        .clone();
    let r = t
        .post(
            &base,
            Some(&w.jw_site_admin),
            json!({"category": "medical", "name": "上门换药"}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "menu_item_exists"));
    // the menu at the place follows the site; an item taken off the menu cannot be ordered
    assert!(item(&t, "上门换药").await > 0);
    let cid = copied["id"].as_i64().unwrap();
    ok(
        &t,
        &format!("/api/v1/menu-items/{cid}"),
        &w.jw_site_admin,
        json!({"category": "elderly_disabled", "name": "助老陪伴", "active": false}),
    )
    .await;
    let r = t
        .post("/api/v1/orders", Some(&w.resident), order_body(cid, 1))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "order_item_unknown"));
    // a default item is not one of this site's any more
    let hd = t.get("/api/v1/menu?region_code=110108001001", None).await;
    let default_id = hd.body["items"][0]["id"].as_i64().unwrap();
    assert_eq!(hd.body["source_name"], "默认菜单");
    let r = t
        .post("/api/v1/orders", Some(&w.resident), order_body(default_id, 1))
        .await;
    assert_eq!(r.code(), "order_item_unknown");
    let r = t
        .post(
            &format!("/api/v1/menu-items/{default_id}"),
            Some(&w.city),
            json!({"category": "medical", "name": "x"}),
        )
        .await;
    assert_eq!(r.code(), "menu_item_not_own");
}

/// The office that handles an order sees what it may dispatch to: the teams and the stations
/// in its own reach (an institute's order sits with a community's station, which has none of
/// its own), and its own volunteers even when many nearer ones are another district's.
async fn the_handling_office_sees_the_teams_stations_and_volunteers_it_may_dispatch_to(t: TestApp) {
    let w = world::build(&t).await;
    let always = "每天 全天";
    // fifty-five nearer volunteers of another district, then one of 建外's own 2 km away
    for _ in 0..55 {
        placed(&t, &w.haidian, "110108001000", 0.3, &["驾驶"], always).await;
    }
    let own = placed(&t, &w.chaoyang, "110105001000", 2.0, &["驾驶"], always).await;
    let delivery = item(&t, "爱心物资配送").await;
    let r = t
        .post("/api/v1/orders", Some(&w.resident), order_body(delivery, 1))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    // a station of another community under 建外, set up after the order came in
    let station = world::created(
        &t,
        "/api/v1/sites",
        &w.chaoyang,
        json!({"name": "建外测试社区新时代文明实践站", "level": "station", "region_code": "110105001001",
               "parent_id": w.jw, "address": "建外二社区"}),
    )
    .await;
    let (ids, body) = suggested(&t, &w, id).await;
    assert_eq!(ids, vec![own], "{body}");
    assert!(
        body["teams"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == w.team_a),
        "{body}"
    );
    let sites: Vec<i64> = body["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert!(sites.contains(&station), "{body}");
    assert!(!sites.contains(&w.jw), "not the handling office itself: {body}");
    // the center above is out of the institute's reach
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&w.jw_site_admin),
            json!({"target": "site", "site_id": w.cy_center}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let d = ok(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        json!({"target": "site", "site_id": station}),
    )
    .await;
    assert_eq!(
        (d["status"].as_str(), d["assignee_kind"].as_str()),
        (Some("dispatched"), Some("site")),
        "{d}"
    );
}

/// Registers a volunteer in 建外 through the district office, at `north_km` north of the place.
async fn placed(t: &TestApp, token: &str, region: &str, north_km: f64, skills: &[&str], when: &str) -> i64 {
    let mut body = world::volunteer_body("推荐测试", region, None);
    body["lat"] = json!(39.9087 + north_km / 111.2);
    body["lon"] = json!(116.45);
    body["skills"] = json!(skills);
    body["availability"] = json!(when);
    world::created(t, "/api/v1/volunteers", token, body).await
}

async fn suggested(t: &TestApp, w: &World, id: i64) -> (Vec<i64>, Value) {
    let r = t
        .get(&format!("/api/v1/orders/{id}/dispatch"), Some(&w.jw_site_admin))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let ids = r.body["suggested"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["volunteer_id"].as_i64().unwrap())
        .collect();
    (ids, r.body)
}

/// The dispatch screen suggests, from the matching engine, the volunteers near the place who
/// have the item's skills, are free in its window, are not overloaded and whom the office may
/// dispatch; nearest first, each with the reason; the index follows their load.
async fn dispatch_suggests_the_best_matches(t: TestApp) {
    let w = world::build(&t).await;
    let always = "每天 全天";
    // self-registered, so that they can accept: 1 km away, drives
    let r = t
        .post(
            "/api/v1/register",
            None,
            json!({"name": "近处司机", "resident_id": support::app::new_resident_id("110105"), "phone": "13600000077",
                   "region_code": "110105001000", "password": PW, "skills": ["驾驶", "急救"],
                   "availability": always, "lat": 39.9087 + 1.0 / 111.2, "lon": 116.45}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let (near_token, near) = (
        r.body["token"].as_str().unwrap().to_owned(),
        r.body["volunteer"]["id"].as_i64().unwrap(),
    );
    let far = placed(&t, &w.chaoyang, "110105001000", 3.0, &["驾驶"], always).await;
    let _no_skill = placed(&t, &w.chaoyang, "110105001000", 0.5, &["急救"], always).await;
    let _not_free = placed(&t, &w.chaoyang, "110105001000", 0.5, &["驾驶"], "").await;
    let _out_of_view = placed(&t, &w.haidian, "110108001000", 0.2, &["驾驶"], always).await;
    let _too_far = placed(&t, &w.chaoyang, "110105001000", 8.0, &["驾驶"], always).await;
    let barber = placed(&t, &w.chaoyang, "110105001000", 12.0, &["理发"], always).await;

    let delivery = item(&t, "爱心物资配送").await;
    let r = t
        .post("/api/v1/orders", Some(&w.resident), order_body(delivery, 1))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let (ids, body) = suggested(&t, &w, id).await;
    assert_eq!(ids, vec![near, far], "{body}");
    let first = &body["suggested"][0];
    assert!(
        (900..=1100).contains(&first["distance_m"].as_i64().unwrap()),
        "{first}"
    );
    assert_eq!(first["load"], 0);
    let reason = first["reason"].as_str().unwrap();
    assert!(
        reason.contains("距离 1.0 公里") && reason.contains("驾驶") && reason.contains("暂无评价"),
        "{reason}"
    );
    assert!(
        body["suggest_note"].as_str().unwrap().contains("5 公里"),
        "{body}"
    );

    // dispatched from the suggestions and accepted: the index now counts the open order
    ok(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        json!({"target": "volunteers", "volunteer_ids": [near]}),
    )
    .await;
    let offer = offer_for(&t, &near_token, id).await;
    ok(
        &t,
        &format!("/api/v1/order-offers/{offer}/accept"),
        &near_token,
        json!({}),
    )
    .await;
    let r = t
        .post("/api/v1/orders", Some(&w.resident), order_body(delivery, 1))
        .await;
    let second = r.body["id"].as_i64().unwrap();
    let (ids, body) = suggested(&t, &w, second).await;
    assert_eq!(ids.len(), 2, "{body}");
    let near_now = body["suggested"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["volunteer_id"] == near)
        .unwrap();
    assert_eq!(near_now["load"], 1, "{body}");
    assert!(near_now["reason"].as_str().unwrap().contains("进行中 1 单"));

    // nobody with the skill within 5 km: the wider ring finds the barber 12 km away
    let haircut = item(&t, "上门理发").await;
    let r = t
        .post("/api/v1/orders", Some(&w.resident), order_body(haircut, 1))
        .await;
    let third = r.body["id"].as_i64().unwrap();
    let (ids, body) = suggested(&t, &w, third).await;
    assert_eq!(ids, vec![barber], "{body}");
    assert!(
        body["suggest_note"].as_str().unwrap().contains("20 公里"),
        "{body}"
    );
    // an order without coordinates gets no suggestions, and says why
    let mut no_place = order_body(haircut, 1);
    no_place["lat"] = Value::Null;
    no_place["lon"] = Value::Null;
    let r = t.post("/api/v1/orders", Some(&w.resident), no_place).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let (ids, body) = suggested(&t, &w, r.body["id"].as_i64().unwrap()).await;
    assert!(ids.is_empty());
    assert!(body["suggest_note"].as_str().unwrap().contains("定位"), "{body}");
}

/// Every write of an order's loop is in the audit log under its own Chinese name, and the log
/// can be filtered by any action; an unknown action or entity is a 400.
async fn every_write_of_the_loop_is_named_in_the_audit_log(t: TestApp) {
    let w = world::build(&t).await;
    let id = order(&t, &w, 1).await;
    ok(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        json!({"target": "volunteers", "volunteer_ids": [w.v_self]}),
    )
    .await;
    let offer = offer_for(&t, &w.volunteer, id).await;
    ok(
        &t,
        &format!("/api/v1/order-offers/{offer}/accept"),
        &w.volunteer,
        json!({}),
    )
    .await;
    support::app::begun(&t.app, id).await;
    ok(
        &t,
        &format!("/api/v1/orders/{id}/complete"),
        &w.volunteer,
        json!({"report": "陪老人聊天", "minutes": [{"volunteer_id": w.v_self, "minutes": 60}]}),
    )
    .await;
    ok(
        &t,
        &format!("/api/v1/orders/{id}/rate"),
        &w.resident,
        json!({"rating": 4}),
    )
    .await;

    let log = t.get("/api/v1/audit?per_page=200", Some(&w.city)).await;
    assert_eq!(log.status, 200, "{}", log.body);
    let items = log.body["items"].as_array().unwrap();
    assert!(items.len() > 10, "{}", log.body);
    for e in items {
        assert_ne!(e["action_label"], "其他操作", "unnamed action: {e}");
        assert_ne!(e["entity_label"], e["entity_type"], "unnamed entity: {e}");
    }
    let actions: Vec<&str> = items.iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in [
        "order.submit",
        "order.dispatch",
        "order.accept",
        "order.complete",
        "order.rate",
        "record.enter",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }

    // filter by one action
    let only = t.get("/api/v1/audit?action=order.dispatch", Some(&w.city)).await;
    assert_eq!(only.status, 200, "{}", only.body);
    let only = only.body["items"].as_array().unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["entity_id"], id.to_string());
    assert_eq!(only[0]["action_label"], "派单");
    // unknown values are refused, naming the field
    let bad = t.get("/api/v1/audit?action=order.explode", Some(&w.city)).await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (400, "action_invalid"),
        "{}",
        bad.body
    );
    assert_eq!(bad.body["error"]["fields"][0]["field"], "action");
    let bad = t.get("/api/v1/audit?entity_type=orderz", Some(&w.city)).await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (400, "entity_type_invalid"),
        "{}",
        bad.body
    );

    // the page offers every action, grouped by entity, and filters by it
    let c = support::app::page_session(&t, "city").await;
    let html = c
        .get(t.url("/audit?action=order.rate"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for a in [
        "order.dispatch",
        "record.correct",
        "sign_up.promote",
        "attendance.check_in",
        "menu.update",
    ] {
        assert!(
            html.contains(&format!("<option value=\"{a}\"")),
            "{a} not offered"
        );
    }
    assert!(html.contains("<optgroup label=\"点单\">"), "grouped by entity");
    assert!(html.contains("<option value=\"order.rate\" selected>评单</option>"));
    assert_eq!(
        html.matches("<li class=\"audit-entry\">").count(),
        1,
        "only the rating"
    );
}

/// Free text on orders, dispatches, reports, ratings and join requests is checked like every
/// other input: length, control characters, markup in names; a report keeps its line breaks.
async fn free_text_is_checked_on_every_order_write(t: TestApp) {
    let w = world::build(&t).await;
    let it = item(&t, "助老陪伴").await;
    let field_of = |r: &support::app::Resp| {
        r.body["error"]["fields"][0]["field"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    for (k, v) in [
        ("notes", json!("x".repeat(501))),
        ("notes", json!("请按门铃\u{7}")),
        ("contact_name", json!("<script>张</script>")),
        ("address", json!("建外\n3号楼")),
    ] {
        let mut b = order_body(it, 1);
        b[k] = v;
        let r = t.post("/api/v1/orders", Some(&w.resident), b).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (422, "text_invalid"),
            "{k}: {}",
            r.body
        );
        assert_eq!(field_of(&r), k);
    }
    assert_eq!(count(&t, "SELECT COUNT(*) FROM orders").await, 0);

    let id = order(&t, &w, 1).await;
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&w.jw_site_admin),
            json!({"target": "volunteers", "volunteer_ids": [w.v_self], "note": "y".repeat(201)}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), field_of(&r).as_str()),
        (422, "note"),
        "{}",
        r.body
    );
    ok(
        &t,
        &format!("/api/v1/orders/{id}/dispatch"),
        &w.jw_site_admin,
        json!({"target": "volunteers", "volunteer_ids": [w.v_self], "note": "请带上血压计"}),
    )
    .await;
    let offer = offer_for(&t, &w.volunteer, id).await;
    ok(
        &t,
        &format!("/api/v1/order-offers/{offer}/accept"),
        &w.volunteer,
        json!({}),
    )
    .await;
    support::app::begun(&t.app, id).await;
    let path = format!("/api/v1/orders/{id}/complete");
    let minutes = json!([{"volunteer_id": w.v_self, "minutes": 60}]);
    let r = t
        .post(
            &path,
            Some(&w.volunteer),
            json!({"report": "整理\u{0}房间", "minutes": minutes}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), field_of(&r).as_str()),
        (422, "report"),
        "{}",
        r.body
    );
    let done = ok(
        &t,
        &path,
        &w.volunteer,
        json!({"report": "1. 陪老人聊天\n2. 整理房间", "minutes": minutes}),
    )
    .await;
    assert_eq!(
        done["report"], "1. 陪老人聊天\n2. 整理房间",
        "a report keeps its lines"
    );
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/rate"),
            Some(&w.resident),
            json!({"rating": 5, "comment": "好\u{1b}[31m"}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), field_of(&r).as_str()),
        (422, "comment"),
        "{}",
        r.body
    );

    // a join request's note
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/join-requests", w.team_b),
            Some(&w.volunteer),
            json!({"note": "z".repeat(201)}),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "text_invalid"), "{}", r.body);
}

both_backends!(
    whole_loop_to_a_volunteer_and_to_a_team,
    free_text_is_checked_on_every_order_write,
    every_write_of_the_loop_is_named_in_the_audit_log,
    bad_input_is_refused_cleanly,
    one_time_codes,
    overdue_orders_escalate,
    redispatch_decline_and_cancel,
    concurrent_accepts,
    site_menus_are_edited_by_their_admins,
    dispatch_suggests_the_best_matches,
    the_handling_office_sees_the_teams_stations_and_volunteers_it_may_dispatch_to,
);
