//! `GET /openapi.json` describes exactly the routes the worker has.

use std::collections::BTreeSet;

use cairn_e2e::App;

#[test]
fn the_document_matches_the_routes() {
    let app = App::start("openapi").unwrap();
    let reply = app.request("GET", "/openapi.json", &[], None).unwrap();
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .contains("application/json")
    );
    let doc = reply.json();
    assert_eq!(doc["openapi"], "3.1.0");
    // That the document lists exactly the route table is a native test of the worker
    // (`router::tests`); here, that the running worker routes every documented path.
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if method == "parameters" {
                continue; // parameters shared by the path's operations, not a method
            }
            let normalized: String = path
                .split('/')
                .map(|s| if s.starts_with('{') { "{}" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            documented.insert((method.to_uppercase(), normalized));
        }
    }
    assert!(documented.len() >= 19, "{documented:?}");

    // Every documented route answers (never 404 for the route itself), and every $ref resolves.
    for (method, path) in &documented {
        let concrete = path
            .replace("/milestones/{}/award", "/milestones/first_project/award")
            .replace("{}", "aw_000000000000000000000000");
        let reply = app.request(method, &concrete, &[], None).unwrap();
        let route_missing =
            reply.status == 404 && reply.json()["error"]["message"] == "no such route";
        assert!(
            !route_missing,
            "{method} {path} is documented but not routed"
        );
    }
    let text = reply.body;
    for reference in text
        .split("\"$ref\": \"#/")
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
    {
        let mut node = &doc;
        for part in reference.split('/') {
            node = &node[part];
        }
        assert!(!node.is_null(), "$ref #/{reference} does not resolve");
    }
}
