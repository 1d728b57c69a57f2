"""Fetching a calendar or meeting list by URL, safely.

- http and https only; redirects followed by hand, at most ``max_redirects``, each target
  checked again;
- a total timeout and a size cap (Content-Length first, then the bytes actually read, after
  decompression);
- only globally reachable unicast addresses are connected to (`is_public_address`): private,
  loopback, link-local, site-local, unique-local, CGNAT, multicast, reserved and unspecified
  addresses are refused, and so is any IPv6 address that carries a non-public IPv4 address
  (IPv4-mapped, IPv4-compatible, SIIT, 6to4, Teredo server or client, NAT64), unless the host
  (name or IP) or a network containing the IP is in ``allow_hosts``;
- the check runs three times: on the URL's host before anything else (IP literals, including
  legacy numeric IPv4 forms such as ``2852039166``, ``0xa9fea9fe`` or ``0251.0376.0251.0376``,
  which are refused outright when non-public), on every address the resolver returns (one
  non-public address refuses the name), and on the socket address itself just before each
  connect (``socket_factory``), so neither DNS rebinding nor a URL parsed differently
  elsewhere can reach an address that was not judged;
- conditional GET with ETag / Last-Modified for feeds (304 → ``not_modified``).
"""

from __future__ import annotations

import asyncio
import inspect
import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from calendars.errors import FetchError
from core.config import Config

if TYPE_CHECKING:
    from aiohappyeyeballs import AddrInfoType

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
    """Raised inside the resolver or the socket factory; turned into a FetchError naming the
    address."""


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")  # IPv4-mapped (RFC 4291 2.5.5.2)
_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # IPv4-translated, SIIT (RFC 2765)
_COMPATIBLE = ipaddress.IPv6Network("::/96")  # IPv4-compatible, deprecated (RFC 4291 2.5.5.1)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix (RFC 6052)
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # local-use NAT64 prefix (RFC 8215)
# Prefixes that only carry an IPv4 address: such an address is judged by that IPv4 address
# alone (DNS64 hands out 64:ff9b::a.b.c.d for IPv4-only hosts, so they must stay reachable).
_CARRIERS = (_MAPPED, _TRANSLATED, _NAT64)
# What inet_aton (and so getaddrinfo) reads as an IPv4 address: 1 to 4 parts, each decimal,
# octal (leading 0) or hex (0x), e.g. 2852039166, 0xa9fea9fe, 0251.0376.0251.0376, 127.1.
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?", re.I)


