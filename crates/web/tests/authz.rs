//! The authorization matrix: every role against an in-scope and an out-of-scope target of
//! every endpoint that reads or writes scoped data. Public endpoints are checked to be public.

mod support;

use serde_json::{json, Value};
use support::app::{spawn_app, Db, TestApp};
use support::world::{self, volunteer_body, World};

/// One request and the status expected.
struct Case {
    what: String,
    method: &'static str,
    path: String,
    body: Option<Value>,
    expect: u16,
}

fn case(what: &str, method: &'static str, path: String, body: Option<Value>, expect: u16) -> Case {
    Case {
        what: what.to_owned(),
        method,
        path,
        body,
        expect,
    }
}

async fn pending_request(t: &TestApp, w: &World, team: i64) -> i64 {
    // the self-registered volunteer asks to join; a declined or fresh request is pending again
    let r = t
        .post(
            &format!("/api/v1/organizations/{team}/join-requests"),
            Some(&w.volunteer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "join {team}: {}", r.body);
    r.body["id"].as_i64().unwrap()
}

fn site(name: &str, level: &str, region: &str, parent: Option<i64>) -> Option<Value> {
    Some(json!({"name": name, "level": level, "region_code": region, "parent_id": parent}))
}

fn team(name: &str, parent: Option<i64>, site: Option<i64>, region: Option<&str>) -> Option<Value> {
    Some(json!({"name": name, "kind": "team", "parent_id": parent, "site_id": site, "region_code": region}))
}

fn account(
    user: &str,
    role: &str,
    region: Option<&str>,
    site: Option<i64>,
    org: Option<i64>,
) -> Option<Value> {
    Some(
        json!({"username": user, "password": "abc12345", "display_name": user, "role": role,
                "scope_region": region, "scope_site_id": site, "scope_org_id": org}),
    )
}

async fn every_role_in_and_out_of_scope(t: TestApp) {
    let w = world::build(&t).await;
    let vol = |id: i64| format!("/api/v1/volunteers/{id}");
    let mem = |id: i64| format!("/api/v1/volunteers/{id}/memberships");
    let members = |id: i64| format!("/api/v1/organizations/{id}/members");

    // (role, token, cases)
    let roles: Vec<(&str, String, Vec<Case>)> = vec![
        (
            "city_admin",
            w.city.clone(),
            vec![
                case("read volunteer", "GET", vol(w.v_b), None, 200),
                case("read volunteer outside the city", "GET", vol(w.v_t), None, 403),
                case("memberships", "GET", mem(w.v_a), None, 200),
                case("memberships outside", "GET", mem(w.v_t), None, 403),
                case(
                    "register volunteer",
                    "POST",
                    "/api/v1/volunteers".into(),
                    Some(volunteer_body("市登记", "110108001000", None)),
                    201,
                ),
                case(
                    "register volunteer outside",
                    "POST",
                    "/api/v1/volunteers".into(),
                    Some(volunteer_body("市登记外", "120101001000", None)),
                    403,
                ),
                case("team members", "GET", members(w.team_b), None, 200),
                case("team members outside", "GET", members(w.team_t), None, 403),
                case(
                    "open site",
                    "POST",
                    "/api/v1/sites".into(),
                    site(
                        "朝外街道新时代文明实践所",
                        "institute",
                        "110105002000",
                        Some(w.cy_center),
                    ),
                    201,
                ),
                case(
                    "open site outside",
                    "POST",
                    "/api/v1/sites".into(),
                    site("和平区新时代文明实践中心", "center", "120101000000", None),
                    403,
                ),
                case(
                    "create team",
                    "POST",
                    "/api/v1/organizations".into(),
                    team("市属队", None, None, Some("110108001000")),
                    201,
                ),
                case(
                    "create team outside",
                    "POST",
                    "/api/v1/organizations".into(),
                    team("津属队", None, None, Some("120101001000")),
                    403,
                ),
                case(
                    "create account",
                    "POST",
                    "/api/v1/accounts".into(),
                    account("hd2", "district_admin", Some("110108"), None, None),
                    201,
                ),
                case(
                    "create account outside",
                    "POST",
                    "/api/v1/accounts".into(),
                    account("tj2", "district_admin", Some("120101"), None, None),
                    403,
                ),
                case("audit log", "GET", "/api/v1/audit".into(), None, 200),
            ],
        ),
        (
            "district_admin",
            w.chaoyang.clone(),
            vec![
                case("read volunteer", "GET", vol(w.v_a), None, 200),
                case("read volunteer outside", "GET", vol(w.v_b), None, 403),
                case("memberships", "GET", mem(w.v_a), None, 200),
                case("memberships outside", "GET", mem(w.v_b), None, 403),
                case(
                    "register volunteer",
                    "POST",
                    "/api/v1/volunteers".into(),
                    Some(volunteer_body("区登记", "110105003000", None)),
                    201,
                ),
                case(
                    "register volunteer outside",
                    "POST",
                    "/api/v1/volunteers".into(),
                    Some(volunteer_body("区登记外", "110108001000", None)),
                    403,
                ),
                case(
                    "register into a team outside",
                    "POST",
                    "/api/v1/volunteers".into(),
                    Some(volunteer_body("区登记外队", "110105001000", Some(w.team_b))),
                    403,
                ),
                case("team members", "GET", members(w.team_a), None, 200),
                case("team members outside", "GET", members(w.team_b), None, 403),
                case(
                    "open site",
                    "POST",
                    "/api/v1/sites".into(),
                    site(
                        "呼家楼街道新时代文明实践所",
                        "institute",
                        "110105003000",
                        Some(w.cy_center),
                    ),
                    201,
                ),
                case(
                    "open site outside",
                    "POST",
                    "/api/v1/sites".into(),
                    site("海淀外所", "institute", "110108002000", Some(w.hd_center)),
                    403,
                ),
                case(
                    "create team",
                    "POST",
                    "/api/v1/organizations".into(),
                    team("区属队", None, Some(w.jw), None),
                    201,
                ),
                case(
                    "create team outside",
                    "POST",
                    "/api/v1/organizations".into(),
                    team("区外队", Some(w.team_b), None, None),
                    403,
                ),
                case(
                    "create account",
                    "POST",
                    "/api/v1/accounts".into(),
                    account("jw2", "site_admin", None, Some(w.jw), None),
                    201,
                ),
                case(
                    "create account outside",
                    "POST",
                    "/api/v1/accounts".into(),
                    account("hd3", "site_admin", None, Some(w.hd1), None),
                    403,
                ),
                case(
                    "grant a higher role",
                    "POST",
                    "/api/v1/accounts".into(),
                    account("up1", "city_admin", Some("11"), None, None),
                    403,
                ),
                case("audit log", "GET", "/api/v1/audit".into(), None, 200),
            ],
        ),
        (
            "site_admin",
            w.jw_site_admin.clone(),
            vec![
                case("read volunteer", "GET", vol(w.v_a), None, 200),
                case("read volunteer outside", "GET", vol(w.v_b), None, 403),
                case("memberships", "GET", mem(w.v_a), None, 200),
                case("memberships outside", "GET", mem(w.v_b), None, 403),
                case(
                    "register volunteer",
                    "POST",
                    "/api/v1/volunteers".into(),
                    Some(volunteer_body("所登记", "110105001000", None)),
                    201,
                ),
                case(
                    "register volunteer outside",
                    "POST",
                    "/api/v1/volunteers".into(),
                    Some(volunteer_body("所登记外", "110105002000", None)),
                    403,
                ),
                case("team members", "GET", members(w.team_a1), None, 200),
                case("team members outside", "GET", members(w.team_b), None, 403),
                case(
                    "open station",
                    "POST",
                    "/api/v1/sites".into(),
                    site(
                        "建外测试社区新时代文明实践站",
                        "station",
                        "110105001001",
                        Some(w.jw),
                    ),
                    201,
                ),
                case(
                    "open station outside",
                    "POST",
                    "/api/v1/sites".into(),
                    site(
                        "海淀测试社区新时代文明实践站",
                        "station",
                        "110108001001",
                        Some(w.hd1),
                    ),
                    403,
                ),
                case(
                    "create team",
                    "POST",
                    "/api/v1/organizations".into(),
                    team("所属队", None, Some(w.jw), None),
                    201,
                ),
                case(
                    "create team outside",
                    "POST",
                    "/api/v1/organizations".into(),
                    team("所外队", None, Some(w.hd1), None),
                    403,
                ),
                case(
                    "create account",
                    "POST",
                    "/api/v1/accounts".into(),
                    account("ta2", "team_admin", None, None, Some(w.team_a)),
                    201,
                ),
                case(
                    "create account outside",
                    "POST",
                    "/api/v1/accounts".into(),
                    account("tb2", "team_admin", None, None, Some(w.team_b)),
                    403,
                ),
                case("audit log", "GET", "/api/v1/audit".into(), None, 200),
            ],
        ),
        (
            "team_admin",
            w.team_a_admin.clone(),
            vec![
                case("read volunteer", "GET", vol(w.v_a), None, 200),
                case("read volunteer outside", "GET", vol(w.v_b), None, 403),
                case(
                    "read a neighbour who is no member",
                    "GET",
                    vol(w.v_self),
                    None,
                    403,
                ),
                case("memberships", "GET", mem(w.v_a), None, 200),
                case("memberships outside", "GET", mem(w.v_b), None, 403),
                case(
                    "register into own team",
                    "POST",
                    "/api/v1/volunteers".into(),
                    Some(volunteer_body("队登记", "110105001000", Some(w.team_a1))),
                    201,
                ),
                case(
                    "register into another team",
                    "POST",
                    "/api/v1/volunteers".into(),
                    Some(volunteer_body("队登记外", "110105001000", Some(w.team_b))),
                    403,
                ),
                case("team members", "GET", members(w.team_a1), None, 200),
                case("team members outside", "GET", members(w.team_b), None, 403),
                case(
                    "open site",
                    "POST",
                    "/api/v1/sites".into(),
                    site("队开站", "station", "110105001001", Some(w.jw)),
                    403,
                ),
                case(
                    "create sub-team",
                    "POST",
                    "/api/v1/organizations".into(),
                    team("队下小队", Some(w.team_a), None, None),
                    201,
                ),
                case(
                    "create sub-team outside",
                    "POST",
                    "/api/v1/organizations".into(),
                    team("队外小队", Some(w.team_b), None, None),
                    403,
                ),
                case(
                    "create account",
                    "POST",
                    "/api/v1/accounts".into(),
                    account("ta3", "team_admin", None, None, Some(w.team_a1)),
                    201,
                ),
                case(
                    "create account outside",
                    "POST",
                    "/api/v1/accounts".into(),
                    account("tb3", "team_admin", None, None, Some(w.team_b)),
                    403,
                ),
                case("audit log", "GET", "/api/v1/audit".into(), None, 200),
            ],
        ),
        (
            "volunteer",
            w.volunteer.clone(),
            vec![
                case("read own record", "GET", vol(w.v_self), None, 200),
                case("read another volunteer", "GET", vol(w.v_a), None, 403),
                case("own memberships", "GET", mem(w.v_self), None, 200),
                case("another's memberships", "GET", mem(w.v_a), None, 403),
                case(
                    "register volunteer",
                    "POST",
                    "/api/v1/volunteers".into(),
                    Some(volunteer_body("志登记", "110105001000", Some(w.team_a))),
                    403,
                ),
                case("team members", "GET", members(w.team_a), None, 403),
                case(
                    "open site",
                    "POST",
                    "/api/v1/sites".into(),
                    site("志开站", "station", "110105001001", Some(w.jw)),
                    403,
                ),
                case(
                    "create team",
                    "POST",
                    "/api/v1/organizations".into(),
                    team("志队", Some(w.team_a), None, None),
                    403,
                ),
                case(
                    "create account",
                    "POST",
                    "/api/v1/accounts".into(),
                    account("v2", "resident", None, None, None),
                    403,
                ),
                case("audit log", "GET", "/api/v1/audit".into(), None, 403),
                case(
                    "pending requests",
                    "GET",
                    "/api/v1/join-requests".into(),
                    None,
                    403,
                ),
            ],
        ),
        (
            "resident",
            w.resident.clone(),
            vec![
                case("read a volunteer", "GET", vol(w.v_a), None, 403),
                case("memberships", "GET", mem(w.v_a), None, 403),
                case(
                    "register volunteer",
                    "POST",
                    "/api/v1/volunteers".into(),
                    Some(volunteer_body("民登记", "110105001000", None)),
                    403,
                ),
                case("team members", "GET", members(w.team_a), None, 403),
                case(
                    "open site",
                    "POST",
                    "/api/v1/sites".into(),
                    site("民开站", "station", "110105001001", Some(w.jw)),
                    403,
                ),
                case(
                    "create team",
                    "POST",
                    "/api/v1/organizations".into(),
                    team("民队", None, None, Some("110105001000")),
                    403,
                ),
                case(
                    "create account",
                    "POST",
                    "/api/v1/accounts".into(),
                    account("r2", "resident", None, None, None),
                    403,
                ),
                case("audit log", "GET", "/api/v1/audit".into(), None, 403),
                case(
                    "join a team (not a volunteer)",
                    "POST",
                    format!("/api/v1/organizations/{}/join-requests", w.team_a),
                    Some(json!({})),
                    409,
                ),
            ],
        ),
    ];

    let mut failures = Vec::new();
    for (role, token, cases) in &roles {
        for c in cases {
            let r = t.send(c.method, &c.path, Some(token), c.body.clone()).await;
            if r.status.as_u16() != c.expect {
                failures.push(format!(
                    "{role}: {} ({} {}) → {} expected {}: {}",
                    c.what, c.method, c.path, r.status, c.expect, r.body
                ));
            } else if c.expect == 403 {
                assert_eq!(r.code(), "forbidden");
                assert!(r.message().contains("无权"), "{}", r.message());
            }
        }
    }
    // Deciding join requests: each admin decides one inside its scope and is refused one outside.
    let deciders: Vec<(&str, &String, i64, i64)> = vec![
        ("city_admin", &w.city, w.team_a, w.team_t),
        ("district_admin", &w.chaoyang, w.team_a, w.team_b),
        ("site_admin", &w.jw_site_admin, w.team_a, w.team_b),
        ("team_admin", &w.team_a_admin, w.team_a, w.team_b),
    ];
    let outside_b = pending_request(&t, &w, w.team_b).await;
    let outside_t = pending_request(&t, &w, w.team_t).await;
    for (role, token, inside_team, outside_team) in deciders {
        let inside = pending_request(&t, &w, inside_team).await;
        let r = t
            .post(
                &format!("/api/v1/join-requests/{inside}/decline"),
                Some(token),
                json!({}),
            )
            .await;
        if r.status != 200 {
            failures.push(format!("{role}: decide inside → {}: {}", r.status, r.body));
        }
        let out = if outside_team == w.team_t {
            outside_t
        } else {
            outside_b
        };
        let r = t
            .post(
                &format!("/api/v1/join-requests/{out}/approve"),
                Some(token),
                json!({}),
            )
            .await;
        if r.status != 403 {
            failures.push(format!("{role}: decide outside → {}: {}", r.status, r.body));
        }
    }
    for token in [&w.volunteer, &w.resident] {
        let r = t
            .post(
                &format!("/api/v1/join-requests/{outside_b}/approve"),
                Some(token),
                json!({}),
            )
            .await;
        if r.status != 403 {
            failures.push(format!("volunteer/resident decided a request → {}", r.status));
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix failures:\n{}",
        failures.join("\n")
    );
}

async fn lists_show_only_what_is_in_scope(t: TestApp) {
    let w = world::build(&t).await;
    let ids = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_i64().unwrap())
            .collect()
    };
    let all = |token: &str| {
        let t = &t;
        let token = token.to_owned();
        async move { ids(&t.get("/api/v1/volunteers?per_page=200", Some(&token)).await.body) }
    };
    let city = all(&w.city).await;
    assert!(city.contains(&w.v_a) && city.contains(&w.v_b) && !city.contains(&w.v_t));
    let cy = all(&w.chaoyang).await;
    assert!(cy.contains(&w.v_a) && cy.contains(&w.v_self) && !cy.contains(&w.v_b));
    let team = all(&w.team_a_admin).await;
    assert_eq!(team, vec![w.v_a]);
    let me = all(&w.volunteer).await;
    assert_eq!(me, vec![w.v_self]);
    assert!(all(&w.resident).await.is_empty());
    // audit: 海淀 sees nothing of 朝阳
    let hd = t.get("/api/v1/audit?per_page=200", Some(&w.haidian)).await;
    let entities: Vec<(String, String)> = hd.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["entity_type"].as_str().unwrap().to_owned(),
                e["entity_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(entities.contains(&("volunteer".into(), w.v_b.to_string())));
    assert!(!entities.contains(&("volunteer".into(), w.v_a.to_string())));
    assert!(!entities.contains(&("organization".into(), w.team_a.to_string())));
    // public directories need no login
    for p in [
        "/api/v1/regions",
        "/api/v1/sites",
        "/api/v1/organizations",
        &format!("/api/v1/organizations/{}", w.team_t),
    ] {
        assert_eq!(t.get(p, None).await.status, 200, "{p}");
    }
}

/// Orders: who may read an order, see the dispatch screen, dispatch, reject, rate, read the
/// queue and the figures, and edit a site's menu.
async fn orders_every_role_in_and_out_of_scope(t: TestApp) {
    let w = world::build(&t).await;
    let order_at = |place: &'static str, token: String| {
        let t = &t;
        async move {
            let m = t.get(&format!("/api/v1/menu?region_code={place}"), None).await;
            let item = m.body["items"][0]["id"].as_i64().unwrap();
            let start = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc3339();
            let end = (chrono::Utc::now() + chrono::Duration::hours(4)).to_rfc3339();
            let r = t
                .post(
                    "/api/v1/orders",
                    Some(&token),
                    json!({"item_id": item, "region_code": place, "address": "测试地址", "window_start": start,
                           "window_end": end, "people": 1, "contact_phone": "13800138000"}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            r.body["id"].as_i64().unwrap()
        }
    };
    // A: 建外 (朝阳) by the resident; B: 海淀 by another resident who ordered by phone
    let a = order_at("110105001001", w.resident.clone()).await;
    let code = t
        .post("/api/v1/auth/phone-code", None, json!({"phone": "13911112222"}))
        .await;
    let login = t
        .post(
            "/api/v1/auth/phone-login",
            None,
            json!({"phone": "13911112222", "code": code.body["demo_code"]}),
        )
        .await;
    let b = order_at("110108001001", login.body["token"].as_str().unwrap().to_owned()).await;
    let get = |id: i64| format!("/api/v1/orders/{id}");
    let opts = |id: i64| format!("/api/v1/orders/{id}/dispatch");
    let reject = |id: i64| format!("/api/v1/orders/{id}/reject");
    let dispatch = |id: i64| format!("/api/v1/orders/{id}/dispatch");
    let rate = |id: i64| format!("/api/v1/orders/{id}/rate");
    let reason = Some(json!({"reason": "测试"}));
    let to_team = |team: i64| Some(json!({"target": "team", "team_ids": [team]}));
    let menu = |site: i64| format!("/api/v1/sites/{site}/menu/customize");
    let roles: Vec<(&str, String, Vec<Case>)> = vec![
        (
            "city_admin",
            w.city.clone(),
            vec![
                case("read order", "GET", get(a), None, 200),
                case("dispatch screen", "GET", opts(b), None, 200),
                case(
                    "figures of the city",
                    "GET",
                    "/api/v1/orders/stats?region=11".into(),
                    None,
                    200,
                ),
                case(
                    "figures of 天津",
                    "GET",
                    "/api/v1/orders/stats?region=12".into(),
                    None,
                    403,
                ),
            ],
        ),
        (
            "other city",
            w.tianjin.clone(),
            vec![
                case("read order", "GET", get(a), None, 403),
                case("dispatch screen", "GET", opts(a), None, 403),
                case("dispatch", "POST", dispatch(a), to_team(w.team_t), 403),
                case("reject", "POST", reject(a), reason.clone(), 403),
            ],
        ),
        (
            "district_admin",
            w.chaoyang.clone(),
            vec![
                case("read order", "GET", get(a), None, 200),
                case("read order outside", "GET", get(b), None, 403),
                case("dispatch screen outside", "GET", opts(b), None, 403),
                case("reject outside", "POST", reject(b), reason.clone(), 403),
                case("dispatch outside", "POST", dispatch(b), to_team(w.team_a), 403),
            ],
        ),
        (
            "site_admin",
            w.jw_site_admin.clone(),
            vec![
                case("read order", "GET", get(a), None, 200),
                case("dispatch screen", "GET", opts(a), None, 200),
                case("read order outside", "GET", get(b), None, 403),
                case("dispatch outside", "POST", dispatch(b), to_team(w.team_b), 403),
                case("edit another site's menu", "POST", menu(w.hd1), None, 403),
                case("edit own menu", "POST", menu(w.jw), None, 200),
            ],
        ),
        (
            "team_admin",
            w.team_a_admin.clone(),
            vec![
                case(
                    "read an order not dispatched to the team",
                    "GET",
                    get(a),
                    None,
                    403,
                ),
                case("dispatch screen", "GET", opts(a), None, 403),
                case("queue", "GET", "/api/v1/orders/queue".into(), None, 403),
                case("dispatch", "POST", dispatch(a), to_team(w.team_a), 403),
                case("edit the site's menu", "POST", menu(w.jw), None, 403),
            ],
        ),
        (
            "volunteer",
            w.volunteer.clone(),
            vec![
                case("read someone's order", "GET", get(a), None, 403),
                case("queue", "GET", "/api/v1/orders/queue".into(), None, 403),
                case("reject", "POST", reject(a), reason.clone(), 403),
                case(
                    "rate someone's order",
                    "POST",
                    rate(a),
                    Some(json!({"rating": 5})),
                    403,
                ),
                case("figures", "GET", "/api/v1/orders/stats".into(), None, 403),
            ],
        ),
        (
            "resident",
            w.resident.clone(),
            vec![
                case("read own order", "GET", get(a), None, 200),
                case("read another resident's order", "GET", get(b), None, 403),
                case(
                    "rate another resident's order",
                    "POST",
                    rate(b),
                    Some(json!({"rating": 5})),
                    403,
                ),
                case("dispatch screen", "GET", opts(a), None, 403),
                case("dispatch own order", "POST", dispatch(a), to_team(w.team_a), 403),
                case("queue", "GET", "/api/v1/orders/queue".into(), None, 403),
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (role, token, cases) in roles {
        for c in cases {
            let r = t.send(c.method, &c.path, Some(&token), c.body.clone()).await;
            if r.status.as_u16() != c.expect {
                failures.push(format!(
                    "{role}: {} {} {} → {} (want {}): {}",
                    c.what, c.method, c.path, r.status, c.expect, r.body
                ));
            }
        }
    }
    for (path, want) in [
        (get(a), 401),
        ("/api/v1/menu?region_code=110105001001".to_owned(), 200),
    ] {
        let r = t.get(&path, None).await;
        if r.status.as_u16() != want {
            failures.push(format!("anonymous {path} → {} (want {want})", r.status));
        }
    }
    assert!(
        failures.is_empty(),
        "order authorization failures:\n{}",
        failures.join("\n")
    );
}

both_backends!(
    every_role_in_and_out_of_scope,
    lists_show_only_what_is_in_scope,
    orders_every_role_in_and_out_of_scope
);
