//! Keeping the statistics index true: loading it at start, changing it with each record and
//! volunteer, rebuilding it from the rows, and checking it against them.

use std::collections::HashMap;

use zhiyuan_domain::network::RegionCode;
use zhiyuan_domain::service::{star_level, RecordStatus};
use zhiyuan_domain::stats::index::{Delta, HeapEstimate, Leaf, Resident, StatsIndex};
use zhiyuan_domain::stats::projects::{ProjectFacts, ProjectIndex};
use zhiyuan_domain::stats::{category_code, category_text, CategoryCode, Month};
use zhiyuan_store::service::records::RecordRow;
use zhiyuan_store::stats as store;
use zhiyuan_store::Conn;

use super::{delta_from, delta_of, month_of_ms, Stats, StatsState};
use crate::error::{AppError, AppResult};
use crate::work::{AfterCommit, Bookkeeping, Work};

use crate::App;

fn resident_of(row: &store::ResidentRow, certificates: Vec<Month>) -> Option<Resident> {
    Some(Resident {
        region: RegionCode::parse(&row.region_code).ok()?,
        registered: month_of_ms(row.created_at),
        star: star_level(row.confirmed_minutes),
        open: row.closed_at.is_none(),
        certificates,
    })
}

/// Reads the index from the volunteers and the stored leaves (the volunteers first: the index
/// numbers them by residence before any set holds them).
async fn read_index(conn: &mut Conn) -> AppResult<StatsIndex> {
    let started = std::time::Instant::now();
    let mut index = StatsIndex::new();
    read_residents(conn, &mut index).await?;
    index.number_by_residence();
    let residents = started.elapsed();
    let mut bad = 0usize;
    let mut leaves = Vec::new();
    store::each_leaf(conn, |row| {
        let (Ok(region), Some(leaf)) = (
            RegionCode::parse(&row.region_code),
            Leaf::decode(row.minutes, row.records, &row.members),
        ) else {
            bad += 1;
            return;
        };
        leaves.push((region, category_code(&row.category), row.month as Month, leaf));
    })
    .await?;
    let read = started.elapsed();
    index.load_leaves(leaves);
    let built = started.elapsed();
    // A copy made now lies packed: the load left freed blocks (rows read, leaves by id, vectors
    // grown, unions built on other threads) among the kept ones, holding whole pages; once the
    // original goes, those pages are free to hand back.
    let compact = index.clone();
    drop(index);
    tracing::info!(
        residents_ms = residents.as_millis() as u64,
        leaves_ms = (read - residents).as_millis() as u64,
        unions_ms = (built - read).as_millis() as u64,
        copy_ms = (started.elapsed() - built).as_millis() as u64,
        "statistics index read"
    );
    if bad > 0 {
        return Err(AppError::Internal(format!(
            "{bad} stored statistics cells do not read; run zhiyuan rebuild-stats"
        )));
    }
    Ok(compact)
}

async fn read_residents(conn: &mut Conn, index: &mut StatsIndex) -> AppResult<()> {
    let mut certs: HashMap<i64, Vec<Month>> = HashMap::new();
    store::each_certificate(conn, |v, at| certs.entry(v).or_default().push(month_of_ms(at))).await?;
    store::each_resident(conn, |row| {
        let c = certs.remove(&row.id).unwrap_or_default();
        if let (Ok(id), Some(r)) = (u32::try_from(row.id), resident_of(&row, c)) {
            index.set_resident(id, Some(r));
        }
    })
    .await?;
    Ok(())
}

/// A project's contribution to the project figures, from its shifts' rows (all of one project).
fn project_facts(rows: &[store::ProjectShift]) -> Option<ProjectFacts> {
    let first = rows.first()?;
    let mut months: Vec<(Month, u32)> = Vec::new();
    for r in rows {
        let m = month_of_ms(r.starts_at);
        match months.iter_mut().find(|(x, _)| *x == m) {
            Some(e) => e.1 += 1,
            None => months.push((m, 1)),
        }
    }
    Some(ProjectFacts {
        region: RegionCode::parse(&first.region_code).ok()?,
        category: category_code(&first.category),
        months,
    })
}

