"""The address policy: refused forms, connect-time checks, rebinding and redirect hops."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from adapters.feeds import netguard
from adapters.feeds.fetch import FetchConfig, HttpFeedFetcher
from adapters.feeds.netguard import address_refusal, check_url, guarded_socket
from bot.core.domain import FetchRequest
from bot.core.errors import UnsafeURLError
from tests.fakes.feed_server import FeedServer, Route, rss

REFUSED_ADDRESSES = [
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 - an address to refuse, nothing binds to it
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:8.8.8.8",
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b:1::a00:1",
    "2002:7f00:1::1",
    "2001:0:4136:e378::1",
    "fc00::1",
    "fd00:ec2::254",
    "fe80::1",
    "fe80::1%eth0",
    "ff02::1",
    "2001:db8::1",
]
PUBLIC_ADDRESSES = ["8.8.8.8", "1.1.1.1", "151.101.1.69", "2a00:1450:4001:80b::200e", "172.32.0.1"]


@pytest.mark.parametrize("address", REFUSED_ADDRESSES)
def test_refused_addresses(address: str) -> None:
    assert address_refusal(address) is not None


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses(address: str) -> None:
    assert address_refusal(address) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("file:///etc/passwd", "http"),
        ("ftp://example.com/feed", "http"),
        ("gopher://example.com/", "http"),
        ("javascript:alert(1)", "http"),
        ("http://user:pass@example.com/feed", "user name"),
        ("http://evil.com@127.0.0.1/", "user name"),
        ("http://localhost/feed", "local host"),
        ("http://LOCALHOST./feed", "local host"),
        ("http://app.localhost/feed", "local host"),
        ("http://127.0.0.1/feed", "loopback"),
        ("http://0x7f.1/feed", "loopback"),
        ("http://0x7f000001/feed", "loopback"),
        ("http://2130706433/feed", "loopback"),
        ("http://0177.0.0.1/feed", "loopback"),
        ("http://127.1/feed", "loopback"),
        ("http://[::1]/feed", "loopback"),
        ("http://[::ffff:127.0.0.1]/feed", "IPv4-mapped"),
        ("http://[::ffff:7f00:1]/feed", "IPv4-mapped"),
        ("http://[64:ff9b::a9fe:a9fe]/feed", "NAT64"),
        ("http://[2002:a9fe:a9fe::]/feed", "6to4"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://100.100.100.200/", "carrier-grade"),
        ("http://[fe80::1%25eth0]/", "link-local"),
        ("http:///feed", "no host"),
        ("http://example.com:99999/", "malformed"),
    ],
)
def test_unsafe_urls_are_refused_in_words(url: str, words: str) -> None:
    with pytest.raises(UnsafeURLError, match=words):
        check_url(url)


def test_public_urls_and_operator_private_feeds_pass() -> None:
    check_url("https://www.example.com/feed.xml")
    check_url("http://93.184.216.34/rss")
    check_url("http://127.0.0.1:8080/replay.xml", allow_private=True)
    with pytest.raises(UnsafeURLError):
        check_url("file:///etc/passwd", allow_private=True)


def test_the_socket_factory_refuses_the_address_it_would_connect_to() -> None:
    with pytest.raises(netguard.UnsafeAddressError, match="connect time"):
        guarded_socket((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80)))
    sock = guarded_socket((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("8.8.8.8", 80)))
    sock.close()


class StaticResolver(AbstractResolver):
    """DNS that answers every name with one address (a rebinding attacker's DNS)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            ResolveResult(
                hostname=host,
                host=self.address,
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as running:
        running.add("/feed", Route(rss([("One", "https://example.com/1")])))
        yield running


async def test_loopback_feed_is_refused_before_any_request(server: FeedServer) -> None:
    client = HttpFeedFetcher(FetchConfig())
    try:
        with pytest.raises(UnsafeURLError, match="loopback"):
            await client.fetch(FetchRequest(url=server.url("/feed")))
    finally:
        await client.close()
    assert server.requests["/feed"] == 0


async def test_a_name_that_resolves_to_loopback_is_refused(server: FeedServer) -> None:
    resolver = StaticResolver("127.0.0.1")
    client = HttpFeedFetcher(FetchConfig(), resolver=resolver)
    try:
        with pytest.raises(UnsafeURLError, match="resolves to"):
            await client.fetch(FetchRequest(url=f"http://rebind.example:{server.port}/feed"))
    finally:
        await client.close()
    assert resolver.asked == ["rebind.example"]
    assert server.requests["/feed"] == 0


async def test_allow_private_reaches_a_local_server(server: FeedServer) -> None:
    client = HttpFeedFetcher(FetchConfig(), resolver=StaticResolver("127.0.0.1"))
    try:
        result = await client.fetch(
            FetchRequest(url=f"http://replay.example:{server.port}/feed", allow_private=True)
        )
    finally:
        await client.close()
    assert result.status == 200


async def test_every_redirect_hop_is_checked(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Treat 127.0.0.1 as public and only 127.0.0.2 as refused, so a "public" server can
    # redirect to a "private" one on loopback.
    table = ((netguard._v4("127.0.0.2/32"), "a private address"),)
    monkeypatch.setattr(netguard, "_V4_REFUSED", table)
    async with FeedServer("127.0.0.2") as private:
        private.add("/secret", Route(b"secret"))
        server.add("/hop", Route(redirect_to=private.url("/secret"), status=302))
        client = HttpFeedFetcher(FetchConfig())
        try:
            ok = await client.fetch(FetchRequest(url=server.url("/feed")))
            assert ok.status == 200
            with pytest.raises(UnsafeURLError, match="private"):
                await client.fetch(FetchRequest(url=server.url("/hop")))
        finally:
            await client.close()
        assert server.requests["/hop"] == 1
        assert private.requests["/secret"] == 0


async def test_rebinding_after_the_first_answer_is_caught_at_connect(
    server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = ((netguard._v4("127.0.0.2/32"), "a private address"),)
    monkeypatch.setattr(netguard, "_V4_REFUSED", table)
    resolver = StaticResolver("127.0.0.1")
    client = HttpFeedFetcher(FetchConfig(), resolver=resolver)
    url = f"http://rebind.example:{server.port}/feed"
    try:
        assert (await client.fetch(FetchRequest(url=url))).status == 200
        resolver.address = "127.0.0.2"
        # The connector caches DNS; drop it so the new (hostile) answer is used.
        for session in client._sessions.values():
            connector = session.connector
            assert connector is not None
            connector.clear_dns_cache()  # type: ignore[attr-defined]
            await connector.close()
        client._sessions.clear()
        with pytest.raises(UnsafeURLError):
            await client.fetch(FetchRequest(url=url))
    finally:
        await client.close()
