//! OpenAPI definitions: SAM `DefinitionBody` / `DefinitionUri` (and `AWS::Include`), the
//! `Body` / `BodyS3Location` of `AWS::ApiGateway::RestApi`, and API Gateway's extensions.

use std::time::Duration;

use indexmap::IndexMap;

use crate::model::{Api, Authorizer, AuthorizerKind, GatewayResponseSpec, IdentitySource, Model};
use crate::template::{TemplateError, load_str};

use super::project_dir as dir;
use super::{opts, warnings};

fn write(name: &str, text: &str) {
    std::fs::write(dir().join(name), text).expect("write a definition file");
}

fn try_load(text: &str) -> Result<Model, TemplateError> {
    load_str(text, &dir().join("template.yaml"), &opts())
}

#[track_caller]
fn load_ok(text: &str) -> Model {
    match try_load(text) {
        Ok(m) => m,
        Err(e) => panic!("expected the template to load, got:\n{e}"),
    }
}

/// Every error, one per line, with the folder replaced by `DIR`.
#[track_caller]
fn load_err(text: &str) -> String {
    match try_load(text) {
        Ok(m) => panic!("expected an error, got a model: {m:#?}"),
        Err(e) => e.to_string().replace(&dir().display().to_string(), "DIR"),
    }
}

fn api<'m>(m: &'m Model, logical: &str) -> &'m Api {
    m.apis
        .iter()
        .find(|a| a.logical_id == logical)
        .expect("the template declares the API")
}

use super::rest_route as route;

const LAMBDA_URI: &str = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:pets/invocations";

/// Functions `PetsFn` (named `pets`), `AuthFn`, then `Api` with the given properties.
fn sam_template(api_props: &str) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {{CodeUri: src, Runtime: python3.12, Handler: app.handler}}
Resources:
  PetsFn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: pets
  AuthFn:
    Type: AWS::Serverless::Function
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
{api_props}
"#
    )
}

const SWAGGER: &str = r#"      DefinitionBody:
        swagger: "2.0"
        info: {title: pets, version: "1"}
        basePath: /v1
        security:
          - Tok: []
        securityDefinitions:
          Tok:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: custom
            x-amazon-apigateway-authorizer:
              type: token
              authorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}/invocations
              identityValidationExpression: "^Bearer .+$"
              authorizerResultTtlInSeconds: 60
          Req:
            type: apiKey
            name: Unused
            in: header
            x-amazon-apigateway-authtype: custom
            x-amazon-apigateway-authorizer:
              type: REQUEST
              authorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}/invocations
              identitySource: "method.request.header.X-User, method.request.querystring.tenant"
          api_key:
            type: apiKey
            name: x-api-key
            in: header
        x-amazon-apigateway-gateway-responses:
          UNAUTHORIZED:
            statusCode: 401
            responseParameters:
              gatewayresponse.header.WWW-Authenticate: "'Bearer'"
              gatewayresponse.header.X-Request: method.request.header.X-Request
            responseTemplates:
              application/json: '{"message": $context.error.messageString}'
          DEFAULT_4XX:
            statusCode: "400"
        paths:
          /pets:
            get:
              security:
                - Req: []
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${PetsFn.Arn}/invocations
                timeoutInMillis: 5000
          /pets/{id}:
            parameters:
              - {name: id, in: path, required: true, type: string}
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: AWS_PROXY
                httpMethod: post
                uri: LAMBDA_URI
          /open:
            get:
              security: []
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: LAMBDA_URI
          /keyed:
            delete:
              security:
                - api_key: []
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: LAMBDA_URI"#;

fn swagger() -> String {
    sam_template(&SWAGGER.replace("LAMBDA_URI", LAMBDA_URI))
}

const BODY: &str = "Resources.Api.Properties.DefinitionBody";

