//! Importing offices' rosters (issue #11): a messy workbook as offices make them is read, every
//! good row registered and every bad row refused with its Excel row number, column and reason;
//! importing again adds nothing; the workbook of refused rows, fixed, imports only the fixed
//! rows; the caller's scope holds.

mod support;

use rust_xlsxwriter::Workbook;
use support::app::{new_resident_id, spawn_app, Db, TestApp};
use support::world::{self, World};
use zhiyuan_app::access::Caller;
use zhiyuan_app::imports::{read, ImportOptions, NewRow, Outcome, Plan, Upload};
use zhiyuan_domain::imports::cells::Raw;
use zhiyuan_domain::imports::{Field, ImportKind};
use zhiyuan_domain::people::resident_id::ResidentId;

enum C<'a> {
    S(&'a str),
    N(f64),
}

fn xlsx(rows: &[Vec<C>]) -> Vec<u8> {
    let mut book = Workbook::new();
    let s = book.add_worksheet();
    for (i, row) in rows.iter().enumerate() {
        for (j, c) in row.iter().enumerate() {
            match c {
                C::S("") => {}
                C::S(text) => {
                    s.write_string(i as u32, j as u16, *text).unwrap();
                }
                C::N(n) => {
                    s.write_number(i as u32, j as u16, *n).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

async fn caller(t: &TestApp, token: &str) -> Caller {
    t.app.auth().authenticate(token).await.unwrap().unwrap()
}

fn options(team: Option<i64>) -> ImportOptions {
    ImportOptions {
        kind: ImportKind::Volunteers,
        sheet: None,
        team_id: team,
        mapping: Vec::new(),
    }
}

fn upload(name: &str, bytes: Vec<u8>) -> Upload {
    Upload {
        file_name: name.into(),
        bytes,
    }
}

fn gender_of(id: &str) -> &'static str {
    ResidentId::parse(id, chrono::Local::now().date_naive())
        .unwrap()
        .gender()
        .label_zh()
}

fn refused(plan: &Plan) -> Vec<(usize, Vec<&'static str>)> {
    plan.rows
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Refused(e) => Some((r.row_no, e.iter().map(|e| e.code).collect())),
            _ => None,
        })
        .collect()
}

async fn volunteers_named(t: &TestApp, name: &str) -> i64 {
    let mut conn = t.app.store.read().await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM volunteers WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    n
}

/// The roster of 建外青年突击队 as the team typed it.
struct Roster {
    bytes: Vec<u8>,
    /// The resident IDs of the good rows, and of the row whose check digit is wrong (fixed).
    good: Vec<String>,
    bad_checksum_fixed: String,
}

fn roster() -> Roster {
    let ids: Vec<String> = (0..4).map(|_| new_resident_id("110105")).collect();
    let fixed = new_resident_id("110105");
    // the same ID with a wrong check character
    let mut broken = fixed[..17].to_owned();
    broken.push(if fixed.ends_with('0') { '1' } else { '0' });
    let lower_x = ids[1].to_lowercase();
    let wide: String = ids[2]
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xfee0).unwrap())
        .collect();
    let g = |id: &str| gender_of(id);
    let rows = vec![
        vec![C::S("2026年建外街道青年突击队志愿者名册（第二批）")],
        vec![
            C::S("填报单位：建外青年突击队"),
            C::S(""),
            C::S(""),
            C::S("填报日期：2026年3月5日"),
        ],
        vec![
            C::S("序号"),
            C::S("志愿者姓名"),
            C::S("性别"),
            C::S("公民身份号码"),
            C::S("手机号（必填）"),
            C::S("技能"),
            C::S("居住社区"),
            C::S("备注"),
        ],
        // row 4: a plain good row
        vec![
            C::N(1.0),
            C::S("张 三"),
            C::S(g(&ids[0])),
            C::S(&ids[0]),
            C::S("13800138001"),
            C::S("急救、摄影"),
            C::S("建外测试社区"),
            C::S(""),
        ],
        // row 5: lower-case x, +86 phone with dashes, no residence (the team's)
        vec![
            C::N(2.0),
            C::S("李四"),
            C::S(g(&ids[1])),
            C::S(&lower_x),
            C::S("+86 138-0013-8002"),
            C::S(""),
            C::S(""),
            C::S(""),
        ],
        // row 6: full-width ID, ideographic spaces, phone as a number
        vec![
            C::N(3.0),
            C::S("\u{3000}王五\u{3000}"),
            C::S(g(&ids[2])),
            C::S(&wide),
            C::N(13_800_138_003.0),
            C::S(""),
            C::S(""),
            C::S(""),
        ],
        // row 7: blank
        vec![],
        // row 8: a wrong check character
        vec![
            C::N(4.0),
            C::S("赵六"),
            C::S(g(&fixed)),
            C::S(&broken),
            C::S("13800138004"),
            C::S(""),
            C::S(""),
            C::S(""),
        ],
        // row 9: the ID typed as a number: its last digits are gone
        vec![
            C::N(5.0),
            C::S("钱七"),
            C::S("男"),
            C::N(110_105_199_003_070_017.0),
            C::S("13800138005"),
            C::S(""),
            C::S(""),
            C::S(""),
        ],
        // row 10: row 4 again
        vec![
            C::N(6.0),
            C::S("张三"),
            C::S(g(&ids[0])),
            C::S(&ids[0]),
            C::S("13800138001"),
            C::S(""),
            C::S(""),
            C::S(""),
        ],
        // row 11: a good row whose gender column disagrees with the ID, and a bad phone
        vec![
            C::N(7.0),
            C::S("孙八"),
            C::S(if g(&ids[3]) == "男" { "女" } else { "男" }),
            C::S(&ids[3]),
            C::S("1380013"),
            C::S(""),
            C::S(""),
            C::S(""),
        ],
        // row 12: a total row
        vec![C::S("合计"), C::S("7人")],
    ];
    Roster {
        bytes: xlsx(&rows),
        good: ids,
        bad_checksum_fixed: fixed,
    }
}

