"""Reach a server inside a container through `docker exec`, with no network at all.

The container serves on a Unix socket inside its own volume. `ExecRelay` listens on a
local Unix socket; each connection made to it starts a tiny relay process inside the
container (`RELAY_CODE`, run by the container's Python) that connects to the app's socket
and pipes bytes both ways over the exec's stdin and stdout. This works the same with a
local engine and a remote one (`DOCKER_HOST`), and never exposes a host path.
"""

from __future__ import annotations

import socket
import struct
import tempfile
import threading
from pathlib import Path

RELAY_CODE = """
import os, socket, sys, threading
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
def upstream():
    while True:
        data = os.read(0, 65536)
        if not data:
            break
        s.sendall(data)
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=upstream, daemon=True).start()
while True:
    data = s.recv(65536)
    if not data:
        break
    os.write(1, data)
"""


def _raw(sock):
    """The plain socket under what docker-py's exec_start(socket=True) returns."""
    return getattr(sock, "_sock", sock)


class ExecRelay:
    def __init__(self, client, container_id: str, python: str, inside_socket: str, user: str):
        self.client = client
        self.container_id = container_id
        self.command = [python, "-I", "-c", RELAY_CODE, inside_socket]
        self.user = user
        self.dir = Path(tempfile.mkdtemp(prefix="gr-", dir="/tmp"))
        self.path = self.dir / "relay.sock"
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(self.path))
        self.server.listen(16)
        self._open: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            exec_id = self.client.api.exec_create(self.container_id, self.command, stdin=True, stdout=True,
                                                  stderr=False, user=self.user)
            remote = _raw(self.client.api.exec_start(exec_id, socket=True))
        except Exception:
            conn.close()
            return
        self._open.update((conn, remote))
        threading.Thread(target=self._upstream, args=(conn, remote), daemon=True).start()
        self._downstream(remote, conn)

    def _upstream(self, conn: socket.socket, remote: socket.socket) -> None:
        try:
            while data := conn.recv(65536):
                remote.sendall(data)
            remote.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _downstream(self, remote: socket.socket, conn: socket.socket) -> None:
        """Docker multiplexes a non-tty exec's output in frames: 8-byte header, then payload."""
        try:
            while True:
                header = _read_exact(remote, 8)
                if header is None:
                    break
                _stream, size = struct.unpack(">BxxxL", header)
                payload = _read_exact(remote, size)
                if payload is None:
                    break
                conn.sendall(payload)
        except OSError:
            pass
        finally:
            for s in (conn, remote):
                self._open.discard(s)
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self._closed = True
        try:
            self.server.close()
        except OSError:
            pass
        for s in list(self._open):
            try:
                s.close()
            except OSError:
                pass
        try:
            self.path.unlink(missing_ok=True)
            self.dir.rmdir()
        except OSError:
            pass


def _read_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)
