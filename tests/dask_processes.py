"""A real Dask scheduler and real Dask workers, as processes on 127.0.0.1 in one folder.

Used by the cluster tests and by bench/bench_cluster.py. Killing a worker kills everything
it started (its gradings' verifiers and sandboxes), as a host that dies would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DASK = str(Path(sys.executable).parent / "dask")


class DaskProcesses:
    """`tls` (CA file, certificate, key) makes every process speak TLS only, with those files."""

    def __init__(self, root: Path, env: dict[str, str] | None = None, tls: tuple[Path, Path, Path] | None = None):
        self.root = root
        self.env = {**os.environ, **(env or {})}
        self.tls = tls
        self.tls_flags = ["--protocol", "tls", "--tls-ca-file", str(tls[0]), "--tls-cert", str(tls[1]),
                          "--tls-key", str(tls[2])] if tls else []
        self.scheduler: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}
        self.address = ""
        root.mkdir(parents=True, exist_ok=True)

    def _start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.root / f"{name}.log", "ab")
        tmp = self.root / f"{name}-tmp"
        tmp.mkdir(exist_ok=True)
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**self.env, "TMPDIR": str(tmp), **(env or {})}, cwd=self.root)

    def start_scheduler(self, timeout_s: float = 120) -> str:
        info = self.root / "scheduler.json"
        info.unlink(missing_ok=True)
        self.scheduler = self._start("scheduler", [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0",
                                                   "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(info),
                                                   *self.tls_flags])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.scheduler.poll() is not None:
                raise RuntimeError(f"dask scheduler exited: {(self.root / 'scheduler.log').read_text()[-2000:]}")
            try:
                self.address = json.loads(info.read_text())["address"]
                return self.address
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
        raise RuntimeError("dask scheduler did not start")

    def start_worker(self, name: str, slots: int = 1, env: dict[str, str] | None = None) -> None:
        self.workers[name] = self._start(name, [
            DASK, "worker", self.address, "--name", name, "--nthreads", str(slots), "--resources", f"grading={slots}",
            "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(self.root / f"{name}-dask"),
            *self.tls_flags,
        ], env)

    def wait_for_workers(self, count: int, timeout_s: float = 300) -> None:
        from distributed import Client
        from distributed.security import Security

        security = Security(tls_ca_file=str(self.tls[0]), tls_client_cert=str(self.tls[1]),
                            tls_client_key=str(self.tls[2]), require_encryption=True) if self.tls else None
        with Client(self.address, timeout=timeout_s, set_as_default=False, security=security) as client:
            client.wait_for_workers(count, timeout=timeout_s)

    def kill(self, name: str) -> None:
        """SIGKILL a worker and everything it started."""
        proc = self.workers.pop(name)
        _kill_group(proc)

    def stop_scheduler(self) -> None:
        if self.scheduler is not None:
            _kill_group(self.scheduler)
            self.scheduler = None

    def stop(self) -> None:
        for name in list(self.workers):
            self.kill(name)
        self.stop_scheduler()


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process and all its descendants (the verifier runs in a session of its own)."""
    import psutil

    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    for pid in [proc.pid, *(p.pid for p in family)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=60)


def make_tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and one certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)

    def certificate(subject: str, key, issuer: x509.Name | None, signer, ca: bool) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - day).not_valid_after(now + day)
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    folder.mkdir(parents=True, exist_ok=True)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("grader test CA", ca_key, None, ca_key, ca=True)
    cert = certificate("127.0.0.1", key, ca.subject, ca_key, ca=False)
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths
