//! Functions, APIs, routes, Globals and the warnings about what is not emulated.

use std::time::Duration;

use crate::model::api_id_for;

use super::{HELLO, load_err, load_ok, project_dir, warnings};

#[test]
fn hello_world_uses_the_implicit_api() {
    let m = load_ok(HELLO);
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    assert_eq!(m.region, "eu-west-1");
    assert_eq!(m.account_id, "123456789012");
    let f = &m.functions["HelloFunction"];
    assert_eq!(f.logical_id, "HelloFunction");
    assert_eq!(f.function_name, "HelloFunction");
    assert_eq!(f.runtime, "python3.12");
    assert_eq!(f.handler.as_deref(), Some("app.handler"));
    assert_eq!(f.timeout, Duration::from_secs(3));
    assert_eq!(f.memory_mb, 128);
    assert!(f.environment.is_empty());
    let src = std::fs::canonicalize(project_dir().join("src")).expect("src exists");
    assert_eq!(f.code_dir, src);
    assert!(f.code_dir.is_absolute());

    assert_eq!(m.apis.len(), 1);
    let api = &m.apis[0];
    assert_eq!(api.logical_id, "ServerlessRestApi");
    assert_eq!(api.api_id, api_id_for("ServerlessRestApi"));
    assert_eq!(api.stage, "Prod");
    assert!(api.stage_variables.is_empty());
    assert_eq!(api.routes.len(), 1);
    let r = &api.routes[0];
    assert_eq!(r.method().unwrap(), "GET");
    assert_eq!(r.resource(), "/hello");
    assert_eq!(r.integration.function(), Some("HelloFunction"));
    assert_eq!(r.integration.timeout(), Duration::from_millis(29_000));
    assert_eq!(r.source, "Resources.HelloFunction.Properties.Events.Get");
}

#[test]
fn explicit_and_implicit_apis_in_order() {
    let m = load_ok(
        r#"
Globals:
  Api:
    Variables:
      FROM_GLOBALS: g
      SHARED: g
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.a
      Runtime: nodejs22.x
      Events:
        Implicit: {Type: Api, Properties: {Path: /a, Method: any}}
        Second: {Type: Api, Properties: {Path: "/users/{id}", Method: Post, RestApiId: !Ref Second, TimeoutInMillis: "5000"}}
        First: {Type: Api, Properties: {Path: "/{proxy+}", Method: ANY, RestApiId: !Ref First, TimeoutInMillis: 50}}
  First:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Variables:
        SHARED: own
        NUM: 3
  Second:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Stage_2
  Empty:
    Type: AWS::Serverless::Api
    Properties:
      StageName: empty
"#,
    );
    let ids: Vec<_> = m.apis.iter().map(|a| a.logical_id.as_str()).collect();
    assert_eq!(ids, ["First", "Second", "Empty", "ServerlessRestApi"]);
    let first = &m.apis[0];
    assert_eq!(first.api_id, api_id_for("First"));
    assert_eq!(first.stage, "v1");
    assert_eq!(
        first
            .stage_variables
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>(),
        ["FROM_GLOBALS=g", "SHARED=own", "NUM=3"]
    );
    assert_eq!(first.routes[0].resource(), "/{proxy+}");
    assert_eq!(
        first.routes[0].integration.timeout(),
        Duration::from_millis(50)
    );
    assert_eq!(m.apis[1].routes[0].method().unwrap(), "POST");
    assert_eq!(
        m.apis[1].routes[0].integration.timeout(),
        Duration::from_millis(5000)
    );
    assert!(m.apis[2].routes.is_empty());
    let implicit = &m.apis[3];
    assert_eq!(implicit.stage, "Prod");
    assert_eq!(implicit.routes[0].method().unwrap(), "ANY");
    assert_eq!(implicit.stage_variables["SHARED"], "g");
}

#[test]
fn implicit_api_is_absent_when_unused() {
    let m = load_ok(
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src, Handler: a.b, Runtime: python3.13}\n",
    );
    assert!(m.apis.is_empty());
    assert_eq!(m.functions.len(), 1);
}

#[test]
fn routes_keep_template_order_across_functions() {
    let m = load_ok(
        r#"
Resources:
  B:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: a.b
      Runtime: python3.12
      Events:
        Two: {Type: Api, Properties: {Path: /two, Method: get}}
        One: {Type: Api, Properties: {Path: /one, Method: get}}
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: a.b
      Runtime: python3.12
      Events:
        Three: {Type: Api, Properties: {Path: /, Method: get}}
"#,
    );
    let paths: Vec<_> = m.apis[0].routes.iter().map(|r| r.resource()).collect();
    assert_eq!(paths, ["/two", "/one", "/"]);
    assert_eq!(m.functions.keys().collect::<Vec<_>>(), ["B", "A"]);
}

