"""Writing files so that nothing is ever half-written, and nothing is left behind.

Every temporary file opdc writes is named `.<name>.opdc-<pid>.<random>.tmp`, beside
the file it becomes: hidden, so no reader takes it for content, and naming the
process that wrote it, so that a later run can tell a killed writer's leftovers
(`stale_temps`) from the work of one still running.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

TEMP_RE = re.compile(r"^\.(?P<name>.+)\.opdc-(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp\Z", re.ASCII)


def target_of(path: Path) -> Path:
    """The file a temporary file of this module stands for, else `path` itself.

    An error while writing names the temporary file; a person wants the file they
    asked for.
    """
    match = TEMP_RE.fullmatch(path.name)
    return path.with_name(match["name"]) if match else path


def fsync_dir(folder: Path) -> None:
    """Make the renames done in `folder` durable (best effort)."""
    # The rename is durable only once the folder's entry is on disk too.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_temp(path: Path, data: bytes, mode: int = 0o666, sync: bool = True) -> Path:
    """A complete (and with `sync`, fsynced) temporary file beside `path` holding `data`."""
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.opdc-{os.getpid()}.", suffix=".tmp"
    )
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
    tmp = write_temp(path, data, mode, sync)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync:
        fsync_dir(path.parent)


def create_exclusive(path: Path, data: bytes | str, *, mode: int = 0o666) -> None:
    """Create `path` with `data`, complete, only if nothing is there yet.

    Raises FileExistsError when the name is taken, so two writers racing for the
    same name can never overwrite each other.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = write_temp(path, data, mode)
    try:
        # link() fails if the target exists, and the target appears complete.
        os.link(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    fsync_dir(path.parent)


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


# --- leftovers of killed writers ------------------------------------------------------


def _boot_time() -> float | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    return None


def _process_start(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch); None if it is gone or a
    zombie; +inf when it runs but its start cannot be told (then nothing of it is stale)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except (PermissionError, OverflowError, ValueError):
        # Another user's process: alive.
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("inf")
    # The command name, in parentheses, may hold spaces: the fields follow the last ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    boot = _boot_time()
    if fields[0] == "Z":
        return None
    if boot is None:
        return float("inf")
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def is_stale_temp(path: Path) -> bool:
    """True when `path` is an opdc temporary file whose writer is gone: its process no
    longer runs, or was started after the file was written (the pid was reused)."""
    match = TEMP_RE.match(path.name)
    if match is None:
        return False
    try:
        written = path.lstat().st_mtime
    except OSError:
        return False
    started = _process_start(int(match.group("pid")))
    # A second of slack: the start time is counted in clock ticks, file times are not.
    return started is None or written < started - 1.0


def stale_temps(folder: Path) -> list[Path]:
    """The temporary files of killed opdc writers directly in `folder`, sorted."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(folder / name for name in names if is_stale_temp(folder / name))


def remove_files(paths: list[Path]) -> list[Path]:
    """Remove `paths` (those already gone are fine); the ones removed."""
    removed = []
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


@contextlib.contextmanager
def locked(path: Path, *, timeout: float, busy: str) -> Iterator[None]:
    """Hold an exclusive lock on file `path` for the block, waiting up to `timeout`
    seconds for whoever holds it; OSError-free: an OpdcError with `busy` after that."""
    import fcntl

    from opdc_cli.errors import OpdcError

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OpdcError(busy, path) from None
                # Polled, not a blocking flock: a wait that ends in a clear message.
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
