"""Build the offline sample news site: ``src/`` → ``www/`` and ``MANIFEST.toml``.

Usage (stdlib only, from anywhere)::

    python data/sample-site/build.py           # rewrite www/ and MANIFEST.toml
    python data/sample-site/build.py --check   # exit 1 if the committed output is stale

Article data lives in ``src/herald.toml`` and ``src/daily.toml``, page furniture
in ``src/templates/``. Absolute URLs are written as ``{base_url}...``; the
server (``monitor/samplesite.py``) fills the placeholder in at serve time.
The Korean article is written as EUC-KR bytes.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from string import Template
from xml.sax.saxutils import escape as xml_escape

ROOT = Path(__file__).resolve().parent
SRC = ROOT / "src"
TEMPLATES = SRC / "templates"
KST = timezone(timedelta(hours=9))
PAGE_SIZE = 4
MIN_WORDS, MAX_WORDS = 150, 400
SEED_KEY = "2015020401"  # the project's seed article, kept whole
EUC_KR_META_WINDOW = (2048, 4096)  # the meta charset sits past 2 KB, inside w3lib's 4 KB scan


@dataclass(frozen=True)
class Outlet:
    """One fictional outlet: its slug, display name, sections and furniture."""

    slug: str
    name: str
    host: str
    sections: dict[str, str]
    popular: tuple[str, ...]
    ad_line: str


OUTLETS = {
    "herald": Outlet(
        "herald",
        "The Seoul Herald",
        "seoulherald.example",
        {"defense": "Defense & Diplomacy", "business": "Business", "culture": "Culture & Life"},
        ("2015020401", "2015020502", "2015020403", "2015020305", "2015020404"),
        "ADVERTISEMENT",
    ),
    "daily": Outlet(
        "daily",
        "Peninsula Daily",
        "peninsuladaily.example",
        {"politics": "Politics", "economy": "Economy", "life": "Life & Culture"},
        (
            "china-voices-worry-over-us-missile-shield",
            "won-slides-past-1100-per-dollar",
            "chinese-tourist-arrivals-hit-record",
            "heavy-snow-strands-gangwon-villages",
            "webtoon-adaptation-tops-box-office",
        ),
        "- Advertisement -",
    ),
}
KOREAN_POPULAR = (
    ("won-slides-past-1100-per-dollar", "원·달러 환율 1100원 넘어"),
    ("heavy-snow-strands-gangwon-villages", "강원 영동 폭설에 산간마을 고립"),
    ("chinese-tourist-arrivals-hit-record", "1월 중국인 관광객 사상 최대"),
)
FURNITURE = (
    # both outlets (the seed's own furniture)
    "X",
    "MOST POPULAR",
    "More articles by this writer",
    "Back to List",
    # Seoul Herald
    "Skip to content",
    "Subscribe",
    "Sign in",
    "RSS",
    "The Seoul Herald",
    "Home",
    "Defense & Diplomacy",
    "Business",
    "Culture & Life",
    "Search",
    "ADVERTISEMENT",
    "Related articles",
    "About Us",
    "Privacy Policy",
    "Terms of Service",
    "Contact Us",
    "Seoul Herald Corp., 41 Sample-ro, Jung-gu, Seoul. Tel: +82-2-000-0000",
    "Copyright © 2015 The Seoul Herald. All rights reserved.",
    # Peninsula Daily
    "Seoul's independent daily since 1998",
    "Peninsula Daily",
    "Politics",
    "Economy",
    "Life & Culture",
    "Atom feed",
    "Share this article",
    "- Advertisement -",
    "Related stories",
    "Get the Peninsula Daily morning briefing in your inbox",
    "Sign up",
    "Home | Corrections | Advertise | Privacy",
    "Peninsula Daily Co. Registration No. Seoul-A-00000. Publisher and editor: J. Doe",
    "© 2015 Peninsula Daily Co. All rights reserved.",
    # Peninsula Daily, Korean edition
    "정치",
    "경제",
    "생활·문화",
    "많이 본 뉴스",
    "이 기자의 다른 기사",
    "목록으로",
    "ⓒ Peninsula Daily. 무단 전재 및 재배포 금지",
)
OUTCOMES = {
    "article": "article",
    "korean": "article",
    "headlines": "listing",
    "error": "error",
    "challenge": "challenge",
    "private": "disallowed",
}


@dataclass(frozen=True)
class Story:
    """One page at an article URL, as described in ``src/<site>.toml``."""

    site: str
    key: str
    section: str
    published: datetime
    title: str
    via: tuple[str, ...]
    kind: str = "article"
    author: str = ""
    email: str = ""
    body: str = ""
    caption: str = ""
    teaser_text: str = ""
    feed_query: str = ""
    note: str = ""
    near_duplicate_of: str = ""
    must_contain: tuple[str, ...] = ()
    updated: datetime | None = None

    @property
    def path(self) -> str:
        """The URL path this page is served under."""
        if self.site == "herald":
            return f"/herald/view/{self.key}.html"
        folder = "private" if self.kind == "private" else "news"
        return f"/daily/{folder}/{self.published:%Y/%m/%d}/{self.key}.html"

    @property
    def paragraphs(self) -> list[str]:
        """Body paragraphs (separated by blank lines in the source)."""
        return [p.strip() for p in self.body.strip().split("\n\n") if p.strip()]

    @property
    def modified(self) -> datetime:
        """Last modification: ``updated`` if given, else ``published``."""
        return self.updated or self.published

    @property
    def listed(self) -> bool:
        """True when a section listing links to this page."""
        return "listing" in self.via and self.kind != "headlines"

    def teaser(self, words: int) -> str:
        """The first ``words`` words of the body (or the given teaser)."""
        if self.teaser_text or not self.body:
            return self.teaser_text
        tokens = self.paragraphs[0].split()
        return " ".join(tokens[:words]) + ("..." if len(tokens) > words else "")

    @property
    def byline(self) -> str:
        """The byline as printed on the page."""
        contact = f" ({self.email})" if self.email else ""
        if self.kind == "korean":
            return f"{self.author} 기자{contact}"
        return f"By {self.author}{contact}"

    @property
    def writer_slug(self) -> str:
        """Slug used in the "More articles by this writer" link."""
        return self.email.split("@")[0] if self.email else slugify(self.author)


@dataclass
class Site:
    """Everything the renderers need: stories by site and by key."""

    stories: list[Story]
    by_key: dict[str, Story] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_key = {s.key: s for s in self.stories}

    def of(self, site: str) -> list[Story]:
        """Stories of one outlet, newest first."""
        return sorted((s for s in self.stories if s.site == site), key=lambda s: s.published)[::-1]


# ---- loading and checking ---------------------------------------------------


def slugify(text: str) -> str:
    """Lower-case ASCII slug."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def parse_time(value: str) -> datetime:
    """``2015-02-04T20:14`` (local, Seoul) → aware datetime."""
    return datetime.fromisoformat(value).replace(tzinfo=KST)


