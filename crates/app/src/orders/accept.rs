//! 接单: the offers a caller answers, accepting and declining them, and completion.

use super::*;

impl Orders<'_> {
    /// The offers addressed to the caller (their teams, their site, themselves), with orders:
    /// a keyset page, live offers first, in a constant number of queries.
    pub async fn orders_for_me(&self, caller: &Caller, page: &SeekRequest) -> AppResult<Seek<OfferTask>> {
        let mut scopes = Vec::new();
        match &caller.scope {
            Scope::Team { path, .. } => scopes.push(OfferScope::Teams(path.clone())),
            Scope::Site { site_id, .. } => scopes.push(OfferScope::Site(*site_id)),
            _ => {}
        }
        if let Some(v) = caller.volunteer_id {
            scopes.push(OfferScope::Volunteer(v));
        }
        let mut conn = self.conn().await?;
        let mut p = store::offers_for(&mut conn, &scopes, page).await?;
        let mut ids: Vec<i64> = p.items.iter().map(|f| f.order_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let rows = store::get_many(&mut conn, &ids).await?;
        let views: HashMap<i64, OrderView> = self
            .order_views(&mut conn, Some(caller), rows)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
        let mut items = Vec::new();
        for f in std::mem::take(&mut p.items) {
            let order = views
                .get(&f.order_id)
                .cloned()
                .ok_or(AppError::NotFound("点单"))?;
            let open = f.status == OfferStatus::Offered && f.round == order.round;
            items.push(OfferTask {
                offer: offer_view(f, order.round),
                order,
                open,
            });
        }
        Ok(p.with_items(items))
    }

    /// Accepts an offer. A team or site takes the whole order, decided by one conditional update
    /// (the loser of a race gets `order_taken`); a volunteer takes one of its seats
    /// (`order_full` when none is left).
    pub async fn accept_offer(&self, caller: &Caller, offer_id: i64) -> AppResult<OrderView> {
        let mut tx = self.begin().await?;
        let f = store::offer(&mut tx, offer_id)
            .await?
            .ok_or(AppError::NotFound("派单"))?;
        if !policy::answers(caller, &f) {
            return Err(AppError::Forbidden);
        }
        let o = self.order_row(&mut tx, f.order_id).await?;
        let taken = || conflict("order_taken", "该点单已被其他队伍或志愿者接单");
        if f.status != OfferStatus::Offered || f.round != o.round {
            return Err(match (f.status, o.status) {
                (
                    OfferStatus::Withdrawn,
                    OrderStatus::Accepted | OrderStatus::Completed | OrderStatus::Rated,
                ) if f.kind == OfferKind::Volunteer => conflict("order_full", "该点单所需人数已满"),
                (
                    OfferStatus::Withdrawn,
                    OrderStatus::Accepted | OrderStatus::Completed | OrderStatus::Rated,
                ) => taken(),
                (OfferStatus::Accepted, _) => conflict("offer_decided", "您已接下该点单"),
                (OfferStatus::Declined, _) => conflict("offer_decided", "您已谢绝该派单"),
                _ => conflict("offer_withdrawn", "该派单已撤回"),
            });
        }
        let status = o.status;
        let now = now_millis();
        match f.kind {
            OfferKind::Team | OfferKind::Site => {
                if status == OrderStatus::Accepted {
                    return Err(taken());
                }
                status.after(OrderAction::Accept).map_err(state_err)?;
                let holder = if f.kind == OfferKind::Team {
                    Holder::Team {
                        org_id: f
                            .org_id
                            .ok_or_else(|| AppError::Internal("team offer without team".into()))?,
                        org_name: f.org_name.as_deref().unwrap_or_default(),
                    }
                } else {
                    Holder::Site(
                        f.site_id
                            .ok_or_else(|| AppError::Internal("site offer without site".into()))?,
                    )
                };
                if !store::take_whole(&mut tx, o.id, f.round, holder).await? {
                    return Err(taken());
                }
                let won = store::set_offer(
                    &mut tx,
                    f.id,
                    OfferStatus::Offered,
                    OfferStatus::Accepted,
                    Some(caller.account_id),
                )
                .await
                .map_err(|e| {
                    if e.unique_violation().is_some() {
                        taken()
                    } else {
                        e.into()
                    }
                })?;
                if !won {
                    return Err(taken());
                }
                store::withdraw_waiting(&mut tx, o.id).await?;
            }
            OfferKind::Volunteer => {
                status.after(OrderAction::Accept).map_err(state_err)?;
                let vid = f
                    .volunteer_id
                    .ok_or_else(|| AppError::Internal("volunteer offer without volunteer".into()))?;
                if !store::take_seat(&mut tx, o.id, f.round, now).await? {
                    return Err(conflict("order_full", "该点单所需人数已满"));
                }
                if !store::set_offer(
                    &mut tx,
                    f.id,
                    OfferStatus::Offered,
                    OfferStatus::Accepted,
                    Some(caller.account_id),
                )
                .await?
                {
                    return Err(conflict("offer_decided", "该派单已处理"));
                }
                lock_volunteer(&mut tx, vid).await?;
                store::add_active_orders(&mut tx, vid, 1).await?;
                // the last seat: the others still asked are told it is taken, not left waiting
                if o.accepted_count + 1 >= o.people {
                    let waiting = store::waiting_volunteers(&mut tx, o.id).await?;
                    store::withdraw_waiting(&mut tx, o.id).await?;
                    for other in waiting {
                        tx.notify(
                            Recipient::Volunteer(other),
                            &o.region_code,
                            NoticeKind::Withdrawn,
                            format!(
                                "点单 #{}（{}）所需人数已满，派给您的邀请已撤回，感谢您的关注",
                                o.id, o.item_name
                            ),
                            Some(o.id),
                        );
                    }
                }
            }
        }
        let who = match f.kind {
            OfferKind::Team => f.org_name.clone().unwrap_or_default(),
            OfferKind::Site => f.site_name.clone().unwrap_or_default(),
            OfferKind::Volunteer => f.volunteer_name.clone().unwrap_or_default(),
        };
        tx.notify(
            Recipient::Account(o.resident_account_id),
            &o.region_code,
            NoticeKind::Accepted,
            format!("您的点单 #{}（{}）已由{}接单", o.id, o.item_name, who),
            Some(o.id),
        );
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderAccept,
            &o,
            serde_json::json!({"status": "accepted", "offer_id": f.id, "kind": f.kind, "by": who}),
        );
        self.finish_order(tx, caller, o.id, entry).await
    }

    /// Declines an offer; the office is told, and when nobody is left to accept it must
    /// dispatch again.
    pub async fn decline_offer(&self, caller: &Caller, offer_id: i64, reason: &str) -> AppResult<OrderView> {
        let reason = crate::text::note("reason", "谢绝原因", reason, 200)?;
        let reason = reason.as_str();
        let mut tx = self.begin().await?;
        let f = store::offer(&mut tx, offer_id)
            .await?
            .ok_or(AppError::NotFound("派单"))?;
        if !policy::answers(caller, &f) {
            return Err(AppError::Forbidden);
        }
        store::lock(&mut tx, f.order_id).await?;
        let o = self.order_row(&mut tx, f.order_id).await?;
        if !store::set_offer(
            &mut tx,
            f.id,
            OfferStatus::Offered,
            OfferStatus::Declined,
            Some(caller.account_id),
        )
        .await?
        {
            return Err(conflict("offer_decided", "该派单已处理或已撤回"));
        }
        let who = f
            .org_name
            .clone()
            .or(f.site_name.clone())
            .or(f.volunteer_name.clone())
            .unwrap_or_default();
        let left = store::live_offers(&mut tx, o.id).await?;
        let mut text = format!("{}谢绝了点单 #{}（{}）", who, o.id, o.item_name);
        if !reason.trim().is_empty() {
            text.push_str(&format!("：{}", reason.trim()));
        }
        if left == 0 {
            text.push_str("。已无待接单对象，请重新派单");
        }
        tx.notify(
            Recipient::Site(o.site_id),
            &o.region_code,
            NoticeKind::Declined,
            &text,
            Some(o.id),
        );
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderDecline,
            &o,
            serde_json::json!({"offer_id": f.id, "reason": reason.trim(), "live_offers": left}),
        );
        self.finish_order(tx, caller, o.id, entry).await
    }

    /// Completes an accepted order with a short report and the minutes each volunteer served;
    /// each line becomes a confirmed service record on the volunteer's chain, organized by the
    /// holding team (or the site), in the same transaction.
    pub async fn complete_order(
        &self,
        caller: &Caller,
        id: i64,
        input: &CompletionInput,
    ) -> AppResult<OrderView> {
        let mut errs = Vec::new();
        let report = prose("report", "服务情况", &input.report, 1000, &mut errs);
        let mut served = input.minutes.clone();
        if !input.by_number.is_empty() {
            let mut conn = self.conn().await?;
            for l in input.by_number.iter().take(50) {
                let no = l.volunteer_no.trim();
                match volunteers::id_by_number(&mut conn, no).await? {
                    Some(volunteer_id) => served.push(ServedLine {
                        volunteer_id,
                        minutes: l.minutes,
                    }),
                    None => errs.push(FieldError::new(
                        "by_number",
                        "volunteer_no_unknown",
                        format!("没有编号为 {} 的志愿者", no.chars().take(20).collect::<String>()),
                    )),
                }
            }
        }
        crate::service::records::check_minute_lines(
            "minutes",
            served.iter().map(|l| (l.volunteer_id, l.minutes)),
            50,
            &mut errs,
        );
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let input = &CompletionInput {
            report: input.report.clone(),
            minutes: served,
            by_number: Vec::new(),
        };
        let mut tx = self.begin().await?;
        store::lock(&mut tx, id).await?;
        let o = self.order_row(&mut tx, id).await?;
        let offers = store::offers_of(&mut tx, id).await?;
        if !policy::completes(caller, &o, &offers) {
            if policy::may_view(caller, &o, &offers) && o.status != OrderStatus::Accepted {
                return Err(state_err(o.status.after(OrderAction::Complete).unwrap_err()));
            }
            return Err(AppError::Forbidden);
        }
        o.status.after(OrderAction::Complete).map_err(state_err)?;
        // a confirmed record dated before the service it records would be false
        if now_millis() < o.window_start {
            return Err(AppError::Conflict {
                code: "order_not_started",
                field: Some("report"),
                message: format!(
                    "服务时间（{} 开始）尚未到，服务开始后才能提交完成",
                    show_time(o.window_start)
                ),
            });
        }
        let seated: Vec<i64> = offers
            .iter()
            .filter(|f| {
                f.round == o.round && f.kind == OfferKind::Volunteer && f.status == OfferStatus::Accepted
            })
            .filter_map(|f| f.volunteer_id)
            .collect();
        let vis = match o.assignee_kind.as_deref().and_then(AssigneeKind::parse) {
            Some(AssigneeKind::Team) => Some(Visibility::OrgSubtree(o.team_path.clone().unwrap_or_default())),
            Some(AssigneeKind::Site) => match o.holder_site_id {
                Some(s) => {
                    let site = sites::get(&mut tx, s).await?.ok_or(AppError::NotFound("阵地"))?;
                    Some(Visibility::RegionPrefix(site_prefix(&site.region_code)))
                }
                None => None,
            },
            _ => None,
        };
        for line in &input.minutes {
            let v = volunteers::get(&mut tx, line.volunteer_id).await?;
            let ok = match (&v, &vis) {
                (None, _) => false,
                (Some(_), Some(vis)) => volunteers::visible(&mut tx, line.volunteer_id, vis).await?,
                (Some(_), None) => seated.contains(&line.volunteer_id),
            };
            if !ok {
                return Err(AppError::invalid(
                    "minutes",
                    "order_volunteer_invalid",
                    format!(
                        "志愿者{}不是本单的服务人员",
                        v.map(|v| v.name)
                            .unwrap_or_else(|| format!("#{}", line.volunteer_id))
                    ),
                ));
            }
        }
        let org_id = o
            .organizer_org_id
            .ok_or_else(|| AppError::Internal(format!("order {id} has no organizing unit")))?;
        let org = orgs::get(&mut tx, org_id)
            .await?
            .ok_or(AppError::NotFound("组织"))?;
        let now = now_millis();
        if !store::complete(&mut tx, id, o.round, &report).await? {
            return Err(conflict("order_changed", "该点单已被他人处理，请刷新后重试"));
        }
        for v in &seated {
            store::add_active_orders(&mut tx, *v, -1).await?;
        }
        let today = crate::today();
        let date = beijing_date(o.window_start).min(today);
        let served_until = o.window_end.min(now);
        let organizer = if o.organizer_name.is_empty() {
            org.name.clone()
        } else {
            o.organizer_name.clone()
        };
        let mut records = Vec::new();
        for line in &input.minutes {
            lock_volunteer(&mut tx, line.volunteer_id).await?;
            let d = Draft {
                volunteer_id: line.volunteer_id,
                version: 1,
                supersedes: None,
                organization_id: org.id,
                project_id: None,
                shift_id: None,
                sign_up_id: None,
                region_code: org.region_code.clone(),
                category: o.category.clone(),
                activity: format!("点单服务：{}", o.item_name),
                service_date: date.to_string(),
                place: o.address.clone(),
                content: report.clone(),
                served_minutes: line.minutes,
                minutes: self.rules().rounding.apply(line.minutes as u32) as i64,
                organizer: organizer.clone(),
                person_in_charge: caller.display_name.clone(),
                source: zhiyuan_domain::service::RecordSource::Team,
                status: zhiyuan_domain::service::RecordStatus::Confirmed,
                late: is_late_entry(date, today, &[], &[]),
                reason: String::new(),
                created_by: Some(caller.account_id),
            };
            let rid = append(self, &mut tx, &d).await?;
            store::insert_service(&mut tx, id, line.volunteer_id, line.minutes, rid).await?;
            store::mark_served(&mut tx, line.volunteer_id, served_until).await?;
            tx.audit(NewAudit {
                    actor_id: Some(caller.account_id),
                    actor_name: caller.display_name.clone(),
                    action: AuditAction::RecordEnter,
                    entity_id: rid.to_string(),
                    region_code: Some(org.region_code.clone()),
                    org_path: Some(org.path.clone()),
                    before: None,
                    after: Some(serde_json::json!({"volunteer_id": line.volunteer_id, "minutes": d.minutes,
                        "status": "confirmed", "activity": d.activity, "service_date": d.service_date, "order_id": id})),
                },
            )
            .await?;
            records.push(rid);
        }
        tx.notify(
            Recipient::Account(o.resident_account_id),
            &o.region_code,
            NoticeKind::Completed,
            format!("您的点单 #{}（{}）已完成服务，欢迎评价", o.id, o.item_name),
            Some(id),
        );
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderComplete,
            &o,
            serde_json::json!({"status": "completed", "records": records, "report": report}),
        );
        self.finish_order(tx, caller, id, entry).await
    }
}