#[test]
fn globals_merge_with_function_values_winning() {
    let m = load_ok(
        r#"
Globals:
  Function:
    Runtime: python3.11
    Handler: app.handler
    CodeUri: src
    Timeout: 30
    MemorySize: 512
    Tracing: Active
    Environment:
      Variables:
        LEVEL: info
        SHARED: global
Resources:
  Plain:
    Type: AWS::Serverless::Function
  Custom:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.main
      Timeout: "10"
      Environment:
        Variables:
          SHARED: own
          EXTRA: 1
  Ignoring:
    Type: AWS::Serverless::Function
    IgnoreGlobals: [Environment, Timeout]
    Properties:
      Runtime: python3.12
  Raw:
    Type: AWS::Lambda::Function
    Properties:
      Code: .
      Handler: a.b
      Runtime: python3.12
"#,
    );
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let plain = &m.functions["Plain"];
    assert_eq!(plain.runtime, "python3.11");
    assert_eq!(plain.handler.as_deref(), Some("app.handler"));
    assert_eq!(plain.timeout, Duration::from_secs(30));
    assert_eq!(plain.memory_mb, 512);
    assert_eq!(plain.environment["LEVEL"], "info");
    let custom = &m.functions["Custom"];
    assert_eq!(custom.runtime, "nodejs20.x");
    assert_eq!(custom.handler.as_deref(), Some("index.main"));
    assert_eq!(custom.timeout, Duration::from_secs(10));
    assert_eq!(
        custom
            .environment
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>(),
        ["LEVEL=info", "SHARED=own", "EXTRA=1"]
    );
    let ignoring = &m.functions["Ignoring"];
    assert!(ignoring.environment.is_empty());
    assert_eq!(ignoring.timeout, Duration::from_secs(3));
    assert_eq!(ignoring.memory_mb, 512);
    // Globals do not apply to plain Lambda functions.
    let raw = &m.functions["Raw"];
    assert_eq!(raw.timeout, Duration::from_secs(3));
    assert!(raw.environment.is_empty());
    assert_eq!(
        raw.code_dir,
        std::fs::canonicalize(project_dir()).expect("exists")
    );
}

#[test]
fn code_uri_defaults_to_the_template_folder() {
    let m = load_ok(
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {Handler: a.b, Runtime: provided.al2023}\n",
    );
    assert_eq!(
        m.functions["F"].code_dir,
        std::fs::canonicalize(project_dir()).expect("exists")
    );
}

#[test]
fn provided_runtimes_need_no_handler() {
    let m = load_ok(
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src, Runtime: provided.al2}\n",
    );
    assert_eq!(m.functions["F"].handler, None);
}

