"""Validate's kept results (opdc_cli.checks): reused exactly while nothing they depend
on changed, and checked again as soon as anything did.

Every test counts the articles really checked, by wrapping ArticleChecker's one
article check, and compares the problems with a run that keeps nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import MakeSite, build_article, write_jpeg
from test_validate import broken_site  # noqa: F401  (the fixture, by name)
from typer.testing import CliRunner

from opdc_cli import checks, validate
from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.export.site import export_site
from opdc_cli.model import Photo
from opdc_cli.store import ArticleFile
from opdc_cli.validate import Problem, validate_site

BANGKOK = ZoneInfo("Asia/Bangkok")
NOW = datetime(2026, 1, 1, tzinfo=BANGKOK)

Checked = list[int]


def watch_checks(monkeypatch: pytest.MonkeyPatch) -> Checked:
    """The ids of the articles checked (not taken from the kept results), in order."""
    seen: Checked = []
    real = validate.ArticleChecker._check_one

    def spy(self: validate.ArticleChecker, files: list[ArticleFile]) -> checks.Checked:
        seen.append(files[0].id)
        return real(self, files)

    monkeypatch.setattr(validate.ArticleChecker, "_check_one", spy)
    return seen


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Checked:
    """watch_checks, with files trusted as soon as they are written: the racy window
    is what keeps a just-written file from being kept, and the tests below change
    files on purpose."""
    monkeypatch.setattr(checks, "RACY_NS", 0)
    return watch_checks(monkeypatch)


def fresh(root: Path, now: datetime | None = NOW) -> list[Problem]:
    return validate_site(root, now=now, cache=False).problems


def age(root: Path) -> Path:
    """Every file of the site an hour older (their order kept): none is too recent to
    be kept, not even the web sizes the broken site dates in the future."""
    for path in root.rglob("*"):
        st = path.lstat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 3600 * 10**9), follow_symlinks=False)
    return root


# The one article of the broken site dated after NOW: "scheduled" is never kept.
SCHEDULED = 1028


def errors(root: Path) -> list[str]:
    return [p.code for p in validate_site(root, now=NOW).problems if p.severity == "error"]


def rewrite_keeping_stat(path: Path, old: str, new: str) -> None:
    """Change `old` to `new` (same length) and put the size and mtime back: what a
    second save within one clock tick looks like."""
    assert len(old.encode()) == len(new.encode())
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def test_a_second_run_checks_nothing_and_finds_the_same(
    broken_site: Path,  # noqa: F811
    checked: Checked,
) -> None:
    age(broken_site)
    first = validate_site(broken_site, now=NOW).problems
    count = len(checked)
    assert count >= 30
    second = validate_site(broken_site, now=NOW).problems
    assert checked[count:] == [SCHEDULED], "the second run checked articles again"
    assert second == first == fresh(broken_site)
    assert (broken_site / ".opdc" / "checks.sqlite").is_file()


def test_deep_and_no_cache_check_everything_again(
    broken_site: Path,  # noqa: F811
    checked: Checked,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPDC_NOW", NOW.isoformat())
    age(broken_site)
    validate_site(broken_site, now=NOW)
    count = len(checked)
    validate_site(broken_site, now=NOW, deep=True)
    assert len(checked) == 2 * count
    result = runner.invoke(app, ["--site", str(broken_site), "--no-cache", "validate"])
    assert result.exit_code == 1
    assert len(checked) == 3 * count
    result = runner.invoke(app, ["--site", str(broken_site), "validate"])
    assert result.exit_code == 1
    assert checked[3 * count :] == [SCHEDULED]


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    return make_site()


def test_a_changed_file_is_checked_again_even_with_its_size_and_mtime(
    site: Path, checked: Checked
) -> None:
    assert errors(site) == []
    path = next((site / "articles").rglob("1001.toml"))
    # The same length: a category the site does not have.
    rewrite_keeping_stat(path, 'category = "headline"', 'category = "headlinX"')
    checked.clear()
    assert errors(site) == ["OPDC114"]
    assert checked == [1001]
    assert validate_site(site, now=NOW).problems == fresh(site)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda f: (f / "img1001_1.jpg").write_bytes(b"not a photo"), id="broken"),
        pytest.param(lambda f: (f / "img1001_1.jpg").unlink(), id="deleted"),
        pytest.param(lambda f: write_jpeg(f / "stray.jpg"), id="unused-file"),
        pytest.param(lambda f: (f / ".resize.json").write_text("{}"), id="resize-record"),
    ],
)
def test_a_change_in_the_media_folder_is_checked_again(
    site: Path, checked: Checked, change: Callable[[Path], object]
) -> None:
    validate_site(site, now=NOW)
    change(site / "media" / "1001")
    checked.clear()
    found = validate_site(site, now=NOW).problems
    assert checked == [1001]
    assert found == fresh(site)
    assert found, "each change is a problem validate reports"


def test_a_hard_link_to_a_photo_changes_nothing(
    site: Path, checked: Checked, tmp_path: Path
) -> None:
    """Every html export hard-links the photos into its folder, which changes their
    ctime: that alone must not have every article checked again."""
    validate_site(site, now=NOW)
    photo = site / "media" / "1001" / "img1001_1.jpg"
    before = photo.stat().st_ctime_ns
    os.link(photo, tmp_path / "linked.jpg")
    assert photo.stat().st_ctime_ns != before or photo.stat().st_nlink == 2
    checked.clear()
    validate_site(site, now=NOW)
    assert checked == []


def test_new_settings_check_everything_again(site: Path, checked: Checked) -> None:
    validate_site(site, now=NOW)
    site_file = site / "site.toml"
    site_file.write_text(
        site_file.read_text(encoding="utf-8").replace("max_file_mb = 40", "max_file_mb = 41"),
        encoding="utf-8",
    )
    checked.clear()
    validate_site(site, now=NOW)
    assert sorted(checked) == [1001, 1002, 1003]


def test_new_code_checks_everything_again(
    site: Path, checked: Checked, monkeypatch: pytest.MonkeyPatch
) -> None:
    validate_site(site, now=NOW)
    real = checks.code_stamp
    monkeypatch.setattr(checks, "code_stamp", lambda: real() + "\nedited")
    checked.clear()
    validate_site(site, now=NOW)
    assert sorted(checked) == [1001, 1002, 1003]


def test_a_scheduled_article_is_reported_at_any_time_order(
    make_site: MakeSite, checked: Checked
) -> None:
    date = datetime(2026, 6, 1, 9, 0, tzinfo=BANGKOK)
    root = make_site([build_article(1001, date=date, photos=())])
    before, after = datetime(2026, 5, 1, tzinfo=BANGKOK), datetime(2026, 7, 1, tzinfo=BANGKOK)
    # After its date: nothing to say, and kept.
    assert [p.code for p in validate_site(root, now=after).problems] == []
    # Before it: the kept result cannot say "scheduled", so it is checked again.
    checked.clear()
    assert [p.code for p in validate_site(root, now=before).problems] == ["OPDC501"]
    assert checked == [1001]
    # A result that says "scheduled" is not kept: after the date it is gone.
    assert [p.code for p in validate_site(root, now=after).problems] == []
    checked.clear()
    validate_site(root, now=after)
    assert checked == []


def test_a_file_changed_just_now_is_not_kept(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = watch_checks(monkeypatch)
    # The files were written a moment ago: within the racy window, nothing is kept.
    validate_site(site, now=NOW)
    validate_site(site, now=NOW)
    assert sorted(seen) == [1001, 1001, 1002, 1002, 1003, 1003]


def test_deleted_articles_are_forgotten(site: Path, checked: Checked) -> None:
    validate_site(site, now=NOW)
    next((site / "articles").rglob("1002.toml")).unlink()
    validate_site(site, now=NOW)
    kept = checks.CheckCache(Site.open(site).config)
    try:
        conn = kept._connection()
        assert conn is not None
        assert sorted(row[0] for row in conn.execute("SELECT id FROM checks")) == [1001, 1003]
    finally:
        kept.close()


def test_a_damaged_file_is_started_again(site: Path, checked: Checked) -> None:
    validate_site(site, now=NOW)
    path = site / ".opdc" / "checks.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    checked.clear()
    assert errors(site) == []
    assert sorted(checked) == [1001, 1002, 1003]
    checked.clear()
    validate_site(site, now=NOW)
    assert checked == []


def test_the_publication_gate_keeps_and_rechecks(
    make_site: MakeSite, checked: Checked, tmp_path: Path
) -> None:
    """An export asks validate about each article it reads: a second export into a
    new folder reads them all, and checks none again; a broken photo is seen."""
    root = make_site(
        [build_article(1001, photos=(Photo("img1001_1.jpg", {"th": "ภาพ", "en": "Photo"}),))]
    )
    export_site(Site.open(root), tmp_path / "one", now=NOW)
    assert checked == [1001]
    checked.clear()
    report = export_site(Site.open(root), tmp_path / "two", now=NOW)
    assert checked == []
    assert any(path.startswith("th/") for path in report.written)
    photo = root / "media" / "1001" / "img1001_1.jpg"
    # Replaced, as a copy over it would: the export sees its media folder changed.
    photo.unlink()
    photo.write_bytes(b"not a photo")
    report = export_site(Site.open(root), tmp_path / "two", now=NOW)
    assert checked == [1001]
    assert [p.code for p in report.problems] == ["OPDC302"]
