//! Routes: which requests an API serves, and with what.
//!
//! Owns the route key grammar of both API flavours, parsed once here and used by the template
//! readers (to refuse what API Gateway would not deploy) and by the router (to match):
//! - a path template (`/`, `/users/{id}`, `/files/{proxy+}`): whole-segment variables only, a
//!   greedy `{name+}` only as the last segment;
//! - a route key, `METHOD /path` or `$default` (the catch-all route of HTTP APIs), as
//!   `AWS::ApiGatewayV2::Route` spells it.

use std::fmt;

use super::Integration;

/// One route of an API: a key, what serves it, and who guards it.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// What requests it serves.
    pub key: RouteKey,
    /// What serves them.
    pub integration: Integration,
    /// Name of the authorizer (in the API's `authorizers`) that guards it; `None` when the
    /// route is open (no authorizer, or `Auth: {Authorizer: NONE}`).
    pub authorizer: Option<String>,
    /// `AuthorizationScopes` a JWT authorizer requires of the token (one is enough).
    pub scopes: Vec<String>,
    /// Where it was declared, e.g. `Resources.HelloFunction.Properties.Events.Hello`.
    pub source: String,
}

impl Route {
    /// The method of a `METHOD /path` route (`ANY` included); `None` for `$default`.
    pub fn method(&self) -> Option<&str> {
        match &self.key {
            RouteKey::Path { method, .. } => Some(method),
            RouteKey::Default => None,
        }
    }

    /// The path template of a `METHOD /path` route; `None` for `$default`.
    pub fn path(&self) -> Option<&PathTemplate> {
        match &self.key {
            RouteKey::Path { path, .. } => Some(path),
            RouteKey::Default => None,
        }
    }

    /// The resource path as events and logs name it: the path template, or `$default`.
    pub fn resource(&self) -> &str {
        match &self.key {
            RouteKey::Path { path, .. } => path.as_str(),
            RouteKey::Default => DEFAULT_ROUTE,
        }
    }
}

/// The route key of HTTP APIs' catch-all route.
pub const DEFAULT_ROUTE: &str = "$default";

/// The method that matches every verb.
pub const ANY_METHOD: &str = "ANY";

/// What requests a route serves.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RouteKey {
    /// `$default`: every request no other route matches (HTTP APIs only).
    Default,
    /// A method (upper-case verb, or `ANY`) on a path template.
    Path {
        /// Upper-case HTTP verb, or [`ANY_METHOD`].
        method: String,
        /// The path template.
        path: PathTemplate,
    },
}

impl RouteKey {
    /// A `METHOD /path` key; the method is upper-cased.
    pub fn path(method: &str, path: PathTemplate) -> Self {
        RouteKey::Path {
            method: method.to_ascii_uppercase(),
            path,
        }
    }

    /// Parse a route key as `AWS::ApiGatewayV2::Route` spells it: `$default`, or a method,
    /// one space and a path template (`GET /items/{id}`, `ANY /{proxy+}`).
    ///
    /// # Errors
    /// [`RouteKeyError`] naming what is wrong.
    pub fn parse(text: &str) -> Result<Self, RouteKeyError> {
        if text == DEFAULT_ROUTE {
            return Ok(RouteKey::Default);
        }
        let Some((method, path)) = text.split_once(' ') else {
            return Err(RouteKeyError::Shape(text.to_owned()));
        };
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(RouteKeyError::Shape(text.to_owned()));
        }
        let path = PathTemplate::parse(path).map_err(RouteKeyError::Path)?;
        Ok(RouteKey::path(method, path))
    }
}

impl fmt::Display for RouteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteKey::Default => f.write_str(DEFAULT_ROUTE),
            RouteKey::Path { method, path } => write!(f, "{method} {path}"),
        }
    }
}

/// A route key that is neither `$default` nor `METHOD /path`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteKeyError {
    /// Not `$default` and not a method, a space and a path.
    #[error("route key {0:?} is neither $default nor a method and a path like \"GET /items\"")]
    Shape(String),
    /// The path part is not a valid path template.
    #[error(transparent)]
    Path(PathError),
}

/// A resource path template, checked: `/`, `/users/{id}`, `/{proxy+}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathTemplate {
    text: String,
    segments: Vec<Segment>,
}

/// One non-empty segment of a [`PathTemplate`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// Text matched as is.
    Literal(String),
    /// `{name}`: one segment, bound to `name`.
    Param(String),
    /// `{name+}`: the rest of the path (one segment or more), bound to `name`; always last.
    Greedy(String),
}

