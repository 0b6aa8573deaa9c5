//! Sharing on real workerd: a user makes a badge public; its page (parsed, with its meta and
//! its strict CSP, in Chromium with axe-core), its 1200×630 image (decoded), its Open Badges
//! credential (verified by `jose`, before and after a key rotation; tampered: refused), visits,
//! signups from the share (self-referrals and known users not counted), the funnel, the
//! `share.created`/`share.converted` webhooks, revocation (410) and erasure (404).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cairn_e2e::App;
use cairn_e2e::receiver::Receiver;
use scraper::{Html, Selector};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);
const BROWSER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
/// The sharer's id: it must never appear on a public response.
const SHARER: &str = "u-7f3a-private-sharer";
const EVIL_NAME: &str = "\"><img src=x onerror=alert(1)>\u{202E}Ada";
const EVIL_MESSAGE: &str = "<script>alert(1)</script> javascript:alert(1) \u{2066}proud";

fn earn(app: &App, user: &str) -> String {
    let body = json!({ "user_id": user, "event": "project_created" });
    let reply = app
        .server("POST", "/v1/events", Some(&body.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let me = app
        .client("GET", "/v1/client/me", user, None)
        .unwrap()
        .json();
    me["awards"][0]["id"].as_str().expect("an award").to_owned()
}

fn share(app: &App, user: &str, award: &str, message: &str, name: Option<&str>) -> (u16, Value) {
    let body = json!({ "award_id": award, "message": message, "display_name": name });
    let reply = app
        .client("POST", "/v1/client/shares", user, Some(&body.to_string()))
        .unwrap();
    (reply.status, reply.json())
}

fn meta(doc: &Html, key: &str) -> Option<String> {
    let sel = Selector::parse(&format!("meta[property='{key}'], meta[name='{key}']")).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|m| m.value().attr("content").map(str::to_owned))
}

fn text(doc: &Html, css: &str) -> String {
    doc.select(&Selector::parse(css).unwrap())
        .next()
        .map(|e| e.text().collect())
        .unwrap_or_default()
}

/// Runs a verifier: `input` as JSON on its stdin, its stdout read as JSON.
fn run_json(mut command: Command, input: &Value) -> Value {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What openbadgeslib (PyPI) says of `tokens`.
fn verify_ob3(app: &App, tokens: &[&str]) -> Vec<Value> {
    let input = json!({
        "jwks_url": format!("{}/issuers/prj_demo/jwks.json", app.base()),
        "tokens": tokens,
    });
    let mut command = Command::new(xtask::setup::python_bin("python"));
    command.arg(xtask::root().join("tests/python/verify_ob3.py"));
    serde_json::from_value(run_json(command, &input)).unwrap()
}

/// What `jose` says of `tokens`.
fn verify(app: &App, tokens: &[&str]) -> Vec<Value> {
    let input = json!({
        "jwks_url": format!("{}/issuers/prj_demo/jwks.json", app.base()),
        "issuer": format!("{}/issuers/prj_demo", app.base()),
        "tokens": tokens,
    });
    let mut command = Command::new("node");
    command
        .arg(xtask::root().join("tests/e2e/verify-credential.mjs"))
        .current_dir(xtask::root());
    run_json(command, &input)["results"]
        .as_array()
        .unwrap()
        .clone()
}

fn stats(app: &App) -> Value {
    let reply = app.server("GET", "/v1/shares/stats", None).unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

/// Waits until `f` holds (the visit is counted after the answer, by `waitUntil`).
fn until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_shared_badge_lives_on_the_open_web() {
    let app = App::start("shares").unwrap();
    let receiver = Receiver::start();
    let hook = json!({ "url": format!("{}/hook", receiver.url), "event_types": ["share.created", "share.converted"] });
    let reply = app
        .server("POST", "/v1/webhooks", Some(&hook.to_string()))
        .unwrap();
    assert_eq!(reply.status, 201, "{}", reply.body);
    let site = format!("{}/", app.base());
    let brand = json!({ "site_url": site, "accent": "#0f766e" });
    let reply = app
        .server("PUT", "/v1/brand", Some(&brand.to_string()))
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    for bad in [
        json!({"accent": "red"}),
        json!({"site_url": "javascript:alert(1)"}),
        json!({"logo": "x"}),
    ] {
        let reply = app
            .server("PUT", "/v1/brand", Some(&bad.to_string()))
            .unwrap();
        assert_eq!(reply.status, 400, "{bad}: {}", reply.body);
    }

    let award = earn(&app, SHARER);
    // Bad requests: clear errors, nothing stored.
    for (body, code) in [
        (json!({ "award_id": "aw_nope" }), "invalid_award_id"),
        (
            json!({ "award_id": award, "message": "x".repeat(501) }),
            "invalid_body",
        ),
        (
            json!({ "award_id": award, "display_name": "n".repeat(65) }),
            "invalid_body",
        ),
        (json!({ "award_id": award, "extra": 1 }), "invalid_body"),
    ] {
        let reply = app
            .client("POST", "/v1/client/shares", SHARER, Some(&body.to_string()))
            .unwrap();
        assert_eq!(
            reply.json()["error"]["code"],
            code,
            "{body}: {}",
            reply.body
        );
    }
    let (status, other) = share(&app, "someone-else", &award, "", None);
    assert_eq!(status, 404, "another user's award: {other}");

    let (status, created) = share(&app, SHARER, &award, "first words", Some("Ada"));
    assert_eq!(status, 201, "{created}");
    let id = created["share_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sh_") && id.len() == 35, "{id}");
    // Sharing again reuses the page and updates its words.
    let (status, again) = share(&app, SHARER, &award, EVIL_MESSAGE, Some(EVIL_NAME));
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["share_id"], id.as_str());
    let listed = app
        .client("GET", "/v1/client/shares", SHARER, None)
        .unwrap()
        .json();
    assert_eq!(listed["shares"].as_array().unwrap().len(), 1, "{listed}");
    let page_url = format!("{}/s/{id}", app.base());
    assert_eq!(again["url"], page_url.as_str());
    let linkedin = again["linkedin_add_url"].as_str().unwrap();
    assert!(
        linkedin.starts_with("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&"),
        "{linkedin}"
    );
    assert!(
        linkedin.contains(&format!("certId={}", id.replace('_', "%5F"))),
        "{linkedin}"
    );

    // The page: parsed, its meta and text exactly what was chosen, inert.
    let page = app
        .request(
            "GET",
            &format!("/s/{id}"),
            &[("user-agent", BROWSER_UA)],
            None,
        )
        .unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'sha256-"),
        "{csp}"
    );
    assert!(
        page.header("cache-control").unwrap().contains("max-age"),
        "{:?}",
        page.headers
    );
    assert!(!page.body.contains(SHARER), "the user id is on the page");
    let doc = Html::parse_document(&page.body);
    assert_eq!(
        doc.select(&Selector::parse("script, iframe, object").unwrap())
            .count(),
        0
    );
    assert_eq!(
        doc.select(&Selector::parse("img").unwrap()).count(),
        0,
        "no image came from the text"
    );
    assert_eq!(
        meta(&doc, "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    assert_eq!(meta(&doc, "og:url").as_deref(), Some(page_url.as_str()));
    assert_eq!(
        meta(&doc, "og:image").as_deref(),
        Some(format!("{page_url}.png").as_str())
    );
    let title = meta(&doc, "og:title").unwrap();
    assert_eq!(text(&doc, "h1"), title);
    let shown_name = text(&doc, ".name");
    assert_eq!(
        shown_name, "\"><img src=x onerror=alert(1)>Ada",
        "bidi override removed, text kept"
    );
    assert_eq!(
        text(&doc, ".message p"),
        "<script>alert(1)</script> javascript:alert(1) proud"
    );
    let cta = doc
        .select(&Selector::parse("a.cta").unwrap())
        .next()
        .unwrap();
    assert_eq!(
        cta.value().attr("href"),
        Some(format!("{site}?cairn_ref={id}").as_str())
    );
    let html_el = doc
        .select(&Selector::parse("html").unwrap())
        .next()
        .unwrap();
    assert_eq!(html_el.value().attr("lang"), Some("en"));
    assert_eq!(html_el.value().attr("dir"), Some("ltr"));

    // In Chromium: no CSP violation, the style applied, axe-core clean; a screenshot.
    let seen = app
        .browser_with(
            "share-page.mjs",
            &[("CAIRN_SHARE_PATH", &format!("/s/{id}"))],
        )
        .unwrap();
    eprintln!("share page: {seen:#}");
    assert_eq!(seen["status"], 200);
    assert_eq!(seen["consoleErrors"], json!([]), "CSP violations or errors");
    assert_eq!(seen["scripts"], 0);
    assert_eq!(
        seen["medalBackground"], "rgb(15, 118, 110)",
        "the brand's accent applied"
    );
    assert_eq!(seen["serious"], json!([]), "axe-core serious/critical");

    // The image: a PNG of 1200×630, rendered once, then cached.
    let png = app.get_bytes(&format!("/s/{id}.png"), &[]).unwrap();
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type"), "image/png");
    assert!(
        png.header("x-cairn-render").starts_with("rendered"),
        "{:?}",
        png.headers
    );
    let png_bytes = png.body;
    let decoder = png::Decoder::new(std::io::Cursor::new(&png_bytes));
    let info = decoder.read_info().unwrap();
    assert_eq!((info.info().width, info.info().height), (1200, 630));
    let cached = app.get_bytes(&format!("/s/{id}.png"), &[]).unwrap();
    assert_eq!(cached.header("x-cairn-render"), "cached");
    assert_eq!(cached.body, png_bytes);
    std::fs::write(app.dir().join("share-card.png"), &png_bytes).unwrap();

    // The credential, verified by jose and by openbadgeslib against the published keys;
    // tampered, refused.
    let jwt = app
        .request("GET", &format!("/s/{id}/credential"), &[], None)
        .unwrap();
    assert_eq!(jwt.status, 200, "{}", jwt.body);
    assert_eq!(jwt.header("content-type"), Some("application/vc+jwt"));
    let token = jwt.body;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    {
        use base64::Engine;
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut payload: Value =
            serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
        payload["credentialSubject"]["achievement"]["name"] = json!("1,000 projects");
        parts[1] = engine.encode(payload.to_string());
    }
    let tampered = parts.join(".");
    let results = verify(&app, &[&token, &tampered]);
    assert_eq!(results[0]["verified"], true, "{:#}", results[0]);
    assert_eq!(results[0]["problems"], json!([]), "{:#}", results[0]);
    assert_eq!(results[0]["revoked"], false);
    let vc = &results[0]["payload"];
    assert_eq!(
        vc["credentialSubject"]["achievement"]["name"],
        title.as_str()
    );
    let ob3 = verify_ob3(&app, &[&token, &tampered]);
    assert_eq!(ob3[0]["verified"], true, "openbadgeslib: {:#}", ob3[0]);
    assert_eq!(ob3[0]["name"], title.as_str());
    assert_eq!(ob3[0]["criteria"], text(&doc, ".criteria").as_str());
    assert_eq!(ob3[0]["list_signature_checked"], true);
    assert_eq!(
        ob3[1]["verified"], false,
        "openbadgeslib took a tampered one: {:#}",
        ob3[1]
    );
    assert_eq!(
        results[1]["verified"], false,
        "a tampered credential verifies: {:#}",
        results[1]
    );
    assert!(!token.contains(SHARER));
    let first_kid = results[0]["header"]["kid"].as_str().unwrap().to_owned();
    // Rotation: new credentials carry the new key; the old one still verifies.
    let rotated = app.server("POST", "/v1/issuer/keys/rotate", None).unwrap();
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let newer = app
        .request("GET", &format!("/s/{id}/credential"), &[], None)
        .unwrap()
        .body;
    let results = verify(&app, &[&newer, &token]);
    assert_eq!(results[0]["verified"], true, "{:#}", results[0]);
    assert_ne!(
        results[0]["header"]["kid"],
        first_kid.as_str(),
        "signed with the new key"
    );
    assert_eq!(
        results[1]["verified"], true,
        "the old key is still published: {:#}",
        results[1]
    );
    let ob3 = verify_ob3(&app, &[&newer, &token]);
    assert_eq!(ob3[0]["verified"], true, "openbadgeslib: {:#}", ob3[0]);
    assert_eq!(
        ob3[1]["verified"], true,
        "openbadgeslib, old key: {:#}",
        ob3[1]
    );
    let key = app
        .request("GET", first_kid.trim_start_matches(app.base()), &[], None)
        .unwrap();
    assert_eq!(key.status, 200, "the kid URL resolves: {}", key.body);
    assert_eq!(key.json()["kty"], "RSA");
    assert!(key.json().get("d").is_none(), "no private part");

    // Visits: once per visitor per day; bots are not counted.
    for ua in [
        BROWSER_UA,
        "facebookexternalhit/1.1",
        "Slackbot-LinkExpanding 1.0",
        "",
        BROWSER_UA,
    ] {
        let r = app
            .request("GET", &format!("/s/{id}"), &[("user-agent", ua)], None)
            .unwrap();
        assert_eq!(r.status, 200);
    }
    until("the visit", || stats(&app)["total"]["visits"] == 1);

    // Signups through the share.
    let attribution = |user: &str| {
        let body = json!({ "ref": id }).to_string();
        app.client("POST", "/v1/client/attribution", user, Some(&body))
            .unwrap()
            .json()
    };
    let newbie = attribution("newbie-1");
    assert_eq!(newbie["counted"], true, "{newbie}");
    assert_eq!(attribution("newbie-1")["reason"], "already_attributed");
    assert_eq!(attribution(SHARER)["reason"], "self_referral");
    earn(&app, "old-timer");
    assert_eq!(attribution("old-timer")["reason"], "not_new");
    let body = json!({ "user_id": "newbie-2", "ref": id }).to_string();
    let server = app
        .server("POST", "/v1/attributions", Some(&body))
        .unwrap()
        .json();
    assert_eq!(server["counted"], true, "{server}");
    let bad = app
        .client(
            "POST",
            "/v1/client/attribution",
            "x",
            Some(&json!({ "ref": "sh_0" }).to_string()),
        )
        .unwrap();
    assert_eq!(bad.status, 400, "{}", bad.body);
    let s = stats(&app);
    assert_eq!(
        s["total"],
        json!({ "shares": 1, "visits": 1, "signups": 2, "conversion_rate": 2.0 }),
        "{s:#}"
    );
    assert_eq!(s["milestones"].as_object().unwrap().len(), 1, "{s:#}");

    // Webhooks: one share.created, two share.converted.
    let mut types = Vec::new();
    let start = Instant::now();
    while types.len() < 3 && start.elapsed() < WAIT {
        for r in receiver.drain() {
            let body: Value = serde_json::from_str(&r.body).unwrap();
            types.push(body["type"].as_str().unwrap().to_owned());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    types.sort();
    assert_eq!(
        types,
        ["share.converted", "share.converted", "share.created"]
    );

    // Revocation: 410 for the page (a page that says so), the credential and the image.
    let revoke = app
        .client(
            "DELETE",
            &format!("/v1/client/shares/{id}"),
            "someone-else",
            None,
        )
        .unwrap();
    assert_eq!(revoke.status, 404, "only the owner revokes");
    let revoke = app
        .client("DELETE", &format!("/v1/client/shares/{id}"), SHARER, None)
        .unwrap();
    assert_eq!(revoke.status, 204, "{}", revoke.body);
    let gone = app.request("GET", &format!("/s/{id}"), &[], None).unwrap();
    assert_eq!(gone.status, 410);
    assert!(text(&Html::parse_document(&gone.body), "h1").contains("no longer shared"));
    assert_eq!(
        app.request("GET", &format!("/s/{id}/credential"), &[], None)
            .unwrap()
            .status,
        410
    );
    // A credential fetched before the revocation still has a valid signature, and its status
    // (its bit in the issuer's status list) now says revoked.
    let after = verify(&app, &[&newer]);
    assert_eq!(after[0]["verified"], true);
    assert_eq!(after[0]["revoked"], true, "{:#}", after[0]);
    let ob3 = verify_ob3(&app, &[&newer]);
    assert_eq!(
        ob3[0]["verified"], false,
        "revoked, yet openbadgeslib took it"
    );
    let why = ob3[0]["error"].as_str().unwrap();
    assert!(
        why.contains("revocation") && why.contains("is set"),
        "{why}"
    );
    assert_eq!(
        app.get_bytes(&format!("/s/{id}.png"), &[]).unwrap().status,
        410
    );
    let unknown = app
        .request("GET", "/s/sh_00000000000000000000000000000000", &[], None)
        .unwrap();
    assert_eq!(unknown.status, 404);

    // Sharing after a revocation makes a new page; erasing the user removes it.
    let (status, fresh) = share(&app, SHARER, &award, "", None);
    assert_eq!(status, 201, "{fresh}");
    let fresh_id = fresh["share_id"].as_str().unwrap();
    assert_ne!(fresh_id, id);
    let erased = app
        .server("DELETE", &format!("/v1/users/{SHARER}"), None)
        .unwrap();
    assert_eq!(erased.status, 200, "{}", erased.body);
    assert_eq!(
        app.request("GET", &format!("/s/{fresh_id}"), &[], None)
            .unwrap()
            .status,
        404
    );
    assert_eq!(
        app.request("GET", &format!("/s/{id}"), &[], None)
            .unwrap()
            .status,
        404
    );
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}

#[test]
fn share_visit_signup_in_two_browsers() {
    let app = App::start("shares-flow").unwrap();
    let seen = app.browser("share-flow.mjs").unwrap();
    eprintln!("share flow: {seen:#}");
    assert_eq!(
        seen["beforeConsent"],
        json!({ "publishVisible": true, "publicVisible": false }),
        "nothing is public before the consent step"
    );
    let id = seen["created"]["share_id"].as_str().unwrap();
    let url = format!("{}/s/{id}", app.base());
    assert_eq!(seen["card"]["url"], url.as_str());
    assert_eq!(seen["card"]["publishVisible"], false);
    let add = seen["card"]["addToProfile"].as_str().unwrap();
    assert!(
        add.starts_with("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME"),
        "{add}"
    );
    let encoded = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let x = seen["card"]["x"].as_str().unwrap();
    assert!(x.contains(&encoded(&url)), "X shares the public page: {x}");
    assert!(
        seen["card"]["linkedin"]
            .as_str()
            .unwrap()
            .contains(&encoded(&url))
    );
    assert_eq!(seen["sharerErrors"], json!([]));
    assert_eq!(
        seen["cta"],
        format!("{}?cairn_ref={id}", app.base()).as_str()
    );
    assert_eq!(seen["signup"]["counted"], true, "{:#}", seen["signup"]);
    assert_eq!(seen["refAfter"], Value::Null, "the reference is used once");
    assert_eq!(seen["selfReferral"]["counted"], false);
    assert_eq!(seen["selfReferral"]["reason"], "self_referral");
    assert_eq!(seen["pageErrors"], json!([]));
    assert_eq!(seen["revokeStatus"], 204);
    let s = stats(&app);
    let row = &s["shares"][0];
    assert_eq!(row["share_id"], id);
    assert_eq!(
        row["visits"], 1,
        "two loads of the page are one visit: {s:#}"
    );
    assert_eq!(row["signups"], 1, "{s:#}");
    assert_eq!(row["revoked"], true);
    assert_eq!(
        app.request("GET", &format!("/s/{id}"), &[], None)
            .unwrap()
            .status,
        410
    );
    assert!(
        app.internal_errors().is_empty(),
        "{:?}",
        app.internal_errors()
    );
}
