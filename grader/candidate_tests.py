"""The candidate's own tests: their suite on their fix, and which of their tests catch each planted bug.

Owns the `candidate-tests` step of `grade()`, which runs after the hidden checks and never
changes a verdict or a score (see README, "The candidate's own tests"). Everything here is
evidence for the interviewer, as the candidate's own pytest reported it:

- **Their suite** (`make test`: `python -m pytest -q tests` in every starter) on the submission.
- **Would they have caught it?** Their new and changed test files (a changed file counts
  whole) run against *the starter*: the published starter's tree, plus their test files, plus
  the new modules of theirs that those tests import (unless one would shadow a starter
  module). A test of theirs that passes on their fix and fails there catches some planted bug.
- **Which bug?** Their tests also run on the submission with one bug's fix files (the spec's
  `paths` for the bug, test files excluded) put back to the starter's version: a test that
  passes on the fix, does not pass on the starter and fails there detects that bug. Bugs with
  the same files share a run; where the bugs a test detects share fix files, it detects "one
  of" them. A test that cannot run on a tree (collection error, ImportError of code only the
  submission has) is reported as such with the reason, never as a detection or a miss.

Every pytest run is a sandbox step of its own, in a fresh sandbox of the grading's backend, on a
fresh tree, under the exercise's limits, with the JUnit XML report as the only thing read back
(`grader/junit.py`). At most `WORKERS` runs go at once. Time is bounded: their suite and the
starter's run get the exercise's step limit each (they run side by side), a reverted tree gets
three times the starter's run (at least 60 s, at most the step limit), the whole step at most
two step limits; a suite that gives no result on the fix (a hang, a crash) stops the reverted
runs at once. No failure here (a crash, a hang, a flood, a hostile report, a sandbox that does
not start) is more than a note.
"""

from __future__ import annotations

import os
import re
import stat
import time
import traceback
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

import git

from grader import files, interrupt
from grader.catalog import Exercise
from grader.checkout.tree import SUBMODULE_MODE, SYMLINK_MODE, export_tree, is_bytecode
from grader.errors import InfraError, OutputError
from grader.escape import clean, one_line
from grader.junit import MAX_BYTES, Case, read_junit
from grader.publish import publish
from grader.report.model import CandidateTests, DetectingTest, FailedTest, OwnTests, SuiteRun
from grader.sandbox import Choice, Limits, SandboxConfig, make_sandbox, sweep
from grader.spec import Bug
from grader.variants import Variant

#: What `make test` runs in every starter (`python -m pytest -q tests`); tests/unit checks the Makefiles.
TEST_ROOT = "tests"
#: Their pytest, their conftest and ini files; a fixed rootdir and xunit1 (which names each test's file) keep node
#: ids comparable across trees; a module that cannot be collected is reported and the others still run.
PYTEST = ["{python}", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir={workspace}",
          "--continue-on-collection-errors", "-o", "junit_family=xunit1", "--junitxml={out}/junit.xml"]
