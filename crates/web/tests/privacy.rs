//! Privacy of resident IDs (issue #8 §4): nothing an administrator can read, and nothing the
//! database holds in clear, gives a volunteer's resident ID back — neither directly nor by
//! combining the mask with the birth date shown or stored beside it.

mod support;

use chrono::{Datelike, NaiveDate};
use serde_json::json;
use support::app::{spawn_app, Db, TestApp};
use support::world::{self, created};
use zhiyuan_domain::people::resident_id::{check_char, ResidentId};

/// Volunteers registered with known numbers: issued in the county they live in (the worst case:
/// the residence shown gives the region of issue away) and born on dates that are not the 1st.
fn known_people() -> Vec<(&'static str, String)> {
    let ids = [
        ("周晓梅", "110105", (1985, 7, 23), 128u16),
        ("吴国强", "110105", (1949, 12, 31), 3),
        ("郑丽", "110105", (2001, 2, 14), 996),
    ];
    ids.iter()
        .map(|(name, region, (y, m, d), seq)| {
            let birth = NaiveDate::from_ymd_opt(*y, *m, *d).unwrap();
            (
                *name,
                ResidentId::compose(region, birth, *seq)
                    .unwrap()
                    .as_str()
                    .to_owned(),
            )
        })
        .collect()
}

async fn session(t: &TestApp, user: &str) -> reqwest::Client {
    support::app::page_session(t, user).await
}

