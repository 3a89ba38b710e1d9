"""Tests for opdc_cli.thai: Buddhist-era dates, date parsing, Thai word boundaries."""

from __future__ import annotations

import ast
import itertools
import os
import re
import subprocess
import sys
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from opdc_cli import thai
from opdc_cli.thai import (
    EN_MONTHS,
    EN_MONTHS_SHORT,
    THAI_MONTHS,
    THAI_MONTHS_SHORT,
    DateError,
    cell_width,
    excerpt,
    format_date,
    format_date_range,
    has_thai,
    parse_date,
    parse_day,
    truncate,
    words,
    wrap,
)

BKK = ZoneInfo("Asia/Bangkok")

SENTENCE = (
    "สำนักงานคณะกรรมการพัฒนาระบบราชการร่วมกับหน่วยงานนานาชาติจัดการประชุมนานาชาติ"
    " ครั้งที่ 6 ในหัวข้อการปฏิรูประบบราชการ"
)
PARAGRAPH = " ".join([SENTENCE] * 6)

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def boundaries(text: str) -> set[int]:
    """Offsets in `text` at which words() allows a break."""
    offsets = {0}
    position = 0
    for token in words(text):
        position += len(token)
        offsets.add(position)
    return offsets


def locate_lines(text: str, lines: list[str]) -> list[tuple[int, int]]:
    """Find each line in `text` in order, allowing only whitespace to be dropped between.

    Returns the (start, end) offset of each line; fails if anything but whitespace
    was dropped or the lines are out of order.
    """
    spans = []
    position = 0
    for line in lines:
        while not text.startswith(line, position) and position < len(text):
            assert text[position].isspace(), (text, lines, position)
            position += 1
        assert text.startswith(line, position), (text, lines, position)
        spans.append((position, position + len(line)))
        position += len(line)
    assert text[position:].strip() == "", (text, lines)
    return spans


# ---------------------------------------------------------------------------
# month tables
# ---------------------------------------------------------------------------


def test_month_tables() -> None:
    for table in (THAI_MONTHS, THAI_MONTHS_SHORT, EN_MONTHS, EN_MONTHS_SHORT):
        assert len(table) == 12
        assert len(set(table)) == 12
    assert THAI_MONTHS[3] == "เมษายน"
    assert THAI_MONTHS_SHORT[3] == "เม.ย."
    assert EN_MONTHS[8] == "September"
    assert EN_MONTHS_SHORT[8] == "Sep"


# ---------------------------------------------------------------------------
# parse_date / parse_day
# ---------------------------------------------------------------------------

