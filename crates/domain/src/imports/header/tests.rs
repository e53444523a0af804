use super::*;
use crate::imports::text_row as row;

fn fields(h: &Header) -> Vec<Option<Field>> {
    h.columns.iter().map(|c| c.field).collect()
}

#[test]
fn labels_lose_notes_marks_and_spaces() {
    assert_eq!(label_key("手机号（非必填）"), "手机号");
    assert_eq!(label_key("*姓 名："), "姓名");
    assert_eq!(label_key("服务时长(小时)"), "服务时长");
    assert_eq!(label_key("【必填】身份证号码"), "身份证号码");
}

#[test]
fn the_header_is_found_below_title_rows() {
    let rows = vec![
        row(&["2023年东城区学雷锋志愿服务队志愿者名册（第二批）", "", "", ""]),
        row(&["填报单位：东华门街道", "", "", "填报日期：2023年3月5日"]),
        row(&[]),
        row(&["序号", "志愿者姓名", "公民身份号码", "手机号（非必填）", "备注"]),
        row(&["1", "张三", "11010519900307005X", "13800138000", ""]),
    ];
    let h = find(ImportKind::Volunteers, &rows).unwrap();
    assert_eq!((h.first_row, h.data_row), (3, 4));
    assert_eq!(
        fields(&h),
        vec![
            None,
            Some(Field::Name),
            Some(Field::ResidentId),
            Some(Field::Phone),
            None
        ]
    );
    let unmapped: Vec<&str> = h.unmapped().map(|c| c.label.as_str()).collect();
    assert_eq!(unmapped, vec!["序号", "备注"]);
    assert!(h.missing(ImportKind::Volunteers).is_empty());
}

#[test]
fn a_two_row_header_takes_the_labels_under_a_group() {
    let rows = vec![
        row(&["序号", "姓名", "身份证号", "联系方式", ""]),
        row(&["", "", "", "邮箱", "手机"]),
        row(&["1", "张三", "11010519900307005X", "a@b.cn", "13800138000"]),
    ];
    let h = find(ImportKind::Volunteers, &rows).unwrap();
    assert_eq!(h.data_row, 2);
    assert_eq!(
        fields(&h),
        vec![
            None,
            Some(Field::Name),
            Some(Field::ResidentId),
            None,
            Some(Field::Phone)
        ]
    );
    assert_eq!(h.columns[3].shown(), "联系方式/邮箱");
    assert_eq!(h.columns[3].label, "邮箱");
}

#[test]
fn a_label_merged_down_two_rows_is_read_from_above() {
    // 服务情况 spans two columns; 姓名 and 身份证号 are merged down over both rows
    let rows = vec![
        row(&["姓名", "身份证号", "服务情况", ""]),
        row(&["", "", "服务日期", "服务时长（分钟）"]),
        row(&["张三", "11010519900307005X", "2023-05-01", "90"]),
    ];
    let h = find(ImportKind::Records, &rows).unwrap();
    assert_eq!(h.data_row, 2);
    assert_eq!(
        fields(&h),
        vec![
            Some(Field::Name),
            Some(Field::ResidentId),
            Some(Field::ServiceDate),
            Some(Field::Hours)
        ]
    );
    assert!(h.columns[3].in_minutes);
    assert!(h.missing(ImportKind::Records).contains(&&[Field::Activity][..]));
}

#[test]
fn hours_columns_say_their_unit() {
    assert_eq!(
        field_of(ImportKind::Records, "服务时长（小时）"),
        Some((Field::Hours, false))
    );
    assert_eq!(
        field_of(ImportKind::Records, "服务时长（分钟）"),
        Some((Field::Hours, true))
    );
    assert_eq!(
        field_of(ImportKind::Records, "时长分钟"),
        Some((Field::Hours, true))
    );
    assert_eq!(field_of(ImportKind::Records, "签名"), None);
}

#[test]
fn a_sheet_without_a_header_is_refused() {
    let rows = vec![row(&["张三", "13800138000"]), row(&["李四", "13900139000"])];
    let e = find(ImportKind::Volunteers, &rows).unwrap_err();
    assert!(e.message_zh(ImportKind::Volunteers).contains("找不到表头"));
}

#[test]
fn the_user_remaps_columns() {
    let rows = vec![row(&["姓名", "证件", "电话"])];
    let h = find(ImportKind::Volunteers, &rows).unwrap();
    assert_eq!(fields(&h), vec![Some(Field::Name), None, Some(Field::Phone)]);
    assert_eq!(h.missing(ImportKind::Volunteers), vec![&[Field::ResidentId][..]]);
    let h = h.remapped(&[(1, Some(Field::ResidentId)), (2, Some(Field::Name))]);
    assert_eq!(fields(&h), vec![None, Some(Field::ResidentId), Some(Field::Name)]);
}

#[test]
fn blank_and_total_rows_are_skipped() {
    assert!(is_skipped(&row(&["", "\u{3000}", ""])));
    assert!(is_skipped(&row(&["合计", "", "", "120"])));
    assert!(is_skipped(&row(&["", "小 计：", "35.5"])));
    assert!(!is_skipped(&row(&["1", "张三"])));
}

#[test]
fn columns_by_letter_and_back() {
    for (i, l) in [
        (0, "A"),
        (25, "Z"),
        (26, "AA"),
        (27, "AB"),
        (701, "ZZ"),
        (702, "AAA"),
    ] {
        assert_eq!(column_letter(i), l);
        assert_eq!(column_index(l), Some(i));
        assert_eq!(column_index(&l.to_lowercase()), Some(i));
    }
    assert_eq!(column_index("3"), Some(2));
    assert_eq!(column_index("0"), None);
    assert_eq!(column_index("C3"), None);
}
