//! The one limiter: at most `max` attempts per key in a window, counted in the `attempts` table
//! so every instance counts the same attempts. Used for failed logins (per client and per
//! account), registrations (per client) and wrong share-link tokens (per link).
//!
//! An attempt is *taken before* the thing it limits is tried, with one conditional `UPDATE`
//! (`count < max`, or the window is over and starts again), which each supported database
//! applies atomically to the row: however many requests race, at most `max` get through per
//! window, so a burst of wrong passwords is checked exactly `max` times. A try that turns out
//! fine gives its attempt back ([`give_back`], only within the window it was taken in) or
//! clears the key ([`reset`]). The window starts at the first attempt after the previous one
//! ended. Rows of ended windows are deleted by the janitor ([`purge`]).

use std::time::Duration;

use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};

use crate::{
    entities::attempts::{self, Column},
    ms,
};

/// At most `max` attempts per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// An attempt that was taken, to give back if it turned out fine.
#[derive(Debug)]
pub(crate) struct Taken {
    key: String,
    at: i64,
}

/// The outcome of [`take`].
#[derive(Debug)]
pub(crate) enum Take {
    /// Go ahead.
    Taken(Taken),
    /// The limit is reached: wait this many seconds (at least 1).
    Wait(u64),
}

/// The part of a client's address its limits count under: an IPv4 address as it is, an IPv6
/// address by its /64 (one subscriber's network, where a host can take any of 2^64 addresses,
/// so counting per address would count nothing). Text that is not an address stays as given.
pub fn client_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_string(),
    }
}

/// The longest a key may be (the column is 200 characters); longer keys are cut.
const MAX_KEY_CHARS: usize = 200;

fn key_of(key: &str) -> String {
    key.chars().take(MAX_KEY_CHARS).collect()
}

/// Takes one attempt for `key` at `now`, or says how long to wait.
pub(crate) async fn take(
    db: &impl ConnectionTrait,
    key: &str,
    limit: Limit,
    now: i64,
) -> Result<Take, DbErr> {
    let key = key_of(key);
    // A successful try elsewhere may [`reset`] the key (delete its row) between the insert and
    // the update below: the update then finds no row, which is not "the limit is reached". Take
    // it again; a row that keeps vanishing is waited out for a second.
    for _ in 0..3 {
        if let Some(outcome) = take_once(db, &key, limit, now).await? {
            return Ok(outcome);
        }
    }
    Ok(Take::Wait(1))
}

/// One try of [`take`]: `None` when the row vanished meanwhile.
async fn take_once(
    db: &impl ConnectionTrait,
    key: &str,
    limit: Limit,
    now: i64,
) -> Result<Option<Take>, DbErr> {
    let key = key.to_string();
    let window = ms(limit.window);
    attempts::Entity::insert(attempts::ActiveModel {
        key: Set(key.clone()),
        window_start: Set(now),
        count: Set(0),
    })
    // A no-op update where the row exists (portable "insert if missing").
    .on_conflict(
        OnConflict::column(Column::Key)
            .update_column(Column::Key)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let window_over = || Expr::col(Column::WindowStart).lte(now.saturating_sub(window));
    let max = i32::try_from(limit.max).unwrap_or(i32::MAX);
    // MySQL assigns left to right and later expressions see earlier results, so the count is
    // set before the window start it depends on.
    let taken = attempts::Entity::update_many()
        .col_expr(
            Column::Count,
            Expr::case(window_over(), 1)
                .finally(Expr::col(Column::Count).add(1))
                .into(),
        )
        .col_expr(
            Column::WindowStart,
            Expr::case(window_over(), now)
                .finally(Expr::col(Column::WindowStart))
                .into(),
        )
        .filter(Column::Key.eq(key.clone()))
        .filter(
            Condition::any()
                .add(window_over())
                .add(Column::Count.lt(max)),
        )
        .exec(db)
        .await?;
    if taken.rows_affected == 1 {
        return Ok(Some(Take::Taken(Taken { key, at: now })));
    }
    let Some(row) = attempts::Entity::find_by_id(key).one(db).await? else {
        return Ok(None);
    };
    let wait_ms = row
        .window_start
        .saturating_add(window)
        .saturating_sub(now)
        .max(1000);
    Ok(Some(Take::Wait((wait_ms as u64).div_ceil(1000))))
}

/// Gives back an attempt (the try was fine), unless its window has ended since.
pub(crate) async fn give_back(db: &impl ConnectionTrait, taken: Taken) -> Result<(), DbErr> {
    attempts::Entity::update_many()
        .col_expr(Column::Count, Expr::col(Column::Count).sub(1))
        .filter(Column::Key.eq(taken.key))
        .filter(Column::Count.gt(0))
        .filter(Column::WindowStart.lte(taken.at))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets every attempt of `key` (a successful login clears its account's failures).
pub(crate) async fn reset(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    attempts::Entity::delete_by_id(key_of(key)).exec(db).await?;
    Ok(())
}

/// Deletes the rows of windows that started at or before `before` (the janitor passes now minus
/// the longest window). Returns how many.
pub(crate) async fn purge(db: &impl ConnectionTrait, before: i64) -> Result<u64, DbErr> {
    Ok(attempts::Entity::delete_many()
        .filter(Column::WindowStart.lte(before))
        .exec(db)
        .await?
        .rows_affected)
}
