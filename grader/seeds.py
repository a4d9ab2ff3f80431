"""Seeds of the hidden data: public defaults, or drawn from a key the grading run carries.

Hidden checks name every seed they use by a default and a purpose:

    TRAIN_SEED = seeds.seed(71_101, "train")

Without a key (the demo, the test suite, an ordinary `grader score`) the default is used, so
the hidden data is what this repository's history says. With a key (`grader validate
--seeds K` reseeds every run), every seed is derived from it with HMAC-SHA256 of the
purpose, so the hidden data changes as a whole. The grader derives one key per exercise and
version (`exercise_key`) and hands it to the trusted verifier process in the environment
variable GRADER_HIDDEN_SEED; it never enters a sandbox. Reports name the key only by a
short fingerprint (`describe`).
"""

from __future__ import annotations

import hashlib
import hmac
import os

ENV = "GRADER_HIDDEN_SEED"
PUBLIC = "public default seeds"


def _hmac(key: str, message: str) -> bytes:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()


def derive(key: str, *parts: str) -> str:
    """A child key: the same parent and parts always give the same child."""
    return _hmac(key, "\x1f".join(parts)).hex()


def exercise_key(key: str | None, exercise_id: str, version: str) -> str | None:
    """The key of one exercise's hidden data (None: public defaults)."""
    return derive(key, "hidden-data", exercise_id, version) if key else None


def validation_key(base: int, index: int) -> str:
    """The key of seed set `index` of `grader validate --seeds` with base seed `base`."""
    return derive(f"validate:{base}", str(index))


def fingerprint(key: str | None) -> str | None:
    return derive(key, "fingerprint")[:12] if key else None


def describe(key: str | None) -> str:
    """What the report says about the hidden data's seeds (never the key itself)."""
    return f"hidden data: seed set {fingerprint(key)}" if key else f"hidden data: {PUBLIC}"


def current_key() -> str | None:
    return os.environ.get(ENV) or None


def seed(default: int, purpose: str) -> int:
    """The seed for `purpose`: `default` without a key, else one drawn from the key (< 2**31)."""
    key = current_key()
    if not key:
        return default
    return int.from_bytes(_hmac(key, purpose)[:4], "big") & 0x7FFF_FFFF
