"""The library's front door: a site, its articles, and queries over them.

`Site.open(path).articles(Query(...))` is to a script what `opdc list` is to a
person; every command reads the site through it.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeVar

from opdc_cli import clock, store, thai, wordstore
from opdc_cli.errors import ArticleNotFound, OpdcError
from opdc_cli.model import Article, State, Status, publication_state
from opdc_cli.site import SITE_FILE, SiteConfig, find_site_root, load_config

if TYPE_CHECKING:
    from opdc_cli.edit import ArticleEdit
    from opdc_cli.index import LightRow, Pushdown, Session

SORTS = ("date", "id", "title")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Listed(Protocol):
    """What a query looks at: an Article, or the ArticleSummary the index keeps of it."""

    @property
    def id(self) -> int: ...
    @property
    def category(self) -> str: ...
    @property
    def date(self) -> datetime: ...
    @property
    def tags(self) -> tuple[str, ...]: ...
    @property
    def languages(self) -> tuple[str, ...]: ...
    @property
    def complete_languages(self) -> tuple[str, ...]: ...
    def state(self, now: datetime) -> State: ...
    def title(self, lang: str) -> str: ...


L = TypeVar("L", bound=Listed)
R = TypeVar("R")


class ArticleSummary(NamedTuple):
    """What `opdc list` shows of an article: answered by the index without its text.

    The same names and meanings as Article's attributes, so list, json and csv
    output is the same from either.
    """

    id: int
    category: str
    date: datetime
    status: Status
    tags: tuple[str, ...]
    languages: tuple[str, ...]
    titles: Mapping[str, str]
    photo_count: int
    form: str
    root: Path
    # The files, relative to `root` ("articles/2018/26461.toml"): Paths are made
    # only when asked for, since `list --format ids` never needs them.
    paths: tuple[str, ...]
    # The languages whose version has a title and a body.
    complete_languages: tuple[str, ...] = ()
    expires: datetime | None = None

    @classmethod
    def of(cls, article: Article, root: Path) -> ArticleSummary:
        """The summary of a full article of the site at `root`."""
        return cls(
            article.id,
            article.category,
            article.date,
            article.status,
            article.tags,
            article.languages,
            article.titles,
            article.photo_count,
            article.form,
            root,
            tuple(_below(path, root) for path in article.sources),
            article.complete_languages,
            article.expires,
        )

    @property
    def sources(self) -> tuple[Path, ...]:
        """The files the article was read from, as Article.sources gives them."""
        return tuple(self.root / path for path in self.paths)

    def title(self, lang: str) -> str:
        """The title in `lang`, else in the first language the article has."""
        return _title(self.titles, lang)

    def state(self, now: datetime) -> State:
        return publication_state(self.status, self.date, now, self.expires)

    def is_live(self, now: datetime) -> bool:
        """Published and its time has come: what feeds and the site show."""
        return self.state(now) == "published"


class _Light(NamedTuple):
    """An article as a query filters and orders it, from the index's columns alone.

    `date` is in UTC (the same instant: compared, ordered and turned into a local
    day alike); `tags` and `titles` are empty unless the query filters on tags or
    sorts by title, the only times they are looked at.
    """

    id: int
    category: str
    date: datetime
    status: str
    tags: tuple[str, ...]
    languages: tuple[str, ...]
    titles: Mapping[str, str]
    complete_languages: tuple[str, ...]
    expires: datetime | None

    def title(self, lang: str) -> str:
        return _title(self.titles, lang)

    def state(self, now: datetime) -> State:
        return publication_state(self.status, self.date, now, self.expires)


def _light(row: LightRow) -> _Light:
    languages, complete = _languages(row.langs)
    when = _EPOCH + timedelta(microseconds=row.date_us)
    expires = _expiry(row.expires_us)
    # Titles not asked for come as (): the mapping is empty then.
    named = dict(zip(languages, row.titles))  # noqa: B905
    return _Light(
        row.id, row.category, when, row.status, row.tags, languages, named, complete, expires
    )


def _expiry(expires_us: int | None) -> datetime | None:
    return None if expires_us is None else _EPOCH + timedelta(microseconds=expires_us)


def _summary(row: LightRow, root: Path) -> ArticleSummary:
    summary = row.summary
    assert summary is not None, "asked for with summary=True"
    languages, complete = _languages(row.langs)
    return ArticleSummary(
        row.id,
        row.category,
        datetime.fromisoformat(summary.date),
        row.status,  # type: ignore[arg-type]  # stored from a checked Article
        summary.tags,
        languages,
        dict(zip(languages, summary.titles, strict=True)),
        summary.photo_count,
        summary.form,
        root,
        summary.paths,
        complete,
        _expiry(row.expires_us),
    )


def _languages(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every language, and the complete ones, from the index's langs column."""
    if not any(token.startswith("~") for token in tokens):
        return tokens, tokens
    return tuple(t.lstrip("~") for t in tokens), tuple(t for t in tokens if t[0] != "~")


