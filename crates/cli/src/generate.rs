//! `zhiyuan generate`: fills an empty database with realistic synthetic Beijing data at any
//! scale, the same database for the same seed — volunteers placed over the districts by
//! population and over their townships, practice centers and institutes, teams, records over
//! five years with a realistic skew (a few volunteers serve a lot), corrections, orders, and an
//! event with daily tallies; the statistics roll-ups are counted as the records are written.
//!
//! Rows are written with multi-row INSERTs in large transactions, with explicit ids (the
//! database is empty), and every service record is hash-chained exactly as the application
//! chains it, so `verify-records` and `verify-stats` hold on the result.

use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use zhiyuan_app::events::{EventInput, MetricInput, PostInput, TallyInput, TallyValue};
use zhiyuan_app::stats::upkeep::LeafTally;
use zhiyuan_app::App;
use zhiyuan_domain::auth::Role;
use zhiyuan_domain::people::volunteer_no::VolunteerNo;
use zhiyuan_domain::service::chain::{link_hash, RecordFacts, GENESIS};
use zhiyuan_domain::synth::Synth;
use zhiyuan_domain::tags::SERVICE_CATEGORIES;
use zhiyuan_store::{network::regions, Backend};

use crate::bench::{drop_secondary_indexes, insert_rows, inserts, run_inserts, Insert, V};
use crate::bench_match::{point_in, DISTRICTS};

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub db: crate::DbArgs,
    /// Registered volunteers.
    #[arg(long, default_value_t = 100_000)]
    pub volunteers: u64,
    /// Service records (rows, corrections included).
    #[arg(long, default_value_t = 1_000_000)]
    pub records: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Hide the progress bars (for logs and tests).
    #[arg(long)]
    pub quiet: bool,
}

const DAY_MS: i64 = 86_400_000;
/// Volunteers (with their records) per transaction.
const BATCH: usize = 20_000;

const VOLUNTEER_COLS: &[&str] = &[
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
    "lat",
    "lon",
    "created_at",
    "updated_at",
    "confirmed_minutes",
];

const RECORD_COLS: &[&str] = &[
    "id",
    "volunteer_id",
    "version",
    "supersedes",
    "organization_id",
    "region_code",
    "activity",
    "service_date",
    "place",
    "content",
    "served_minutes",
    "minutes",
    "organizer",
    "person_in_charge",
    "source",
    "status",
    "late",
    "reason",
    "created_at",
    "chain_seq",
    "prev_hash",
    "hash",
    "category",
];

#[derive(Clone)]
struct Team {
    id: i64,
    name: String,
    region: String,
    category: &'static str,
}

/// What was written, for the summary line.
pub struct Generated {
    pub volunteers: u64,
    pub records: u64,
    pub corrections: u64,
    pub teams: usize,
    pub projects: u64,
    pub shifts: u64,
    pub orders: u64,
    pub seconds: f64,
}

fn bar(total: u64, what: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(total);
    b.set_style(
        ProgressStyle::with_template("{msg:10} [{bar:40}] {pos}/{len} ({per_sec}, 剩余 {eta})")
            .expect("a template")
            .progress_chars("=> "),
    );
    b.set_message(what.to_owned());
    b
}

/// Records per volunteer: a lognormal draw (σ = 1.3) scaled to the mean, then evened out so the
/// total is exactly `total`: most serve a little, a few serve a lot.
fn record_counts(rng: &mut StdRng, n: usize, total: u64) -> Vec<u32> {
    if n == 0 {
        return Vec::new();
    }
    let mean = total as f64 / n as f64;
    let sigma = 1.3f64;
    let mut counts: Vec<u32> = (0..n)
        .map(|_| {
            // Box–Muller
            let (u1, u2): (f64, f64) = (rng.gen_range(1e-12..1.0), rng.gen());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            (mean * (sigma * z - sigma * sigma / 2.0).exp())
                .round()
                .min(5000.0) as u32
        })
        .collect();
    let mut sum: u64 = counts.iter().map(|&c| c as u64).sum();
    while sum != total {
        let i = rng.gen_range(0..n);
        if sum < total {
            counts[i] += 1;
            sum += 1;
        } else if counts[i] > 0 {
            counts[i] -= 1;
            sum -= 1;
        }
    }
    counts
}

