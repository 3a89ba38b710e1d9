"""Changing an existing article: the lock, the check against an editor's save, comments
kept, the two-file journal, and nothing left behind by killed commands.

Concurrency and kills run the installed `opdc` as real processes.
"""

from __future__ import annotations

import difflib
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import MakeArticle, MakeSite, write_jpeg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from opdc_cli import fsutil, media, store
from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.edit import ArticleChanged, journal_path
from opdc_cli.model import Photo

ID = 1001
REVIEWED = 'status = "published"  # ตรวจแล้วโดย ผอ.'


def environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("OPDC_SITE", "VISUAL", "EDITOR")}


def article_paths(root: Path, form: str) -> list[Path]:
    folder = root / "articles" / "2018"
    names = [f"{ID}.toml"] if form == "toml" else [f"{ID}.th.txt", f"{ID}.en.txt"]
    return [folder / name for name in names]


def one_photo_site(make_site: MakeSite, make_article: MakeArticle, form: str) -> Path:
    """Article 1001 with one photo (present in media/), in `form`."""
    photo = Photo(f"img{ID}_1.jpg", {"th": "ภาพแรก", "en": "The first"})
    root = make_site([make_article(ID, photos=(photo,))], form=form)
    write_jpeg(root / "media" / str(ID) / photo.file)
    return root


def listed_photos(path: Path) -> list[str]:
    """The [[photos]] file names one article file lists, read with tomli."""
    import tomli

    text = path.read_text(encoding="utf-8")
    if path.suffix == ".txt":
        text = text.split("+++\n")[1]
    return [item["file"] for item in tomli.loads(text).get("photos", [])]


def temp_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.tmp") if ".opdc" not in p.relative_to(root).parts)


