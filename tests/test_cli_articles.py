"""opdc init, new-article, list and show through typer's CliRunner, on real sites."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime
from pathlib import Path

import pytest
from conftest import BANGKOK, MakeArticle, MakeJpeg, MakeSite, build_article, default_articles
from typer.testing import CliRunner, Result

from opdc_cli import store
from opdc_cli.cli import app
from opdc_cli.content import Site
from opdc_cli.gallery import format_kb
from opdc_cli.model import Article, Translation
from opdc_cli.thai import cell_width, words


def run(
    runner: CliRunner,
    *args: str | Path,
    input: str | bytes | None = None,
    env: dict[str, str | None] | None = None,
) -> Result:
    """Invoke `opdc`; an exception other than a clean exit is a bug and fails the test."""
    result = runner.invoke(app, [str(a) for a in args], input=input, env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.stderr
    return result


def ok(
    runner: CliRunner,
    *args: str | Path,
    input: str | bytes | None = None,
    env: dict[str, str | None] | None = None,
) -> Result:
    result = run(runner, *args, input=input, env=env)
    assert result.exit_code == 0, result.stderr
    return result


def future_article() -> Article:
    """Published, but dated in 2099: it shows as scheduled."""
    return build_article(
        1004,
        category="headline",
        date=datetime(2099, 1, 1, 9, 0, tzinfo=BANGKOK),
        tags=("Future",),
        translations={
            "th": Translation(title="ข่าวล่วงหน้า", body="ข่าว"),
            "en": Translation(title="Ahead", body="News"),
        },
        photos=(),
        event=None,
    )


@pytest.fixture
def site(make_site: MakeSite) -> Path:
    """Four articles: 1001 (published, th+en), 1002 (draft, th), 1003, 1004 (scheduled)."""
    return make_site([*default_articles(), future_article()])


# --- init -----------------------------------------------------------------------------


def test_init_creates_a_site_that_the_other_commands_use(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = ok(
        runner,
        "init",
        "news",
        "--name",
        "สำนักงาน ก.พ.ร.",
        "--name-en",
        "OPDC",
        "--base-url",
        "https://www.opdc.go.th/",
    )
    assert result.stdout == ""
    for created in ("news/site.toml", "news/articles", "news/media", "news/.gitignore"):
        assert f"create {created}" in " ".join(result.stderr.split())
        assert (tmp_path / created).exists()
    config = Site.open(tmp_path / "news").config
    assert config.site_name("th") == "สำนักงาน ก.พ.ร."
    assert config.base_url == "https://www.opdc.go.th/"
    assert ok(runner, "--site", "news", "list", "--format", "ids").stdout == ""


def test_init_refuses_an_existing_site(runner: CliRunner, site: Path) -> None:
    before = (site / "site.toml").read_bytes()
    result = run(runner, "init", site)
    assert result.exit_code == 1
    assert "exists already" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (site / "site.toml").read_bytes() == before


# --- new-article ----------------------------------------------------------------------


def new(
    runner: CliRunner,
    site: Path,
    *args: str | Path,
    input: str | bytes | None = None,
    env: dict[str, str | None] | None = None,
) -> Result:
    return run(runner, "--site", site, "new-article", "--no-input", *args, input=input, env=env)


def read(site: Path, article_id: int) -> Article:
    return Site.open(site).article(article_id)


def test_new_article_prints_the_new_file_and_makes_its_media_folder(
    runner: CliRunner, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(site)
    result = new(
        runner,
        site,
        "--title",
        "ข่าวใหม่",
        "--category",
        "activities",
        "--date",
        "2018-07-01",
        "--body",
        "ย่อหน้าแรก\n\nย่อหน้าที่สอง\n",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "articles/2018/1005.toml\n"
    assert "created article 1005 (1 file(s)), published" in result.stderr
    assert (site / "media" / "1005").is_dir()
    article = read(site, 1005)
    assert article.title("th") == "ข่าวใหม่"
    assert article.category == "activities"
    assert article.status == "published"
    assert article.languages == ("th",)
    assert article.translations["th"].credit == "กลุ่มประชาสัมพันธ์ / จัดทำ"
    assert article.translations["th"].paragraphs == ["ย่อหน้าแรก", "ย่อหน้าที่สอง"]


def test_without_a_body_it_is_a_draft_with_the_command_that_finishes_it(
    runner: CliRunner, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(site)
    result = new(runner, site, "--title", "ข่าว", "--category", "headline", "--date", "27/4/2561")
    assert result.exit_code == 0, result.stderr
    assert read(site, 1005).status == "draft"
    lines = result.stderr.splitlines()
    assert lines[0].startswith("created article 1005 (1 file(s)) as a draft: ")
    assert "opdc validate finds 1 error(s) in it" in lines[0]
    assert lines[1].startswith("articles/2018/1005.toml:6:1: OPDC119 the Thai (th) body is empty")
    assert lines[2] == (
        "To publish it: write what is missing in articles/2018/1005.toml, "
        'set status = "published", then run: opdc validate articles/2018/1005.toml'
    )
    # The command it names says the same.
    check = run(runner, "--site", site, "validate", "articles/2018/1005.toml")
    assert check.exit_code == 1
    assert "OPDC119" in check.stdout


def test_the_finishing_command_names_the_site_when_run_from_elsewhere(
    runner: CliRunner, site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    result = new(runner, site, "--title", "ข่าว", "--category", "headline", "--draft")
    assert result.exit_code == 0, result.stderr
    path = site.resolve() / "articles" / str(datetime.now(BANGKOK).year) / "1005.toml"
    assert f"opdc --site {site.resolve()} validate {path}" in result.stderr


@pytest.mark.parametrize(
    ("args", "published"),
    [
        (("--body", "ข้อความ"), True),
        (("--body", "ข้อความ", "--draft"), False),
        (("--body", "ข้อความ", "--title-en", "News"), True),
        (("--body", "ข้อความ", "--title-en", "News", "--body-en", "Text."), True),
        (("--title-en", "News", "--body-en", "Text."), False),
        (("--body", "ข้อความ\x07"), False),  # a control character: OPDC401
        (("--body", "ข้อความ", "--format", "txt", "--title-en", "News"), True),
        (("--format", "txt"), False),
    ],
)
def test_what_is_published_passes_validate(
    runner: CliRunner, site: Path, args: tuple[str, ...], published: bool
) -> None:
    result = new(runner, site, "--title", "ข่าว", "--category", "headline", *args)
    assert result.exit_code == 0, result.stderr
    article = read(site, 1005)
    assert (article.status == "published") is published
    check = run(runner, "--site", site, "validate", *map(str, article.sources))
    # Kept a draft because it has errors, unless --draft asked for one.
    assert (check.exit_code == 0) is (published or "--draft" in args), check.stdout


def test_an_english_title_without_english_text_is_said_on_stderr(
    runner: CliRunner, site: Path
) -> None:
    result = new(
        runner,
        site,
        "--title",
        "ข่าว",
        "--title-en",
        "News",
        "--category",
        "headline",
        "--body-file",
        "-",
        input="ข้อความ\n".encode(),
    )
    assert result.exit_code == 0, result.stderr
    assert (
        "warning: English version has no body yet: it is not published until it has one"
        in result.stderr
    )
    article = read(site, 1005)
    assert article.status == "published"
    assert article.translations["en"].title == "News"


def test_a_photo_without_its_thai_caption_keeps_the_article_a_draft(
    runner: CliRunner, site: Path, make_jpeg: MakeJpeg, tmp_path: Path
) -> None:
    photo = make_jpeg(tmp_path / "DSC_0141.JPG")
    result = new(
        runner,
        site,
        "--title",
        "ข่าว",
        "--category",
        "headline",
        "--body",
        "ข้อความ",
        "--image",
        photo,
    )
    assert result.exit_code == 0, result.stderr
    assert "OPDC306 photo img1005_1.jpg has no Thai (th) alt text" in result.stderr
    article = read(site, 1005)
    assert article.status == "draft"
    assert [p.file for p in article.photos] == ["img1005_1.jpg"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("activities", "activities"), ("ข่าวกิจกรรม", "activities"), ("Headline  NEWS", "headline")],
)
def test_the_category_option_takes_a_key_or_a_name(
    runner: CliRunner, site: Path, value: str, expected: str
) -> None:
    result = new(runner, site, "--title", "ข่าว", "--category", value)
    assert result.exit_code == 0, result.stderr
    assert read(site, 1005).category == expected


def test_new_article_dates_default_to_now(runner: CliRunner, site: Path) -> None:
    before = datetime.now(BANGKOK).replace(microsecond=0)
    assert new(runner, site, "--title", "ข่าว", "--category", "headline").exit_code == 0
    after = datetime.now(BANGKOK)
    assert before <= read(site, 1005).date <= after


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-04-27", datetime(2018, 4, 27, 0, 0, tzinfo=BANGKOK)),
        ("2018-04-27T09:30", datetime(2018, 4, 27, 9, 30, tzinfo=BANGKOK)),
        ("27/04/2561", datetime(2018, 4, 27, 0, 0, tzinfo=BANGKOK)),
        ("27/04/2561 09:30", datetime(2018, 4, 27, 9, 30, tzinfo=BANGKOK)),
        ("27 เมษายน 2561", datetime(2018, 4, 27, 0, 0, tzinfo=BANGKOK)),
        ("27 เม.ย. 2561", datetime(2018, 4, 27, 0, 0, tzinfo=BANGKOK)),
        ("๒๗ เมษายน ๒๕๖๑", datetime(2018, 4, 27, 0, 0, tzinfo=BANGKOK)),
        ("27 April 2018", datetime(2018, 4, 27, 0, 0, tzinfo=BANGKOK)),
    ],
)
def test_new_article_reads_every_date_form(
    runner: CliRunner, site: Path, text: str, expected: datetime
) -> None:
    result = new(runner, site, "--title", "ข่าว", "--category", "headline", "--date", text)
    assert result.exit_code == 0, result.stderr
    article = read(site, 1005)
    assert article.date == expected
    assert article.date.utcoffset() == expected.utcoffset()
    assert article.sources[0].parent.name == "2018"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2561", "--date:"),
        ("2561-04-27", "Buddhist era"),
        ("tomorrow", "Cannot read 'tomorrow' as a date"),
    ],
)
def test_new_article_refuses_a_date_that_does_not_exist(
    runner: CliRunner, site: Path, text: str, message: str
) -> None:
    result = new(runner, site, "--title", "ข่าว", "--category", "headline", "--date", text)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (site / "media" / "1005").exists()


def test_new_article_with_every_option_as_json(
    runner: CliRunner, site: Path, tmp_path: Path
) -> None:
    body = tmp_path / "body.txt"
    body.write_text("ย่อหน้าแรก\r\n\r\nย่อหน้าที่สอง\r\n", encoding="utf-8")
    body_en = tmp_path / "body-en.txt"
    body_en.write_text("\n\nFirst paragraph.\n\nSecond paragraph.\n\n", encoding="utf-8")
    result = new(
        runner,
        site,
        "--title",
        "ประชุม “GovLab” \\ ครั้งที่ 1",
        "--title-en",
        'Meeting "GovLab" no. 1',
        "--category",
        "activities",
        "--date",
        "2018-04-27T09:30",
        "--credit",
        "กลุ่มงาน / จัดทำ",
        "--credit-en",
        "The unit",
        "--summary",
        "สรุป",
        "--summary-en",
        "Summary",
        "--body-file",
        body,
        "--body-en-file",
        body_en,
        "--tag",
        "GovLab",
        "--tag",
        "Design Thinking",
        "--tag",
        "GovLab",
        "--draft",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["id"] == 1005
    assert record["date"] == "2018-04-27T09:30:00+07:00"
    assert record["status"] == "draft"
    assert record["state"] == "draft"
    assert record["tags"] == ["GovLab", "Design Thinking"]
    assert record["paths"] == ["articles/2018/1005.toml"]
    th, en = record["translations"]["th"], record["translations"]["en"]
    assert th["title"] == "ประชุม “GovLab” \\ ครั้งที่ 1"
    assert th["paragraphs"] == ["ย่อหน้าแรก", "ย่อหน้าที่สอง"]
    assert (th["summary"], th["credit"]) == ("สรุป", "กลุ่มงาน / จัดทำ")
    assert en["title"] == 'Meeting "GovLab" no. 1'
    assert en["body"] == "First paragraph.\n\nSecond paragraph."
    assert (en["summary"], en["credit"]) == ("Summary", "The unit")
    assert record == json.loads(ok(runner, "--site", site, "show", "1005", "--json").stdout)


def test_new_article_in_the_text_form(runner: CliRunner, site: Path) -> None:
    result = new(
        runner,
        site,
        "--title",
        "ข่าว",
        "--title-en",
        "News",
        "--category",
        "headline",
        "--date",
        "2018-04-27",
        "--format",
        "txt",
    )
    assert result.exit_code == 0, result.stderr
    paths = result.stdout.splitlines()
    assert [Path(p).name for p in paths] == ["1005.th.txt", "1005.en.txt"]
    assert all(Path(p).read_text(encoding="utf-8").startswith("+++\nid = 1005\n") for p in paths)
    article = read(site, 1005)
    assert article.form == "txt"
    assert article.title("en") == "News"


def test_the_body_can_come_from_standard_input(runner: CliRunner, site: Path) -> None:
    result = new(
        runner,
        site,
        "--title",
        "ข่าว",
        "--category",
        "headline",
        "--body-file",
        "-",
        input="ย่อหน้าหนึ่ง\n\nย่อหน้าสอง\n".encode(),
    )
    assert result.exit_code == 0, result.stderr
    assert read(site, 1005).translations["th"].paragraphs == ["ย่อหน้าหนึ่ง", "ย่อหน้าสอง"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "missing --title and --category"),
        (("--title", "ข่าว"), "missing --category"),
        (("--category", "headline"), "missing --title"),
        (("--title", "ข่าว", "--category", "sport"), "use one of headline, activities"),
        (("--title", "ข่าว", "--category", "activites"), "did you mean 'activities'?"),
        (
            ("--title", "ข่าว", "--category", "headline", "--body", "a", "--body-file", "-"),
            "--body and --body-file: give the body once",
        ),
        (("--title", "บรรทัด\nสอง", "--category", "headline"), "--title: must be a single line"),
        (("--title", "ข่าว", "--category", "headline", "--summary-en", "S"), "without --title-en"),
        (
            ("--title", "ข่าว", "--category", "headline", "--body-file", "-", "--body-en-file", "-"),
            "cannot both read stdin",
        ),
        (
            ("--title", "ข่าว", "--category", "headline", "--body-file", "/nonexistent/body.txt"),
            "--body-file: cannot read /nonexistent/body.txt",
        ),
        (("--title", "ข่าว", "--category", "headline", "--format", "yaml"), "--format"),
    ],
)
def test_new_article_usage_errors_exit_2_naming_the_option(
    runner: CliRunner, site: Path, args: tuple[str, ...], message: str
) -> None:
    result = new(runner, site, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert not (site / "media" / "1005").exists()


def test_a_cp874_body_file_is_refused_and_named(
    runner: CliRunner, site: Path, tmp_path: Path
) -> None:
    body = tmp_path / "legacy.txt"
    body.write_bytes("ข่าวประชาสัมพันธ์ภาษาไทย".encode("cp874"))
    result = new(runner, site, "--title", "ข่าว", "--category", "headline", "--body-file", body)
    assert result.exit_code == 1
    assert f"{body}:1:1:" in result.stderr
    assert "TIS-620/cp874" in result.stderr


EDITOR = """\
import sys
from pathlib import Path

