//! Every error names the file, the resource and the path inside it; errors are collected.

use super::{HELLO, load_err, load_ok, project_dir, warnings};
use crate::template::{LoadOptions, TemplateError, load};

#[test]
fn wrong_type_names_file_resource_and_path() {
    let text = HELLO.replace("Path: /hello", "Path: [/a, /b]");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.HelloFunction.Properties.Events.Get.Properties.Path: expected a string, got a list"
    );
}

#[test]
fn errors_are_collected() {
    let text = r#"
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: missing-folder
      Handler: a.b
      Runtime: java21
      Timeout: 0
      MemorySize: lots
  B:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Runtime: python3.12
      Events:
        NoPath: {Type: Api, Properties: {Method: get}}
        BadMethod: {Type: Api, Properties: {Path: /x, Method: fetch}}
        Relative: {Type: Api, Properties: {Path: x, Method: get}}
        Greedy: {Type: Api, Properties: {Path: "/{proxy+}/more", Method: get}}
        Partial: {Type: Api, Properties: {Path: "/a{id}", Method: get}}
  C:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: a.b
  D:
    Type: AWS::Serverless::Api
    Properties:
      Variables: {A: [1]}
  E:
    Type: AWS::Serverless::Api
    Properties:
      StageName: "bad stage"
"#;
    assert_eq!(
        load_err(text),
        "template.yaml: Resources.A.Properties.Timeout: Timeout must be between 1 and 900 seconds, got 0\n\
         template.yaml: Resources.A.Properties.MemorySize: expected a whole number, got \"lots\"\n\
         template.yaml: Resources.B.Properties.Events.NoPath.Properties: Api event has no Path\n\
         template.yaml: Resources.B.Properties.Events.BadMethod.Properties.Method: unknown HTTP method \"fetch\"; expected GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY\n\
         template.yaml: Resources.B.Properties.Events.Relative.Properties.Path: route paths must start with '/', got \"x\"\n\
         template.yaml: Resources.B.Properties.Events.Greedy.Properties.Path: path \"/{proxy+}/more\": the greedy variable {proxy+} must be the last segment\n\
         template.yaml: Resources.B.Properties.Events.Partial.Properties.Path: path \"/a{id}\": a path variable must be a whole segment like {name} or {name+}, got \"a{id}\"\n\
         template.yaml: Resources.B.Properties: function B has no Handler; python3.12 functions need one (e.g. app.handler)\n\
         template.yaml: Resources.C.Properties: function C has no Runtime (set it on the function or in Globals.Function)\n\
         template.yaml: Resources.D.Properties.Variables.A: expected a string, got a list\n\
         template.yaml: Resources.D.Properties: API D has no StageName (SAM requires one)\n\
         template.yaml: Resources.E.Properties.StageName: stage name \"bad stage\" may only hold letters, digits, '-' and '_'"
    );
}

#[test]
fn a_missing_code_folder_marks_its_function_and_the_rest_is_served() {
    let text = HELLO.replace("CodeUri: src", "CodeUri: ./nowhere");
    let m = load_ok(&text);
    let reason = m.functions["HelloFunction"]
        .unsupported
        .clone()
        .expect("marked");
    assert_eq!(
        reason.replace("template.yaml/", ""),
        format!(
            "its code folder {} does not exist (a CodeUri that is not built yet, or a typo in it)",
            project_dir().join("./nowhere").display()
        )
    );
    assert!(
        warnings(&m).iter().any(|w| w.starts_with(
            "Resources.HelloFunction.Properties.CodeUri: function HelloFunction cannot run under glassgate: its code folder"
        )),
        "{:?}",
        warnings(&m)
    );
    assert_eq!(m.apis[0].routes.len(), 1);
}

#[test]
fn code_in_s3_marks_its_function_with_what_to_do() {
    let text = HELLO.replace("CodeUri: src", "CodeUri: s3://bucket/key.zip");
    let m = load_ok(&text);
    assert_eq!(
        m.functions["HelloFunction"].unsupported.as_deref(),
        Some(
            "its code is in S3 (s3://bucket/key.zip); glassgate runs code from the machine: point CodeUri at the local folder or .zip, or run `sam build` and serve the project (glassgate uses .aws-sam/build)"
        )
    );
    let text = HELLO.replace("CodeUri: src", "CodeUri: {Bucket: b, Key: k}");
    let m = load_ok(&text);
    assert!(
        m.functions["HelloFunction"]
            .unsupported
            .as_deref()
            .is_some_and(|r| r.starts_with("its code is in S3 (Bucket and Key);")),
        "{:?}",
        m.functions["HelloFunction"].unsupported
    );
}

#[test]
fn duplicate_routes_name_both_sources() {
    let text = HELLO.replace(
        "            Method: get\n",
        "            Method: get\n        Again:\n          Type: Api\n          Properties:\n            Path: /hello\n            Method: GET\n",
    );
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.HelloFunction.Properties.Events.Again: route GET /hello of API ServerlessRestApi is also declared at Resources.HelloFunction.Properties.Events.Get"
    );
}

