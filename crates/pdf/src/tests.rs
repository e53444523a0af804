use std::path::Path;
use std::process::Command;

use qrcode::{EcLevel, QrCode};

use super::*;
use crate::layout::{layout, qr_matrix, signature_excerpt};

const URL: &str = "https://zhiyuan.example.org/verify/ZY20261101050000123?sig=9f3a6c0e1b2d4f5a";

fn sample(records: usize) -> CertificateData {
    let activities = [
        "社区环境清洁",
        "关爱空巢老人上门探访",
        "文明交通劝导",
        "图书馆阅读推广与少儿绘本讲读志愿服务活动",
    ];
    let organizers = [
        "朝阳区建外街道志愿服务站",
        "北京市朝阳区新时代文明实践中心",
        "永安里社区",
    ];
    CertificateData {
        certificate_no: "ZY20261101050000123".into(),
        issued_on: "2026年11月22日".into(),
        volunteer_name: "张三".into(),
        id_type: "居民身份证".into(),
        id_masked: "110105********123X".into(),
        volunteer_no: "V1101050000456".into(),
        total_hours: "126.5".into(),
        period: "2025年1月1日至2026年11月22日".into(),
        records: (0..records)
            .map(|i| CertificateRecord {
                date: format!("2026年{}月{}日", i % 12 + 1, i % 28 + 1),
                activity: format!("{}（第{}次）", activities[i % activities.len()], i + 1),
                organizer: organizers[i % organizers.len()].into(),
                hours: format!("{}.5", i % 4 + 1),
            })
            .collect(),
        issuing_unit: "北京市朝阳区建外街道新时代文明实践所".into(),
        person_in_charge: "李四".into(),
        handler: "王五".into(),
        contact: "010-65001234".into(),
        notes: "本证明仅证明志愿服务记录情况，涂改无效。".into(),
        verify_url: URL.into(),
        signature: "9f3a6c0e1b2d4f5a8c7e6d5b4a392817f0e1d2c3b4a5968778695a4b3c2d1e0f".into(),
    }
}

/// Runs an external tool, or returns None (after saying so) when it is not installed.
fn run_tool(tool: &str, args: &[&str]) -> Option<std::process::Output> {
    match Command::new(tool).args(args).output() {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("note: {tool} is not installed (apt-get install poppler-utils / zbar-tools); skipping that check");
            None
        }
        Err(e) => panic!("running {tool}: {e}"),
    }
}

fn write_pdf(dir: &Path, pdf: &[u8]) -> String {
    let path = dir.join("certificate.pdf");
    std::fs::write(&path, pdf).unwrap();
    path.to_str().unwrap().to_string()
}

/// The PDF's text per pdftotext, with all whitespace removed; None without pdftotext.
fn extract_text(pdf_path: &str) -> Option<String> {
    let out = run_tool("pdftotext", &[pdf_path, "-"])?;
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect(),
    )
}

fn assert_sane_pdf(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    assert!(pdf.len() > 10_000, "suspiciously small: {} bytes", pdf.len());
    assert!(
        pdf.len() < 2_000_000,
        "font subset too large? {} bytes",
        pdf.len()
    );
}

#[test]
fn three_records_fit_on_one_page_and_text_extracts() {
    let data = sample(3);
    assert_eq!(layout(&data).unwrap().len(), 1);
    let pdf = render_certificate(&data).unwrap();
    assert_sane_pdf(&pdf);
    let dir = tempfile::tempdir().unwrap();
    let path = write_pdf(dir.path(), &pdf);
    if let Some(text) = extract_text(&path) {
        for needle in [
            "志愿服务记录证明",
            "张三",
            "110105********123X",
            "ZY20261101050000123",
            "累计服务时长126.5小时",
            "社区环境清洁（第1次）",
            "出具单位（盖章）：北京市朝阳区建外街道新时代文明实践所",
            "扫码验证真伪",
            "防伪签名：9f3a6c0e1b2d4f5a…",
            "第1页/共1页",
        ] {
            assert!(
                text.contains(needle),
                "{needle:?} missing from the extracted text:\n{text}"
            );
        }
    }
}

#[test]
fn long_record_lists_continue_with_repeated_header_and_page_numbers() {
    let data = sample(120);
    let pages = layout(&data).unwrap().len();
    assert!(pages >= 3, "120 records on only {pages} pages");
    let pdf = render_certificate(&data).unwrap();
    assert_sane_pdf(&pdf);
    let dir = tempfile::tempdir().unwrap();
    let path = write_pdf(dir.path(), &pdf);
    if let Some(out) = run_tool("pdfinfo", &[&path]) {
        let info = String::from_utf8_lossy(&out.stdout);
        assert!(
            info.lines()
                .any(|l| l.starts_with("Pages:") && l.ends_with(&format!(" {pages}"))),
            "{info}"
        );
    }
    if let Some(text) = extract_text(&path) {
        for needle in [
            "志愿服务记录证明（续）",
            "社区环境清洁（第117次）",
            "合计（共120条记录）",
            "110105********123X",
        ] {
            assert!(text.contains(needle), "{needle:?} missing");
        }
        // The header opens the table on every page that holds rows; only a last page with
        // nothing but the issuing block goes without.
        let with_table = layout(&data)
            .unwrap()
            .iter()
            .filter(|ops| {
                ops.iter()
                    .any(|op| matches!(op, Op::Text { text, .. } if text == "活动名称"))
            })
            .count();
        assert!(with_table >= pages - 1, "header on {with_table} of {pages} pages");
        assert_eq!(text.matches("活动名称").count(), with_table);
        for page in 1..=pages {
            assert!(
                text.contains(&format!("第{page}页/共{pages}页")),
                "page number {page} missing"
            );
        }
    }
}

