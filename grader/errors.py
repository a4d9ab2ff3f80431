"""Exceptions that carry a message meant for the user.

The CLI prints a `GraderError` as one line and exits non-zero; anything else is a bug in
the grader and keeps its traceback. `InfraError` marks faults of the grading machine (no
engine, sandbox failed to start): they make a result `inconclusive`, never a candidate
failure.
"""


class GraderError(Exception):
    """A problem the user can fix: bad input, unknown exercise, missing tool."""

    exit_code = 2


class CheckoutError(GraderError):
    """The submission could not be fetched or is not acceptable as input."""


class InfraError(GraderError):
    """The grading infrastructure failed; results are inconclusive, not failures."""

    exit_code = 3
