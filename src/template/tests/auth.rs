//! SAM `Auth` (authorizers, default authorizer, per-event auth) and `GatewayResponses`.

use std::time::Duration;

use crate::model::{Api, Authorizer, AuthorizerKind, GatewayResponseSpec, IdentitySource};

use super::{load_err, load_ok, warnings};

/// Two authorizer functions (one with a `FunctionName`), an app function with four routes on
/// `Api`, whose `Auth` replaces `AUTH`.
fn template(auth: &str) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src
    Runtime: python3.12
    Handler: app.handler
Resources:
  App:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Default: {{Type: Api, Properties: {{Path: /default, Method: get, RestApiId: !Ref Api}}}}
        Open: {{Type: Api, Properties: {{Path: /open, Method: get, RestApiId: !Ref Api, Auth: {{Authorizer: NONE}}}}}}
        Named: {{Type: Api, Properties: {{Path: /named, Method: post, RestApiId: !Ref Api, Auth: {{Authorizer: Req}}}}}}
        Preflight: {{Type: Api, Properties: {{Path: /default, Method: options, RestApiId: !Ref Api}}}}
  TokenFn:
    Type: AWS::Serverless::Function
  RequestFn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: request-authorizer
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Auth:
{auth}
"#
    )
}

/// `Auth` with a TOKEN authorizer `Tok` (the default) and a REQUEST authorizer `Req`;
/// `TOK_EXTRA` lines go under `Tok`.
fn two_authorizers(tok_extra: &str) -> String {
    template(&format!(
        r#"        DefaultAuthorizer: Tok
        Authorizers:
          Tok:
            FunctionArn: !GetAtt TokenFn.Arn
{tok_extra}
          Req:
            FunctionArn: arn:aws:lambda:eu-west-1:123456789012:function:request-authorizer
            FunctionPayloadType: REQUEST
            Identity:
              Context: [httpMethod]
              StageVariables: [stage]
              QueryStrings: [token]
              Headers: [X-User, X-Tenant]
              ReauthorizeEvery: 0"#
    ))
}

fn api(m: &crate::model::Model) -> &Api {
    m.apis
        .iter()
        .find(|a| a.logical_id == "Api")
        .expect("the template declares Api")
}

/// `METHOD path -> authorizer` of every route.
fn bindings(api: &Api) -> Vec<String> {
    api.routes
        .iter()
        .map(|r| {
            format!(
                "{} {} -> {}",
                r.method().unwrap(),
                r.resource(),
                r.authorizer.as_deref().unwrap_or("open")
            )
        })
        .collect()
}

#[test]
fn token_and_request_authorizers_with_every_identity_field() {
    let m = load_ok(&two_authorizers(
        r#"            Identity:
              Header: X-Token
              ValidationExpression: "^Bearer [A-Za-z0-9.]+$"
              ReauthorizeEvery: 60
            FunctionInvokeRole: arn:aws:iam::123456789012:role/invoke"#,
    ));
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let api = api(&m);
    assert_eq!(
        api.authorizers["Tok"],
        Authorizer {
            name: "Tok".to_owned(),
            function: Some("TokenFn".to_owned()),
            kind: AuthorizerKind::Token {
                header: "X-Token".to_owned(),
                validation_expression: Some("^Bearer [A-Za-z0-9.]+$".to_owned()),
            },
            ttl: Duration::from_secs(60),
            source: "Resources.Api.Properties.Auth.Authorizers.Tok".to_owned(),
        }
    );
    assert_eq!(
        api.authorizers["Req"],
        Authorizer {
            name: "Req".to_owned(),
            function: Some("RequestFn".to_owned()),
            kind: AuthorizerKind::rest_request(
                // Declaration order is Headers, QueryStrings, StageVariables, Context, whatever
                // order the template writes them in.
                vec![
                    IdentitySource::Header("X-User".to_owned()),
                    IdentitySource::Header("X-Tenant".to_owned()),
                    IdentitySource::Query("token".to_owned()),
                    IdentitySource::StageVariable("stage".to_owned()),
                    IdentitySource::Context("httpMethod".to_owned()),
                ]
            ),
            ttl: Duration::ZERO,
            source: "Resources.Api.Properties.Auth.Authorizers.Req".to_owned(),
        }
    );
    assert_eq!(api.authorizers.keys().collect::<Vec<_>>(), ["Tok", "Req"]);
}

