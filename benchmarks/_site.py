"""A generated news site for benchmarks/crawl.py: build it, serve it (in its own process).

``generate(root, pages, base_url)`` writes ``root/www`` (articles, listings, an
RSS feed, a sitemap index, robots.txt) deterministically from a seed. Links are
written root-relative or with ``{base_url}``, which the server fills in, so the
site is built before its port is known.

``python benchmarks/_site.py serve ROOT`` serves ``ROOT/www`` on a free port of
127.0.0.1, prints ``PORT <n>`` on stdout, and runs until killed. It is a
keep-alive HTTP/1.1 ``ThreadingHTTPServer`` run as a separate process, so its
CPU time never shares a GIL with what is being measured.
"""

from __future__ import annotations

import html
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

PLACEHOLDER = "{base_url}"
SECTIONS = (
    "politics", "economy", "world", "business", "technology",
    "science", "health", "culture", "sports", "opinion",
)  # fmt: skip
ARTICLE_REGEX = r"/news/[a-z]+/\d{4}/\d{2}/\d{2}/[a-z0-9-]+\.html$"
LISTING_REGEX = r"/news/(?:[a-z]+/)?(?:page/\d+/)?$"
BOILERPLATE = ("MOST POPULAR", "Sign up for our newsletter")
PER_LISTING = 20
PER_SITEMAP = 1000
FIRST_DATE = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)

# -- prose ------------------------------------------------------------------------------

