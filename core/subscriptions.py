"""Daily reflection subscriptions, weekly meeting reminders and sobriety milestones: the
service the conversation layer calls, and the scheduling rules the delivery engine shares.

Every schedule is computed per local date in the owner's IANA zone (core.schedule rules:
a nonexistent time moves forward, a repeated one takes the first instant), so a 07:00
subscription stays 07:00 local across daylight-saving changes. Rows store only opaque
platform ids. Permission checks (who is an admin) belong to the conversation layer; here an
owner can only touch its own rows, and anything else looks "not found".
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from core.clock import Clock
from core.errors import NotFoundError, ValidationError
from core.model import Meeting
from core.outbound import Address, MessageKind
from core.schedule import next_occurrences, occurrence_on, resolve_local
from core.schedule_notices import ScheduleNotices
from core.store.db import Database
from core.store.meetings import MeetingStore
from core.store.subscriptions import (
    DeliveryStatus,
    Schedule,
    SobrietyRecord,
    Status,
    Subscription,
    SubscriptionStore,
)
from core.timezones import canonical_zone, get_zone

__all__ = [
    "DEFAULT_MILESTONE_TIME",
    "DeliveryStatus",
    "Due",
    "Milestone",
    "Owner",
    "SobrietyStatus",
    "Status",
    "Subscription",
    "Subscriptions",
    "daily_slot",
    "local_today",
    "milestone_on",
    "milestones",
    "next_due",
    "next_milestone",
    "reminder_occurrence",
    "schedule_for",
]

DEFAULT_MILESTONE_TIME = time(9, 0)
MAX_MINUTES_BEFORE = 24 * 60
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


# ----------------------------------------------------------------------------------------------
# Owners


@dataclass(frozen=True, slots=True)
class Owner:
    """Who a subscription belongs to: a member or a community (platform ids only)."""

    platform: str
    user_id: str | None = None
    community: str | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.community is None):
            raise ValueError("an owner is a user or a community, not both or neither")

    @classmethod
    def user(cls, platform: str, user_id: str) -> Owner:
        return cls(platform, user_id=str(user_id))

    @classmethod
    def of_community(cls, platform: str, community: str) -> Owner:
        return cls(platform, community=str(community))

    def owns(self, sub: Subscription) -> bool:
        return (
            sub.platform == self.platform
            and sub.user_id == self.user_id
            and sub.community == self.community
        )


# ----------------------------------------------------------------------------------------------
# Milestones


@dataclass(frozen=True, slots=True)
class Milestone:
    """A sobriety milestone: 24 hours, 30/60/90 days, 6 and 9 months, then every year."""

    unit: str  # "hours" | "days" | "months" | "years"
    count: int
    date: date

    @property
    def key(self) -> str:
        """Short stable id for i18n: '24h', '30d', '6m', '1y'…"""
        return f"{self.count}{self.unit[0]}"


def _add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (29 Feb → 28 Feb)."""
    total = d.month - 1 + months
    year, month = d.year + total // 12, total % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def milestones(sober: date) -> Iterator[Milestone]:
    """Every milestone of a sobriety date, in order (endless: one a year after the first)."""
    yield Milestone("hours", 24, sober + timedelta(days=1))
    for days in (30, 60, 90):
        yield Milestone("days", days, sober + timedelta(days=days))
    for months in (6, 9):
        yield Milestone("months", months, _add_months(sober, months))
    years = 1
    while sober.year + years <= date.max.year:
        yield Milestone("years", years, _add_months(sober, 12 * years))
        years += 1


def next_milestone(sober: date, after: date) -> Milestone | None:
    """The first milestone strictly after local date `after`."""
    for milestone in milestones(sober):
        if milestone.date > after:
            return milestone
    return None


def milestone_on(sober: date, day: date) -> Milestone | None:
    """The milestone that falls on `day`, if any."""
    for milestone in milestones(sober):
        if milestone.date >= day:
            return milestone if milestone.date == day else None
    return None


@dataclass(frozen=True, slots=True)
class SobrietyStatus:
    sober_date: date
    timezone: str
    today: date  # in the member's zone
    days: int
    next_milestone: Milestone | None
    reached_today: Milestone | None
    milestones: bool


