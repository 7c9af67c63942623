//! Server functions: thin wrappers that take the domain from context, check who is calling,
//! call one domain operation, and send its errors with their HTTP status (`ctx::respond`).
//! Each has a readable endpoint under `/api/` and takes a JSON body.

use leptos::{prelude::*, server_fn::codec::Json};

#[cfg(feature = "ssr")]
use coffer_domain::DomainError;

use crate::{
    error::AppError,
    protocol::accounts::{
        AccountBundle, ApiTokenInfo, ChallengeInfo, ChangePassword, EmailStatus, KdfSetup,
        KeepSpan, KeepUnlocked, NewApiToken, RecoveryReset, RecoverySeal, RegisterRequest,
        SecondFactorStatus, SessionInfo, TokenScope, TotpSetup,
    },
};

#[cfg(feature = "ssr")]
mod ctx {
    use coffer_domain::{
        auth::{Caller, Presented},
        Domain, DomainError,
    };
    use http::{header, request::Parts, HeaderName, HeaderValue, StatusCode};
    use leptos::prelude::*;
    use leptos_axum::ResponseOptions;

    use crate::error::AppError;

    pub fn domain() -> Result<Domain, DomainError> {
        use_context::<Domain>().ok_or_else(|| {
            DomainError::internal("server function", "Domain missing from the context")
        })
    }

    pub fn parts() -> Result<Parts, DomainError> {
        use_context::<Parts>().ok_or_else(|| {
            DomainError::internal("server function", "request parts missing from the context")
        })
    }

    /// The client's address: the peer, or whom a trusted proxy forwards for
    /// (`COFFER_TRUSTED_PROXIES`; resolved where the connection is accepted, server/src/serve.rs).
    pub fn client_ip(parts: &Parts) -> String {
        parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into())
    }

    /// What the request's `Authorization` and `Cookie` headers present.
    pub fn presented(domain: &Domain, parts: &Parts) -> Presented {
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or_default());
        let cookies = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok());
        Presented::from_headers(authorization, cookies, domain.cookie_name())
    }

    pub async fn caller(domain: &Domain) -> Result<Caller, DomainError> {
        Ok(domain.authenticate(&presented(domain, &parts()?)).await?)
    }

    /// The caller, who must come with a browser session (not an API token).
    pub async fn session_caller(domain: &Domain) -> Result<(i64, i64), DomainError> {
        let caller = caller(domain).await?;
        let session = caller.require_session()?;
        Ok((caller.user_id, session))
    }

    /// The user agent the request came with.
    pub fn user_agent(parts: &Parts) -> Option<String> {
        parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The value of the cookie `name`, if the request has it.
    pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
        parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }

    /// After a passed password proof (or recovery reset, or a confirmed address): the session,
    /// or, for a user with a second factor (or without the confirmed address this server
    /// requires), a challenge (its ticket in a short-lived cookie) and `second_factor_required`
    /// (or `email_verification_required`): no session and no sealed keys until a code passes.
    pub async fn session_or_challenge(
        domain: &Domain,
        parts: &Parts,
        user_id: i64,
    ) -> Result<(), DomainError> {
        use crate::protocol::accounts::ChallengePurpose;
        match domain.second_factor_challenge(user_id).await? {
            None => start_session(domain, parts, user_id).await,
            Some((ticket, purpose)) => {
                set_cookie(domain.challenge_cookie(Some(&ticket)));
                Err(match purpose {
                    ChallengePurpose::SecondFactor => DomainError::SecondFactorRequired,
                    ChallengePurpose::VerifyEmail => DomainError::EmailVerificationRequired,
                })
            }
        }
    }

    /// Starts a session for `user_id` from this request and sets its cookie.
    pub async fn start_session(
        domain: &Domain,
        parts: &Parts,
        user_id: i64,
    ) -> Result<(), DomainError> {
        let token = domain
            .create_session(user_id, &client_ip(parts), user_agent(parts).as_deref())
            .await?;
        set_cookie(domain.session_cookie(Some(&token)));
        Ok(())
    }

    pub fn set_cookie(value: String) {
        if let (Some(res), Ok(value)) = (
            use_context::<ResponseOptions>(),
            HeaderValue::from_str(&value),
        ) {
            res.append_header(header::SET_COOKIE, value);
        }
    }

    /// Sends a domain error with the status and headers the domain gives it, as the one error
    /// body.
    pub fn respond<T>(result: Result<T, DomainError>) -> Result<T, AppError> {
        result.map_err(|err| {
            if let Some(res) = use_context::<ResponseOptions>() {
                res.set_status(
                    StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST),
                );
                for (name, value) in err.headers() {
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        res.insert_header(HeaderName::from_static(name), value);
                    }
                }
            }
            AppError::from(err)
        })
    }
}