APRIL_27 = datetime(2018, 4, 27, tzinfo=BKK)
APRIL_27_0930 = datetime(2018, 4, 27, 9, 30, tzinfo=BKK)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO
        ("2018-04-27", APRIL_27),
        ("  2018-04-27\n", APRIL_27),
        ("2018-04-27T09:30", APRIL_27_0930),
        ("2018-04-27 09:30", APRIL_27_0930),
        ("2018-04-27T09:30:15", datetime(2018, 4, 27, 9, 30, 15, tzinfo=BKK)),
        ("2018-04-27 09:30:15", datetime(2018, 4, 27, 9, 30, 15, tzinfo=BKK)),
        # day/month/year, BE and CE
        ("27/04/2561", APRIL_27),
        ("27-04-2561", APRIL_27),
        ("27/04/2018", APRIL_27),
        ("27-04-2018", APRIL_27),
        ("7/4/2561", datetime(2018, 4, 7, tzinfo=BKK)),
        ("27/04/2561 09:30", APRIL_27_0930),
        ("27-04-2018 09:30", APRIL_27_0930),
        ("27/04/2399", datetime(2399, 4, 27, tzinfo=BKK)),  # below 2400: CE
        ("27/04/2400", datetime(1857, 4, 27, tzinfo=BKK)),  # 2400 and above: BE
        # Thai month names, full and abbreviated, with or without dots and spaces
        ("27 เมษายน 2561", APRIL_27),
        ("27 เม.ย. 2561", APRIL_27),
        ("27 เม.ย.2561", APRIL_27),
        ("27 เมย 2561", APRIL_27),
        ("27 เม. ย. 2561", APRIL_27),
        ("27เมษายน2561", APRIL_27),
        ("27 เมษายน พ.ศ. 2561", APRIL_27),
        ("27 เมษายน ค.ศ. 2018", APRIL_27),
        ("27 เมษายน 2561 09:30", APRIL_27_0930),
        ("27 เม.ย. 2561 09:30 น.", APRIL_27_0930),
        ("27 เมษายน 2561 เวลา 09.30 น.", APRIL_27_0930),
        ("1 มกราคม 2562", datetime(2019, 1, 1, tzinfo=BKK)),
        ("31 ธ.ค. 2561", datetime(2018, 12, 31, tzinfo=BKK)),
        ("28 กุมภาพันธ์ 2561", datetime(2018, 2, 28, tzinfo=BKK)),
        # English
        ("27 April 2018", APRIL_27),
        ("27 Apr 2018", APRIL_27),
        ("27 april 2018", APRIL_27),
        ("27 Apr. 2018", APRIL_27),
        ("April 27, 2018", APRIL_27),
        ("27 April 2018, 09:30", APRIL_27_0930),
        ("27 Sept 2018", datetime(2018, 9, 27, tzinfo=BKK)),
        ("27 April 2561", APRIL_27),  # a BE year with an English month is still BE
        # Thai digits
        ("๒๗/๐๔/๒๕๖๑", APRIL_27),
        ("๒๗/๐๔/๒๕๖๑ ๐๙:๓๐", APRIL_27_0930),
        ("๒๗ เมษายน ๒๕๖๑", APRIL_27),
        ("๒๐๑๘-๐๔-๒๗", APRIL_27),
        # leap days: BE is converted before a date exists
        ("29/02/2563", datetime(2020, 2, 29, tzinfo=BKK)),
        ("29 กุมภาพันธ์ 2563", datetime(2020, 2, 29, tzinfo=BKK)),
        ("29/02/2020", datetime(2020, 2, 29, tzinfo=BKK)),
        ("2020-02-29", datetime(2020, 2, 29, tzinfo=BKK)),
    ],
)
def test_parse_date_accepts(text: str, expected: datetime) -> None:
    result = parse_date(text, BKK)
    assert result == expected
    assert result.replace(tzinfo=None) == expected.replace(tzinfo=None)
    # a naive form gets the given zone itself
    assert result.tzinfo is BKK


@pytest.mark.parametrize(
    ("text", "wall", "offset"),
    [
        ("2018-04-27T09:30+00:00", datetime(2018, 4, 27, 9, 30), timedelta(0)),
        ("2018-04-27T09:30Z", datetime(2018, 4, 27, 9, 30), timedelta(0)),
        ("2018-04-27T09:30:15-05:00", datetime(2018, 4, 27, 9, 30, 15), timedelta(hours=-5)),
        ("2018-04-27 09:30+0530", datetime(2018, 4, 27, 9, 30), timedelta(hours=5, minutes=30)),
        ("2018-04-27T23:30:00.250+07:00", datetime(2018, 4, 27, 23, 30, 0, 250000), None),
    ],
)
def test_parse_date_keeps_offset(text: str, wall: datetime, offset: timedelta | None) -> None:
    result = parse_date(text, BKK)
    # the wall time and the offset written are kept, not converted to BKK
    assert result.replace(tzinfo=None) == wall
    assert result.utcoffset() == (timedelta(hours=7) if offset is None else offset)
    assert result.tzinfo is not BKK