def _title(titles: Mapping[str, str], lang: str) -> str:
    # As Article.title: the language's own title, even empty, else the first one.
    if lang in titles:
        return titles[lang]
    return next(iter(titles.values()), "")


def _below(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)  # absolute: `root / path` gives it back unchanged


@dataclass(frozen=True)
class Query:
    """Which articles, in which order.

    `sort="date"` and `sort="id"` put the newest first, `sort="title"` is A to Z;
    `reverse` turns any of them around. Dates compare as calendar days in the
    site's time zone, both ends included; tags match whatever their case. `now`
    (default: the clock, in the site's time zone) decides which published
    articles are still scheduled.
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
        """True when `article` passes every filter, the text search included."""
        return self.matches_fields(article, config, now) and (
            not self.search or _contains(article, self.search)
        )

    def matches_fields(self, item: Listed, config: SiteConfig, now: datetime) -> bool:
        """True when `item` passes every filter but the text search (which needs bodies)."""
        if self.ids and item.id not in self.ids:
            return False
        if self.categories and item.category not in self.categories:
            return False
        if self.states and item.state(now) not in self.states:
            return False
        if self.tags and not _folded(self.tags) & _folded(item.tags):
            return False
        # A language counts once its version is complete (a title and a body).
        if self.lang and self.lang not in item.complete_languages:
            return False
        if self.missing_lang and self.missing_lang in item.complete_languages:
            return False
        if self.since or self.until:
            day = item.date.astimezone(config.tz).date()
            if self.since and day < self.since:
                return False
            if self.until and day > self.until:
                return False
        return True

    def order(self, items: Iterable[L], config: SiteConfig) -> list[L]:
        """`items` in the query's order, cut to its limit."""
        lang = self.title_lang or config.primary_language
        if self.sort == "title":
            ordered = sorted(items, key=lambda a: (a.title(lang).casefold(), a.id))
        elif self.sort == "id":
            ordered = sorted(items, key=lambda a: a.id, reverse=True)
        else:
            ordered = sorted(items, key=lambda a: (a.date, a.id), reverse=True)
        if self.reverse:
            ordered.reverse()
        return ordered if self.limit is None else ordered[: self.limit]

    def select(self, articles: Iterable[Article], config: SiteConfig) -> list[Article]:
        """The matching articles, ordered and limited."""
        now = self.now or clock.now(config.tz)
        return self.order((a for a in articles if self.matches(a, config, now)), config)


def _folded(tags: Iterable[str]) -> set[str]:
    # Tags match in any case: `--tag govlab` finds "GovLab", as a person expects.
    return {tag.casefold() for tag in tags}


def _contains(article: Article, needle: str) -> bool:
    needle = needle.casefold()
    return any(
        needle in t.title.casefold()
        or needle in t.body.casefold()
        or needle in t.summary.casefold()
        for t in article.translations.values()
    )


def _indexed_search(query: Query) -> bool:
    """Whether the index's search texts answer the query's text search."""
    from opdc_cli.index import searchable

    return bool(query.search) and searchable(query.search)


