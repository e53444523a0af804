//! The statistics index: every figure of the dashboards, kept up to date change by change.
//!
//! Service figures live in cells keyed by (region, category, month): the minutes and the number of
//! current confirmed records there, and the set of volunteers who served there as a compressed
//! bitmap. A record adds to the cell of its own region and to every enclosing region's, under its
//! category and under "every category" ([`ALL`]), so any region's figures for any months are a
//! handful of cells, and a distinct count over several months or regions is the size of the union
//! of their bitmaps (a volunteer who served in two townships counts once for the district).
//!
//! Removing a volunteer from a set must know whether another record still puts them there, so the
//! cells of a record's own region ("leaves") keep how many records each volunteer has in them; an
//! enclosing region's set is then "some leaf or child region below has them". Changes are deltas
//! (±1 record, ± minutes) that commute, so the order in which concurrent commits reach the index
//! does not matter.
//!
//! Residence figures (registered volunteers, new registrations, star levels, certificates) are kept
//! per volunteer: setting a volunteer's facts takes back what they counted for before.
//!
//! The sets do not hold volunteer ids but the index's own numbers for them ("slots"), given in
//! order of residence when the index is loaded ([`StatsIndex::number_by_residence`]) and to
//! anyone else when first seen. A compressed bitmap spends about 40 bytes on each 65 536-number
//! block it touches: by id, the few hundred volunteers of a township's month are spread over every
//! block of millions of ids, and the blocks cost ten times the members (4.5 GiB at 4.5 million
//! volunteers); numbered by residence, a district's volunteers are a few neighbouring blocks.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use super::{CategoryCode, Month};
use crate::network::{RegionCode, RegionLevel};

/// The category key of the "every category" cells.
pub const ALL: CategoryCode = u8::MAX;

/// The months a cell covers, as a key: a month (`yyyymm`, 01–12), a quarter (`yyyy`·100 + 20 + q,
/// 21–24) or a year (`yyyy`·100). Every month cell has its quarter's and its year's cell above it,
/// so a calendar year or quarter is one cell and any 12 months at most six.
pub type Span = u32;

/// The quarter span a month lies in.
pub fn quarter_of(m: Month) -> Span {
    m / 100 * 100 + 20 + (m % 100 - 1) / 3 + 1
}

/// The year span a month lies in.
pub fn year_of(m: Month) -> Span {
    m / 100 * 100
}

/// The fewest spans that cover exactly `months` (in any order, repeats ignored): whole years as
/// years, whole quarters as quarters, the rest as months.
pub fn spans(months: &[Month]) -> Vec<Span> {
    spans_with(months, true)
}

/// [`spans`] for a region that keeps quarter cells (`quarters`) or only months and years.
pub fn spans_with(months: &[Month], quarters: bool) -> Vec<Span> {
    let ms = valid_months(months);
    let mut out = Vec::new();
    for year in ms.chunk_by(|a, b| a / 100 == b / 100) {
        if year.len() == 12 {
            out.push(year_of(year[0]));
            continue;
        }
        for quarter in year.chunk_by(|a, b| quarter_of(*a) == quarter_of(*b)) {
            if quarters && quarter.len() == 3 {
                out.push(quarter_of(quarter[0]));
            } else {
                out.extend_from_slice(quarter);
            }
        }
    }
    out
}

/// The real months among `months`, sorted, each once.
fn valid_months(months: &[Month]) -> Vec<Month> {
    let mut ms: Vec<Month> = months
        .iter()
        .copied()
        .filter(|m| (1..=12).contains(&(m % 100)))
        .collect();
    ms.sort_unstable();
    ms.dedup();
    ms
}

/// The number of distinct volunteers in the union of some sets, without keeping the union when
/// one or two sets make it.
pub fn distinct(sets: &[&RoaringBitmap]) -> u64 {
    match sets {
        [] => 0,
        [a] => a.len(),
        [a, b] => a.union_len(b),
        _ => {
            use roaring::MultiOps;
            sets.iter().copied().union().len()
        }
    }
}

/// Where a cell's set of volunteers is kept (see [`StatsIndex::members_at`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sharing {
    /// In the cell.
    No,
    /// In the leaf of the same key.
    Leaf,
    /// In the cell of the same category and months of this region below.
    Child(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    node: u32,
    cat: CategoryCode,
    month: Month,
}

/// Figures of one (region, category, month).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell {
    pub minutes: i64,
    pub records: i64,
    pub members: RoaringBitmap,
}

/// A leaf: the records whose own region is this one, with how many each volunteer has.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Leaf {
    pub minutes: i64,
    pub records: i64,
    /// Volunteers with one record here or more: the set of this (region, category, month)'s
    /// cell too, when the region has no region below it (see [`StatsIndex::members_at`]).
    members: RoaringBitmap,
    /// Volunteers whose count is not one nor zero (more than one; below zero only while a
    /// removal has overtaken its addition).
    other: HashMap<u32, i32>,
}

