"""Hostile: /predict answers a probability with 401 digits, /health answers JSON nested 100,000
deep. Both crashed checks (OverflowError, RecursionError) and made the verdict inconclusive."""

from starlette.responses import Response

from credit_risk import api


@api.app.middleware("http")
async def _hostile(request, call_next):
    if request.url.path == "/predict":
        return Response(b'{"probability_default": ' + b"9" * 401 + b', "model_version": "1"}',
                        media_type="application/json")
    if request.url.path == "/health":
        return Response(b"[" * 100_000 + b"]" * 100_000, media_type="application/json")
    return await call_next(request)
