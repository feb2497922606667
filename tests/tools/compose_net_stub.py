#!/usr/bin/python3
"""Stand-ins for what docker-compose gives the proxy, for tests/e2e/compose_proxy.sh
(run inside a network namespace of the test's own):

  compose_net_stub.py dns HOSTS
      Docker's embedded DNS: a UDP server on 127.0.0.11:53 answering an A query
      for a service name with every address HOSTS lists for it, TTL 600 as
      Docker's; NXDOMAIN for a name without addresses. HOSTS is read at every
      query, one `name addr...` line per service, so a test scales a service by
      rewriting it.
  compose_net_stub.py http ADDR PORT [STATUS]
      One replica of a daemon: answers every request with STATUS (200) and a
      JSON body saying who answered what: replica, method, path, host,
      x_forwarded_for, x_real_ip.
"""
import json
import socket
import struct
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def hosts(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split()
            if words:
                out[words[0].lower()] = words[1:]
    return out


def dns(path):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.11", 53))
    print("dns ready", flush=True)
    while True:
        query, peer = sock.recvfrom(512)
        if len(query) < 12:
            continue
        qid, _, qdcount = struct.unpack("!HHH", query[:6])
        pos, labels = 12, []
        while pos < len(query) and query[pos]:
            labels.append(query[pos + 1:pos + 1 + query[pos]].decode("ascii", "replace"))
            pos += 1 + query[pos]
        pos += 1
        qtype, = struct.unpack("!H", query[pos:pos + 2])
        question = query[12:pos + 4]
        name = ".".join(labels).lower()
        addrs = hosts(path).get(name, [])
        answers = b""
        if qtype == 1:  # A
            for a in addrs:
                answers += struct.pack("!HHHIH", 0xC00C, 1, 1, 600, 4) + socket.inet_aton(a)
        rcode = 0 if addrs else 3
        n = len(addrs) if qtype == 1 else 0
        header = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, n, 0, 0)
        sock.sendto(header + question + answers, peer)
        print(f"dns {name} type {qtype}: {' '.join(addrs) or 'NXDOMAIN'}", flush=True)


def http(addr, port, status):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self):
            body = json.dumps({
                "replica": addr, "method": self.command, "path": self.path,
                "host": self.headers.get("Host"),
                "x_forwarded_for": self.headers.get("X-Forwarded-For"),
                "x_real_ip": self.headers.get("X-Real-IP"),
            }).encode() + b"\n"
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_HEAD = answer

        def log_message(self, fmt, *args):
            print(f"{addr}:{port} {fmt % args}", flush=True)

    server = ThreadingHTTPServer((addr, port), Handler)
    print(f"http {addr}:{port} ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1] == "dns":
        dns(sys.argv[2])
    elif sys.argv[1] == "http":
        http(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 200)
    else:
        sys.exit(__doc__)
