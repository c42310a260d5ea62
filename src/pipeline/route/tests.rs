use std::time::Duration;

use super::*;
use crate::model::{Flavor, Integration, PathTemplate, PayloadVersion, Route};

/// One REST API with the given routes.
fn api(routes: &[(&str, &str)]) -> Vec<Api> {
    vec![api_of(Flavor::rest(), "Prod", routes)]
}

/// One API of the flavour on the stage; `$default` as a path makes the catch-all route.
fn api_of(flavor: Flavor, stage: &str, routes: &[(&str, &str)]) -> Api {
    Api {
        logical_id: "Api".into(),
        api_id: "abcdefghij".into(),
        stage: stage.into(),
        stage_variables: IndexMap::new(),
        routes: routes
            .iter()
            .map(|(m, p)| Route {
                key: if *p == "$default" {
                    RouteKey::Default
                } else {
                    RouteKey::path(m, PathTemplate::parse(p).expect("valid path"))
                },
                integration: Integration::Lambda {
                    function: "Fn".into(),
                    payload: PayloadVersion::V1,
                    timeout: Duration::from_secs(29),
                },
                source: format!("{m} {p}"),
                authorizer: None,
                scopes: Vec::new(),
            })
            .collect(),
        authorizers: IndexMap::new(),
        flavor,
        access_log: None,
    }
}

/// Returns "METHOD /template k=v ..." for the matched route, or the error.
fn hit(routes: &[(&str, &str)], method: &str, path: &str) -> Result<String, RouteError> {
    hit_in(api(routes), method, path)
}

/// The same on one HTTP API on the `$default` stage.
fn hit_http(routes: &[(&str, &str)], method: &str, path: &str) -> Result<String, RouteError> {
    hit_in(
        vec![api_of(Flavor::Http { cors: None }, "$default", routes)],
        method,
        path,
    )
}

fn hit_in(apis: Vec<Api>, method: &str, path: &str) -> Result<String, RouteError> {
    let router = Router::new(&apis).expect("valid table");
    let m = router.route(method, path)?;
    let r = &apis[m.id.api].routes[m.id.route];
    let mut s = r.key.to_string();
    for (k, v) in &m.path_params {
        s.push_str(&format!(" {k}={v}"));
    }
    Ok(s)
}

#[test]
fn literal_beats_param_beats_greedy() {
    let routes = [
        ("GET", "/users/me"),
        ("GET", "/users/{id}"),
        ("GET", "/users/{proxy+}"),
    ];
    assert_eq!(hit(&routes, "GET", "/users/me").unwrap(), "GET /users/me");
    assert_eq!(
        hit(&routes, "GET", "/users/42").unwrap(),
        "GET /users/{id} id=42"
    );
    assert_eq!(
        hit(&routes, "GET", "/users/42/books").unwrap(),
        "GET /users/{proxy+} proxy=42/books"
    );
}

#[test]
fn explicit_method_beats_any() {
    let routes = [("ANY", "/items"), ("POST", "/items")];
    assert_eq!(hit(&routes, "POST", "/items").unwrap(), "POST /items");
    assert_eq!(hit(&routes, "DELETE", "/items").unwrap(), "ANY /items");
}

#[test]
fn concrete_sibling_excludes_its_subtree_from_the_parent_proxy() {
    let routes = [("ANY", "/{proxy+}"), ("GET", "/parent")];
    assert_eq!(hit(&routes, "GET", "/parent").unwrap(), "GET /parent");
    assert_eq!(
        hit(&routes, "GET", "/parent/child"),
        Err(RouteError::NoResource {
            path: "/parent/child".into()
        })
    );
    assert_eq!(
        hit(&routes, "GET", "/other/x").unwrap(),
        "ANY /{proxy+} proxy=other/x"
    );
}

#[test]
fn greedy_needs_a_segment_and_root_needs_its_own_method() {
    let routes = [("ANY", "/{proxy+}")];
    assert!(matches!(
        hit(&routes, "GET", "/"),
        Err(RouteError::NoResource { .. })
    ));
    let routes = [("ANY", "/{proxy+}"), ("GET", "/")];
    assert_eq!(hit(&routes, "GET", "/").unwrap(), "GET /");
}

