"""One export, step by step: plan, render and write the articles, the index pages,
the style sheet and feeds, remove what is no longer written, record it all."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from opdc_cli import __version__, thai
from opdc_cli.checks import package_stamp
from opdc_cli.content import Site
from opdc_cli.errors import OpdcError, UsageError
from opdc_cli.export import meta, sitemap
from opdc_cli.export.owned import sweep_temporaries
from opdc_cli.export.site import extras, work, write
from opdc_cli.export.site import manifest as state
from opdc_cli.export.site import plan as planning
from opdc_cli.export.site.plan import Entry, Listing, Live, Plan
from opdc_cli.export.site.render import (
    PACKAGE_TEMPLATES,
    CardData,
    Job,
    Renderer,
    digest,
    style,
)
from opdc_cli.export.site.write import ExportReport, Progress, Written
from opdc_cli.fsutil import write_if_changed
from opdc_cli.gallery import gallery
from opdc_cli.site import SITE_FILE, SiteConfig

STYLE_PATH = "static/style.css"


def code_stamp() -> str:
    """What turns articles into pages: every module of opdc (checks.package_stamp)."""
    return package_stamp()


def global_key(
    config: SiteConfig,
    templates: Path,
    with_originals: bool,
    drafts: bool = False,
    share_image: meta.ShareImage | None = None,
) -> str:
    """A hash of everything every page depends on: opdc's code, templates, style,
    site.toml, the default share image's place and pixels, options."""
    parts: list[object] = [__version__, code_stamp(), with_originals, *(["drafts"] * drafts)]
    parts.append(share_image and [share_image.path, share_image.width, share_image.height])
    for folder in (PACKAGE_TEMPLATES, templates):
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                parts.append([str(path.relative_to(folder)), path.read_bytes().hex()])
    parts.append(style(templates).hex())
    parts.append(config.path.read_bytes().hex())
    return digest(*parts)


@dataclass
class _Run:
    """One export's site, output folder, state folder and what it knows so far."""

    site: Site
    out: Path
    state: Path
    manifest: dict[str, Any]
    report: ExportReport
    clean: bool
    now: datetime
    key: str
    job: Job
    listing: Listing
    renderer: Renderer = field(init=False)
    entries: dict[str, Entry] = field(default_factory=dict)
    # The bytes of the default share image (Job.share_image says where they go).
    share_image: bytes = b""
    fresh: dict[int, dict[str, CardData]] = field(default_factory=dict)

    @property
    def same_build(self) -> bool:
        return bool(self.manifest.get("global") == self.key)

    @property
    def before(self) -> dict[str, Entry]:
        found: dict[str, Entry] = self.manifest.get("articles", {})
        return found


def _articles(run: _Run, jobs: int | None, progress: Progress | None) -> None:
    """Render and write the articles whose files, media or time changed."""
    site, report = run.site, run.report
    found: Plan = planning.plan_articles(
        site,
        run.before if run.same_build else {},
        run.listing,
        run.now.timestamp(),
        run.job.drafts,
    )
    run.entries = found.entries
    report.reread = len(found.todo)
    job = run.job = replace(run.job, sync_each=len(found.todo) < work.POOL_THRESHOLD)
    run.renderer = Renderer(job)
    batches = (
        [(article, run.before.get(str(article.id), {}).get("files", {})) for article in batch]
        for batch in planning.read_articles(site, found.todo, run.now)
    )
    for result in work.run(job, run.renderer, batches, len(found.todo), jobs, progress):
        _take(run, result)
    # Asked for and not read: unreadable (site.problems says why) or gone meanwhile.
    for article_id in found.todo:
        entry = run.entries.get(str(article_id))
        if entry is not None and "id" not in entry:
            del run.entries[str(article_id)]
    # What could not be read first, then what the gate stopped.
    report.problems[:0] = site.problems if found.todo else found.problems


def _take(run: _Run, result: work.Result) -> None:
    """One article's result into the run: its entry, index entries and report."""
    report = run.report
    slot = str(result.id)
    report.written.extend(result.written)
    report.conflicts.extend(result.conflicts)
    report.warnings.extend(result.warnings)
    if result.problem is not None:
        error = OpdcError(*result.problem)
        if result.fatal:
            raise error
        # Not published now: what an earlier export wrote of it goes (below), and
        # it is read again next time.
        report.problems.append(error)
        del run.entries[slot]
        return
    assert result.entry is not None and result.cards is not None
    # A file it could not write is tried again next time: the entry is not reused.
    result.entry["stamp"] = None if result.conflicts else run.entries[slot]["stamp"]
    run.entries[slot] = result.entry
    run.fresh[result.id] = result.cards


