//! The dashboard and the records behind it as Excel workbooks.

use zhiyuan_domain::stats::{category_code, category_label};
use zhiyuan_store::stats as store;

use super::{DashboardQuery, Stats};
use crate::error::AppResult;
use crate::exports::{col, date, Book, Export, Kind, Value};
use crate::Caller;

impl Stats<'_> {
    /// The dashboard's figures and tables, one sheet each (概况, 按区域, 按月份, 按类别, 点单).
    pub async fn export_dashboard(&self, caller: &Caller, q: &DashboardQuery) -> AppResult<Export> {
        let d = self.dashboard(caller, q).await?;
        let scope = format!(
            "{} · {}{} · 数据截至 {}",
            d.region.name,
            d.period_label,
            d.category_label
                .as_deref()
                .map(|c| format!(" · {c}"))
                .unwrap_or_default(),
            d.as_of
        );
        let mut book = Book::new();
        let mut rows = 0;
        {
            let mut s = book.sheet(
                "概况",
                Some(&scope),
                &[
                    col("指标", Kind::Text, 34.0),
                    col("数值", Kind::Decimal, 14.0),
                    col("单位", Kind::Text, 8.0),
                ],
            )?;
            let f = &d.figures;
            let mut line = |name: &str, v: Value, unit: &str| s.row(vec![name.into(), v, unit.into()]);
            line("注册志愿者（按居住地）", f.registered.into(), "人")?;
            line("本期新注册志愿者", f.new_registrations.into(), "人")?;
            line("活跃志愿者", f.service.active.into(), "人")?;
            line("服务时长", Value::Minutes(f.service.minutes), "小时")?;
            line("服务记录", f.service.records.into(), "条")?;
            line(
                "人均服务时长",
                Value::Decimal(f.avg_hours_per_active.parse().unwrap_or(0.0)),
                "小时",
            )?;
            for (i, n) in f.stars.iter().enumerate() {
                line(
                    &format!("{}星志愿者", ["一", "二", "三", "四", "五"][i]),
                    (*n).into(),
                    "人",
                )?;
            }
            line("志愿服务组织", f.organizations.into(), "个")?;
            line("志愿服务队伍", f.teams.into(), "支")?;
            line("开展项目", f.projects.into(), "个")?;
            line("开展班次", f.shifts.into(), "个")?;
            line("出具服务记录证明", f.certificates.into(), "份")?;
            line("群众点单", d.orders.total.into(), "单")?;
            for st in &d.orders.by_status {
                line(&format!("点单·{}", st.label), st.count.into(), "单")?;
            }
            let dec = |o: &Option<String>| {
                o.as_deref()
                    .and_then(|s| s.parse().ok())
                    .map(Value::Decimal)
                    .unwrap_or(Value::Empty)
            };
            line("平均派单用时", dec(&d.orders.avg_dispatch_hours), "小时")?;
            line("平均接单用时", dec(&d.orders.avg_accept_hours), "小时")?;
            line("平均评分", dec(&d.orders.avg_rating), "分")?;
            line("满意率（4分及以上）", dec(&d.orders.good_share), "%")?;
            rows += s.rows();
        }
        if !d.by_region.is_empty() {
            let mut s = book.sheet(
                "按区域",
                Some(&scope),
                &[
                    col("区划代码", Kind::Code, 15.0),
                    col("区域", Kind::Text, 16.0),
                    col("注册志愿者（人）", Kind::Int, 16.0),
                    col("活跃志愿者（人）", Kind::Int, 16.0),
                    col("服务时长（小时）", Kind::Hours, 16.0),
                    col("服务记录（条）", Kind::Int, 14.0),
                ],
            )?;
            for r in &d.by_region {
                s.row(vec![
                    r.code.as_str().into(),
                    r.name.as_str().into(),
                    r.registered.into(),
                    r.service.active.into(),
                    Value::Minutes(r.service.minutes),
                    r.service.records.into(),
                ])?;
            }
            rows += s.rows();
        }
        {
            let mut s = book.sheet(
                "按月份",
                Some(&scope),
                &[
                    col("月份", Kind::Text, 12.0),
                    col("新注册（人）", Kind::Int, 12.0),
                    col("活跃志愿者（人）", Kind::Int, 16.0),
                    col("服务时长（小时）", Kind::Hours, 16.0),
                    col("服务记录（条）", Kind::Int, 14.0),
                ],
            )?;
            for m in &d.by_month {
                s.row(vec![
                    m.label.as_str().into(),
                    m.new_registrations.into(),
                    m.service.active.into(),
                    Value::Minutes(m.service.minutes),
                    m.service.records.into(),
                ])?;
            }
            rows += s.rows();
        }
        {
            let mut s = book.sheet(
                "按服务类别",
                Some(&scope),
                &[
                    col("服务类别", Kind::Text, 16.0),
                    col("活跃志愿者（人）", Kind::Int, 16.0),
                    col("服务时长（小时）", Kind::Hours, 16.0),
                    col("服务记录（条）", Kind::Int, 14.0),
                ],
            )?;
            for c in &d.by_category {
                s.row(vec![
                    c.label.as_str().into(),
                    c.service.active.into(),
                    Value::Minutes(c.service.minutes),
                    c.service.records.into(),
                ])?;
            }
            rows += s.rows();
        }
        let file = book.finish()?;
        self.record_export(caller, "统计报表", Some(&d.region.code), &scope, rows)
            .await?;
        Ok(Export {
            file_name: format!("统计_{}_{}至{}.xlsx", d.region.name, d.from, d.to),
            file,
            rows,
        })
    }

    /// Every record behind a dashboard's service figures, oldest first.
    pub async fn export_records(&self, caller: &Caller, q: &DashboardQuery) -> AppResult<Export> {
        let sel = self.select_rows(caller, q).await?;
        let title = format!(
            "{} · {}{}",
            sel.region_name,
            sel.period.label(),
            sel.category
                .map(|c| format!(" · {}", category_label(c)))
                .unwrap_or_default()
        );
        let mut book = Book::new();
        let rows = {
            let mut s = book.sheet(
                "服务记录",
                Some(&title),
                &[
                    col("记录编号", Kind::Code, 10.0),
                    col("志愿者", Kind::Text, 10.0),
                    col("志愿者编号", Kind::Code, 18.0),
                    col("服务日期", Kind::Date, 12.0),
                    col("活动名称", Kind::Text, 24.0),
                    col("服务类别", Kind::Text, 12.0),
                    col("区划代码", Kind::Code, 15.0),
                    col("服务地点", Kind::Text, 20.0),
                    col("组织单位", Kind::Text, 20.0),
                    col("负责人", Kind::Text, 10.0),
                    col("服务时长（小时）", Kind::Hours, 14.0),
                    col("版本", Kind::Int, 6.0),
                ],
            )?;
            let mut failed = None;
            let mut conn = self.store.read().await?;
            store::each_record_in(
                &mut conn,
                sel.within(),
                sel.category_text(),
                &sel.first_day_text(),
                &sel.to_text(),
                |r| match s.row(vec![
                    r.id.to_string().into(),
                    r.volunteer_name.into(),
                    r.volunteer_no.into(),
                    date(&r.service_date),
                    r.activity.into(),
                    category_label(category_code(&r.category)).into(),
                    r.region_code.into(),
                    r.place.into(),
                    r.organizer.into(),
                    r.person_in_charge.into(),
                    Value::Minutes(r.minutes),
                    r.version.into(),
                ]) {
                    Ok(()) => true,
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                },
            )
            .await?;
            if let Some(e) = failed {
                return Err(e);
            }
            s.rows()
        };
        let file = book.finish()?;
        let filter = format!("{title}（{} 至 {}）", sel.first_day_text(), sel.to_text());
        self.record_export(caller, "服务记录明细", Some(sel.region.as_str()), &filter, rows)
            .await?;
        Ok(Export {
            file_name: format!(
                "服务记录_{}_{}至{}.xlsx",
                sel.region_name,
                sel.first_day_text(),
                sel.to_text()
            ),
            file,
            rows,
        })
    }
}
