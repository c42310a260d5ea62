#!/usr/bin/env python3
"""Process-pool benchmark: glassgate against serverless-offline, on this machine, over loopback.

Both gateways serve the same Node.js code, bench/serverless/handler.js: `hello` (a constant
200 with a small JSON body) behind the TOKEN authorizer `auth` (an Allow policy for the
method ARN, a principalId and a small context), the authorizer invoked on every request.

  * serverless-offline: serverless@3 and serverless-offline@13, installed with npm into
    target/bench-peers/serverless (once; a second run reuses them) together with
    bench/serverless/serverless.yml and handler.js, started with
    `serverless offline start --noPrependStageInUrl --host 127.0.0.1 --httpPort P ...`.
    It runs Node handlers in worker threads of its own process.
  * glassgate: a SAM template written by this script with the same handler.js (TOKEN
    authorizer `Auth`, ReauthorizeEvery 0, and `CachedAuth`, ReauthorizeEvery 300), a trivial
    Python handler and the Rust `lambda_runtime` example (provided.al2023), served by
    `glassgate serve TEMPLATE --port 0 --log-format off --quiet-handlers` plus the row's
    flags. glassgate runs one process per concurrent invocation of a function (its pool).

Rows (names for --only):
  sls            serverless-offline  GET /hello (authorizer on every request)
  hello          glassgate           GET /hello (authorizer on every request), default flags
  hello-mc1      glassgate           GET /hello with --max-concurrency 1
  hello-cached   glassgate           GET /hello-cached (authorizer result cached 300 s)
  open           glassgate           GET /open (no authorizer): Node
  py             glassgate           GET /py (no authorizer): Python
  rs             glassgate           GET /rs (no authorizer): Rust (skipped when
                                     target/release/examples/provided-rust is missing)

Each row starts its own server (so the pool and the RSS of one row do not carry over to
the next), sends 50 warm-up requests one by one, then runs wrk for --duration seconds with
64 connections and then with 1 connection, every request with
`Authorization: Bearer bench`. The 64-connection run includes the pool growing from the one
warm process. Measured per row:
  * requests/s at 64 and at 1 connection (wrk);
  * CPU per request, ms: user + system CPU of the server AND all its descendants (handler
    processes, serverless-offline's whole tree), from /proc/PID/stat (utime + stime +
    cutime + cstime, so children that exited and were reaped still count), summed over the
    process tree before and after each run, divided by the requests wrk completed;
  * peak RSS of the process tree, MB: the sum of VmRSS over the tree, sampled every 200 ms
    by a thread during the 64-connection run, the maximum kept (also the peak PSS, which
    does not count pages shared between processes several times, and the peak number of
    processes in the tree);
  * non-2xx responses (and wrk's socket errors, if any);
  * for glassgate, `GET /health` of the admin API before and after each run (its
    "processes" map: live processes per function); the raw JSON is kept in --json FILE.
Then the ratios: glassgate /hello ÷ serverless-offline /hello (requests/s at 64 connections
and peak RSS), 64-connection ÷ 1-connection throughput per runtime (Node /open, /py, /rs),
and /hello-cached throughput.

--rounds N repeats every row N times, the order of the rows flipped each round so that
drift hits both sides; the tables give each round and the mean.

Usage:
  python3 bench/pool.py [--duration 10] [--rounds 1] [--pin] [--only sls,hello]
                        [--no-build] [--glassgate PATH] [--npx] [--json FILE]
Without --no-build it first runs
`cargo build --release --bin glassgate --example provided-rust`. --pin puts every server
(and so its children) on core 0 with `taskset -c 0`, and wrk and this script (its /proc
sampling) on core 1. serverless-offline is started as node_modules/.bin/serverless, the
file `npx serverless` runs; --npx goes through npx instead, whose `npm exec` wrapper (about
75 MB) and `sh -c` then count in its tree. Needs wrk (installed with apt-get when run as
root), node and npm (the install needs the npm registry once). Every run is bounded in time
and only talks to 127.0.0.1; every server and its process tree is killed at the end, on
error too.
"""

