//! Administrative division codes (GB/T 2260 extended by the 12-digit statistical codes):
//! province 2 + prefecture 2 + county 2 + township 3 + village 3.

pub mod geo;

use std::fmt;

use crate::error::DomainError;

/// The real GB/T 2260 province-level codes (including Taiwan, Hong Kong and Macao).
pub const PROVINCE_CODES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
];

/// Whether `p` is one of the real province-level codes in [`PROVINCE_CODES`].
pub fn is_province_code(p: &str) -> bool {
    PROVINCE_CODES.contains(&p)
}

/// The level of a division, from the province down to the village (or community).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    Prefecture,
    County,
    Township,
    Village,
}

impl RegionLevel {
    /// Every level, from the top down.
    pub const ALL: [RegionLevel; 5] = [
        RegionLevel::Province,
        RegionLevel::Prefecture,
        RegionLevel::County,
        RegionLevel::Township,
        RegionLevel::Village,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::Prefecture => "prefecture",
            Self::County => "county",
            Self::Township => "township",
            Self::Village => "village",
        }
    }

    /// Reads the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Chinese label: 省级 地级 县级 乡级 村级.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Province => "省级",
            Self::Prefecture => "地级",
            Self::County => "县级",
            Self::Township => "乡级",
            Self::Village => "村级",
        }
    }

    /// Length of the significant code prefix at this level: 2 4 6 9 12.
    pub fn prefix_len(self) -> usize {
        match self {
            Self::Province => 2,
            Self::Prefecture => 4,
            Self::County => 6,
            Self::Township => 9,
            Self::Village => 12,
        }
    }

    /// The level whose prefix has exactly `len` characters.
    pub fn from_prefix_len(len: usize) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.prefix_len() == len)
    }

    /// The level one step down, if any.
    pub fn child(self) -> Option<Self> {
        Self::from_prefix_len(match self {
            Self::Province => 4,
            Self::Prefecture => 6,
            Self::County => 9,
            Self::Township => 12,
            Self::Village => return None,
        })
    }
}

impl fmt::Display for RegionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 12-digit division code. Its level is that of its last non-zero part.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    /// Exactly 12 ASCII digits after trimming, with a non-zero province part.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) || &s[..2] == "00" {
            return Err(DomainError::RegionCode);
        }
        Ok(Self(s.to_owned()))
    }

    /// Pads a significant prefix (2, 4, 6, 9 or 12 digits) with zeros to a full code.
    pub fn from_prefix(prefix: &str) -> Result<Self, DomainError> {
        if !is_valid_prefix(prefix) {
            return Err(DomainError::RegionCode);
        }
        Self::parse(&format!("{prefix:0<12}"))
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level of the last non-zero part.
    pub fn level(&self) -> RegionLevel {
        let b = self.0.as_bytes();
        let zero = |r: std::ops::Range<usize>| b[r].iter().all(|&c| c == b'0');
        if !zero(9..12) {
            RegionLevel::Village
        } else if !zero(6..9) {
            RegionLevel::Township
        } else if !zero(4..6) {
            RegionLevel::County
        } else if !zero(2..4) {
            RegionLevel::Prefecture
        } else {
            RegionLevel::Province
        }
    }

    /// The significant prefix at the code's own level: 2, 4, 6, 9 or 12 characters.
    pub fn prefix(&self) -> &str {
        &self.0[..self.level().prefix_len()]
    }

    /// Whether `other` lies within this region (or is the same region).
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.prefix())
    }

    /// The first six digits (the county-level code, as in resident IDs).
    pub fn county6(&self) -> &str {
        &self.0[..6]
    }

    /// The enclosing region at `level`: the code truncated to that level's prefix and padded
    /// with zeros. `None` if `level` lies below this code's own level. The result's own
    /// [`level`](Self::level) can be higher than `level` when the truncated parts are zero
    /// (e.g. a county directly under a province has no prefecture).
    pub fn ancestor_at(&self, level: RegionLevel) -> Option<RegionCode> {
        if level > self.level() {
            return None;
        }
        let prefix = &self.0[..level.prefix_len()];
        Some(Self(format!("{prefix:0<12}")))
    }

    /// The chain of enclosing regions from the province down to this code itself, skipping
    /// levels whose parts are zero.
    pub fn ancestors(&self) -> Vec<RegionCode> {
        let mut out: Vec<RegionCode> = Vec::new();
        for level in RegionLevel::ALL {
            if let Some(a) = self.ancestor_at(level) {
                if out.last() != Some(&a) {
                    out.push(a);
                }
            }
        }
        out
    }
}

