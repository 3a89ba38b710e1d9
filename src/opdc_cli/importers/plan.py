"""What every importer shares: the items a reader gives, the plan, and its application.

A reader (wordpress, feed, jsonl, csv) turns its source into `Item`s, or `Skipped`
lines for the items it cannot use, before anything is written: a source that does
not parse at all raises OpdcError and nothing is written. `make_plan` then decides
per item: create (with which id and file), update, or leave as it is, because
every imported article records its `source` and a second import finds it.
`apply_plan` writes each article whole through `Site.create` (its photos and
attachments copied into media/<id>/ first, under opdc's canonical names), so a
killed import leaves whole articles only and the next run completes the rest.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from opdc_cli import store
from opdc_cli.errors import OpdcError, UsageError
from opdc_cli.fsutil import create_exclusive, remove_files
from opdc_cli.gallery import attachment_name, check_media_name, original_name
from opdc_cli.model import Article, Attachment, Event, Photo, Status, Translation
from opdc_cli.site import SiteConfig

if TYPE_CHECKING:
    from opdc_cli.content import Site

Action = Literal["create", "update", "same"]

# WordPress's statuses as opdc's; a future post is published with its future date,
# which opdc shows as scheduled until the date comes.
WORDPRESS_STATUSES: dict[str, Status] = {
    "publish": "published",
    "future": "published",
    "draft": "draft",
    "pending": "draft",
    "private": "draft",
}


@dataclass
class MediaFile:
    """A photo or attachment to copy in: the local file and its text per language.

    `name` keeps the file's own name (opdc's export names its files already);
    otherwise the canonical name is made from the article id and `ext`.
    """

    path: Path
    ext: str
    texts: dict[str, str] = field(default_factory=dict)
    name: str = ""


@dataclass
class Item:
    """One article as a source gives it, before it has an id and a category key.

    `categories` holds the source's spellings of its category (a slug, a name):
    `--category-map` or site.toml's keys and names turn one of them into a key.
    """

    label: str
    source: str
    date: datetime
    status: Status
    categories: tuple[str, ...]
    translations: dict[str, Translation]
    tags: tuple[str, ...] = ()
    photos: list[MediaFile] = field(default_factory=list)
    attachments: list[MediaFile] = field(default_factory=list)
    event: Event | None = None
    id: int | None = None
    keep_id: bool = False  # opdc's own export and csv: their ids are opdc's
    form: str | None = None

    @property
    def identity(self) -> str:
        """What finds the article again: its source, else (opdc's own export) its id."""
        return self.source or f"id:{self.id}"


@dataclass(frozen=True)
class Skipped:
    """An item that cannot be imported, and why, in one line."""

    label: str
    reason: str


@dataclass
class Options:
    """What the command line asks of every kind of import."""

    category_map: Mapping[str, str] = field(default_factory=dict)
    keep_ids: bool = False
    update: bool = False
    limit: int | None = None
    since: datetime | None = None
    form: str | None = None


@dataclass
class Step:
    """One article of the plan: what happens to it, its id and its files."""

    action: Action
    item: Item
    id: int
    category: str
    paths: list[Path]
    existing: Article | None = None


@dataclass
class Plan:
    steps: list[Step]
    skipped: list[Skipped]


@dataclass
class Report:
    """What an import did: the summary line's numbers, and the lines of what it skipped."""

    created: int = 0
    updated: int = 0
    same: int = 0
    photos: int = 0
    attachments: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self, dry_run: bool = False) -> str:
        verb = "would import" if dry_run else "imported"
        return (
            f"{verb} {self.created}, updated {self.updated}, unchanged {self.same}, "
            f"skipped {len(self.skipped)}; {self.photos} photo(s) and "
            f"{self.attachments} attachment(s) {'to copy' if dry_run else 'copied'}"
        )


def parse_pairs(values: Iterable[str], option: str) -> dict[str, str]:
    """`OLD=NEW` command-line pairs as a mapping keyed by the folded OLD."""
    pairs: dict[str, str] = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise UsageError(f"{option}: {value!r} is not OLD=NEW, e.g. {option} news=headline")
        pairs[fold(old)] = new.strip()
    return pairs


def fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def media_path(root: Path, relative: str) -> Path | None:
    """`relative` (a URL's path below the uploads folder) inside `root`, or None when it
    would leave it."""
    relative = relative.strip("/")
    if check_media_name(relative) is not None:
        return None
    return root / relative


# --- planning -----------------------------------------------------------------------


