//! Cells as offices type them: the spaces, full-width characters, dates, hours and numbers of
//! hand-made spreadsheets, read into the platform's values or refused with a Chinese reason.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

use super::CellError;
use crate::people::resident_id::ResidentId;
use crate::people::{Gender, PersonName};
use crate::phone::Phone;

/// One cell as a reader found it (a workbook's typed cell, or a CSV field as text).
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    Empty,
    Text(String),
    /// A number cell (Excel keeps 15 significant digits).
    Number(f64),
    /// A cell formatted as a date or a date and time.
    Date(NaiveDateTime),
    Bool(bool),
    /// An error value such as `#REF!` or `#N/A`.
    Error(String),
}

impl Raw {
    /// The cell as the office sees it, for the preview and the error workbook.
    pub fn shown(&self) -> String {
        match self {
            Raw::Empty => String::new(),
            Raw::Text(s) | Raw::Error(s) => s.clone(),
            Raw::Number(f) => number_text(*f),
            Raw::Date(d) if d.time() == chrono::NaiveTime::MIN => d.date().format("%Y-%m-%d").to_string(),
            Raw::Date(d) => d.format("%Y-%m-%d %H:%M").to_string(),
            Raw::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        }
    }

    /// Whether the cell holds nothing (blank, or only spaces of any width).
    pub fn is_blank(&self) -> bool {
        match self {
            Raw::Empty => true,
            Raw::Text(s) => clean(s).is_empty(),
            _ => false,
        }
    }

    /// The cell's text, cleaned (see [`clean`]).
    pub fn text(&self) -> String {
        clean(&self.shown())
    }
}

/// A number as Excel shows it in a General cell: integers without a decimal point, and at
/// most 15 significant digits (all Excel keeps: 110105199003070017 is 110105199003070000).
fn number_text(f: f64) -> String {
    if f.fract() != 0.0 || f.abs() >= 1e21 {
        return format!("{f}");
    }
    if f.abs() < 1e15 {
        return format!("{f:.0}");
    }
    let sci = format!("{:.14e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let width = exp.parse::<usize>().unwrap_or(0) + 1;
    let sign = if f < 0.0 { "-" } else { "" };
    format!("{sign}{digits:0<width$}")
}

fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | '\r' | '\u{a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}')
}

/// A full-width letter, digit or sign (`１`, `Ｘ`, `－`) as its ASCII form.
fn half_width(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        _ => c,
    }
}

/// Text as typed, made plain: full-width letters, digits and signs become ASCII, every kind of
/// space (non-breaking, ideographic, tab, line break) one space, invisible characters go, and
/// the ends are trimmed.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if is_invisible(c) {
            continue;
        }
        if is_space(c) {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(half_width(c));
    }
    out
}

/// [`clean`] without any space at all (numbers, codes, Chinese names).
pub fn compact(s: &str) -> String {
    clean(s).chars().filter(|&c| c != ' ').collect()
}

/// A person's name: spaces typed to line up a Chinese name (`张  三`) go; a name in Latin
/// letters keeps single spaces between its words; the middle dot of minority and foreign names
/// is written one way.
pub fn name(raw: &Raw) -> Result<PersonName, CellError> {
    let text: String = raw
        .text()
        .chars()
        .map(|c| {
            if matches!(c, '・' | '･' | '•' | '‧') {
                '·'
            } else {
                c
            }
        })
        .collect();
    let text = if text.chars().any(|c| c.is_ascii_alphabetic()) {
        text
    } else {
        text.replace(' ', "")
    };
    if text.is_empty() {
        return Err(CellError::required());
    }
    PersonName::parse(&text).map_err(CellError::from)
}

/// A resident ID. A number cell has lost its last digits already (Excel keeps 15 significant
/// digits): refused with how to fix the sheet, never guessed.
pub fn resident_id(raw: &Raw, today: NaiveDate) -> Result<ResidentId, CellError> {
    let text = match raw {
        Raw::Number(f) if f.abs() >= 1e14 => return Err(CellError::id_as_number(&number_text(*f))),
        _ => compact(&raw.shown()).to_ascii_uppercase(),
    };
    if text.is_empty() {
        return Err(CellError::required());
    }
    // a CSV saved from Excel after the column became a number: 1.10101E+17
    if text.contains("E+")
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'E' | '+'))
    {
        return Err(CellError::id_as_number(&text));
    }
    ResidentId::parse(&text, today).map_err(|e| {
        let lost = text.len() == 18 && text.ends_with("000") && text.bytes().all(|b| b.is_ascii_digit());
        match (e, lost) {
            (crate::DomainError::ResidentId(crate::error::ResidentIdError::Checksum), true) => CellError::new(
                "resident_id_digits_lost",
                "身份证号码校验位错误，且末尾为 000：多半是 Excel 把它当作数字保存时丢失了末几位。请把该列设置为“文本”格式，重新填写完整的身份证号码后再导入",
            ),
            (e, _) => CellError::from(e),
        }
    })
}

