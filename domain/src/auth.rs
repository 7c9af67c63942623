//! Who is calling: session cookies for browsers, bearer tokens for API clients.
//!
//! Both are 256-bit random tokens; the database stores only their SHA-256, so
//! reading the database does not let anyone act as a user.

use std::time::Duration;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use coffer_protocol::accounts::{ApiTokenInfo, NewApiToken, SessionInfo, TokenScope};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};

pub use crate::error::AuthFailure;
use crate::{
    entities::{api_tokens, sessions},
    ms, Domain, DomainError,
};

/// Cookie name when cookies are `Secure` (the `__Host-` prefix pins it to this origin).
pub const SECURE_COOKIE: &str = "__Host-coffer_session";
/// Cookie name when served without TLS on purpose (`COFFER_SECURE_COOKIES=false`).
pub const PLAIN_COOKIE: &str = "coffer_session";
/// Prefix that makes API tokens recognisable (e.g. to secret scanners).
pub const API_TOKEN_PREFIX: &str = "cft_";

/// What a request presents to prove who it is, as read from its headers by the HTTP layer
/// ([`Presented::from_headers`]).
#[derive(Clone, PartialEq, Eq)]
pub enum Presented {
    /// Nothing.
    Nothing,
    /// An `Authorization` header that is not `Bearer <token>`.
    Malformed,
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// The session cookie.
    Session(String),
}

/// Never prints a token.
impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Presented::Nothing => "Nothing",
            Presented::Malformed => "Malformed",
            Presented::Bearer(_) => "Bearer(…)",
            Presented::Session(_) => "Session(…)",
        })
    }
}

impl Presented {
    /// Reads a request's `Authorization` header value (a bearer token wins) and its `Cookie`
    /// header values (the session cookie named `cookie_name`).
    pub fn from_headers<'a>(
        authorization: Option<&str>,
        cookies: impl IntoIterator<Item = &'a str>,
        cookie_name: &str,
    ) -> Presented {
        if let Some(auth) = authorization {
            return match auth.strip_prefix("Bearer ") {
                Some(token) => Presented::Bearer(token.trim().to_string()),
                None => Presented::Malformed,
            };
        }
        session_cookie_value(cookies, cookie_name).map_or(Presented::Nothing, Presented::Session)
    }

    /// The session token, if the request presents one (logout and login rotation end it).
    pub fn session_token(&self) -> Option<&str> {
        match self {
            Presented::Session(token) => Some(token),
            _ => None,
        }
    }
}

/// The value of the cookie `name` among `Cookie` header values.
fn session_cookie_value<'a>(
    cookies: impl IntoIterator<Item = &'a str>,
    name: &str,
) -> Option<String> {
    cookies
        .into_iter()
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub credential: Credential,
}

/// How the caller proved who they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    Session { id: i64 },
    ApiToken { id: i64, scopes: Vec<TokenScope> },
}

impl Caller {
    /// The session it came with, if it is a browser session.
    pub fn session_id(&self) -> Option<i64> {
        match self.credential {
            Credential::Session { id } => Some(id),
            Credential::ApiToken { .. } => None,
        }
    }

    /// Refuses API tokens: creating tokens, reading the sealed keys, changing the password or
    /// deleting the account need a browser session.
    pub fn require_session(&self) -> Result<i64, DomainError> {
        self.session_id().ok_or_else(|| {
            DomainError::Forbidden("An API token cannot do this: log in with a browser.".into())
        })
    }

    /// Refuses an API token without `scope` (a session may do everything).
    pub fn require_scope(&self, scope: TokenScope) -> Result<(), DomainError> {
        match &self.credential {
            Credential::ApiToken { scopes, .. } if !scopes.contains(&scope) => {
                Err(DomainError::Forbidden(format!(
                    "This API token may not {} the vault.",
                    match scope {
                        TokenScope::Read => "read",
                        TokenScope::Write => "change",
                    }
                )))
            }
            _ => Ok(()),
        }
    }
}

