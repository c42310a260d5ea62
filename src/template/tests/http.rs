//! HTTP APIs: SAM `AWS::Serverless::HttpApi` and `HttpApi` events, their OpenAPI definitions,
//! and the CloudFormation (`AWS::ApiGatewayV2::*`) form.

use std::time::Duration;

use crate::model::{AuthorizerKind, Flavor, IdentitySource, Integration, PayloadVersion, RouteKey};

use super::{load_err, load_ok, warnings};

const FN: &str = "  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12}\n";

#[test]
fn sam_http_apis_take_their_defaults_from_aws() {
    let m = load_ok(
        r#"
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get: {Type: HttpApi, Properties: {Path: /items, Method: get}}
        Catch: {Type: HttpApi}
"#,
    );
    let api = &m.apis[0];
    assert_eq!(api.logical_id, "ServerlessHttpApi");
    assert_eq!(api.stage, "$default");
    assert!(matches!(api.flavor, Flavor::Http { cors: None }));
    assert_eq!(api.routes[0].key.to_string(), "GET /items");
    assert_eq!(
        api.routes[0].integration,
        Integration::Lambda {
            function: "Fn".into(),
            payload: PayloadVersion::V2,
            timeout: Duration::from_secs(30),
        }
    );
    assert_eq!(api.routes[1].key, RouteKey::Default);
    assert!(warnings(&m).is_empty(), "{:?}", warnings(&m));
}

#[test]
fn http_api_events_are_checked() {
    let with_event = |props: &str| {
        format!(
            "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src\n      Handler: app.handler\n      Runtime: python3.12\n      Events:\n        E: {{Type: HttpApi, Properties: {props}}}\n"
        )
    };
    let err = load_err(&with_event("{Path: /items/, Method: get}"));
    assert!(
        err.contains("HTTP API route paths may not end with '/'"),
        "{err}"
    );
    let err = load_err(&with_event("{Path: /items}"));
    assert!(
        err.contains("HttpApi event has a Path but no Method"),
        "{err}"
    );
    let err = load_err(&with_event(
        "{Path: /a, Method: get, PayloadFormatVersion: \"3.0\"}",
    ));
    assert!(
        err.contains("PayloadFormatVersion must be \"1.0\" or \"2.0\""),
        "{err}"
    );
    let err = load_err(&with_event(
        "{Path: /a, Method: get, TimeoutInMillis: 30001}",
    ));
    assert!(
        err.contains("TimeoutInMillis should be between 50 ms and 30000 ms"),
        "{err}"
    );
    let err = load_err(&with_event("{Path: /a, Method: get, ApiId: Nope}"));
    assert!(
        err.contains("ApiId \"Nope\" does not name an AWS::Serverless::HttpApi"),
        "{err}"
    );
}

#[test]
fn sam_lambda_authorizers_of_http_apis() {
    let m = load_ok(&format!(
        r#"
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Simple
        Authorizers:
          Simple:
            FunctionArn: !GetAtt Fn.Arn
            AuthorizerPayloadFormatVersion: 2.0
            EnableSimpleResponses: true
            Identity: {{Context: [routeKey], Headers: [X-Key], QueryStrings: [t]}}
{FN}"#
    ));
    let a = &m.apis[0].authorizers["Simple"];
    assert_eq!(
        a.ttl,
        Duration::ZERO,
        "no ReauthorizeEvery: no caching (decision 9.6)"
    );
    assert_eq!(
        a.kind,
        AuthorizerKind::Request {
            identity_sources: vec![
                IdentitySource::Header("X-Key".into()),
                IdentitySource::Query("t".into()),
                IdentitySource::Context("routeKey".into()),
            ],
            payload: PayloadVersion::V2,
            simple_responses: true,
        }
    );
    let bad = |auth: &str| {
        load_err(&format!(
            "Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      Auth:\n        Authorizers:\n          A: {auth}\n{FN}"
        ))
    };
    let err = bad("{FunctionArn: !GetAtt Fn.Arn}");
    assert!(
        err.contains("authorizer A has no AuthorizerPayloadFormatVersion"),
        "{err}"
    );
    let err = bad(
        "{FunctionArn: !GetAtt Fn.Arn, AuthorizerPayloadFormatVersion: \"1.0\", EnableSimpleResponses: true}",
    );
    assert!(
        err.contains("EnableSimpleResponses needs AuthorizerPayloadFormatVersion \"2.0\""),
        "{err}"
    );
    let err = bad(
        "{FunctionArn: !GetAtt Fn.Arn, AuthorizerPayloadFormatVersion: \"2.0\", Identity: {ReauthorizeEvery: 60}}",
    );
    assert!(
        err.contains("caches its results (ReauthorizeEvery 60) but has no identity source"),
        "{err}"
    );
}

