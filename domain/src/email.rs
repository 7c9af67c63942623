//! Email, optional per user and per server (`COFFER_SMTP_URL`): an address confirmed by a code
//! sent to it, codes by email as a second factor, and (with `COFFER_REQUIRE_EMAIL`) a confirmed
//! address before the first login.
//!
//! Codes are six digits, good for `code_ttl` (15 minutes) and once. Only a random nonce is stored
//! per code; the code is derived from it under the server's pepper when the mail is written and
//! again when it is checked (`ServerSecrets::email_code`), so the database never holds one.
//! Wrong codes count against the same per-account limit as other codes (`2fa:<user>`), and
//! sending is limited per user too. The address is stored (mail must reach it) and never logged.

use rand::RngCore;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};
use subtle::ConstantTimeEq;

use crate::{
    auth::token_hash,
    entities::{email_codes, login_challenges, mail_outbox, users},
    limits::{self, Limit, Take},
    mail::MailKind,
    Domain, DomainError,
};
use coffer_protocol::{
    accounts::{ChallengeInfo, ChallengePurpose, EmailStatus, MailDelivery, MailState},
    validation,
};

/// Mails one user may have sent per code lifetime.
const MAILS_PER_WINDOW: u32 = 5;

pub(crate) fn purpose_str(p: ChallengePurpose) -> &'static str {
    match p {
        ChallengePurpose::SecondFactor => "second_factor",
        ChallengePurpose::VerifyEmail => "verify_email",
    }
}

pub(crate) fn purpose_of(s: &str) -> ChallengePurpose {
    match s {
        "verify_email" => ChallengePurpose::VerifyEmail,
        _ => ChallengePurpose::SecondFactor,
    }
}

/// `alice@example.com` → `a•••@example.com`.
fn hint(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}

impl Domain {
    fn mail_off() -> DomainError {
        DomainError::invalid(
            "Email is not set up on this server (its operator has not configured an SMTP server).",
        )
    }

    fn require_mail(&self) -> Result<(), DomainError> {
        if self.settings.mail.enabled() {
            Ok(())
        } else {
            Err(Self::mail_off())
        }
    }

    /// The Account page's view of email.
    pub async fn email_status(&self, user_id: i64) -> Result<EmailStatus, DomainError> {
        let user = self.user_row_for(user_id).await?;
        let mail = &self.settings.mail;
        Ok(EmailStatus {
            available: mail.enabled(),
            required: mail.enabled() && mail.require_email,
            verified: user.email.is_some() && user.email_verified_at.is_some(),
            login_codes: user.email_login_codes && mail.enabled(),
            address: user.email,
            last_mail: self.last_mail(user_id, None).await?,
        })
    }

