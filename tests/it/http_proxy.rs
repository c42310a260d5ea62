//! `HTTP_PROXY` integrations (issue #12) against a real HTTP service on loopback, started by
//! the test: it answers each request with what it received (method, target, headers, body) and
//! has paths that answer late, fail, or cut their answer off. REST (an OpenAPI proxy resource
//! behind a TOKEN authorizer, a fixed endpoint, a CloudFormation method) and HTTP APIs (a
//! `$default` route, a route with a path variable and parameter mappings, a Lambda and a JWT
//! authorizer in front, the upstream failures), large binary bodies both ways, and https
//! upstreams verified against the trust store (a test CA in `tests/fixtures/tls`).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::support::{Gateway, Resp};

/// A small HTTP/1.1 service: `/slow/MS` answers after MS ms, `/status/N` with status N,
/// `/cut` closes after half its body, `/count` answers the length and byte sum of the body
/// it got, `/bytes/N` answers N bytes of binary (`/chunked/N` the same without a declared
/// length), anything else echoes the request as JSON.
struct Upstream {
    addr: SocketAddr,
}

impl Upstream {
    async fn start() -> Upstream {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind upstream");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_connection(stream));
            }
        });
        Upstream { addr }
    }

    /// The same service over TLS on `ip`, with the certificate of `tests/fixtures/tls`
    /// (issued by its test CA to `127.0.0.1` and `localhost`).
    async fn start_tls(ip: &str) -> Upstream {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
        let certs = CertificateDer::pem_file_iter(dir.join("server.pem"))
            .expect("server.pem")
            .collect::<Result<Vec<_>, _>>()
            .expect("certificates");
        let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("server.key");
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate");
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let listener = tokio::net::TcpListener::bind((ip, 0))
            .await
            .expect("bind tls upstream");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the handshake here.
                    if let Ok(tls) = acceptor.accept(stream).await {
                        serve_connection(tls).await;
                    }
                });
            }
        });
        Upstream { addr }
    }
}

async fn serve_connection(mut stream: impl AsyncRead + AsyncWrite + Unpin) {
    let mut buf = Vec::new();
    loop {
        // One request: the head, then Content-Length bytes of body.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + 4 + length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let raw = &buf[head_end + 4..head_end + 4 + length];
        let body = String::from_utf8_lossy(raw).into_owned();
        let sum: u64 = raw.iter().map(|b| u64::from(*b)).sum();
        buf.drain(..head_end + 4 + length);
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default().to_owned();
        // The REST routes put a `/base` before the client's path.
        let full = target.split('?').next().unwrap_or_default().to_owned();
        let path = full.strip_prefix("/base").unwrap_or(&full).to_owned();
        if let Some(ms) = path.strip_prefix("/slow/") {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
        }
        if let Some(n) = path.strip_prefix("/bytes/") {
            let n: usize = n.parse().unwrap_or(0);
            let out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {n}\r\n\r\n"
            );
            let bytes = binary(n);
            if stream.write_all(out.as_bytes()).await.is_err()
                || stream.write_all(&bytes).await.is_err()
            {
                return;
            }
            continue;
        }
        if let Some(n) = path.strip_prefix("/chunked/") {
            // N bytes with no declared length, in chunks of 64 KiB.
            let bytes = binary(n.parse().unwrap_or(0));
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for chunk in bytes.chunks(64 * 1024) {
                let size = format!("{:x}\r\n", chunk.len());
                if stream.write_all(size.as_bytes()).await.is_err()
                    || stream.write_all(chunk).await.is_err()
                    || stream.write_all(b"\r\n").await.is_err()
                {
                    return;
                }
            }
            if stream.write_all(b"0\r\n\r\n").await.is_err() {
                return;
            }
            continue;
        }
        if path == "/count" {
            let answer = serde_json::json!({"length": length, "sum": sum}).to_string();
            let out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                answer.len()
            );
            if stream.write_all(out.as_bytes()).await.is_err() {
                return;
            }
            continue;
        }
        let status: u16 = path
            .strip_prefix("/status/")
            .and_then(|s| s.parse().ok())
            .unwrap_or(200);
        let echo = serde_json::json!({
            "method": method,
            "target": target,
            "headers": headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), serde_json::Value::from(v.as_str()))).collect::<serde_json::Map<_, _>>(),
            "body": body,
        })
        .to_string();
        let out = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nServer: echo\r\nX-Upstream: yes\r\nContent-Length: {}\r\n\r\n",
            echo.len()
        );
        if stream.write_all(out.as_bytes()).await.is_err() {
            return;
        }
        if path == "/cut" {
            let _ = stream.write_all(&echo.as_bytes()[..echo.len() / 2]).await;
            return;
        }
        if stream.write_all(echo.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// `n` bytes covering every byte value, not valid UTF-8.
fn binary(n: usize) -> Vec<u8> {
    // Built from its 256-byte period by copies, not byte by byte: tests build answers of
    // 10 MB and more in a debug build, under a route's 800 ms timeout.
    let period: Vec<u8> = (0..256).map(|i| (i * 7 % 256) as u8).collect();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let take = (n - out.len()).min(period.len());
        out.extend_from_slice(&period[..take]);
    }
    out
}