#: pytest runs at once (each in its own sandbox, with the exercise's CPU limit).
WORKERS = 2
#: Failures kept per run, tests listed per bug, files and notes listed.
MAX_FAILURES = 20
MAX_LISTED = 20
MAX_FILES = 50
MAX_PATH = 300
#: What the import scan reads of a file, and how many files it reads.
SCAN_BYTES = 256 * 1024
SCAN_FILES = 300
#: A run is not started with less time than this left in the step's budget.
MIN_RUN_S = 5.0
#: A reverted tree runs the same tests as the starter's tree: it gets this many times that run's
#: duration (at least REVERT_MIN_S, at most the exercise's step limit).
REVERT_FACTOR = 3.0
REVERT_MIN_S = 60.0
_CANNOT_RUN = ("ImportError", "ModuleNotFoundError")
_MODULE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
#: An import line; the module part cannot split two ways (no backtracking blow-up on a line of dots).
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*\w[\w.]*|\.+)[ \t]+import[ \t]+([^#\n]*)|import[ \t]+([^#\n]+))",
                     re.M)
#: Module names longer than this, or deeper, are not looked for (no real module is).
MAX_MODULE_CHARS = 200
MAX_MODULE_PARTS = 12


# -- which files are theirs -------------------------------------------------------------------
def is_test_file(path: str) -> bool:
    """Test code and its support: anything under tests/, and pytest's conftest.py and pytest.ini anywhere."""
    return path.startswith(TEST_ROOT + "/") or PurePosixPath(path).name in ("conftest.py", "pytest.ini")


def is_test_module(path: str) -> bool:
    """A file pytest collects from tests/ by default (test_*.py, *_test.py)."""
    name = PurePosixPath(path).name
    return path.startswith(TEST_ROOT + "/") and name.endswith(".py") and (
        name.startswith("test_") or name.endswith("_test.py"))


def blobs(commit: git.Commit) -> dict[str, str]:
    """{path: blob sha} of the regular files of a commit that an export writes (no links, submodules, bytecode)."""
    found = {}
    for item in commit.tree.traverse():
        if item.type != "blob" or item.mode in (SYMLINK_MODE, SUBMODULE_MODE) or is_bytecode(PurePosixPath(item.path)):
            continue
        found[item.path] = item.hexsha
    return found


def glob_match(path: str, pattern: str) -> bool:
    """git's `:(glob)` pathspec rule: `**` crosses folders, `*` and `?` do not."""
    return re.fullmatch(_glob_regex(pattern), path) is not None


def _glob_regex(pattern: str) -> str:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out


@dataclass
class Revert:
    """One tree: the submission with these bugs' fix files put back to the starter's version."""

    bugs: list[str]
    #: The files that differ from the starter and are put back (restored, or deleted if new).
    files: list[str]

    @property
    def label(self) -> str:
        return "-".join(self.bugs)[:80]


@dataclass
class Plan:
    """What runs where, decided from git blobs before any tree is built."""

    #: Their new and changed test files (test modules, conftest, helpers and data under tests/).
    test_files: list[str] = field(default_factory=list)
    #: Of those, the test modules that run against the starter and the reverted trees.
    test_modules: list[str] = field(default_factory=list)
    #: Their new modules outside the tests that the tests import, copied next to the starter.
    helpers: list[str] = field(default_factory=list)
    #: Notes on what was left out of the starter's tree, and why.
    left_out: list[str] = field(default_factory=list)
    reverts: list[Revert] = field(default_factory=list)
    #: Bugs without a reverted tree, and why.
    unmeasured: dict[str, str] = field(default_factory=dict)


def plan(starter: dict[str, str], submission: dict[str, str], bugs: list[Bug], read) -> Plan:
    """Decide the trees: `starter` and `submission` are {path: blob sha}; `read(path)` gives the
    submission's bytes of a path (bounded by the caller), for the scan of imports."""
    result = Plan()
    changed = sorted(p for p, sha in submission.items() if starter.get(p) != sha)
    result.test_files = [p for p in changed if is_test_file(p)]
    result.test_modules = [p for p in result.test_files if is_test_module(p)]
    if result.test_modules:
        result.helpers, result.left_out = _helpers(starter, submission, result.test_files, read)
    groups: dict[tuple[str, ...], list[str]] = {}
    for bug in bugs:
        if not bug.paths:
            result.unmeasured[bug.id] = "the exercise names no fix files for this bug, so no test can be tied to it"
            continue
        paths = sorted(p for p in set(starter) | set(submission)
                       if not is_test_file(p) and starter.get(p) != submission.get(p)
                       and any(glob_match(p, g) for g in bug.paths))
        if not paths:
            where = ", ".join(g for g in bug.paths if not g.startswith(TEST_ROOT + "/"))
            result.unmeasured[bug.id] = (f"their fix left this bug's usual fix files ({where}) as they were, so no "
                                         f"test can be tied to it")
            continue
        groups.setdefault(tuple(paths), []).append(bug.id)
    result.reverts = [Revert(bugs=ids, files=list(paths)) for paths, ids in groups.items()]
    return result


def _module_paths(module: str) -> list[str]:
    """The files that may hold a module, and its parent packages' __init__.py."""
    parts = module.split(".")
    found = [f"{'/'.join(parts[:i])}/__init__.py" for i in range(1, len(parts))]
    return found + [f"{'/'.join(parts)}.py", f"{'/'.join(parts)}/__init__.py"]


def _package(path: str) -> str:
    """The package a file's relative imports resolve against (its folder, dotted)."""
    return ".".join(PurePosixPath(path).parent.parts)


def imported_modules(text: str, package: str) -> set[str]:
    """Module names a Python file's import statements name (a line-based scan: no parsing of candidate code).

    `from a.b import c` names a.b and a.b.c (c may be a module); relative imports are resolved
    against `package`.
    """
    names: set[str] = set()
    for source, what, plain in _IMPORT.findall(text):
        if plain:
            names.update(part.split(" as ")[0].strip() for part in plain.split(","))
            continue
        dots = len(source) - len(source.lstrip("."))
        base = source[dots:]
        if dots:
            parent = package.split(".") if package else []
            if dots - 1 >= len(parent):  # beyond the top-level package
                continue
            parent = parent[: len(parent) - (dots - 1)]
            base = ".".join(p for p in (*parent, base) if p)
        if not base:
            continue
        names.add(base)
        for part in what.replace("(", " ").replace(")", " ").replace("\\", " ").split(","):
            item = part.split(" as ")[0].strip()
            if item and item != "*":
                names.add(f"{base}.{item}")
    return {n for n in names if len(n) <= MAX_MODULE_CHARS and n.count(".") < MAX_MODULE_PARTS and _MODULE.fullmatch(n)}


def _helpers(starter: dict[str, str], submission: dict[str, str], test_files: list[str], read) -> tuple[list[str], list[str]]:
    """Their new non-test modules that their test files import, directly or through each other."""
    new = {p for p in submission if p not in starter and p.endswith(".py") and not is_test_file(p)}
    helpers: set[str] = set()
    left_out: list[str] = []
    queue = [p for p in test_files if p.endswith(".py")]
    seen = set(queue)
    while queue and len(seen) <= SCAN_FILES:
        path = queue.pop()
        data = read(path)
        if data is None:
            continue
        text = data[:SCAN_BYTES].decode("utf-8", errors="replace")
        for module in sorted(imported_modules(text, _package(path))):
            for candidate in _module_paths(module):
                if candidate not in new or candidate in seen:
                    continue
                seen.add(candidate)
                shadowed = candidate.removesuffix("/__init__.py") + ".py" if candidate.endswith("/__init__.py") else None
                if shadowed and shadowed in starter:
                    left_out.append(f"{candidate}: left out of the starter's tree, it would replace the starter's "
                                    f"{shadowed}")
                    continue
                helpers.add(candidate)
                queue.append(candidate)
    return sorted(helpers), left_out


# -- trees ------------------------------------------------------------------------------------
def _read_regular(path: Path, limit: int | None = None) -> bytes | None:
    """A regular file's bytes (no link followed), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        return f.read() if limit is None else f.read(limit)


def _put(root: Path, rel: str, data: bytes | None) -> None:
    """Write (or, with None, delete) `rel` under a tree we built from exported, trusted-shape trees."""
    target = root.joinpath(*PurePosixPath(rel).parts)
    if data is None:
        try:
            target.unlink()
        except FileNotFoundError:
            pass
        return
    files.makedirs(target.parent)
    try:
        target.unlink()
    except FileNotFoundError:
        pass
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def starter_tree(the_plan: Plan, starter_dir: Path, submission_dir: Path, dest: Path) -> None:
    """The starter, plus their test files and the helpers their tests import."""
    files.copy_tree(starter_dir, dest)
    for rel in the_plan.test_files + the_plan.helpers:
        data = _read_regular(submission_dir / rel)
        if data is not None:
            _put(dest, rel, data)


def reverted_tree(revert: Revert, starter_dir: Path, submission_dir: Path, dest: Path) -> None:
    """The submission with some fix files put back to the starter's version (deleted where the starter has none)."""
    files.copy_tree(submission_dir, dest)
    for rel in revert.files:
        _put(dest, rel, _read_regular(starter_dir / rel))


# -- runs -------------------------------------------------------------------------------------
@dataclass
class Run:
    """One pytest run on one tree, read back: the test cases, or why there are none."""

    tree: str
    paths: list[str]
    cases: dict[str, Case] | None = None
    #: Test module -> why it could not be collected there.
    not_collected: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    exit_code: int | None = None
    duration_s: float = 0.0
    stopped: bool = False
    #: Why it was not run at all (budget, an earlier run stopped).
    skipped: str | None = None

    def status(self, nodeid: str, file: str | None) -> tuple[str, str]:
        """("pass" | "fail" | "cannot run", reason) of one test in this run."""
        if self.cases is None:
            return "cannot run", self.skipped or self.note or "no report"
        if file in self.not_collected:
            return "cannot run", self.not_collected[file]
        case = self.cases.get(nodeid)
        if case is None:
            return "cannot run", "not in this run"
        if case.outcome in ("passed", "skipped"):
            return ("pass" if case.outcome == "passed" else "cannot run"), case.reason or "skipped"
        if case.exception in _CANNOT_RUN:
            return "cannot run", case.reason
        return "fail", case.reason

    def summary(self) -> SuiteRun:
        run = SuiteRun(tree=self.tree, paths=[clean(p, MAX_PATH) for p in self.paths[:MAX_FILES]],
                       reported=self.cases is not None, note=self.skipped or self.note, exit_code=self.exit_code,
                       duration_s=round(self.duration_s, 2))
        for case in (self.cases or {}).values():
            if case.outcome == "passed":
                run.passed += 1
            elif case.outcome == "skipped":
                run.skipped += 1
            else:
                if case.outcome == "failed":
                    run.failed += 1
                else:
                    run.errors += 1
                if len(run.failures) < MAX_FAILURES:
                    run.failures.append(FailedTest(test=case.nodeid, outcome=case.outcome, reason=case.reason))
                else:
                    run.more_failures += 1
        run.errors += len(self.not_collected)
        run.not_collected = [FailedTest(test=clean(f, MAX_PATH), outcome="error", reason=r)
                             for f, r in list(self.not_collected.items())[:MAX_FAILURES]]
        return run


def read_run(run: Run, result) -> None:
    """Fill `run` from a finished step: its report, or why there is none."""
    run.exit_code = result.exit_code
    run.duration_s = result.duration_s
    run.stopped = result.stopped is not None
    if result.stopped:
        run.note = f"stopped: {result.stopped}"
    try:
        report = read_junit(result.read_bytes("junit.xml", MAX_BYTES))
    except OutputError as exc:
        tail = [ln for ln in result.log_tail(5).splitlines() if ln.strip()][-1:]
        why = one_line(exc, 300) + (f" (last output: {one_line(tail[0], 200)})" if tail else "")
        run.note = f"{run.note}; {why}" if run.note else why
        return
    run.cases = {}
    for case in report.cases:
        if case.collection:
            run.not_collected[case.file or case.name] = case.reason
        else:
            run.cases.setdefault(case.nodeid, case)
    if report.dropped:
        extra = f"{report.dropped} more test cases than the {len(report.cases)} read were left out"
        run.note = f"{run.note}; {extra}" if run.note else extra


class Runner:
    """Runs pytest on trees, each in a fresh sandbox, at most WORKERS at once, within a total budget."""

    def __init__(self, choice: Choice, limits: Limits, run_dir: Path, budget_s: float, log: list[str]):
        self.choice = choice
        self.limits = limits
        self.run_dir = run_dir
        self.deadline = time.monotonic() + budget_s
        self.log = log
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="candidate-tests")
        self.live: dict[int, object] = {}  # id(run) -> its sandbox, while it runs

    def submit(self, step: str, run: Run, tree: Path, timeout_s: float | None = None) -> Future:
        return self.pool.submit(self._run, step, run, tree, timeout_s or self.limits.step_timeout_s)

    def _run(self, step: str, run: Run, tree: Path, timeout_s: float) -> Run:
        remaining = self.deadline - time.monotonic()
        if remaining < MIN_RUN_S or run.skipped:
            run.skipped = run.skipped or "not run: the step's time budget was used up"
            files.remove_tree(tree)
            return run
        config = SandboxConfig(backend=self.choice.backend, workspace=str(tree), run_dir=str(self.run_dir),
                               limits=asdict(self.limits), image=self.choice.image, run_id=uuid.uuid4().hex)
        sandbox = None
        try:
            sandbox = make_sandbox(config)
            self.live[id(run)] = sandbox
            result = sandbox.run(step, [*PYTEST, *run.paths],
                                 timeout_s=min(timeout_s, self.limits.step_timeout_s, remaining))
            if not run.skipped:
                read_run(run, result)
        except InfraError as exc:
            run.note = f"not measured: infrastructure fault ({one_line(exc, 300)})"
        except Exception as exc:  # a sandbox that cannot start is noted, never fatal
            run.note = f"not measured: the sandbox failed ({type(exc).__name__}: {one_line(exc, 300)})"
            self.log.append(traceback.format_exc())
        finally:
            if sandbox is not None:
                self.live.pop(id(run), None)
                sandbox.close()
            sweep(config)
            files.remove_tree(tree)
        return run

    def wait(self, futures: list[Future]) -> list[Future]:
        """Wait for at least one of `futures` to end (acting on Ctrl-C); return those done."""
        while True:
            interrupt.check()
            done, _ = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
            if done:
                return list(done)

    def abandon(self, run: Run, why: str) -> None:
        """Stop a run that can no longer tell anything: queued, it will not start; running, it is killed."""
        run.skipped = why
        sandbox = self.live.get(id(run))
        if sandbox is not None:
            try:
                sandbox.close()
            except Exception:
                pass

    def stop(self) -> None:
        for sandbox in list(self.live.values()):
            try:
                sandbox.close()
            except Exception:
                pass
        self.pool.shutdown(wait=True, cancel_futures=True)


