//! Who is calling and what they may touch. An admin's scope is a region prefix (city and
//! district admins), a site (its region prefix: the site and everything under it), or a team
//! subtree (a path prefix). Volunteers and residents reach only their own records.

use zhiyuan_domain::auth::Role;
use zhiyuan_domain::network::RegionCode;
use zhiyuan_store::audit::AuditScope;
use zhiyuan_store::network::orgs::OrgRow;
use zhiyuan_store::people::volunteers::Visibility;

use crate::error::{AppError, AppResult};

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// Everything whose region code starts with `prefix`.
    Region { prefix: String },
    /// A practice site and everything in its region.
    Site { site_id: i64, prefix: String },
    /// A team (or organization) and its sub-teams.
    Team { org_id: i64, path: String },
    /// Only the caller's own records.
    Own,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Caller {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = String)]
    pub role: Role,
    pub scope: Scope,
    pub volunteer_id: Option<i64>,
}

impl Caller {
    /// The region prefix an admin governs, for region- and site-scoped admins.
    pub fn region_prefix(&self) -> Option<&str> {
        match &self.scope {
            Scope::Region { prefix } | Scope::Site { prefix, .. } => Some(prefix),
            _ => None,
        }
    }

    /// The organization a team admin's scope is rooted at.
    pub fn scope_org_id(&self) -> Option<i64> {
        match self.scope {
            Scope::Team { org_id, .. } => Some(org_id),
            _ => None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role.is_admin()
    }

    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether a region (and what is registered in it) lies within the caller's region scope.
    pub fn covers_region(&self, code: &str) -> bool {
        self.region_prefix().is_some_and(|p| code.starts_with(p))
    }

    /// Whether the caller administers an organization: its region is in the caller's region
    /// scope, or it is in the caller's team subtree.
    pub fn covers_org(&self, org: &OrgRow) -> bool {
        self.covers_org_at(&org.region_code, &org.path)
    }

    /// [`Caller::covers_org`] given the organization's region code and path.
    pub fn covers_org_at(&self, region_code: &str, path: &str) -> bool {
        match &self.scope {
            Scope::Region { prefix } | Scope::Site { prefix, .. } => region_code.starts_with(prefix.as_str()),
            Scope::Team { path: p, .. } => path.starts_with(p.as_str()),
            Scope::Own => false,
        }
    }

    /// Whether the caller administers the organization
    /// ([`crate::network::policy::administers`]).
    pub fn administers(&self, org: &OrgRow) -> bool {
        crate::network::policy::administers(self, &org.into())
    }

    /// Refuses unless the caller [administers](Caller::administers) the organization.
    pub fn require_org(&self, org: &OrgRow) -> AppResult<()> {
        if self.administers(org) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Which volunteers the caller may read.
    pub fn volunteer_visibility(&self) -> Visibility {
        match &self.scope {
            Scope::Region { prefix } | Scope::Site { prefix, .. } => Visibility::RegionPrefix(prefix.clone()),
            Scope::Team { path, .. } => Visibility::OrgSubtree(path.clone()),
            Scope::Own => match self.volunteer_id {
                Some(id) => Visibility::Only(id),
                None => Visibility::Nothing,
            },
        }
    }

    /// Which audit entries the caller may read; volunteers and residents none.
    pub fn audit_scope(&self) -> AppResult<AuditScope> {
        match &self.scope {
            Scope::Region { prefix } | Scope::Site { prefix, .. } => {
                Ok(AuditScope::RegionPrefix(prefix.clone()))
            }
            Scope::Team { path, .. } => Ok(AuditScope::OrgSubtree(path.clone())),
            Scope::Own => Err(AppError::Forbidden),
        }
    }
}

/// The region prefix a site governs: its region code's significant prefix.
pub fn site_prefix(region_code: &str) -> String {
    RegionCode::parse(region_code)
        .map(|c| c.prefix().to_owned())
        .unwrap_or_else(|_| region_code.to_owned())
}

/// Whether role `granted` may be handed out by someone holding `by` (never upwards).
pub fn may_grant(by: Role, granted: Role) -> bool {
    let rank = |r: Role| match r {
        Role::CityAdmin => 5,
        Role::DistrictAdmin => 4,
        Role::SiteAdmin => 3,
        Role::TeamAdmin => 2,
        Role::Volunteer | Role::Resident => 1,
    };
    by.is_admin() && rank(granted) <= rank(by)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, scope: Scope) -> Caller {
        Caller {
            account_id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role,
            scope,
            volunteer_id: None,
        }
    }

    fn org(region: &str, path: &str) -> OrgRow {
        OrgRow {
            id: 1,
            name: "队".into(),
            kind: "team".into(),
            parent_id: None,
            path: path.into(),
            site_id: None,
            site_name: None,
            region_code: region.into(),
            region_name: String::new(),
            contact_name: String::new(),
            contact_phone: String::new(),
            description: String::new(),
            created_at: 0,
            member_count: 0,
            dissolved_at: None,
        }
    }

    #[test]
    fn region_scope_follows_the_code_prefix() {
        let d = caller(
            Role::DistrictAdmin,
            Scope::Region {
                prefix: "110105".into(),
            },
        );
        assert!(d.covers_region("110105001000"));
        assert!(!d.covers_region("110108001000"));
        assert!(d.covers_org(&org("110105002000", "/9/")));
        assert!(!d.covers_org(&org("110101002000", "/9/")));
    }

    #[test]
    fn team_scope_follows_the_path_prefix() {
        let t = caller(
            Role::TeamAdmin,
            Scope::Team {
                org_id: 3,
                path: "/1/3/".into(),
            },
        );
        assert!(t.covers_org(&org("110105002000", "/1/3/")));
        assert!(t.covers_org(&org("110105002000", "/1/3/7/")));
        assert!(!t.covers_org(&org("110105002000", "/1/30/")));
        assert!(!t.covers_org(&org("110105002000", "/1/")));
        assert!(!t.covers_region("110105002000"));
        assert!(t.audit_scope().is_ok());
    }

    #[test]
    fn volunteers_and_residents_administer_nothing() {
        let v = caller(Role::Volunteer, Scope::Own);
        assert!(v.require_admin().is_err());
        assert!(v.require_org(&org("110105002000", "/1/")).is_err());
        assert!(v.audit_scope().is_err());
        assert!(matches!(v.volunteer_visibility(), Visibility::Nothing));
    }

    #[test]
    fn roles_are_never_granted_upwards() {
        assert!(may_grant(Role::CityAdmin, Role::DistrictAdmin));
        assert!(may_grant(Role::DistrictAdmin, Role::SiteAdmin));
        assert!(!may_grant(Role::DistrictAdmin, Role::CityAdmin));
        assert!(!may_grant(Role::TeamAdmin, Role::SiteAdmin));
        assert!(!may_grant(Role::Volunteer, Role::Volunteer));
    }

    #[test]
    fn site_prefix_is_the_significant_part() {
        assert_eq!(site_prefix("110105000000"), "110105");
        assert_eq!(site_prefix("110105001000"), "110105001");
        assert_eq!(site_prefix("110105001002"), "110105001002");
    }
}
