"""Changing an article that exists: one writer at a time, never over a person's save,
keeping what people wrote, never half-done.

The steps of every change (`Site.edit`, used by `opdc media add` and `Site.save`):

1. lock: `.opdc/locks/<id>.lock` is held (flock) from the read to the last rename;
   a second opdc command changing the same article waits for it;
2. recover: a journal left beside the article by a killed change is completed
   (`recover`), then the article's files are read, their bytes kept, and the
   article parsed from those very bytes;
3. change: for `add_photos`, the [[photos]] entries are appended with tomlkit to
   the documents as they were read, so comments, key order, blank lines and string
   styles of everything else stay as the person wrote them; the text form's body
   after the closing `+++` is kept byte for byte;
4. write: each new file goes to a temporary file beside it. When more than one file
   changes (the `<id>.<lang>.txt` pair, a change of form), the journal
   `.<id>.opdc-journal.json` naming every temporary file and its final name is
   written first;
5. check: just before renaming, every file must still hold the bytes read in step
   2; if one does not (an editor saved it meanwhile), nothing is renamed and
   ArticleChanged is raised;
6. rename every temporary file into place, remove the files a change of form
   replaces, then the journal.

Recovery rule: a journal means the temporary files it names were complete before
any rename began. The next change of that article (and `opdc media clean`)
finishes the renames: a file that still holds its old content gets its new one, a
file that holds the new one is done, and a file changed since (a person's save
after the kill) is kept and that part of the change dropped, with a warning.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opdc_cli import store
from opdc_cli.errors import ArticleNotFound, OpdcError
from opdc_cli.fsutil import (
    TEMP_RE,
    atomic_write,
    create_exclusive,
    fsync_dir,
    locked,
    remove_files,
    stale_temps,
    write_temp,
)
from opdc_cli.model import Article, Attachment, HistoryEntry, Photo
from opdc_cli.textio import BOM

if TYPE_CHECKING:
    from opdc_cli.content import Site

LOCKS = Path(".opdc") / "locks"
JOURNAL_SUFFIX = ".opdc-journal.json"
JOURNAL_VERSION = 1
# Long enough for any change opdc makes under the lock (copying 30 camera photos);
# a process stopped while holding it (Ctrl-Z) then gives a message, not a hang.
LOCK_TIMEOUT = 120.0

Warn = Callable[[str], None]


class ArticleChanged(OpdcError):
    """An article file changed on disk between opdc reading it and writing it back."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def lock_path(root: Path, article_id: int) -> Path:
    return root / LOCKS / f"{article_id}.lock"


@contextlib.contextmanager
def article_lock(root: Path, article_id: int) -> Iterator[None]:
    """Hold article `article_id`'s lock for the block (waiting for another holder)."""
    path = lock_path(root, article_id)
    ignore = path.parent / ".gitignore"
    if not ignore.exists():
        # Never committed, even where the site's own .gitignore does not list .opdc/.
        with contextlib.suppress(FileExistsError):
            create_exclusive(ignore, "# opdc's lock files\n*\n")
    busy = (
        f"another opdc command has been changing article {article_id} for "
        f"{LOCK_TIMEOUT:.0f} s (it holds this lock): wait for it, or end it"
    )
    with locked(path, timeout=LOCK_TIMEOUT, busy=busy):
        yield


# --- the journal ---------------------------------------------------------------------


def journal_path(folder: Path, article_id: int) -> Path:
    return folder / f".{article_id}{JOURNAL_SUFFIX}"