#[test]
fn wrong_method_is_reported_with_the_allowed_ones() {
    let routes = [("GET", "/hello"), ("POST", "/hello")];
    assert_eq!(
        hit(&routes, "PUT", "/hello"),
        Err(RouteError::NoMethod {
            resource: "/hello".into(),
            method: "PUT".into(),
            allowed: vec!["GET".into(), "POST".into()],
        })
    );
}

#[test]
fn trailing_slash_and_greedy_values_follow_aws() {
    let routes = [("GET", "/a/{proxy+}"), ("GET", "/b")];
    assert_eq!(hit(&routes, "GET", "/b/").unwrap(), "GET /b");
    assert_eq!(
        hit(&routes, "GET", "/a/x/").unwrap(),
        "GET /a/{proxy+} proxy=x"
    );
    assert_eq!(
        hit(&routes, "GET", "/a/x//y").unwrap(),
        "GET /a/{proxy+} proxy=x//y"
    );
    // Path parameters stay percent-encoded.
    assert_eq!(
        hit(&routes, "GET", "/a/test%2Balias").unwrap(),
        "GET /a/{proxy+} proxy=test%2Balias"
    );
}

#[test]
fn param_falls_back_to_greedy_sibling() {
    let routes = [("GET", "/a/{id}"), ("GET", "/a/{proxy+}")];
    assert_eq!(hit(&routes, "GET", "/a/1").unwrap(), "GET /a/{id} id=1");
    assert_eq!(
        hit(&routes, "GET", "/a/1/2").unwrap(),
        "GET /a/{proxy+} proxy=1/2"
    );
}

#[test]
fn nested_params_are_all_captured() {
    let routes = [("GET", "/orgs/{org}/repos/{repo}")];
    assert_eq!(
        hit(&routes, "GET", "/orgs/acme/repos/gg").unwrap(),
        "GET /orgs/{org}/repos/{repo} org=acme repo=gg"
    );
    assert!(hit(&routes, "GET", "/orgs/acme/repos").is_err());
}

#[test]
fn invalid_tables_are_rejected() {
    let bad = |routes: &[(&str, &str)]| Router::new(&api(routes)).unwrap_err();
    assert!(matches!(
        bad(&[("GET", "/pets/{petId}"), ("GET", "/pets/{id}/toys")]),
        RouteTableError::VariableConflict { .. }
    ));
    assert!(matches!(
        bad(&[("GET", "/x"), ("GET", "/x")]),
        RouteTableError::Conflict { .. }
    ));
    assert!(matches!(
        bad(&[("", "$default")]),
        RouteTableError::DefaultOnRest { .. }
    ));
    let two_defaults = vec![api_of(
        Flavor::Http { cors: None },
        "$default",
        &[("", "$default"), ("", "$default")],
    )];
    assert!(
        Router::new(&two_defaults)
            .unwrap_err()
            .to_string()
            .starts_with("$default is declared twice")
    );
    // Malformed paths never reach the table: the model's parser refuses them (its tests).
    assert!(PathTemplate::parse("/{proxy+}/child").is_err());
    assert!(PathTemplate::parse("/a{b}").is_err());
}

#[test]
fn http_apis_match_exact_then_greedy_then_default() {
    // The example table of the HTTP API developer guide (aws-httpapi-semantics.md §1.2).
    let routes = [
        ("GET", "/pets/dog/1"),
        ("GET", "/pets/dog/{id}"),
        ("GET", "/pets/{proxy+}"),
        ("ANY", "/{proxy+}"),
        ("", "$default"),
    ];
    assert_eq!(
        hit_http(&routes, "GET", "/pets/dog/1").unwrap(),
        "GET /pets/dog/1"
    );
    assert_eq!(
        hit_http(&routes, "GET", "/pets/dog/2").unwrap(),
        "GET /pets/dog/{id} id=2"
    );
    assert_eq!(
        hit_http(&routes, "GET", "/pets/cat/1").unwrap(),
        "GET /pets/{proxy+} proxy=cat/1"
    );
    // ANY covers the methods the path does not define; it beats $default.
    assert_eq!(
        hit_http(&routes, "POST", "/test/5").unwrap(),
        "ANY /{proxy+} proxy=test/5"
    );
    assert_eq!(
        hit_http(&routes, "POST", "/pets/dog/1").unwrap(),
        "ANY /{proxy+} proxy=pets/dog/1"
    );
    assert_eq!(hit_http(&routes, "GET", "/").unwrap(), "$default");
}

