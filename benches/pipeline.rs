//! In-process cost of lifecycle pieces on the request path, without sockets or processes:
//! the authorizer stage on a warm cache, building the v1 and the v2 event (the same request),
//! and the trace's redaction.
//!
//! Run: `cargo bench --bench pipeline`. Results are recorded in BENCHMARKS.md.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use glassgate::lambda::{LambdaService, LambdaSettings};
use glassgate::pipeline::Redactor;
use glassgate::pipeline::authorize::cache::{AuthCache, CacheEntry, CacheKey};
use glassgate::pipeline::authorize::result::parse;
use glassgate::pipeline::authorize::{AuthSettings, AuthTarget, AuthorizeOptions, Authorizers};
use glassgate::pipeline::payload::v1::{EventContext, build};
use glassgate::pipeline::request::GatewayRequest;
use glassgate::template::{LoadOptions, load_str};
use glassgate::trace::Trace;
use indexmap::IndexMap;

const TEMPLATE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: Tok
        Authorizers:
          Tok:
            FunctionArn: !GetAtt AuthFn.Arn
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, CodeUri: ., Handler: app.handler}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: .
      Handler: app.handler
      Events:
        A: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/pets/{id}", Method: get}}
"#;

fn request() -> GatewayRequest {
    GatewayRequest::local(
        "GET",
        "/pets/7?a=1&b=2",
        [
            ("Host", "localhost:3000"),
            ("User-Agent", "wrk"),
            ("Authorization", "Bearer bench-token"),
            ("X-Forwarded-For", "127.0.0.1"),
            ("X-Forwarded-Port", "3000"),
            ("X-Forwarded-Proto", "http"),
        ],
        "",
    )
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = rt.enter();
    let dir = std::env::temp_dir();
    let model = load_str(
        &TEMPLATE.replace("CodeUri: .", &format!("CodeUri: {}", dir.display())),
        &dir.join("template.yaml"),
        &LoadOptions {
            parameter_overrides: IndexMap::new(),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            stack_name: "bench".into(),
            cache_dir: std::env::temp_dir().join("glassgate-bench-cache"),
        },
    )
    .expect("template");
    // Processes start on first invocation; a warm cache never invokes.
    let lambda = LambdaService::new(&model, &LambdaSettings::default()).expect("lambda");
    let cache = Arc::new(AuthCache::new(10_000));
    let auth = Authorizers::new(
        &model.apis,
        "us-east-1",
        "123456789012",
        AuthSettings::default(),
        cache.clone(),
    )
    .expect("authorizers");
    let api = &model.apis[0];
    let route = &api.routes[0];
    let authorizer = &api.authorizers["Tok"];
    let result = parse(br#"{"principalId":"bench","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:123456789012:*/Prod/*/*"}]},"context":{"tier":"bench","n":1}}"#)
        .expect("result");
    cache.insert(
        CacheKey {
            api_id: api.api_id.as_str().into(),
            stage: api.stage.as_str().into(),
            authorizer: "Tok".into(),
            identity: vec!["Bearer bench-token".into()],
        },
        CacheEntry {
            result: Arc::new(result),
            method_arn: Arc::from(""),
            inserted: tokio::time::Instant::now(),
            ttl: Duration::from_secs(3600),
        },
    );
    let req = request();
    let params: IndexMap<String, String> =
        [("id".to_owned(), "7".to_owned())].into_iter().collect();

    c.bench_function("authorize/warm cache hit (stage, with trace)", |b| {
        b.iter(|| {
            let mut trace = Trace::start("r", "e", "GET", "/pets/7", req.received_at);
            let mut redactor = Redactor::for_request(&req);
            let target = AuthTarget {
                api,
                resource: route.resource(),
                route_key: "GET /pets/{id}",
                path: "/pets/7",
                scopes: &[],
                auth: authorizer,
                req: &req,
                path_params: &params,
            };
            let out = rt.block_on(auth.authorize(
                &lambda,
                &target,
                &mut redactor,
                AuthorizeOptions::default(),
                &mut trace,
            ));
            assert!(out.is_ok());
            black_box((out, trace))
        })
    });

    let event_ctx = EventContext {
        resource: route.resource(),
        path_params: &params,
        stage: &api.stage,
        stage_variables: &api.stage_variables,
        api_id: &api.api_id,
        account_id: "123456789012",
        authorizer: None,
        http_route_key: None,
    };
    c.bench_function("integrate/build v1 event", |b| {
        b.iter(|| black_box(build(black_box(&req), &event_ctx)))
    });
    // The same request as an HTTP API's payload 2.0 event.
    let v2_ctx = glassgate::pipeline::payload::v2::EventContext {
        route_key: "GET /pets/{id}",
        path_params: &params,
        stage: "$default",
        stage_variables: &api.stage_variables,
        api_id: &api.api_id,
        account_id: "123456789012",
        authorizer: None,
    };
    c.bench_function("integrate/build v2 event", |b| {
        b.iter(|| {
            black_box(glassgate::pipeline::payload::v2::build(
                black_box(&req),
                &v2_ctx,
            ))
        })
    });

    let event = build(&req, &event_ctx);
    let text = String::from_utf8_lossy(&event).into_owned();
    c.bench_function("trace/redact 20 lines incl. 2 event bodies", |b| {
        let redactor = Redactor::for_request(&req);
        b.iter(|| {
            let mut trace = Trace::start("r", "e", "GET", "/pets/7", req.received_at);
            for i in 0..18 {
                trace.log(format!("line {i} of the execution log"));
            }
            trace.log(format!(
                "Endpoint request body after transformations: {text}"
            ));
            trace.log(format!(
                "Endpoint response body before transformations: {text}"
            ));
            trace.redact(|s| redactor.apply(s));
            black_box(trace)
        })
    });
    rt.block_on(lambda.shutdown());
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);
