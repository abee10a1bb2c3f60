//! Digest authentication for SIP (RFC 3261 section 22.4 with RFC 7616 and
//! RFC 8760): MD5 and SHA-256, `qop=auth`, stale nonces and nonce counts checked
//! against replay.
//!
//! Nonces are stateless to issue and check: each carries the moment it was made
//! and a tag keyed by a per-process secret, so a forged or altered nonce is
//! refused and an old one is answered with `stale=true` (the client retries
//! with the same password without asking the user). What is kept per nonce is
//! only the highest nonce count seen, in a bounded table, which is what stops a
//! captured Authorization header from being replayed.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use md5::Md5;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The digest algorithms the server understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// Parses the `algorithm` parameter; an absent one means MD5 (RFC 7616 3.3).
    pub fn from_param(value: Option<&str>) -> Option<Algorithm> {
        match value {
            None => Some(Algorithm::Md5),
            Some(v) if v.eq_ignore_ascii_case("MD5") => Some(Algorithm::Md5),
            Some(v) if v.eq_ignore_ascii_case("SHA-256") => Some(Algorithm::Sha256),
            Some(_) => None,
        }
    }

    /// The hex digest of `data` under this algorithm.
    pub fn hash_hex(self, data: &[u8]) -> String {
        match self {
            Algorithm::Md5 => hex::encode(Md5::digest(data)),
            Algorithm::Sha256 => hex::encode(Sha256::digest(data)),
        }
    }
}

/// `H(username:realm:password)`, which is what the store keeps instead of the
/// password.
pub fn ha1(algorithm: Algorithm, username: &str, realm: &str, password: &str) -> String {
    algorithm.hash_hex(format!("{username}:{realm}:{password}").as_bytes())
}

/// Why an Authorization header could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("authorization scheme is not Digest")]
    NotDigest,
    #[error("malformed authorization header: {0}")]
    Malformed(&'static str),
    #[error("missing digest parameter {0}")]
    Missing(&'static str),
    #[error("unsupported digest algorithm")]
    UnsupportedAlgorithm,
    #[error("unsupported qop")]
    UnsupportedQop,
}

/// The parameters of a Digest Authorization (or Proxy-Authorization) header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestCredentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Option<String>,
    pub cnonce: Option<String>,
    pub opaque: Option<String>,
    pub qop: Option<String>,
    pub nc: Option<String>,
}

impl DigestCredentials {
    /// Parses a header value such as `Digest username="1001", realm="x", ...`.
    pub fn parse(value: &str) -> Result<DigestCredentials, AuthError> {
        let value = value.trim_start();
        let (scheme, rest) = value
            .split_once(|c: char| c.is_ascii_whitespace())
            .ok_or(AuthError::NotDigest)?;
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(AuthError::NotDigest);
        }
        let mut creds = DigestCredentials::default();
        let (mut username, mut realm, mut nonce, mut uri, mut response) =
            (None, None, None, None, None);
        for (name, value) in AuthParams::new(rest) {
            let value = value?;
            match name.to_ascii_lowercase().as_str() {
                "username" => username = Some(value),
                "realm" => realm = Some(value),
                "nonce" => nonce = Some(value),
                "uri" => uri = Some(value),
                "response" => response = Some(value),
                "algorithm" => creds.algorithm = Some(value),
                "cnonce" => creds.cnonce = Some(value),
                "opaque" => creds.opaque = Some(value),
                "qop" => creds.qop = Some(value),
                "nc" => creds.nc = Some(value),
                _ => {}
            }
        }
        creds.username = username.ok_or(AuthError::Missing("username"))?;
        creds.realm = realm.ok_or(AuthError::Missing("realm"))?;
        creds.nonce = nonce.ok_or(AuthError::Missing("nonce"))?;
        creds.uri = uri.ok_or(AuthError::Missing("uri"))?;
        creds.response = response.ok_or(AuthError::Missing("response"))?;
        Ok(creds)
    }

    pub fn algorithm(&self) -> Result<Algorithm, AuthError> {
        Algorithm::from_param(self.algorithm.as_deref()).ok_or(AuthError::UnsupportedAlgorithm)
    }

    /// The nonce count as a number, when `qop` is in use.
    pub fn nonce_count(&self) -> Result<Option<u32>, AuthError> {
        match (&self.qop, &self.nc) {
            (None, _) => Ok(None),
            (Some(q), Some(nc)) if q.eq_ignore_ascii_case("auth") => u32::from_str_radix(nc, 16)
                .map(Some)
                .map_err(|_| AuthError::Malformed("nc is not 8 hex digits")),
            (Some(q), None) if q.eq_ignore_ascii_case("auth") => Err(AuthError::Missing("nc")),
            (Some(_), _) => Err(AuthError::UnsupportedQop),
        }
    }

    /// The response the client should have computed for `method`, given the
    /// stored HA1 (RFC 7616 section 3.4.1; RFC 2069 form when there is no qop).
    pub fn expected_response(&self, method: &str, ha1: &str) -> Result<String, AuthError> {
        let algorithm = self.algorithm()?;
        let ha2 = algorithm.hash_hex(format!("{method}:{}", self.uri).as_bytes());
        let input = match &self.qop {
            None => format!("{ha1}:{}:{ha2}", self.nonce),
            Some(qop) if qop.eq_ignore_ascii_case("auth") => {
                let nc = self.nc.as_deref().ok_or(AuthError::Missing("nc"))?;
                let cnonce = self.cnonce.as_deref().ok_or(AuthError::Missing("cnonce"))?;
                format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce)
            }
            Some(_) => return Err(AuthError::UnsupportedQop),
        };
        Ok(algorithm.hash_hex(input.as_bytes()))
    }

    /// Whether the response matches, compared in constant time.
    pub fn verify(&self, method: &str, ha1: &str) -> Result<bool, AuthError> {
        let expected = self.expected_response(method, ha1)?;
        let given = self.response.to_ascii_lowercase();
        Ok(constant_time_eq(expected.as_bytes(), given.as_bytes()))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Iterates `name=value` pairs separated by commas; values may be quoted with
/// backslash escapes (RFC 3261 section 25.1 quoted-string).
struct AuthParams<'a> {
    rest: &'a str,
}