_FIRST = (
    "Min-jun", "Seo-yeon", "James", "Maria", "Ahmed", "Yuki", "Elena", "David", "Ji-ho",
    "Priya", "Tomas", "Grace", "Hannah", "Omar", "Lucas", "Sofia", "Daniel", "Ana", "Kenji",
    "Fatima", "Robert", "Chloe", "Hyun-woo", "Ingrid", "Mateo", "Nadia", "Samuel", "Leila",
)  # fmt: skip
_LAST = (
    "Kim", "Lee", "Park", "Choi", "Smith", "Garcia", "Tanaka", "Rossi", "Novak", "Haddad",
    "Okafor", "Schmidt", "Andersen", "Silva", "Dubois", "Kowalski", "Ivanova", "Mehta",
    "Nakamura", "O'Brien", "Moreau", "Jung", "Yoon", "Fischer", "Costa", "Lindqvist",
)  # fmt: skip
_PLACES = (
    "Seoul", "Busan", "Incheon", "Tokyo", "Beijing", "Washington", "Brussels", "Geneva",
    "Singapore", "Jakarta", "Hanoi", "Berlin", "Paris", "London", "Nairobi", "Sao Paulo",
    "Daegu", "Gwangju", "Sejong", "Ulsan", "Osaka", "Shanghai", "Manila", "Canberra",
)  # fmt: skip
_ORGS = (
    "the finance ministry", "the central bank", "the national assembly", "the trade office",
    "the port authority", "a parliamentary committee", "the statistics agency",
    "the competition regulator", "the health ministry", "the energy agency",
    "a group of economists", "the chamber of commerce", "the metropolitan government",
    "the election commission", "the labour union", "the defence ministry",
    "the foreign ministry", "an industry association", "the supreme court",
    "the environment ministry", "a coalition of civic groups", "the transport ministry",
)  # fmt: skip
_NOUNS = (
    "budget", "proposal", "agreement", "policy", "investment", "shortage", "surplus",
    "reform", "forecast", "tariff", "subsidy", "strike", "merger", "deficit", "plan",
    "review", "inquiry", "programme", "framework", "pipeline", "factory", "network",
    "scheme", "contract", "election", "campaign", "dispute", "shipment", "export",
    "import", "market", "index", "rate", "supply chain", "workforce", "infrastructure",
    "railway", "harbour", "grid", "reactor", "vaccine", "clinic", "curriculum", "festival",
    "exhibition", "season", "tournament", "league", "stadium", "satellite", "battery",
    "semiconductor", "platform", "startup", "fund", "bond", "currency", "pension",
    "housing project", "rent", "mortgage", "harvest", "drought", "flood", "heatwave",
)  # fmt: skip
_ADJECTIVES = (
    "new", "controversial", "long-awaited", "ambitious", "modest", "sweeping", "temporary",
    "regional", "national", "cross-border", "bilateral", "revised", "preliminary", "final",
    "unexpected", "sharp", "gradual", "record", "cautious", "expanded", "scaled-back",
    "delayed", "urgent", "independent", "joint", "annual", "quarterly", "low-cost",
    "high-speed", "digital", "rural", "coastal", "municipal", "private", "public",
)  # fmt: skip
_VERBS = (
    "approved", "rejected", "delayed", "announced", "criticised", "defended", "unveiled",
    "questioned", "expanded", "suspended", "reviewed", "endorsed", "challenged",
    "postponed", "welcomed", "scrapped", "revised", "launched", "funded", "blocked",
    "investigated", "praised", "downplayed", "extended", "accelerated", "overhauled",
)  # fmt: skip
_ADVERBS = (
    "quietly", "sharply", "narrowly", "publicly", "formally", "repeatedly", "abruptly",
    "cautiously", "firmly", "largely", "partly", "unexpectedly", "swiftly", "reluctantly",
)  # fmt: skip
_REASONS = (
    "rising costs", "pressure from exporters", "a slowdown in consumer spending",
    "concerns over transparency", "weaker demand abroad", "a shortage of skilled workers",
    "higher interest rates", "public opposition", "a legal challenge", "new safety rules",
    "the approaching election", "record tourist numbers", "a fall in the birth rate",
    "an unusually dry summer", "delays at the border", "the strength of the currency",
    "competition from overseas suppliers", "ageing infrastructure", "a change in leadership",
)  # fmt: skip
_TEMPLATES = (
    "{Org} {adverb} {verb} the {adj} {noun} on {weekday}, citing {reason}.",
    "The {noun}, first proposed in {year}, would cost about {money} over {n} years.",
    "{Person}, who has followed the {noun} since {year}, said the decision was "
    '"{adj} but necessary" given {reason}.',
    "Officials in {place} said {n} percent of the {noun} had already been completed.",
    "Critics argue that the {adj} {noun} does little to address {reason}.",
    '"We have to be realistic about what the {noun} can achieve," said {Person}, '
    "a spokesperson for {org}.",
    "According to figures released by {org}, the {noun} grew {n}.{m} percent "
    "in the {quarter} quarter.",
    "The move follows months of talks between {org} and {org2} over the {adj} {noun}.",
    "In {place}, residents {adverb} {verb} the {noun}, which they say was drawn up "
    "without consultation.",
    "Analysts expect the {noun} to weigh on the {noun2} until at least {year2}.",
    "{Person} told reporters in {place} that the {noun2} would be {verb} if {reason} continued.",
    "The {adj} {noun} is expected to affect roughly {thousands} households, most of them "
    "in and around {place}.",
    "Earlier this year, {org} {verb} a similar {noun}, a step that drew {adj} reactions.",
    "Opposition lawmakers {adverb} {verb} the timing, saying {reason} had been ignored.",
    "The {noun2} has been under strain since {month}, when {reason} first became visible.",
    "{Org} said it would publish a {adj} review of the {noun} by the end of {month}.",
    "Supporters of the {noun} point to {place}, where a {adj} {noun2} cut costs by {n} percent.",
    "Shares of companies tied to the {noun} rose {n}.{m} percent on {weekday} before "
    "closing lower.",
    "It was not immediately clear how the {noun} would be financed.",
    "{Person} said talks would resume in {place} next {weekday}.",
)
_SUBHEADS = (
    "What happens next", "A long road", "Mixed reactions", "The numbers", "Regional impact",
    "Looking ahead", "Background", "Why it matters", "The cost question", "Voices on the ground",
)  # fmt: skip
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


