"""Time the commands people type next to their script forms and references, same run.

    python bench/bench_commands.py /tmp/site10k [--articles 10000] [--runs 7]

The site is generated with bench/synth.py when the folder does not exist yet; the
20 newest articles then lose their summaries (in a copy of the site made once,
`<site>-nosummary`), so that `opdc feed` cuts an excerpt from every body, as it
does for articles without one. Every command is a fresh process, the index
warm (one untimed run of each first, which also fills the search texts); the
runs are interleaved round by round. Timed:

- `opdc list` on a terminal (a pseudo-terminal: rich's table, titles cut at Thai
  word boundaries) and to a pipe, next to `opdc list --format ids`;
- `opdc show ID` (terminal) next to `opdc show ID --json`;
- `opdc feed` where no article of the feed has a summary, next to `opdc list
  --format ids` on that site;
- `opdc list --search WORD --format ids` next to `grep -rlF WORD articles/` on
  the same files, for a common and a rare word;
- `opdc --help` next to a bare typer app with the same number of commands.

Medians, fastest, slowest, and the largest peak memory (wait4's maximum resident
set) of each command; then the ratios of medians.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_cli import OPDC, Bench, in_fresh_process, output_lines, report


class TerminalBench(Bench):
    """A command whose standard output is a terminal (a pseudo-terminal, read and
    discarded), as when a person types it."""

    def run(self, *, record: bool = True) -> None:
        leader, follower = os.openpty()
        env = {**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"}
        start = time.perf_counter()
        process = subprocess.Popen(
            self.command, cwd=self.cwd, stdout=follower, stderr=subprocess.DEVNULL, env=env
        )
        os.close(follower)

        def drain() -> None:
            try:
                while os.read(leader, 65536):
                    pass
            except OSError:  # EIO once the child closed its side
                pass

        reader = threading.Thread(target=drain)
        reader.start()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        reader.join()
        os.close(leader)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"{self.name} failed (exit {process.returncode}): {self.command}")
        if record:
            self.seconds.append(elapsed)
            self.peak_mb.append(usage.ru_maxrss / 1024)


def typer_app(commands: int) -> str:
    """A bare typer app with `commands` commands of one argument each."""
    lines = ["import typer", "", "app = typer.Typer()", ""]
    for n in range(commands):
        lines += [
            "",
            "@app.command()",
            f"def command{n}(name: str) -> None:",
            f'    """Command number {n}."""',
            "    print(name)",
            "",
        ]
    lines += ["", 'if __name__ == "__main__":', "    app()", ""]
    return "\n".join(lines)


def opdc_commands() -> int:
    """How many commands and groups `opdc --help` lists."""
    text = subprocess.run(
        [str(OPDC), "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout
    section = text.split("Commands")[1]
    return len(re.findall(r"^│ (\S+)\s", section, re.MULTILINE))


def without_summaries(site: Path, count: int = 20) -> Path:
    """A copy of `site` whose `count` newest articles have no summary."""
    copy = site.with_name(f"{site.name}-nosummary")
    if not copy.exists():
        shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".opdc"))
        newest = subprocess.run(
            [
                str(OPDC),
                "--site",
                str(copy),
                "list",
                "--format",
                "ids",
                "--limit",
                str(count),
                "--status",
                "published",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        for article_id in newest:
            for path in (copy / "articles").rglob(f"{article_id}*"):
                text = path.read_text(encoding="utf-8")
                path.write_text(re.sub(r'(?m)^summary = ".*"\n', "", text), encoding="utf-8")
    return copy


def rare_phrase(site: Path, article_id: str) -> str:
    """Five words of the article's English body: in few articles."""
    import json

    shown = subprocess.run(
        [str(OPDC), "--site", str(site), "show", article_id, "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    body = json.loads(shown)["translations"]["en"]["body"]
    return " ".join(body.split()[10:15])


def generate_site(site: Path, count: int) -> None:
    import synth

    synth.generate(site, count)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path, help="the synthetic site (made if missing)")
    parser.add_argument("--articles", type=int, default=10000, help="articles when generating")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command")
    args = parser.parse_args()
    site: Path = args.site.resolve()
    if not (site / "site.toml").exists():
        print(f"generating {args.articles} articles in {site} ...", file=sys.stderr)
        in_fresh_process(generate_site, site, args.articles)
    bare = without_summaries(site)
    first, articles = output_lines([OPDC, "--site", site, "list", "--format", "ids"])
    common, rare = "ธรรมาภิบาล", rare_phrase(site, first)
    s = ["--site", str(site)]
    with tempfile.TemporaryDirectory() as scratch:
        app = Path(scratch) / "app.py"
        app.write_text(typer_app(opdc_commands()), encoding="utf-8")
        benches = [
            TerminalBench("opdc list (terminal)", [str(OPDC), *s, "list"]),
            Bench("opdc list (pipe)", [str(OPDC), *s, "list"]),
            Bench("opdc list --format ids", [str(OPDC), *s, "list", "--format", "ids"]),
            TerminalBench(f"opdc show {first} (terminal)", [str(OPDC), *s, "show", first]),
            Bench(f"opdc show {first} --json", [str(OPDC), *s, "show", first, "--json"]),
            Bench("opdc feed (no summaries)", [str(OPDC), "--site", str(bare), "feed"]),
            Bench(
                "opdc list --format ids (no-summary site)",
                [str(OPDC), "--site", str(bare), "list", "--format", "ids"],
            ),
            Bench(
                "opdc list --search (common word)",
                [str(OPDC), *s, "list", "--search", common, "--format", "ids"],
            ),
            Bench("grep -rlF (common word)", ["grep", "-rlF", common, str(site / "articles")]),
            Bench(
                "opdc list --search (rare phrase)",
                [str(OPDC), *s, "list", "--search", rare, "--format", "ids"],
            ),
            Bench("grep -rlF (rare phrase)", ["grep", "-rlF", rare, str(site / "articles")]),
            Bench("opdc --help", [str(OPDC), "--help"]),
            Bench("bare typer app --help (same commands)", [sys.executable, str(app), "--help"]),
        ]
        pairs = [
            ("opdc list (terminal)", "opdc list --format ids"),
            ("opdc list (pipe)", "opdc list --format ids"),
            (f"opdc show {first} (terminal)", f"opdc show {first} --json"),
            ("opdc feed (no summaries)", "opdc list --format ids (no-summary site)"),
            ("opdc list --search (common word)", "grep -rlF (common word)"),
            ("opdc list --search (rare phrase)", "grep -rlF (rare phrase)"),
            ("opdc --help", "bare typer app --help (same commands)"),
        ]
        for bench in benches:
            bench.run(record=False)
        for round_number in range(args.runs):
            shift = round_number % len(benches)
            for bench in benches[shift:] + benches[:shift]:
                bench.run()
            print(f"round {round_number + 1}/{args.runs} done", file=sys.stderr)
    sys.stdout.write(report(benches, pairs, site, articles))


if __name__ == "__main__":
    main()
