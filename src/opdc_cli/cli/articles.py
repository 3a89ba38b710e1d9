"""opdc init, new-article, list and show."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import subprocess
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from opdc_cli.cli.common import (
    CategoryOption,
    LangOption,
    LimitOption,
    MissingLangOption,
    ReverseOption,
    SearchOption,
    SinceOption,
    Sort,
    SortOption,
    StatusOption,
    TagOption,
    UntilOption,
    build_query,
    display_path,
    err,
    escape,
    open_site,
    out,
    parse_when,
    report_problems,
    stdout_is_terminal,
    usage,
    warn,
)
from opdc_cli.content import ArticleSummary, Site
from opdc_cli.errors import ArticleNotFound, OpdcError
from opdc_cli.model import Article, Translation, normalize_body


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
        Path, typer.Argument(help="Where to create the site (made if missing).", file_okay=False)
    ] = Path("."),
    name: Annotated[str, typer.Option(help="The site's name in Thai.")] = "เว็บไซต์ข่าว",
    name_en: Annotated[str, typer.Option(help="The site's name in English.")] = "News site",
    base_url: Annotated[
        str, typer.Option(help="The address the site is published under.")
    ] = "https://www.example.go.th/",
) -> None:
    """Create a new site: a commented site.toml, articles/, media/ and a .gitignore.

    Example:  opdc init news --name "สำนักงาน ก.พ.ร." --name-en "OPDC"
    """
    from opdc_cli.scaffold import init_site

    for created in init_site(directory, name_th=name, name_en=name_en, base_url=base_url):
        style = "green" if created.action == "create" else "dim"
        err().print(f"[{style}]{created.action:>8}[/] {display_path(created.path)}")
    err().print("Next: [bold]opdc new-article[/] inside the site, or with --site.")


def _read_body(option: str, value: Path | None) -> str:
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


def _single_line(option: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        usage(f"{option}: must be a single line")
    return value.strip()


def _ask_missing(site: Site, given: dict[str, Any]) -> dict[str, Any]:
    """Prompt on the terminal for what the flags did not give."""
    from rich.prompt import Prompt

    from opdc_cli import thai

    console = err()
    config = site.config
    langs = config.languages
    if not given["title"]:
        given["title"] = Prompt.ask(f"Title ({langs[0]})", console=console).strip()
    if len(langs) > 1 and "en" in langs and given["title_en"] is None:
        given["title_en"] = Prompt.ask(
            "Title (en, empty to add later)", console=console, default="", show_default=False
        )
    if not given["category"]:
        keys = list(config.categories)
        for number, key in enumerate(keys, start=1):
            console.print(f"  {number}. {key} — {config.category_name(key, langs[0])}")
        choice = Prompt.ask(
            "Category",
            console=console,
            choices=[*keys, *(str(n) for n in range(1, len(keys) + 1))],
            show_choices=False,
            default=keys[0],
        )
        given["category"] = keys[int(choice) - 1] if choice.isdigit() else choice
    if given["date"] is None:
        default = datetime.now(config.tz).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M")
        while given["date"] is None:
            answer = Prompt.ask("Date", console=console, default=default)
            try:
                given["date"] = thai.parse_date(answer, config.tz)
            except thai.DateError as exc:
                console.print(f"[red]{exc}[/]")
    if given["credit"] is None:
        given["credit"] = Prompt.ask(
            f"Credit ({langs[0]})", console=console, default=config.credit.get(langs[0], "")
        )
    return given


def new_article(
    ctx: typer.Context,
    title: Annotated[
        str | None, typer.Option(help="The title in the primary language (Thai).")
    ] = None,
    title_en: Annotated[str | None, typer.Option(help="The English title.")] = None,
    category: Annotated[str | None, typer.Option(help="A category key from site.toml.")] = None,
    date: Annotated[
        str | None,
        typer.Option(
            help=(
                "Publication date: 2018-04-27, 2018-04-27T09:30, 27/04/2561 or "
                "'27 เมษายน 2561'. Default: now."
            )
        ),
    ] = None,
    credit: Annotated[
        str | None, typer.Option(help="The credit line; default from site.toml [credit].")
    ] = None,
    credit_en: Annotated[str | None, typer.Option(help="The English credit line.")] = None,
    summary: Annotated[str, typer.Option(help="A short summary in the primary language.")] = "",
    summary_en: Annotated[str, typer.Option(help="A short English summary.")] = "",
    body_file: Annotated[
        Path | None, typer.Option(help="The primary-language body, a text file ('-': stdin).")
    ] = None,
    body_en_file: Annotated[
        Path | None, typer.Option(help="The English body, a text file ('-': stdin).")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option(help="A tag; repeat for more.")] = None,
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
    edit: Annotated[bool, typer.Option(help="Open $EDITOR on the new file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the new article as JSON.")] = False,
    no_input: Annotated[
        bool,
        typer.Option("--no-input", help="Never prompt; fail (exit 2) when something is missing."),
    ] = False,
) -> None:
    """Create an article with the next free id; print the new file's path.

    Prompts for what the options leave out when run in a terminal.

    Examples:

      opdc new-article

      opdc new-article --no-input --title "ประชุม" --title-en "Meeting"
      --category activities --date 27/04/2561 --body-file body.txt
    """
    site = open_site(ctx)
    config = site.config
    if body_file is not None and str(body_file) == "-" and str(body_en_file) == "-":
        usage("--body-file and --body-en-file cannot both read stdin ('-')")
    given: dict[str, Any] = {
        "title": _single_line("--title", title) if title else None,
        "title_en": _single_line("--title-en", title_en) if title_en is not None else None,
        "category": category,
        "date": parse_when(date, config.tz, "--date"),
        "credit": credit,
    }
    # Checked before an id is allocated: a bad photo leaves no trace.
    from opdc_cli.cli.media import checked_images

    images = checked_images(image or [], config.media)
    interactive = not no_input and sys.stdin.isatty()
    if interactive:
        given = _ask_missing(site, given)
    missing = [f"--{k.replace('_', '-')}" for k in ("title", "category") if not given[k]]
    if missing:
        usage(f"missing {' and '.join(missing)} (no terminal to ask on, or --no-input)")
    if given["category"] not in config.categories:
        usage(
            f"--category: unknown category {given['category']!r}; "
            f"use one of {', '.join(config.categories)}"
        )
    body = _read_body("--body-file", body_file)
    body_en = _read_body("--body-en-file", body_en_file)
    if (body_en or credit_en or summary_en) and not given["title_en"]:
        usage("English text was given without --title-en")
    when = given["date"] or datetime.now(config.tz).replace(microsecond=0)
    primary = config.primary_language
    translations = {
        primary: Translation(
            title=given["title"],
            body=body,
            summary=summary.strip(),
            credit=(
                given["credit"] if given["credit"] is not None else config.credit.get(primary, "")
            ).strip(),
        )
    }
    if given["title_en"] and "en" in config.languages and primary != "en":
        translations["en"] = Translation(
            title=given["title_en"],
            body=body_en,
            summary=summary_en.strip(),
            credit=(credit_en if credit_en is not None else config.credit.get("en", "")).strip(),
        )

    def make(article_id: int) -> Article:
        return Article(
            id=article_id,
            category=given["category"],
            date=when,
            status="draft" if draft else "published",
            tags=tuple(dict.fromkeys(t.strip() for t in tag or () if t.strip())),
            translations=translations,
        )

    article, paths = site.create(make, form.value if form else None)
    if images:
        from opdc_cli.media import add_photos

        article, _ = add_photos(site, article, images)
    err().print(
        f"[green]created[/] article {article.id} ({len(paths)} file(s)); "
        f"photos go in {display_path(site.media_folder(article.id))}/"
    )
    if edit:
        _edit(paths[0])
        try:
            article = site.article(article.id)
        except OpdcError as exc:
            warn(
                f"{exc.format(Path.cwd())} "
                "(the file is kept as you left it; fix it and run opdc validate)"
            )
    if as_json:
        from opdc_cli.serialize import article_record

        record = article_record(article, config, datetime.now(config.tz), site.media_dir)
        out().file.write(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    else:
        for path in paths:
            out().file.write(display_path(path) + "\n")


def _edit(path: Path) -> None:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        subprocess.run([*shlex.split(editor), str(path)], check=False)
    except OSError as exc:
        warn(
            f"could not start the editor {editor!r}: {exc.strerror}; "
            f"edit {display_path(path)} yourself"
        )


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
    fmt: Annotated[
        ListFormat,
        typer.Option("--format", "-f", help="table for people; json, jsonl, csv, ids for scripts."),
    ] = ListFormat.table,
) -> None:
    """List articles, newest first.

    Examples:

      opdc list --category headline --since 2018-01-01

      opdc list --missing-lang en --format ids

      opdc list --format json | jq '.[].titles.th'
    """
    site = open_site(ctx)
    query = build_query(
        site, category, status, lang, since, until, search, missing_lang, tag, sort, reverse, limit
    )
    now = datetime.now(site.config.tz)
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


def show(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(metavar="ID", help="The article's id.")],
    lang: Annotated[
        str | None, typer.Option(help="The language to show; default the primary one.")
    ] = None,
    raw: Annotated[
        bool,
        typer.Option(help="Print the file(s) exactly as stored; with --lang, that language's."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print every field as JSON.")] = False,
    width: Annotated[int | None, typer.Option(min=20, help="Wrap at this many columns.")] = None,
) -> None:
    """Show one article as the page shows it: category, title, date, text, credit, event, photos.

    Examples:  opdc show 26461  ·  opdc show 26461 --lang en  ·  opdc show 26461 --raw
    """
    site = open_site(ctx)
    config = site.config
    if lang is not None and lang not in config.languages:
        usage(f"--lang: {lang!r} is not a site language ({', '.join(config.languages)})")
    if raw:
        _print_raw(site, article_id, lang)
        return
    article = site.article(article_id)
    now = datetime.now(config.tz)
    if as_json:
        from opdc_cli.serialize import article_record

        record = article_record(article, config, now, site.media_dir)
        sys.stdout.write(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        return
    from opdc_cli.preview import article_view

    chosen = lang or config.primary_language
    if article.translation(chosen) is None:
        warn(f"article {article.id} has no '{chosen}' translation; showing {article.languages[0]}")
    console = out()
    console.print(
        article_view(article, config, chosen, width or min(console.width, 100), now, site.media_dir)
    )


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command("new-article")(new_article)
    app.command("list")(list_articles)
    app.command()(show)