impl Leaf {
    /// How many records volunteer `v` has here.
    pub fn count(&self, v: u32) -> i32 {
        match self.other.get(&v) {
            Some(&n) => n,
            None => i32::from(self.members.contains(v)),
        }
    }

    fn set(&mut self, v: u32, n: i32) {
        if n >= 1 {
            self.members.insert(v);
        } else {
            self.members.remove(v);
        }
        if n == 0 || n == 1 {
            self.other.remove(&v);
        } else {
            self.other.insert(v, n);
        }
    }

    /// The same leaf with every volunteer `v` as `f(v)` (`f` one-to-one).
    pub fn mapped(&self, mut f: impl FnMut(u32) -> u32) -> Leaf {
        let mut members: Vec<u32> = self.members.iter().map(&mut f).collect();
        members.sort_unstable();
        Leaf {
            minutes: self.minutes,
            records: self.records,
            members: RoaringBitmap::from_sorted_iter(members).expect("sorted"),
            other: self.other.iter().map(|(&v, &n)| (f(v), n)).collect(),
        }
    }

    /// Volunteers with at least one record here.
    pub fn members(&self) -> &RoaringBitmap {
        &self.members
    }

    fn is_empty(&self) -> bool {
        self.records == 0 && self.minutes == 0 && self.members.is_empty() && self.other.is_empty()
    }

    /// Adds a change: ± minutes and ± records of volunteer `v`.
    pub fn add(&mut self, v: u32, minutes: i64, records: i64) {
        self.minutes += minutes;
        self.records += records;
        let n = self.count(v) + records as i32;
        self.set(v, n);
    }

    /// The stored form: the bitmap of volunteers with one record or more, then (volunteer, count)
    /// pairs for those with more than one. Never holds a count below zero.
    pub fn encode_members(&self) -> Vec<u8> {
        let members = &self.members;
        let mut out = Vec::with_capacity(members.serialized_size() + 4);
        out.extend_from_slice(&(members.serialized_size() as u32).to_le_bytes());
        members.serialize_into(&mut out).expect("writing to a Vec");
        let mut many: Vec<(u32, i32)> = self
            .other
            .iter()
            .filter(|(_, &n)| n > 1)
            .map(|(&v, &n)| (v, n))
            .collect();
        many.sort_unstable();
        for (v, n) in many {
            out.extend_from_slice(&v.to_le_bytes());
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        out
    }

    /// Reads [`encode_members`](Self::encode_members) back.
    pub fn decode(minutes: i64, records: i64, bytes: &[u8]) -> Option<Leaf> {
        let len = u32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
        let members = RoaringBitmap::deserialize_from(bytes.get(4..4 + len)?).ok()?;
        let rest = bytes.get(4 + len..)?;
        if rest.len() % 8 != 0 {
            return None;
        }
        let mut other = HashMap::with_capacity(rest.len() / 8);
        for pair in rest.chunks_exact(8) {
            let v = u32::from_le_bytes(pair[0..4].try_into().ok()?);
            let n = u32::from_le_bytes(pair[4..8].try_into().ok()?) as i32;
            // the stored pairs are members with more than one record
            if n <= 1 || !members.contains(v) {
                return None;
            }
            other.insert(v, n);
        }
        Some(Leaf {
            minutes,
            records,
            members,
            other,
        })
    }
}

/// One change to the service figures: a current confirmed record appears (+) or stops being
/// current or confirmed (−).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delta {
    pub region: RegionCode,
    pub category: CategoryCode,
    pub month: Month,
    pub volunteer: u32,
    pub minutes: i64,
    /// +1 or −1.
    pub records: i64,
}

/// Bytes held by each part of the index (see [`StatsIndex::heap_estimate`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapEstimate {
    pub cells: usize,
    pub leaves: usize,
    pub slots: usize,
    pub residents: usize,
    pub tallies: usize,
}

/// The heap bytes of a bitmap: each 65 536-number block's entry (about 40 bytes) and its
/// contents (two bytes a member while sparse, 8 KiB once dense).
pub fn bitmap_bytes(b: &RoaringBitmap) -> usize {
    const BLOCK: usize = 40;
    let s = b.statistics();
    // roaring counts a sparse block's capacity × 4 bytes; its members are u16
    s.n_containers as usize * BLOCK
        + s.n_bytes_array_containers as usize / 2
        + s.n_bitset_containers as usize * 8192
        + s.n_bytes_run_containers as usize
}

/// What a volunteer counts for in the residence figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resident {
    pub region: RegionCode,
    pub registered: Month,
    pub star: u8,
    /// Not closed (注销): only open volunteers count as registered or by star.
    pub open: bool,
    /// The month of each certificate issued to them.
    pub certificates: Vec<Month>,
}

