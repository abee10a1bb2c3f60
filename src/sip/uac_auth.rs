//! Digest credentials we send as a client (RFC 3261 section 22.2, RFC
//! 7616): the challenge of a 401 or 407 we answer, and the Authorization
//! (or Proxy-Authorization) value answering it. Shared by the trunk's
//! registration ([`super::registration`]) and the INVITEs of outbound calls
//! through a trunk (`call::outbound_call`); whether a challenge is answered
//! at all (once per nonce, a stale one again) is each caller's rule.
//!
//! Of several digest challenges, SHA-256 is preferred over MD5; `qop=auth`
//! is used when offered (and a challenge offering only `auth-int` is not
//! answered). Each use of a challenge counts up the nonce count.

use super::auth::{ha1, Algorithm, DigestCredentials};
use super::message::{quoted_string, AuthValue, HeaderName, Response};

/// A digest challenge we answer, and how often we answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// From a 407 (Proxy-Authenticate): answered with Proxy-Authorization.
    pub proxy: bool,
    pub algorithm: Algorithm,
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub qop: bool,
    /// Uses so far (the nonce count of the last one).
    pub count: u32,
}

/// What a 401 or 407 asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenged {
    /// A challenge we can answer; `stale` when the server says only the
    /// nonce was old (RFC 7616 section 3.3).
    Digest { challenge: Challenge, stale: bool },
    /// No digest challenge we understand.
    Unanswerable,
}

impl Challenged {
    /// Reads the challenges of `resp` (a 401 reads WWW-Authenticate, a 407
    /// Proxy-Authenticate) and picks the one to answer.
    pub fn of(resp: &Response) -> Challenged {
        let proxy = resp.status == 407;
        let Ok(values) = resp.challenges(proxy) else {
            return Challenged::Unanswerable;
        };
        let mut best: Option<Challenge> = None;
        for v in values.iter().filter(|v| v.is_digest()) {
            if let Some(c) = parse(v, proxy) {
                let better = match &best {
                    None => true,
                    Some(b) => b.algorithm == Algorithm::Md5 && c.algorithm == Algorithm::Sha256,
                };
                if better {
                    best = Some(c);
                }
            }
        }
        let stale = values.iter().any(|v| {
            v.params
                .get_unquoted("stale")
                .flatten()
                .is_some_and(|s| s.eq_ignore_ascii_case("true"))
        });
        match best {
            Some(challenge) => Challenged::Digest { challenge, stale },
            None => Challenged::Unanswerable,
        }
    }
}

/// Who answers, and with what.
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The client nonce (used with `qop=auth`).
    pub cnonce: &'a str,
}

impl Challenge {
    /// The header and value answering this challenge for a `method` request
    /// to `uri`; counts the use.
    pub fn authorize(
        &mut self,
        method: &str,
        uri: &str,
        account: Account<'_>,
    ) -> (HeaderName, String) {
        self.count += 1;
        let name = if self.proxy {
            HeaderName::ProxyAuthorization
        } else {
            HeaderName::Authorization
        };
        (name, self.credentials(method, uri, account))
    }

    fn credentials(&self, method: &str, uri: &str, account: Account<'_>) -> String {
        let nc = format!("{:08x}", self.count);
        let creds = DigestCredentials {
            username: account.username.to_owned(),
            realm: self.realm.clone(),
            nonce: self.nonce.clone(),
            uri: uri.to_owned(),
            response: String::new(),
            algorithm: Some(self.algorithm.as_str().to_owned()),
            cnonce: self.qop.then(|| account.cnonce.to_owned()),
            opaque: self.opaque.clone(),
            qop: self.qop.then(|| "auth".to_owned()),
            nc: self.qop.then(|| nc.clone()),
        };
        let secret = ha1(
            self.algorithm,
            account.username,
            &self.realm,
            account.password,
        );
        let response = creds.expected_response(method, &secret).unwrap_or_default();
        let mut value = format!(
            "Digest username={}, realm={}, nonce={}, uri={}, response={}, algorithm={}",
            quoted_string(account.username),
            quoted_string(&self.realm),
            quoted_string(&self.nonce),
            quoted_string(uri),
            quoted_string(&response),
            self.algorithm.as_str()
        );
        if self.qop {
            value.push_str(&format!(
                ", qop=auth, nc={nc}, cnonce={}",
                quoted_string(account.cnonce)
            ));
        }
        if let Some(opaque) = &self.opaque {
            value.push_str(&format!(", opaque={}", quoted_string(opaque)));
        }
        value
    }
}