paths = [Path(name) for name in sys.argv[2:]]
shown = "".join(path.read_text(encoding="utf-8") for path in paths)
Path(sys.argv[1]).write_text(shown, encoding="utf-8")
for path in paths:
    path.write_text(path.read_text(encoding="utf-8").replace({old!r}, {new!r}), encoding="utf-8")
"""


def editor(tmp_path: Path, old: str, new: str) -> str:
    """An $EDITOR that keeps what it was shown in tmp_path/opened (every file, one after
    the other) and replaces `old` with `new` in each."""
    script = tmp_path / "editor.py"
    script.write_text(EDITOR.format(old=old, new=new), encoding="utf-8")
    return f"{sys.executable} {script} {tmp_path / 'opened'}"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """--edit needs a terminal; CliRunner has none, so it is told there is one."""
    from opdc_cli.cli import articles

    monkeypatch.setattr(articles, "on_terminal", lambda: True)


EMPTY_BODY = 'body = """\n"""'


@pytest.mark.usefixtures("terminal")
def test_edit_shows_where_the_text_goes_and_publishes_what_passes(
    runner: CliRunner, site: Path, tmp_path: Path
) -> None:
    filled = 'body = """\nย่อหน้าแรก\n\nย่อหน้าที่สอง\n"""'
    env: dict[str, str | None] = {"EDITOR": editor(tmp_path, EMPTY_BODY, filled), "VISUAL": None}
    args = ("--title", "ร่าง", "--category", "headline", "--edit", "--json")
    result = new(runner, site, *args, env=env)
    assert result.exit_code == 0, result.stderr
    shown = (tmp_path / "opened").read_text(encoding="utf-8")
    assert shown.startswith("# Article 1005: a draft while you edit it.")
    assert 'status = "draft"' in shown
    assert '# The Thai text goes between the two """ lines below:\n' in shown
    assert EMPTY_BODY in shown
    record = json.loads(result.stdout)
    assert record["status"] == "published"
    assert record["translations"]["th"]["paragraphs"] == ["ย่อหน้าแรก", "ย่อหน้าที่สอง"]
    written = (site / record["paths"][0]).read_text(encoding="utf-8")
    assert "#" not in written  # written back without the guiding comments
    assert 'status = "published"' in written


