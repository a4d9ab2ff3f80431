"""HTTP to a candidate's server over its Unix socket, with a total deadline per request.

httpx's timeouts apply to each read, so a server that dribbles its answer one byte at a
time (or its status line, which no caller sees until it is complete) would hold a plain
client for as long as it likes. Here every request runs as a task on an event loop of its
own thread, under `asyncio.wait_for`: whatever the server does, `request` returns, or
raises one of the `RequestError`s below, by its deadline (plus a small backstop). The
answer's size is capped while it streams in.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from pathlib import Path

import httpx


class RequestError(Exception):
    """The request got no usable answer; the message says why in a few words."""


class RequestTimeout(RequestError):
    pass


class AnswerTooLarge(RequestError):
    pass


class UdsClient:
    """One server's client; thread-safe; `close` ends its loop."""

    def __init__(self, uds: Path):
        self.uds = uds
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"http-{uds.name}", daemon=True)
        self._thread.start()
        self._client = self._call(self._make_client(), 30)

    async def _make_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=str(self.uds)), base_url="http://sandbox")

    def _call(self, coro, backstop_s: float):
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout=backstop_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise RequestTimeout("no answer in time") from None

    def request(self, method: str, path: str, *, json=None, deadline_s: float, max_bytes: int,
                status_only: bool = False) -> tuple[int, bytes]:
        """(status, body) of one request, all of it within `deadline_s` seconds; with
        `status_only`, the body is not read (b"")."""
        return self._call(self._request(method, path, json, deadline_s, max_bytes, status_only), deadline_s + 5)

    async def _request(self, method: str, path: str, body, deadline_s: float, max_bytes: int,
                       status_only: bool) -> tuple[int, bytes]:
        async def exchange() -> tuple[int, bytes]:
            async with self._client.stream(method, path, json=body, timeout=deadline_s) as response:
                if status_only:
                    return response.status_code, b""
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise AnswerTooLarge(f"answered more than {max_bytes} bytes")
                return response.status_code, bytes(data)

        try:
            return await asyncio.wait_for(exchange(), deadline_s)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            raise RequestTimeout(f"no complete answer within {deadline_s:g} s") from None
        except RequestError:
            raise
        except httpx.TransportError as exc:
            raise RequestError(f"connection failed: {type(exc).__name__}") from None
        except Exception as exc:  # whatever a hostile server makes the HTTP stack raise is its failure
            raise RequestError(f"answer could not be read: {type(exc).__name__}") from None

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._call(self._client.aclose(), 10)
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self._loop.close()
