//! HTTP integration tests: the real app on a fresh database, each body run on SQLite and
//! PostgreSQL.

mod support;

use serde_json::json;
use support::app::{new_resident_id, spawn_app, Db, TestApp};
use support::world::{self, created, volunteer_body, PW};

async fn counts(t: &TestApp) -> (i64, i64) {
    let mut c = t.app.store.read().await.unwrap();
    (
        zhiyuan_store::people::volunteers::count(&mut c).await.unwrap(),
        zhiyuan_store::audit::count(&mut c).await.unwrap(),
    )
}

async fn registration_masks_the_id_except_for_the_holder(t: TestApp) {
    let w = world::build(&t).await;
    // the holder sees the full number
    let me = t.get("/api/v1/me", Some(&w.volunteer)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["volunteer"]["resident_id"], w.v_self_id.as_str());
    assert_eq!(me.body["volunteer"]["resident_id_masked"], false);
    let gender = if (w.v_self_id.as_bytes()[16] - b'0') % 2 == 1 {
        "male"
    } else {
        "female"
    };
    assert_eq!(me.body["volunteer"]["gender"], gender);
    assert_eq!(
        me.body["volunteer"]["birth_date"],
        format!(
            "{}-{}-{}",
            &w.v_self_id[6..10],
            &w.v_self_id[10..12],
            &w.v_self_id[12..14]
        )
    );
    // an admin sees it masked, and the volunteer number is not the ID
    let r = t
        .get(&format!("/api/v1/volunteers/{}", w.v_self), Some(&w.chaoyang))
        .await;
    assert_eq!(r.status, 200);
    let masked = r.body["resident_id"].as_str().unwrap();
    assert_eq!(
        masked,
        format!("{}***********{}", &w.v_self_id[..3], &w.v_self_id[14..])
    );
    // and the birth year, never the birth date
    assert!(r.body.get("birth_date").is_none(), "{}", r.body);
    assert_eq!(r.body["birth_year"], w.v_self_id[6..10].parse::<i64>().unwrap());
    let no = r.body["volunteer_no"].as_str().unwrap();
    assert_eq!(no.len(), 15);
    assert!(!w.v_self_id.contains(no) && !no.contains(&w.v_self_id[..]));
    zhiyuan_domain::people::volunteer_no::VolunteerNo::parse(no).unwrap();
    // nowhere in the list, the audit log or the database is the clear number
    let list = t.get("/api/v1/volunteers?per_page=200", Some(&w.city)).await;
    assert!(!list.body.to_string().contains(&w.v_self_id));
    let audit = t.get("/api/v1/audit?per_page=200", Some(&w.city)).await;
    assert!(!audit.body.to_string().contains(&w.v_self_id));
    let mut c = t.app.store.read().await.unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT id_cipher, id_masked FROM volunteers")
        .fetch_all(&mut *c)
        .await
        .unwrap();
    assert!(rows
        .iter()
        .all(|(c, m)| !c.contains(&w.v_self_id) && !m.contains(&w.v_self_id)));
}