async fn a_messy_roster_imports_its_good_rows_and_refuses_the_rest_with_reasons(t: TestApp) {
    let w: World = world::build(&t).await;
    let team_admin = caller(&t, &w.team_a_admin).await;
    let r = roster();
    let file = upload("名册.xlsx", r.bytes.clone());
    let plan = t
        .app
        .imports()
        .plan(&team_admin, &file, &options(Some(w.team_a)))
        .await
        .unwrap();
    assert_eq!((plan.header.first_row, plan.header.data_row), (2, 3));
    let unmapped: Vec<String> = plan.header.unmapped().map(|c| c.label.clone()).collect();
    assert_eq!(unmapped, vec!["序号", "备注"]);
    assert_eq!(
        refused(&plan),
        vec![
            (8, vec!["resident_id_checksum"]),
            (9, vec!["resident_id_as_number"]),
            (10, vec!["duplicate_in_file"]),
            (11, vec!["phone_invalid", "gender_mismatch"]),
        ]
    );
    let dup = plan.rows.iter().find(|r| r.row_no == 10).unwrap();
    match &dup.outcome {
        Outcome::Refused(e) => assert_eq!(e[0].message, "与第 4 行重复"),
        other => panic!("{other:?}"),
    }
    let c = plan.counts();
    assert_eq!((c.created, c.existing, c.refused, c.skipped), (3, 0, 4, 2));
    // the preview shows rows as they will be stored: IDs and phones masked
    let first = plan.rows.iter().find(|r| r.row_no == 4).unwrap();
    match &first.outcome {
        Outcome::Create(new) => {
            let NewRow::Volunteer(v) = new.as_ref() else {
                panic!("{new:?}")
            };
            assert_eq!(v.name, "张三");
            assert!(new.summary().contains(&v.resident_id_masked));
            assert!(v.resident_id_masked.contains('*') && !v.resident_id_masked.contains(&r.good[0][6..14]));
            assert_eq!(v.region_code, "110105001001");
            assert_eq!(v.skills, vec!["急救", "摄影"]);
        }
        other => panic!("{other:?}"),
    }
    // a dry run wrote nothing
    assert_eq!(volunteers_named(&t, "张三").await, 0);

    let done = t.app.imports().run(&team_admin, plan, |_, _| {}).await.unwrap();
    assert_eq!((done.counts.created, done.counts.refused), (3, 4));
    for name in ["张三", "李四", "王五"] {
        assert_eq!(volunteers_named(&t, name).await, 1, "{name}");
    }
    // members of the team, and the one without a residence lives where the team is
    let mut conn = t.app.store.read().await.unwrap();
    let (members,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM memberships m JOIN volunteers v ON v.id = m.volunteer_id \
         WHERE m.organization_id = $1 AND v.name IN ('张三', '李四', '王五') AND m.status = 'approved'",
    )
    .bind(w.team_a)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(members, 3);
    let (home,): (String,) = sqlx::query_as("SELECT region_code FROM volunteers WHERE name = '李四'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(home, "110105001000");
    // one audit entry names the file by name and hash, with the counts
    let (after,): (String,) = sqlx::query_as("SELECT after_json FROM audit_log WHERE action = 'import.file'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let after: serde_json::Value = serde_json::from_str(&after).unwrap();
    assert_eq!(after["file"], "名册.xlsx");
    assert_eq!(after["created"], 3);
    assert_eq!(after["sha256"].as_str().unwrap().len(), 64);

    // the same file again: nothing twice
    let again = t
        .app
        .imports()
        .plan(&team_admin, &file, &options(Some(w.team_a)))
        .await
        .unwrap();
    let c = again.counts();
    assert_eq!((c.created, c.existing, c.refused), (0, 3, 4));
    let done = t.app.imports().run(&team_admin, again, |_, _| {}).await.unwrap();
    assert_eq!(done.counts.created, 0);

    // the refused rows as a workbook: original columns and 错误原因; fix one row, import it
    let book = done.plan.error_workbook().unwrap().unwrap();
    let sheet = read::read(&book, None).unwrap();
    assert_eq!(sheet.rows.len(), 5, "a header and the four refused rows");
    let reason_col = sheet.rows[0]
        .iter()
        .position(|c| c.shown() == "错误原因")
        .unwrap();
    assert_eq!(sheet.rows[0][3].shown(), "公民身份号码");
    assert!(sheet.rows[1][reason_col]
        .shown()
        .contains("公民身份号码：身份证号码校验位错误"));
    assert!(sheet.rows[2][reason_col].shown().contains("文本"));
    assert_eq!(
        sheet.rows[2][3].shown(),
        "110105199003070000",
        "as Excel showed it, as text"
    );
    let mut rows: Vec<Vec<C>> = Vec::new();
    for (i, row) in sheet.rows.iter().enumerate() {
        let cells: Vec<String> = row.iter().map(Raw::shown).collect();
        let fixed = if i == 1 {
            r.bad_checksum_fixed.clone()
        } else {
            cells[3].clone()
        };
        rows.push(
            cells
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    C::S(if j == 3 {
                        Box::leak(fixed.clone().into_boxed_str())
                    } else {
                        Box::leak(c.clone().into_boxed_str())
                    })
                })
                .collect(),
        );
    }
    let fixed_file = upload("名册-错误行.xlsx", xlsx(&rows));
    let plan = t
        .app
        .imports()
        .plan(&team_admin, &fixed_file, &options(Some(w.team_a)))
        .await
        .unwrap();
    let done = t.app.imports().run(&team_admin, plan, |_, _| {}).await.unwrap();
    assert_eq!(done.counts.created, 1, "only the fixed row");
    assert_eq!(volunteers_named(&t, "赵六").await, 1);
}

