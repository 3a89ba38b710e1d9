"""opdc init, new-article, list and show."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opdc_cli import clock, thai
from opdc_cli.cli.common import (
    CategoryOption,
    LangOption,
    LimitOption,
    MissingLangOption,
    OpdcCommand,
    ReverseOption,
    SearchOption,
    SinceOption,
    SiteOption,
    Sort,
    SortOption,
    StatusOption,
    TagOption,
    UntilOption,
    at_least,
    build_query,
    display_path,
    err,
    escape,
    fail,
    open_site,
    out,
    parse_when,
    report_problems,
    stdout_is_terminal,
    usage,
    warn,
)
from opdc_cli.errors import ArticleNotFound, OpdcError

if TYPE_CHECKING:
    from opdc_cli.cli.prompts import Asker
    from opdc_cli.content import ArticleSummary, Site
    from opdc_cli.model import Article, Status
    from opdc_cli.site import SiteConfig


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    ids = "ids"


class Form(StrEnum):
    toml = "toml"
    txt = "txt"


def init(
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR",
            help="Where to create the site (made if missing); asked for in a terminal.",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="The site's name in Thai.")] = "เว็บไซต์ข่าว",
    name_en: Annotated[str, typer.Option(help="The site's name in English.")] = "News site",
    base_url: Annotated[
        str, typer.Option(metavar="URL", help="The address the site is published under.")
    ] = "https://www.example.go.th/",
    force: Annotated[
        bool,
        typer.Option("--force", help="Make the site in a folder that already holds other files."),
    ] = False,
) -> None:
    """Create a new site: a commented site.toml, articles/, media/ and a .gitignore.

    The folder must be new or empty unless --force is given.

    Examples:  opdc init news --name "สำนักงาน ก.พ.ร." --name-en "OPDC"  ·  opdc init .
    """
    from opdc_cli.scaffold import init_site

    if directory is None:
        directory = _ask_folder()
    created_files = init_site(
        directory, name_th=name, name_en=name_en, base_url=base_url, force=force
    )
    for created in created_files:
        style = "green" if created.action == "create" else "dim"
        err().print(f"[{style}]{created.action:>8}[/] {display_path(created.path)}")
    err().print("Next: [bold]opdc new-article[/] inside the site, or with --site.")


def _ask_folder() -> Path:
    """The folder for `opdc init` without one: asked in a terminal, else exit 2."""
    if not sys.stdin.isatty():
        usage("give the folder for the new site, e.g. 'opdc init news' ('opdc init .' for here)")
    from rich.prompt import Prompt

    answer = Prompt.ask("Folder for the new site", console=err(), default=str(Path.cwd()))
    return Path(answer.strip() or ".").expanduser()


def _read_body(option: str, value: Path | None) -> str:
    from opdc_cli.model import normalize_body

    if value is None:
        return ""
    from opdc_cli.textio import decode_text

    if str(value) == "-":
        data = sys.stdin.buffer.read()
        return normalize_body(decode_text(Path("<stdin>"), data))
    try:
        data = value.read_bytes()
    except OSError as exc:
        usage(f"{option}: cannot read {value}: {exc.strerror}")
    return normalize_body(decode_text(value, data))


def _body(options: tuple[str, str], text: str | None, file: Path | None) -> str | None:
    """The body given by --body or --body-file (not both), or None when neither was."""
    from opdc_cli.model import normalize_body

    if text is not None and file is not None:
        usage(f"{options[0]} and {options[1]}: give the body once, as text or as a file")
    if text is not None:
        return normalize_body(text)
    return _read_body(options[1], file) if file is not None else None


def _single_line(option: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        usage(f"{option}: must be a single line")
    return value.strip()


def _category(config: SiteConfig, value: str) -> str:
    """--category: a key, or a category's name in any language."""
    found = config.find_category(value)
    if found is not None:
        return found
    near = config.nearest_category(value)
    hint = f"did you mean {near!r}?" if near else f"use one of {', '.join(config.categories)}"
    usage(f"--category: unknown category {value!r}; {hint}")


