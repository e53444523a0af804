//! Check-in and check-out, three ways, all idempotent: the volunteer scans the shift's rotating
//! QR code (optionally within a radius of the place); the leader ticks the roster; the leader
//! uploads a batch recorded offline (each client event accepted once). Check-out makes the
//! service record, pending the team's confirmation.

use super::Service;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::network::geo::check_within;
use zhiyuan_domain::service::checkin::QrSigner;
use zhiyuan_domain::service::project::SignUpStatus;
use zhiyuan_domain::service::scan::{scan_step, Attendance as ScanAttendance, ScanAsk, ScanStep};
use zhiyuan_domain::service::RecordStatus;
use zhiyuan_store::audit::NewAudit;
use zhiyuan_store::service::projects;
use zhiyuan_store::service::signups::{self, AttendanceContext};
use zhiyuan_store::{now_millis, service::records};

use crate::access::Caller;
use crate::error::{AppError, AppResult};
use crate::service::projects::SignUpView;
use crate::service::records::{append_row, Draft, RecordView};
use crate::work::Bookkeeping;
use crate::{App, TZ};
use zhiyuan_store::Backend;

/// Check-in opens this long before a shift starts.
pub const EARLY_CHECKIN_MS: i64 = 60 * 60 * 1000;
/// Check-out is accepted until this long after a shift ends.
pub const LATE_CHECKOUT_MS: i64 = 12 * 60 * 60 * 1000;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct QrView {
    pub shift_id: i64,
    pub token: String,
    /// The path a phone opens: `/checkin?t=…`.
    pub path: String,
    /// When the shown code should be refreshed (unix seconds).
    pub rotates_at: i64,
    /// When this token stops working (unix seconds).
    pub expires_at: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AttendanceView {
    pub sign_up: SignUpView,
    /// The record made at check-out (none when the credited time rounds to zero).
    pub record: Option<RecordView>,
    /// True when this repeated an earlier check-in or check-out: nothing new was written.
    pub replay: bool,
    /// After a scan by a volunteer who is checked in: whether 确认签退 may be offered now (the
    /// shift has started and the time after check-in has passed; a scan never checks out by
    /// itself).
    pub may_check_out: bool,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct OfflineEvent {
    /// Unique per event on the device; a replayed key is accepted once.
    pub client_key: String,
    pub sign_up_id: i64,
    pub kind: Direction,
    /// When it happened on the device (RFC 3339).
    pub at: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OfflineOutcome {
    pub client_key: String,
    /// accepted / replay / refused
    pub outcome: String,
    pub message: String,
}

fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Conflict {
        code,
        field: None,
        message: message.into(),
    }
}

impl Service<'_> {
    fn qr_signer(&self) -> QrSigner {
        QrSigner::new(&self.vault().derived_key("checkin-qr"))
    }

    /// The current QR token of a shift, for its organizing team.
    pub async fn shift_qr(&self, caller: &Caller, shift_id: i64) -> AppResult<QrView> {
        let mut conn = self.conn().await?;
        crate::service::projects::shift_team(&mut conn, caller, shift_id).await?;
        let now = chrono::Utc::now().timestamp();
        let s = self.qr_signer();
        let period = QrSigner::DEFAULT_PERIOD_SECS;
        let token = s.token(shift_id, now, period);
        Ok(QrView {
            shift_id,
            path: format!("/checkin?t={token}"),
            token,
            rotates_at: s.rotates_at(now, period),
            expires_at: s.expires_at(now, period),
        })
    }

    /// The volunteer scanned the shift's code. A scan checks in, or answers 已签到 with the
    /// time; it checks out only when `direction` is `out` (确认签退), the shift has started and
    /// the time after check-in ([`Rules::checkout_after_minutes`]) has passed
    /// ([`zhiyuan_domain::service::scan::scan_step`]).
    pub async fn scan(
        &self,
        caller: &Caller,
        token: &str,
        direction: Option<Direction>,
        position: Option<(f64, f64)>,
    ) -> AppResult<AttendanceView> {
        let shift_id = self.qr_signer().verify(
            token,
            chrono::Utc::now().timestamp(),
            QrSigner::DEFAULT_PERIOD_SECS,
        )?;
        let Some(vid) = caller.volunteer_id else {
            return Err(conflict("not_a_volunteer", "只有注册志愿者可以扫码签到"));
        };
        let mut conn = self.conn().await?;
        let shift = projects::shift(&mut conn, shift_id)
            .await?
            .ok_or(AppError::NotFound("班次"))?;
        let p = projects::get(&mut conn, shift.project_id)
            .await?
            .ok_or(AppError::NotFound("项目"))?;
        if p.checkin_radius_m > 0 {
            let (Some(plat), Some(plon)) = (p.lat, p.lon) else {
                return Err(AppError::Internal("project radius without place".into()));
            };
            let Some((lat, lon)) = position else {
                return Err(AppError::invalid(
                    "location",
                    "location_required",
                    "该项目要求定位签到，请允许获取位置后重新扫码",
                ));
            };
            check_within(lat, lon, plat, plon, p.checkin_radius_m as u32)?;
        }
        let row = signups::active(&mut conn, shift_id, vid).await?;
        drop(conn);
        let Some(row) = row.filter(|r| r.status == SignUpStatus::Approved) else {
            return Err(conflict(
                "not_signed_up",
                "您没有该班次的有效报名（须报名并审核通过）",
            ));
        };
        let dir = direction.unwrap_or(Direction::In);
        self.attend_inner(caller, row.id, dir, now_millis(), "qr", None, false)
            .await
    }

    /// The leader checks a volunteer in or out from the roster, now or at a given time.
    pub async fn roster_attend(
        &self,
        caller: &Caller,
        sign_up_id: i64,
        dir: Direction,
        at: Option<&str>,
    ) -> AppResult<AttendanceView> {
        let at = match at.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => crate::service::projects::parse_instant(s)
                .ok_or_else(|| AppError::invalid("at", "time_invalid", "时间格式不正确"))?
                .timestamp_millis(),
            None => now_millis(),
        };
        self.attend_inner(caller, sign_up_id, dir, at, "roster", None, true)
            .await
    }

    /// Offline batch from the leader's device; each event is applied once, in time order.
    pub async fn attendance_batch(
        &self,
        caller: &Caller,
        events: &[OfflineEvent],
    ) -> AppResult<Vec<OfflineOutcome>> {
        caller.require_admin()?;
        if events.len() > 1000 {
            return Err(AppError::invalid(
                "events",
                "events_invalid",
                "一次最多上传1000条签到记录",
            ));
        }
        let mut order: Vec<&OfflineEvent> = events.iter().collect();
        order.sort_by_key(|e| {
            crate::service::projects::parse_instant(&e.at)
                .map(|t| t.timestamp_millis())
                .unwrap_or(i64::MAX)
        });
        let mut out = Vec::new();
        for e in order {
            let key = e.client_key.trim();
            let outcome = |outcome: &str, message: String| OfflineOutcome {
                client_key: e.client_key.clone(),
                outcome: outcome.into(),
                message,
            };
            if key.is_empty() || key.len() > 100 {
                out.push(outcome("refused", "缺少或过长的客户端编号".into()));
                continue;
            }
            let mut conn = self.conn().await?;
            if let Some(prev) = signups::event_outcome(&mut conn, key).await? {
                out.push(outcome("replay", format!("已处理过：{prev}")));
                continue;
            }
            drop(conn);
            let Some(at) = crate::service::projects::parse_instant(&e.at) else {
                out.push(outcome("refused", "时间格式不正确".into()));
                continue;
            };
            match self
                .attend_inner(
                    caller,
                    e.sign_up_id,
                    e.kind,
                    at.timestamp_millis(),
                    "offline",
                    Some(key),
                    true,
                )
                .await
            {
                Ok(v) => out.push(outcome(if v.replay { "replay" } else { "accepted" }, v.message)),
                Err(AppError::Conflict {
                    code: "event_replayed",
                    ..
                }) => out.push(outcome("replay", "已处理过".into())),
                Err(err @ (AppError::Store(_) | AppError::Internal(_))) => return Err(err),
                Err(err) => out.push(outcome("refused", err.to_string())),
            }
        }
        Ok(out)
    }

    /// One check-in or check-out; repeats return the earlier result. On SQLite, check-ins and
    /// check-outs without a client key are committed in groups ([`AttendQueue`]); otherwise
    /// each has a transaction of its own.
    #[allow(clippy::too_many_arguments)]
    async fn attend_inner(
        &self,
        caller: &Caller,
        sign_up_id: i64,
        dir: Direction,
        at: i64,
        method: &'static str,
        client_key: Option<&str>,
        team_only: bool,
    ) -> AppResult<AttendanceView> {
        let job = Attend {
            caller: caller.clone(),
            sign_up_id,
            dir,
            at,
            method,
            team_only,
        };
        if client_key.is_none() && self.store.backend() == Backend::Sqlite {
            if let Some(result) = self.attend_queue.submit(self, job.clone()).await {
                return result;
            }
        }
        let mut tx = self.begin().await?;
        let view = self.attend_in_tx(&mut tx, &job, client_key).await?;
        tx.commit(self).await?;
        Ok(view)
    }

    /// Applies a group of check-ins and check-outs in one transaction. A refused one has
    /// written nothing ([`App::attend_in_tx`]) and is answered at once; the others are answered
    /// after the commit. A storage error fails the whole group, and nothing of it is written.
    async fn attend_group(&self, jobs: Vec<(Attend, Reply)>) {
        if jobs.is_empty() {
            return;
        }
        let mut tx = match self.begin().await {
            Ok(tx) => tx,
            Err(e) => {
                let msg = e.to_string();
                for (_, reply) in jobs {
                    let _ = reply.send(Err(AppError::Internal(msg.clone())));
                }
                return;
            }
        };
        let mut done = Vec::with_capacity(jobs.len());
        let mut failed: Option<String> = None;
        for (job, reply) in jobs {
            if let Some(msg) = &failed {
                let _ = reply.send(Err(AppError::Internal(msg.clone())));
                continue;
            }
            match self.attend_in_tx(&mut tx, &job, None).await {
                Ok(view) => done.push((reply, view)),
                Err(e @ (AppError::Store(_) | AppError::Internal(_))) => {
                    failed = Some(e.to_string());
                    let _ = reply.send(Err(e));
                }
                Err(refused) => {
                    let _ = reply.send(Err(refused));
                }
            }
        }
        let outcome = match failed {
            Some(msg) => Err(msg),
            // every tap was refused: nothing was written, nothing to commit
            None if done.is_empty() => Ok(()),
            None => tx.commit(self).await.map_err(|e| e.to_string()),
        };
        for (reply, view) in done {
            let _ = reply.send(match &outcome {
                Ok(()) => Ok(view),
                Err(msg) => Err(AppError::Internal(msg.clone())),
            });
        }
    }

    /// One check-in or check-out inside the caller's transaction. The volunteer is locked
    /// first, then one read brings the sign-up, shift, project and team. Every refusal
    /// (permission, state, time) is decided before the first write, so an error other than
    /// a storage error means nothing was written. `team_only`: the caller must administer the
    /// organizing team (roster and offline batch).
    async fn attend_in_tx(
        &self,
        tx: &mut crate::work::Work,
        job: &Attend,
        client_key: Option<&str>,
    ) -> AppResult<AttendanceView> {
        let Attend {
            ref caller,
            sign_up_id,
            dir,
            at,
            method,
            team_only,
        } = *job;
        signups::lock_volunteer_of(tx, sign_up_id).await?;
        let ctx = signups::attendance_context(tx, sign_up_id)
            .await?
            .ok_or(AppError::NotFound("报名"))?;
        if team_only && !(caller.is_admin() && caller.covers_org_at(&ctx.org_region, &ctx.org_path)) {
            return Err(AppError::Forbidden);
        }
        let row = &ctx.sign_up;
        if row.status != SignUpStatus::Approved {
            return Err(conflict("not_approved", "该报名未审核通过，不能签到"));
        }
        if at > now_millis() + 5 * 60 * 1000 {
            return Err(conflict(
                "time_in_future",
                if dir == Direction::In {
                    "签到时间不能晚于当前时间"
                } else {
                    "签退时间不能晚于当前时间"
                },
            ));
        }
        let mut after = row.clone();
        let mut record = None;
        let may_check_out = false;
        // a volunteer's scan: only a confirmed check-out, in time, checks out
        let dir = if method == "qr" {
            let step = scan_step(
                ScanAttendance {
                    checkin_at: row.checkin_at,
                    checkout_at: row.checkout_at,
                    starts_at: row.starts_at,
                },
                if dir == Direction::Out {
                    ScanAsk::ConfirmCheckOut
                } else {
                    ScanAsk::Scan
                },
                at,
                self.rules().checkout_after_minutes.max(0) * 60_000,
            );
            match step {
                ScanStep::CheckIn => Direction::In,
                ScanStep::CheckOut | ScanStep::AlreadyOut | ScanStep::NotCheckedIn => Direction::Out,
                ScanStep::AlreadyIn { may_check_out: may } => {
                    tx.excuse(Bookkeeping::AttendanceReplay);
                    let since = row.checkin_at.map(crate::show_time).unwrap_or_default();
                    let message = if may {
                        format!("已签到（{since}）。服务结束时请点击“确认签退”。")
                    } else {
                        format!(
                            "已签到（{since}），无需重复扫码。班次开始且签到满{}分钟后可签退。",
                            self.rules().checkout_after_minutes
                        )
                    };
                    return Ok(AttendanceView {
                        sign_up: after.into(),
                        record: None,
                        replay: true,
                        may_check_out: may,
                        message,
                    });
                }
            }
        } else {
            dir
        };
        let (replay, message) = match dir {
            Direction::In => {
                if row.checkin_at.is_some() {
                    (true, "已签到，无需重复签到".to_owned())
                } else if at < row.starts_at - EARLY_CHECKIN_MS || at > row.ends_at {
                    return Err(conflict(
                        "outside_shift",
                        "不在该班次的签到时间内（开始前1小时至结束）",
                    ));
                } else {
                    signups::check_in(tx, row.id, at, method).await?;
                    after.checkin_at = Some(at);
                    after.checkin_method = Some(method.to_owned());
                    (false, "签到成功".to_owned())
                }
            }
            Direction::Out => {
                let Some(checkin_at) = row.checkin_at else {
                    return Err(conflict("not_checked_in", "尚未签到，不能签退"));
                };
                if row.checkout_at.is_some() {
                    record = self.record_of_sign_up(tx, row.id).await?;
                    (true, "已签退，无需重复签退".to_owned())
                } else if at < checkin_at {
                    return Err(conflict("checkout_before_checkin", "签退时间不能早于签到时间"));
                } else if at > row.ends_at + LATE_CHECKOUT_MS {
                    return Err(conflict("outside_shift", "已超过该班次的签退时间"));
                } else {
                    signups::check_out(tx, row.id, at, method).await?;
                    after.checkout_at = Some(at);
                    after.checkout_method = Some(method.to_owned());
                    record = self
                        .record_from_attendance(tx, &ctx, checkin_at, at, caller)
                        .await?;
                    let msg = match &record {
                        Some(r) => format!("签退成功，本次记录服务时长 {} 小时，待队伍确认", r.hours),
                        None => "签退成功；本次服务时长不足计时标准，未生成服务记录".to_owned(),
                    };
                    (false, msg)
                }
            }
        };
        if let Some(key) = client_key {
            let kind = if dir == Direction::In { "in" } else { "out" };
            signups::record_event(
                tx,
                key,
                row.id,
                kind,
                at,
                if replay { "replay" } else { "accepted" },
            )
            .await
            .map_err(|e| {
                if e.unique_violation().is_some() {
                    conflict("event_replayed", "已处理过")
                } else {
                    AppError::Store(e)
                }
            })?;
        }
        if replay {
            tx.excuse(Bookkeeping::AttendanceReplay);
        } else {
            tx.audit(NewAudit {
                    actor_id: Some(caller.account_id),
                    actor_name: caller.display_name.clone(),
                    action: if dir == Direction::In { AuditAction::CheckIn } else { AuditAction::CheckOut },
                    entity_id: row.id.to_string(),
                    region_code: Some(ctx.org_region.clone()),
                    org_path: Some(ctx.org_path.clone()),
                    before: None,
                    after: Some(
                        serde_json::json!({"method": method, "at": crate::show_time(at), "volunteer_id": row.volunteer_id}),
                    ),
                },
            )
            .await?;
        }
        Ok(AttendanceView {
            sign_up: after.into(),
            record,
            replay,
            may_check_out,
            message,
        })
    }

    /// Undoes a wrong check-out, for the organizing team: the volunteer is checked in again
    /// (the roster offers 签退 with a time once more) and the record the check-out made, while
    /// still unconfirmed, gets a rejected version saying why; a confirmed record is corrected
    /// on its page instead. The next check-out writes the record's next version.
    pub async fn undo_check_out(
        &self,
        caller: &Caller,
        sign_up_id: i64,
        reason: &str,
    ) -> AppResult<AttendanceView> {
        let reason = crate::service::records::parse_reason(reason, true, "请填写撤销签退的原因")?;
        let mut tx = self.begin().await?;
        signups::lock_volunteer_of(&mut tx, sign_up_id).await?;
        let ctx = signups::attendance_context(&mut tx, sign_up_id)
            .await?
            .ok_or(AppError::NotFound("报名"))?;
        if !(caller.is_admin() && caller.covers_org_at(&ctx.org_region, &ctx.org_path)) {
            return Err(AppError::Forbidden);
        }
        let row = &ctx.sign_up;
        let Some(checkout_at) = row.checkout_at else {
            return Err(conflict("not_checked_out", "该志愿者尚未签退，无需撤销"));
        };
        if let Some(id) = records::first_of_sign_up(&mut tx, row.id).await? {
            let current = records::get(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound("服务记录"))?;
            match current.status {
                RecordStatus::Confirmed => {
                    return Err(conflict(
                        "record_confirmed",
                        "本次签退生成的服务记录已确认，不能撤销签退；请在记录页面更正服务时长",
                    ))
                }
                RecordStatus::Pending => {
                    let mut d = Draft::from_row(&current);
                    d.status = RecordStatus::Rejected;
                    d.reason = format!("撤销签退：{reason}");
                    d.created_by = Some(caller.account_id);
                    crate::service::records::append(self, &mut tx, &d).await?;
                }
                RecordStatus::Rejected => {}
            }
        }
        signups::undo_check_out(&mut tx, row.id).await?;
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::CheckOutUndo,
            entity_id: row.id.to_string(),
            region_code: Some(ctx.org_region.clone()),
            org_path: Some(ctx.org_path.clone()),
            before: Some(serde_json::json!({"checkout_at": crate::show_time(checkout_at), "volunteer_id": row.volunteer_id})),
            after: Some(serde_json::json!({"reason": reason})),
        })
        .await?;
        let mut after = row.clone();
        after.checkout_at = None;
        after.checkout_method = None;
        tx.commit(self).await?;
        Ok(AttendanceView {
            sign_up: after.into(),
            record: None,
            replay: false,
            may_check_out: false,
            message: "已撤销签退，可重新签退并填写正确时间".to_owned(),
        })
    }

    async fn record_of_sign_up(
        &self,
        tx: &mut crate::work::Work,
        sign_up_id: i64,
    ) -> AppResult<Option<RecordView>> {
        match records::first_of_sign_up(tx, sign_up_id).await? {
            Some(id) => Ok(records::get(tx, id).await?.map(Into::into)),
            None => Ok(None),
        }
    }

    /// The record for a finished attendance: the time inside the shift, rounded.
    async fn record_from_attendance(
        &self,
        tx: &mut crate::work::Work,
        ctx: &AttendanceContext,
        checkin_at: i64,
        checkout_at: i64,
        caller: &Caller,
    ) -> AppResult<Option<RecordView>> {
        let row = &ctx.sign_up;
        let served_ms = checkout_at.min(row.ends_at) - checkin_at.max(row.starts_at);
        let served = (served_ms.max(0) / 60_000).min(24 * 60);
        let credited = self.rules().rounding.apply(served as u32) as i64;
        if credited == 0 {
            return Ok(None);
        }
        let date = chrono::TimeZone::timestamp_millis_opt(&TZ, row.starts_at)
            .single()
            .map(|t| t.date_naive().format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        // after an undone check-out the sign-up has a (rejected) record: this is its next version
        let earlier = match records::first_of_sign_up(tx, row.id).await? {
            Some(id) => records::get(tx, id).await?,
            None => None,
        };
        let d = Draft {
            volunteer_id: row.volunteer_id,
            version: earlier.as_ref().map_or(1, |r| r.version + 1),
            supersedes: earlier.as_ref().map(|r| r.id),
            organization_id: ctx.org_id,
            project_id: Some(row.project_id),
            shift_id: Some(row.shift_id),
            sign_up_id: Some(row.id),
            region_code: ctx.project_region.clone(),
            activity: row.project_title.clone(),
            service_date: date,
            place: ctx.address.clone(),
            content: if ctx.description.is_empty() {
                row.project_title.clone()
            } else {
                ctx.description.chars().take(200).collect()
            },
            served_minutes: served,
            minutes: credited,
            organizer: ctx.org_name.clone(),
            person_in_charge: ctx.person_in_charge.clone(),
            source: zhiyuan_domain::service::RecordSource::Checkin,
            status: zhiyuan_domain::service::RecordStatus::Pending,
            late: false,
            reason: String::new(),
            created_by: Some(caller.account_id),
            category: super::records::record_category(tx, Some(row.project_id), None).await?,
        };
        Ok(Some(append_row(self, tx, &d).await?.into()))
    }
}