fn parse(v: &AuthValue, proxy: bool) -> Option<Challenge> {
    let get = |name: &str| v.params.get_unquoted(name).flatten();
    let algorithm = Algorithm::from_param(get("algorithm").as_deref())?;
    let qop = match get("qop") {
        None => false,
        Some(q) => {
            if !q.split(',').any(|t| t.trim().eq_ignore_ascii_case("auth")) {
                return None;
            }
            true
        }
    };
    Some(Challenge {
        proxy,
        algorithm,
        realm: get("realm")?,
        nonce: get("nonce")?,
        opaque: get("opaque"),
        qop,
        count: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, challenges: &[&str]) -> Response {
        let mut resp = Response::new(status, "Unauthorized");
        let name = if status == 407 {
            HeaderName::ProxyAuthenticate
        } else {
            HeaderName::WwwAuthenticate
        };
        for c in challenges {
            resp.headers.push(name.clone(), (*c).to_owned());
        }
        resp
    }

    #[test]
    fn sha256_is_preferred_and_unknown_schemes_are_unanswerable() {
        // (proxy, algorithm, qop, stale) of the challenge picked.
        type Picked = Option<(bool, Algorithm, bool, bool)>;
        let table: &[(u16, &[&str], Picked)] = &[
            (
                401,
                &["Digest realm=\"c\", nonce=\"n\""],
                Some((false, Algorithm::Md5, false, false)),
            ),
            (
                407,
                &[
                    "Digest realm=\"c\", nonce=\"n\", algorithm=MD5, qop=\"auth\"",
                    "Digest realm=\"c\", nonce=\"n\", algorithm=SHA-256, qop=\"auth\"",
                ],
                Some((true, Algorithm::Sha256, true, false)),
            ),
            (
                401,
                &["Digest realm=\"c\", nonce=\"n\", stale=TRUE"],
                Some((false, Algorithm::Md5, false, true)),
            ),
            (
                401,
                &["Digest realm=\"c\", nonce=\"n\", qop=\"auth-int\""],
                None,
            ),
            (401, &["Basic realm=\"c\""], None),
            (401, &["Digest nonce=\"n\""], None),
            (401, &[], None),
        ];
        for (status, challenges, expected) in table {
            let got = match Challenged::of(&response(*status, challenges)) {
                Challenged::Digest {
                    challenge: c,
                    stale,
                } => Some((c.proxy, c.algorithm, c.qop, stale)),
                Challenged::Unanswerable => None,
            };
            assert_eq!(got, *expected, "{challenges:?}");
        }
    }

    #[test]
    fn the_answer_verifies_and_counts_its_uses() {
        let resp = response(
            407,
            &["Digest realm=\"carrier\", nonce=\"abc\", qop=\"auth\", opaque=\"o\""],
        );
        let Challenged::Digest { mut challenge, .. } = Challenged::of(&resp) else {
            panic!("no challenge")
        };
        let account = Account {
            username: "trunk",
            password: "secret",
            cnonce: "cn",
        };
        for nc in ["00000001", "00000002"] {
            let (name, value) = challenge.authorize("INVITE", "sip:+4930@carrier", account);
            assert_eq!(name, HeaderName::ProxyAuthorization);
            let creds = DigestCredentials::parse(&value).unwrap();
            assert_eq!(creds.nc.as_deref(), Some(nc));
            assert_eq!(creds.opaque.as_deref(), Some("o"));
            let secret = ha1(Algorithm::Md5, "trunk", "carrier", "secret");
            assert!(creds.verify("INVITE", &secret).unwrap(), "{value}");
            assert!(!creds.verify("REGISTER", &secret).unwrap());
        }
    }
}