#[test]
fn swagger_2_inline_definition() {
    let m = load_ok(&swagger());
    let a = api(&m, "Api");
    assert_eq!(
        a.routes,
        [
            route(
                "GET",
                "/pets",
                "PetsFn",
                5000,
                &format!("{BODY}.paths./pets.get"),
                Some("Req")
            ),
            route(
                "ANY",
                "/pets/{id}",
                "PetsFn",
                29_000,
                &format!("{BODY}.paths./pets/{{id}}.x-amazon-apigateway-any-method"),
                Some("Tok"),
            ),
            route(
                "GET",
                "/open",
                "PetsFn",
                29_000,
                &format!("{BODY}.paths./open.get"),
                None
            ),
            route(
                "DELETE",
                "/keyed",
                "PetsFn",
                29_000,
                &format!("{BODY}.paths./keyed.delete"),
                None
            ),
        ]
    );
    assert_eq!(
        a.authorizers.get("Tok"),
        Some(&Authorizer {
            name: "Tok".to_owned(),
            function: Some("AuthFn".to_owned()),
            kind: AuthorizerKind::Token {
                header: "Authorization".to_owned(),
                validation_expression: Some("^Bearer .+$".to_owned()),
            },
            ttl: Duration::from_secs(60),
            source: format!("{BODY}.securityDefinitions.Tok"),
        })
    );
    assert_eq!(
        a.authorizers.get("Req"),
        Some(&Authorizer {
            name: "Req".to_owned(),
            function: Some("AuthFn".to_owned()),
            kind: AuthorizerKind::rest_request(vec![
                IdentitySource::Header("X-User".to_owned()),
                IdentitySource::Query("tenant".to_owned()),
            ]),
            ttl: Duration::from_secs(300),
            source: format!("{BODY}.securityDefinitions.Req"),
        })
    );
    assert_eq!(a.authorizers.len(), 2);
    let mut unauthorized = GatewayResponseSpec {
        status: Some(401),
        ..GatewayResponseSpec::default()
    };
    unauthorized
        .headers
        .insert("WWW-Authenticate".to_owned(), "'Bearer'".to_owned());
    unauthorized.headers.insert(
        "X-Request".to_owned(),
        "method.request.header.X-Request".to_owned(),
    );
    unauthorized.templates.insert(
        "application/json".to_owned(),
        r#"{"message": $context.error.messageString}"#.to_owned(),
    );
    let mut expected = IndexMap::new();
    expected.insert("UNAUTHORIZED".to_owned(), unauthorized);
    expected.insert(
        "DEFAULT_4XX".to_owned(),
        GatewayResponseSpec {
            status: Some(400),
            ..GatewayResponseSpec::default()
        },
    );
    assert_eq!(a.gateway_responses(), Some(&expected));
    assert_eq!(
        warnings(&m),
        [format!(
            "{BODY}.securityDefinitions.api_key: security scheme api_key is an API key; API keys are not emulated, so requests are served without checking one"
        )]
    );
}

const OPENAPI_3: &str = r#"      DefinitionBody:
        openapi: 3.0.1
        servers:
          - url: https://example.com/{basePath}
            variables: {basePath: {default: v1}}
        x-amazon-apigateway-binary-media-types: [image/png]
        x-amazon-apigateway-request-validators:
          all: {validateRequestBody: true, validateRequestParameters: true}
        x-amazon-apigateway-request-validator: all
        x-amazon-apigateway-api-key-source: HEADER
        x-amazon-apigateway-policy: {Version: "2012-10-17", Statement: []}
        x-amazon-apigateway-cors: {allowOrigins: ["*"]}
        components:
          securitySchemes:
            Lambda:
              type: apiKey
              name: X-Token
              in: header
              x-amazon-apigateway-authorizer:
                type: token
                identitySource: method.request.header.X-Auth
                authorizerUri:
                  Fn::Sub: arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}/invocations
                authorizerResultTtlInSeconds: 0
        paths:
          /items/{itemId}:
            post:
              security: [{Lambda: []}]
              x-amazon-apigateway-request-validator: all
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${PetsFn.Arn}/invocations"}
                timeoutInMillis: "12000"
            put:
              x-amazon-apigateway-request-validator: all
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${PetsFn.Arn}/invocations"}
          /{proxy+}:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${PetsFn.Arn}/invocations"}"#;

