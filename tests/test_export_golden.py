"""The sample site's html export, compared byte for byte with a golden copy.

tests/data/golden/sample/ holds every page, feed and the style sheet of the
repository's sample site exported (photos resized as `opdc media resize` makes
them, the clock fixed), and photos.txt the name and size of every photo and
attachment (their bytes depend on the JPEG encoder of the machine). A change to
what the export writes shows here as a diff; when it is meant, update the copy
with one command and review the diff in git:

    OPDC_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_export_golden.py
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from conftest import BANGKOK, REPO
from test_export import resize_photos

from opdc_cli.content import Site
from opdc_cli.export.site import export_site

GOLDEN = Path(__file__).parent / "data" / "golden" / "sample"
PHOTOS = "photos.txt"
NOW = datetime(2025, 1, 1, 9, 0, tzinfo=BANGKOK)
# Compared by bytes; everything else (photos, attachments) by name and size.
TEXT_SUFFIXES = (".html", ".xml", ".css", ".txt", ".svg")


def exported(folder: Path) -> dict[str, bytes]:
    """The sample site exported into `folder`: path -> bytes of each page, feed and
    style sheet, and PHOTOS -> one "path size" line per other file."""
    root = folder / "sample"
    root.mkdir()
    shutil.copy2(REPO / "site.toml", root / "site.toml")
    shutil.copytree(REPO / "articles", root / "articles")
    shutil.copytree(REPO / "media", root / "media")
    resize_photos(root)
    out = folder / "public"
    report = export_site(Site.open(root), out, jobs=1, now=NOW)
    assert not report.problems and not report.conflicts
    found: dict[str, bytes] = {}
    others = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = path.relative_to(out).as_posix()
        if name.endswith(TEXT_SUFFIXES):
            found[name] = path.read_bytes()
        else:
            others.append(f"{name} {path.stat().st_size}\n")
    found[PHOTOS] = "".join(others).encode()
    return found


def golden() -> dict[str, bytes]:
    return {
        p.relative_to(GOLDEN).as_posix(): p.read_bytes()
        for p in sorted(GOLDEN.rglob("*"))
        if p.is_file()
    }


def update(files: dict[str, bytes]) -> None:
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for name, data in files.items():
        target = GOLDEN / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def test_the_sample_site_exports_as_its_golden_copy(tmp_path: Path) -> None:
    files = exported(tmp_path)
    if os.environ.get("OPDC_UPDATE_GOLDEN") == "1":
        update(files)
    expected = golden()
    assert sorted(files) == sorted(expected), "files differ from tests/data/golden/sample"
    for name, data in files.items():
        assert data == expected[name], (
            f"{name} differs from its golden copy; if the change is meant, run "
            "OPDC_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_export_golden.py"
        )
