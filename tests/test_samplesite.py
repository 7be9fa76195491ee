"""The offline sample news site (data/sample-site) and its server (monitor/samplesite.py)."""

from __future__ import annotations

import dataclasses
import gzip
import html
import http.client
import importlib.util
import re
import socket
import sys
import threading
import time
import tomllib
from collections import defaultdict, deque
from email.utils import parsedate_to_datetime
from itertools import combinations
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import lxml.etree
import lxml.html
import pytest

from monitor.config import CrawlSettings, Site
from monitor.samplesite import (
    Route,
    SampleSite,
    guess_content_type,
    load_routes,
    not_modified,
    sample_site_root,
)

ROOT = sample_site_root()
MANIFEST = tomllib.loads((ROOT / "MANIFEST.toml").read_text(encoding="utf-8"))
PAGES = MANIFEST["page"]
BY_PATH = {page["path"]: page for page in PAGES}
SITE_NAMES = ("herald", "daily")
SITE_KEYS = {f.name for f in dataclasses.fields(Site)} | {
    f.name for f in dataclasses.fields(CrawlSettings)
}
MAX_DEPTH = 3
KOREAN_PATH = "/daily/news/2015/02/05/thaad-debate-korean-edition.html"
CHALLENGE_PATH = "/daily/news/2015/02/05/interview-with-defense-minister.html"
ERROR_PATH = "/herald/view/2015020499.html"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"


# ---- helpers ------------------------------------------------------------------


@pytest.fixture(scope="module")
def site():
    with SampleSite() as running:
        yield running


@pytest.fixture
def fresh_site():
    with SampleSite() as running:
        yield running