def _journal_entries(folder: Path, article_id: int, document: Any) -> dict[str, Any] | None:
    """The journal's content if it is one opdc wrote for this article in this folder:
    plain names of this article's files, temporary names that belong to them."""

    def own(name: Any) -> bool:
        if not isinstance(name, str) or "/" in name or name.startswith("."):
            return False
        found = store.classify(folder / name)
        return found is not None and found.id == article_id

    def temp_of(entry: Mapping[str, Any]) -> bool:
        match = TEMP_RE.match(str(entry.get("temp", "")))
        return match is not None and "/" not in entry["temp"] and match["name"] == entry["name"]

    try:
        writes, removes = document["write"], document["remove"]
        valid = (
            document["version"] == JOURNAL_VERSION
            and all(own(e["name"]) and temp_of(e) and isinstance(e["new"], str) for e in writes)
            and all(own(e["name"]) and isinstance(e["old"], str) for e in removes)
        )
    except (KeyError, TypeError):
        valid = False
    return document if valid else None


def journal_temps(folder: Path) -> set[str]:
    """The temporary files named by the journals in `folder`: kept until recovered."""
    names: set[str] = set()
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            if name.startswith(".") and name.endswith(JOURNAL_SUFFIX):
                with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                    document = json.loads((folder / name).read_bytes())
                    names.update(str(entry["temp"]) for entry in document["write"])
    return names


def recover(folder: Path, article_id: int, warn: Warn) -> bool:
    """Finish a change of article `article_id` that was killed between its renames,
    as the module's recovery rule says; True if there was one. Hold the article's lock."""
    path = journal_path(folder, article_id)
    raw = _read(path)
    if raw is None:
        return False
    try:
        document = _journal_entries(folder, article_id, json.loads(raw))
    except ValueError:
        document = None
    if document is None:
        warn(f"{path}: not a journal opdc wrote (damaged or edited): ignored and removed")
        path.unlink(missing_ok=True)
        return True
    kept = []
    for entry in document["write"]:
        final, temp = folder / entry["name"], folder / entry["temp"]
        current = _read(final)
        now = _sha(current) if current is not None else None
        if now == entry["new"]:
            temp.unlink(missing_ok=True)
            continue
        pending = _read(temp)
        if now == entry.get("old") and pending is not None and _sha(pending) == entry["new"]:
            os.replace(temp, final)
            continue
        temp.unlink(missing_ok=True)
        kept.append(entry["name"])
    if kept:
        warn(
            f"{folder / kept[0]}: an interrupted opdc change of article {article_id} could not "
            "be finished (the file changed since, or its temporary file is gone): it is kept "
            "as it is; check the article with opdc validate"
        )
    else:
        for entry in document["remove"]:
            old = folder / entry["name"]
            current = _read(old)
            if current is not None and _sha(current) == entry["old"]:
                old.unlink()
    fsync_dir(folder)
    path.unlink(missing_ok=True)
    return True


def stale_leftovers(folder: Path, article_id: int | None = None) -> list[Path]:
    """The temporary files of killed opdc writers in `folder`, but those a journal
    still needs; with `article_id`, only those of that article's files and journal."""
    needed = journal_temps(folder)
    found = [path for path in stale_temps(folder) if path.name not in needed]
    if article_id is None:
        return found
    return [path for path in found if _temp_of_article(path, article_id)]


def _temp_of_article(path: Path, article_id: int) -> bool:
    match = TEMP_RE.match(path.name)
    if match is None:
        return False
    name = match["name"]
    found = store.classify(path.with_name(name))
    return (found is not None and found.id == article_id) or name == journal_path(
        path.parent, article_id
    ).name


# --- the edit ------------------------------------------------------------------------


def _own_files(folder: Path, article_id: int) -> list[store.ArticleFile]:
    found = []
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                continue
            file = store.classify(Path(entry.path))
            if file is not None and file.id == article_id:
                found.append(file)
    return sorted(found)


def _folders(site: Site, article_id: int, hint: Sequence[Path]) -> list[Path]:
    """Where the article's files are: the folder of `hint` (the paths an index or an
    earlier read gave) when it really lies under articles/, else found by a scan."""
    articles = site.articles_dir.resolve()
    for path in hint:
        folder = path.parent
        with contextlib.suppress(OSError, RuntimeError):
            if folder.resolve().is_relative_to(articles) and _own_files(folder, article_id):
                return [folder]
    return sorted({f.path.parent for f in store.scan(site.articles_dir) if f.id == article_id})


