//! The outbox: mail waits in `mail_outbox` (so it survives a restart) and goes out from here,
//! over SMTP (`COFFER_SMTP_URL`: plain, STARTTLS or TLS, with lettre).
//!
//! Any instance may send any row: a row is taken with a lease (one conditional UPDATE), so two
//! instances never send it at once, and a row whose sender died is taken again once its lease
//! ends. A failed send is tried again after a wait that doubles each time (from
//! `COFFER_MAIL_RETRY_SECONDS`, at most ten minutes), until it is sent, the server refuses it
//! for good (a 5xx answer), its code expires, or `max_attempts` tries failed. What the user sees
//! of a failure (and what the log says) is a sentence that names no address; the address is
//! never logged.
//!
//! The code a mail carries is not in the outbox either: the row names its `email_codes` row, and
//! the code is derived from that row's nonce when the mail is written (`ServerSecrets::email_code`).

use std::time::Duration;

use lettre::{
    message::{header::ContentType, Mailbox},
    transport::smtp::Error as SmtpError,
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{
    entities::{email_codes, mail_outbox},
    Domain,
};

/// How long a taken row is this sender's.
const LEASE_MS: i64 = 2 * 60 * 1000;
/// Rows taken per look.
const BATCH: u64 = 20;
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(10 * 60);

/// What a mail is for: its subject and words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    /// Confirms an address (a code to type on the Account page, or at login).
    Verify,
    /// A code for logging in (the second factor).
    Login,
}

impl MailKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MailKind::Verify => "verify",
            MailKind::Login => "login",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<MailKind> {
        match s {
            "verify" => Some(MailKind::Verify),
            "login" => Some(MailKind::Login),
            _ => None,
        }
    }

    fn subject(self) -> &'static str {
        match self {
            MailKind::Verify => "Confirm your email address for Coffer",
            MailKind::Login => "Your Coffer login code",
        }
    }

    fn body(self, code: &str, minutes: u64) -> String {
        match self {
            MailKind::Verify => format!(
                "Your code to confirm this address for Coffer is:\n\n    {code}\n\n\
                 Type it where Coffer asks for it. It is good for {minutes} minutes.\n\n\
                 If you did not ask for this, ignore this mail: the address is not confirmed \
                 without the code.\n"
            ),
            MailKind::Login => format!(
                "Your Coffer login code is:\n\n    {code}\n\n\
                 It is good for {minutes} minutes and once only.\n\n\
                 If you are not logging in right now, someone who knows your password is: \
                 change your password (Account page) and ignore this code.\n"
            ),
        }
    }
}

/// Sends the outbox's mail. One per server process, when SMTP is set up.
pub struct Outbox {
    domain: Domain,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Outbox {
    /// The outbox for `domain`, or `None` without `COFFER_SMTP_URL`. A URL or sender that
    /// cannot be used is an error naming the variable (the server does not start).
    pub fn new(domain: Domain) -> Result<Option<Outbox>, String> {
        let settings = &domain.settings().mail;
        let Some(url) = &settings.smtp_url else {
            return Ok(None);
        };
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| format!("COFFER_MAIL_FROM: not a mail address ({e})"))?;
        // lettre's message names only the part of the URL it did not understand, never the
        // password.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            .map_err(|e| format!("COFFER_SMTP_URL: {e}"))?
            .timeout(Some(settings.send_timeout))
            .build();
        Ok(Some(Outbox {
            domain,
            transport,
            from,
        }))
    }

