//! Unit tests of the template loader, by topic. Templates are loaded with `load_str` from a
//! real temporary folder so `CodeUri` checks see real directories.

mod auth;
mod cfn;
mod errors;
mod http;
mod intrinsics;
mod openapi;
mod sam;
mod yaml;

use std::path::PathBuf;

use indexmap::IndexMap;

use super::{LoadOptions, TemplateError, load_str};
use crate::model::Model;

fn opts() -> LoadOptions {
    LoadOptions {
        parameter_overrides: IndexMap::new(),
        region: "eu-west-1".to_owned(),
        account_id: "123456789012".to_owned(),
        stack_name: "demo".to_owned(),
        cache_dir: std::env::temp_dir().join("glassgate-template-tests-cache"),
    }
}

thread_local! {
    /// One folder per test: libtest runs each test on its own thread, and the folder is
    /// removed when that thread ends.
    static PROJECT: tempfile::TempDir = tempfile::Builder::new()
        .prefix("glassgate-template-tests-")
        .tempdir()
        .expect("create the test project folder");
}

/// A folder holding `src/` (a code folder), this test's own.
fn project_dir() -> PathBuf {
    let dir = PROJECT.with(|d| d.path().to_path_buf());
    std::fs::create_dir_all(dir.join("src")).expect("create the test project folder");
    dir
}

fn template_path() -> PathBuf {
    project_dir().join("template.yaml")
}

fn try_load_with(text: &str, opts: &LoadOptions) -> Result<Model, TemplateError> {
    load_str(text, &template_path(), opts)
}

fn try_load(text: &str) -> Result<Model, TemplateError> {
    try_load_with(text, &opts())
}

#[track_caller]
fn load_ok(text: &str) -> Model {
    match try_load(text) {
        Ok(m) => m,
        Err(e) => panic!("expected the template to load, got:\n{e}"),
    }
}

#[track_caller]
fn load_ok_with(text: &str, opts: &LoadOptions) -> Model {
    match try_load_with(text, opts) {
        Ok(m) => m,
        Err(e) => panic!("expected the template to load, got:\n{e}"),
    }
}

/// The error message, with the (temporary) template path replaced by `template.yaml`.
#[track_caller]
fn load_err(text: &str) -> String {
    load_err_with(text, &opts())
}

#[track_caller]
fn load_err_with(text: &str, opts: &LoadOptions) -> String {
    match try_load_with(text, opts) {
        Ok(m) => panic!("expected an error, got a model: {m:#?}"),
        Err(e) => e
            .to_string()
            .replace(&template_path().display().to_string(), "template.yaml"),
    }
}

/// `Location: message` of every warning, one per line.
fn warnings(model: &Model) -> Vec<String> {
    model.warnings.iter().map(ToString::to_string).collect()
}

/// A python function with an Api event, the common case most tests start from.
const HELLO: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  HelloFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get:
          Type: Api
          Properties:
            Path: /hello
            Method: get
"#;

/// A REST route served by a Lambda proxy integration, as the readers build them.
fn rest_route(
    method: &str,
    path: &str,
    function: &str,
    ms: u64,
    source: &str,
    auth: Option<&str>,
) -> crate::model::Route {
    crate::model::Route {
        key: crate::model::RouteKey::path(
            method,
            crate::model::PathTemplate::parse(path).expect("valid path"),
        ),
        integration: crate::model::Integration::Lambda {
            function: function.to_owned(),
            payload: crate::model::PayloadVersion::V1,
            timeout: std::time::Duration::from_millis(ms),
        },
        authorizer: auth.map(str::to_owned),
        scopes: Vec::new(),
        source: source.to_owned(),
    }
}
