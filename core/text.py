"""Text folding for matching what people type: lower case, accents removed ("Español" →
"español" → "espanol"). core.types has a stronger fold that also drops punctuation, for
type and fellowship names."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
