#!/usr/bin/env python3
"""Hardening benchmarks of a release glassgate build (issue #14), over loopback only.

  slow   1,000 slow connections (slowhttptest: slow headers, slow body, slow read) held
         open beside a well-behaved wrk load: the load's p50/p99 against its solo run,
         alternated, with the gateway's open file descriptors during and after.
  soak   mixed traffic with failures for N minutes (a handler that exits on every third
         invocation, one that answers malformed JSON, an authorizer that hangs past its
         timeout for one token in ten, denied tokens, bodies over the Lambda limit, an
         event-stream subscriber): the gateway's RSS, file descriptors, child processes and
         kept traces sampled every 30 s.

Usage: python3 bench/hardening.py slow [--rounds 2] [--duration 10] [--pin]
       python3 bench/hardening.py soak [--minutes 10] [--pin]
       (--no-build to use target/release as it is)

Needs wrk and slowhttptest (installed with apt-get when run as root). With --pin the gateway
(and the handler processes it starts) run on core 0, the load generators on core 1.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from common import api_event, api_head, code_dirs, build, ensure_wrk, log  # bench/common.py
from load import GLASSGATE, RUST_EXAMPLE, Server, wrk  # bench/load.py

PY_HANDLERS = """\
import json, os, time

calls = 0


def ok(event, context):
    return {"statusCode": 200, "body": "ok"}


def crashy(event, context):
    # Exits on every third invocation of this process: a crash storm under load.
    global calls
    calls += 1
    if calls % 3 == 0:
        os._exit(7)
    return {"statusCode": 200, "body": "survived"}


def malformed(event, context):
    return "{not json"


def authorizer(event, context):
    token = event.get("authorizationToken", "")
    if token == "Bearer hang":
        time.sleep(5)
    effect = "Deny" if token == "Bearer deny" else "Allow"
    return {
        "principalId": "soak",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect,
                           "Resource": event["methodArn"].split("/")[0] + "/*"}],
        },
    }
"""

# One request in ten of each kind; the rest is the open route. A 6.5 MB body is over Lambda's
# 6 MB and under API Gateway's 10 MB, so it is read whole and refused at the integration.
SOAK_LUA = """\
local n = 0
local big = string.rep("x", 6500000)
request = function()
  n = n + 1
  local k = n % 20
  if k == 1 then return wrk.format("GET", "/crashy")
  elseif k == 2 then return wrk.format("GET", "/malformed")
  elseif k == 3 then return wrk.format("GET", "/authed", {["Authorization"] = "Bearer hang"})
  elseif k == 4 then return wrk.format("GET", "/authed", {["Authorization"] = "Bearer deny"})
  elseif k == 5 then return wrk.format("GET", "/authed", {["Authorization"] = "Bearer t" .. (n % 50)})
  elseif k == 6 then return wrk.format("GET", "/authed")
  elseif k == 7 and n % 200 == 7 then return wrk.format("POST", "/ok", nil, big)
  elseif k == 8 then return wrk.format("GET", "/nowhere")
  end
  return wrk.format("GET", "/ok")
end

