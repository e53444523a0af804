//! Importing offices' spreadsheets (see `zhiyuan_domain::imports`): read the file, find its
//! header, check every row, show the plan, then write the good rows in chunks and give back the
//! refused ones, with their reasons, as a workbook to fix and upload again.
//!
//! Volunteers (志愿者花名册) import through the registration path, so a row becomes exactly what
//! the registration form makes (resident ID encrypted and hashed, volunteer number, team
//! membership, statistics); a volunteer already registered (by the keyed hash of the ID) is
//! never registered twice, whether the file is imported again or the error workbook is.

pub mod errors;
pub mod read;

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::imports::cells::Raw;
use zhiyuan_domain::imports::header::{self, Header};
use zhiyuan_domain::imports::rows::{self, FirstSeen, RowError, VolunteerRow};
use zhiyuan_domain::imports::{CellError, Field, ImportKind};
use zhiyuan_domain::network::{RegionCode, RegionLevel};
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::network::{orgs, regions};
use zhiyuan_store::people::volunteers;

use crate::access::{Caller, Scope};
use crate::error::{AppError, AppResult};
use crate::people::Checked;
use crate::{today, App};

pub use read::{Format, ReadError, Sheet};

/// Rows written per transaction: other writes (check-ins) wait at most one chunk.
pub const CHUNK: usize = 500;
/// Rows shown in the preview.
pub const PREVIEW_ROWS: usize = 20;

/// An uploaded file.
#[derive(Clone, Debug)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// How to read the file and where its rows go.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    pub kind: ImportKind,
    /// A sheet by name; default the first with data in it.
    pub sheet: Option<String>,
    /// The team the volunteers join (and whose region is their residence when a row names
    /// none); a team's admin's own team when not given.
    pub team_id: Option<i64>,
    /// The user's corrections to the mapping found: (column index, field or none).
    pub mapping: Vec<(usize, Option<Field>)>,
}

/// A new volunteer as the preview shows them: as they will be stored, ID and phone masked.
#[derive(Clone, Debug)]
pub struct NewVolunteer {
    pub name: String,
    pub gender: &'static str,
    pub birth_year: i32,
    pub resident_id_masked: String,
    pub phone_masked: String,
    pub region_code: String,
    pub skills: Vec<String>,
    pub categories: Vec<&'static str>,
    checked: Checked,
}

/// What would happen to one row.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// A new volunteer.
    Create(Box<NewVolunteer>),
    /// Registered already (this volunteer number).
    Exists(String),
    Refused(Vec<RowError>),
}

/// One data row of the file and its outcome.
#[derive(Clone, Debug)]
pub struct PlannedRow {
    /// The row number as Excel shows it.
    pub row_no: usize,
    pub cells: Vec<Raw>,
    pub outcome: Outcome,
}

/// The whole file, read and checked, nothing written yet.
#[derive(Clone, Debug)]
pub struct Plan {
    pub kind: ImportKind,
    pub file_name: String,
    /// SHA-256 of the file (the audit entry names the file by it).
    pub sha256: String,
    pub format: Format,
    pub encoding: Option<&'static str>,
    pub sheet_names: Vec<String>,
    pub sheet: String,
    pub header: Header,
    pub team: Option<(i64, String)>,
    /// Required fields no column is mapped to (e.g. "身份证号"): no row is read until they are.
    pub missing: Vec<String>,
    pub rows: Vec<PlannedRow>,
    /// Blank rows and 合计/小计 rows.
    pub skipped: usize,
}

/// Counts of a plan or of a finished import.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub created: usize,
    pub existing: usize,
    pub refused: usize,
    pub skipped: usize,
}

impl Plan {
    /// The refusal of a plan whose mapping leaves a required field out.
    pub fn incomplete(&self) -> Option<AppError> {
        (!self.missing.is_empty()).then(|| {
            AppError::invalid(
                "mapping",
                "mapping_incomplete",
                format!(
                    "缺少必填列：{}。请为它们指定文件中对应的列",
                    self.missing.join("、")
                ),
            )
        })
    }

    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            skipped: self.skipped,
            ..Counts::default()
        };
        for r in &self.rows {
            match r.outcome {
                Outcome::Create(_) => c.created += 1,
                Outcome::Exists(_) => c.existing += 1,
                Outcome::Refused(_) => c.refused += 1,
            }
        }
        c
    }

    /// The refused rows as a workbook: the file's own columns and a 错误原因 column.
    pub fn error_workbook(&self) -> AppResult<Option<Vec<u8>>> {
        errors::workbook(self)
    }
}

/// What an import did.
#[derive(Clone, Debug)]
pub struct Done {
    pub counts: Counts,
    /// Rows refused while writing (a volunteer registered by someone else meanwhile) join the
    /// plan's refused rows.
    pub plan: Plan,
}

/// Importing files.
pub struct Imports<'a>(pub(crate) &'a App);