    /// Sends due mail for as long as the process runs: whenever new mail is queued here, and
    /// every `poll_interval` (retries, and mail queued by other instances).
    pub async fn run(self) {
        let poll = self.domain.settings().mail.poll_interval;
        loop {
            match self.deliver_due().await {
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox: a pass failed"),
            }
            tokio::select! {
                _ = self.domain.mail_wakeup.notified() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// Sends every row that is due now; returns how many were sent.
    pub async fn deliver_due(&self) -> Result<usize, DbErr> {
        let db = self.domain.db();
        let now = self.domain.now_ms();
        let due = mail_outbox::Entity::find()
            .filter(mail_outbox::Column::SentAt.is_null())
            .filter(mail_outbox::Column::FailedAt.is_null())
            .filter(mail_outbox::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(mail_outbox::Column::LeaseUntil.is_null())
                    .add(mail_outbox::Column::LeaseUntil.lt(now)),
            )
            .order_by_asc(mail_outbox::Column::NextAttemptAt)
            .limit(BATCH)
            .all(db)
            .await?;
        let mut sent = 0;
        for row in due {
            if !self.take(db, &row, now).await? {
                continue; // another instance has it
            }
            if self.deliver(row).await? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    /// Leases `row` to this sender, if no one else holds it.
    async fn take(
        &self,
        db: &impl ConnectionTrait,
        row: &mail_outbox::Model,
        now: i64,
    ) -> Result<bool, DbErr> {
        let taken = mail_outbox::Entity::update_many()
            .col_expr(mail_outbox::Column::LeaseUntil, Expr::value(now + LEASE_MS))
            .filter(mail_outbox::Column::Id.eq(row.id))
            .filter(mail_outbox::Column::SentAt.is_null())
            .filter(mail_outbox::Column::FailedAt.is_null())
            .filter(
                Condition::any()
                    .add(mail_outbox::Column::LeaseUntil.is_null())
                    .add(mail_outbox::Column::LeaseUntil.lt(now)),
            )
            .exec(db)
            .await?;
        Ok(taken.rows_affected == 1)
    }

    /// Writes and sends one mail; records what happened. `true` if it went out.
    async fn deliver(&self, row: mail_outbox::Model) -> Result<bool, DbErr> {
        let db = self.domain.db();
        let settings = &self.domain.settings().mail;
        let attempts = row.attempts.saturating_add(1);
        let mut update = mail_outbox::ActiveModel {
            id: Set(row.id),
            attempts: Set(attempts),
            lease_until: Set(None),
            ..Default::default()
        };
        let give_up = |mut update: mail_outbox::ActiveModel, why: &str, now: i64| {
            update.failed_at = Set(Some(now));
            update.last_error = Set(Some(why.to_string()));
            update
        };
        let now = self.domain.now_ms();
        let kind = MailKind::parse(&row.kind);
        let code = match row.code_id {
            Some(id) => email_codes::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        let (Some(kind), Some(code)) = (kind, code) else {
            give_up(update, "There was nothing left to send.", now)
                .update(db)
                .await?;
            return Ok(false);
        };
        if code.used_at.is_some() || code.expires_at <= now {
            give_up(
                update,
                "The code expired before it could be sent. Ask for a new one.",
                now,
            )
            .update(db)
            .await?;
            return Ok(false);
        }
        let minutes = settings.code_ttl.as_secs().div_ceil(60);
        let body = kind.body(&self.domain.secrets.email_code(&code.nonce), minutes);
        let message = row
            .to_address
            .parse::<Mailbox>()
            .map_err(|_| "The address is not one mail can be sent to.".to_string())
            .and_then(|to| {
                Message::builder()
                    .from(self.from.clone())
                    .to(to)
                    .subject(kind.subject())
                    .header(ContentType::TEXT_PLAIN)
                    .body(body)
                    .map_err(|_| "The mail could not be written.".to_string())
            });
        let message = match message {
            Ok(m) => m,
            Err(why) => {
                tracing::warn!(mail = row.id, "outbox: {why}");
                give_up(update, &why, now).update(db).await?;
                return Ok(false);
            }
        };
        match self.transport.send(message).await {
            Ok(_) => {
                update.sent_at = Set(Some(self.domain.now_ms()));
                update.last_error = Set(None);
                update.update(db).await?;
                tracing::info!(
                    mail = row.id,
                    kind = kind.as_str(),
                    attempts,
                    "outbox: sent"
                );
                Ok(true)
            }
            Err(e) => {
                let (why, permanent) = describe(&e);
                let now = self.domain.now_ms();
                let out_of_tries = attempts >= i32::try_from(settings.max_attempts).unwrap_or(8);
                tracing::warn!(
                    mail = row.id,
                    attempts,
                    permanent,
                    "outbox: not sent: {why}"
                );
                if permanent || out_of_tries {
                    give_up(update, why, now).update(db).await?;
                } else {
                    let wait = backoff(settings.retry_base, attempts);
                    update.next_attempt_at = Set(now + crate::ms(wait));
                    update.last_error = Set(Some(why.to_string()));
                    update.update(db).await?;
                }
                Ok(false)
            }
        }
    }
}

/// Removes mail sent or given up more than a week before `now` (what the user sees of it is
/// gone by then) and codes that expired more than a day before; returns how many rows went.
pub(crate) async fn purge(db: &impl ConnectionTrait, now: i64) -> Result<u64, DbErr> {
    const DAY: i64 = 24 * 60 * 60 * 1000;
    let mail = mail_outbox::Entity::delete_many()
        .filter(
            Condition::any()
                .add(mail_outbox::Column::SentAt.lt(now - 7 * DAY))
                .add(mail_outbox::Column::FailedAt.lt(now - 7 * DAY)),
        )
        .exec(db)
        .await?;
    let codes = email_codes::Entity::delete_many()
        .filter(email_codes::Column::ExpiresAt.lt(now - DAY))
        .filter(
            email_codes::Column::Id.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(mail_outbox::Column::CodeId)
                    .from(mail_outbox::Entity)
                    .and_where(mail_outbox::Column::CodeId.is_not_null())
                    .to_owned(),
            ),
        )
        .exec(db)
        .await?;
    Ok(mail.rows_affected + codes.rows_affected)
}

/// The wait after the `attempts`-th failed try: `base`, doubling, at most ten minutes.
pub(crate) fn backoff(base: Duration, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    base.saturating_mul(1 << doublings).min(MAX_BACKOFF)
}

/// A failed send in words for the user (no address, no server text, which may quote one), and
/// whether trying again can help.
fn describe(e: &SmtpError) -> (&'static str, bool) {
    if e.is_permanent() {
        (
            "The mail server refused this message. Check the address.",
            true,
        )
    } else if e.is_transient() {
        ("The mail server asked Coffer to try again later.", false)
    } else if e.is_timeout() {
        ("The mail server did not answer in time.", false)
    } else if e.is_tls() {
        (
            "A secure connection to the mail server could not be made.",
            false,
        )
    } else {
        ("The mail server could not be reached.", false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_the_base_up_to_ten_minutes() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 1), Duration::from_secs(10));
        assert_eq!(backoff(base, 2), Duration::from_secs(20));
        assert_eq!(backoff(base, 4), Duration::from_secs(80));
        assert_eq!(backoff(base, 10), MAX_BACKOFF);
        assert_eq!(backoff(base, i32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn mails_carry_their_code_and_say_what_it_is_for() {
        for kind in [MailKind::Verify, MailKind::Login] {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
            assert!(kind.body("012345", 15).contains("012345"));
            assert!(kind.body("012345", 15).contains("15 minutes"));
        }
    }
}