impl<'a> AuthParams<'a> {
    fn new(rest: &'a str) -> Self {
        AuthParams { rest }
    }
}

impl<'a> Iterator for AuthParams<'a> {
    type Item = (&'a str, Result<String, AuthError>);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self
            .rest
            .trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return None;
        }
        let Some(eq) = rest.find('=') else {
            self.rest = "";
            return Some((rest, Err(AuthError::Malformed("parameter without value"))));
        };
        let name = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        self.rest = &quoted[i + 1..];
                        return Some((name, Ok(value)));
                    }
                    '\\' => match chars.next() {
                        Some((_, escaped)) => value.push(escaped),
                        None => break,
                    },
                    c => value.push(c),
                }
            }
            self.rest = "";
            Some((
                name,
                Err(AuthError::Malformed("unterminated quoted string")),
            ))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            self.rest = &after[end..];
            Some((name, Ok(after[..end].trim().to_owned())))
        }
    }
}

/// What a nonce check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceStatus {
    /// Ours, in date, and its count is new.
    Fresh,
    /// Ours but past its lifetime: challenge again with `stale=true`.
    Stale,
    /// Ours and in date, but this nonce count (or, without qop, the nonce
    /// itself) was already used: a replay.
    Replayed,
    /// Not a nonce this server made.
    Forged,
}

/// Issues and checks nonces; shared by every transport task.
pub struct Nonces {
    secret: [u8; 32],
    lifetime_ms: u64,
    /// Highest nonce count seen per nonce (0 for a nonce used without qop).
    seen: Mutex<Seen>,
    max_tracked: usize,
}

/// The replay table, and when it was last cleared of nonces past their
/// lifetime (which are answered Stale before the table is consulted, so
/// keeping them would only hold memory).
#[derive(Default)]
struct Seen {
    uses: HashMap<String, (u64, u32)>,
    swept_ms: u64,
}

const NONCE_HEX_LEN: usize = 16 + 16 + 24;

impl Nonces {
    /// `lifetime_ms` is how long a nonce stays fresh; `max_tracked` bounds the
    /// replay table (older entries are dropped first when it is full).
    pub fn new(lifetime_ms: u64, max_tracked: usize) -> Nonces {
        let mut secret = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        Nonces {
            secret,
            lifetime_ms,
            seen: Mutex::new(Seen::default()),
            max_tracked: max_tracked.max(16),
        }
    }