/// KDF salt and parameters for a username (stable fakes for unknown names).
#[server(prefix = "/api", endpoint = "kdf-params", input = Json)]
pub async fn kdf_params(username: String) -> Result<KdfSetup, AppError> {
    ctx::respond(
        async {
            let parts = ctx::parts()?;
            ctx::domain()?
                .kdf_setup(&username, &ctx::client_ip(&parts))
                .await
        }
        .await,
    )
}

/// Creates an account and logs it in.
#[server(prefix = "/api", endpoint = "register", input = Json)]
pub async fn register(request: RegisterRequest) -> Result<AccountBundle, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let user_id = domain.register(request, &ctx::client_ip(&parts)).await?;
            // A server that requires a confirmed address asks for the code sent to it first.
            ctx::session_or_challenge(&domain, &parts, user_id).await?;
            domain.account_bundle(user_id).await
        }
        .await,
    )
}

/// Logs in with the auth key derived in the browser; returns the sealed keys.
#[server(prefix = "/api", endpoint = "login", input = Json)]
pub async fn login(username: String, auth_key: String) -> Result<AccountBundle, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let auth_key = crate::protocol::b64::decode(&auth_key)
                .map_err(|_| DomainError::invalid("The auth key is malformed."))?;
            let user_id = domain
                .login(&username, auth_key, &ctx::client_ip(&parts))
                .await?;
            // Rotate: whatever session this browser had ends; a fresh token starts.
            if let Some(old) = ctx::presented(&domain, &parts).session_token() {
                domain.end_session(old).await?;
            }
            ctx::session_or_challenge(&domain, &parts, user_id).await?;
            domain.account_bundle(user_id).await
        }
        .await,
    )
}

/// Ends the session on the server and clears the cookie.
#[server(prefix = "/api", endpoint = "logout", input = Json)]
pub async fn logout() -> Result<(), AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            if let Some(token) = ctx::presented(&domain, &parts).session_token() {
                domain.end_session(token).await?;
            }
            ctx::set_cookie(domain.session_cookie(None));
            Ok(())
        }
        .await,
    )
}

/// The signed-in account's sealed keys, or `None` without a valid session.
#[server(prefix = "/api", endpoint = "account", input = Json)]
pub async fn current_account() -> Result<Option<AccountBundle>, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            match ctx::session_caller(&domain).await {
                Ok((user_id, _)) => Ok(Some(domain.account_bundle(user_id).await?)),
                Err(DomainError::Unauthenticated(_)) => Ok(None),
                Err(e) => Err(e),
            }
        }
        .await,
    )
}

/// Creates an API token (shown once) valid for `days` days.
#[server(prefix = "/api", endpoint = "tokens/create", input = Json)]
pub async fn create_api_token(
    name: String,
    days: u32,
    #[server(default)] scopes: Option<Vec<TokenScope>>,
) -> Result<NewApiToken, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            let lifetime = std::time::Duration::from_secs(u64::from(days) * 86_400);
            let scopes = scopes.unwrap_or_else(|| vec![TokenScope::Read, TokenScope::Write]);
            domain
                .create_api_token(user_id, &name, lifetime, &scopes)
                .await
        }
        .await,
    )
}

/// Lists the caller's API tokens.
#[server(prefix = "/api", endpoint = "tokens/list", input = Json)]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenInfo>, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            domain.list_api_tokens(user_id).await
        }
        .await,
    )
}

