//! Real projects' shapes (issue #11): our own small projects under `tests/fixtures/projects/`,
//! written to mirror what public SAM projects contain, each served and requested end to end.

use std::path::{Path, PathBuf};

use crate::support::Gateway;

fn project(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/projects")
        .join(name)
}

/// A copy of a fixture project in a temporary folder, served from there.
fn serve(name: &str, args: &[&str]) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&project(name), dir.path());
    let template = dir.path().join("template.yaml");
    Gateway::start_in(dir, &template, args)
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Java functions beside Python ones: the Python routes are served, the Java route answers 502
/// `runtime-unsupported`, and the route behind the Java authorizer is refused, never open.
#[tokio::test]
async fn a_java_function_does_not_stop_the_python_ones() {
    let gw = serve("java-beside-python", &[]);
    assert!(
        gw.stdout_banner
            .contains("OrdersFunction (java21: not run by glassgate, answers 502)"),
        "{}",
        gw.stdout_banner
    );
    let r = gw.request("GET", "/hello", &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), r#"{"hello": "from python"}"#);

    let r = gw.request("GET", "/orders", &[], "").await;
    assert_eq!(r.status, 502);
    assert_eq!(r.text(), r#"{"message": "Internal server error"}"#);
    assert_eq!(r.header("x-glassgate-layer"), Some("backend"));
    assert_eq!(r.header("x-glassgate-cause"), Some("runtime-unsupported"));
    let t = gw.trace(r.header("x-amzn-requestid").expect("id"));
    let detail = t["failure"]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("its runtime java21 is not one glassgate runs"),
        "{detail}"
    );

    let r = gw
        .request("GET", "/guarded", &[("Authorization", "token")], "")
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(r.text(), r#"{"message":null}"#);
    assert_eq!(r.header("x-glassgate-layer"), Some("authorizer"));
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("authorizer-runtime-unsupported")
    );
}

/// A parameter without a Default and a null value in the environment are empty (as SAM CLI
/// passes them, with a warning), an OpenAPI uri naming `${Fn.Alias}` reaches the function, and
/// so do uris naming a function by its FunctionName (hand-written, and built with Sub).
#[tokio::test]
async fn unresolvable_environment_values_are_empty_and_aliases_resolve() {
    let gw = serve("params-and-aliases", &[]);
    let r = gw.request("GET", "/config", &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let env = r.json();
    assert_eq!(env["SECRET"], "");
    assert_eq!(env["OPTIONAL"], "");
    assert_eq!(env["STAGE"], "dev");
    assert_eq!(
        env["SELF"],
        "arn:aws:lambda:us-east-1:123456789012:function:ConfigFunction:live"
    );
    assert!(
        gw.stdout_banner
            .contains("SECRET uses parameter ApiKeySecret, which has no Default and no value"),
        "{}",
        gw.stdout_banner
    );
    // OpenAPI integrations that name a function by its FunctionName, in a hand-written ARN
    // and in one built with Sub.
    for (path, function) in [("/named", "orders-service"), ("/named-sub", "orders-dev")] {
        let r = gw.request("GET", path, &[], "").await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.json()["AWS_LAMBDA_FUNCTION_NAME"], function, "{path}");
    }
}

/// A Lambda non-proxy integration (`type: aws`) is not answered as a proxy integration, even
/// when the function's Api event names the same route: its request template makes the
/// event, as on AWS, and the route table says so.
#[tokio::test]
async fn a_non_proxy_integration_is_never_served_as_a_proxy() {
    let gw = serve("non-proxy-integration", &[]);
    assert!(
        gw.stdout_banner
            .contains("ItemsFunction (python3.12, non-proxy)"),
        "{}",
        gw.stdout_banner
    );
    assert!(
        gw.stdout_banner.contains(
            "POST /items of API Api is also in the API's definition with integration type AWS"
        ),
        "{}",
        gw.stdout_banner
    );
    let r = gw
        .request(
            "POST",
            "/items",
            &[("Content-Type", "application/json")],
            r#"{"name":"a"}"#,
        )
        .await;
    // The handler got the template's event (a proxy event would carry httpMethod), and the
    // default integration response passed its result through with status 201.
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json(), serde_json::json!({"created": "a"}));
    assert_eq!(r.header("x-glassgate-layer"), Some("backend"));
    // The proxy route beside it is served.
    let r = gw.request("GET", "/health", &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// A folder with `sam build` output is served from `.aws-sam/build` (as SAM CLI does, and
/// said); `--no-build-dir` serves the source, whose missing dependency fails with a diagnosis
/// naming requirements.txt and the fix; a Node handler importing the AWS SDK v3 (which
/// Lambda's runtimes include) is told to install it.
#[tokio::test]
async fn sam_build_output_is_served_and_missing_dependencies_are_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&project("sam-build-output"), dir.path());
    let folder = dir.path().to_path_buf();
    let gw = Gateway::start_in(dir, &folder, &[]);
    assert!(
        gw.stdout_banner.contains(".aws-sam/build/template.yaml"),
        "{}",
        gw.stdout_banner
    );
    let r = gw.request("GET", "/hello", &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "HELLO!");
    drop(gw);

    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&project("sam-build-output"), dir.path());
    let folder = dir.path().to_path_buf();
    let gw = Gateway::start_in(dir, &folder, &["--no-build-dir"]);
    assert!(
        gw.stdout_banner
            .contains("function HelloFunction lists 1 requirements in"),
        "{}",
        gw.stdout_banner
    );
    let r = gw.request("GET", "/hello", &[], "").await;
    assert_eq!(r.status, 502);
    assert_eq!(r.header("x-glassgate-cause"), Some("handler-init-error"));
    let t = gw.trace(r.header("x-amzn-requestid").expect("id"));
    let detail = t["failure"]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("shoutcase is not installed:")
            && detail.contains("pip install -r requirements.txt"),
        "{detail}"
    );
    let r = gw.request("GET", "/table", &[], "").await;
    assert_eq!(r.status, 502);
    let t = gw.trace(r.header("x-amzn-requestid").expect("id"));
    let detail = t["failure"]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("@aws-sdk/client-dynamodb is part of the AWS SDK v3"),
        "{detail}"
    );
}

