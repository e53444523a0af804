//! Weekly service availability: 7 days × 24 hours, one bit per hour.
//!
//! Read from and written as short Chinese text such as `工作日 18-21；周末 9-17`.

use crate::error::DomainError;

const DAYS: u8 = 7;
const HOURS: u8 = 24;
const BITS: usize = DAYS as usize * HOURS as usize;
const BYTES: usize = BITS / 8;
const FULL_DAY: u32 = (1 << HOURS) - 1;

/// Chinese day names, Monday first.
const DAY_NAMES: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/// Which hours of a typical week a volunteer can serve: 168 bits, bit index `day * 24 + hour`,
/// day 0 = Monday, hour 0 = 00:00–01:00.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct WeeklyAvailability([u8; BYTES]);

impl WeeklyAvailability {
    /// Every hour of every day.
    pub fn all() -> Self {
        Self([0xff; BYTES])
    }

    /// No hour at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether `hour` (0–23) of `day` (0 = Monday … 6 = Sunday) is available; `false` when out
    /// of range.
    pub fn is_set(&self, day: u8, hour: u8) -> bool {
        if day >= DAYS || hour >= HOURS {
            return false;
        }
        let i = usize::from(day) * 24 + usize::from(hour);
        self.0[i / 8] & (1 << (i % 8)) != 0
    }

    /// Marks `hour` of `day` available; out-of-range values are ignored.
    pub fn set(&mut self, day: u8, hour: u8) {
        if day >= DAYS || hour >= HOURS {
            return;
        }
        let i = usize::from(day) * 24 + usize::from(hour);
        self.0[i / 8] |= 1 << (i % 8);
    }

    /// Marks `hour` of `day` unavailable; out-of-range values are ignored.
    pub fn clear(&mut self, day: u8, hour: u8) {
        if day >= DAYS || hour >= HOURS {
            return;
        }
        let i = usize::from(day) * 24 + usize::from(hour);
        self.0[i / 8] &= !(1 << (i % 8));
    }

    /// Marks hours `start..end` (end exclusive, at most 24) of `day` available.
    pub fn set_range(&mut self, day: u8, start: u8, end: u8) {
        for hour in start..end.min(HOURS) {
            self.set(day, hour);
        }
    }

    /// Available hours per week.
    pub fn hours_per_week(&self) -> u32 {
        self.0.iter().map(|b| b.count_ones()).sum()
    }

    /// Whether no hour is available.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }

    /// Hours available in both.
    pub fn intersection(&self, other: &Self) -> Self {
        let mut out = [0u8; BYTES];
        for (o, (a, b)) in out.iter_mut().zip(self.0.iter().zip(other.0.iter())) {
            *o = a & b;
        }
        Self(out)
    }

    /// Hours available in either.
    pub fn union(&self, other: &Self) -> Self {
        let mut out = [0u8; BYTES];
        for (o, (a, b)) in out.iter_mut().zip(self.0.iter().zip(other.0.iter())) {
            *o = a | b;
        }
        Self(out)
    }

    /// Number of hours available in both.
    pub fn overlap_hours(&self, other: &Self) -> u32 {
        self.intersection(other).hours_per_week()
    }

    /// The 24 hours of `day` as a bit mask (bit `h` = hour `h`); 0 when out of range.
    pub fn day_mask(&self, day: u8) -> u32 {
        (0..HOURS)
            .filter(|&h| self.is_set(day, h))
            .fold(0, |m, h| m | (1 << h))
    }

    /// The raw 21 bytes (bit `i` of the 168 is bit `i % 8` of byte `i / 8`).
    pub fn as_bytes(&self) -> &[u8; 21] {
        &self.0
    }

    /// From the raw 21 bytes.
    pub fn from_bytes(bytes: [u8; 21]) -> Self {
        Self(bytes)
    }

