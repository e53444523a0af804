//! Volunteer projects: publish with shifts, move through their states, list and find nearby;
//! sign-ups with approval, waitlist and cancellation.

use super::Service;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::network::geo::{haversine_m, valid_point};
use zhiyuan_domain::people::resident_id::ResidentId;
use zhiyuan_domain::service::project::{
    age_on, check_headcount, check_min_age, missing_skills, ProjectStatus, ShiftTimes, SignUpStatus,
};
use zhiyuan_domain::tags::{category_by_code_or_label, parse_skills};
use zhiyuan_store::audit::NewAudit;
pub use zhiyuan_store::service::projects::ProjectFilter;
use zhiyuan_store::service::projects::{self, NewProject, ProjectDetails, ProjectRow, ShiftRow};
use zhiyuan_store::service::signups::{self, SignUpRow};
use zhiyuan_store::{network::orgs, now_millis, people::volunteers, Page, PageRequest};

use crate::access::Caller;
use crate::error::{AppError, AppResult, FieldError};
use crate::network::{name_text, optional_contact_phone, optional_prose};
use crate::work::AfterCommit;
use crate::{on_unique, show_time, today, TZ};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShiftView {
    pub id: i64,
    pub project_id: i64,
    pub starts_at: String,
    pub ends_at: String,
    /// RFC 3339 instants, for clients.
    pub starts_at_iso: String,
    pub ends_at_iso: String,
    pub headcount: i64,
    pub approved: i64,
    pub waitlisted: i64,
    pub seats_left: i64,
    pub required_skills: Vec<String>,
    pub min_age: i64,
}

impl From<ShiftRow> for ShiftView {
    fn from(s: ShiftRow) -> Self {
        ShiftView {
            id: s.id,
            project_id: s.project_id,
            starts_at: show_time(s.starts_at),
            ends_at: show_time(s.ends_at),
            starts_at_iso: iso(s.starts_at),
            ends_at_iso: iso(s.ends_at),
            headcount: s.headcount,
            approved: s.approved_count,
            waitlisted: s.waitlisted,
            seats_left: (s.headcount - s.approved_count).max(0),
            required_skills: s
                .required_skills
                .split(',')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect(),
            min_age: s.min_age,
        }
    }
}

pub(crate) fn iso(ms: i64) -> String {
    TZ.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub category_label: String,
    pub description: String,
    pub organization_id: i64,
    pub organization_name: String,
    pub region_code: String,
    pub region_name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub checkin_radius_m: i64,
    pub person_in_charge: String,
    pub contact_phone: String,
    pub risk_notes: String,
    pub auto_approve: bool,
    #[schema(value_type = String)]
    pub status: ProjectStatus,
    pub status_label: String,
    pub first_start: Option<String>,
    /// Metres from the point asked about (nearby lists only).
    pub distance_m: Option<i64>,
    pub shifts: Vec<ShiftView>,
    /// The organizing team: who administers the project
    /// ([`crate::network::policy::administers`]).
    #[serde(skip)]
    pub team: crate::network::policy::TeamPlace,
}

pub(crate) fn project_view(p: ProjectRow, shifts: Vec<ShiftRow>) -> ProjectView {
    let cat = category_by_code_or_label(&p.category)
        .map(|c| c.label)
        .unwrap_or("");
    let status_label = p.status.label_zh();
    ProjectView {
        team: crate::network::policy::TeamPlace::new(p.organization_region, p.organization_path),
        id: p.id,
        title: p.title,
        category_label: cat.to_owned(),
        category: p.category,
        description: p.description,
        organization_id: p.organization_id,
        organization_name: p.organization_name,
        region_code: p.region_code,
        region_name: p.region_name,
        address: p.address,
        lat: p.lat,
        lon: p.lon,
        checkin_radius_m: p.checkin_radius_m,
        person_in_charge: p.person_in_charge,
        contact_phone: p.contact_phone,
        risk_notes: p.risk_notes,
        auto_approve: p.auto_approve != 0,
        status_label: status_label.to_owned(),
        status: p.status,
        first_start: p.first_start.map(show_time),
        distance_m: None,
        shifts: shifts.into_iter().map(Into::into).collect(),
    }
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ShiftInput {
    /// RFC 3339, e.g. `2026-12-01T09:00:00+08:00`.
    pub starts_at: String,
    pub ends_at: String,
    #[schema(minimum = 1, maximum = 10000)]
    pub headcount: i64,
    #[serde(default)]
    pub required_skills: Vec<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub min_age: i64,
}

/// What a project says of itself, as edited while it recruits (修改项目): everything of
/// [`ProjectInput`] but its team and shifts.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ProjectDetailsInput {
    #[schema(min_length = 1, max_length = 80)]
    pub title: String,
    /// A service category code or label.
    pub category: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: String,
    #[schema(min_length = 1, max_length = 200)]
    pub address: String,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 50000)]
    pub checkin_radius_m: i64,
    #[schema(min_length = 1, max_length = 30)]
    pub person_in_charge: String,
    #[serde(default)]
    #[schema(max_length = 30)]
    pub contact_phone: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub risk_notes: String,
    #[serde(default)]
    pub auto_approve: bool,
}

