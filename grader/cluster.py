"""`grader batch --cluster ADDRESS`: a batch graded on a Dask distributed cluster.

Dask does the scheduling; this module only says what a task is and what comes back.

- **One task per submission.** On a worker it runs the same `grade_submission` as a local
  batch (its own sandbox backend, its own exercises) into a temporary folder, and returns
  that folder as an archive (`grader.archive`: regular files only, at most
  `MAX_ARCHIVE_BYTES` and `MAX_ARCHIVE_FILES`). The client unpacks it under the same rules
  into `DIR/<candidate>/` and calls `Batch.finish`, which rewrites summary.csv and
  index.html exactly as for a local batch.
- **Resume.** The client sends a row's previous report.json and run.json with its task; the
  worker's `grade()` reuses it under the local rules (same exercise version, commit and
  grader version) and then sends back only what a reuse rewrites (run.json, the clone log).
- **Slots.** A worker declares how many gradings it holds as the Dask resource
  `grading` (`dask worker --resources grading=N`). An ordinary grading asks for 1. A
  measured one (an exercise with `needs_docker`: it measures latency) must have the
  worker to itself, but Dask cannot ask for "all of whatever this worker has", so it asks
  for the largest N any matching worker declared at connect time: it can then run only on
  a worker that declares exactly that N, and holds all of it there. Workers with fewer
  slots never get measured gradings (give all workers the same N to use every one); with no
  such worker left, the task waits for one (or fails after the scheduler's
  `distributed.scheduler.no-workers-timeout`, then the row is an error). The
  client only knows the exercise when the CSV names it; otherwise the worker finds out after
  the checkout and, if it holds less than its whole `grading`, stops before any candidate
  code runs and the client submits the task again for a whole worker.
- **Same grader everywhere.** A worker's identity is (grader version,
  `catalog.fingerprint()`). At connect the client compares every worker's with its own and
  prints one line per worker that differs; `WorkerCheck` (a Dask worker plugin, so it also
  runs on workers that join later) sets such a worker's `grading` resource to 0, so Dask
  never gives it a grading, and every task checks again on its worker and refuses there.
- **Faults.** A worker lost mid-grading: Dask's scheduler runs its tasks again on another
  worker (up to its `distributed.scheduler.allowed-failures`, then `KilledWorker`); each
  run records its start as a Dask event, and a run that finds `retries` earlier starts of
  its task ends the row as `inconclusive` instead of grading. Exceptions that escape a task
  (a fault of the worker host) are retried by Dask (`retries`). The scheduler going away
  cancels every task: the batch stops with one line, every finished row stays written.
- **Progress.** Tasks report their steps and checks as Dask events on the batch's topic
  (the scheduler stamps each with the worker's address as `worker`; the name is `name`);
  the client draws them per worker, and prints the dashboard link at connect.

Dask's own log goes to `DIR/cluster.log`, so a terminal or CI log shows only the grader's lines.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import re
import shutil
import tempfile
import time
import uuid
import warnings
from concurrent.futures import CancelledError
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import dask
from dask.utils import parse_timedelta
from distributed import Client, as_completed
from distributed.comm import connect
from distributed.diagnostics.plugin import WorkerPlugin
from distributed.security import Security

import grader
from grader import catalog, secret, seeds
from grader.archive import pack, unpack
from grader.batch import Batch, BatchProgress, Outcome, Row, grade_submission
from grader.errors import GraderError, InfraError
from grader.grade import Options, Progress
from grader.report.model import Report
from grader.verify.run import CheckOutcome

RESOURCE = "grading"
PLUGIN_NAME = "mlops-grader-check"
MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
MAX_ARCHIVE_FILES = 5000
#: Previous report.json/run.json sent with a task for resume; larger ones are graded again.
MAX_PREVIOUS_BYTES = 8 * 1024 * 1024
#: How often a task may be refused by a worker that does not match (then the row is an error).
MAX_REFUSALS = 3
#: How often the client looks for finished tasks and progress events (seconds).
POLL_S = 0.2
ADDRESS = re.compile(r"^(?:(tcp|tls)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$")


@dataclass(frozen=True)
class Identity:
    """What must be the same on the client and on every worker that grades for it."""

    version: str
    fingerprint: str
    #: A fingerprint of the grading secret (grader.secret), or "" without one: the same hidden data.
    secret: str = ""

    @classmethod
    def here(cls) -> Identity:
        return cls(grader.__version__, catalog.fingerprint(), seeds.fingerprint(secret.load()) or "")

    def differences(self, found: Identity) -> str:
        """'' if `found` (a worker's) equals this (the client's), else what differs, in words."""
        parts = []
        if found.version != self.version:
            parts.append(f"grader {found.version} (client: {self.version})")
        if found.fingerprint != self.fingerprint:
            parts.append(f"exercise content {found.fingerprint[:12]} (client: {self.fingerprint[:12]})")
        if found.secret != self.secret:
            parts.append(f"grading secret {found.secret or 'none'} (client: {self.secret or 'none'})")
        return "; ".join(parts)


@dataclass
class WorkerInfo:
    address: str
    name: str
    slots: float  # its declared `grading` resource
    refused: str = ""  # what differs from the client, if anything


# -- the worker side ---------------------------------------------------------------------------


class NeedsWholeWorker(BaseException):
    """A measured exercise turned up in a task that holds only part of its worker.

    A BaseException so that it passes `grade_submission`'s net for failures: it is not one.
    """


@dataclass
class Ticket:
    """Everything a task needs; pickled to the worker."""

    key: str
    topic: str  # the batch's progress topic
    row: int
    options: Options  # out_dir is the client's and is replaced on the worker
    expected: Identity
    attempts: int  # how many times the task may start (retries + 1)
    slots: float  # how much `grading` this task holds
    previous: dict[str, bytes] = field(default_factory=dict)  # report.json, run.json for resume

    @property
    def attempt_topic(self) -> str:
        return f"{self.topic}/{self.key}"


@dataclass
class Result:
    """What a task sends back."""

    status: str  # graded | reused | error | refused | needs-whole-worker
    message: str = ""
    archive: bytes = b""
    skipped: list[str] = field(default_factory=list)
    worker: str = ""
    seconds: float = 0.0


class WorkerProgress(Progress):
    """Sends a grading's progress to the client as Dask events; stops a measured grading on part of a worker."""

    def __init__(self, worker, ticket: Ticket, whole: bool):
        self.worker, self.ticket, self.whole = worker, ticket, whole

    def send(self, kind: str, **data) -> None:
        self.worker.log_event(self.ticket.topic, {"kind": kind, "row": self.ticket.row, **data})

    def step(self, name: str) -> None:
        self.send("step", name=name)

    def identified(self, exercise) -> None:
        if exercise.spec.needs_docker and not self.whole:
            raise NeedsWholeWorker(exercise.id)

    def checks_total(self, total: int) -> None:
        self.send("checks", total=total)

    def check_done(self, outcome: CheckOutcome) -> None:
        self.send("check", check=outcome.check, outcome=outcome.outcome)


