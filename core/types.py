"""Fellowships, their meeting-type catalogues, and the shared concepts the codes map to.

Type codes depend on the fellowship (``B`` is Big Book in AA but Beginners in NA, ``Y`` is Young
People in AA but Alateen in Al-Anon…), so meetings store the codes of their own fellowship and
searches go through *concepts* ("women", "lgbtq", "language:es"…) that mean the same thing
everywhere.

Data lives in ``core/data``: the Meeting Guide codes (``meeting-guide-types*.json``, MIT, from
code4recovery/spec) and stepbot's own ``types_extra.json`` (concepts, NA / generic / per-fellowship
catalogues). Everything is loaded once at import; the registries can be extended at run time with
:func:`register_fellowship`, :func:`register_catalogue` and :func:`register_concept`.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

__all__ = [
    "CATALOGUES",
    "CONCEPTS",
    "FELLOWSHIPS",
    "GENERIC_CATALOGUE",
    "IN_PERSON_ONLY_TYPES",
    "LANGUAGE_TYPES",
    "Concept",
    "Fellowship",
    "MeetingType",
    "catalogue_for",
    "codes_for_concept",
    "concept_from_word",
    "concept_name",
    "concepts_for",
    "drop_in_person_only",
    "fellowship",
    "fold",
    "normalize_types",
    "register_catalogue",
    "register_concept",
    "register_fellowship",
    "resolve_type",
    "type_name",
    "unknown_types",
]

GENERIC_CATALOGUE: Final = "generic"

#: Codes dropped from meetings that are not in person (FORMATS.md §1).
IN_PERSON_ONLY_TYPES: Final[frozenset[str]] = frozenset(
    {"X", "XB", "BA", "CF", "SM", "OUT", "BRK", "CAN", "FF", "AL", "AL-AN"}
)


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class Concept:
    """A meaning shared across fellowships ("women", "language:es"…).

    ``aliases`` are folded words (see :func:`fold`) users type to mean the concept.
    """

    key: str
    names: dict[str, str] = field(hash=False)
    aliases: frozenset[str] = frozenset()

    def name(self, lang: str = "en") -> str:
        return _pick(self.names, lang) or self.key


@dataclass(frozen=True)
class MeetingType:
    """One code of one catalogue. ``aliases`` are extra names that resolve to this code."""

    code: str
    names: dict[str, str] = field(hash=False)
    concepts: frozenset[str] = frozenset()
    aliases: frozenset[str] = frozenset()

    def name(self, lang: str = "en") -> str:
        return _pick(self.names, lang) or self.code


@dataclass(frozen=True)
class Fellowship:
    """A programme (AA, NA, Al-Anon…). ``catalogue`` names its type catalogue."""

    key: str
    names: dict[str, str] = field(hash=False)
    catalogue: str = GENERIC_CATALOGUE
    aliases: frozenset[str] = frozenset()

    def name(self, lang: str = "en") -> str:
        return _pick(self.names, lang) or self.key


# --------------------------------------------------------------------------- text folding


def fold(text: str) -> str:
    """Fold text for matching: casefold, drop Latin accents and apostrophes, turn other
    punctuation into spaces, collapse whitespace ("Women's" → "womens", "Español" → "espanol",
    "Al-Anon" → "al anon"). Marks on non-Latin scripts (Japanese, Thai) are kept."""
    out: list[str] = []
    prev_latin = False
    for ch in unicodedata.normalize("NFKD", text.casefold()):
        if unicodedata.category(ch).startswith("M"):
            if not prev_latin:
                out.append(ch)
            continue
        prev_latin = ch < "\u0250"
        if ch in "'’ʼ`´":
            continue
        out.append(ch if ch.isalnum() else " ")
    return " ".join(unicodedata.normalize("NFC", "".join(out)).split())


def _pick(names: Mapping[str, str], lang: str) -> str | None:
    """names[lang], then its primary subtag ("es-MX" → "es"), then English."""
    if lang in names:
        return names[lang]
    primary = lang.replace("_", "-").split("-")[0].lower()
    return names.get(primary) or names.get("en")


# --------------------------------------------------------------------------- loading


def _load_json(name: str) -> Any:
    return json.loads((resources.files("core.data") / name).read_text(encoding="utf-8"))


def _obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"types data: {where} must be an object")
    return dict(value)


def _str_map(value: object, where: str) -> dict[str, str]:
    obj = _obj(value, where)
    if not all(isinstance(v, str) for v in obj.values()):
        raise ValueError(f"types data: {where} must map strings to strings")
    return {k: str(v) for k, v in obj.items()}


def _str_list(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"types data: {where} must be a list of strings")
    return [str(v) for v in value]


_EXTRA: Final = _obj(_load_json("types_extra.json"), "types_extra.json")

#: Meeting Guide language codes → ISO 639-1 (``S`` → ``es``, ``ITA`` → ``it``…).
LANGUAGE_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    _str_map(_EXTRA["language_types"], "language_types")
)


def _load_meeting_guide() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for name in ("meeting-guide-types.json", "meeting-guide-types-proposed.json"):
        for code, names in _obj(_load_json(name), name).items():
            merged[code] = _str_map(names, f"{name}:{code}")
    return merged


_MEETING_GUIDE: Final = _load_meeting_guide()


def _build_concepts() -> dict[str, Concept]:
    concepts: dict[str, Concept] = {}
    for key, raw in _obj(_EXTRA["concepts"], "concepts").items():
        spec = _obj(raw, f"concepts.{key}")
        names = _str_map(spec["names"], f"concepts.{key}.names")
        aliases = _str_list(spec.get("aliases", []), f"concepts.{key}.aliases")
        concepts[key] = Concept(key, names, frozenset(fold(a) for a in aliases))
    lang_aliases = _obj(_EXTRA.get("language_aliases", {}), "language_aliases")
    for code, iso in LANGUAGE_TYPES.items():
        key = f"language:{iso}"
        names = dict(_MEETING_GUIDE[code])
        extra = _str_list(lang_aliases.get(iso, []), f"language_aliases.{iso}")
        words = {fold(a) for a in extra} | {fold(n) for n in names.values()}
        concepts[key] = Concept(key, names, frozenset(w for w in words if w))
    return concepts


def _parse_type(
    code: str, raw: object, where: str, built: Mapping[str, Mapping[str, MeetingType]]
) -> MeetingType:
    spec = _obj(raw, where)
    if "same_as" in spec:
        return built[str(spec["same_as"])][code]
    return MeetingType(
        code,
        _str_map(spec["names"], f"{where}.names"),
        frozenset(_str_list(spec.get("concepts", []), f"{where}.concepts")),
        frozenset(_str_list(spec.get("aliases", []), f"{where}.aliases")),
    )


def _build_aa(spec: dict[str, Any]) -> dict[str, MeetingType]:
    concept_map = _obj(spec.get("concepts", {}), "aa.concepts")
    alias_map = _obj(spec.get("aliases", {}), "aa.aliases")
    types: dict[str, MeetingType] = {}
    for code, names in _MEETING_GUIDE.items():
        concepts = set(_str_list(concept_map.get(code, []), f"aa.concepts.{code}"))
        if code in LANGUAGE_TYPES:
            concepts.add(f"language:{LANGUAGE_TYPES[code]}")
        aliases = _str_list(alias_map.get(code, []), f"aa.aliases.{code}")
        types[code] = MeetingType(code, dict(names), frozenset(concepts), frozenset(aliases))
    for code, raw in _obj(spec.get("types", {}), "aa.types").items():
        extra = _parse_type(code, raw, f"aa.types.{code}", {})
        mapped = _str_list(concept_map.get(code, []), f"aa.concepts.{code}")
        types[code] = MeetingType(code, extra.names, extra.concepts | set(mapped), extra.aliases)
    return types


def _build_catalogues() -> dict[str, dict[str, MeetingType]]:
    specs = _obj(_EXTRA["catalogues"], "catalogues")
    built: dict[str, dict[str, MeetingType]] = {}

    def build(key: str, stack: tuple[str, ...]) -> dict[str, MeetingType]:
        if key in built:
            return built[key]
        if key in stack:
            raise ValueError(f"types data: catalogue cycle {stack + (key,)}")
        spec = _obj(specs[key], f"catalogues.{key}")
        if key == "aa":
            built[key] = _build_aa(spec)
            return built[key]
        raw_types = _obj(spec.get("types", {}), f"catalogues.{key}.types")
        for raw in raw_types.values():
            same_as = _obj(raw, key).get("same_as")
            if same_as is not None:
                build(str(same_as), stack + (key,))
        # The catalogue's own types come first, so their names win name clashes with the base
        # (ACA's "Speaker" is S, not the generic SP).
        types: dict[str, MeetingType] = {
            code: _parse_type(code, raw, f"catalogues.{key}.types.{code}", built)
            for code, raw in raw_types.items()
        }
        if "base" in spec:
            for code, base_type in build(str(spec["base"]), stack + (key,)).items():
                types.setdefault(code, base_type)
        if spec.get("include_languages"):
            aa = build("aa", stack + (key,))
            for code in LANGUAGE_TYPES:
                types.setdefault(code, aa[code])
        built[key] = types
        return types

    for key in specs:
        build(key, ())
    return built


# --------------------------------------------------------------------------- registries

_CONCEPTS: dict[str, Concept] = _build_concepts()
#: Every shared concept by key. Read-only view; add with :func:`register_concept`.
CONCEPTS: Final[Mapping[str, Concept]] = MappingProxyType(_CONCEPTS)

_CATALOGUES: dict[str, Mapping[str, MeetingType]] = {
    key: MappingProxyType(types) for key, types in _build_catalogues().items()
}
#: Catalogues by key ("aa", "na", "generic", "al-anon", "aca", "ca", "da"…). Read-only view.
CATALOGUES: Final[Mapping[str, Mapping[str, MeetingType]]] = MappingProxyType(_CATALOGUES)

_FELLOWSHIPS: dict[str, Fellowship] = {}
#: Fellowships by key. Read-only view; add with :func:`register_fellowship`.
FELLOWSHIPS: Final[Mapping[str, Fellowship]] = MappingProxyType(_FELLOWSHIPS)


@dataclass
class _Index:
    by_code: dict[str, str]  # casefolded code → code
    by_name: dict[str, str]  # folded name / alias (any language) → code


_INDEXES: dict[str, _Index] = {}
_WORDS: dict[str, str] = {}  # folded word → concept key
_FELLOWSHIP_WORDS: dict[str, str] = {}  # folded name → fellowship key


def _index(catalogue_key: str) -> _Index:
    cached = _INDEXES.get(catalogue_key)
    if cached is not None:
        return cached
    types = _CATALOGUES[catalogue_key]
    by_code = {code.casefold(): code for code in types}
    by_name: dict[str, str] = {}
    # Precedence on clashes: English names, then other languages, then aliases.
    passes: list[list[tuple[str, str]]] = [
        [(t.names.get("en", ""), t.code) for t in types.values()],
        [(n, t.code) for t in types.values() for lang, n in t.names.items() if lang != "en"],
        [(a, t.code) for t in types.values() for a in sorted(t.aliases)],
    ]
    for entries in passes:
        for text, code in entries:
            folded = fold(text)
            if folded:
                by_name.setdefault(folded, code)
    index = _Index(by_code, by_name)
    _INDEXES[catalogue_key] = index
    return index


def _rebuild_words() -> None:
    _WORDS.clear()
    ordered = sorted(_CONCEPTS.values(), key=lambda c: c.key.startswith("language:"))
    for concept in ordered:  # explicit aliases first, non-language concepts first
        for alias in sorted(concept.aliases):
            _WORDS.setdefault(fold(alias), concept.key)
    for concept in ordered:
        for text in (concept.key, *concept.names.values()):
            folded = fold(text)
            if folded:
                _WORDS.setdefault(folded, concept.key)


def _rebuild_fellowship_words() -> None:
    _FELLOWSHIP_WORDS.clear()
    fellowships = list(_FELLOWSHIPS.values())
    passes = [
        [(f.key, f.key) for f in fellowships],
        [(n, f.key) for f in fellowships for n in f.names.values()],
        [(a, f.key) for f in fellowships for a in sorted(f.aliases)],
    ]
    for entries in passes:
        for text, key in entries:
            folded = fold(text)
            if folded:
                _FELLOWSHIP_WORDS.setdefault(folded, key)
                _FELLOWSHIP_WORDS.setdefault(folded.replace(" ", ""), key)


def _check_concepts(types: Mapping[str, MeetingType], where: str) -> None:
    for t in types.values():
        missing = t.concepts - _CONCEPTS.keys()
        if missing:
            raise ValueError(f"{where}: type {t.code} uses unknown concepts {sorted(missing)}")


def register_concept(concept: Concept) -> None:
    """Add or replace a concept. Aliases are folded on the way in."""
    aliases = frozenset(a for a in (fold(x) for x in concept.aliases) if a)
    _CONCEPTS[concept.key] = Concept(concept.key, dict(concept.names), aliases)
    _rebuild_words()


def register_catalogue(key: str, types: Mapping[str, MeetingType]) -> None:
    """Add or replace a catalogue. Every concept its types use must be registered."""
    _check_concepts(types, f"catalogue {key}")
    _CATALOGUES[key] = MappingProxyType(dict(types))
    _INDEXES.pop(key, None)


def register_fellowship(f: Fellowship) -> None:
    """Add or replace a fellowship. Its catalogue must be registered."""
    if f.catalogue not in _CATALOGUES:
        raise ValueError(f"fellowship {f.key}: unknown catalogue {f.catalogue!r}")
    _FELLOWSHIPS[f.key] = f
    _rebuild_fellowship_words()


_BUILTIN_FELLOWSHIPS: Final[tuple[tuple[str, str, str, str, tuple[str, ...]], ...]] = (
    # key, English, Spanish, catalogue, aliases
    ("aa", "Alcoholics Anonymous", "Alcohólicos Anónimos", "aa", ()),
    ("na", "Narcotics Anonymous", "Narcóticos Anónimos", "na", ()),
    ("ca", "Cocaine Anonymous", "Cocainómanos Anónimos", "ca", ("Cocaína Anónimos",)),
    (
        "al-anon",
        "Al-Anon/Alateen",
        "Al-Anon/Alateen",
        "al-anon",
        ("Al-Anon", "Alateen", "Al-Anon Family Groups", "Grupos de Familia Al-Anon"),
    ),
    ("coda", "Co-Dependents Anonymous", "Codependientes Anónimos", GENERIC_CATALOGUE, ()),
    ("oa", "Overeaters Anonymous", "Comedores Compulsivos Anónimos", GENERIC_CATALOGUE, ()),
    ("ga", "Gamblers Anonymous", "Jugadores Anónimos", GENERIC_CATALOGUE, ()),
    (
        "slaa",
        "Sex and Love Addicts Anonymous",
        "Adictos al Sexo y al Amor Anónimos",
        GENERIC_CATALOGUE,
        ("Sex & Love Addicts Anonymous",),
    ),
    ("ma", "Marijuana Anonymous", "Marihuana Anónimos", GENERIC_CATALOGUE, ()),
    ("cma", "Crystal Meth Anonymous", "Crystal Meth Anónimos", GENERIC_CATALOGUE, ()),
    (
        "aca",
        "Adult Children of Alcoholics",
        "Hijos Adultos de Alcohólicos",
        "aca",
        ("ACoA", "Adult Children of Alcoholics and Dysfunctional Families"),
    ),
    ("sa", "Sexaholics Anonymous", "Sexólicos Anónimos", GENERIC_CATALOGUE, ()),
    ("saa", "Sex Addicts Anonymous", "Adictos al Sexo Anónimos", GENERIC_CATALOGUE, ()),
    ("ha", "Heroin Anonymous", "Heroinómanos Anónimos", "na", ()),
    ("da", "Debtors Anonymous", "Deudores Anónimos", "da", ()),
)


def _register_builtins() -> None:
    for key, types in _CATALOGUES.items():
        _check_concepts(types, f"catalogue {key}")
    _rebuild_words()
    for key, en, es, catalogue, aliases in _BUILTIN_FELLOWSHIPS:
        register_fellowship(Fellowship(key, {"en": en, "es": es}, catalogue, frozenset(aliases)))


_register_builtins()


# --------------------------------------------------------------------------- lookups


def fellowship(key_or_name: str) -> Fellowship | None:
    """Find a fellowship by key, English/Spanish name or common spelling, ignoring case,
    accents and punctuation ("AA", "A.A.", "Alcohólicos Anónimos", "al anon")."""
    if key_or_name in _FELLOWSHIPS:
        return _FELLOWSHIPS[key_or_name]
    folded = fold(key_or_name)
    key = _FELLOWSHIP_WORDS.get(folded) or _FELLOWSHIP_WORDS.get(folded.replace(" ", ""))
    return _FELLOWSHIPS.get(key) if key else None


def _catalogue_key(fellowship_key: str) -> str:
    found = fellowship(fellowship_key)
    if found is not None:
        return found.catalogue
    if fellowship_key in _CATALOGUES:
        return fellowship_key
    return GENERIC_CATALOGUE


def catalogue_for(fellowship_key: str) -> Mapping[str, MeetingType]:
    """The type catalogue of a fellowship (key or name); a catalogue key is accepted too.
    Unknown fellowships get the generic catalogue."""
    return _CATALOGUES[_catalogue_key(fellowship_key)]


def concept_from_word(word: str) -> str | None:
    """The concept a user means by a word or short phrase, in English or Spanish (accents and
    case ignored): "Mujeres" → "women", "español" → "language:es", "LGBTQ+" → "lgbtq"."""
    if word in _CONCEPTS:
        return word
    folded = fold(word)
    if not folded:
        return None
    found = _WORDS.get(folded)
    if found is None and len(folded) > 3 and folded.endswith("s"):
        found = _WORDS.get(folded[:-1])
    return found


def codes_for_concept(fellowship_key: str, concept: str) -> frozenset[str]:
    """The codes of a fellowship's catalogue that carry a concept (a key, or a word for one)."""
    key = concept if concept in _CONCEPTS else concept_from_word(concept)
    if key is None:
        return frozenset()
    types = catalogue_for(fellowship_key)
    return frozenset(t.code for t in types.values() if key in t.concepts)


