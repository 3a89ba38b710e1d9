"""opdc serve: the site as the html export writes it, served on this machine and
rebuilt each time a file of the site changes.

The pages are the real export's (`export_site`, the same templates and the same
publication gate), written into the site's `.opdc/serve/` (never the user's export
folder) and brought up to date incrementally by the export itself. The HTTP server
(the standard library's ThreadingHTTPServer) serves that folder only, and adds to
each html page as it sends it a small script that reloads the page over
Server-Sent Events when a rebuild changed something: the files on disk, like any
export, never contain it.

A file that cannot be read, or an article the gate stops, never stops the server:
while a file changed during this session is at fault, every page is an error page
naming it (file, line, column, code and message), and the next rebuild that finds
it fixed reloads the page as it should be.
"""

from __future__ import annotations

import errno
import html
import mimetypes
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from opdc_cli.content import Site
from opdc_cli.errors import OpdcError, UsageError
from opdc_cli.site import SITE_FILE

EVENTS_PATH = "/__opdc/events"
# What is watched, below the site's folder (site.toml is matched by name).
WATCHED = ("articles", "media", "templates")
# Seconds between keep-alive comments on an idle event stream: a closed tab's
# thread notices it is gone at the next one.
KEEP_ALIVE = 15.0
LOOPBACK = ("127.0.0.1", "::1", "localhost")

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
    ".pdf": "application/pdf",
}


def content_type(name: str) -> str:
    """The Content-Type of a file of the exported site, by its name."""
    lower = name.lower()
    if lower.endswith("rss.xml"):
        return "application/rss+xml"
    if lower.endswith("atom.xml"):
        return "application/atom+xml"
    suffix = os.path.splitext(lower)[1]
    return TYPES.get(suffix) or mimetypes.guess_type(lower)[0] or "application/octet-stream"


def reload_script(generation: int) -> str:
    """The script added to every served page: reload when the site's generation moves
    past the one the page was made at (EventSource reconnects by itself)."""
    return (
        "<script>(function(){var g=" + f'"{generation}"' + ";"
        f'var s=new EventSource("{EVENTS_PATH}");'
        "s.onmessage=function(e){if(e.data!==g){s.close();location.reload();}};"
        "})();</script>"
    )


