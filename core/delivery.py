"""The delivery engine: a persistent due-queue of reflections, reminders and milestones,
served at each owner's local time through per-platform transports.

How it keeps its promises:

- One task per platform sleeps until that platform's earliest `next_due_utc` (read through
  an index, so finding due work costs O(due)) and wakes early when `wake()` is called
  (RoboDanny's reminder loop, with an asyncio.Event instead of task restarts).
- Exactly one message per subscription per local day: the `deliveries` primary key
  (subscription, local date). A claimed batch is marked 'sending' before any send; each
  outcome is then written together with the subscription's next due instant, in one
  transaction. A subscription whose day is already 'sent' is moved on without sending.
- A concurrency slot is held from the send until its outcome is committed, so at any
  instant at most `max_concurrency` messages have been handed to a platform without a
  'sent' record: after a crash, those (and only those) may be sent twice. Outcomes are
  committed in groups (one transaction for whatever finished meanwhile) for throughput.
- Late messages (after downtime) are still sent within `catch_up_hours` of their nominal
  time; older ones are recorded as skipped and the subscription moves to its next day.
- blocked → every subscription to that chat is deactivated; retry_after → the platform's
  sends pause for that long; migrated → addresses are updated and the message resent;
  failed → retried with exponential backoff, at most `max_attempts` times for the day.
- Rate limits per platform (overall/s, per chat/s, per group/min) are token buckets driven
  by the Clock, so a FakeClock drives everything in tests.

Logs carry only opaque ids (subscription ids, platform names), never chat ids or text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from core.change_reports import ChangeReports, DueReport, report_addresses, report_message
from core.clock import Clock
from core.config import Config, RateLimits
from core.i18n import Translator
from core.model import Meeting
from core.outbound import Address, MessageKind, OutboundMessage, SendKind, SendResult, Transport
from core.reflections import Pack
from core.replies import Reply
from core.schedule import occurrence_on
from core.schedule_notices import SCAN_EVERY, ScheduleNotices
from core.store.db import Database
from core.store.meetings import MeetingStore
from core.store.notices import DueNotice, NoticeStatus
from core.store.settings import SettingsStore
from core.store.subscriptions import (
    DeliveryStatus,
    Schedule,
    Status,
    Subscription,
    SubscriptionStore,
    to_epoch,
)
from core.subscriptions import milestone_on, next_due, schedule_for
from core.timezones import get_zone

log = logging.getLogger(__name__)

MAX_IDLE_SECONDS = 3600.0  # re-read the queue at least hourly (clock jumps, missed wakes)
ERROR_PAUSE_SECONDS = 30.0
PRUNE_EVERY = timedelta(hours=6)

METRIC_NAMES = (
    "sent",  # handed to the platform and confirmed
    "skipped_late",  # beyond the catch-up window: recorded as skipped
    "already_sent",  # the day was already served (time changed, restart): not resent
    "resent_unconfirmed",  # 'sending' found at claim: maybe sent before a crash; sent again
    "blocked",  # the platform refused the chat: its subscriptions deactivated
    "failed_attempts",  # a failed send that will be retried
    "gave_up",  # failed max_attempts times: skipped for that day
    "rate_limited",  # retry_after answers
    "migrated",  # chat id changes followed
    "ended",  # reminders whose meeting is gone
    "errors",  # unexpected exceptions (transport or loop)
    "notices_sent",  # heads-ups about a changed sitting, confirmed
    "notices_dropped",  # heads-ups no longer true (or their reminder gone) when due
    "reports_sent",  # change reports that reached at least one admin (core.change_reports)
    "reports_undeliverable",  # change reports no admin could be reached for
)
MAX_ADMIN_MESSAGES = 10  # a report goes to at most this many admins privately


class TokenBucket:
    """A reservation-based token bucket (GCRA): `reserve` says how long to wait for a token
    and books it, so concurrent callers are served in order without polling."""

    def __init__(self, rate_per_second: float, burst: float = 1.0) -> None:
        self.interval = 1.0 / rate_per_second
        self.tolerance = max(0.0, burst - 1.0) * self.interval
        self._tat = float("-inf")  # theoretical arrival time, epoch seconds

    def reserve(self, now: float) -> float:
        tat = max(self._tat, now)
        start = max(now, tat - self.tolerance)
        self._tat = tat + self.interval
        return start - now

    def idle(self, now: float) -> bool:
        return self._tat <= now


class _PlatformState:
    """A platform's transport, limits, back-off and wake-up event."""

    def __init__(self, transport: Transport, limits: RateLimits | None) -> None:
        self.name = transport.platform
        self.transport = transport
        self.limits = limits
        self.overall: TokenBucket | None = None
        if limits is not None and limits.overall_per_second > 0:
            self.overall = TokenBucket(
                limits.overall_per_second, burst=max(1.0, limits.overall_per_second)
            )
        self.chats: dict[str, TokenBucket] = {}
        self.groups: dict[str, TokenBucket] = {}
        self.paused_until = 0.0
        self.event = asyncio.Event()
        self.drain_lock = asyncio.Lock()

    def _bucket(
        self, table: dict[str, TokenBucket], key: str, rate: float, now: float
    ) -> TokenBucket:
        bucket = table.get(key)
        if bucket is None:
            if len(table) > 10_000:  # forget chats that have been quiet
                for stale in [k for k, b in table.items() if b.idle(now)]:
                    del table[stale]
            bucket = table[key] = TokenBucket(rate)
        return bucket

    async def throttle(self, clock: Clock, address: Address, group: bool) -> None:
        """Wait for the chat's (and group's) token, then the platform's."""
        limits = self.limits
        if limits is None:
            return
        now = clock.now().timestamp()
        wait = 0.0
        if limits.per_chat_per_second > 0:
            wait = self._bucket(
                self.chats, address.chat_id, limits.per_chat_per_second, now
            ).reserve(now)
        if group and limits.per_group_per_minute > 0:
            wait = max(
                wait,
                self._bucket(
                    self.groups, address.chat_id, limits.per_group_per_minute / 60.0, now
                ).reserve(now),
            )
        if wait > 0:
            await clock.sleep(wait)
        if self.overall is not None:
            now = clock.now().timestamp()
            wait = self.overall.reserve(now)
            if wait > 0:
                await clock.sleep(wait)

    async def wait_ready(self, clock: Clock) -> None:
        """Honour a retry_after back-off of the whole platform."""
        while True:
            wait = self.paused_until - clock.now().timestamp()
            if wait <= 0:
                return
            await clock.sleep(wait)

    def back_off(self, clock: Clock, seconds: float) -> None:
        self.paused_until = max(self.paused_until, clock.now().timestamp() + seconds)


