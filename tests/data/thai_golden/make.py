"""Regenerate thai_golden/*.json: what today's opdc prints and cuts, to compare with.

Run with the opdc whose output is the reference (the files were made before the
Thai dictionary stopped being pythainlp's Trie):

    python tests/data/thai_golden/make.py SITE_COPY OUT_FOLDER
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from opdc_cli import thai
from opdc_cli.cli import app

HARD = [
    "สำนักงาน ก.พ.ร. จัดการประชุมนานาชาติ ครั้งที่ 6 (The 6th International Conference)",
    "การประชุมคณะกรรมการพัฒนาระบบราชการครั้งที่๑/๒๕๖๑เพื่อพิจารณาแนวทางการปฏิรูป",
    "ไทยๆ ฯลฯ กำหนดการ“พิเศษ”(ร่าง) www.opdc.go.th/ข่าว?id=26461 ราคา 1,500.50 บาท",
    "เกียรติ\u00a0ยศ\u200bกรุงเทพมหานคร อมรรัตนโกสินทร์ มหินทรายุธยา มหาดิลกภพ",
    "ก่ำ ก็ ฤๅษี ฦๅ ๆๆ เ เเ แ ำ ่ ้",
    "ABC 日本語テキスト ภาษาไทยผสมEnglishและ123ตัวเลข",
    "น้ำท่วมกรุงเทพฯปีพ.ศ.๒๕๕๔สร้างความเสียหายมหาศาลต่อเศรษฐกิจไทย",
]
WIDTHS = [1, 2, 5, 10, 17, 30, 47, 80]


def cases(site: Path) -> dict[str, object]:
    texts = list(HARD)
    for path in sorted((site / "articles").rglob("*")):
        if path.is_file():
            texts.extend(p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip())
    return {
        "words": [thai.words(t) for t in texts],
        "truncate": [[thai.truncate(t, w) for w in WIDTHS] for t in texts],
        "wrap": [[thai.wrap(t, w) for w in (12, 40, 72)] for t in texts],
        "excerpt": [[thai.excerpt(t, n) for n in (20, 160)] for t in texts],
        "texts": texts,
    }


def commands() -> list[tuple[str, list[str]]]:
    """(COLUMNS, arguments) of each command compared."""
    runs = [(str(w), ["list"]) for w in (60, 80, 100, 140)]
    for article_id in ("26461", "26462", "26463", "26464", "26465"):
        for lang in ("th", "en"):
            runs += [
                ("100", ["show", article_id, "--lang", lang, "--width", w]) for w in ("44", "100")
            ]
    runs += [("100", ["feed"]), ("100", ["feed", "--lang", "en", "--atom"])]
    return runs


def outputs(site: Path) -> dict[str, str]:
    runner = CliRunner()
    found = {}
    for columns, args in commands():
        result = runner.invoke(app, ["--site", str(site), *args], env={"COLUMNS": columns})
        found[f"COLUMNS={columns} {' '.join(args)}"] = f"{result.exit_code}\n{result.stdout}"
    return found


if __name__ == "__main__":
    site, out = Path(sys.argv[1]), Path(sys.argv[2])
    (out / "thai.json").write_text(
        json.dumps(cases(site), ensure_ascii=False, indent=0), encoding="utf-8"
    )
    (out / "cli.json").write_text(
        json.dumps(outputs(site), ensure_ascii=False, indent=0), encoding="utf-8"
    )
