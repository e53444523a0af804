//! Service categories (服务类别) and free-text skills (技能).

use crate::error::DomainError;

/// A service category: stable English code and Chinese label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ServiceCategory {
    pub code: &'static str,
    pub label: &'static str,
}

const fn cat(code: &'static str, label: &'static str) -> ServiceCategory {
    ServiceCategory { code, label }
}

/// The menu of service categories, in display order.
pub const SERVICE_CATEGORIES: &[ServiceCategory] = &[
    cat("policy_outreach", "理论政策宣讲"),
    cat("education", "助学支教"),
    cat("medical", "医疗服务"),
    cat("legal", "法律服务"),
    cat("environment", "卫生环保"),
    cat("poverty_relief", "扶贫帮困"),
    cat("elderly_disabled", "敬老助残"),
    cat("counseling", "心理疏导"),
    cat("culture", "文化文艺"),
    cat("science", "科学普及"),
    cat("sports", "体育健身"),
    cat("public_safety", "平安建设"),
    cat("emergency", "应急救援"),
    cat("community", "社区治理"),
    cat("large_events", "大型活动"),
    cat("civilized_customs", "文明风尚"),
    cat("child_care", "关爱儿童"),
];

/// The category with this code.
pub fn category_by_code(code: &str) -> Option<&'static ServiceCategory> {
    SERVICE_CATEGORIES.iter().find(|c| c.code == code)
}

/// The category with this code or Chinese label (trimmed).
pub fn category_by_code_or_label(s: &str) -> Option<&'static ServiceCategory> {
    let s = s.trim();
    SERVICE_CATEGORIES.iter().find(|c| c.code == s || c.label == s)
}

/// Reads categories given by code or Chinese label; blank items are skipped, duplicates
/// dropped, order kept. An unknown item fails with [`DomainError::ServiceCategory`] naming it.
pub fn parse_categories(items: &[String]) -> Result<Vec<&'static ServiceCategory>, DomainError> {
    let mut out: Vec<&'static ServiceCategory> = Vec::new();
    for item in items {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let c =
            category_by_code_or_label(item).ok_or_else(|| DomainError::ServiceCategory(item.to_owned()))?;
        if !out.iter().any(|o| o.code == c.code) {
            out.push(c);
        }
    }
    Ok(out)
}

/// Most characters in one skill.
pub const MAX_SKILL_CHARS: usize = 20;
/// Most skills per person.
pub const MAX_SKILLS: usize = 20;

/// Splits free text into skills on `,` `，` `、` `;` `；` and whitespace; drops blanks and
/// duplicates (keeping order). Each skill has 1 to 20 characters and no control characters; at
/// most 20 skills.
pub fn parse_skills(input: &str) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::new();
    for raw in input.split(|c: char| matches!(c, ',' | '，' | '、' | ';' | '；') || c.is_whitespace()) {
        let skill = raw.trim();
        if skill.is_empty() || out.iter().any(|s| s == skill) {
            continue;
        }
        if skill.chars().any(char::is_control) {
            return Err(DomainError::Skills("技能中不能包含控制字符".into()));
        }
        if skill.chars().count() > MAX_SKILL_CHARS {
            return Err(DomainError::Skills(format!(
                "「{skill}」过长，每项技能最多 {MAX_SKILL_CHARS} 个字"
            )));
        }
        out.push(skill.to_owned());
        if out.len() > MAX_SKILLS {
            return Err(DomainError::Skills(format!("最多填写 {MAX_SKILLS} 项技能")));
        }
    }
    Ok(out)
}

