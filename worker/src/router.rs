//! The route table: `(method, path)` parsed into a typed [`Route`] before any handler runs.
//!
//! Pure (no request, no runtime), so it is tested natively. Paths are matched by `matchit` (the
//! router under axum and `worker::Router`); every path parameter is percent-decoded and checked
//! here (UTF-8, 1 to 256 bytes, and its own form where it has one), so no handler ever looks at
//! the raw path. [`ROUTES`] is the table `/openapi.json` is checked against.

use std::sync::OnceLock;

use cairn_core::definitions::is_valid_key;
use cairn_core::wire::MAX_ID_BYTES;

use crate::error::{ApiError, ApiResult, ErrorCode};

/// Every route: method and path pattern, as `/openapi.json` names them.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/health"),
    ("GET", "/openapi.json"),
    ("POST", "/v1/projects"),
    ("PUT", "/v1/definitions"),
    ("GET", "/v1/definitions"),
    ("GET", "/v1/definitions/versions"),
    ("POST", "/v1/definitions/rollback"),
    ("POST", "/v1/events"),
    ("POST", "/v1/import"),
    ("POST", "/v1/keys/rotate"),
    ("GET", "/v1/milestones"),
    ("POST", "/v1/milestones/{id}/celebrated"),
    ("POST", "/v1/milestones/{key}/award"),
    ("GET", "/v1/users/{user_id}"),
    ("DELETE", "/v1/users/{user_id}"),
    ("POST", "/v1/client/events"),
    ("GET", "/v1/client/me"),
    ("GET", "/v1/client/stream"),
    ("POST", "/v1/client/awards/{id}/seen"),
    ("POST", "/v1/client/awards/{id}/cta"),
    ("GET", "/v1/milestones/{id}/suggestions"),
    ("PUT", "/v1/accounts/{account_id}"),
    ("GET", "/v1/accounts/{account_id}"),
    ("PUT", "/v1/integrations"),
    ("GET", "/v1/integrations"),
    ("POST", "/v1/slack/interactions"),
    ("POST", "/v1/segment"),
    ("GET", "/v1/deliveries"),
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/webhooks"),
    ("GET", "/v1/webhooks/{id}"),
    ("PATCH", "/v1/webhooks/{id}"),
    ("DELETE", "/v1/webhooks/{id}"),
    ("POST", "/v1/webhooks/{id}/rotate"),
    ("GET", "/v1/webhooks/{id}/deliveries"),
    ("POST", "/v1/webhooks/{id}/deliveries/{delivery}/retry"),
    ("POST", "/v1/client/shares"),
    ("GET", "/v1/client/shares"),
    ("DELETE", "/v1/client/shares/{id}"),
    ("POST", "/v1/client/attribution"),
    ("POST", "/v1/attributions"),
    ("GET", "/v1/shares/stats"),
    ("PUT", "/v1/brand"),
    ("GET", "/v1/brand"),
    ("POST", "/v1/issuer/keys/rotate"),
    ("GET", "/s/{share}"),
    ("GET", "/s/{share}/credential"),
    ("GET", "/issuers/{project}"),
    ("GET", "/issuers/{project}/jwks.json"),
    ("GET", "/issuers/{project}/keys/{kid}"),
    ("GET", "/issuers/{project}/status"),
    ("POST", "/v1/console/members"),
    ("GET", "/v1/console/members"),
    ("POST", "/v1/console/session"),
    ("GET", "/v1/console/session"),
    ("DELETE", "/v1/console/session"),
    ("GET", "/v1/console/feed"),
    ("GET", "/v1/console/case-studies"),
    ("PUT", "/v1/console/case-studies/{account_id}"),
    ("GET", "/v1/analytics/impact"),
    ("GET", "/v1/analytics/progress"),
    ("GET", "/v1/analytics/ladder"),
    ("GET", "/v1/demo/token"),
    ("GET", "/v1/admin/isolate"),
    ("POST", "/v1/admin/fanout"),
];