class Prose:
    """Varied, seeded news-like sentences."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def person(self) -> str:
        return f"{self.rng.choice(_FIRST)} {self.rng.choice(_LAST)}"

    def sentence(self) -> str:
        r = self.rng
        org = r.choice(_ORGS)
        text = r.choice(_TEMPLATES).format(
            Org=org[0].upper() + org[1:],
            org=org,
            org2=r.choice(_ORGS),
            adverb=r.choice(_ADVERBS),
            verb=r.choice(_VERBS),
            adj=r.choice(_ADJECTIVES),
            noun=r.choice(_NOUNS),
            noun2=r.choice(_NOUNS),
            reason=r.choice(_REASONS),
            weekday=r.choice(_WEEKDAYS),
            month=r.choice(_MONTHS),
            year=r.randint(1998, 2024),
            year2=r.randint(2026, 2032),
            money=f"{r.randint(2, 950)} billion won",
            n=r.randint(2, 40),
            m=r.randint(0, 9),
            thousands=f"{r.randint(3, 480)},000",
            quarter=r.choice(("first", "second", "third", "fourth")),
            place=r.choice(_PLACES),
            Person=self.person(),
        )
        return text

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def headline(self) -> str:
        r = self.rng
        org = r.choice(_ORGS)
        return (
            f"{org[0].upper() + org[1:]} {r.choice(_VERBS)} {r.choice(_ADJECTIVES)} "
            f"{r.choice(_NOUNS)} amid {r.choice(_REASONS)}"
        )


# -- pages --------------------------------------------------------------------------------


def _slug(text: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in text.lower()).split()
    return "-".join(words[:8])


class Article:
    """One article: where it lives and what it says."""

    def __init__(self, number: int, prose: Prose) -> None:
        rng = prose.rng
        self.number = number
        self.section = SECTIONS[rng.randrange(len(SECTIONS))]
        self.published = FIRST_DATE + timedelta(minutes=41 * number + rng.randint(0, 30))
        self.title = prose.headline()
        self.path = (
            f"/news/{self.section}/{self.published:%Y/%m/%d}/{_slug(self.title)}-{number:05d}.html"
        )
        self.author = prose.person()
        self.summary = prose.sentence()


def _head(title: str, rng: random.Random, extra: str = "") -> str:
    blob = json.dumps(
        {
            "page": {"section": title[:20], "id": rng.getrandbits(48)},
            "ads": [
                {"slot": f"div-gpt-ad-{i}", "sizes": [[300, 250], [728, 90]], "k": rng.random()}
                for i in range(40)
            ],
            "experiments": {f"exp_{i}": rng.choice(["a", "b", "control"]) for i in range(60)},
        }
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} | The Daily Ledger</title>
<link rel="stylesheet" href="/static/css/site.{rng.getrandbits(32):08x}.css">
<link rel="preconnect" href="https://cdn.example.net">
<style>body{{margin:0;font-family:Georgia,serif}}.nav a{{padding:0 8px}}
.most-popular ol{{list-style:decimal}}.share button{{border:0}}</style>
{extra}
<script async src="https://www.googletagmanager.com/gtag/js?id=G-BENCH01"></script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){{dataLayer.push(arguments);}}
gtag('js',new Date());gtag('config','G-BENCH01');</script>
<script>window.__PAGE_CONFIG__={blob};</script>
<script src="/static/js/vendor.{rng.getrandbits(32):08x}.js" defer></script>
<script src="/static/js/app.{rng.getrandbits(32):08x}.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<div class="topbar"><a href="/login">Log in</a> <a href="/subscribe">Subscribe</a>
<span class="today">Today's paper</span></div>
<header class="masthead"><a class="logo" href="/news/">The Daily Ledger</a>
<form class="search" action="/search"><input name="q" placeholder="Search">
<button>Search</button></form></header>
<nav class="nav">{_nav()}</nav>
<div class="ticker"><b>BREAKING</b> <a href="/news/">Markets open higher in Seoul</a></div>
"""


def _nav() -> str:
    return "".join(f'<a href="/news/{s}/">{s.title()}</a>' for s in SECTIONS)


def _foot(rng: random.Random) -> str:
    columns = []
    for heading in ("Sections", "Services", "About us", "Follow"):
        links = "".join(
            f'<li><a href="/{heading.lower().replace(" ", "-")}/{i}">{heading} link {i}</a></li>'
            for i in range(1, 7)
        )
        columns.append(f"<div class='col'><h5>{heading}</h5><ul>{links}</ul></div>")
    tracker = ";".join(f"t{i}={rng.getrandbits(24):06x}" for i in range(30))
    return f"""<footer class="footer">{"".join(columns)}
<p class="copy">&copy; 2025 The Daily Ledger. All rights reserved.
Unauthorized reproduction and redistribution prohibited.</p>
<p class="addr">12 Press Street, Jung-gu, Seoul 04520 | Tel +82-2-000-0000</p>
</footer>
<div id="cookie-banner">We use cookies to improve your experience.
<button>Accept</button> <button>Settings</button></div>
<script>(function(){{var s='{tracker}';var q=s.split(';');for(var i=0;i<q.length;i++)
{{document.cookie=q[i]+';path=/';}}}})();</script>
<script>!function(e,t){{var n=t.createElement('script');n.async=1;
n.src='https://cdn.example.net/ads.js?v='+Date.now();t.head.appendChild(n)}}(window,document);
</script>
</body>
</html>
"""


