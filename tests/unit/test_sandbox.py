"""Both sandbox backends: confinement, limits, cleanup and safe output reading."""

import time
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from grader.sandbox import CandidateFailure, OutputError, SandboxConfig, make_sandbox
from grader.sandbox.local import LocalSandbox
from tests.conftest import LIMITS


def py(code: str) -> list[str]:
    return ["{python}", "-c", code]


def test_runs_in_workspace_as_non_root_and_returns_outputs(box):
    (box.workspace / "mod.py").write_text("VALUE = 7\n")
    result = box.run("hello", py(
        "import os, json, mod; json.dump([os.getuid(), os.getcwd(), mod.VALUE], open('{out}/r.json', 'w'))"))
    assert result.ok, result.log_tail()
    uid, cwd, value = result.read_json("r.json")
    assert uid != 0 and cwd == "/workspace" and value == 7
    assert result.log_path.exists() and (box.logs / "01-hello.cmd.json").exists()


def test_state_is_shared_between_steps_and_inputs_are_read_only(box):
    first = box.run("write", py("open('{state}/model', 'w').write(open('{in}/data.csv').read())"), inputs={"data.csv": "a\n1\n"})
    assert first.ok, first.log_tail()
    second = box.run("read", py("print(open('{state}/model').read()); open('{in}/x', 'w')"), inputs={"y.csv": "y"})
    assert second.exit_code != 0
    assert "a\n1" in second.log_path.read_text() and ("Read-only file system" in second.log_tail()
                                                       or "Permission denied" in second.log_tail())


def test_self_test_holds(box):
    facts = box.self_test(hidden_paths=[Path(__file__).parent])
    assert all(facts.values()), facts


def test_memory_limit_is_reported(box):
    result = box.run("train", py("x = bytearray(1024 ** 3)"))
    assert not result.ok and "memory limit" in result.stopped and "during train" in result.stopped


def test_fork_bomb_is_contained(box):
    started = time.monotonic()
    result = box.run("bomb", py("import os, time\nwhile True:\n  try: os.fork()\n  except OSError: time.sleep(0.01)"),
                     timeout_s=5)
    assert not result.ok
    assert time.monotonic() - started < 30


def test_wall_time_limit(box):
    # a CPU-bound loop gets its share even beside a couple of busy processes, so this is the candidate's failure
    result = box.run("loop", py("while True: pass"), timeout_s=5)
    assert result.stopped == "wall-time limit (5 s) reached during loop"


def test_output_flood_is_capped(box):
    result = box.run("flood", py("import sys\nfor _ in range(200000): print('x' * 100)"))
    assert result.output_truncated
    assert result.log_path.stat().st_size < 80 * 1024
    assert "output limit reached" in result.log_path.read_text()


def test_file_size_limit(box):
    result = box.run("disk", py("open('/workspace/big', 'wb').write(b'x' * 20 * 1024 * 1024)"))
    assert not result.ok


def test_disk_fill_is_stopped(box):
    code = ("import os, time\n"
            "for i in range(1000):\n"
            "    open(f'/workspace/fill{i}', 'wb').write(os.urandom(4 * 1024 * 1024))\n"
            "    time.sleep(0.05)\n")
    result = box.run("train", py(code), timeout_s=60)
    assert result.stopped == "disk limit (40 MiB) reached during train"


def test_no_network(box):
    result = box.run("net", py("import socket; socket.create_connection(('1.1.1.1', 53), timeout=2)"))
    assert not result.ok and ("unreachable" in result.log_tail() or "Errno" in result.log_tail())


def test_double_forked_process_cannot_rewrite_outputs_after_the_step(box):
    code = (
        "import os, time\n"
        "open('{out}/result.json', 'w').write('{\"score\": 0}')\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(1.5)\n"
        "        open('{out}/result.json', 'w').write('{\"score\": 100}')\n"
        "        os._exit(0)\n"
        "    os._exit(0)\n"
    )
    result = box.run("sneaky", py(code))
    time.sleep(2.5)
    assert result.read_json("result.json") == {"score": 0}


