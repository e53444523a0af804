//! Matching orders to volunteers: the in-memory index ([`zhiyuan_matching::Index`]) built from the
//! store when the app opens and kept current by [`App::refresh_match_entry`] after every write
//! that changes a volunteer's position, skills, availability, rating, load or last service.
//!
//! The index lives in this process: several server processes on one PostgreSQL database each
//! keep their own and see only their own refreshes (restart, or [`App::rebuild_match_index`],
//! brings one up to date).

use super::Orders;
use std::sync::{Arc, RwLock};

use zhiyuan_domain::people::availability::WeeklyAvailability;
pub use zhiyuan_matching::{window_cells, window_from_cells, Hit, Query, Reason};
use zhiyuan_matching::{Entry, Index};
use zhiyuan_store::orders::matching::{self as store, MatchRow};
use zhiyuan_store::Store;

use crate::AppResult;

/// Rows read per page while building.
const PAGE: i64 = 10_000;

/// The shared index.
pub type SharedIndex = Arc<RwLock<Index>>;

/// The index entry of a stored row; `None` when the volunteer has no (valid) position.
pub fn entry_of(row: MatchRow) -> Option<Entry> {
    let (lat, lon) = (row.lat?, row.lon?);
    if !zhiyuan_domain::network::geo::valid_point(lat, lon) {
        return None;
    }
    let clamp = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
    Some(Entry {
        id: row.id,
        lat,
        lon,
        skills: row
            .skills
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        // Empty (never set) or unreadable availability: no hour, so no window matches.
        availability: WeeklyAvailability::from_hex(&row.availability).unwrap_or_default(),
        load: clamp(row.active_orders),
        rating_sum: clamp(row.rating_sum),
        rating_count: clamp(row.rating_count),
        last_served_at: row.last_served_at,
    })
}

/// Reads every volunteer with a position into a new index.
///
/// The pages are read here and built into the index on a thread of its own that ends with it:
/// building grows the arrays by doubling and leaves the smaller ones freed among the kept blocks,
/// so the thread hands back a packed copy, and what it leaves behind goes when it ends (a
/// runtime worker would keep those pages until it next tidies its heap).
pub(crate) async fn load_index(store: &Store) -> AppResult<Index> {
    let started = std::time::Instant::now();
    let (send, mut pages) = tokio::sync::mpsc::channel::<Vec<MatchRow>>(2);
    let (done, built) = tokio::sync::oneshot::channel::<Index>();
    std::thread::Builder::new()
        .name("matching-load".into())
        .spawn(move || {
            let mut index = Index::new();
            while let Some(rows) = pages.blocking_recv() {
                for row in rows {
                    if let Some(e) = entry_of(row) {
                        // entry_of checked the position, the only reason an upsert is refused.
                        let _ = index.upsert(e);
                    }
                }
            }
            let _ = done.send(index.clone());
        })
        .map_err(|e| crate::AppError::Internal(format!("starting the matching load: {e}")))?;
    let mut conn = store.read().await?;
    let mut after = i64::MIN;
    loop {
        let rows = store::rows_after(&mut conn, after, PAGE).await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        if send.send(rows).await.is_err() {
            break;
        }
    }
    drop(send);
    let index = built
        .await
        .map_err(|_| crate::AppError::Internal("building the matching index".into()))?;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        volunteers = index.len(),
        mib = index.memory_bytes() / 1_048_576,
        "matching index read"
    );
    Ok(index)
}

impl Orders<'_> {
    /// The best volunteers for the query (see [`zhiyuan_matching`] for the filters and the score).
    /// The permission to dispatch is checked by the use case that calls this.
    pub fn match_volunteers(&self, query: &Query) -> Vec<Hit> {
        self.match_index
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .query(query)
    }

    /// Re-reads one volunteer and puts them into the index, or takes them out when they are gone
    /// or have no position.
    pub async fn refresh_match_entry(&self, volunteer_id: i64) -> AppResult<()> {
        let mut conn = self.conn().await?;
        let entry = store::row(&mut conn, volunteer_id).await?.and_then(entry_of);
        drop(conn);
        let mut index = self.match_index.write().unwrap_or_else(|p| p.into_inner());
        match entry {
            Some(e) => {
                // entry_of checked the position, the only reason an upsert is refused.
                let _ = index.upsert(e);
            }
            None => {
                index.remove(volunteer_id);
            }
        }
        Ok(())
    }

    /// [`refresh_match_entry`](Self::refresh_match_entry) after a committed write: the write
    /// stands, so a failure is logged rather than returned (the entry is stale until the next
    /// refresh or rebuild).
    pub(crate) async fn refresh_match_entry_after_write(&self, volunteer_id: i64) {
        if let Err(e) = self.refresh_match_entry(volunteer_id).await {
            tracing::warn!(volunteer_id, cause = %e.cause(), "matching index not refreshed");
        }
    }

    /// Builds the index afresh from the store and swaps it in (after bulk loads).
    pub async fn rebuild_match_index(&self) -> AppResult<()> {
        let fresh = load_index(&self.store).await?;
        *self.match_index.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    /// Volunteers in the index.
    pub fn match_index_len(&self) -> usize {
        self.match_index.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> MatchRow {
        MatchRow {
            id: 7,
            lat: Some(39.9),
            lon: Some(116.4),
            skills: "急救,驾驶".into(),
            availability: WeeklyAvailability::parse_spec("周末 9-17").unwrap().to_hex(),
            rating_sum: 14,
            rating_count: 3,
            active_orders: 2,
            last_served_at: Some(1_800_000_000_000),
        }
    }

    #[test]
    fn rows_become_entries() {
        let e = entry_of(row()).unwrap();
        assert_eq!(e.skills, ["急救", "驾驶"]);
        assert!(e.availability.is_set(5, 9) && !e.availability.is_set(0, 9));
        assert_eq!((e.load, e.rating_sum, e.rating_count), (2, 14, 3));
        assert_eq!(e.last_served_at, Some(1_800_000_000_000));
        let e = entry_of(MatchRow {
            skills: String::new(),
            availability: String::new(),
            rating_sum: -1,
            active_orders: i64::MAX,
            ..row()
        })
        .unwrap();
        assert!(e.skills.is_empty() && e.availability.is_empty());
        assert_eq!((e.rating_sum, e.load), (0, u32::MAX));
    }

    #[test]
    fn rows_without_a_valid_position_are_not_indexed() {
        assert_eq!(entry_of(MatchRow { lat: None, ..row() }), None);
        assert_eq!(entry_of(MatchRow { lon: None, ..row() }), None);
        assert_eq!(
            entry_of(MatchRow {
                lat: Some(91.0),
                ..row()
            }),
            None
        );
    }
}
