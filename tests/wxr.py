"""A WordPress export (WXR 1.2) written here for the import tests and the benchmark.

Posts in Thai/English pairs linked by Polylang, drafts, scheduled (future) and
private posts, categories and tags in each language, bodies with lists, links,
scripts, comments and entities, an image attachment per pair (its caption and alt
text in the export, the file in an uploads folder made with Pillow) and a PDF
linked from every fifth Thai post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

SITE = "https://old.example.go.th"
UPLOADS = f"{SITE}/wp-content/uploads"
# Every 7th pair a draft, every 11th scheduled, every 13th private (checked in that order).
STATUS_EVERY = (("draft", 7), ("future", 11), ("private", 13))


@dataclass(frozen=True)
class Pair:
    """What the export holds for pair `n`, for the tests to check against."""

    n: int
    th_id: int
    en_id: int
    status: str
    local: datetime
    category: str  # the Thai category's slug
    has_pdf: bool

    @property
    def photo(self) -> str:
        return f"2018/04/photo-{self.n}.jpg"

    @property
    def pdf(self) -> str:
        return f"2018/04/doc-{self.n}.pdf"


def pair(n: int) -> Pair:
    status = next((s for s, every in STATUS_EVERY if n % every == every - 1), "publish")
    local = datetime(2018, 1, 1, 9, 30) + timedelta(days=n, minutes=n % 60)
    if status == "future":
        local = local.replace(year=2099)
    category = "events" if n % 3 == 0 else "news"
    return Pair(n, 1000 + 2 * n, 1001 + 2 * n, status, local, category, n % 5 == 0)


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _dates(local: datetime, status: str) -> str:
    gmt = (
        "0000-00-00 00:00:00"
        if status == "draft"
        else f"{local - timedelta(hours=7):%Y-%m-%d %H:%M:%S}"
    )
    return (
        f"<wp:post_date>{local:%Y-%m-%d %H:%M:%S}</wp:post_date>"
        f"<wp:post_date_gmt>{gmt}</wp:post_date_gmt>"
    )


def th_body(p: Pair, media: bool) -> str:
    image = (
        f'<img class="size-medium" src="{UPLOADS}/2018/04/photo-{p.n}-300x200.jpg" '
        f'alt="ภาพการประชุมครั้งที่ {p.n}" width="300" height="200" />'
        if media
        else ""
    )
    pdf = (
        f'<p>ดาวน์โหลด <a href="{UPLOADS}/{p.pdf}">เอกสารประกอบ</a></p>'
        if p.has_pdf and media
        else ""
    )
    return (
        f"<p>สำนักงาน ก.พ.ร. จัดประชุมครั้งที่ {p.n} &amp; สัมมนา&nbsp;เชิงปฏิบัติการ</p>\n"
        f"{image}\n"
        "<ul><li>หัวข้อแรก</li><li>หัวข้อที่สอง</li></ul>\n"
        '<p>อ่านเพิ่มเติมที่ <a href="https://www.opdc.go.th/content/abc">เว็บไซต์</a>'
        "<script>alert('x')</script><!-- ความเห็น --></p>\n"
        f"{pdf}"
        "ย่อหน้าท้าย&hellip;<br><br>บรรทัดสุดท้าย &lt;จบ&gt;"
    )


def en_body(p: Pair, media: bool) -> str:
    image = (
        f'<img src="{UPLOADS}/2018/04/photo-{p.n}.jpg" alt="Meeting number {p.n}" />'
        if media
        else ""
    )
    return (
        f"<p>The OPDC held meeting {p.n} &amp; a workshop.</p>{image}"
        '<ol><li>First point</li><li>Second <a href="https://example.org/">point</a></li></ol>'
        "<style>p { color: red }</style>"
    )


def _terms(lang: str, p: Pair) -> str:
    slug = p.category if lang == "th" else f"{p.category}-en"
    name = {"news": "ข่าว", "events": "กิจกรรม"}[p.category] if lang == "th" else p.category.title()
    tag = "ธรรมาภิบาล" if lang == "th" else "Good Governance"
    return (
        f'<category domain="category" nicename="{slug}">{cdata(name)}</category>'
        f'<category domain="post_tag" nicename="tag-{lang}">{cdata(tag)}</category>'
        f'<category domain="language" nicename="{lang}">{cdata(lang)}</category>'
        f'<category domain="post_translations" nicename="pll_{p.n:06d}">'
        f"{cdata(f'pll_{p.n:06d}')}</category>"
    )


def _post(
    post_id: int, lang: str, p: Pair, title: str, body: str, excerpt: str, media: bool
) -> str:
    meta = (
        f"<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
        f"<wp:meta_value>{cdata(str(90000 + p.n))}</wp:meta_value></wp:postmeta>"
        if media and lang == "th"
        else ""
    )
    return (
        "<item>"
        f"<title>{escape(title)}</title>"
        f"<link>{SITE}/?p={post_id}</link>"
        f'<guid isPermaLink="false">{SITE}/?p={post_id}</guid>'
        "<dc:creator><![CDATA[editor]]></dc:creator>"
        f"<content:encoded>{cdata(body)}</content:encoded>"
        f"<excerpt:encoded>{cdata(excerpt)}</excerpt:encoded>"
        f"<wp:post_id>{post_id}</wp:post_id>{_dates(p.local, p.status)}"
        f"<wp:status>{p.status}</wp:status><wp:post_parent>0</wp:post_parent>"
        f"<wp:post_type>post</wp:post_type>{_terms(lang, p)}{meta}"
        "</item>\n"
    )


def _attachment(p: Pair) -> str:
    return (
        "<item>"
        f"<title>photo-{p.n}</title>"
        f'<guid isPermaLink="false">{UPLOADS}/{p.photo}</guid>'
        f"<excerpt:encoded>{cdata(f'บรรยากาศการประชุม {p.n}')}</excerpt:encoded>"
        f"<wp:post_id>{90000 + p.n}</wp:post_id>{_dates(p.local, 'inherit')}"
        f"<wp:status>inherit</wp:status><wp:post_parent>{p.th_id}</wp:post_parent>"
        "<wp:post_type>attachment</wp:post_type>"
        f"<wp:attachment_url>{UPLOADS}/{p.photo}</wp:attachment_url>"
        "<wp:postmeta><wp:meta_key>_wp_attached_file</wp:meta_key>"
        f"<wp:meta_value>{cdata(p.photo)}</wp:meta_value></wp:postmeta>"
        "<wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key>"
        f"<wp:meta_value>{cdata(f'ภาพการประชุมครั้งที่ {p.n}')}</wp:meta_value></wp:postmeta>"
        "</item>\n"
    )


HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>สำนักงานเดิม</title><link>{site}</link><language>th</language>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[editor]]></wp:author_login>
<wp:author_display_name><![CDATA[กลุ่มประชาสัมพันธ์]]></wp:author_display_name></wp:author>
<wp:category><wp:category_nicename>news</wp:category_nicename>
<wp:cat_name><![CDATA[ข่าว]]></wp:cat_name></wp:category>
"""