# -- the step ---------------------------------------------------------------------------------
@dataclass
class Outcome:
    section: CandidateTests
    #: bug id -> what their tests tell about it.
    per_bug: dict[str, OwnTests]
    #: Seconds per pytest run, by tree (for run.json).
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        """What run.json records of the step."""
        s = self.section
        return {"note": s.note, "test_files": len(s.test_files), "runs": self.timings,
                "suite": None if s.suite is None else {k: getattr(s.suite, k) for k in
                                                       ("passed", "failed", "errors", "skipped", "note")},
                "detected": {bug: [t.test for t in own.detected_by] for bug, own in self.per_bug.items()
                             if own.detected_by}}


def measure(exercise: Exercise, repo: git.Repo, commit: str, tree: Path, choice: Choice, limits: Limits,
            work: Path, run_dir: Path, variant: Variant | None = None) -> Outcome:
    """The `candidate-tests` step: never raises but on Ctrl-C; whatever goes wrong is a note in the
    report. The starter is `variant`'s (grader.variants; default: the exercise's default)."""
    started = time.monotonic()
    log: list[str] = []
    try:
        outcome = _measure(exercise, repo, commit, tree, choice, limits, work, run_dir, log, variant)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        log.append(traceback.format_exc())
        outcome = Outcome(CandidateTests(note=f"not measured: the grader failed in this step "
                                              f"({type(exc).__name__}: {one_line(exc, 300)})"), {})
    outcome.section.duration_s = round(time.monotonic() - started, 2)
    if log:
        (run_dir / "logs").mkdir(parents=True, exist_ok=True)
        (run_dir / "logs" / "candidate-tests.log").write_text("\n".join(log))
    return outcome


