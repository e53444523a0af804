//! Who administers an organization (and so its members, projects, shifts, sign-ups and service
//! records): the one answer the use cases enforce and the pages show, for the API and the pages
//! alike.

use crate::access::Caller;

/// Where a team sits in the network: what decides who administers it. Views carry it (never
/// serialized) so that a page can ask [`administers`] without another query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TeamPlace {
    /// The team's region code (region- and site-scoped admins cover it by prefix).
    pub region_code: String,
    /// The team's materialized path (team admins cover their subtree).
    pub path: String,
}

impl TeamPlace {
    pub fn new(region_code: impl Into<String>, path: impl Into<String>) -> TeamPlace {
        TeamPlace {
            region_code: region_code.into(),
            path: path.into(),
        }
    }
}

impl From<&zhiyuan_store::network::orgs::OrgRow> for TeamPlace {
    fn from(o: &zhiyuan_store::network::orgs::OrgRow) -> TeamPlace {
        TeamPlace::new(o.region_code.clone(), o.path.clone())
    }
}

/// Whether the caller administers the team: an administrator whose region scope holds the
/// team's region, or whose team subtree holds the team.
pub fn administers(caller: &Caller, team: &TeamPlace) -> bool {
    caller.is_admin() && !team.path.is_empty() && caller.covers_org_at(&team.region_code, &team.path)
}

/// Whether the caller administers a practice site (edits its details and menu): a city,
/// district or site office whose region scope holds the site's region. A site office's scope
/// is its own site's area, so it reaches its own site and the ones below; team admins none.
pub fn administers_site(caller: &Caller, site_region: &str) -> bool {
    caller.is_admin() && caller.covers_region(site_region)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Scope;
    use zhiyuan_domain::auth::Role;

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

    #[test]
    fn a_district_admin_administers_teams_registered_in_the_district() {
        let c = caller(
            Role::DistrictAdmin,
            Scope::Region {
                prefix: "110105".into(),
            },
        );
        assert!(administers(&c, &TeamPlace::new("110105001000", "/1/")));
        assert!(!administers(&c, &TeamPlace::new("110108001000", "/2/")));
    }

    #[test]
    fn a_team_admin_administers_the_team_and_its_sub_teams_only() {
        let c = caller(
            Role::TeamAdmin,
            Scope::Team {
                org_id: 5,
                path: "/1/5/".into(),
            },
        );
        assert!(administers(&c, &TeamPlace::new("110105001000", "/1/5/")));
        assert!(administers(&c, &TeamPlace::new("110105001000", "/1/5/9/")));
        assert!(!administers(&c, &TeamPlace::new("110105001000", "/1/")));
        assert!(!administers(&c, &TeamPlace::new("110105001000", "/1/50/")));
    }

    #[test]
    fn volunteers_and_unknown_places_administer_nothing() {
        let v = caller(Role::Volunteer, Scope::Own);
        assert!(!administers(&v, &TeamPlace::new("110105001000", "/1/")));
        let c = caller(Role::CityAdmin, Scope::Region { prefix: "11".into() });
        assert!(!administers(&c, &TeamPlace::default()));
    }

    #[test]
    fn a_site_office_administers_its_own_site_and_those_below_it_only() {
        let c = caller(
            Role::SiteAdmin,
            Scope::Site {
                site_id: 3,
                prefix: "110105001".into(),
            },
        );
        assert!(administers_site(&c, "110105001000"));
        assert!(administers_site(&c, "110105001001"));
        assert!(!administers_site(&c, "110105"));
        assert!(!administers_site(&c, "110105002000"));
    }

    #[test]
    fn team_admins_and_volunteers_administer_no_site() {
        let t = caller(
            Role::TeamAdmin,
            Scope::Team {
                org_id: 5,
                path: "/1/5/".into(),
            },
        );
        assert!(!administers_site(&t, "110105001000"));
        assert!(!administers_site(
            &caller(Role::Volunteer, Scope::Own),
            "110105001000"
        ));
        let city = caller(Role::CityAdmin, Scope::Region { prefix: "11".into() });
        assert!(administers_site(&city, "110105"));
    }
}
