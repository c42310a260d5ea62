//! API Gateway's mapping-template language: the part of Velocity (VTL 1.7) that REST
//! mapping templates use, with the variables API Gateway gives them. One engine serves the
//! `MOCK` and the Lambda non-proxy (`AWS`) integrations' request and response templates.
//!
//! No well-kept Rust crate implements Velocity, so this is a small, documented subset
//! (docs/mapping-templates.md), fuzzed by the `vtl` target:
//! - `parse` reads a template once, at load: a template that uses a directive glassgate does
//!   not evaluate (`#macro`, `#define`, `#parse`, `#include`, `#evaluate`) or that does not
//!   parse keeps its [`VtlError`], which the loader reports and the integration answers with;
//! - `value` says how values print, compare and answer Java's methods;
//! - `jsonpath` reads the paths of `$input.json` and `$input.path`;
//! - `eval` renders, within a step and output budget.
//!
//! Where API Gateway differs from plain Velocity, glassgate follows API Gateway: a null or
//! undefined reference renders as nothing, and an empty body reads as `{}`.

mod eval;
mod jsonpath;
mod parse;
mod value;

use std::sync::Arc;

use serde_json::Value;

pub use eval::Overrides;
use parse::{Expr, Node, Part, Reference};

/// Why a template cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VtlError {
    /// It does not parse.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// It uses a directive glassgate does not evaluate.
    #[error("it uses {0}, which glassgate does not evaluate")]
    Unsupported(String),
}

/// Why one rendering failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    /// The template could not be read at load.
    #[error("the template cannot be used: {0}")]
    Unusable(VtlError),
    /// `$input.json` or `$input.path` met a body that is not JSON.
    #[error("the body is not JSON ({0})")]
    BodyNotJson(String),
    /// A JSONPath glassgate does not read.
    #[error("{0}")]
    Path(String),
    /// The rendering passed a budget.
    #[error("the rendering passed its limit of {0}")]
    Limit(&'static str),
}

/// What a template reads: the variables API Gateway gives it.
pub struct Bindings<'a> {
    /// What `$input` reads: the method request's body in a request template, the
    /// integration's response in a response template.
    pub body: &'a [u8],
    /// `$input.params()`: `{"path": {..}, "querystring": {..}, "header": {..}}`.
    pub params: &'a Value,
    /// `$context`, as a JSON tree (`requestId`, `identity.sourceIp`, `authorizer.*`...).
    pub context: &'a Value,
    /// `$stageVariables`.
    pub stage_variables: &'a Value,
}

/// A mapping template, parsed once.
#[derive(Clone)]
pub struct Template {
    source: String,
    nodes: Arc<Result<Vec<Node>, VtlError>>,
}

/// A template shows as its source: the model's debug output stays readable.
impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.source)
    }
}

