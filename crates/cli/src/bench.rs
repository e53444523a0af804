//! `zhiyuan bench checkin`: many volunteers on many running shifts, checked in and out through
//! the real HTTP API by concurrent clients; reports throughput and latency, then audits that
//! every acknowledged check-out produced exactly one service record.
//!
//! The data is bulk-loaded with raw SQL into a fresh database (SQLite in a temporary directory,
//! or a new PostgreSQL database that is dropped afterwards); the server runs in-process on a
//! loopback port; each client is a keep-alive HTTP connection taking sign-ups from one bounded
//! queue, so the run stops by itself.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sqlx::Connection;
use zhiyuan_app::{App, Settings};
use zhiyuan_domain::auth::Role;
use zhiyuan_domain::people::volunteer_no::VolunteerNo;
use zhiyuan_domain::synth::Synth;
use zhiyuan_store::network::orgs::{self, NewOrg};
use zhiyuan_store::network::sites::{self, NewSite};
use zhiyuan_store::{network::regions, now_millis, Backend, Tx};

/// Credited minutes of every record the run makes: in at start + 5 min, out at start + 2 h 35 min.
pub const RECORD_MINUTES: i64 = 150;
const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;
const TEAM_PASSWORD: &str = "bench12345";

#[derive(clap::Args, Clone, Debug)]
pub struct CheckinArgs {
    /// A PostgreSQL server URL (`postgres://…/postgres`): the run creates a fresh database
    /// `zy_bench_<pid>` there and drops it at the end. Default: SQLite in a temporary directory.
    #[arg(long)]
    pub database: Option<String>,
    /// Registered volunteers, each with one approved sign-up.
    #[arg(long, default_value_t = 100_000)]
    pub volunteers: u32,
    /// Running shifts (one project each), all in progress now.
    #[arg(long, default_value_t = 1_000)]
    pub shifts: u32,
    /// Teams organizing the projects (one team-admin login each).
    #[arg(long, default_value_t = 8)]
    pub teams: u32,
    /// Concurrent HTTP clients (keep-alive connections).
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Stop after this many seconds (default 20 when --ops is not given).
    #[arg(long, conflicts_with = "ops")]
    pub seconds: Option<u64>,
    /// Stop after this many check-in + check-out requests (rounded up to whole pairs).
    #[arg(long)]
    pub ops: Option<u64>,
}

impl CheckinArgs {
    fn deadline(&self) -> Option<Duration> {
        match (self.seconds, self.ops) {
            (Some(s), _) => Some(Duration::from_secs(s)),
            (None, Some(_)) => None,
            (None, None) => Some(Duration::from_secs(20)),
        }
    }
}

/// What a run measured and what the audit found.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub backend: Backend,
    pub volunteers: u32,
    pub shifts: u32,
    pub clients: usize,
    pub setup: Duration,
    pub elapsed: Duration,
    pub requests: u64,
    /// Latencies in microseconds, sorted.
    pub latencies_us: Vec<u32>,
    /// Failed requests by "status code" (or "transport").
    pub errors: BTreeMap<String, u64>,
    /// Check-outs answered 2xx with a record.
    pub acked_checkouts: u64,
    /// Their sign-up ids.
    pub acked: Vec<i64>,
    /// Check-outs answered 2xx without a record (none expected).
    pub checkouts_without_record: u64,
    pub audit: Audit,
}

#[derive(Clone, Debug, Default)]
pub struct Audit {
    pub records: i64,
    pub sign_ups_checked_out: i64,
    /// Acknowledged check-outs with no record.
    pub missing: u64,
    /// Records whose check-out was not acknowledged (or that belong to no sign-up).
    pub unacknowledged: u64,
    /// Sign-ups with more than one record.
    pub duplicated: u64,
    /// Records not of [`RECORD_MINUTES`] credited minutes.
    pub wrong_minutes: i64,
    pub chains: i64,
    pub chain_records: i64,
    pub broken_chains: usize,
}

