"""Runs inside a sandbox: reports which confinement properties hold, as JSON in {out}.

argv: out_dir workspace [paths that must not be visible...]
"""
import json
import os
import resource
import socket
import sys
import tempfile

out, workspace, hidden = sys.argv[1], sys.argv[2], sys.argv[3:]
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
facts["file_size_limited"] = resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY
facts["open_files_limited"] = resource.getrlimit(resource.RLIMIT_NOFILE)[0] != resource.RLIM_INFINITY
facts["own_pid_namespace"] = os.getpid() < 100 and len([p for p in os.listdir("/proc") if p.isdigit()]) < 50

with open(os.path.join(out, "selftest.json"), "w") as f:
    json.dump(facts, f)
