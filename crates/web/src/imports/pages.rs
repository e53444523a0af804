//! 导入花名册: upload a file, see how its columns were understood and what each row will
//! become, correct the mapping, confirm, and download the refused rows to fix.
//!
//! The file travels with the preview form (base64 in a hidden field) instead of being kept on
//! the server between preview and confirmation: personal data in an upload is never written
//! to disk, and a file is limited to [`MAX_FILE`] here (the command line takes any size).

use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::Engine;
use zhiyuan_app::idempotency::new_form_key;
use zhiyuan_app::imports::{errors, Counts, ImportOptions, Outcome, Plan, Upload};
use zhiyuan_app::AppError;
use zhiyuan_domain::imports::header::column_letter;
use zhiyuan_domain::imports::{Field, ImportKind};

use zhiyuan_app::Caller;

use crate::pages::{form_status, is_input_error, ok, once, render, Choice, Ctx, FormErrors, Nav, PageResult};
use crate::people::pages::team_choices;
use crate::AppState;

/// The largest file the page takes (about 40 000 roster rows).
pub(crate) const MAX_FILE: usize = 5 * 1024 * 1024;

#[derive(Template)]
#[template(path = "import_upload.html")]
struct UploadPage {
    nav: Nav,
    errors: FormErrors,
    team_admin: bool,
    teams: Vec<Choice>,
    kind: String,
}

pub(crate) async fn upload_form(ctx: Ctx) -> PageResult {
    let caller = ctx.require_login()?;
    if !caller.is_admin() {
        return Err(ctx.fail(AppError::Forbidden));
    }
    let own = caller.scope_org_id().map(|i| i.to_string()).unwrap_or_default();
    let teams = team_choices(&ctx.app, caller, &own)
        .await
        .map_err(|e| ctx.fail(e))?;
    ok(&UploadPage {
        nav: ctx.nav(),
        errors: FormErrors::default(),
        team_admin: caller.scope_org_id().is_some(),
        teams,
        kind: String::new(),
    })
}

/// One column on the preview: its header and the field it maps to.
struct ColumnRow {
    index: usize,
    letter: String,
    label: String,
    field: String,
}

/// One row on the preview or the result.
struct RowLine {
    row_no: usize,
    what: &'static str,
    class: &'static str,
    detail: String,
}

#[derive(Template)]
#[template(path = "import_preview.html")]
struct PreviewPage {
    nav: Nav,
    kind: &'static str,
    kind_label: &'static str,
    file_name: String,
    content: String,
    format: &'static str,
    encoding: String,
    sheet: String,
    sheets: Vec<String>,
    header_row: usize,
    team: String,
    team_id: String,
    columns: Vec<ColumnRow>,
    fields: Vec<(&'static str, &'static str)>,
    counts: Counts,
    rows: Vec<RowLine>,
    /// Rows not shown (the preview shows the first ones and every refused one).
    more: usize,
    /// After the import: the refused rows' workbook as a data URL.
    done: bool,
    error_book: Option<String>,
    error_book_name: String,
    form_key: String,
    errors: FormErrors,
}

/// The form the preview posts back: the file, and the mapping as the user set it.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub(crate) struct PreviewForm {
    kind: String,
    file_name: String,
    content: String,
    sheet: String,
    team_id: String,
    /// `列号=字段`, one a line, from the selects (see `mapping`).
    form_key: String,
    #[serde(flatten)]
    rest: std::collections::HashMap<String, String>,
}

impl PreviewForm {
    /// The selects `map_<column>` = field code or `none`.
    fn mapping(&self) -> Vec<(usize, Option<Field>)> {
        let mut out: Vec<(usize, Option<Field>)> = self
            .rest
            .iter()
            .filter_map(|(k, v)| {
                let i = k.strip_prefix("map_")?.parse().ok()?;
                Some((i, Field::parse(v)))
            })
            .collect();
        // columns given nothing first, so a field moved to another column ends there
        out.sort_by_key(|(i, f)| (f.is_some(), *i));
        out
    }
}

fn options(kind: &str, team_id: &str, sheet: &str, mapping: Vec<(usize, Option<Field>)>) -> ImportOptions {
    ImportOptions {
        kind: ImportKind::parse(kind).unwrap_or(ImportKind::Volunteers),
        sheet: Some(sheet.to_owned()).filter(|s| !s.is_empty()),
        team_id: team_id.trim().parse().ok(),
        mapping,
    }
}

