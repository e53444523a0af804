//! `zhiyuan bench match`: the matching index over millions of synthetic volunteers placed over
//! Beijing; then, with `--database`, the same queries answered by PostgreSQL (PostGIS when it is
//! installed, a latitude/longitude bounding box on a b-tree otherwise) on the same data.
//!
//! Volunteers are drawn with a fixed seed: a district chosen in proportion to its residents
//! (2020 census), a position normally distributed around the district's rough centre (the
//! coordinates of the demo data) with a spread from the district's area, 0–3 skills from
//! [`SUGGESTED_SKILLS`], availability in the patterns of `domain::synth` (weekday evenings,
//! weekends, retired people's mornings), and a little load, rating and service history.
//! Queries follow the same population: a point, 1–2 required skills, a 1–3 hour window on a
//! weekday evening, a weekday daytime or a weekend, the top 20 within 5 km, at most 2 orders in
//! hand (load < 3).
//!
//! The index answers every query on this thread, one at a time. A sample of queries is checked
//! against a brute-force scan of all volunteers; PostgreSQL answers a subset, ranked in SQL by the
//! same score with the same haversine, and every answer is compared with the index's.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sqlx::{ConnectOptions, Connection, PgConnection, Row};
use zhiyuan_domain::people::availability::WeeklyAvailability;
use zhiyuan_domain::tags::SUGGESTED_SKILLS;
use zhiyuan_matching::{distance_m, score, window_from_cells, Entry, Hit, Index, Query};

/// "Now" of every query and of the service history: 2026-11-23 00:00 Beijing time.
const NOW_MS: i64 = 1_795_363_200_000;
const DAY_MS: i64 = 86_400_000;
/// Volunteers generated and indexed per batch.
const BATCH: usize = 50_000;
const KM_PER_DEG_LAT: f64 = 111.32;

/// Beijing's districts: code, English name, rough centre (as in the demo data), residents in
/// ten thousands (2020 census) and the spread (km, one standard deviation) of positions.
/// The spread is √(area / 2π) for the city districts; the outer districts' people live in a few
/// towns, so their spread is capped at 8 km (6 km for Mentougou, whose town is at the city edge).
pub(crate) const DISTRICTS: &[(&str, &str, f64, f64, f64, f64)] = &[
    ("110101", "Dongcheng", 39.9288, 116.4160, 70.9, 2.6),
    ("110102", "Xicheng", 39.9123, 116.3660, 110.6, 2.8),
    ("110105", "Chaoyang", 39.9215, 116.4430, 345.2, 8.7),
    ("110106", "Fengtai", 39.8585, 116.2870, 201.9, 7.0),
    ("110107", "Shijingshan", 39.9056, 116.2230, 56.8, 3.7),
    ("110108", "Haidian", 39.9593, 116.2980, 313.3, 8.3),
    ("110109", "Mentougou", 39.9405, 116.1020, 39.3, 6.0),
    ("110111", "Fangshan", 39.7355, 116.1430, 131.3, 8.0),
    ("110112", "Tongzhou", 39.9095, 116.6570, 184.0, 8.0),
    ("110113", "Shunyi", 40.1300, 116.6540, 132.4, 8.0),
    ("110114", "Changping", 40.2207, 116.2310, 226.9, 8.0),
    ("110115", "Daxing", 39.7270, 116.3410, 199.4, 8.0),
    ("110116", "Huairou", 40.3163, 116.6320, 44.1, 8.0),
    ("110117", "Pinggu", 40.1406, 117.1210, 45.7, 8.0),
    ("110118", "Miyun", 40.3770, 116.8430, 52.8, 8.0),
    ("110119", "Yanqing", 40.4565, 115.9750, 34.6, 8.0),
];

