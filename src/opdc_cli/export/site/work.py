"""The work on one article, in a worker process or in this one: ask the gate, render
its pages, write them and its photos."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from opdc_cli import thai
from opdc_cli.errors import OpdcError
from opdc_cli.export.site.plan import Entry
from opdc_cli.export.site.render import CardData, Job, Renderer
from opdc_cli.export.site.write import Progress, article_files, originals_of
from opdc_cli.gallery import gallery
from opdc_cli.model import Article
from opdc_cli.publish import not_published
from opdc_cli.wordstore import Found
from opdc_cli.workers import end_with_parent
from opdc_cli.workflow import withdrawn_at

# Below this many articles to render, starting worker processes costs more than it saves.
POOL_THRESHOLD = 200

# An article to build, and the fingerprints of what an earlier export wrote for it.
Task = tuple[Article, dict[str, str]]
# OpdcError's parts: an exception with extra fields does not survive pickling whole.
ErrorParts = tuple[str, str | None, int | None, int | None, str | None]


@dataclass
class Result:
    id: int
    entry: Entry | None = None
    written: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cards: dict[str, CardData] | None = None
    problem: ErrorParts | None = None
    fatal: bool = False  # a template error: the export stops
    # From a worker: the Thai words new to the site's word store.
    words: Found = field(default_factory=lambda: ({}, []))


def _as_parts(exc: OpdcError) -> ErrorParts:
    return (exc.message, str(exc.path) if exc.path else None, exc.line, exc.col, exc.code)


def build(renderer: Renderer, article: Article, recorded: dict[str, str]) -> Result:
    """Ask the gate about one article and write what it publishes of it."""
    job = renderer.job
    result = Result(article.id)
    verdict = renderer.gate.verdict(article)
    if verdict.problem is not None:
        result.problem = _as_parts(not_published(verdict.problem))
        return result
    entry: dict[str, Any] = {
        "id": article.id,
        "ts": article.date.timestamp(),
        # Workflow: the expiry, after which the entry is no longer live (plan.shown).
        "until": article.expires.timestamp() if article.expires is not None else None,
        "status": article.status,
        "category": article.category,
        "cards": {},
        "held": list(verdict.held),
        "files": {},
    }
    result.entry = entry
    result.cards = {}
    if not verdict.published:
        # Workflow: an expired or unpublished article leaves a "withdrawn" page.
        when = withdrawn_at(article, job.now)
        if when is not None:
            entry["withdrawn"] = True
            done = article_files(
                renderer, article.id, renderer.withdrawn(article, when), [], set(), recorded
            )
            entry["files"] = done.files
            result.written, result.conflicts = done.written, done.conflicts
        return result
    items = gallery(job.media_dir, verdict.article)
    result.cards = renderer.cards(verdict.article, items)
    entry["cards"] = {lang: card["hash"] for lang, card in result.cards.items()}
    try:
        pages, media = renderer.article(verdict.article, items, result.warnings)
    except OpdcError as exc:
        result.problem = _as_parts(exc)
        result.fatal = True
        return result
    originals = originals_of(items, job.with_originals)
    done = article_files(renderer, article.id, pages, media, originals, recorded)
    entry["files"] = done.files
    result.written, result.conflicts = done.written, done.conflicts
    return result


_WORKER: Renderer | None = None


def _init_worker(job: Job, parent: int) -> None:
    global _WORKER
    # Ctrl-C reaches the whole process group: only the main process handles it (the
    # pool is then stopped), so workers print no tracebacks.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = Renderer(job)
    end_with_parent(parent)


def _work(task: Task) -> Result:
    assert _WORKER is not None
    result = build(_WORKER, *task)
    # The Thai words new to the word store go back with the result: the main process
    # writes them all (one writer; a worker ends without running exit handlers).
    result.words = thai.take_words()
    return result


def run(
    job: Job,
    renderer: Renderer,
    batches: Iterable[list[Task]],
    total: int,
    jobs: int | None,
    progress: Progress | None,
) -> Iterator[Result]:
    """Build the tasks' articles, over a pool of processes when there are many."""
    if progress:
        progress("articles", 0, total)
    jobs = jobs or os.cpu_count() or 1
    done = 0
    if jobs > 1 and total >= POOL_THRESHOLD and hasattr(os, "fork"):
        # fork: the workers start from this process's memory, nothing to re-import.
        import multiprocessing

        context = multiprocessing.get_context("fork")
        with context.Pool(jobs, initializer=_init_worker, initargs=(job, os.getpid())) as pool:
            for batch in batches:
                for result in pool.imap_unordered(_work, batch, chunksize=16):
                    thai.give_words(result.words)
                    done += 1
                    if progress:
                        progress("articles", done, total)
                    yield result
        return
    for batch in batches:
        for task in batch:
            result = build(renderer, *task)
            done += 1
            if progress:
                progress("articles", done, total)
            yield result
