//! Where confetti is drawn for each way of embedding the widget (see `tests/e2e/confetti.mjs`;
//! the demo app's same-origin worker is checked by `realtime` too): a cross-origin embed draws
//! in Cairn's frame under a strict host policy with no violation, a policy that blocks the
//! frame still gets its confetti, on the main thread, with a warning that names the fix, and a
//! page of Cairn's own origin, once idle, has its canvas handed over by the rehearsal with no
//! worker started until the burst, whose worker draws it.

use cairn_e2e::App;
use serde_json::json;

#[test]
fn confetti_is_drawn_where_each_way_of_embedding_allows() {
    let app = App::start("confetti").unwrap();
    let seen = app.browser("confetti.mjs").unwrap();
    eprintln!("browser observed: {seen:#}");

    let framed = &seen["framed"];
    assert_eq!(framed["drawnBy"], "iframe", "drawn in Cairn's frame");
    assert_eq!(
        framed["frame"],
        json!(format!("{}/confetti", seen["cairn"].as_str().unwrap())),
        "the frame beside the loader"
    );
    assert!(
        framed["pixels"].as_u64().unwrap() >= 200,
        "the frame's worker painted the burst: {}",
        framed["pixels"]
    );
    assert_eq!(framed["after"], json!(null), "the burst's end came back");
    assert_eq!(
        framed["shareCard"], true,
        "the share card loads across origins"
    );
    assert_eq!(framed["violations"], json!([]), "no policy violation");
    assert_eq!(framed["messages"], json!([]), "no error or warning");

    let blocked = &seen["blocked"];
    assert_eq!(
        blocked["violations"].as_array().unwrap().len(),
        1,
        "the blocked frame is the one violation: {}",
        blocked["violations"]
    );
    assert_eq!(blocked["violations"][0]["directive"], "frame-src");
    assert_eq!(blocked["frame"], json!(null), "the blocked frame is gone");
    assert_eq!(blocked["drawnBy"], "canvas", "drawn on the page instead");
    assert_eq!(blocked["shareCard"], true, "the share card loads there too");
    assert!(
        blocked["pixels"].as_u64().unwrap() >= 200,
        "the page painted the burst: {}",
        blocked["pixels"]
    );
    assert_eq!(blocked["after"], json!(null), "the burst ended");
    let warned = blocked["messages"].as_array().unwrap();
    assert!(
        warned
            .iter()
            .any(|m| m.as_str().unwrap().contains("frame-src")),
        "the warning names the fix: {warned:?}"
    );
    assert!(app.dir().join("confetti-cross-origin-frame.png").exists());

    // From Cairn's own origin under the README's minimal policy, after the page was idle.
    let same = &seen["same"];
    assert_eq!(
        same["handedOver"], "InvalidStateError",
        "the rehearsal handed the canvas's drawing over"
    );
    assert_eq!(same["workersBefore"], 0, "and started no worker");
    assert_eq!(
        same["workers"],
        json!(["/confetti-worker.js"]),
        "the burst started the confetti worker beside the loader"
    );
    assert_eq!(same["drawnBy"], "canvas");
    assert!(
        same["pixels"].as_u64().unwrap() >= 200,
        "the worker painted the burst on the handed-over canvas: {}",
        same["pixels"]
    );
    assert_eq!(same["after"], json!(null), "the burst's end came back");
    assert_eq!(same["violations"], json!([]), "no policy violation");
    assert_eq!(same["messages"], json!([]), "no error or warning");
}
