"""The service behind the gateway: it knows nothing of tokens and trusts the X-User and
X-Plan headers the gateway sets. `/slow` takes 5 s (longer than the integration's 2 s).

Run: python3 src/service.py [PORT]  (default 8081)
"""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(5)
        body = json.dumps({
            "path": self.path,
            "user": self.headers.get("X-User"),
            "plan": self.headers.get("X-Plan"),
            "forwardedFor": self.headers.get("X-Forwarded-For"),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8081
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"service listening on http://127.0.0.1:{port}", flush=True)
    server.serve_forever()