#[derive(clap::Args, Clone, Debug)]
pub struct MatchArgs {
    /// Synthetic volunteers to index.
    #[arg(long, default_value_t = 4_500_000)]
    pub volunteers: u32,
    /// Queries answered by the index.
    #[arg(long, default_value_t = 10_000)]
    pub queries: u32,
    /// Seed of the volunteers and the queries.
    #[arg(long, default_value_t = 20_261_123)]
    pub seed: u64,
    /// Queries also checked against a brute-force scan of every volunteer.
    #[arg(long, default_value_t = 20)]
    pub verify: u32,
    /// A PostgreSQL server URL (`postgres://…/postgres`): the run creates a database
    /// `zy_match_<pid>` there, loads the same volunteers, answers `--pg-queries` of the queries
    /// and drops the database. Omit to skip PostgreSQL.
    #[arg(long)]
    pub database: Option<String>,
    /// Queries answered by PostgreSQL (the first ones of the same list).
    #[arg(long, default_value_t = 300)]
    pub pg_queries: u32,
    /// Load only the first N volunteers into PostgreSQL and compare with an index of those N.
    #[arg(long)]
    pub pg_volunteers: Option<u32>,
}

/// Latency figures of one engine, microseconds, sorted.
#[derive(Clone, Debug, Default)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    fn from(mut v: Vec<u32>) -> Self {
        v.sort_unstable();
        Latencies(v)
    }

    /// The latency at quantile `q` (nearest rank) in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let n = self.0.len();
        let idx = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
        f64::from(self.0[idx]) / 1000.0
    }

    pub fn mean_ms(&self) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.iter().map(|&u| f64::from(u)).sum::<f64>() / self.0.len() as f64 / 1000.0
    }
}

/// What PostgreSQL did.
#[derive(Clone, Debug)]
pub struct PgOutcome {
    pub postgis: Option<String>,
    pub volunteers: u32,
    pub load: Duration,
    pub index: Duration,
    pub table_bytes: i64,
    pub index_bytes: i64,
    pub latencies: Latencies,
    /// The index answered over the same (possibly smaller) population.
    pub index_latencies: Latencies,
    pub compared: u32,
    pub identical: u32,
    pub mismatches: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub volunteers: u32,
    pub seed: u64,
    pub generate: Duration,
    pub build: Duration,
    pub index_bytes: usize,
    pub cells: usize,
    pub rss_before_kb: u64,
    pub rss_after_kb: u64,
    pub rss_peak_kb: u64,
    /// Wall clock per query.
    pub latencies: Latencies,
    /// CPU time of this thread per query.
    pub cpu: Latencies,
    /// /proc/loadavg after the queries.
    pub load_average: String,
    pub hits: u64,
    pub short: u32,
    pub empty: u32,
    pub verified: u32,
    pub verify_failures: Vec<String>,
    pub pg: Option<PgOutcome>,
    pub pg_error: Option<String>,
}

impl Report {
    /// Whether every comparison agreed.
    pub fn consistent(&self) -> bool {
        self.verify_failures.is_empty() && self.pg.as_ref().is_none_or(|p| p.mismatches.is_empty())
    }

