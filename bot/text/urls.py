"""Canonical article URLs, so the same story linked two ways is stored once.

Publishers decorate links with campaign parameters and fragments; two feeds (or one feed
on two days) often point at the same page through different decorations. The canonical
form keeps everything that selects content and drops what only tracks the reader.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Exact parameter names that only identify a campaign or a click, never the content.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gclsrc",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref",
        "ref_src",
        "ref_url",
        "referrer",
        "cmpid",
        "ito",
        "itm_source",
        "itm_medium",
        "itm_campaign",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "ocid",
        "smid",
        "sr_share",
        "spm",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "s_cid",
        "at_medium",
        "at_campaign",
        "wt.mc_id",
        "wt_mc_id",
        "ftag",
        "guccounter",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "__twitter", "vero_", "oly_")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The URL without tracking, fragment, default port or case differences in scheme/host.

    Junk (not an absolute http(s)-like URL) comes back stripped but otherwise untouched,
    because a guid-like string is still a useful dedupe key.
    """
    stripped = url.strip()
    try:
        parts = urlsplit(stripped)
        port = parts.port
    except ValueError:
        return stripped
    scheme = parts.scheme.lower()
    if not scheme or not parts.netloc or parts.hostname is None:
        return stripped
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host
    if parts.username is not None:
        userinfo = parts.username
        if parts.password is not None:
            userinfo += f":{parts.password}"
        netloc = f"{userinfo}@{host}"
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    query_pairs = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name)
    ]
    query = urlencode(sorted(query_pairs))
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


@functools.cache
def _suffix_lists() -> tuple[Any, Any]:
    from publicsuffixlist import PublicSuffixList  # noqa: PLC0415 - loads its bundled list

    return PublicSuffixList(), PublicSuffixList(only_icann=True)


def registered_domain(url: str) -> str:
    """The domain a publisher registered (``theguardian.com`` for
    ``https://www.theguardian.com/world/...``, ``bbc.co.uk`` for ``news.bbc.co.uk``);
    "" for a link without a host."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        return ""
    full, _icann = _suffix_lists()
    return str(full.privatesuffix(host) or host)


def _on_shared_hosting(host: str) -> bool:
    """A host under a hosting platform's suffix (``*.cloudfront.net``, ``*.blogspot.com``
    and the rest of the Public Suffix List's private section): the host says which
    platform serves the page, not who published it."""
    full, icann = _suffix_lists()
    return bool(full.publicsuffix(host) != icann.publicsuffix(host))


def publisher_of(article_url: str, site_url: str | None = None) -> str:
    """Who published an article, as a registered domain: the article link's, unless that
    link lies on a shared hosting platform or a CDN, where the feed's own site link says
    who the publisher is. Two feeds of one newspaper so give one publisher."""
    host = (urlsplit(article_url).hostname or "").rstrip(".").lower()
    if host and not _on_shared_hosting(host):
        return registered_domain(article_url)
    if site_url:
        site = registered_domain(site_url)
        if site:
            return site
    return registered_domain(article_url)
