"""Time `opdc import wordpress` on a generated 10,000-post WXR (5,000 Thai/English pairs).

    python bench/bench_import.py [--posts 10000] [--work /tmp/bench-import]

The export is the one the tests use (tests/wxr.py: Polylang pairs, drafts,
scheduled and private posts, categories, tags, HTML with lists, links, scripts and
entities), without photos. Each run imports it into a fresh site as a separate
`opdc` process, with its progress bar on stderr; the wall time and the peak
resident memory of that process (ru_maxrss of the finished child) are printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _wxr_module() -> object:
    spec = importlib.util.spec_from_file_location("wxr", HERE.parent / "tests" / "wxr.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["wxr"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-import"))
    args = parser.parse_args()
    from opdc_cli.scaffold import init_site

    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    export = args.work / "export.xml"
    _wxr_module().write_wxr(export, args.posts // 2, media=False)  # type: ignore[attr-defined]
    site = args.work / "site"
    init_site(site)
    command = [
        sys.executable, "-m", "opdc_cli", "--site", str(site), "import", "wordpress",
        str(export), "--category-map", "news=headline", "--category-map", "events=activities",
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size_mb = export.stat().st_size / 1024 / 1024
    print(
        f"{args.posts} posts ({size_mb:.1f} MB of WXR) → {args.posts // 2} articles: "
        f"{elapsed:.1f} s, peak memory {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
