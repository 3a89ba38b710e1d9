"""Worker pools (opdc_cli.workers): workers never outlive the command that started them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time

PARENT = textwrap.dedent(
    """
    import os, sys, time
    from opdc_cli.workers import process_pool

    def pid(_: int) -> int:
        time.sleep(0.2)
        return os.getpid()

    pool = process_pool(2)
    pids = set(pool.map(pid, range(4)))
    print(" ".join(map(str, sorted(pids))), flush=True)
    time.sleep(120)
    """
)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            # A zombie has ended: only its parent has not collected it yet.
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_end_when_their_parent_is_killed() -> None:
    """An export killed with SIGKILL cannot stop its pool: workers left waiting for
    work would hold its lock for ever, and the next export would wait behind them."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert workers and all(alive(pid) for pid in workers)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if alive(pid)]
    finally:
        # Whatever is left of the session, should the test fail.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(parent.pid, signal.SIGKILL)
