//! `zhiyuan import`: an office's spreadsheet into the platform from the command line, as a named
//! account (the audit log says who), with a progress bar, the same summary as the web page and
//! the workbook of refused rows.

use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use zhiyuan_app::imports::{ImportOptions, Outcome, Upload};
use zhiyuan_domain::imports::header::{column_index, column_letter};
use zhiyuan_domain::imports::{Field, ImportKind};

#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub db: crate::DbArgs,
    /// The file: .xlsx, .xls or .csv (UTF-8, GBK/GB18030 or UTF-16).
    pub file: PathBuf,
    /// What the file holds.
    #[arg(long, default_value = "volunteers", value_parser = parse_kind)]
    pub kind: ImportKind,
    /// The account the import is done as (its scope applies; the audit log names it).
    #[arg(long = "as")]
    pub account: String,
    /// The team the volunteers join (its region is their residence when a row names none).
    #[arg(long)]
    pub team: Option<i64>,
    /// The sheet to read (default: the first with data in it).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Corrections to the column mapping found, as COLUMN=FIELD (column letter or 1-based
    /// number; field such as resident_id, phone, or `none`), e.g. `--map C=resident_id`.
    #[arg(long = "map", value_parser = parse_map)]
    pub mapping: Vec<(usize, Option<Field>)>,
    /// Check the file and print what would happen; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where to save the workbook of refused rows (default: beside the file, `<name>-错误行.xlsx`).
    #[arg(long)]
    pub errors: Option<PathBuf>,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

fn parse_kind(s: &str) -> Result<ImportKind, String> {
    ImportKind::parse(s).ok_or_else(|| format!("unknown kind {s:?} (volunteers, teams, records, tallies)"))
}

/// `C=resident_id` or `3=none`: (0-based column, field).
fn parse_map(s: &str) -> Result<(usize, Option<Field>), String> {
    let (col, field) = s.split_once('=').ok_or("expected COLUMN=FIELD")?;
    let index = column_index(col).ok_or_else(|| {
        format!(
            "unknown column {:?} (a letter such as C, or a number from 1)",
            col.trim()
        )
    })?;
    let field = match field.trim() {
        "none" | "" => None,
        f => Some(Field::parse(f).ok_or_else(|| format!("unknown field {f:?}"))?),
    };
    Ok((index, field))
}

/// Runs the import; `Ok(false)` when rows were refused (exit code 2 says so).
pub async fn run(args: &ImportArgs) -> anyhow::Result<bool> {
    let app = crate::open(&args.db).await?;
    let caller = app
        .auth()
        .caller_by_username(&args.account)
        .await
        .with_context(|| format!("no account {}", args.account))?;
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let upload = Upload {
        file_name: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes,
    };
    let options = ImportOptions {
        kind: args.kind,
        sheet: args.sheet.clone(),
        team_id: args.team,
        mapping: args.mapping.clone(),
    };
    let plan = match app.imports().plan(&caller, &upload, &options).await {
        Ok(p) => p,
        Err(e) => return Err(say(e)),
    };
    println!(
        "{}：工作表“{}”，表头在第 {} 行",
        plan.format.label(),
        plan.sheet,
        plan.header.first_row + 1
    );
    for c in &plan.header.columns {
        let to = c.field.map_or("（不导入）", |f| f.label_zh());
        println!("  {}列 {} → {}", column_letter(c.index), c.shown(), to);
    }
    if let Some(e) = plan.incomplete() {
        return Err(say(e).context("use --map COLUMN=FIELD to name the columns"));
    }
    let plan = if args.dry_run {
        plan
    } else {
        let bar = if args.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(plan.rows.len() as u64)
        };
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} 行 {elapsed}").expect("a valid template"),
        );
        let done = app
            .imports()
            .run(&caller, plan, |n, _| bar.set_position(n as u64))
            .await
            .map_err(say)?;
        bar.finish_and_clear();
        done.plan
    };
    let c = plan.counts();
    let verb = if args.dry_run { "将新增" } else { "新增" };
    let (unit, there) = match plan.kind {
        ImportKind::Records => ("条服务记录", "已登记过"),
        _ => ("人", "已注册"),
    };
    println!(
        "{verb} {} {unit}；{there}（不重复导入）{} {unit}；有问题未导入 {} 行；跳过空行和合计行 {} 行",
        c.created, c.existing, c.refused, c.skipped
    );
    for r in &plan.rows {
        if let Outcome::Refused(errors) = &r.outcome {
            println!(
                "  第 {} 行：{}",
                r.row_no,
                zhiyuan_app::imports::errors::reasons(&plan, errors)
            );
        }
    }
    if let Some(book) = plan.error_workbook().map_err(say)? {
        let path = args.errors.clone().unwrap_or_else(|| {
            let stem = args
                .file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            args.file.with_file_name(format!("{stem}-错误行.xlsx"))
        });
        std::fs::write(&path, book).with_context(|| format!("writing {}", path.display()))?;
        println!("有问题的行已存入 {}：改正后可再次导入", path.display());
    }
    Ok(c.refused == 0)
}