def load_story(site: str, raw: dict[str, object]) -> Story:
    """One ``[[article]]`` table → Story."""
    data = dict(raw)
    data["published"] = parse_time(str(data["published"]))
    if "updated" in data:
        data["updated"] = parse_time(str(data["updated"]))
    data["via"] = tuple(data["via"])  # type: ignore[arg-type]
    data["must_contain"] = tuple(data.get("must_contain", ()))  # type: ignore[arg-type]
    if "teaser" in data:
        data["teaser_text"] = data.pop("teaser")
    return Story(site=site, **data)  # type: ignore[arg-type]


def load_site() -> Site:
    """Read ``src/herald.toml`` and ``src/daily.toml``."""
    stories = []
    for slug in OUTLETS:
        with (SRC / f"{slug}.toml").open("rb") as fh:
            stories += [load_story(slug, raw) for raw in tomllib.load(fh)["article"]]
    return Site(stories)


def check_story(story: Story) -> list[str]:
    """Problems with one story's text (length, must_contain, furniture inside)."""
    if not story.body:
        return []
    problems = []
    words = len(story.body.split())
    seed_text = story.key == SEED_KEY or bool(story.near_duplicate_of)  # the seed runs longer
    if words < MIN_WORDS or (words > MAX_WORDS and not seed_text):
        problems.append(f"{story.key}: {words} words, want {MIN_WORDS}-{MAX_WORDS}")
    problems += [f"{story.key}: lacks {m!r}" for m in story.must_contain if m not in story.body]
    for line in FURNITURE:
        if line in story.paragraphs or (len(line) >= 12 and line in story.body):
            problems.append(f"{story.key}: contains furniture {line!r}")
    return problems


