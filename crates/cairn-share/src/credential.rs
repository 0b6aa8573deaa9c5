//! The Open Badges 3.0 credential of a shared badge, and the claims of its VC-JWT.
//!
//! The credential is an `OpenBadgeCredential` (W3C Verifiable Credentials 2.0 and OB 3.0
//! contexts): the issuer is the project's `Profile`, the subject an `AchievementSubject` whose
//! `Achievement` has the milestone's name, description, criteria narrative (the engine's own
//! criteria text) and image. The worker signs [`jwt_claims`] as a VC-JWT (RS256 through Web
//! Crypto: header `{alg, typ, kid}`; the payload is the credential itself with the registered
//! claims `iss`, `jti`, `nbf`, `sub` beside its members, OB 3.0 §8.2.4.1), the key's `kid`
//! being the URL of its public JWK. Revocation is a W3C Bitstring Status List: each credential
//! names its bit in the issuer's list ([`status_list`]), which the worker signs the same way.

use serde_json::{Value, json};

use crate::{Badge, Issuer, Urls};

/// The two contexts, in the order the specifications require.
pub const CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
];

/// The URLs an issuer publishes, under `origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerUrls {
    /// The `Profile` (also the JWT's `iss`).
    pub profile: String,
    /// Every public key, current and retired, as a JWK Set.
    pub jwks: String,
}

impl IssuerUrls {
    pub fn new(origin: &str, project: &str) -> Self {
        let profile = format!("{origin}/issuers/{project}");
        Self {
            jwks: format!("{profile}/jwks.json"),
            profile,
        }
    }

    /// The URL of one public key (the JWT header's `kid`).
    pub fn key(&self, kid: &str) -> String {
        format!("{}/keys/{kid}", self.profile)
    }

    /// The issuer's revocation status list (a `BitstringStatusListCredential`).
    pub fn status_list(&self) -> String {
        format!("{}/status", self.profile)
    }

    /// The URL of a milestone's `Achievement`.
    pub fn achievement(&self, milestone: &str) -> String {
        format!("{}/achievements/{milestone}", self.profile)
    }
}

/// The issuer's `Profile`.
pub fn profile(issuer: &Issuer, urls: &IssuerUrls) -> Value {
    let mut profile = json!({
        "@context": CONTEXTS,
        "id": urls.profile,
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
    });
    if let (Some(logo), Some(map)) = (&issuer.logo, profile.as_object_mut()) {
        map.insert("image".into(), json!({ "id": logo, "type": "Image" }));
    }
    profile
}

/// The credential of `badge`.
pub fn credential(
    badge: &Badge,
    issuer: &Issuer,
    urls: &Urls,
    issuer_urls: &IssuerUrls,
    status_index: u64,
) -> Value {
    let image = badge.image.clone().unwrap_or_else(|| urls.image.clone());
    let mut issuer_profile = json!({
        "id": issuer_urls.profile,
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
    });
    if let (Some(logo), Some(map)) = (&issuer.logo, issuer_profile.as_object_mut()) {
        map.insert("image".into(), json!({ "id": logo, "type": "Image" }));
    }
    let description = if badge.description.is_empty() {
        badge.criteria.clone()
    } else {
        badge.description.clone()
    };
    let mut subject = json!({
        "id": subject_id(urls),
        "type": ["AchievementSubject"],
        "achievement": {
            "id": issuer_urls.achievement(&badge.milestone),
            "type": ["Achievement"],
            "name": badge.title,
            "description": description,
            "criteria": { "narrative": badge.criteria },
            "image": { "id": image, "type": "Image", "caption": badge.alt },
        },
    });
    if let (Some(name), Some(map)) = (&badge.display_name, subject.as_object_mut()) {
        map.insert(
            "identifier".into(),
            json!([{
                "type": "IdentityObject",
                "identityHash": name,
                "identityType": "name",
                "hashed": false,
            }]),
        );
    }
    json!({
        "@context": CONTEXTS,
        "id": urls.credential,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": badge.title,
        "issuer": issuer_profile,
        "validFrom": badge.achieved_at,
        "credentialSubject": subject,
        "credentialStatus": {
            "id": format!("{}#{status_index}", issuer_urls.status_list()),
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": status_index.to_string(),
            "statusListCredential": issuer_urls.status_list(),
        },
    })
}

/// Bits of a status list at least (Bitstring Status List §6.1: 16 KB, so that one
/// credential's bit says nothing about who else holds one); it grows in steps of this size.
pub const STATUS_LIST_BITS: u64 = 131_072;

/// The bitstring with bits `revoked` set (bit 0 is the first byte's most significant bit), at
/// least [`STATUS_LIST_BITS`] long and covering `highest`.
pub fn bitstring(revoked: &[u64], highest: u64) -> Vec<u8> {
    let bits = (highest / STATUS_LIST_BITS + 1) * STATUS_LIST_BITS;
    let mut bytes = vec![0u8; usize::try_from(bits / 8).unwrap_or(0)];
    for &i in revoked {
        if let Some(byte) = usize::try_from(i / 8).ok().and_then(|b| bytes.get_mut(b)) {
            *byte |= 0x80 >> (i % 8);
        }
    }
    bytes
}

/// The issuer's `BitstringStatusListCredential`, `encoded` being the multibase (`u`, base64url
/// without padding) of the GZIP-compressed bitstring, valid from `now`.
pub fn status_list(issuer_urls: &IssuerUrls, encoded: &str, now: &str) -> Value {
    let url = issuer_urls.status_list();
    json!({
        "@context": [CONTEXTS[0]],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_urls.profile,
        "validFrom": now,
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    })
}

/// The subject's id: the share page's recipient (no user id or email leaves Cairn).
pub fn subject_id(urls: &Urls) -> String {
    format!("{}#recipient", urls.page)
}

/// The VC-JWT payload: the credential's own members with the registered claims OB 3.0 maps
/// from them (`iss` the issuer's id, `jti` the credential's, `sub` the subject's, `nbf`
/// `validFrom` in seconds) beside them.
pub fn jwt_claims(credential: &Value, nbf: i64) -> Value {
    let issuer = credential
        .pointer("/issuer/id")
        .or_else(|| credential.get("issuer"))
        .cloned();
    let mut payload = credential.clone();
    if let Some(map) = payload.as_object_mut() {
        map.insert("iss".into(), issuer.unwrap_or(Value::Null));
        if let Some(id) = credential.get("id") {
            map.insert("jti".into(), id.clone());
        }
        if let Some(sub) = credential.pointer("/credentialSubject/id") {
            map.insert("sub".into(), sub.clone());
        }
        map.insert("nbf".into(), nbf.into());
    }
    payload
}

/// The VC-JWT header for key `kid_url`.
pub fn jwt_header(kid_url: &str) -> Value {
    json!({ "alg": "RS256", "typ": "JWT", "kid": kid_url })
}
