"""URL rules: the canonical form of a URL, the URL an article is stored under, scheme safety.

Everything here is pure and knows nothing of Scrapy. ``canonical_url`` is what dedupe keys
articles on (NET-9: tracking and session parameters never make a second copy); ``is_http_url``
and ``resolve_link`` keep ``javascript:``/``data:`` links out (SEC-2). Host and domain checks
and address safety (SEC-5) are :mod:`monitor.hosts`; its public names are re-exported here.

``site_canonical_url`` adds what only a site's config can tell: with ``fold_hosts = true``
the site's ``www.``/``m.``/``mobile.``/``amp.``/``m-`` hosts and its AMP pages are one URL.
``preferred_url`` picks the URL an article is stored under (its declared canonical link when
that is trustworthy).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, unquote_plus, urljoin, urlsplit, urlunsplit

from monitor._urlsplit import _C0_OR_SPACE, HTTP_SCHEMES, _split
from monitor.hosts import (
    _canonical_host,
    _fold_host,
    _fold_targets,
    host_of,
    is_public_address,
    on_domains,
)

if TYPE_CHECKING:
    from monitor.config import Site

__all__ = [
    "HTTP_SCHEMES",
    "TRACKING_PARAMS",
    "canonical_url",
    "host_of",
    "is_http_url",
    "is_public_address",
    "on_domains",
    "preferred_url",
    "resolve_link",
    "site_canonical_url",
    "try_canonical_url",
    "try_site_canonical_url",
]

#: Query parameters dropped by :func:`canonical_url`; a trailing ``*`` makes a prefix pattern.
#: Matching ignores case. Click ids and session ids never select different content.
TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*",
    "fbclid",
    "gclid",
    "mc_*",
    "ga_*",
    "_ga",
    "ref",
    "cmpid",
    "dclid",
    "msclkid",
    "yclid",
    "igshid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "jsessionid",
    "phpsessid",
)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_SAFE = string.ascii_letters + string.digits + "-._~" + "!$&'()*+,;=" + ":@"
_PATH_TOKEN = re.compile(r"%[0-9A-Fa-f]{2}|[^" + re.escape(_SAFE + "/") + "]")
_QUERY_TOKEN = re.compile(r"%[0-9A-Fa-f]{2}|[^" + re.escape(_SAFE + "/?") + "]")
_USERINFO_TOKEN = re.compile(r"%[0-9A-Fa-f]{2}|[^" + re.escape(_SAFE.replace("@", "")) + "]")
_AMP_QUERY = frozenset({"amp", "amp=1", "amp=true", "amp=", "outputtype=amp"})


def canonical_url(url: str, extra_tracking: Iterable[str] = ()) -> str:
    """The one spelling of ``url`` that dedupe and ``seen_urls`` key on.

    Lower-cases scheme and host, turns IDN hosts into punycode, drops the default port,
    the fragment and tracking parameters (:data:`TRACKING_PARAMS` plus ``extra_tracking``),
    sorts the remaining query parameters by name (stable: repeated keys keep their order),
    normalises percent-encoding and resolves dot segments. Idempotent.
    Raises ``ValueError`` for anything that is not an absolute http(s) URL with a host.
    """
    parts = _split(url, http_only=True)
    patterns = tuple(p.lower() for p in (*TRACKING_PARAMS, *extra_tracking))
    query = _canonical_query(parts.query, patterns)
    return urlunsplit((parts.scheme, _authority(parts), _canonical_path(parts.path), query, ""))


def try_canonical_url(url: str, extra_tracking: Iterable[str] = ()) -> str | None:
    """:func:`canonical_url`, or ``None`` where it would raise ``ValueError``."""
    try:
        return canonical_url(url, extra_tracking)
    except ValueError:
        return None


def site_canonical_url(
    url: str, site: Site | None = None, extra_tracking: Iterable[str] = ()
) -> str:
    """:func:`canonical_url`, then the folding ``site`` asks for (``fold_hosts = true``).

    Folding applies only to URLs on the site's ``domains``:

    - host: leading ``www.`` (also ``www1.``, ``www01.``), ``m.``, ``mobile.``, ``amp.`` and
      ``m-`` (``m-en.yna.co.kr``) are removed for as long as the rest is still on the site's
      domains, giving the bare host; that becomes the first host written in the site's config
      (``start_urls``, then ``feeds``, ``sitemaps``, ``domains``) that is the bare host or
      ``www.`` + the bare host, else the bare host itself. So for a site whose first start
      URL is on ``www.koreaherald.com``, ``m.koreaherald.com`` becomes ``www.koreaherald.com``;
    - path: leading and trailing ``amp`` segments go (``/amp/a`` → ``/a``, ``/a/amp`` → ``/a``,
      ``/a/amp/`` → ``/a/``); ``/ampere`` is not an ``amp`` segment;
    - query: ``amp``, ``amp=1``, ``amp=true`` and ``outputType=amp`` go.

    Scheme and port are kept. Idempotent. Raises ``ValueError`` like :func:`canonical_url`.
    """
    canonical = canonical_url(url, extra_tracking)
    if site is None or not site.fold_hosts or not on_domains(canonical, site.domains):
        return canonical
    parts = urlsplit(canonical)
    targets = _fold_targets((*site.start_urls, *site.feeds, *site.sitemaps), site.domains)
    host = _fold_host(parts.hostname or "", site.domains, targets)
    netloc = parts.netloc
    if host != parts.hostname:
        userinfo, at, _ = netloc.rpartition("@")
        netloc = userinfo + at + host + (f":{parts.port}" if parts.port is not None else "")
    path, query = _fold_amp_path(parts.path), _fold_amp_query(parts.query)
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def try_site_canonical_url(
    url: str, site: Site | None = None, extra_tracking: Iterable[str] = ()
) -> str | None:
    """:func:`site_canonical_url`, or ``None`` where it would raise ``ValueError``."""
    try:
        return site_canonical_url(url, site, extra_tracking)
    except ValueError:
        return None


def preferred_url(
    fetched: str,
    declared: str | None,
    site: Site | None,
    extra_tracking: Iterable[str] = (),
) -> str:
    """The URL an article is stored under, site-canonicalised.

    ``declared`` is what the page says about itself (``<link rel=canonical>``, else
    ``og:url``). It wins over ``fetched`` when it is an absolute http(s) URL (or starts with
    ``/``, resolved against ``fetched``) on the same site (the site's ``domains``; without a
    site, the fetched URL's domain), is not the home page, a start URL or a ``listing_urls``
    match, and matches the site's ``article_urls`` when it has some. Otherwise (a canonical
    link to another outlet, to the front page, a scheme-less ``example.com/a``) the fetched
    URL is kept. Raises ``ValueError`` when ``fetched`` is no http(s) URL.
    """
    extra = tuple(extra_tracking)
    own = site_canonical_url(fetched, site, extra)
    absolute = _absolute_declared(declared, own)
    if absolute is None:
        return own
    candidate = try_site_canonical_url(absolute, site, extra)
    if candidate is None or not _trusted_declared(candidate, own, site, extra):
        return own
    return candidate


def is_http_url(url: str) -> bool:
    """True for a well-formed absolute http(s) URL with a host (never ``javascript:``,
    ``data:``, ``vbscript:``, ``file:``, ``mailto:`` …: SEC-2)."""
    return isinstance(url, str) and try_canonical_url(url) is not None


def resolve_link(href: str, base: str) -> str | None:
    """``href`` made absolute against ``base`` with its fragment dropped, but not
    canonicalised; ``None`` unless the result is an http(s) URL (SEC-2)."""
    try:
        absolute = urljoin(base, href.strip(_C0_OR_SPACE))
    except ValueError:
        return None
    absolute = absolute.partition("#")[0]
    return absolute if is_http_url(absolute) else None


def _fold_amp_path(path: str) -> str:
    """Leading and trailing ``amp`` segments removed; a trailing slash stays as it was."""
    segments = path.split("/")[1:]
    while segments and segments[0] == "amp":
        segments.pop(0)
    while segments:
        if segments[-1] == "amp":
            segments.pop()
        elif len(segments) >= 2 and segments[-2:] == ["amp", ""]:
            del segments[-2]
        else:
            break
    return "/" + "/".join(segments)


def _fold_amp_query(query: str) -> str:
    """The canonical query without its AMP switches (``amp=1``, ``outputType=amp`` …)."""
    pairs = [pair for pair in query.split("&") if pair]
    return "&".join(pair for pair in pairs if unquote_plus(pair).lower() not in _AMP_QUERY)


def _absolute_declared(declared: str | None, base: str) -> str | None:
    """``declared`` when absolute http(s); resolved against ``base`` when it starts with
    ``/``; else ``None`` (a scheme-less ``example.com/a`` is more often a bug than a path)."""
    if not isinstance(declared, str) or not declared.strip(_C0_OR_SPACE):
        return None
    text = declared.strip(_C0_OR_SPACE)
    if text.startswith("/"):
        return resolve_link(text, base)
    return text if is_http_url(text) else None


def _trusted_declared(
    candidate: str, own: str, site: Site | None, extra_tracking: tuple[str, ...]
) -> bool:
    """True when a page's declared canonical URL may replace the URL it was fetched at."""
    domains = site.domains if site is not None else (host_of(own),)
    if not on_domains(candidate, domains):
        return False
    parts = urlsplit(candidate)
    if parts.path == "/" and not parts.query:
        return False
    if site is None:
        return True
    starts = {try_site_canonical_url(url, site, extra_tracking) for url in site.start_urls}
    if candidate in starts or site.is_listing_url(candidate):
        return False
    return not site.article_urls or site.is_article_url(candidate)