def check_site(site: Site) -> None:
    """Refuse to build from inconsistent sources."""
    problems = [p for s in site.stories for p in check_story(s)]
    for slug, outlet in OUTLETS.items():
        problems += [f"popular {k} not listed" for k in outlet.popular if not site.by_key[k].listed]
        for section in outlet.sections:
            count = len([s for s in site.of(slug) if s.section == section and s.listed])
            if not 0 < count <= 2 * PAGE_SIZE:
                problems.append(f"{slug}/{section}: {count} listed stories, want 1-{2 * PAGE_SIZE}")
    if problems:
        sys.exit("build.py: " + "\n  ".join(["sources are inconsistent:", *problems]))


# ---- small HTML helpers -----------------------------------------------------


def template(name: str) -> Template:
    """A ``string.Template`` from ``src/templates``."""
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def esc(text: str) -> str:
    """HTML-escape text for element content and attributes."""
    return html.escape(text, quote=True)


def date_line(when: datetime) -> str:
    """``Feb. 4, 2015 - 20:14``."""
    return f"{when:%b}. {when.day}, {when.year} - {when:%H:%M}"


def short_date(when: datetime) -> str:
    """``Feb. 4, 2015``."""
    return f"{when:%b}. {when.day}, {when.year}"


def script_json(data: dict[str, object]) -> str:
    """JSON safe to inline in a ``<script>`` element."""
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def link_item(story: Story, absolute: bool = False) -> str:
    """``<li><a href=...>title</a></li>``."""
    href = ("{base_url}" if absolute else "") + story.path
    return f'    <li><a href="{href}">{esc(story.title)}</a></li>'


def popular_box(site: Site, outlet: Outlet) -> str:
    """The outlet's MOST POPULAR box: the same on every page."""
    items = "\n".join(link_item(site.by_key[k]) for k in outlet.popular)
    return (
        f'<aside class="most-popular">\n  <h3>MOST POPULAR</h3>\n  <ol>\n{items}\n  </ol>\n</aside>'
    )


def related(site: Site, story: Story) -> str:
    """Three other listed stories of the same section."""
    pool = [s for s in site.of(story.site) if s.section == story.section and s.listed]
    others = [s for s in pool if s.key != story.key and s.kind == "article"]
    return "\n".join(link_item(s, absolute=True) for s in others[:3])


# ---- pages ------------------------------------------------------------------


def render_page(outlet: Outlet, title: str, main: str, head: str, section: str, data: dict) -> str:
    """Wrap ``main`` in the outlet's header, navigation and footer."""
    return template(f"{outlet.slug}_page.html").substitute(
        page_title=esc(title),
        head_extra=head,
        section=section,
        body_class=f"{data['pageType']} {section}",
        main=main,
        page_json=script_json(data),
    )


