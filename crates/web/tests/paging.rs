//! Keyset (seek) pagination over real HTTP, on SQLite and PostgreSQL: the volunteers, a
//! volunteer's records, the office's queue, the resident's orders and the offers for a
//! volunteer are read page by page with rows inserted between pages, and every row is seen
//! exactly once, in list order; `prev_cursor` walks back over the same pages; a cursor the
//! list did not hand out is a 400 `cursor_invalid` (a Chinese error on the pages).

mod support;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use support::app::{page_session, spawn_app, Db, TestApp};
use support::world::{self, volunteer_body, World};

const PLACE: &str = "110105001001";

fn ids_of(body: &Value, pointer: &str) -> Vec<i64> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {body}"))
        .iter()
        .map(|x| x.pointer(pointer).and_then(Value::as_i64).expect("id"))
        .collect()
}

fn cursor(body: &Value, which: &str) -> Option<String> {
    body[which].as_str().map(str::to_owned)
}

fn with(path: &str, k: &str, v: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{k}={v}")
}

/// Every row of a list in one page (the reference order).
async fn all(t: &TestApp, path: &str, token: &str, pointer: &str) -> Vec<i64> {
    let r = t.get(&with(path, "per_page", "200"), Some(token)).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    assert!(r.body["next_cursor"].is_null(), "fits one page");
    ids_of(&r.body, pointer)
}

/// Walks a list `per_page` rows at a time, calling `insert` after each page; checks that every
/// row there was before the walk is seen exactly once and that what was seen is in the order of
/// the list as it is afterwards. Then walks back from the last page with `prev_cursor` and
/// checks it sees the same pages. Returns the ids seen.
async fn walk<F, Fut>(t: &TestApp, path: &str, token: &str, pointer: &str, mut insert: F) -> Vec<i64>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let before = all(t, path, token, pointer).await;
    assert!(before.len() > 3, "more than one page: {before:?}");
    let first = with(path, "per_page", "3");
    let mut pages: Vec<(Vec<i64>, Option<String>)> = Vec::new();
    let mut url = first.clone();
    loop {
        let r = t.get(&url, Some(token)).await;
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        assert_eq!(r.body["per_page"], 3);
        let ids = ids_of(&r.body, pointer);
        assert!(ids.len() <= 3);
        if pages.is_empty() {
            assert!(r.body["prev_cursor"].is_null(), "the first page has no previous");
        }
        pages.push((ids, cursor(&r.body, "prev_cursor")));
        insert(pages.len()).await;
        match cursor(&r.body, "next_cursor") {
            Some(c) => url = with(&first, "after", &c),
            None => break,
        }
        assert!(pages.len() < 50, "the walk ends");
    }
    let seen: Vec<i64> = pages.iter().flat_map(|p| p.0.clone()).collect();
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no row twice: {seen:?}");
    for id in &before {
        assert!(seen.contains(id), "{id} seen: {seen:?} (before: {before:?})");
    }
    let after = all(t, path, token, pointer).await;
    let order: Vec<i64> = after.iter().copied().filter(|id| seen.contains(id)).collect();
    assert_eq!(seen, order, "in list order");
    // back from the last page with `prev_cursor`: every row before it, now, exactly once
    let last_first = pages.last().unwrap().0[0];
    let pos = after.iter().position(|x| *x == last_first).unwrap();
    let mut back: Vec<i64> = Vec::new();
    let mut prev = pages.last().unwrap().1.clone();
    while let Some(c) = prev {
        let r = t.get(&with(&first, "before", &c), Some(token)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let mut got = ids_of(&r.body, pointer);
        assert!(got.len() <= 3 && !got.is_empty());
        got.extend(back);
        back = got;
        prev = cursor(&r.body, "prev_cursor");
        assert!(back.len() < 200, "the walk back ends");
    }
    assert_eq!(back, after[..pos], "back to the first page");
    seen
}

async fn bad_cursor(t: &TestApp, path: &str, token: &str) {
    for c in ["x", "1.2.3", "%20-1", "99999999999999999999999"] {
        let r = t.get(&with(path, "after", c), Some(token)).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (400, "cursor_invalid"),
            "{path} after={c}: {}",
            r.body
        );
        assert!(!r.message().is_empty());
    }
    let r = t
        .get(&format!("{}&before=1", with(path, "after", "1")), Some(token))
        .await;
    assert_eq!(r.code(), "cursor_invalid", "{}", r.body);
}