import argparse
import atexit
import json
import os
import platform
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from common import api_event, api_head, build, ensure_wrk, log  # bench/common.py (the script's folder is on sys.path)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")
GLASSGATE = os.path.join(RELEASE, "glassgate")
RUST_EXAMPLE = os.path.join(RELEASE, "examples", "provided-rust")
PEER_SRC = os.path.join(ROOT, "bench", "serverless")
PEER_DIR = os.path.join(ROOT, "target", "bench-peers", "serverless")
PEER_PACKAGES = ("serverless@3", "serverless-offline@13")

TOKEN = "Bearer bench"
WARMUP = 50
HIGH, LOW = 64, 1
CLK_TCK = os.sysconf("SC_CLK_TCK")

PY_HANDLER = """\
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "ok"}
"""

# name, label, gateway ("sls" or "gg"), path, extra glassgate flags
ROWS = (
    ("sls", "serverless-offline /hello (authorizer every request)", "sls", "/hello", []),
    ("hello", "glassgate /hello (authorizer every request)", "gg", "/hello", []),
    ("hello-mc1", "glassgate /hello, --max-concurrency 1", "gg", "/hello", ["--max-concurrency", "1"]),
    ("hello-cached", "glassgate /hello-cached (authorizer cached)", "gg", "/hello-cached", []),
    ("open", "glassgate /open (Node, no authorizer)", "gg", "/open", []),
    ("py", "glassgate /py (Python, no authorizer)", "gg", "/py", []),
    ("rs", "glassgate /rs (Rust, no authorizer)", "gg", "/rs", []),
)




# --------------------------------------------------------------------------------------
# Process trees, from /proc
# --------------------------------------------------------------------------------------