def article_head(outlet: Outlet, story: Story) -> str:
    """Meta tags, canonical link and JSON-LD of an article page."""
    url = "{base_url}" + story.path
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": story.title,
        "datePublished": story.published.isoformat(),
        "dateModified": story.modified.isoformat(),
        "author": {"@type": "Person", "name": story.author},
        "publisher": {"@type": "Organization", "name": outlet.name},
        "mainEntityOfPage": url,
    }
    lines = [
        f'<meta name="description" content="{esc(story.teaser(25))}">',
        f'<meta name="author" content="{esc(story.author)}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{esc(story.title)}">',
        f'<meta property="og:url" content="{url}">',
        f'<meta property="og:site_name" content="{esc(outlet.name)}">',
        f'<meta property="article:published_time" content="{story.published.isoformat()}">',
        f'<meta property="article:modified_time" content="{story.modified.isoformat()}">',
        f'<meta property="article:section" content="{esc(outlet.sections[story.section])}">',
        f'<link rel="canonical" href="{url}">',
        f'<script type="application/ld+json">{script_json(ld)}</script>',
    ]
    return "\n".join(lines)


def body_html(outlet: Outlet, story: Story) -> str:
    """Body paragraphs, with a photo caption and an ad slot among them."""
    parts = []
    for index, para in enumerate(story.paragraphs):
        parts.append(f"    <p>{esc(para)}</p>")
        if index == 0 and story.caption:
            parts.append(
                f'    <figure class="photo"><figcaption>{esc(story.caption)}</figcaption></figure>'
            )
        if index == 2:
            parts.append(f'    <div class="ad-inline">{outlet.ad_line}</div>')
    return "\n".join(parts)


def render_article(site: Site, story: Story) -> str:
    """A full article page with the outlet's furniture."""
    outlet = OUTLETS[story.site]
    updated = ""
    if story.updated:
        updated = f'  <p class="updated">Updated : {date_line(story.updated)}</p>'
    main = template(f"{outlet.slug}_article.html").substitute(
        section=story.section,
        section_name=esc(outlet.sections[story.section]),
        title=esc(story.title),
        byline=esc(story.byline),
        date_line=date_line(story.published),
        updated_line=updated,
        body=body_html(outlet, story),
        popular=popular_box(site, outlet),
        writer_slug=story.writer_slug,
        related=related(site, story),
    )
    data = {"pageType": "article", "site": outlet.slug, "section": story.section, "id": story.key}
    return render_page(outlet, story.title, main, article_head(outlet, story), story.section, data)


def render_korean(site: Site, story: Story) -> bytes:
    """The Korean-edition article, encoded as EUC-KR."""
    items = [f'      <li><a href="{site.by_key[k].path}">{t}</a></li>' for k, t in KOREAN_POPULAR]
    text = template("daily_korean.html").substitute(
        path=story.path,
        title=esc(story.title),
        author=esc(story.author),
        byline=esc(story.byline),
        published_iso=story.published.isoformat(),
        date_line=f"{story.published:%Y.%m.%d %H:%M}",
        body="\n".join(f"    <p>{esc(p)}</p>" for p in story.paragraphs),
        popular="\n".join(items),
        writer_slug=story.writer_slug,
    )
    data = text.encode("euc-kr")
    check_euc_kr_layout(data)
    return data


def check_euc_kr_layout(data: bytes) -> None:
    """The meta charset and the first Korean byte must sit past a long ASCII prefix."""
    meta = data.find(b"charset=euc-kr")
    first_korean = next(i for i, byte in enumerate(data) if byte >= 0x80)
    low, high = EUC_KR_META_WINDOW
    if not (low < meta < high and first_korean > low):
        sys.exit(
            f"build.py: EUC-KR layout off: meta at {meta}, first Korean byte at {first_korean}"
        )


def render_challenge(story: Story) -> str:
    """A Cloudflare-style bot challenge page (served with HTTP 200)."""
    return template("challenge.html").substitute(path=story.path)


def list_item(story: Story, words: int) -> str:
    """One entry of a listing: headline link, one-line teaser, date."""
    return (
        f'  <li class="item"><a class="title" href="{story.path}">{esc(story.title)}</a>'
        f'<p class="lead">{esc(story.teaser(words))}</p>'
        f'<span class="date">{short_date(story.published)}</span></li>'
    )


