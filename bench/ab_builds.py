#!/usr/bin/env python3
"""Two release builds of glassgate side by side, alternated round by round in one run: the open
route and the warm-cache TOKEN authorizer route of bench/load.py, gateway on core 0, wrk on
core 1, 64 connections, 5 s per side.

Usage: python3 bench/ab_builds.py BEFORE_BINARY AFTER_BINARY [ROUNDS]
(build the other commit in a worktree: git worktree add /tmp/old COMMIT &&
 (cd /tmp/old && CARGO_TARGET_DIR=/tmp/oldtarget cargo build --release))
"""

import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402

if len(sys.argv) < 3:
    sys.exit(__doc__)
builds = {"before": sys.argv[1], "after": sys.argv[2]}
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
got = {(b, r): [] for b in builds for r in ("rs", "rs-cached")}
with tempfile.TemporaryDirectory() as tmp:
    template = load.write_bench_template(tmp)
    for i in range(rounds):
        order = list(builds) if i % 2 == 0 else list(reversed(list(builds)))
        for b in order:
            load.GLASSGATE = builds[b]
            srv = load.Server(template, ["--log-format", "off", "--max-concurrency", "4"], True)
            for route in ("rs", "rs-cached"):
                for _ in range(50):
                    load.get(f"{srv.url}/{route}", True)
            for route in ("rs", "rs-cached"):
                cpu0 = srv.cpu_s()
                rps, lat, bad = load.wrk(f"{srv.url}/{route}", 64, 5, True, True)
                cpu = srv.cpu_s() - cpu0
                got[(b, route)].append((rps, cpu * 1e6 / max(1, rps * 5)))
                print(f"round {i+1} {b} /{route}: {rps:,.0f} req/s {cpu*1e6/max(1,rps*5):.1f} us", flush=True)
            srv.stop()
print("| build | open route req/s (mean) | gateway CPU/req | warm-cache authorizer route req/s | gateway CPU/req |")
print("|---|---|---|---|---|")
for b in builds:
    o = got[(b, "rs")]; c = got[(b, "rs-cached")]
    print(f"| {b} | {statistics.mean(r for r,_ in o):,.0f} | {statistics.mean(x for _,x in o):.1f} us | {statistics.mean(r for r,_ in c):,.0f} | {statistics.mean(x for _,x in c):.1f} us |")