impl From<&ProjectInput> for ProjectDetailsInput {
    fn from(p: &ProjectInput) -> Self {
        ProjectDetailsInput {
            title: p.title.clone(),
            category: p.category.clone(),
            description: p.description.clone(),
            address: p.address.clone(),
            lat: p.lat,
            lon: p.lon,
            checkin_radius_m: p.checkin_radius_m,
            person_in_charge: p.person_in_charge.clone(),
            contact_phone: p.contact_phone.clone(),
            risk_notes: p.risk_notes.clone(),
            auto_approve: p.auto_approve,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct ProjectInput {
    #[schema(min_length = 1, max_length = 80)]
    pub title: String,
    /// A service category code or label.
    pub category: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: String,
    /// The organizing team.
    pub organization_id: i64,
    #[schema(min_length = 1, max_length = 200)]
    pub address: String,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
    /// Check-in by QR code must happen within this many metres of the place (0: no check).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 50000)]
    pub checkin_radius_m: i64,
    #[schema(min_length = 1, max_length = 30)]
    pub person_in_charge: String,
    #[serde(default)]
    #[schema(max_length = 30)]
    pub contact_phone: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub risk_notes: String,
    #[serde(default)]
    pub auto_approve: bool,
    #[serde(default)]
    pub shifts: Vec<ShiftInput>,
    /// Publish at once (recruiting) instead of saving a draft.
    #[serde(default)]
    pub publish: bool,
}

/// Parses an RFC 3339 instant, or a local Beijing time `YYYY-MM-DDTHH:MM` (as HTML forms send).
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(n) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return TZ.from_local_datetime(&n).single().map(|t| t.with_timezone(&Utc));
        }
    }
    None
}

pub(crate) struct CheckedShift {
    pub(crate) times: ShiftTimes,
    pub(crate) headcount: i64,
    pub(crate) skills: Vec<String>,
    pub(crate) min_age: i64,
}

/// A project's own details as given; every problem goes into `errs`, and the details come back
/// only when there was none.
pub(crate) fn check_details(
    input: &ProjectDetailsInput,
    errs: &mut Vec<FieldError>,
) -> Option<ProjectDetails> {
    let before = errs.len();
    let title = name_text("title", "项目名称", &input.title, 80, errs);
    let address = name_text("address", "服务地点", &input.address, 200, errs);
    let person = name_text("person_in_charge", "负责人", &input.person_in_charge, 30, errs);
    let category = category_by_code_or_label(&input.category);
    if category.is_none() {
        errs.push(FieldError::new(
            "category",
            "service_category_invalid",
            "请选择服务类别",
        ));
    }
    let description = optional_prose("description", "项目介绍", &input.description, 5000, errs);
    let risk_notes = optional_prose("risk_notes", "风险提示", &input.risk_notes, 2000, errs);
    let contact_phone = optional_contact_phone("contact_phone", &input.contact_phone, errs);
    let location = match (input.lat, input.lon) {
        (None, None) => None,
        (Some(a), Some(b)) if valid_point(a, b) => Some((a, b)),
        _ => {
            errs.push(FieldError::new(
                "location",
                "location_invalid",
                "位置需同时填写有效的纬度和经度",
            ));
            None
        }
    };
    if !(0..=50_000).contains(&input.checkin_radius_m) {
        errs.push(FieldError::new(
            "checkin_radius_m",
            "location_invalid",
            "签到范围应在0到50000米之间",
        ));
    } else if input.checkin_radius_m > 0 && location.is_none() {
        errs.push(FieldError::new(
            "checkin_radius_m",
            "location_invalid",
            "设置签到范围须先填写服务地点的经纬度",
        ));
    }
    if errs.len() > before {
        return None;
    }
    Some(ProjectDetails {
        title,
        category: category?.code.to_owned(),
        description,
        address,
        lat: location.map(|l| l.0),
        lon: location.map(|l| l.1),
        checkin_radius_m: input.checkin_radius_m,
        person_in_charge: person,
        contact_phone,
        risk_notes,
        auto_approve: input.auto_approve,
    })
}