    /// 42 lower-case hex characters of [`as_bytes`](Self::as_bytes).
    pub fn to_hex(&self) -> String {
        use std::fmt::Write;
        self.0.iter().fold(String::with_capacity(BYTES * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// Reads [`to_hex`](Self::to_hex) output (either case, surrounding whitespace ignored).
    pub fn from_hex(s: &str) -> Result<Self, DomainError> {
        let s = s.trim();
        if s.len() != BYTES * 2 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DomainError::Availability(format!(
                "编码应为 {} 位十六进制字符",
                BYTES * 2
            )));
        }
        let mut out = [0u8; BYTES];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16)
                .map_err(|_| DomainError::Availability("编码包含非十六进制字符".into()))?;
        }
        Ok(Self(out))
    }

    /// Canonical Chinese text that [`parse_spec`](Self::parse_spec) reads back to the same
    /// value: days with identical hours grouped, e.g. `周一至周五 18-21；周六至周日 9-17`;
    /// several hour ranges of a group joined by `、` (`周六 9-12、14-17`); `""` when empty.
    pub fn to_spec(&self) -> String {
        let masks: Vec<u32> = (0..DAYS).map(|d| self.day_mask(d)).collect();
        let mut done = [false; DAYS as usize];
        let mut groups = Vec::new();
        for d in 0..usize::from(DAYS) {
            if done[d] || masks[d] == 0 {
                continue;
            }
            let days: Vec<usize> = (d..usize::from(DAYS)).filter(|&e| masks[e] == masks[d]).collect();
            for &e in &days {
                done[e] = true;
            }
            groups.push(format!("{} {}", days_text(&days), hours_text(masks[d])));
        }
        groups.join("；")
    }

    /// Reads human Chinese text.
    ///
    /// Entries are separated by `;` `；` `,` `，` `、` or line breaks. Each entry is a day part
    /// followed by one or more hour ranges, e.g. `工作日 18-21`, `周三 14-16`, `每天 8-10`,
    /// `周一至周五 19-21`, `周六 9-12 14-17`, `周日 全天`.
    ///
    /// - Days: `周一`…`周日` (also `星期一`…`星期日`, `礼拜一`…, `周天`/`星期天`), `工作日`,
    ///   `周末`, `每天`/`每日`/`全周`; ranges with `至`, `到`, `-`, `~` (`周一至周五`,
    ///   `周一至五`); several days may be written one after another (`周六周日`).
    /// - Hours: `H-H` or `H:00-H:00` with `0 <= start < end <= 24` (`~`, `－`, `～`, `至`, `到`
    ///   also work as the dash; `点`/`时` after a number is allowed), or `全天` for 0-24.
    /// - An entry with days but no hours takes the hours of the next entry that has them, so
    ///   `周六、周日 9-12` means both days; an entry with hours but no days reuses the days of
    ///   the entry before it, so `周六 9-12、14-17` means two ranges on Saturday.
    /// - The empty string (or only separators) means no availability.
    pub fn parse_spec(s: &str) -> Result<Self, DomainError> {
        let mut out = Self::default();
        let mut pending_days: u8 = 0;
        let mut pending_text: Vec<&str> = Vec::new();
        let mut last_days: u8 = 0;
        for entry in s
            .split([';', '；', ',', '，', '、', '\n', '\r'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (day_part, hour_part) = split_entry(entry);
            let days = if day_part.is_empty() {
                0
            } else {
                parse_days(day_part)?
            };
            let Some(hour_part) = hour_part else {
                // Days only: wait for the hours of a later entry.
                pending_days |= days;
                pending_text.push(entry);
                continue;
            };
            let ranges = parse_hours(hour_part)?;
            let days = if days == 0 && pending_days == 0 {
                if last_days == 0 {
                    return Err(DomainError::Availability(format!(
                        "「{entry}」缺少星期，例如“周六 9-12”"
                    )));
                }
                last_days
            } else {
                days | pending_days
            };
            for day in 0..DAYS {
                if days & (1 << day) != 0 {
                    for &(start, end) in &ranges {
                        out.set_range(day, start, end);
                    }
                }
            }
            last_days = days;
            pending_days = 0;
            pending_text.clear();
        }
        if !pending_text.is_empty() {
            return Err(DomainError::Availability(format!(
                "「{}」缺少时间段，例如“9-12”",
                pending_text.join("、")
            )));
        }
        Ok(out)
    }
}

