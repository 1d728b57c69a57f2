"""A deterministic, realistic — and clearly fictional — set of demo meetings.

Group names, streets and links are invented; cities are real so that "near me" and time
zones behave as they would in real use. No real people, no real meeting rooms.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, time
from functools import cache

from core import types as mtypes
from core.model import Location, Meeting, OnlineAccess, build_meeting

# (zone, city, region, country, lat, lon, language)
CITIES: tuple[tuple[str, str, str, str, float, float, str], ...] = (
    ("America/New_York", "New York", "Manhattan", "US", 40.7306, -73.9866, "en"),
    ("America/New_York", "Boston", "Back Bay", "US", 42.3503, -71.0810, "en"),
    ("America/Chicago", "Chicago", "Lakeview", "US", 41.9400, -87.6540, "en"),
    ("America/Denver", "Denver", "Capitol Hill", "US", 39.7330, -104.9800, "en"),
    ("America/Phoenix", "Phoenix", "Midtown", "US", 33.4700, -112.0730, "en"),
    ("America/Los_Angeles", "Los Angeles", "Silver Lake", "US", 34.0870, -118.2700, "en"),
    ("America/Los_Angeles", "San Francisco", "Mission", "US", 37.7599, -122.4148, "en"),
    ("America/Anchorage", "Anchorage", "Midtown", "US", 61.1900, -149.8700, "en"),
    ("Pacific/Honolulu", "Honolulu", "Kaimuki", "US", 21.2830, -157.8000, "en"),
    ("America/Toronto", "Toronto", "Annex", "CA", 43.6690, -79.4030, "en"),
    ("America/Vancouver", "Vancouver", "Kitsilano", "CA", 49.2680, -123.1680, "en"),
    ("America/Mexico_City", "Ciudad de México", "Coyoacán", "MX", 19.3500, -99.1620, "es"),
    ("America/Bogota", "Bogotá", "Chapinero", "CO", 4.6490, -74.0630, "es"),
    ("America/Lima", "Lima", "Miraflores", "PE", -12.1210, -77.0300, "es"),
    ("America/Santiago", "Santiago", "Providencia", "CL", -33.4260, -70.6170, "es"),
    ("America/Argentina/Buenos_Aires", "Buenos Aires", "Palermo", "AR", -34.5880, -58.4300, "es"),
    ("America/Sao_Paulo", "São Paulo", "Pinheiros", "BR", -23.5670, -46.6920, "pt"),
    ("Europe/London", "London", "Camden", "GB", 51.5390, -0.1426, "en"),
    ("Europe/Dublin", "Dublin", "Rathmines", "IE", 53.3220, -6.2650, "en"),
    ("Europe/Madrid", "Madrid", "Malasaña", "ES", 40.4260, -3.7040, "es"),
    ("Europe/Paris", "Paris", "Belleville", "FR", 48.8720, 2.3850, "fr"),
    ("Europe/Berlin", "Berlin", "Kreuzberg", "DE", 52.4990, 13.4030, "de"),
    ("Europe/Amsterdam", "Amsterdam", "De Pijp", "NL", 52.3540, 4.8930, "nl"),
    ("Europe/Stockholm", "Stockholm", "Södermalm", "SE", 59.3150, 18.0710, "sv"),
    ("Europe/Athens", "Athens", "Exarchia", "GR", 37.9860, 23.7340, "en"),
    ("Europe/Istanbul", "Istanbul", "Kadıköy", "TR", 40.9900, 29.0270, "en"),
    ("Africa/Johannesburg", "Johannesburg", "Melville", "ZA", -26.1770, 28.0080, "en"),
    ("Africa/Lagos", "Lagos", "Yaba", "NG", 6.5090, 3.3780, "en"),
    ("Africa/Nairobi", "Nairobi", "Kilimani", "KE", -1.2900, 36.7850, "en"),
    ("Asia/Dubai", "Dubai", "Jumeirah", "AE", 25.2100, 55.2500, "en"),
    ("Asia/Kolkata", "Mumbai", "Bandra", "IN", 19.0600, 72.8360, "en"),
    ("Asia/Kolkata", "Bengaluru", "Indiranagar", "IN", 12.9780, 77.6400, "en"),
    ("Asia/Bangkok", "Bangkok", "Sukhumvit", "TH", 13.7370, 100.5600, "th"),
    ("Asia/Singapore", "Singapore", "Tiong Bahru", "SG", 1.2850, 103.8270, "en"),
    ("Asia/Manila", "Manila", "Makati", "PH", 14.5540, 121.0240, "en"),
    ("Asia/Tokyo", "Tokyo", "Shibuya", "JP", 35.6620, 139.7040, "ja"),
    ("Asia/Seoul", "Seoul", "Mapo", "KR", 37.5560, 126.9220, "en"),
    ("Australia/Sydney", "Sydney", "Newtown", "AU", -33.8970, 151.1790, "en"),
    ("Australia/Melbourne", "Melbourne", "Fitzroy", "AU", -37.7990, 144.9780, "en"),
    ("Australia/Perth", "Perth", "Northbridge", "AU", -31.9470, 115.8570, "en"),
    ("Pacific/Auckland", "Auckland", "Ponsonby", "NZ", -36.8560, 174.7460, "en"),
)

FELLOWSHIPS = (("aa", 50), ("na", 20), ("ca", 6), ("al-anon", 10), ("coda", 5), ("oa", 5),
               ("ga", 4))

_ADJECTIVES = ("Serenity", "Daybreak", "Hope", "Lantern", "Open Door", "Harbor", "Clear Sky",
               "Riverside", "Keep Coming Back", "Easy Does It", "Lighthouse", "New Leaf",
               "Sunrise", "Evening Star", "Common Ground", "Second Wind", "Willow", "Bridge",
               "Quiet Hour", "Kindness", "Steady Steps", "Morning Light", "Safe Harbor",
               "Fresh Start", "One Day", "Compass", "Firefly", "Cedar", "Juniper", "Meadow")
_NOUNS = ("Group", "Circle", "Fellowship", "Meeting", "Gathering", "Home Group", "Crew")
_ES_NAMES = ("Grupo Amanecer", "Grupo Esperanza", "Grupo Nueva Vida", "Grupo Serenidad",
             "Grupo Solo por Hoy", "Grupo Puertas Abiertas", "Grupo Luz del Camino")
_STREETS = ("Example Street", "Fictional Avenue", "Placeholder Road", "Imaginary Lane",
            "Sample Boulevard", "Demo Way", "Madeup Place")
_BUILDINGS = ("Community Hall (demo)", "Library Annex (demo)", "Fictional Church Hall",
              "Neighbourhood Centre (demo)", "Recreation Room (demo)")

# Special focuses, by shared concept, with how often a demo meeting has each.
_FOCUS = (("women", 0.1), ("men", 0.07), ("lgbtq", 0.06), ("young-people", 0.05),
          ("newcomer", 0.1), ("step-study", 0.15), ("speaker", 0.15), ("wheelchair", 0.35),
          ("big-book", 0.1), ("meditation", 0.05), ("secular", 0.04))


@cache
def _code_for(fellowship: str, concept: str) -> str | None:
    """The plainest code that stands for `concept` in this fellowship's catalogue."""
    codes = mtypes.codes_for_concept(fellowship, concept)
    if not codes:
        return None
    only = [c for c in codes if mtypes.concepts_for(fellowship, [c]) == {concept}]
    return min(only or codes, key=lambda c: (len(c), c))


