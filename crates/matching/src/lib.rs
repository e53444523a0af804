//! Matching supply and demand: an in-memory index of volunteers by position, skills, weekly
//! availability and load, answering "the best `k` volunteers within `radius_m` of a point who
//! have all these skills and are free for all these hours". Pure: no I/O, no async.
//!
//! # Layout
//! A uniform grid of `cell_deg` × `cell_deg` degree cells (default 0.01°, about 1.1 km × 0.85 km
//! in Beijing) kept in a hash map from (row, column) to a cell. Each cell stores its volunteers
//! as a struct of arrays — the low 32 skill bits (`u32`), all skill bits (`u128`), availability
//! (3 × `u64`), position (2 × `f32`) and the ranking figures — so a query scans 4 bytes per
//! volunteer, branch-free, and touches the rest only for volunteers that have the skills.
//!
//! A query takes the cells of its circle's bounding box, drops those whose rigorous lower bound
//! of distance exceeds the radius, and visits the rest nearest first, keeping the best `k` in a
//! heap. Once the heap is full, a cell where even a perfect volunteer (quality and fairness 1) at
//! the cell's nearest point would rank below the `k`-th ends the walk, and a volunteer who would
//! rank below it at that distance is dropped before their distance is computed. Both cuts are
//! exact: the answer is the same as a full scan's. About 84 bytes per volunteer plus the id map.
//! A hand-written grid was chosen over an R-tree crate: volunteers are dense and fairly even, the
//! radius of a query is known, and per-cell arrays let the skill filter run before any distance
//! is computed.
//!
//! # Positions and distance
//! Positions are stored as `f32` degrees (about 0.4 m of rounding in Beijing). Every distance —
//! in the index and in any reference scan — is [`distance_m`]: the domain's haversine
//! ([`zhiyuan_domain::network::geo::haversine_m`]) from the query point to the *stored* position, so the
//! index and a brute-force scan agree bit for bit.
//!
//! # Skills
//! Skill strings are interned to numbers in order of first appearance and never forgotten. The
//! first 127 distinct skills are bits 0–126 of a `u128`; bit 127 marks a volunteer who has any
//! later skill, whose numbers are then kept in a side table, so any number of distinct skills is
//! supported and the common ones cost one AND.
//!
//! # Score
//! Among the volunteers that pass the filters (distance ≤ radius, all required skills, available
//! in every hour cell of the window, load below the optional maximum), higher scores rank first
//! and equal scores by ascending id:
//!
//! ```text
//! score     = 0.5 × proximity + 0.2 × quality + 0.3 × fairness          (each part in 0–1)
//! proximity = 1 − distance / radius                                      (1 when radius = 0)
//! quality   = (rating − 1) / 4,  rating = (rating_sum + 4.0 × 5) / (rating_count + 5)
//! fairness  = 0.7 × idle + 0.3 / (1 + load)
//! idle      = min(days since last served, 30) / 30                       (1 when never served)
//! ```
//!
//! The rating is a Bayesian average with a prior of five ratings of 4.0, so one 5-star rating
//! does not outrank a long record of 4.8. At equal distance (and equal rating and load) the
//! volunteer who served less recently comes first. Each [`Hit`] carries its [`Reason`] so a
//! dispatcher can see why.

pub mod score;
pub mod window;

use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use zhiyuan_domain::network::geo::{haversine_m, valid_point, EARTH_RADIUS_M};
use zhiyuan_domain::people::availability::WeeklyAvailability;

pub use score::Reason;
pub use window::{window_cells, window_from_cells};

/// Default cell edge in degrees.
pub const DEFAULT_CELL_DEG: f64 = 0.01;
/// Skills held as bits; later skills go to the side table.
pub const BIT_SKILLS: u32 = 127;
const OVERFLOW_BIT: u128 = 1 << 127;
/// An upper bound of the quality and fairness parts (1 in exact arithmetic).
const PART_MAX: f64 = 1.0 + 1e-9;