fn new_token() -> (String, String) {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    let hash = token_hash(&token);
    (token, hash)
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A database error while checking a credential: logged, and the request is
/// treated as unauthenticated rather than failing open.
fn lookup_failed(err: sea_orm::DbErr) -> AuthFailure {
    tracing::error!(%err, "credential lookup failed");
    AuthFailure::Invalid
}

impl Domain {
    /// The session cookie's name under the current settings.
    pub fn cookie_name(&self) -> &'static str {
        if self.settings.auth.secure_cookies {
            SECURE_COOKIE
        } else {
            PLAIN_COOKIE
        }
    }

    /// A `Set-Cookie` value carrying `token`, or clearing the cookie when `None`.
    /// The session cookie with its own lifetime: `None` makes it a browser-session cookie
    /// (gone when the browser closes), else `Max-Age` seconds (a kept session).
    pub fn kept_session_cookie(&self, token: &str, max_age: Option<u64>) -> String {
        let secure = if self.settings.auth.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        let age = max_age
            .map(|s| format!("; Max-Age={s}"))
            .unwrap_or_default();
        format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}{age}",
            self.cookie_name()
        )
    }

    pub fn session_cookie(&self, token: Option<&str>) -> String {
        let secure = if self.settings.auth.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        match token {
            Some(token) => format!(
                "{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}; Max-Age={}",
                self.cookie_name(),
                self.settings.auth.session_absolute.as_secs()
            ),
            None => format!(
                "{}=; Path=/; HttpOnly; SameSite=Strict{secure}; Max-Age=0",
                self.cookie_name()
            ),
        }
    }

    /// Starts a session for `user_id` and returns its token. Beyond `max_sessions_per_user`,
    /// the user's oldest sessions end.
    pub async fn create_session(
        &self,
        user_id: i64,
        client_ip: &str,
        user_agent: Option<&str>,
    ) -> Result<String, DomainError> {
        let (token, hash) = new_token();
        let now = self.now_ms();
        // `Entity::insert`, not `ActiveModel::insert`: the latter reads the row back, and a
        // parallel login's clean-up below may already have ended it (it is over the cap), which
        // made the read fail and this login answer 500.
        sessions::Entity::insert(sessions::ActiveModel {
            client_ip: Set(Some(client_ip.chars().take(64).collect())),
            user_agent: Set(user_agent.map(|ua| ua.chars().take(256).collect())),
            token_hash: Set(hash),
            user_id: Set(user_id),
            created_at: Set(now),
            last_seen_at: Set(now),
            idle_expires_at: Set(now.saturating_add(ms(self.settings.auth.session_idle))),
            absolute_expires_at: Set(now.saturating_add(ms(self.settings.auth.session_absolute))),
            ..Default::default()
        })
        .exec(&self.db)
        .await?;
        self.end_sessions_beyond_cap(user_id).await?;
        Ok(token)
    }

    /// Ends the user's sessions older than the newest `max_sessions_per_user` (ids grow with
    /// time). Two logins racing may both keep theirs and leave one over the cap until the next.
    async fn end_sessions_beyond_cap(&self, user_id: i64) -> Result<(), DomainError> {
        let keep = u64::from(self.settings.auth.max_sessions_per_user.max(1));
        let oldest_kept: Option<i64> = sessions::Entity::find()
            .select_only()
            .column(sessions::Column::Id)
            .filter(sessions::Column::UserId.eq(user_id))
            .order_by_desc(sessions::Column::Id)
            .offset(keep - 1)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await?;
        if let Some(oldest_kept) = oldest_kept {
            sessions::Entity::delete_many()
                .filter(sessions::Column::UserId.eq(user_id))
                .filter(sessions::Column::Id.lt(oldest_kept))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Ends the session with this token, if any.
    pub async fn end_session(&self, token: &str) -> Result<(), DomainError> {
        sessions::Entity::delete_many()
            .filter(sessions::Column::TokenHash.eq(token_hash(token)))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Checks a session token, sliding its idle expiry forward.
    pub async fn check_session(&self, token: &str) -> Result<Caller, AuthFailure> {
        Ok(self.session_lookup(token).await?.0)
    }

    /// Looks a session up (and, in the same query, the version of its user's file list) and
    /// checks it, sliding its idle expiry forward at most once a minute.
    async fn session_lookup(&self, token: &str) -> Result<(Caller, i64), AuthFailure> {
        use sea_orm::sea_query::{Expr, Query, SimpleExpr};

        use crate::entities::user_usage;
        let now = self.now_ms();
        let list_version = SimpleExpr::SubQuery(
            None,
            Box::new(
                Query::select()
                    .column(user_usage::Column::ListVersion)
                    .from(user_usage::Entity)
                    .and_where(
                        Expr::col((user_usage::Entity, user_usage::Column::UserId))
                            .equals((sessions::Entity, sessions::Column::UserId)),
                    )
                    .to_owned()
                    .into_sub_query_statement(),
            ),
        );
        type Row = (i64, i64, i64, i64, i64, Option<i64>, Option<i64>);
        let (id, user_id, last_seen_at, idle_expires_at, absolute_expires_at, idle_ms, version): Row =
            sessions::Entity::find()
                .select_only()
                .columns([
                    sessions::Column::Id,
                    sessions::Column::UserId,
                    sessions::Column::LastSeenAt,
                    sessions::Column::IdleExpiresAt,
                    sessions::Column::AbsoluteExpiresAt,
                    sessions::Column::IdleMs,
                ])
                .column_as(list_version, "list_version")
                .filter(sessions::Column::TokenHash.eq(token_hash(token)))
                .into_tuple()
                .one(&self.db)
                .await
                .map_err(lookup_failed)?
                .ok_or(AuthFailure::Invalid)?;
        if now >= idle_expires_at || now >= absolute_expires_at {
            let _ = sessions::Entity::delete_by_id(id).exec(&self.db).await;
            return Err(AuthFailure::Expired);
        }
        // Refresh at most once a minute to spare the database a write per request.
        if now - last_seen_at > 60_000 {
            let idle = idle_ms.unwrap_or_else(|| ms(self.settings.auth.session_idle));
            let refreshed = sessions::Entity::update_many()
                .col_expr(sessions::Column::LastSeenAt, Expr::value(now))
                .col_expr(
                    sessions::Column::IdleExpiresAt,
                    Expr::value(now.saturating_add(idle)),
                )
                .filter(sessions::Column::Id.eq(id))
                .exec(&self.db)
                .await;
            if let Err(e) = refreshed {
                tracing::warn!(%e, "could not refresh session");
            }
        }
        let caller = Caller {
            user_id,
            credential: Credential::Session { id },
        };
        Ok((caller, version.unwrap_or(0)))
    }

    /// [`Domain::authenticate`], and the version of the caller's file list
    /// ([`Domain::list_version`]): for a session in the same query, which is all a request
    /// for an unchanged page of the list costs.
    pub async fn authenticate_with_list_version(
        &self,
        presented: &Presented,
    ) -> Result<(Caller, i64), DomainError> {
        match presented {
            Presented::Session(token) => Ok(self.session_lookup(token).await?),
            _ => {
                let caller = self.authenticate(presented).await?;
                let version = self.list_version(caller.user_id).await?;
                Ok((caller, version))
            }
        }
    }

    /// Checks an API token.
    pub async fn check_api_token(&self, token: &str) -> Result<Caller, AuthFailure> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Err(AuthFailure::Invalid);
        }
        let row = api_tokens::Entity::find()
            .filter(api_tokens::Column::TokenHash.eq(token_hash(token)))
            .one(&self.db)
            .await
            .map_err(lookup_failed)?
            .ok_or(AuthFailure::Invalid)?;
        if row.revoked_at.is_some() {
            return Err(AuthFailure::Invalid);
        }
        if self.now_ms() >= row.expires_at {
            return Err(AuthFailure::Expired);
        }
        Ok(Caller {
            user_id: row.user_id,
            credential: Credential::ApiToken {
                id: row.id,
                scopes: TokenScope::parse_list(&row.scopes),
            },
        })
    }

    /// Authenticates what a request presents: a bearer token, else the session cookie.
    pub async fn authenticate(&self, presented: &Presented) -> Result<Caller, AuthFailure> {
        match presented {
            Presented::Nothing => Err(AuthFailure::Missing),
            Presented::Malformed => Err(AuthFailure::Invalid),
            Presented::Bearer(token) => self.check_api_token(token).await,
            Presented::Session(token) => self.check_session(token).await,
        }
    }

    /// Creates an API token for a user, valid for `lifetime`.
    pub async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        lifetime: Duration,
        scopes: &[TokenScope],
    ) -> Result<NewApiToken, DomainError> {
        if scopes.is_empty() {
            return Err(DomainError::invalid(
                "Give the token at least one scope (read, write).",
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(DomainError::invalid(
                "Give the token a name of 1 to 100 characters.",
            ));
        }
        if lifetime.is_zero() || lifetime > self.settings.auth.api_token_max {
            return Err(DomainError::invalid(format!(
                "A token may live at most {} days.",
                self.settings.auth.api_token_max.as_secs() / 86_400
            )));
        }
        let (raw, _) = new_token();
        let token = format!("{API_TOKEN_PREFIX}{raw}");
        let now = self.now_ms();
        let expires_at = now.saturating_add(ms(lifetime));
        let row = api_tokens::ActiveModel {
            token_hash: Set(token_hash(&token)),
            user_id: Set(user_id),
            name: Set(name.to_string()),
            created_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            scopes: Set(TokenScope::join(scopes)),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(NewApiToken {
            id: row.id,
            token,
            expires_at_ms: expires_at,
        })
    }

    /// The user's API tokens, newest first.
    pub async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<ApiTokenInfo>, DomainError> {
        Ok(api_tokens::Entity::find()
            .filter(api_tokens::Column::UserId.eq(user_id))
            .order_by_desc(api_tokens::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| ApiTokenInfo {
                id: t.id,
                name: t.name,
                created_at_ms: t.created_at,
                expires_at_ms: t.expires_at,
                revoked: t.revoked_at.is_some(),
                scopes: TokenScope::parse_list(&t.scopes),
            })
            .collect())
    }

    /// The user's live sessions, newest first; `current` marks the caller's.
    pub async fn list_sessions(
        &self,
        user_id: i64,
        current: Option<i64>,
    ) -> Result<Vec<SessionInfo>, DomainError> {
        let now = self.now_ms();
        Ok(sessions::Entity::find()
            .filter(sessions::Column::UserId.eq(user_id))
            .filter(sessions::Column::IdleExpiresAt.gt(now))
            .filter(sessions::Column::AbsoluteExpiresAt.gt(now))
            .order_by_desc(sessions::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| SessionInfo {
                current: Some(s.id) == current,
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                client_ip: s.client_ip,
                user_agent: s.user_agent,
            })
            .collect())
    }

    /// Ends one of the user's sessions (another user's id looks missing).
    pub async fn end_session_by_id(&self, user_id: i64, id: i64) -> Result<(), DomainError> {
        let taken = sessions::Entity::delete_many()
            .filter(sessions::Column::Id.eq(id))
            .filter(sessions::Column::UserId.eq(user_id))
            .exec(&self.db)
            .await?;
        if taken.rows_affected == 0 {
            return Err(DomainError::NotFound("There is no such session."));
        }
        Ok(())
    }

    /// Ends every session of the user's but `keep` ("sign out everywhere else").
    pub async fn end_other_sessions(&self, user_id: i64, keep: i64) -> Result<u64, DomainError> {
        Ok(sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(user_id))
            .filter(sessions::Column::Id.ne(keep))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Revokes one of the user's tokens. Another user's token id looks missing.
    pub async fn revoke_api_token(&self, user_id: i64, id: i64) -> Result<(), DomainError> {
        let row = api_tokens::Entity::find_by_id(id)
            .filter(api_tokens::Column::UserId.eq(user_id))
            .one(&self.db)
            .await?
            .ok_or_else(|| DomainError::invalid("There is no such token."))?;
        let mut active: api_tokens::ActiveModel = row.into();
        active.revoked_at = Set(Some(self.now_ms()));
        active.update(&self.db).await?;
        Ok(())
    }
}
