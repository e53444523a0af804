use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

const NOW: i64 = 1_800_000_000_000;
const DAY: i64 = 86_400_000;
const TIANANMEN: (f64, f64) = (39.9055, 116.3976);

/// The reference: every stored entry checked one by one, sorted by (score desc, id asc).
fn brute_force(entries: &BTreeMap<i64, Entry>, q: &Query) -> Vec<Hit> {
    if q.k == 0 || !valid_point(q.lat, q.lon) || !q.radius_m.is_finite() || q.radius_m < 0.0 {
        return Vec::new();
    }
    let mut hits: Vec<Hit> = entries
        .values()
        .filter(|e| valid_point(e.lat, e.lon))
        .filter(|e| q.skills.iter().all(|s| e.skills.contains(s)))
        .filter(|e| e.availability.intersection(&q.window) == q.window)
        .filter(|e| q.max_load.is_none_or(|m| e.load < m))
        .filter(|e| q.only.as_ref().is_none_or(|only| only.contains(&e.id)))
        .filter_map(|e| {
            let d = distance_m(q.lat, q.lon, e.lat, e.lon);
            (d <= q.radius_m).then(|| {
                let (score, reason) = score::score(
                    d,
                    q.radius_m,
                    e.rating_sum,
                    e.rating_count,
                    e.load,
                    e.last_served_at,
                    q.now_ms,
                );
                Hit {
                    id: e.id,
                    distance_m: d,
                    score,
                    reason,
                }
            })
        })
        .collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    hits.truncate(q.k);
    hits
}

fn entry(id: i64, lat: f64, lon: f64, skills: &[&str], avail: &str) -> Entry {
    Entry {
        id,
        lat,
        lon,
        skills: skills.iter().map(|s| s.to_string()).collect(),
        availability: WeeklyAvailability::parse_spec(avail).unwrap(),
        load: 0,
        rating_sum: 0,
        rating_count: 0,
        last_served_at: None,
    }
}

fn query(lat: f64, lon: f64, radius_m: f64, skills: &[&str], window: &str, k: usize) -> Query {
    Query {
        lat,
        lon,
        radius_m,
        skills: skills.iter().map(|s| s.to_string()).collect(),
        window: WeeklyAvailability::parse_spec(window).unwrap(),
        max_load: None,
        only: None,
        k,
        now_ms: NOW,
    }
}

fn ids(hits: &[Hit]) -> Vec<i64> {
    hits.iter().map(|h| h.id).collect()
}

/// ~111 m per 0.001° of latitude.
fn north(m: f64) -> f64 {
    TIANANMEN.0 + m / 111_195.0
}

#[test]
fn filters_by_radius_skills_window_and_load() {
    let (lat, lon) = TIANANMEN;
    let mut busy = entry(5, north(200.0), lon, &["急救"], "工作日 18-21");
    busy.load = 3;
    let ix = Index::build([
        entry(1, north(100.0), lon, &["急救", "驾驶"], "工作日 18-21"),
        entry(2, north(300.0), lon, &["急救"], "周末 9-17"),
        entry(3, north(6_000.0), lon, &["急救"], "工作日 18-21"),
        entry(4, north(400.0), lon, &["手语"], "工作日 18-21"),
        busy,
    ]);
    assert_eq!(ix.len(), 5);
    let q = query(lat, lon, 5_000.0, &["急救"], "周三 19-20", 10);
    assert_eq!(ids(&ix.query(&q)), [1, 5]);
    let q = Query {
        max_load: Some(3),
        only: None,
        ..q
    };
    assert_eq!(ids(&ix.query(&q)), [1]);
    let both = query(lat, lon, 5_000.0, &["急救", "驾驶"], "", 10);
    assert_eq!(ids(&ix.query(&both)), [1]);
    // 5 is nearer than 2 but carries three orders: fairness puts 2 first.
    let any_time = query(lat, lon, 5_000.0, &["急救"], "", 10);
    assert_eq!(ids(&ix.query(&any_time)), [1, 2, 5]);
    let wide = query(lat, lon, 7_000.0, &[], "", 10);
    assert_eq!(ids(&ix.query(&wide)).len(), 5);
    assert_eq!(ids(&ix.query(&Query { k: 2, ..wide.clone() })), [1, 2]);
    assert!(ix.query(&Query { k: 0, ..wide.clone() }).is_empty());
    assert!(ix
        .query(&query(lat, lon, 7_000.0, &["未知技能"], "", 10))
        .is_empty());
    assert!(ix
        .query(&Query {
            radius_m: f64::NAN,
            ..wide.clone()
        })
        .is_empty());
    assert!(ix.query(&Query { lat: 95.0, ..wide }).is_empty());
}