/// One volunteer as the index sees them.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: i64,
    /// Degrees; stored rounded to `f32`.
    pub lat: f64,
    pub lon: f64,
    pub skills: Vec<String>,
    pub availability: WeeklyAvailability,
    /// Orders accepted and not yet finished.
    pub load: u32,
    /// Sum and number of 1–5 ratings.
    pub rating_sum: u32,
    pub rating_count: u32,
    /// End of the latest service, ms since the epoch.
    pub last_served_at: Option<i64>,
}

/// What is needed, where and when.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
    /// Every one of these is required (exact strings).
    pub skills: Vec<String>,
    /// Every hour cell set here must be available; empty means any time.
    pub window: WeeklyAvailability,
    /// Exclude volunteers whose load is at least this.
    pub max_load: Option<u32>,
    /// How many hits at most.
    pub k: usize,
    /// "Now", for the days since the last service.
    pub now_ms: i64,
    /// Only these volunteers (e.g. those the dispatching office may reach); `None`: anyone.
    pub only: Option<std::sync::Arc<std::collections::HashSet<i64>>>,
}

/// One matching volunteer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub id: i64,
    pub distance_m: f64,
    pub score: f64,
    pub reason: Reason,
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum MatchError {
    #[error("volunteer {id} has an invalid position ({lat}, {lon})")]
    InvalidPosition { id: i64, lat: f64, lon: f64 },
}

/// The position as stored: each coordinate rounded to `f32`.
pub fn stored_position(lat: f64, lon: f64) -> (f64, f64) {
    (f64::from(lat as f32), f64::from(lon as f32))
}

/// The distance the index ranks by: haversine metres from the query point to the stored
/// position of (`lat`, `lon`).
pub fn distance_m(query_lat: f64, query_lon: f64, lat: f64, lon: f64) -> f64 {
    let (lat, lon) = stored_position(lat, lon);
    haversine_m(query_lat, query_lon, lat, lon)
}

/// Multiply-rotate hashing for integer keys (ids and cell coordinates); the keys come from our
/// own database, not from clients.
#[derive(Default, Clone, Copy)]
struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn write_i32(&mut self, n: i32) {
        self.write_u64(u64::from(n as u32));
    }
}

type IntMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

/// Ranking figures of one stored volunteer.
#[derive(Clone, Copy, Debug)]
struct Meta {
    id: i64,
    last_served_at: i64,
    rating_sum: u32,
    rating_count: u32,
    load: u32,
    /// 1 when `last_served_at` is set.
    served: u32,
}

impl Meta {
    fn last_served(&self) -> Option<i64> {
        (self.served != 0).then_some(self.last_served_at)
    }
}

/// The volunteers of one grid cell, struct of arrays, same order in each.
#[derive(Clone, Debug, Default)]
struct Cell {
    row: i32,
    col: i32,
    /// The low 32 bits of `skills`, scanned first.
    skills_lo: Vec<u32>,
    skills: Vec<u128>,
    avail: Vec<[u64; 3]>,
    pos: Vec<[f32; 2]>,
    meta: Vec<Meta>,
}

impl Cell {
    fn len(&self) -> usize {
        self.meta.len()
    }

    fn swap_remove(&mut self, i: usize) {
        self.skills_lo.swap_remove(i);
        self.skills.swap_remove(i);
        self.avail.swap_remove(i);
        self.pos.swap_remove(i);
        self.meta.swap_remove(i);
    }

    fn shrink(&mut self) {
        self.skills_lo.shrink_to_fit();
        self.skills.shrink_to_fit();
        self.avail.shrink_to_fit();
        self.pos.shrink_to_fit();
        self.meta.shrink_to_fit();
    }

    fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.skills_lo.capacity() * size_of::<u32>()
            + self.skills.capacity() * size_of::<u128>()
            + self.avail.capacity() * size_of::<[u64; 3]>()
            + self.pos.capacity() * size_of::<[f32; 2]>()
            + self.meta.capacity() * size_of::<Meta>()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    cell: u32,
    idx: u32,
}

