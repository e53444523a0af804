//! Public volunteer numbers (志愿者编号): county code + sequence + Luhn check digit. Never
//! derived from the resident ID.

use std::fmt;

use crate::error::DomainError;

const LEN: usize = 15;
const SEQ_MODULUS: u64 = 100_000_000;

/// 15 digits: the 6-digit county code, an 8-digit sequence and one Luhn check digit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VolunteerNo(String);

/// The Luhn check digit of an ASCII digit string (non-digits are ignored).
pub fn luhn_check_digit(payload: &str) -> u8 {
    let sum: u32 = payload
        .bytes()
        .filter(u8::is_ascii_digit)
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let dd = d * 2;
                if dd > 9 {
                    dd - 9
                } else {
                    dd
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl VolunteerNo {
    /// Builds the number for sequence `seq` in county `county6`. Never panics: `seq` is taken
    /// modulo 10⁸, and `county6` is reduced to its ASCII digits, cut or zero-padded to six.
    pub fn new(county6: &str, seq: u64) -> VolunteerNo {
        let mut county: String = county6
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(char::from)
            .take(6)
            .collect();
        while county.len() < 6 {
            county.push('0');
        }
        let payload = format!("{county}{:08}", seq % SEQ_MODULUS);
        let check = luhn_check_digit(&payload);
        Self(format!("{payload}{check}"))
    }

    /// Reads a number (surrounding whitespace ignored): 15 ASCII digits with a correct Luhn
    /// check digit.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = input.trim();
        if s.len() != LEN || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::VolunteerNo);
        }
        if luhn_check_digit(&s[..LEN - 1]) != s.as_bytes()[LEN - 1] - b'0' {
            return Err(DomainError::VolunteerNo);
        }
        Ok(Self(s.to_owned()))
    }

    /// The 15 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The county code it was issued in.
    pub fn county6(&self) -> &str {
        &self.0[..6]
    }

    /// The 8-digit sequence within the county.
    pub fn sequence(&self) -> u64 {
        self.0[6..14].parse().unwrap_or(0)
    }
}

impl TryFrom<String> for VolunteerNo {
    type Error = DomainError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<VolunteerNo> for String {
    fn from(v: VolunteerNo) -> String {
        v.0
    }
}

impl fmt::Display for VolunteerNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn luhn_known_values() {
        // Classic examples.
        assert_eq!(luhn_check_digit("7992739871"), 3);
        assert_eq!(luhn_check_digit("411111111111111"), 1);
        assert_eq!(luhn_check_digit(""), 0);
    }

    #[test]
    fn builds_and_parses() {
        let v = VolunteerNo::new("110105", 1);
        assert_eq!(v.as_str().len(), 15);
        assert_eq!(&v.as_str()[..14], "11010500000001");
        assert_eq!(v.county6(), "110105");
        assert_eq!(v.sequence(), 1);
        assert_eq!(VolunteerNo::parse(v.as_str()).unwrap(), v);
        assert_eq!(VolunteerNo::parse(&format!(" {v} ")).unwrap(), v);
        assert_eq!(v.to_string(), v.as_str());
    }

    #[test]
    fn new_never_panics() {
        assert_eq!(VolunteerNo::new("110105", 123_456_789).sequence(), 23_456_789);
        assert_eq!(VolunteerNo::new("110105", u64::MAX).as_str().len(), 15);
        assert_eq!(VolunteerNo::new("", 5).county6(), "000000");
        assert_eq!(VolunteerNo::new("11", 5).county6(), "110000");
        assert_eq!(VolunteerNo::new("11010599", 5).county6(), "110105");
        assert_eq!(VolunteerNo::new("北京110105", 5).county6(), "110105");
        for v in [VolunteerNo::new("", 0), VolunteerNo::new("abc", u64::MAX)] {
            assert!(VolunteerNo::parse(v.as_str()).is_ok());
        }
    }

    #[test]
    fn rejects_malformed() {
        let v = VolunteerNo::new("110105", 42);
        let mut wrong = v.as_str()[..14].to_string();
        wrong.push(char::from(b'0' + (v.as_str().as_bytes()[14] - b'0' + 1) % 10));
        for s in [
            "",
            "11010500000042",
            "1101050000004200",
            "11010500000004a",
            wrong.as_str(),
        ] {
            assert_eq!(VolunteerNo::parse(s), Err(DomainError::VolunteerNo), "{s:?}");
        }
        assert_eq!(DomainError::VolunteerNo.code(), "volunteer_no_invalid");
    }

    #[test]
    fn serde_as_string() {
        let v = VolunteerNo::new("110105", 7);
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, format!("\"{v}\""));
        assert_eq!(serde_json::from_str::<VolunteerNo>(&json).unwrap(), v);
        assert!(serde_json::from_str::<VolunteerNo>("\"11010500000007\"").is_err());
    }

    proptest! {
        #[test]
        fn new_then_parse_round_trips(county in "[0-9]{6}", seq in 0u64..100_000_000) {
            let v = VolunteerNo::new(&county, seq);
            prop_assert_eq!(v.county6(), county.as_str());
            prop_assert_eq!(v.sequence(), seq);
            prop_assert_eq!(VolunteerNo::parse(v.as_str()).unwrap(), v);
        }

        #[test]
        fn luhn_detects_every_single_digit_change(
            county in "[0-9]{6}", seq in 0u64..100_000_000, pos in 0usize..15, delta in 1u8..10,
        ) {
            let v = VolunteerNo::new(&county, seq);
            let mut bytes = v.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(VolunteerNo::parse(&changed), Err(DomainError::VolunteerNo));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = VolunteerNo::parse(&s);
        }
    }
}