#[test]
fn hits_explain_their_rank() {
    let (lat, lon) = TIANANMEN;
    let mut a = entry(1, north(1_000.0), lon, &[], "每天 全天");
    a.rating_sum = 45;
    a.rating_count = 10;
    a.last_served_at = Some(NOW - 3 * DAY);
    a.load = 1;
    let ix = Index::build([a]);
    let hits = ix.query(&query(lat, lon, 2_000.0, &[], "", 5));
    let h = hits[0];
    let (slat, slon) = stored_position(north(1_000.0), lon);
    assert_eq!(h.distance_m, haversine_m(lat, lon, slat, slon));
    assert!((h.distance_m - 1_000.0).abs() < 2.0);
    assert_eq!(h.reason.distance_m, h.distance_m);
    assert!((h.reason.rating - 65.0 / 15.0).abs() < 1e-12);
    assert_eq!(h.reason.rating_count, 10);
    assert_eq!(h.reason.load, 1);
    assert_eq!(h.reason.days_since_served, Some(3.0));
    assert_eq!(
        h.score,
        score::combine(h.reason.proximity, h.reason.quality, h.reason.fairness)
    );
}

#[test]
fn equal_distance_prefers_who_served_longer_ago_then_lower_id() {
    let (lat, lon) = TIANANMEN;
    let mut recent = entry(1, north(500.0), lon, &[], "");
    recent.last_served_at = Some(NOW - DAY);
    let mut earlier = entry(2, north(500.0), lon, &[], "");
    earlier.last_served_at = Some(NOW - 10 * DAY);
    let never_b = entry(4, north(500.0), lon, &[], "");
    let never_a = entry(3, north(500.0), lon, &[], "");
    let ix = Index::build([recent, earlier, never_b, never_a]);
    assert_eq!(
        ids(&ix.query(&query(lat, lon, 1_000.0, &[], "", 10))),
        [3, 4, 2, 1]
    );
}

#[test]
fn upsert_moves_and_remove_forgets() {
    let (lat, lon) = TIANANMEN;
    let mut ix = Index::with_cell_deg(0.001);
    for id in 1..=5 {
        ix.upsert(entry(id, north(10.0 * id as f64), lon, &["急救"], ""))
            .unwrap();
    }
    let q = query(lat, lon, 1_000.0, &["急救"], "", 10);
    assert_eq!(ids(&ix.query(&q)), [1, 2, 3, 4, 5]);
    // Removing from the middle of a cell moves the last one into its place.
    assert!(ix.remove(2));
    assert!(!ix.remove(2));
    assert!(!ix.contains(2));
    assert_eq!(ids(&ix.query(&q)), [1, 3, 4, 5]);
    assert!(ix.remove(5));
    assert_eq!(ids(&ix.query(&q)), [1, 3, 4]);
    // Moving far away, then changing skills.
    ix.upsert(entry(1, north(50_000.0), lon, &["急救"], "")).unwrap();
    assert_eq!(ids(&ix.query(&q)), [3, 4]);
    ix.upsert(entry(3, north(30.0), lon, &["手语"], "")).unwrap();
    assert_eq!(ids(&ix.query(&q)), [4]);
    assert_eq!(ix.len(), 3);
    let e = ix.upsert(entry(4, f64::NAN, lon, &["急救"], "")).unwrap_err();
    assert!(matches!(e, MatchError::InvalidPosition { id: 4, .. }));
    // A refused upsert leaves the old entry in place.
    assert_eq!(ids(&ix.query(&q)), [4]);
}

#[test]
fn more_than_127_skills() {
    let (lat, lon) = TIANANMEN;
    let many: Vec<String> = (0..200).map(|i| format!("技能{i}")).collect();
    let mut entries = Vec::new();
    for id in 0..200i64 {
        let s = &many[id as usize];
        let t = &many[(id as usize * 7 + 3) % 200];
        entries.push(entry(id, north(id as f64), lon, &[s.as_str(), t.as_str()], ""));
    }
    let ix = Index::build(entries.clone());
    assert_eq!(ix.skill_count(), 200);
    let model: BTreeMap<i64, Entry> = entries.into_iter().map(|e| (e.id, e)).collect();
    // Volunteer i has skills i and (7i + 3) mod 200.
    for (a, b, expected) in [
        (150, 150, vec![150, 21]),
        (150, 53, vec![150]),
        (140, 183, vec![140]),
        (10, 73, vec![10]),
        (3, 24, vec![3]),
        (150, 10, vec![]),
    ] {
        let q = query(lat, lon, 1_000.0, &[many[a].as_str(), many[b].as_str()], "", 50);
        let got = ix.query(&q);
        assert_eq!(got, brute_force(&model, &q));
        let mut got = ids(&got);
        got.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(got, expected, "{a} {b}");
    }
}