/// Two REST APIs with the same path: the first serves it at the root, the second answers on
/// its own host (as each API has its own endpoint on AWS), and the route table says so.
#[tokio::test]
async fn two_rest_apis_with_the_same_path_are_both_reachable() {
    let gw = serve("two-rest-apis", &[]);
    assert!(
        gw.stdout_banner
            .contains("GET /items of API AdminApi is not served at the root"),
        "{}",
        gw.stdout_banner
    );
    let admin_id = gw
        .stdout_banner
        .split("REST API AdminApi (id ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .expect("AdminApi's id in the route table")
        .to_owned();
    let r = gw.request("GET", "/items", &[], "").await;
    assert_eq!(r.text(), "public");
    // A route only the second API has is at the root too.
    let r = gw.request("GET", "/users", &[], "").await;
    assert_eq!(r.text(), "admin");
    let host = format!("{admin_id}.localhost");
    let r = gw.request("GET", "/items", &[("Host", &host)], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "admin");
}

/// Code that is not a folder: a `.zip` unpacked once into the cache, a single file alone in
/// its folder, SAM `InlineCode` and CloudFormation `Code.ZipFile` written as Lambda names them.
#[tokio::test]
async fn zipped_single_file_and_inline_code_run() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&project("packaged-code"), dir.path());
    {
        let file = std::fs::File::create(dir.path().join("dist/app.zip")).expect("zip");
        let mut zip = zip::ZipWriter::new(file);
        zip.start_file("app.py", zip::write::SimpleFileOptions::default())
            .expect("entry");
        zip.write_all(
            b"def handler(event, context):\n    return {\"statusCode\": 200, \"body\": \"zip\"}\n",
        )
        .expect("write");
        zip.finish().expect("finish");
    }
    let cache = tempfile::tempdir().expect("cache");
    let template = dir.path().join("template.yaml");
    let env = [("GLASSGATE_CACHE_DIR", cache.path().to_str().expect("utf-8"))];
    let gw = Gateway::start_in_with_env(dir, &template, &[], &env);
    for (path, body) in [
        ("/zip", "zip"),
        ("/file", "single.py"),
        ("/inline", "inline"),
        ("/zipfile", "zipfile"),
    ] {
        let r = gw.request("GET", path, &[], "").await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.text(), body, "{path}");
    }
    // Unpacked under the cache, named by content.
    let unpacked: Vec<String> = std::fs::read_dir(cache.path().join("code"))
        .expect("cache")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        unpacked.iter().any(|n| n.starts_with("zip-")),
        "{unpacked:?}"
    );
}

/// Layers from local folders reach the runtime as Lambda's `/opt` would: Python imports from
/// `python/`, Node requires from `nodejs/node_modules`, `bin/` is on PATH (a Globals layer); a
/// layer of another account is named as not mountable.
#[tokio::test]
async fn local_layers_are_mounted() {
    let gw = serve("layers", &[]);
    assert!(
        gw.stdout_banner.contains(
            "layer arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:7 of function PyFunction is not in this template"
        ),
        "{}",
        gw.stdout_banner
    );
    let r = gw.request("GET", "/py", &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "shared says hi to py; tool from a layer; True");
    let r = gw.request("GET", "/node", &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "greet says hi to node");
}

/// YAML PyYAML reads (a duplicated key, the last one kept; a closing bracket left of its key)
/// is served as SAM CLI would serve it, with warnings naming the lines.
#[tokio::test]
async fn yaml_that_pyyaml_reads_is_served() {
    let gw = serve("pyyaml-leniency", &[]);
    assert!(
        gw.stdout_banner
            .contains("key MODE is written 2 times in one mapping (lines 13, 15)"),
        "{}",
        gw.stdout_banner
    );
    assert!(
        gw.stdout_banner
            .contains("line 18: a flow collection's closing bracket")
    );
    let r = gw.request("GET", "/echo", &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "final items");
}