    pub fn print(&self) {
        let n = self.latencies.0.len();
        let mb = |b: f64| b / (1024.0 * 1024.0);
        println!();
        println!(
            "== matching benchmark: {} volunteers, {} queries (top 20, 5 km, 1–2 skills, a window), seed {} ==",
            self.volunteers, n, self.seed
        );
        println!(
            "generate         {:.1} s (synthetic volunteers, not part of the index)",
            self.generate.as_secs_f64()
        );
        println!(
            "index build      {:.1} s ({} cells)",
            self.build.as_secs_f64(),
            self.cells
        );
        println!(
            "index memory     {:.0} MiB computed from the structures ({:.0} bytes per volunteer)",
            mb(self.index_bytes as f64),
            self.index_bytes as f64 / f64::from(self.volunteers.max(1))
        );
        println!(
            "process RSS      {:.0} MiB before, {:.0} MiB after the build, peak {:.0} MiB",
            self.rss_before_kb as f64 / 1024.0,
            self.rss_after_kb as f64 / 1024.0,
            self.rss_peak_kb as f64 / 1024.0
        );
        println!(
            "index wall clock p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms  mean {:.3} ms (one thread)",
            self.latencies.ms(0.5),
            self.latencies.ms(0.99),
            self.latencies.ms(1.0),
            self.latencies.mean_ms()
        );
        println!(
            "index CPU time   p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms  mean {:.3} ms (this thread's CPU clock; load average {})",
            self.cpu.ms(0.5),
            self.cpu.ms(0.99),
            self.cpu.ms(1.0),
            self.cpu.mean_ms(),
            self.load_average
        );
        println!(
            "hits             {:.1} per query; {} queries with fewer than 20, {} with none",
            self.hits as f64 / n.max(1) as f64,
            self.short,
            self.empty
        );
        println!(
            "brute force      {} queries checked, {} differ",
            self.verified,
            self.verify_failures.len()
        );
        for f in self.verify_failures.iter().take(5) {
            println!("  {f}");
        }
        match (&self.pg, &self.pg_error) {
            (Some(p), _) => {
                println!(
                    "PostgreSQL       {} ({} volunteers): COPY {:.1} s, index {:.1} s; table {:.0} MiB, indexes {:.0} MiB",
                    p.postgis
                        .as_deref()
                        .map(|v| format!("PostGIS {v}, GiST on geography, ST_DWithin"))
                        .unwrap_or_else(|| "no PostGIS: lat/lon bounding box on a b-tree".into()),
                    p.volunteers,
                    p.load.as_secs_f64(),
                    p.index.as_secs_f64(),
                    mb(p.table_bytes as f64),
                    mb(p.index_bytes as f64)
                );
                println!(
                    "PG latency       p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  mean {:.2} ms over {} queries",
                    p.latencies.ms(0.5),
                    p.latencies.ms(0.99),
                    p.latencies.ms(1.0),
                    p.latencies.mean_ms(),
                    p.latencies.0.len()
                );
                println!(
                    "index, same set  p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
                    p.index_latencies.ms(0.5),
                    p.index_latencies.ms(0.99),
                    p.index_latencies.ms(1.0)
                );
                println!(
                    "speed ratio      PG / index: {:.0}× at p50, {:.0}× at p99",
                    p.latencies.ms(0.5) / p.index_latencies.ms(0.5).max(1e-6),
                    p.latencies.ms(0.99) / p.index_latencies.ms(0.99).max(1e-6)
                );
                println!(
                    "same top 20      {} of {} queries identical (ids and order)",
                    p.identical, p.compared
                );
                for m in p.mismatches.iter().take(5) {
                    println!("  {m}");
                }
            }
            (None, Some(e)) => println!("PostgreSQL       failed: {e}"),
            (None, None) => println!("PostgreSQL       skipped (no --database)"),
        }
        println!(
            "result           {}",
            if self.consistent() {
                "CONSISTENT"
            } else {
                "INCONSISTENT"
            }
        );
    }
}

/// The synthetic population, reproducible from the seed.
struct Population {
    rng: StdRng,
    districts: WeightedIndex<f64>,
}

/// A point where people of district `DISTRICTS[d]` live: around its centre, normally spread.
pub(crate) fn point_in(rng: &mut StdRng, d: usize) -> (f64, f64) {
    let (_, _, lat, lon, _, sigma) = DISTRICTS[d];
    // Box–Muller: two independent normal offsets.
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    let r = sigma * (-2.0 * u1.ln()).sqrt();
    let theta = std::f64::consts::TAU * u2;
    let dlat = r * theta.sin() / KM_PER_DEG_LAT;
    let dlon = r * theta.cos() / (KM_PER_DEG_LAT * lat.to_radians().cos());
    (lat + dlat, lon + dlon)
}

impl Population {
    fn new(seed: u64) -> Self {
        Population {
            rng: StdRng::seed_from_u64(seed),
            districts: WeightedIndex::new(DISTRICTS.iter().map(|d| d.4)).expect("positive weights"),
        }
    }

    /// A point where people live.
    fn point(&mut self) -> (f64, f64) {
        let d = self.districts.sample(&mut self.rng);
        point_in(&mut self.rng, d)
    }