async fn volunteers_page_by_id(t: TestApp) {
    let w = world::build(&t).await;
    let add = |i: usize| {
        let t = &t;
        let w = &w;
        async move {
            let c: Vec<char> = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥".chars().collect();
            let name = format!("翻页{}{}", c[i / c.len() % c.len()], c[i % c.len()]);
            let body = volunteer_body(&name, "110105001001", None);
            world::created(t, "/api/v1/volunteers", &w.chaoyang, body).await;
        }
    };
    for i in 0..7 {
        add(100 + i).await;
    }
    let path = "/api/v1/volunteers?q=%E7%BF%BB%E9%A1%B5";
    let seen = walk(&t, path, &w.chaoyang, "/id", add).await;
    assert!(seen.windows(2).all(|p| p[0] > p[1]), "newest first: {seen:?}");
    bad_cursor(&t, path, &w.chaoyang).await;
    bad_cursor(&t, "/api/v1/volunteers?q=x", &w.chaoyang).await;
    // the page says so in Chinese
    let c = page_session(&t, "chaoyang").await;
    let r = c.get(t.url("/volunteers?after=junk")).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("分页位置无效"), "{html}");
    // and links the next page by its cursor (20 a page), which links back
    for i in 0..12 {
        add(200 + i).await;
    }
    let get = |url: String| {
        let c = &c;
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let html = get(t.url("/volunteers?q=翻页")).await;
    let next = html
        .split("href=\"")
        .filter_map(|x| x.split_once('"'))
        .find(|(_, rest)| rest.starts_with(" rel=\"next\""))
        .map(|(u, _)| u.replace("&#38;", "&").replace("&amp;", "&"))
        .unwrap_or_else(|| panic!("a next link: {html}"));
    assert!(next.contains("after="), "{next}");
    let html = get(t.url(&next)).await;
    assert!(
        html.contains("rel=\"prev\"") && html.contains("before="),
        "{html}"
    );
    assert!(html.contains("回到第一页"));
}