class ArticleEdit:
    """An article read under its lock, and the means to write a change of it back.

    `article` is parsed from the bytes in `contents`; every write first checks that
    the files still hold those bytes.
    """

    def __init__(self, site: Site, files: list[store.ArticleFile]) -> None:
        self.site = site
        self.files = files
        self.folder = files[0].path.parent
        contents: dict[Path, bytes] = {}
        for file in files:
            data = _read(file.path)
            if data is None:
                raise ArticleChanged(
                    "the file disappeared while opdc was reading it: run the command again",
                    file.path,
                )
            contents[file.path] = data
        self.contents = contents
        self.article = store.read_article(files, site.config, contents)

    def add_photos(
        self, photos: Sequence[Photo], attachments: Sequence[Attachment] = ()
    ) -> Article:
        """Append `photos` to the article's [[photos]] and `attachments` to its
        [[attachments]], keeping everything else as it is written; the article as saved."""
        updated = replace(
            self.article,
            photos=(*self.article.photos, *photos),
            attachments=(*self.article.attachments, *attachments),
        )
        langs = store.ordered_languages(self.article, self.site.config.languages)
        new: dict[str, bytes] = {}
        for file in self.files:
            data = self.contents[file.path]
            for key, items in (("photos", photos), ("attachments", attachments)):
                if not items:
                    continue
                if file.lang is None:
                    tables = [store.item_table(item, langs) for item in items]
                    data = _edit_toml(data, key, tables)
                else:
                    tables = [store.item_text_table(item, file.lang) for item in items]
                    data = _edit_text(data, key, tables)
            new[file.path.name] = data
        contents = {self.folder / name: data for name, data in new.items()}
        self._check_reads_as(
            contents,
            updated,
            "cannot add the files while keeping the article file's layout",
            "add the [[photos]] or [[attachments]] entries by hand",
            self.files[0].path,
        )
        self._commit(new, [])
        return updated

    def _check_reads_as(
        self, contents: dict[Path, bytes], expected: Article, what: str, fix: str, path: Path
    ) -> None:
        """Raise OpdcError unless the edited `contents` read back as `expected`: an
        edit that kept the layout must not change anything else."""
        try:
            again: Article | None = store.read_article(self.files, self.site.config, contents)
            why = "it reads back differently"
        except OpdcError as exc:
            again, why = None, exc.message
        if again != expected:
            raise OpdcError(f"{what} ({why}); nothing was changed: {fix}", path)

    def change(self, updated: Article, entry: HistoryEntry | None = None) -> Article:
        """Write what the workflow changes of the article (status, date, expires, each
        language's translated_from) as in `updated`, and append `entry` to its
        [[history]] (the primary language's file in the text form), keeping every
        other byte as written; the article as saved."""
        old = self.article
        shared = {
            key: getattr(updated, key)
            for key in ("status", "date", "expires")
            if getattr(updated, key) != getattr(old, key)
        }
        sources = {
            lang: list(t.translated_from)
            for lang, t in updated.translations.items()
            if lang in old.translations
            and t.translated_from != old.translations[lang].translated_from
        }
        expected = replace(updated, history=(*old.history, *([entry] if entry else [])))
        primary = next(iter(old.translations), None)
        first = next((f for f in self.files if f.lang == primary), self.files[0])
        new: dict[str, bytes] = {}
        for file in self.files:
            data = self.contents[file.path]
            history = [store.history_table(entry)] if entry is not None and file is first else []
            if file.lang is None:
                tables = {lang: {store.TRANSLATED_KEY: value} for lang, value in sources.items()}
                text = _set_keys(_text_of(data), shared, tables, only_present=False)
                if history:
                    text = append_tables(text, store.HISTORY_KEY, history)
                new[file.path.name] = _with_bom(data, text)
                continue
            top: dict[str, Any] = dict(shared)
            if file.lang in sources:
                top[store.TRANSLATED_KEY] = sources[file.lang]
            head, front, rest = _front_of(data)
            front = _set_keys(front, top, {}, only_present=file is not first)
            if history:
                front = append_tables(front, store.HISTORY_KEY, history)
            new[file.path.name] = _with_bom(data, head + front + rest)
        new = {
            name: data for name, data in new.items() if data != self.contents[self.folder / name]
        }
        contents = {**self.contents, **{self.folder / name: data for name, data in new.items()}}
        self._check_reads_as(
            contents,
            expected,
            "cannot change the article while keeping the file's layout",
            "fix the file (opdc validate) and run the command again",
            first.path,
        )
        if new:
            files = self.files
            self._commit(new, [])
            self.files, self.contents = files, contents
        return expected

    def rewrite(self, article: Article, form: str) -> list[Path]:
        """Write `article` whole, in `form` (the files of the other form are removed):
        the paths written. Comments are not kept: for a change of form."""
        rendered = store.render(article, form, self.site.config.languages)
        new = {name: text.encode("utf-8") for name, text in rendered.items()}
        gone = [f.path for f in self.files if f.path.name not in new]
        self._commit(new, gone)
        return [self.folder / name for name in new]

    def _check(self, targets: Sequence[Path]) -> None:
        """Every file read still holds what was read, and no target appeared since."""
        for path in {*self.contents, *targets}:
            if _read(path) != self.contents.get(path):
                raise ArticleChanged(
                    "the file changed on disk while opdc was changing the article (saved in "
                    "an editor?): nothing was written; run the command again",
                    path,
                )

    def _old_sha(self, path: Path) -> str | None:
        old = self.contents.get(path)
        return _sha(old) if old is not None else None

    def _commit(self, new: Mapping[str, bytes], remove: Sequence[Path]) -> None:
        folder = self.folder
        article_id = self.article.id
        temps: dict[str, Path] = {}
        journal = journal_path(folder, article_id)
        try:
            for name, data in new.items():
                temps[name] = write_temp(folder / name, data)
            if len(new) + len(remove) > 1:
                document = {
                    "version": JOURNAL_VERSION,
                    "id": article_id,
                    "write": [
                        {
                            "name": name,
                            "temp": temps[name].name,
                            "old": self._old_sha(folder / name),
                            "new": _sha(data),
                        }
                        for name, data in new.items()
                    ],
                    "remove": [
                        {"name": path.name, "old": _sha(self.contents[path])} for path in remove
                    ],
                }
                atomic_write(journal, json.dumps(document, indent=1) + "\n")
            self._check([folder / name for name in new])
        except BaseException:
            remove_files([*temps.values(), journal])
            raise
        for name, temp in temps.items():
            os.replace(temp, folder / name)
        for path in remove:
            path.unlink(missing_ok=True)
        fsync_dir(folder)
        journal.unlink(missing_ok=True)
        self.contents = {folder / name: data for name, data in new.items()}
        self.files = [f for f in (store.classify(folder / n) for n in new) if f is not None]