#[test]
fn openapi_3_inline_definition_and_not_emulated_extensions() {
    let m = load_ok(&sam_template(OPENAPI_3));
    let a = api(&m, "Api");
    assert_eq!(
        a.routes,
        [
            route(
                "POST",
                "/items/{itemId}",
                "PetsFn",
                12_000,
                &format!("{BODY}.paths./items/{{itemId}}.post"),
                Some("Lambda"),
            ),
            route(
                "PUT",
                "/items/{itemId}",
                "PetsFn",
                29_000,
                &format!("{BODY}.paths./items/{{itemId}}.put"),
                None,
            ),
            route(
                "ANY",
                "/{proxy+}",
                "PetsFn",
                29_000,
                &format!("{BODY}.paths./{{proxy+}}.x-amazon-apigateway-any-method"),
                None,
            ),
        ]
    );
    assert_eq!(
        a.authorizers["Lambda"],
        Authorizer {
            name: "Lambda".to_owned(),
            function: Some("AuthFn".to_owned()),
            kind: AuthorizerKind::Token {
                header: "X-Auth".to_owned(),
                validation_expression: None,
            },
            ttl: Duration::ZERO,
            source: format!("{BODY}.components.securitySchemes.Lambda"),
        }
    );
    assert_eq!(
        warnings(&m),
        [
            format!(
                "{BODY}.x-amazon-apigateway-binary-media-types: x-amazon-apigateway-binary-media-types is not emulated; bodies are passed to functions as text"
            ),
            format!(
                "{BODY}.x-amazon-apigateway-request-validators: x-amazon-apigateway-request-validators is not emulated; requests are passed through unchecked"
            ),
            format!(
                "{BODY}.x-amazon-apigateway-request-validator: x-amazon-apigateway-request-validator is not emulated; requests are passed through unchecked"
            ),
            format!(
                "{BODY}.x-amazon-apigateway-api-key-source: x-amazon-apigateway-api-key-source is not emulated; requests are served without checking an API key"
            ),
            format!(
                "{BODY}.x-amazon-apigateway-policy: x-amazon-apigateway-policy is not emulated; requests are not checked against it"
            ),
            format!(
                "{BODY}.x-amazon-apigateway-cors: x-amazon-apigateway-cors is not emulated; no CORS headers or OPTIONS methods are added"
            ),
        ]
    );
}

#[test]
fn definition_uri_file() {
    write(
        "uri-openapi.yaml",
        r#"
openapi: "3.0.1"
paths:
  /pets:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:pets/invocations
        timeoutInMillis: 50
"#,
    );
    write(
        "uri-openapi.json",
        r#"{"swagger": "2.0", "paths": {"/j": {"get": {"x-amazon-apigateway-integration": {
            "type": "aws_proxy", "httpMethod": "POST",
            "uri": {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}/invocations"}}}}}}"#,
    );
    let m = load_ok(&sam_template("      DefinitionUri: uri-openapi.yaml"));
    assert_eq!(
        api(&m, "Api").routes,
        [route(
            "GET",
            "/pets",
            "PetsFn",
            50,
            "Resources.Api.Properties.DefinitionUri.paths./pets.get",
            None,
        )]
    );
    assert!(m.warnings.is_empty(), "{:?}", warnings(&m));

    let m = load_ok(&sam_template("      DefinitionUri: ./uri-openapi.json"));
    assert_eq!(
        api(&m, "Api").routes,
        [route(
            "GET",
            "/j",
            "AuthFn",
            29_000,
            "Resources.Api.Properties.DefinitionUri.paths./j.get",
            None,
        )]
    );
    assert_eq!(
        warnings(&m),
        [
            "Resources.Api.Properties.DefinitionUri: CloudFormation does not evaluate intrinsic functions in a DefinitionUri file (use Fn::Transform with AWS::Include instead); glassgate evaluates them, but a deployment would not"
        ]
    );

    for remote in [
        "      DefinitionUri: s3://bucket/openapi.yaml",
        "      DefinitionUri: {Bucket: bucket, Key: openapi.yaml}",
    ] {
        let m = load_ok(&sam_template(remote));
        assert!(api(&m, "Api").routes.is_empty());
        let w = warnings(&m);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("Resources.Api.Properties.DefinitionUri: the OpenAPI definition")
                && w[0].contains("not local; not imported"),
            "{w:?}"
        );
    }

    let err = load_err(&sam_template("      DefinitionUri: missing.yaml"));
    assert!(
        err.starts_with(
            "DIR/template.yaml: Resources.Api.Properties.DefinitionUri: cannot read the OpenAPI file DIR/missing.yaml: "
        ),
        "{err}"
    );
}