/// The project figures as the rows give them.
async fn read_projects(conn: &mut Conn) -> AppResult<ProjectIndex> {
    let mut index = ProjectIndex::new();
    let mut rows: Vec<store::ProjectShift> = Vec::new();
    let take = |rows: &mut Vec<store::ProjectShift>, index: &mut ProjectIndex| {
        if let (Some(f), Some(id)) = (
            project_facts(rows),
            rows.first().and_then(|r| u32::try_from(r.project_id).ok()),
        ) {
            index.set(id, Some(f));
        }
        rows.clear();
    };
    store::each_project_shift(conn, |row| {
        if rows.first().is_some_and(|r| r.project_id != row.project_id) {
            take(&mut rows, &mut index);
        }
        rows.push(row);
    })
    .await?;
    take(&mut rows, &mut index);
    Ok(index)
}

/// The index as the rows give it: every current confirmed record and every volunteer, read
/// afresh (what `verify-stats` compares with).
async fn index_from_rows(conn: &mut Conn) -> AppResult<StatsIndex> {
    let mut index = StatsIndex::new();
    read_residents(conn, &mut index).await?;
    index.number_by_residence();
    store::each_contribution(conn, |c| {
        if let Some(d) = delta_of(&c, 1) {
            index.apply(&d);
        }
    })
    .await?;
    Ok(index)
}

/// Loads the index at start, building the stored leaves first if they never were.
pub(crate) async fn load(app: &App) -> AppResult<()> {
    let built = {
        let mut conn = app.store.read().await?;
        store::built_at(&mut conn).await?
    };
    if built.is_none() {
        app.stats().rebuild().await?;
        return Ok(());
    }
    // the project figures load on another task (another core) meanwhile
    let projects = {
        let store = app.store.clone();
        tokio::spawn(async move { read_projects(&mut *store.read().await?).await })
    };
    let index = read_index(&mut *app.store.read().await?).await?;
    let projects = projects
        .await
        .map_err(|e| AppError::Internal(format!("loading the project figures: {e}")))??;
    *app.stats.projects.write().unwrap_or_else(|p| p.into_inner()) = projects;
    let (cells, leaves) = index.size();
    tracing::info!(cells, leaves, "statistics loaded");
    *app.stats.index.write().unwrap_or_else(|p| p.into_inner()) = index;
    Ok(())
}

/// A record's contribution when it is current and confirmed.
fn contribution(r: &RecordRow, category: &str) -> Option<store::Contribution> {
    (r.status == RecordStatus::Confirmed).then(|| store::Contribution {
        volunteer_id: r.volunteer_id,
        region_code: r.region_code.clone(),
        category: category.to_owned(),
        service_date: r.service_date.clone(),
        minutes: r.minutes,
    })
}

/// A record was appended in `tx`, superseding `old` if it is a new version: the stored leaves
/// and the volunteer's confirmed minutes change in the same transaction, the live index once it
/// has committed.
pub(crate) async fn record_appended(
    app: &App,
    tx: &mut Work,
    old: Option<(&RecordRow, &str)>,
    new: (&RecordRow, &str),
) -> AppResult<()> {
    let mut deltas = Vec::new();
    if let Some(c) = old.and_then(|(r, cat)| contribution(r, cat)) {
        deltas.extend(delta_of(&c, -1));
    }
    if let Some(c) = contribution(new.0, new.1) {
        deltas.extend(delta_of(&c, 1));
    }
    let mut minutes = 0;
    for d in &deltas {
        put(app, tx, d).await?;
        minutes += d.minutes;
    }
    store::add_confirmed_minutes(tx, new.0.volunteer_id, minutes).await?;
    for d in deltas {
        tx.stats_delta(d);
    }
    tx.after_commit(AfterCommit::RefreshResident(new.0.volunteer_id));
    Ok(())
}

async fn put(app: &App, conn: &mut Conn, d: &Delta) -> AppResult<()> {
    let cat = category_text(d.category);
    let row =
        store::leaf_for_update(conn, app.store.backend(), d.region.as_str(), cat, d.month as i64).await?;
    let mut leaf = match &row {
        Some(r) => Leaf::decode(r.minutes, r.records, &r.members)
            .ok_or_else(|| AppError::Internal("a stored statistics cell does not read".into()))?,
        None => Leaf::default(),
    };
    leaf.add(d.volunteer, d.minutes, d.records);
    store::put_leaf(
        conn,
        &store::LeafRow {
            region_code: d.region.as_str().to_owned(),
            category: cat.to_owned(),
            month: d.month as i64,
            minutes: leaf.minutes,
            records: leaf.records,
            members: leaf.encode_members(),
        },
    )
    .await?;
    Ok(())
}

