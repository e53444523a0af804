//! Resident identity card numbers (居民身份证号码, GB 11643-1999).
//!
//! 18 characters: 6-digit region + YYYYMMDD birth date + 3-digit sequence (odd male, even
//! female) + check character.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::error::{DomainError, ResidentIdError};
use crate::network::is_province_code;
use crate::people::Gender;

/// Weights of the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check characters indexed by the weighted sum modulo 11.
const CHECK_CHARS: &[u8; 11] = b"10X98765432";
/// Oldest accepted age in years.
const MAX_AGE_YEARS: u32 = 150;

/// The check character of the first 17 digits; `None` unless `first17` is exactly 17 ASCII
/// digits.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(char::from(CHECK_CHARS[(sum % 11) as usize]))
}

/// A valid 18-character resident ID, stored with an upper-case `X`.
///
/// `Debug` prints only the masked form so the number never reaches logs by accident.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

impl ResidentId {
    /// Parses and fully validates a resident ID as of `today`.
    ///
    /// Surrounding whitespace is trimmed and a lower-case `x` accepted.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, DomainError> {
        let s = input.trim();
        if s.chars().count() != 18 {
            return Err(ResidentIdError::Length.into());
        }
        let bytes = s.as_bytes();
        // 18 chars but more than 18 bytes means non-ASCII characters.
        if bytes.len() != 18
            || !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X' || bytes[17] == b'x')
        {
            return Err(ResidentIdError::Characters.into());
        }
        if !is_plausible_region6(&s[..6]) {
            return Err(ResidentIdError::Region.into());
        }
        let birth = birth_date_of(&s[6..14]).ok_or(ResidentIdError::BirthDate)?;
        if birth > today {
            return Err(ResidentIdError::FutureBirthDate.into());
        }
        if today.years_since(birth).unwrap_or(0) > MAX_AGE_YEARS {
            return Err(ResidentIdError::TooOld.into());
        }
        let expected = check_char(&s[..17]).ok_or(ResidentIdError::Characters)?;
        let actual = char::from(bytes[17].to_ascii_uppercase());
        if expected != actual {
            return Err(ResidentIdError::Checksum.into());
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    /// Builds a valid ID from its parts; `seq3` is taken modulo 1000 and its parity decides the
    /// gender (odd male, even female).
    ///
    /// Fails with [`ResidentIdError::Region`] when `region6` is not six digits starting with a
    /// real province code, and [`ResidentIdError::BirthDate`] when the year is not four digits.
    pub fn compose(region6: &str, birth: NaiveDate, seq3: u16) -> Result<Self, DomainError> {
        if !is_plausible_region6(region6) {
            return Err(ResidentIdError::Region.into());
        }
        if !(1000..=9999).contains(&birth.year()) {
            return Err(ResidentIdError::BirthDate.into());
        }
        let first17 = format!(
            "{region6}{:04}{:02}{:02}{:03}",
            birth.year(),
            birth.month(),
            birth.day(),
            seq3 % 1000
        );
        let check = check_char(&first17).ok_or(ResidentIdError::Characters)?;
        let mut s = first17;
        s.push(check);
        Ok(Self(s))
    }

    /// The full 18-character number. Show it only to its holder.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date encoded in characters 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        // Validated on construction.
        birth_date_of(&self.0[6..14]).unwrap_or_default()
    }

    /// Gender from the 17th digit: odd male, even female.
    pub fn gender(&self) -> Gender {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }

    /// The 6-digit region of issue.
    pub fn region6(&self) -> &str {
        &self.0[..6]
    }

    /// The 3-digit sequence number (digits 15–17).
    pub fn sequence(&self) -> u16 {
        self.0[14..17].parse().unwrap_or(0)
    }

    /// Masked form for display and for storing in clear: first 3, eleven `*`, last 4
    /// (`110***********123X`). Only the province and the first prefecture digit stay, so the
    /// mask together with the birth year (the most shown or stored in clear beside it) still
    /// leaves the prefecture, county and birthday unknown — thousands of candidates, not one.
    /// Masking only the birth date (`110105********123X`) gave the whole number back to
    /// anyone who also saw the birth date.
    pub fn masked(&self) -> String {
        format!("{}***********{}", &self.0[..3], &self.0[14..])
    }

    /// The birth year (characters 7–10), the part of the birth date that may be shown or
    /// stored in clear.
    pub fn birth_year(&self) -> i32 {
        self.birth_date().year()
    }

    /// Age in whole years on `today` (0 if `today` is before the birth date).
    pub fn age_on(&self, today: NaiveDate) -> u32 {
        today.years_since(self.birth_date()).unwrap_or(0)
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentId").field(&self.masked()).finish()
    }
}

