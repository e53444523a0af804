//! The project figures of the dashboards: projects with a shift starting in the period (each
//! counted once however many of its shifts fall there) and those shifts, per region, category and
//! month, answered from memory. A city's year holds hundreds of thousands of shifts; counting
//! distinct projects over them per view was most of a city dashboard's time.
//!
//! A project lies in one region and one category, so what it contributes is its own: the set
//! of months its (not cancelled) shifts start in, with how many each. [`ProjectIndex::set`]
//! replaces a project's whole contribution with what the rows now say, which makes every
//! change (a new shift, a moved one, a cancelled project) the same exact step, in any order:
//! the last refresh after the last commit leaves the figures the rows give.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use super::index::{quarter_of, spans, year_of, Span, ALL};
use super::{CategoryCode, Month};
use crate::network::RegionCode;

/// What one project contributes: where, in which category, and its shifts per month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectFacts {
    pub region: RegionCode,
    pub category: CategoryCode,
    /// (month, shifts starting in it), each month once, none with zero shifts.
    pub months: Vec<(Month, u32)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    node: u32,
    cat: CategoryCode,
    span: Span,
}

#[derive(Clone, Debug, Default)]
struct Cell {
    shifts: i64,
    projects: RoaringBitmap,
}

#[derive(Clone, Debug)]
struct Held {
    /// The region and every enclosing one.
    path: Vec<u32>,
    region: RegionCode,
    cat: CategoryCode,
    months: Vec<(Month, u32)>,
}

/// Shift counts and distinct-project sets per (region, category, month / quarter / year).
#[derive(Clone, Debug, Default)]
pub struct ProjectIndex {
    ids: HashMap<String, u32>,
    cells: HashMap<Key, Cell>,
    held: HashMap<u32, Held>,
}

impl ProjectIndex {
    pub fn new() -> ProjectIndex {
        ProjectIndex::default()
    }

