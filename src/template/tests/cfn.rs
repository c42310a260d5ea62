//! Plain CloudFormation API Gateway resources (Api, Resource, Method, Authorizer, Stage,
//! Deployment, GatewayResponse).

use std::time::Duration;

use indexmap::IndexMap;

use crate::model::{Authorizer, AuthorizerKind, GatewayResponseSpec, IdentitySource, api_id_for};

use super::{load_err, load_ok, rest_route, warnings};

const FULL: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  AppFn:
    Type: AWS::Lambda::Function
    Properties:
      Code: src
      Handler: app.handler
      Runtime: python3.12
      FunctionName: app
  AuthFn:
    Type: AWS::Lambda::Function
    Properties: {Code: src, Handler: auth.handler, Runtime: python3.12}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: demo
  Users:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: users
  UserId:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !Ref Users
      PathPart: "{id}"
  GetUser:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref UserId
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref ReqAuth
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AppFn.Arn}/invocations"
        TimeoutInMillis: 10000
  RootAny:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: ANY
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub
          - "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Arn}/invocations"
          - {Arn: !GetAtt AppFn.Arn}
  ReqAuth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Name: request-auth
      Type: REQUEST
      AuthorizerUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}/invocations"
      IdentitySource: "method.request.header.X-User, method.request.querystring.tenant,stageVariables.env, context.httpMethod"
      AuthorizerResultTtlInSeconds: 120
  TokAuth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Type: TOKEN
      AuthorizerUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthFn.Arn}/invocations"
      IdentitySource: method.request.header.Authorization
      IdentityValidationExpression: "^Bearer .+$"
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [GetUser, RootAny]
    Properties:
      RestApiId: !Ref Api
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: prod
      Variables: {env: production}
  Unauthorized:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Api
      ResponseType: UNAUTHORIZED
      StatusCode: "401"
      ResponseParameters:
        gatewayresponse.header.WWW-Authenticate: "'Bearer'"
        gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
      ResponseTemplates:
        application/json: '{"message": $context.error.messageString}'
  AppPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref AppFn
      Principal: apigateway.amazonaws.com
"#;

#[test]
fn full_cloudformation_api() {
    let m = load_ok(FULL);
    assert!(m.warnings.is_empty(), "{:?}", warnings(&m));
    assert_eq!(m.apis.len(), 1);
    let api = &m.apis[0];
    assert_eq!(api.logical_id, "Api");
    assert_eq!(api.api_id, api_id_for("Api"));
    assert_eq!(api.stage, "prod");
    assert_eq!(api.stage_variables["env"], "production");
    assert_eq!(
        api.routes,
        [
            rest_route(
                "GET",
                "/users/{id}",
                "AppFn",
                10_000,
                "Resources.GetUser",
                Some("request-auth")
            ),
            rest_route("ANY", "/", "AppFn", 29_000, "Resources.RootAny", None),
        ]
    );
    assert_eq!(
        api.authorizers.keys().collect::<Vec<_>>(),
        ["request-auth", "TokAuth"]
    );
    assert_eq!(
        api.authorizers["request-auth"],
        Authorizer {
            name: "request-auth".to_owned(),
            function: Some("AuthFn".to_owned()),
            kind: AuthorizerKind::rest_request(vec![
                IdentitySource::Header("X-User".to_owned()),
                IdentitySource::Query("tenant".to_owned()),
                IdentitySource::StageVariable("env".to_owned()),
                IdentitySource::Context("httpMethod".to_owned()),
            ]),
            ttl: Duration::from_secs(120),
            source: "Resources.ReqAuth".to_owned(),
        }
    );
    assert_eq!(
        api.authorizers["TokAuth"],
        Authorizer {
            name: "TokAuth".to_owned(),
            function: Some("AuthFn".to_owned()),
            kind: AuthorizerKind::Token {
                header: "Authorization".to_owned(),
                validation_expression: Some("^Bearer .+$".to_owned()),
            },
            ttl: Duration::from_secs(300),
            source: "Resources.TokAuth".to_owned(),
        }
    );
    let mut headers = IndexMap::new();
    headers.insert("WWW-Authenticate".to_owned(), "'Bearer'".to_owned());
    headers.insert("Access-Control-Allow-Origin".to_owned(), "'*'".to_owned());
    let mut templates = IndexMap::new();
    templates.insert(
        "application/json".to_owned(),
        r#"{"message": $context.error.messageString}"#.to_owned(),
    );
    assert_eq!(
        api.gateway_responses().unwrap().keys().collect::<Vec<_>>(),
        ["UNAUTHORIZED"]
    );
    assert_eq!(
        api.gateway_responses().unwrap()["UNAUTHORIZED"],
        GatewayResponseSpec {
            status: Some(401),
            headers,
            templates,
        }
    );
}

