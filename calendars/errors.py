"""Errors raised by importers, the fetcher and the feed store.

Each carries an i18n key and parameters (see core.errors) so the chat layer can translate it;
``str()`` is a plain English sentence that names the row, event or line where possible.
"""

from __future__ import annotations

from typing import Any

from core.errors import StepbotError, ValidationError


class InvalidImport(ValidationError):
    """The file as a whole cannot be imported (not the format, truncated, nothing usable).

    ``where`` names the row / event / line ("row 7", "line 12", "event 'Serenity' (UID x)").
    """

    key = "error.import_invalid"

    def __init__(
        self,
        message: str,
        *,
        where: str | None = None,
        fmt: str | None = None,
        key: str | None = None,
        **params: Any,
    ) -> None:
        text = f"{where}: {message}" if where else message
        super().__init__("import", text, key=key, where=where, format=fmt, reason=message, **params)


class SkipRecord(Exception):
    """One record (row, meeting, event) is left out of an import; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FetchError(StepbotError):
    """A URL could not be fetched safely (refused address, too big, too many redirects…)."""

    key = "error.fetch_failed"


class FeedError(StepbotError):
    """A feed definition is invalid or unknown."""

    key = "error.feed_invalid"