#[test]
fn poles_and_the_antimeridian() {
    let entries = vec![
        entry(1, 10.0, 179.999, &[], ""),
        entry(2, 10.0, -179.999, &[], ""),
        entry(3, 10.0, 179.9, &[], ""),
        entry(4, 89.999, 0.0, &[], ""),
        entry(5, 89.999, 180.0, &[], ""),
    ];
    let model: BTreeMap<i64, Entry> = entries.iter().map(|e| (e.id, e.clone())).collect();
    let ix = Index::build(entries);
    for (lat, lon, r) in [
        (10.0, 180.0, 1_000.0),
        (10.0, -180.0, 20_000.0),
        (89.9995, 90.0, 500.0),
        (90.0, 0.0, 1_000.0),
    ] {
        let q = query(lat, lon, r, &[], "", 10);
        let got = ix.query(&q);
        assert_eq!(got, brute_force(&model, &q), "{lat} {lon} {r}");
        assert!(!got.is_empty());
    }
}

#[test]
fn memory_is_reported() {
    let (_, lon) = TIANANMEN;
    let ix = Index::build((0..1_000).map(|i| entry(i, north(i as f64), lon, &["急救"], "周末 9-17")));
    let per = ix.memory_bytes() / ix.len();
    assert!((80..400).contains(&per), "{per} bytes per volunteer");
}

#[test]
fn ids_near_and_far_negative_and_removed_are_found() {
    let mut slots = Slots::default();
    let far = 1i64 << 40;
    for (n, id) in [1, 2, 3, 5000, -7, far, 0].into_iter().enumerate() {
        slots.insert(
            id,
            Slot {
                cell: 0,
                idx: n as u32,
            },
        );
    }
    // the array reaches the near ones; the negative and the far one sit in the map
    assert_eq!(slots.len, 7);
    assert!(slots.dense.len() <= 5001 && slots.sparse.len() >= 2);
    for (n, id) in [1, 2, 3, 5000, -7, far, 0].into_iter().enumerate() {
        assert!(slots.contains(id), "{id}");
        assert_eq!(slots.get_mut(id).map(|s| s.idx), Some(n as u32));
    }
    assert!(!slots.contains(4) && !slots.contains(far + 1) && !slots.contains(-1));
    // moving an entry replaces it; removing forgets it once
    slots.insert(5000, Slot { cell: 9, idx: 9 });
    assert_eq!(slots.len, 7);
    assert_eq!(slots.remove(5000), Some(Slot { cell: 9, idx: 9 }));
    assert_eq!(slots.remove(5000), None);
    assert_eq!(slots.remove(-7).map(|s| s.idx), Some(4));
    assert_eq!(slots.len, 5);
    assert!(!slots.contains(5000) && !slots.contains(-7));
}