def test_parse_date_other_zone() -> None:
    utc = parse_date("27/04/2561 09:30", UTC)
    assert utc == datetime(2018, 4, 27, 9, 30, tzinfo=UTC)
    assert parse_date("2018-04-27", ZoneInfo("America/New_York")).utcoffset() == timedelta(hours=-4)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("31/02/2561", ["31/02/2561", "February 2018 has 28 days"]),
        ("29/02/2562", ["29/02/2562", "February 2019 has 28 days"]),
        ("31/04/2018", ["31/04/2018", "April 2018 has 30 days"]),
        ("๓๑/๐๒/๒๕๖๑", ["February 2018 has 28 days"]),
        ("30 กุมภาพันธ์ 2563", ["February 2020 has 29 days"]),
        ("31 Apr 2018", ["April 2018 has 30 days"]),
        ("2018-02-30", ["February 2018 has 28 days"]),
        ("00/04/2561", ["April 2018 has 30 days"]),
        ("27/13/2561", ["12 months"]),
        ("27/04/2561 24:00", ["hours run 00-23"]),
        ("2018-04-27T09:61", ["minutes"]),
        ("2018-04-27T09:30+24:00", ["offset"]),
        ("27 Foo 2018", ["Foo", "เม.ย.", "April"]),
        ("2561-04-27", ["Buddhist", "2018-04-27", "27/04/2561"]),
    ],
)
def test_parse_date_rejects_with_reason(text: str, fragments: list[str]) -> None:
    with pytest.raises(DateError) as info:
        parse_date(text, BKK)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message
    assert message[0].isupper() and message.endswith(".")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "garbage",
        "tomorrow",
        "2018/04/27",
        "27.04.2561",
        "27/04/610",  # three digits: neither a full year nor a two-digit one
        "27/04-2561",
        "2018-4-27",
        "27 2561",
        "27 เม.ย.",
        "27/04/2561 09",
        "٢٧/٠٤/٢٠١٨",  # Arabic-Indic digits: only ASCII and Thai digits are read
    ],
)
def test_parse_date_rejects_unknown_forms(text: str) -> None:
    with pytest.raises(DateError) as info:
        parse_date(text, BKK)
    message = str(info.value)
    assert message.startswith("Cannot read")
    for form in ("2018-04-27", "27/04/2561", "27 เมษายน 2561", "27 เม.ย. 2561", "27 April 2018"):
        assert form in message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("text", "today", "expected", "note"),
    [
        ("27/4/61", date(2025, 6, 1), date(2018, 4, 27), "read 27/4/61 as 27 เมษายน 2561"),
        ("27-04-61", date(2025, 6, 1), date(2018, 4, 27), "read 27-04-61 as 27 เมษายน 2561"),
        ("27 เม.ย. 61", date(2025, 6, 1), date(2018, 4, 27), "read 27 เม.ย. 61 as 27 เมษายน 2561"),
        ("27 เมย 61", date(2025, 6, 1), date(2018, 4, 27), "read 27 เมย 61 as 27 เมษายน 2561"),
        (
            "27 เมษายน 61",
            date(2025, 6, 1),
            date(2018, 4, 27),
            "read 27 เมษายน 61 as 27 เมษายน 2561",
        ),
        ("27 เม.ย. พ.ศ. 61", date(2025, 6, 1), date(2018, 4, 27), None),
        ("๒๗/๔/๖๑", date(2025, 6, 1), date(2018, 4, 27), "read ๒๗/๔/๖๑ as 27 เมษายน 2561"),
        ("29/2/63", date(2025, 6, 1), date(2020, 2, 29), "read 29/2/63 as 29 กุมภาพันธ์ 2563"),
        ("1/1/68", date(2025, 6, 1), date(2025, 1, 1), None),
        # The century nearest today: 2599 (CE 2056) is 31 years ahead, 2499 (CE 1956) 69 behind.
        ("1/1/99", date(2025, 6, 1), date(2056, 1, 1), None),
        ("1/1/99", date(2000, 6, 1), date(1956, 1, 1), None),
        # Near the turn of a century the next one is nearer.
        ("1/1/01", date(2099, 6, 1), date(2058, 1, 1), None),
    ],
)
def test_two_digit_years_are_buddhist_era_nearest_today(
    text: str, today: date, expected: date, note: str | None
) -> None:
    when, said = thai.read_date(text, BKK, today=today)
    assert when.date() == expected
    assert when.tzinfo is BKK
    assert parse_date(text, BKK, today=today) == when
    if note is not None:
        assert said == note
    else:
        assert said is not None and said.startswith(f"read {text} as ")


