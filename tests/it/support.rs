//! Test support: a real `glassgate serve` process on a free loopback port, a small HTTP
//! client, and paths to the fixture handlers.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

/// A request id as a URL path segment (extended ids are base64: `/`, `+`, `=`).
pub fn enc(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Absolute path of a fixture handler folder (`python`, `node`).
pub fn handlers(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/handlers")
        .join(kind)
}

/// A REST API behind a TOKEN authorizer cached `ttl` s (the conformance handlers'
/// `auth.token_modes`, whose policy covers only the method ARN it was asked about) in front of
/// an echo backend on /a and /b: the API the console and unmasking tests share.
pub fn token_api_template(ttl: u32) -> String {
    let code = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/_handlers/python");
    format!(
        r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: test
      Auth:
        DefaultAuthorizer: Tok
        Authorizers:
          Tok:
            FunctionArn: !GetAtt AuthFn.Arn
            Identity: {{ReauthorizeEvery: {ttl}}}
  AuthFn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code}
      Handler: auth.token_modes
      Timeout: 2
  Backend:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code}
      Handler: backend.echo
      Events:
        A: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /a, Method: get}}}}
        B: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /b, Method: get}}}}
"#,
        code = code.display()
    )
}

/// A fresh code folder holding `app.py` with `source`, and a template serving its `handler`
/// as one Python function (`logical_id`, `Timeout` 30) on `GET path`.
pub fn python_function(logical_id: &str, source: &str, path: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("app.py"), source).expect("write handler");
    let template = format!(
        r#"
Resources:
  {logical_id}:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {code}
      Handler: app.handler
      Timeout: 30
      Events:
        E: {{Type: Api, Properties: {{Path: {path}, Method: get}}}}
"#,
        code = dir.path().display()
    );
    (dir, template)
}

/// The `provided` example binary, built by cargo with the tests.
pub fn provided_example_dir() -> tempfile::TempDir {
    let exe = std::env::current_exe().expect("test exe path");
    let debug = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = debug.join("examples/provided-rust");
    assert!(
        bin.is_file(),
        "{} is missing: the tests need `cargo build --examples` (cargo test and nextest build it)",
        bin.display()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(&bin, dir.path().join("bootstrap")).expect("symlink bootstrap");
    dir
}

#[derive(Default)]
struct Captured {
    text: Mutex<String>,
    changed: Condvar,
}

/// A running `glassgate serve`.
pub struct Gateway {
    child: Child,
    pub addr: SocketAddr,
    /// The admin API.
    pub admin: SocketAddr,
    pub stdout_banner: String,
    stderr: Arc<Captured>,
    /// The read end of stderr when a test keeps it open without reading it.
    _stalled_stderr: Option<std::process::ChildStderr>,
    /// Holds the template folder for as long as the server runs.
    _dir: tempfile::TempDir,
    template: std::path::PathBuf,
}

/// A response as the client saw it.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }
}

pub fn glassgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_glassgate"))
}