#[test]
fn default_authorizer_none_and_per_event_authorizer() {
    let m = load_ok(&two_authorizers(""));
    let api = api(&m);
    assert_eq!(
        bindings(api),
        [
            "GET /default -> Tok",
            "GET /open -> open",
            "POST /named -> Req",
            // AddDefaultAuthorizerToCorsPreflight defaults to true, as in SAM.
            "OPTIONS /default -> Tok",
        ]
    );
    let tok = &api.authorizers["Tok"];
    assert_eq!(
        tok.kind,
        AuthorizerKind::Token {
            header: "Authorization".to_owned(),
            validation_expression: None,
        }
    );
    assert_eq!(tok.ttl, Duration::from_secs(300));
}

#[test]
fn preflight_is_open_when_add_default_authorizer_to_cors_preflight_is_false() {
    let text = two_authorizers("").replace(
        "        DefaultAuthorizer: Tok\n",
        "        DefaultAuthorizer: Tok\n        AddDefaultAuthorizerToCorsPreflight: false\n",
    );
    let m = load_ok(&text);
    assert_eq!(
        bindings(api(&m)),
        [
            "GET /default -> Tok",
            "GET /open -> open",
            "POST /named -> Req",
            "OPTIONS /default -> open",
        ]
    );
}

#[test]
fn no_default_authorizer_leaves_other_routes_open() {
    let text = two_authorizers("").replace("        DefaultAuthorizer: Tok\n", "");
    let m = load_ok(&text);
    assert_eq!(
        bindings(api(&m)),
        [
            "GET /default -> open",
            "GET /open -> open",
            "POST /named -> Req",
            "OPTIONS /default -> open",
        ]
    );
    // Declared but unused authorizers are kept.
    assert!(api(&m).authorizers.contains_key("Tok"));
}

#[test]
fn reauthorize_every_bounds() {
    for (value, expected) in [("0", Some(0)), ("3600", Some(3600)), ("\"45\"", Some(45))] {
        let text = two_authorizers(&format!(
            "            Identity: {{ReauthorizeEvery: {value}}}"
        ));
        let m = load_ok(&text);
        assert_eq!(
            api(&m).authorizers["Tok"].ttl,
            Duration::from_secs(expected.unwrap_or_default())
        );
    }
    let text = two_authorizers("            Identity: {ReauthorizeEvery: 3601}");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.Api.Properties.Auth.Authorizers.Tok.Identity.ReauthorizeEvery: ReauthorizeEvery must be between 0 and 3600 seconds, got 3601"
    );
}

#[test]
fn invalid_validation_expression_is_an_error_quoting_it() {
    let text = two_authorizers("            Identity: {ValidationExpression: \"^Bearer (\"}");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.Api.Properties.Auth.Authorizers.Tok.Identity.ValidationExpression: ValidationExpression \"^Bearer (\" is not a valid regular expression: unclosed group"
    );
}

#[test]
fn function_arn_by_get_att_plain_arn_name_and_logical_id() {
    for (given, expected) in [
        ("!GetAtt RequestFn.Arn", "RequestFn"),
        (
            "arn:aws:lambda:us-east-1:999999999999:function:request-authorizer",
            "RequestFn",
        ),
        (
            "arn:aws:lambda:eu-west-1:123456789012:function:request-authorizer:live",
            "RequestFn",
        ),
        ("request-authorizer", "RequestFn"),
        ("!Ref RequestFn", "RequestFn"),
        ("TokenFn", "TokenFn"),
        ("RequestFn", "RequestFn"),
    ] {
        let text = two_authorizers("").replace(
            "FunctionArn: !GetAtt TokenFn.Arn",
            &format!("FunctionArn: {given}"),
        );
        let m = load_ok(&text);
        assert_eq!(
            api(&m).authorizers["Tok"].function.as_deref(),
            Some(expected),
            "{given}"
        );
    }
}