def test_two_digit_years_at_the_century_turn() -> None:
    # BE 2600 begins in CE 2057: "1/1/01" then means BE 2601 (CE 2058), not 2501 (CE 1958).
    assert parse_date("1/1/01", BKK, today=date(2057, 6, 1)).date() == date(2058, 1, 1)
    assert parse_date("1/1/01", BKK, today=date(2000, 6, 1)).date() == date(1958, 1, 1)


def test_a_full_year_is_read_as_written() -> None:
    assert thai.read_date("27/04/2561", BKK)[1] is None
    assert thai.read_date("2018-04-27", BKK)[1] is None


@pytest.mark.parametrize("text", ["27 Apr 18", "27 April 18", "27 เมษายน ค.ศ. 18"])
def test_a_two_digit_year_needs_a_thai_or_numeric_date(text: str) -> None:
    with pytest.raises(DateError, match="Write the year in full"):
        parse_date(text, BKK, today=date(2025, 6, 1))


def test_a_two_digit_year_still_needs_a_real_day() -> None:
    with pytest.raises(DateError, match="February 2018 has 28 days"):
        parse_date("29/2/61", BKK, today=date(2025, 6, 1))


def test_parse_day() -> None:
    assert parse_day("27 เม.ย. 2561", BKK) == date(2018, 4, 27)
    assert parse_day("29/02/2563 23:59", BKK) == date(2020, 2, 29)
    assert parse_day("2018-04-27", BKK) == date(2018, 4, 27)
    # the day as written in its own offset (23:30 at -05:00 is already the 28th in Bangkok)
    assert parse_day("2018-04-27T23:30-05:00", BKK) == date(2018, 4, 27)
    day = parse_day("๒๗/๐๔/๒๕๖๑", BKK)
    assert type(day) is date
    with pytest.raises(DateError, match="February 2018 has 28 days"):
        parse_day("31/02/2561", BKK)


@settings(max_examples=150, deadline=None)
@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2300, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    lang=st.sampled_from(["th", "en"]),
    short=st.booleans(),
    with_time=st.booleans(),
)
# 29 February 2020 is 29/02/2563: the BE year is converted before any date is made.
@example(day=date(2020, 2, 29), hour=0, minute=0, lang="th", short=True, with_time=False)
@example(day=date(2300, 12, 31), hour=23, minute=59, lang="en", short=False, with_time=True)
def test_format_then_parse_round_trip(
    day: date, hour: int, minute: int, lang: str, short: bool, with_time: bool
) -> None:
    value = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BKK)
    text = format_date(value, lang, short=short, time=with_time)
    parsed = parse_date(text, BKK)
    assert parsed.tzinfo is not None
    assert parsed == (value if with_time else value.replace(hour=0, minute=0))
    assert parse_day(text, BKK) == day


# ---------------------------------------------------------------------------
# format_date / format_date_range
# ---------------------------------------------------------------------------


def test_format_date_thai() -> None:
    assert format_date(date(2018, 4, 27), "th") == "27 เมษายน 2561"
    assert format_date(date(2018, 4, 27), "th", short=True) == "27 เม.ย. 2561"
    assert format_date(date(2020, 2, 29), "th") == "29 กุมภาพันธ์ 2563"
    assert format_date(date(2019, 1, 1), "th-TH") == "1 มกราคม 2562"
    assert format_date(APRIL_27_0930, "th", time=True) == "27 เมษายน 2561 09:30 น."
    assert format_date(APRIL_27_0930, "th", short=True, time=True) == "27 เม.ย. 2561 09:30 น."
    assert format_date(APRIL_27_0930, "th") == "27 เมษายน 2561"


