//! 派单: what the dispatch screen offers, the matching engine's suggestions, dispatch, rejection and cancellation.

use super::*;

impl Orders<'_> {
    /// What the dispatch screen shows for an order: teams and stations to choose from, and the
    /// volunteers the matching engine suggests (`suggest_volunteers`).
    pub async fn dispatch_options(&self, caller: &Caller, id: i64) -> AppResult<DispatchOptions> {
        let mut conn = self.conn().await?;
        let o = self.order_row(&mut conn, id).await?;
        if !policy::handles(caller, &o) {
            return Err(AppError::Forbidden);
        }
        // the office's reach: the caller's own scope (an office above the handling site sees
        // everything under it, the handling site what is under the site)
        let reach = caller
            .region_prefix()
            .unwrap_or(o.site_region.as_str())
            .to_owned();
        let teams = store::orgs_in(&mut conn, &reach, 200)
            .await?
            .into_iter()
            .map(|(id, name, path)| TargetChoice {
                id,
                note: format!("层级 {}", path.matches('/').count().saturating_sub(1)),
                name,
            })
            .collect();
        let own_site = match &caller.scope {
            Scope::Site { site_id, .. } => Some(*site_id),
            _ => None,
        };
        let mut sites: Vec<SiteRow> = sites::list(
            &mut conn,
            &sites::SiteFilter {
                region_prefix: Some(reach.clone()),
                ..Default::default()
            },
            zhiyuan_store::PageRequest::new(None, Some(200)),
        )
        .await?
        .items
        .into_iter()
        .filter(|s| s.id != o.site_id && Some(s.id) != own_site)
        .collect();
        // the stations covering the service place first, then the nearest levels down
        sites.sort_by_key(|s| {
            let covers = o.region_code.starts_with(site_prefix(&s.region_code).as_str());
            (
                !covers,
                std::cmp::Reverse(s.region_code.len()),
                s.region_code.clone(),
                s.id,
            )
        });
        let sites = sites
            .into_iter()
            .map(|s| TargetChoice {
                id: s.id,
                note: if o.region_code.starts_with(site_prefix(&s.region_code).as_str()) {
                    format!("{} · 覆盖服务地点", s.region_name)
                } else {
                    s.region_name.clone()
                },
                name: s.name,
            })
            .collect();
        let (suggested, suggest_note) = self.suggest_volunteers(&mut conn, caller, &o).await?;
        let order = self.order_view(&mut conn, Some(caller), o).await?;
        Ok(DispatchOptions {
            order,
            teams,
            sites,
            suggested,
            suggest_note,
        })
    }

    /// The best volunteers for an order from the matching engine: within
    /// [`SUGGEST_RADIUS_M`] of the place (else [`SUGGEST_WIDE_RADIUS_M`]), holding every skill
    /// the item needs, available in every hour of the window, with fewer than
    /// [`SUGGEST_MAX_LOAD`] open orders, and visible to the caller (so that they can be
    /// dispatched). Returns the suggestions and a note for the screen.
    async fn suggest_volunteers(
        &self,
        conn: &mut Conn,
        caller: &Caller,
        o: &OrderRow,
    ) -> AppResult<(Vec<SuggestedVolunteer>, String)> {
        let (Some(lat), Some(lon)) = (o.lat, o.lon) else {
            return Ok((Vec::new(), "订单没有定位坐标，无法按距离推荐志愿者。".into()));
        };
        let skills: Vec<String> = o
            .skills
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let vis = caller.volunteer_visibility();
        let now = now_millis();
        let window = crate::orders::matching::window_cells(o.window_start, o.window_end);
        // First the nearest matches, kept when the caller may reach them; when none of those
        // is the caller's, again among only the volunteers the caller reaches (read once).
        let mut only: Option<std::sync::Arc<std::collections::HashSet<i64>>> = None;
        for radius in [SUGGEST_RADIUS_M, SUGGEST_WIDE_RADIUS_M] {
            loop {
                let k = if only.is_some() {
                    SUGGEST_COUNT
                } else {
                    SUGGEST_COUNT * 5
                };
                let query = crate::orders::matching::Query {
                    lat,
                    lon,
                    radius_m: radius,
                    skills: skills.clone(),
                    window,
                    max_load: Some(SUGGEST_MAX_LOAD),
                    k,
                    now_ms: now,
                    only: only.clone(),
                };
                let hits = self.match_volunteers(&query);
                if hits.is_empty() {
                    break;
                }
                let ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
                let seen: std::collections::HashMap<i64, (String, String)> =
                    volunteers::visible_among(conn, &ids, &vis)
                        .await?
                        .into_iter()
                        .map(|(id, name, no)| (id, (name, no)))
                        .collect();
                let out: Vec<SuggestedVolunteer> = hits
                    .iter()
                    .filter_map(|h| {
                        let (name, no) = seen.get(&h.id)?;
                        Some(suggestion(h, name, no, &skills))
                    })
                    .take(SUGGEST_COUNT)
                    .collect();
                if !out.is_empty() {
                    let note = format!(
                        "{} 公里内技能与时间都符合的志愿者，按距离、评分和公平（近来服务少者优先）综合排序。",
                        radius / 1000.0
                    );
                    return Ok((out, note));
                }
                if only.is_some() || hits.len() < k {
                    break;
                }
                only = Some(std::sync::Arc::new(
                    volunteers::visible_ids(conn, &vis, SUGGEST_REACH_MAX)
                        .await?
                        .into_iter()
                        .collect(),
                ));
            }
        }
        Ok((
            Vec::new(),
            format!(
                "{} 公里内没有技能与时间都符合、且任务不满的志愿者；可派给队伍或实践站，或按姓名查找。",
                SUGGEST_WIDE_RADIUS_M / 1000.0
            ),
        ))
    }

    /// Puts the volunteers an order involves (offered, holding or served) back into the
    /// matching index after a write changed their load, rating or last service.
    pub(crate) async fn refresh_order_volunteers(&self, order_id: i64) {
        let ids = match self.conn().await {
            Ok(mut conn) => store::volunteers_of_order(&mut conn, order_id).await,
            Err(e) => {
                tracing::warn!(order_id, cause = %e.cause(), "matching index not refreshed");
                return;
            }
        };
        match ids {
            Ok(ids) => {
                for id in ids {
                    self.refresh_match_entry_after_write(id).await;
                }
            }
            Err(e) => {
                tracing::warn!(order_id, cause = %AppError::from(e).cause(), "matching index not refreshed")
            }
        }
    }

    /// Dispatches (or re-dispatches) an order; live offers of the earlier round are withdrawn
    /// and volunteers who had taken a seat are released.
    pub async fn dispatch_order(
        &self,
        caller: &Caller,
        id: i64,
        input: &DispatchInput,
    ) -> AppResult<OrderView> {
        caller.require_admin()?;
        let bad = |m: &str| AppError::invalid("target", "dispatch_target_invalid", m);
        let kind = AssigneeKind::parse(input.target.trim())
            .ok_or_else(|| bad("请选择派单对象：志愿服务队、实践站或志愿者"))?;
        let note = crate::text::note("note", "派单说明", &input.note, 200)?;
        let mut tx = self.begin().await?;
        store::lock(&mut tx, id).await?;
        let o = self.order_row(&mut tx, id).await?;
        if !policy::handles(caller, &o) {
            return Err(AppError::Forbidden);
        }
        o.status.after(OrderAction::Dispatch).map_err(state_err)?;
        let mut targets = Vec::new();
        let mut organizer: Option<(i64, String)> = None;
        let mut organizer_name = String::new();
        match kind {
            AssigneeKind::Team => {
                let mut ids = input.team_ids.clone();
                ids.sort_unstable();
                ids.dedup();
                if ids.is_empty() || ids.len() > 10 {
                    return Err(bad("请选择1至10支志愿服务队"));
                }
                for t in ids {
                    let org = orgs::get(&mut tx, t)
                        .await?
                        .ok_or_else(|| bad("所选队伍不存在"))?;
                    if !caller.administers(&org) {
                        return Err(bad("只能派给本辖区内的队伍"));
                    }
                    if org.dissolved_at.is_some() {
                        return Err(bad("所选队伍已解散"));
                    }
                    targets.push(Target::Team(org.id));
                }
            }
            AssigneeKind::Site => {
                let sid = input.site_id.ok_or_else(|| bad("请选择实践站"))?;
                let s = sites::get(&mut tx, sid)
                    .await?
                    .ok_or_else(|| bad("所选阵地不存在"))?;
                let own_site = match &caller.scope {
                    Scope::Site { site_id, .. } => Some(*site_id),
                    _ => None,
                };
                if s.id == o.site_id || Some(s.id) == own_site || !caller.covers_region(&s.region_code) {
                    return Err(bad("只能派给本辖区内的其他实践站、所"));
                }
                let org = site_organizer(&mut tx, s.id).await?;
                organizer_name = s.name.clone();
                organizer = Some(org);
                targets.push(Target::Site(s.id));
            }
            AssigneeKind::Volunteers => {
                let mut ids = input.volunteer_ids.clone();
                ids.sort_unstable();
                ids.dedup();
                if ids.is_empty() || ids.len() > 20 {
                    return Err(bad("请选择1至20名志愿者"));
                }
                let vis = caller.volunteer_visibility();
                for v in ids {
                    let row = volunteers::get(&mut tx, v)
                        .await?
                        .ok_or_else(|| bad("所选志愿者不存在"))?;
                    if row.closed_at.is_some() {
                        return Err(bad("所选志愿者已注销"));
                    }
                    if !volunteers::visible(&mut tx, v, &vis).await? {
                        return Err(bad("只能派给本辖区的志愿者"));
                    }
                    targets.push(Target::Volunteer(v));
                }
                let org = site_organizer(&mut tx, o.site_id).await?;
                organizer_name = o.site_name.clone();
                organizer = Some(org);
            }
        }
        let released = store::withdraw_live(&mut tx, id).await?;
        for v in &released {
            store::add_active_orders(&mut tx, *v, -1).await?;
        }
        let now = now_millis();
        let deadline = now + ACCEPT_WITHIN.num_milliseconds();
        let round = o.round + 1;
        let changed = store::dispatch(
            &mut tx,
            id,
            &store::Dispatch {
                round,
                deadline,
                kind,
                organizer_org_id: organizer.as_ref().map(|o| o.0),
                organizer_name: &organizer_name,
            },
        )
        .await?;
        if !changed {
            return Err(conflict("order_changed", "该点单已被他人处理，请刷新后重试"));
        }
        let text = format!(
            "新派单 #{}：{}（{}，{}），请在{}前接单",
            o.id,
            o.item_name,
            o.address,
            show_time(o.window_start),
            show_time(deadline)
        );
        for t in &targets {
            store::insert_offer(&mut tx, id, round, *t, &note).await?;
            let to = match t {
                Target::Team(x) => Recipient::Team(*x),
                Target::Site(x) => Recipient::Site(*x),
                Target::Volunteer(x) => Recipient::Volunteer(*x),
            };
            tx.notify(to, &o.region_code, NoticeKind::Dispatched, &text, Some(id));
        }
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderDispatch,
            &o,
            serde_json::json!({"status": "dispatched", "round": round, "target": kind.as_str(),
                "targets": targets.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>(), "released": released}),
        );
        self.finish_order(tx, caller, id, entry).await
    }

    /// Rejects a submitted order with a reason the resident sees.
    pub async fn reject_order(&self, caller: &Caller, id: i64, reason: &str) -> AppResult<OrderView> {
        caller.require_admin()?;
        let mut errs = Vec::new();
        let reason = text("reason", "驳回理由", reason, 200, &mut errs);
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let mut tx = self.begin().await?;
        store::lock(&mut tx, id).await?;
        let o = self.order_row(&mut tx, id).await?;
        if !policy::handles(caller, &o) {
            return Err(AppError::Forbidden);
        }
        o.status.after(OrderAction::Reject).map_err(state_err)?;
        if !store::reject(&mut tx, id, &reason).await? {
            return Err(conflict("order_changed", "该点单已被他人处理，请刷新后重试"));
        }
        tx.notify(
            Recipient::Account(o.resident_account_id),
            &o.region_code,
            NoticeKind::Rejected,
            format!("您的点单 #{}（{}）未被受理：{}", o.id, o.item_name, reason),
            Some(id),
        );
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderReject,
            &o,
            serde_json::json!({"status": "rejected", "reason": reason}),
        );
        self.finish_order(tx, caller, id, entry).await
    }

    /// Cancels an order not yet completed: by its resident, or by the office handling it (with a
    /// reason). Volunteers who had taken a seat are released.
    pub async fn cancel_order(&self, caller: &Caller, id: i64, reason: &str) -> AppResult<OrderView> {
        let reason = crate::text::note("reason", "取消原因", reason, 200)?;
        let mut tx = self.begin().await?;
        store::lock(&mut tx, id).await?;
        let o = self.order_row(&mut tx, id).await?;
        let mine = policy::placed(caller, &o);
        if !policy::permits(caller, &o, &[], OrderAction::Cancel) {
            return Err(AppError::Forbidden);
        }
        let reason = reason.as_str();
        if !mine && reason.is_empty() {
            return Err(AppError::invalid("reason", "text_invalid", "请填写取消原因"));
        }
        let reason = if reason.is_empty() { "居民取消" } else { reason }.to_owned();
        o.status.after(OrderAction::Cancel).map_err(state_err)?;
        let released = store::withdraw_live(&mut tx, id).await?;
        for v in &released {
            store::add_active_orders(&mut tx, *v, -1).await?;
        }
        if !store::cancel(&mut tx, id, &reason).await? {
            return Err(conflict("order_changed", "该点单已被他人处理，请刷新后重试"));
        }
        let text = format!("点单 #{}（{}）已取消：{}", o.id, o.item_name, reason);
        if mine {
            tx.notify(
                Recipient::Site(o.site_id),
                &o.region_code,
                NoticeKind::Cancelled,
                &text,
                Some(id),
            );
        } else {
            tx.notify(
                Recipient::Account(o.resident_account_id),
                &o.region_code,
                NoticeKind::Cancelled,
                &text,
                Some(id),
            );
        }
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderCancel,
            &o,
            serde_json::json!({"status": "cancelled", "reason": reason, "released": released}),
        );
        self.finish_order(tx, caller, id, entry).await
    }
}
