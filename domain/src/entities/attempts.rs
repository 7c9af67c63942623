//! `attempts`: one row per limited key (`login-ip:…`, `login-user:…`, `register-ip:…`,
//! `link:…`): when its current window started and how many attempts it holds. Changed only by
//! conditional `UPDATE`s (crate::limits).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub window_start: i64,
    pub count: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
