//! Page layout of the certificate, as plain drawing operations (no font, no PDF): text
//! positions, lines, rectangles and the QR matrix, split into A4 pages. Coordinates are PDF
//! points with the origin at the top left of the page and y growing downwards; text `y` is the
//! baseline.

use qrcode::{Color, EcLevel, QrCode};

use crate::text::{text_width, truncate, wrap};
use crate::{CertificateData, CertificateRecord, PdfError};

pub(crate) const PAGE_W: f32 = 595.28;
pub(crate) const PAGE_H: f32 = 841.89;
const MM: f32 = 72.0 / 25.4;
const MARGIN_X: f32 = 56.0;
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
/// Lowest y content may reach; the footer lives below it.
const CONTENT_BOTTOM: f32 = PAGE_H - 66.0;
/// Top of the table on continuation pages.
const CONTINUATION_TOP: f32 = 96.0;

pub(crate) const BLACK: (u8, u8, u8) = (0, 0, 0);
const GREY: (u8, u8, u8) = (90, 90, 90);
const RULE: (u8, u8, u8) = (120, 120, 120);
const HEADER_FILL: (u8, u8, u8) = (232, 232, 232);
const FRAME: (u8, u8, u8) = (150, 28, 28);

const BODY_SIZE: f32 = 12.0;
const BODY_LEADING: f32 = 22.0;
const TABLE_SIZE: f32 = 10.0;
const HEADER_H: f32 = 22.0;
const ROW_H: f32 = 19.0;
const CELL_PAD: f32 = 5.0;
const FIELD_SIZE: f32 = 11.0;
const FIELD_LEADING: f32 = 19.0;
/// Side of the QR code: about 30 mm.
pub(crate) const QR_SIZE: f32 = 30.0 * MM;
const QR_COLUMN_W: f32 = 150.0;
const URL_SIZE: f32 = 6.5;
/// How many of the last records are kept on the page of the issuing block.
pub(crate) const TAIL_ROWS: usize = 3;
/// Longest a field of the issuing block may wrap to; longer text is cut with "…".
const MAX_FIELD_LINES: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// Text on one line; `x` is the left edge, the center or the right edge per `align`.
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        align: Align,
        color: (u8, u8, u8),
        bold: bool,
    },
    /// A filled rectangle.
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: (u8, u8, u8),
    },
    /// A stroked rectangle outline.
    Frame {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        width: f32,
        color: (u8, u8, u8),
    },
    /// A straight stroked line.
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: (u8, u8, u8),
    },
    /// A QR code: `modules` is the row-major matrix (`true` = dark) of side `width` modules,
    /// drawn as black squares in the `size`-point square at (`x`, `y`), quiet zone included.
    Qr {
        x: f32,
        y: f32,
        size: f32,
        width: usize,
        modules: Vec<bool>,
    },
}

fn text(x: f32, y: f32, size: f32, s: impl Into<String>, align: Align) -> Op {
    Op::Text {
        x,
        y,
        size,
        text: s.into(),
        align,
        color: BLACK,
        bold: false,
    }
}

fn line(x1: f32, y1: f32, x2: f32, y2: f32, width: f32) -> Op {
    Op::Line {
        x1,
        y1,
        x2,
        y2,
        width,
        color: RULE,
    }
}

/// The QR matrix of `url` (error correction level M): side length and row-major dark modules.
pub(crate) fn qr_matrix(url: &str) -> Result<(usize, Vec<bool>), PdfError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| PdfError::QrCode(e.to_string()))?;
    let modules = code.to_colors().into_iter().map(|c| c == Color::Dark).collect();
    Ok((code.width(), modules))
}

/// Table columns: heading, width, alignment of the cells.
const COLUMNS: [(&str, f32, Align); 5] = [
    ("序号", 34.0, Align::Center),
    ("日期", 92.0, Align::Center),
    ("活动名称", CONTENT_W - 34.0 - 92.0 - 130.0 - 66.0, Align::Left),
    ("组织单位", 130.0, Align::Left),
    ("时长(小时)", 66.0, Align::Center),
];