#[test]
fn aws_include_file() {
    write(
        "include-openapi.yaml",
        r#"
swagger: "2.0"
paths:
  /included:
    patch:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${PetsFn.Arn}/invocations
"#,
    );
    let m = load_ok(&sam_template(
        "      DefinitionBody:\n        Fn::Transform:\n          Name: AWS::Include\n          Parameters:\n            Location: ./include-openapi.yaml",
    ));
    assert_eq!(
        api(&m, "Api").routes,
        [route(
            "PATCH",
            "/included",
            "PetsFn",
            29_000,
            &format!("{BODY}.paths./included.patch"),
            None
        )]
    );
    assert!(m.warnings.is_empty(), "{:?}", warnings(&m));

    write("include-broken.yaml", "swagger: '2.0'\npaths: [\n");
    let err = load_err(&sam_template(
        "      DefinitionBody: {'Fn::Transform': {Name: AWS::Include, Parameters: {Location: include-broken.yaml}}}",
    ));
    assert!(
        err.starts_with(
            "DIR/template.yaml: Resources.Api.Properties.DefinitionBody.Fn::Transform: the OpenAPI file DIR/include-broken.yaml: line "
        ),
        "{err}"
    );
}

#[test]
fn events_merge_with_the_definition_and_win_on_conflict() {
    let text = swagger().replace(
        "  PetsFn:\n    Type: AWS::Serverless::Function\n    Properties:\n",
        "  PetsFn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        Get: {Type: Api, Properties: {Path: /pets, Method: get, RestApiId: !Ref Api, Auth: {Authorizer: Tok}}}\n        Extra: {Type: Api, Properties: {Path: /extra, Method: post, RestApiId: !Ref Api, TimeoutInMillis: 1000}}\n",
    );
    let m = load_ok(&text);
    let a = api(&m, "Api");
    let summary: Vec<String> = a
        .routes
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {:?}",
                r.method().unwrap(),
                r.resource(),
                r.source,
                r.authorizer
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            format!(
                "ANY /pets/{{id}} {BODY}.paths./pets/{{id}}.x-amazon-apigateway-any-method Some(\"Tok\")"
            ),
            format!("GET /open {BODY}.paths./open.get None"),
            format!("DELETE /keyed {BODY}.paths./keyed.delete None"),
            "GET /pets Resources.PetsFn.Properties.Events.Get Some(\"Tok\")".to_owned(),
            "POST /extra Resources.PetsFn.Properties.Events.Extra None".to_owned(),
        ]
    );
    assert_eq!(a.routes[3].integration.timeout(), Duration::from_secs(29));
    assert_eq!(a.routes[4].integration.timeout(), Duration::from_secs(1));
    assert_eq!(
        warnings(&m).last().map(String::as_str),
        Some(
            "Resources.Api.Properties.DefinitionBody.paths./pets.get: GET /pets of API Api is also declared at Resources.PetsFn.Properties.Events.Get, which is served instead"
        )
    );
}

#[test]
fn sam_gateway_responses_win_over_the_definition() {
    let text = swagger().replace(
        "      DefinitionBody:\n",
        "      GatewayResponses:\n        UNAUTHORIZED:\n          StatusCode: 403\n      DefinitionBody:\n",
    );
    let m = load_ok(&text);
    let a = api(&m, "Api");
    assert_eq!(
        a.gateway_responses().unwrap()["UNAUTHORIZED"],
        GatewayResponseSpec {
            status: Some(403),
            ..GatewayResponseSpec::default()
        }
    );
    assert_eq!(
        a.gateway_responses().unwrap()["DEFAULT_4XX"].status,
        Some(400)
    );
    assert!(
        warnings(&m).contains(&format!(
            "{BODY}.x-amazon-apigateway-gateway-responses.UNAUTHORIZED: replaced by GatewayResponses.UNAUTHORIZED of the API (SAM writes its GatewayResponses over the definition's)"
        )),
        "{:?}",
        warnings(&m)
    );
}

