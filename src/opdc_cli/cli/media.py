"""opdc media add, opdc media resize and opdc media clean."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
from opdc_cli.site import MediaSettings

if TYPE_CHECKING:
    from rich.progress import Task
    from rich.text import Text

    from opdc_cli.content import Site
    from opdc_cli.media import ImageInfo, Outcome, ResizePlan, ResizeReport
    from opdc_cli.model import Article

media_app = typer.Typer(
    cls=TidyGroup,
    name="media",
    help=(
        "Photos of an article: copy them in under the canonical names, make the web "
        "sizes and thumbnails, remove what interrupted commands left.\n\n"
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
    from opdc_cli.media import ImagesRejected, check_images

    try:
        return check_images(paths, settings)
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


def add(
    ctx: typer.Context,
    article_id: Annotated[int, typer.Argument(metavar="ID", help="The article's id.")],
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help="Photos: JPEG, PNG, WebP, TIFF or GIF."),
    ],
    caption: Annotated[
        str | None,
        typer.Option(help="The caption (alt text) in the primary language; one photo only."),
    ] = None,
    caption_en: Annotated[
        str | None, typer.Option(help="The English caption; one photo only.")
    ] = None,
    site_dir: SiteOption = None,
) -> None:
    """Copy photos into media/ID/ as imgID_N.ext and add them to the article.

    Numbers continue after the article's last photo. Every file is checked first
    (an image opdc can read, within site.toml's size limits): if one is refused,
    nothing changes. Prints the new files; then run 'opdc media resize ID'.

    Examples:

      opdc media add 26461 ~/camera/DSC_0141.JPG ~/camera/DSC_0142.JPG

      opdc media add 26461 stage.jpg --caption "พิธีเปิด" --caption-en "The opening"
    """
    from opdc_cli import media

    site = open_site(ctx, site_dir)
    captions = _captions(site, caption, caption_en)
    if captions and len(files) != 1:
        raise UsageError("--caption and --caption-en need exactly one FILE")
    infos = checked_images(files, site.config.media)
    # The article is read by add_photos, under its lock: a killed change of it is
    # finished first, and what it reads is what it writes back onto.
    _, added = media.add_photos(site, article_id, infos, captions)
    for path in added:
        out().file.write(display_path(path) + "\n")
    err().print(
        f"[green]added[/] {len(added)} photo(s) to article {article_id}; "
        f"next: [bold]opdc media resize {article_id}[/]"
    )


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
    the article does not list, their _resize and _thumb files, and temporary files
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