def _pick_weighted(rng: random.Random, items: tuple[tuple[str, int], ...]) -> str:
    total = sum(w for _, w in items)
    roll = rng.uniform(0, total)
    for key, weight in items:
        roll -= weight
        if roll <= 0:
            return key
    return items[-1][0]


def demo_meetings(count: int = 300, seed: int = 12, *, validate: bool = False
                  ) -> Iterator[Meeting]:
    """`count` fictional meetings, identical for identical (count, seed).

    The values are valid by construction (canonical zones, catalogue codes), so meetings
    are built directly; `validate=True` sends each through build_meeting instead — the
    tests check both give the same meetings.
    """
    rng = random.Random(seed)
    updated = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(count):
        zone, city, region, country, lat, lon, language = CITIES[n % len(CITIES)]
        fellowship = _pick_weighted(rng, FELLOWSHIPS)
        spanish_place = language == "es"
        name = (rng.choice(_ES_NAMES) if spanish_place and rng.random() < 0.7
                else f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}")
        mode = rng.random()
        attendance = "online" if mode < 0.3 else "hybrid" if mode < 0.45 else "in_person"
        types = {"O" if rng.random() < 0.55 else "C"}
        focus = [c for c, probability in _FOCUS if rng.random() < probability]
        if spanish_place or rng.random() < 0.04:
            focus.append("language:es")
        if "women" in focus and "men" in focus:
            focus.remove("men")
        for concept in focus:
            code = _code_for(fellowship, concept)
            if code is not None:
                types.add(code)
        hour = rng.choice((6, 7, 7, 8, 10, 12, 12, 13, 17, 18, 18, 19, 19, 19, 20, 20, 21, 22))
        minute = rng.choice((0, 0, 0, 15, 30, 30, 45))
        if rng.random() < 0.02:
            hour, minute = rng.choice(((0, 30), (23, 30), (2, 30), (1, 30)))
        duration = rng.choice((60, 60, 60, 75, 90, 90, 120))
        end_min = (hour * 60 + minute + duration) % 1440
        day_roll = rng.random()
        if day_roll < 0.7:
            days: list[int] = [rng.randrange(7)]
        elif day_roll < 0.9:
            days = [1, 2, 3, 4, 5]
        else:
            days = rng.sample(range(7), 2)
        jitter_lat, jitter_lon = rng.uniform(-0.08, 0.08), rng.uniform(-0.08, 0.08)
        in_person = attendance != "online"
        location = Location(
            name=rng.choice(_BUILDINGS) if in_person else None,
            address=f"{rng.randint(1, 999)} {rng.choice(_STREETS)}, {city}" if in_person else None,
            city=city,
            region=region,
            country=country,
            latitude=round(lat + jitter_lat, 5) if in_person else None,
            longitude=round(lon + jitter_lon, 5) if in_person else None,
        )
        online = OnlineAccess(
            url=f"https://meet.jit.si/stepbot-demo-{n:06d}" if attendance != "in_person" else None,
            url_notes="Demo link — not a real meeting." if attendance != "in_person" else None,
        )
        values = dict(
            slug=f"demo-{n:06d}",
            name=name,
            fellowship=fellowship,
            start=time(hour, minute),
            end=time(end_min // 60, end_min % 60),
            timezone=zone,
            location=location,
            online=online,
            notes="Fictional demo meeting generated by stepbot.",
            source="demo",
            source_ref=f"demo-{n:06d}",
            updated=updated,
        )
        if validate:
            yield build_meeting(days=days, types=sorted(types), **values)  # type: ignore[arg-type]
        else:
            codes = mtypes.normalize_types(fellowship, types)
            if not in_person:
                codes = mtypes.drop_in_person_only(codes)
            yield Meeting(days=tuple(sorted(set(days))), types=codes, **values)  # type: ignore[arg-type]
