pub mod app;
pub mod world;
