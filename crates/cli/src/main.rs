//! `zhiyuan`: serve the platform, migrate the database, load demo data, verify the service
//! records, run the benchmarks.

mod bench;
mod bench_dashboard;
mod bench_export;
mod bench_import;
mod bench_match;
mod generate;
mod import;
mod stats;
mod verify;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use zhiyuan_app::demo::{DemoSize, DEMO_LOGINS, DEMO_PASSWORD};
use zhiyuan_app::{App, Settings};

/// mimalloc rather than glibc's allocator: `zhiyuan generate` makes rows on one thread and frees
/// them on another, and glibc's arenas then spent three quarters of the row-making thread's
/// time in `malloc` and its free-list upkeep at the 50 M-record scale.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "zhiyuan",
    version,
    about = "志愿 · 志愿服务与新时代文明实践平台 (Zhiyuan volunteer-service platform)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the web server (migrates the database first).
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address and port to listen on.
        #[arg(long, env = "ZHIYUAN_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Load demo data into an empty database before serving.
        #[arg(long, env = "ZHIYUAN_DEMO")]
        demo: bool,
        /// Where people reach this server (certificate and check-in QR links point here), e.g.
        /// `https://zhiyuan.example.org`; default `http://<bind>`.
        #[arg(long, env = "ZHIYUAN_PUBLIC_URL")]
        public_url: Option<String>,
        /// Mark the session cookie `Secure` (default: when the public URL is https).
        #[arg(long, env = "ZHIYUAN_SECURE_COOKIES")]
        secure_cookies: Option<bool>,
        /// Minutes after check-in during which a volunteer's QR scan cannot check out (a second
        /// scan answers 已签到).
        #[arg(long, env = "ZHIYUAN_CHECKOUT_AFTER", default_value_t = zhiyuan_domain::service::scan::DEFAULT_CHECKOUT_AFTER_MINUTES,
            value_parser = clap::value_parser!(i64).range(0..=600))]
        checkout_after: i64,
    },
    /// Bring the database schema up to date and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Load demo data (a living Beijing) into an empty database and exit.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        /// Load a small data set (a minute's worth less).
        #[arg(long)]
        small: bool,
    },
    /// Import an office's spreadsheet (志愿者花名册 …) as a named account; rows that cannot be
    /// imported go to a workbook to fix and import again (exit code 2 when there are any).
    Import(import::ImportArgs),
    /// Check every volunteer's service-record hash chain; exit code 1 when one is broken.
    VerifyRecords {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Rebuild the statistics roll-ups from the service records and volunteers.
    RebuildStats {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Recompute every statistics figure from the rows and compare; exit code 1 on any difference.
    VerifyStats {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Fill an empty database with synthetic Beijing data at any scale (fixed seed: the same
    /// database every time), counting the statistics roll-ups as it writes.
    Generate(generate::GenerateArgs),
    /// Benchmarks on a fresh database (never run against a live one).
    Bench {
        #[command(subcommand)]
        bench: BenchCommand,
    },
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Check-in and check-out through the HTTP API from concurrent clients, then an audit of
    /// the records made.
    Checkin(bench::CheckinArgs),
    /// The matching index over synthetic Beijing volunteers (build, memory, query latency), and
    /// the same queries answered by PostgreSQL on the same data.
    Match(bench_match::MatchArgs),
    /// Statistics dashboards of a database (city, districts, townships; year, 12 months, quarter,
    /// month; categories), beside the plain SQL GROUP BY they replace.
    Dashboard(bench_dashboard::DashboardArgs),
    /// The largest export: a region's service records over the last 12 months of data as
    /// .xlsx (time, rows, size, peak memory).
    Export(bench_export::ExportArgs),
    /// A district office imports a synthetic roster (plan, then run) into the database, and the
    /// same file again.
    Import(bench_import::ImportArgs),
}

#[derive(Args, Debug)]
pub(crate) struct DbArgs {
    /// Directory for the SQLite file, the secret key and other state.
    #[arg(long, env = "ZHIYUAN_DATA_DIR", default_value = "./zhiyuan-data")]
    data_dir: PathBuf,
    /// Database URL: `sqlite://…` (default: zhiyuan.db in the data directory) or `postgres://…`.
    #[arg(long, env = "ZHIYUAN_DATABASE")]
    database: Option<String>,
    /// SQLite only: `synchronous = FULL`, so that every commit also survives a power loss
    /// (default `NORMAL`: survives a crash of the process, may lose the last commits on power loss).
    #[arg(long, env = "ZHIYUAN_SQLITE_SYNC_FULL")]
    sqlite_sync_full: bool,
}

impl DbArgs {
    fn settings(&self) -> Settings {
        let mut s = Settings::sqlite_in(&self.data_dir);
        if let Some(url) = &self.database {
            s.database_url = url.clone();
        }
        s.sqlite_sync_full = self.sqlite_sync_full;
        s.secret_key = std::env::var("ZHIYUAN_SECRET_KEY")
            .ok()
            .filter(|k| !k.trim().is_empty());
        s
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZHIYUAN_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            db,
            bind,
            demo,
            public_url,
            secure_cookies,
            checkout_after,
        } => {
            let mut settings = db.settings();
            settings.public_url = public_url
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| format!("http://{bind}"));
            settings.secure_cookies = secure_cookies;
            settings.rules.checkout_after_minutes = checkout_after;
            // no SMS gateway yet: the demo shows one-time codes on the page
            settings.rules.show_codes = demo;
            let app = App::open(&settings)
                .await
                .with_context(|| format!("cannot open the database {}", redact(&settings.database_url)))?;
            if demo {
                load_demo(&app, DemoSize::FULL).await?;
            }
            release_free_memory();
            spawn_minute_jobs(app.clone());
            if let Some(pw) = app.auth().ensure_admin().await? {
                println!("已创建系统管理员账号 admin，初始密码：{pw}（同时写入数据目录 initial-admin-password.txt）");
            }
            println!("志愿平台已启动：http://{bind}/");
            zhiyuan_web::serve(app, bind).await.context("server failed")?;
        }
        Command::Migrate { db } => {
            open(&db).await?;
            println!("数据库已是最新结构。");
        }
        Command::Demo { db, small } => {
            let app = open(&db).await?;
            load_demo(&app, if small { DemoSize::SMALL } else { DemoSize::FULL }).await?;
        }
        Command::Generate(args) => {
            let g = generate::run(&args).await?;
            println!(
                "已生成 {} 名志愿者、{} 支队伍、{} 个项目（{} 个班次）、{} 条服务记录（其中 {} 条更正）、{} 条点单和一项活动统计，用时 {:.0} 秒",
                g.volunteers,
                g.teams,
                g.projects,
                g.shifts,
                g.records,
                g.corrections,
                g.orders,
                g.seconds
            );
        }
        Command::RebuildStats { db } => {
            let app = open(&db).await?;
            stats::rebuild(&app).await?;
        }
        Command::VerifyStats { db } => {
            let app = open(&db).await?;
            if !stats::verify(&app).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Import(args) => {
            if !import::run(&args).await? {
                return Ok(ExitCode::from(2));
            }
        }
        Command::VerifyRecords { db } => {
            let app = open(&db).await?;
            if !verify::run(&app).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Bench {
            bench: BenchCommand::Checkin(args),
        } => {
            let outcome = bench::checkin(&args).await?;
            outcome.print();
            if !outcome.passed() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Bench {
            bench: BenchCommand::Dashboard(args),
        } => {
            bench_dashboard::run(&args).await?.print();
        }
        Command::Bench {
            bench: BenchCommand::Export(args),
        } => {
            bench_export::run(&args).await?.print();
        }
        Command::Bench {
            bench: BenchCommand::Import(args),
        } => {
            bench_import::run(&args).await?.print();
        }
        Command::Bench {
            bench: BenchCommand::Match(args),
        } => {
            let report = bench_match::run(&args).await?;
            report.print();
            if !report.consistent() {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Gives the memory freed while the indexes loaded (the rows read, each leaf's set) back to the
/// system: mimalloc keeps freed pages for reuse, hundreds of MiB after a large start-up.
pub(crate) fn release_free_memory() {
    // SAFETY: mi_collect only walks and trims mimalloc's own free lists
    unsafe { libmimalloc_sys::mi_collect(true) }
}

async fn open(db: &DbArgs) -> anyhow::Result<App> {
    let settings = db.settings();
    App::open(&settings)
        .await
        .with_context(|| format!("cannot open the database {}", redact(&settings.database_url)))
}

/// Every minute, moves orders not dispatched or accepted in time one site level up and forgets
/// idempotency keys older than a day.
fn spawn_minute_jobs(app: App) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match app.orders().escalate_overdue(chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(orders = n, "escalated overdue orders"),
                Err(e) => tracing::warn!(cause = %e.cause(), "escalating overdue orders failed"),
            }
            if let Err(e) = app.idempotency().purge_expired_keys().await {
                tracing::warn!(cause = %e.cause(), "purging idempotency keys failed");
            }
        }
    });
}

async fn load_demo(app: &App, size: DemoSize) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if app.load_demo(size).await? {
        println!(
            "演示数据已载入（{:.1} 秒）。演示账号（密码均为 {DEMO_PASSWORD}）：",
            started.elapsed().as_secs_f64()
        );
        for (user, role, scope) in DEMO_LOGINS {
            println!("  {user:<10} {role}（{scope}）");
        }
    } else {
        println!("数据库中已有数据，未重复载入演示数据。");
    }
    Ok(())
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn flags_parse_with_defaults() {
        let cli = Cli::try_parse_from(["zhiyuan", "serve", "--demo"]).unwrap();
        match cli.command {
            Command::Serve { db, bind, demo, .. } => {
                assert!(demo);
                assert_eq!(bind.to_string(), "127.0.0.1:8080");
                assert_eq!(db.data_dir, PathBuf::from("./zhiyuan-data"));
                assert!(db.settings().database_url.starts_with("sqlite://"));
            }
            _ => panic!("wrong command"),
        }
    }

    #[test]
    fn verify_and_bench_flags_parse() {
        let cli = Cli::try_parse_from(["zhiyuan", "verify-records", "--data-dir", "/tmp/x"]).unwrap();
        assert!(
            matches!(cli.command, Command::VerifyRecords { db } if db.data_dir.as_path() == std::path::Path::new("/tmp/x"))
        );
        let cli = Cli::try_parse_from(["zhiyuan", "bench", "checkin"]).unwrap();
        match cli.command {
            Command::Bench {
                bench: BenchCommand::Checkin(a),
            } => {
                assert_eq!((a.volunteers, a.shifts, a.clients), (100_000, 1_000, 32));
                assert!(a.database.is_none() && a.ops.is_none() && a.seconds.is_none());
            }
            _ => panic!("wrong command"),
        }
        let cli = Cli::try_parse_from([
            "zhiyuan",
            "bench",
            "checkin",
            "--database",
            "postgres://p@h/postgres",
            "--ops",
            "1000",
        ])
        .unwrap();
        assert!(
            matches!(cli.command, Command::Bench { bench: BenchCommand::Checkin(a) }
            if a.ops == Some(1000) && a.database.as_deref() == Some("postgres://p@h/postgres"))
        );
        assert!(
            Cli::try_parse_from(["zhiyuan", "bench", "checkin", "--ops", "1", "--seconds", "2"]).is_err()
        );
    }

    #[test]
    fn match_bench_flags_parse() {
        let cli = Cli::try_parse_from(["zhiyuan", "bench", "match"]).unwrap();
        match cli.command {
            Command::Bench {
                bench: BenchCommand::Match(a),
            } => {
                assert_eq!((a.volunteers, a.queries, a.pg_queries), (4_500_000, 10_000, 300));
                assert!(a.database.is_none() && a.pg_volunteers.is_none());
            }
            _ => panic!("wrong command"),
        }
        let cli = Cli::try_parse_from([
            "zhiyuan",
            "bench",
            "match",
            "--volunteers",
            "1000",
            "--seed",
            "5",
            "--database",
            "postgres://p@h/postgres",
        ])
        .unwrap();
        assert!(
            matches!(cli.command, Command::Bench { bench: BenchCommand::Match(a) }
            if a.volunteers == 1000 && a.seed == 5 && a.database.as_deref() == Some("postgres://p@h/postgres"))
        );
    }
}
