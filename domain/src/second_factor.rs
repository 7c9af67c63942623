//! The second factor at login: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step
//! of drift either way) with ten one-time recovery codes.
//!
//! A login whose password proof passed, for a user with TOTP on, gets no session and no sealed
//! keys: it gets a *challenge*, a random ticket in a short-lived cookie (only its SHA-256 is
//! stored), and the session and bundle come only when a code for that ticket passes. Codes are
//! limited per account like passwords (taken before the check), a code's step can be used once
//! (no replay within its window), and a recovery code once. The TOTP secret is the one secret
//! the server holds in the clear: it must, to check codes (docs/CRYPTO.md "What the server
//! sees"); it opens nothing of the user's files.

use rand::RngCore;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, TransactionTrait,
};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use crate::{
    auth::token_hash,
    entities::{login_challenges, recovery_codes, users},
    limits::{self, Limit, Take},
    mail::MailKind,
    Domain, DomainError,
};
use coffer_protocol::accounts::{ChallengePurpose, SecondFactorStatus};

/// Bytes of a TOTP secret (160 bits, RFC 4226's recommendation).
const SECRET_LEN: usize = 20;
/// Seconds per TOTP step.
const STEP: u64 = 30;
/// Recovery codes per user.
pub const RECOVERY_CODES: usize = 10;
/// A login waits this long for its second factor.
const CHALLENGE_TTL_MS: i64 = 5 * 60 * 1000;
/// Crockford's base32, for recovery codes people type.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn totp(secret: &[u8]) -> TOTP {
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, STEP, secret.to_vec())
}

