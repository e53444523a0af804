//! Event tallies at the edge: the API, and the pages (the event with its tables and chart, and
//! the phone form a post leader fills in each day).

pub(crate) mod api;
pub(crate) mod pages;