struct Pages {
    pages: Vec<Vec<Op>>,
    y: f32,
    certificate_no: String,
}

impl Pages {
    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("there is always a page")
    }

    /// Starts a continuation page with a small running head; `y` is left at its content top.
    fn continuation_page(&mut self) {
        let mut ops = Vec::new();
        ops.push(Op::Text {
            x: MARGIN_X,
            y: 66.0,
            size: 12.0,
            text: "志愿服务记录证明（续）".into(),
            align: Align::Left,
            color: BLACK,
            bold: true,
        });
        ops.push(Op::Text {
            x: MARGIN_X + CONTENT_W,
            y: 66.0,
            size: 9.0,
            text: format!("证明编号：{}", self.certificate_no),
            align: Align::Right,
            color: GREY,
            bold: false,
        });
        ops.push(line(MARGIN_X, 76.0, MARGIN_X + CONTENT_W, 76.0, 0.6));
        self.pages.push(ops);
        self.y = CONTINUATION_TOP;
    }

    fn table_header(&mut self) {
        let top = self.y;
        let ops = self.pages.last_mut().expect("there is always a page");
        ops.push(Op::Fill {
            x: MARGIN_X,
            y: top,
            w: CONTENT_W,
            h: HEADER_H,
            color: HEADER_FILL,
        });
        let mut x = MARGIN_X;
        for (heading, w, _) in COLUMNS {
            ops.push(Op::Text {
                x: x + w / 2.0,
                y: top + HEADER_H / 2.0 + TABLE_SIZE * 0.36,
                size: TABLE_SIZE,
                text: heading.into(),
                align: Align::Center,
                color: BLACK,
                bold: true,
            });
            x += w;
        }
        ops.push(line(MARGIN_X, top, MARGIN_X + CONTENT_W, top, 0.9));
        row_rules(ops, top, HEADER_H, &[]);
        self.y += HEADER_H;
    }

    /// One table row of `cells`; a cell spanning several columns is given as text for the first
    /// and `None` for the ones it covers.
    fn table_row(&mut self, cells: [Option<String>; 5], last: bool) {
        if self.y + ROW_H > CONTENT_BOTTOM {
            self.continuation_page();
            self.table_header();
        }
        let top = self.y;
        let ops = self.ops();
        let mut x = MARGIN_X;
        let mut merged_into = Vec::new();
        let mut i = 0;
        while i < COLUMNS.len() {
            let mut w = COLUMNS[i].1;
            let mut j = i + 1;
            while j < COLUMNS.len() && cells[j].is_none() {
                w += COLUMNS[j].1;
                merged_into.push(j);
                j += 1;
            }
            if let Some(cell) = &cells[i] {
                let fitted = truncate(cell, w - 2.0 * CELL_PAD, TABLE_SIZE);
                let (tx, align) = match COLUMNS[i].2 {
                    Align::Left if j - i == 1 => (x + CELL_PAD, Align::Left),
                    _ => (x + w / 2.0, Align::Center),
                };
                ops.push(text(
                    tx,
                    top + ROW_H / 2.0 + TABLE_SIZE * 0.36,
                    TABLE_SIZE,
                    fitted,
                    align,
                ));
            }
            x += w;
            i = j;
        }
        row_rules(ops, top, ROW_H, &merged_into);
        let bottom = top + ROW_H;
        ops.push(line(
            MARGIN_X,
            bottom,
            MARGIN_X + CONTENT_W,
            bottom,
            if last { 0.9 } else { 0.4 },
        ));
        self.y = bottom;
    }
}

/// Vertical rules of one table row, skipping the left edges of the `merged` columns.
fn row_rules(ops: &mut Vec<Op>, top: f32, h: f32, merged: &[usize]) {
    let mut x = MARGIN_X;
    for (i, (_, w, _)) in COLUMNS.iter().enumerate() {
        let width = if i == 0 { 0.9 } else { 0.4 };
        if !merged.contains(&i) {
            ops.push(line(x, top, x, top + h, width));
        }
        x += w;
    }
    ops.push(line(x, top, x, top + h, 0.9));
}

