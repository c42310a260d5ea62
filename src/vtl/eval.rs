//! Rendering a parsed template against one request: variables, directives, references and
//! the variables API Gateway gives a template (`$input`, `$util`, `$context`,
//! `$stageVariables`). Each rendering is bounded in steps and output, so a template that
//! loops too long or grows too large fails with a [`RenderError`] instead of holding the
//! gateway.

use std::borrow::Cow;
use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::parse::{BinOp, Expr, Node, Part, Reference};
use super::value::{arith, call, display, equal, order, truthy};
use super::{Bindings, RenderError};

/// How many nodes and loop turns one rendering may take.
const MAX_STEPS: usize = 1_000_000;
/// How much text one rendering may produce: more than any payload API Gateway takes (10 MB).
const MAX_OUTPUT: usize = 16 << 20;

/// Methods that change the value they are called on, when it is held by a variable.
const MUTATORS: &[&str] = &["add", "put", "remove", "putAll", "addAll", "clear"];

/// What a response template set through `$context.responseOverride`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `responseOverride.status`: the method response's status instead of the integration
    /// response's.
    pub status: Option<u16>,
    /// `responseOverride.header.NAME`: headers that replace the response's own.
    pub headers: Vec<(String, String)>,
}

enum Flow {
    Next,
    Break,
    Stop,
}

pub(super) struct Eval<'a> {
    b: &'a Bindings<'a>,
    vars: HashMap<String, Value>,
    body: Option<Result<Value, String>>,
    steps: usize,
    /// `#set($context.responseOverride.status = ...)` and `.header.NAME`.
    pub(super) overrides: Overrides,
}

impl<'a> Eval<'a> {
    pub(super) fn new(b: &'a Bindings<'a>) -> Self {
        Eval {
            b,
            vars: HashMap::new(),
            body: None,
            steps: 0,
            overrides: Overrides::default(),
        }
    }

    pub(super) fn render(&mut self, nodes: &[Node]) -> Result<String, RenderError> {
        let mut out = String::new();
        self.nodes(nodes, &mut out)?;
        Ok(out)
    }

