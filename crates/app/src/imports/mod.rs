//! Importing offices' spreadsheets (see `zhiyuan_domain::imports`): read the file, find its
//! header, check every row, show the plan, then write the good rows in chunks and give back the
//! refused ones, with their reasons, as a workbook to fix and upload again.
//!
//! Volunteers (志愿者花名册) import through the registration path, so a row becomes exactly what
//! the registration form makes (resident ID encrypted and hashed, volunteer number, team
//! membership, statistics); a volunteer already registered (by the keyed hash of the ID) is
//! never registered twice, whether the file is imported again or the error workbook is.
//!
//! Service records (服务时长统计表) import as team entries (团体录入) through the records append
//! path, so each is confirmed, hash-chained, counted in the star totals and statistics and
//! audited as if entered on the page; a record is known again by its volunteer, team, day,
//! activity and minutes, so a second import adds none twice.

pub mod errors;
pub mod read;

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::imports::cells::Raw;
use zhiyuan_domain::imports::header::{self, Header};
use zhiyuan_domain::imports::rows::{self, FirstSeen, RecordRow, RowError, VolunteerRow, Who};
use zhiyuan_domain::imports::{CellError, Field, ImportKind};
use zhiyuan_domain::network::{RegionCode, RegionLevel};
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::network::orgs::OrgRow;
use zhiyuan_store::network::{orgs, regions};
use zhiyuan_store::people::volunteers;
use zhiyuan_store::service::records as stored_records;
use zhiyuan_store::service::signups::lock_volunteer;

use crate::access::{Caller, Scope};
use crate::error::{AppError, AppResult};
use crate::people::Checked;
use crate::service::records::{check_texts, enter_imported, Texts};
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

/// A new service record as the preview shows it.
#[derive(Clone, Debug)]
pub struct NewServiceRecord {
    pub volunteer_name: String,
    pub volunteer_no: String,
    pub date: String,
    pub activity: String,
    /// Minutes served, as the sheet says (the rounding rule applies when it is stored).
    pub minutes: i64,
    pub team: String,
    volunteer_id: i64,
    org: Box<OrgRow>,
    texts: Texts,
    category: String,
}

/// What a new row becomes.
#[derive(Clone, Debug)]
pub enum NewRow {
    Volunteer(NewVolunteer),
    Record(NewServiceRecord),
}

impl NewRow {
    /// One line for the preview (IDs and phones masked).
    pub fn summary(&self) -> String {
        match self {
            NewRow::Volunteer(v) => format!(
                "{}　{}　{}　手机 {}{}",
                v.name,
                v.gender,
                v.resident_id_masked,
                v.phone_masked,
                if v.skills.is_empty() {
                    String::new()
                } else {
                    format!("　技能 {}", v.skills.join("、"))
                }
            ),
            NewRow::Record(r) => format!(
                "{}（{}）　{}　{}　{} 小时　{}",
                r.volunteer_name,
                r.volunteer_no,
                r.date,
                r.activity,
                zhiyuan_domain::service::format_hours(r.minutes),
                r.team
            ),
        }
    }
}

/// What would happen to one row.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// A new volunteer or record.
    Create(Box<NewRow>),
    /// There already (a volunteer: their number).
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
    /// The unit whose mapping is remembered (the caller's team, site or office).
    pub unit: String,
    /// Columns mapped otherwise than their labels say (label key, field): kept for the unit's
    /// next file when the import runs.
    pub corrections: Vec<(String, Option<Field>)>,
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

/// What reading rows of one kind needs across rows.
enum ByKind {
    Volunteers {
        places: Regions,
        seen: FirstSeen,
    },
    Records {
        teams: HashMap<String, Result<OrgRow, CellError>>,
        seen: FirstSeen,
    },
}

/// Whose column mappings an import remembers: the caller's team, site or office.
fn unit_of(caller: &Caller) -> String {
    match &caller.scope {
        Scope::Team { org_id, .. } => format!("org:{org_id}"),
        Scope::Site { site_id, .. } => format!("site:{site_id}"),
        Scope::Region { prefix } => format!("region:{prefix}"),
        Scope::Own => format!("account:{}", caller.account_id),
    }
}

/// A row refused for one reason, in the column of `field`.
fn refused(header: &Header, field: Field, e: CellError) -> Outcome {
    Outcome::Refused(vec![RowError {
        column: header.column_of(field).map(|c| c.index),
        code: e.code,
        message: e.message,
    }])
}

