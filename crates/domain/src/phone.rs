//! Mainland China mobile phone numbers.

use std::fmt;

use crate::error::DomainError;

/// An 11-digit mainland mobile number `1[3-9]xxxxxxxxx`, stored without country code or
/// separators.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Strips spaces (including the ideographic space) and hyphens and an optional leading
    /// `+86`, `0086` or `86`, then requires `1[3-9]` followed by nine digits.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let compact: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{3000}' | '\t' | '-' | '－'))
            .collect();
        let digits = if let Some(rest) = compact.strip_prefix("+86") {
            rest
        } else if let Some(rest) = compact.strip_prefix("0086") {
            rest
        } else if compact.len() == 13 && compact.starts_with("86") {
            &compact[2..]
        } else {
            &compact
        };
        let b = digits.as_bytes();
        if b.len() != 11
            || !b.iter().all(u8::is_ascii_digit)
            || b[0] != b'1'
            || !(b'3'..=b'9').contains(&b[1])
        {
            return Err(DomainError::Phone);
        }
        Ok(Self(digits.to_owned()))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Masked for display: `138****1234`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl TryFrom<String> for Phone {
    type Error = DomainError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_plain_and_decorated_numbers() {
        for input in [
            "13812341234",
            " 138 1234 1234 ",
            "138-1234-1234",
            "+8613812341234",
            "+86 138 1234 1234",
            "008613812341234",
            "8613812341234",
            "86-138-1234-1234",
            "138\u{3000}1234\u{3000}1234",
        ] {
            assert_eq!(Phone::parse(input).unwrap().as_str(), "13812341234", "{input:?}");
        }
        for prefix in ["13", "14", "15", "16", "17", "18", "19"] {
            assert!(Phone::parse(&format!("{prefix}000000000")).is_ok());
        }
    }

    #[test]
    fn rejects_invalid_numbers() {
        for input in [
            "",
            "1381234123",
            "138123412345",
            "12812341234",
            "10812341234",
            "23812341234",
            "1381234123a",
            "(010)12345678",
            "010-12345678",
            "+8513812341234",
            "+86+8613812341234",
            "１3812341234",
        ] {
            assert_eq!(Phone::parse(input), Err(DomainError::Phone), "{input:?}");
        }
    }

    #[test]
    fn masks_the_middle() {
        let p = Phone::parse("13812341234").unwrap();
        assert_eq!(p.masked(), "138****1234");
        assert_eq!(p.to_string(), "13812341234");
    }

    #[test]
    fn serde_as_string() {
        let p = Phone::parse("13812341234").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"13812341234\"");
        assert_eq!(serde_json::from_str::<Phone>("\"+86 138-1234-1234\"").unwrap(), p);
        assert!(serde_json::from_str::<Phone>("\"12345\"").is_err());
    }

    proptest! {
        #[test]
        fn valid_numbers_round_trip(s in "1[3-9][0-9]{9}") {
            let p = Phone::parse(&s).unwrap();
            prop_assert_eq!(p.as_str(), s.as_str());
            prop_assert_eq!(Phone::parse(&format!("+86 {s}")).unwrap(), p.clone());
            let m = p.masked();
            prop_assert_eq!(&m[..3], &s[..3]);
            prop_assert_eq!(&m[3..7], "****");
            prop_assert_eq!(&m[7..], &s[7..]);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}") {
            let _ = Phone::parse(&s);
        }
    }
}
