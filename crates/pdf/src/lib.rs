//! The volunteer service certificate (志愿服务记录证明) as a printable A4 PDF.
//!
//! [`render_certificate`] lays the certificate out (title, statement, the service records table
//! continuing over as many pages as needed, the issuing block, a QR code of the verification URL,
//! the signature excerpt and page numbers) and writes it with krilla, which embeds a subset of the
//! CJK font found by [`find_cjk_font`]. The only I/O is reading that font file.

mod font;
mod layout;
mod sheet;
mod text;

use std::path::PathBuf;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;

pub use font::{find_cjk_font, FONT_ENV, SYSTEM_FONTS};
use layout::{Align, Op};
pub use sheet::{SheetLine, SignInSheet};

/// What a certificate says. Every field is display text, already formatted by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateData {
    /// Certificate number, e.g. `ZY20261101050000123`.
    pub certificate_no: String,
    /// Date of issue, e.g. `2026年11月22日`.
    pub issued_on: String,
    pub volunteer_name: String,
    /// ID type, e.g. `居民身份证`.
    pub id_type: String,
    /// Masked ID number, e.g. `110105********123X`.
    pub id_masked: String,
    pub volunteer_no: String,
    /// Cumulative hours, e.g. `126.5`.
    pub total_hours: String,
    /// Period covered, e.g. `2025年1月1日至2026年11月22日`.
    pub period: String,
    /// The service records; the table continues over further pages when long.
    pub records: Vec<CertificateRecord>,
    /// 出具单位
    pub issuing_unit: String,
    /// 负责人
    pub person_in_charge: String,
    /// 经办人
    pub handler: String,
    /// 联系方式
    pub contact: String,
    /// 备注 (printed as 无 when blank)
    pub notes: String,
    /// Encoded in the QR code and printed beneath it.
    pub verify_url: String,
    /// Hex signature; its first 16 characters are printed, grouped by four, as 防伪签名.
    pub signature: String,
}

/// One row of the service records table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateRecord {
    pub date: String,
    pub activity: String,
    pub organizer: String,
    pub hours: String,
}

/// Why a certificate could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("找不到中文字体，请安装 fonts-wqy-microhei（或设置环境变量 ZHIYUAN_CJK_FONT 指向字体文件）")]
    FontNotFound,
    #[error("环境变量 ZHIYUAN_CJK_FONT 指向的字体文件不存在：{}", .0.display())]
    FontEnvMissing(PathBuf),
    #[error("读取字体文件 {} 失败：{source}", path.display())]
    FontRead { path: PathBuf, source: std::io::Error },
    #[error("无法解析字体文件 {}", .0.display())]
    FontInvalid(PathBuf),
    #[error("无法生成验证二维码：{0}")]
    QrCode(String),
    #[error("生成 PDF 失败：{0}")]
    Render(String),
}

/// Renders the certificate as PDF bytes, using the font from [`find_cjk_font`].
pub fn render_certificate(data: &CertificateData) -> Result<Vec<u8>, PdfError> {
    let font = font::load_font(&find_cjk_font()?)?;
    let mut pages = layout::layout(data)?;
    layout::decorate(&mut pages);

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("志愿服务记录证明 {}", data.certificate_no))
            .language("zh-CN".into())
            .creator("Zhiyuan".into()),
    );
    let settings = PageSettings::from_wh(layout::PAGE_W, layout::PAGE_H)
        .ok_or_else(|| PdfError::Render("页面尺寸无效".into()))?;
    for ops in &pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, &font, op);
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| PdfError::Render(e.to_string()))
}

/// Renders a shift's sign-in sheet (签到表) as PDF bytes, with the font from [`find_cjk_font`].
pub fn render_sign_in_sheet(data: &SignInSheet) -> Result<Vec<u8>, PdfError> {
    let font = font::load_font(&find_cjk_font()?)?;
    let pages = sheet::layout(data);
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("志愿服务签到表 {}", data.project))
            .language("zh-CN".into())
            .creator("Zhiyuan".into()),
    );
    let settings = PageSettings::from_wh(layout::PAGE_W, layout::PAGE_H)
        .ok_or_else(|| PdfError::Render("页面尺寸无效".into()))?;
    for ops in &pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, &font, op);
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| PdfError::Render(e.to_string()))
}

fn fill(color: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        ..Fill::default()
    }
}

fn stroke(color: (u8, u8, u8), width: f32) -> Stroke {
    Stroke {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        width,
        ..Stroke::default()
    }
}

fn fill_rect(surface: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32, color: (u8, u8, u8)) {
    if let Some(rect) = Rect::from_xywh(x, y, w, h) {
        let mut pb = PathBuilder::new();
        pb.push_rect(rect);
        if let Some(path) = pb.finish() {
            surface.set_stroke(None);
            surface.set_fill(Some(fill(color)));
            surface.draw_path(&path);
        }
    }
}

fn draw(surface: &mut Surface<'_>, font: &Font, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            size,
            text,
            align,
            color,
            bold,
        } => {
            let width = text::text_width(text, *size);
            let left = match align {
                Align::Left => *x,
                Align::Center => x - width / 2.0,
                Align::Right => x - width,
            };
            surface.set_fill(Some(fill(*color)));
            // The CJK fonts at hand have no bold face: embolden by also stroking the outlines.
            surface.set_stroke(bold.then(|| stroke(*color, size * 0.03)));
            surface.draw_text(
                Point::from_xy(left, *y),
                font.clone(),
                *size,
                text,
                false,
                TextDirection::LeftToRight,
            );
        }
        Op::Fill { x, y, w, h, color } => fill_rect(surface, *x, *y, *w, *h, *color),
        Op::Frame {
            x,
            y,
            w,
            h,
            width,
            color,
        } => {
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                let mut pb = PathBuilder::new();
                pb.push_rect(rect);
                if let Some(path) = pb.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(Some(stroke(*color, *width)));
                    surface.draw_path(&path);
                }
            }
        }
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            color,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y1);
            pb.line_to(*x2, *y2);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(stroke(*color, *width)));
                surface.draw_path(&path);
            }
        }
        Op::Qr {
            x,
            y,
            size,
            width,
            modules,
        } => {
            // The matrix gets a quiet zone of 4 modules on every side; horizontal runs of dark
            // modules become one rectangle each (slightly overlapping to avoid hairline seams).
            let quiet = 4.0;
            let module = size / (*width as f32 + 2.0 * quiet);
            let mut pb = PathBuilder::new();
            for (row, cells) in modules.chunks(*width).enumerate() {
                let mut col = 0;
                while col < *width {
                    if !cells[col] {
                        col += 1;
                        continue;
                    }
                    let start = col;
                    while col < *width && cells[col] {
                        col += 1;
                    }
                    let rx = x + (quiet + start as f32) * module;
                    let ry = y + (quiet + row as f32) * module;
                    if let Some(rect) = Rect::from_xywh(rx, ry, (col - start) as f32 * module, module + 0.05)
                    {
                        pb.push_rect(rect);
                    }
                }
            }
            if let Some(path) = pb.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(fill(layout::BLACK)));
                surface.draw_path(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests;
