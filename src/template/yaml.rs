//! Template text (YAML or JSON) to one JSON-shaped tree.
//!
//! This module owns syntax only: it turns the text into a [`serde_json::Value`] in which every
//! CloudFormation short form is already lowered to its long form (`!Ref X` becomes
//! `{"Ref": "X"}`, `!GetAtt A.B` becomes `{"Fn::GetAtt": ["A", "B"]}`), so the resolver sees a
//! single shape whatever the input format. It knows nothing about what the keys mean.
//!
//! YAML scalars stay text unless they are plain `true`/`false`/`null`: CloudFormation reads
//! `012345678901` and `1.10` as strings, and the few numeric properties are parsed where they are
//! read. Scalars are therefore taken before the YAML core schema resolves them
//! (`early_parse(false)`), which is the only way to keep leading zeros.

use saphyr::{ScalarStyle, Tag, Yaml, YamlLoader};
use saphyr_parser::{Event, Marker, Parser, Span, SpannedEventReceiver};
use serde_json::{Map, Value};

use std::collections::HashSet;

use super::{Problem, child, pyyaml};
use crate::model::Warning;

/// Deeper than any real template; bounds recursion here and in the resolver.
const MAX_DEPTH: usize = 128;

/// Why the text could not be turned into a tree.
#[derive(Debug)]
pub(super) enum ParseFailure {
    /// The text is not well-formed; positions are 1-based.
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// Well-formed, but uses constructs a template cannot contain.
    Invalid(Vec<Problem>),
}

/// Parse a whole template.
///
/// JSON is tried first when the text looks like JSON, because its errors are clearer for JSON
/// input; YAML is the fallback since it accepts (almost) all JSON as well.
pub(super) fn parse(text: &str) -> Result<(Value, Vec<Warning>), ParseFailure> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => return Ok((v, Vec::new())),
            Err(json_err) => {
                return lenient_yaml(text).map_err(|yaml_err| match yaml_err {
                    // Both failed: the author meant JSON, so JSON's message is the useful one.
                    ParseFailure::Syntax { .. } => {
                        let (line, column) = (json_err.line(), json_err.column());
                        let full = json_err.to_string();
                        // The position is already in our prefix; do not say it twice.
                        let suffix = format!(" at line {line} column {column}");
                        let message = full.strip_suffix(&suffix).unwrap_or(&full);
                        ParseFailure::Syntax {
                            line,
                            column,
                            message: format!("invalid JSON: {message}"),
                        }
                    }
                    other => other,
                });
            }
        }
    }
    lenient_yaml(text)
}

/// YAML as PyYAML reads it (`pyyaml.rs`): a closing bracket left of its key re-indented, the
/// replaced entries of a duplicated key left out; each with a warning.
fn lenient_yaml(text: &str) -> Result<(Value, Vec<Warning>), ParseFailure> {
    let mut text = std::borrow::Cow::Borrowed(text);
    let mut warnings = Vec::new();
    // Each retry fixes one line; a template has few such lines.
    for _ in 0..32 {
        let (skip, duplicates) = pyyaml::overridden(&text);
        match parse_yaml(&text, &skip) {
            Err(ParseFailure::Syntax {
                line,
                column,
                message,
            }) if message.contains("indentation") => {
                match pyyaml::reindent_closing_bracket(&text, line) {
                    Some(fixed) => {
                        warnings.push(Warning {
                            location: format!("line {line}"),
                            message: "a flow collection's closing bracket is left of its key's indentation; PyYAML (SAM CLI, sam deploy) accepts that, YAML 1.2 parsers refuse it, and glassgate reads it as PyYAML does".into(),
                        });
                        text = std::borrow::Cow::Owned(fixed);
                    }
                    None => {
                        return Err(ParseFailure::Syntax {
                            line,
                            column,
                            message,
                        });
                    }
                }
            }
            Err(e) => return Err(e),
            Ok(v) => {
                warnings.extend(duplicates);
                return Ok((v, warnings));
            }
        }
    }
    parse_yaml(&text, &Default::default()).map(|v| (v, warnings))
}

