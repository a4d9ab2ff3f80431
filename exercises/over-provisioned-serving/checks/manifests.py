"""The candidate's Kubernetes manifests, read as data: replicas, resources, probes, cost.

Everything here is untrusted input: files come from the pristine submitted tree (never
touched by candidate code), bounded, parsed with `yaml.safe_load_all`, and every field is
validated before use. Anything malformed is an `OutputError`, i.e. a failed check.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import yaml

from grader.sandbox import OutputError
from grader.verify.toolkit import candidate_data

import hidden_data as hd

DEPLOYMENT_PATH = "deploy/k8s/deployment.yaml"
HPA_PATH = "deploy/k8s/hpa.yaml"
DEPLOYMENT_NAME = "credit-risk-api"
CONTAINER_NAME = "api"
MIB = 1024 * 1024

_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
           "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_QUANTITY = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,3})|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
#: Variables the grader itself sets for every step; the manifest's values are not used for these.
_ENV_RESERVED = {"PATH", "HOME", "TMPDIR", "LANG", "CREDIT_RISK_STORE", "PYTHONHOME", "PYTHONPATH",
                 "PYTHONSTARTUP", "LD_PRELOAD", "LD_LIBRARY_PATH"}


def quantity(value, what: str) -> float:
    """A Kubernetes quantity ("500m", "1.5", 2, "768Mi", "1G", "1e9") as a plain number."""
    if isinstance(value, bool) or value is None:
        raise OutputError(f"{what}: {value!r} is not a quantity")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and len(value) <= 32:
        match = _QUANTITY.match(value.strip())
        if not match:
            raise OutputError(f"{what}: {value[:32]!r} is not a Kubernetes quantity")
        digits, exponent, suffix = match.groups()
        number = float(f"{digits}e{exponent}") if exponent else float(digits) * _SUFFIX[suffix or ""]
    else:
        raise OutputError(f"{what}: not a quantity")
    if not (number >= 0 and number < 1e18):
        raise OutputError(f"{what}: {value!r} is out of range")
    return number


def _int(value, what: str, default: int, low: int = 0, high: int = 100_000) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise OutputError(f"{what}: {value!r} is not an integer between {low} and {high}")
    return value


@dataclass
class Probe:
    kind: str  # httpGet | tcpSocket | exec | grpc | none
    path: str | None = None
    port: int | str | None = None
    initial_delay_s: int = 0
    period_s: int = 10
    failure_threshold: int = 3
    timeout_s: int = 1

    @property
    def allowance_s(self) -> int:
        """How long a failing probe takes to act (a liveness or startup probe: to kill)."""
        return self.initial_delay_s + self.failure_threshold * self.period_s

    def describe(self) -> dict:
        return {"kind": self.kind, "path": self.path, "port": self.port, "initialDelaySeconds": self.initial_delay_s,
                "periodSeconds": self.period_s, "failureThreshold": self.failure_threshold,
                "timeoutSeconds": self.timeout_s}


@dataclass
class Manifests:
    deployment_name: str
    replicas: int
    hpa: dict | None
    cpu_request: float | None
    cpu_limit: float | None
    memory_request_mb: float | None
    memory_limit_mb: float | None
    ports: dict = field(default_factory=dict)  # name -> number, and str(number) -> number
    readiness: Probe | None = None
    liveness: Probe | None = None
    startup: Probe | None = None
    env: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def effective_replicas(self) -> int:
        """The replica floor: the HPA's minReplicas if one targets the Deployment, else replicas."""
        return self.hpa["minReplicas"] if self.hpa else self.replicas

    def problems(self) -> list[str]:
        """Declarations Kubernetes would reject or that make the figures meaningless."""
        found = []
        if self.cpu_request is None or self.memory_request_mb is None:
            found.append("the api container must declare CPU and memory requests")
        if self.cpu_request is not None and self.cpu_request <= 0:
            found.append("the CPU request must be positive")
        if None not in (self.cpu_request, self.cpu_limit) and self.cpu_limit < self.cpu_request:
            found.append("the CPU limit is below the CPU request")
        if None not in (self.memory_request_mb, self.memory_limit_mb) and self.memory_limit_mb < self.memory_request_mb:
            found.append("the memory limit is below the memory request")
        if self.hpa and self.hpa["maxReplicas"] < self.hpa["minReplicas"]:
            found.append("the HPA's maxReplicas is below its minReplicas")
        return found

    def resources(self) -> dict:
        return {"cpu_request": self.cpu_request, "cpu_limit": self.cpu_limit,
                "memory_request_mb": _round(self.memory_request_mb), "memory_limit_mb": _round(self.memory_limit_mb)}

    def summary(self) -> dict:
        return {"deployment": self.deployment_name, "replicas": self.replicas, "hpa": self.hpa,
                "effective_replicas": self.effective_replicas, **self.resources(), "env": sorted(self.env),
                "notes": self.notes}

    def monthly_cost(self) -> dict:
        """replicas x (CPU request x price + memory request in GiB x price) x 730 h, by the README's price list."""
        if self.cpu_request is None or self.memory_request_mb is None:
            raise OutputError("the api container must declare CPU and memory requests (the bill is based on them)")
        cpu = self.cpu_request * hd.PRICE_VCPU_HOUR * hd.HOURS_PER_MONTH
        memory = self.memory_request_mb / 1024 * hd.PRICE_GIB_HOUR * hd.HOURS_PER_MONTH
        n = self.effective_replicas
        return {"replicas": n, "cpu_per_replica": round(cpu, 2), "memory_per_replica": round(memory, 2),
                "monthly": round(n * (cpu + memory), 2)}


