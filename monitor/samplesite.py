"""Serve the offline sample news site (``data/sample-site/``) on loopback.

The demo and the end-to-end tests crawl this instead of the internet::

    with SampleSite() as site:
        crawl(site.base_url + "/herald/")

Files under ``<root>/www/`` are served as they are, with ``{base_url}`` filled
in; ``<root>/routes.toml`` adds special responses by path (status codes, extra
headers, content types, gzip, hangs). Stdlib only: a ``ThreadingHTTPServer``
in a daemon thread. ``python -m monitor.samplesite`` serves it until Ctrl-C.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import time
import tomllib
from dataclasses import dataclass, field, fields
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

logger = logging.getLogger(__name__)

PLACEHOLDER = b"{base_url}"
TEXT_SUFFIXES = frozenset({".html", ".htm", ".xml", ".txt", ".json", ".toml"})
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".gz": "application/gzip",
}
FEED_TYPES = {"rss.xml": "application/rss+xml", "atom.xml": "application/atom+xml"}


def sample_site_root() -> Path:
    """The sample site shipped in the repository: ``<repo>/data/sample-site``."""
    return Path(__file__).resolve().parent.parent / "data" / "sample-site"


@dataclass(frozen=True)
class Route:
    """A special response for one path (query strings are ignored).

    ``source`` serves another file under ``www/`` instead of the path;
    ``body`` serves literal text instead of any file; ``gzip`` compresses the
    body (after ``{base_url}`` is filled in); ``hang`` sleeps that many seconds
    before answering; ``modified`` (epoch seconds) is the Last-Modified time
    of a ``body``.
    """

    path: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    source: str | None = None
    body: str | None = None
    gzip: bool = False
    hang: float = 0.0
    modified: float | None = None


@dataclass
class Response:
    """What the handler sends: status, headers (in order) and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


def load_routes(path: Path) -> dict[str, Route]:
    """Read ``routes.toml`` (``[[route]]`` tables); a missing file means no routes."""
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        tables = tomllib.load(fh).get("route", [])
    known = {f.name for f in fields(Route)}
    routes = {}
    for table in tables:
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"{path}: route {table.get('path')!r}: unknown keys {sorted(unknown)}")
        routes[table["path"]] = Route(**table)
    return routes


def guess_content_type(name: str) -> str:
    """Content-Type from a file name: feeds by name, the rest by suffix."""
    for ending, content_type in FEED_TYPES.items():
        if name.endswith(ending):
            return content_type
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


def http_date(timestamp: float) -> str:
    """RFC 7231 date (``Wed, 04 Feb 2015 11:14:00 GMT``)."""
    return formatdate(timestamp, usegmt=True)