fn parse_yaml(text: &str, skip: &HashSet<pyyaml::Entry>) -> Result<Value, ParseFailure> {
    let mut parser = Parser::new_from_str(text);
    let mut loader: YamlLoader<'_, Yaml<'_>> = YamlLoader::default();
    loader.early_parse(false);
    let mut guard = DepthGuard {
        loader,
        depth: 0,
        too_deep_at: None,
    };
    // Events are pulled one by one rather than through `Parser::load`, which recurses once per
    // nesting level and would overflow the stack on input like `- - - - ...`.
    let mut scan = Ok(());
    let mut shape = pyyaml::Shape::default();
    // While leaving out a replaced entry: the mapping's depth and the child count that ends it.
    let mut skipping: Option<(usize, usize)> = None;
    for event in parser.by_ref() {
        match event {
            Ok((ev, span)) => {
                let depth = shape.depth();
                let seen = shape.on(&ev);
                if skipping.is_none()
                    && let Some(((m, entry), _)) = seen.key
                    && skip.contains(&(m, entry))
                {
                    skipping = Some((depth, 2 * entry + 2));
                }
                if let Some((d, end)) = skipping {
                    if shape.depth() == d && shape.done() >= end {
                        skipping = None;
                    }
                    continue;
                }
                guard.on_event(ev, span);
            }
            Err(e) => {
                scan = Err(e);
                break;
            }
        }
        if guard.too_deep_at.is_some() {
            break;
        }
    }
    let DepthGuard {
        loader,
        too_deep_at,
        ..
    } = guard;
    if let Some(mark) = too_deep_at {
        return Err(ParseFailure::Syntax {
            line: mark.line(),
            column: mark.col() + 1,
            message: format!("nested more than {MAX_DEPTH} levels deep"),
        });
    }
    let scan = scan.and_then(|()| loader.error().cloned().map_or(Ok(()), Err));
    if let Err(e) = scan {
        let mark = e.marker();
        return Err(ParseFailure::Syntax {
            line: mark.line(),
            column: mark.col() + 1,
            message: format!("invalid YAML: {}", e.info()),
        });
    }
    let mut docs = loader.into_documents();
    if docs.len() > 1 {
        return Err(ParseFailure::Invalid(vec![Problem::new(
            "(template)",
            format!(
                "the file holds {} YAML documents (separated by `---`); a template is one document",
                docs.len()
            ),
        )]));
    }
    let Some(doc) = docs.pop() else {
        return Ok(Value::Null);
    };
    let mut problems = Vec::new();
    let value = lower(&doc, "", 0, &mut problems);
    if problems.is_empty() {
        Ok(value)
    } else {
        Err(ParseFailure::Invalid(problems))
    }
}

/// Stops feeding the loader past [`MAX_DEPTH`] levels, so no tree deeper than that is ever
/// built (saphyr drops its trees recursively).
struct DepthGuard<'input> {
    loader: YamlLoader<'input, Yaml<'input>>,
    depth: usize,
    too_deep_at: Option<Marker>,
}

impl<'input> SpannedEventReceiver<'input> for DepthGuard<'input> {
    fn on_event(&mut self, ev: Event<'input>, span: Span) {
        if self.too_deep_at.is_some() {
            return;
        }
        match ev {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    self.too_deep_at = Some(span.start);
                    return;
                }
            }
            Event::SequenceEnd | Event::MappingEnd => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        self.loader.on_event(ev, span);
    }
}

fn shown(loc: &str) -> &str {
    if loc.is_empty() { "(template)" } else { loc }
}

