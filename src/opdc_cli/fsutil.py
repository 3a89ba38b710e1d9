"""Writing files so that nothing is ever half-written."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

# The temporary names _write_temp gives: ".<target name>.<random>.tmp" beside the target.
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.[^.]+\.tmp", re.DOTALL)


def target_of(path: Path) -> Path:
    """The file a temporary file of this module stands for, else `path` itself.

    An error while writing names the temporary file; a person wants the file they
    asked for.
    """
    match = _TEMP_NAME.fullmatch(path.name)
    return path.with_name(match["name"]) if match else path


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
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename is None:
            # A full disk fails in write() or fsync(), which name no file: name it.
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
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
