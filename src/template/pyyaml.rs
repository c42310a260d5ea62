//! What PyYAML accepts that a YAML 1.2 parser refuses, for templates SAM CLI and `sam deploy`
//! (both PyYAML) take: a key written twice in one mapping (PyYAML keeps the last), and a flow
//! collection whose closing bracket sits left of its key's indentation. Each is accepted with
//! a warning naming the lines, never silently.
//!
//! Duplicates are found in a first pass over the parser's events; the second pass (the real
//! load, `yaml.rs`) leaves out the entries a later one replaces. Both passes number mappings
//! and entries the same way, in document order, through [`Shape`].

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, Span};

use crate::model::Warning;

/// An entry a later key of the same mapping replaces: (mapping number, entry number).
pub(super) type Entry = (usize, usize);

/// Where the event stream is: the open collections, and what each is reading.
#[derive(Default)]
pub(super) struct Shape {
    frames: Vec<Frame>,
    mappings: usize,
}

struct Frame {
    /// `Some(number)` for a mapping, `None` for a sequence.
    mapping: Option<usize>,
    /// Child nodes completed so far (in a mapping: keys and values alternate).
    done: usize,
    /// The text of the key being read, for locations.
    label: String,
}

/// What an event is, for the caller.
pub(super) struct Seen {
    /// A node starting as the key of entry `(mapping, entry)`, with its text when it is a
    /// plain scalar.
    pub key: Option<(Entry, Option<String>)>,
}

impl Shape {
    /// Follow one event.
    pub(super) fn on(&mut self, ev: &Event<'_>) -> Seen {
        let starts_node = matches!(
            ev,
            Event::Scalar(..)
                | Event::Alias(_)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
        );
        let mut key = None;
        if starts_node && let Some(top) = self.frames.last() {
            if let (Some(m), true) = (top.mapping, top.done % 2 == 0) {
                let text = match ev {
                    Event::Scalar(v, ..) => Some(v.to_string()),
                    _ => None,
                };
                key = Some(((m, top.done / 2), text));
            }
        }
        if let (Some((_, Some(text))), Some(top)) = (&key, self.frames.last_mut()) {
            top.label.clone_from(text);
        }
        match ev {
            Event::MappingStart(..) => {
                self.mappings += 1;
                self.frames.push(Frame {
                    mapping: Some(self.mappings),
                    done: 0,
                    label: String::new(),
                });
            }
            Event::SequenceStart(..) => self.frames.push(Frame {
                mapping: None,
                done: 0,
                label: String::new(),
            }),
            Event::MappingEnd | Event::SequenceEnd => {
                self.frames.pop();
                self.complete();
            }
            Event::Scalar(..) | Event::Alias(_) => self.complete(),
            _ => {}
        }
        Seen { key }
    }

    fn complete(&mut self) {
        if let Some(top) = self.frames.last_mut() {
            top.done += 1;
        }
    }

    /// How many collections are open.
    pub(super) fn depth(&self) -> usize {
        self.frames.len()
    }

    /// Child nodes completed in the innermost open collection.
    pub(super) fn done(&self) -> usize {
        self.frames.last().map_or(0, |f| f.done)
    }

    /// The template path of the innermost mapping (`Resources.Fn.Properties`).
    fn path(&self) -> String {
        let labels: Vec<&str> = self
            .frames
            .iter()
            .take(self.frames.len().saturating_sub(1))
            .map(|f| f.label.as_str())
            .filter(|l| !l.is_empty())
            .collect();
        labels.join(".")
    }
}

/// A mapping's keys: each key's text with the (entry number, line) of every occurrence.
type Occurrences = HashMap<String, Vec<(usize, usize)>>;

/// The entries a later key of the same mapping replaces, with a warning for each; empty when
/// the text does not parse (the real load reports why).
pub(super) fn overridden(text: &str) -> (HashSet<Entry>, Vec<Warning>) {
    let mut shape = Shape::default();
    // Per open mapping: its number, and each key's occurrences.
    let mut open: Vec<(usize, Occurrences)> = Vec::new();
    let mut skip = HashSet::new();
    let mut warnings = Vec::new();
    for event in Parser::new_from_str(text) {
        let Ok((ev, span)) = event else {
            return (HashSet::new(), Vec::new());
        };
        let line = span_line(&span);
        let path = shape.path();
        let closing = matches!(ev, Event::MappingEnd);
        let seen = shape.on(&ev);
        if let Some(((m, entry), Some(key))) = seen.key
            && let Some((_, keys)) = open.iter_mut().rev().find(|(id, _)| *id == m)
        {
            keys.entry(key).or_default().push((entry, line));
        }
        if matches!(ev, Event::MappingStart(..)) {
            open.push((shape.mappings, HashMap::new()));
        }
        if closing && let Some((m, keys)) = open.pop() {
            let mut dups: Vec<(String, Vec<(usize, usize)>)> =
                keys.into_iter().filter(|(_, v)| v.len() > 1).collect();
            dups.sort_by_key(|(_, v)| v[0].1);
            for (key, occurrences) in dups {
                let lines: Vec<String> = occurrences.iter().map(|(_, l)| l.to_string()).collect();
                for (entry, _) in &occurrences[..occurrences.len() - 1] {
                    skip.insert((m, *entry));
                }
                let location = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                warnings.push(Warning {
                    location,
                    message: format!(
                        "key {key} is written {} times in one mapping (lines {}); the last one is used, as PyYAML (SAM CLI, sam deploy) reads it, though YAML 1.2 parsers refuse the file",
                        occurrences.len(),
                        lines.join(", ")
                    ),
                });
            }
        }
    }
    (skip, warnings)
}

/// 1-based line of a span's start.
fn span_line(span: &Span) -> usize {
    span.start.line()
}

/// `text` with line `line` (1-based) re-indented like the line before it, when that line holds
/// only a flow collection's closing bracket: PyYAML takes `]` or `}` left of its key's
/// indentation, a YAML 1.2 parser does not.
pub(super) fn reindent_closing_bracket(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let target = lines.get(line.checked_sub(1)?)?;
    let trimmed = target.trim_start();
    if !(trimmed.starts_with(']') || trimmed.starts_with('}')) {
        return None;
    }
    let previous = lines[..line - 1]
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())?;
    let indent = previous.len() - previous.trim_start().len();
    if indent <= target.len() - trimmed.len() {
        return None;
    }
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    out[line - 1] = format!("{}{trimmed}", " ".repeat(indent));
    Some(out.join("\n"))
}