def _cards_for(run: _Run, store: state.CardStore, ids: list[int]) -> dict[int, dict[str, CardData]]:
    """The index entries of these articles: from this run, the cache, or the articles."""
    found = {i: run.fresh[i] for i in ids if i in run.fresh}
    cached = store.get([i for i in ids if i not in found])
    stale = []
    for i in ids:
        if i in found:
            continue
        cards = cached.get(i)
        wanted = run.entries[str(i)]["cards"]
        if cards is None or {lang: c.get("hash") for lang, c in cards.items()} != wanted:
            stale.append(i)
        else:
            found[i] = cards
    remade = {}
    renderer = run.renderer
    for batch in planning.read_articles(run.site, stale, run.now):
        for article in batch:
            verdict = renderer.gate.verdict(article)
            items = gallery(run.site.media_dir, verdict.article)
            remade[article.id] = found[article.id] = renderer.cards(verdict.article, items)
    store.put(remade)
    return found


def _indexes(run: _Run, live: list[Live], progress: Progress | None) -> tuple[dict[str, Any], bool]:
    """Render the index pages whose entries changed: every index page's path with the
    hash of its inputs and its fingerprint, and whether they were synced as written."""
    recorded: dict[str, list[str]] = run.manifest.get("indexes", {})
    old = recorded if run.same_build else {}
    kept: dict[str, Any] = {}
    todo = []
    for page in planning.index_pages(run.renderer.config, live):
        key = planning.page_key(run.key, page)
        before = old.get(page.path)
        if before and state.is_pair(before) and before[0] == key and run.listing.has(page.path):
            kept[page.path] = before
        else:
            todo.append((page, key))
    store = state.CardStore(run.state / state.CARDS, run.report.warnings)
    try:
        store.put(run.fresh)
        store.drop(int(slot) for slot in run.before if slot not in run.entries)
        ids = sorted({entry.id for page, _ in todo for entry in page.members})
        known = _cards_for(run, store, ids)
    finally:
        store.close()
    synced = len(todo) < work.POOL_THRESHOLD
    done = Written()
    for number, (page, key) in enumerate(todo, start=1):
        cards = [known[entry.id][page.lang] for entry in page.members]
        before = recorded.get(page.path)
        record = write.index_page(
            run.renderer, page, cards, key, before if state.is_pair(before) else None, synced, done
        )
        if record is not None:
            kept[page.path] = record
        if progress:
            progress("indexes", number, len(todo))
    done.into(run.report)
    return kept, synced


def _extras(run: _Run, live: list[Live]) -> tuple[dict[str, str], dict[str, list[int]]]:
    """The style sheet, and the feeds when what they list can have changed."""
    old: dict[str, str] = run.manifest.get("extra", {})
    extra: dict[str, str] = {}
    output, report = run.renderer.output, run.report
    style_bytes = style(run.renderer.job.templates)
    write.own_file(output, STYLE_PATH, style_bytes, old, extra, True).into(report)
    _site_files(run, live, old, extra)
    lists = planning.listed_ids(run.renderer.config, live)
    old_lists: dict[str, list[int]] = run.manifest.get("feed_lists", {}) if run.same_build else {}
    shown = {i for ids in (*lists.values(), *old_lists.values()) for i in ids}
    old_feeds = {p: fp for p, fp in old.items() if p.startswith("feeds/")}
    # Every feed is RSS and Atom: fewer recorded means one could not be written.
    whole = len(old_feeds) == 2 * len(lists) and run.listing.all(old_feeds)
    if lists != old_lists or set(run.fresh) & shown or not whole:
        write.feeds(run.site, run.renderer, run.now, old, extra, report)
    else:
        extra.update(old_feeds)
    return extra, lists


def _site_files(run: _Run, live: list[Live], old: dict[str, str], extra: dict[str, str]) -> None:
    """sitemap.xml (and its parts), robots.txt, the favicon and the 404 page: rebuilt
    every time (cheap), written only when their bytes change."""
    renderer, report = run.renderer, run.report
    config = renderer.config
    files = sitemap.sitemap_files(config, extras.sitemap_pages(config, live, run.entries))
    files[sitemap.ROBOTS] = extras.own_or(
        renderer.job.templates, "robots.txt", sitemap.robots(config)
    )
    files[extras.FAVICON_PATH] = extras.favicon(renderer.job.templates)
    if run.job.share_image is not None:
        files[run.job.share_image.path] = run.share_image
    files[extras.NOT_FOUND_PATH] = renderer.not_found(extras.NOT_FOUND_PATH).encode()
    for path, data in files.items():
        write.own_file(renderer.output, path, data, old, extra, True).into(report)


def _tidy(run: _Run, files: dict[str, str]) -> None:
    """Remove what an earlier export wrote and this one does not, if still as written.
    Without `clean`, only entries that changed can have left files behind."""
    old = state.recorded(run.manifest)
    if not run.clean:
        kept: set[str] = set()
        for slot, entry in run.before.items():
            # The very entry reused: its files are still this export's.
            now = run.entries.get(slot)
            if now is not None and now.get("files") is entry["files"]:
                kept.update(now["files"])
        old = {path: fp for path, fp in old.items() if path not in kept}
    write.remove_old(run.renderer.output, old, files, run.report)
    run.report.removed.extend(write.remove_legacy(run.out))
    if run.clean:
        run.report.removed.extend(sweep_temporaries(run.out))


