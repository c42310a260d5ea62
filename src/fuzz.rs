//! The fuzz targets' bodies: each takes arbitrary bytes and runs one parser of untrusted input
//! the way glassgate runs it, so that `cargo fuzz` (in `fuzz/`) and the corpus replay test
//! (`tests/it/fuzz_corpus.rs`, in ordinary CI) exercise the same code. A target's contract is
//! that no input panics, hangs or allocates without bound; what the parser answers is the unit
//! tests' business. Not part of the API: hidden from the docs.
//!
//! Not a target: `X-Amzn-Trace-Id`, which glassgate writes and never parses.

use std::path::Path;
use std::sync::OnceLock;

/// A target: bytes in, nothing out (it must only not panic).
pub type Target = fn(&[u8]);

/// Every target, by the name of its folder under `fuzz/corpus/` and its file under
/// `fuzz/fuzz_targets/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("template", template),
    ("authorizer_result", authorizer_result),
    ("policy", policy),
    ("proxy_response", proxy_response),
    ("runtime_api", runtime_api),
    ("router", router),
    ("explain_log", explain_log),
    ("jwt", jwt),
    ("query", query),
    ("vtl", vtl),
];

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A template (YAML or JSON, SAM, CloudFormation, OpenAPI bodies, intrinsics) to the model.
pub fn template(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = crate::template::LoadOptions {
        parameter_overrides: Default::default(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        stack_name: "fuzz".into(),
        cache_dir: std::env::temp_dir().join("glassgate-fuzz-cache"),
    };
    // A folder that does not exist: relative `CodeUri`s name nothing on disk.
    let path = Path::new("/nonexistent-glassgate-fuzz/template.yaml");
    if let Ok(model) = crate::template::load_str(text, path, &opts) {
        // What `serve` does next with a model: its route table.
        let _ = crate::pipeline::route::Router::new(&model.apis);
    }
}

/// A Lambda authorizer's result: the policy form and HTTP APIs' simple responses.
pub fn authorizer_result(data: &[u8]) {
    use crate::pipeline::authorize::result;
    if let Ok(r) = result::parse(data) {
        let _ = crate::iam_policy::evaluate(
            &r.statements,
            "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/7",
        );
    }
    let _ = result::parse_simple(data);
}

/// IAM wildcard matching: the first line is the pattern, the rest the ARN.
pub fn policy(data: &[u8]) {
    let text = text(data);
    let (pattern, arn) = text.split_once('\n').unwrap_or((&text, ""));
    // Bounded, as the matcher is linear: a long pattern must not take quadratic time.
    let _ = crate::iam_policy::wildcard_match(pattern, arn);
    let _ = crate::iam_policy::wildcard_match(arn, pattern);
}

/// A handler's proxy response, in both payload formats.
pub fn proxy_response(data: &[u8]) {
    let _ = crate::pipeline::integrate::proxy_response::parse(data);
    let _ = crate::pipeline::integrate::proxy_response_v2::parse(data);
}

/// A request to the Runtime API: the first line is `METHOD PATH`, the rest an error body.
pub fn runtime_api(data: &[u8]) {
    let text = text(data);
    let (line, body) = text.split_once('\n').unwrap_or((&text, ""));
    let (method, path) = line.split_once(' ').unwrap_or(("POST", line));
    if let Ok(m) = http::Method::from_bytes(method.as_bytes()) {
        let _ = crate::lambda::runtime_api_endpoint(&m, path);
    }
    let _ = crate::lambda::runtime_error_fields(body.as_bytes());
}

/// The route table of a fixed REST and HTTP API, asked `METHOD PATH` (first line), and the
/// route key and path template parsers on the rest.
pub fn router(data: &[u8]) {
    static TABLE: OnceLock<Option<crate::pipeline::route::Router>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let opts = crate::template::LoadOptions {
            parameter_overrides: Default::default(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            stack_name: "fuzz".into(),
            cache_dir: std::env::temp_dir().join("glassgate-fuzz-cache"),
        };
        let model = crate::template::load_str(
            ROUTER_TEMPLATE,
            Path::new("/nonexistent-glassgate-fuzz/template.yaml"),
            &opts,
        )
        .ok()?;
        crate::pipeline::route::Router::new(&model.apis).ok()
    });
    let text = text(data);
    let (line, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let (method, path) = line.split_once(' ').unwrap_or(("GET", line));
    if let Some(table) = table {
        let _ = table.route(method, path);
        let _ = table.nearest(path, 3);
    }
    let _ = crate::model::RouteKey::parse(rest);
    let _ = crate::model::PathTemplate::parse(rest);
}

/// Route shapes of both products: greedy and plain parameters, ANY, `$default`, a stage.
const ROUTER_TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(e, c): return {}"
      Events:
        A: {Type: Api, Properties: {Path: /pets, Method: get}}
        B: {Type: Api, Properties: {Path: "/pets/{id}", Method: any}}
        C: {Type: Api, Properties: {Path: "/files/{proxy+}", Method: get}}
        D: {Type: Api, Properties: {Path: "/{proxy+}", Method: post}}
        E: {Type: HttpApi, Properties: {ApiId: !Ref Http, Path: "/items/{id}", Method: get}}
        F: {Type: HttpApi, Properties: {ApiId: !Ref Http, Path: "/$default", Method: any}}
  Http:
    Type: AWS::Serverless::HttpApi
    Properties: {StageName: v1}
"#;

/// `explain --log` input: text logs, CloudWatch exports, JSON lines.
pub fn explain_log(data: &[u8]) {
    let _ = crate::explain::explain_log(&text(data));
}

/// JWT authorizers' inputs from outside: a token's header and claims, and an issuer's JWKS
/// (the first line is the token, the rest the key set).
pub fn jwt(data: &[u8]) {
    let text = text(data);
    let (token, jwks) = text.split_once('\n').unwrap_or((&text, ""));
    let _ = jsonwebtoken::decode_header(token);
    let _ = crate::pipeline::authorize::jwt::jwks::parse_jwks(
        "https://fuzz.example/jwks",
        jwks.as_bytes(),
    );
    // Claims as the authorizer renders them into the context (Go-style stringification).
    if let Some(payload) = token.split('.').nth(1) {
        use base64::Engine;
        if let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload)
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
        {
            let _ = crate::pipeline::authorize::jwt::go_string(&v);
        }
    }
}

/// Query strings, as every stage reads them.
pub fn query(data: &[u8]) {
    let text = text(data);
    let _ = crate::pipeline::request::parse_query(Some(&text));
}

/// A mapping template (everything after the first line) rendered over a body (the first
/// line), with the variables of a small request.
pub fn vtl(data: &[u8]) {
    let text = text(data);
    let (body, source) = text.split_once('\n').unwrap_or(("", &text));
    let template = crate::vtl::Template::parse(source);
    let _ = template.unknown();
    let params = serde_json::json!({
        "path": {"id": "7"},
        "querystring": {"q": "a b"},
        "header": {"Content-Type": "application/json"}
    });
    let context = serde_json::json!({"requestId": "r", "authorizer": {"principalId": "p"}});
    let stage = serde_json::json!({"env": "dev"});
    let _ = template.render(&crate::vtl::Bindings {
        body: body.as_bytes(),
        params: &params,
        context: &context,
        stage_variables: &stage,
    });
}
