//! Excel export (.xlsx): one way to write a workbook for every list and table. Chinese
//! headers in a frozen, bold first row; identifiers and numbers that are codes (volunteer
//! numbers, region codes, phone numbers) written as text so Excel never turns them into numbers;
//! dates as real Excel dates; hours as numbers with one decimal. Worksheets are written in
//! rust_xlsxwriter's constant-memory mode: rows go to a temporary file as they come, so a large
//! export does not grow with its rows while it is built, and the finished file is a temporary
//! file that the web layer streams out: memory stays flat however many rows an export has.
//!
//! Who may export what is the use case's business; every export is recorded in the audit log
//! (who, what, with which filter, how many rows) by [`App::record_export`].

use chrono::NaiveDate;
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, XlsxError};
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

/// Walks a numbered list page by page for an export (the largest pages the list gives).
#[derive(Debug)]
pub(crate) struct Pages {
    next: Option<i64>,
}

impl Pages {
    const SIZE: i64 = 200;

    pub(crate) fn new() -> Pages {
        Pages { next: Some(1) }
    }

    /// The next page to read; `None` once the list is done.
    pub(crate) fn next_page(&self) -> Option<zhiyuan_store::PageRequest> {
        self.next
            .map(|n| zhiyuan_store::PageRequest::new(Some(n), Some(Self::SIZE)))
    }