def _article_page(article: Article, prose: Prose, popular: list[Article]) -> str:
    rng = prose.rng
    target = rng.randint(600, 1200)
    body: list[str] = [f'<p class="lead">{html.escape(article.summary)}</p>']
    words = len(article.summary.split())
    while words < target:
        if len(body) > 3 and rng.random() < 0.12:
            body.append(f"<h2>{rng.choice(_SUBHEADS)}</h2>")
        if rng.random() < 0.06:
            quote = prose.sentence()
            body.append(f"<blockquote><p>{html.escape(quote)}</p></blockquote>")
            words += len(quote.split())
        if len(body) == 4:
            body.append(
                f'<figure><img src="/img/{article.number}.jpg" alt="">'
                f"<figcaption>{html.escape(prose.sentence())} (Photo: Ledger)</figcaption>"
                "</figure>"
                '<div class="ad-inline" id="div-gpt-ad-3">Advertisement</div>'
            )
        paragraph = prose.paragraph()
        body.append(f"<p>{html.escape(paragraph)}</p>")
        words += len(paragraph.split())
    popular_items = "".join(
        f'<li><a href="{p.path}">{html.escape(p.title)}</a></li>' for p in popular[:10]
    )
    related = "".join(
        f'<li><a href="{p.path}">{html.escape(p.title)}</a></li>' for p in popular[10:14]
    )
    date_iso = article.published.isoformat()
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title,
            "datePublished": date_iso,
            "dateModified": date_iso,
            "author": [{"@type": "Person", "name": article.author}],
            "publisher": {"@type": "Organization", "name": "The Daily Ledger"},
            "mainEntityOfPage": PLACEHOLDER + article.path,
        }
    )
    meta = f"""<link rel="canonical" href="{PLACEHOLDER}{article.path}">
<meta name="description" content="{html.escape(article.summary)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{html.escape(article.title)}">
<meta property="og:url" content="{PLACEHOLDER}{article.path}">
<meta property="article:published_time" content="{date_iso}">
<meta name="author" content="{html.escape(article.author)}">
<script type="application/ld+json">{ld}</script>"""
    tags = "".join(f'<a href="/tag/{t}">{t}</a>' for t in rng.sample(_NOUNS, 4) if " " not in t)
    return (
        _head(article.title, rng, meta)
        + f"""<div class="breadcrumbs"><a href="/news/">Home</a> &rsaquo;
<a href="/news/{article.section}/">{article.section.title()}</a></div>
<div class="layout">
<main id="main">
<article class="story">
<h1 class="headline">{html.escape(article.title)}</h1>
<div class="meta"><span class="byline">By {html.escape(article.author)}</span>
<time datetime="{date_iso}">Published : {article.published:%Y-%m-%d %H:%M}</time></div>
<div class="share"><button>Share</button><button>Print</button><button>Email</button>
<button>Font size</button></div>
<div class="story-body" itemprop="articleBody">
{chr(10).join(body)}
</div>
<div class="tags">{tags}</div>
<div class="newsletter"><h3>Sign up for our newsletter</h3>
<form><input type="email" placeholder="Email"><button>Subscribe</button></form></div>
</article>
<section class="related"><h4>Related articles</h4><ul>{related}</ul></section>
<section id="comments"><h4>Comments</h4><p>Log in to leave a comment.</p></section>
</main>
<aside class="sidebar">
<div class="most-popular"><h3>MOST POPULAR</h3><ol>{popular_items}</ol></div>
<div class="ad" id="div-gpt-ad-7">Advertisement</div>
</aside>
</div>
"""
        + _foot(rng)
    )


def _listing_page(title: str, items: list[Article], rng: random.Random, nxt: str | None) -> str:
    entries = "".join(
        f'<li class="item"><a href="{a.path}"><h3>{html.escape(a.title)}</h3></a>'
        f"<p>{html.escape(a.summary)}</p><span>{a.published:%Y-%m-%d}</span></li>"
        for a in items
    )
    pager = f'<a rel="next" href="{nxt}">Next page</a>' if nxt else ""
    return (
        _head(title, rng)
        + f'<main id="main"><h1>{html.escape(title)}</h1><ul class="list">{entries}</ul>'
        + f'<div class="pager">{pager}</div></main>'
        + _foot(rng)
    )