/// Revokes one of the caller's API tokens.
#[server(prefix = "/api", endpoint = "tokens/revoke", input = Json)]
pub async fn revoke_api_token(id: i64) -> Result<(), AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            domain.revoke_api_token(user_id, id).await
        }
        .await,
    )
}

/// Changes the password: the browser derived the new keys (fresh salt) and re-sealed the
/// account key; the old auth key proves the old password. Every other session ends; API tokens
/// too if asked.
#[server(prefix = "/api", endpoint = "password", input = Json)]
pub async fn set_new_password(request: ChangePassword) -> Result<(), AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let (user_id, session) = ctx::session_caller(&domain).await?;
            domain
                .change_password(user_id, Some(session), request, &ctx::client_ip(&parts))
                .await
        }
        .await,
    )
}

/// Stores the account proof of an account that has none yet (sent once after a login, with
/// the password's auth key).
#[server(prefix = "/api", endpoint = "account-proof", input = Json)]
pub async fn set_account_proof(auth_key: String, proof: String) -> Result<(), AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            let auth_key = crate::protocol::b64::decode(&auth_key)
                .map_err(|_| DomainError::invalid("The auth key is malformed."))?;
            let proof = crate::protocol::b64::decode(&proof)
                .map_err(|_| DomainError::invalid("The account proof is malformed."))?;
            domain
                .set_account_proof(user_id, auth_key, proof, &ctx::client_ip(&parts))
                .await
        }
        .await,
    )
}

/// The account key sealed under the recovery key (a stable fake for unknown names).
#[server(prefix = "/api", endpoint = "recovery/key", input = Json)]
pub async fn recovery_key(username: String) -> Result<RecoverySeal, AppError> {
    ctx::respond(
        async {
            let parts = ctx::parts()?;
            ctx::domain()?
                .recovery_seal(&username, &ctx::client_ip(&parts))
                .await
        }
        .await,
    )
}

/// A new password and recovery key, proved by the account key the recovery key opened; logs in.
#[server(prefix = "/api", endpoint = "recovery/reset", input = Json)]
pub async fn reset_with_recovery_key(request: RecoveryReset) -> Result<AccountBundle, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let user_id = domain
                .reset_with_recovery(request, &ctx::client_ip(&parts))
                .await?;
            ctx::session_or_challenge(&domain, &parts, user_id).await?;
            domain.account_bundle(user_id).await
        }
        .await,
    )
}

/// The caller's sessions (this one marked).
#[server(prefix = "/api", endpoint = "sessions/list", input = Json)]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, session) = ctx::session_caller(&domain).await?;
            domain.list_sessions(user_id, Some(session)).await
        }
        .await,
    )
}

/// Ends one of the caller's sessions.
#[server(prefix = "/api", endpoint = "sessions/end", input = Json)]
pub async fn end_session(id: i64) -> Result<(), AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            domain.end_session_by_id(user_id, id).await
        }
        .await,
    )
}

/// Ends every session of the caller's but this one ("sign out everywhere else").
#[server(prefix = "/api", endpoint = "sessions/end-others", input = Json)]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, session) = ctx::session_caller(&domain).await?;
            domain.end_other_sessions(user_id, session).await
        }
        .await,
    )
}

/// Deletes the account, after the password and the typed username; clears the cookie.
#[server(prefix = "/api", endpoint = "account/delete", input = Json)]
pub async fn delete_account(auth_key: String, username: String) -> Result<(), AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            let auth_key = crate::protocol::b64::decode(&auth_key)
                .map_err(|_| DomainError::invalid("The auth key is malformed."))?;
            domain
                .delete_account(user_id, auth_key, &username, &ctx::client_ip(&parts))
                .await?;
            ctx::set_cookie(domain.session_cookie(None));
            Ok(())
        }
        .await,
    )
}