def worker_name(worker) -> str:
    return str(worker.name) if worker.name not in (None, "") else worker.address


def describe_worker(dask_worker) -> dict:
    """Run on each worker at connect (`Client.run`): its identity and declared slots."""
    found = Identity.here()
    declared = getattr(dask_worker, "_grader_declared", None)
    slots = declared if declared is not None else dask_worker.state.total_resources.get(RESOURCE, 0)
    return {"version": found.version, "fingerprint": found.fingerprint, "secret": found.secret, "slots": slots,
            "name": worker_name(dask_worker)}


def grade_task(ticket: Ticket) -> Result:
    """One submission, graded on the worker this runs on."""
    from distributed import get_client, get_worker

    worker = get_worker()
    name = worker_name(worker)
    differs = ticket.expected.differences(Identity.here())
    if differs:
        return Result("refused", f"worker {name} refuses gradings: {differs}", worker=name)
    starts = len(get_client().get_events(ticket.attempt_topic))
    if starts >= ticket.attempts:
        return Result("error", f"inconclusive: its grading was started {starts} time(s) and each time lost its worker",
                      worker=name)
    worker.log_event([ticket.attempt_topic, ticket.topic],
                     {"kind": "started", "row": ticket.row, "name": name, "attempt": starts + 1})
    whole = ticket.slots >= worker.state.total_resources.get(RESOURCE, 0)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="grader-cluster-") as tmp:
        out = Path(tmp) / "report"
        out.mkdir()
        for file_name, data in ticket.previous.items():
            (out / file_name).write_bytes(data)
        try:
            outcome = grade_submission(replace(ticket.options, out_dir=out), WorkerProgress(worker, ticket, whole))
        except NeedsWholeWorker as exc:
            return Result("needs-whole-worker", f"{exc} measures latency", worker=name)
        if outcome.status == "reused":  # the client has the report: send only what a reuse rewrote
            (out / "report.json").unlink(missing_ok=True)
        archive, skipped = pack(out, "report", max_bytes=MAX_ARCHIVE_BYTES, max_files=MAX_ARCHIVE_FILES)
    return Result(outcome.status, outcome.message, archive, skipped, name, time.monotonic() - started)


