"""Canonical URLs: the same article through different decorations is one URL."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.urls import canonical_url


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("HTTPS://Example.COM/a/b?x=1", "https://example.com/a/b?x=1"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com", "https://example.com/"),
        (
            "https://example.com/a?utm_source=rss&utm_medium=feed&id=7&fbclid=zz&gclid=1",
            "https://example.com/a?id=7",
        ),
        (
            "https://example.com/a?mc_cid=1&mc_eid=2&ref=tw&cmpid=x&b=2&a=1",
            "https://example.com/a?a=1&b=2",
        ),
        ("https://example.com/a?UTM_Campaign=x", "https://example.com/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://[2001:DB8::1]:443/a", "https://[2001:db8::1]/a"),
    ],
)
def test_canonical_forms(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical


def test_content_selecting_parameters_are_kept() -> None:
    assert canonical_url("https://example.com/watch?v=abc&page=2") == (
        "https://example.com/watch?page=2&v=abc"
    )


@pytest.mark.parametrize(
    "junk",
    ["", "not a url", "urn:uuid:1234", "tag:example.com,2005:1", "http://[::1/x", "http://a:xx/"],
)
def test_junk_comes_back_stripped(junk: str) -> None:
    assert canonical_url(f" {junk} ") == junk.strip()


@given(st.text())
def test_never_raises(text: str) -> None:
    assert isinstance(canonical_url(text), str)


@given(st.text())
def test_is_idempotent(text: str) -> None:
    once = canonical_url(text)
    assert canonical_url(once) == once
