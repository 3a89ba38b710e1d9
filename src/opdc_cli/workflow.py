"""The editorial workflow: draft → review → approved → published, kept in the files.

Each transition changes the article's `status` (and for `publish --at` its date)
and appends a [[history]] entry (at, by, action, note) through the
edit-preserving writer (`Site.edit`), under the article's lock, so a person's
comments and layout survive and simultaneous transitions all land.

What an article's status means for the public site is not decided here: the
publication gate (publish.py) and `model.publication_state` are the one home of
that rule; `due` only asks them when things change.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from opdc_cli.errors import OpdcError
from opdc_cli.fsutil import atomic_write
from opdc_cli.model import Article, HistoryEntry, Status, fingerprint, paragraphs_of
from opdc_cli.publish import goes_live_at
from opdc_cli.site import SiteConfig

if TYPE_CHECKING:
    from opdc_cli.content import Site

ENV_USER = "OPDC_USER"
LAST_EXPORT = "last-export.json"


class TransitionRefused(OpdcError):
    """A transition the article's state, or site.toml's [workflow], does not allow."""


@dataclass(frozen=True)
class Transition:
    action: str
    target: Status


TRANSITIONS = {
    "submit": Transition("submit", "review"),
    "approve": Transition("approve", "approved"),
    "reject": Transition("reject", "draft"),
    "publish": Transition("publish", "published"),
    "unpublish": Transition("unpublish", "draft"),
}


STATUS_WORDS = {"draft": "a draft", "review": "in review"}


def allowed_actions(status: str, config: SiteConfig) -> tuple[str, ...]:
    """The transitions an article of `status` may take next. A further approval of
    an approved article is one more approver's; publishing skips review and approval
    unless site.toml requires approval."""
    direct = () if config.workflow.require_approval else ("publish",)
    return {
        "draft": ("submit", *direct),
        "review": ("approve", "reject", *direct),
        "approved": ("approve", "publish", "reject"),
        "published": ("unpublish",),
    }.get(status, ())


def check_transition(article: Article, action: str, config: SiteConfig, by: str) -> None:
    """Raise TransitionRefused, saying what is allowed instead, unless `action` may
    be taken on `article` by `by`."""
    allowed = allowed_actions(article.status, config)
    # An approved status without an approval in the history (typed by hand) does
    # not count: the gate would stop the article (OPDC601).
    if action == "publish" and config.workflow.require_approval and not article.approved:
        raise TransitionRefused(
            f"article {article.id} is not approved (status {article.status}"
            f"{', but no approval in its history' if article.status == 'approved' else ''}), which "
            f"site.toml's [workflow] require_approval asks for before publishing: "
            f"opdc approve {article.id} --by NAME first",
            article.sources[0] if article.sources else None,
        )
    if action not in allowed:
        raise TransitionRefused(
            f"article {article.id} is {STATUS_WORDS.get(article.status, article.status)}: "
            f"cannot {action} it; "
            f"allowed next: {', '.join(allowed)}",
            article.sources[0] if article.sources else None,
        )
    approvers = config.workflow.approvers
    if action == "approve" and approvers and by not in approvers:
        raise TransitionRefused(
            f"{by!r} is not among site.toml's [workflow] approvers ({', '.join(approvers)})"
        )


def who(given: str | None) -> str:
    """Who takes a step: `given` (--by), else $OPDC_USER, else git's user.name."""
    for name in (given, os.environ.get(ENV_USER)):
        if name and name.strip():
            return name.strip()
    try:
        found = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    if not found:
        raise OpdcError("say who takes this step: --by NAME, or set OPDC_USER")
    return found


def transition(
    site: Site,
    article_id: int,
    action: str,
    by: str,
    now: datetime,
    note: str = "",
    at: datetime | None = None,
) -> tuple[Article, Article]:
    """Take `action` on article `article_id` (`at`: publish's new date); the
    article before and after. Raises TransitionRefused when it may not."""
    step = TRANSITIONS[action]
    with site.edit(article_id) as editing:
        before = editing.article
        check_transition(before, action, site.config, by)
        updated = replace(before, status=step.target, date=at or before.date)
        entry = HistoryEntry(now.replace(microsecond=0), by, action, note)
        return before, editing.change(updated, entry)


def mark_translated(site: Site, article_id: int, lang: str) -> Article:
    """Record in `lang`'s version the fingerprint of the primary text it now
    matches: the article as saved."""
    with site.edit(article_id) as editing:
        article = editing.article
        primary = next(iter(article.translations))
        version = article.translations.get(lang)
        if lang == primary:
            raise OpdcError(
                f"{lang} is the article's primary language: nothing it is translated from"
            )
        if version is None:
            raise OpdcError(f"article {article_id} has no {lang} version to mark as translated")
        source = fingerprint(article.translations[primary])
        translations = {**article.translations, lang: replace(version, translated_from=source)}
        return editing.change(replace(article, translations=translations))


def translated_at_once(article: Article) -> Article:
    """A new article written in several languages at once: each complete version
    records the primary text as its source, so a later change of it shows."""
    primary = next(iter(article.translations.values()), None)
    if primary is None or not primary.is_complete:
        return article
    source = fingerprint(primary)
    return replace(
        article,
        translations={
            lang: t if t is primary or not t.is_complete else replace(t, translated_from=source)
            for lang, t in article.translations.items()
        },
    )


# --- what changed in the primary text since a translation ---------------------------


@dataclass(frozen=True)
class TranslationDiff:
    """Which parts of the primary text changed since `lang`'s version was made:
    the title and summary, each current paragraph (1-based) not in the text it was
    made from, and how many paragraphs of that text are gone."""

    lang: str
    recorded: bool
    title: bool
    summary: bool
    paragraphs: tuple[tuple[int, str], ...]
    removed: int

    @property
    def changed(self) -> bool:
        return self.title or self.summary or bool(self.paragraphs) or bool(self.removed)