class WorkerCheck(WorkerPlugin):
    """On every worker, now and later: a worker that does not match the client gets no `grading` slots.

    Teardown (the plugin replaced by another client's) gives the worker its declared slots back.
    """

    name = PLUGIN_NAME

    def __init__(self, expected: Identity, topic: str):
        self.expected, self.topic = expected, topic

    async def setup(self, worker) -> None:
        if getattr(worker, "_grader_declared", None) is None:
            worker._grader_declared = worker.state.total_resources.get(RESOURCE, 0)
        differs = self.expected.differences(Identity.here())
        if differs and worker._grader_declared:
            await worker.set_resources(**{RESOURCE: 0})
            worker.log_event(self.topic, {"kind": "refused", "name": worker_name(worker), "reason": differs})

    async def teardown(self, worker) -> None:
        declared = getattr(worker, "_grader_declared", None)
        if declared and worker.state.total_resources.get(RESOURCE) != declared:
            await worker.set_resources(**{RESOURCE: declared})


# -- the client side ---------------------------------------------------------------------------


@dataclass
class Tls:
    """TLS files for the client (Dask's `Security`); none given: Dask's own config and env vars apply."""

    ca_file: Path | None = None
    cert: Path | None = None
    key: Path | None = None

    def security(self):
        if not (self.ca_file or self.cert or self.key):
            return None
        missing = [flag for flag, value in (("--tls-ca-file", self.ca_file), ("--tls-cert", self.cert)) if not value]
        if missing:
            raise GraderError(f"TLS needs {' and '.join(missing)} too")
        for path in (self.ca_file, self.cert, self.key):
            if path is not None and not path.is_file():
                raise GraderError(f"TLS file {path} does not exist")
        return Security(tls_ca_file=str(self.ca_file), tls_client_cert=str(self.cert),
                        tls_client_key=str(self.key) if self.key else None, require_encryption=True)


def check_address(address: str) -> str:
    """A scheduler address Dask can use, or a GraderError naming what is wrong with it."""
    match = ADDRESS.match(address.strip())
    if not match or not 0 < int(match.group(3)) < 65536:
        raise GraderError(f"bad Dask scheduler address {address!r} (expected tcp://HOST:PORT or tls://HOST:PORT)")
    return address.strip() if match.group(1) else f"tcp://{address.strip()}"


