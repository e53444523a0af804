//! The practice network: reference regions, practice sites and organizations.

pub mod orgs;
pub mod regions;
pub mod sites;