async fn page(c: &reqwest::Client, t: &TestApp, path: &str) -> String {
    let r = c.get(t.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {path}");
    r.text().await.unwrap()
}

/// Every way the birth date could be written.
fn date_forms(d: NaiveDate) -> Vec<String> {
    vec![
        d.format("%Y%m%d").to_string(),
        d.format("%Y-%m-%d").to_string(),
        d.format("%Y/%m/%d").to_string(),
        d.format("%Y.%m.%d").to_string(),
        d.format("%Y年%-m月%-d日").to_string(),
        d.format("%Y-%-m-%-d").to_string(),
    ]
}

/// Every masked-looking run (digits, then `*`, then digits or X) in `text`: (shown prefix,
/// stars, shown suffix).
fn masks_in(text: &str) -> Vec<(String, usize, String)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'*' {
            let mut s = i;
            while s > 0 && b[s - 1].is_ascii_digit() {
                s -= 1;
            }
            let mut e = i;
            while e < b.len() && b[e] == b'*' {
                e += 1;
            }
            let stars = e - i;
            let mut f = e;
            while f < b.len() && (b[f].is_ascii_digit() || b[f] == b'X' || b[f] == b'x') {
                f += 1;
            }
            // resident-ID masks (a phone mask, 138****1234, has four stars)
            if e - i >= 6 && f - e >= 4 {
                out.push((text[s..i].to_owned(), stars, text[e..f].to_owned()));
            }
            i = f.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// The resident IDs an attacker could still hold possible for `id` knowing the shown prefix
/// and suffix, the birth year and (worst case) the region of issue: every day of the year
/// whose check character fits.
fn candidates(id: &str, region6: &str, year: i32) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    while d.year() == year {
        let first17 = format!("{region6}{}{}", d.format("%Y%m%d"), &id[14..17]);
        if check_char(&first17) == id[17..].chars().next() {
            out.push(format!("{first17}{}", &id[17..]));
        }
        d = d.succ_opt().unwrap();
    }
    out
}

/// Asserts that `text` (everything one reader saw) does not give any of `people` back.
fn assert_no_leak(reader: &str, text: &str, people: &[(&str, String)], expect_masks: bool) {
    for (name, id) in people {
        let rid = ResidentId::parse(id, chrono::Utc::now().date_naive()).unwrap();
        assert!(
            !text.contains(id.as_str()) && !text.contains(&id.to_ascii_lowercase()),
            "{reader} reads {name}'s full resident ID"
        );
        for form in date_forms(rid.birth_date()) {
            assert!(
                !text.contains(&form),
                "{reader} reads {name}'s birth date as {form}"
            );
        }
        // no 8 consecutive characters of the number (the mask shows 3 + 4)
        for w in 0..=10 {
            assert!(
                !text.contains(&id[w..w + 8]),
                "{reader} reads {name}'s digits {w}..{}",
                w + 8
            );
        }
        // the attacker's best case still leaves dozens of numbers (check digit fits ~1 day in 11)
        let c = candidates(id, rid.region6(), rid.birth_year());
        assert!(c.contains(id), "sanity: the real number is a candidate");
        assert!(c.len() >= 10, "{name}: only {} candidates", c.len());
    }
    let masks = masks_in(text);
    assert!(!expect_masks || !masks.is_empty(), "{reader} sees masked numbers");
    for (pre, stars, suf) in masks {
        assert_eq!(
            (pre.len(), stars, suf.len()),
            (3, 11, 4),
            "{reader}: a mask shows {pre}/{stars}/{suf}"
        );
    }
}

async fn nothing_an_admin_reads_gives_a_resident_id_back(t: TestApp) {
    let w = world::build(&t).await;
    let people = known_people();
    let mut ids = Vec::new();
    for (name, rid) in &people {
        let body = json!({
            "name": name, "resident_id": rid, "phone": "13912345678", "region_code": "110105001000",
            "skills": ["急救"], "categories": ["敬老助残"], "availability": "工作日 18-21",
            "team_id": w.team_a,
        });
        ids.push(created(&t, "/api/v1/volunteers", &w.team_a_admin, body).await);
    }
    let mut all = people.clone();
    all.push(("陈志愿", w.v_self_id.clone()));
    for (user, token) in [
        ("city", &w.city),
        ("chaoyang", &w.chaoyang),
        ("teama", &w.team_a_admin),
    ] {
        let mut seen = String::new();
        let list = t.get("/api/v1/volunteers?per_page=200", Some(token)).await;
        assert_eq!(list.status, 200);
        seen.push_str(&list.body.to_string());
        for v in list.body["items"].as_array().unwrap() {
            let id = v["id"].as_i64().unwrap();
            let one = t.get(&format!("/api/v1/volunteers/{id}"), Some(token)).await;
            assert_eq!(one.status, 200);
            assert!(one.body.get("birth_date").is_none(), "{user}: {}", one.body);
            assert!(one.body["birth_year"].as_i64().unwrap() > 1900);
            seen.push_str(&one.body.to_string());
        }
        for id in &ids {
            seen.push_str(
                &t.get(&format!("/api/v1/volunteers/{id}"), Some(token))
                    .await
                    .body
                    .to_string(),
            );
        }
        let audit = t.get("/api/v1/audit?per_page=200", Some(token)).await;
        assert_eq!(audit.status, 200, "{user} reads the audit log");
        assert!(audit.body.to_string().contains("volunteer.register"));
        seen.push_str(&audit.body.to_string());
        let members = t
            .get(
                &format!("/api/v1/organizations/{}/memberships", w.team_a),
                Some(token),
            )
            .await;
        seen.push_str(&members.body.to_string());

        let c = session(&t, user).await;
        seen.push_str(&page(&c, &t, "/volunteers").await);
        for id in &ids {
            seen.push_str(&page(&c, &t, &format!("/volunteers/{id}")).await);
        }
        seen.push_str(&page(&c, &t, "/audit").await);
        seen.push_str(&page(&c, &t, &format!("/orgs/{}", w.team_a)).await);
        // JSON escapes nothing here, but pages may write `*` as an entity
        let seen = seen.replace("&#42;", "*").replace("&#x2a;", "*");
        assert_no_leak(user, &seen, &all, true);
    }
    // the holder still sees their own number and birth date
    let me = t.get("/api/v1/me", Some(&w.volunteer)).await;
    assert_eq!(me.body["volunteer"]["resident_id"], w.v_self_id.as_str());
    assert!(me.body["volunteer"]["birth_date"].is_string());
}

/// Every table's every column as text, read without the secret key.
async fn raw_rows(t: &TestApp) -> Vec<(String, String, String)> {
    let mut c = t.app.store.read().await.unwrap();
    let tables: Vec<(String,)> = match t.db {
        Db::Sqlite => {
            sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        }
        Db::Postgres => sqlx::query_as(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
        ),
    }
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let mut out = Vec::new();
    for (table,) in tables {
        // public reference codes (GB/T 2260 regions, whose zero runs can match a number's digits
        // by chance) and sqlx's own bookkeeping hold no personal data
        if table == "regions" || table.starts_with("_sqlx") {
            continue;
        }
        let cols: Vec<(String,)> = match t.db {
            Db::Sqlite => sqlx::query_as("SELECT name FROM pragma_table_info($1)").bind(&table),
            Db::Postgres => sqlx::query_as(
                "SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
            )
            .bind(&table),
        }
        .fetch_all(&mut *c)
        .await
        .unwrap();
        for (col,) in cols {
            let expr = match t.db {
                Db::Sqlite => format!(
                    "CASE WHEN typeof(\"{col}\") = 'blob' THEN hex(\"{col}\") ELSE CAST(\"{col}\" AS TEXT) END"
                ),
                Db::Postgres => format!("CAST(\"{col}\" AS TEXT)"),
            };
            let values: Vec<(Option<String>,)> = sqlx::query_as(&format!("SELECT {expr} FROM \"{table}\""))
                .fetch_all(&mut *c)
                .await
                .unwrap();
            for (v,) in values.into_iter() {
                if let Some(v) = v {
                    out.push((table.clone(), col.clone(), v));
                }
            }
        }
    }
    out
}

async fn the_database_holds_no_birth_date_or_id_in_clear(t: TestApp) {
    let w = world::build(&t).await;
    let people = known_people();
    for (name, rid) in &people {
        let body = json!({
            "name": name, "resident_id": rid, "phone": "13912345678", "region_code": "110105001000",
            "team_id": w.team_a,
        });
        created(&t, "/api/v1/volunteers", &w.team_a_admin, body).await;
    }
    let mut all = people.clone();
    all.push(("陈志愿", w.v_self_id.clone()));
    let rows = raw_rows(&t).await;
    assert!(rows
        .iter()
        .any(|(t, c, _)| t == "volunteers" && c == "birth_year"));
    assert!(
        !rows
            .iter()
            .any(|(t, c, _)| t == "volunteers" && c == "birth_date"),
        "no birth date column"
    );
    for (table, col, v) in &rows {
        assert_no_leak(&format!("{table}.{col}"), v, &all, false);
    }
    // the masks stored are 3 + 4
    let masks: Vec<_> = rows
        .iter()
        .filter(|(t, c, _)| t == "volunteers" && c == "id_masked")
        .collect();
    assert_eq!(masks.len(), all.len() + 3);
    for (_, _, m) in masks {
        assert_eq!(m.len(), 18);
        assert_eq!(&m[3..14], "***********");
    }
}

both_backends!(
    nothing_an_admin_reads_gives_a_resident_id_back,
    the_database_holds_no_birth_date_or_id_in_clear,
);

/// A database at the schema before the privacy migration, with one volunteer and its
/// registration's audit entry as the old code wrote them; then the new migration.
async fn old_rows_are_migrated(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = match db {
        Db::Sqlite => (format!("sqlite://{}", dir.path().join("old.db").display()), None),
        Db::Postgres => {
            use sqlx::Connection;
            let admin = std::env::var("ZHIYUAN_TEST_PG_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let mut conn = match sqlx::PgConnection::connect(&admin).await {
                Ok(c) => c,
                Err(e) if std::env::var("ZHIYUAN_REQUIRE_PG").is_err() => {
                    eprintln!("skipping PostgreSQL test: {e}");
                    return;
                }
                Err(e) => panic!("PostgreSQL required: {e}"),
            };
            let name = format!("zy_test_mig_{}", std::process::id());
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let (base, _) = admin.rsplit_once('/').unwrap();
            (format!("{base}/{name}"), Some((admin, name)))
        }
    };
    let store = zhiyuan_store::Store::connect(&url).await.unwrap();
    store.migrate_to(20261123000004).await.unwrap();
    let id = ResidentId::compose("110105", NaiveDate::from_ymd_opt(1985, 7, 23).unwrap(), 128).unwrap();
    let old_mask = format!("{}********{}", &id.as_str()[..6], &id.as_str()[14..]);
    {
        let mut tx = store.write().await.unwrap();
        for sql in [
            "INSERT INTO regions (code, name, level, parent_code) VALUES ('110000000000', '北京市', 'province', NULL)",
            "INSERT INTO regions (code, name, level, parent_code) VALUES ('110105000000', '朝阳区', 'county', '110000000000')",
        ] {
            sqlx::query(sql).execute(&mut *tx).await.unwrap();
        }
        sqlx::query(
            "INSERT INTO volunteers (name, gender, birth_date, id_cipher, id_hash, id_masked, phone, region_code, \
             created_at, updated_at) VALUES ('周晓梅', 'female', '1985-07-23', 'c', 'h', $1, '13912345678', \
             '110105000000', 0, 0)",
        )
        .bind(&old_mask)
        .execute(&mut *tx)
        .await
        .unwrap();
        let after = json!({"name": "周晓梅", "birth_date": "1985-07-23", "resident_id": old_mask});
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, entity_type, entity_id, after_json) \
             VALUES (0, NULL, '演示数据', 'volunteer.register', 'volunteer', '1', $1)",
        )
        .bind(after.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    store.migrate().await.unwrap();
    let mut c = store.read().await.unwrap();
    let (year, mask): (i64, String) = sqlx::query_as("SELECT birth_year, id_masked FROM volunteers")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert_eq!(year, 1985);
    assert_eq!(mask, id.masked());
    let (after,): (String,) = sqlx::query_as("SELECT after_json FROM audit_log")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let after: serde_json::Value = serde_json::from_str(&after).unwrap();
    assert_eq!(
        after,
        json!({"name": "周晓梅", "birth_year": 1985, "resident_id": id.masked()})
    );
    drop(c);
    // the audit log is append-only again
    let mut tx = store.write().await.unwrap();
    assert!(sqlx::query("UPDATE audit_log SET actor_name = 'x'")
        .execute(&mut *tx)
        .await
        .is_err());
    drop(tx);
    store.close().await;
    if let Some((admin, name)) = pg {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn old_rows_are_migrated_sqlite() {
    old_rows_are_migrated(Db::Sqlite).await;
}

#[tokio::test]
async fn old_rows_are_migrated_postgres() {
    old_rows_are_migrated(Db::Postgres).await;
}