def category_of(item: Item, config: SiteConfig, mapping: Mapping[str, str]) -> str | None:
    """The site's category key for `item`: mapped, else a key or name site.toml has."""
    for spelling in item.categories:
        mapped = mapping.get(fold(spelling))
        if mapped is not None:
            return config.find_category(mapped)
    for spelling in item.categories:
        found = config.find_category(spelling)
        if found is not None:
            return found
    fallback = mapping.get("*")
    return config.find_category(fallback) if fallback is not None else None


def _check_map(config: SiteConfig, mapping: Mapping[str, str]) -> None:
    for old, new in mapping.items():
        if config.find_category(new) is None:
            raise UsageError(
                f"--category-map {old}={new}: site.toml has no category {new!r} "
                f"(it has {', '.join(config.categories)})"
            )


def _unmapped(items: list[Item], config: SiteConfig, mapping: Mapping[str, str]) -> OpdcError:
    counts: dict[str, int] = {}
    for item in items:
        if category_of(item, config, mapping) is None:
            name = item.categories[0] if item.categories else "(none)"
            counts[name] = counts.get(name, 0) + 1
    listed = ", ".join(f"{name} ({count})" for name, count in sorted(counts.items()))
    first = next(iter(sorted(counts)))
    return OpdcError(
        f"categories site.toml does not have: {listed}; map each with --category-map OLD=NEW "
        f"(e.g. --category-map {first}={next(iter(config.categories))}; '*=KEY' for all "
        f"the rest), or add them to site.toml; nothing was written",
        code="OPDC140",
    )


def _wanted(items: list[Item | Skipped], options: Options) -> list[Item | Skipped]:
    chosen: list[Item | Skipped] = []
    count = 0
    for entry in items:
        if isinstance(entry, Item):
            if options.since is not None and entry.date < options.since:
                continue
            if options.limit is not None and count >= options.limit:
                continue
            count += 1
        chosen.append(entry)
    return chosen


def _merged(item: Item, existing: Article, category: str) -> Article:
    """The existing article with the item's text and settings (its id, photos and
    attachments kept)."""
    return replace(
        existing,
        category=category,
        date=item.date,
        status=item.status,
        tags=item.tags,
        translations=dict(item.translations),
        event=item.event if item.event is not None else existing.event,
        source=item.source,
    )


def _article(item: Item, article_id: int, category: str) -> Article:
    return Article(
        id=article_id,
        category=category,
        date=item.date,
        status=item.status,
        tags=item.tags,
        translations=dict(item.translations),
        event=item.event,
        source=item.source,
    )


def make_plan(site: Site, entries: list[Item | Skipped], options: Options) -> Plan:
    """What importing `entries` into `site` would do; writes nothing.

    Raises OpdcError listing every source category without a site.toml key.
    """
    config = site.config
    _check_map(config, options.category_map)
    chosen = _wanted(entries, options)
    items = [entry for entry in chosen if isinstance(entry, Item)]
    skipped = [entry for entry in chosen if isinstance(entry, Skipped)]
    if any(category_of(item, config, options.category_map) is None for item in items):
        raise _unmapped(items, config, options.category_map)
    existing = site.read_all()
    by_identity: dict[str, Article] = {a.source: a for a in existing if a.source}
    by_identity.update({f"id:{a.id}": a for a in existing})
    taken = {a.id for a in existing} | {f.id for f in site.files()}
    next_id = max([config.first_id - 1, *taken]) + 1
    steps: list[Step] = []
    seen: set[str] = set()
    for item in items:
        if item.identity in seen:
            skipped.append(Skipped(item.label, f"a second item with the source {item.identity}"))
            continue
        seen.add(item.identity)
        category = category_of(item, config, options.category_map) or ""
        found = by_identity.get(item.identity)
        if found is not None:
            steps.append(_step_for_existing(item, found, category, options))
            continue
        prefer = item.id if (options.keep_ids or item.keep_id) and item.id else None
        if prefer is not None and prefer not in taken:
            article_id = prefer
        else:
            while next_id in taken:
                next_id += 1
            article_id = next_id
        taken.add(article_id)
        article = _article(item, article_id, category)
        folder = site._folder_for(article)
        form = item.form or options.form or config.article_format
        names = store.render(article, form, config.languages)
        steps.append(Step("create", item, article_id, category, [folder / n for n in names]))
    return Plan(steps, skipped)


