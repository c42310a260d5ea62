//! REST Cognito user pool authorizers, in the SAM, CloudFormation and OpenAPI forms, against a
//! real JWKS server on loopback (`tests/fixtures/jwt/jwks_server.py`, given as the pool's keys
//! with `--jwks ISSUER=URL`, since the pool's own issuer is on the internet) with tokens signed
//! here by real RSA keys: the ID-token rule of methods without scopes, the access-token rule of
//! methods with scopes, REST's 401 bodies, and the claims at `requestContext.authorizer.claims`
//! as REST renders them.

use std::path::Path;

use serde_json::json;

use crate::jwt::{Issuer, code, now, token};
use crate::support::{Gateway, enc};

/// The issuer of the template's pool `UserPool` (region us-east-1, id `{region}_{logical id}`).
pub(crate) const POOL: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_UserPool";

pub(crate) fn sam(code: &Path) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  UserPool:
    Type: AWS::Cognito::UserPool
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: Pool
        Authorizers:
          Pool:
            UserPoolArn: !GetAtt UserPool.Arn
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code}
      Handler: app.handler
      Events:
        Me: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /me, Method: get}}}}
        Orders: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /orders, Method: get, Auth: {{AuthorizationScopes: [shop/read]}}}}}}
"#,
        code = code.display()
    )
}

fn cloudformation(code: &Path) -> String {
    let method = |name: &str, resource: &str, scopes: &str| {
        format!(
            r#"
  {name}:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref {resource}
      HttpMethod: GET
      AuthorizationType: COGNITO_USER_POOLS
      AuthorizerId: !Ref Pool{scopes}
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations"#
        )
    };
    format!(
        r#"
AWSTemplateFormatVersion: '2010-09-09'
Resources:
  UserPool:
    Type: AWS::Cognito::UserPool
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {{Name: cognito}}
  Me:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: me}}
  Orders:
    Type: AWS::ApiGateway::Resource
    Properties: {{RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: orders}}{get_me}{get_orders}
  Pool:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      Name: Pool
      RestApiId: !Ref Api
      Type: COGNITO_USER_POOLS
      ProviderARNs: [!GetAtt UserPool.Arn]
      IdentitySource: method.request.header.Authorization
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Code: {code}
      Handler: app.handler
"#,
        get_me = method("GetMe", "Me", ""),
        get_orders = method(
            "GetOrders",
            "Orders",
            "\n      AuthorizationScopes: [shop/read]"
        ),
        code = code.display()
    )
}

fn openapi(code: &Path) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  UserPool:
    Type: AWS::Cognito::UserPool
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: '2.0'
        info: {{title: cognito, version: '1'}}
        securityDefinitions:
          Pool:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: cognito_user_pools
            x-amazon-apigateway-authorizer:
              type: cognito_user_pools
              providerARNs: [!GetAtt UserPool.Arn]
        paths:
          /me:
            get:
              security: [{{Pool: []}}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
          /orders:
            get:
              security: [{{Pool: [shop/read]}}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code}
      Handler: app.handler
"#,
        code = code.display()
    )
}

/// An ID token of the pool for app client `client-1`.
pub(crate) fn id_token(iss: &str) -> serde_json::Value {
    json!({
        "iss": iss, "sub": "user-1", "aud": "client-1", "token_use": "id",
        "auth_time": now() - 10, "iat": now() - 10, "exp": now() + 600,
        "cognito:username": "ana", "cognito:groups": ["admin", "users"], "email_verified": true
    })
}

/// An access token of the pool: `client_id` and `scope`, no `aud`.
fn access_token(iss: &str, scope: &str) -> serde_json::Value {
    json!({
        "iss": iss, "sub": "user-1", "client_id": "client-1", "token_use": "access",
        "scope": scope, "iat": now() - 10, "exp": now() + 600, "username": "ana"
    })
}

async fn get(gw: &Gateway, path: &str, authorization: Option<&str>) -> crate::support::Resp {
    let headers: Vec<(&str, &str)> = authorization
        .map(|a| vec![("Authorization", a)])
        .unwrap_or_default();
    gw.request("GET", path, &headers, "").await
}