/// The second step of a login (or reset) for a user with a second factor: a TOTP code or a
/// recovery code for the challenge in this browser's cookie; then the session and the bundle.
#[server(prefix = "/api", endpoint = "login/second-factor", input = Json)]
pub async fn login_second_factor(code: String) -> Result<AccountBundle, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let ticket = ctx::cookie(&parts, domain.challenge_cookie_name());
            let (user_id, purpose) = domain
                .complete_second_factor(ticket.as_deref(), &code)
                .await?;
            ctx::set_cookie(domain.challenge_cookie(None));
            use crate::protocol::accounts::ChallengePurpose;
            match purpose {
                ChallengePurpose::SecondFactor => {
                    ctx::start_session(&domain, &parts, user_id).await?
                }
                // The address is confirmed: a second factor may still follow.
                ChallengePurpose::VerifyEmail => {
                    ctx::session_or_challenge(&domain, &parts, user_id).await?
                }
            }
            domain.account_bundle(user_id).await
        }
        .await,
    )
}

/// Whether two-step login is on, and how many recovery codes are left.
#[server(prefix = "/api", endpoint = "totp/status", input = Json)]
pub async fn two_step_status() -> Result<SecondFactorStatus, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            domain.second_factor_status(user_id).await
        }
        .await,
    )
}

/// A new authenticator secret (pending until a code confirms it), with its QR code.
#[server(prefix = "/api", endpoint = "totp/setup", input = Json)]
pub async fn begin_totp() -> Result<TotpSetup, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            let (secret, otpauth_url) = domain.totp_begin(user_id).await?;
            let qr = qrcode::QrCode::new(otpauth_url.as_bytes())
                .map_err(|e| DomainError::internal("drawing the QR code", e))?;
            let qr_svg = qr
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            Ok(TotpSetup {
                secret,
                otpauth_url,
                qr_svg,
            })
        }
        .await,
    )
}

/// Turns two-step login on with a code from the app; answers the ten recovery codes, once.
#[server(prefix = "/api", endpoint = "totp/enable", input = Json)]
pub async fn totp_enable(code: String) -> Result<Vec<String>, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            domain.totp_enable(user_id, &code).await
        }
        .await,
    )
}

/// Turns two-step login off; needs the password.
#[server(prefix = "/api", endpoint = "totp/disable", input = Json)]
pub async fn totp_disable(auth_key: String) -> Result<(), AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            let auth_key = crate::protocol::b64::decode(&auth_key)
                .map_err(|_| DomainError::invalid("The auth key is malformed."))?;
            domain
                .totp_disable(user_id, auth_key, &ctx::client_ip(&parts))
                .await
        }
        .await,
    )
}

/// Keeps this device unlocked for `span` (the password's auth key proves it is the user asking):
/// answers this session's unlock key and sets the cookie's lifetime to match.
#[server(prefix = "/api", endpoint = "session/keep", input = Json)]
pub async fn keep_device_unlocked(
    auth_key: String,
    span: KeepSpan,
) -> Result<KeepUnlocked, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let (user_id, session) = ctx::session_caller(&domain).await?;
            let auth_key = crate::protocol::b64::decode(&auth_key)
                .map_err(|_| DomainError::invalid("The auth key is malformed."))?;
            let kept = domain
                .keep_unlocked(user_id, session, auth_key, span, &ctx::client_ip(&parts))
                .await?;
            if let Some(token) = ctx::presented(&domain, &parts).session_token() {
                let max_age = match span {
                    KeepSpan::Browser => None,
                    _ => Some(((kept.until_ms - domain.now_ms()) / 1000).max(1) as u64),
                };
                ctx::set_cookie(domain.kept_session_cookie(token, max_age));
            }
            Ok(kept)
        }
        .await,
    )
}

/// This session's unlock key, for a device that stays unlocked.
#[server(prefix = "/api", endpoint = "session/unlock-key", input = Json)]
pub async fn session_unlock_key() -> Result<String, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (_, session) = ctx::session_caller(&domain).await?;
            Ok(crate::protocol::b64::encode(
                &domain.unlock_key(session).await?,
            ))
        }
        .await,
    )
}