def test_outputs_are_read_safely(box):
    result = box.run("evil", py(
        "import os\n"
        "os.symlink('/etc/passwd', '{out}/link.json')\n"
        "open('{out}/big.json', 'w').write('[' + '1,' * 600000 + '1]')\n"
        "open('{out}/bad.json', 'w').write('{not json')\n"
        "os.mkfifo('{out}/fifo.json')\n"
    ))
    assert result.ok, result.log_tail()
    with pytest.raises(OutputError, match="cannot be read safely|was not written"):
        result.read_json("link.json")
    with pytest.raises(OutputError, match="over the"):
        result.read_json("big.json")
    with pytest.raises(OutputError, match="not JSON"):
        result.read_json("bad.json")
    with pytest.raises(OutputError, match="not a regular file|was not written"):
        result.read_json("fifo.json")
    with pytest.raises(OutputError, match="was not written"):
        result.read_json("missing.json")
    # only regular files leave the sandbox; what was dropped is in the step's log
    kept = sorted(p.name for p in result.out_dir.iterdir())
    assert kept == ["bad.json", "big.json"] and not any(p.is_symlink() for p in result.out_dir.iterdir())
    log = result.log_path.read_text()
    assert "link.json: a symlink" in log and "fifo.json: not a regular file" in log


APP = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok " + scope["path"].encode()})
"""


def test_serve_over_unix_socket(box):
    (box.workspace / "app.py").write_text(APP)
    with box.serve("serve", ["{python}", "-m", "uvicorn", "app:app", "--uds", "{sock}/app.sock"]) as service:
        assert service.request("GET", "/health") == (200, b"ok /health")
        assert [service.request("GET", f"/{i}")[1] for i in range(20)] == [f"ok /{i}".encode() for i in range(20)]
        assert service.alive()
    assert not service.alive()


def test_server_that_never_becomes_ready(box):
    box.limits = replace(LIMITS, serve_start_timeout_s=3)
    with pytest.raises(CandidateFailure, match="not ready after 3 s"):
        with box.serve("serve", py("import time; time.sleep(60)")):
            pass


def test_server_that_crashes_at_start(box):
    with pytest.raises(CandidateFailure, match="exited with code 3"):
        with box.serve("serve", py("import sys; print('boom'); sys.exit(3)")):
            pass


def test_server_whose_worker_is_killed_for_memory_fails_fast(box):
    """A master that survives its worker's OOM kill (gunicorn respawns) must not wait out the timeout."""
    box.limits = replace(LIMITS, serve_start_timeout_s=60)
    master = ("import subprocess, sys, time\n"
              "subprocess.run([sys.executable, '-c', 'x = bytearray(600 * 1024 * 1024)'])\n"
              "time.sleep(60)")
    started = time.monotonic()
    with pytest.raises(CandidateFailure, match="killed at the memory limit") as failure:
        with box.limited(memory_mb=300).serve("serve", py(master)):
            pass
    assert time.monotonic() - started < 30 and failure.value.oom_kills >= 1


def test_unconfined_mode_is_marked_not_isolated(tmp_path):
    (tmp_path / "ws").mkdir()
    sandbox = LocalSandbox(tmp_path / "ws", tmp_path / "run", LIMITS, confine=False)
    assert not sandbox.isolated and sandbox.backend == "unconfined"
    result = sandbox.run("hello", py("import os; open('{out}/cwd.txt', 'w').write(os.getcwd())"))
    assert result.ok and result.read_text("cwd.txt") == str(sandbox.area.workspace)
    sandbox.close()


@pytest.mark.docker
def test_serve_through_exec_relay(docker_image, tmp_path, monkeypatch):
    """What a remote engine uses: no host folder mounted, the socket reached through docker exec."""
    monkeypatch.setenv("GRADER_DOCKER_RELAY", "1")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "app.py").write_text(APP)
    box = make_sandbox(SandboxConfig("docker", str(tmp_path / "ws"), str(tmp_path / "run"), asdict(LIMITS), image=docker_image))
    try:
        with box.serve("serve", ["{python}", "-m", "uvicorn", "app:app", "--uds", "{sock}/app.sock"]) as service:
            assert service._handle.relay is not None
            assert [service.request("GET", f"/{i}")[1] for i in range(20)] == [f"ok /{i}".encode() for i in range(20)]
    finally:
        box.close()


def test_limited_view_and_live_memory(box):
    (box.workspace / "app.py").write_text(APP)  # before the first step: docker copies the workspace in once
    small = box.limited(memory_mb=300)
    result = small.run("hog", py("x = bytearray(400 * 1024 * 1024)"))
    assert "memory limit (300 MiB)" in result.stopped
    with box.serve("serve", ["{python}", "-m", "uvicorn", "app:app", "--uds", "{sock}/app.sock"]) as service:
        peak = service.peak_memory_mb()
        assert peak is not None and 10 < peak < 400 and service.oom_kills() == 0


