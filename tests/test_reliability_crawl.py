"""Crawl-level reliability (RELIABILITY.md): real crawls of a misbehaving server.

One stdlib ``ThreadingHTTPServer`` on 127.0.0.1 serves every route below; each
test gives its site its own path prefix, runs ``python -m monitor crawl`` in a
subprocess (the reactor runs once per process) and checks what the crawl
stored (``crawls``, ``crawl_errors``, ``seen_urls``, ``articles``) and what the
server saw. Test names carry the RELIABILITY ids.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from monitor.config import load_config
from monitor.settings import crawl_settings
from monitor.store import open_store
from tests.conftest import REPO

MIB = 1024 * 1024
HTML = "text/html; charset=utf-8"

# --- the server ------------------------------------------------------------------------------


@dataclass
class Hit:
    """One request the server saw."""

    path: str
    at: float  # time.monotonic()
    headers: dict[str, str]


Route = Callable[["Handler", int], None]  # (handler, 1-based hit number of this path)


@dataclass
class Server:
    """Routes by exact path (query included) or by prefix; everything else is a 404."""

    base_url: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)  # body bytes written, per path
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    prefixes: dict[str, Route] = field(default_factory=dict)

    def route(self, path: str, route: Route) -> None:
        self.routes[path] = route

    def prefix(self, prefix: str, route: Route) -> None:
        """``route`` answers every path under ``prefix`` that has no route of its own."""
        self.prefixes[prefix] = route

    def lookup(self, path: str) -> Route | None:
        if path in self.routes:
            return self.routes[path]
        return next((r for p, r in self.prefixes.items() if path.startswith(p)), None)

    def page(self, path: str, body: str | bytes, status: int = 200, **headers: str) -> None:
        self.route(path, lambda h, n: h.answer(status, body, headers))

    def url(self, path: str) -> str:
        return self.base_url + path

    def requests(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]

    def requested(self, prefix: str) -> list[str]:
        with self.lock:
            return [h.path for h in self.hits if h.path.startswith(prefix)]


class Handler(BaseHTTPRequestHandler):
    server_state: Server

    def do_GET(self) -> None:
        state = self.server_state
        with state.lock:
            state.hits.append(Hit(self.path, time.monotonic(), dict(self.headers.items())))
            number = sum(1 for h in state.hits if h.path == self.path)
        route = state.lookup(self.path)
        try:
            if route is None:
                self.answer(404, "<html><body><h1>Not found</h1></body></html>")
            else:
                route(self, number)
        except (ConnectionError, TimeoutError):
            pass  # the crawler hung up: expected for hangs, bombs and streams

    def answer(self, status: int, body: str | bytes, headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        headers = {"Content-Type": HTML, **(headers or {})}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def stream(self, total: int, *, declare_length: bool) -> None:
        """``total`` bytes of HTML-ish filler, 64 KiB at a time, until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        if declare_length:
            self.send_header("Content-Length", str(total))
        self.end_headers()
        chunk = b"<p>" + b"filler " * 9362 + b"</p>\n"
        sent = 0
        try:
            while sent < total:
                self.wfile.write(chunk)
                sent += len(chunk)
        finally:
            with self.server_state.lock:
                self.server_state.sent[self.path] = sent

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    state = Server()
    handler = type("BoundHandler", (Handler,), {"server_state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    state.stop.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def robots(server: Server) -> Iterator[Callable[[Route], None]]:
    """Set the server's /robots.txt for one test (default: 404, i.e. allow all)."""
    yield lambda route: server.route("/robots.txt", route)
    server.routes.pop("/robots.txt", None)


# --- pages -----------------------------------------------------------------------------------

VOCABULARY = """
ministry officials said monday defense missile battery deployment talks seoul beijing
washington hotline military exercise reservists training budget parliament committee vote
opposition lawmakers shipbuilders orders carrier exports growth quarter economy inflation
rates central bank governor market investors shares index currency won dollar trade surplus
deficit weather cold wave snow temperatures commuters subway schedules delays festival
culture museum exhibition artists painting collection visitors tourism hotel airport flights
passengers union strike wages negotiations factory workers production semiconductor chips
smartphone research university students exam admissions teachers school reform housing
prices apartments mortgage loans regulators policy election campaign candidates survey poll
results voters region coast fishing boats harbor storm rescue coast guard hospital patients
doctors vaccine clinic health
"""
WORDS = VOCABULARY.split()


def article_html(path: str) -> str:
    """A distinct, realistic article page (no two share text, so none is a near-duplicate)."""
    rng = random.Random(path)

    def sentence() -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(12, 20))]
        return " ".join(words).capitalize() + "."

    title = " ".join(rng.choice(WORDS) for _ in range(7)).capitalize()
    paragraphs = "\n".join(f"<p>{sentence()} {sentence()} {sentence()}</p>" for _ in range(6))
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": "2015-02-04T09:00:00+09:00",
        }
    )
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Test Times</title>
<meta property="og:type" content="article"><meta property="og:title" content="{title}">
<meta property="article:published_time" content="2015-02-04T09:00:00+09:00">
<script type="application/ld+json">{ld}</script></head>
<body><header><a href="/">Test Times</a></header><main><article>
<h1>{title}</h1><p class="byline">By Kim Min-ji</p>
{paragraphs}
</article></main><footer>Copyright Test Times</footer></body></html>"""


def rss(server: Server, paths: list[str], *, title: str = "Test Times") -> str:
    items = "".join(
        f"<item><title>Story {i}</title><link>{server.url(p)}</link>"
        f"<pubDate>Wed, 04 Feb 2015 09:00:00 +0900</pubDate></item>"
        for i, p in enumerate(paths)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>{server.base_url}/</link>{items}</channel></rss>"
    )


def serve_site(server: Server, prefix: str, articles: list[str]) -> str:
    """Articles under ``/<prefix>/art/`` plus an RSS feed of them; returns the feed path."""
    for name in articles:
        path = f"/{prefix}/art/{name}.html"
        server.page(path, article_html(path))
    feed = f"/{prefix}/feed.xml"
    server.page(
        feed,
        rss(server, [f"/{prefix}/art/{n}.html" for n in articles]),
        **{"Content-Type": "application/rss+xml"},
    )
    return feed


# --- config homes, crawls and the database ---------------------------------------------------


def make_home(
    tmp: Path,
    server: Server,
    name: str,
    *,
    feeds: Sequence[str] = (),
    start: Sequence[str] = (),
    listing: str | None = None,
    extra: str = "",
) -> Path:
    """A config home with one site ``name`` whose articles live under ``/<name>/art/``."""
    home = tmp / "home"
    (home / "sites").mkdir(parents=True, exist_ok=True)
    (home / "settings.toml").write_text("extract_workers = 1\n", encoding="utf-8")
    lines = [
        f'name = "{name}"',
        f"feeds = {json.dumps([server.url(f) for f in feeds])}",
        f"start_urls = {json.dumps([server.url(s) for s in start])}",
        f"article_urls = ['/{name}/art/[a-z0-9-]+\\.html$']",
        'language = "en"',
        "delay = 0",
        "timeout_minutes = 1",
    ]
    if listing:
        lines.append(f"listing_urls = ['{listing}']")
    (home / "sites" / f"{name}.toml").write_text("\n".join(lines) + "\n" + extra, "utf-8")
    return home


# Runs the CLI after replacing a few product-wide Scrapy settings in monitor.settings (the
# module run_crawls loads), and reports the crawl process's own peak RSS, for the memory
# bounds of NET-6 / NET-8.
BOOT = """
import atexit, json, os, resource, sys
import monitor.settings as settings
for key, value in json.loads(os.environ.get("PRESSMON_TEST_SCRAPY") or "{}").items():
    setattr(settings, key, value)