#[test]
fn sam_default_authorizer_applies_to_the_definition() {
    let text = swagger()
        .replace("        security:\n          - Tok: []\n", "")
        .replace(
            "      DefinitionBody:\n",
            "      Auth:\n        DefaultAuthorizer: Sam\n        Authorizers:\n          Sam: {FunctionArn: !GetAtt AuthFn.Arn}\n      DefinitionBody:\n",
        )
        .replace(
            "          /keyed:\n            delete:\n              security:\n                - api_key: []",
            "          /keyed:\n            delete:\n              security:\n                - NONE: []",
        );
    let m = load_ok(&text);
    let bindings: Vec<String> = api(&m, "Api")
        .routes
        .iter()
        .map(|r| {
            format!(
                "{} {} {:?}",
                r.method().unwrap(),
                r.resource(),
                r.authorizer
            )
        })
        .collect();
    assert_eq!(
        bindings,
        [
            "GET /pets Some(\"Req\")",
            "ANY /pets/{id} Some(\"Sam\")",
            "GET /open Some(\"Sam\")",
            "DELETE /keyed None",
        ]
    );
    assert!(
        warnings(&m).contains(&format!(
            "{BODY}.paths./open.get.security: security: [] does not open an operation of an API with a DefaultAuthorizer: SAM adds the default to it (write security: [{{NONE: []}}] to leave it open)"
        )),
        "{:?}",
        warnings(&m)
    );
}

#[test]
fn mock_and_http_proxy_are_served_and_missing_integrations_are_not() {
    let text = sam_template(
        r#"      DefinitionBody:
        swagger: "2.0"
        paths:
          /mock:
            options:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates: {application/json: '{"statusCode": 200}'}
          /http:
            get:
              x-amazon-apigateway-integration: {type: HTTP_PROXY, httpMethod: GET, uri: "https://example.com"}
          /none:
            get:
              responses: {}"#,
    );
    let m = load_ok(&text);
    let kinds: Vec<String> = api(&m, "Api")
        .routes
        .iter()
        .map(|r| format!("{} {:?}", r.key, r.integration))
        .collect();
    assert_eq!(
        kinds,
        [
            "OPTIONS /mock Mock(Mock { request_templates: [(\"application/json\", \"{\\\"statusCode\\\": 200}\")], responses: [] })",
            "GET /http HttpProxy(HttpProxy { uri: \"https://example.com\", method: Some(\"GET\"), timeout: 29s, request_parameters: [], response_parameters: [] })",
        ]
    );
    assert_eq!(
        warnings(&m),
        [
            format!(
                "{BODY}.paths./mock.options.x-amazon-apigateway-integration: this MOCK integration has no responses, so every request answers 500 (mock-configuration), as on AWS"
            ),
            format!(
                "{BODY}.paths./none.get: GET /none has no x-amazon-apigateway-integration; it is not served"
            ),
        ]
    );
}

#[test]
fn unknown_function_and_unknown_scheme_are_errors_and_a_cognito_scheme_loads() {
    let text = swagger()
        .replace("${PetsFn.Arn}", "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:nope")
        .replace(
            "          api_key:\n            type: apiKey\n            name: x-api-key\n            in: header\n",
            "          Pool:\n            type: apiKey\n            name: Authorization\n            in: header\n            x-amazon-apigateway-authtype: cognito_user_pools\n            x-amazon-apigateway-authorizer:\n              type: cognito_user_pools\n              providerARNs: [arn:aws:cognito-idp:eu-west-1:123456789012:userpool/x]\n",
        )
        .replace("                - api_key: []", "                - Nope: []");
    let err = load_err(&text);
    assert_eq!(
        err,
        [
            format!(
                "DIR/template.yaml: {BODY}.paths./pets.get.x-amazon-apigateway-integration.uri: GET /pets: no function of this template matches \"arn:aws:lambda:eu-west-1:123456789012:function:nope\" (use ${{MyFunction.Arn}} in the uri)"
            ),
            format!(
                "DIR/template.yaml: {BODY}.paths./keyed.delete.security[0].Nope: security scheme Nope is not declared in the definition (it declares Tok, Req, Pool)"
            ),
        ]
        .join("\n")
    );
}

