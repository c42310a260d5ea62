//! What template values mean: how they print, compare, count as true, and which methods of
//! Java's `String`, `Map` and `List` they answer. Values are JSON values (API Gateway's
//! `$input.path` gives JSON; literals and `#set` make the same shapes); printing follows
//! Java's `toString`, because that is what Velocity calls: a map prints `{a=1, b=x}`.

use serde_json::{Map, Number, Value};

/// The text a value renders as. A null renders as nothing: API Gateway prints an undefined
/// or null reference as an empty string, not as its source as plain Velocity does.
pub(super) fn display(v: &Value) -> String {
    let mut out = String::new();
    write(&mut out, v, true);
    out
}

fn write(out: &mut String, v: &Value, top: bool) {
    match v {
        Value::Null if top => {}
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(out, item, false);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                write(out, item, false);
            }
            out.push('}');
        }
    }
}

/// Java's text of a number: integers as they are, others as `Double.toString` (`1.0`, `0.5`).
fn number_text(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or_default();
    if f.fract() == 0.0 && f.abs() < 1e7 {
        format!("{f:.1}")
    } else {
        f.to_string()
    }
}

/// Velocity 1.7's truth: only `null` and `false` are false.
pub(super) fn truthy(v: &Value) -> bool {
    !matches!(v, Value::Null | Value::Bool(false))
}

/// `==`: numbers by value, null only equal to null, other values of different kinds by
/// their text (Velocity compares `toString()` when the classes differ).
pub(super) fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => display(a) == display(b),
    }
}

/// `<` and friends: numbers by value, strings by their characters; anything else does not
/// compare.
pub(super) fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => x.as_f64()?.partial_cmp(&y.as_f64()?),
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Arithmetic: whole numbers stay whole (Java's `long`, division truncating) while they fit,
/// then turn to doubles; `+` with a string on either side joins texts. A division by zero,
/// or an operand that is not a number, gives null.
pub(super) fn arith(op: char, a: &Value, b: &Value) -> Value {
    if op == '+' && (a.is_string() || b.is_string()) {
        return Value::String(display(a) + &display(b));
    }
    let (Value::Number(x), Value::Number(y)) = (a, b) else {
        return Value::Null;
    };
    if let (Some(x), Some(y)) = (x.as_i64(), y.as_i64()) {
        let r = match op {
            '+' => x.checked_add(y),
            '-' => x.checked_sub(y),
            '*' => x.checked_mul(y),
            '/' if y == 0 => return Value::Null,
            '/' => x.checked_div(y),
            '%' if y == 0 => return Value::Null,
            _ => x.checked_rem(y),
        };
        if let Some(r) = r {
            return Value::from(r);
        }
    }
    let (Some(x), Some(y)) = (x.as_f64(), y.as_f64()) else {
        return Value::Null;
    };
    let r = match op {
        '+' => x + y,
        '-' => x - y,
        '*' => x * y,
        '/' if y == 0.0 => return Value::Null,
        '/' => x / y,
        '%' if y == 0.0 => return Value::Null,
        _ => x % y,
    };
    Number::from_f64(r).map_or(Value::Null, Value::Number)
}

/// The methods a value answers without changing it (`size()`, `get(k)`, `toLowerCase()`...);
/// `None` when the value has no such method, so that the caller can say so.
pub(super) fn call(v: &Value, name: &str, args: &[Value]) -> Option<Value> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    let text = |i: usize| display(arg(i));
    let int = |i: usize| arg(i).as_i64();
    match (v, name, args.len()) {
        (_, "toString", 0) => Some(Value::String(display(v))),
        (_, "equals", 1) => Some(Value::Bool(equal(v, arg(0)))),
        (_, "hashCode", 0) => None,
        (Value::String(s), _, _) => string_method(s, name, args.len(), &text, &int),
        (Value::Object(m), "get", 1) => Some(m.get(&text(0)).cloned().unwrap_or(Value::Null)),
        (Value::Object(m), "containsKey", 1) => Some(Value::Bool(m.contains_key(&text(0)))),
        (Value::Object(m), "containsValue", 1) => {
            Some(Value::Bool(m.values().any(|x| equal(x, arg(0)))))
        }
        (Value::Object(m), "keySet", 0) => Some(Value::Array(
            m.keys().map(|k| Value::String(k.clone())).collect(),
        )),
        (Value::Object(m), "values", 0) => Some(Value::Array(m.values().cloned().collect())),
        (Value::Object(m), "entrySet", 0) => Some(Value::Array(
            m.iter()
                .map(|(k, v)| {
                    let mut e = Map::new();
                    e.insert("key".to_owned(), Value::String(k.clone()));
                    e.insert("value".to_owned(), v.clone());
                    Value::Object(e)
                })
                .collect(),
        )),
        (Value::Object(m), "size", 0) => Some(Value::from(m.len())),
        (Value::Object(m), "isEmpty", 0) => Some(Value::Bool(m.is_empty())),
        (Value::Array(a), "get", 1) => Some(
            int(0)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| a.get(i))
                .cloned()
                .unwrap_or(Value::Null),
        ),
        (Value::Array(a), "size", 0) => Some(Value::from(a.len())),
        (Value::Array(a), "isEmpty", 0) => Some(Value::Bool(a.is_empty())),
        (Value::Array(a), "contains", 1) => Some(Value::Bool(a.iter().any(|x| equal(x, arg(0))))),
        (Value::Array(a), "indexOf", 1) => Some(Value::from(
            a.iter()
                .position(|x| equal(x, arg(0)))
                .map_or(-1, |i| i as i64),
        )),
        (Value::Number(n), "intValue" | "longValue", 0) => Some(Value::from(
            n.as_i64()
                .unwrap_or_else(|| n.as_f64().unwrap_or_default() as i64),
        )),
        (Value::Number(n), "doubleValue" | "floatValue", 0) => Some(
            n.as_f64()
                .and_then(Number::from_f64)
                .map_or(Value::Null, Value::Number),
        ),
        _ => None,
    }
}

