"""What `opdc --help` and `opdc list --format ids` load: none of the heavy libraries,
checked in a fresh interpreter (sys.modules after the command ran)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("PIL", "feedgen", "lxml", "jinja2", "pythainlp", "tomlkit")
# rich's renderers for tables, panels, Markdown, code and progress bars. typer draws
# its own help with them, so --help is held only to the rest.
RICH_RENDERING = ("rich.table", "rich.panel", "rich.markdown", "rich.syntax", "rich.progress")
# The modules that read a site: --help reads none.
CONTENT = ("opdc_cli.content", "opdc_cli.store", "opdc_cli.index", "opdc_cli.site")

PROBE = """
import contextlib, io, json, sys
sys.argv = ["opdc", *sys.argv[1:]]
from opdc_cli.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main()
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _loaded(*args: str, cwd: Path) -> tuple[str, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )
    found = json.loads(done.stdout)
    assert found["code"] in (0, None), done.stderr
    return found["out"], set(found["modules"])


def _heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_help_loads_nothing_heavy(sample_site: Path) -> None:
    out, modules = _loaded("--help", cwd=sample_site)
    assert "list" in out and "validate" in out  # the help was really printed
    assert _heavy(modules, HEAVY + CONTENT) == []


@pytest.mark.parametrize("args", [("list", "--format", "ids"), ("list", "--format", "json")])
def test_script_forms_load_nothing_heavy(sample_site: Path, args: tuple[str, ...]) -> None:
    out, modules = _loaded(*args, cwd=sample_site)
    assert "26461" in out
    assert _heavy(modules, HEAVY + RICH_RENDERING) == []


def test_the_probe_sees_what_a_command_loads(sample_site: Path) -> None:
    # A command that cuts Thai text does load the tokenizer: the probe can fail.
    _, modules = _loaded("show", "26461", cwd=sample_site)
    assert "pythainlp.tokenize" in modules
