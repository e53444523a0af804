//! Keeping the statistics index true: loading it at start, changing it with each record and
//! volunteer, rebuilding it from the rows, and checking it against them.

use std::collections::HashMap;

use zhiyuan_domain::network::RegionCode;
use zhiyuan_domain::service::{star_level, RecordStatus};
use zhiyuan_domain::stats::index::{Delta, Leaf, Resident, StatsIndex};
use zhiyuan_domain::stats::{category_code, category_text, CategoryCode, Month};
use zhiyuan_store::service::records::RecordRow;
use zhiyuan_store::stats as store;
use zhiyuan_store::Conn;

use super::{delta_of, month_of_ms, Stats, StatsState};
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

/// Reads the index from the stored leaves and the volunteers.
async fn read_index(conn: &mut Conn) -> AppResult<StatsIndex> {
    let mut index = StatsIndex::new();
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
    index.load_leaves(leaves);
    if bad > 0 {
        return Err(AppError::Internal(format!(
            "{bad} stored statistics cells do not read; run zhiyuan rebuild-stats"
        )));
    }
    read_residents(conn, &mut index).await?;
    Ok(index)
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

/// The index as the rows give it: every current confirmed record and every volunteer, read
/// afresh (what `verify-stats` compares with).
async fn index_from_rows(conn: &mut Conn) -> AppResult<StatsIndex> {
    let mut index = StatsIndex::new();
    store::each_contribution(conn, |c| {
        if let Some(d) = delta_of(&c, 1) {
            index.apply(&d);
        }
    })
    .await?;
    read_residents(conn, &mut index).await?;
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
    let index = read_index(&mut *app.store.read().await?).await?;
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

    /// Rebuilds the stored leaves and every volunteer's confirmed minutes from the records, then
    /// the live index (`zhiyuan rebuild-stats`; also at the first start after the migration).
    pub async fn rebuild(&self) -> AppResult<(usize, usize)> {
        let mut tx = self.bookkeeping(Bookkeeping::Statistics).await?;
        store::recount_confirmed_minutes(&mut tx).await?;
        let index = index_from_rows(&mut tx).await?;
        store::clear_leaves(&mut tx).await?;
        let leaves: Vec<(String, CategoryCode, Month, Leaf)> = index
            .leaves()
            .map(|(r, c, m, l)| (r.to_owned(), c, m, l.clone()))
            .collect();
        for (region, cat, month, leaf) in &leaves {
            store::put_leaf(
                &mut tx,
                &store::LeafRow {
                    region_code: region.clone(),
                    category: category_text(*cat).to_owned(),
                    month: *month as i64,
                    minutes: leaf.minutes,
                    records: leaf.records,
                    members: leaf.encode_members(),
                },
            )
            .await?;
        }
        store::set_built_at(&mut tx, zhiyuan_store::now_millis()).await?;
        tx.commit(self).await?;
        let size = index.size();
        tracing::info!(
            cells = size.0,
            leaves = size.1,
            "statistics rebuilt from the records"
        );
        *self.stats.index.write().unwrap_or_else(|p| p.into_inner()) = index;
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