/// "a1b2c3d4e5f6a7b8…" → "a1b2 c3d4 e5f6 a7b8 …": the first 16 characters in groups of four.
pub(crate) fn signature_excerpt(signature: &str) -> String {
    let chars: Vec<char> = signature.trim().chars().collect();
    let head: Vec<String> = chars
        .iter()
        .take(16)
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|g| g.iter().copied().collect())
        .collect();
    let mut out = head.join(" ");
    if chars.len() > 16 {
        out.push_str(" …");
    }
    out
}

/// Lays the certificate out on as many A4 pages as it needs, without page numbers.
pub(crate) fn layout(data: &CertificateData) -> Result<Vec<Vec<Op>>, PdfError> {
    let (qr_width, qr_modules) = qr_matrix(&data.verify_url)?;
    let mut pages = Pages {
        pages: vec![Vec::new()],
        y: 0.0,
        certificate_no: data.certificate_no.clone(),
    };

    // Title and the certificate number.
    let ops = pages.ops();
    ops.push(Op::Text {
        x: PAGE_W / 2.0,
        y: 104.0,
        size: 26.0,
        text: "志愿服务记录证明".into(),
        align: Align::Center,
        color: BLACK,
        bold: true,
    });
    ops.push(Op::Text {
        x: MARGIN_X + CONTENT_W,
        y: 134.0,
        size: 9.5,
        text: format!("证明编号：{}", data.certificate_no),
        align: Align::Right,
        color: GREY,
        bold: false,
    });
    ops.push(line(MARGIN_X, 142.0, MARGIN_X + CONTENT_W, 142.0, 0.6));

    // The statement, first line indented by two characters.
    let statement = format!(
        "兹证明 {}（{}：{}，志愿者编号：{}）于 {} 期间参加志愿服务，累计服务时长 {} 小时。具体服务记录如下：",
        data.volunteer_name, data.id_type, data.id_masked, data.volunteer_no, data.period, data.total_hours
    );
    let indent = 2.0 * BODY_SIZE;
    let mut y = 176.0;
    for (i, l) in wrap(&statement, CONTENT_W - indent, CONTENT_W, BODY_SIZE)
        .into_iter()
        .enumerate()
    {
        let x = if i == 0 { MARGIN_X + indent } else { MARGIN_X };
        ops.push(text(x, y, BODY_SIZE, l, Align::Left));
        y += BODY_LEADING;
    }
    pages.y = y - BODY_LEADING + 14.0;

    // The issuing block (drawn after the table): fields on the left, QR code on the right,
    // signature below.
    let left_w = CONTENT_W - QR_COLUMN_W - 12.0;
    let label_w = text_width("出具单位（盖章）：", FIELD_SIZE);
    let notes = if data.notes.trim().is_empty() {
        "无".to_string()
    } else {
        data.notes.clone()
    };
    let fields = [
        ("出具单位（盖章）：", &data.issuing_unit),
        ("负责人：", &data.person_in_charge),
        ("经办人：", &data.handler),
        ("联系方式：", &data.contact),
        ("备注：", &notes),
        ("证明编号：", &data.certificate_no),
        ("出具日期：", &data.issued_on),
    ];
    let field_lines: Vec<(&str, Vec<String>)> = fields
        .iter()
        .map(|(label, value)| {
            let value_w = left_w - label_w;
            let mut lines = wrap(value, value_w, value_w, FIELD_SIZE);
            if lines.len() > MAX_FIELD_LINES {
                lines.truncate(MAX_FIELD_LINES);
                let last = format!("{}…………", lines[MAX_FIELD_LINES - 1]);
                lines[MAX_FIELD_LINES - 1] = truncate(&last, value_w, FIELD_SIZE);
            }
            (*label, lines)
        })
        .collect();
    let fields_h = field_lines.iter().map(|(_, ls)| ls.len()).sum::<usize>() as f32 * FIELD_LEADING;
    let url_lines = wrap(&data.verify_url, QR_COLUMN_W, QR_COLUMN_W, URL_SIZE);
    let qr_h = QR_SIZE + 16.0 + url_lines.len() as f32 * (URL_SIZE + 2.0);
    let block_h = 26.0 + fields_h.max(qr_h) + 22.0;

    // The records table, with a closing total row.
    if pages.y + HEADER_H + ROW_H > CONTENT_BOTTOM {
        pages.continuation_page();
    }
    pages.table_header();
    if data.records.is_empty() {
        pages.table_row([Some("暂无服务记录".into()), None, None, None, None], false);
    }
    // The last few records stay with the total and the issuing block: the block never stands on a
    // page of its own.
    let tail_from = data.records.len().saturating_sub(TAIL_ROWS);
    let tail_h = (data.records.len() - tail_from + 1) as f32 * ROW_H + block_h;
    for (
        i,
        CertificateRecord {
            date,
            activity,
            organizer,
            hours,
        },
    ) in data.records.iter().enumerate()
    {
        if i == tail_from && i > 0 && pages.y + tail_h > CONTENT_BOTTOM {
            pages.continuation_page();
            pages.table_header();
        }
        pages.table_row(
            [
                Some((i + 1).to_string()),
                Some(date.clone()),
                Some(activity.clone()),
                Some(organizer.clone()),
                Some(hours.clone()),
            ],
            false,
        );
    }
    pages.table_row(
        [
            Some(format!("合计（共 {} 条记录）", data.records.len())),
            None,
            None,
            None,
            Some(data.total_hours.clone()),
        ],
        true,
    );

    if pages.y + block_h > CONTENT_BOTTOM {
        pages.continuation_page();
    }
    let top = pages.y + 26.0;
    let ops = pages.ops();
    let mut fy = top + FIELD_SIZE;
    for (label, lines) in &field_lines {
        ops.push(text(MARGIN_X + label_w, fy, FIELD_SIZE, *label, Align::Right));
        for l in lines {
            ops.push(text(MARGIN_X + label_w, fy, FIELD_SIZE, l.clone(), Align::Left));
            fy += FIELD_LEADING;
        }
    }
    let qr_center = MARGIN_X + CONTENT_W - QR_COLUMN_W / 2.0;
    ops.push(Op::Qr {
        x: qr_center - QR_SIZE / 2.0,
        y: top,
        size: QR_SIZE,
        width: qr_width,
        modules: qr_modules,
    });
    let mut qy = top + QR_SIZE + 11.0;
    ops.push(text(qr_center, qy, 9.0, "扫码验证真伪", Align::Center));
    qy += 4.0;
    for l in url_lines {
        qy += URL_SIZE + 2.0;
        ops.push(Op::Text {
            x: qr_center,
            y: qy,
            size: URL_SIZE,
            text: l,
            align: Align::Center,
            color: GREY,
            bold: false,
        });
    }
    let sig_y = top + fields_h.max(qr_h) + 16.0;
    ops.push(Op::Text {
        x: MARGIN_X,
        y: sig_y,
        size: 8.0,
        text: format!("防伪签名：{}", signature_excerpt(&data.signature)),
        align: Align::Left,
        color: GREY,
        bold: false,
    });
    Ok(pages.pages)
}

/// Adds the frame and the "第 i 页 / 共 N 页" footer to every page.
pub(crate) fn decorate(pages: &mut [Vec<Op>]) {
    let total = pages.len();
    for (i, ops) in pages.iter_mut().enumerate() {
        ops.push(Op::Frame {
            x: 24.0,
            y: 24.0,
            w: PAGE_W - 48.0,
            h: PAGE_H - 48.0,
            width: 1.6,
            color: FRAME,
        });
        ops.push(Op::Frame {
            x: 29.0,
            y: 29.0,
            w: PAGE_W - 58.0,
            h: PAGE_H - 58.0,
            width: 0.5,
            color: FRAME,
        });
        ops.push(Op::Text {
            x: PAGE_W / 2.0,
            y: PAGE_H - 44.0,
            size: 9.0,
            text: format!("第 {} 页 / 共 {} 页", i + 1, total),
            align: Align::Center,
            color: GREY,
            bold: false,
        });
    }
}