#[test]
fn missing_authorizer_function_is_an_error_naming_the_authorizer() {
    for given in [
        "arn:aws:lambda:eu-west-1:123456789012:function:elsewhere",
        "NoSuchFunction",
        "arn:aws:s3:::bucket",
    ] {
        let text = two_authorizers("").replace(
            "FunctionArn: !GetAtt TokenFn.Arn",
            &format!("FunctionArn: {given}"),
        );
        assert_eq!(
            load_err(&text),
            format!(
                "template.yaml: Resources.Api.Properties.Auth.Authorizers.Tok.FunctionArn: authorizer Tok: no function of this template matches {given:?}, so the routes it guards cannot be authorized (use !GetAtt AuthFunction.Arn)"
            )
        );
    }
    let text = two_authorizers("").replace(
        "            FunctionArn: !GetAtt TokenFn.Arn\n",
        "            FunctionPayloadType: TOKEN\n",
    );
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.Api.Properties.Auth.Authorizers.Tok: authorizer Tok has no FunctionArn (e.g. FunctionArn: !GetAtt AuthFunction.Arn)"
    );
}

#[test]
fn cognito_authorizers_take_their_pools_issuers_and_scopes() {
    // One pool by ARN, one declared in the template; the authorizer's scopes apply to the
    // routes that set none, an event's own scopes win.
    let text = template(
        r#"        DefaultAuthorizer: Pool
        Authorizers:
          Pool:
            UserPoolArn:
              - arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc
              - !GetAtt UserPool.Arn
            AuthorizationScopes: [api/read]
            Identity: {Header: X-Token, ValidationExpression: "^client-[0-9]+$"}
  UserPool:
    Type: AWS::Cognito::UserPool"#,
    )
    .replace(
        "Auth: {Authorizer: Req}",
        "Auth: {Authorizer: Pool, AuthorizationScopes: [api/write]}",
    );
    let m = load_ok(&text);
    assert_eq!(
        warnings(&m),
        [
            "Resources.UserPool: user pool UserPool is not emulated (no sign-in, no tokens); authorizers check its issuer https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_UserPool: sign tokens with `glassgate token --issuer https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_UserPool` and serve with --trust-dev-issuer https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_UserPool, or give its keys with --jwks https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_UserPool=PATH_OR_URL"
        ]
    );
    let a = &api(&m).authorizers["Pool"];
    assert_eq!(a.function, None);
    assert_eq!(
        a.kind,
        AuthorizerKind::CognitoUserPools {
            issuers: vec![
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc".into(),
                // A template's pool gets the id {region}_{logical id}.
                "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_UserPool".into(),
            ],
            header: "X-Token".into(),
            validation_expression: Some("^client-[0-9]+$".into()),
        }
    );
    let scopes: Vec<(String, Vec<String>)> = api(&m)
        .routes
        .iter()
        .map(|r| (r.key.to_string(), r.scopes.clone()))
        .collect();
    assert_eq!(
        scopes,
        [
            ("GET /default".to_owned(), vec!["api/read".to_owned()]),
            ("GET /open".to_owned(), vec![]),
            ("POST /named".to_owned(), vec!["api/write".to_owned()]),
            ("OPTIONS /default".to_owned(), vec!["api/read".to_owned()]),
        ]
    );
}

#[test]
fn a_cognito_authorizer_without_a_pool_arn_is_an_error() {
    let text = template(
        r#"        DefaultAuthorizer: Pool
        Authorizers:
          Pool:
            UserPoolArn: my-pool"#,
    )
    .replace(", Auth: {Authorizer: Req}", "");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.Api.Properties.Auth.Authorizers.Pool.UserPoolArn: \"my-pool\" is not a Cognito user pool ARN (arn:aws:cognito-idp:REGION:ACCOUNT:userpool/POOL_ID, or !GetAtt Pool.Arn of an AWS::Cognito::UserPool in this template)"
    );
    let text = template(
        r#"        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            JwtConfiguration: {issuer: "https://example.com/", audience: [a]}"#,
    )
    .replace(", Auth: {Authorizer: Req}", "");
    assert!(
        load_err(&text).contains("has a JwtConfiguration, which only HTTP APIs"),
        "{}",
        load_err(&text)
    );
}

