"""What the Thai word breaks on the pages cost a full html export.

    python bench/bench_wordbreaks.py SITE [--runs 3] [--work /tmp/bench-wordbreaks]

SITE is a site made by bench/synth.py (e.g. `python bench/synth.py /tmp/site10k-export
--articles 10000 --media`). Each run exports the whole site into an empty folder
twice, in one process each time (`opdc_cli.export.site.export_site`, worker processes
as opdc starts them): once as opdc does, with `<wbr>` and word spans between the Thai
words of titles, summaries, bodies and captions (opdc_cli.htmltext.thai_breaks), and
once with the same text only escaped (the reference: what a page without word breaks
costs), and once more with word breaks after emptying the site's word store
(`.opdc/words.sqlite`, opdc_cli.wordstore): the first export after a clone, when every
Thai chunk is segmented. The three alternate, so that the machine's load falls on all
alike. One untimed export first brings the index, the kept validate results, the word
list's cache and the word store up to date, as any earlier opdc command would have.

Prints the median wall time of each and their ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from opdc_cli import thai, wordstore
from opdc_cli.content import Site
from opdc_cli.export.site import export_site


def escaped_only(text: object) -> Markup:
    """thai_breaks without the breaks: the text escaped, as a page without them has it."""
    if isinstance(text, Markup):
        return text
    return escape("" if text is None else str(text))


@contextmanager
def without_breaks() -> Any:
    from opdc_cli import htmltext
    from opdc_cli.export.site import render

    # render.py imported the function by name: both names are replaced.
    saved = htmltext.thai_breaks, getattr(render, "thai_breaks")  # noqa: B009
    htmltext.thai_breaks = escaped_only
    setattr(render, "thai_breaks", escaped_only)  # noqa: B010
    try:
        yield
    finally:
        htmltext.thai_breaks = saved[0]
        setattr(render, "thai_breaks", saved[1])  # noqa: B010


def export_once(site_dir: Path, out: Path, *, forget_words: bool = False) -> float:
    shutil.rmtree(out, ignore_errors=True)
    # Each run starts as a new `opdc export` process would: nothing segmented in memory,
    # and with `forget_words` nothing kept in the site's word store either.
    thai.keep_words(None)
    thai._segment.cache_clear()
    if forget_words:
        for suffix in ("", "-wal", "-shm"):
            (site_dir / ".opdc" / f"{wordstore.FILE_NAME}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    report = export_site(Site.open(site_dir), out)
    seconds = time.perf_counter() - started
    if report.problems:
        sys.exit(f"the export stopped {len(report.problems)} article(s): {report.problems[0]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-wordbreaks"))
    args = parser.parse_args()
    out = args.work / "out"
    export_once(args.site, out)
    timings: dict[str, list[float]] = {
        "with word breaks": [],
        "with word breaks, word store emptied first": [],
        "escaped only (reference)": [],
    }
    for run in range(1, args.runs + 1):
        with without_breaks():
            plain = export_once(args.site, out)
        breaks = export_once(args.site, out)
        cold = export_once(args.site, out, forget_words=True)
        timings["escaped only (reference)"].append(plain)
        timings["with word breaks"].append(breaks)
        timings["with word breaks, word store emptied first"].append(cold)
        print(
            f"run {run}: escaped only {plain:.2f} s, with word breaks {breaks:.2f} s, "
            f"store emptied first {cold:.2f} s"
        )
    reference = statistics.median(timings["escaped only (reference)"])
    print("| export | median wall | × reference |")
    print("|---|---:|---:|")
    for name, seconds in timings.items():
        median = statistics.median(seconds)
        print(f"| {name} | {median:.2f} s | {median / reference:.2f} |")
    shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
