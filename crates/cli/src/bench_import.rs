//! `zhiyuan bench import`: a district office imports a roster of synthetic Beijing volunteers
//! (a CSV made here, every resident ID valid and distinct) into an empty database, as the page
//! and `zhiyuan import` do — the plan (read, header, every row checked, each ID looked up by its
//! keyed hash), then the run (encrypted, hashed, numbered, audited, in chunks of 500) — and
//! reports rows per second for each, and what importing the same file again costs.

use std::time::{Duration, Instant};

use anyhow::Context;
use zhiyuan_app::imports::{ImportOptions, Upload};
use zhiyuan_app::App;
use zhiyuan_domain::auth::Role;
use zhiyuan_domain::imports::ImportKind;
use zhiyuan_domain::synth::Synth;

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub db: crate::DbArgs,
    /// Roster rows to import.
    #[arg(long, default_value_t = 100_000)]
    pub rows: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub struct Report {
    pub backend: String,
    pub rows: usize,
    pub bytes: usize,
    pub plan: Duration,
    pub run: Duration,
    pub created: usize,
    pub again: Duration,
    pub again_existing: usize,
}

impl Report {
    pub fn print(&self) {
        let rate = |d: Duration| self.rows as f64 / d.as_secs_f64().max(1e-9);
        println!(
            "zhiyuan bench import — {}: a roster of {} volunteers ({:.1} MiB CSV)",
            self.backend,
            self.rows,
            self.bytes as f64 / 1048576.0
        );
        println!(
            "  plan (read, check, look up): {:.1} s ({:.0} rows/s)",
            self.plan.as_secs_f64(),
            rate(self.plan)
        );
        println!(
            "  run (register {} in chunks of {}): {:.1} s ({:.0} rows/s)",
            self.created,
            zhiyuan_app::imports::CHUNK,
            self.run.as_secs_f64(),
            rate(self.run)
        );
        println!(
            "  total {:.1} s; the same file again: {:.1} s, {} already registered, none twice",
            (self.plan + self.run).as_secs_f64(),
            self.again.as_secs_f64(),
            self.again_existing
        );
    }
}

/// The roster: 姓名, 身份证号, 手机, 居住社区 (townships of 朝阳区).
fn roster(rows: usize, seed: u64) -> String {
    let mut synth = Synth::new(seed);
    let today = zhiyuan_app::today();
    let mut out = String::with_capacity(rows * 64);
    out.push_str("2026年朝阳区志愿者名册\n序号,姓名,身份证号,手机号（必填）,居住社区\n");
    let mut seen = std::collections::HashSet::new();
    let mut n = 0;
    while n < rows {
        let p = synth.person("110105", today);
        if !seen.insert(p.resident_id.as_str().to_owned()) {
            continue;
        }
        n += 1;
        out.push_str(&format!(
            "{n},{},{},{},110105001000\n",
            p.name.as_str(),
            p.resident_id.as_str(),
            p.phone.as_str()
        ));
    }
    out
}

pub async fn run(args: &ImportArgs) -> anyhow::Result<Report> {
    let app = App::open(&args.db.settings())
        .await
        .context("opening the database")?;
    let username = format!("bench_import_{}", zhiyuan_store::now_millis());
    app.auth()
        .create_account_unchecked(
            &username,
            "bench-import-1",
            "导入压测",
            Role::DistrictAdmin,
            Some("110105"),
            None,
            None,
            None,
        )
        .await?;
    let caller = app.auth().caller_by_username(&username).await?;
    let bytes = roster(args.rows, args.seed).into_bytes();
    let upload = Upload {
        file_name: "bench.csv".into(),
        bytes,
    };
    let options = ImportOptions {
        kind: ImportKind::Volunteers,
        sheet: None,
        team_id: None,
        mapping: Vec::new(),
    };
    let started = Instant::now();
    let plan = app.imports().plan(&caller, &upload, &options).await?;
    let plan_took = started.elapsed();
    anyhow::ensure!(plan.counts().refused == 0, "refused rows: {:?}", plan.counts());
    let started = Instant::now();
    let done = app.imports().run(&caller, plan, |_, _| {}).await?;
    let run_took = started.elapsed();
    let started = Instant::now();
    let again = app.imports().plan(&caller, &upload, &options).await?;
    let again_took = started.elapsed();
    anyhow::ensure!(
        again.counts().created == 0,
        "the second plan would register {} again",
        again.counts().created
    );
    let backend = format!("{:?}", app.store.backend());
    app.store.close().await;
    Ok(Report {
        backend,
        rows: args.rows,
        bytes: upload.bytes.len(),
        plan: plan_took,
        run: run_took,
        created: done.counts.created,
        again: again_took,
        again_existing: again.counts().existing,
    })
}
