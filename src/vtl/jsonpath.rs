//! The JSONPath of `$input.json(path)` and `$input.path(path)`: `$`, `.name`, `['name']`,
//! `[n]` (negative from the end), `[*]` and `.*`, and `..name`. A path with a wildcard or
//! `..` selects a list of what it matched, as Jayway JsonPath does for indefinite paths;
//! any other path selects one value or nothing. Filters (`[?()]`), unions and slices are
//! not read: such a path is an error the caller reports.

use serde_json::Value;

enum Step {
    Key(String),
    Index(i64),
    Wildcard,
    Descend(String),
}

/// What `path` selects in `root`: `Ok(None)` when a definite path matches nothing.
///
/// # Errors
/// The part of the path glassgate does not read.
pub(super) fn select(root: &Value, path: &str) -> Result<Option<Value>, String> {
    let steps = steps(path)?;
    let indefinite = steps
        .iter()
        .any(|s| matches!(s, Step::Wildcard | Step::Descend(_)));
    let mut current: Vec<&Value> = vec![root];
    for step in &steps {
        let mut next = Vec::new();
        for v in current {
            match step {
                Step::Key(k) => next.extend(v.get(k.as_str())),
                Step::Index(i) => {
                    if let Value::Array(a) = v {
                        let at = if *i < 0 {
                            usize::try_from(a.len() as i64 + i).ok()
                        } else {
                            usize::try_from(*i).ok()
                        };
                        next.extend(at.and_then(|at| a.get(at)));
                    }
                }
                Step::Wildcard => match v {
                    Value::Array(a) => next.extend(a.iter()),
                    Value::Object(m) => next.extend(m.values()),
                    _ => {}
                },
                Step::Descend(k) => descend(v, k, &mut next),
            }
        }
        current = next;
    }
    if indefinite {
        return Ok(Some(Value::Array(current.into_iter().cloned().collect())));
    }
    Ok(current.first().map(|v| (*v).clone()))
}

fn descend<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if let Some(found) = m.get(key) {
                out.push(found);
            }
            for child in m.values() {
                descend(child, key, out);
            }
        }
        Value::Array(a) => {
            for child in a {
                descend(child, key, out);
            }
        }
        _ => {}
    }
}

fn steps(path: &str) -> Result<Vec<Step>, String> {
    let path = path.trim();
    let Some(mut rest) = path.strip_prefix('$') else {
        return Err(format!("the JSONPath {path:?} does not start with $"));
    };
    let mut out = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("..") {
            let n = name_len(r);
            if n == 0 {
                return Err(format!(
                    "the JSONPath {path:?} has .. without a name after it"
                ));
            }
            out.push(Step::Descend(r[..n].to_owned()));
            rest = &r[n..];
        } else if let Some(r) = rest.strip_prefix(".*") {
            out.push(Step::Wildcard);
            rest = r;
        } else if let Some(r) = rest.strip_prefix('.') {
            let n = name_len(r);
            if n == 0 {
                return Err(format!(
                    "the JSONPath {path:?} has . without a name after it"
                ));
            }
            out.push(Step::Key(r[..n].to_owned()));
            rest = &r[n..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = bracket_end(r) else {
                return Err(format!("the JSONPath {path:?} has [ without ]"));
            };
            let inner = r[..end].trim();
            rest = &r[end + 1..];
            if inner == "*" {
                out.push(Step::Wildcard);
            } else if let Some(q) = inner
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
            {
                out.push(Step::Key(q.to_owned()));
            } else if let Ok(i) = inner.parse::<i64>() {
                out.push(Step::Index(i));
            } else {
                return Err(format!(
                    "the JSONPath {path:?} uses [{inner}], which glassgate does not read (it reads names, indexes and *)"
                ));
            }
        } else {
            return Err(format!("the JSONPath {path:?} cannot be read at {rest:?}"));
        }
    }
    Ok(out)
}

/// A name after `.`: up to the next `.` or `[`.
fn name_len(s: &str) -> usize {
    s.find(['.', '[']).unwrap_or(s.len())
}

/// Where the `]` closing a bracket is, past quoted names.
fn bracket_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ']') => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::select;
    use serde_json::json;

    #[test]
    fn definite_and_indefinite_paths() {
        let doc = json!({"a": {"b": [1, 2, {"c": "x"}]}, "k y": 5});
        assert_eq!(select(&doc, "$").unwrap(), Some(doc.clone()));
        assert_eq!(select(&doc, "$.a.b[1]").unwrap(), Some(json!(2)));
        assert_eq!(select(&doc, "$.a.b[-1].c").unwrap(), Some(json!("x")));
        assert_eq!(select(&doc, "$['k y']").unwrap(), Some(json!(5)));
        assert_eq!(select(&doc, "$.missing").unwrap(), None);
        assert_eq!(
            select(&doc, "$.a.b[*]").unwrap(),
            Some(json!([1, 2, {"c": "x"}]))
        );
        assert_eq!(select(&doc, "$..c").unwrap(), Some(json!(["x"])));
        assert!(select(&doc, "$.a[?(@.b)]").is_err());
        assert!(select(&doc, "a.b").is_err());
    }
}