fn string_method(
    s: &str,
    name: &str,
    argc: usize,
    text: &dyn Fn(usize) -> String,
    int: &dyn Fn(usize) -> Option<i64>,
) -> Option<Value> {
    let chars = || s.chars().count();
    // Java counts in UTF-16 units; glassgate counts characters, which agree outside the
    // astral planes.
    let substring = |from: i64, to: i64| -> Value {
        let (Ok(from), Ok(to)) = (usize::try_from(from), usize::try_from(to)) else {
            return Value::Null;
        };
        if from > to || to > chars() {
            return Value::Null;
        }
        Value::String(s.chars().skip(from).take(to - from).collect())
    };
    let index_of = |found: Option<usize>| -> Value {
        Value::from(found.map_or(-1, |b| s[..b].chars().count() as i64))
    };
    Some(match (name, argc) {
        ("length", 0) => Value::from(chars()),
        ("isEmpty", 0) => Value::Bool(s.is_empty()),
        ("trim", 0) => Value::String(s.trim().to_owned()),
        ("toLowerCase", 0) => Value::String(s.to_lowercase()),
        ("toUpperCase", 0) => Value::String(s.to_uppercase()),
        ("contains", 1) => Value::Bool(s.contains(&text(0))),
        ("startsWith", 1) => Value::Bool(s.starts_with(&text(0))),
        ("endsWith", 1) => Value::Bool(s.ends_with(&text(0))),
        ("equalsIgnoreCase", 1) => Value::Bool(s.to_lowercase() == text(0).to_lowercase()),
        ("indexOf", 1) => index_of(s.find(&text(0))),
        ("lastIndexOf", 1) => index_of(s.rfind(&text(0))),
        ("concat", 1) => {
            let t = text(0);
            fits(s.len() + t.len())?;
            Value::String(format!("{s}{t}"))
        }
        ("replace", 2) => {
            let (from, to) = (text(0), text(1));
            let n = if from.is_empty() {
                chars() + 1
            } else {
                s.matches(&from).count()
            };
            fits(s.len() + n.saturating_mul(to.len()))?;
            Value::String(s.replace(&from, &to))
        }
        ("charAt", 1) => int(0)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| s.chars().nth(i))
            .map_or(Value::Null, |c| Value::String(c.to_string())),
        ("substring", 1) => substring(int(0)?, chars() as i64),
        ("substring", 2) => substring(int(0)?, int(1)?),
        ("matches", 1) => Value::Bool(regex(&format!("^(?:{})$", text(0)))?.is_match(s)),
        ("replaceAll", 2) => {
            let (re, to) = (regex(&text(0))?, java_replacement(&text(1)));
            fits(s.len() + re.find_iter(s).count().saturating_mul(to.len() + 1))?;
            Value::String(re.replace_all(s, to).into_owned())
        }
        ("replaceFirst", 2) => Value::String(
            regex(&text(0))?
                .replace(s, java_replacement(&text(1)))
                .into_owned(),
        ),
        ("split", 1) => {
            let re = regex(&text(0))?;
            let mut parts: Vec<Value> = re.split(s).map(|p| Value::String(p.to_owned())).collect();
            // Java drops trailing empty strings.
            while parts.last().is_some_and(|p| p.as_str() == Some("")) {
                parts.pop();
            }
            Value::Array(parts)
        }
        _ => return None,
    })
}

