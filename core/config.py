"""config.toml → typed settings. Secrets never live here: they come from the environment."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ValidationError
from core.timezones import canonical_zone

LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class RateLimits:
    overall_per_second: float = 25.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: float = 20.0


@dataclass(frozen=True)
class FeedConfig:
    url: str
    format: str = "auto"
    fellowship: str | None = None
    community: str | None = None
    refresh_minutes: int = 360
    name: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    db_path: str = "stepbot.db"
    default_timezone: str = "America/New_York"
    default_language: str = "en"
    demo_data_on_empty: bool = True
    catch_up_hours: float = 6.0
    max_concurrency: int = 20
    telegram_limits: RateLimits = field(default_factory=RateLimits)
    discord_limits: RateLimits = field(
        default_factory=lambda: RateLimits(5.0, 1.0, 60.0)
    )
    telegram: dict[str, Any] = field(default_factory=dict)
    discord: dict[str, Any] = field(default_factory=dict)
    server_enabled: bool = False
    server_host: str = "127.0.0.1"
    server_port: int = 8080
    public_url: str | None = None
    import_max_bytes: int = 10_000_000
    import_timeout: float = 20.0
    import_max_redirects: int = 3
    import_allow_hosts: tuple[str, ...] = ()
    feeds: tuple[FeedConfig, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)


def load_config(path: str | Path | None = None, *, db_override: str | None = None) -> Config:
    """Read config.toml (if present). The database path is --db, else STEPBOT_DB, else config."""
    data: dict[str, Any] = {}
    cfg_path = Path(path) if path else None
    if cfg_path is None and Path("config.toml").exists():
        cfg_path = Path("config.toml")
    if cfg_path is not None:
        if not cfg_path.exists():
            raise ValidationError("config", f"config file {cfg_path} not found",
                                  key="error.config_missing", path=str(cfg_path))
        try:
            data = tomllib.loads(cfg_path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError("config", f"{cfg_path}: {exc}", key="error.config_invalid",
                                  path=str(cfg_path)) from exc
    database = data.get("database", {})
    bot = data.get("bot", {})
    delivery = data.get("delivery", {})
    limits = delivery.get("rate_limits", {})
    server = data.get("server", {})
    imp = data.get("import", {})
    language = str(bot.get("default_language", "en"))
    if language not in LANGUAGES:
        raise ValidationError("bot.default_language", f"unsupported language {language!r}")
    feeds = tuple(
        FeedConfig(
            url=str(f["url"]),
            format=str(f.get("format", "auto")),
            fellowship=f.get("fellowship"),
            community=f.get("community") or None,
            refresh_minutes=int(f.get("refresh_minutes", 360)),
            name=f.get("name"),
            timezone=f.get("timezone"),
        )
        for f in data.get("feeds", [])
    )
    db_path = db_override or os.environ.get("STEPBOT_DB") or str(database.get("path", "stepbot.db"))
    return Config(
        path=cfg_path,
        db_path=db_path,
        default_timezone=canonical_zone(str(bot.get("default_timezone", "America/New_York"))),
        default_language=language,
        demo_data_on_empty=bool(bot.get("demo_data_on_empty", True)),
        catch_up_hours=float(delivery.get("catch_up_hours", 6)),
        max_concurrency=int(delivery.get("max_concurrency", 20)),
        telegram_limits=RateLimits(**limits.get("telegram", {})),
        discord_limits=RateLimits(
            **{"overall_per_second": 5.0, "per_chat_per_second": 1.0,
               "per_group_per_minute": 60.0, **_rename(limits.get("discord", {}))}
        ),
        telegram=dict(data.get("telegram", {})),
        discord=dict(data.get("discord", {})),
        server_enabled=bool(server.get("enabled", False)),
        server_host=str(server.get("host", "127.0.0.1")),
        server_port=int(server.get("port", 8080)),
        public_url=server.get("public_url"),
        import_max_bytes=int(imp.get("max_bytes", 10_000_000)),
        import_timeout=float(imp.get("timeout_seconds", 20)),
        import_max_redirects=int(imp.get("max_redirects", 3)),
        import_allow_hosts=tuple(imp.get("allow_hosts", ())),
        feeds=feeds,
        raw=data,
    )


def _rename(section: dict[str, Any]) -> dict[str, Any]:
    out = dict(section)
    if "per_channel_per_second" in out:
        out["per_chat_per_second"] = out.pop("per_channel_per_second")
    return out
