//! Finding the header row of a sheet as offices make them — below merged title rows
//! ("2023年东城区学雷锋志愿服务队志愿者名册（第二批）"), over two rows ("联系方式" above "手机"
//! and "邮箱"), with notes in the labels ("手机号（非必填）", "服务时长（小时）") — and mapping
//! its columns to [`Field`]s.

use super::cells::{clean, compact, Raw};
use super::{Field, ImportKind};

/// How many rows from the top are searched for the header.
pub const SEARCH_ROWS: usize = 30;

/// One column of the sheet as found under the header.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    /// 0-based column index in the sheet.
    pub index: usize,
    /// The header as written in the column's own cell.
    pub label: String,
    /// The group label above it in a two-row header (联系方式 over 手机), or empty.
    pub group: String,
    pub field: Option<Field>,
    /// The header says the values are minutes (服务时长（分钟）), not hours.
    pub in_minutes: bool,
}

/// The header found: its rows and its columns.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    /// 0-based index of the header's first row (the label rows above data).
    pub first_row: usize,
    /// 0-based index of the first row below the header.
    pub data_row: usize,
    pub columns: Vec<Column>,
}

impl Column {
    /// The label with its group, as the preview shows it (联系方式/手机).
    pub fn shown(&self) -> String {
        if self.group.is_empty() {
            self.label.clone()
        } else {
            format!("{}/{}", self.group, self.label)
        }
    }
}

impl Header {
    /// The column mapped to `field`.
    pub fn column_of(&self, field: Field) -> Option<&Column> {
        self.columns.iter().find(|c| c.field == Some(field))
    }

    /// Columns with a header that map to nothing (listed in the preview).
    pub fn unmapped(&self) -> impl Iterator<Item = &Column> {
        self.columns
            .iter()
            .filter(|c| c.field.is_none() && !c.label.is_empty())
    }

    /// The required fields no column is mapped to (each as its alternatives).
    pub fn missing(&self, kind: ImportKind) -> Vec<&'static [Field]> {
        kind.required()
            .iter()
            .filter(|any| !any.iter().any(|f| self.column_of(*f).is_some()))
            .copied()
            .collect()
    }

    /// The header with columns mapped as the user chose (`(column index, field)`; `None`
    /// maps a column to nothing). A field given to two columns stays with the last.
    pub fn remapped(&self, choices: &[(usize, Option<Field>)]) -> Header {
        let mut out = self.clone();
        for &(index, field) in choices {
            if let Some(f) = field {
                for c in &mut out.columns {
                    if c.field == Some(f) {
                        c.field = None;
                    }
                }
            }
            if let Some(c) = out.columns.iter_mut().find(|c| c.index == index) {
                c.field = field;
            }
        }
        out
    }
}

/// A column's letters as Excel shows them: 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(index: usize) -> String {
    let mut out = Vec::new();
    let mut i = index;
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// A column by its letters (`C`, `aa`) or 1-based number (`3`): its 0-based index.
pub fn column_index(s: &str) -> Option<usize> {
    let s = s.trim();
    if let Ok(n) = s.parse::<usize>() {
        return n.checked_sub(1);
    }
    if s.is_empty() || s.len() > 3 || !s.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let n = s
        .to_ascii_uppercase()
        .bytes()
        .fold(0usize, |n, b| n * 26 + usize::from(b - b'A' + 1));
    Some(n - 1)
}