async fn csv_in_gbk_with_a_mapping_fixed_by_the_user(t: TestApp) {
    let w: World = world::build(&t).await;
    let office = caller(&t, &w.chaoyang).await;
    let id = new_resident_id("110105");
    let text = format!("名单\n姓名,证件,手机,居住地\n周九,{id},13800138009,建外测试社区\n");
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let file = upload("名单.csv", gbk.into_owned());
    // 证件 is no header the platform knows: the user maps it
    let plan = t
        .app
        .imports()
        .plan(&office, &file, &options(None))
        .await
        .unwrap();
    assert_eq!(plan.missing, vec!["身份证号"]);
    assert!(plan.rows.is_empty(), "no row is read without its ID column");
    let e = t.app.imports().run(&office, plan, |_, _| {}).await.unwrap_err();
    assert_eq!(e.code(), "mapping_incomplete");
    assert!(e.to_string().contains("身份证号"), "{e}");
    let mut o = options(None);
    o.mapping = vec![(1, Some(Field::ResidentId))];
    let plan = t.app.imports().plan(&office, &file, &o).await.unwrap();
    assert_eq!(plan.encoding, Some("GB18030"));
    assert_eq!(plan.counts().created, 1);
    t.app.imports().run(&office, plan, |_, _| {}).await.unwrap();
    assert_eq!(volunteers_named(&t, "周九").await, 1);
    // the office's next file with a 证件 column needs no mapping; another office's does
    let next = format!(
        "姓名,证件,手机,居住地\n吴十,{},13800138010,建外测试社区\n",
        new_resident_id("110105")
    );
    let (gbk, _, _) = encoding_rs::GBK.encode(&next);
    let file = upload("名单2.csv", gbk.into_owned());
    let plan = t
        .app
        .imports()
        .plan(&office, &file, &options(None))
        .await
        .unwrap();
    assert!(plan.missing.is_empty(), "{:?}", plan.missing);
    assert_eq!(plan.counts().created, 1);
    let other = caller(&t, &w.haidian).await;
    let plan = t.app.imports().plan(&other, &file, &options(None)).await.unwrap();
    assert_eq!(plan.missing, vec!["身份证号"]);
}