impl Audit {
    pub fn passed(&self, acked: u64) -> bool {
        self.missing == 0
            && self.unacknowledged == 0
            && self.duplicated == 0
            && self.wrong_minutes == 0
            && self.broken_chains == 0
            && self.records == acked as i64
            && self.sign_ups_checked_out == acked as i64
            && self.chain_records == self.records
    }
}

impl Outcome {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The latency at quantile `q` in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let n = self.latencies_us.len();
        let idx = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
        self.latencies_us[idx] as f64 / 1000.0
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn passed(&self) -> bool {
        self.audit.passed(self.acked_checkouts) && self.checkouts_without_record == 0
    }

    fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    /// A row for the table in BENCHMARKS.md.
    pub fn markdown_row(&self) -> String {
        let errors = if self.errors.is_empty() {
            "0".to_owned()
        } else {
            self.errors
                .iter()
                .map(|(k, v)| format!("{v} × {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let a = &self.audit;
        format!(
            "| {} | {} | {} | {} | {} | {:.1} s | {} | **{:.0}** | {:.1} | {:.1} | **{:.1}** | {:.1} | {} | {} | {} records, {} missing, {} unacknowledged, {} duplicated; chains {} |",
            chrono::Utc::now().format("%Y-%m-%d"),
            self.backend_name(),
            self.volunteers,
            self.shifts,
            self.clients,
            self.elapsed.as_secs_f64(),
            self.requests,
            self.rps(),
            self.quantile_ms(0.50),
            self.quantile_ms(0.90),
            self.quantile_ms(0.99),
            self.quantile_ms(1.0),
            errors,
            self.acked_checkouts,
            a.records,
            a.missing,
            a.unacknowledged,
            a.duplicated,
            if a.broken_chains == 0 {
                "intact".to_owned()
            } else {
                format!("{} broken", a.broken_chains)
            },
        )
    }

    pub fn print(&self) {
        let a = &self.audit;
        println!();
        println!(
            "== check-in benchmark: {}, {} volunteers, {} shifts, {} clients ==",
            self.backend_name(),
            self.volunteers,
            self.shifts,
            self.clients
        );
        println!("setup            {:.1} s", self.setup.as_secs_f64());
        println!(
            "requests         {} in {:.2} s = {:.0} requests/s (check-in + check-out)",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.rps()
        );
        println!(
            "latency (ms)     p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
            self.quantile_ms(0.50),
            self.quantile_ms(0.90),
            self.quantile_ms(0.99),
            self.quantile_ms(1.0)
        );
        if self.errors.is_empty() {
            println!("errors           none");
        } else {
            println!("errors           {}", self.error_count());
            for (k, v) in &self.errors {
                println!("  {v:>8} × {k}");
            }
        }
        println!(
            "acknowledged     {} check-outs with a record",
            self.acked_checkouts
        );
        if self.checkouts_without_record > 0 {
            println!(
                "                 {} check-outs answered without a record",
                self.checkouts_without_record
            );
        }
        println!(
            "audit            {} service records; {} sign-ups checked out",
            a.records, a.sign_ups_checked_out
        );
        println!(
            "                 {} acknowledged without a record, {} records not acknowledged, {} sign-ups with duplicates, {} with wrong minutes",
            a.missing, a.unacknowledged, a.duplicated, a.wrong_minutes
        );
        println!(
            "verify-records   {} chains, {} records, {} broken",
            a.chains, a.chain_records, a.broken_chains
        );
        println!(
            "result           {}",
            if self.passed() {
                "AUDIT PASSED"
            } else {
                "AUDIT FAILED"
            }
        );
        println!();
        println!("| date | backend | volunteers | shifts | clients | duration | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | acked check-outs | audit |");
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        println!("{}", self.markdown_row());
    }
}

/// Runs the benchmark; the PostgreSQL database (if any) is dropped whatever happens.
pub async fn checkin(args: &CheckinArgs) -> anyhow::Result<Outcome> {
    if args.volunteers == 0 || args.shifts == 0 || args.teams == 0 || args.clients == 0 {
        bail!("--volunteers, --shifts, --teams and --clients must be positive");
    }
    if args.shifts > args.volunteers {
        bail!("need at least one volunteer per shift");
    }
    let dir = tempfile::tempdir().context("temporary directory")?;
    let mut settings = Settings::sqlite_in(dir.path());
    let mut pg: Option<(String, String)> = None;
    if let Some(url) = &args.database {
        match Backend::from_url(url)? {
            Backend::Sqlite => bail!(
                "SQLite runs on a fresh file in a temporary directory: leave out --database, \
                 or give a PostgreSQL server URL"
            ),
            Backend::Postgres => {
                let name = format!("zy_bench_{}", std::process::id());
                let mut conn = sqlx::PgConnection::connect(url)
                    .await
                    .with_context(|| format!("cannot connect to {}", crate::redact(url)))?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .context("create the benchmark database")?;
                conn.close().await.ok();
                let (base, _) = url
                    .split('?')
                    .next()
                    .unwrap_or(url)
                    .rsplit_once('/')
                    .context("the PostgreSQL URL needs a /database path")?;
                settings.database_url = format!("{base}/{name}");
                println!("PostgreSQL database {name} created");
                pg = Some((url.clone(), name));
            }
        }
    }
    let result = run(&settings, args).await;
    if let Some((admin, name)) = pg {
        match sqlx::PgConnection::connect(&admin).await {
            Ok(mut c) => {
                match sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c)
                    .await
                {
                    Ok(_) => println!("PostgreSQL database {name} dropped"),
                    Err(e) => eprintln!("could not drop the database {name}: {e}"),
                }
            }
            Err(e) => eprintln!("could not drop the database {name}: {e}"),
        }
    }
    drop(dir);
    result
}

async fn run(settings: &Settings, args: &CheckinArgs) -> anyhow::Result<Outcome> {
    let setup_started = Instant::now();
    let app = App::open(settings).await.context("open the database")?;
    let backend = app.store.backend();
    let now = now_millis();
    let shift_start = now - 3 * HOUR_MS;
    let pop = populate(&app, args, shift_start).await?;
    let accounts_started = Instant::now();
    let mut admins = Vec::new();
    for (i, team_id) in pop.teams.iter().enumerate() {
        let username = format!("bench_team_{}", i + 1);
        app.auth()
            .create_account_unchecked(
                &username,
                TEAM_PASSWORD,
                &format!("压测队长{}", i + 1),
                Role::TeamAdmin,
                None,
                None,
                Some(*team_id),
                None,
            )
            .await?;
        admins.push(username);
    }
    println!(
        "{} team-admin accounts in {:.1} s",
        admins.len(),
        accounts_started.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = zhiyuan_web::router(app.clone());
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("server stopped: {e}");
        }
    });
    let outcome = drive(&base, &admins, pop, args, shift_start, setup_started).await;
    server.abort();
    let _ = server.await;
    let mut outcome = outcome?;
    outcome.backend = backend;
    outcome.audit = audit(&app, &outcome).await?;
    app.store.close().await;
    Ok(outcome)
}

