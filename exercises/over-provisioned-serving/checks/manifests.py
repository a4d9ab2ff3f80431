"""The candidate's Kubernetes manifests, read as data: replicas, resources, probes, cost, and
what a rollout or a node drain leaves serving (rolling-update strategy, PodDisruptionBudgets).

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

K8S_FOLDER = "deploy/k8s"
DEPLOYMENT_PATH = f"{K8S_FOLDER}/deployment.yaml"
HPA_PATH = f"{K8S_FOLDER}/hpa.yaml"
#: What `kubectl apply -f deploy/k8s/` applies (the folder only, not below it), and how many files of it are read.
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MAX_MANIFEST_FILES = 32
DEPLOYMENT_NAME = "credit-risk-api"
CONTAINER_NAME = "api"
MIB = 1024 * 1024

_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
           "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_QUANTITY = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,3})|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_PERCENT = re.compile(r"^(\d{1,6})%$")
_LABEL_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
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
    #: metadata.namespace of the Deployment (None: wherever kubectl applies it).
    namespace: str | None = None
    #: The pod template's labels (what Services and PodDisruptionBudgets select).
    pod_labels: dict = field(default_factory=dict)
    #: spec.strategy as declared, scalars only: type, maxSurge, maxUnavailable (None: not declared).
    strategy: dict = field(default_factory=dict)

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


def int_or_percent(value, total: int, round_up: bool, what: str) -> int:
    """An IntOrString scaled as Kubernetes scales it against `total`: an integer as is, a
    percentage of `total` rounded up or down (`intstr.GetScaledValueFromIntOrPercent`)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 100_000:
            raise OutputError(f"{what}: {value} is not between 0 and 100000")
        return value
    match = _PERCENT.match(value) if isinstance(value, str) else None
    if not match:
        raise OutputError(f"{what}: {str(value)[:20]!r} is neither an integer nor a percentage")
    scaled = int(match.group(1)) * total
    return -(-scaled // 100) if round_up else scaled // 100


def _percent_over_100(value) -> bool:
    match = _PERCENT.match(value) if isinstance(value, str) else None
    return bool(match) and int(match.group(1)) > 100


def _scalar(value):
    """A declared scalar kept for later validation; anything else as a marker that fails it."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**9):
        return value
    if isinstance(value, str):
        return value[:32]
    return f"<{type(value).__name__}>"


def _strategy(raw) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        return {"type": "<not a mapping>"}
    rolling = raw.get("rollingUpdate") if isinstance(raw.get("rollingUpdate"), dict) else {}
    return {"type": _scalar(raw.get("type")), "maxSurge": _scalar(rolling.get("maxSurge")),
            "maxUnavailable": _scalar(rolling.get("maxUnavailable"))}


def _labels(raw) -> dict:
    """Labels as Kubernetes holds them: string keys to string values (at most 64)."""
    if not isinstance(raw, dict):
        return {}
    return {k[:253]: v[:63] for k, v in list(raw.items())[:64] if isinstance(k, str) and isinstance(v, str)}


def cost_problem(manifests: Manifests) -> str | None:
    """What the declared floor gets wrong by the README's rules before anything is measured
    (declarations Kubernetes would refuse, fewer replicas than the platform's minimum, a bill
    over the graded variant's budget), or None."""
    problems = manifests.problems()
    if problems:
        return "; ".join(problems)
    if manifests.effective_replicas < hd.MIN_REPLICAS:
        return f"{manifests.effective_replicas} replica(s): the floor is {hd.MIN_REPLICAS}, to survive the loss of one"
    monthly = manifests.monthly_cost()["monthly"]
    if monthly > hd.BUDGET_PER_MONTH:
        return f"${monthly:,.2f}/month is over the ${hd.BUDGET_PER_MONTH:,.0f} budget"
    return None


def peak_replicas(floor: int) -> int:
    """Replicas that carry the whole peak: all but the one lost replica the floor is sized for
    (the SLO check measures a replica at 1/(N-1) of the peak), and never fewer than one."""
    return max(1, floor - 1)


@candidate_data("the Deployment's rolling-update strategy")
def rollout(manifests: Manifests) -> dict:
    """What a rolling update leaves serving at the replica floor, resolved as the Deployment
    controller does (`ResolveFenceposts`): maxSurge rounds up, maxUnavailable down, both
    default to 25%, and when both come out 0 one replica may be unavailable after all."""
    floor = manifests.effective_replicas
    declared = manifests.strategy
    kind = declared.get("type") or "RollingUpdate"
    surge, unavailable = declared.get("maxSurge"), declared.get("maxUnavailable")
    out = {"type": kind, "maxSurge": surge if surge is not None else "25% (default)",
           "maxUnavailable": unavailable if unavailable is not None else "25% (default)", "replica_floor": floor,
           "problem": None}
    if kind == "Recreate":
        out.update(serving_during_rollout=0, problem="the Deployment's strategy is Recreate: a rollout stops every "
                                                       "replica before it starts new ones")
        return out
    if kind != "RollingUpdate":
        out["problem"] = f"the Deployment's strategy type {str(kind)[:32]!r} is neither RollingUpdate nor Recreate"
        return out
    surge = "25%" if surge is None else surge
    unavailable = "25%" if unavailable is None else unavailable
    try:
        if _percent_over_100(unavailable):
            raise OutputError(f"maxUnavailable {unavailable!r} is over 100%")
        surge_n = int_or_percent(surge, floor, True, "maxSurge")
        unavailable_n = int_or_percent(unavailable, floor, False, "maxUnavailable")
        if int_or_percent(surge, 100, True, "maxSurge") == 0 and int_or_percent(unavailable, 100, False,
                                                                                 "maxUnavailable") == 0:
            raise OutputError("maxSurge and maxUnavailable are both 0: Kubernetes rejects the Deployment")
    except OutputError as exc:
        out["problem"] = f"the rolling update cannot be resolved: {exc}"
        return out
    if surge_n == 0 and unavailable_n == 0:
        unavailable_n = 1  # as the controller does: a rollout must make progress
    out.update(surge_at_floor=surge_n, unavailable_at_floor=unavailable_n,
               serving_during_rollout=max(0, floor - unavailable_n))
    return out


def _selector_matches(selector, labels: dict) -> tuple[bool, str | None]:
    """Whether a policy/v1 label selector selects pods with `labels`; the reason if it does not
    or is invalid. A null selector selects nothing, an empty one every pod of the namespace."""
    if selector is None:
        return False, "it has no spec.selector (in policy/v1 a null selector selects no pod)"
    if not isinstance(selector, dict):
        return False, "its spec.selector is not a mapping"
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list) or len(match_labels) > 64 \
            or len(expressions) > 64:
        return False, "its spec.selector is malformed"
    for key, value in list(match_labels.items())[:64]:
        if not isinstance(key, str) or not isinstance(value, str):
            return False, f"its matchLabels {_scalar(key)}: {_scalar(value)} is not a string label"
        if labels.get(key) != value:
            return False, f"its matchLabels {key[:40]}={value[:40]} does not match the api pods"
    for expression in expressions:
        if not isinstance(expression, dict) or not isinstance(expression.get("key"), str) \
                or expression.get("operator") not in _LABEL_OPERATORS:
            return False, "its matchExpressions has an entry without a key or with an unknown operator"
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values) \
                or (operator in ("In", "NotIn")) != bool(values):
            return False, f"its matchExpressions on {key[:40]!r} has invalid values for {operator}"
        present = key in labels
        if not {"In": present and labels.get(key) in values, "NotIn": not present or labels[key] not in values,
                "Exists": present, "DoesNotExist": not present}[operator]:
            return False, f"its matchExpressions {key[:40]} {operator} does not match the api pods"
    return True, None


