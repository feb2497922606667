#!/usr/bin/env python3
"""Holds hundreds of idle and slow HTTP connections to a server while a
well-behaved client, from another loopback address, sends normal requests.

Attackers (all from --attacker-ip, opened in this order):
  idle       connect and send nothing
  slow-head  send a request line, then one byte of a header every --trickle s
             (slowloris: never finishing the head, always active)
  slow-body  send a whole POST head with Content-Length, then one body byte
             every --trickle s
Then --extra more idle connections, which a per-address limit should refuse.

The normal client (--client-ip) sends --requests GETs of --path, each on a new
connection, while the attackers hold on. Then the attackers keep trickling
until the server has closed them all, or --give-up s pass.

Prints one JSON object: how many attackers of each kind the server accepted
(still open --settle s after opening) or refused (closed at once), the normal
client's answers and latencies, and how long after its opening the server
closed each kind (min, max seconds)."""

import argparse
import json
import resource
import selectors
import socket
import statistics
import time


def connect(host, port, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.setblocking(False)
    try:
        s.connect((host, port))
    except BlockingIOError:
        pass
    return s


class Attacker:
    def __init__(self, kind, sock, opened):
        self.kind, self.sock, self.opened = kind, sock, opened
        self.closed_at = None
        self.pending = b""  # bytes still to send, one per trickle

    def feed(self):
        """Sends the next byte; notes a close by the server."""
        if self.closed_at is not None or not self.pending:
            return
        try:
            n = self.sock.send(self.pending[:1])
            self.pending = self.pending[n:]
        except BlockingIOError:
            pass
        except OSError:
            self.closed_at = time.monotonic()

    def poll_closed(self):
        if self.closed_at is not None:
            return True
        try:
            data = self.sock.recv(65536)
            if data == b"":
                self.closed_at = time.monotonic()
            # an answer (e.g. 408/431) before the close counts as open until the close
        except BlockingIOError:
            pass
        except OSError:
            self.closed_at = time.monotonic()
        return self.closed_at is not None


def normal_request(host, port, source, path, timeout):
    """One GET on a new connection. @returns (status or None, seconds)."""
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout, source_address=(source, 0)) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: siege\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else None
    except (OSError, ValueError, IndexError):
        status = None
    return status, time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--attacker-ip", default="127.0.0.1")
    ap.add_argument("--client-ip", default="127.0.0.2")
    ap.add_argument("--idle", type=int, default=250)
    ap.add_argument("--slow-head", type=int, default=150)
    ap.add_argument("--slow-body", type=int, default=50)
    ap.add_argument("--extra", type=int, default=50)
    ap.add_argument("--trickle", type=float, default=0.5)
    ap.add_argument("--settle", type=float, default=0.5)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--path", default="/health")
    ap.add_argument("--give-up", type=float, default=30)
    args = ap.parse_args()

    total = args.idle + args.slow_head + args.slow_body + args.extra
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < total + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, total + 256), hard))

    attackers = []
    head = b"GET /health HTTP/1.1\r\nHost: siege\r\n"
    slow_head = head + b"X-Slow: " + b"a" * 100000
    slow_body = b"POST /order/1 HTTP/1.1\r\nHost: siege\r\nContent-Length: 1000\r\n\r\n"
    for kind, n in (("idle", args.idle), ("slow_head", args.slow_head),
                    ("slow_body", args.slow_body), ("extra", args.extra)):
        for _ in range(n):
            a = Attacker(kind, connect(args.host, args.port, args.attacker_ip), time.monotonic())
            if kind == "slow_head":
                a.sock.setblocking(True)  # the head's start goes out at once
                a.sock.sendall(head)
                a.sock.setblocking(False)
                a.pending = slow_head[len(head):]
            elif kind == "slow_body":
                a.sock.setblocking(True)
                a.sock.sendall(slow_body)
                a.sock.setblocking(False)
                a.pending = b"x" * 1000
            attackers.append(a)

    def tick():
        for a in attackers:
            a.feed()
            a.poll_closed()

    # The server refuses connections over its limits at once.
    settle_until = time.monotonic() + args.settle
    while time.monotonic() < settle_until:
        tick()
        time.sleep(0.05)
    opened_kinds = {}
    for a in attackers:
        key = "refused" if a.closed_at is not None else "accepted"
        opened_kinds.setdefault(a.kind, {"accepted": 0, "refused": 0})[key] += 1

    # The normal client, while every attacker holds on and trickles.
    latencies, statuses = [], {}
    next_tick = time.monotonic()
    for _ in range(args.requests):
        status, took = normal_request(args.host, args.port, args.client_ip, args.path, 5)
        latencies.append(took)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if time.monotonic() >= next_tick:
            tick()
            next_tick = time.monotonic() + args.trickle
    held_during_requests = sum(1 for a in attackers if a.kind != "extra" and a.closed_at is None)

    # Trickle on until the server closes them.
    deadline = time.monotonic() + args.give_up
    while time.monotonic() < deadline and any(a.closed_at is None for a in attackers):
        tick()
        time.sleep(args.trickle)

    closed_after = {}
    for kind in ("idle", "slow_head", "slow_body"):
        times = [a.closed_at - a.opened for a in attackers if a.kind == kind and a.closed_at]
        closed_after[kind] = [round(min(times), 2), round(max(times), 2)] if times else None
    latencies.sort()
    print(json.dumps({
        "attackers": opened_kinds,
        "held_during_requests": held_during_requests,
        "still_open": sum(1 for a in attackers if a.closed_at is None),
        "normal": {
            "statuses": statuses,
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
            "max_ms": round(latencies[-1] * 1000, 1),
        },
        "closed_after_s": closed_after,
    }))


if __name__ == "__main__":
    main()
