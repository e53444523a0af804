//! Service records (志愿服务记录): made from check-out, entered by the team, or declared by
//! the volunteer and confirmed by the team. Rows are never changed: confirming, rejecting or
//! correcting appends a new version that supersedes the old, and every row extends the
//! volunteer's hash chain.

use super::Service;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::service::chain::{link_hash, verify_chain, RecordFacts, GENESIS};
use zhiyuan_domain::service::{
    check_minutes, format_hours, is_late_entry, minutes_to_next_star, star_label, star_level,
};
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::seek::{Seek, SeekRequest};
use zhiyuan_store::service::records::{self, NewRecord, RecordRow};
use zhiyuan_store::service::signups::lock_volunteer;
use zhiyuan_store::{network::orgs, now_millis, people::memberships, people::volunteers};

use crate::access::Caller;
use zhiyuan_domain::service::{RecordSource, RecordStatus};

use crate::error::{AppError, AppResult, FieldError};
use crate::network::text;
use crate::{show_time, today, App};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordView {
    pub id: i64,
    pub volunteer_id: i64,
    pub version: i64,
    pub supersedes: Option<i64>,
    pub organization_id: i64,
    pub project_id: Option<i64>,
    pub activity: String,
    pub service_date: String,
    pub place: String,
    pub content: String,
    pub served_minutes: i64,
    /// Credited minutes after rounding.
    pub minutes: i64,
    /// Credited hours with one decimal.
    pub hours: String,
    pub organizer: String,
    pub person_in_charge: String,
    #[schema(value_type = String)]
    pub source: RecordSource,
    pub source_label: String,
    #[schema(value_type = String)]
    pub status: RecordStatus,
    pub status_label: String,
    /// Entered later than 10 working days after the activity.
    pub late: bool,
    pub reason: String,
    pub created_at: String,
    /// Service category code ('' when none) and its Chinese label (未分类).
    pub category: String,
    pub category_label: String,
    /// The recording team: who administers the record ([`crate::network::policy::administers`]).
    #[serde(skip)]
    pub team: crate::network::policy::TeamPlace,
}

impl From<RecordRow> for RecordView {
    fn from(r: RecordRow) -> Self {
        RecordView {
            team: crate::network::policy::TeamPlace::new(r.team_region, r.team_path),
            id: r.id,
            volunteer_id: r.volunteer_id,
            version: r.version,
            supersedes: r.supersedes,
            organization_id: r.organization_id,
            project_id: r.project_id,
            activity: r.activity,
            service_date: r.service_date,
            place: r.place,
            content: r.content,
            served_minutes: r.served_minutes,
            hours: format_hours(r.minutes),
            minutes: r.minutes,
            organizer: r.organizer,
            person_in_charge: r.person_in_charge,
            source_label: r.source.label_zh().to_owned(),
            source: r.source,
            status_label: r.status.label_zh().to_owned(),
            status: r.status,
            late: r.late,
            reason: r.reason,
            created_at: show_time(r.created_at),
            category_label: zhiyuan_domain::stats::category_label(zhiyuan_domain::stats::category_code(
                &r.category,
            ))
            .to_owned(),
            category: r.category,
        }
    }
}

/// A volunteer's totals.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HoursSummary {
    pub volunteer_id: i64,
    pub confirmed_minutes: i64,
    pub hours: String,
    #[schema(minimum = 0, maximum = 5)]
    pub star_level: u8,
    pub star_label: String,
    /// Hours still needed for the next star.
    pub hours_to_next_star: Option<String>,
}

/// What a new record says; the chain fields are computed on append.
#[derive(Clone, Debug)]
pub(crate) struct Draft {
    pub volunteer_id: i64,
    pub version: i64,
    pub supersedes: Option<i64>,
    pub organization_id: i64,
    pub project_id: Option<i64>,
    pub shift_id: Option<i64>,
    pub sign_up_id: Option<i64>,
    pub region_code: String,
    pub activity: String,
    pub service_date: String,
    pub place: String,
    pub content: String,
    pub served_minutes: i64,
    pub minutes: i64,
    pub organizer: String,
    pub person_in_charge: String,
    pub source: RecordSource,
    pub status: RecordStatus,
    pub late: bool,
    pub reason: String,
    pub created_by: Option<i64>,
    /// Service category code ('' when none): the project's, or the one the entry names.
    pub category: String,
}