/// Run a `glassgate` command that must succeed; its stdout.
pub fn succeed(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run glassgate");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// Run a `glassgate` command that must fail with exit code 2; its stderr.
pub fn fail(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run glassgate");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    err
}

impl Gateway {
    /// Write `template` to a fresh folder and serve it with `args` added.
    pub fn start(template: &str, args: &[&str]) -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("template.yaml");
        std::fs::write(&path, template).expect("write template");
        Self::start_in(dir, &path, args)
    }

    /// Serve `template` with a stderr pipe that is kept open and never read, as a stalled
    /// terminal or log shipper would (its logs are not captured).
    pub fn start_stalled(template: &str, args: &[&str]) -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("template.yaml");
        std::fs::write(&path, template).expect("write template");
        Self::spawn(dir, &path, args, false, &[])
    }

    /// Serve an existing template file with extra environment variables.
    pub fn start_in_with_env(
        dir: tempfile::TempDir,
        template: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Gateway {
        Self::spawn(dir, template, args, true, env)
    }

    /// Write `template` and serve it with `args` and extra environment variables.
    pub fn start_with_env(template: &str, args: &[&str], env: &[(&str, &str)]) -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("template.yaml");
        std::fs::write(&path, template).expect("write template");
        Self::spawn(dir, &path, args, true, env)
    }

    /// Serve an existing template file.
    pub fn start_in(dir: tempfile::TempDir, template: &Path, args: &[&str]) -> Gateway {
        Self::spawn(dir, template, args, true, &[])
    }

    fn spawn(
        dir: tempfile::TempDir,
        template: &Path,
        args: &[&str],
        drain: bool,
        env: &[(&str, &str)],
    ) -> Gateway {
        let mut child = glassgate()
            .envs(env.iter().copied())
            .arg("serve")
            .arg(template)
            .args(["--port", "0"])
            // JSON traces unless the test asks for another format.
            .args(if args.contains(&"--log-format") {
                &[][..]
            } else {
                &["--log-format", "json"][..]
            })
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn glassgate");
        let stderr = Arc::new(Captured::default());
        let err = child.stderr.take().expect("stderr");
        let mut stalled = None;
        if drain {
            let cap = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    let mut t = cap.text.lock().expect("lock");
                    t.push_str(&line);
                    t.push('\n');
                    cap.changed.notify_all();
                }
            });
        } else {
            stalled = Some(err);
        }
        let out = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(out);
        let mut banner = String::new();
        let mut admin = None;
        let addr = loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).expect("read stdout");
            if n == 0 {
                let _ = child.wait();
                panic!(
                    "glassgate exited before listening.\nstdout:\n{banner}\nstderr:\n{}",
                    stderr.text.lock().expect("lock")
                );
            }
            banner.push_str(&line);
            if let Some(a) = line.trim().strip_prefix("Admin API on http://") {
                admin = a.parse().ok();
            }
            if let Some(a) = line.trim().strip_prefix("Listening on http://") {
                break a.parse().expect("address");
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
                sink.clear();
            }
        });
        Gateway {
            child,
            addr,
            admin: admin.expect("serve prints the admin address before the listening one"),
            stdout_banner: banner,
            stderr,
            _stalled_stderr: stalled,
            _dir: dir,
            template: template.to_owned(),
        }
    }

    /// The template file being served.
    pub fn template_path(&self) -> std::path::PathBuf {
        self.template.clone()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything written to stderr so far.
    pub fn logs(&self) -> String {
        self.stderr.text.lock().expect("lock").clone()
    }

    /// Wait until stderr contains `needle`; returns the logs either way.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        let mut t = self.stderr.text.lock().expect("lock");
        while !t.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            t = self.stderr.changed.wait_timeout(t, left).expect("lock").0;
        }
        t.clone()
    }

    /// The JSON trace of a request, from the `--log-format json` output.
    pub fn trace(&self, request_id: &str) -> serde_json::Value {
        let logs = self.wait_for_log(request_id, Duration::from_secs(10));
        logs.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["requestId"] == request_id || v["extendedRequestId"] == request_id)
            .unwrap_or_else(|| panic!("no trace for {request_id} in:\n{logs}"))
    }

    /// A request to the admin API; the body is JSON text (or empty).
    pub async fn admin(&self, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
        let mut conn = Conn::open(self.admin).await;
        let r = conn
            .send(
                method,
                path,
                &[
                    ("content-type", "application/json"),
                    ("x-glassgate-admin", "1"),
                ],
                body,
            )
            .await;
        let v = serde_json::from_slice(&r.body).unwrap_or_else(|e| {
            panic!(
                "admin {method} {path} answered non-JSON ({e}): {}",
                r.text()
            )
        });
        (r.status, v)
    }

    /// A request to the admin port exactly as given (no header added).
    pub async fn admin_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Resp {
        let mut conn = Conn::open(self.admin).await;
        conn.send(method, path, headers, body).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[], "").await
    }

    /// A request whose body is any bytes (binary uploads).
    pub async fn request_bytes(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Resp {
        let mut conn = Conn::open(self.addr).await;
        conn.try_send_bytes(method, path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Resp {
        let mut conn = Conn::open(self.addr).await;
        conn.send(method, path, headers, body).await
    }

    /// Send SIGTERM and wait for the exit status (bounded).
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        signal(self.child.id(), rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "glassgate did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // SIGTERM first, so the server stops its handler processes.
            signal(self.child.id(), rustix::process::Signal::TERM);
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub fn signal(pid: u32, sig: rustix::process::Signal) {
    if let Some(p) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(p, sig);
    }
}

/// Whether a process id is still alive (and not a zombie of ours).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit(')')
            .next()
            .map(|rest| rest.trim_start().starts_with('Z'))
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Conn {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .expect("handshake");
        tokio::spawn(conn);
        Conn {
            sender,
            host: addr.to_string(),
        }
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Resp {
        self.try_send(method, path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// A request whose connection may fail (a server shutting down); the error in words.
    pub async fn try_send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<Resp, String> {
        self.try_send_bytes(method, path, headers, Bytes::from(body.to_owned()))
            .await
    }

    /// A request with a body of any bytes.
    pub async fn try_send_bytes(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Resp, String> {
        let mut b = http::Request::builder().method(method).uri(path);
        // The test's own Host, when it gives one, replaces the connection's.
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            b = b.header("host", &self.host);
        }
        b = b.header("user-agent", "glassgate-tests");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b
            .body(Full::new(body))
            .map_err(|e| format!("request: {e}"))?;
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection not ready: {e}"))?;
        let resp = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| format!("no response: {e}"))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok(Resp {
            status,
            headers,
            body,
        })
    }
}