def on_terminal() -> bool:
    """Is there a person at a terminal to ask, and to run an editor for?"""
    return sys.stdin.isatty() and sys.stderr.isatty()


@dataclass
class Answers:
    """What the new article is made of, from the options and then the questions."""

    title: str | None
    title_en: str | None
    category: str | None
    date: datetime | None
    credit: str | None
    bodies: dict[str, str | None]
    captions: list[dict[str, str]] = field(default_factory=list)


def _ask(asker: Asker, config: SiteConfig, answers: Answers, photos: list[str], edit: bool) -> None:
    """Ask on the terminal for what the options left out; bodies and captions only
    without --edit (the editor is where they go then)."""
    primary = config.primary_language
    if not answers.title:
        answers.title = asker.required(f"Title ({primary})", "a title")
    if config.english_second and answers.title_en is None:
        answers.title_en = asker.line("Title (en, Enter to add it later)")
    if answers.category is None:
        answers.category = asker.category(config)
    if answers.date is None:
        answers.date = asker.date(config, clock.now(config.tz).replace(second=0, microsecond=0))
    if answers.credit is None:
        answers.credit = asker.line(f"Credit ({primary})", config.credit.get(primary) or None)
    if edit:
        return
    for lang in _text_languages(config, answers):
        if answers.bodies.get(lang) is None:
            empty = (
                "No text: the article is kept as a draft."
                if lang == primary
                else "No text: this version is not published yet."
            )
            answers.bodies[lang] = asker.body(f"Body ({lang})", empty)
    for name in photos:
        captions = {}
        for lang in _text_languages(config, answers):
            captions[lang] = asker.line(f"Caption of {name} ({lang}, also its alt text)")
        answers.captions.append(captions)


def _text_languages(config: SiteConfig, answers: Answers) -> list[str]:
    """The languages the article is written in: the primary one, English with a title."""
    primary = config.primary_language
    english = answers.title_en and config.english_second
    return [primary, *(["en"] if english else [])]


