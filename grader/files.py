"""Walking, copying and deleting trees that candidate code may have written.

Such a tree can be thousands of folders deep (deeper than PATH_MAX, deeper than Python's
recursion limit), hold millions of entries, symlinks to host files, FIFOs and devices,
folders without permissions. So everything here is iterative, works through directory
file descriptors (never through long paths), is bounded in depth, entries and bytes, and
never follows a symlink:

- `remove_tree` deletes and cannot fail: it flattens the tree as it goes (every folder is
  moved up next to the root before it is emptied), so it needs two descriptors whatever
  the depth; what it could not delete is returned, not raised.
- `usage` adds up allocated bytes; past its bounds it raises `Unmeasurable`, which the disk
  watchdog turns into a stopped step, never into silence.
- `copy_out` copies regular files only, bounded, and lists what it skipped and why.
- `makedirs` is an iterative `mkdir -p`.
"""

from __future__ import annotations

import itertools
import os
import stat
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Unmeasurable(Exception):
    """A tree could not be measured within the bounds (too deep, too many entries, too slow)."""


def makedirs(path: Path) -> None:
    """`mkdir -p` without recursion (pathlib's is recursive)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            pass


def remove_tree(path: Path) -> list[str]:
    """Delete `path` (a folder, a file or a link) and everything under it; never raises.

    Returns a line per entry that could not be removed (empty when all went).
    """
    problems: list[str] = []
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return problems
    except OSError as exc:
        return [f"{path}: {exc.strerror}"]
    if not stat.S_ISDIR(info.st_mode):
        try:
            os.unlink(path)
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror}")
        return problems
    try:
        top = os.open(path.parent, _DIR_FLAGS)
    except OSError as exc:
        return [f"{path.parent}: {exc.strerror}"]
    tag = f".grader-rm-{uuid.uuid4().hex[:8]}"
    counter = itertools.count()
    pending = [path.name]
    try:
        while pending:
            name = pending.pop()
            _empty_folder(top, name, tag, counter, pending, problems)
            try:
                os.rmdir(name, dir_fd=top)
            except FileNotFoundError:
                pass
            except OSError as exc:
                problems.append(f"{name}: {exc.strerror}")
    finally:
        os.close(top)
    return problems[:100]


def _empty_folder(top: int, name: str, tag: str, counter, pending: list[str], problems: list[str]) -> None:
    """Move `name`'s sub-folders up next to it (queued in `pending`) and delete its other entries."""
    try:
        os.chmod(name, 0o700, dir_fd=top, follow_symlinks=False)
    except (OSError, NotImplementedError):
        pass
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=top)
    except FileNotFoundError:
        return
    except OSError as exc:
        problems.append(f"{name}: {exc.strerror}")
        return
    try:
        while True:  # entries are moved or deleted as we go, so scan until a pass finds nothing
            with os.scandir(fd) as entries:
                batch = list(itertools.islice(entries, 10_000))
            if not batch:
                return
            progress = False
            for entry in batch:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        moved = f"{tag}-{next(counter)}"
                        os.rename(entry.name, moved, src_dir_fd=fd, dst_dir_fd=top)
                        pending.append(moved)
                    else:
                        os.unlink(entry.name, dir_fd=fd)
                    progress = True
                except FileNotFoundError:
                    progress = True
                except OSError as exc:
                    problems.append(f"{name}/{entry.name}: {exc.strerror}")
            if not progress:
                return
    finally:
        os.close(fd)


def usage(roots: list[Path], max_entries: int = 200_000, max_depth: int = 256, max_seconds: float = 10.0) -> int:
    """Allocated bytes under `roots` (sparse files count what they use); raises Unmeasurable."""
    total = 0
    seen = 0
    started = time.monotonic()
    for root in roots:
        try:
            fd = os.open(root, _DIR_FLAGS)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise Unmeasurable(f"{root.name} cannot be read ({exc.strerror})") from None
        stack = [(fd, 0)]
        try:
            while stack:
                fd, depth = stack.pop()
                try:
                    with os.scandir(fd) as entries:
                        for entry in entries:
                            seen += 1
                            if seen > max_entries:
                                raise Unmeasurable(f"more than {max_entries} files")
                            if seen % 1000 == 0 and time.monotonic() - started > max_seconds:
                                raise Unmeasurable(f"counting took over {max_seconds:g} s")
                            try:
                                info = entry.stat(follow_symlinks=False)
                            except OSError:
                                continue
                            total += info.st_blocks * 512
                            if stat.S_ISDIR(info.st_mode):
                                if depth + 1 > max_depth:
                                    raise Unmeasurable(f"folders more than {max_depth} deep")
                                try:
                                    stack.append((os.open(entry.name, _DIR_FLAGS, dir_fd=fd), depth + 1))
                                except OSError:
                                    continue
                finally:
                    os.close(fd)
        finally:
            for fd, _ in stack:
                os.close(fd)
    return total