/// The detail of a refused request's trace.
async fn detail(gw: &Gateway, r: &crate::support::Resp) -> String {
    let id = r.header("x-amzn-RequestId").expect("request id");
    let (_, body) = gw.admin("GET", &format!("/requests/{}", enc(id)), "").await;
    body["trace"]["failure"]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Every check, on one served template.
async fn check(form: &str, template: &str) {
    let issuer = Issuer::start();
    let keys = format!("{POOL}={}/jwks.json", issuer.url);
    let gw = Gateway::start(template, &["--jwks", &keys]);
    let sign = |claims| token("k1.pem", "k1", claims);

    // No token: 401 before any check.
    let r = get(&gw, "/me", None).await;
    assert_eq!(r.status, 401, "{form}");
    assert_eq!(r.text(), r#"{"message":"Unauthorized"}"#, "{form}");
    assert_eq!(r.header("x-glassgate-cause"), Some("identity-missing"));

    // An ID token on a method without scopes, bare or after `Bearer `.
    let id = sign(id_token(POOL));
    for value in [id.clone(), format!("Bearer {id}")] {
        let r = get(&gw, "/me", Some(&value)).await;
        assert_eq!(r.status, 200, "{form}: {}", r.text());
        // REST sends no www-authenticate.
        assert_eq!(r.header("www-authenticate"), None);
    }
    let r = get(&gw, "/me", Some(&id)).await;
    let a = r.json();
    // `requestContext.authorizer` is `{"claims": ...}` alone, every value a string.
    assert_eq!(a.as_object().map(|o| o.len()), Some(1), "{form}: {a}");
    let c = &a["claims"];
    assert_eq!(c["sub"], "user-1");
    assert_eq!(c["cognito:groups"], "admin,users", "{form}: {c}");
    assert_eq!(c["email_verified"], "true");
    assert_eq!(c["token_use"], "id");
    assert!(
        c["auth_time"]
            .as_str()
            .is_some_and(|t| t.parse::<i64>().is_ok()),
        "{c}"
    );
    // exp and iat as dates: `Tue Apr 04 18:39:39 UTC 2023`.
    let exp = c["exp"].as_str().unwrap_or_default();
    assert!(
        exp.len() == 28 && exp.contains(" UTC "),
        "{form}: exp {exp:?}"
    );

    // An access token where the method has no scopes: API Gateway takes only ID tokens.
    let access = sign(access_token(POOL, "shop/read"));
    let r = get(&gw, "/me", Some(&access)).await;
    assert_eq!(r.status, 401, "{form}");
    assert_eq!(r.text(), r#"{"message":"Unauthorized"}"#);
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-wrong-token-use"));
    assert!(
        detail(&gw, &r)
            .await
            .contains("takes only an ID token, and this token's token_use is \"access\"")
    );

    // A method with scopes takes the access token that holds one...
    let r = get(&gw, "/orders", Some(&access)).await;
    assert_eq!(r.status, 200, "{form}: {}", r.text());
    assert_eq!(r.json()["claims"]["scope"], "shop/read");
    // ...and refuses the ID token, which has no scope claim, and an access token without it.
    let r = get(&gw, "/orders", Some(&id)).await;
    assert_eq!(r.status, 401, "{form}");
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-scope-missing"));
    assert!(
        detail(&gw, &r)
            .await
            .contains("an ID token has no scope claim")
    );
    let other = sign(access_token(POOL, "shop/write"));
    assert_eq!(get(&gw, "/orders", Some(&other)).await.status, 401);

    // Expired: Cognito's own message.
    let mut expired = id_token(POOL);
    expired["exp"] = json!(now() - 30);
    let r = get(&gw, "/me", Some(&sign(expired))).await;
    assert_eq!(r.status, 401, "{form}");
    assert_eq!(
        r.text(),
        r#"{"message":"The incoming token has expired"}"#,
        "{form}"
    );
    assert_eq!(r.header("x-amzn-ErrorType"), Some("UnauthorizedException"));
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-expired"));

    // Another pool's token, and a token signed by a key the pool never had.
    let foreign = sign(id_token(
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other",
    ));
    let r = get(&gw, "/me", Some(&foreign)).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-wrong-issuer"));
    assert!(detail(&gw, &r).await.contains(POOL));
    let forged = token("other.pem", "k1", id_token(POOL));
    let r = get(&gw, "/me", Some(&forged)).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-bad-signature"));
    drop(issuer);
}

#[tokio::test]
async fn sam_cognito_authorizers_check_id_and_access_tokens() {
    let code = code();
    check("SAM", &sam(code.path())).await;
}

#[tokio::test]
async fn cloudformation_cognito_authorizers_check_id_and_access_tokens() {
    let code = code();
    check("CloudFormation", &cloudformation(code.path())).await;
}

#[tokio::test]
async fn openapi_cognito_authorizers_check_id_and_access_tokens() {
    let code = code();
    check("OpenAPI", &openapi(code.path())).await;
}

/// `glassgate token` for a Cognito issuer and `serve --trust-dev-issuer`: an ID token, and an
/// access token when scopes are asked for.
#[tokio::test]
async fn the_dev_issuer_stands_in_for_a_user_pool() {
    let config = tempfile::tempdir().expect("tempdir");
    let env = [(
        "GLASSGATE_CONFIG_DIR",
        config.path().to_str().expect("utf-8 path"),
    )];
    let code = code();
    let gw = Gateway::start_with_env(&sam(code.path()), &["--trust-dev-issuer", POOL], &env);
    // The route table names the pool's issuer, for `glassgate token --issuer`.
    assert!(
        gw.stdout_banner.contains(&format!(
            "authorizer Pool (Cognito user pools): issuer {POOL}"
        )),
        "{}",
        gw.stdout_banner
    );
    let id = crate::jwt::token_of_dev(&env, POOL, &[]);
    let r = get(&gw, "/me", Some(&id)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("x-glassgate-authorizer-mode"),
        Some("dev-issuer; authorizer=Pool")
    );
    assert_eq!(r.json()["claims"]["token_use"], "id");
    let access = crate::jwt::token_of_dev(&env, POOL, &["--scope", "shop/read"]);
    let r = get(&gw, "/orders", Some(&access)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["claims"]["token_use"], "access");
    assert_eq!(get(&gw, "/me", Some(&access)).await.status, 401);
    // A token of a key that is not the dev issuer's is still refused.
    let r = get(&gw, "/me", Some(&token("k1.pem", "k1", id_token(POOL)))).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("x-glassgate-cause"), Some("jwt-unknown-kid"));
}

/// `glassgate validate` names the token-kind traps of a Cognito authorizer.
#[test]
fn validate_names_the_token_kind_traps() {
    let code = code();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("template.yaml");
    let text = sam(code.path()).replace(
        "            UserPoolArn: !GetAtt UserPool.Arn\n",
        "            UserPoolArn: !GetAtt UserPool.Arn\n            Identity: {ValidationExpression: \"^client-1$\"}\n",
    );
    std::fs::write(&path, text).expect("write");
    let out = crate::support::glassgate()
        .arg("validate")
        .arg(&path)
        .output()
        .expect("run validate");
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("Cognito authorizer Pool: methods GET /me have no AuthorizationScopes, so API Gateway takes only ID tokens there"),
        "{report}"
    );
    assert!(
        report.contains("methods GET /orders require scopes, which only access tokens carry; access tokens have no aud, so those methods refuse every token"),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "authorizer Pool (Cognito user pools): issuer {POOL}"
        )),
        "{report}"
    );
}

/// `glassgate validate` warns when an HTTP API's JWT authorizer trusts a Cognito pool with an
/// audience no access token can match (Cognito access tokens carry client_id, not aud).
#[test]
fn validate_names_an_audience_cognito_access_tokens_cannot_match() {
    let code = code();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("template.yaml");
    std::fs::write(
        &path,
        format!(
            r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Pool
        Authorizers:
          Pool:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: {POOL}
              audience: [https://api.example.com, 3n4b5urk1ft4fl3mg5e62d9ado]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code}
      Handler: app.handler
      Events:
        Me: {{Type: HttpApi, Properties: {{ApiId: !Ref Api, Path: /me, Method: get}}}}
"#,
            code = code.path().display()
        ),
    )
    .expect("write");
    let out = crate::support::glassgate()
        .arg("validate")
        .arg(&path)
        .output()
        .expect("run validate");
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("trusts a Cognito user pool with audience https://api.example.com: Cognito access tokens have no aud"),
        "{report}"
    );
    // The app client id is not named.
    assert!(
        !report.contains("audience 3n4b5urk1ft4fl3mg5e62d9ado"),
        "{report}"
    );
}