    /// Notes how many items the page read had: a short page is the last.
    pub(crate) fn read(&mut self, items: usize) {
        self.next = self
            .next
            .filter(|&n| items as i64 == Self::SIZE && n < zhiyuan_store::PageRequest::MAX_PAGE)
            .map(|n| n + 1);
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

/// The date of a `YYYY-MM-DD HH:MM` time as shown in the app, as a date cell.
pub fn date_of_time(s: &str) -> Value {
    match s.get(..10) {
        Some(d) => date(d),
        None if s.is_empty() => Value::Empty,
        None => Value::Text(s.to_owned()),
    }
}

/// A `YYYY-MM-DD` text as a date cell (text when it does not read).
pub fn date(s: &str) -> Value {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Value::Date)
        .unwrap_or_else(|_| Value::Text(s.to_owned()))
}

pub(crate) fn xlsx(e: XlsxError) -> AppError {
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

/// The last row number (0-based) a worksheet has: Excel's 1 048 576 rows.
const LAST_ROW: u32 = 1_048_575;

/// A sheet being written, row by row. Past Excel's last row the rows go on in a new worksheet
/// (named with a part number, title and header repeated), so no export is ever cut short.
pub struct Sheet<'a> {
    wb: &'a mut Workbook,
    head: &'a Format,
    title_format: &'a Format,
    book: (&'a Format, &'a Format, &'a Format, &'a Format),
    name: String,
    title: Option<String>,
    columns: Vec<Column>,
    /// The worksheet being written (its index in the workbook) and its part number.
    index: usize,
    part: u32,
    row: u32,
    rows: u64,
    last_row: u32,
}

/// Adds a constant-memory worksheet with its title line and frozen header row; returns its index
/// and the first row for data.
fn start_sheet(
    wb: &mut Workbook,
    (head, title_format): (&Format, &Format),
    name: &str,
    title: Option<&str>,
    columns: &[Column],
) -> AppResult<(usize, u32)> {
    let ws = wb.add_worksheet_with_constant_memory().map_err(xlsx)?;
    ws.set_name(name).map_err(xlsx)?;
    let mut row = 0;
    if let Some(t) = title {
        ws.write_string_with_format(0, 0, t, title_format).map_err(xlsx)?;
        row = 1;
    }
    for (i, c) in columns.iter().enumerate() {
        ws.set_column_width(i as u16, c.width).map_err(xlsx)?;
        ws.write_string_with_format(row, i as u16, c.header.as_ref(), head)
            .map_err(xlsx)?;
    }
    ws.set_freeze_panes(row + 1, 0).map_err(xlsx)?;
    let index = wb.worksheets().len() - 1;
    Ok((index, row + 1))
}

impl Default for Book {
    fn default() -> Self {
        Self::new()
    }
}

impl Book {
    pub fn new() -> Book {
        let mut wb = Workbook::new();
        // Excel's own level: saving (deflating the sheets) is most of a large export's time, and
        // level 3 saves about 30 % of it for a file about 5 % larger than the default level 6
        wb.set_zip_compression_level(3);
        Book {
            wb,
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
        let Book {
            wb,
            head,
            date,
            hours,
            decimal,
            text,
            title: title_format,
        } = self;
        let (index, row) = start_sheet(wb, (head, title_format), name, title, columns)?;
        Ok(Sheet {
            wb,
            head,
            title_format,
            book: (date, hours, decimal, text),
            name: name.to_owned(),
            title: title.map(str::to_owned),
            columns: columns.to_vec(),
            index,
            part: 1,
            row,
            rows: 0,
            last_row: LAST_ROW,
        })
    }

    /// The finished file, written to a temporary file (removed when dropped).
    pub fn finish(mut self) -> AppResult<tempfile::NamedTempFile> {
        let file = tempfile::Builder::new()
            .prefix("zhiyuan-export-")
            .suffix(".xlsx")
            .tempfile()
            .map_err(|e| AppError::Internal(format!("creating the export file: {e}")))?;
        self.wb.save(file.path()).map_err(xlsx)?;
        Ok(file)
    }
}

impl Sheet<'_> {
    /// Writes one row, each value as its column's kind says.
    pub fn row(&mut self, values: Vec<Value>) -> AppResult<()> {
        if self.row > self.last_row {
            self.part += 1;
            let name = format!("{}（{}）", self.name, self.part);
            let (index, row) = start_sheet(
                self.wb,
                (self.head, self.title_format),
                &name,
                self.title.as_deref(),
                &self.columns,
            )?;
            (self.index, self.row) = (index, row);
        }
        let (date_f, hours_f, decimal_f, text_f) = self.book;
        let ws = self.wb.worksheet_from_index(self.index).map_err(xlsx)?;
        for (i, v) in values.into_iter().enumerate() {
            let c = i as u16;
            let kind = self.columns.get(i).map(|c| c.kind).unwrap_or(Kind::Text);
            let r = self.row;
            match (kind, v) {
                (_, Value::Empty) => continue,
                (Kind::Code, Value::Text(s)) => ws.write_string_with_format(r, c, &s, text_f),
                (Kind::Code, Value::Int(n)) => ws.write_string_with_format(r, c, n.to_string(), text_f),
                (_, Value::Text(s)) => ws.write_string(r, c, &s),
                (_, Value::Int(n)) => ws.write_number(r, c, n as f64),
                (_, Value::Minutes(m)) => {
                    ws.write_number_with_format(r, c, (m as f64 / 6.0).round() / 10.0, hours_f)
                }
                (_, Value::Decimal(x)) => ws.write_number_with_format(r, c, x, decimal_f),
                (_, Value::Date(d)) => {
                    use chrono::Datelike;
                    let dt = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                        .map_err(xlsx)?;
                    ws.write_datetime_with_format(r, c, &dt, date_f)
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

/// A finished export: a file name (Chinese, for the download) and the file, which is removed
/// when the export is dropped.
#[derive(Debug)]
pub struct Export {
    pub file_name: String,
    pub file: tempfile::NamedTempFile,
    pub rows: u64,
}

impl Export {
    /// The file's size in bytes.
    pub fn len(&self) -> u64 {
        self.file.as_file().metadata().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole file in memory (tests and small files).
    pub fn bytes(&self) -> AppResult<Vec<u8>> {
        std::fs::read(self.file.path())
            .map_err(|e| AppError::Internal(format!("reading the export file: {e}")))
    }
}

impl App {
    /// Finishes an export: writes the file and records the export in the audit log. `what` names
    /// it (and its file); `region_prefix` files the entry under a region (else the caller's).
    pub(crate) async fn deliver(
        &self,
        caller: &Caller,
        book: Book,
        what: &str,
        region_prefix: Option<&str>,
        filter: &str,
        rows: u64,
    ) -> AppResult<Export> {
        let file = book.finish()?;
        let region = region_prefix
            .and_then(|p| zhiyuan_domain::network::RegionCode::from_prefix(p).ok())
            .map(|r| r.as_str().to_owned());
        self.record_export(caller, what, region.as_deref(), filter, rows)
            .await?;
        Ok(Export {
            file_name: format!("{what}.xlsx"),
            file,
            rows,
        })
    }

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
        let file = book.finish().unwrap();
        let bytes = std::fs::read(file.path()).unwrap();
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip file");
    }

    #[test]
    fn pages_go_on_while_they_are_full_and_stop_at_a_short_one() {
        let mut p = Pages::new();
        assert_eq!(
            p.next_page().map(|r| (r.page, r.per_page)),
            Some((1, Pages::SIZE))
        );
        p.read(Pages::SIZE as usize);
        assert_eq!(p.next_page().map(|r| r.page), Some(2));
        p.read(17);
        assert!(p.next_page().is_none());
        let mut empty = Pages::new();
        empty.read(0);
        assert!(empty.next_page().is_none(), "an empty list is one read");
    }

    #[test]
    fn rows_past_the_last_row_go_on_in_a_new_worksheet() {
        use calamine::{Reader, Xlsx};
        let mut book = Book::new();
        let mut s = book
            .sheet("明细", Some("标题"), &[col("编号", Kind::Int, 8.0)])
            .unwrap();
        s.last_row = 4; // title, header, three rows: then the next part
        for n in 0..5 {
            s.row(vec![Value::Int(n)]).unwrap();
        }
        assert_eq!(s.rows(), 5);
        let file = book.finish().unwrap();
        let mut xlsx: Xlsx<_> = calamine::open_workbook(file.path()).unwrap();
        assert_eq!(xlsx.sheet_names(), ["明细", "明细（2）"]);
        let second = xlsx.worksheet_range("明细（2）").unwrap();
        let cells: Vec<String> = second.rows().map(|r| r[0].to_string()).collect();
        assert_eq!(
            cells,
            ["标题", "编号", "3", "4"],
            "title and header again, then the rest"
        );
        let bytes = std::fs::read(file.path()).unwrap();
        assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip file");
    }
}