def _measure(exercise: Exercise, repo: git.Repo, commit: str, tree: Path, choice: Choice, limits: Limits,
             work: Path, run_dir: Path, log: list[str], variant: Variant | None = None) -> Outcome:
    spec = exercise.spec
    if not (tree / TEST_ROOT).is_dir():
        return Outcome(CandidateTests(note=f"no {TEST_ROOT}/ folder in the submission: no test suite to run"), {})
    starter_repo = work / "ct-starter-repo"
    publish(exercise, starter_repo, variant=variant)
    starter_commit = git.Repo(starter_repo).head.commit
    starter_blobs = blobs(starter_commit)
    starter_dir = work / "ct-starter"
    export_tree(starter_commit, starter_dir)
    files.remove_tree(starter_repo)
    the_plan = plan(starter_blobs, blobs(repo.commit(commit)), spec.bugs,
                    lambda rel: _read_regular(tree / rel, SCAN_BYTES))
    section = CandidateTests(test_files=[clean(p, MAX_PATH) for p in the_plan.test_files[:MAX_FILES]],
                             helpers=[clean(p, MAX_PATH) for p in the_plan.helpers[:MAX_FILES]],
                             left_out=[one_line(n, 500) for n in the_plan.left_out[:MAX_FILES]])
    runner = Runner(choice, limits, run_dir, 2 * limits.step_timeout_s, log)
    timings: dict[str, float] = {}
    try:
        suite = Run(tree="their fix", paths=[TEST_ROOT])
        runs = {runner.submit("tests-suite", suite, _copy(tree, work / "ct-suite")): ("suite", suite)}
        against: Run | None = None
        if the_plan.test_modules:
            against = Run(tree="the starter with their tests", paths=the_plan.test_modules)
            starter_tree(the_plan, starter_dir, tree, work / "ct-against-starter")
            runs[runner.submit("tests-starter", against, work / "ct-against-starter")] = ("starter", against)
        reverted: list[tuple[Revert, Run]] = []
        suite_unusable = False
        while runs:
            for future in runner.wait(list(runs)):
                kind, run = runs.pop(future)
                future.result()
                timings[run.tree] = round(run.duration_s, 2)
                if kind == "suite" and (run.stopped or run.cases is None):
                    suite_unusable = True  # a suite that hangs or crashes on the fix: more runs tell nothing
                    for other, (other_kind, pending) in runs.items():
                        if other_kind == "revert":
                            runner.abandon(pending, "stopped: their suite gave no usable result on their fix")
                if kind == "starter" and not suite_unusable and _reverts_useful(run):
                    paths = _worth_rerunning(the_plan.test_modules, run)
                    timeout = max(REVERT_MIN_S, REVERT_FACTOR * run.duration_s)
                    for revert in the_plan.reverts:
                        rr = Run(tree=f"their fix with {_and(revert.bugs)}'s files put back", paths=paths)
                        dest = work / f"ct-revert-{len(reverted)}"
                        reverted_tree(revert, starter_dir, tree, dest)
                        runs[runner.submit(f"tests-without-{revert.label}", rr, dest, timeout)] = ("revert", rr)
                        reverted.append((revert, rr))
    except BaseException:
        runner.stop()
        raise
    runner.pool.shutdown(wait=True)
    files.remove_tree(starter_dir)
    section.suite = suite.summary()
    per_bug = attribute(spec.bugs, the_plan, suite, against, reverted, section)
    return Outcome(section, per_bug, timings)


