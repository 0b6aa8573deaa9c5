//! The Open Badges 3.0 credential of a shared badge, and the claims of its VC-JWT.
//!
//! The credential is an `OpenBadgeCredential` (W3C Verifiable Credentials 2.0 and OB 3.0
//! contexts): the issuer is the project's `Profile`, the subject an `AchievementSubject` whose
//! `Achievement` has the milestone's name, description, criteria narrative (the engine's own
//! criteria text) and image. The worker signs [`jwt_claims`] as a VC-JWT (RS256 through Web
//! Crypto: header `{alg, typ, kid}`, payload `{iss, jti, nbf, sub, vc}` as OB 3.0 §8.2 asks),
//! the key's `kid` being the URL of its public JWK.

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

    /// The issuer's revocation list (1EdTech Revocation List Status Method).
    pub fn revocations(&self) -> String {
        format!("{}/revocations", self.profile)
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
pub fn credential(badge: &Badge, issuer: &Issuer, urls: &Urls, issuer_urls: &IssuerUrls) -> Value {
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
            "id": issuer_urls.revocations(),
            "type": "1EdTechRevocationList",
        },
    })
}

/// The issuer's revocation list: every revoked credential's id.
pub fn revocation_list(issuer_urls: &IssuerUrls, revoked: &[(String, String)]) -> Value {
    json!({
        "id": issuer_urls.revocations(),
        "issuer": issuer_urls.profile,
        "revokedCredentials": revoked
            .iter()
            .map(|(id, at)| json!({ "id": id, "revoked": true, "revokedAt": at }))
            .collect::<Vec<_>>(),
    })
}

/// The subject's id: the share page's recipient (no user id or email leaves Cairn).
pub fn subject_id(urls: &Urls) -> String {
    format!("{}#recipient", urls.page)
}

/// The VC-JWT payload: the registered claims OB 3.0 maps from the credential, and the
/// credential itself as `vc`. `nbf` is `validFrom` in seconds.
pub fn jwt_claims(credential: &Value, nbf: i64) -> Value {
    json!({
        "iss": credential.pointer("/issuer/id"),
        "jti": credential.get("id"),
        "sub": credential.pointer("/credentialSubject/id"),
        "nbf": nbf,
        "vc": credential,
    })
}

/// The VC-JWT header for key `kid_url`.
pub fn jwt_header(kid_url: &str) -> Value {
    json!({ "alg": "RS256", "typ": "JWT", "kid": kid_url })
}