def test_format_date_english_and_others() -> None:
    assert format_date(date(2018, 4, 27), "en") == "27 April 2018"
    assert format_date(date(2018, 4, 27), "en", short=True) == "27 Apr 2018"
    assert format_date(date(2018, 9, 3), "en", short=True) == "3 Sep 2018"
    assert format_date(APRIL_27_0930, "en", time=True) == "27 April 2018, 09:30"
    assert format_date(APRIL_27_0930, "en", short=True, time=True) == "27 Apr 2018, 09:30"
    for lang in ("fr", "zh", "", "en-GB"):
        assert format_date(date(2018, 4, 27), lang) == "27 April 2018"


def test_format_date_time_on_plain_date_adds_nothing() -> None:
    assert format_date(date(2018, 4, 27), "th", time=True) == "27 เมษายน 2561"
    assert format_date(date(2018, 4, 27), "en", time=True) == "27 April 2018"


def test_format_date_uses_own_offset() -> None:
    late_utc = datetime(2018, 4, 27, 23, 30, tzinfo=UTC)  # 28 April 06:30 in Bangkok
    assert format_date(late_utc, "th", time=True) == "27 เมษายน 2561 23:30 น."
    assert format_date(late_utc, "en", time=True) == "27 April 2018, 23:30"
    minus5 = datetime(2018, 4, 27, 21, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert format_date(minus5, "en", time=True) == "27 April 2018, 21:00"


def test_format_date_range() -> None:
    # the reference page, exactly
    assert format_date_range(date(2018, 4, 25), date(2018, 4, 27), "th") == "25 – 27 เมษายน 2561"
    assert format_date_range(date(2018, 4, 25), date(2018, 4, 27), "en") == "25 – 27 April 2018"
    assert (
        format_date_range(date(2018, 4, 30), date(2018, 5, 2), "th") == "30 เมษายน – 2 พฤษภาคม 2561"
    )
    assert format_date_range(date(2018, 4, 30), date(2018, 5, 2), "en") == "30 April – 2 May 2018"
    assert (
        format_date_range(date(2018, 12, 30), date(2019, 1, 2), "th")
        == "30 ธันวาคม 2561 – 2 มกราคม 2562"
    )
    assert (
        format_date_range(date(2018, 12, 30), date(2019, 1, 2), "en")
        == "30 December 2018 – 2 January 2019"
    )
    assert (
        format_date_range(date(2018, 4, 25), date(2018, 4, 27), "th", short=True)
        == "25 – 27 เม.ย. 2561"
    )
    assert "\u2013" in format_date_range(date(2018, 4, 25), date(2018, 4, 27), "th")


def test_format_date_range_single_day() -> None:
    assert format_date_range(date(2018, 4, 27), None, "th") == "27 เมษายน 2561"
    assert format_date_range(date(2018, 4, 27), date(2018, 4, 27), "en") == "27 April 2018"
    start = datetime(2018, 4, 27, 9, 0, tzinfo=BKK)
    end = datetime(2018, 4, 27, 17, 0, tzinfo=BKK)
    assert format_date_range(start, end, "th") == "27 เมษายน 2561"
    assert format_date_range(start, date(2018, 4, 29), "th") == "27 – 29 เมษายน 2561"


def test_format_date_range_backwards() -> None:
    with pytest.raises(DateError, match="before it starts"):
        format_date_range(date(2018, 4, 27), date(2018, 4, 25), "th")


# ---------------------------------------------------------------------------
# has_thai / words / cell_width
# ---------------------------------------------------------------------------


def test_has_thai() -> None:
    assert has_thai("ข่าว")
    assert has_thai("opdc ข่าว 2018")
    assert has_thai("๒๕๖๑")
    assert not has_thai("")
    assert not has_thai("OPDC news 2018 – “quoted” 中文")


def test_words_thai() -> None:
    assert words("จัดประชุม") == ["จัด", "ประชุม"]
    tokens = words(SENTENCE)
    assert "".join(tokens) == SENTENCE
    assert tokens[:5] == ["สำนักงาน", "คณะกรรมการ", "พัฒนา", "ระบบ", "ราชการ"]
    assert " " in tokens
    assert "จัดปร" not in tokens


def test_words_spaces_are_own_tokens() -> None:
    assert words("  ข่าว  ไทย\n") == ["  ", "ข่าว", "  ", "ไทย", "\n"]
    assert words("") == []


def test_words_without_thai_split_on_whitespace() -> None:
    assert words("e-Government  news\tfrom www.opdc.go.th") == [
        "e-Government",
        "  ",
        "news",
        "\t",
        "from",
        " ",
        "www.opdc.go.th",
    ]
    # a no-break space does not break
    assert words("25\xa0April") == ["25\xa0April"]


def test_words_keep_marks_and_punctuation_on_their_word() -> None:
    assert words("ไทยๆ") == ["ไทยๆ"]
    assert words("(สำนักงาน ก.พ.ร.)")[0] == "(สำนักงาน"
    assert words("(สำนักงาน ก.พ.ร.)")[-1].endswith(")")
    assert words("“ข่าว”") == ["“ข่าว”"]
    assert "www.opdc.go.th" in words("ร่วมกับ www.opdc.go.th")
    assert words("ASEAN2018ครั้งที่") == ["ASEAN2018", "ครั้ง", "ที่"]
    for token in words("ไทยa\u0301bไทย ข่าว้ ไทย\xa0ข่าว"):
        assert unicodedata.category(token[0]) != "Mn"
        assert not token.startswith("\xa0") and not token.endswith("\xa0")


THAI_WORDS = ["ห้องปฏิบัติการ", "จัดประชุม", "กำหนดการ", "น้ำ", "ไม้", "เก็บ", "ฯลฯ", "ๆ", "๒๕๖๑"]


@pytest.mark.parametrize("text", [*THAI_WORDS, SENTENCE, PARAGRAPH])
def test_cell_width_agrees_with_rich(text: str) -> None:
    assert cell_width(text) == cell_len(text)


def test_cell_width_of_thai_and_ascii_agrees_character_by_character() -> None:
    # The fast path (ASCII and the Thai block: one cell each but the Thai marks) must
    # give what summing each character's width gives, and what rich measures.
    import random

    rng = random.Random(15)
    chars = [chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0x0E00, 0x0E80)]
    for _ in range(3000):
        text = "".join(rng.choice(chars) for _ in range(rng.randint(1, 40)))
        assert cell_width(text) == thai._widths_summed(text) == cell_len(text), text