    fn tick(&mut self) -> Result<(), RenderError> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(RenderError::Limit("a million steps"));
        }
        Ok(())
    }

    fn nodes(&mut self, nodes: &[Node], out: &mut String) -> Result<Flow, RenderError> {
        for node in nodes {
            self.tick()?;
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Ref(r) => {
                    let v = self.reference(r)?;
                    out.push_str(&display(&v));
                }
                Node::Set { target, value } => {
                    let v = self.expr(value)?;
                    self.set(target, v);
                }
                Node::If {
                    branches,
                    otherwise,
                } => {
                    let mut taken = None;
                    for (cond, body) in branches {
                        if truthy(&self.expr(cond)?) {
                            taken = Some(body);
                            break;
                        }
                    }
                    if let Some(body) = taken.or(otherwise.as_ref()) {
                        match self.nodes(body, out)? {
                            Flow::Next => {}
                            flow => return Ok(flow),
                        }
                    }
                }
                Node::Foreach {
                    var,
                    iterable,
                    body,
                } => {
                    if let Flow::Stop = self.foreach(var, iterable, body, out)? {
                        return Ok(Flow::Stop);
                    }
                }
                Node::Break => return Ok(Flow::Break),
                Node::Stop => return Ok(Flow::Stop),
            }
            if out.len() > MAX_OUTPUT {
                return Err(RenderError::Limit("16 MiB of output"));
            }
        }
        Ok(Flow::Next)
    }

    fn foreach(
        &mut self,
        var: &str,
        iterable: &Expr,
        body: &[Node],
        out: &mut String,
    ) -> Result<Flow, RenderError> {
        let items: Vec<Value> = match iterable {
            Expr::Range(from, to) => self.range(from, to)?,
            e => match self.expr(e)? {
                Value::Array(a) => a,
                // Velocity walks a map's values.
                Value::Object(m) => m.into_iter().map(|(_, v)| v).collect(),
                _ => Vec::new(),
            },
        };
        let saved: Vec<(&str, Option<Value>)> = [var, "foreach", "velocityCount"]
            .into_iter()
            .map(|k| (k, self.vars.get(k).cloned()))
            .collect();
        let n = items.len();
        let mut flow = Flow::Next;
        for (i, item) in items.into_iter().enumerate() {
            self.tick()?;
            self.vars.insert(var.to_owned(), item);
            let mut state = Map::new();
            state.insert("index".to_owned(), Value::from(i));
            state.insert("count".to_owned(), Value::from(i + 1));
            state.insert("hasNext".to_owned(), Value::Bool(i + 1 < n));
            state.insert("first".to_owned(), Value::Bool(i == 0));
            state.insert("last".to_owned(), Value::Bool(i + 1 == n));
            self.vars.insert("foreach".to_owned(), Value::Object(state));
            self.vars
                .insert("velocityCount".to_owned(), Value::from(i + 1));
            match self.nodes(body, out)? {
                Flow::Next => {}
                Flow::Break => break,
                Flow::Stop => {
                    flow = Flow::Stop;
                    break;
                }
            }
        }
        for (k, v) in saved {
            match v {
                Some(v) => self.vars.insert(k.to_owned(), v),
                None => self.vars.remove(k),
            };
        }
        Ok(flow)
    }

    fn range(&mut self, from: &Expr, to: &Expr) -> Result<Vec<Value>, RenderError> {
        let (Some(a), Some(b)) = (self.expr(from)?.as_i64(), self.expr(to)?.as_i64()) else {
            return Ok(Vec::new());
        };
        if a.abs_diff(b) >= MAX_STEPS as u64 {
            return Err(RenderError::Limit("a million steps"));
        }
        Ok(if a <= b {
            (a..=b).map(Value::from).collect()
        } else {
            (b..=a).rev().map(Value::from).collect()
        })
    }

    /// `#set`: as in Velocity 1.7, a null value leaves the target as it was.
    fn set(&mut self, target: &Reference, v: Value) {
        if v.is_null() {
            return;
        }
        if target.root == "context" && !self.vars.contains_key("context") {
            self.set_override(&target.parts, &v);
            return;
        }
        let Some((last, path)) = target.parts.split_last() else {
            self.vars.insert(target.root.clone(), v);
            return;
        };
        let Some(Value::Object(map)) = self.place(&target.root, path) else {
            return;
        };
        if let Part::Prop(key) = last {
            map.insert(key.clone(), v);
        }
    }

    /// `$context.responseOverride.status` and `$context.responseOverride.header.NAME`, the
    /// only parts of `$context` a template may set; anything else there is left alone, as
    /// API Gateway leaves it.
    fn set_override(&mut self, parts: &[Part], v: &Value) {
        let names: Vec<&str> = parts
            .iter()
            .map(|p| match p {
                Part::Prop(n) => n.as_str(),
                _ => "",
            })
            .collect();
        match names.as_slice() {
            ["responseOverride", "status"] => {
                let status = match v {
                    Value::Number(n) => n.as_u64(),
                    other => display(other).trim().parse().ok(),
                };
                if let Some(s) = status
                    .and_then(|s| u16::try_from(s).ok())
                    .filter(|s| (100..=599).contains(s))
                {
                    self.overrides.status = Some(s);
                }
            }
            ["responseOverride", "header", name] => {
                self.overrides
                    .headers
                    .retain(|(k, _)| !k.eq_ignore_ascii_case(name));
                self.overrides
                    .headers
                    .push(((*name).to_owned(), display(v)));
            }
            _ => {}
        }
    }

    /// The value a variable's property path leads to, to change it in place.
    fn place(&mut self, root: &str, path: &[Part]) -> Option<&mut Value> {
        let mut at = self.vars.get_mut(root)?;
        for part in path {
            at = match part {
                Part::Prop(k) => at.as_object_mut()?.get_mut(k)?,
                _ => return None,
            };
        }
        Some(at)
    }

    fn reference(&mut self, r: &Reference) -> Result<Value, RenderError> {
        if let Some((Part::Call(name, args), path)) = r.parts.split_last() {
            if MUTATORS.contains(&name.as_str()) && self.vars.contains_key(&r.root) {
                let args = self.args(args)?;
                return Ok(self
                    .place(&r.root, path)
                    .map_or(Value::Null, |target| mutate(target, name, args)));
            }
        }
        // Every step's arguments first, so that the walk below only borrows: reading
        // `$list.size()` or `$item.name` copies the answer, never the whole variable.
        let mut args: Vec<Vec<Value>> = Vec::with_capacity(r.parts.len());
        for part in &r.parts {
            args.push(match part {
                Part::Prop(_) => Vec::new(),
                Part::Index(e) => vec![self.expr(e)?],
                Part::Call(_, a) => self.args(a)?,
            });
        }
        let builtin = if self.vars.contains_key(&r.root) {
            None
        } else {
            self.builtin(r, args.first().map(Vec::as_slice).unwrap_or_default())?
        };
        let (start, skip) = match builtin {
            Some(v) => (Cow::Owned(v), 1),
            None => match (self.vars.get(&r.root), r.root.as_str()) {
                (Some(v), _) => (Cow::Borrowed(v), 0),
                (None, "context") => (Cow::Borrowed(self.b.context), 0),
                (None, "stageVariables") => (Cow::Borrowed(self.b.stage_variables), 0),
                (None, _) => return Ok(Value::Null),
            },
        };
        let mut v = start;
        for (part, a) in r.parts.iter().zip(&args).skip(skip) {
            v = step(v, part, a);
        }
        // What is copied out of a variable costs steps in proportion to its size, so that a
        // loop doubling a list runs out of steps before it runs out of memory.
        let cost = match &v {
            Cow::Borrowed(b) => weight(b),
            Cow::Owned(_) => 1,
        };
        let out = v.into_owned();
        self.steps += cost;
        self.tick()?;
        Ok(out)
    }

    /// The value of `$input.…` and `$util.…` (their first step applied, with `args` its
    /// arguments); `None` for any other root.
    fn builtin(&mut self, r: &Reference, args: &[Value]) -> Result<Option<Value>, RenderError> {
        Ok(match (r.root.as_str(), r.parts.first()) {
            ("input", Some(Part::Prop(p))) if p == "body" => Some(Value::String(self.body_text())),
            ("input", Some(Part::Call(name, _))) => Some(match (name.as_str(), args) {
                ("params", []) => self.b.params.clone(),
                ("params", [name]) => Value::String(self.param(&display(name))),
                ("json", [path]) => match self.path(&display(path))? {
                    Some(v) => Value::String(v.to_string()),
                    None => Value::Null,
                },
                ("path", [path]) => self.path(&display(path))?.unwrap_or(Value::Null),
                _ => Value::Null,
            }),
            ("util", Some(Part::Call(name, _))) => Some(util(name, args)),
            ("input" | "util", _) => Some(Value::Null),
            _ => None,
        })
    }

    /// `$input.params('name')`: the path parameter, else the query string parameter, else
    /// the header (its name in any case), else empty.
    fn param(&self, name: &str) -> String {
        let p = self.b.params;
        for group in ["path", "querystring"] {
            if let Some(v) = p.get(group).and_then(|g| g.get(name)) {
                return display(v);
            }
        }
        p.get("header")
            .and_then(Value::as_object)
            .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map(|(_, v)| display(v))
            .unwrap_or_default()
    }

    /// `$input.body`: the payload as text; an empty payload reads as `{}` (API Gateway's).
    fn body_text(&self) -> String {
        if self.b.body.is_empty() {
            return "{}".to_owned();
        }
        String::from_utf8_lossy(self.b.body).into_owned()
    }

    fn path(&mut self, path: &str) -> Result<Option<Value>, RenderError> {
        let raw = self.b.body;
        let body = self.body.get_or_insert_with(|| {
            if raw.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::Object(Map::new()));
            }
            serde_json::from_slice(raw).map_err(|e| e.to_string())
        });
        match body {
            Ok(doc) => super::jsonpath::select(doc, path).map_err(RenderError::Path),
            Err(e) => Err(RenderError::BodyNotJson(e.clone())),
        }
    }

    fn args(&mut self, args: &[Expr]) -> Result<Vec<Value>, RenderError> {
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn expr(&mut self, e: &Expr) -> Result<Value, RenderError> {
        self.tick()?;
        Ok(match e {
            Expr::Value(v) => v.clone(),
            Expr::Interpolated(nodes) => {
                let mut s = String::new();
                self.nodes(nodes, &mut s)?;
                Value::String(s)
            }
            Expr::Ref(r) => self.reference(r)?,
            Expr::List(items) => Value::Array(self.args(items)?),
            Expr::Range(a, b) => Value::Array(self.range(a, b)?),
            Expr::Map(entries) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    let k = display(&self.expr(k)?);
                    let v = self.expr(v)?;
                    m.insert(k, v);
                }
                Value::Object(m)
            }
            Expr::Not(x) => Value::Bool(!truthy(&self.expr(x)?)),
            Expr::Neg(x) => arith('-', &Value::from(0), &self.expr(x)?),
            Expr::Binary(op, a, b) => {
                let a = self.expr(a)?;
                // `&&` and `||` do not evaluate their right side when the left decides.
                match op {
                    BinOp::And if !truthy(&a) => return Ok(Value::Bool(false)),
                    BinOp::Or if truthy(&a) => return Ok(Value::Bool(true)),
                    _ => {}
                }
                let b = self.expr(b)?;
                let cmp = |want: fn(std::cmp::Ordering) -> bool| {
                    Value::Bool(order(&a, &b).is_some_and(want))
                };
                match op {
                    BinOp::And | BinOp::Or => Value::Bool(truthy(&b)),
                    BinOp::Eq => Value::Bool(equal(&a, &b)),
                    BinOp::Ne => Value::Bool(!equal(&a, &b)),
                    BinOp::Lt => cmp(|o| o.is_lt()),
                    BinOp::Le => cmp(|o| o.is_le()),
                    BinOp::Gt => cmp(|o| o.is_gt()),
                    BinOp::Ge => cmp(|o| o.is_ge()),
                    BinOp::Add => {
                        if display(&a).len() + display(&b).len() > MAX_OUTPUT {
                            return Err(RenderError::Limit("16 MiB of output"));
                        }
                        arith('+', &a, &b)
                    }
                    BinOp::Sub => arith('-', &a, &b),
                    BinOp::Mul => arith('*', &a, &b),
                    BinOp::Div => arith('/', &a, &b),
                    BinOp::Rem => arith('%', &a, &b),
                }
            }
        })
    }
}

