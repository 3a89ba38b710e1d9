"""The library's front door: a site, its articles, and queries over them.

`Site.open(path).articles(Query(...))` is to a script what `opdc list` is to a
person; every command reads the site through it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from opdc_cli import store
from opdc_cli.errors import ArticleNotFound, OpdcError
from opdc_cli.model import Article
from opdc_cli.site import SITE_FILE, SiteConfig, find_site_root, load_config

SORTS = ("date", "id", "title")
STATES = ("draft", "scheduled", "published")


@dataclass(frozen=True)
class Query:
    """Which articles, in which order.

    `sort="date"` and `sort="id"` put the newest first, `sort="title"` is A to Z;
    `reverse` turns any of them around. Dates compare as calendar days in the
    site's time zone, both ends included.
    """

    ids: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    lang: str | None = None
    missing_lang: str | None = None
    since: date | None = None
    until: date | None = None
    search: str = ""
    sort: str = "date"
    reverse: bool = False
    limit: int | None = None
    title_lang: str | None = None
    now: datetime | None = None

    def matches(self, article: Article, config: SiteConfig, now: datetime) -> bool:
        if self.ids and article.id not in self.ids:
            return False
        if self.categories and article.category not in self.categories:
            return False
        if self.states and article.state(now) not in self.states:
            return False
        if self.tags and not set(self.tags) & set(article.tags):
            return False
        if self.lang and self.lang not in article.translations:
            return False
        if self.missing_lang and self.missing_lang in article.translations:
            return False
        day = article.date.astimezone(config.tz).date()
        if self.since and day < self.since:
            return False
        if self.until and day > self.until:
            return False
        return not self.search or _contains(article, self.search)

    def order(self, articles: Iterable[Article], config: SiteConfig) -> list[Article]:
        lang = self.title_lang or config.primary_language
        if self.sort == "title":
            ordered = sorted(articles, key=lambda a: (a.title(lang).casefold(), a.id))
        elif self.sort == "id":
            ordered = sorted(articles, key=lambda a: a.id, reverse=True)
        else:
            ordered = sorted(articles, key=lambda a: (a.date, a.id), reverse=True)
        if self.reverse:
            ordered.reverse()
        return ordered if self.limit is None else ordered[: self.limit]

    def select(self, articles: Iterable[Article], config: SiteConfig) -> list[Article]:
        """The matching articles, ordered and limited."""
        now = self.now or datetime.now(config.tz)
        return self.order((a for a in articles if self.matches(a, config, now)), config)


def _contains(article: Article, needle: str) -> bool:
    needle = needle.casefold()
    return any(
        needle in t.title.casefold()
        or needle in t.body.casefold()
        or needle in t.summary.casefold()
        for t in article.translations.values()
    )


@dataclass
class Site:
    """A site on disk: its settings, its articles and its media."""

    config: SiteConfig
    cache: bool = True
    problems: list[OpdcError] = field(default_factory=list)

    @classmethod
    def open(cls, path: Path | str | None = None, *, cache: bool = True) -> Site:
        """The site at `path` (or found as `opdc` finds it); site.toml is checked now."""
        root = find_site_root(Path(path) if path is not None else None)
        return cls(load_config(root / SITE_FILE), cache=cache)

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def articles_dir(self) -> Path:
        return self.root / "articles"

    @property
    def media_dir(self) -> Path:
        return self.root / "media"

    @property
    def cache_dir(self) -> Path:
        return self.root / ".opdc"

    def files(self) -> list[store.ArticleFile]:
        return store.scan(self.articles_dir)

    def read_all(self) -> list[Article]:
        """Every readable article, read from its files now; `problems` gets the rest."""
        groups, problems = store.group(self.files())
        articles = []
        for files in groups.values():
            try:
                articles.append(store.read_article(files, self.config))
            except OpdcError as exc:
                problems.append(exc)
        self.problems = problems
        return articles

    def articles(self, query: Query | None = None) -> list[Article]:
        """The articles `query` selects (all, newest first, by default)."""
        return (query or Query()).select(self.read_all(), self.config)

    def article(self, article_id: int) -> Article:
        """The article with this id; ArticleNotFound if there is none."""
        found = self.articles(Query(ids=(article_id,)))
        if found:
            return found[0]
        for problem in self.problems:
            if problem.path is not None and store.classify(problem.path) is not None:
                claimed = store.classify(problem.path)
                if claimed is not None and claimed.id == article_id:
                    raise problem
        raise ArticleNotFound(f"no article {article_id} in articles/")

    def media_folder(self, article_id: int) -> Path:
        return self.media_dir / str(article_id)

    def save(self, article: Article, form: str | None = None) -> list[Path]:
        """Write `article` back where it was read from (atomically), in its form or `form`."""
        form = form or article.form
        folder = article.sources[0].parent if article.sources else self._folder_for(article)
        written = store.write_article(article, folder, form, self.config.languages)
        for old in article.sources:
            if old not in written and old.exists():
                old.unlink()
        return written

    def _folder_for(self, article: Article) -> Path:
        # New articles go under articles/<year>/, the way the sample site is laid out.
        return self.articles_dir / f"{article.date.astimezone(self.config.tz).year:04d}"

    def create(
        self, make: Callable[[int], Article], form: str | None = None, *, attempts: int = 1000
    ) -> tuple[Article, list[Path]]:
        """Allocate a fresh id, build the article with it and write it; never reuses an id.

        The id is reserved by creating media/<id>/ (mkdir is atomic: of two people
        asking at once, one gets it, the other moves on), and the file itself is
        created exclusively, so no article can overwrite another.
        """
        form = form or self.config.article_format
        taken = {f.id for f in self.files()}
        candidate = max([self.config.first_id - 1, *taken]) + 1
        self.media_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(attempts):
            if candidate in taken:
                candidate += 1
                continue
            folder = self.media_folder(candidate)
            try:
                folder.mkdir()
            except FileExistsError:
                candidate += 1
                continue
            try:
                article = make(candidate)
                paths = store.write_article(
                    article, self._folder_for(article), form, self.config.languages, exclusive=True
                )
            except FileExistsError:
                _remove_empty(folder)
                candidate += 1
                continue
            except BaseException:
                _remove_empty(folder)
                raise
            return replace(article, sources=tuple(paths), form=form), paths
        raise OpdcError(f"could not allocate a free article id after {attempts} tries")


def _remove_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        os.rmdir(folder)