# ----------------------------------------------------------------------------------------------
# Scheduling rules, shared with the delivery engine


@dataclass(frozen=True, slots=True)
class Due:
    """The next message of a subscription: for local date `key`, nominally at `slot`."""

    key: date
    slot: datetime


@lru_cache(maxsize=65_536)
def _slot_epoch(ordinal: int, minutes: int, zone: str) -> int:
    d = date.fromordinal(ordinal)
    return int(resolve_local(d, time(minutes // 60, minutes % 60), zone).timestamp())


def daily_slot(d: date, t: time, zone: str) -> datetime:
    """The UTC instant of local time `t` on local date `d` in `zone` (cached)."""
    return datetime.fromtimestamp(_slot_epoch(d.toordinal(), t.hour * 60 + t.minute, zone), UTC)


def local_today(now: datetime, zone: str) -> date:
    return now.astimezone(get_zone(zone)).date()


def _next_daily(t: time, zone: str, not_before: datetime, after: date | None) -> Due:
    d = local_today(not_before, zone) - timedelta(days=1)
    if after is not None and d <= after:
        d = after + timedelta(days=1)
    while True:
        slot = daily_slot(d, t, zone)
        if slot >= not_before:
            return Due(d, slot)
        d += timedelta(days=1)


def _next_reminder(
    meeting: Meeting, minutes_before: int, not_before: datetime, after: date | None, now: datetime
) -> Due | None:
    """The first sitting (scheduled on a meeting-local date after `after`) that has not
    started by `now` and whose reminder instant is at or after `not_before`. Reminders key on
    the sitting's *scheduled* date (as RECURRENCE-ID does), so a sitting moved to another day
    is still the one `occurrence_on(meeting, key)` finds when it is due; cancelled and closed
    sittings are not in `next_occurrences` at all."""
    lead = timedelta(minutes=minutes_before)
    start_from = max(now, not_before + lead)
    for occ in next_occurrences(meeting, start_from, count=4):
        if occ.start <= now or (after is not None and occ.key_date <= after):
            continue
        slot = (occ.start - lead).astimezone(UTC)
        if slot >= not_before:
            return Due(occ.key_date, slot)
    return None


def reminder_occurrence(meeting: Meeting, key: date) -> datetime | None:
    occ = occurrence_on(meeting, key)
    return None if occ is None else occ.start


def next_due(
    sub: Subscription,
    *,
    not_before: datetime,
    after: date | None,
    now: datetime,
    meeting: Meeting | None = None,
) -> Due | None:
    """The first message of `sub` whose nominal instant is at or after `not_before`, for a
    local date after `after` (the last one already handled). None: nothing more to send."""
    if sub.kind is MessageKind.REFLECTION:
        return _next_daily(sub.local_time, sub.timezone, not_before, after)
    if sub.kind is MessageKind.REMINDER:
        if meeting is None or sub.minutes_before is None:
            return None
        return _next_reminder(meeting, sub.minutes_before, not_before, after, now)
    if sub.anchor is None:
        return None
    floor = local_today(not_before, sub.timezone) - timedelta(days=1)
    if after is not None and after > floor:
        floor = after
    for milestone in milestones(sub.anchor):
        if milestone.date <= floor:
            continue
        slot = daily_slot(milestone.date, sub.local_time, sub.timezone)
        if slot >= not_before:
            return Due(milestone.date, slot)
    return None


def schedule_for(due: Due | None) -> Schedule:
    if due is None:
        return Schedule(Status.ENDED)
    return Schedule(Status.ACTIVE, due.slot, due.slot, due.key, 0)


# ----------------------------------------------------------------------------------------------
# The service


def _check_language(language: str) -> str:
    if not _LANG_RE.match(language):
        raise ValidationError(
            "language",
            f"{language!r} is not a language code like en or es",
            key="error.language_invalid",
            value=language,
        )
    return language


def _check_time(value: time) -> time:
    if not isinstance(value, time):
        raise ValidationError(
            "time",
            "a local time like 07:00 is required",
            key="error.time_invalid",
            value=str(value),
        )
    return time(value.hour, value.minute)


def _not_found(what: str = "subscription") -> NotFoundError:
    return NotFoundError(f"no such {what}", key=f"error.{what}_not_found")


class Subscriptions:
    """What /subscribe, /remind, /sobriety and /forgetme do to storage.

    `on_change` is called after any change that may move the next due instant earlier
    (the delivery engine's `wake`)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        meetings: MeetingStore | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.store = SubscriptionStore(db)
        self.meetings = meetings or MeetingStore(db)
        self.notices = ScheduleNotices(db, clock, self.meetings)
        self.on_change = on_change

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    async def get(self, sub_id: int, owner: Owner) -> Subscription:
        sub = await self.store.get(sub_id)
        if sub is None or not owner.owns(sub):
            raise _not_found()
        return sub

    # -- daily reflections --------------------------------------------------------------------

    async def subscribe(
        self,
        platform: str,
        user_id: str | None,
        community: str | None,
        address: Address,
        local_time: time,
        timezone: str,
        language: str,
        neutral_steps: bool = False,
    ) -> Subscription:
        """Daily reflection to `address` at `local_time` in `timezone`. One per destination:
        subscribing again updates it (time, zone, language) and reactivates it."""
        owner = Owner(platform, user_id=_opt(user_id), community=_opt(community))
        if address.platform != platform:
            raise ValidationError("address", "the address is on another platform")
        local_time = _check_time(local_time)
        zone = canonical_zone(timezone)
        _check_language(language)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            existing = await self.store.find_reflection(conn, address)
            if existing is not None:
                await self.store.update_settings(
                    conn,
                    existing.id,
                    user_id=owner.user_id,
                    community=owner.community,
                    local_time=local_time,
                    timezone=zone,
                    language=language,
                    neutral_steps=neutral_steps,
                )
                sub_id = existing.id
                after = await self.store.last_delivered(conn, sub_id)
            else:
                sub_id, after = 0, None
            due = _next_daily(local_time, zone, now, after)
            if sub_id:
                await self.store.set_schedule(conn, sub_id, schedule_for(due))
            else:
                sub_id = await self.store.insert(
                    conn,
                    kind=MessageKind.REFLECTION,
                    platform=platform,
                    user_id=owner.user_id,
                    community=owner.community,
                    address=address,
                    local_time=local_time,
                    timezone=zone,
                    language=language,
                    neutral_steps=neutral_steps,
                    schedule=schedule_for(due),
                    now=now,
                )
        self._changed()
        return await self._reload(sub_id)

    async def unsubscribe(
        self,
        platform: str,
        user_id: str | None = None,
        community: str | None = None,
        address: Address | None = None,
        sub_id: int | None = None,
    ) -> int:
        """Remove the owner's daily reflections (all, or the one to `address`, or `sub_id`)."""
        owner = Owner(platform, user_id=_opt(user_id), community=_opt(community))
        subs = [
            s
            for s in await self._owned(owner, MessageKind.REFLECTION)
            if (address is None or s.address == address) and (sub_id is None or s.id == sub_id)
        ]
        async with self.db.transaction() as conn:
            return await self.store.delete(conn, [s.id for s in subs])

    async def list_for_user(self, platform: str, user_id: str) -> list[Subscription]:
        return await self._owned(Owner.user(platform, user_id), MessageKind.REFLECTION)

    async def list_for_community(self, platform: str, community: str) -> list[Subscription]:
        return await self._owned(Owner.of_community(platform, community), MessageKind.REFLECTION)

    async def pause(self, sub_id: int, owner: Owner) -> Subscription:
        sub = await self.get(sub_id, owner)
        async with self.db.transaction() as conn:
            await self.store.set_schedule(conn, sub.id, Schedule(Status.PAUSED))
        return await self._reload(sub.id)

    async def resume(self, sub_id: int, owner: Owner) -> Subscription:
        """Reactivate a paused (or blocked: the member came back) subscription or reminder."""
        sub = await self.get(sub_id, owner)
        if sub.kind is MessageKind.MILESTONE:
            raise ValidationError("subscription", "milestones are turned on with /sobriety")
        await self._reschedule(sub)
        return await self._reload(sub.id)

    async def set_time(
        self, sub_id: int, owner: Owner, local_time: time, timezone: str | None = None
    ) -> Subscription:
        sub = await self.get(sub_id, owner)
        if sub.kind is MessageKind.REMINDER:
            raise ValidationError("subscription", "a reminder follows its meeting's time")
        local_time = _check_time(local_time)
        zone = canonical_zone(timezone) if timezone else sub.timezone
        async with self.db.transaction() as conn:
            await self.store.update_settings(
                conn,
                sub.id,
                user_id=sub.user_id,
                community=sub.community,
                local_time=local_time,
                timezone=zone,
                language=sub.language,
                neutral_steps=sub.neutral_steps,
                minutes_before=sub.minutes_before,
                anchor=sub.anchor,
            )
        sub = await self._reload(sub.id)
        if sub.status is Status.ACTIVE:
            await self._reschedule(sub)
        if sub.kind is MessageKind.MILESTONE:
            await self._update_sobriety_zone(sub, zone)
        return await self._reload(sub.id)

    # -- meeting reminders --------------------------------------------------------------------

    async def add_reminder(
        self,
        platform: str,
        user_id: str,
        address: Address,
        meeting_slug: str,
        minutes_before: int,
        timezone: str,
        language: str,
    ) -> Subscription:
        """A weekly reminder `minutes_before` each occurrence of the meeting, to `address`
        (the member's private chat). Adding it again changes the lead time."""
        if isinstance(minutes_before, bool) or not 0 <= int(minutes_before) <= MAX_MINUTES_BEFORE:
            raise ValidationError(
                "minutes_before",
                f"must be between 0 and {MAX_MINUTES_BEFORE}",
                key="error.minutes_before_invalid",
                value=minutes_before,
            )
        minutes_before = int(minutes_before)
        meeting = await self.meetings.get(meeting_slug)
        if meeting is None:
            raise NotFoundError(
                f"no meeting {meeting_slug!r}", key="error.meeting_not_found", slug=meeting_slug
            )
        zone = canonical_zone(timezone)
        _check_language(language)
        user_id = str(user_id)
        now = self.clock.now()
        async with self.db.transaction() as conn:
            existing = await self.store.find_personal(
                conn, MessageKind.REMINDER, platform, user_id, meeting_slug
            )
            after = None
            if existing is not None:
                after = await self.store.last_delivered(conn, existing.id)
            probe = _probe(MessageKind.REMINDER, zone, time(0), minutes_before=minutes_before)
            schedule = schedule_for(
                next_due(probe, not_before=now, after=after, now=now, meeting=meeting)
            )
            if existing is not None:
                await self.store.update_settings(
                    conn,
                    existing.id,
                    user_id=user_id,
                    community=None,
                    local_time=time(0),
                    timezone=zone,
                    language=language,
                    neutral_steps=False,
                    minutes_before=minutes_before,
                    address=address,
                )
                await self.store.set_schedule(conn, existing.id, schedule)
                sub_id = existing.id
            else:
                sub_id = await self.store.insert(
                    conn,
                    kind=MessageKind.REMINDER,
                    platform=platform,
                    user_id=user_id,
                    community=None,
                    address=address,
                    local_time=time(0),
                    timezone=zone,
                    language=language,
                    neutral_steps=False,
                    schedule=schedule,
                    now=now,
                    meeting_slug=meeting.slug,
                    minutes_before=minutes_before,
                )
            # Changes made before now are on the card the member just saw: no heads-up.
            await self.notices.set_baseline(conn, sub_id, meeting)
        self._changed()
        return await self._reload(sub_id)

    async def list_reminders(self, platform: str, user_id: str) -> list[Subscription]:
        return await self._owned(Owner.user(platform, user_id), MessageKind.REMINDER)

    async def cancel_reminder(self, sub_id: int, platform: str, user_id: str) -> bool:
        sub = await self.store.get(sub_id)
        if (
            sub is None
            or sub.kind is not MessageKind.REMINDER
            or not Owner.user(platform, user_id).owns(sub)
        ):
            return False
        async with self.db.transaction() as conn:
            return await self.store.delete(conn, [sub.id]) > 0

    async def refresh_reminders(self, meeting_slug: str) -> int:
        """Recompute reminders after a meeting changed or was removed, and queue the
        heads-ups a changed sitting owes their members; returns how many reminders."""
        subs = await self.store.reminders_for_meeting(meeting_slug)
        for sub in subs:
            await self._reschedule(sub)
        if subs and (await self.notices.scan(meeting_slug)).added:
            self._changed()
        return len(subs)

    # -- sobriety -----------------------------------------------------------------------------

    async def set_sobriety(
        self,
        platform: str,
        user_id: str,
        sober_date: date,
        timezone: str,
        milestones: bool = False,
        address: Address | None = None,
        local_time: time = DEFAULT_MILESTONE_TIME,
        language: str | None = None,
    ) -> SobrietyStatus:
        """Store (or replace) the member's sobriety date; with `milestones`, schedule milestone
        messages to `address` at `local_time` on each milestone day, in `language` (default:
        the language of the member's other subscriptions, else English)."""
        if language is not None:
            _check_language(language)
        zone = canonical_zone(timezone)
        user_id = str(user_id)
        local_time = _check_time(local_time)
        now = self.clock.now()
        today = local_today(now, zone)
        if sober_date > today:
            raise ValidationError(
                "date",
                "the sobriety date cannot be in the future",
                key="error.sobriety_future",
                value=sober_date.isoformat(),
            )
        if sober_date.year < 1900:
            raise ValidationError(
                "date",
                "that date is too far back",
                key="error.sobriety_too_old",
                value=sober_date.isoformat(),
            )
        if milestones and address is None:
            raise ValidationError("address", "milestone messages need a private chat")
        record = SobrietyRecord(platform, user_id, sober_date, zone, milestones)
        async with self.db.transaction() as conn:
            await self.store.upsert_sobriety(conn, record, now)
            existing = await self.store.find_personal(
                conn, MessageKind.MILESTONE, platform, user_id
            )
            if milestones and address is not None:
                probe = _probe(MessageKind.MILESTONE, zone, local_time, anchor=sober_date)
                schedule = schedule_for(next_due(probe, not_before=now, after=None, now=now))
                if existing is None:
                    await self.store.insert(
                        conn,
                        kind=MessageKind.MILESTONE,
                        platform=platform,
                        user_id=user_id,
                        community=None,
                        address=address,
                        local_time=local_time,
                        timezone=zone,
                        language=language or await self._language_of(user_id, platform),
                        neutral_steps=False,
                        schedule=schedule,
                        now=now,
                        anchor=sober_date,
                    )
                else:
                    await self.store.update_settings(
                        conn,
                        existing.id,
                        user_id=user_id,
                        community=None,
                        local_time=local_time,
                        timezone=zone,
                        language=language or existing.language,
                        neutral_steps=False,
                        anchor=sober_date,
                        address=address,
                    )
                    await self.store.set_schedule(conn, existing.id, schedule)
            elif existing is not None:
                await self.store.delete(conn, [existing.id])
        self._changed()
        status = await self.sobriety_status(platform, user_id)
        assert status is not None
        return status

    async def set_milestone_language(self, platform: str, user_id: str, language: str) -> None:
        sub = await self._milestone_row(platform, user_id)
        if sub is not None:
            async with self.db.transaction() as conn:
                await self.store.update_settings(
                    conn,
                    sub.id,
                    user_id=sub.user_id,
                    community=None,
                    local_time=sub.local_time,
                    timezone=sub.timezone,
                    language=_check_language(language),
                    neutral_steps=False,
                    anchor=sub.anchor,
                )

    async def sobriety_status(self, platform: str, user_id: str) -> SobrietyStatus | None:
        record = await self.store.get_sobriety(platform, str(user_id))
        if record is None:
            return None
        today = local_today(self.clock.now(), record.timezone)
        return SobrietyStatus(
            sober_date=record.sober_date,
            timezone=record.timezone,
            today=today,
            days=(today - record.sober_date).days,
            next_milestone=next_milestone(record.sober_date, today),
            reached_today=milestone_on(record.sober_date, today),
            milestones=record.milestones,
        )

    async def clear_sobriety(self, platform: str, user_id: str) -> bool:
        user_id = str(user_id)
        async with self.db.transaction() as conn:
            removed = await self.store.delete_sobriety(conn, platform, user_id)
            milestone = await self.store.find_personal(
                conn, MessageKind.MILESTONE, platform, user_id
            )
            if milestone is not None:
                await self.store.delete(conn, [milestone.id])
        return removed > 0

    # -- privacy and platform events ----------------------------------------------------------

    async def forget_user(self, platform: str, user_id: str) -> dict[str, int]:
        """/forgetme: every personal subscription, reminder, milestone schedule, their
        delivery records and the sobriety date. Community subscriptions are the community's."""
        owned = await self._owned(Owner.user(platform, str(user_id)), *MessageKind)
        counts = {"subscriptions": 0, "reminders": 0, "milestones": 0, "sobriety": 0}
        names = {
            MessageKind.REFLECTION: "subscriptions",
            MessageKind.REMINDER: "reminders",
            MessageKind.MILESTONE: "milestones",
        }
        for sub in owned:
            counts[names[sub.kind]] += 1
        async with self.db.transaction() as conn:
            await self.store.delete(conn, [s.id for s in owned])
            counts["sobriety"] = await self.store.delete_sobriety(conn, platform, str(user_id))
        return counts

    async def deactivate_address(self, address: Address) -> int:
        """The bot was blocked or removed there: stop everything going to it."""
        async with self.db.transaction() as conn:
            return await self.store.deactivate_chat(conn, address)

    async def migrate_address(self, old: Address, new_chat_id: str) -> int:
        """The chat got a new id (Telegram group → supergroup)."""
        async with self.db.transaction() as conn:
            moved = await self.store.migrate_chat(conn, old, str(new_chat_id))
        self._changed()
        return moved

    # -- helpers ------------------------------------------------------------------------------

    async def _owned(self, owner: Owner, *kinds: MessageKind) -> list[Subscription]:
        return await self.store.list_owned(
            owner.platform, user_id=owner.user_id, community=owner.community, kinds=kinds
        )

    async def _reload(self, sub_id: int) -> Subscription:
        sub = await self.store.get(sub_id)
        if sub is None:
            raise _not_found()
        return sub

    async def _reschedule(self, sub: Subscription) -> None:
        now = self.clock.now()
        meeting = None
        if sub.kind is MessageKind.REMINDER and sub.meeting_slug:
            meeting = await self.meetings.get(sub.meeting_slug)
        async with self.db.transaction() as conn:
            after = await self.store.last_delivered(conn, sub.id)
            due = next_due(sub, not_before=now, after=after, now=now, meeting=meeting)
            await self.store.set_schedule(conn, sub.id, schedule_for(due))
        self._changed()

    async def _milestone_row(self, platform: str, user_id: str) -> Subscription | None:
        rows = await self._owned(Owner.user(platform, user_id), MessageKind.MILESTONE)
        return rows[0] if rows else None

    async def _update_sobriety_zone(self, sub: Subscription, zone: str) -> None:
        if sub.user_id is None:
            return
        record = await self.store.get_sobriety(sub.platform, sub.user_id)
        if record is not None and record.timezone != zone:
            async with self.db.transaction() as conn:
                await self.store.upsert_sobriety(
                    conn,
                    SobrietyRecord(
                        record.platform, record.user_id, record.sober_date, zone, record.milestones
                    ),
                    self.clock.now(),
                )

    async def _language_of(self, user_id: str, platform: str) -> str:
        """A new milestone schedule speaks the member's reflection language, if any."""
        subs = await self._owned(
            Owner.user(platform, user_id), MessageKind.REFLECTION, MessageKind.REMINDER
        )
        return subs[0].language if subs else "en"


def _opt(value: str | int | None) -> str | None:
    return None if value is None else str(value)


def _probe(
    kind: MessageKind,
    zone: str,
    local_time: time,
    *,
    minutes_before: int | None = None,
    anchor: date | None = None,
) -> Subscription:
    """An unsaved subscription, to compute a schedule before the row exists."""
    return Subscription(
        id=0,
        kind=kind,
        platform="",
        user_id="",
        community=None,
        address=Address("", ""),
        local_time=local_time,
        timezone=zone,
        language="en",
        neutral_steps=False,
        status=Status.ACTIVE,
        next_due=None,
        slot=None,
        due_date=None,
        minutes_before=minutes_before,
        anchor=anchor,
    )
