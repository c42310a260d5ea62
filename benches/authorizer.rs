//! Micro-benchmarks of the authorizer hot path: policy evaluation and cache lookup.
//!
//! Run: `cargo bench --bench authorizer`. Results are recorded in BENCHMARKS.md with the
//! machine and date.

use std::sync::Arc;
use std::time::Duration;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use glassgate::iam_policy::{Effect, Statement, evaluate, wildcard_match};
use glassgate::pipeline::authorize::cache::{AuthCache, CacheEntry, CacheKey};
use glassgate::pipeline::authorize::result::{AuthorizerResult, parse};

const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdefghij/Prod/GET/pets/7/toys";

fn statements() -> Vec<Statement> {
    vec![
        Statement {
            effect: Effect::Deny,
            actions: vec!["execute-api:Invoke".into()],
            resources: vec![
                "arn:aws:execute-api:us-east-1:123456789012:abcdefghij/Prod/DELETE/*".into(),
            ],
            not_resources: vec![],
        },
        Statement {
            effect: Effect::Allow,
            actions: vec!["execute-api:Invoke".into()],
            resources: vec![
                "arn:aws:execute-api:us-east-1:123456789012:abcdefghij/Prod/*/*".into(),
            ],
            not_resources: vec![],
        },
    ]
}

fn policy(c: &mut Criterion) {
    let st = statements();
    c.bench_function("policy/evaluate 2 statements", |b| {
        b.iter(|| evaluate(black_box(&st), black_box(ARN)))
    });
    c.bench_function("policy/wildcard match", |b| {
        b.iter(|| {
            wildcard_match(
                black_box("arn:aws:execute-api:*:*:abcdefghij/*/GET/pets/*"),
                black_box(ARN),
            )
        })
    });
    let raw = br#"{"principalId":"user-1","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:123456789012:abcdefghij/Prod/*/*"}]},"context":{"user":"user-1","n":1,"b":true}}"#;
    c.bench_function("result/parse", |b| b.iter(|| parse(black_box(raw))));
}

fn cache(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let _guard = rt.enter();
    let cache = AuthCache::new(10_000);
    let result = Arc::new(AuthorizerResult::new(
        Some("user-1".into()),
        None,
        statements(),
        Default::default(),
        None,
    ));
    for i in 0..1000 {
        cache.insert(
            CacheKey {
                api_id: "abcdefghij".into(),
                stage: "Prod".into(),
                authorizer: "Tok".into(),
                identity: vec![format!("Bearer token-{i}")],
            },
            CacheEntry {
                result: result.clone(),
                method_arn: ARN.into(),
                inserted: tokio::time::Instant::now(),
                ttl: Duration::from_secs(300),
            },
        );
    }
    let key = CacheKey {
        api_id: "abcdefghij".into(),
        stage: "Prod".into(),
        authorizer: "Tok".into(),
        identity: vec!["Bearer token-500".into()],
    };
    c.bench_function("cache/hit", |b| b.iter(|| cache.get(black_box(&key))));
    let miss = CacheKey {
        identity: vec!["Bearer nope".into()],
        ..key.clone()
    };
    c.bench_function("cache/miss", |b| b.iter(|| cache.get(black_box(&miss))));
    c.bench_function("cache/hit + evaluate", |b| {
        b.iter(|| {
            let e = cache.get(black_box(&key));
            e.map(|e| evaluate(&e.result.statements, ARN))
        })
    });
}

criterion_group!(benches, policy, cache);
criterion_main!(benches);
