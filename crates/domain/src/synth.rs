//! Deterministic synthetic people, team names and places for demo data and benchmarks.
//!
//! The same seed always yields the same sequence (for a given build of the `rand` crate).

use std::collections::HashSet;

use chrono::{Duration, Months, NaiveDate};
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::people::availability::WeeklyAvailability;
use crate::people::resident_id::ResidentId;
use crate::people::{Gender, PersonName};
use crate::phone::Phone;
use crate::tags::{SERVICE_CATEGORIES, SUGGESTED_SKILLS};

/// Region used when `person` is given a region code that cannot start a resident ID.
pub const FALLBACK_REGION6: &str = "110101";

/// Youngest and oldest generated age in years.
pub const MIN_AGE: u32 = 16;
pub const MAX_AGE: u32 = 75;

/// Common surnames with rough relative weights (per mille of the population).
const SURNAMES: &[(&str, u32)] = &[
    ("王", 72),
    ("李", 72),
    ("张", 68),
    ("刘", 53),
    ("陈", 46),
    ("杨", 31),
    ("黄", 23),
    ("赵", 22),
    ("吴", 21),
    ("周", 20),
    ("徐", 16),
    ("孙", 15),
    ("马", 15),
    ("朱", 14),
    ("胡", 13),
    ("郭", 12),
    ("何", 11),
    ("高", 11),
    ("林", 11),
    ("罗", 10),
    ("郑", 10),
    ("梁", 9),
    ("谢", 8),
    ("宋", 7),
    ("唐", 7),
    ("许", 7),
    ("韩", 7),
    ("冯", 6),
    ("邓", 6),
    ("曹", 6),
    ("彭", 6),
    ("曾", 5),
    ("肖", 5),
    ("田", 5),
    ("董", 5),
    ("袁", 5),
    ("潘", 4),
    ("于", 4),
    ("蒋", 4),
    ("蔡", 4),
    ("余", 4),
    ("杜", 4),
    ("叶", 4),
    ("程", 4),
    ("苏", 3),
    ("魏", 3),
    ("吕", 3),
    ("丁", 3),
    ("任", 3),
    ("沈", 3),
    ("姚", 3),
    ("卢", 3),
    ("姜", 3),
    ("崔", 3),
    ("钟", 3),
    ("谭", 3),
    ("陆", 3),
    ("汪", 3),
    ("范", 3),
    ("金", 3),
    ("石", 3),
    ("廖", 2),
    ("贾", 2),
    ("夏", 2),
    ("韦", 2),
    ("付", 2),
    ("方", 2),
    ("白", 2),
    ("邹", 2),
    ("孟", 2),
    ("熊", 2),
    ("秦", 2),
    ("邱", 2),
    ("江", 2),
    ("尹", 2),
    ("薛", 2),
    ("闫", 2),
    ("段", 2),
    ("雷", 2),
    ("侯", 2),
    ("龙", 2),
    ("史", 2),
    ("陶", 1),
    ("黎", 1),
    ("贺", 1),
    ("顾", 1),
    ("毛", 1),
    ("郝", 1),
    ("龚", 1),
    ("邵", 1),
    ("万", 1),
    ("覃", 1),
    ("武", 1),
    ("钱", 1),
    ("严", 1),
    ("欧阳", 1),
    ("司马", 1),
    ("上官", 1),
    ("诸葛", 1),
    ("东方", 1),
];

const MALE_GIVEN: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏", "华", "飞", "鑫",
    "波", "宇", "浩", "凯", "健", "俊", "帆", "旭", "宁", "龙", "林", "阳", "建", "国", "志", "文", "博",
    "晨", "睿", "轩", "然", "泽", "宏", "东", "海", "峰", "亮", "成", "毅", "坤", "锋", "振", "嘉", "铭",
    "昊", "天", "子", "家", "德", "永", "立", "新", "卫",
];