def _answerable(query: Query) -> bool:
    """Whether the index answers `query` without the full articles: no text search,
    or one its search texts answer (shorter needles are looked for in every article)."""
    return not query.search or _indexed_search(query)


def _pushdown(query: Query, config: SiteConfig) -> Pushdown:
    """What of `query` the index's SQL answers exactly: the filters on its columns,
    and the order and limit when no filter is left for Python to apply."""
    from opdc_cli.index import MAX_INT, Pushdown, epoch_us

    now = query.now
    # What SQLite cannot hold (a huge id or limit) or Python reads otherwise (a
    # negative limit) stays with Python.
    pushable_ids = len(query.ids) <= 500 and all(
        isinstance(i, int) and abs(i) <= MAX_INT for i in query.ids
    )
    ids = query.ids if query.ids and pushable_ids else None
    lang = query.lang if query.lang and " " not in query.lang else None
    missing = query.missing_lang if query.missing_lang and " " not in query.missing_lang else None
    aware = now is not None and now.utcoffset() is not None
    states = query.states if query.states and aware else None
    left_to_python = bool(
        (query.ids and ids is None)
        or (query.states and states is None)
        or query.tags
        or (query.lang and lang is None)
        or (query.missing_lang and missing is None)
        or query.search
    )
    sort = query.sort if query.sort in ("date", "id") and not left_to_python else None
    return Pushdown(
        ids=ids,
        categories=query.categories or None,
        since_day=query.since.toordinal() if query.since else None,
        until_day=query.until.toordinal() if query.until else None,
        lang=lang,
        missing_lang=missing,
        states=states,
        now_us=epoch_us(now) if states and now is not None else 0,
        order=sort,
        ascending=query.reverse,
        limit=query.limit
        if sort and query.limit is not None and 0 <= query.limit <= MAX_INT
        else None,
    )


class CacheWarning(UserWarning):
    """The index in .opdc/ was damaged (and rebuilt) or could not be used (and was bypassed)."""