/// The loaded data: team ids, and every sign-up with the index of its shift's team.
struct Population {
    teams: Vec<i64>,
    sign_ups: Vec<(i64, usize)>,
}

/// A value for a bulk insert.
pub(crate) enum V {
    I(i64),
    F(f64),
    S(String),
    /// NULL (an integer column).
    N,
}

/// `INSERT INTO table (cols) VALUES (…), (…)`, many rows a statement. On SQLite the
/// parameters are anonymous `?`: sqlx binds a named `$n` by looking its name up among all the
/// statement's parameters (`sqlite3_bind_parameter_name`), which made binding quadratic in a
/// statement's size (three quarters of `zhiyuan generate`'s time at 8 000 parameters, so
/// statements had been cut to 400); an anonymous one binds in place, so a statement may hold
/// SQLite's limit of 32 766. PostgreSQL numbers them, up to its limit of 65 535.
pub(crate) async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    cols: &[&str],
    rows: &[Vec<V>],
) -> anyhow::Result<()> {
    let sqlite = tx.backend_name() == "SQLite";
    run_inserts(tx, table, inserts(sqlite, table, cols, rows)).await
}

/// A multi-row INSERT ready to run: its text and its bound values (made apart from running it,
/// so that `zhiyuan generate` binds the next batch on one thread while the database writes this
/// one on another).
pub(crate) struct Insert {
    sql: String,
    args: sqlx::any::AnyArguments<'static>,
}

