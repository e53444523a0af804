//! The service menu (服务菜单): the default menu, a site's own copy and its items.

use super::*;

impl Orders<'_> {
    /// Puts the default menu in place on a database that has none (idempotent).
    pub async fn ensure_default_menu(&self) -> AppResult<usize> {
        let mut conn = self.conn().await?;
        if !store::menu_of(&mut conn, None).await?.is_empty() {
            return Ok(0);
        }
        drop(conn);
        let mut tx = self.bookkeeping(Bookkeeping::ReferenceData).await?;
        if !store::menu_of(&mut tx, None).await?.is_empty() {
            return Ok(0);
        }
        for (i, (cat, name, skills)) in rules::DEFAULT_MENU.iter().enumerate() {
            store::insert_menu_item(
                &mut tx,
                &NewMenuItem {
                    site_id: None,
                    category: (*cat).to_owned(),
                    name: (*name).to_owned(),
                    description: String::new(),
                    skills: skills.join(","),
                    active: true,
                    position: i as i64,
                },
            )
            .await?;
        }
        tx.commit(self).await?;
        Ok(rules::DEFAULT_MENU.len())
    }

    /// The menu residents order from at a place, with the site covering it.
    pub async fn menu_for_region(&self, region_code: &str) -> AppResult<MenuView> {
        let code = RegionCode::parse(region_code)?;
        let mut conn = self.conn().await?;
        let site = covering_site(&mut conn, &code).await?.ok_or_else(uncovered)?;
        let mut m = effective_menu(&mut conn, &site).await?;
        m.items.retain(|i| i.active);
        Ok(m)
    }

    /// The places a resident can order at: townships and communities, in code order (each
    /// township followed by its communities), each named with its district and street so that
    /// communities of the same name are told apart; narrowed to those whose full name holds
    /// every word of `query` (名称搜索) when one is given.
    pub async fn order_places(&self, query: &str) -> AppResult<Vec<OrderPlace>> {
        let mut conn = self.conn().await?;
        let rows = regions::by_levels(&mut conn, &["county", "township", "village"]).await?;
        Ok(order_places_of(&rows, query))
    }

    /// A site's menu, inactive items included (public: menus are published information).
    pub async fn site_menu(&self, site_id: i64) -> AppResult<MenuView> {
        let mut conn = self.conn().await?;
        let site = sites::get(&mut conn, site_id)
            .await?
            .ok_or(AppError::NotFound("阵地"))?;
        effective_menu(&mut conn, &site).await
    }

    async fn menu_site_for_admin(
        &self,
        conn: &mut Conn,
        caller: &Caller,
        site_id: i64,
    ) -> AppResult<SiteRow> {
        let site = sites::get(conn, site_id)
            .await?
            .ok_or(AppError::NotFound("阵地"))?;
        if !crate::network::policy::administers_site(caller, &site.region_code) {
            return Err(AppError::Forbidden);
        }
        Ok(site)
    }

    fn check_menu_input(input: &MenuItemInput) -> AppResult<NewMenuItem> {
        let mut errs = Vec::new();
        let name = text("name", "服务项目名称", &input.name, 40, &mut errs);
        let category = match category_by_code_or_label(&input.category) {
            Some(c) => c.code.to_owned(),
            None => {
                errs.push(DomainError::ServiceCategory(input.category.trim().to_owned()).into());
                String::new()
            }
        };
        if input.description.chars().count() > 500 {
            errs.push(FieldError::new(
                "description",
                "text_invalid",
                "服务说明不超过500字",
            ));
        }
        let skills = match parse_skills(&input.skills.join(",")) {
            Ok(s) => s.join(","),
            Err(e) => {
                errs.push(e.into());
                String::new()
            }
        };
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        Ok(NewMenuItem {
            site_id: None,
            category,
            name,
            description: input.description.trim().to_owned(),
            skills,
            active: input.active.unwrap_or(true),
            position: input.position.unwrap_or(0),
        })
    }

    /// Gives a site a menu of its own, copied from the one it uses now (no-op when it has one).
    pub async fn customize_menu(&self, caller: &Caller, site_id: i64) -> AppResult<MenuView> {
        let mut tx = self.begin().await?;
        let site = self.menu_site_for_admin(&mut tx, caller, site_id).await?;
        let copied = self.copy_menu(&mut tx, caller, &site).await?;
        let m = effective_menu(&mut tx, &site).await?;
        if copied {
            tx.commit(self).await?;
        }
        Ok(m)
    }

    async fn copy_menu(
        &self,
        tx: &mut crate::work::Work,
        caller: &Caller,
        site: &SiteRow,
    ) -> AppResult<bool> {
        let current = effective_menu(tx, site).await?;
        if current.own {
            return Ok(false);
        }
        for (i, item) in current.items.iter().enumerate() {
            store::insert_menu_item(
                tx,
                &NewMenuItem {
                    site_id: Some(site.id),
                    category: item.category.clone(),
                    name: item.name.clone(),
                    description: item.description.clone(),
                    skills: item.skills.join(","),
                    active: item.active,
                    position: i as i64,
                },
            )
            .await?;
        }
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::MenuCustomize,
            entity_id: site.id.to_string(),
            region_code: Some(site.region_code.clone()),
            org_path: None,
            before: Some(serde_json::json!({"source": current.source_name})),
            after: Some(serde_json::json!({"items": current.items.len()})),
        })
        .await?;
        Ok(true)
    }

    /// Adds an item to a site's own menu (copying the inherited menu first).
    pub async fn add_menu_item(
        &self,
        caller: &Caller,
        site_id: i64,
        input: &MenuItemInput,
    ) -> AppResult<MenuItemView> {
        let mut new = Self::check_menu_input(input)?;
        let mut tx = self.begin().await?;
        let site = self.menu_site_for_admin(&mut tx, caller, site_id).await?;
        self.copy_menu(&mut tx, caller, &site).await?;
        new.site_id = Some(site.id);
        if input.position.is_none() {
            new.position = store::menu_of(&mut tx, Some(site.id)).await?.len() as i64;
        }
        let id = store::insert_menu_item(&mut tx, &new).await.map_err(|e| {
            crate::on_unique(
                e,
                "menu_item_exists",
                Some("name"),
                "本阵地菜单中已有同名服务项目",
            )
        })?;
        tx.audit(menu_audit(caller, &site, AuditAction::MenuAdd, id, &new))
            .await?;
        let row = store::menu_item(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("服务项目"))?;
        tx.commit(self).await?;
        Ok(row.into())
    }

    /// Changes an item of a site's own menu (inherited and default items are changed by
    /// customizing first).
    pub async fn update_menu_item(
        &self,
        caller: &Caller,
        item_id: i64,
        input: &MenuItemInput,
    ) -> AppResult<MenuItemView> {
        let mut new = Self::check_menu_input(input)?;
        let mut tx = self.begin().await?;
        let item = store::menu_item(&mut tx, item_id)
            .await?
            .ok_or(AppError::NotFound("服务项目"))?;
        let Some(site_id) = item.site_id else {
            return Err(conflict(
                "menu_item_not_own",
                "默认菜单项不能直接修改，请先定制本阵地菜单",
            ));
        };
        let site = self.menu_site_for_admin(&mut tx, caller, site_id).await?;
        new.site_id = Some(site.id);
        if input.position.is_none() {
            new.position = item.position;
        }
        store::update_menu_item(&mut tx, item_id, &new)
            .await
            .map_err(|e| {
                crate::on_unique(
                    e,
                    "menu_item_exists",
                    Some("name"),
                    "本阵地菜单中已有同名服务项目",
                )
            })?;
        tx.audit(menu_audit(caller, &site, AuditAction::MenuUpdate, item_id, &new))
            .await?;
        let row = store::menu_item(&mut tx, item_id)
            .await?
            .ok_or(AppError::NotFound("服务项目"))?;
        tx.commit(self).await?;
        Ok(row.into())
    }
}

