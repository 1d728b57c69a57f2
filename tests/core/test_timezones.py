"""Zone validation: canonical names for legacy links, suggestions for typos."""

from __future__ import annotations

import pytest

from core.errors import ValidationError
from core.timezones import canonical_zone, search_zones, suggest_zones


@pytest.mark.parametrize(("given", "stored"), [
    ("US/Eastern", "America/New_York"),
    ("Asia/Calcutta", "Asia/Kolkata"),
    ("Europe/Kiev", "Europe/Kyiv"),
    ("america/new_york", "America/New_York"),
    ("Europe/Amsterdam", "Europe/Amsterdam"),  # a country's zone stays as people know it
    ("UTC", "UTC"),
])
def test_canonical(given: str, stored: str) -> None:
    assert canonical_zone(given) == stored


def test_unknown_zone_names_the_field_and_suggests() -> None:
    with pytest.raises(ValidationError) as err:
        canonical_zone("America/New_Yrok")
    assert err.value.field == "timezone"
    assert "America/New_York" in err.value.params["suggestions"]
    assert suggest_zones("madird")[0] == "Europe/Madrid"


def test_search_by_city() -> None:
    assert search_zones("buenos")[0] == "America/Argentina/Buenos_Aires"
    assert len(search_zones("a")) <= 25
