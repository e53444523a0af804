//! Basic personal attributes: gender and name.

pub mod availability;
pub mod resident_id;
pub mod volunteer_no;

use std::fmt;

use crate::error::DomainError;

/// Gender as recorded on the resident ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    /// `"male"` or `"female"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
        }
    }

    /// Reads `male`/`female` (any case, trimmed) or the Chinese `男`/`女`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("male") || s == "男" {
            Some(Self::Male)
        } else if s.eq_ignore_ascii_case("female") || s == "女" {
            Some(Self::Female)
        } else {
            None
        }
    }

    /// `"男"` or `"女"`.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Male => "男",
            Self::Female => "女",
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person's name: 2 to 30 characters of letters in any script, with the middle dots `·` `•`
/// and single spaces allowed between letters (for transliterated foreign and minority names).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

const MIN_NAME_CHARS: usize = 2;
const MAX_NAME_CHARS: usize = 30;

/// A name as shown in public without its owner's consent: the first and last characters with
/// the middle starred (王*明, 欧阳**锋), a two-character name with its second starred (王*).
pub fn masked_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_owned(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

#[cfg(test)]
mod masked_name_tests {
    use super::masked_name;

    #[test]
    fn keeps_the_first_and_last_characters() {
        assert_eq!(masked_name("王小明"), "王*明");
        assert_eq!(masked_name("王明"), "王*");
        assert_eq!(masked_name("欧阳小锋"), "欧**锋");
        assert_eq!(masked_name("买买提·艾力"), "买****力");
    }
}

impl PersonName {
    /// Trims and validates a name.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let s = input.trim();
        let count = s.chars().count();
        if !(MIN_NAME_CHARS..=MAX_NAME_CHARS).contains(&count) {
            return Err(DomainError::Name);
        }
        // Separators (dots, spaces) only between letters, never two in a row.
        let mut prev_is_letter = false;
        for c in s.chars() {
            let is_letter = c.is_alphabetic() && !c.is_numeric();
            let is_separator = matches!(c, '·' | '•' | ' ');
            if is_letter {
                prev_is_letter = true;
            } else if is_separator && prev_is_letter {
                prev_is_letter = false;
            } else {
                return Err(DomainError::Name);
            }
        }
        if !prev_is_letter {
            return Err(DomainError::Name);
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as entered (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonName {
    type Error = DomainError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PersonName> for String {
    fn from(n: PersonName) -> String {
        n.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn gender_round_trips() {
        for g in [Gender::Male, Gender::Female] {
            assert_eq!(Gender::parse(g.as_str()), Some(g));
            assert_eq!(Gender::parse(g.label_zh()), Some(g));
            assert_eq!(g.to_string(), g.as_str());
            let json = serde_json::to_string(&g).unwrap();
            assert_eq!(json, format!("\"{}\"", g.as_str()));
            assert_eq!(serde_json::from_str::<Gender>(&json).unwrap(), g);
        }
        assert_eq!(Gender::parse(" Male "), Some(Gender::Male));
        assert_eq!(Gender::parse("unknown"), None);
        assert_eq!(Gender::parse(""), None);
        assert_eq!(Gender::Male.label_zh(), "男");
        assert_eq!(Gender::Female.label_zh(), "女");
    }

    #[test]
    fn accepts_real_names() {
        for name in [
            "王芳",
            "欧阳娜娜",
            "司马相如",
            "阿依古丽·买买提",
            "爱新觉罗•溥仪",
            "John Smith",
            "Jean Paul Sartre",
            "María José",
            "Иван Петров",
            "김민수",
            "田中さくら",
        ] {
            assert_eq!(PersonName::parse(name).unwrap().as_str(), name, "{name}");
        }
        assert_eq!(PersonName::parse("  李雷 \n").unwrap().as_str(), "李雷");
    }

    #[test]
    fn rejects_bad_names() {
        for name in [
            "",
            "王",
            " 王 ",
            "王2",
            "张三3",
            "王  芳",
            "王·",
            "·王芳",
            "王··芳",
            "王· 芳",
            "王芳!",
            "O'Brien",
            "Anne-Marie",
            "王\t芳",
            "王_芳",
            "王芳😀",
            "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一",
        ] {
            assert_eq!(PersonName::parse(name), Err(DomainError::Name), "{name:?}");
        }
        // Exactly 30 characters is fine.
        let thirty = "王".repeat(30);
        assert!(PersonName::parse(&thirty).is_ok());
    }

    #[test]
    fn name_serde() {
        let n = PersonName::parse("王芳").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"王芳\"");
        assert_eq!(serde_json::from_str::<PersonName>("\"王芳\"").unwrap(), n);
        assert!(serde_json::from_str::<PersonName>("\"王1\"").is_err());
        assert_eq!(n.to_string(), "王芳");
        assert_eq!(String::from(n), "王芳");
    }

    proptest! {
        #[test]
        fn chinese_names_accepted(s in "[\u{4e00}-\u{9fa5}]{2,30}") {
            let n = PersonName::parse(&s).unwrap();
            prop_assert_eq!(n.as_str(), s.as_str());
        }

        #[test]
        fn names_with_digits_rejected(a in "[\u{4e00}-\u{9fa5}]{1,10}", d in "[0-9]", b in "[\u{4e00}-\u{9fa5}]{0,10}") {
            let s = format!("{a}{d}{b}");
            prop_assert!(PersonName::parse(&s).is_err());
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            if let Ok(n) = PersonName::parse(&s) {
                prop_assert!(!n.as_str().chars().any(|c| c.is_ascii_digit()));
            }
        }
    }
}