def _round(value):
    return None if value is None else round(value, 1)


def _documents(text: str | None, path: str) -> list[dict]:
    if text is None:
        return []
    try:
        docs = list(yaml.safe_load_all(text))
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise OutputError(f"{path} is not valid YAML: {str(exc)[:200]}") from None
    return [d for d in docs if isinstance(d, dict)]


def _get(mapping, *keys):
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def _probe(raw, what: str) -> Probe | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise OutputError(f"{what} is not a mapping")
    kind = next((k for k in ("httpGet", "tcpSocket", "exec", "grpc") if k in raw), "none")
    probe = Probe(kind=kind,
                  initial_delay_s=_int(raw.get("initialDelaySeconds"), f"{what}.initialDelaySeconds", 0, 0, 3600),
                  period_s=_int(raw.get("periodSeconds"), f"{what}.periodSeconds", 10, 1, 3600),
                  failure_threshold=_int(raw.get("failureThreshold"), f"{what}.failureThreshold", 3, 1, 1000),
                  timeout_s=_int(raw.get("timeoutSeconds"), f"{what}.timeoutSeconds", 1, 1, 3600))
    if kind == "httpGet":
        http = raw["httpGet"] if isinstance(raw["httpGet"], dict) else {}
        path = http.get("path", "/")
        if not isinstance(path, str) or not path.startswith("/") or len(path) > 200 or any(c.isspace() for c in path):
            raise OutputError(f"{what}.httpGet.path {str(path)[:50]!r} is not a URL path")
        port = http.get("port")
        if not (isinstance(port, str) and 0 < len(port) <= 63) and not (isinstance(port, int) and 0 < port < 65536):
            raise OutputError(f"{what}.httpGet.port {str(port)[:20]!r} is not a port")
        probe.path, probe.port = path, port
    return probe


def _resource_field(ref, resources: dict, what: str) -> str | None:
    """The downward API's `resourceFieldRef` (e.g. WEB_CONCURRENCY from limits.cpu), as Kubernetes fills it in."""
    if not isinstance(ref, dict) or ref.get("resource") not in ("limits.cpu", "requests.cpu", "limits.memory",
                                                                  "requests.memory"):
        return None
    section, key = ref["resource"].split(".")
    declared = resources.get(section) if isinstance(resources.get(section), dict) else {}
    if declared.get(key) is None:
        return None
    divisor = quantity(ref.get("divisor", 1), f"{what}.divisor") or 1.0
    return str(max(1, math.ceil(quantity(declared[key], f"resources.{section}.{key}") / divisor - 1e-9)))


def _env(container: dict, notes: list[str]) -> dict:
    env = {}
    items = container.get("env") if isinstance(container.get("env"), list) else []
    resources = container.get("resources") if isinstance(container.get("resources"), dict) else {}
    for item in items[:64]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        name, value = item["name"], item.get("value")
        if "valueFrom" in item and "value" not in item:
            value = _resource_field(_get(item["valueFrom"], "resourceFieldRef"), resources, f"env {name[:40]}")
            if value is None:
                continue
            item = {"name": name, "value": value}
        if not _ENV_NAME.match(name) or "value" not in item or isinstance(value, (dict, list)):
            continue
        if name in _ENV_RESERVED:
            if name != "CREDIT_RISK_STORE":  # expected: the grader's store replaces the cluster's volume
                notes.append(f"env {name} is set by the grader, not from the manifest")
            continue
        value = "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        if len(value) <= 512:
            env[name] = value
    return env