# Long for its typer options (one annotated parameter each); the body is ~50 lines.
def new_article(
    ctx: typer.Context,
    title: Annotated[
        str | None, typer.Option(help="The title in the primary language (Thai).")
    ] = None,
    title_en: Annotated[str | None, typer.Option(help="The English title.")] = None,
    category: Annotated[
        str | None,
        typer.Option(metavar="KEY", help="A category from site.toml: its key or its name."),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help=(
                "Publication date: 2018-04-27, 2018-04-27T09:30, 27/04/2561 or "
                "'27 เมษายน 2561 09:30'. Default: now."
            ),
        ),
    ] = None,
    credit: Annotated[
        str | None, typer.Option(help="The credit line; default: the credit table of site.toml.")
    ] = None,
    credit_en: Annotated[str | None, typer.Option(help="The English credit line.")] = None,
    summary: Annotated[str, typer.Option(help="A short summary in the primary language.")] = "",
    summary_en: Annotated[str, typer.Option(help="A short English summary.")] = "",
    body: Annotated[str | None, typer.Option(help="The primary-language body, as text.")] = None,
    body_en: Annotated[str | None, typer.Option(help="The English body, as text.")] = None,
    body_file: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="The primary-language body, a text file ('-': stdin)."),
    ] = None,
    body_en_file: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="The English body, a text file ('-': stdin)."),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option(metavar="TAG", help="A tag; repeat for more.")
    ] = None,
    image: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="A photo to add, as with 'opdc media add' (repeatable); all are checked first.",
        ),
    ] = None,
    draft: Annotated[bool, typer.Option(help="Create it as a draft (not published).")] = False,
    form: Annotated[
        Form | None,
        typer.Option(
            "--format", help="toml (one file) or txt (one per language); default from site.toml."
        ),
    ] = None,
    edit: Annotated[
        bool,
        typer.Option(
            help=(
                "Open $VISUAL or $EDITOR on the new file, whose comments show where each "
                "body and caption goes; needs a terminal."
            )
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the new article as JSON.")] = False,
    no_input: Annotated[
        bool,
        typer.Option("--no-input", help="Never ask; exit 2 when the title or category is missing."),
    ] = False,
    site_dir: SiteOption = None,
) -> None:
    """Create an article with the next free id; print the new file's path.

    In a terminal it asks for what the options leave out: title, English title,
    category (its number, key or name), date, credit, then the text of each
    language that has a title and a caption for each photo. The text is typed
    or pasted at the prompt, which works in any terminal with no editor to
    learn: one empty line between paragraphs, Ctrl-D or two empty lines to end.
    Use --edit to write it in your editor instead. Ctrl-C or Ctrl-D at a
    question stops with nothing written (exit 130).

    Nothing that fails 'opdc validate' is published: such an article (no Thai
    text, a photo without its Thai caption) is created as a draft, and the
    errors are listed with the command that finishes it. An English version
    with a title and no text yet is kept, but not published until it has one.

    With --edit the article is a draft while the editor runs; on closing it, it
    is checked and published (unless --draft) and written back without the
    guiding comments. If the editor fails, the draft is kept as it was before
    the editor ran, and the exit status is 1.

    Examples:

      opdc new-article

      opdc new-article --edit --title "ประชุม" --category activities

      opdc new-article --no-input --title "ประชุม" --category ข่าวกิจกรรม
      --body "ย่อหน้าแรก"

      opdc new-article --no-input --title "ประชุม" --title-en "Meeting"
      --category activities --date 27/04/2561 --body-file body.txt
      --body-en-file body-en.txt
    """
    site = open_site(ctx, site_dir)
    config = site.config
    terminal = on_terminal()
    if edit and not terminal:
        usage("--edit needs a terminal to run the editor in; give the text with --body-file")
    stdin_readers = [f for f in (body_file, body_en_file) if f is not None and str(f) == "-"]
    if len(stdin_readers) > 1:
        usage("--body-file and --body-en-file cannot both read stdin ('-')")
    answers = Answers(
        title=_single_line("--title", title) if title else None,
        title_en=_single_line("--title-en", title_en) if title_en is not None else None,
        category=_category(config, category) if category is not None else None,
        date=parse_when(date, config.tz, "--date"),
        credit=credit,
        bodies={
            config.primary_language: _body(("--body", "--body-file"), body, body_file),
            "en": _body(("--body-en", "--body-en-file"), body_en, body_en_file),
        },
    )
    if (answers.bodies["en"] or credit_en or summary_en) and not answers.title_en:
        usage("English text was given without --title-en")
    # Checked before an id is allocated: a bad photo leaves no trace.
    from opdc_cli.cli.media import checked_images

    images = checked_images(image or [], config.media)
    if not no_input and terminal:
        from opdc_cli.cli.prompts import Asker

        _ask(Asker(err()), config, answers, [i.path.name for i in images], edit)
    missing = [
        option
        for option, value in (("--title", answers.title), ("--category", answers.category))
        if not value
    ]
    if missing:
        usage(f"missing {' and '.join(missing)} (no terminal to ask on, or --no-input)")
    article = _write_draft(site, answers, credit_en, summary, summary_en, tag, form)
    from opdc_cli.media import add_photos

    for info, captions in zip_longest(images, answers.captions):
        article, _ = add_photos(site, article, [info], captions)
    if edit:
        article = _edit_draft(site, article)
    article = _publish_if_ready(site, article, publish=not draft)
    if as_json:
        from opdc_cli.serialize import article_record

        record = article_record(article, config, clock.now(config.tz), site.media_dir)
        out().file.write(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    else:
        for path in article.sources:
            out().file.write(display_path(path) + "\n")


def _write_draft(
    site: Site,
    answers: Answers,
    credit_en: str | None,
    summary: str,
    summary_en: str,
    tags: list[str] | None,
    form: Form | None,
) -> Article:
    """The article written with a new id, as a draft: it is published only once its
    files pass the checks of opdc validate."""
    from opdc_cli.model import Article, Translation

    config = site.config
    primary = config.primary_language
    assert answers.title and answers.category
    translations = {
        primary: Translation(
            title=answers.title,
            body=answers.bodies.get(primary) or "",
            summary=summary.strip(),
            credit=(
                answers.credit if answers.credit is not None else config.credit.get(primary, "")
            ).strip(),
        )
    }
    if answers.title_en and config.english_second:
        translations["en"] = Translation(
            title=answers.title_en,
            body=answers.bodies.get("en") or "",
            summary=summary_en.strip(),
            credit=(credit_en if credit_en is not None else config.credit.get("en", "")).strip(),
        )
    when = answers.date or clock.now(config.tz).replace(microsecond=0)
    category = answers.category

    def make(article_id: int) -> Article:
        from opdc_cli.workflow import translated_at_once

        return translated_at_once(
            Article(
                id=article_id,
                category=category,
                date=when,
                status="draft",
                tags=tuple(dict.fromkeys(t.strip() for t in tags or () if t.strip())),
                translations=translations,
            )
        )

    return site.create(make, form.value if form else None)[0]


def _edit_draft(site: Site, article: Article) -> Article:
    """Rewrite the draft with comments saying where the text goes, run the editor on
    it, and read back what was saved. Exit 1 (the draft kept) if the editor fails or
    leaves a file opdc cannot read."""
    import shlex

    from opdc_cli import store
    from opdc_cli.fsutil import atomic_write

    config = site.config
    header = [
        f"Article {article.id}: a draft while you edit it. Save and close the editor when",
        "done: opdc then checks it as 'opdc validate' does and publishes it if it passes.",
    ]
    folder = article.sources[0].parent
    for name, text in store.guided(article, article.form, config.languages, header).items():
        atomic_write(folder / name, text)
    names = " ".join(shlex.quote(display_path(p)) for p in article.sources)
    kept = f"article {article.id} is kept as a draft, as written before the editor ran: {names}"
    failure = _edit(list(article.sources))
    if failure:
        fail(f"{failure}; {kept}")
    try:
        return site.article(article.id)
    except OpdcError as exc:
        fail(
            f"{exc.format(Path.cwd())}; the file is kept as you left it, a draft: "
            f"fix it, then run {_validate_command(site, article)}"
        )


def _edit(paths: list[Path]) -> str | None:
    """Run the editor on `paths` in this terminal; None, or why it failed."""
    import shlex
    import subprocess

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    command = [*shlex.split(editor), *(str(p) for p in paths)]
    try:
        status = subprocess.run(command, check=False).returncode
    except OSError as exc:
        return f"could not start the editor {editor!r}: {exc.strerror}"
    if status == 0:
        return None
    how = f"was stopped by signal {-status}" if status < 0 else f"exited with status {status}"
    return f"the editor {how}: {shlex.join(command)}"


def _validate_command(site: Site, article: Article) -> str:
    import shlex

    names = " ".join(shlex.quote(display_path(p)) for p in article.sources)
    root = site.root.resolve()
    inside = Path.cwd().resolve().is_relative_to(root)
    where = "" if inside else f"--site {shlex.quote(str(root))} "
    return f"opdc {where}validate {names}"


def _publish_if_ready(site: Site, article: Article, *, publish: bool) -> Article:
    """Publish the draft when asked and when its files pass the checks of `opdc
    validate`; else keep it a draft and say why, with the command that finishes it."""
    from opdc_cli.report import text_lines
    from opdc_cli.validate import check_files

    config = site.config
    console = err()
    problems = check_files(config, article.sources)
    errors = [p for p in problems if p.severity == "error"]
    # An article the editor marked published is checked like one asked for.
    wanted = publish or article.status == "published"
    status: Status = "published" if wanted and not errors else "draft"
    # A published article is written back in opdc's layout (an edited file loses its
    # guiding comments); a draft the editor left as a draft stays as it was saved.
    if status == "published" or article.status != status:
        sources = site.save(replace(article, status=status))
        article = replace(article, status=status, sources=tuple(sources))
    created = f"[green]created[/] article {article.id} ({len(article.sources)} file(s))"
    photos = f"photos go in {escape(display_path(site.media_folder(article.id)))}/"
    state: str = article.state(clock.now(config.tz))
    if state == "scheduled":
        state = (
            f"scheduled for {thai.format_date(article.date, config.primary_language, time=True)}"
        )
    if article.status == "published":
        console.print(f"{created}, {escape(state)}; {photos}")
    elif errors:
        found = f"{len(errors)} error(s)"
        console.print(f"{created} as a draft: opdc validate finds {found} in it; {photos}")
        console.file.write(text_lines(errors, Path.cwd()))
    else:
        console.print(f"{created} as a draft (--draft); {photos}")
    english = article.translation("en")
    if english is not None and not english.body and config.english_second:
        warn("English version has no body yet: it is not published until it has one")
    if article.status == "draft":
        files = " and ".join(display_path(p) for p in article.sources)
        publish_line = 'status = "published"'
        todo = (
            f"write what is missing in {files}, set {publish_line}"
            if errors
            else f"set {publish_line} in {files}"
        )
        check = _validate_command(site, article)
        console.print(escape(f"To publish it: {todo}, then run: {check}"), style="bold")
    return article


CSV_FIELDS = ("id", "date", "category", "status", "state", "languages", "photo_count", "tags")


def _write_machine(
    fmt: ListFormat, articles: list[ArticleSummary], site: Site, now: datetime
) -> None:
    from opdc_cli.serialize import summary_record

    stream = sys.stdout
    records = [summary_record(a, site.config, now) for a in articles]
    if fmt is ListFormat.json:
        stream.write(json.dumps(records, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    elif fmt is ListFormat.jsonl:
        stream.write(
            "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
        )
    else:
        import csv
        import io

        langs = site.config.languages
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*CSV_FIELDS, *(f"title_{lang}" for lang in langs), "paths"])
        # "; " between the items of a list cell, as `opdc export --format csv` does:
        # a tag ("Design Thinking") or a folder name may hold spaces.
        for r in records:
            row = [r[k] if not isinstance(r[k], list) else "; ".join(r[k]) for k in CSV_FIELDS]
            titles = [r["titles"].get(lang, "") for lang in langs]
            writer.writerow([*row, *titles, "; ".join(r["paths"])])
        stream.write(buffer.getvalue())


# Long for its typer options (one annotated parameter each); the body is ~30 lines.
def list_articles(
    ctx: typer.Context,
    category: CategoryOption = None,
    status: StatusOption = None,
    lang: LangOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    search: SearchOption = None,
    missing_lang: MissingLangOption = None,
    tag: TagOption = None,
    sort: SortOption = Sort.date,
    reverse: ReverseOption = False,
    limit: LimitOption = None,
    stale_translation: Annotated[
        str | None,
        typer.Option(
            metavar="LANG",
            help="Only articles whose LANG version was translated from an earlier primary text.",
        ),
    ] = None,
    fmt: Annotated[
        ListFormat,
        typer.Option("--format", "-f", help="table for people; json, jsonl, csv, ids for scripts."),
    ] = ListFormat.table,
    site_dir: SiteOption = None,
) -> None:
    """List articles, newest first.

    Examples:

      opdc list --category headline --since 2018-01-01

      opdc list --missing-lang en --format ids

      opdc list --format json | jq '.[].titles.th'
    """
    site = open_site(ctx, site_dir)
    query = build_query(
        site, category, status, lang, since, until, search, missing_lang, tag, sort, reverse, limit
    )
    now = clock.now(site.config.tz)
    if stale_translation is not None:
        # Workflow: the fingerprints are in the articles, not the index's columns.
        if stale_translation not in site.config.languages:
            usage(f"--stale-translation: {stale_translation!r} is not a site language")
        stale = [a.id for a in site.articles(query) if a.stale_translation(stale_translation)]
        # No id is negative: with none stale, (-1,) matches nothing.
        query = replace(query, ids=tuple(stale) or (-1,))
    if fmt is ListFormat.ids:
        # Nothing but the index's columns is needed: the cheapest answer.
        ids = site.ids(query)
        report_problems(site)
        sys.stdout.write("".join(f"{i}\n" for i in ids))
        return
    articles = site.summaries(query)
    report_problems(site)
    if fmt is not ListFormat.table:
        _write_machine(fmt, articles, site, now)
        return
    from opdc_cli.preview import list_rows, list_table, plain_table

    rows = list_rows(articles, site.config, lang or site.config.primary_language, now)
    if stdout_is_terminal():
        console = out()
        console.print(list_table(rows, console.width))
        err().print(f"[dim]{len(rows)} article(s)[/]")
    else:
        sys.stdout.write(plain_table(rows))


def _print_raw(site: Site, article_id: int, lang: str | None) -> None:
    """The article's files byte for byte, in language order; with `lang`, that language's.

    Read from the files, not the parsed article, so that a file too broken to
    parse can still be looked at.
    """
    files = [f for f in site.files() if f.id == article_id]
    if lang is not None and any(f.lang == lang for f in files):
        files = [f for f in files if f.lang == lang]
    if not files:
        raise ArticleNotFound(f"no article {article_id} in articles/")
    order = site.config.languages
    files.sort(key=lambda f: (order.index(f.lang) if f.lang in order else len(order), f.path))
    for file in files:
        if len(files) > 1:
            err().print(f"[dim]# {escape(display_path(file.path))}[/]")
        sys.stdout.flush()
        sys.stdout.buffer.write(file.path.read_bytes())
        sys.stdout.buffer.flush()


# Long for its typer options (one annotated parameter each); the body is ~30 lines.
def show(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(metavar="ID", help="The article's id.")],
    lang: Annotated[
        str | None,
        typer.Option(metavar="LANG", help="The language to show; default the primary one."),
    ] = None,
    raw: Annotated[
        bool,
        typer.Option(help="Print the file(s) exactly as stored; with --lang, that language's."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print every field as JSON.")] = False,
    width: Annotated[
        int | None,
        typer.Option(metavar="N", callback=at_least(20), help="Wrap at this many columns."),
    ] = None,
    translation_diff: Annotated[
        bool,
        typer.Option(
            "--translation-diff",
            help="Which primary-language parts changed since the --lang (default: second "
            "language) version was translated.",
        ),
    ] = False,
    site_dir: SiteOption = None,
) -> None:
    """Show one article as the page shows it: category, title, date, text, credit, event, photos.

    Examples:  opdc show 26461  ·  opdc show 26461 --lang en  ·  opdc show 26461 --raw
    """
    site = open_site(ctx, site_dir)
    config = site.config
    if lang is not None and lang not in config.languages:
        usage(f"--lang: {lang!r} is not a site language ({', '.join(config.languages)})")
    if raw:
        _print_raw(site, article_id, lang)
        return
    article = site.article(article_id)
    now = clock.now(config.tz)
    if translation_diff:
        from opdc_cli.cli.workflow import print_translation_diff

        others = list(article.languages[1:])
        target = lang or (others[0] if others else config.primary_language)
        print_translation_diff(article, target)
        return
    if as_json:
        from opdc_cli.serialize import article_record

        record = article_record(article, config, now, site.media_dir)
        sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        return
    from opdc_cli.preview import article_view

    chosen = lang or config.primary_language
    if article.translation(chosen) is None:
        warn(f"article {article.id} has no '{chosen}' translation; showing {article.languages[0]}")
    console = out(width)
    console.print(
        article_view(article, config, chosen, width or min(console.width, 100), now, site.media_dir)
    )


def register(app: typer.Typer) -> None:
    app.command(cls=OpdcCommand)(init)
    app.command("new-article", cls=OpdcCommand)(new_article)
    app.command("list", cls=OpdcCommand)(list_articles)
    app.command(cls=OpdcCommand)(show)
