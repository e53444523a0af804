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
    let id = world::accepted_order(&t, &w).await.id;
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

/// An order action sent again (the back button, a second tap, a page gone stale) is refused
/// on the page it came from, as that page is now, saying why: never a bare error page. The
/// browser is told the page's own address, so a refresh does not send the form again.
async fn a_repeated_order_action_shows_the_order_as_it_is(t: TestApp) {
    let w = world::build(&t).await;
    let o = world::accepted_order(&t, &w).await;
    let v = session(&t, "13700000001").await;
    let r = v
        .post(t.url(&format!("/order-offers/{}/accept", o.offer)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"refused\""), "why, on the 接单 page: {html}");
    assert!(html.contains("派给我的点单"));
    assert!(html.contains("data-page-url=\"/orders/for-me\""));
    let r = v
        .post(t.url(&format!("/order-offers/{}/decline", o.offer)))
        .form(&[("reason", "临时有事")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409, "an accepted offer is not declined afterwards");
    assert!(r.text().await.unwrap().contains("id=\"refused\""));
    // the resident cancels, then cancels again from a stale page, then rates a cancelled order
    let res = session(&t, "resident").await;
    let cancel = |next: &'static str| {
        res.post(t.url(&format!("/orders/{}/cancel", o.id)))
            .form(&[("reason", "不需要了"), ("next", next)])
            .send()
    };
    assert_eq!(cancel("").await.unwrap().status(), 303);
    let r = cancel("/orders/mine").await.unwrap();
    assert_eq!(r.status(), 409);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"refused\""), "{html}");
    assert!(html.contains("已取消"), "the order as it is now");
    assert!(html.contains(&format!("data-page-url=\"/orders/{}\"", o.id)));
    let r = res
        .post(t.url(&format!("/orders/{}/rate", o.id)))
        .form(&[("rating", "5"), ("comment", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("id=\"refused\""));
    // the office rejects the cancelled order from its stale queue
    let site = session(&t, "jwsite").await;
    let r = site
        .post(t.url(&format!("/orders/{}/reject", o.id)))
        .form(&[("reason", "重复")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("id=\"refused\""));
}

/// An empty project form reports every missing field at once, and a shift's problem names
/// the shift (as the form numbers it) and stands beside that row.
async fn a_project_form_reports_every_problem_at_once(t: TestApp) {
    let w = world::build(&t).await;
    let c = session(&t, "teama").await;
    let r = c
        .post(t.url("/projects/new"))
        .form(&[("action", "publish")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    for field in [
        "organization_id",
        "title",
        "category",
        "address",
        "person_in_charge",
        "shift",
    ] {
        assert!(html.contains(&format!("id=\"error-{field}\"")), "{field}: {html}");
    }
    let team = w.team_a.to_string();
    let local = |h: i64| {
        (chrono::Utc::now().with_timezone(&zhiyuan_app::TZ) + chrono::Duration::hours(h))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let (start, end) = (local(24), local(26));
    let r = c
        .post(t.url("/projects/new"))
        .form(&[
            ("title", "周末助老"),
            ("category", "elderly_disabled"),
            ("organization_id", &team),
            ("address", "建外街道"),
            ("person_in_charge", "李队长"),
            ("shift_start", ""),
            ("shift_end", ""),
            ("shift_headcount", ""),
            ("shift_min_age", ""),
            ("shift_skills", ""),
            ("shift_start", &start),
            ("shift_end", &end),
            ("shift_headcount", "10"),
            ("shift_min_age", ""),
            ("shift_skills", ""),
            ("shift_start", &end),
            ("shift_end", &start),
            ("shift_headcount", "0"),
            ("shift_min_age", ""),
            ("shift_skills", ""),
            ("action", "publish"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("班次 3：结束时间"),
        "the summary names row 3: {html}"
    );
    assert!(
        html.contains("班次 3：招募人数"),
        "every problem of the row: {html}"
    );
    let row3 = &html
        [html.find("id=\"shift-row-3\"").unwrap()..html.find("</fieldset>\n<p class=\"actions\"").unwrap()];
    assert_eq!(row3.matches("field-error").count(), 2, "beside the row: {row3}");
    let row2 = &html[html.find("id=\"shift-row-2\"").unwrap()..html.find("id=\"shift-row-3\"").unwrap()];
    assert!(!row2.contains("field-error"), "row 2 is fine");
    assert!(html.contains("周末助老"), "input kept");
}

/// The organization tree lists its roots by region code (as GB/T 2260 lists the districts),
/// not in the order they were entered.
async fn the_organization_tree_is_in_region_code_order(t: TestApp) {
    let w = world::build(&t).await;
    // entered last, at 朝阳's center (110105000000): first of all
    world::created(
        &t,
        "/api/v1/organizations",
        &w.chaoyang,
        serde_json::json!({"name": "朝阳区志愿者联合会", "kind": "organization", "site_id": w.cy_center}),
    )
    .await;
    let anon = support::app::browser_client(&t);
    let (s, html) = page(&anon, &t, "/orgs").await;
    assert_eq!(s, 200);
    let at = |name: &str| html.find(name).unwrap_or_else(|| panic!("{name} listed: {html}"));
    assert!(at("朝阳区志愿者联合会") < at("建外邻里守望志愿服务队"));
    assert!(at("建外邻里守望志愿服务队") < at("海淀科普志愿服务队"));
    assert!(at("海淀科普志愿服务队") < at("劝业场志愿服务队"));
}

/// The audit log reads in Chinese: each entry names its object, and what a write changed is a
/// table of Chinese field names with the old and new values, not the snapshots' JSON.
async fn the_audit_log_names_objects_and_tables_changes_in_chinese(t: TestApp) {
    let w = world::build(&t).await;
    let o = world::accepted_order(&t, &w).await;
    let c = session(&t, "jwsite").await;
    let (s, html) = page(&c, &t, &format!("/audit?entity=order&entity_id={}", o.id)).await;
    assert_eq!(s, 200);
    assert!(!html.contains("其他操作"), "{html}");
    assert!(
        html.contains(&format!(">#{}</a>", o.id)),
        "the order linked: {html}"
    );
    let item = t
        .get(&format!("/api/v1/orders/{}", o.id), Some(&w.jw_site_admin))
        .await
        .body["item_name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        html.contains(&format!("</a> {item}")),
        "named by its item: {html}"
    );
    assert!(
        html.contains("<th scope=\"row\">状态</th>"),
        "a Chinese field name: {html}"
    );
    assert!(
        html.contains("待派单") || html.contains("已派单"),
        "the state's label, not its code"
    );
    assert!(!html.contains("\"status\""), "no raw JSON");
    assert!(!html.contains("&quot;status&quot;"), "no raw JSON");
}

/// A volunteer keeps their own details up to date (a new phone becomes their login name); the
/// team's admin may change a member's; an office that does not see the volunteer may not.
/// A refused form keeps what was typed, with the error beside the field.
async fn a_volunteer_keeps_their_details_up_to_date(t: TestApp) {
    let w = world::build(&t).await;
    let v = session(&t, "13700000001").await;
    let (s, html) = page(&v, &t, "/me/edit").await;
    assert_eq!(s, 200);
    assert!(html.contains("value=\"13700000001\""), "the phone, filled in");
    assert!(
        !html.contains("name=\"resident_id\""),
        "the ID is not asked again"
    );
    let form = |phone: &'static str| {
        vec![
            ("phone", phone),
            ("region_code", "110105001000"),
            ("skills", "急救、摄影摄像"),
            ("categories", "education"),
            ("availability", "周末 9-12"),
        ]
    };
    let edit = format!("/volunteers/{}/edit", w.v_self);
    let r = v.post(t.url(&edit)).form(&form("1370000")).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"error-phone\""), "{html}");
    assert!(html.contains("急救、摄影摄像"), "input kept");
    let mut agreed = form("13911112222");
    agreed.push(("public_name", "1"));
    let r = v.post(t.url(&edit)).form(&agreed).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let me = t
        .get(&format!("/api/v1/volunteers/{}", w.v_self), Some(&w.volunteer))
        .await;
    assert_eq!(
        me.body["public_name"], true,
        "the honor-roll consent is kept: {}",
        me.body
    );
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let (_, html) = page(&v, &t, &to).await;
    assert!(
        html.contains("13911112222") && html.contains("信息已更新"),
        "{html}"
    );
    // the new number is the login name now
    let c = support::app::browser_client(&t);
    let r = c
        .post(t.url("/login"))
        .form(&[
            ("username", "13911112222"),
            ("password", world::PW),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "logs in with the new number");
    // an office that does not see the volunteer may not change them
    let hd = session(&t, "haidian").await;
    let r = hd
        .post(t.url(&format!("/volunteers/{}/edit", w.v_a)))
        .form(&form("13922223333"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // the team's admin changes a member's skills; the audit log says what changed, phones masked
    let team = session(&t, "teama").await;
    let r = team
        .post(t.url(&format!("/volunteers/{}/edit", w.v_a)))
        .form(&form("13922223333"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&team, &t, &format!("/audit?entity=volunteer&entity_id={}", w.v_a)).await;
    assert!(html.contains("修改志愿者信息"), "{html}");
    assert!(
        html.contains("139****3333") && !html.contains("13922223333"),
        "phones masked: {html}"
    );
}

/// 待确认记录 decides many records at once; one already decided does not hold back the others,
/// and a refused bulk form (a rejection without its reason) keeps what was ticked.
async fn pending_records_are_decided_in_bulk(t: TestApp) {
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
    let mut ids = Vec::new();
    for minutes in [30, 40, 50] {
        let r = t
            .post(
                "/api/v1/records/declare",
                Some(&w.volunteer),
                serde_json::json!({"organization_id": w.team_a, "activity": "助老", "service_date": zhiyuan_app::today().to_string(),
                    "place": "永安里", "content": "陪伴老人", "person_in_charge": "王队长", "minutes": minutes}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(r.body["id"].as_i64().unwrap().to_string());
    }
    let c = session(&t, "teama").await;
    let bulk = |ticked: Vec<&str>, action: &'static str, reason: &'static str| {
        let mut form: Vec<(&str, &str)> = ticked.into_iter().map(|id| ("ids", id)).collect();
        form.push(("action", action));
        form.push(("reason", reason));
        c.post(t.url("/records/bulk")).form(&form).send()
    };
    let r = bulk(vec![&ids[0], &ids[1]], "confirm", "").await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("已确认 2 条服务记录"), "{html}");
    assert!(html.contains("data-page-url=\"/records/pending\""));
    // one of these was confirmed a moment ago (a second tab, a retried submit)
    let r = bulk(vec![&ids[1], &ids[2]], "reject", "").await.unwrap();
    assert_eq!(r.status(), 422, "a rejection needs its reason");
    let html = r.text().await.unwrap();
    assert!(html.contains("请填写驳回原因"));
    assert!(
        html.contains("id=\"bulk-reason\" maxlength=\"500\" value=\"\" placeholder=\"批量驳回的原因\" aria-invalid=\"true\""),
        "the reason field is marked: {html}"
    );
    assert!(
        html.contains(&format!(
            "value=\"{}\" form=\"bulk\" class=\"bulk-tick\" checked",
            ids[2]
        )),
        "what was ticked stays ticked: {html}"
    );
    let r = bulk(vec![&ids[1], &ids[2]], "reject", "时间不符").await.unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("已驳回 1 条服务记录。另有 1 条未处理"), "{html}");
    let pending = t.get("/api/v1/records/pending", Some(&w.team_a_admin)).await;
    assert_eq!(pending.body.as_array().map(Vec::len), Some(0), "{}", pending.body);
    // the volunteer's home counts the team joined, with nothing waiting
    let (_, html) = page(&session(&t, "13700000001").await, &t, "/").await;
    assert!(html.contains("已加入 1 个</dd>"), "{html}");
}

/// A residence recorded finer than the form's list (a community) is a choice on the edit form,
/// selected, so that saving without touching it keeps it; the audit log names the places.
async fn editing_keeps_a_community_residence_and_the_log_names_it(t: TestApp) {
    let w = world::build(&t).await;
    let v = session(&t, "13700000001").await;
    let edit = format!("/volunteers/{}/edit", w.v_self);
    let form = |region: &'static str| {
        vec![
            ("phone", "13700000001"),
            ("region_code", region),
            ("skills", ""),
            ("availability", ""),
        ]
    };
    let r = v
        .post(t.url(&edit))
        .form(&form("110105001001"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (_, html) = page(&v, &t, "/me/edit").await;
    assert!(
        html.contains("<option value=\"110105001001\" selected>建外测试社区</option>"),
        "the community is offered and selected: {html}"
    );
    // the form as shown, saved untouched, keeps it (and a blank one too)
    let r = v.post(t.url(&edit)).form(&form("")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let me = t
        .get(&format!("/api/v1/volunteers/{}", w.v_self), Some(&w.volunteer))
        .await;
    assert_eq!(me.body["region_code"], "110105001001");
    let office = session(&t, "chaoyang").await;
    let (_, html) = page(
        &office,
        &t,
        &format!("/audit?entity=volunteer&entity_id={}", w.v_self),
    )
    .await;
    assert!(
        html.contains("<th scope=\"row\">所在地区</th><td>建外街道</td><td>建外测试社区</td>"),
        "{html}"
    );
}

/// An empty order form says what to fill in, field by field — not that a code is malformed.
async fn an_empty_order_form_says_what_is_missing(t: TestApp) {
    world::build(&t).await;
    let res = session(&t, "resident").await;
    let r = res
        .post(t.url("/orders/new"))
        .form(&[("people", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    for said in [
        "请选择服务地点所在的社区",
        "请选择服务项目",
        "请填写服务的开始和结束时间",
        "请填写联系电话",
    ] {
        assert!(html.contains(said), "{said}: {html}");
    }
    for not_said in ["所选服务项目不存在", "服务时间格式不正确", "行政区划代码不正确"]
    {
        assert!(!html.contains(not_said), "{not_said}");
    }
}

/// 找街道或社区: the place picker is searched by name and groups places by district and street,
/// so that communities of the same name are told apart.
async fn the_place_picker_finds_streets_and_communities_by_name(t: TestApp) {
    world::build(&t).await;
    let res = session(&t, "resident").await;
    let (s, html) = page(&res, &t, "/orders/new").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("<optgroup label=\"朝阳区 建外街道\">"),
        "grouped by district and street"
    );
    assert!(html.contains("建外街道（全街道）"));
    let all = html.matches("<option value=\"1").count();
    assert!(all > 100, "the whole city without a search: {all}");
    // one community found: it is chosen
    let (_, html) = page(
        &res,
        &t,
        "/orders/new?place_q=建外测试社区&find=1&region=110108001001",
    )
    .await;
    assert_eq!(html.matches("<option value=\"1").count(), 1, "{html}");
    assert!(html.contains("value=\"110105001001\" data-search=\"朝阳区 建外街道 建外测试社区\" selected"));
    assert!(
        html.contains("value=\"建外测试社区\""),
        "the words stay in the box"
    );
    // a street finds itself and what lies in it; words narrow together
    let (_, html) = page(&res, &t, "/orders/new?place_q=建外街道&find=1").await;
    assert_eq!(html.matches("<option value=\"1").count(), 2, "{html}");
    let (_, html) = page(&res, &t, "/orders/new?place_q=海淀+测试社区&find=1").await;
    assert!(html.contains("海淀测试社区") && !html.contains("建外测试社区"));
    let (_, html) = page(&res, &t, "/orders/new?place_q=火星&find=1").await;
    assert!(html.contains("没有找到“火星”"));
    // 查看当地服务菜单 with no place chosen says so beside the picker
    let (_, html) = page(&res, &t, "/orders/new?place_q=&region=").await;
    assert!(html.contains("id=\"error-region\""), "{html}");
    let (_, html) = page(&res, &t, "/orders/new").await;
    assert!(!html.contains("id=\"error-region\""), "not on a first visit");
}

/// 打印签到表: the roster's team prints a shift's sign-in sheet as a PDF; nobody else may.
async fn a_shift_has_a_printable_sign_in_sheet(t: TestApp) {
    let w = world::build(&t).await;
    let at = |h: i64| (chrono::Utc::now() + chrono::Duration::hours(h)).to_rfc3339();
    let p = t
        .post(
            "/api/v1/projects",
            Some(&w.team_a_admin),
            serde_json::json!({"title": "签到表测试", "category": "elderly_disabled", "organization_id": w.team_a,
                "address": "建外街道永安里", "person_in_charge": "王队长", "auto_approve": true, "publish": true,
                "shifts": [{"starts_at": at(24), "ends_at": at(26), "headcount": 8}]}),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.body);
    let shift = p.body["shifts"][0]["id"].as_i64().unwrap();
    let team = session(&t, "teama").await;
    let (_, html) = page(&team, &t, &format!("/shifts/{shift}/roster")).await;
    assert!(
        html.contains(&format!("href=\"/shifts/{shift}/sheet.pdf\"")),
        "the roster links it"
    );
    let r = team
        .get(t.url(&format!("/shifts/{shift}/sheet.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    for outsider in ["haidian", "13700000001"] {
        let c = session(&t, outsider).await;
        let r = c
            .get(t.url(&format!("/shifts/{shift}/sheet.pdf")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{outsider}");
    }
}

both_backends!(
    the_place_picker_finds_streets_and_communities_by_name,
    a_shift_has_a_printable_sign_in_sheet,
    an_empty_order_form_says_what_is_missing,
    editing_keeps_a_community_residence_and_the_log_names_it,
    pending_records_are_decided_in_bulk,
    a_volunteer_keeps_their_details_up_to_date,
    the_audit_log_names_objects_and_tables_changes_in_chinese,
    the_organization_tree_is_in_region_code_order,
    a_project_form_reports_every_problem_at_once,
    a_repeated_order_action_shows_the_order_as_it_is,
    an_order_reads_right_for_its_resident_and_its_volunteer,
    a_record_page_shows_the_current_version,
    a_resubmitted_dispatch_form_dispatches_once,
    a_resubmitted_order_form_orders_once,
    pages_enforce_scope_like_the_api,
    forms_keep_input_and_show_errors_beside_fields
);
