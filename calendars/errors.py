"""Errors raised by importers, the fetcher and the feed store.

Each carries an i18n key and parameters (see core.errors) so the chat layer can translate it;
``str()`` is a plain English sentence that names the row, event or line where possible.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from core.errors import StepbotError, ValidationError

P = ParamSpec("P")
R = TypeVar("R")

# What a parser or a converter can raise on input it did not foresee (a library refusing a
# value, a date past year 9999, a recursion limit). Importers turn these into InvalidImport
# (the file) or SkipRecord (one record): a user never sees a traceback for a file's content.
UNREADABLE: tuple[type[Exception], ...] = (
    ValueError,  # also UnicodeError, json.JSONDecodeError, the 4,300-digit int limit
    TypeError,
    LookupError,  # KeyError, IndexError
    AttributeError,
    ArithmeticError,  # OverflowError
    RecursionError,
    OSError,  # zoneinfo looking up an absurd file name
    csv.Error,
)


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


def unreadable_reason(exc: BaseException) -> str:
    detail = str(exc).strip()
    detail = detail if len(detail) <= 120 else detail[:120] + "…"
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def guarded(fmt: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate an importer's parse function: anything but a user-facing error raised while
    reading the file becomes InvalidImport ("not a readable … file"), never a traceback."""

    def wrap(parse: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(parse)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return parse(*args, **kwargs)
            except StepbotError:
                raise
            except UNREADABLE as exc:
                raise InvalidImport(
                    f"not a readable {fmt} file ({unreadable_reason(exc)})", fmt=fmt
                ) from exc

        return run

    return wrap