impl Draft {
    pub(crate) fn from_row(r: &RecordRow) -> Draft {
        Draft {
            volunteer_id: r.volunteer_id,
            version: r.version + 1,
            supersedes: Some(r.id),
            organization_id: r.organization_id,
            project_id: r.project_id,
            shift_id: r.shift_id,
            sign_up_id: r.sign_up_id,
            region_code: r.region_code.clone(),
            activity: r.activity.clone(),
            service_date: r.service_date.clone(),
            place: r.place.clone(),
            content: r.content.clone(),
            served_minutes: r.served_minutes,
            minutes: r.minutes,
            organizer: r.organizer.clone(),
            person_in_charge: r.person_in_charge.clone(),
            source: r.source,
            status: r.status,
            late: r.late,
            reason: String::new(),
            created_by: None,
            category: r.category.clone(),
        }
    }

    /// A first version entered for `org` (a team entry, a declaration or an imported row), its
    /// minutes rounded by the configured rule.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn first(
        app: &App,
        org: &zhiyuan_store::network::orgs::OrgRow,
        volunteer_id: i64,
        t: &Texts,
        served_minutes: i64,
        project_id: Option<i64>,
        (source, status): (RecordSource, RecordStatus),
        created_by: i64,
        category: String,
    ) -> Draft {
        Draft {
            volunteer_id,
            version: 1,
            supersedes: None,
            organization_id: org.id,
            project_id,
            shift_id: None,
            sign_up_id: None,
            region_code: org.region_code.clone(),
            activity: t.activity.clone(),
            service_date: t.date.clone(),
            place: t.place.clone(),
            content: t.content.clone(),
            served_minutes,
            minutes: app.rules().rounding.apply(served_minutes as u32) as i64,
            organizer: org.name.clone(),
            person_in_charge: t.person.clone(),
            source,
            status,
            late: late(&t.date),
            reason: String::new(),
            created_by: Some(created_by),
            category,
        }
    }
}

pub(crate) fn facts(r: &RecordRow) -> RecordFacts<'_> {
    RecordFacts {
        record_id: r.id,
        volunteer_id: r.volunteer_id,
        version: r.version,
        supersedes: r.supersedes,
        activity: &r.activity,
        date: &r.service_date,
        place: &r.place,
        content: &r.content,
        minutes: r.minutes,
        organizer: &r.organizer,
        person_in_charge: &r.person_in_charge,
        status: r.status.as_str(),
        created_at: r.created_at,
    }
}

/// Appends a record to the volunteer's chain inside `tx` (the caller holds the volunteer lock).
pub(crate) async fn append(app: &App, tx: &mut crate::work::Work, d: &Draft) -> AppResult<i64> {
    Ok(append_row(app, tx, d).await?.id)
}

