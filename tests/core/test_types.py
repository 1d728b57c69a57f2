"""Tests for core.types: fellowships, per-fellowship type catalogues and shared concepts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import types as T
from core.types import (
    CATALOGUES,
    CONCEPTS,
    FELLOWSHIPS,
    IN_PERSON_ONLY_TYPES,
    LANGUAGE_TYPES,
    Concept,
    Fellowship,
    MeetingType,
    catalogue_for,
    codes_for_concept,
    concept_from_word,
    concept_name,
    concepts_for,
    drop_in_person_only,
    fellowship,
    fold,
    normalize_types,
    register_catalogue,
    register_concept,
    register_fellowship,
    resolve_type,
    type_name,
    unknown_types,
)

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"

NA_CODES = {
    "CPT", "BT", "BEG", "CAN", "CW", "C", "DISC", "GL", "IP", "IW", "JFT", "LIT", "LC", "M",
    "MED", "NS", "O", "QA", "RA", "SMOK", "SPAD", "SPK", "STEP", "SWG", "TOP", "TRAD", "VAR",
    "X", "W", "Y",
}  # fmt: skip
NA_EXTRAS = {"B", "ONL", "TC", "HY"}  # BMLT's B = Beginners, online, temporarily closed, hybrid
AA_EXTRAS = {"ONL"}  # seen in feeds; TC is already in the Meeting Guide list


def _package_json(name: str) -> dict[str, dict[str, str]]:
    data: Any = json.loads((resources.files("core.data") / name).read_text(encoding="utf-8"))
    return dict(data)


MEETING_GUIDE = _package_json("meeting-guide-types.json")
PROPOSED = _package_json("meeting-guide-types-proposed.json")


# ------------------------------------------------------------------ data files


def test_licence_notice_ships_with_the_copied_data() -> None:
    licence = (resources.files("core.data") / "meeting-guide-types.LICENSE").read_text("utf-8")
    assert "MIT License" in licence
    assert "Permission is hereby granted" in licence


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared/reference not beside the repo")
@pytest.mark.parametrize(
    "name",
    [
        "meeting-guide-types.json",
        "meeting-guide-types-proposed.json",
        "meeting-guide-types.LICENSE",
    ],
)
def test_package_data_is_an_unchanged_copy_of_the_reference(name: str) -> None:
    packaged = (resources.files("core.data") / name).read_bytes()
    assert packaged == (REFERENCE / name).read_bytes()


# ------------------------------------------------------------------ AA catalogue


def test_meeting_guide_list_has_87_codes_and_5_proposed() -> None:
    assert len(MEETING_GUIDE) == 87
    assert len(PROPOSED) == 5


@pytest.mark.parametrize("code", sorted({**MEETING_GUIDE, **PROPOSED}))
def test_every_meeting_guide_code_is_in_aa_with_all_its_names(code: str) -> None:
    expected = {**MEETING_GUIDE, **PROPOSED}[code]
    aa = catalogue_for("aa")
    assert code in aa
    assert aa[code].names == expected
    assert aa[code].names["en"] and aa[code].names["es"]
    assert type_name("aa", code) == expected["en"]
    assert type_name("aa", code, "es") == expected["es"]


def test_aa_catalogue_is_meeting_guide_plus_proposed_plus_extras() -> None:
    assert set(catalogue_for("aa")) == set(MEETING_GUIDE) | set(PROPOSED) | AA_EXTRAS
    assert {"ONL", "TC"} <= set(catalogue_for("aa"))


def test_aa_names_in_every_language_resolve_to_their_own_code() -> None:
    for code, t in catalogue_for("aa").items():
        for lang, name in t.names.items():
            assert resolve_type("aa", name) == code, (lang, name)


def test_every_aa_language_type_maps_to_its_iso_code() -> None:
    aa = catalogue_for("aa")
    expected = {
        "S": "es", "EN": "en", "FR": "fr", "ITA": "it", "POR": "pt", "POL": "pl", "RUS": "ru",
        "KOR": "ko", "PUN": "pa", "TUR": "tr", "JA": "ja", "DE": "de", "NO": "no", "UK": "uk",
    }  # fmt: skip
    for code, iso in expected.items():
        assert LANGUAGE_TYPES[code] == iso
    for code, iso in LANGUAGE_TYPES.items():
        assert len(iso) == 2 and iso.islower()
        assert f"language:{iso}" in aa[code].concepts
        concept = CONCEPTS[f"language:{iso}"]
        assert concept.names["en"] == aa[code].names["en"]
        assert concept.names["es"] == aa[code].names["es"]
    # every AA type whose English name is a language is a language type
    language_names = {aa[c].names["en"] for c in LANGUAGE_TYPES}
    assert len(language_names) == len(LANGUAGE_TYPES) == 38


# ------------------------------------------------------------------ NA and other catalogues


def test_na_has_the_30_tsml_codes_plus_listed_extras() -> None:
    assert len(NA_CODES) == 30
    assert set(catalogue_for("na")) == NA_CODES | NA_EXTRAS


def test_na_names_resolve_to_their_own_code() -> None:
    for code, t in catalogue_for("na").items():
        for name in t.names.values():
            assert resolve_type("na", name) == code, name


def test_heroin_anonymous_uses_the_na_catalogue() -> None:
    assert FELLOWSHIPS["ha"].catalogue == "na"
    assert catalogue_for("ha") is catalogue_for("na")


@pytest.mark.parametrize(
    "code",
    ["O", "C", "W", "M", "LGBTQ", "Y", "BEG", "SP", "ST", "D", "X", "S", "EN", "ONL", "TC",
     "MED", "LIT", "YA", "TEEN", "GL", "T", "NB", "HY"],
)  # fmt: skip
def test_generic_catalogue_has_the_common_codes(code: str) -> None:
    assert code in catalogue_for("generic")


@pytest.mark.parametrize("key", sorted(CATALOGUES))
def test_every_type_has_english_and_spanish_names_and_known_concepts(key: str) -> None:
    types = CATALOGUES[key]
    assert types
    for code, t in types.items():
        assert t.code == code
        assert t.names.get("en"), (key, code)
        assert t.names.get("es"), (key, code)
        assert t.concepts <= CONCEPTS.keys(), (key, code)


def test_women_and_men_mean_the_same_everywhere() -> None:
    for key in CATALOGUES:
        assert "women" in concepts_for(key, ["W"])
        assert "men" in concepts_for(key, ["M"])


# ------------------------------------------------------------------ conflicting codes


def test_y_is_young_people_in_aa_but_alateen_in_al_anon_and_yellow_workbook_in_aca() -> None:
    assert type_name("aa", "Y") == "Young People"
    assert concepts_for("aa", ["Y"]) == {"young-people"}
    assert type_name("al-anon", "Y") == "Alateen"
    assert concepts_for("al-anon", ["Y"]) == {"young-people"}
    assert type_name("aca", "Y") == "Yellow Workbook Study"
    assert "young-people" not in concepts_for("aca", ["Y"])
    assert concepts_for("na", ["Y"]) == {"young-people"}


def test_b_is_big_book_in_aa_but_beginners_in_na_and_business_owner_in_da() -> None:
    assert concepts_for("aa", ["B"]) == {"big-book", "literature"}
    assert type_name("na", "B") == "Beginners"
    assert concepts_for("na", ["B"]) == {"newcomer"}
    assert type_name("da", "B") == "Business Owner"
    assert concepts_for("da", ["B"]) == frozenset()


def test_a_is_secular_in_aa_atheist_agnostic_in_ca_al_anon_coda_and_age_in_aca() -> None:
    assert type_name("aa", "A") == "Secular"
    for key in ("ca", "al-anon", "coda"):
        assert type_name(key, "A") == "Atheist / Agnostic"
        assert concepts_for(key, ["A"]) == {"secular"}
    assert concepts_for("aa", ["A"]) == {"secular"}
    assert type_name("aca", "A") == "Age Restricted 18+"
    assert "secular" not in concepts_for("aca", ["A"])


def test_s_is_spanish_in_aa_but_speaker_in_aca() -> None:
    assert concepts_for("aa", ["S"]) == {"language:es"}
    assert concepts_for("generic", ["S"]) == {"language:es"}
    assert concepts_for("aca", ["S"]) == {"speaker"}
    assert type_name("aca", "S", "es") == "Orador"


def test_t_is_transgender_in_aa_but_fellowship_text_in_aca() -> None:
    assert concepts_for("aa", ["T"]) == {"transgender", "lgbtq"}
    assert concepts_for("aca", ["T"]) == {"literature"}


def test_c_in_al_anon_is_families_and_friends_only_and_means_closed() -> None:
    assert type_name("al-anon", "C") == "Families and Friends Only"
    assert concepts_for("al-anon", ["C"]) == {"closed"}
    assert concepts_for("al-anon", ["O"]) == {"open"}


def test_ar_is_arabic_in_aa_but_artist_in_da() -> None:
    assert concepts_for("aa", ["AR"]) == {"language:ar"}
    assert type_name("da", "AR") == "Artist"
    assert concepts_for("da", ["AR"]) == frozenset()


def test_aca_names_win_over_the_generic_base() -> None:
    assert resolve_type("aca", "Speaker") == "S"
    assert resolve_type("aca", "Gay/Lesbian") == "G"


# ------------------------------------------------------------------ concepts


REQUIRED_CONCEPTS = {
    "women", "men", "lgbtq", "young-people", "newcomer", "open", "closed", "wheelchair",
    "step-study", "speaker", "discussion", "meditation", "literature", "big-book", "secular",
    "online", "temporarily-closed", "sign-language", "child-friendly", "language:es",
    "language:en", "language:fr",
}  # fmt: skip


def test_required_concepts_exist() -> None:
    assert REQUIRED_CONCEPTS <= CONCEPTS.keys()


@pytest.mark.parametrize("key", sorted(CONCEPTS))
def test_every_concept_has_english_and_spanish_names(key: str) -> None:
    concept = CONCEPTS[key]
    assert concept.key == key
    assert concept.names.get("en") and concept.names.get("es")
    assert concept_name(key, "en") == concept.names["en"]
    assert concept_name(key, "es") == concept.names["es"]


def test_aliases_are_folded_and_lead_back_to_their_concept() -> None:
    owner: dict[str, str] = {}
    for concept in CONCEPTS.values():
        for alias in concept.aliases:
            assert alias == fold(alias)
            if not concept.key.startswith("language:"):
                assert owner.setdefault(alias, concept.key) == concept.key, alias
                assert concept_from_word(alias) == concept.key, alias


@pytest.mark.parametrize(
    ("word", "concept"),
    [
        ("women", "women"),
        ("Women's", "women"),
        ("women’s", "women"),
        ("WOMENS", "women"),
        ("ladies", "women"),
        ("Mujeres", "women"),
        ("mujer", "women"),
        ("femenina", "women"),
        ("men", "men"),
        ("mens", "men"),
        ("hombres", "men"),
        ("varones", "men"),
        ("LGBTQ+", "lgbtq"),
        ("lgbtqia", "lgbtq"),
        ("gay", "lgbtq"),
        ("queer", "lgbtq"),
        ("trans", "lgbtq"),
        ("lgbti", "lgbtq"),
        ("transgender", "transgender"),
        ("young", "young-people"),
        ("youth", "young-people"),
        ("jóvenes", "young-people"),
        ("jovenes", "young-people"),
        ("Newcomers", "newcomer"),
        ("beginners", "newcomer"),
        ("principiantes", "newcomer"),
        ("recién llegados", "newcomer"),
        ("spanish", "language:es"),
        ("Español", "language:es"),
        ("espanol", "language:es"),
        ("english", "language:en"),
        ("inglés", "language:en"),
        ("French", "language:fr"),
        ("français", "language:fr"),
        ("Portugués", "language:pt"),
        ("open", "open"),
        ("abierta", "open"),
        ("closed", "closed"),
        ("cerrada", "closed"),
        ("wheelchair", "wheelchair"),
        ("accessible", "wheelchair"),
        ("silla de ruedas", "wheelchair"),
        ("speaker", "speaker"),
        ("orador", "speaker"),
        ("steps", "step-study"),
        ("step study", "step-study"),
        ("pasos", "step-study"),
        ("meditación", "meditation"),
        ("big book", "big-book"),
        ("Libro Grande", "big-book"),
        ("secular", "secular"),
        ("atheist", "secular"),
        ("agnóstico", "secular"),
        ("online", "online"),
        ("en línea", "online"),
        ("sign language", "sign-language"),
        ("lengua de señas", "sign-language"),
        ("niños", "child-friendly"),
        ("temporarily closed", "temporarily-closed"),
        ("language:es", "language:es"),
        ("young-people", "young-people"),
    ],
)
def test_concept_from_word(word: str, concept: str) -> None:
    assert concept_from_word(word) == concept


@pytest.mark.parametrize("word", ["", "   ", "banana", "zzz", "el"])
def test_concept_from_word_unknown(word: str) -> None:
    assert concept_from_word(word) is None


def test_codes_for_concept() -> None:
    assert codes_for_concept("na", "lgbtq") == {"GL"}
    assert codes_for_concept("aa", "lgbtq") == {"G", "L", "T", "BI", "LGBTQ", "NB"}
    assert codes_for_concept("aa", "women") == {"W"}
    assert codes_for_concept("aa", "language:es") == {"S"}
    assert codes_for_concept("aa", "newcomer") == {"BE"}
    assert codes_for_concept("na", "newcomer") == {"BEG", "B"}
    assert codes_for_concept("aa", "wheelchair") == {"X", "XB"}
    assert codes_for_concept("al-anon", "young-people") >= {"Y", "YA"}
    assert codes_for_concept("aa", "spanish") == {"S"}  # a word for the concept works too
    assert codes_for_concept("aa", "no-such-concept") == frozenset()
    assert codes_for_concept("Narcotics Anonymous", "women") == {"W"}


def test_concepts_for_ignores_unknown_codes_and_case() -> None:
    assert concepts_for("aa", ["w", "S", "nope"]) == {"women", "language:es"}
    assert concepts_for("aa", []) == frozenset()


# ------------------------------------------------------------------ resolve_type


@pytest.mark.parametrize(
    ("fellowship_key", "token", "code"),
    [
        ("aa", "O", "O"),
        ("aa", "o", "O"),
        ("aa", " x ", "X"),
        ("aa", "12X12", "12x12"),
        ("aa", "al-an", "AL-AN"),
        ("aa", "Open", "O"),
        ("aa", "Abierta", "O"),
        ("aa", "Wheelchair Access", "X"),
        ("aa", "wheelchair access", "X"),
        ("aa", "Acceso en silla de ruedas", "X"),
        ("aa", "Mujeres", "W"),
        ("aa", "Women", "W"),
        ("aa", "Femmes", "W"),
        ("aa", "Step Meeting", "ST"),  # TSML's name for ST
        ("aa", "Sign Language", "ASL"),
        ("aa", "Outdoor Meeting", "OUT"),
        ("aa", "Online Meeting", "ONL"),
        ("aa", "Location Temporarily Closed", "TC"),
        ("aa", "Español", "S"),
        ("aa", "womens", "W"),  # concept fallback
        ("aa", "LGBTQ+", "LGBTQ"),
        ("aa", "queer", "LGBTQ"),
        ("aa", "wheelchair", "X"),
        ("na", "Gay/Lesbian", "GL"),
        ("na", "Beginner/Newcomer", "BEG"),
        ("na", "Wheelchair Accessible", "X"),
        ("na", "Texto Básico", "BT"),
        ("na", "lgbtq", "GL"),
        ("al-anon", "Alateen", "Y"),
        ("al-anon", "Families and Friends Only", "C"),
        ("al-anon", "Open", "O"),
        ("ca", "Atheist / Agnostic", "A"),
        ("ca", "Big Book", "B"),
        ("generic", "Young People", "Y"),
        ("Alcoholics Anonymous", "Closed", "C"),
        ("unknown-fellowship", "Women", "W"),
    ],
)
def test_resolve_type(fellowship_key: str, token: str, code: str) -> None:
    assert resolve_type(fellowship_key, token) == code


@pytest.mark.parametrize("token", ["", "  ", "ZZZ", "Not A Type", "GL"])
def test_resolve_type_unknown_in_aa(token: str) -> None:
    assert resolve_type("aa", token) is None


def test_resolve_type_with_an_ambiguous_concept_word_gives_nothing() -> None:
    # Al-Anon has Y (Alateen), YA, YP and TEEN for young people: "youth" picks none of them
    assert resolve_type("al-anon", "youth") is None
    # ... but a concept with one obvious code resolves ("reading" → literature → LIT)
    assert resolve_type("aa", "reading") == "LIT"


# ------------------------------------------------------------------ normalize / unknown


def test_normalize_types_canonical_dedup_sorted_known_only() -> None:
    assert normalize_types("aa", ["w", "O", "W", "open", "zzz", "12X12"]) == ("12x12", "O", "W")
    assert normalize_types("aa", []) == ()


def test_open_and_closed_means_closed() -> None:
    assert normalize_types("aa", ["O", "C", "W"]) == ("C", "W")
    assert normalize_types("na", ["Open", "Closed"]) == ("C",)
    assert normalize_types("al-anon", ["O", "C"]) == ("C",)


def test_unknown_types_lists_rejected_tokens_once_in_order() -> None:
    assert unknown_types("aa", ["O", "zzz", " BB ", "zzz", "", "Women"]) == ("zzz", "BB")
    assert unknown_types("na", ["GL", "G"]) == ("G",)


def test_in_person_only_types() -> None:
    assert IN_PERSON_ONLY_TYPES == {
        "X", "XB", "BA", "CF", "SM", "OUT", "BRK", "CAN", "FF", "AL", "AL-AN",
    }  # fmt: skip
    assert drop_in_person_only(["O", "X", "W", "BRK", "ONL"]) == ("O", "W", "ONL")


ALL_AA_CODES = sorted(catalogue_for("aa"))


@given(
    st.lists(
        st.one_of(st.sampled_from(ALL_AA_CODES), st.sampled_from(["o", "c", "zzz", "Mujeres"]))
    )
)
def test_normalize_types_properties(codes: list[str]) -> None:
    result = normalize_types("aa", codes)
    aa = catalogue_for("aa")
    assert set(result) <= aa.keys()
    assert list(result) == sorted(set(result))
    assert normalize_types("aa", result) == result
    assert not ({"O", "C"} <= set(result))
    unknown = set(unknown_types("aa", codes))
    for token in codes:
        assert (resolve_type("aa", token) is None) == (token.strip() in unknown)


# ------------------------------------------------------------------ names and fallbacks


def test_type_name_falls_back_to_english_then_code() -> None:
    assert type_name("aa", "W", "es") == "Mujeres"
    assert type_name("aa", "W", "es-MX") == "Mujeres"
    assert type_name("aa", "W", "fr") == "Femmes"
    assert type_name("na", "W", "fr") == "Women"
    assert type_name("aa", "w") == "Women"
    assert type_name("aa", "NOPE") == "NOPE"


def test_concept_name_falls_back() -> None:
    assert concept_name("women", "es") == "Mujeres"
    assert concept_name("women", "de") == "Women"
    assert concept_name("language:es", "es") == "Español"
    assert concept_name("language:es", "en") == "Spanish"
    assert concept_name("no-such", "es") == "no-such"


def test_fold() -> None:
    assert fold("Women's") == "womens"
    assert fold("  Recién   LLEGADOS ") == "recien llegados"
    assert fold("Al-Anon/Alateen") == "al anon alateen"
    assert fold("LGBTQ+") == "lgbtq"
    assert fold("Niños") == "ninos"
    # marks on non-Latin scripts are kept (no collapsing of distinct Japanese words)
    assert fold("ゲ") != fold("ケ")


# ------------------------------------------------------------------ fellowships


REQUIRED_FELLOWSHIPS = {
    "aa", "na", "ca", "al-anon", "coda", "oa", "ga", "slaa", "ma", "cma", "aca", "sa", "da",
}  # fmt: skip


def test_required_fellowships_registered() -> None:
    assert REQUIRED_FELLOWSHIPS <= FELLOWSHIPS.keys()


@pytest.mark.parametrize("key", sorted(FELLOWSHIPS))
def test_every_fellowship_has_names_and_a_catalogue(key: str) -> None:
    f = FELLOWSHIPS[key]
    assert f.key == key
    assert f.names.get("en") and f.names.get("es")
    assert f.catalogue in CATALOGUES
    assert catalogue_for(key) is CATALOGUES[f.catalogue]
    assert {"O", "C", "W", "M"} <= catalogue_for(key).keys()
    assert fellowship(f.names["en"]) is f
    assert fellowship(f.names["es"]) is f
    assert fellowship(key.upper()) is f


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("AA", "aa"),
        ("aa", "aa"),
        ("A.A.", "aa"),
        ("Alcoholics Anonymous", "aa"),
        ("alcoholics anonymous", "aa"),
        ("Alcohólicos Anónimos", "aa"),
        ("alcoholicos anonimos", "aa"),
        ("NA", "na"),
        ("Narcotics Anonymous", "na"),
        ("Narcóticos Anónimos", "na"),
        ("al anon", "al-anon"),
        ("Al-Anon", "al-anon"),
        ("alanon", "al-anon"),
        ("Alateen", "al-anon"),
        ("CoDA", "coda"),
        ("S.L.A.A.", "slaa"),
        ("Cocaine Anonymous", "ca"),
        ("Marijuana Anonymous", "ma"),
        ("Crystal Meth Anonymous", "cma"),
        ("Debtors Anonymous", "da"),
        ("Deudores Anónimos", "da"),
        ("Heroin Anonymous", "ha"),
    ],
)
def test_fellowship_lookup(text: str, key: str) -> None:
    found = fellowship(text)
    assert found is not None
    assert found.key == key


@pytest.mark.parametrize("text", ["", "xyz", "Anonymous"])
def test_fellowship_lookup_unknown(text: str) -> None:
    assert fellowship(text) is None


def test_catalogue_for_unknown_fellowship_is_generic_and_read_only() -> None:
    assert catalogue_for("no-such-fellowship") is CATALOGUES["generic"]
    assert catalogue_for("Narcotics Anonymous") is CATALOGUES["na"]
    with pytest.raises(TypeError):
        catalogue_for("aa")["ZZ"] = MeetingType("ZZ", {"en": "x", "es": "x"})  # type: ignore[index]


@pytest.fixture
def restore_registries() -> Iterator[None]:
    fellowships, catalogues, concepts = (
        dict(T._FELLOWSHIPS),
        dict(T._CATALOGUES),
        dict(T._CONCEPTS),
    )
    yield
    T._FELLOWSHIPS.clear()
    T._FELLOWSHIPS.update(fellowships)
    T._CATALOGUES.clear()
    T._CATALOGUES.update(catalogues)
    T._CONCEPTS.clear()
    T._CONCEPTS.update(concepts)
    T._INDEXES.clear()
    T._rebuild_words()
    T._rebuild_fellowship_words()


@pytest.mark.usefixtures("restore_registries")
def test_registries_are_extendable() -> None:
    register_concept(Concept("pets", {"en": "Pets welcome", "es": "Se admiten mascotas"},
                             frozenset({"Dogs", "Mascotas"})))  # fmt: skip
    assert concept_from_word("dogs") == "pets"
    register_catalogue(
        "xa",
        {
            "O": MeetingType("O", {"en": "Open", "es": "Abierta"}, frozenset({"open"})),
            "DOG": MeetingType("DOG", {"en": "Dog Friendly", "es": "Perros"}, frozenset({"pets"})),
        },
    )
    register_fellowship(
        Fellowship("xa", {"en": "Example Anonymous", "es": "Ejemplo Anónimos"}, "xa",
                   frozenset({"X.A."}))
    )  # fmt: skip
    found = fellowship("ejemplo anonimos")
    assert found is not None and found.key == "xa"
    assert fellowship("X.A.") is found
    assert resolve_type("xa", "dog friendly") == "DOG"
    assert codes_for_concept("xa", "pets") == {"DOG"}
    with pytest.raises(ValueError, match="unknown catalogue"):
        register_fellowship(Fellowship("ya", {"en": "Y", "es": "Y"}, "no-such-catalogue"))
    with pytest.raises(ValueError, match="unknown concepts"):
        register_catalogue("bad", {"Q": MeetingType("Q", {"en": "Q"}, frozenset({"nope"}))})


def test_registry_restored_after_extension_test() -> None:
    assert "xa" not in FELLOWSHIPS
    assert "pets" not in CONCEPTS