def _budget(doc: dict, where: str, manifests: Manifests) -> dict:
    """One PodDisruptionBudget: whether it selects the api pods, and what it keeps at the floor."""
    floor = manifests.effective_replicas
    name = _get(doc, "metadata", "name")
    namespace = _get(doc, "metadata", "namespace")
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    min_available, max_unavailable = _scalar(spec.get("minAvailable")), _scalar(spec.get("maxUnavailable"))
    out = {"name": name[:63] if isinstance(name, str) else None, "file": where, "apiVersion": _scalar(doc.get("apiVersion")),
           "minAvailable": min_available, "maxUnavailable": max_unavailable, "selects_api_pods": False, "problem": None}
    if doc.get("apiVersion") != "policy/v1":
        out["problem"] = (f"apiVersion {out['apiVersion']!r}: PodDisruptionBudget is served as policy/v1 "
                          f"(policy/v1beta1 was removed in Kubernetes 1.25)")
        return out
    if (namespace[:63] if isinstance(namespace, str) else None) != manifests.namespace:
        out["problem"] = f"it is in namespace {_scalar(namespace)!r}, the Deployment in {manifests.namespace!r}"
        return out
    matches, why = _selector_matches(spec.get("selector"), manifests.pod_labels)
    out["selects_api_pods"] = matches
    if not matches:
        out["problem"] = why
        return out
    try:
        if min_available is not None and max_unavailable is not None:
            raise OutputError("minAvailable and maxUnavailable are both set: Kubernetes rejects it")
        if _percent_over_100(min_available) or _percent_over_100(max_unavailable):
            raise OutputError("a percentage over 100%")
        if max_unavailable is not None:  # both round up, as the disruption controller does
            keeps = max(0, floor - int_or_percent(max_unavailable, floor, True, "maxUnavailable"))
        elif min_available is not None:
            keeps = int_or_percent(min_available, floor, True, "minAvailable")
        else:
            keeps = 0
    except OutputError as exc:
        out["problem"] = f"it cannot be resolved: {exc}"
        return out
    out.update(keeps_at_floor=keeps, evictions_allowed_at_floor=max(0, floor - keeps))
    return out


