//! 评单: the resident rates a completed order.

use super::*;

impl Orders<'_> {
    /// The resident rates a completed order 1–5 with a comment, once; the stars go to every
    /// volunteer who served and to the holding team.
    pub async fn rate_order(&self, caller: &Caller, id: i64, input: &RatingInput) -> AppResult<OrderView> {
        let mut errs = Vec::new();
        if let Err(e) = check_rating(input.rating) {
            errs.push(e.into());
        }
        let comment = optional_prose("comment", "评价内容", &input.comment, 500, &mut errs);
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let mut tx = self.begin().await?;
        store::lock(&mut tx, id).await?;
        let o = self.order_row(&mut tx, id).await?;
        if !policy::permits(caller, &o, &[], OrderAction::Rate) {
            return Err(AppError::Forbidden);
        }
        o.status.after(OrderAction::Rate).map_err(state_err)?;
        if !store::rate(&mut tx, id, input.rating, &comment).await? {
            return Err(state_err(DomainError::AlreadyRated));
        }
        for s in store::service_of(&mut tx, id).await? {
            store::add_volunteer_rating(&mut tx, s.volunteer_id, input.rating).await?;
        }
        if let Some(t) = o.team_id {
            store::add_org_rating(&mut tx, t, input.rating).await?;
        }
        let text = format!(
            "居民评价了点单 #{}（{}）：{}星 {}",
            o.id, o.item_name, input.rating, comment
        );
        tx.notify(
            Recipient::Site(o.site_id),
            &o.region_code,
            NoticeKind::Rated,
            &text,
            Some(id),
        );
        if let Some(t) = o.team_id {
            tx.notify(
                Recipient::Team(t),
                &o.region_code,
                NoticeKind::Rated,
                &text,
                Some(id),
            );
        }
        let entry = order_audit(
            Some(caller),
            AuditAction::OrderRate,
            &o,
            serde_json::json!({"status": "rated", "rating": input.rating, "comment": comment}),
        );
        self.finish_order(tx, caller, id, entry).await
    }
}
