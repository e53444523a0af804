//! The SQLite and PostgreSQL migrations must build the same schema: the same tables, columns
//! (kind of type, nullability), primary keys, indexes (columns, uniqueness, partial or not) and
//! foreign keys. Each backend has its own migration files, so without this test they drift.

use std::collections::BTreeSet;

use sqlx::{Connection, Row};
use zhiyuan_store::Store;

/// One comparable fact about a schema.
type Facts = BTreeSet<String>;

fn kind(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "int"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") || t.contains("numeric") {
        "real"
    } else if t.contains("blob") || t.contains("bytea") {
        "blob"
    } else {
        "other"
    }
}

async fn sqlite_facts(store: &Store) -> Facts {
    let mut c = store.read().await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    let mut f = Facts::new();
    for t in &tables {
        f.insert(format!("table {t}"));
        let cols = sqlx::query(&format!(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{t}')"
        ))
        .fetch_all(&mut *c)
        .await
        .unwrap();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for r in cols {
            let name: String = r.get(0);
            let ty: String = r.get(1);
            let notnull: i64 = r.get(2);
            let pkpos: i64 = r.get(3);
            if pkpos > 0 {
                pk.push((pkpos, name.clone()));
            }
            let null = if notnull == 1 || pkpos > 0 {
                "not null"
            } else {
                "null"
            };
            f.insert(format!("column {t}.{name} {} {null}", kind(&ty)));
        }
        pk.sort();
        let pk: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
        f.insert(format!("primary key {t}({})", pk.join(",")));
        let idx = sqlx::query(&format!(
            "SELECT name, \"unique\", origin, partial FROM pragma_index_list('{t}')"
        ))
        .fetch_all(&mut *c)
        .await
        .unwrap();
        for r in idx {
            let name: String = r.get(0);
            let unique: i64 = r.get(1);
            let origin: String = r.get(2);
            let partial: i64 = r.get(3);
            if origin == "pk" {
                continue;
            }
            let cols: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT name FROM pragma_index_info('{name}') ORDER BY seqno"
            ))
            .fetch_all(&mut *c)
            .await
            .unwrap();
            f.insert(index_fact(t, &cols, unique == 1, partial == 1));
        }
        let fks = sqlx::query(&format!(
            "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list('{t}')"
        ))
        .fetch_all(&mut *c)
        .await
        .unwrap();
        for r in fks {
            let from: String = r.get(0);
            let table: String = r.get(1);
            let to: Option<String> = r.get(2);
            f.insert(format!(
                "foreign key {t}.{from} -> {table}.{}",
                to.unwrap_or_else(|| "id".into())
            ));
        }
    }
    f
}

fn index_fact(table: &str, cols: &[String], unique: bool, partial: bool) -> String {
    format!(
        "{}index {table}({}){}",
        if unique { "unique " } else { "" },
        cols.join(","),
        if partial { " partial" } else { "" }
    )
}

async fn postgres_facts(store: &Store) -> Facts {
    let mut c = store.read().await.unwrap();
    let mut f = Facts::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for t in &tables {
        f.insert(format!("table {t}"));
    }
    let cols = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for r in cols {
        let (t, name, ty, nullable): (String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        let null = if nullable == "NO" { "not null" } else { "null" };
        f.insert(format!("column {t}.{name} {} {null}", kind(&ty)));
    }
    // indexes with their columns in order, uniqueness, partialness and whether they are the key
    let idx = sqlx::query(
        "SELECT t.relname::text, i.indisprimary::int::int8, i.indisunique::int::int8, (i.indpred IS NOT NULL)::int::int8, \
                array_to_string(ARRAY(SELECT a.attname::text FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n) \
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n), ',') \
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace \
         WHERE s.nspname = 'public' AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for r in idx {
        let t: String = r.get(0);
        let primary: i64 = r.get(1);
        let unique: i64 = r.get(2);
        let partial: i64 = r.get(3);
        let cols: String = r.get(4);
        if primary == 1 {
            f.insert(format!("primary key {t}({cols})"));
        } else {
            let cols: Vec<String> = cols.split(',').map(str::to_owned).collect();
            f.insert(index_fact(&t, &cols, unique == 1, partial == 1));
        }
    }
    for t in &tables {
        if !f.iter().any(|x| x.starts_with(&format!("primary key {t}("))) {
            f.insert(format!("primary key {t}()"));
        }
    }
    let fks = sqlx::query(
        "SELECT kcu.table_name::text, kcu.column_name::text, ccu.table_name::text, ccu.column_name::text \
         FROM information_schema.table_constraints tc \
         JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name \
           AND kcu.table_schema = tc.table_schema \
         JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name \
           AND ccu.table_schema = tc.table_schema \
         WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'",
    )
    .fetch_all(&mut *c)
    .await
    .unwrap();
    for r in fks {
        let (t, from, table, to): (String, String, String, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
        f.insert(format!("foreign key {t}.{from} -> {table}.{to}"));
    }
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_migrations_build_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let lite = Store::connect(&format!("sqlite://{}", dir.path().join("s.db").display()))
        .await
        .unwrap();
    lite.migrate().await.unwrap();

    let admin = std::env::var("ZHIYUAN_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("ZHIYUAN_REQUIRE_PG").is_ok() {
                panic!("PostgreSQL required but unreachable at {admin}: {e}");
            }
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!!!!! SKIPPED: the schema comparison did NOT run: no PostgreSQL at {admin}: {e}\n\
                 !!!!!!!! to run it: start PostgreSQL, or run `cargo xtask test`\n"
            );
            return;
        }
    };
    let name = format!("zy_schema_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let pg = Store::connect(&format!("{base}/{name}")).await.unwrap();
    pg.migrate().await.unwrap();

    let (a, b) = (sqlite_facts(&lite).await, postgres_facts(&pg).await);
    pg.close().await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();

    assert!(a.len() > 100, "the SQLite schema was read: {} facts", a.len());
    let only_lite: Vec<&String> = a.difference(&b).collect();
    let only_pg: Vec<&String> = b.difference(&a).collect();
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "the migrations drifted apart\n  only in SQLite: {only_lite:#?}\n  only in PostgreSQL: {only_pg:#?}"
    );
}
