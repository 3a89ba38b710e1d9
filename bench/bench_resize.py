"""Time `opdc media resize` against naive Pillow and pyvips on camera-sized photos.

    python bench/bench_resize.py [--photos 30] [--runs 5] [--procs 1 2] [--workdir DIR]
    python bench/bench_resize.py --noop-site DIR [--runs 5]

Makes N synthetic 4000x3000 JPEGs (quality 90, noise over gradients, some with an
EXIF rotation) once, then times, for each process count, as whole processes:

- opdc:   `opdc --site S media resize --force --jobs P` (start-up, planning, the
          manifest and atomic writes included);
- naive:  Pillow as most scripts do it, for each of the two sizes: open,
          exif_transpose, LANCZOS resize, save (P worker processes);
- pyvips: `pyvips.Image.thumbnail` for each size, then save (P worker processes,
          VIPS_CONCURRENCY=1 so that one process uses one core);
- pyvips-threads: the same with libvips' own threads (one per core in every
          process), as pyvips runs when nothing is set: more cores than processes;
- floor:  the JPEG decode alone at opdc's reduced scale: no method can beat it.

Prints medians of --runs runs in photos/s and opdc's ratio to each reference. pyvips
is not a dependency of opdc: `pip install pyvips pyvips-binary` to include it.

With --noop-site, times instead `opdc media resize` on a site whose outputs are all up
to date (e.g. `bench/synth.py DIR --articles 10000 --media`, then one resize): the
cost of deciding that nothing needs making, next to `opdc list --format ids` on the
same site as the reference (reading the same articles).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

WIDTH, HEIGHT = 4000, 3000
QUALITY = 90
WEB, THUMB, OUT_QUALITY = 1024, 320, 85
ARTICLE_ID = 1
METHODS = ("opdc", "naive", "pyvips", "pyvips-threads", "floor")


def _photo(seed: int) -> bytes:
    """A 4000x3000 JPEG at quality 90: gradients under sensor-like noise."""
    from PIL import Image, ImageChops

    size = (WIDTH, HEIGHT)
    rng = random.Random(seed)
    red = Image.linear_gradient("L").rotate(rng.randrange(360)).resize(size)
    green = Image.linear_gradient("L").rotate(90).resize(size)
    blue = Image.radial_gradient("L").resize(size)
    noise = Image.effect_noise(size, 20 + seed % 20)
    bands = [ImageChops.add(band, noise, scale=1.0, offset=-128) for band in (red, green, blue)]
    image = Image.merge("RGB", bands)
    exif = Image.Exif()
    # One photo in three was taken in portrait: stored sideways with an EXIF rotation.
    exif[0x0112] = 6 if seed % 3 == 0 else 1
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=QUALITY, exif=exif.tobytes())
    return buffer.getvalue()


def make_photos(folder: Path, count: int) -> list[Path]:
    """`count` photos in `folder`, made once and reused by later runs."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(1, count + 1):
        path = folder / f"photo{n:03d}.jpg"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(_photo(n))
            tmp.replace(path)
        paths.append(path)
    return paths


def make_site(folder: Path, photos: list[Path]) -> None:
    """A site with one article holding every photo under its canonical name."""
    from opdc_cli import store
    from opdc_cli.model import Article, Photo, Translation
    from opdc_cli.scaffold import init_site

    if folder.exists():
        shutil.rmtree(folder)
    init_site(folder, name_th="ทดสอบ", name_en="Bench", base_url="https://bench.example/")
    media = folder / "media" / str(ARTICLE_ID)
    media.mkdir(parents=True)
    names = []
    for n, source in enumerate(photos, start=1):
        name = f"img{ARTICLE_ID}_{n}.jpg"
        os.link(source, media / name)
        names.append(name)
    article = Article(
        id=ARTICLE_ID,
        category="headline",
        date=datetime(2018, 4, 27, 9, 0, tzinfo=timezone(timedelta(hours=7))),
        translations={"th": Translation(title="ภาพ")},
        photos=tuple(Photo(name, {"th": name}) for name in names),
    )
    store.write_article(article, folder / "articles", "toml", ("th", "en"))


def _naive(source: Path, out: Path) -> None:
    from PIL import Image, ImageOps

    for width, suffix in ((WEB, "_resize.jpg"), (THUMB, "_thumb.jpg")):
        with Image.open(source) as opened:
            image = ImageOps.exif_transpose(opened)
            height = round(image.height * width / image.width)
            small = image.resize((width, height), Image.Resampling.LANCZOS)
            small.save(out / (source.stem + suffix), quality=OUT_QUALITY, progressive=True)


def _pyvips(source: Path, out: Path) -> None:
    import pyvips

    for width, suffix in ((WEB, "_resize.jpg"), (THUMB, "_thumb.jpg")):
        image = pyvips.Image.thumbnail(str(source), width, height=100_000, size="down")
        image.write_to_file(
            str(out / (source.stem + suffix)), Q=OUT_QUALITY, strip=True, interlace=True
        )


