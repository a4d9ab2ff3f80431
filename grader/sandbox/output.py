"""Capture a sandboxed process's output into a log file with a hard size cap.

The head of the output is written as it arrives (so a crash loses nothing); once the cap's
first half is used, only a bounded tail is kept in memory and written when the stream
ends, with a line saying how much was dropped in between.
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path
from typing import BinaryIO


class CappedLog:
    def __init__(self, path: Path, limit_bytes: int, header: str = ""):
        self.path = path
        self.head_limit = limit_bytes // 2
        self.tail_limit = limit_bytes - self.head_limit
        self.dropped = 0
        self._written = 0
        self._tail: deque[bytes] = deque()
        self._tail_size = 0
        self._file = open(path, "wb")
        if header:
            self._file.write(header.encode())
            self._file.flush()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def truncated(self) -> bool:
        return self.dropped > 0

    def feed(self, chunk: bytes) -> None:
        with self._lock:
            if not self._closed:
                self._feed(chunk)

    def _feed(self, chunk: bytes) -> None:
        room = self.head_limit - self._written
        if room > 0:
            self._file.write(chunk[:room])
            self._file.flush()
            self._written += min(room, len(chunk))
            chunk = chunk[room:]
        if not chunk:
            return
        self._tail.append(chunk)
        self._tail_size += len(chunk)
        while self._tail_size > self.tail_limit:
            extra = self._tail_size - self.tail_limit
            first = self._tail[0]
            if len(first) <= extra:
                self._tail.popleft()
                self._tail_size -= len(first)
                self.dropped += len(first)
            else:
                self._tail[0] = first[extra:]
                self._tail_size -= extra
                self.dropped += extra

    def pump(self, stream: BinaryIO) -> None:
        """Read `stream` to its end in a background thread."""

        def run() -> None:
            while True:
                chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
                if not chunk:
                    break
                self.feed(chunk)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            self._closed = True
        if self.dropped:
            self._file.write(f"\n[... {self.dropped} bytes of output dropped: output limit reached ...]\n".encode())
        for chunk in self._tail:
            self._file.write(chunk)
        self._tail.clear()
        self._file.close()


def tail_text(path: Path, max_lines: int = 20, max_bytes: int = 8192) -> str:
    """The last lines of a log, for evidence in a report."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            data = f.read()
    except OSError:
        return ""
    lines = data.decode("utf-8", errors="replace").splitlines()
    return "\n".join(lines[-max_lines:])
