//! The web edge over real HTTP, on SQLite and PostgreSQL: every rejection in our error shape,
//! security headers and request ids, cross-site writes refused, links never built from a
//! request's Host header, bounded paging, typed query values and per-account notice reads.

mod support;

use chrono::{Duration, Utc};
use reqwest::redirect::Policy;
use serde_json::{json, Value};
use support::app::{spawn_app, Db, TestApp};
use support::world::{self, World};

fn at(d: Duration) -> String {
    (Utc::now() + d).to_rfc3339()
}

fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn json_of(r: reqwest::Response) -> (u16, Value) {
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn rejections_answer_in_our_error_shape(t: TestApp) {
    let w = world::build(&t).await;
    // a path segment that is not a number, a query value of the wrong type, a wrong method
    for (method, path) in [
        ("GET", "/api/v1/orders/abc"),
        ("GET", "/api/v1/volunteers?per_page=many"),
        ("DELETE", "/api/v1/orders/queue"),
    ] {
        let r = t.send(method, path, Some(&w.chaoyang), None).await;
        assert!(r.status.is_client_error(), "{method} {path}: {}", r.status);
        assert!(
            r.body["error"]["code"].is_string() && r.body["error"]["message"].is_string(),
            "{method} {path} answers JSON: {}",
            r.body
        );
    }
    // a body too large for an endpoint that reads raw bytes
    let big = format!("{{\"events\": \"{}\"}}", "x".repeat(400 * 1024));
    let r = raw_client()
        .post(t.url("/api/v1/attendance/batch"))
        .bearer_auth(&w.volunteer)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{body}"
    );
    // pages answer a Chinese page, not plain text
    let r = raw_client().delete(t.url("/orders/queue")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("不支持该请求方法"));
}

