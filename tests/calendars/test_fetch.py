"""URL safety against a local aiohttp server on 127.0.0.1 (allowed explicitly): schemes,
private addresses, redirects, size cap, timeout, conditional GET, and import_url; the address
judge (embedded IPv4, legacy numeric forms) with DNS and connections faked out."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohappyeyeballs
import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer

from calendars.errors import FetchError
from calendars.fetch import (
    FetchPolicy,
    _AddressGuard,
    address_allowed,
    embedded_ipv4,
    fetch,
    is_public_address,
    literal_address,
    parse_ip,
)
from calendars.sync import import_url
from core.services import Services
from tests.calendars.conftest import fixture_bytes

ALLOW = FetchPolicy(max_bytes=100_000, timeout=5.0, max_redirects=3, allow_hosts=("127.0.0.1",))


def make_app() -> web.Application:
    app = web.Application()
    mg = fixture_bytes("meeting_guide.json")

    async def feed(request: web.Request) -> web.Response:
        etag = '"v1"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=mg, content_type="application/json", headers={"ETag": etag})

    async def redirect(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        target = "/feed.json" if n <= 1 else f"/r/{n - 1}"
        raise web.HTTPFound(target)

    async def to_private(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://10.1.2.3/feed.json")

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 200_000)

    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(50):
            await resp.write(b"y" * 10_000)
        await resp.write_eof()
        return resp

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.Response(text="late")

    async def missing(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    app.router.add_get("/feed.json", feed)
    app.router.add_get("/r/{n}", redirect)
    app.router.add_get("/to-private", to_private)
    app.router.add_get("/big", big)
    app.router.add_get("/stream", stream)
    app.router.add_get("/slow", slow)
    app.router.add_get("/missing", missing)
    return app


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    srv = TestServer(make_app(), host="127.0.0.1")
    await srv.start_server()
    try:
        yield srv
    finally:
        await srv.close()


def url(server: TestServer, path: str, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{server.port}{path}"


async def test_fetch_allowed_local_host(server: TestServer) -> None:
    result = await fetch(url(server, "/feed.json"), ALLOW)
    assert result.status == 200 and result.data == fixture_bytes("meeting_guide.json")
    assert result.etag == '"v1"'
    again = await fetch(url(server, "/feed.json"), ALLOW, etag=result.etag)
    assert again.not_modified and again.data == b""


async def test_private_and_loopback_addresses_are_refused(server: TestServer) -> None:
    closed = replace(ALLOW, allow_hosts=())
    with pytest.raises(FetchError) as caught:
        await fetch(url(server, "/feed.json"), closed)
    assert caught.value.key == "error.fetch_private"
    with pytest.raises(FetchError) as by_name:  # a name that resolves to loopback
        await fetch(url(server, "/feed.json", host="localhost"), closed)
    assert by_name.value.key == "error.fetch_private"
    named = replace(ALLOW, allow_hosts=("localhost",))
    result = await fetch(url(server, "/feed.json", host="localhost"), named)
    assert result.status == 200
    for target in (
        "http://10.0.0.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://192.168.1.10/",
    ):
        with pytest.raises(FetchError, match="private or local"):
            await fetch(target, closed)


def test_address_rules() -> None:
    for ip in (
        "10.0.0.1",
        "172.16.5.4",
        "192.168.0.1",
        "127.0.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::ffff:127.0.0.1",
    ):
        assert not address_allowed(ip, "example.org", ()), ip
    assert address_allowed("93.184.216.34", "example.org", ())
    assert address_allowed("10.1.2.3", "intranet", ("10.0.0.0/8",))
    assert address_allowed("127.0.0.1", "127.0.0.1", ("127.0.0.1",))


async def test_schemes_other_than_http_are_refused() -> None:
    for target in (
        "ftp://example.org/x.ics",
        "file:///etc/passwd",
        "webcal://example.org/x",
        "javascript:alert(1)",
    ):
        with pytest.raises(FetchError) as caught:
            await fetch(target, ALLOW)
        assert caught.value.key == "error.fetch_scheme"


async def test_redirects_are_followed_and_capped(server: TestServer) -> None:
    result = await fetch(url(server, "/r/3"), ALLOW)
    assert result.url.endswith("/feed.json") and result.status == 200
    with pytest.raises(FetchError) as caught:
        await fetch(url(server, "/r/3"), replace(ALLOW, max_redirects=2))
    assert caught.value.key == "error.fetch_redirects"
    with pytest.raises(FetchError) as private:
        await fetch(url(server, "/to-private"), ALLOW)
    assert private.value.key == "error.fetch_private"


async def test_size_cap(server: TestServer) -> None:
    with pytest.raises(FetchError) as declared:
        await fetch(url(server, "/big"), ALLOW)
    assert declared.value.key == "error.fetch_too_big"
    with pytest.raises(FetchError) as streamed:  # chunked: no Content-Length to trust
        await fetch(url(server, "/stream"), ALLOW)
    assert streamed.value.key == "error.fetch_too_big"
    ok = await fetch(url(server, "/stream"), replace(ALLOW, max_bytes=1_000_000))
    assert len(ok.data) == 500_000


async def test_timeout_and_http_errors(server: TestServer) -> None:
    with pytest.raises(FetchError) as slow:
        await fetch(url(server, "/slow"), replace(ALLOW, timeout=0.3))
    assert slow.value.key == "error.fetch_timeout"
    with pytest.raises(FetchError) as missing:
        await fetch(url(server, "/missing"), ALLOW)
    assert missing.value.key == "error.fetch_http" and "404" in str(missing.value)


async def test_import_url(services: Services, server: TestServer) -> None:
    report = await import_url(services, url(server, "/feed.json"), fellowship="aa", policy=ALLOW)
    assert len(report.added) == 7
    assert report.source == "127-0-0-1-feed-json"
    with pytest.raises(FetchError):
        await import_url(services, url(server, "/feed.json"), policy=replace(ALLOW, allow_hosts=()))


# --- Address rules: embedded IPv4, legacy numeric forms, nothing connected to ---------------

# Teredo: 2001:0:<server>:<flags>:<port ^ ffff>:<client ^ ffffffff>.
TEREDO_PRIVATE_CLIENT = "2001:0:5db8:d822:0:0:5601:5601"  # server 93.184.216.34, client 169.254…
TEREDO_PRIVATE_SERVER = "2001:0:a9fe:a9fe:0:0:a247:27dd"  # server 169.254.169.254, client public

HOSTILE_ADDRESSES = [
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a00:1::",  # 6to4 of 10.0.0.1
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::ffff:a9fe:a9fe",
    "::169.254.169.254",  # IPv4-compatible (deprecated)
    "::93.184.216.34",  # IPv4-compatible, even of a public address
    "::ffff:0:169.254.169.254",  # IPv4-translated (SIIT)
    "64:ff9b::a9fe:a9fe",  # NAT64 well-known prefix
    "64:ff9b::7f00:1",
    "64:ff9b:1::a9fe:a9fe",  # NAT64 local-use prefix
    "64:ff9b:1::5db8:d822",  # local-use prefix: refused even around a public address
    TEREDO_PRIVATE_CLIENT,
    TEREDO_PRIVATE_SERVER,
    "fec0::1",  # site-local
    "fc00::1",  # unique-local
    "fd12:3456::1",
    "fe80::1%eth0",  # link-local with a zone
    "ff02::1",  # multicast
    "ff0e::1",  # global-scope multicast (ipaddress calls it global)
    "::",
    "::1",
    "100::1",  # discard-only
    "2001:db8::1",  # documentation
    "0.0.0.0",
    "0.1.2.3",  # 0.0.0.0/8
    "100.64.0.1",  # CGNAT (not private, not global)
    "127.0.0.1",
    "169.254.169.254",
    "192.168.1.10",
    "172.16.0.1",
    "198.18.0.1",  # benchmarking
    "224.0.0.1",  # multicast (ipaddress calls it global)
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
]

PUBLIC_ADDRESSES = [
    "93.184.216.34",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "2002:5db8:d822::1",  # 6to4 of 93.184.216.34
    "64:ff9b::5db8:d822",  # NAT64 (DNS64) of 93.184.216.34
    "::ffff:93.184.216.34",
]


@pytest.mark.parametrize("ip", HOSTILE_ADDRESSES)
def test_hostile_addresses_are_refused_by_the_judge(ip: str) -> None:
    assert not address_allowed(ip, "example.org", ()), ip
    addr = parse_ip(ip)
    assert addr is not None and not is_public_address(addr)


@pytest.mark.parametrize("ip", PUBLIC_ADDRESSES)
def test_public_addresses_are_accepted_by_the_judge(ip: str) -> None:
    addr = parse_ip(ip)
    assert addr is not None and is_public_address(addr)
    assert address_allowed(ip, "example.org", ())


def test_embedded_ipv4_unwrapping() -> None:
    def inner(ip: str) -> list[str]:
        addr = ipaddress.IPv6Address(ip)
        return [str(a) for a in embedded_ipv4(addr)]

    assert inner("2002:a9fe:a9fe::1") == ["169.254.169.254"]
    assert inner("::ffff:10.0.0.1") == ["10.0.0.1"]
    assert inner("64:ff9b::a9fe:a9fe") == ["169.254.169.254"]
    assert inner(TEREDO_PRIVATE_CLIENT) == ["93.184.216.34", "169.254.169.254"]
    assert inner("2606:4700:4700::1111") == []


def test_legacy_numeric_ipv4_hosts() -> None:
    for host in (
        "2852039166",
        "0xa9fea9fe",
        "0251.0376.0251.0376",
        "169.254.43518",
        "0xa9.254.0251.254",
    ):
        assert str(literal_address(host)) == "169.254.169.254", host
    assert str(literal_address("127.1")) == "127.0.0.1"
    assert str(literal_address("169.254.169.254.")) == "169.254.169.254"
    assert literal_address("example.org") is None
    assert literal_address("1.2.3.4.5") is None


FAKE_DNS = {
    "metadata.test": ["2002:a9fe:a9fe::1"],
    "nat64.test": ["64:ff9b::a9fe:a9fe"],
    "teredo.test": [TEREDO_PRIVATE_CLIENT],
    "mixed.test": ["93.184.216.34", "10.0.0.1"],  # one bad answer refuses the name
    "public.test": ["93.184.216.34"],
}


class FakeResolver(AbstractResolver):
    """getaddrinfo without the network: FAKE_DNS, or numeric forms as the C library reads
    them (inet_aton), or failure."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host in FAKE_DNS:
            ips = FAKE_DNS[host]
        else:
            try:
                ips = [socket.inet_ntoa(socket.inet_aton(host))]
            except OSError:
                raise OSError(f"no DNS in tests: {host}") from None
        return [
            {
                "hostname": host,
                "host": ip,
                "port": port,
                "family": socket.AF_INET6 if ":" in ip else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for ip in ips
        ]

    async def close(self) -> None:
        pass


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """No DNS and no connections: every address that gets past all the checks (including the
    socket factory) is recorded here instead of being connected to."""
    seen: list[list[str]] = []

    async def start_connection(addr_infos: list[Any], **kwargs: Any) -> socket.socket:
        factory = kwargs.get("socket_factory")
        for info in addr_infos:
            if factory is not None:
                factory(info).close()  # raises for an address it refuses
        seen.append([str(info[4][0]) for info in addr_infos])
        raise OSError("a connection was attempted in a test")

    monkeypatch.setattr(aiohappyeyeballs, "start_connection", start_connection)
    monkeypatch.setattr(aiohttp, "ThreadedResolver", FakeResolver)
    return seen


HOSTILE_URLS = (
    [f"http://[{ip}]/latest/meta-data" for ip in HOSTILE_ADDRESSES if ":" in ip]
    + [f"http://{ip}/latest/meta-data" for ip in HOSTILE_ADDRESSES if ":" not in ip]
    + [
        "http://[fe80::1%25eth0]/",
        "http://2852039166/",  # 169.254.169.254 as one decimal number
        "http://0xa9fea9fe/",  # … in hex
        "http://0251.0376.0251.0376/",  # … in octal
        "http://0xa9.254.0251.254/",  # … mixed
        "http://169.254.43518/",  # … a.b.c form
        "http://169.254.169.254./",  # trailing dot
        "http://127.1/",
        "http://0x7f000001:8080/",
        "http://017700000001/",
        "https://metadata.test/",  # names resolving to hostile addresses
        "http://nat64.test/",
        "http://teredo.test/",
        "http://mixed.test/",
    ]
)


@pytest.mark.parametrize("target", HOSTILE_URLS)
async def test_hostile_urls_are_refused_before_connecting(
    target: str, attempts: list[list[str]]
) -> None:
    with pytest.raises(FetchError) as caught:
        await fetch(target, FetchPolicy(timeout=5.0))
    assert caught.value.key == "error.fetch_private", (target, caught.value)
    assert attempts == []


async def test_the_harness_sees_connections_to_judged_addresses(attempts: list[list[str]]) -> None:
    # A public name gets as far as a connection attempt, to exactly the resolved address.
    with pytest.raises(FetchError) as caught:
        await fetch("http://public.test/", FetchPolicy(timeout=5.0))
    assert caught.value.key == "error.fetch_connect"
    assert attempts == [["93.184.216.34"]]


def test_socket_factory_judges_the_address_itself() -> None:
    # IP literals never reach the resolver, so the socket factory is the last word.
    guard = _AddressGuard(())
    for ip, family in (("169.254.169.254", socket.AF_INET), ("2002:a9fe:a9fe::1", socket.AF_INET6)):
        with pytest.raises(OSError, match="private or local"):
            guard.socket_for((family, socket.SOCK_STREAM, 6, "", (ip, 80)))
    guard.socket_for((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80))).close()
    # A name on the allow list: its (private) addresses are approved by the resolver step.
    named = _AddressGuard(("intranet.test",))
    with pytest.raises(OSError):
        named.socket_for((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80)))
    named.approve("10.0.0.7", "intranet.test")
    named.socket_for((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80))).close()
