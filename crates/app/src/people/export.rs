//! The volunteer roster (志愿者花名册) as an Excel workbook.

use zhiyuan_store::seek::SeekRequest;

use super::People;
use crate::error::AppResult;
use crate::exports::{col, Book, Export, Kind, Value};
use crate::{Caller, Scope};

impl People<'_> {
    /// Every volunteer the caller may see that the search finds, in the list's order. Resident
    /// IDs are masked for everyone; phone numbers are masked except for the volunteers' own team
    /// administrators (a team admin sees only their teams' members). Recorded in the audit log.
    pub async fn export_volunteers(
        &self,
        caller: &Caller,
        q: Option<&str>,
        org_id: Option<i64>,
    ) -> AppResult<Export> {
        caller.require_admin()?;
        let own_team = matches!(caller.scope, Scope::Team { .. });
        let mut book = Book::new();
        let filter = match q.map(str::trim).filter(|s| !s.is_empty()) {
            Some(q) => format!("查询“{q}”"),
            None => "全部".to_owned(),
        };
        let rows = {
            let mut s = book.sheet(
                "志愿者",
                Some(&format!("志愿者花名册 · {} · {filter}", caller.display_name)),
                &[
                    col("志愿者编号", Kind::Code, 18.0),
                    col("姓名", Kind::Text, 10.0),
                    col("性别", Kind::Text, 6.0),
                    col("出生年份", Kind::Int, 9.0),
                    col("证件号码", Kind::Code, 20.0),
                    col("手机号码", Kind::Code, 14.0),
                    col("居住地", Kind::Text, 24.0),
                    col("区划代码", Kind::Code, 15.0),
                    col("服务意向", Kind::Text, 20.0),
                    col("技能", Kind::Text, 16.0),
                    col("注册时间", Kind::Text, 17.0),
                    col("状态", Kind::Text, 8.0),
                ],
            )?;
            let mut page = SeekRequest::new(None, None, Some(200));
            loop {
                let found = self.search_volunteers(caller, q, org_id, &page).await?;
                for v in &found.items {
                    let phone = if own_team && !v.phone.is_empty() {
                        // the record view's rule: a team admin sees their members' numbers
                        self.volunteer(caller, v.id).await?.phone
                    } else {
                        v.phone.clone()
                    };
                    s.row(vec![
                        v.volunteer_no.as_str().into(),
                        v.name.as_str().into(),
                        v.gender_label.as_str().into(),
                        Value::Int(v.birth_year as i64),
                        v.resident_id.as_str().into(),
                        phone.into(),
                        v.region_name.as_str().into(),
                        v.region_code.as_str().into(),
                        v.categories
                            .iter()
                            .map(|c| c.label.as_str())
                            .collect::<Vec<_>>()
                            .join("、")
                            .into(),
                        v.skills.join("、").into(),
                        v.registered_at.as_str().into(),
                        if v.closed_at.is_some() {
                            "已注销"
                        } else {
                            "正常"
                        }
                        .into(),
                    ])?;
                }
                match found.next {
                    Some(next) => page = SeekRequest::new(Some(next), None, Some(200)),
                    None => break,
                }
            }
            s.rows()
        };
        self.deliver(caller, book, "志愿者花名册", None, &filter, rows)
            .await
    }
}