def log_dask_to(path: Path) -> None:
    """Dask's loggers write to `path` instead of the terminal (one-line errors stay one line)."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in ("distributed", "tornado", "bokeh"):
        log = logging.getLogger(name)
        for old in list(log.handlers):
            log.removeHandler(old)
        log.addHandler(handler)
        log.propagate = False


class ClusterRunner:
    """Grades a batch on a Dask cluster (`Batch.run(progress, runner=...)`)."""

    def __init__(self, address: str, tls: Tls | None = None, retries: int = 2,
                 say: Callable[[str], None] = lambda line: None):
        self.address = check_address(address)
        self.tls = tls or Tls()
        self.retries = retries
        self.say = say
        self.client = None
        self.workers: dict[str, WorkerInfo] = {}
        self.expected = Identity.here()
        self.topic = f"mlops-grader/{uuid.uuid4().hex[:12]}"

    # connecting ------------------------------------------------------------------------------

    def connect(self, log_path: Path) -> None:
        """Reach the scheduler, wait for a worker, check every worker; GraderError in one line otherwise."""
        security = self.tls.security()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log_dask_to(log_path)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # A Client whose constructor fails still closes itself when collected, and that
            # fails loudly after a timeout: so first try the connection on its own.
            try:
                asyncio.run(_probe(self.address, security or Security()))
            except (OSError, TimeoutError) as exc:
                raise InfraError(f"cannot reach the Dask scheduler at {self.address}: {_first_line(exc)}") from None
            except Exception as exc:  # TLS and address problems come as several exception types
                hint = " (tls:// needs --tls-ca-file and --tls-cert)" if "ssl_context" in str(exc) else ""
                raise GraderError(f"cannot connect to the Dask scheduler at {self.address}: {_first_line(exc)}"
                                  f"{hint}") from None
            try:
                self.client = Client(self.address, security=security, set_as_default=False)
            except Exception as exc:
                raise InfraError(f"cannot connect to the Dask scheduler at {self.address}: {_first_line(exc)}") from None
        for warning in caught:
            logging.getLogger("distributed").warning("%s", warning.message)
        try:
            self._check_workers()
        except BaseException:
            self.close()
            raise

    def _check_workers(self) -> None:
        client = self.client
        try:
            client.wait_for_workers(1, timeout=parse_timedelta(dask.config.get("distributed.comm.timeouts.connect")))
        except TimeoutError:
            raise InfraError(f"no Dask worker is connected to the scheduler at {self.address}") from None
        answers = client.run(describe_worker, on_error="return")
        for address, info in sorted(answers.items()):
            if isinstance(info, BaseException):
                self.workers[address] = WorkerInfo(address, address, 0, f"did not answer: {_first_line(info)}")
                continue
            found = Identity(info["version"], info["fingerprint"], info.get("secret", ""))
            self.workers[address] = WorkerInfo(address, info["name"], info["slots"], self.expected.differences(found))
        for w in self.workers.values():
            if w.refused:
                self.say(f"worker {w.name} refuses gradings: {w.refused}")
            elif not w.slots:
                self.say(f"worker {w.name} declares no {RESOURCE} slots (dask worker --resources {RESOURCE}=N)")
        if not self.eligible:
            raise GraderError(f"no worker of the scheduler at {self.address} can grade for this grader "
                              f"(same grader version and exercises, --resources {RESOURCE}=N)")
        client.register_plugin(WorkerCheck(self.expected, self.topic), name=PLUGIN_NAME)
        slots = ", ".join(f"{w.name}: {w.slots:g}" for w in sorted(self.eligible, key=lambda w: w.name))
        self.say(f"Dask scheduler {self.address}: {len(self.eligible)} worker(s) grading (slots {slots}); "
                 f"dashboard {client.dashboard_link}")

    @property
    def eligible(self) -> list[WorkerInfo]:
        return [w for w in self.workers.values() if not w.refused and w.slots > 0]

    @property
    def whole_worker(self) -> float:
        """What a measured grading asks for: the largest `grading` a matching worker declared."""
        return max((w.slots for w in self.eligible), default=1)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.close(timeout=10)
            except Exception:  # closing after the scheduler went away may time out: nothing is left to save
                pass
            self.client = None

    # running ---------------------------------------------------------------------------------

    def run(self, batch: Batch, progress: BatchProgress) -> None:
        if self.client is None:
            self.connect(batch.out_root / "cluster.log")
        try:
            self._run(batch, progress)
        finally:
            self.close()

    def _run(self, batch: Batch, progress: BatchProgress) -> None:
        self.live: dict[int, Progress] = {}
        self.closed: set[int] = set()  # rows written: their late events are not drawn
        self.batch, self.progress = batch, progress
        # Events arrive on the client's event loop thread; the display is drawn from this one only.
        events: queue.SimpleQueue = queue.SimpleQueue()
        self.client.subscribe_topic(self.topic, events.put)
        measured = {e.id for e in catalog.list_exercises() if e.spec.needs_docker}
        pending = {}
        refusals: dict[int, int] = {}
        for index, row in enumerate(batch.rows):
            whole = (row.submission.exercise or batch.template.exercise) in measured
            pending[self._submit(batch, index, whole)] = (index, whole)
        done = as_completed(list(pending), loop=self.client.loop)
        while not done.is_empty():
            ready = done.next_batch(block=False)
            while not events.empty():
                self._on_event(events.get())
            if not ready:
                time.sleep(POLL_S)
                continue
            for future in ready:
                index, whole = pending.pop(future)
                again = self._collect(batch, index, future, refusals)
                if again is not None:
                    resubmitted = self._submit(batch, index, whole or again)
                    pending[resubmitted] = (index, whole or again)
                    done.add(resubmitted)

    def _collect(self, batch: Batch, index: int, future, refusals: dict[int, int]) -> bool | None:
        """Write one finished task's row; or say that it must run again (True: on a whole worker)."""
        row = batch.rows[index]
        try:
            result = future.result() if future.status != "error" else Result("error", self._fault(future.exception()))
        except CancelledError:  # every task is cancelled when the client loses the scheduler
            self._stop(batch)
        future.release()
        if result.status == "needs-whole-worker":
            return True
        if result.status == "refused":
            refusals[index] = refusals.get(index, 0) + 1
            self.say(result.message)
            if refusals[index] < MAX_REFUSALS:
                return False
            result = Result("error", result.message, worker=result.worker)
        row.worker = result.worker or row.worker
        self.live.pop(index, None)
        self.closed.add(index)
        batch.finish(row, self._place(batch, row, result), result.seconds, self.progress)
        return None

    def _stop(self, batch: Batch) -> None:
        """The scheduler went away: rows not finished go back to pending (a re-run grades them), then one line."""
        for row in batch.rows:
            if row.status == "running":
                row.status = "pending"
        with batch._lock:
            batch.write_summary()
        finished = sum(r.status != "pending" for r in batch.rows)
        raise InfraError(f"lost the Dask scheduler at {self.address}: stopped; {finished} finished "
                         f"submission(s) are kept in {batch.out_root}")

    def _submit(self, batch: Batch, index: int, whole: bool):
        row = batch.rows[index]
        slots = self.whole_worker if whole else 1
        key = f"grade-{self.topic.rsplit('/', 1)[1]}-{index}-{uuid.uuid4().hex[:6]}"
        ticket = Ticket(key=key, topic=self.topic, row=index, options=batch.options_for(row),
                        expected=self.expected, attempts=self.retries + 1, slots=slots,
                        previous={} if batch.force else _previous(batch.out_root / row.folder))
        return self.client.submit(grade_task, ticket, key=key, resources={RESOURCE: slots}, retries=self.retries,
                                  pure=False)

    def _fault(self, exc: BaseException | None) -> str:
        from distributed.scheduler import KilledWorker

        if isinstance(exc, KilledWorker):
            return f"inconclusive: every worker that ran it was lost ({exc.allowed_failures + 1} times)"
        return f"inconclusive: the worker failed: {type(exc).__name__}: {_first_line(exc)}"

    def _place(self, batch: Batch, row: Row, result: Result) -> Outcome:
        """Write a task's report folder under DIR/<candidate>/ (same rules as sandbox outputs)."""
        dest = batch.out_root / row.folder
        message = result.message
        if result.archive:
            staging = Path(tempfile.mkdtemp(prefix=f".{row.folder}.", dir=batch.out_root))
            try:
                skipped = unpack([result.archive], staging, MAX_ARCHIVE_BYTES, MAX_ARCHIVE_FILES)
                skipped += result.skipped
                if result.status == "reused":
                    _merge(staging, dest)
                else:
                    _replace(staging, dest)
            except Exception as exc:
                return Outcome(None, "error", f"could not write the report folder from {result.worker}: "
                                              f"{type(exc).__name__}: {exc}")
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            if skipped:
                message = (message + "; " if message else "") + f"left out of the report folder: {'; '.join(skipped[:5])}"
        if result.status not in ("graded", "reused"):
            return Outcome(None, "error", message)
        try:
            report = Report.model_validate_json((dest / "report.json").read_text())
        except (OSError, ValueError) as exc:
            return Outcome(None, "error", f"no readable report.json came back from {result.worker}: {exc}")
        return Outcome(report, result.status, message)

    def _on_event(self, event) -> None:
        """Draw a task's progress event; a bad one is logged, never raised."""
        try:
            msg = event[1]
            if msg.get("kind") == "refused":
                self.say(f"worker {msg['name']} refuses gradings: {msg['reason']}")
                return
            if msg["row"] in self.closed:
                return
            row = self.batch.rows[msg["row"]]
            kind = msg["kind"]
            if kind == "started":
                row.worker, row.status = msg["name"], "running"
                self.live[msg["row"]] = self.progress.started(row)
                return
            live = self.live.get(msg["row"])
            if live is None:
                return
            if kind == "step":
                live.step(msg["name"])
            elif kind == "checks":
                live.checks_total(msg["total"])
            elif kind == "check":
                live.check_done(CheckOutcome(msg["check"], msg["outcome"]))
        except Exception:
            logging.getLogger("distributed").exception("progress event not shown: %r", event)


def _previous(folder: Path) -> dict[str, bytes]:
    """The row's finished report.json and run.json, sent so that the worker can reuse them."""
    found = {}
    for name in ("report.json", "run.json"):
        path = folder / name
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_PREVIOUS_BYTES:
                found[name] = path.read_bytes()
        except OSError:
            pass
    return found if "report.json" in found else {}


def _replace(staging: Path, dest: Path) -> None:
    """`dest` becomes `staging`'s content; the old folder is removed only once the new one is in place."""
    fresh = staging.with_name(staging.name + ".new")
    os.rename(staging, fresh)
    old = staging.with_name(staging.name + ".old") if dest.exists() else None
    if old is not None:
        os.rename(dest, old)
    os.rename(fresh, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _merge(staging: Path, dest: Path) -> None:
    """Files of `staging` replace their namesakes in `dest` (a reuse: run.json and the clone log)."""
    for path in sorted(staging.rglob("*")):
        if path.is_file() and not path.is_symlink():
            target = dest / path.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)


async def _probe(address: str, security: Security) -> None:
    """One connection to the scheduler and back (raises what connecting raises)."""
    comm = await connect(address, **security.get_connection_args("client"))
    await comm.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
