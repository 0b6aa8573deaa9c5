//! Standard Webhooks signatures: `webhook-signature: v1,{base64 HMAC-SHA256(id.timestamp.body)}`,
//! one per valid secret (two during a rotation), space-separated. Pure, tested natively against
//! the specification's own example; the e2e test verifies deliveries with the official
//! `standardwebhooks` library.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a signing secret.
pub const PREFIX: &str = "whsec_";

/// A new secret from `random` bytes (24 of them, as Svix makes them).
pub fn secret_from(random: &[u8]) -> String {
    format!("{PREFIX}{}", STANDARD.encode(random))
}

/// `v1,{signature}` of `body` for message `id` at `timestamp` (seconds) with `secret`
/// (`whsec_…`); `None` if the secret is not one.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header for every secret in `secrets`.
pub fn header(secrets: &[String], id: &str, timestamp: i64, body: &str) -> Option<String> {
    let signatures: Option<Vec<String>> = secrets
        .iter()
        .map(|s| signature(s, id, timestamp, body))
        .collect();
    Some(signatures?.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification (and of its libraries' tests).
    #[test]
    fn the_specifications_example() {
        let got = signature(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            got.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn rotation_signs_with_both() {
        let a = secret_from(&[1; 24]);
        let b = secret_from(&[2; 24]);
        let both = header(&[a.clone(), b.clone()], "msg_1", 1, "{}").unwrap();
        let parts: Vec<&str> = both.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(Some(parts[0].to_owned()), signature(&a, "msg_1", 1, "{}"));
        assert_eq!(Some(parts[1].to_owned()), signature(&b, "msg_1", 1, "{}"));
    }

    #[test]
    fn a_malformed_secret_signs_nothing() {
        assert_eq!(signature("sk_nope", "m", 1, ""), None);
        assert_eq!(signature("whsec_***", "m", 1, ""), None);
    }
}