/// The statements of [`insert_rows`].
pub(crate) fn inserts(sqlite: bool, table: &str, cols: &[&str], rows: &[Vec<V>]) -> Vec<Insert> {
    use sqlx::Arguments;
    let limit = if sqlite { 32_766 } else { 65_535 };
    let per_stmt = (limit / cols.len()).clamp(1, 2_000);
    let mut out = Vec::new();
    for chunk in rows.chunks(per_stmt) {
        let backend = if sqlite {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            cols.join(", "),
            backend.value_rows(chunk.len(), cols.len())
        );
        let mut args = sqlx::any::AnyArguments::default();
        for row in chunk {
            debug_assert_eq!(row.len(), cols.len());
            for v in row {
                let added = match v {
                    V::I(i) => args.add(*i),
                    V::F(f) => args.add(*f),
                    V::S(s) => args.add(s.clone()),
                    V::N => args.add(None::<i64>),
                };
                added.expect("numbers and texts always bind");
            }
        }
        out.push(Insert { sql, args });
    }
    out
}

/// Runs statements made by [`inserts`].
pub(crate) async fn run_inserts(tx: &mut Tx, table: &str, inserts: Vec<Insert>) -> anyhow::Result<()> {
    for i in inserts {
        sqlx::query_with(&i.sql, i.args)
            .execute(&mut **tx)
            .await
            .with_context(|| format!("bulk insert into {table}"))?;
    }
    Ok(())
}

