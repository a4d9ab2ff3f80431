"""The cluster's fast parts: the report archive's rules, the worker identity check, addresses and TLS options."""

import io
import os
import shutil
import tarfile
from pathlib import Path

import pytest

from grader import archive, catalog
from grader.cluster import (
    MAX_ARCHIVE_BYTES,
    Identity,
    NeedsWholeWorker,
    Result,
    Ticket,
    Tls,
    WorkerProgress,
    check_address,
    grade_task,
)
from grader.errors import GraderError
from grader.grade import Options

HOME = Path(__file__).parents[1] / "fixtures" / "home"


def tar_of(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def member(name: str, kind=tarfile.REGTYPE, data: bytes | None = b"x", **extra) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in extra.items():
        setattr(info, key, value)
    return info, (data if kind == tarfile.REGTYPE else None)


def test_pack_keeps_regular_files_only_and_top_level_files_first(tmp_path):
    src = tmp_path / "report"
    (src / "logs").mkdir(parents=True)
    (src / "report.json").write_text("{}")
    (src / "logs" / "verify.log").write_text("log")
    (src / "logs" / "link").symlink_to("/etc/passwd")
    os.mkfifo(src / "fifo")
    data, skipped = archive.pack(src, "report", max_files=2)
    names = [m.name for m in tarfile.open(fileobj=io.BytesIO(data))]
    assert names == ["report", "report/report.json", "report/logs", "report/logs/verify.log"]
    assert sorted(skipped) == ["fifo: not a regular file", "logs/link: not a regular file"]
    data, skipped = archive.pack(src, "report", max_bytes=3)
    assert [m.name for m in tarfile.open(fileobj=io.BytesIO(data)) if m.isfile()] == ["report/report.json"]
    assert skipped[-1] == "logs/verify.log: archive limit reached"


def test_pack_then_unpack_round_trips(tmp_path):
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "a" / "b" / "deep.txt").write_bytes(b"deep")
    (src / "top.txt").write_bytes(b"top")
    data, skipped = archive.pack(src, "report")
    dest = tmp_path / "dest"
    assert archive.unpack([data], dest, MAX_ARCHIVE_BYTES) == [] and skipped == []
    assert (dest / "a" / "b" / "deep.txt").read_bytes() == b"deep" and (dest / "top.txt").read_bytes() == b"top"


def test_unpack_drops_links_devices_and_escaping_paths(tmp_path):
    hostile = tar_of([
        member("report/ok.txt"),
        member("report/../../escape.txt"),
        member("/abs/report.txt"),
        member("report/link", tarfile.SYMTYPE, linkname="/etc/passwd"),
        member("report/hard", tarfile.LNKTYPE, linkname="report/ok.txt"),
        member("report/dev", tarfile.CHRTYPE, devmajor=1, devminor=3),
        member("report/fifo", tarfile.FIFOTYPE),
    ])
    dest = tmp_path / "dest"
    skipped = archive.unpack([hostile], dest, MAX_ARCHIVE_BYTES)
    assert sorted(p.name for p in dest.rglob("*")) == ["ok.txt"]
    assert not (tmp_path / "escape.txt").exists()
    assert len(skipped) == 6 and "unsafe path 'report/../../escape.txt'" in skipped


def test_unpack_is_bounded_in_bytes_and_files(tmp_path):
    many = tar_of([member(f"report/f{i}.txt", data=b"12345") for i in range(10)])
    skipped = archive.unpack([many], tmp_path / "count", MAX_ARCHIVE_BYTES, max_files=3)
    assert len(list((tmp_path / "count").iterdir())) == 3 and len(skipped) == 7
    skipped = archive.unpack([many], tmp_path / "bytes", limit=12)
    assert len(list((tmp_path / "bytes").iterdir())) == 2
    huge = archive.unpack([b"\0" * (2 * 1024 * 1024)], tmp_path / "huge", limit=1024)
    assert huge == ["archive larger than 1024 bytes: not read"] and not (tmp_path / "huge").exists()


