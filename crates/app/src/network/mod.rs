//! Regions, the practice network (centers / institutes / stations) and organizations / teams.

context_handle!(
    /// The network context's use cases (`app.network()`).
    Network
);

pub mod export;
pub mod policy;
mod upkeep;

pub(crate) use upkeep::standing;
pub use upkeep::{OrgDetailsInput, OrgDissolveInput, OrgMoveInput, ParentChoice};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zhiyuan_domain::audit::AuditAction;
use zhiyuan_domain::auth::{OrgKind, SiteLevel};
use zhiyuan_domain::network::RegionCode;
use zhiyuan_store::audit::NewAudit;
pub use zhiyuan_store::network::orgs::OrgFilter;
use zhiyuan_store::network::orgs::{self, NewOrg, OrgRow};
use zhiyuan_store::network::regions::{self, RegionRow};
pub use zhiyuan_store::network::sites::SiteFilter;
use zhiyuan_store::network::sites::{self, NewSite, SiteRow};
use zhiyuan_store::{Page, PageRequest};

use crate::access::{Caller, Scope};
use crate::error::{AppError, AppResult, FieldError};
pub(crate) use crate::text::{name_text, optional_contact_phone, optional_name, optional_prose, text};
use crate::{on_unique, show_time};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionView {
    pub code: String,
    pub name: String,
    pub level: String,
    pub level_label: String,
    pub parent_code: Option<String>,
}