#[test]
fn openapi_definitions_of_http_apis() {
    let m = load_ok(&format!(
        r#"
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: "3.0.1"
        x-amazon-apigateway-cors: {{allowOrigins: ["*"], maxAge: 5}}
        security: [{{Nope: []}}]
        paths:
          /$default:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration: {{type: aws_proxy, uri: !GetAtt Fn.Arn, payloadFormatVersion: 1.0}}
          /items:
            get:
              x-amazon-apigateway-integration: {{type: AWS_PROXY, uri: !GetAtt Fn.Arn, payloadFormatVersion: "2.0", timeoutInMillis: 30000}}
{FN}"#
    ));
    let api = &m.apis[0];
    let cors = api.flavor.cors().expect("cors");
    assert_eq!(
        (cors.allow_origins.as_slice(), cors.max_age),
        (&["*".to_owned()][..], Some(5))
    );
    assert_eq!(api.routes[0].key, RouteKey::Default);
    assert_eq!(
        api.routes[0].integration.payload(),
        Some(PayloadVersion::V1)
    );
    assert_eq!(api.routes[1].key.to_string(), "GET /items");
    assert_eq!(api.routes[1].integration.timeout(), Duration::from_secs(30));
    assert!(
        warnings(&m)
            .iter()
            .any(|w| w.contains("HTTP APIs ignore a root-level security requirement")),
        "{:?}",
        warnings(&m)
    );

    let def = |body: &str| {
        load_err(&format!(
            "Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionBody: {body}\n{FN}"
        ))
    };
    let err = def("{swagger: \"2.0\", paths: {}}");
    assert!(
        err.contains("HTTP APIs import OpenAPI 3.0 definitions only"),
        "{err}"
    );
    let err = def(
        "{openapi: 3.0.1, paths: {/a: {get: {x-amazon-apigateway-integration: {type: aws_proxy, uri: !GetAtt Fn.Arn}}}}}",
    );
    assert!(err.contains("has no payloadFormatVersion"), "{err}");
    // A JWT authorizer, and the scopes of the operation's security requirement.
    let m = load_ok(&format!(
        "Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      DefinitionBody: {{openapi: 3.0.1, components: {{securitySchemes: {{J: {{type: oauth2, x-amazon-apigateway-authorizer: {{type: jwt, jwtConfiguration: {{issuer: \"https://i\", audience: [app]}}, identitySource: $request.header.Authorization}}}}}}}}, paths: {{/a: {{get: {{security: [{{J: [read]}}], x-amazon-apigateway-integration: {{type: aws_proxy, uri: !GetAtt Fn.Arn, payloadFormatVersion: \"2.0\"}}}}}}}}}}\n{FN}"
    ));
    let api = &m.apis[0];
    assert_eq!(
        api.authorizers["J"].kind,
        AuthorizerKind::Jwt {
            issuer: "https://i".into(),
            audience: vec!["app".into()],
            identity_source: IdentitySource::Header("Authorization".into()),
        }
    );
    assert_eq!(api.routes[0].authorizer.as_deref(), Some("J"));
    assert_eq!(api.routes[0].scopes, ["read"]);
    let err = def(
        "{openapi: 3.0.1, components: {securitySchemes: {J: {type: oauth2, x-amazon-apigateway-authorizer: {type: jwt, jwtConfiguration: {issuer: \"accounts.google.com\"}, identitySource: $request.header.Authorization}}}}, paths: {/a: {get: {security: [{J: []}], x-amazon-apigateway-integration: {type: aws_proxy, uri: !GetAtt Fn.Arn, payloadFormatVersion: \"2.0\"}}}}}",
    );
    assert!(err.contains("must be a full https:// URL"), "{err}");
    let err = def(
        "{openapi: 3.0.1, paths: {/$default: {get: {x-amazon-apigateway-integration: {type: aws_proxy, uri: !GetAtt Fn.Arn, payloadFormatVersion: \"2.0\"}}}}}",
    );
    assert!(
        err.contains("the $default route takes every method"),
        "{err}"
    );
}

#[test]
fn cloudformation_http_apis_refuse_what_would_open_or_lose_a_route() {
    let cfn = |extra: &str| {
        format!(
            "Resources:\n  Api: {{Type: AWS::ApiGatewayV2::Api, Properties: {{Name: a, ProtocolType: HTTP}}}}\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {{Code: src, Handler: app.handler, Runtime: python3.12}}\n  Int: {{Type: AWS::ApiGatewayV2::Integration, Properties: {{ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: \"2.0\"}}}}\n{extra}"
        )
    };
    let m = load_ok(&cfn(
        "  R: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: GET /x, Target: !Join [/, [integrations, !Ref Int]]}}\n",
    ));
    assert_eq!(m.apis[0].routes[0].key.to_string(), "GET /x");
    assert!(
        warnings(&m)
            .iter()
            .any(|w| w.contains("has no AWS::ApiGatewayV2::Stage")),
        "{:?}",
        warnings(&m)
    );
    let err = load_err(&cfn(
        "  R: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: GET /x, AuthorizationType: JWT, Target: !Join [/, [integrations, !Ref Int]]}}\n",
    ));
    assert!(
        err.contains("route GET /x has AuthorizationType JWT but no AuthorizerId"),
        "{err}"
    );
    let err = load_err(&cfn(
        "  R: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: GET /x, AuthorizationType: CUSTOM, Target: !Join [/, [integrations, !Ref Int]]}}\n",
    ));
    assert!(
        err.contains("AuthorizationType CUSTOM but no AuthorizerId"),
        "{err}"
    );
    let err = load_err(&cfn(
        "  R: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: \"GET x\", Target: !Join [/, [integrations, !Ref Int]]}}\n",
    ));
    assert!(err.contains("route paths must start with '/'"), "{err}");
    let err = load_err(&cfn(
        "  R: {Type: AWS::ApiGatewayV2::Route, Properties: {ApiId: !Ref Api, RouteKey: GET /x, Target: integrations/Missing}}\n",
    ));
    assert!(
        err.contains("Target names \"Missing\", which is no AWS::ApiGatewayV2::Integration"),
        "{err}"
    );
}