    /// Sets the user's address (unconfirmed) and sends a code to it.
    pub async fn email_set(&self, user_id: i64, address: &str) -> Result<EmailStatus, DomainError> {
        self.require_mail()?;
        let address = validation::normalize_email(address)
            .map_err(DomainError::Invalid)?
            .ok_or_else(|| DomainError::invalid("Enter an email address."))?;
        let user = self.user_row_for(user_id).await?;
        if user.email_login_codes {
            return Err(DomainError::Conflict(
                "Codes by email are on for your logins: turn them off before you change the \
                 address."
                    .into(),
            ));
        }
        self.take_mail_allowance(user_id).await?;
        let txn = self.db.begin().await?;
        users::Entity::update_many()
            .col_expr(users::Column::Email, Expr::value(Some(address.clone())))
            .col_expr(
                users::Column::EmailVerifiedAt,
                Expr::value(Option::<i64>::None),
            )
            .filter(users::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        forget_codes(&txn, user_id, Some(MailKind::Verify)).await?;
        self.queue_code(&txn, user_id, MailKind::Verify, None, &address)
            .await?;
        txn.commit().await?;
        self.mail_wakeup.notify_one();
        self.email_status(user_id).await
    }

    /// Sends a new code to the unconfirmed address.
    pub async fn email_resend(&self, user_id: i64) -> Result<EmailStatus, DomainError> {
        self.require_mail()?;
        let user = self.user_row_for(user_id).await?;
        let Some(address) = user.email.filter(|_| user.email_verified_at.is_none()) else {
            return Err(DomainError::invalid(
                "There is no address waiting to be confirmed.",
            ));
        };
        self.take_mail_allowance(user_id).await?;
        self.queue_code(&self.db, user_id, MailKind::Verify, None, &address)
            .await?;
        self.mail_wakeup.notify_one();
        self.email_status(user_id).await
    }

    /// Confirms the address with a code sent to it.
    pub async fn email_verify(&self, user_id: i64, code: &str) -> Result<EmailStatus, DomainError> {
        self.require_mail()?;
        let user = self.user_row_for(user_id).await?;
        if user.email.is_none() || user.email_verified_at.is_some() {
            return Err(DomainError::invalid(
                "There is no address waiting to be confirmed.",
            ));
        }
        let key = format!("2fa:{user_id}");
        let _attempt = self.take_code_attempt(&key).await?;
        if !self
            .use_email_code(user_id, MailKind::Verify, None, code)
            .await?
        {
            return Err(wrong_code());
        }
        limits::reset(&self.db, &key).await?;
        self.mark_verified(user_id).await?;
        self.email_status(user_id).await
    }

    /// Removes the address (and codes by email with it); needs the password's auth key.
    pub async fn email_remove(
        &self,
        user_id: i64,
        auth_key: Vec<u8>,
        client_ip: &str,
    ) -> Result<EmailStatus, DomainError> {
        let user = self.user_row_for(user_id).await?;
        self.check_password(&user, auth_key, client_ip).await?;
        let txn = self.db.begin().await?;
        users::Entity::update_many()
            .col_expr(users::Column::Email, Expr::value(Option::<String>::None))
            .col_expr(
                users::Column::EmailVerifiedAt,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(users::Column::EmailLoginCodes, Expr::value(false))
            .filter(users::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        forget_codes(&txn, user_id, None).await?;
        if user.totp_secret.is_none() {
            self.drop_recovery_codes(&txn, user_id).await?;
        }
        txn.commit().await?;
        self.email_status(user_id).await
    }

    /// Turns codes by email at login on (the address must be confirmed): answers new recovery
    /// codes, once, when the user had none.
    pub async fn email_codes_on(&self, user_id: i64) -> Result<Vec<String>, DomainError> {
        self.require_mail()?;
        let user = self.user_row_for(user_id).await?;
        if user.email.is_none() || user.email_verified_at.is_none() {
            return Err(DomainError::invalid(
                "Confirm your email address first: codes go only to a confirmed address.",
            ));
        }
        let txn = self.db.begin().await?;
        users::Entity::update_many()
            .col_expr(users::Column::EmailLoginCodes, Expr::value(true))
            .filter(users::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        let codes = if self.recovery_codes_left(&txn, user_id).await? == 0 {
            self.replace_recovery_codes(&txn, user_id).await?
        } else {
            Vec::new()
        };
        txn.commit().await?;
        Ok(codes)
    }

    /// Turns codes by email at login off; needs the password's auth key.
    pub async fn email_codes_off(
        &self,
        user_id: i64,
        auth_key: Vec<u8>,
        client_ip: &str,
    ) -> Result<(), DomainError> {
        let user = self.user_row_for(user_id).await?;
        self.check_password(&user, auth_key, client_ip).await?;
        let txn = self.db.begin().await?;
        users::Entity::update_many()
            .col_expr(users::Column::EmailLoginCodes, Expr::value(false))
            .filter(users::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        forget_codes(&txn, user_id, Some(MailKind::Login)).await?;
        if user.totp_secret.is_none() {
            self.drop_recovery_codes(&txn, user_id).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// What the waiting login with `ticket` asks for.
    pub async fn challenge_info(&self, ticket: Option<&str>) -> Result<ChallengeInfo, DomainError> {
        let (challenge, user) = self.waiting_login(ticket).await?;
        let purpose = purpose_of(&challenge.purpose);
        let email_on = self.settings.mail.enabled()
            && match purpose {
                ChallengePurpose::VerifyEmail => true,
                ChallengePurpose::SecondFactor => {
                    user.email_login_codes && user.email_verified_at.is_some()
                }
            };
        Ok(ChallengeInfo {
            purpose,
            totp: purpose == ChallengePurpose::SecondFactor && user.totp_secret.is_some(),
            email: email_on,
            email_hint: user.email.as_deref().filter(|_| email_on).map(hint),
            last_mail: self.last_mail(user.id, Some(challenge.id)).await?,
        })
    }

    /// Sends a (new) code for the waiting login with `ticket`. For a login that must confirm the
    /// address, `address` may set another one first (the password proof already passed).
    pub async fn challenge_send_email(
        &self,
        ticket: Option<&str>,
        address: Option<&str>,
    ) -> Result<ChallengeInfo, DomainError> {
        self.require_mail()?;
        let (challenge, user) = self.waiting_login(ticket).await?;
        let kind = match purpose_of(&challenge.purpose) {
            ChallengePurpose::VerifyEmail => MailKind::Verify,
            ChallengePurpose::SecondFactor => MailKind::Login,
        };
        let address = match (kind, address) {
            (MailKind::Verify, Some(typed)) => {
                let typed = validation::normalize_email(typed)
                    .map_err(DomainError::Invalid)?
                    .ok_or_else(|| DomainError::invalid("Enter an email address."))?;
                users::Entity::update_many()
                    .col_expr(users::Column::Email, Expr::value(Some(typed.clone())))
                    .filter(users::Column::Id.eq(user.id))
                    .exec(&self.db)
                    .await?;
                typed
            }
            (MailKind::Login, _) if !user.email_login_codes => {
                return Err(DomainError::invalid(
                    "Codes by email are not on for this account.",
                ))
            }
            _ => user
                .email
                .clone()
                .ok_or_else(|| DomainError::invalid("Enter the email address to confirm."))?,
        };
        self.take_mail_allowance(user.id).await?;
        self.queue_code(&self.db, user.id, kind, Some(challenge.id), &address)
            .await?;
        self.mail_wakeup.notify_one();
        self.challenge_info(ticket).await
    }

    /// What a login whose password proof passed must show before its session: `None` for
    /// nothing, else a new challenge's ticket and purpose. Queues the code mail a challenge
    /// needs (a confirmation code; a login code when email is the only second factor).
    pub(crate) async fn open_challenge(
        &self,
        user: &users::Model,
    ) -> Result<Option<(String, ChallengePurpose)>, DomainError> {
        let mail = &self.settings.mail;
        let email_codes =
            mail.enabled() && user.email_login_codes && user.email_verified_at.is_some();
        let purpose = if mail.enabled() && mail.require_email && user.email_verified_at.is_none() {
            ChallengePurpose::VerifyEmail
        } else if user.totp_secret.is_some() || email_codes {
            ChallengePurpose::SecondFactor
        } else {
            return Ok(None);
        };
        let (ticket, challenge_id) = self.new_challenge(user.id, purpose).await?;
        let send = match purpose {
            ChallengePurpose::VerifyEmail => user.email.clone().map(|a| (MailKind::Verify, a)),
            ChallengePurpose::SecondFactor if email_codes && user.totp_secret.is_none() => {
                user.email.clone().map(|a| (MailKind::Login, a))
            }
            ChallengePurpose::SecondFactor => None,
        };
        if let Some((kind, address)) = send {
            // Over the sending limit, the login still waits: the page offers "send again".
            if self.take_mail_allowance(user.id).await.is_ok() {
                self.queue_code(&self.db, user.id, kind, Some(challenge_id), &address)
                    .await?;
                self.mail_wakeup.notify_one();
            }
        }
        Ok(Some((ticket, purpose)))
    }

    /// Checks `code` for a waiting login that must confirm the address; marks it confirmed.
    pub(crate) async fn complete_verification(
        &self,
        challenge: &login_challenges::Model,
        code: &str,
    ) -> Result<bool, DomainError> {
        if !self
            .use_email_code(
                challenge.user_id,
                MailKind::Verify,
                Some(challenge.id),
                code,
            )
            .await?
        {
            return Ok(false);
        }
        self.mark_verified(challenge.user_id).await?;
        Ok(true)
    }

    /// Spends a matching unexpired code of `kind` (for this login, when `challenge` is given);
    /// `true` if there was one.
    pub(crate) async fn use_email_code(
        &self,
        user_id: i64,
        kind: MailKind,
        challenge: Option<i64>,
        code: &str,
    ) -> Result<bool, DomainError> {
        let code: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
        if code.len() != 6 {
            return Ok(false);
        }
        let now = self.now_ms();
        let mut query = email_codes::Entity::find()
            .filter(email_codes::Column::UserId.eq(user_id))
            .filter(email_codes::Column::Purpose.eq(kind.as_str()))
            .filter(email_codes::Column::UsedAt.is_null())
            .filter(email_codes::Column::ExpiresAt.gt(now));
        if let Some(challenge) = challenge {
            query = query.filter(email_codes::Column::ChallengeId.eq(challenge));
        }
        for row in query.all(&self.db).await? {
            let expected = self.secrets.email_code(&row.nonce);
            if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
                let spent = email_codes::Entity::update_many()
                    .col_expr(email_codes::Column::UsedAt, Expr::value(Some(now)))
                    .filter(email_codes::Column::Id.eq(row.id))
                    .filter(email_codes::Column::UsedAt.is_null())
                    .exec(&self.db)
                    .await?;
                return Ok(spent.rows_affected == 1);
            }
        }
        Ok(false)
    }

    async fn mark_verified(&self, user_id: i64) -> Result<(), DomainError> {
        users::Entity::update_many()
            .col_expr(
                users::Column::EmailVerifiedAt,
                Expr::value(Some(self.now_ms())),
            )
            .filter(users::Column::Id.eq(user_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The challenge behind `ticket` and its user (unknown or expired: log in again).
    pub(crate) async fn waiting_login(
        &self,
        ticket: Option<&str>,
    ) -> Result<(login_challenges::Model, users::Model), DomainError> {
        let expired = || DomainError::Unauthenticated(crate::AuthFailure::Missing);
        let ticket = ticket.ok_or_else(expired)?;
        let challenge = login_challenges::Entity::find()
            .filter(login_challenges::Column::TokenHash.eq(token_hash(ticket)))
            .filter(login_challenges::Column::ExpiresAt.gt(self.now_ms()))
            .one(&self.db)
            .await?
            .ok_or_else(expired)?;
        let user = self.user_row_for(challenge.user_id).await?;
        Ok((challenge, user))
    }

    /// One more mail for this user, if the per-user limit allows.
    async fn take_mail_allowance(&self, user_id: i64) -> Result<(), DomainError> {
        let limit = Limit {
            max: MAILS_PER_WINDOW,
            window: self.settings.mail.code_ttl,
        };
        match limits::take(&self.db, &format!("mail:{user_id}"), limit, self.now_ms()).await? {
            Take::Taken(_) => Ok(()),
            Take::Wait(wait) => Err(DomainError::rate_limited("emails", wait)),
        }
    }

    /// A new code row and its mail, in `db` (a transaction or the connection).
    async fn queue_code(
        &self,
        db: &impl ConnectionTrait,
        user_id: i64,
        kind: MailKind,
        challenge: Option<i64>,
        address: &str,
    ) -> Result<(), DomainError> {
        let now = self.now_ms();
        let mut nonce = vec![0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let code = email_codes::ActiveModel {
            user_id: Set(user_id),
            purpose: Set(kind.as_str().into()),
            challenge_id: Set(challenge),
            nonce: Set(nonce),
            expires_at: Set(now + crate::ms(self.settings.mail.code_ttl)),
            used_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        mail_outbox::ActiveModel {
            user_id: Set(user_id),
            code_id: Set(Some(code.id)),
            kind: Set(kind.as_str().into()),
            to_address: Set(address.to_string()),
            created_at: Set(now),
            next_attempt_at: Set(now),
            attempts: Set(0),
            lease_until: Set(None),
            sent_at: Set(None),
            failed_at: Set(None),
            last_error: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(())
    }

    /// The newest mail for the user (for one login, when `challenge` is given).
    async fn last_mail(
        &self,
        user_id: i64,
        challenge: Option<i64>,
    ) -> Result<Option<MailState>, DomainError> {
        let row = match challenge {
            None => {
                mail_outbox::Entity::find()
                    .filter(mail_outbox::Column::UserId.eq(user_id))
                    .order_by_desc(mail_outbox::Column::Id)
                    .one(&self.db)
                    .await?
            }
            Some(challenge) => {
                let codes: Vec<i64> = email_codes::Entity::find()
                    .filter(email_codes::Column::ChallengeId.eq(challenge))
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(|c| c.id)
                    .collect();
                if codes.is_empty() {
                    return Ok(None);
                }
                mail_outbox::Entity::find()
                    .filter(mail_outbox::Column::CodeId.is_in(codes))
                    .order_by_desc(mail_outbox::Column::Id)
                    .one(&self.db)
                    .await?
            }
        };
        let now = self.now_ms();
        Ok(row.map(|m| {
            let delivery = if m.sent_at.is_some() {
                MailDelivery::Sent
            } else if m.failed_at.is_some() {
                MailDelivery::Failed
            } else if m.attempts > 0 {
                MailDelivery::Retrying
            } else {
                MailDelivery::Queued
            };
            MailState {
                kind: m.kind,
                delivery,
                attempts: u32::try_from(m.attempts).unwrap_or(0),
                next_try_in_seconds: (delivery == MailDelivery::Retrying)
                    .then(|| u64::try_from((m.next_attempt_at - now).max(0) / 1000).unwrap_or(0)),
                error: m.last_error.filter(|_| delivery != MailDelivery::Sent),
            }
        }))
    }
}

fn wrong_code() -> DomainError {
    DomainError::invalid("That code is not right, or it expired. Ask for a new one.")
}

/// Deletes the user's unspent codes (of `kind`, or all) and the mail not yet sent for them.
async fn forget_codes(
    db: &impl ConnectionTrait,
    user_id: i64,
    kind: Option<MailKind>,
) -> Result<(), DomainError> {
    let mut mail = mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::UserId.eq(user_id))
        .filter(mail_outbox::Column::SentAt.is_null());
    let mut codes =
        email_codes::Entity::delete_many().filter(email_codes::Column::UserId.eq(user_id));
    if let Some(kind) = kind {
        mail = mail.filter(mail_outbox::Column::Kind.eq(kind.as_str()));
        codes = codes.filter(email_codes::Column::Purpose.eq(kind.as_str()));
    }
    mail.exec(db).await?;
    codes.exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_shows_the_first_letter_and_the_domain_only() {
        assert_eq!(hint("alice@example.com"), "a•••@example.com");
        assert_eq!(hint("x@y.z"), "x•••@y.z");
        assert_eq!(hint("nonsense"), "•••");
    }
}
