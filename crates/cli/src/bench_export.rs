//! `zhiyuan bench export`: the largest export an office makes — every service record of a
//! region over the last 12 months of data, as the records list behind the dashboard exports it
//! (`/api/v1/stats/records.xlsx`) — timed, with its rows, its file size and how far the
//! process's peak memory rose while it was written. Reads only, except for the export's own
//! audit entry (one row).

use std::time::{Duration, Instant};

use anyhow::Context;
use zhiyuan_app::stats::DashboardQuery;
use zhiyuan_app::{App, Caller, Scope};
use zhiyuan_domain::auth::Role;

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub db: crate::DbArgs,
    /// The region whose records are exported (12 digits).
    #[arg(long, default_value = "110000000000")]
    pub region: String,
    /// Runs of the export.
    #[arg(long, default_value_t = 2)]
    pub runs: usize,
}

pub struct Report {
    pub backend: String,
    pub region: String,
    pub period: String,
    pub rows: u64,
    pub bytes: u64,
    pub runs: Vec<Duration>,
    /// Peak RSS before the first export and after the last, MiB.
    pub peak_before: Option<f64>,
    pub peak_after: Option<f64>,
}

impl Report {
    pub fn print(&self) {
        println!(
            "zhiyuan bench export — {}: the service records of {} over {}",
            self.backend, self.region, self.period
        );
        let runs: Vec<String> = self
            .runs
            .iter()
            .map(|d| format!("{:.1} s", d.as_secs_f64()))
            .collect();
        let best = self.runs.iter().min().copied().unwrap_or_default();
        println!(
            "  {} rows, {:.1} MiB .xlsx; runs {} ({:.0} rows/s at best)",
            self.rows,
            self.bytes as f64 / 1048576.0,
            runs.join(", "),
            self.rows as f64 / best.as_secs_f64().max(1e-9)
        );
        let mib = |m: Option<f64>| {
            m.map(|m| format!("{m:.0} MiB"))
                .unwrap_or_else(|| "unknown".into())
        };
        println!(
            "  peak RSS before the exports {}, after {}",
            mib(self.peak_before),
            mib(self.peak_after)
        );
    }
}

/// The process's peak resident set so far (VmHWM), MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub async fn run(args: &ExportArgs) -> anyhow::Result<Report> {
    let settings = args.db.settings();
    let app = App::open(&settings).await.context("opening the database")?;
    let city = Caller {
        account_id: 0,
        username: "bench".into(),
        display_name: "基准测试".into(),
        role: Role::CityAdmin,
        scope: Scope::Region { prefix: "11".into() },
        volunteer_id: None,
    };
    let last_day: Option<String> = {
        let mut conn = app.store.read().await?;
        sqlx::query_scalar("SELECT MAX(service_date) FROM service_records")
            .fetch_one(&mut *conn)
            .await?
    };
    let last = last_day
        .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or_else(zhiyuan_app::today);
    use chrono::Datelike;
    let from = {
        let m0 = last.year() * 12 + last.month0() as i32 - 11;
        format!("{}-{:02}-01", m0 / 12, m0 % 12 + 1)
    };
    let to = chrono::NaiveDate::from_ymd_opt(last.year(), last.month(), 1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .and_then(|d| d.pred_opt())
        .context("the last month of data")?
        .to_string();
    let q = DashboardQuery {
        region: Some(args.region.clone()),
        from: Some(from.clone()),
        to: Some(to.clone()),
        ..Default::default()
    };
    let peak_before = peak_rss_mib();
    let mut runs = Vec::new();
    let (mut rows, mut bytes) = (0, 0);
    for _ in 0..args.runs.max(1) {
        let started = Instant::now();
        let e = app
            .stats()
            .export_records(&city, &q)
            .await
            .map_err(|e| anyhow::anyhow!("the export failed: {e:?}"))?;
        runs.push(started.elapsed());
        rows = e.rows;
        bytes = e.len();
    }
    Ok(Report {
        backend: format!("{:?}", app.store.backend()),
        region: args.region.clone(),
        period: format!("{from} 至 {to}"),
        rows,
        bytes,
        runs,
        peak_before,
        peak_after: peak_rss_mib(),
    })
}

#[cfg(test)]
mod tests {
    use zhiyuan_app::demo::DemoSize;
    use zhiyuan_app::Settings;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_benchmark_exports_a_region_s_last_twelve_months() {
        let dir = tempfile::tempdir().unwrap();
        {
            let app = App::open(&Settings::sqlite_in(dir.path())).await.unwrap();
            assert!(app.load_demo(DemoSize::SMALL).await.unwrap());
        }
        let args = ExportArgs {
            db: crate::DbArgs {
                data_dir: dir.path().to_owned(),
                database: None,
                sqlite_sync_full: false,
            },
            region: "110000000000".into(),
            runs: 1,
        };
        let r = run(&args).await.unwrap();
        assert!(r.rows > 0, "the demo has records in its last twelve months");
        assert!(r.bytes > 0);
        assert_eq!(r.runs.len(), 1);
    }
}
