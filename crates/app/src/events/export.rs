//! An event's tables as an Excel workbook.

use super::{Events, TallyTotals};
use crate::error::AppResult;
use crate::exports::{col, date, Book, Column, Export, Kind, Value};
use crate::Caller;

impl Events<'_> {
    /// 总计, 按点位 and 按日期, each with every metric, guides on duty and their hours.
    pub async fn export_event(&self, caller: &Caller, id: i64) -> AppResult<Export> {
        let e = self.event(caller, id).await?;
        let title = format!(
            "{} · {} 至 {} · 数据截至 {}",
            e.name, e.starts_on, e.ends_on, e.as_of
        );
        let metric_headers: Vec<String> = e
            .metrics
            .iter()
            .map(|m| format!("{}（{}）", m.name, m.unit))
            .collect();
        let mut book = Book::new();
        let mut rows = 0;
        let tail = [
            col("在岗人次", Kind::Int, 10.0),
            col("服务时长（小时）", Kind::Hours, 16.0),
            col("填报条数", Kind::Int, 10.0),
        ];
        let owned: Vec<String> = metric_headers;
        let headers = |first: [Column; 1]| -> Vec<Column> {
            let mut v: Vec<Column> = first.to_vec();
            v.extend(owned.iter().map(|h| Column {
                header: h.clone().into(),
                kind: Kind::Int,
                width: 16.0,
            }));
            v.extend(tail.iter().cloned());
            v
        };
        let line = |t: &TallyTotals| -> Vec<Value> {
            let mut v: Vec<Value> = t.values.iter().map(|n| Value::Int(*n)).collect();
            v.push(t.guides.into());
            v.push(Value::Minutes(t.guide_minutes));
            v.push(t.entries.into());
            v
        };
        {
            let mut s = book.sheet("总计", Some(&title), &headers([col("范围", Kind::Text, 12.0)]))?;
            let mut v = vec![Value::from("全部点位")];
            v.extend(line(&e.totals));
            s.row(v)?;
            rows += s.rows();
        }
        {
            let mut s = book.sheet("按点位", Some(&title), &headers([col("点位", Kind::Text, 18.0)]))?;
            for p in &e.posts {
                let mut v = vec![Value::from(p.name.as_str())];
                v.extend(line(&p.totals));
                s.row(v)?;
            }
            rows += s.rows();
        }
        {
            let mut s = book.sheet("按日期", Some(&title), &headers([col("日期", Kind::Date, 12.0)]))?;
            for d in &e.days {
                let mut v = vec![date(&d.day)];
                v.extend(line(&d.totals));
                s.row(v)?;
            }
            rows += s.rows();
        }
        let file = book.finish()?;
        self.record_export(caller, "活动统计", Some(&e.region_code), &title, rows)
            .await?;
        Ok(Export {
            file_name: format!("活动统计_{}.xlsx", e.name),
            file,
            rows,
        })
    }
}