def test_fingerprint_is_stable_across_checkouts_and_sees_any_change(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    here = catalog.fingerprint()
    copy = tmp_path / "elsewhere" / "home"
    shutil.copytree(HOME, copy)
    (copy / "exercises" / "toy" / "__pycache__").mkdir()
    (copy / "exercises" / "toy" / "__pycache__" / "x.pyc").write_bytes(b"litter")
    os.utime(copy / "exercises" / "toy" / "exercise.toml", (0, 0))
    monkeypatch.setenv("GRADER_HOME", str(copy))
    assert catalog.fingerprint() == here
    (copy / "broken_pipelines" / "toy" / "answer.py").write_text("ANSWER = 41\n")
    assert catalog.fingerprint() != here


def test_identity_names_what_differs():
    client = Identity("0.1.0", "a" * 64)
    assert client.differences(Identity("0.1.0", "a" * 64)) == ""
    assert client.differences(Identity("0.2.0", "b" * 64)) == (
        f"grader 0.2.0 (client: 0.1.0); exercise content {'b' * 12} (client: {'a' * 12})")


class FakeWorker:
    """What grade_task and WorkerProgress use of a Dask worker."""

    name, address = "w-fake", "tcp://127.0.0.1:1"

    def __init__(self, slots: float):
        self.state = type("State", (), {"total_resources": {"grading": slots}})()
        self.events = []

    def log_event(self, topic, msg):
        self.events.append((topic, msg))


def test_a_worker_that_differs_refuses_the_task(monkeypatch):
    import distributed

    monkeypatch.setenv("GRADER_HOME", str(HOME))
    monkeypatch.setattr(distributed, "get_worker", lambda: FakeWorker(1))
    ticket = Ticket(key="k", topic="t", row=0, options=Options(location="/nowhere"), expected=Identity("9.9", "f" * 64),
                    attempts=1, slots=1)
    result = grade_task(ticket)
    assert result == Result("refused", f"worker w-fake refuses gradings: grader {Identity.here().version} (client: 9.9); "
                                       f"exercise content {catalog.fingerprint()[:12]} (client: ffffffffffff)",
                            worker="w-fake")


def test_a_measured_exercise_needs_the_whole_worker(monkeypatch):
    monkeypatch.setenv("GRADER_HOME", str(HOME))
    measured = type("Exercise", (), {"id": "slow", "spec": type("Spec", (), {"needs_docker": True})()})()
    ticket = Ticket(key="k", topic="t", row=3, options=Options(location=""), expected=Identity("", ""), attempts=1,
                    slots=1)
    worker = FakeWorker(2)
    with pytest.raises(NeedsWholeWorker):
        WorkerProgress(worker, ticket, whole=False).identified(measured)
    WorkerProgress(worker, ticket, whole=True).identified(measured)
    WorkerProgress(worker, ticket, whole=True).step("verify")
    assert worker.events == [("t", {"kind": "step", "row": 3, "name": "verify"})]


@pytest.mark.parametrize("address", ["", "scheduler", "http://h:8786", "tcp://h:0", "tcp://h:99999", "tcp://h:1 x",
                                     "-oProxyCommand=x:1"])
def test_bad_scheduler_addresses(address):
    with pytest.raises(GraderError, match="bad Dask scheduler address"):
        check_address(address)


def test_good_scheduler_addresses():
    assert check_address("127.0.0.1:8786") == "tcp://127.0.0.1:8786"
    assert check_address("tls://sched.example.org:8786") == "tls://sched.example.org:8786"
    assert check_address("tcp://[::1]:8786") == "tcp://[::1]:8786"


def test_tls_options(tmp_path):
    assert Tls().security() is None  # Dask's own config and DASK_* variables apply
    with pytest.raises(GraderError, match="TLS needs --tls-ca-file too"):
        Tls(cert=tmp_path / "c.pem").security()
    with pytest.raises(GraderError, match="does not exist"):
        Tls(ca_file=tmp_path / "ca.pem", cert=tmp_path / "c.pem").security()
    for name in ("ca.pem", "c.pem"):
        (tmp_path / name).write_text("not read until connecting")
    security = Tls(ca_file=tmp_path / "ca.pem", cert=tmp_path / "c.pem").security()
    assert security.require_encryption and security.tls_ca_file == str(tmp_path / "ca.pem")
