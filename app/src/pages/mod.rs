//! One module per page.

mod account;
mod code_step;
mod decrypt;
mod forms;
mod landing;
mod link;
mod login;
mod recover;
mod register;
mod shared;
pub(crate) mod vault;

pub use account::AccountPage;
pub use decrypt::DecryptPage;
pub use landing::{Landing, NotFound};
pub use link::LinkPage;
pub use login::{LoginPage, UnlockForm};
pub use recover::RecoverPage;
pub use register::RegisterPage;
pub use shared::SharedPage;
pub use vault::VaultPage;