/// The longest text a method may make (an interpolation is bounded the same way).
const MAX_TEXT: usize = 16 << 20;

/// `Some` when a result of `len` bytes is within [`MAX_TEXT`]; a larger one makes the call
/// null instead of taking the memory.
fn fits(len: usize) -> Option<()> {
    (len <= MAX_TEXT).then_some(())
}

/// A pattern for `matches`, `replaceAll`, `replaceFirst` and `split`: Java's syntax, which
/// the `regex` crate reads for the patterns templates use; a pattern it cannot read makes
/// the call null. Large patterns are refused, so a template cannot make the gateway build a
/// huge automaton.
fn regex(pattern: &str) -> Option<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .ok()
}

/// Java writes groups in a replacement as `$1`; the `regex` crate reads `$1x` as group
/// `1x`, so each group number is braced.
fn java_replacement(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    if n == '$' {
                        out.push_str("$$");
                    } else {
                        out.push(n);
                    }
                }
            }
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push_str("${");
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    out.push(d);
                    chars.next();
                }
                out.push('}');
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_print_as_java_prints_them() {
        assert_eq!(
            display(&json!({"a": 1, "b": [true, null, "x"]})),
            "{a=1, b=[true, null, x]}"
        );
        assert_eq!(display(&json!(1.0)), "1.0");
        assert_eq!(display(&json!(0.5)), "0.5");
        assert_eq!(display(&Value::Null), "");
    }

    #[test]
    fn comparison_and_arithmetic_follow_java() {
        assert!(equal(&json!(1), &json!(1.0)));
        assert!(equal(&json!("1"), &json!(1)));
        assert!(!equal(&Value::Null, &json!("")));
        assert_eq!(arith('/', &json!(7), &json!(2)), json!(3));
        assert_eq!(arith('/', &json!(7), &json!(0)), Value::Null);
        assert_eq!(arith('+', &json!("a"), &json!(1)), json!("a1"));
        assert_eq!(
            arith('-', &json!(i64::MIN), &json!(1)),
            json!(i64::MIN as f64 - 1.0)
        );
    }

    #[test]
    fn string_methods_count_characters() {
        let s = json!("héllo world");
        assert_eq!(call(&s, "length", &[]), Some(json!(11)));
        assert_eq!(
            call(&s, "substring", &[json!(1), json!(5)]),
            Some(json!("éllo"))
        );
        assert_eq!(call(&s, "indexOf", &[json!("w")]), Some(json!(6)));
        assert_eq!(
            call(&s, "substring", &[json!(5), json!(99)]),
            Some(Value::Null)
        );
        assert_eq!(
            call(
                &json!("a-b-c"),
                "replaceAll",
                &[json!("-(\\w)"), json!("[$1]")]
            ),
            Some(json!("a[b][c]"))
        );
        assert_eq!(
            call(&json!("a,b,,"), "split", &[json!(",")]),
            Some(json!(["a", "b"]))
        );
        assert_eq!(call(&s, "nope", &[]), None);
    }
}