async fn every_response_has_security_headers_and_a_request_id(t: TestApp) {
    for path in ["/", "/api/v1/regions", "/api/v1/nothing-here", "/assets/app.css"] {
        let r = raw_client().get(t.url(path)).send().await.unwrap();
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(h.contains_key("referrer-policy"));
        assert!(!h["x-request-id"].is_empty(), "{path}");
    }
    // the error body quotes the same request id as the header
    let r = raw_client()
        .get(t.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let (_, body) = json_of(r).await;
    assert_eq!(body["error"]["request_id"], id.as_str());
    // and the Chinese error page shows it too
    let r = raw_client().get(t.url("/projects/999999")).send().await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(r.text().await.unwrap().contains(&id));
    // no page has inline script left for the policy to block
    let html = raw_client()
        .get(t.url("/projects/nearby"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>") && !html.contains("onclick="));
}

async fn cookie_borne_api_writes_need_our_origin(t: TestApp) {
    let w = world::build(&t).await;
    let cookie = format!("zy_session={}", w.team_a_admin);
    let entry = json!({"organization_id": w.team_a, "activity": "宣传", "service_date": zhiyuan_app::today().to_string(),
        "place": "建外", "content": "宣传", "person_in_charge": "王队长", "entries": [{"volunteer_id": w.v_a, "minutes": 60}]});
    let send = |origin: Option<&'static str>, ct: &'static str| {
        let mut req = raw_client()
            .post(t.url("/api/v1/records/team-entry"))
            .header("cookie", cookie.clone())
            .header("content-type", ct)
            .body(entry.to_string());
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        async move { json_of(req.send().await.unwrap()).await }
    };
    // a form on another site (text/plain, foreign Origin) and a request naming no origin
    for (origin, ct) in [
        (Some("https://evil.example"), "text/plain"),
        (Some("https://evil.example"), "application/json"),
        (None, "application/json"),
    ] {
        let (status, body) = send(origin, ct).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("cross_site_refused")),
            "{origin:?} {ct}: {body}"
        );
    }
    let own: &'static str = Box::leak(t.base.clone().into_boxed_str());
    let (status, body) = send(Some(own), "application/json").await;
    assert_eq!(status, 201, "our own pages may: {body}");
    // the bearer token needs no Origin (it is never sent by a browser on its own)
    let r = t
        .post("/api/v1/records/team-entry", Some(&w.team_a_admin), entry.clone())
        .await;
    assert_eq!(r.status, 201);
}

async fn page_posts_need_our_origin_or_referer(t: TestApp) {
    let w = world::build(&t).await;
    let cookie = format!("zy_session={}", w.volunteer);
    let post = |headers: Vec<(&'static str, String)>| {
        let mut req = raw_client()
            .post(t.url("/logout"))
            .header("cookie", cookie.clone())
            .header("content-type", "application/x-www-form-urlencoded");
        for (k, v) in headers {
            req = req.header(k, v);
        }
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(vec![]).await, 403, "neither Origin nor Referer");
    assert_eq!(
        post(vec![("referer", "https://evil.example/x".into())]).await,
        403
    );
    assert_eq!(post(vec![("origin", "https://evil.example".into())]).await, 403);
    assert_eq!(
        post(vec![("referer", format!("{}/me", t.base))]).await,
        303,
        "a Referer of ours is enough when a browser sends no Origin"
    );
}

async fn links_use_the_configured_public_url_not_the_host_header(t: TestApp) {
    let w = world::build(&t).await;
    let r = t
        .post(
            "/api/v1/projects",
            Some(&w.team_a_admin),
            json!({"title": "社区敬老助餐", "category": "elderly_disabled", "organization_id": w.team_a,
                "address": "北京市朝阳区建外街道永安里", "person_in_charge": "王队长", "description": "送餐",
                "auto_approve": true, "publish": true,
                "shifts": [{"starts_at": at(Duration::minutes(30)), "ends_at": at(Duration::minutes(150)), "headcount": 5}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let shift = r.body["shifts"][0]["id"].as_i64().unwrap();
    let html = raw_client()
        .get(t.url(&format!("/shifts/{shift}/qr")))
        .bearer_auth(&w.team_a_admin)
        .header("host", "evil.example")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("evil.example"),
        "the QR link ignores the Host header"
    );
    assert!(
        html.contains(&format!("{}/checkin?t=", t.app.public_url())),
        "it points at the configured public URL"
    );
}

async fn paging_is_bounded_and_query_values_are_typed(t: TestApp) {
    let w = world::build(&t).await;
    for path in [
        "/api/v1/volunteers?after=0&per_page=9223372036854775807",
        "/api/v1/audit?after=0&per_page=9223372036854775807",
        "/api/v1/orders/queue?after=9223372036854775807.9223372036854775807",
    ] {
        let r = t.get(path, Some(&w.city)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.body["items"], json!([]), "{path}");
    }
    let r = t
        .get("/api/v1/volunteers?per_page=9223372036854775807", Some(&w.city))
        .await;
    assert_eq!(r.body["per_page"], 200, "{}", r.body);
    let r = t.get("/api/v1/orders/queue?status=Foo", Some(&w.city)).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (400, "status_invalid"),
        "{}",
        r.body
    );
    assert_eq!(r.body["error"]["fields"][0]["field"], "status");
    let r = t
        .get("/api/v1/orders/queue?status=submitted,dispatched", Some(&w.city))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // project states too: bound as values, an unknown one refused
    let r = t.get("/api/v1/projects?status=recruiting,Foo", None).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (400, "status_invalid"),
        "{}",
        r.body
    );
    assert_eq!(r.body["error"]["fields"][0]["field"], "status");
    let r = t
        .get("/api/v1/projects?status=recruiting,running,finished", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// An order at 建外, whose notice goes to the 建外 office; two admins of that office.
async fn notices_are_read_per_account(t: TestApp) {
    let w: World = world::build(&t).await;
    t.app
        .auth()
        .create_account_unchecked(
            "jw2",
            world::PW,
            "建外二",
            zhiyuan_domain::auth::Role::SiteAdmin,
            None,
            Some(w.jw),
            None,
            None,
        )
        .await
        .unwrap();
    let second = t.login("jw2", world::PW).await;
    let m = t.get("/api/v1/menu?region_code=110105001001", None).await;
    let item = m.body["items"][0]["id"].as_i64().unwrap();
    let r = t
        .post(
            "/api/v1/orders",
            Some(&w.resident),
            json!({"item_id": item, "region_code": "110105001001", "address": "建外测试社区3号楼", "window_start": at(Duration::hours(3)),
                   "window_end": at(Duration::hours(5)), "people": 1, "notes": "", "contact_name": "张大妈", "contact_phone": "13800138000"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let first = t.get("/api/v1/notices", Some(&w.jw_site_admin)).await;
    assert_eq!(first.body["unread"], 1, "{}", first.body);
    let id = first.body["items"][0]["id"].as_i64().unwrap();
    let read = t
        .post(
            &format!("/api/v1/notices/{id}/read"),
            Some(&w.jw_site_admin),
            json!({}),
        )
        .await;
    assert!(read.status.is_success(), "{}", read.body);
    assert_eq!(
        t.get("/api/v1/notices", Some(&w.jw_site_admin)).await.body["unread"],
        0
    );
    let other = t.get("/api/v1/notices", Some(&second)).await;
    assert_eq!(
        other.body["unread"], 1,
        "the other admin has not read it: {}",
        other.body
    );
    assert_eq!(other.body["items"][0]["read"], false);
}

/// A too-long reason is refused with a field error, never stored cut short.
async fn a_long_rejection_reason_is_refused_not_truncated(t: TestApp) {
    let w = world::build(&t).await;
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
            json!({"organization_id": w.team_a, "activity": "助老", "service_date": zhiyuan_app::today().to_string(),
                   "place": "永安里", "content": "陪伴老人", "person_in_charge": "王队长", "minutes": 60}),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.body);
    let path = format!("/api/v1/records/{}/reject", d.body["id"]);
    let long = "不".repeat(501);
    let r = t
        .post(&path, Some(&w.team_a_admin), json!({"reason": long}))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "reason_too_long"),
        "{}",
        r.body
    );
    assert_eq!(r.body["error"]["fields"][0]["field"], "reason");
    // nothing was decided: a proper reason still works
    let r = t
        .post(
            &path,
            Some(&w.team_a_admin),
            json!({"reason": "时长与签到记录不符"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["reason"], "时长与签到记录不符");
}

both_backends!(
    a_long_rejection_reason_is_refused_not_truncated,
    rejections_answer_in_our_error_shape,
    every_response_has_security_headers_and_a_request_id,
    cookie_borne_api_writes_need_our_origin,
    page_posts_need_our_origin_or_referer,
    links_use_the_configured_public_url_not_the_host_header,
    paging_is_bounded_and_query_values_are_typed,
    notices_are_read_per_account,
);

mod accounts {
    use super::*;

    async fn wrong_passwords_lock_the_account_for_a_while(t: TestApp) {
        let w = world::build(&t).await;
        let _ = &w;
        let try_login = |user: &'static str, pw: &'static str| {
            t.post(
                "/api/v1/auth/login",
                None,
                json!({"username": user, "password": pw}),
            )
        };
        for _ in 0..zhiyuan_app::auth::throttle::ACCOUNT_LIMIT {
            let r = try_login("chaoyang", "wrong-password1").await;
            assert_eq!(r.status, 401);
        }
        // locked: even the right password is refused now, with a clear Chinese message
        let r = try_login("chaoyang", world::PW).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (429, "too_many_attempts"),
            "{}",
            r.body
        );
        assert!(r.message().contains("分钟后再试"), "{}", r.message());
        // another account is not affected
        assert_eq!(try_login("haidian", world::PW).await.status, 200);
        // and an unknown name is refused like a wrong password
        assert_eq!(try_login("nobody-here", "whatever1").await.status, 401);
    }

    /// A refused self-registration says the phone or resident ID is registered: one address
    /// may be told so only a few times before it has to wait.
    async fn registration_refusals_are_throttled_per_address(t: TestApp) {
        let w = world::build(&t).await;
        let _ = &w;
        let body = |phone: &str| {
            json!({"name": "重复者", "resident_id": support::app::new_resident_id("110105"), "phone": phone,
                   "region_code": "110105001000", "password": world::PW, "categories": ["education"]})
        };
        for _ in 0..zhiyuan_app::auth::throttle::REGISTRATION_LIMIT {
            // the self-registered volunteer's phone already has an account
            let r = t.post("/api/v1/register", None, body("13700000001")).await;
            assert_eq!((r.status.as_u16(), r.code()), (409, "phone_taken"), "{}", r.body);
        }
        // now even a new registration from that address waits, told so in Chinese
        let r = t.post("/api/v1/register", None, body("13700000099")).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (429, "too_many_attempts"),
            "{}",
            r.body
        );
        assert!(r.message().contains("分钟后再试"), "{}", r.message());
        // logins are counted apart
        assert!(!t.login("haidian", world::PW).await.is_empty());
    }

    async fn signing_out_everywhere_ends_every_session(t: TestApp) {
        let w = world::build(&t).await;
        let second = t.login("haidian", world::PW).await;
        assert_eq!(t.get("/api/v1/me", Some(&w.haidian)).await.status, 200);
        let r = t
            .post("/api/v1/auth/logout-everywhere", Some(&second), json!({}))
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(t.get("/api/v1/me", Some(&w.haidian)).await.status, 401);
        assert_eq!(t.get("/api/v1/me", Some(&second)).await.status, 401);
        // other accounts stay logged in
        assert_eq!(t.get("/api/v1/me", Some(&w.chaoyang)).await.status, 200);
    }

    async fn the_initial_admin_password_file_is_private(t: TestApp) {
        let pw = t
            .app
            .auth()
            .ensure_admin()
            .await
            .unwrap()
            .expect("a fresh database gets an admin");
        let path = t.app.data_dir().join("initial-admin-password.txt");
        assert!(std::fs::read_to_string(&path).unwrap().contains(&pw));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    both_backends!(
        registration_refusals_are_throttled_per_address,
        wrong_passwords_lock_the_account_for_a_while,
        signing_out_everywhere_ends_every_session,
        the_initial_admin_password_file_is_private,
    );
}