fn preview_page(
    ctx: &Ctx,
    plan: &Plan,
    content: String,
    done: bool,
    errors: FormErrors,
) -> Result<PreviewPage, AppError> {
    let mut rows = Vec::new();
    let mut shown_ok = 0;
    let mut more = 0;
    for r in &plan.rows {
        let line = match &r.outcome {
            Outcome::Create(new) => {
                shown_ok += 1;
                if shown_ok > zhiyuan_app::imports::PREVIEW_ROWS {
                    more += 1;
                    continue;
                }
                RowLine {
                    row_no: r.row_no,
                    what: if done { "已导入" } else { "将新增" },
                    class: "ok",
                    detail: new.summary(),
                }
            }
            Outcome::Exists(_) if plan.kind == ImportKind::Records => RowLine {
                row_no: r.row_no,
                what: "已有",
                class: "muted",
                detail: "这条服务记录已经登记过，不重复导入".into(),
            },
            Outcome::Exists(no) => RowLine {
                row_no: r.row_no,
                what: "已注册",
                class: "muted",
                detail: if no.is_empty() {
                    "已是注册志愿者，不重复导入".into()
                } else {
                    format!("已是注册志愿者（编号 {no}），不重复导入")
                },
            },
            Outcome::Refused(e) => RowLine {
                row_no: r.row_no,
                what: "未导入",
                class: "bad",
                detail: errors::reasons(plan, e),
            },
        };
        rows.push(line);
    }
    let error_book = if done {
        plan.error_workbook()?.map(|b| {
            format!(
                "data:application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(b)
            )
        })
    } else {
        None
    };
    let stem = plan
        .file_name
        .rsplit_once('.')
        .map_or(plan.file_name.as_str(), |(s, _)| s);
    Ok(PreviewPage {
        nav: ctx.nav().at("/imports"),
        kind: plan.kind.as_str(),
        kind_label: plan.kind.label_zh(),
        file_name: plan.file_name.clone(),
        content,
        format: plan.format.label(),
        encoding: plan.encoding.unwrap_or_default().to_owned(),
        sheet: plan.sheet.clone(),
        sheets: plan.sheet_names.clone(),
        header_row: plan.header.first_row + 1,
        team: plan.team.as_ref().map(|t| t.1.clone()).unwrap_or_default(),
        team_id: plan.team.as_ref().map(|t| t.0.to_string()).unwrap_or_default(),
        columns: plan
            .header
            .columns
            .iter()
            .map(|c| ColumnRow {
                index: c.index,
                letter: column_letter(c.index),
                label: c.shown(),
                field: c.field.map(|f| f.as_str().to_owned()).unwrap_or_default(),
            })
            .collect(),
        fields: plan
            .kind
            .fields()
            .iter()
            .map(|(f, _)| (f.as_str(), f.label_zh()))
            .collect(),
        counts: plan.counts(),
        rows,
        more,
        done,
        error_book,
        error_book_name: format!("{stem}-错误行.xlsx"),
        form_key: new_form_key(),
        errors,
    })
}

async fn upload_error(ctx: &Ctx, caller: &Caller, e: &AppError, team: &str, kind: &str) -> PageResult {
    let teams = team_choices(&ctx.app, caller, team)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(render(
        form_status(e),
        &UploadPage {
            nav: ctx.nav().at("/imports"),
            errors: FormErrors::from_app(e),
            team_admin: caller.scope_org_id().is_some(),
            teams,
            kind: kind.to_owned(),
        },
    ))
}

