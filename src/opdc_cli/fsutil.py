"""Writing files so that nothing is ever half-written."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk too.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_temp(path: Path, data: bytes, mode: int, sync: bool = True) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if sync:
                handle.flush()
                os.fsync(handle.fileno())
        # mkstemp creates 0600; give the file the mode an ordinary write would.
        os.chmod(tmp, mode & ~_umask())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes | str, *, mode: int = 0o666, sync: bool = True) -> None:
    """Replace `path` with `data`: readers see the old file or the new one, never a part.

    `sync=False` skips the fsyncs (still atomic for readers and against a killed
    process, not against a power cut) for writers of thousands of files that sync once.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, data, mode, sync)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync:
        _fsync_dir(path.parent)


def create_exclusive(path: Path, data: bytes | str, *, mode: int = 0o666) -> None:
    """Create `path` with `data`, complete, only if nothing is there yet.

    Raises FileExistsError when the name is taken, so two writers racing for the
    same name can never overwrite each other.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path, data, mode)
    try:
        # link() fails if the target exists, and the target appears complete.
        os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _fsync_dir(path.parent)


def write_if_changed(
    path: Path, data: bytes | str, *, mode: int = 0o666, sync: bool = True
) -> bool:
    """Atomically write `data` unless the file already holds exactly it; say if it wrote."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write(path, data, mode=mode, sync=sync)
    return True


def is_stream(path: Path) -> bool:
    """True when `path` (its link followed) is something other than a regular file
    or a folder: a device such as /dev/null or /dev/stdout, a pipe, a socket."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_output(path: Path, data: bytes | str, *, unless_same: bool = False) -> bool:
    """Write a command's output to `path` (`-o`); say if it wrote.

    A file is replaced atomically (with `unless_same`, left alone when it already
    holds `data`). A device or a pipe is written as a stream, opened and written,
    never read first nor renamed over: a rename would put a plain file in place of
    /dev/null, and reading /dev/urandom to compare would never end.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if is_stream(path):
        with open(path, "wb") as stream:
            stream.write(data)
        return True
    if unless_same:
        return write_if_changed(path, data)
    atomic_write(path, data)
    return True
