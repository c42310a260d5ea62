use std::time::Duration;

use super::*;
use crate::model::{Flavor, Integration, PayloadVersion, Route};

/// One API with the given routes; `$default` makes the catch-all route.
fn api(routes: &[(&str, &str)]) -> Vec<Api> {
    vec![Api {
        logical_id: "Api".into(),
        api_id: "abcdefghij".into(),
        stage: "Prod".into(),
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
            })
            .collect(),
        authorizers: IndexMap::new(),
        flavor: Flavor::rest(),
    }]
}

/// Returns "METHOD /template k=v ..." for the matched route, or the error.
fn hit(routes: &[(&str, &str)], method: &str, path: &str) -> Result<String, RouteError> {
    let apis = api(routes);
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
    assert!(
        bad(&[("", "$default"), ("", "$default")])
            .to_string()
            .starts_with("$default is declared twice")
    );
    // Malformed paths never reach the table: the model's parser refuses them (its tests).
    assert!(PathTemplate::parse("/{proxy+}/child").is_err());
    assert!(PathTemplate::parse("/a{b}").is_err());
}

#[test]
fn the_default_route_answers_what_nothing_else_matches() {
    let routes = [("GET", "/pets/{id}"), ("", "$default")];
    assert_eq!(
        hit(&routes, "GET", "/pets/1").unwrap(),
        "GET /pets/{id} id=1"
    );
    // No resource, and a resource without the method: both fall to $default, with no
    // path variables from the partial match.
    assert_eq!(hit(&routes, "GET", "/owners").unwrap(), "$default");
    assert_eq!(hit(&routes, "DELETE", "/pets/1").unwrap(), "$default");
    assert_eq!(hit(&routes, "GET", "/").unwrap(), "$default");
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