atexit.register(lambda: print("MAXRSS_KB=%d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                              file=sys.stderr))
from monitor.cli import main
main()
"""


@dataclass
class Crawl:
    """One finished ``pressmon crawl`` and the database it wrote."""

    result: subprocess.CompletedProcess[str]
    db: Path
    seconds: float

    @property
    def maxrss_mb(self) -> float:
        line = [x for x in self.result.stderr.splitlines() if x.startswith("MAXRSS_KB=")][-1]
        return int(line.split("=")[1]) / 1024

    def rows(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict]:
        store = open_store(self.db)
        try:
            return store.rows(sql, list(params))
        finally:
            store.close()

    def last(self) -> dict:
        return self.rows("SELECT * FROM crawls ORDER BY id DESC LIMIT 1")[0]

    def stats(self) -> dict:
        return json.loads(self.last()["stats"] or "{}")

    def errors(self) -> dict[str, set[str]]:
        """url → kinds recorded in crawl_errors (every crawl so far)."""
        found: dict[str, set[str]] = {}
        for row in self.rows("SELECT url, kind FROM crawl_errors"):
            found.setdefault(row["url"], set()).add(row["kind"])
        return found

    def error_rows(self, kind: str) -> list[dict]:
        return self.rows("SELECT url, message FROM crawl_errors WHERE kind = ?", [kind])

    def articles(self) -> set[str]:
        return {r["url"] for r in self.rows("SELECT url FROM articles")}

    def seen(self, url: str) -> dict | None:
        found = self.rows("SELECT * FROM seen_urls WHERE url = ?", [url])
        return found[0] if found else None


def crawl(
    home: Path, db: Path, *args: str, scrapy: dict[str, Any] | None = None, timeout: float = 60
) -> Crawl:
    """``python -m monitor --home HOME --db DB crawl ARGS`` in a fresh process."""
    env = {**os.environ, "PYTHONUTF8": "1", "PRESSMON_TEST_SCRAPY": json.dumps(scrapy or {})}
    env.pop("PRESSMON_HOME", None)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", BOOT, "--home", str(home), "--db", str(db), "crawl", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    done = Crawl(result, db, time.monotonic() - started)
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
    return done


# --- NET-1: a page that never answers --------------------------------------------------------


def test_net1_a_hanging_page_times_out_and_the_crawl_goes_on(
    server: Server, tmp_path: Path
) -> None:
    feed = serve_site(server, "net1", ["ok-1", "ok-2", "ok-3", "hang"])
    server.route("/net1/art/hang.html", lambda h, n: server.stop.wait(30))
    home = make_home(tmp_path, server, "net1", feeds=[feed], extra="download_timeout = 1\n")
    done = crawl(home, tmp_path / "m.db")
    assert done.result.returncode == 0, done.result.stderr[-3000:]
    hang = server.url("/net1/art/hang.html")
    assert done.errors().get(hang) == {"timeout"}
    assert done.seen(hang)["outcome"] == "error"
    assert {server.url(f"/net1/art/ok-{i}.html") for i in (1, 2, 3)} <= done.articles()
    assert len(server.requests("/net1/art/hang.html")) == 3  # 1 + RETRY_TIMES, then given up
    assert done.last()["status"] == "ok" and done.last()["finished_at"]
    assert done.seconds < 30


# --- NET-2: 429 / 503 and Retry-After --------------------------------------------------------


def test_net2_retry_after_is_honoured_and_503_retried_twice(server: Server, tmp_path: Path) -> None:
    feed = serve_site(server, "net2", ["later", "busy", "ok"])
    later = "/net2/art/later.html"
    page = article_html(later)
    server.route(
        later,
        lambda h, n: (
            h.answer(429, "slow down", {"Retry-After": "1"}) if n == 1 else h.answer(200, page)
        ),
    )
    server.page("/net2/art/busy.html", "busy", status=503)
    home = make_home(tmp_path, server, "net2", feeds=[feed])
    done = crawl(home, tmp_path / "m.db")
    stored = done.articles()
    assert {server.url(later), server.url("/net2/art/ok.html")} <= stored
    first, second = server.requests(later)
    assert second.at - first.at >= 0.9  # waited out Retry-After: 1
    assert len(server.requests("/net2/art/busy.html")) == 3  # at most 2 retries
    assert done.errors()[server.url("/net2/art/busy.html")] == {"http_503"}


def test_net2_a_long_retry_after_defers_the_site_to_a_later_crawl(
    server: Server, tmp_path: Path
) -> None:
    names = ["one", "two", "three", "four", "five", "six"]
    feed = serve_site(server, "net2b", names)
    limited = {"on": True}
    for name in names:
        path = f"/net2b/art/{name}.html"
        page = article_html(path)
        server.route(
            path,
            lambda h, n, page=page: (
                h.answer(429, "quota", {"Retry-After": "3600"})
                if limited["on"]
                else h.answer(200, page)
            ),
        )
    home = make_home(tmp_path, server, "net2b", feeds=[feed], extra="concurrency = 1\n")
    db = tmp_path / "m.db"
    first = crawl(home, db)
    urls = [server.url(f"/net2b/art/{n}.html") for n in names]
    # A one-hour Retry-After: that URL is not retried, and the rest of the site is not asked
    # for in this crawl (only the one request the slot had already started can slip out).
    asked = server.requested("/net2b/art/")
    assert 1 <= len(asked) <= 2 and len(set(asked)) == len(asked)
    assert all(first.errors()[u] == {"http_429"} for u in urls)
    assert all(first.seen(u)["outcome"] == "error" and first.seen(u)["attempts"] == 1 for u in urls)
    assert (first.last()["status"], first.last()["failure"]) == ("failed", "http_429")
    limited["on"] = False
    second = crawl(home, db)
    assert set(urls) <= second.articles()  # deferred, not given up: the next crawl got them
    assert len(server.requested("/net2b/art/")) == len(asked) + len(names)
    assert second.last()["status"] == "ok"


# --- NET-5: redirect loops -------------------------------------------------------------------


def test_net5_redirect_loops_are_recorded_and_a_redirect_to_self_is_followed(
    server: Server, tmp_path: Path
) -> None:
    feed = serve_site(server, "net5", ["ok"])
    loop_a, loop_b = "/net5/art/loop-a.html", "/net5/art/loop-b.html"
    server.page(loop_a, "", status=302, Location=loop_b)
    server.page(loop_b, "", status=302, Location=loop_a)
    cookie, cookie_page = "/net5/art/consent.html", article_html("/net5/art/consent.html")
    server.route(
        cookie,
        lambda h, n: (
            h.answer(200, cookie_page)
            if "consent=yes" in (h.headers.get("Cookie") or "")
            else h.answer(302, "", {"Location": cookie, "Set-Cookie": "consent=yes; Path=/"})
        ),
    )
    selfish = "/net5/art/self.html"
    server.page(selfish, "", status=302, Location=selfish)
    paths = [loop_a, cookie, selfish, "/net5/art/ok.html"]
    server.page(feed, rss(server, paths), **{"Content-Type": "application/rss+xml"})
    home = make_home(tmp_path, server, "net5", feeds=[feed])
    done = crawl(home, tmp_path / "m.db")
    assert done.result.returncode == 0, done.result.stderr[-3000:]
    loops = {r["url"]: r["message"] for r in done.error_rows("redirect_loop")}
    # The a → b → a loop: stopped at its second turn, recorded (under the hop that closed it).
    assert set(loops) & {server.url(loop_a), server.url(loop_b)}, done.errors()
    assert len(server.requests(loop_a)) <= 2 and len(server.requests(loop_b)) <= 2
    # A 302 to itself that sets a cookie: followed once with the cookie, and stored.
    assert server.url(cookie) in done.articles()
    hops = server.requests(cookie)
    assert len(hops) == 2 and "consent=yes" in hops[1].headers.get("Cookie", "")
    # A 302 to itself forever: not silently dropped by the duplicate filter.
    assert server.url(selfish) in loops
    assert len(server.requests(selfish)) == 2
    assert server.url("/net5/art/ok.html") in done.articles()


# --- NET-6 / NET-8: compression bomb, huge page, endless stream ------------------------------


def gzip_bomb(inflated: int) -> bytes:
    """A gzip member that inflates to ``inflated`` bytes of HTML-ish filler (~1000:1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"<p>" + b"a" * (MIB - 7) + b"</p>\n"
    parts = [packer.compress(block) for _ in range(inflated // len(block))]
    return b"".join(parts) + packer.flush()


def test_net6_net8_oversized_responses_are_too_large_and_memory_stays_bounded(
    server: Server, tmp_path: Path
) -> None:
    feed = serve_site(server, "net6", ["ok", "bomb", "huge", "endless"])
    bomb = gzip_bomb(52 * MIB)
    assert len(bomb) < 200_000 and len(gzip.decompress(bomb)) > 50 * MIB
    server.page("/net6/art/bomb.html", bomb, **{"Content-Encoding": "gzip"})
    server.route("/net6/art/huge.html", lambda h, n: h.stream(40 * MIB, declare_length=True))
    server.route("/net6/art/endless.html", lambda h, n: h.stream(200 * MIB, declare_length=False))
    home = make_home(tmp_path, server, "net6", feeds=[feed])
    done = crawl(home, tmp_path / "m.db")
    assert done.result.returncode == 0, done.result.stderr[-3000:]
    errors = done.errors()
    for name in ("bomb", "huge", "endless"):
        assert errors.get(server.url(f"/net6/art/{name}.html")) == {"too_large"}, errors
        assert len(server.requests(f"/net6/art/{name}.html")) == 1  # not retried
    assert server.url("/net6/art/ok.html") in done.articles()
    assert done.stats()["error_kinds"]["too_large"] == 3
    assert server.sent["/net6/art/endless.html"] < 200 * MIB  # cancelled at the limit
    assert done.maxrss_mb < 600, done.maxrss_mb
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert children_mb < 600, children_mb


# --- NET-9: crawler traps --------------------------------------------------------------------


def serve_calendar(server: Server, prefix: str) -> None:
    """``/<prefix>/cal/YYYY/MM/``: one article a month and rel=next to the next month, forever."""

    def month(h: Handler, n: int) -> None:
        year, mon = (int(x) for x in h.path.split("/")[3:5])
        nxt = f"{year + mon // 12}/{mon % 12 + 1:02d}"
        article = f"/{prefix}/art/{year}-{mon:02d}.html"
        h.answer(
            200,
            f"""<html><head><title>Archive {year}-{mon:02d}</title>
<link rel="next" href="/{prefix}/cal/{nxt}/"></head><body><h1>Archive</h1>
<ul><li><a href="{article}">Story of {year}-{mon:02d}</a></li></ul>
<a rel="next" href="/{prefix}/cal/{nxt}/">Next month</a></body></html>""",
        )

    server.prefix(f"/{prefix}/cal/", month)
    server.prefix(f"/{prefix}/art/", lambda h, n: h.answer(200, article_html(h.path)))


def test_net9_an_endless_calendar_stops_at_the_listing_depth(
    server: Server, tmp_path: Path
) -> None:
    serve_calendar(server, "net9")
    home = make_home(
        tmp_path,
        server,
        "net9",
        start=["/net9/cal/2015/02/"],
        listing="/net9/cal/\\d{4}/\\d{2}/$",
        extra="depth = 2\n",
    )
    done = crawl(home, tmp_path / "m.db")
    assert done.result.returncode == 0, done.result.stderr[-3000:]
    assert server.requested("/net9/cal/") == [
        "/net9/cal/2015/02/",
        "/net9/cal/2015/03/",
        "/net9/cal/2015/04/",
    ]
    assert done.articles() == {server.url(f"/net9/art/2015-{m:02d}.html") for m in (2, 3, 4)}
    assert done.stats()["finish_reason"] == "finished"


def test_net9_a_page_budget_stops_the_crawl_with_its_reason(server: Server, tmp_path: Path) -> None:
    serve_calendar(server, "net9b")
    home = make_home(
        tmp_path,
        server,
        "net9b",
        start=["/net9b/cal/2015/02/"],
        listing="/net9b/cal/\\d{4}/\\d{2}/$",
        extra="depth = 1000\n",
    )
    done = crawl(home, tmp_path / "m.db", "--max-pages", "5")
    assert done.result.returncode == 0, done.result.stderr[-3000:]
    stats = done.stats()
    assert stats["finish_reason"] == "closespider_pagecount"
    assert done.last()["pages"] <= 5 + 4  # the budget, plus what was in flight
    assert len(server.requested("/net9b/")) <= 5 + 4


# --- NET-10: robots.txt unreachable, missing or garbage --------------------------------------


@pytest.mark.parametrize(
    ("answer", "policy"),
    [
        ("500", "disallow all (HTTP 500)"),
        ("404", "allow all (HTTP 404)"),
        ("garbage", "rules (HTTP 200)"),
    ],
)
def test_net10_robots_txt_policy(
    server: Server, robots: Callable[[Route], None], tmp_path: Path, answer: str, policy: str
) -> None:
    prefix = f"net10-{answer}"
    feed = serve_site(server, prefix, ["one", "two"])
    if answer == "500":
        robots(lambda h, n: h.answer(500, "<h1>Internal Server Error</h1>"))
    elif answer == "garbage":
        robots(
            lambda h, n: h.answer(
                200, bytes(range(256)) * 8 + b"\n<html>{{}}Disallow", {"Content-Type": "text/plain"}
            )
        )
    home = make_home(tmp_path, server, prefix, feeds=[feed])
    before = len(server.requests("/robots.txt"))
    done = crawl(home, tmp_path / "m.db")
    netloc = server.base_url.split("//")[1]
    assert done.stats()[f"monitor/robots/{netloc}"] == policy  # logged per domain, kept
    stored = done.articles()
    if answer != "500":  # 404 and garbage: allow all
        assert done.result.returncode == 0, done.result.stderr[-3000:]
        assert stored == {server.url(f"/{prefix}/art/{n}.html") for n in ("one", "two")}
        return
    # RFC 9309 2.3.1.4: a 5xx robots.txt means complete disallow, for this crawl.
    assert server.requested(f"/{prefix}/") == []
    assert not stored
    assert done.errors() == {server.url(feed): {"robots_unavailable"}}
    assert (done.last()["status"], done.last()["failure"]) == ("failed", "robots")
    assert len(server.requests("/robots.txt")) - before == 3  # 1 + RETRY_TIMES, then given up


# --- feeds -----------------------------------------------------------------------------------


def test_feed_an_html_page_is_a_source_error_and_a_broken_feed_is_recovered(
    server: Server, tmp_path: Path
) -> None:
    serve_site(server, "feeds", ["one", "two"])
    server.page(
        "/feeds/html.xml",
        "<!DOCTYPE html><html><head><title>Home</title></head>"
        "<body><h1>Welcome</h1><p>Our news</p></body></html>",
    )
    items = "".join(
        f"<item><title>Story & more {n}</title><link>{server.url(f'/feeds/art/{n}.html')}"
        f"</link></item>"
        for n in ("one", "two")
    )
    server.page(
        "/feeds/broken.xml",
        f'<?xml version="1.0"?><rss version="2.0"><channel>'
        f"<title>Broken & unescaped</title>{items}<item><title>cut off",
        **{"Content-Type": "application/rss+xml"},
    )
    home = make_home(tmp_path, server, "feeds", feeds=["/feeds/html.xml", "/feeds/broken.xml"])
    done = crawl(home, tmp_path / "m.db")
    assert done.result.returncode == 0, done.result.stderr[-3000:]
    html_feed = server.url("/feeds/html.xml")
    assert done.errors() == {html_feed: {"feed_not_a_feed"}}
    assert done.seen(html_feed) is None  # a source error, not a page
    assert done.articles() == {server.url(f"/feeds/art/{n}.html") for n in ("one", "two")}
    assert done.stats()["source_errors"] == {"feed_not_a_feed": 1}
    assert "broken.xml is malformed; using 2 recovered entries" in done.result.stderr


# --- CFG-3 / CFG-4: derived settings and dependencies ----------------------------------------


def test_cfg3_derived_scrapy_settings_are_production_safe(tmp_path: Path) -> None:
    from scrapy.settings import Settings
    from scrapy.settings.default_settings import USER_AGENT as SCRAPY_USER_AGENT

    home = tmp_path / "home"
    (home / "sites").mkdir(parents=True)
    (home / "settings.toml").write_text("", encoding="utf-8")
    (home / "sites" / "x.toml").write_text(
        'name = "x"\nstart_urls = ["https://news.example.org/"]\narticle_urls = [\'/a/\\d+\']\n',
        encoding="utf-8",
    )
    config = load_config(home)
    settings = Settings()
    settings.setmodule("monitor.settings", priority="project")
    settings.setdict(crawl_settings(config, config.sites["x"]), priority="spider")
    assert settings.getbool("HTTPCACHE_ENABLED") is False
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert settings.getbool("ROBOTSTXT_OBEY") is True
    assert settings.getint("DOWNLOAD_MAXSIZE") == 32 * MIB
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is True
    assert settings["USER_AGENT"] and settings["USER_AGENT"] != SCRAPY_USER_AGENT
    assert "Scrapy" not in settings["USER_AGENT"]
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"] is None
    assert "spiders.robots.RobotsPolicyMiddleware" in middlewares


def test_cfg4_dependencies_import() -> None:
    import lxml_html_clean  # noqa: F401
    import trafilatura
    from lxml.html.clean import Cleaner  # noqa: F401 - what trafilatura needs of lxml

    assert trafilatura.extract(
        "<html><body><article><p>" + "word " * 80 + "</p></article></body></html>"
    )


# --- DB-1: a reader while the crawl writes ---------------------------------------------------


def test_db1_a_reader_is_never_locked_out_while_a_crawl_writes(
    server: Server, tmp_path: Path
) -> None:
    names = [f"story-{i}" for i in range(40)]
    feed = serve_site(server, "db1", names)
    home = make_home(tmp_path, server, "db1", feeds=[feed])
    db = tmp_path / "m.db"
    open_store(db).close()  # the schema exists before the reader starts
    stop, reads, locked, counts = threading.Event(), [0], [], set()

    def reader() -> None:
        conn = sqlite3.connect(db, timeout=1.0)
        while not stop.is_set():
            try:
                counts.add(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
                reads[0] += 1
            except sqlite3.OperationalError as exc:
                locked.append(str(exc))
            time.sleep(0.005)
        conn.close()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        done = crawl(home, db)
    finally:
        stop.set()
        thread.join()
    assert done.result.returncode == 0, done.result.stderr[-3000:]
    assert len(done.articles()) == len(names)
    assert locked == []
    assert reads[0] > 100
    assert len(counts) > 1  # the reader saw the table grow while the crawl wrote
    assert done.rows("PRAGMA journal_mode")[0]["journal_mode"] == "wal"