async fn records_page_by_date(t: TestApp) {
    let w = world::build(&t).await;
    let today = Utc::now().date_naive();
    let enter = |days_ago: i64| {
        let t = &t;
        let w = &w;
        async move {
            let date = (today - Duration::days(days_ago)).format("%Y-%m-%d").to_string();
            let r = t
                .post(
                    "/api/v1/records/team-entry",
                    Some(&w.team_a_admin),
                    json!({"organization_id": w.team_a, "activity": "社区服务", "service_date": date,
                           "place": "建外", "content": "引导", "person_in_charge": "王队长",
                           "entries": [{"volunteer_id": w.v_a, "minutes": 60}]}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
        }
    };
    // two on some days: the id breaks the tie
    for d in [1, 2, 2, 3, 5, 5, 8] {
        enter(d).await;
    }
    let path = format!("/api/v1/volunteers/{}/records", w.v_a);
    // between pages: one record on a later day than any, one on a day already passed
    let seen = walk(&t, &path, &w.team_a_admin, "/id", |n| enter([0, 4, 9, 2][n % 4])).await;
    assert!(seen.len() >= 7);
    let r = t
        .get(&with(&path, "per_page", "200"), Some(&w.team_a_admin))
        .await;
    let dates: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["service_date"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|p| p[0] >= p[1]), "latest first: {dates:?}");
    bad_cursor(&t, &path, &w.team_a_admin).await;
    // an id-only cursor is not a cursor of this list
    let r = t.get(&with(&path, "after", "5"), Some(&w.team_a_admin)).await;
    assert_eq!(r.code(), "cursor_invalid");
}

async fn item(t: &TestApp) -> i64 {
    let r = t.get(&format!("/api/v1/menu?region_code={PLACE}"), None).await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "助老陪伴")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn order(t: &TestApp, w: &World, it: i64, hours: i64) -> i64 {
    let at = |h: i64| (Utc::now() + Duration::hours(h)).to_rfc3339();
    let body = json!({"item_id": it, "region_code": PLACE, "address": "建外测试社区3号楼", "window_start": at(hours),
                      "window_end": at(hours + 2), "people": 1, "contact_name": "张大妈",
                      "contact_phone": "13800138000"});
    let r = t.post("/api/v1/orders", Some(&w.resident), body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

async fn dispatch(t: &TestApp, w: &World, id: i64) {
    let r = t
        .post(
            &format!("/api/v1/orders/{id}/dispatch"),
            Some(&w.jw_site_admin),
            json!({"target": "volunteers", "volunteer_ids": [w.v_self]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn orders_page_by_window_and_id(t: TestApp) {
    let w = world::build(&t).await;
    let it = item(&t).await;
    // windows out of id order, two at the same hour
    for h in [30, 5, 50, 5, 20, 40, 10] {
        order(&t, &w, it, h).await;
    }
    // the queue: earliest window first; orders placed meanwhile land before and after the cursor
    let seen = walk(&t, "/api/v1/orders/queue", &w.jw_site_admin, "/id", |n| {
        let (t, w) = (&t, &w);
        async move {
            order(t, w, it, [1, 60, 25][n % 3]).await;
        }
    })
    .await;
    assert!(seen.len() >= 7);
    bad_cursor(&t, "/api/v1/orders/queue", &w.jw_site_admin).await;
    bad_cursor(&t, "/api/v1/orders/queue?status=submitted", &w.jw_site_admin).await;

    // the resident's own orders: newest first
    let seen = walk(&t, "/api/v1/orders/mine", &w.resident, "/id", |_| {
        let (t, w) = (&t, &w);
        async move {
            order(t, w, it, 3).await;
        }
    })
    .await;
    assert!(seen.windows(2).all(|p| p[0] > p[1]), "{seen:?}");
    bad_cursor(&t, "/api/v1/orders/mine", &w.resident).await;

    // the offers for a volunteer: dispatch some, decline one so that live ones come first
    let mine = all(&t, "/api/v1/orders/mine", &w.resident, "/id").await;
    for id in &mine[..7] {
        dispatch(&t, &w, *id).await;
    }
    let r = t
        .get("/api/v1/orders/for-me?per_page=200", Some(&w.volunteer))
        .await;
    let declined = r.body["items"][4]["offer"]["id"].as_i64().unwrap();
    let d = t
        .post(
            &format!("/api/v1/order-offers/{declined}/decline"),
            Some(&w.volunteer),
            json!({"reason": "没空"}),
        )
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    let mut more = mine[7..].to_vec();
    let seen = walk(&t, "/api/v1/orders/for-me", &w.volunteer, "/offer/id", |_| {
        let next = more.pop();
        let (t, w) = (&t, &w);
        async move {
            if let Some(id) = next {
                dispatch(t, w, id).await;
            }
        }
    })
    .await;
    assert_eq!(
        seen.last(),
        Some(&declined),
        "the declined offer comes after the live ones"
    );
    bad_cursor(&t, "/api/v1/orders/for-me", &w.volunteer).await;

    // the pages link the next page by its cursor, and refuse junk in Chinese
    let c = page_session(&t, "jwsite").await;
    let r = c
        .get(t.url("/orders/queue?status=all&after=junk"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("分页位置无效"));
    let c = page_session(&t, "resident").await;
    let html = c
        .get(t.url("/orders/mine"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("rel=\"next\""), "fewer than a page: no pager");
}

/// The audit log pages by entry id, newest first: every registration the walk makes is a new
/// entry, and none is seen twice or skipped; the page links its neighbours.
async fn audit_log_pages_by_id(t: TestApp) {
    let w = world::build(&t).await;
    let add = |i: usize| {
        let t = &t;
        let w = &w;
        async move {
            let c: Vec<char> = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥".chars().collect();
            let name = format!("审计{}{}", c[i / c.len() % c.len()], c[i % c.len()]);
            let body = volunteer_body(&name, PLACE, None);
            world::created(t, "/api/v1/volunteers", &w.chaoyang, body).await;
        }
    };
    for i in 0..7 {
        add(300 + i).await;
    }
    let path = "/api/v1/audit?action=volunteer.register";
    let seen = walk(&t, path, &w.chaoyang, "/id", add).await;
    assert!(seen.windows(2).all(|p| p[0] > p[1]), "newest first: {seen:?}");
    bad_cursor(&t, path, &w.chaoyang).await;
    let c = page_session(&t, "chaoyang").await;
    for i in 0..30 {
        add(400 + i).await;
    }
    let html = c
        .get(t.url("/audit?action=volunteer.register"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("rel=\"next\"") && html.contains("after="),
        "30 a page, so a next link: {html}"
    );
}

both_backends!(
    audit_log_pages_by_id,
    volunteers_page_by_id,
    records_page_by_date,
    orders_page_by_window_and_id,
);