impl Slot {
    /// An empty place in [`Slots::dense`].
    const NONE: Slot = Slot {
        cell: u32::MAX,
        idx: u32::MAX,
    };
}

/// Where each volunteer is, by id: in a plain array while the ids are dense (database ids
/// are: 8 bytes a volunteer), in a map for the rest (a map of millions costs four times that).
#[derive(Clone, Debug, Default)]
struct Slots {
    /// By id; [`Slot::NONE`] where there is none.
    dense: Vec<Slot>,
    /// Ids the array does not reach (negative, or far past the others).
    sparse: IntMap<i64, Slot>,
    len: usize,
}

impl Slots {
    fn at(&self, id: i64) -> Option<usize> {
        usize::try_from(id).ok().filter(|&i| i < self.dense.len())
    }

    fn get_mut(&mut self, id: i64) -> Option<&mut Slot> {
        match self.at(id) {
            Some(i) if self.dense[i] != Slot::NONE => Some(&mut self.dense[i]),
            _ => self.sparse.get_mut(&id),
        }
    }

    fn contains(&self, id: i64) -> bool {
        match self.at(id) {
            Some(i) if self.dense[i] != Slot::NONE => true,
            _ => self.sparse.contains_key(&id),
        }
    }

    fn insert(&mut self, id: i64, slot: Slot) {
        if let Some(s) = self.get_mut(id) {
            *s = slot;
            return;
        }
        self.len += 1;
        // the array grows to an id while it stays within about twice the entries
        let reach = 2 * self.len + 1024;
        match usize::try_from(id) {
            Ok(i) if i < self.dense.len() => self.dense[i] = slot,
            Ok(i) if i < reach => {
                self.dense.resize(i + 1, Slot::NONE);
                self.dense[i] = slot;
            }
            _ => {
                self.sparse.insert(id, slot);
            }
        }
    }

    fn remove(&mut self, id: i64) -> Option<Slot> {
        let gone = match self.at(id) {
            Some(i) if self.dense[i] != Slot::NONE => Some(std::mem::replace(&mut self.dense[i], Slot::NONE)),
            _ => self.sparse.remove(&id),
        };
        if gone.is_some() {
            self.len -= 1;
        }
        gone
    }

    fn bytes(&self) -> usize {
        self.dense.capacity() * std::mem::size_of::<Slot>()
            + self.sparse.capacity() * (std::mem::size_of::<(i64, Slot)>() + 1)
    }
}

fn pack_availability(a: &WeeklyAvailability) -> [u64; 3] {
    let b = a.as_bytes();
    let mut w = [0u64; 3];
    for (i, byte) in b.iter().enumerate() {
        w[i / 8] |= u64::from(*byte) << (8 * (i % 8));
    }
    w
}

/// A candidate in the top-k heap; the heap's greatest element is the worst candidate (lowest
/// score, then highest id).
#[derive(Clone, Copy, Debug)]
struct Ranked {
    score: f64,
    id: i64,
    distance_m: f64,
    cell: u32,
    idx: u32,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.score.total_cmp(&self.score).then(self.id.cmp(&other.id))
    }
}

/// The index. `Send + Sync`; share it behind a lock to update it while serving queries.
#[derive(Clone)]
pub struct Index {
    cell_deg: f64,
    cells: Vec<Cell>,
    grid: IntMap<(i32, i32), u32>,
    slots: Slots,
    skill_ids: HashMap<String, u32>,
    skill_names: Vec<String>,
    /// Skill numbers ≥ [`BIT_SKILLS`] of the volunteers that have any, sorted.
    overflow: IntMap<i64, Box<[u32]>>,
}

impl std::fmt::Debug for Index {
    /// A summary: an index of millions of volunteers is not printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("volunteers", &self.len())
            .field("cells", &self.cells.len())
            .field("cell_deg", &self.cell_deg)
            .field("skills", &self.skill_names.len())
            .finish()
    }
}

impl Default for Index {
    fn default() -> Self {
        Self::new()
    }
}