/// A volunteer's residence facts as the index keeps them: twelve bytes in a table indexed by
/// volunteer id (a map of millions of entries each with a list cost five times that), the few
/// volunteers' certificate months apart.
#[derive(Clone, Copy, Debug)]
struct ResidentAt {
    node: u32,
    registered: Month,
    star: u8,
    open: bool,
}

/// The whole index (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct StatsIndex {
    /// By volunteer id: the volunteer's slot + 1 (0: none yet).
    slots: Vec<u32>,
    /// By slot: the volunteer id.
    volunteers: Vec<u32>,
    ids: HashMap<String, u32>,
    codes: Vec<String>,
    parent: Vec<Option<u32>>,
    children: Vec<Vec<u32>>,
    /// By node: how many leaves it has (records placed on the region itself).
    own_leaves: Vec<u32>,
    /// By node: whether it keeps quarter cells (regions above the township: see
    /// [`StatsIndex::spans_above`]).
    quarters: Vec<bool>,
    leaves: HashMap<Key, Leaf>,
    cells: HashMap<Key, Cell>,
    residents: Vec<Option<ResidentAt>>,
    resident_certificates: HashMap<u32, Vec<Month>>,
    registered: HashMap<u32, i64>,
    new_registrations: HashMap<(u32, Month), i64>,
    stars: HashMap<(u32, u8), i64>,
    certificates: HashMap<(u32, Month), i64>,
}

impl StatsIndex {
    pub fn new() -> StatsIndex {
        StatsIndex::default()
    }

    /// The slot of volunteer `v`, given now if they have none.
    fn slot(&mut self, v: u32) -> u32 {
        if let Some(s) = self.slot_of(v) {
            return s;
        }
        let s = self.volunteers.len() as u32;
        if self.slots.len() <= v as usize {
            self.slots.resize(v as usize + 1, 0);
        }
        self.slots[v as usize] = s + 1;
        self.volunteers.push(v);
        s
    }

    fn slot_of(&self, v: u32) -> Option<u32> {
        match self.slots.get(v as usize) {
            Some(&s) if s > 0 => Some(s - 1),
            _ => None,
        }
    }

    /// Volunteer ids of a set of slots.
    fn ids_of(&self, set: &RoaringBitmap) -> RoaringBitmap {
        let mut ids: Vec<u32> = set.iter().map(|s| self.volunteers[s as usize]).collect();
        ids.sort_unstable();
        RoaringBitmap::from_sorted_iter(ids).expect("sorted")
    }

    /// Gives every resident a slot in order of where they live (by region code, then id), so
    /// the members of a region's sets are neighbours. Only while the index holds no set (before
    /// the leaves load); otherwise it does nothing.
    pub fn number_by_residence(&mut self) {
        if !self.cells.is_empty() || !self.leaves.is_empty() {
            return;
        }
        let mut rank = vec![0u32; self.codes.len()];
        let mut by_code: Vec<u32> = (0..self.codes.len() as u32).collect();
        by_code.sort_unstable_by(|a, b| self.codes[*a as usize].cmp(&self.codes[*b as usize]));
        for (r, n) in by_code.into_iter().enumerate() {
            rank[n as usize] = r as u32;
        }
        let mut order: Vec<u64> = self
            .residents
            .iter()
            .enumerate()
            .filter_map(|(id, r)| r.map(|r| (u64::from(rank[r.node as usize]) << 32) | id as u64))
            .collect();
        order.sort_unstable();
        self.slots.clear();
        self.volunteers.clear();
        for key in order {
            self.slot(key as u32);
        }
    }

    /// This index with its volunteers numbered as `like` numbers them, so that sets from both
    /// can be counted together (volunteers `like` has not seen get numbers past all of its
    /// own). Only for reading figures beside `like`.
    pub fn renumbered_as(&self, like: &StatsIndex) -> StatsIndex {
        let past = like.volunteers.len() as u32;
        let map = |s: u32| {
            let v = self.volunteers[s as usize];
            like.slot_of(v).unwrap_or(past + v)
        };
        let remap = |set: &RoaringBitmap| {
            let mut out: Vec<u32> = set.iter().map(map).collect();
            out.sort_unstable();
            RoaringBitmap::from_sorted_iter(out).expect("sorted")
        };
        let mut out = StatsIndex {
            slots: Vec::new(),
            volunteers: Vec::new(),
            ..self.clone()
        };
        for cell in out.cells.values_mut() {
            cell.members = remap(&cell.members);
        }
        for leaf in out.leaves.values_mut() {
            *leaf = leaf.mapped(map);
        }
        out
    }

