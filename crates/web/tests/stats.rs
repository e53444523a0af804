//! Statistics (issue #10): every dashboard figure equals a direct count over the stored rows,
//! for random sequences of registrations, moves, records, corrections, confirmations and
//! rejections, for several scopes, periods and category filters, on both databases; scope is
//! enforced; bad input is a clear 4xx; the lists behind the figures count the same.

mod support;

use serde_json::{json, Value};
use support::app::{page_html, page_session, spawn_app, Db, TestApp};
use support::world::{self, created, volunteer_body, World};
use zhiyuan_app::stats::star_bounds;

/// A small deterministic generator (xorshift), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const DATES: &[&str] = &[
    "2026-01-05",
    "2026-01-20",
    "2026-01-31",
    "2026-02-01",
    "2026-02-14",
    "2026-03-09",
    "2026-03-31",
];
const CATEGORIES: &[Option<&str>] = &[
    None,
    Some("elderly_disabled"),
    Some("education"),
    Some("敬老助残"),
];
const HOMES: &[&str] = &[
    "110105001000",
    "110105001001",
    "110108001000",
    "110108001001",
    "110105002000",
    "120101001000",
];

struct Script {
    /// Teams that enter records, with the token of an office over each.
    teams: Vec<(i64, String)>,
    volunteers: Vec<i64>,
    /// Current confirmed record ids, to correct.
    records: Vec<i64>,
    /// Pending declarations, to confirm or reject.
    pending: Vec<i64>,
    /// How many of each kind of change happened (the test asserts each did).
    done: [usize; 6],
}

async fn step(t: &TestApp, w: &World, rng: &mut Rng, s: &mut Script, n: usize) {
    match rng.below(10) {
        0 => {
            let home = *rng.pick(HOMES);
            let token = if home.starts_with("12") {
                &w.tianjin
            } else {
                &w.city
            };
            let id = created(
                t,
                "/api/v1/volunteers",
                token,
                volunteer_body(
                    &format!("测试志愿者{}", char::from_u32(0x4e00 + n as u32).unwrap()),
                    home,
                    None,
                ),
            )
            .await;
            s.volunteers.push(id);
            s.done[0] += 1;
        }
        1 => {
            let v = *rng.pick(&s.volunteers);
            let home = *rng.pick(HOMES);
            let token = if home.starts_with("12") {
                &w.tianjin
            } else {
                &w.city
            };
            let r = t
                .send(
                    "PUT",
                    &format!("/api/v1/volunteers/{v}/contact"),
                    Some(token),
                    Some(json!({"region_code": home})),
                )
                .await;
            // moving a Beijing volunteer to Tianjin is outside the city admin's scope: refused whole
            assert!(
                r.status.is_success() || r.status == 403 || r.status == 404,
                "move: {} {}",
                r.status,
                r.body
            );
            s.done[1] += r.status.is_success() as usize;
        }
        2..=4 => {
            let (team, token) = s.teams[rng.below(s.teams.len())].clone();
            let mut lines = Vec::new();
            let mut used = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let v = *rng.pick(&s.volunteers);
                if !used.contains(&v) {
                    used.push(v);
                    lines.push(json!({"volunteer_id": v, "minutes": 30 + rng.below(300) as i64}));
                }
            }
            let body = json!({"organization_id": team, "project_id": null, "activity": "统计测试活动", "service_date": rng.pick(DATES),
                "place": "社区广场", "content": "随机服务", "person_in_charge": "张负责", "entries": lines, "category": rng.pick(CATEGORIES)});
            let r = t.post("/api/v1/records/team-entry", Some(&token), body).await;
            if r.status == 201 {
                for rec in r.body.as_array().unwrap() {
                    s.records.push(rec["id"].as_i64().unwrap());
                }
                s.done[2] += 1;
            } else {
                // a volunteer outside the team's office scope (e.g. moved away)
                assert!(
                    r.status == 403 || r.status == 404,
                    "team entry: {} {}",
                    r.status,
                    r.body
                );
            }
        }
        5 | 6 if !s.records.is_empty() => {
            let i = rng.below(s.records.len());
            let id = s.records[i];
            let mut body = json!({"reason": "核实后更正"});
            match rng.below(3) {
                0 => body["minutes"] = json!(15 + rng.below(400) as i64),
                1 => body["service_date"] = json!(rng.pick(DATES)),
                _ => {
                    body["minutes"] = json!(60);
                    body["service_date"] = json!(rng.pick(DATES));
                }
            }
            let r = t
                .post(&format!("/api/v1/records/{id}/correct"), Some(&w.city), body)
                .await;
            assert!(r.status.is_success(), "correct: {} {}", r.status, r.body);
            s.records[i] = r.body["id"].as_i64().unwrap();
            s.done[3] += 1;
        }
        7 => {
            let r = t
                .post("/api/v1/records/declare", Some(&w.volunteer), json!({"organization_id": w.team_a, "activity": "自主申报", "service_date": rng.pick(DATES),
                    "place": "建外", "content": "申报服务", "person_in_charge": "张负责", "minutes": 30 + rng.below(200) as i64, "category": rng.pick(CATEGORIES)}))
                .await;
            assert_eq!(r.status, 201, "declare: {}", r.body);
            s.pending.push(r.body["id"].as_i64().unwrap());
        }
        _ if !s.pending.is_empty() => {
            let id = s.pending.remove(rng.below(s.pending.len()));
            if rng.below(2) == 0 {
                let r = t
                    .post(
                        &format!("/api/v1/records/{id}/confirm"),
                        Some(&w.team_a_admin),
                        json!({}),
                    )
                    .await;
                assert!(r.status.is_success(), "confirm: {} {}", r.status, r.body);
                s.records.push(r.body["id"].as_i64().unwrap());
                s.done[4] += 1;
            } else {
                let r = t
                    .post(
                        &format!("/api/v1/records/{id}/reject"),
                        Some(&w.team_a_admin),
                        json!({"reason": "未能核实"}),
                    )
                    .await;
                assert!(r.status.is_success(), "reject: {} {}", r.status, r.body);
                s.done[5] += 1;
            }
        }
        _ => {}
    }
}

async fn direct(t: &TestApp, prefix: &str, category: Option<&str>, from: &str, to: &str) -> (i64, i64, i64) {
    let mut conn = t.app.store.read().await.unwrap();
    zhiyuan_store::stats::direct_service(
        &mut conn,
        zhiyuan_store::stats::Within::Region(prefix),
        category,
        from,
        to,
    )
    .await
    .unwrap()
}

