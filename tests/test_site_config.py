"""site.toml: defaults, the sample's settings, and errors that name the key and its line."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from opdc_cli.errors import OpdcError
from opdc_cli.scaffold import init_site
from opdc_cli.site import (
    MediaSettings,
    SiteConfigError,
    check_config,
    find_site_root,
    load_config,
)

MINIMAL = """\
[name]
th = "เว็บไซต์ข่าว"

[categories.news]
th = "ข่าว"
"""


def write_config(folder: Path, text: str) -> Path:
    path = folder / "site.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(folder: Path, text: str) -> list[OpdcError]:
    config, problems = check_config(write_config(folder, text))
    assert config is not None
    return problems


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line of `text` that starts with `needle`."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.lstrip().startswith(needle):
            return number
    raise AssertionError(f"{needle!r} not in the text")


def test_a_minimal_site_gets_every_default(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, MINIMAL))
    assert config.languages == ("th", "en")
    assert config.primary_language == "th"
    assert config.timezone == "Asia/Bangkok"
    assert config.tz == ZoneInfo("Asia/Bangkok")
    assert config.first_id == 1
    assert config.article_format == "toml"
    assert config.base_url == "http://localhost/"
    assert config.media == MediaSettings()
    assert config.feed.limit == 20
    assert config.html.page_size == 20
    assert config.root == tmp_path
    assert list(config.categories) == ["news"]


def test_init_writes_a_commented_site_that_loads(tmp_path: Path) -> None:
    created = init_site(tmp_path / "new", name_th="ข่าวทดสอบ", name_en="Test news")
    assert [c.path.name for c in created] == ["site.toml", "articles", "media", ".gitignore"]
    assert all(c.action == "create" for c in created)
    text = (tmp_path / "new" / "site.toml").read_text(encoding="utf-8")
    assert text.startswith("# site.toml")
    config = load_config(tmp_path / "new" / "site.toml")
    assert config.site_name("th") == "ข่าวทดสอบ"
    assert config.site_name("en") == "Test news"
    assert config.category_name("headline", "th") == "ข่าวเด่น"
    assert set(config.categories) == {"headline", "activities", "announcements"}
    assert (tmp_path / "new" / "articles").is_dir()
    assert (tmp_path / "new" / "media").is_dir()


def test_init_quotes_names_that_toml_would_misread(tmp_path: Path) -> None:
    init_site(tmp_path, name_th='ข่าว "พิเศษ" \\ ทดสอบ', name_en="A\tB")
    config = load_config(tmp_path / "site.toml")
    assert config.site_name("th") == 'ข่าว "พิเศษ" \\ ทดสอบ'
    assert config.site_name("en") == "A\tB"


def test_init_never_overwrites_a_site(tmp_path: Path) -> None:
    init_site(tmp_path)
    before = (tmp_path / "site.toml").read_bytes()
    with pytest.raises(OpdcError, match="exists already"):
        init_site(tmp_path, name_th="อื่น")
    assert (tmp_path / "site.toml").read_bytes() == before


def test_the_sample_site_settings(sample_site: Path) -> None:
    config = load_config(sample_site / "site.toml")
    assert config.languages == ("th", "en")
    assert config.first_id == 26461
    assert config.base_url == "https://www.opdc.go.th/"
    assert config.category_name("headline", "th") == "ข่าวเด่น"
    assert config.category_name("headline", "en") == "Headline news"
    assert {"headline", "activities", "announcements"} <= set(config.categories)
    assert config.footer.hotline == "1785"
    assert config.footer.links[0].label("th") == "คำถามที่พบบ่อย"
    assert config.media.resize_width == 1024


def test_names_fall_back_to_another_language(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, MINIMAL))
    assert config.site_name("en") == "เว็บไซต์ข่าว"
    assert config.categories["news"].name("en") == "ข่าว"
    assert config.category_name("missing", "th") == "missing"


def test_base_url_gets_its_trailing_slash(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, 'base_url = "https://a.go.th/news"\n' + MINIMAL))
    assert config.base_url == "https://a.go.th/news/"


def test_an_unknown_top_level_key_names_the_key_and_its_line(tmp_path: Path) -> None:
    text = 'timezone = "Asia/Bangkok"\nlanguage = ["th", "en"]\n' + MINIMAL
    (problem,) = problems_of(tmp_path, text)
    assert problem.line == 2
    assert problem.col == 1
    assert problem.code == "OPDC001"
    assert "unknown key 'language'" in problem.message
    assert "did you mean 'languages'?" in problem.message


def test_an_unknown_nested_key_is_named_with_its_table(tmp_path: Path) -> None:
    text = MINIMAL + "\n[media]\nresize_width = 800\n  qualty = 80\n"
    (problem,) = problems_of(tmp_path, text)
    assert "unknown key 'media.qualty'" in problem.message
    assert "did you mean 'quality'?" in problem.message
    assert (problem.line, problem.col) == (line_of(text, "qualty"), 3)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('first_id = "26461"', "'first_id' must be a whole number, not a string"),
        ("first_id = 0", "'first_id' must be greater than 0"),
        ("timezone = 7", "'timezone' must be a string, not a whole number"),
        ('timezone = "Asia/Bangkokk"', "is not a known time zone"),
        ('base_url = "www.opdc.go.th"', "must be an http(s) URL"),
        ('article_format = "yaml"', "must be 'toml' or 'txt'"),
        ('languages = "th"', "must be a non-empty list of language codes"),
        ("languages = []", "must be a non-empty list of language codes"),
        ('languages = ["th", "EN"]', "must be a non-empty list of language codes"),
        ('languages = ["th", "en", "th"]', "lists a language twice"),
    ],
)
def test_a_wrong_top_level_value_is_named_at_its_line(
    tmp_path: Path, setting: str, expected: str
) -> None:
    text = f"# settings\n\n{setting}\n" + MINIMAL
    (problem,) = problems_of(tmp_path, text)
    assert expected in problem.message
    assert (problem.path, problem.line, problem.col) == (tmp_path / "site.toml", 3, 1)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("quality = true", "'media.quality' must be a whole number, not true or false"),
        ("quality = 100", "'media.quality' must be between 1 and 95"),
        ("resize_width = -5", "'media.resize_width' must be greater than 0"),
        ("max_pixels = 1.5", "'media.max_pixels' must be a whole number, not a number"),
    ],
)
def test_a_wrong_media_value_is_named_at_its_line(
    tmp_path: Path, setting: str, expected: str
) -> None:
    text = MINIMAL + f"\n[media]\nthumb_width = 200\n{setting}\n"
    (problem,) = problems_of(tmp_path, text)
    assert expected in problem.message
    assert problem.line == line_of(text, setting)


def test_a_table_given_as_a_value_is_an_error(tmp_path: Path) -> None:
    text = 'feed = "yes"\n' + MINIMAL
    (problem,) = problems_of(tmp_path, text)
    assert problem.message == "'feed' must be a table"
    assert problem.line == 1


def test_category_problems(tmp_path: Path) -> None:
    text = (
        '[name]\nth = "ข่าว"\n\n'
        '[categories.News]\nth = "ข่าว"\n\n'
        '[categories.events]\nen = "Events"\n\n'
        '[categories.notices]\nth = "ประกาศ"\nfr = "Avis"\n'
    )
    problems = problems_of(tmp_path, text)
    assert sorted((p.line, p.message) for p in problems) == [
        (4, "category key 'News' must be lower-case letters, digits, '-' or '_'"),
        (7, "category 'events' needs a name in th: add th = \"…\""),
        (line_of(text, "fr ="), "unknown key 'categories.notices.fr'"),
    ]


def test_a_site_without_categories_says_how_to_add_one(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path, '[name]\nth = "ข่าว"\n')
    assert "declares no categories" in problem.message
    assert '[categories.news] th = "ข่าว"' in problem.message


def test_footer_link_problems(tmp_path: Path) -> None:
    text = MINIMAL + '\n[footer]\nphone = "02"\n\n[[footer.links]]\nth = "ลิงก์"\ncolour = "red"\n'
    problems = problems_of(tmp_path, text)
    assert sorted((p.line, p.message) for p in problems) == [
        (line_of(text, "[[footer.links]]"), "a footer link needs a url"),
        (line_of(text, "colour"), "unknown key 'footer.links[0].colour'"),
    ]


def test_every_problem_is_collected_before_failing_once(tmp_path: Path) -> None:
    text = 'first_id = "x"\ncolour = 1\n' + MINIMAL + "\n[media]\nquality = 0\n"
    path = write_config(tmp_path, text)
    with pytest.raises(SiteConfigError) as caught:
        load_config(path)
    error = caught.value
    assert len(error.problems) == 3
    assert str(error) == f"{error.problems[0]} (and 2 more: run opdc validate)"
    assert {p.line for p in error.problems} == {1, 2, line_of(text, "quality")}


def test_broken_toml_has_its_line_and_column(tmp_path: Path) -> None:
    path = write_config(tmp_path, MINIMAL + "\n[feed]\nlimit = = 3\n")
    with pytest.raises(OpdcError) as caught:
        load_config(path)
    assert caught.value.code == "OPDC101"
    assert caught.value.line == MINIMAL.count("\n") + 3
    assert caught.value.col == 9
    assert caught.value.message.startswith("TOML syntax error:")


def test_a_cp874_site_toml_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_bytes(MINIMAL.encode("cp874"))
    with pytest.raises(OpdcError) as caught:
        load_config(path)
    assert "TIS-620/cp874" in caught.value.message
    assert caught.value.line == 2
    assert "iconv -f cp874 -t utf-8" in caught.value.message


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    assert load_config(path).site_name("th") == "เว็บไซต์ข่าว"


def test_an_unreadable_site_toml(tmp_path: Path) -> None:
    (tmp_path / "site.toml").mkdir()
    config, problems = check_config(tmp_path / "site.toml")
    assert config is None
    assert problems[0].message.startswith("cannot read site.toml")


# --- finding the site -----------------------------------------------------------------


def test_the_site_is_found_at_or_above_the_working_folder(tmp_path: Path) -> None:
    init_site(tmp_path / "site")
    deep = tmp_path / "site" / "articles" / "2018" / "x"
    deep.mkdir(parents=True)
    assert find_site_root(start=deep) == (tmp_path / "site").resolve()
    assert find_site_root(start=tmp_path / "site") == (tmp_path / "site").resolve()


def test_an_explicit_folder_wins_over_the_environment_and_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "b", "c"):
        init_site(tmp_path / name)
    monkeypatch.setenv("OPDC_SITE", str(tmp_path / "b"))
    monkeypatch.chdir(tmp_path / "c")
    assert find_site_root(tmp_path / "a") == (tmp_path / "a").resolve()
    assert find_site_root() == (tmp_path / "b").resolve()
    monkeypatch.delenv("OPDC_SITE")
    assert find_site_root() == (tmp_path / "c").resolve()


def test_no_site_anywhere_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(OpdcError, match="run opdc inside a site, pass --site DIR, set OPDC_SITE"):
        find_site_root(start=tmp_path)
    with pytest.raises(OpdcError, match=r"no site.toml in .*: run 'opdc init"):
        find_site_root(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("text", "found", "near"),
    [
        ("headline", "headline", "headline"),
        ("ข่าวเด่น", "headline", "headline"),
        ("  Headline   NEWS ", "headline", "headline"),
        ("ACTIVITIES", "activities", "activities"),
        ("headlin", None, "headline"),
        ("ข่าวกิจกรม", None, "activities"),
        ("sport", None, None),
    ],
)
def test_a_category_is_found_by_key_or_name_and_a_typo_gets_the_nearest(
    tmp_path: Path, text: str, found: str | None, near: str | None
) -> None:
    init_site(tmp_path)
    config = load_config(tmp_path / "site.toml")
    assert config.find_category(text) == found
    assert config.nearest_category(text) == near
