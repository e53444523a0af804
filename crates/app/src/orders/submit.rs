//! 点单: a resident orders an item of the menu of the site covering the place.

use super::*;
use zhiyuan_store::audit::NewAudit;

impl Orders<'_> {
    /// A resident orders an item of the menu of the site covering the place.
    pub async fn submit_order(&self, caller: &Caller, input: &OrderInput) -> AppResult<OrderView> {
        if caller.is_admin() {
            return Err(AppError::Forbidden);
        }
        let mut errs: Vec<FieldError> = Vec::new();
        let mut conn = self.conn().await?;
        let site = match RegionCode::parse(&input.region_code) {
            // nothing chosen: say what to do, not what a code looks like
            Err(_) if input.region_code.trim().is_empty() => {
                errs.push(FieldError::new(
                    "region_code",
                    "region_code_invalid",
                    "请选择服务地点所在的社区",
                ));
                None
            }
            Err(e) => {
                errs.push(e.into());
                None
            }
            Ok(code) => {
                if regions::get(&mut conn, code.as_str()).await?.is_none() {
                    errs.push(FieldError::new(
                        "region_code",
                        "region_code_invalid",
                        "该行政区划不存在",
                    ));
                    None
                } else {
                    let s = covering_site(&mut conn, &code).await?;
                    if s.is_none() {
                        errs.push(uncovered_field());
                    }
                    s
                }
            }
        };
        let item = match store::menu_item(&mut conn, input.item_id).await? {
            Some(i) if i.active != 0 => Some(i),
            _ => None,
        };
        let item = match (&site, item) {
            (Some(s), Some(i)) => {
                let menu = effective_menu(&mut conn, s).await?;
                if menu.items.iter().any(|m| m.id == i.id && m.active) {
                    Some(i)
                } else {
                    errs.push(unknown_item());
                    None
                }
            }
            (None, Some(i)) => Some(i),
            (_, None) if input.item_id <= 0 => {
                errs.push(FieldError::new("item_id", "order_item_unknown", "请选择服务项目"));
                None
            }
            (_, None) => {
                errs.push(unknown_item());
                None
            }
        };
        drop(conn);
        let address = text("address", "服务地址", &input.address, 200, &mut errs);
        match (input.lat, input.lon) {
            (None, None) => {}
            (Some(a), Some(b)) if valid_point(a, b) => {}
            _ => errs.push(DomainError::Location.into()),
        }
        let now = Utc::now();
        let window = match (
            parse_instant(&input.window_start),
            parse_instant(&input.window_end),
        ) {
            (Some(a), Some(b)) => match ServiceWindow::new(a, b, now) {
                Ok(w) => Some(w),
                Err(e) => {
                    errs.push(e.into());
                    None
                }
            },
            _ => {
                let missing = input.window_start.trim().is_empty() || input.window_end.trim().is_empty();
                errs.push(FieldError::new(
                    "window",
                    "order_window_invalid",
                    if missing {
                        "请填写服务的开始和结束时间"
                    } else {
                        "服务时间格式不正确"
                    },
                ));
                None
            }
        };
        if let Err(e) = check_people(input.people) {
            errs.push(e.into());
        }
        let notes = optional_prose("notes", "备注", &input.notes, 500, &mut errs);
        let contact_name = if input.contact_name.trim().is_empty() {
            caller.display_name.clone()
        } else {
            name_text("contact_name", "联系人", &input.contact_name, 30, &mut errs)
        };
        let phone_in = if input.contact_phone.trim().is_empty() {
            caller.username.strip_prefix("phone:").unwrap_or("").to_owned()
        } else {
            input.contact_phone.clone()
        };
        let contact_phone = match Phone::parse(&phone_in) {
            Ok(p) => p.as_str().to_owned(),
            // an account without a phone of its own must give one
            Err(_) if phone_in.trim().is_empty() => {
                errs.push(FieldError::new(
                    "contact_phone",
                    "phone_invalid",
                    "请填写联系电话（11 位手机号码），志愿者上门前会与您联系",
                ));
                String::new()
            }
            Err(e) => {
                errs.push(FieldError::new("contact_phone", e.code(), e.to_string()));
                String::new()
            }
        };
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let (site, item, window) = (
            site.expect("checked"),
            item.expect("checked"),
            window.expect("checked"),
        );
        let new = NewOrder {
            item_id: item.id,
            item_name: item.name.clone(),
            category: item.category.clone(),
            skills: item.skills.clone(),
            resident_account_id: caller.account_id,
            contact_name,
            contact_phone,
            region_code: input.region_code.trim().to_owned(),
            address,
            lat: input.lat,
            lon: input.lon,
            window_start: window.start.timestamp_millis(),
            window_end: window.end.timestamp_millis(),
            people: input.people,
            notes,
            site_id: site.id,
            deadline_at: now.timestamp_millis() + ACCEPT_WITHIN.num_milliseconds(),
        };
        let mut tx = self.begin().await?;
        let id = store::insert(&mut tx, &new).await?;
        let o = self.order_row(&mut tx, id).await?;
        // a new order has no before
        let entry = NewAudit {
            before: None,
            ..order_audit(
                Some(caller),
                AuditAction::OrderSubmit,
                &o,
                serde_json::json!({"status": "submitted", "item": o.item_name, "site_id": o.site_id}),
            )
        };
        tx.audit(entry).await?;
        tx.notify(
            Recipient::Site(o.site_id),
            &o.region_code,
            NoticeKind::Submitted,
            format!(
                "新点单 #{}：{}（{}，{}）",
                o.id,
                o.item_name,
                o.region_name,
                show_time(o.window_start)
            ),
            Some(o.id),
        );
        let v = self.order_view(&mut tx, Some(caller), o).await?;
        tx.commit(self).await?;
        Ok(v)
    }
}
