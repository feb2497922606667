"""free_ports.py N: prints N distinct free loopback TCP ports, space-separated.

All N sockets are held open together while chosen, so no port repeats; the
caller binds them soon after (scripts/kafka.sh retries if one was taken).
"""
import socket
import sys

socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
