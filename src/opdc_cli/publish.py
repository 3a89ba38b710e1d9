"""The publication gate: what of an article may leave the site, and in which languages.

Every publisher asks `Gate.verdict()` and publishes only the article it returns:
the feeds (`feed.py`), the html site (`export/site`), the data exports
(`export/data.py`). Nothing else decides what is public.

The rule, in one place:

- an article is published only when its status is published, its date has
  come and its expiry (`expires`) has not (`Article.is_live`), no publishing
  freeze of site.toml's [workflow] holds it back (during a freeze only what was
  live before it began stays live), its primary language version has a title
  and a body, and `opdc validate` finds no error in it (which includes the
  approval that `[workflow] require_approval` asks for, OPDC601);
- a preview's gate (`drafts`, for opdc serve --drafts) lets drafts and scheduled
  articles through the status and date part only, and `unpublished()` marks them;
- of such an article, each other language version is published only when it has
  a title and a body; one without is a translation in progress, held back (no
  page, no feed entry, no data record) until it is complete.

An article that fails the rule is named with the first error's path, line,
column and code, so that a publisher can report it and exit 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from opdc_cli.checks import CheckCache
from opdc_cli.errors import OpdcError
from opdc_cli.model import Article, Attachment, Event, Photo
from opdc_cli.site import SiteConfig
from opdc_cli.validate import Problem, check_files


@dataclass(frozen=True)
class Verdict:
    """What the gate decided for one article.

    `article` is what may be published: the same article with only the published
    languages' text (titles, bodies, captions, attachment titles, event places).
    `languages` are those published versions, in the site's order (empty when the
    article is not published); `held` the versions held back as translations in
    progress; `problem` the first validate error when that is why nothing is
    published (None for a draft or an article whose time has not come).
    """

    article: Article
    languages: tuple[str, ...]
    held: tuple[str, ...] = ()
    problem: Problem | None = None

    @property
    def published(self) -> bool:
        return bool(self.languages)


class Gate:
    """Decides, article by article, what `now` allows to be published."""

    def __init__(
        self, config: SiteConfig, now: datetime, *, drafts: bool = False, cache: bool = True
    ) -> None:
        self.config = config
        self.now = now
        # opdc --no-cache: every article is checked again, nothing kept.
        self.cache = cache
        # A preview's gate (opdc serve --drafts): drafts and scheduled articles pass the
        # status and date part of the rule; every other part still applies.
        self.drafts = drafts
        self._seen: dict[int, Verdict] = {}
        # What was kept back, by article id, for the publisher's report.
        self.blocked: dict[int, Problem] = {}
        self.held: dict[int, tuple[str, ...]] = {}
        # Articles live but for the publishing freeze, by id.
        self.frozen: set[int] = set()
        # Validate's results, kept while an article's files do not change.
        self._kept: CheckCache | None = None

    def verdict(self, article: Article) -> Verdict:
        """The gate's decision for `article` (its files are checked once per gate)."""
        found = self._seen.get(article.id)
        if found is None:
            found = self._seen[article.id] = self._decide(article)
            if found.problem is not None:
                self.blocked[article.id] = found.problem
            if found.held:
                self.held[article.id] = found.held
        return found

    def unpublished(self, article: Article) -> bool:
        """Whether `article` passes only because this gate shows drafts: its pages say so."""
        return self.drafts and not article.is_live(self.now)

    def _decide(self, article: Article) -> Verdict:
        if not article.is_live(self.now) and not self.drafts:
            return Verdict(article, ())
        if frozen_out(self.config, article, self.now):
            self.frozen.add(article.id)
            return Verdict(article, ())
        problem = self._first_error(article)
        if problem is not None:
            return Verdict(article, (), problem=problem)
        complete = set(article.complete_languages)
        present = [lang for lang in self.config.languages if lang in article.translations]
        languages = tuple(lang for lang in present if lang in complete)
        held = tuple(lang for lang in present if lang not in complete)
        return Verdict(published_view(article, languages), languages, held)

    def _first_error(self, article: Article) -> Problem | None:
        # An article made in memory has no files: nothing on disk to check.
        if not article.sources:
            return None
        if self._kept is None and self.cache:
            # Opened on first use, in the process that uses it (export workers fork).
            self._kept = CheckCache(self.config)
        problems = check_files(self.config, article.sources, self._kept)
        return next((p for p in problems if p.severity == "error"), None)


def published_view(article: Article, languages: tuple[str, ...]) -> Article:
    """`article` with the text of `languages` only: nothing of a held-back version."""
    if set(article.translations) <= set(languages):
        return article
    keep = set(languages)

    def only(texts: Mapping[str, str]) -> dict[str, str]:
        return {lang: text for lang, text in texts.items() if lang in keep}

    event = article.event
    return replace(
        article,
        translations={lang: article.translations[lang] for lang in languages},
        photos=tuple(Photo(p.file, only(p.captions)) for p in article.photos),
        attachments=tuple(Attachment(a.file, only(a.titles)) for a in article.attachments),
        event=Event(event.start, event.end, only(event.places)) if event else None,
    )


def goes_live_at(config: SiteConfig, article: Article) -> datetime:
    """When a published `article` goes live: its date (or its last publishing, if
    later), or, when that falls in a publishing freeze, the freeze's end: during a
    freeze only what went live before it began stays live."""
    since = article.live_since
    freeze = config.workflow.freeze
    if freeze is not None and freeze.start <= since < freeze.end:
        return freeze.end
    return since


def frozen_out(config: SiteConfig, article: Article, now: datetime) -> bool:
    """True when `article` would be live at `now` but for a publishing freeze."""
    return article.live_since <= now < goes_live_at(config, article)


def frozen_line(config: SiteConfig, count: int) -> str | None:
    """One line saying the freeze kept `count` articles back, or None for none."""
    freeze = config.workflow.freeze
    if not count or freeze is None:
        return None
    why = f" ({freeze.reason})" if freeze.reason else ""
    return (
        f"publishing freeze{why} until {freeze.end.isoformat()}: {count} article(s) "
        "that would go live now are held back; what was live before the freeze stays"
    )


def held_line(held: Mapping[int, tuple[str, ...]]) -> str | None:
    """One line saying how many language versions were held back, or None for none."""
    count = sum(len(langs) for langs in held.values())
    if not count:
        return None
    langs = sorted({lang for found in held.values() for lang in found})
    return (
        f"{count} language version(s) held back as translations in progress (no title or "
        f"body yet), not published: opdc list --missing-lang {langs[0]} lists them"
    )


def not_published(problem: Problem) -> OpdcError:
    """The error a publisher reports for an article the gate stopped: where the first
    problem is, its code, and that the article was not published."""
    return OpdcError(
        f"{problem.code} not published: {problem.message} (opdc validate lists every problem)",
        problem.path,
        problem.line,
        problem.col,
        problem.code,
    )