impl TryFrom<String> for RegionCode {
    type Error = DomainError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(r: RegionCode) -> String {
        r.0
    }
}

impl std::str::FromStr for RegionCode {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `p` is a significant prefix usable as a permission scope: 2, 4, 6, 9 or 12 ASCII
/// digits.
pub fn is_valid_prefix(p: &str) -> bool {
    matches!(p.len(), 2 | 4 | 6 | 9 | 12) && p.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rc(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn level_strings_round_trip() {
        for l in RegionLevel::ALL {
            assert_eq!(RegionLevel::parse(l.as_str()), Some(l));
            assert_eq!(RegionLevel::from_prefix_len(l.prefix_len()), Some(l));
            assert_eq!(l.to_string(), l.as_str());
        }
        assert_eq!(RegionLevel::parse("city"), None);
        let labels: Vec<_> = RegionLevel::ALL.iter().map(|l| l.label_zh()).collect();
        assert_eq!(labels, ["省级", "地级", "县级", "乡级", "村级"]);
        let lens: Vec<_> = RegionLevel::ALL.iter().map(|l| l.prefix_len()).collect();
        assert_eq!(lens, [2, 4, 6, 9, 12]);
        assert_eq!(RegionLevel::Province.child(), Some(RegionLevel::Prefecture));
        assert_eq!(RegionLevel::Township.child(), Some(RegionLevel::Village));
        assert_eq!(RegionLevel::Village.child(), None);
        assert!(RegionLevel::Province < RegionLevel::Village);
    }

    #[test]
    fn level_serde_is_snake_case() {
        let json = serde_json::to_string(&RegionLevel::Township).unwrap();
        assert_eq!(json, "\"township\"");
        let back: RegionLevel = serde_json::from_str("\"prefecture\"").unwrap();
        assert_eq!(back, RegionLevel::Prefecture);
    }

    #[test]
    fn parses_and_levels() {
        assert_eq!(rc("110000000000").level(), RegionLevel::Province);
        assert_eq!(rc("110100000000").level(), RegionLevel::Prefecture);
        assert_eq!(rc("110105000000").level(), RegionLevel::County);
        assert_eq!(rc("110105001000").level(), RegionLevel::Township);
        assert_eq!(rc("110105001001").level(), RegionLevel::Village);
        // A county directly under a province (prefecture part 00) is still a county.
        assert_eq!(rc("500001000000").level(), RegionLevel::County);
        assert_eq!(rc(" 110105001001 ").as_str(), "110105001001");
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "11010500100",
            "1101050010011",
            "11010500100a",
            "000000000000",
            "001105000000",
            "１10105001001",
            "110105 01001",
        ] {
            assert_eq!(RegionCode::parse(s), Err(DomainError::RegionCode), "{s:?}");
        }
        assert_eq!(DomainError::RegionCode.code(), "region_code_invalid");
    }

    #[test]
    fn prefix_and_contains() {
        let beijing = rc("110000000000");
        let chaoyang = rc("110105000000");
        let town = rc("110105001000");
        let village = rc("110105001001");
        let haidian = rc("110108000000");
        assert_eq!(beijing.prefix(), "11");
        assert_eq!(chaoyang.prefix(), "110105");
        assert_eq!(town.prefix(), "110105001");
        assert_eq!(village.prefix(), "110105001001");
        assert!(beijing.contains(&chaoyang));
        assert!(beijing.contains(&village));
        assert!(chaoyang.contains(&town));
        assert!(chaoyang.contains(&chaoyang));
        assert!(!chaoyang.contains(&haidian));
        assert!(!town.contains(&chaoyang));
        assert!(!chaoyang.contains(&beijing));
        assert_eq!(village.county6(), "110105");
    }

    #[test]
    fn ancestors() {
        let village = rc("110105001001");
        assert_eq!(
            village.ancestor_at(RegionLevel::Province),
            Some(rc("110000000000"))
        );
        assert_eq!(
            village.ancestor_at(RegionLevel::Prefecture),
            Some(rc("110100000000"))
        );
        assert_eq!(village.ancestor_at(RegionLevel::County), Some(rc("110105000000")));
        assert_eq!(
            village.ancestor_at(RegionLevel::Township),
            Some(rc("110105001000"))
        );
        assert_eq!(village.ancestor_at(RegionLevel::Village), Some(village.clone()));
        let county = rc("110105000000");
        assert_eq!(county.ancestor_at(RegionLevel::Township), None);
        assert_eq!(county.ancestor_at(RegionLevel::County), Some(county.clone()));
        assert_eq!(
            village.ancestors(),
            [
                rc("110000000000"),
                rc("110100000000"),
                rc("110105000000"),
                rc("110105001000"),
                village.clone()
            ]
        );
        assert_eq!(
            rc("500001000000").ancestors(),
            [rc("500000000000"), rc("500001000000")]
        );
    }

    #[test]
    fn from_prefix() {
        assert_eq!(RegionCode::from_prefix("110105").unwrap(), rc("110105000000"));
        assert_eq!(RegionCode::from_prefix("110105001").unwrap(), rc("110105001000"));
        assert!(RegionCode::from_prefix("11010").is_err());
        assert!(RegionCode::from_prefix("00").is_err());
    }

    #[test]
    fn valid_prefixes() {
        for p in ["11", "1101", "110105", "110105001", "110105001001"] {
            assert!(is_valid_prefix(p), "{p}");
        }
        for p in [
            "",
            "1",
            "110",
            "11010",
            "1101050",
            "11010500",
            "1101050010",
            "11a105",
        ] {
            assert!(!is_valid_prefix(p), "{p}");
        }
    }

    #[test]
    fn province_codes() {
        assert_eq!(PROVINCE_CODES.len(), 34);
        assert!(is_province_code("11"));
        assert!(is_province_code("82"));
        assert!(!is_province_code("10"));
        assert!(!is_province_code("66"));
    }

    #[test]
    fn conversions_and_serde() {
        let r = rc("110105001000");
        assert_eq!(r.to_string(), "110105001000");
        assert_eq!(String::from(r.clone()), "110105001000");
        assert_eq!(RegionCode::try_from("110105001000".to_string()).unwrap(), r);
        assert_eq!("110105001000".parse::<RegionCode>().unwrap(), r);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"110105001000\"");
        assert_eq!(serde_json::from_str::<RegionCode>(&json).unwrap(), r);
        assert!(serde_json::from_str::<RegionCode>("\"12345\"").is_err());
    }

    proptest! {
        #[test]
        fn ancestors_contain_descendants(s in "[1-9][0-9]{11}") {
            let r = RegionCode::parse(&s).unwrap();
            prop_assert!(r.contains(&r));
            for level in RegionLevel::ALL {
                match r.ancestor_at(level) {
                    Some(a) => {
                        prop_assert!(level <= r.level());
                        prop_assert!(a.contains(&r));
                        prop_assert!(a.level() <= level);
                        prop_assert!(is_valid_prefix(a.prefix()));
                    }
                    None => prop_assert!(level > r.level()),
                }
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,14}") {
            let _ = RegionCode::parse(&s);
        }
    }
}
