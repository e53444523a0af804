//! The team directory (团队名录) and the practice-site directory (阵地名录) as Excel workbooks.

use zhiyuan_store::network::orgs::OrgFilter;
use zhiyuan_store::network::sites::SiteFilter;

use super::Network;
use crate::error::AppResult;
use crate::exports::{col, date_of_time, Book, Export, Kind, Pages, Value};
use crate::Caller;

impl Network<'_> {
    /// Every standing team and organization the directory's filter finds (all levels, not only
    /// roots), for an administrator. The directory is public, so contacts are as listed there.
    pub async fn export_orgs(
        &self,
        caller: &Caller,
        filter: &OrgFilter,
        filter_text: &str,
    ) -> AppResult<Export> {
        caller.require_admin()?;
        let filter = OrgFilter {
            roots_only: false,
            ..filter.clone()
        };
        let mut book = Book::new();
        let rows = {
            let mut s = book.sheet(
                "团队",
                Some(&format!("团队名录 · {filter_text}")),
                &[
                    col("团队名称", Kind::Text, 28.0),
                    col("类型", Kind::Text, 10.0),
                    col("上级组织", Kind::Text, 24.0),
                    col("所属阵地", Kind::Text, 24.0),
                    col("所在地区", Kind::Text, 20.0),
                    col("区划代码", Kind::Code, 15.0),
                    col("联系人", Kind::Text, 10.0),
                    col("联系电话", Kind::Code, 14.0),
                    col("成员数", Kind::Int, 8.0),
                    col("成立日期", Kind::Date, 12.0),
                ],
            )?;
            let mut parents = std::collections::HashMap::new();
            let mut pages = Pages::new();
            while let Some(req) = pages.next_page() {
                let page = self.orgs(&filter, req).await?;
                pages.read(page.items.len());
                for o in &page.items {
                    let parent = match o.parent_id {
                        Some(p) => {
                            if let std::collections::hash_map::Entry::Vacant(e) = parents.entry(p) {
                                e.insert(self.org(p).await.map(|o| o.name).unwrap_or_default());
                            }
                            parents.get(&p).cloned()
                        }
                        None => None,
                    };
                    s.row(vec![
                        o.name.as_str().into(),
                        o.kind_label.as_str().into(),
                        parent.into(),
                        o.site_name.clone().into(),
                        o.region_name.as_str().into(),
                        o.region_code.as_str().into(),
                        o.contact_name.as_str().into(),
                        o.contact_phone.as_str().into(),
                        Value::Int(o.member_count),
                        date_of_time(&o.created_at),
                    ])?;
                }
            }
            s.rows()
        };
        self.deliver(
            caller,
            book,
            "团队名录",
            filter.region_prefix.as_deref(),
            filter_text,
            rows,
        )
        .await
    }

    /// Every practice site (center, institute, station) the directory's filter finds, for an
    /// administrator.
    pub async fn export_sites(
        &self,
        caller: &Caller,
        filter: &SiteFilter,
        filter_text: &str,
    ) -> AppResult<Export> {
        caller.require_admin()?;
        let mut book = Book::new();
        let rows = {
            let mut s = book.sheet(
                "阵地",
                Some(&format!("新时代文明实践阵地名录 · {filter_text}")),
                &[
                    col("阵地名称", Kind::Text, 30.0),
                    col("层级", Kind::Text, 8.0),
                    col("所在地区", Kind::Text, 20.0),
                    col("区划代码", Kind::Code, 15.0),
                    col("地址", Kind::Text, 30.0),
                    col("联系人", Kind::Text, 10.0),
                    col("联系电话", Kind::Code, 14.0),
                    col("开放时间", Kind::Text, 22.0),
                    col("建立日期", Kind::Date, 12.0),
                ],
            )?;
            let mut pages = Pages::new();
            while let Some(req) = pages.next_page() {
                let page = self.sites(filter, req).await?;
                pages.read(page.items.len());
                for x in &page.items {
                    s.row(vec![
                        x.name.as_str().into(),
                        x.level_label.as_str().into(),
                        x.region_name.as_str().into(),
                        x.region_code.as_str().into(),
                        x.address.as_str().into(),
                        x.contact_name.as_str().into(),
                        x.contact_phone.as_str().into(),
                        x.opening_hours.as_str().into(),
                        date_of_time(&x.created_at),
                    ])?;
                }
            }
            s.rows()
        };
        self.deliver(
            caller,
            book,
            "阵地名录",
            filter.region_prefix.as_deref(),
            filter_text,
            rows,
        )
        .await
    }
}
