"""Process pools: one rule for when to start one and how.

Reading articles, checking them and resizing photos use every core for large
jobs. Starting workers costs about a tenth of a second, so each caller names the
number of items below which the work is done in this process instead; the numbers
differ because the cost of one item does (a photo, an article check, an article read).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def worker_count(items: int, jobs: int | None, threshold: int) -> int:
    """How many processes should do `items` pieces of work: 1 (this one) below
    `threshold` items or with one core; else `jobs` (default: every core), at most
    one per item."""
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or items < threshold:
        return 1
    return min(jobs, items)


def process_pool(
    workers: int, initializer: Callable[..., Any] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A pool of `workers` processes, forked where the system can: the modules the
    caller loaded already (Pillow, tomli, the site's settings) are there at once.
    Each worker ends when this process is gone (end_with_parent)."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start,
        initargs=(os.getpid(), initializer, initargs),
    )


def _start(parent: int, initializer: Callable[..., Any] | None, initargs: tuple[Any, ...]) -> None:
    end_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def end_with_parent(parent: int) -> None:
    """End this worker when the process `parent` that started it is gone.

    Killed with SIGKILL, a parent cannot stop its pool: an orphaned worker would wait
    for work for ever, holding what it inherited (an export's lock, a file being
    written), and the next command would wait behind it. `parent` is the pid the
    parent gave: it may be gone before this runs."""
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="opdc-parent-watch", daemon=True).start()