/// Makes the volunteers and their records, batch by batch, on a thread of its own.
struct People {
    counts: Vec<u32>,
    app: App,
    rng: StdRng,
    synth: Synth,
    pick_district: WeightedIndex<f64>,
    district_towns: Vec<Vec<String>>,
    teams_of_district: Vec<Vec<usize>>,
    teams: Vec<Team>,
    today: chrono::NaiveDate,
    now: i64,
    five_years_ago: i64,
    next_record: i64,
    corrections: u64,
    tally: LeafTally,
}

impl People {
    /// Volunteers `first..last` (their rows) and their records (rows), hash-chained, with the
    /// current confirmed ones counted into the statistics leaves.
    fn batch(&mut self, first: usize, last: usize) -> (Vec<Vec<V>>, Vec<Vec<V>>) {
        let mut vol_rows = Vec::with_capacity(last - first);
        let mut rec_rows: Vec<Vec<V>> = Vec::new();
        for (i, &count) in self.counts.iter().enumerate().take(last).skip(first) {
            let id = i as i64 + 1;
            let d = self.pick_district.sample(&mut self.rng);
            let home = self.district_towns[d][self.rng.gen_range(0..self.district_towns[d].len())].clone();
            let p = self.synth.person(&home[..6], self.today);
            // where they take orders from (点单): near home, so every volunteer is in the
            // matching index, as the office's dispatchers would have it
            let (lat, lon) = point_in(&mut self.rng, d);
            let rid = &p.resident_id;
            let registered =
                self.five_years_ago + self.rng.gen_range(0..(self.now - self.five_years_ago).max(1));
            // their records: dates after registration, with a team of their district
            let k = count as usize;
            let mut dates: Vec<i64> = (0..k)
                .map(|_| self.rng.gen_range(registered..self.now.max(registered + 1)))
                .collect();
            dates.sort_unstable();
            let own_teams = &self.teams_of_district[d];
            let mut prev = GENESIS.to_owned();
            let mut seq = 0i64;
            let mut confirmed = 0i64;
            let mut j = 0;
            while j < k {
                let t = &self.teams[own_teams[self.rng.gen_range(0..own_teams.len())]];
                let date = chrono::DateTime::from_timestamp_millis(dates[j] + 8 * 3_600_000)
                    .map(|t| t.date_naive().to_string())
                    .unwrap_or_default();
                let served = 30 * self.rng.gen_range(2..=16i64);
                let minutes = self.app.rules().rounding.apply(served as u32) as i64;
                // about 1.5% are corrected later: a second version with other minutes
                let corrected = j + 1 < k && self.rng.gen_bool(0.015);
                let versions: Vec<(i64, Option<i64>, i64)> = if corrected {
                    let fixed = (minutes + 30 * self.rng.gen_range(-2..=2i64)).clamp(30, 1440);
                    vec![(1, None, minutes), (2, Some(self.next_record), fixed)]
                } else {
                    vec![(1, None, minutes)]
                };
                for (version, supersedes, m) in versions {
                    seq += 1;
                    let rec_id = self.next_record;
                    self.next_record += 1;
                    let activity = format!("{}志愿服务", t.name);
                    let created_at = dates[j] + DAY_MS;
                    let facts = RecordFacts {
                        record_id: rec_id,
                        volunteer_id: id,
                        version,
                        supersedes,
                        activity: &activity,
                        date: &date,
                        place: "社区",
                        content: "志愿服务",
                        minutes: m,
                        organizer: &t.name,
                        person_in_charge: "负责人",
                        status: "confirmed",
                        created_at,
                    };
                    let hash = link_hash(&prev, &facts);
                    rec_rows.push(vec![
                        V::I(rec_id),
                        V::I(id),
                        V::I(version),
                        supersedes.map(V::I).unwrap_or(V::N),
                        V::I(t.id),
                        V::S(t.region.clone()),
                        V::S(activity),
                        V::S(date.clone()),
                        V::S("社区".into()),
                        V::S("志愿服务".into()),
                        V::I(served),
                        V::I(m),
                        V::S(t.name.clone()),
                        V::S("负责人".into()),
                        V::S("team".into()),
                        V::S("confirmed".into()),
                        V::I(0),
                        V::S(if version > 1 {
                            "核实后更正".into()
                        } else {
                            String::new()
                        }),
                        V::I(created_at),
                        V::I(seq),
                        V::S(prev.clone()),
                        V::S(hash.clone()),
                        V::S(t.category.to_owned()),
                    ]);
                    prev = hash;
                    if version == 2 {
                        self.corrections += 1;
                    }
                    j += 1;
                }
                // the last version written is the current one: only it counts
                if let Some(V::I(m)) = rec_rows.last().map(|r| &r[11]) {
                    confirmed += m;
                    if !self.tally.add(&t.region, t.category, &date, id, *m) {
                        panic!("a generated record does not count: {} {date}", t.region);
                    }
                }
            }
            vol_rows.push(vec![
                V::I(id),
                V::S(VolunteerNo::new(&home[..6], id as u64).as_str().to_owned()),
                V::S(p.name.as_str().to_owned()),
                V::S(rid.gender().as_str().to_owned()),
                V::I(i64::from(rid.birth_year())),
                V::S(self.app.vault().encrypt(rid.as_str())),
                V::S(self.app.vault().lookup_hash(rid.as_str())),
                V::S(rid.masked()),
                V::S(p.phone.as_str().to_owned()),
                V::S(home),
                V::S(p.skills.join(",")),
                V::S(p.categories.join(",")),
                V::S(p.availability.to_hex()),
                V::F(lat),
                V::F(lon),
                V::I(registered),
                V::I(registered),
                V::I(confirmed),
            ]);
        }
        (vol_rows, rec_rows)
    }
}

