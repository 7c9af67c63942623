//! The subcommands, one probe each. Every one prints what its numbers mean in its module doc.

pub mod list;
pub mod logins;
pub mod parts;
pub mod seed;
pub mod slowloris;

use crate::{args::Args, Fallible};

/// Who and where: `--base`, `--user`, `--password`, which every subcommand takes.
pub struct Target {
    pub base: String,
    pub user: String,
    pub password: String,
}

impl Target {
    pub fn from_args(args: &mut Args) -> Fallible<Self> {
        Ok(Target {
            base: args.text("base")?,
            user: args.text("user")?,
            password: args.text("password")?,
        })
    }
}

/// Time to let the server settle before a load starts, over which its idle memory is taken.
pub const IDLE: std::time::Duration = std::time::Duration::from_secs(2);