    fn tag(&self, stamp: &[u8; 16]) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(stamp);
        hex::encode(&h.finalize()[..12])
    }

    /// A new nonce made at `now_ms` (milliseconds since the Unix epoch).
    pub fn issue(&self, now_ms: u64) -> String {
        let mut stamp = [0u8; 16];
        stamp[..8].copy_from_slice(&now_ms.to_be_bytes());
        rand::thread_rng().fill_bytes(&mut stamp[8..]);
        let mut nonce = hex::encode(stamp);
        nonce.push_str(&self.tag(&stamp));
        nonce
    }

    /// Checks `nonce` used with `count` (None without qop) at `now_ms`, and
    /// remembers the use when it is fresh.
    pub fn check(&self, nonce: &str, count: Option<u32>, now_ms: u64) -> NonceStatus {
        if nonce.len() != NONCE_HEX_LEN {
            return NonceStatus::Forged;
        }
        let mut stamp = [0u8; 16];
        if hex::decode_to_slice(&nonce[..32], &mut stamp).is_err() {
            return NonceStatus::Forged;
        }
        if !constant_time_eq(self.tag(&stamp).as_bytes(), &nonce.as_bytes()[32..]) {
            return NonceStatus::Forged;
        }
        let mut issued = [0u8; 8];
        issued.copy_from_slice(&stamp[..8]);
        let issued = u64::from_be_bytes(issued);
        if now_ms.saturating_sub(issued) > self.lifetime_ms {
            return NonceStatus::Stale;
        }
        let count = count.unwrap_or(0);
        let mut guard = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let lifetime = self.lifetime_ms;
        // Once a lifetime, the nonces that went stale are forgotten, so the
        // table holds about two lifetimes of registrations at most, however
        // long the server runs.
        if now_ms.saturating_sub(guard.swept_ms) > lifetime {
            guard
                .uses
                .retain(|_, (at, _)| now_ms.saturating_sub(*at) <= lifetime);
            guard.swept_ms = now_ms;
        }
        let seen = &mut guard.uses;
        match seen.get_mut(nonce) {
            Some((_, last)) if count == 0 || count <= *last => NonceStatus::Replayed,
            Some((_, last)) => {
                *last = count;
                NonceStatus::Fresh
            }
            None => {
                if seen.len() >= self.max_tracked {
                    seen.retain(|_, (at, _)| now_ms.saturating_sub(*at) <= lifetime);
                    if seen.len() >= self.max_tracked {
                        // Still full of fresh nonces: forget the oldest half.
                        let mut ages: Vec<u64> = seen.values().map(|(at, _)| *at).collect();
                        ages.sort_unstable();
                        let cut = ages[ages.len() / 2];
                        seen.retain(|_, (at, _)| *at > cut);
                    }
                }
                seen.insert(nonce.to_owned(), (issued, count));
                NonceStatus::Fresh
            }
        }
    }
}

