"""How much work one import may cost, in one place.

The byte cap (``[import] max_bytes``, core.config) bounds what is read; these bound what is
*done* with it, so no file under the byte cap can hold a parser for minutes or exhaust the
stack. Each cap raises InvalidImport with its own i18n key and the number (``limit``), so the
chat and the CLI can say which limit was hit; the database is never touched.

The record caps leave room for the largest real directories (a national BMLT server or
Meeting Guide feed has about 60,000 meetings).
"""

from __future__ import annotations

from calendars.errors import InvalidImport

# Meetings in one Meeting Guide / BMLT JSON feed, rows in one CSV, events in one calendar.
MAX_RECORDS = 100_000
# Characters in one value: a JSON string, a CSV cell, an iCalendar property value. Meeting
# texts are cut to 2,000 characters by core.model anyway.
MAX_FIELD_CHARS = 32_768
# Columns of a CSV table (the TSML template has 37).
MAX_CSV_COLUMNS = 1_000
# Nesting of JSON arrays/objects (a feed needs 3 or 4 levels).
MAX_JSON_DEPTH = 64
# Characters of one JSON number (Python refuses integers over 4,300 digits with ValueError).
MAX_NUMBER_CHARS = 100
# Nesting of iCalendar components (VCALENDAR > VEVENT > VALARM is 3).
MAX_ICS_NESTING = 16
# A TZID in a calendar: Outlook's longest display names are about 70 characters, Mozilla's
# prefixed names about 55 characters in 5 segments.
MAX_TZID_CHARS = 128
MAX_TZID_SEGMENTS = 10
# VTIMEZONE definitions whose rules have to be read (those named after a known zone, by TZID
# or X-LIC-LOCATION, never are), their STANDARD/DAYLIGHT observances, and the rule-years and
# RDATEs evaluated while matching them to IANA zones, per calendar file.
MAX_VTIMEZONES = 50
MAX_OBSERVANCES = 100
MAX_ZONE_EVALUATIONS = 20_000
# Distinct unknown zone names for which a close spelling is looked for (each costs a fuzzy
# search over every IANA name); later ones are reported as unknown.
MAX_ZONE_GUESSES = 50


def shown(value: str, length: int = 40) -> str:
    """A value short enough to repeat in a message."""
    return value if len(value) <= length else value[:length] + "…"


def too_many(what: str, limit: int, fmt: str, *, key: str) -> InvalidImport:
    return InvalidImport(f"more than {limit:,} {what} (the limit)", fmt=fmt, key=key, limit=limit)


def value_too_long(limit: int, fmt: str, *, where: str | None = None) -> InvalidImport:
    return InvalidImport(
        f"a value is longer than {limit:,} characters",
        where=where,
        fmt=fmt,
        key="error.import_value_too_long",
        limit=limit,
    )


def too_deep(limit: int, fmt: str, *, where: str | None = None) -> InvalidImport:
    return InvalidImport(
        f"nested more than {limit} levels deep",
        where=where,
        fmt=fmt,
        key="error.import_too_deep",
        limit=limit,
    )


class BudgetExceeded(Exception):
    """A Budget ran out; the caller turns it into InvalidImport naming what was being done."""


class Budget:
    """A count of work units; `spend` raises BudgetExceeded once more than `limit` are spent."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def spend(self, units: int = 1) -> None:
        self.left -= units
        if self.left < 0:
            raise BudgetExceeded(self.limit)