    fn intern(&mut self, region: &RegionCode) -> u32 {
        if let Some(&id) = self.ids.get(region.as_str()) {
            return id;
        }
        let mut parent: Option<u32> = None;
        for a in region.ancestors() {
            let id = match self.ids.get(a.as_str()) {
                Some(&id) => id,
                None => {
                    let id = self.codes.len() as u32;
                    self.ids.insert(a.as_str().to_owned(), id);
                    self.codes.push(a.as_str().to_owned());
                    self.parent.push(parent);
                    self.children.push(Vec::new());
                    self.own_leaves.push(0);
                    self.quarters
                        .push(!matches!(a.level(), RegionLevel::Township | RegionLevel::Village));
                    if let Some(p) = parent {
                        // a second region below, or a first: `p` stops sharing its sets
                        self.materialize(p);
                        self.children[p as usize].push(id);
                    }
                    id
                }
            };
            parent = Some(id);
        }
        parent.expect("a code has itself among its ancestors")
    }

    /// Whether the cell `key` keeps a set of its own or shares one that is the same by
    /// construction: a month of one category of a region with no region below it has exactly
    /// its leaf's volunteers, and a region with one region below it and no records of its own
    /// (Beijing's 北京市 above 市辖区) has exactly that region's.
    fn sharing(&self, key: &Key) -> Sharing {
        let below = &self.children[key.node as usize];
        match below.len() {
            0 if key.cat != ALL && (1..=12).contains(&(key.month % 100)) => Sharing::Leaf,
            // (a region below without quarter cells has no quarter to share)
            1 if self.own_leaves[key.node as usize] == 0
                && (self.quarters[below[0] as usize] || !(21..=24).contains(&(key.month % 100))) =>
            {
                Sharing::Child(below[0])
            }
            _ => Sharing::No,
        }
    }

    /// The volunteers of cell `key` (whose figures are `cell`).
    fn members_at<'a>(&'a self, key: &Key, cell: &'a Cell) -> &'a RoaringBitmap {
        self.set_of(key).unwrap_or(&cell.members)
    }

    /// The volunteers of cell `key`, wherever they are kept, whether or not the cell itself is
    /// there (`None`: nobody).
    fn set_of(&self, key: &Key) -> Option<&RoaringBitmap> {
        let mut key = *key;
        loop {
            match self.sharing(&key) {
                Sharing::No => return self.cells.get(&key).map(|c| &c.members),
                Sharing::Leaf => return self.leaves.get(&key).map(|l| &l.members),
                Sharing::Child(c) => key.node = c,
            }
        }
    }

    /// Keeps cell `key` exactly while it has figures or volunteers (its own or shared): a cell
    /// whose minutes and records cancel out may still have volunteers who served, when changes
    /// arrive out of order, and its set may be one it shares.
    fn tidy(&mut self, key: Key) {
        let figures = self
            .cells
            .get(&key)
            .is_some_and(|c| c.minutes != 0 || c.records != 0);
        if figures || self.set_of(&key).is_some_and(|s| !s.is_empty()) {
            self.cells.entry(key).or_default();
        } else {
            self.cells.remove(&key);
        }
    }

    /// Node `node`'s cells are about to stop sharing (it gains a region below it or records of
    /// its own): each takes a copy of the set it shared.
    fn materialize(&mut self, node: u32) {
        let copies: Vec<(Key, RoaringBitmap)> = self
            .cells
            .iter()
            .filter(|(k, _)| k.node == node && self.sharing(k) != Sharing::No)
            .map(|(k, c)| (*k, self.members_at(k, c).clone()))
            .collect();
        for (k, members) in copies {
            if let Some(c) = self.cells.get_mut(&k) {
                c.members = members;
            }
        }
    }

    /// Node `node`'s cells share again (its last record of its own is gone): their copies go.
    fn forget_copies(&mut self, node: u32) {
        let shared: Vec<Key> = self
            .cells
            .keys()
            .filter(|k| k.node == node && self.sharing(k) != Sharing::No)
            .copied()
            .collect();
        for k in shared {
            if let Some(c) = self.cells.get_mut(&k) {
                c.members = RoaringBitmap::new();
            }
        }
    }

    /// A leaf at `key` is about to be added.
    fn leaf_added(&mut self, key: &Key) {
        let n = key.node as usize;
        if self.own_leaves[n] == 0 && self.children[n].len() == 1 {
            self.materialize(key.node);
        }
        self.own_leaves[n] += 1;
    }

    /// The leaf at `key` has gone.
    fn leaf_removed(&mut self, key: &Key) {
        let n = key.node as usize;
        self.own_leaves[n] -= 1;
        if self.own_leaves[n] == 0 && self.children[n].len() == 1 {
            self.forget_copies(key.node);
        }
    }

    /// The cells a month counts in at `node`: the month's, its quarter's (above the township
    /// only) and its year's. A township's quarter is three small month sets to count together;
    /// its quarter cells cost a sixth of the index, while the district's and the city's quarter
    /// rows, whose sets are the largest, stay one cell each.
    fn spans_above(&self, node: u32, month: Month) -> impl Iterator<Item = Span> {
        let quarter = self.quarters[node as usize].then(|| quarter_of(month));
        [Some(month), quarter, Some(year_of(month))].into_iter().flatten()
    }