def fetch(site, path, method="GET", headers=None, timeout=10.0):
    """(status, lower-cased headers, body) for one request."""
    conn = http.client.HTTPConnection(site.host, site.port, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def path_of(url):
    """Path plus query of an absolute URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def load_config(name, base_url):
    raw = (ROOT / "sites" / f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw.replace("{base_url}", base_url))


def matches(patterns, url):
    return any(re.search(p, url) for p in patterns)


def parse_html(body, encoding="utf-8"):
    parser = lxml.etree.HTMLParser(recover=False, encoding=encoding)
    return lxml.etree.fromstring(body, parser)


def html_links(body, base):
    return [urljoin(base, href) for href in lxml.html.fromstring(body).xpath("//a/@href")]


def feed_links(body):
    root = lxml.etree.fromstring(body)
    rss = root.xpath("//item/link/text()")
    atom = [e.get("href") for e in root.iter(f"{ATOM}link") if e.getparent().tag == f"{ATOM}entry"]
    return rss + atom


def article_text(body, encoding="utf-8"):
    doc = parse_html(body, encoding)
    xpath = "//*[@id='articleText' or @class='story-body' or @id='articleBody']//p"
    return "\n".join("".join(p.itertext()) for p in doc.xpath(xpath))


def shingles(text, n=5):
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def discover(site, config):
    """Article URL paths reachable from a site config → the kinds of source that link them."""
    found = defaultdict(set)
    for url in _listing_articles(site, config):
        found[path_of(url)].add("listing")
    for feed in config["feeds"]:
        for url in feed_links(fetch(site, path_of(feed))[2]):
            if matches(config["article_urls"], url):
                found[path_of(url)].add("feed")
    for sitemap in config["sitemaps"]:
        for url, kind in _sitemap_urls(site, sitemap):
            if matches(config["article_urls"], url):
                found[path_of(url)].add(kind)
    return found


def _listing_articles(site, config):
    """Breadth-first over start_urls and listing_urls, depth ≤ MAX_DEPTH."""
    queue = deque((url, 0) for url in config["start_urls"])
    seen, articles = set(), set()
    while queue:
        url, depth = queue.popleft()
        if url in seen or depth >= MAX_DEPTH:
            continue
        seen.add(url)
        status, _, body = fetch(site, path_of(url))
        assert status == 200, url
        for link in html_links(body, url):
            if matches(config["article_urls"], link):
                articles.add(link)
            elif matches(config["listing_urls"], link):
                queue.append((link, depth + 1))
    return articles


def _sitemap_urls(site, url):
    """(loc, kind) pairs, following a sitemap index; kind is news-sitemap or sitemap."""
    body = fetch(site, path_of(url))[2]
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    root = lxml.etree.fromstring(body)
    if root.tag == f"{SM}sitemapindex":
        for loc in root.iter(f"{SM}loc"):
            yield from _sitemap_urls(site, loc.text)
        return
    kind = "news-sitemap" if "news-sitemap" in url else "sitemap"
    for loc in root.iter(f"{SM}loc"):
        yield loc.text, kind


def build_module():
    spec = importlib.util.spec_from_file_location("sample_site_build", ROOT / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


# ---- the server -------------------------------------------------------------


def test_base_url_and_sites_dir(site):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", site.base_url)
    assert site.port > 0
    assert site.sites_dir() == ROOT / "sites"
    assert sorted(p.stem for p in site.sites_dir().glob("*.toml")) == sorted(SITE_NAMES)


def test_directory_index_redirect_and_404(site):
    status, headers, body = fetch(site, "/herald/")
    assert status == 200 and b"Top Stories" in body
    status, headers, _ = fetch(site, "/herald")
    assert status == 301 and headers["location"] == site.url("/herald/")
    assert fetch(site, "/herald/view/1999010101.html")[0] == 404
    assert fetch(site, "/herald/view/")[0] == 404


def test_query_string_ignored_for_lookup(site):
    assert fetch(site, "/herald/?page=1&x=y")[2] == fetch(site, "/herald/")[2]


@pytest.mark.parametrize(
    "path", ["/../routes.toml", "/%2e%2e/routes.toml", "/../sites/herald.toml"]
)
def test_no_files_outside_www(site, path):
    assert fetch(site, path)[0] == 404


def test_content_types(site):
    expected = {
        "/herald/": "text/html; charset=utf-8",
        "/herald/rss.xml": "application/rss+xml",
        "/daily/atom.xml": "application/atom+xml",
        "/sitemap.xml": "application/xml",
        "/news-sitemap.xml": "application/xml",
        "/robots.txt": "text/plain; charset=utf-8",
        "/sitemap-articles.xml.gz": "application/x-gzip",
    }
    for path, content_type in expected.items():
        assert fetch(site, path)[1]["content-type"] == content_type, path


def test_guess_content_type():
    assert guess_content_type("rss.xml") == "application/rss+xml"
    assert guess_content_type("atom.xml") == "application/atom+xml"
    assert guess_content_type("x.gz") == "application/gzip"
    assert guess_content_type("blob") == "application/octet-stream"


def test_etag_and_if_none_match(site):
    status, headers, _ = fetch(site, "/herald/rss.xml")
    assert status == 200 and headers["etag"].startswith('"') and "last-modified" in headers
    status, again, body304 = fetch(
        site, "/herald/rss.xml", headers={"If-None-Match": headers["etag"]}
    )
    assert status == 304 and body304 == b"" and again["etag"] == headers["etag"]
    status, _, _ = fetch(site, "/herald/rss.xml", headers={"If-None-Match": '"other"'})
    assert status == 200


def test_if_modified_since(site):
    _, headers, _ = fetch(site, "/daily/atom.xml")
    since = {"If-Modified-Since": headers["last-modified"]}
    assert fetch(site, "/daily/atom.xml", headers=since)[0] == 304
    stamp = parsedate_to_datetime(headers["last-modified"]).timestamp() - 3600
    earlier = {"If-Modified-Since": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(stamp))}
    assert fetch(site, "/daily/atom.xml", headers=earlier)[0] == 200


def test_not_modified_rules():
    assert not_modified({"If-None-Match": '"a", "b"'}, '"b"', 0)
    assert not_modified({"If-None-Match": "*"}, '"b"', 0)
    assert not not_modified({"If-None-Match": '"a"', "If-Modified-Since": "x"}, '"b"', 0)
    assert not not_modified({"If-Modified-Since": "not a date"}, '"b"', 0)
    assert not not_modified({}, '"b"', 0)


def test_etag_changes_with_base_url_and_body(site, fresh_site):
    assert (
        fetch(site, "/herald/rss.xml")[1]["etag"] != fetch(fresh_site, "/herald/rss.xml")[1]["etag"]
    )


def test_head_has_headers_without_body(site):
    _, get_headers, body = fetch(site, "/herald/view/2015020401.html")
    status, headers, head_body = fetch(site, "/herald/view/2015020401.html", method="HEAD")
    assert status == 200 and head_body == b""
    assert headers["etag"] == get_headers["etag"]
    assert int(headers["content-length"]) == len(body)


def test_requests_and_responses_are_recorded(fresh_site):
    fetch(fresh_site, "/herald/?utm_source=x")
    fetch(fresh_site, "/missing")
    assert fresh_site.requests == ["/herald/?utm_source=x", "/missing"]
    assert fresh_site.responses == [("/herald/?utm_source=x", 200), ("/missing", 404)]


def test_requests_are_thread_safe(fresh_site):
    threads = [
        threading.Thread(target=fetch, args=(fresh_site, f"/herald/?n={n}")) for n in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(fresh_site.requests) == sorted(f"/herald/?n={n}" for n in range(20))


def test_set_route_revises_a_page(fresh_site):
    path = "/herald/view/2015020302.html"
    _, before, _ = fetch(fresh_site, path)
    fresh_site.set_route(path, body="<html><body><p>Revised.</p></body></html>")
    status, after, body = fetch(fresh_site, path)
    assert status == 200 and body == b"<html><body><p>Revised.</p></body></html>"
    assert after["etag"] != before["etag"]
    assert after["content-type"] == "text/html; charset=utf-8"
    fresh_site.remove_route(path)
    assert fetch(fresh_site, path)[1]["etag"] == before["etag"]


def test_set_route_status_and_headers(fresh_site):
    fresh_site.set_route("/herald/", status=503, headers={"Retry-After": "120"})
    status, headers, body = fetch(fresh_site, "/herald/")
    assert status == 503 and headers["retry-after"] == "120"
    assert "etag" not in headers and b"Top Stories" in body


def test_hang_route_delays_and_times_out(fresh_site):
    fresh_site.set_route("/herald/", hang=0.4)
    started = time.monotonic()
    assert fetch(fresh_site, "/herald/")[0] == 200
    assert time.monotonic() - started >= 0.4
    with pytest.raises((socket.timeout, TimeoutError)):
        fetch(fresh_site, "/herald/", timeout=0.1)


def test_stop_releases_hanging_requests():
    running = SampleSite().start()
    running.set_route("/hang", hang=60, body="late")
    thread = threading.Thread(target=lambda: fetch(running, "/hang", timeout=30), daemon=True)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    running.stop()
    thread.join(timeout=5)
    assert time.monotonic() - started < 5 and not thread.is_alive()


def test_shipped_slow_route():
    routes = load_routes(ROOT / "routes.toml")
    assert routes["/slow.html"].hang == 5


def test_unknown_route_key_is_refused(tmp_path):
    (tmp_path / "routes.toml").write_text('[[route]]\npath = "/x"\nstatuss = 500\n')
    with pytest.raises(ValueError, match="statuss"):
        load_routes(tmp_path / "routes.toml")


def test_missing_routes_file_means_no_routes(tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "a.txt").write_text("at {base_url}/a.txt")
    with SampleSite(root=tmp_path) as running:
        status, _, body = fetch(running, "/a.txt")
    assert status == 200 and body.decode() == f"at {running.base_url}/a.txt"


def test_gzip_route_from_template(tmp_path):
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "s.xml").write_text("<a>{base_url}</a>")
    (tmp_path / "routes.toml").write_text(
        '[[route]]\npath = "/s.xml.gz"\nsource = "/s.xml"\ngzip = true\n'
    )
    with SampleSite(root=tmp_path) as running:
        status, headers, body = fetch(running, "/s.xml.gz")
        assert status == 200
        assert gzip.decompress(body).decode() == f"<a>{running.base_url}</a>"
    assert headers["content-type"] == "application/gzip"
    assert Route(path="/x").status == 200


# ---- discovery files --------------------------------------------------------


@pytest.mark.parametrize("path", ["/herald/rss.xml", "/daily/atom.xml", "/sitemap.xml"])
def test_base_url_substituted(site, path):
    body = fetch(site, path)[2].decode()
    assert "{base_url}" not in body and site.base_url in body


def test_rss_items_have_pubdate(site):
    root = lxml.etree.fromstring(fetch(site, "/herald/rss.xml")[2])
    items = root.findall("channel/item")
    assert len(items) >= 5
    for item in items:
        assert item.findtext("link").startswith(site.base_url + "/herald/view/")
        assert parsedate_to_datetime(item.findtext("pubDate")).year == 2015


def test_atom_entries_have_updated(site):
    root = lxml.etree.fromstring(fetch(site, "/daily/atom.xml")[2])
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) >= 5
    for entry in entries:
        assert entry.findtext(f"{ATOM}updated").startswith("2015-02-0")


def test_sitemap_index_and_news_sitemap(site):
    index = lxml.etree.fromstring(fetch(site, "/sitemap.xml")[2])
    locs = [loc.text for loc in index.iter(f"{SM}loc")]
    assert locs == [site.url("/news-sitemap.xml"), site.url("/sitemap-articles.xml.gz")]
    news = lxml.etree.fromstring(fetch(site, "/news-sitemap.xml")[2])
    urls = news.findall(f"{SM}url")
    assert len(urls) >= 5
    for url in urls:
        assert url.findtext(f"{SM}loc").startswith(site.base_url)
        assert url.findtext(f"{NEWS}news/{NEWS}publication_date").startswith("2015-02-0")
        assert url.findtext(f"{NEWS}news/{NEWS}title")


def test_gzip_sitemap_decompresses_to_xml(site):
    status, headers, body = fetch(site, "/sitemap-articles.xml.gz")
    assert status == 200 and body[:2] == b"\x1f\x8b" and "content-encoding" not in headers
    root = lxml.etree.fromstring(gzip.decompress(body))
    urls = root.findall(f"{SM}url")
    assert len(urls) >= 5
    for url in urls:
        assert url.findtext(f"{SM}loc").startswith(site.base_url)
        assert url.findtext(f"{SM}lastmod").startswith("2015-02-0")


def test_robots_txt(site):
    status, _, body = fetch(site, "/robots.txt")
    text = body.decode()
    assert status == 200
    assert re.findall(r"^Disallow:\s*(\S+)", text, re.M) == ["/daily/private/"]
    assert f"Sitemap: {site.base_url}/sitemap.xml" in text


# ---- special pages ----------------------------------------------------------


def test_euc_kr_page(site):
    status, headers, body = fetch(site, KOREAN_PATH)
    assert status == 200
    assert headers["content-type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("cp949")
    assert "사드를" in text and "사드" in BY_PATH[KOREAN_PATH]["must_contain"]
    assert site.base_url in text and "{base_url}" not in text
    first_korean = next(i for i, byte in enumerate(body) if byte >= 0x80)
    assert 2048 < body.find(b"charset=euc-kr") < 4096 and first_korean > 2048
    assert len(article_text(body, "cp949").split()) >= 150


def test_error_route_every_time(site):
    for _ in range(3):
        status, headers, _ = fetch(site, ERROR_PATH)
        assert status == 500 and "etag" not in headers


def test_challenge_route(site):
    status, headers, body = fetch(site, CHALLENGE_PATH)
    text = body.decode()
    assert status == 200 and headers["cf-mitigated"] == "challenge"
    assert "<title>Just a moment...</title>" in text
    assert "Checking if the site connection is secure" in text
    assert "Enable JavaScript and cookies to continue" in text
    assert "cf-chl" in text and "<p>" not in text


def test_utm_copy_is_identical(site):
    [page] = [p for p in PAGES if p["outcome"] == "duplicate"]
    assert "utm_source=" in page["path"]
    assert fetch(site, page["path"])[2] == fetch(site, page["same_as"])[2]


def test_near_duplicate_is_similar_but_distinct(site):
    [page] = [p for p in PAGES if "near_duplicate_of" in p]
    ours = article_text(fetch(site, page["path"])[2])
    theirs = article_text(fetch(site, page["near_duplicate_of"])[2])
    assert ours != theirs and "SEOUL (Yonhap) --" in ours
    a, b = shingles(ours), shingles(theirs)
    assert 0.5 < len(a & b) / len(a | b) < 0.95


def test_headlines_page_is_a_listing(site):
    [page] = [p for p in PAGES if p["outcome"] == "listing" and p["kind"] == "article-url"]
    body = fetch(site, page["path"])[2]
    doc = lxml.html.fromstring(body)
    article_links = [h for h in doc.xpath("//ul[@class='article-list']//a/@href") if "/view/" in h]
    assert len(article_links) >= 15
    assert len(doc.xpath("//p[@class='lead']")) >= 15
    assert not article_text(body) and b"article:published_time" not in body


def test_disallowed_page_is_linked_and_blocked(site):
    [page] = [p for p in PAGES if p["outcome"] == "disallowed"]
    robots = RobotFileParser()
    robots.parse(fetch(site, "/robots.txt")[2].decode().splitlines())
    assert not robots.can_fetch("PressMonitor", site.url(page["path"]))
    assert fetch(site, page["path"])[0] == 200
    allowed = [p for p in PAGES if p["outcome"] != "disallowed"]
    assert all(robots.can_fetch("PressMonitor", site.url(p["path"])) for p in allowed)


# ---- the manifest -----------------------------------------------------------


def check_article(site, page, status, headers, body):
    encoding = "cp949" if page.get("encoding") == "euc-kr" else "utf-8"
    assert status == 200
    text = body.decode(encoding)
    story = article_text(body, encoding)
    for needle in page["must_contain"]:
        assert needle in story, needle
    assert 'property="article:published_time"' in text
    assert f'content="{page["published"]}"' in text
    assert f"<title>{html.escape(page['title'])} " in text
    if encoding == "utf-8":
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert all(line in text for line in ("X", "MOST POPULAR", "Back to List"))
        assert "More articles by this writer" in text and re.search(r">By [^<]+<", text)
        assert "Published : Feb. " in text and "All rights reserved." in text


@pytest.mark.parametrize("page", PAGES, ids=[p["path"] for p in PAGES])
def test_manifest_page_outcome(site, page):
    status, headers, body = fetch(site, page["path"])
    outcome = page["outcome"]
    if outcome == "article":
        check_article(site, page, status, headers, body)
    elif outcome == "duplicate":
        assert status == 200 and body == fetch(site, page["same_as"])[2]
    elif outcome == "listing":
        assert status == 200 and b"article:published_time" not in body
        assert len(html_links(body, site.url(page["path"]))) >= 10
    elif outcome == "error":
        assert status == page["status"] >= 500
    elif outcome == "challenge":
        assert status == 200 and headers["cf-mitigated"] == "challenge"
    elif outcome == "disallowed":
        assert status == 200 and page["path"].startswith("/daily/private/")
    else:
        pytest.fail(f"unknown outcome {outcome!r}")


def test_manifest_fields():
    allowed = {"article", "duplicate", "listing", "error", "challenge", "disallowed"}
    assert {p["outcome"] for p in PAGES} == allowed
    assert len(BY_PATH) == len(PAGES)
    for page in PAGES:
        assert page["site"] in SITE_NAMES and page["via"]
        if page["outcome"] == "article":
            assert page["title"] and page["must_contain"] and page["published"].endswith("+09:00")
    assert "MOST POPULAR" in MANIFEST["furniture"] and "X" in MANIFEST["furniture"]


def test_at_least_40_distinct_articles(site):
    articles = [p for p in PAGES if p["outcome"] == "article"]
    assert len(articles) >= 40
    assert sum(p["site"] == "herald" for p in articles) >= 20
    assert sum(p["site"] == "daily" for p in articles) >= 20
    texts = {}
    for page in articles:
        encoding = "cp949" if page.get("encoding") == "euc-kr" else "utf-8"
        texts[page["path"]] = shingles(article_text(fetch(site, page["path"])[2], encoding))
    near = {
        frozenset((p["path"], p["near_duplicate_of"])) for p in PAGES if "near_duplicate_of" in p
    }
    for a, b in combinations(texts, 2):
        if frozenset((a, b)) not in near:
            overlap = len(texts[a] & texts[b]) / len(texts[a] | texts[b])
            assert overlap < 0.1, (a, b, overlap)


def test_article_word_counts():
    for page in PAGES:
        seed_text = "near_duplicate_of" in page or page["path"] == "/herald/view/2015020401.html"
        if page["outcome"] == "article" and not seed_text:  # the seed text runs longer
            assert 150 <= page["words"] <= 400, page["path"]


def test_furniture_lines_recur_on_every_english_article(site):
    furniture = MANIFEST["furniture"]
    english = [p for p in PAGES if p["outcome"] == "article" and p.get("language") == "en"]
    for page in english:
        body = fetch(site, page["path"])[2]
        lines = {line.strip() for line in lxml.html.fromstring(body).itertext() if line.strip()}
        assert {"X", "MOST POPULAR", "More articles by this writer", "Back to List"} <= lines
        assert len(lines & set(furniture)) >= 15, page["path"]
        for line in furniture:
            assert line not in article_text(body).splitlines(), (page["path"], line)


def test_every_page_parses_strictly(site):
    for page in PAGES:
        status, _, body = fetch(site, page["path"])
        if status != 200:
            continue
        encoding = "cp949" if page.get("encoding") == "euc-kr" else "utf-8"
        doc = parse_html(body, encoding)
        assert doc.find("head/title") is not None and doc.find("body") is not None, page["path"]


# ---- site configs and reachability --------------------------------------------


@pytest.mark.parametrize("name", SITE_NAMES)
def test_site_config_keys_and_patterns(site, name):
    config = load_config(name, site.base_url)
    assert set(config) <= SITE_KEYS and config["name"] == name and config["delay"] == 0
    other = load_config(next(n for n in SITE_NAMES if n != name), site.base_url)
    for page in PAGES:
        url = site.url(page["path"])
        if page["kind"] == "article-url":
            assert matches(config["article_urls"], url) == (page["site"] == name), url
            assert not matches(config["listing_urls"], url), url
        elif page["kind"] == "section" and page["site"] == name:
            assert matches(config["listing_urls"], url) and not matches(other["listing_urls"], url)
        elif page["kind"] == "front" and page["site"] == name:
            assert config["start_urls"] == [url]


@pytest.mark.parametrize("name", SITE_NAMES)
def test_every_page_reachable_exactly_as_declared(site, name):
    found = discover(site, load_config(name, site.base_url))
    expected = {
        p["path"]: set(p["via"]) for p in PAGES if p["site"] == name and p["kind"] == "article-url"
    }
    assert dict(found) == expected


def test_each_discovery_path_has_pages_only_it_finds():
    only = defaultdict(set)
    for page in PAGES:
        if page["kind"] == "article-url" and len(page["via"]) == 1:
            only[page["via"][0]].add(page["site"])
    for source in ("listing", "feed", "news-sitemap", "sitemap"):
        assert only[source] == set(SITE_NAMES), source


def test_section_listings_paginate_with_rel_next(site):
    body = fetch(site, "/herald/defense/")[2]
    doc = lxml.html.fromstring(body)
    assert doc.xpath("//a[@rel='next']/@href") == ["/herald/defense/page/2/"]
    assert doc.xpath("//a[@rel='next']/text()") == ["Next"]
    last = lxml.html.fromstring(fetch(site, "/herald/defense/page/2/")[2])
    assert not last.xpath("//a[@rel='next']") and last.xpath("//a[@rel='prev']")


# ---- the repository copy --------------------------------------------------------


def test_routes_point_at_pages():
    routes = load_routes(ROOT / "routes.toml")
    for path, route in routes.items():
        assert path in BY_PATH or route.source or route.body or path == "/sitemap-articles.xml.gz"
        if route.source:
            assert (ROOT / "www" / route.source.lstrip("/")).is_file()


def test_generated_files_are_current():
    build = build_module()
    assert build.stale(build.collect()) == []


def test_sample_site_is_small():
    total = sum(p.stat().st_size for p in ROOT.rglob("*") if p.is_file())
    assert total < 2_000_000
