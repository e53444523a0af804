//! An office's order queue (点单) as an Excel workbook.

use zhiyuan_domain::orders::OrderStatus;
use zhiyuan_domain::phone::Phone;
use zhiyuan_store::seek::SeekRequest;

use super::Orders;
use crate::error::AppResult;
use crate::exports::{col, date_of_time, Book, Export, Kind, Value};
use crate::Caller;

impl Orders<'_> {
    /// Every order of the caller's queue in the given states (all when empty), in the queue's
    /// order. Residents' phone numbers are masked: a resident is nobody's team member.
    pub async fn export_orders(
        &self,
        caller: &Caller,
        statuses: &[OrderStatus],
        filter_text: &str,
    ) -> AppResult<Export> {
        caller.require_admin()?;
        let mut book = Book::new();
        let rows = {
            let mut s = book.sheet(
                "点单",
                Some(&format!("群众点单 · {} · {filter_text}", caller.display_name)),
                &[
                    col("单号", Kind::Code, 8.0),
                    col("服务内容", Kind::Text, 22.0),
                    col("服务类别", Kind::Text, 12.0),
                    col("状态", Kind::Text, 8.0),
                    col("所在地区", Kind::Text, 18.0),
                    col("区划代码", Kind::Code, 15.0),
                    col("服务地址", Kind::Text, 26.0),
                    col("服务时间", Kind::Text, 26.0),
                    col("人数", Kind::Int, 6.0),
                    col("联系人", Kind::Text, 10.0),
                    col("联系电话", Kind::Code, 14.0),
                    col("受理阵地", Kind::Text, 24.0),
                    col("承接方", Kind::Text, 22.0),
                    col("点单日期", Kind::Date, 12.0),
                    col("派单时间", Kind::Text, 17.0),
                    col("接单时间", Kind::Text, 17.0),
                    col("完成时间", Kind::Text, 17.0),
                    col("评分", Kind::Int, 6.0),
                    col("评价", Kind::Text, 24.0),
                ],
            )?;
            let mut page = SeekRequest::new(None, None, Some(200));
            loop {
                let found = self.order_queue(caller, statuses, &page).await?;
                for o in &found.items {
                    let phone = Phone::parse(&o.contact_phone)
                        .map(|p| p.masked())
                        .unwrap_or_else(|_| o.contact_phone.clone());
                    s.row(vec![
                        Value::Int(o.id),
                        o.item_name.as_str().into(),
                        o.category_label.as_str().into(),
                        o.status_label.as_str().into(),
                        o.region_name.as_str().into(),
                        o.region_code.as_str().into(),
                        o.address.as_str().into(),
                        o.window_text.as_str().into(),
                        Value::Int(o.people),
                        o.contact_name.as_str().into(),
                        phone.into(),
                        o.site_name.as_str().into(),
                        o.holder.as_str().into(),
                        date_of_time(&o.submitted_at),
                        o.dispatched_at.clone().into(),
                        o.accepted_at.clone().into(),
                        o.completed_at.clone().into(),
                        o.rating.into(),
                        o.rating_comment.as_str().into(),
                    ])?;
                }
                match found.next {
                    Some(next) => page = SeekRequest::new(Some(next), None, Some(200)),
                    None => break,
                }
            }
            s.rows()
        };
        self.deliver(
            caller,
            book,
            "群众点单",
            caller.region_prefix(),
            filter_text,
            rows,
        )
        .await
    }
}
