//! What every route shares: who is calling ([`Caller`]), the JSON body ([`JsonBody`]), how a
//! file's content is sent ([`content`]) and how a domain error becomes a response
//! ([`ApiError`]).

mod auth;
mod body;
pub mod client_addr;
pub mod content;
mod error;
pub mod list_cache;
pub mod render;
pub mod slow;

pub use auth::{presented, Caller};
pub use body::{JsonBody, QueryOf};
pub use error::{ApiError, ApiResult};
