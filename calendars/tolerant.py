"""Tolerant readers for values as people type them in meeting lists (TSML's rules).

Days as 0–6 or names in several languages, 12 h or 24 h times, type names or codes,
coordinates as strings, a little HTML in notes. Every function raises
core.errors.ValidationError (naming the field) or returns a clean value.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import time
from typing import Any

from core import types as mtypes
from core.errors import ValidationError
from core.model import parse_day, parse_time

# Day names beyond the English/Spanish core.model understands (folded, accent-free).
_EXTRA_DAYS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        ("dimanche", "domingo", "sonntag", "zondag", "domenica", "sondag", "niedziela"),
        ("lundi", "segunda", "segunda-feira", "montag", "maandag", "lunedi", "mandag"),
        ("mardi", "terca", "terca-feira", "dienstag", "dinsdag", "martedi", "tisdag"),
        ("mercredi", "quarta", "quarta-feira", "mittwoch", "woensdag", "mercoledi", "onsdag"),
        ("jeudi", "quinta", "quinta-feira", "donnerstag", "donderdag", "giovedi", "torsdag"),
        ("vendredi", "sexta", "sexta-feira", "freitag", "vrijdag", "venerdi", "fredag"),
        ("samedi", "sabado", "samstag", "zaterdag", "sabato", "lordag", "sobota"),
    )
):
    for _name in _names:
        _EXTRA_DAYS.setdefault(_name, _i)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def one_day(value: Any) -> int:
    """A single day: 0–6 (Sunday = 0), a numeric string, or a day name in a common language."""
    if isinstance(value, bool):
        raise ValidationError("day", f"unknown day {value!r}", key="error.day_unknown", value=value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return parse_day(value)
    text = fold(str(value)).rstrip(".")
    if text in _EXTRA_DAYS:
        return _EXTRA_DAYS[text]
    return parse_day(text)


_DAY_SPLIT = re.compile(r"\s*(?:,|;|/|\band\b|&|\by\b)\s*", re.I)


def days(value: Any) -> list[int]:
    """One day, a list of days, or a comma-separated string of days → sorted unique days."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return sorted({one_day(v) for v in value if v is not None and v != ""})
    if isinstance(value, str) and _DAY_SPLIT.search(value.strip()):
        return sorted({one_day(p) for p in _DAY_SPLIT.split(value.strip()) if p})
    return [one_day(value)]


def clock_time(value: Any, field: str = "time") -> time | None:
    """'19:00', '7:00 PM', '19:00:00', '7pm' → time; empty → None."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    return parse_time(text, field)


def tokens(value: Any) -> list[str]:
    """A list, or a comma/semicolon-separated string, of type codes or names."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [t.strip() for t in re.split(r"[,;]", str(value)) if t.strip()]


def resolve_types(fellowship: str, values: Iterable[str]) -> tuple[list[str], list[str]]:
    """(codes, unknown): each value resolved as a code or a type name of the fellowship."""
    codes: list[str] = []
    unknown: list[str] = []
    for token in values:
        code = mtypes.resolve_type(fellowship, token)
        if code is None:
            unknown.append(token)
        else:
            codes.append(code)
    return codes, unknown


def number(value: Any, field: str) -> float | None:
    """A float from a number or a string; '' / None / '0' pairs are handled by the caller."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(field, f"{value!r} is not a number")
    try:
        result = float(str(value).strip().replace(",", ".") if isinstance(value, str) else value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            field, f"{value!r} is not a number", key="error.number_invalid", value=str(value)
        ) from exc
    if result != result:  # NaN
        raise ValidationError(field, "not a number", key="error.number_invalid")
    return result


def coordinates(lat: Any, lon: Any) -> tuple[float | None, float | None]:
    """Latitude/longitude as given; (0, 0) and half-empty pairs mean "unknown"."""
    la, lo = number(lat, "latitude"), number(lon, "longitude")
    if la is None or lo is None or (la == 0 and lo == 0):
        return None, None
    return la, lo


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return None
    result = str(value).strip()
    return result or None


_TAG_RE = re.compile(r"<[^>]{0,500}>")
_BR_RE = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.I)
_BLANKS_RE = re.compile(r"\n{3,}")


def plain(value: Any) -> str | None:
    """Plain text: HTML tags dropped (line breaks kept), entities decoded, blank runs trimmed."""
    raw = text(value)
    if raw is None:
        return None
    if "<" in raw and ">" in raw:
        raw = _BR_RE.sub("\n", raw)
        raw = _TAG_RE.sub("", raw)
    if "&" in raw:
        raw = html.unescape(raw)
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    raw = "\n".join(line.rstrip() for line in raw.split("\n"))
    return _BLANKS_RE.sub("\n\n", raw).strip() or None


def http_url(value: Any) -> str | None:
    """An http(s) URL or None (anything else is dropped by the caller with a warning)."""
    raw = text(value)
    if raw is None:
        return None
    if re.match(r"^https?://[^\s/]+", raw, re.I):
        return raw
    if re.match(r"^(www\.|[a-z0-9-]+\.(zoom\.us|zoom\.com))", raw, re.I):
        return "https://" + raw
    return None


def fingerprint(record: Any, context: str) -> str:
    """A short hash of a source record plus the import settings that shape it. Keys are not
    sorted: a feed that reorders them only costs a rebuild, which still finds no change."""
    payload = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.blake2b((context + "\x00" + payload).encode(), digest_size=16).hexdigest()


def unique_refs(refs: Sequence[str]) -> tuple[list[str], list[str]]:
    """Make keys unique in order ("a", "a" → "a", "a-2"); returns (refs, duplicates seen).
    Linear: each key remembers the next suffix to try, so 20,000 copies of one key cost
    20,000 steps, not 200 million."""
    seen: set[str] = set()
    next_suffix: dict[str, int] = {}
    out: list[str] = []
    dups: list[str] = []
    for ref in refs:
        candidate = ref
        if candidate in seen:
            dups.append(ref)
            n = next_suffix.get(ref, 2)
            candidate = f"{ref}-{n}"
            while candidate in seen:
                n += 1
                candidate = f"{ref}-{n}"
            next_suffix[ref] = n + 1
        seen.add(candidate)
        out.append(candidate)
    return out, dups
