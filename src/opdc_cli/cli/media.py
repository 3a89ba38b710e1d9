"""opdc media add, opdc media resize and opdc media clean."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from opdc_cli.cli.common import (
    OpdcCommand,
    SiteOption,
    TidyGroup,
    at_least,
    display_path,
    err,
    escape,
    open_site,
    out,
    report_problems,
)
from opdc_cli.errors import OpdcError, UsageError

T = TypeVar("T")

if TYPE_CHECKING:
    from rich.progress import Task
    from rich.text import Text

    from opdc_cli.content import Site
    from opdc_cli.documents import DocumentInfo
    from opdc_cli.media import ImageInfo, Outcome, ResizePlan, ResizeReport
    from opdc_cli.model import Article
    from opdc_cli.site import MediaSettings

media_app = typer.Typer(
    cls=TidyGroup,
    name="media",
    help=(
        "Photos and documents of an article: copy them in under the canonical names, "
        "make the web sizes and thumbnails, remove what interrupted commands left.\n\n"
        "Examples:  opdc media add 26461 ~/camera/*.JPG  ·  opdc media resize 26461"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
)


def _problem_line(problem: OpdcError) -> None:
    err().print(f"[red]error:[/] {escape(problem.format(Path.cwd()))}")


def checked_images(paths: Sequence[Path], settings: MediaSettings) -> list[ImageInfo]:
    """Every path checked as a photo; each refused file is printed, then exit 1.

    Used by `media add` and `new-article --image` before anything is written.
    """
    from opdc_cli.media import check_images

    return _checked(check_images, paths, settings)


def checked_documents(paths: Sequence[Path], settings: MediaSettings) -> list[DocumentInfo]:
    """Every path checked as a document (`documents.check_documents`); each refused
    file is printed, then exit 1."""
    from opdc_cli.documents import check_documents

    return _checked(check_documents, paths, settings)


def _checked(
    check: Callable[[Sequence[Path], MediaSettings], list[T]],
    paths: Sequence[Path],
    settings: MediaSettings,
) -> list[T]:
    """`check(paths, settings)`, or each file it refused printed, then exit 1."""
    from opdc_cli.media import ImagesRejected

    try:
        return check(paths, settings)
    except ImagesRejected as rejected:
        for problem in rejected.problems:
            _problem_line(problem)
        count = len(rejected.problems)
        err().print(f"[red]{count} file(s) refused; nothing was changed[/]")
        raise typer.Exit(1) from None


def _captions(site: Site, caption: str | None, caption_en: str | None) -> dict[str, str]:
    config = site.config
    captions: dict[str, str] = {}
    if caption:
        captions[config.primary_language] = caption.strip()
    if caption_en:
        if "en" not in config.languages:
            raise UsageError("--caption-en: 'en' is not one of the site's languages")
        if not config.english_second:
            raise UsageError("--caption-en: English is the site's primary language: use --caption")
        captions["en"] = caption_en.strip()
    return captions


def _titles(
    site: Site, docs: Sequence[DocumentInfo], title: str | None, title_en: str | None
) -> list[dict[str, str]]:
    """Each document's title per language: from --title/--title-en for one document,
    else asked in a terminal (Enter leaves it out: validate then warns)."""
    config = site.config
    given = {config.primary_language: (title or "").strip()}
    if title_en:
        if "en" not in config.languages:
            raise UsageError("--title-en: 'en' is not one of the site's languages")
        given["en"] = title_en.strip()
    if (title or title_en) and len(docs) != 1:
        raise UsageError("--title and --title-en need exactly one FILE (a document)")
    titles = [dict(given) for _ in docs]
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return titles
    from opdc_cli.cli.prompts import Asker
    from opdc_cli.model import language_name

    asker = Asker(err())
    for doc, texts in zip(docs, titles, strict=True):
        for lang in config.languages:
            if not texts.get(lang):
                texts[lang] = asker.line(f"Title of {doc.path.name} in {language_name(lang)}")
    return titles


# Long for its typer options (one annotated parameter each); the body is ~30 lines.
def add(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(metavar="ID", help="The article's id.")],
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE",
            help="Photos (JPEG, PNG, WebP, TIFF, GIF) or documents (PDF, DOCX, XLSX, PPTX, "
            "ODT, ODS).",
        ),
    ],
    caption: Annotated[
        str | None,
        typer.Option(help="The caption (alt text) in the primary language; one photo only."),
    ] = None,
    caption_en: Annotated[
        str | None, typer.Option(help="The English caption; one photo only.")
    ] = None,
    title: Annotated[
        str | None,
        typer.Option(help="A document's title in the primary language; one document only."),
    ] = None,
    title_en: Annotated[
        str | None, typer.Option(help="A document's English title; one document only.")
    ] = None,
    site_dir: SiteOption = None,
) -> None:
    """Copy photos and documents into media/ID/ and add them to the article.

    Photos become imgID_N.ext ([[photos]]), documents attID_N.ext ([[attachments]]);
    numbers continue after the article's last. Every file is checked first by its
    content (an image opdc can read; a real PDF, Office or OpenDocument file of a
    type site.toml allows), within site.toml's size limits: if one is refused,
    nothing changes. A document's title is asked in a terminal when not given.
    Prints the new files; after photos, run 'opdc media resize ID'.

    Examples:

      opdc media add 26461 ~/camera/DSC_0141.JPG ~/camera/DSC_0142.JPG

      opdc media add 26461 stage.jpg --caption "พิธีเปิด" --caption-en "The opening"

      opdc media add 26463 ประกาศ.pdf --title "ประกาศรับสมัคร" --title-en "Call for applications"
    """
    from opdc_cli import documents, media

    site = open_site(ctx, site_dir)
    captions = _captions(site, caption, caption_en)
    doc_paths = [path for path in files if documents.looks_like_document(path)]
    photo_paths = [path for path in files if path not in doc_paths]
    if captions and len(photo_paths) != 1:
        raise UsageError("--caption and --caption-en need exactly one FILE (a photo)")
    if (title or title_en) and len(doc_paths) != 1:
        raise UsageError("--title and --title-en need exactly one FILE (a document)")
    infos = checked_images(photo_paths, site.config.media) if photo_paths else []
    docs = checked_documents(doc_paths, site.config.media) if doc_paths else []
    titles = _titles(site, docs, title, title_en)
    # The article is read by add_photos, under its lock: a killed change of it is
    # finished first, and what it reads is what it writes back onto.
    _, added = media.add_photos(site, article_id, infos, captions, docs, titles)
    for path in added:
        out().file.write(display_path(path) + "\n")
    done = f"[green]added[/] {len(infos)} photo(s) and {len(docs)} document(s)"
    if not docs:
        done = f"[green]added[/] {len(added)} photo(s)"
    elif not infos:
        done = f"[green]added[/] {len(docs)} document(s)"
    next_step = f"; next: [bold]opdc media resize {article_id}[/]" if infos else ""
    err().print(f"{done} to article {article_id}{next_step}")


def _print_plan(plan: ResizePlan) -> None:
    stream = out().file
    for job in plan.jobs:
        stream.write(
            f"{display_path(job.web)} {display_path(job.thumb)}  ({job.reason})\n",
        )


def _summary(report: ResizeReport, dry_run: bool) -> str:
    if dry_run:
        return (
            f"would make {report.made}, skip {report.skipped} (up to date), {report.failed} failed"
        )
    rate = ""
    if report.made and report.seconds:
        rate = f", {report.made / report.seconds:.1f} photos/s"
    return (
        f"made {report.made}, skipped {report.skipped}, failed {report.failed} "
        f"in {report.seconds:.1f} s{rate}"
    )


def _run_with_progress(site: Site, plan: ResizePlan, jobs: int) -> ResizeReport:
    from opdc_cli import media

    if not (sys.stderr.isatty() and os.environ.get("TERM") != "dumb"):
        return media.run_resize(site, plan, workers=jobs)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            from rich.text import Text

            speed = task.finished_speed or task.speed
            return Text(f"{speed:.1f} photos/s" if speed else "", style="progress.data.speed")

    # No refresh thread: the worker processes are forked from this one, and a
    # thread holding the terminal's lock at that moment could hang them.
    progress = Progress(
        TextColumn("resizing"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        console=err(),
        auto_refresh=False,
        transient=True,
    )
    with progress:
        task = progress.add_task("resize", total=len(plan.jobs))
        progress.refresh()

        def advance(outcome: Outcome) -> None:
            progress.advance(task)
            progress.refresh()

        return media.run_resize(site, plan, workers=jobs, on_outcome=advance)


# Long for its typer options (one annotated parameter each); the body is ~30 lines.
def resize(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None,
        typer.Argument(metavar="ID", help="Articles whose photos to resize; default all."),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            callback=at_least(1),
            help="Worker processes (default: the number of cores).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Remake every output, even up-to-date ones.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be made; write nothing.")
    ] = False,
    site_dir: SiteOption = None,
) -> None:
    """Make each photo's web size (imgID_N_resize.jpg) and thumbnail (imgID_N_thumb.jpg).

    An article's first photo also gets its share image (imgID_N_share.jpg, 1200x630,
    cropped to fill, under 300 kB): what a shared link to the article shows.
    Widths and JPEG quality come from the media table of site.toml. Orientation is applied
    from EXIF, then all metadata (GPS, camera serial) is dropped; colours end up
    in sRGB. Photos whose outputs are up to date, made with the same settings,
    are skipped. A damaged photo fails alone (exit 1 at the end).

    Examples:

      opdc media resize 26461

      opdc media resize --dry-run

      opdc media resize --force --jobs 2
    """
    from opdc_cli import media

    site = open_site(ctx, site_dir)
    articles = _selected(site, ids or [])
    plan = media.plan_resize(site, articles, force=force)
    for failure in plan.failures:
        _problem_line(failure.error)
    if dry_run:
        _print_plan(plan)
        report = media.ResizeReport(
            made=len(plan.jobs), skipped=plan.skipped, failures=plan.failures
        )
        err().print(_summary(report, dry_run=True))
    else:
        try:
            report = _run_with_progress(site, plan, jobs or os.cpu_count() or 1)
        except KeyboardInterrupt:
            err().print(
                "[yellow]interrupted:[/] the photos already made are kept; "
                "run the same command again to make the rest"
            )
            raise typer.Exit(130) from None
        for failure in report.failures[len(plan.failures) :]:
            _problem_line(failure.error)
        err().print(_summary(report, dry_run=False))
    if report.failures:
        raise typer.Exit(1)


def clean(
    ctx: typer.Context,
    ids: Annotated[
        list[int] | None,
        typer.Argument(metavar="ID", help="Articles whose media folders to clean; default all."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be removed; remove nothing.")
    ] = False,
) -> None:
    """Remove what interrupted commands left: unused photos under opdc's names, temp files.

    Removes only originals named imgID_N.ext (the names 'opdc media add' gives) that
    the article does not list, their _resize, _thumb and _share files (and the _share
    file of a photo no longer the article's first), and temporary files
    of opdc processes that no longer run. Nothing else is ever removed: a photo you
    copied in under another name stays (opdc validate lists it). Prints each path.

    Examples:

      opdc media clean --dry-run

      opdc media clean 26461
    """
    from opdc_cli import media

    site = open_site(ctx)
    report = media.clean_media(site, ids or [], dry_run=dry_run)
    for path in report.removed:
        out().file.write(display_path(path) + "\n")
    for problem in report.problems:
        _problem_line(problem)
    verb = "would remove" if dry_run else "removed"
    err().print(f"{verb} {len(report.removed)} file(s)")
    if report.problems:
        raise typer.Exit(1)


def _selected(site: Site, ids: list[int]) -> list[Article]:
    if not ids:
        articles = site.articles()
        report_problems(site)
        return articles
    return [site.article(article_id) for article_id in dict.fromkeys(ids)]


def register(app: typer.Typer) -> None:
    media_app.command(cls=OpdcCommand)(add)
    media_app.command(cls=OpdcCommand)(resize)
    media_app.command(cls=OpdcCommand)(clean)
    app.add_typer(media_app)
