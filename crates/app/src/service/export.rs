//! Projects, a shift's sign-ups and the honor roll as Excel workbooks.

use zhiyuan_domain::phone::Phone;
use zhiyuan_store::service::projects::ProjectFilter;

use super::projects::SignUpView;
use super::Service;
use crate::error::{AppError, AppResult};
use crate::exports::{col, date_of_time, Book, Export, Kind, Pages, Value};
use crate::{Caller, Scope};

/// A phone number as someone who is not the person's own team admin may see it.
fn masked_phone(p: &str) -> String {
    Phone::parse(p)
        .map(|p| p.masked())
        .unwrap_or_else(|_| p.to_owned())
}

impl Service<'_> {
    /// The projects the public list's filter finds (every page), for an administrator: one row
    /// a project with its shifts' places summed.
    pub async fn export_projects(
        &self,
        caller: &Caller,
        filter: &ProjectFilter,
        filter_text: &str,
    ) -> AppResult<Export> {
        caller.require_admin()?;
        let mut book = Book::new();
        let rows = {
            let mut s = book.sheet(
                "项目",
                Some(&format!("志愿服务项目 · {filter_text}")),
                &[
                    col("项目编号", Kind::Code, 9.0),
                    col("项目名称", Kind::Text, 28.0),
                    col("服务类别", Kind::Text, 12.0),
                    col("组织团队", Kind::Text, 24.0),
                    col("所在地区", Kind::Text, 18.0),
                    col("区划代码", Kind::Code, 15.0),
                    col("服务地点", Kind::Text, 28.0),
                    col("负责人", Kind::Text, 10.0),
                    col("联系电话", Kind::Code, 14.0),
                    col("状态", Kind::Text, 8.0),
                    col("首个班次", Kind::Date, 12.0),
                    col("班次数", Kind::Int, 8.0),
                    col("招募人数", Kind::Int, 9.0),
                    col("已通过", Kind::Int, 8.0),
                ],
            )?;
            let mut pages = Pages::new();
            while let Some(req) = pages.next_page() {
                let page = self.projects(filter, req).await?;
                pages.read(page.items.len());
                for p in &page.items {
                    s.row(vec![
                        Value::Int(p.id),
                        p.title.as_str().into(),
                        p.category_label.as_str().into(),
                        p.organization_name.as_str().into(),
                        p.region_name.as_str().into(),
                        p.region_code.as_str().into(),
                        p.address.as_str().into(),
                        p.person_in_charge.as_str().into(),
                        p.contact_phone.as_str().into(),
                        p.status_label.as_str().into(),
                        p.first_start.as_deref().map(date_of_time).unwrap_or(Value::Empty),
                        Value::Int(p.shifts.len() as i64),
                        Value::Int(p.shifts.iter().map(|s| s.headcount).sum()),
                        Value::Int(p.shifts.iter().map(|s| s.approved).sum()),
                    ])?;
                }
            }
            s.rows()
        };
        self.deliver(
            caller,
            book,
            "志愿服务项目",
            filter.region_prefix.as_deref(),
            filter_text,
            rows,
        )
        .await
    }

    /// A shift's sign-ups (报名名单) with their attendance, for the organizing team. Phone
    /// numbers are shown in full only to the volunteers' own team administrators.
    pub async fn export_roster(&self, caller: &Caller, shift_id: i64) -> AppResult<Export> {
        // one permission check and one read: the rows carry the phone numbers the views leave out
        let (shift, project, rows) = {
            let mut conn = self.conn().await?;
            let (shift, project, _) = super::projects::shift_team(&mut conn, caller, shift_id).await?;
            let rows = zhiyuan_store::service::signups::of_shift(&mut conn, shift_id).await?;
            (shift, project, rows)
        };
        let starts = crate::show_time(shift.starts_at);
        let title = format!("{} · {starts} 班次报名名单", project.title);
        let own_team = matches!(caller.scope, Scope::Team { .. });
        let mut book = Book::new();
        let written = {
            let mut s = book.sheet(
                "报名名单",
                Some(&title),
                &[
                    col("志愿者编号", Kind::Code, 18.0),
                    col("姓名", Kind::Text, 10.0),
                    col("手机号码", Kind::Code, 14.0),
                    col("状态", Kind::Text, 8.0),
                    col("报名时间", Kind::Text, 17.0),
                    col("签到时间", Kind::Text, 17.0),
                    col("签到方式", Kind::Text, 9.0),
                    col("签退时间", Kind::Text, 17.0),
                    col("签退方式", Kind::Text, 9.0),
                ],
            )?;
            for row in rows {
                let raw = row.volunteer_phone.clone();
                let u = SignUpView::from(row);
                let phone = if raw.is_empty() {
                    raw
                } else if own_team {
                    match self.people().volunteer(caller, u.volunteer_id).await {
                        Ok(v) => v.phone,
                        Err(AppError::Forbidden | AppError::NotFound(_)) => masked_phone(&raw),
                        Err(e) => return Err(e),
                    }
                } else {
                    masked_phone(&raw)
                };
                s.row(vec![
                    u.volunteer_no.as_str().into(),
                    u.volunteer_name.as_str().into(),
                    phone.into(),
                    u.status_label.as_str().into(),
                    u.signed_up_at.as_str().into(),
                    u.checkin_at.clone().into(),
                    u.checkin_method.as_deref().map(method_label).into(),
                    u.checkout_at.clone().into(),
                    u.checkout_method.as_deref().map(method_label).into(),
                ])?;
            }
            s.rows()
        };
        let region = project.region_code.clone();
        let mut e = self
            .deliver(caller, book, "报名名单", Some(&region), &title, written)
            .await?;
        e.file_name = format!("报名名单-{}.xlsx", project.title);
        Ok(e)
    }

    /// The honor roll (光荣榜) of a region and period as an Excel sheet, for an administrator:
    /// the same names as the public roll (masked unless the volunteer agreed otherwise).
    pub async fn export_honor_roll(
        &self,
        caller: &Caller,
        region_prefix: &str,
        from: &str,
        to: &str,
        limit: i64,
    ) -> AppResult<Export> {
        caller.require_admin()?;
        let roll = self.honor_roll(region_prefix, from, to, limit).await?;
        let filter = format!(
            "{} {from} 至 {to}",
            if region_prefix.is_empty() {
                "全部地区".to_owned()
            } else {
                format!("区划 {region_prefix}")
            }
        );
        let mut book = Book::new();
        let rows = {
            let mut s = book.sheet(
                "光荣榜",
                Some(&format!("志愿服务光荣榜 · {filter}")),
                &[
                    col("名次", Kind::Int, 6.0),
                    col("姓名", Kind::Text, 10.0),
                    col("区划代码", Kind::Code, 15.0),
                    col("服务时长（小时）", Kind::Hours, 14.0),
                ],
            )?;
            for h in &roll {
                s.row(vec![
                    Value::Int(h.rank as i64),
                    h.name.as_str().into(),
                    h.region_code.as_str().into(),
                    Value::Minutes(h.minutes),
                ])?;
            }
            s.rows()
        };
        let prefix = (!region_prefix.is_empty()).then_some(region_prefix);
        self.deliver(caller, book, "志愿服务光荣榜", prefix, &filter, rows)
            .await
    }
}

/// How an attendance was taken, in Chinese.
fn method_label(m: &str) -> String {
    match m {
        "qr" => "扫码",
        "roster" => "名单登记",
        "offline" => "离线补传",
        other => other,
    }
    .to_owned()
}
