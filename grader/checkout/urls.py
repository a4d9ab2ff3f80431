"""Which submission locations the grader accepts, decided before git ever runs.

Accepted: `https://host/...`, `ssh://[user@]host[:port]/...`, scp-style `user@host:path`,
`git://host/...` (each only for allow-listed hosts), and, for the operator, local paths
and `file://` URLs. Refused outright: anything option-like (`-...`), any
`transport::address` form (`ext::`, `fd::`), control characters, credentials in URLs
logged as given, and unknown schemes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from grader.errors import CheckoutError

DEFAULT_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")
_SCP = re.compile(r"^(?P<user>[A-Za-z0-9._-]+)@(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/].*)$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+$")


@dataclass(frozen=True)
class UrlPolicy:
    """What may be fetched. Hosts are exact names (or IPs); `allow_local` admits paths."""

    hosts: tuple[str, ...] = DEFAULT_HOSTS
    allow_local: bool = True
    allow_http: bool = False  # plain http only for trusted hosts on a closed network


@dataclass(frozen=True)
class Source:
    """A vetted location: `git_url` is what git is given, `display` is safe to log."""

    kind: str  # https | http | ssh | git | file
    git_url: str
    display: str
    host: str | None = None
    protocols: tuple[str, ...] = field(default=())


def _refuse(given: str, why: str) -> CheckoutError:
    shown = given if len(given) < 200 else given[:200] + "..."
    return CheckoutError(f"refusing repository location {shown!r}: {why}")


def vet(location: str, policy: UrlPolicy = UrlPolicy()) -> Source:
    """Validate a submission location; raise `CheckoutError` with one clear line if refused."""
    if not location or location != location.strip():
        raise _refuse(location, "empty or surrounded by whitespace")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in location):
        raise _refuse(location, "contains control characters")
    if location.startswith("-"):
        raise _refuse(location, "looks like a command-line option")
    if "::" in location:
        raise _refuse(location, "transport::address forms such as ext:: are not allowed")

    scp = _SCP.match(location)
    if scp and "://" not in location:
        return _network("ssh", location, scp["host"], location, policy)

    parts = urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme in ("https", "http", "ssh", "git"):
        if scheme == "http" and not policy.allow_http:
            raise _refuse(location, "plain http is not allowed (use https)")
        host = parts.hostname or ""
        display = urlunsplit((scheme, _without_password(parts), parts.path, "", ""))
        if parts.query or parts.fragment:
            raise _refuse(location, "query strings and fragments are not allowed")
        return _network(scheme, location, host, display, policy)
    if scheme == "file":
        return _local(Path(parts.path), location, policy)
    if scheme and len(scheme) > 1:  # a one-letter "scheme" is not one we would get on Linux
        raise _refuse(location, f"unsupported scheme {scheme!r} (use https, ssh, git or a local path)")
    if ":" in location:
        raise _refuse(location, "not a URL, scp-style address or local path")
    return _local(Path(location), location, policy)


def _without_password(parts) -> str:
    if parts.username and parts.password:
        netloc = f"{parts.username}:***@{parts.hostname}"
    else:
        netloc = parts.hostname or ""
        if parts.username:
            netloc = f"{parts.username}@{netloc}"
    if parts.port:
        netloc += f":{parts.port}"
    return netloc


def _network(kind: str, given: str, host: str, display: str, policy: UrlPolicy) -> Source:
    if not host or not _HOST.match(host):
        raise _refuse(given, "no valid host name")
    if host.lower() not in {h.lower() for h in policy.hosts}:
        allowed = ", ".join(policy.hosts) or "none"
        raise _refuse(given, f"host {host!r} is not allowed (allowed: {allowed}; see --allow-host)")
    return Source(kind=kind, git_url=given, display=display, host=host.lower(), protocols=(kind,))


def _local(path: Path, given: str, policy: UrlPolicy) -> Source:
    if not policy.allow_local:
        raise _refuse(given, "local paths are not allowed here")
    resolved = path.expanduser().resolve()
    if not resolved.exists():
        raise CheckoutError(f"repository not found: {given} (no such path)")
    return Source(kind="file", git_url=str(resolved), display=str(resolved), protocols=("file",))
