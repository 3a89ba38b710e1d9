"""The Thai dictionary opdc loads instead of pythainlp's Trie cuts text exactly as
before: the same prefixes as the Trie, and the same words, cuts, wraps, excerpts and
command outputs as opdc printed with pythainlp's own dictionary
(tests/data/thai_golden, made by its make.py with that version)."""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opdc_cli import thai
from opdc_cli.cli import app

GOLDEN = Path(__file__).parent / "data" / "thai_golden"


def _golden(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def pythainlp_trie() -> object:
    os.environ.setdefault("PYTHAINLP_READ_ONLY", "1")
    from pythainlp.corpus import thai_words
    from pythainlp.util.trie import Trie

    return Trie(thai_words())


def _random_thai(rnd: random.Random) -> str:
    letters = [chr(c) for c in range(0x0E01, 0x0E5C)] + list(" a1.")
    return "".join(rnd.choice(letters) for _ in range(rnd.randint(1, 40)))


def test_prefixes_are_the_tries(pythainlp_trie: object) -> None:
    from pythainlp.corpus import thai_words

    words = thai.dictionary()
    golden_texts = _golden("thai")["texts"]
    assert isinstance(golden_texts, list)
    texts = [str(t) for t in golden_texts]
    rnd = random.Random(14)
    texts += [_random_thai(rnd) for _ in range(3000)]
    # Every word followed by a letter, and glued to the next word: the long matches.
    ordered = sorted(thai_words())
    texts += [a + b for a, b in itertools.pairwise(ordered)][::7]
    for text in texts:
        for start in range(len(text)):
            assert words.prefixes(text, start) == pythainlp_trie.prefixes(text, start), (  # type: ignore[attr-defined]
                text,
                start,
            )
    assert len(words) == len(pythainlp_trie)  # type: ignore[arg-type]


def test_cuts_are_todays() -> None:
    golden = _golden("thai")
    texts = golden["texts"]
    assert isinstance(texts, list)
    assert [thai.words(t) for t in texts] == golden["words"]
    widths = [1, 2, 5, 10, 17, 30, 47, 80]
    assert [[thai.truncate(t, w) for w in widths] for t in texts] == golden["truncate"]
    assert [[thai.wrap(t, w) for w in (12, 40, 72)] for t in texts] == golden["wrap"]
    assert [[thai.excerpt(t, n) for n in (20, 160)] for t in texts] == golden["excerpt"]


def test_command_outputs_are_todays(runner: CliRunner, sample_site: Path) -> None:
    golden = _golden("cli")
    for key, expected in golden.items():
        columns, *args = key.split(" ")
        result = runner.invoke(
            app, ["--site", str(sample_site), *args], env={"COLUMNS": columns.split("=")[1]}
        )
        assert f"{result.exit_code}\n{result.stdout}" == expected, key


def test_dictionary_is_cached_by_version_and_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    build = thai.dictionary.__wrapped__
    first = build()
    [cached] = (tmp_path / "opdc").iterdir()
    assert cached.name.startswith("thai-words-5.") and cached.name.endswith(".marshal")
    assert thai.WordSet.load(cached.read_bytes()).prefixes("สำนักงาน") == first.prefixes("สำนักงาน")
    # A damaged cache file is rebuilt, not trusted.
    cached.write_bytes(b"\x00garbage")
    again = build()
    assert again.prefixes("สำนักงาน") == first.prefixes("สำนักงาน")
    assert thai.WordSet.load(cached.read_bytes()).prefixes("ประชุม") == first.prefixes("ประชุม")


def test_dictionary_without_a_writable_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert "ประชุม" in thai.dictionary.__wrapped__()
