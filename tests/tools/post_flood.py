#!/usr/bin/env python3
"""Floods an HTTP server with one request (POST /order/100 by default) from
one or many loopback source addresses, each over its own kept-alive
connection, for --seconds or until each source sent --requests.

Meanwhile an honest client (--honest-ip) sends --honest-path (POST /order/1)
every --honest-every s on connections of its own, if given.

Prints one JSON object:
  flood:  {"sent", "statuses": {code: n}, "retry_after": {code: [min, max]},
           "bad_errors": n (non-2xx answers whose body is not {"error": str}),
           "failed": n (no answer: connection errors)}
  honest: the same for the honest client, plus "max_ms"."""

import argparse
import http.client
import json
import threading
import time


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = 0
        self.statuses = {}
        self.retry_after = {}
        self.bad_errors = 0
        self.failed = 0
        self.max_ms = 0.0

    def add(self, status, headers, body, ms):
        with self.lock:
            self.sent += 1
            self.max_ms = max(self.max_ms, ms)
            if status is None:
                self.failed += 1
                return
            key = str(status)
            self.statuses[key] = self.statuses.get(key, 0) + 1
            ra = headers.get("Retry-After")
            if ra is not None and ra.isdigit():
                lo, hi = self.retry_after.get(key, [int(ra), int(ra)])
                self.retry_after[key] = [min(lo, int(ra)), max(hi, int(ra))]
            elif status in (429, 503):
                self.retry_after.setdefault(key + "_missing", [0, 0])
            if status >= 300:
                try:
                    doc = json.loads(body)
                    ok = isinstance(doc, dict) and isinstance(doc.get("error"), str)
                except ValueError:
                    ok = False
                if not ok:
                    self.bad_errors += 1

    def json(self):
        return {"sent": self.sent, "statuses": self.statuses, "retry_after": self.retry_after,
                "bad_errors": self.bad_errors, "failed": self.failed,
                "max_ms": round(self.max_ms, 1)}


def request(conn, method, path):
    start = time.monotonic()
    conn.request(method, path)
    resp = conn.getresponse()
    body = resp.read()
    return resp.status, dict(resp.getheaders()), body, (time.monotonic() - start) * 1000


def worker(args, source, tally, deadline, path, limit, pause):
    conn = None
    n = 0
    while time.monotonic() < deadline and (limit == 0 or n < limit):
        n += 1
        try:
            if conn is None:
                conn = http.client.HTTPConnection(args.host, args.port, timeout=10,
                                                  source_address=(source, 0))
            tally.add(*request(conn, "POST", path))
        except (OSError, http.client.HTTPException):
            tally.add(None, {}, b"", 0)
            if conn is not None:
                conn.close()
            conn = None
        if pause:
            time.sleep(pause)
    if conn is not None:
        conn.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sources", nargs="+", required=True, help="source addresses of the flood")
    p.add_argument("--path", default="/order/100")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--requests", type=int, default=0, help="per source; 0: until --seconds")
    p.add_argument("--honest-ip")
    p.add_argument("--honest-path", default="/order/1")
    p.add_argument("--honest-every", type=float, default=0.2)
    args = p.parse_args()

    deadline = time.monotonic() + args.seconds
    flood, honest = Tally(), Tally()
    threads = [threading.Thread(target=worker,
                                args=(args, s, flood, deadline, args.path, args.requests, 0))
               for s in args.sources]
    if args.honest_ip:
        threads.append(threading.Thread(target=worker, args=(
            args, args.honest_ip, honest, deadline, args.honest_path, 0, args.honest_every)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {"flood": flood.json()}
    if args.honest_ip:
        out["honest"] = honest.json()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
