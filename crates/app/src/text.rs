//! Free text from users, checked once into what may be stored: trimmed, within its length,
//! without control characters (line breaks only where the text is prose), and — for names,
//! which end up in PDFs, exports and headings — without `<` or `>`. Every problem is a
//! `text_invalid` beside its field, in Chinese; the value is returned trimmed either way so a
//! form can be shown again with what was typed.

use crate::error::FieldError;

/// What a text field accepts.
#[derive(Clone, Copy, Debug)]
struct Rule {
    max: usize,
    required: bool,
    /// Line breaks and tabs are fine (a report, a note); otherwise one line.
    prose: bool,
    /// `<` and `>` are refused (names).
    no_markup: bool,
}

fn check(field: &'static str, label: &str, value: &str, rule: Rule, errs: &mut Vec<FieldError>) -> String {
    let v = value.trim();
    let problem = if v.is_empty() && rule.required {
        Some(format!("{label}不能为空，且不超过{}个字", rule.max))
    } else if v.chars().count() > rule.max {
        Some(if rule.required {
            format!("{label}不能为空，且不超过{}个字", rule.max)
        } else {
            format!("{label}不超过{}个字", rule.max)
        })
    } else if v
        .chars()
        .any(|c| c.is_control() && !(rule.prose && matches!(c, '\n' | '\r' | '\t')))
    {
        Some(if rule.prose {
            format!("{label}不能包含控制字符")
        } else {
            format!("{label}只能写一行，不能包含换行或控制字符")
        })
    } else if rule.no_markup && v.contains(['<', '>']) {
        Some(format!("{label}不能包含 < 或 >"))
    } else {
        None
    };
    if let Some(message) = problem {
        errs.push(FieldError::new(field, "text_invalid", message));
    }
    v.to_owned()
}

/// A required one-line text of at most `max` characters.
pub(crate) fn text(
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
    errs: &mut Vec<FieldError>,
) -> String {
    let rule = Rule {
        max,
        required: true,
        prose: false,
        no_markup: false,
    };
    check(field, label, value, rule, errs)
}

/// A required name (of a site, an organization, a project, an activity, a person).
pub(crate) fn name_text(
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
    errs: &mut Vec<FieldError>,
) -> String {
    let rule = Rule {
        max,
        required: true,
        prose: false,
        no_markup: true,
    };
    check(field, label, value, rule, errs)
}

/// An optional name (empty is fine).
pub(crate) fn optional_name(
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
    errs: &mut Vec<FieldError>,
) -> String {
    let rule = Rule {
        max,
        required: false,
        prose: false,
        no_markup: true,
    };
    check(field, label, value, rule, errs)
}

/// A required longer text (a service report): line breaks are fine.
pub(crate) fn prose(
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
    errs: &mut Vec<FieldError>,
) -> String {
    let rule = Rule {
        max,
        required: true,
        prose: true,
        no_markup: false,
    };
    check(field, label, value, rule, errs)
}

/// An optional longer text (a description, a note, a comment): line breaks are fine.
pub(crate) fn optional_prose(
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
    errs: &mut Vec<FieldError>,
) -> String {
    let rule = Rule {
        max,
        required: false,
        prose: true,
        no_markup: false,
    };
    check(field, label, value, rule, errs)
}

/// An optional contact telephone in free form (a landline with area code and extension is
/// fine): at most 30 characters of digits, spaces and `+ - ( ) #` or "转".
pub(crate) fn optional_contact_phone(field: &'static str, value: &str, errs: &mut Vec<FieldError>) -> String {
    // a Chinese keyboard may type full-width digits and signs (０１０－６５…): read them as ASCII
    let folded: String = value
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' | '＋' | '－' | '（' | '）' | '＃' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            '　' => ' ',
            c => c,
        })
        .collect();
    let v = folded.as_str();
    let ok = v.chars().count() <= 30
        && v.chars().all(|c| c.is_ascii_digit() || " +-()#转".contains(c))
        && (v.is_empty() || v.chars().any(|c| c.is_ascii_digit()));
    if !ok {
        errs.push(FieldError::new(
            field,
            "text_invalid",
            "联系电话只能包含数字、空格和 + - ( ) # 转，不超过30个字符",
        ));
    }
    v.to_owned()
}

/// Checks one optional note on its own (a sign-up or join note), as a single field error.
pub(crate) fn note(
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
) -> Result<String, crate::AppError> {
    let mut errs = Vec::new();
    let v = optional_prose(field, label, value, max, &mut errs);
    if errs.is_empty() {
        Ok(v)
    } else {
        Err(crate::AppError::Invalid(errs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(f: impl Fn(&mut Vec<FieldError>) -> String) -> (String, Vec<String>) {
        let mut errs = Vec::new();
        let v = f(&mut errs);
        (v, errs.into_iter().map(|e| e.message).collect())
    }

    #[test]
    fn a_contact_phone_typed_in_full_width_is_read_as_ascii() {
        let (v, e) = one(|e| optional_contact_phone("p", "０１０－６５００１２３４", e));
        assert_eq!((v.as_str(), e.len()), ("010-65001234", 0));
        let (v, e) = one(|e| optional_contact_phone("p", "（010）6500　1234转８", e));
        assert_eq!((v.as_str(), e.len()), ("(010)6500 1234转8", 0));
        assert_eq!(one(|e| optional_contact_phone("p", "请拨打总机", e)).1.len(), 1);
    }

    #[test]
    fn names_refuse_markup_and_line_breaks_and_keep_what_was_typed() {
        let (v, e) = one(|e| name_text("name", "名称", "  <b>队</b> ", 20, e));
        assert_eq!(v, "<b>队</b>");
        assert_eq!(e, ["名称不能包含 < 或 >"]);
        let (_, e) = one(|e| name_text("name", "名称", "一\n二", 20, e));
        assert_eq!(e, ["名称只能写一行，不能包含换行或控制字符"]);
        let (_, e) = one(|e| name_text("name", "名称", " ", 20, e));
        assert_eq!(e, ["名称不能为空，且不超过20个字"]);
        assert!(one(|e| optional_name("c", "联系人", "", 20, e)).1.is_empty());
    }

    #[test]
    fn prose_takes_line_breaks_but_not_other_controls_or_too_much() {
        assert!(one(|e| prose("r", "服务情况", "第一行\n第二行\t完", 100, e))
            .1
            .is_empty());
        let (_, e) = one(|e| prose("r", "服务情况", "坏\u{7}", 100, e));
        assert_eq!(e, ["服务情况不能包含控制字符"]);
        let (_, e) = one(|e| optional_prose("n", "备注", &"字".repeat(201), 200, e));
        assert_eq!(e, ["备注不超过200个字"]);
        assert!(one(|e| optional_prose("n", "备注", &"字".repeat(200), 200, e))
            .1
            .is_empty());
        assert!(
            note("note", "报名备注", "<想参加>", 200).is_ok(),
            "prose may hold < >"
        );
        assert!(note("note", "报名备注", "\u{0}", 200).is_err());
    }
}
