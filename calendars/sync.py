"""Applying an import: one source's meetings brought in line with a file, all or nothing.

A *source* is a name plus a community ('' = the global directory). Its meetings carry
``meetings.source = name``, ``meetings.community`` and ``source_ref`` (the key inside the file).
An import only ever reads and writes the meetings of its own (source, community):

- a record whose fingerprint matches the stored one, or whose rebuilt meeting has the same
  material key, is *unchanged* → no write at all;
- a changed record updates the meeting in place: same id and slug (so the same UID in
  exports), SEQUENCE + 1, ``updated`` = now;
- a new record is inserted with a slug made unique across the whole database;
- a stored meeting whose record vanished (or is now skipped) is *removed*.

Everything happens in one transaction; an invalid file raises InvalidImport before anything is
written, and refusing to empty a source protects against a feed that briefly returns nothing.

Parsing and comparing run in a worker thread, so the bot keeps answering while a big file is
read; the write transaction holds only the prepared batch. The differences are computed from a
snapshot of the source read outside that transaction: if another process changed the source in
between, the snapshot is stale, nothing is written, and the comparison is made again.
"""

from __future__ import annotations

import asyncio
import json
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from calendars.bmlt import parse_bmlt
from calendars.errors import InvalidImport, SkipRecord
from calendars.fetch import FetchPolicy, fetch
from calendars.ics_import import parse_ics
from calendars.meeting_guide import parse_meeting_guide
from calendars.records import ImportContext, ParseResult, normalize_format
from calendars.tsml_csv import parse_tsml_csv
from core import types as mtypes
from core.errors import ValidationError
from core.model import Meeting, slugify
from core.services import Services
from core.store.meetings import unique_slugs
from core.timezones import canonical_zone

RESERVED_SOURCES = frozenset({"manual", "demo"})
# One import at a time per (database, source, community): a chat /import and a background
# feed refresh of the same source must not compute their differences from the same state.
_SOURCE_LOCKS: weakref.WeakValueDictionary[tuple[str, str, str], asyncio.Lock] = (
    weakref.WeakValueDictionary()
)


def _source_lock(services: Services, source: str, community: str | None) -> asyncio.Lock:
    key = (services.db.path, source, community or "")
    lock = _SOURCE_LOCKS.get(key)
    if lock is None:
        lock = asyncio.Lock()
        _SOURCE_LOCKS[key] = lock
    return lock


_GET_MANY_CHUNK = 500
_STALE_RETRIES = 3


class _StaleSnapshot(Exception):
    """The source changed (another process) between reading it and writing the import."""


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do). Lists hold meeting slugs."""

    source: str
    format: str
    community: str | None = None
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "removed": len(self.removed),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
        }

    def summary(self) -> str:
        c = self.counts()
        text = ", ".join(f"{v} {k}" for k, v in c.items())
        return f"{self.source}: {text}" + (" (dry run, nothing written)" if self.dry_run else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "format": self.format,
            "community": self.community,
            "dry_run": self.dry_run,
            "added": list(self.added),
            "updated": list(self.updated),
            "removed": list(self.removed),
            "unchanged": list(self.unchanged),
            "skipped": [{"ref": ref, "reason": reason} for ref, reason in self.skipped],
            "warnings": list(self.warnings),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)


# ------------------------------------------------------------------------------------ formats


_CSV_HEADER_HINT = re.compile(rb"(?i)\b(name|meeting)\b.*[,;\t]|[,;\t].*\b(name|meeting)\b")


def detect_format(data: bytes, filename: str | None = None) -> str:
    """ics, meeting-guide, csv or bmlt, from the content (the file name breaks ties)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:15].upper().startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    if head[:1] in (b"[", b"{"):
        if b'"weekday_tinyint"' in head or b'"meeting_name"' in head or b'"id_bigint"' in head:
            return "bmlt"
        return "meeting-guide"
    suffix = PurePosixPath(filename or "").suffix.lower()
    if suffix in (".ics", ".ical", ".ifb"):
        return "ics"
    first_line = head.split(b"\n", 1)[0]
    if suffix in (".csv", ".tsv", ".txt") or _CSV_HEADER_HINT.search(first_line):
        return "csv"
    raise InvalidImport(
        "cannot tell the format of the file (iCalendar, Meeting Guide JSON, TSML "
        "CSV or BMLT JSON); name it with --format",
        key="error.import_format",
    )