    /// The availability patterns of `domain::synth`.
    fn availability(&mut self) -> WeeklyAvailability {
        let rng = &mut self.rng;
        let mut a = WeeklyAvailability::default();
        let retired = rng.gen_range(16..=75) >= 60;
        let pattern = rng.gen_range(0..if retired { 4 } else { 3 });
        if pattern == 0 || pattern == 2 {
            let start = rng.gen_range(18..=19u8);
            let end = rng.gen_range(start + 2..=22);
            for day in 0..5 {
                if rng.gen_bool(0.85) {
                    a.set_range(day, start, end);
                }
            }
        }
        if pattern == 1 || pattern == 2 {
            let (start, end) = *[(9u8, 12u8), (14, 17), (9, 17), (8, 11), (13, 18)]
                .choose(rng)
                .expect("non-empty");
            let days: &[u8] = [&[5u8, 6][..], &[5], &[6]].choose(rng).expect("non-empty");
            for &day in days {
                a.set_range(day, start, end);
            }
        }
        if pattern == 3 {
            let (start, end) = *[(8u8, 11u8), (9, 11), (9, 12), (14, 17)]
                .choose(rng)
                .expect("non-empty");
            for day in 0..5 {
                a.set_range(day, start, end);
            }
        }
        if a.is_empty() {
            a.set_range(5, 9, 12);
        }
        a
    }

    fn volunteer(&mut self, id: i64) -> Entry {
        let (lat, lon) = self.point();
        let n = self.rng.gen_range(0..=3);
        let skills = SUGGESTED_SKILLS
            .choose_multiple(&mut self.rng, n)
            .map(|s| s.to_string())
            .collect();
        let availability = self.availability();
        let rng = &mut self.rng;
        let load = match rng.gen_range(0..100) {
            0..80 => 0,
            80..95 => 1,
            95..99 => 2,
            _ => 3,
        };
        let (rating_sum, rating_count) = if rng.gen_bool(0.5) {
            (0, 0)
        } else {
            let count = rng.gen_range(1..=30u32);
            (3 * count + rng.gen_range(0..=2 * count), count)
        };
        let last_served_at = rng
            .gen_bool(0.65)
            .then(|| NOW_MS - rng.gen_range(0..365 * DAY_MS));
        Entry {
            id,
            lat,
            lon,
            skills,
            availability,
            load,
            rating_sum,
            rating_count,
            last_served_at,
        }
    }

    fn query(&mut self) -> Query {
        let (lat, lon) = self.point();
        let rng = &mut self.rng;
        let n = rng.gen_range(1..=2);
        let skills = SUGGESTED_SKILLS
            .choose_multiple(rng, n)
            .map(|s| s.to_string())
            .collect();
        let day = rng.gen_range(0..7u8);
        let start = if day >= 5 {
            rng.gen_range(8..=16u8)
        } else if rng.gen_bool(0.7) {
            rng.gen_range(18..=20u8)
        } else {
            rng.gen_range(9..=15u8)
        };
        let hours = rng.gen_range(1..=3u8);
        let cells: Vec<(u8, u8)> = (start..(start + hours).min(24)).map(|h| (day, h)).collect();
        Query {
            lat,
            lon,
            radius_m: 5_000.0,
            skills,
            window: window_from_cells(&cells),
            max_load: Some(3),
            only: None,
            k: 20,
            now_ms: NOW_MS,
        }
    }
}

/// The volunteers of a run, in batches (the same sequence for the same seed).
fn volunteers(seed: u64, n: u32) -> impl Iterator<Item = Vec<Entry>> {
    let mut pop = Population::new(seed);
    let mut next = 1i64;
    let end = i64::from(n) + 1;
    std::iter::from_fn(move || {
        if next >= end {
            return None;
        }
        let upto = (next + BATCH as i64).min(end);
        let batch = (next..upto).map(|id| pop.volunteer(id)).collect();
        next = upto;
        Some(batch)
    })
}

fn queries(seed: u64, n: u32) -> Vec<Query> {
    let mut pop = Population::new(seed ^ 0x9e37_79b9_7f4a_7c15);
    (0..n).map(|_| pop.query()).collect()
}

/// A field of /proc/self/status in kB (0 where unavailable).
fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn builds(seed: u64, n: u32) -> (Index, Duration, Duration) {
    let mut index = Index::new();
    let (mut generate, mut build) = (Duration::ZERO, Duration::ZERO);
    let mut batches = volunteers(seed, n);
    loop {
        let t = Instant::now();
        let Some(batch) = batches.next() else { break };
        generate += t.elapsed();
        let t = Instant::now();
        for e in batch {
            index.upsert(e).expect("generated positions are valid");
        }
        build += t.elapsed();
    }
    let t = Instant::now();
    index.shrink_to_fit();
    build += t.elapsed();
    (index, generate, build)
}