/// A code folder with a TOKEN authorizer that allows `Bearer ok` as `alice`.
fn authorizer_code() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("auth.py"),
        r#"
def handler(event, context):
    if event.get("authorizationToken") != "Bearer ok":
        raise Exception("Unauthorized")
    return {
        "principalId": "alice",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]},
        "context": {"tenant": "t-1"},
    }
"#,
    )
    .expect("write authorizer");
    dir
}

fn rest_template(up: SocketAddr, code: &std::path::Path) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Auth:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, CodeUri: {code}, Handler: auth.handler}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Variables: {{upstream: "{up}"}}
      DefinitionBody:
        swagger: '2.0'
        info: {{title: proxy, version: '1'}}
        securityDefinitions:
          Tok:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: custom
            x-amazon-apigateway-authorizer:
              type: token
              authorizerUri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Auth.Arn}}/invocations
              authorizerResultTtlInSeconds: 0
        paths:
          /{{proxy+}}:
            x-amazon-apigateway-any-method:
              security: [{{Tok: []}}]
              parameters: [{{name: proxy, in: path, required: true, type: string}}]
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: ANY
                uri: http://{up}/base/{{proxy}}
                timeoutInMillis: 800
                requestParameters:
                  integration.request.path.proxy: method.request.path.proxy
                  integration.request.header.x-user: context.authorizer.principalId
                  integration.request.header.x-tenant: context.authorizer.tenant
          /staged:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://${{stageVariables.upstream}}/base/fixed
          /down:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://127.0.0.1:9/nothing-listens-here
"#,
        code = code.display()
    )
}

async fn get(gw: &Gateway, path: &str, headers: &[(&str, &str)]) -> Resp {
    gw.request("GET", path, headers, "").await
}

