"""The export's state, in the site's `.opdc/exports/<key of the output folder>/`.

- manifest.json: what each file was built from, and the record of what opdc wrote
  (every file with its fingerprint, opdc_cli.export.owned);
- cards.sqlite: each article's index entries, so that a re-export reads only those
  of the index pages it renders again (a cache: deleting it costs only time);
- lock: held while an export runs, so that two into one folder do not interleave;
- running: there while an export runs; found at the start of the next, it says the
  last was interrupted, and the output folder is swept of its temporary files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opdc_cli.content import Site
from opdc_cli.export.owned import safe_relative
from opdc_cli.export.site.render import CardData
from opdc_cli.fsutil import write_if_changed

if TYPE_CHECKING:
    import sqlite3

# The shape of manifest.json: bump only when it changes (a manifest of another shape
# is no record, and a folder without one must be empty). What the pages are built
# from, the code included, is the manifest's `global` key, not this.
FORMAT = 2
MANIFEST = "manifest.json"
CARDS = "cards.sqlite"
LOCK = "lock"
RUNNING = "running"


def state_folder(site: Site, target: Path) -> Path:
    """Where the export into `target` (resolved) keeps its state: in the site's .opdc/."""
    key = hashlib.blake2b(str(target).encode(), digest_size=8).hexdigest()
    return site.cache_dir / "exports" / key


def load(state: Path, target: Path, warnings: list[str]) -> dict[str, Any]:
    """The manifest of the last export into `target`, its paths checked; {} if none."""
    path = state / MANIFEST
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        warnings.append(f"{path}: unreadable export manifest, rebuilding every page")
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("out") != str(target):
        return {}
    dropped = 0
    articles = data.get("articles")
    checked: dict[str, dict[str, Any]] = {}
    for slot, entry in (articles if isinstance(articles, dict) else {}).items():
        if not (isinstance(entry, dict) and isinstance(entry.get("files"), dict)):
            continue
        files = {
            p: fp for p, fp in entry["files"].items() if safe_relative(p) and isinstance(fp, str)
        }
        dropped += len(entry["files"]) - len(files)
        checked[slot] = {**entry, "files": files}
    data["articles"] = checked
    for name in ("indexes", "extra"):
        found = data.get(name)
        found = found if isinstance(found, dict) else {}
        data[name] = {p: v for p, v in found.items() if safe_relative(p)}
        dropped += len(found) - len(data[name])
    if dropped:
        warnings.append(
            f"{path}: ignored {dropped} path(s) that leave the output folder; "
            "nothing was written or deleted there"
        )
    return data


def save(state: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest (last, once every file it names is in place)."""
    data = {"format": FORMAT, **manifest}
    write_if_changed(
        state / MANIFEST,
        json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
    )


def recorded(manifest: dict[str, Any]) -> dict[str, str]:
    """Every file the manifest records opdc writing, with its fingerprint."""
    found: dict[str, str] = {}
    for entry in manifest.get("articles", {}).values():
        found.update(entry["files"])
    found.update((p, v[1]) for p, v in manifest.get("indexes", {}).items() if is_pair(v))
    found.update((p, v) for p, v in manifest.get("extra", {}).items() if isinstance(v, str))
    return found


def is_pair(value: object) -> bool:
    """An index page's record: [hash of its inputs, fingerprint]."""
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (made if missing) for the block."""
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class CardStore:
    """The index entries of every article (render.Renderer.cards), kept in SQLite by id.

    A cache: an unreadable file is started afresh, and an entry whose hashes do not
    match the manifest's is rebuilt from the article.
    """

    def __init__(self, path: Path, warnings: list[str]) -> None:
        import sqlite3

        self.path = path
        self.errors = sqlite3.DatabaseError
        try:
            self.conn = self._open()
        except sqlite3.DatabaseError:
            warnings.append(f"{path}: unreadable index-entry cache, starting afresh")
            path.unlink(missing_ok=True)
            self.conn = self._open()

    def _open(self) -> sqlite3.Connection:
        import sqlite3

        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute("CREATE TABLE IF NOT EXISTS cards (id INTEGER PRIMARY KEY, data TEXT)")
        return conn

    def get(self, ids: list[int]) -> dict[int, dict[str, CardData]]:
        found: dict[int, dict[str, CardData]] = {}
        try:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                query = f"SELECT id, data FROM cards WHERE id IN ({marks})"
                found.update(
                    (row[0], json.loads(row[1])) for row in self.conn.execute(query, chunk)
                )
        except (self.errors, ValueError):
            # A damaged cache only costs time: what was not found is rebuilt.
            pass
        return found

    def put(self, cards: dict[int, dict[str, CardData]]) -> None:
        rows = ((i, json.dumps(c, ensure_ascii=False)) for i, c in cards.items())
        with contextlib.suppress(self.errors), self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO cards (id, data) VALUES (?, ?)", rows)

    def drop(self, ids: Iterable[int]) -> None:
        with contextlib.suppress(self.errors), self.conn:
            self.conn.executemany("DELETE FROM cards WHERE id = ?", ((i,) for i in ids))

    def close(self) -> None:
        self.conn.close()