/// "Lock now": this session forgets its unlock key (the device wipes its copy itself).
#[server(prefix = "/api", endpoint = "session/lock", input = Json)]
pub async fn lock_device() -> Result<(), AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (_, session) = ctx::session_caller(&domain).await?;
            domain.lock_session(session).await
        }
        .await,
    )
}

/// What the login waiting in this browser (its ticket in the challenge cookie) asks for.
#[server(prefix = "/api", endpoint = "login/challenge", input = Json)]
pub async fn login_challenge() -> Result<ChallengeInfo, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let ticket = ctx::cookie(&parts, domain.challenge_cookie_name());
            domain.challenge_info(ticket.as_deref()).await
        }
        .await,
    )
}

/// Sends a (new) code by email for the login waiting in this browser; a login that must
/// confirm the address may name another `address` first.
#[server(prefix = "/api", endpoint = "login/challenge/email", input = Json)]
pub async fn login_challenge_email(address: Option<String>) -> Result<ChallengeInfo, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let ticket = ctx::cookie(&parts, domain.challenge_cookie_name());
            domain
                .challenge_send_email(ticket.as_deref(), address.as_deref())
                .await
        }
        .await,
    )
}

/// The Account page's view of email.
#[server(prefix = "/api", endpoint = "email/status", input = Json)]
pub async fn email_overview() -> Result<EmailStatus, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            domain.email_status(user_id).await
        }
        .await,
    )
}

/// Sets the address (unconfirmed) and sends a code to it.
#[server(prefix = "/api", endpoint = "email/set", input = Json)]
pub async fn email_set(address: String) -> Result<EmailStatus, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            domain.email_set(user_id, &address).await
        }
        .await,
    )
}

/// Sends a new code to the unconfirmed address.
#[server(prefix = "/api", endpoint = "email/resend", input = Json)]
pub async fn email_resend() -> Result<EmailStatus, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            domain.email_resend(user_id).await
        }
        .await,
    )
}

/// Confirms the address with the code sent to it.
#[server(prefix = "/api", endpoint = "email/verify", input = Json)]
pub async fn email_verify(code: String) -> Result<EmailStatus, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            domain.email_verify(user_id, &code).await
        }
        .await,
    )
}

/// Removes the address (and codes by email); needs the password.
#[server(prefix = "/api", endpoint = "email/remove", input = Json)]
pub async fn email_remove(auth_key: String) -> Result<EmailStatus, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            let auth_key = crate::protocol::b64::decode(&auth_key)
                .map_err(|_| DomainError::invalid("The auth key is malformed."))?;
            domain
                .email_remove(user_id, auth_key, &ctx::client_ip(&parts))
                .await
        }
        .await,
    )
}

/// Turns codes by email at login on; answers new recovery codes (once) if there were none.
#[server(prefix = "/api", endpoint = "email/codes/on", input = Json)]
pub async fn email_codes_on() -> Result<Vec<String>, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            domain.email_codes_on(user_id).await
        }
        .await,
    )
}

/// Turns codes by email at login off; needs the password.
#[server(prefix = "/api", endpoint = "email/codes/off", input = Json)]
pub async fn email_codes_off(auth_key: String) -> Result<(), AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let parts = ctx::parts()?;
            let (user_id, _) = ctx::session_caller(&domain).await?;
            let auth_key = crate::protocol::b64::decode(&auth_key)
                .map_err(|_| DomainError::invalid("The auth key is malformed."))?;
            domain
                .email_codes_off(user_id, auth_key, &ctx::client_ip(&parts))
                .await
        }
        .await,
    )
}

/// Whether this Coffer sends mail, and whether it wants a confirmed address before the first
/// login (for the registration form; no session needed, nothing about any account).
#[server(prefix = "/api", endpoint = "email/policy", input = Json)]
pub async fn email_policy() -> Result<EmailStatus, AppError> {
    ctx::respond(
        async {
            let domain = ctx::domain()?;
            let mail = &domain.settings().mail;
            Ok(EmailStatus {
                available: mail.enabled(),
                required: mail.enabled() && mail.require_email,
                ..Default::default()
            })
        }
        .await,
    )
}