#[test]
fn qr_code_drawn_is_the_verify_url_at_level_m() {
    let pages = layout(&sample(3)).unwrap();
    let drawn: Vec<_> = pages
        .iter()
        .flatten()
        .filter_map(|op| match op {
            Op::Qr {
                width, modules, size, ..
            } => Some((*width, modules.clone(), *size)),
            _ => None,
        })
        .collect();
    assert_eq!(drawn.len(), 1, "exactly one QR code");
    let (width, modules, size) = &drawn[0];
    let expected = QrCode::with_error_correction_level(URL, EcLevel::M).unwrap();
    assert_eq!(*width, expected.width());
    assert_eq!(modules.len(), width * width);
    let expected_dark = expected
        .to_colors()
        .iter()
        .filter(|c| **c == qrcode::Color::Dark)
        .count();
    assert_eq!(modules.iter().filter(|d| **d).count(), expected_dark);
    assert_eq!((*width, modules.clone()), qr_matrix(URL).unwrap());
    assert!(
        (size - layout::QR_SIZE).abs() < 0.01 && (80.0..90.0).contains(size),
        "about 30 mm"
    );
}

#[test]
fn qr_code_in_the_rendered_pdf_decodes_to_the_url() {
    let pdf = render_certificate(&sample(3)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_pdf(dir.path(), &pdf);
    let prefix = dir.path().join("page");
    let prefix = prefix.to_str().unwrap();
    let Some(out) = run_tool(
        "pdftoppm",
        &["-png", "-r", "150", "-f", "1", "-l", "1", &path, prefix],
    ) else {
        return;
    };
    assert!(out.status.success());
    let png = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("pdftoppm wrote a PNG");
    let Some(out) = run_tool("zbarimg", &["--quiet", "--raw", png.to_str().unwrap()]) else {
        return;
    };
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), URL);
}

#[test]
fn long_cells_are_truncated_and_empty_lists_say_so() {
    let mut data = sample(1);
    data.records[0].activity = "为期三个月的社区老年人智能手机使用培训与防范电信网络诈骗宣传志愿服务".into();
    let texts: Vec<String> = layout(&data)
        .unwrap()
        .into_iter()
        .flatten()
        .filter_map(|op| match op {
            Op::Text { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("为期三个月") && t.ends_with('…')),
        "{texts:?}"
    );

    data.records.clear();
    data.notes.clear();
    let texts: Vec<String> = layout(&data)
        .unwrap()
        .into_iter()
        .flatten()
        .filter_map(|op| match op {
            Op::Text { text, .. } => Some(text),
            _ => None,
        })
        .collect();
    assert!(texts.iter().any(|t| t == "暂无服务记录"));
    assert!(texts.iter().any(|t| t == "无"), "blank notes print as 无");
}

#[test]
fn signature_is_shown_as_grouped_excerpt() {
    assert_eq!(signature_excerpt("9f3a6c0e1b2d4f5a8c7e"), "9f3a 6c0e 1b2d 4f5a …");
    assert_eq!(signature_excerpt("abcd12"), "abcd 12");
    assert_eq!(signature_excerpt(""), "");
}

#[test]
fn rendering_is_deterministic() {
    let data = sample(5);
    assert_eq!(
        render_certificate(&data).unwrap(),
        render_certificate(&data).unwrap()
    );
}

/// Writes sample PDFs for looking at: `ZHIYUAN_PDF_SAMPLE_DIR=/tmp/x cargo test -p zhiyuan-pdf -- sample`.
#[test]
fn write_samples_when_asked() {
    let Some(dir) = std::env::var_os("ZHIYUAN_PDF_SAMPLE_DIR") else {
        return;
    };
    let dir = Path::new(&dir);
    std::fs::write(dir.join("three.pdf"), render_certificate(&sample(3)).unwrap()).unwrap();
    std::fs::write(dir.join("long.pdf"), render_certificate(&sample(120)).unwrap()).unwrap();
}

#[test]
fn issuing_block_keeps_the_last_records_and_stays_on_the_page() {
    for n in [0, 1, 3, 20, 27, 28, 29, 30, 31, 32, 33, 60, 95, 96, 97, 120, 300] {
        let mut data = sample(n);
        data.notes = "说明".repeat(400);
        let pages = layout(&data).unwrap();
        let last = pages.last().unwrap();
        let rows_on_last = last
            .iter()
            .filter(|op| matches!(op, Op::Text { text, .. } if text.parse::<usize>().is_ok()))
            .count();
        assert!(
            rows_on_last >= n.min(layout::TAIL_ROWS),
            "{n} records: {rows_on_last} rows with the block"
        );
        for op in pages.iter().flatten() {
            if let Op::Text { y, text, .. } = op {
                assert!(
                    *y <= layout::PAGE_H - 40.0,
                    "{n} records: {text:?} at y {y} runs off the page"
                );
            }
        }
    }
}
