use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};

use super::*;

fn text(s: &str) -> Raw {
    Raw::Text(s.to_owned())
}

/// A roster as offices make them: a merged title, the header on row 3, a date cell, an ID
/// typed as a number, a phone as a number, a formula.
fn roster_xlsx() -> Vec<u8> {
    let mut book = Workbook::new();
    let empty = book.add_worksheet();
    empty.set_name("说明").unwrap();
    let s = book.add_worksheet();
    s.set_name("花名册").unwrap();
    s.merge_range(
        0,
        0,
        0,
        4,
        "2023年东城区学雷锋志愿服务队志愿者名册",
        &XFormat::new(),
    )
    .unwrap();
    for (j, h) in ["姓名", "身份证号", "手机", "出生日期", "服务时长"]
        .iter()
        .enumerate()
    {
        s.write_string(2, j as u16, *h).unwrap();
    }
    s.write_string(3, 0, "张三").unwrap();
    s.write_number(3, 1, 110_105_199_003_070_017.0).unwrap();
    s.write_number(3, 2, 13_800_138_000.0).unwrap();
    let date = XFormat::new().set_num_format("yyyy-mm-dd");
    s.write_datetime_with_format(3, 3, ExcelDateTime::from_ymd(1990, 3, 7).unwrap(), &date)
        .unwrap();
    s.write_formula(3, 4, "=1+1.5")
        .unwrap()
        .set_formula_result(3, 4, "2.5");
    book.save_to_buffer().unwrap()
}

#[test]
fn a_workbook_is_read_from_its_first_sheet_with_data_in_excel_row_numbers() {
    let sheet = read(&roster_xlsx(), None).unwrap();
    assert_eq!(sheet.format, Format::Xlsx);
    assert_eq!(sheet.sheet_names, vec!["说明", "花名册"]);
    assert_eq!(sheet.name, "花名册");
    assert_eq!(sheet.rows[0][0], text("2023年东城区学雷锋志愿服务队志愿者名册"));
    assert!(sheet.rows[1].is_empty());
    assert_eq!(sheet.rows[2][1], text("身份证号"));
    let r = &sheet.rows[3];
    assert_eq!(r[0], text("张三"));
    assert_eq!(r[1], Raw::Number(110_105_199_003_070_017.0));
    assert_eq!(r[2].shown(), "13800138000");
    assert_eq!(r[3].shown(), "1990-03-07");
    assert_eq!(r[4].shown(), "2.5", "a formula as its cached value");
}

#[test]
fn a_sheet_is_chosen_by_name() {
    let e = read(&roster_xlsx(), Some("说明")).unwrap_err();
    assert_eq!(e, ReadError::EmptySheet("说明".into()));
    assert_eq!(
        read(&roster_xlsx(), Some("名单")).unwrap_err().code(),
        "sheet_unknown"
    );
}

#[test]
fn a_sheet_that_starts_below_and_right_of_a1_keeps_its_cells_where_excel_shows_them() {
    let mut book = Workbook::new();
    let s = book.add_worksheet();
    s.write_string(4, 2, "姓名").unwrap();
    s.write_string(5, 2, "李四").unwrap();
    let sheet = read(&book.save_to_buffer().unwrap(), None).unwrap();
    assert_eq!(sheet.rows.len(), 6);
    assert_eq!(sheet.rows[4], vec![Raw::Empty, Raw::Empty, text("姓名")]);
    assert_eq!(sheet.rows[5][2], text("李四"));
}

const CSV: &str = "姓名,身份证号,备注\n张三,11010519900307001X,\"住在\n东华门\"\n";

#[test]
fn csv_in_utf8_with_and_without_bom() {
    for bytes in [
        CSV.as_bytes().to_vec(),
        [b"\xef\xbb\xbf".as_slice(), CSV.as_bytes()].concat(),
    ] {
        let sheet = read(&bytes, None).unwrap();
        assert_eq!((sheet.format, sheet.encoding), (Format::Csv, Some("UTF-8")));
        assert_eq!(sheet.rows[0][0], text("姓名"));
        assert_eq!(sheet.rows[1][2], text("住在\n东华门"));
    }
}

#[test]
fn csv_in_gbk_is_found_by_its_bytes() {
    let (bytes, _, bad) = encoding_rs::GBK.encode(CSV);
    assert!(!bad);
    let sheet = read(&bytes, None).unwrap();
    assert_eq!(sheet.encoding, Some("GB18030"));
    assert_eq!(sheet.rows[1][0], text("张三"));
}

#[test]
fn excel_unicode_text_is_utf16_with_tabs() {
    let mut bytes = vec![0xff, 0xfe];
    for u in "姓名\t手机\r\n王五\t13800138000\r\n".encode_utf16() {
        bytes.extend(u.to_le_bytes());
    }
    let sheet = read(&bytes, None).unwrap();
    assert_eq!(sheet.rows[1], vec![text("王五"), text("13800138000")]);
}

#[test]
fn semicolons_separate_when_they_are_what_the_file_uses() {
    let sheet = read("姓名;手机\n王五;13800138000\n".as_bytes(), None).unwrap();
    assert_eq!(sheet.rows[1], vec![text("王五"), text("13800138000")]);
}

#[test]
fn files_that_are_not_spreadsheets_are_refused() {
    assert_eq!(read(b"", None).unwrap_err(), ReadError::Empty);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    assert_eq!(read(png, None).unwrap_err(), ReadError::NotSpreadsheet);
    assert_eq!(
        read(b"PK\x03\x04 broken", None).unwrap_err().code(),
        "file_broken"
    );
    assert_eq!(read(b"\n\n", None).unwrap_err().code(), "sheet_empty");
    for e in [
        ReadError::Empty,
        ReadError::Encrypted,
        ReadError::NotSpreadsheet,
        ReadError::UnknownEncoding,
    ] {
        assert!(!e.message_zh().is_empty());
    }
}

/// An encrypted .xlsx as Excel saves one: an OLE container whose package is encrypted.
fn encrypted_xlsx() -> Vec<u8> {
    use std::io::Write;
    let mut file = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    file.create_stream("EncryptionInfo")
        .unwrap()
        .write_all(&[4, 0, 4, 0, 0x40, 0, 0, 0])
        .unwrap();
    file.create_stream("EncryptedPackage")
        .unwrap()
        .write_all(&[0u8; 64])
        .unwrap();
    file.flush().unwrap();
    file.into_inner().into_inner()
}

#[test]
fn an_encrypted_workbook_is_refused_with_how_to_open_it() {
    let e = read(&encrypted_xlsx(), None).unwrap_err();
    assert_eq!(e, ReadError::Encrypted);
    assert!(e.message_zh().contains("密码"));
}