fn lower(node: &Yaml<'_>, loc: &str, depth: usize, problems: &mut Vec<Problem>) -> Value {
    if depth > MAX_DEPTH {
        // Report once, at the first level past the limit, not at every level below it.
        if depth == MAX_DEPTH + 1 {
            problems.push(Problem::new(
                shown(loc),
                format!("nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        return Value::Null;
    }
    match node {
        Yaml::Representation(text, style, None) => untagged_scalar(text, *style),
        Yaml::Representation(text, style, Some(tag)) => {
            let inner = untagged_scalar(text, *style);
            tagged(tag, inner, true, loc, problems)
        }
        Yaml::Value(scalar) => scalar_value(scalar),
        Yaml::Sequence(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| lower(item, &format!("{loc}[{i}]"), depth + 1, problems))
                .collect(),
        ),
        Yaml::Mapping(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                let Some(key) = key_text(k) else {
                    problems.push(Problem::new(
                        shown(loc),
                        "mapping keys must be plain text, not lists or mappings",
                    ));
                    continue;
                };
                let value = lower(v, &child(loc, &key), depth + 1, problems);
                map.insert(key, value);
            }
            Value::Object(map)
        }
        Yaml::Tagged(tag, inner) => {
            let is_scalar = matches!(**inner, Yaml::Representation(..) | Yaml::Value(_));
            let inner = lower(inner, loc, depth + 1, problems);
            tagged(tag, inner, is_scalar, loc, problems)
        }
        // Aliases are expanded by the loader; a bad value only comes from a malformed core tag.
        Yaml::Alias(_) | Yaml::BadValue => Value::Null,
    }
}

fn untagged_scalar(text: &str, style: ScalarStyle) -> Value {
    if style != ScalarStyle::Plain {
        return Value::String(text.to_owned());
    }
    match text {
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        _ => Value::String(text.to_owned()),
    }
}

fn scalar_value(scalar: &saphyr::Scalar<'_>) -> Value {
    match scalar {
        saphyr::Scalar::Null => Value::Null,
        saphyr::Scalar::Boolean(b) => Value::Bool(*b),
        saphyr::Scalar::Integer(i) => Value::from(*i),
        saphyr::Scalar::FloatingPoint(f) => serde_json::Number::from_f64(f.into_inner())
            .map_or_else(|| Value::String(f.to_string()), Value::Number),
        saphyr::Scalar::String(s) => Value::String(s.to_string()),
    }
}

fn key_text(key: &Yaml<'_>) -> Option<String> {
    match key {
        Yaml::Representation(text, _, _) => Some(text.to_string()),
        Yaml::Value(scalar) => match scalar_value(scalar) {
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        },
        Yaml::Tagged(_, inner) => key_text(inner),
        _ => None,
    }
}

/// Apply a tag to an already lowered node.
fn tagged(
    tag: &Tag,
    inner: Value,
    is_scalar: bool,
    loc: &str,
    problems: &mut Vec<Problem>,
) -> Value {
    if tag.is_yaml_core_schema() {
        return match (tag.suffix.as_str(), inner) {
            // `!!str true` forces text; the other core tags only matter for scalars we keep as text.
            ("str", Value::Bool(b)) if is_scalar => Value::String(b.to_string()),
            ("str", Value::Null) if is_scalar => Value::String(String::new()),
            (_, inner) => inner,
        };
    }
    if tag.handle != "!" {
        problems.push(Problem::new(
            shown(loc),
            format!(
                "unsupported YAML tag {tag}; CloudFormation templates use tags like !Ref and !Sub"
            ),
        ));
        return inner;
    }
    let suffix = tag.suffix.as_str();
    let key = match suffix {
        "Ref" | "Condition" => suffix.to_owned(),
        _ => format!("Fn::{suffix}"),
    };
    let arg = match (suffix, inner) {
        // The short form takes `Logical.Attribute`; attributes may hold dots (`Endpoint.Address`),
        // logical ids never do.
        ("GetAtt", Value::String(s)) if is_scalar => match s.split_once('.') {
            Some((logical, attr)) => Value::Array(vec![
                Value::String(logical.to_owned()),
                Value::String(attr.to_owned()),
            ]),
            None => Value::String(s),
        },
        (_, inner) => inner,
    };
    let mut map = Map::new();
    map.insert(key, arg);
    Value::Object(map)
}