/// The step of `code` for `secret` around `now_secs` (one step of drift either way), if it
/// matches one. Compared in constant time.
fn matching_step(secret: &[u8], code: &str, now_secs: u64) -> Option<i64> {
    let totp = totp(secret);
    let now_step = now_secs / STEP;
    (now_step.saturating_sub(1)..=now_step + 1)
        .find(|step| bool::from(totp.generate(step * STEP).as_bytes().ct_eq(code.as_bytes())))
        .map(|step| step as i64)
}

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// A code as typed: digits for TOTP; a recovery code upper-cased without dashes or spaces.
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn new_recovery_code() -> String {
    let mut bytes = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let chars: String = bytes
        .iter()
        .map(|b| CROCKFORD[usize::from(b & 31)] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

impl Domain {
    /// A new TOTP secret for `user_id`, pending until [`Domain::totp_enable`] sees a code for
    /// it: its base32 form and the `otpauth://` URI for an authenticator app.
    pub async fn totp_begin(&self, user_id: i64) -> Result<(String, String), DomainError> {
        let user = self.user_row_for(user_id).await?;
        if user.totp_secret.is_some() {
            return Err(DomainError::Conflict(
                "Two-step login is on already. Turn it off first to use another app.".into(),
            ));
        }
        let mut secret = [0u8; SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        users::Entity::update_many()
            .col_expr(
                users::Column::TotpPending,
                Expr::value(Some(secret.to_vec())),
            )
            .filter(users::Column::Id.eq(user_id))
            .exec(&self.db)
            .await?;
        let encoded = base32(&secret);
        let label: String = user
            .display_name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        let url = format!(
            "otpauth://totp/Coffer:{label}?secret={encoded}&issuer=Coffer&algorithm=SHA1&digits=6&period=30"
        );
        Ok((encoded, url))
    }

    /// Turns TOTP on once `code` matches the pending secret, and makes ten recovery codes
    /// (shown once; any older ones are gone). Wrong codes count like wrong passwords.
    pub async fn totp_enable(&self, user_id: i64, code: &str) -> Result<Vec<String>, DomainError> {
        let user = self.user_row_for(user_id).await?;
        let Some(pending) = user.totp_pending.clone() else {
            return Err(DomainError::invalid(
                "Start again: there is no authenticator secret waiting for a code.",
            ));
        };
        let key = format!("2fa:{user_id}");
        let attempt = self.take_code_attempt(&key).await?;
        let step = matching_step(&pending, &normalize(code), self.now_secs());
        let Some(step) = step else {
            let _ = attempt;
            return Err(DomainError::invalid(
                "That code is not right. Check the app's clock and type the code it shows now.",
            ));
        };
        limits::reset(&self.db, &key).await?;
        let txn = self.db.begin().await?;
        users::Entity::update_many()
            .col_expr(users::Column::TotpSecret, Expr::value(Some(pending)))
            .col_expr(
                users::Column::TotpPending,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .col_expr(users::Column::TotpLastStep, Expr::value(Some(step)))
            .filter(users::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        let codes = self.replace_recovery_codes(&txn, user_id).await?;
        txn.commit().await?;
        Ok(codes)
    }

    /// Ten new recovery codes for `user_id` (any older ones are gone), to show once.
    pub(crate) async fn replace_recovery_codes(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
    ) -> Result<Vec<String>, DomainError> {
        self.drop_recovery_codes(db, user_id).await?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        for code in &codes {
            recovery_codes::ActiveModel {
                user_id: Set(user_id),
                code_hash: Set(self.secrets.recovery_code_hash(&normalize(code))),
                used_at: Set(None),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
        Ok(codes)
    }

    /// Removes the user's recovery codes.
    pub(crate) async fn drop_recovery_codes(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
    ) -> Result<(), DomainError> {
        recovery_codes::Entity::delete_many()
            .filter(recovery_codes::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Recovery codes the user has not used.
    pub(crate) async fn recovery_codes_left(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
    ) -> Result<u64, DomainError> {
        Ok(recovery_codes::Entity::find()
            .filter(recovery_codes::Column::UserId.eq(user_id))
            .filter(recovery_codes::Column::UsedAt.is_null())
            .count(db)
            .await?)
    }

    /// Turns TOTP off (and drops the recovery codes unless codes by email are on); needs the
    /// password's auth key.
    pub async fn totp_disable(
        &self,
        user_id: i64,
        auth_key: Vec<u8>,
        client_ip: &str,
    ) -> Result<(), DomainError> {
        let user = self.user_row_for(user_id).await?;
        self.check_password(&user, auth_key, client_ip).await?;
        let txn = self.db.begin().await?;
        users::Entity::update_many()
            .col_expr(
                users::Column::TotpSecret,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .col_expr(
                users::Column::TotpPending,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .col_expr(
                users::Column::TotpLastStep,
                Expr::value(Option::<i64>::None),
            )
            .filter(users::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        // Codes by email still need them (a way in without the mailbox).
        if !user.email_login_codes {
            self.drop_recovery_codes(&txn, user_id).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Whether TOTP is on, and how many recovery codes are left.
    pub async fn second_factor_status(
        &self,
        user_id: i64,
    ) -> Result<SecondFactorStatus, DomainError> {
        let user = self.user_row_for(user_id).await?;
        let left = self.recovery_codes_left(&self.db, user_id).await?;
        Ok(SecondFactorStatus {
            totp: user.totp_secret.is_some(),
            recovery_codes_left: u32::try_from(left).unwrap_or(u32::MAX),
            email_codes: user.email_login_codes
                && user.email_verified_at.is_some()
                && self.settings.mail.enabled(),
        })
    }

    /// After a passed password proof (or recovery reset, or a confirmed address): `None` when
    /// nothing more is asked (start the session), or the ticket of a new challenge the code must
    /// come with, and what it asks for: a second factor, or (`COFFER_REQUIRE_EMAIL`) a code sent
    /// to the address.
    pub async fn second_factor_challenge(
        &self,
        user_id: i64,
    ) -> Result<Option<(String, ChallengePurpose)>, DomainError> {
        let user = self.user_row_for(user_id).await?;
        self.open_challenge(&user).await
    }

    /// A new challenge row; its ticket and id.
    pub(crate) async fn new_challenge(
        &self,
        user_id: i64,
        purpose: ChallengePurpose,
    ) -> Result<(String, i64), DomainError> {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let ticket = hex::encode(raw);
        let now = self.now_ms();
        login_challenges::Entity::delete_many()
            .filter(login_challenges::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?;
        let row = login_challenges::ActiveModel {
            token_hash: Set(token_hash(&ticket)),
            user_id: Set(user_id),
            expires_at: Set(now + CHALLENGE_TTL_MS),
            purpose: Set(crate::email::purpose_str(purpose).into()),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok((ticket, row.id))
    }

    /// Completes the login waiting on `ticket` with a TOTP code, a code sent by email or a
    /// recovery code (or, for a login that must confirm the address, the code sent to it);
    /// returns the user's id and what the challenge was. After a second factor the caller
    /// starts the session; after a confirmed address it asks again (a second factor may
    /// follow). Wrong codes are limited per account.
    pub async fn complete_second_factor(
        &self,
        ticket: Option<&str>,
        code: &str,
    ) -> Result<(i64, ChallengePurpose), DomainError> {
        let (challenge, user) = self.waiting_login(ticket).await?;
        let now = self.now_ms();
        let purpose = crate::email::purpose_of(&challenge.purpose);
        let key = format!("2fa:{}", user.id);
        let _attempt = self.take_code_attempt(&key).await?;
        let code = normalize(code);
        let ok = if purpose == ChallengePurpose::VerifyEmail {
            self.complete_verification(&challenge, &code).await?
        } else if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            let by_app = match &user.totp_secret {
                Some(secret) => self.use_totp_step(&user, secret, &code).await?,
                None => false,
            };
            by_app
                || (user.email_login_codes
                    && self
                        .use_email_code(user.id, MailKind::Login, Some(challenge.id), &code)
                        .await?)
        } else {
            recovery_codes::Entity::update_many()
                .col_expr(recovery_codes::Column::UsedAt, Expr::value(Some(now)))
                .filter(recovery_codes::Column::UserId.eq(user.id))
                .filter(recovery_codes::Column::CodeHash.eq(self.secrets.recovery_code_hash(&code)))
                .filter(recovery_codes::Column::UsedAt.is_null())
                .exec(&self.db)
                .await?
                .rows_affected
                == 1
        };
        if !ok {
            return Err(DomainError::invalid(match purpose {
                ChallengePurpose::VerifyEmail => {
                    "That code is not right, or it expired. Ask for a new one."
                }
                ChallengePurpose::SecondFactor => {
                    "That code is not right (or was used already). Try the code your app shows \
                     now, or the newest code by email."
                }
            }));
        }
        limits::reset(&self.db, &key).await?;
        login_challenges::Entity::delete_by_id(challenge.id)
            .exec(&self.db)
            .await?;
        Ok((user.id, purpose))
    }

    /// Spends `code` if it is the user's TOTP code for a step after the last one used.
    async fn use_totp_step(
        &self,
        user: &users::Model,
        secret: &[u8],
        code: &str,
    ) -> Result<bool, DomainError> {
        let Some(step) = matching_step(secret, code, self.now_secs()) else {
            return Ok(false);
        };
        // Each step once: the code just used (or an older one) is refused.
        Ok(users::Entity::update_many()
            .col_expr(users::Column::TotpLastStep, Expr::value(Some(step)))
            .filter(users::Column::Id.eq(user.id))
            .filter(
                sea_orm::Condition::any()
                    .add(users::Column::TotpLastStep.is_null())
                    .add(users::Column::TotpLastStep.lt(step)),
            )
            .exec(&self.db)
            .await?
            .rows_affected
            == 1)
    }

    /// The cookie that carries a login's second-factor ticket (five minutes, this path only).
    pub fn challenge_cookie(&self, ticket: Option<&str>) -> String {
        let secure = if self.settings.auth.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        let name = self.challenge_cookie_name();
        match ticket {
            Some(ticket) => format!(
                "{name}={ticket}; Path=/; HttpOnly; SameSite=Strict{secure}; Max-Age={}",
                CHALLENGE_TTL_MS / 1000
            ),
            None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict{secure}; Max-Age=0"),
        }
    }

    /// The challenge cookie's name (`__Host-` with secure cookies, like the session's).
    pub fn challenge_cookie_name(&self) -> &'static str {
        if self.settings.auth.secure_cookies {
            "__Host-coffer_2fa"
        } else {
            "coffer_2fa"
        }
    }

    pub(crate) async fn take_code_attempt(&self, key: &str) -> Result<limits::Taken, DomainError> {
        let s = &self.settings.auth;
        let limit = Limit {
            max: s.login_failures_per_account.min(5),
            window: s.login_window,
        };
        match limits::take(&self.db, key, limit, self.now_ms()).await? {
            Take::Taken(taken) => Ok(taken),
            Take::Wait(wait) => Err(DomainError::rate_limited("codes", wait)),
        }
    }

    fn now_secs(&self) -> u64 {
        u64::try_from(self.now_ms() / 1000).unwrap_or(0)
    }

    pub(crate) async fn user_row_for(&self, user_id: i64) -> Result<users::Model, DomainError> {
        users::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::Unauthenticated(crate::AuthFailure::Missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", 8 digits there; the last
        // six of each are what a 6-digit app shows.
        let secret = b"12345678901234567890";
        for (t, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(totp(secret).generate(t), code, "t = {t}");
            assert_eq!(matching_step(secret, code, t), Some((t / STEP) as i64));
        }
        assert_eq!(
            matching_step(secret, "287082", 75),
            Some(1),
            "one step late"
        );
        assert_eq!(matching_step(secret, "287082", 95), None, "two steps late");
        assert_eq!(matching_step(secret, "000000", 59), None);
    }

    #[test]
    fn base32_as_rfc_4648_says() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(&[0u8; 20]).len(), 32);
    }

    #[test]
    fn recovery_codes_read_back_however_typed() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(
            normalize(&code.to_lowercase().replace('-', " ")),
            code.replace('-', "")
        );
    }
}