#[tokio::test]
async fn rest_http_proxy_forwards_behind_an_authorizer_and_names_upstream_failures() {
    let up = Upstream::start().await;
    let code = authorizer_code();
    let gw = Gateway::start(&rest_template(up.addr, code.path()), &[]);
    assert!(
        gw.stdout_banner
            .contains(&format!("HTTP_PROXY ANY http://{}/base/{{proxy}}", up.addr)),
        "{}",
        gw.stdout_banner
    );
    let bearer = [("Authorization", "Bearer ok")];

    // The rendered URI is the whole URL, the query passed on, the authorizer's output mapped
    // into headers, the gateway's headers added; the answer comes back as it is, with the
    // headers REST remaps.
    let r = get(&gw, "/items/42?x=1&y=a%20b", &bearer).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let echo = r.json();
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["target"], "/base/items/42?x=1&y=a%20b");
    let h = &echo["headers"];
    assert_eq!(h["host"], up.addr.to_string());
    assert_eq!(h["x-user"], "alice");
    assert_eq!(h["x-tenant"], "t-1");
    assert_eq!(h["x-forwarded-for"], "127.0.0.1");
    assert!(h["x-amzn-apigateway-api-id"].as_str().is_some(), "{h}");
    assert!(
        h["x-amzn-trace-id"]
            .as_str()
            .is_some_and(|t| t.starts_with("Root=1-"))
    );
    assert_eq!(r.header("x-upstream"), Some("yes"));
    assert_eq!(r.header("x-amzn-remapped-server"), Some("echo"));
    assert!(r.header("x-amzn-RequestId").is_some());

    // The client's method and body reach the service (ANY); its status comes back.
    let r = gw
        .request(
            "POST",
            "/orders",
            &[("Authorization", "Bearer ok")],
            r#"{"n":1}"#,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["method"], "POST");
    assert_eq!(r.json()["body"], r#"{"n":1}"#);
    let r = get(&gw, "/status/503", &bearer).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("x-glassgate-layer"), Some("backend"));

    // The authorizer still stands in front: no token, no upstream request.
    let r = get(&gw, "/items/1", &[]).await;
    assert_eq!(r.status, 401);

    // A stage variable in the endpoint URL.
    let r = get(&gw, "/staged", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["target"], "/base/fixed");

    // Slower than timeoutInMillis (800 ms): REST's 504.
    let r = get(&gw, "/slow/3000", &bearer).await;
    assert_eq!(r.status, 504, "{}", r.text());
    assert_eq!(r.text(), r#"{"message": "Endpoint request timed out"}"#);
    assert_eq!(r.header("x-glassgate-layer"), Some("integration"));
    assert_eq!(r.header("x-glassgate-cause"), Some("upstream-timeout"));

    // Nothing listens: INTEGRATION_FAILURE, with the cause.
    let r = get(&gw, "/down", &[]).await;
    assert_eq!(r.status, 504, "{}", r.text());
    assert_eq!(r.header("x-glassgate-cause"), Some("upstream-unreachable"));
    let id = r.header("x-amzn-RequestId").expect("id").to_owned();
    let trace = gw.trace(&id);
    assert_eq!(
        trace["upstream"]["url"],
        "http://127.0.0.1:9/nothing-listens-here"
    );
    assert!(
        trace["log"]
            .as_array()
            .expect("log")
            .iter()
            .any(|l| l["message"].as_str().is_some_and(
                |m| m == "Execution failed due to a network error communicating with endpoint"
            )),
        "{trace:#}"
    );

    // An answer cut off in the middle.
    let r = get(&gw, "/cut", &bearer).await;
    assert_eq!(
        r.header("x-glassgate-cause"),
        Some("upstream-broken"),
        "{}",
        r.text()
    );
}

fn http_template(up: SocketAddr, code: &std::path::Path) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, CodeUri: {code}, Handler: simple.handler}}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        info: {{title: proxy, version: '1'}}
        components:
          securitySchemes:
            Simple:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authorizer:
                type: request
                identitySource: $request.header.Authorization
                authorizerUri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{AuthFn.Arn}}/invocations
                authorizerPayloadFormatVersion: '2.0'
                enableSimpleResponses: true
        paths:
          /me:
            get:
              security: [{{Simple: []}}]
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://{up}/me
                payloadFormatVersion: '1.0'
                requestParameters:
                  overwrite:header.x-user: $context.authorizer.user
          /users/{{id}}:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://{up}/u/{{id}}
                payloadFormatVersion: '1.0'
                requestParameters:
                  overwrite:header.x-mapped: $request.header.x-in
                  remove:querystring.drop: "''"
                  append:querystring.added: ${{request.path.id}}-x
          /$default:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: ANY
                uri: http://{up}
                payloadFormatVersion: '1.0'
"#,
        code = code.display()
    )
}

