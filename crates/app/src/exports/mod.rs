//! Excel export (.xlsx): one way to write a workbook for every list and table. Chinese
//! headers in a frozen, bold first row; identifiers and numbers that are codes (volunteer
//! numbers, region codes, phone numbers) written as text so Excel never turns them into numbers;
//! dates as real Excel dates; hours as numbers with one decimal. Worksheets are written in
//! rust_xlsxwriter's constant-memory mode: rows go to a temporary file as they come, so a large
//! export does not grow with its rows while it is built.
//!
//! Who may export what is the use case's business; every export is recorded in the audit log
//! (who, what, with which filter, how many rows) by [`App::record_export`].

use chrono::NaiveDate;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_store::audit::NewAudit;

use crate::error::{AppError, AppResult};
use crate::{App, Caller};

/// The kind of a column, which decides how its cells are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// A code that looks like a number but is not one (numbers, IDs, phone, region code):
    /// always written as text.
    Code,
    /// A whole number.
    Int,
    /// Minutes, written as hours with one decimal.
    Hours,
    /// A date (`YYYY-MM-DD`), written as an Excel date.
    Date,
    /// A percentage or other decimal, written as a number with one decimal.
    Decimal,
}

/// A column: its Chinese header, its kind and its width in characters.
#[derive(Clone, Debug)]
pub struct Column {
    pub header: std::borrow::Cow<'static, str>,
    pub kind: Kind,
    pub width: f64,
}

pub const fn col(header: &'static str, kind: Kind, width: f64) -> Column {
    Column {
        header: std::borrow::Cow::Borrowed(header),
        kind,
        width,
    }
}

/// A cell value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    /// Minutes.
    Minutes(i64),
    Decimal(f64),
    Date(NaiveDate),
    Empty,
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Int(n as i64)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map(Into::into).unwrap_or(Value::Empty)
    }
}

/// A `YYYY-MM-DD` text as a date cell (text when it does not read).
pub fn date(s: &str) -> Value {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Value::Date)
        .unwrap_or_else(|_| Value::Text(s.to_owned()))
}

fn xlsx(e: XlsxError) -> AppError {
    AppError::Internal(format!("writing the Excel file: {e}"))
}

/// A workbook being written, sheet by sheet.
pub struct Book {
    wb: Workbook,
    head: Format,
    date: Format,
    hours: Format,
    decimal: Format,
    text: Format,
    title: Format,
}

/// A sheet being written, row by row.
pub struct Sheet<'a> {
    ws: &'a mut Worksheet,
    book: (&'a Format, &'a Format, &'a Format, &'a Format),
    columns: Vec<Column>,
    row: u32,
    rows: u64,
}

impl Default for Book {
    fn default() -> Self {
        Self::new()
    }
}

impl Book {
    pub fn new() -> Book {
        Book {
            wb: Workbook::new(),
            head: Format::new()
                .set_bold()
                .set_background_color(0xF2D7D5)
                .set_align(FormatAlign::Center),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            hours: Format::new().set_num_format("0.0"),
            decimal: Format::new().set_num_format("0.0"),
            text: Format::new().set_num_format("@"),
            title: Format::new().set_bold().set_font_size(14),
        }
    }

    /// Adds a sheet: an optional title line (e.g. the scope and period), then the header row,
    /// frozen so it stays in view.
    pub fn sheet(&mut self, name: &str, title: Option<&str>, columns: &[Column]) -> AppResult<Sheet<'_>> {
        let ws = self.wb.add_worksheet_with_constant_memory().map_err(xlsx)?;
        ws.set_name(name).map_err(xlsx)?;
        let mut row = 0;
        if let Some(t) = title {
            ws.write_string_with_format(0, 0, t, &self.title).map_err(xlsx)?;
            row = 1;
        }
        for (i, c) in columns.iter().enumerate() {
            ws.set_column_width(i as u16, c.width).map_err(xlsx)?;
            ws.write_string_with_format(row, i as u16, c.header.as_ref(), &self.head)
                .map_err(xlsx)?;
        }
        ws.set_freeze_panes(row + 1, 0).map_err(xlsx)?;
        Ok(Sheet {
            ws,
            book: (&self.date, &self.hours, &self.decimal, &self.text),
            columns: columns.to_vec(),
            row: row + 1,
            rows: 0,
        })
    }

    /// The finished file.
    pub fn finish(mut self) -> AppResult<Vec<u8>> {
        self.wb.save_to_buffer().map_err(xlsx)
    }
}