fn day_ms(d: &str) -> i64 {
    let day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    zhiyuan_app::stats::day_start_ms(day)
}

/// The regions the checks look at, each with the token of an office over it and its prefix: the
/// city, a district, a township and a community below it, another district, another province.
fn scopes(w: &World) -> [(&String, &'static str, &'static str); 6] {
    [
        (&w.city, "110000000000", "11"),
        (&w.chaoyang, "110105000000", "110105"),
        (&w.chaoyang, "110105001000", "110105001"),
        (&w.city, "110105001001", "110105001001"),
        (&w.haidian, "110108000000", "110108"),
        (&w.tianjin, "120000000000", "12"),
    ]
}

async fn check_all(t: &TestApp, w: &World) {
    let scopes = scopes(w);
    let periods = [
        ("year=2026", "2026-01-01", "2026-12-31"),
        ("month=2026-02", "2026-02-01", "2026-02-28"),
        ("quarter=2026-Q1", "2026-01-01", "2026-03-31"),
        ("from=2026-01-15&to=2026-02-20", "2026-01-15", "2026-02-20"),
    ];
    let cats = [
        (None, ""),
        (Some("elderly_disabled"), "&category=elderly_disabled"),
        (Some(""), "&category=none"),
    ];
    for (token, code, prefix) in scopes {
        for (pq, from, to) in periods {
            for (cat, cq) in cats {
                let r = t
                    .get(
                        &format!("/api/v1/stats/dashboard?region={code}&{pq}{cq}"),
                        Some(token),
                    )
                    .await;
                assert_eq!(r.status, 200, "{code} {pq}{cq}: {}", r.body);
                let f = &r.body["figures"];
                let (minutes, records, active) = direct(t, prefix, cat, from, to).await;
                let what = format!("{code} {pq}{cq}");
                assert_eq!(
                    f["service"]["minutes"].as_i64().unwrap(),
                    minutes,
                    "minutes {what}"
                );
                assert_eq!(
                    f["service"]["records"].as_i64().unwrap(),
                    records,
                    "records {what}"
                );
                assert_eq!(f["service"]["active"].as_i64().unwrap(), active, "active {what}");
                let mut conn = t.app.store.read().await.unwrap();
                let (registered, new) = zhiyuan_store::stats::direct_residents(
                    &mut conn,
                    prefix,
                    day_ms(from),
                    day_ms(to) + 86_400_000,
                )
                .await
                .unwrap();
                assert_eq!(f["registered"].as_i64().unwrap(), registered, "registered {what}");
                assert_eq!(f["new_registrations"].as_i64().unwrap(), new, "new {what}");
                let stars = zhiyuan_store::stats::direct_stars(&mut conn, prefix, &star_bounds())
                    .await
                    .unwrap();
                assert_eq!(f["stars"], json!(stars.to_vec()), "stars {what}");
                drop(conn);
                // every breakdown row is the direct count of its own slice
                for row in r.body["by_region"].as_array().unwrap() {
                    let c = row["code"].as_str().unwrap();
                    let p = zhiyuan_domain::network::RegionCode::parse(c).unwrap();
                    // the 本级 row (the region's own code) holds what is placed on it exactly
                    let own = c == code;
                    let slice = if own { c } else { p.prefix() };
                    let (m, n, a) = direct(t, slice, cat, from, to).await;
                    if own {
                        assert!(row["name"].as_str().unwrap().ends_with("（本级）"), "{row}");
                    }
                    assert_eq!(
                        (
                            row["service"]["minutes"].as_i64().unwrap(),
                            row["service"]["records"].as_i64().unwrap(),
                            row["service"]["active"].as_i64().unwrap()
                        ),
                        (m, n, a),
                        "region {c} of {what}"
                    );
                }
                for row in r.body["by_category"].as_array().unwrap() {
                    let c = row["code"].as_str().unwrap();
                    let (m, n, a) = direct(t, prefix, Some(c), from, to).await;
                    assert_eq!(
                        (
                            row["service"]["minutes"].as_i64().unwrap(),
                            row["service"]["records"].as_i64().unwrap(),
                            row["service"]["active"].as_i64().unwrap()
                        ),
                        (m, n, a),
                        "category {c} of {what}"
                    );
                }
                for row in r.body["by_month"].as_array().unwrap() {
                    let m = row["month"].as_str().unwrap();
                    let (a, b) = (
                        format!("{m}-01").max(from.to_owned()),
                        format!("{m}-31").min(to.to_owned()),
                    );
                    let (mm, n, act) = direct(t, prefix, cat, &a, &b).await;
                    assert_eq!(
                        (
                            row["service"]["minutes"].as_i64().unwrap(),
                            row["service"]["records"].as_i64().unwrap(),
                            row["service"]["active"].as_i64().unwrap()
                        ),
                        (mm, n, act),
                        "month {m} of {what}"
                    );
                }
            }
        }
    }
    let report = t.app.stats().verify().await.unwrap();
    assert!(
        report.differences.is_empty(),
        "verify-stats: {:?}",
        report.differences
    );
}

async fn dashboards_equal_direct_counts_after_random_changes(t: TestApp) {
    let w = world::build(&t).await;
    // a team in a community, so records also sit one level below a township
    let community_team = created(
        &t,
        "/api/v1/organizations",
        &w.chaoyang,
        json!({"name": "建外测试社区服务队", "kind": "team", "parent_id": null, "site_id": null, "region_code": "110105001001"}),
    )
    .await;
    let join = t
        .post(
            &format!("/api/v1/organizations/{}/join-requests", w.team_a),
            Some(&w.volunteer),
            json!({}),
        )
        .await;
    assert_eq!(join.status, 201, "{}", join.body);
    let ok = t
        .post(
            &format!("/api/v1/join-requests/{}/approve", join.body["id"]),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert!(ok.status.is_success(), "{}", ok.body);
    let mut s = Script {
        teams: vec![
            (w.team_a, w.city.clone()),
            (w.team_a1, w.chaoyang.clone()),
            (w.team_b, w.haidian.clone()),
            (community_team, w.city.clone()),
            (w.team_t, w.tianjin.clone()),
        ],
        volunteers: vec![w.v_a, w.v_b, w.v_self],
        records: Vec::new(),
        pending: Vec::new(),
        done: [0; 6],
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t.db as u64 + 1));
    for round in 0..3 {
        for n in 0..30 {
            step(&t, &w, &mut rng, &mut s, round * 30 + n).await;
        }
        check_all(&t, &w).await;
    }
    assert!(
        s.done.iter().all(|&n| n > 0),
        "every kind of change happened (register, move, enter, correct, confirm, reject): {:?}",
        s.done
    );
    let city = t.get("/api/v1/stats/dashboard?year=2026", Some(&w.city)).await;
    assert!(
        city.body["figures"]["service"]["records"].as_i64().unwrap() > 5,
        "{}",
        city.body["figures"]
    );
}

