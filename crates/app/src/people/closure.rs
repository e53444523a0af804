//! 注销: a volunteer leaves the platform — by their own choice (with their password) or through
//! an office that sees them (with a reason). Their login is closed, their personal details are
//! cleared and no longer shown, they leave their teams and the shifts still ahead; their service
//! records, certificates and the history of their memberships stay, as the regulations require.

use serde::Deserialize;
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::auth::MembershipStatus;
use zhiyuan_domain::service::project::SignUpStatus;
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::auth::{accounts, sessions};
use zhiyuan_store::orders::matching;
use zhiyuan_store::people::{memberships, volunteers};
use zhiyuan_store::service::{projects, signups};

use super::{People, VolunteerView};
use crate::access::{Caller, Scope};
use crate::error::{AppError, AppResult};
use crate::service::projects::project_and_team;
use crate::work::AfterCommit;

/// 注销 asked for: the volunteer's own password, or an office's reason.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct CloseInput {
    /// Required when the volunteer closes their own record.
    #[serde(default)]
    pub password: String,
    /// Required when an office closes it; optional for the volunteer.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reason: String,
}

fn busy(message: String) -> AppError {
    AppError::Conflict {
        code: "volunteer_busy",
        field: None,
        message,
    }
}

impl People<'_> {
    /// 注销志愿者. Refused while the volunteer is checked in on a shift or holds an accepted
    /// order; every shift still ahead is cancelled (its seat goes to the waitlist).
    pub async fn close_volunteer(
        &self,
        caller: &Caller,
        id: i64,
        input: &CloseInput,
    ) -> AppResult<VolunteerView> {
        let own = caller.volunteer_id == Some(id);
        let office = matches!(caller.scope, Scope::Region { .. } | Scope::Site { .. });
        if !(own || caller.is_admin() && office) {
            return Err(AppError::Forbidden);
        }
        let reason = crate::text::note("reason", "注销原因", &input.reason, 200)?;
        if own {
            if input.password.is_empty() {
                return Err(AppError::invalid(
                    "password",
                    "password_required",
                    "请输入登录密码以确认注销",
                ));
            }
            if !self.auth().is_own_password(caller, &input.password).await? {
                return Err(AppError::invalid("password", "password_wrong", "密码不正确"));
            }
        } else if reason.chars().count() < 2 {
            return Err(AppError::invalid("reason", "reason_required", "请填写注销原因"));
        }
        let mut tx = self.begin().await?;
        let row = volunteers::get(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("志愿者"))?;
        // an office closes only someone who lives in its area (not whoever asked to join one of
        // its teams); a team's admin does not close a person, who may serve with other teams
        if !own && !caller.covers_region(&row.region_code) {
            return Err(AppError::Forbidden);
        }
        if row.closed_at.is_some() {
            return Err(super::closed(&row));
        }
        let now = zhiyuan_store::now_millis();
        let ups = signups::of_volunteer(&mut tx, id, 1000).await?;
        if let Some(u) = ups
            .iter()
            .find(|u| u.checkin_at.is_some() && u.checkout_at.is_none())
        {
            return Err(busy(format!(
                "“{}”已签到尚未签退，请先签退再注销",
                u.project_title
            )));
        }
        let orders = matching::row(&mut tx, id).await?.map_or(0, |m| m.active_orders);
        if orders > 0 {
            return Err(busy(format!(
                "还有 {orders} 个已接的点单未完成，请先完成服务，或请派单的阵地改派后再注销"
            )));
        }
        // the shifts still ahead are given up, their seats passed on
        let by = Some(caller.account_id);
        let mut cancelled = 0;
        for u in ups
            .iter()
            .filter(|u| SignUpStatus::LIVE.contains(&u.status) && u.starts_at > now)
        {
            if !signups::set_status(&mut tx, u.id, u.status, SignUpStatus::Cancelled, by).await? {
                continue;
            }
            cancelled += 1;
            let (_, org) = project_and_team(&mut tx, u.project_id).await?;
            if u.status == SignUpStatus::Approved {
                projects::free_seat(&mut tx, u.shift_id).await?;
                self.service()
                    .fill_from_waitlist(&mut tx, caller, &org, u.shift_id)
                    .await?;
            }
            let after = signups::get(&mut tx, u.id)
                .await?
                .ok_or(AppError::NotFound("报名"))?;
            let entry = self.service().signup_audit(
                caller,
                &org,
                AuditAction::SignUpCancel,
                &after,
                Some(u.status.as_str()),
            );
            tx.audit(entry).await?;
        }
        let left = memberships::end_all(
            &mut tx,
            memberships::Whose::Volunteer(id),
            MembershipStatus::Approved,
            MembershipStatus::Left,
            caller.account_id,
        )
        .await?;
        let withdrawn = memberships::end_all(
            &mut tx,
            memberships::Whose::Volunteer(id),
            MembershipStatus::Pending,
            MembershipStatus::Declined,
            caller.account_id,
        )
        .await?;
        if !volunteers::close(&mut tx, id).await? {
            return Err(super::closed(&row));
        }
        if let Some(account) = row.account_id {
            accounts::set_disabled(&mut tx, account, Some(now)).await?;
            sessions::delete_for_account(&mut tx, account).await?;
            // a login named by the phone number would keep the number: it is renamed
            accounts::set_username(&mut tx, account, &format!("closed-{id}")).await?;
        }
        let before = self.volunteer_view(row.clone(), false, false)?;
        let after = self.volunteer_view(
            volunteers::get(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound("志愿者"))?,
            false,
            false,
        )?;
        let mut summary = serde_json::to_value(&after).unwrap_or_default();
        if let Some(m) = summary.as_object_mut() {
            let said = match (own, reason.is_empty()) {
                (true, true) => "本人申请注销".to_owned(),
                (true, false) => format!("本人申请注销：{reason}"),
                (false, _) => reason.clone(),
            };
            m.insert("reason".into(), said.into());
            m.insert(
                "released".into(),
                format!("取消报名 {cancelled} 个，退出队伍 {left} 个，撤回入队申请 {withdrawn} 个").into(),
            );
        }
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::VolunteerClose,
            entity_id: id.to_string(),
            region_code: Some(row.region_code.clone()),
            org_path: None,
            before: serde_json::to_value(&before).ok(),
            after: Some(summary),
        })
        .await?;
        tx.after_commit(AfterCommit::RefreshVolunteer(id));
        tx.after_commit(AfterCommit::ForgetCallers);
        tx.commit(self).await?;
        Ok(after)
    }
}