async fn rows_outside_the_callers_scope_are_refused_not_written(t: TestApp) {
    let w: World = world::build(&t).await;
    let office = caller(&t, &w.chaoyang).await;
    let inside = new_resident_id("110105");
    let outside = new_resident_id("110108");
    let rows = vec![
        vec![C::S("姓名"), C::S("身份证号"), C::S("手机"), C::S("居住社区")],
        vec![
            C::S("吴十"),
            C::S(&inside),
            C::S("13800138010"),
            C::S("建外测试社区"),
        ],
        vec![
            C::S("郑十一"),
            C::S(&outside),
            C::S("13800138011"),
            C::S("海淀测试社区"),
        ],
        vec![
            C::S("冯十二"),
            C::S(&outside),
            C::S("13800138012"),
            C::S("不存在的社区"),
        ],
        vec![C::S("陈十三"), C::S(&inside), C::S("13800138013"), C::S("")],
    ];
    let plan = t
        .app
        .imports()
        .plan(&office, &upload("a.xlsx", xlsx(&rows)), &options(None))
        .await
        .unwrap();
    assert_eq!(
        refused(&plan),
        vec![
            (3, vec!["region_out_of_scope"]),
            (4, vec!["region_unknown"]),
            (5, vec!["required"]),
        ]
    );
    t.app.imports().run(&office, plan, |_, _| {}).await.unwrap();
    assert_eq!(volunteers_named(&t, "郑十一").await, 0);
    // a team's admin imports into their own team (members may live anywhere), not another's;
    // a volunteer imports nothing
    let team_admin = caller(&t, &w.team_a_admin).await;
    let plan = t
        .app
        .imports()
        .plan(&team_admin, &upload("a.xlsx", xlsx(&rows)), &options(None))
        .await
        .unwrap();
    assert_eq!(plan.team.as_ref().map(|t| t.0), Some(w.team_a));
    assert_eq!(
        refused(&plan),
        vec![(4, vec!["region_unknown"]), (5, vec!["duplicate_in_file"])]
    );
    let e = t
        .app
        .imports()
        .plan(
            &team_admin,
            &upload("a.xlsx", xlsx(&rows)),
            &options(Some(w.team_b)),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "forbidden");
    let volunteer = caller(&t, &w.volunteer).await;
    let e = t
        .app
        .imports()
        .plan(&volunteer, &upload("a.xlsx", xlsx(&rows)), &options(None))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "forbidden");
}

async fn files_that_cannot_be_read_are_refused_with_a_reason(t: TestApp) {
    let w: World = world::build(&t).await;
    let office = caller(&t, &w.chaoyang).await;
    for (bytes, code) in [
        (Vec::new(), "file_empty"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), "file_not_spreadsheet"),
        ("张三,13800138000\n".as_bytes().to_vec(), "header_not_found"),
    ] {
        let e = t
            .app
            .imports()
            .plan(&office, &upload("x", bytes), &options(None))
            .await
            .unwrap_err();
        assert_eq!(e.code(), code);
    }
}