/// One step of a reference on `v`, borrowing where it can.
fn step<'v>(v: Cow<'v, Value>, part: &Part, args: &[Value]) -> Cow<'v, Value> {
    let null = || Cow::Owned(Value::Null);
    match part {
        Part::Prop(k) => match v {
            Cow::Borrowed(Value::Object(m)) => m.get(k).map_or_else(null, Cow::Borrowed),
            Cow::Owned(Value::Object(mut m)) => Cow::Owned(m.remove(k).unwrap_or_default()),
            // Velocity reads `$x.empty` through the getter `isEmpty()`.
            other => Cow::Owned(getter(&other, k)),
        },
        Part::Index(_) => {
            let i = args.first().unwrap_or(&Value::Null);
            let at = |len: usize| {
                i.as_i64().and_then(|n| {
                    let n = if n < 0 { len as i64 + n } else { n };
                    usize::try_from(n).ok()
                })
            };
            match v {
                Cow::Borrowed(Value::Array(a)) => at(a.len())
                    .and_then(|n| a.get(n))
                    .map_or_else(null, Cow::Borrowed),
                Cow::Owned(Value::Array(mut a)) => match at(a.len()).filter(|n| *n < a.len()) {
                    Some(n) => Cow::Owned(a.swap_remove(n)),
                    None => null(),
                },
                Cow::Borrowed(Value::Object(m)) => {
                    m.get(&display(i)).map_or_else(null, Cow::Borrowed)
                }
                Cow::Owned(Value::Object(mut m)) => {
                    Cow::Owned(m.remove(&display(i)).unwrap_or_default())
                }
                _ => null(),
            }
        }
        Part::Call(name, _) => Cow::Owned(call(&v, name, args).unwrap_or(Value::Null)),
    }
}

