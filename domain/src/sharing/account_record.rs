//! The account record (blob 0x0A): one sealed, versioned object per user holding the contact
//! list and the account's format flags (docs/CRYPTO.md §10.2). Opaque to the server, which
//! only keeps revisions in order: a write names the revision it read (none for the first), and
//! is refused with a conflict if another write came first, so two tabs cannot silently undo
//! each other's pins. That a server could serve an OLDER record is the browser's to notice (it
//! keeps the highest revision it has seen); this code never goes back on its own.

use coffer_crypto::blob_len::{ACCOUNT_RECORD_PAD, SEALED_FRAME};
use coffer_protocol::sharing::{PutAccountRecord, StoredAccountRecord};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter,
    SqlErr,
};

use crate::{entities::account_records, Domain, DomainError};

/// The largest sealed record accepted: 1000 contacts with the longest names, padded.
pub const MAX_SEALED_LEN: usize = SEALED_FRAME + ACCOUNT_RECORD_PAD * 1300;
const NO_RECORD: &str = "This account has no account record yet.";

fn check_shape(sealed: &[u8]) -> Result<(), DomainError> {
    let ok = sealed.first() == Some(&0x0A)
        && sealed.len() >= SEALED_FRAME + ACCOUNT_RECORD_PAD
        && sealed.len() <= MAX_SEALED_LEN
        && (sealed.len() - SEALED_FRAME).is_multiple_of(ACCOUNT_RECORD_PAD);
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "sealed is not a Coffer account record (type 0x0A, 29 + 256·k bytes).",
        ))
    }
}

fn conflict() -> DomainError {
    DomainError::Conflict(
        "Your contact list was changed elsewhere in the meantime; Coffer reads it again.".into(),
    )
}

impl Domain {
    /// `me`'s sealed record and its revision.
    pub async fn account_record(&self, me: i64) -> Result<StoredAccountRecord, DomainError> {
        let row = account_records::Entity::find_by_id(me)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound(NO_RECORD))?;
        Ok(StoredAccountRecord {
            revision: row.revision.max(0) as u64,
            sealed: row.sealed,
            updated_at: row.updated_at,
        })
    }

    /// Replaces `me`'s record if it is still at `expected_revision`.
    pub async fn put_account_record(
        &self,
        me: i64,
        req: PutAccountRecord,
    ) -> Result<(), DomainError> {
        check_shape(&req.sealed)?;
        let revision = i64::try_from(req.revision)
            .map_err(|_| DomainError::invalid("revision is too large."))?;
        if revision < 1 || req.expected_revision.is_some_and(|e| req.revision <= e) {
            return Err(DomainError::invalid(
                "revision must be at least 1 and more than expected_revision.",
            ));
        }
        let now = self.now_ms();
        match req.expected_revision {
            None => {
                let inserted = account_records::ActiveModel {
                    user_id: Set(me),
                    revision: Set(revision),
                    sealed: Set(req.sealed),
                    updated_at: Set(now),
                }
                .insert(&self.db)
                .await;
                match inserted {
                    Ok(_) => Ok(()),
                    Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                        Err(conflict())
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Some(expected) => {
                let expected = i64::try_from(expected).map_err(|_| conflict())?;
                let updated = account_records::Entity::update_many()
                    .col_expr(account_records::Column::Revision, Expr::value(revision))
                    .col_expr(account_records::Column::Sealed, Expr::value(req.sealed))
                    .col_expr(account_records::Column::UpdatedAt, Expr::value(now))
                    .filter(account_records::Column::UserId.eq(me))
                    .filter(account_records::Column::Revision.eq(expected))
                    .exec(&self.db)
                    .await?;
                if updated.rows_affected != 1 {
                    return Err(conflict());
                }
                Ok(())
            }
        }
    }
}
