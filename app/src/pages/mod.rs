//! One module per page.

mod account;
mod decrypt;
mod landing;
mod login;
mod register;
mod vault;

pub use account::AccountPage;
pub use decrypt::DecryptPage;
pub use landing::{Landing, NotFound};
pub use login::{LoginPage, UnlockForm};
pub use register::RegisterPage;
pub use vault::VaultPage;
