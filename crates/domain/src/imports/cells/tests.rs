use chrono::{NaiveDate, NaiveDateTime};

use super::*;

fn t(s: &str) -> Raw {
    Raw::Text(s.to_owned())
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A valid ID (male, born 1990-03-07), with an X check character.
const ID: &str = "11010519900307005X";

#[test]
fn spaces_of_every_width_and_full_width_characters_are_made_plain() {
    assert_eq!(clean("\u{3000} 张\u{a0}三\t "), "张 三");
    assert_eq!(clean("１１０１０５"), "110105");
    assert_eq!(clean("Ａｂｃ－１"), "Abc-1");
    assert_eq!(clean("\u{feff}姓名\u{200b}"), "姓名");
    assert_eq!(compact(" 1381 234 5678 "), "13812345678");
}

#[test]
fn chinese_names_lose_their_padding_latin_names_keep_single_spaces() {
    assert_eq!(name(&t("王  五")).unwrap().as_str(), "王五");
    assert_eq!(name(&t("\u{3000}李\u{3000}四\u{3000}")).unwrap().as_str(), "李四");
    assert_eq!(name(&t("阿依古丽・买买提")).unwrap().as_str(), "阿依古丽·买买提");
    assert_eq!(name(&t("John  Smith")).unwrap().as_str(), "John Smith");
    assert_eq!(name(&t("张")).unwrap_err().code, "name_invalid");
}

#[test]
fn resident_ids_as_typed_are_read() {
    let today = today();
    for typed in [
        ID,
        "11010519900307005x",
        " 110105 19900307 005X ",
        "１１０１０５１９９００３０７００５Ｘ",
    ] {
        assert_eq!(resident_id(&t(typed), today).unwrap().as_str(), ID, "{typed:?}");
    }
    assert_eq!(
        resident_id(&t("110105199003070011"), today).unwrap_err().code,
        "resident_id_checksum"
    );
    assert_eq!(
        resident_id(&t("110105199002300016"), today).unwrap_err().code,
        "resident_id_birth_date"
    );
    assert_eq!(
        resident_id(&t("1101051990"), today).unwrap_err().code,
        "resident_id_length"
    );
}

#[test]
fn an_id_excel_stored_as_a_number_is_refused_with_how_to_fix_it() {
    // Excel keeps 15 significant digits: 110105199003070017 became 110105199003070000
    let e = resident_id(&Raw::Number(110_105_199_003_070_017.0), today()).unwrap_err();
    assert_eq!(e.code, "resident_id_as_number");
    assert!(e.message.contains("文本"), "{}", e.message);
    assert!(e.message.contains("110105199003070000"), "{}", e.message);
    // the same after a trip through CSV
    assert_eq!(
        resident_id(&t("1.10105E+17"), today()).unwrap_err().code,
        "resident_id_as_number"
    );
    // typed as text with the digits already lost
    assert_eq!(
        resident_id(&t("110105199003070000"), today()).unwrap_err().code,
        "resident_id_digits_lost"
    );
}

#[test]
fn phones_as_people_write_them() {
    for typed in [
        "13800138000",
        "+86 138-0013-8000",
        "(86)13800138000",
        "１３８００１３８０００",
        "138 0013 8000",
    ] {
        assert_eq!(phone(&t(typed)).unwrap().as_str(), "13800138000", "{typed:?}");
    }
    assert_eq!(
        phone(&Raw::Number(13_800_138_000.0)).unwrap().as_str(),
        "13800138000"
    );
    assert_eq!(phone(&t("010-12345678")).unwrap_err().code, "phone_invalid");
}

#[test]
fn genders() {
    assert_eq!(gender(&t(" 男 ")).unwrap(), Gender::Male);
    assert_eq!(gender(&t("女性")).unwrap(), Gender::Female);
    assert_eq!(gender(&t("F")).unwrap(), Gender::Female);
    assert_eq!(gender(&t("未知")).unwrap_err().code, "gender_invalid");
}

#[test]
fn dates_in_every_office_spelling() {
    let d = day(2023, 5, 1);
    for typed in [
        "2023-05-01",
        "2023.5.1",
        "2023/5/1",
        "2023年5月1日",
        "2023年5月1号",
        "20230501",
        "２０２３．５．１",
        "2023-05-01 08:30",
        "2023/5/1 8:30:00",
    ] {
        assert_eq!(date(&t(typed), false).unwrap(), (d, true), "{typed:?}");
    }
    assert_eq!(
        date(&Raw::Number(45047.0), false).unwrap(),
        (d, true),
        "an Excel serial"
    );
    assert_eq!(date(&Raw::Number(20_230_501.0), false).unwrap(), (d, true));
    let at = NaiveDateTime::new(d, chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap());
    assert_eq!(date(&Raw::Date(at), false).unwrap(), (d, true));
    assert_eq!(
        date(&t("2023年2月30日"), false).unwrap_err().code,
        "date_not_exist"
    );
    assert_eq!(date(&t("五一"), false).unwrap_err().code, "date_unreadable");
    assert_eq!(date(&t("2023.5"), false).unwrap_err().code, "date_unreadable");
    assert_eq!(date(&t("1990.03"), true).unwrap(), (day(1990, 3, 1), false));
    assert_eq!(date(&t("1990年3月"), true).unwrap(), (day(1990, 3, 1), false));
}

#[test]
fn excel_serials_count_the_leap_day_that_never_was() {
    assert_eq!(excel_serial(1.0), day(1900, 1, 1));
    assert_eq!(excel_serial(59.0), day(1900, 2, 28));
    assert_eq!(excel_serial(61.0), day(1900, 3, 1));
    assert_eq!(excel_serial(45047.75), day(2023, 5, 1));
}

#[test]
fn hours_as_typed() {
    for (typed, m) in [
        ("2", 120),
        ("2.5", 150),
        ("2小时", 120),
        ("2 小时", 120),
        ("2h", 120),
        ("2h30m", 150),
        ("2小时30分", 150),
        ("2小时30分钟", 150),
        ("2时30分", 150),
        ("90分钟", 90),
        ("45min", 45),
        ("1.5h", 90),
        ("1:30", 90),
        ("２．５", 150),
    ] {
        assert_eq!(minutes(&t(typed), false).unwrap(), m, "{typed:?}");
    }
    assert_eq!(minutes(&Raw::Number(3.0), false).unwrap(), 180);
    assert_eq!(minutes(&Raw::Number(0.25), false).unwrap(), 15);
    assert_eq!(minutes(&t("90"), true).unwrap(), 90, "a column in minutes");
    assert_eq!(minutes(&t("0"), false).unwrap_err().code, "minutes_invalid");
    assert_eq!(minutes(&t("-2"), false).unwrap_err().code, "minutes_invalid");
    assert_eq!(minutes(&t("25"), false).unwrap_err().code, "minutes_invalid");
    assert_eq!(
        minutes(&t("两小时"), false).unwrap_err().code,
        "minutes_unreadable"
    );
    assert_eq!(minutes(&t("2x"), false).unwrap_err().code, "minutes_unreadable");
}

#[test]
fn cells_are_shown_as_excel_shows_them() {
    assert_eq!(Raw::Number(13_800_138_000.0).shown(), "13800138000");
    assert_eq!(Raw::Number(2.5).shown(), "2.5");
    assert!(Raw::Text("\u{3000} ".into()).is_blank());
    assert!(!Raw::Number(0.0).is_blank());
}
