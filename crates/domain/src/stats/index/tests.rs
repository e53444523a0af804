use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

const REGIONS: &[&str] = &[
    "110101001001",
    "110101001002",
    "110101002001",
    "110101002000",
    "110105001001",
    "110105003000",
    "110105000000",
];

#[derive(Clone, Debug)]
struct Rec {
    region: usize,
    cat: u8,
    month: Month,
    vol: u32,
    minutes: i64,
}

fn delta(r: &Rec, sign: i64) -> Delta {
    Delta {
        region: RegionCode::parse(REGIONS[r.region]).unwrap(),
        category: r.cat,
        month: r.month,
        volunteer: r.vol,
        minutes: sign * r.minutes,
        records: sign,
    }
}

/// The figures straight from the list of current records.
fn direct(recs: &[Rec], scope: &RegionCode, cat: Option<u8>, months: &[Month]) -> (i64, i64, BTreeSet<u32>) {
    let mut out = (0, 0, BTreeSet::new());
    for r in recs {
        let code = RegionCode::parse(REGIONS[r.region]).unwrap();
        if scope.contains(&code) && cat.is_none_or(|c| c == r.cat) && months.contains(&r.month) {
            out.0 += r.minutes;
            out.1 += 1;
            out.2.insert(r.vol);
        }
    }
    out
}

fn rec() -> impl Strategy<Value = Rec> {
    (
        0..REGIONS.len(),
        0u8..3,
        prop::sample::select((202301u32..=202312).chain([202212]).collect::<Vec<_>>()),
        1u32..6,
        0i64..600,
    )
        .prop_map(|(region, cat, month, vol, minutes)| Rec {
            region,
            cat,
            month,
            vol,
            minutes,
        })
}

/// Adds and removals: `Some(i)` removes the i-th current record (mod the count), `None` adds.
fn script() -> impl Strategy<Value = Vec<(Option<usize>, Rec)>> {
    prop::collection::vec((prop::option::weighted(0.35, 0usize..64), rec()), 1..60)
}

fn scopes() -> Vec<RegionCode> {
    [
        "110000000000",
        "110101000000",
        "110101001000",
        "110101002000",
        "110105000000",
        "110105001001",
    ]
    .iter()
    .map(|c| RegionCode::parse(c).unwrap())
    .collect()
}