const FEMALE_GIVEN: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "玲", "桂", "英", "燕", "萍", "红", "梅", "琳",
    "雪", "婷", "慧", "颖", "欣", "悦", "佳", "怡", "璐", "倩", "晶", "洁", "蕾", "丹", "莉", "琴", "云",
    "月", "薇", "晓", "雨", "涵", "诗", "梦", "思", "雅", "淑", "兰", "凤", "春", "玉", "婉", "馨", "文",
    "子", "嘉", "宁", "可", "美", "心", "彤", "萱", "瑶",
];

/// Mobile number prefixes in real use.
const PHONE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182",
    "183", "184", "185", "186", "187", "188", "189", "191", "198", "199",
];

const TEAM_THEMES: &[&str] = &[
    "邻里守望",
    "文明交通",
    "关爱老人",
    "环境保护",
    "助学圆梦",
    "法律援助",
    "心理关爱",
    "应急救援",
    "文化惠民",
    "理论宣讲",
    "平安巡逻",
    "垃圾分类",
    "健康义诊",
    "青春先锋",
    "巾帼",
    "银龄",
    "党员先锋",
    "红袖标",
    "绿色家园",
    "便民服务",
    "科普",
    "阳光助残",
];

/// One synthetic person; every field is valid by construction.
#[derive(Clone, Debug, PartialEq)]
pub struct SynthPerson {
    pub name: PersonName,
    pub gender: Gender,
    pub resident_id: ResidentId,
    pub phone: Phone,
    pub skills: Vec<String>,
    /// Service category codes.
    pub categories: Vec<&'static str>,
    pub availability: WeeklyAvailability,
}

/// A seeded generator of synthetic data. Resident IDs and phone numbers are unique within one
/// generator.
pub struct Synth {
    rng: StdRng,
    surnames: WeightedIndex<u32>,
    issued_ids: HashSet<String>,
    issued_phones: HashSet<String>,
}

