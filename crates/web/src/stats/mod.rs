//! Statistics at the edge: the dashboard and the lists behind its figures, as JSON and as pages
//! with server-drawn charts.

pub(crate) mod api;
pub(crate) mod charts;
pub(crate) mod pages;
