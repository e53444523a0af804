//! Event tallies (活动统计, issue #10 §4): an office defines an event with posts and metrics,
//! post leaders enter each day's tally; a retried submission counts once; correcting a day
//! replaces it with a trail; totals equal the sum of the current daily entries; bad input is a
//! clear 4xx and writes nothing.

mod support;

use serde_json::{json, Value};
use support::app::{page_session, spawn_app, Db, TestApp};
use support::world::{self, World};

async fn spring_event(t: &TestApp, w: &World) -> Value {
    let r = t
        .post(
            "/api/v1/events",
            Some(&w.chaoyang),
            json!({"name": "2026 年春运公共文明引导", "starts_on": "2026-01-10", "ends_on": "2026-02-18",
                   "posts": [{"name": "北京站", "region_code": "110105001000", "leader": "teama"}, {"name": "朝阳站"}],
                   "metrics": [{"name": "照顾老幼病残孕乘客", "unit": "人次"}, {"name": "捡拾物品", "unit": "件"}, {"name": "帮助寻人", "unit": "次"}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

fn ids(e: &Value) -> (i64, Vec<i64>, Vec<i64>) {
    let id = e["id"].as_i64().unwrap();
    let posts = e["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    let metrics = e["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    (id, posts, metrics)
}

fn tally(post: i64, day: &str, metrics: &[i64], values: &[i64], guides: i64, minutes: i64) -> Value {
    json!({"post_id": post, "day": day, "guides": guides, "guide_minutes": minutes,
           "values": metrics.iter().zip(values).map(|(m, v)| json!({"metric_id": m, "value": v})).collect::<Vec<_>>()})
}

async fn an_office_defines_an_event_and_bad_definitions_say_every_problem(t: TestApp) {
    let w = world::build(&t).await;
    let e = spring_event(&t, &w).await;
    assert_eq!(e["region_code"], "110105000000");
    assert_eq!(e["metrics"][0]["unit"], "人次");
    assert_eq!(e["posts"][0]["leader_name"], "teama");
    let r = t
        .post(
            "/api/v1/events",
            Some(&w.chaoyang),
            json!({"name": " ", "starts_on": "2026-03-01", "ends_on": "2026-02-01",
                   "posts": [{"name": "海淀站", "region_code": "110108001000"}, {"name": "某站", "leader": "nobody"}], "metrics": []}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let codes: Vec<&str> = r.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for c in [
        "name_invalid",
        "period_invalid",
        "metrics_invalid",
        "post_region_invalid",
        "leader_unknown",
    ] {
        assert!(codes.contains(&c), "{c} in {codes:?}");
    }
    // an office cannot organize outside its region; a team admin has no region to organize in
    let r = t
        .post(
            "/api/v1/events",
            Some(&w.chaoyang),
            json!({"name": "x", "starts_on": "2026-01-01", "ends_on": "2026-01-02",
        "region_code": "110108000000", "posts": [{"name": "a"}], "metrics": [{"name": "b", "unit": "次"}]}),
        )
        .await;
    assert_eq!(r.status, 403);
    let r = t
        .post(
            "/api/v1/events",
            Some(&w.team_a_admin),
            json!({"name": "x", "starts_on": "2026-01-01", "ends_on": "2026-01-02",
        "posts": [{"name": "a"}], "metrics": [{"name": "b", "unit": "次"}]}),
        )
        .await;
    assert_eq!(r.status, 403);
    // the other district's office does not see it; the post leader does
    let id = e["id"].as_i64().unwrap();
    assert_eq!(
        t.get(&format!("/api/v1/events/{id}"), Some(&w.haidian))
            .await
            .status,
        403
    );
    let led = t
        .get(&format!("/api/v1/events/{id}"), Some(&w.team_a_admin))
        .await;
    assert_eq!(led.status, 200);
    assert_eq!(led.body["posts"][0]["can_enter"], true);
    assert_eq!(
        led.body["posts"][1]["can_enter"], false,
        "not the leader of 朝阳站"
    );
    let list = t.get("/api/v1/events", Some(&w.team_a_admin)).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
}

async fn tallies_count_once_correct_with_a_trail_and_refuse_bad_input(t: TestApp) {
    let w = world::build(&t).await;
    let (id, posts, m) = ids(&spring_event(&t, &w).await);
    let path = format!("/api/v1/events/{id}/tallies");
    let first = tally(posts[0], "2026-01-20", &m, &[120, 3, 1], 12, 12 * 8 * 60);
    let a = t
        .post_keyed(&path, Some(&w.team_a_admin), "k-0120-1", first.clone())
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    // the same submission retried (a dropped connection): counted once
    let b = t
        .post_keyed(&path, Some(&w.team_a_admin), "k-0120-1", first.clone())
        .await;
    assert_eq!((b.status.as_u16(), &b.body["id"]), (201, &a.body["id"]));
    let e = t
        .get(&format!("/api/v1/events/{id}"), Some(&w.chaoyang))
        .await
        .body;
    assert_eq!(e["metrics"][0]["total"], 120);
    assert_eq!(e["totals"]["guides"], 12);
    assert_eq!(e["totals"]["guide_hours"], "96.0");
    // a correction of the day replaces it; the first entry stays in the trail
    let c = t
        .post(
            &path,
            Some(&w.team_a_admin),
            tally(posts[0], "2026-01-20", &m, &[100, 3, 2], 10, 10 * 8 * 60),
        )
        .await;
    assert_eq!(c.status, 201, "{}", c.body);
    assert_eq!(c.body["version"], 2);
    let e = t
        .get(&format!("/api/v1/events/{id}"), Some(&w.chaoyang))
        .await
        .body;
    assert_eq!(
        (
            e["metrics"][0]["total"].as_i64(),
            e["metrics"][2]["total"].as_i64()
        ),
        (Some(100), Some(2))
    );
    let trail = t
        .get(
            &format!("{path}?post_id={}&day=2026-01-20", posts[0]),
            Some(&w.chaoyang),
        )
        .await;
    let versions: Vec<i64> = trail
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![1, 2]);
    assert_eq!(trail.body[0]["values"], json!([120, 3, 1]));
    // bad input: a clear 4xx with its code, nothing written
    let bad = |body: Value| {
        let (t, path, tok) = (&t, path.clone(), w.chaoyang.clone());
        async move { t.post(&path, Some(&tok), body).await }
    };
    let r = bad(tally(posts[1], "2026-02-19", &m, &[1, 1, 1], 1, 60)).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (422, "day_outside_event"),
        "{}",
        r.body
    );
    assert!(r.message().contains("2026-01-10 至 2026-02-18"));
    let r = bad(tally(posts[1], "2026-01-21", &m, &[-5, 0, 0], 1, 60)).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "count_invalid"));
    let r = bad(tally(posts[1], "2026-01-21", &[m[0], 999_999], &[1, 1], 1, 60)).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "metric_not_in_event"));
    let r = bad(tally(999_999, "2026-01-21", &m, &[1, 1, 1], 1, 60)).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "post_not_in_event"));
    let r = bad(tally(posts[1], "2026-01-21", &m, &[1, 1, 1], 2, 49 * 60)).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "guide_hours_invalid"));
    // the leader of 北京站 cannot enter 朝阳站's numbers
    let r = t
        .post(
            &path,
            Some(&w.team_a_admin),
            tally(posts[1], "2026-01-21", &m, &[1, 1, 1], 1, 60),
        )
        .await;
    assert_eq!(r.status, 403);
    let e = t
        .get(&format!("/api/v1/events/{id}"), Some(&w.chaoyang))
        .await
        .body;
    assert_eq!(
        e["days"].as_array().unwrap().len(),
        1,
        "nothing half-written: {}",
        e["days"]
    );
    // the tallies are in the audit log
    let log = t.get("/api/v1/audit?action=event.tally", Some(&w.chaoyang)).await;
    assert_eq!(log.body["items"].as_array().unwrap().len(), 2);
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

