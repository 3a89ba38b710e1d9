"""What opdc may write, replace and delete in an output folder: only what it can prove
it wrote.

Each file opdc writes is recorded with a fingerprint: the hash of its bytes
(`b2:…`), or for a photo published as a hard link, its size and modification time
(`st:…`). A file is opdc's own while it still matches its fingerprint; anything
else in the folder (a person's file, or one of opdc's that a person changed) is
never replaced or deleted unless the export is forced. Paths read back from the
record are checked before use: relative, no `..`, and no folder on the way that
is a link out of the output folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
from pathlib import Path, PurePosixPath
from typing import Literal

from opdc_cli.fsutil import atomic_write, remove_files, stale_temps

Outcome = Literal["written", "unchanged", "conflict"]


def content_fingerprint(data: bytes) -> str:
    return "b2:" + hashlib.blake2b(data, digest_size=16).hexdigest()


def stat_fingerprint(info: os.stat_result) -> str:
    return f"st:{info.st_size}:{info.st_mtime_ns}"


def safe_relative(path: object) -> bool:
    """Is `path` (read from a file a person could edit) a plain relative path, with no
    `..`, no absolute start, no backslash or NUL?"""
    if not isinstance(path, str) or not path or "\\" in path or "\x00" in path:
        return False
    pure = PurePosixPath(path)
    return not pure.is_absolute() and all(part not in ("", ".", "..") for part in path.split("/"))


class Output:
    """An output folder (resolved) as one export sees it: what it may write and delete.

    Which folders lead out of it is remembered for the export's lifetime only, so a
    link planted between two exports is seen by the second.
    """

    def __init__(self, out: Path, *, force: bool = False) -> None:
        self.out = out
        self.force = force
        self._folders: dict[str, bool] = {}

    def inside(self, path: str) -> bool:
        """Does `path` (relative) name a place inside the folder, with no link out on
        the way?"""
        if not safe_relative(path):
            return False
        folder = path.rpartition("/")[0]
        found = self._folders.get(folder)
        if found is None:
            try:
                found = (self.out / folder).resolve().is_relative_to(self.out)
            except (OSError, RuntimeError):
                found = False
            self._folders[folder] = found
        return found

    def recognised(self, path: str, fingerprint: object) -> bool:
        """Is the file at `path` still exactly what opdc recorded writing there?"""
        if not isinstance(fingerprint, str) or not self.inside(path):
            return False
        target = self.out / path
        try:
            info = os.lstat(target)
            if not stat.S_ISREG(info.st_mode):
                return False
            if fingerprint.startswith("st:"):
                return stat_fingerprint(info) == fingerprint
            return content_fingerprint(target.read_bytes()) == fingerprint
        except OSError:
            return False

    def put(
        self, path: str, data: bytes, recorded: str | None, *, sync: bool
    ) -> tuple[Outcome, str]:
        """Write `data` at `path` unless a file opdc cannot prove it wrote is there.

        Returns what happened and the fingerprint of `data`. A file holding exactly
        `data` is left as it is ("unchanged"); one matching `recorded` is replaced
        atomically; anything else is a "conflict", left alone unless forced.
        """
        fingerprint = content_fingerprint(data)
        if not self.inside(path):
            return "conflict", fingerprint
        target = self.out / path
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            info = None
        if info is not None:
            if not stat.S_ISREG(info.st_mode):
                return "conflict", fingerprint
            have = target.read_bytes()
            if have == data:
                return "unchanged", fingerprint
            if not self.force and content_fingerprint(have) != recorded:
                return "conflict", fingerprint
        atomic_write(target, data, sync=sync)
        return "written", fingerprint

    def link(self, path: str, source: Path, recorded: str | None) -> tuple[Outcome, str]:
        """Publish the file `source` at `path` as a hard link (or a copy keeping its
        time), under the same rule as put(); the outcome and the fingerprint.

        A new name is linked in one step (a link appears complete); a file opdc
        published before is replaced through a temporary name, so a reader never
        sees half a photo.
        """
        want = os.stat(source)
        fingerprint = stat_fingerprint(want)
        if not self.inside(path):
            return "conflict", fingerprint
        target = self.out / path
        try:
            have = os.lstat(target)
        except FileNotFoundError:
            have = None
        if have is None:
            target.parent.mkdir(parents=True, exist_ok=True)
            # No links on this file system (or the name appeared meanwhile): copy below.
            with contextlib.suppress(OSError):
                os.link(source, target)
                return "written", fingerprint
        elif not stat.S_ISREG(have.st_mode):
            return "conflict", fingerprint
        elif (have.st_ino, have.st_dev) == (want.st_ino, want.st_dev) or (
            stat_fingerprint(have) == fingerprint
        ):
            return "unchanged", fingerprint
        elif not self.force and stat_fingerprint(have) != recorded:
            return "conflict", fingerprint
        # fsutil's temporary name, so that a killed export's is recognised and swept.
        temp = target.with_name(f".{target.name}.opdc-{os.getpid()}.link.tmp")
        temp.unlink(missing_ok=True)
        try:
            try:
                os.link(source, temp)
            except OSError:
                shutil.copy2(source, temp)  # keeps the time: the fingerprint still holds
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return "written", stat_fingerprint(os.lstat(target))

    def remove(self, path: str, fingerprint: object) -> bool:
        """Delete the file at `path` if it is still what opdc wrote there; say if it did."""
        if not self.recognised(path, fingerprint):
            return False
        target = self.out / path
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        prune(self.out, target.parent)
        return True


def prune(out: Path, folder: Path) -> None:
    """Remove `folder` and its parents up to `out` while they are empty."""
    while folder != out and folder.is_relative_to(out):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def sweep_temporaries(out: Path) -> list[str]:
    """Delete the temporary files killed opdc writers left in `out` (fsutil.stale_temps)."""
    removed = []
    for folder, dirs, _files in os.walk(out):
        here = Path(folder)
        # Never walk through a link: what is behind it is not the output folder's.
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
        removed += [p.relative_to(out).as_posix() for p in remove_files(stale_temps(here))]
    return sorted(removed)
