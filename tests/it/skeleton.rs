//! The walking skeleton, from a real browser to a Durable Object and back as confetti.

use cairn_e2e::App;

#[test]
fn ten_projects_celebrate_twice_once_each_and_survive_a_restart() {
    let mut app = App::start("skeleton").unwrap();
    let seen = app.browser("skeleton.mjs").unwrap();
    eprintln!("browser observed: {seen:#}");

    assert_eq!(
        seen["consoleErrors"],
        serde_json::json!([]),
        "no errors in the page"
    );
    assert_eq!(seen["errors"], serde_json::json!([]), "no tracking errors");
    let mut sorted: Vec<u64> = seen["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_u64().unwrap())
        .collect();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (1..=10).collect::<Vec<_>>(),
        "every click counted once"
    );

    let awards = seen["awards"].as_array().unwrap();
    let titles: Vec<&str> = awards
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["First project!", "10 projects!"],
        "exactly two celebrations, at 1 and 10"
    );
    let milestones: Vec<&str> = awards
        .iter()
        .map(|a| a["milestone"].as_str().unwrap())
        .collect();
    assert_eq!(milestones, ["projects.1", "projects.10"]);

    let celebrations = seen["celebrations"].as_array().unwrap();
    let clicks: Vec<u64> = celebrations
        .iter()
        .map(|c| c["click"].as_u64().unwrap())
        .collect();
    assert_eq!(
        clicks,
        [1, 10],
        "celebrated right after the 1st and the 10th click"
    );
    assert!(
        celebrations[0]["toasts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "First project!")
    );
    assert!(
        celebrations[1]["toasts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "10 projects!")
    );
    for c in celebrations {
        assert!(
            c["pixels"].as_u64().unwrap() > 100,
            "the confetti canvas drew: {c}"
        );
    }
    assert!(
        app.dir().join("celebration-1.png").exists()
            && app.dir().join("celebration-10.png").exists()
    );

    assert_eq!(
        seen["afterReload"]["awards"], 0,
        "no celebration after a reload"
    );
    assert_eq!(seen["afterReload"]["toasts"], serde_json::json!([]));
    assert_eq!(seen["afterReload"]["pixels"], 0);

    let user = seen["user"].as_str().unwrap();
    let me = app.client("GET", "/v1/client/me", user, None).unwrap();
    assert_eq!(me.status, 200);
    let me = me.json();
    assert_eq!(me["totals"]["project_created"], 10);
    assert_eq!(me["awards"].as_array().unwrap().len(), 2);
    assert_eq!(me["progress"][0]["next"], 50);
    assert_eq!(me["progress"][0]["remaining"], 40);

    app.restart().unwrap();
    let me = app
        .client("GET", "/v1/client/me", user, None)
        .unwrap()
        .json();
    assert_eq!(
        me["totals"]["project_created"], 10,
        "state survives a wrangler restart"
    );
    assert_eq!(me["awards"].as_array().unwrap().len(), 2);
}

/// Tests pick free ports a moment before wrangler binds them, while other tests' workerd
/// processes bind sockets of their own: a port taken in between must cost a retry, not a
/// failed run.
#[test]
fn wrangler_moves_to_fresh_ports_when_its_port_was_taken() {
    cairn_e2e::ensure_built();
    let dir = cairn_e2e::test_dir("skeleton-port-taken");
    let taken = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let options = xtask::wrangler::Options {
        port,
        ..xtask::wrangler::Options::ephemeral(dir.join("state"), dir.join("wrangler-0.log"))
            .unwrap()
    };
    let w = xtask::wrangler::Wrangler::start(options).unwrap();
    assert_ne!(w.options.port, port, "moved off the taken port");
    assert_eq!(
        xtask::wrangler::get_status(w.options.port, "/v1/health"),
        Some(200)
    );
    // Ports chosen by hand (`cargo xtask dev`'s 8787) are never changed behind the user's back.
    let fixed = xtask::wrangler::Options {
        port,
        ephemeral_ports: false,
        ..xtask::wrangler::Options::ephemeral(dir.join("state2"), dir.join("wrangler-1.log"))
            .unwrap()
    };
    let err = xtask::wrangler::Wrangler::start(fixed).unwrap_err();
    assert!(
        err.to_string().contains("could not bind its ports"),
        "{err:#}"
    );
}