#[tokio::test]
async fn http_api_http_proxy_appends_the_path_maps_parameters_and_says_forwarded() {
    let up = Upstream::start().await;
    let code = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        code.path().join("simple.py"),
        "def handler(event, context):\n    ok = event['headers'].get('authorization') == 'Bearer ana'\n    return {'isAuthorized': ok, 'context': {'user': 'ana'}}\n",
    )
    .expect("write authorizer");
    let gw = Gateway::start(&http_template(up.addr, code.path()), &[]);

    // An HTTP API Lambda authorizer in front: its context reaches the service as a header.
    let r = get(&gw, "/me", &[("Authorization", "Bearer ana")]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["headers"]["x-user"], "ana");
    let r = get(&gw, "/me", &[("Authorization", "Bearer someone")]).await;
    assert_eq!(r.status, 403, "{}", r.text());

    // `$default`: the URI plus the request's path and query; Forwarded and Via added.
    let r = get(&gw, "/any/where?q=1", &[("X-Forwarded-For", "10.0.0.9")]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let echo = r.json();
    assert_eq!(echo["target"], "/any/where?q=1");
    let h = &echo["headers"];
    // The client's X-Forwarded-For hop comes first, then the gateway's own element.
    assert!(
        h["forwarded"]
            .as_str()
            .is_some_and(|f| f.starts_with("for=10.0.0.9,by=")
                && f.contains(";for=127.0.0.1;")
                && f.ends_with("proto=http")),
        "{h}"
    );
    assert_eq!(h["via"], "HTTP/1.1 AmazonAPIGateway");
    assert!(h.get("x-forwarded-for").is_none(), "{h}");
    // A body-less request arrives with `content-length: 0`, as captured on AWS.
    assert_eq!(h["content-length"], "0", "{h}");
    assert_eq!(r.header("server"), Some("echo"));
    assert!(r.header("apigw-requestid").is_some());

    // A route's path variable fills the URI; the mappings change headers and the query.
    let r = get(&gw, "/users/7?keep=1&drop=2", &[("X-In", "from-client")]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let echo = r.json();
    assert_eq!(echo["target"], "/u/7?keep=1&added=7-x");
    assert_eq!(echo["headers"]["x-mapped"], "from-client");

    // Nothing listens behind `$default`'s path? The service answers 404s itself; a cut answer
    // is the integration's failure, in HTTP APIs' words.
    let r = get(&gw, "/cut", &[]).await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(r.text(), r#"{"message":"Internal Server Error"}"#);
    assert_eq!(r.header("x-glassgate-cause"), Some("upstream-broken"));
}

/// Large and binary bodies pass both ways unchanged, through a REST API (behind its TOKEN
/// authorizer) and an HTTP API: a 5 MB upload of every byte value reaches the service whole,
/// and a 4 MB binary answer reaches the client byte for byte.
#[tokio::test]
async fn large_and_binary_bodies_pass_through_unchanged() {
    let up = Upstream::start().await;
    let code = authorizer_code();
    std::fs::write(
        code.path().join("simple.py"),
        "def handler(event, context):\n    return {'isAuthorized': True, 'context': {'user': 'ana'}}\n",
    )
    .expect("write authorizer");
    let rest = Gateway::start(&rest_template(up.addr, code.path()), &[]);
    let http = Gateway::start(&http_template(up.addr, code.path()), &[]);
    let upload = binary(5 * 1024 * 1024);
    let sum: u64 = upload.iter().map(|b| u64::from(*b)).sum();
    let octets = ("Content-Type", "application/octet-stream");
    for (gw, auth) in [(&rest, Some(("Authorization", "Bearer ok"))), (&http, None)] {
        let mut headers = vec![octets];
        headers.extend(auth);
        let r = gw
            .request_bytes(
                "POST",
                "/count",
                &headers,
                bytes::Bytes::from(upload.clone()),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            r.json(),
            serde_json::json!({"length": upload.len(), "sum": sum})
        );
        let r = gw.request("GET", "/bytes/4194304", &headers, "").await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("content-type"), Some("application/octet-stream"));
        assert!(
            r.body[..] == binary(4_194_304)[..],
            "the binary answer changed on its way"
        );
    }
}

/// An upstream answer above API Gateway's 10 MB payload limit is refused as the integration's
/// failure (`upstream-too-large`), whether its head declares the length or it streams without
/// one; 10 MB exactly, and a streamed answer under the limit, pass whole; the gateway keeps
/// serving afterwards.
#[tokio::test]
async fn upstream_answers_above_the_payload_limit_are_refused() {
    const LIMIT: usize = 10 * 1024 * 1024;
    let up = Upstream::start().await;
    let code = authorizer_code();
    std::fs::write(
        code.path().join("simple.py"),
        "def handler(event, context):\n    return {'isAuthorized': True}\n",
    )
    .expect("write authorizer");
    let rest = Gateway::start(&rest_template(up.addr, code.path()), &[]);
    let http = Gateway::start(&http_template(up.addr, code.path()), &[]);
    for (gw, auth, refused) in [
        (&rest, Some(("Authorization", "Bearer ok")), 504),
        (&http, None, 500),
    ] {
        let headers: Vec<_> = auth.into_iter().collect();
        let r = gw
            .request("GET", &format!("/bytes/{LIMIT}"), &headers, "")
            .await;
        assert_eq!(r.status, 200, "10 MB exactly is within the limit");
        assert!(r.body[..] == binary(LIMIT)[..], "the 10 MB answer changed");
        let r = gw.request("GET", "/chunked/200000", &headers, "").await;
        assert_eq!(r.status, 200);
        assert!(
            r.body[..] == binary(200_000)[..],
            "the streamed answer changed"
        );
        for (path, says) in [
            (
                format!("/bytes/{}", LIMIT + 1),
                format!("a body of {} bytes (its Content-Length)", LIMIT + 1),
            ),
            (
                format!("/chunked/{}", LIMIT + 1_000_000),
                "reading stopped at".to_owned(),
            ),
        ] {
            let r = gw.request("GET", &path, &headers, "").await;
            assert_eq!(r.status, refused, "{path}: {}", r.text());
            assert_eq!(r.header("x-glassgate-layer"), Some("integration"), "{path}");
            assert_eq!(
                r.header("x-glassgate-cause"),
                Some("upstream-too-large"),
                "{path}"
            );
            let id = r
                .header("x-amzn-RequestId")
                .or(r.header("apigw-requestid"))
                .expect("a request id");
            let trace = gw.trace(id);
            let detail = trace["failure"]["detail"].as_str().unwrap_or_default();
            assert!(detail.contains(&says), "{path}: {detail}");
            assert!(
                detail.contains("payload limit of 10485760 bytes"),
                "{path}: {detail}"
            );
        }
        let r = gw.request("GET", "/status/200", &headers, "").await;
        assert_eq!(
            r.status, 200,
            "the gateway serves on after refusing an answer"
        );
    }
}

/// An HTTP API's JWT authorizer in front of `HTTP_PROXY` routes: a verified token's claim
/// reaches the service as a header, a bad token never reaches it; and the upstream failures
/// in HTTP APIs' words: slower than the timeout (504), nothing listening (500), and a 5xx of
/// the service's own passed through.
#[tokio::test]
async fn http_api_jwt_in_front_and_upstream_failures() {
    use crate::jwt::{Issuer, claims, token};
    let up = Upstream::start().await;
    let issuer = Issuer::start();
    let t = format!(
        r#"
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        info: {{title: jwt-proxy, version: '1'}}
        components:
          securitySchemes:
            Jwt:
              type: oauth2
              x-amazon-apigateway-authorizer:
                type: jwt
                identitySource: $request.header.Authorization
                jwtConfiguration: {{issuer: "{iss}", audience: [app]}}
        paths:
          /me:
            get:
              security: [{{Jwt: []}}]
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://{up}/me
                payloadFormatVersion: '1.0'
                requestParameters:
                  overwrite:header.x-sub: $context.authorizer.claims.sub
          /slow:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://{up}/slow/3000
                payloadFormatVersion: '1.0'
                timeoutInMillis: 800
          /down:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://127.0.0.1:9/nothing
                payloadFormatVersion: '1.0'
          /mapped/{{code}}:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://{up}/status/{{code}}
                payloadFormatVersion: '1.0'
                responseParameters:
                  "503":
                    overwrite:statuscode: "502"
                    append:header.x-was: $response.header.X-Upstream
                    remove:header.server: "''"
                  "200":
                    overwrite:header.x-method: $response.body.method
                    append:header.x-stage: "${{context.httpMethod}} on ${{context.stage}}"
          /$default:
            x-amazon-apigateway-any-method:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: ANY
                uri: http://{up}
                payloadFormatVersion: '1.0'
"#,
        iss = issuer.url,
        up = up.addr
    );
    let gw = Gateway::start(&t, &[]);
    let good = format!("Bearer {}", token("k1.pem", "k1", claims(&issuer.url)));
    let r = get(&gw, "/me", &[("Authorization", &good)]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["headers"]["x-sub"], "user-1", "{}", r.text());
    let r = get(&gw, "/me", &[("Authorization", "Bearer not-a-jwt")]).await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.header("x-glassgate-layer"), Some("authorizer"));

    let r = get(&gw, "/slow", &[]).await;
    assert_eq!(r.status, 504, "{}", r.text());
    assert_eq!(r.header("x-glassgate-cause"), Some("upstream-timeout"));
    let r = get(&gw, "/down", &[]).await;
    assert_eq!(r.status, 500, "{}", r.text());
    assert_eq!(r.header("x-glassgate-cause"), Some("upstream-unreachable"));
    let r = get(&gw, "/status/502", &[]).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.header("x-upstream"), Some("yes"));
    assert_eq!(r.header("x-glassgate-layer"), Some("backend"));

    // Response parameter mappings, chosen by the endpoint's status.
    let r = get(&gw, "/mapped/503", &[]).await;
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(r.header("x-was"), Some("yes"));
    assert_eq!(r.header("server"), None);
    let r = get(&gw, "/mapped/200", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-method"), Some("GET"));
    assert_eq!(r.header("x-stage"), Some("GET on $default"));
    // A status no mapping names passes through untouched.
    let r = get(&gw, "/mapped/404", &[]).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.header("x-method"), None);
}

