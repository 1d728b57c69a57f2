"""What every importer produces: records that turn into meetings, plus skips and warnings.

An importer reads bytes into a :class:`ParseResult`. Each :class:`Record` has the key the
meeting keeps inside its source (``ref``), a human label for messages ("row 7"), an optional
fingerprint of the raw record (identical fingerprint on re-import → unchanged, without even
building the meeting) and a ``convert`` callable that builds the validated Meeting or raises
SkipRecord / ValidationError. ``calendars.sync`` does the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calendars.errors import UNREADABLE, SkipRecord, unreadable_reason
from calendars.limits import MAX_ZONE_GUESSES
from calendars.zones import fuzzy_zone
from core import types as mtypes
from core.errors import ValidationError
from core.model import Meeting

FORMATS = ("ics", "meeting-guide", "csv", "bmlt")
FORMAT_ALIASES = {
    "ical": "ics",
    "icalendar": "ics",
    "ics": "ics",
    "meeting-guide": "meeting-guide",
    "meeting_guide": "meeting-guide",
    "mg": "meeting-guide",
    "json": "meeting-guide",
    "tsml": "meeting-guide",
    "tsml-json": "meeting-guide",
    "csv": "csv",
    "tsml-csv": "csv",
    "bmlt": "bmlt",
    "auto": "auto",
}
MAX_WARNINGS = 200
# Bump when a converter changes what it builds, so stored fingerprints stop matching.
CONVERTER_VERSION = "2"  # 2: zones inferred from coordinates


def normalize_format(fmt: str) -> str:
    found = FORMAT_ALIASES.get(fmt.strip().lower())
    if found is None:
        raise ValidationError(
            "format",
            f"unknown format {fmt!r} (auto, ics, meeting-guide, csv, bmlt)",
            key="error.format_unknown",
            value=fmt,
        )
    return found


@dataclass
class ImportContext:
    """Settings and collectors shared by one import run."""

    source: str
    community: str | None
    fellowship: str
    default_tz: str | None
    now: datetime
    fellowship_assumed: bool = False
    warnings: list[str] = field(default_factory=list)
    unknown_types: Counter[str] = field(default_factory=Counter)
    dropped_warnings: int = 0
    _type_cache: dict[str, str | None] = field(default_factory=dict, repr=False)
    _zone_cache: dict[str, tuple[str, str | None] | ValidationError] = field(
        default_factory=dict, repr=False
    )
    _zone_guesses: int = field(default=0, repr=False)
    # How many records' zones were inferred, by what from: 'coordinates', 'default'.
    inferred_zones: Counter[str] = field(default_factory=Counter)

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
        else:
            self.dropped_warnings += 1

    def signature(self, fmt: str, extra: str = "") -> str:
        """What, besides a record itself, shapes the meeting built from it."""
        return "|".join(
            (
                CONVERTER_VERSION,
                fmt,
                self.fellowship,
                self.default_tz or "",
                self.community or "",
                extra,
            )
        )

    def final_warnings(self) -> list[str]:
        out = list(self.warnings)
        if self.unknown_types:
            listed = ", ".join(
                f"{name!r} ({count})"
                for name, count in sorted(
                    self.unknown_types.items(), key=lambda kv: (-kv[1], kv[0])
                )[:20]
            )
            out.append(f"unknown meeting types for {self.fellowship} were ignored: {listed}")
        if self.inferred_zones:
            how = ", ".join(f"{count} from {what}" for what, count in
                            sorted(self.inferred_zones.items()))
            out.append(f"time zones inferred for records without one: {how}")
        if self.dropped_warnings:
            out.append(f"… and {self.dropped_warnings} more warnings")
        return out

    def types(self, values: list[str]) -> list[str]:
        """Resolve type codes or names; unknown ones are counted for one summary warning."""
        codes: list[str] = []
        cache = self._type_cache
        for token in values:
            if token in cache:
                code = cache[token]
            else:
                code = cache[token] = mtypes.resolve_type(self.fellowship, token)
            if code is None:
                self.unknown_types[token] += 1
            else:
                codes.append(code)
        return codes

    def zone(self, raw: str) -> tuple[str, str | None]:
        """calendars.zones.fuzzy_zone, memoised for the run (feeds repeat the same names),
        unknown names included. Looking for a close spelling costs a fuzzy search over every
        zone name, so only the first MAX_ZONE_GUESSES distinct unknown names get one."""
        found = self._zone_cache.get(raw)
        if found is None:
            guess = self._zone_guesses < MAX_ZONE_GUESSES
            try:
                found = fuzzy_zone(raw, guess=guess)
            except ValidationError as exc:
                found = exc
            if guess and (isinstance(found, ValidationError) or found[1] is not None):
                self._zone_guesses += 1  # not a known name: the fuzzy search ran
            self._zone_cache[raw] = found
        if isinstance(found, ValidationError):
            raise found.with_traceback(None)
        return found


@dataclass
class Record:
    ref: str
    label: str
    convert: Callable[[], Meeting]
    fingerprint: str | None = None


@dataclass
class ParseResult:
    fmt: str
    records: list[Record] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Records the file had in total (parsed + skipped): 0 means an empty file.
    total: int = 0


def add_records(
    result: ParseResult,
    items: Sequence[tuple[int, dict[str, Any]]],
    raw_refs: Sequence[str],
    *,
    ctx: ImportContext,
    signature: str,
    label: Callable[[int, str], str],
    converter: Callable[[dict[str, Any], str, str], Callable[[], Meeting]],
    what: str = "slugs",
) -> ParseResult:
    """The step every tabular importer ends with: make the keys unique (warning about the
    duplicates), then one Record per item with its label, converter and fingerprint."""
    from calendars import tolerant as tol

    refs, dups = tol.unique_refs(raw_refs)
    if dups:
        shown = ", ".join(repr(d) for d in sorted(set(dups))[:10])
        ctx.warn(f"duplicate {what} made unique: {shown}")
    for (index, item), ref in zip(items, refs, strict=True):
        text = label(index, ref)
        result.records.append(
            Record(
                ref=ref,
                label=text,
                convert=_readable(converter(item, ref, text)),
                fingerprint=tol.fingerprint(item, signature),
            )
        )
    return result


def _readable(convert: Callable[[], Meeting]) -> Callable[[], Meeting]:
    """A converter whose unforeseen errors (a value a library refuses) skip the record."""

    def run() -> Meeting:
        try:
            return convert()
        except UNREADABLE as exc:
            raise SkipRecord(f"unreadable record ({unreadable_reason(exc)})") from exc

    return run