def _export(run: _Run, jobs: int | None, progress: Progress | None) -> None:
    report = run.report
    _articles(run, jobs, progress)
    live = planning.live(run.entries, run.now.timestamp(), run.job.drafts)
    report.articles = len(live)
    report.held = {e.id: e.held for e in live if e.held}
    indexes, indexes_synced = _indexes(run, live, progress)
    extra, lists = _extras(run, live)
    files = {path: fp for entry in run.entries.values() for path, fp in entry["files"].items()}
    files.update((path, pair[1]) for path, pair in indexes.items())
    files.update(extra)
    _tidy(run, files)
    report.unchanged = len(files) - len({p for p in report.written if p in files})
    if not (run.renderer.job.sync_each and indexes_synced):
        # One sync for every page and photo written without their own, before the
        # manifest says they are there.
        os.sync()
    record = {"out": str(run.out), "global": run.key, "articles": run.entries}
    state.save(run.state, {**record, "indexes": indexes, "extra": extra, "feed_lists": lists})


def check_output(site: Site, out: Path) -> Path:
    """The output folder, resolved; UsageError when writing there could harm the site."""
    target = out.resolve()
    problem = site.output_clash(target, folder=True)
    if problem:
        raise UsageError(f"-o {out}: {problem}")
    if target.exists() and not target.is_dir():
        raise UsageError(f"-o {out}: is a file; the html export needs a folder")
    if (target / SITE_FILE).exists():
        raise UsageError(f"-o {out}: holds a {SITE_FILE}; that is a site, not an export folder")
    return target


def _claim(out: Path, given: Path, manifest: dict[str, Any], force: bool) -> None:
    """Refuse a non-empty folder opdc has no (readable) record of exporting to, unless
    `force`."""
    if force or manifest or not out.is_dir():
        return
    found = sorted(
        path.relative_to(out).as_posix()
        for path in out.rglob("*")
        if not path.is_dir() and path.name not in write.LEGACY_STATE
    )
    if found:
        shown = ", ".join(found[:5]) + (", …" if len(found) > 5 else "")
        raise UsageError(
            f"-o {given}: holds {len(found)} file(s) ({shown}) and opdc has no readable "
            "record (manifest) of writing them, so an export could overwrite a person's "
            "files; export into a new or empty folder, or pass --force to let opdc write "
            "over them (files it does not write stay)"
        )


def export_site(
    site: Site,
    out: Path,
    *,
    now: datetime | None = None,
    clean: bool = False,
    with_originals: bool = False,
    jobs: int | None = None,
    progress: Progress | None = None,
    force: bool = False,
    drafts: bool = False,
) -> ExportReport:
    """Write (or bring up to date) the static site of `site` in `out`; what was done.

    Only what the publication gate (opdc_cli.publish) lets through by `now`
    (default the clock) gets pages; articles it stops and unreadable files are
    in `problems`, and what was published of them before is removed. A broken
    template raises OpdcError. A folder opdc has no record of exporting to must
    be empty unless `force`; files opdc did not write are never replaced (unless
    `force`) nor deleted, and are named in `conflicts`. `clean` also sweeps up
    every recorded file this export no longer writes and opdc's temporary files.
    Two exports into the same folder run one after the other. `drafts` (a preview,
    opdc serve --drafts) also gives drafts and scheduled articles pages, each with a
    banner saying it is not published.
    """
    target = check_output(site, out)
    folder = state.state_folder(site, target)
    folder.mkdir(parents=True, exist_ok=True)
    with state.locked(folder / state.LOCK):
        report = ExportReport()
        manifest = state.load(folder, target, report.warnings)
        # An interrupted export into this folder (the "running" marker in .opdc/) passed
        # the claim before it wrote anything, and wrote files its record does not list
        # yet: this run takes those in its way as its own, and sweeps up their
        # temporary files.
        interrupted = (folder / state.RUNNING).exists()
        _claim(target, out, manifest, force or interrupted)
        target.mkdir(parents=True, exist_ok=True)
        write_if_changed(folder / state.RUNNING, str(os.getpid()))
        run = _start(
            site, target, folder, manifest, report, now, with_originals,
            force or interrupted, clean or interrupted, drafts,
        )  # fmt: skip
        _export(run, jobs, progress)
        thai.flush_words()  # the list pages' words too, for the next export or rebuild
        (folder / state.RUNNING).unlink(missing_ok=True)
        return report


def _start(
    site: Site,
    target: Path,
    folder: Path,
    manifest: dict[str, Any],
    report: ExportReport,
    now: datetime | None,
    with_originals: bool,
    force: bool,
    clean: bool,
    drafts: bool = False,
) -> _Run:
    config = site.config
    now = now or datetime.now(config.tz)
    templates = site.root / "templates"
    try:
        found = meta.default_image(config)
    except OpdcError as exc:
        report.warnings.append(f"{exc.message}; pages without a photo are shared without an image")
        found = None
    image, data = found if found is not None else (None, b"")
    key = global_key(config, templates, with_originals, drafts, image)
    job = Job(
        config, site.media_dir, target, templates, now, with_originals, force,
        drafts=drafts, share_image=image, cache=site.cache,
    )  # fmt: skip
    run = _Run(site, target, folder, manifest, report, clean, now, key, job, Listing(target))
    run.share_image = data
    return run
