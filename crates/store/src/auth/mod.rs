//! Accounts, sessions and one-time phone codes.

pub mod accounts;
pub mod phone_codes;
pub mod sessions;