/// Writes leaves and marks the statistics built (the caller has cleared the old ones).
async fn write_leaves<L: std::borrow::Borrow<Leaf>>(
    conn: &mut Conn,
    backend: zhiyuan_store::Backend,
    leaves: impl Iterator<Item = (String, CategoryCode, Month, L)>,
) -> AppResult<()> {
    let mut rows = Vec::with_capacity(1_000);
    for (region, cat, month, leaf) in leaves {
        let leaf = leaf.borrow();
        rows.push(store::LeafRow {
            region_code: region,
            category: category_text(cat).to_owned(),
            month: month as i64,
            minutes: leaf.minutes,
            records: leaf.records,
            members: leaf.encode_members(),
        });
        if rows.len() == 1_000 {
            store::insert_leaves(conn, backend, &rows).await?;
            rows.clear();
        }
    }
    store::insert_leaves(conn, backend, &rows).await?;
    store::set_built_at(conn, zhiyuan_store::now_millis()).await?;
    Ok(())
}

/// Leaves counted outside the application, record by record (see [`Stats::install`]).
#[derive(Default)]
pub struct LeafTally {
    leaves: HashMap<(RegionCode, CategoryCode, Month), Leaf>,
}

impl LeafTally {
    /// Counts a current confirmed record; false (and nothing counted) when its region, date or
    /// volunteer id does not read.
    pub fn add(
        &mut self,
        region: &str,
        category: &str,
        service_date: &str,
        volunteer_id: i64,
        minutes: i64,
    ) -> bool {
        let Some(d) = delta_from(region, category, service_date, volunteer_id, minutes, 1) else {
            return false;
        };
        self.leaves
            .entry((d.region, d.category, d.month))
            .or_default()
            .add(d.volunteer, d.minutes, d.records);
        true
    }

    /// Leaves counted so far.
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }
}

impl StatsState {
    /// Takes in the changes of a committed unit of work.
    pub(crate) fn apply(&self, deltas: &[Delta]) {
        let mut index = self.index.write().unwrap_or_else(|p| p.into_inner());
        for d in deltas {
            index.apply(d);
        }
    }
}

/// The result of `verify-stats`.
#[derive(Clone, Debug, Default)]
pub struct StatsReport {
    /// Cells and leaves compared.
    pub cells: usize,
    pub leaves: usize,
    /// Every difference found (at most 50), in words.
    pub differences: Vec<String>,
}