    fn node(&mut self, code: &RegionCode) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(code.as_str().to_owned()).or_insert(next)
    }

    /// Sets (or with `None`, forgets) project `id`'s contribution: what its rows now give.
    pub fn set(&mut self, id: u32, facts: Option<ProjectFacts>) {
        if let Some(old) = self.held.remove(&id) {
            self.apply(id, &old, -1);
        }
        let Some(f) = facts.filter(|f| f.months.iter().any(|&(_, n)| n > 0)) else {
            return;
        };
        let path = f.region.ancestors().iter().map(|a| self.node(a)).collect();
        let held = Held {
            path,
            region: f.region,
            cat: f.category,
            months: f.months.into_iter().filter(|&(_, n)| n > 0).collect(),
        };
        self.apply(id, &held, 1);
        self.held.insert(id, held);
    }

    fn apply(&mut self, id: u32, h: &Held, sign: i64) {
        for &node in &h.path {
            for cat in [h.cat, ALL] {
                for &(m, n) in &h.months {
                    for span in [m, quarter_of(m), year_of(m)] {
                        let key = Key { node, cat, span };
                        let cell = self.cells.entry(key).or_default();
                        cell.shifts += sign * i64::from(n);
                        if sign > 0 {
                            cell.projects.insert(id);
                        } else {
                            cell.projects.remove(id);
                        }
                        if cell.shifts == 0 && cell.projects.is_empty() {
                            self.cells.remove(&key);
                        }
                    }
                }
            }
        }
    }

    /// Shifts in a region (12-digit code) and category (`None`: all) over some months, and
    /// the sets of projects they belong to (count them together with
    /// [`distinct`](super::index::distinct), with any others for the same selection).
    pub fn gather<'a>(
        &'a self,
        region: &str,
        category: Option<CategoryCode>,
        months: &[Month],
        sets: &mut Vec<&'a RoaringBitmap>,
    ) -> i64 {
        let Some(&node) = self.ids.get(region) else {
            return 0;
        };
        let cat = category.unwrap_or(ALL);
        let mut shifts = 0;
        for span in spans(months) {
            if let Some(c) = self.cells.get(&Key { node, cat, span }) {
                shifts += c.shifts;
                sets.push(&c.projects);
            }
        }
        shifts
    }

    /// Every project's contribution, by id (what `verify-stats` compares).
    pub fn facts(&self) -> std::collections::BTreeMap<u32, ProjectFacts> {
        self.held
            .iter()
            .map(|(&id, h)| {
                let mut months = h.months.clone();
                months.sort_unstable();
                (
                    id,
                    ProjectFacts {
                        region: h.region.clone(),
                        category: h.cat,
                        months,
                    },
                )
            })
            .collect()
    }

    /// Projects held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::index::distinct;
    use super::*;

    const PLACES: &[&str] = &["110105001000", "110105002000", "110108001000", "110105001001"];
    const MONTHS: &[Month] = &[202512, 202601, 202602, 202603, 202604, 202607, 202612, 202701];

    fn facts(place: usize, cat: u8, months: &[(usize, u32)]) -> ProjectFacts {
        let mut m: Vec<(Month, u32)> = Vec::new();
        for &(i, n) in months {
            let month = MONTHS[i % MONTHS.len()];
            match m.iter_mut().find(|(x, _)| *x == month) {
                Some(e) => e.1 += n,
                None => m.push((month, n)),
            }
        }
        ProjectFacts {
            region: RegionCode::parse(PLACES[place % PLACES.len()]).unwrap(),
            category: cat % 3,
            months: m,
        }
    }

    /// Direct count over the projects' facts: (shifts, distinct projects).
    fn direct(
        all: &HashMap<u32, ProjectFacts>,
        prefix: &str,
        cat: Option<u8>,
        months: &[Month],
    ) -> (i64, u64) {
        let mut shifts = 0;
        let mut projects = 0;
        for f in all.values() {
            if !f.region.as_str().starts_with(prefix) || cat.is_some_and(|c| c != f.category) {
                continue;
            }
            let n: i64 = f
                .months
                .iter()
                .filter(|(m, _)| months.contains(m))
                .map(|&(_, n)| i64::from(n))
                .sum();
            shifts += n;
            projects += u64::from(n > 0);
        }
        (shifts, projects)
    }

    proptest! {
        #[test]
        fn figures_equal_a_direct_count_after_any_changes(
            changes in prop::collection::vec(
                (0u32..12, prop::option::weighted(0.8, (0usize..4, 0u8..3, prop::collection::vec((0usize..8, 0u32..4), 0..5)))),
                1..60,
            ),
            asks in prop::collection::vec((0usize..6, prop::option::of(0u8..3), 0usize..8, 1usize..8), 1..12),
        ) {
            let mut index = ProjectIndex::new();
            let mut model: HashMap<u32, ProjectFacts> = HashMap::new();
            for (id, f) in changes {
                let f = f.map(|(p, c, m)| facts(p, c, &m));
                index.set(id, f.clone());
                match f {
                    Some(f) if f.months.iter().any(|&(_, n)| n > 0) => {
                        model.insert(id, f);
                    }
                    _ => {
                        model.remove(&id);
                    }
                }
            }
            let regions = [
                ("110000000000", "11"),
                ("110105000000", "110105"),
                ("110105001000", "110105001"),
                ("110105001001", "110105001001"),
                ("110108000000", "110108"),
                ("120000000000", "12"),
            ];
            for (r, cat, first, len) in asks {
                let (code, prefix) = regions[r];
                let months: Vec<Month> = MONTHS.iter().copied().skip(first).take(len).collect();
                let mut sets = Vec::new();
                let shifts = index.gather(code, cat, &months, &mut sets);
                prop_assert_eq!((shifts, distinct(&sets)), direct(&model, prefix, cat, &months));
            }
        }
    }

    #[test]
    fn a_project_counts_once_over_months_and_leaves_when_cancelled() {
        let mut index = ProjectIndex::new();
        index.set(7, Some(facts(0, 1, &[(1, 2), (2, 1), (3, 1)])));
        index.set(8, Some(facts(1, 1, &[(2, 1)])));
        let q1 = [202601, 202602, 202603];
        let mut sets = Vec::new();
        assert_eq!(index.gather("110105000000", None, &q1, &mut sets), 5);
        assert_eq!(
            distinct(&sets),
            2,
            "project 7 has shifts in three months, counts once"
        );
        index.set(7, None);
        let mut sets = Vec::new();
        assert_eq!(index.gather("110105000000", Some(1), &q1, &mut sets), 1);
        assert_eq!(distinct(&sets), 1);
        assert_eq!(index.len(), 1);
    }
}
