//! `X-Hub-Signature-256`: GitHub signs every webhook delivery's raw body
//! with HMAC-SHA256 under the App's webhook secret.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The environment variable `serve` reads the secret from.
pub const ENV: &str = "GITHUB_WEBHOOK_SECRET";

/// The webhook secret. Its `Debug` does not show it, so it can sit in
/// structs that are logged.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<hidden>)")
    }
}

/// Why a delivery's signature was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadSignature {
    Missing,
    /// Not `sha256=` followed by 64 hex digits.
    Malformed,
    Mismatch,
}

impl fmt::Display for BadSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BadSignature::Missing => "no X-Hub-Signature-256 header",
            BadSignature::Malformed => "X-Hub-Signature-256 is not `sha256=` and 64 hex digits",
            BadSignature::Mismatch => "X-Hub-Signature-256 does not match the body",
        })
    }
}

impl std::error::Error for BadSignature {}

impl WebhookSecret {
    pub fn new(secret: impl Into<Vec<u8>>) -> WebhookSecret {
        WebhookSecret(secret.into())
    }

    /// Reads [`ENV`]; unset or empty is an error, since an empty secret
    /// would let anyone sign deliveries.
    pub fn from_env() -> anyhow::Result<WebhookSecret> {
        match std::env::var_os(ENV) {
            Some(s) if !s.is_empty() => Ok(WebhookSecret(s.into_encoded_bytes())),
            _ => anyhow::bail!(
                "{ENV} is not set: serve needs the GitHub App's webhook secret to check deliveries"
            ),
        }
    }

    /// Checks the value of `X-Hub-Signature-256` against the raw body, in
    /// constant time.
    pub fn verify(&self, header: Option<&[u8]>, body: &[u8]) -> Result<(), BadSignature> {
        let header = header.ok_or(BadSignature::Missing)?;
        let hex_digest = header
            .strip_prefix(b"sha256=")
            .ok_or(BadSignature::Malformed)?;
        let mut digest = [0u8; 32];
        hex::decode_to_slice(hex_digest, &mut digest).map_err(|_| BadSignature::Malformed)?;
        self.mac(body)
            .verify_slice(&digest)
            .map_err(|_| BadSignature::Mismatch)
    }

    fn mac(&self, body: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(body);
        mac
    }
}

/// The `X-Hub-Signature-256` value GitHub would send for `body`:
/// `sha256=<hex>`. For tests and the load benchmark.
pub fn sign(secret: impl AsRef<[u8]>, body: impl AsRef<[u8]>) -> String {
    let mac = WebhookSecret::new(secret.as_ref()).mac(body.as_ref());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // GitHub's documented test vector ("Validating webhook deliveries").
    const SECRET: &str = "It's a Secret to Everybody";
    const BODY: &str = "Hello, World!";
    const SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn githubs_test_vector() {
        assert_eq!(sign(SECRET, BODY), SIGNATURE);
        let secret = WebhookSecret::new(SECRET);
        assert_eq!(
            secret.verify(Some(SIGNATURE.as_bytes()), BODY.as_bytes()),
            Ok(())
        );
        let upper = format!("sha256={}", SIGNATURE[7..].to_uppercase());
        assert_eq!(
            secret.verify(Some(upper.as_bytes()), BODY.as_bytes()),
            Ok(())
        );
    }

    #[test]
    fn forgeries_are_refused() {
        let secret = WebhookSecret::new(SECRET);
        let check =
            |h: Option<&str>, body: &str| secret.verify(h.map(str::as_bytes), body.as_bytes());
        assert_eq!(check(None, BODY), Err(BadSignature::Missing));
        assert_eq!(
            check(Some(SIGNATURE), "Hello, World?"),
            Err(BadSignature::Mismatch)
        );
        assert_eq!(
            check(Some(&sign("another secret", BODY)), BODY),
            Err(BadSignature::Mismatch)
        );
        for malformed in [
            "",
            &SIGNATURE[7..],
            "sha1=757107ea0eb2509fc211221cce984b8a37570b6d",
            &SIGNATURE[..SIGNATURE.len() - 2],
            &format!("{SIGNATURE}00"),
            &SIGNATURE.replace('e', "g"),
        ] {
            assert_eq!(
                check(Some(malformed), BODY),
                Err(BadSignature::Malformed),
                "{malformed}"
            );
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let shown = format!("{:?}", WebhookSecret::new(SECRET));
        assert!(!shown.contains("Secret to"), "{shown}");
    }
}
