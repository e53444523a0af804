//! 修改项目 and 修改班次: a project's details and its shifts are edited while it is a draft or
//! recruiting. A shift that has begun is not edited; its seats never drop below those already
//! approved, more seats are filled from the waitlist, and everyone signed up is told when its
//! time moves.

use chrono::TimeZone;
use chrono::Utc;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::notices::NoticeKind;
use zhiyuan_domain::people::resident_id::ResidentId;
use zhiyuan_domain::service::project::age_on;
use zhiyuan_domain::service::project::{ProjectStatus, SignUpStatus};
use zhiyuan_store::notices::Recipient;
use zhiyuan_store::people::volunteers;
use zhiyuan_store::service::{projects, signups};

use super::projects::{check_details, check_shift, project_team, project_view, shift_team};
use super::projects::{ProjectDetailsInput, ProjectView, ShiftInput, ShiftView};
use super::Service;
use crate::access::Caller;
use crate::error::{AppError, AppResult, FieldError};
use crate::work::AfterCommit;
use crate::{show_time, today, TZ};

/// The states in which a project and its shifts are edited.
const EDITABLE: [ProjectStatus; 2] = [ProjectStatus::Draft, ProjectStatus::Recruiting];

/// `王建国、李海燕等 3 人` — who a refusal is about, briefly.
fn names(list: &[String]) -> String {
    match list.len() {
        0 => String::new(),
        1 | 2 => list.join("、"),
        n => format!("{}等 {n} 人", list[..2].join("、")),
    }
}

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
        tx.after_commit(AfterCommit::RefreshProject(id));
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
        // those already signed up must still fit: old enough on the new day, free at the new time
        let live: Vec<_> = signups::of_shift(&mut tx, shift_id)
            .await?
            .into_iter()
            .filter(|u| SignUpStatus::LIVE.contains(&u.status))
            .collect();
        let day = TZ
            .timestamp_millis_opt(start)
            .single()
            .map(|t| t.date_naive())
            .unwrap_or(today());
        // an age can newly fall short only with a higher minimum or on another day
        let day_moved = TZ
            .timestamp_millis_opt(shift.starts_at)
            .single()
            .map(|t| t.date_naive())
            != Some(day);
        let check_ages = c.min_age > 0 && (c.min_age > shift.min_age || day_moved);
        let (mut young, mut busy) = (Vec::new(), Vec::new());
        for u in &live {
            if check_ages {
                if let Some(v) = volunteers::get(&mut tx, u.volunteer_id).await? {
                    let clear = self.vault().decrypt(&v.id_cipher)?;
                    let birth = ResidentId::parse(&clear, today())
                        .map_err(|_| AppError::Internal("bad stored resident ID".into()))?
                        .birth_date();
                    if (age_on(birth, day) as i64) < c.min_age {
                        young.push(u.volunteer_name.clone());
                    }
                }
            }
            if (start, end) != (shift.starts_at, shift.ends_at)
                && !signups::clashes(&mut tx, u.volunteer_id, shift_id, start, end)
                    .await?
                    .is_empty()
            {
                busy.push(u.volunteer_name.clone());
            }
        }
        let mut errs = Vec::new();
        if !young.is_empty() {
            errs.push(FieldError::new(
                "min_age",
                "min_age_excludes_signed_up",
                format!(
                    "已报名的{}不满{}周岁，请先处理其报名再提高最低年龄",
                    names(&young),
                    c.min_age
                ),
            ));
        }
        if !busy.is_empty() {
            errs.push(FieldError::new(
                "shift",
                "shift_clashes_signed_up",
                format!(
                    "已报名的{}在新的时间另有报名，请换一个时间或先与其沟通",
                    names(&busy)
                ),
            ));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
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
        tx.after_commit(AfterCommit::RefreshProject(shift.project_id));
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
