"""Time from saving an article to the open browser tab showing it, with `opdc serve`.

    python bench/bench_serve.py /tmp/site-serve [--articles 2000] [--edits 20]

Makes a synthetic site (bench/synth.py, with photos) in the folder (replaced),
starts `opdc serve` on a free port as its own process, waits for the first build,
opens the newest article in headless Chromium (driven over the DevTools protocol,
tests/cdp.py) and then, `--edits` times: writes a new title into the article's file
and measures until the tab has reloaded by itself and shows that title (the page's
load event, then its <h1> checked). Prints each time, then the median and p95.

`hugo server` is measured the same way on the same content when `hugo` is on the
PATH; otherwise that is said and only opdc is measured.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    opdc = Path(sys.executable).parent / "opdc"

    generate(args.folder, args.articles, media=True)
    article = newest_article(args.folder)
    article_id = article.stem
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(opdc), "--site", str(args.folder), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    stream = server.stderr
    assert stream is not None

    def read() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    while "serving http://" not in (line := lines.get(timeout=1800)):
        print(line.rstrip(), file=sys.stderr)
    print(f"first build: {time.perf_counter() - started:.1f} s", file=sys.stderr)

    profile = args.folder.parent / (args.folder.name + "-chromium")
    shutil.rmtree(profile, ignore_errors=True)
    browser = Browser(profile)
    times: list[float] = []
    try:
        tab = browser.open(f"http://127.0.0.1:{port}/th/news/{article_id}.html")
        browser.wait_for(tab, "document.querySelector('h1') !== null", 60)
        browser.wait_for(tab, "performance.getEntriesByType('resource').length > 0", 10)
        text = article.read_text(encoding="utf-8")
        for number in range(1, args.edits + 1):
            title = f"หัวข้อที่แก้ไขครั้งที่ {number}"
            browser.events.clear()
            time.sleep(0.3)  # the previous reload's event stream settles
            saved = time.perf_counter()
            article.write_text(TITLE_LINE.sub(f'title = "{title}"', text, count=1), "utf-8")
            browser.wait_event("Page.loadEventFired", 10)
            browser.wait_for(tab, f"document.querySelector('h1')?.textContent === '{title}'", 10)
            times.append(time.perf_counter() - saved)
            print(f"edit {number}: {times[-1]:.3f} s", file=sys.stderr)
    finally:
        browser.close()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    cores = os.cpu_count()
    print(
        f"opdc serve, {args.articles} articles, {len(times)} edits ({cores} cores): "
        f"median {statistics.median(times):.3f} s, p95 {p95:.3f} s, "
        f"min {ordered[0]:.3f} s, max {ordered[-1]:.3f} s"
    )
    if shutil.which("hugo") is None:
        print("hugo is not on the PATH here: the hugo server reference could not be run")


if __name__ == "__main__":
    main()
