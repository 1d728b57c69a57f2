"""URL safety against a local aiohttp server on 127.0.0.1 (allowed explicitly): schemes,
private addresses, redirects, size cap, timeout, conditional GET, and import_url."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from calendars.errors import FetchError
from calendars.fetch import FetchPolicy, address_allowed, fetch
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
