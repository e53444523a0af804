//! Volunteers and their memberships of organizations.

pub mod memberships;
pub mod volunteers;