#[test]
fn default_authorizer_and_event_authorizer_must_exist() {
    let text = two_authorizers("").replace("DefaultAuthorizer: Tok", "DefaultAuthorizer: Nope");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.Api.Properties.Auth.DefaultAuthorizer: DefaultAuthorizer Nope names no authorizer of API Api (it declares Tok, Req, under Auth.Authorizers)"
    );
    let text = two_authorizers("").replace("Authorizer: Req}", "Authorizer: Missing}");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.App.Properties.Events.Named.Properties.Auth.Authorizer: authorizer Missing is not an authorizer of API Api (it declares Tok, Req)"
    );
}

#[test]
fn request_authorizer_needs_identity_sources_while_caching() {
    let text = two_authorizers("").replace(
        r#"            Identity:
              Context: [httpMethod]
              StageVariables: [stage]
              QueryStrings: [token]
              Headers: [X-User, X-Tenant]
              ReauthorizeEvery: 0"#,
        "",
    );
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.Api.Properties.Auth.Authorizers.Req: REQUEST authorizer Req needs an Identity with at least one of Headers, QueryStrings, StageVariables or Context while its results are cached; add one, or set ReauthorizeEvery: 0"
    );
}

#[test]
fn not_emulated_auth_properties_warn() {
    let text = template(
        r#"        ApiKeyRequired: true
        UsagePlan: {CreateUsagePlan: PER_API}
        InvokeRole: CALLER_CREDENTIALS
        ResourcePolicy: {IpRangeBlacklist: [10.0.0.0/8]}
        Authorizers:
          Req:
            FunctionArn: !GetAtt RequestFn.Arn
            FunctionPayloadType: REQUEST
            Identity: {Headers: [X], Header: Y}"#,
    )
    .replace(
        "Auth: {Authorizer: Req}",
        "Auth: {Authorizer: Req, AuthorizationScopes: [a], ApiKeyRequired: true, InvokeRole: NONE, ResourcePolicy: {}}",
    );
    let m = load_ok(&text);
    assert_eq!(
        warnings(&m),
        [
            "Resources.App.Properties.Events.Named.Properties.Auth.ApiKeyRequired: ApiKeyRequired is not emulated; requests are served without checking an API key",
            "Resources.App.Properties.Events.Named.Properties.Auth.InvokeRole: InvokeRole is not emulated; functions are invoked with the local credentials",
            "Resources.App.Properties.Events.Named.Properties.Auth.ResourcePolicy: ResourcePolicy is not emulated; requests are not checked against it",
            "Resources.Api.Properties.Auth.ApiKeyRequired: ApiKeyRequired is not emulated; requests are served without checking an API key",
            "Resources.Api.Properties.Auth.UsagePlan: UsagePlan is not emulated; requests are not throttled or counted",
            "Resources.Api.Properties.Auth.InvokeRole: InvokeRole is not emulated; functions are invoked with the local credentials",
            "Resources.Api.Properties.Auth.ResourcePolicy: ResourcePolicy is not emulated; requests are not checked against it",
            "Resources.Api.Properties.Auth.Authorizers.Req.Identity.Header: Identity.Header applies to TOKEN authorizers only; authorizer Req is not one, so it is ignored",
            "Resources.App.Properties.Events.Named: route POST /named has AuthorizationScopes but its authorizer Req is a Lambda authorizer; API Gateway checks scopes only with Cognito and JWT authorizers, so they are ignored",
        ]
    );
    assert_eq!(
        bindings(api(&m)),
        [
            "GET /default -> open",
            "GET /open -> open",
            "POST /named -> Req",
            "OPTIONS /default -> open",
        ]
    );
}

#[test]
fn aws_iam_guards_an_event_or_every_route_by_default() {
    let text = two_authorizers("").replace("Authorizer: Req}", "Authorizer: AWS_IAM}");
    let m = load_ok(&text);
    let a = api(&m);
    assert_eq!(
        bindings(a),
        [
            "GET /default -> Tok",
            "GET /open -> open",
            "POST /named -> AWS_IAM",
            "OPTIONS /default -> Tok",
        ]
    );
    assert_eq!(a.authorizers["AWS_IAM"].kind, AuthorizerKind::Iam);
    assert_eq!(a.authorizers["AWS_IAM"].function, None);
    let text =
        template("        DefaultAuthorizer: AWS_IAM").replace(", Auth: {Authorizer: Req}", "");
    let m = load_ok(&text);
    assert_eq!(
        bindings(api(&m)),
        [
            "GET /default -> AWS_IAM",
            "GET /open -> open",
            "POST /named -> AWS_IAM",
            "OPTIONS /default -> AWS_IAM",
        ]
    );
}

