"""Links in bodies: bare addresses on pages and in full-content feeds, the Markdown
subset and its escaping, and validate's report of links written wrong."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.html
import pytest
from typer.testing import CliRunner

from opdc_cli.cli import app
from opdc_cli.links import autolink, body_html, link_problems

A = '<a href="{0}">{0}</a>'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Thai and English sentence punctuation stays outside.
        (
            "สมัครได้ที่ https://www.opdc.go.th/pmqa. ขอบคุณ",
            "สมัครได้ที่ " + A.format("https://www.opdc.go.th/pmqa") + ". ขอบคุณ",
        ),
        (
            "ดูที่ https://www.opdc.go.th/ฯ",
            "ดูที่ " + A.format("https://www.opdc.go.th/") + "ฯ",
        ),
        (
            'See "https://a.go.th/x", then https://b.go.th/y!',
            "See &#34;"
            + A.format("https://a.go.th/x")
            + "&#34;, then "
            + A.format("https://b.go.th/y")
            + "!",
        ),
        # Thai written against the address, as Thai is written without spaces.
        (
            "สมัครที่https://pmqa.opdc.go.thได้เลย",
            "สมัครที่" + A.format("https://pmqa.opdc.go.th") + "ได้เลย",
        ),
        # Parentheses around the address stay outside; its own stay in.
        (
            "(รายละเอียด https://www.opdc.go.th/news/1)",
            "(รายละเอียด " + A.format("https://www.opdc.go.th/news/1") + ")",
        ),
        (
            "(https://en.wikipedia.org/wiki/Thailand_(disambiguation))",
            "(" + A.format("https://en.wikipedia.org/wiki/Thailand_(disambiguation)") + ")",
        ),
        # At a line's end, and a query string escaped once.
        (
            "the form:\nhttps://www.opdc.go.th/form?a=1&b=2",
            'the form:\n<a href="https://www.opdc.go.th/form?a=1&amp;b=2">'
            "https://www.opdc.go.th/form?a=1&amp;b=2</a>",
        ),
        # E-mail addresses, the full stop left out.
        (
            "ติดต่อ pmqa@opdc.go.th.",
            'ติดต่อ <a href="mailto:pmqa@opdc.go.th">pmqa@opdc.go.th</a>.',
        ),
        # Nothing else becomes a link, and markup is text.
        (
            'javascript:alert(1) data:text/html,x <b onclick="x">b</b> ftp://x.go.th/',
            "javascript:alert(1) data:text/html,x &lt;b onclick=&#34;x&#34;&gt;b&lt;/b&gt; "
            "ftp://x.go.th/",
        ),
        ("https://localhost-not-a-host", "https://localhost-not-a-host"),
    ],
)
def test_autolink(text: str, expected: str) -> None:
    assert str(autolink(text)) == expected


def test_plain_bodies_are_paragraphs_with_links() -> None:
    html = str(body_html("ย่อหน้าแรก https://a.go.th/\n\nสอง <script>", "plain"))
    assert html == (
        '<p>ย่อหน้าแรก <a href="https://a.go.th/">https://a.go.th/</a></p>\n<p>สอง &lt;script&gt;</p>'
    )
    # Markdown is text in a plain body.
    assert "**" in str(body_html("**not bold** [x](https://a.go.th/)", "plain"))


def test_the_markdown_subset_renders_its_rules_and_escapes_the_rest() -> None:
    body = (
        "อ่าน [หลักเกณฑ์](https://www.opdc.go.th/a?x=1&y=2) **สำคัญ** และ *ตัวเอียง*\n\n"
        "- หนึ่ง https://b.go.th/\n- [bad](javascript:alert(1))\n\n"
        "1. first\n2. second\n\n"
        '<script>alert(1)</script> <img src=x onerror="alert(1)">\n\n'
        "# not a heading\n\n[data](data:text/html;base64,PHNjcmlwdD4=) ![i](https://c.go.th/i.png)"
    )
    html = str(body_html(body, "markdown"))
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    hrefs = [a.get("href") for a in doc.iter("a")]
    assert hrefs == [
        "https://www.opdc.go.th/a?x=1&y=2",
        "https://b.go.th/",
        "https://c.go.th/i.png",
    ]
    assert doc.cssselect("strong")[0].text == "สำคัญ"
    assert doc.cssselect("em")[0].text == "ตัวเอียง"
    assert len(doc.cssselect("ul > li")) == 2
    assert [li.text for li in doc.cssselect("ol > li")] == ["first", "second"]
    assert not doc.cssselect("script, img, h1")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[bad](javascript:alert(1))" in html
    assert "javascript:" not in "".join(str(h) for h in hrefs)


def test_link_problems_find_malformed_links_in_either_mode() -> None:
    plain = list(link_problems("ดูที่ http:/www.opdc.go.th และ https//x.go.th และ https://x"))
    assert len(plain) == 3
    assert "not a complete address" in plain[0][1]
    assert "no valid host name" in plain[2][1]
    assert not list(link_problems("ดูที่ https://www.opdc.go.th/ และ pmqa@opdc.go.th"))
    markdown = list(link_problems("[สมัคร](javascript:alert(1)) [ok](https://a.go.th/)", "markdown"))
    assert len(markdown) == 1 and "javascript:alert" in markdown[0][1]


# --- on the site --------------------------------------------------------------------------


def _body(root: Path, article_id: int, body: str) -> None:
    article = next((root / "articles").rglob(f"{article_id}.toml"))
    text = article.read_text("utf-8")
    start = text.index('body = """', text.index("[th]"))
    end = text.index('"""', start + 10) + 3
    article.write_text(text[:start] + f'body = """\n{body}"""' + text[end:], "utf-8")


