"""Helpers shared by the benchmark scripts of this folder (load.py, pool.py)."""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def build():
    """Release build of glassgate, of the provided-rust example the Rust routes run, and of
    the proxy floor bench/proxy.py runs."""
    log("==> cargo build --release (glassgate + provided-rust and proxy-floor examples)")
    subprocess.run(
        ["cargo", "build", "--release", "--bin", "glassgate", "--example", "provided-rust",
         "--example", "proxy-floor"],
        cwd=ROOT,
        check=True,
    )


def ensure_wrk():
    """wrk on PATH, installed with apt-get when run as root."""
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("==> installing wrk")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
        return
    sys.exit("error: wrk is needed (apt-get install wrk)")


def code_dirs(tmp, py_source, rust_example):
    """The `py` folder with `app.py` holding `py_source`, and the `rs` folder whose `bootstrap`
    is the Rust example: the code folders the bench templates point at."""
    py = os.path.join(tmp, "py")
    rs = os.path.join(tmp, "rs")
    os.makedirs(py, exist_ok=True)
    os.makedirs(rs, exist_ok=True)
    with open(os.path.join(py, "app.py"), "w") as f:
        f.write(py_source)
    link = os.path.join(rs, "bootstrap")
    if not os.path.lexists(link):
        os.symlink(rust_example, link)
    return py, rs


def api_head(authorizers):
    """The start of a SAM template: an `Api` on stage Prod with TOKEN authorizers, given as
    {name: (function logical id, cache TTL in seconds)}. Functions follow it."""
    lines = [
        "Transform: AWS::Serverless-2016-10-31",
        "Resources:",
        "  Api:",
        "    Type: AWS::Serverless::Api",
        "    Properties:",
        "      StageName: Prod",
        "      Auth:",
        "        Authorizers:",
    ]
    for name, (function, ttl) in authorizers.items():
        lines += [
            f"          {name}:",
            f"            FunctionArn: !GetAtt {function}.Arn",
            f"            Identity: {{ReauthorizeEvery: {ttl}}}",
        ]
    return lines


def api_event(name, path, auth):
    """One `Api` event of a SAM function, on the template's `Api`, behind authorizer `auth`
    (`NONE` for none)."""
    return (f"        {name}: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: {path}, "
            f"Method: get, Auth: {{Authorizer: {auth}}}}}}}")