impl PartialEq for Template {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Template {
    /// Parse `source`; a template that cannot be used keeps its error (see [`Template::error`]).
    pub fn parse(source: &str) -> Self {
        Template {
            source: source.to_owned(),
            nodes: Arc::new(parse::template(source)),
        }
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Why the template cannot be used, if it cannot.
    pub fn error(&self) -> Option<&VtlError> {
        self.nodes.as_ref().as_ref().err()
    }

    /// Render against one request.
    ///
    /// # Errors
    /// A [`RenderError`]: the template is unusable, the body is not JSON where the template
    /// reads it as JSON, or a budget was passed.
    pub fn render(&self, bindings: &Bindings<'_>) -> Result<String, RenderError> {
        self.render_with_overrides(bindings).map(|(text, _)| text)
    }

    /// Render, with what the template set through `$context.responseOverride` (a response
    /// template's way to change the status and headers).
    ///
    /// # Errors
    /// As [`Template::render`].
    pub fn render_with_overrides(
        &self,
        bindings: &Bindings<'_>,
    ) -> Result<(String, Overrides), RenderError> {
        match self.nodes.as_ref() {
            Ok(nodes) => {
                let mut e = eval::Eval::new(bindings);
                let text = e.render(nodes)?;
                Ok((text, e.overrides))
            }
            Err(e) => Err(RenderError::Unusable(e.clone())),
        }
    }

    /// What the template calls that glassgate does not evaluate, sorted (`$util.foo()`,
    /// `$input.bar`, `.someMethod()`): each renders as null, so the loader names them in a
    /// warning.
    pub fn unknown(&self) -> Vec<String> {
        let mut found = Vec::new();
        if let Ok(nodes) = self.nodes.as_ref() {
            walk_nodes(nodes, &mut found);
        }
        found.sort();
        found.dedup();
        found
    }
}

/// What a JSONPath (`$.a.b`) selects in `doc`, as `$input.path` reads it: `Ok(None)` when
/// a definite path matches nothing.
///
/// # Errors
/// The part of the path glassgate does not read.
pub fn json_path(doc: &Value, path: &str) -> Result<Option<Value>, String> {
    jsonpath::select(doc, path)
}

/// The `$util` functions glassgate evaluates.
const UTIL: &[&str] = &[
    "escapeJavaScript",
    "parseJson",
    "urlEncode",
    "urlDecode",
    "base64Encode",
    "base64Decode",
];

/// The methods `value::call` and the in-place changes answer.
const METHODS: &[&str] = &[
    "toString",
    "equals",
    "get",
    "containsKey",
    "containsValue",
    "keySet",
    "values",
    "entrySet",
    "size",
    "isEmpty",
    "contains",
    "indexOf",
    "lastIndexOf",
    "intValue",
    "longValue",
    "doubleValue",
    "floatValue",
    "length",
    "trim",
    "toLowerCase",
    "toUpperCase",
    "startsWith",
    "endsWith",
    "equalsIgnoreCase",
    "concat",
    "replace",
    "charAt",
    "substring",
    "matches",
    "replaceAll",
    "replaceFirst",
    "split",
    "add",
    "put",
    "remove",
    "putAll",
    "addAll",
    "clear",
];

fn walk_nodes(nodes: &[Node], found: &mut Vec<String>) {
    for n in nodes {
        match n {
            Node::Text(_) | Node::Break | Node::Stop => {}
            Node::Ref(r) => walk_ref(r, found),
            Node::Set { target, value } => {
                // Of `$context`, only the response overrides can be set; `requestOverride`
                // and the rest are ignored, so they are named.
                if target.root == "context" {
                    let path: Vec<&str> = target
                        .parts
                        .iter()
                        .map(|p| match p {
                            Part::Prop(n) => n.as_str(),
                            _ => "",
                        })
                        .collect();
                    if !matches!(
                        path.as_slice(),
                        ["responseOverride", "status"] | ["responseOverride", "header", _]
                    ) {
                        found.push(format!("#set($context.{})", path.join(".")));
                    }
                }
                walk_ref(target, found);
                walk_expr(value, found);
            }
            Node::If {
                branches,
                otherwise,
            } => {
                for (c, body) in branches {
                    walk_expr(c, found);
                    walk_nodes(body, found);
                }
                if let Some(body) = otherwise {
                    walk_nodes(body, found);
                }
            }
            Node::Foreach { iterable, body, .. } => {
                walk_expr(iterable, found);
                walk_nodes(body, found);
            }
        }
    }
}

fn walk_ref(r: &Reference, found: &mut Vec<String>) {
    let mut parts = r.parts.as_slice();
    match (r.root.as_str(), parts.first()) {
        ("util", Some(Part::Call(name, _))) => {
            if !UTIL.contains(&name.as_str()) {
                found.push(format!("$util.{name}()"));
            }
            parts = &parts[1..];
        }
        ("util", _) => found.push("$util".to_owned()),
        ("input", Some(Part::Call(name, args))) => {
            let known = matches!(
                (name.as_str(), args.len()),
                ("params", 0 | 1) | ("json" | "path", 1)
            );
            if !known {
                found.push(format!("$input.{name}()"));
            }
            parts = &parts[1..];
        }
        ("input", Some(Part::Prop(name))) => {
            if name != "body" {
                found.push(format!("$input.{name}"));
            }
            parts = &parts[1..];
        }
        _ => {}
    }
    for p in parts {
        match p {
            Part::Prop(_) => {}
            Part::Index(e) => walk_expr(e, found),
            Part::Call(name, args) => {
                if !METHODS.contains(&name.as_str()) {
                    found.push(format!(".{name}()"));
                }
                for a in args {
                    walk_expr(a, found);
                }
            }
        }
    }
    if let Some(Part::Call(_, args)) = r.parts.first() {
        for a in args {
            walk_expr(a, found);
        }
    }
}

fn walk_expr(e: &Expr, found: &mut Vec<String>) {
    match e {
        Expr::Value(_) => {}
        Expr::Interpolated(nodes) => walk_nodes(nodes, found),
        Expr::Ref(r) => walk_ref(r, found),
        Expr::List(items) => items.iter().for_each(|i| walk_expr(i, found)),
        Expr::Range(a, b) | Expr::Binary(_, a, b) => {
            walk_expr(a, found);
            walk_expr(b, found);
        }
        Expr::Map(entries) => {
            for (k, v) in entries {
                walk_expr(k, found);
                walk_expr(v, found);
            }
        }
        Expr::Not(x) | Expr::Neg(x) => walk_expr(x, found),
    }
}

#[cfg(test)]
mod tests;
