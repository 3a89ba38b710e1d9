"""Writing: pages, photos, feeds and removals, each through owned.Output, which
writes, replaces and deletes only what opdc can prove it wrote."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from opdc_cli.content import Site
from opdc_cli.errors import OpdcError
from opdc_cli.export.owned import Outcome, Output
from opdc_cli.export.site.plan import IndexPage
from opdc_cli.export.site.render import CardData, Renderer
from opdc_cli.gallery import GalleryItem
from opdc_cli.media import private_copy

# Where earlier versions kept the export's state: inside the output, where a web
# server would serve it. Removed from the output whenever found.
LEGACY_STATE = (".opdc-export.json", ".opdc-export-cards.sqlite", ".opdc-export.lock")


@dataclass
class ExportReport:
    """What an export did: paths are relative to the output folder."""

    articles: int = 0
    reread: int = 0
    written: list[str] = field(default_factory=list)
    # Files of this export already as they should be: counted from the record, so
    # written + unchanged is what the folder holds of opdc's.
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    # Articles not published: unreadable, or stopped by the publication gate.
    problems: list[OpdcError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Files opdc would have written but did not: something it did not write is there.
    conflicts: list[str] = field(default_factory=list)
    # Language versions held back as translations in progress, by article id.
    held: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class Written:
    """What writing some files did, and the fingerprint of each file now opdc's."""

    files: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def tally(self, path: str, outcome: Outcome, fingerprint: str) -> None:
        if outcome == "conflict":
            # Not opdc's: never recorded, so never replaced or deleted.
            self.conflicts.append(path)
            return
        self.files[path] = fingerprint
        if outcome == "written":
            self.written.append(path)

    def into(self, report: ExportReport) -> None:
        report.written.extend(self.written)
        report.conflicts.extend(self.conflicts)


def article_files(
    renderer: Renderer,
    article_id: int,
    pages: dict[str, str],
    media: list[str],
    originals: set[str],
    recorded: dict[str, str],
) -> Written:
    """Write an article's pages and publish its media files (hard links, or private
    copies of the `originals`); `recorded`: what an earlier export wrote for it."""
    job = renderer.job
    output = renderer.output
    done = Written()
    for path, html in pages.items():
        outcome, fp = output.put(path, html.encode(), recorded.get(path), sync=job.sync_each)
        done.tally(path, outcome, fp)
    folder = job.media_dir / str(article_id)
    for path in media:
        name = path.split("/", 2)[2]
        if name in originals:
            data = private_copy((folder / name).read_bytes(), job.config.media.max_pixels)
            outcome, fp = output.put(path, data, recorded.get(path), sync=job.sync_each)
        else:
            outcome, fp = output.link(path, folder / name, recorded.get(path))
        done.tally(path, outcome, fp)
    return done


def originals_of(items: list[GalleryItem], with_originals: bool) -> set[str]:
    return {item.original for item in items} if with_originals else set()


def index_page(
    renderer: Renderer,
    page: IndexPage,
    cards: list[CardData],
    key: str,
    recorded: list[str] | None,
    sync: bool,
    done: Written,
) -> list[str] | None:
    """Render and write one index page; its record ([key, fingerprint]) unless a file
    opdc did not write is in the way."""
    html = renderer.index(page.lang, page.category, cards, page.number, page.pages, page.path)
    fingerprint = recorded[1] if recorded is not None else None
    outcome, fingerprint = renderer.output.put(page.path, html.encode(), fingerprint, sync=sync)
    done.tally(page.path, outcome, fingerprint)
    return None if outcome == "conflict" else [key, fingerprint]


def own_file(
    output: Output, path: str, data: bytes, old: dict[str, str], new: dict[str, str], sync: bool
) -> Written:
    """Write one of the export's own files (style sheet, feeds), recording it in `new`."""
    done = Written()
    outcome, fingerprint = output.put(path, data, old.get(path), sync=sync)
    done.tally(path, outcome, fingerprint)
    new.update(done.files)
    return done


def feeds(
    site: Site,
    renderer: Renderer,
    now: datetime,
    old: dict[str, str],
    new: dict[str, str],
    report: ExportReport,
) -> None:
    """Every feed, in place under feeds/ (opdc_cli.feed), through the same gate and
    the same rule for what may be written as the pages."""
    from opdc_cli.feed import write_feeds

    out = renderer.job.out

    def write(path: Path, data: bytes) -> bool:
        done = own_file(renderer.output, path.relative_to(out).as_posix(), data, old, new, True)
        done.into(report)
        return bool(done.written)

    write_feeds(site, out, now=now, warn=report.warnings.append, gate=renderer.gate, write=write)


def remove_old(
    output: Output, old: dict[str, str], keep: dict[str, str], report: ExportReport
) -> None:
    """Delete what an earlier export wrote (`old`) and this one does not (`keep`), if
    it is still as written; a file changed since is named and left."""
    for path, fp in sorted(old.items()):
        if path in keep:
            continue
        if output.remove(path, fp):
            report.removed.append(path)
        elif (output.out / path).exists() and output.inside(path):
            report.warnings.append(
                f"{path}: changed since opdc wrote it, so it was not deleted; "
                "delete it yourself if it should go"
            )


def remove_legacy(out: Path) -> list[str]:
    """The state files earlier versions kept in the output folder: they named drafts."""
    removed = []
    for name in LEGACY_STATE:
        with contextlib.suppress(FileNotFoundError):
            if (out / name).is_file() and not (out / name).is_symlink():
                (out / name).unlink()
                removed.append(name)
    return removed


# (phase, done, total): "articles" while article pages are built, then "indexes".
Progress = Callable[[str, int, int], None]
