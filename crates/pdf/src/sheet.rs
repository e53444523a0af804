//! The sign-in sheet (签到表) of a shift: who signed up, with empty columns to sign in and out
//! by hand where phones are not used. Laid out as drawing operations like the certificate, on as
//! many A4 pages as the roster needs, the heading and column titles repeated on each.

use crate::layout::{Align, Op, BLACK, PAGE_H, PAGE_W};
use crate::text::truncate;

/// What a sign-in sheet says. Every field is display text, already formatted by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInSheet {
    /// 项目名称.
    pub project: String,
    /// 组织单位.
    pub organizer: String,
    /// The shift's time, e.g. "2026-12-05 09:00–11:00".
    pub time: String,
    pub place: String,
    /// 负责人 and contact.
    pub person_in_charge: String,
    /// The people on the roster, in order.
    pub lines: Vec<SheetLine>,
    /// Blank rows after the roster, for walk-in volunteers.
    pub blank_rows: usize,
    /// When the sheet was printed (Beijing time).
    pub printed_at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetLine {
    pub name: String,
    pub volunteer_no: String,
    /// 报名状态, e.g. 已通过 / 候补.
    pub status: String,
}

const MARGIN_X: f32 = 40.0;
const TOP: f32 = 56.0;
const BOTTOM: f32 = PAGE_H - 56.0;
const ROW_H: f32 = 26.0;
const SIZE: f32 = 10.5;
const RULE: (u8, u8, u8) = (110, 110, 110);
const HEAD_FILL: (u8, u8, u8) = (232, 232, 232);

/// Column titles and widths (points); the widths fill the page between the margins.
const COLUMNS: [(&str, f32); 7] = [
    ("序号", 34.0),
    ("姓名", 76.0),
    ("志愿者编号", 112.0),
    ("状态", 50.0),
    ("签到时间", 80.0),
    ("签退时间", 80.0),
    ("本人签名", 83.28),
];

fn text(x: f32, y: f32, size: f32, s: impl Into<String>, align: Align, bold: bool) -> Op {
    Op::Text {
        x,
        y,
        size,
        text: s.into(),
        align,
        color: BLACK,
        bold,
    }
}

fn rule(x1: f32, y1: f32, x2: f32, y2: f32) -> Op {
    Op::Line {
        x1,
        y1,
        x2,
        y2,
        width: 0.6,
        color: RULE,
    }
}

/// The heading of every page; returns where the table starts.
fn heading(ops: &mut Vec<Op>, s: &SignInSheet, page: usize) -> f32 {
    let title = if page == 1 {
        "志愿服务签到表".to_owned()
    } else {
        format!("志愿服务签到表（续第 {page} 页）")
    };
    ops.push(text(PAGE_W / 2.0, TOP, 18.0, title, Align::Center, true));
    let width = PAGE_W - 2.0 * MARGIN_X;
    let mut y = TOP + 28.0;
    for (label, value) in [
        ("项目", &s.project),
        ("组织单位", &s.organizer),
        ("时间", &s.time),
        ("地点", &s.place),
        ("负责人", &s.person_in_charge),
    ] {
        let line = format!("{label}：{value}");
        ops.push(text(
            MARGIN_X,
            y,
            SIZE,
            truncate(&line, width, SIZE),
            Align::Left,
            false,
        ));
        y += 17.0;
    }
    y + 6.0
}

fn column_titles(ops: &mut Vec<Op>, top: f32) {
    let width = PAGE_W - 2.0 * MARGIN_X;
    ops.push(Op::Fill {
        x: MARGIN_X,
        y: top,
        w: width,
        h: ROW_H,
        color: HEAD_FILL,
    });
    let mut x = MARGIN_X;
    for (title, w) in COLUMNS {
        ops.push(text(
            x + w / 2.0,
            top + ROW_H - 9.0,
            SIZE,
            title,
            Align::Center,
            true,
        ));
        x += w;
    }
}

/// The frame and column rules of a table from `top` down `rows` rows (the title row included).
fn grid(ops: &mut Vec<Op>, top: f32, rows: usize) {
    let width = PAGE_W - 2.0 * MARGIN_X;
    let bottom = top + rows as f32 * ROW_H;
    for r in 0..=rows {
        let y = top + r as f32 * ROW_H;
        ops.push(rule(MARGIN_X, y, MARGIN_X + width, y));
    }
    let mut x = MARGIN_X;
    ops.push(rule(x, top, x, bottom));
    for (_, w) in COLUMNS {
        x += w;
        ops.push(rule(x, top, x, bottom));
    }
}

