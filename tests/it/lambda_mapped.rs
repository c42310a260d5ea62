//! Lambda non-proxy integrations (`type: aws`, issue #12): request templates make the event
//! a real Python function gets, integration responses are selected by the function's error
//! message, response templates map its result, and the failures API Gateway answers itself
//! (415, 400, no output mapping) come with their causes. Also a Lambda authorizer in front,
//! whose context the request template reads.

use std::path::Path;

use crate::support::Gateway;

const APP: &str = r#"
import json

def echo(event, context):
    return {"event": event, "n": 3}

def fail(event, context):
    raise ValueError("Not found: pet " + str(event.get("id")))

def boom(event, context):
    raise RuntimeError("boom")

def auth(event, context):
    token = event.get("authorizationToken", "")
    if token != "Bearer good":
        raise Exception("Unauthorized")
    return {
        "principalId": "user-7",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]},
        "context": {"tier": "gold", "n": 5},
    }
"#;

fn template(code: &Path) -> String {
    let uri = |f: &str| {
        format!(
            "!Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{f}.Arn}}/invocations"
        )
    };
    format!(
        r##"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: '2.0'
        info: {{title: mapped, version: '1'}}
        securityDefinitions:
          Tok:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: custom
            x-amazon-apigateway-authorizer:
              type: token
              authorizerUri: {auth}
              authorizerResultTtlInSeconds: 0
        paths:
          /items/{{id}}:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: {echo}
                passthroughBehavior: when_no_templates
                requestTemplates:
                  application/json: |
                    #set($body = $input.path('$'))
                    {{
                      "id": "$input.params('id')",
                      "q": "$util.escapeJavaScript($input.params('q'))",
                      "names": [
                    #foreach($item in $body.items)
                        "$item.name.toUpperCase()"#if($foreach.hasNext),#end
                    #end
                      ],
                      "count": $body.items.size(),
                      "raw": $input.json('$.items[0]'),
                      "stage": "$context.stage",
                      "resource": "$context.resourcePath",
                      "env": "$stageVariables.env"
                    }}
                responses:
                  default:
                    statusCode: "201"
                    responseParameters:
                      method.response.header.X-Count: integration.response.body.n
                      method.response.header.X-Static: "'yes'"
                    responseTemplates:
                      application/json: '{{"made": $input.json(''$.event''), "n": $input.path(''$.n'')}}'
          /plain:
            post:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: {echo}
                responses:
                  default: {{statusCode: "200"}}
          /pets/{{id}}:
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: {fail}
                requestTemplates:
                  application/json: '{{"id": "$input.params(''id'')"}}'
                responses:
                  "Not found.*":
                    statusCode: "404"
                    responseTemplates:
                      application/json: |
                        #if($input.params('id') == "0")
                        #set($context.responseOverride.status = 410)
                        #set($context.responseOverride.header.X-Reason = "gone")
                        #end
                        {{"error": "$input.path('$.errorMessage')", "type": "$input.path('$.errorType')"}}
                  default: {{statusCode: "200"}}
          /boom:
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: {boom}
                responses:
                  default: {{statusCode: "200"}}
          /unmapped:
            get:
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: {fail}
                responses:
                  "Other.*": {{statusCode: "400"}}
          /me:
            get:
              security: [{{Tok: []}}]
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: {echo}
                requestTemplates:
                  application/json: '{{"who": "$context.authorizer.principalId", "tier": "$context.authorizer.tier", "n": "$context.authorizer.n"}}'
                responses:
                  default:
                    statusCode: "200"
                    responseTemplates:
                      application/json: '$input.json(''$.event'')'
      Variables: {{env: dev}}
  Echo:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, CodeUri: {code}, Handler: app.echo}}
  Fail:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, CodeUri: {code}, Handler: app.fail}}
  Boom:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, CodeUri: {code}, Handler: app.boom}}
  Auth:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, CodeUri: {code}, Handler: app.auth}}
"##,
        echo = uri("Echo"),
        fail = uri("Fail"),
        boom = uri("Boom"),
        auth = uri("Auth"),
        code = code.display()
    )
}

fn start() -> (tempfile::TempDir, Gateway) {
    let code = tempfile::tempdir().expect("tempdir");
    std::fs::write(code.path().join("app.py"), APP).expect("write app");
    let gw = Gateway::start(&template(code.path()), &[]);
    (code, gw)
}

