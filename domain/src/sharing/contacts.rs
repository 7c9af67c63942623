//! Contacts: the key-pinning records a user's browser seals under their account key (blob
//! 0x07) and keeps here (format v1; format v2 keeps the contact list in the account record).
//! To the server they are opaque blobs per (owner, contact username).

use coffer_protocol::{
    sharing::{ContactList, ContactRecord},
    validation,
};
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::{entities::contacts, Domain, DomainError};

/// Largest sealed record accepted (a real one is 95 bytes).
const MAX_SEALED_LEN: usize = 512;
/// The most contacts one user may keep.
const MAX_CONTACTS: u64 = 1000;
const NO_CONTACT: &str = "There is no such contact.";

impl Domain {
    /// `owner`'s sealed contact records, by username.
    pub async fn list_contacts(&self, owner: i64) -> Result<ContactList, DomainError> {
        let rows = contacts::Entity::find()
            .filter(contacts::Column::OwnerId.eq(owner))
            .order_by_asc(contacts::Column::ContactUsername)
            .all(&self.db)
            .await?;
        Ok(ContactList {
            contacts: rows
                .into_iter()
                .map(|c| ContactRecord {
                    username: c.contact_username,
                    sealed: c.sealed,
                    updated_at: c.updated_at,
                })
                .collect(),
        })
    }

    /// Stores (or replaces) `owner`'s record for `username`, which must be a valid username but
    /// need not belong to anyone.
    pub async fn put_contact(
        &self,
        owner: i64,
        username: &str,
        sealed: Vec<u8>,
    ) -> Result<(), DomainError> {
        let username = validation::normalize_username(username).map_err(DomainError::Invalid)?;
        if sealed.is_empty() || sealed.len() > MAX_SEALED_LEN {
            return Err(DomainError::invalid(format!(
                "sealed must be 1 to {MAX_SEALED_LEN} bytes."
            )));
        }
        let exists = contacts::Entity::find_by_id((owner, username.clone()))
            .one(&self.db)
            .await?
            .is_some();
        if !exists {
            let count = contacts::Entity::find()
                .filter(contacts::Column::OwnerId.eq(owner))
                .count(&self.db)
                .await?;
            if count >= MAX_CONTACTS {
                return Err(DomainError::invalid(format!(
                    "Coffer keeps at most {MAX_CONTACTS} contacts; delete some first."
                )));
            }
        }
        contacts::Entity::insert(contacts::ActiveModel {
            owner_id: Set(owner),
            contact_username: Set(username),
            sealed: Set(sealed),
            updated_at: Set(self.now_ms()),
        })
        .on_conflict(
            OnConflict::columns([contacts::Column::OwnerId, contacts::Column::ContactUsername])
                .update_columns([contacts::Column::Sealed, contacts::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// Deletes `owner`'s record for `username`.
    pub async fn remove_contact(&self, owner: i64, username: &str) -> Result<(), DomainError> {
        let Ok(username) = validation::normalize_username(username) else {
            return Err(DomainError::NotFound(NO_CONTACT));
        };
        let taken = contacts::Entity::delete_many()
            .filter(contacts::Column::OwnerId.eq(owner))
            .filter(contacts::Column::ContactUsername.eq(username))
            .exec(&self.db)
            .await?;
        if taken.rows_affected == 0 {
            return Err(DomainError::NotFound(NO_CONTACT));
        }
        Ok(())
    }
}