def test_cell_width_values() -> None:
    assert cell_width("ห้องปฏิบัติการ") == 10
    assert cell_width("abc") == 3
    assert cell_width("中文") == 4
    assert cell_width("ั") == 0
    assert cell_width("") == 0
    assert cell_width("a\u200bb") == cell_len("a\u200bb") == 2
    for code in range(0x0E01, 0x0E5C):
        if unicodedata.category(chr(code)) != "Cn":
            assert cell_width(chr(code)) == cell_len(chr(code)), hex(code)


# ---------------------------------------------------------------------------
# wrap
# ---------------------------------------------------------------------------

LONGEST_WORD = max(cell_width(token) for token in words(PARAGRAPH))


@pytest.mark.parametrize("width", [LONGEST_WORD, 12, 16, 20, 25, 30, 40, 57, 80, 200])
def test_wrap_thai_paragraph_breaks_only_between_words(width: int) -> None:
    lines = wrap(PARAGRAPH, width)
    allowed = boundaries(PARAGRAPH)
    spans = locate_lines(PARAGRAPH, lines)
    for line, (start, end) in zip(lines, spans, strict=True):
        assert cell_len(line) <= width
        assert start in allowed and end in allowed, line
        assert line == line.strip()
    # nothing but the single spaces at the breaks was dropped
    gaps = [PARAGRAPH[end:start] for (_, end), (start, _) in itertools.pairwise(spans)]
    assert set(gaps) <= {"", " "}
    assert len("".join(lines)) + len("".join(gaps)) == len(PARAGRAPH)
    assert "".join(lines).replace(" ", "") == PARAGRAPH.replace(" ", "")
    assert not any(line.endswith("จัดปร") or line.startswith("ะชุม") for line in lines)
    if width < 200:
        assert len(lines) > 1
        # greedy: the next line's first word would not have fitted
        for line, following in itertools.pairwise(lines):
            assert cell_len(line) + 1 + cell_len(words(following)[0]) > width