/// A request's route, with its path parameters decoded and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    OpenApi,
    CreateProject,
    PutDefinitions,
    GetDefinitions,
    DefinitionsVersions,
    RollbackDefinitions,
    Events,
    Import,
    RotateKey,
    Milestones,
    Celebrated { award_id: String },
    AwardCustom { milestone: String },
    GetUser { user_id: String },
    EraseUser { user_id: String },
    ClientEvents,
    ClientMe,
    ClientStream,
    ClientSeen { award_id: String },
    ClientCta { award_id: String },
    Suggestions { award_id: String },
    PutAccount { account_id: String },
    GetAccount { account_id: String },
    PutIntegrations,
    GetIntegrations,
    SlackInteractions,
    Segment,
    AllDeliveries,
    CreateWebhook,
    ListWebhooks,
    GetWebhook { id: String },
    PatchWebhook { id: String },
    DeleteWebhook { id: String },
    RotateWebhook { id: String },
    Deliveries { id: String },
    RetryDelivery { id: String, delivery: String },
    ClientShare,
    ClientShares,
    ClientRevokeShare { id: String },
    ClientAttribution,
    Attribution,
    ShareStats,
    PutBrand,
    GetBrand,
    RotateIssuerKey,
    SharePage { id: String },
    ShareImage { id: String },
    ShareCredential { id: String },
    IssuerProfile { project: String },
    IssuerKeys { project: String },
    IssuerKey { project: String, kid: String },
    IssuerStatus { project: String },
    InviteMember,
    Members,
    SignIn,
    Session,
    SignOut,
    Feed,
    CaseStudies,
    CaseStudy { account_id: String },
    Impact,
    Progress,
    Ladder,
    DemoToken,
    AdminIsolate,
    AdminFanout,
}

impl Route {
    /// Whether this is a browser route (`/v1/client/…`), answered with CORS headers.
    pub fn is_client(&self) -> bool {
        matches!(
            self,
            Self::ClientEvents
                | Self::ClientMe
                | Self::ClientStream
                | Self::ClientSeen { .. }
                | Self::ClientCta { .. }
                | Self::ClientShare
                | Self::ClientShares
                | Self::ClientRevokeShare { .. }
                | Self::ClientAttribution
        )
    }
}

/// Why a request has no route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// 404: no route has this path.
    NotFound,
    /// 405: the path exists with these methods only.
    MethodNotAllowed(Vec<&'static str>),
    /// 400: the path matches, but a parameter is malformed.
    BadParameter(ApiError),
}

impl Miss {
    /// The API error to answer (405 also needs an `Allow` header: [`Miss::allow`]).
    pub fn error(&self) -> ApiError {
        match self {
            Self::NotFound => ApiError::new(ErrorCode::NotFound, "no such route"),
            Self::MethodNotAllowed(allowed) => ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("this route answers {}", allowed.join(", ")),
            ),
            Self::BadParameter(e) => e.clone(),
        }
    }

    /// The `Allow` header of a 405.
    pub fn allow(&self) -> Option<String> {
        match self {
            Self::MethodNotAllowed(allowed) => Some(allowed.join(", ")),
            _ => None,
        }
    }
}

/// The distinct patterns of [`ROUTES`], matched by `matchit` to their index.
fn patterns() -> &'static (Vec<&'static str>, matchit::Router<usize>) {
    static PATTERNS: OnceLock<(Vec<&'static str>, matchit::Router<usize>)> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let mut list: Vec<&'static str> = Vec::new();
        let mut router = matchit::Router::new();
        for (_, pattern) in ROUTES {
            if !list.contains(pattern) {
                // The table is a constant: a conflict is a programming error, found by tests.
                if router.insert(*pattern, list.len()).is_ok() {
                    list.push(pattern);
                }
            }
        }
        (list, router)
    })
}