-- Statuses counted per thread and printed at the end, one "status N COUNT" line each.
local threads = {}
function setup(thread) table.insert(threads, thread) end
counts = {}
response = function(status, headers, body) counts[status] = (counts[status] or 0) + 1 end
done = function(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do all[k] = (all[k] or 0) + v end
  end
  for k, v in pairs(all) do io.write(string.format("status %d %d\\n", k, v)) end
end
"""


def ensure_slowhttptest():
    if shutil.which("slowhttptest"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("==> installing slowhttptest")
        subprocess.run(["apt-get", "install", "-y", "-qq", "slowhttptest"], check=True)
        return
    sys.exit("error: slowhttptest is needed (apt-get install slowhttptest)")


def write_template(tmp):
    py, rs = code_dirs(tmp, PY_HANDLERS, RUST_EXAMPLE)

    def function(name, handler, events, runtime="python3.12", code=py, timeout=3):
        return [
            f"  {name}:",
            "    Type: AWS::Serverless::Function",
            "    Properties:",
            f"      Runtime: {runtime}",
            f"      CodeUri: {code}",
            f"      Handler: {handler}",
            f"      Timeout: {timeout}",
            "      Events:" if events else "",
            *events,
        ]

    post = ("        P: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /rs, Method: post, "
            "Auth: {Authorizer: NONE}}}")
    lines = [
        *api_head({"Hangs": ("AuthFn", 60)}),
        *function("AuthFn", "app.authorizer", [], timeout=1),
        *function("Rs", "bootstrap", [api_event("E", "/rs", "NONE"), post],
                  runtime="provided.al2023", code=rs),
        *function("Ok", "app.ok", [api_event("E", "/ok", "NONE"),
                                   "        P: {Type: Api, Properties: {RestApiId: !Ref Api, "
                                   "Path: /ok, Method: post, Auth: {Authorizer: NONE}}}",
                                   api_event("A", "/authed", "Hangs")]),
        *function("Crashy", "app.crashy", [api_event("E", "/crashy", "NONE")]),
        *function("Malformed", "app.malformed", [api_event("E", "/malformed", "NONE")]),
    ]
    path = os.path.join(tmp, "template.yaml")
    with open(path, "w") as f:
        f.write("\n".join(line for line in lines if line) + "\n")
    return path


def fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def children(pid):
    """Processes below `pid` (the handler processes and anything they started)."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,stat="], capture_output=True, text=True).stdout
    kids, zombies = {}, 0
    rows = [line.split() for line in out.splitlines() if len(line.split()) >= 3]
    parent = {int(p): int(pp) for p, pp, _ in rows}
    for p, _, stat in rows:
        q = int(p)
        while q in parent and q != pid and q > 1:
            q = parent[q]
        if q == pid and int(p) != pid:
            kids[int(p)] = stat
            zombies += stat.startswith("Z")
    return len(kids), zombies


def slowhttptest(mode, url, connections, seconds, pin, prefix):
    cmd = ["slowhttptest", f"-{mode}", "-c", str(connections), "-r", "300", "-i", "2",
           "-l", str(seconds), "-u", url, "-p", "3", "-g", "-o", prefix, "-v", "0"]
    if mode == "B":
        cmd += ["-s", "8192"]
    if mode == "X":
        cmd += ["-k", "3", "-n", "2", "-w", "16", "-y", "32", "-z", "16"]
    if pin:
        cmd = ["taskset", "-c", "1"] + cmd
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def connected_now(prefix):
    """The `connected` column of slowhttptest's latest CSV row."""
    try:
        with open(prefix + ".csv") as f:
            rows = [r.split(",") for r in f.read().strip().splitlines()[1:]]
        return int(rows[-1][3]) if rows else 0
    except (OSError, ValueError, IndexError):
        return 0