/// CPU time consumed by this thread, nanoseconds (`CLOCK_THREAD_CPUTIME_ID`): unlike the wall
/// clock it does not count time spent waiting for a core that other processes hold.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the kernel knows.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Answers every query on this thread: the hits, wall-clock latencies and CPU times.
fn answer_all(index: &Index, qs: &[Query]) -> (Vec<Vec<Hit>>, Latencies, Latencies) {
    let mut wall = Vec::with_capacity(qs.len());
    let mut cpu = Vec::with_capacity(qs.len());
    let mut out = Vec::with_capacity(qs.len());
    for q in qs {
        let c = thread_cpu_ns();
        let t = Instant::now();
        let hits = index.query(q);
        wall.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        cpu.push((thread_cpu_ns().saturating_sub(c) / 1_000).min(u64::from(u32::MAX)) as u32);
        out.push(hits);
    }
    (out, Latencies::from(wall), Latencies::from(cpu))
}

/// Answers `qs` by scanning every generated volunteer (one pass for all of them).
fn brute_force(seed: u64, n: u32, qs: &[Query]) -> Vec<Vec<Hit>> {
    let mut found: Vec<Vec<Hit>> = vec![Vec::new(); qs.len()];
    for batch in volunteers(seed, n) {
        for e in &batch {
            for (q, f) in qs.iter().zip(found.iter_mut()) {
                if !q.skills.iter().all(|s| e.skills.contains(s))
                    || e.availability.intersection(&q.window) != q.window
                    || q.max_load.is_some_and(|m| e.load >= m)
                {
                    continue;
                }
                let d = distance_m(q.lat, q.lon, e.lat, e.lon);
                if d > q.radius_m {
                    continue;
                }
                let (s, reason) = score::score(
                    d,
                    q.radius_m,
                    e.rating_sum,
                    e.rating_count,
                    e.load,
                    e.last_served_at,
                    q.now_ms,
                );
                f.push(Hit {
                    id: e.id,
                    distance_m: d,
                    score: s,
                    reason,
                });
            }
        }
    }
    for (q, f) in qs.iter().zip(found.iter_mut()) {
        f.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        f.truncate(q.k);
    }
    found
}

fn ids(hits: &[Hit]) -> Vec<i64> {
    hits.iter().map(|h| h.id).collect()
}

pub async fn run(args: &MatchArgs) -> anyhow::Result<Report> {
    if args.volunteers == 0 || args.queries == 0 {
        bail!("--volunteers and --queries must be positive");
    }
    let qs = queries(args.seed, args.queries);
    let rss_before_kb = proc_status_kb("VmRSS:");
    println!("building the index of {} volunteers …", args.volunteers);
    let (index, generate, build) = builds(args.seed, args.volunteers);
    let rss_after_kb = proc_status_kb("VmRSS:");
    let rss_peak_kb = proc_status_kb("VmHWM:");
    println!("answering {} queries …", qs.len());
    let (answers, latencies, cpu) = answer_all(&index, &qs);
    let verify_n = (args.verify as usize).min(qs.len());
    println!("checking {verify_n} queries by brute force …");
    let expected = brute_force(args.seed, args.volunteers, &qs[..verify_n]);
    let verify_failures = expected
        .iter()
        .zip(&answers)
        .enumerate()
        .filter(|(_, (e, a))| e != a)
        .map(|(i, (e, a))| format!("query {i}: index {:?}, brute force {:?}", ids(a), ids(e)))
        .collect();
    let mut report = Report {
        volunteers: args.volunteers,
        seed: args.seed,
        generate,
        build,
        index_bytes: index.memory_bytes(),
        cells: index.cell_count(),
        rss_before_kb,
        rss_after_kb,
        rss_peak_kb,
        hits: answers.iter().map(|a| a.len() as u64).sum(),
        short: answers.iter().filter(|a| a.len() < 20).count() as u32,
        empty: answers.iter().filter(|a| a.is_empty()).count() as u32,
        latencies,
        cpu,
        load_average: std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        verified: verify_n as u32,
        verify_failures,
        pg: None,
        pg_error: None,
    };
    if let Some(url) = &args.database {
        let pg_n = args.pg_volunteers.unwrap_or(args.volunteers).min(args.volunteers);
        let pg_qs = &qs[..(args.pg_queries as usize).min(qs.len())];
        // A smaller PostgreSQL population is compared with an index of the same volunteers.
        let (index_answers, index_latencies) = if pg_n == args.volunteers {
            (answers[..pg_qs.len()].to_vec(), answer_all(&index, pg_qs).1)
        } else {
            drop(index);
            let (small, _, _) = builds(args.seed, pg_n);
            let (a, l, _) = answer_all(&small, pg_qs);
            (a, l)
        };
        match postgres(url, args.seed, pg_n, pg_qs, &index_answers).await {
            Ok(mut p) => {
                p.index_latencies = index_latencies;
                report.pg = Some(p);
            }
            Err(e) => report.pg_error = Some(format!("{e:#}")),
        }
    }
    Ok(report)
}