def _step_for_existing(item: Item, found: Article, category: str, options: Options) -> Step:
    paths = list(found.sources)
    # A text-form article a killed import wrote only part of: complete it.
    partial = set(found.translations) < set(item.translations)
    if not (options.update or partial):
        return Step("same", item, found.id, category, paths, found)
    updated = _merged(item, found, category)
    action: Action = "same" if updated == found else "update"
    return Step(action, item, found.id, category, paths, found)


# --- applying -----------------------------------------------------------------------


Entry = tuple[str, dict[str, str]]


def _copy_in(
    item: Item, folder: Path, article_id: int, copied: list[Path]
) -> tuple[list[Entry], list[Entry]]:
    """The item's photos and attachments copied into `folder` (each created exclusively,
    never overwriting): their names and texts."""
    made: list[list[Entry]] = [[], []]
    for slot, (files, namer) in enumerate(
        ((item.photos, original_name), (item.attachments, attachment_name))
    ):
        done: set[str] = set()
        for number, media in enumerate(files, 1):
            name = media.name or namer(article_id, number, media.ext)
            if name not in done:
                create_exclusive(folder / name, media.path.read_bytes())
                copied.append(folder / name)
                done.add(name)
            made[slot].append((name, {k: v for k, v in media.texts.items() if v}))
    return made[0], made[1]


def _create(site: Site, step: Step, form: str, taken: set[int], keep: bool) -> Article:
    item = step.item
    copied: list[Path] = []

    def make(article_id: int) -> Article:
        # Site.create may try another id when a name is taken: nothing stays behind
        # in the folder of the id it gave up.
        _undo(copied)
        photos, files = _copy_in(item, site.media_folder(article_id), article_id, copied)
        return replace(
            _article(item, article_id, step.category),
            photos=tuple(Photo(name, texts) for name, texts in photos),
            attachments=tuple(Attachment(name, texts) for name, texts in files),
        )

    try:
        article, _ = site.create(make, form, prefer=step.id if keep else None, taken=taken)
    except BaseException:
        _undo(copied)
        raise
    return article


def _undo(copied: list[Path]) -> None:
    folders = {path.parent for path in copied}
    remove_files(copied)
    copied.clear()
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()


def apply_plan(
    site: Site,
    plan: Plan,
    options: Options,
    progress: Callable[[Step], None] | None = None,
) -> Report:
    """Carry the plan out, article by article; the report of what was done."""
    config = site.config
    report = Report(skipped=list(plan.skipped))
    taken = {f.id for f in site.files()}
    for step in plan.steps:
        if step.action == "create":
            form = step.item.form or options.form or config.article_format
            keep = options.keep_ids or step.item.keep_id
            article = _create(site, step, form, taken, keep)
            taken.add(article.id)
            step.id, step.paths = article.id, list(article.sources)
            report.created += 1
            report.photos += len(step.item.photos)
            report.attachments += len(step.item.attachments)
        elif step.action == "update" and step.existing is not None:
            site.save(_merged(step.item, step.existing, step.category))
            report.updated += 1
        else:
            report.same += 1
        if progress is not None:
            progress(step)
    return report


def plan_report(plan: Plan) -> Report:
    """The report a dry run gives: what applying the plan would do."""
    report = Report(skipped=list(plan.skipped))
    for step in plan.steps:
        if step.action == "create":
            report.created += 1
            report.photos += len(step.item.photos)
            report.attachments += len(step.item.attachments)
        elif step.action == "update":
            report.updated += 1
        else:
            report.same += 1
    return report


# --- what readers share -------------------------------------------------------------


class BadItem(Exception):
    """Raised inside a reader for an item it must skip: the reason, in words."""


def photo_file(path: Path, config: SiteConfig, texts: dict[str, str], name: str = "") -> MediaFile:
    """A photo checked as `opdc media add` checks one (media.inspect_image); BadItem if
    it is missing or not a usable image."""
    from opdc_cli.media import inspect_image

    if not path.is_file():
        raise BadItem(f"photo {path} not found (is --media-dir the uploads folder?)")
    try:
        info = inspect_image(path, config.media)
    except OpdcError as exc:
        raise BadItem(f"photo {path}: {exc.message}") from None
    return MediaFile(path, info.ext, texts, name)


def attachment_file(path: Path, texts: dict[str, str], name: str = "") -> MediaFile:
    """A document to attach; BadItem if it is missing."""
    if not path.is_file():
        raise BadItem(f"attachment {path} not found (is --media-dir the uploads folder?)")
    ext = path.suffix.lstrip(".").lower() or "bin"
    return MediaFile(path, ext, texts, name)