impl Imports<'_> {
    /// Reads and checks `upload` as `caller` would import it: nothing is written.
    pub async fn plan(&self, caller: &Caller, upload: &Upload, options: &ImportOptions) -> AppResult<Plan> {
        caller.require_admin()?;
        if !matches!(options.kind, ImportKind::Volunteers | ImportKind::Records) {
            return Err(AppError::invalid(
                "kind",
                "import_kind_unsupported",
                format!(
                    "暂不支持导入{}，目前可导入志愿者花名册和服务时长表",
                    options.kind.label_zh()
                ),
            ));
        }
        let sheet = read::read(&upload.bytes, options.sheet.as_deref())
            .map_err(|e| AppError::invalid("file", e.code(), e.message_zh()))?;
        let found = header::find(options.kind, &sheet.rows)
            .map_err(|e| AppError::invalid("file", "header_not_found", e.message_zh(options.kind)))?;
        let mut conn = self.0.conn().await?;
        // the unit's corrections to earlier files, then the user's to this one
        let unit = unit_of(caller);
        let kept = zhiyuan_store::imports::remembered(&mut conn, &unit, options.kind.as_str()).await?;
        let memory: Vec<(usize, Option<Field>)> = found
            .columns
            .iter()
            .filter_map(|c| {
                let key = header::label_key(&c.label);
                kept.iter()
                    .find(|(label, _)| *label == key)
                    .map(|(_, f)| (c.index, Field::parse(f)))
            })
            .collect();
        let header = found.remapped(&memory).remapped(&options.mapping);
        let corrections: Vec<(String, Option<Field>)> = header
            .columns
            .iter()
            .zip(&found.columns)
            .filter(|(now, auto)| now.field != auto.field && !now.label.is_empty())
            .map(|(now, _)| (header::label_key(&now.label), now.field))
            .collect();
        let missing: Vec<String> = header
            .missing(options.kind)
            .iter()
            .map(|any| any.iter().map(|f| f.label_zh()).collect::<Vec<_>>().join("或"))
            .collect();
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
        let mut by_kind = match options.kind {
            ImportKind::Records => ByKind::Records {
                teams: HashMap::new(),
                seen: FirstSeen::default(),
            },
            _ => {
                let levels: Vec<&str> = RegionLevel::ALL.iter().map(|l| l.as_str()).collect();
                let all = regions::by_levels(&mut conn, &levels).await?;
                let mut names: HashMap<String, Vec<String>> = HashMap::new();
                for r in &all {
                    names.entry(r.name.clone()).or_default().push(r.code.clone());
                }
                ByKind::Volunteers {
                    places: Regions {
                        names,
                        known: all.iter().map(|r| r.code.clone()).collect(),
                    },
                    seen: FirstSeen::default(),
                }
            }
        };
        let today = today();
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
            let outcome = match &mut by_kind {
                ByKind::Volunteers { places, seen } => match rows::volunteer(&header, cells, today) {
                    Err(errors) => Outcome::Refused(errors),
                    Ok(v) => {
                        self.volunteer_outcome(
                            &mut conn,
                            caller,
                            &header,
                            team.as_ref(),
                            places,
                            seen,
                            v,
                            row_no,
                        )
                        .await?
                    }
                },
                ByKind::Records { teams, seen } => match rows::record(&header, cells, today) {
                    Err(errors) => Outcome::Refused(errors),
                    Ok(r) => {
                        self.record_outcome(&mut conn, caller, &header, team.as_ref(), teams, seen, r, row_no)
                            .await?
                    }
                },
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
            unit,
            corrections,
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

    #[allow(clippy::too_many_arguments)]
    async fn volunteer_outcome(
        &self,
        conn: &mut zhiyuan_store::Conn,
        caller: &Caller,
        header: &Header,
        team: Option<&OrgRow>,
        places: &Regions,
        seen: &mut FirstSeen,
        v: VolunteerRow,
        row_no: usize,
    ) -> AppResult<Outcome> {
        let home = team
            .map(|t| t.region_code.clone())
            .or_else(|| caller.region_prefix().map(str::to_owned))
            .unwrap_or_default();
        let region = match self.place(&v, places, &home, team.is_some(), caller) {
            Ok(r) => r,
            Err(e) => return Ok(refused(header, Field::Region, e)),
        };
        if let Err(e) = seen.check(v.resident_id.as_str().to_owned(), row_no) {
            return Ok(refused(header, Field::ResidentId, e));
        }
        let hash = self.0.vault.lookup_hash(v.resident_id.as_str());
        Ok(match volunteers::by_id_hash(conn, &hash).await? {
            Some(found) => Outcome::Exists(found.volunteer_no.unwrap_or_default()),
            None => Outcome::Create(Box::new(NewRow::Volunteer(NewVolunteer {
                name: v.name.as_str().to_owned(),
                gender: v.resident_id.gender().label_zh(),
                birth_year: v.resident_id.birth_year(),
                resident_id_masked: v.resident_id.masked(),
                phone_masked: v.phone.masked(),
                region_code: region.as_str().to_owned(),
                skills: v.skills.clone(),
                categories: v.categories.clone(),
                checked: Checked::imported(&v, region),
            }))),
        })
    }

    /// The team an hours-sheet row names, in the caller's scope (each name looked up once).
    async fn team_named(
        &self,
        conn: &mut zhiyuan_store::Conn,
        caller: &Caller,
        teams: &mut HashMap<String, Result<OrgRow, CellError>>,
        name: &str,
    ) -> AppResult<Result<OrgRow, CellError>> {
        if let Some(found) = teams.get(name) {
            return Ok(found.clone());
        }
        let all = orgs::by_name(conn, name).await?;
        let mine: Vec<&OrgRow> = all.iter().filter(|o| caller.administers(o)).collect();
        let found = match (all.len(), mine.as_slice()) {
            (_, [one]) => Ok((*one).clone()),
            (0, _) => Err(CellError::new(
                "team_unknown",
                format!("找不到队伍“{name}”：请填写队伍的全称"),
            )),
            (_, []) => Err(CellError::new(
                "team_out_of_scope",
                format!("队伍“{name}”不在您的管理范围内"),
            )),
            _ => Err(CellError::new(
                "team_ambiguous",
                format!("有多支队伍名为“{name}”，请改为导入到所选队伍"),
            )),
        };
        teams.insert(name.to_owned(), found.clone());
        Ok(found)
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_outcome(
        &self,
        conn: &mut zhiyuan_store::Conn,
        caller: &Caller,
        header: &Header,
        team: Option<&OrgRow>,
        teams: &mut HashMap<String, Result<OrgRow, CellError>>,
        seen: &mut FirstSeen,
        r: RecordRow,
        row_no: usize,
    ) -> AppResult<Outcome> {
        let org = if r.team.is_empty() {
            match team {
                Some(t) => t.clone(),
                None => {
                    return Ok(refused(
                        header,
                        Field::Team,
                        CellError::new(
                            "required",
                            "组织队伍为空：请在文件中填写组织队伍，或选择导入到的队伍",
                        ),
                    ))
                }
            }
        } else {
            match self.team_named(conn, caller, teams, &r.team).await? {
                Ok(o) => o,
                Err(e) => return Ok(refused(header, Field::Team, e)),
            }
        };
        let (who_field, found) = match &r.who {
            Who::ResidentId(id) => {
                let hash = self.0.vault.lookup_hash(id.as_str());
                (Field::ResidentId, volunteers::by_id_hash(conn, &hash).await?)
            }
            Who::VolunteerNo(no) => (
                Field::VolunteerNo,
                match volunteers::id_by_number(conn, no.as_str()).await? {
                    Some(id) => volunteers::get(conn, id).await?,
                    None => None,
                },
            ),
        };
        let Some(v) = found else {
            return Ok(refused(
                header,
                who_field,
                CellError::new(
                    "volunteer_unknown",
                    "未找到该志愿者：请先登记或导入志愿者，再导入服务时长",
                ),
            ));
        };
        if v.closed_at.is_some() {
            return Ok(refused(
                header,
                who_field,
                CellError::new("volunteer_closed", "该志愿者已注销"),
            ));
        }
        if !volunteers::visible(conn, v.id, &caller.volunteer_visibility()).await? {
            return Ok(refused(
                header,
                who_field,
                CellError::new("volunteer_out_of_scope", "该志愿者不在您的管理范围内"),
            ));
        }
        if let Some(n) = r.name.as_ref().filter(|n| n.as_str() != v.name) {
            return Ok(refused(
                header,
                Field::Name,
                CellError::new(
                    "name_mismatch",
                    format!(
                        "姓名“{}”与证件对应的志愿者（{}）不符",
                        n.as_str(),
                        zhiyuan_domain::people::masked_name(&v.name)
                    ),
                ),
            ));
        }
        let person = if r.person_in_charge.is_empty() {
            caller.display_name.clone()
        } else {
            r.person_in_charge.clone()
        };
        let date = r.date.format("%Y-%m-%d").to_string();
        // hours sheets seldom say where and what: the team's place, and the activity itself
        let place = if r.place.is_empty() {
            org.region_name.clone()
        } else {
            r.place.clone()
        };
        let content = if r.content.is_empty() {
            r.activity.clone()
        } else {
            r.content.clone()
        };
        let texts = match check_texts(&r.activity, &date, &place, &content, &person) {
            Ok(t) => t,
            Err(errs) => {
                return Ok(Outcome::Refused(
                    errs.into_iter()
                        .map(|e| RowError {
                            column: header
                                .column_of(match e.field {
                                    "activity" => Field::Activity,
                                    "service_date" => Field::ServiceDate,
                                    "place" => Field::Place,
                                    "content" => Field::Content,
                                    _ => Field::PersonInCharge,
                                })
                                .map(|c| c.index),
                            code: e.code,
                            message: e.message,
                        })
                        .collect(),
                ))
            }
        };
        if let Err(e) = seen.check(format!("{}|{}", org.id, rows::record_key(&r)), row_no) {
            return Ok(refused(header, who_field, e));
        }
        let minutes = i64::from(r.minutes);
        if stored_records::has_entry(conn, v.id, org.id, &texts.date, &texts.activity, minutes).await? {
            return Ok(Outcome::Exists(String::new()));
        }
        Ok(Outcome::Create(Box::new(NewRow::Record(NewServiceRecord {
            volunteer_name: v.name.clone(),
            volunteer_no: v.volunteer_no.clone().unwrap_or_default(),
            date: texts.date.clone(),
            activity: texts.activity.clone(),
            minutes,
            team: org.name.clone(),
            volunteer_id: v.id,
            org: Box::new(org),
            texts,
            category: r.category.unwrap_or_default().to_owned(),
        }))))
    }

    /// Writes the plan's new rows, [`CHUNK`] to a transaction, and records the import in the
    /// audit log. A volunteer registered, or a record entered, by someone else since the plan
    /// was made is counted as existing, never written twice.
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
            // a row someone else wrote meanwhile fails its insert, which ends a PostgreSQL
            // transaction: the chunk is written again without it
            'chunk: loop {
                let mut tx = self.0.begin().await?;
                let mut wrote = false;
                for row in chunk.iter_mut() {
                    let Outcome::Create(new) = &row.outcome else {
                        continue;
                    };
                    let written = match new.as_ref() {
                        NewRow::Volunteer(v) => self
                            .0
                            .people()
                            .insert_volunteer(&mut tx, &v.checked, actor, None, team.as_ref())
                            .await
                            .map(|_| true),
                        NewRow::Record(r) => {
                            lock_volunteer(&mut tx, r.volunteer_id).await?;
                            if stored_records::has_entry(
                                &mut tx,
                                r.volunteer_id,
                                r.org.id,
                                &r.texts.date,
                                &r.texts.activity,
                                r.minutes,
                            )
                            .await?
                            {
                                Ok(false)
                            } else {
                                enter_imported(
                                    self.0,
                                    &mut tx,
                                    caller,
                                    &r.org,
                                    r.volunteer_id,
                                    &r.texts,
                                    r.minutes,
                                    &r.category,
                                )
                                .await
                                .map(|_| true)
                            }
                        }
                    };
                    match written {
                        Ok(true) => wrote = true,
                        Ok(false) => row.outcome = Outcome::Exists(String::new()),
                        Err(AppError::Conflict {
                            code: "resident_id_duplicate",
                            ..
                        }) => {
                            row.outcome = Outcome::Exists(String::new());
                            drop(tx);
                            continue 'chunk;
                        }
                        Err(e) => return Err(e),
                    }
                }
                if wrote {
                    tx.commit(self.0).await?;
                }
                // (else dropped: nothing to write, nothing to record)
                break;
            }
            done += chunk.len();
            progress(done, total);
        }
        let counts = plan.counts();
        let mut tx = self.0.begin().await?;
        let now = zhiyuan_store::now_millis();
        for (label, field) in &plan.corrections {
            let code = field.map_or("none", Field::as_str);
            zhiyuan_store::imports::remember(&mut tx, &plan.unit, plan.kind.as_str(), label, code, now)
                .await?;
        }
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
                "mapping": plan.corrections.iter().map(|(l, f)| serde_json::json!({"label": l, "field": f.map(Field::as_str)})).collect::<Vec<_>>(),
            })),
        })
        .await?;
        tx.commit(self.0).await?;
        Ok(Done { counts, plan })
    }
}