    fn node(&self, code: &str) -> Option<u32> {
        self.ids.get(code).copied()
    }

    /// The node and every enclosing one, from the node up.
    fn path(&self, node: u32) -> Vec<u32> {
        let mut out = vec![node];
        let mut at = node;
        while let Some(p) = self.parent[at as usize] {
            out.push(p);
            at = p;
        }
        out
    }

    fn member_below(&self, node: u32, cat: CategoryCode, month: Month, v: u32) -> bool {
        let own = self
            .leaves
            .get(&Key { node, cat, month })
            .is_some_and(|l| l.count(v) > 0);
        own || self.children[node as usize]
            .iter()
            .any(|&c| self.has(c, cat, month, v))
    }

    fn set_member(&mut self, key: Key, v: u32, member: bool) {
        if self.sharing(&key) == Sharing::No {
            let cell = self.cells.entry(key).or_default();
            if member {
                cell.members.insert(v);
            } else {
                cell.members.remove(v);
            }
        }
        // (a shared set has changed where it is kept: the cell is there while it is not empty)
        self.tidy(key);
    }

    /// Applies one change to the service figures.
    pub fn apply(&mut self, d: &Delta) {
        let node = self.intern(&d.region);
        let v = self.slot(d.volunteer);
        let leaf_key = Key {
            node,
            cat: d.category,
            month: d.month,
        };
        if !self.leaves.contains_key(&leaf_key) {
            self.leaf_added(&leaf_key);
        }
        let leaf = self.leaves.entry(leaf_key).or_default();
        let before = leaf.count(v) > 0;
        leaf.add(v, d.minutes, d.records);
        let after = leaf.count(v) > 0;
        if leaf.is_empty() {
            self.leaves.remove(&leaf_key);
            self.leaf_removed(&leaf_key);
        }
        let path = self.path(node);
        let (quarter, year) = (quarter_of(d.month), year_of(d.month));
        for &a in &path {
            let spans: Vec<Span> = self.spans_above(a, d.month).collect();
            for cat in [d.category, ALL] {
                for &month in &spans {
                    let key = Key { node: a, cat, month };
                    let cell = self.cells.entry(key).or_default();
                    cell.minutes += d.minutes;
                    cell.records += d.records;
                    self.tidy(key);
                }
            }
        }
        if before != after {
            for &a in &path {
                let m = self.member_below(a, d.category, d.month, v);
                self.set_member(
                    Key {
                        node: a,
                        cat: d.category,
                        month: d.month,
                    },
                    v,
                    m,
                );
                let any = super::category_codes().any(|c| self.has(a, c, d.month, v));
                self.set_member(
                    Key {
                        node: a,
                        cat: ALL,
                        month: d.month,
                    },
                    v,
                    any,
                );
                for cat in [d.category, ALL] {
                    let y = if self.quarters[a as usize] {
                        let first = year + (quarter % 100 - 21) * 3 + 1;
                        let q = (first..first + 3).any(|m| self.has(a, cat, m, v));
                        self.set_member(
                            Key {
                                node: a,
                                cat,
                                month: quarter,
                            },
                            v,
                            q,
                        );
                        (1..=4).any(|q| self.has(a, cat, year + 20 + q, v))
                    } else {
                        (1..=12).any(|m| self.has(a, cat, year + m, v))
                    };
                    self.set_member(
                        Key {
                            node: a,
                            cat,
                            month: year,
                        },
                        v,
                        y,
                    );
                }
            }
        }
    }

    fn has(&self, node: u32, cat: CategoryCode, month: Span, v: u32) -> bool {
        self.set_of(&Key { node, cat, month })
            .is_some_and(|s| s.contains(v))
    }

    /// A leaf as loaded from storage (the index must be empty at that leaf).
    pub fn load_leaf(&mut self, region: &RegionCode, category: CategoryCode, month: Month, leaf: Leaf) {
        self.load_leaves(vec![(region.clone(), category, month, leaf)]);
    }