def default_source_name(location: str) -> str:
    """A source name from a file name ("Intergroup list.csv" → "intergroup-list") or a URL
    (host and path)."""
    parts = urlsplit(location)
    if parts.scheme in ("http", "https") and parts.netloc:
        return slugify(f"{parts.hostname or ''} {parts.path}", 64)
    return slugify(PurePosixPath(location.replace("\\", "/")).stem or location, 64)


def check_source_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean or len(clean) > 100:
        raise ValidationError(
            "source",
            "a source name of 1–100 characters is needed",
            key="error.source_name",
            value=name,
        )
    if clean.lower() in RESERVED_SOURCES:
        raise ValidationError(
            "source",
            f"{clean!r} is reserved; choose another --name",
            key="error.source_reserved",
            value=clean,
        )
    return clean


def _fellowship(value: str | None, fmt: str) -> tuple[str, bool]:
    if value:
        found = mtypes.fellowship(value)
        if found is None:
            raise ValidationError(
                "fellowship",
                f"unknown fellowship {value!r}",
                key="error.fellowship_unknown",
                value=value,
            )
        return found.key, False
    return ("na" if fmt == "bmlt" else "aa"), True


def parse(
    data: bytes, fmt: str, ctx: ImportContext, *, bmlt_formats: bytes | None = None
) -> ParseResult:
    if fmt == "ics":
        return parse_ics(data, ctx)
    if fmt == "meeting-guide":
        return parse_meeting_guide(data, ctx)
    if fmt == "csv":
        return parse_tsml_csv(data, ctx)
    if fmt == "bmlt":
        return parse_bmlt(data, ctx, bmlt_formats)
    raise ValidationError("format", f"unknown format {fmt!r}", key="error.format_unknown")


# ------------------------------------------------------------------------------------ import


async def import_bytes(
    services: Services,
    data: bytes,
    *,
    filename: str | None,
    fmt: str = "auto",
    source_name: str,
    community: str | None,
    fellowship: str | None,
    default_tz: str | None,
    dry_run: bool = False,
    bmlt_formats: bytes | None = None,
) -> ImportReport:
    """Import a file's bytes as source `source_name` of `community` (None = global directory).

    Raises InvalidImport (a ValidationError, key "error.import_invalid" or more specific) when
    the file cannot be used; the database is then exactly as before."""
    name = check_source_name(source_name)
    if len(data) > services.config.import_max_bytes:
        raise InvalidImport(
            f"the file is {len(data):,} bytes; the limit is {services.config.import_max_bytes:,}",
            key="error.import_too_big",
        )
    kind = normalize_format(fmt)
    if kind == "auto":
        kind = detect_format(data, filename)
    fellowship_key, assumed = _fellowship(fellowship, kind)
    zone = canonical_zone(default_tz) if default_tz else None
    ctx = ImportContext(
        source=name,
        community=community or None,
        fellowship=fellowship_key,
        default_tz=zone,
        now=services.clock.now(),
        fellowship_assumed=assumed,
    )
    parsed = await asyncio.to_thread(parse, data, kind, ctx, bmlt_formats=bmlt_formats)
    async with _source_lock(services, name, ctx.community):
        for attempt in range(_STALE_RETRIES):
            try:
                report = await apply(services, parsed, ctx, location=filename, dry_run=dry_run)
                break
            except _StaleSnapshot:
                if attempt == _STALE_RETRIES - 1:
                    raise InvalidImport(
                        "the source kept changing while it was imported; try again",
                        key="error.import_busy",
                    ) from None
    if assumed and report.changed:
        label = mtypes.fellowship(fellowship_key)
        report.warnings.insert(
            0,
            f"no fellowship given: meetings were imported as "
            f"{label.names['en'] if label else fellowship_key}",
        )
    return report


