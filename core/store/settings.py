"""Member and community settings, and the state behind buttons."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.store.db import Database

ACTION_STATE_TTL_SECONDS = 14 * 86400


@dataclass(frozen=True, slots=True)
class UserSettings:
    timezone: str | None = None
    language: str | None = None
    fellowship: str | None = None


@dataclass(frozen=True, slots=True)
class CommunitySettings:
    timezone: str | None = None
    language: str | None = None
    fellowships: tuple[str, ...] | None = None
    helplines: tuple[str, ...] | None = None
    show_contacts: bool = False  # member contacts of directory meetings on cards
    reports_chat: str | None = None  # where change reports go (None: the admins, privately)
    reports_thread: str | None = None


class SettingsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def user(self, platform: str, user_id: str) -> UserSettings:
        row = await self.db.fetchone(
            "SELECT timezone, language, fellowship FROM user_settings"
            " WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        return UserSettings() if row is None else UserSettings(*row)

    async def update_user(self, platform: str, user_id: str, now: datetime, **values: Any) -> None:
        allowed = {"timezone", "language", "fellowship"}
        if not values or set(values) - allowed:
            raise ValueError(f"unknown settings: {set(values) - allowed}")
        current = await self.user(platform, user_id)
        merged = {
            "timezone": current.timezone,
            "language": current.language,
            "fellowship": current.fellowship,
            **values,
        }
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO user_settings (platform, user_id, timezone, language, fellowship,"
                " updated) VALUES (?,?,?,?,?,?) ON CONFLICT (platform, user_id) DO UPDATE SET"
                " timezone=excluded.timezone, language=excluded.language,"
                " fellowship=excluded.fellowship, updated=excluded.updated",
                (platform, user_id, merged["timezone"], merged["language"], merged["fellowship"],
                 now.isoformat()),
            )

    async def community(self, community: str) -> CommunitySettings:
        row = await self.db.fetchone(
            "SELECT timezone, language, fellowships, helplines, show_contacts, reports_chat,"
            " reports_thread FROM community_settings"
            " WHERE community = ?",
            (community,),
        )
        if row is None:
            return CommunitySettings()
        return CommunitySettings(
            timezone=row[0],
            language=row[1],
            fellowships=tuple(json.loads(row[2])) if row[2] else None,
            helplines=tuple(json.loads(row[3])) if row[3] else None,
            show_contacts=bool(row[4]),
            reports_chat=row[5],
            reports_thread=row[6],
        )

    async def update_community(self, community: str, now: datetime, **values: Any) -> None:
        current = await self.community(community)
        merged: dict[str, Any] = {
            "timezone": current.timezone,
            "language": current.language,
            "fellowships": current.fellowships,
            "helplines": current.helplines,
            "show_contacts": current.show_contacts,
            "reports_chat": current.reports_chat,
            "reports_thread": current.reports_thread,
        }
        unknown = set(values) - set(merged)
        if unknown:
            raise ValueError(f"unknown settings: {unknown}")
        merged.update(values)
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO community_settings (community, timezone, language, fellowships,"
                " helplines, show_contacts, reports_chat, reports_thread, updated)"
                " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (community) DO UPDATE SET"
                " timezone=excluded.timezone, language=excluded.language,"
                " fellowships=excluded.fellowships, helplines=excluded.helplines,"
                " show_contacts=excluded.show_contacts, reports_chat=excluded.reports_chat,"
                " reports_thread=excluded.reports_thread, updated=excluded.updated",
                (
                    community,
                    merged["timezone"],
                    merged["language"],
                    json.dumps(list(merged["fellowships"])) if merged["fellowships"] else None,
                    json.dumps(list(merged["helplines"])) if merged["helplines"] else None,
                    int(bool(merged["show_contacts"])),
                    merged["reports_chat"],
                    merged["reports_thread"],
                    now.isoformat(),
                ),
            )

    async def forget_user(self, platform: str, user_id: str) -> dict[str, int]:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "DELETE FROM user_settings WHERE platform = ? AND user_id = ?", (platform, user_id)
            )
            settings = cur.rowcount
            cur = await conn.execute(
                "DELETE FROM action_state WHERE platform = ? AND user_id = ?", (platform, user_id)
            )
        return {"settings": max(settings, 0), "button_state": max(cur.rowcount, 0)}

    # -- button state ----------------------------------------------------------------------

    async def save_state(
        self, platform: str, user_id: str, payload: dict[str, Any], now: datetime
    ) -> str:
        state_id = secrets.token_urlsafe(6)
        cutoff = int(now.timestamp()) - ACTION_STATE_TTL_SECONDS
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM action_state WHERE created < ?", (cutoff,))
            await conn.execute(
                "INSERT INTO action_state (id, platform, user_id, payload, created)"
                " VALUES (?,?,?,?,?)",
                (state_id, platform, user_id, json.dumps(payload, separators=(",", ":")),
                 int(now.timestamp())),
            )
        return state_id

    async def load_state(self, state_id: str) -> tuple[str, dict[str, Any]] | None:
        """(owner user id, payload) or None when expired/unknown."""
        row = await self.db.fetchone(
            "SELECT user_id, payload FROM action_state WHERE id = ?", (state_id,)
        )
        return None if row is None else (row[0], json.loads(row[1]))

    async def save_pending(
        self, platform: str, user_id: str, kind: str, payload: dict[str, Any], now: datetime
    ) -> None:
        """Remember what a member started (e.g. a 'near' search waiting for a location)."""
        key = f"{kind}:{platform}:{user_id}"
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT OR REPLACE INTO action_state (id, platform, user_id, payload, created)"
                " VALUES (?,?,?,?,?)",
                (key, platform, user_id, json.dumps(payload), int(now.timestamp())),
            )

    async def take_pending(
        self, platform: str, user_id: str, kind: str, max_age_seconds: int = 3600,
        now: datetime | None = None,
    ) -> dict[str, Any] | None:
        key = f"{kind}:{platform}:{user_id}"
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT payload, created FROM action_state WHERE id = ?", (key,)
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            await conn.execute("DELETE FROM action_state WHERE id = ?", (key,))
        if now is not None and int(now.timestamp()) - int(row[1]) > max_age_seconds:
            return None
        payload: dict[str, Any] = json.loads(row[0])
        return payload