/// A place residents order at, as the place picker shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct OrderPlace {
    pub code: String,
    /// `永安里社区`, or `建外街道（全街道）` for a whole street.
    pub label: String,
    /// The district and street it lies in, `朝阳区 建外街道`: the picker's group.
    pub street: String,
    /// Every name it is found by: district, street and community.
    pub search: String,
}

/// The order places among `rows` (counties, townships and communities, in code order) that
/// match `query`: every whitespace-separated word must appear in the place's full name.
pub(crate) fn order_places_of(rows: &[regions::RegionRow], query: &str) -> Vec<OrderPlace> {
    let by_code: HashMap<&str, &regions::RegionRow> = rows.iter().map(|r| (r.code.as_str(), r)).collect();
    let name_of = |code: Option<&String>| {
        code.and_then(|c| by_code.get(c.as_str()))
            .map_or("", |r| r.name.as_str())
    };
    let parent = |code: Option<&String>| {
        code.and_then(|c| by_code.get(c.as_str()))
            .and_then(|r| r.parent_code.as_ref())
    };
    let words: Vec<&str> = query.split_whitespace().collect();
    let mut out: Vec<OrderPlace> = rows
        .iter()
        .filter(|r| r.level == "township" || r.level == "village")
        .map(|r| {
            let (county, street) = if r.level == "township" {
                (name_of(r.parent_code.as_ref()), r.name.as_str())
            } else {
                (
                    name_of(parent(r.parent_code.as_ref())),
                    name_of(r.parent_code.as_ref()),
                )
            };
            let label = if r.level == "township" {
                format!("{}（全街道）", r.name)
            } else {
                r.name.clone()
            };
            OrderPlace {
                code: r.code.clone(),
                search: format!("{county} {street} {}", r.name),
                street: format!("{county} {street}").trim().to_owned(),
                label,
            }
        })
        .filter(|p| words.iter().all(|w| p.search.contains(w)))
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str, name: &str, level: &str, parent: Option<&str>) -> regions::RegionRow {
        regions::RegionRow {
            code: code.into(),
            name: name.into(),
            level: level.into(),
            parent_code: parent.map(Into::into),
        }
    }

    fn rows() -> Vec<regions::RegionRow> {
        vec![
            region("110105000000", "朝阳区", "county", None),
            region("110105001000", "建外街道", "township", Some("110105000000")),
            region("110105001001", "永安里社区", "village", Some("110105001000")),
            region("110105002000", "朝外街道", "township", Some("110105000000")),
            region("110105002001", "永安里社区", "village", Some("110105002000")),
            region("110108000000", "海淀区", "county", None),
            region("110108001000", "万寿路街道", "township", Some("110108000000")),
        ]
    }

    #[test]
    fn every_street_and_community_is_offered_with_its_district_and_street() {
        let all = order_places_of(&rows(), "");
        assert_eq!(all.len(), 5, "counties are not places to order at");
        assert_eq!(all[0].label, "建外街道（全街道）");
        assert_eq!(all[1].label, "永安里社区");
        assert_eq!(all[1].street, "朝阳区 建外街道");
    }

    #[test]
    fn communities_of_the_same_name_are_told_apart_by_their_street() {
        let found = order_places_of(&rows(), "永安里");
        assert_eq!(found.len(), 2);
        assert_ne!(found[0].street, found[1].street);
        let one = order_places_of(&rows(), "朝外 永安里");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].code, "110105002001");
    }

    #[test]
    fn a_street_or_district_finds_what_lies_in_it() {
        assert_eq!(order_places_of(&rows(), "建外").len(), 2);
        assert_eq!(order_places_of(&rows(), "海淀").len(), 1);
        assert!(order_places_of(&rows(), "不存在的地方").is_empty());
    }
}