/// An application error in words: the user's message, or what went wrong inside.
fn say(e: zhiyuan_app::error::AppError) -> anyhow::Error {
    use zhiyuan_app::error::AppError;
    match e {
        AppError::Internal(detail) => anyhow::anyhow!("{detail}"),
        AppError::Store(s) => anyhow::anyhow!("{s}"),
        AppError::Invalid(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join("；")
        ),
        e => anyhow::anyhow!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhiyuan_app::{App, Settings};
    use zhiyuan_domain::auth::Role;
    use zhiyuan_domain::people::resident_id::ResidentId;

    async fn count(app: &App) -> i64 {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM volunteers")
            .fetch_one(&mut *app.store.read().await.unwrap())
            .await
            .unwrap();
        n
    }

    #[tokio::test]
    async fn a_dry_run_writes_nothing_and_a_run_leaves_the_refused_rows_beside_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(&Settings::sqlite_in(dir.path())).await.unwrap();
        app.auth()
            .create_account_unchecked(
                "office",
                "office-pass-1",
                "区文明办",
                Role::DistrictAdmin,
                Some("110105"),
                None,
                None,
                None,
            )
            .await
            .unwrap();
        let id = |d: u32| {
            ResidentId::compose("110105", chrono::NaiveDate::from_ymd_opt(1990, 1, d).unwrap(), 11)
                .unwrap()
                .as_str()
                .to_owned()
        };
        let csv = format!(
            "姓名,证件,手机,居住地\n张三,{},13800000001,110105001000\n李四,{},13800000002,110105001000\n王五,{},138,110105001000\n",
            id(1),
            id(2),
            id(3)
        );
        let file = dir.path().join("名册.csv");
        std::fs::write(&file, csv).unwrap();
        let mut args = ImportArgs {
            db: crate::DbArgs {
                data_dir: dir.path().to_owned(),
                database: None,
                sqlite_sync_full: false,
            },
            file: file.clone(),
            kind: ImportKind::Volunteers,
            account: "office".into(),
            team: None,
            sheet: None,
            mapping: vec![parse_map("B=resident_id").unwrap()],
            dry_run: true,
            errors: None,
            quiet: true,
        };
        assert!(!run(&args).await.unwrap(), "a refused row says so");
        assert_eq!(count(&app).await, 0, "a dry run writes nothing");
        let book = dir.path().join("名册-错误行.xlsx");
        args.dry_run = false;
        assert!(!run(&args).await.unwrap());
        assert_eq!(count(&app).await, 2);
        let sheet = zhiyuan_app::imports::read::read(&std::fs::read(&book).unwrap(), None).unwrap();
        assert_eq!(sheet.rows.len(), 2, "the header and 王五");
        // the office mapped 证件 once: the file reads without --map now, and adds nobody twice
        args.mapping.clear();
        assert!(!run(&args).await.unwrap());
        assert_eq!(count(&app).await, 2, "nobody twice");
    }

    #[test]
    fn columns_by_letter_or_number() {
        assert_eq!(parse_map("C=resident_id").unwrap(), (2, Some(Field::ResidentId)));
        assert_eq!(parse_map("aa=none").unwrap(), (26, None));
        assert_eq!(parse_map("3=phone").unwrap(), (2, Some(Field::Phone)));
        assert!(parse_map("0=phone").is_err());
        assert!(parse_map("C=shoe_size").is_err());
    }
}