@pytest.mark.usefixtures("terminal")
def test_edit_shows_where_each_caption_goes_in_both_forms(
    runner: CliRunner, site: Path, tmp_path: Path, make_jpeg: MakeJpeg
) -> None:
    photo = make_jpeg(tmp_path / "DSC_0141.JPG")
    env: dict[str, str | None] = {"EDITOR": editor(tmp_path, "x", "x"), "VISUAL": None}
    args = ("--title", "ร่าง", "--title-en", "Draft", "--category", "headline", "--edit")
    result = new(runner, site, *args, "--image", photo, env=env)
    assert result.exit_code == 0, result.stderr
    shown = (tmp_path / "opened").read_text(encoding="utf-8")
    caption = (
        'file = "img1005_1.jpg"\n'
        "# Caption in Thai and English (also the alt text screen readers read aloud):\n"
        'th = ""\nen = ""\n'
    )
    assert caption in shown
    assert "Without it this version is not published." in shown
    # Nothing was filled in: it stays the draft it was, comments and all.
    assert read(site, 1005).status == "draft"
    assert Path(result.stdout.strip()).read_text(encoding="utf-8") == shown
    result = new(runner, site, *args, "--image", photo, "--format", "txt", env=env)
    assert result.exit_code == 0, result.stderr
    shown = (tmp_path / "opened").read_text(encoding="utf-8")
    assert "# The Thai text goes after the closing +++ line below:\n" in shown
    assert "# The English text goes after the closing +++ line below:\n" in shown
    assert (
        'file = "img1006_1.jpg"\n'
        "# Caption in English (also the alt text screen readers read aloud):\n"
        'caption = ""\n+++\n'
    ) in shown