def test_no_host_path_is_visible_inside(box, tmp_path):
    """/proc/self/mountinfo showed the host paths of the probes, output and work folders."""
    from grader import catalog

    probes = tmp_path / "probes"
    probes.mkdir()
    (probes / "probe.py").write_text("print('probe ran')\n")
    box.probes = probes
    code = ("import os\n"
            "seen = open('/proc/self/mountinfo').read() + open('/proc/self/environ', 'rb').read().decode()\n"
            "seen += open('/proc/1/cmdline', 'rb').read().decode() + os.getcwd()\n"
            "open('{out}/seen.txt', 'w').write(seen)\n"
            "import glob; print('probes visible:', bool(glob.glob('/io/**/probe.py', recursive=True)))\n")
    result = box.run("look", py(code))
    assert result.ok, result.log_tail()
    seen = result.read_text("seen.txt")
    for host_path in (tmp_path, catalog.project_root().resolve(), box.run_dir, probes):
        assert str(host_path) not in seen, host_path
    assert "probes visible: False" in result.log_path.read_text()  # probes only where a probe runs
    probe = box.run("probe", ["{python}", "{probes}/probe.py"])
    assert probe.ok and "probe ran" in probe.log_path.read_text()


def test_disk_is_bounded_by_the_kernel_past_200000_files(box):
    """The watchdog stopped counting after 200,000 files, so writes after them went unnoticed."""
    if not box.enforced_limits().get("disk_limited_by_kernel"):
        pytest.skip("this machine lets the grader mount no size-capped tmpfs")
    code = ("import os\n"
            "os.makedirs('many', exist_ok=True)\n"
            "big = open('big', 'wb')\n"
            "try:\n"
            "    for i in range(250_000):\n"
            "        open(f'many/{i}', 'w').close()\n"
            "except OSError as exc:\n"
            "    print('files stopped:', exc.strerror)\n"
            "for _ in range(100):\n"
            "    big.write(b'x' * 1024 * 1024)\n"
            "    big.flush()\n")
    result = box.limited(file_size_mb=200).run("train", py(code), timeout_s=120)
    assert result.stopped == "disk limit (40 MiB) reached during train", (result.stopped, result.log_tail())


def test_a_huge_answer_is_the_candidates_failure(box):
    from grader.verify.toolkit import send

    (box.workspace / "app.py").write_text(APP.replace('b"ok " + scope["path"].encode()',
                                                      'b"x" * (3_000_000 if scope["path"] == "/predict" else 2)'))
    with box.serve("serve", ["{python}", "-m", "uvicorn", "app:app", "--uds", "{sock}/app.sock"],
                   ready_path="/health") as service:
        with pytest.raises(OutputError, match="answered more than 1048576 bytes"):
            send(service, "GET", "/predict")


DRIBBLE = """
import asyncio
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    while True:
        await send({"type": "http.response.body", "body": b" ", "more_body": True})
        await asyncio.sleep(1)
"""


HANG = """
import asyncio
async def app(scope, receive, send):
    if scope["type"] == "http":
        await asyncio.sleep(3600)
"""


def test_requests_and_readiness_have_total_deadlines(box):
    """httpx's timeouts are per read: an answer dribbled a byte a second held a check (and each
    readiness probe) for as long as the server liked."""
    from grader.verify.toolkit import send

    box.limits = replace(LIMITS, serve_start_timeout_s=8, request_timeout_s=4)
    (box.workspace / "app.py").write_text(DRIBBLE)
    (box.workspace / "hang.py").write_text(HANG)  # before the first step: the workspace is copied in once
    with box.serve("serve", ["{python}", "-m", "uvicorn", "app:app", "--uds", "{sock}/app.sock"]) as service:
        started = time.monotonic()  # ready: /health's status came; its body never ends
        with pytest.raises(CandidateFailure, match="did not answer GET /health in time"):
            send(service, "GET", "/health")
        assert time.monotonic() - started < 4 + 8  # the deadline, and room for a loaded host
    started = time.monotonic()
    with pytest.raises(CandidateFailure, match="not ready after 8 s"):
        with box.serve("serve", ["{python}", "-m", "uvicorn", "hang:app", "--uds", "{sock}/app.sock"]):
            pass
    assert time.monotonic() - started < 8 + 2 + 25  # the deadline, one probe, stopping the server, a loaded host


def test_a_sleeping_step_is_the_candidates_failure_not_a_starved_host(box):
    result = box.run("nap", py("import time; time.sleep(60)"), timeout_s=3)
    assert result.stopped == "wall-time limit (3 s) reached during nap"