def listing_head(url_path: str, next_path: str | None) -> str:
    """Meta tags of a listing page."""
    lines = [
        '<meta property="og:type" content="website">',
        f'<link rel="canonical" href="{{base_url}}{url_path}">',
    ]
    if next_path:
        lines.append(f'<link rel="next" href="{{base_url}}{next_path}">')
    return "\n".join(lines)


def paging(base: str, page: int, pages: int) -> tuple[str, str | None]:
    """Pager markup for ``page`` of ``pages`` and the next page's path."""
    if pages == 1:
        return "", None

    def url(n: int) -> str:
        return base if n == 1 else f"{base}page/{n}/"

    parts = [f'<a rel="prev" href="{url(page - 1)}">Previous</a>'] if page > 1 else []
    for n in range(1, pages + 1):
        parts.append(
            f'<span class="current">{n}</span>' if n == page else f'<a href="{url(n)}">{n}</a>'
        )
    next_path = url(page + 1) if page < pages else None
    if next_path:
        parts.append(f'<a rel="next" href="{next_path}">Next</a>')
    return "\n".join(parts), next_path


def render_listing(site: Site, outlet: Outlet, heading: str, items: list[Story], **kw: str) -> str:
    """A listing page (front, section page, or the headlines page)."""
    main = template(f"{outlet.slug}_listing.html").substitute(
        heading=esc(heading),
        items="\n".join(list_item(s, int(kw.get("words", "14"))) for s in items),
        paging=kw.get("paging", ""),
        extra=kw.get("extra", ""),
        popular=popular_box(site, outlet),
    )
    head = listing_head(kw["path"], kw.get("next_path"))
    data = {"pageType": kw.get("page_type", "listing"), "site": outlet.slug}
    return render_page(outlet, heading, main, head, kw.get("section", "home"), data)


def section_pages(site: Site, outlet: Outlet, section: str) -> dict[str, str]:
    """``/<outlet>/<section>/`` and ``.../page/N/``, newest first."""
    stories = [s for s in site.of(outlet.slug) if s.section == section and s.listed]
    chunks = [stories[i : i + PAGE_SIZE] for i in range(0, len(stories), PAGE_SIZE)]
    base = f"/{outlet.slug}/{section}/"
    pages = {}
    for number, chunk in enumerate(chunks, start=1):
        path = base if number == 1 else f"{base}page/{number}/"
        pager, next_path = paging(base, number, len(chunks))
        pages[path] = render_listing(
            site, outlet, outlet.sections[section], chunk,
            path=path, paging=pager, section=section, next_path=next_path or "",
        )  # fmt: skip
    return pages


def front_extra(site: Site, outlet: Outlet) -> str:
    """Section links (and the Herald's link to today's headlines) on a front page."""
    links = [
        f'<li><a href="/{outlet.slug}/{k}/">{esc(v)}</a></li>' for k, v in outlet.sections.items()
    ]
    extra = f'<div class="section-index"><h2>Sections</h2><ul>{"".join(links)}</ul></div>'
    for story in site.of(outlet.slug):
        if story.kind == "headlines":
            extra += f'\n<p class="today"><a href="{story.path}">{esc(story.title)}</a></p>'
    return extra


def front_page(site: Site, outlet: Outlet) -> str:
    """The outlet's front page: the five newest listed articles."""
    top = [s for s in site.of(outlet.slug) if s.listed and s.kind == "article"][:5]
    path = f"/{outlet.slug}/"
    extra = front_extra(site, outlet)
    return render_listing(
        site, outlet, "Top Stories", top, path=path, extra=extra, page_type="front"
    )


def headlines_page(site: Site, story: Story) -> str:
    """Listing-only page at an article URL: every listed article, one line each."""
    outlet = OUTLETS[story.site]
    items = [s for s in site.of(story.site) if s.listed and s.kind == "article"]
    if len(items) < 15:
        sys.exit(f"build.py: headlines page needs 15+ links, has {len(items)}")
    return render_listing(site, outlet, story.title, items, path=story.path, words="10")