def bmlt_url(url: str) -> str:
    """Ask a BMLT GetSearchResults URL for the formats it uses, so keys map by world id."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if ("switcher", "GetSearchResults") in query and not any(
        k == "get_used_formats" for k, _ in query
    ):
        query.append(("get_used_formats", "1"))
        return urlunsplit(parts._replace(query=urlencode(query)))
    return url


async def import_url(
    services: Services,
    url: str,
    *,
    fmt: str = "auto",
    source_name: str | None = None,
    community: str | None = None,
    fellowship: str | None = None,
    default_tz: str | None = None,
    dry_run: bool = False,
    policy: FetchPolicy | None = None,
) -> ImportReport:
    """Fetch `url` safely (calendars.fetch) and import it."""
    kind = normalize_format(fmt)
    target = bmlt_url(url) if kind in ("bmlt", "auto") and "client_interface/json" in url else url
    result = await fetch(target, policy or FetchPolicy.from_config(services.config))
    return await import_bytes(
        services,
        result.data,
        filename=urlsplit(result.url).path or None,
        fmt=kind,
        source_name=source_name or default_source_name(url),
        community=community,
        fellowship=fellowship,
        default_tz=default_tz,
        dry_run=dry_run,
    )


async def _stored(services: Services, ids: Sequence[int]) -> dict[int, Meeting]:
    found: dict[int, Meeting] = {}
    for i in range(0, len(ids), _GET_MANY_CHUNK):
        found.update(await services.meetings.get_many(ids[i : i + _GET_MANY_CHUNK]))
    return found


def _reason(label: str, exc: Exception) -> str:
    if isinstance(exc, SkipRecord):
        return f"{label}: {exc.reason}"
    if isinstance(exc, ValidationError):
        return f"{label}: {exc.field}: {exc.detail}"
    return f"{label}: {exc}"


@dataclass
class _Plan:
    """What an import would change, computed off the event loop."""

    report: ImportReport
    new: list[tuple[Meeting, str | None]] = field(default_factory=list)
    compare: list[tuple[int, str, Meeting, str | None]] = field(default_factory=list)
    kept: set[str] = field(default_factory=set)


def _classify(
    parsed: ParseResult,
    ctx: ImportContext,
    existing: dict[str, tuple[int, str, str | None]],
    dry_run: bool,
) -> _Plan:
    """Records → new meetings and meetings to compare with their stored versions."""
    plan = _Plan(ImportReport(ctx.source, parsed.fmt, ctx.community, dry_run=dry_run))
    report, kept = plan.report, plan.kept
    report.skipped.extend(parsed.skipped)
    for record in parsed.records:
        if record.ref in kept:
            report.skipped.append((record.ref, f"{record.label}: duplicate key {record.ref!r}"))
            continue
        stored = existing.get(record.ref)
        if (
            stored is not None
            and record.fingerprint is not None
            and stored[2] == record.fingerprint
        ):
            kept.add(record.ref)
            report.unchanged.append(stored[1])
            continue
        try:
            meeting = record.convert()
        except (SkipRecord, ValidationError) as exc:
            report.skipped.append((record.ref, _reason(record.label, exc)))
            continue
        if (
            meeting.source,
            meeting.source_ref,
            meeting.community,
            meeting.updated,
            meeting.id,
            meeting.sequence,
        ) != (ctx.source, record.ref, ctx.community, ctx.now, None, 0):
            meeting = replace(
                meeting,
                source=ctx.source,
                source_ref=record.ref,
                community=ctx.community,
                updated=ctx.now,
                id=None,
                sequence=0,
            )
        kept.add(record.ref)
        if stored is None:
            plan.new.append((meeting, record.fingerprint))
        else:
            plan.compare.append((stored[0], stored[1], meeting, record.fingerprint))
    return plan


def _updates(plan: _Plan, old: dict[int, Meeting]) -> list[tuple[Meeting, str | None]]:
    """The compared meetings that really changed, with their next SEQUENCE."""
    updates: list[tuple[Meeting, str | None]] = []
    for meeting_id, slug, meeting, fp in plan.compare:
        before = old.get(meeting_id)
        if before is not None and before.material_key() == meeting.material_key():
            plan.report.unchanged.append(before.slug)
            continue
        sequence = before.sequence + 1 if before is not None else 1
        updates.append((replace(meeting, id=meeting_id, slug=slug, sequence=sequence), fp))
    return updates


_SNAPSHOT = (
    "SELECT m.id, m.slug, m.source_ref, m.sequence, m.updated, r.fingerprint FROM meetings m"
    " LEFT JOIN import_records r ON r.meeting_id = m.id"
    " WHERE m.source = ? AND m.community = ? AND m.source_ref IS NOT NULL ORDER BY m.id"
)


async def apply(
    services: Services,
    parsed: ParseResult,
    ctx: ImportContext,
    *,
    location: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Compare parsed records with the source's stored meetings and write the difference.

    Raises _StaleSnapshot (nothing written) when another process changed the source while
    the difference was being computed."""
    db = services.db
    community_key = ctx.community or ""
    rows = await db.fetchall(_SNAPSHOT, (ctx.source, community_key))
    snapshot = [tuple(r) for r in rows]
    existing = {
        str(r["source_ref"]): (int(r["id"]), str(r["slug"]), r["fingerprint"]) for r in rows
    }
    plan = await asyncio.to_thread(_classify, parsed, ctx, existing, dry_run)
    report = plan.report
    old = await _stored(services, [c[0] for c in plan.compare])
    updates = await asyncio.to_thread(_updates, plan, old)
    new = plan.new
    gone = [
        (ref, meeting_id, slug)
        for ref, (meeting_id, slug, _) in existing.items()
        if ref not in plan.kept
    ]

    valid = len(new) + len(updates) + len(report.unchanged)
    if valid == 0:
        if parsed.total == 0 and not parsed.skipped:
            raise InvalidImport(
                "the file has no meetings"
                + (
                    f"; refusing to remove all {len(existing)} meetings of source {ctx.source!r}"
                    if existing
                    else ""
                ),
                fmt=parsed.fmt,
                key="error.import_empty",
                source=ctx.source,
            )
        reasons = "; ".join(reason for _, reason in report.skipped[:3])
        raise InvalidImport(
            f"none of the {max(parsed.total, len(report.skipped))} records "
            f"could be imported ({reasons})",
            fmt=parsed.fmt,
            key="error.import_nothing",
            source=ctx.source,
            skipped=report.skipped,
        )
    report.warnings.extend(ctx.final_warnings())
    report.updated = [m.slug for m, _ in updates]
    report.removed = [slug for _, _, slug in gone]
    if dry_run:
        taken = {str(r[0]) for r in await db.fetchall("SELECT slug FROM meetings")}
        taken -= set(report.removed)
        report.added = unique_slugs([m.slug for m, _ in new], taken)
        return report
    if not (new or updates or gone):
        return report  # unchanged: not a single write

    store = services.meetings
    async with db.transaction() as conn:
        async with conn.execute(_SNAPSHOT, (ctx.source, community_key)) as cur:
            if [tuple(r) for r in await cur.fetchall()] != snapshot:
                raise _StaleSnapshot
        await store.delete_many(conn, [meeting_id for _, meeting_id, _ in gone])
        await store.update_many(conn, [m for m, _ in updates])
        async with conn.execute("SELECT slug FROM meetings") as cur:
            taken = {str(r[0]) for r in await cur.fetchall()}
        slugs = unique_slugs([m.slug for m, _ in new], taken)
        inserted = await store.insert_many(conn, [m for m, _ in new], slugs=slugs)
        prints = [(m.id, fp) for m, (_, fp) in zip(inserted, new, strict=True) if fp]
        prints += [(m.id, fp) for m, fp in updates if fp]
        if prints:
            await conn.executemany(
                "INSERT OR REPLACE INTO import_records (meeting_id, fingerprint) VALUES (?, ?)",
                prints,
            )
        stale = [(m.id,) for m, fp in updates if not fp]
        if stale:
            await conn.executemany("DELETE FROM import_records WHERE meeting_id = ?", stale)
        await conn.execute(
            "INSERT INTO import_sources (name, community, format, location, meetings,"
            " last_change) VALUES (?,?,?,?,?,?) ON CONFLICT (name, community) DO UPDATE SET"
            " format=excluded.format, location=excluded.location, meetings=excluded.meetings,"
            " last_change=excluded.last_change",
            (ctx.source, community_key, parsed.fmt, location, valid, ctx.now.isoformat()),
        )
    report.added = [m.slug for m in inserted]
    return report


async def list_sources(services: Services) -> list[dict[str, Any]]:
    rows = await services.db.fetchall(
        "SELECT s.name, s.community, s.format, s.location, s.last_change,"
        " (SELECT count(*) FROM meetings m WHERE m.source = s.name AND m.community = s.community)"
        " AS meetings FROM import_sources s ORDER BY s.community, s.name"
    )
    return [dict(r) for r in rows]
