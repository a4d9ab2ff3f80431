"""The prediction log: one JSON line per prediction, written off the request path.

`PredictionLog.record` only puts the record on an in-memory queue; a background thread
appends queued records to `<folder>/predictions-<UTC date>-<pid>.jsonl` and flushes at
least every half second, so a prediction reaches the file well within the 2 seconds the
data platform is promised. One file per process keeps lines from several workers from
interleaving.

Logging never fails or holds up a prediction: when the queue is full (the disk stalls)
records are dropped and counted; when the folder cannot be written, the writer says so once
on stderr, counts what it drops and tries again on the next batch.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from datetime import datetime, timezone
from pathlib import Path

log = logging.getLogger("credit_risk.prediction_log")

_STOP = object()


class PredictionLog:
    def __init__(self, folder: Path, flush_every_s: float = 0.5, max_pending: int = 100_000):
        self.folder = Path(folder)
        self.flush_every_s = flush_every_s
        self.dropped = 0
        self.written = 0
        self._queue: queue.Queue = queue.Queue(maxsize=max_pending)
        self._thread: threading.Thread | None = None
        self._file = None
        self._file_day: str | None = None
        self._warned = False

    # -- request path ----------------------------------------------------------------------
    def record(self, features: dict, probability: float, model_version: str) -> None:
        entry = {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "model_version": model_version,
            "probability_default": probability,
            "features": features,
        }
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self.dropped += 1

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "PredictionLog":
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout_s: float = 5.0) -> None:
        """Write what is queued, then stop the writer."""
        if self._thread is None:
            return
        try:
            self._queue.put(_STOP, timeout=timeout_s)
        except queue.Full:
            pass
        self._thread.join(timeout_s)
        self._thread = None
        self._close_file()

    # -- writer thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                batch = [self._queue.get(timeout=self.flush_every_s)]
            except queue.Empty:
                continue
            while len(batch) < 1_000:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(item is _STOP for item in batch)
            self._write([item for item in batch if item is not _STOP])
            if stop:
                return

    def _write(self, entries: list[dict]) -> None:
        if not entries:
            return
        try:
            handle = self._open(entries[0]["timestamp"][:10])
            handle.write("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in entries))
            handle.flush()
            self.written += len(entries)
        except (OSError, TypeError, ValueError) as exc:
            self.dropped += len(entries)
            self._close_file()
            if not self._warned:
                self._warned = True
                log.error("prediction log %s cannot be written (%s); predictions are not being logged", self.folder, exc)

    def _open(self, day: str):
        if self._file is None or self._file_day != day:
            self._close_file()
            self.folder.mkdir(parents=True, exist_ok=True)
            self._file = open(self.folder / f"predictions-{day}-{os.getpid()}.jsonl", "a", encoding="utf-8")
            self._file_day = day
        return self._file

    def _close_file(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None
