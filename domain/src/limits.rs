//! The one limiter: at most `max` attempts per key in a window, counted in the `attempts` table
//! so every instance counts the same attempts. Used for failed logins (per client and per
//! account), registrations (per client) and wrong share-link tokens (per link).
//!
//! An attempt is *taken before* the thing it limits is tried, with one conditional `UPDATE`
//! (`count < max`, or the window is over and starts again), which each supported database
//! applies atomically to the row: however many requests race, at most `max` get through per
//! window, so a burst of wrong passwords is checked exactly `max` times. A try that turns out
//! fine gives its attempt back ([`give_back`], only within the window it was taken in) or sets
//! the key's count back to zero ([`reset`]). The window starts at the first attempt after the
//! previous one ended. Rows of ended windows are deleted by the janitor ([`purge`]), and only by
//! it.

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
    // The janitor may [`purge`] the row of an ended window between the insert and the update
    // below: the update then finds no row, which is not "the limit is reached". Take it again;
    // a row that keeps vanishing is waited out for a second.
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
    let row = attempts::Entity::find_by_id(key).one(db).await?;
    Ok(row
        .and_then(|row| wait_seconds(&row, limit, now))
        .map(Take::Wait))
}

/// After the conditional update changed nothing: how long `row` says to wait, or `None` when it
/// does not say "the limit is reached" (the row read is not the one the update missed: it was
/// purged and made again meanwhile, so take again).
fn wait_seconds(row: &attempts::Model, limit: Limit, now: i64) -> Option<u64> {
    let ends = row.window_start.saturating_add(ms(limit.window));
    let full = i64::from(row.count) >= i64::from(limit.max) && ends > now;
    full.then(|| (ends.saturating_sub(now).max(1000) as u64).div_ceil(1000))
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

/// Forgets every attempt of `key` (a successful login clears its account's failures). The row
/// stays, at zero, for the janitor: deleting it here would pull it from under a [`take`] racing
/// on the same key (its insert done, its update not yet).
pub(crate) async fn reset(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    attempts::Entity::update_many()
        .col_expr(Column::Count, Expr::value(0))
        .filter(Column::Key.eq(key_of(key)))
        .exec(db)
        .await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_migration::{Migrator, MigratorTrait};
    use sea_orm::{ConnectOptions, Database};

    const LIMIT: Limit = Limit {
        max: 5,
        window: Duration::from_secs(900),
    };

    fn row(count: i32, window_start: i64) -> attempts::Model {
        attempts::Model {
            key: "login-user:crowd".into(),
            window_start,
            count,
        }
    }

    #[test]
    fn a_full_row_in_its_window_says_how_long_to_wait() {
        let now = 1_000_000;
        assert_eq!(wait_seconds(&row(5, now), LIMIT, now), Some(900));
        assert_eq!(wait_seconds(&row(5, now - 899_500), LIMIT, now), Some(1));
        assert_eq!(wait_seconds(&row(7, now - 100_000), LIMIT, now), Some(800));
    }

    #[test]
    fn a_row_that_is_not_full_never_means_wait() {
        // The update missed the row (purged under it) and a racing take made a fresh one: that
        // row says nothing about the limit. Read as "wait", a correct login got a 429 for the
        // whole window (CI, abuse::a_burst_of_correct_logins_past_the_session_cap_all_get_in).
        let now = 1_000_000;
        assert_eq!(wait_seconds(&row(0, now), LIMIT, now), None);
        assert_eq!(wait_seconds(&row(4, now), LIMIT, now), None);
        // A full row whose window has ended starts a new window: not a wait either.
        assert_eq!(wait_seconds(&row(5, now - 900_000), LIMIT, now), None);
    }

    /// Successful tries reset the key while others take it, on a database with several
    /// connections: no take may come back "wait" under a limit that is far from reached.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn resets_racing_takes_never_make_them_wait() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
        let mut options = ConnectOptions::new(url);
        options.max_connections(8).sqlx_logging(false);
        let db = Database::connect(options).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let limit = Limit {
            max: 1000,
            window: Duration::from_secs(900),
        };
        let tasks = (0..16).map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                for _ in 0..40 {
                    match take(&db, "login-user:crowd", limit, 1_000_000)
                        .await
                        .unwrap()
                    {
                        Take::Taken(_) => reset(&db, "login-user:crowd").await.unwrap(),
                        Take::Wait(wait) => panic!("told to wait {wait} s at 0 of 1000"),
                    }
                }
            })
        });
        for task in futures_util::future::join_all(tasks).await {
            task.unwrap();
        }
    }
}
