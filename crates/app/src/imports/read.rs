//! Reading an uploaded file into rows of cells: .xlsx and .xls workbooks (calamine; formula
//! cells as their cached values) and CSV in UTF-8 (with or without BOM), UTF-16 (Excel's
//! "Unicode text") or GBK/GB18030 — the format and encoding found from the bytes, never asked.

use std::io::Cursor;

use calamine::{Data, Reader};
use zhiyuan_domain::imports::cells::Raw;

/// What the bytes were.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Xlsx,
    Xls,
    Csv,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Xlsx => "Excel 工作簿（.xlsx）",
            Format::Xls => "Excel 97-2003 工作簿（.xls）",
            Format::Csv => "CSV 文本",
        }
    }
}

/// One sheet read whole: `rows[i]` is the sheet's row `i + 1` as Excel numbers it, `rows[i][j]`
/// its column `j` (A = 0), whatever cell the used range starts at.
#[derive(Clone, Debug)]
pub struct Sheet {
    pub format: Format,
    /// Every sheet of the workbook (one, named "CSV", for a CSV file).
    pub sheet_names: Vec<String>,
    pub name: String,
    /// For a CSV file, the encoding found ("UTF-8", "GB18030", "UTF-16LE" …).
    pub encoding: Option<&'static str>,
    pub rows: Vec<Vec<Raw>>,
}

/// Why a file cannot be read (nothing is written from it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    Empty,
    Encrypted,
    NotSpreadsheet,
    UnknownEncoding,
    NoSuchSheet(String),
    EmptySheet(String),
    Broken(String),
}

impl ReadError {
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Empty => "file_empty",
            ReadError::Encrypted => "file_encrypted",
            ReadError::NotSpreadsheet => "file_not_spreadsheet",
            ReadError::UnknownEncoding => "file_encoding_unknown",
            ReadError::NoSuchSheet(_) => "sheet_unknown",
            ReadError::EmptySheet(_) => "sheet_empty",
            ReadError::Broken(_) => "file_broken",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            ReadError::Empty => "文件是空的（0 字节），请重新选择文件".into(),
            ReadError::Encrypted => {
                "工作簿设置了打开密码，无法读取。请在 Excel 中打开它，取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）并保存后再上传".into()
            }
            ReadError::NotSpreadsheet => "无法识别此文件：只能导入 Excel 工作簿（.xlsx、.xls）或 CSV 文件".into(),
            ReadError::UnknownEncoding => {
                "无法识别 CSV 文件的编码：请在 Excel 或 WPS 中另存为“CSV UTF-8（逗号分隔）”后再上传".into()
            }
            ReadError::NoSuchSheet(s) => format!("工作簿中没有名为“{s}”的工作表"),
            ReadError::EmptySheet(s) => format!("工作表“{s}”中没有数据"),
            ReadError::Broken(detail) => format!("工作簿已损坏，无法读取（{detail}）"),
        }
    }
}

const ZIP: &[u8] = b"PK\x03\x04";
const OLE: &[u8] = &[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/// Reads `bytes`, taking sheet `sheet` (by name), or else the first sheet with a cell in it.
pub fn read(bytes: &[u8], sheet: Option<&str>) -> Result<Sheet, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if bytes.starts_with(ZIP) {
        let book = calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(Cursor::new(bytes));
        match book {
            Ok(mut b) => workbook(&mut b, Format::Xlsx, sheet),
            Err(calamine::XlsxError::Password) => Err(ReadError::Encrypted),
            Err(e) => Err(ReadError::Broken(e.to_string())),
        }
    } else if bytes.starts_with(OLE) {
        match calamine::open_workbook_from_rs::<calamine::Xls<_>, _>(Cursor::new(bytes)) {
            Ok(mut b) => workbook(&mut b, Format::Xls, sheet),
            Err(calamine::XlsError::Password) => Err(ReadError::Encrypted),
            // an encrypted .xlsx is an OLE file holding the encrypted package
            Err(e) => match calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(Cursor::new(bytes)) {
                Err(calamine::XlsxError::Password) => Err(ReadError::Encrypted),
                _ => Err(ReadError::Broken(e.to_string())),
            },
        }
    } else {
        csv(bytes, sheet)
    }
}