impl Index {
    /// An empty index with the default cell size.
    pub fn new() -> Self {
        Self::with_cell_deg(DEFAULT_CELL_DEG)
    }

    /// An empty index with cells of `cell_deg` degrees (clamped to 0.0001–10).
    pub fn with_cell_deg(cell_deg: f64) -> Self {
        let cell_deg = if cell_deg.is_finite() {
            cell_deg.clamp(1e-4, 10.0)
        } else {
            DEFAULT_CELL_DEG
        };
        Index {
            cell_deg,
            cells: Vec::new(),
            grid: IntMap::default(),
            slots: Slots::default(),
            skill_ids: HashMap::new(),
            skill_names: Vec::new(),
            overflow: IntMap::default(),
        }
    }

    /// An index of `entries` (a later entry with the same id replaces an earlier one; entries
    /// with an invalid position are left out).
    pub fn build(entries: impl IntoIterator<Item = Entry>) -> Self {
        Self::build_with_cell_deg(entries, DEFAULT_CELL_DEG)
    }

    /// [`build`](Self::build) with cells of `cell_deg` degrees.
    pub fn build_with_cell_deg(entries: impl IntoIterator<Item = Entry>, cell_deg: f64) -> Self {
        let mut ix = Self::with_cell_deg(cell_deg);
        let entries = entries.into_iter();
        ix.slots.dense.reserve(entries.size_hint().0);
        for e in entries {
            let _ = ix.upsert(e);
        }
        ix.shrink_to_fit();
        ix
    }

    /// Gives back the spare capacity of the cell arrays (after a bulk load by upserts).
    pub fn shrink_to_fit(&mut self) {
        for c in &mut self.cells {
            c.shrink();
        }
        self.cells.shrink_to_fit();
        self.slots.dense.shrink_to_fit();
    }

    /// Volunteers indexed.
    pub fn len(&self) -> usize {
        self.slots.len
    }

    pub fn is_empty(&self) -> bool {
        self.slots.len == 0
    }

    pub fn contains(&self, id: i64) -> bool {
        self.slots.contains(id)
    }

    /// Distinct skill strings seen so far.
    pub fn skill_count(&self) -> usize {
        self.skill_names.len()
    }