async fn scope_and_bad_input_are_refused_clearly(t: TestApp) {
    let w = world::build(&t).await;
    let get = |path: &str, token: &str| {
        let (t, path, token) = (&t, path.to_owned(), token.to_owned());
        async move { t.get(&path, Some(&token)).await }
    };
    // outside the caller's region: 403, never figures
    let r = get("/api/v1/stats/dashboard?region=110108000000", &w.chaoyang).await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "forbidden"), "{}", r.body);
    let r = get("/api/v1/stats/dashboard?region=110000000000", &w.jw_site_admin).await;
    assert_eq!(r.status, 403);
    let r = get("/api/v1/stats/records?region=110000000000", &w.chaoyang).await;
    assert_eq!(r.status, 403);
    let r = get("/api/v1/stats/active-volunteers?region=120000000000", &w.city).await;
    assert_eq!(r.status, 403);
    // the site office's own dashboard is its township
    let r = get("/api/v1/stats/dashboard", &w.jw_site_admin).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["region"]["code"], "110105001000");
    // not offices
    for token in [&w.team_a_admin, &w.volunteer, &w.resident] {
        assert_eq!(get("/api/v1/stats/dashboard", token).await.status, 403);
    }
    assert_eq!(t.get("/api/v1/stats/dashboard", None).await.status, 401);
    // bad input: a clear 422 with its code and a Chinese message
    let r = get("/api/v1/stats/dashboard?from=2026-03-01&to=2026-02-01", &w.city).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "period_invalid"));
    assert_eq!(r.message(), "结束日期早于开始日期");
    let r = get("/api/v1/stats/dashboard?month=2026-13", &w.city).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "period_invalid"));
    let r = get("/api/v1/stats/dashboard?category=跳舞", &w.city).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "category_invalid"));
    assert!(r.message().contains("跳舞"));
    let r = get("/api/v1/stats/dashboard?region=1101", &w.city).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "region_invalid"));
    // Tianjin's office sees none of Beijing's people
    let v = created(
        &t,
        "/api/v1/volunteers",
        &w.city,
        volunteer_body("北京人", "110105001000", None),
    )
    .await;
    assert!(v > 0);
    let r = get("/api/v1/stats/dashboard", &w.tianjin).await;
    assert_eq!(
        r.body["figures"]["registered"], 1,
        "only 赵津生: {}",
        r.body["figures"]
    );
}

