"""TSML CSV: the 12 Step Meeting List plugin's import/export spreadsheet (FORMATS.md §2).

Header row in any column order, cells slugified ("Conference URL" → conference_url), with
aliases (zip → postal_code, meeting → name, start_time → time). The header must have an
Address or City column. Rows become Meeting Guide objects and go through the same tolerant
rules; warnings and skips name the spreadsheet row (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from calendars import limits
from calendars import tolerant as tol
from calendars.errors import InvalidImport, guarded
from calendars.meeting_guide import check_records, mg_item_to_meeting
from calendars.records import ImportContext, ParseResult, add_records
from core.model import Meeting, slugify

FORMAT = "csv"

TEMPLATE_HEADER = (
    "Time, End Time, Day, Name, Location, Address, Region, Sub Region, Types, Notes, "
    "Location Notes, Timezone, Group, District, Sub District, Website, Website 2, "
    "Mailing Address, Venmo, Email, Phone, Group Notes, Contact 1 Name, Contact 1 Email, "
    "Contact 1 Phone, Contact 2 Name, Contact 2 Email, Contact 2 Phone, Contact 3 Name, "
    "Contact 3 Email, Contact 3 Phone, Last Contact, Conference URL, Conference Phone, Author, "
    "Slug, Updated"
)

ALIASES = {
    "zip": "postal_code",
    "zip_code": "postal_code",
    "postcode": "postal_code",
    "postal": "postal_code",
    "meeting": "name",
    "meeting_name": "name",
    "title": "name",
    "start_time": "time",
    "start": "time",
    "end": "end_time",
    "weekday": "day",
    "days": "day",
    "type": "types",
    "website": "url",
    "web": "url",
    "conference_link": "conference_url",
    "online_url": "conference_url",
    "zoom": "conference_url",
    "zoom_link": "conference_url",
    "conference_url_notes": "conference_url_notes",
    "time_zone": "timezone",
    "tz": "timezone",
    "location_name": "location",
    "building": "location",
    "street": "address",
    "street_address": "address",
    "province": "state",
    "lat": "latitude",
    "lng": "longitude",
    "lon": "longitude",
    "long": "longitude",
    "neighborhood": "sub_region",
    "neighbourhood": "sub_region",
    "group_name": "group",
    "attendance": "attendance_option",
}

# Columns passed on to the Meeting Guide converter.
_FIELDS = (
    "name",
    "day",
    "time",
    "end_time",
    "location",
    "address",
    "formatted_address",
    "city",
    "state",
    "postal_code",
    "country",
    "region",
    "sub_region",
    "types",
    "notes",
    "location_notes",
    "timezone",
    "group",
    "url",
    "conference_url",
    "conference_url_notes",
    "conference_phone",
    "conference_phone_notes",
    "slug",
    "latitude",
    "longitude",
    "approximate",
    "attendance_option",
)


def header_key(cell: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", tol.fold(cell)).strip("_")
    return ALIASES.get(key, key)


def _decode(data: bytes, ctx: ImportContext) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        ctx.warn("the file is not UTF-8; read it as Windows-1252 (Excel's default)")
        return data.decode("cp1252", errors="replace")


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _rows(reader: Any) -> list[list[str]]:
    """Every row, within the caps on rows, columns and cell size (csv's own field limit is
    128 KiB; ours is MAX_FIELD_CHARS and reported in our words)."""
    rows: list[list[str]] = []
    for row in reader:
        if len(row) > limits.MAX_CSV_COLUMNS:
            raise limits.too_many(
                "columns", limits.MAX_CSV_COLUMNS, FORMAT, key="error.import_too_many_columns"
            )
        if any(len(cell) > limits.MAX_FIELD_CHARS for cell in row):
            raise limits.value_too_long(
                limits.MAX_FIELD_CHARS, FORMAT, where=f"row {reader.line_num}"
            )
        rows.append(row)
        if len(rows) > limits.MAX_RECORDS + 1:  # the header row, then the meetings
            check_records(len(rows) - 1, FORMAT)
    return rows


@guarded(FORMAT)
def parse_tsml_csv(data: bytes, ctx: ImportContext) -> ParseResult:
    text = _decode(data, ctx)
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise InvalidImport("the file is empty", fmt=FORMAT)
    if "\x00" in text:
        raise InvalidImport("the file is binary, not a CSV table", fmt=FORMAT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    try:
        rows = _rows(reader)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise limits.value_too_long(
                limits.MAX_FIELD_CHARS, FORMAT, where=f"row {reader.line_num}"
            ) from exc
        raise InvalidImport(
            f"broken CSV: {exc}", where=f"row {reader.line_num}", fmt=FORMAT
        ) from exc
    header_index = next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), None)
    if header_index is None:
        raise InvalidImport("the file has no header row", fmt=FORMAT)
    header = [header_key(c) for c in rows[header_index]]
    row_base = header_index + 1  # spreadsheet numbering: header is row header_index + 1
    if "name" not in header:
        raise InvalidImport(
            "the header row has no Name column", where=f"row {row_base}", fmt=FORMAT
        )
    if "address" not in header and "city" not in header and "formatted_address" not in header:
        raise InvalidImport(
            "the header row needs an Address or City column (TSML template: "
            f"{TEMPLATE_HEADER[:60]}…)",
            where=f"row {row_base}",
            fmt=FORMAT,
        )
    if "day" not in header or "time" not in header:
        raise InvalidImport(
            "the header row needs Day and Time columns", where=f"row {row_base}", fmt=FORMAT
        )
    result = ParseResult(FORMAT)
    signature = ctx.signature(FORMAT)
    items: list[tuple[int, dict[str, Any]]] = []
    raw_refs: list[str] = []
    for offset, row in enumerate(rows[header_index + 1 :], start=1):
        if not any(cell.strip() for cell in row):
            continue
        row_no = row_base + offset
        values: dict[str, str] = {}
        for key, cell in zip(header, row, strict=False):
            cell = cell.strip()
            if key and cell and key not in values:
                values[key] = cell
        item = _item(values)
        items.append((row_no, item))
        raw_refs.append(_raw_ref(item, row_no))
    result.total = len(items)
    return add_records(
        result,
        items,
        raw_refs,
        ctx=ctx,
        signature=signature,
        label=lambda row_no, ref: f"row {row_no}",
        converter=lambda item, ref, label: _converter(item, ref, label, ctx),
    )


def _item(values: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {k: values[k] for k in _FIELDS if k in values}
    region = values.get("region")
    if region and ">" in region:
        parts = [p.strip() for p in region.split(">") if p.strip()]
        item["regions"] = parts
        item["region"] = parts[0] if parts else None
        if len(parts) > 1 and "sub_region" not in item:
            item["sub_region"] = parts[-1]
    return item


def _raw_ref(item: dict[str, Any], row_no: int) -> str:
    slug = tol.text(item.get("slug"))
    if slug:
        return slug[:64]
    key = "-".join(str(item.get(k, "")) for k in ("name", "day", "time"))
    place = item.get("location") or item.get("address") or item.get("city") or ""
    return slugify(f"{key}-{place}") if key.strip("-") else f"row-{row_no}"


def _converter(item: dict[str, Any], ref: str, label: str, ctx: ImportContext) -> Any:
    def convert() -> Meeting:
        return mg_item_to_meeting(item, ref, label, ctx)

    return convert
