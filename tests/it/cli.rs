//! The command line: `validate` reports, broken templates get errors that name the file,
//! resource and path, and `serve` prints the route table.

use crate::support::{fail, glassgate, handlers, succeed};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn validate_reports_routes_and_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = write(
        &dir,
        "template.yaml",
        &format!(
            r#"
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {}
      Handler: app.echo
      Events:
        Get: {{Type: Api, Properties: {{Path: /hello, Method: get}}}}
        Queue: {{Type: SQS, Properties: {{Queue: arn:aws:sqs:us-east-1:123456789012:q}}}}
  Table:
    Type: AWS::DynamoDB::Table
"#,
            handlers("python").display()
        ),
    );
    let out = glassgate().arg("validate").arg(&t).output().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("GET     /hello"), "{stdout}");
    assert!(stdout.contains("-> Hello (python3.12)"), "{stdout}");
    assert!(
        stdout.contains("warning: ") && stdout.contains("Table"),
        "{stdout}"
    );
    assert!(stdout.contains("Queue"), "{stdout}");
}

#[test]
fn validate_finds_the_template_in_the_current_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        &dir,
        "template.json",
        &format!(
            r#"{{"Resources": {{"Fn": {{"Type": "AWS::Serverless::Function", "Properties": {{"Runtime": "nodejs20.x", "CodeUri": "{}", "Handler": "index.echo", "Events": {{"E": {{"Type": "Api", "Properties": {{"Path": "/x", "Method": "ANY"}}}}}}}}}}}}}}"#,
            handlers("node").display()
        ),
    );
    let stdout = succeed(glassgate().arg("validate").current_dir(dir.path()));
    assert!(stdout.contains("ANY     /x"), "{stdout}");
}

#[test]
fn broken_templates_name_the_file_resource_and_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = write(
        &dir,
        "broken.yaml",
        r#"
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: .
      Handler: app.handler
      Events:
        Get:
          Type: Api
          Properties:
            Path: [not, a, string]
            Method: get
"#,
    );
    let stderr = fail(glassgate().arg("validate").arg(&t));
    assert!(stderr.contains("broken.yaml"), "{stderr}");
    assert!(
        stderr.contains("Resources.Hello.Properties.Events.Get.Properties.Path"),
        "{stderr}"
    );
}

#[test]
fn yaml_syntax_errors_give_a_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = write(&dir, "bad.yaml", "Resources:\n  A: [1, 2\n  B: x\n");
    let stderr = fail(glassgate().arg("validate").arg(&t));
    assert!(
        stderr.contains("bad.yaml") && stderr.contains("line"),
        "{stderr}"
    );
}

#[test]
fn missing_template_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stderr = fail(glassgate().arg("serve").current_dir(dir.path()));
    assert!(
        stderr.contains("no template.yaml, template.yml or template.json"),
        "{stderr}"
    );
}

#[test]
fn bad_parameter_override_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = write(&dir, "template.yaml", "Resources: {}\n");
    let stderr = fail(glassgate().args([
        "validate",
        t.to_str().expect("utf8"),
        "--parameter-overrides",
        "novalue",
    ]));
    assert!(stderr.contains("expected Name=Value"), "{stderr}");
}

#[test]
fn serve_refuses_zero_threads() {
    let stderr = fail(glassgate().args(["serve", "--threads", "0"]));
    assert!(stderr.contains("--threads"), "{stderr}");
}