def test_wrap_short_and_edge_cases() -> None:
    assert wrap("ข่าว", 10) == ["ข่าว"]
    assert wrap("", 10) == [""]
    assert wrap("   ", 10) == [""]
    assert wrap("  indented text here", 10) == ["  indented", "text here"]
    assert wrap("one\ntwo three", 5) == ["one", "two", "three"]
    assert wrap("จัดประชุม จัดประชุม", 9) == ["จัดประชุม", "จัดประชุม"]
    with pytest.raises(ValueError):
        wrap("x", 0)


def test_wrap_splits_an_overlong_token_between_clusters() -> None:
    assert wrap("supercalifragilistic word", 10) == ["supercalif", "ragilistic", "word"]
    word = "สำนักงานคณะกรรมการ"  # one token of 16 cells
    for width in range(2, 16):
        lines = wrap(word, width)
        assert "".join(lines) == word
        for line in lines:
            assert cell_len(line) <= width
            # never starts with a combining mark or SARA AM, never ends with a leading vowel
            assert unicodedata.category(line[0]) != "Mn" and line[0] != "ำ"
            assert line[-1] not in "เแโใไ"


# ---------------------------------------------------------------------------
# truncate / excerpt
# ---------------------------------------------------------------------------


def test_truncate_fits_unchanged() -> None:
    assert truncate(SENTENCE, cell_width(SENTENCE)) == SENTENCE
    assert truncate("ข่าว", 4) == "ข่าว"


TRUNCATE_TEXT = "การจัดประชุมนานาชาติ ครั้งที่ 6 สำนักงานคณะกรรมการพัฒนาระบบราชการ"


@pytest.mark.parametrize("width", range(4, cell_width(TRUNCATE_TEXT)))
def test_truncate_ends_on_word_boundary(width: int) -> None:
    text = TRUNCATE_TEXT
    result = truncate(text, width)
    assert result.endswith("…")
    assert cell_len(result) <= width
    head = result[:-1]
    assert text.startswith(head)
    assert len(head) in boundaries(text)
    assert head == head.rstrip()
    assert not head.endswith("จัดปร") and not head.endswith("จัดประ")


def test_truncate_examples() -> None:
    assert truncate("จัดประชุมใหญ่", 5) == "จัด…"
    assert truncate("hello wonderful world", 12) == "hello…"
    assert truncate("hello wonderful world", 16) == "hello wonderful…"
    assert truncate("hello wonderful world", 12, ellipsis="...") == "hello..."
    assert truncate("hello", 0) == ""


def test_truncate_falls_back_to_clusters_for_a_long_first_word() -> None:
    word = "สำนักงานคณะกรรมการ"
    for width in range(2, cell_width(word)):
        result = truncate(word, width)
        head = result[:-1]
        assert result.endswith("…") and cell_len(result) <= width
        assert word.startswith(head)
        rest = word[len(head) :]
        # not cut inside a cluster: the rest does not start with a mark or SARA AM
        assert unicodedata.category(rest[0]) != "Mn" and rest[0] != "ำ"
    assert truncate("supercalifragilistic", 6) == "super…"


def test_excerpt() -> None:
    body = "ย่อหน้าแรก  จัดประชุม\n\nย่อหน้าที่สอง\tครั้งที่ 6"
    assert excerpt(body, 100) == "ย่อหน้าแรก จัดประชุม ย่อหน้าที่สอง ครั้งที่ 6"
    assert excerpt("short", 10) == "short"
    assert excerpt("one two three", 9) == "one two…"
    first_word = words(PARAGRAPH)[0]
    for length in range(len(first_word) + 1, 120):
        result = excerpt(PARAGRAPH, length)
        assert len(result) <= length
        assert result.endswith("…")
        head = result[:-1]
        assert PARAGRAPH.startswith(head)
        assert len(head) in boundaries(PARAGRAPH)
        assert "จัดปร" not in head or "จัดประชุม" in head


