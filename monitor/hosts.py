"""Host rules: the host of a URL, domain checks, host folding and address safety.

Everything here knows nothing of Scrapy. ``host_of`` gives a URL's host in its one spelling
(lower case, punycode); ``on_domains`` tells whether it is on a site's ``domains``;
``is_public_address`` is the SSRF check for URLs that come from untrusted input (SEC-5).

The folding helpers serve :func:`monitor.urls.site_canonical_url`: with ``fold_hosts = true``
the site's ``www.``/``m.``/``mobile.``/``amp.``/``m-`` hosts become the one host its config names.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from functools import lru_cache

from monitor._urlsplit import _show, _split

__all__ = [
    "host_of",
    "is_public_address",
    "on_domains",
]

_HOST_NAME = re.compile(r"(?!.*\.\.)[a-z0-9_-][a-z0-9_.-]*")
#: Host prefixes that ``fold_hosts`` removes: www (and mirrors www1., www01.), mobile, AMP.
_FOLD_PREFIX = re.compile(r"(?:www\d*|m|mobile|amp)\.|m-")
#: Folded hosts that may still be a site's canonical host: none, or plain ``www.``.
_TARGET_PREFIX = re.compile(r"(?:www\.)?")


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
    return _host_on_domains(host, domains)


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


def _host_on_domains(host: str, domains: Iterable[str]) -> bool:
    """True when the canonical ``host`` is one of ``domains`` or a subdomain of one."""
    for domain in domains:
        name = _domain(domain)
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _bare_host(host: str, domains: tuple[str, ...]) -> str:
    """``host`` without its fold prefixes, as long as what is left stays on ``domains``."""
    while match := _FOLD_PREFIX.match(host):
        rest = host[match.end() :]
        if "." not in rest or not _host_on_domains(rest, domains):
            break
        host = rest
    return host


@lru_cache(maxsize=256)
def _fold_targets(sources: tuple[str, ...], domains: tuple[str, ...]) -> dict[str, str]:
    """Bare host → the site's canonical spelling of it, from the hosts its config names."""
    hosts = []
    for url in sources:
        try:
            hosts.append(host_of(url))
        except ValueError:
            continue
    for domain in domains:
        try:
            hosts.append(host_of("http://" + domain.strip().lstrip("*.")))
        except ValueError:
            continue
    targets: dict[str, str] = {}
    for host in hosts:
        bare = _bare_host(host, domains)
        if _TARGET_PREFIX.fullmatch(host[: len(host) - len(bare)]):
            targets.setdefault(bare, host)
    return targets


def _fold_host(host: str, domains: tuple[str, ...], targets: dict[str, str]) -> str:
    """The site's canonical host for ``host``."""
    bare = _bare_host(host, domains)
    return targets.get(bare, bare)


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