@candidate_data("the Kubernetes manifests")
def parse(deployment_text: str | None, hpa_text: str | None) -> Manifests:
    if deployment_text is None:
        raise OutputError(f"{DEPLOYMENT_PATH} is missing")
    docs = _documents(deployment_text, DEPLOYMENT_PATH)
    hpa_docs = _documents(hpa_text, HPA_PATH) + docs
    deployments = [d for d in docs if d.get("kind") == "Deployment"]
    named = [d for d in deployments if _get(d, "metadata", "name") == DEPLOYMENT_NAME]
    if len(named) == 1:
        deployment = named[0]
    elif len(deployments) == 1:
        deployment = deployments[0]
    else:
        raise OutputError(f"{DEPLOYMENT_PATH} must hold one Deployment (found {len(deployments)})")
    name = _get(deployment, "metadata", "name")
    name = name if isinstance(name, str) else "?"
    notes: list[str] = []
    replicas = _int(_get(deployment, "spec", "replicas"), "spec.replicas", 1, 0, 1000)

    containers = _get(deployment, "spec", "template", "spec", "containers")
    containers = [c for c in containers if isinstance(c, dict)] if isinstance(containers, list) else []
    chosen = [c for c in containers if c.get("name") == CONTAINER_NAME] or (containers if len(containers) == 1 else [])
    if not chosen:
        raise OutputError(f"the Deployment has no container named {CONTAINER_NAME!r}")
    container = chosen[0]

    resources = container.get("resources") if isinstance(container.get("resources"), dict) else {}
    requests = resources.get("requests") if isinstance(resources.get("requests"), dict) else {}
    limits = resources.get("limits") if isinstance(resources.get("limits"), dict) else {}

    def read(section: dict, key: str, scale: float):
        return None if section.get(key) is None else quantity(section[key], f"resources.{key}") / scale

    cpu_limit, memory_limit = read(limits, "cpu", 1.0), read(limits, "memory", MIB)
    cpu_request, memory_request = read(requests, "cpu", 1.0), read(requests, "memory", MIB)
    if cpu_request is None and cpu_limit is not None:
        cpu_request = cpu_limit
        notes.append("no CPU request: Kubernetes uses the limit")
    if memory_request is None and memory_limit is not None:
        memory_request = memory_limit
        notes.append("no memory request: Kubernetes uses the limit")

    ports = {}
    for port in (container.get("ports") if isinstance(container.get("ports"), list) else []):
        number = port.get("containerPort") if isinstance(port, dict) else None
        if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 65536:
            ports[str(number)] = number
            if isinstance(port.get("name"), str):
                ports[port["name"]] = number

    hpa = None
    for doc in hpa_docs:
        target = _get(doc, "spec", "scaleTargetRef")
        if doc.get("kind") == "HorizontalPodAutoscaler" and isinstance(target, dict) \
                and target.get("kind") == "Deployment" and target.get("name") == name:
            low = _int(_get(doc, "spec", "minReplicas"), "HPA minReplicas", 1, 1, 1000)
            high = _int(_get(doc, "spec", "maxReplicas"), "HPA maxReplicas", low, 1, 1000)
            hpa = {"minReplicas": low, "maxReplicas": high}
            break

    return Manifests(
        deployment_name=name, replicas=replicas, hpa=hpa, cpu_request=cpu_request, cpu_limit=cpu_limit,
        memory_request_mb=memory_request, memory_limit_mb=memory_limit, ports=ports,
        readiness=_probe(container.get("readinessProbe"), "readinessProbe"),
        liveness=_probe(container.get("livenessProbe"), "livenessProbe"),
        startup=_probe(container.get("startupProbe"), "startupProbe"),
        env=_env(container, notes), notes=notes,
    )


def read_submitted(grading_session) -> Manifests:
    return parse(grading_session.submitted_file(DEPLOYMENT_PATH, limit=hd.MANIFEST_LIMIT),
                 grading_session.submitted_file(HPA_PATH, limit=hd.MANIFEST_LIMIT))


def read_folder(root) -> Manifests:
    """Manifests from a trusted folder (the published starter), for the "before" figures."""
    def text(rel: str) -> str | None:
        path = root / rel
        return path.read_text() if path.is_file() else None

    return parse(text(DEPLOYMENT_PATH), text(HPA_PATH))


def manifests_or_fail(submitted) -> Manifests:
    """The `submitted` fixture's value, or the reason the manifests could not be read (a failed check)."""
    if isinstance(submitted, OutputError):
        raise submitted
    return submitted