/// Skills offered as suggestions on forms.
pub const SUGGESTED_SKILLS: &[&str] = &[
    "急救",
    "心理咨询",
    "法律咨询",
    "外语翻译",
    "手语",
    "摄影摄像",
    "驾驶",
    "计算机",
    "文艺表演",
    "书法",
    "医疗护理",
    "教学辅导",
    "维修",
    "烹饪",
    "理发",
    "健康讲座",
    "消防安全",
    "活动策划",
    "新媒体运营",
    "垃圾分类指导",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn categories_are_unique_and_complete() {
        let required = [
            ("policy_outreach", "理论政策宣讲"),
            ("education", "助学支教"),
            ("medical", "医疗服务"),
            ("legal", "法律服务"),
            ("environment", "卫生环保"),
            ("poverty_relief", "扶贫帮困"),
            ("elderly_disabled", "敬老助残"),
            ("counseling", "心理疏导"),
            ("culture", "文化文艺"),
            ("science", "科学普及"),
            ("sports", "体育健身"),
            ("public_safety", "平安建设"),
            ("emergency", "应急救援"),
            ("community", "社区治理"),
            ("large_events", "大型活动"),
        ];
        for (code, label) in required {
            assert_eq!(category_by_code(code).unwrap().label, label);
        }
        let mut codes: Vec<_> = SERVICE_CATEGORIES.iter().map(|c| c.code).collect();
        let mut labels: Vec<_> = SERVICE_CATEGORIES.iter().map(|c| c.label).collect();
        let n = codes.len();
        codes.sort();
        codes.dedup();
        labels.sort();
        labels.dedup();
        assert_eq!(codes.len(), n);
        assert_eq!(labels.len(), n);
        for c in SERVICE_CATEGORIES {
            assert!(c.code.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'));
        }
        assert_eq!(category_by_code("unknown"), None);
        assert_eq!(category_by_code("医疗服务"), None);
    }

    #[test]
    fn parses_codes_and_labels_in_order_without_duplicates() {
        let got = parse_categories(&strings(&["医疗服务", "legal", " medical ", "", "法律服务"])).unwrap();
        let codes: Vec<_> = got.iter().map(|c| c.code).collect();
        assert_eq!(codes, ["medical", "legal"]);
        assert!(parse_categories(&[]).unwrap().is_empty());
    }

    #[test]
    fn unknown_category_is_named() {
        let e = parse_categories(&strings(&["legal", "跳广场舞"])).unwrap_err();
        assert_eq!(e, DomainError::ServiceCategory("跳广场舞".into()));
        assert_eq!(e.code(), "service_category_invalid");
        assert_eq!(e.field(), Some("categories"));
        assert!(e.to_string().contains("跳广场舞"));
    }

    #[test]
    fn splits_skills() {
        assert_eq!(
            parse_skills("急救，手语、驾驶; 书法；计算机\n烹饪 理发,急救").unwrap(),
            strings(&["急救", "手语", "驾驶", "书法", "计算机", "烹饪", "理发"])
        );
        assert!(parse_skills("").unwrap().is_empty());
        assert!(parse_skills(" ,，、;；\n ").unwrap().is_empty());
        assert_eq!(parse_skills("  急救  ").unwrap(), strings(&["急救"]));
    }

    #[test]
    fn rejects_bad_skills() {
        let long = "急".repeat(21);
        let e = parse_skills(&format!("手语,{long}")).unwrap_err();
        assert_eq!(e.code(), "skills_invalid");
        assert!(e.to_string().contains("过长"));
        assert!(parse_skills(&"急".repeat(20)).is_ok());
        assert!(parse_skills("急\u{7}救").is_err());
        let many: Vec<String> = (0..21).map(|i| format!("技能{i}")).collect();
        assert!(parse_skills(&many.join(",")).is_err());
        assert_eq!(parse_skills(&many[..20].join(",")).unwrap().len(), 20);
        // Duplicates do not count towards the limit.
        let dup = format!("{},{}", many[..20].join(","), many[0]);
        assert_eq!(parse_skills(&dup).unwrap().len(), 20);
    }

    #[test]
    fn suggested_skills_are_valid() {
        assert!(SUGGESTED_SKILLS.len() >= 20);
        let joined = SUGGESTED_SKILLS.join("、");
        assert_eq!(parse_skills(&joined).unwrap(), strings(SUGGESTED_SKILLS));
    }

    proptest! {
        #[test]
        fn parsed_skills_are_clean(s in "\\PC{0,80}") {
            if let Ok(skills) = parse_skills(&s) {
                prop_assert!(skills.len() <= MAX_SKILLS);
                for (i, k) in skills.iter().enumerate() {
                    prop_assert!(!k.is_empty());
                    prop_assert!(k.chars().count() <= MAX_SKILL_CHARS);
                    prop_assert!(!k.chars().any(|c| c.is_whitespace() || c.is_control()));
                    prop_assert!(!skills[..i].contains(k));
                }
            }
        }

        #[test]
        fn any_subset_of_categories_parses(picks in prop::collection::vec(0usize..17, 0..10), labels in any::<bool>()) {
            let items: Vec<String> = picks
                .iter()
                .map(|&i| {
                    let c = &SERVICE_CATEGORIES[i % SERVICE_CATEGORIES.len()];
                    if labels { c.label } else { c.code }.to_string()
                })
                .collect();
            let got = parse_categories(&items).unwrap();
            let mut expected: Vec<&str> = Vec::new();
            for &i in &picks {
                let code = SERVICE_CATEGORIES[i % SERVICE_CATEGORIES.len()].code;
                if !expected.contains(&code) {
                    expected.push(code);
                }
            }
            prop_assert_eq!(got.iter().map(|c| c.code).collect::<Vec<_>>(), expected);
        }
    }
}