def _copy(tree: Path, dest: Path) -> Path:
    files.copy_tree(tree, dest)
    return dest


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _reverts_useful(against: Run) -> bool:
    """Reverted trees tell something only if some test of theirs did not pass against the starter."""
    if against.stopped:
        return False
    if against.cases is None:
        return True
    return bool(against.not_collected) or any(c.outcome not in ("passed",) for c in against.cases.values())


def _worth_rerunning(test_modules: list[str], against: Run) -> list[str]:
    """Their test modules with a test that did not pass against the starter (all if that run told nothing)."""
    if against.cases is None:
        return test_modules
    keep = set(against.not_collected) | {c.file for c in against.cases.values() if c.outcome != "passed"}
    return [m for m in test_modules if m in keep] or test_modules


def attribute(bugs: list[Bug], the_plan: Plan, suite: Run, against: Run | None,
              reverted: list[tuple[Revert, Run]], section: CandidateTests) -> dict[str, OwnTests]:
    """Fill the section's findings and say, per bug, which of their tests detect it."""
    modules = set(the_plan.test_modules)
    theirs = [c for c in (suite.cases or {}).values() if c.file in modules and c.outcome == "passed"]
    if against is not None:
        section.starter = against.summary()
    section.reverted = [run.summary() for _, run in reverted]
    fails_on_starter: list[Case] = []
    cannot_run: dict[tuple[str, str], int] = {}  # (test module, reason) -> tests
    for case in theirs:
        status, why = against.status(case.nodeid, case.file) if against else ("cannot run", "")
        if status == "fail":
            fails_on_starter.append(case)
        elif status == "cannot run" and against is not None and against.cases is not None:
            key = (case.file or case.nodeid, why)
            cannot_run[key] = cannot_run.get(key, 0) + 1
    section.fail_on_starter = [c.nodeid for c in fails_on_starter[:MAX_LISTED]]
    section.cannot_run_on_starter = [
        FailedTest(test=f"{module} ({count} test{'s' if count > 1 else ''})", outcome="error", reason=why)
        for (module, why), count in list(cannot_run.items())[:MAX_LISTED]]

    files_of = {bug_id: set(r.files) for r, _ in reverted for bug_id in r.bugs}
    detects: dict[str, set[str]] = {}  # nodeid -> bugs whose reverted tree makes it fail
    for revert, run in reverted:
        for case in theirs:
            on_starter = against.status(case.nodeid, case.file)[0] if against else "cannot run"
            if on_starter != "pass" and run.status(case.nodeid, case.file)[0] == "fail":
                detects.setdefault(case.nodeid, set()).update(revert.bugs)
    section.unattributed = [c.nodeid for c in fails_on_starter if c.nodeid not in detects][:MAX_LISTED]

    per_bug: dict[str, OwnTests] = {}
    for bug in bugs:
        per_bug[bug.id] = _bug_finding(bug, the_plan, suite, against, reverted, theirs, detects, files_of)
    return per_bug


