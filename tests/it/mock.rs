//! REST `MOCK` integrations (issue #12): the CORS preflight methods CDK and hand-written
//! CloudFormation give REST APIs (a `{"statusCode": 204}` template and static
//! `Access-Control-*` response parameters), and an OpenAPI mock whose status comes from the
//! request and selects the integration response.

use crate::support::Gateway;

const TEMPLATE: &str = r#"
Resources:
  Api: {Type: AWS::ApiGateway::RestApi, Properties: {Name: mocks}}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  ItemsOptions:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: OPTIONS
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{ statusCode: 200 }'}
        IntegrationResponses:
          - StatusCode: "204"
            ResponseParameters:
              method.response.header.Access-Control-Allow-Headers: "'Content-Type,Authorization'"
              method.response.header.Access-Control-Allow-Origin: "'*'"
              method.response.header.Access-Control-Allow-Methods: "'OPTIONS,GET'"
  Pets:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: pets}
  Pet:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !Ref Pets, PathPart: "{id}"}
  PetGet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Pet
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": $input.params(''code'')}'}
        IntegrationResponses:
          - StatusCode: "200"
            ResponseTemplates: {application/json: '{"id": "$input.params(''id'')", "request": "$context.requestId"}'}
          - StatusCode: "404"
            SelectionPattern: "404"
            ResponseTemplates: {application/json: '{"message": "no pet $input.params(''id'')"}'}
"#;

#[tokio::test]
async fn mocks_answer_from_their_templates_and_name_a_broken_one() {
    let gw = Gateway::start(TEMPLATE, &[]);
    assert!(
        gw.stdout_banner.contains("-> MOCK (answers 204)")
            && gw.stdout_banner.contains("-> MOCK (answers 200, 404)"),
        "{}",
        gw.stdout_banner
    );
    // The CORS preflight: its template is not JSON to a strict parser ({ statusCode: 200 }
    // is what CDK writes), so, as on AWS, the one default response answers.
    let r = gw.request("OPTIONS", "/items", &[], "").await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("OPTIONS,GET")
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("Content-Type,Authorization")
    );

    // The status from the request, the response by its selection pattern, the body rendered.
    let r = gw.get("/pets/7?code=200").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.header("x-amzn-RequestId").expect("id").to_owned();
    assert_eq!(r.json()["id"], "7");
    assert_eq!(r.json()["request"], id.as_str());
    let r = gw.get("/pets/9?code=404").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["message"], "no pet 9");
    // A status no response takes, and no default for it: falls to the default (200).
    let r = gw.get("/pets/9?code=418").await;
    assert_eq!(r.status, 200);
    // No integer statusCode: a 500 that names the mock.
    let r = gw.get("/pets/9?code=abc").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.text(), r#"{"message": "Internal server error"}"#);
    assert_eq!(r.header("x-glassgate-layer"), Some("integration"));
    assert_eq!(r.header("x-glassgate-cause"), Some("mock-configuration"));
}

const VTL_TEMPLATE: &str = r##"
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: '2.0'
        info: {title: vtl-mocks, version: '1'}
        paths:
          /scope:
            post:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: |
                    #if( $input.params('scope') == "internal" )
                      {"statusCode": 200}
                    #elseif( $input.path('$.admin') == true )
                      {"statusCode": 202}
                    #else
                      {"statusCode": 403}
                    #end
                responses:
                  "403":
                    statusCode: "403"
                    responseTemplates:
                      application/json: '{"message": "scope $input.params(''scope'') is not internal"}'
                  default:
                    statusCode: "200"
                    responseParameters:
                      method.response.header.X-Scope: method.request.querystring.scope
                    responseTemplates:
                      application/json: |
                        #set($tags = ["a", "b", "c"])
                        {"tags": [#foreach($t in $tags)"$t.toUpperCase()"#if($foreach.hasNext), #end#end], "stage": "$context.stage"}
          /macro:
            get:
              x-amazon-apigateway-integration:
                type: mock
                requestTemplates:
                  application/json: '#macro(status)200#end{"statusCode": #status()}'
                responses:
                  default: {statusCode: "200"}
"##;

#[tokio::test]
async fn mock_templates_branch_loop_and_refuse_what_glassgate_cannot_evaluate() {
    let gw = Gateway::start(VTL_TEMPLATE, &[]);
    // The macro is named at load, with the template it is in.
    assert!(
        gw.stdout_banner.contains("/macro")
            && gw
                .stdout_banner
                .contains("it uses #macro, which glassgate does not evaluate"),
        "{}",
        gw.stdout_banner
    );
    let json = [("Content-Type", "application/json")];
    let r = gw
        .request("POST", "/scope?scope=internal", &json, "{}")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-scope"), Some("internal"));
    assert_eq!(
        r.json(),
        serde_json::json!({"tags": ["A", "B", "C"], "stage": "prod"})
    );
    // The body decides the status in the second branch.
    let r = gw
        .request("POST", "/scope?scope=x", &json, r#"{"admin": true}"#)
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = gw.request("POST", "/scope?scope=x", &json, "{}").await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.json()["message"], "scope x is not internal");
    // A body the template reads as JSON and cannot: 400 before any status is chosen.
    let r = gw.request("POST", "/scope?scope=x", &json, "{oops").await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.header("x-glassgate-cause"), Some("body-not-json"));
    // The template glassgate cannot evaluate answers 500, never a stand-in.
    let r = gw.get("/macro").await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(r.header("x-glassgate-cause"), Some("mapping-template"));
}