#[test]
fn deployment_stage_name_and_default_stage() {
    let text = FULL
        .replace("      StageName: prod\n", "")
        .replace(
            "    DependsOn: [GetUser, RootAny]\n    Properties:\n      RestApiId: !Ref Api\n",
            "    DependsOn: [GetUser, RootAny]\n    Properties:\n      RestApiId: !Ref Api\n      StageName: dev\n      StageDescription: {Variables: {env: development}}\n",
        );
    let m = load_ok(&text);
    assert_eq!(m.apis[0].stage, "dev");
    assert_eq!(m.apis[0].stage_variables["env"], "development");

    let without = r#"
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: x, Body: {openapi: "3.0.1"}}
"#;
    let m = load_ok(without);
    assert_eq!(m.apis[0].stage, "local");
    assert_eq!(
        warnings(&m),
        [
            "Resources.Api.Properties.Body: the OpenAPI definition has no paths; no routes are imported",
            "Resources.Api: API Api has no AWS::ApiGateway::Stage or Deployment with a StageName; glassgate serves it as stage \"local\"",
        ]
    );
}

#[test]
fn other_integration_types_are_served_as_not_emulated() {
    let text = FULL.replace(
        "      AuthorizationType: NONE\n      Integration:\n        Type: AWS_PROXY",
        "      AuthorizationType: NONE\n      Integration:\n        Type: HTTP",
    );
    let m = load_ok(&text);
    assert_eq!(m.apis[0].routes.len(), 2);
    assert!(m.apis[0].routes.iter().any(|r| r.integration
        == crate::model::Integration::NotEmulated {
            kind: "HTTP".into()
        }));
    assert_eq!(
        warnings(&m),
        [
            "Resources.RootAny.Properties.Integration.Type: integration type HTTP of method RootAny is not emulated by glassgate yet; the method answers 500 (integration-not-emulated), never a proxy stand-in"
        ]
    );
    let text = FULL.replace(
        "      AuthorizationType: NONE\n      Integration:\n        Type: AWS_PROXY",
        "      AuthorizationType: NONE\n      Integration:\n        Type: LAMBDA",
    );
    assert!(load_err(&text).contains("unknown integration type \"LAMBDA\""));
}

#[test]
fn iam_methods_check_signatures_and_cognito_ones_need_their_authorizer_and_pools() {
    let text = FULL.replace("AuthorizationType: NONE", "AuthorizationType: AWS_IAM");
    let m = load_ok(&text);
    let api = &m.apis[0];
    let iam: Vec<&str> = api
        .routes
        .iter()
        .filter(|r| r.authorizer.as_deref() == Some("AWS_IAM"))
        .map(|r| r.source.as_str())
        .collect();
    assert_eq!(iam, ["Resources.RootAny"]);
    assert_eq!(
        api.authorizers["AWS_IAM"].kind,
        crate::model::AuthorizerKind::Iam
    );
    let text = FULL.replace(
        "AuthorizationType: NONE",
        "AuthorizationType: COGNITO_USER_POOLS",
    );
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.RootAny.Properties.AuthorizationType: AuthorizationType COGNITO_USER_POOLS needs an AuthorizerId (use !Ref MyAuthorizer)"
    );
    // A Cognito authorizer without pools would check nothing: an error, never an open route.
    let text = FULL.replace("      Type: TOKEN\n", "      Type: COGNITO_USER_POOLS\n");
    assert!(
        load_err(&text).contains(
            "Resources.TokAuth.Properties: Cognito user pool authorizer TokAuth has no ProviderARNs (the ARNs of its user pools)"
        ),
        "{}",
        load_err(&text)
    );
}

