#!/usr/bin/env python3
"""Heap allocations per request of glassgate's hot paths, counted, not timed.

CPU time per request on a shared VM moves by 10 us or more from one round to the next, so a
change that saves a few allocations cannot be seen in `bench/proxy.py`. The number of
allocations a request makes does not depend on the machine's load: this script counts them
with a `perf probe` uprobe on mimalloc's `mi_malloc_aligned` (the entry every Rust allocation
of glassgate goes through) while wrk sends requests on one connection, and divides by the
requests wrk completed. Reallocations are not counted.

Routes (each on its own server, all warmed first):
  proxy   REST HTTP_PROXY to a local nginx, behind a TOKEN authorizer whose decision is cached
          (the template of bench/proxy.py)
  rust    REST Lambda proxy to the `provided-rust` example (the template of bench/pool.py, /rs)
  node    the same to a Node handler (/open)

`--compare BINARY` counts another build's allocations on the same routes in the same run.
Needs root (perf probe), perf, nginx and wrk. Allocations of the gateway's idle work during the
count (timers, the CPU meter) are included: about one every 10 ms.

Usage: python3 bench/allocs.py [--seconds 2] [--compare BINARY] [--no-build]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, build, ensure_wrk, log  # noqa: E402
import pool  # noqa: E402
import proxy  # noqa: E402

GLASSGATE = os.path.join(ROOT, "target", "release", "glassgate")
ROUTES = {"proxy": "/hello", "rust": "/rs", "node": "/open"}


def probe(binary, name):
    subprocess.run(["perf", "probe", "-q", "-d", f"probe_glassgate:{name}"],
                   stderr=subprocess.DEVNULL, check=False)
    subprocess.run(["perf", "probe", "-q", "-x", binary, "-a", f"{name}=mi_malloc_aligned"], check=True)
    return f"probe_glassgate:{name}"


def start(binary, template):
    cmd = ["taskset", "-c", "0", binary, "serve", template, "--port", "0", "--log-format", "off",
           "--quiet-handlers", "--threads", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:
        m = re.match(r"Listening on (http://\S+)", line.strip())
        if m:
            return proc, m.group(1)
    sys.exit(f"{binary} did not start")


def wrk_count(url, seconds):
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c1", f"-d{seconds}", "-H",
                          "Authorization: Bearer bench", url],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"(\d+) requests in", out)
    return int(m.group(1)) if m else 0


def count(event, pid, url, seconds):
    wrk_count(url, 1)  # warm: the pool, the authorizer cache, the upstream connection
    with tempfile.NamedTemporaryFile("r", suffix=".perf") as out:
        stat = subprocess.Popen(["perf", "stat", "-x", ",", "-e", event, "-p", str(pid), "-o", out.name,
                                 "--", "sleep", str(seconds + 1)])
        time.sleep(0.5)
        requests = wrk_count(url, seconds)
        stat.wait()
        text = open(out.name).read()
    m = re.search(r"^(\d+),", text, re.M)
    allocations = int(m.group(1)) if m else 0
    return requests, allocations


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=2)
    ap.add_argument("--compare", metavar="BINARY")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("error: perf probe needs root")
    ensure_wrk()
    if not args.no_build:
        build()
    builds = [("this build", GLASSGATE)] + ([("compare", os.path.abspath(args.compare))] if args.compare else [])
    tmp = tempfile.mkdtemp(prefix="glassgate-allocs-")
    procs = []
    try:
        backend = proxy.nginx_conf(tmp, "backend", f"""server {{ listen 127.0.0.1:{proxy.BACKEND_PORT};
    location / {{ return 200 "ok\\n"; }} }}""")
        procs.append(proxy.start_nginx(backend, 1, True))
        os.makedirs(os.path.join(tmp, "proxy"))
        os.makedirs(os.path.join(tmp, "lambda"))
        templates = {"proxy": proxy.write_template(os.path.join(tmp, "proxy")),
                     "rust": pool.write_template(os.path.join(tmp, "lambda"))}
        templates["node"] = templates["rust"]
        rows = []
        for i, (label, binary) in enumerate(builds):
            event = probe(binary, f"b{i}")
            for route, path in ROUTES.items():
                proc, url = start(binary, templates[route])
                procs.append(proc)
                requests, allocations = count(event, proc.pid, url + path, args.seconds)
                proc.terminate()
                proc.wait()
                per = allocations / requests if requests else float("nan")
                log(f"{label}: {route}: {requests} requests, {allocations} allocations, {per:.1f} per request")
                rows.append((label, route, requests, per))
            subprocess.run(["perf", "probe", "-q", "-d", event], check=False)
        print("\n| build | route | requests counted | allocations per request |\n|---|---|---:|---:|")
        for label, route, requests, per in rows:
            print(f"| {label} | {route} | {requests} | {per:.1f} |")
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