/// Each team's projects over the five years (one to eight, as 37.7 万 projects stand to 7.69 万
/// organizations in Beijing), each with one to nine weekly shifts; a few were cancelled, those
/// whose last shift has passed are finished, the rest recruit.
async fn write_projects(
    store: &zhiyuan_store::Store,
    rng: &mut StdRng,
    teams: &[Team],
    now: i64,
    quiet: bool,
) -> anyhow::Result<(u64, u64)> {
    const WEEK_MS: i64 = 7 * DAY_MS;
    let progress = bar(teams.len() as u64, "项目与班次", quiet);
    let (mut next_project, mut next_shift) = (1i64, 1i64);
    for chunk in teams.chunks(5_000) {
        let (mut project_rows, mut shift_rows) = (Vec::new(), Vec::new());
        for t in chunk {
            for k in 0..rng.gen_range(1..=8) {
                let id = next_project;
                next_project += 1;
                let created = now - rng.gen_range(7..5 * 365) * DAY_MS;
                let n_shifts = rng.gen_range(1..=9i64);
                let first = created + rng.gen_range(1..14) * DAY_MS + rng.gen_range(8..18) * 3_600_000;
                let last_end = first + (n_shifts - 1) * WEEK_MS + 3 * 3_600_000;
                let status = if rng.gen_bool(0.03) {
                    "cancelled"
                } else if last_end < now {
                    "finished"
                } else {
                    "recruiting"
                };
                project_rows.push(vec![
                    V::I(id),
                    V::S(format!("{}第{}期志愿服务项目", t.name, k + 1)),
                    V::S(t.category.to_owned()),
                    V::I(t.id),
                    V::S(t.region.clone()),
                    V::S("社区".into()),
                    V::S("负责人".into()),
                    V::S(status.into()),
                    V::I(created),
                    V::I(created),
                ]);
                for w in 0..n_shifts {
                    let starts = first + w * WEEK_MS;
                    shift_rows.push(vec![
                        V::I(next_shift),
                        V::I(id),
                        V::I(starts),
                        V::I(starts + 3 * 3_600_000),
                        V::I(rng.gen_range(5..40)),
                        V::I(created),
                    ]);
                    next_shift += 1;
                }
            }
        }
        let mut tx = store.write().await?;
        insert_rows(
            &mut tx,
            "projects",
            &[
                "id",
                "title",
                "category",
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
                "created_at",
            ],
            &shift_rows,
        )
        .await?;
        tx.commit().await?;
        progress.inc(chunk.len() as u64);
    }
    progress.finish();
    Ok(((next_project - 1) as u64, (next_shift - 1) as u64))
}

