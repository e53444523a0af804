//! Escalation of overdue orders one site level up.

use super::*;

impl Orders<'_> {
    /// Moves every order not dispatched or accepted by its deadline one site level up (station
    /// → institute → center) with a notice to the new office and a new deadline; above a center
    /// the district's administrators get an overdue notice and the order stops escalating.
    /// Returns how many orders were escalated. Run by `zhiyuan serve` on an interval.
    pub async fn escalate_overdue(&self, now: DateTime<Utc>) -> AppResult<usize> {
        let now_ms = now.timestamp_millis();
        let mut done = 0;
        loop {
            let mut conn = self.conn().await?;
            let due = store::overdue(&mut conn, now_ms, 200).await?;
            drop(conn);
            if due.is_empty() {
                break;
            }
            let mut moved_any = false;
            for o in due {
                let status = o.status;
                if status.after(OrderAction::Escalate).is_err() {
                    continue;
                }
                let Some(deadline) = o.deadline_at else { continue };
                let mut tx = self.begin().await?;
                let site = sites::get(&mut tx, o.site_id)
                    .await?
                    .ok_or(AppError::NotFound("阵地"))?;
                let parent = match site.parent_id {
                    Some(p) => sites::get(&mut tx, p).await?,
                    None => None,
                };
                let waiting = if status == OrderStatus::Submitted {
                    "派单"
                } else {
                    "接单"
                };
                let (ok, to, text, kind) = match &parent {
                    Some(p) => {
                        let next = now_ms + ACCEPT_WITHIN.num_milliseconds();
                        let ok = store::escalate(&mut tx, o.id, deadline, Some(p.id), Some(next)).await?;
                        (
                            ok,
                            Recipient::Site(p.id),
                            format!(
                                "点单 #{}（{}，{}）超时未{}，已由{}上报至本阵地，请在{}前处理",
                                o.id,
                                o.item_name,
                                o.region_name,
                                waiting,
                                site.name,
                                show_time(next)
                            ),
                            NoticeKind::Escalated,
                        )
                    }
                    None => {
                        let ok = store::escalate(&mut tx, o.id, deadline, None, None).await?;
                        (
                            ok,
                            Recipient::Region(site_prefix(&site.region_code)),
                            format!(
                                "点单 #{}（{}，{}）在{}超时未{}，请督办",
                                o.id, o.item_name, o.region_name, site.name, waiting
                            ),
                            NoticeKind::Overdue,
                        )
                    }
                };
                if !ok {
                    continue;
                }
                tx.notify(to, &o.region_code, kind, text, Some(o.id));
                tx.audit(order_audit(
                        None,
                        AuditAction::OrderEscalate,
                        &o,
                        serde_json::json!({"status": o.status, "from_site": site.id,
                            "to_site": parent.as_ref().map(|p| p.id), "level": parent.as_ref().map(|p| p.level.clone())}),
                    ),
                )
                .await?;
                tx.commit(self).await?;
                done += 1;
                moved_any = true;
            }
            if !moved_any {
                break;
            }
        }
        Ok(done)
    }
}