@pytest.mark.usefixtures("terminal")
def test_an_edit_that_breaks_the_file_keeps_it_and_says_so(
    runner: CliRunner, site: Path, tmp_path: Path
) -> None:
    env: dict[str, str | None] = {
        "VISUAL": editor(tmp_path, 'category = "headline"', 'category = "sport"'),
    }
    result = new(runner, site, "--title", "ร่าง", "--category", "headline", "--edit", env=env)
    assert result.exit_code == 1
    assert result.stdout == ""
    path = next((site / "articles").rglob("1005.toml"))
    assert 'category = "sport"' in path.read_text(encoding="utf-8")
    error = result.stderr.strip()
    assert error.startswith("error: ")
    assert "1005.toml:4:1: unknown category 'sport'" in error
    assert f"validate {path}" in error


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("false", "the editor exited with status 1: false "),
        ("/nonexistent/editor", "could not start the editor '/nonexistent/editor'"),
    ],
)
def test_a_failed_editor_is_an_error_and_the_draft_is_kept(
    runner: CliRunner, site: Path, command: str, message: str
) -> None:
    env: dict[str, str | None] = {"EDITOR": command, "VISUAL": None}
    result = new(
        runner,
        site,
        "--title",
        "ข่าว",
        "--category",
        "headline",
        "--body",
        "ข้อความ",
        "--edit",
        env=env,
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr
    assert "article 1005 is kept as a draft, as written before the editor ran" in result.stderr
    article = read(site, 1005)
    assert article.status == "draft"
    assert article.translations["th"].body == "ข้อความ"


def test_edit_without_a_terminal_is_refused(runner: CliRunner, site: Path) -> None:
    env: dict[str, str | None] = {"EDITOR": "vi", "VISUAL": None}
    result = new(runner, site, "--title", "ข่าว", "--category", "headline", "--edit", env=env)
    assert result.exit_code == 2
    assert "--edit needs a terminal" in result.stderr
    assert not (site / "media" / "1005").exists()


# --- list -----------------------------------------------------------------------------


def ids(runner: CliRunner, site: Path, *args: str) -> list[int]:
    result = ok(runner, "--site", site, "list", "--format", "ids", *args)
    return [int(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), [1004, 1003, 1002, 1001]),
        (("--category", "headline"), [1004, 1001]),
        (("--category", "headline", "--category", "activities"), [1004, 1002, 1001]),
        (("--status", "draft"), [1002]),
        (("--status", "scheduled"), [1004]),
        (("--status", "published"), [1003, 1001]),
        (("--status", "draft", "--status", "scheduled"), [1004, 1002]),
        (("--lang", "en"), [1004, 1003, 1001]),
        (("--missing-lang", "en"), [1002]),
        (("--since", "2018-05-01", "--until", "2018-05-31"), [1002]),
        (("--since", "10/05/2561", "--until", "1 มิถุนายน 2561"), [1003, 1002]),
        (("--since", "๑ ม.ค. ๒๕๖๒"), [1004]),
        (("--until", "27 เม.ย. 2561"), [1001]),
        (("--search", "ส่วนราชการนำร่อง"), [1002]),
        (("--search", "HANOI"), [1003, 1001]),
        (("--search", "อบรม"), [1002]),
        (("--search", "ไม่มีคำนี้"), []),
        (("--tag", "PMQA"), [1003]),
        (("--sort", "id"), [1004, 1003, 1002, 1001]),
        (("--sort", "id", "--reverse"), [1001, 1002, 1003, 1004]),
        (("--sort", "date", "--reverse", "--limit", "2"), [1001, 1002]),
        (("--limit", "1"), [1004]),
    ],
)
def test_list_filters_and_orders(
    runner: CliRunner, site: Path, args: tuple[str, ...], expected: list[int]
) -> None:
    assert ids(runner, site, *args) == expected