def add(runner: CliRunner, root: Path, *args: str) -> str:
    result = runner.invoke(app, ["--site", str(root), "media", "add", str(ID), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


# --- concurrent adds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "runs", "trials"), [("toml", 10, 10), ("txt", 10, 5), ("toml", 20, 2), ("txt", 20, 2)]
)
def test_concurrent_media_adds_keep_every_photo(
    make_site: MakeSite,
    make_article: MakeArticle,
    opdc_exe: Path,
    tmp_path: Path,
    form: str,
    runs: int,
    trials: int,
) -> None:
    photos = [
        write_jpeg(tmp_path / "in" / f"p{n}.jpg", color=(n * 10, 90, 30)) for n in range(runs)
    ]
    for trial in range(trials):
        root = make_site([make_article(ID, photos=())], form=form, folder=tmp_path / f"site{trial}")
        command = [str(opdc_exe), "--site", str(root), "media", "add", str(ID)]
        processes = [
            subprocess.Popen(
                [*command, str(photo), "--caption", f"ภาพ {n}", "--caption-en", f"photo {n}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environment(),
            )
            for n, photo in enumerate(photos)
        ]
        outputs = [process.communicate() for process in processes]
        assert [p.returncode for p in processes] == [0] * runs, outputs
        article = Site.open(root, cache=False).article(ID)
        names = [photo.file for photo in article.photos]
        assert sorted(names) == sorted(f"img{ID}_{n}.jpg" for n in range(1, runs + 1))
        captions = sorted(photo.captions["th"] for photo in article.photos)
        assert captions == sorted(f"ภาพ {n}" for n in range(runs))
        # Every photo keeps its own captions in both languages, in both files.
        assert all(p.captions["en"] == "photo " + p.captions["th"][4:] for p in article.photos)
        for path in article_paths(root, form):
            assert listed_photos(path) == names
        assert sorted(p.name for p in (root / "media" / str(ID)).iterdir()) == sorted(names)
        assert temp_files(root) == []


# --- an editor's save ------------------------------------------------------------------


@pytest.mark.parametrize("form", ["toml", "txt"])
def test_a_save_made_before_media_add_writes_is_kept(
    make_site: MakeSite, make_article: MakeArticle, tmp_path: Path, form: str
) -> None:
    root = one_photo_site(make_site, make_article, form)
    site = Site.open(root)
    article = site.article(ID)  # what `opdc media add` read when it started
    infos = media.check_images([write_jpeg(tmp_path / "new.jpg")], site.config.media)
    # Meanwhile a person saves a change in an editor (the last file: the English one).
    path = article_paths(root, form)[-1]
    edited = path.read_text(encoding="utf-8").replace("OPDC co-hosts", "OPDC hosts")
    path.write_text(edited, encoding="utf-8")
    saved, _ = media.add_photos(site, article, infos)
    assert saved.title("en").startswith("OPDC hosts")
    again = Site.open(root, cache=False).article(ID)
    assert again.title("en").startswith("OPDC hosts")
    assert [p.file for p in again.photos] == [f"img{ID}_1.jpg", f"img{ID}_2.jpg"]


@pytest.mark.parametrize("form", ["toml", "txt"])
def test_a_file_changed_while_the_change_is_made_is_never_overwritten(
    make_site: MakeSite, make_article: MakeArticle, form: str
) -> None:
    root = one_photo_site(make_site, make_article, form)
    site = Site.open(root)
    paths = article_paths(root, form)
    before = [path.read_bytes() for path in paths]
    with site.edit(ID) as editing:
        paths[-1].write_bytes(before[-1] + b"# saved in an editor\n")
        with pytest.raises(ArticleChanged, match="changed on disk"):
            editing.add_photos([Photo(f"img{ID}_2.jpg", {"th": "ใหม่"})])
    assert paths[-1].read_bytes() == before[-1] + b"# saved in an editor\n"
    assert [path.read_bytes() for path in paths[:-1]] == before[:-1]
    assert temp_files(root) == []
    assert not journal_path(paths[0].parent, ID).exists()


def test_media_add_refused_for_a_changed_file_exits_1_with_one_line_and_removes_its_copies(
    make_site: MakeSite,
    make_article: MakeArticle,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = one_photo_site(make_site, make_article, "txt")
    path = article_paths(root, "txt")[0]
    copy = fsutil.create_exclusive

    def copy_while_an_editor_saves(target: Path, data: bytes | str, **kw: int) -> None:
        copy(target, data, **kw)
        path.write_text(path.read_text(encoding="utf-8").replace("ก.พ.ร.", "กพร"), "utf-8")

    monkeypatch.setattr(media, "create_exclusive", copy_while_an_editor_saves)
    photo = write_jpeg(tmp_path / "new.jpg")
    result = runner.invoke(app, ["--site", str(root), "media", "add", str(ID), str(photo)])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "changed on disk" in result.stderr and f"{ID}.th.txt" in result.stderr
    assert "กพร" in path.read_text(encoding="utf-8")
    assert sorted(p.name for p in (root / "media" / str(ID)).iterdir()) == [f"img{ID}_1.jpg"]


# --- comments and layout -----------------------------------------------------------------


@pytest.mark.parametrize("form", ["toml", "txt"])
def test_media_add_keeps_a_reviewers_comment(
    make_site: MakeSite,
    make_article: MakeArticle,
    runner: CliRunner,
    tmp_path: Path,
    form: str,
) -> None:
    root = one_photo_site(make_site, make_article, form)
    paths = article_paths(root, form)
    for path in paths:
        text = path.read_text(encoding="utf-8").replace('status = "published"', REVIEWED)
        path.write_text(text, encoding="utf-8")
    before = [path.read_text(encoding="utf-8") for path in paths]
    add(runner, root, str(write_jpeg(tmp_path / "new.jpg")), "--caption", "ใหม่")
    for path, old in zip(paths, before, strict=True):
        new = path.read_text(encoding="utf-8")
        assert REVIEWED + "\n" in new
        changes = [
            line for line in difflib.ndiff(old.splitlines(), new.splitlines()) if line[0] in "+-"
        ]
        assert all(line.startswith("+ ") for line in changes), changes
        expected = ["+ ", "+ [[photos]]", f'+ file = "img{ID}_2.jpg"']
        expected.append('+ th = "ใหม่"' if form == "toml" else "")
        if path.name.endswith(".th.txt"):
            expected[-1] = '+ caption = "ใหม่"'
        assert changes == [line for line in expected if line]


def _safe_lines(lines: list[str]) -> list[bool]:
    """Per line: True when it is outside a multi-line string (comments may go there)."""
    inside = False
    safe = []
    for line in lines:
        safe.append(not inside)
        if line.count('"""') % 2 == 1:
            inside = not inside
    return safe


def _decorate(text: str, data: st.DataObject) -> str:
    """`text` (TOML) with comments, blank lines and literal strings placed at random."""
    lines = text.split("\n")
    safe = _safe_lines(lines)
    out = []
    for line, ok in zip(lines, safe, strict=True):
        if ok and data.draw(st.integers(0, 3)) == 0:
            out.append(data.draw(st.sampled_from(["# หมายเหตุ", "", "   # note: ok", "#"])))
        closes = line.count('"""') % 2 == 1
        if ok and line and not closes and data.draw(st.booleans()):
            if ' = "' in line and line.endswith('"') and "\\" not in line and "'" not in line:
                key, _, value = line.partition(" = ")
                if value.count('"') == 2 and data.draw(st.booleans()):
                    line = f"{key} = '{value[1:-1]}'"
            if data.draw(st.booleans()):
                line += data.draw(st.sampled_from(["  # ตรวจแล้วโดย ผอ.", " #x", "\t# ok"]))
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("form", ["toml", "txt"])
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_media_add_changes_only_the_lines_it_must(
    make_site: MakeSite,
    make_article: MakeArticle,
    tmp_path: Path,
    form: str,
    data: st.DataObject,
) -> None:
    root = tmp_path / "site"
    if not root.exists():
        one_photo_site(make_site, make_article, form)
    site = Site.open(root, cache=False)
    paths = article_paths(root, form)
    media_folder = root / "media" / str(ID)
    for extra in media_folder.iterdir():
        if extra.name != f"img{ID}_1.jpg":
            extra.unlink()
    count = data.draw(st.sampled_from([0, 1]))  # without and with a photo already
    photos = (Photo(f"img{ID}_1.jpg", {"th": "ภาพแรก", "en": "The first"}),)[:count]
    base = make_article(ID, photos=photos)
    rendered = store.render(base, form, site.config.languages)
    before = {}
    for path in paths:
        text = rendered[path.name]
        if form == "txt":
            _, front, body = text.split("+++\n", 2)
            text = "+++\n" + _decorate(front, data) + "+++\n" + body
        else:
            text = _decorate(text, data)
        path.write_text(text, encoding="utf-8")
        before[path] = text
    new = Photo(f"img{ID}_2.jpg", {"th": "ภาพใหม่", "en": "New"})
    write_jpeg(tmp_path / "new.jpg")
    infos = media.check_images([tmp_path / "new.jpg"], site.config.media)
    saved, _ = media.add_photos(site, ID, infos, {"th": "ภาพใหม่", "en": "New"})
    assert saved.photos == (*photos, new)
    for path in paths:
        written = path.read_text(encoding="utf-8")
        if form == "txt":  # the body, byte for byte
            assert written.split("+++\n", 2)[2] == before[path].split("+++\n", 2)[2]
        old, now = before[path].split("\n"), written.split("\n")
        matcher = difflib.SequenceMatcher(a=old, b=now, autojunk=False)
        inserted = [
            line
            for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            if tag != "equal"
            for line in (now[j1:j2] if tag == "insert" else [f"{tag}: {old[i1:i2]}"])
        ]
        allowed = {"", "[[photos]]", f'file = "{new.file}"'}
        allowed |= {'th = "ภาพใหม่"', 'en = "New"', 'caption = "ภาพใหม่"', 'caption = "New"'}
        assert inserted and set(inserted) <= allowed, inserted
    assert Site.open(root, cache=False).article(ID).photos == (*photos, new)
    (media_folder / new.file).unlink()


# --- the two-file journal ---------------------------------------------------------------

KILL_BETWEEN_RENAMES = """
import os, signal, sys
from pathlib import Path
from opdc_cli import media
from opdc_cli.content import Site

renames = 0
real = os.replace


def replace_then_die(source, target, *args, **kw):
    # Killed for real (SIGKILL) after the first article file is renamed.
    global renames
    if str(target).endswith(".txt"):
        if int(sys.argv[3]) == renames:
            os.kill(os.getpid(), signal.SIGKILL)
        renames += 1
    return real(source, target, *args, **kw)


os.replace = replace_then_die
site = Site.open(sys.argv[1], cache=False)
infos = media.check_images([Path(sys.argv[2])], site.config.media)
media.add_photos(site, 1001, infos, {"th": "ภาพใหม่", "en": "New"})
"""


def kill_between_renames(root: Path, photo: Path, after: int) -> None:
    process = subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN_RENAMES, str(root), str(photo), str(after)],
        capture_output=True,
        env=environment(),
        check=False,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr


@pytest.mark.parametrize("after", [0, 1])
@pytest.mark.parametrize("next_command", ["add", "clean"])
def test_a_pair_killed_between_its_renames_is_completed_by_the_next_command(
    make_site: MakeSite,
    make_article: MakeArticle,
    runner: CliRunner,
    tmp_path: Path,
    after: int,
    next_command: str,
) -> None:
    root = one_photo_site(make_site, make_article, "txt")
    th, en = article_paths(root, "txt")
    kill_between_renames(root, write_jpeg(tmp_path / "new.jpg"), after)
    journal = journal_path(th.parent, ID)
    assert journal.exists()
    if after == 1:  # one file renamed, the other not: half-rewritten until recovered
        assert sorted([len(listed_photos(th)), len(listed_photos(en))]) == [1, 2]
    if next_command == "add":
        add(runner, root, str(write_jpeg(tmp_path / "third.jpg")))
        expected = [f"img{ID}_{n}.jpg" for n in (1, 2, 3)]
    else:
        result = runner.invoke(app, ["--site", str(root), "media", "clean"])
        assert result.exit_code == 0, result.output
        expected = [f"img{ID}_{n}.jpg" for n in (1, 2)]
    assert not journal.exists()
    assert listed_photos(th) == listed_photos(en) == expected
    article = Site.open(root, cache=False).article(ID)
    assert article.photos[1].captions == {"th": "ภาพใหม่", "en": "New"}
    assert temp_files(root) == []


def test_recovery_keeps_a_file_a_person_changed_after_the_kill(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    root = one_photo_site(make_site, make_article, "txt")
    th, en = article_paths(root, "txt")
    kill_between_renames(root, write_jpeg(tmp_path / "new.jpg"), 1)
    mine = en.read_text(encoding="utf-8").replace("OPDC co-hosts", "OPDC hosts")
    en.write_text(mine, encoding="utf-8")
    result = runner.invoke(app, ["--site", str(root), "media", "clean", "--dry-run"])
    assert "could not be finished" in result.stderr
    assert en.read_text(encoding="utf-8") == mine
    assert not journal_path(th.parent, ID).exists()
    assert temp_files(root) == []


@pytest.mark.parametrize(
    "journal",
    [
        "{}",
        "not json",
        json.dumps(
            {
                "version": 1,
                "id": ID,
                "write": [{"name": "../../victim.txt", "temp": ".x.opdc-1.a.tmp", "new": "0"}],
                "remove": [],
            }
        ),
        json.dumps(
            {"version": 1, "id": ID, "write": [], "remove": [{"name": "/etc/hosts", "old": "0"}]}
        ),
    ],
)
def test_a_journal_opdc_did_not_write_is_ignored(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, journal: str
) -> None:
    root = one_photo_site(make_site, make_article, "txt")
    victim = root.parent / "victim.txt"
    victim.write_text("mine", encoding="utf-8")
    before = [path.read_bytes() for path in article_paths(root, "txt")]
    planted = journal_path(root / "articles" / "2018", ID)
    planted.write_text(journal, encoding="utf-8")
    result = runner.invoke(app, ["--site", str(root), "media", "clean"])
    assert result.exit_code == 0, result.output
    assert "not a journal opdc wrote" in result.stderr
    assert victim.read_text(encoding="utf-8") == "mine"
    assert [path.read_bytes() for path in article_paths(root, "txt")] == before
    assert not planted.exists()


# --- leftovers -----------------------------------------------------------------------------


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_temp_files_of_a_dead_process_are_removed_by_the_next_write(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner, tmp_path: Path
) -> None:
    root = one_photo_site(make_site, make_article, "toml")
    pid = dead_pid()
    stale = [
        root / "articles" / "2018" / f".{ID}.toml.opdc-{pid}.abc123.tmp",
        root / "media" / str(ID) / f".img{ID}_2.jpg.opdc-{pid}.x_y.tmp",
    ]
    # A live process's temp file (this one's, written after it started) is its work.
    live = root / "media" / str(ID) / f".img{ID}_9.jpg.opdc-{os.getpid()}.q.tmp"
    for path in [*stale, live]:
        path.write_bytes(b"half")
    add(runner, root, str(write_jpeg(tmp_path / "new.jpg")))
    assert not any(path.exists() for path in stale)
    assert live.exists()


def test_a_temp_file_older_than_the_process_of_its_pid_is_stale(tmp_path: Path) -> None:
    path = tmp_path / f".a.toml.opdc-{os.getpid()}.abc.tmp"
    path.write_bytes(b"")
    assert not fsutil.is_stale_temp(path)
    long_ago = time.time() - 10 * 365 * 86400
    os.utime(path, (long_ago, long_ago))  # written before this process began: a reused pid
    assert fsutil.is_stale_temp(path)
    assert not fsutil.is_stale_temp(tmp_path / "notes.tmp")


def test_media_clean_removes_only_unused_originals_under_opdcs_names(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    root = one_photo_site(make_site, make_article, "toml")
    folder = root / "media" / str(ID)
    orphans = [
        f"img{ID}_4.jpg",
        f"img{ID}_4_resize.jpg",
        f"img{ID}_4_thumb.jpg",
        f"img{ID}_4_share.jpg",
        f"img{ID}_5.png",
    ]
    kept = [
        f"img{ID}_1.jpg",  # used
        f"img{ID}_1_resize.jpg",  # the web size of a used photo
        f"img{ID}_1_share.jpg",  # the share image of the first photo
        f"img{ID}_6.JPG",  # not a name opdc gives
        "img1002_1.jpg",  # another article's name
        f"img{ID}_07.jpg",  # not canonical
        "notes.txt",
        "stage.jpg",
    ]
    for name in orphans + kept:
        if not (folder / name).exists():
            (folder / name).write_bytes(b"x")
    pid = dead_pid()
    temp = folder / f".img{ID}_8.jpg.opdc-{pid}.z.tmp"
    temp.write_bytes(b"")
    dry = runner.invoke(app, ["--site", str(root), "media", "clean", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    listed = sorted(Path(line).name for line in dry.stdout.splitlines())
    assert listed == sorted([*orphans, temp.name])
    assert "would remove 6 file(s)" in dry.stderr
    assert all((folder / name).exists() for name in orphans)
    done = runner.invoke(app, ["--site", str(root), "media", "clean", str(ID)])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in folder.iterdir()) == sorted(kept)


def test_validate_points_unused_originals_to_media_clean(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    root = one_photo_site(make_site, make_article, "toml")
    (root / "media" / str(ID) / f"img{ID}_3.jpg").write_bytes(b"x")
    (root / "media" / str(ID) / "stage.jpg").write_bytes(b"x")
    result = runner.invoke(app, ["--site", str(root), "validate", "--format", "json"])
    found = {Path(p["path"]).name: p for p in json.loads(result.stdout) if p["code"] == "OPDC309"}
    assert found[f"img{ID}_3.jpg"]["severity"] == "warning"
    assert f"opdc media clean {ID}" in found[f"img{ID}_3.jpg"]["message"]
    assert "media clean" not in found["stage.jpg"]["message"]


def test_the_share_image_of_a_photo_no_longer_first_goes_with_media_clean(
    make_site: MakeSite, make_article: MakeArticle, runner: CliRunner
) -> None:
    photos = tuple(
        Photo(f"img{ID}_{n}.jpg", {"th": f"ภาพ {n}", "en": f"Photo {n}"}) for n in (1, 2)
    )
    root = make_site([make_article(ID, photos=photos)])
    for photo in photos:
        write_jpeg(root / "media" / str(ID) / photo.file)
    assert runner.invoke(app, ["--site", str(root), "media", "resize"]).exit_code == 0
    folder = root / "media" / str(ID)
    validate = ["--site", str(root), "validate", "--format", "json"]
    assert not [
        p for p in json.loads(runner.invoke(app, validate).stdout) if p["code"] == "OPDC309"
    ]

    # The second photo becomes the first: its share image is made, the old one unused.
    site = Site.open(root)
    article = site.article(ID)
    site.save(replace(article, photos=article.photos[::-1]))
    assert runner.invoke(app, ["--site", str(root), "media", "resize"]).exit_code == 0
    assert (folder / f"img{ID}_2_share.jpg").is_file()
    found = [p for p in json.loads(runner.invoke(app, validate).stdout) if p["code"] == "OPDC309"]
    assert [Path(p["path"]).name for p in found] == [f"img{ID}_1_share.jpg"]
    assert f"opdc media clean {ID}" in found[0]["message"]
    done = runner.invoke(app, ["--site", str(root), "media", "clean", str(ID)])
    assert done.exit_code == 0, done.output
    assert not (folder / f"img{ID}_1_share.jpg").exists()
    assert (folder / f"img{ID}_1_resize.jpg").is_file()  # still used by the second photo
    result = runner.invoke(app, validate)
    assert not [p for p in json.loads(result.stdout) if p["code"] in ("OPDC308", "OPDC309")]


def run_and_kill(command: list[str], delay: float) -> None:
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment()
    )
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()


@pytest.mark.parametrize("form", ["toml", "txt"])
def test_sigkill_at_random_moments_leaves_a_whole_article_and_nothing_after_the_next_run(
    make_site: MakeSite,
    make_article: MakeArticle,
    opdc_exe: Path,
    runner: CliRunner,
    tmp_path: Path,
    form: str,
) -> None:
    root = one_photo_site(make_site, make_article, form)
    photos = [
        str(write_jpeg(tmp_path / f"p{n}.jpg", size=(1200, 900), color=(n * 20, 40, 90)))
        for n in range(12)
    ]
    chance = random.Random(11)
    site_arg = ["--site", str(root)]
    for trial in range(6):
        delay = chance.uniform(0.2, 1.2)
        run_and_kill([str(opdc_exe), *site_arg, "media", "add", str(ID), *photos], delay)
        new = [str(opdc_exe), *site_arg, "new-article", "--no-input", "--category", "activities"]
        new += ["--title", f"ข่าว {trial}", "--format", form, "--image", photos[0]]
        run_and_kill(new, chance.uniform(0.2, 1.2))
        # Whatever the moment, every article file is whole: it reads.
        files, problems = store.group(store.scan(root / "articles"))
        assert problems == []
        for group in files.values():
            store.read_article(group, Site.open(root, cache=False).config)
    # The next runs: a media add and a new article, then media clean.
    add(runner, root, photos[0])
    made = runner.invoke(
        app, [*site_arg, "new-article", "--no-input", "--category", "activities", "--title", "ต่อ"]
    )
    assert made.exit_code == 0, made.output
    cleaned = runner.invoke(app, [*site_arg, "media", "clean"])
    assert cleaned.exit_code == 0, cleaned.output
    assert temp_files(root) == []
    result = runner.invoke(app, [*site_arg, "validate", "--format", "json"])
    assert [p for p in json.loads(result.stdout) if p["code"] == "OPDC309"] == []
    site = Site.open(root, cache=False)
    for article in site.articles():
        used = {photo.file for photo in article.photos}
        folder = site.media_folder(article.id)
        originals = {p.name for p in folder.iterdir()} if folder.exists() else set()
        assert originals == used, article.id


def test_save_never_follows_sources_outside_articles(
    make_site: MakeSite, make_article: MakeArticle, tmp_path: Path
) -> None:
    root = one_photo_site(make_site, make_article, "toml")
    victim = tmp_path / "victim" / f"{ID}.toml"
    victim.parent.mkdir()
    victim.write_text("a person's file", encoding="utf-8")
    site = Site.open(root)
    article = site.article(ID)
    # Sources as a tampered index entry could give them: outside the site.
    forged = replace(article, sources=(victim,))
    written = site.save(forged, "txt")
    assert victim.read_text(encoding="utf-8") == "a person's file"
    assert [path.parent for path in written] == [root / "articles" / "2018"] * 2
    assert Site.open(root, cache=False).article(ID).form == "txt"
