//! Browser sessions. The openid never comes from the browser: it lives server-side, keyed by
//! a random session id that the browser holds in an HttpOnly cookie signed with the server
//! secret. Logout and expiry remove the server-side entry, so a replayed cookie is dead.

use crate::error::ApiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use cookie::{Cookie, CookieJar, SameSite};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "cw_session";
/// Set when a WeChat OAuth login starts: binds its `state` to this browser, for ten minutes.
pub const LOGIN_COOKIE: &str = "cw_login";
pub const CSRF_HEADER: &str = "x-csrf-token";

struct Entry {
    openid: String,
    csrf: String,
    expires: Instant,
    window_start: Instant,
    window_count: u32,
}

/// What a request learns from a valid session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub openid: String,
    pub csrf: String,
    pub expires_in: Duration,
}

pub struct Sessions {
    key: hmac::Key,
    /// Signs cookie values (the `cookie` crate's signed jar: HMAC-SHA256).
    cookie_key: cookie::Key,
    ttl: Duration,
    rate_per_minute: u32,
    entries: Mutex<HashMap<String, Entry>>,
}

impl Sessions {
    pub fn new(secret: &[u8], ttl: Duration, rate_per_minute: u32) -> Sessions {
        // The cookie crate wants 64 bytes of key material: SHA-512 of the secret.
        let material = ring::digest::digest(&ring::digest::SHA512, secret);
        Sessions {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            cookie_key: cookie::Key::from(material.as_ref()),
            ttl,
            rate_per_minute,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a session for `openid`; returns the cookie value.
    pub fn create(&self, openid: &str) -> String {
        let id = random_token();
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("sessions lock");
        entries.retain(|_, e| e.expires > now);
        crate::metrics::live_sessions(entries.len() + 1);
        entries.insert(id.clone(), Entry { openid: openid.to_owned(), csrf: random_token(), expires: now + self.ttl, window_start: now, window_count: 0 });
        self.sign(COOKIE, &id)
    }

    /// `value` signed for cookie `name`, as the cookie's value.
    pub fn sign(&self, name: &str, value: &str) -> String {
        let mut jar = CookieJar::new();
        jar.signed_mut(&self.cookie_key).add(Cookie::new(name.to_owned(), value.to_owned()));
        jar.get(name).map(|c| c.value().to_owned()).unwrap_or_default()
    }

    /// What a signed cookie value holds, if the signature is this server's.
    pub fn verify(&self, name: &str, signed: &str) -> Option<String> {
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(name.to_owned(), signed.to_owned()));
        jar.signed(&self.cookie_key).get(name).map(|c| c.value().to_owned())
    }

    /// The session a cookie names, counted against its rate limit.
    pub fn resolve(&self, cookie_value: Option<&str>, login_url: &str) -> Result<Session, ApiError> {
        let unauthenticated = || ApiError::Unauthenticated { login_url: login_url.to_owned() };
        let value = cookie_value.ok_or_else(unauthenticated)?;
        let id = self.verify(COOKIE, value).ok_or_else(unauthenticated)?;
        let id = id.as_str();
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("sessions lock");
        let entry = entries.get_mut(id).filter(|e| e.expires > now).ok_or_else(unauthenticated)?;
        if now.duration_since(entry.window_start) >= Duration::from_secs(60) {
            entry.window_start = now;
            entry.window_count = 0;
        }
        entry.window_count += 1;
        if entry.window_count > self.rate_per_minute {
            return Err(ApiError::RateLimited);
        }
        Ok(Session { id: id.to_owned(), openid: entry.openid.clone(), csrf: entry.csrf.clone(), expires_in: entry.expires - now })
    }

    pub fn destroy(&self, id: &str) {
        self.entries.lock().expect("sessions lock").remove(id);
    }

    /// Keyed hash of `parts`, for idempotency keys that must not reveal or be forgeable from them.
    pub fn keyed_hash(&self, parts: &[&str]) -> String {
        let tag = hmac::sign(&self.key, parts.join("\u{1f}").as_bytes());
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl Session {
    /// POSTs must echo the session's CSRF token in a header a cross-site form cannot set.
    pub fn check_csrf(&self, headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if sent.is_empty() || !bool::from(sent.as_bytes().ct_eq(self.csrf.as_bytes())) {
            return Err(ApiError::CsrfFailed);
        }
        Ok(())
    }
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 18];
    SystemRandom::new().fill(&mut bytes).expect("the OS random source is available");
    B64.encode(bytes)
}

/// The `Set-Cookie` value for cookie `name` (or its removal with `value = None`): HttpOnly,
/// SameSite=Lax, for the whole site.
pub fn set_cookie(name: &'static str, value: Option<&str>, secure: bool, max_age: Duration) -> String {
    let max_age = if value.is_some() { max_age } else { Duration::ZERO };
    Cookie::build((name, value.unwrap_or_default().to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX)))
        .build()
        .to_string()
}

/// Cookie `name`'s value from a request's `Cookie` headers.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_owned()).filter_map(Result::ok).collect::<Vec<_>>())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_bound_to_the_secret_and_die_with_logout() {
        let s = Sessions::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60), 100);
        let cookie = s.create("o_user");
        assert_eq!(s.resolve(Some(&cookie), "/login").unwrap().openid, "o_user");
        let other = Sessions::new(b"another secret, another server!!", Duration::from_secs(60), 100);
        assert!(other.resolve(Some(&cookie), "/login").is_err(), "a cookie signed elsewhere is refused");
        let id = s.resolve(Some(&cookie), "/login").unwrap().id;
        let forged = format!("{}{}", if cookie.starts_with('A') { 'B' } else { 'A' }, &cookie[1..]);
        assert!(s.resolve(Some(&forged), "/login").is_err(), "a forged tag is refused");
        assert!(s.resolve(Some(&id), "/login").is_err(), "a bare id is refused");
        s.destroy(&id);
        assert!(s.resolve(Some(&cookie), "/login").is_err(), "a cookie replayed after logout is refused");
    }

    #[test]
    fn expired_sessions_are_refused() {
        let s = Sessions::new(b"0123456789abcdef0123456789abcdef", Duration::from_millis(0), 100);
        let cookie = s.create("o_user");
        assert!(s.resolve(Some(&cookie), "/login").is_err());
    }

    #[test]
    fn a_session_is_rate_limited() {
        let s = Sessions::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60), 3);
        let cookie = s.create("o_user");
        for _ in 0..3 {
            assert!(s.resolve(Some(&cookie), "/").is_ok());
        }
        assert!(matches!(s.resolve(Some(&cookie), "/"), Err(ApiError::RateLimited)));
    }
}
