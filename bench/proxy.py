#!/usr/bin/env python3
"""glassgate as an authorizing gateway in front of an HTTP service, against nginx.

One run, alternating rounds, 64 connections; the gateways on core 0, wrk and the backend on
core 1 (`--pin`). The backend is nginx answering `ok`. Sides:

- nginx: `proxy_pass` alone;
- nginx: `auth_request` to the backend's `/auth`, with and without a `proxy_cache` of the
  auth subrequest keyed on the Authorization header;
- the floor (`bench/floor/proxy_floor.rs`): glassgate's stack alone (tokio with one worker,
  hyper's server, hyper-util's pooled client) forwarding every request, without the
  pipeline, and the same through reqwest's client;
- glassgate: a REST API whose TOKEN authorizer (Python, TTL 300, so cached after the first
  request) guards an HTTP_PROXY integration to the backend, with the execution log off and on
  (the default text log, written to a file); and the same with the authorizer invoked on every
  request (TTL 0), beside nginx's `auth_request` without a cache.

Prints requests/s, p99 and CPU microseconds per request of the gateway process (nginx: its
worker; glassgate: the server and its handler processes). Needs nginx and wrk
(`apt-get install nginx-light wrk`).

`--compare BINARY` adds another glassgate build (log off) as a side of the same run, for an
A/B of two commits (build it in a worktree with its own CARGO_TARGET_DIR).

Usage: python3 bench/proxy.py [--rounds N] [--duration S] [--pin] [--no-build] [--compare BINARY]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, build, ensure_wrk, log  # noqa: E402
from load import TOKEN, pct, wrk  # noqa: E402

GLASSGATE = os.path.join(ROOT, "target", "release", "glassgate")
FLOOR = os.path.join(ROOT, "target", "release", "examples", "proxy-floor")
FLOOR_PORTS = {"floor: hyper stack, no pipeline": (18484, "hyper"),
               "floor: the same through reqwest": (18485, "reqwest")}
BACKEND_PORT = 18480
NGINX_PORTS = {"nginx proxy": 18481, "nginx auth_request": 18482, "nginx auth_request + cache": 18483}

AUTHORIZER = '''
def handler(event, context):
    return {"principalId": "bench", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}]}}
'''


def nginx_conf(tmp, name, body):
    path = os.path.join(tmp, f"{name}.conf")
    with open(path, "w") as f:
        # Run as root, nginx's workers would be `nobody`, who cannot write the cache folder.
        user = "user root;\n" if os.geteuid() == 0 else ""
        f.write(f"""{user}worker_processes 1;
daemon off;
pid {tmp}/{name}.pid;
error_log {tmp}/{name}.error.log;
events {{ worker_connections 8192; }}
http {{
  access_log off;
  proxy_cache_path {tmp}/{name}-cache keys_zone=auth:1m;
  upstream backend {{ server 127.0.0.1:{BACKEND_PORT}; keepalive 256; }}
  {body}
}}
""")
    return path


def start_nginx(conf, core, pin):
    cmd = ["nginx", "-c", conf, "-p", os.path.dirname(conf)]
    if pin:
        cmd = ["taskset", "-c", str(core)] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return proc


def worker_pids(master):
    out = subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def cpu_s(pids):
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # Own time, and that of waited-for children (handler processes that ended).
            total += sum(int(x) for x in fields[11:15])
        except FileNotFoundError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def glassgate_pids(proc):
    out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
    return [proc.pid] + [int(p) for p in out.split()]


def write_template(tmp):
    code = os.path.join(tmp, "auth")
    os.makedirs(code, exist_ok=True)
    with open(os.path.join(code, "auth.py"), "w") as f:
        f.write(AUTHORIZER)
    # One TOKEN authorizer scheme and one guarded HTTP_PROXY path per (path, scheme, TTL):
    # /hello behind the cached decision, /fresh behind the same function invoked every time.
    routes = [("/hello", "Tok", 300), ("/fresh", "Fresh", 0)]
    schemes = "".join(f"""
          {scheme}:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: custom
            x-amazon-apigateway-authorizer:
              type: token
              authorizerUri: !Sub arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Auth.Arn}}/invocations
              authorizerResultTtlInSeconds: {ttl}""" for _, scheme, ttl in routes)
    paths = "".join(f"""
          {route}:
            get:
              security: [{{{scheme}: []}}]
              x-amazon-apigateway-integration:
                type: http_proxy
                httpMethod: GET
                uri: http://127.0.0.1:{BACKEND_PORT}/hello""" for route, scheme, _ in routes)
    path = os.path.join(tmp, "template.yaml")
    with open(path, "w") as f:
        f.write(f"""Transform: AWS::Serverless-2016-10-31
Resources:
  Auth:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.12, CodeUri: {code}, Handler: auth.handler}}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      DefinitionBody:
        swagger: '2.0'
        info: {{title: bench, version: '1'}}
        securityDefinitions:{schemes}
        paths:{paths}
""")
    return path


