//! `zhiyuan bench dashboard`: the statistics dashboards of a database, as offices open them —
//! the city, every district and a sample of townships, for a year, the last 12 months, a
//! quarter and a month, for every category and for a few single ones — and, side by side in the
//! same run, the plain SQL GROUP BY (district × category × month over a year) that the roll-ups
//! replace. Reads only: it never writes to the database it measures (start-up may build the
//! roll-ups once, as the server would).

use std::time::{Duration, Instant};

use anyhow::Context;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use zhiyuan_app::stats::DashboardQuery;
use zhiyuan_app::{App, Caller, Scope};
use zhiyuan_domain::auth::Role;

#[derive(clap::Args, Debug)]
pub struct DashboardArgs {
    #[command(flatten)]
    pub db: crate::DbArgs,
    /// How many times each view is measured (after one warm-up pass).
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Townships sampled (besides the city and every district).
    #[arg(long, default_value_t = 20)]
    pub townships: usize,
    /// Runs of the plain GROUP BY (it is slow at scale).
    #[arg(long, default_value_t = 3)]
    pub sql_runs: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// Latencies of one kind of view.
pub struct Series {
    pub name: &'static str,
    pub micros: Vec<u128>,
}

impl Series {
    fn quantile_ms(&self, q: f64) -> f64 {
        if self.micros.is_empty() {
            return 0.0;
        }
        let mut v = self.micros.clone();
        v.sort_unstable();
        let idx = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v[idx] as f64 / 1000.0
    }
}

pub struct Report {
    pub backend: String,
    pub records: i64,
    pub volunteers: i64,
    pub open: Duration,
    pub rss_mib: Option<f64>,
    pub cells: usize,
    pub leaves: usize,
    pub heap: zhiyuan_domain::stats::index::HeapEstimate,
    /// (depth, span kind, every category, cells, bytes)
    pub cell_kinds: Vec<(usize, char, bool, usize, usize)>,
    pub series: Vec<Series>,
    pub sql: Vec<Duration>,
    pub year: i32,
}

impl Report {
    pub fn print(&self) {
        println!(
            "zhiyuan bench dashboard — {} with {} volunteers and {} service records",
            self.backend, self.volunteers, self.records
        );
        println!(
            "  start-up (migrate, load the roll-ups and the matching index): {:.1} s, RSS afterwards {}; {} cells, {} leaves",
            self.open.as_secs_f64(),
            self.rss_mib.map(|m| format!("{m:.0} MiB")).unwrap_or_else(|| "unknown".into()),
            self.cells,
            self.leaves
        );
        let mib = |b: usize| b as f64 / 1_048_576.0;
        println!(
            "  index by part (estimated): cells {:.0} MiB, leaves {:.0} MiB, volunteer numbers {:.0} MiB, residents {:.0} MiB, tallies {:.0} MiB",
            mib(self.heap.cells),
            mib(self.heap.leaves),
            mib(self.heap.slots),
            mib(self.heap.residents),
            mib(self.heap.tallies)
        );
        // by depth under the root: Beijing's 11 (province level), 1101 (市辖区), districts, townships
        let level = ["province", "prefecture", "county", "township", "village", "below"];
        let kinds: Vec<String> = self
            .cell_kinds
            .iter()
            .map(|(d, kind, all, n, b)| {
                format!(
                    "{}·{kind}·{} {n} = {:.0}",
                    level[(*d).min(5)],
                    if *all { "all" } else { "cat" },
                    mib(*b)
                )
            })
            .collect();
        println!(
            "  cells by level·span·category (count = MiB): {}",
            kinds.join(", ")
        );
        println!(
            "  {:<28} {:>7} {:>9} {:>9} {:>9}",
            "dashboard view", "runs", "p50 ms", "p99 ms", "max ms"
        );
        for s in &self.series {
            println!(
                "  {:<28} {:>7} {:>9.2} {:>9.2} {:>9.2}",
                s.name,
                s.micros.len(),
                s.quantile_ms(0.5),
                s.quantile_ms(0.99),
                s.quantile_ms(1.0)
            );
        }
        let sql: Vec<String> = self
            .sql
            .iter()
            .map(|d| format!("{:.0} ms", d.as_secs_f64() * 1000.0))
            .collect();
        println!(
            "  plain SQL GROUP BY district × category × month over {}: {}",
            self.year,
            sql.join(", ")
        );
    }
}

fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

pub async fn run(args: &DashboardArgs) -> anyhow::Result<Report> {
    let settings = args.db.settings();
    let started = Instant::now();
    let app = App::open(&settings).await.context("opening the database")?;
    crate::release_free_memory();
    let open = started.elapsed();
    let rss = rss_mib();
    let city = Caller {
        account_id: 0,
        username: "bench".into(),
        display_name: "基准测试".into(),
        role: Role::CityAdmin,
        scope: Scope::Region { prefix: "11".into() },
        volunteer_id: None,
    };
    let mut conn = app.store.read().await?;
    let (records, last_day): (i64, Option<String>) =
        sqlx::query_as("SELECT COUNT(*), MAX(service_date) FROM service_records")
            .fetch_one(&mut *conn)
            .await?;
    let (volunteers,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM volunteers")
        .fetch_one(&mut *conn)
        .await?;
    let districts: Vec<(String,)> =
        sqlx::query_as("SELECT code FROM regions WHERE parent_code = '110000000000' ORDER BY code")
            .fetch_all(&mut *conn)
            .await?;
    let mut townships: Vec<(String,)> =
        sqlx::query_as("SELECT code FROM regions WHERE level = 'township' AND code LIKE '11%' ORDER BY code")
            .fetch_all(&mut *conn)
            .await?;
    drop(conn);
    let mut rng = StdRng::seed_from_u64(args.seed);
    townships.shuffle(&mut rng);
    townships.truncate(args.townships);
    let last = last_day
        .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or_else(zhiyuan_app::today);
    use chrono::Datelike;
    let year = last.year();
    let twelve_from = {
        let m0 = last.year() * 12 + last.month0() as i32 - 11;
        format!("{}-{:02}-01", m0 / 12, m0 % 12 + 1)
    };
    let last_month_end = {
        let first = chrono::NaiveDate::from_ymd_opt(last.year(), last.month(), 1).expect("a month");
        first
            .checked_add_months(chrono::Months::new(1))
            .and_then(|d| d.pred_opt())
            .expect("a day")
    };
    let periods: Vec<(&'static str, DashboardQuery)> = vec![
        (
            "year",
            DashboardQuery {
                year: Some(year.to_string()),
                ..Default::default()
            },
        ),
        (
            "12 months",
            DashboardQuery {
                from: Some(twelve_from),
                to: Some(last_month_end.to_string()),
                ..Default::default()
            },
        ),
        (
            "quarter",
            DashboardQuery {
                quarter: Some(format!("{year}-Q{}", (last.month() - 1) / 3 + 1)),
                ..Default::default()
            },
        ),
        (
            "month",
            DashboardQuery {
                month: Some(format!("{year}-{:02}", last.month())),
                ..Default::default()
            },
        ),
    ];
    let categories: [Option<&str>; 3] = [None, Some("elderly_disabled"), Some("community")];
    let mut views: Vec<(usize, usize, DashboardQuery)> = Vec::new();
    let scopes: Vec<(usize, String)> = std::iter::once((0, "110000000000".to_owned()))
        .chain(districts.into_iter().map(|(c,)| (1, c)))
        .chain(townships.into_iter().map(|(c,)| (2, c)))
        .collect();
    for (level, code) in &scopes {
        for (period, (_, p)) in periods.iter().enumerate() {
            for c in categories {
                let mut q = p.clone();
                q.region = Some(code.clone());
                q.category = c.map(str::to_owned);
                views.push((*level, period, q));
            }
        }
    }
    views.shuffle(&mut rng);
    let mut series = vec![
        Series {
            name: "city (11)",
            micros: Vec::new(),
        },
        Series {
            name: "a district",
            micros: Vec::new(),
        },
        Series {
            name: "a township",
            micros: Vec::new(),
        },
    ];
    let mut by_period: Vec<Series> = periods
        .iter()
        .map(|(name, _)| Series {
            name,
            micros: Vec::new(),
        })
        .collect();
    for round in 0..=args.rounds {
        for (level, period, q) in &views {
            let t = Instant::now();
            app.stats()
                .dashboard(&city, q)
                .await
                .with_context(|| format!("dashboard {q:?}"))?;
            if round > 0 {
                let micros = t.elapsed().as_micros();
                series[*level].micros.push(micros);
                by_period[*period].micros.push(micros);
            }
        }
    }
    let mut all = Series {
        name: "every view",
        micros: Vec::new(),
    };
    for s in &series {
        all.micros.extend(&s.micros);
    }
    series.push(all);
    for p in &mut by_period {
        p.name = match p.name {
            "year" => "  of which a year",
            "12 months" => "  of which 12 months",
            "quarter" => "  of which a quarter",
            _ => "  of which a month",
        };
    }
    series.extend(by_period);
    let mut sql = Vec::new();
    let plain = "SELECT substr(r.region_code, 1, 6) AS district, r.category, substr(r.service_date, 1, 7) AS month, \
                 CAST(SUM(r.minutes) AS BIGINT), COUNT(*), COUNT(DISTINCT r.volunteer_id) FROM service_records r \
                 WHERE r.status = 'confirmed' AND NOT EXISTS (SELECT 1 FROM service_records n WHERE n.supersedes = r.id) \
                 AND r.service_date >= $1 AND r.service_date <= $2 GROUP BY 1, 2, 3";
    for _ in 0..args.sql_runs {
        let mut conn = app.store.read().await?;
        let t = Instant::now();
        let rows = sqlx::query(plain)
            .bind(format!("{year}-01-01"))
            .bind(format!("{year}-12-31"))
            .fetch_all(&mut *conn)
            .await?;
        sql.push(t.elapsed());
        drop(rows);
    }
    let (cells, leaves) = app.stats().index_size();
    let heap = app.stats().index_heap();
    let cell_kinds = app.stats().index_cells_by_kind();
    Ok(Report {
        backend: format!("{:?}", app.store.backend()),
        records,
        volunteers,
        open,
        rss_mib: rss,
        cells,
        leaves,
        heap,
        cell_kinds,
        series,
        sql,
        year,
    })
}

#[cfg(test)]
mod tests {
    use zhiyuan_app::demo::DemoSize;
    use zhiyuan_app::Settings;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_benchmark_measures_every_kind_of_view_on_a_database() {
        let dir = tempfile::tempdir().unwrap();
        {
            let app = App::open(&Settings::sqlite_in(dir.path())).await.unwrap();
            assert!(app.load_demo(DemoSize::SMALL).await.unwrap());
        }
        let args = DashboardArgs {
            db: crate::DbArgs {
                data_dir: dir.path().to_owned(),
                database: None,
                sqlite_sync_full: false,
            },
            rounds: 1,
            townships: 2,
            sql_runs: 1,
            seed: 1,
        };
        let r = run(&args).await.unwrap();
        assert!(r.records > 0 && r.volunteers > 0);
        // the city, 16 districts, 2 townships × 4 periods × 3 category filters, once each; then
        // every view, and the views of each period
        let counts: Vec<usize> = r.series.iter().map(|s| s.micros.len()).collect();
        let each_period = 19 * 3;
        assert_eq!(
            counts,
            vec![
                12,
                16 * 12,
                2 * 12,
                12 + 16 * 12 + 2 * 12,
                each_period,
                each_period,
                each_period,
                each_period
            ]
        );
        assert_eq!(r.sql.len(), 1);
        assert!(r.cells > 0);
    }
}