/// `$x.name` on a value that is not a map: `getName()`, then `isName()`.
fn getter(v: &Value, name: &str) -> Value {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Value::Null;
    };
    let cap: String = first.to_uppercase().chain(chars).collect();
    call(v, &format!("get{cap}"), &[])
        .or_else(|| call(v, &format!("is{cap}"), &[]))
        .unwrap_or(Value::Null)
}

/// What copying a value costs, in steps: one per element, one per 4 KiB of text.
fn weight(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(weight).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(weight).sum::<usize>(),
        Value::String(s) => 1 + s.len() / 4096,
        _ => 1,
    }
}

/// A changing method on a value held by a variable: what Java's method returns.
fn mutate(target: &mut Value, name: &str, args: Vec<Value>) -> Value {
    let mut args = args.into_iter();
    match (target, name) {
        (Value::Array(a), "add") => {
            a.extend(args.next());
            Value::Bool(true)
        }
        (Value::Array(a), "addAll") => match args.next() {
            Some(Value::Array(more)) => {
                a.extend(more);
                Value::Bool(true)
            }
            _ => Value::Bool(false),
        },
        (Value::Array(a), "remove") => match args.next() {
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .filter(|i| *i < a.len())
                .map_or(Value::Null, |i| a.remove(i)),
            Some(v) => match a.iter().position(|x| equal(x, &v)) {
                Some(i) => {
                    a.remove(i);
                    Value::Bool(true)
                }
                None => Value::Bool(false),
            },
            None => Value::Null,
        },
        (Value::Array(a), "clear") => {
            a.clear();
            Value::Null
        }
        (Value::Object(m), "put") => {
            let k = display(&args.next().unwrap_or_default());
            m.insert(k, args.next().unwrap_or_default())
                .unwrap_or_default()
        }
        (Value::Object(m), "putAll") => {
            if let Some(Value::Object(more)) = args.next() {
                m.extend(more);
            }
            Value::Null
        }
        (Value::Object(m), "remove") => {
            let k = display(&args.next().unwrap_or_default());
            m.shift_remove(&k).unwrap_or_default()
        }
        (Value::Object(m), "clear") => {
            m.clear();
            Value::Null
        }
        _ => Value::Null,
    }
}