/// The value of a WWW-Authenticate header offering `algorithm`.
pub fn challenge(realm: &str, nonce: &str, algorithm: Algorithm, stale: bool) -> String {
    let mut value = String::with_capacity(160);
    let _ = write!(
        value,
        "Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm={}, qop=\"auth\"",
        algorithm.as_str()
    );
    if stale {
        value.push_str(", stale=true");
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of RFC 7616 section 3.9.1, which uses HTTP but the same
    /// computation.
    fn rfc7616_example(algorithm: &str) -> DigestCredentials {
        DigestCredentials::parse(&format!(
            "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\", \
             algorithm={algorithm}, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
             nc=00000001, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, \
             response=\"placeholder\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
        ))
        .unwrap()
    }

    #[test]
    fn md5_response_matches_rfc7616_example() {
        let creds = rfc7616_example("MD5");
        let ha1 = ha1(
            Algorithm::Md5,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
        );
        assert_eq!(
            creds.expected_response("GET", &ha1).unwrap(),
            "8ca523f5e9506fed4657c9700eebdbec"
        );
    }

    #[test]
    fn sha256_response_matches_rfc7616_example() {
        let creds = rfc7616_example("SHA-256");
        let ha1 = ha1(
            Algorithm::Sha256,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
        );
        assert_eq!(
            creds.expected_response("GET", &ha1).unwrap(),
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn a_wrong_password_does_not_verify() {
        let mut creds = rfc7616_example("MD5");
        creds.response = "8ca523f5e9506fed4657c9700eebdbec".into();
        let right = ha1(
            Algorithm::Md5,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
        );
        let wrong = ha1(
            Algorithm::Md5,
            "Mufasa",
            "http-auth@example.org",
            "circle of life",
        );
        assert!(creds.verify("GET", &right).unwrap());
        assert!(!creds.verify("GET", &wrong).unwrap());
        assert!(!creds.verify("POST", &right).unwrap());
    }

    #[test]
    fn quoted_values_keep_commas_and_escapes() {
        let creds = DigestCredentials::parse(
            "digest username=\"a\\\"b,c\",realm=\"r\",nonce=\"n\",uri=\"sip:x\",response=\"00\"",
        )
        .unwrap();
        assert_eq!(creds.username, "a\"b,c");
        assert_eq!(creds.uri, "sip:x");
        assert_eq!(creds.algorithm().unwrap(), Algorithm::Md5);
    }

    #[test]
    fn malformed_headers_are_errors_not_panics() {
        for bad in [
            "",
            "Basic abc",
            "Digest",
            "Digest username",
            "Digest username=\"unterminated",
            "Digest realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\"",
        ] {
            assert!(DigestCredentials::parse(bad).is_err(), "{bad:?}");
        }
        let creds = DigestCredentials::parse(
            "Digest username=a, realm=r, nonce=n, uri=u, response=x, algorithm=SHA-512-256",
        )
        .unwrap();
        assert_eq!(creds.algorithm(), Err(AuthError::UnsupportedAlgorithm));
    }

    #[test]
    fn nonces_go_stale_and_counts_cannot_be_replayed() {
        let nonces = Nonces::new(30_000, 1000);
        let n = nonces.issue(1_000_000);
        assert_eq!(nonces.check(&n, Some(1), 1_000_010), NonceStatus::Fresh);
        assert_eq!(nonces.check(&n, Some(1), 1_000_020), NonceStatus::Replayed);
        assert_eq!(nonces.check(&n, Some(2), 1_000_030), NonceStatus::Fresh);
        assert_eq!(nonces.check(&n, Some(3), 1_031_000), NonceStatus::Stale);
        let without_qop = nonces.issue(1_000_000);
        assert_eq!(
            nonces.check(&without_qop, None, 1_000_001),
            NonceStatus::Fresh
        );
        assert_eq!(
            nonces.check(&without_qop, None, 1_000_002),
            NonceStatus::Replayed
        );
    }

    #[test]
    fn altered_or_foreign_nonces_are_forged() {
        let nonces = Nonces::new(30_000, 1000);
        let other = Nonces::new(30_000, 1000);
        let n = nonces.issue(5);
        let mut altered = n.clone().into_bytes();
        altered[3] = if altered[3] == b'0' { b'1' } else { b'0' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(nonces.check(&altered, Some(1), 6), NonceStatus::Forged);
        assert_eq!(other.check(&n, Some(1), 6), NonceStatus::Forged);
        assert_eq!(nonces.check("abc", Some(1), 6), NonceStatus::Forged);
        assert_eq!(
            nonces.check(&"z".repeat(NONCE_HEX_LEN), Some(1), 6),
            NonceStatus::Forged
        );
    }

    #[test]
    fn the_replay_table_stays_bounded() {
        let nonces = Nonces::new(1_000_000, 64);
        for i in 0..1000 {
            let n = nonces.issue(i);
            assert_eq!(nonces.check(&n, Some(1), i), NonceStatus::Fresh);
        }
        assert!(nonces.seen.lock().unwrap().uses.len() <= 64);
    }

    #[test]
    fn stale_nonces_are_forgotten_well_before_the_table_is_full() {
        let lifetime = 30_000;
        let nonces = Nonces::new(lifetime, 200_000);
        // An hour of registrations, one every 100 ms of virtual time.
        let mut most = 0;
        for i in 0..36_000u64 {
            let now = i * 100;
            let n = nonces.issue(now);
            assert_eq!(nonces.check(&n, Some(1), now), NonceStatus::Fresh);
            most = most.max(nonces.seen.lock().unwrap().uses.len());
        }
        // About two lifetimes' worth (600 nonces), not the hour's 36 000.
        assert!(most <= 700, "{most} nonces tracked");
    }

    #[test]
    fn challenge_names_algorithm_and_staleness() {
        let c = challenge("example.com", "abc", Algorithm::Sha256, true);
        assert_eq!(
            c,
            "Digest realm=\"example.com\", nonce=\"abc\", algorithm=SHA-256, qop=\"auth\", stale=true"
        );
    }
}