/// Regions by code, and codes by name, for reading a residence column.
struct Regions {
    names: HashMap<String, Vec<String>>,
    known: std::collections::HashSet<String>,
}

impl Regions {
    /// The region a residence cell names: a 12-digit code, or a name (东华门街道, 北新桥社区),
    /// among the regions under `within` when the name alone is not unique.
    fn resolve(&self, text: &str, within: &str) -> Result<String, CellError> {
        let t = zhiyuan_domain::imports::cells::compact(text);
        if t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()) {
            return if self.known.contains(&t) {
                Ok(t)
            } else {
                Err(CellError::new(
                    "region_unknown",
                    format!("行政区划代码 {t} 不存在"),
                ))
            };
        }
        let candidates = self.names.get(&t).map(Vec::as_slice).unwrap_or(&[]);
        let inside: Vec<&String> = candidates.iter().filter(|c| c.starts_with(within)).collect();
        match (candidates, inside.as_slice()) {
            ([one], _) => Ok(one.clone()),
            (_, [one]) => Ok((*one).clone()),
            ([], _) => Err(CellError::new(
                "region_unknown",
                format!("找不到居住地“{t}”，请填写街道/社区的全称或 12 位行政区划代码"),
            )),
            _ => Err(CellError::new(
                "region_ambiguous",
                format!("居住地“{t}”有重名，请写上所在区/街道或填写 12 位行政区划代码"),
            )),
        }
    }
}