/// `$util.*`.
fn util(name: &str, args: &[Value]) -> Value {
    let Some(arg) = args.first() else {
        return Value::Null;
    };
    let text = display(arg);
    match name {
        "escapeJavaScript" => Value::String(escape_javascript(&text)),
        "parseJson" => serde_json::from_str(&text).unwrap_or(Value::Null),
        "urlEncode" => Value::String(url_encode(&text)),
        "urlDecode" => url_decode(&text).map_or(Value::Null, Value::String),
        "base64Encode" => Value::String(base64::engine::general_purpose::STANDARD.encode(&text)),
        "base64Decode" => base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_or(Value::Null, |b| {
                Value::String(String::from_utf8_lossy(&b).into_owned())
            }),
        _ => Value::Null,
    }
}

/// Java's `StringEscapeUtils.escapeJavaScript` (commons-lang 2), which `$util` uses: quotes
/// (single ones too, which JSON does not allow), backslash and `/` escaped, control
/// characters as `\n`-style or `\u00XX`, everything past ASCII as `\uXXXX` in UTF-16 units.
fn escape_javascript(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{:04X}", u);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Java's `URLEncoder.encode(s, "UTF-8")`: letters, digits and `.-*_` kept, space as `+`.
fn url_encode(s: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'.')
        .remove(b'-')
        .remove(b'*')
        .remove(b'_')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(s, KEEP)
        .to_string()
        .replace(' ', "+")
}

/// Java's `URLDecoder.decode(s, "UTF-8")`: `+` as space; a broken escape is an error (null).
fn url_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'%'
            && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return None;
        }
    }
    let spaced = s.replace('+', " ");
    Some(
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned(),
    )
}