def with_script(page: bytes, generation: int) -> bytes:
    """`page` with the reload script before its last </body> (at its end if none)."""
    script = reload_script(generation).encode()
    at = page.lower().rfind(b"</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


def is_exposed(bind: str) -> bool:
    """Whether binding to `bind` lets other machines reach the server."""
    return bind not in LOOPBACK and not bind.startswith("127.")


def resolve(root: Path, request_path: str) -> Path | str | None:
    """The file of `root` a request path names, a path to redirect to (a folder asked
    for without its slash), or None (404): nothing outside `root`, no hidden names, no
    folder listings."""
    path = urlsplit(request_path).path
    text = unquote(path, errors="strict") if "%" in path else path
    if "\x00" in text or "\\" in text or not text.startswith("/"):
        return None
    parts = [p for p in text.split("/") if p]
    if any(p.startswith(".") for p in parts):  # "..", ".", and hidden files alike
        return None
    target = root.joinpath(*parts)
    if text.endswith("/"):
        target = target / "index.html"
    try:
        real = target.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(root.resolve()):
        return None  # a symbolic link out of the folder
    if real.is_dir():
        return path + "/" if (real / "index.html").is_file() else None
    return real if real.is_file() else None


class Channel:
    """The site's generation, moved on by each rebuild that changed what is served;
    the event streams of open pages wait on it."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.generation = 0
        self.closed = False

    def bump(self) -> None:
        with self._changed:
            self.generation += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int | None:
        """The generation once it differs from `seen` (or after `timeout`); None once
        closed."""
        with self._changed:
            self._changed.wait_for(lambda: self.closed or self.generation != seen, timeout)
            return None if self.closed else self.generation

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()


def error_page(errors: list[OpdcError], root: Path, generation: int) -> bytes:
    """The page shown instead of the site while a file is at fault."""
    items = []
    for error in errors:
        where = error.path
        shown = str(where) if where is not None else ""
        if where is not None:
            try:
                shown = where.resolve().relative_to(root.resolve()).as_posix()
            except (ValueError, OSError):
                shown = str(where)
        cells = [
            ("file", shown),
            ("line", "" if error.line is None else str(error.line)),
            ("column", "" if error.col is None else str(error.col)),
            ("code", error.code or ""),
        ]
        rows = "".join(
            f'<dt>{name}</dt><dd class="{name}">{html.escape(value)}</dd>'
            for name, value in cells
            if value
        )
        items.append(
            f'<li><p class="where">{html.escape(error.where(root) or shown)}</p>'
            f'<p class="message">{html.escape(error.message)}</p><dl>{rows}</dl></li>'
        )
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>opdc serve: error</title>\n<style>"
        "body{font-family:sans-serif;margin:0;background:#fff5f5;color:#222}"
        "header{background:#b00020;color:#fff;padding:.75rem 1.5rem}"
        "h1{font-size:1.25rem;margin:0}main{padding:0 1.5rem}"
        "li{background:#fff;border-left:.35rem solid #b00020;margin:1rem 0;padding:.5rem 1rem}"
        ".where{font-family:monospace;font-weight:bold;font-size:1.1rem}"
        ".message{font-size:1.05rem}dl{display:grid;grid-template-columns:auto 1fr;"
        "gap:.1rem 1rem;color:#555}dd{margin:0;font-family:monospace}"
        "ul{list-style:none;padding:0}"
        "</style>\n</head>\n<body>\n<header><h1>"
        f"The site cannot be shown: {len(errors)} problem(s)</h1></header>\n<main>\n"
        f"<ul>{''.join(items)}</ul>\n"
        "<p>Fix the file and save it: this page reloads by itself.</p>\n</main>\n"
        "</body>\n</html>\n"
    )
    return with_script(page.encode(), generation)


NOT_FOUND = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    b"<title>404 not found</title>\n</head>\n<body>\n<h1>404 not found</h1>\n"
    b"<p>No such page in the site as it is built now.</p>\n</body>\n</html>\n"
)


@dataclass
class Rebuild:
    """What one rebuild did."""

    changed: list[str]
    pages: int = 0
    files: int = 0
    removed: int = 0
    articles: int = 0
    resized: int = 0
    seconds: float = 0.0
    # What the browser shows instead of the site (files changed this session).
    errors: list[OpdcError] = field(default_factory=list)
    # Problems of files not changed this session: said on the terminal only.
    others: list[OpdcError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reloaded: bool = False


class Preview:
    """The built site, what is wrong with it, and the server that shows it."""

    def __init__(self, open_site: Callable[[], Site], root: Path, *, drafts: bool) -> None:
        self.open_site = open_site
        self.root = root.resolve()
        self.drafts = drafts
        self.out = self.root / ".opdc" / "serve" / ("drafts" if drafts else "published")
        self.channel = Channel()
        self.errors: list[OpdcError] = []
        # Every file changed since the server started: their problems are shown.
        self.touched: set[Path] = set()
        self.server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- building --------------------------------------------------------------------

    def rebuild(self, changed: set[Path]) -> Rebuild:
        """Bring the built site up to date after `changed` (empty: the first build)."""
        from opdc_cli.export.site import export_site

        started = time.perf_counter()
        self.touched |= {p.resolve() for p in changed}
        result = Rebuild(sorted(self._relative(p) for p in changed))
        problems: list[OpdcError] = []
        # The site itself could not be built (site.toml, a template): always shown.
        fatal: list[OpdcError] = []
        try:
            site = self.open_site()
            result.resized, failures = self._resize(site, changed)
            problems.extend(failures)
            report = export_site(site, self.out, force=True, drafts=self.drafts)
        except OpdcError as exc:
            fatal.append(exc)
        else:
            problems.extend(report.problems)
            result.warnings = report.warnings
            result.pages = sum(1 for p in report.written if p.endswith(".html"))
            result.files = len(report.written)
            result.removed = len(report.removed)
            result.articles = report.articles
        # An article already at fault when the server started is said on the terminal
        # only: the rest of the site is still previewed.
        for problem in problems:
            mine = problem.path is not None and problem.path.resolve() in self.touched
            (result.errors if mine else result.others).append(problem)
        result.errors[:0] = fatal
        before = [e.format() for e in self.errors]
        self.errors = result.errors
        if result.files or result.removed or before != [e.format() for e in self.errors]:
            self.channel.bump()
            result.reloaded = True
        result.seconds = time.perf_counter() - started
        return result

    def _relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def _resize(self, site: Site, changed: set[Path]) -> tuple[int, list[OpdcError]]:
        """Make the web sizes of the photos that changed, before the pages show them."""
        from opdc_cli.media import plan_resize, run_resize

        ids = set()
        media = site.media_dir.resolve()
        for path in changed:
            try:
                parts = path.resolve().relative_to(media).parts
            except ValueError:
                continue
            if len(parts) > 1 and parts[0].isdigit():
                ids.add(int(parts[0]))
        articles = []
        for article_id in sorted(ids):
            try:
                articles.append(site.article(article_id))
            except OpdcError:
                continue  # no such article, or unreadable: the export says so
        if not articles:
            return 0, []
        plan = plan_resize(site, articles)
        report = run_resize(site, plan, workers=1)
        return report.made, [failure.error for failure in report.failures]

    # --- watching --------------------------------------------------------------------

    def relevant(self, path: str) -> bool:
        """Whether a change to `path` can change the site: its sources, not what
        opdc makes from them (web sizes, thumbnails, records, temporary files)."""
        try:
            parts = Path(path).relative_to(self.root).parts
        except ValueError:
            return False
        if parts == (SITE_FILE,):
            return True
        if len(parts) < 2 or parts[0] not in WATCHED:
            return False
        name = parts[-1]
        if name.startswith(".") or name.endswith(("~", ".swp", ".swx", ".tmp")):
            return False
        if parts[0] == "media" and len(parts) == 3:
            stem = name.rsplit(".", 1)[0]
            return not (stem.endswith(("_resize", "_thumb")) or name.endswith(".json"))
        return True

    def changes(self, stop: threading.Event) -> Iterator[set[Path]]:
        """Each batch of relevant changes, as the file system reports them, until `stop`."""
        import watchfiles

        for batch in watchfiles.watch(
            self.root,
            watch_filter=lambda _change, path: self.relevant(path),
            stop_event=stop,
            step=30,
            raise_interrupt=True,
        ):
            yield {Path(path) for _change, path in batch}

    # --- serving ---------------------------------------------------------------------

    def listen(self, bind: str, port: int) -> ThreadingHTTPServer:
        """Take the address (before any build, so a port in use is said at once)."""
        server_class = _Server6 if ":" in bind else _Server
        try:
            server = server_class((bind, port), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                free = _free_port(bind, port)
                hint = f": try --port {free}" if free else ": try another --port"
                raise UsageError(f"--port {port}: in use by another program{hint}") from None
            if exc.errno == errno.EACCES:
                raise UsageError(
                    f"--port {port}: not permitted (ports below 1024 need root): try --port 8000"
                ) from None
            raise UsageError(f"--bind {bind}: cannot listen there ({exc.strerror})") from None
        server.preview = self
        self.server = server
        return server

    def start(self) -> None:
        assert self.server is not None
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close every event stream and the server."""
        self.channel.close()
        if self.server is not None:
            if self._thread is not None:
                self.server.shutdown()
            self.server.server_close()


def _free_port(bind: str, port: int) -> int | None:
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    for candidate in range(port + 1, min(port + 20, 65536)):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((bind, candidate))
            except OSError:
                continue
            return candidate
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    preview: Preview


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "opdc-serve"

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged: the terminal shows the rebuilds."""

    def do_GET(self) -> None:
        self._respond(body=True)

    def do_HEAD(self) -> None:
        self._respond(body=False)

    def _respond(self, body: bool) -> None:
        preview = self.server.preview
        if urlsplit(self.path).path == EVENTS_PATH:
            if body:
                self._events(preview.channel)
            else:
                self._send(200, "text/event-stream", b"", body=False)
            return
        generation = preview.channel.generation
        found = resolve(preview.out, self.path)
        is_page = self.path.split("?", 1)[0].endswith(("/", ".html"))
        if preview.errors and (is_page or (isinstance(found, Path) and found.suffix == ".html")):
            page = error_page(preview.errors, preview.root, generation)
            self._send(500, TYPES[".html"], page, body=body)
            return
        if isinstance(found, str):
            self.send_response(301)
            self.send_header("Location", found)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if found is None:
            self._send(404, TYPES[".html"], with_script(NOT_FOUND, generation), body=body)
            return
        try:
            data = found.read_bytes()
        except OSError:
            self._send(404, TYPES[".html"], with_script(NOT_FOUND, generation), body=body)
            return
        kind = content_type(found.name)
        if found.suffix == ".html":
            data = with_script(data, generation)
        self._send(200, kind, data, body=body)

    def _send(self, status: int, kind: str, data: bytes, *, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _events(self, channel: Channel) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = -1
        try:
            while True:
                generation = channel.wait(seen, KEEP_ALIVE)
                if generation is None:
                    return
                if generation == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    self.wfile.write(f"data: {generation}\n\n".encode())
                    seen = generation
                self.wfile.flush()
        except OSError:
            return  # the tab was closed