#[test]
fn http_apis_fall_back_where_rest_would_not() {
    // A full match with a variable beats a greedy route under a literal.
    let routes = [("GET", "/{a}/{b}"), ("GET", "/pets/{proxy+}")];
    assert_eq!(
        hit_http(&routes, "GET", "/pets/x").unwrap(),
        "GET /{a}/{b} a=pets b=x"
    );
    // A literal that leads nowhere does not own its subtree.
    let routes = [("GET", "/users/me"), ("GET", "/users/{id}/books")];
    assert_eq!(
        hit_http(&routes, "GET", "/users/me/books").unwrap(),
        "GET /users/{id}/books id=me"
    );
    // A resource without the method keeps looking.
    let routes = [("POST", "/items"), ("GET", "/{proxy+}")];
    assert_eq!(
        hit_http(&routes, "GET", "/items").unwrap(),
        "GET /{proxy+} proxy=items"
    );
}

#[test]
fn http_apis_fold_nothing() {
    let routes = [("GET", "/metrics"), ("GET", "/files/{proxy+}")];
    assert!(matches!(
        hit_http(&routes, "GET", "/metrics/"),
        Err(RouteError::NoRoute { .. })
    ));
    assert!(hit_http(&routes, "GET", "//metrics").is_err());
    assert!(hit_http(&routes, "GET", "/files").is_err());
    // A greedy variable may match the empty remainder after a trailing slash.
    assert_eq!(
        hit_http(&routes, "GET", "/files/").unwrap(),
        "GET /files/{proxy+} proxy="
    );
    assert_eq!(
        hit_http(&routes, "GET", "/files/a//b/").unwrap(),
        "GET /files/{proxy+} proxy=a//b/"
    );
    assert!(hit_http(&[("GET", "/{proxy+}")], "GET", "/").is_err());
}

#[test]
fn named_stages_are_path_prefixes_left_out_of_matching() {
    let apis = vec![api_of(
        Flavor::Http { cors: None },
        "dev",
        &[("GET", "/items/{id}")],
    )];
    let router = Router::new(&apis).unwrap();
    let m = router.route("GET", "/dev/items/7").unwrap();
    assert_eq!(m.path_params["id"], "7");
    // Without the stage, or under another one, nothing matches; the miss names the API.
    assert!(matches!(
        router.route("GET", "/items/7"),
        Err(RouteError::NoRoute { api: 0, .. })
    ));
    assert_eq!(
        router.route("GET", "/dev/nope"),
        Err(RouteError::NoRoute {
            api: 0,
            method: "GET".into(),
            path: "/nope".into()
        })
    );
    assert!(router.route("GET", "/development/items/7").is_err());
}

#[test]
fn rest_apis_come_first_at_the_root() {
    let apis = vec![
        api_of(
            Flavor::Http { cors: None },
            "$default",
            &[("GET", "/shared"), ("", "$default")],
        ),
        api_of(
            Flavor::rest(),
            "Prod",
            &[("GET", "/shared"), ("GET", "/rest")],
        ),
    ];
    let router = Router::new(&apis).unwrap();
    assert_eq!(router.route("GET", "/shared").unwrap().id.api, 1);
    assert_eq!(router.route("GET", "/rest").unwrap().id.api, 1);
    // The HTTP API's $default takes what neither matches.
    assert_eq!(router.route("GET", "/other").unwrap().id.api, 0);
}

#[test]
fn nearest_routes_share_the_longest_prefix() {
    let apis = api(&[
        ("GET", "/users/{id}"),
        ("GET", "/hello"),
        ("POST", "/users"),
    ]);
    let router = Router::new(&apis).unwrap();
    let near = router.nearest("/users/1/x", 2);
    assert_eq!(near, vec!["GET /users/{id}", "POST /users"]);
}
