//! Webhook signatures: HMAC-SHA256 (RFC 2104) keyed with the integration's
//! secret over `<timestamp>.<body>`, sent as
//! `X-Switchboard-Signature: t=<unix seconds>,v1=<lowercase hex>`.
//!
//! The timestamp is inside what is signed, so a receiver that refuses
//! signatures older than a few minutes is safe from replays of a captured
//! request; every attempt is signed afresh with its own time. To check, a
//! receiver computes the HMAC of the timestamp, a dot and the raw body bytes
//! as received, and compares it with `v1` in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const HEADER: &str = "X-Switchboard-Signature";

/// The header value for `body` sent at `unix_secs`.
pub fn signature(secret: &[u8], unix_secs: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(unix_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={unix_secs},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Whether `header` is a valid signature of `body` under `secret` (what a
/// receiver does; the tests use it).
pub fn verify(secret: &[u8], header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<u64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&v1).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_known_value() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            signature(b"secret", 1_700_000_000, br#"{"a":1}"#),
            "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
    }

    #[test]
    fn verifies_its_own_and_refuses_changes() {
        let body = br#"{"InteractionID":7}"#;
        let sig = signature(b"k", 1_700_000_123, body);
        assert!(verify(b"k", &sig, body));
        assert!(!verify(b"other", &sig, body));
        assert!(!verify(b"k", &sig, br#"{"InteractionID":8}"#));
        let moved = sig.replace("t=1700000123", "t=1700000124");
        assert!(!verify(b"k", &moved, body));
        assert!(!verify(b"k", "v1=00", body));
        assert!(!verify(b"k", "t=1,v1=zz", body));
    }
}
