"""Time `opdc validate` (without --deep) on the synthetic site, next to plain TOML parsing.

    python bench/bench_validate.py [SITE] [--articles 10000] [--runs 5] [--profile]

Cold is `opdc --no-cache validate` (every article checked); warm is a second
`opdc validate` of the unchanged site, which reuses the results kept in
.opdc/checks.sqlite (opdc_cli.checks).

SITE (default /tmp/site10k_validate) is generated with bench/synth.py --media
when it does not exist, so photos are real files that validate opens. Each
measurement is the median of --runs runs of the installed `opdc` script as a
subprocess (start-up included). The reference, measured in the same run on the
same files: parsing every article file with tomli alone in one process, which
is most of what validate has to do. The ratio validate / reference is what to
compare across machines; the machine is shared and noisy.

--profile adds a cProfile of one in-process run with one worker, grouped into
where the time goes (TOML parsing, photo headers, media folders, the rest).
--split measures the same without a profiler's distortion: the CPU time per
article of one worker with successive groups of checks switched off.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
OPDC = Path(sys.executable).parent / "opdc"


def ensure_site(folder: Path, articles: int) -> None:
    if (folder / "site.toml").exists():
        return
    print(f"generating {articles} articles with photos in {folder} …", file=sys.stderr)
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "synth.py"),
            str(folder),
            "--articles",
            str(articles),
            "--media",
        ],
        check=True,
    )


def article_files(folder: Path) -> list[Path]:
    from opdc_cli import store

    return [found.path for found in store.scan(folder / "articles")]


def time_command(command: list[str], runs: int) -> tuple[float, float, int]:
    """The median wall time and CPU time (user + system, worker processes included) of
    `command` over `runs` runs, and its exit status."""
    walls = []
    cpus = []
    status = 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        status = done.returncode
        if status not in (0, 1):
            sys.exit(f"{' '.join(command)} failed:\n{done.stderr.decode()}")
    return statistics.median(walls), statistics.median(cpus), status


def time_tomli(paths: list[Path], runs: int) -> tuple[float, float]:
    """The median wall and CPU time to read and parse every file with tomli, one process."""
    import tomli

    walls = []
    cpus = []
    for _ in range(runs):
        start = time.perf_counter()
        cpu = time.process_time()
        for path in paths:
            text = path.read_bytes().decode("utf-8")
            if path.name.endswith(".txt"):
                text = text.split("+++\n", 2)[1]
            tomli.loads(text)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


# (label, file name part, function name part): entry points whose cumulative time is
# the time of that kind of work (none of them calls another).
GROUPS = (
    ("TOML parsing (tomli.loads)", "", "tomli._parser.loads"),
    ("photo headers (PIL Image.open)", "PIL/Image.py", "open"),
    ("media folders (scandir, stat)", "opdc_cli/gallery.py", "_list_files"),
    ("web sizes (media.stale_outputs)", "opdc_cli/media.py", "stale_outputs"),
    ("text checks (regular expressions)", "opdc_cli/validate.py", "_text"),
)


def profile(folder: Path) -> None:
    """Where one single-process run spends its time, by kind of work."""
    from opdc_cli.validate import validate_site

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(validate_site, folder, jobs=1)
    total = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    print(f"\nprofile of one in-process run, one worker: {total:.2f} s (with profiler overhead)")
    accounted = 0.0
    for label, file_part, function_part in GROUPS:
        seconds = sum(
            row[3]
            for (filename, _, function), row in entries.items()
            if file_part in filename
            and (function == function_part if file_part else function_part in function)
        )
        accounted += seconds
        print(f"  {label:<38} {seconds:6.2f} s  {100 * seconds / total:4.0f} %")
    rest = total - accounted
    label = "the rest (reading, store checks, ...)"
    print(f"  {label:<38} {rest:6.2f} s  {100 * rest / total:4.0f} %")
    print("\ntop functions by own time:")
    stats.sort_stats("tottime").print_stats(12)


def split(folder: Path, count: int = 2000) -> None:
    """CPU time per article of one worker, with successive groups of checks switched off."""
    import tomli

    from opdc_cli import store
    from opdc_cli import validate as v
    from opdc_cli.site import load_config

    config = load_config(folder / "site.toml")
    groups = list(store.group(store.scan(folder / "articles"))[0].values())[:count]
    checker = v.ArticleChecker(config)

    def per_article() -> float:
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            checker.check(groups)
            best = min(best, time.process_time() - start)
        return best / len(groups) * 1e6

    steps = [("everything", None), ("without photo header checks", "image_problem")]
    steps += [(f"and without {name}", name) for name in ("_media", "_text", "_languages")]
    print(f"\nCPU per article, one worker, best of 3 over {len(groups)} articles:")
    saved = {}
    for label, switched_off in steps:
        if switched_off == "image_problem":
            saved[switched_off] = v.image_problem
            v.image_problem = lambda *args, **kwargs: None
        elif switched_off is not None:
            saved[switched_off] = getattr(v.ArticleChecker, switched_off)
            setattr(v.ArticleChecker, switched_off, lambda self, located: None)
        print(f"  {label:<34} {per_article():7.0f} us")
    for name, original in saved.items():
        setattr(v if name == "image_problem" else v.ArticleChecker, name, original)
    texts = []
    for files in groups:
        for found in files:
            text = found.path.read_text(encoding="utf-8")
            texts.append(text.split("+++\n", 2)[1] if found.lang else text)
    start = time.process_time()
    for text in texts:
        tomli.loads(text)
    parse = (time.process_time() - start) / len(groups) * 1e6
    print(f"  {'of which tomli.loads alone':<34} {parse:7.0f} us")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", nargs="?", type=Path, default=Path("/tmp/site10k_validate"))
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5, help="0: no timed runs")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--split", action="store_true")
    args = parser.parse_args()
    ensure_site(args.site, args.articles)
    paths = article_files(args.site)
    cpus = os.cpu_count() or 1
    print(f"site: {args.site} ({len(paths)} article files), {cpus} CPUs, {args.runs} runs each")
    if args.runs > 0:
        reference, reference_cpu = time_tomli(paths, args.runs)
        rows = [("tomli.loads of every file, 1 process (reference)", reference, reference_cpu)]
        site = [str(OPDC), "--site", str(args.site)]
        for jobs in sorted({1, cpus}):
            # Cold: every article checked (--no-cache neither reads nor keeps results).
            command = [*site, "--no-cache", "validate", "--jobs", str(jobs)]
            seconds, cpu, status = time_command(command, args.runs)
            rows.append((f"cold: opdc --no-cache validate -j {jobs} (exit {status})", seconds, cpu))
        # Warm: what a second validate of an unchanged site does (results kept in
        # .opdc/checks.sqlite); one run first fills it.
        time_command([*site, "validate"], 1)
        seconds, cpu, status = time_command([*site, "validate"], args.runs)
        rows.append((f"warm: opdc validate (exit {status})", seconds, cpu))
        print(f"\n{'what':<52} {'wall s':>7} {'cpu s':>7} {'files/s':>8} {'x ref':>6}")
        for what, seconds, cpu in rows:
            rate = len(paths) / seconds
            print(f"{what:<52} {seconds:7.2f} {cpu:7.2f} {rate:8.0f} {seconds / reference:6.2f}")
    if args.profile:
        profile(args.site)
    if args.split:
        split(args.site)


if __name__ == "__main__":
    main()