#[test]
fn warnings_for_what_is_not_emulated() {
    let m = load_ok(
        r#"
Transform: [AWS::Serverless-2016-10-31, AWS::LanguageExtensions]
Globals:
  Function:
    Layers: [arn:aws:lambda:eu-west-1:1:layer:x:1]
    Frobnicate: 1
  Api:
    Cors: "'*'"
  HttpApi:
    Auth: {}
  Nonsense: {}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Role: arn:aws:iam::1:role/x
      Policies: [AWSLambdaBasicExecutionRole]
      Description: harmless
      SomethingNew: 1
      Events:
        Get:
          Type: Api
          Properties:
            Path: /
            Method: get
            RestApiId: !Ref Api
            Auth: {Authorizer: NONE}
            RequestParameters: [method.request.header.x]
        Queue:
          Type: SQS
          Properties: {Queue: !ImportValue irrelevant}
        Http:
          Type: HttpApi
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth: {ResourcePolicy: {CustomStatements: []}}
      GatewayResponses: {}
      DefinitionBody: {}
      Name: harmless
  Bucket:
    Type: AWS::S3::Bucket
    Metadata: {}
    Frob: 1
"#,
    );
    assert_eq!(
        warnings(&m),
        [
            "Transform: transform AWS::LanguageExtensions is not applied by glassgate; the template is read as is",
            "Resources.Bucket.Frob: unknown resource attribute Frob; ignored",
            "Globals.Function.Frobnicate: property Frobnicate is not supported by glassgate; ignored",
            "Globals.Nonsense: unknown Globals section Nonsense; ignored",
            "Resources.Fn.Properties.SomethingNew: property SomethingNew is not supported by glassgate; ignored",
            "Globals.Function.Layers[0]: layer arn:aws:lambda:eu-west-1:1:layer:x:1 of function Fn is not in this template, so its code is not here to mount: imports from it will fail (add it as an AWS::Serverless::LayerVersion with a local ContentUri)",
            "Resources.Fn.Properties.Events.Get.Properties.RequestParameters: RequestParameters is not validated by glassgate; requests are passed through unchecked",
            "Resources.Fn.Properties.Events.Queue: event type SQS is not served by glassgate; event Queue ignored",
            "Resources.Api.Properties.Auth.ResourcePolicy: ResourcePolicy is not emulated; requests are not checked against it",
            "Resources.Api.Properties.DefinitionBody: the OpenAPI definition is empty; no routes are imported",
            "Resources.Bucket: resource type AWS::S3::Bucket is not emulated; ignored",
        ]
    );
    // The HttpApi event without Path and Method is the $default route of the implicit HTTP
    // API; its empty Globals.HttpApi.Auth declares nothing to refuse.
    let http = m
        .apis
        .iter()
        .find(|a| a.logical_id == "ServerlessHttpApi")
        .expect("implicit HTTP API");
    assert_eq!(http.stage, "$default");
    assert_eq!(http.routes.len(), 1);
    assert_eq!(http.routes[0].key, crate::model::RouteKey::Default);
}

#[test]
fn inline_code_is_written_where_lambda_writes_it() {
    let m = load_ok(
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {InlineCode: 'def h(e, c): pass', Handler: index.h, Runtime: python3.12}\n",
    );
    assert_eq!(warnings(&m), Vec::<String>::new());
    let dir = &m.functions["F"].code_dir;
    assert_eq!(
        std::fs::read_to_string(dir.join("index.py")).expect("index.py"),
        "def h(e, c): pass"
    );
    // Both, or inline code for a runtime Lambda does not take it for: errors.
    let both = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {InlineCode: x, CodeUri: src, Handler: index.h, Runtime: python3.12}\n";
    assert!(load_err(both).contains("has both InlineCode and CodeUri"));
    let provided = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {InlineCode: x, Runtime: provided.al2023}\n";
    assert!(load_err(provided).contains("needs a Python or Node.js runtime"));
}

#[test]
fn timeout_in_millis_bounds() {
    for (value, ok) in [
        ("49", false),
        ("50", true),
        ("29000", true),
        ("29001", false),
        ("1.5", false),
    ] {
        let text = HELLO.replace(
            "            Method: get",
            &format!("            Method: get\n            TimeoutInMillis: {value}"),
        );
        if ok {
            let m = load_ok(&text);
            let expected = Duration::from_millis(value.parse().expect("number"));
            assert_eq!(m.apis[0].routes[0].integration.timeout(), expected);
        } else {
            let msg = load_err(&text);
            let expected = if value == "1.5" {
                "template.yaml: Resources.HelloFunction.Properties.Events.Get.Properties.TimeoutInMillis: expected a whole number, got \"1.5\"".to_owned()
            } else {
                format!(
                    "template.yaml: Resources.HelloFunction.Properties.Events.Get.Properties.TimeoutInMillis: Timeout should be between 50 ms and 29000 ms, got {value}"
                )
            };
            assert_eq!(msg, expected);
        }
    }
}

#[test]
fn json_numbers_are_accepted_for_numeric_properties() {
    let m = super::load_ok(
        r#"{"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {
            "CodeUri": "src", "Handler": "a.b", "Runtime": "python3.12", "Timeout": 900, "MemorySize": 10240,
            "Environment": {"Variables": {"N": 1.5, "B": false}},
            "Events": {"E": {"Type": "Api", "Properties": {"Path": "/", "Method": "get", "TimeoutInMillis": 1000}}}}}}}"#,
    );
    let f = &m.functions["F"];
    assert_eq!(f.timeout, Duration::from_secs(900));
    assert_eq!(f.memory_mb, 10240);
    assert_eq!(f.environment["N"], "1.5");
    assert_eq!(f.environment["B"], "false");
    assert_eq!(
        m.apis[0].routes[0].integration.timeout(),
        Duration::from_secs(1)
    );
}