# ---- feeds and sitemaps -----------------------------------------------------


def rss_item(story: Story) -> str:
    """One RSS 2.0 ``<item>``."""
    url = xml_escape("{base_url}" + story.path + story.feed_query)
    section = OUTLETS[story.site].sections[story.section]
    return (
        "<item>\n"
        f"  <title>{xml_escape(story.title)}</title>\n  <link>{url}</link>\n"
        f'  <guid isPermaLink="true">{url}</guid>\n'
        f"  <pubDate>{format_datetime(story.published)}</pubDate>\n"
        f"  <dc:creator>{xml_escape(story.author)}</dc:creator>\n"
        f"  <category>{xml_escape(section)}</category>\n"
        f"  <description>{xml_escape(story.teaser(30))}</description>\n</item>"
    )


def render_rss(stories: list[Story]) -> str:
    """The Herald's RSS 2.0 feed."""
    items = "\n".join(rss_item(s) for s in stories)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>The Seoul Herald - Latest News</title>
<link>{{base_url}}/herald/</link>
<atom:link href="{{base_url}}/herald/rss.xml" rel="self" type="application/rss+xml"/>
<description>Latest stories from The Seoul Herald</description>
<language>en</language>
<lastBuildDate>{format_datetime(stories[0].published)}</lastBuildDate>
{items}
</channel>
</rss>
"""


def atom_entry(story: Story) -> str:
    """One Atom ``<entry>``."""
    outlet = OUTLETS[story.site]
    section = outlet.sections[story.section]
    return (
        "<entry>\n"
        f"  <title>{xml_escape(story.title)}</title>\n"
        f'  <link rel="alternate" type="text/html" href="{{base_url}}{story.path}"/>\n'
        f"  <id>tag:{outlet.host},{story.published:%Y-%m-%d}:{story.path}</id>\n"
        f"  <published>{story.published.isoformat()}</published>\n"
        f"  <updated>{story.modified.isoformat()}</updated>\n"
        f"  <author><name>{xml_escape(story.author or outlet.name)}</name></author>\n"
        f'  <category term="{story.section}" label="{xml_escape(section)}"/>\n'
        f"  <summary>{xml_escape(story.teaser(30))}</summary>\n</entry>"
    )


def render_atom(stories: list[Story]) -> str:
    """The Daily's Atom feed."""
    entries = "\n".join(atom_entry(s) for s in stories)
    updated = max(s.modified for s in stories).isoformat()
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<title>Peninsula Daily</title>
<subtitle>Latest stories</subtitle>
<link rel="self" type="application/atom+xml" href="{{base_url}}/daily/atom.xml"/>
<link rel="alternate" type="text/html" href="{{base_url}}/daily/"/>
<id>tag:peninsuladaily.example,2015:/daily/</id>
<updated>{updated}</updated>
{entries}
</feed>
"""


def news_url(story: Story) -> str:
    """One Google News sitemap ``<url>``."""
    language = "ko" if story.kind == "korean" else "en"
    return (
        f"<url>\n  <loc>{{base_url}}{story.path}</loc>\n  <news:news>\n"
        f"    <news:publication><news:name>{xml_escape(OUTLETS[story.site].name)}</news:name>"
        f"<news:language>{language}</news:language></news:publication>\n"
        f"    <news:publication_date>{story.published.isoformat()}</news:publication_date>\n"
        f"    <news:title>{xml_escape(story.title)}</news:title>\n  </news:news>\n</url>"
    )


def render_urlset(stories: list[Story], news: bool) -> str:
    """A news sitemap, or the plain sitemap (served gzipped) with ``lastmod``."""
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    if news:
        ns += ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
        urls = [news_url(s) for s in stories]
    else:
        urls = [
            f"<url><loc>{{base_url}}{s.path}</loc><lastmod>{s.modified.isoformat()}</lastmod></url>"
            for s in stories
        ]
    body = "\n".join(urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {ns}>\n{body}\n</urlset>\n'


def render_sitemap_index(latest: datetime) -> str:
    """``/sitemap.xml``: points at the news sitemap and the gzipped sitemap."""
    entries = "\n".join(
        f"<sitemap><loc>{{base_url}}/{name}</loc><lastmod>{latest.isoformat()}</lastmod></sitemap>"
        for name in ("news-sitemap.xml", "sitemap-articles.xml.gz")
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{entries}\n'
        "</sitemapindex>\n"
    )


ROBOTS = """# Sample news site (Seoul Herald and Peninsula Daily): one rule for every crawler.
User-agent: *
Disallow: /daily/private/

