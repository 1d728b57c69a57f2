"""Another process holding the database's write lock: members' writes wait, never fail.

The other process is a plain sqlite3 connection to the same file, in a thread, holding
BEGIN IMMEDIATE for longer than SQLite's old 5-second busy timeout."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from core.services import Services
from tests.core.conversation.conftest import Ask


@contextmanager
def lock_held(path: str, seconds: float) -> Iterator[threading.Event]:
    """Hold the write lock of `path` from another connection for `seconds`."""
    taken = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS other_process (x)")
        taken.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert taken.wait(10)
    try:
        yield taken
    finally:
        thread.join()


async def test_members_wait_for_a_long_lock_instead_of_failing(
    ask: Ask, seeded: Services
) -> None:
    await ask("/meetings today")  # this week's sittings exist
    with lock_held(seeded.db.path, 6.5):
        found = await ask("/meetings today")  # its paging token is a write: it waits too
        assert not found.error and "na-near" in [c.slug for c in found.cards]
        done = await ask("/subscribe 07:15 Europe/Madrid")
    assert not done.error, done.text()
    assert "07:15" in done.text()
    subs = await seeded.subscriptions.list_for_user("test", "u1")
    assert [s.local_time.strftime("%H:%M") for s in subs] == ["07:15"]


async def test_a_lock_that_never_ends_is_a_clear_busy_answer(
    ask: Ask, services: Services
) -> None:
    services.db.lock_wait = 0.5
    await services.db.conn.execute("PRAGMA busy_timeout=100")
    with lock_held(services.db.path, 2.0):
        refused = await ask("/subscribe 07:15 Europe/Madrid")
    assert refused.error
    assert "busy" in refused.text() and "Nothing was changed" in refused.text()
    assert await services.subscriptions.list_for_user("test", "u1") == []
    done = await ask("/subscribe 07:15 Europe/Madrid")  # the lock is gone: it works
    assert not done.error