def read_stat(pid):
    """The fields of /proc/PID/stat after the command name (index 0 is the state), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def all_stats():
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            s = read_stat(int(name))
            if s:
                stats[int(name)] = s
    return stats


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Tree:
    """A process and all its descendants (found by parent pid in /proc at each scan)."""

    def __init__(self, pid):
        self.pid = pid
        # Every process ever seen in the tree: pid -> start time, to kill them at the end
        # even once they are reparented (glassgate's handlers run in their own groups).
        self.seen = {}
        self.lock = threading.Lock()

    def scan(self):
        """{pid: stat fields} of the tree now."""
        stats = all_stats()
        children = {}
        for pid, s in stats.items():
            children.setdefault(int(s[1]), []).append(pid)
        tree, todo = {}, [self.pid]
        while todo:
            pid = todo.pop()
            if pid in stats and pid not in tree:
                tree[pid] = stats[pid]
                todo.extend(children.get(pid, ()))
        with self.lock:
            for pid, s in tree.items():
                self.seen[pid] = s[19]
        return tree

    def cpu_s(self):
        """User + system CPU seconds of the tree so far, reaped children included."""
        return sum(int(s[11]) + int(s[12]) + int(s[13]) + int(s[14])
                   for s in self.scan().values()) / CLK_TCK

    def memory(self):
        """(sum of VmRSS kB, sum of PSS kB, processes) over the tree now."""
        tree = self.scan()
        return (sum(status_kb(p, "VmRSS:") for p in tree), sum(pss_kb(p) for p in tree), len(tree))

    def kill_all(self):
        """SIGKILL every process seen in the tree that still runs (same pid, same start)."""
        self.scan()
        with self.lock:
            seen = dict(self.seen)
        for pid, start in seen.items():
            s = read_stat(pid)
            if s and s[19] == start and s[0] != "Z":
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


class MemorySampler(threading.Thread):
    """Peak tree memory, sampled every 200 ms until stop()."""

    def __init__(self, tree):
        super().__init__(daemon=True)
        self.tree = tree
        self.done = threading.Event()
        self.peak_rss_kb = self.peak_pss_kb = self.peak_procs = 0
        self.samples = 0

    def run(self):
        while True:
            rss, pss, n = self.tree.memory()
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.peak_procs = max(self.peak_procs, n)
            self.samples += 1
            if self.done.wait(0.2):
                return

    def stop(self):
        self.done.set()
        self.join(timeout=10)


# --------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------

LIVE = []  # servers not stopped yet, killed by atexit / signal handlers


def stop_all():
    for srv in list(LIVE):
        srv.stop()


def free_ports(n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class Server:
    """A server started in its own session; stop() ends it and its whole tree."""

    name = "server"
    admin = None

    def _start(self, cmd, cwd=None, env=None, stdout=None):
        self.err = tempfile.TemporaryFile(mode="w+")
        self.out = stdout
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=stdout, stderr=self.err, text=True, start_new_session=True,
        )
        self.tree = Tree(self.proc.pid)
        LIVE.append(self)

    def stderr_tail(self, n=4000):
        try:
            self.err.seek(0)
            return self.err.read()[-n:]
        except (OSError, ValueError):
            return ""

    def fail(self, why):
        tail = self.stderr_tail()
        self.stop()
        raise RuntimeError(f"{self.name}: {why}\n{tail}")

    def health(self):
        if not self.admin:
            return None
        try:
            with urllib.request.urlopen(f"{self.admin}/health", timeout=10) as r:
                text = r.read().decode()
        except (OSError, urllib.error.URLError) as e:
            return {"error": str(e)}
        try:
            return json.loads(text)
        except ValueError:
            return {"raw": text}

    def stop(self, signum=signal.SIGTERM, grace=40):
        if self not in LIVE:
            return
        LIVE.remove(self)
        self.tree.scan()  # before the root exits and its children are reparented
        try:
            os.killpg(self.proc.pid, signum)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        self.tree.kill_all()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


class Glassgate(Server):
    name = "glassgate"

    def __init__(self, binary, template, extra, pin):
        cmd = [binary, "serve", template, "--port", "0", "--log-format", "off", "--quiet-handlers"] + extra
        if pin:
            cmd = ["taskset", "-c", "0"] + cmd
        self.cmd = cmd
        self._start(cmd, stdout=subprocess.PIPE)
        lines = queue.Queue()

        def drain():  # stdout is read to the end so that it can never fill and stall serve
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        self.url = None
        deadline = time.monotonic() + 60
        while not self.url:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.fail("no 'Listening on' line within 60 s")
            if line is None:
                self.fail("exited before 'Listening on'")
            m = re.match(r"Admin API on (http://\S+)", line.strip())
            if m:
                self.admin = m.group(1)
            m = re.match(r"Listening on (http://\S+)", line.strip())
            if m:
                self.url = m.group(1)
        self.ready_after = time.monotonic() - self.started


class ServerlessOffline(Server):
    name = "serverless-offline"

    def __init__(self, pin, npx=False):
        port, lambda_port, ws_port, alb_port = free_ports(4)
        for f in ("serverless.yml", "handler.js"):
            shutil.copyfile(os.path.join(PEER_SRC, f), os.path.join(PEER_DIR, f))
        # node_modules/.bin/serverless is what `npx serverless` runs; started directly, the
        # measured tree holds no idle `npm exec` wrapper (about 75 MB of RSS) and `sh -c`.
        sls = ["npx", "serverless"] if npx else [os.path.join(PEER_DIR, "node_modules", ".bin", "serverless")]
        cmd = sls + ["offline", "start",
               "--noPrependStageInUrl", "--host", "127.0.0.1",
               "--httpPort", str(port), "--lambdaPort", str(lambda_port),
               "--websocketPort", str(ws_port), "--albPort", str(alb_port), "--noSponsor"]
        if pin:
            cmd = ["taskset", "-c", "0"] + cmd
        self.cmd = cmd
        env = dict(os.environ, SLS_TELEMETRY_DISABLED="1", SLS_TRACKING_DISABLED="1",
                   SLS_NOTIFICATIONS_MODE="off", SLS_INTERACTIVE_SETUP_DISABLE="1",
                   SLS_DEPRECATION_DISABLE="*")
        # Its per-request log lines go to a file (part of its normal work; a pipe nobody
        # drains would stall it).
        self.log = tempfile.TemporaryFile(mode="w+")
        self._start(cmd, cwd=PEER_DIR, env=env, stdout=self.log)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            if self.proc.poll() is not None:
                self.fail(f"exited with {self.proc.returncode} before listening:\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.fail(f"port {port} did not answer within 180 s:\n{self.log_tail()}")
            time.sleep(0.2)
        self.ready_after = time.monotonic() - self.started

    def log_tail(self, n=4000):
        try:
            self.log.seek(0)
            return self.log.read()[-n:]
        except (OSError, ValueError):
            return ""

    def stop(self, signum=signal.SIGINT, grace=15):
        super().stop(signum, grace)


def peer_versions():
    got = {}
    for pkg in ("serverless", "serverless-offline"):
        try:
            with open(os.path.join(PEER_DIR, "node_modules", pkg, "package.json")) as f:
                got[pkg] = json.load(f)["version"]
        except (OSError, ValueError, KeyError):
            return None
    return got


def ensure_peer():
    """serverless@3 + serverless-offline@13 in PEER_DIR, installed once."""
    got = peer_versions()
    if got and got["serverless"].startswith("3.") and got["serverless-offline"].startswith("13."):
        return got
    if not shutil.which("node") or not shutil.which("npm"):
        sys.exit("error: node and npm are needed for the serverless-offline row (or leave it out with --only)")
    os.makedirs(PEER_DIR, exist_ok=True)
    pkg = os.path.join(PEER_DIR, "package.json")
    if not os.path.exists(pkg):
        with open(pkg, "w") as f:
            json.dump({"name": "glassgate-bench-peer", "private": True}, f)
    log(f"==> npm install {' '.join(PEER_PACKAGES)} into {os.path.relpath(PEER_DIR, ROOT)}")
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", *PEER_PACKAGES],
                   cwd=PEER_DIR, check=True, timeout=900)
    got = peer_versions()
    if not got:
        sys.exit("error: npm install did not leave serverless and serverless-offline in node_modules")
    return got


def write_template(tmp):
    node = os.path.join(tmp, "node")
    py = os.path.join(tmp, "py")
    rs = os.path.join(tmp, "rs")
    for d in (node, py, rs):
        os.makedirs(d, exist_ok=True)
    shutil.copyfile(os.path.join(PEER_SRC, "handler.js"), os.path.join(node, "handler.js"))
    with open(os.path.join(py, "app.py"), "w") as f:
        f.write(PY_HANDLER)
    with_rs = os.path.exists(RUST_EXAMPLE)
    if with_rs and not os.path.lexists(os.path.join(rs, "bootstrap")):
        os.symlink(RUST_EXAMPLE, os.path.join(rs, "bootstrap"))

    lines = [
        *api_head({"Auth": ("AuthFn", 0), "CachedAuth": ("AuthFn", 300)}),
        "  AuthFn:",
        "    Type: AWS::Serverless::Function",
        "    Properties:",
        "      Runtime: nodejs20.x",
        f"      CodeUri: {node}",
        "      Handler: handler.auth",
        "  HelloFn:",
        "    Type: AWS::Serverless::Function",
        "    Properties:",
        "      Runtime: nodejs20.x",
        f"      CodeUri: {node}",
        "      Handler: handler.hello",
        "      Events:",
        api_event("Hello", "/hello", "Auth"),
        api_event("Cached", "/hello-cached", "CachedAuth"),
        api_event("Open", "/open", "NONE"),
        "  PyFn:",
        "    Type: AWS::Serverless::Function",
        "    Properties:",
        "      Runtime: python3.12",
        f"      CodeUri: {py}",
        "      Handler: app.handler",
        "      Events:",
        api_event("Py", "/py", "NONE"),
    ]
    if with_rs:
        lines += [
            "  RsFn:",
            "    Type: AWS::Serverless::Function",
            "    Properties:",
            "      Runtime: provided.al2023",
            f"      CodeUri: {rs}",
            "      Handler: bootstrap",
            "      Events:",
            api_event("Rs", "/rs", "NONE"),
        ]
    path = os.path.join(tmp, "template.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------------------

def get(url):
    req = urllib.request.Request(url, headers={"Authorization": TOKEN})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            return r.status, ""
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")[:500]


def warm_up(url):
    for i in range(WARMUP):
        status, body = get(url)
        if status != 200:
            raise RuntimeError(f"warm-up request {i + 1} to {url}: {status} {body}")


def wrk(url, connections, duration, pin):
    cmd = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{duration}s",
           "-H", f"Authorization: {TOKEN}", "--latency", url]
    if pin:
        cmd = ["taskset", "-c", "1"] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    out = p.stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({p.returncode}):\n{out}\n{p.stderr}")
    n = re.search(r"(\d+) requests in", out)
    lat = {}
    for pc in ("50", "90", "99"):
        lm = re.search(rf"\s{pc}%\s+([\d.]+)(us|ms|s)", out)
        if lm:
            lat[pc] = float(lm.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[lm.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(m.group(1)),
        "requests": int(n.group(1)) if n else 0,
        "latency_ms": lat,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in sock.groups()) if sock else 0,
    }


def measured(srv, url, connections, args, sample_memory):
    sampler = MemorySampler(srv.tree) if sample_memory else None
    if sampler:
        sampler.start()
    cpu0 = srv.tree.cpu_s()
    try:
        r = wrk(url, connections, args.duration, args.pin)
    finally:
        cpu = srv.tree.cpu_s() - cpu0
        if sampler:
            sampler.stop()
    r["cpu_ms_per_req"] = cpu * 1000 / r["requests"] if r["requests"] else None
    r["cpu_s"] = cpu
    if sampler:
        r["peak_rss_mb"] = sampler.peak_rss_kb / 1024
        r["peak_pss_mb"] = sampler.peak_pss_kb / 1024
        r["peak_procs"] = sampler.peak_procs
        r["memory_samples"] = sampler.samples
    r["health_after"] = srv.health()
    return r


def run_row(row, args, template):
    name, label, gateway, path, extra = row
    if gateway == "sls":
        srv = ServerlessOffline(args.pin, args.npx)
    else:
        srv = Glassgate(args.glassgate, template, extra, args.pin)
    try:
        log(f"==> {name}: {label}: ready after {srv.ready_after:.1f} s; warm-up")
        url = srv.url + path
        warm_up(url)
        res = {"command": srv.cmd, "ready_s": srv.ready_after, "health_before": srv.health()}
        log(f"    wrk {HIGH} connections, {args.duration} s")
        res["c64"] = measured(srv, url, HIGH, args, True)
        log(f"    wrk {LOW} connection, {args.duration} s")
        res["c1"] = measured(srv, url, LOW, args, False)
        log(f"    {res['c64']['rps']:,.0f} / {res['c1']['rps']:,.0f} req/s, "
            f"peak RSS {res['c64']['peak_rss_mb']:.0f} MB")
        return res
    except Exception:
        tail = srv.stderr_tail()
        if tail:
            log(f"{srv.name} stderr:\n{tail}")
        raise
    finally:
        srv.stop()


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------

def mean(xs):
    xs = [x for x in xs if x is not None]
    return statistics.mean(xs) if xs else None


def fmt(v, spec=",.0f", none="-"):
    return none if v is None else format(v, spec)


def pool_summary(health):
    procs = (health or {}).get("processes")
    if not isinstance(procs, dict):
        return "-"
    return ", ".join(f"{k} {v if isinstance(v, int) else json.dumps(v, separators=(',', ':'))}"
                     for k, v in sorted(procs.items())) or "none"


def summarize(rows, rounds):
    """Per row: the mean over rounds of each measure."""
    out = {}
    for name, *_ in rows:
        rs = [r[name] for r in rounds if name in r]
        if not rs:
            continue
        out[name] = {
            "rps_64": mean(r["c64"]["rps"] for r in rs),
            "rps_1": mean(r["c1"]["rps"] for r in rs),
            "cpu_64": mean(r["c64"]["cpu_ms_per_req"] for r in rs),
            "cpu_1": mean(r["c1"]["cpu_ms_per_req"] for r in rs),
            "rss": mean(r["c64"]["peak_rss_mb"] for r in rs),
            "pss": mean(r["c64"]["peak_pss_mb"] for r in rs),
            "procs": max(r["c64"]["peak_procs"] for r in rs),
            "non_2xx_64": sum(r["c64"]["non_2xx"] for r in rs),
            "non_2xx_1": sum(r["c1"]["non_2xx"] for r in rs),
            "sock": sum(r["c64"]["socket_errors"] + r["c1"]["socket_errors"] for r in rs),
            "pool": pool_summary(rs[-1]["c64"]["health_after"]),
        }
    return out


def ratios(rounds, summary):
    """The ratios the targets use, for the rows that were run: per round and from the means."""
    rps64 = lambda r: r["c64"]["rps"]  # noqa: E731
    rps1 = lambda r: r["c1"]["rps"]  # noqa: E731
    rss = lambda r: r["c64"]["peak_rss_mb"]  # noqa: E731
    pss = lambda r: r["c64"]["peak_pss_mb"]  # noqa: E731
    specs = [
        # label, row a, measure of a, row b, measure of b, key of the same measure in summary
        ("glassgate /hello ÷ serverless-offline /hello, req/s at 64 connections",
         "hello", rps64, "sls", rps64, "rps_64", "rps_64"),
        ("glassgate /hello ÷ serverless-offline /hello, peak RSS of the tree",
         "hello", rss, "sls", rss, "rss", "rss"),
        ("glassgate /hello ÷ serverless-offline /hello, peak PSS of the tree",
         "hello", pss, "sls", pss, "pss", "pss"),
        ("glassgate /hello --max-concurrency 1 ÷ default, req/s at 64 connections",
         "hello-mc1", rps64, "hello", rps64, "rps_64", "rps_64"),
        ("Node /open: 64 ÷ 1 connection throughput", "open", rps64, "open", rps1, "rps_64", "rps_1"),
        ("Python /py: 64 ÷ 1 connection throughput", "py", rps64, "py", rps1, "rps_64", "rps_1"),
        ("Rust /rs: 64 ÷ 1 connection throughput", "rs", rps64, "rs", rps1, "rps_64", "rps_1"),
        ("/hello-cached ÷ /hello, req/s at 64 connections",
         "hello-cached", rps64, "hello", rps64, "rps_64", "rps_64"),
        ("/hello-cached ÷ /open, req/s at 64 connections",
         "hello-cached", rps64, "open", rps64, "rps_64", "rps_64"),
    ]

    def div(x, y):
        return x / y if x is not None and y else None

    got = []
    for label, a, ma, b, mb, ka, kb in specs:
        if a not in summary or b not in summary:
            continue
        per = [div(ma(r[a]), mb(r[b])) for r in rounds if a in r and b in r]
        got.append({"ratio": label, "rounds": per, "of_means": div(summary[a][ka], summary[b][kb])})
    return got


def report(args, rows, rounds, versions, notes):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    summary = summarize(rows, rounds)
    rat = ratios(rounds, summary)
    print(f"## {time.strftime('%Y-%m-%d')} on {platform.node()}: {os.cpu_count()} cores, {cpu}")
    print(f"pinned: {args.pin}; duration: {args.duration}s per run; rounds: {args.rounds}; "
          f"glassgate: {os.path.relpath(args.glassgate, ROOT)}; node {versions.get('node', '?')}"
          + (f"; serverless {versions['serverless']}, serverless-offline {versions['serverless-offline']}"
             if "serverless" in versions else ""))
    for n in notes:
        print(f"note: {n}")
    print()
    print(f"| row | req/s, {HIGH} conns | req/s, {LOW} conn | CPU ms/req of the tree, {HIGH} / {LOW} "
          f"| peak RSS of the tree, MB | peak PSS, MB | peak processes | pool after {HIGH} conns (/health) "
          f"| non-2xx, {HIGH} / {LOW} |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, label, *_ in rows:
        s = summary.get(name)
        if not s:
            continue
        errs = f"{s['non_2xx_64']} / {s['non_2xx_1']}" + (f" (+{s['sock']} socket errors)" if s["sock"] else "")
        print(f"| {label} | {fmt(s['rps_64'])} | {fmt(s['rps_1'])} "
              f"| {fmt(s['cpu_64'], '.3f')} / {fmt(s['cpu_1'], '.3f')} | {fmt(s['rss'], '.1f')} "
              f"| {fmt(s['pss'], '.1f')} | {s['procs']} | {s['pool']} | {errs} |")
    if args.rounds > 1:
        print()
        print("Per round (rows ran in the listed order on odd rounds, reversed on even ones):\n")
        print("| row | " + " | ".join(f"round {i + 1}: req/s {HIGH} / {LOW}, RSS MB" for i in range(len(rounds))) + " |")
        print("|---|" + "---|" * len(rounds))
        for name, label, *_ in rows:
            if name not in summary:
                continue
            cells = []
            for r in rounds:
                x = r.get(name)
                cells.append("-" if x is None else
                             f"{x['c64']['rps']:,.0f} / {x['c1']['rps']:,.0f}, {x['c64']['peak_rss_mb']:.0f}")
            print(f"| {label} | " + " | ".join(cells) + " |")
    if rat:
        print()
        print("| ratio | per round | from the means |")
        print("|---|---|---|")
        for r in rat:
            per = ", ".join(fmt(x, ".3f") for x in r["rounds"])
            print(f"| {r['ratio']} | {per} | {fmt(r['of_means'], '.3f')} |")
    if "hello-cached" in summary:
        print(f"\n/hello-cached: {fmt(summary['hello-cached']['rps_64'])} req/s at {HIGH} connections, "
              f"{fmt(summary['hello-cached']['rps_1'])} at {LOW}.")
    return summary, rat


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    ap.add_argument("--rounds", type=int, default=1, help="alternating repeats of every row (default 1)")
    ap.add_argument("--only", metavar="NAME[,NAME]",
                    help="rows to run: " + ", ".join(r[0] for r in ROWS))
    ap.add_argument("--pin", action="store_true", help="servers on core 0, wrk (and this script) on core 1")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build first")
    ap.add_argument("--glassgate", default=None, metavar="PATH",
                    help="glassgate binary (default target/release/glassgate)")
    ap.add_argument("--npx", action="store_true",
                    help="start serverless-offline as `npx serverless offline start` (its npm-exec "
                    "wrapper then counts in the tree) instead of node_modules/.bin/serverless")
    ap.add_argument("--json", metavar="FILE", help="write every measure and the raw /health JSON to FILE")
    args = ap.parse_args()
    if args.duration < 1 or args.rounds < 1:
        ap.error("--duration and --rounds must be at least 1")

    rows = list(ROWS)
    if args.only:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        unknown = [w for w in wanted if w not in {r[0] for r in ROWS}]
        if unknown:
            ap.error(f"unknown row(s) {', '.join(unknown)}; rows: {', '.join(r[0] for r in ROWS)}")
        rows = [r for r in ROWS if r[0] in wanted]
    if not args.no_build:
        build()
    notes = []
    if args.glassgate is None:
        args.glassgate = GLASSGATE
        debug = os.path.join(ROOT, "target", "debug", "glassgate")
        if not os.path.exists(GLASSGATE) and os.path.exists(debug):
            args.glassgate = debug
            notes.append("target/release/glassgate is missing: this run used the DEBUG build")
    args.glassgate = os.path.abspath(args.glassgate)
    if any(r[2] == "gg" for r in rows) and not os.path.exists(args.glassgate):
        sys.exit(f"error: {args.glassgate} does not exist (build it, or drop --no-build)")
    if any(r[0] == "rs" for r in rows) and not os.path.exists(RUST_EXAMPLE):
        if args.only and "rs" in args.only.split(","):
            sys.exit(f"error: {RUST_EXAMPLE} does not exist "
                     "(cargo build --release --example provided-rust)")
        notes.append("target/release/examples/provided-rust is missing: the /rs row was skipped")
        rows = [r for r in rows if r[0] != "rs"]
    if args.pin:
        if (os.cpu_count() or 1) < 2:
            sys.exit("error: --pin needs two cores")
        os.sched_setaffinity(0, {1})
    ensure_wrk()
    versions = {}
    try:
        versions["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True,
                                          timeout=30).stdout.strip()
    except OSError:
        pass
    if any(r[2] == "sls" for r in rows):
        versions.update(ensure_peer())

    atexit.register(stop_all)

    def on_signal(signum, _frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    rounds = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            template = write_template(tmp)
            for i in range(args.rounds):
                order = rows if i % 2 == 0 else list(reversed(rows))
                log(f"==> round {i + 1} of {args.rounds}: {', '.join(r[0] for r in order)}")
                got = {}
                for row in order:
                    got[row[0]] = run_row(row, args, template)
                rounds.append(got)
    finally:
        stop_all()

    summary, rat = report(args, rows, rounds, versions, notes)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({
                "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "host": platform.node(),
                "cores": os.cpu_count(),
                "args": vars(args),
                "versions": versions,
                "notes": notes,
                "rows": [{"name": r[0], "label": r[1], "path": r[3], "flags": r[4]} for r in rows],
                "rounds": rounds,
                "mean": summary,
                "ratios": rat,
            }, f, indent=2)
        log(f"==> wrote {args.json}")


if __name__ == "__main__":
    main()