/// Drops the secondary indexes of `tables` (those no constraint owns) for a bulk load and
/// returns the statements that create them again: filling a table and then building each index
/// in one sorted pass is far faster than keeping every index ordered row by row. Indexes that
/// lead with one of `in_load_order` stay: rows arrive in their order, so each entry is appended
/// at the index's end, cheaper than sorting them all afterwards.
pub(crate) async fn drop_secondary_indexes(
    tx: &mut Tx,
    tables: &[&str],
    in_load_order: &[&str],
) -> anyhow::Result<Vec<String>> {
    let sqlite = tx.backend_name() == "SQLite";
    let mut found: Vec<(String, String)> = Vec::new();
    for t in tables {
        let rows: Vec<(String, String)> = if sqlite {
            sqlx::query_as(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL",
            )
            .bind(*t)
            .fetch_all(&mut **tx)
            .await?
        } else {
            sqlx::query_as(
                "SELECT i.indexname::text, i.indexdef::text FROM pg_indexes i WHERE i.schemaname = current_schema() \
                 AND i.tablename = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                 WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)",
            )
            .bind(*t)
            .fetch_all(&mut **tx)
            .await?
        };
        found.extend(rows.into_iter().filter(|(_, sql)| {
            let first = sql
                .split_once('(')
                .map(|(_, cols)| cols.split([',', ')']).next().unwrap_or("").trim().to_owned())
                .unwrap_or_default();
            !in_load_order.contains(&first.as_str())
        }));
    }
    for (name, _) in &found {
        sqlx::query(&format!("DROP INDEX {name}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(found.into_iter().map(|(_, sql)| sql).collect())
}

async fn populate(app: &App, args: &CheckinArgs, shift_start: i64) -> anyhow::Result<Population> {
    let started = Instant::now();
    let store = &app.store;
    let mut conn = store.read().await?;
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM volunteers")
        .fetch_one(&mut *conn)
        .await?;
    if existing > 0 {
        bail!("the benchmark needs an empty database");
    }
    let towns: Vec<String> = regions::by_levels(&mut conn, &["township"])
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect();
    drop(conn);
    if towns.is_empty() {
        bail!("no reference regions loaded");
    }

    // One practice institute and a few teams below it.
    let mut tx = store.write().await?;
    let site = sites::insert(
        &mut tx,
        &NewSite {
            name: "压测新时代文明实践所".into(),
            level: "institute".into(),
            region_code: towns[0].clone(),
            parent_id: None,
            address: String::new(),
            contact_phone: String::new(),
            contact_name: String::new(),
            opening_hours: String::new(),
        },
    )
    .await?;
    let mut teams = Vec::new();
    let mut team_regions = Vec::new();
    for i in 0..args.teams as usize {
        let region = towns[i % towns.len()].clone();
        let (id, _) = orgs::insert(
            &mut tx,
            &NewOrg {
                name: format!("压测志愿服务队{}", i + 1),
                kind: "team".into(),
                parent_id: None,
                parent_path: String::new(),
                site_id: Some(site),
                region_code: region.clone(),
                contact_name: String::new(),
                contact_phone: String::new(),
                description: String::new(),
            },
        )
        .await?;
        teams.push(id);
        team_regions.push(region);
    }
    tx.commit().await?;

    // Volunteers: synthetic people, resident IDs really encrypted and hashed. Ids are given
    // explicitly (the database is fresh) so the volunteer number can be written at once.
    let today = zhiyuan_app::today();
    let mut synth = Synth::new(20_261_122);
    let vault = app.vault();
    let now = now_millis();
    let n = args.volunteers as i64;
    const VOL_COLS: &[&str] = &[
        "id",
        "volunteer_no",
        "name",
        "gender",
        "birth_year",
        "id_cipher",
        "id_hash",
        "id_masked",
        "phone",
        "region_code",
        "skills",
        "categories",
        "availability",
        "created_at",
        "updated_at",
    ];
    const BATCH: i64 = 25_000;
    let mut first = 1;
    while first <= n {
        let last = (first + BATCH - 1).min(n);
        let mut rows = Vec::with_capacity((last - first + 1) as usize);
        for id in first..=last {
            let home = synth.pick(&towns).clone();
            let p = synth.person(&home[..6], today);
            let rid = &p.resident_id;
            rows.push(vec![
                V::I(id),
                V::S(VolunteerNo::new(&home[..6], id as u64).as_str().to_owned()),
                V::S(p.name.as_str().to_owned()),
                V::S(rid.gender().as_str().to_owned()),
                V::I(i64::from(rid.birth_year())),
                V::S(vault.encrypt(rid.as_str())),
                V::S(vault.lookup_hash(rid.as_str())),
                V::S(rid.masked()),
                V::S(p.phone.as_str().to_owned()),
                V::S(home),
                V::S(p.skills.join(",")),
                V::S(p.categories.join(",")),
                V::S(p.availability.to_hex()),
                V::I(now),
                V::I(now),
            ]);
        }
        let mut tx = store.write().await?;
        insert_rows(&mut tx, "volunteers", VOL_COLS, &rows).await?;
        tx.commit().await?;
        first = last + 1;
    }
    println!("{} volunteers in {:.1} s", n, started.elapsed().as_secs_f64());

    // Projects (running, one shift each, [now - 3 h, now + 1 h]) and approved sign-ups:
    // volunteer v is on shift (v - 1) mod shifts; sign-up id = volunteer id.
    let s = args.shifts as i64;
    let ends = shift_start + 4 * HOUR_MS;
    let mut project_rows = Vec::new();
    let mut shift_rows = Vec::new();
    for id in 1..=s {
        let t = ((id - 1) % teams.len() as i64) as usize;
        let headcount = (n - id) / s + 1;
        project_rows.push(vec![
            V::I(id),
            V::S(format!("压测项目{id}：社区志愿服务")),
            V::S("environment".into()),
            V::S("社区环境整治与便民服务".into()),
            V::I(teams[t]),
            V::S(team_regions[t].clone()),
            V::S("社区活动中心".into()),
            V::S("王队长".into()),
            V::S("running".into()),
            V::I(now),
            V::I(now),
        ]);
        shift_rows.push(vec![
            V::I(id),
            V::I(id),
            V::I(shift_start),
            V::I(ends),
            V::I(headcount),
            V::I(headcount),
            V::I(now),
        ]);
    }
    let mut sign_up_rows = Vec::with_capacity(n as usize);
    let mut sign_ups = Vec::with_capacity(n as usize);
    for v in 1..=n {
        let shift = (v - 1) % s + 1;
        sign_up_rows.push(vec![
            V::I(v),
            V::I(shift),
            V::I(v),
            V::S("approved".into()),
            V::I(now),
            V::I(now),
        ]);
        sign_ups.push((v, ((shift - 1) % teams.len() as i64) as usize));
    }
    let mut tx = store.write().await?;
    insert_rows(
        &mut tx,
        "projects",
        &[
            "id",
            "title",
            "category",
            "description",
            "organization_id",
            "region_code",
            "address",
            "person_in_charge",
            "status",
            "created_at",
            "updated_at",
        ],
        &project_rows,
    )
    .await?;
    insert_rows(
        &mut tx,
        "shifts",
        &[
            "id",
            "project_id",
            "starts_at",
            "ends_at",
            "headcount",
            "approved_count",
            "created_at",
        ],
        &shift_rows,
    )
    .await?;
    insert_rows(
        &mut tx,
        "sign_ups",
        &[
            "id",
            "shift_id",
            "volunteer_id",
            "status",
            "created_at",
            "decided_at",
        ],
        &sign_up_rows,
    )
    .await?;
    if store.backend() == Backend::Postgres {
        // explicit ids leave the identity sequences behind
        for table in ["volunteers", "projects", "shifts", "sign_ups"] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    if store.backend() == Backend::Postgres {
        // what autovacuum would have done on a database in use
        sqlx::query("ANALYZE").execute(store.reader()).await?;
    }
    println!(
        "{} projects, {} shifts, {} approved sign-ups loaded in {:.1} s in all",
        s,
        s,
        n,
        started.elapsed().as_secs_f64()
    );
    Ok(Population { teams, sign_ups })
}

/// What one client saw.
#[derive(Default)]
struct ClientStats {
    latencies_us: Vec<u32>,
    errors: BTreeMap<String, u64>,
    acked: Vec<i64>,
    without_record: u64,
}

struct Shared {
    base: String,
    tokens: Vec<String>,
    queue: Vec<(i64, usize)>,
    next: AtomicUsize,
    done: AtomicU64,
    deadline: Option<Instant>,
    body_in: String,
    body_out: String,
}

async fn drive(
    base: &str,
    admins: &[String],
    pop: Population,
    args: &CheckinArgs,
    shift_start: i64,
    setup_started: Instant,
) -> anyhow::Result<Outcome> {
    // Log the team admins in through the API (argon2 runs here, not in the measured part).
    let login = http_client()?;
    let mut tokens = Vec::new();
    for username in admins {
        let r = login
            .post(format!("{base}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": username, "password": TEAM_PASSWORD}))
            .send()
            .await?;
        let status = r.status();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        let Some(token) = body["token"].as_str() else {
            bail!("login {username} failed: {status} {body}");
        };
        tokens.push(token.to_owned());
    }
    let mut queue = pop.sign_ups;
    if let Some(ops) = args.ops {
        queue.truncate(ops.div_ceil(2) as usize);
    }
    let rfc3339 = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let setup = setup_started.elapsed();
    let started = Instant::now();
    let shared = Arc::new(Shared {
        base: base.to_owned(),
        tokens,
        queue,
        next: AtomicUsize::new(0),
        done: AtomicU64::new(0),
        deadline: args.deadline().map(|d| started + d),
        body_in: serde_json::json!({"at": rfc3339(shift_start + 5 * MINUTE_MS)}).to_string(),
        body_out: serde_json::json!({"at": rfc3339(shift_start + 155 * MINUTE_MS)}).to_string(),
    });
    println!(
        "driving {} clients over {} sign-ups{}…",
        args.clients,
        shared.queue.len(),
        match args.deadline() {
            Some(d) => format!(" for at most {} s", d.as_secs()),
            None => String::new(),
        }
    );
    let ticker = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut last = 0;
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            tick.tick().await;
            loop {
                tick.tick().await;
                let done = shared.done.load(Ordering::Relaxed);
                println!(
                    "  {:>5.0} s: {done} requests ({:.0}/s)",
                    started.elapsed().as_secs_f64(),
                    (done - last) as f64 / 5.0
                );
                last = done;
            }
        })
    };
    let mut handles = Vec::new();
    for _ in 0..args.clients {
        let shared = shared.clone();
        let http = http_client()?;
        handles.push(tokio::spawn(async move { client(http, shared).await }));
    }
    let mut stats = Vec::new();
    for h in handles {
        stats.push(h.await.context("client task")?);
    }
    let elapsed = started.elapsed();
    ticker.abort();
    let mut latencies_us = Vec::new();
    let mut errors = BTreeMap::new();
    let mut acked = Vec::new();
    let mut without_record = 0;
    for s in stats {
        latencies_us.extend(s.latencies_us);
        for (k, v) in s.errors {
            *errors.entry(k).or_insert(0) += v;
        }
        acked.extend(s.acked);
        without_record += s.without_record;
    }
    latencies_us.sort_unstable();
    let outcome = Outcome {
        backend: Backend::Sqlite,
        volunteers: args.volunteers,
        shifts: args.shifts,
        clients: args.clients,
        setup,
        elapsed,
        requests: latencies_us.len() as u64,
        latencies_us,
        errors,
        acked_checkouts: acked.len() as u64,
        acked,
        checkouts_without_record: without_record,
        audit: Audit::default(),
    };
    Ok(outcome)
}

fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// One request; Ok((status, body)) or Err(what went wrong) for a transport failure.
async fn post(
    http: &reqwest::Client,
    url: String,
    token: &str,
    body: &str,
) -> Result<(u16, serde_json::Value), String> {
    let r = http
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let bytes = r.bytes().await.map_err(|e| e.to_string())?;
    Ok((status, serde_json::from_slice(&bytes).unwrap_or_default()))
}

/// Takes sign-ups from the queue until it is empty or time is up: check in, then check out.
async fn client(http: reqwest::Client, shared: Arc<Shared>) -> ClientStats {
    let mut st = ClientStats::default();
    let timed = |st: &mut ClientStats, t: Instant| {
        st.latencies_us
            .push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
        shared.done.fetch_add(1, Ordering::Relaxed);
    };
    let fail = |st: &mut ClientStats, what: &str, r: &Result<(u16, serde_json::Value), String>| {
        let key = match r {
            Ok((status, body)) => format!("{what} {status} {}", body["error"]["code"].as_str().unwrap_or("")),
            Err(_) => format!("{what} transport error"),
        };
        *st.errors.entry(key.trim_end().to_owned()).or_insert(0) += 1;
    };
    loop {
        if shared.deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(&(id, team)) = shared.queue.get(i) else {
            break;
        };
        let token = &shared.tokens[team];
        let t = Instant::now();
        let r = post(
            &http,
            format!("{}/api/v1/sign-ups/{id}/check-in", shared.base),
            token,
            &shared.body_in,
        )
        .await;
        timed(&mut st, t);
        if !matches!(&r, Ok((200..=299, _))) {
            fail(&mut st, "check-in", &r);
            continue;
        }
        // the pair is finished even when time is up meanwhile
        let t = Instant::now();
        let r = post(
            &http,
            format!("{}/api/v1/sign-ups/{id}/check-out", shared.base),
            token,
            &shared.body_out,
        )
        .await;
        timed(&mut st, t);
        match &r {
            Ok((200..=299, body)) if body["record"].is_object() => st.acked.push(id),
            Ok((200..=299, _)) => st.without_record += 1,
            _ => fail(&mut st, "check-out", &r),
        }
    }
    st
}

