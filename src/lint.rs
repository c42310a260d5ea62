//! Known traps in a template that loads fine but misbehaves on API Gateway, reported by
//! `glassgate validate`, each naming the resource and a fix.

use std::path::PathBuf;

use crate::model::{AuthorizerKind, Flavor, IdentitySource, Model, PathTemplate, Route, Warning};

/// Where a function's handler source most likely is.
fn handler_source(model: &Model, function: &str) -> Option<PathBuf> {
    let f = model.functions.get(function)?;
    let handler = f.handler.as_deref()?;
    let (module, _) = handler.rsplit_once('.')?;
    let exts: &[&str] = if f.runtime.starts_with("python") {
        &["py"]
    } else if f.runtime.starts_with("nodejs") {
        &["js", "mjs", "cjs", "ts"]
    } else {
        return None;
    };
    let base = if f.runtime.starts_with("python") {
        module.replace('.', "/")
    } else {
        module.to_owned()
    };
    exts.iter()
        .map(|e| f.code_dir.join(format!("{base}.{e}")))
        .find(|p| p.is_file())
}

/// The lines of a handler that are code: not comments, not inside a Python docstring
/// (where explanations of the fix, wildcards included, usually live).
fn code_lines(code: &str) -> impl Iterator<Item = &str> {
    let mut in_docstring = false;
    code.lines().filter(move |line| {
        let t = line.trim_start();
        let quotes = t.matches("\"\"\"").count() + t.matches("\'\'\'").count();
        let was_inside = in_docstring;
        if quotes % 2 == 1 {
            in_docstring = !in_docstring;
        }
        let opens_docstring = t.starts_with("\"\"\"") || t.starts_with("\'\'\'");
        !(was_inside
            || opens_docstring
            || t.starts_with('#')
            || t.starts_with("//")
            || t.starts_with('*')
            || t.starts_with("/*"))
    })
}

/// Whether a line of code has a string ending in `/*` (as `…/STAGE/*/*` does): an
/// authorizer that reads `methodArn` only to cut it down to a wildcard is the fix, not the
/// trap. A text check, like the rest of this lint; `validate --probe` is the real test.
fn ends_a_path_in_wildcards(code: &str) -> bool {
    code_lines(code).any(|line| {
        ["/*/*", "/*\"", "/*'", "/*`"]
            .iter()
            .any(|end| line.contains(end))
    })
}

/// Whether a line of code (not a comment) mentions `methodArn`.
fn reads_method_arn(code: &str) -> bool {
    code_lines(code).any(|line| line.contains("methodArn"))
}

/// A REST Cognito authorizer's token-kind traps: methods without scopes take ID tokens only,
/// methods with scopes access tokens only, and access tokens have no `aud` to match an
/// `IdentityValidationExpression`.
fn cognito_traps(
    api: &crate::model::Api,
    a: &crate::model::Authorizer,
    validation: Option<&str>,
) -> Vec<Warning> {
    let (mut unscoped, mut scoped) = (Vec::new(), Vec::new());
    for r in api
        .routes
        .iter()
        .filter(|r| r.authorizer.as_deref() == Some(a.name.as_str()))
    {
        if r.scopes.is_empty() {
            unscoped.push(r.key.to_string());
        } else {
            scoped.push(r.key.to_string());
        }
    }
    let mut out = Vec::new();
    if !unscoped.is_empty() {
        out.push(Warning {
            location: a.source.clone(),
            message: format!(
                "Cognito authorizer {}: methods {} have no AuthorizationScopes, so API Gateway takes only ID tokens there and answers 401 to an access token (what OAuth clients send); give them AuthorizationScopes to take access tokens",
                a.name,
                unscoped.join(", ")
            ),
        });
    }
    if let (Some(expr), false) = (validation, scoped.is_empty()) {
        out.push(Warning {
            location: a.source.clone(),
            message: format!(
                "Cognito authorizer {} matches aud against {expr:?}, and methods {} require scopes, which only access tokens carry; access tokens have no aud, so those methods refuse every token",
                a.name,
                scoped.join(", ")
            ),
        });
    }
    out
}