impl Stats<'_> {
    /// Reads a volunteer's residence facts again (after a change to them committed).
    pub(crate) async fn refresh_resident(&self, volunteer_id: i64) {
        let _one_at_a_time = self.stats.residents.lock().await;
        let read = async {
            let mut conn = self.store.read().await?;
            let row = store::resident(&mut conn, volunteer_id).await?;
            let certs = store::certificate_times(&mut conn, volunteer_id).await?;
            AppResult::Ok(row.and_then(|r| resident_of(&r, certs.into_iter().map(month_of_ms).collect())))
        };
        match (read.await, u32::try_from(volunteer_id)) {
            (Ok(facts), Ok(id)) => self
                .stats
                .index
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .set_resident(id, facts),
            (Err(e), _) => {
                tracing::error!(volunteer_id, error = %e.cause(), "statistics: reading a volunteer failed")
            }
            _ => {}
        }
    }

    /// Cells and leaves in the live index (for the start-up log and the benchmark).
    pub fn index_size(&self) -> (usize, usize) {
        self.stats.index.read().unwrap_or_else(|p| p.into_inner()).size()
    }

    /// The live index's cells by kind (see [`StatsIndex::cells_by_kind`]).
    pub fn index_cells_by_kind(&self) -> Vec<(usize, char, bool, usize, usize)> {
        self.stats
            .index
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .cells_by_kind()
    }

    /// The live index's bytes by part (for the benchmark's account of memory).
    pub fn index_heap(&self) -> HeapEstimate {
        self.stats
            .index
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .heap_estimate()
    }

    /// Rebuilds the stored leaves, the order and organization cells and every volunteer's
    /// confirmed minutes from the rows, then the live index (`zhiyuan rebuild-stats`; also at the first start after the migration).
    pub async fn rebuild(&self) -> AppResult<(usize, usize)> {
        let mut tx = self.bookkeeping(Bookkeeping::Statistics).await?;
        store::recount_confirmed_minutes(&mut tx).await?;
        store::cells::rebuild_cells(&mut tx, self.store.backend()).await?;
        let index = index_from_rows(&mut tx).await?;
        store::clear_leaves(&mut tx).await?;
        write_leaves(
            &mut tx,
            self.store.backend(),
            index.leaves().map(|(r, c, m, l)| (r.to_owned(), c, m, l)),
        )
        .await?;
        tx.commit(self).await?;
        let size = index.size();
        tracing::info!(
            cells = size.0,
            leaves = size.1,
            "statistics rebuilt from the records"
        );
        *self.stats.index.write().unwrap_or_else(|p| p.into_inner()) = index;
        self.reload_projects().await?;
        Ok(size)
    }

    /// Reads the project figures afresh from the rows.
    async fn reload_projects(&self) -> AppResult<()> {
        let _one_at_a_time = self.stats.project_refresh.lock().await;
        let projects = read_projects(&mut *self.store.read().await?).await?;
        *self.stats.projects.write().unwrap_or_else(|p| p.into_inner()) = projects;
        Ok(())
    }

    /// Reads one project's shifts again (after a change to it committed).
    pub(crate) async fn refresh_project(&self, project_id: i64) {
        let _one_at_a_time = self.stats.project_refresh.lock().await;
        let read = async {
            let mut conn = self.store.read().await?;
            AppResult::Ok(project_facts(
                &store::project_shifts(&mut conn, project_id).await?,
            ))
        };
        match (read.await, u32::try_from(project_id)) {
            (Ok(facts), Ok(id)) => self
                .stats
                .projects
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .set(id, facts),
            (Err(e), _) => {
                tracing::error!(project_id, error = %e.cause(), "statistics: reading a project failed")
            }
            _ => {}
        }
    }

    /// Stores leaves tallied while the records were written (by `zhiyuan generate`, which
    /// knows every record it writes and would otherwise read them all back), then loads the
    /// live index from them as at start-up. The volunteers' confirmed minutes are the
    /// writer's to have set; `verify-stats` checks both.
    pub async fn install(&self, tally: LeafTally) -> AppResult<(usize, usize)> {
        let mut tx = self.bookkeeping(Bookkeeping::Statistics).await?;
        store::clear_leaves(&mut tx).await?;
        write_leaves(
            &mut tx,
            self.store.backend(),
            tally
                .leaves
                .iter()
                .map(|((r, c, m), l)| (r.as_str().to_owned(), *c, *m, l)),
        )
        .await?;
        tx.commit(self).await?;
        drop(tally);
        let index = read_index(&mut *self.store.read().await?).await?;
        let size = index.size();
        *self.stats.index.write().unwrap_or_else(|p| p.into_inner()) = index;
        self.reload_projects().await?;
        Ok(size)
    }

    /// Recomputes every figure from the rows and compares it with the stored leaves and with
    /// the live index (`zhiyuan verify-stats`).
    pub async fn verify(&self) -> AppResult<StatsReport> {
        let mut conn = self.store.read().await?;
        let fresh = index_from_rows(&mut conn).await?;
        let stored = read_index(&mut conn).await?;
        drop(conn);
        let mut differences: Vec<String> = fresh
            .differences(&stored, 50)
            .into_iter()
            .map(|d| format!("存储的汇总与记录不符：{d}"))
            .collect();
        let live = self.stats.index.read().unwrap_or_else(|p| p.into_inner()).clone();
        differences.extend(
            fresh
                .differences(&live, 50)
                .into_iter()
                .map(|d| format!("内存中的汇总与记录不符：{d}")),
        );
        let mut conn = self.store.read().await?;
        for (table, region, key, month) in
            store::cells::cell_mismatches(&mut conn, self.store.backend(), 50).await?
        {
            let what = if table == "order_cells" {
                format!("点单汇总 {region} {key} {month}")
            } else {
                format!("组织汇总 {region} {key}")
            };
            differences.push(format!("{what} 与逐条记录重新计算的结果不符"));
        }
        let fresh_projects = read_projects(&mut conn).await?.facts();
        let live_projects = self
            .stats
            .projects
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .facts();
        let mut ids: Vec<&u32> = fresh_projects.keys().chain(live_projects.keys()).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids
            .into_iter()
            .filter(|id| fresh_projects.get(id) != live_projects.get(id))
            .take(50)
        {
            differences.push(format!("项目 {id} 的班次汇总与项目和班次记录不符"));
        }
        for (id, kept, counted) in store::confirmed_minutes_mismatches(&mut conn, 50).await? {
            differences.push(format!(
                "志愿者 {id} 的累计时长 {kept} 分钟与记录合计 {counted} 分钟不符"
            ));
        }
        let (cells, leaves) = fresh.size();
        Ok(StatsReport {
            cells,
            leaves,
            differences,
        })
    }
}
