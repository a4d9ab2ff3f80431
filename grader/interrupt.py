"""Ctrl-C that cannot be lost: the signal is recorded, and every wait loop acts on it.

Python turns SIGINT into a KeyboardInterrupt raised in the main thread at its next bytecode;
if that bytecode belongs to a `__del__` method or a weakref callback (GitPython's objects
have both), the exception is printed as "ignored" and dropped, and the run goes on to its
end. `install` replaces the handler with one that also records the signal; `check`, called
in every loop that waits on a process or a server, raises KeyboardInterrupt again if one was
recorded, so a dropped interrupt is acted on at the next poll; `requested` lets the CLI exit
with 130 whatever happened in between. Cleanup code must not call `check`.
"""

from __future__ import annotations

import signal
import threading

_received = threading.Event()


def _handler(signum, frame) -> None:
    _received.set()
    raise KeyboardInterrupt


def install() -> None:
    """Take over SIGINT (main thread only; elsewhere this does nothing)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handler)


def requested() -> bool:
    return _received.is_set()


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed, even if its first raise was swallowed."""
    if _received.is_set():
        raise KeyboardInterrupt


def reset() -> None:
    """Forget a recorded interrupt (tests)."""
    _received.clear()
