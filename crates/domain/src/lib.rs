//! Pure types and rules of Zhiyuan: no I/O, no async.
//!
//! Every validating constructor returns [`DomainError`], whose `Display` is the Chinese message
//! shown to users and whose [`DomainError::code`] is the stable English code used by the API.

/// An enum kept as snake_case codes in the database and the API: `ALL`, `as_str`, `parse`,
/// `Display` and `TryFrom<String>` (how the store reads a column into it).
macro_rules! string_enum {
    ($ty:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: [$ty; [$($code),+].len()] = [$($ty::$variant),+];

            /// The snake_case code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $code),+
                }
            }

            /// Reads the snake_case code.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($code => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Reads the stored code (the store maps columns to these enums with it).
        impl TryFrom<String> for $ty {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s).ok_or_else(|| format!("unknown {} {s:?}", stringify!($ty)))
            }
        }
    };
}

pub mod audit;
pub mod auth;
pub mod error;
pub mod events;
pub mod imports;
pub mod network;
pub mod notices;
pub mod orders;
pub mod people;
pub mod phone;
pub mod service;
pub mod stats;
pub mod synth;
pub mod tags;

pub use error::DomainError;