impl Synth {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        let surnames =
            WeightedIndex::new(SURNAMES.iter().map(|&(_, w)| w)).expect("surname weights are positive");
        Self {
            rng: StdRng::seed_from_u64(seed),
            surnames,
            issued_ids: HashSet::new(),
            issued_phones: HashSet::new(),
        }
    }

    /// A realistic person registered in `region6` (a 6-digit county code; an implausible one is
    /// replaced by [`FALLBACK_REGION6`]), aged 16 to 75 on `today`.
    pub fn person(&mut self, region6: &str, today: NaiveDate) -> SynthPerson {
        let gender = if self.rng.gen_bool(0.5) {
            Gender::Male
        } else {
            Gender::Female
        };
        let name = self.name(gender);
        let resident_id = self.resident_id(region6, today, gender);
        let phone = self.phone();
        let age = resident_id.age_on(today);

        let skill_count = self.rng.gen_range(0..=3);
        let skills = SUGGESTED_SKILLS
            .choose_multiple(&mut self.rng, skill_count)
            .map(|s| s.to_string())
            .collect();
        let category_count = self.rng.gen_range(1..=3);
        let categories = SERVICE_CATEGORIES
            .choose_multiple(&mut self.rng, category_count)
            .map(|c| c.code)
            .collect();
        let availability = self.availability(age);

        SynthPerson {
            name,
            gender,
            resident_id,
            phone,
            skills,
            categories,
            availability,
        }
    }

    /// A team name such as `{place}邻里守望志愿服务队`.
    pub fn team_name(&mut self, place: &str) -> String {
        let theme = self.pick(TEAM_THEMES);
        let suffix = *self.pick(&[
            "志愿服务队",
            "志愿服务队",
            "志愿服务队",
            "志愿者服务队",
            "志愿服务分队",
        ]);
        format!("{place}{theme}{suffix}")
    }

    /// A point uniformly distributed in the disc of `radius_km` around (`lat`, `lon`), in
    /// degrees. Uses a local flat-earth approximation, good for radii of tens of kilometres.
    pub fn point_near(&mut self, lat: f64, lon: f64, radius_km: f64) -> (f64, f64) {
        const KM_PER_DEG_LAT: f64 = 111.32;
        let radius = if radius_km.is_finite() {
            radius_km.abs()
        } else {
            0.0
        };
        let r = radius * self.rng.gen::<f64>().sqrt();
        let theta = self.rng.gen::<f64>() * std::f64::consts::TAU;
        let dlat = r * theta.sin() / KM_PER_DEG_LAT;
        let cos_lat = lat.to_radians().cos().abs().max(1e-6);
        let dlon = r * theta.cos() / (KM_PER_DEG_LAT * cos_lat);
        (lat + dlat, lon + dlon)
    }

    /// One item chosen uniformly.
    ///
    /// # Panics
    /// If `items` is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        items
            .choose(&mut self.rng)
            .expect("Synth::pick needs a non-empty slice")
    }

    /// A number in `lo..=hi_inclusive` (the bounds are swapped if reversed).
    pub fn range(&mut self, lo: u32, hi_inclusive: u32) -> u32 {
        let (lo, hi) = if lo <= hi_inclusive {
            (lo, hi_inclusive)
        } else {
            (hi_inclusive, lo)
        };
        self.rng.gen_range(lo..=hi)
    }

    /// `true` with probability `p` (clamped to 0..=1).
    pub fn chance(&mut self, p: f64) -> bool {
        let p = if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) };
        self.rng.gen_bool(p)
    }

    /// A practice site's public details: a contact person and a Beijing landline
    /// (`010-` and eight digits starting 5, 6 or 8).
    pub fn site_contact(&mut self) -> (PersonName, String) {
        let gender = if self.rng.gen_bool(0.6) {
            Gender::Female
        } else {
            Gender::Male
        };
        let name = self.name(gender);
        let first = *self.pick(&[5u32, 6, 6, 8]);
        let phone = format!("010-{first}{:07}", self.rng.gen_range(0..10_000_000u32));
        (name, phone)
    }

    fn name(&mut self, gender: Gender) -> PersonName {
        let surname = SURNAMES[self.surnames.sample(&mut self.rng)].0;
        let pool = match gender {
            Gender::Male => MALE_GIVEN,
            Gender::Female => FEMALE_GIVEN,
        };
        let mut name = surname.to_owned();
        name.push_str(self.pick::<&str>(pool));
        if self.rng.gen_bool(0.7) {
            name.push_str(self.pick::<&str>(pool));
        }
        PersonName::parse(&name).expect("generated names are valid")
    }

    fn resident_id(&mut self, region6: &str, today: NaiveDate, gender: Gender) -> ResidentId {
        let probe = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or_default();
        let region6 = if ResidentId::compose(region6, probe, 1).is_ok() {
            region6
        } else {
            FALLBACK_REGION6
        };
        // Born after `earliest` and on or before `latest`: aged MIN_AGE..=MAX_AGE today.
        let latest = today
            .checked_sub_months(Months::new(12 * MIN_AGE))
            .unwrap_or(today);
        let earliest = today
            .checked_sub_months(Months::new(12 * (MAX_AGE + 1)))
            .map(|d| d + Duration::days(1))
            .unwrap_or(latest);
        let span = (latest - earliest).num_days().max(0);
        loop {
            let birth = earliest + Duration::days(self.rng.gen_range(0..=span));
            let seq = self.rng.gen_range(0..500u16) * 2
                + match gender {
                    Gender::Male => 1,
                    Gender::Female => 0,
                };
            let Ok(id) = ResidentId::compose(region6, birth, seq) else {
                // Only possible for absurd `today` values (years outside 1000..=9999).
                continue;
            };
            if self.issued_ids.insert(id.as_str().to_owned()) {
                return id;
            }
        }
    }

    fn phone(&mut self) -> Phone {
        loop {
            let prefix = self.pick(PHONE_PREFIXES);
            let number = format!("{prefix}{:08}", self.rng.gen_range(0..100_000_000u32));
            if self.issued_phones.insert(number.clone()) {
                return Phone::parse(&number).expect("generated phones are valid");
            }
        }
    }

    fn availability(&mut self, age: u32) -> WeeklyAvailability {
        let mut a = WeeklyAvailability::default();
        let retired = age >= 60;
        let pattern = self.rng.gen_range(0..if retired { 4 } else { 3 });
        if pattern == 0 || pattern == 2 {
            // Weekday evenings.
            let start = self.range(18, 19) as u8;
            let end = self.range(u32::from(start) + 2, 22) as u8;
            for day in 0..5 {
                if self.rng.gen_bool(0.85) {
                    a.set_range(day, start, end);
                }
            }
        }
        if pattern == 1 || pattern == 2 {
            // Weekend days.
            let (start, end) = *self.pick(&[(9u8, 12u8), (14, 17), (9, 17), (8, 11), (13, 18)]);
            const WEEKEND_CHOICES: [&[u8]; 3] = [&[5, 6], &[5], &[6]];
            let days: &[u8] = WEEKEND_CHOICES[self.rng.gen_range(0..WEEKEND_CHOICES.len())];
            for &day in days {
                a.set_range(day, start, end);
            }
        }
        if pattern == 3 {
            // Retired: weekday mornings, sometimes afternoons too.
            let (start, end) = *self.pick(&[(8u8, 11u8), (9, 11), (9, 12), (14, 17)]);
            for day in 0..5 {
                a.set_range(day, start, end);
            }
        }
        if a.is_empty() {
            a.set_range(5, 9, 12);
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::is_province_code;
    use crate::tags::category_by_code;
    use chrono::Datelike;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
    }

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Synth::new(42);
        let mut b = Synth::new(42);
        for _ in 0..50 {
            assert_eq!(a.person("110105", today()), b.person("110105", today()));
            assert_eq!(a.team_name("朝阳"), b.team_name("朝阳"));
            assert_eq!(a.point_near(39.9, 116.4, 5.0), b.point_near(39.9, 116.4, 5.0));
            assert_eq!(a.range(1, 100), b.range(1, 100));
        }
    }

    #[test]
    fn a_site_contact_is_a_name_and_a_beijing_landline() {
        let mut g = Synth::new(7);
        for _ in 0..50 {
            let (name, phone) = g.site_contact();
            assert!(name.as_str().chars().count() >= 2);
            let digits = phone.strip_prefix("010-").expect("Beijing area code");
            assert_eq!(digits.len(), 8);
            assert!(digits.chars().all(|c| c.is_ascii_digit()));
            assert!(matches!(&digits[..1], "5" | "6" | "8"));
        }
    }

    #[test]
    fn different_seeds_differ() {
        let mut a = Synth::new(1);
        let mut b = Synth::new(2);
        let pa: Vec<_> = (0..10).map(|_| a.person("110105", today()).resident_id).collect();
        let pb: Vec<_> = (0..10).map(|_| b.person("110105", today()).resident_id).collect();
        assert_ne!(pa, pb);
    }

    #[test]
    fn five_thousand_valid_unique_people() {
        let mut s = Synth::new(7);
        let mut ids = HashSet::new();
        let mut phones = HashSet::new();
        let mut surnames = std::collections::HashMap::new();
        let mut males = 0;
        let started = std::time::Instant::now();
        for i in 0..5000 {
            let region = ["110105", "110108", "110101"][i % 3];
            let p = s.person(region, today());
            // Every field re-validates.
            let id = ResidentId::parse(p.resident_id.as_str(), today()).unwrap();
            assert_eq!(id.region6(), region);
            assert_eq!(id.gender(), p.gender);
            let age = id.age_on(today());
            assert!((MIN_AGE..=MAX_AGE).contains(&age), "age {age}");
            assert_eq!(PersonName::parse(p.name.as_str()).unwrap(), p.name);
            assert!((2..=4).contains(&p.name.as_str().chars().count()));
            assert_eq!(Phone::parse(p.phone.as_str()).unwrap(), p.phone);
            assert!(p.skills.len() <= 3);
            assert_eq!(crate::tags::parse_skills(&p.skills.join(",")).unwrap(), p.skills);
            assert!((1..=3).contains(&p.categories.len()));
            for c in &p.categories {
                assert!(category_by_code(c).is_some());
            }
            assert!(!p.availability.is_empty());
            assert_eq!(
                WeeklyAvailability::parse_spec(&p.availability.to_spec()).unwrap(),
                p.availability
            );
            assert!(ids.insert(p.resident_id.as_str().to_owned()));
            assert!(phones.insert(p.phone.as_str().to_owned()));
            if p.gender == Gender::Male {
                males += 1;
            }
            let first = p.name.as_str().chars().next().unwrap();
            *surnames.entry(first).or_insert(0) += 1;
        }
        assert!((2200..=2800).contains(&males), "{males}");
        // Common surnames dominate.
        assert!(surnames[&'王'] > surnames.get(&'陶').copied().unwrap_or(0));
        assert!(surnames.len() > 50);
        assert!(started.elapsed().as_secs() < 20);
    }

    #[test]
    fn unique_even_in_a_tiny_space() {
        // Many people in one region: IDs never repeat.
        let mut s = Synth::new(3);
        let mut ids = HashSet::new();
        for _ in 0..2000 {
            assert!(ids.insert(s.person("110105", today()).resident_id));
        }
    }

    #[test]
    fn implausible_region_falls_back() {
        let mut s = Synth::new(5);
        for region in ["", "999999", "abc", "1101"] {
            let p = s.person(region, today());
            assert_eq!(p.resident_id.region6(), FALLBACK_REGION6);
        }
        let p = s.person("440524", today());
        assert_eq!(p.resident_id.region6(), "440524");
        assert!(is_province_code(&p.resident_id.region6()[..2]));
    }

    #[test]
    fn ages_cover_the_range() {
        let mut s = Synth::new(11);
        let years: Vec<i32> = (0..3000)
            .map(|_| s.person("110105", today()).resident_id.birth_date().year())
            .collect();
        assert!(years.iter().any(|&y| y <= 1955));
        assert!(years.iter().any(|&y| y >= 2005));
    }

    #[test]
    fn team_names() {
        let mut s = Synth::new(9);
        let names: HashSet<String> = (0..200).map(|_| s.team_name("建外街道")).collect();
        assert!(names.len() > 10);
        for n in &names {
            assert!(n.starts_with("建外街道"), "{n}");
            assert!(n.contains("志愿"), "{n}");
            assert!(n.ends_with("队"), "{n}");
        }
    }

    #[test]
    fn points_stay_in_the_disc() {
        let mut s = Synth::new(13);
        let (lat0, lon0) = (39.9042, 116.4074);
        let mut far = 0;
        for _ in 0..5000 {
            let (lat, lon) = s.point_near(lat0, lon0, 3.0);
            let dy = (lat - lat0) * 111.32;
            let dx = (lon - lon0) * 111.32 * lat0.to_radians().cos();
            let d = (dx * dx + dy * dy).sqrt();
            assert!(d <= 3.0 + 1e-9, "{d}");
            if d > 3.0 / 2.0 {
                far += 1;
            }
        }
        // Uniform in area: three quarters lie beyond half the radius.
        assert!((3500..=4000).contains(&far), "{far}");
        assert_eq!(s.point_near(10.0, 20.0, 0.0), (10.0, 20.0));
        assert_eq!(s.point_near(10.0, 20.0, f64::NAN), (10.0, 20.0));
    }

    #[test]
    fn pick_and_range() {
        let mut s = Synth::new(17);
        let items = ["a", "b", "c"];
        let mut seen = HashSet::new();
        for _ in 0..100 {
            seen.insert(*s.pick(&items));
            let n = s.range(5, 7);
            assert!((5..=7).contains(&n));
            let m = s.range(9, 3);
            assert!((3..=9).contains(&m));
        }
        assert_eq!(seen.len(), 3);
        assert_eq!(s.range(4, 4), 4);
        assert!(!s.chance(0.0));
        assert!(s.chance(1.0));
        assert!(!s.chance(f64::NAN));
    }

    #[test]
    #[should_panic(expected = "non-empty")]
    fn pick_from_empty_panics() {
        let mut s = Synth::new(1);
        let empty: [u8; 0] = [];
        s.pick(&empty);
    }
}
