"""Process pools: one rule for when to start one and how.

Reading articles, checking them and resizing photos use every core for large
jobs. Starting workers costs about a tenth of a second, so each caller names the
number of items below which the work is done in this process instead; the numbers
differ because the cost of one item does (a photo, an article check, an article read).
"""

from __future__ import annotations

import os
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
    caller loaded already (Pillow, tomli, the site's settings) are there at once."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=initializer, initargs=initargs
    )