@candidate_data("the PodDisruptionBudgets")
def disruption_budgets(files: dict, manifests: Manifests) -> tuple[list[dict], list[str]]:
    """Every PodDisruptionBudget in the manifest folder's files (name -> text, or the
    OutputError that kept it from being read), judged against the api pods; and notes."""
    budgets, notes = [], []
    for name, text in list(files.items())[:MAX_MANIFEST_FILES]:
        if isinstance(text, OutputError):
            notes.append(f"{name} skipped: {str(text)[:160]}")
            continue
        try:
            docs = _documents(text, f"{K8S_FOLDER}/{name}")
        except OutputError as exc:
            notes.append(f"{name} skipped (kubectl apply would fail on it): {str(exc)[:160]}")
            continue
        for doc in docs:
            if doc.get("kind") == "PodDisruptionBudget" and len(budgets) < 16:
                budgets.append(_budget(doc, name, manifests))
    return budgets, notes


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
    namespace = _get(deployment, "metadata", "namespace")
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
        namespace=namespace[:63] if isinstance(namespace, str) else None,
        pod_labels=_labels(_get(deployment, "spec", "template", "metadata", "labels")),
        strategy=_strategy(_get(deployment, "spec", "strategy")),
    )


def read_submitted(grading_session) -> Manifests:
    return parse(grading_session.submitted_file(DEPLOYMENT_PATH, limit=hd.MANIFEST_LIMIT),
                 grading_session.submitted_file(HPA_PATH, limit=hd.MANIFEST_LIMIT))


def read_manifest_folder(grading_session) -> dict:
    """The files `kubectl apply -f deploy/k8s/` would apply, as committed: name -> text, or the
    OutputError that kept one from being read (too big, not a regular file)."""
    names = grading_session.submitted_names(K8S_FOLDER, limit=4 * MAX_MANIFEST_FILES) or []
    files = {}
    for name in [n for n in names if n.endswith(MANIFEST_SUFFIXES)][:MAX_MANIFEST_FILES]:
        try:
            files[name] = grading_session.submitted_file(f"{K8S_FOLDER}/{name}", limit=hd.MANIFEST_LIMIT)
        except OutputError as exc:
            files[name] = exc
    return {k: v for k, v in files.items() if v is not None}


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