/// The skills as bits of [`SUGGESTED_SKILLS`] positions.
fn skill_mask(skills: &[String]) -> i64 {
    skills
        .iter()
        .filter_map(|s| SUGGESTED_SKILLS.iter().position(|t| t == s))
        .fold(0i64, |m, i| m | (1 << i))
}

/// The 168 availability bits as three words (bit `i` of the week is bit `i % 64` of word `i / 64`).
fn words(a: &WeeklyAvailability) -> [i64; 3] {
    let mut w = [0u64; 3];
    for (i, b) in a.as_bytes().iter().enumerate() {
        w[i / 8] |= u64::from(*b) << (8 * (i % 8));
    }
    w.map(|x| x as i64)
}

/// Creates the database, runs, and drops it whatever happened.
async fn postgres(
    url: &str,
    seed: u64,
    n: u32,
    qs: &[Query],
    expected: &[Vec<Hit>],
) -> anyhow::Result<PgOutcome> {
    let name = format!("zy_match_{}", std::process::id());
    let mut admin = PgConnection::connect(url)
        .await
        .with_context(|| format!("cannot connect to {}", crate::redact(url)))?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .context("create the benchmark database")?;
    println!("PostgreSQL database {name} created");
    let (base, _) = url
        .split('?')
        .next()
        .unwrap_or(url)
        .rsplit_once('/')
        .context("the PostgreSQL URL needs a /database path")?;
    let result = pg_run(&format!("{base}/{name}"), seed, n, qs, expected).await;
    match sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
    {
        Ok(_) => println!("PostgreSQL database {name} dropped"),
        Err(e) => eprintln!("could not drop the database {name}: {e}"),
    }
    result
}

/// The score of `zhiyuan_matching::score`, operation for operation, with the domain haversine.
/// `$10` is the Rust degrees-to-radians factor, so both sides multiply by the same constant.
const SCORE_SQL: &str = "
SELECT id FROM (
  SELECT id, d,
    0.5::float8 * (CASE WHEN $3 > 0::float8 THEN greatest(0::float8, least(1::float8, 1::float8 - d / $3)) ELSE 1::float8 END)
    + 0.2::float8 * greatest(0::float8, least(1::float8,
        ((rating_sum::float8 + 20::float8) / (rating_count::float8 + 5::float8) - 1::float8) / 4::float8))
    + 0.3::float8 * (0.7::float8 * (CASE WHEN last_served_at IS NULL THEN 1::float8
                       ELSE least(greatest($9 - last_served_at, 0)::float8 / 86400000::float8, 30::float8) / 30::float8 END)
                     + (1::float8 - 0.7::float8) / (1::float8 + load::float8)) AS score
  FROM (
    SELECT id, load, rating_sum, rating_count, last_served_at,
      12742017.6::float8 * asin(least(sqrt(t.sp * t.sp + cos($1 * $10) * cos(lat * $10) * (t.sl * t.sl)), 1::float8)) AS d
    FROM mv, LATERAL (SELECT sin((lat - $1) * $10 / 2::float8) AS sp, sin((lon - $2) * $10 / 2::float8) AS sl) t
    WHERE {near}
      AND skills & $4 = $4 AND a0 & $5 = $5 AND a1 & $6 = $6 AND a2 & $7 = $7 AND load < $8
  ) c
  WHERE d <= $3
) s
ORDER BY score DESC, id
LIMIT $11";