async fn volunteer_no_of(t: &TestApp, id: i64) -> String {
    let mut conn = t.app.store.read().await.unwrap();
    let (no,): (String,) = sqlx::query_as("SELECT volunteer_no FROM volunteers WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    no
}

async fn an_hours_sheet_enters_records_once_through_the_records_path(t: TestApp) {
    let w: World = world::build(&t).await;
    let team_admin = caller(&t, &w.team_a_admin).await;
    let no = volunteer_no_of(&t, w.v_a).await;
    let today = chrono::Local::now().date_naive();
    let day = |n: i64| today - chrono::Duration::days(n);
    let typed = |d: chrono::NaiveDate| d.format("%Y年%-m月%-d日").to_string();
    let unknown = zhiyuan_domain::people::volunteer_no::VolunteerNo::new("110105", 987_654)
        .as_str()
        .to_owned();
    let future = (today + chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    let (d30, d20) = (typed(day(30)), day(20).format("%Y.%-m.%-d").to_string());
    let rows = vec![
        vec![C::S("2026年建外街道志愿服务时长统计表")],
        vec![
            C::S("序号"),
            C::S("志愿者编号"),
            C::S("姓名"),
            C::S("活动名称"),
            C::S("服务日期"),
            C::S("服务时长（小时）"),
            C::S("服务地点"),
            C::S("服务内容"),
        ],
        vec![
            C::N(1.0),
            C::S(&no),
            C::S("王建国"),
            C::S("周末助老"),
            C::S(&d30),
            C::S("2小时30分"),
            C::S("建外测试社区"),
            C::S("陪伴老人"),
        ],
        vec![
            C::N(2.0),
            C::S(&no),
            C::S("王建国"),
            C::S("周末助老"),
            C::S(&d20),
            C::N(1.5),
            C::S(""),
            C::S(""),
        ],
        vec![
            C::N(3.0),
            C::S(&no),
            C::S("王建国"),
            C::S("周末助老"),
            C::S(&d30),
            C::S("2.5"),
            C::S(""),
            C::S(""),
        ],
        vec![
            C::N(4.0),
            C::S(&unknown),
            C::S("某人"),
            C::S("周末助老"),
            C::S(&d30),
            C::S("2"),
            C::S(""),
            C::S(""),
        ],
        vec![
            C::N(5.0),
            C::S(&no),
            C::S("李四"),
            C::S("周末助老"),
            C::S(&d30),
            C::S("2"),
            C::S(""),
            C::S(""),
        ],
        vec![
            C::N(6.0),
            C::S(&no),
            C::S("王建国"),
            C::S("周末助老"),
            C::S(&future),
            C::S("2"),
            C::S(""),
            C::S(""),
        ],
        vec![
            C::N(7.0),
            C::S(&no),
            C::S("王建国"),
            C::S("周末助老"),
            C::S(&d30),
            C::S("25"),
            C::S(""),
            C::S(""),
        ],
        vec![C::S("合计"), C::S(""), C::S(""), C::S(""), C::S(""), C::N(19.0)],
    ];
    let mut o = options(None);
    o.kind = ImportKind::Records;
    let file = upload("时长.xlsx", xlsx(&rows));
    let plan = t.app.imports().plan(&team_admin, &file, &o).await.unwrap();
    assert_eq!(
        refused(&plan),
        vec![
            (5, vec!["duplicate_in_file"]),
            (6, vec!["volunteer_unknown"]),
            (7, vec!["name_mismatch"]),
            (8, vec!["date_in_future"]),
            (9, vec!["minutes_invalid"]),
        ]
    );
    let c = plan.counts();
    assert_eq!((c.created, c.skipped), (2, 1));
    let done = t.app.imports().run(&team_admin, plan, |_, _| {}).await.unwrap();
    assert_eq!(done.counts.created, 2);
    let mut conn = t.app.store.read().await.unwrap();
    let got: Vec<(String, i64, String, String, i64)> = sqlx::query_as(
        "SELECT service_date, served_minutes, status, source, organization_id FROM service_records \
         WHERE volunteer_id = $1 AND activity = '周末助老' ORDER BY service_date",
    )
    .bind(w.v_a)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    drop(conn);
    assert_eq!(
        got,
        vec![
            (
                day(30).to_string(),
                150,
                "confirmed".into(),
                "team".into(),
                w.team_a
            ),
            (
                day(20).to_string(),
                90,
                "confirmed".into(),
                "team".into(),
                w.team_a
            ),
        ]
    );
    // the chain holds, and the same sheet again adds nothing
    let again = t.app.imports().plan(&team_admin, &file, &o).await.unwrap();
    assert_eq!((again.counts().created, again.counts().existing), (0, 2));
    // an office names the team in the sheet; a team out of its scope is refused
    let office = caller(&t, &w.chaoyang).await;
    let sheet = vec![
        vec![
            C::S("志愿者编号"),
            C::S("活动名称"),
            C::S("日期"),
            C::S("时长（分钟）"),
            C::S("组织单位"),
        ],
        vec![
            C::S(&no),
            C::S("垃圾分类宣传"),
            C::S(&d30),
            C::S("90"),
            C::S("建外邻里守望志愿服务队"),
        ],
        vec![
            C::S(&no),
            C::S("垃圾分类宣传"),
            C::S(&d20),
            C::S("90"),
            C::S("海淀科普志愿服务队"),
        ],
        vec![C::S(&no), C::S("垃圾分类宣传"), C::S(&d20), C::S("90"), C::S("")],
    ];
    let plan = t
        .app
        .imports()
        .plan(&office, &upload("b.xlsx", xlsx(&sheet)), &o)
        .await
        .unwrap();
    assert_eq!(
        refused(&plan),
        vec![(3, vec!["team_out_of_scope"]), (4, vec!["required"])]
    );
    let done = t.app.imports().run(&office, plan, |_, _| {}).await.unwrap();
    assert_eq!(done.counts.created, 1);
    let mut conn = t.app.store.read().await.unwrap();
    let (minutes,): (i64,) = sqlx::query_as(
        "SELECT served_minutes FROM service_records WHERE volunteer_id = $1 AND activity = '垃圾分类宣传'",
    )
    .bind(w.v_a)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(minutes, 90, "a column in minutes");
}

/// A roster of `n` people as CSV, each with a fresh ID.
fn big_roster(n: usize) -> String {
    let mut out = String::from("姓名,身份证号,手机,居住社区\n");
    for i in 0..n {
        out.push_str(&format!(
            "志愿者{},{},139{:08},建外测试社区\n",
            ["甲", "乙", "丙", "丁"][i % 4],
            new_resident_id("110105"),
            i
        ));
    }
    out
}

async fn the_page_takes_files_past_the_json_limit_and_refuses_ones_past_its_own(t: TestApp) {
    let _w: World = world::build(&t).await;
    let c = support::app::page_session(&t, "chaoyang").await;
    let send = |bytes: Vec<u8>| {
        let c = c.clone();
        let url = t.url("/imports");
        async move {
            let form = reqwest::multipart::Form::new().text("kind", "volunteers").part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("名册.csv"),
            );
            let r = c.post(url).multipart(form).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // about 300 KB: more than an API body, well within a file
    let csv = big_roster(5_000);
    assert!(csv.len() > 256 * 1024, "{}", csv.len());
    let (status, html) = send(csv.into_bytes()).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"count-created\">5000<"), "{html}");
    // past the page's 5 MB: refused beside the file field, nothing read
    let (status, html) = send(vec![b'a'; 6 * 1024 * 1024]).await;
    assert_eq!(status, 422);
    assert!(html.contains("文件过大"), "{html}");
    // no file at all
    let form = reqwest::multipart::Form::new().text("kind", "volunteers");
    let r = c.post(t.url("/imports")).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("请选择要导入的文件"));
}

