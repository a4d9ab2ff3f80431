"""Tar archives of folders that cross a boundary: into and out of a sandbox, worker to client.

One set of rules for every crossing: only regular files and folders travel (symlinks,
devices, fifos and sockets are dropped and named), no absolute or `..` path is ever
written, and both sides are bounded in bytes and in files. `pack` builds an archive of a
folder under one top-level name; `unpack` writes an archive's members below `dest`,
without that top-level name, and never follows or overwrites anything already there.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Iterable

from grader.files import Copied, makedirs

#: Unbounded unless a caller says otherwise (the sandbox's own inputs are bounded upstream).
NO_LIMIT = 1 << 62


def add_folder(tar: tarfile.TarFile, folder: Path | None, arcname: str, writable: bool, mode: int | None = None,
               max_bytes: int = NO_LIMIT, max_files: int = NO_LIMIT) -> list[str]:
    """Add `folder` (or an empty folder if None) to `tar` as `arcname`, owned by root; files past
    `max_bytes` or `max_files` are left out. Returns what was left out."""
    skipped: list[str] = []
    file_mode, dir_mode = (0o666, 0o777) if writable else (0o444, 0o555)
    info = tarfile.TarInfo(arcname)
    info.type, info.mode = tarfile.DIRTYPE, mode if mode is not None else dir_mode
    tar.addfile(info)
    if folder is None:
        return skipped
    total = files = 0
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        rel = Path(root).relative_to(folder)
        if str(rel) != ".":
            info = tarfile.TarInfo(str(PurePosixPath(arcname) / rel.as_posix()))
            info.type, info.mode = tarfile.DIRTYPE, dir_mode
            tar.addfile(info)
        for name in sorted(names):
            path = Path(root) / name
            shown = (rel / name).as_posix()
            st = path.lstat()
            if not stat.S_ISREG(st.st_mode):
                skipped.append(f"{shown}: not a regular file")
                continue
            if total + st.st_size > max_bytes or files + 1 > max_files:
                skipped.append(f"{shown}: archive limit reached")
                continue
            info = tarfile.TarInfo(str(PurePosixPath(arcname) / shown))
            info.size = st.st_size
            info.mode = file_mode | (0o111 if st.st_mode & 0o100 else 0)
            with open(path, "rb") as f:
                tar.addfile(info, f)
            total, files = total + st.st_size, files + 1
    return skipped


def pack(folder: Path, arcname: str, writable: bool = False, max_bytes: int = NO_LIMIT,
         max_files: int = NO_LIMIT) -> tuple[bytes, list[str]]:
    """A tar of `folder` as `arcname`: regular files and folders only, owned by root.

    `writable` makes everything writable for the sandbox user; otherwise read-only. Files
    past `max_bytes` or `max_files` are left out; returns the archive and what was left out.
    Files of a folder come before its subfolders, so top-level files are packed first.
    """
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        skipped = add_folder(tar, folder, arcname, writable, max_bytes=max_bytes, max_files=max_files)
    return buf.getvalue(), skipped


def unpack(chunks: Iterable[bytes], dest: Path, limit: int, max_files: int = NO_LIMIT, max_depth: int = 32) -> list[str]:
    """Write an archive's regular files below `dest`, dropping its top-level name; bounded in
    bytes, files and depth (the rules of files.copy_out). Returns what was skipped (links,
    devices, unsafe paths, past the limits; at most about 50 lines), for the log. An archive
    larger than `limit` (plus room for headers) is not read at all."""
    done = Copied()
    with tempfile.TemporaryFile() as spool:
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if size > limit + 1024 * 1024:  # room for the headers
                return [f"archive larger than {limit} bytes: not read"]
            spool.write(chunk)
        spool.seek(0)
        with tarfile.open(fileobj=spool, mode="r|") as tar:
            for member in tar:
                parts = PurePosixPath(member.name).parts[1:]  # drop the top-level name
                shown = "/".join(parts)[:200]
                if not parts:
                    continue
                if any(p in ("..", "") for p in parts) or PurePosixPath(member.name).is_absolute():
                    done.skip(f"unsafe path {member.name[:200]!r}")
                    continue
                if member.isdir():
                    if len(parts) == max_depth + 1:  # once per deep branch
                        done.skip(f"{shown}: more than {max_depth} folders deep")
                    continue
                if not member.isfile():
                    done.skip(f"{shown}: {'a symlink' if member.issym() else 'not a regular file'}")
                    continue
                if len(parts) > max_depth:
                    continue  # its folder was noted
                if done.files >= max_files or done.bytes + member.size > limit:
                    done.skip(f"{shown}: archive limit reached")
                    continue
                target = dest.joinpath(*parts)
                try:
                    makedirs(target.parent)
                    source = tar.extractfile(member)
                    with open(target, "xb") as out:
                        while block := source.read(1024 * 1024):
                            out.write(block)
                except OSError as exc:
                    done.skip(f"{shown}: {exc.strerror}")
                    continue
                done.files += 1
                done.bytes += member.size
    return done.skipped
