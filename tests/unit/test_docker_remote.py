"""The docker backend against an engine reached over TCP (`DOCKER_HOST=tcp://...`), as a
grading host uses a remote engine: no host folder is shared, files travel as archives and
the service's socket is reached through the exec relay. The "remote" engine here is the
local one behind a TCP-to-Unix-socket forwarder, which is what the client sees of a remote
engine."""

import os
import socket
import socketserver
import threading
from dataclasses import asdict

import pytest

from grader.grade import Options, grade
from grader.sandbox import SandboxConfig, make_sandbox
from tests.conftest import LIMITS
from tests.unit.conftest import docker_leftovers
from tests.unit.test_sandbox import APP

pytestmark = pytest.mark.docker
ENGINE_SOCKET = "/var/run/docker.sock"


class _Forward(socketserver.BaseRequestHandler):
    def handle(self):
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(ENGINE_SOCKET)

        def pump(source, sink):
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                for end in (source, sink):
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        back.start()
        pump(self.request, upstream)
        back.join()
        upstream.close()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def tcp_engine(docker_image, monkeypatch):
    if not os.path.exists(ENGINE_SOCKET) or os.environ.get("DOCKER_HOST", "unix://").split("://")[0] != "unix":
        pytest.skip(f"this test forwards TCP to the engine's local socket {ENGINE_SOCKET}")
    server = _Server(("127.0.0.1", 0), _Forward)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{server.server_address[1]}")
    monkeypatch.delenv("GRADER_DOCKER_RELAY", raising=False)
    yield docker_image
    server.shutdown()
    server.server_close()


def test_serves_through_the_relay_of_a_tcp_engine(tcp_engine, tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "app.py").write_text(APP)
    box = make_sandbox(SandboxConfig("docker", str(tmp_path / "ws"), str(tmp_path / "run"), asdict(LIMITS),
                                     image=tcp_engine))
    try:
        assert not box.bind_socket, "a remote engine cannot bind-mount a host folder"
        result = box.run("hello", ["{python}", "-c", "open('{out}/hi.txt', 'w').write('hi')"])
        assert result.ok and result.read_text("hi.txt") == "hi"
        with box.serve("serve", ["{python}", "-m", "uvicorn", "app:app", "--uds", "{sock}/app.sock"]) as service:
            assert service._handle.relay is not None
            assert [service.request("GET", f"/{i}")[1] for i in range(10)] == [f"ok /{i}".encode() for i in range(10)]
    finally:
        box.close()
    assert docker_leftovers() == ([], [])


def test_grades_a_submission_on_a_tcp_engine(tcp_engine, toy_repo, tmp_path):
    report = grade(Options(location=str(toy_repo), out_dir=tmp_path / "out", sandbox="docker"))
    assert report.sandbox.backend == "docker" and report.verdict == "fail"
    assert docker_leftovers() == ([], [])