#[test]
fn custom_without_authorizer_id_and_missing_authorizer_function() {
    let text = FULL.replace("      AuthorizerId: !Ref ReqAuth\n", "");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.GetUser.Properties.AuthorizationType: AuthorizationType CUSTOM needs an AuthorizerId (use !Ref MyAuthorizer)"
    );
    let text = FULL.replace(
        "functions/${AuthFn.Arn}/invocations\"\n      IdentitySource: \"method",
        "functions/arn:aws:lambda:eu-west-1:123456789012:function:gone/invocations\"\n      IdentitySource: \"method",
    );
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.ReqAuth.Properties.AuthorizerUri: authorizer request-auth: no function of this template matches \"arn:aws:lambda:eu-west-1:123456789012:function:gone\", so the routes it guards cannot be authorized (use !GetAtt AuthFunction.Arn)"
    );
}

#[test]
fn bad_identity_sources_and_ttl() {
    let text = FULL
        .replace(
            "stageVariables.env, context.httpMethod",
            "stageVariables.env, path.id",
        )
        .replace(
            "AuthorizerResultTtlInSeconds: 120",
            "AuthorizerResultTtlInSeconds: 7200",
        )
        .replace(
            "IdentitySource: method.request.header.Authorization",
            "IdentitySource: method.request.querystring.token",
        )
        .replace("\"^Bearer .+$\"", "\"[\"");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.ReqAuth.Properties.AuthorizerResultTtlInSeconds: AuthorizerResultTtlInSeconds must be between 0 and 3600 seconds, got 7200\n\
         template.yaml: Resources.ReqAuth.Properties.IdentitySource: unknown identity source \"path.id\"; expected method.request.header.NAME, method.request.querystring.NAME, stageVariables.NAME or context.NAME\n\
         template.yaml: Resources.TokAuth.Properties.IdentityValidationExpression: IdentityValidationExpression \"[\" is not a valid regular expression: unclosed character class\n\
         template.yaml: Resources.TokAuth.Properties.IdentitySource: a TOKEN authorizer takes one header, method.request.header.NAME; got \"method.request.querystring.token\""
    );
}

#[test]
fn resource_chain_errors() {
    let text = FULL.replace(
        "      ParentId: !Ref Users\n",
        "      ParentId: !Ref UserId\n",
    );
    assert!(
        load_err(&text).contains("the ParentId chain from here is more than 64 resources long"),
        "{}",
        load_err(&text)
    );
    let text = FULL.replace("      PathPart: users\n", "      PathPart: a/b\n");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.Users.Properties.PathPart: PathPart must be one non-empty path segment without '/', got \"a/b\""
    );
}

#[test]
fn permission_is_silent_and_unrelated_types_still_warn() {
    let text = format!(
        "{FULL}  Key:\n    Type: AWS::ApiGateway::ApiKey\n    Properties: {{Enabled: true}}\n"
    );
    let m = load_ok(&text);
    assert_eq!(
        warnings(&m),
        ["Resources.Key: resource type AWS::ApiGateway::ApiKey is not emulated; ignored"]
    );
}

#[test]
fn malformed_cloudformation_shapes_are_reported_not_panics() {
    for (from, to, location) in [
        (
            "      ResourceId: !Ref UserId\n",
            "      ResourceId: [x]\n",
            "Resources.GetUser.Properties.ResourceId",
        ),
        (
            "      ResourceId: !Ref UserId\n",
            "      ResourceId: Nowhere\n",
            "Resources.GetUser.Properties.ResourceId",
        ),
        (
            "      ResourceId: !Ref UserId\n",
            "      ResourceId: !Ref Api\n",
            "Resources.GetUser.Properties.ResourceId",
        ),
        (
            "      ResourceId: !Ref UserId\n",
            "",
            "Resources.GetUser.Properties",
        ),
        (
            "      AuthorizerId: !Ref ReqAuth\n",
            "      AuthorizerId: !Ref Users\n",
            "Resources.GetUser.Properties.AuthorizerId",
        ),
        (
            "      HttpMethod: GET\n",
            "      HttpMethod: FETCH\n",
            "Resources.GetUser.Properties.HttpMethod",
        ),
        (
            "        IntegrationHttpMethod: POST\n        Uri: !Sub \"arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AppFn.Arn}/invocations\"\n",
            "        IntegrationHttpMethod: GET\n        Uri: x\n",
            "Resources.GetUser.Properties.Integration",
        ),
        (
            "      Type: REQUEST\n",
            "      Type: [REQUEST]\n",
            "Resources.ReqAuth.Properties.Type",
        ),
        (
            "      ResponseType: UNAUTHORIZED\n",
            "      ResponseType: NOPE\n",
            "Resources.Unauthorized.Properties.ResponseType",
        ),
        (
            "        gatewayresponse.header.WWW-Authenticate: \"'Bearer'\"\n",
            "        method.response.header.X: \"'a'\"\n",
            "Resources.Unauthorized.Properties.ResponseParameters",
        ),
        (
            "      StageName: prod\n",
            "      StageName: \"p r o d\"\n",
            "Resources.Stage.Properties.StageName",
        ),
        (
            "  Users:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n      RestApiId: !Ref Api\n",
            "  Users:\n    Type: AWS::ApiGateway::Resource\n    Properties:\n      RestApiId: !Ref AppFn\n",
            "Resources.Users.Properties.RestApiId",
        ),
    ] {
        assert!(FULL.contains(from), "{from}");
        let message = load_err(&FULL.replace(from, to));
        assert!(
            message.starts_with(&format!("template.yaml: {location}")),
            "{to}: {message}"
        );
    }
}