/// Why a path is not a valid path template. The texts are the ones the template readers
/// print after the location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path does not start with `/`.
    #[error("route paths must start with '/', got {0:?}")]
    NoLeadingSlash(String),
    /// A segment holds braces that are not one whole `{name}` or `{name+}`.
    #[error(
        "path {path:?}: a path variable must be a whole segment like {{name}} or {{name+}}, got {segment:?}"
    )]
    MalformedVariable {
        /// The path.
        path: String,
        /// The offending segment.
        segment: String,
    },
    /// A greedy variable before the last segment.
    #[error("path {path:?}: the greedy variable {segment} must be the last segment")]
    GreedyNotLast {
        /// The path.
        path: String,
        /// The greedy segment.
        segment: String,
    },
}

impl PathTemplate {
    /// Check and split a path template.
    ///
    /// Empty segments (a doubled or trailing slash) are kept in the text but do not form a
    /// segment: the REST router never created empty resources for them.
    ///
    /// # Errors
    /// [`PathError`] for the first rule the path breaks.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(PathError::NoLeadingSlash(text.to_owned()));
        };
        let raw: Vec<&str> = rest.split('/').collect();
        let last = raw.len().saturating_sub(1);
        let mut segments = Vec::with_capacity(raw.len());
        for (i, seg) in raw.iter().enumerate() {
            if !seg.contains(['{', '}']) {
                if !seg.is_empty() {
                    segments.push(Segment::Literal((*seg).to_owned()));
                }
                continue;
            }
            let name = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'));
            let Some(name) = name.filter(|n| !n.is_empty() && !n.contains(['{', '}'])) else {
                return Err(PathError::MalformedVariable {
                    path: text.to_owned(),
                    segment: (*seg).to_owned(),
                });
            };
            match name.strip_suffix('+') {
                Some(greedy) => {
                    if i != last || greedy.is_empty() || greedy.contains('+') {
                        return Err(if i != last {
                            PathError::GreedyNotLast {
                                path: text.to_owned(),
                                segment: (*seg).to_owned(),
                            }
                        } else {
                            PathError::MalformedVariable {
                                path: text.to_owned(),
                                segment: (*seg).to_owned(),
                            }
                        });
                    }
                    segments.push(Segment::Greedy(greedy.to_owned()));
                }
                None if name.contains('+') => {
                    return Err(PathError::MalformedVariable {
                        path: text.to_owned(),
                        segment: (*seg).to_owned(),
                    });
                }
                None => segments.push(Segment::Param(name.to_owned())),
            }
        }
        Ok(PathTemplate {
            text: text.to_owned(),
            segments,
        })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Its non-empty segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Whether it ends in a greedy variable.
    pub fn is_greedy(&self) -> bool {
        matches!(self.segments.last(), Some(Segment::Greedy(_)))
    }

    /// Names of its path variables, in order.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param(n) | Segment::Greedy(n) => Some(n.as_str()),
            Segment::Literal(_) => None,
        })
    }
}

impl fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_typed_segments() {
        let p = PathTemplate::parse("/users/{id}/files/{rest+}").unwrap();
        assert_eq!(
            p.segments(),
            [
                Segment::Literal("users".into()),
                Segment::Param("id".into()),
                Segment::Literal("files".into()),
                Segment::Greedy("rest".into()),
            ]
        );
        assert!(p.is_greedy());
        assert_eq!(p.variables().collect::<Vec<_>>(), ["id", "rest"]);
        assert_eq!(p.to_string(), "/users/{id}/files/{rest+}");
        assert!(PathTemplate::parse("/").unwrap().segments().is_empty());
        assert_eq!(PathTemplate::parse("/a//b/").unwrap().segments().len(), 2);
    }

    #[test]
    fn bad_paths_say_what_is_wrong() {
        let err = |p: &str| PathTemplate::parse(p).unwrap_err().to_string();
        assert_eq!(
            err("users"),
            "route paths must start with '/', got \"users\""
        );
        assert_eq!(
            err("/{proxy+}/more"),
            "path \"/{proxy+}/more\": the greedy variable {proxy+} must be the last segment"
        );
        for bad in ["/a{b}", "/{}", "/{a", "/{+}", "/{a+b}", "/{a++}"] {
            assert!(
                matches!(
                    PathTemplate::parse(bad),
                    Err(PathError::MalformedVariable { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn route_keys_parse_as_api_gateway_v2_spells_them() {
        assert_eq!(RouteKey::parse("$default").unwrap(), RouteKey::Default);
        let k = RouteKey::parse("get /items/{id}").unwrap();
        assert_eq!(k.to_string(), "GET /items/{id}");
        assert_eq!(
            RouteKey::parse("ANY /{proxy+}").unwrap().to_string(),
            "ANY /{proxy+}"
        );
        for bad in ["", "GET", "/items", "GET  /x", "G3T /x", "$DEFAULT"] {
            assert!(RouteKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(matches!(
            RouteKey::parse("GET /a/{x+}/b"),
            Err(RouteKeyError::Path(PathError::GreedyNotLast { .. }))
        ));
    }
}
