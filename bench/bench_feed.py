"""Time `opdc feed` on a large site: the 20 newest items, Atom, and every feed (--all).

    python bench/bench_feed.py /tmp/site10k [--runs 5]

Make the site first with `python bench/synth.py /tmp/site10k --articles 10000 --media`
(with --media the first photos' web sizes exist, so every item gets its enclosure).
Each command runs as a fresh `opdc` process, as a user or cron would run it, after
one untimed warm-up run (which also lets the content index, where there is one,
catch up). The reference, measured in the same run on the same machine, is
feedgen building and writing a 10,000-item RSS feed from in-memory data: the
ratios say how opdc's whole command compares with that bare library cost, so they
stay meaningful on a shared, noisy machine where absolute times drift.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OPDC = Path(sys.executable).parent / "opdc"

# feedgen alone: 10,000 items with a title, link, guid, date, description and
# enclosure, serialised and written to a file.
REFERENCE = """
import sys
from datetime import datetime, timedelta, timezone
from feedgen.feed import FeedGenerator

tz = timezone(timedelta(hours=7))
fg = FeedGenerator()
fg.id("https://bench.example.go.th/feeds/th/rss.xml")
fg.title("ไซต์ทดสอบ")
fg.link(href="https://bench.example.go.th/feeds/th/rss.xml", rel="self")
fg.link(href="https://bench.example.go.th/th/index.html", rel="alternate")
fg.description("ข่าวและกิจกรรม")
fg.language("th")
start = datetime(2006, 1, 1, tzinfo=tz)
for n in range(10_000):
    url = f"https://bench.example.go.th/th/news/{100000 + n}.html"
    entry = fg.add_entry(order="append")
    entry.id(url)
    entry.guid(url, permalink=True)
    entry.title(f"สำนักงาน ก.พ.ร. การประชุม ส่วนราชการ นวัตกรรม {n}")
    entry.link(href=url)
    entry.published(start + timedelta(hours=n))
    entry.description("การประชุมนานาชาติ ณ กรุงฮานอย " * 8)
    entry.enclosure(url.replace(".html", ".jpg"), "1234", "image/jpeg")
fg.lastBuildDate(start)
fg.rss_file(sys.argv[1])
"""


def timed(command: list[str], runs: int) -> list[float]:
    """Wall times of `runs` runs of `command` after one untimed warm-up run."""
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("site", type=Path, help="a site made by bench/synth.py")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    args = parser.parse_args()
    site = args.site.resolve()
    if not (site / "site.toml").is_file():
        parser.error(f"{site} has no site.toml: make it with bench/synth.py")
    count = sum(1 for _ in (site / "articles").rglob("*.toml")) + sum(
        1 for _ in (site / "articles").rglob("*.th.txt")
    )

    with tempfile.TemporaryDirectory(prefix="bench-feed-") as tmp:
        out = Path(tmp)
        opdc = [str(OPDC), "--site", str(site), "feed"]
        cases = {
            "reference: feedgen, 10,000-item RSS": [
                sys.executable,
                "-c",
                REFERENCE,
                str(out / "reference.xml"),
            ],
            "opdc --help (start-up)": [str(OPDC), "--help"],
            "opdc feed (20 newest, RSS)": opdc,
            "opdc feed --atom --full-content": [*opdc, "--atom", "--full-content"],
            "opdc feed --all DIR (16 feeds, unchanged)": [*opdc, "--all", str(out / "all")],
            "opdc --no-cache feed (reads every file)": [
                str(OPDC),
                "--no-cache",
                "--site",
                str(site),
                "feed",
            ],
        }
        results = {name: timed(command, args.runs) for name, command in cases.items()}

    reference = statistics.median(results["reference: feedgen, 10,000-item RSS"])
    print(f"site: {site} ({count} articles), {args.runs} runs each, median / min / max")
    print(f"{'command':<46} {'median':>8} {'min':>8} {'max':>8} {'x ref':>7}")
    for name, times in results.items():
        median = statistics.median(times)
        print(
            f"{name:<46} {median:8.3f} {min(times):8.3f} {max(times):8.3f} "
            f"{median / reference:7.2f}"
        )


if __name__ == "__main__":
    main()
