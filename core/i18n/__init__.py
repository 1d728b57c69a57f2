"""Translations. Every user-facing string goes through `translate(key, lang, **params)`.

Catalogues are TOML files next to this module (en.toml, es.toml); tables nest keys, so
`[meetings] none = "…"` is the key `meetings.none`. Placeholders use str.format syntax.
To add a language, copy en.toml to xx.toml, translate every value, and add "xx" to LANGUAGES.
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
    text = resources.files("core.i18n").joinpath(f"{lang}.toml").read_text("utf-8")
    return _flatten(tomllib.loads(text))


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