/// The route of `method path` (`path` as sent: percent-encoded, without the query).
pub fn route(method: &str, path: &str) -> Result<Route, Miss> {
    let (list, router) = patterns();
    let Ok(found) = router.at(path) else {
        return Err(Miss::NotFound);
    };
    let Some(pattern) = list.get(*found.value).copied() else {
        return Err(Miss::NotFound);
    };
    let params = &found.params;
    let param = |name: &str| decode(params.get(name).unwrap_or_default(), name);
    let route = match (method, pattern) {
        ("GET", "/v1/health") => Route::Health,
        ("GET", "/openapi.json") => Route::OpenApi,
        ("POST", "/v1/projects") => Route::CreateProject,
        ("PUT", "/v1/definitions") => Route::PutDefinitions,
        ("GET", "/v1/definitions") => Route::GetDefinitions,
        ("GET", "/v1/definitions/versions") => Route::DefinitionsVersions,
        ("POST", "/v1/definitions/rollback") => Route::RollbackDefinitions,
        ("POST", "/v1/events") => Route::Events,
        ("POST", "/v1/import") => Route::Import,
        ("POST", "/v1/keys/rotate") => Route::RotateKey,
        ("GET", "/v1/milestones") => Route::Milestones,
        ("POST", "/v1/milestones/{id}/celebrated") => Route::Celebrated {
            award_id: award_id(param("id"))?,
        },
        ("POST", "/v1/milestones/{key}/award") => Route::AwardCustom {
            milestone: milestone_key(param("key"))?,
        },
        ("GET", "/v1/users/{user_id}") => Route::GetUser {
            user_id: param("user_id").map_err(Miss::BadParameter)?,
        },
        ("DELETE", "/v1/users/{user_id}") => Route::EraseUser {
            user_id: param("user_id").map_err(Miss::BadParameter)?,
        },
        ("POST", "/v1/client/events") => Route::ClientEvents,
        ("GET", "/v1/client/me") => Route::ClientMe,
        ("GET", "/v1/client/stream") => Route::ClientStream,
        ("POST", "/v1/client/awards/{id}/seen") => Route::ClientSeen {
            award_id: award_id(param("id"))?,
        },
        ("POST", "/v1/client/awards/{id}/cta") => Route::ClientCta {
            award_id: award_id(param("id"))?,
        },
        ("GET", "/v1/milestones/{id}/suggestions") => Route::Suggestions {
            award_id: award_id(param("id"))?,
        },
        ("PUT", "/v1/accounts/{account_id}") => Route::PutAccount {
            account_id: param("account_id").map_err(Miss::BadParameter)?,
        },
        ("GET", "/v1/accounts/{account_id}") => Route::GetAccount {
            account_id: param("account_id").map_err(Miss::BadParameter)?,
        },
        ("PUT", "/v1/integrations") => Route::PutIntegrations,
        ("GET", "/v1/integrations") => Route::GetIntegrations,
        ("POST", "/v1/slack/interactions") => Route::SlackInteractions,
        ("POST", "/v1/segment") => Route::Segment,
        ("GET", "/v1/deliveries") => Route::AllDeliveries,
        ("POST", "/v1/webhooks") => Route::CreateWebhook,
        ("GET", "/v1/webhooks") => Route::ListWebhooks,
        ("GET", "/v1/webhooks/{id}") => Route::GetWebhook {
            id: endpoint_id(param("id"))?,
        },
        ("PATCH", "/v1/webhooks/{id}") => Route::PatchWebhook {
            id: endpoint_id(param("id"))?,
        },
        ("DELETE", "/v1/webhooks/{id}") => Route::DeleteWebhook {
            id: endpoint_id(param("id"))?,
        },
        ("POST", "/v1/webhooks/{id}/rotate") => Route::RotateWebhook {
            id: endpoint_id(param("id"))?,
        },
        ("GET", "/v1/webhooks/{id}/deliveries") => Route::Deliveries {
            id: endpoint_id(param("id"))?,
        },
        ("POST", "/v1/webhooks/{id}/deliveries/{delivery}/retry") => Route::RetryDelivery {
            id: endpoint_id(param("id"))?,
            delivery: delivery_id(param("delivery"))?,
        },
        ("POST", "/v1/client/shares") => Route::ClientShare,
        ("GET", "/v1/client/shares") => Route::ClientShares,
        ("DELETE", "/v1/client/shares/{id}") => Route::ClientRevokeShare {
            id: share_id(param("id"))?,
        },
        ("POST", "/v1/client/attribution") => Route::ClientAttribution,
        ("POST", "/v1/attributions") => Route::Attribution,
        ("GET", "/v1/shares/stats") => Route::ShareStats,
        ("PUT", "/v1/brand") => Route::PutBrand,
        ("GET", "/v1/brand") => Route::GetBrand,
        ("POST", "/v1/issuer/keys/rotate") => Route::RotateIssuerKey,
        // The page and its image share a segment: `sh_….png` is the image.
        ("GET", "/s/{share}") => {
            let share = param("share").map_err(Miss::BadParameter)?;
            match share.strip_suffix(".png") {
                Some(id) => Route::ShareImage {
                    id: share_id(Ok(id.to_owned()))?,
                },
                None => Route::SharePage {
                    id: share_id(Ok(share))?,
                },
            }
        }
        ("GET", "/s/{share}/credential") => Route::ShareCredential {
            id: share_id(param("share"))?,
        },
        ("GET", "/issuers/{project}") => Route::IssuerProfile {
            project: project_id(param("project"))?,
        },
        ("GET", "/issuers/{project}/jwks.json") => Route::IssuerKeys {
            project: project_id(param("project"))?,
        },
        ("GET", "/issuers/{project}/keys/{kid}") => Route::IssuerKey {
            project: project_id(param("project"))?,
            kid: param("kid").map_err(Miss::BadParameter)?,
        },
        ("GET", "/issuers/{project}/status") => Route::IssuerStatus {
            project: project_id(param("project"))?,
        },
        ("POST", "/v1/console/members") => Route::InviteMember,
        ("GET", "/v1/console/members") => Route::Members,
        ("POST", "/v1/console/session") => Route::SignIn,
        ("GET", "/v1/console/session") => Route::Session,
        ("DELETE", "/v1/console/session") => Route::SignOut,
        ("GET", "/v1/console/feed") => Route::Feed,
        ("GET", "/v1/console/case-studies") => Route::CaseStudies,
        ("PUT", "/v1/console/case-studies/{account_id}") => Route::CaseStudy {
            account_id: param("account_id").map_err(Miss::BadParameter)?,
        },
        ("GET", "/v1/analytics/impact") => Route::Impact,
        ("GET", "/v1/analytics/progress") => Route::Progress,
        ("GET", "/v1/analytics/ladder") => Route::Ladder,
        ("GET", "/v1/demo/token") => Route::DemoToken,
        ("GET", "/v1/admin/isolate") => Route::AdminIsolate,
        ("POST", "/v1/admin/fanout") => Route::AdminFanout,
        _ => {
            let allowed = ROUTES
                .iter()
                .filter(|(_, p)| *p == pattern)
                .map(|(m, _)| *m)
                .collect();
            return Err(Miss::MethodNotAllowed(allowed));
        }
    };
    Ok(route)
}

