"""Which addresses a user-supplied URL may reach, checked where the socket is made.

A feed URL typed by a chat user must never make the bot talk to itself, its LAN or a cloud
metadata service. Checking the hostname once is not enough (DNS can answer differently a
second later, "rebinding"), so the policy is applied three times: to the URL as written,
to every address the resolver returns, and to the exact address each socket connects to
(aiohttp's ``socket_factory``). The tables are explicit prefixes compared as integers so the
verdict does not change with the Python version's ``ipaddress.is_private`` quirks.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from bot.core.errors import UnsafeURLError


class UnsafeAddressError(OSError):
    """Raised inside aiohttp's connect path; the fetcher turns it into UnsafeURLError."""


def _v4(prefix: str) -> tuple[int, int, str]:
    net = ipaddress.IPv4Network(prefix)
    return int(net.network_address), net.prefixlen, prefix


def _v6(prefix: str) -> tuple[int, int, str]:
    net = ipaddress.IPv6Network(prefix)
    return int(net.network_address), net.prefixlen, prefix


# (network, prefix length, words). Everything not listed is public.
_V4_REFUSED: tuple[tuple[tuple[int, int, str], str], ...] = (
    (_v4("0.0.0.0/8"), "a 'this network' address"),
    (_v4("10.0.0.0/8"), "a private address"),
    (_v4("100.64.0.0/10"), "a carrier-grade NAT address"),
    (_v4("127.0.0.0/8"), "a loopback address"),
    (_v4("169.254.0.0/16"), "a link-local or cloud metadata address"),
    (_v4("172.16.0.0/12"), "a private address"),
    (_v4("192.0.0.0/24"), "an IETF protocol address"),
    (_v4("192.0.2.0/24"), "a documentation address"),
    (_v4("192.88.99.0/24"), "a 6to4 relay address"),
    (_v4("192.168.0.0/16"), "a private address"),
    (_v4("198.18.0.0/15"), "a benchmarking address"),
    (_v4("198.51.100.0/24"), "a documentation address"),
    (_v4("203.0.113.0/24"), "a documentation address"),
    (_v4("224.0.0.0/4"), "a multicast address"),
    (_v4("240.0.0.0/4"), "a reserved or broadcast address"),
)
# Forms that embed or translate an IPv4 address are refused outright: their target is
# whatever IPv4 address they carry, and no feed needs them.
_V6_REFUSED: tuple[tuple[tuple[int, int, str], str], ...] = (
    (_v6("::ffff:0:0/96"), "an IPv4-mapped IPv6 address"),
    (_v6("::/96"), "an IPv4-compatible, loopback or unspecified IPv6 address"),
    (_v6("64:ff9b::/96"), "a NAT64 address"),
    (_v6("64:ff9b:1::/48"), "a local NAT64 address"),
    (_v6("100::/64"), "a discard-only IPv6 address"),
    (_v6("2001::/23"), "an IETF protocol (Teredo, ORCHID) IPv6 address"),
    (_v6("2001:db8::/32"), "a documentation IPv6 address"),
    (_v6("2002::/16"), "a 6to4 IPv6 address"),
    (_v6("3fff::/20"), "a documentation IPv6 address"),
    (_v6("5f00::/16"), "a segment-routing IPv6 address"),
    (_v6("fc00::/7"), "a unique-local (private) IPv6 address"),
    (_v6("fe80::/10"), "a link-local IPv6 address"),
    (_v6("fec0::/10"), "a site-local IPv6 address"),
    (_v6("ff00::/8"), "a multicast IPv6 address"),
)
_V6_GLOBAL = _v6("2000::/3")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def _within(value: int, bits: int, net: tuple[int, int, str]) -> bool:
    network, prefix, _ = net
    shift = bits - prefix
    return (value >> shift) == (network >> shift)