def _rss(items: list[Article]) -> str:
    entries = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{PLACEHOLDER}{a.path}</link>"
        f"<guid>{PLACEHOLDER}{a.path}</guid>"
        f"<pubDate>{a.published:%a, %d %b %Y %H:%M:%S} +0000</pubDate>"
        f"<description>{html.escape(a.summary)}</description></item>\n"
        for a in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>The Daily Ledger</title><link>{PLACEHOLDER}/news/</link>"
        f"<description>Latest news</description>\n{entries}</channel></rss>\n"
    )


def _urlset(items: list[Article]) -> str:
    entries = "".join(
        f"<url><loc>{PLACEHOLDER}{a.path}</loc><lastmod>{a.published:%Y-%m-%dT%H:%M:%S}+00:00"
        "</lastmod></url>\n"
        for a in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n"
    )


def _write(root: Path, path: str, text: str) -> None:
    target = root / path.lstrip("/")
    if path.endswith("/"):
        target = target / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def generate(root: Path, pages: int, seed: int = 20250301) -> list[str]:
    """Write the site under ``root/www``; returns the article paths (newest first)."""
    rng = random.Random(seed)
    prose = Prose(rng)
    www = root / "www"
    articles = [Article(n, prose) for n in range(pages)]
    newest = sorted(articles, key=lambda a: a.published, reverse=True)
    for article in articles:
        popular = rng.sample(articles, min(14, len(articles)))
        _write(www, article.path, _article_page(article, prose, popular))
    listing_pages = max(1, -(-len(newest) // PER_LISTING))
    for page in range(1, listing_pages + 1):
        chunk = newest[(page - 1) * PER_LISTING : page * PER_LISTING]
        path = "/news/" if page == 1 else f"/news/page/{page}/"
        nxt = f"/news/page/{page + 1}/" if page < listing_pages else None
        _write(www, path, _listing_page(f"Latest news, page {page}", chunk, rng, nxt))
    for section in SECTIONS:
        chunk = [a for a in newest if a.section == section][:PER_LISTING]
        _write(www, f"/news/{section}/", _listing_page(section.title(), chunk, rng, None))
    _write(www, "/news/rss.xml", _rss(newest[:50]))
    children = []
    for number, start in enumerate(range(0, len(articles), PER_SITEMAP), 1):
        name = f"/sitemap-articles-{number}.xml"
        _write(www, name, _urlset(articles[start : start + PER_SITEMAP]))
        children.append(f"<sitemap><loc>{PLACEHOLDER}{name}</loc></sitemap>")
    _write(
        www,
        "/sitemap.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(children)
        + "\n</sitemapindex>\n",
    )
    _write(www, "/robots.txt", f"User-agent: *\nAllow: /\nSitemap: {PLACEHOLDER}/sitemap.xml\n")
    return [a.path for a in newest]


def site_toml(base_url: str, pages: int, concurrency: int) -> str:
    """The site config for the generated site."""
    return f"""name = "ledger"
start_urls = ["{base_url}/news/"]
feeds = ["{base_url}/news/rss.xml"]
sitemaps = ["{base_url}/sitemap.xml"]
article_urls = ['{ARTICLE_REGEX}']
listing_urls = ['{LISTING_REGEX}']
language = "en"
boilerplate = {json.dumps(list(BOILERPLATE))}
delay = 0
concurrency = {concurrency}
depth = 1
max_pages = {pages + 500}
timeout_minutes = 60
"""


# -- serving --------------------------------------------------------------------------------

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: Scrapy reuses its connections
    server_version = "BenchSite/1.0"
    www: Path
    base_url: bytes

    def do_GET(self) -> None:
        path = unquote(urlsplit(self.path).path)
        target = (self.www / path.lstrip("/")).resolve()
        if path.endswith("/"):
            target = target / "index.html"
        if not target.is_relative_to(self.www) or not target.is_file():
            self._send(404, "text/plain", b"not found\n")
            return
        content_type = _TYPES.get(target.suffix, "application/octet-stream")
        if target.name == "rss.xml":
            content_type = "application/rss+xml"
        body = target.read_bytes().replace(PLACEHOLDER.encode(), self.base_url)
        self._send(200, content_type, body)

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        """Silent."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def serve(root: Path) -> None:
    """Serve ``root/www`` on a free port of 127.0.0.1 until killed; prints ``PORT n``."""
    handler = type("Handler", (_Handler,), {"www": (root / "www").resolve()})
    server = _Server(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    handler.base_url = f"http://127.0.0.1:{port}".encode()
    print(f"PORT {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(Path(sys.argv[2]))
    else:
        sys.exit("usage: _site.py serve ROOT")
