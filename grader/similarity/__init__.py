"""Similarity across submissions: copied fixes flagged, with the matching code side by side.

Owns comparing what candidates wrote themselves (their `changes/` against the published
starter, see `grader.changes`) with each other, with earlier cohorts (the corpus), with the
exercise's reference solution and known partial fixes, and with known leaked solutions;
`similarity.json`, the similarity section of `index.html` / `similarity.html`, and the
"similar to" line of each report. A flag is evidence for a human, never a verdict: scores do
not change.

- `fingerprint`: own lines and winnowing fingerprints (copydetect), what two documents share.
- `sources`: where documents come from (grading outputs, corpus, references, leaked solutions).
- `model`: the `similarity.json` schema.
- `run`: `grader similarity` itself.
"""

from grader.similarity.run import MIN_LINES, THRESHOLD, Options, Outcome, run
from grader.similarity.sources import add_to_corpus, find_graded

__all__ = ["MIN_LINES", "THRESHOLD", "Options", "Outcome", "run", "add_to_corpus", "find_graded"]
