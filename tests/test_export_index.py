"""The html export reads through the site and its content index, and shares its rules.

What it re-renders is decided by the index's rules (size, mtime, inode, ctime, the
racy window) and a stamp of opdc's own code; which articles a feed lists is the
feed's one rule (feed.feed_lists); a site's template can extend the packaged one;
the template context is the typed one docs/export.md describes.
"""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import datetime
from pathlib import Path

import lxml.html
import pytest
from conftest import REPO, MakeSite, build_article

from opdc_cli import feed
from opdc_cli.content import Site
from opdc_cli.export.site import context, export_site, manifest
from opdc_cli.export.site import plan as planning
from opdc_cli.export.site import run as export_run
from opdc_cli.publish import Gate

HOUR_NS = 3600 * 10**9


def age(root: Path) -> None:
    """Move every article file an hour into the past: outside the index's racy window."""
    for path in (root / "articles").rglob("*.toml"):
        info = path.stat()
        os.utime(path, ns=(info.st_atime_ns - HOUR_NS, info.st_mtime_ns - HOUR_NS))


def title_of(out: Path, path: str) -> str:
    return str(lxml.html.parse(str(out / path)).getroot().cssselect("h1")[0].text_content())


def rewrite_same_size(path: Path, old: str, new: str) -> None:
    """Change `old` to `new` (same length in bytes) in place, keeping the file's size,
    inode and modification time: a second save within one clock tick."""
    assert len(old.encode()) == len(new.encode())
    info = path.stat()
    data = path.read_bytes()
    assert old.encode() in data
    with path.open("r+b") as handle:
        handle.write(data.replace(old.encode(), new.encode()))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        info.st_size,
        info.st_mtime_ns,
        info.st_ino,
    )


@pytest.mark.parametrize("cache", [True, False])
def test_a_same_size_rewrite_with_its_old_mtime_is_exported(
    make_site: MakeSite, tmp_path: Path, cache: bool
) -> None:
    root = make_site()
    age(root)
    out = tmp_path / "public"
    export_site(Site.open(root, cache=cache), out, jobs=1)
    assert title_of(out, "en/news/1001.html") == "OPDC co-hosts the 6th international symposium"

    rewrite_same_size(root / "articles" / "2018" / "1001.toml", "co-hosts", "welcomes")
    report = export_site(Site.open(root, cache=cache), out, jobs=1)
    assert report.reread == 1
    assert title_of(out, "en/news/1001.html") == "OPDC welcomes the 6th international symposium"
    assert "en/news/1001.html" in report.written


def test_a_file_touched_within_the_racy_window_is_checked_by_its_bytes(
    make_site: MakeSite, tmp_path: Path
) -> None:
    # Just written: within the racy window, where the stat cannot be trusted.
    root = make_site()
    out = tmp_path / "public"
    export_site(Site.open(root), out, jobs=1)
    # Unchanged bytes: nothing to render again, though the stat is not trusted.
    assert export_site(Site.open(root), out, jobs=1).reread == 0
    rewrite_same_size(root / "articles" / "2018" / "1001.toml", "co-hosts", "welcomes")
    assert export_site(Site.open(root), out, jobs=1).reread == 1
    assert "welcomes" in title_of(out, "en/news/1001.html")


def test_a_change_of_opdc_code_renders_every_page_again(
    make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_site()
    age(root)
    out = tmp_path / "public"
    first = export_site(Site.open(root), out, jobs=1)
    assert export_site(Site.open(root), out, jobs=1).reread == 0
    stamp = export_run.code_stamp()
    monkeypatch.setattr(export_run, "code_stamp", lambda: stamp + " edited")
    assert export_site(Site.open(root), out, jobs=1).reread == first.reread


def test_the_export_and_the_feeds_list_the_same_articles(
    make_site: MakeSite, tmp_path: Path
) -> None:
    articles = [
        build_article(2000 + n, category=("headline", "activities")[n % 3 % 2], photos=())
        for n in range(30)
    ]
    root = make_site(articles)
    site = Site.open(root)
    out = tmp_path / "public"
    export_site(site, out, jobs=1)
    warnings: list[str] = []
    state = manifest.load(manifest.state_folder(site, out.resolve()), out.resolve(), warnings)
    assert not warnings
    recorded = state["feed_lists"]
    gate = Gate(site.config, datetime.now(site.config.tz))
    for key, ids in recorded.items():
        lang, _, category = key.partition("/")
        chosen = feed.select(
            site, lang=lang, categories=(category,) if category else (), now=gate.now, gate=gate
        )
        assert [a.id for a in chosen] == ids, key
    live = planning.live(state["articles"], gate.now.timestamp())
    assert planning.listed_ids(site.config, live) == recorded


def test_a_site_template_can_extend_the_packaged_one(make_site: MakeSite, tmp_path: Path) -> None:
    root = make_site()
    (root / "templates").mkdir()
    (root / "templates" / "article.html").write_text(
        '{% extends "!article.html" %}\n'
        "{% block main %}<p class=\"notice\">{{ t('news') }}</p>\n{{ super() }}{% endblock %}\n",
        encoding="utf-8",
    )
    out = tmp_path / "public"
    report = export_site(Site.open(root), out, jobs=1)
    assert not report.problems
    document = lxml.html.parse(str(out / "en" / "news" / "1001.html")).getroot()
    assert [p.text_content() for p in document.cssselect("p.notice")] == ["All news"]
    # The rest of the packaged page is there: title, gallery, the frame of base.html.
    assert document.cssselect("h1")[0].text_content().startswith("OPDC co-hosts")
    assert document.cssselect("footer.site-footer")
    # Index pages keep the packaged template.
    assert not lxml.html.parse(str(out / "en" / "index.html")).getroot().cssselect("p.notice")


def test_docs_context_table_matches_the_template_context() -> None:
    text = (REPO / "docs" / "export.md").read_text(encoding="utf-8")
    section = text.split("### Template context", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| `([\w.\[\]]+)` \| `(\w+)` \| (.*) \|$", section, re.MULTILINE)
    assert rows, "docs/export.md has no template-context table"
    documented = {kind: set(re.findall(r"`(\w+)`", fields)) for _, kind, fields in rows}
    classes = {
        name: cls
        for name, cls in vars(context).items()
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and name != "PageContext"
    }
    assert set(documented) == set(classes)
    for name, cls in classes.items():
        assert documented[name] == {f.name for f in dataclasses.fields(cls)}, name
