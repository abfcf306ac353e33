//! Meta signs each delivery: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, keyed
//! with the app secret. Checked over the bytes received, in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub fn valid(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(given) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else { return false };
    let Ok(given) = hex::decode(given) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// The header value for `body` (what Meta would send); for tests and the benchmark.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_matches_only_its_body_and_secret() {
        let header = sign("s3cret", b"{\"a\":1}");
        assert!(valid("s3cret", b"{\"a\":1}", Some(&header)));
        assert!(!valid("s3cret", b"{\"a\": 1}", Some(&header)), "re-serialised JSON is another body");
        assert!(!valid("other", b"{\"a\":1}", Some(&header)));
        assert!(!valid("s3cret", b"{\"a\":1}", None));
        assert!(!valid("s3cret", b"{\"a\":1}", Some("sha256=zz")));
        assert!(!valid("s3cret", b"{\"a\":1}", Some(header.trim_start_matches("sha256="))));
    }
}