    /// Grid cells allocated (some may be empty after removals).
    pub fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// Heap and inline bytes held by the index: exact for the cell arrays, and capacity ×
    /// (entry + one control byte) for the hash tables.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        fn table<K, V>(cap: usize) -> usize {
            cap * (size_of::<(K, V)>() + 1)
        }
        let cells: usize = self.cells.iter().map(Cell::heap_bytes).sum::<usize>()
            + self.cells.capacity() * size_of::<Cell>();
        let overflow: usize = table::<i64, Box<[u32]>>(self.overflow.capacity())
            + self.overflow.values().map(|v| v.len() * 4).sum::<usize>();
        let skills: usize = table::<String, u32>(self.skill_ids.capacity())
            + self.skill_names.capacity() * size_of::<String>()
            + 2 * self.skill_names.iter().map(String::capacity).sum::<usize>();
        size_of::<Self>()
            + cells
            + table::<(i32, i32), u32>(self.grid.capacity())
            + self.slots.bytes()
            + overflow
            + skills
    }

    fn cell_of(&self, lat: f32, lon: f32) -> (i32, i32) {
        // `as` saturates; valid coordinates with cells ≥ 0.0001° stay far inside i32.
        (
            (f64::from(lat) / self.cell_deg).floor() as i32,
            (f64::from(lon) / self.cell_deg).floor() as i32,
        )
    }

    fn intern(&mut self, skill: &str) -> u32 {
        if let Some(&n) = self.skill_ids.get(skill) {
            return n;
        }
        let n = self.skill_names.len() as u32;
        self.skill_names.push(skill.to_owned());
        self.skill_ids.insert(skill.to_owned(), n);
        n
    }

    /// Adds the volunteer or replaces the stored one with the same id. An invalid position is
    /// refused and leaves the index unchanged.
    pub fn upsert(&mut self, e: Entry) -> Result<(), MatchError> {
        if !valid_point(e.lat, e.lon) {
            return Err(MatchError::InvalidPosition {
                id: e.id,
                lat: e.lat,
                lon: e.lon,
            });
        }
        self.remove(e.id);
        let mut bits = 0u128;
        let mut extra: Vec<u32> = Vec::new();
        for s in &e.skills {
            let n = self.intern(s);
            if n < BIT_SKILLS {
                bits |= 1 << n;
            } else {
                extra.push(n);
            }
        }
        if !extra.is_empty() {
            extra.sort_unstable();
            extra.dedup();
            bits |= OVERFLOW_BIT;
            self.overflow.insert(e.id, extra.into_boxed_slice());
        }
        let (lat, lon) = (e.lat as f32, e.lon as f32);
        let key = self.cell_of(lat, lon);
        let cell = match self.grid.get(&key) {
            Some(&c) => c,
            None => {
                let c = self.cells.len() as u32;
                self.cells.push(Cell {
                    row: key.0,
                    col: key.1,
                    ..Cell::default()
                });
                self.grid.insert(key, c);
                c
            }
        };
        let c = &mut self.cells[cell as usize];
        let idx = c.len() as u32;
        c.skills_lo.push(bits as u32);
        c.skills.push(bits);
        c.avail.push(pack_availability(&e.availability));
        c.pos.push([lat, lon]);
        c.meta.push(Meta {
            id: e.id,
            last_served_at: e.last_served_at.unwrap_or(0),
            rating_sum: e.rating_sum,
            rating_count: e.rating_count,
            load: e.load,
            served: u32::from(e.last_served_at.is_some()),
        });
        self.slots.insert(e.id, Slot { cell, idx });
        Ok(())
    }

    /// Removes the volunteer; whether they were indexed.
    pub fn remove(&mut self, id: i64) -> bool {
        let Some(slot) = self.slots.remove(id) else {
            return false;
        };
        self.overflow.remove(&id);
        let c = &mut self.cells[slot.cell as usize];
        c.swap_remove(slot.idx as usize);
        if let Some(moved) = c.meta.get(slot.idx as usize) {
            if let Some(s) = self.slots.get_mut(moved.id) {
                s.idx = slot.idx;
            }
        }
        true
    }

    /// The best `q.k` volunteers for the query, best first (score descending, then id ascending).
    /// Empty when `k` is 0, the point or radius is invalid, or a required skill is unknown.
    pub fn query(&self, q: &Query) -> Vec<Hit> {
        if q.k == 0 || !valid_point(q.lat, q.lon) || !q.radius_m.is_finite() || q.radius_m < 0.0 {
            return Vec::new();
        }
        let mut need = 0u128;
        let mut need_extra: Vec<u32> = Vec::new();
        for s in &q.skills {
            match self.skill_ids.get(s.as_str()) {
                None => return Vec::new(),
                Some(&n) if n < BIT_SKILLS => need |= 1 << n,
                Some(&n) => {
                    need |= OVERFLOW_BIT;
                    need_extra.push(n);
                }
            }
        }
        let window = pack_availability(&q.window);
        let max_load = q.max_load.map_or(u64::MAX, u64::from);
        // Every point within the radius is at most `theta` radians away in latitude.
        let theta = q.radius_m / EARTH_RADIUS_M;
        let dlat = theta.to_degrees() * (1.0 + 1e-9) + 1e-9;
        let cos_q = q.lat.to_radians().cos();
        let mut scan = Scan {
            ix: self,
            q,
            need,
            need_extra: &need_extra,
            window,
            max_load,
            dlat,
            heap: BinaryHeap::with_capacity(q.k + 1),
        };
        // The cells that may hold a volunteer within the radius, with a lower bound of their
        // distance, nearest first.
        let mut near: Vec<(f64, u32)> = Vec::new();
        let mut consider = |c: u32| {
            let cell = &self.cells[c as usize];
            if cell.len() == 0 {
                return;
            }
            let lb = self.cell_lower_bound_m(q, cos_q, cell.row, cell.col);
            if lb <= q.radius_m * (1.0 + 1e-9) + 1e-6 {
                // Rounding may put the computed bound a hair above a computed distance.
                near.push(((lb * (1.0 - 1e-9) - 1e-6).max(0.0), c));
            }
        };
        match self.lon_span(q, theta, dlat) {
            Some(dlon) => {
                let (r0, c0) = self.cell_key(q.lat - dlat, q.lon - dlon);
                let (r1, c1) = self.cell_key(q.lat + dlat, q.lon + dlon);
                let boxed = (i64::from(r1) - i64::from(r0) + 1) * (i64::from(c1) - i64::from(c0) + 1);
                if boxed as u64 > self.cells.len() as u64 {
                    (0..self.cells.len() as u32).for_each(&mut consider);
                } else {
                    for row in r0..=r1 {
                        for col in c0..=c1 {
                            if let Some(&c) = self.grid.get(&(row, col)) {
                                consider(c);
                            }
                        }
                    }
                }
            }
            None => (0..self.cells.len() as u32).for_each(&mut consider),
        }
        near.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (lb, c) in near {
            // Quality and fairness are at most 1 (with a margin for rounding); once even a perfect
            // volunteer at the cell's nearest point would rank below the k-th, so would everyone
            // in this and every farther cell.
            let best = score::combine(score::proximity(lb, q.radius_m), PART_MAX, PART_MAX);
            if scan.heap.len() >= q.k && best < scan.heap.peek().expect("full heap").score {
                break;
            }
            scan.cell(c, lb);
        }
        scan.heap
            .into_sorted_vec()
            .into_iter()
            .map(|r| {
                let c = &self.cells[r.cell as usize];
                let m = c.meta[r.idx as usize];
                let (score, reason) = score::score(
                    r.distance_m,
                    q.radius_m,
                    m.rating_sum,
                    m.rating_count,
                    m.load,
                    m.last_served(),
                    q.now_ms,
                );
                debug_assert_eq!(score, r.score);
                Hit {
                    id: m.id,
                    distance_m: r.distance_m,
                    score,
                    reason,
                }
            })
            .collect()
    }

    fn cell_key(&self, lat: f64, lon: f64) -> (i32, i32) {
        (
            (lat / self.cell_deg).floor() as i32,
            (lon / self.cell_deg).floor() as i32,
        )
    }

    /// Half the longitude span (degrees) of the circle's bounding box, or `None` when the box
    /// would reach a pole or cross the antimeridian (then every cell is checked).
    fn lon_span(&self, q: &Query, theta: f64, dlat: f64) -> Option<f64> {
        if q.lat.abs() + dlat >= 89.0 {
            return None;
        }
        let s = theta.sin() / q.lat.to_radians().cos();
        if theta >= std::f64::consts::FRAC_PI_2 || s >= 1.0 {
            return None;
        }
        let dlon = s.asin().to_degrees() * (1.0 + 1e-9) + 1e-9;
        (q.lon - dlon >= -180.0 && q.lon + dlon <= 180.0).then_some(dlon)
    }

    /// A lower bound (metres) of the distance from the query point to any point of the cell.
    fn cell_lower_bound_m(&self, q: &Query, cos_q: f64, row: i32, col: i32) -> f64 {
        const M: f64 = 1e-9;
        let lat_lo = f64::from(row) * self.cell_deg - M;
        let lat_hi = (f64::from(row) + 1.0) * self.cell_deg + M;
        let lon_lo = f64::from(col) * self.cell_deg - M;
        let lon_hi = (f64::from(col) + 1.0) * self.cell_deg + M;
        let dphi = if q.lat < lat_lo {
            lat_lo - q.lat
        } else if q.lat > lat_hi {
            q.lat - lat_hi
        } else {
            0.0
        };
        let circ = |d: f64| {
            let d = d.rem_euclid(360.0);
            d.min(360.0 - d)
        };
        let dlam = if (lon_lo..=lon_hi).contains(&q.lon) {
            0.0
        } else {
            circ(q.lon - lon_lo).min(circ(q.lon - lon_hi))
        };
        let cos_cell = lat_lo
            .clamp(-90.0, 90.0)
            .to_radians()
            .cos()
            .min(lat_hi.clamp(-90.0, 90.0).to_radians().cos())
            .max(0.0);
        let a = (dphi.to_radians() / 2.0).sin().powi(2)
            + cos_q.max(0.0) * cos_cell * (dlam.to_radians() / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
}

/// The state of one query while it walks the cells.
struct Scan<'a> {
    ix: &'a Index,
    q: &'a Query,
    need: u128,
    need_extra: &'a [u32],
    window: [u64; 3],
    max_load: u64,
    dlat: f64,
    heap: BinaryHeap<Ranked>,
}