fn check(index: &StatsIndex, current: &[Rec]) -> Result<(), TestCaseError> {
    let year: Vec<Month> = (202301..=202312).collect();
    let misaligned: Vec<Month> = [202212].into_iter().chain(202301..=202311).collect();
    let month_sets: [&[Month]; 7] = [
        &[202301],
        &[202302, 202303],
        &[202301, 202302, 202303],
        &[202212, 202301, 202302, 202303, 202304],
        &year,
        &misaligned,
        &[],
    ];
    for scope in scopes() {
        for cat in [None, Some(0), Some(1), Some(2)] {
            for months in month_sets {
                let (m, r, set) = index.union(scope.as_str(), cat, months);
                let (dm, dr, dset) = direct(current, &scope, cat, months);
                prop_assert_eq!((m, r), (dm, dr), "{} {:?} {:?}", scope.as_str(), cat, months);
                prop_assert_eq!(set.iter().collect::<BTreeSet<_>>(), dset);
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn figures_equal_a_direct_count_after_any_adds_and_removals(steps in script()) {
        let mut index = StatsIndex::new();
        let mut current: Vec<Rec> = Vec::new();
        for (remove, r) in steps {
            match remove {
                Some(i) if !current.is_empty() => {
                    let gone = current.remove(i % current.len());
                    index.apply(&delta(&gone, -1));
                }
                _ => {
                    index.apply(&delta(&r, 1));
                    current.push(r);
                }
            }
            check(&index, &current)?;
        }
    }

    #[test]
    fn the_order_changes_arrive_in_does_not_matter(steps in script(), seed in any::<u64>()) {
        let mut deltas = Vec::new();
        let mut current: Vec<Rec> = Vec::new();
        for (remove, r) in steps {
            match remove {
                Some(i) if !current.is_empty() => {
                    let gone = current.remove(i % current.len());
                    deltas.push(delta(&gone, -1));
                }
                _ => {
                    deltas.push(delta(&r, 1));
                    current.push(r);
                }
            }
        }
        // a deterministic shuffle
        let mut s = seed | 1;
        for i in (1..deltas.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            deltas.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let mut index = StatsIndex::new();
        for d in &deltas {
            index.apply(d);
        }
        check(&index, &current)?;
    }

    #[test]
    fn stored_leaves_load_back_to_the_same_figures(
        steps in script(),
        homes in prop::collection::vec(0..REGIONS.len(), 5),
    ) {
        let mut index = StatsIndex::new();
        let mut current: Vec<Rec> = Vec::new();
        for (remove, r) in steps {
            match remove {
                Some(i) if !current.is_empty() => {
                    let gone = current.remove(i % current.len());
                    index.apply(&delta(&gone, -1));
                }
                _ => {
                    index.apply(&delta(&r, 1));
                    current.push(r);
                }
            }
        }
        // the loaded index numbers the volunteers by residence first, as at start-up
        let mut loaded = StatsIndex::new();
        for (v, &home) in homes.iter().enumerate() {
            let r = Resident {
                region: RegionCode::parse(REGIONS[home]).unwrap(),
                registered: 202301,
                star: 0,
                open: true,
                certificates: Vec::new(),
            };
            index.set_resident(v as u32 + 1, Some(r.clone()));
            loaded.set_resident(v as u32 + 1, Some(r));
        }
        loaded.number_by_residence();
        for (region, cat, month, leaf) in index.leaves() {
            let back = Leaf::decode(leaf.minutes, leaf.records, &leaf.encode_members()).unwrap();
            prop_assert_eq!(&back, &leaf);
            loaded.load_leaf(&RegionCode::parse(region).unwrap(), cat, month, back);
        }
        prop_assert!(index.differences(&loaded, 10).is_empty(), "{:?}", index.differences(&loaded, 10));
        check(&loaded, &current)?;
    }
}

#[test]
fn a_volunteer_in_two_townships_counts_once_for_the_district() {
    let mut index = StatsIndex::new();
    let r = |region: usize| Rec {
        region,
        cat: 1,
        month: 202301,
        vol: 7,
        minutes: 60,
    };
    index.apply(&delta(&r(0), 1));
    index.apply(&delta(&r(2), 1));
    let (m, n, set) = index.union("110101000000", None, &[202301]);
    assert_eq!((m, n, set.len()), (120, 2, 1));
    // the district's own level holds none of them; a record placed on the district itself does
    assert_eq!(index.own_union("110101000000", None, &[202301]).1, 0);
    let own = Rec {
        region: 6,
        cat: 1,
        month: 202301,
        vol: 9,
        minutes: 30,
    };
    index.apply(&delta(&own, 1));
    let (m, n, set) = index.own_union("110105000000", Some(1), &[202301]);
    assert_eq!((m, n, set.len()), (30, 1, 1));
    // taking back one record leaves them counted through the other
    index.apply(&delta(&r(0), -1));
    assert_eq!(index.union("110101000000", None, &[202301]).2.len(), 1);
    assert_eq!(index.union("110101001000", None, &[202301]).2.len(), 0);
}

#[test]
fn sets_that_equal_another_are_kept_once_until_they_differ() {
    let mut index = StatsIndex::new();
    let r = |region: usize, vol: u32| Rec {
        region,
        cat: 1,
        month: 202301,
        vol,
        minutes: 60,
    };
    // one community with records: its months share their leaves' sets, and every region above
    // with only it below shares its sets, but for the district's quarters (the township and
    // the community keep none)
    index.apply(&delta(&r(0, 1), 1));
    index.apply(&delta(&r(0, 2), 1));
    let bytes = |index: &StatsIndex, depth: usize| -> usize {
        index
            .cells_by_kind()
            .iter()
            .filter(|k| k.0 == depth && k.1 != 'q')
            .map(|k| k.4)
            .sum()
    };
    for depth in 0..=3 {
        assert_eq!(bytes(&index, depth), 0, "depth {depth}");
    }
    let quarters = |depth: usize| {
        index
            .cells_by_kind()
            .iter()
            .filter(|k| k.0 == depth && k.1 == 'q')
            .count()
    };
    assert_eq!((quarters(2), quarters(3), quarters(4)), (2, 0, 0));
    assert_eq!(
        index
            .union("110000000000", Some(1), &[202301, 202302, 202303])
            .2
            .len(),
        2
    );
    assert_eq!(index.union("110000000000", Some(1), &[202301]).2.len(), 2);
    // a record in a second district: 市辖区 has two regions below and keeps sets of its own;
    // 北京市 above it still shares
    index.apply(&delta(&r(6, 3), 1));
    assert_eq!(
        index
            .union("110105000000", None, &(202301..=202312).collect::<Vec<_>>())
            .2
            .len(),
        1
    );
    assert_eq!(index.union("110000000000", None, &[202301]).2.len(), 3);
    assert!(bytes(&index, 1) > 0);
    assert_eq!(bytes(&index, 0), 0);
    // taken back: the figures hold
    index.apply(&delta(&r(6, 3), -1));
    assert_eq!(index.union("110000000000", None, &[202301]).2.len(), 2);
    assert_eq!(index.union("110105000000", None, &[202301]).2.len(), 0);
}

#[test]
fn a_shared_set_outlives_figures_that_cancel_out() {
    // changes out of order: a record taken back before it arrives, and another one: the
    // community's month has no minutes and no records, and one volunteer who served, whose
    // set is its leaf's and, above it, the community's
    let mut index = StatsIndex::new();
    let r = |vol: u32| Rec {
        region: 0,
        cat: 1,
        month: 202301,
        vol,
        minutes: 60,
    };
    index.apply(&delta(&r(1), -1));
    index.apply(&delta(&r(2), 1));
    for region in ["110101001001", "110101001000", "110000000000"] {
        for cat in [Some(1), None] {
            let (minutes, records, members) = index.union(region, cat, &[202301]);
            assert_eq!((minutes, records), (0, 0), "{region} {cat:?}");
            assert_eq!(members.iter().collect::<Vec<_>>(), vec![2], "{region} {cat:?}");
        }
        assert_eq!(
            index
                .union(region, None, &(202301..=202312).collect::<Vec<_>>())
                .2
                .len(),
            1
        );
    }
    // the missing record arrives: all at nothing but the volunteer who served
    index.apply(&delta(&r(1), 1));
    assert_eq!(index.union("110000000000", None, &[202301]).2.len(), 1);
    assert_eq!(index.union("110000000000", None, &[202301]).0, 60);
    index.apply(&delta(&r(2), -1));
    assert_eq!(
        index.union("110000000000", None, &[202301]),
        (0, 0, RoaringBitmap::new())
    );
    assert_eq!(index.size().0, 0, "no cell left");
}

#[test]
fn residents_move_and_close() {
    let mut index = StatsIndex::new();
    let at = |code: &str, open: bool| Resident {
        region: RegionCode::parse(code).unwrap(),
        registered: 202301,
        star: 2,
        open,
        certificates: vec![202302],
    };
    index.set_resident(1, Some(at("110101001001", true)));
    index.set_resident(2, Some(at("110101002001", true)));
    assert_eq!(index.registered("110101000000"), 2);
    assert_eq!(index.star_count("110101000000", 2), 2);
    index.set_resident(1, Some(at("110105001001", true)));
    assert_eq!(index.registered("110101000000"), 1);
    assert_eq!(index.registered("110105000000"), 1);
    assert_eq!(index.new_registrations("110105000000", 202301), 1);
    assert_eq!(index.certificates("110105000000", 202302), 1);
    index.set_resident(1, Some(at("110105001001", false)));
    assert_eq!(index.registered("110105000000"), 0);
    assert_eq!(index.star_count("110105000000", 2), 0);
    // a closed volunteer's certificates stay counted where they live
    assert_eq!(index.certificates("110105000000", 202302), 1);
    assert_eq!(index.registered("110000000000"), 1);
}

#[test]
fn spans_cover_whole_years_and_quarters_with_one_cell() {
    let year: Vec<Month> = (202301..=202312).collect();
    assert_eq!(spans(&year), vec![202300]);
    assert_eq!(spans(&[202303, 202301, 202302, 202302]), vec![202321]);
    assert_eq!(
        spans(&[202212, 202301, 202302, 202303, 202304]),
        vec![202212, 202321, 202304]
    );
    let misaligned: Vec<Month> = (202302..=202312).chain([202401]).collect();
    assert_eq!(
        spans(&misaligned),
        vec![202302, 202303, 202322, 202323, 202324, 202401]
    );
    assert_eq!(spans(&[202313, 202300]), Vec::<Span>::new());
    assert_eq!((quarter_of(202312), year_of(202312)), (202324, 202300));
}

#[test]
fn neighbours_in_residence_are_neighbours_in_the_sets() {
    // fifty volunteers of one township whose ids lie far apart (each in a 65 536-id block of
    // its own), and one of another district
    let ids: Vec<u32> = (1..=50).map(|i| i * 100_000).collect();
    let mut index = StatsIndex::new();
    let at = |code: &str| Resident {
        region: RegionCode::parse(code).unwrap(),
        registered: 202301,
        star: 0,
        open: true,
        certificates: Vec::new(),
    };
    index.set_resident(7, Some(at("110105001001")));
    for &v in &ids {
        index.set_resident(v, Some(at("110101001001")));
    }
    index.number_by_residence();
    for &v in ids.iter().chain([7, 123_456_789].iter()) {
        index.apply(&Delta {
            region: RegionCode::parse("110101001001").unwrap(),
            category: 1,
            month: 202301,
            volunteer: v,
            minutes: 60,
            records: 1,
        });
    }
    let (_, records, set) = index.union("110101000000", Some(1), &[202301]);
    assert_eq!(records, 52);
    let expected: BTreeSet<u32> = ids.iter().copied().chain([7, 123_456_789]).collect();
    assert_eq!(set.iter().collect::<BTreeSet<_>>(), expected);
    // by id they touch 52 blocks; numbered, one
    let mut sets = Vec::new();
    index.gather("110101000000", Some(1), &[202301], &mut sets);
    assert_eq!(sets.len(), 1);
    assert_eq!(sets[0].statistics().n_containers, 1);
    assert!(bitmap_bytes(sets[0]) < 200, "{}", bitmap_bytes(sets[0]));
}

#[test]
fn sets_of_another_index_count_together_once_renumbered() {
    let d = |v: u32, month: Month| Delta {
        region: RegionCode::parse("110101001001").unwrap(),
        category: 1,
        month,
        volunteer: v,
        minutes: 60,
        records: 1,
    };
    let mut live = StatsIndex::new();
    for v in [5, 9, 2] {
        live.apply(&d(v, 202301));
    }
    // the edge index meets volunteers in another order, one of them unknown to the live index
    let mut edge = StatsIndex::new();
    for v in [9, 11, 2] {
        edge.apply(&d(v, 202302));
    }
    let edge = edge.renumbered_as(&live);
    let mut sets = Vec::new();
    live.gather("110101000000", None, &[202301], &mut sets);
    edge.gather("110101000000", None, &[202302], &mut sets);
    assert_eq!(distinct(&sets), 4, "5, 9, 2 and 11");
    let (_, _, own) = edge.own_union("110101001001", None, &[202302]);
    let (_, _, mut both) = live.own_union("110101001001", None, &[202301]);
    both |= own;
    assert_eq!(both.len(), 4);
}
