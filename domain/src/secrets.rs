//! Installation-wide secrets, stored in the database so every instance shares them.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait};
use sha2::Sha256;

use crate::entities::server_secrets;

const PEPPER: &str = "kdf_salt_pepper";

/// Secrets the server keeps for itself; none of them decrypts user data.
pub struct ServerSecrets {
    pepper: [u8; 32],
    dummy_auth_hash: String,
}

impl ServerSecrets {
    /// Loads the secrets, creating them on first start. Safe when several
    /// instances start at once: whoever inserts first wins, the others re-read.
    pub async fn load_or_create(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let pepper = match server_secrets::Entity::find_by_id(PEPPER).one(db).await? {
            Some(row) => row.value,
            None => {
                let mut value = vec![0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut value);
                let insert = server_secrets::Entity::insert(server_secrets::ActiveModel {
                    name: Set(PEPPER.to_string()),
                    value: Set(value),
                })
                .exec(db)
                .await;
                if let Err(err) = insert {
                    tracing::debug!(%err, "pepper insert lost a race; re-reading");
                }
                server_secrets::Entity::find_by_id(PEPPER)
                    .one(db)
                    .await?
                    .ok_or_else(|| DbErr::RecordNotFound("server pepper".into()))?
                    .value
            }
        };
        let pepper: [u8; 32] = pepper
            .try_into()
            .map_err(|_| DbErr::Custom("server pepper has the wrong length".into()))?;
        let mut dummy = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut dummy);
        let dummy_auth_hash = crate::hashing::hash_auth_key(&dummy)
            .map_err(|e| DbErr::Custom(format!("hashing dummy key: {e}")))?;
        Ok(ServerSecrets {
            pepper,
            dummy_auth_hash,
        })
    }

    /// A stable, unpredictable KDF salt for a username that has no account,
    /// so asking for KDF parameters does not reveal which usernames exist.
    pub fn fake_kdf_salt(&self, normalized_username: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.pepper)
            .expect("HMAC accepts any key length");
        mac.update(b"coffer/v1/fake-kdf-salt\0");
        mac.update(normalized_username.as_bytes());
        mac.finalize().into_bytes()[..coffer_crypto::KDF_SALT_LEN].to_vec()
    }

    /// A stable, unpredictable stand-in for the recovery-sealed account key of a username that
    /// has no account: a v2 blob's tag and length, random-looking bytes that no recovery key
    /// opens. So asking for it does not reveal which usernames exist.
    pub fn fake_recovery_seal(&self, normalized_username: &str) -> Vec<u8> {
        let block = |n: u8| {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.pepper)
                .expect("HMAC accepts any key length");
            mac.update(b"coffer/v2/fake-recovery-seal\0");
            mac.update(&[n]);
            mac.update(normalized_username.as_bytes());
            mac.finalize().into_bytes()
        };
        let mut out = vec![0x0C];
        out.extend_from_slice(&block(0));
        out.extend_from_slice(&block(1));
        out.truncate(coffer_crypto::blob_len::SEALED_KEY);
        out
    }

    /// The stored form of a second-factor recovery code: HMAC-SHA256 under the pepper, in hex.
    /// The codes carry 50 random bits and are tried online under a limit, so a keyed fast hash
    /// is enough; without the pepper a leaked table cannot be tested offline at all.
    pub fn recovery_code_hash(&self, normalized_code: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.pepper)
            .expect("HMAC accepts any key length");
        mac.update(b"coffer/v2/recovery-code\0");
        mac.update(normalized_code.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The six-digit code of an email code row with this `nonce`: HMAC-SHA256 under the pepper,
    /// its first four bytes as a number modulo 10^6. Only the nonce is stored; the outbox
    /// derives the code when it writes the mail, the check derives it again.
    pub fn email_code(&self, nonce: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.pepper)
            .expect("HMAC accepts any key length");
        mac.update(b"coffer/v2/email-code\0");
        mac.update(nonce);
        let out = mac.finalize().into_bytes();
        let n = u32::from_be_bytes([out[0], out[1], out[2], out[3]]) % 1_000_000;
        format!("{n:06}")
    }

    /// A hash to verify against when the user does not exist, so unknown users
    /// and wrong passwords take the same time.
    pub fn dummy_auth_hash(&self) -> &str {
        &self.dummy_auth_hash
    }
}
