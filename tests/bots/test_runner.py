"""`stepbot run` without tokens: demo data on an empty database, the console, clean exits."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_TOKEN", "DISCORD_TOKEN")}
    env["STEPBOT_DB"] = str(tmp_path / "run.db")
    return env


def test_run_without_tokens_opens_the_console(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bots.cli", "run"],
        input="/meetings online\n/ayuda\n", capture_output=True, text=True, timeout=60,
        cwd=tmp_path, env=_env(tmp_path),
    )
    assert proc.returncode == 0, proc.stderr
    assert "No DISCORD_TOKEN or TELEGRAM_TOKEN" in proc.stdout
    assert "Meetings: Online" in proc.stdout
    with sqlite3.connect(tmp_path / "run.db") as conn:
        assert conn.execute("SELECT count(*) FROM meetings").fetchone()[0] == 300


def test_sigterm_shuts_down_cleanly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bots.cli", "run"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env=_env(tmp_path),
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        while "No DISCORD_TOKEN" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