async fn totals_equal_the_sum_of_the_current_daily_entries(t: TestApp) {
    let w = world::build(&t).await;
    let (id, posts, m) = ids(&spring_event(&t, &w).await);
    let path = format!("/api/v1/events/{id}/tallies");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    // the reference: the latest values of every (post, day)
    let mut current: std::collections::HashMap<(i64, String), (Vec<i64>, i64, i64)> = Default::default();
    for _ in 0..40 {
        let post = posts[rng.below(2) as usize];
        let day = format!("2026-01-{:02}", 10 + rng.below(6));
        let values: Vec<i64> = (0..3).map(|_| rng.below(50) as i64).collect();
        let guides = rng.below(10) as i64;
        let minutes = guides * rng.below(8 * 60) as i64;
        let r = t
            .post(
                &path,
                Some(&w.chaoyang),
                tally(post, &day, &m, &values, guides, minutes),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        current.insert((post, day), (values, guides, minutes));
    }
    let e = t
        .get(&format!("/api/v1/events/{id}"), Some(&w.chaoyang))
        .await
        .body;
    for (i, metric) in e["metrics"].as_array().unwrap().iter().enumerate() {
        let want: i64 = current.values().map(|(v, _, _)| v[i]).sum();
        assert_eq!(metric["total"].as_i64().unwrap(), want, "metric {i}");
        let by_post: i64 = e["posts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["totals"]["values"][i].as_i64().unwrap())
            .sum();
        let by_day: i64 = e["days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["totals"]["values"][i].as_i64().unwrap())
            .sum();
        assert_eq!((by_post, by_day), (want, want));
    }
    assert_eq!(
        e["totals"]["guides"].as_i64().unwrap(),
        current.values().map(|(_, g, _)| g).sum::<i64>()
    );
    assert_eq!(
        e["totals"]["guide_minutes"].as_i64().unwrap(),
        current.values().map(|(_, _, m)| m).sum::<i64>()
    );
    assert_eq!(e["totals"]["entries"].as_u64().unwrap() as usize, current.len());
    let mut conn = t.app.store.read().await.unwrap();
    let direct = zhiyuan_store::events::direct_totals(&mut conn, id).await.unwrap();
    for (mid, total) in direct {
        let i = m.iter().position(|x| *x == mid).unwrap();
        assert_eq!(e["metrics"][i]["total"].as_i64().unwrap(), total);
    }
}

async fn the_phone_form_counts_a_double_tap_once(t: TestApp) {
    let w = world::build(&t).await;
    let (id, posts, m) = ids(&spring_event(&t, &w).await);
    let c = page_session(&t, "teama").await;
    let html = c
        .get(t.url(&format!("/events/{id}/tally?day=2026-01-12")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("照顾老幼病残孕乘客（人次）") && html.contains("id=\"tally-form\""),
        "{html}"
    );
    assert!(!html.contains("朝阳站"), "only the posts the leader may enter");
    let key = html
        .split("name=\"form_key\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let form = [
        ("form_key", key.as_str()),
        ("post_id", &posts[0].to_string()),
        ("day", "2026-01-12"),
        (&format!("m{}", m[0]), "35"),
        (&format!("m{}", m[1]), ""),
        (&format!("m{}", m[2]), "2"),
        ("guides", "6"),
        ("hours", "24.5"),
        ("note", ""),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect::<Vec<_>>();
    for _ in 0..2 {
        let r = c
            .post(t.url(&format!("/events/{id}/tally")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], format!("/events/{id}?done=entered"));
    }
    let e = t
        .get(&format!("/api/v1/events/{id}"), Some(&w.chaoyang))
        .await
        .body;
    assert_eq!(e["metrics"][0]["total"], 35);
    assert_eq!(e["totals"]["entries"], 1);
    assert_eq!(e["totals"]["guide_minutes"], 1470);
    // a refused day keeps what was typed, beside the field
    let mut bad = form.clone();
    bad[0].1 = "another-key-0000000000000000".into();
    bad[2].1 = "2026-03-01".into();
    let r = c
        .post(t.url(&format!("/events/{id}/tally")))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("日期不在活动期间") && html.contains("value=\"35\""),
        "{html}"
    );
    // opening the day again shows the entry to correct
    let html = c
        .get(t.url(&format!("/events/{id}/tally?post={}&day=2026-01-12", posts[0])))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"correcting\"") && html.contains("value=\"35\""));
}

both_backends!(
    an_office_defines_an_event_and_bad_definitions_say_every_problem,
    tallies_count_once_correct_with_a_trail_and_refuse_bad_input,
    totals_equal_the_sum_of_the_current_daily_entries,
    the_phone_form_counts_a_double_tap_once,
);
