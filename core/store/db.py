"""The SQLite connections: WAL, foreign keys, numbered migrations, transactions.

Several processes may share one database file (a bot, `stepbot serve`, a CLI import). The
file is the only truth: nothing here caches what another process can change. Each process has
one writer connection (every write is a short `BEGIN IMMEDIATE` transaction, serialised by
SQLite's lock across processes and by an asyncio lock inside one) and one reader connection,
so reads see only committed data and never queue behind a long write of their own process.
A writer that finds the lock taken waits (`busy_timeout`), then retries; only a lock held for
longer than `LOCK_WAIT_SECONDS` in all surfaces, as a translated "busy, try again" error."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from core.errors import StepbotError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000  # SQLite's own wait for a lock, per statement
LOCK_WAIT_SECONDS = 60.0  # a transaction retries BEGIN until this long has passed


class DatabaseBusy(StepbotError):
    """Another process held the database's write lock for too long; nothing was changed."""

    key = "error.busy"


def is_locked(exc: BaseException) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED, as sqlite3 reports them."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text

_MIGRATION_RE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


def _migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in core/store/migrations, in order.

    Numbers are reserved per feature (002 conversation, 003 calendars, 004 delivery), so a
    gap is allowed; a duplicate is not."""
    found = []
    for entry in resources.files("core.store.migrations").iterdir():
        match = _MIGRATION_RE.match(entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


class Database:
    """One aiosqlite connection with a write lock; every multi-row change runs in
    `transaction()`, which is all-or-nothing."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        path: str,
        reader: aiosqlite.Connection | None = None,
        *,
        lock_wait: float = LOCK_WAIT_SECONDS,
    ) -> None:
        self.conn = conn  # the writer
        self.reader = reader or conn
        self.path = path
        self.lock_wait = lock_wait
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls, path: str | Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        lock_wait: float = LOCK_WAIT_SECONDS,
    ) -> Database:
        target = str(path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        conn = await _connect(target, busy_timeout_ms)
        db = cls(conn, target, lock_wait=lock_wait)
        await db._retry(lambda: conn.execute("PRAGMA journal_mode=WAL"))
        await db.migrate()
        if target != ":memory:":  # a second :memory: connection would be another database
            db.reader = await _connect(target, busy_timeout_ms)
            await db.reader.execute("PRAGMA query_only=ON")
        return db

    async def create_function(self, name: str, narg: int, func: Any) -> None:
        """A deterministic SQL function on every connection."""
        for conn in {id(c): c for c in (self.conn, self.reader)}.values():
            await conn.create_function(name, narg, func, deterministic=True)

    async def _retry(self, step: Any) -> Any:
        """Run `step()` (an awaitable factory), retrying while another process holds the
        lock, up to `lock_wait` seconds in all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.lock_wait
        delay = 0.05
        while True:
            try:
                return await step()
            except sqlite3.OperationalError as exc:
                if not is_locked(exc):
                    raise
                if loop.time() + delay > deadline:
                    log.warning("database write lock still held after %.0f s", self.lock_wait)
                    raise DatabaseBusy("the database is busy; try again in a minute") from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def migrate(self) -> list[int]:
        """Apply pending migrations, each in its own transaction. Idempotent."""
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))"
        )
        async with self.conn.execute("SELECT version FROM schema_migrations") as cur:
            done = {row[0] for row in await cur.fetchall()}
        applied = []
        for version, name, sql in _migrations():
            if version in done:
                continue
            async with self.transaction() as conn:
                for statement in _split_sql(sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, name)
                )
            log.info("applied migration %03d_%s", version, name)
            applied.append(version)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception."""
        async with self._write_lock:
            await self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Rows of committed data (the reader connection).

        One trip to the connection's thread (execute and fetch together), not three
        (execute, fetch, close): on the search path the hops cost more than the queries."""
        args = tuple(params)

        async def step() -> list[aiosqlite.Row]:
            return list(await self.reader.execute_fetchall(sql, args))

        result: list[aiosqlite.Row] = await self._retry(step)
        return result

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async def step() -> aiosqlite.Row | None:
            async with self.reader.execute(sql, tuple(params)) as cur:
                return await cur.fetchone()

        result: aiosqlite.Row | None = await self._retry(step)
        return result

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def total_changes(self) -> int:
        """Rows this process has written since it opened the database."""
        async with self.conn.execute("SELECT total_changes()") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def close(self) -> None:
        if self.reader is not self.conn:
            await self.reader.close()
        await self.conn.close()


async def _connect(target: str, busy_timeout_ms: int) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(
        target, isolation_level=None, timeout=busy_timeout_ms / 1000
    )
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA synchronous=NORMAL")
    await conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    await conn.execute("PRAGMA cache_size=-32000")
    return conn


def _split_sql(sql: str) -> list[str]:
    """Split a migration into complete statements (sqlite3 knows about quotes and comments)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not all(
        part.strip().startswith("--") or not part.strip() for part in buffer.splitlines()
    ):
        raise RuntimeError(f"incomplete SQL statement in migration: {buffer[:80]!r}")
    return statements