#[test]
fn globals_api_auth_applies_to_the_implicit_api() {
    let m = load_ok(
        r#"
Globals:
  Api:
    Auth:
      DefaultAuthorizer: Tok
      Authorizers:
        Tok: {FunctionArn: !GetAtt AuthFn.Arn}
    GatewayResponses:
      UNAUTHORIZED:
        StatusCode: 401
        ResponseParameters: {Headers: {WWW-Authenticate: "'Bearer'"}}
Resources:
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: auth.handler, Runtime: python3.12}
  App:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Events:
        Private: {Type: Api, Properties: {Path: /private, Method: get}}
        Public: {Type: Api, Properties: {Path: /public, Method: get, Auth: {Authorizer: NONE}}}
"#,
    );
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let api = &m.apis[0];
    assert_eq!(api.logical_id, "ServerlessRestApi");
    assert_eq!(
        bindings(api),
        ["GET /private -> Tok", "GET /public -> open"]
    );
    assert_eq!(api.authorizers["Tok"].function.as_deref(), Some("AuthFn"));
    assert_eq!(
        api.authorizers["Tok"].source,
        "Globals.Api.Auth.Authorizers.Tok"
    );
    assert_eq!(
        api.gateway_responses().unwrap()["UNAUTHORIZED"].status,
        Some(401)
    );
}

#[test]
fn implicit_api_without_auth_rejects_named_authorizers() {
    let text = r#"
Resources:
  App:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get: {Type: Api, Properties: {Path: /, Method: get, Auth: {Authorizer: Tok}}}
"#;
    assert_eq!(
        load_err(text),
        "template.yaml: Resources.App.Properties.Events.Get.Properties.Auth.Authorizer: authorizer Tok is not an authorizer of API ServerlessRestApi (it declares no authorizers)"
    );
}

#[test]
fn globals_and_own_auth_merge_by_authorizer_name() {
    let text = template(
        r#"        Authorizers:
          Req:
            FunctionArn: !GetAtt RequestFn.Arn
            FunctionPayloadType: REQUEST
            Identity: {Headers: [Own]}"#,
    )
    .replace(
        "Resources:\n",
        r#"  Api:
    Auth:
      DefaultAuthorizer: Tok
      Authorizers:
        Tok: {FunctionArn: !GetAtt TokenFn.Arn}
        Req: {FunctionArn: !GetAtt TokenFn.Arn}
Resources:
"#,
    );
    let m = load_ok(&text);
    let api = api(&m);
    assert_eq!(api.authorizers.keys().collect::<Vec<_>>(), ["Tok", "Req"]);
    assert_eq!(
        api.authorizers["Req"].function.as_deref(),
        Some("RequestFn")
    );
    assert_eq!(bindings(api)[0], "GET /default -> Tok");
}

#[test]
fn gateway_responses_are_parsed() {
    let text = template("        {}")
        .replace(", Auth: {Authorizer: Req}", "")
        .replace(
            "      Auth:\n        {}\n",
            r#"      GatewayResponses:
        DEFAULT_4XX:
          ResponseParameters:
            Headers:
              Access-Control-Allow-Origin: "'*'"
              X-Request-Header: method.request.header.X-Trace
        UNAUTHORIZED:
          StatusCode: "403"
          ResponseTemplates:
            application/json: '{"error": $context.error.messageString}'
          ResponseParameters:
            Paths: {p: "'x'"}
"#,
        );
    let m = load_ok(&text);
    let api = api(&m);
    assert_eq!(
        api.gateway_responses().unwrap().keys().collect::<Vec<_>>(),
        ["DEFAULT_4XX", "UNAUTHORIZED"]
    );
    let mut headers = indexmap::IndexMap::new();
    headers.insert("Access-Control-Allow-Origin".to_owned(), "'*'".to_owned());
    headers.insert(
        "X-Request-Header".to_owned(),
        "method.request.header.X-Trace".to_owned(),
    );
    assert_eq!(
        api.gateway_responses().unwrap()["DEFAULT_4XX"],
        GatewayResponseSpec {
            status: None,
            headers,
            templates: indexmap::IndexMap::new(),
        }
    );
    let mut templates = indexmap::IndexMap::new();
    templates.insert(
        "application/json".to_owned(),
        r#"{"error": $context.error.messageString}"#.to_owned(),
    );
    assert_eq!(
        api.gateway_responses().unwrap()["UNAUTHORIZED"],
        GatewayResponseSpec {
            status: Some(403),
            headers: indexmap::IndexMap::new(),
            templates,
        }
    );
    assert_eq!(
        warnings(&m),
        [
            "Resources.Api.Properties.GatewayResponses.UNAUTHORIZED.ResponseParameters.Paths: Paths parameters of gateway responses are not emulated; only Headers are applied"
        ]
    );
}

