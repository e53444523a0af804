//! Pure types and rules of Zhiyuan: no I/O, no async.
//!
//! Every validating constructor returns [`DomainError`], whose `Display` is the Chinese message
//! shown to users and whose [`DomainError::code`] is the stable English code used by the API.

pub mod audit;
pub mod auth;
pub mod error;
pub mod network;
pub mod notices;
pub mod orders;
pub mod people;
pub mod phone;
pub mod service;
pub mod synth;
pub mod tags;

pub use error::DomainError;