/// Every trap found, in template order.
pub fn traps(model: &Model) -> Vec<Warning> {
    let mut out = Vec::new();
    // Dependencies `sam build` would install, missing from the folder served as it is.
    for f in model.functions.values() {
        if let Some(message) = crate::lambda::deps::uninstalled(f) {
            out.push(Warning {
                location: format!("Resources.{}.Properties.CodeUri", f.logical_id),
                message,
            });
        }
    }
    for api in &model.apis {
        for a in api.authorizers.values() {
            // Cognito puts scopes only in access tokens, which have client_id and no aud: an
            // ID token (the one most front ends send) never passes a route with scopes.
            // Cognito access tokens have no aud, so their client_id is compared: an audience
            // that is not an app client id (an API identifier URL, say) only ever matches aud,
            // which only ID tokens have.
            if let AuthorizerKind::Jwt {
                issuer, audience, ..
            } = &a.kind
                && issuer.starts_with("https://cognito-idp.")
            {
                let urls: Vec<&str> = audience
                    .iter()
                    .map(String::as_str)
                    .filter(|a| a.contains(':') || a.contains('/'))
                    .collect();
                if !urls.is_empty() {
                    out.push(Warning {
                        location: a.source.clone(),
                        message: format!(
                            "JWT authorizer {} trusts a Cognito user pool with audience {}: Cognito access tokens have no aud, so API Gateway compares their client_id, which is an app client id, never such a value; only ID tokens can match (put the app client id in the audience)",
                            a.name,
                            urls.join(", ")
                        ),
                    });
                }
            }
            if let AuthorizerKind::Jwt { issuer, .. } = &a.kind
                && issuer.starts_with("https://cognito-idp.")
            {
                let scoped: Vec<String> = api
                    .routes
                    .iter()
                    .filter(|r| {
                        r.authorizer.as_deref() == Some(a.name.as_str()) && !r.scopes.is_empty()
                    })
                    .map(|r| r.key.to_string())
                    .collect();
                if !scoped.is_empty() {
                    out.push(Warning {
                        location: a.source.clone(),
                        message: format!(
                            "JWT authorizer {} trusts a Cognito user pool and routes {} require scopes: Cognito ID tokens carry no scope claim, so only access tokens pass them (send the access token, whose client_id is compared when it has no aud)",
                            a.name,
                            scoped.join(", ")
                        ),
                    });
                }
            }
            if let AuthorizerKind::CognitoUserPools {
                validation_expression,
                ..
            } = &a.kind
            {
                out.extend(cognito_traps(api, a, validation_expression.as_deref()));
            }
            let used = api
                .routes
                .iter()
                .any(|r| r.authorizer.as_deref() == Some(a.name.as_str()));
            if !used {
                out.push(Warning {
                    location: a.source.clone(),
                    message: format!(
                        "authorizer {} guards no route; set it as DefaultAuthorizer or on an event's Auth.Authorizer",
                        a.name
                    ),
                });
            }
            if !a.ttl.is_zero() {
                if let Some(src) = a.function.as_deref().and_then(|f| handler_source(model, f)) {
                    let code = std::fs::read_to_string(&src).unwrap_or_default();
                    if reads_method_arn(&code) && !ends_a_path_in_wildcards(&code) {
                        out.push(Warning {
                            location: a.source.clone(),
                            message: format!(
                                "authorizer {} caches results for {} s, and its code ({}) reads event.methodArn: a policy built for one method ARN is reused for every route within the TTL, so other routes get 403 \"User is not authorized to access this resource\"; return a wildcard Resource (…/STAGE/*/*) or set ReauthorizeEvery: 0 (confirm with `glassgate validate --probe`)",
                                a.name,
                                a.ttl.as_secs(),
                                src.display()
                            ),
                        });
                    }
                }
            }
            if let Some(f) = a.function.as_deref().and_then(|f| model.functions.get(f)) {
                if f.timeout.as_secs() >= 29 {
                    out.push(Warning {
                        location: format!("Resources.{}.Properties.Timeout", f.logical_id),
                        message: format!(
                            "authorizer {} runs {} with Timeout {} s; API Gateway will not wait that long for an authorizer (the request fails with 500 before the function ends); keep authorizers well under 10 s",
                            a.name,
                            f.logical_id,
                            f.timeout.as_secs()
                        ),
                    });
                } else if f.timeout.as_secs() > 10 {
                    out.push(Warning {
                        location: format!("Resources.{}.Properties.Timeout", f.logical_id),
                        message: format!(
                            "authorizer {} runs {} with Timeout {} s, over the 10 s HTTP APIs allow for authorizers; a slow authorizer answers 500 {{\"message\":null}}",
                            a.name,
                            f.logical_id,
                            f.timeout.as_secs()
                        ),
                    });
                }
            }
            if let AuthorizerKind::Request {
                identity_sources,
                simple_responses: true,
                ..
            } = &a.kind
            {
                // The cache key is the identity alone (aws-httpapi-semantics.md §2.6): a
                // simple response cached for one route decides for all of them.
                let routes: Vec<String> = api
                    .routes
                    .iter()
                    .filter(|r| r.authorizer.as_deref() == Some(a.name.as_str()))
                    .map(|r| r.key.to_string())
                    .collect();
                let keyed_on_route = identity_sources
                    .iter()
                    .any(|s| *s == IdentitySource::Context("routeKey".into()));
                if !a.ttl.is_zero() && routes.len() > 1 && !keyed_on_route {
                    out.push(Warning {
                        location: a.source.clone(),
                        message: format!(
                            "authorizer {} returns simple responses cached for {} s keyed on its identity sources only: an isAuthorized true for one route ({}) authorizes the same caller on every other route ({}) until the TTL ends; add $context.routeKey to Identity.Context, return IAM policies instead, or set ReauthorizeEvery: 0",
                            a.name,
                            a.ttl.as_secs(),
                            routes[0],
                            routes[1..].join(", ")
                        ),
                    });
                }
            }
            if let AuthorizerKind::Request {
                identity_sources, ..
            } = &a.kind
            {
                if identity_sources.is_empty() && !a.ttl.is_zero() {
                    out.push(Warning {
                        location: a.source.clone(),
                        message: format!(
                            "REQUEST authorizer {} caches results but has no identity sources: every caller would share one cache entry; add identity sources or set ReauthorizeEvery: 0",
                            a.name
                        ),
                    });
                }
            }
        }
        // An HTTP API's CORS preflights go to any route that matches OPTIONS before the
        // CorsConfiguration can answer them; with an authorizer there, they fail.
        if api.flavor.cors().is_some() {
            for r in api.routes.iter().filter(|r| r.authorizer.is_some()) {
                let takes_options = matches!(r.method(), None | Some("ANY" | "OPTIONS"));
                if takes_options {
                    out.push(Warning {
                        location: r.source.clone(),
                        message: format!(
                            "route {} has authorizer {} and matches OPTIONS, so it takes the CORS preflights of the paths it covers before the API's CorsConfiguration can answer them; browsers send preflights without credentials, so they fail and the browser reports a CORS error (add an OPTIONS route with Auth: {{Authorizer: NONE}}, or use explicit methods)",
                            r.key,
                            r.authorizer.as_deref().unwrap_or_default()
                        ),
                    });
                }
            }
        }
        // A concrete resource owns its subtree: a parent's {proxy+} never serves below it.
        let is_greedy = |r: &&Route| r.path().is_some_and(PathTemplate::is_greedy);
        // HTTP APIs fall back to a greedy route past a literal; only REST resources own
        // their subtree.
        let rest = matches!(api.flavor, Flavor::Rest { .. });
        for greedy in api.routes.iter().filter(is_greedy).filter(|_| rest) {
            let path = greedy.resource();
            let parent = path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
            let mut shadowed: Vec<String> = api
                .routes
                .iter()
                .filter_map(|r| {
                    let rest = r.path()?.as_str().strip_prefix(parent)?.strip_prefix('/')?;
                    let first = rest.split('/').next()?;
                    (!first.is_empty() && !first.starts_with('{'))
                        .then(|| format!("{parent}/{first}"))
                })
                .collect();
            shadowed.sort();
            shadowed.dedup();
            for lit in shadowed {
                let has_own_greedy = api
                    .routes
                    .iter()
                    .filter(is_greedy)
                    .any(|r| r.resource().starts_with(&format!("{lit}/{{")));
                if !has_own_greedy {
                    out.push(Warning {
                        location: greedy.source.clone(),
                        message: format!(
                            "{} does not serve paths below {lit}/ (e.g. {lit}/anything): the resource {lit} takes its whole subtree and such requests get 403 Missing Authentication Token; add {lit}/{{proxy+}} if they should reach a handler",
                            greedy.key
                        ),
                    });
                }
            }
        }
        // A Lambda non-proxy integration whose only answer to a function error is a 2xx
        // default response: every exception reaches the client as a success.
        for r in &api.routes {
            let crate::model::Integration::LambdaMapped(m) = &r.integration else {
                continue;
            };
            let default = m.responses.iter().find(|x| x.pattern.is_none());
            if let Some(d) = default
                && (200..300).contains(&d.status)
                && m.responses.iter().all(|x| x.pattern.is_none())
            {
                out.push(Warning {
                    location: r.source.clone(),
                    message: format!(
                        "{} is a Lambda non-proxy integration with no selectionPattern: when the function raises, its default response answers {} with Lambda's error document as the body, so clients see errors as successes; add an integration response with selectionPattern \".+\" (any error message) and a 5xx statusCode",
                        r.key, d.status
                    ),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{ends_a_path_in_wildcards, reads_method_arn};

    #[test]
    fn wildcard_policies_are_told_from_comments() {
        assert!(ends_a_path_in_wildcards(
            r#"resource = f"{arn[0]}/{arn[1]}/*/*""#
        ));
        assert!(ends_a_path_in_wildcards("const r = `${base}/*`;"));
        assert!(ends_a_path_in_wildcards("r = arn + '/*'"));
        assert!(!ends_a_path_in_wildcards(
            "/* a JS comment */ Resource: event.methodArn"
        ));
        assert!(!ends_a_path_in_wildcards(
            r#""Resource": event["methodArn"]"#
        ));
    }

    #[test]
    fn comments_and_docstrings_are_not_code() {
        let py = "\"\"\"Fix: allow arn:.../STAGE/*/* instead of methodArn.\n\nMore words.\n\"\"\"\n# also /*/* here\ndef handler(event, context):\n    return event[\"methodArn\"]\n";
        assert!(!ends_a_path_in_wildcards(py));
        assert!(reads_method_arn(py));
        let js =
            "// methodArn is read below\n/* see /*/* */\nexports.handler = async () => ({});\n";
        assert!(!reads_method_arn(js));
        assert!(!ends_a_path_in_wildcards(js));
        let one_line_doc = "\"\"\"Uses methodArn.\"\"\"\nx = 1\n";
        assert!(!reads_method_arn(one_line_doc));
    }
}
