"""Translations. Every user-facing string goes through `translate(key, lang, **params)`.

Catalogues are TOML files in a folder per language (core/i18n/en/*.toml, core/i18n/es/*.toml),
one file per feature; tables nest keys, so `[search] none = "…"` is the key `search.none`.
Placeholders use str.format syntax. To add a language, copy the en/ folder to xx/, translate
every value, and add "xx" to LANGUAGES and LANGUAGE_NAMES; a test checks keys and placeholders.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES: tuple[str, ...] = ("en", "es")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, full + "."))
        else:
            flat[full] = str(value)
    return flat


@cache
def catalogue(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    folder = resources.files("core.i18n").joinpath(lang)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        for key, value in _flatten(tomllib.loads(entry.read_text("utf-8"))).items():
            if key in merged:
                raise RuntimeError(f"i18n key {key!r} defined twice in {lang}/")
            merged[key] = value
    return merged


def placeholders(text: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def normalize_language(value: str | None) -> str | None:
    """'es-ES', 'es_MX', 'ES' → 'es'; unsupported → None."""
    if not value:
        return None
    code = value.replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def translate(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The text for `key` in `lang` (falling back to English, then the key itself)."""
    text = catalogue(lang).get(key) if lang in LANGUAGES else None
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE).get(key, key)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


class Translator:
    """`t = Translator("es"); t("help.title")`."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, /, **params: Any) -> str:
        return translate(key, self.lang, **params)

    def has(self, key: str) -> bool:
        return key in catalogue(self.lang)