/// A REST API with one HTTP_PROXY route per https upstream: `/good` to a certificate the
/// trust store vouches for, `/misnamed` to the same certificate reached at an address it does
/// not name.
fn tls_template(good: SocketAddr, misnamed: SocketAddr) -> String {
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: '2.0'
        info: {{title: tls, version: '1'}}
        paths:
          /good:
            post:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: POST
                uri: https://{good}/base/good
          /misnamed:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: https://{misnamed}/base/misnamed
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_upstreams_are_verified_against_the_trust_store() {
    let good = Upstream::start_tls("127.0.0.1").await;
    // Linux routes all of 127/8 to loopback: the certificate names 127.0.0.1, not this.
    let misnamed = Upstream::start_tls("127.0.0.2").await;
    let t = tls_template(good.addr, misnamed.addr);
    let ca = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls/ca.pem");
    let ca = ca.to_str().expect("utf-8 path");

    // The test CA trusted (SSL_CERT_FILE replaces the system's roots): the request goes
    // through TLS and the body arrives whole.
    let gw = Gateway::start_with_env(&t, &[], &[("SSL_CERT_FILE", ca)]);
    let r = gw
        .request(
            "POST",
            "/good",
            &[("Content-Type", "text/plain")],
            "over tls",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["target"], "/base/good");
    assert_eq!(r.json()["body"], "over tls");
    assert_eq!(r.header("x-glassgate-layer"), Some("backend"));

    // A certificate that does not name the address: refused, and said to be TLS.
    let r = get(&gw, "/misnamed", &[]).await;
    assert_eq!(r.status, 504, "{}", r.text());
    assert_eq!(r.text(), r#"{"message": "Internal server error"}"#);
    assert_eq!(r.header("x-glassgate-layer"), Some("integration"));
    assert_eq!(r.header("x-glassgate-cause"), Some("upstream-tls"));
    let id = r.header("x-amzn-RequestId").expect("id").to_owned();
    let trace = gw.trace(&id);
    let detail = trace["failure"]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(detail.contains("TLS handshake"), "{trace}");
    drop(gw);

    // Without the test CA, the system's trust store does not know the issuer.
    let gw = Gateway::start(&t, &[]);
    let r = gw
        .request("POST", "/good", &[("Content-Type", "text/plain")], "x")
        .await;
    assert_eq!(r.status, 504, "{}", r.text());
    assert_eq!(r.header("x-glassgate-cause"), Some("upstream-tls"));
}

/// An upstream that takes connections and never answers; it counts them.
async fn hung_upstream() -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind hung upstream");
    let addr = listener.local_addr().expect("addr");
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(stream);
        }
    });
    (addr, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_upstream_holds_up_no_other_route() {
    let (hung, accepted) = hung_upstream().await;
    let up = Upstream::start().await;
    let t = format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: '3.0.1'
        info: {{title: hung, version: '1'}}
        paths:
          /hung:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://{hung}/hung
                payloadFormatVersion: '1.0'
                timeoutInMillis: 6000
          /ok:
            get:
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://{ok}/ok
                payloadFormatVersion: '1.0'
"#,
        ok = up.addr
    );
    let gw = std::sync::Arc::new(Gateway::start(&t, &[]));
    // 40 requests wait on the hung service, each on a connection of its own.
    let waiting: Vec<_> = (0..40)
        .map(|_| {
            let gw = gw.clone();
            tokio::spawn(async move { get(&gw, "/hung", &[]).await })
        })
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while accepted.load(std::sync::atomic::Ordering::SeqCst) < 40 {
        assert!(
            std::time::Instant::now() < deadline,
            "the hung service got {} of 40 connections",
            accepted.load(std::sync::atomic::Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Meanwhile another route answers at once, again and again.
    for _ in 0..20 {
        let r = get(&gw, "/ok", &[]).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["target"], "/ok");
    }
    assert!(
        waiting.iter().all(|w| !w.is_finished()),
        "the requests to the hung service ended before its timeout"
    );
    // They end at their integration timeout, named as such.
    for w in waiting {
        let r = w.await.expect("request task");
        assert_eq!(r.status, 504, "{}", r.text());
        assert_eq!(r.header("x-glassgate-cause"), Some("upstream-timeout"));
    }
}
