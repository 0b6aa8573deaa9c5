//! Every widget component and placement in real Chromium against real workerd (see
//! `tests/e2e/components.mjs`): what each shows, keyboard-only use, themes, right-to-left,
//! confetti above the host's modal, style isolation both ways, an axe-core scan per state, all
//! on the demo app served with a strict Content-Security-Policy (zero violations).

use cairn_e2e::App;
use serde_json::{Value, json};

#[test]
fn every_component_and_placement() {
    let app = App::start("components").unwrap();
    let seen = app.browser("components.mjs").unwrap();
    eprintln!("browser observed: {seen:#}");
    assert_eq!(
        seen["errors"],
        json!([]),
        "no errors or warnings in the pages"
    );

    // Placements before and after one tracked event: the ladder moves at once, the badge is
    // earned, the shelf lists it.
    assert_eq!(seen["before"]["ladder"]["count"], "0 of 1");
    assert_eq!(seen["before"]["ladder"]["more"], "1 more to go");
    assert_eq!(seen["before"]["badge"], "locked");
    assert!(
        seen["before"]["shelfEmpty"]
            .as_str()
            .unwrap()
            .starts_with("No badges yet")
    );
    let ladder = &seen["after"]["ladder"];
    assert_eq!(ladder["count"], "1 of 10");
    assert_eq!(ladder["more"], "9 more to go");
    assert_eq!(
        (&ladder["now"], &ladder["max"], &ladder["text"]),
        (&json!("1"), &json!("10"), &json!("9 more to go")),
        "progressbar semantics"
    );
    assert_eq!(ladder["label"], "projects created");
    assert_eq!(seen["after"]["badge"], "earned");
    assert_eq!(seen["after"]["shelfEarned"], json!(["First project!"]));

    // The toast: title, localized caption, the tier's CTA (secondary), share, dismiss, announced,
    // in the top layer.
    let toast = &seen["toast"];
    assert_eq!(toast["title"], "First project!");
    assert_eq!(toast["caption"], "Next stop: 10.");
    assert_eq!(toast["cta"], "Try the next feature");
    assert_eq!(toast["share"], "Share");
    assert_eq!(toast["dismissLabel"], "Dismiss");
    assert_eq!(toast["announced"], "New badge: First project!");
    assert_eq!(toast["topLayer"], true);

    // Keyboard: Tab reaches the toast; focus and hover pause the 6 s auto-hide.
    assert!(
        seen["keyboard"]["presses"].as_u64().unwrap() < 30,
        "Tab reaches the toast"
    );
    assert_eq!(seen["keyboard"]["focused"]["inToast"], true);
    let paused = seen["paused"].as_array().unwrap();
    assert!(
        paused.contains(&json!("First project!")) && paused.contains(&json!("Hovered preview")),
        "after 7 s the focused and the hovered toasts are still there: {paused:?}"
    );
    assert!(
        !seen["afterHover"]
            .as_array()
            .unwrap()
            .contains(&json!("Hovered preview")),
        "the hovered toast leaves once the pointer does"
    );

    // Share card: opened by keyboard, focus inside, editable message, links, events, Escape.
    let share = &seen["share"];
    assert_eq!(share["focusedInside"], true);
    assert_eq!(share["message"], "I just earned “First project!”!");
    assert_eq!(share["award"], "First project!");
    assert_eq!(share["copied"], "Copied");
    assert_eq!(
        share["cardBefore"],
        json!([]),
        "a celebration alone does not load the share card's module"
    );
    assert_eq!(
        share["cardAfter"],
        json!([
            "/share-card.js",
            "/assets/cairn-share-card.js",
            "/assets/cairn-share-card.wasm"
        ]),
        "sharing loaded the share card's module, once"
    );
    assert_eq!(
        share["events"],
        json!(["copy"]),
        "cairn:share told the host"
    );
    let x = share["x"].as_str().unwrap();
    assert!(
        x.starts_with("https://x.com/intent/post?text=Ten%20more%20to%20go!&url=http"),
        "{x}"
    );
    assert!(
        share["linkedin"]
            .as_str()
            .unwrap()
            .starts_with("https://www.linkedin.com/sharing/share-offsite/?url=http")
    );
    assert_eq!(
        share["focusBack"]["cls"], share["opener"]["cls"],
        "closing gives focus back to the share button"
    );

    // CTA: cairn:cta is cancelable; the host handled it, so no navigation.
    assert_eq!(seen["cta"]["events"], json!(["Invite a teammate"]));
    assert_eq!(seen["cta"]["path"], "/");

    // Shelf dialog: focus trapped, earned and locked with criteria, Escape, focus returns.
    let shelf = &seen["shelf"];
    assert_eq!(
        shelf["trapped"],
        json!([true, true, true, true, true, true]),
        "Tab stays in the dialog"
    );
    assert_eq!(shelf["earned"], json!(["First project!"]));
    assert!(shelf["locked"].as_u64().unwrap() >= 5);
    assert_eq!(shelf["criteria"], "10 projects created");
    assert_eq!(
        shelf["focusBack"]["id"], "badges",
        "focus back on the opener"
    );

    // Confetti above the host's modal dialog.
    let dialog = &seen["dialog"];
    assert_eq!(dialog["hostDialogOpen"], true);
    assert!(
        dialog["beforeBurst"].as_u64().unwrap() < 50,
        "the dialog alone is not colourful"
    );
    assert!(
        dialog["duringBurst"].as_u64().unwrap() > 500,
        "confetti drawn over the open dialog: {dialog}"
    );

    // Emoji and image particles draw.
    assert!(
        seen["shapes"].as_u64().unwrap() >= 50,
        "emoji and image particles drew: {}",
        seen["shapes"]
    );

    // Dark theme.
    assert_eq!(seen["dark"]["toast"], "rgb(31, 31, 36)");
    assert_eq!(seen["dark"]["ladder"], "rgb(31, 31, 36)");

    // The theming playground restyles the widget live and shows the CSS to paste.
    let play = &seen["playground"];
    assert_eq!(play["accentBefore"], "rgb(109, 74, 255)");
    assert_eq!(play["accent"], "rgb(0, 170, 85)");
    assert_eq!(play["radius"], "2px");
    assert!(
        play["css"]
            .as_str()
            .unwrap()
            .contains("--cairn-accent: #00aa55;")
    );

    // Hostile host stylesheet: inside stays ours, ours does not leak out.
    let h = &seen["hostile"];
    assert_eq!(h["toastDisplay"], "flex");
    assert_eq!(h["toastBackground"], "rgb(255, 255, 255)");
    assert_eq!(h["toastPadding"], "12px");
    assert_eq!(h["titleColor"], "rgb(29, 29, 31)");
    assert_eq!(h["titleSize"], "15px");
    assert_eq!(h["titleSpacing"], "normal");
    assert_eq!(h["dismissCursor"], "pointer");
    assert_eq!(h["barDisplay"], "block");
    assert_eq!(h["barHeight"], "8px");
    assert_eq!(
        h["probeRadius"], "0px",
        "widget CSS does not reach host elements"
    );
    assert_eq!(h["probeShadow"], "none");
    assert_eq!(h["probeBorder"], "0px");

    // Arabic: localized title from the definitions, built-in strings, right to left, the
    // toast in the inline-end corner (the left).
    let rtl = &seen["rtl"];
    assert_eq!(
        (&rtl["dir"], &rtl["lang"], &rtl["direction"]),
        (&json!("rtl"), &json!("ar"), &json!("rtl"))
    );
    assert_eq!(rtl["title"], "أول مشروع!");
    assert_eq!(rtl["share"], "مشاركة");
    assert_eq!(rtl["ladder"], "بقي 9");
    assert_eq!(rtl["ladderDir"], "rtl");
    // Cairn's own words in Arabic too: the metric's label from the definitions' messages, the
    // default badge's alt text, the default CTA, and the criteria of locked milestones.
    assert_eq!(rtl["ladderLabel"], "مشاريع منشأة");
    assert_eq!(rtl["badgeAlt"], "ميدالية");
    assert_eq!(rtl["cta"], "جرّب الميزة التالية");
    let criteria: Vec<&str> = rtl["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(criteria.contains(&"10 مشاريع منشأة"), "{criteria:?}");
    assert!(
        criteria.iter().all(|c| !c.contains("projects created")),
        "no English left in the criteria: {criteria:?}"
    );
    assert!(
        rtl["left"].as_i64().unwrap() < rtl["right"].as_i64().unwrap(),
        "the toast sits at the left in RTL: {rtl}"
    );

    // Strict CSP: the demo app is served with the README's host policy, and the widget, styled
    // and animated through every state above, raised no violation. Each page's control (an
    // inline <style>) raised exactly one, so the listener was hearing.
    let policy = seen["policy"].as_str().unwrap_or_default();
    for directive in [
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "default-src 'self'",
    ] {
        assert!(
            policy.contains(directive),
            "the page's CSP has {directive}: {policy}"
        );
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    for page in ["app", "hostile", "rtl"] {
        assert_eq!(
            seen["csp"][page]["widget"],
            json!([]),
            "CSP violations on {page}"
        );
        assert_eq!(
            seen["csp"][page]["control"], 1,
            "the control was heard on {page}"
        );
    }

    // axe-core: no serious or critical violation in any state.
    let scans = seen["axe"].as_array().unwrap();
    assert_eq!(scans.len(), 5);
    for scan in scans {
        assert_eq!(scan["serious"], Value::Array(vec![]), "axe-core: {scan}");
    }
    for shot in [
        "toast-and-placements.png",
        "share-card.png",
        "shelf.png",
        "confetti-above-dialog.png",
        "emoji-and-image-particles.png",
        "dark-theme.png",
        "theming-playground.png",
        "hostile-stylesheet.png",
        "rtl-arabic.png",
    ] {
        assert!(app.dir().join(shot).exists(), "{shot}");
    }
}

/// Single-page apps (see `tests/e2e/leaks.mjs`): 1,000 placements added and removed leave no
/// DOM node, event listener or JS heap behind; `shutdown` takes back every listener the widget
/// added to the host page, unmounts every placement and stops watching the document.
#[test]
fn placements_leave_nothing_behind() {
    let app = App::start("leaks").unwrap();
    let seen = app.browser("leaks.mjs").unwrap();
    eprintln!("browser observed: {seen:#}");
    assert_eq!(seen["errors"], json!([]), "no errors or warnings");
    assert_eq!(seen["warm"], json!({"mounted": 100, "unmounted": 100}));
    assert_eq!(
        seen["run"],
        json!({"mounted": 1000, "unmounted": 1000}),
        "each placement mounted while in the document and unmounted once it left"
    );
    let growth =
        |what: &str| seen["after"][what].as_f64().unwrap() - seen["before"][what].as_f64().unwrap();
    // One node or listener kept per placement would be 1,000 or more.
    assert!(
        growth("nodes") <= 10.0,
        "DOM nodes grew by {}",
        growth("nodes")
    );
    assert!(
        growth("listeners") <= 0.0,
        "event listeners grew by {}",
        growth("listeners")
    );
    assert!(
        growth("heap") < 256.0 * 1024.0,
        "JS heap grew by {} bytes",
        growth("heap")
    );
    // The widget did listen on the host page (the wake-up catch-up), and stopped.
    assert_eq!(
        seen["running"],
        json!(["document:visibilitychange", "window:focus"]),
        "the widget's listeners on the host page while it runs"
    );
    assert_eq!(
        seen["stopped"],
        json!([]),
        "after shutdown no listener of the widget is left on window or document"
    );
    let placements = seen["placementsAfterShutdown"].as_array().unwrap();
    assert_eq!(placements.len(), 3, "the demo page's own placements");
    for p in placements {
        assert_eq!(
            p,
            &json!({"mounted": false, "children": 0}),
            "{placements:?}"
        );
    }
    assert_eq!(seen["lateMounted"], false, "no observer after shutdown");
}