/// Every acknowledged check-out has exactly one record, every record an acknowledged
/// check-out, every record the expected minutes; then the chains are verified.
async fn audit(app: &App, o: &Outcome) -> anyhow::Result<Audit> {
    let pool = app.store.reader();
    let rows: Vec<(Option<i64>, i64, i64)> = sqlx::query_as(&format!(
        "SELECT sign_up_id, COUNT(*), CAST(SUM(CASE WHEN minutes = {RECORD_MINUTES} THEN 0 ELSE 1 END) AS BIGINT) \
         FROM service_records GROUP BY sign_up_id"
    ))
    .fetch_all(pool)
    .await?;
    let (checked_out,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM sign_ups WHERE checkout_at IS NOT NULL")
            .fetch_one(pool)
            .await?;
    let acked: HashSet<i64> = o.acked.iter().copied().collect();
    let mut a = Audit {
        sign_ups_checked_out: checked_out,
        ..Default::default()
    };
    let mut recorded: HashMap<i64, i64> = HashMap::new();
    for (sign_up, n, wrong) in rows {
        a.records += n;
        a.wrong_minutes += wrong;
        match sign_up {
            Some(id) => {
                recorded.insert(id, n);
                if n > 1 {
                    a.duplicated += 1;
                }
                if !acked.contains(&id) {
                    a.unacknowledged += n as u64;
                }
            }
            None => a.unacknowledged += n as u64,
        }
    }
    a.missing = acked.iter().filter(|id| !recorded.contains_key(id)).count() as u64;
    if acked.len() != o.acked.len() {
        // the same sign-up acknowledged twice would be a bug in the driver itself
        a.duplicated += (o.acked.len() - acked.len()) as u64;
    }
    let started = Instant::now();
    let report = app.service().verify_records().await?;
    a.chains = report.chains;
    a.chain_records = report.records;
    a.broken_chains = report.broken.len();
    println!(
        "verified {} record chains in {:.1} s",
        report.chains,
        started.elapsed().as_secs_f64()
    );
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tiny_run_passes_its_audit() {
        let args = CheckinArgs {
            database: None,
            volunteers: 200,
            shifts: 4,
            teams: 2,
            clients: 2,
            // far more than needed: the queue of 200 sign-ups ends the run
            seconds: Some(600),
            ops: None,
        };
        let o = checkin(&args).await.unwrap();
        o.print();
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        assert_eq!(o.requests, 400);
        assert_eq!(o.acked_checkouts, 200);
        assert_eq!(o.audit.records, 200);
        assert_eq!(o.audit.chains, 200);
        assert!(o.passed(), "{:?}", o.audit);
        assert!(o.markdown_row().contains("| SQLite | 200 | 4 | 2 |"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ops_bound_the_run() {
        let args = CheckinArgs {
            database: None,
            volunteers: 50,
            shifts: 5,
            teams: 1,
            clients: 3,
            seconds: None,
            ops: Some(21),
        };
        let o = checkin(&args).await.unwrap();
        assert_eq!(o.requests, 22);
        assert_eq!(o.acked_checkouts, 11);
        assert!(o.passed(), "{:?}", o.audit);
    }

    #[test]
    fn quantiles_pick_the_nearest_rank() {
        let o = Outcome {
            backend: Backend::Sqlite,
            volunteers: 0,
            shifts: 0,
            clients: 0,
            setup: Duration::ZERO,
            elapsed: Duration::from_secs(2),
            requests: 100,
            latencies_us: (1..=100).map(|i| i * 1000).collect(),
            errors: BTreeMap::new(),
            acked_checkouts: 0,
            acked: vec![],
            checkouts_without_record: 0,
            audit: Audit::default(),
        };
        assert_eq!(o.quantile_ms(0.5), 50.0);
        assert_eq!(o.quantile_ms(0.99), 99.0);
        assert_eq!(o.quantile_ms(1.0), 100.0);
        assert_eq!(o.rps(), 50.0);
    }
}
