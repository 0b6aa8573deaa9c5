//! The widget in real Chromium against real workerd: real-time awards, once across tabs,
//! acknowledgement, reduced motion, `cairn('on')`, `cairn('celebrate')`, `cairn('shutdown')`.

use cairn_e2e::App;
use serde_json::json;

#[test]
fn server_side_awards_celebrate_live_once_across_tabs() {
    let app = App::start("realtime").unwrap();
    let seen = app.browser("realtime.mjs").unwrap();
    eprintln!("browser observed: {seen:#}");

    assert_eq!(seen["errors"], json!([]), "no errors in the pages");
    let counts: Vec<u64> = seen["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    assert_eq!(
        counts.iter().sum::<u64>(),
        1,
        "two tabs of one user celebrate a server-side award once: {counts:?}"
    );
    let latency = seen["latencyMs"].as_u64().unwrap();
    assert!(
        latency <= 1_000,
        "celebrated {latency} ms after the server-side event (budget 1 s)"
    );
    assert!(seen["pixels"].as_u64().unwrap() >= 50, "confetti drew");
    assert_eq!(seen["toasts"], json!(["First project!"]));
    assert_eq!(
        seen["seen"],
        json!(true),
        "the celebration was acknowledged"
    );

    assert_eq!(
        seen["preview"]["heard"],
        json!(["Preview!"]),
        "cairn('on', 'award') heard the preview"
    );
    assert!(
        seen["preview"]["toasts"]
            .as_array()
            .unwrap()
            .contains(&json!("Preview!")),
        "cairn('celebrate') showed a toast"
    );

    assert_eq!(
        seen["calm"]["toasts"],
        json!(["First project!"]),
        "reduced motion still shows the toast"
    );
    assert_eq!(
        seen["calm"]["pixels"],
        json!(0),
        "reduced motion draws no particles"
    );
    assert_eq!(
        seen["calm"]["workers"],
        json!(0),
        "reduced motion starts no confetti worker"
    );

    assert_eq!(
        seen["workers"],
        json!(["/confetti-worker.js"]),
        "confetti is drawn in one worker, beside the loader"
    );
    assert_eq!(
        seen["afterShutdown"],
        json!({"told": true, "layer": false, "cairn": "undefined", "workers": 0}),
        "shutdown removes the layer, the confetti worker and window.cairn, then says so"
    );
    assert!(app.dir().join("server-side-award.png").exists());
}
