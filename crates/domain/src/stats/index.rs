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
use crate::network::RegionCode;

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
    let ms = valid_months(months);
    let mut out = Vec::new();
    for year in ms.chunk_by(|a, b| a / 100 == b / 100) {
        if year.len() == 12 {
            out.push(year_of(year[0]));
            continue;
        }
        for quarter in year.chunk_by(|a, b| quarter_of(*a) == quarter_of(*b)) {
            if quarter.len() == 3 {
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
    /// Volunteers with exactly one record here.
    ones: RoaringBitmap,
    /// Volunteers with any other non-zero count (more than one; below zero only while a
    /// removal has overtaken its addition).
    other: HashMap<u32, i32>,
}

impl Leaf {
    /// How many records volunteer `v` has here.
    pub fn count(&self, v: u32) -> i32 {
        if self.ones.contains(v) {
            1
        } else {
            self.other.get(&v).copied().unwrap_or(0)
        }
    }

    fn set(&mut self, v: u32, n: i32) {
        self.ones.remove(v);
        self.other.remove(&v);
        match n {
            0 => {}
            1 => {
                self.ones.insert(v);
            }
            n => {
                self.other.insert(v, n);
            }
        }
    }

    /// The same leaf with every volunteer `v` as `f(v)` (`f` one-to-one).
    pub fn mapped(&self, mut f: impl FnMut(u32) -> u32) -> Leaf {
        let mut ones: Vec<u32> = self.ones.iter().map(&mut f).collect();
        ones.sort_unstable();
        Leaf {
            minutes: self.minutes,
            records: self.records,
            ones: RoaringBitmap::from_sorted_iter(ones).expect("sorted"),
            other: self.other.iter().map(|(&v, &n)| (f(v), n)).collect(),
        }
    }

    /// Volunteers with at least one record here.
    pub fn members(&self) -> RoaringBitmap {
        let mut m = self.ones.clone();
        m.extend(self.other.iter().filter(|(_, &n)| n > 0).map(|(&v, _)| v));
        m
    }

    fn is_empty(&self) -> bool {
        self.records == 0 && self.minutes == 0 && self.ones.is_empty() && self.other.is_empty()
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
        let members = self.members();
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
        let mut leaf = Leaf {
            minutes,
            records,
            ones: members,
            other: HashMap::new(),
        };
        let rest = bytes.get(4 + len..)?;
        if rest.len() % 8 != 0 {
            return None;
        }
        for pair in rest.chunks_exact(8) {
            let v = u32::from_le_bytes(pair[0..4].try_into().ok()?);
            let n = u32::from_le_bytes(pair[4..8].try_into().ok()?) as i32;
            leaf.set(v, n);
        }
        Some(leaf)
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
                    if let Some(p) = parent {
                        self.children[p as usize].push(id);
                    }
                    id
                }
            };
            parent = Some(id);
        }
        parent.expect("a code has itself among its ancestors")
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
        own || self.children[node as usize].iter().any(|&c| {
            self.cells
                .get(&Key { node: c, cat, month })
                .is_some_and(|cell| cell.members.contains(v))
        })
    }

    fn set_member(&mut self, key: Key, v: u32, member: bool) {
        let cell = self.cells.entry(key).or_default();
        if member {
            cell.members.insert(v);
        } else {
            cell.members.remove(v);
        }
        if cell.records == 0 && cell.minutes == 0 && cell.members.is_empty() {
            self.cells.remove(&key);
        }
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
        let leaf = self.leaves.entry(leaf_key).or_default();
        let before = leaf.count(v) > 0;
        leaf.add(v, d.minutes, d.records);
        let after = leaf.count(v) > 0;
        if leaf.is_empty() {
            self.leaves.remove(&leaf_key);
        }
        let path = self.path(node);
        let (quarter, year) = (quarter_of(d.month), year_of(d.month));
        for &a in &path {
            for cat in [d.category, ALL] {
                for month in [d.month, quarter, year] {
                    let key = Key { node: a, cat, month };
                    let cell = self.cells.entry(key).or_default();
                    cell.minutes += d.minutes;
                    cell.records += d.records;
                    if cell.records == 0 && cell.minutes == 0 && cell.members.is_empty() {
                        self.cells.remove(&key);
                    }
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
                    let y = (1..=4).any(|q| self.has(a, cat, year + 20 + q, v));
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
        self.cells
            .get(&Key { node, cat, month })
            .is_some_and(|cell| cell.members.contains(v))
    }

    /// A leaf as loaded from storage (the index must be empty at that leaf).
    pub fn load_leaf(&mut self, region: &RegionCode, category: CategoryCode, month: Month, leaf: Leaf) {
        self.load_leaves(vec![(region.clone(), category, month, leaf)]);
    }

    /// Leaves as loaded from storage (the index must be empty at each). Every cell above them
    /// takes the union of its leaves' members in one multi-way union, rather than one leaf at a
    /// time: merging sorted arrays into an ever larger one is what made loading slow.
    pub fn load_leaves(&mut self, leaves: Vec<(RegionCode, CategoryCode, Month, Leaf)>) {
        let mut members = Vec::with_capacity(leaves.len());
        let mut targets: HashMap<Key, Vec<usize>> = HashMap::new();
        for (i, (region, category, month, leaf)) in leaves.into_iter().enumerate() {
            let node = self.intern(&region);
            let leaf = leaf.mapped(|v| self.slot(v));
            for &a in &self.path(node) {
                for cat in [category, ALL] {
                    for span in [month, quarter_of(month), year_of(month)] {
                        let key = Key {
                            node: a,
                            cat,
                            month: span,
                        };
                        let cell = self.cells.entry(key).or_default();
                        cell.minutes += leaf.minutes;
                        cell.records += leaf.records;
                        targets.entry(key).or_default().push(i);
                    }
                }
            }
            members.push(leaf.members());
            self.leaves.insert(
                Key {
                    node,
                    cat: category,
                    month,
                },
                leaf,
            );
        }
        // the unions are independent: one share of the cells per core
        let targets: Vec<(Key, Vec<usize>)> = targets.into_iter().collect();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let share = targets.len().div_ceil(cores).max(1);
        let unions: Vec<Vec<(Key, RoaringBitmap)>> = std::thread::scope(|scope| {
            let members = &members;
            let workers: Vec<_> = targets
                .chunks(share)
                .map(|part| {
                    scope.spawn(move || {
                        use roaring::MultiOps;
                        part.iter()
                            .map(|(key, from)| (*key, from.iter().map(|&i| &members[i]).union()))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("a union does not panic"))
                .collect()
        });
        for (key, union) in unions.into_iter().flatten() {
            let cell = self.cells.entry(key).or_default();
            if cell.members.is_empty() {
                cell.members = union;
            } else {
                cell.members |= union;
            }
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
        for month in spans(months) {
            if let Some(c) = self.cells.get(&Key { node, cat, month }) {
                minutes += c.minutes;
                records += c.records;
                sets.push(&c.members);
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
                .filter(|(_, c)| c.records != 0 || c.minutes != 0 || !c.members.is_empty())
                .map(|(k, c)| {
                    let members = if same_slots {
                        c.members.clone()
                    } else {
                        i.ids_of(&c.members)
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
                    .map(|l| bitmap_bytes(&l.ones) + map(l.other.len(), size_of::<(u32, i32)>()))
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