#[test]
fn sibling_path_variables_must_share_a_name() {
    let text = HELLO.replace("Path: /hello", "Path: /users/{id}").replace(
        "            Method: get\n",
        "            Method: get\n        Other:\n          Type: Api\n          Properties:\n            Path: /users/{name}/x\n            Method: get\n",
    );
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.HelloFunction.Properties.Events.Other: path /users/{name}/x uses {name} where /users/{id} (at Resources.HelloFunction.Properties.Events.Get) uses {id}; API Gateway allows one variable name per path level"
    );
}

#[test]
fn rest_api_id_must_point_at_a_serverless_api() {
    let base = format!("{HELLO}  Table:\n    Type: AWS::DynamoDB::Table\n");
    let text = base.replace(
        "Method: get",
        "Method: get\n            RestApiId: !Ref Table",
    );
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.HelloFunction.Properties.Events.Get.Properties.RestApiId: RestApiId refers to Table, which is a AWS::DynamoDB::Table; expected an AWS::Serverless::Api (use !Ref MyApi)"
    );
    let text = base.replace("Method: get", "Method: get\n            RestApiId: abc123");
    assert_eq!(
        load_err(&text),
        "template.yaml: Resources.HelloFunction.Properties.Events.Get.Properties.RestApiId: RestApiId \"abc123\" does not name an AWS::Serverless::Api of this template (use !Ref MyApi)"
    );
}

#[test]
fn functions_glassgate_cannot_run_are_kept_and_marked() {
    // A container image and a runtime glassgate does not run: warnings, not errors; the
    // functions stay in the model (their routes answer 502 when served).
    let text = HELLO.replace(
        "CodeUri: src",
        "PackageType: Image\n      ImageUri: repo:tag",
    );
    let m = load_ok(&text);
    let f = &m.functions["HelloFunction"];
    assert_eq!(
        f.unsupported.as_deref(),
        Some(
            "it is a container image (PackageType: Image); glassgate runs code from a folder (CodeUri)"
        )
    );
    assert!(
        warnings(&m).iter().any(|w| w.starts_with(
            "Resources.HelloFunction.Properties.PackageType: function HelloFunction cannot run under glassgate"
        )),
        "{:?}",
        warnings(&m)
    );
    let text = HELLO.replace("python3.12", "java21");
    let m = load_ok(&text);
    assert_eq!(
        m.functions["HelloFunction"].unsupported.as_deref(),
        Some(
            "its runtime java21 is not one glassgate runs (python3.x, nodejs*.x and provided runtimes)"
        )
    );
    assert_eq!(m.apis[0].routes.len(), 1);
}

#[test]
fn resource_shape_errors() {
    assert_eq!(
        load_err("Resources:\n  A: 5\n  B: {Properties: {}}\n  C: {Type: [x]}\n"),
        "template.yaml: Resources.A: expected a resource (a mapping with Type), got a string\n\
         template.yaml: Resources.B: resource has no Type\n\
         template.yaml: Resources.C.Type: expected a resource type name, got a list"
    );
    assert_eq!(
        load_err("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: [1]\n"),
        "template.yaml: Resources.F.Properties: expected a mapping, got a list"
    );
}

#[test]
fn io_errors_name_the_file() {
    let path = project_dir().join("does-not-exist.yaml");
    let opts = LoadOptions {
        parameter_overrides: Default::default(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        stack_name: "s".into(),
        cache_dir: std::env::temp_dir().join("glassgate-template-tests-cache"),
    };
    let err = load(&path, &opts).expect_err("missing file");
    assert!(matches!(err, TemplateError::Io { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("{}: cannot read the template: ", path.display())),
        "{err}"
    );
    let binary = project_dir().join("binary.yaml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x80]).expect("write");
    let err = load(&binary, &opts).expect_err("not text");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not a text file; a template is UTF-8 YAML or JSON",
            binary.display()
        )
    );
}

#[test]
fn load_reads_the_file() {
    let path = project_dir().join("load-reads.yaml");
    std::fs::write(&path, HELLO).expect("write");
    let opts = LoadOptions {
        parameter_overrides: Default::default(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        stack_name: "s".into(),
        cache_dir: std::env::temp_dir().join("glassgate-template-tests-cache"),
    };
    let m = load(&path, &opts).expect("loads");
    assert_eq!(m.template_path, path);
    assert_eq!(m.functions.len(), 1);
}

#[test]
fn invalid_keeps_the_warnings_found() {
    let text = format!("{HELLO}  Bucket:\n    Type: AWS::S3::Bucket\n").replace(
        "Runtime: python3.12",
        "Runtime: python3.12\n      Timeout: 0",
    );
    match super::try_load(&text) {
        Err(TemplateError::Invalid {
            errors, warnings, ..
        }) => {
            assert_eq!(errors.len(), 1);
            assert_eq!(warnings.len(), 1);
            assert_eq!(warnings[0].location, "Resources.Bucket");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}