#[test]
fn bad_paths_and_integrations_are_errors() {
    let text = sam_template(
        r#"      DefinitionBody:
        openapi: "3.0.0"
        paths:
          pets:
            get: {}
          /a/{x+}/b:
            get: {}
          /t:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: GET
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${PetsFn.Arn}/invocations
                timeoutInMillis: 30000
          /u/{id}:
            get:
              x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${PetsFn.Arn}/invocations"}
          /u/{name}/x:
            get:
              x-amazon-apigateway-integration: {type: aws_proxy, httpMethod: POST, uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${PetsFn.Arn}/invocations"}"#,
    );
    let err = load_err(&text);
    assert_eq!(
        err,
        [
            format!("DIR/template.yaml: {BODY}.paths.pets: route paths must start with '/', got \"pets\""),
            format!(
                "DIR/template.yaml: {BODY}.paths./a/{{x+}}/b: path \"/a/{{x+}}/b\": the greedy variable {{x+}} must be the last segment"
            ),
            format!(
                "DIR/template.yaml: {BODY}.paths./t.get.x-amazon-apigateway-integration.httpMethod: API Gateway calls Lambda with POST; httpMethod GET makes every call of GET /t fail"
            ),
            format!(
                "DIR/template.yaml: {BODY}.paths./t.get.x-amazon-apigateway-integration.timeoutInMillis: Timeout should be between 50 ms and 29000 ms, got 30000"
            ),
            format!(
                "DIR/template.yaml: {BODY}.paths./u/{{name}}/x.get: path /u/{{name}}/x uses {{name}} where /u/{{id}} (at {BODY}.paths./u/{{id}}.get) uses {{id}}; API Gateway allows one variable name per path level"
            ),
        ]
        .join("\n")
    );
}

#[test]
fn rest_api_body() {
    let text = r#"
Resources:
  PetsFn:
    Type: AWS::Lambda::Function
    Properties: {Code: src, Handler: app.handler, Runtime: python3.12}
  AuthFn:
    Type: AWS::Lambda::Function
    Properties: {Code: src, Handler: auth.handler, Runtime: python3.12}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: pets
      Body:
        openapi: 3.0.1
        security: [{Req: []}]
        components:
          securitySchemes:
            Req:
              type: apiKey
              name: Unused
              in: header
              x-amazon-apigateway-authtype: custom
              x-amazon-apigateway-authorizer:
                type: request
                authorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}/invocations
                identitySource: method.request.header.X-User,context.httpMethod,stageVariables.env
                authorizerResultTtlInSeconds: 3600
        x-amazon-apigateway-gateway-responses:
          ACCESS_DENIED: {statusCode: 403, responseTemplates: {application/json: '{"denied": true}'}}
          MISSING_AUTHENTICATION_TOKEN: {statusCode: 404}
        paths:
          /:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${PetsFn.Arn}/invocations
  NotFound:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Api
      ResponseType: MISSING_AUTHENTICATION_TOKEN
      StatusCode: "410"
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, StageName: prod, DeploymentId: x}
"#;
    let m = load_ok(text);
    assert!(m.warnings.is_empty(), "{:?}", warnings(&m));
    let a = api(&m, "Api");
    assert_eq!(a.stage, "prod");
    assert_eq!(
        a.routes,
        [route(
            "GET",
            "/",
            "PetsFn",
            29_000,
            "Resources.Api.Properties.Body.paths./.get",
            Some("Req"),
        )]
    );
    assert_eq!(
        a.authorizers["Req"],
        Authorizer {
            name: "Req".to_owned(),
            function: Some("AuthFn".to_owned()),
            kind: AuthorizerKind::rest_request(vec![
                IdentitySource::Header("X-User".to_owned()),
                IdentitySource::Context("httpMethod".to_owned()),
                IdentitySource::StageVariable("env".to_owned()),
            ]),
            ttl: Duration::from_secs(3600),
            source: "Resources.Api.Properties.Body.components.securitySchemes.Req".to_owned(),
        }
    );
    let mut denied = GatewayResponseSpec {
        status: Some(403),
        ..GatewayResponseSpec::default()
    };
    denied.templates.insert(
        "application/json".to_owned(),
        r#"{"denied": true}"#.to_owned(),
    );
    assert_eq!(a.gateway_responses().unwrap()["ACCESS_DENIED"], denied);
    // The GatewayResponse resource is applied after the import.
    assert_eq!(
        a.gateway_responses().unwrap()["MISSING_AUTHENTICATION_TOKEN"].status,
        Some(410)
    );

    let s3 = text.replace(
        "      Body:\n",
        "      BodyS3Location: {Bucket: b, Key: k}\n      Unused:\n",
    );
    let m = load_ok(&s3);
    assert!(api(&m, "Api").routes.is_empty());
    assert!(
        warnings(&m).contains(
            &"Resources.Api.Properties.BodyS3Location: the OpenAPI definition is in S3, not local; not imported (set the property to a file path relative to the template)".to_owned()
        ),
        "{:?}",
        warnings(&m)
    );
}
