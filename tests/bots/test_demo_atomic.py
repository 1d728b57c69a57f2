"""`demo load` is all or nothing: killed half-way, it leaves no meeting and can be run again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(db: Path, *argv: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bots.cli", "--db", str(db), *argv],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def meetings(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM meetings").fetchone()[0])


def test_kill_during_demo_load_leaves_nothing_and_load_works_again(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    wal = Path(f"{db}-wal")
    loading = cli(db, "demo", "load", "--count", "300000")
    deadline = time.monotonic() + 60
    # Kill it well into writing: a few seconds after its WAL began to grow.
    while time.monotonic() < deadline and not (wal.exists() and wal.stat().st_size > 1_000_000):
        assert loading.poll() is None, "the load finished before it could be interrupted"
        time.sleep(0.05)
    time.sleep(3)
    assert loading.poll() is None, "the load finished before it could be interrupted"
    os.kill(loading.pid, signal.SIGKILL)
    loading.wait()

    assert meetings(db) == 0
    again = cli(db, "demo", "load", "--count", "40")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert meetings(db) == 40