def _floor(source: Path, out: Path) -> None:
    from PIL import Image

    with Image.open(source) as image:
        # The same reduced scale opdc asks for: 1.5x the web width.
        scale = WEB * 1.5 / min(image.size)
        image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
        image.load()


WORKERS: dict[str, Callable[[Path, Path], None]] = {
    "naive": _naive,
    "pyvips": _pyvips,
    "pyvips-threads": _pyvips,
    "floor": _floor,
}


def run_reference(method: str, procs: int, out: Path, photos: list[Path]) -> None:
    """One timed run of a reference method (called in a fresh process)."""
    work = WORKERS[method]
    out.mkdir(parents=True, exist_ok=True)
    if procs == 1:
        for photo in photos:
            work(photo, out)
        return
    with ProcessPoolExecutor(max_workers=procs) as pool:
        for future in [pool.submit(work, photo, out) for photo in photos]:
            future.result()


def _opdc() -> str:
    found = shutil.which("opdc") or str(Path(sys.executable).parent / "opdc")
    return found


def _command(method: str, procs: int, work: Path, photos: list[Path]) -> list[str]:
    if method == "opdc":
        site = str(work / "site")
        return [_opdc(), "--site", site, "media", "resize", "--force", "--jobs", str(procs)]
    out = str(work / f"out-{method}")
    return [sys.executable, __file__, "--run", method, "--procs", str(procs), "--out", out] + [
        str(p) for p in photos
    ]


def _time(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[:6])} ... failed:\n{done.stderr.decode()}")
    return elapsed


def noop(site: Path, runs: int) -> None:
    """Median seconds of a resize with nothing to do, and of listing the same site."""
    resize = [_opdc(), "--site", str(site), "media", "resize"]
    listing = [_opdc(), "--site", str(site), "list", "--format", "ids"]
    _time(resize, dict(os.environ))  # the first run may make what is missing
    times: dict[str, list[float]] = {"resize": [], "list": []}
    for _ in range(runs):
        times["resize"].append(_time(resize, dict(os.environ)))
        times["list"].append(_time(listing, dict(os.environ)))
    seconds = {name: statistics.median(values) for name, values in times.items()}
    print(f"\nno-op resize of {site}, medians of {runs} runs\n")
    print("| opdc media resize (all up to date) | opdc list --format ids | ratio |")
    print("|---|---|---|")
    print(
        f"| {seconds['resize']:.2f} s | {seconds['list']:.2f} s "
        f"| {seconds['resize'] / seconds['list']:.1f}x |"
    )


def _have_pyvips() -> bool:
    try:
        import pyvips  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/opdc-bench-resize"))
    parser.add_argument("--noop-site", type=Path, help="time a resize with nothing to do")
    parser.add_argument("--run", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("files", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_reference(args.run, args.procs[0], args.out, args.files)
        return
    if args.noop_site:
        noop(args.noop_site, args.runs)
        return

    print(f"making {args.photos} photos of {WIDTH}x{HEIGHT} in {args.workdir} ...", file=sys.stderr)
    photos = make_photos(args.workdir / "originals", args.photos)
    make_site(args.workdir / "site", photos)
    methods = list(METHODS)
    if not _have_pyvips():
        print(
            "pyvips is not installed (pip install pyvips pyvips-binary): skipping it",
            file=sys.stderr,
        )
        methods.remove("pyvips")
        methods.remove("pyvips-threads")
    one_thread = dict(os.environ, VIPS_CONCURRENCY="1")
    threads = {k: v for k, v in os.environ.items() if k != "VIPS_CONCURRENCY"}
    rates: dict[tuple[str, int], float] = {}
    for procs in args.procs:
        times: dict[str, list[float]] = {method: [] for method in methods}
        # Interleaved, so that a noisy moment on a shared machine hits every method.
        for _ in range(args.runs):
            for method in methods:
                env = threads if method == "pyvips-threads" else one_thread
                times[method].append(_time(_command(method, procs, args.workdir, photos), env))
        for method in methods:
            rates[method, procs] = args.photos / statistics.median(times[method])

    print(f"\n{args.photos} photos {WIDTH}x{HEIGHT} q{QUALITY} -> {WEB} and {THUMB} px wide, ")
    print(f"medians of {args.runs} runs, photos/s (higher is better)\n")
    print("| processes | " + " | ".join(methods) + " | opdc/naive | opdc/pyvips |")
    print("|---" * (len(methods) + 3) + "|")
    for procs in args.procs:
        cells = [f"{rates[m, procs]:.1f}" for m in methods]
        naive = f"{rates['opdc', procs] / rates['naive', procs]:.2f}x"
        vips = (
            f"{rates['opdc', procs] / rates['pyvips', procs]:.2f}x" if "pyvips" in methods else "-"
        )
        print(f"| {procs} | " + " | ".join(cells) + f" | {naive} | {vips} |")


if __name__ == "__main__":
    main()
