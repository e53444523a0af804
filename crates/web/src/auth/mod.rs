//! The auth context at the edge: its JSON endpoints and its pages.

pub(crate) mod accounts;
pub(crate) mod api;
pub(crate) mod pages;
