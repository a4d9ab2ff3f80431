"""`--blind`: replace who wrote the submission with stable pseudonyms, everywhere in a report.

Each author (by e-mail, else name) becomes `author-<hash>`; the same author gets the same
pseudonym in every report, so a hiring team can still tell two submissions of one person
apart from two people. Names and e-mails are also replaced wherever they appear in other
text (commit messages, the write-up, check messages), as is the owner part of the
repository URL and the candidate label.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from grader.report.model import History, Report

SALT = "mlops-grader/blind/v1"


def pseudonym(identity: str) -> str:
    digest = hashlib.sha256(f"{SALT}:{identity.strip().lower()}".encode()).hexdigest()[:8]
    return f"author-{digest}"


def _url_owner(url: str) -> str | None:
    """The account part of a hosted repository URL (https://host/OWNER/repo, git@host:OWNER/repo)."""
    if "://" in url:
        parts = [p for p in urlsplit(url).path.split("/") if p]
    elif "@" in url and ":" in url:
        parts = [p for p in url.split(":", 1)[1].split("/") if p]
    else:
        return None
    return parts[0] if len(parts) >= 2 else None


def identities(history: History | None, url: str, candidate: str | None) -> dict[str, str]:
    """Every name, e-mail, URL account and candidate label of one submission, and its pseudonym."""
    replacements: dict[str, str] = {}
    for commit in history.commits if history else []:
        alias = pseudonym(commit.email or commit.author)
        for value in (commit.author, commit.email):
            if value and len(value) >= 3:
                replacements.setdefault(value, alias)
    owner = _url_owner(url)
    if owner and len(owner) >= 2:
        replacements.setdefault(owner, pseudonym(f"owner:{owner}"))
    if candidate:
        replacements.setdefault(candidate, pseudonym(f"candidate:{candidate}"))
    return replacements


def scrubber(replacements: dict[str, str]) -> Callable[[str], str]:
    """A function that replaces each identity in a text by its pseudonym (whole words, any case)."""
    if not replacements:
        return lambda text: text
    # Whole words only, so that a short name never matches inside a commit hash or a word.
    alternatives = "|".join(re.escape(k) for k in sorted(replacements, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    lookup = {k.lower(): v for k, v in replacements.items()}
    return lambda text: pattern.sub(lambda m: lookup[m.group(0).lower()], text)


def blind(report: Report) -> Report:
    """A copy of `report` with every author identity replaced by its pseudonym."""
    return scrub_report(report, identities(report.history, report.submission.url, report.candidate))


def scrub_report(report: Report, replacements: dict[str, str]) -> Report:
    """A blind copy of `report` with each of `replacements` replaced wherever it appears."""
    if not replacements:
        return report.model_copy(update={"blind": True})
    text = scrubber(replacements)

    def scrub(value):
        if isinstance(value, str):
            return text(value)
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, dict):
            return {scrub(k) if isinstance(k, str) else k: scrub(v) for k, v in value.items()}
        return value

    data = scrub(report.model_dump())
    data["blind"] = True
    return Report.model_validate(data)
