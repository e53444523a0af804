//! 修改项目 and 修改班次: a project's details and its shifts are edited while it is a draft or
//! recruiting. A shift that has begun is not edited; its seats never drop below those already
//! approved, more seats are filled from the waitlist, and everyone signed up is told when its
//! time moves.

use chrono::Utc;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::notices::NoticeKind;
use zhiyuan_domain::service::project::{ProjectStatus, SignUpStatus};
use zhiyuan_store::notices::Recipient;
use zhiyuan_store::service::{projects, signups};

use super::projects::{check_details, check_shift, project_team, project_view, shift_team};
use super::projects::{ProjectDetailsInput, ProjectView, ShiftInput, ShiftView};
use super::Service;
use crate::access::Caller;
use crate::error::{AppError, AppResult, FieldError};
use crate::show_time;

/// The states in which a project and its shifts are edited.
const EDITABLE: [ProjectStatus; 2] = [ProjectStatus::Draft, ProjectStatus::Recruiting];

fn not_editable(status: ProjectStatus) -> AppError {
    AppError::Conflict {
        code: "state_invalid",
        field: None,
        message: format!("项目{}，不能再修改", status.label_zh()),
    }
}

impl Service<'_> {
    /// 修改项目: title, category, description, place, contact and approval rule of a draft or
    /// recruiting project of a team the caller administers. Its team and shifts stay.
    pub async fn update_project(
        &self,
        caller: &Caller,
        id: i64,
        input: &ProjectDetailsInput,
    ) -> AppResult<ProjectView> {
        let mut tx = self.begin().await?;
        let (p, org) = project_team(&mut tx, caller, id).await?;
        if !p.status.editable() {
            return Err(not_editable(p.status));
        }
        let mut errs = Vec::new();
        let details = check_details(input, &mut errs).ok_or(AppError::Invalid(errs))?;
        let before = project_view(p, projects::shifts_of(&mut tx, id).await?);
        if !projects::update_details(&mut tx, id, &details, &EDITABLE).await? {
            let now = projects::get(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound("项目"))?;
            return Err(not_editable(now.status));
        }
        let after = project_view(
            projects::get(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound("项目"))?,
            projects::shifts_of(&mut tx, id).await?,
        );
        let mut entry = self.project_audit(caller, &org, AuditAction::ProjectUpdate, id, None, Some(&after));
        entry.before = serde_json::to_value(&before).ok();
        tx.audit(entry).await?;
        tx.commit(self).await?;
        Ok(after)
    }

    /// 修改班次: the times, seats, skills and minimum age of a shift that has not begun, of a
    /// draft or recruiting project. Fewer seats than already approved are refused beside the
    /// field; more seats take volunteers from the waitlist; a new time is told to everyone
    /// signed up (they may cancel if it no longer suits them).
    pub async fn update_shift(
        &self,
        caller: &Caller,
        shift_id: i64,
        input: &ShiftInput,
    ) -> AppResult<ShiftView> {
        let mut tx = self.begin().await?;
        let (shift, p, org) = shift_team(&mut tx, caller, shift_id).await?;
        if !p.status.editable() {
            return Err(not_editable(p.status));
        }
        let now = Utc::now().timestamp_millis();
        if shift.starts_at <= now {
            return Err(AppError::Conflict {
                code: "shift_started",
                field: None,
                message: "班次已开始，不能再修改".into(),
            });
        }
        let mut errs = Vec::new();
        let checked = check_shift(input, &mut errs);
        if let Some(c) = &checked {
            if c.times.start.timestamp_millis() <= now {
                errs.push(FieldError::new(
                    "shift",
                    "shift_time_invalid",
                    "班次开始时间应晚于现在",
                ));
            }
            if c.headcount < shift.approved_count {
                errs.push(FieldError::new(
                    "headcount",
                    "headcount_below_approved",
                    format!(
                        "已有 {} 人报名通过，招募人数不能少于 {}",
                        shift.approved_count, shift.approved_count
                    ),
                ));
            }
        }
        let Some(c) = checked.filter(|_| errs.is_empty()) else {
            return Err(AppError::Invalid(errs));
        };
        let (start, end) = (c.times.start.timestamp_millis(), c.times.end.timestamp_millis());
        let before = ShiftView::from(shift.clone());
        if !projects::update_shift(
            &mut tx,
            shift_id,
            start,
            end,
            c.headcount,
            &c.skills.join(","),
            c.min_age,
        )
        .await?
        {
            return Err(AppError::Conflict {
                code: "state_changed",
                field: None,
                message: "该班次的报名人数已变化，请刷新后重试".into(),
            });
        }
        if c.headcount > shift.headcount {
            self.fill_from_waitlist(&mut tx, caller, &org, shift_id).await?;
        }
        if (start, end) != (shift.starts_at, shift.ends_at) {
            let when = format!("{} 至 {}", show_time(start), show_time(end));
            for u in signups::of_shift(&mut tx, shift_id).await? {
                if SignUpStatus::LIVE.contains(&u.status) {
                    tx.notify(
                        Recipient::Volunteer(u.volunteer_id),
                        &p.region_code,
                        NoticeKind::ShiftChanged,
                        format!(
                            "您报名的“{}”班次时间改为 {when}（原 {} 至 {}）。如不能参加，请在项目页取消报名。",
                            p.title, before.starts_at, before.ends_at
                        ),
                        None,
                    );
                }
            }
        }
        let after = ShiftView::from(
            projects::shift(&mut tx, shift_id)
                .await?
                .ok_or(AppError::NotFound("班次"))?,
        );
        let mut entry = self.project_audit(caller, &org, AuditAction::ShiftUpdate, p.id, None, Some(&after));
        entry.before = serde_json::to_value(&before).ok();
        tx.audit(entry).await?;
        tx.commit(self).await?;
        Ok(after)
    }
}