def slow(args):
    ensure_slowhttptest()
    tmp = tempfile.mkdtemp(prefix="gg-slow-")
    template = write_template(tmp)
    # With the default 10 s header and body timeouts the gateway drops every slow client 10 s
    # after it connected, and slowhttptest does not reconnect: the thousand would be gone
    # before the measurement ends. Longer timeouts keep them all held for the whole run, which
    # is the case to measure; the drop itself is shown at the end (and tested in
    # tests/it/limits.rs).
    srv = Server(template, ["--log-format", "off", "--header-read-timeout", "60",
                            "--body-timeout", "60"], args.pin, discard_stderr=True)
    url = f"{srv.url}/rs"
    # Warm: the pool grows to what this load wants, so the fd count at rest includes it.
    wrk(url, args.connections, 3, args.pin)
    base_fds = fds(srv.proc.pid)
    base_kids = children(srv.proc.pid)[0]
    log(f"gateway pid {srv.proc.pid}, {base_fds} open fds at rest")
    results = []
    modes = {"H": "slow headers (slowloris)", "B": "slow body (R-U-Dead-Yet)", "X": "slow read"}
    for r in range(args.rounds):
        for mode, name in modes.items():
            solo = wrk(url, args.connections, args.duration, args.pin)
            prefix = os.path.join(tmp, f"slow-{mode}-{r}")
            target = url
            st = slowhttptest(mode, target, args.slow, args.duration + 30, args.pin, prefix)
            # Fill up to the target number of connections (300 a second) before measuring.
            deadline = time.monotonic() + 15
            while connected_now(prefix) < args.slow * 0.95 and time.monotonic() < deadline:
                time.sleep(0.5)
            held = connected_now(prefix)
            during_fds = fds(srv.proc.pid)
            beside = wrk(url, args.connections, args.duration, args.pin)
            held_after = connected_now(prefix)
            st.terminate()
            st.wait(timeout=20)
            # The client closes its connections when it stops; the gateway lets go of them.
            deadline = time.monotonic() + 15
            while fds(srv.proc.pid) > base_fds + 5 and time.monotonic() < deadline:
                time.sleep(0.5)
            after_fds = fds(srv.proc.pid)
            # Each handler process holds a few fds of the gateway (its pipes): a pool that grew
            # under the load explains fds above the count at rest.
            kids = children(srv.proc.pid)[0]
            row = {"mode": name, "solo": solo, "beside": beside, "held": (held, held_after),
                   "fds": (during_fds, after_fds), "kids": kids}
            results.append(row)
            log(f"round {r + 1} {name}: solo p99 {solo[1].get('99', 0):.2f} ms, beside "
                f"{held}..{held_after} slow connections p99 {beside[1].get('99', 0):.2f} ms; "
                f"fds {during_fds} during, {after_fds} after")
    srv.stop()
    dropped = default_timeouts_drop(template, args)
    print(f"\nglassgate {GLASSGATE}; wrk {args.connections} connections x {args.duration} s on a "
          f"provided.al2023 route; {args.slow} slow connections; pinned: {args.pin}\n")
    print("| slow clients | round | slow connections held | solo req/s | solo p50 / p99 | beside: req/s "
          "| beside p50 / p99 | p99 ratio | gateway fds during / 15 s after | handler processes after |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for i, row in enumerate(results):
        (srps, slat, sbad), (brps, blat, bbad) = row["solo"], row["beside"]
        ratio = blat.get("99", 0) / max(slat.get("99", 1e-9), 1e-9)
        bad = f" ({sbad}/{bbad} non-2xx)" if sbad or bbad else ""
        print(f"| {row['mode']} | {i // len(modes) + 1} | {row['held'][0]} at start, {row['held'][1]} "
              f"at end | {srps:,.0f} | {slat.get('50', 0):.2f} / {slat.get('99', 0):.2f} ms | "
              f"{brps:,.0f}{bad} | {blat.get('50', 0):.2f} / {blat.get('99', 0):.2f} ms | "
              f"{ratio:.2f} | {row['fds'][0]} / {row['fds'][1]} (at rest {base_fds}) | "
              f"{row['kids']} (at rest {base_kids}) |")
    print(f"\nWith the default timeouts (10 s), {args.slow} slowloris connections: {dropped}")


def default_timeouts_drop(template, args):
    """How many of the slow-header connections the default 10 s header timeout closes."""
    srv = Server(template, ["--log-format", "off"], args.pin, discard_stderr=True)
    prefix = os.path.join(os.path.dirname(template), "slow-default")
    st = slowhttptest("H", f"{srv.url}/rs", args.slow, 20, args.pin, prefix)
    deadline = time.monotonic() + 10
    while connected_now(prefix) < args.slow * 0.95 and time.monotonic() < deadline:
        time.sleep(0.5)
    held, held_fds = connected_now(prefix), fds(srv.proc.pid)
    time.sleep(13)
    left, left_fds = connected_now(prefix), fds(srv.proc.pid)
    st.terminate()
    st.wait(timeout=20)
    srv.stop()
    return (f"{held} connected ({held_fds} gateway fds), 13 s later {left} still connected "
            f"({left_fds} gateway fds)")


def health(admin):
    with urllib.request.urlopen(f"{admin}/health", timeout=10) as r:
        return json.load(r)


def soak(args):
    tmp = tempfile.mkdtemp(prefix="gg-soak-")
    template = write_template(tmp)
    lua = os.path.join(tmp, "soak.lua")
    with open(lua, "w") as f:
        f.write(SOAK_LUA)
    srv = Server(template, ["--log-format", "off", "--admin-port", "0"], args.pin, discard_stderr=True)
    admin = re.search(r"Admin API on (http://\S+)", srv.banner).group(1)
    # A console's event stream, read to the end (curl discards it).
    sub = subprocess.Popen(["curl", "-sN", f"{admin}/events", "-o", "/dev/null"])
    samples = []
    started = time.monotonic()
    total = 0
    statuses = {}
    chunk = 30
    rounds = max(1, int(args.minutes * 60 / chunk))
    for i in range(rounds + 1):
        kids, zombies = children(srv.proc.pid)
        samples.append({
            "t": time.monotonic() - started,
            "rss": srv.rss_kb(),
            "fds": fds(srv.proc.pid),
            "children": kids,
            "zombies": zombies,
            "requests": total,
        })
        s = samples[-1]
        log(f"{s['t']:6.0f} s: RSS {s['rss'] / 1024:.1f} MiB, {s['fds']} fds, {kids} children "
            f"({zombies} zombies), {total} requests")
        if i == rounds:
            break
        cmd = ["wrk", "-t", "2", "-c", "16", "-d", f"{chunk}s", "-s", lua, srv.url]
        if args.pin:
            cmd = ["taskset", "-c", "1"] + cmd
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=chunk + 60)
        out = run.stdout
        if run.returncode or run.stderr.strip() or "status " not in out:
            sys.exit(f"wrk failed:\n{run.stderr}{out}")
        m = re.search(r"(\d+) requests in", out)
        total += int(m.group(1)) if m else 0
        for code, count in re.findall(r"^status (\d+) (\d+)$", out, re.M):
            statuses[code] = statuses.get(code, 0) + int(count)
    sub.terminate()
    h = health(admin)
    srv.stop()
    pools = {name: (p.get("started"), p.get("ended"), p.get("reaped"))
             for name, p in (h.get("functions") or {}).items() if isinstance(p, dict)}
    print(f"\nglassgate {GLASSGATE}; soak of {args.minutes} min, wrk 16 connections, pinned: {args.pin}\n")
    print("| t (s) | requests so far | gateway RSS (MiB) | open fds | child processes | zombies |")
    print("|---|---|---|---|---|---|")
    for s in samples:
        print(f"| {s['t']:.0f} | {s['requests']:,} | {s['rss'] / 1024:.1f} | {s['fds']} | {s['children']} | {s['zombies']} |")
    first = [s["rss"] for s in samples[1:4]] or [samples[0]["rss"]]
    last = [s["rss"] for s in samples[-3:]]
    print(f"\nRSS: {max(first) / 1024:.1f} MiB at most in the first 90 s of load, "
          f"{max(last) / 1024:.1f} MiB at most in the last 90 s; processes started/ended/reaped per "
          f"function: {pools}")
    print(f"statuses: {dict(sorted(statuses.items()))}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["slow", "soak"])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--duration", type=int, default=10, help="seconds of each wrk run (slow)")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections of the well-behaved load")
    ap.add_argument("--slow", type=int, default=1000, help="slow connections (slow)")
    ap.add_argument("--minutes", type=float, default=10, help="length of the soak")
    ap.add_argument("--pin", action="store_true")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    ensure_wrk()
    if not args.no_build:
        build()
    if args.what == "slow":
        slow(args)
    else:
        soak(args)


if __name__ == "__main__":
    main()