/// [`append`], returning the stored row.
pub(crate) async fn append_row(app: &App, tx: &mut crate::work::Work, d: &Draft) -> AppResult<RecordRow> {
    let (tip, id) = records::chain_tip_and_next_id(tx, app.store.backend(), d.volunteer_id).await?;
    let (seq, prev) = match tip {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let created_at = now_millis();
    let row = RecordRow {
        id,
        volunteer_id: d.volunteer_id,
        version: d.version,
        supersedes: d.supersedes,
        organization_id: d.organization_id,
        project_id: d.project_id,
        shift_id: d.shift_id,
        sign_up_id: d.sign_up_id,
        region_code: d.region_code.clone(),
        activity: d.activity.clone(),
        service_date: d.service_date.clone(),
        place: d.place.clone(),
        content: d.content.clone(),
        served_minutes: d.served_minutes,
        minutes: d.minutes,
        organizer: d.organizer.clone(),
        person_in_charge: d.person_in_charge.clone(),
        source: d.source,
        status: d.status,
        late: d.late,
        reason: d.reason.clone(),
        created_by: d.created_by,
        created_at,
        chain_seq: seq,
        prev_hash: prev.clone(),
        hash: String::new(),
        category: d.category.clone(),
        // not read back: a view of the new row answers "administers" with no (safe)
        team_region: String::new(),
        team_path: String::new(),
    };
    let hash = link_hash(&prev, &facts(&row));
    let stored = RecordRow {
        hash: hash.clone(),
        ..row.clone()
    };
    let new = NewRecord {
        volunteer_id: row.volunteer_id,
        version: row.version,
        supersedes: row.supersedes,
        organization_id: row.organization_id,
        project_id: row.project_id,
        shift_id: row.shift_id,
        sign_up_id: row.sign_up_id,
        region_code: row.region_code,
        activity: row.activity,
        service_date: row.service_date,
        place: row.place,
        content: row.content,
        served_minutes: row.served_minutes,
        minutes: row.minutes,
        organizer: row.organizer,
        person_in_charge: row.person_in_charge,
        source: row.source,
        status: row.status,
        late: d.late,
        reason: row.reason,
        created_by: row.created_by,
        created_at,
        chain_seq: seq,
        prev_hash: prev,
        hash,
        category: d.category.clone(),
    };
    let old = match d.supersedes {
        Some(o) => records::get(tx, o).await?,
        None => None,
    };
    records::insert(tx, id, &new).await.map_err(|e| {
        if e.unique_violation().is_some() {
            AppError::Conflict {
                code: "record_changed",
                field: None,
                message: "该服务记录已被他人处理，请刷新后重试".into(),
            }
        } else {
            AppError::Store(e)
        }
    })?;
    crate::stats::upkeep::record_appended(
        app,
        tx,
        old.as_ref().map(|o| (o, o.category.as_str())),
        (&stored, d.category.as_str()),
    )
    .await?;
    Ok(stored)
}

/// The category a record is filed under: the project's when there is one, else the one the
/// entry names (by code or Chinese label), else none.
pub(crate) async fn record_category(
    conn: &mut zhiyuan_store::Conn,
    project_id: Option<i64>,
    named: Option<&str>,
) -> AppResult<String> {
    if let Some(p) = project_id {
        if let Some(p) = zhiyuan_store::service::projects::get(conn, p).await? {
            return Ok(p.category);
        }
    }
    match named.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(String::new()),
        Some(s) => zhiyuan_domain::tags::category_by_code_or_label(s)
            .map(|c| c.code.to_owned())
            .ok_or_else(|| AppError::invalid("category", "category_invalid", format!("未知的服务类别：{s}"))),
    }
}

/// A row of an imported hours sheet as a team entry (团体录入) of `org`: confirmed at once,
/// appended to the volunteer's chain and audited like one entered on the page. The caller holds
/// the volunteer's lock.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn enter_imported(
    app: &App,
    tx: &mut crate::work::Work,
    caller: &Caller,
    org: &zhiyuan_store::network::orgs::OrgRow,
    volunteer_id: i64,
    t: &Texts,
    served_minutes: i64,
    category: &str,
) -> AppResult<i64> {
    let d = Draft::first(
        app,
        org,
        volunteer_id,
        t,
        served_minutes,
        None,
        (RecordSource::Team, RecordStatus::Confirmed),
        caller.account_id,
        category.to_owned(),
    );
    let id = append(app, tx, &d).await?;
    tx.audit(record_audit(caller, org, AuditAction::RecordEnter, id, None, &d))
        .await?;
    Ok(id)
}

fn late(service_date: &str) -> bool {
    chrono::NaiveDate::parse_from_str(service_date, "%Y-%m-%d")
        .map(|d| is_late_entry(d, today(), &[], &[]))
        .unwrap_or(false)
}

