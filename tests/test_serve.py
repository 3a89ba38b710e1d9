"""opdc serve: the live preview. A real `opdc serve` process watched by headless
Chromium over the DevTools protocol, and the server's rules (paths, types, ports,
drafts) on a real socket."""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cdp import Browser
from typer.testing import CliRunner

from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.export.site import export_site
from opdc_cli.serve import Preview

ARTICLE = Path("articles/2018/26461.toml")
TITLE_LINE = re.compile(r'^title = ".*"$', re.MULTILINE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def tree(root: Path) -> dict[str, int]:
    """Every file of the site outside .opdc/, with its modification time."""
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns
        for p in root.rglob("*")
        if p.is_file() and ".opdc" not in p.relative_to(root).parts
    }


class Served:
    """A running `opdc serve` subprocess and the lines it printed."""

    def __init__(self, exe: Path, root: Path, *args: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(exe), "--site", str(root), "serve", "--port", str(self.port), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert self.process.stderr is not None
        stream = self.process.stderr

        def read() -> None:
            for line in stream:
                self.lines.put(line)

        threading.Thread(target=read, daemon=True).start()
        self.wait_line("serving http://")

    def wait_line(self, text: str, timeout: float = 60) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {text!r} in {self.seen}") from None
            self.seen.append(line)
            if text in line:
                return line

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=30)
        return code


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    found = Browser(tmp_path / "profile")
    yield found
    found.close()


def test_a_saved_title_reloads_the_open_tab_and_a_broken_file_shows_its_error(
    sample_site: Path, opdc_exe: Path, browser: Browser
) -> None:
    article = sample_site / ARTICLE
    text = article.read_text(encoding="utf-8")
    before = tree(sample_site)
    served = Served(opdc_exe, sample_site)
    try:
        tab = browser.open(served.url("th/news/26461.html"))
        assert "จัดการประชุมนานาชาติ" in browser.wait_for(
            tab, "document.querySelector('h1') && document.querySelector('h1').textContent", 30
        )
        # Wait for the page's event stream to be open before changing anything.
        browser.wait_for(tab, "performance.getEntriesByType('resource').length > 0", 10)

        new_title = "ก.พ.ร. แสดงตัวอย่างหน้าข่าวทันทีที่บันทึก"
        edited = TITLE_LINE.sub(f'title = "{new_title}"', text, count=1)
        article.write_text(edited, encoding="utf-8")
        # The same tab, not navigated by the test: the page reloads itself.
        browser.wait_for(tab, f"document.querySelector('h1')?.textContent === '{new_title}'", 2)
        served.wait_line("26461.toml changed")

        broken = edited.replace(f'title = "{new_title}"', 'title = "no closing quote', 1)
        line = broken[: broken.index("no closing quote")].count("\n") + 1
        article.write_text(broken, encoding="utf-8")
        page = browser.wait_for(
            tab, "document.title.includes('error') && document.body.innerText", 5
        )
        assert f"articles/2018/26461.toml:{line}:" in page
        assert "OPDC" in page  # the code
        served.wait_line("error:")

        article.write_text(edited, encoding="utf-8")
        browser.wait_for(tab, f"document.querySelector('h1')?.textContent === '{new_title}'", 5)
        assert "error" not in browser.evaluate(tab, "document.title")
    finally:
        code = served.stop()
    assert code == 0
    assert "stopped" in served.wait_line("stopped")
    # Nothing is left behind but the cache in .opdc/: the article is the only change.
    after = tree(sample_site)
    assert set(after) == set(before)
    assert [p for p in after if after[p] != before[p]] == [ARTICLE.as_posix()]
    assert (sample_site / ".opdc" / "serve" / "published" / "th" / "news" / "26461.html").is_file()


@pytest.fixture
def preview(sample_site: Path) -> Iterator[Preview]:
    found = Preview(lambda: Site.open(sample_site), sample_site, drafts=False)
    found.listen("127.0.0.1", 0)
    found.rebuild(set())
    found.start()
    yield found
    found.stop()


def get(preview: Preview, path: str) -> tuple[int, str, bytes]:
    assert preview.server is not None
    connection = http.client.HTTPConnection("127.0.0.1", preview.server.server_address[1])
    connection.request("GET", path)  # sent as written: no client-side normalising
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, response.getheader("Content-Type") or "", body


@pytest.mark.parametrize(
    "path",
    [
        "/../site.toml",
        "/th/../../site.toml",
        "/%2e%2e/site.toml",
        "/th/%2E%2E/%2e%2e/articles/2018/26461.toml",
        "/..%2fsite.toml",
        "/%2e%2e%2f%2e%2e%2fsite.toml",
        "/.opdc/serve/published/index.html",
        "/..\\site.toml",
        "/%00",
        "/media/",
        "/th/news/",
        "/outside.toml",
    ],
)
def test_nothing_outside_the_built_folder_is_served(preview: Preview, path: str) -> None:
    (preview.out / "outside.toml").symlink_to(preview.root / "site.toml")
    status, _kind, body = get(preview, path)
    assert status == 404
    assert b"base_url" not in body and b"[th]" not in body


