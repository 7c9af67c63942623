//! Staying unlocked on a device (opt-in at login). The server's part is a random *unlock key*
//! per session, handed only to a request of that very session; the browser seals its copy of the
//! account key under it (blob `0x0F`) and keeps that only under a non-extractable key of its own
//! (docs/CRYPTO.md §2.5). When the session ends, by sign-out, "sign out everywhere else", a
//! password change or its expiry, the row and its unlock key are gone, and the device's copy
//! opens no more. Asking for it needs the password's auth key, so a stolen cookie cannot stretch
//! its own session to a month.

use rand::RngCore;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};

use coffer_protocol::accounts::{KeepSpan, KeepUnlocked};

use crate::{entities::sessions, ms, AuthFailure, Domain, DomainError};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Domain {
    /// Makes `session_id` a kept one: a new unlock key, and (for a day or a month) that span as
    /// both its idle and its absolute lifetime, at most `keep_unlocked_max`. Returns the key and
    /// when the session ends at the latest; the caller sets the cookie to match.
    pub async fn keep_unlocked(
        &self,
        user_id: i64,
        session_id: i64,
        auth_key: Vec<u8>,
        span: KeepSpan,
        client_ip: &str,
    ) -> Result<KeepUnlocked, DomainError> {
        let user = self.user_row_for(user_id).await?;
        self.check_password(&user, auth_key, client_ip).await?;
        let row = sessions::Entity::find_by_id(session_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::Unauthenticated(AuthFailure::Missing))?;
        let now = self.now_ms();
        let max = ms(self.settings.auth.keep_unlocked_max);
        let (idle, until) = match span {
            KeepSpan::Browser => (None, row.absolute_expires_at),
            KeepSpan::Day => (Some(DAY_MS.min(max)), now + DAY_MS.min(max)),
            KeepSpan::Month => (Some((30 * DAY_MS).min(max)), now + (30 * DAY_MS).min(max)),
        };
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let mut update = sessions::Entity::update_many()
            .col_expr(sessions::Column::UnlockKey, Expr::value(Some(key.to_vec())))
            .col_expr(sessions::Column::IdleMs, Expr::value(idle))
            .filter(sessions::Column::Id.eq(session_id))
            .filter(sessions::Column::UserId.eq(user_id));
        if let Some(idle) = idle {
            update = update
                .col_expr(sessions::Column::IdleExpiresAt, Expr::value(now + idle))
                .col_expr(sessions::Column::AbsoluteExpiresAt, Expr::value(until));
        }
        update.exec(&self.db).await?;
        Ok(KeepUnlocked {
            unlock_key: key.to_vec(),
            until_ms: until,
        })
    }

    /// This session's unlock key, if it is a kept one.
    pub async fn unlock_key(&self, session_id: i64) -> Result<Vec<u8>, DomainError> {
        sessions::Entity::find_by_id(session_id)
            .one(&self.db)
            .await?
            .and_then(|s| s.unlock_key)
            .ok_or(DomainError::NotFound(
                "This device is not kept unlocked (any more).",
            ))
    }

    /// "Lock now": the session forgets its unlock key and goes back to the usual lifetimes.
    pub async fn lock_session(&self, session_id: i64) -> Result<(), DomainError> {
        let now = self.now_ms();
        let a = &self.settings.auth;
        let Some(row) = sessions::Entity::find_by_id(session_id)
            .one(&self.db)
            .await?
        else {
            return Ok(());
        };
        sessions::Entity::update_many()
            .col_expr(
                sessions::Column::UnlockKey,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .col_expr(sessions::Column::IdleMs, Expr::value(Option::<i64>::None))
            .col_expr(
                sessions::Column::IdleExpiresAt,
                Expr::value(row.idle_expires_at.min(now + ms(a.session_idle))),
            )
            .col_expr(
                sessions::Column::AbsoluteExpiresAt,
                Expr::value(
                    row.absolute_expires_at
                        .min(row.created_at + ms(a.session_absolute)),
                ),
            )
            .filter(sessions::Column::Id.eq(session_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}