async fn the_page_drills_down_to_the_rows_behind_a_figure(t: TestApp) {
    let w = world::build(&t).await;
    let r = t
        .post("/api/v1/records/team-entry", Some(&w.chaoyang), json!({"organization_id": w.team_a, "project_id": null, "activity": "周末助老",
            "service_date": "2026-02-14", "place": "建外", "content": "陪伴", "person_in_charge": "张负责",
            "entries": [{"volunteer_id": w.v_a, "minutes": 120}, {"volunteer_id": w.v_self, "minutes": 90}], "category": "elderly_disabled"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let c = page_session(&t, "chaoyang").await;
    let html = c
        .get(t.url("/stats?year=2026"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("数据截至"), "as-of is shown");
    assert!(
        html.contains("id=\"chart-regions\"")
            && html.contains("id=\"chart-trend\"")
            && html.contains("id=\"chart-categories\"")
    );
    // the township bar leads to the township's dashboard
    let township = "/stats?region=110105001000&amp;from=2026-01-01&amp;to=2026-12-31";
    assert!(html.contains(township), "a bar links to its township");
    let html = c
        .get(t.url(&township.replace("&amp;", "&")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<span class=\"stat-num\" id=\"fig-records\">2</span>"),
        "{html}"
    );
    assert!(html.contains("<span class=\"stat-num\" id=\"fig-active\">2</span>"));
    let list = c
        .get(t.url("/stats/records?region=110105001000&from=2026-01-01&to=2026-12-31"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("<strong id=\"list-records\">2</strong>"), "{list}");
    assert!(list.contains("周末助老") && list.contains("敬老助残"));
    let people = c
        .get(t.url(
            "/stats/volunteers?region=110105001000&from=2026-01-01&to=2026-12-31&category=elderly_disabled",
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(people.contains("<strong id=\"list-active\">2</strong>") && people.contains("王建国"));
    // a refused period keeps what was typed, beside the field
    let r = c
        .get(t.url("/stats?from=2026-03-01&to=2026-02-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("结束日期早于开始日期") && html.contains("value=\"2026-03-01\""));
    let api: Value = t
        .get(
            "/api/v1/stats/dashboard?region=110105001000&year=2026",
            Some(&w.chaoyang),
        )
        .await
        .body;
    assert_eq!(api["figures"]["service"]["hours"], "3.5");
}

/// Orders written straight into the table (every month of 2026, every state, four places), then
/// moved along, an organization dissolved, and projects with shifts written straight in and
/// through the API (published, cancelled): the dashboard's order figures and organization counts
/// (trigger-kept cells for whole months, rows for the days of a partial month) and its project
/// figures (the project index, refreshed after each change) equal direct counts for every scope,
/// period and category; a damaged cell is found by verify-stats and mended by a rebuild.
async fn order_project_and_organization_figures_equal_direct_counts(t: TestApp) {
    let w = world::build(&t).await;
    let one = |sql: &'static str| {
        let t = &t;
        async move {
            let mut c = t.app.store.read().await.unwrap();
            let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *c).await.unwrap();
            n
        }
    };
    let item = one("SELECT MIN(id) FROM menu_items").await;
    let resident = one("SELECT MIN(id) FROM accounts WHERE role = 'resident'").await;
    let places = ["110105001000", "110105001001", "110108001000", "120101001000"];
    let cats = ["elderly_disabled", "education", ""];
    let states = [
        "submitted",
        "dispatched",
        "accepted",
        "completed",
        "rated",
        "rejected",
        "cancelled",
    ];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ (t.db as u64 + 7));
    let mut tx = t.app.store.write().await.unwrap();
    for i in 0..120 {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32)
            .unwrap();
        let submitted = zhiyuan_app::stats::day_start_ms(day) + rng.below(86_400_000) as i64;
        let status = *rng.pick(&states);
        let dispatched = (!matches!(status, "submitted" | "rejected" | "cancelled"))
            .then(|| submitted + 60_000 * (1 + rng.below(300) as i64));
        let accepted = dispatched
            .filter(|_| matches!(status, "accepted" | "completed" | "rated"))
            .map(|d| d + 60_000 * (1 + rng.below(300) as i64));
        let rating = (status == "rated").then(|| 1 + rng.below(5) as i64);
        sqlx::query(
            "INSERT INTO orders (item_id, item_name, category, resident_account_id, contact_name, contact_phone, \
             region_code, address, window_start, window_end, people, status, submitted_at, dispatched_at, \
             accepted_at, rating, updated_at, site_id) \
             VALUES ($1, '助老陪伴', $2, $3, '张大妈', '13800138000', $4, '测试地址', $5, $6, 1, $7, $8, $9, $10, $11, $8, $12)",
        )
        .bind(item)
        .bind(*rng.pick(&cats))
        .bind(resident)
        .bind(*rng.pick(&places))
        .bind(submitted + 86_400_000)
        .bind(submitted + 90_000_000)
        .bind(status)
        .bind(submitted)
        .bind(dispatched)
        .bind(accepted)
        .bind(rating)
        .bind(w.jw)
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("order {i}: {e}"));
    }
    // a later life for some: submitted ones dispatched, dispatched ones cancelled, one moved
    sqlx::query("UPDATE orders SET status = 'dispatched', dispatched_at = submitted_at + 600000 WHERE status = 'submitted' AND id % 2 = 0")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE orders SET status = 'cancelled' WHERE status = 'dispatched' AND id % 3 = 0")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE orders SET region_code = '110108001000', category = 'education' WHERE id % 7 = 0")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE organizations SET dissolved_at = 1 WHERE id = $1")
        .bind(w.team_b)
        .execute(&mut *tx)
        .await
        .unwrap();
    // projects with shifts over the year, some cancelled, written the same way
    let teams = [
        (w.team_a, "110105001000"),
        (w.team_b, "110108001000"),
        (w.team_t, "120101001000"),
    ];
    for p in 0..30 {
        let (org, place) = *rng.pick(&teams);
        let status = if p % 6 == 0 { "cancelled" } else { "recruiting" };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO projects (title, category, organization_id, region_code, address, person_in_charge, status, \
             created_at, updated_at) VALUES ('测试项目', $1, $2, $3, '地址', '负责人', $4, 0, 0) RETURNING id",
        )
        .bind(*rng.pick(&cats))
        .bind(org)
        .bind(place)
        .bind(status)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        for _ in 0..1 + rng.below(4) {
            let day =
                chrono::NaiveDate::from_ymd_opt(2026, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32)
                    .unwrap();
            let starts = zhiyuan_app::stats::day_start_ms(day) + rng.below(86_400_000) as i64;
            sqlx::query(
                "INSERT INTO shifts (project_id, starts_at, ends_at, headcount, created_at) VALUES ($1, $2, $3, 5, 0)",
            )
            .bind(id)
            .bind(starts)
            .bind(starts + 3_600_000)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();
    // rows written behind the application's back: the project figures read them at a rebuild
    t.app.stats().rebuild().await.unwrap();
    // and through it: a project published with two shifts, another cancelled, each counted at once
    let soon = chrono::Utc::now() + chrono::Duration::days(2);
    let r = t
        .post(
            "/api/v1/projects",
            Some(&w.team_a_admin),
            json!({"title": "社区敬老助餐", "category": "education", "organization_id": w.team_a,
                "address": "北京市朝阳区建外街道永安里", "person_in_charge": "王队长", "description": "送餐",
                "auto_approve": true, "publish": true,
                "shifts": [{"starts_at": soon.to_rfc3339(), "ends_at": (soon + chrono::Duration::hours(2)).to_rfc3339(), "headcount": 5},
                           {"starts_at": (soon + chrono::Duration::days(1)).to_rfc3339(),
                            "ends_at": (soon + chrono::Duration::days(1) + chrono::Duration::hours(2)).to_rfc3339(), "headcount": 5}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let (cancel,): (i64,) =
        sqlx::query_as("SELECT MIN(id) FROM projects WHERE status = 'recruiting' AND organization_id = $1")
            .bind(w.team_a)
            .fetch_one(&mut *t.app.store.read().await.unwrap())
            .await
            .unwrap();
    let r = t
        .post(
            &format!("/api/v1/projects/{cancel}/status"),
            Some(&w.team_a_admin),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let scopes = scopes(&w);
    let periods = [
        ("year=2026", "2026-01-01", "2026-12-31"),
        ("month=2026-02", "2026-02-01", "2026-02-28"),
        ("quarter=2026-Q3", "2026-07-01", "2026-09-30"),
        ("from=2026-01-15&to=2026-05-20", "2026-01-15", "2026-05-20"),
        ("from=2026-03-03&to=2026-03-17", "2026-03-03", "2026-03-17"),
    ];
    let filters = [
        (None, ""),
        (Some("education"), "&category=education"),
        (Some(""), "&category=none"),
    ];
    let mut seen = 0;
    let mut seen_projects = 0;
    for (token, code, prefix) in scopes {
        let mut c = t.app.store.read().await.unwrap();
        let (orgs, teams) = zhiyuan_store::stats::org_counts(&mut c, prefix).await.unwrap();
        drop(c);
        for (pq, from, to) in periods {
            for (cat, cq) in filters {
                let what = format!("{code} {pq}{cq}");
                let r = t
                    .get(
                        &format!("/api/v1/stats/dashboard?region={code}&{pq}{cq}"),
                        Some(token),
                    )
                    .await;
                assert_eq!(r.status, 200, "{what}: {}", r.body);
                assert_eq!(r.body["figures"]["organizations"], orgs, "organizations {what}");
                assert_eq!(r.body["figures"]["teams"], teams, "teams {what}");
                let mut c = t.app.store.read().await.unwrap();
                let (projects, shifts) = zhiyuan_store::stats::project_counts(
                    &mut c,
                    prefix,
                    cat,
                    day_ms(from),
                    day_ms(to) + 86_400_000,
                )
                .await
                .unwrap();
                drop(c);
                seen_projects += projects;
                assert_eq!(
                    (&r.body["figures"]["projects"], &r.body["figures"]["shifts"]),
                    (&json!(projects), &json!(shifts)),
                    "projects and shifts {what}"
                );
                let mut c = t.app.store.read().await.unwrap();
                let o = zhiyuan_store::stats::order_figures(
                    &mut c,
                    prefix,
                    cat,
                    day_ms(from),
                    day_ms(to) + 86_400_000,
                )
                .await
                .unwrap();
                drop(c);
                seen += o.total;
                let got = &r.body["orders"];
                assert_eq!(got["total"], o.total, "total {what}");
                let counts: Vec<i64> = got["by_status"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["count"].as_i64().unwrap())
                    .collect();
                assert_eq!(
                    counts,
                    vec![
                        o.submitted,
                        o.dispatched,
                        o.accepted,
                        o.completed,
                        o.rated,
                        o.rejected,
                        o.cancelled
                    ],
                    "states {what}"
                );
                assert_eq!(got["rated"], o.rating_n, "rated {what}");
                let avg = |ms: i64, n: i64| {
                    if n > 0 {
                        json!(format!("{:.1}", ms as f64 / n as f64 / 3_600_000.0))
                    } else {
                        Value::Null
                    }
                };
                assert_eq!(
                    got["avg_dispatch_hours"],
                    avg(o.dispatch_ms, o.dispatch_n),
                    "dispatch {what}"
                );
                assert_eq!(
                    got["avg_accept_hours"],
                    avg(o.accept_ms, o.accept_n),
                    "accept {what}"
                );
                let good = if o.rating_n > 0 {
                    json!(format!("{:.1}", o.rating_good as f64 * 100.0 / o.rating_n as f64))
                } else {
                    Value::Null
                };
                assert_eq!(got["good_share"], good, "good share {what}");
            }
        }
    }
    assert!(seen > 100, "the checks saw orders: {seen}");
    assert!(seen_projects > 20, "the checks saw projects: {seen_projects}");
    let report = t.app.stats().verify().await.unwrap();
    assert!(report.differences.is_empty(), "{:?}", report.differences);
    // a damaged cell is found, and a rebuild mends it
    let mut tx = t.app.store.write().await.unwrap();
    sqlx::query("UPDATE order_cells SET total = total + 1 WHERE region_code = '110000000000'")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE org_cells SET live = live + 1 WHERE region_code = '110105000000'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let report = t.app.stats().verify().await.unwrap();
    assert!(
        report
            .differences
            .iter()
            .any(|d| d.contains("点单汇总 110000000000"))
            && report
                .differences
                .iter()
                .any(|d| d.contains("组织汇总 110105000000")),
        "{:?}",
        report.differences
    );
    t.app.stats().rebuild().await.unwrap();
    let report = t.app.stats().verify().await.unwrap();
    assert!(report.differences.is_empty(), "{:?}", report.differences);
}

both_backends!(
    dashboards_equal_direct_counts_after_random_changes,
    order_project_and_organization_figures_equal_direct_counts,
    scope_and_bad_input_are_refused_clearly,
    the_page_drills_down_to_the_rows_behind_a_figure,
);

async fn exports_read_back_with_text_ids_and_real_dates_and_are_audited(t: TestApp) {
    use calamine::{Data, Reader, Xlsx};
    let w = world::build(&t).await;
    let r = t
        .post(
            "/api/v1/records/team-entry",
            Some(&w.chaoyang),
            json!({"organization_id": w.team_a, "project_id": null, "activity": "周末助老",
            "service_date": "2026-02-14", "place": "建外", "content": "陪伴", "person_in_charge": "张负责",
            "entries": [{"volunteer_id": w.v_a, "minutes": 90}], "category": "elderly_disabled"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let get = |path: &str| {
        let req = t.http.get(t.url(path)).bearer_auth(&w.chaoyang);
        async move { req.send().await.unwrap() }
    };
    let resp = get("/api/v1/stats/records.xlsx?year=2026").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = resp.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"),
        "{disposition}"
    );
    let bytes = resp.bytes().await.unwrap();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("服务记录").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert!(
        matches!(&rows[0][0], Data::String(s) if s.contains("朝阳区") && s.contains("2026年")),
        "title: {:?}",
        rows[0]
    );
    let headers: Vec<String> = rows[1].iter().map(|c| c.to_string()).collect();
    assert_eq!(&headers[..4], ["记录编号", "志愿者", "志愿者编号", "服务日期"]);
    assert_eq!(headers[10], "服务时长（小时）");
    assert_eq!(rows.len(), 3, "title, header and the one record");
    let rec = rows[2];
    assert!(
        matches!(&rec[2], Data::String(no) if no.len() >= 15 && no.bytes().all(|b| b.is_ascii_digit())),
        "the volunteer number is text: {:?}",
        rec[2]
    );
    assert!(
        matches!(&rec[3], Data::DateTime(_)),
        "the date is an Excel date: {:?}",
        rec[3]
    );
    assert!(
        matches!(&rec[6], Data::String(code) if code == "110105001000"),
        "the region code is text: {:?}",
        rec[6]
    );
    assert_eq!(rec[10], Data::Float(1.5));
    // no resident ID in any cell, masked or not
    for row in &rows {
        for c in row.iter() {
            assert!(!c.to_string().contains("***"), "no ID or phone at all: {c}");
        }
    }
    let resp = get("/api/v1/stats/dashboard.xlsx?year=2026&category=elderly_disabled").await;
    assert_eq!(resp.status(), 200);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(resp.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(book.sheet_names(), ["概况", "按区域", "按月份", "按服务类别"]);
    let overview = book.worksheet_range("概况").unwrap();
    let hours = overview
        .rows()
        .find(|r| r[0] == Data::String("服务时长".into()))
        .unwrap();
    assert_eq!(hours[1], Data::Float(1.5));
    let regions = book.worksheet_range("按区域").unwrap();
    let jw = regions
        .rows()
        .find(|r| r[0] == Data::String("110105001000".into()))
        .expect("建外 by its code, as text");
    assert_eq!(jw[4], Data::Float(1.5));
    // outside the scope: refused, nothing written, nothing recorded
    let resp = get("/api/v1/stats/records.xlsx?region=110108000000").await;
    assert_eq!(resp.status(), 403);
    // every export is in the audit log with its filter and size
    let log = t.get("/api/v1/audit?action=export.xlsx", Some(&w.city)).await;
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", log.body);
    assert!(
        items
            .iter()
            .any(|e| e["after"]["title"] == "服务记录明细" && e["after"]["row_count"] == 1),
        "{}",
        log.body
    );
    assert!(items
        .iter()
        .all(|e| e["actor_name"].as_str().is_some_and(|n| !n.is_empty())));
}

async fn the_roster_and_the_audit_log_export_with_ids_and_phones_masked_as_the_rules_say(t: TestApp) {
    use calamine::{Data, Reader, Xlsx};
    let w = world::build(&t).await;
    let read = |token: &str, path: &str| {
        let req = t.http.get(t.url(path)).bearer_auth(token);
        let path = path.to_owned();
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            let mut book: Xlsx<_> =
                Xlsx::new(std::io::Cursor::new(r.bytes().await.unwrap().to_vec())).unwrap();
            let name = book.sheet_names()[0].clone();
            let range = book.worksheet_range(&name).unwrap();
            range.rows().map(|r| r.to_vec()).collect::<Vec<Vec<Data>>>()
        }
    };
    // the district office: 王建国 of 建外, ID and phone masked
    let rows = read(&w.chaoyang, "/api/v1/volunteers.xlsx").await;
    let headers: Vec<String> = rows[1].iter().map(|c| c.to_string()).collect();
    assert_eq!(
        &headers[..6],
        ["志愿者编号", "姓名", "性别", "出生年份", "证件号码", "手机号码"]
    );
    let wang = rows
        .iter()
        .find(|r| r[1] == Data::String("王建国".into()))
        .expect("王建国 is listed");
    assert!(
        matches!(&wang[0], Data::String(no) if no.bytes().all(|b| b.is_ascii_digit())),
        "number as text: {:?}",
        wang[0]
    );
    let id = wang[4].to_string();
    assert!(
        id.len() == 18 && id[3..14].chars().all(|c| c == '*'),
        "masked 3 + 4: {id}"
    );
    assert!(
        wang[5].to_string().contains('*'),
        "the office sees a masked phone: {}",
        wang[5]
    );
    assert!(
        !rows.iter().any(|r| r[1] == Data::String("李海燕".into())),
        "海淀's volunteer is not in 朝阳's roster"
    );
    // the volunteer's own team admin sees the number
    let rows = read(&w.team_a_admin, "/api/v1/volunteers.xlsx").await;
    let wang = rows
        .iter()
        .find(|r| r[1] == Data::String("王建国".into()))
        .unwrap();
    assert_eq!(wang[5], Data::String("13912345678".into()));
    assert!(wang[4].to_string().contains('*'), "but never the ID");
    // the audit log, as the page's filter, with what changed in words; the exports are entries
    let rows = read(&w.city, "/api/v1/audit.xlsx?action=volunteer.register").await;
    assert!(rows.len() > 3, "title, header and the registrations");
    assert!(
        rows.iter()
            .skip(2)
            .all(|r| r[3] == Data::String("登记志愿者".into())),
        "only the action asked for"
    );
    assert!(
        rows.iter().any(|r| r[7].to_string().contains("志愿者编号：")),
        "changes in Chinese field names: {:?}",
        rows.get(2)
    );
    let log = t.get("/api/v1/audit?action=export.xlsx", Some(&w.city)).await;
    let titles: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["after"]["title"].as_str())
        .collect();
    assert!(
        titles.contains(&"志愿者花名册") && titles.contains(&"审计日志"),
        "{titles:?}"
    );
    // a volunteer exports nothing
    let r = t
        .http
        .get(t.url("/api/v1/volunteers.xlsx"))
        .bearer_auth(&w.volunteer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

/// An .xlsx response's first sheet as rows.
async fn sheet_rows(t: &TestApp, token: &str, path: &str) -> Vec<Vec<calamine::Data>> {
    use calamine::{Reader, Xlsx};
    let r = t.http.get(t.url(path)).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    let len: u64 = r.headers()["content-length"].to_str().unwrap().parse().unwrap();
    let bytes = r.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, len, "the streamed body is the whole file");
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

async fn every_list_exports_with_its_filter_codes_as_text_and_phones_masked(t: TestApp) {
    use calamine::Data;
    let w = world::build(&t).await;
    let text = |s: &str| Data::String(s.to_owned());
    // teams: every level, the code as text, filtered by region
    let rows = sheet_rows(&t, &w.chaoyang, "/api/v1/organizations.xlsx?region=110105").await;
    let headers: Vec<String> = rows[1].iter().map(|c| c.to_string()).collect();
    assert_eq!(&headers[..3], ["团队名称", "类型", "上级组织"]);
    let names: Vec<String> = rows[2..].iter().map(|r| r[0].to_string()).collect();
    assert!(names.len() >= 2, "a root and its sub-team: {names:?}");
    assert!(rows[2..]
        .iter()
        .all(|r| matches!(&r[5], Data::String(c) if c.starts_with("110105"))));
    assert!(
        rows[2..].iter().any(|r| r[2] != Data::Empty),
        "a sub-team names its parent: {rows:?}"
    );
    let hd = sheet_rows(&t, &w.chaoyang, "/api/v1/organizations.xlsx?region=110108").await;
    assert!(hd[2..]
        .iter()
        .all(|r| matches!(&r[5], Data::String(c) if c.starts_with("110108"))));
    // sites, one level
    let rows = sheet_rows(&t, &w.city, "/api/v1/sites.xlsx?level=center").await;
    assert!(rows.len() >= 4, "朝阳 and 海淀 centers: {rows:?}");
    assert!(rows[2..].iter().all(|r| r[1] == text("中心")), "{rows:?}");
    let bad = t.get("/api/v1/sites.xlsx?level=palace", Some(&w.city)).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.code(), "site_level_invalid");
    // projects and a shift's roster: the organizing team's export
    let start = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let end = (chrono::Utc::now() + chrono::Duration::days(2) + chrono::Duration::hours(2)).to_rfc3339();
    let r = t
        .post(
            "/api/v1/projects",
            Some(&w.team_a_admin),
            json!({"title": "社区敬老助餐", "category": "elderly_disabled", "organization_id": w.team_a,
                "address": "北京市朝阳区建外街道永安里", "person_in_charge": "王队长", "description": "送餐",
                "auto_approve": true, "publish": true,
                "shifts": [{"starts_at": start, "ends_at": end, "headcount": 5}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let shift = r.body["shifts"][0]["id"].as_i64().unwrap();
    let rows = sheet_rows(&t, &w.chaoyang, "/api/v1/projects.xlsx?region=110105&q=敬老").await;
    assert_eq!(rows.len(), 3, "title, header, the project: {rows:?}");
    assert_eq!(rows[2][1], text("社区敬老助餐"));
    assert_eq!(rows[2][11], Data::Float(1.0), "one shift");
    assert_eq!(rows[2][12], Data::Float(5.0), "five places");
    assert!(
        matches!(&rows[2][10], Data::DateTime(_)),
        "a real date: {:?}",
        rows[2][10]
    );
    let r = t
        .post(
            &format!("/api/v1/shifts/{shift}/sign-ups"),
            Some(&w.volunteer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let roster = format!("/api/v1/shifts/{shift}/roster.xlsx");
    let rows = sheet_rows(&t, &w.team_a_admin, &roster).await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[2][1], text("陈志愿"));
    assert_eq!(
        rows[2][2],
        text("137****0001"),
        "not (yet) a member of the team: the number is masked"
    );
    // once a member, the team's admin sees the number
    let j = t
        .post(
            &format!("/api/v1/organizations/{}/join-requests", w.team_a),
            Some(&w.volunteer),
            json!({}),
        )
        .await;
    assert_eq!(j.status, 201, "{}", j.body);
    let a = t
        .post(
            &format!("/api/v1/join-requests/{}/approve", j.body["id"]),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let rows = sheet_rows(&t, &w.team_a_admin, &roster).await;
    assert_eq!(rows[2][2], text("13700000001"));
    let other = t
        .http
        .get(t.url(&roster))
        .bearer_auth(&w.haidian)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403, "another district's office");
    // orders: the office's queue, the resident's phone masked
    let o = world::accepted_order(&t, &w).await;
    let rows = sheet_rows(&t, &w.jw_site_admin, "/api/v1/orders/queue.xlsx?status=accepted").await;
    let line = rows
        .iter()
        .find(|r| r[0] == text(&o.id.to_string()))
        .expect("the accepted order, its number as text");
    assert_eq!(line[10], text("138****8000"));
    let none = sheet_rows(&t, &w.jw_site_admin, "/api/v1/orders/queue.xlsx?status=rated").await;
    assert_eq!(none.len(), 2, "no rated order: title and header only");
    // the honor roll, hours as a number
    let r = t
        .post(
            "/api/v1/records/team-entry",
            Some(&w.chaoyang),
            json!({"organization_id": w.team_a, "project_id": null, "activity": "周末助老",
            "service_date": "2026-02-14", "place": "建外", "content": "陪伴", "person_in_charge": "张负责",
            "entries": [{"volunteer_id": w.v_a, "minutes": 90}], "category": "elderly_disabled"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let rows = sheet_rows(
        &t,
        &w.chaoyang,
        "/api/v1/honor-roll.xlsx?region=110105&from=2026-01-01&to=2026-12-31",
    )
    .await;
    assert_eq!(rows[2][0], Data::Float(1.0));
    assert_eq!(rows[2][1], text("王*国"), "masked without consent");
    assert_eq!(rows[2][3], Data::Float(1.5));
    // a volunteer exports none of it; every export is in the audit log
    for path in [
        "/api/v1/organizations.xlsx",
        "/api/v1/sites.xlsx",
        "/api/v1/projects.xlsx",
        "/api/v1/orders/queue.xlsx",
        "/api/v1/honor-roll.xlsx",
    ] {
        let r = t
            .http
            .get(t.url(path))
            .bearer_auth(&w.volunteer)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let log = t
        .get("/api/v1/audit?action=export.xlsx&per_page=100", Some(&w.city))
        .await;
    let titles: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["after"]["title"].as_str())
        .collect();
    for title in [
        "团队名录",
        "阵地名录",
        "志愿服务项目",
        "报名名单",
        "群众点单",
        "志愿服务光荣榜",
    ] {
        assert!(titles.contains(&title), "{title} in {titles:?}");
    }
}

/// The world with 陈志愿 in the sub-team 建外青年突击队 and three records: 90 minutes for the team
/// itself, 60 for its sub-team, 30 for 海淀's team.
async fn team_world(t: &TestApp) -> World {
    let w = world::build(t).await;
    // 陈志愿 joins the sub-team 建外青年突击队
    let j = t
        .post(
            &format!("/api/v1/organizations/{}/join-requests", w.team_a1),
            Some(&w.volunteer),
            json!({}),
        )
        .await;
    assert_eq!(j.status, 201, "{}", j.body);
    let a = t
        .post(
            &format!("/api/v1/join-requests/{}/approve", j.body["id"]),
            Some(&w.team_a_admin),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let entry = |token: &str, org: i64, vol: i64, date: &str, minutes: i64| {
        let body = json!({"organization_id": org, "project_id": null, "activity": "周末助老",
            "service_date": date, "place": "建外", "content": "陪伴", "person_in_charge": "张负责",
            "entries": [{"volunteer_id": vol, "minutes": minutes}], "category": "elderly_disabled"});
        let token = token.to_owned();
        async move {
            let r = t.post("/api/v1/records/team-entry", Some(&token), body).await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
    };
    entry(&w.chaoyang, w.team_a, w.v_a, "2026-02-14", 90).await;
    entry(&w.chaoyang, w.team_a1, w.v_self, "2026-03-01", 60).await;
    entry(&w.haidian, w.team_b, w.v_b, "2026-03-02", 30).await;
    w
}

async fn a_team_admin_sees_their_team_s_own_figures_and_nothing_else(t: TestApp) {
    let w = team_world(&t).await;
    let d = t.get("/api/v1/stats/team?year=2026", Some(&w.team_a_admin)).await;
    assert_eq!(d.status, 200, "{}", d.body);
    assert_eq!(d.body["team"]["id"], w.team_a);
    assert_eq!(d.body["members"], 2, "王建国 and 陈志愿: {}", d.body);
    assert_eq!(
        d.body["service"]["records"], 2,
        "海淀's record stays out: {}",
        d.body
    );
    assert_eq!(d.body["service"]["minutes"], 150);
    assert_eq!(d.body["service"]["active"], 2);
    let rows = d.body["by_team"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "the sub-team, then the team's own: {rows:?}");
    assert_eq!(rows[0]["id"], w.team_a1);
    assert_eq!(
        (
            rows[0]["members"].as_i64(),
            rows[0]["service"]["minutes"].as_i64()
        ),
        (Some(1), Some(60))
    );
    assert_eq!(rows[1]["own"], true);
    assert_eq!(
        (
            rows[1]["members"].as_i64(),
            rows[1]["service"]["minutes"].as_i64()
        ),
        (Some(1), Some(90))
    );
    let months = d.body["by_month"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert_eq!(months[1]["service"]["records"], 1);
    assert_eq!(months[2]["service"]["records"], 1);
    assert_eq!(d.body["by_category"][0]["service"]["records"], 2);
    // a sub-team's own dashboard; a period and category narrow it
    let sub = t
        .get(
            &format!("/api/v1/stats/team?team={}&month=2026-03", w.team_a1),
            Some(&w.team_a_admin),
        )
        .await;
    assert_eq!(sub.body["service"]["minutes"], 60, "{}", sub.body);
    assert_eq!(sub.body["trail"][0]["id"], w.team_a);
    let other = t
        .get(
            "/api/v1/stats/team?year=2026&category=education",
            Some(&w.team_a_admin),
        )
        .await;
    assert_eq!(other.body["service"]["records"], 0);
    // outside the scope: another team, a region; bad input: a 422 with the field
    for path in [
        format!("/api/v1/stats/team?team={}", w.team_b),
        "/api/v1/stats/team?region=110105000000".to_owned(),
    ] {
        assert_eq!(t.get(&path, Some(&w.team_a_admin)).await.status, 403, "{path}");
    }
    let bad = t
        .get(
            "/api/v1/stats/team?from=2026-03-01&to=2026-02-01",
            Some(&w.team_a_admin),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(
        t.get("/api/v1/stats/team", Some(&w.chaoyang)).await.status,
        403,
        "an office has its region's dashboard"
    );
    // the page: 统计 opens the team's dashboard, a sub-team's row opens its own
    let c = page_session(&t, "teama").await;
    let html = page_html(&c, &t, "/stats?year=2026").await;
    assert!(
        html.contains("队伍统计") && html.contains("建外邻里守望志愿服务队"),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"stat-num\" id=\"fig-records\">2</span>"),
        "{html}"
    );
    assert!(html.contains(&format!(
        "/stats?team={}&amp;from=2026-01-01&amp;to=2026-12-31",
        w.team_a1
    )));
    let r = c
        .get(t.url("/stats?from=2026-03-01&to=2026-02-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("结束日期早于开始日期") && html.contains("value=\"2026-03-01\""));
}

async fn a_team_admin_s_figures_open_the_records_and_volunteers_behind_them(t: TestApp) {
    let w = team_world(&t).await;
    let get = |path: String| {
        let t = &t;
        let token = w.team_a_admin.clone();
        async move { t.get(&path, Some(&token)).await }
    };
    let ids = |r: &Value| -> Vec<i64> {
        let mut v: Vec<i64> = r["page"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["volunteer_id"].as_i64().unwrap())
            .collect();
        v.sort_unstable();
        v
    };
    // the team and its sub-team: the dashboard's 2 records, 2.5 hours and 2 volunteers
    let all = get("/api/v1/stats/records?year=2026".into()).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(all.body["totals"]["records"], 2, "{}", all.body);
    assert_eq!(all.body["totals"]["hours"], "2.5");
    assert_eq!(ids(&all.body), {
        let mut v = vec![w.v_a, w.v_self];
        v.sort_unstable();
        v
    });
    let people = get("/api/v1/stats/active-volunteers?year=2026".into()).await;
    assert_eq!(people.status, 200, "{}", people.body);
    assert_eq!(people.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(people.body["items"][0]["volunteer_id"], w.v_a, "most hours first");
    // a sub-team's row, and the team's own (本级) row
    let sub = get(format!("/api/v1/stats/records?team={}&year=2026", w.team_a1)).await;
    assert_eq!(ids(&sub.body), vec![w.v_self], "{}", sub.body);
    let own = get(format!(
        "/api/v1/stats/records?team={}&only=true&year=2026",
        w.team_a
    ))
    .await;
    assert_eq!(ids(&own.body), vec![w.v_a], "{}", own.body);
    assert_eq!(own.body["totals"]["hours"], "1.5");
    // a period and a category narrow it
    let march = get("/api/v1/stats/records?month=2026-03".into()).await;
    assert_eq!(ids(&march.body), vec![w.v_self]);
    let none = get("/api/v1/stats/records?year=2026&category=education".into()).await;
    assert_eq!(none.body["totals"]["records"], 0);
    // outside the scope: another team's records, a region's
    for path in [
        format!("/api/v1/stats/records?team={}", w.team_b),
        format!("/api/v1/stats/active-volunteers?team={}", w.team_b),
        "/api/v1/stats/records?region=110105000000".to_owned(),
        format!("/api/v1/stats/records.xlsx?team={}", w.team_b),
    ] {
        assert_eq!(get(path.clone()).await.status, 403, "{path}");
    }
    // the export is the team's records
    let rows = sheet_rows(&t, &w.team_a_admin, "/api/v1/stats/records.xlsx?year=2026").await;
    let data: Vec<_> = rows
        .iter()
        .filter(|r| r.iter().any(|c| *c == calamine::Data::String("周末助老".into())))
        .collect();
    assert_eq!(data.len(), 2, "{rows:?}");
    // the page: each figure opens its list, the list its dashboard again (links read as a
    // browser reads them, entities decoded)
    let c = page_session(&t, "teama").await;
    let decoded = |html: String| html.replace("&#38;", "&").replace("&amp;", "&");
    let html = decoded(page_html(&c, &t, "/stats?year=2026").await);
    let q = format!("team={}&from=2026-01-01&to=2026-12-31", w.team_a);
    assert!(html.contains(&format!("href=\"/stats/records?{q}\"")), "{html}");
    assert!(html.contains(&format!("href=\"/stats/volunteers?{q}\"")));
    let own = format!(
        "/stats/records?team={}&only=true&from=2026-01-01&to=2026-12-31",
        w.team_a
    );
    assert!(
        html.contains(&format!("href=\"{own}\"")),
        "the 本级 row's records"
    );
    let list = decoded(page_html(&c, &t, &own).await);
    assert!(list.contains("<strong id=\"list-records\">1</strong>"), "{list}");
    assert!(list.contains("（本级）"));
    assert!(
        list.contains(&format!("href=\"/stats?{q}\"")),
        "back to the team's dashboard: {list}"
    );
    let people = page_html(&c, &t, &format!("/stats/volunteers?{q}")).await;
    assert!(
        people.contains("<strong id=\"list-active\">2</strong>") && people.contains("王建国"),
        "{people}"
    );
}

both_backends!(
    a_team_admin_s_figures_open_the_records_and_volunteers_behind_them,
    exports_read_back_with_text_ids_and_real_dates_and_are_audited,
    the_roster_and_the_audit_log_export_with_ids_and_phones_masked_as_the_rules_say,
    every_list_exports_with_its_filter_codes_as_text_and_phones_masked,
    a_team_admin_sees_their_team_s_own_figures_and_nothing_else,
);