/// Whether pip's and npm's registries answer; `glassgate build` needs them.
fn registries_reachable() -> bool {
    use std::net::ToSocketAddrs;
    ["pypi.org:443", "registry.npmjs.org:443"]
        .iter()
        .all(|host| {
            host.to_socket_addrs()
                .ok()
                .and_then(|mut a| a.next())
                .is_some_and(|addr| {
                    std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(3))
                        .is_ok()
                })
        })
}

/// `glassgate build` installs declared dependencies with the real pip and npm into the cache
/// (never into the source folders), an unchanged project installs nothing, and `serve` finds
/// them: Python imports, Node `require` (NODE_PATH) and Node `import` (the resolve hook), and
/// the AWS SDK packages a Node handler imports without declaring them.
#[tokio::test]
async fn build_installs_dependencies_that_serve_then_finds() {
    if !registries_reachable() && std::env::var_os("CI").is_none() {
        eprintln!(
            "skipped: pypi.org or registry.npmjs.org cannot be reached from here (CI runs it)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&project("needs-build"), dir.path());
    let cache = tempfile::tempdir().expect("cache");
    let env = [("GLASSGATE_CACHE_DIR", cache.path().to_str().expect("utf-8"))];
    let build = |dir: &Path| {
        let out = crate::support::glassgate()
            .envs(env)
            .arg("build")
            .arg(dir)
            .output()
            .expect("run build");
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{text}");
        text
    };
    let first = build(dir.path());
    assert_eq!(first.matches("installing").count(), 3, "{first}");
    // The AWS SDK that Lambda's Node.js runtimes include, imported without a package.json.
    assert!(
        first.contains("SdkFunction: installing @aws-sdk/types (imported, not declared"),
        "{first}"
    );
    assert!(
        first.contains("PyFunction: installing") && first.contains("with pip"),
        "{first}"
    );
    assert!(first.contains("with npm"), "{first}");
    let again = build(dir.path());
    assert_eq!(again.matches("up to date").count(), 4, "{again}");
    assert!(!again.contains("installing"), "{again}");
    // The source folders are as they were.
    assert!(!dir.path().join("node/node_modules").exists());
    assert!(!dir.path().join("py/six.py").exists());

    let template = dir.path().join("template.yaml");
    let gw = Gateway::start_in_with_env(dir, &template, &[], &env);
    assert!(
        !gw.stdout_banner.contains("not installed"),
        "{}",
        gw.stdout_banner
    );
    for (path, body) in [
        ("/py", "six 1.16.0"),
        ("/esm", "esm true"),
        ("/cjs", "cjs false"),
        ("/sdk", "sdk object"),
    ] {
        let r = gw.request("GET", path, &[], "").await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.text(), body, "{path}");
    }
}

/// SAM `Cors` on REST APIs: the OPTIONS methods SAM adds answer the configured headers from a
/// MOCK, and take the API's DefaultAuthorizer unless AddDefaultAuthorizerToCorsPreflight is
/// false, so the browser preflight trap of a guarded API reproduces.
#[tokio::test]
async fn sam_cors_adds_preflight_methods_that_meet_the_default_authorizer() {
    let gw = serve("rest-cors", &[]);
    assert!(
        gw.stdout_banner
            .contains("OPTIONS /guarded/items  -> MOCK (answers 200), authorizer Tok"),
        "{}",
        gw.stdout_banner
    );
    let preflight = [
        ("Origin", "https://app.example.com"),
        ("Access-Control-Request-Method", "POST"),
    ];
    // The guarded API: the preflight carries no token, so the authorizer refuses it.
    let r = gw
        .request("OPTIONS", "/guarded/items", &preflight, "")
        .await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.header("x-glassgate-layer"), Some("authorizer"));
    let id = r.header("x-amzn-RequestId").expect("id").to_owned();
    let diagnosis = gw.trace(&id)["diagnosis"].to_string();
    assert!(
        diagnosis.contains("AddDefaultAuthorizerToCorsPreflight: false"),
        "{diagnosis}"
    );
    // With a token (or through the admin API's bypass) the mock answers.
    let mut with_token = preflight.to_vec();
    with_token.push(("Authorization", "Bearer ok"));
    let r = gw
        .request("OPTIONS", "/guarded/items", &with_token, "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET,POST,OPTIONS")
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("Content-Type,Authorization")
    );
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    // The open API: its preflight skips the authorizer; ANY lists every method.
    let r = gw.request("OPTIONS", "/open/items", &preflight, "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT")
    );
    // The API's own routes are as before.
    let r = gw
        .request("GET", "/open/items", &[("Authorization", "Bearer ok")], "")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
}