/// The uploaded file: checked, planned and shown.
pub(crate) async fn upload(ctx: Ctx, mut form: Multipart) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let mut file: Option<Upload> = None;
    let mut sheet = String::new();
    let mut team = String::new();
    let mut kind = String::new();
    while let Some(field) = form.next_field().await.map_err(|_| {
        ctx.fail(AppError::invalid(
            "file",
            "file_too_large",
            format!(
                "文件过大：网页上一次最多导入 {} MB，更大的文件请分成几份，或用命令行 zhiyuan import 导入",
                MAX_FILE / 1024 / 1024
            ),
        ))
    })? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| ctx.fail(AppError::invalid("file", "file_too_large", "文件过大")))?;
                file = Some(Upload {
                    file_name: name,
                    bytes: bytes.to_vec(),
                });
            }
            Some("sheet") => sheet = field.text().await.unwrap_or_default(),
            Some("team_id") => team = field.text().await.unwrap_or_default(),
            Some("kind") => kind = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    let file = match file {
        Some(f) if !f.file_name.is_empty() || !f.bytes.is_empty() => f,
        _ => {
            return upload_error(
                &ctx,
                caller,
                &AppError::invalid("file", "file_missing", "请选择要导入的文件"),
                &team,
                &kind,
            )
            .await
        }
    };
    if file.bytes.len() > MAX_FILE {
        return upload_error(
            &ctx,
            caller,
            &AppError::invalid("file", "file_too_large", format!("文件过大：网页上一次最多导入 {} MB，更大的文件请分成几份，或用命令行 zhiyuan import 导入", MAX_FILE / 1024 / 1024)),
            &team,
            &kind,
        )
        .await;
    }
    match ctx
        .app
        .imports()
        .plan(caller, &file, &options(&kind, &team, &sheet, Vec::new()))
        .await
    {
        Ok(plan) => {
            let content = base64::engine::general_purpose::STANDARD.encode(&file.bytes);
            let errors = plan
                .incomplete()
                .map(|e| FormErrors::from_app(&e))
                .unwrap_or_default();
            let page = preview_page(&ctx, &plan, content, false, errors).map_err(|e| ctx.fail(e))?;
            ok(&page)
        }
        Err(e) if is_input_error(&e) => upload_error(&ctx, caller, &e, &team, &kind).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

fn upload_of(ctx: &Ctx, form: &PreviewForm) -> Result<Upload, Box<axum::response::Response>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(form.content.trim())
        .map_err(|_| {
            Box::new(ctx.fail(AppError::invalid(
                "file",
                "file_missing",
                "文件已失效，请重新上传",
            )))
        })?;
    Ok(Upload {
        file_name: form.file_name.clone(),
        bytes,
    })
}

/// The preview again, with the mapping as the user corrected it.
pub(crate) async fn preview(ctx: Ctx, Form(form): Form<PreviewForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let file = upload_of(&ctx, &form).map_err(|r| *r)?;
    let opts = options(&form.kind, &form.team_id, &form.sheet, form.mapping());
    match ctx.app.imports().plan(caller, &file, &opts).await {
        Ok(plan) => {
            let errors = plan
                .incomplete()
                .map(|e| FormErrors::from_app(&e))
                .unwrap_or_default();
            ok(&preview_page(&ctx, &plan, form.content, false, errors).map_err(|e| ctx.fail(e))?)
        }
        Err(e) if is_input_error(&e) => upload_error(&ctx, caller, &e, &form.team_id, &form.kind).await,
        Err(e) => Err(ctx.fail(e)),
    }
}

/// 确认导入: the plan made again from the same file and mapping, and written.
pub(crate) async fn run(ctx: Ctx, Form(form): Form<PreviewForm>) -> PageResult {
    let caller = ctx.require_login()?;
    ctx.guard_post()?;
    let file = upload_of(&ctx, &form).map_err(|r| *r)?;
    let opts = options(&form.kind, &form.team_id, &form.sheet, form.mapping());
    let key = form.form_key.clone();
    once(&ctx, caller, "imports.run", &key, async {
        let plan = match ctx.app.imports().plan(caller, &file, &opts).await {
            Ok(p) if p.incomplete().is_some() => {
                let errors = p
                    .incomplete()
                    .map(|e| FormErrors::from_app(&e))
                    .unwrap_or_default();
                let page =
                    preview_page(&ctx, &p, form.content.clone(), false, errors).map_err(|e| ctx.fail(e))?;
                return Ok(render(axum::http::StatusCode::UNPROCESSABLE_ENTITY, &page));
            }
            Ok(p) => p,
            Err(e) if is_input_error(&e) => {
                return upload_error(&ctx, caller, &e, &form.team_id, &form.kind).await
            }
            Err(e) => return Err(ctx.fail(e)),
        };
        let done = ctx
            .app
            .imports()
            .run(caller, plan, |_, _| {})
            .await
            .map_err(|e| ctx.fail(e))?;
        let page = preview_page(&ctx, &done.plan, String::new(), true, FormErrors::default())
            .map_err(|e| ctx.fail(e))?;
        ok(&page)
    })
    .await
}

pub(crate) fn routes(r: Router<AppState>) -> Router<AppState> {
    // base64 makes a file a third larger in the preview form
    let limit = DefaultBodyLimit::max(MAX_FILE * 3 / 2 + 64 * 1024);
    r.route("/imports", get(upload_form).post(upload).layer(limit))
        .route("/imports/preview", post(preview).layer(limit))
        .route("/imports/run", post(run).layer(limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_form_reads_its_selects() {
        let mut f = PreviewForm::default();
        f.rest.insert("map_2".into(), "resident_id".into());
        f.rest.insert("map_0".into(), "none".into());
        f.rest.insert("other".into(), "x".into());
        assert_eq!(f.mapping(), vec![(0, None), (2, Some(Field::ResidentId))]);
    }
}
