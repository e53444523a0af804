//! Projects, sign-ups, attendance, service records and certificates over real HTTP, every
//! body on SQLite and PostgreSQL.

mod support;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use support::app::{spawn_app, Db, TestApp};
use support::world::{self, World, PW};

fn at(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339()
}

/// A published project of team A with one shift starting in `start_in`, lasting 2 hours.
async fn project(t: &TestApp, w: &World, headcount: i64, auto: bool, extra: Value) -> (i64, i64) {
    let mut body = json!({
        "title": "社区敬老助餐", "category": "elderly_disabled", "organization_id": w.team_a,
        "address": "北京市朝阳区建外街道永安里", "lat": 39.9087, "lon": 116.4500, "person_in_charge": "王队长",
        "description": "为社区老人送餐", "auto_approve": auto, "publish": true,
        "shifts": [{"starts_at": at(Duration::minutes(30)), "ends_at": at(Duration::minutes(150)), "headcount": headcount}],
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let r = t.post("/api/v1/projects", Some(&w.team_a_admin), body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    (
        r.body["id"].as_i64().unwrap(),
        r.body["shifts"][0]["id"].as_i64().unwrap(),
    )
}

/// Registers `n` volunteers themselves; returns their tokens and ids.
async fn volunteers(t: &TestApp, n: usize, tag: u32) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for i in 0..n {
        let r = t
            .post(
                "/api/v1/register",
                None,
                json!({"name": "报名测试", "resident_id": support::app::new_resident_id("110105"),
                       "phone": format!("135{:04}{:04}", tag, i), "region_code": "110105001000", "password": PW,
                       "skills": ["急救"]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        out.push((
            r.body["token"].as_str().unwrap().to_owned(),
            r.body["volunteer"]["id"].as_i64().unwrap(),
        ));
    }
    out
}

/// Moves a shift so that it started `ago` and lasts `len` (tests cannot wait for real time).
async fn travel(t: &TestApp, shift: i64, ago: Duration, len: Duration) {
    let start = (Utc::now() - ago).timestamp_millis();
    let mut tx = t.app.store.write().await.unwrap();
    sqlx::query("UPDATE shifts SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(start)
        .bind(start + len.num_milliseconds())
        .bind(shift)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn records_of(t: &TestApp, token: &str, vid: i64) -> Vec<Value> {
    let r = t
        .get(
            &format!("/api/v1/volunteers/{vid}/records?per_page=200"),
            Some(token),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

async fn projects_are_published_listed_and_found_nearby(t: TestApp) {
    let w = world::build(&t).await;
    let draft = t
        .post(
            "/api/v1/projects",
            Some(&w.team_a_admin),
            json!({"title": "草稿项目", "category": "环境", "organization_id": w.team_a, "address": "x", "person_in_charge": "p"}),
        )
        .await;
    assert_eq!(
        (draft.status.as_u16(), draft.body["error"]["code"].as_str()),
        (422, Some("service_category_invalid"))
    );
    let draft = t
        .post(
            "/api/v1/projects",
            Some(&w.team_a_admin),
            json!({"title": "草稿项目", "category": "environment", "organization_id": w.team_a, "address": "建外",
                   "person_in_charge": "p", "lat": 39.95, "lon": 116.45}),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    assert_eq!(draft.body["status"], "draft");
    let did = draft.body["id"].as_i64().unwrap();
    assert_eq!(
        t.get(&format!("/api/v1/projects/{did}"), None).await.status,
        404,
        "drafts are not public"
    );
    assert_eq!(
        t.get(&format!("/api/v1/projects/{did}"), Some(&w.team_a_admin))
            .await
            .status,
        200
    );
    assert_eq!(
        t.get(&format!("/api/v1/projects/{did}"), Some(&w.haidian))
            .await
            .status,
        403
    );
    // publishing needs a shift
    let r = t
        .post(
            &format!("/api/v1/projects/{did}/status"),
            Some(&w.team_a_admin),
            json!({"status": "recruiting"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let bad = t
        .post(
            &format!("/api/v1/projects/{did}/shifts"),
            Some(&w.team_a_admin),
            json!({"starts_at": at(Duration::hours(3)), "ends_at": at(Duration::hours(2)), "headcount": 3}),
        )
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.body["error"]["code"].as_str()),
        (422, Some("shift_time_invalid"))
    );
    let s = t
        .post(&format!("/api/v1/projects/{did}/shifts"), Some(&w.team_a_admin),
            json!({"starts_at": at(Duration::days(2)), "ends_at": at(Duration::days(2) + Duration::hours(2)), "headcount": 3}))
        .await;
    assert_eq!(s.status, 201, "{}", s.body);
    let r = t
        .post(
            &format!("/api/v1/projects/{did}/status"),
            Some(&w.team_a_admin),
            json!({"status": "recruiting"}),
        )
        .await;
    assert_eq!(r.body["status"], "recruiting");
    let outsider = t
        .post(
            &format!("/api/v1/projects/{did}/status"),
            Some(&w.haidian),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(outsider.status, 403);
    let (near, _) = project(&t, &w, 5, false, json!({})).await;
    // lists: category, region and date filters; drafts never appear
    let list = t.get("/api/v1/projects?category=environment", None).await;
    assert_eq!(list.body["total"], 1);
    let list = t.get("/api/v1/projects?region=110108", None).await;
    assert_eq!(list.body["total"], 0);
    // a state filter: the recruiting projects, none of them running yet
    let all = t.get("/api/v1/projects", None).await.body["total"].clone();
    let list = t.get("/api/v1/projects?status=recruiting", None).await;
    assert_eq!(list.body["total"], all, "{}", list.body);
    assert!(list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "recruiting"));
    let list = t.get("/api/v1/projects?status=running", None).await;
    assert_eq!(list.body["total"], 0, "{}", list.body);
    // the draft's shift is two days ahead, the others' half an hour (which is tomorrow in
    // Beijing after 23:30): from the day after tomorrow only the draft's project is left
    let later = (zhiyuan_app::today() + Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let list = t.get(&format!("/api/v1/projects?from={later}"), None).await;
    let ids: Vec<i64> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![did]);
    // nearby: nearest first, with the distance
    let r = t
        .get(
            "/api/v1/projects/nearby?lat=39.9087&lon=116.4501&radius_m=10000",
            None,
        )
        .await;
    let ids: Vec<i64> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![near, did]);
    assert!(r.body[0]["distance_m"].as_i64().unwrap() < 50);
    let r = t
        .get(
            "/api/v1/projects/nearby?lat=39.9087&lon=116.4501&radius_m=1000",
            None,
        )
        .await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    // finished is final
    for s in ["running", "finished"] {
        let r = t
            .post(
                &format!("/api/v1/projects/{did}/status"),
                Some(&w.team_a_admin),
                json!({"status": s}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = t
        .post(
            &format!("/api/v1/projects/{did}/status"),
            Some(&w.team_a_admin),
            json!({"status": "recruiting"}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"]["code"].as_str()),
        (422, Some("state_invalid"))
    );
    assert!(r.body["error"]["message"].as_str().unwrap().contains("已结束"));
}

async fn concurrent_sign_ups_never_exceed_the_headcount(t: TestApp) {
    let w = world::build(&t).await;
    let (_, shift) = project(&t, &w, 5, true, json!({})).await;
    let vols = volunteers(&t, 24, 1).await;
    let mut tasks = Vec::new();
    for (token, _) in vols.clone() {
        let url = t.url(&format!("/api/v1/shifts/{shift}/sign-ups"));
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap())
        }));
    }
    let mut approved = 0;
    let mut waitlisted = Vec::new();
    for task in tasks {
        let (s, body) = task.await.unwrap();
        assert_eq!(s, 201, "{body}");
        match body["status"].as_str().unwrap() {
            "approved" => approved += 1,
            "waitlisted" => waitlisted.push(body["id"].as_i64().unwrap()),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(approved, 5);
    assert_eq!(waitlisted.len(), 19);
    let roster = t
        .get(&format!("/api/v1/shifts/{shift}/roster"), Some(&w.team_a_admin))
        .await;
    let rows = roster.body.as_array().unwrap();
    assert_eq!(rows.iter().filter(|r| r["status"] == "approved").count(), 5);
    // a cancellation promotes the first in line
    let first_approved = rows.iter().find(|r| r["status"] == "approved").unwrap();
    let owner = vols
        .iter()
        .find(|v| v.1 == first_approved["volunteer_id"].as_i64().unwrap())
        .unwrap();
    let c = t
        .post(
            &format!("/api/v1/sign-ups/{}/cancel", first_approved["id"]),
            Some(&owner.0),
            json!({}),
        )
        .await;
    assert_eq!(c.body["status"], "cancelled", "{}", c.body);
    let first_waiting = *waitlisted.iter().min().unwrap();
    let roster = t
        .get(&format!("/api/v1/shifts/{shift}/roster"), Some(&w.team_a_admin))
        .await;
    let promoted = roster
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == first_waiting)
        .unwrap()
        .clone();
    assert_eq!(promoted["status"], "approved");
    let p = t
        .get(&format!("/api/v1/projects/{}", promoted["project_id"]), None)
        .await;
    assert_eq!(p.body["shifts"][0]["approved"], 5);
    assert_eq!(p.body["shifts"][0]["waitlisted"], 18);
    // the team cannot approve a waitlisted volunteer past the headcount
    let w2 = waitlisted.iter().find(|id| **id != first_waiting).unwrap();
    let r = t
        .post(
            &format!("/api/v1/sign-ups/{w2}/approve"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"]["code"].as_str()),
        (409, Some("shift_full"))
    );
}

async fn sign_up_rules_are_enforced(t: TestApp) {
    let w = world::build(&t).await;
    let (_, s1) = project(&t, &w, 3, false, json!({})).await;
    let (_, s2) = project(&t, &w, 3, false, json!({"title": "重叠班次"})).await;
    let (_, s_old) = project(
        &t,
        &w,
        3,
        false,
        json!({"title": "高龄班次", "shifts": [{"starts_at": at(Duration::days(3)),
        "ends_at": at(Duration::days(3) + Duration::hours(1)), "headcount": 2, "min_age": 100}]}),
    )
    .await;
    let (_, s_skill) = project(&t, &w, 3, false, json!({"title": "技能班次", "shifts": [{"starts_at": at(Duration::days(4)),
        "ends_at": at(Duration::days(4) + Duration::hours(1)), "headcount": 2, "required_skills": ["手语"]}]})).await;
    let r = t
        .post(
            &format!("/api/v1/shifts/{s1}/sign-ups"),
            Some(&w.volunteer),
            json!({"note": "可以"}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (201, Some("pending"))
    );
    let cases = [
        (s1, &w.volunteer, 409, "sign_up_exists"),
        (s2, &w.volunteer, 409, "shift_clash"),
        (s_old, &w.volunteer, 409, "too_young"),
        (s_skill, &w.volunteer, 409, "skills_missing"),
        (s1, &w.resident, 409, "not_a_volunteer"),
        (999_999, &w.volunteer, 404, "not_found"),
    ];
    for (shift, token, status, code) in cases {
        let r = t
            .post(
                &format!("/api/v1/shifts/{shift}/sign-ups"),
                Some(token),
                json!({}),
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.body["error"]["code"].as_str()),
            (status, Some(code)),
            "{}",
            r.body
        );
        assert!(!r.body["error"]["message"].as_str().unwrap().is_empty());
    }
    // a cancelled project takes no sign-ups
    let p2 = t
        .get(&format!("/api/v1/shifts/{s2}/roster"), Some(&w.team_a_admin))
        .await;
    assert_eq!(
        p2.body.as_array().unwrap().len(),
        0,
        "refused sign-ups wrote nothing"
    );
    let proj = t.get("/api/v1/projects?q=重叠", None).await;
    let pid = proj.body["items"][0]["id"].as_i64().unwrap();
    t.post(
        &format!("/api/v1/projects/{pid}/status"),
        Some(&w.team_a_admin),
        json!({"status": "cancelled"}),
    )
    .await;
    let vols = volunteers(&t, 1, 2).await;
    let r = t
        .post(
            &format!("/api/v1/shifts/{s2}/sign-ups"),
            Some(&vols[0].0),
            json!({}),
        )
        .await;
    assert_eq!(r.body["error"]["code"], "project_cancelled");
    // the team decides; the volunteer sees it
    let mine = t.get("/api/v1/my/sign-ups", Some(&w.volunteer)).await;
    let id = mine.body[0]["id"].as_i64().unwrap();
    assert_eq!(
        t.post(
            &format!("/api/v1/sign-ups/{id}/approve"),
            Some(&w.haidian),
            json!({})
        )
        .await
        .status,
        403
    );
    let ok = t
        .post(
            &format!("/api/v1/sign-ups/{id}/approve"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(ok.body["status"], "approved");
    let again = t
        .post(
            &format!("/api/v1/sign-ups/{id}/decline"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.body["error"]["code"].as_str()),
        (422, Some("state_invalid"))
    );
}

async fn qr_check_in_is_signed_idempotent_and_located(t: TestApp) {
    let w = world::build(&t).await;
    let (_, shift) = project(&t, &w, 5, true, json!({"checkin_radius_m": 200})).await;
    let vols = volunteers(&t, 2, 3).await;
    for (tok, _) in &vols {
        assert_eq!(
            t.post(&format!("/api/v1/shifts/{shift}/sign-ups"), Some(tok), json!({}))
                .await
                .status,
            201
        );
    }
    let qr = t
        .get(&format!("/api/v1/shifts/{shift}/qr"), Some(&w.team_a_admin))
        .await;
    assert_eq!(qr.status, 200, "{}", qr.body);
    assert_eq!(
        t.get(&format!("/api/v1/shifts/{shift}/qr"), Some(&w.haidian))
            .await
            .status,
        403
    );
    let token = qr.body["token"].as_str().unwrap().to_owned();
    assert!(qr.body["path"].as_str().unwrap().ends_with(&token));
    let (vt, _) = &vols[0];
    let scan = |body: Value| {
        let t = &t;
        let vt = vt.clone();
        async move { t.post("/api/v1/checkin/scan", Some(&vt), body).await }
    };
    let r = scan(json!({"token": token})).await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"]["code"].as_str()),
        (422, Some("location_required"))
    );
    let r = scan(json!({"token": token, "lat": 39.95, "lon": 116.45})).await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"]["code"].as_str()),
        (422, Some("out_of_radius"))
    );
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let r = scan(json!({"token": forged, "lat": 39.9087, "lon": 116.4500})).await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"]["code"].as_str()),
        (422, Some("qr_token_invalid"))
    );
    let stale = zhiyuan_domain::service::checkin::QrSigner::new(&t.app.vault().derived_key("checkin-qr"))
        .token(shift, Utc::now().timestamp() - 3600, 120);
    let r = scan(json!({"token": stale, "lat": 39.9087, "lon": 116.4500})).await;
    assert_eq!(
        r.body["error"]["code"], "qr_token_invalid",
        "an hour-old code has expired"
    );
    let r = scan(json!({"token": token, "lat": 39.9088, "lon": 116.4501, "direction": "in"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (
            r.body["replay"].as_bool(),
            r.body["sign_up"]["checkin_method"].as_str()
        ),
        (Some(false), Some("qr"))
    );
    // replays change nothing
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let url = t.url("/api/v1/checkin/scan");
        let vt = vt.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(vt)
                .json(&json!({"token": token, "lat": 39.9088, "lon": 116.4501, "direction": "in"}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    for task in tasks {
        let (s, b) = task.await.unwrap();
        assert_eq!((s, b["replay"].as_bool()), (200, Some(true)), "{b}");
    }
    // the other volunteer was never checked in: no check-out
    let roster = t
        .get(&format!("/api/v1/shifts/{shift}/roster"), Some(&w.team_a_admin))
        .await;
    let other = roster
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["checkin_at"].is_null())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = t
        .post(
            &format!("/api/v1/sign-ups/{other}/check-out"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"]["code"].as_str()),
        (409, Some("not_checked_in"))
    );
    // the audit log has exactly one check-in
    let audit = t
        .get("/api/v1/audit?action=attendance.check_in", Some(&w.team_a_admin))
        .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 1, "{}", audit.body);
}

async fn a_second_scan_never_ends_attendance_and_a_wrong_check_out_can_be_undone(t: TestApp) {
    let w = world::build(&t).await;
    let (_, shift) = project(&t, &w, 5, true, json!({})).await;
    let vols = volunteers(&t, 1, 5).await;
    let (vt, vid) = &vols[0];
    let su = t
        .post(&format!("/api/v1/shifts/{shift}/sign-ups"), Some(vt), json!({}))
        .await;
    let su = su.body["id"].as_i64().unwrap();
    let token = t
        .get(&format!("/api/v1/shifts/{shift}/qr"), Some(&w.team_a_admin))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let scan = |body: Value| {
        let t = &t;
        let vt = vt.clone();
        async move { t.post("/api/v1/checkin/scan", Some(&vt), body).await }
    };
    let first = scan(json!({"token": token})).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["replay"], false);
    // a second scan a moment later, and even 确认签退 before the shift starts: still checked in
    for body in [
        json!({"token": token}),
        json!({"token": token, "direction": "out"}),
    ] {
        let again = scan(body).await;
        assert_eq!(again.status, 200, "{}", again.body);
        assert_eq!(
            (
                again.body["replay"].as_bool(),
                again.body["may_check_out"].as_bool(),
                again.body["sign_up"]["checkout_at"].is_null()
            ),
            (Some(true), Some(false), true),
            "{}",
            again.body
        );
        assert!(again.body["message"].as_str().unwrap().contains("已签到"));
    }
    // the shift started an hour ago and the volunteer has been in for 70 minutes
    travel(&t, shift, Duration::hours(1), Duration::hours(2)).await;
    {
        let mut tx = t.app.store.write().await.unwrap();
        sqlx::query("UPDATE sign_ups SET checkin_at = $1 WHERE id = $2")
            .bind((Utc::now() - Duration::minutes(70)).timestamp_millis())
            .bind(su)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let plain = scan(json!({"token": token})).await;
    assert_eq!(
        (
            plain.body["may_check_out"].as_bool(),
            plain.body["sign_up"]["checkout_at"].is_null()
        ),
        (Some(true), true),
        "a plain scan offers 确认签退 and does not check out: {}",
        plain.body
    );
    let out = scan(json!({"token": token, "direction": "out"})).await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert_eq!(out.body["replay"], false);
    assert!(!out.body["sign_up"]["checkout_at"].is_null());
    let first_record = out.body["record"]["id"]
        .as_i64()
        .expect("a record of the hour served");
    // only the organizing team undoes it, with a reason
    let undo = format!("/api/v1/sign-ups/{su}/undo-check-out");
    assert_eq!(
        t.post(&undo, Some(vt), json!({"reason": "误签退"})).await.status,
        403
    );
    assert_eq!(
        t.post(&undo, Some(&w.haidian), json!({"reason": "误签退"}))
            .await
            .status,
        403
    );
    let r = t.post(&undo, Some(&w.team_a_admin), json!({"reason": " "})).await;
    assert_eq!(
        (r.status.as_u16(), r.body["error"]["code"].as_str()),
        (422, Some("reason_required"))
    );
    let r = t
        .post(
            &undo,
            Some(&w.team_a_admin),
            json!({"reason": "志愿者误扫码签退"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["sign_up"]["checkout_at"].is_null());
    assert!(!r.body["sign_up"]["checkin_at"].is_null());
    let recs = records_of(&t, vt, *vid).await;
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(
        (recs[0]["status"].as_str(), recs[0]["supersedes"].as_i64()),
        (Some("rejected"), Some(first_record)),
        "the check-out's record is void"
    );
    let rejected = recs[0]["id"].as_i64().unwrap();
    // undoing twice is refused
    let twice = t
        .post(&undo, Some(&w.team_a_admin), json!({"reason": "再次撤销"}))
        .await;
    assert_eq!(twice.body["error"]["code"], "not_checked_out", "{}", twice.body);
    // the leader re-enters the right time: the record's next version, still one record
    let r = t
        .post(
            &format!("/api/v1/sign-ups/{su}/check-out"),
            Some(&w.team_a_admin),
            json!({"at": (Utc::now() - Duration::minutes(5)).to_rfc3339()}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let recs = records_of(&t, vt, *vid).await;
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(
        (
            recs[0]["status"].as_str(),
            recs[0]["supersedes"].as_i64(),
            recs[0]["version"].as_i64()
        ),
        (Some("pending"), Some(rejected), Some(3))
    );
    let audit = t
        .get(
            "/api/v1/audit?action=attendance.check_out_undo",
            Some(&w.team_a_admin),
        )
        .await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 1, "{}", audit.body);
    // a future check-out time names check-out, not check-in
    let r = t
        .post(&undo, Some(&w.team_a_admin), json!({"reason": "时间填错"}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t
        .post(
            &format!("/api/v1/sign-ups/{su}/check-out"),
            Some(&w.team_a_admin),
            json!({"at": (Utc::now() + Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    assert_eq!(r.body["error"]["code"], "time_in_future");
    assert!(
        r.body["error"]["message"].as_str().unwrap().contains("签退"),
        "{}",
        r.body
    );
}

async fn check_out_makes_one_record_and_the_team_confirms_it(t: TestApp) {
    let w = world::build(&t).await;
    let (_, shift) = project(&t, &w, 5, true, json!({})).await;
    let vols = volunteers(&t, 1, 4).await;
    let (vt, vid) = &vols[0];
    let su = t
        .post(&format!("/api/v1/shifts/{shift}/sign-ups"), Some(vt), json!({}))
        .await;
    let su = su.body["id"].as_i64().unwrap();
    travel(&t, shift, Duration::hours(3), Duration::hours(2)).await;
    let start = Utc::now() - Duration::hours(3);
    let r = t
        .post(
            &format!("/api/v1/sign-ups/{su}/check-in"),
            Some(&w.team_a_admin),
            json!({"at": (start - Duration::minutes(10)).to_rfc3339()}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let before_in = t
        .post(
            &format!("/api/v1/sign-ups/{su}/check-out"),
            Some(&w.team_a_admin),
            json!({"at": (start - Duration::minutes(20)).to_rfc3339()}),
        )
        .await;
    assert_eq!(before_in.body["error"]["code"], "checkout_before_checkin");
    // concurrent check-outs: exactly one record
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let url = t.url(&format!("/api/v1/sign-ups/{su}/check-out"));
        let tok = w.team_a_admin.clone();
        let body = json!({"at": (start + Duration::minutes(100)).to_rfc3339()});
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(tok)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }));
    }
    let mut fresh = 0;
    for task in tasks {
        let (s, b) = task.await.unwrap();
        assert_eq!(s, 200, "{b}");
        if b["replay"] == false {
            fresh += 1;
            // 10 min early arrival does not count: 100 minutes served, rounded to 1.5 h + …
            assert_eq!(b["record"]["served_minutes"], 100);
            assert_eq!(b["record"]["minutes"], 90);
            assert_eq!(b["record"]["status"], "pending");
        }
        assert_eq!(b["record"]["hours"], "1.5");
    }
    assert_eq!(fresh, 1);
    let recs = records_of(&t, vt, *vid).await;
    assert_eq!(recs.len(), 1);
    let rid = recs[0]["id"].as_i64().unwrap();
    // only the organizing team confirms
    assert_eq!(
        t.post(
            &format!("/api/v1/records/{rid}/confirm"),
            Some(&w.haidian),
            json!({})
        )
        .await
        .status,
        403
    );
    assert_eq!(
        t.post(&format!("/api/v1/records/{rid}/confirm"), Some(vt), json!({}))
            .await
            .status,
        403
    );
    let pending = t.get("/api/v1/records/pending", Some(&w.team_a_admin)).await;
    assert!(pending.body.as_array().unwrap().iter().any(|r| r["id"] == rid));
    let c = t
        .post(
            &format!("/api/v1/records/{rid}/confirm"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(
        (
            c.body["status"].as_str(),
            c.body["version"].as_i64(),
            c.body["supersedes"].as_i64()
        ),
        (Some("confirmed"), Some(2), Some(rid))
    );
    let twice = t
        .post(
            &format!("/api/v1/records/{rid}/confirm"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(twice.body["error"]["code"], "record_changed");
    let hours = t.get(&format!("/api/v1/volunteers/{vid}/hours"), Some(vt)).await;
    assert_eq!(
        (
            hours.body["confirmed_minutes"].as_i64(),
            hours.body["hours"].as_str()
        ),
        (Some(90), Some("1.5"))
    );
    assert_eq!(hours.body["star_level"], 0);
}

/// Many check-ins and check-outs at once, some of them refused: every accepted one is written
/// exactly once, a refusal writes nothing and does not disturb the others (on SQLite they
/// share group-committed transactions).
async fn concurrent_attendance_with_refusals_in_between(t: TestApp) {
    let w = world::build(&t).await;
    let (_, shift) = project(&t, &w, 20, true, json!({})).await;
    let vols = volunteers(&t, 14, 9).await;
    let mut sign_ups = Vec::new();
    for (vt, _) in &vols {
        let r = t
            .post(&format!("/api/v1/shifts/{shift}/sign-ups"), Some(vt), json!({}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        sign_ups.push(r.body["id"].as_i64().unwrap());
    }
    // the last one cancels: checking it in is refused
    let cancelled = sign_ups[13];
    let r = t
        .post(
            &format!("/api/v1/sign-ups/{cancelled}/cancel"),
            Some(&vols[13].0),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    travel(&t, shift, Duration::hours(3), Duration::hours(2)).await;
    let start = Utc::now() - Duration::hours(3);
    let fire = |path: String, minutes: i64| {
        let url = t.url(&path);
        let tok = w.team_a_admin.clone();
        let body = json!({"at": (start + Duration::minutes(minutes)).to_rfc3339()});
        tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(tok)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        })
    };
    // 10 check-ins, 3 check-outs of volunteers not checked in, 1 check-in of a cancelled sign-up
    let mut ins = Vec::new();
    let mut refused = Vec::new();
    for su in &sign_ups[..10] {
        ins.push(fire(format!("/api/v1/sign-ups/{su}/check-in"), 5));
    }
    for su in &sign_ups[10..13] {
        refused.push((
            fire(format!("/api/v1/sign-ups/{su}/check-out"), 60),
            "not_checked_in",
        ));
    }
    refused.push((
        fire(format!("/api/v1/sign-ups/{cancelled}/check-in"), 5),
        "not_approved",
    ));
    for task in ins {
        let (s, b) = task.await.unwrap();
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["replay"], false, "{b}");
    }
    for (task, code) in refused {
        let (s, b) = task.await.unwrap();
        assert_eq!(s, 409, "{b}");
        assert_eq!(b["error"]["code"], code, "{b}");
    }
    // all ten check out at once, twice each: one record per volunteer
    let mut outs = Vec::new();
    for su in &sign_ups[..10] {
        outs.push(fire(format!("/api/v1/sign-ups/{su}/check-out"), 125));
        outs.push(fire(format!("/api/v1/sign-ups/{su}/check-out"), 125));
    }
    let mut fresh = 0;
    for task in outs {
        let (s, b) = task.await.unwrap();
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["record"]["minutes"], 120, "{b}");
        if b["replay"] == false {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 10);
    for (i, (vt, vid)) in vols.iter().enumerate() {
        let recs = records_of(&t, vt, *vid).await;
        assert_eq!(recs.len(), usize::from(i < 10), "volunteer {i}: {recs:?}");
    }
    let r = t
        .get(&format!("/api/v1/shifts/{shift}/roster"), Some(&w.team_a_admin))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let roster = r.body.as_array().unwrap();
    let checked_in = roster.iter().filter(|s| !s["checkin_at"].is_null()).count();
    let checked_out = roster.iter().filter(|s| !s["checkout_at"].is_null()).count();
    assert_eq!((checked_in, checked_out), (10, 10), "{roster:?}");
}

async fn offline_batches_are_accepted_once(t: TestApp) {
    let w = world::build(&t).await;
    let (_, shift) = project(&t, &w, 5, true, json!({})).await;
    let vols = volunteers(&t, 2, 5).await;
    let mut ids = Vec::new();
    for (tok, _) in &vols {
        ids.push(
            t.post(&format!("/api/v1/shifts/{shift}/sign-ups"), Some(tok), json!({}))
                .await
                .body["id"]
                .as_i64()
                .unwrap(),
        );
    }
    travel(&t, shift, Duration::hours(4), Duration::hours(3)).await;
    let start = Utc::now() - Duration::hours(4);
    let ev = |key: &str, su: i64, kind: &str, mins: i64| json!({"client_key": key, "sign_up_id": su, "kind": kind, "at": (start + Duration::minutes(mins)).to_rfc3339()});
    // out of order on purpose: the server sorts by time
    let batch = json!({"events": [ev("k1-out", ids[0], "out", 130), ev("k1-in", ids[0], "in", 0), ev("k2-in", ids[1], "in", 5),
        ev("k2-out", ids[1], "out", 65), ev("bad", ids[1], "in", 9999)]});
    let r = t
        .post("/api/v1/attendance/batch", Some(&w.team_a_admin), batch.clone())
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let outcome = |b: &Value, key: &str| {
        b.as_array()
            .unwrap()
            .iter()
            .find(|o| o["client_key"] == key)
            .unwrap()["outcome"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for k in ["k1-in", "k1-out", "k2-in", "k2-out"] {
        assert_eq!(outcome(&r.body, k), "accepted", "{k}: {}", r.body);
    }
    assert_eq!(outcome(&r.body, "bad"), "refused");
    let again = t
        .post("/api/v1/attendance/batch", Some(&w.team_a_admin), batch)
        .await;
    for k in ["k1-in", "k1-out", "k2-in", "k2-out"] {
        assert_eq!(outcome(&again.body, k), "replay", "{k}");
    }
    assert_eq!(records_of(&t, &vols[0].0, vols[0].1).await.len(), 1);
    let r1 = &records_of(&t, &vols[0].0, vols[0].1).await[0];
    assert_eq!(
        (r1["served_minutes"].as_i64(), r1["minutes"].as_i64()),
        (Some(130), Some(120))
    );
    let r2 = &records_of(&t, &vols[1].0, vols[1].1).await[0];
    assert_eq!(
        (r2["served_minutes"].as_i64(), r2["minutes"].as_i64()),
        (Some(60), Some(60))
    );
    assert_eq!(
        t.post(
            "/api/v1/attendance/batch",
            Some(&w.volunteer),
            json!({"events": []})
        )
        .await
        .status,
        403
    );
}

async fn records_are_versioned_chained_and_never_lost(t: TestApp) {
    let w = world::build(&t).await;
    let today = zhiyuan_app::today().to_string();
    let entry = |minutes: i64| {
        json!({"organization_id": w.team_a, "activity": "垃圾分类宣传", "service_date": today,
        "place": "建外街道", "content": "入户宣传", "person_in_charge": "王队长", "entries": [{"volunteer_id": w.v_a, "minutes": minutes}]})
    };
    let before = {
        let mut c = t.app.store.read().await.unwrap();
        zhiyuan_store::service::records::count(&mut c).await.unwrap()
    };
    for (m, code) in [
        (0, "minutes_invalid"),
        (-30, "minutes_invalid"),
        (1441, "minutes_invalid"),
    ] {
        let r = t
            .post("/api/v1/records/team-entry", Some(&w.team_a_admin), entry(m))
            .await;
        assert_eq!(
            (r.status.as_u16(), r.body["error"]["code"].as_str()),
            (422, Some(code)),
            "{m}"
        );
    }
    let outside = t
        .post("/api/v1/records/team-entry", Some(&w.haidian), entry(60))
        .await;
    assert_eq!(outside.status, 403);
    let after = {
        let mut c = t.app.store.read().await.unwrap();
        zhiyuan_store::service::records::count(&mut c).await.unwrap()
    };
    assert_eq!(before, after, "refused entries wrote nothing");
    let r = t
        .post("/api/v1/records/team-entry", Some(&w.team_a_admin), entry(200))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        (r.body[0]["minutes"].as_i64(), r.body[0]["status"].as_str()),
        (Some(210), Some("confirmed"))
    );
    let rid = r.body[0]["id"].as_i64().unwrap();
    // corrections: only the organizing team, always with a reason, as a new version
    let no_reason = t
        .post(
            &format!("/api/v1/records/{rid}/correct"),
            Some(&w.team_a_admin),
            json!({"minutes": 120, "reason": " "}),
        )
        .await;
    assert_eq!(no_reason.body["error"]["code"], "reason_required");
    let outsider = t
        .post(
            &format!("/api/v1/records/{rid}/correct"),
            Some(&w.haidian),
            json!({"minutes": 120, "reason": "核实"}),
        )
        .await;
    assert_eq!(outsider.status, 403);
    let c = t
        .post(
            &format!("/api/v1/records/{rid}/correct"),
            Some(&w.team_a_admin),
            json!({"minutes": 120, "reason": "核实签到表后更正"}),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.body);
    let new_id = c.body["id"].as_i64().unwrap();
    assert_eq!(
        (
            c.body["minutes"].as_i64(),
            c.body["supersedes"].as_i64(),
            c.body["status"].as_str()
        ),
        (Some(120), Some(rid), Some("confirmed"))
    );
    let stale = t
        .post(
            &format!("/api/v1/records/{rid}/correct"),
            Some(&w.team_a_admin),
            json!({"minutes": 30, "reason": "x"}),
        )
        .await;
    assert_eq!(stale.body["error"]["code"], "record_changed");
    let history = t
        .get(&format!("/api/v1/records/{new_id}/history"), Some(&w.chaoyang))
        .await;
    let versions: Vec<i64> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["minutes"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![210, 120]);
    let current = records_of(&t, &w.team_a_admin, w.v_a).await;
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], new_id);
    // the database refuses to change or delete a record
    {
        let mut tx = t.app.store.write().await.unwrap();
        assert!(sqlx::query("UPDATE service_records SET minutes = 999")
            .execute(&mut *tx)
            .await
            .is_err());
    }
    {
        let mut tx = t.app.store.write().await.unwrap();
        assert!(sqlx::query("DELETE FROM service_records")
            .execute(&mut *tx)
            .await
            .is_err());
    }
    // declaration by a member, confirmed by the team
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
    let d = t
        .post(
            "/api/v1/records/declare",
            Some(&w.volunteer),
            json!({"organization_id": w.team_a, "activity": "助老", "service_date": today,
        "place": "永安里", "content": "陪伴老人", "person_in_charge": "王队长", "minutes": 50}),
        )
        .await;
    assert_eq!(
        (
            d.status.as_u16(),
            d.body["status"].as_str(),
            d.body["minutes"].as_i64()
        ),
        (201, Some("pending"), Some(60)),
        "{}",
        d.body
    );
    let not_member = t
        .post(
            "/api/v1/records/declare",
            Some(&w.volunteer),
            json!({"organization_id": w.team_b, "activity": "助老", "service_date": today,
        "place": "x", "content": "x", "person_in_charge": "x", "minutes": 50}),
        )
        .await;
    assert_eq!(not_member.body["error"]["code"], "not_a_member");
    let rej = t
        .post(
            &format!("/api/v1/records/{}/reject", d.body["id"]),
            Some(&w.team_a_admin),
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(rej.body["error"]["code"], "reason_required");
    let rej = t
        .post(
            &format!("/api/v1/records/{}/reject", d.body["id"]),
            Some(&w.team_a_admin),
            json!({"reason": "当日无此活动"}),
        )
        .await;
    assert_eq!(rej.body["status"], "rejected");
    let hours = t
        .get(
            &format!("/api/v1/volunteers/{}/hours", w.v_self),
            Some(&w.volunteer),
        )
        .await;
    assert_eq!(hours.body["confirmed_minutes"], 0);
    // every chain verifies; tampering behind the app's back is found
    let report = t.app.service().verify_records().await.unwrap();
    assert!(report.broken.is_empty(), "{report:?}");
    assert_eq!(report.records, 4);
    {
        let mut tx = t.app.store.write().await.unwrap();
        let off = match t.db {
            Db::Sqlite => "DROP TRIGGER service_records_no_update",
            Db::Postgres => "ALTER TABLE service_records DISABLE TRIGGER service_records_no_change",
        };
        sqlx::query(off).execute(&mut *tx).await.unwrap();
        sqlx::query("UPDATE service_records SET minutes = 600 WHERE id = $1")
            .bind(new_id)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let report = t.app.service().verify_records().await.unwrap();
    assert_eq!(report.broken.len(), 1);
    assert_eq!(report.broken[0].0, w.v_a);
}

async fn certificates_are_printable_and_verifiable(t: TestApp) {
    let w = world::build(&t).await;
    let today = zhiyuan_app::today().to_string();
    let none = t
        .post(
            &format!("/api/v1/volunteers/{}/certificates", w.v_a),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(none.body["error"]["code"], "no_records");
    t.post(
        "/api/v1/records/team-entry",
        Some(&w.team_a_admin),
        json!({"organization_id": w.team_a, "activity": "冬奥城市志愿服务",
        "service_date": today, "place": "建外", "content": "引导", "person_in_charge": "王队长",
        "entries": [{"volunteer_id": w.v_a, "minutes": 6000 / 10}]}),
    )
    .await;
    let c = t
        .post(
            &format!("/api/v1/volunteers/{}/certificates", w.v_a),
            Some(&w.team_a_admin),
            json!({"notes": "特此证明"}),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    assert_eq!(c.body["total_hours"], "10.0");
    let no = c.body["certificate_no"].as_str().unwrap().to_owned();
    // a readable prefix and a random part: ZY + year + county, "-", 8 base-32 characters
    let (prefix, random) = no.split_once('-').expect("ZY…-XXXXXXXX");
    assert_eq!(prefix, format!("ZY{}110105", &today[..4]));
    assert_eq!(random.len(), 8);
    assert!(random
        .bytes()
        .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)));
    let verify = c.body["verify_path"].as_str().unwrap().to_owned();
    assert!(verify.starts_with(&format!("/verify/{no}?s=")));
    let sig = verify.split("?s=").nth(1).unwrap().to_owned();
    // anyone can verify
    let v = t
        .get(&format!("/api/v1/certificates/{no}/verify?s={sig}"), None)
        .await;
    assert_eq!(v.body["genuine"], true, "{}", v.body);
    assert_eq!(v.body["total_hours"], "10.0");
    assert!(v.body["payload"]["id_masked"]
        .as_str()
        .unwrap()
        .contains("********"));
    // without the signature, or with a wrong or too short one, nothing but "cannot verify"
    let name = v.body["payload"]["volunteer_name"].as_str().unwrap().to_owned();
    let vno = v.body["payload"]["volunteer_no"].as_str().unwrap().to_owned();
    let masked = v.body["payload"]["id_masked"].as_str().unwrap().to_owned();
    let bare = |r: &support::app::Resp, reason: &str| {
        assert_eq!(r.status, 200);
        assert_eq!(r.body["genuine"], false, "{}", r.body);
        assert_eq!(r.body["reason"], reason, "{}", r.body);
        assert!(r.body["payload"].is_null() && r.body["total_hours"].is_null());
        let text = r.body.to_string();
        assert!(!text.contains(&name) && !text.contains(&vno) && !text.contains(&masked));
        assert!(!text.contains("冬奥"), "no records: {text}");
    };
    let missing = t.get(&format!("/api/v1/certificates/{no}/verify"), None).await;
    bare(&missing, "signature_missing");
    assert!(missing.body["message"].as_str().unwrap().contains("防伪签名"));
    bare(
        &t.get(&format!("/api/v1/certificates/{no}/verify?s="), None).await,
        "signature_missing",
    );
    let wrong = t
        .get(
            &format!("/api/v1/certificates/{no}/verify?s=0000000000000000"),
            None,
        )
        .await;
    bare(&wrong, "signature_mismatch");
    bare(
        &t.get(&format!("/api/v1/certificates/{no}/verify?s={}", &sig[..4]), None)
            .await,
        "signature_mismatch",
    );
    // an unknown number answers exactly like a wrong signature: numbers cannot be probed
    let unknown = t
        .get(
            &format!("/api/v1/certificates/ZY20261101059999999/verify?s={sig}"),
            None,
        )
        .await;
    bare(&unknown, "signature_mismatch");
    assert_eq!(unknown.body["message"], wrong.body["message"]);
    // the page likewise
    for path in [
        format!("/verify/{no}"),
        format!("/verify/{no}?s=0000000000000000"),
    ] {
        let page = reqwest::get(t.url(&path)).await.unwrap().text().await.unwrap();
        assert!(page.contains("无法验证"), "{path}");
        assert!(
            !page.contains(&name) && !page.contains(&vno) && !page.contains(&masked),
            "{path}: {page}"
        );
        assert!(!page.contains("冬奥"), "{path}");
        assert!(page.contains("name=\"s\""), "{path}: a field for the signature");
    }
    let page = reqwest::get(t.url(&verify)).await.unwrap().text().await.unwrap();
    assert!(page.contains("真实有效") && page.contains(&name) && page.contains("冬奥"));
    // the PDF: for the holder's admins, not for others
    let pdf = reqwest::Client::new()
        .get(t.url(&format!("/api/v1/certificates/{no}/pdf")))
        .bearer_auth(&w.team_a_admin)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    assert_eq!(
        t.get(&format!("/api/v1/certificates/{no}/pdf"), Some(&w.haidian))
            .await
            .status,
        403
    );
    assert_eq!(
        t.get(
            &format!("/api/v1/volunteers/{}/certificates", w.v_a),
            Some(&w.team_a_admin)
        )
        .await
        .body
        .as_array()
        .unwrap()
        .len(),
        1
    );
    // tampering with a figure breaks verification
    {
        let mut tx = t.app.store.write().await.unwrap();
        sqlx::query("UPDATE certificates SET payload = REPLACE(payload, '\"total_minutes\":600', '\"total_minutes\":6000')")
            .execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }
    let v = t
        .get(&format!("/api/v1/certificates/{no}/verify?s={sig}"), None)
        .await;
    assert_eq!(v.body["genuine"], false, "{}", v.body);
    assert!(
        v.body["payload"].is_null() && v.body["total_hours"].is_null(),
        "a tampered certificate shows nothing of what it claims: {}",
        v.body
    );
    // the honor roll counts confirmed hours
    let roll = t
        .get(
            &format!("/api/v1/honor-roll?region=110105&from={today}&to={today}"),
            None,
        )
        .await;
    // the public roll shows a masked name (the volunteer has not agreed to more) and no number
    assert_eq!(roll.body[0]["name"], "王*国");
    assert!(roll.body[0].get("volunteer_no").is_none() && roll.body[0].get("volunteer_id").is_none());
    assert_eq!(roll.body[0]["hours"], "10.0");
    let _ = PW;
}

async fn a_recruiting_projects_details_are_edited_and_a_running_ones_are_not(t: TestApp) {
    let w = world::build(&t).await;
    let (pid, _) = project(&t, &w, 5, true, json!({})).await;
    let path = format!("/api/v1/projects/{pid}");
    let body = json!({"title": "社区敬老助餐（周末）", "category": "elderly_disabled", "address": "建外街道永安里8号",
                      "lat": 39.9087, "lon": 116.45, "checkin_radius_m": 300, "person_in_charge": "李队长",
                      "contact_phone": "010-65001234", "description": "为社区老人送午餐", "auto_approve": false});
    let r = t
        .send("PUT", &path, Some(&w.team_a_admin), Some(body.clone()))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["title"], "社区敬老助餐（周末）");
    assert_eq!(r.body["checkin_radius_m"], 300);
    assert_eq!(r.body["auto_approve"], false);
    assert_eq!(r.body["shifts"].as_array().unwrap().len(), 1, "its shifts stay");
    // every problem at once
    let r = t
        .send(
            "PUT",
            &path,
            Some(&w.team_a_admin),
            Some(json!({"title": "", "category": "没有这类", "address": "", "person_in_charge": "", "lat": 39.9})),
        )
        .await;
    assert_eq!(r.status, 422);
    let fields: Vec<&str> = r.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["title", "category", "address", "person_in_charge", "location"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    // another district's office may not
    let r = t.send("PUT", &path, Some(&w.haidian), Some(body.clone())).await;
    assert_eq!(r.status, 403);
    // once it runs, it is not edited
    let r = t
        .post(
            &format!("/api/v1/projects/{pid}/status"),
            Some(&w.team_a_admin),
            json!({"status": "running"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t.send("PUT", &path, Some(&w.team_a_admin), Some(body)).await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "state_invalid"));
}

async fn a_shift_is_edited_never_below_its_approved_seats_and_its_volunteers_are_told(t: TestApp) {
    let w = world::build(&t).await;
    let (pid, shift) = project(&t, &w, 2, true, json!({})).await;
    let vs = volunteers(&t, 3, 7101).await;
    for (tok, _) in &vs {
        let r = t
            .post(&format!("/api/v1/shifts/{shift}/sign-ups"), Some(tok), json!({}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = t.get(&format!("/api/v1/projects/{pid}"), None).await;
    assert_eq!(
        (
            r.body["shifts"][0]["approved"].as_i64(),
            r.body["shifts"][0]["waitlisted"].as_i64()
        ),
        (Some(2), Some(1))
    );
    let path = format!("/api/v1/shifts/{shift}");
    // fewer seats than approved: refused beside the headcount, nothing written
    let r = t
        .send(
            "PUT",
            &path,
            Some(&w.team_a_admin),
            Some(json!({"starts_at": at(Duration::hours(3)), "ends_at": at(Duration::hours(5)), "headcount": 1})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["error"]["fields"][0]["field"], "headcount");
    // a later time and a third seat: the waitlisted volunteer is promoted, everyone is told
    let r = t
        .send(
            "PUT",
            &path,
            Some(&w.team_a_admin),
            Some(
                json!({"starts_at": at(Duration::hours(3)), "ends_at": at(Duration::hours(5)), "headcount": 3,
                        "required_skills": ["急救"], "min_age": 18}),
            ),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["approved"].as_i64(), r.body["waitlisted"].as_i64()),
        (Some(3), Some(0))
    );
    assert_eq!(r.body["min_age"], 18);
    for (tok, _) in &vs {
        let n = t.get("/api/v1/notices", Some(tok)).await;
        assert!(
            n.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "shift_changed"),
            "told: {}",
            n.body
        );
    }
    // the same seats again is no change of time: nobody is told twice
    let r = t
        .send(
            "PUT",
            &path,
            Some(&w.team_a_admin),
            Some(json!({"starts_at": r.body["starts_at_iso"], "ends_at": r.body["ends_at_iso"], "headcount": 3})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let n = t.get("/api/v1/notices", Some(&vs[0].0)).await;
    let told = n.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "shift_changed")
        .count();
    assert_eq!(told, 1);
    // those signed up must still fit: not too young for a raised minimum age, not busy elsewhere
    let r = t
        .send(
            "PUT",
            &path,
            Some(&w.team_a_admin),
            Some(
                json!({"starts_at": at(Duration::hours(3)), "ends_at": at(Duration::hours(5)), "headcount": 3,
                        "min_age": 80}),
            ),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["error"]["fields"][0]["field"], "min_age");
    assert!(
        r.message().contains("不满80周岁") || r.body.to_string().contains("不满80周岁"),
        "{}",
        r.body
    );
    let (_, elsewhere) = project(&t, &w, 5, true, json!({"title": "另一个项目"})).await;
    let (s8, e10) = (at(Duration::hours(8)), at(Duration::hours(10)));
    let r = t
        .send(
            "PUT",
            &format!("/api/v1/shifts/{elsewhere}"),
            Some(&w.team_a_admin),
            Some(json!({"starts_at": s8, "ends_at": e10, "headcount": 5})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t
        .post(
            &format!("/api/v1/shifts/{elsewhere}/sign-ups"),
            Some(&vs[0].0),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = t
        .send(
            "PUT",
            &path,
            Some(&w.team_a_admin),
            Some(json!({"starts_at": s8, "ends_at": e10, "headcount": 3})),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["error"]["fields"][0]["field"], "shift");
    assert!(r.body.to_string().contains("在新的时间另有报名"), "{}", r.body);
    // a shift that has begun is not edited
    travel(&t, shift, Duration::minutes(5), Duration::hours(2)).await;
    let r = t
        .send(
            "PUT",
            &path,
            Some(&w.team_a_admin),
            Some(json!({"starts_at": at(Duration::hours(3)), "ends_at": at(Duration::hours(5)), "headcount": 3})),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "shift_started"));
}

async fn the_team_edits_a_project_and_a_shift_on_their_pages(t: TestApp) {
    let w = world::build(&t).await;
    let (pid, shift) = project(&t, &w, 5, true, json!({})).await;
    let team = support::app::page_session(&t, "teama").await;
    let html = team
        .get(t.url(&format!("/projects/{pid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"edit-project\"") && html.contains(&format!("/shifts/{shift}/edit")));
    let html = team
        .get(t.url(&format!("/projects/{pid}/edit")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("value=\"社区敬老助餐\"") && html.contains("为社区老人送餐"),
        "filled in"
    );
    assert!(
        !html.contains("id=\"organization_id\""),
        "the team is not changed here"
    );
    let form = [
        ("title", "社区敬老助餐（周末）"),
        ("category", "elderly_disabled"),
        ("description", "为社区老人送午餐"),
        ("address", ""),
        ("lat", "39.9087"),
        ("lon", ""),
        ("checkin_radius_m", "0"),
        ("person_in_charge", "王队长"),
        ("contact_phone", ""),
        ("risk_notes", ""),
    ];
    let r = team
        .post(t.url(&format!("/projects/{pid}/edit")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"error-address\"") && html.contains("id=\"error-location\""),
        "{html}"
    );
    assert!(html.contains("value=\"社区敬老助餐（周末）\""), "input kept");
    let mut form = form;
    form[3].1 = "建外街道永安里8号";
    form[5].1 = "116.45";
    let r = team
        .post(t.url(&format!("/projects/{pid}/edit")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = team
        .get(t.url(&format!("/projects/{pid}?done=edited")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("项目信息已保存")
            && html.contains("社区敬老助餐（周末）")
            && html.contains("建外街道永安里8号")
    );

    // the shift form shows the shift as it is, in Beijing time
    let html = team
        .get(t.url(&format!("/shifts/{shift}/edit")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("type=\"datetime-local\" id=\"start\" name=\"start\" value=\"20"),
        "{html}"
    );
    let start =
        (Utc::now() + Duration::days(2)).with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let s = start.format("%Y-%m-%dT09:00").to_string();
    let e = start.format("%Y-%m-%dT08:00").to_string();
    let r = team
        .post(t.url(&format!("/shifts/{shift}/edit")))
        .form(&[
            ("start", s.as_str()),
            ("end", e.as_str()),
            ("headcount", "0"),
            ("skills", ""),
            ("min_age", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"error-shift\"") && html.contains("id=\"error-headcount\""),
        "{html}"
    );
    assert!(html.contains(&format!("value=\"{s}\"")), "input kept");
    let e = start.format("%Y-%m-%dT11:30").to_string();
    let r = team
        .post(t.url(&format!("/shifts/{shift}/edit")))
        .form(&[
            ("start", s.as_str()),
            ("end", e.as_str()),
            ("headcount", "8"),
            ("skills", ""),
            ("min_age", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = t.get(&format!("/api/v1/projects/{pid}"), None).await;
    assert_eq!(r.body["shifts"][0]["headcount"], 8);
    assert!(r.body["shifts"][0]["starts_at"]
        .as_str()
        .unwrap()
        .ends_with("09:00"));
    let html = team
        .get(t.url("/audit?action=shift.update"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("修改班次") && html.contains("招募人数"), "{html}");
    // a volunteer sees no edit controls
    let anon = reqwest::Client::new();
    let html = anon
        .get(t.url(&format!("/projects/{pid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("id=\"edit-project\"") && !html.contains("/edit\""));
}

/// 注销 by the volunteer: with their password; the login closes, personal details go, the
/// seat ahead passes to the waitlist; the records stay.
async fn a_volunteer_closes_their_own_record_and_their_hours_stay(t: TestApp) {
    let w = world::build(&t).await;
    let (pid, shift) = project(&t, &w, 1, true, json!({})).await;
    let r = t
        .post(
            &format!("/api/v1/shifts/{shift}/sign-ups"),
            Some(&w.volunteer),
            json!({}),
        )
        .await;
    assert_eq!(r.body["status"], "approved", "{}", r.body);
    let others = volunteers(&t, 1, 7201).await;
    let r = t
        .post(
            &format!("/api/v1/shifts/{shift}/sign-ups"),
            Some(&others[0].0),
            json!({}),
        )
        .await;
    assert_eq!(r.body["status"], "waitlisted", "{}", r.body);
    let r = t
        .post(
            &format!("/api/v1/organizations/{}/join-requests", w.team_a1),
            Some(&w.volunteer),
            json!({"note": ""}),
        )
        .await;
    assert_eq!(r.status, 201);
    let path = format!("/api/v1/volunteers/{}/close", w.v_self);
    let r = t
        .post(&path, Some(&w.volunteer), json!({"password": "not-mine-1"}))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"]["fields"][0]["field"], "password");
    // another district's office may not, nor a team's admin (the person may serve elsewhere too)
    let r = t.post(&path, Some(&w.haidian), json!({"reason": "测试"})).await;
    assert_eq!(r.status, 403);
    let r = t
        .post(&path, Some(&w.team_a_admin), json!({"reason": "测试"}))
        .await;
    assert_eq!(r.status, 403);
    let r = t
        .post(
            &path,
            Some(&w.volunteer),
            json!({"password": PW, "reason": "搬家离京"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["closed_at"].is_string());
    assert_eq!(r.body["phone"], "");
    assert_eq!(r.body["resident_id"], "", "no ID shown, not even masked");
    assert_eq!(r.body["skills"].as_array().unwrap().len(), 0);
    // the login is closed
    assert_eq!(t.get("/api/v1/me", Some(&w.volunteer)).await.status, 401);
    let login = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"username": "13700000001", "password": PW}),
        )
        .await;
    assert!(login.status.is_client_error(), "{}", login.body);
    // the seat went to the waitlist; the request was withdrawn
    let p = t.get(&format!("/api/v1/projects/{pid}"), None).await;
    assert_eq!(
        (
            p.body["shifts"][0]["approved"].as_i64(),
            p.body["shifts"][0]["waitlisted"].as_i64()
        ),
        (Some(1), Some(0))
    );
    let mine = t.get("/api/v1/my/sign-ups", Some(&others[0].0)).await;
    assert_eq!(mine.body[0]["status"], "approved", "{}", mine.body);
    let pending = t.get("/api/v1/join-requests", Some(&w.chaoyang)).await;
    assert!(!pending.body.to_string().contains("陈志愿"), "{}", pending.body);
    // the offices no longer find the person, but the record and its hours are kept
    let found = t.get("/api/v1/volunteers?q=陈志愿", Some(&w.chaoyang)).await;
    assert_eq!(found.body["items"].as_array().unwrap().len(), 0, "{}", found.body);
    let v = t
        .get(&format!("/api/v1/volunteers/{}", w.v_self), Some(&w.chaoyang))
        .await;
    assert_eq!(v.status, 200);
    assert!(v.body["closed_at"].is_string());
    let recs = t
        .get(
            &format!("/api/v1/volunteers/{}/records", w.v_self),
            Some(&w.chaoyang),
        )
        .await;
    assert_eq!(recs.status, 200, "{}", recs.body);
    let audit = t
        .get("/api/v1/audit?entity_type=volunteer&per_page=50", Some(&w.city))
        .await;
    assert!(
        audit.body.to_string().contains("volunteer.close"),
        "{}",
        audit.body
    );
    // once is enough, and a closed record takes no more changes
    let r = t
        .post(&path, Some(&w.chaoyang), json!({"reason": "再次注销"}))
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "volunteer_closed"));
    let r = t
        .send(
            "PUT",
            &format!("/api/v1/volunteers/{}/contact", w.v_self),
            Some(&w.chaoyang),
            Some(
                json!({"phone": "13700000009", "region_code": "110105001000", "skills": [], "categories": [],
                        "availability": "", "lat": 39.9, "lon": 116.4}),
            ),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (409, "volunteer_closed"),
        "{}",
        r.body
    );
}

/// 注销 by an office: a reason is required, and a volunteer who is checked in is not closed.
async fn an_office_closes_a_volunteer_on_the_page_but_not_while_they_serve(t: TestApp) {
    let w = world::build(&t).await;
    let (_, shift) = project(&t, &w, 5, true, json!({})).await;
    let vols = volunteers(&t, 1, 7301).await;
    let (vt, vid) = &vols[0];
    let su = t
        .post(&format!("/api/v1/shifts/{shift}/sign-ups"), Some(vt), json!({}))
        .await;
    let su = su.body["id"].as_i64().unwrap();
    travel(&t, shift, Duration::minutes(30), Duration::hours(2)).await;
    let r = t
        .post(
            &format!("/api/v1/sign-ups/{su}/check-in"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let office = support::app::page_session(&t, "chaoyang").await;
    let close = |reason: &'static str| {
        let office = office.clone();
        let url = t.url(&format!("/volunteers/{vid}/close"));
        async move { office.post(url).form(&[("reason", reason)]).send().await.unwrap() }
    };
    let r = close("").await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"error-reason\"") && html.contains("请填写注销原因"),
        "{html}"
    );
    let r = close("本人书面申请").await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("已签到尚未签退"));
    let r = t
        .post(
            &format!("/api/v1/sign-ups/{su}/check-out"),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = close("本人书面申请").await;
    assert_eq!(r.status(), 303);
    let html = office
        .get(t.url(&format!("/volunteers/{vid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("id=\"closed\"") && !html.contains("id=\"edit-volunteer\""),
        "{html}"
    );
    assert!(!html.contains("resident-id"), "no personal facts");
    // a second tap shows the record as it is
    assert_eq!(close("本人书面申请").await.status(), 303);
}

/// 注销 from 我的: the volunteer confirms with their password and is signed out.
async fn a_volunteer_closes_their_account_from_their_page(t: TestApp) {
    world::build(&t).await;
    let me = support::app::page_session(&t, "13700000001").await;
    let html = me.get(t.url("/me")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("href=\"/me/close\""));
    let r = me
        .post(t.url("/me/close"))
        .form(&[("password", "wrong-pw-1"), ("reason", "不再参加")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"error-password\"") && html.contains("value=\"不再参加\""),
        "{html}"
    );
    let r = me
        .post(t.url("/me/close"))
        .form(&[("password", PW), ("reason", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        303,
        "a redirect: back and reload do not send the form again"
    );
    assert_eq!(r.headers()["location"], "/closed");
    assert!(r.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let html = me
        .get(t.url("/closed"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("您的志愿者账号已注销"));
    let r = me.get(t.url("/me")).send().await.unwrap();
    assert_eq!(r.status(), 303, "signed out");
}

both_backends!(
    projects_are_published_listed_and_found_nearby,
    concurrent_sign_ups_never_exceed_the_headcount,
    sign_up_rules_are_enforced,
    qr_check_in_is_signed_idempotent_and_located,
    check_out_makes_one_record_and_the_team_confirms_it,
    a_second_scan_never_ends_attendance_and_a_wrong_check_out_can_be_undone,
    concurrent_attendance_with_refusals_in_between,
    offline_batches_are_accepted_once,
    records_are_versioned_chained_and_never_lost,
    certificates_are_printable_and_verifiable,
    a_recruiting_projects_details_are_edited_and_a_running_ones_are_not,
    a_shift_is_edited_never_below_its_approved_seats_and_its_volunteers_are_told,
    the_team_edits_a_project_and_a_shift_on_their_pages,
    a_volunteer_closes_their_own_record_and_their_hours_stay,
    an_office_closes_a_volunteer_on_the_page_but_not_while_they_serve,
    a_volunteer_closes_their_account_from_their_page,
);