#[test]
fn http_proxy_integrations_of_both_cloudformation_forms() {
    let m = load_ok(
        r#"
Resources:
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: p}}
  Proxy:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: "{proxy+}"}
  Any:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Proxy
      HttpMethod: ANY
      AuthorizationType: NONE
      Integration:
        Type: HTTP_PROXY
        IntegrationHttpMethod: ANY
        Uri: http://127.0.0.1:8080/{proxy}
        TimeoutInMillis: 5000
        RequestParameters: {integration.request.path.proxy: method.request.path.proxy}
  V2: {Type: AWS::ApiGatewayV2::Api, Properties: {Name: v2, ProtocolType: HTTP}}
  Int:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref V2
      IntegrationType: HTTP_PROXY
      IntegrationMethod: GET
      IntegrationUri: https://example.com/items
      ConnectionType: VPC_LINK
      PayloadFormatVersion: "1.0"
      RequestParameters: {"overwrite:header.x-env": dev}
      ResponseParameters:
        "404": {ResponseParameters: [{Destination: "overwrite:statuscode", Source: "410"}, {Destination: "remove:header.server", Source: "''"}]}
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref V2, RouteKey: GET /items, Target: !Join [/, [integrations, !Ref Int]]}
"#,
    );
    assert!(
        warnings(&m).iter().any(|w| w.ends_with(
            "ConnectionType: this integration goes through a VPC link on AWS; glassgate connects to its URI directly"
        )),
        "{:?}",
        warnings(&m)
    );
    let show = |api: usize| format!("{:?}", m.apis[api].routes[0].integration);
    assert_eq!(
        show(0),
        "HttpProxy(HttpProxy { uri: \"http://127.0.0.1:8080/{proxy}\", method: None, timeout: 5s, request_parameters: [(\"integration.request.path.proxy\", \"method.request.path.proxy\")], response_parameters: [] })"
    );
    assert_eq!(
        show(1),
        "HttpProxy(HttpProxy { uri: \"https://example.com/items\", method: Some(\"GET\"), timeout: 30s, request_parameters: [(\"overwrite:header.x-env\", \"dev\")], response_parameters: [(404, [(\"overwrite:statuscode\", \"410\"), (\"remove:header.server\", \"''\")])] })"
    );
    let err = load_err(
        "Resources:\n  V2: {Type: AWS::ApiGatewayV2::Api, Properties: {Name: v2, ProtocolType: HTTP}}\n  Int:\n    Type: AWS::ApiGatewayV2::Integration\n    Properties: {ApiId: !Ref V2, IntegrationType: HTTP_PROXY, IntegrationMethod: GET, IntegrationUri: 'https://x', PayloadFormatVersion: '1.0', ResponseParameters: {'200': {ResponseParameters: [{Destination: 'overwrite:body', Source: x}]}}}\n  R:\n    Type: AWS::ApiGatewayV2::Route\n    Properties: {ApiId: !Ref V2, RouteKey: GET /a, Target: !Join [/, [integrations, !Ref Int]]}\n",
    );
    assert!(
        err.contains("\"overwrite:body\" is not a response parameter"),
        "{err}"
    );
    let err = load_err(
        "Resources:\n  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: p}}\n  M:\n    Type: AWS::ApiGateway::Method\n    Properties: {RestApiId: !Ref Api, ResourceId: !GetAtt Api.RootResourceId, HttpMethod: GET, AuthorizationType: NONE, Integration: {Type: HTTP_PROXY, Uri: ftp://x}}\n",
    );
    assert!(
        err.contains("must be an http:// or https:// URL, got \"ftp://x\""),
        "{err}"
    );
}
