"""Outputs never destroy, overwrite or expose what opdc did not write.

Each test reproduces a way a person lost files or a private file was published:
a folder of the person's own files, planted or edited state files, symbolic
links out of the site, outputs pointed at the sources, a killed export.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import MakeArticle, MakeSite, write_jpeg
from typer.testing import CliRunner, Result

from opdc_cli import store
from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.export.owned import safe_relative
from opdc_cli.export.site import MANIFEST, state_folder
from opdc_cli.fsutil import TEMP_RE
from opdc_cli.model import Article, Photo
from opdc_cli.validate import validate_site

PERSONS_FILES = {
    "index.html": "<p>my home page</p>",
    "static/style.css": "body { color: red }",
    "th/index.html": "<p>my Thai page</p>",
    "th/news/1001.html": "<p>my notes on 1001</p>",
    "feeds/th/rss.xml": "<rss>mine</rss>",
    "media/1001/img1001_1_resize.jpg": "not a photo",
    "notes.txt": "keep",
    "photos/holiday.jpg": "keep",
    "cv.pdf": "keep",
    "about/index.html": "keep",
}


def write_article(root: Path, article: Article) -> None:
    store.write_article(article, root / "articles" / "2018", "toml", ("th", "en"))


def run(runner: CliRunner, root: Path, *args: str) -> Result:
    return runner.invoke(app, ["--site", str(root), *args])


def persons_folder(folder: Path) -> dict[str, bytes]:
    for name, text in PERSONS_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return contents(folder)


def contents(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def with_web_sizes(root: Path) -> Path:
    for folder in (root / "media").iterdir():
        for original in list(folder.glob("img*_?.jpg")):
            write_jpeg(original.with_name(original.stem + "_resize.jpg"), (200, 150))
    return root


def test_a_folder_of_a_persons_files_is_refused_and_left_as_it_was(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    root = make_site()
    out = tmp_path / "mine"
    before = persons_folder(out)
    # Even with a planted `.opdc-export.json` (what --clean used to trust).
    (out / ".opdc-export.json").write_text("{}", encoding="utf-8")
    before[".opdc-export.json"] = b"{}"
    for args in ([], ["--clean"]):
        result = run(runner, root, "export", "--format", "html", "-o", str(out), *args)
        assert result.exit_code == 2
        assert "index.html" in result.stderr and "--force" in result.stderr
        assert contents(out) == before


def test_forced_export_writes_over_only_what_it_must_and_never_deletes_a_persons_files(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    root = with_web_sizes(make_site())
    out = tmp_path / "mine"
    before = persons_folder(out)
    result = run(runner, root, "export", "--format", "html", "-o", str(out), "--force")
    assert result.exit_code == 0, result.stderr
    after = contents(out)
    untouched = {"notes.txt", "photos/holiday.jpg", "cv.pdf", "about/index.html"}
    assert {name: after[name] for name in untouched} == {name: before[name] for name in untouched}
    (root / "articles" / "2018" / "1001.toml").unlink()
    for args in ([], ["--clean"]):
        result = run(runner, root, "export", "--format", "html", "-o", str(out), *args)
        assert result.exit_code == 0, result.stderr
        assert {name: contents(out)[name] for name in untouched} == {
            name: before[name] for name in untouched
        }
    assert not (out / "th" / "news" / "1001.html").exists()


def test_a_page_a_person_edited_is_not_overwritten_without_force(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    root = make_site()
    out = tmp_path / "public"
    assert run(runner, root, "export", "--format", "html", "-o", str(out)).exit_code == 0
    edited = out / "th" / "news" / "1001.html"
    edited.write_text("<p>fixed by hand</p>", encoding="utf-8")
    source = root / "articles" / "2018" / "1001.toml"
    source.write_text(source.read_text(encoding="utf-8").replace("ครั้งที่ 6", "ครั้งที่ 7"))
    result = run(runner, root, "export", "--format", "html", "-o", str(out))
    assert result.exit_code == 1
    assert "th/news/1001.html: not written" in result.stderr
    assert edited.read_text(encoding="utf-8") == "<p>fixed by hand</p>"
    forced = run(runner, root, "export", "--format", "html", "-o", str(out), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "ครั้งที่ 7" in edited.read_text(encoding="utf-8")


@pytest.mark.parametrize("planted", ["../victim.txt", "ABSOLUTE", "th/../../victim.txt"])
def test_paths_in_an_edited_record_never_reach_outside_the_folder(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path, planted: str
) -> None:
    root = make_site()
    out = tmp_path / "public"
    victim = tmp_path / "victim.txt"
    victim.write_text("must stay", encoding="utf-8")
    planted = str(victim) if planted == "ABSOLUTE" else planted
    assert run(runner, root, "export", "--format", "html", "-o", str(out)).exit_code == 0
    manifest_path = state_folder(Site.open(root), out.resolve()) / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["articles"]["1001"]["files"][planted] = "st:9:1"
    manifest["extra"][planted] = "b2:0"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    (root / "articles" / "2018" / "1001.toml").unlink()  # its files are now to be removed
    result = run(runner, root, "export", "--format", "html", "-o", str(out), "--clean")
    assert result.exit_code == 0, result.stderr
    assert "ignored" in result.stderr and "leave the output folder" in result.stderr
    assert victim.read_text(encoding="utf-8") == "must stay"


def test_a_link_in_the_output_folder_is_never_written_through(
    make_site: MakeSite, runner: CliRunner, tmp_path: Path
) -> None:
    root = make_site()
    out = tmp_path / "public"
    assert run(runner, root, "export", "--format", "html", "-o", str(out)).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for page in (out / "en" / "news").iterdir():
        page.unlink()
    (out / "en" / "news").rmdir()
    (out / "en" / "news").symlink_to(elsewhere)
    source = root / "articles" / "2018" / "1001.toml"
    source.write_text(source.read_text(encoding="utf-8").replace("Hanoi.", "Ha Noi."))
    result = run(runner, root, "export", "--format", "html", "-o", str(out), "--force")
    assert result.exit_code == 1
    assert "en/news/1001.html: not written" in result.stderr
    assert list(elsewhere.iterdir()) == []


def test_a_media_folder_linked_out_of_the_site_is_never_published(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    secrets = tmp_path / "home"
    (secrets / ".ssh").mkdir(parents=True)
    (secrets / "secret.txt").write_text("TOPSECRET", encoding="utf-8")
    (secrets / ".ssh" / "id_rsa").write_text("PRIVATEKEY", encoding="utf-8")
    write_jpeg(secrets / "img1601_1.jpg")
    write_jpeg(secrets / "img1601_1_resize.jpg")
    article = make_article(
        1601,
        photos=(Photo("img1601_1.jpg", {"th": "ภาพ"}),),
        attachments=(),
    )
    root = with_web_sizes(make_site([make_article(1001)]))
    write_article(root, article)
    (root / "media" / "1601").symlink_to(secrets)
    problems = [p for p in validate_site(root).problems if p.article == 1601]
    assert [(p.code, p.severity) for p in problems] == [("OPDC301", "error")]
    assert "symbolic link" in problems[0].message
    out = tmp_path / "public"
    result = run(runner, root, "export", "--format", "html", "-o", str(out), "--with-originals")
    assert result.exit_code == 1
    assert "OPDC301 not published" in result.stderr
    for name, data in contents(out).items():
        assert b"TOPSECRET" not in data and b"PRIVATEKEY" not in data, name
        assert "1601" not in name


@pytest.mark.parametrize(
    ("command", "target"),
    [
        (["export", "--format", "json", "-o"], "site.toml"),
        (["export", "--format", "csv", "-o"], "articles/2018/1001.toml"),
        (["export", "--format", "jsonl", "-o"], "media/1001/img1001_1.jpg"),
        (["feed", "-o"], "site.toml"),
        (["feed", "-o"], "articles/2018/1003.toml"),
        (["feed", "--all"], "articles"),
        (["feed", "--all"], ".opdc/feeds"),
        (["export", "--format", "html", "-o"], "templates/x"),
    ],
)
def test_outputs_never_land_on_the_sources(
    make_site: MakeSite, runner: CliRunner, command: list[str], target: str
) -> None:
    root = make_site()
    before = contents(root)
    result = run(runner, root, *command, str(root / target))
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert contents(root) == before


def test_record_paths_are_checked() -> None:
    assert safe_relative("th/news/1.html")
    for bad in ("", "/etc/passwd", "../x", "th/../../x", "a\\b", "a\x00b", "./x", 7, None):
        assert not safe_relative(bad), bad


def test_a_killed_export_leaves_no_temporary_files_after_the_next_run(
    make_site: MakeSite, make_article: MakeArticle, opdc_exe: Path, tmp_path: Path
) -> None:
    articles = [make_article(2000 + n, photos=()) for n in range(120)]
    root = make_site(articles)
    out = tmp_path / "public"
    for delay in (0.6, 0.9, 1.2):
        process = subprocess.Popen(
            [str(opdc_exe), "--site", str(root), "export", "--format", "html", "-o", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        # The killed export's workers end with it: none holds the lock the next waits on.
        finished = subprocess.run(
            [str(opdc_exe), "--site", str(root), "export", "--format", "html", "-o", str(out)],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert finished.returncode == 0, finished.stderr
        assert not [p for p in out.rglob("*") if TEMP_RE.match(p.name)]
        assert len(list((out / "th" / "news").iterdir())) == 120
        # The next article change starts from a clean folder too.
        source = root / "articles" / "2018" / "2000.toml"
        source.write_text(source.read_text(encoding="utf-8").replace("ครั้งที่ 6", f"{delay}"))
