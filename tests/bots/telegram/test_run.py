"""`stepbot run` with TELEGRAM_TOKEN set, pointed at the fake through config.toml exactly as it
would be at Telegram: the token is the only secret, and it never reaches the logs."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.bots.telegram.fake_bot_api import TEST_TOKEN, FakeBotApi


async def test_stepbot_run_serves_telegram(fake_bot_api: FakeBotApi, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{fake_bot_api.base_url}"\n'
        f'base_file_url = "{fake_bot_api.base_file_url}"\n',
        "utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(TELEGRAM_TOKEN=TEST_TOKEN, STEPBOT_DB=str(tmp_path / "run.db"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "--config", str(config), "-v", "run",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        await fake_bot_api.wait_for_call("deleteWebhook", timeout=30)  # polling starts
        fake_bot_api.push_update(fake_bot_api.command("/meetings online", user_id=31))
        reply = await fake_bot_api.wait_for_call("sendMessage", timeout=15)
        assert reply.ok and reply.result["text"].startswith("Meetings: Online")
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()[-2000:]
    logs = out.decode() + err.decode()
    assert "started telegram" in logs
    assert TEST_TOKEN not in logs and "Meetings: Online" not in logs
    assert len(fake_bot_api.calls_for("setMyCommands")) == 4