pub async fn run(args: &GenerateArgs) -> anyhow::Result<Generated> {
    let started = Instant::now();
    let settings = args.db.settings();
    let app = App::open(&settings).await.context("opening the database")?;
    let store = &app.store;
    let backend = store.backend();
    let mut conn = store.read().await?;
    let (existing,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM volunteers")
        .fetch_one(&mut *conn)
        .await?;
    if existing > 0 {
        bail!("zhiyuan generate fills an empty database; this one already has {existing} volunteers");
    }
    let towns = regions::by_levels(&mut conn, &["township"]).await?;
    let menu: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, category FROM menu_items WHERE site_id IS NULL ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
    drop(conn);
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut synth = Synth::new(args.seed);
    let now = zhiyuan_store::now_millis();
    let today = zhiyuan_app::today();
    let five_years_ago = now - 5 * 365 * DAY_MS;

    // districts by population; each district's townships
    let district_towns: Vec<Vec<String>> = DISTRICTS
        .iter()
        .map(|d| {
            towns
                .iter()
                .filter(|t| t.code.starts_with(d.0))
                .map(|t| t.code.clone())
                .collect()
        })
        .collect();
    let weights: Vec<f64> = DISTRICTS
        .iter()
        .zip(&district_towns)
        .map(|(d, t)| if t.is_empty() { 0.0 } else { d.4 })
        .collect();
    let pick_district = WeightedIndex::new(&weights).context("no reference townships loaded")?;

    // practice centers (one a district) and institutes (one a township)
    let mut tx = store.write().await?;
    let mut site_rows = Vec::new();
    let mut institute_of = std::collections::HashMap::new();
    let mut next_site = 1i64;
    for (d, dt) in DISTRICTS.iter().zip(&district_towns) {
        let center = next_site;
        let district_name = towns
            .iter()
            .find(|t| t.code.starts_with(d.0))
            .map(|_| d.1)
            .unwrap_or(d.1);
        site_rows.push(vec![
            V::I(center),
            V::S(format!("{district_name} 新时代文明实践中心")),
            V::S("center".into()),
            V::S(format!("{}000000", d.0)),
            V::S(String::new()),
            V::I(now),
        ]);
        next_site += 1;
        for t in dt {
            institute_of.insert(t.clone(), next_site);
            let name = towns
                .iter()
                .find(|x| &x.code == t)
                .map(|x| x.name.clone())
                .unwrap_or_default();
            site_rows.push(vec![
                V::I(next_site),
                V::S(format!("{name}新时代文明实践所")),
                V::S("institute".into()),
                V::S(t.clone()),
                V::S(center.to_string()),
                V::I(now),
            ]);
            next_site += 1;
        }
    }
    // parent_id is bound as text above for brevity: write it as a number instead
    let site_rows: Vec<Vec<V>> = site_rows
        .into_iter()
        .map(|mut r| {
            if let V::S(p) = &r[4] {
                r[4] = if p.is_empty() {
                    V::N
                } else {
                    V::I(p.parse().unwrap_or(0))
                };
            }
            r
        })
        .collect();
    insert_rows(
        &mut tx,
        "sites",
        &["id", "name", "level", "region_code", "parent_id", "created_at"],
        &site_rows,
    )
    .await?;

    // teams: about one for 55 volunteers, in proportion to the districts' people
    let team_count = (args.volunteers as usize / 55).max(DISTRICTS.len());
    let mut teams: Vec<Team> = Vec::with_capacity(team_count);
    let mut teams_of_district: Vec<Vec<usize>> = vec![Vec::new(); DISTRICTS.len()];
    let mut team_rows = Vec::new();
    for i in 0..team_count {
        // every district gets at least one team
        let d = if i < DISTRICTS.len() && !district_towns[i].is_empty() {
            i
        } else {
            pick_district.sample(&mut rng)
        };
        let town = district_towns[d][rng.gen_range(0..district_towns[d].len())].clone();
        let id = i as i64 + 1;
        let category = SERVICE_CATEGORIES[rng.gen_range(0..SERVICE_CATEGORIES.len())].code;
        let town_name = towns
            .iter()
            .find(|x| x.code == town)
            .map(|x| x.name.clone())
            .unwrap_or_default();
        let name = format!("{}{}", town_name, synth.team_name(&town_name));
        team_rows.push(vec![
            V::I(id),
            V::S(name.clone()),
            V::S("team".into()),
            V::S(format!("/{id}/")),
            V::I(*institute_of.get(&town).unwrap_or(&1)),
            V::S(town.clone()),
            V::I(now - rng.gen_range(0..5 * 365) * DAY_MS),
        ]);
        teams_of_district[d].push(teams.len());
        teams.push(Team {
            id,
            name,
            region: town,
            category,
        });
    }
    insert_rows(
        &mut tx,
        "organizations",
        &[
            "id",
            "name",
            "kind",
            "path",
            "site_id",
            "region_code",
            "created_at",
        ],
        &team_rows,
    )
    .await?;
    tx.commit().await?;
    let (projects, shifts) = write_projects(store, &mut rng, &teams, now, args.quiet).await?;

    // volunteers and their records, batch by batch, into tables without their secondary
    // indexes (built again after the load) and, on SQLite, without waiting for the disk
    let mut tx = store.write().await?;
    let deferred = drop_secondary_indexes(
        &mut tx,
        &["volunteers", "service_records"],
        &["volunteer_id", "supersedes", "sign_up_id"],
    )
    .await?;
    tx.commit().await?;
    store.bulk_load(true).await?;
    let n = args.volunteers as usize;
    let mut people = People {
        counts: record_counts(&mut rng, n, args.records),
        app: app.clone(),
        rng,
        synth,
        pick_district: pick_district.clone(),
        district_towns: district_towns.clone(),
        teams_of_district,
        teams: teams.clone(),
        today,
        now,
        five_years_ago,
        next_record: 1,
        corrections: 0,
        tally: LeafTally::default(),
    };
    // one thread makes the rows while this one writes the previous batch
    // (with the statements bound there too: binding is a third of the writing thread's work)
    type Batch = (Vec<Insert>, Vec<Insert>, u64);
    let (send, mut batches) = tokio::sync::mpsc::channel::<Batch>(2);
    let sqlite = backend == Backend::Sqlite;
    let maker = tokio::task::spawn_blocking(move || {
        for first in (0..n).step_by(BATCH) {
            let (vol_rows, rec_rows) = people.batch(first, (first + BATCH).min(n));
            let batch = (
                inserts(sqlite, "volunteers", VOLUNTEER_COLS, &vol_rows),
                inserts(sqlite, "service_records", RECORD_COLS, &rec_rows),
                rec_rows.len() as u64,
            );
            drop((vol_rows, rec_rows));
            if send.blocking_send(batch).is_err() {
                break;
            }
        }
        people
    });
    let vols_bar = bar(args.records, "服务记录", args.quiet);
    while let Some((vol_rows, rec_rows, written)) = batches.recv().await {
        let mut tx = store.write().await?;
        run_inserts(&mut tx, "volunteers", vol_rows).await?;
        run_inserts(&mut tx, "service_records", rec_rows).await?;
        tx.commit().await?;
        vols_bar.inc(written);
    }
    let People {
        mut rng,
        corrections,
        tally,
        ..
    } = maker.await.context("making the volunteers' rows")?;
    vols_bar.finish();
    let loaded = started.elapsed();
    let index_bar = bar(deferred.len() as u64, "建立索引", args.quiet);
    for sql in &deferred {
        let mut tx = store.write().await?;
        sqlx::query(sql).execute(&mut *tx).await?;
        tx.commit().await?;
        index_bar.inc(1);
    }
    index_bar.finish();
    store.bulk_load(false).await?;
    let records_done = started.elapsed();

    // orders: residents' requests over the last year, most rated
    let order_count = (args.volunteers / 20).min(200_000);
    let mut tx = store.write().await?;
    let resident_ids: Vec<i64> = (1..=50).collect();
    let account_rows: Vec<Vec<V>> = resident_ids
        .iter()
        .map(|i| {
            vec![
                V::I(*i),
                V::S(format!("gen_resident_{i}")),
                // no password opens it: generated residents never log in
                V::S("!".into()),
                V::S(format!("居民{i}")),
                V::S(Role::Resident.as_str().into()),
                V::I(now),
            ]
        })
        .collect();
    insert_rows(
        &mut tx,
        "accounts",
        &[
            "id",
            "username",
            "password_hash",
            "display_name",
            "role",
            "created_at",
        ],
        &account_rows,
    )
    .await?;
    let statuses = [
        "rated",
        "rated",
        "rated",
        "completed",
        "accepted",
        "dispatched",
        "submitted",
        "cancelled",
        "rejected",
    ];
    let mut order_rows = Vec::new();
    for i in 0..order_count {
        let d = pick_district.sample(&mut rng);
        let town = &district_towns[d][rng.gen_range(0..district_towns[d].len())];
        let (item, name, category) = &menu[rng.gen_range(0..menu.len().max(1))];
        let submitted = now - rng.gen_range(0..365) * DAY_MS - rng.gen_range(0..DAY_MS);
        let status = statuses[rng.gen_range(0..statuses.len())];
        let dispatched = (!matches!(status, "submitted" | "rejected" | "cancelled"))
            .then(|| submitted + rng.gen_range(10..240) * 60_000);
        let accepted = dispatched
            .filter(|_| matches!(status, "accepted" | "completed" | "rated"))
            .map(|t| t + rng.gen_range(5..600) * 60_000);
        let rating = (status == "rated").then(|| {
            if rng.gen_bool(0.85) {
                rng.gen_range(4..=5)
            } else {
                rng.gen_range(1..=3)
            }
        });
        order_rows.push(vec![
            V::I(i as i64 + 1),
            V::I(*item),
            V::S(name.clone()),
            V::S(category.clone()),
            V::I(resident_ids[rng.gen_range(0..resident_ids.len())]),
            V::S("居民".into()),
            V::S("13800000000".into()),
            V::S(town.clone()),
            V::S("社区".into()),
            V::I(submitted + DAY_MS),
            V::I(submitted + DAY_MS + 2 * 3_600_000),
            V::I(1),
            V::S(status.into()),
            V::I(*institute_of.get(town).unwrap_or(&1)),
            V::I(submitted),
            dispatched.map(V::I).unwrap_or(V::N),
            accepted.map(V::I).unwrap_or(V::N),
            rating.map(V::I).unwrap_or(V::N),
            V::I(submitted),
        ]);
    }
    insert_rows(
        &mut tx,
        "orders",
        &[
            "id",
            "item_id",
            "item_name",
            "category",
            "resident_account_id",
            "contact_name",
            "contact_phone",
            "region_code",
            "address",
            "window_start",
            "window_end",
            "people",
            "status",
            "site_id",
            "submitted_at",
            "dispatched_at",
            "accepted_at",
            "rating",
            "updated_at",
        ],
        &order_rows,
    )
    .await?;
    if backend == Backend::Postgres {
        // explicit ids: move every identity past them
        for t in [
            "sites",
            "organizations",
            "projects",
            "shifts",
            "volunteers",
            "service_records",
            "accounts",
            "orders",
        ] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {t}), 1))"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;

    let orders_done = started.elapsed();
    // an event with daily tallies, entered as its office would
    app.auth()
        .create_account_unchecked(
            "gen_city",
            "generated-only",
            "市文明办",
            Role::CityAdmin,
            Some("11"),
            None,
            None,
            None,
        )
        .await?;
    let (_, caller) = app.auth().login("gen_city", "generated-only").await?;
    let start = today - chrono::Duration::days(39);
    let stations = [
        "北京站",
        "北京西站",
        "北京南站",
        "北京北站",
        "北京朝阳站",
        "北京丰台站",
        "首都机场",
        "大兴机场",
    ];
    let e = app
        .events()
        .create_event(
            &caller,
            &EventInput {
                name: format!("{} 年春运公共文明引导", start.format("%Y")),
                starts_on: start.to_string(),
                ends_on: today.to_string(),
                region_code: String::new(),
                posts: stations
                    .iter()
                    .map(|s| PostInput {
                        name: (*s).into(),
                        ..Default::default()
                    })
                    .collect(),
                metrics: [
                    ("照顾老幼病残孕乘客", "人次"),
                    ("捡拾物品", "件"),
                    ("帮助寻人", "次"),
                    ("发放宣传品", "份"),
                    ("劝阻不文明行为", "起"),
                    ("咨询指路", "次"),
                ]
                .iter()
                .map(|(n, u)| MetricInput {
                    name: (*n).into(),
                    unit: (*u).into(),
                })
                .collect(),
            },
        )
        .await?;
    for day in 0..40 {
        for p in &e.posts {
            let guides = rng.gen_range(4..20);
            app.events()
                .enter_tally(
                    &caller,
                    e.id,
                    &TallyInput {
                        post_id: p.id,
                        day: (start + chrono::Duration::days(day)).to_string(),
                        values: e
                            .metrics
                            .iter()
                            .map(|m| TallyValue {
                                metric_id: m.id,
                                value: rng.gen_range(0..400),
                            })
                            .collect(),
                        guides,
                        guide_minutes: guides * rng.gen_range(180..480),
                        note: String::new(),
                    },
                )
                .await?;
        }
    }

    // the statistics roll-ups, from the records
    let event_done = started.elapsed();
    let spin = bar(1, "统计汇总", args.quiet);
    app.stats().install(tally).await?;
    spin.finish();
    if !args.quiet {
        eprintln!(
            "志愿者与服务记录 {:.0} 秒（其中建立索引 {:.0} 秒），点单 {:.0} 秒，活动 {:.0} 秒，统计汇总 {:.0} 秒",
            records_done.as_secs_f64(),
            (records_done - loaded).as_secs_f64(),
            (orders_done - records_done).as_secs_f64(),
            (event_done - orders_done).as_secs_f64(),
            (started.elapsed() - event_done).as_secs_f64()
        );
    }
    Ok(Generated {
        volunteers: args.volunteers,
        records: args.records,
        corrections,
        teams: teams.len(),
        projects,
        shifts,
        orders: order_count,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use zhiyuan_app::Settings;

    use super::*;

    #[test]
    fn record_counts_are_skewed_and_sum_exactly() {
        let mut rng = StdRng::seed_from_u64(3);
        let c = record_counts(&mut rng, 10_000, 110_000);
        assert_eq!(c.iter().map(|&x| x as u64).sum::<u64>(), 110_000);
        let mut sorted = c.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let top: u64 = sorted[..1000].iter().map(|&x| x as u64).sum();
        assert!(top > 110_000 / 3, "the busiest tenth serve over a third: {top}");
        assert_eq!(
            record_counts(&mut StdRng::seed_from_u64(3), 10_000, 110_000),
            c,
            "the same seed, the same counts"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_generated_database_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let args = GenerateArgs {
            db: crate::DbArgs {
                data_dir: dir.path().to_owned(),
                database: None,
                sqlite_sync_full: false,
            },
            volunteers: 2_000,
            records: 20_000,
            seed: 5,
            quiet: true,
        };
        let indexes = "SELECT name FROM sqlite_master WHERE type = 'index' \
                       AND tbl_name IN ('volunteers', 'service_records') ORDER BY name";
        let fresh = tempfile::tempdir().unwrap();
        let migrated = App::open(&Settings::sqlite_in(fresh.path())).await.unwrap();
        let want: Vec<(String,)> = sqlx::query_as(indexes)
            .fetch_all(&mut *migrated.store.read().await.unwrap())
            .await
            .unwrap();
        let g = run(&args).await.unwrap();
        assert_eq!((g.volunteers, g.records), (2_000, 20_000));
        assert!(g.corrections > 0 && g.orders > 0 && g.projects > 0 && g.shifts >= g.projects);
        let app = App::open(&Settings::sqlite_in(dir.path())).await.unwrap();
        let have: Vec<(String,)> = sqlx::query_as(indexes)
            .fetch_all(&mut *app.store.read().await.unwrap())
            .await
            .unwrap();
        assert_eq!(have, want, "the indexes dropped for the load are back");
        let chains = app.service().verify_records().await.unwrap();
        assert!(chains.broken.is_empty(), "{:?}", chains.broken.first());
        assert_eq!(chains.records, 20_000);
        let stats = app.stats().verify().await.unwrap();
        assert!(stats.differences.is_empty(), "{:?}", stats.differences);
        // every volunteer takes orders from a point in Beijing, so all are in the matching index
        let (placed,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM volunteers WHERE lat BETWEEN 39.3 AND 41.1 AND lon BETWEEN 115.3 AND 117.6",
        )
        .fetch_one(&mut *app.store.read().await.unwrap())
        .await
        .unwrap();
        assert!(placed > 1_950, "{placed} of 2 000 placed in Beijing");
        // a refused second run: the database is no longer empty
        assert!(run(&args).await.is_err());
    }
}