def _authority(parts: SplitResult) -> str:
    """``[userinfo@]host[:port]`` with the default port for the scheme dropped."""
    host = _canonical_host(parts.hostname, parts.geturl())
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    return _normalise(userinfo, _USERINFO_TOKEN) + at + host


def _canonical_path(path: str) -> str:
    """Percent-encoding normalised, dot segments resolved, ``/`` when empty."""
    return _remove_dot_segments(_normalise(path, _PATH_TOKEN) or "/")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute path: ``/a/./b/../c`` → ``/a/c``."""
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    trailing = "/" if kept and segments[-1] in (".", "..") else ""
    return "/" + "/".join(kept) + trailing


def _canonical_query(query: str, patterns: tuple[str, ...]) -> str:
    """Tracking parameters removed, the rest sorted by name; blank values kept as written."""
    pairs = [_normalise(pair, _QUERY_TOKEN) for pair in query.split("&") if pair]
    kept = [pair for pair in pairs if not _is_tracking(pair.partition("=")[0], patterns)]
    kept.sort(key=lambda pair: pair.partition("=")[0])
    return "&".join(kept)


def _is_tracking(key: str, patterns: tuple[str, ...]) -> bool:
    """True when the (encoded) parameter name matches a tracking pattern."""
    name = unquote_plus(key).lower()
    for pattern in patterns:
        if name == pattern or (pattern.endswith("*") and name.startswith(pattern[:-1])):
            return True
    return False


def _normalise(text: str, token: re.Pattern[str]) -> str:
    """One pass over ``text``: decode escaped unreserved characters, upper-case the other
    escapes, percent-encode (UTF-8) whatever may not appear literally, a stray ``%`` too."""
    return token.sub(_normalise_token, text)


def _normalise_token(match: re.Match[str]) -> str:
    token = match.group()
    if len(token) == 3:
        char = chr(int(token[1:], 16))
        return char if char in _UNRESERVED else token.upper()
    return "".join(f"%{byte:02X}" for byte in token.encode("utf-8"))
