pub mod app;
pub mod skip;
pub mod world;
