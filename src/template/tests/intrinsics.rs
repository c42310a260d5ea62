//! Parameters, pseudo parameters, mappings, conditions and every intrinsic function, observed
//! through a function's environment variables.

use indexmap::IndexMap;

use super::{load_err, load_err_with, load_ok, load_ok_with, opts, warnings};

/// A template whose function `Fn` has the given extra sections and environment variables.
fn with_env(sections: &str, vars: &str) -> String {
    format!(
        r#"
{sections}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
{vars}
"#
    )
}

fn env(text: &str) -> IndexMap<String, String> {
    load_ok(text).functions["Fn"].environment.clone()
}

#[test]
fn pseudo_parameters() {
    let e = env(&with_env(
        "",
        r#"          REGION: !Ref AWS::Region
          ACCOUNT: !Ref AWS::AccountId
          STACK: !Ref AWS::StackName
          PARTITION: !Ref AWS::Partition
          SUFFIX: !Ref AWS::URLSuffix
          STACK_ID: !Ref AWS::StackId
          ARNS: !Join [",", !Ref AWS::NotificationARNs]
          GONE: !Ref AWS::NoValue"#,
    ));
    assert_eq!(e["REGION"], "eu-west-1");
    assert_eq!(e["ACCOUNT"], "123456789012");
    assert_eq!(e["STACK"], "demo");
    assert_eq!(e["PARTITION"], "aws");
    assert_eq!(e["SUFFIX"], "amazonaws.com");
    assert_eq!(
        e["STACK_ID"],
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/demo/00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(e["ARNS"], "");
    assert!(!e.contains_key("GONE"));
}

const PARAMS: &str = r#"
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Size:
    Type: Number
    Default: 256
  Names:
    Type: CommaDelimitedList
    Default: "a, b,c"
  Secret:
    Type: String
"#;

#[test]
fn parameters_defaults_and_overrides() {
    let text = with_env(
        PARAMS,
        "          STAGE: !Ref Stage\n          SIZE: !Ref Size\n          NAMES: !Join ['|', !Ref Names]\n          SECOND: !Select [1, !Ref Names]",
    );
    let e = env(&text);
    assert_eq!(e["STAGE"], "dev");
    assert_eq!(e["SIZE"], "256");
    assert_eq!(e["NAMES"], "a|b|c");
    assert_eq!(e["SECOND"], "b");

    let mut o = opts();
    o.parameter_overrides.insert("Stage".into(), "prod".into());
    o.parameter_overrides.insert("Names".into(), "x,y".into());
    o.parameter_overrides.insert("Nope".into(), "1".into());
    let m = load_ok_with(&text, &o);
    let e = &m.functions["Fn"].environment;
    assert_eq!(e["STAGE"], "prod");
    assert_eq!(e["NAMES"], "x|y");
    assert_eq!(
        warnings(&m),
        [
            "--parameter-overrides: parameter Nope is not declared in the template's Parameters; ignored"
        ]
    );
}

#[test]
fn parameter_without_value_is_an_error_only_when_used() {
    // Declared without Default but unused: fine.
    load_ok(&with_env(PARAMS, "          A: b"));
    // Used where an empty value would make glassgate answer wrongly: an error. (In an
    // environment variable it is empty, as SAM CLI makes it:
    // `environment_values_sam_cli_cannot_resolve_are_empty`.)
    let text = with_env(
        PARAMS,
        "          A: !Ref Secret\n          B: !Sub '${Secret}-x'",
    )
    .replace("Handler: app.handler", "Handler: !Ref Secret");
    assert_eq!(
        load_err(&text),
        "template.yaml: Parameters.Secret: parameter Secret has no Default and no value was given \
         (used at Resources.Fn.Properties.Handler.Ref); pass --parameter-overrides Secret=Value"
    );
    let text = text.replace("Handler: !Ref Secret", "Handler: app.handler");
    let mut o = opts();
    o.parameter_overrides
        .insert("Secret".into(), "s3cr3t".into());
    assert_eq!(
        load_ok_with(&text, &o).functions["Fn"].environment["B"],
        "s3cr3t-x"
    );
}

#[test]
fn parameter_values_are_checked() {
    let mut o = opts();
    o.parameter_overrides.insert("Stage".into(), "qa".into());
    o.parameter_overrides.insert("Size".into(), "big".into());
    let msg = load_err_with(&with_env(PARAMS, "          A: b"), &o);
    assert_eq!(
        msg,
        "template.yaml: Parameters.Stage: value \"qa\" (--parameter-overrides Stage=qa) is not one of the AllowedValues: dev, prod\n\
         template.yaml: Parameters.Size: parameter Size is a Number but its value \"big\" (--parameter-overrides Size=big) is not a number"
    );
}

#[test]
fn sub_forms() {
    let e = env(&with_env(
        "Parameters:\n  Name:\n    Type: String\n    Default: app",
        r#"          PLAIN: !Sub "${Name}-${AWS::Region}-${Fn}"
          ATTR: !Sub "${Fn.Arn}"
          LITERAL: !Sub "${!Name} and ${!AWS::Region} ${Name}"
          VARS: !Sub
            - "${A}/${B}/${Name}"
            - A: !Sub "${Name}-inner"
              B: !Select [0, !Split ["/", "x/y"]]
          NO_VARS: !Sub ["just ${AWS::Partition}", {}]
          JSON_LIKE: !Sub '{"a": "${Name}"}'"#,
    ));
    assert_eq!(e["PLAIN"], "app-eu-west-1-Fn");
    assert_eq!(
        e["ATTR"],
        "arn:aws:lambda:eu-west-1:123456789012:function:Fn"
    );
    assert_eq!(e["LITERAL"], "${Name} and ${AWS::Region} app");
    assert_eq!(e["VARS"], "app-inner/x/app");
    assert_eq!(e["NO_VARS"], "just aws");
    assert_eq!(e["JSON_LIKE"], r#"{"a": "app"}"#);
}

#[test]
fn sub_errors_name_the_path() {
    let msg = load_err(&with_env(
        "Parameters:\n  L:\n    Type: CommaDelimitedList\n    Default: a,b",
        "          A: !Sub '${L}'\n          B: !Sub 'x ${oops'\n          C: !Sub '${Missing}'",
    ));
    assert_eq!(
        msg,
        "template.yaml: Resources.Fn.Properties.Environment.Variables.A.Fn::Sub: ${L} is a list; Fn::Sub needs a string (use Fn::Join for lists)\n\
         template.yaml: Resources.Fn.Properties.Environment.Variables.B.Fn::Sub: unterminated ${ in Fn::Sub (write ${!Name} for a literal ${Name})\n\
         template.yaml: Resources.Fn.Properties.Environment.Variables.C.Fn::Sub: unresolved reference to Missing: no parameter, pseudo parameter or resource has that name"
    );
}

#[test]
fn join_select_split_base64() {
    let e = env(&with_env(
        "",
        r#"          JOIN: !Join ["", [a, 1, true, !Ref AWS::Region]]
          SELECT_SPLIT: !Select [2, !Split [",", "a,b,c,d"]]
          SELECT_TEXT_INDEX: !Select ["0", [x, y]]
          B64: !Base64 "hello world""#,
    ));
    assert_eq!(e["JOIN"], "a1trueeu-west-1");
    assert_eq!(e["SELECT_SPLIT"], "c");
    assert_eq!(e["SELECT_TEXT_INDEX"], "x");
    assert_eq!(e["B64"], "aGVsbG8gd29ybGQ=");
}

#[test]
fn select_out_of_range_is_an_error() {
    let msg = load_err(&with_env("", "          A: !Select [5, [a, b]]"));
    assert_eq!(
        msg,
        "template.yaml: Resources.Fn.Properties.Environment.Variables.A.Fn::Select: index 5 is past the end of the list"
    );
}

const CONDITIONS: &str = r#"
Parameters:
  Env:
    Type: String
    Default: prod
Mappings:
  Regions:
    eu-west-1:
      Bucket: eu-bucket
      Sizes: [1, 2]
    us-east-1:
      Bucket: us-bucket
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  IsEu: !Equals [!Ref AWS::Region, eu-west-1]
  ProdAndEu: !And [!Condition IsProd, !Condition IsEu]
  DevOrEu: !Or [!Condition IsDev, !Condition IsEu]
  NumberEq: !Equals [30, "30"]
"#;

#[test]
fn if_conditions_and_no_value() {
    let e = env(&with_env(
        CONDITIONS,
        r#"          PROD: !If [IsProd, yes, no]
          DEV: !If [IsDev, yes, !Ref AWS::NoValue]
          BOTH: !If [ProdAndEu, yes, no]
          EITHER: !If [DevOrEu, yes, no]
          NUM: !If [NumberEq, yes, no]
          LIST: !Join [",", [a, !If [IsDev, b, !Ref AWS::NoValue], c]]"#,
    ));
    assert_eq!(e["PROD"], "yes");
    assert!(!e.contains_key("DEV"));
    assert_eq!(e["BOTH"], "yes");
    assert_eq!(e["EITHER"], "yes");
    assert_eq!(e["NUM"], "yes");
    assert_eq!(e["LIST"], "a,c");
}

#[test]
fn if_can_remove_a_whole_property() {
    let text = with_env(CONDITIONS, "          A: b").replace(
        "      Runtime: python3.12",
        "      Runtime: python3.12\n      Timeout: !If [IsDev, 60, !Ref AWS::NoValue]",
    );
    assert_eq!(load_ok(&text).functions["Fn"].timeout.as_secs(), 3);
}

#[test]
fn find_in_map() {
    let e = env(&with_env(
        CONDITIONS,
        r#"          BUCKET: !FindInMap [Regions, !Ref AWS::Region, Bucket]
          SIZE: !Select [1, !FindInMap [Regions, eu-west-1, Sizes]]"#,
    ));
    assert_eq!(e["BUCKET"], "eu-bucket");
    assert_eq!(e["SIZE"], "2");
    let msg = load_err(&with_env(
        CONDITIONS,
        "          A: !FindInMap [Regions, ap-south-1, Bucket]\n          B: !FindInMap [Nope, a, b]\n          C: !FindInMap [Regions, us-east-1, Sizes]",
    ));
    assert_eq!(
        msg,
        "template.yaml: Resources.Fn.Properties.Environment.Variables.A.Fn::FindInMap: mapping Regions has no top-level key \"ap-south-1\"\n\
         template.yaml: Resources.Fn.Properties.Environment.Variables.B.Fn::FindInMap: no mapping named Nope in the Mappings section\n\
         template.yaml: Resources.Fn.Properties.Environment.Variables.C.Fn::FindInMap: mapping Regions has no key \"Sizes\" under \"us-east-1\""
    );
}

#[test]
fn resource_condition_excludes_the_resource() {
    let text = format!(
        "{CONDITIONS}{}",
        r#"
Resources:
  DevOnly:
    Type: AWS::Serverless::Function
    Condition: IsDev
    Properties:
      CodeUri: does-not-exist
      Runtime: java21
      Events:
        Get: {Type: Api, Properties: {Path: /dev, Method: get}}
  Always:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
  Table:
    Type: AWS::DynamoDB::Table
    Condition: IsDev
"#
    );
    let m = load_ok(&text);
    assert_eq!(m.functions.keys().collect::<Vec<_>>(), ["Always"]);
    assert!(m.apis.is_empty());
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);

    let referencing = text.replace(
        "      Runtime: python3.12\n  Table",
        "      Runtime: python3.12\n      Environment:\n        Variables:\n          OTHER: !Ref DevOnly\n  Table",
    );
    assert_eq!(
        load_err(&referencing),
        "template.yaml: Resources.Always.Properties.Environment.Variables.OTHER.Ref: DevOnly is referenced here but its Condition excludes it"
    );
}

#[test]
fn condition_errors() {
    let msg = load_err(&with_env(
        "Conditions:\n  A: !Condition B\n  B: !Condition A\n  C: !Equals [a]\n  D: !Ref X",
        "          X: !If [A, a, b]\n          Y: !If [Missing, a, b]\n          Z: !If [C, a, b]\n          W: !If [D, a, b]\n          V: !Equals [a, a]",
    ));
    assert_eq!(
        msg,
        "template.yaml: Conditions.A: condition A depends on itself\n\
         template.yaml: Resources.Fn.Properties.Environment.Variables.Y.Fn::If[0]: no condition named Missing in the Conditions section\n\
         template.yaml: Conditions.C.Fn::Equals: expected [value, value], got a list of 1 elements\n\
         template.yaml: Conditions.D: expected a condition (Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition), got Ref\n\
         template.yaml: Resources.Fn.Properties.Environment.Variables.V.Fn::Equals: Fn::Equals can only be used in the Conditions section"
    );
}

#[test]
fn ref_and_getatt_of_resources() {
    let text = format!(
        "{}{}",
        with_env(
            "",
            r#"          SELF: !Ref Fn
          OTHER: !Ref Named
          OTHER_ARN: !GetAtt Named.Arn
          OTHER_ARN_LONG: !GetAtt [Named, Arn]
          TABLE: !Ref Table
          TABLE_ARN: !GetAtt Table.Arn
          STREAM: !Sub "${Table.StreamArn}"
          API: !Ref ServerlessRestApi"#
        ),
        r#"  Named:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-named"
      Code: src
      Handler: index.handler
      Runtime: nodejs20.x
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      StreamSpecification: !ImportValue NotUsed
"#
    );
    let m = load_ok(&text);
    let e = &m.functions["Fn"].environment;
    assert_eq!(e["SELF"], "Fn");
    assert_eq!(e["OTHER"], "demo-named");
    assert_eq!(
        e["OTHER_ARN"],
        "arn:aws:lambda:eu-west-1:123456789012:function:demo-named"
    );
    assert_eq!(e["OTHER_ARN_LONG"], e["OTHER_ARN"]);
    assert_eq!(e["TABLE"], "Table");
    assert_eq!(e["TABLE_ARN"], "Table.Arn");
    assert_eq!(e["STREAM"], "Table.StreamArn");
    assert_eq!(e["API"], "ServerlessRestApi");
    assert_eq!(m.functions["Named"].function_name, "demo-named");
    assert_eq!(
        warnings(&m),
        [
            "Resources.Fn.Properties.Environment.Variables.TABLE_ARN.Fn::GetAtt: Fn::GetAtt Table.Arn cannot be resolved locally; using the text \"Table.Arn\"",
            "Resources.Fn.Properties.Environment.Variables.STREAM.Fn::Sub: Fn::GetAtt Table.StreamArn cannot be resolved locally; using the text \"Table.StreamArn\"",
            // The ImportValue in the table is never evaluated, so it is not reported.
            "Resources.Table: resource type AWS::DynamoDB::Table is not emulated; ignored",
        ]
    );
}

#[test]
fn unsupported_intrinsics_warn_and_use_a_placeholder() {
    let m = load_ok(&with_env(
        "",
        "          VPC: !ImportValue shared-vpc\n          AZS: !GetAZs ''\n          CIDR: !Cidr [10.0.0.0/16, 2, 8]",
    ));
    let e = &m.functions["Fn"].environment;
    assert_eq!(e["VPC"], "Fn::ImportValue(shared-vpc)");
    assert_eq!(e["AZS"], "Fn::GetAZs()");
    assert_eq!(e["CIDR"], "Fn::Cidr(...)");
    assert_eq!(
        warnings(&m),
        [
            "Resources.Fn.Properties.Environment.Variables.VPC.Fn::ImportValue: Fn::ImportValue cannot be evaluated locally; using the text \"Fn::ImportValue(shared-vpc)\"",
            "Resources.Fn.Properties.Environment.Variables.AZS.Fn::GetAZs: Fn::GetAZs cannot be evaluated locally; using the text \"Fn::GetAZs()\"",
            "Resources.Fn.Properties.Environment.Variables.CIDR.Fn::Cidr: Fn::Cidr cannot be evaluated locally; using the text \"Fn::Cidr(...)\"",
        ]
    );
    // The placeholder is text, so selecting from it is an error rather than a guess.
    assert_eq!(
        load_err(&with_env("", "          AZ: !Select [0, !GetAZs '']")),
        "template.yaml: Resources.Fn.Properties.Environment.Variables.AZ.Fn::Select[1]: expected a list, got a string"
    );
}

#[test]
fn reference_errors() {
    let msg = load_err(&with_env(
        "",
        "          A: !Ref Nothing\n          B: !GetAtt Nothing.Arn\n          C: !Ref AWS::Nope\n          D: !GetAtt NoDot",
    ));
    assert_eq!(
        msg,
        "template.yaml: Resources.Fn.Properties.Environment.Variables.A.Ref: unresolved reference to Nothing: no parameter, pseudo parameter or resource has that name\n\
         template.yaml: Resources.Fn.Properties.Environment.Variables.B.Fn::GetAtt: Fn::GetAtt refers to Nothing, which is not a resource of this template\n\
         template.yaml: Resources.Fn.Properties.Environment.Variables.C.Ref: unknown pseudo parameter AWS::Nope\n\
         template.yaml: Resources.Fn.Properties.Environment.Variables.D.Fn::GetAtt: expected \"LogicalId.Attribute\", got \"NoDot\""
    );
}

#[test]
fn function_name_cycles_are_errors() {
    let text = with_env("", "          A: b").replace(
        "      CodeUri: src",
        "      CodeUri: src\n      FunctionName: !Sub '${Fn}-x'",
    );
    let msg = load_err(&text);
    assert!(
        msg.contains("Resources.Fn.Properties.FunctionName: FunctionName of Fn depends on itself"),
        "{msg}"
    );
}

#[test]
fn environment_values_sam_cli_cannot_resolve_are_empty() {
    // As SAM CLI: a parameter without a value, and null, give an empty variable (with a
    // warning here); the parameter used anywhere else is still an error.
    let text = with_env(
        "Parameters:\n  Secret: {Type: String}\n  Stage: {Type: String, Default: dev}",
        "          A: !Ref Secret\n          B: !Sub \"${Stage}-${Secret}\"\n          C: null\n          D: !Sub \"${Stage}\"",
    );
    let m = load_ok(&text);
    let e = &m.functions["Fn"].environment;
    assert_eq!(e["A"], "");
    assert_eq!(e["B"], "");
    assert_eq!(e["C"], "");
    assert_eq!(e["D"], "dev");
    assert_eq!(
        warnings(&m),
        [
            "Resources.Fn.Properties.Environment.Variables.A: A uses parameter Secret, which has no Default and no value: it is empty, as SAM CLI passes it (give one with --parameter-overrides Secret=VALUE)",
            "Resources.Fn.Properties.Environment.Variables.B: B uses parameter Secret, which has no Default and no value: it is empty, as SAM CLI passes it (give one with --parameter-overrides Secret=VALUE)",
            "Resources.Fn.Properties.Environment.Variables.C: C is null: it is empty, as SAM CLI passes it",
        ]
    );
    let text = with_env(
        "Parameters:\n  Secret: {Type: String}",
        "          A: !Ref Secret",
    )
    .replace("Handler: app.handler", "Handler: !Ref Secret");
    assert!(load_err(&text).contains("parameter Secret has no Default"));
}

#[test]
fn auto_published_aliases_and_versions_name_the_function() {
    let text = with_env("", "          A: !Ref Fn.Alias\n          B: !Ref Fn.Version\n          C: !Sub \"${Fn.Alias}\"\n          D: !Ref FnAliaslive")
        .replace("Runtime: python3.12", "Runtime: python3.12\n      AutoPublishAlias: live");
    let e = env(&text);
    assert_eq!(
        e["A"],
        "arn:aws:lambda:eu-west-1:123456789012:function:Fn:live"
    );
    assert_eq!(
        e["B"],
        "arn:aws:lambda:eu-west-1:123456789012:function:Fn:1"
    );
    assert_eq!(e["C"], e["A"]);
    assert_eq!(e["D"], e["A"]);
    // Without AutoPublishAlias there is no alias to name.
    let text = with_env("", "          A: !Ref Fn.Alias");
    assert!(
        load_err(&text).contains("Fn.Alias exists only when Fn has AutoPublishAlias"),
        "{}",
        load_err(&text)
    );
}
