//! The template loader: a SAM/CloudFormation template file in, a [`Model`] out.
//!
//! This module owns everything that knows about templates: the YAML/JSON syntax (`yaml`),
//! parameters, conditions, mappings and intrinsic functions (`intrinsics`), and the meaning of
//! the SAM resources we emulate (`sam`). Nothing outside it sees a template.
//!
//! Only what the model needs is resolved (function, API and `Api` event properties), so an
//! intrinsic we cannot evaluate in, say, a DynamoDB table neither fails the load nor warns.
//! Errors are collected rather than returned at the first one, so a broken template is reported
//! in one pass; each names the file and the path inside the template.

pub mod code;
mod intrinsics;
mod pyyaml;
mod sam;
mod yaml;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use crate::model::{Model, Warning};

/// Values that a real deployment would get from the CLI or from AWS.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// `--parameter-overrides Key=Value`; they win over `Default`.
    pub parameter_overrides: IndexMap<String, String>,
    /// `AWS::Region` and the region in ARNs.
    pub region: String,
    /// `AWS::AccountId` and the account in ARNs.
    pub account_id: String,
    /// `AWS::StackName` (and the stack in `AWS::StackId`).
    pub stack_name: String,
    /// Where code that is not a folder (a `.zip`, a single file, inline code) is unpacked:
    /// [`code::cache_dir`] unless a test says otherwise.
    pub cache_dir: std::path::PathBuf,
}

/// Why a template could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file could not be read.
    #[error("{}: cannot read the template: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{}: not a text file; a template is UTF-8 YAML or JSON", file.display())]
    NotText { file: PathBuf },
    /// The text is not well-formed YAML/JSON; `line` and `column` are 1-based.
    #[error("{}: line {line}, column {column}: {message}", file.display())]
    Syntax {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The template parsed, but has one or more errors (all of them are listed).
    ///
    /// `warnings` holds what was found before giving up, so `validate` can show everything.
    #[error("{}", ProblemList { file, errors })]
    Invalid {
        file: PathBuf,
        errors: Vec<Problem>,
        warnings: Vec<Warning>,
    },
}

/// One error in a template, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Template path of the offending element, e.g. `Resources.Fn.Properties.Timeout`.
    pub location: String,
    /// What is wrong, and where possible how to fix it.
    pub message: String,
}

impl Problem {
    fn new(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Renders every problem on its own line, each prefixed by the file, so one problem reads as
/// `template.yaml: Resources.Fn.Properties.Timeout: ...` and many stay grep-able.
struct ProblemList<'a> {
    file: &'a Path,
    errors: &'a [Problem],
}

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.errors.is_empty() {
            return write!(f, "{}: invalid template", self.file.display());
        }
        for (i, p) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {p}", self.file.display())?;
        }
        Ok(())
    }
}

/// Load and validate the template at `path`.
///
/// # Errors
/// [`TemplateError::Io`] if the file cannot be read, [`TemplateError::NotText`] if it is not
/// UTF-8, and otherwise as [`load_str`].
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Model, TemplateError> {
    let bytes = std::fs::read(path).map_err(|source| TemplateError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|_| TemplateError::NotText {
        file: path.to_path_buf(),
    })?;
    load_str(&text, path, opts)
}

/// Load and validate template `text` as if it were read from `path`.
///
/// `path` names the file in messages, and its folder is where `CodeUri` is resolved from.
///
/// # Errors
/// [`TemplateError::Syntax`] if the text is not well-formed YAML/JSON, and
/// [`TemplateError::Invalid`] listing every problem found otherwise.
pub fn load_str(text: &str, path: &Path, opts: &LoadOptions) -> Result<Model, TemplateError> {
    let (tree, yaml_warnings) = yaml::parse(text).map_err(|failure| match failure {
        yaml::ParseFailure::Syntax {
            line,
            column,
            message,
        } => TemplateError::Syntax {
            file: path.to_path_buf(),
            line,
            column,
            message,
        },
        yaml::ParseFailure::Invalid(errors) => TemplateError::Invalid {
            file: path.to_path_buf(),
            errors,
            warnings: Vec::new(),
        },
    })?;
    let base_dir = template_dir(path);
    let (model, mut diags) = sam::build(&tree, path, &base_dir, opts);
    // What the YAML reader accepted as PyYAML does comes first, as it came first.
    let mut warnings = yaml_warnings;
    warnings.append(&mut diags.warnings);
    match model {
        Some(mut model) if diags.problems.is_empty() => {
            model.warnings = warnings;
            Ok(model)
        }
        _ => Err(TemplateError::Invalid {
            file: path.to_path_buf(),
            errors: diags.problems,
            warnings,
        }),
    }
}

/// The folder `CodeUri` is relative to, made absolute so the model does not depend on the
/// working directory of whoever uses it later.
fn template_dir(path: &Path) -> PathBuf {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::path::absolute(&dir).unwrap_or(dir)
}

/// Marks that an error was already recorded in [`Diagnostics`]; callers just stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reported;

/// Errors and warnings found so far, in the order found.
#[derive(Debug, Default)]
struct Diagnostics {
    problems: Vec<Problem>,
    warnings: Vec<Warning>,
}

impl Diagnostics {
    fn error(&mut self, location: impl Into<String>, message: impl Into<String>) -> Reported {
        let problem = Problem::new(location, message);
        // A value used in two places (a Globals entry, a function name) is checked twice.
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
        Reported
    }

    fn warn(&mut self, location: impl Into<String>, message: impl Into<String>) {
        let warning = Warning {
            location: location.into(),
            message: message.into(),
        };
        // The same use can be reached twice (e.g. a function name needed by a Ref and by the
        // model); say it once.
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }
}

/// `loc.key`, the path of a mapping entry.
fn child(loc: &str, key: &str) -> String {
    if loc.is_empty() {
        key.to_owned()
    } else {
        format!("{loc}.{key}")
    }
}

/// `loc[i]`, the path of a list element.
fn index(loc: &str, i: usize) -> String {
    format!("{loc}[{i}]")
}

/// "a string", "a list", ... for messages like `expected a string, got a list`.
fn describe(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "nothing (null)",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}