fn workbook<RS, R>(book: &mut R, format: Format, sheet: Option<&str>) -> Result<Sheet, ReadError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let names = book.sheet_names();
    let wanted: Vec<String> = match sheet {
        Some(s) if names.iter().any(|n| n == s) => vec![s.to_owned()],
        Some(s) => return Err(ReadError::NoSuchSheet(s.to_owned())),
        None => names.clone(),
    };
    for name in &wanted {
        let range = book
            .worksheet_range(name)
            .map_err(|e| ReadError::Broken(e.to_string()))?;
        let Some((top, left)) = range.start() else {
            continue;
        };
        let mut rows: Vec<Vec<Raw>> = vec![Vec::new(); top as usize];
        for r in range.rows() {
            let mut row: Vec<Raw> = vec![Raw::Empty; left as usize];
            row.extend(r.iter().map(raw));
            while row.last().is_some_and(|c| *c == Raw::Empty) {
                row.pop();
            }
            rows.push(row);
        }
        while rows.last().is_some_and(|r| r.iter().all(Raw::is_blank)) {
            rows.pop();
        }
        if rows.iter().any(|r| !r.is_empty()) {
            return Ok(Sheet {
                format,
                sheet_names: names,
                name: name.clone(),
                encoding: None,
                rows,
            });
        }
    }
    Err(ReadError::EmptySheet(
        sheet
            .map(str::to_owned)
            .or_else(|| names.first().cloned())
            .unwrap_or_default(),
    ))
}

/// A workbook cell as a [`Raw`] cell: a date-formatted number as a date, a duration (`2:30`
/// formatted as time) as its hours.
fn raw(d: &Data) -> Raw {
    match d {
        Data::Empty => Raw::Empty,
        Data::String(s) => Raw::Text(s.clone()),
        Data::Int(i) => Raw::Number(*i as f64),
        Data::Float(f) => Raw::Number(*f),
        Data::Bool(b) => Raw::Bool(*b),
        Data::DateTime(dt) if dt.is_duration() => Raw::Number(dt.as_f64() * 24.0),
        Data::DateTime(dt) => dt.as_datetime().map_or(Raw::Number(dt.as_f64()), Raw::Date),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Raw::Text(s.clone()),
        Data::Error(e) => Raw::Error(e.to_string()),
    }
}

/// The text of a CSV file and the name of its encoding.
fn decode(bytes: &[u8]) -> Result<(std::borrow::Cow<'_, str>, &'static str), ReadError> {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return std::str::from_utf8(rest)
            .map(|s| (s.into(), "UTF-8"))
            .map_err(|_| ReadError::UnknownEncoding);
    }
    for (bom, enc) in [
        (&b"\xff\xfe"[..], encoding_rs::UTF_16LE),
        (&b"\xfe\xff"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return enc
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|s| (s, enc.name()))
                .ok_or(ReadError::UnknownEncoding);
        }
    }
    if bytes.contains(&0) {
        return Err(ReadError::NotSpreadsheet);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.into(), "UTF-8"));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| (s, "GB18030"))
        .ok_or(ReadError::UnknownEncoding)
}

/// The separator of a CSV text: of comma, tab and semicolon, the one its first lines hold most.
fn separator(text: &str) -> u8 {
    let head: Vec<&str> = text.lines().take(10).collect();
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|&sep| {
            head.iter()
                .map(|l| l.bytes().filter(|&b| b == sep).count())
                .sum::<usize>()
        })
        .unwrap_or(b',')
}

fn csv(bytes: &[u8], sheet: Option<&str>) -> Result<Sheet, ReadError> {
    if let Some(s) = sheet.filter(|s| *s != "CSV") {
        return Err(ReadError::NoSuchSheet(s.to_owned()));
    }
    let (text, encoding) = decode(bytes)?;
    // text that is not text: control characters other than line ends and tabs
    if text
        .chars()
        .take(4096)
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
    {
        return Err(ReadError::NotSpreadsheet);
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator(&text))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Broken(e.to_string()))?;
        let mut row: Vec<Raw> = record
            .iter()
            .map(|f| {
                if f.is_empty() {
                    Raw::Empty
                } else {
                    Raw::Text(f.to_owned())
                }
            })
            .collect();
        while row.last().is_some_and(|c| *c == Raw::Empty) {
            row.pop();
        }
        rows.push(row);
    }
    while rows.last().is_some_and(|r| r.iter().all(Raw::is_blank)) {
        rows.pop();
    }
    if rows.is_empty() {
        return Err(ReadError::EmptySheet("CSV".into()));
    }
    Ok(Sheet {
        format: Format::Csv,
        sheet_names: vec!["CSV".into()],
        name: "CSV".into(),
        encoding: Some(encoding),
        rows,
    })
}

#[cfg(test)]
mod tests;
