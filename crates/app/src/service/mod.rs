//! Volunteer service: projects and shifts, sign-ups, attendance, service records and certificates.

pub mod attendance;
pub mod certificates;
mod editing;
pub mod export;
pub mod projects;
pub mod records;

context_handle!(
    /// The service context's use cases (`app.service()`).
    Service
);
