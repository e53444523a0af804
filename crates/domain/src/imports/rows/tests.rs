use chrono::NaiveDate;

use super::*;
use crate::imports::header::find;
use crate::imports::text_row as row;
use crate::imports::ImportKind;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()
}

const ID: &str = "11010519900307005X";

fn roster() -> Header {
    find(
        ImportKind::Volunteers,
        &[row(&[
            "姓名",
            "性别",
            "出生年月",
            "身份证号",
            "手机",
            "技能",
            "居住社区",
        ])],
    )
    .unwrap()
}

#[test]
fn a_roster_row_is_read() {
    let v = volunteer(
        &roster(),
        &row(&[
            "张 三",
            "男",
            "1990.03",
            ID,
            "+86 138-0013-8000",
            "急救、摄影，翻译",
            "东华门社区",
        ]),
        today(),
    )
    .unwrap();
    assert_eq!(v.name.as_str(), "张三");
    assert_eq!(v.resident_id.as_str(), ID);
    assert_eq!(v.phone.as_str(), "13800138000");
    assert_eq!(v.skills, vec!["急救", "摄影", "翻译"]);
    assert_eq!(v.region, "东华门社区");
}

#[test]
fn every_problem_of_a_row_is_reported_with_its_column() {
    let errors = volunteer(
        &roster(),
        &row(&["", "女", "1991-01-01", ID, "12345", "", ""]),
        today(),
    )
    .unwrap_err();
    let got: Vec<(Option<usize>, &str)> = errors.iter().map(|e| (e.column, e.code)).collect();
    assert_eq!(
        got,
        vec![
            (Some(0), "required"),
            (Some(4), "phone_invalid"),
            (Some(1), "gender_mismatch"),
            (Some(2), "birth_date_mismatch"),
        ]
    );
    assert!(
        errors[2].message.contains("身份证号为男性"),
        "{}",
        errors[2].message
    );
}

#[test]
fn an_hours_row_by_id_or_by_volunteer_number() {
    let h = find(
        ImportKind::Records,
        &[row(&[
            "身份证号",
            "志愿者编号",
            "活动名称",
            "服务日期",
            "服务时长（小时）",
            "服务队",
        ])],
    )
    .unwrap();
    let r = record(
        &h,
        &row(&[ID, "", "周末助老", "2023年5月1日", "2小时30分", "东华门服务队"]),
        today(),
    )
    .unwrap();
    assert_eq!(r.who, Who::ResidentId(ResidentId::parse(ID, today()).unwrap()));
    assert_eq!((r.minutes, r.date.to_string()), (150, "2023-05-01".to_owned()));
    let no = VolunteerNo::new("110105", 7);
    let r = record(
        &h,
        &row(&["", no.as_str(), "周末助老", "2023/5/2", "2", ""]),
        today(),
    )
    .unwrap();
    assert_eq!(r.who, Who::VolunteerNo(no));
    let e = record(&h, &row(&["", "", "周末助老", "2027-01-01", "30", ""]), today()).unwrap_err();
    let codes: Vec<&str> = e.iter().map(|e| e.code).collect();
    assert_eq!(codes, vec!["required", "date_in_future", "minutes_invalid"]);
}

#[test]
fn a_repeat_in_one_file_names_the_first_row() {
    let mut seen = FirstSeen::default();
    assert!(seen.check("a".into(), 5).is_ok());
    assert!(seen.check("b".into(), 6).is_ok());
    let e = seen.check("a".into(), 9).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        ("duplicate_in_file", "与第 5 行重复")
    );
}

#[test]
fn a_record_is_known_again_by_its_facts_or_its_key() {
    let h = find(
        ImportKind::Records,
        &[row(&["身份证号", "活动名称", "服务日期", "服务时长", "记录编号"])],
    )
    .unwrap();
    let a = record(&h, &row(&[ID, "助老", "2023-05-01", "2", ""]), today()).unwrap();
    let b = record(
        &h,
        &row(&[&ID.to_lowercase(), "助老", "2023.5.1", "2小时", ""]),
        today(),
    )
    .unwrap();
    assert_eq!(record_key(&a), record_key(&b));
    let c = record(&h, &row(&[ID, "助老", "2023-05-01", "2", "R-1"]), today()).unwrap();
    assert_eq!(record_key(&c), "key:R-1");
}

#[test]
fn lists_split_at_any_separator() {
    assert_eq!(
        list("急救、摄影；翻译 / 驾驶,急救"),
        vec!["急救", "摄影", "翻译", "驾驶"]
    );
    assert!(list("\u{3000}").is_empty());
}