def _code_for_concept(catalogue_key: str, concept_key: str) -> str | None:
    """The one code that best stands for a concept in a catalogue, if there is one."""
    types = _CATALOGUES[catalogue_key]
    candidates = sorted(t.code for t in types.values() if concept_key in t.concepts)
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    concept = _CONCEPTS[concept_key]
    concept_en = fold(concept.names.get("en", ""))
    best = [
        c
        for c in candidates
        if c.casefold() == concept_key or fold(types[c].names.get("en", "")) == concept_en
    ]
    if len(best) == 1:
        return best[0]
    best = [
        c
        for c in candidates
        if fold(c) in concept.aliases or fold(types[c].names.get("en", "")) in concept.aliases
    ]
    return best[0] if len(best) == 1 else None


def resolve_type(fellowship_key: str, token: str) -> str | None:
    """The canonical code for a code (any case) or a type name in any language of the
    fellowship's catalogue ("wheelchair access" → "X", "Mujeres" → "W"). As a last resort a word
    for a concept resolves to the catalogue's one code for it ("womens" → "W")."""
    text = token.strip()
    if not text:
        return None
    catalogue_key = _catalogue_key(fellowship_key)
    index = _index(catalogue_key)
    code = index.by_code.get(text.casefold())
    if code is not None:
        return code
    folded = fold(text)
    code = index.by_name.get(folded) or index.by_code.get(folded.replace(" ", "-"))
    if code is not None:
        return code
    concept = concept_from_word(text)
    return _code_for_concept(catalogue_key, concept) if concept else None


