"""Meeting search: MeetingQuery → ordered, paged hits, in the viewer's time zone.

Occurrences are materialised per week (see core.store.meetings), so every filter here is an
indexed range over exact instants plus cheap per-row checks; nothing is approximated by
offsets. Results are ordered by next start from the query instant, then distance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from core import types as mtypes
from core.clock import Clock, SystemClock
from core.errors import ValidationError
from core.model import Attendance, Meeting
from core.schedule import (
    TIME_OF_DAY,
    Occurrence,
    next_viewer_weekday,
    occurrence_starting,
    resolve_local,
    viewer_date,
    viewer_day_bounds,
)
from core.store.meetings import MeetingStore
from core.text import fold
from core.timezones import canonical_zone, get_zone

NOW_LOOKAHEAD = timedelta(minutes=60)
EARTH_RADIUS_KM = 6371.0088
MAX_LIMIT = 100
SELECTIVE_IDS = 300  # up to this many candidate meetings, look occurrences up by id


class When(StrEnum):
    NOW = "now"  # in progress, or starting within the next hour
    UPCOMING = "upcoming"  # starting from now, over the next 7 days
    TODAY = "today"  # the rest of today, in the viewer's zone
    TOMORROW = "tomorrow"
    WEEKDAY = "weekday"  # the next given weekday (today included), viewer's zone


@dataclass(frozen=True, slots=True)
class MeetingQuery:
    when: When = When.UPCOMING
    weekday: int | None = None  # Sunday = 0, for When.WEEKDAY
    time_of_day: frozenset[str] = frozenset()  # any of TIME_OF_DAY's buckets
    concepts: tuple[str, ...] = ()  # all required: 'women', 'language:es', …
    types: tuple[str, ...] = ()  # all required: type codes ('W', 'GL')
    fellowships: tuple[str, ...] = ()  # any of
    attendance: Attendance | None = None
    region: str | None = None
    text: str | None = None
    near: tuple[float, float] | None = None
    radius_km: float = 25.0
    community: str | None = None  # None: the global directory only
    include_inactive: bool = False
    viewer_tz: str = "UTC"
    limit: int = 10
    offset: int = 0

    def validated(self) -> MeetingQuery:
        """Canonical, checked copy; raises ValidationError naming the field."""
        if self.when is When.WEEKDAY and (self.weekday is None or not 0 <= self.weekday <= 6):
            raise ValidationError("weekday", "a weekday 0–6 is needed", key="error.day_unknown",
                                  value=self.weekday)
        unknown = set(self.time_of_day) - set(TIME_OF_DAY)
        if unknown:
            raise ValidationError("time_of_day", f"unknown time of day {sorted(unknown)[0]!r}",
                                  key="error.time_of_day_unknown", value=sorted(unknown)[0])
        for key in self.fellowships:
            if mtypes.fellowship(key) is None:
                raise ValidationError("fellowship", f"unknown fellowship {key!r}",
                                      key="error.fellowship_unknown", value=key)
        fellowships = tuple(
            f.key for f in (mtypes.fellowship(k) for k in self.fellowships) if f is not None
        )
        if self.near is not None:
            lat, lon = self.near
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValidationError("near", "not a valid latitude,longitude",
                                      key="error.coordinates_invalid")
            if not 0 < self.radius_km <= 20000:
                raise ValidationError("radius_km", "radius must be between 0 and 20000 km",
                                      key="error.radius_invalid")
        if not 1 <= self.limit <= MAX_LIMIT or self.offset < 0:
            raise ValidationError("limit", f"limit must be 1–{MAX_LIMIT}",
                                  key="error.limit_invalid")
        return replace(self, viewer_tz=canonical_zone(self.viewer_tz), fellowships=fellowships)


@dataclass(frozen=True, slots=True)
class Hit:
    meeting: Meeting
    occurrence: Occurrence
    in_progress: bool
    distance_km: float | None = None

    def start_viewer(self, zone: str) -> datetime:
        return self.occurrence.start.astimezone(get_zone(zone))


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: MeetingQuery
    at: datetime
    hits: list[Hit] = field(default_factory=list)
    has_more: bool = False
    # When "today" had nothing left: the hits are tomorrow's and this says so.
    fell_back_to: When | None = None

    @property
    def next_offset(self) -> int | None:
        return self.query.offset + len(self.hits) if self.has_more else None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _sql_distance(lat1: float | None, lon1: float | None, lat2: float, lon2: float) -> float:
    if lat1 is None or lon1 is None:
        return math.inf
    return haversine_km(lat1, lon1, lat2, lon2)


_WORD_RE = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str, column: str | None = None) -> str | None:
    """A safe FTS5 query: every word quoted, prefix-matched, all required."""
    words = _WORD_RE.findall(fold(text))
    if not words:
        return None
    terms = " ".join(f'"{w}"*' for w in words[:8])
    return f"{{{column}}}: ({terms})" if column else terms


class MeetingSearch:
    """The search service over a MeetingStore."""

    def __init__(self, store: MeetingStore, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self._functions_ready = False

    async def _ensure_functions(self) -> None:
        if not self._functions_ready:
            await self.store.db.create_function("distance_km", 4, _sql_distance)
            self._functions_ready = True

    async def search(self, query: MeetingQuery, at: datetime | None = None) -> SearchResult:
        query = query.validated()
        at = (at or self.clock.now()).astimezone(UTC)
        result = await self._search(query, at)
        if query.when is When.TODAY and not result.hits and query.offset == 0:
            tomorrow = await self._search(replace(query, when=When.TOMORROW), at)
            return replace(tomorrow, query=query, fell_back_to=When.TOMORROW)
        return result

    def window(self, query: MeetingQuery, at: datetime) -> tuple[datetime, datetime, bool]:
        """(from, to, include_running): occurrences starting in [from, to); when
        include_running, ones that started earlier but have not ended count too."""
        zone = query.viewer_tz
        if query.when is When.NOW:
            return at, at + NOW_LOOKAHEAD, True
        if query.when is When.UPCOMING:
            return at, at + timedelta(days=7), False
        today = viewer_date(at, zone)
        if query.when is When.TODAY:
            day = today
        elif query.when is When.TOMORROW:
            day = today + timedelta(days=1)
        else:
            assert query.weekday is not None
            day = next_viewer_weekday(at, zone, query.weekday)
        lo, hi = viewer_day_bounds(day, zone)
        if day == today:
            return max(lo, at), hi, True  # the rest of today, plus what is running
        return lo, hi, False

    async def _conditions(
        self, query: MeetingQuery, at: datetime
    ) -> tuple[list[str], list[object]] | None:
        """SQL conditions over `occurrences o` for a query (None: nothing can match)."""
        start, end, include_running = self.window(query, at)
        max_duration = await self.store.max_duration_seconds() + 3600
        scan_from = start - timedelta(seconds=max_duration) if include_running else start
        await self.store.ensure_occurrences(scan_from, end)

        where = ["o.start_utc >= ?", "o.start_utc < ?"]
        params: list[object] = [int(scan_from.timestamp()), int(end.timestamp())]
        if include_running:
            # Running now, or starting within the window.
            where.append("(o.end_utc > ? AND (o.start_utc >= ? OR o.start_utc <= ?))")
            params += [int(at.timestamp()), int(start.timestamp()), int(at.timestamp())]
        # The selective terms (text, near) are tested right after the time range: when they
        # scan by time, most rows fail them, and SQLite tests terms in the order written.
        head, head_params = len(where), len(params)
        selective: list[str] = []
        selective_params: list[object] = []
        where.append("o.community IN ('', ?)")
        params.append(query.community or "")
        if not query.include_inactive:
            where.append("instr(o.tags, ' a:inactive ') = 0")
        for concept in query.concepts:
            where.append("instr(o.tags, ?) > 0")
            params.append(f" {concept} ")
        for code in query.types:
            where.append("instr(o.tags, ?) > 0")
            params.append(f" t:{code} ")
        if query.fellowships:
            where.append("(" + " OR ".join("instr(o.tags, ?) > 0" for _ in query.fellowships) + ")")
            params += [f" f:{f} " for f in query.fellowships]
        if query.attendance is not None:
            allowed = {query.attendance}
            if query.attendance in (Attendance.ONLINE, Attendance.IN_PERSON):
                allowed.add(Attendance.HYBRID)
            where.append("(" + " OR ".join("instr(o.tags, ?) > 0" for _ in allowed) + ")")
            params += [f" a:{a.value} " for a in sorted(allowed)]
        if query.time_of_day:
            ranges = self._time_of_day_ranges(query, scan_from, end)
            if not ranges:
                return None
            params[0], params[1] = ranges[0][0], ranges[-1][1]
            if len(ranges) > 1:
                where.append("(" + " OR ".join("(o.start_utc >= ? AND o.start_utc < ?)"
                                               for _ in ranges) + ")")
                for lo, hi in ranges:
                    params += [lo, hi]
        fts_parts = []
        if query.text:
            text_query = fts_query(query.text)
            if text_query is None:
                raise ValidationError("text", "nothing to search for", key="error.text_empty")
            fts_parts.append(text_query)
        if query.region:
            region_query = fts_query(query.region, "region location")
            if region_query is None:
                raise ValidationError("region", "nothing to search for", key="error.text_empty")
            fts_parts.append(region_query)
        if fts_parts:
            await self._restrict(
                selective, selective_params,
                "SELECT rowid FROM meetings_fts WHERE meetings_fts MATCH ?",
                [" AND ".join(f"({p})" for p in fts_parts)],
            )
        if query.near is not None:
            await self._near(query, selective, selective_params)
        where[head:head] = selective
        params[head_params:head_params] = selective_params
        return where, params

    async def matching_meetings(self, query: MeetingQuery, at: datetime | None = None
                                ) -> list[Meeting]:
        """Every meeting matching the query's filters once, ignoring paging (for calendar
        exports), in order of next start. With `upcoming` that is every meeting held in
        the next 7 days, which for weekly meetings is all of them."""
        query = query.validated()
        at = (at or self.clock.now()).astimezone(UTC)
        conditions = await self._conditions(query, at)
        if conditions is None:
            return []
        where, params = conditions
        rows = await self.store.db.fetchall(
            "SELECT o.meeting_id, min(o.start_utc) AS first FROM occurrences o WHERE "
            + " AND ".join(where) + " GROUP BY o.meeting_id ORDER BY first, o.meeting_id",
            params,
        )
        ids = [int(r[0]) for r in rows]
        found: dict[int, Meeting] = {}
        for i in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            found.update(await self.store.get_many(ids[i : i + 900]))
        return [found[i] for i in ids if i in found]

    async def _search(self, query: MeetingQuery, at: datetime) -> SearchResult:
        conditions = await self._conditions(query, at)
        if conditions is None:
            return SearchResult(query, at)
        where, params = conditions
        sql = (
            "SELECT o.meeting_id, o.start_utc, o.end_utc FROM occurrences o WHERE "
            + " AND ".join(where)
            + " ORDER BY o.start_utc, o.meeting_id LIMIT ? OFFSET ?"
        )
        wanted = query.offset + query.limit + 1
        seen: dict[int, tuple[int, int]] = {}
        # Meetings seldom repeat among the first rows by time, so the first chunk asks for
        # little more than the page: a selective query (text, near) scans about chunk /
        # selectivity rows to fill it. Later chunks, when repeats need them, grow.
        chunk, skip = wanted + 8, 0
        while len(seen) < wanted:
            rows = await self.store.db.fetchall(sql, [*params, chunk, skip])
            for meeting_id, s, e in rows:
                seen.setdefault(meeting_id, (s, e))
                if len(seen) >= wanted:
                    break
            if len(rows) < chunk:
                break
            skip += chunk
            chunk = max(64, chunk * 4)
        ordered = list(seen.items())
        page = ordered[query.offset : query.offset + query.limit]
        meetings = await self.store.get_many([mid for mid, _ in page])
        at_ts = at.timestamp()
        hits = []
        for mid, (s, e) in page:
            meeting = meetings.get(mid)
            if meeting is None:
                continue
            tz = get_zone(meeting.timezone)
            occ = occurrence_starting(meeting, datetime.fromtimestamp(s, tz),
                                      datetime.fromtimestamp(e, tz))
            distance = None
            if query.near is not None and meeting.location.has_point:
                assert meeting.location.latitude is not None
                assert meeting.location.longitude is not None
                distance = haversine_km(query.near[0], query.near[1],
                                        meeting.location.latitude, meeting.location.longitude)
            hits.append(Hit(meeting, occ, s <= at_ts < e, distance))
        if query.near is not None:
            hits.sort(key=lambda h: (h.occurrence.start, h.distance_km or 0.0))
        return SearchResult(query, at, hits, has_more=len(ordered) > query.offset + query.limit)

    async def _near(self, query: MeetingQuery, where: list[str], params: list[object]) -> None:
        """Within radius_km of a point. Few meetings there: look them up by id; many: test
        each occurrence's copied coordinates while scanning by time."""
        assert query.near is not None
        lat, lon = query.near
        dlat = query.radius_km / 111.0
        coslat = max(1e-6, math.cos(math.radians(lat)))
        dlon = query.radius_km / (111.320 * coslat)

        def condition(prefix: str) -> tuple[str, list[object]]:
            sql = f"{prefix}latitude BETWEEN ? AND ?"
            values: list[object] = [lat - dlat, lat + dlat]
            if dlon < 180:
                sql += f" AND {prefix}longitude BETWEEN ? AND ?"
                values += [lon - dlon, lon + dlon]
            if query.radius_km <= 300:
                # Equirectangular distance: exact enough at city scale, plain arithmetic.
                sql += (f" AND (({prefix}latitude - ?) * ({prefix}latitude - ?)"
                        f" + ({prefix}longitude - ?) * ({prefix}longitude - ?) * ?)"
                        " * 12387.0 <= ?")
                values += [lat, lat, lon, lon, coslat * coslat, query.radius_km ** 2]
            else:
                sql += f" AND distance_km({prefix}latitude, {prefix}longitude, ?, ?) <= ?"
                values += [lat, lon, query.radius_km]
            return sql, values

        if query.radius_km > 300:
            await self._ensure_functions()
        sub_sql, sub_params = condition("")
        rows = await self.store.db.fetchall(
            f"SELECT id FROM meetings WHERE {sub_sql} LIMIT {SELECTIVE_IDS + 1}", sub_params
        )
        if len(rows) <= SELECTIVE_IDS:
            ids = [int(r[0]) for r in rows] or [-1]
            where.append(f"o.meeting_id IN ({','.join(map(str, ids))})")
        else:
            scan_sql, scan_params = condition("o.")
            where.append(scan_sql)
            params.extend(scan_params)

    async def _restrict(
        self, where: list[str], params: list[object], subquery: str, sub_params: list[object]
    ) -> None:
        """Limit to the meeting ids a subquery returns. Few ids: look their occurrences up by
        meeting; many: scan occurrences by time and test membership (the unary + keeps
        SQLite from choosing the per-meeting index then)."""
        rows = await self.store.db.fetchall(f"{subquery} LIMIT {SELECTIVE_IDS + 1}", sub_params)
        if len(rows) <= SELECTIVE_IDS:
            ids = [int(r[0]) for r in rows] or [-1]
            where.append(f"o.meeting_id IN ({','.join(map(str, ids))})")
        else:
            where.append(f"+o.meeting_id IN ({subquery})")
            params.extend(sub_params)

    @staticmethod
    def _time_of_day_ranges(
        query: MeetingQuery, start: datetime, end: datetime
    ) -> list[tuple[int, int]]:
        """UTC ranges of the chosen buckets for every viewer date the window touches,
        clipped to the window and merged, in order."""
        zone = query.viewer_tz
        first: date = viewer_date(start, zone) - timedelta(days=1)
        last: date = viewer_date(end, zone)
        ranges = []
        day = first
        while day <= last:
            for bucket in sorted(query.time_of_day):
                lo_h, hi_h = TIME_OF_DAY[bucket]
                hi_day = day + timedelta(days=1) if hi_h <= lo_h else day
                lo = resolve_local(day, time(lo_h), zone)
                hi = resolve_local(hi_day, time(hi_h), zone)
                ranges.append((int(lo.timestamp()), int(hi.timestamp())))
            day += timedelta(days=1)
        lo_w, hi_w = int(start.timestamp()), int(end.timestamp())
        merged: list[tuple[int, int]] = []
        for lo_r, hi_r in sorted(ranges):
            lo_r, hi_r = max(lo_r, lo_w), min(hi_r, hi_w)
            if lo_r >= hi_r:
                continue
            if merged and lo_r <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi_r))
            else:
                merged.append((lo_r, hi_r))
        return merged


def parse_type_filters(
    tokens: Sequence[str], fellowship: str | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """CLI/chat `--type` values → (concepts, codes). A word or concept name matches across
    fellowships ('women', 'spanish', 'lgbtq'); otherwise a type code of the fellowship."""
    concepts: list[str] = []
    codes: list[str] = []
    for token in tokens:
        token = token.strip()
        if not token:
            continue
        concept = token if token in mtypes.CONCEPTS else mtypes.concept_from_word(token)
        if concept is None and token.lower() in ("online", "in-person", "in_person"):
            concept = token.lower().replace("_", "-")
        if concept is not None:
            concepts.append(concept)
            continue
        code = mtypes.resolve_type(fellowship or "aa", token)
        if code is None:
            raise ValidationError("types", f"unknown meeting type {token!r}",
                                  key="error.type_unknown", value=token)
        type_concepts = mtypes.concepts_for(fellowship or "aa", [code])
        if fellowship is None and len(type_concepts) == 1:
            concepts.append(next(iter(type_concepts)))  # e.g. W → women, in every fellowship
        else:
            codes.append(code)
    return tuple(dict.fromkeys(concepts)), tuple(dict.fromkeys(codes))