# ---------------------------------------------------------------------------
# properties on arbitrary Thai/Latin text
# ---------------------------------------------------------------------------

THAI_LETTERS = [chr(c) for c in range(0x0E01, 0x0E5C) if unicodedata.category(chr(c)) != "Cn"]
# single characters (so nonsense mark sequences too) mixed with real words and spaces
MIXED_TEXT = st.lists(
    st.sampled_from(
        THAI_LETTERS + list("abcXYZ019 .,-()“”\"'") + ["  ", "จัดประชุม ", "ข่าว", "\xa0"]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=MIXED_TEXT)
@example(text="")
@example(text="กำำ")  # marks stacked on one consonant
@example(text="ข่าว\xa0 จัดประชุม")  # a no-break space inside a space run
def test_words_join_back(text: str) -> None:
    tokens = words(text)
    assert "".join(tokens) == text
    assert all(tokens)


@settings(max_examples=200, deadline=None)
@given(text=MIXED_TEXT, width=st.integers(2, 40))
@example(text="กำำ", width=2)  # SARA AM joined its consonant past the width: a 3-cell line
@example(text="จัดประชุม", width=2)  # a word much wider than the line
def test_wrap_never_exceeds_width(text: str, width: int) -> None:
    lines = wrap(text, width)
    assert lines
    for line in lines:
        assert cell_len(line) <= width
        assert cell_width(line) == cell_len(line)
    locate_lines(text, lines)


@settings(max_examples=200, deadline=None)
@given(text=MIXED_TEXT, width=st.integers(1, 40))
@example(text="กำำ", width=1)
@example(text="abcde", width=5)  # exactly the limit: nothing to cut
@example(text="ข่าว ข่าว", width=9)
def test_truncate_and_excerpt_properties(text: str, width: int) -> None:
    cut = truncate(text, width)
    assert cell_len(cut) <= width
    if cut != text:
        assert cut.endswith("…")
        assert text.startswith(cut[:-1])
    short = excerpt(text, width)
    assert len(short) <= width
    flat = re.sub(r"[^\S\xa0\u2007\u202f]+", " ", text).strip()  # no-break spaces stay
    if len(flat) <= width:
        assert short == flat  # text that fits is never cut


# ---------------------------------------------------------------------------
# dependencies: standard library only, pythainlp lazily and read-only
# ---------------------------------------------------------------------------

MODULE = Path(thai.__file__)


@pytest.mark.parametrize("module", [MODULE, MODULE.with_name("wordstore.py")])
def test_module_imports_only_the_standard_library(module: Path) -> None:
    # thai.py's one import of opdc's own is its word store, standard library only too.
    tree = ast.parse(module.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top == "pythainlp":
                assert node not in tree.body, "pythainlp must be imported lazily"
            elif name == "opdc_cli.wordstore" and module == MODULE:
                continue
            else:
                assert top in sys.stdlib_module_names or top == "__future__", name


def test_pythainlp_is_lazy_and_read_only(tmp_path: Path) -> None:
    script = """
import os, sys
from datetime import UTC
from opdc_cli import thai
thai.words("plain English text, no Thai")
thai.wrap("plain English text, no Thai", 8)
thai.truncate("plain English text", 8)
thai.excerpt("plain English text", 8)
thai.parse_date("27 เมษายน 2561", UTC)
assert "pythainlp" not in sys.modules, "pythainlp imported for text without Thai"
assert thai.words("จัดประชุม") == ["จัด", "ประชุม"]
assert "pythainlp" in sys.modules
assert os.environ["PYTHAINLP_READ_ONLY"] == "1"
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHAINLP")}
    env["HOME"] = str(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(MODULE.parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=60)
    assert not (tmp_path / "pythainlp-data").exists()
