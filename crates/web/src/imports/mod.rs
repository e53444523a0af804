//! Importing spreadsheets at the edge: the upload page, the preview with the column mapping to
//! correct, and the result with the workbook of refused rows.

pub(crate) mod pages;