/// One check-in or check-out to apply.
#[derive(Clone, Debug)]
struct Attend {
    caller: Caller,
    sign_up_id: i64,
    dir: Direction,
    at: i64,
    method: &'static str,
    team_only: bool,
}

type Reply = tokio::sync::oneshot::Sender<AppResult<AttendanceView>>;

/// At most this many check-ins and check-outs share one transaction.
const GROUP_MAX: usize = 64;

/// Group commit for SQLite's single writer: check-ins and check-outs queue for one writer
/// task, which applies whatever has queued (up to [`GROUP_MAX`]) in one transaction and
/// answers each after the commit. Under load this saves a BEGIN and a COMMIT per request
/// and writes each touched page once per group instead of once per request; with no load a
/// group is a single request. The task starts with the first check-in and ends with the
/// runtime.
#[derive(Debug, Default)]
pub(crate) struct AttendQueue {
    sender: std::sync::Mutex<Option<tokio::sync::mpsc::Sender<(Attend, Reply)>>>,
}

impl AttendQueue {
    /// Queues the job and waits for its answer; `None` when the writer task is gone (its
    /// runtime shut down), so the caller applies the job itself.
    async fn submit(&self, app: &App, job: Attend) -> Option<AppResult<AttendanceView>> {
        let sender = {
            let mut slot = self.sender.lock().unwrap_or_else(|e| e.into_inner());
            match slot.as_ref().filter(|s| !s.is_closed()) {
                Some(s) => s.clone(),
                None => {
                    let (tx, rx) = tokio::sync::mpsc::channel(1024);
                    tokio::spawn(run_group_writer(app.clone(), rx));
                    *slot = Some(tx.clone());
                    tx
                }
            }
        };
        let (reply, answer) = tokio::sync::oneshot::channel();
        sender.send((job, reply)).await.ok()?;
        answer.await.ok()
    }
}

async fn run_group_writer(app: App, mut rx: tokio::sync::mpsc::Receiver<(Attend, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < GROUP_MAX {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        app.service().attend_group(jobs).await;
    }
}