impl From<RegionRow> for RegionView {
    fn from(r: RegionRow) -> Self {
        let level_label = zhiyuan_domain::network::RegionLevel::parse(&r.level)
            .map(|l| l.label_zh())
            .unwrap_or("");
        RegionView {
            code: r.code,
            name: r.name,
            level: r.level,
            level_label: level_label.to_owned(),
            parent_code: r.parent_code,
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SiteView {
    pub id: i64,
    pub name: String,
    pub level: String,
    pub level_label: String,
    pub region_code: String,
    pub region_name: String,
    pub parent_id: Option<i64>,
    pub address: String,
    pub contact_phone: String,
    /// 联系人
    pub contact_name: String,
    /// 开放时间, free text such as "周二至周日 9:00–17:00".
    pub opening_hours: String,
    pub created_at: String,
}

impl From<SiteRow> for SiteView {
    fn from(s: SiteRow) -> Self {
        let level_label = SiteLevel::parse(&s.level).map(|l| l.short_zh()).unwrap_or("");
        SiteView {
            id: s.id,
            name: s.name,
            level: s.level,
            level_label: level_label.to_owned(),
            region_code: s.region_code,
            region_name: s.region_name,
            parent_id: s.parent_id,
            address: s.address,
            contact_phone: s.contact_phone,
            contact_name: s.contact_name,
            opening_hours: s.opening_hours,
            created_at: show_time(s.created_at),
        }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrgView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub parent_id: Option<i64>,
    pub site_id: Option<i64>,
    pub site_name: Option<String>,
    pub region_code: String,
    pub region_name: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub description: String,
    pub member_count: i64,
    pub depth: usize,
    pub created_at: String,
    /// When it was dissolved (解散); absent while it stands.
    pub dissolved_at: Option<String>,
    /// Who administers it ([`policy::administers`]).
    #[serde(skip)]
    pub place: policy::TeamPlace,
}

impl From<OrgRow> for OrgView {
    fn from(o: OrgRow) -> Self {
        let kind_label = OrgKind::parse(&o.kind).map(|k| k.label_zh()).unwrap_or("");
        OrgView {
            id: o.id,
            place: (&o).into(),
            depth: o.path.matches('/').count().saturating_sub(2),
            name: o.name,
            kind: o.kind,
            kind_label: kind_label.to_owned(),
            parent_id: o.parent_id,
            site_id: o.site_id,
            site_name: o.site_name,
            region_code: o.region_code,
            region_name: o.region_name,
            contact_name: o.contact_name,
            contact_phone: o.contact_phone,
            description: o.description,
            member_count: o.member_count,
            created_at: show_time(o.created_at),
            dissolved_at: o.dissolved_at.map(show_time),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct SiteInput {
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    /// center / institute / station
    pub level: String,
    pub region_code: String,
    pub parent_id: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub address: String,
    /// A mobile or landline number.
    #[serde(default)]
    #[schema(max_length = 30)]
    pub contact_phone: String,
    #[serde(default)]
    #[schema(max_length = 30)]
    pub contact_name: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub opening_hours: String,
}

/// A site's public details, edited by the offices whose scope holds it. Every field is
/// written as given: an empty one clears it.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct SiteDetailsInput {
    #[serde(default)]
    #[schema(max_length = 200)]
    pub address: String,
    /// A mobile or landline number, e.g. `010-65001234`.
    #[serde(default)]
    #[schema(max_length = 30)]
    pub contact_phone: String,
    #[serde(default)]
    #[schema(max_length = 30)]
    pub contact_name: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub opening_hours: String,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct OrgInput {
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    /// organization / team
    pub kind: String,
    pub parent_id: Option<i64>,
    pub site_id: Option<i64>,
    /// Defaults to the parent's or the site's region.
    pub region_code: Option<String>,
    #[serde(default)]
    #[schema(max_length = 30)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: String,
}

impl Network<'_> {
    pub async fn region(&self, code: &str) -> AppResult<RegionView> {
        let mut conn = self.conn().await?;
        Ok(regions::get(&mut conn, code)
            .await?
            .ok_or(AppError::NotFound("行政区划"))?
            .into())
    }

    /// The children of a region, or the roots when `parent` is None.
    pub async fn regions(&self, parent: Option<&str>) -> AppResult<Vec<RegionView>> {
        let mut conn = self.conn().await?;
        let rows = match parent {
            Some(p) => regions::children(&mut conn, p).await?,
            None => regions::roots(&mut conn).await?,
        };
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Counties and townships (and demo communities), for the residence picker.
    pub async fn region_choices(&self) -> AppResult<Vec<RegionView>> {
        let mut conn = self.conn().await?;
        Ok(regions::by_levels(&mut conn, &["county", "township"])
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Sites are public information (name, address, phone of a practice site); the list can be
    /// narrowed to a region prefix.
    pub async fn sites(&self, filter: &SiteFilter, page: PageRequest) -> AppResult<Page<SiteView>> {
        let mut conn = self.conn().await?;
        let p = sites::list(&mut conn, filter, page).await?;
        Ok(Page {
            items: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            page: p.page,
            per_page: p.per_page,
        })
    }

    pub async fn site(&self, id: i64) -> AppResult<SiteView> {
        let mut conn = self.conn().await?;
        Ok(sites::get(&mut conn, id)
            .await?
            .ok_or(AppError::NotFound("阵地"))?
            .into())
    }

    /// Opens a practice site. City and district admins within their region; a site admin
    /// below their own site. The level must fit the region (center: county, institute:
    /// township, station: village or community) and the parent must be the level above.
    pub async fn create_site(&self, caller: &Caller, input: &SiteInput) -> AppResult<SiteView> {
        caller.require_admin()?;
        let mut errs = Vec::new();
        let name = name_text("name", "名称", &input.name, 60, &mut errs);
        let address = optional_name("address", "地址", &input.address, 200, &mut errs);
        let contact_phone = optional_contact_phone("contact_phone", &input.contact_phone, &mut errs);
        let contact_name = optional_name("contact_name", "联系人", &input.contact_name, 30, &mut errs);
        let opening_hours = optional_name("opening_hours", "开放时间", &input.opening_hours, 100, &mut errs);
        let level = SiteLevel::parse(&input.level);
        if level.is_none() {
            errs.push(FieldError::new(
                "level",
                "site_level_invalid",
                "阵地级别应为中心、所或站",
            ));
        }
        let code = match RegionCode::parse(&input.region_code) {
            Ok(c) => Some(c),
            Err(e) => {
                errs.push(e.into());
                None
            }
        };
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let (level, code) = (level.expect("checked"), code.expect("checked"));
        if !matches!(caller.scope, Scope::Region { .. } | Scope::Site { .. })
            || !caller.covers_region(code.as_str())
        {
            return Err(AppError::Forbidden);
        }
        let mut tx = self.begin().await?;
        if regions::get(&mut tx, code.as_str()).await?.is_none() {
            return Err(AppError::invalid(
                "region_code",
                "region_unknown",
                "行政区划代码不存在",
            ));
        }
        if code.level() != level.region_level() {
            return Err(AppError::invalid(
                "level",
                "site_level_invalid",
                format!(
                    "{}应设在{}行政区划",
                    level.short_zh(),
                    level.region_level().label_zh()
                ),
            ));
        }
        let parent = match (level, input.parent_id) {
            (SiteLevel::Center, None) => None,
            (SiteLevel::Center, Some(_)) => {
                return Err(AppError::invalid(
                    "parent_id",
                    "site_parent_invalid",
                    "实践中心没有上级阵地",
                ))
            }
            (_, None) => {
                return Err(AppError::invalid(
                    "parent_id",
                    "site_parent_invalid",
                    "请选择上级阵地",
                ))
            }
            (_, Some(pid)) => {
                let p = sites::get(&mut tx, pid)
                    .await?
                    .ok_or_else(|| AppError::invalid("parent_id", "site_parent_invalid", "上级阵地不存在"))?;
                let expected = if level == SiteLevel::Institute {
                    "center"
                } else {
                    "institute"
                };
                if p.level != expected
                    || !code
                        .as_str()
                        .starts_with(crate::access::site_prefix(&p.region_code).as_str())
                {
                    return Err(AppError::invalid(
                        "parent_id",
                        "site_parent_invalid",
                        "上级阵地的级别或辖区不符",
                    ));
                }
                if let Scope::Site { site_id, .. } = caller.scope {
                    if site_id != pid {
                        return Err(AppError::Forbidden);
                    }
                }
                Some(pid)
            }
        };
        let new = NewSite {
            name: name.clone(),
            level: level.as_str().to_owned(),
            region_code: code.as_str().to_owned(),
            parent_id: parent,
            address,
            contact_phone,
            contact_name,
            opening_hours,
        };
        let id = sites::insert(&mut tx, &new)
            .await
            .map_err(|e| on_unique(e, "site_duplicate", Some("name"), "该行政区划下已有同名阵地"))?;
        let row = sites::get(&mut tx, id).await?.ok_or(AppError::NotFound("阵地"))?;
        let view = SiteView::from(row);
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::SiteCreate,
            entity_id: id.to_string(),
            region_code: Some(view.region_code.clone()),
            org_path: None,
            before: None,
            after: Some(serde_json::to_value(&view).unwrap_or_default()),
        })
        .await?;
        tx.commit(self).await?;
        Ok(view)
    }

    /// The organization directory (names, kinds, sites, contacts) is public information.
    pub async fn orgs(&self, filter: &OrgFilter, page: PageRequest) -> AppResult<Page<OrgView>> {
        let mut conn = self.conn().await?;
        let p = orgs::list(&mut conn, filter, page).await?;
        Ok(Page {
            items: p.items.into_iter().map(Into::into).collect(),
            total: p.total,
            page: p.page,
            per_page: p.per_page,
        })
    }

    pub async fn org(&self, id: i64) -> AppResult<OrgView> {
        Ok(self.org_row(id).await?.into())
    }

    pub(crate) async fn org_row(&self, id: i64) -> AppResult<OrgRow> {
        let mut conn = self.conn().await?;
        orgs::get(&mut conn, id).await?.ok_or(AppError::NotFound("队伍"))
    }

    pub async fn org_children(&self, id: i64) -> AppResult<Vec<OrgView>> {
        let mut conn = self.conn().await?;
        Ok(orgs::children(&mut conn, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Creates an organization or a team: under a parent the caller administers, or (for
    /// region and site admins) at the top level within their region, optionally on a site.
    pub async fn create_org(&self, caller: &Caller, input: &OrgInput) -> AppResult<OrgView> {
        caller.require_admin()?;
        let mut errs = Vec::new();
        let name = name_text("name", "名称", &input.name, 60, &mut errs);
        let contact_name = optional_name("contact_name", "联系人", &input.contact_name, 30, &mut errs);
        let contact_phone = optional_contact_phone("contact_phone", &input.contact_phone, &mut errs);
        let kind = OrgKind::parse(&input.kind);
        if kind.is_none() {
            errs.push(FieldError::new(
                "kind",
                "org_kind_invalid",
                "类型应为志愿服务组织或志愿服务队",
            ));
        }
        let description = optional_prose("description", "简介", &input.description, 2000, &mut errs);
        let explicit_region = match input
            .region_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(c) => match RegionCode::parse(c) {
                Ok(c) => Some(c),
                Err(e) => {
                    errs.push(e.into());
                    None
                }
            },
            None => None,
        };
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let mut tx = self.begin().await?;
        if let Some(pid) = input.parent_id {
            // a parent being moved or dissolved meanwhile is read after that change
            orgs::lock(&mut tx, &[pid]).await?;
        }
        let parent = match input.parent_id {
            Some(pid) => Some(
                orgs::get(&mut tx, pid)
                    .await?
                    .ok_or_else(|| AppError::invalid("parent_id", "org_parent_invalid", "上级组织不存在"))?,
            ),
            None => None,
        };
        if let Some(p) = &parent {
            upkeep::standing(p)?;
        }
        let site = match input.site_id {
            Some(sid) => Some(
                sites::get(&mut tx, sid)
                    .await?
                    .ok_or_else(|| AppError::invalid("site_id", "site_parent_invalid", "所属阵地不存在"))?,
            ),
            None => None,
        };
        let region = explicit_region
            .map(|c| c.as_str().to_owned())
            .or_else(|| site.as_ref().map(|s| s.region_code.clone()))
            .or_else(|| parent.as_ref().map(|p| p.region_code.clone()));
        let Some(region) = region else {
            return Err(AppError::invalid(
                "region_code",
                "region_code_invalid",
                "请填写所在行政区划",
            ));
        };
        if regions::get(&mut tx, &region).await?.is_none() {
            return Err(AppError::invalid(
                "region_code",
                "region_unknown",
                "行政区划代码不存在",
            ));
        }
        // Permission: under a parent the caller administers; or at top level inside the
        // caller's region.
        match &parent {
            Some(p) => caller.require_org(p)?,
            None => {
                if !caller.covers_region(&region) {
                    return Err(AppError::Forbidden);
                }
            }
        }
        if let Some(s) = &site {
            if !caller.covers_region(&s.region_code) && parent.is_none() {
                return Err(AppError::Forbidden);
            }
            if !region.starts_with(crate::access::site_prefix(&s.region_code).as_str()) {
                return Err(AppError::invalid(
                    "region_code",
                    "region_code_invalid",
                    "队伍所在区划应在所属阵地辖区内",
                ));
            }
        }
        if let Some(p) = &parent {
            let parent_prefix = crate::access::site_prefix(&p.region_code);
            if !region.starts_with(parent_prefix.as_str()) {
                return Err(AppError::invalid(
                    "region_code",
                    "region_code_invalid",
                    "下级队伍所在区划应在上级组织辖区内",
                ));
            }
            if p.path.matches('/').count() > upkeep::MAX_PATH_LEVELS {
                return Err(AppError::invalid(
                    "parent_id",
                    "org_parent_invalid",
                    format!("队伍层级过深（最多{}级）", upkeep::MAX_PATH_LEVELS),
                ));
            }
        }
        let new = NewOrg {
            name,
            kind: kind.expect("checked").as_str().to_owned(),
            parent_id: parent.as_ref().map(|p| p.id),
            parent_path: parent.as_ref().map(|p| p.path.clone()).unwrap_or_default(),
            site_id: site
                .as_ref()
                .map(|s| s.id)
                .or(parent.as_ref().and_then(|p| p.site_id)),
            region_code: region,
            contact_name,
            contact_phone,
            description,
        };
        let (id, path) = orgs::insert(&mut tx, &new).await?;
        let row = orgs::get(&mut tx, id).await?.ok_or(AppError::NotFound("队伍"))?;
        let view = OrgView::from(row);
        tx.audit(NewAudit {
            actor_id: Some(caller.account_id),
            actor_name: caller.display_name.clone(),
            action: AuditAction::OrgCreate,
            entity_id: id.to_string(),
            region_code: Some(view.region_code.clone()),
            org_path: Some(path),
            before: None,
            after: Some(serde_json::to_value(&view).unwrap_or_default()),
        })
        .await?;
        tx.commit(self).await?;
        Ok(view)
    }
}