def _bug_finding(bug: Bug, the_plan: Plan, suite: Run, against: Run | None, reverted: list[tuple[Revert, Run]],
                 theirs: list[Case], detects: dict[str, set[str]], files_of: dict[str, set[str]]) -> OwnTests:
    if not the_plan.test_modules:
        return OwnTests(measured=False, how="they added or changed no test module")
    if suite.cases is None or suite.stopped:
        return OwnTests(measured=False, how=f"their suite gave no usable result on their fix ({suite.note})")
    if not theirs:
        return OwnTests(measured=False, how="none of their new or changed tests passes on their fix")
    if against is not None and against.stopped:
        return OwnTests(measured=False, how=f"their tests were stopped against the starter ({against.note})")
    if against is not None and not _reverts_useful(against):
        return OwnTests(measured=True, how="all their tests pass against the starter too")
    if bug.id in the_plan.unmeasured:
        return OwnTests(measured=False, how=the_plan.unmeasured[bug.id])
    found_run = [(r, run) for r, run in reverted if bug.id in r.bugs]
    if not found_run:
        return OwnTests(measured=False, how="their tests were not run with this bug's files put back")
    revert, run = found_run[0]
    put_back = ", ".join(revert.files[:10]) + (" …" if len(revert.files) > 10 else "")
    if run.cases is None:
        return OwnTests(measured=False, how=f"with {put_back} put back, their tests gave no result: "
                                            f"{run.skipped or run.note}")
    found = []
    for case in theirs:
        bugs = detects.get(case.nodeid, set())
        if bug.id in bugs:
            others = sorted(b for b in bugs if b != bug.id and files_of.get(b, set()) & files_of[bug.id])
            found.append(DetectingTest(test=case.nodeid, one_of=[bug.id, *others] if others else []))
    starter_note = "" if against is not None and against.cases is not None else " (they could not run against the starter)"
    if found:
        return OwnTests(measured=True, detected_by=found[:MAX_LISTED], more=max(0, len(found) - MAX_LISTED),
                        how=f"they pass on the fix and fail with {put_back} put back to the starter's version"
                            + starter_note)
    statuses = [run.status(c.nodeid, c.file) for c in theirs]
    if all(status == "cannot run" for status, _ in statuses):
        return OwnTests(measured=False, how=f"with {put_back} put back, their tests could not run: {statuses[0][1]}")
    return OwnTests(measured=True, how=f"none of their tests fails with {put_back} put back")
