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
