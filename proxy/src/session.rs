//! Browser sessions. The openid never comes from the browser: it lives server-side, keyed by
//! a random session id that the browser holds in an HttpOnly cookie signed with the server
//! secret. Logout and expiry remove the server-side entry, so a replayed cookie is dead.

use crate::store::StoreError;
use crate::store::{key, user_tag, PerMinute, Store};
use crate::token::random_token;
use cookie::{Cookie, CookieJar, SameSite};
use ring::hmac;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "cw_session";
/// Set when a WeChat OAuth login starts: binds its `state` to this browser, for ten minutes.
pub const LOGIN_COOKIE: &str = "cw_login";

/// A cookie's name on the wire: with the `__Host-` prefix whenever cookies are Secure, so that
/// a sibling subdomain cannot plant one (the browser takes such a name only Secure, host-only,
/// for the whole site).
pub fn cookie_name(name: &'static str, secure: bool) -> &'static str {
    match (name, secure) {
        (COOKIE, true) => "__Host-cw_session",
        (LOGIN_COOKIE, true) => "__Host-cw_login",
        (name, _) => name,
    }
}

/// A session id: its user's [`user_tag`] (8 hex digits), then a [`random_token`]. The tag puts
/// the session's keys in its user's Redis Cluster slot.
fn new_id(openid: &str) -> String {
    format!("{}{}", user_tag(openid), random_token())
}

/// Whether `id` has the form [`new_id`] gives: anything else is refused before the store is
/// asked about it.
fn is_id(id: &str) -> bool {
    let (tag, token) = id.split_at_checked(8).unwrap_or_default();
    tag.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && token.len() == 24
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An id as a key part, its tag made the hash tag (`{1a2b3c4d}…`); only for ids [`is_id`] took.
fn tagged(id: &str) -> String {
    let (tag, token) = id.split_at_checked(8).unwrap_or_default();
    format!("{{{tag}}}{token}")
}
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Why a request has no usable session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No cookie, a cookie not signed here, or a session that ended: `login_url` starts one.
    #[error("no valid session")]
    Unauthenticated { login_url: String },
    #[error("too many requests from this session")]
    RateLimited,
    #[error("a POST without the session's CSRF token")]
    CsrfFailed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the store keeps of a session (JSON at `cw:v2:session:{tag}token`).
#[derive(serde::Serialize, serde::Deserialize)]
struct Record {
    openid: String,
    csrf: String,
    /// Unix milliseconds.
    expires_at: i64,
}

/// What a request learns from a valid session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub openid: String,
    pub csrf: String,
    pub expires_in: Duration,
    /// The value at the key [`Sessions::reading_along`] names for this openid, read in the same
    /// round trip as the session (`None`: not read this time).
    pub read_along: Option<Option<Vec<u8>>>,
}

pub struct Sessions {
    key: hmac::Key,
    /// Sign cookie values (the `cookie` crate's signed jar: HMAC-SHA256), one key per cookie:
    /// the jar's MAC covers the value only, so with one key a login cookie's value would
    /// verify as a session cookie's.
    session_cookie_key: cookie::Key,
    login_cookie_key: cookie::Key,
    ttl: Duration,
    rate_per_minute: u32,
    store: Arc<dyn Store>,
    read_along: Option<ReadAlong>,
    /// Where a browser without a session goes to get one.
    login_url: String,
}

/// A key the session's user needs on nearly every request (the wallet's version), read in the
/// session's own round trip. A session id's openid never changes, so each instance remembers
/// the openids of the sessions it has served and names that key before reading the session.
/// One round trip instead of two (BENCHMARKS.md has the figures).
struct ReadAlong {
    key: fn(&str) -> String,
    openids: moka::sync::Cache<String, String>,
}

impl Sessions {
    pub fn new(
        secret: &[u8],
        ttl: Duration,
        rate_per_minute: u32,
        store: Arc<dyn Store>,
    ) -> Sessions {
        // The cookie crate wants 64 bytes of key material: SHA-512 of the secret and the name.
        let key_for = |name: &str| {
            let material = ring::digest::digest(
                &ring::digest::SHA512,
                &[secret, b"\x1f", name.as_bytes()].concat(),
            );
            cookie::Key::from(material.as_ref())
        };
        Sessions {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            session_cookie_key: key_for(COOKIE),
            login_cookie_key: key_for(LOGIN_COOKIE),
            ttl,
            rate_per_minute,
            store,
            read_along: None,
            login_url: "/".to_owned(),
        }
    }

    /// Reads `key(openid)` with every session after the first on this instance (only for a key
    /// in the sessions' own store).
    pub fn reading_along(mut self, key: fn(&str) -> String) -> Sessions {
        let openids =
            moka::sync::Cache::builder().max_capacity(100_000).time_to_idle(self.ttl).build();
        self.read_along = Some(ReadAlong { key, openids });
        self
    }

    /// Names where a browser without a session logs in (reported with every `Unauthenticated`).
    pub fn login_at(mut self, login_url: String) -> Sessions {
        self.login_url = login_url;
        self
    }

    /// Starts a session for `openid`; returns the cookie value.
    pub async fn create(&self, openid: &str) -> Result<String, SessionError> {
        let id = new_id(openid);
        let record = Record {
            openid: openid.to_owned(),
            csrf: random_token(),
            expires_at: crate::clock::now().unix_millis() + self.ttl.as_millis() as i64,
        };
        let value = serde_json::to_vec(&record).map_err(|e| StoreError(e.to_string()))?;
        self.store.set(&key(&["session", &tagged(&id)]), value, self.ttl).await?;
        crate::metrics::session_started();
        Ok(self.sign(COOKIE, &id))
    }

    fn cookie_key(&self, name: &str) -> &cookie::Key {
        if name == COOKIE {
            &self.session_cookie_key
        } else {
            &self.login_cookie_key
        }
    }

    /// `value` signed for cookie `name` (`COOKIE` or `LOGIN_COOKIE`), as the cookie's value.
    pub fn sign(&self, name: &str, value: &str) -> String {
        let mut jar = CookieJar::new();
        jar.signed_mut(self.cookie_key(name)).add(Cookie::new(name.to_owned(), value.to_owned()));
        jar.get(name).map(|c| c.value().to_owned()).unwrap_or_default()
    }

    /// What a signed cookie value holds, if the signature is this server's for cookie `name`.
    pub fn verify(&self, name: &str, signed: &str) -> Option<String> {
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new(name.to_owned(), signed.to_owned()));
        jar.signed(self.cookie_key(name)).get(name).map(|c| c.value().to_owned())
    }

    /// The session a cookie names, counted against its rate limit (per minute, across every
    /// instance sharing the store).
    pub async fn resolve(&self, cookie_value: Option<&str>) -> Result<Session, SessionError> {
        let unauthenticated =
            || SessionError::Unauthenticated { login_url: self.login_url.clone() };
        let value = cookie_value.ok_or_else(unauthenticated)?;
        let id = self.verify(COOKIE, value).filter(|id| is_id(id)).ok_or_else(unauthenticated)?;
        let counter = PerMinute::at(&["rate", &tagged(&id)], crate::clock::now().unix_millis());
        let known = self
            .read_along
            .as_ref()
            .and_then(|r| r.openids.get(&id).map(|openid| ((r.key)(&openid), openid)));
        let mut keys = vec![key(&["session", &tagged(&id)])];
        let known = known.map(|(along, openid)| {
            keys.push(along);
            openid
        });
        let (mut values, count) = self.store.get_all_and_count(&keys, &counter).await?;
        let along = if known.is_some() { values.pop() } else { None };
        let stored = values.pop().flatten().ok_or_else(unauthenticated)?;
        let record: Record = serde_json::from_slice(&stored).map_err(|_| unauthenticated())?;
        let left = record.expires_at - crate::clock::now().unix_millis();
        if left <= 0 {
            return Err(unauthenticated());
        }
        if counter.over(count, u64::from(self.rate_per_minute)) {
            return Err(SessionError::RateLimited);
        }
        let read_along = match (&self.read_along, known) {
            (_, Some(openid)) if openid == record.openid => along,
            (Some(r), _) => {
                r.openids.insert(id.clone(), record.openid.clone());
                None
            }
            (None, _) => None,
        };
        Ok(Session {
            id,
            openid: record.openid,
            csrf: record.csrf,
            expires_in: Duration::from_millis(left as u64),
            read_along,
        })
    }

    pub async fn destroy(&self, id: &str) -> Result<(), SessionError> {
        self.store.delete(&key(&["session", &tagged(id)])).await?;
        if let Some(r) = &self.read_along {
            r.openids.invalidate(id);
        }
        crate::metrics::session_ended();
        Ok(())
    }

    /// Marks an OAuth `state` used; false when it was used before (on any instance).
    pub async fn first_use_of_state(&self, state: &str) -> Result<bool, SessionError> {
        Ok(self
            .store
            .set_if_absent(&key(&["oauth-state", state]), b"1".to_vec(), Duration::from_secs(600))
            .await?)
    }

    /// Keyed hash of `parts`, for idempotency keys that must not reveal or be forgeable from them.
    pub fn keyed_hash(&self, parts: &[&str]) -> String {
        let tag = hmac::sign(&self.key, parts.join("\u{1f}").as_bytes());
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl Session {
    /// POSTs must echo the session's CSRF token in a header a cross-site form cannot set.
    pub fn check_csrf(&self, headers: &axum::http::HeaderMap) -> Result<(), SessionError> {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if sent.is_empty() || !bool::from(sent.as_bytes().ct_eq(self.csrf.as_bytes())) {
            return Err(SessionError::CsrfFailed);
        }
        Ok(())
    }
}

/// The `Set-Cookie` value for cookie `name` (or its removal with `value = None`): HttpOnly,
/// SameSite=Lax, for the whole site, `__Host-` prefixed when Secure, the value percent-encoded
/// (a `;` in it can never add an attribute).
pub fn set_cookie(
    name: &'static str,
    value: Option<&str>,
    secure: bool,
    max_age: Duration,
) -> String {
    let max_age = if value.is_some() { max_age } else { Duration::ZERO };
    Cookie::build((cookie_name(name, secure), value.unwrap_or_default().to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ))
        .build()
        .encoded()
        .to_string()
}

/// Cookie `name`'s value from a request's `Cookie` headers (under its wire name).
pub fn cookie_value(
    headers: &axum::http::HeaderMap,
    name: &'static str,
    secure: bool,
) -> Option<String> {
    let wire = cookie_name(name, secure);
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| {
            Cookie::split_parse_encoded(v.to_owned()).filter_map(Result::ok).collect::<Vec<_>>()
        })
        .find(|c| c.name() == wire)
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    fn sessions(secret: &[u8], ttl: Duration, rate: u32) -> Sessions {
        Sessions::new(secret, ttl, rate, Arc::new(MemoryStore::new(1 << 20)))
    }

    #[tokio::test]
    async fn cookies_are_bound_to_the_secret_and_die_with_logout() {
        let s = sessions(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60), 100);
        let cookie = s.create("o_user").await.unwrap();
        assert_eq!(s.resolve(Some(&cookie)).await.unwrap().openid, "o_user");
        let other = sessions(b"another secret, another server!!", Duration::from_secs(60), 100);
        assert!(
            other.resolve(Some(&cookie)).await.is_err(),
            "a cookie signed elsewhere is refused"
        );
        let id = s.resolve(Some(&cookie)).await.unwrap().id;
        let forged = format!("{}{}", if cookie.starts_with('A') { 'B' } else { 'A' }, &cookie[1..]);
        assert!(s.resolve(Some(&forged)).await.is_err(), "a forged tag is refused");
        assert!(s.resolve(Some(&id)).await.is_err(), "a bare id is refused");
        s.destroy(&id).await.unwrap();
        assert!(
            s.resolve(Some(&cookie)).await.is_err(),
            "a cookie replayed after logout is refused"
        );
    }

    /// A store that is down: every call fails.
    struct Down;

    fn down<T>() -> crate::store::StoreResult<T> {
        Err(crate::store::StoreError("down".into()))
    }

    #[async_trait::async_trait]
    impl Store for Down {
        async fn get(&self, _: &str) -> crate::store::StoreResult<Option<Vec<u8>>> {
            down()
        }
        async fn set(&self, _: &str, _: Vec<u8>, _: Duration) -> crate::store::StoreResult<()> {
            down()
        }
        async fn set_if_absent(
            &self,
            _: &str,
            _: Vec<u8>,
            _: Duration,
        ) -> crate::store::StoreResult<bool> {
            down()
        }
        async fn delete(&self, _: &str) -> crate::store::StoreResult<()> {
            down()
        }
        async fn delete_if_equal(&self, _: &str, _: &[u8]) -> crate::store::StoreResult<()> {
            down()
        }
        async fn count(
            &self,
            _: &crate::store::PerMinute,
        ) -> crate::store::StoreResult<crate::store::Counts> {
            down()
        }
        async fn increment_below(
            &self,
            _: &str,
            _: u64,
            _: Duration,
        ) -> crate::store::StoreResult<Option<u64>> {
            down()
        }
        async fn ping(&self) -> crate::store::StoreResult<()> {
            down()
        }
        fn kind(&self) -> coupon_rules::api::StoreKind {
            coupon_rules::api::StoreKind::Memory
        }
    }

    #[tokio::test]
    async fn a_login_cookie_never_stands_in_for_a_session_cookie() {
        let s = sessions(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60), 100);
        let cookie = s.create("o_user").await.unwrap();
        let id = s.verify(COOKIE, &cookie).unwrap();
        // Anyone gets a login cookie's value from /oauth/login: signed by this server, but not
        // as a session.
        let login = s.sign(LOGIN_COOKIE, &id);
        assert!(s.verify(COOKIE, &login).is_none());
        assert!(s.resolve(Some(&login)).await.is_err());
        assert!(s.verify(LOGIN_COOKIE, &cookie).is_none(), "nor the other way round");
    }

    #[tokio::test]
    async fn an_id_not_of_the_servers_form_is_refused_before_the_store_is_asked() {
        // A store that fails every call: reaching it would be a 503, not a 401.
        let s = Sessions::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(60),
            100,
            Arc::new(Down),
        );
        let long = s.sign(COOKIE, &"x".repeat(60_000));
        assert!(matches!(s.resolve(Some(&long)).await, Err(SessionError::Unauthenticated { .. })));
        let token_shaped = s.sign(COOKIE, &new_id("o_user"));
        for wrong in [
            random_token(),
            format!("{}{}", "G".repeat(8), random_token()),
            format!("{}{}", user_tag("o"), "x".repeat(25)),
        ] {
            assert!(
                matches!(
                    s.resolve(Some(&s.sign(COOKIE, &wrong))).await,
                    Err(SessionError::Unauthenticated { .. })
                ),
                "{wrong}"
            );
        }
        assert!(
            matches!(s.resolve(Some(&token_shaped)).await, Err(SessionError::Store(_))),
            "a well-formed id does reach it"
        );
    }

    #[test]
    fn a_cookie_value_cannot_add_attributes() {
        let set = set_cookie(
            LOGIN_COOKIE,
            Some("state|1|/shop;Domain=evil.example"),
            true,
            Duration::from_secs(60),
        );
        assert!(set.starts_with("__Host-cw_login=") && !set.contains("Domain="), "{set}");
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(axum::http::header::COOKIE, set.split(';').next().unwrap().parse().unwrap());
        assert_eq!(
            cookie_value(&headers, LOGIN_COOKIE, true).as_deref(),
            Some("state|1|/shop;Domain=evil.example")
        );
        assert_eq!(
            cookie_value(&headers, LOGIN_COOKIE, false),
            None,
            "the plain name is another cookie"
        );
    }

    #[tokio::test]
    async fn expired_sessions_are_refused() {
        let s = sessions(b"0123456789abcdef0123456789abcdef", Duration::from_millis(1), 100);
        let cookie = s.create("o_user").await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(s.resolve(Some(&cookie)).await.is_err());
    }

    #[tokio::test]
    async fn a_key_read_along_is_the_sessions_own_users_and_follows_the_store() {
        let store = Arc::new(MemoryStore::new(1 << 20));
        let s = Sessions::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(60),
            100,
            store.clone(),
        )
        .reading_along(|openid| key(&["along", &crate::store::user(openid)]));
        let cookie = s.create("o_user").await.unwrap();
        store
            .set(
                &key(&["along", &crate::store::user("o_user")]),
                b"v1".to_vec(),
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        store
            .set(
                &key(&["along", &crate::store::user("o_other")]),
                b"not hers".to_vec(),
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        assert_eq!(
            s.resolve(Some(&cookie)).await.unwrap().read_along,
            None,
            "the first request learns the openid"
        );
        assert_eq!(s.resolve(Some(&cookie)).await.unwrap().read_along, Some(Some(b"v1".to_vec())));
        store.delete(&key(&["along", &crate::store::user("o_user")])).await.unwrap();
        assert_eq!(
            s.resolve(Some(&cookie)).await.unwrap().read_along,
            Some(None),
            "read afresh on every request"
        );
        let id = s.resolve(Some(&cookie)).await.unwrap().id;
        s.destroy(&id).await.unwrap();
        assert!(
            s.resolve(Some(&cookie)).await.is_err(),
            "the session is still read from the store"
        );
    }

    #[tokio::test]
    async fn a_session_is_rate_limited() {
        let s = sessions(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60), 3);
        let cookie = s.create("o_user").await.unwrap();
        for _ in 0..3 {
            assert!(s.resolve(Some(&cookie)).await.is_ok());
        }
        assert!(matches!(s.resolve(Some(&cookie)).await, Err(SessionError::RateLimited)));
    }
}