Sitemap: {base_url}/sitemap.xml
"""

ROOT_INDEX = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sample news site</title></head>
<body>
<h1>Sample news site</h1>
<p>Two fictional outlets, served offline for Press Monitor's tests and demo.</p>
<ul>
<li><a href="/herald/">The Seoul Herald</a> (<a href="/herald/rss.xml">RSS</a>)</li>
<li><a href="/daily/">Peninsula Daily</a> (<a href="/daily/atom.xml">Atom</a>)</li>
</ul>
</body>
</html>
"""


# ---- manifest ---------------------------------------------------------------


def toml_value(value: object) -> str:
    """A TOML literal for a str, int, bool or list of those."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def story_entry(site: Site, story: Story) -> dict[str, object]:
    """The manifest entry of one page at an article URL."""
    entry: dict[str, object] = {
        "path": story.path,
        "site": story.site,
        "outcome": OUTCOMES[story.kind],
        "kind": "article-url",
        "title": story.title,
        "section": story.section,
        "via": list(story.via),
        "published": story.published.isoformat(),
    }
    if story.body:
        entry["author"] = story.author
        entry["language"] = "ko" if story.kind == "korean" else "en"
        entry["must_contain"] = list(story.must_contain)
        entry["words"] = len(story.body.split())
    extras = {"status": 500 if story.kind == "error" else None, "note": story.note}
    extras["encoding"] = "euc-kr" if story.kind == "korean" else None
    if story.near_duplicate_of:
        _site, key = story.near_duplicate_of.split(":")
        extras["near_duplicate_of"] = site.by_key[key].path
    entry.update({k: v for k, v in extras.items() if v})
    return entry


def utm_entry(story: Story) -> dict[str, object]:
    """The manifest entry of an exact copy reached under a tracking URL."""
    return {
        "path": story.path + story.feed_query,
        "site": story.site,
        "outcome": "duplicate",
        "kind": "article-url",
        "title": story.title,
        "via": ["feed"],
        "same_as": story.path,
        "note": "exact copy under a tracking query string (linked from the RSS feed only)",
    }


def listing_entries(pages: dict[str, str], outlet: Outlet) -> list[dict[str, object]]:
    """Manifest entries of an outlet's front and section pages."""
    entries = []
    for path in sorted(p for p in pages if p.startswith(f"/{outlet.slug}/")):
        front = path == f"/{outlet.slug}/"
        entries.append(
            {
                "path": path,
                "site": outlet.slug,
                "outcome": "listing",
                "kind": "front" if front else "section",
                "via": ["start"] if front else ["listing"],
            }
        )
    return entries


def render_manifest(site: Site, listings: dict[str, str]) -> str:
    """``MANIFEST.toml``: every page and the outcome a crawl of both outlets must give."""
    out = [
        "# Generated by build.py from src/: do not edit by hand. See README.md for the fields.",
        "version = 1",
        "furniture = [",
        *[f"  {toml_value(line)}," for line in FURNITURE],
        "]",
        "",
    ]
    for slug, outlet in OUTLETS.items():
        popular = [site.by_key[k].title for k in outlet.popular]
        out += [f"[sites.{slug}]", f"name = {toml_value(outlet.name)}"]
        out += [f"popular = {toml_value(popular)}", ""]
    entries = []
    for slug, outlet in OUTLETS.items():
        entries += listing_entries(listings, outlet)
        for story in sorted(site.of(slug), key=lambda s: s.path):
            entries.append(story_entry(site, story))
            if story.feed_query:
                entries.append(utm_entry(story))
    for entry in entries:
        out += ["[[page]]", *[f"{k} = {toml_value(v)}" for k, v in entry.items()], ""]
    return "\n".join(out)


