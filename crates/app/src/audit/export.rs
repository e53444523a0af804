//! The audit log as an Excel workbook.

use zhiyuan_store::audit::AuditFilter;
use zhiyuan_store::seek::SeekRequest;

use super::Audit;
use crate::error::AppResult;
use crate::exports::{col, Book, Export, Kind};
use crate::Caller;

impl Audit<'_> {
    /// Every entry of the caller's audit log under the filter, newest first, with what changed
    /// in words (the page's table of Chinese field names); itself recorded as an export.
    pub async fn export_audit(
        &self,
        caller: &Caller,
        filter: &AuditFilter,
        described: &str,
    ) -> AppResult<Export> {
        caller.require_admin()?;
        let mut book = Book::new();
        let rows = {
            let mut s = book.sheet(
                "审计日志",
                Some(&format!("审计日志 · {} · {described}", caller.display_name)),
                &[
                    col("编号", Kind::Code, 8.0),
                    col("时间", Kind::Text, 17.0),
                    col("操作人", Kind::Text, 12.0),
                    col("操作", Kind::Text, 16.0),
                    col("对象类型", Kind::Text, 10.0),
                    col("对象编号", Kind::Code, 10.0),
                    col("对象", Kind::Text, 20.0),
                    col("变更内容", Kind::Text, 60.0),
                ],
            )?;
            let mut page = SeekRequest::new(None, None, Some(200));
            loop {
                let found = self.audit_log(caller, filter, &page).await?;
                for a in &found.items {
                    let changes: Vec<String> = a
                        .changes
                        .iter()
                        .map(|c| match (&c.before, &c.after) {
                            (Some(b), Some(n)) => format!("{}：{b} → {n}", c.label),
                            (None, Some(n)) => format!("{}：{n}", c.label),
                            (Some(b), None) => format!("{}：{b} →（无）", c.label),
                            (None, None) => c.label.clone(),
                        })
                        .collect();
                    s.row(vec![
                        a.id.to_string().into(),
                        a.at.as_str().into(),
                        a.actor_name.as_str().into(),
                        a.action_label.as_str().into(),
                        a.entity_label.as_str().into(),
                        a.entity_id.as_str().into(),
                        a.entity_name.clone().into(),
                        changes.join("；").into(),
                    ])?;
                }
                match found.next {
                    Some(next) => page = SeekRequest::new(Some(next), None, Some(200)),
                    None => break,
                }
            }
            s.rows()
        };
        self.deliver(caller, book, "审计日志", None, described, rows)
            .await
    }
}
