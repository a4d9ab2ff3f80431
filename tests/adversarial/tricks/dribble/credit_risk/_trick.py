"""Hostile: /predict answers one byte every 5 seconds, forever; /health is fine.

httpx's timeouts are per read, so before every request had a total deadline one such answer
held a check for as long as the server liked (a grading took 219 s instead of 57 s)."""

import asyncio

from starlette.responses import StreamingResponse

from credit_risk import api


async def _dribble():
    while True:
        yield b" "
        await asyncio.sleep(5)


@api.app.middleware("http")
async def _hostile(request, call_next):
    if request.url.path == "/predict":
        return StreamingResponse(_dribble(), media_type="application/json")
    return await call_next(request)