def not_modified(headers: Mapping[str, str], etag: str, modified: float) -> bool:
    """True when a conditional GET's validators match (If-None-Match wins)."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [tag.strip() for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags or f"W/{etag}" in tags
    since = headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return int(modified) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False


def error_page(status: int) -> bytes:
    """A small HTML body for an error status."""
    title = f"{status} {HTTPStatus(status).phrase}"
    head = f"<!DOCTYPE html><html><head><title>{title}</title></head>"
    return f"{head}<body><h1>{title}</h1></body></html>\n".encode()


class SampleSite:
    """Serves a sample-site directory on 127.0.0.1 (free port by default)."""

    def __init__(self, root: Path | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root) if root is not None else sample_site_root()
        self.host = host
        self.port = port
        self.base_url = ""
        self.requests: list[str] = []
        self.responses: list[tuple[str, int]] = []
        self._routes = load_routes(self.root / "routes.toml")
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._started_at = time.time()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------

    def start(self) -> SampleSite:
        """Bind, start serving in a daemon thread, and set ``base_url``."""
        handler = type("SampleSiteHandler", (_Handler,), {"site": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.port = int(port)
        self.base_url = f"http://{host}:{self.port}"
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"sample-site:{self.port}", daemon=True
        )
        self._thread.start()
        logger.debug("sample site %s serving %s", self.base_url, self.root)
        return self

    def stop(self) -> None:
        """Stop serving; hanging requests are released at once."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SampleSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- helpers for callers ---------------------------------------------

    def sites_dir(self) -> Path:
        """The site configs of the sample outlets (``root / "sites"``)."""
        return self.root / "sites"

    def url(self, path: str) -> str:
        """``base_url`` + ``path``."""
        return self.base_url + path

    def set_route(self, path: str, **options: object) -> None:
        """Add or replace the special response for ``path`` while serving.

        Takes the fields of :class:`Route`, e.g. ``set_route(p, status=503)``,
        ``set_route(p, hang=2)`` or ``set_route(p, body="<html>…")`` to revise
        a page (its Last-Modified becomes now).
        """
        options.setdefault("modified", time.time())
        with self._lock:
            self._routes[path] = Route(path=path, **options)  # type: ignore[arg-type]

    def remove_route(self, path: str) -> None:
        """Drop a special response (a route from routes.toml comes off too)."""
        with self._lock:
            self._routes.pop(path, None)

    # -- answering ---------------------------------------------------------

    def respond(self, raw_path: str, headers: Mapping[str, str]) -> Response:
        """Build the response to a GET of ``raw_path`` (path and query)."""
        path = unquote(urlsplit(raw_path).path) or "/"
        with self._lock:
            self.requests.append(raw_path)
            route = self._routes.get(path) or Route(path=path)
        if route.hang:
            self._stopping.wait(route.hang)
        response = self._build(path, route, headers)
        with self._lock:
            self.responses.append((raw_path, response.status))
        return response

    def _build(self, path: str, route: Route, headers: Mapping[str, str]) -> Response:
        """Find the content for ``route`` and wrap it in a response."""
        if route.body is not None:
            return self._finish(
                route, self._fill(route.body.encode(), path), path, route.modified, headers
            )
        found = self._find_file(route.source or path)
        if isinstance(found, Response):
            return found if route.status == 200 else self._error(route)
        if found is None:
            return self._error(route if route.status != 200 else Route(path, 404))
        body = self._fill(found.read_bytes(), found.name)
        type_name = path if route.source else found.name  # a .gz made from a .xml is a .gz
        return self._finish(route, body, type_name, found.stat().st_mtime, headers)

    def _find_file(self, path: str) -> Path | Response | None:
        """The file for a URL path, a redirect for a directory without ``/``, or None."""
        www = (self.root / "www").resolve()
        target = (www / path.lstrip("/")).resolve()
        if not target.is_relative_to(www):
            return None
        if target.is_dir():
            if not path.endswith("/"):
                location = self.base_url + path + "/"
                return Response(301, [("Location", location), ("Content-Length", "0")])
            target = target / "index.html"
        return target if target.is_file() else None

    def _fill(self, body: bytes, name: str) -> bytes:
        """Substitute ``{base_url}`` in text files (works on EUC-KR bytes too)."""
        if Path(name).suffix.lower() in TEXT_SUFFIXES or not Path(name).suffix:
            return body.replace(PLACEHOLDER, self.base_url.encode("ascii"))
        return body

    def _finish(
        self,
        route: Route,
        body: bytes,
        name: str,
        modified: float | None,
        headers: Mapping[str, str],
    ) -> Response:
        """Apply gzip, content type, validators and the route's extra headers."""
        content_type = route.content_type or guess_content_type(name)
        if route.gzip:
            body = gzip.compress(body, mtime=0)
        out = [("Content-Type", content_type), *route.headers.items()]
        if route.status == 200:
            etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'
            stamp = modified if modified is not None else self._started_at
            out += [("ETag", etag), ("Last-Modified", http_date(stamp))]
            if not_modified(headers, etag, stamp):
                return Response(304, [h for h in out if h[0] != "Content-Type"])
        out.append(("Content-Length", str(len(body))))
        return Response(route.status, out, body)

    def _error(self, route: Route) -> Response:
        """An error response (status from the route) with a small HTML body."""
        body = error_page(route.status)
        out = [("Content-Type", "text/html; charset=utf-8"), *route.headers.items()]
        return Response(route.status, [*out, ("Content-Length", str(len(body)))], body)


class _Handler(BaseHTTPRequestHandler):
    """Routes GET and HEAD to :meth:`SampleSite.respond`; logs nothing."""

    site: SampleSite
    server_version = "SampleSite/1.0"

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        response = self.site.respond(self.path, self.headers)
        try:
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.end_headers()
            if send_body and response.body:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("client went away: %s", self.path)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default per-request stderr logging."""


def main() -> None:
    """Serve the shipped sample site until interrupted (for manual browsing)."""
    with SampleSite() as site:
        print(f"sample site: {site.base_url}/  (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