/// The pages of the sheet: the roster's rows, then the blank rows, as many pages as needed;
/// each page with the heading, the column titles and, at its foot, the page number.
pub(crate) fn layout(s: &SignInSheet) -> Vec<Vec<Op>> {
    let total = s.lines.len() + s.blank_rows;
    let mut pages: Vec<Vec<Op>> = Vec::new();
    let mut next = 0;
    while next < total || pages.is_empty() {
        let mut ops = Vec::new();
        let top = heading(&mut ops, s, pages.len() + 1);
        column_titles(&mut ops, top);
        let fits = ((BOTTOM - top) / ROW_H) as usize - 1;
        let here = fits.min(total - next);
        for i in 0..here {
            let n = next + i;
            let y = top + (i + 1) as f32 * ROW_H + ROW_H - 9.0;
            let mut x = MARGIN_X;
            let cells: [String; 4] = match s.lines.get(n) {
                Some(l) => [
                    (n + 1).to_string(),
                    l.name.clone(),
                    l.volunteer_no.clone(),
                    l.status.clone(),
                ],
                None => [(n + 1).to_string(), String::new(), String::new(), String::new()],
            };
            for (cell, (_, w)) in cells.iter().zip(COLUMNS) {
                if !cell.is_empty() {
                    let shown = truncate(cell, w - 8.0, SIZE);
                    ops.push(text(x + w / 2.0, y, SIZE, shown, Align::Center, false));
                }
                x += w;
            }
        }
        grid(&mut ops, top, here + 1);
        next += here;
        pages.push(ops);
    }
    let count = pages.len();
    for (i, ops) in pages.iter_mut().enumerate() {
        ops.push(text(
            PAGE_W / 2.0,
            PAGE_H - 30.0,
            9.0,
            format!("第 {} 页 / 共 {count} 页　·　打印于 {}", i + 1, s.printed_at),
            Align::Center,
            false,
        ));
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(people: usize, blank: usize) -> SignInSheet {
        SignInSheet {
            project: "周末助老".into(),
            organizer: "建外邻里守望志愿服务队".into(),
            time: "2026-12-05 09:00–11:00".into(),
            place: "建外街道永安里".into(),
            person_in_charge: "王队长 13800138000".into(),
            lines: (0..people)
                .map(|i| SheetLine {
                    name: format!("志愿者{i}"),
                    volunteer_no: format!("1101050000{i:05}"),
                    status: "已通过".into(),
                })
                .collect(),
            blank_rows: blank,
            printed_at: "2026-12-02 18:00".into(),
        }
    }

    fn texts(page: &[Op]) -> Vec<String> {
        page.iter()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_person_has_a_numbered_row_and_the_columns_fit_the_page() {
        let width: f32 = COLUMNS.iter().map(|c| c.1).sum();
        assert!((width - (PAGE_W - 2.0 * MARGIN_X)).abs() < 0.5);
        let pages = layout(&sheet(3, 2));
        assert_eq!(pages.len(), 1);
        let t = texts(&pages[0]);
        for name in ["志愿者0", "志愿者1", "志愿者2", "本人签名", "5"] {
            assert!(t.iter().any(|x| x == name), "{name} in {t:?}");
        }
        assert!(!t.iter().any(|x| x == "6"), "3 people and 2 blank rows: 5 rows");
    }

    #[test]
    fn a_long_roster_continues_with_the_heading_on_every_page() {
        let pages = layout(&sheet(60, 0));
        assert!(pages.len() >= 2);
        let last = texts(pages.last().unwrap());
        assert!(last.iter().any(|x| x.starts_with("志愿服务签到表（续第")));
        assert!(
            last.iter().any(|x| x == "志愿者59"),
            "the last person is on the last page"
        );
        assert!(last.iter().any(|x| x == "签到时间"), "the columns repeat");
        let all: usize = pages
            .iter()
            .map(|p| {
                texts(p)
                    .iter()
                    .filter(|x| x.starts_with("志愿者") && !x.starts_with("志愿者编号"))
                    .count()
            })
            .sum();
        assert_eq!(all, 60, "each person once");
        assert!(texts(&pages[0])
            .iter()
            .any(|x| x.contains(&format!("共 {} 页", pages.len()))));
    }

    #[test]
    fn an_empty_roster_is_one_page_of_blank_rows() {
        let pages = layout(&sheet(0, 10));
        assert_eq!(pages.len(), 1);
        assert!(texts(&pages[0]).iter().any(|x| x == "10"));
    }
}