impl Scan<'_> {
    /// Scans one cell whose points are at least `lb` metres away.
    fn cell(&mut self, c: u32, lb: f64) {
        let cell = &self.ix.cells[c as usize];
        let best_proximity = score::proximity(lb, self.q.radius_m);
        // The low 32 skill bits first, 64 volunteers at a time into a bit map (branch-free, 4
        // bytes per volunteer); only those that pass are looked at further.
        let need_lo = self.need as u32;
        let mut base = 0;
        for chunk in cell.skills_lo.chunks(64) {
            let mut pass = 0u64;
            for (j, &b) in chunk.iter().enumerate() {
                pass |= u64::from(b & need_lo == need_lo) << j;
            }
            while pass != 0 {
                let i = base + pass.trailing_zeros() as usize;
                pass &= pass - 1;
                self.candidate(c, i, best_proximity);
            }
            base += chunk.len();
        }
    }

    fn candidate(&mut self, c: u32, i: usize, best_proximity: f64) {
        let (ix, q) = (self.ix, self.q);
        let cell = &ix.cells[c as usize];
        let need = self.need;
        if cell.skills[i] & need != need {
            return;
        }
        let (a, w) = (&cell.avail[i], &self.window);
        if a[0] & w[0] != w[0] || a[1] & w[1] != w[1] || a[2] & w[2] != w[2] {
            return;
        }
        let m = &cell.meta[i];
        if u64::from(m.load) >= self.max_load {
            return;
        }
        if q.only.as_ref().is_some_and(|only| !only.contains(&m.id)) {
            return;
        }
        let [plat, plon] = cell.pos[i];
        let (plat, plon) = (f64::from(plat), f64::from(plon));
        if (plat - q.lat).abs() > self.dlat {
            return;
        }
        if !self.need_extra.is_empty() {
            let have = ix.overflow.get(&m.id).map(|v| &v[..]).unwrap_or(&[]);
            if !self.need_extra.iter().all(|n| have.binary_search(n).is_ok()) {
                return;
            }
        }
        let quality = score::quality(m.rating_sum, m.rating_count);
        let fairness = score::fairness(score::days_since(m.last_served(), q.now_ms), m.load);
        let full = self.heap.len() >= q.k;
        if full {
            // Even at the cell's nearest point this volunteer would rank below the k-th.
            let worst = self.heap.peek().expect("full heap");
            if score::combine(best_proximity, quality, fairness) < worst.score {
                return;
            }
        }
        let d = haversine_m(q.lat, q.lon, plat, plon);
        if d > q.radius_m {
            return;
        }
        let cand = Ranked {
            score: score::combine(score::proximity(d, q.radius_m), quality, fairness),
            id: m.id,
            distance_m: d,
            cell: c,
            idx: i as u32,
        };
        if !full {
            self.heap.push(cand);
        } else if cand < *self.heap.peek().expect("full heap") {
            self.heap.pop();
            self.heap.push(cand);
        }
    }
}

#[cfg(test)]
mod tests;
