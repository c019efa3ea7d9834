"""Canonical article URLs, so the same story linked two ways is stored once.

Publishers decorate links with campaign parameters and fragments; two feeds (or one feed
on two days) often point at the same page through different decorations. The canonical
form keeps everything that selects content and drops what only tracks the reader.
"""

from __future__ import annotations

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