fn skill_pool() -> Vec<String> {
    ["急救", "驾驶", "手语", "维修", "烹饪", "书法"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

prop_compose! {
    fn arb_entry(ids: i64)(
        id in 0..ids,
        // A coarse grid of positions, so distances (and scores) tie now and then.
        lat_i in 0u32..60, lon_i in 0u32..60,
        skill_bits in 0u8..64,
        avail in prop::array::uniform21(any::<u8>()),
        load in 0u32..4,
        rating_count in 0u32..6,
        rating_avg in 1u32..=5,
        last in prop::option::of(0i64..40 * DAY),
        // A third of the entries share a few positions and plain figures: exact score ties.
        plain in prop::bool::weighted(0.33),
    ) -> Entry {
        let pool = skill_pool();
        let (lat_i, lon_i) = if plain { (lat_i % 4 * 10, lon_i % 4 * 10) } else { (lat_i, lon_i) };
        Entry {
            id,
            lat: 39.85 + f64::from(lat_i) * 0.002,
            lon: 116.33 + f64::from(lon_i) * 0.002,
            skills: (0..6).filter(|b| skill_bits & (1 << b) != 0).map(|b| pool[b].clone()).collect(),
            availability: WeeklyAvailability::from_bytes(avail),
            load: if plain { 0 } else { load },
            rating_sum: if plain { 0 } else { rating_count * rating_avg },
            rating_count: if plain { 0 } else { rating_count },
            last_served_at: if plain { None } else { last.map(|d| NOW - d) },
        }
    }
}

prop_compose! {
    fn arb_query()(
        lat in 39.84f64..39.98, lon in 116.32f64..116.46,
        radius_m in prop_oneof![Just(0.0), 0.0f64..3_000.0, 3_000.0f64..20_000.0],
        skill_bits in prop_oneof![Just(0u8), 0u8..64],
        cells in prop::collection::vec((0u8..7, 0u8..24), 0..3),
        max_load in prop::option::of(0u32..4),
        k in 1usize..12,
        only in prop::option::of(prop::collection::hash_set(0i64..60, 0..30)),
    ) -> Query {
        let pool = skill_pool();
        Query {
            lat,
            lon,
            radius_m,
            skills: (0..6).filter(|b| skill_bits & (1 << b) != 0).take(2).map(|b| pool[b].clone()).collect(),
            window: window_from_cells(&cells),
            max_load,
            k,
            now_ms: NOW,
            only: only.map(std::sync::Arc::new),
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    Upsert(Entry),
    Remove(i64),
    Query(Query),
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => arb_entry(80).prop_map(Op::Upsert),
        1 => (0i64..80).prop_map(Op::Remove),
        2 => arb_query().prop_map(Op::Query),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn built_index_matches_brute_force(
        entries in prop::collection::vec(arb_entry(400), 0..400),
        queries in prop::collection::vec(arb_query(), 1..12),
        cell_deg in prop::sample::select(vec![0.001, 0.003, 0.01, 0.05]),
    ) {
        let mut model = BTreeMap::new();
        for e in &entries {
            model.insert(e.id, e.clone());
        }
        let ix = Index::build_with_cell_deg(entries, cell_deg);
        prop_assert_eq!(ix.len(), model.len());
        for q in &queries {
            prop_assert_eq!(ix.query(q), brute_force(&model, q));
        }
    }

    #[test]
    fn index_matches_brute_force_through_upserts_and_removes(
        initial in prop::collection::vec(arb_entry(80), 0..60),
        ops in prop::collection::vec(arb_op(), 1..60),
        cell_deg in prop::sample::select(vec![0.001, 0.01, 0.05]),
        overflow in any::<bool>(),
    ) {
        let mut ix = Index::with_cell_deg(cell_deg);
        if overflow {
            // 130 other skills seen first push the pool's skills past the bit set.
            let filler: Vec<String> = (0..130).map(|i| format!("填充{i}")).collect();
            ix.upsert(Entry { skills: filler, ..entry(-1, 39.9, 116.4, &[], "") }).unwrap();
            ix.remove(-1);
        }
        let mut model = BTreeMap::new();
        for e in initial {
            model.insert(e.id, e.clone());
            ix.upsert(e).unwrap();
        }
        for op in ops {
            match op {
                Op::Upsert(e) => {
                    model.insert(e.id, e.clone());
                    ix.upsert(e).unwrap();
                }
                Op::Remove(id) => {
                    prop_assert_eq!(ix.remove(id), model.remove(&id).is_some());
                }
                Op::Query(q) => prop_assert_eq!(ix.query(&q), brute_force(&model, &q)),
            }
            prop_assert_eq!(ix.len(), model.len());
        }
    }

    #[test]
    fn worldwide_points_and_large_radii(
        points in prop::collection::vec((-90.0f64..=90.0, -180.0f64..=180.0), 1..80),
        q_lat in -90.0f64..=90.0, q_lon in -180.0f64..=180.0,
        radius_m in 0.0f64..3_000_000.0,
        k in 1usize..20,
        cell_deg in prop::sample::select(vec![0.5, 2.0, 10.0]),
    ) {
        let entries: Vec<Entry> = points
            .iter()
            .enumerate()
            .map(|(i, &(lat, lon))| entry(i as i64, lat, lon, &[], ""))
            .collect();
        let model: BTreeMap<i64, Entry> = entries.iter().map(|e| (e.id, e.clone())).collect();
        let ix = Index::build_with_cell_deg(entries, cell_deg);
        let q = query(q_lat, q_lon, radius_m, &[], "", k);
        prop_assert_eq!(ix.query(&q), brute_force(&model, &q));
    }
}
