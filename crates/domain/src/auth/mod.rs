//! Roles of users, levels of practice sites, kinds of volunteer organizations and membership
//! states.

use crate::network::RegionLevel;

/// What a user may do, by office.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CityAdmin,
    DistrictAdmin,
    SiteAdmin,
    TeamAdmin,
    Volunteer,
    Resident,
}

string_enum!(Role {
    CityAdmin => "city_admin",
    DistrictAdmin => "district_admin",
    SiteAdmin => "site_admin",
    TeamAdmin => "team_admin",
    Volunteer => "volunteer",
    Resident => "resident",
});

impl Role {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::CityAdmin => "市级管理员",
            Self::DistrictAdmin => "区级管理员",
            Self::SiteAdmin => "阵地管理员",
            Self::TeamAdmin => "队伍管理员",
            Self::Volunteer => "志愿者",
            Self::Resident => "居民",
        }
    }

    /// Whether the role administers something (every role but volunteer and resident).
    pub fn is_admin(self) -> bool {
        !matches!(self, Self::Volunteer | Self::Resident)
    }
}

/// Level of a civilization practice site (新时代文明实践中心 / 所 / 站).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteLevel {
    Center,
    Institute,
    Station,
}

string_enum!(SiteLevel {
    Center => "center",
    Institute => "institute",
    Station => "station",
});

impl SiteLevel {
    /// Full Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Center => "新时代文明实践中心",
            Self::Institute => "新时代文明实践所",
            Self::Station => "新时代文明实践站",
        }
    }

    /// One-character Chinese name: 中心 / 所 / 站.
    pub fn short_zh(self) -> &'static str {
        match self {
            Self::Center => "中心",
            Self::Institute => "所",
            Self::Station => "站",
        }
    }

    /// The region level a site of this level serves: county, township, village.
    pub fn region_level(self) -> RegionLevel {
        match self {
            Self::Center => RegionLevel::County,
            Self::Institute => RegionLevel::Township,
            Self::Station => RegionLevel::Village,
        }
    }

    /// The site level serving a region level, if any.
    pub fn for_region_level(level: RegionLevel) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.region_level() == level)
    }
}

/// Kind of volunteer body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Organization,
    Team,
}

string_enum!(OrgKind {
    Organization => "organization",
    Team => "team",
});

impl OrgKind {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Organization => "志愿服务组织",
            Self::Team => "志愿服务队",
        }
    }
}

/// State of a volunteer's membership in a team or organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    Pending,
    Approved,
    Declined,
    Left,
}

string_enum!(MembershipStatus {
    Pending => "pending",
    Approved => "approved",
    Declined => "declined",
    Left => "left",
});

impl MembershipStatus {
    /// The states in which a membership stands or is asked for (one per volunteer and organization).
    pub const LIVE: [MembershipStatus; 2] = [Self::Pending, Self::Approved];

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Pending => "待审核",
            Self::Approved => "已加入",
            Self::Declined => "已拒绝",
            Self::Left => "已退出",
        }
    }

    /// Whether a membership may move from `self` to `next`: a pending application is approved
    /// or declined; an approved member may leave; a declined or departed volunteer may apply
    /// again.
    pub fn can_become(self, next: Self) -> bool {
        use MembershipStatus::*;
        matches!(
            (self, next),
            (Pending, Approved)
                | (Pending, Declined)
                | (Approved, Left)
                | (Declined, Pending)
                | (Left, Pending)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_serde<T>(value: T, code: &str)
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(json, format!("\"{code}\""));
        assert_eq!(serde_json::from_str::<T>(&json).unwrap(), value);
    }

    #[test]
    fn roles() {
        assert_eq!(Role::ALL.len(), 6);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(r.to_string(), r.as_str());
            assert_serde(r, r.as_str());
        }
        let labels: Vec<_> = Role::ALL.iter().map(|r| r.label_zh()).collect();
        assert_eq!(
            labels,
            [
                "市级管理员",
                "区级管理员",
                "阵地管理员",
                "队伍管理员",
                "志愿者",
                "居民"
            ]
        );
        let admins: Vec<_> = Role::ALL.into_iter().filter(|r| r.is_admin()).collect();
        assert_eq!(
            admins,
            [
                Role::CityAdmin,
                Role::DistrictAdmin,
                Role::SiteAdmin,
                Role::TeamAdmin
            ]
        );
        assert_eq!(Role::parse("CityAdmin"), None);
        assert_eq!(Role::parse("admin"), None);
        assert_eq!(Role::CityAdmin.as_str(), "city_admin");
    }

    #[test]
    fn site_levels() {
        for s in SiteLevel::ALL {
            assert_eq!(SiteLevel::parse(s.as_str()), Some(s));
            assert_serde(s, s.as_str());
            assert!(s.label_zh().ends_with(s.short_zh()));
            assert_eq!(SiteLevel::for_region_level(s.region_level()), Some(s));
        }
        assert_eq!(SiteLevel::Center.label_zh(), "新时代文明实践中心");
        assert_eq!(SiteLevel::Institute.short_zh(), "所");
        assert_eq!(SiteLevel::Station.region_level(), RegionLevel::Village);
        assert_eq!(SiteLevel::Institute.region_level(), RegionLevel::Township);
        assert_eq!(SiteLevel::Center.region_level(), RegionLevel::County);
        assert_eq!(SiteLevel::for_region_level(RegionLevel::Province), None);
        assert_eq!(SiteLevel::parse("centre"), None);
    }

    #[test]
    fn org_kinds() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
            assert_serde(k, k.as_str());
        }
        assert_eq!(OrgKind::Organization.label_zh(), "志愿服务组织");
        assert_eq!(OrgKind::Team.label_zh(), "志愿服务队");
    }

    #[test]
    fn membership_statuses() {
        for m in MembershipStatus::ALL {
            assert_eq!(MembershipStatus::parse(m.as_str()), Some(m));
            assert_serde(m, m.as_str());
            assert!(!m.can_become(m));
        }
        let labels: Vec<_> = MembershipStatus::ALL.iter().map(|m| m.label_zh()).collect();
        assert_eq!(labels, ["待审核", "已加入", "已拒绝", "已退出"]);
        use MembershipStatus::*;
        assert!(Pending.can_become(Approved));
        assert!(Pending.can_become(Declined));
        assert!(Approved.can_become(Left));
        assert!(Left.can_become(Pending));
        assert!(!Approved.can_become(Pending));
        assert!(!Declined.can_become(Approved));
        assert!(!Left.can_become(Approved));
    }
}