#[test]
fn gateway_response_errors() {
    let text = template("        {}")
        .replace(", Auth: {Authorizer: Req}", "")
        .replace(
            "      Auth:\n        {}\n",
            r#"      GatewayResponses:
        NOT_A_TYPE: {StatusCode: 401}
        DEFAULT_5XX: {StatusCode: 600}
        ACCESS_DENIED: {ResponseParameters: {Headers: {X-Static: "*"}}}
"#,
        );
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.Api.Properties.GatewayResponses.NOT_A_TYPE: unknown gateway response type \"NOT_A_TYPE\"; expected one of ACCESS_DENIED, API_CONFIGURATION_ERROR, AUTHORIZER_CONFIGURATION_ERROR, AUTHORIZER_FAILURE, BAD_REQUEST_PARAMETERS, BAD_REQUEST_BODY, DEFAULT_4XX, DEFAULT_5XX, EXPIRED_TOKEN, INTEGRATION_FAILURE, INTEGRATION_TIMEOUT, INVALID_API_KEY, INVALID_SIGNATURE, MISSING_AUTHENTICATION_TOKEN, QUOTA_EXCEEDED, REQUEST_TOO_LARGE, RESOURCE_NOT_FOUND, THROTTLED, UNAUTHORIZED, UNSUPPORTED_MEDIA_TYPE, WAF_FILTERED\n\
         template.yaml: Resources.Api.Properties.GatewayResponses.DEFAULT_5XX.StatusCode: StatusCode must be between 100 and 599, got 600\n\
         template.yaml: Resources.Api.Properties.GatewayResponses.ACCESS_DENIED.ResponseParameters.Headers.X-Static: header value \"*\" is neither a quoted static value nor a mapping expression; API Gateway refuses it (write \"'*'\" for a static value, or method.request.header.NAME)"
    );
}

#[test]
fn malformed_shapes_are_reported_not_panics() {
    for auth in [
        "        Authorizers: [Tok]",
        "        Authorizers: {Tok: 5}",
        "        Authorizers: {Tok: {FunctionArn: [a]}}",
        "        Authorizers: {Tok: {FunctionArn: TokenFn, Identity: 5}}",
        "        Authorizers: {Tok: {FunctionArn: TokenFn, FunctionPayloadType: REQUEST, Identity: {Headers: X}}}",
        "        Authorizers: {Tok: {FunctionArn: TokenFn, FunctionPayloadType: REQUEST, Identity: {Headers: [\"\"]}}}",
        "        Authorizers: {Tok: {FunctionArn: TokenFn, FunctionPayloadType: JWT}}",
        "        Authorizers: {Tok: {FunctionArn: TokenFn, Identity: {Header: \"two words\"}}}",
        "        AddDefaultAuthorizerToCorsPreflight: maybe",
        "        DefaultAuthorizer: [Tok]",
    ] {
        let text = template(auth).replace(", Auth: {Authorizer: Req}", "");
        let message = load_err(&text);
        assert!(
            message.starts_with("template.yaml: Resources.Api.Properties.Auth"),
            "{auth}: {message}"
        );
    }
    let text =
        template("        {}").replace("Auth: {Authorizer: Req}", "Auth: {Authorizer: [Req]}");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.App.Properties.Events.Named.Properties.Auth.Authorizer: expected a string, got a list"
    );
    let text = template("        {}")
        .replace(", Auth: {Authorizer: Req}", "")
        .replace("      Auth:\n        {}\n", "      GatewayResponses: [x]\n");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.Api.Properties.GatewayResponses: expected a mapping, got a list"
    );
}