@dataclass(frozen=True)
class CopyLimits:
    """What may come out of a sandbox step's output folder."""

    max_files: int = 1000
    max_bytes: int = 256 * 1024 * 1024
    max_depth: int = 16


@dataclass
class Copied:
    files: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)

    def skip(self, what: str) -> None:
        if len(self.skipped) < 50:
            self.skipped.append(what)
        elif len(self.skipped) == 50:
            self.skipped.append("... (more skipped)")


def copy_out(source: Path, dest: Path, limits: CopyLimits = CopyLimits()) -> Copied:
    """Copy the regular files under `source` into `dest` (which must exist): no links, no
    devices, FIFOs or sockets, bounded in depth, count and bytes. Never raises for what it finds."""
    done = Copied()
    try:
        root = os.open(source, _DIR_FLAGS)
    except OSError as exc:
        done.skip(f"output folder cannot be read ({exc.strerror})")
        return done
    stack: list[tuple[int, PurePosixPath]] = [(root, PurePosixPath())]
    try:
        while stack:
            fd, rel = stack.pop()
            try:
                with os.scandir(fd) as entries:
                    batch = list(itertools.islice(entries, limits.max_files * 2 + 1))
                for entry in sorted(batch, key=lambda e: e.name):
                    _copy_entry(fd, rel, entry, dest, limits, done, stack)
            finally:
                os.close(fd)
    finally:
        for fd, _ in stack:
            os.close(fd)
    return done


def _copy_entry(fd: int, rel: PurePosixPath, entry: os.DirEntry, dest: Path, limits: CopyLimits, done: Copied,
                stack: list) -> None:
    path = rel / entry.name
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return
    if stat.S_ISDIR(info.st_mode):
        if len(path.parts) >= limits.max_depth:
            done.skip(f"{path}: more than {limits.max_depth} folders deep")
            return
        try:
            stack.append((os.open(entry.name, _DIR_FLAGS, dir_fd=fd), path))
        except OSError as exc:
            done.skip(f"{path}: {exc.strerror}")
        return
    if not stat.S_ISREG(info.st_mode):
        kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        done.skip(f"{path}: {kind}")
        return
    if done.files >= limits.max_files:
        done.skip(f"{path}: more than {limits.max_files} files")
        return
    if done.bytes + info.st_size > limits.max_bytes:
        done.skip(f"{path}: output limit ({limits.max_bytes} bytes) reached")
        return
    try:
        src = os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=fd)
    except OSError as exc:
        done.skip(f"{path}: {exc.strerror}")
        return
    try:
        if not stat.S_ISREG(os.fstat(src).st_mode):  # swapped between the look and the open
            done.skip(f"{path}: not a regular file")
            return
        target = dest.joinpath(*path.parts)
        makedirs(target.parent)
        remaining = info.st_size  # the step's processes are gone: the file cannot grow under us
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644), "wb") as out:
            while remaining > 0 and (block := os.read(src, min(remaining, 1024 * 1024))):
                out.write(block)
                remaining -= len(block)
        done.files += 1
        done.bytes += info.st_size - remaining
    finally:
        os.close(src)


def copy_tree(source: Path, dest: Path) -> None:
    """Copy a trusted, already bounded tree (an exported submission) without recursion."""
    makedirs(dest)
    for root, dirs, files in os.walk(source):
        rel = Path(root).relative_to(source)
        for name in dirs:
            (dest / rel / name).mkdir(exist_ok=True)
        for name in files:
            src = Path(root) / name
            if src.is_symlink():
                continue
            target = dest / rel / name
            target.write_bytes(src.read_bytes())
            target.chmod(src.stat().st_mode & 0o777)