def type_name(fellowship_key: str, code: str, lang: str = "en") -> str:
    """A code's name in ``lang`` (falling back to English, then to the code itself)."""
    types = catalogue_for(fellowship_key)
    found = types.get(code)
    if found is None:
        canonical = _index(_catalogue_key(fellowship_key)).by_code.get(code.casefold())
        found = types.get(canonical) if canonical else None
    return found.name(lang) if found is not None else code


def concept_name(concept: str, lang: str = "en") -> str:
    """A concept's name in ``lang`` (falling back to English, then to the key)."""
    found = _CONCEPTS.get(concept)
    return found.name(lang) if found is not None else concept


def concepts_for(fellowship_key: str, codes: Iterable[str]) -> frozenset[str]:
    """The shared concepts of a meeting's type codes (unknown codes contribute nothing)."""
    types = catalogue_for(fellowship_key)
    result: set[str] = set()
    for token in codes:
        code = resolve_type(fellowship_key, token)
        if code is not None:
            result |= types[code].concepts
    return frozenset(result)


def normalize_types(fellowship_key: str, codes: Iterable[str]) -> tuple[str, ...]:
    """Canonical, de-duplicated, sorted codes; unknown ones are dropped (see
    :func:`unknown_types`). A meeting marked both Open and Closed is Closed."""
    types = catalogue_for(fellowship_key)
    found = {c for c in (resolve_type(fellowship_key, t) for t in codes) if c is not None}
    if any("closed" in types[c].concepts for c in found):
        found = {c for c in found if "open" not in types[c].concepts}
    return tuple(sorted(found))


def unknown_types(fellowship_key: str, codes: Iterable[str]) -> tuple[str, ...]:
    """The tokens (stripped, first-seen order, no repeats) that :func:`resolve_type` rejects."""
    unknown: dict[str, None] = {}
    for token in codes:
        text = token.strip()
        if text and resolve_type(fellowship_key, text) is None:
            unknown[text] = None
    return tuple(unknown)


def drop_in_person_only(codes: Iterable[str]) -> tuple[str, ...]:
    """``codes`` without :data:`IN_PERSON_ONLY_TYPES` (for meetings that are not in person)."""
    return tuple(c for c in codes if c not in IN_PERSON_ONLY_TYPES)
