"""Reflection packs: one short reflection per calendar day (366, including 29 February), each
tied to the step of the month, plus the Twelve Steps in original and neutral wording.

A pack is a directory (a `pack.toml` manifest and one folder per language holding TOML or
JSON files of `[[reflection]]` tables) or a single TOML/JSON file; core/content/README.md
documents both. `load_pack` validates everything and reports every problem at once, so an
operator fixing a pack sees the whole list, not one error per run.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from core.errors import NotFoundError, StepbotError

DATA_SUFFIXES = (".toml", ".json")
REFLECTION_KEYS = frozenset({"day", "step", "title", "body", "question", "lang", "language"})
REQUIRED_TEXT = ("title", "body", "question")
MAX_LISTED = 12  # runs of missing days listed before "… and N more"


def _all_days() -> tuple[str, ...]:
    """Every "MM-DD" of a leap year, in calendar order."""
    days = []
    for ordinal in range(date(2024, 1, 1).toordinal(), date(2024, 12, 31).toordinal() + 1):
        d = date.fromordinal(ordinal)
        days.append(f"{d.month:02d}-{d.day:02d}")
    return tuple(days)


ALL_DAYS: tuple[str, ...] = _all_days()
_DAY_SET = frozenset(ALL_DAYS)


def _day_ranges(days: list[str]) -> str:
    """Ranges of consecutive "MM-DD" days, e.g. "01-01, 03-01–04-30", for a sorted list."""
    index = {d: i for i, d in enumerate(ALL_DAYS)}
    runs: list[list[str]] = []
    for day in days:
        if runs and index[day] == index[runs[-1][-1]] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = [r[0] if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs]
    more = f" … and {len(parts) - MAX_LISTED} more" if len(parts) > MAX_LISTED else ""
    return ", ".join(parts[:MAX_LISTED]) + more


class PackError(StepbotError):
    """A reflection pack is unreadable or invalid; `problems` lists every issue found."""

    key = "error.pack_invalid"

    def __init__(self, where: str, problems: list[str]) -> None:
        shown = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid reflection pack {where}:\n{shown}", where=where)
        self.where = where
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Reflection:
    """The reflection for one calendar day in one language."""

    day: str  # "MM-DD"
    step: int
    title: str
    body: str
    question: str
    language: str
    source: str

    @property
    def month(self) -> int:
        return int(self.day[:2])

    def on(self, year: int) -> date:
        """The date this reflection is for in `year` (29 Feb only exists in leap years)."""
        return date(year, self.month, int(self.day[3:]))


@dataclass(frozen=True, slots=True)
class Step:
    """One of the Twelve Steps in one language; `neutral` marks our fellowship-neutral
    adaptation (e.g. "our addiction" instead of "alcohol")."""

    number: int
    text: str
    language: str
    neutral: bool
    source: str


@dataclass(frozen=True, slots=True)
class StepTexts:
    number: int
    original: Mapping[str, str]
    neutral: Mapping[str, str]


@dataclass(frozen=True)
class Pack:
    """A validated pack. Look-ups fall back to the first language of the pack."""

    name: str
    source: str
    licence: str
    languages: tuple[str, ...]
    reflections: Mapping[str, Mapping[str, Reflection]]  # language → "MM-DD" → reflection
    steps: Mapping[int, StepTexts] = field(default_factory=dict)
    step_sources: Mapping[str, str] = field(default_factory=dict)  # language → credit
    location: str = ""

    def language_for(self, lang: str | None) -> str:
        if lang and lang in self.languages:
            return lang
        if lang and "-" in lang and lang.split("-")[0] in self.languages:
            return lang.split("-")[0]
        return self.languages[0]

    def reflection_for(self, d: date, lang: str | None = None) -> Reflection:
        """The reflection for calendar date `d` (29 Feb is used only in leap years)."""
        by_day = self.reflections[self.language_for(lang)]
        return by_day[f"{d.month:02d}-{d.day:02d}"]

    def step(self, number: int, lang: str | None = None, neutral: bool = False) -> Step:
        texts = self.steps.get(number)
        if texts is None:
            raise NotFoundError(f"no step {number}", key="error.step_unknown", number=number)
        language = self.language_for(lang)
        if language not in texts.original:  # steps may cover fewer languages than reflections
            language = next(iter(texts.original))
        wording = texts.neutral if neutral else texts.original
        text = wording.get(language) or texts.original[language]
        return Step(number, text, language, neutral, self.step_sources.get(language, ""))

    def all_steps(self, lang: str | None = None, neutral: bool = False) -> list[Step]:
        return [self.step(n, lang, neutral) for n in sorted(self.steps)]

    def days(self, lang: str | None = None) -> Iterator[Reflection]:
        by_day = self.reflections[self.language_for(lang)]
        return (by_day[d] for d in ALL_DAYS)


def step_of_month(month: int) -> int:
    """January is Step 1 … December is Step 12."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} out of range")
    return month