@dataclass(slots=True)
class _Work:
    sub: Subscription
    key: date
    message: OutboundMessage
    claimed_due: int | None
    claimed_key: str | None
    meeting: Meeting | None = None


@dataclass(slots=True)
class _Outcome:
    work: _Work
    delivery: DeliveryStatus
    schedule: Schedule
    blocked: Address | None = None


@dataclass
class _GroupCommit:
    """Collects outcomes from concurrent senders and writes whatever has accumulated in one
    transaction; each submitter returns only once its outcome is durable."""

    flush: Callable[[list[_Outcome]], Awaitable[None]]
    pending: list[tuple[_Outcome, asyncio.Future[None]]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def submit(self, outcome: _Outcome) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((outcome, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run())
        await asyncio.shield(future)

    async def _run(self) -> None:
        while self.pending:
            await asyncio.sleep(0)  # let the senders that are finishing join this group
            batch, self.pending = self.pending, []
            try:
                await self.flush([outcome for outcome, _ in batch])
            except Exception as exc:  # every waiter learns it; the engine logs it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)


class DeliveryEngine:
    """Serves every due subscription, reminder and milestone through `transports`."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        transports: Mapping[str, Transport],
        config: Config,
        reflections: Pack,
        *,
        meetings: MeetingStore | None = None,
        limits: Mapping[str, RateLimits | None] | None = None,
        batch_size: int = 500,
        max_attempts: int = 5,
        retry_base_seconds: float = 30.0,
        max_rate_limited: int = 8,
        keep_days: int = 14,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.reflections = reflections
        self.store = SubscriptionStore(db)
        self.meetings = meetings or MeetingStore(db)
        self.notices = ScheduleNotices(db, clock, self.meetings)
        self.reports = ChangeReports(db, clock.now)
        self.settings = SettingsStore(db)
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.retry_base_seconds = retry_base_seconds
        self.max_rate_limited = max_rate_limited
        self.keep_days = keep_days
        self.catch_up = timedelta(hours=config.catch_up_hours)
        self.metrics: dict[str, int] = dict.fromkeys(METRIC_NAMES, 0)
        configured: dict[str, RateLimits | None] = {
            "telegram": config.telegram_limits,
            "discord": config.discord_limits,
        }
        configured.update(limits or {})
        self._platforms = {
            name: _PlatformState(transport, configured.get(name))
            for name, transport in transports.items()
        }
        self._slots = asyncio.Semaphore(max(1, config.max_concurrency))
        self._commit = _GroupCommit(self._flush)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._last_prune: datetime | None = None
        self._last_scan: datetime | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Start one scheduler task per platform."""
        if self._tasks:
            return
        self._stopping = False
        for state in self._platforms.values():
            self._tasks.append(
                asyncio.create_task(self._loop(state), name=f"delivery-{state.name}")
            )

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop after the current batch (at most `grace_seconds`, then cancel)."""
        self._stopping = True
        self.wake()
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def wake(self) -> None:
        """Something may have become due sooner: re-read the queue now."""
        for state in self._platforms.values():
            state.event.set()

    async def run_once(self) -> int:
        """Serve everything due now on every platform; returns how many rows were handled."""
        await self._maybe_scan()
        counts = await asyncio.gather(*(self._drain(s) for s in self._platforms.values()))
        await self._maybe_prune()
        return sum(counts)

    # -- the loop -----------------------------------------------------------------------------

    async def _loop(self, state: _PlatformState) -> None:
        while not self._stopping:
            state.event.clear()
            try:
                await self._maybe_scan()
                await self._drain(state)
                await self._maybe_prune()
                delay = MAX_IDLE_SECONDS
                for earliest in (await self.store.earliest_due(state.name),
                                 await self.notices.earliest(state.name),
                                 await self.reports.earliest(state.name)):
                    if earliest is not None:
                        delay = min(delay, (earliest - self.clock.now()).total_seconds())
            except asyncio.CancelledError:
                raise
            except Exception:
                self.metrics["errors"] += 1
                log.exception("delivery loop error on %s", state.name)
                delay = ERROR_PAUSE_SECONDS
            if self._stopping:
                break
            if delay > 0:
                await self._sleep_or_wake(state.event, delay)

    async def _sleep_or_wake(self, event: asyncio.Event, seconds: float) -> None:
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        waker = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
            await asyncio.gather(sleeper, waker, return_exceptions=True)

    async def _drain(self, state: _PlatformState) -> int:
        handled = 0
        async with state.drain_lock:
            while not self._stopping:
                claimed = await self._claim(state, self.clock.now())
                if claimed is None:
                    break
                count, works = claimed
                handled += count
                if works:
                    await asyncio.gather(*(self._deliver(state, w) for w in works))
            handled += await self._drain_queue(
                lambda: self.notices.claim(state.name, self.batch_size),
                lambda notice: self._deliver_notice(state, notice))
            handled += await self._drain_queue(
                lambda: self.reports.claim(state.name, self.batch_size),
                lambda report: self._deliver_report(state, report))
        return handled

    async def _drain_queue(self, claim: Callable[[], Awaitable[Sequence[Any]]],
                           deliver: Callable[[Any], Awaitable[None]]) -> int:
        """Claim and deliver batches of a leased queue (heads-ups, reports) until empty."""
        handled = 0
        while not self._stopping:
            batch = await claim()
            if not batch:
                break
            handled += len(batch)
            await asyncio.gather(*(deliver(item) for item in batch))
        return handled

    async def _maybe_scan(self) -> None:
        """Hourly: heads-ups owed for changes that have come within reach since they were
        made (every process may scan; the database keeps each heads-up once)."""
        now = self.clock.now()
        if self._last_scan is not None and now - self._last_scan < SCAN_EVERY:
            return
        self._last_scan = now
        result = await self.notices.scan()
        if result.added:
            log.info("%d schedule heads-ups queued", result.added)

    async def _maybe_prune(self) -> None:
        now = self.clock.now()
        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        before = now.date() - timedelta(days=self.keep_days)
        removed = await self.store.prune_deliveries(before)
        if removed:
            log.info("pruned %d delivery records before %s", removed, before)
        await self.notices.prune()
        await self.reports.prune()

    # -- claiming -----------------------------------------------------------------------------

    async def _claim(self, state: _PlatformState, now: datetime) -> tuple[int, list[_Work]] | None:
        """Read one batch of due rows and, in the same transaction, mark the ones to send
        'sending' and move on the ones that need no send. None when nothing is due."""
        meetings: dict[str, Meeting | None] = {}
        async with self.db.transaction() as conn:
            items = await self.store.due(conn, state.name, now, self.batch_size)
            if not items:
                return None
            works: list[_Work] = []
            skipped: list[tuple[int, str, DeliveryStatus]] = []
            moves: list[tuple[Schedule, int, int | None, str | None]] = []
            for item in items:
                sub = item.subscription
                claimed = (
                    to_epoch(sub.next_due),
                    sub.due_date.isoformat() if sub.due_date else None,
                )
                meeting = None
                if sub.kind is MessageKind.REMINDER:
                    meeting = await self._meeting(sub.meeting_slug, meetings)
                    if meeting is None:
                        self.metrics["ended"] += 1
                        moves.append((Schedule(Status.ENDED), sub.id, *claimed))
                        continue
                key = sub.due_date
                message = None if key is None else self._message(sub, key, meeting)
                if key is None or sub.slot is None or message is None:
                    # Out of step with its meeting (or never scheduled): recompute.
                    due = next_due(
                        sub, not_before=now - self.catch_up, after=None, now=now, meeting=meeting
                    )
                    moves.append((schedule_for(due), sub.id, *claimed))
                    continue
                if item.delivery_status is DeliveryStatus.SENT:
                    self.metrics["already_sent"] += 1
                    moves.append((self._following(sub, key, now, meeting), sub.id, *claimed))
                    continue
                if self._too_late(sub, now, message):
                    self.metrics["skipped_late"] += 1
                    skipped.append((sub.id, key.isoformat(), DeliveryStatus.SKIPPED))
                    moves.append((self._following(sub, key, now, meeting), sub.id, *claimed))
                    continue
                if item.delivery_status is DeliveryStatus.SENDING:
                    self.metrics["resent_unconfirmed"] += 1
                works.append(_Work(sub, key, message, *claimed, meeting=meeting))
            await self.store.record(conn, skipped, now)
            await self.store.advance(conn, moves)
            await self.store.mark_sending(conn, [(w.sub.id, w.key.isoformat()) for w in works], now)
        return len(items), works

    async def _meeting(self, slug: str | None, cache: dict[str, Meeting | None]) -> Meeting | None:
        if not slug:
            return None
        if slug not in cache:
            cache[slug] = await self.meetings.get(slug)
        return cache[slug]

    def _message(
        self, sub: Subscription, key: date, meeting: Meeting | None
    ) -> OutboundMessage | None:
        """What to send for `sub` on local date `key`; None if it no longer applies."""
        if sub.kind is MessageKind.REFLECTION:
            return OutboundMessage(
                MessageKind.REFLECTION,
                sub.language,
                sub.id,
                key,
                sub.timezone,
                reflection=self.reflections.reflection_for(key, sub.language),
                neutral_steps=sub.neutral_steps,
            )
        if sub.kind is MessageKind.REMINDER:
            if meeting is None or sub.minutes_before is None or sub.slot is None:
                return None
            occ = occurrence_on(meeting, key)
            if occ is None or occ.start - timedelta(minutes=sub.minutes_before) != sub.slot:
                return None  # the meeting changed since this was scheduled
            return OutboundMessage(
                MessageKind.REMINDER,
                sub.language,
                sub.id,
                occ.start.astimezone(get_zone(sub.timezone)).date(),
                sub.timezone,
                meeting_slug=meeting.slug,
                occurrence_start=occ.start,
                minutes_before=sub.minutes_before,
            )
        if sub.anchor is None:
            return None
        milestone = milestone_on(sub.anchor, key)
        if milestone is None:
            return None
        return OutboundMessage(
            MessageKind.MILESTONE,
            sub.language,
            sub.id,
            key,
            sub.timezone,
            milestone=milestone,
            sober_days=(key - sub.anchor).days,
        )

    def _too_late(self, sub: Subscription, now: datetime, message: OutboundMessage) -> bool:
        assert sub.slot is not None
        if now - sub.slot > self.catch_up:
            return True
        start = message.occurrence_start
        return start is not None and now >= start

    def _following(
        self, sub: Subscription, key: date, now: datetime, meeting: Meeting | None
    ) -> Schedule:
        """The schedule after local date `key` has been handled."""
        return schedule_for(
            next_due(sub, not_before=now - self.catch_up, after=key, now=now, meeting=meeting)
        )

    # -- sending ------------------------------------------------------------------------------

    async def _send_until_settled(
        self,
        state: _PlatformState,
        address: Address,
        message: OutboundMessage | Reply,
        ref: int,
        group: bool,
        settle: Callable[[SendResult], Awaitable[None]],
    ) -> None:
        """Send one message, following retry_after and migrations, then `settle` its final
        result (ok, blocked, or failed: any other answer) while still holding the slot.

        Back-off and rate-limit waits happen outside the concurrency slots (a platform that
        is backing off does not hold up the others); a slot is held from the send until
        the outcome is committed."""
        rate_limited = migrations = 0
        while True:
            await state.wait_ready(self.clock)
            await state.throttle(self.clock, address, group)
            async with self._slots:
                if state.paused_until > self.clock.now().timestamp():
                    continue  # a retry_after arrived while we queued for a slot
                result = await self._send(state, address, message, ref)
                if result.kind is SendKind.RETRY_AFTER:
                    self.metrics["rate_limited"] += 1
                    rate_limited += 1
                    state.back_off(self.clock, max(result.retry_after, 0.5))
                    log.info("rate limited on %s for %.1f s", state.name, result.retry_after)
                    if rate_limited <= self.max_rate_limited:
                        continue
                    result = SendResult.failed("rate limited")
                elif result.kind is SendKind.MIGRATED and result.new_chat_id and migrations < 3:
                    self.metrics["migrated"] += 1
                    migrations += 1
                    async with self.db.transaction() as conn:
                        await self.store.migrate_chat(conn, address, result.new_chat_id)
                    log.info("chat migrated on %s for subscription %s", state.name, ref)
                    address = address.with_chat(result.new_chat_id)
                    continue
                await settle(result)
                return

    async def _deliver(self, state: _PlatformState, work: _Work) -> None:
        """Send a subscription's message and record the outcome with its next due time."""
        address = work.sub.address

        async def settle(result: SendResult) -> None:
            if result.kind is SendKind.OK:
                self.metrics["sent"] += 1
                outcome = _Outcome(
                    work,
                    DeliveryStatus.SENT,
                    self._following(work.sub, work.key, self.clock.now(), work.meeting),
                )
            elif result.kind is SendKind.BLOCKED:
                self.metrics["blocked"] += 1
                log.info("blocked on %s: subscription %s deactivated", state.name, work.sub.id)
                outcome = _Outcome(
                    work,
                    DeliveryStatus.BLOCKED,
                    Schedule(Status.BLOCKED),
                    blocked=Address(address.platform, address.chat_id),
                )
            else:
                outcome = self._failed(work)
            await self._record(outcome)

        await self._send_until_settled(state, address, work.message, work.sub.id,
                                       work.sub.community is not None, settle)

    async def _deliver_notice(self, state: _PlatformState, notice: DueNotice) -> None:
        """Send a claimed heads-up if it is still true, and record what became of it."""
        try:
            message = await self.notices.message(notice)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.metrics["errors"] += 1
            log.exception("could not compose the heads-up for subscription %s",
                          notice.subscription_id)
            return  # its lease runs out and it is tried again
        if message is None:
            self.metrics["notices_dropped"] += 1
            await self.notices.finish([notice], NoticeStatus.DROPPED)
            return

        async def settle(result: SendResult) -> None:
            if result.kind is SendKind.OK:
                self.metrics["notices_sent"] += 1
                await self.notices.finish([notice], NoticeStatus.SENT)
            elif result.kind is SendKind.BLOCKED:
                self.metrics["blocked"] += 1
                log.info("blocked on %s: subscription %s deactivated", state.name,
                         notice.subscription_id)
                await self.notices.finish([notice], NoticeStatus.BLOCKED)
                async with self.db.transaction() as conn:
                    await self.store.deactivate_chat(conn, notice.address)
            elif notice.attempts + 1 >= self.max_attempts:
                self.metrics["gave_up"] += 1
                await self.notices.finish([notice], NoticeStatus.FAILED)
            else:
                self.metrics["failed_attempts"] += 1
                delay = self.retry_base_seconds * 2 ** notice.attempts
                await self.notices.finish([notice], NoticeStatus.PENDING,
                                          retry_at=self.clock.now() + timedelta(seconds=delay))

        try:
            await self._send_until_settled(state, notice.address, message,
                                           notice.subscription_id, False, settle)
        except asyncio.CancelledError:
            raise
        except Exception:  # its lease runs out and it is tried again
            self.metrics["errors"] += 1
            log.exception("could not record the heads-up for subscription %s",
                          notice.subscription_id)

    async def _deliver_report(self, state: _PlatformState, report: DueReport) -> None:
        """Send a change report to the channel the admins chose, else to each admin in
        private; delivered if anyone got it, retried while sends only failed."""
        try:
            settings = await self.settings.community(report.community)
            addresses = report_addresses(state.name, settings.reports_chat,
                                         settings.reports_thread)
            channel = bool(addresses)
            if not addresses:
                community_id = report.community.partition(":")[2]
                addresses = (await state.transport.admin_addresses(community_id))
            meeting = None
            if report.meeting_id is not None:
                meeting = (await self.meetings.get_many([report.meeting_id])).get(
                    report.meeting_id)
            message = report_message(Translator(settings.language or report.language), report,
                                     meeting)
            results: list[SendResult] = []

            async def settle(result: SendResult) -> None:
                results.append(result)

            for address in addresses[:MAX_ADMIN_MESSAGES]:
                await self._send_until_settled(state, address, message, report.id, channel,
                                               settle)
            if any(r.kind is SendKind.OK for r in results):
                self.metrics["reports_sent"] += 1
                await self.reports.finish(report, delivered=True)
            elif any(r.kind is SendKind.FAILED for r in results) and (
                report.attempts + 1 < self.max_attempts
            ):
                self.metrics["failed_attempts"] += 1
                delay = self.retry_base_seconds * 2 ** report.attempts
                await self.reports.finish(report, delivered=False,
                                          retry_at=self.clock.now() + timedelta(seconds=delay))
            else:
                self.metrics["reports_undeliverable"] += 1
                log.info("change report %s on %s reached no admin", report.id, state.name)
                await self.reports.finish(report, delivered=False)
        except asyncio.CancelledError:
            raise
        except Exception:  # its lease runs out and it is tried again
            self.metrics["errors"] += 1
            log.exception("could not deliver change report %s", report.id)

    async def _send(
        self, state: _PlatformState, address: Address, message: OutboundMessage | Reply,
        ref: int,
    ) -> SendResult:
        try:
            return await state.transport.send(address, message)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.metrics["errors"] += 1
            log.exception("transport %s raised for subscription %s", state.name, ref)
            return SendResult.failed("exception")

    async def _record(self, outcome: _Outcome) -> None:
        try:
            await self._commit.submit(outcome)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The 'sending' row stays and the subscription is still due: served again later.
            self.metrics["errors"] += 1
            log.exception("could not record delivery for subscription %s", outcome.work.sub.id)

    def _failed(self, work: _Work) -> _Outcome:
        attempts = work.sub.attempts + 1
        now = self.clock.now()
        if attempts >= self.max_attempts:
            self.metrics["gave_up"] += 1
            log.warning(
                "giving up on subscription %s for %s after %d attempts",
                work.sub.id,
                work.key,
                attempts,
            )
            return _Outcome(
                work, DeliveryStatus.FAILED, self._following(work.sub, work.key, now, work.meeting)
            )
        self.metrics["failed_attempts"] += 1
        retry_at = now + timedelta(seconds=self.retry_base_seconds * 2 ** (attempts - 1))
        return _Outcome(
            work,
            DeliveryStatus.FAILED,
            Schedule(Status.ACTIVE, retry_at, work.sub.slot, work.key, attempts),
        )

    async def _flush(self, outcomes: list[_Outcome]) -> None:
        now = self.clock.now()
        async with self.db.transaction() as conn:
            await self.store.finish(
                conn, [(o.work.sub.id, o.work.key.isoformat(), o.delivery) for o in outcomes], now
            )
            await self.store.advance(
                conn,
                [
                    (o.schedule, o.work.sub.id, o.work.claimed_due, o.work.claimed_key)
                    for o in outcomes
                ],
            )
            for address in {o.blocked for o in outcomes if o.blocked is not None}:
                await self.store.deactivate_chat(conn, address)

    # -- introspection ------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Metrics plus per-platform back-off state (for /status and logs)."""
        now = self.clock.now().timestamp()
        return {
            **self.metrics,
            "paused_platforms": sorted(
                n for n, s in self._platforms.items() if s.paused_until > now
            ),
        }