/// A mainland mobile number, in any of the ways people write one (`+86 138-0013-8000`,
/// `(86)13800138000`, full-width digits, a number cell).
pub fn phone(raw: &Raw) -> Result<Phone, CellError> {
    let text = match raw {
        Raw::Number(f) if f.fract() == 0.0 => number_text(*f),
        _ => compact(&raw.shown()),
    };
    if text.is_empty() {
        return Err(CellError::required());
    }
    let text: String = text
        .chars()
        .filter(|c| !matches!(c, '(' | ')' | '.' | '—'))
        .collect();
    Phone::parse(&text).map_err(CellError::from)
}

/// 男/女 and the ways people write them.
pub fn gender(raw: &Raw) -> Result<Gender, CellError> {
    let text = compact(&raw.shown()).to_lowercase();
    match text.as_str() {
        "男" | "男性" | "m" | "male" => Ok(Gender::Male),
        "女" | "女性" | "f" | "female" => Ok(Gender::Female),
        _ => Err(CellError::new(
            "gender_invalid",
            format!("性别应填写“男”或“女”，而不是“{}”", raw.text()),
        )),
    }
}

/// A date as offices type it: a real Excel date, a serial number, `2023-05-01`, `2023.5.1`,
/// `2023/5/1`, `2023年5月1日`, `20230501`, with or without a time after it. With `month_only`
/// a year and month (`1990.03`, `1990年3月`) is read as the first of the month, and the second
/// value says the day was not given.
pub fn date(raw: &Raw, month_only: bool) -> Result<(NaiveDate, bool), CellError> {
    match raw {
        Raw::Date(d) => Ok((d.date(), true)),
        Raw::Number(f) if f.fract() == 0.0 && (10_000_000.0..100_000_000.0).contains(f) => {
            date_of_text(&number_text(*f), month_only)
        }
        Raw::Number(f) if (1.0..2_958_466.0).contains(f) => Ok((excel_serial(*f), true)),
        Raw::Number(_) | Raw::Bool(_) | Raw::Error(_) => Err(unreadable_date(&raw.shown())),
        Raw::Empty => Err(CellError::required()),
        Raw::Text(s) => date_of_text(&clean(s), month_only),
    }
}

/// The day of an Excel serial number (1900 date system: day 1 is 1900-01-01, and Excel counts a
/// 29 February 1900 that never was, so from day 61 on one day fewer).
pub fn excel_serial(f: f64) -> NaiveDate {
    let days = f.floor() as i64;
    let base = NaiveDate::from_ymd_opt(1899, 12, 31).expect("a real date");
    if days < 61 {
        base + Duration::days(days)
    } else {
        base + Duration::days(days - 1)
    }
}

fn unreadable_date(text: &str) -> CellError {
    if text.is_empty() {
        return CellError::required();
    }
    CellError::new(
        "date_unreadable",
        format!("无法识别的日期“{text}”，请写成 2023-05-01、2023/5/1 或 2023年5月1日"),
    )
}