/// Describes a set of days (ascending indexes) as runs: `周一至周五`, `周三`, `周一、周三`.
fn days_text(days: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &d in days {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == d => *end = d,
            _ => runs.push((d, d)),
        }
    }
    runs.iter()
        .map(|&(a, b)| {
            if a == b {
                DAY_NAMES[a].to_owned()
            } else {
                format!("{}至{}", DAY_NAMES[a], DAY_NAMES[b])
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// Describes an hour mask as ranges: `9-12、14-17`.
fn hours_text(mask: u32) -> String {
    let mut parts = Vec::new();
    let mut h = 0u32;
    while h < u32::from(HOURS) {
        if mask & (1 << h) == 0 {
            h += 1;
            continue;
        }
        let start = h;
        while h < u32::from(HOURS) && mask & (1 << h) != 0 {
            h += 1;
        }
        parts.push(format!("{start}-{h}"));
    }
    debug_assert!(mask & !FULL_DAY == 0);
    parts.join("、")
}

/// Splits an entry into its day part and, if present, its hour part (which starts at the first
/// ASCII digit, or is the word `全天`).
fn split_entry(entry: &str) -> (&str, Option<&str>) {
    if let Some(i) = entry.find(|c: char| c.is_ascii_digit()) {
        return (entry[..i].trim(), Some(&entry[i..]));
    }
    if let Some(i) = entry.find("全天") {
        if entry[i + "全天".len()..].trim().is_empty() {
            return (entry[..i].trim(), Some(&entry[i..]));
        }
    }
    (entry, None)
}

/// Day words and their day-set bits (bit 0 = Monday). Longer words first where one is a prefix
/// of another.
const DAY_GROUPS: &[(&str, u8)] = &[
    ("工作日", 0b001_1111),
    ("周末", 0b110_0000),
    ("每天", 0b111_1111),
    ("每日", 0b111_1111),
    ("全周", 0b111_1111),
    ("天天", 0b111_1111),
];

/// Prefixes that introduce a single day name.
const DAY_PREFIXES: &[&str] = &["星期", "礼拜", "周"];

/// The day index of a single-day digit after a prefix.
fn day_digit(c: char) -> Option<u8> {
    Some(match c {
        '一' => 0,
        '二' => 1,
        '三' => 2,
        '四' => 3,
        '五' => 4,
        '六' => 5,
        '日' | '天' => 6,
        _ => return None,
    })
}

/// Reads one single day name at the start of `s`; returns the day index and the rest.
fn single_day(s: &str) -> Option<(u8, &str)> {
    for prefix in DAY_PREFIXES {
        if let Some(rest) = s.strip_prefix(prefix) {
            let mut chars = rest.chars();
            let c = chars.next()?;
            return day_digit(c).map(|d| (d, chars.as_str()));
        }
    }
    None
}

fn is_range_dash(c: char) -> bool {
    matches!(c, '至' | '到' | '-' | '~' | '－' | '～' | '—' | '–')
}

/// Reads a day part such as `周一至周五`, `工作日`, `周六周日`, `星期天`.
fn parse_days(part: &str) -> Result<u8, DomainError> {
    let unknown = || DomainError::Availability(format!("无法识别的星期「{part}」"));
    let mut days = 0u8;
    let mut rest = part.trim_start();
    while !rest.is_empty() {
        if let Some(&(word, bits)) = DAY_GROUPS.iter().find(|(w, _)| rest.starts_with(w)) {
            days |= bits;
            rest = rest[word.len()..].trim_start();
            continue;
        }
        let (start, after) = single_day(rest).ok_or_else(unknown)?;
        rest = after.trim_start();
        let mut chars = rest.chars();
        match chars.next() {
            Some(c) if is_range_dash(c) => {
                let after_dash = chars.as_str().trim_start();
                // The second day may omit its prefix: 周一至五.
                let (end, after_end) = single_day(after_dash)
                    .or_else(|| {
                        let mut cs = after_dash.chars();
                        let d = day_digit(cs.next()?)?;
                        Some((d, cs.as_str()))
                    })
                    .ok_or_else(unknown)?;
                // Ranges may wrap around the week (周五至周一).
                let mut d = start;
                loop {
                    days |= 1 << d;
                    if d == end {
                        break;
                    }
                    d = (d + 1) % DAYS;
                }
                rest = after_end.trim_start();
            }
            _ => days |= 1 << start,
        }
    }
    if days == 0 {
        return Err(unknown());
    }
    Ok(days)
}

/// Reads one or more hour ranges: `9-12`, `9:00-12:00`, `9点至12点`, `9-12 14-17`, `全天`.
fn parse_hours(part: &str) -> Result<Vec<(u8, u8)>, DomainError> {
    let bad = || {
        DomainError::Availability(format!(
            "无法识别的时间段「{}」，应写作“9-12”或“9:00-12:00”（0 至 24 点）",
            part.trim()
        ))
    };
    let trimmed = part.trim();
    if trimmed == "全天" {
        return Ok(vec![(0, HOURS)]);
    }
    let mut ranges = Vec::new();
    let mut rest = trimmed;
    while !rest.is_empty() {
        let (start, after) = hour_value(rest).ok_or_else(bad)?;
        let after = after.trim_start();
        let mut chars = after.chars();
        match chars.next() {
            Some(c) if is_range_dash(c) => {}
            _ => return Err(bad()),
        }
        let (end, after) = hour_value(chars.as_str().trim_start()).ok_or_else(bad)?;
        if start >= end || end > HOURS {
            return Err(DomainError::Availability(format!(
                "时间段「{start}-{end}」不正确：开始应早于结束，且在 0 至 24 点之间"
            )));
        }
        ranges.push((start, end));
        rest = after.trim_start();
    }
    if ranges.is_empty() {
        return Err(bad());
    }
    Ok(ranges)
}

/// Reads an hour `H`, `H:00`, `H：00`, `H点` or `H时` at the start of `s`.
fn hour_value(s: &str) -> Option<(u8, &str)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 2 {
        return None;
    }
    let hour: u8 = s[..digits].parse().ok()?;
    if hour > HOURS {
        return None;
    }
    let mut rest = &s[digits..];
    for colon in [":", "："] {
        if let Some(r) = rest.strip_prefix(colon) {
            rest = r.strip_prefix("00")?;
            break;
        }
    }
    for suffix in ["点", "时"] {
        if let Some(r) = rest.strip_prefix(suffix) {
            rest = r;
            break;
        }
    }
    Some((hour, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spec(s: &str) -> WeeklyAvailability {
        WeeklyAvailability::parse_spec(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn build(days: &[u8], start: u8, end: u8) -> WeeklyAvailability {
        let mut a = WeeklyAvailability::default();
        for &d in days {
            a.set_range(d, start, end);
        }
        a
    }

    #[test]
    fn bits_and_counts() {
        let mut a = WeeklyAvailability::default();
        assert!(a.is_empty());
        assert_eq!(a.hours_per_week(), 0);
        a.set(0, 0);
        a.set(6, 23);
        a.set(6, 23);
        a.set(7, 0);
        a.set(0, 24);
        assert!(a.is_set(0, 0));
        assert!(a.is_set(6, 23));
        assert!(!a.is_set(0, 1));
        assert!(!a.is_set(7, 0));
        assert!(!a.is_set(0, 24));
        assert_eq!(a.hours_per_week(), 2);
        a.clear(0, 0);
        assert!(!a.is_set(0, 0));
        assert_eq!(WeeklyAvailability::all().hours_per_week(), 168);
        assert_eq!(WeeklyAvailability::none(), WeeklyAvailability::default());
        assert_eq!(a.day_mask(6), 1 << 23);
        assert_eq!(a.day_mask(9), 0);
    }

    #[test]
    fn set_operations() {
        let a = build(&[0, 1], 9, 12);
        let b = build(&[1, 2], 10, 14);
        assert_eq!(a.overlap_hours(&b), 2);
        assert_eq!(a.intersection(&b), build(&[1], 10, 12));
        assert_eq!(a.union(&b).hours_per_week(), 3 + 3 + 4 + 4 - 2);
        assert_eq!(a.overlap_hours(&WeeklyAvailability::all()), 6);
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(WeeklyAvailability::default().to_hex(), "0".repeat(42));
        assert_eq!(WeeklyAvailability::all().to_hex(), "f".repeat(42));
        let mut a = WeeklyAvailability::default();
        a.set(0, 0);
        a.set(0, 9);
        assert_eq!(&a.to_hex()[..4], "0102");
        assert_eq!(WeeklyAvailability::from_hex(&a.to_hex()).unwrap(), a);
        assert_eq!(
            WeeklyAvailability::from_hex(&a.to_hex().to_uppercase()).unwrap(),
            a
        );
        for bad in ["", "00", &"0".repeat(41), &"0".repeat(43), &"g".repeat(42)] {
            let e = WeeklyAvailability::from_hex(bad).unwrap_err();
            assert_eq!(e.code(), "availability_invalid");
        }
        // Multi-byte characters must not cause a slicing panic.
        assert!(WeeklyAvailability::from_hex(&"é".repeat(21)).is_err());
    }

    #[test]
    fn parses_examples() {
        let a = spec("工作日 18-21；周末 9-17");
        assert_eq!(a, build(&[0, 1, 2, 3, 4], 18, 21).union(&build(&[5, 6], 9, 17)));
        assert_eq!(a.hours_per_week(), 5 * 3 + 2 * 8);
        assert_eq!(spec("周三 14-16"), build(&[2], 14, 16));
        assert_eq!(spec("每天 8-10"), build(&[0, 1, 2, 3, 4, 5, 6], 8, 10));
        assert_eq!(spec("每日8-10"), build(&[0, 1, 2, 3, 4, 5, 6], 8, 10));
        assert_eq!(spec("周一至周五 19-21"), build(&[0, 1, 2, 3, 4], 19, 21));
        assert_eq!(spec("周六、周日 9-12"), build(&[5, 6], 9, 12));
        assert_eq!(spec("周六,周日 9-12"), build(&[5, 6], 9, 12));
    }

    #[test]
    fn day_name_variants() {
        let sunday = build(&[6], 9, 10);
        for s in [
            "周日 9-10",
            "周天 9-10",
            "星期日 9-10",
            "星期天 9-10",
            "礼拜天 9-10",
        ] {
            assert_eq!(spec(s), sunday, "{s}");
        }
        let weekdays = build(&[0, 1, 2, 3, 4], 9, 10);
        for s in [
            "星期一至星期五 9-10",
            "周一到周五 9-10",
            "周一-周五 9-10",
            "周一~周五 9-10",
            "周一 至 周五 9-10",
            "工作日9-10",
            "周一至五 9-10",
            "星期一到五 9-10",
        ] {
            assert_eq!(spec(s), weekdays, "{s}");
        }
        assert_eq!(spec("周六周日 9-10"), build(&[5, 6], 9, 10));
        assert_eq!(spec("周五至周一 9-10"), build(&[4, 5, 6, 0], 9, 10));
        assert_eq!(spec("周一周三至周四 9-10"), build(&[0, 2, 3], 9, 10));
        assert_eq!(spec("工作日周六 9-10"), build(&[0, 1, 2, 3, 4, 5], 9, 10));
    }

    #[test]
    fn hour_variants() {
        let morning = build(&[0], 9, 12);
        for s in [
            "周一 9-12",
            "周一 9:00-12:00",
            "周一 9：00-12：00",
            "周一 09:00 - 12:00",
            "周一 9~12",
            "周一 9～12",
            "周一 9－12",
            "周一 9至12",
            "周一 9到12",
            "周一 9点-12点",
            "周一 9时至12时",
        ] {
            assert_eq!(spec(s), morning, "{s}");
        }
        assert_eq!(spec("周一 0-24"), build(&[0], 0, 24));
        assert_eq!(spec("周一 全天"), build(&[0], 0, 24));
        assert_eq!(spec("周末全天"), build(&[5, 6], 0, 24));
        assert_eq!(
            spec("周一 9-12 14-17"),
            build(&[0], 9, 12).union(&build(&[0], 14, 17))
        );
    }

    #[test]
    fn inheritance_between_entries() {
        // Bare days take the next entry's hours.
        assert_eq!(spec("周一、周三、周五 19-21"), build(&[0, 2, 4], 19, 21));
        // Bare hours reuse the previous entry's days.
        assert_eq!(
            spec("周六 9-12、14-17"),
            build(&[5], 9, 12).union(&build(&[5], 14, 17))
        );
        assert_eq!(
            spec("周一、周三 9-12、14-17；周日 8-9"),
            build(&[0, 2], 9, 12)
                .union(&build(&[0, 2], 14, 17))
                .union(&build(&[6], 8, 9))
        );
        // Separators of every kind, including newlines.
        assert_eq!(
            spec("工作日 18-21\n周末 9-17;周三 8-9，周四 8-9"),
            spec("工作日 18-21；周末 9-17；周三 8-9；周四 8-9")
        );
        // Overlapping entries merge.
        assert_eq!(spec("周一 9-12；周一 10-14"), build(&[0], 9, 14));
    }

    #[test]
    fn empty_is_valid() {
        for s in ["", "  ", "；", "\n\n", " , 、 "] {
            assert_eq!(spec(s), WeeklyAvailability::default(), "{s:?}");
        }
    }

    #[test]
    fn rejects_bad_text() {
        for s in [
            "周八 9-12",
            "明天 9-12",
            "周一",
            "周六、周日",
            "9-12",
            "周一 12-9",
            "周一 9-9",
            "周一 9-25",
            "周一 25-26",
            "周一 9",
            "周一 9-",
            "周一 9:30-12:00",
            "周一 9-12 abc",
            "周一 9-12-14",
            "周一 123-124",
            "周一至 9-12",
            "周 9-12",
            "星期 9-12",
            "周一 -3-5",
        ] {
            let e = WeeklyAvailability::parse_spec(s).unwrap_err();
            assert_eq!(e.code(), "availability_invalid", "{s}");
            assert_eq!(e.field(), Some("availability"));
        }
        let e = WeeklyAvailability::parse_spec("周六、周日").unwrap_err();
        assert!(e.to_string().contains("缺少时间段"), "{e}");
        let e = WeeklyAvailability::parse_spec("9-12").unwrap_err();
        assert!(e.to_string().contains("缺少星期"), "{e}");
        let e = WeeklyAvailability::parse_spec("周八 9-12").unwrap_err();
        assert!(e.to_string().contains("周八"), "{e}");
    }

    #[test]
    fn canonical_text() {
        assert_eq!(WeeklyAvailability::default().to_spec(), "");
        assert_eq!(
            spec("工作日 18-21；周末 9-17").to_spec(),
            "周一至周五 18-21；周六至周日 9-17"
        );
        assert_eq!(spec("周三 14-16").to_spec(), "周三 14-16");
        assert_eq!(spec("周一、周三 9-12").to_spec(), "周一、周三 9-12");
        assert_eq!(
            spec("周六 9-12 14-17；周日 9-12 14-17").to_spec(),
            "周六至周日 9-12、14-17"
        );
        assert_eq!(WeeklyAvailability::all().to_spec(), "周一至周日 0-24");
        assert_eq!(
            spec("周一 9-10；周二 10-11；周三 9-10").to_spec(),
            "周一、周三 9-10；周二 10-11"
        );
    }

    fn any_availability() -> impl Strategy<Value = WeeklyAvailability> {
        prop::array::uniform21(any::<u8>()).prop_map(WeeklyAvailability::from_bytes)
    }

    /// Availability made of few blocks shared by several days, like real input.
    fn blocky_availability() -> impl Strategy<Value = WeeklyAvailability> {
        prop::collection::vec((0u8..128, 0u8..24, 1u8..=24), 0..4).prop_map(|blocks| {
            let mut a = WeeklyAvailability::default();
            for (days, start, len) in blocks {
                for d in 0..7 {
                    if days & (1 << d) != 0 {
                        a.set_range(d, start, start.saturating_add(len).min(24));
                    }
                }
            }
            a
        })
    }

    proptest! {
        #[test]
        fn spec_round_trips(a in any_availability()) {
            let text = a.to_spec();
            prop_assert_eq!(WeeklyAvailability::parse_spec(&text).unwrap(), a, "{}", text);
        }

        #[test]
        fn blocky_spec_round_trips(a in blocky_availability()) {
            let text = a.to_spec();
            prop_assert_eq!(WeeklyAvailability::parse_spec(&text).unwrap(), a, "{}", text);
        }

        #[test]
        fn hex_round_trips(a in any_availability()) {
            let hex = a.to_hex();
            prop_assert_eq!(hex.len(), 42);
            prop_assert!(hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
            prop_assert_eq!(WeeklyAvailability::from_hex(&hex).unwrap(), a);
        }

        #[test]
        fn hours_match_bits(a in any_availability()) {
            let counted = (0..7u8)
                .flat_map(|d| (0..24u8).map(move |h| (d, h)))
                .filter(|&(d, h)| a.is_set(d, h))
                .count();
            prop_assert_eq!(a.hours_per_week() as usize, counted);
        }

        #[test]
        fn single_range_parses(day in 0u8..7, start in 0u8..24, len in 1u8..=24) {
            let end = (start + len).min(24);
            let text = format!("{} {start}-{end}", DAY_NAMES[usize::from(day)]);
            let a = WeeklyAvailability::parse_spec(&text).unwrap();
            prop_assert_eq!(a.hours_per_week(), u32::from(end - start));
            prop_assert!(a.is_set(day, start));
            prop_assert!(!a.is_set(day, end));
        }

        #[test]
        fn parse_never_panics(s in "[周星期礼拜一二三四五六日天工作末每至到0-9:：\\-~、；, ]{0,30}") {
            let _ = WeeklyAvailability::parse_spec(&s);
        }

        #[test]
        fn parse_never_panics_on_anything(s in "\\PC{0,30}") {
            let _ = WeeklyAvailability::parse_spec(&s);
        }
    }
}