async fn typed_formulas_come_back_as_text_in_the_error_workbook(t: TestApp) {
    let w: World = world::build(&t).await;
    let team_admin = caller(&t, &w.team_a_admin).await;
    let rows = vec![
        vec![C::S("姓名"), C::S("身份证号"), C::S("手机")],
        vec![C::S("=HYPERLINK(\"http://x\")"), C::S("@SUM(A1)"), C::S("+1-2")],
    ];
    let plan = t
        .app
        .imports()
        .plan(&team_admin, &upload("f.xlsx", xlsx(&rows)), &options(None))
        .await
        .unwrap();
    let book = plan.error_workbook().unwrap().unwrap();
    let sheet = read::read(&book, None).unwrap();
    assert_eq!(sheet.rows[1][0], Raw::Text("=HYPERLINK(\"http://x\")".into()));
    assert_eq!(sheet.rows[1][1], Raw::Text("@SUM(A1)".into()));
    assert_eq!(sheet.rows[1][2], Raw::Text("+1-2".into()));
}

both_backends!(
    typed_formulas_come_back_as_text_in_the_error_workbook,
    the_page_takes_files_past_the_json_limit_and_refuses_ones_past_its_own,
    an_hours_sheet_enters_records_once_through_the_records_path,
    a_messy_roster_imports_its_good_rows_and_refuses_the_rest_with_reasons,
    csv_in_gbk_with_a_mapping_fixed_by_the_user,
    rows_outside_the_callers_scope_are_refused_not_written,
    files_that_cannot_be_read_are_refused_with_a_reason,
);