fn record_audit(
    caller: &Caller,
    org: &zhiyuan_store::network::orgs::OrgRow,
    action: AuditAction,
    id: i64,
    before: Option<&RecordRow>,
    after: &Draft,
) -> NewAudit {
    NewAudit {
        actor_id: Some(caller.account_id),
        actor_name: caller.display_name.clone(),
        action,
        entity_id: id.to_string(),
        region_code: Some(org.region_code.clone()),
        org_path: Some(org.path.clone()),
        before: before.map(|b| serde_json::json!({"id": b.id, "minutes": b.minutes, "status": b.status, "activity": b.activity, "service_date": b.service_date})),
        after: Some(serde_json::json!({"volunteer_id": after.volunteer_id, "minutes": after.minutes, "status": after.status,
            "activity": after.activity, "service_date": after.service_date, "reason": after.reason, "version": after.version})),
    }
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct TeamEntryLine {
    pub volunteer_id: i64,
    /// Minutes actually served (travel excluded); rounded by the configured rule.
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: i64,
}

/// 团体录入: the organizing team enters records for several volunteers at once.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct TeamEntry {
    pub organization_id: i64,
    pub project_id: Option<i64>,
    pub activity: String,
    /// YYYY-MM-DD
    pub service_date: String,
    pub place: String,
    pub content: String,
    pub person_in_charge: String,
    pub entries: Vec<TeamEntryLine>,
    /// Service category (code or Chinese label) when no project is named; a project's own
    /// category wins.
    #[serde(default)]
    pub category: Option<String>,
}

/// A volunteer declares service for a team to confirm.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct Declaration {
    pub organization_id: i64,
    pub activity: String,
    pub service_date: String,
    pub place: String,
    pub content: String,
    pub person_in_charge: String,
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: i64,
    /// Service category (code or Chinese label), optional.
    #[serde(default)]
    pub category: Option<String>,
}

/// A correction: the new figures and the reason.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct Correction {
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: Option<i64>,
    pub activity: Option<String>,
    pub service_date: Option<String>,
    pub place: Option<String>,
    pub content: Option<String>,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Texts {
    pub activity: String,
    pub date: String,
    pub place: String,
    pub content: String,
    pub person: String,
}

pub(crate) fn check_texts(
    activity: &str,
    date: &str,
    place: &str,
    content: &str,
    person: &str,
) -> Result<Texts, Vec<FieldError>> {
    let mut errs = Vec::new();
    let t = Texts {
        activity: crate::text::name_text("activity", "活动名称", activity, 100, &mut errs),
        date: date.trim().to_owned(),
        place: text("place", "服务地点", place, 200, &mut errs),
        content: crate::text::prose("content", "服务内容", content, 1000, &mut errs),
        person: crate::text::name_text("person_in_charge", "负责人", person, 30, &mut errs),
    };
    match chrono::NaiveDate::parse_from_str(&t.date, "%Y-%m-%d") {
        Ok(d) if d <= today() && d >= today() - chrono::Duration::days(366 * 5) => {}
        Ok(_) => errs.push(FieldError::new(
            "service_date",
            "service_date_invalid",
            "服务日期不能晚于今天，也不能早于五年前",
        )),
        Err(_) => errs.push(FieldError::new(
            "service_date",
            "service_date_invalid",
            "服务日期格式应为 YYYY-MM-DD",
        )),
    }
    if errs.is_empty() {
        Ok(t)
    } else {
        Err(errs)
    }
}