const NEAR_POSTGIS: &str =
    "ST_DWithin(geog, ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography, $3 * 1.001::float8 + 1::float8, false)";
const NEAR_BOX: &str = "lat BETWEEN $12 AND $13 AND lon BETWEEN $14 AND $15";

async fn pg_run(
    url: &str,
    seed: u64,
    n: u32,
    qs: &[Query],
    expected: &[Vec<Hit>],
) -> anyhow::Result<PgOutcome> {
    // Most statements here are slow on purpose; sqlx would log each one.
    let mut conn = url
        .parse::<sqlx::postgres::PgConnectOptions>()?
        .disable_statement_logging()
        .connect()
        .await?;
    let postgis = match sqlx::query("CREATE EXTENSION IF NOT EXISTS postgis")
        .execute(&mut conn)
        .await
    {
        Ok(_) => {
            let (v,): (String,) =
                sqlx::query_as("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
                    .fetch_one(&mut conn)
                    .await?;
            Some(v)
        }
        Err(e) => {
            println!("PostGIS is not available ({e}); falling back to a lat/lon bounding box on a b-tree");
            None
        }
    };
    let geog = if postgis.is_some() {
        ", geog geography(Point, 4326) NOT NULL"
    } else {
        ""
    };
    sqlx::query(&format!(
        "CREATE TABLE mv (id BIGINT NOT NULL, lat FLOAT8 NOT NULL, lon FLOAT8 NOT NULL, skills BIGINT NOT NULL, \
         a0 BIGINT NOT NULL, a1 BIGINT NOT NULL, a2 BIGINT NOT NULL, load INT NOT NULL, rating_sum INT NOT NULL, \
         rating_count INT NOT NULL, last_served_at BIGINT{geog})"
    ))
    .execute(&mut conn)
    .await?;

    println!("PostgreSQL: COPY {n} volunteers …");
    let started = Instant::now();
    let cols = if postgis.is_some() {
        "id, lat, lon, skills, a0, a1, a2, load, rating_sum, rating_count, last_served_at, geog"
    } else {
        "id, lat, lon, skills, a0, a1, a2, load, rating_sum, rating_count, last_served_at"
    };
    let mut copy = conn.copy_in_raw(&format!("COPY mv ({cols}) FROM STDIN")).await?;
    let mut buf = String::with_capacity(1 << 22);
    for batch in volunteers(seed, n) {
        for e in batch {
            use std::fmt::Write;
            let (lat, lon) = zhiyuan_matching::stored_position(e.lat, e.lon);
            let [a0, a1, a2] = words(&e.availability);
            let last = e
                .last_served_at
                .map(|t| t.to_string())
                .unwrap_or_else(|| "\\N".into());
            let _ = write!(
                buf,
                "{}\t{lat}\t{lon}\t{}\t{a0}\t{a1}\t{a2}\t{}\t{}\t{}\t{last}",
                e.id,
                skill_mask(&e.skills),
                e.load,
                e.rating_sum,
                e.rating_count
            );
            if postgis.is_some() {
                let _ = write!(buf, "\tSRID=4326;POINT({lon} {lat})");
            }
            buf.push('\n');
        }
        copy.send(buf.as_bytes()).await?;
        buf.clear();
    }
    copy.finish().await?;
    let load = started.elapsed();

    println!("PostgreSQL: indexes and ANALYZE …");
    let started = Instant::now();
    sqlx::query("ALTER TABLE mv ADD PRIMARY KEY (id)")
        .execute(&mut conn)
        .await?;
    let spatial = if postgis.is_some() {
        "CREATE INDEX mv_geog ON mv USING gist (geog)"
    } else {
        "CREATE INDEX mv_lat_lon ON mv (lat, lon)"
    };
    sqlx::query(spatial).execute(&mut conn).await?;
    sqlx::query("VACUUM ANALYZE mv").execute(&mut conn).await?;
    let index = started.elapsed();
    let (table_bytes, index_bytes): (i64, i64) =
        sqlx::query_as("SELECT pg_table_size('mv'), pg_indexes_size('mv')")
            .fetch_one(&mut conn)
            .await?;

    let sql = SCORE_SQL.replace("{near}", if postgis.is_some() { NEAR_POSTGIS } else { NEAR_BOX });
    let rad = 1.0f64.to_radians();
    println!("PostgreSQL: {} queries …", qs.len());
    let mut lat = Vec::with_capacity(qs.len());
    let mut identical = 0;
    let mut mismatches = Vec::new();
    for (i, (q, want)) in qs.iter().zip(expected).enumerate() {
        let [w0, w1, w2] = words(&q.window);
        let mut query = sqlx::query(&sql)
            .bind(q.lat)
            .bind(q.lon)
            .bind(q.radius_m)
            .bind(skill_mask(&q.skills))
            .bind(w0)
            .bind(w1)
            .bind(w2)
            .bind(
                q.max_load
                    .map_or(i32::MAX, |m| i32::try_from(m).unwrap_or(i32::MAX)),
            )
            .bind(q.now_ms)
            .bind(rad)
            .bind(q.k as i64);
        if postgis.is_none() {
            // A box that holds the circle: latitude ± r/R, longitude widened by 1/cos(lat) and 1 %.
            let dlat = (q.radius_m / zhiyuan_domain::network::geo::EARTH_RADIUS_M).to_degrees() * 1.01;
            let dlon = dlat / (q.lat.abs() + dlat).min(89.0).to_radians().cos();
            query = query
                .bind(q.lat - dlat)
                .bind(q.lat + dlat)
                .bind(q.lon - dlon)
                .bind(q.lon + dlon);
        }
        let t = Instant::now();
        let rows = query.fetch_all(&mut conn).await?;
        lat.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        let got: Vec<i64> = rows.iter().map(|r| r.get::<i64, _>(0)).collect();
        let want = ids(want);
        if got == want {
            identical += 1;
        } else {
            mismatches.push(format!("query {i}: PostgreSQL {got:?}, index {want:?}"));
        }
    }
    conn.close().await.ok();
    Ok(PgOutcome {
        postgis,
        volunteers: n,
        load,
        index,
        table_bytes,
        index_bytes,
        latencies: Latencies::from(lat),
        index_latencies: Latencies::default(),
        compared: qs.len() as u32,
        identical,
        mismatches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_population_is_reproducible_and_plausible() {
        let a: Vec<Entry> = volunteers(7, 2_000).flatten().collect();
        let b: Vec<Entry> = volunteers(7, 2_000).flatten().collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 2_000);
        assert_eq!(a.last().unwrap().id, 2_000);
        for e in &a {
            assert!(
                (39.0..41.5).contains(&e.lat) && (115.2..117.9).contains(&e.lon),
                "{e:?}"
            );
            assert!(e.skills.len() <= 3 && !e.availability.is_empty());
            assert!(e.rating_sum <= 5 * e.rating_count && e.rating_sum >= e.rating_count);
        }
        let q = queries(7, 100);
        assert!(q
            .iter()
            .all(|q| (1..=2).contains(&q.skills.len()) && !q.window.is_empty()));
    }

    #[test]
    fn skill_masks_and_words() {
        assert_eq!(skill_mask(&["急救".into(), "手语".into()]), 0b10001);
        let mut a = WeeklyAvailability::none();
        a.set(0, 0);
        a.set(2, 16); // bit 64
        a.set(6, 23); // bit 167
        assert_eq!(words(&a), [1, 1, 1 << 39]);
    }

    #[tokio::test]
    async fn a_small_run_agrees_with_brute_force() {
        let report = run(&MatchArgs {
            volunteers: 30_000,
            queries: 200,
            seed: 11,
            verify: 200,
            database: None,
            pg_queries: 0,
            pg_volunteers: None,
        })
        .await
        .unwrap();
        assert_eq!(report.verified, 200);
        assert!(report.verify_failures.is_empty(), "{:?}", report.verify_failures);
        assert!(report.hits > 0);
        assert!(report.consistent());
    }
}