def test_list_sorts_by_title_in_the_chosen_language(runner: CliRunner, site: Path) -> None:
    articles = Site.open(site).articles()
    by_thai = sorted(articles, key=lambda a: (a.title("th").casefold(), a.id))
    assert ids(runner, site, "--sort", "title") == [a.id for a in by_thai]
    english = [a for a in articles if "en" in a.translations]
    by_english = sorted(english, key=lambda a: (a.title("en").casefold(), a.id))
    assert ids(runner, site, "--sort", "title", "--lang", "en") == [a.id for a in by_english]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--category", "sport"), "--category: unknown category 'sport'"),
        (
            ("--status", "live"),
            "--status: 'live' is not one of draft, review, approved, scheduled, published, expired",
        ),
        (("--lang", "fr"), "--lang: 'fr' is not a site language"),
        (("--missing-lang", "de"), "--missing-lang: 'de' is not a site language"),
        (("--since", "31/02/2561"), "--since:"),
        (("--until", "soon"), "--until:"),
        (("--sort", "size"), "--sort"),
        (("--limit", "0"), "--limit"),
        (("--format", "xml"), "--format"),
    ],
)
def test_list_usage_errors_exit_2(
    runner: CliRunner, site: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(runner, "--site", site, "list", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_list_json_is_documented_data(runner: CliRunner, site: Path) -> None:
    result = ok(runner, "--site", site, "list", "--format", "json")
    records = json.loads(result.stdout)
    assert [r["id"] for r in records] == [1004, 1003, 1002, 1001]
    first = records[-1]
    assert first == {
        "id": 1001,
        "date": "2018-04-27T16:30:00+07:00",
        "category": "headline",
        "status": "published",
        "state": "published",
        "languages": ["th", "en"],
        "photo_count": 2,
        "tags": ["GovLab", "Design Thinking"],
        "titles": {
            "th": "สำนักงาน ก.พ.ร. จัดการประชุมนานาชาติ ครั้งที่ 6",
            "en": "OPDC co-hosts the 6th international symposium",
        },
        "paths": ["articles/2018/1001.toml"],
    }
    assert records[0]["state"] == "scheduled"
    assert records[0]["status"] == "published"
    # Deterministic: the same content gives the same bytes.
    assert ok(runner, "--site", site, "list", "--format", "json").stdout == result.stdout


def test_list_jsonl_has_one_record_per_line(runner: CliRunner, site: Path) -> None:
    lines = ok(runner, "--site", site, "list", "--format", "jsonl").stdout.splitlines()
    as_json = json.loads(ok(runner, "--site", site, "list", "--format", "json").stdout)
    assert [json.loads(line) for line in lines] == as_json


def test_list_csv_reads_back_with_the_csv_module(runner: CliRunner, site: Path) -> None:
    text = ok(runner, "--site", site, "list", "--format", "csv").stdout
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == [
        "id",
        "date",
        "category",
        "status",
        "state",
        "languages",
        "photo_count",
        "tags",
        "title_th",
        "title_en",
        "paths",
    ]
    rows = {row["id"]: row for row in reader}
    assert list(rows) == ["1004", "1003", "1002", "1001"]
    assert rows["1001"]["date"] == "2018-04-27T16:30:00+07:00"
    assert rows["1001"]["tags"].split("; ") == ["GovLab", "Design Thinking"]
    assert rows["1001"]["languages"] == "th; en"
    assert rows["1001"]["title_en"] == "OPDC co-hosts the 6th international symposium"
    assert rows["1002"]["title_en"] == ""
    assert rows["1002"]["state"] == "draft"
    assert rows["1001"]["paths"] == "articles/2018/1001.toml"
    assert rows["1003"]["photo_count"] == "1"


def test_the_csv_keeps_a_text_form_article_s_paths_apart(
    runner: CliRunner, make_site: MakeSite, tmp_path: Path
) -> None:
    site = make_site(form="txt", folder=tmp_path / "my site")
    rows = list(csv.DictReader(io.StringIO(ok(runner, "--site", site, "list", "-f", "csv").stdout)))
    assert rows[-1]["paths"].split("; ") == [
        "articles/2018/1001.th.txt",
        "articles/2018/1001.en.txt",
    ]


def plain_lines(runner: CliRunner, site: Path, *args: str) -> list[str]:
    return ok(runner, "--site", site, "list", *args).stdout.splitlines()


def test_list_without_a_terminal_is_a_plain_aligned_table(runner: CliRunner, site: Path) -> None:
    header, *rows = plain_lines(runner, site)
    assert header.split() == ["ID", "Date", "Category", "Status", "Lang", "Photos", "Title"]
    assert "\x1b" not in "".join(rows)
    assert rows[-1].split("  ")[0] == "1001"
    assert "27 เม.ย. 2561" in rows[-1]
    assert "ข่าวเด่น" in rows[-1]
    assert "th,en" in rows[-1]
    assert rows[-1].endswith("สำนักงาน ก.พ.ร. จัดการประชุมนานาชาติ ครั้งที่ 6")
    assert "scheduled" in rows[0] and "draft" in rows[2]
    # Columns line up in terminal cells, Thai combining marks included.
    title_at = {cell_width(line[: line.index("สำนักงาน")]) for line in (rows[1], rows[3])}
    assert len(title_at) == 1
    english = plain_lines(runner, site, "--lang", "en")
    assert "27 Apr 2018" in english[-1]
    assert "Headline news" in english[-1]
    assert english[-1].endswith("OPDC co-hosts the 6th international symposium")


def test_the_plain_table_never_cuts_a_thai_word(
    runner: CliRunner, make_site: MakeSite, make_article: MakeArticle
) -> None:
    title = (
        "สำนักงานคณะกรรมการพัฒนาระบบราชการร่วมกับหน่วยงานนานาชาติจัดการประชุมนานาชาติ"
        "เพื่อแลกเปลี่ยนประสบการณ์การประยุกต์การคิดเชิงออกแบบผ่านห้องปฏิบัติการนวัตกรรมภาครัฐ"
    )
    site = make_site([make_article(7, translations={"th": Translation(title=title)})])
    row = plain_lines(runner, site)[1]
    shown = row[row.index("สำนักงาน") :]
    assert shown.endswith("…")
    kept = shown[:-1]
    assert title.startswith(kept)
    boundaries = {sum(len(w) for w in words(title)[:n]) for n in range(len(words(title)) + 1)}
    assert len(kept) in boundaries
    assert len(kept) < len(title)


def test_list_of_an_empty_site(runner: CliRunner, make_site: MakeSite) -> None:
    site = make_site([])
    assert ok(runner, "--site", site, "list", "--format", "json").stdout == "[]\n"
    assert ok(runner, "--site", site, "list", "--format", "ids").stdout == ""
    assert plain_lines(runner, site)[0].split()[0] == "ID"


# --- show -----------------------------------------------------------------------------


@pytest.fixture
def photo_site(site: Path, make_jpeg: MakeJpeg) -> Path:
    """The site with web sizes for article 1001's two photos."""
    for n, size in ((1, (320, 240)), (2, (200, 100))):
        make_jpeg(site / "media" / "1001" / f"img1001_{n}_resize.jpg", size)
    return site


def kb(site: Path, name: str) -> str:
    return format_kb((site / "media" / "1001" / name).stat().st_size)


def test_show_renders_the_article_as_the_page_does(runner: CliRunner, photo_site: Path) -> None:
    text = ok(runner, "--site", photo_site, "show", "1001").stdout
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "ข่าวเด่น"
    assert "สำนักงาน ก.พ.ร. จัดการประชุมนานาชาติ ครั้งที่ 6" in lines
    assert any(line.startswith("27 เมษายน 2561 16:30 น.") for line in lines)
    assert "เผยแพร่แล้ว" in text
    assert "สำนักงานคณะกรรมการพัฒนาระบบราชการร่วมกับหน่วยงานนานาชาติจัดการประชุม" in text
    assert "กลุ่มวิเทศสัมพันธ์และการประชาสัมพันธ์ / จัดทำ" in lines
    assert "กิจกรรม: 25 – 27 เมษายน 2561 · กรุงฮานอย" in lines
    assert "รูปภาพ" in lines
    assert f"img1001_1_resize.jpg ({kb(photo_site, 'img1001_1_resize.jpg')})" in lines
    assert f"img1001_2_resize.jpg ({kb(photo_site, 'img1001_2_resize.jpg')})" in lines
    assert "พิธีเปิด" in lines
    assert lines[lines.index("รูปภาพ") :].count("ทั้งหมด 2 รายการ 1 / 1") == 1
    assert "ป้ายกำกับ: GovLab, Design Thinking" in lines
    # The page's order: category, title, date, text, credit, event, photos.
    order = ["ข่าวเด่น", "สำนักงาน ก.พ.ร.", "27 เมษายน", "การประชุมดังกล่าว", "/ จัดทำ", "กิจกรรม:"]
    places = [text.index(piece) for piece in [*order, "รูปภาพ", "ทั้งหมด 2 รายการ"]]
    assert places == sorted(places)


def test_show_in_english(runner: CliRunner, photo_site: Path) -> None:
    text = ok(runner, "--site", photo_site, "show", "1001", "--lang", "en").stdout
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "Headline news"
    assert "OPDC co-hosts the 6th international symposium" in lines
    assert any(line.startswith("27 April 2018, 16:30") for line in lines)
    assert "Event: 25 – 27 April 2018 · Hanoi" in lines
    assert "Photos" in lines
    assert "2 items 1 / 1" in lines
    assert "The opening" in lines
    assert "ข่าวเด่น" not in text


def test_show_says_when_the_web_sizes_are_missing(runner: CliRunner, site: Path) -> None:
    text = ok(runner, "--site", site, "show", "1001", "--lang", "en").stdout
    assert "img1001_1.jpg  (no web size yet: run opdc media resize)" in text


def test_show_falls_back_to_a_language_the_article_has(runner: CliRunner, site: Path) -> None:
    result = ok(runner, "--site", site, "show", "1002", "--lang", "en")
    assert "article 1002 has no 'en' translation; showing th" in result.stderr
    assert "อบรมเชิงปฏิบัติการการคิดเชิงออกแบบ" in result.stdout
    assert "ฉบับร่าง" in result.stdout


def test_show_wraps_thai_only_between_words(
    runner: CliRunner, make_site: MakeSite, make_article: MakeArticle
) -> None:
    from pythainlp.tokenize import word_tokenize

    paragraphs = [
        "สำนักงานคณะกรรมการพัฒนาระบบราชการร่วมกับหน่วยงานนานาชาติจัดการประชุมนานาชาติ"
        "ในหัวข้อการปฏิรูปภาครัฐ ระหว่างวันที่ 25 – 27 เมษายน 2561 ณ กรุงฮานอย",
        "การประชุมดังกล่าวมีวัตถุประสงค์ที่จะส่งเสริมและแบ่งปันประสบการณ์ รวมทั้งแนวปฏิบัติ"
        "ที่เป็นเลิศเกี่ยวกับแนวคิดเรื่องการประยุกต์การคิดเชิงออกแบบ (Design Thinking) "
        "ผ่านการดำเนินกิจกรรมในลักษณะโครงการห้องปฏิบัติการนวัตกรรมภาครัฐ",
    ]
    thai = Translation(title="ข่าว", body="\n\n".join(paragraphs))
    site = make_site([make_article(7, translations={"th": thai}, photos=(), event=None)])
    for width in (30, 37, 44):
        text = ok(runner, "--site", site, "show", "7", "--width", str(width)).stdout
        body = [line for line in text.splitlines() if line.startswith("    ")]
        assert all(cell_width(line) <= width for line in body)
        joined = [line[4:] for line in body]
        for paragraph in paragraphs:
            # The paragraph's lines follow one another; each break falls between words.
            boundaries = set()
            position = 0
            for token in word_tokenize(paragraph, engine="newmm", keep_whitespace=True):
                position += len(token)
                boundaries.add(position)
            start = next(i for i, line in enumerate(joined) if paragraph.startswith(line))
            position = 0
            for line in joined[start:]:
                position = paragraph.index(line, position) + len(line)
                assert position in boundaries, (width, line)
                if position == len(paragraph):
                    break
            assert position == len(paragraph)


def test_show_raw_prints_the_file_as_stored(runner: CliRunner, site: Path) -> None:
    result = ok(runner, "--site", site, "show", "1001", "--raw")
    assert result.stdout_bytes == (site / "articles" / "2018" / "1001.toml").read_bytes()


def test_show_raw_of_the_text_form(runner: CliRunner, make_site: MakeSite) -> None:
    site = make_site(form="txt")
    folder = site / "articles" / "2018"
    th, en = (folder / "1001.th.txt").read_bytes(), (folder / "1001.en.txt").read_bytes()
    both = ok(runner, "--site", site, "show", "1001", "--raw")
    assert both.stdout_bytes == th + en
    assert "1001.th.txt" in both.stderr and "1001.en.txt" in both.stderr
    english = ok(runner, "--site", site, "show", "1001", "--raw", "--lang", "en")
    assert english.stdout_bytes == en
    assert english.stderr == ""


def test_show_raw_of_a_file_too_broken_to_read(runner: CliRunner, site: Path) -> None:
    broken = site / "articles" / "2018" / "2000.toml"
    broken.write_bytes(b'id = 2000\ntitle = "\xe0\xb8\n')
    result = ok(runner, "--site", site, "show", "2000", "--raw")
    assert result.stdout_bytes == broken.read_bytes()


def test_show_json_has_every_field(runner: CliRunner, photo_site: Path) -> None:
    record = json.loads(ok(runner, "--site", photo_site, "show", "1001", "--json").stdout)
    assert record["category_name"] == {"th": "ข่าวเด่น", "en": "Headline news"}
    assert record["event"] == {
        "start": "2018-04-25",
        "end": "2018-04-27",
        "place": {"th": "กรุงฮานอย", "en": "Hanoi"},
    }
    photo = record["photos"][0]
    assert photo["file"] == "img1001_1.jpg"
    assert photo["web"] == "img1001_1_resize.jpg"
    assert (photo["width"], photo["height"]) == (320, 240)
    assert photo["web_bytes"] == (photo_site / "media/1001/img1001_1_resize.jpg").stat().st_size
    assert photo["caption"] == {"th": "พิธีเปิด", "en": "The opening"}
    assert record["translations"]["th"]["url"] == "https://www.example.go.th/th/news/1001.html"


@pytest.mark.parametrize("flag", [(), ("--raw",), ("--json",)])
def test_show_of_an_unknown_id(runner: CliRunner, site: Path, flag: tuple[str, ...]) -> None:
    result = run(runner, "--site", site, "show", "123", *flag)
    assert result.exit_code == 1
    assert result.stderr == "error: no article 123 in articles/\n"
    assert result.stdout == ""


def test_show_usage_errors(runner: CliRunner, site: Path) -> None:
    assert run(runner, "--site", site, "show", "1001", "--lang", "fr").exit_code == 2
    assert run(runner, "--site", site, "show", "abc").exit_code == 2
    assert run(runner, "--site", site, "show", "1001", "--width", "5").exit_code == 2


def test_content_is_never_taken_for_markup_or_terminal_codes(
    runner: CliRunner, make_site: MakeSite, make_article: MakeArticle
) -> None:
    title = "[bold]ข่าว[/x] \x1b[2J\x1b]0;pwned\x07"
    site = make_site([make_article(7, translations={"th": Translation(title=title, body="ก")})])
    for args in (("show", "7"), ("list",)):
        result = ok(runner, "--site", site, *args)
        assert "[bold]ข่าว[/x]" in result.stdout
        assert "\x1b" not in result.stdout
        assert "\x07" not in result.stdout


# --- a broken file beside good ones ---------------------------------------------------


@pytest.fixture
def broken_site(site: Path) -> Path:
    folder = site / "articles" / "2018"
    (folder / "2000.toml").write_text(
        'id = 2000\ncategory = "headline"\ndate = = 2018-04-27\n', encoding="utf-8"
    )
    (folder / "2001.th.txt").write_bytes(
        '+++\nid = 2001\ncategory = "headline"\ndate = 2018-04-27T09:00:00+07:00\n'
        'title = "ข่าวเก่า"\n+++\n'.encode("cp874")
    )
    (folder / "2002.toml").write_text(
        'id = 2002\ncategory = "sports"\ndate = 2018-04-27T09:00:00+07:00\n[th]\ntitle = "x"\n',
        encoding="utf-8",
    )
    return site


def test_list_goes_on_past_broken_files_and_warns_once_each(
    runner: CliRunner, broken_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(broken_site)
    result = ok(runner, "list", "--format", "ids")
    assert result.stdout.split() == ["1004", "1003", "1002", "1001"]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3
    assert warnings[0] == "warning: articles/2018/2000.toml:3:8: TOML syntax error: Invalid value"
    assert warnings[1].startswith(
        "warning: articles/2018/2001.th.txt:5:10: not UTF-8: this looks like Thai in TIS-620/cp874"
    )
    assert warnings[2] == (
        "warning: articles/2018/2002.toml:2:1: unknown category 'sports' (not in site.toml): "
        "use one of headline, activities, announcements"
    )
    assert result.stderr.splitlines()[-1] == "3 file(s) skipped: run 'opdc validate' for details"


def test_show_goes_on_past_broken_files(
    runner: CliRunner, broken_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(broken_site)
    assert "ข่าวเด่น" in ok(runner, "show", "1001").stdout
    result = run(runner, "show", "2002")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: articles/2018/2002.toml:2:1: unknown category")
    assert len(result.stderr.splitlines()) == 1


def test_a_broken_site_toml_stops_with_one_line(runner: CliRunner, site: Path) -> None:
    (site / "site.toml").write_text("languages = [th]\n", encoding="utf-8")
    result = run(runner, "--site", site, "list")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {site / 'site.toml'}:1:14: TOML syntax error")
    assert len(result.stderr.splitlines()) == 1


# --- finding the site -----------------------------------------------------------------


def test_the_site_comes_from_the_option_the_environment_or_the_folders_above(
    runner: CliRunner, make_site: MakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = make_site([build_article(1)], folder=tmp_path / "one")
    two = make_site([build_article(2)], folder=tmp_path / "two")
    three = make_site([build_article(3)], folder=tmp_path / "three")
    monkeypatch.chdir(three / "articles" / "2018")
    assert ok(runner, "list", "-f", "ids").stdout == "3\n"
    assert ok(runner, "list", "-f", "ids", env={"OPDC_SITE": str(two)}).stdout == "2\n"
    both = ok(runner, "--site", one, "list", "-f", "ids", env={"OPDC_SITE": str(two)})
    assert both.stdout == "1\n"


def test_no_site_anywhere(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(runner, "list")
    assert result.exit_code == 1
    assert "no site.toml in" in result.stderr
    assert "opdc init" in result.stderr
    missing = run(runner, "--site", tmp_path / "nowhere", "list")
    assert missing.exit_code == 1
    assert f"no site.toml in {tmp_path / 'nowhere'}: run 'opdc init" in missing.stderr


def test_every_command_has_help_with_an_example(runner: CliRunner) -> None:
    for command in ("init", "new-article", "list", "show"):
        result = ok(runner, command, "--help")
        assert "Example" in result.stdout, command
    assert "new-article" in ok(runner, "--help").stdout


def test_the_written_files_are_what_the_store_reads(runner: CliRunner, site: Path) -> None:
    new(runner, site, "--title", "ข่าว", "--category", "headline", "--date", "2018-04-27")
    groups, problems = store.group(store.scan(site / "articles"))
    assert not problems
    assert sorted(groups) == [1001, 1002, 1003, 1004, 1005]


def test_show_the_pages_and_json_page_a_gallery_alike(
    runner: CliRunner, make_site: MakeSite, make_jpeg: MakeJpeg, tmp_path: Path
) -> None:
    from opdc_cli.model import Photo

    photos = tuple(Photo(f"img5001_{n}.jpg", {"th": "ภาพ", "en": "A photo"}) for n in range(1, 14))
    root = make_site([build_article(5001, photos=photos)])
    for n in range(1, 14):
        make_jpeg(root / "media" / "5001" / f"img5001_{n}_resize.jpg", (64, 48))
    lines = [
        line.strip()
        for line in ok(runner, "--site", root, "show", "5001", "--lang", "en").stdout.splitlines()
    ]
    # site.toml's gallery_page_size (12): 13 photos are two pages, as on the site.
    assert "13 items 1 / 2" in lines and "13 items 2 / 2" in lines
    twelfth = next(i for i, line in enumerate(lines) if line.startswith("img5001_12_resize"))
    assert lines[twelfth + 1] == "A photo" and lines[twelfth + 2] == "13 items 1 / 2"
    record = json.loads(ok(runner, "--site", root, "show", "5001", "--json").stdout)
    assert [p["gallery_page"] for p in record["photos"]] == [1] * 12 + [2]
    out = tmp_path / "public"
    ok(runner, "--site", root, "export", "--format", "html", "-o", out)
    page = (out / "en" / "news" / "5001-2.html").read_text(encoding="utf-8")
    assert "13 items 2 / 2" in page and "img5001_13_resize.jpg" in page
    assert not (out / "en" / "news" / "5001-3.html").exists()
