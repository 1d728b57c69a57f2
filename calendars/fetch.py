"""Fetching a calendar or meeting list by URL, safely.

- http and https only; redirects followed by hand, at most ``max_redirects``, each target
  checked again;
- a total timeout and a size cap (Content-Length first, then the bytes actually read, after
  decompression);
- private, loopback, link-local, multicast and reserved addresses are refused, unless the host
  (name or IP) or a network containing the IP is in ``allow_hosts``. The check runs on the
  addresses the connection actually uses (a resolver wrapper), so DNS rebinding cannot slip
  past it; IP literals are checked before connecting.
- conditional GET with ETag / Last-Modified for feeds (304 → ``not_modified``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from calendars.errors import FetchError
from core.config import Config

USER_AGENT = "stepbot/0.1 (meeting list sync; +https://github.com/)"
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int = 10_000_000
    timeout: float = 20.0
    max_redirects: int = 3
    allow_hosts: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Config) -> FetchPolicy:
        return cls(
            max_bytes=config.import_max_bytes,
            timeout=config.import_timeout,
            max_redirects=config.import_max_redirects,
            allow_hosts=tuple(config.import_allow_hosts),
        )


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int
    data: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Blocked(OSError):
    """Raised inside the resolver; turned into a FetchError naming the address."""


def _networks(allow: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for entry in allow:
        try:
            nets.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return nets


def address_allowed(ip: str, host: str, allow: Sequence[str]) -> bool:
    """Public addresses always; others only when the host or the address is allowed."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    names = {a.strip().lower().rstrip(".") for a in allow}
    if host.lower().rstrip(".") in names:
        return True
    if any(addr in net for net in _networks(allow)):
        return True
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_global and not (addr.is_multicast or addr.is_reserved)


class _CheckingResolver(AbstractResolver):
    def __init__(self, allow: Sequence[str]) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._allow = allow

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            if not address_allowed(result["host"], host, self._allow):
                raise _Blocked(f"{host} resolves to {result['host']}, a private or local address")
        return results

    async def close(self) -> None:
        await self._inner.close()


def check_url(url: str, policy: FetchPolicy) -> str:
    """Validate scheme and (for IP literals) address before any connection."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(
            f"only http and https links can be imported, not {parts.scheme or url!r}",
            key="error.fetch_scheme",
            url=url,
        )
    host = parts.hostname
    if not host:
        raise FetchError(f"{url!r} has no host", key="error.fetch_url", url=url)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    if not address_allowed(host, host, policy.allow_hosts):
        raise FetchError(
            f"{host} is a private or local address; refused",
            key="error.fetch_private",
            url=url,
            host=host,
        )
    return host


async def fetch(
    url: str,
    policy: FetchPolicy,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: str | None = None,
) -> FetchResult:
    """GET `url` under `policy`. Raises FetchError with a clear message on any refusal."""
    headers = {"User-Agent": USER_AGENT, "Accept": accept or "*/*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = aiohttp.ClientTimeout(total=policy.timeout, connect=min(policy.timeout, 10.0))
    connector = aiohttp.TCPConnector(
        resolver=_CheckingResolver(policy.allow_hosts), use_dns_cache=False, limit=2
    )
    current = url
    try:
        async with aiohttp.ClientSession(
            timeout=timeout, connector=connector, trust_env=False
        ) as session:
            for _hop in range(policy.max_redirects + 1):
                check_url(current, policy)
                async with session.get(current, headers=headers, allow_redirects=False) as resp:
                    if resp.status in REDIRECTS:
                        location = resp.headers.get("Location")
                        if not location:
                            raise FetchError(
                                f"HTTP {resp.status} without a Location",
                                key="error.fetch_http",
                                url=current,
                            )
                        current = urljoin(current, location)
                        continue
                    if resp.status == 304:
                        return FetchResult(
                            current, 304, b"", etag=etag, last_modified=last_modified
                        )
                    if resp.status >= 400 or resp.status < 200:
                        raise FetchError(
                            f"the server answered HTTP {resp.status}",
                            key="error.fetch_http",
                            url=current,
                            status=resp.status,
                        )
                    data = await _read_capped(resp, policy.max_bytes)
                    return FetchResult(
                        current,
                        resp.status,
                        data,
                        content_type=resp.headers.get("Content-Type"),
                        etag=resp.headers.get("ETag"),
                        last_modified=resp.headers.get("Last-Modified"),
                    )
            raise FetchError(
                f"more than {policy.max_redirects} redirects", key="error.fetch_redirects", url=url
            )
    except aiohttp.ClientConnectorError as exc:
        blocked = exc.os_error if isinstance(exc.os_error, _Blocked) else None
        if blocked is None and isinstance(exc.__cause__, _Blocked):
            blocked = exc.__cause__
        if blocked is not None:
            raise FetchError(f"{blocked}; refused", key="error.fetch_private", url=current) from exc
        raise FetchError(
            f"cannot connect to {urlsplit(current).hostname}: "
            f"{exc.os_error.strerror or exc.os_error}",
            key="error.fetch_connect",
            url=current,
        ) from exc
    except TimeoutError as exc:
        raise FetchError(
            f"no complete answer within {policy.timeout:g} s",
            key="error.fetch_timeout",
            url=current,
        ) from exc
    except aiohttp.ClientError as exc:
        raise FetchError(
            f"download failed: {exc.__class__.__name__}: {exc}",
            key="error.fetch_failed",
            url=current,
        ) from exc


async def _read_capped(resp: aiohttp.ClientResponse, limit: int) -> bytes:
    declared = resp.content_length
    if declared is not None and declared > limit:
        raise FetchError(
            f"the file is {declared:,} bytes; the limit is {limit:,}",
            key="error.fetch_too_big",
            size=declared,
            limit=limit,
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise FetchError(
                f"the file is larger than the limit of {limit:,} bytes",
                key="error.fetch_too_big",
                limit=limit,
            )
        chunks.append(chunk)
        await asyncio.sleep(0)
    return b"".join(chunks)
