"""Shared fixtures: small real sites on disk, real JPEGs, the CLI runner.

Every fixture writes real files under pytest's tmp_path; nothing is mocked.

- `make_site(...)`: a new site made by `opdc init`'s own code, with articles
  written by the store (both forms), returning the site folder;
- `sample_site`: a copy of the repository's sample site (site.toml, articles/,
  media/), safe to modify;
- `make_article(...)`: a valid Article with Thai and English text, any field
  overridable;
- `make_jpeg(path, ...)`: a real JPEG made with Pillow;
- `runner`: typer's CliRunner; `opdc_exe`: the installed `opdc` script.
"""

from __future__ import annotations

import shutil
import signal
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from opdc_cli import store
from opdc_cli.model import Article, Event, Photo, Translation
from opdc_cli.scaffold import init_site
from opdc_cli.site import load_config

REPO = Path(__file__).resolve().parent.parent
BANGKOK = ZoneInfo("Asia/Bangkok")


class MakeArticle(Protocol):
    def __call__(self, article_id: int = ..., **changes: Any) -> Article: ...


class MakeSite(Protocol):
    def __call__(
        self,
        articles: Iterable[Article] | None = ...,
        *,
        form: str = ...,
        folder: Path | None = ...,
        first_id: int | None = ...,
        photos: bool = ...,
    ) -> Path: ...


class MakeJpeg(Protocol):
    def __call__(
        self, path: Path, size: tuple[int, int] = ..., color: tuple[int, int, int] = ...
    ) -> Path: ...


@pytest.fixture(autouse=True)
def _sigint_as_in_a_shell() -> Iterator[None]:
    # Code run in the test process (a worker initialiser, serve's handler) may set
    # SIGINT aside; an ignored signal stays ignored across exec, and the opdc
    # processes later tests interrupt would then never see their Ctrl-C.
    yield
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _no_outside_site(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own OPDC_SITE must not decide which site a test reads.
    monkeypatch.delenv("OPDC_SITE", raising=False)


def build_article(article_id: int = 1001, **changes: Any) -> Article:
    """A complete bilingual article (event, photos, tags); `changes` replace fields."""
    base = Article(
        id=article_id,
        category="headline",
        date=datetime(2018, 4, 27, 16, 30, tzinfo=BANGKOK),
        status="published",
        tags=("GovLab", "Design Thinking"),
        translations={
            "th": Translation(
                title="สำนักงาน ก.พ.ร. จัดการประชุมนานาชาติ ครั้งที่ 6",
                body=(
                    "สำนักงานคณะกรรมการพัฒนาระบบราชการร่วมกับหน่วยงานนานาชาติจัดการประชุม\n\n"
                    "การประชุมดังกล่าวมีวัตถุประสงค์ที่จะส่งเสริมและแบ่งปันประสบการณ์"
                ),
                summary="การประชุมนานาชาติ ณ กรุงฮานอย",
                credit="กลุ่มวิเทศสัมพันธ์และการประชาสัมพันธ์ / จัดทำ",
            ),
            "en": Translation(
                title="OPDC co-hosts the 6th international symposium",
                body="The OPDC held the symposium in Hanoi.\n\nDelegates exchanged experience.",
                summary="An international symposium in Hanoi",
                credit="International Affairs and Public Relations Group",
            ),
        },
        photos=(
            Photo(f"img{article_id}_1.jpg", {"th": "พิธีเปิด", "en": "The opening"}),
            Photo(f"img{article_id}_2.jpg", {"th": "ผู้เข้าร่วมประชุม", "en": "Delegates"}),
        ),
        event=Event(
            datetime(2018, 4, 25).date(),
            datetime(2018, 4, 27).date(),
            {"th": "กรุงฮานอย", "en": "Hanoi"},
        ),
    )
    return replace(base, **changes)


@pytest.fixture
def make_article() -> MakeArticle:
    """A factory of valid articles: `make_article(1002, category="activities")`."""
    return build_article


def default_articles() -> list[Article]:
    """Three articles: a published bilingual one, a Thai-only draft, an announcement."""
    return [
        build_article(1001),
        build_article(
            1002,
            category="activities",
            date=datetime(2018, 5, 10, 9, 0, tzinfo=BANGKOK),
            status="draft",
            tags=(),
            translations={
                "th": Translation(title="อบรมเชิงปฏิบัติการการคิดเชิงออกแบบ", body="ส่วนราชการนำร่อง")
            },
            photos=(),
            event=None,
        ),
        build_article(
            1003,
            category="announcements",
            date=datetime(2018, 6, 1, 9, 0, tzinfo=BANGKOK),
            tags=("PMQA",),
            photos=(Photo("img1003_1.jpg", {"th": "ประกาศ", "en": "Notice"}),),
            event=None,
        ),
    ]


@pytest.fixture
def make_site(tmp_path: Path) -> MakeSite:
    """A factory of sites: `opdc init` into tmp_path/"site", then the articles written.

    By default three articles (ids 1001-1003) under articles/2018/ in the TOML
    form, each photo's original a real JPEG in media/<id>/ (so that the published
    ones pass the publication gate); `form="txt"` writes them as text files;
    `articles=[]` leaves the site empty; `first_id` rewrites site.toml's first id;
    `photos=False` leaves media/ empty.
    """

    def make(
        articles: Iterable[Article] | None = None,
        *,
        form: str = "toml",
        folder: Path | None = None,
        first_id: int | None = None,
        photos: bool = True,
    ) -> Path:
        root = folder or tmp_path / "site"
        init_site(root)
        if first_id is not None:
            site_file = root / "site.toml"
            text = site_file.read_text(encoding="utf-8")
            site_file.write_text(
                text.replace("first_id = 1\n", f"first_id = {first_id}\n"), encoding="utf-8"
            )
        languages = load_config(root / "site.toml").languages
        for article in default_articles() if articles is None else articles:
            year = article.date.astimezone(BANGKOK).year
            store.write_article(article, root / "articles" / str(year), form, languages)
            for photo in article.photos if photos else ():
                assert "/" not in photo.file, "name a plain file, or pass photos=False"
                write_jpeg(root / "media" / str(article.id) / photo.file)
        return root

    return make


@pytest.fixture
def sample_site(tmp_path: Path) -> Path:
    """A private copy of the repository's sample site, as tmp_path/"sample"."""
    root = tmp_path / "sample"
    root.mkdir()
    shutil.copy2(REPO / "site.toml", root / "site.toml")
    shutil.copytree(REPO / "articles", root / "articles")
    shutil.copytree(REPO / "media", root / "media")
    return root


def write_jpeg(
    path: Path, size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 120, 40)
) -> Path:
    """A real JPEG of `size` pixels at `path` (folders made as needed)."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    with Image.new("RGB", size, color) as image:
        image.save(path, "JPEG", quality=80)
    return path


@pytest.fixture
def make_jpeg() -> MakeJpeg:
    return write_jpeg


@pytest.fixture
def runner() -> CliRunner:
    """typer's CliRunner; `result.stdout` and `result.stderr` are kept apart."""
    return CliRunner()


@pytest.fixture
def opdc_exe() -> Path:
    """The installed `opdc` console script of the running interpreter's environment."""
    found = Path(sys.executable).parent / "opdc"
    if not found.exists():
        which = shutil.which("opdc")
        assert which, "the opdc console script is not installed: pip install -e '.[test]'"
        found = Path(which)
    return found