def address_refusal(address: str) -> str | None:
    """Why connecting to this IP literal is refused, or None if it is public."""
    literal = address.split("%", 1)[0]  # a zone id does not change the address class
    try:
        ip = ipaddress.ip_address(literal)
    except ValueError:
        return f"{address!r} is not an IP address"
    value = int(ip)
    if ip.version == 4:
        for net, words in _V4_REFUSED:
            if _within(value, 32, net):
                return f"{ip} is {words}"
        return None
    for net, words in _V6_REFUSED:
        if _within(value, 128, net):
            return f"{ip} is {words}"
    if not _within(value, 128, _V6_GLOBAL):
        return f"{ip} is not a global unicast IPv6 address"
    return None


def _legacy_ipv4(host: str) -> str | None:
    """The address a libc would read from forms like 0x7f.1, 2130706433 or 0177.0.0.1."""
    if not host or any(ch not in "0123456789abcdefxABCDEFX." for ch in host):
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None


def check_url(url: str, *, allow_private: bool = False) -> None:
    """Refuse URLs that are unsafe before any connection: scheme, userinfo, local names,
    and IP literals (including legacy numeric spellings) that fall in the refused tables."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as err:
        raise UnsafeURLError(f"the address {url!r} is malformed") from err
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeURLError("only http:// and https:// addresses can be fetched")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeURLError("addresses with a user name or password are not allowed")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise UnsafeURLError("the address has no host name")
    if allow_private:
        return
    if host in _LOCAL_NAMES or host.endswith((".localhost", ".local", ".internal")):
        raise UnsafeURLError(f"{host} is a local host name")
    literal = _legacy_ipv4(host) or host
    if literal != host or ":" in host or _looks_like_ipv4(host):
        refusal = address_refusal(literal)
        if refusal is not None:
            raise UnsafeURLError(f"refused: {refusal}")


def _looks_like_ipv4(host: str) -> bool:
    return host.replace(".", "").isdigit()


class GuardedResolver(AbstractResolver):
    """Drops refused addresses from DNS answers; fails when none is left."""

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if address_refusal(r["host"]) is None]
        if not allowed:
            reasons = sorted({address_refusal(r["host"]) or "" for r in results})
            raise UnsafeAddressError(f"refused: {host} resolves to " + "; ".join(reasons))
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def guarded_socket(addr_info: tuple[Any, ...]) -> socket.socket:
    """The last gate: the address this very socket is about to connect to."""
    family, type_, proto, _, sockaddr = addr_info
    refusal = address_refusal(str(sockaddr[0]))
    if refusal is not None:
        raise UnsafeAddressError(f"refused at connect time: {refusal}")
    return socket.socket(family=family, type=type_, proto=proto)


def make_connector(
    *,
    allow_private: bool,
    limit: int,
    limit_per_host: int,
    inner_resolver: AbstractResolver | None = None,
) -> aiohttp.TCPConnector:
    """A connector whose every connection is checked, unless private addresses are allowed.

    ``inner_resolver`` replaces DNS (tests use it to simulate a rebinding answer)."""
    if allow_private:
        return aiohttp.TCPConnector(
            limit=limit, limit_per_host=limit_per_host, ttl_dns_cache=300, resolver=inner_resolver
        )
    return aiohttp.TCPConnector(
        limit=limit,
        limit_per_host=limit_per_host,
        ttl_dns_cache=300,
        resolver=GuardedResolver(inner_resolver),
        socket_factory=guarded_socket,
    )


def find_refusal(err: BaseException) -> str | None:
    """The refusal words if ``err`` (or anything it wraps) came from this module."""
    seen: set[int] = set()
    stack: list[BaseException] = [err]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, UnsafeAddressError):
            return str(current)
        for attr in ("os_error", "__cause__", "__context__"):
            inner = getattr(current, attr, None)
            if isinstance(inner, BaseException):
                stack.append(inner)
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        if "refused at connect time" in str(current):
            # Happy eyeballs folds several socket errors into one plain OSError.
            return "refused at connect time: " + str(current).split("refused at connect time: ")[1]
    return None