impl Imports<'_> {
    /// Reads and checks `upload` as `caller` would import it: nothing is written.
    pub async fn plan(&self, caller: &Caller, upload: &Upload, options: &ImportOptions) -> AppResult<Plan> {
        caller.require_admin()?;
        if options.kind != ImportKind::Volunteers {
            return Err(AppError::invalid(
                "kind",
                "import_kind_unsupported",
                format!("暂不支持导入{}，目前可导入志愿者花名册", options.kind.label_zh()),
            ));
        }
        let sheet = read::read(&upload.bytes, options.sheet.as_deref())
            .map_err(|e| AppError::invalid("file", e.code(), e.message_zh()))?;
        let header = header::find(options.kind, &sheet.rows)
            .map_err(|e| AppError::invalid("file", "header_not_found", e.message_zh(options.kind)))?
            .remapped(&options.mapping);
        let missing: Vec<String> = header
            .missing(options.kind)
            .iter()
            .map(|any| any.iter().map(|f| f.label_zh()).collect::<Vec<_>>().join("或"))
            .collect();
        let mut conn = self.0.conn().await?;
        // a team's admin imports into their own team unless they name one below it
        let team_id = options.team_id.or(match caller.scope {
            Scope::Team { org_id, .. } => Some(org_id),
            _ => None,
        });
        let team = match team_id {
            Some(id) => {
                let t = orgs::get(&mut conn, id)
                    .await?
                    .ok_or_else(|| AppError::invalid("team_id", "team_invalid", "所选队伍不存在"))?;
                caller.require_org(&t)?;
                if t.dissolved_at.is_some() {
                    return Err(AppError::invalid(
                        "team_id",
                        "org_dissolved",
                        format!("{}已解散", t.name),
                    ));
                }
                Some(t)
            }
            None => None,
        };
        let levels: Vec<&str> = RegionLevel::ALL.iter().map(|l| l.as_str()).collect();
        let all = regions::by_levels(&mut conn, &levels).await?;
        let mut names: HashMap<String, Vec<String>> = HashMap::new();
        for r in &all {
            names.entry(r.name.clone()).or_default().push(r.code.clone());
        }
        let places = Regions {
            names,
            known: all.iter().map(|r| r.code.clone()).collect(),
        };
        let home = team
            .as_ref()
            .map(|t| t.region_code.clone())
            .or_else(|| caller.region_prefix().map(str::to_owned))
            .unwrap_or_default();
        let region_column = header.column_of(Field::Region).map(|c| c.index);
        let today = today();
        let mut seen = FirstSeen::default();
        let mut planned = Vec::new();
        let mut skipped = 0;
        // with a required column unmapped no row can be read: the mapping is shown to be fixed
        let data = if missing.is_empty() {
            header.data_row
        } else {
            sheet.rows.len()
        };
        for (i, cells) in sheet.rows.iter().enumerate().skip(data) {
            if header::is_skipped(cells) {
                skipped += 1;
                continue;
            }
            let row_no = i + 1;
            let outcome = match rows::volunteer(&header, cells, today) {
                Err(errors) => Outcome::Refused(errors),
                Ok(v) => {
                    let fail = |column: Option<usize>, e: CellError| {
                        Outcome::Refused(vec![RowError {
                            column,
                            code: e.code,
                            message: e.message,
                        }])
                    };
                    match self.place(&v, &places, &home, team.is_some(), caller) {
                        Err(e) => fail(region_column, e),
                        Ok(region) => match seen.check(v.resident_id.as_str().to_owned(), row_no) {
                            Err(e) => fail(header.column_of(Field::ResidentId).map(|c| c.index), e),
                            Ok(()) => {
                                let hash = self.0.vault.lookup_hash(v.resident_id.as_str());
                                match volunteers::by_id_hash(&mut conn, &hash).await? {
                                    Some(found) => Outcome::Exists(found.volunteer_no.unwrap_or_default()),
                                    None => Outcome::Create(Box::new(NewVolunteer {
                                        name: v.name.as_str().to_owned(),
                                        gender: v.resident_id.gender().label_zh(),
                                        birth_year: v.resident_id.birth_year(),
                                        resident_id_masked: v.resident_id.masked(),
                                        phone_masked: v.phone.masked(),
                                        region_code: region.as_str().to_owned(),
                                        skills: v.skills.clone(),
                                        categories: v.categories.clone(),
                                        checked: Checked::imported(&v, region),
                                    })),
                                }
                            }
                        },
                    }
                }
            };
            planned.push(PlannedRow {
                row_no,
                cells: cells.clone(),
                outcome,
            });
        }
        Ok(Plan {
            kind: options.kind,
            file_name: upload.file_name.clone(),
            sha256: hex::encode(Sha256::digest(&upload.bytes)),
            format: sheet.format,
            encoding: sheet.encoding,
            sheet_names: sheet.sheet_names,
            sheet: sheet.name,
            header,
            team: team.map(|t| (t.id, t.name)),
            missing,
            rows: planned,
            skipped,
        })
    }

    /// The residence of a roster row, in the caller's scope.
    fn place(
        &self,
        v: &VolunteerRow,
        places: &Regions,
        home: &str,
        into_team: bool,
        caller: &Caller,
    ) -> Result<RegionCode, CellError> {
        let code = if v.region.is_empty() {
            if home.len() == 12 {
                home.to_owned()
            } else {
                return Err(CellError::new(
                    "required",
                    "居住地为空：请填写居住地，或导入到一支队伍（以队伍所在地为居住地）",
                ));
            }
        } else {
            places.resolve(&v.region, home)?
        };
        // a team's admin registers members wherever they live; otherwise, residents of the scope
        if !into_team && !caller.covers_region(&code) {
            return Err(CellError::new("region_out_of_scope", "居住地不在您的管理范围内"));
        }
        RegionCode::parse(&code).map_err(CellError::from)
    }

    /// Writes the plan's new volunteers, [`CHUNK`] to a transaction, and records the import in
    /// the audit log. A row registered by someone else since the plan was made is counted as
    /// existing, never registered twice.
    pub async fn run(
        &self,
        caller: &Caller,
        mut plan: Plan,
        mut progress: impl FnMut(usize, usize),
    ) -> AppResult<Done> {
        caller.require_admin()?;
        if let Some(e) = plan.incomplete() {
            return Err(e);
        }
        let team = match plan.team {
            Some((id, _)) => {
                let mut conn = self.0.conn().await?;
                let t = orgs::get(&mut conn, id)
                    .await?
                    .ok_or(AppError::NotFound("队伍"))?;
                caller.require_org(&t)?;
                Some(t)
            }
            None => None,
        };
        let total = plan.rows.len();
        let actor = (Some(caller.account_id), caller.display_name.as_str());
        let mut done = 0;
        for chunk in plan.rows.chunks_mut(CHUNK) {
            let mut tx = self.0.begin().await?;
            let mut wrote = false;
            for row in chunk.iter_mut() {
                if let Outcome::Create(new) = &row.outcome {
                    match self
                        .0
                        .people()
                        .insert_volunteer(&mut tx, &new.checked, actor, None, team.as_ref())
                        .await
                    {
                        Ok(_) => wrote = true,
                        Err(AppError::Conflict {
                            code: "resident_id_duplicate",
                            ..
                        }) => {
                            row.outcome = Outcome::Exists(String::new());
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            if wrote {
                tx.commit(self.0).await?;
            }
            // (else dropped: nothing to write, nothing to record)
            done += chunk.len();
            progress(done, total);
        }
        let counts = plan.counts();
        let mut tx = self.0.begin().await?;
        tx.audit(NewAudit {
            actor_id: actor.0,
            actor_name: actor.1.to_owned(),
            action: AuditAction::DataImport,
            entity_id: plan.sha256.clone(),
            region_code: caller.region_prefix().map(str::to_owned),
            org_path: team.as_ref().map(|t| t.path.clone()),
            before: None,
            after: Some(serde_json::json!({
                "kind": plan.kind.as_str(), "file": plan.file_name, "sha256": plan.sha256,
                "sheet": plan.sheet, "team_id": team.as_ref().map(|t| t.id),
                "created": counts.created, "existing": counts.existing,
                "refused": counts.refused, "skipped": counts.skipped,
            })),
        })
        .await?;
        tx.commit(self.0).await?;
        Ok(Done { counts, plan })
    }
}