def test_content_types_and_the_reload_script_only_in_served_pages(preview: Preview) -> None:
    status, kind, body = get(preview, "/th/news/26461.html")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert b"/__opdc/events" in body
    assert body.rstrip().endswith(b"</html>")
    assert b"/__opdc/events" not in (preview.out / "th" / "news" / "26461.html").read_bytes()
    assert get(preview, "/feeds/th/rss.xml")[:2] == (200, "application/rss+xml")
    assert get(preview, "/feeds/th/atom.xml")[:2] == (200, "application/atom+xml")
    assert get(preview, "/media/26461/img26461_1_resize.jpg")[:2] == (200, "image/jpeg")
    assert get(preview, "/static/style.css")[:2] == (200, "text/css; charset=utf-8")
    assert get(preview, "/")[:2] == (200, "text/html; charset=utf-8")
    assert get(preview, "/th")[0] == 301


def test_the_reload_script_is_never_in_the_exported_site(sample_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "public"
    export_site(Site.open(sample_site), out)
    pages = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in pages)
    for page in pages:
        data = page.read_bytes()
        assert b"__opdc" not in data and b"EventSource" not in data, page


def test_a_port_in_use_is_one_line_suggesting_another(sample_site: Path, runner: CliRunner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["--site", str(sample_site), "serve", "--port", str(port)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert re.fullmatch(
        rf"error: --port {port}: in use by another program: try --port \d+", lines[0]
    )
    assert not (sample_site / ".opdc" / "serve").exists()  # refused before building


def test_a_broken_file_is_shown_and_recovers(preview: Preview) -> None:
    article = preview.root / ARTICLE
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("[th]", "[th", 1), encoding="utf-8")
    result = preview.rebuild({article})
    assert [e.path for e in result.errors] == [article]
    status, kind, body = get(preview, "/th/news/26462.html")  # any page: the error shows
    assert (status, kind) == (500, "text/html; charset=utf-8")
    assert b"articles/2018/26461.toml" in body and b"/__opdc/events" in body
    assert get(preview, "/static/style.css")[0] == 200
    generation = preview.channel.generation
    article.write_text(text, encoding="utf-8")
    result = preview.rebuild({article})
    assert result.errors == [] and preview.channel.generation > generation
    assert get(preview, "/th/news/26461.html")[0] == 200


def test_an_article_already_broken_at_start_does_not_hide_the_site(sample_site: Path) -> None:
    article = sample_site / "articles" / "2018" / "26462.toml"
    article.write_text("id = \n", encoding="utf-8")
    preview = Preview(lambda: Site.open(sample_site), sample_site, drafts=False)
    result = preview.rebuild(set())
    assert result.errors == [] and [e.path for e in result.others] == [article]
    assert (preview.out / "th" / "news" / "26461.html").is_file()


def test_drafts_are_shown_with_a_banner_only_with_drafts(sample_site: Path) -> None:
    site = Site.open(sample_site)
    draft = "th/news/26465.html"
    plain = Preview(lambda: site, sample_site, drafts=False)
    plain.rebuild(set())
    assert not (plain.out / draft).exists()
    assert "draft-banner" not in (plain.out / "th/news/26461.html").read_text(encoding="utf-8")

    drafts = Preview(lambda: site, sample_site, drafts=True)
    drafts.rebuild(set())
    assert drafts.out != plain.out
    page = (drafts.out / draft).read_text(encoding="utf-8")
    assert "ร่าง — ยังไม่เผยแพร่" in page
    english = drafts.out / "en/news/26465.html"
    if english.exists():
        assert "Draft — not published" in english.read_text(encoding="utf-8")
    # A published article's pages carry no banner, even in the drafts preview.
    assert "draft-banner" not in (drafts.out / "th/news/26461.html").read_text(encoding="utf-8")


def test_a_changed_photo_is_resized_before_the_pages(preview: Preview) -> None:
    from PIL import Image

    folder = preview.root / "media" / "26461"
    original = folder / "img26461_1.jpg"
    web = folder / "img26461_1_resize.jpg"
    before = web.read_bytes()
    Image.new("RGB", (900, 600), (200, 30, 30)).save(original, "JPEG")
    result = preview.rebuild({original})
    assert result.resized == 1
    assert web.read_bytes() != before
    with Image.open(web) as image:
        red = image.getpixel((10, 10))
        assert isinstance(red, tuple) and red[0] > 150  # the new, red photo
    assert get(preview, "/media/26461/img26461_1_resize.jpg")[2] == web.read_bytes()


def test_the_watcher_ignores_what_opdc_itself_writes(preview: Preview) -> None:
    root = preview.root
    assert preview.relevant(str(root / "site.toml"))
    assert preview.relevant(str(root / "articles/2018/26461.toml"))
    assert preview.relevant(str(root / "media/26461/img26461_1.jpg"))
    assert preview.relevant(str(root / "templates/base.html"))
    assert not preview.relevant(str(root / "media/26461/img26461_1_resize.jpg"))
    assert not preview.relevant(str(root / "media/26461/img26461_1_thumb.jpg"))
    assert not preview.relevant(str(root / ".opdc/serve/published/index.html"))
    assert not preview.relevant(str(root / "articles/2018/.26461.toml.swp"))
    assert not preview.relevant(str(root / "public/index.html"))