def test_pages_and_full_content_feeds_link_bare_addresses(
    make_site: object, runner: CliRunner, tmp_path: Path
) -> None:
    root: Path = make_site()  # type: ignore[operator]
    _body(root, 1001, "สมัครที่ https://www.opdc.go.th/pmqa. สอบถาม pmqa@opdc.go.th\n\n<b>ตัวหนา</b>")
    env = {"OPDC_SITE": str(root)}
    out = tmp_path / "out"
    result = runner.invoke(app, ["export", "--format", "html", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.stderr
    doc = lxml.html.fromstring((out / "th" / "news" / "1001.html").read_bytes())
    links = doc.cssselect("div.body a")
    assert [a.get("href") for a in links] == [
        "https://www.opdc.go.th/pmqa",
        "mailto:pmqa@opdc.go.th",
    ]
    assert doc.cssselect("div.body p")[1].text_content() == "<b>ตัวหนา</b>"

    rss = runner.invoke(app, ["feed", "--full-content"], env=env).stdout
    entry = next(e for e in feedparser.parse(rss).entries if e.link.endswith("/1001.html"))
    content = entry.content[0].value
    assert '<a href="https://www.opdc.go.th/pmqa">https://www.opdc.go.th/pmqa</a>.' in content
    assert "&lt;b&gt;" in content


def test_a_markdown_site_renders_the_subset_and_validate_reports_bad_links(
    make_site: object, runner: CliRunner, tmp_path: Path
) -> None:
    root: Path = make_site()  # type: ignore[operator]
    site_file = root / "site.toml"
    site_file.write_text('body_format = "markdown"\n' + site_file.read_text("utf-8"), "utf-8")
    _body(
        root, 1001, "อ่าน [หลักเกณฑ์](https://www.opdc.go.th/) **สำคัญ**\n\n- [x](javascript:alert(1))"
    )
    env = {"OPDC_SITE": str(root)}
    result = runner.invoke(app, ["validate", "--format", "json"], env=env)
    data = json.loads(result.stdout)
    problems = data["problems"] if isinstance(data, dict) else data
    bad = [p for p in problems if p["code"] == "OPDC406"]
    assert len(bad) == 1 and "javascript:alert" in bad[0]["message"]
    assert bad[0]["line"] is not None

    out = tmp_path / "out"
    result = runner.invoke(app, ["export", "--format", "html", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.stderr
    doc = lxml.html.fromstring((out / "th" / "news" / "1001.html").read_bytes())
    assert [a.get("href") for a in doc.cssselect("div.body a")] == ["https://www.opdc.go.th/"]
    assert doc.cssselect("div.body strong")[0].text_content() == "สำคัญ"
    assert "[x](javascript:alert(1))" in doc.cssselect("div.body li")[0].text_content()