@contextlib.contextmanager
def open_edit(
    site: Site, article_id: int, hint: Sequence[Path] = (), warn: Warn | None = None
) -> Iterator[ArticleEdit]:
    """Article `article_id`, locked and read from its files (a killed change of it
    finished first), for the block. `hint`: where its files were seen."""
    say = warn or site.warning
    with article_lock(site.root, article_id):
        folders = _folders(site, article_id, hint)
        for folder in folders:
            recover(folder, article_id, say)
            # The folder is about to be written to: a killed writer's leftovers go.
            remove_files(stale_leftovers(folder))
        files = [f for folder in folders for f in _own_files(folder, article_id)]
        if not files:
            raise ArticleNotFound(f"no article {article_id} in articles/")
        groups, problems = store.group(files)
        if problems:
            raise problems[0]
        yield ArticleEdit(site, groups[article_id])


# --- tomlkit edits -------------------------------------------------------------------


def _text_of(data: bytes) -> str:
    return data[len(BOM) :].decode("utf-8") if data.startswith(BOM) else data.decode("utf-8")


def _with_bom(old: bytes, text: str) -> bytes:
    return (BOM if old.startswith(BOM) else b"") + text.encode("utf-8")


def _front_of(data: bytes) -> tuple[str, str, str]:
    """A text-form file as its first `+++` line, its front matter and the rest (from
    the closing `+++` on, kept byte for byte)."""
    lines = _text_of(data).split("\n")
    # The article was read from these bytes: store.split_front_matter found both fences.
    close = next(i for i in range(1, len(lines)) if lines[i].rstrip() == store.FENCE)
    front = "".join(line + "\n" for line in lines[1:close])
    return lines[0] + "\n", front, "\n".join(lines[close:])


