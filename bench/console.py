#!/usr/bin/env python3
"""What an open console costs the gateway, on a release build, over loopback only.

One server, the warm-cache TOKEN authorizer route of bench/load.py (the Rust handler), and
three sides alternated round by round (the order rotates so drift hits every side):
  * none:     nobody subscribed to GET /events;
  * reading:  one subscriber reading the stream as the console does (every request is an
              event, serialized and sent);
  * stalled:  one subscriber that connects and never reads: it must cost nothing and be
              dropped (its stream ends with `reset`, or the server closes it).

Reports requests/s and gateway CPU per request per side, the events the reading subscriber
got, and what happened to the stalled one. Also: the console's assets' total size.

Usage: python3 bench/console.py [--rounds 3] [--duration 5] [--connections 64] [--pin]
Needs wrk (installed with apt-get when run as root).
"""

import argparse
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import build, ensure_wrk, log  # noqa: E402
import load  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Subscriber:
    """A raw GET /events connection; reads (and counts events) unless told not to."""

    def __init__(self, host, port, read):
        self.sock = socket.create_connection((host, port))
        self.sock.sendall(f"GET /events HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        self.events = 0
        self.ended = None
        if read:
            self.thread = threading.Thread(target=self._read, daemon=True)
            self.thread.start()
        else:
            # The smallest receive buffer: the stream backs up at once.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)

    def _read(self):
        tail = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            data = tail + chunk
            self.events += data.count(b"\nevent: request\n")
            tail = data[-32:]

    def drain_after_stall(self):
        """Read what a stalled subscriber was sent: did the server give up on it?"""
        self.sock.settimeout(5)
        got = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return "closed by the server" + (" after reset" if b"event: reset" in got else "")
                got += chunk
                if got.endswith(b"0\r\n\r\n"):
                    return "stream ended" + (" with reset" if b"event: reset" in got else "")
        except socket.timeout:
            return "still open" + (" (reset sent)" if b"event: reset" in got else "")
        except OSError as e:
            return f"reset by the server ({e.__class__.__name__})"

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--pin", action="store_true", help="gateway on core 0, wrk on core 1")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    ensure_wrk()
    if not args.no_build:
        build()
    sides = ("none", "reading", "stalled")
    got = {s: [] for s in sides}
    notes = []
    with tempfile.TemporaryDirectory() as tmp:
        template = load.write_bench_template(tmp)
        srv = load.Server(template, ["--log-format", "off", "--max-concurrency", "4"], args.pin)
        m = re.search(r"Admin API on http://([\d.]+):(\d+)", srv.banner)
        if not m:
            sys.exit("no admin address in serve's banner")
        host, port = m.group(1), int(m.group(2))
        url = f"{srv.url}/rs-cached"
        for _ in range(50):
            load.get(url, True)
        for i in range(args.rounds):
            order = sides[i % 3:] + sides[:i % 3]
            for side in order:
                sub = None
                if side != "none":
                    sub = Subscriber(host, port, read=side == "reading")
                    time.sleep(0.2)
                cpu0 = srv.cpu_s()
                rps, lat, bad = load.wrk(url, args.connections, args.duration, args.pin, True)
                cpu = srv.cpu_s() - cpu0
                if bad:
                    sys.exit(f"{bad} non-2xx responses")
                n = max(1.0, rps * args.duration)
                got[side].append((rps, cpu * 1e6 / n, lat.get("99", 0.0)))
                if side == "reading":
                    time.sleep(0.5)
                    notes.append(f"round {i + 1}: the reading subscriber got {sub.events:,} request events "
                                 f"for {n:,.0f} requests")
                if side == "stalled":
                    notes.append(f"round {i + 1}: the stalled subscriber: {sub.drain_after_stall()}")
                if sub:
                    sub.close()
                log(f"round {i + 1}: {side}: {rps:,.0f} req/s")
        srv.stop()
    print("| subscriber | requests/s per round | mean | gateway CPU per request (mean) | p99 (mean) |")
    print("|---|---|---|---|---|")
    base = statistics.mean(r for r, _, _ in got["none"])
    for side in sides:
        rounds = ", ".join(f"{r:,.0f}" for r, _, _ in got[side])
        mean = statistics.mean(r for r, _, _ in got[side])
        print(f"| {side} | {rounds} | {mean:,.0f} ({mean / base * 100:.1f} %) "
              f"| {statistics.mean(c for _, c, _ in got[side]):.1f} us "
              f"| {statistics.mean(p for _, _, p in got[side]):.2f} ms |")
    for n in notes:
        print(f"- {n}")
    total = 0
    for dirpath, _, files in os.walk(os.path.join(ROOT, "console")):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    print(f"- console assets: {total / 1024:.1f} KB in all")


if __name__ == "__main__":
    main()