    /// Leaves as loaded from storage (the index must be empty at each). The cells above them are
    /// built from the bottom up, each from the sets just below it: a category-month from its
    /// leaf and the same category-month of the regions below, every category's month from the
    /// region's category-months, a quarter from its months, a year from its quarters (or its
    /// months). Built from all the leaves below instead, a city year was one union of every
    /// township's category-months (tens of thousands of small sets); from below, it is four.
    /// The cells of one level and kind are independent: one share of them per core.
    pub fn load_leaves(&mut self, leaves: Vec<(RegionCode, CategoryCode, Month, Leaf)>) {
        let mut touched: std::collections::HashSet<Key> = std::collections::HashSet::new();
        for (region, category, month, leaf) in leaves {
            let node = self.intern(&region);
            let leaf = leaf.mapped(|v| self.slot(v));
            for a in self.path(node) {
                let spans: Vec<Span> = self.spans_above(a, month).collect();
                for cat in [category, ALL] {
                    for &span in &spans {
                        let key = Key {
                            node: a,
                            cat,
                            month: span,
                        };
                        let cell = self.cells.entry(key).or_default();
                        cell.minutes += leaf.minutes;
                        cell.records += leaf.records;
                        touched.insert(key);
                    }
                }
            }
            let key = Key {
                node,
                cat: category,
                month,
            };
            if !self.leaves.contains_key(&key) {
                self.leaf_added(&key);
            }
            self.leaves.insert(key, leaf);
        }
        // (depth, kind) from the deepest: 0 a category's month, 1 every category's month,
        // 2 a quarter, 3 a year
        let mut steps: std::collections::BTreeMap<(std::cmp::Reverse<usize>, u8), Vec<Key>> =
            std::collections::BTreeMap::new();
        for key in touched {
            if self.sharing(&key) != Sharing::No {
                continue;
            }
            let kind = match key.month % 100 {
                0 => 3,
                21..=24 => 2,
                _ if key.cat == ALL => 1,
                _ => 0,
            };
            let depth = self.path(key.node).len();
            steps
                .entry((std::cmp::Reverse(depth), kind))
                .or_default()
                .push(key);
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for keys in steps.into_values() {
            let share = keys.len().div_ceil(cores).max(1);
            let built: Vec<Vec<(Key, RoaringBitmap)>> = std::thread::scope(|scope| {
                let this = &*self;
                let workers: Vec<_> = keys
                    .chunks(share)
                    .map(|part| {
                        scope.spawn(move || {
                            use roaring::MultiOps;
                            part.iter()
                                .map(|key| (*key, this.sets_below(key).into_iter().union()))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .map(|w| w.join().expect("a union does not panic"))
                    .collect()
            });
            for (key, members) in built.into_iter().flatten() {
                self.cells.entry(key).or_default().members = members;
            }
        }
    }

    /// The sets cell `key`'s set is the union of (see [`load_leaves`](Self::load_leaves)).
    fn sets_below(&self, key: &Key) -> Vec<&RoaringBitmap> {
        let at = |node: u32, cat: CategoryCode, month: Span| {
            let k = Key { node, cat, month };
            self.cells.get(&k).map(|c| self.members_at(&k, c))
        };
        let Key { node, cat, month } = *key;
        let year = month / 100 * 100;
        match month % 100 {
            0 if self.quarters[node as usize] => (21..=24).filter_map(|q| at(node, cat, year + q)).collect(),
            0 => (1..=12).filter_map(|m| at(node, cat, year + m)).collect(),
            q @ 21..=24 => {
                let first = year + (q - 21) * 3 + 1;
                (first..first + 3).filter_map(|m| at(node, cat, m)).collect()
            }
            _ if cat == ALL => super::category_codes()
                .filter_map(|c| at(node, c, month))
                .collect(),
            _ => self
                .leaves
                .get(key)
                .map(|l| &l.members)
                .into_iter()
                .chain(
                    self.children[node as usize]
                        .iter()
                        .filter_map(|&c| at(c, cat, month)),
                )
                .collect(),
        }
    }

    /// Every leaf, its volunteers by id (the stored form): (region, category, month, leaf).
    pub fn leaves(&self) -> impl Iterator<Item = (&str, CategoryCode, Month, Leaf)> {
        self.leaves.iter().map(|(k, l)| {
            (
                self.codes[k.node as usize].as_str(),
                k.cat,
                k.month,
                l.mapped(|s| self.volunteers[s as usize]),
            )
        })
    }

    /// Minutes and records over several months, and the sets of volunteers who served (one per
    /// span: see [`spans`]) to be counted together with [`distinct`].
    pub fn gather<'a>(
        &'a self,
        region: &str,
        category: Option<CategoryCode>,
        months: &[Month],
        sets: &mut Vec<&'a RoaringBitmap>,
    ) -> (i64, i64) {
        let mut minutes = 0;
        let mut records = 0;
        let Some(node) = self.node(region) else {
            return (0, 0);
        };
        let cat = category.unwrap_or(ALL);
        for month in spans_with(months, self.quarters[node as usize]) {
            let key = Key { node, cat, month };
            if let Some(c) = self.cells.get(&key) {
                minutes += c.minutes;
                records += c.records;
                sets.push(self.members_at(&key, c));
            }
        }
        (minutes, records)
    }

    /// Minutes, records and the volunteers who served (by id), over several months.
    pub fn union(
        &self,
        region: &str,
        category: Option<CategoryCode>,
        months: &[Month],
    ) -> (i64, i64, RoaringBitmap) {
        let mut sets = Vec::new();
        let (minutes, records) = self.gather(region, category, months, &mut sets);
        let members = match sets.len() {
            0 => RoaringBitmap::new(),
            1 => sets[0].clone(),
            _ => {
                use roaring::MultiOps;
                sets.into_iter().union()
            }
        };
        (minutes, records, self.ids_of(&members))
    }

    /// Like [`union`](Self::union), but only the records whose own region is `region` itself
    /// (not a region below it): the 本级 row of a breakdown. The set holds the index's numbers
    /// for the volunteers (to be counted, or joined with another such set of this index or one
    /// [renumbered](Self::renumbered_as) like it).
    pub fn own_union(
        &self,
        region: &str,
        category: Option<CategoryCode>,
        months: &[Month],
    ) -> (i64, i64, RoaringBitmap) {
        let mut out = (0, 0, RoaringBitmap::new());
        let Some(node) = self.node(region) else { return out };
        let cats: Vec<CategoryCode> = match category {
            Some(c) => vec![c],
            None => super::category_codes().collect(),
        };
        for &m in months {
            for &c in &cats {
                if let Some(l) = self.leaves.get(&Key {
                    node,
                    cat: c,
                    month: m,
                }) {
                    out.0 += l.minutes;
                    out.1 += l.records;
                    out.2 |= l.members();
                }
            }
        }
        out
    }

    /// Sets (or with `None`, forgets) what volunteer `id` counts for by residence.
    pub fn set_resident(&mut self, id: u32, facts: Option<Resident>) {
        let slot = id as usize;
        if let Some(old) = self.residents.get_mut(slot).and_then(Option::take) {
            let certificates = self.resident_certificates.remove(&id).unwrap_or_default();
            self.count_resident(&old, &certificates, -1);
        }
        if let Some(f) = facts {
            let node = self.intern(&f.region);
            let at = ResidentAt {
                node,
                registered: f.registered,
                star: f.star,
                open: f.open,
            };
            self.count_resident(&at, &f.certificates, 1);
            if self.residents.len() <= slot {
                self.residents.resize(slot + 1, None);
            }
            self.residents[slot] = Some(at);
            if !f.certificates.is_empty() {
                self.resident_certificates.insert(id, f.certificates);
            }
        }
    }

    fn count_resident(&mut self, r: &ResidentAt, certificates: &[Month], sign: i64) {
        for a in self.path(r.node) {
            if r.open {
                *self.registered.entry(a).or_insert(0) += sign;
                *self.new_registrations.entry((a, r.registered)).or_insert(0) += sign;
                if r.star > 0 {
                    *self.stars.entry((a, r.star)).or_insert(0) += sign;
                }
            }
            for &m in certificates {
                *self.certificates.entry((a, m)).or_insert(0) += sign;
            }
        }
    }

    /// Open volunteers living in a region.
    pub fn registered(&self, region: &str) -> i64 {
        self.node(region)
            .and_then(|n| self.registered.get(&n))
            .copied()
            .unwrap_or(0)
    }

    /// Open volunteers living in a region who registered in a month.
    pub fn new_registrations(&self, region: &str, month: Month) -> i64 {
        self.node(region)
            .and_then(|n| self.new_registrations.get(&(n, month)))
            .copied()
            .unwrap_or(0)
    }

    /// Open volunteers living in a region at a star level (1..=5).
    pub fn star_count(&self, region: &str, star: u8) -> i64 {
        self.node(region)
            .and_then(|n| self.stars.get(&(n, star)))
            .copied()
            .unwrap_or(0)
    }

    /// Certificates issued in a month to volunteers living in a region.
    pub fn certificates(&self, region: &str, month: Month) -> i64 {
        self.node(region)
            .and_then(|n| self.certificates.get(&(n, month)))
            .copied()
            .unwrap_or(0)
    }

    /// Every difference between this index and `other` (same figures, whatever the numbering
    /// of regions and volunteers), at most `limit` of them, described in words for
    /// `verify-stats`.
    pub fn differences(&self, other: &StatsIndex, limit: usize) -> Vec<String> {
        let mut out = Vec::new();
        let name =
            |i: &StatsIndex, k: &Key| format!("{} 类别{} {}", i.codes[k.node as usize], k.cat, k.month);
        let same_slots = self.volunteers == other.volunteers;
        let cells_by_name = |i: &StatsIndex| -> HashMap<String, Cell> {
            i.cells
                .iter()
                .filter(|(k, c)| c.records != 0 || c.minutes != 0 || !i.members_at(k, c).is_empty())
                .map(|(k, c)| {
                    let members = if same_slots {
                        i.members_at(k, c).clone()
                    } else {
                        i.ids_of(i.members_at(k, c))
                    };
                    (name(i, k), Cell { members, ..c.clone() })
                })
                .collect()
        };
        let (mine, theirs) = (cells_by_name(self), cells_by_name(other));
        let mut keys: Vec<&String> = mine.keys().chain(theirs.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let (a, b) = (
                mine.get(k).cloned().unwrap_or_default(),
                theirs.get(k).cloned().unwrap_or_default(),
            );
            if a != b {
                out.push(format!(
                    "单元 {k}: 时长 {} ≠ {}，记录 {} ≠ {}，人数 {} ≠ {}",
                    a.minutes,
                    b.minutes,
                    a.records,
                    b.records,
                    a.members.len(),
                    b.members.len()
                ));
                if out.len() >= limit {
                    return out;
                }
            }
        }
        let named = |i: &StatsIndex, map: &HashMap<(u32, Month), i64>, what: &str| -> HashMap<String, i64> {
            map.iter()
                .filter(|(_, &n)| n != 0)
                .map(|((node, m), &n)| (format!("{what} {} {m}", i.codes[*node as usize]), n))
                .collect()
        };
        let mut flat_a = named(self, &self.new_registrations, "新注册");
        flat_a.extend(named(self, &self.certificates, "证明"));
        let mut flat_b = named(other, &other.new_registrations, "新注册");
        flat_b.extend(named(other, &other.certificates, "证明"));
        for (i, map, into) in [
            (self, &self.stars, &mut flat_a),
            (other, &other.stars, &mut flat_b),
        ] {
            into.extend(
                map.iter()
                    .filter(|(_, &n)| n != 0)
                    .map(|((node, s), &n)| (format!("星级{s} {}", i.codes[*node as usize]), n)),
            );
        }
        for (i, into) in [(self, &mut flat_a), (other, &mut flat_b)] {
            into.extend(
                i.registered
                    .iter()
                    .filter(|(_, &n)| n != 0)
                    .map(|(node, &n)| (format!("注册 {}", i.codes[*node as usize]), n)),
            );
        }
        let mut keys: Vec<&String> = flat_a.keys().chain(flat_b.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let (a, b) = (
                flat_a.get(k).copied().unwrap_or(0),
                flat_b.get(k).copied().unwrap_or(0),
            );
            if a != b {
                out.push(format!("{k}: {a} ≠ {b}"));
                if out.len() >= limit {
                    break;
                }
            }
        }
        out
    }

    /// The cells' bytes by kind: (depth below the city (0 city, 1 district, 2 township, …),
    /// span kind (`'m'` month, `'q'` quarter, `'y'` year), every-category or not, cells, bytes).
    pub fn cells_by_kind(&self) -> Vec<(usize, char, bool, usize, usize)> {
        let mut kinds: std::collections::BTreeMap<(usize, char, bool), (usize, usize)> =
            std::collections::BTreeMap::new();
        for (k, c) in &self.cells {
            let kind = match k.month % 100 {
                0 => 'y',
                21..=24 => 'q',
                _ => 'm',
            };
            let e = kinds
                .entry((self.path(k.node).len() - 1, kind, k.cat == ALL))
                .or_default();
            e.0 += 1;
            e.1 += bitmap_bytes(&c.members);
        }
        kinds
            .into_iter()
            .map(|((d, kind, all), (n, b))| (d, kind, all, n, b))
            .collect()
    }

    /// Number of cells and leaves (for the start-up log).
    pub fn size(&self) -> (usize, usize) {
        (self.cells.len(), self.leaves.len())
    }

    /// Roughly how many bytes each part holds (from the structures' sizes: bitmaps by their
    /// blocks and the blocks' contents, maps by entries × entry size), for the benchmark's
    /// account of memory.
    pub fn heap_estimate(&self) -> HeapEstimate {
        use std::mem::size_of;
        let map = |entries: usize, entry: usize| entries * (entry + 1) * 8 / 7;
        HeapEstimate {
            cells: map(self.cells.len(), size_of::<(Key, Cell)>())
                + self
                    .cells
                    .values()
                    .map(|c| bitmap_bytes(&c.members))
                    .sum::<usize>(),
            leaves: map(self.leaves.len(), size_of::<(Key, Leaf)>())
                + self
                    .leaves
                    .values()
                    .map(|l| bitmap_bytes(&l.members) + map(l.other.len(), size_of::<(u32, i32)>()))
                    .sum::<usize>(),
            slots: (self.slots.capacity() + self.volunteers.capacity()) * size_of::<u32>(),
            residents: self.residents.capacity() * size_of::<Option<ResidentAt>>()
                + map(self.resident_certificates.len(), size_of::<(u32, Vec<Month>)>())
                + self
                    .resident_certificates
                    .values()
                    .map(|c| c.capacity() * size_of::<Month>())
                    .sum::<usize>(),
            tallies: map(
                self.registered.len()
                    + self.new_registrations.len()
                    + self.stars.len()
                    + self.certificates.len(),
                24,
            ),
        }
    }
}

#[cfg(test)]
#[path = "index/tests.rs"]
mod tests;
