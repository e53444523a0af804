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
    /// township followed by its communities).
    pub async fn order_places(&self) -> AppResult<Vec<crate::network::RegionView>> {
        let mut conn = self.conn().await?;
        let mut rows = regions::by_levels(&mut conn, &["township", "village"]).await?;
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(rows.into_iter().map(Into::into).collect())
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
        if !caller.is_admin() || !caller.covers_region(&site.region_code) {
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