fn date_of_text(text: &str, month_only: bool) -> Result<(NaiveDate, bool), CellError> {
    let t = compact(text);
    if t.is_empty() {
        return Err(CellError::required());
    }
    // the date part: up to a time, if any (`2023-05-01 08:00`, `2023-05-01T08:00`)
    let day_part = clean(text)
        .split([' ', 'T'])
        .next()
        .unwrap_or_default()
        .trim_end_matches(['日', '号'])
        .to_owned();
    let parts: Vec<&str> = day_part
        .split(['-', '.', '/', '年', '月'])
        .filter(|p| !p.is_empty())
        .collect();
    let numbers: Option<Vec<u32>> = parts.iter().map(|p| p.parse::<u32>().ok()).collect();
    let (y, m, d) = match (numbers.as_deref(), parts.first()) {
        (Some([y, m, d]), _) => (*y, *m, Some(*d)),
        (Some([y, m]), _) if month_only => (*y, *m, None),
        (Some([n]), Some(p)) if p.len() == 8 => (n / 10_000, n / 100 % 100, Some(n % 100)),
        (Some([n]), Some(p)) if p.len() == 6 && month_only => (n / 100, n % 100, None),
        _ => return Err(unreadable_date(&clean(text))),
    };
    if !(1900..=2200).contains(&y) {
        return Err(unreadable_date(&clean(text)));
    }
    match NaiveDate::from_ymd_opt(y as i32, m, d.unwrap_or(1)) {
        Some(date) => Ok((date, d.is_some())),
        None => Err(CellError::new(
            "date_not_exist",
            match d {
                Some(d) => format!("日期不存在：{y}年{m}月{d}日"),
                None => format!("日期不存在：{y}年{m}月"),
            },
        )),
    }
}

/// Service time in minutes: a number of hours (`2`, `2.5`, a number cell), or hours and minutes
/// in words (`2小时`, `2h30m`, `2小时30分`, `90分钟`, `1:30`). With `minutes` a bare number
/// counts minutes (a column headed 时长（分钟）). Rounded to the minute; at least one minute.
pub fn minutes(raw: &Raw, minutes: bool) -> Result<u32, CellError> {
    let per = if minutes { 1.0 } else { 60.0 };
    let total = match raw {
        Raw::Number(f) => f * per,
        Raw::Empty => return Err(CellError::required()),
        Raw::Date(_) | Raw::Bool(_) | Raw::Error(_) => return Err(unreadable_time(&raw.shown())),
        Raw::Text(s) => {
            let t = compact(s).to_lowercase();
            if t.is_empty() {
                return Err(CellError::required());
            }
            match t.parse::<f64>() {
                Ok(f) => f * per,
                Err(_) => time_in_words(&t).ok_or_else(|| unreadable_time(&clean(s)))?,
            }
        }
    };
    if !total.is_finite() || total < 0.5 {
        return Err(CellError::new("minutes_invalid", "服务时长须大于 0"));
    }
    let m = total.round();
    if m > 1440.0 {
        return Err(CellError::new("minutes_invalid", "服务时长不能超过 24 小时"));
    }
    Ok(m as u32)
}

fn unreadable_time(text: &str) -> CellError {
    CellError::new(
        "minutes_unreadable",
        format!("无法识别的服务时长“{text}”，请写成小时数（如 2、2.5）或 2小时30分"),
    )
}

/// `2小时30分钟`, `2h30m`, `2时30分`, `90分钟`, `1.5h`, `1:30`: minutes, or `None`.
fn time_in_words(t: &str) -> Option<f64> {
    if let Some((h, m)) = t.split_once(':') {
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        return (m < 60).then_some(f64::from(h * 60 + m));
    }
    let mut total = 0.0;
    let mut number = String::new();
    let mut any = false;
    let mut rest = t;
    while !rest.is_empty() {
        let c = rest.chars().next()?;
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let units: [(&str, f64); 9] = [
            ("小时", 60.0),
            ("hours", 60.0),
            ("hour", 60.0),
            ("hrs", 60.0),
            ("hr", 60.0),
            ("分钟", 1.0),
            ("min", 1.0),
            ("时", 60.0),
            ("分", 1.0),
        ];
        let (unit, per) = units
            .iter()
            .find(|(u, _)| rest.starts_with(u))
            .map(|(u, p)| (u.len(), *p))
            .or(match c {
                'h' => Some((1, 60.0)),
                'm' => Some((1, 1.0)),
                _ => None,
            })?;
        let n: f64 = number.parse().ok()?;
        total += n * per;
        number.clear();
        any = true;
        rest = &rest[unit..];
    }
    if !number.is_empty() {
        // `2小时30`: the minutes of the hours before them
        total += number.parse::<f64>().ok()?;
    }
    any.then_some(total)
}

/// The birth date a resident ID gives, checked against a birth-date column: a month-only
/// column (`1990.03`) need only agree on the month.
pub fn agrees_with_birth(id: &ResidentId, birth: (NaiveDate, bool)) -> bool {
    let b = id.birth_date();
    if birth.1 {
        b == birth.0
    } else {
        (b.year(), b.month()) == (birth.0.year(), birth.0.month())
    }
}

#[cfg(test)]
mod tests;
