"""The prediction log the API writes: one JSON line per scored application.

Kept apart from `monitoring.py` on purpose: the API imports only this module, so serving
never loads the drift-report stack (Evidently and its dependencies: ~100 MiB and ~3 s of
start-up per worker).
"""

from __future__ import annotations

import json
import logging
import time

predictions = logging.getLogger("credit_risk.predictions")


def record_prediction(application: dict, probability: float, model_version: str) -> None:
    """Log one scored application for the warehouse (and so for the weekly drift report)."""
    predictions.info(json.dumps({"ts": round(time.time(), 3), "model_version": model_version,
                                 "probability_default": probability, **application}))