/// A path parameter, percent-decoded: UTF-8 and 1 to [`MAX_ID_BYTES`] bytes.
fn decode(raw: &str, name: &str) -> ApiResult<String> {
    let value = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| {
            ApiError::bad(
                ErrorCode::InvalidPath,
                format!("{name} is not UTF-8 once percent-decoded"),
                Some(name),
            )
        })?;
    if value.is_empty() || value.len() > MAX_ID_BYTES {
        return Err(ApiError::bad(
            ErrorCode::InvalidPath,
            format!("{name} must be 1 to {MAX_ID_BYTES} bytes"),
            Some(name),
        ));
    }
    Ok(value.into_owned())
}

/// Whether `id` is an award id: `aw_` and 24 lowercase hex digits (what the engine makes).
pub fn is_award_id(id: &str) -> bool {
    id.strip_prefix("aw_").is_some_and(|hex| {
        hex.len() == 24 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// An award id, checked with [`is_award_id`].
fn award_id(value: ApiResult<String>) -> Result<String, Miss> {
    let value = value.map_err(Miss::BadParameter)?;
    if !is_award_id(&value) {
        return Err(Miss::BadParameter(ApiError::bad(
            ErrorCode::InvalidAwardId,
            "an award id is aw_ and 24 hex digits",
            Some("id"),
        )));
    }
    Ok(value)
}

/// A webhook endpoint id: `ep_` and lowercase letters and digits.
fn endpoint_id(value: ApiResult<String>) -> Result<String, Miss> {
    let value = value.map_err(Miss::BadParameter)?;
    let well_formed = value.strip_prefix("ep_").is_some_and(|t| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    if !well_formed {
        return Err(Miss::BadParameter(ApiError::bad(
            ErrorCode::InvalidPath,
            "a webhook endpoint id is ep_ and letters and digits",
            Some("id"),
        )));
    }
    Ok(value)
}

/// A delivery id (its `webhook-id`): `msg_` and lowercase letters, digits, `_` and `.`.
fn delivery_id(value: ApiResult<String>) -> Result<String, Miss> {
    let value = value.map_err(Miss::BadParameter)?;
    let well_formed = value.strip_prefix("msg_").is_some_and(|t| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
    });
    if !well_formed {
        return Err(Miss::BadParameter(ApiError::bad(
            ErrorCode::InvalidPath,
            "a delivery id is msg_ and letters, digits, _ and .",
            Some("delivery"),
        )));
    }
    Ok(value)
}

/// A share id: `sh_` and 32 lowercase hex digits.
fn share_id(value: ApiResult<String>) -> Result<String, Miss> {
    let value = value.map_err(Miss::BadParameter)?;
    if !crate::shares::is_share_id(&value) {
        return Err(Miss::BadParameter(ApiError::bad(
            ErrorCode::InvalidPath,
            "a share id is sh_ and 32 hex digits",
            Some("share"),
        )));
    }
    Ok(value)
}

/// A project id: `prj_` and letters, digits and `_`.
fn project_id(value: ApiResult<String>) -> Result<String, Miss> {
    let value = value.map_err(Miss::BadParameter)?;
    let well_formed = value.strip_prefix("prj_").is_some_and(|t| {
        !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    if !well_formed {
        return Err(Miss::BadParameter(ApiError::bad(
            ErrorCode::InvalidPath,
            "a project id is prj_ and letters and digits",
            Some("project"),
        )));
    }
    Ok(value)
}

/// A milestone key, as the definitions allow them.
fn milestone_key(value: ApiResult<String>) -> Result<String, Miss> {
    let value = value.map_err(Miss::BadParameter)?;
    if !is_valid_key(&value) {
        return Err(Miss::BadParameter(ApiError::bad(
            ErrorCode::InvalidPath,
            "a milestone key matches [a-z0-9_.:-]{1,64}",
            Some("key"),
        )));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWARD: &str = "aw_0123456789abcdef01234567";
    const SHARE: &str = "sh_0123456789abcdef0123456789abcdef";

    #[test]
    fn share_pages_and_their_images() {
        check(
            "GET",
            &format!("/s/{SHARE}"),
            &format!("SharePage {{ id: \"{SHARE}\" }}"),
        );
        check(
            "GET",
            &format!("/s/{SHARE}.png"),
            &format!("ShareImage {{ id: \"{SHARE}\" }}"),
        );
        check(
            "GET",
            &format!("/s/{SHARE}/credential"),
            &format!("ShareCredential {{ id: \"{SHARE}\" }}"),
        );
        check("GET", "/s/sh_0123.png", "400 invalid_path");
        check("GET", "/s/x.png.png", "400 invalid_path");
        check("GET", "/s/%3Cscript%3E", "400 invalid_path");
        check(
            "GET",
            "/issuers/prj_demo",
            r#"IssuerProfile { project: "prj_demo" }"#,
        );
        check("GET", "/issuers/x/jwks.json", "400 invalid_path");
        check(
            "DELETE",
            &format!("/v1/client/shares/{SHARE}"),
            &format!("ClientRevokeShare {{ id: \"{SHARE}\" }}"),
        );
    }

    /// `check(method, path, expected)`: the route, or the miss as `404`, `405 GET, POST` or
    /// `400 code`.
    #[track_caller]
    fn check(method: &str, path: &str, expected: &str) {
        let got = match route(method, path) {
            Ok(r) => format!("{r:?}"),
            Err(Miss::NotFound) => "404".into(),
            Err(Miss::MethodNotAllowed(m)) => format!("405 {}", m.join(", ")),
            Err(Miss::BadParameter(e)) => format!("400 {}", e.code.as_str()),
        };
        assert_eq!(got, expected, "{method} {path}");
    }

    #[test]
    fn fixed_paths() {
        check("GET", "/v1/health", "Health");
        check("GET", "/openapi.json", "OpenApi");
        check("POST", "/v1/events", "Events");
        check("GET", "/v1/definitions", "GetDefinitions");
        check("PUT", "/v1/definitions", "PutDefinitions");
        check("GET", "/v1/client/stream", "ClientStream");
        check("GET", "/v1/admin/isolate", "AdminIsolate");
    }

    #[test]
    fn unknown_paths_and_methods() {
        check("GET", "/", "404");
        check("GET", "", "404");
        check("GET", "/v1/health/", "404");
        check("GET", "/v1/events", "405 POST");
        check("DELETE", "/v1/definitions", "405 PUT, GET");
        check("PATCH", "/v1/users/u1", "405 GET, DELETE");
        check("GET", "/v1/users", "404");
        check("GET", "/v1/users/", "404");
        check("GET", "/v1/users/a/b", "404");
    }

    /// The three paths that used to panic while being sliced, and their neighbours.
    #[test]
    fn paths_without_their_id_are_not_routes() {
        check("POST", "/v1/client/awards/seen", "404");
        check("POST", "/v1/client/awards//seen", "404");
        check("POST", "/v1/milestones/celebrated", "404");
        check("POST", "/v1/milestones/award", "404");
        check("POST", "/v1/milestones//award", "404");
        check("POST", "/v1/milestones/award/", "404");
    }

    #[test]
    fn parameters_are_decoded_and_checked() {
        check("GET", "/v1/users/u%201", r#"GetUser { user_id: "u 1" }"#);
        check("GET", "/v1/users/a%2Fb", r#"GetUser { user_id: "a/b" }"#);
        check(
            "DELETE",
            "/v1/users/%C3%A9",
            r#"EraseUser { user_id: "é" }"#,
        );
        check("GET", "/v1/users/%FF", "400 invalid_path");
        let long = "x".repeat(256);
        check(
            "GET",
            &format!("/v1/users/{long}"),
            &format!("GetUser {{ user_id: \"{long}\" }}"),
        );
        check(
            "GET",
            &format!("/v1/users/{}", "x".repeat(257)),
            "400 invalid_path",
        );
        // 86 × 3 bytes = 258 bytes once decoded, although 774 characters as sent.
        check(
            "GET",
            &format!("/v1/users/{}", "%E2%82%AC".repeat(86)),
            "400 invalid_path",
        );
        check(
            "POST",
            &format!("/v1/client/awards/{AWARD}/seen"),
            &format!("ClientSeen {{ award_id: \"{AWARD}\" }}"),
        );
        check(
            "POST",
            &format!("/v1/milestones/{AWARD}/celebrated"),
            &format!("Celebrated {{ award_id: \"{AWARD}\" }}"),
        );
        check(
            "POST",
            &format!("/v1/client/awards/{AWARD}/cta"),
            &format!("ClientCta {{ award_id: \"{AWARD}\" }}"),
        );
        check("POST", "/v1/client/awards/aw_1/cta", "400 invalid_award_id");
        check(
            "POST",
            "/v1/client/awards/aw_1/seen",
            "400 invalid_award_id",
        );
        check("POST", "/v1/client/awards/%00/seen", "400 invalid_award_id");
        check(
            "POST",
            "/v1/milestones/aw_0123456789ABCDEF01234567/celebrated",
            "400 invalid_award_id",
        );
        check(
            "POST",
            "/v1/milestones/first_project/award",
            r#"AwardCustom { milestone: "first_project" }"#,
        );
        check("POST", "/v1/milestones/Big%20One/award", "400 invalid_path");
    }

    #[test]
    fn webhook_ids_are_checked() {
        check(
            "GET",
            "/v1/webhooks/ep_abc123",
            r#"GetWebhook { id: "ep_abc123" }"#,
        );
        check("GET", "/v1/webhooks/aw_1", "400 invalid_path");
        check("GET", "/v1/webhooks/ep_", "400 invalid_path");
        check("DELETE", "/v1/webhooks/ep_ABC", "400 invalid_path");
        check("PUT", "/v1/webhooks/ep_abc", "405 GET, PATCH, DELETE");
        check(
            "POST",
            "/v1/webhooks/ep_a/deliveries/msg_00.seen.b/retry",
            r#"RetryDelivery { id: "ep_a", delivery: "msg_00.seen.b" }"#,
        );
        check(
            "POST",
            "/v1/webhooks/ep_a/deliveries/msg_%2F/retry",
            "400 invalid_path",
        );
        check("POST", "/v1/webhooks/ep_a/deliveries//retry", "404");
    }

    #[test]
    fn every_route_in_the_table_is_reachable() {
        for (method, pattern) in ROUTES {
            let id = if pattern.starts_with("/v1/webhooks") {
                "ep_abc123"
            } else if pattern.starts_with("/v1/client/shares") {
                SHARE
            } else {
                AWARD
            };
            let path = pattern
                .replace("{id}", id)
                .replace("{delivery}", "msg_0123.achieved.abc")
                .replace("{key}", "k")
                .replace("{user_id}", "u")
                .replace("{account_id}", "a")
                .replace("{share}", SHARE)
                .replace("{project}", "prj_demo")
                .replace("{kid}", "k1");
            let found = route(method, &path);
            assert!(found.is_ok(), "{method} {pattern}: {found:?}");
        }
    }

    /// `/openapi.json` documents exactly [`ROUTES`], both ways.
    #[test]
    fn the_api_description_is_the_route_table() {
        let doc: serde_json::Value = serde_json::from_str(include_str!("openapi.json")).unwrap();
        let mut documented = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                if method != "parameters" {
                    documented.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        let table: std::collections::BTreeSet<_> = ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(
            documented, table,
            "documented (left) vs the route table (right)"
        );
    }

    /// No input makes routing panic: arbitrary methods and paths only ever miss.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn arbitrary_input_never_panics() {
        use proptest::prelude::*;
        proptest!(|(method in "[A-Z]{0,8}", path in "(/[a-z0-9%_.{}~-]{0,12}){0,6}")| {
            let _ = route(&method, &path);
        });
        proptest!(|(bytes in proptest::collection::vec(any::<u8>(), 0..64))| {
            let path = String::from_utf8_lossy(&bytes);
            let _ = route("POST", &path);
            let _ = route("GET", &format!("/v1/users/{path}"));
        });
    }
}
