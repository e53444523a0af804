//! Pure types and rules of Zhiyuan: no I/O, no async.
//!
//! Every validating constructor returns [`DomainError`], whose `Display` is the Chinese message
//! shown to users and whose [`DomainError::code`] is the stable English code used by the API.

pub mod audit;
pub mod availability;
pub mod chain;
pub mod checkin;
pub mod error;
pub mod geo;
pub mod notice;
pub mod order;
pub mod person;
pub mod phone;
pub mod project;
pub mod region;
pub mod resident_id;
pub mod roles;
pub mod service;
pub mod synth;
pub mod tags;
pub mod volunteer_no;

pub use error::DomainError;