def _set_keys(
    text: str,
    top: Mapping[str, Any],
    tables: Mapping[str, Mapping[str, Any]],
    *,
    only_present: bool,
) -> str:
    """TOML `text` with the top-level keys `top` and the keys of `tables` set (a None
    value removes the key), every other byte kept; `only_present` sets a top-level
    key only where the file has it already."""
    import tomlkit

    if not top and not tables:
        return text
    doc = tomlkit.parse(text)
    for key, value in top.items():
        if only_present and key not in doc:
            continue
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    for name, values in tables.items():
        table = doc[name]
        for key, value in values.items():
            table[key] = value
    return tomlkit.dumps(doc)


def _edit_toml(data: bytes, key: str, tables: Sequence[Mapping[str, str]]) -> bytes:
    bom = BOM if data.startswith(BOM) else b""
    text = data[len(bom) :].decode("utf-8")
    return bom + append_tables(text, key, tables).encode("utf-8")


def _edit_text(data: bytes, key: str, tables: Sequence[Mapping[str, str]]) -> bytes:
    """The text form: the front matter between the `+++` lines edited, the rest kept."""
    head, front, rest = _front_of(data)
    return _with_bom(data, head + append_tables(front, key, tables) + rest)


def append_tables(text: str, key: str, tables: Sequence[Mapping[str, str]]) -> str:
    """TOML `text` with `tables` appended to its array of tables `key` ([[photos]]),
    every other byte kept; created at the end when there is none.

    Each new entry is set apart by a blank line, as opdc writes entries. Comments
    and blank lines after the last existing entry stay after the new ones: they
    lead to whatever follows, not into the entry before.
    """
    import tomlkit
    from tomlkit.items import AoT, Array, Comment, Whitespace

    if text and not text.endswith("\n"):
        text += "\n"
    doc = tomlkit.parse(text)
    current = doc.get(key)
    if isinstance(current, Array):
        for values in tables:
            inline = tomlkit.inline_table()
            inline.update(values)
            current.append(inline)
        return tomlkit.dumps(doc)
    if current is not None and not isinstance(current, AoT):
        raise OpdcError(f"'{key}' must be written as [[{key}]] tables")
    made = []
    for values in tables:
        table = tomlkit.table()
        for name, value in values.items():
            table.add(name, value)
        table.trivia.indent = "\n"
        made.append(table)
    if current is None:
        aot = tomlkit.aot()
        for table in made:
            aot.append(table)
        doc.append(key, aot)
        return tomlkit.dumps(doc)
    body = current[-1].value.body if len(current) else []
    tail = []
    while body and body[-1][0] is None and isinstance(body[-1][1], Whitespace | Comment):
        tail.append(body.pop()[1])
    for table in made:
        current.append(table)
    for item in reversed(tail):
        made[-1].value.body.append((None, item))
    return tomlkit.dumps(doc)