impl Service<'_> {
    /// 团体录入: confirmed at once, since the organizing team itself enters them.
    pub async fn enter_records(&self, caller: &Caller, e: &TeamEntry) -> AppResult<Vec<RecordView>> {
        caller.require_admin()?;
        let org = self
            .network()
            .org_row(e.organization_id)
            .await
            .map_err(|_| AppError::invalid("organization_id", "team_invalid", "组织单位不存在"))?;
        caller.require_org(&org)?;
        let mut errs = match check_texts(
            &e.activity,
            &e.service_date,
            &e.place,
            &e.content,
            &e.person_in_charge,
        ) {
            Ok(_) => Vec::new(),
            Err(errs) => errs,
        };
        check_minute_lines(
            "entries",
            e.entries.iter().map(|l| (l.volunteer_id, l.minutes)),
            500,
            &mut errs,
        );
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let t = check_texts(
            &e.activity,
            &e.service_date,
            &e.place,
            &e.content,
            &e.person_in_charge,
        )
        .map_err(AppError::Invalid)?;
        let vis = caller.volunteer_visibility();
        let mut tx = self.begin().await?;
        let category = record_category(&mut tx, e.project_id, e.category.as_deref()).await?;
        let mut ids = Vec::new();
        for line in &e.entries {
            volunteers::get(&mut tx, line.volunteer_id)
                .await?
                .ok_or(AppError::NotFound("志愿者"))?;
            if !volunteers::visible(&mut tx, line.volunteer_id, &vis).await? {
                return Err(AppError::Forbidden);
            }
            lock_volunteer(&mut tx, line.volunteer_id).await?;
            let d = Draft::first(
                self,
                &org,
                line.volunteer_id,
                &t,
                line.minutes,
                e.project_id,
                (RecordSource::Team, RecordStatus::Confirmed),
                caller.account_id,
                category.clone(),
            );
            let id = append(self, &mut tx, &d).await?;
            tx.audit(record_audit(caller, &org, AuditAction::RecordEnter, id, None, &d))
                .await?;
            ids.push(id);
        }
        let mut out = Vec::new();
        for id in ids {
            out.push(
                records::get(&mut tx, id)
                    .await?
                    .ok_or(AppError::NotFound("服务记录"))?
                    .into(),
            );
        }
        tx.commit(self).await?;
        Ok(out)
    }

    /// A volunteer declares service with a team they belong to; the team confirms it.
    pub async fn declare_record(&self, caller: &Caller, d: &Declaration) -> AppResult<RecordView> {
        let Some(vid) = caller.volunteer_id else {
            return Err(AppError::Conflict {
                code: "not_a_volunteer",
                field: None,
                message: "只有注册志愿者可以申报服务时长".into(),
            });
        };
        let mut errs = match check_texts(
            &d.activity,
            &d.service_date,
            &d.place,
            &d.content,
            &d.person_in_charge,
        ) {
            Ok(_) => Vec::new(),
            Err(e) => e,
        };
        if let Err(e) = check_minutes(d.minutes) {
            errs.push(e.into());
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let t = check_texts(
            &d.activity,
            &d.service_date,
            &d.place,
            &d.content,
            &d.person_in_charge,
        )
        .map_err(AppError::Invalid)?;
        let mut tx = self.begin().await?;
        let org = orgs::get(&mut tx, d.organization_id)
            .await?
            .ok_or(AppError::NotFound("队伍"))?;
        match memberships::active(&mut tx, vid, org.id).await? {
            Some(m) if m.status == zhiyuan_domain::auth::MembershipStatus::Approved => {}
            _ => {
                return Err(AppError::Conflict {
                    code: "not_a_member",
                    field: Some("organization_id"),
                    message: "只能向您已加入的队伍申报服务时长".into(),
                })
            }
        }
        lock_volunteer(&mut tx, vid).await?;
        let category = record_category(&mut tx, None, d.category.as_deref()).await?;
        let draft = Draft::first(
            self,
            &org,
            vid,
            &t,
            d.minutes,
            None,
            (RecordSource::Declared, RecordStatus::Pending),
            caller.account_id,
            category,
        );
        let id = append(self, &mut tx, &draft).await?;
        tx.audit(record_audit(
            caller,
            &org,
            AuditAction::RecordDeclare,
            id,
            None,
            &draft,
        ))
        .await?;
        let row = records::get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("服务记录"))?;
        tx.commit(self).await?;
        Ok(row.into())
    }

    /// Loads a current record for the organizing team's administrator, with the volunteer locked.
    async fn record_for_team(
        &self,
        caller: &Caller,
        tx: &mut crate::work::Work,
        id: i64,
    ) -> AppResult<(RecordRow, zhiyuan_store::network::orgs::OrgRow)> {
        let row = records::get(tx, id)
            .await?
            .ok_or(AppError::NotFound("服务记录"))?;
        let org = orgs::get(tx, row.organization_id)
            .await?
            .ok_or(AppError::NotFound("队伍"))?;
        if !(caller.administers(&org)) {
            return Err(AppError::Forbidden);
        }
        lock_volunteer(tx, row.volunteer_id).await?;
        if records::is_superseded(tx, id).await? {
            return Err(AppError::Conflict {
                code: "record_changed",
                field: None,
                message: "该服务记录已有更新的版本，请刷新后处理最新版本".into(),
            });
        }
        Ok((row, org))
    }

    /// The team confirms (or rejects, with a reason) a pending record.
    /// 批量确认 / 批量驳回: decides many pending records, each in its own unit of work, so
    /// that one already decided (or gone stale) does not hold back the others. Returns the
    /// records decided and, for the rest, why not. A rejection needs its reason, checked once.
    pub async fn decide_records(
        &self,
        caller: &Caller,
        ids: &[i64],
        confirm: bool,
        reason: &str,
    ) -> AppResult<BulkDecision> {
        if ids.is_empty() {
            return Err(AppError::invalid("ids", "ids_empty", "请先勾选要处理的服务记录"));
        }
        if ids.len() > BULK_MAX {
            return Err(AppError::invalid(
                "ids",
                "ids_too_many",
                format!("一次最多处理 {BULK_MAX} 条服务记录"),
            ));
        }
        if !confirm && reason.trim().is_empty() {
            return Err(AppError::invalid("reason", "reason_required", "请填写驳回原因"));
        }
        let mut out = BulkDecision::default();
        let mut seen = std::collections::HashSet::new();
        for &id in ids.iter().filter(|id| seen.insert(**id)) {
            match self.decide_record(caller, id, confirm, reason).await {
                Ok(r) => out.decided.push(r.id),
                Err(e @ (AppError::Conflict { .. } | AppError::NotFound(_) | AppError::Forbidden)) => {
                    out.refused.push(BulkRefusal {
                        id,
                        message: e.to_string(),
                    })
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    pub async fn decide_record(
        &self,
        caller: &Caller,
        id: i64,
        confirm: bool,
        reason: &str,
    ) -> AppResult<RecordView> {
        let mut tx = self.begin().await?;
        let (row, org) = self.record_for_team(caller, &mut tx, id).await?;
        if row.status != RecordStatus::Pending {
            return Err(AppError::Conflict {
                code: "record_decided",
                field: None,
                message: "该服务记录已确认或已驳回".into(),
            });
        }
        let reason = parse_reason(reason, !confirm, "驳回时请填写原因")?;
        let mut d = Draft::from_row(&row);
        d.status = if confirm {
            RecordStatus::Confirmed
        } else {
            RecordStatus::Rejected
        };
        d.reason = reason;
        d.created_by = Some(caller.account_id);
        let new_id = append(self, &mut tx, &d).await?;
        tx.audit(record_audit(
            caller,
            &org,
            if confirm {
                AuditAction::RecordConfirm
            } else {
                AuditAction::RecordReject
            },
            new_id,
            Some(&row),
            &d,
        ))
        .await?;
        let out = records::get(&mut tx, new_id)
            .await?
            .ok_or(AppError::NotFound("服务记录"))?;
        tx.commit(self).await?;
        Ok(out.into())
    }

    /// A correction by the organizing team: a new version pointing at the old, with a reason.
    pub async fn correct_record(&self, caller: &Caller, id: i64, c: &Correction) -> AppResult<RecordView> {
        let reason = parse_reason(&c.reason, true, "更正服务记录须填写原因")?;
        let reason = reason.as_str();
        let mut tx = self.begin().await?;
        let (row, org) = self.record_for_team(caller, &mut tx, id).await?;
        let mut d = Draft::from_row(&row);
        let t = check_texts(
            c.activity.as_deref().unwrap_or(&row.activity),
            c.service_date.as_deref().unwrap_or(&row.service_date),
            c.place.as_deref().unwrap_or(&row.place),
            c.content.as_deref().unwrap_or(&row.content),
            &row.person_in_charge,
        )
        .map_err(AppError::Invalid)?;
        if let Some(m) = c.minutes {
            check_minutes(m)?;
            d.served_minutes = m;
            d.minutes = self.rules().rounding.apply(m as u32) as i64;
        }
        d.activity = t.activity;
        d.service_date = t.date;
        d.place = t.place;
        d.content = t.content;
        d.reason = reason.to_owned();
        d.created_by = Some(caller.account_id);
        let new_id = append(self, &mut tx, &d).await?;
        tx.audit(record_audit(
            caller,
            &org,
            AuditAction::RecordCorrect,
            new_id,
            Some(&row),
            &d,
        ))
        .await?;
        let out = records::get(&mut tx, new_id)
            .await?
            .ok_or(AppError::NotFound("服务记录"))?;
        tx.commit(self).await?;
        Ok(out.into())
    }

    /// A volunteer's current records, for the volunteer or an admin who can see them.
    pub async fn volunteer_records(
        &self,
        caller: &Caller,
        volunteer_id: i64,
        page: &SeekRequest,
    ) -> AppResult<Seek<RecordView>> {
        self.people().volunteer(caller, volunteer_id).await?;
        let mut conn = self.conn().await?;
        let p = records::current_of(&mut conn, volunteer_id, page).await?;
        Ok(p.map(Into::into))
    }

    /// Every version of a record, oldest first.
    pub async fn record_history(&self, caller: &Caller, id: i64) -> AppResult<Vec<RecordView>> {
        let mut conn = self.conn().await?;
        let row = records::get(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("服务记录"))?;
        drop(conn);
        self.people().volunteer(caller, row.volunteer_id).await?;
        let mut conn = self.conn().await?;
        Ok(records::history(&mut conn, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Records waiting for the caller's teams to confirm.
    pub async fn pending_records(&self, caller: &Caller) -> AppResult<Vec<RecordView>> {
        caller.require_admin()?;
        let mut conn = self.conn().await?;
        let rows = match &caller.scope {
            crate::Scope::Team { path, .. } => {
                records::current_of_org(&mut conn, path, RecordStatus::Pending, 200).await?
            }
            crate::Scope::Region { prefix } | crate::Scope::Site { prefix, .. } => {
                let teams = orgs::list(
                    &mut conn,
                    &orgs::OrgFilter {
                        region_prefix: Some(prefix.clone()),
                        roots_only: true,
                        ..Default::default()
                    },
                    zhiyuan_store::PageRequest::new(None, Some(200)),
                )
                .await?;
                let mut out = Vec::new();
                for t in teams.items {
                    out.extend(
                        records::current_of_org(&mut conn, &t.path, RecordStatus::Pending, 200).await?,
                    );
                }
                out
            }
            crate::Scope::Own => Vec::new(),
        };
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Confirmed hours and star level.
    pub async fn hours_summary(&self, caller: &Caller, volunteer_id: i64) -> AppResult<HoursSummary> {
        self.people().volunteer(caller, volunteer_id).await?;
        let mut conn = self.conn().await?;
        let minutes = records::confirmed_minutes(&mut conn, volunteer_id).await?;
        let level = star_level(minutes);
        Ok(HoursSummary {
            volunteer_id,
            confirmed_minutes: minutes,
            hours: format_hours(minutes),
            star_level: level,
            star_label: star_label(level).to_owned(),
            hours_to_next_star: minutes_to_next_star(minutes).map(format_hours),
        })
    }

    /// Checks every volunteer's record chain; returns (chains, records, broken chains with the
    /// volunteer id and the sequence number of the first bad link).
    pub async fn verify_records(&self) -> AppResult<ChainReport> {
        let mut conn = self.conn().await?;
        let mut report = ChainReport::default();
        for vid in records::volunteers_with_records(&mut conn).await? {
            let rows = records::chain_of(&mut conn, vid).await?;
            report.chains += 1;
            report.records += rows.len() as i64;
            let links = rows
                .iter()
                .map(|r| (facts(r), r.prev_hash.as_str(), r.hash.as_str()));
            let seqs_ok = rows.iter().enumerate().all(|(i, r)| r.chain_seq == i as i64 + 1);
            match verify_chain(links) {
                Ok(_) if seqs_ok => {}
                Ok(_) => report.broken.push((vid, 0)),
                Err(i) => report
                    .broken
                    .push((vid, rows.get(i).map(|r| r.chain_seq).unwrap_or(0))),
            }
        }
        Ok(report)
    }
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ChainReport {
    pub chains: i64,
    pub records: i64,
    pub broken: Vec<(i64, i64)>,
}

/// The most records one bulk decision takes.
pub const BULK_MAX: usize = 200;

/// What a bulk decision did: the records decided, and the ones it could not with why.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct BulkDecision {
    pub decided: Vec<i64>,
    pub refused: Vec<BulkRefusal>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BulkRefusal {
    pub id: i64,
    pub message: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HonorView {
    pub rank: usize,
    /// The full name when the volunteer agreed to it, else masked (王*明). The roll is public:
    /// it never shows a volunteer number.
    pub name: String,
    pub region_code: String,
    pub minutes: i64,
    pub hours: String,
}

impl Service<'_> {
    /// 光荣榜: volunteers of a region ranked by confirmed hours served in a period (public).
    pub async fn honor_roll(
        &self,
        region_prefix: &str,
        from: &str,
        to: &str,
        limit: i64,
    ) -> AppResult<Vec<HonorView>> {
        if !region_prefix.is_empty() && !zhiyuan_domain::network::is_valid_prefix(region_prefix) {
            return Err(AppError::invalid(
                "region",
                "region_code_invalid",
                "区划前缀应为2、4、6、9或12位数字",
            ));
        }
        for d in [from, to] {
            if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                return Err(AppError::invalid(
                    "period",
                    "service_date_invalid",
                    "日期格式应为 YYYY-MM-DD",
                ));
            }
        }
        let mut conn = self.conn().await?;
        let rows = records::honor_roll(&mut conn, region_prefix, from, to, limit.clamp(1, 100)).await?;
        Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| HonorView {
                rank: i + 1,
                name: if r.public_name {
                    r.name
                } else {
                    zhiyuan_domain::people::masked_name(&r.name)
                },
                region_code: r.region_code,
                hours: format_hours(r.minutes),
                minutes: r.minutes,
            })
            .collect())
    }
}

/// Checks lines of (volunteer, minutes) entered for several volunteers at once (团体录入, the
/// completion of an order): 1 to `max` lines, each a valid number of minutes, no volunteer
/// twice. Problems are added to `errs` under `field`.
pub(crate) fn check_minute_lines(
    field: &'static str,
    lines: impl ExactSizeIterator<Item = (i64, i64)>,
    max: usize,
    errs: &mut Vec<FieldError>,
) {
    if lines.len() == 0 || lines.len() > max {
        errs.push(FieldError::new(
            field,
            "entries_invalid",
            format!("请填写1至{max}名志愿者的服务时长"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (volunteer_id, minutes) in lines {
        if let Err(err) = check_minutes(minutes) {
            errs.push(err.into());
            break;
        }
        if !seen.insert(volunteer_id) {
            errs.push(FieldError::new(
                field,
                "entries_invalid",
                "同一志愿者不能重复填写",
            ));
            break;
        }
    }
}

/// The longest reason a record decision or correction may give.
pub const MAX_REASON_CHARS: usize = 500;

/// A decision's reason, trimmed: required or not, and never longer than [`MAX_REASON_CHARS`]
/// (a longer one is refused, not cut short).
pub(crate) fn parse_reason(raw: &str, required: bool, missing: &str) -> AppResult<String> {
    let r = raw.trim();
    if required && r.is_empty() {
        return Err(AppError::invalid("reason", "reason_required", missing));
    }
    if r.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::invalid(
            "reason",
            "reason_too_long",
            format!("原因不能超过{MAX_REASON_CHARS}字"),
        ));
    }
    Ok(r.to_owned())
}

#[cfg(test)]
mod reason_tests {
    use super::*;

    #[test]
    fn reasons_are_refused_when_missing_or_too_long_never_cut() {
        assert_eq!(parse_reason("  迟到  ", true, "x").unwrap(), "迟到");
        assert_eq!(parse_reason("", false, "x").unwrap(), "");
        assert_eq!(
            parse_reason(" ", true, "x").unwrap_err().code(),
            "reason_required"
        );
        let long = "长".repeat(MAX_REASON_CHARS + 1);
        assert_eq!(
            parse_reason(&long, false, "x").unwrap_err().code(),
            "reason_too_long"
        );
        assert!(parse_reason(&"长".repeat(MAX_REASON_CHARS), true, "x").is_ok());
    }
}