def translation_diff(article: Article, lang: str) -> TranslationDiff:
    primary = next(iter(article.translations.values()))
    version = article.translations.get(lang)
    recorded = version.translated_from if version else ()
    if len(recorded) < 2:
        return TranslationDiff(lang, False, False, False, (), 0)
    now = fingerprint(primary)
    old_paragraphs = list(recorded[2:])
    texts = paragraphs_of(primary.body)
    changed = []
    for number, (text, mark) in enumerate(zip(texts, now[2:], strict=True), start=1):
        if mark in old_paragraphs:
            old_paragraphs.remove(mark)
        else:
            changed.append((number, text))
    return TranslationDiff(
        lang,
        True,
        recorded[0] != now[0],
        recorded[1] != now[1],
        tuple(changed),
        len(old_paragraphs),
    )


# --- due: what goes live, expires or is withdrawn, and when ---------------------------


@dataclass(frozen=True)
class DueEvent:
    """A moment the public site changes for one article."""

    at: datetime
    id: int
    event: str  # "live", "expires", "withdrawn"
    title: str
    note: str = ""

    def record(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "id": self.id,
            "event": self.event,
            "title": self.title,
            "note": self.note,
        }


@dataclass(frozen=True)
class DueReport:
    now: datetime
    until: datetime
    last_export: datetime | None
    done: tuple[DueEvent, ...]
    coming: tuple[DueEvent, ...]
    blocked: tuple[DueEvent, ...]
    freeze: dict[str, Any] | None

    @property
    def out_of_date(self) -> bool:
        """The exported site misses a change: no export yet, or something happened since."""
        return self.last_export is None or bool(self.done)

    def record(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "until": self.until.isoformat(),
            "last_export": self.last_export.isoformat() if self.last_export else None,
            "out_of_date": self.out_of_date,
            "freeze": self.freeze,
            "done": [e.record() for e in self.done],
            "coming": [e.record() for e in self.coming],
            "blocked": [e.record() for e in self.blocked],
        }


def events(article: Article, config: SiteConfig) -> list[DueEvent]:
    """Every moment `article` changes on the public site, as far as its file says."""
    title = article.title(config.primary_language)
    found = []
    if article.status == "published":
        live = goes_live_at(config, article)
        held = " (held by the publishing freeze until then)" if live != article.live_since else ""
        if article.expires is None or live < article.expires:
            found.append(DueEvent(live, article.id, "live", title, held.strip(" ()")))
        if article.expires is not None:
            found.append(DueEvent(article.expires, article.id, "expires", title))
    for entry in article.history:
        if entry.action == "unpublish":
            found.append(DueEvent(entry.at, article.id, "withdrawn", title, entry.note))
    return found


def due(site: Site, now: datetime, within: timedelta) -> DueReport:
    """What changed on the public site since the last html export, and what changes
    within `within` from `now`."""
    config = site.config
    last = last_export(site)
    until = now + within
    done, coming, blocked = [], [], []
    for article in site.articles():
        if (
            config.workflow.require_approval
            and article.status == "published"
            and not article.approved
        ):
            title = article.title(config.primary_language)
            blocked.append(DueEvent(article.date, article.id, "needs approval", title))
            continue
        for event in events(article, config):
            # Never exported: the whole site is out of date, no list of what changed.
            if last is not None and last < event.at <= now:
                done.append(event)
            elif now < event.at <= until:
                coming.append(event)
    freeze = config.workflow.freeze
    frozen = None
    if freeze is not None and freeze.end > now - within and freeze.start <= until:
        frozen = {
            "from": freeze.start.isoformat(),
            "until": freeze.end.isoformat(),
            "reason": freeze.reason,
            "holds": freeze.holds(now),
        }

    def order(found: list[DueEvent]) -> tuple[DueEvent, ...]:
        return tuple(sorted(found, key=lambda e: (e.at, e.id, e.event)))

    return DueReport(now, until, last, order(done), order(coming), order(blocked), frozen)


def last_export(site: Site) -> datetime | None:
    """When `opdc export --format html` last ran to the end (its clock), or None."""
    path = site.cache_dir / LAST_EXPORT
    try:
        found = datetime.fromisoformat(json.loads(path.read_text("utf-8"))["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if found.utcoffset() is not None else None


def record_export(site: Site, now: datetime) -> None:
    """Note that the html export ran at `now`, for `opdc due --check`."""
    site.cache_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(site.cache_dir / LAST_EXPORT, json.dumps({"at": now.isoformat()}) + "\n")


def frozen_count(site: Site, now: datetime) -> int:
    """How many articles the publishing freeze holds back at `now`."""
    from opdc_cli.publish import frozen_out

    return sum(
        1 for a in site.articles() if a.status == "published" and frozen_out(site.config, a, now)
    )


def withdrawn_at(article: Article, now: datetime) -> datetime | None:
    """When `article` stopped being published, for its "withdrawn" page: its expiry
    once passed, or its last unpublishing while it is not published again; None
    for an article never withdrawn."""
    if article.state(now) == "expired":
        return article.expires
    if article.status != "published":
        gone = [e.at for e in article.history if e.action == "unpublish"]
        return gone[-1] if gone else None
    return None


def history_records(article: Article) -> list[dict[str, str]]:
    """The history, newest first, as JSON-ready records."""
    return [
        {"at": e.at.isoformat(), "by": e.by, "action": e.action, "note": e.note}
        for e in reversed(article.history)
    ]
