"""Which meetings a calendar export holds: the search filters, applied to whole meetings.

Search pages through *occurrences*; an export wants every *meeting* that matches, once:
core.search.MeetingSearch.matching_meetings does exactly that with the same filters, so
exports and search can never disagree. This module adds the URL query-string parsing of the
feed server (``/calendar.ics?type=women&fellowship=aa…``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import urlencode

from core import types as mtypes
from core.errors import ValidationError
from core.model import DAY_NAMES_EN, Attendance, Meeting, parse_day
from core.search import MeetingQuery, When, parse_type_filters
from core.services import Services
from core.timezones import canonical_zone


async def matching_meetings(
    services: Services, query: MeetingQuery, at: datetime | None = None
) -> list[Meeting]:
    """Every meeting in the query's scope that matches it, once, ordered by slug."""
    found = await services.search.matching_meetings(query, at)
    return sorted(found, key=lambda m: m.slug)


# ------------------------------------------------------------------ query strings (HTTP feed)

QUERY_KEYS = frozenset(
    {
        "fellowship",
        "type",
        "types",
        "attendance",
        "region",
        "text",
        "community",
        "near",
        "radius_km",
        "when",
        "day",
        "time_of_day",
        "tz",
        "include_inactive",
        "name",
        "lang",
    }
)


def _many(params: Mapping[str, Sequence[str]], *keys: str) -> list[str]:
    values: list[str] = []
    for key in keys:
        for value in params.get(key, ()):
            values += [v.strip() for v in value.split(",") if v.strip()]
    return values


def _one(params: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = [v for v in params.get(key, ()) if v.strip()]
    return values[-1].strip() if values else None


def query_from_params(params: Mapping[str, Sequence[str]], default_tz: str) -> MeetingQuery:
    """URL query parameters → a validated MeetingQuery; unknown keys are an error (400)."""
    unknown = sorted(set(params) - QUERY_KEYS)
    if unknown:
        raise ValidationError(
            "query",
            f"unknown filter {unknown[0]!r} (known: {', '.join(sorted(QUERY_KEYS))})",
            key="error.filter_unknown",
            value=unknown[0],
        )
    when, weekday = When.UPCOMING, None
    raw_when = _one(params, "day") or _one(params, "when")
    if raw_when:
        try:
            when = When(raw_when.lower())
        except ValueError:
            weekday = parse_day(raw_when)
            when = When.WEEKDAY
    fellowships = _many(params, "fellowship")
    for key in fellowships:
        if mtypes.fellowship(key) is None:
            raise ValidationError(
                "fellowship",
                f"unknown fellowship {key!r}",
                key="error.fellowship_unknown",
                value=key,
            )
    concepts, codes = parse_type_filters(
        _many(params, "type", "types"), fellowships[0] if len(fellowships) == 1 else None
    )
    attendance = None
    raw_attendance = _one(params, "attendance")
    if raw_attendance:
        try:
            attendance = Attendance(raw_attendance.lower().replace("-", "_"))
        except ValueError as exc:
            raise ValidationError(
                "attendance",
                f"unknown attendance {raw_attendance!r} (online, in-person, hybrid)",
                key="error.attendance_unknown",
                value=raw_attendance,
            ) from exc
    near = None
    raw_near = _one(params, "near")
    if raw_near:
        try:
            lat_s, lon_s = raw_near.split(",")
            near = (float(lat_s), float(lon_s))
        except ValueError as exc:
            raise ValidationError(
                "near", f"{raw_near!r} is not LAT,LON", key="error.coordinates_invalid"
            ) from exc
    radius = 25.0
    raw_radius = _one(params, "radius_km")
    if raw_radius:
        try:
            radius = float(raw_radius)
        except ValueError as exc:
            raise ValidationError(
                "radius_km", f"{raw_radius!r} is not a number", key="error.radius_invalid"
            ) from exc
    include_inactive = (_one(params, "include_inactive") or "").lower() in ("1", "true", "yes")
    return MeetingQuery(
        when=when,
        weekday=weekday,
        time_of_day=frozenset(t.lower() for t in _many(params, "time_of_day")),
        concepts=concepts,
        types=codes,
        fellowships=tuple(fellowships),
        attendance=attendance,
        region=_one(params, "region"),
        text=_one(params, "text"),
        near=near,
        radius_km=radius,
        community=_one(params, "community"),
        include_inactive=include_inactive,
        viewer_tz=canonical_zone(_one(params, "tz") or default_tz),
    ).validated()


def query_to_params(query: MeetingQuery) -> str:
    """The URL query string for a MeetingQuery (the inverse of query_from_params), for
    subscribe links: ``https://…/calendar.ics?<this>``. Stable order, paging left out."""
    pairs: list[tuple[str, str]] = []
    if query.when is When.WEEKDAY and query.weekday is not None:
        pairs.append(("day", DAY_NAMES_EN[query.weekday]))
    elif query.when in (When.TODAY, When.TOMORROW):
        pairs.append(("when", query.when.value))
    if query.time_of_day:
        pairs.append(("time_of_day", ",".join(sorted(query.time_of_day))))
    types = [*query.concepts, *query.types]
    if types:
        pairs.append(("type", ",".join(types)))
    if query.fellowships:
        pairs.append(("fellowship", ",".join(query.fellowships)))
    if query.attendance is not None:
        pairs.append(("attendance", query.attendance.value.replace("_", "-")))
    if query.region:
        pairs.append(("region", query.region))
    if query.text:
        pairs.append(("text", query.text))
    if query.near is not None:
        pairs.append(("near", f"{query.near[0]:.5f},{query.near[1]:.5f}"))
        pairs.append(("radius_km", f"{query.radius_km:g}"))
    if query.community:
        pairs.append(("community", query.community))
    if query.include_inactive:
        pairs.append(("include_inactive", "1"))
    if query.when in (When.TODAY, When.TOMORROW, When.WEEKDAY) or query.time_of_day:
        pairs.append(("tz", query.viewer_tz))
    return urlencode(pairs)