/// A header label reduced to what identifies it: no spaces, no notes in brackets
/// (`手机号（非必填）` → `手机号`), no marks of a required column (`*姓名`) or trailing colon.
pub fn label_key(label: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in compact(label).chars() {
        match c {
            '(' | '（' | '[' | '【' | '〔' => depth += 1,
            ')' | '）' | ']' | '】' | '〕' => depth = depth.saturating_sub(1),
            '*' | ':' | '：' | '★' if depth == 0 => {}
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The field a label means for `kind`, and whether it says minutes.
pub fn field_of(kind: ImportKind, label: &str) -> Option<(Field, bool)> {
    let key = label_key(label);
    if key.is_empty() {
        return None;
    }
    let field = kind
        .fields()
        .iter()
        .find(|(_, aliases)| aliases.contains(&key.as_str()))
        .map(|(f, _)| *f)
        .or_else(|| {
            // `服务时长(分钟)`, `时长（分）`: minutes, named in the note
            let minutes_key = key.trim_end_matches("分钟").trim_end_matches("小时");
            kind.fields()
                .iter()
                .find(|(_, aliases)| minutes_key != key && aliases.contains(&minutes_key))
                .map(|(f, _)| *f)
        })?;
    let text = compact(label);
    let in_minutes =
        field == Field::Hours && (text.contains("分钟") || text.contains("（分）") || text.contains("(分)"));
    Some((field, in_minutes))
}

/// Why no header was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// No row of the first [`SEARCH_ROWS`] names two known columns.
    NotFound,
}

impl HeaderError {
    pub fn message_zh(&self, kind: ImportKind) -> String {
        let examples: Vec<&str> = kind
            .fields()
            .iter()
            .take(3)
            .map(|(_, aliases)| aliases[0])
            .collect();
        format!(
            "找不到表头：前 {SEARCH_ROWS} 行中没有一行包含可识别的列名（如 {}）。请确认选择了正确的工作表和导入类型",
            examples.join("、")
        )
    }
}

/// A row's cells as labels, as typed (only trimmed; [`field_of`] reads them cleaned).
fn labels(row: &[Raw]) -> Vec<String> {
    row.iter()
        .map(|c| {
            let s = c.shown();
            if clean(&s).is_empty() {
                String::new()
            } else {
                s.trim().to_owned()
            }
        })
        .collect()
}

/// Distinct fields a row's labels map to, and how many of its labels map to nothing.
fn score(kind: ImportKind, row: &[String]) -> (usize, usize) {
    let mut found: Vec<Field> = Vec::new();
    let mut unknown = 0;
    for l in row {
        match field_of(kind, l) {
            Some((f, _)) if !found.contains(&f) => found.push(f),
            Some(_) => {}
            None if !l.is_empty() => unknown += 1,
            None => {}
        }
    }
    (found.len(), unknown)
}

/// Finds the header among the first rows: the row naming the most known columns (at least
/// two), joined with the row above it where that row labels a column the header row leaves
/// empty (a label merged over two rows), and with the row below it where that row names known
/// columns the header row does not (a group label such as 联系方式 over 手机 and 邮箱).
pub fn find(kind: ImportKind, rows: &[Vec<Raw>]) -> Result<Header, HeaderError> {
    let top: Vec<Vec<String>> = rows.iter().take(SEARCH_ROWS).map(|r| labels(r)).collect();
    let mut best: Option<(usize, usize)> = None;
    for (i, row) in top.iter().enumerate() {
        let (n, _) = score(kind, row);
        if n >= 2 && best.is_none_or(|(_, b)| n > b) {
            best = Some((i, n));
        }
    }
    let (at, _) = best.ok_or(HeaderError::NotFound)?;
    let main = &top[at];
    let empty = Vec::new();
    let below = top.get(at + 1).unwrap_or(&empty);
    let (below_known, below_unknown) = score(kind, below);
    let two_rows = below_known > 0 && below_unknown <= below_known;
    // a label merged down over two rows, the lower of which is the header: its text is above
    let above = match at.checked_sub(1) {
        Some(a) if !two_rows => &top[a],
        _ => &empty,
    };
    let width = main
        .len()
        .max(below.len().min(if two_rows { usize::MAX } else { 0 }));
    let mut columns = Vec::with_capacity(width);
    let mut group = String::new();
    let mut uses_above = false;
    for i in 0..width {
        let cell = |row: &Vec<String>| row.get(i).cloned().unwrap_or_default();
        let (m, b, a) = (
            cell(main),
            if two_rows { cell(below) } else { String::new() },
            cell(above),
        );
        if !m.is_empty() {
            group = m.clone();
        }
        let (label, mapped, under) = if !b.is_empty() {
            // under a group label merged across (its text is in the group's first column)
            (b.clone(), field_of(kind, &b), group.clone())
        } else if !m.is_empty() {
            (m.clone(), field_of(kind, &m), String::new())
        } else {
            match field_of(kind, &a) {
                Some(f) => {
                    uses_above = true;
                    (a, Some(f), String::new())
                }
                None => (String::new(), None, String::new()),
            }
        };
        columns.push(Column {
            index: i,
            label,
            group: under,
            field: mapped.map(|x| x.0),
            in_minutes: mapped.is_some_and(|x| x.1),
        });
    }
    // a field named twice stays with its first column
    let mut seen: Vec<Field> = Vec::new();
    for c in &mut columns {
        if let Some(f) = c.field {
            if seen.contains(&f) {
                c.field = None;
            } else {
                seen.push(f);
            }
        }
    }
    Ok(Header {
        first_row: if uses_above { at - 1 } else { at },
        data_row: at + 1 + usize::from(two_rows),
        columns,
    })
}

/// Rows that are not data: blank, or a total (合计, 小计, 总计, 共计) in one of the first cells.
pub fn is_skipped(row: &[Raw]) -> bool {
    let filled: Vec<String> = row
        .iter()
        .filter(|c| !c.is_blank())
        .take(3)
        .map(|c| compact(&c.shown()))
        .collect();
    filled.is_empty()
        || filled
            .iter()
            .any(|t| ["合计", "小计", "总计", "共计"].iter().any(|w| t.starts_with(w)))
}

#[cfg(test)]
mod tests;
