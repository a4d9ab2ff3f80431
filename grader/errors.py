"""Exceptions that carry a message meant for the user.

The CLI prints a `GraderError` as one line and exits non-zero; anything else is a bug in
the grader and keeps its traceback. `InfraError` marks faults of the grading machine (no
engine, sandbox failed to start): they make a result `inconclusive`, never a candidate
failure.

`CandidateFailure` and `OutputError` are the candidate's failures: their code failed a step,
or what it produced cannot be used. Every reader of candidate data raises one of them (with a
one-line reason) and nothing else, so that no submission can turn a check into an error.
"""


class GraderError(Exception):
    """A problem the user can fix: bad input, unknown exercise, missing tool."""

    exit_code = 2


class CheckoutError(GraderError):
    """The submission could not be fetched or is not acceptable as input."""


class InfraError(GraderError):
    """The grading infrastructure failed; results are inconclusive, not failures."""

    exit_code = 3


class OutputError(Exception):
    """What candidate code produced (a file, an answer, a registry) is missing, too big or malformed."""


class CandidateFailure(Exception):
    """The candidate's code failed a step (crash, limit, bad output): a failed check, not an error."""

    def __init__(self, message: str, log: str = "", peak_memory_mb: float | None = None, oom_kills: int = 0):
        super().__init__(message)
        self.log = log
        self.peak_memory_mb = peak_memory_mb  # what a server used before it failed to become ready
        self.oom_kills = oom_kills


class PremiseError(Exception):
    """The grader's own data does not show what a check relies on: a grader bug, never the candidate's."""