/// Six ASCII digits whose first two are a real province code.
fn is_plausible_region6(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) && is_province_code(&s[..2])
}

/// `YYYYMMDD` (8 ASCII digits) to a date.
fn birth_date_of(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = s[..4].parse().ok()?;
    let m: u32 = s[4..6].parse().ok()?;
    let d: u32 = s[6..8].parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
    }

    fn reason(input: &str) -> ResidentIdError {
        match ResidentId::parse(input, today()) {
            Err(DomainError::ResidentId(r)) => r,
            other => panic!("expected a resident ID error for {input:?}, got {other:?}"),
        }
    }

    #[test]
    fn check_char_of_known_ids() {
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert_eq!(check_char("44052418800101001"), Some('4'));
        assert_eq!(check_char("1101051949123100"), None);
        assert_eq!(check_char("110105194912310021"), None);
        assert_eq!(check_char("1101051949123100a"), None);
        assert_eq!(check_char("１１010519491231002"), None);
    }

    #[test]
    fn parses_known_valid_ids() {
        let id = ResidentId::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.region6(), "110105");
        assert_eq!(id.sequence(), 2);
        assert_eq!(id.masked(), "110***********002X");
        assert_eq!(id.birth_year(), 1949);
        assert_eq!(id.age_on(today()), 75);

        let id = ResidentId::parse("440524188001010014", today()).unwrap();
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1880, 1, 1).unwrap());
        assert_eq!(id.gender(), Gender::Male);
        assert_eq!(id.region6(), "440524");
        assert_eq!(id.masked(), "440***********0014");
    }

    #[test]
    fn old_id_is_too_old_later() {
        // Born 1880: fine in 2025 (145 years), too old in 2031.
        let later = NaiveDate::from_ymd_opt(2031, 1, 1).unwrap();
        assert_eq!(
            ResidentId::parse("440524188001010014", later),
            Err(ResidentIdError::TooOld.into())
        );
        // Exactly 150 is still accepted.
        let at150 = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        assert!(ResidentId::parse("440524188001010014", at150).is_ok());
    }

    #[test]
    fn accepts_lower_case_x_and_whitespace() {
        let id = ResidentId::parse("  11010519491231002x\n", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id, ResidentId::parse("11010519491231002X", today()).unwrap());
    }

    #[test]
    fn debug_is_masked() {
        let id = ResidentId::parse("11010519491231002X", today()).unwrap();
        let dbg = format!("{id:?}");
        assert_eq!(dbg, "ResidentId(\"110***********002X\")");
        assert!(!dbg.contains("19491231"));
        let dbg = format!("{:?}", Some(&id));
        assert!(!dbg.contains("19491231"));
    }

    #[test]
    fn rejects_wrong_length() {
        assert_eq!(reason(""), ResidentIdError::Length);
        assert_eq!(reason("110105491231002"), ResidentIdError::Length);
        assert_eq!(reason("11010519491231002X1"), ResidentIdError::Length);
        assert_eq!(reason("11010519491231002"), ResidentIdError::Length);
    }

    #[test]
    fn rejects_bad_characters() {
        assert_eq!(reason("1101051949123100XX"), ResidentIdError::Characters);
        assert_eq!(reason("11010519491231002Y"), ResidentIdError::Characters);
        assert_eq!(reason("11010519491231 02X"), ResidentIdError::Characters);
        assert_eq!(reason("１1010519491231002X"), ResidentIdError::Characters);
        assert_eq!(reason("11010519491231002é"), ResidentIdError::Characters);
    }

    #[test]
    fn rejects_implausible_region() {
        for region in [
            "000000", "100105", "160105", "240105", "380105", "900105", "990105",
        ] {
            let first17 = format!("{region}19491231002");
            let full = format!("{first17}{}", check_char(&first17).unwrap());
            assert_eq!(reason(&full), ResidentIdError::Region, "{full}");
        }
    }

    #[test]
    fn rejects_impossible_dates() {
        for date in ["19490231", "19491301", "19490001", "19490100", "19000229"] {
            let first17 = format!("110105{date}002");
            let full = format!("{first17}{}", check_char(&first17).unwrap());
            assert_eq!(reason(&full), ResidentIdError::BirthDate, "{full}");
        }
        // 2000 was a leap year.
        let first17 = "11010520000229002";
        let full = format!("{first17}{}", check_char(first17).unwrap());
        assert!(ResidentId::parse(&full, today()).is_ok());
    }

    #[test]
    fn rejects_future_birth_dates() {
        let first17 = "11010520250602002";
        let full = format!("{first17}{}", check_char(first17).unwrap());
        assert_eq!(reason(&full), ResidentIdError::FutureBirthDate);
        // Born today is fine.
        let first17 = "11010520250601002";
        let full = format!("{first17}{}", check_char(first17).unwrap());
        assert!(ResidentId::parse(&full, today()).is_ok());
    }

    #[test]
    fn rejects_wrong_checksum_with_chinese_message() {
        let err = ResidentId::parse("110105194912310021", today()).unwrap_err();
        assert_eq!(err, DomainError::ResidentId(ResidentIdError::Checksum));
        assert_eq!(err.to_string(), "身份证号码校验位错误");
        assert_eq!(err.code(), "resident_id_invalid");
    }

    #[test]
    fn compose_builds_valid_ids() {
        let birth = NaiveDate::from_ymd_opt(1949, 12, 31).unwrap();
        let id = ResidentId::compose("110105", birth, 2).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        let id = ResidentId::compose("440524", NaiveDate::from_ymd_opt(1880, 1, 1).unwrap(), 1).unwrap();
        assert_eq!(id.as_str(), "440524188001010014");
        assert_eq!(ResidentId::compose("110105", birth, 1001).unwrap().sequence(), 1);
    }

    #[test]
    fn compose_rejects_bad_parts() {
        let birth = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
        for region in ["", "11010", "1101050", "99xxxx", "000000", "aaaaaa"] {
            assert_eq!(
                ResidentId::compose(region, birth, 1),
                Err(ResidentIdError::Region.into())
            );
        }
        let ancient = NaiveDate::from_ymd_opt(999, 1, 1).unwrap();
        assert_eq!(
            ResidentId::compose("110105", ancient, 1),
            Err(ResidentIdError::BirthDate.into())
        );
    }

    fn province() -> impl Strategy<Value = &'static str> {
        prop::sample::select(crate::network::PROVINCE_CODES)
    }

    fn birth() -> impl Strategy<Value = NaiveDate> {
        // 1876-01-01 ..= 2025-06-01, all within 150 years of `today()`.
        let lo = NaiveDate::from_ymd_opt(1876, 1, 1).unwrap();
        let days = (today() - lo).num_days();
        (0..=days).prop_map(move |d| lo + chrono::Duration::days(d))
    }

    proptest! {
        #[test]
        fn compose_then_parse_round_trips(
            prov in province(), rest in 0u32..10_000, birth in birth(), seq in 0u16..1000,
        ) {
            let region6 = format!("{prov}{rest:04}");
            let id = ResidentId::compose(&region6, birth, seq).unwrap();
            let parsed = ResidentId::parse(id.as_str(), today()).unwrap();
            prop_assert_eq!(&parsed, &id);
            prop_assert_eq!(parsed.birth_date(), birth);
            prop_assert_eq!(parsed.region6(), region6.as_str());
            prop_assert_eq!(parsed.sequence(), seq);
            let gender = if seq % 2 == 1 { Gender::Male } else { Gender::Female };
            prop_assert_eq!(parsed.gender(), gender);
            let lower = id.as_str().to_ascii_lowercase();
            prop_assert_eq!(ResidentId::parse(&lower, today()).unwrap(), id);
        }

        #[test]
        fn masking_never_reveals_the_middle(
            prov in province(), rest in 0u32..10_000, birth in birth(), seq in 0u16..1000,
        ) {
            let id = ResidentId::compose(&format!("{prov}{rest:04}"), birth, seq).unwrap();
            let masked = id.masked();
            prop_assert_eq!(masked.len(), 18);
            prop_assert_eq!(&masked[..3], &id.as_str()[..3]);
            prop_assert_eq!(&masked[3..14], "***********");
            prop_assert_eq!(&masked[14..], &id.as_str()[14..]);
            // exactly 3 + 4 characters of the number are shown
            prop_assert_eq!(masked.chars().filter(|c| *c != '*').count(), 7);
            let dbg = format!("{id:?}");
            prop_assert!(!dbg.contains(&id.as_str()[6..14]));
            prop_assert_eq!(dbg, format!("ResidentId({masked:?})"));
        }

        #[test]
        fn any_single_digit_change_is_rejected(
            prov in province(), rest in 0u32..10_000, birth in birth(), seq in 0u16..1000,
            pos in 0usize..18, delta in 1u8..10,
        ) {
            let id = ResidentId::compose(&format!("{prov}{rest:04}"), birth, seq).unwrap();
            let mut bytes = id.as_str().as_bytes().to_vec();
            if bytes[pos] == b'X' {
                bytes[pos] = b'0' + delta;
            } else {
                bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            }
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(ResidentId::parse(&changed, today()).is_err(), "{}", changed);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = ResidentId::parse(&s, today());
        }
    }
}
