//! Syntax: YAML short forms, JSON long forms, scalars, syntax errors, garbage.

use serde_json::json;

use super::super::yaml::{ParseFailure, parse};
use super::{HELLO, load_err, load_ok, project_dir, try_load, warnings};

#[test]
fn short_forms_lower_to_long_forms() {
    let v = parse(
        r#"
a: !Ref P
b: !GetAtt Fn.Arn
c: !GetAtt Db.Endpoint.Address
d: !GetAtt [Fn, Arn]
e: !Sub "x-${AWS::Region}"
f: !Sub
  - "${A}-x"
  - A: !Ref C
g: !Join [":", [a, !Ref B]]
h: !If [IsProd, !Ref AWS::NoValue, x]
i: !Condition IsProd
j: !Select [0, !Split [",", "a,b"]]
k: !FindInMap [M, !Ref AWS::Region, K]
l: !Base64 hi
m: !Equals [a, b]
"#,
    )
    .expect("parses")
    .0;
    assert_eq!(
        v,
        json!({
            "a": {"Ref": "P"},
            "b": {"Fn::GetAtt": ["Fn", "Arn"]},
            "c": {"Fn::GetAtt": ["Db", "Endpoint.Address"]},
            "d": {"Fn::GetAtt": ["Fn", "Arn"]},
            "e": {"Fn::Sub": "x-${AWS::Region}"},
            "f": {"Fn::Sub": ["${A}-x", {"A": {"Ref": "C"}}]},
            "g": {"Fn::Join": [":", ["a", {"Ref": "B"}]]},
            "h": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "x"]},
            "i": {"Condition": "IsProd"},
            "j": {"Fn::Select": ["0", {"Fn::Split": [",", "a,b"]}]},
            "k": {"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "K"]},
            "l": {"Fn::Base64": "hi"},
            "m": {"Fn::Equals": ["a", "b"]},
        })
    );
}

#[test]
fn scalars_stay_text_except_booleans_and_null() {
    let v = parse(
        "acct: 012345678901\nver: 1.10\noct: 0777\nyes: yes\nt: true\nf: False\nn: ~\ne:\nq: 'true'\nnum: 30\ns: !!str true\n",
    )
    .expect("parses")
    .0;
    assert_eq!(
        v,
        json!({
            "acct": "012345678901", "ver": "1.10", "oct": "0777", "yes": "yes",
            "t": true, "f": false, "n": null, "e": null, "q": "true", "num": "30", "s": "true",
        })
    );
}

#[test]
fn account_id_with_leading_zero_stays_a_string_end_to_end() {
    let text = HELLO.replace(
        "      Runtime: python3.12\n",
        "      Runtime: python3.12\n      Environment:\n        Variables:\n          ACCOUNT: 012345678901\n          FLAG: true\n          RATIO: 1.10\n",
    );
    let m = load_ok(&text);
    let env = &m.functions["HelloFunction"].environment;
    assert_eq!(env["ACCOUNT"], "012345678901");
    assert_eq!(env["FLAG"], "true");
    assert_eq!(env["RATIO"], "1.10");
}

#[test]
fn yaml_short_forms_and_json_long_forms_give_the_same_model() {
    let yaml = r#"
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
Conditions:
  IsDev: !Equals [!Ref Stage, dev]
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-fn"
      CodeUri: src
      Handler: app.handler
      Runtime: nodejs20.x
      Timeout: 10
      Environment:
        Variables:
          ARN: !GetAtt Fn.Arn
          MODE: !If [IsDev, debug, !Ref AWS::NoValue]
          PARTS: !Join ["-", !Split [",", "a,b"]]
      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /items/{id}
            Method: ANY
"#;
    let json = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Transform": "AWS::Serverless-2016-10-31",
  "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
  "Conditions": {"IsDev": {"Fn::Equals": [{"Ref": "Stage"}, "dev"]}},
  "Resources": {
    "Api": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": {"Ref": "Stage"}}},
    "Fn": {
      "Type": "AWS::Serverless::Function",
      "Properties": {
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-fn"},
        "CodeUri": "src",
        "Handler": "app.handler",
        "Runtime": "nodejs20.x",
        "Timeout": 10,
        "Environment": {"Variables": {
          "ARN": {"Fn::GetAtt": ["Fn", "Arn"]},
          "MODE": {"Fn::If": ["IsDev", "debug", {"Ref": "AWS::NoValue"}]},
          "PARTS": {"Fn::Join": ["-", {"Fn::Split": [",", "a,b"]}]}
        }},
        "Events": {"Get": {"Type": "Api", "Properties": {
          "RestApiId": {"Ref": "Api"}, "Path": "/items/{id}", "Method": "ANY"
        }}}
      }
    }
  }
}"#;
    let a = load_ok(yaml);
    let b = load_ok(json);
    assert_eq!(a.functions, b.functions);
    assert_eq!(a.apis, b.apis);
    assert_eq!(a.warnings, b.warnings);
    let f = &a.functions["Fn"];
    assert_eq!(f.function_name, "demo-fn");
    assert_eq!(
        f.environment["ARN"],
        "arn:aws:lambda:eu-west-1:123456789012:function:demo-fn"
    );
    assert_eq!(f.environment["MODE"], "debug");
    assert_eq!(f.environment["PARTS"], "a-b");
    assert_eq!(a.apis[0].stage, "dev");
}