def _networks(allow: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for entry in allow:
        try:
            nets.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return nets


def parse_ip(text: str) -> IPAddress | None:
    """An IP address (an IPv6 zone such as ``%eth0`` dropped), or None."""
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host denotes when it is an IP literal, including the legacy numeric
    IPv4 forms the C resolver accepts (``2852039166``, ``0xa9fea9fe``, ``0251.0376.0251.0376``,
    ``127.1``, a trailing dot); None for a name."""
    addr = parse_ip(host)
    if addr is not None:
        return addr
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host.rstrip(".")))
        except OSError:
            return None
    return None


def embedded_ipv4(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address carries: IPv4-mapped, IPv4-translated,
    IPv4-compatible, 6to4 (2002::/16), Teredo (2001::/32: server and de-obfuscated client) and
    NAT64 (64:ff9b::/96 and 64:ff9b:1::/48, the last 32 bits)."""
    found: list[ipaddress.IPv4Address] = []
    if addr.ipv4_mapped is not None:
        found.append(addr.ipv4_mapped)
    if any(addr in net for net in (_TRANSLATED, _COMPATIBLE, _NAT64, _NAT64_LOCAL)):
        found.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    if addr.sixtofour is not None:
        found.append(addr.sixtofour)
    if addr.teredo is not None:
        found.extend(addr.teredo)
    return found


def _public(addr: IPAddress) -> bool:
    return addr.is_global and not (
        addr.is_multicast
        or addr.is_reserved
        or addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_unspecified
        or (isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local)
    )


def is_public_address(addr: IPAddress) -> bool:
    """Globally reachable unicast, and so is every IPv4 address it carries.

    Refused: private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local, site-local
    (fec0::/10), CGNAT (100.64/10), 0.0.0.0/8, benchmarking, documentation, multicast,
    reserved (240/4, ::/8 …), unspecified; an IPv6 address whose embedded IPv4 address is any
    of these; IPv4-compatible (::a.b.c.d), local-use NAT64 and Teredo addresses in any case.
    """
    if isinstance(addr, ipaddress.IPv4Address):
        return _public(addr)
    carried = embedded_ipv4(addr)
    if not all(_public(v4) for v4 in carried):
        return False
    if carried and any(addr in net for net in _CARRIERS):
        return True
    return _public(addr)


def address_allowed(ip: str, host: str, allow: Sequence[str]) -> bool:
    """Public addresses always; others only when the host or the address is allowed."""
    addr = parse_ip(ip)
    if addr is None:
        return False
    names = {a.strip().lower().rstrip(".") for a in allow}
    if host.lower().rstrip(".") in names or str(addr) in names:
        return True
    candidates: list[IPAddress] = [addr]
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        candidates.append(addr.ipv4_mapped)
    nets = _networks(allow)
    if any(a in net for a in candidates for net in nets if a.version == net.version):
        return True
    return is_public_address(addr)


class _AddressGuard:
    """One fetch's checks: the resolver judges every address a name resolves to and remembers
    the ones it let through; the socket factory judges the address each socket is about to
    connect to (IP literals never reach the resolver)."""

    def __init__(self, allow: Sequence[str]) -> None:
        self.allow = tuple(allow)
        self.approved: set[IPAddress] = set()

    def approve(self, ip: str, host: str) -> None:
        if not address_allowed(ip, host, self.allow):
            raise _Blocked(f"{host} resolves to {ip}, a private or local address")
        addr = parse_ip(ip)
        if addr is not None:
            self.approved.add(addr)

    def socket_for(self, addr_info: AddrInfoType) -> socket.socket:
        family, type_, proto, _canonname, sockaddr = addr_info
        ip = str(sockaddr[0])
        addr = parse_ip(ip)
        if addr is None or (addr not in self.approved and not address_allowed(ip, ip, self.allow)):
            raise _Blocked(f"{ip} is a private or local address")
        return socket.socket(family=family, type=type_, proto=proto)


class _CheckingResolver(AbstractResolver):
    def __init__(self, guard: _AddressGuard) -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._guard = guard

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:  # one bad address refuses the name (no picking the good one)
            self._guard.approve(result["host"], host)
        return results

    async def close(self) -> None:
        await self._inner.close()


# aiohttp >= 3.12; older versions still get the URL and resolver checks.
_HAS_SOCKET_FACTORY = "socket_factory" in inspect.signature(aiohttp.TCPConnector).parameters


def _connector(policy: FetchPolicy) -> aiohttp.TCPConnector:
    guard = _AddressGuard(policy.allow_hosts)
    extra: dict[str, Any] = {}
    if _HAS_SOCKET_FACTORY:
        extra["socket_factory"] = guard.socket_for
    return aiohttp.TCPConnector(
        resolver=_CheckingResolver(guard), use_dns_cache=False, limit=2, **extra
    )


def check_url(url: str, policy: FetchPolicy) -> str:
    """Validate scheme and (for IP literals) address before any connection; the host as
    aiohttp will see it."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(
            f"only http and https links can be imported, not {parts.scheme or url!r}",
            key="error.fetch_scheme",
            url=url,
        )
    try:
        host = URL(text).raw_host  # the parser aiohttp itself uses
    except ValueError:
        host = None
    if not host:
        raise FetchError(f"{url!r} has no host", key="error.fetch_url", url=url)
    addr = literal_address(host)
    if addr is None:
        return host
    if not address_allowed(str(addr), host, policy.allow_hosts):
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
    connector = _connector(policy)
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
