//! The workbook of refused rows: the file's own columns, as the office typed them, and a
//! 错误原因 column, so the office fixes the rows in place and uploads the workbook again (its
//! header is found like the original's; the reason column maps to nothing).

use rust_xlsxwriter::{Format, FormatBorder, Workbook};
use zhiyuan_domain::imports::rows::RowError;

use super::{Outcome, Plan};
use crate::error::AppResult;
use crate::exports::xlsx;

/// The reasons of one row in words: each with the column it concerns.
pub fn reasons(plan: &Plan, errors: &[RowError]) -> String {
    errors
        .iter()
        .map(|e| {
            match e
                .column
                .and_then(|i| plan.header.columns.iter().find(|c| c.index == i))
                .map(|c| c.shown())
                .filter(|l| !l.is_empty())
            {
                Some(label) => format!("{label}：{}", e.message),
                None => e.message.clone(),
            }
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// The refused rows of `plan` as an .xlsx file (`None` when no row was refused).
pub fn workbook(plan: &Plan) -> AppResult<Option<Vec<u8>>> {
    let refused: Vec<(&super::PlannedRow, &Vec<RowError>)> = plan
        .rows
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Refused(e) => Some((r, e)),
            _ => None,
        })
        .collect();
    if refused.is_empty() {
        return Ok(None);
    }
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("需修改的行").map_err(xlsx)?;
    let bold = Format::new().set_bold().set_border_bottom(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let red = Format::new().set_font_color("#B00020").set_text_wrap();
    let width = plan
        .header
        .columns
        .iter()
        .map(|c| c.index + 1)
        .chain(refused.iter().map(|(r, _)| r.cells.len()))
        .max()
        .unwrap_or(0);
    for c in &plan.header.columns {
        sheet
            .write_string_with_format(0, c.index as u16, &c.label, &bold)
            .map_err(xlsx)?;
        sheet.set_column_width(c.index as u16, 16).map_err(xlsx)?;
    }
    let reason_col = width as u16;
    sheet
        .write_string_with_format(0, reason_col, "错误原因", &bold)
        .map_err(xlsx)?;
    sheet.set_column_width(reason_col, 48).map_err(xlsx)?;
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    for (k, (row, errors)) in refused.iter().enumerate() {
        let at = k as u32 + 1;
        for (j, cell) in row.cells.iter().enumerate() {
            let shown = cell.shown();
            if !shown.is_empty() {
                // as text: an ID or phone stays digits, a typed formula stays typed
                sheet
                    .write_string_with_format(at, j as u16, &shown, &text)
                    .map_err(xlsx)?;
            }
        }
        sheet
            .write_string_with_format(at, reason_col, reasons(plan, errors), &red)
            .map_err(xlsx)?;
    }
    Ok(Some(book.save_to_buffer().map_err(xlsx)?))
}