# ---- build ------------------------------------------------------------------


def story_file(site: Site, story: Story) -> bytes | None:
    """The bytes served at a story's path (None: the server answers alone)."""
    if story.kind == "error":
        return None
    if story.kind == "korean":
        return render_korean(site, story)
    if story.kind == "challenge":
        return render_challenge(story).encode()
    if story.kind == "headlines":
        return headlines_page(site, story).encode()
    return render_article(site, story).encode()


def listing_files(site: Site) -> dict[str, str]:
    """Front and section pages of both outlets, by URL path."""
    pages: dict[str, str] = {}
    for outlet in OUTLETS.values():
        pages[f"/{outlet.slug}/"] = front_page(site, outlet)
        for section in outlet.sections:
            pages.update(section_pages(site, outlet, section))
    return pages


def discovery_files(site: Site) -> dict[str, str]:
    """Feeds, sitemaps and robots.txt, by URL path."""
    herald = [s for s in site.of("herald") if "feed" in s.via or s.feed_query]
    daily = [s for s in site.of("daily") if "feed" in s.via]
    everything = sorted(site.stories, key=lambda s: s.published, reverse=True)
    return {
        "/herald/rss.xml": render_rss(herald),
        "/daily/atom.xml": render_atom(daily),
        "/sitemap.xml": render_sitemap_index(everything[0].modified),
        "/news-sitemap.xml": render_urlset(
            [s for s in everything if "news-sitemap" in s.via], True
        ),
        "/sitemap-articles.xml": render_urlset(
            [s for s in everything if "sitemap" in s.via], False
        ),
        "/robots.txt": ROBOTS,
        "/": ROOT_INDEX,
    }


def www_name(url_path: str) -> str:
    """URL path → file under ``www/`` (directories get ``index.html``)."""
    return "www" + url_path + ("index.html" if url_path.endswith("/") else "")


def collect() -> dict[str, bytes]:
    """Every generated file, by path relative to the sample-site root."""
    site = load_site()
    check_site(site)
    listings = listing_files(site)
    files = {www_name(p): t.encode() for p, t in {**listings, **discovery_files(site)}.items()}
    for story in site.stories:
        data = story_file(site, story)
        if data is not None:
            files[www_name(story.path)] = data
    files["MANIFEST.toml"] = render_manifest(site, listings).encode()
    return files


def stale(files: dict[str, bytes]) -> list[str]:
    """Generated files that differ from (or are missing in) the checkout, plus strays."""
    wrong = [
        n
        for n, data in files.items()
        if not (ROOT / n).is_file() or (ROOT / n).read_bytes() != data
    ]
    present = {str(p.relative_to(ROOT)) for p in (ROOT / "www").rglob("*") if p.is_file()}
    return sorted(wrong + list(present - set(files)))


def write(files: dict[str, bytes]) -> None:
    """Replace ``www/`` and ``MANIFEST.toml`` with ``files``."""
    shutil.rmtree(ROOT / "www", ignore_errors=True)
    for name, data in files.items():
        target = ROOT / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def main(argv: list[str] | None = None) -> int:
    """Command line: build, or ``--check`` that the committed output is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if www/ is stale")
    args = parser.parse_args(argv)
    files = collect()
    if args.check:
        bad = stale(files)
        print("\n".join(f"stale: {n}" for n in bad) or "up to date")
        return 1 if bad else 0
    write(files)
    print(f"wrote {len(files)} files, {sum(map(len, files.values())):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
