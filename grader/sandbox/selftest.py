"""Runs inside a sandbox: reports which confinement properties hold, as JSON in {out}.

argv: out_dir workspace hidden.json (a JSON list of host paths that must not be visible)
"""
import json
import os
import resource
import socket
import sys
import tempfile

out, workspace = sys.argv[1], sys.argv[2]
with open(sys.argv[3]) as f:
    hidden = json.load(f)
facts = {}

try:
    socket.create_connection(("1.1.1.1", 53), timeout=1).close()
    facts["no_network"] = False
except OSError:
    facts["no_network"] = True
facts["only_loopback"] = set(os.listdir("/sys/class/net")) <= {"lo"} if os.path.isdir("/sys/class/net") else True

try:
    with tempfile.NamedTemporaryFile(dir=sys.prefix):
        facts["python_read_only"] = False
except OSError:
    facts["python_read_only"] = True

try:
    with tempfile.NamedTemporaryFile(dir=workspace):
        facts["workspace_writable"] = True
except OSError:
    facts["workspace_writable"] = False

facts["non_root"] = os.getuid() != 0
facts["hidden_paths_invisible"] = not any(os.path.exists(p) for p in hidden)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


# What a step can learn about where things are on the host: its mounts, environment, cwd.
seen = _read("/proc/self/mountinfo") + _read("/proc/self/environ") + _read("/proc/1/cmdline") + os.getcwd()
facts["host_paths_hidden"] = not any(p in seen for p in hidden if len(p) > 1)
facts["file_size_limited"] = resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY
facts["open_files_limited"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0] != resource.RLIM_INFINITY
facts["own_pid_namespace"] = os.getpid() < 100 and len([p for p in os.listdir("/proc") if p.isdigit()]) < 50

with open(os.path.join(out, "selftest.json"), "w") as f:
    json.dump(facts, f)