#[tokio::test]
async fn templates_shape_the_event_and_the_response() {
    let (_code, gw) = start();
    assert!(
        gw.stdout_banner.contains("Echo (python3.12, non-proxy)"),
        "{}",
        gw.stdout_banner
    );
    // The trap is named where the template is loaded: errors answered as successes.
    assert!(
        gw.stdout_banner.contains(
            "GET /boom is a Lambda non-proxy integration with no selectionPattern: when the function raises, its default response answers 200"
        ),
        "{}",
        gw.stdout_banner
    );
    assert!(
        !gw.stdout_banner
            .contains("GET /pets/{id} is a Lambda non-proxy integration"),
        "{}",
        gw.stdout_banner
    );
    let body = r#"{"items": [{"name": "rex"}, {"name": "tom"}]}"#;
    let r = gw
        .request(
            "POST",
            "/items/7?q=a%22b",
            &[("Content-Type", "application/json")],
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("x-count"), Some("3"));
    assert_eq!(r.header("x-static"), Some("yes"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-glassgate-layer"), Some("backend"));
    let got = r.json();
    // The function got the rendered template as its event, not a proxy event.
    let event = &got["made"];
    assert_eq!(event["id"], "7");
    assert_eq!(event["names"], serde_json::json!(["REX", "TOM"]));
    assert_eq!(event["count"], 2);
    assert_eq!(event["raw"], serde_json::json!({"name": "rex"}));
    assert_eq!(event["stage"], "prod");
    assert_eq!(event["resource"], "/items/{id}");
    assert_eq!(event["env"], "dev");
    assert!(event.get("httpMethod").is_none(), "{event}");
    // $util.escapeJavaScript kept the JSON string whole.
    assert_eq!(event["q"], "a\"b");
    assert_eq!(got["n"], 3);
    let t = gw.trace(r.header("x-amzn-requestid").expect("id"));
    let log = t["log"].to_string();
    assert!(
        log.contains(r#"Endpoint request body after transformations: {"#),
        "{log}"
    );
    assert!(
        log.contains("Method response body after transformations"),
        "{log}"
    );

    // No template for this content type: WHEN_NO_TEMPLATES refuses with 415.
    let r = gw
        .request("POST", "/items/7", &[("Content-Type", "text/plain")], "hi")
        .await;
    assert_eq!(r.status, 415, "{}", r.text());
    assert_eq!(r.text(), r#"{"message": "Unsupported Media Type"}"#);
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("unsupported-media-type")
    );
    assert_eq!(r.header("x-glassgate-layer"), Some("integration"));

    // A body the template reads as JSON and that is not JSON: 400, the function never ran.
    let r = gw
        .request(
            "POST",
            "/items/7",
            &[("Content-Type", "application/json")],
            "{nope",
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.header("x-glassgate-cause"), Some("body-not-json"));

    // Without templates the body passes through as the event (WHEN_NO_MATCH), and without
    // a response template the result is the body.
    let r = gw
        .request(
            "POST",
            "/plain",
            &[("Content-Type", "application/json")],
            r#"{"a": 1}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), serde_json::json!({"event": {"a": 1}, "n": 3}));
    // An empty body reaches the function as {}.
    let r = gw.request("POST", "/plain", &[], "").await;
    assert_eq!(r.json(), serde_json::json!({"event": {}, "n": 3}));
}

#[tokio::test]
async fn errors_select_responses_by_their_message() {
    let (_code, gw) = start();
    // The error message matches "Not found.*": 404 with the mapped body.
    let r = gw.get("/pets/9").await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({"error": "Not found: pet 9", "type": "ValueError"})
    );
    assert_eq!(r.header("x-reason"), None);
    // The response template overrides the status and adds a header.
    let r = gw.get("/pets/0").await;
    assert_eq!(r.status, 410, "{}", r.text());
    assert_eq!(r.header("x-reason"), Some("gone"));
    assert_eq!(r.json()["error"], "Not found: pet 0");
    // The client sees the mapped response; the diagnosis still names the failing backend.
    assert_eq!(r.header("x-glassgate-layer"), Some("backend"));
    assert_eq!(r.header("x-glassgate-cause"), Some("handler-error"));

    // AWS's best-known surprise: no pattern matches, the default response is 200, and its
    // body is Lambda's error document.
    let r = gw.get("/boom").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let doc = r.json();
    assert_eq!(doc["errorMessage"], "boom");
    assert_eq!(doc["errorType"], "RuntimeError");
    assert_eq!(r.header("x-glassgate-cause"), Some("handler-error"));
    let t = gw.trace(r.header("x-amzn-requestid").expect("id"));
    let log = t["log"].to_string();
    assert!(
        log.contains("no selectionPattern matched: the default integration response"),
        "{log}"
    );
    assert_eq!(
        t["failure"]["detail"],
        "the function Boom raised RuntimeError: boom; no selectionPattern matched: the default integration response mapped it to status 200"
    );
    assert!(
        log.contains(
            "Lambda execution failed with status 200 due to customer function error: boom"
        ),
        "{log}"
    );

    // No pattern matches and there is no default: AWS's configuration error, 500.
    let r = gw.get("/unmapped").await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(r.text(), r#"{"message": "Internal server error"}"#);
    assert_eq!(r.header("x-glassgate-cause"), Some("mapping-template"));
    let t = gw.trace(r.header("x-amzn-requestid").expect("id"));
    assert!(
        t["log"]
            .to_string()
            .contains("No match for output mapping and no default output mapping configured"),
        "{}",
        t["log"]
    );
}

#[tokio::test]
async fn an_authorizer_context_reaches_the_template() {
    let (_code, gw) = start();
    let r = gw
        .request("GET", "/me", &[("Authorization", "Bearer bad")], "")
        .await;
    assert_eq!(r.status, 401, "{}", r.text());
    let r = gw
        .request("GET", "/me", &[("Authorization", "Bearer good")], "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({"who": "user-7", "tier": "gold", "n": "5"})
    );
}