async fn bad_input_is_refused_with_a_code_and_a_chinese_message(t: TestApp) {
    let w = world::build(&t).await;
    let before = counts(&t).await;
    let good = volunteer_body("孙悟空", "110105001000", None);
    let with = |k: &str, v: serde_json::Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let mut bad_check = good["resident_id"].as_str().unwrap().to_owned();
    let last = bad_check.pop().unwrap();
    bad_check.push(if last == '0' { '1' } else { '0' });
    let cases = [
        (
            with("resident_id", json!(bad_check)),
            422,
            "resident_id_invalid",
            "校验",
        ),
        (
            with("resident_id", json!("110105190002300012")),
            422,
            "resident_id_invalid",
            "出生日期",
        ),
        (
            with("resident_id", json!("11010519491231")),
            422,
            "resident_id_invalid",
            "18",
        ),
        (with("phone", json!("1381234567")), 422, "phone_invalid", "手机"),
        (
            with("region_code", json!("110105999000")),
            422,
            "region_unknown",
            "行政区划",
        ),
        (
            with("region_code", json!("11010500")),
            422,
            "region_code_invalid",
            "",
        ),
        (with("name", json!("")), 422, "name_invalid", ""),
        (
            with("categories", json!(["炒股"])),
            422,
            "service_category_invalid",
            "",
        ),
        (
            with("availability", json!("周八 9-12")),
            422,
            "availability_invalid",
            "",
        ),
        (with("lat", json!(95.0)), 422, "location_invalid", ""),
    ];
    for (body, status, code, text) in cases {
        let r = t
            .post("/api/v1/volunteers", Some(&w.chaoyang), body.clone())
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert_eq!(r.code(), code, "{}", r.body);
        assert!(
            r.message().contains(text),
            "message {:?} lacks {text:?}",
            r.message()
        );
        assert!(
            r.message()
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "not Chinese: {}",
            r.message()
        );
    }
    // every bad field is reported at once
    let r = t
        .post(
            "/api/v1/volunteers",
            Some(&w.chaoyang),
            with("phone", json!("x"))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("resident_id".into(), json!("123"));
                    serde_json::Value::Object(o)
                })
                .unwrap(),
        )
        .await;
    let fields: Vec<&str> = r.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"phone") && fields.contains(&"resident_id"),
        "{fields:?}"
    );
    // a lower-case x is the same number: a duplicate
    let first = t
        .post("/api/v1/volunteers", Some(&w.chaoyang), good.clone())
        .await;
    assert_eq!(first.status, 201);
    let dup = t
        .post(
            "/api/v1/volunteers",
            Some(&w.chaoyang),
            with(
                "resident_id",
                json!(good["resident_id"].as_str().unwrap().to_lowercase()),
            ),
        )
        .await;
    assert_eq!(dup.status, 409, "{}", dup.body);
    assert_eq!(dup.code(), "resident_id_duplicate");
    // the same person cannot register themself again either
    let again = t
        .post(
            "/api/v1/register",
            None,
            json!({"name": "陈志愿", "resident_id": w.v_self_id, "phone": "13700000002",
        "region_code": "110105001000", "password": PW}),
        )
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.code(), "resident_id_duplicate");
    // malformed, mistyped, oversize JSON, wrong content type
    let raw = |body: String, ct: &'static str| {
        let url = t.url("/api/v1/volunteers");
        let tok = w.chaoyang.clone();
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(tok)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            let s = r.status();
            (s, r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    let (s, b) = raw("{\"name\": ".into(), "application/json").await;
    assert_eq!(
        (s.as_u16(), b["error"]["code"].as_str()),
        (400, Some("json_malformed"))
    );
    let (s, b) = raw("{\"name\": 5}".into(), "application/json").await;
    assert_eq!(
        (s.as_u16(), b["error"]["code"].as_str()),
        (422, Some("json_invalid"))
    );
    let (s, b) = raw(
        format!("{{\"name\": \"{}\"}}", "x".repeat(400_000)),
        "application/json",
    )
    .await;
    assert_eq!(
        (s.as_u16(), b["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    let (s, b) = raw("name=x".into(), "application/x-www-form-urlencoded").await;
    assert_eq!(
        (s.as_u16(), b["error"]["code"].as_str()),
        (415, Some("content_type_invalid"))
    );
    // nothing half-written: exactly the one good registration (and its audit entry) landed
    let after = counts(&t).await;
    assert_eq!(after.0, before.0 + 1);
    assert_eq!(after.1, before.1 + 1);
}

async fn joining_a_team_is_requested_then_decided_once(t: TestApp) {
    let w = world::build(&t).await;
    let path = format!("/api/v1/organizations/{}/join-requests", w.team_a);
    let r = t
        .post(&path, Some(&w.volunteer), json!({"note": "我住在附近"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    let id = r.body["id"].as_i64().unwrap();
    let again = t.post(&path, Some(&w.volunteer), json!({})).await;
    assert_eq!((again.status.as_u16(), again.code()), (409, "membership_exists"));
    // the team admin sees the request
    let pending = t.get("/api/v1/join-requests", Some(&w.team_a_admin)).await;
    assert!(pending.body.as_array().unwrap().iter().any(|m| m["id"] == id));
    // the team admin can now see the applicant
    assert_eq!(
        t.get(&format!("/api/v1/volunteers/{}", w.v_self), Some(&w.team_a_admin))
            .await
            .status,
        200
    );
    let ok = t
        .post(
            &format!("/api/v1/join-requests/{id}/approve"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["status"], "approved");
    let twice = t
        .post(
            &format!("/api/v1/join-requests/{id}/decline"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!((twice.status.as_u16(), twice.code()), (409, "membership_decided"));
    let members = t
        .get(
            &format!("/api/v1/organizations/{}/members?status=approved", w.team_a),
            Some(&w.team_a_admin),
        )
        .await;
    let names: Vec<&str> = members
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["volunteer_name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"陈志愿") && names.contains(&"王建国"),
        "{names:?}"
    );
    let org = t.get(&format!("/api/v1/organizations/{}", w.team_a), None).await;
    assert_eq!(org.body["member_count"], 2);
    // declined requests may be made again
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/join-requests", w.team_b),
            Some(&w.volunteer),
            json!({}),
        )
        .await;
    let id_b = r.body["id"].as_i64().unwrap();
    let d = t
        .post(
            &format!("/api/v1/join-requests/{id_b}/decline"),
            Some(&w.haidian),
            json!({}),
        )
        .await;
    assert_eq!(d.body["status"], "declined");
    let r = t
        .send(
            "POST",
            &format!("/api/v1/organizations/{}/join-requests", w.team_b),
            Some(&w.volunteer),
            None,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mine = t
        .get(
            &format!("/api/v1/volunteers/{}/memberships", w.v_self),
            Some(&w.volunteer),
        )
        .await;
    assert_eq!(mine.body.as_array().unwrap().len(), 3);
    // each step is in the audit log, for the team's admin
    let audit = t
        .get("/api/v1/audit?entity_type=membership", Some(&w.team_a_admin))
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"membership.request") && actions.contains(&"membership.approve"),
        "{actions:?}"
    );
    assert!(
        !actions.contains(&"membership.decline"),
        "team B's decision is outside team A: {actions:?}"
    );
}

async fn volunteers_are_found_by_name_number_phone_and_id(t: TestApp) {
    let w = world::build(&t).await;
    let v = t
        .get(&format!("/api/v1/volunteers/{}", w.v_self), Some(&w.chaoyang))
        .await;
    let no = v.body["volunteer_no"].as_str().unwrap().to_owned();
    for q in [
        "陈志",
        no.as_str(),
        "1370000",
        w.v_self_id.as_str(),
        &w.v_self_id.to_lowercase(),
    ] {
        let r = t
            .get(
                &format!("/api/v1/volunteers?q={}", urlencode(q)),
                Some(&w.chaoyang),
            )
            .await;
        assert_eq!(r.status, 200);
        let ids: Vec<i64> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![w.v_self], "query {q}");
    }
    // pagination
    for i in 0..5 {
        created(
            &t,
            "/api/v1/volunteers",
            &w.chaoyang,
            volunteer_body(
                &format!("分页{}号", ["一", "二", "三", "四", "五"][i]),
                "110105002000",
                None,
            ),
        )
        .await;
    }
    let p1 = t
        .get("/api/v1/volunteers?q=分页&per_page=2", Some(&w.chaoyang))
        .await;
    let c1 = p1.body["next_cursor"].as_str().unwrap();
    let p2 = t
        .get(
            &format!("/api/v1/volunteers?q=分页&per_page=2&after={c1}"),
            Some(&w.chaoyang),
        )
        .await;
    let c2 = p2.body["next_cursor"].as_str().unwrap();
    let p3 = t
        .get(
            &format!("/api/v1/volunteers?q=分页&per_page=2&after={c2}"),
            Some(&w.chaoyang),
        )
        .await;
    assert_eq!(p1.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(p2.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(p3.body["items"].as_array().unwrap().len(), 1);
    assert!(p3.body["next_cursor"].is_null(), "{}", p3.body);
    // out of scope: 海淀 finds none of them
    let r = t.get("/api/v1/volunteers?q=分页", Some(&w.haidian)).await;
    assert_eq!(r.body["items"], json!([]));
    let _ = new_resident_id("110105");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn login_and_sessions(t: TestApp) {
    let w = world::build(&t).await;
    let bad = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "city", "password": "wrong123"}),
        )
        .await;
    assert_eq!((bad.status.as_u16(), bad.code()), (401, "login_failed"));
    assert_eq!(bad.message(), "用户名或密码错误");
    let nobody = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "nobody", "password": "wrong123"}),
        )
        .await;
    assert_eq!(nobody.status, 401);
    let anon = t.get("/api/v1/volunteers", None).await;
    assert_eq!((anon.status.as_u16(), anon.code()), (401, "unauthenticated"));
    let forged = t.get("/api/v1/me", Some("forged-token")).await;
    assert_eq!(forged.status, 401);
    let me = t.get("/api/v1/me", Some(&w.chaoyang)).await;
    assert_eq!(me.body["account"]["role"], "district_admin");
    assert_eq!(me.body["account"]["scope"]["prefix"], "110105");
    let out = t
        .send("POST", "/api/v1/auth/logout", Some(&w.chaoyang), None)
        .await;
    assert_eq!(out.status, 204);
    assert_eq!(t.get("/api/v1/me", Some(&w.chaoyang)).await.status, 401);
}

async fn audit_log_is_append_only(t: TestApp) {
    let w = world::build(&t).await;
    let r = t.get("/api/v1/audit", Some(&w.city)).await;
    let first = &r.body["items"][0];
    assert!(first["at"].as_str().unwrap().starts_with("20"));
    assert!(first["actor_name"].is_string());
    let mut tx = t.app.store.write().await.unwrap();
    let upd = sqlx::query("UPDATE audit_log SET actor_name = 'x'")
        .execute(&mut *tx)
        .await;
    assert!(upd.is_err(), "update must be refused");
    drop(tx);
    let mut tx = t.app.store.write().await.unwrap();
    let del = sqlx::query("DELETE FROM audit_log").execute(&mut *tx).await;
    assert!(del.is_err(), "delete must be refused");
    drop(tx);
    // registration records who and the after-image
    let reg = t
        .get(
            &format!("/api/v1/audit?entity_type=volunteer&entity_id={}", w.v_a),
            Some(&w.chaoyang),
        )
        .await;
    let e = &reg.body["items"][0];
    assert_eq!(e["action"], "volunteer.register");
    assert_eq!(e["actor_name"], "teama");
    assert_eq!(e["after"]["name"], "王建国");
    assert!(e["after"]["resident_id"].as_str().unwrap().contains("********"));
}

async fn openapi_lists_every_route(t: TestApp) {
    let r = t.get("/api/openapi.json", None).await;
    assert_eq!(r.status, 200);
    let paths = r.body["paths"].as_object().unwrap();
    for p in [
        "/api/v1/auth/login",
        "/api/v1/me",
        "/api/v1/register",
        "/api/v1/regions",
        "/api/v1/sites",
        "/api/v1/sites/{id}",
        "/api/v1/organizations",
        "/api/v1/organizations/{id}/members",
        "/api/v1/organizations/{id}/join-requests",
        "/api/v1/volunteers",
        "/api/v1/volunteers/{id}",
        "/api/v1/join-requests/{id}/approve",
        "/api/v1/accounts",
        "/api/v1/audit",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
    assert!(r.body["components"]["schemas"]["VolunteerView"].is_object());
    let unknown = t.get("/api/v1/nothing-here", None).await;
    assert_eq!((unknown.status.as_u16(), unknown.code()), (404, "not_found"));
}

async fn regions_and_the_network_are_public(t: TestApp) {
    let w = world::build(&t).await;
    let top = t.get("/api/v1/regions?parent=110000000000", None).await;
    assert_eq!(top.body.as_array().unwrap().len(), 16);
    let dx = t.get("/api/v1/regions?parent=110115000000", None).await;
    assert!(dx
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "110115403000"));
    assert_eq!(
        t.get("/api/v1/regions/110105001000", None).await.body["name"],
        "建外街道"
    );
    assert_eq!(t.get("/api/v1/regions/999999999999", None).await.status, 404);
    let sites = t.get("/api/v1/sites?region=110105", None).await;
    assert_eq!(sites.body["total"], 2);
    let centers = t.get("/api/v1/sites?region=110105&level=center", None).await;
    assert_eq!(centers.body["total"], 1, "{}", centers.body);
    assert_eq!(centers.body["items"][0]["id"], w.cy_center);
    let bad = t.get("/api/v1/sites?level=centre", None).await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (400, "site_level_invalid"),
        "{}",
        bad.body
    );
    let children = t
        .get(&format!("/api/v1/sites?parent_id={}", w.cy_center), None)
        .await;
    assert_eq!(children.body["items"][0]["id"], w.jw);
    let tree = t.get("/api/v1/organizations?region=110105", None).await;
    let items = tree.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["parent_id"], w.team_a);
    assert_eq!(items[1]["depth"], 1);
    // a station must hang on a village under its institute; wrong shapes are refused
    let bad = t
        .post(
            "/api/v1/sites",
            Some(&w.chaoyang),
            json!({"name": "错站", "level": "station", "region_code": "110105001000", "parent_id": w.jw}),
        )
        .await;
    assert_eq!((bad.status.as_u16(), bad.code()), (422, "site_level_invalid"));
    let ok = t.post("/api/v1/sites", Some(&w.chaoyang), json!({"name": "建外测试社区新时代文明实践站", "level": "station", "region_code": "110105001001", "parent_id": w.jw})).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    let dup = t.post("/api/v1/sites", Some(&w.chaoyang), json!({"name": "建外测试社区新时代文明实践站", "level": "station", "region_code": "110105001001", "parent_id": w.jw})).await;
    assert_eq!((dup.status.as_u16(), dup.code()), (409, "site_duplicate"));
}

/// Free-text fields of sites, organizations and projects are bounded, free of control
/// characters, and names carry no markup; every bad field is named in the error.
async fn free_text_fields_are_bounded_and_plain(t: TestApp) {
    let w = world::build(&t).await;
    let huge = "长".repeat(200_000 / 3);
    let fields_of = |r: &support::app::Resp| -> Vec<String> {
        r.body["error"]["fields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f["field"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let org = |extra: serde_json::Value| {
        let mut b = json!({"name": "新队伍", "kind": "team", "parent_id": w.team_a});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    // an organization: huge contact name, markup in the name, control characters in the description
    let r = t
        .post(
            "/api/v1/organizations",
            Some(&w.team_a_admin),
            org(json!({"name": "<script>alert(1)</script>", "contact_name": huge, "description": "简介\u{0007}"})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.code(), "text_invalid", "{}", r.body);
    let fields = fields_of(&r);
    for f in ["name", "contact_name", "description"] {
        assert!(fields.contains(&f.to_owned()), "{f} missing from {fields:?}");
    }
    assert!(r.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| !f["message"].as_str().unwrap().is_empty() && f["code"] == "text_invalid"));
    for extra in [
        json!({"contact_name": "王<b>队长</b>"}),
        json!({"contact_name": "王\u{0000}"}),
        json!({"description": "长".repeat(2001)}),
    ] {
        let r = t
            .post("/api/v1/organizations", Some(&w.team_a_admin), org(extra.clone()))
            .await;
        assert_eq!(r.status, 422, "{extra}: {}", r.body);
    }
    // line breaks in a description are fine, and a plain contact name
    let r = t
        .post(
            "/api/v1/organizations",
            Some(&w.team_a_admin),
            org(json!({"contact_name": "王队长", "description": "第一行\n第二行\t缩进"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["contact_name"], "王队长");

    // a project: huge contact phone, markup in the title and the person in charge, control
    // characters in the risk notes
    let project = |extra: serde_json::Value| {
        let mut b = json!({
            "title": "社区敬老助餐", "category": "elderly_disabled", "organization_id": w.team_a,
            "address": "北京市朝阳区建外街道永安里", "person_in_charge": "王队长", "description": "送餐",
            "shifts": [],
        });
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let r = t
        .post(
            "/api/v1/projects",
            Some(&w.team_a_admin),
            project(
                json!({"contact_phone": "1".repeat(200_000), "title": "<img src=x>",
                "person_in_charge": "王>", "risk_notes": "注意\u{001b}[31m"}),
            ),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields = fields_of(&r);
    for f in ["contact_phone", "title", "person_in_charge", "risk_notes"] {
        assert!(fields.contains(&f.to_owned()), "{f} missing from {fields:?}");
    }
    for extra in [
        json!({"contact_phone": "<a>"}),
        json!({"address": "永安里<br>"}),
        json!({"description": "长".repeat(5001)}),
        json!({"risk_notes": "长".repeat(2001)}),
    ] {
        let r = t
            .post("/api/v1/projects", Some(&w.team_a_admin), project(extra.clone()))
            .await;
        assert_eq!(r.status, 422, "{extra}: {}", r.body);
    }
    let r = t
        .post(
            "/api/v1/projects",
            Some(&w.team_a_admin),
            project(json!({"contact_phone": "010-6500 1234转8", "risk_notes": "防暑\n穿运动鞋"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // a site: markup in the name, a huge address
    let r = t
        .post(
            "/api/v1/sites",
            Some(&w.chaoyang),
            json!({"name": "<i>站</i>", "level": "station", "region_code": "110105001001",
                "parent_id": w.jw, "address": huge}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let fields = fields_of(&r);
    assert!(
        fields.contains(&"name".to_owned()) && fields.contains(&"address".to_owned()),
        "{fields:?}"
    );
}

both_backends!(
    free_text_fields_are_bounded_and_plain,
    registration_masks_the_id_except_for_the_holder,
    bad_input_is_refused_with_a_code_and_a_chinese_message,
    joining_a_team_is_requested_then_decided_once,
    volunteers_are_found_by_name_number_phone_and_id,
    login_and_sessions,
    audit_log_is_append_only,
    openapi_lists_every_route,
    regions_and_the_network_are_public,
);