#[test]
fn yaml_syntax_errors_give_line_and_column() {
    let text = "Resources:\n  Fn:\n    Type: [a, b\n  Other: 1\n";
    let msg = load_err(text);
    assert!(msg.starts_with("template.yaml:"), "{msg}");
    assert!(msg.contains("invalid YAML"), "{msg}");
    match parse(text) {
        Err(ParseFailure::Syntax { line, column, .. }) => {
            assert!(line >= 3, "line {line}");
            assert!(column >= 1, "column {column}");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let msg = load_err("a: 1\n b: 2\n");
    assert!(msg.starts_with("template.yaml: line 2, column "), "{msg}");
}

#[test]
fn json_syntax_errors_give_line_and_column() {
    // Invalid as YAML too; a document that YAML accepts (e.g. a trailing comma) is loaded.
    let msg = load_err("{\n  \"Resources\": {\n    \"A\": [\n  }\n}\n");
    assert!(msg.starts_with("template.yaml: line 4, column "), "{msg}");
    assert!(msg.contains("invalid JSON"), "{msg}");
    assert_eq!(
        msg,
        "template.yaml: line 4, column 3: invalid JSON: expected value"
    );
}

#[test]
fn duplicate_keys_keep_the_last_as_pyyaml_does() {
    // PyYAML (so SAM CLI and `sam deploy`) keeps the last of a duplicated key; so does
    // glassgate, with a warning naming the lines.
    let text = HELLO.replace(
        "      Runtime: python3.12\n",
        "      Runtime: python3.12\n      Timeout: 3\n      Environment:\n        Variables: {A: first, A: second}\n      Timeout: 9\n",
    );
    let m = load_ok(&text);
    let f = &m.functions["HelloFunction"];
    assert_eq!(f.timeout.as_secs(), 9);
    assert_eq!(f.environment["A"], "second");
    assert_eq!(
        warnings(&m),
        [
            "Resources.HelloFunction.Properties.Environment.Variables.A: key A is written 2 times in one mapping (lines 12, 12); the last one is used, as PyYAML (SAM CLI, sam deploy) reads it, though YAML 1.2 parsers refuse the file",
            "Resources.HelloFunction.Properties.Timeout: key Timeout is written 2 times in one mapping (lines 10, 13); the last one is used, as PyYAML (SAM CLI, sam deploy) reads it, though YAML 1.2 parsers refuse the file",
        ]
    );
    // A duplicated resource: the last one.
    let m = load_ok(&format!(
        "{HELLO}  HelloFunction:\n    Type: AWS::S3::Bucket\n"
    ));
    assert!(m.functions.is_empty());
}

#[test]
fn a_closing_bracket_left_of_its_key_is_read_as_pyyaml_does() {
    let text = HELLO.replace(
        "      Runtime: python3.12\n",
        "      Runtime: python3.12\n      Environment:\n        Variables: {\n          A: x\n    }\n",
    );
    let m = load_ok(&text);
    assert_eq!(m.functions["HelloFunction"].environment["A"], "x");
    assert!(
        warnings(&m)[0].starts_with(
            "line 13: a flow collection's closing bracket is left of its key's indentation"
        ),
        "{:?}",
        warnings(&m)
    );
    // Other bad indentation is still an error.
    assert!(load_err("Resources:\n  A:\n   Type: X\n  B: [\n  x: y\n").contains("line"));
}

#[test]
fn several_documents_are_rejected() {
    let msg = load_err("Resources: {}\n---\nResources: {}\n");
    assert!(msg.contains("2 YAML documents"), "{msg}");
}

#[test]
fn unknown_short_form_fails_only_where_used() {
    let text = format!(
        "{HELLO}  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Frobnicate x\n"
    );
    let m = load_ok(&text);
    assert!(
        warnings(&m)
            .iter()
            .any(|w| w.contains("AWS::DynamoDB::Table"))
    );
    let text = HELLO.replace("Handler: app.handler", "Handler: !Frobnicate x");
    let msg = load_err(&text);
    assert!(
        msg.contains(
            "Properties.Handler.Fn::Frobnicate: unknown intrinsic function Fn::Frobnicate"
        ),
        "{msg}"
    );
}

#[test]
fn garbage_never_panics() {
    let deep_block = "- ".repeat(5000) + "x";
    let deep_flow = "[".repeat(300);
    let deep_map = (0..300)
        .map(|i| format!("{}k:", " ".repeat(i)))
        .collect::<Vec<_>>()
        .join("\n");
    let inputs: Vec<String> = vec![
        String::new(),
        "   \n\n".into(),
        "Resources: 5".into(),
        "Resources: [1,2]".into(),
        "Resources: ~".into(),
        "Resources:\n  A: 5\n  B: [x]\n  C: {Type: 5}\n  D: {Properties: 1}\n".into(),
        "\u{0}\u{1}\u{2}\u{ff}\u{fffd}garbage{{[[".into(),
        "- a\n- b\n".into(),
        "42".into(),
        "!Ref x".into(),
        "{".into(),
        "}".into(),
        "{\"Resources\": 5}".into(),
        "? [a, b]\n: c\n".into(),
        "*alias".into(),
        "a: &x [*x]".into(),
        "%TAG ! tag:example.com,2000:\n---\na: !foo b\n".into(),
        "a: !<tag:yaml.org,2002:str> b\n".into(),
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: !Ref X\n".into(),
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events: !GetAtt\n      Runtime: [!If]\n      Environment: !Sub [1, 2, 3]\n".into(),
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: !Select [99999999999999999999, [a]]\n      Handler: !Select [-1, [a]]\n      CodeUri: !FindInMap [a]\n      Timeout: !Join\n      MemorySize: 1e999\n".into(),
        "Conditions:\n  A: !Condition B\n  B: !Condition A\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Condition: A\n".into(),
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: !Ref F\n      Runtime: python3.12\n      Handler: a.b\n".into(),
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: !GetAtt G.Arn\n  G:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: !GetAtt F.Arn\n".into(),
        "Parameters: [1]\nMappings: 3\nConditions: x\nGlobals: y\nResources: {}\n".into(),
        "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: !Sub '${'\n      Handler: !Sub '${!'\n      CodeUri: !Sub '${}'\n".into(),
        deep_block,
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n".into(),
        deep_flow,
        deep_map,
    ];
    let _ = project_dir();
    for input in &inputs {
        // Any result is fine; reaching the next input without a panic is the test.
        let _ = try_load(input);
    }
    for len in 0..64 {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 251) as u8).collect();
        let _ = try_load(&String::from_utf8_lossy(&bytes));
    }
    assert!(try_load("Resources: 5").is_err());
    assert!(try_load("").is_err());
}

#[test]
fn empty_and_non_mapping_templates_are_errors() {
    assert_eq!(
        load_err(""),
        "template.yaml: (template): the template is empty"
    );
    assert_eq!(
        load_err("Resources: [1, 2]"),
        "template.yaml: Resources: expected a mapping of resources, got a list"
    );
    assert_eq!(
        load_err("Resources: 5"),
        "template.yaml: Resources: expected a mapping of resources, got a string"
    );
    assert_eq!(
        load_err("- a\n"),
        "template.yaml: (template): expected a mapping of sections (Resources, ...), got a list"
    );
}

#[test]
fn too_deep_nesting_is_an_error_not_a_crash() {
    let text = format!("Resources:\n  A: {}\n", "[".repeat(200) + &"]".repeat(200));
    let msg = load_err(&text);
    assert!(msg.contains("nested more than 128 levels deep"), "{msg}");
}
