//! The pages over real HTTP with a cookie session: scope is enforced in the pages as in the
//! API, forms re-show errors beside their fields and lose nothing typed.

mod support;

use reqwest::redirect::Policy;
use support::app::{new_resident_id, spawn_app, Db, TestApp};
use support::world;

async fn session(t: &TestApp, user: &str) -> reqwest::Client {
    support::app::page_session(t, user).await
}

async fn page(c: &reqwest::Client, t: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(t.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn pages_enforce_scope_like_the_api(t: TestApp) {
    let w = world::build(&t).await;
    // (user, readable volunteer, unreadable volunteer, may read the audit log)
    let matrix = [
        ("city", w.v_b, w.v_t, true),
        ("chaoyang", w.v_a, w.v_b, true),
        ("jwsite", w.v_a, w.v_b, true),
        ("teama", w.v_a, w.v_b, true),
        ("13700000001", w.v_self, w.v_a, false),
    ];
    for (user, inside, outside, audit) in matrix {
        let c = session(&t, user).await;
        let (s, body) = page(&c, &t, &format!("/volunteers/{inside}")).await;
        assert_eq!(s, 200, "{user} reads {inside}");
        assert!(body.contains("志愿者编号"));
        let (s, body) = page(&c, &t, &format!("/volunteers/{outside}")).await;
        assert_eq!(s, 403, "{user} must not read {outside}");
        assert!(body.contains("无权"), "{user}: 403 page in Chinese");
        let (s, _) = page(&c, &t, "/audit").await;
        assert_eq!(s == 200, audit, "{user} audit → {s}");
    }
    let c = session(&t, "resident").await;
    assert_eq!(page(&c, &t, &format!("/volunteers/{}", w.v_a)).await.0, 403);
    assert_eq!(page(&c, &t, "/audit").await.0, 403);
    // team members are shown to the team's admin only
    let (s, body) = page(&session(&t, "teama").await, &t, &format!("/orgs/{}", w.team_a)).await;
    assert_eq!(s, 200);
    assert!(body.contains("王建国"));
    let (s, body) = page(&session(&t, "haidian").await, &t, &format!("/orgs/{}", w.team_a)).await;
    assert_eq!(s, 200, "the directory entry itself is public");
    assert!(
        !body.contains("王建国"),
        "members are not shown outside the scope"
    );
    // anonymous visitors are sent to the login page
    let anon = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let r = anon.get(t.url("/volunteers")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));
    // the public pages answer without login, in Chinese
    for p in ["/", "/login", "/register", "/orgs", "/sites"] {
        let (s, body) = page(&anon, &t, p).await;
        assert_eq!(s, 200, "{p}");
        assert!(body.contains("lang=\"zh-CN\""), "{p}");
    }
    assert_eq!(page(&anon, &t, "/no-such-page").await.0, 404);
}

async fn forms_keep_input_and_show_errors_beside_fields(t: TestApp) {
    let w = world::build(&t).await;
    let c = session(&t, "teama").await;
    let good = new_resident_id("110105");
    let mut bad = good.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == '1' { '2' } else { '1' });
    let team = w.team_a.to_string();
    let form = |id: &str| {
        vec![
            ("name", "表单测试".to_owned()),
            ("resident_id", id.to_owned()),
            ("phone", "13612345678".to_owned()),
            ("region_code", "110105001000".to_owned()),
            ("team_id", team.clone()),
            ("skills", "急救、摄影摄像".to_owned()),
            ("categories", "education".to_owned()),
            ("categories", "elderly_disabled".to_owned()),
            ("availability", "周末 9-12".to_owned()),
        ]
    };
    let r = c
        .post(t.url("/volunteers/new"))
        .form(&form(&bad))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("id=\"error-resident_id\""),
        "error beside the field"
    );
    assert!(body.contains("校验"), "the Chinese message");
    assert!(
        body.contains("表单测试") && body.contains("急救、摄影摄像"),
        "typed values kept"
    );
    let (s, _) = page(&c, &t, "/volunteers?q=表单测试").await;
    assert_eq!(s, 200);
    let list = t
        .get("/api/v1/volunteers?q=表单测试", Some(&w.team_a_admin))
        .await;
    assert_eq!(list.body["items"], serde_json::json!([]), "nothing half-written");
    // the good one lands and the detail page shows the masked ID only
    let r = c
        .post(t.url("/volunteers/new"))
        .form(&form(&good))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let (s, body) = page(&c, &t, &loc).await;
    assert_eq!(s, 200);
    assert!(body.contains(&format!("{}***********{}", &good[..3], &good[14..])));
    assert!(!body.contains(&good));
    // self-registration: errors beside fields, then success shows the full number to its holder
    let anon = support::app::browser_client(&t);
    let own = new_resident_id("110108");
    let reg = |id: String, phone: &'static str| {
        vec![
            ("name", "自助注册".to_owned()),
            ("resident_id", id),
            ("phone", phone.to_owned()),
            ("region_code", "110108001000".to_owned()),
            ("password", "pass1234".to_owned()),
        ]
    };
    let r = anon
        .post(t.url("/register"))
        .form(&reg("123".into(), "12"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"error-resident_id\"") && body.contains("id=\"error-phone\""));
    let r = anon
        .post(t.url("/register"))
        .form(&reg(own.clone(), "13511112222"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (s, body) = page(&anon, &t, "/me").await;
    assert_eq!(s, 200);
    assert!(body.contains(&own), "the holder sees the full resident ID");
}

/// A resubmitted order form (back and submit again, a reload, a double tap) carries the same
/// `form_key` and gets the first answer back: one order. A form refused for its input frees its
/// key, so the corrected form goes through; a fresh form is a new order.
async fn a_resubmitted_order_form_orders_once(t: TestApp) {
    let w = world::build(&t).await;
    const PLACE: &str = "110105001001";
    let menu = t.get(&format!("/api/v1/menu?region_code={PLACE}"), None).await;
    let item = menu.body["items"][0]["id"].as_i64().unwrap().to_string();
    let c = session(&t, "resident").await;
    let key_of = |html: &str| {
        html.split("name=\"form_key\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("a form key: {html}"))
    };
    let (s, html) = page(&c, &t, &format!("/orders/new?region={PLACE}")).await;
    assert_eq!(s, 200);
    let key = key_of(&html);
    let local = |m: i64| {
        (chrono::Utc::now().with_timezone(&zhiyuan_app::TZ) + chrono::Duration::minutes(m))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let form = |key: &str, start: i64| {
        vec![
            ("region_code", PLACE.to_owned()),
            ("form_key", key.to_owned()),
            ("item_id", item.clone()),
            ("address", "建外测试小区3号楼".to_owned()),
            ("window_start", local(start)),
            ("window_end", local(start + 60)),
            ("people", "1".to_owned()),
            ("contact_phone", "13800138000".to_owned()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let c = &c;
        let t = &t;
        async move { c.post(t.url("/orders/new")).form(&f).send().await.unwrap() }
    };
    let first = post(form(&key, 120)).await;
    assert_eq!(first.status(), 303);
    let to = first.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/orders/"), "{to}");
    // the same form again, twice at once (a double tap), and once more later (back + submit)
    let (a, b) = tokio::join!(post(form(&key, 120)), post(form(&key, 120)));
    let again = post(form(&key, 120)).await;
    for r in [a, b, again] {
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"].to_str().unwrap(), to, "the first answer");
    }
    let mine = t.get("/api/v1/orders/mine", Some(&w.resident)).await;
    assert_eq!(
        mine.body["items"].as_array().unwrap().len(),
        1,
        "one order: {}",
        mine.body
    );
    // a fresh form whose window is in the past is refused beside the field …
    let (_, html) = page(&c, &t, &format!("/orders/new?region={PLACE}")).await;
    let key2 = key_of(&html);
    assert_ne!(key, key2, "every form has its own key");
    let refused = post(form(&key2, -120)).await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert_eq!(key_of(&html), key2, "the form shown again keeps its key");
    // … and, corrected, is a second order
    let second = post(form(&key2, 180)).await;
    assert_eq!(second.status(), 303);
    assert_ne!(second.headers()["location"].to_str().unwrap(), to);
    let mine = t.get("/api/v1/orders/mine", Some(&w.resident)).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 2, "{}", mine.body);
}

/// The dispatch page's forms carry one `form_key`: back and 派单 again, or a double tap,
/// dispatches once (one round, one notice to the team), where it used to start round 2.
async fn a_resubmitted_dispatch_form_dispatches_once(t: TestApp) {
    let w = world::build(&t).await;
    const PLACE: &str = "110105001001";
    let menu = t.get(&format!("/api/v1/menu?region_code={PLACE}"), None).await;
    let item = menu.body["items"][0]["id"].as_i64().unwrap();
    let at = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
    let o = t
        .post(
            "/api/v1/orders",
            Some(&w.resident),
            serde_json::json!({"item_id": item, "region_code": PLACE, "address": "建外测试社区3号楼", "lat": 39.9087,
                "lon": 116.45, "window_start": at(3), "window_end": at(5), "people": 1,
                "contact_name": "张大妈", "contact_phone": "13800138000"}),
        )
        .await;
    assert_eq!(o.status, 201, "{}", o.body);
    let id = o.body["id"].as_i64().unwrap();
    let c = session(&t, "jwsite").await;
    let (s, html) = page(&c, &t, &format!("/orders/{id}/dispatch")).await;
    assert_eq!(s, 200, "{html}");
    let key = html
        .split("name=\"form_key\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the dispatch forms carry a form key")
        .to_owned();
    let form = vec![
        ("form_key", key.clone()),
        ("target", "team".to_owned()),
        ("team_id", w.team_a.to_string()),
        ("note", "请尽快联系".to_owned()),
    ];
    let post = || {
        let (c, t, f) = (&c, &t, form.clone());
        async move {
            c.post(t.url(&format!("/orders/{id}/dispatch")))
                .form(&f)
                .send()
                .await
                .unwrap()
        }
    };
    let first = post().await;
    assert_eq!(first.status(), 303);
    let to = first.headers()["location"].to_str().unwrap().to_owned();
    let (a, b) = tokio::join!(post(), post());
    let again = post().await;
    for r in [a, b, again] {
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"].to_str().unwrap(), to, "the first answer");
    }
    let o = t
        .get(&format!("/api/v1/orders/{id}"), Some(&w.jw_site_admin))
        .await;
    assert_eq!(
        (o.body["status"].as_str(), o.body["round"].as_i64()),
        (Some("dispatched"), Some(1)),
        "{}",
        o.body
    );
    let n = t.get("/api/v1/notices", Some(&w.team_a_admin)).await;
    let dispatched = n.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["order_id"] == id && x["kind"] == "dispatched")
        .count();
    assert_eq!(dispatched, 1, "one notice to the team: {}", n.body);
}

/// A record's page shows its current version, whichever version its link names: after the
/// team confirms a record from the pending list, the old link shows 已确认 and no buttons.
async fn a_record_page_shows_the_current_version(t: TestApp) {
    let w = world::build(&t).await;
    let join = t
        .post(
            &format!("/api/v1/organizations/{}/join-requests", w.team_a),
            Some(&w.volunteer),
            serde_json::json!({}),
        )
        .await;
    t.post(
        &format!("/api/v1/join-requests/{}/approve", join.body["id"]),
        Some(&w.team_a_admin),
        serde_json::json!({}),
    )
    .await;
    let today = zhiyuan_app::today().to_string();
    let d = t
        .post(
            "/api/v1/records/declare",
            Some(&w.volunteer),
            serde_json::json!({"organization_id": w.team_a, "activity": "助老", "service_date": today,
                "place": "永安里", "content": "陪伴老人", "person_in_charge": "王队长", "minutes": 60}),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.body);
    let old = d.body["id"].as_i64().unwrap();
    let c = session(&t, "teama").await;
    let (s, html) = page(&c, &t, &format!("/records/{old}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("/confirm"), "a pending record offers 确认");
    let r = c
        .post(t.url(&format!("/records/{old}/confirm")))
        .form(&[("from", "pending")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (s, html) = page(&c, &t, &format!("/records/{old}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("已确认"), "the current version: {html}");
    assert!(
        !html.contains("/confirm\""),
        "no 确认 on a confirmed record: {html}"
    );
    assert!(html.contains("版本记录（2）"), "both versions listed");
}

/// The pages around one served order, read by each of its people: every link they are shown
/// is one they may open, what was just done is said, and a status is shown once.
async fn an_order_reads_right_for_its_resident_and_its_volunteer(t: TestApp) {
    let w = world::build(&t).await;
    const PLACE: &str = "110105001001";
    let menu = t.get(&format!("/api/v1/menu?region_code={PLACE}"), None).await;
    let item = menu.body["items"][0]["id"].as_i64().unwrap();
    let at = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
    let o = t
        .post(
            "/api/v1/orders",
            Some(&w.resident),
            serde_json::json!({"item_id": item, "region_code": PLACE, "address": "建外测试社区3号楼", "lat": 39.9087,
                "lon": 116.45, "window_start": at(3), "window_end": at(5), "people": 1,
                "contact_name": "张大妈", "contact_phone": "13800138000"}),
        )
        .await;
    let id = o.body["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&w.jw_site_admin),
            serde_json::json!({"target": "volunteers", "volunteer_ids": [w.v_self]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let offer = r.body["offers"][0]["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/order-offers/{offer}/accept"),
            Some(&w.volunteer),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // the volunteer's list: 接单 is the current tab, and the status is shown once
    let v = session(&t, "13700000001").await;
    let (_, html) = page(&v, &t, "/orders/for-me").await;
    assert!(
        html.contains("href=\"/orders/for-me\" aria-current=\"page\""),
        "接单 is the current tab"
    );
    assert!(!html.contains("href=\"/orders/new\" aria-current"), "not 点单");
    assert_eq!(html.matches(">已接单<").count(), 1, "one 已接单 badge: {html}");
    // the volunteer's order page leads back to 接单, not to the office's queue
    let (_, html) = page(&v, &t, &format!("/orders/{id}")).await;
    assert!(html.contains("<a href=\"/orders/for-me\">接单</a> ›"), "{html}");
    assert!(
        !html.contains("href=\"/orders/queue\""),
        "no link to the office queue"
    );
    support::app::begun(&t.app, id).await;
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/complete"),
            Some(&w.volunteer),
            serde_json::json!({"report": "陪同就医", "minutes": [{"volunteer_id": w.v_self, "minutes": 60}]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // the resident: no link to the volunteer's service record (not theirs to read)
    let res = session(&t, "resident").await;
    let (_, html) = page(&res, &t, &format!("/orders/{id}")).await;
    assert!(!html.contains("href=\"/records/"), "{html}");
    let r = res
        .post(t.url(&format!("/orders/{id}/rate")))
        .form(&[("rating", "5"), ("comment", "很好")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, html) = page(&res, &t, &to).await;
    assert!(
        html.contains("感谢您的评价"),
        "the rating is acknowledged: {html}"
    );
}

both_backends!(
    an_order_reads_right_for_its_resident_and_its_volunteer,
    a_record_page_shows_the_current_version,
    a_resubmitted_dispatch_form_dispatches_once,
    a_resubmitted_order_form_orders_once,
    pages_enforce_scope_like_the_api,
    forms_keep_input_and_show_errors_beside_fields
);