impl Sheet<'_> {
    /// Writes one row, each value as its column's kind says.
    pub fn row(&mut self, values: Vec<Value>) -> AppResult<()> {
        let (date_f, hours_f, decimal_f, text_f) = self.book;
        for (i, v) in values.into_iter().enumerate() {
            let c = i as u16;
            let kind = self.columns.get(i).map(|c| c.kind).unwrap_or(Kind::Text);
            let r = self.row;
            match (kind, v) {
                (_, Value::Empty) => continue,
                (Kind::Code, Value::Text(s)) => self.ws.write_string_with_format(r, c, &s, text_f),
                (Kind::Code, Value::Int(n)) => self.ws.write_string_with_format(r, c, n.to_string(), text_f),
                (_, Value::Text(s)) => self.ws.write_string(r, c, &s),
                (_, Value::Int(n)) => self.ws.write_number(r, c, n as f64),
                (_, Value::Minutes(m)) => {
                    self.ws
                        .write_number_with_format(r, c, (m as f64 / 6.0).round() / 10.0, hours_f)
                }
                (_, Value::Decimal(x)) => self.ws.write_number_with_format(r, c, x, decimal_f),
                (_, Value::Date(d)) => {
                    use chrono::Datelike;
                    let dt = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                        .map_err(xlsx)?;
                    self.ws.write_datetime_with_format(r, c, &dt, date_f)
                }
            }
            .map_err(xlsx)?;
        }
        self.row += 1;
        self.rows += 1;
        Ok(())
    }

    /// Rows written (the header and title not counted).
    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// A finished export: a file name (Chinese, for the download) and its bytes.
#[derive(Clone, Debug)]
pub struct Export {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub rows: u64,
}

impl App {
    /// Records an export in the audit log: who exported what, with which filter, how many rows.
    pub(crate) async fn record_export(
        &self,
        caller: &Caller,
        what: &str,
        region_code: Option<&str>,
        filter: &str,
        rows: u64,
    ) -> AppResult<()> {
        // an export without a region of its own is filed under the caller's, so their office sees it
        let own = caller
            .region_prefix()
            .and_then(|p| zhiyuan_domain::network::RegionCode::from_prefix(p).ok())
            .map(|r| r.as_str().to_owned());
        let mut tx = self.begin().await?;
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::DataExport,
            entity_id: what.to_owned(),
            region_code: region_code.map(str::to_owned).or(own),
            org_path: match &caller.scope {
                crate::Scope::Team { path, .. } => Some(path.clone()),
                _ => None,
            },
            before: None,
            after: Some(serde_json::json!({"title": what, "filter": filter, "row_count": rows})),
        })
        .await?;
        tx.commit(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_book_writes_every_kind_of_cell() {
        let mut book = Book::new();
        let mut s = book
            .sheet(
                "明细",
                Some("朝阳区 · 2026年"),
                &[
                    col("志愿者编号", Kind::Code, 20.0),
                    col("服务日期", Kind::Date, 12.0),
                    col("时长（小时）", Kind::Hours, 10.0),
                    col("人数", Kind::Int, 8.0),
                ],
            )
            .unwrap();
        s.row(vec![
            "110105000000012".into(),
            date("2026-02-14"),
            Value::Minutes(90),
            3i64.into(),
        ])
        .unwrap();
        s.row(vec![
            Value::Empty,
            date("不是日期"),
            Value::Minutes(0),
            Value::Int(0),
        ])
        .unwrap();
        assert_eq!(s.rows(), 2);
        let bytes = book.finish().unwrap();
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip file");
    }
}
