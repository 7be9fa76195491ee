"""URL rules: the canonical form of a URL, host and domain checks, scheme and address safety.

Everything here is pure and knows nothing of Scrapy. ``canonical_url`` is what dedupe keys
articles on (NET-9: tracking and session parameters never make a second copy); ``is_http_url``
and ``resolve_link`` keep ``javascript:``/``data:`` links out (SEC-2); ``is_public_address``
is the SSRF check for URLs that come from untrusted input (SEC-5).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import string
from collections.abc import Iterable
from urllib.parse import SplitResult, unquote_plus, urljoin, urlsplit, urlunsplit

__all__ = [
    "HTTP_SCHEMES",
    "TRACKING_PARAMS",
    "canonical_url",
    "host_of",
    "is_http_url",
    "is_public_address",
    "on_domains",
    "resolve_link",
    "try_canonical_url",
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

#: The only schemes a crawled or rendered link may have (SEC-2).
HTTP_SCHEMES = frozenset({"http", "https"})

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_SAFE = string.ascii_letters + string.digits + "-._~" + "!$&'()*+,;=" + ":@"
_PATH_TOKEN = re.compile(r"%[0-9A-Fa-f]{2}|[^" + re.escape(_SAFE + "/") + "]")
_QUERY_TOKEN = re.compile(r"%[0-9A-Fa-f]{2}|[^" + re.escape(_SAFE + "/?") + "]")
_USERINFO_TOKEN = re.compile(r"%[0-9A-Fa-f]{2}|[^" + re.escape(_SAFE.replace("@", "")) + "]")
_C0_OR_SPACE = "".join(chr(code) for code in range(0x21))  # stripped from both ends (WHATWG)
_HOST_NAME = re.compile(r"(?!.*\.\.)[a-z0-9_-][a-z0-9_.-]*")


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


def host_of(url: str) -> str:
    """The URL's host: lower case, punycode, no port, no brackets around IPv6.

    Raises ``ValueError`` when ``url`` has no valid host.
    """
    return _canonical_host(_split(url).hostname, url)


def on_domains(url: str, domains: Iterable[str]) -> bool:
    """True when the URL's host is one of ``domains`` or a subdomain of one.

    A leading ``www.`` on a domain is ignored, so ``example.com`` and ``www.example.com``
    both allow ``example.com``, ``www.example.com`` and ``m.example.com``.
    An invalid URL is on no domain.
    """
    try:
        host = host_of(url)
    except ValueError:
        return False
    for domain in domains:
        name = _domain(domain)
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def is_public_address(host: str) -> bool:
    """True only when ``host`` resolves and every address it resolves to is public.

    Loopback, private, link-local, CGNAT (100.64/10), reserved, multicast and unspecified
    addresses are not (SEC-5), including their IPv4-mapped forms and the numeric spellings
    ``inet_aton`` accepts (``0x7f000001``, ``2130706433``, ``127.1``, ``0177.0.0.1``).
    A name that does not resolve is not public. Call it at fetch time and on every redirect.
    """
    name = host.strip().strip("[]")
    if not name or any(c.isspace() for c in name):
        return False
    addresses = _resolve(name)
    return bool(addresses) and all(_is_public_ip(address) for address in addresses)


def _show(url: object) -> str:
    """``url`` for an error message, shortened."""
    text = repr(url)
    return text if len(text) <= 120 else text[:117] + "..."


def _split(url: str, http_only: bool = False) -> SplitResult:
    """``urlsplit`` that raises a clear ``ValueError`` for garbage, URLs without a host and,
    with ``http_only``, schemes other than http(s)."""
    if not isinstance(url, str):
        raise ValueError(f"a URL must be a string, got {type(url).__name__}")
    try:
        parts = urlsplit(url.strip(_C0_OR_SPACE))
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {_show(url)} ({exc})") from exc
    if http_only and parts.scheme not in HTTP_SCHEMES:
        raise ValueError(f"not an http(s) URL: {_show(url)}; only http and https are allowed")
    if not parts.netloc or "\\" in parts.netloc:
        raise ValueError(f"URL has no valid host: {_show(url)}; give an absolute http(s) URL")
    return parts


def _canonical_host(hostname: str | None, url: str) -> str:
    """The host lower-cased and in punycode; IPv6 compressed; a trailing dot dropped."""
    if not hostname:
        raise ValueError(f"URL has no host: {_show(url)}")
    if ":" in hostname:
        try:
            return ipaddress.IPv6Address(hostname).compressed
        except ValueError as exc:
            raise ValueError(f"invalid IPv6 host in {_show(url)}") from exc
    host = hostname.lower().rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError as exc:
            raise ValueError(f"invalid internationalised host in {_show(url)}") from exc
    if not _HOST_NAME.fullmatch(host):
        raise ValueError(f"invalid host {hostname!r} in {_show(url)}")
    return host


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


def _domain(domain: str) -> str:
    """A configured domain as a bare host: lower case, punycode, no ``www.``/``*.`` prefix."""
    name = domain.strip().lower().lstrip("*.").rstrip(".")
    name = name.removeprefix("www.")
    try:
        return name.encode("idna").decode("ascii").lower() if not name.isascii() else name
    except UnicodeError:
        return ""


def _resolve(name: str) -> set[str]:
    """Every address ``name`` stands for: numeric spellings without DNS, names via getaddrinfo."""
    try:
        return {str(ipaddress.ip_address(name.split("%")[0]))}
    except ValueError:
        pass
    try:
        return {str(ipaddress.IPv4Address(socket.inet_aton(name)))}
    except OSError:
        pass
    try:
        infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return set()
    return {str(info[4][0]).split("%")[0] for info in infos}


def _is_public_ip(text: str) -> bool:
    """True for a globally routable unicast address."""
    ip = ipaddress.ip_address(text)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not _is_public_ip(str(embedded)):
            return False
    special = ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback
    return ip.is_global and not (special or ip.is_link_local or ip.is_private)
