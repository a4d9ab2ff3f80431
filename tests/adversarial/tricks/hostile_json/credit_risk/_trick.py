"""Hostile: /predict answers 20 MB of JSON and /health answers malformed JSON."""

from starlette.responses import Response

from credit_risk import api

import sys

STEP = " ".join(getattr(sys, "orig_argv", sys.argv))



@api.app.middleware("http")
async def _hostile(request, call_next):
    if request.url.path == "/predict":
        return Response(b'{"probability_default": 0.1, "pad": "' + b"x" * (20 * 1024 * 1024) + b'"}',
                        media_type="application/json")
    if request.url.path == "/health":
        return Response(b'{"status": "ok", "model_version": ', media_type="application/json")
    return await call_next(request)