def start_glassgate(template, log_format, log_file, pin, binary=GLASSGATE):
    cmd = [binary, "serve", template, "--port", "0", "--quiet-handlers", "--log-format",
           log_format, "--threads", "1"]
    if pin:
        cmd = ["taskset", "-c", "0"] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log_file, text=True)
    for line in proc.stdout:
        m = re.match(r"Listening on (http://\S+)", line.strip())
        if m:
            return proc, m.group(1)
    sys.exit("glassgate did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--pin", action="store_true")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--compare", metavar="BINARY", help="another glassgate build, run beside this one")
    args = ap.parse_args()
    ensure_wrk()
    if not shutil.which("nginx"):
        sys.exit("error: nginx is needed (apt-get install nginx-light)")
    if not args.no_build:
        build()
    tmp = tempfile.mkdtemp(prefix="glassgate-proxy-bench-")
    procs = []
    try:
        backend = nginx_conf(tmp, "backend", f"""server {{ listen 127.0.0.1:{BACKEND_PORT};
    location / {{ return 200 "ok\\n"; }} location = /auth {{ return 200; }} }}""")
        procs.append(start_nginx(backend, 1, args.pin))
        auth = """location = /_auth { internal; proxy_pass http://backend/auth;
      proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_pass_request_body off; proxy_set_header Content-Length ""; CACHE }"""
        proxy = """proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";"""
        sides = {}
        for name, port in NGINX_PORTS.items():
            if name == "nginx proxy":
                body = f"server {{ listen 127.0.0.1:{port}; location / {{ {proxy} }} }}"
            else:
                cache = ("proxy_cache auth; proxy_cache_key $http_authorization; proxy_cache_valid 200 300s;"
                         if "cache" in name else "")
                body = (f"server {{ listen 127.0.0.1:{port}; location / {{ auth_request /_auth; {proxy} }} "
                        + auth.replace("CACHE", cache) + " }")
            master = start_nginx(nginx_conf(tmp, name.replace(" ", "-").replace("+", "plus"), body), 0, args.pin)
            procs.append(master)
            sides[name] = (f"http://127.0.0.1:{port}/hello", lambda m=master: worker_pids(m))
        for name, (port, client) in FLOOR_PORTS.items():
            cmd = [FLOOR, str(port), f"http://127.0.0.1:{BACKEND_PORT}", client]
            if args.pin:
                cmd = ["taskset", "-c", "0"] + cmd
            floor = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
            floor.stdout.readline()  # its Listening line
            procs.append(floor)
            sides[name] = (f"http://127.0.0.1:{port}/hello", lambda f=floor: [f.pid])
        template = write_template(tmp)
        for fmt in ("off", "text"):
            log_file = open(os.path.join(tmp, f"glassgate-{fmt}.log"), "w")
            proc, url = start_glassgate(template, fmt, log_file, args.pin)
            procs.append(proc)
            sides[f"glassgate, log {fmt}"] = (url + "/hello", lambda p=proc: glassgate_pids(p))
            if fmt == "off":
                # The same gateway, its authorizer invoked on every request (TTL 0): the
                # counterpart of nginx auth_request without a cache.
                sides["glassgate, authorizer on every request, log off"] = (
                    url + "/fresh", lambda p=proc: glassgate_pids(p))
        if args.compare:
            log_file = open(os.path.join(tmp, "glassgate-compare.log"), "w")
            proc, url = start_glassgate(template, "off", log_file, args.pin, binary=args.compare)
            procs.append(proc)
            sides[f"glassgate {args.compare}, log off"] = (url + "/hello", lambda p=proc: glassgate_pids(p))
        # Warm every side (the authorizer's first call, the caches, the pools).
        for url, _ in sides.values():
            wrk(url, 8, 1, args.pin, token=True)
        results = {name: [] for name in sides}
        names = list(sides)
        for r in range(args.rounds):
            order = names if r % 2 == 0 else list(reversed(names))
            for name in order:
                url, pids = sides[name]
                before = cpu_s(pids())
                rps, lat, errors = wrk(url, args.connections, args.duration, args.pin, token=True)
                used = cpu_s(pids()) - before
                results[name].append((rps, lat.get("99", 0.0), used * 1e6 / max(1, rps * args.duration), errors))
                log(f"round {r + 1}: {name}: {rps:,.0f} req/s, p99 {lat.get('99', 0):.2f} ms")
        print(f"\n{args.rounds} alternating rounds of {args.duration} s, {args.connections} connections"
              f"{', gateways pinned to core 0, wrk and backend to core 1' if args.pin else ''}\n")
        print("| side | req/s (median) | p99 ms (median) | gateway CPU us/req (median) | non-2xx |")
        print("|---|---:|---:|---:|---:|")
        for name in names:
            rows = results[name]
            print(f"| {name} | {pct([x[0] for x in rows], 50):,.0f} | {pct([x[1] for x in rows], 50):.2f} "
                  f"| {pct([x[2] for x in rows], 50):.1f} | {sum(x[3] for x in rows)} |")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