@dataclass
class Site:
    """A site on disk: its settings, its articles and its media.

    With `cache` (the default) articles are answered from the index in `.opdc/`,
    brought up to date with the files first; without it every file is read. The
    answers are the same. `warn` receives the index's one-line warnings (damaged
    and rebuilt, or unusable and bypassed); by default they go to `warnings`.
    """

    config: SiteConfig
    cache: bool = True
    problems: list[OpdcError] = field(default_factory=list)
    warn: Callable[[str], None] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The Thai words found while working on this site are kept beside its index
        # (opened on first use); --no-cache segments every time, like it reads every file.
        thai.keep_words(self.cache_dir / wordstore.FILE_NAME if self.cache else None)

    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        *,
        cache: bool = True,
        warn: Callable[[str], None] | None = None,
    ) -> Site:
        """The site at `path` (or found as `opdc` finds it); site.toml is checked now."""
        root = find_site_root(Path(path) if path is not None else None)
        return cls(load_config(root / SITE_FILE), cache=cache, warn=warn)

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

    @property
    def preview_dir(self) -> Path:
        """Where opdc serve builds the site it serves: a cache, never read as a source."""
        return self.cache_dir / "serve"

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
        """The articles `query` selects (all, newest first, by default).

        `problems` then lists every article file that could not be read.
        """
        query = self._resolved(query)
        if self.cache:
            found = self._indexed(
                lambda session: self._articles_from(session, query), search=_indexed_search(query)
            )
            if found is not None:
                return found
        return query.select(self.read_all(), self.config)

    def summaries(self, query: Query | None = None) -> list[ArticleSummary]:
        """What `articles(query)` gives, as summaries: no text, but from the index
        they cost a fraction of full articles (what `opdc list` shows)."""
        query = self._resolved(query)
        if self.cache and _answerable(query):
            found = self._indexed(
                lambda session: self._summaries_from(session, query), search=bool(query.search)
            )
            if found is not None:
                return found
        return [ArticleSummary.of(a, self.root) for a in self._direct(query)]

    def ids(self, query: Query | None = None) -> list[int]:
        """The ids of what `articles(query)` gives, in its order: from the index,
        the cheapest answer there is (`opdc list --format ids`)."""
        query = self._resolved(query)
        if self.cache and _answerable(query):
            found = self._indexed(
                lambda session: [x.id for x in self._lights(session, query)],
                search=bool(query.search),
            )
            if found is not None:
                return found
        return [a.id for a in self._direct(query)]

    def _direct(self, query: Query) -> list[Article]:
        """articles(query), without asking the index again when it was just bypassed
        (its warning is then said once, not twice)."""
        if self.cache and _answerable(query):
            return query.select(self.read_all(), self.config)
        return self.articles(query)

    def _resolved(self, query: Query | None) -> Query:
        # One clock reading for the whole answer, whichever path gives it.
        query = query or Query()
        return query if query.now is not None else replace(query, now=clock.now(self.config.tz))

    def warning(self, message: str) -> None:
        """A one-line warning about the site: to `warn`, else to `warnings`."""
        if self.warn is not None:
            self.warn(message)
        else:
            warnings.warn(message, UserWarning, stacklevel=2)

    def _warn(self, message: str) -> None:
        if self.warn is not None:
            self.warn(message)
        else:
            # Pointing at the caller of articles() or summaries().
            warnings.warn(message, CacheWarning, stacklevel=5)

    def _indexed(self, work: Callable[[Session], R], *, search: bool = False) -> R | None:
        from opdc_cli import index

        def both(session: Session) -> tuple[R, list[OpdcError]]:
            return work(session), session.problems()

        found = index.run(self.config, self._warn, both, search=search)
        if found is None:
            return None
        result, self.problems = found
        return result

    def _lights(self, session: Session, query: Query) -> list[_Light]:
        """What passes every filter, from the index's columns (the text search from its
        search texts): ordered and cut to the limit unless a search is still to come."""
        assert query.now is not None
        config, now = self.config, query.now
        rows = session.rows(
            _pushdown(query, config), tags=bool(query.tags), titles=query.sort == "title"
        )
        picked = [light for light in map(_light, rows) if query.matches_fields(light, config, now)]
        if _indexed_search(query):
            # Exactly the articles the substring test keeps: no article is unpacked.
            holding = session.search(query.search)
            return query.order([x for x in picked if x.id in holding], config)
        return picked if query.search else query.order(picked, config)

    def _summaries_from(self, session: Session, query: Query) -> list[ArticleSummary]:
        assert query.now is not None and _answerable(query)
        config, now, root = self.config, query.now, self.root
        rows = session.rows(_pushdown(query, config), summary=True)
        holding = session.search(query.search) if query.search else None
        picked = [
            summary
            for summary in (_summary(row, root) for row in rows)
            if (holding is None or summary.id in holding)
            and query.matches_fields(summary, config, now)
        ]
        return query.order(picked, config)

    def _articles_from(self, session: Session, query: Query) -> list[Article]:
        chosen = self._lights(session, query)
        # The same Python filter and order as without the index, on the full
        # articles; the limit once only, since a negative one cuts again each time.
        cut = bool(query.search) and not _indexed_search(query)  # _lights did not cut
        final = query if cut else replace(query, limit=None)
        return final.select(session.articles([x.id for x in chosen]), self.config)

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

    def output_clash(self, target: Path, *, folder: bool = False) -> str | None:
        """Why an output at `target` would harm the site's sources, or None.

        No command writes into articles/, media/, templates/ or .opdc/, onto
        site.toml, or (for a `folder` output) into a folder holding the site.
        """
        target = target.resolve()
        root = self.root.resolve()
        if target == root / SITE_FILE:
            return f"that is the site's {SITE_FILE}; write the output elsewhere"
        if folder and (target == root or root.is_relative_to(target)):
            return (
                "that folder holds the site itself; export into a folder of its own, e.g. -o public"
            )
        for inner in ("articles", "media", "templates", ".opdc"):
            if target.is_relative_to(root / inner) and not target.is_relative_to(
                self.preview_dir.resolve()
            ):
                return f"inside the site's {inner}/, which opdc reads; choose another place"
        return None

    def media_folder(self, article_id: int) -> Path:
        return self.media_dir / str(article_id)

    @contextlib.contextmanager
    def edit(self, article_id: int, hint: Iterable[Path] = ()) -> Iterator[ArticleEdit]:
        """Article `article_id` read from its files under its lock, to change and write
        back (see opdc_cli.edit): other opdc commands changing it wait, and a file
        changed on disk meanwhile (an editor's save) makes the write fail, not be lost.
        `hint`: where its files were seen (an Article's `sources`).
        """
        from opdc_cli.edit import open_edit

        with open_edit(self, article_id, tuple(hint)) as editing:
            yield editing

    def save(self, article: Article, form: str | None = None) -> list[Path]:
        """Write `article` whole in place of the stored one (under its lock, both files of
        a pair or neither), in its form or `form`: the paths written. For a change of
        form; `edit` keeps a person's comments where a change allows it."""
        if not article.sources:
            raise ValueError("save() writes back an article read from the site; create() makes one")
        with self.edit(article.id, article.sources) as editing:
            return editing.rewrite(article, form or article.form)

    def _folder_for(self, article: Article) -> Path:
        # New articles go under articles/<year>/, the way the sample site is laid out.
        return self.articles_dir / f"{article.date.astimezone(self.config.tz).year:04d}"

    def create(
        self,
        make: Callable[[int], Article],
        form: str | None = None,
        *,
        attempts: int = 1000,
        prefer: int | None = None,
        taken: set[int] | None = None,
    ) -> tuple[Article, list[Path]]:
        """Allocate a fresh id, build the article with it and write it; never reuses an id.

        The id is reserved by creating media/<id>/ (mkdir is atomic: of two people
        asking at once, one gets it, the other moves on), and the file itself is
        created exclusively, so no article can overwrite another. `prefer` is tried
        first (an import keeping its source's ids); when taken, the next free id is used.
        `taken`: the ids in use, from a caller that creates many articles and keeps
        count itself (rather than articles/ scanned again for each).
        """
        form = form or self.config.article_format
        if taken is None:
            taken = {f.id for f in self.files()}
        start = max([self.config.first_id - 1, *taken]) + 1
        self.media_dir.mkdir(parents=True, exist_ok=True)
        for candidate in _candidates(start, prefer, taken, attempts):
            folder = self.media_folder(candidate)
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            target: Path | None = None
            made = False
            try:
                article = make(candidate)
                target = self._folder_for(article)
                made = not target.exists()
                _remove_leftovers(target)
                paths = store.write_article(
                    article, target, form, self.config.languages, exclusive=True
                )
            except FileExistsError:
                _remove_empty(folder)
                continue
            except BaseException:
                # Nothing of a failed article stays behind: not its id's folder, nor
                # the year's folder made for it.
                _remove_empty(folder)
                if made and target is not None:
                    _remove_empty(target)
                raise
            return replace(article, sources=tuple(paths), form=form), paths
        raise OpdcError(f"could not allocate a free article id after {attempts} tries")


def _candidates(start: int, prefer: int | None, taken: set[int], attempts: int) -> Iterator[int]:
    """The ids Site.create tries: `prefer` when free, then from `start` on, skipping the
    taken ones, `attempts` in all."""
    if prefer is not None and prefer > 0 and prefer not in taken:
        yield prefer
        attempts -= 1
    candidate = start
    while attempts > 0:
        if candidate not in taken and candidate != prefer:
            yield candidate
            attempts -= 1
        candidate += 1


def _remove_leftovers(folder: Path) -> None:
    # A killed writer's temporary files go when the next one writes into the folder.
    from opdc_cli.edit import stale_leftovers
    from opdc_cli.fsutil import remove_files

    remove_files(stale_leftovers(folder))


def _remove_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        os.rmdir(folder)
