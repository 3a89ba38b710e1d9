"""Rich renderables for the terminal: the article view and the list table.

Content is never passed to rich as markup (a title may contain "[/x]") and is
stripped of control characters first (an ESC in a title must not drive the
terminal). Thai paragraphs are wrapped here at word boundaries, because rich's
own wrapping splits Thai words.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from opdc_cli import documents, thai
from opdc_cli.gallery import GalleryItem, gallery, gallery_pages
from opdc_cli.labels import label, total_line
from opdc_cli.model import Article
from opdc_cli.site import SiteConfig
from opdc_cli.textio import drop_controls as clean

if TYPE_CHECKING:
    from opdc_cli.content import ArticleSummary

STATE_STYLES = {
    "draft": "yellow",
    "review": "magenta",
    "approved": "blue",
    "scheduled": "cyan",
    "published": "green",
    "expired": "dim",
}


def _lines(text: str, width: int, style: str = "", indent: str = "") -> list[Text]:
    out = []
    for line in thai.wrap(clean(text), max(10, width - thai.cell_width(indent))):
        out.append(Text(indent + line, style=style, no_wrap=True, overflow="ignore"))
    return out


def _photo_lines(item: GalleryItem, lang: str, width: int) -> list[Text]:
    """One photo of the list: its web file and size (or that it has none yet), its caption."""
    entry = Text("  ")
    if item.ready:
        entry.append(clean(item.web))
        entry.append(f" ({item.size_label})", style="dim")
    else:
        entry.append(clean(item.original))
        entry.append("  (no web size yet: run opdc media resize)", style="yellow")
    caption = item.photo.caption(lang)
    return [entry, *(_lines(caption, width, "dim", indent="    ") if caption else [])]


def article_view(
    article: Article, config: SiteConfig, lang: str, width: int, now: datetime, media_dir: Path
) -> RenderableType:
    """The article as the page shows it: category, title, date, paragraphs, credit,
    event, gallery with sizes in kb and the count line."""
    translation = article.translation(lang)
    if translation is None:
        lang = article.languages[0]
        translation = article.translations[lang]
    parts: list[RenderableType] = []
    parts.append(Text(clean(config.category_name(article.category, lang)), style="bold magenta"))
    parts.append(Text(""))
    parts.extend(_lines(translation.title, width, "bold"))
    state = article.state(now)
    meta = Text(thai.format_date(article.date.astimezone(config.tz), lang, time=True), style="dim")
    meta.append("  ·  ")
    meta.append(label(lang, state), style=STATE_STYLES[state])
    meta.append(f"  ·  #{article.id}", style="dim")
    parts.append(meta)
    if translation.summary:
        parts.append(Text(""))
        parts.extend(_lines(translation.summary, width, "italic"))
    for paragraph in translation.paragraphs:
        parts.append(Text(""))
        parts.extend(_lines(paragraph, width, indent="    "))
    if translation.credit:
        parts.append(Text(""))
        parts.extend(_lines(translation.credit, width, "dim"))
    if article.event:
        event = article.event
        when = thai.format_date_range(event.start, event.end, lang)
        line = f"{label(lang, 'event')}: {when}"
        if event.place(lang):
            line += f" · {event.place(lang)}"
        parts.append(Text(""))
        parts.extend(_lines(line, width, "cyan"))
    if article.photos:
        parts += _gallery_lines(article, config, lang, width, media_dir)
    if article.attachments:
        parts += _attachment_lines(article, lang, width, media_dir)
    if article.tags:
        parts.append(Text(""))
        parts.append(
            Text(
                f"{label(lang, 'tags')}: " + ", ".join(clean(t) for t in article.tags), style="dim"
            )
        )
    return Group(*parts)


def _gallery_lines(
    article: Article, config: SiteConfig, lang: str, width: int, media_dir: Path
) -> list[RenderableType]:
    """The photos, paged as the article's pages page them (a count line closes each
    page), then the photos without a web size yet."""
    parts: list[RenderableType] = [Text(""), Text(label(lang, "photos"), style="bold")]
    items = gallery(media_dir, article)
    pages = gallery_pages(items, config.media.gallery_page_size)
    shown = sum(len(page) for page in pages)
    for number, page in enumerate(pages, start=1):
        for item in page:
            parts.extend(_photo_lines(item, lang, width))
        if page:
            parts.append(Text(total_line(lang, shown, number, len(pages))))
    for item in items:
        if not item.ready:
            parts.extend(_photo_lines(item, lang, width))
    if not shown:
        parts.append(Text(total_line(lang, 0)))
    return parts


def _attachment_lines(
    article: Article, lang: str, width: int, media_dir: Path
) -> list[RenderableType]:
    """The attachments: each title, then its file and what it is (or that it is missing)."""
    parts: list[RenderableType] = [Text(""), Text(label(lang, "attachments"), style="bold")]
    for attachment in article.attachments:
        parts.extend(_lines(attachment.title(lang), width, indent="  "))
        info = documents.attached_info(media_dir, article.id, attachment.file)
        facts = documents.details(info, lang) if info else "missing from media/"
        entry = Text("    ")
        entry.append(clean(attachment.file))
        entry.append(f" ({facts})", style="dim" if info else "yellow")
        parts.append(entry)
    return parts


LIST_COLUMNS = ("ID", "Date", "Category", "Status", "Lang", "Photos", "Title")


def list_rows(
    articles: Iterable[Article | ArticleSummary], config: SiteConfig, lang: str, now: datetime
) -> list[tuple[str, ...]]:
    """One row of plain strings per article, in the columns of LIST_COLUMNS."""
    rows: list[tuple[str, ...]] = []
    for article in articles:
        rows.append(
            (
                str(article.id),
                thai.format_date(article.date.astimezone(config.tz), lang, short=True),
                clean(config.category_name(article.category, lang)),
                article.state(now),
                ",".join(article.languages),
                str(article.photo_count),
                clean(article.title(lang)),
            )
        )
    return rows


# When the terminal is narrow, these columns give way, first to last, before the
# title gets narrower than TITLE_MIN cells; the id is never cut.
GIVE_WAY = ("Photos", "Lang", "Status", "Category")
TITLE_MIN = 24
# Cells between two columns: rich's padding of one on each side (none at the edges).
GAP = 2


def list_columns(rows: list[tuple[str, ...]], width: int) -> tuple[list[int], int]:
    """Which columns of LIST_COLUMNS fit `width` cells, and the title's width.

    Columns are dropped in GIVE_WAY order while the title would be narrower than
    TITLE_MIN; the id and date always stay, whole.
    """
    widths = _widths(rows)
    kept = list(range(len(LIST_COLUMNS) - 1))

    def title_room() -> int:
        return width - sum(widths[i] + GAP for i in kept)

    for name in GIVE_WAY:
        if title_room() >= min(TITLE_MIN, widths[-1]):
            break
        kept.remove(LIST_COLUMNS.index(name))
    return kept, max(thai.cell_width(LIST_COLUMNS[-1]), min(widths[-1], title_room()))


def _widths(rows: Iterable[tuple[str, ...]]) -> list[int]:
    """Each column's width in cells: its widest cell, the header's name included."""
    widths = [thai.cell_width(name) for name in LIST_COLUMNS]
    for row in rows:
        for i, cell in enumerate(row):
            size = thai.cell_width(cell)
            if size > widths[i]:
                widths[i] = size
    return widths


def _aligned(row: tuple[str, ...], columns: list[int], widths: list[int]) -> list[str]:
    """The cells of `row` in `columns`, each padded to its width (numbers to the right)."""
    cells = []
    for i in columns:
        pad = " " * (widths[i] - thai.cell_width(row[i]))
        cells.append(pad + row[i] if LIST_COLUMNS[i] in ("ID", "Photos") else row[i] + pad)
    return cells


def _cut_titles(rows: list[tuple[str, ...]], title_width: int) -> list[tuple[str, ...]]:
    return [(*row[:-1], thai.truncate(row[-1], title_width)) for row in rows]


class ListTable:
    """The table of `opdc list` on a terminal: the header in bold, the status in its
    colour, columns laid out by list_columns and _aligned as in plain_table.

    Given to rich as finished lines (segments): a rich Table measured every cell of
    10,000 rows again, five seconds of CPU where the layout is already known."""

    def __init__(self, rows: list[tuple[str, ...]], width: int) -> None:
        kept, title_width = list_columns(rows, width)
        self.rows = _cut_titles(rows, title_width)
        self.columns = [*kept, len(LIST_COLUMNS) - 1]
        self.widths = _widths([tuple(LIST_COLUMNS), *self.rows])

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        bold = Style(bold=True)
        styles = {state: Style.parse(colour) for state, colour in STATE_STYLES.items()}
        status = LIST_COLUMNS.index("Status")
        gap = Segment(" " * GAP)
        header = gap.text.join(_aligned(LIST_COLUMNS, self.columns, self.widths)).rstrip()
        yield Segment(header, bold)
        yield Segment.line()
        # One segment for the cells before the status, one for it, one for the rest:
        # rich's cost is per segment.
        at = self.columns.index(status) if status in self.columns else len(self.columns)
        for row in self.rows:
            cells = _aligned(row, self.columns, self.widths)
            before = gap.text.join(cells[:at])
            if at < len(cells):
                yield Segment(before + gap.text)
                yield Segment(cells[at], styles.get(row[status]))
                yield Segment((gap.text + gap.text.join(cells[at + 1 :])).rstrip())
            else:
                yield Segment(before.rstrip())
            yield Segment.line()


def list_table(rows: list[tuple[str, ...]], width: int) -> ListTable:
    """The table of `opdc list` for a terminal `width` cells wide: titles cut at a
    word boundary, columns given up (GIVE_WAY) rather than the id cut."""
    return ListTable(rows, width)


def plain_table(rows: list[tuple[str, ...]], title_width: int = 60) -> str:
    """The list as aligned plain text for pipes: Thai-aware padding, titles cut at words."""
    rows = _cut_titles(rows, title_width)
    columns = list(range(len(LIST_COLUMNS)))
    widths = _widths([LIST_COLUMNS, *rows])
    lines = [
        (" " * GAP).join(_aligned(row, columns, widths)).rstrip() for row in [LIST_COLUMNS, *rows]
    ]
    return "\n".join(lines) + "\n"