pub(crate) fn check_shift(s: &ShiftInput, errs: &mut Vec<FieldError>) -> Option<CheckedShift> {
    let mut mine = Vec::new();
    let times = match (parse_instant(&s.starts_at), parse_instant(&s.ends_at)) {
        (Some(a), Some(b)) => ShiftTimes::new(a, b).map_err(|e| mine.push(e.into())).ok(),
        _ => {
            mine.push(FieldError::new(
                "shift",
                "shift_time_invalid",
                "请填写班次的开始和结束时间",
            ));
            None
        }
    };
    let headcount = check_headcount(s.headcount).map_err(|e| mine.push(e.into())).ok();
    let min_age = check_min_age(s.min_age).map_err(|e| mine.push(e.into())).ok();
    let skills = parse_skills(&s.required_skills.join(","))
        .map_err(|e| mine.push(e.into()))
        .ok();
    errs.extend(mine);
    Some(CheckedShift {
        times: times?,
        headcount: headcount? as i64,
        skills: skills?,
        min_age: min_age? as i64,
    })
}

impl Service<'_> {
    /// Publishes (or drafts) a project of a team the caller administers, with its shifts.
    pub async fn create_project(&self, caller: &Caller, input: &ProjectInput) -> AppResult<ProjectView> {
        caller.require_admin()?;
        let mut errs = Vec::new();
        let org = if input.organization_id > 0 {
            match self.network().org_row(input.organization_id).await {
                Ok(org) => Some(org),
                Err(AppError::NotFound(_)) => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        match &org {
            None => errs.push(FieldError::new(
                "organization_id",
                "team_invalid",
                "请选择组织单位",
            )),
            Some(o) if o.dissolved_at.is_some() => errs.push(FieldError::new(
                "organization_id",
                "org_dissolved",
                format!("{}已解散", o.name),
            )),
            Some(_) => {}
        }
        let details = check_details(&ProjectDetailsInput::from(input), &mut errs);
        if input.shifts.len() > 200 {
            errs.push(FieldError::new(
                "shift",
                "shift_time_invalid",
                "一个项目最多200个班次",
            ));
        }
        let mut shifts = Vec::with_capacity(input.shifts.len());
        for (i, s) in input.shifts.iter().enumerate() {
            let mut mine = Vec::new();
            if let Some(s) = check_shift(s, &mut mine) {
                shifts.push(s);
            }
            errs.extend(mine.into_iter().map(|e| e.at(i)));
        }
        if input.publish && input.shifts.is_empty() {
            errs.push(FieldError::new(
                "shift",
                "shift_time_invalid",
                "发布招募前请至少添加一个班次",
            ));
        }
        let Some(org) = org.filter(|_| errs.is_empty()) else {
            return Err(AppError::Invalid(errs));
        };
        caller.require_org(&org)?;
        let status = if input.publish {
            ProjectStatus::Recruiting
        } else {
            ProjectStatus::Draft
        };
        let mut tx = self.begin().await?;
        let id = projects::insert(
            &mut tx,
            &NewProject {
                details: details.expect("checked"),
                organization_id: org.id,
                region_code: org.region_code.clone(),
                status,
                created_by: Some(caller.account_id),
            },
        )
        .await?;
        for s in &shifts {
            projects::insert_shift(
                &mut tx,
                id,
                s.times.start.timestamp_millis(),
                s.times.end.timestamp_millis(),
                s.headcount,
                &s.skills.join(","),
                s.min_age,
            )
            .await?;
        }
        tx.after_commit(AfterCommit::RefreshProject(id));
        let view = project_view(
            projects::get(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound("项目"))?,
            projects::shifts_of(&mut tx, id).await?,
        );
        tx.audit(self.project_audit(caller, &org, AuditAction::ProjectCreate, id, None, Some(&view)))
            .await?;
        tx.commit(self).await?;
        Ok(view)
    }

    pub(crate) fn project_audit(
        &self,
        caller: &Caller,
        org: &zhiyuan_store::network::orgs::OrgRow,
        action: AuditAction,
        id: i64,
        before: Option<serde_json::Value>,
        after: Option<&impl Serialize>,
    ) -> NewAudit {
        NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action,
            entity_id: id.to_string(),
            region_code: Some(org.region_code.clone()),
            org_path: Some(org.path.clone()),
            before,
            after: after.and_then(|a| serde_json::to_value(a).ok()),
        }
    }

    /// Adds a shift to a draft or recruiting project.
    pub async fn add_shift(
        &self,
        caller: &Caller,
        project_id: i64,
        input: &ShiftInput,
    ) -> AppResult<ShiftView> {
        let (p, org) = self.project_for_admin(caller, project_id).await?;
        let status = p.status;
        if !status.takes_shifts() {
            return Err(AppError::Conflict {
                code: "state_invalid",
                field: None,
                message: format!("项目{}，不能再添加班次", status.label_zh()),
            });
        }
        let mut errs = Vec::new();
        let s = check_shift(input, &mut errs).ok_or(AppError::Invalid(errs))?;
        let mut tx = self.begin().await?;
        let id = projects::insert_shift(
            &mut tx,
            project_id,
            s.times.start.timestamp_millis(),
            s.times.end.timestamp_millis(),
            s.headcount,
            &s.skills.join(","),
            s.min_age,
        )
        .await?;
        tx.after_commit(AfterCommit::RefreshProject(project_id));
        let view = ShiftView::from(
            projects::shift(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound("班次"))?,
        );
        tx.audit(self.project_audit(
            caller,
            &org,
            AuditAction::ShiftCreate,
            project_id,
            None,
            Some(&view),
        ))
        .await?;
        tx.commit(self).await?;
        Ok(view)
    }

    /// The project a shift belongs to.
    pub async fn shift_project(&self, shift_id: i64) -> AppResult<i64> {
        let mut conn = self.conn().await?;
        projects::shift(&mut conn, shift_id)
            .await?
            .map(|s| s.project_id)
            .ok_or(AppError::NotFound("班次"))
    }

    /// The project of a sign-up the caller may act on: their own, or one in a team they
    /// administer. Anyone else learns nothing (not found).
    pub async fn sign_up_project(&self, caller: &Caller, sign_up_id: i64) -> AppResult<i64> {
        let mut conn = self.conn().await?;
        let row = signups::get(&mut conn, sign_up_id)
            .await?
            .ok_or(AppError::NotFound("报名"))?;
        let (_, org) = project_and_team(&mut conn, row.project_id).await?;
        let own = caller.volunteer_id == Some(row.volunteer_id);
        if own || caller.administers(&org) {
            Ok(row.project_id)
        } else {
            Err(AppError::NotFound("报名"))
        }
    }

    async fn project_for_admin(
        &self,
        caller: &Caller,
        id: i64,
    ) -> AppResult<(ProjectRow, zhiyuan_store::network::orgs::OrgRow)> {
        let mut conn = self.conn().await?;
        project_team(&mut conn, caller, id).await
    }

    /// Moves a project to another state (publish, start, finish, cancel, back to draft).
    pub async fn set_project_status(&self, caller: &Caller, id: i64, to: &str) -> AppResult<ProjectView> {
        let (p, org) = self.project_for_admin(caller, id).await?;
        let to = ProjectStatus::parse(to)
            .ok_or_else(|| AppError::invalid("status", "state_invalid", "未知的项目状态"))?;
        let from = p.status;
        from.transition(to)?;
        let mut tx = self.begin().await?;
        if to == ProjectStatus::Recruiting && projects::shifts_of(&mut tx, id).await?.is_empty() {
            return Err(AppError::invalid(
                "shift",
                "shift_time_invalid",
                "发布招募前请至少添加一个班次",
            ));
        }
        if !projects::set_status(&mut tx, id, from, to).await? {
            return Err(AppError::Conflict {
                code: "state_changed",
                field: None,
                message: "项目状态已被他人修改，请刷新".into(),
            });
        }
        tx.after_commit(AfterCommit::RefreshProject(id));
        let view = project_view(
            projects::get(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound("项目"))?,
            projects::shifts_of(&mut tx, id).await?,
        );
        tx.audit(self.project_audit(
            caller,
            &org,
            AuditAction::ProjectStatus,
            id,
            Some(serde_json::json!({"status": from.as_str()})),
            Some(&serde_json::json!({"status": to.as_str()})),
        ))
        .await?;
        tx.commit(self).await?;
        Ok(view)
    }

    /// A project. Drafts are shown only to the organizing team's administrators.
    pub async fn project(&self, caller: Option<&Caller>, id: i64) -> AppResult<ProjectView> {
        let mut conn = self.conn().await?;
        let p = projects::get(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("项目"))?;
        if p.status == ProjectStatus::Draft {
            let org = orgs::get(&mut conn, p.organization_id)
                .await?
                .ok_or(AppError::NotFound("队伍"))?;
            match caller {
                Some(c) if c.administers(&org) => {}
                Some(_) => return Err(AppError::Forbidden),
                None => return Err(AppError::NotFound("项目")),
            }
        }
        let shifts = projects::shifts_of(&mut conn, id).await?;
        Ok(project_view(p, shifts))
    }

    /// Public project list: published projects (not drafts), filtered by category, region and date.
    pub async fn projects(&self, filter: &ProjectFilter, page: PageRequest) -> AppResult<Page<ProjectView>> {
        let mut f = filter.clone();
        if f.statuses.is_empty() {
            f.statuses = vec![
                ProjectStatus::Recruiting,
                ProjectStatus::Running,
                ProjectStatus::Finished,
            ];
        }
        // drafts are never public
        f.statuses.retain(|s| *s != ProjectStatus::Draft);
        if f.statuses.is_empty() {
            f.statuses = vec![ProjectStatus::Recruiting];
        }
        self.list_projects(&f, page).await
    }

    /// A team's projects and its sub-teams' that are not over yet, as the project list orders
    /// them; drafts only for those who administer the team.
    pub async fn team_projects(
        &self,
        caller: Option<&Caller>,
        team: &crate::network::policy::TeamPlace,
    ) -> AppResult<Vec<ProjectView>> {
        let mut statuses = vec![ProjectStatus::Recruiting, ProjectStatus::Running];
        if caller.is_some_and(|c| crate::network::policy::administers(c, team)) {
            statuses.insert(0, ProjectStatus::Draft);
        }
        let f = ProjectFilter {
            organization_path: Some(team.path.clone()),
            statuses,
            ..Default::default()
        };
        Ok(self
            .list_projects(&f, PageRequest::new(None, Some(50)))
            .await?
            .items)
    }

    async fn list_projects(&self, f: &ProjectFilter, page: PageRequest) -> AppResult<Page<ProjectView>> {
        let mut conn = self.conn().await?;
        let p = projects::list(&mut conn, f, page).await?;
        let ids: Vec<i64> = p.items.iter().map(|r| r.id).collect();
        let mut shifts = shifts_by_project(projects::shifts_of_projects(&mut conn, &ids).await?);
        let items = p
            .items
            .into_iter()
            .map(|row| {
                let s = shifts.remove(&row.id).unwrap_or_default();
                project_view(row, s)
            })
            .collect();
        Ok(Page {
            items,
            total: p.total,
            page: p.page,
            per_page: p.per_page,
        })
    }

    /// Projects recruiting or running near a point (就近就便), nearest first, within `radius_m`.
    pub async fn nearby_projects(
        &self,
        lat: f64,
        lon: f64,
        radius_m: f64,
        limit: i64,
    ) -> AppResult<Vec<ProjectView>> {
        if !valid_point(lat, lon) || !(1.0..=100_000.0).contains(&radius_m) {
            return Err(AppError::invalid(
                "location",
                "location_invalid",
                "请提供有效的位置和1至100000米的范围",
            ));
        }
        // a bounding box first, then the exact distance
        let dlat = radius_m / 111_320.0;
        let dlon = radius_m / (111_320.0 * lat.to_radians().cos().max(0.01));
        let mut conn = self.conn().await?;
        let rows = projects::in_box(
            &mut conn,
            &[ProjectStatus::Recruiting, ProjectStatus::Running],
            (lat - dlat, lat + dlat),
            (lon - dlon, lon + dlon),
            2000,
        )
        .await?;
        let mut found: Vec<(f64, ProjectRow)> = rows
            .into_iter()
            .filter_map(|r| {
                let d = haversine_m(lat, lon, r.lat?, r.lon?);
                (d <= radius_m).then_some((d, r))
            })
            .collect();
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
        found.truncate(limit.clamp(1, 200) as usize);
        let ids: Vec<i64> = found.iter().map(|(_, r)| r.id).collect();
        let mut shifts = shifts_by_project(projects::shifts_of_projects(&mut conn, &ids).await?);
        Ok(found
            .into_iter()
            .map(|(d, row)| {
                let s = shifts.remove(&row.id).unwrap_or_default();
                let mut v = project_view(row, s);
                v.distance_m = Some(d.round() as i64);
                v
            })
            .collect())
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SignUpView {
    pub id: i64,
    pub shift_id: i64,
    pub project_id: i64,
    pub project_title: String,
    pub volunteer_id: i64,
    pub volunteer_name: String,
    pub volunteer_no: String,
    #[schema(value_type = String)]
    pub status: SignUpStatus,
    pub status_label: String,
    pub starts_at: String,
    pub ends_at: String,
    pub checkin_at: Option<String>,
    pub checkin_method: Option<String>,
    pub checkout_at: Option<String>,
    pub checkout_method: Option<String>,
    pub signed_up_at: String,
}

impl From<SignUpRow> for SignUpView {
    fn from(u: SignUpRow) -> Self {
        let status_label = u.status.label_zh();
        SignUpView {
            id: u.id,
            shift_id: u.shift_id,
            project_id: u.project_id,
            project_title: u.project_title,
            volunteer_id: u.volunteer_id,
            volunteer_name: u.volunteer_name,
            volunteer_no: u.volunteer_no.unwrap_or_default(),
            status_label: status_label.to_owned(),
            status: u.status,
            starts_at: show_time(u.starts_at),
            ends_at: show_time(u.ends_at),
            checkin_at: u.checkin_at.map(show_time),
            checkin_method: u.checkin_method,
            checkout_at: u.checkout_at.map(show_time),
            checkout_method: u.checkout_method,
            signed_up_at: show_time(u.created_at),
        }
    }
}

fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Conflict {
        code,
        field: None,
        message: message.into(),
    }
}

impl Service<'_> {
    /// A volunteer signs up for a shift. Refused when the project is not recruiting, the shift
    /// has started, the volunteer is too young or lacks a required skill, or another live
    /// sign-up overlaps it. With auto-approval a free seat is taken at once; a full shift puts
    /// the volunteer on the waitlist.
    pub async fn sign_up(&self, caller: &Caller, shift_id: i64, note: &str) -> AppResult<SignUpView> {
        let Some(vid) = caller.volunteer_id else {
            return Err(conflict("not_a_volunteer", "只有注册志愿者可以报名"));
        };
        let note = crate::text::note("note", "报名备注", note, 200)?;
        let mut tx = self.begin().await?;
        signups::lock_volunteer(&mut tx, vid).await?;
        let shift = projects::shift(&mut tx, shift_id)
            .await?
            .ok_or(AppError::NotFound("班次"))?;
        let p = projects::get(&mut tx, shift.project_id)
            .await?
            .ok_or(AppError::NotFound("项目"))?;
        match p.status {
            ProjectStatus::Recruiting => {}
            ProjectStatus::Cancelled => return Err(conflict("project_cancelled", "该项目已取消，不能报名")),
            s => {
                return Err(conflict(
                    "not_recruiting",
                    format!("该项目{}，当前不接受报名", s.label_zh()),
                ))
            }
        }
        if shift.starts_at <= now_millis() {
            return Err(conflict("shift_started", "该班次已开始，不能报名"));
        }
        if signups::active(&mut tx, shift_id, vid).await?.is_some() {
            return Err(conflict("sign_up_exists", "您已报名该班次"));
        }
        let v = volunteers::get(&mut tx, vid)
            .await?
            .ok_or(AppError::NotFound("志愿者"))?;
        // The birth date is stored only inside the encrypted number.
        let clear = self.vault().decrypt(&v.id_cipher)?;
        let birth = ResidentId::parse(&clear, today())
            .map_err(|_| AppError::Internal("bad stored resident ID".into()))?
            .birth_date();
        let shift_day = TZ
            .timestamp_millis_opt(shift.starts_at)
            .single()
            .map(|t| t.date_naive())
            .unwrap_or(today());
        if (age_on(birth, shift_day) as i64) < shift.min_age {
            return Err(conflict(
                "too_young",
                format!("该班次要求年满{}周岁", shift.min_age),
            ));
        }
        let required: Vec<String> = shift
            .required_skills
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let has: Vec<String> = v
            .skills
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let missing = missing_skills(&required, &has);
        if !missing.is_empty() {
            return Err(conflict(
                "skills_missing",
                format!("该班次要求具备技能：{}", missing.join("、")),
            ));
        }
        let clashes = signups::clashes(&mut tx, vid, shift_id, shift.starts_at, shift.ends_at).await?;
        if let Some(c) = clashes.first() {
            return Err(conflict(
                "shift_clash",
                format!(
                    "与您已报名的“{}”（{} 至 {}）时间冲突",
                    c.project_title,
                    show_time(c.starts_at),
                    show_time(c.ends_at)
                ),
            ));
        }
        let status = if p.auto_approve != 0 {
            if projects::take_seat(&mut tx, shift_id).await? {
                SignUpStatus::Approved
            } else {
                SignUpStatus::Waitlisted
            }
        } else if shift.approved_count >= shift.headcount {
            SignUpStatus::Waitlisted
        } else {
            SignUpStatus::Pending
        };
        let id = signups::insert(&mut tx, shift_id, vid, status, &note)
            .await
            .map_err(|e| on_unique(e, "sign_up_exists", None, "您已报名该班次"))?;
        let row = signups::get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("报名"))?;
        let org = orgs::get(&mut tx, p.organization_id)
            .await?
            .ok_or(AppError::NotFound("队伍"))?;
        tx.audit(self.signup_audit(caller, &org, AuditAction::SignUpCreate, &row, None))
            .await?;
        tx.commit(self).await?;
        Ok(row.into())
    }

    /// Fills a shift's free seats from its waitlist, first come first served, auditing each
    /// promotion (a cancellation frees one seat, a larger headcount several).
    pub(crate) async fn fill_from_waitlist(
        &self,
        tx: &mut crate::work::Work,
        caller: &Caller,
        org: &zhiyuan_store::network::orgs::OrgRow,
        shift_id: i64,
    ) -> AppResult<()> {
        while let Some(next) = signups::first_waitlisted(tx, shift_id).await? {
            if !projects::take_seat(tx, shift_id).await? {
                break;
            }
            if !signups::set_status(
                tx,
                next.id,
                SignUpStatus::Waitlisted,
                SignUpStatus::Approved,
                None,
            )
            .await?
            {
                projects::free_seat(tx, shift_id).await?;
                break;
            }
            let promoted = signups::get(tx, next.id)
                .await?
                .ok_or(AppError::NotFound("报名"))?;
            tx.audit(self.signup_audit(
                caller,
                org,
                AuditAction::SignUpPromote,
                &promoted,
                Some("waitlisted"),
            ))
            .await?;
        }
        Ok(())
    }

    pub(crate) fn signup_audit(
        &self,
        caller: &Caller,
        org: &zhiyuan_store::network::orgs::OrgRow,
        action: AuditAction,
        row: &SignUpRow,
        before: Option<&str>,
    ) -> NewAudit {
        NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action,
            entity_id: row.id.to_string(),
            region_code: Some(org.region_code.clone()),
            org_path: Some(org.path.clone()),
            before: before.map(|s| serde_json::json!({"status": s})),
            after: Some(
                serde_json::json!({"status": row.status, "shift_id": row.shift_id, "volunteer_id": row.volunteer_id}),
            ),
        }
    }

    /// The sign-up and the organizing team, checked for an administrator of the team.
    async fn sign_up_for_admin(
        &self,
        caller: &Caller,
        tx: &mut crate::work::Work,
        id: i64,
    ) -> AppResult<(SignUpRow, zhiyuan_store::network::orgs::OrgRow)> {
        let row = signups::get(tx, id).await?.ok_or(AppError::NotFound("报名"))?;
        let (_, org) = project_team(tx, caller, row.project_id).await?;
        Ok((row, org))
    }

    /// The team approves a pending (or waitlisted) sign-up; when the shift is full the
    /// volunteer goes to the waitlist instead. Headcount is never exceeded.
    pub async fn approve_sign_up(&self, caller: &Caller, id: i64) -> AppResult<SignUpView> {
        self.decide_sign_up(caller, id, SignUpStatus::Approved).await
    }

    /// The team declines a pending or waitlisted sign-up.
    pub async fn decline_sign_up(&self, caller: &Caller, id: i64) -> AppResult<SignUpView> {
        self.decide_sign_up(caller, id, SignUpStatus::Declined).await
    }

    async fn decide_sign_up(&self, caller: &Caller, id: i64, want: SignUpStatus) -> AppResult<SignUpView> {
        let mut tx = self.begin().await?;
        let (row, org) = self.sign_up_for_admin(caller, &mut tx, id).await?;
        let from = row.status;
        from.transition(want)?;
        let to = if want != SignUpStatus::Approved {
            want
        } else if projects::take_seat(&mut tx, row.shift_id).await? {
            SignUpStatus::Approved
        } else if from == SignUpStatus::Pending {
            SignUpStatus::Waitlisted
        } else {
            return Err(conflict("shift_full", "该班次名额已满，仍在候补中"));
        };
        if !signups::set_status(&mut tx, id, from, to, Some(caller.account_id)).await? {
            return Err(conflict("state_changed", "该报名状态已变化，请刷新"));
        }
        let after = signups::get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("报名"))?;
        let action = if want == SignUpStatus::Approved {
            AuditAction::SignUpApprove
        } else {
            AuditAction::SignUpDecline
        };
        tx.audit(self.signup_audit(caller, &org, action, &after, Some(from.as_str())))
            .await?;
        tx.commit(self).await?;
        Ok(after.into())
    }

    /// The volunteer (or the team) cancels a sign-up before the shift starts. A freed seat
    /// goes to the first volunteer on the waitlist.
    pub async fn cancel_sign_up(&self, caller: &Caller, id: i64) -> AppResult<SignUpView> {
        let mut tx = self.begin().await?;
        let row = signups::get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("报名"))?;
        let (_, org) = project_and_team(&mut tx, row.project_id).await?;
        let own = caller.volunteer_id == Some(row.volunteer_id);
        if !(own || (caller.administers(&org))) {
            return Err(AppError::Forbidden);
        }
        if row.checkin_at.is_some() {
            return Err(conflict("checked_in", "已签到的报名不能取消"));
        }
        let from = row.status;
        from.transition(SignUpStatus::Cancelled)?;
        if !signups::set_status(
            &mut tx,
            id,
            from,
            SignUpStatus::Cancelled,
            Some(caller.account_id),
        )
        .await?
        {
            return Err(conflict("state_changed", "该报名状态已变化，请刷新"));
        }
        if from == SignUpStatus::Approved {
            projects::free_seat(&mut tx, row.shift_id).await?;
            self.fill_from_waitlist(&mut tx, caller, &org, row.shift_id)
                .await?;
        }
        let after = signups::get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("报名"))?;
        tx.audit(self.signup_audit(
            caller,
            &org,
            AuditAction::SignUpCancel,
            &after,
            Some(from.as_str()),
        ))
        .await?;
        tx.commit(self).await?;
        Ok(after.into())
    }

    /// The roster of a shift for the organizing team.
    pub async fn roster(&self, caller: &Caller, shift_id: i64) -> AppResult<Vec<SignUpView>> {
        let mut conn = self.conn().await?;
        shift_team(&mut conn, caller, shift_id).await?;
        Ok(signups::of_shift(&mut conn, shift_id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The printable sign-in sheet (签到表) of a shift, as PDF bytes, for the organizing team:
    /// the approved volunteers, then those waiting, then blank rows for walk-ins (as many as
    /// the shift has free places, 5 to 30).
    pub async fn sign_in_sheet(&self, caller: &Caller, shift_id: i64) -> AppResult<Vec<u8>> {
        let (shift, p, _org) = {
            let mut conn = self.conn().await?;
            shift_team(&mut conn, caller, shift_id).await?
        };
        let roster = self.roster(caller, shift_id).await?;
        let mut lines = Vec::new();
        for status in [
            SignUpStatus::Approved,
            SignUpStatus::Waitlisted,
            SignUpStatus::Pending,
        ] {
            lines.extend(
                roster
                    .iter()
                    .filter(|u| u.status == status)
                    .map(|u| zhiyuan_pdf::SheetLine {
                        name: u.volunteer_name.clone(),
                        volunteer_no: u.volunteer_no.clone(),
                        status: u.status_label.clone(),
                    }),
            );
        }
        let approved = roster
            .iter()
            .filter(|u| u.status == SignUpStatus::Approved)
            .count() as i64;
        let start = crate::show_time(shift.starts_at);
        let end = crate::show_time(shift.ends_at);
        let end = match (start.get(..10), end.get(..10)) {
            (Some(a), Some(b)) if a == b => end[11..].to_owned(),
            _ => end,
        };
        let person = if p.contact_phone.is_empty() {
            p.person_in_charge.clone()
        } else {
            format!("{} {}", p.person_in_charge, p.contact_phone)
        };
        let data = zhiyuan_pdf::SignInSheet {
            project: p.title.clone(),
            organizer: p.organization_name.clone(),
            time: format!("{start}–{end}"),
            place: format!("{} {}", p.region_name, p.address),
            person_in_charge: person,
            lines,
            blank_rows: (shift.headcount - approved).clamp(5, 30) as usize,
            printed_at: crate::show_time(chrono::Utc::now().timestamp_millis()),
        };
        tokio::task::spawn_blocking(move || zhiyuan_pdf::render_sign_in_sheet(&data))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The caller's own sign-ups.
    pub async fn my_sign_ups(&self, caller: &Caller) -> AppResult<Vec<SignUpView>> {
        let Some(vid) = caller.volunteer_id else {
            return Ok(Vec::new());
        };
        let mut conn = self.conn().await?;
        Ok(signups::of_volunteer(&mut conn, vid, 200)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

/// A project and its organizing team.
pub(crate) async fn project_and_team(
    conn: &mut zhiyuan_store::Conn,
    project_id: i64,
) -> AppResult<(ProjectRow, zhiyuan_store::network::orgs::OrgRow)> {
    let p = projects::get(conn, project_id)
        .await?
        .ok_or(AppError::NotFound("项目"))?;
    let org = orgs::get(conn, p.organization_id)
        .await?
        .ok_or(AppError::NotFound("队伍"))?;
    Ok((p, org))
}

/// A project and its organizing team, for an administrator of the team.
pub(crate) async fn project_team(
    conn: &mut zhiyuan_store::Conn,
    caller: &Caller,
    project_id: i64,
) -> AppResult<(ProjectRow, zhiyuan_store::network::orgs::OrgRow)> {
    let (p, org) = project_and_team(conn, project_id).await?;
    caller.require_org(&org)?;
    Ok((p, org))
}

/// A shift, its project and the organizing team, for an administrator of the team.
pub(crate) async fn shift_team(
    conn: &mut zhiyuan_store::Conn,
    caller: &Caller,
    shift_id: i64,
) -> AppResult<(ShiftRow, ProjectRow, zhiyuan_store::network::orgs::OrgRow)> {
    let shift = projects::shift(conn, shift_id)
        .await?
        .ok_or(AppError::NotFound("班次"))?;
    let (p, org) = project_team(conn, caller, shift.project_id).await?;
    Ok((shift, p, org))
}

/// Shifts grouped by project, each group in the order given.
fn shifts_by_project(rows: Vec<ShiftRow>) -> std::collections::HashMap<i64, Vec<ShiftRow>> {
    let mut out: std::collections::HashMap<i64, Vec<ShiftRow>> = std::collections::HashMap::new();
    for s in rows {
        out.entry(s.project_id).or_default().push(s);
    }
    out
}