def write_wxr(path: Path, pairs: int, *, media: bool = True, extra: str = "") -> list[Pair]:
    """The export of `pairs` Thai/English pairs (and `extra` items) at `path`."""
    made = [pair(n) for n in range(pairs)]
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD.format(site=SITE))
        for p in made:
            th_title = f"ประชุมครั้งที่ {p.n} &amp; สัมมนา"
            out.write(
                _post(p.th_id, "th", p, th_title, th_body(p, media), f"<p>สรุป {p.n}</p>", media)
            )
            out.write(
                _post(
                    p.en_id, "en", p, f"Meeting {p.n} &amp; workshop", en_body(p, media), "", media
                )
            )
            if media:
                out.write(_attachment(p))
        out.write(extra)
        out.write("</channel>\n</rss>\n")
    return made


def write_uploads(folder: Path, pairs: list[Pair]) -> None:
    """The uploads folder: each pair's photo (and its 300x200 copy) and PDFs."""
    from PIL import Image

    for p in pairs:
        target = folder / p.photo
        target.parent.mkdir(parents=True, exist_ok=True)
        with Image.new("RGB", (80, 60), (p.n % 256, 100, 150)) as image:
            image.save(target, "JPEG", quality=80)
            image.resize((30, 20)).save(target.with_name(f"photo-{p.n}-300x200.jpg"), "JPEG")
        if p.has_pdf:
            from test_documents import text_pdf

            (folder / p.pdf).parent.mkdir(parents=True, exist_ok=True)
            text_pdf(folder / p.pdf, pages=1, text=f"Document {p.n}")