# ----------------------------------------------------------------------------------------------
# Loading


def _read_data(node: Traversable | Path, label: str, problems: list[str]) -> dict[str, Any] | None:
    try:
        text = node.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{label}: cannot read ({exc})")
        return None
    try:
        if node.name.endswith(".json"):
            data = json.loads(text)
        else:
            data = tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        problems.append(
            f"{label}: not valid {'JSON' if node.name.endswith('.json') else 'TOML'} ({exc})"
        )
        return None
    if not isinstance(data, dict):
        problems.append(f"{label}: the top level must be a table/object")
        return None
    return data


def _entries(data: Mapping[str, Any], singular: str, label: str, problems: list[str]) -> list[Any]:
    value = data.get(singular, data.get(singular + "s", []))
    if not isinstance(value, list):
        problems.append(f"{label}: '{singular}' must be a list of tables")
        return []
    return value


class _Builder:
    """Collects reflections and steps from any number of files, then validates the whole."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[str] = []
        self.manifest: dict[str, Any] = {}
        self.found: dict[str, dict[str, tuple[dict[str, Any], str]]] = {}
        self.step_data: dict[str, Any] | None = None
        self.step_label = ""

    def add_reflections(self, entries: Iterable[Any], label: str, lang: str | None) -> None:
        for index, entry in enumerate(entries, start=1):
            where = f"{label}: reflection #{index}"
            if not isinstance(entry, dict):
                self.problems.append(f"{where}: must be a table/object")
                continue
            day = entry.get("day")
            if isinstance(day, str):
                where += f" (day {day})"
            entry_lang = entry.get("lang", entry.get("language"))
            if lang is not None and entry_lang is not None and entry_lang != lang:
                self.problems.append(f"{where}: language {entry_lang!r} inside the {lang!r} folder")
                continue
            language = lang if lang is not None else entry_lang
            if not isinstance(language, str) or not language:
                self.problems.append(f'{where}: no language (add lang = "en" or similar)')
                continue
            if not isinstance(day, str) or day not in _DAY_SET:
                self.problems.append(
                    f"{where}: 'day' must be \"MM-DD\" (a real calendar day, "
                    f"02-29 included), got {day!r}"
                )
                continue
            by_day = self.found.setdefault(language, {})
            if day in by_day:
                self.problems.append(f"{where}: day {day} already given in {by_day[day][1]}")
                continue
            by_day[day] = (entry, label)

    def build(self) -> Pack:
        m = self.manifest
        name, source, licence = m.get("name"), m.get("source"), m.get("licence", m.get("license"))
        for key, value in (("name", name), ("source", source)):
            if not isinstance(value, str) or not value.strip():
                self.problems.append(f"manifest: '{key}' must be a non-empty string")
        if licence is not None and not isinstance(licence, str):
            self.problems.append("manifest: 'licence' must be a string")
        languages = m.get("languages")
        if languages is None:
            languages = sorted(self.found)
        if (
            not isinstance(languages, list)
            or not languages
            or not all(isinstance(x, str) and x for x in languages)
        ):
            self.problems.append(
                'manifest: \'languages\' must be a non-empty list such as ["en", "es"]'
            )
            languages = sorted(self.found)
        for extra in sorted(set(self.found) - set(languages)):
            self.problems.append(
                f"language {extra!r} has reflections but is not listed in 'languages' {languages}"
            )
        credit = str(source or "").strip()
        reflections: dict[str, dict[str, Reflection]] = {}
        for language in languages:
            reflections[language] = self._language(language, credit)
        self._consistent_steps(reflections)
        steps, step_sources = self._steps(languages)
        if self.problems:
            raise PackError(self.where, self.problems)
        return Pack(
            name=str(name).strip(),
            source=credit,
            licence=str(licence or "").strip(),
            languages=tuple(languages),
            reflections=reflections,
            steps=steps,
            step_sources=step_sources,
            location=self.where,
        )

    def _language(self, language: str, credit: str) -> dict[str, Reflection]:
        by_day = self.found.get(language, {})
        missing = [d for d in ALL_DAYS if d not in by_day]
        if missing:
            self.problems.append(
                f"{language}: {len(missing)} of 366 days missing: {_day_ranges(missing)}"
            )
        out: dict[str, Reflection] = {}
        for day, (entry, label) in by_day.items():
            where = f"{label}: reflection for {day}"
            unknown = sorted(set(entry) - REFLECTION_KEYS)
            if unknown:
                self.problems.append(f"{where}: unknown key(s) {', '.join(unknown)}")
            texts: dict[str, str] = {}
            for key in REQUIRED_TEXT:
                value = entry.get(key)
                if not isinstance(value, str) or not value.strip():
                    self.problems.append(f"{where}: '{key}' is missing or empty")
                else:
                    texts[key] = value.strip()
            step = entry.get("step", int(day[:2]))
            if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= 12:
                self.problems.append(f"{where}: 'step' must be a whole number 1–12, got {step!r}")
                continue
            if len(texts) == len(REQUIRED_TEXT):
                out[day] = Reflection(
                    day, step, texts["title"], texts["body"], texts["question"], language, credit
                )
        return out

    def _consistent_steps(self, reflections: Mapping[str, Mapping[str, Reflection]]) -> None:
        languages = list(reflections)
        if len(languages) < 2:
            return
        first = reflections[languages[0]]
        for other in languages[1:]:
            for day, refl in reflections[other].items():
                base = first.get(day)
                if base is not None and base.step != refl.step:
                    self.problems.append(
                        f"{other}: day {day} is about step {refl.step} but {languages[0]} says "
                        f"step {base.step}"
                    )

    def _steps(self, languages: list[str]) -> tuple[dict[int, StepTexts], dict[str, str]]:
        data = self.step_data
        label = self.step_label or "steps"
        if data is None:
            return {}, {}
        entries = _entries(data, "step", label, self.problems)
        steps: dict[int, StepTexts] = {}
        for index, entry in enumerate(entries, start=1):
            if not isinstance(entry, dict):
                self.problems.append(f"{label}: step #{index} must be a table/object")
                continue
            number = entry.get("number")
            if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 12:
                self.problems.append(f"{label}: step #{index}: 'number' must be 1–12")
                continue
            if number in steps:
                self.problems.append(f"{label}: step {number} given twice")
                continue
            original: dict[str, str] = {}
            neutral: dict[str, str] = {}
            for language in languages:
                text = entry.get(f"original_{language}")
                if not isinstance(text, str) or not text.strip():
                    self.problems.append(
                        f"{label}: step {number}: 'original_{language}' is missing or empty"
                    )
                    continue
                original[language] = text.strip()
                adapted = entry.get(f"neutral_{language}")
                if adapted is not None and (not isinstance(adapted, str) or not adapted.strip()):
                    self.problems.append(f"{label}: step {number}: 'neutral_{language}' is empty")
                neutral[language] = (adapted or text).strip()
            steps[number] = StepTexts(number, original, neutral)
        missing = [n for n in range(1, 13) if n not in steps]
        if entries and missing:
            self.problems.append(f"{label}: steps missing: {', '.join(map(str, missing))}")
        sources = {lang: str(data.get(f"source_{lang}", "")).strip() for lang in languages}
        return steps, sources


def _load_directory(root: Traversable | Path, where: str, *, default_steps: bool) -> Pack:
    builder = _Builder(where)
    manifest_node = root.joinpath("pack.toml")
    if not manifest_node.is_file():
        manifest_node = root.joinpath("pack.json")
    if manifest_node.is_file():
        builder.manifest = _read_data(manifest_node, manifest_node.name, builder.problems) or {}
    else:
        builder.problems.append("pack.toml (the manifest: name, source, languages) is missing")
    langs = builder.manifest.get("languages")
    folders = [c for c in root.iterdir() if c.is_dir() and not c.name.startswith((".", "_"))]
    for folder in sorted(folders, key=lambda c: c.name):
        if isinstance(langs, list) and folder.name not in langs:
            if any(f.name.endswith(DATA_SUFFIXES) for f in folder.iterdir()):
                builder.problems.append(
                    f"{folder.name}/: folder for a language not listed in 'languages' {langs}"
                )
            continue
        files = sorted(
            (f for f in folder.iterdir() if f.is_file() and f.name.endswith(DATA_SUFFIXES)),
            key=lambda f: f.name,
        )
        for node in files:
            label = f"{folder.name}/{node.name}"
            data = _read_data(node, label, builder.problems)
            if data is not None:
                builder.add_reflections(
                    _entries(data, "reflection", label, builder.problems), label, folder.name
                )
    steps_ref = builder.manifest.get("steps")
    steps_node: Traversable | Path | None = None
    if isinstance(steps_ref, str) and steps_ref:
        steps_node = _relative(root, steps_ref)
        if steps_node is None or not steps_node.is_file():
            builder.problems.append(f"manifest: steps file {steps_ref!r} not found")
            steps_node = None
    elif root.joinpath("steps.toml").is_file():
        steps_node = root.joinpath("steps.toml")
    if steps_node is not None:
        builder.step_label = steps_ref if isinstance(steps_ref, str) else "steps.toml"
        builder.step_data = _read_data(steps_node, builder.step_label, builder.problems)
    pack = builder.build()
    return _with_default_steps(pack) if default_steps and not pack.steps else pack


def _relative(root: Traversable | Path, ref: str) -> Traversable | Path | None:
    if isinstance(root, Path):
        return (root / ref).resolve()
    node: Traversable = root
    parts = [p for p in ref.split("/") if p and p != "."]
    if parts and parts[0] == "..":  # packaged resources: only the content root's parent
        parts = parts[1:]
        node = resources.files("core.content")
    for part in parts:
        node = node.joinpath(part)
    return node


def _load_file(path: Path) -> Pack:
    builder = _Builder(str(path))
    data = _read_data(path, path.name, builder.problems)
    if data is None:
        raise PackError(str(path), builder.problems)
    builder.manifest = {
        k: v for k, v in data.items() if k not in ("reflection", "reflections", "step", "steps")
    }
    builder.add_reflections(
        _entries(data, "reflection", path.name, builder.problems), path.name, None
    )
    if "step" in data or "steps" in data:
        builder.step_data = data
        builder.step_label = path.name
    pack = builder.build()
    return pack if pack.steps else _with_default_steps(pack)


def _with_default_steps(pack: Pack) -> Pack:
    """Operator packs may omit the steps; they then use the shipped ones."""
    steps, sources = builtin_steps()
    return Pack(
        pack.name,
        pack.source,
        pack.licence,
        pack.languages,
        pack.reflections,
        steps,
        sources,
        pack.location,
    )


@cache
def builtin_steps() -> tuple[Mapping[int, StepTexts], Mapping[str, str]]:
    """The shipped Twelve Steps (core/content/steps.toml), usable even if a pack is not."""
    builder = _Builder("core/content/steps.toml")
    node = resources.files("core.content").joinpath("steps.toml")
    builder.step_data = _read_data(node, "steps.toml", builder.problems)
    builder.step_label = "steps.toml"
    steps, sources = builder._steps(["en", "es"])
    if builder.problems:
        raise PackError(builder.where, builder.problems)
    return steps, sources


def load_pack(path: str | Path) -> Pack:
    """Load and validate a pack directory or single TOML/JSON file; raises PackError."""
    target = Path(path).expanduser()
    if target.is_dir():
        return _load_directory(target, str(target), default_steps=True)
    if target.is_file():
        if not target.name.endswith(DATA_SUFFIXES):
            raise PackError(str(target), ["a pack file must end in .toml or .json"])
        return _load_file(target)
    raise PackError(str(target), ["no such file or directory"])


def check_pack(path: str | Path) -> list[str]:
    """Every problem with the pack at `path` (empty when it is valid)."""
    try:
        load_pack(path)
    except PackError as exc:
        return exc.problems
    return []


@cache
def builtin_pack() -> Pack:
    """The pack shipped in core/content/reflections (cached; raises PackError if incomplete)."""
    root = resources.files("core.content").joinpath("reflections")
    return _load_directory(root, "core/content/reflections", default_steps=False)


def pack_from_config(raw: Mapping[str, Any], config_dir: Path | None = None) -> Pack:
    """`[reflections] pack = "PATH"` in config.toml (relative to the config file), else the
    shipped pack."""
    section = raw.get("reflections", {})
    value = section.get("pack") if isinstance(section, Mapping) else None
    if not value:
        return builtin_pack()
    path = Path(str(value)).expanduser()
    if not path.is_absolute() and config_dir is not None:
        path = config_dir / path
    return load_pack(path)


# Module-level shortcuts over the shipped pack.


def reflection_for(d: date, lang: str | None = None) -> Reflection:
    return builtin_pack().reflection_for(d, lang)


def _steps_only() -> Pack:
    steps, sources = builtin_steps()
    return Pack("steps", "", "", ("en", "es"), {}, steps, sources)


def step(number: int, lang: str | None = None, neutral: bool = False) -> Step:
    return _steps_only().step(number, lang, neutral)


def all_steps(lang: str | None = None, neutral: bool = False) -> list[Step]:
    return _steps_only().all_steps(lang, neutral)
