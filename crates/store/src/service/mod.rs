//! Volunteer service: projects and shifts, sign-ups, service records.

pub mod projects;
pub mod records;
pub mod signups;
