"""Errors a user can cause. Each carries an i18n key and parameters so every adapter can
show it translated; `str()` gives a plain English rendering for logs and the CLI."""

from __future__ import annotations

from typing import Any


class StepbotError(Exception):
    """Base class for user-facing errors (bad input, missing permission, not found)."""

    key: str = "error.generic"

    def __init__(self, message: str, *, key: str | None = None, **params: Any) -> None:
        super().__init__(message)
        if key is not None:
            self.key = key
        self.params: dict[str, Any] = params


class ValidationError(StepbotError):
    """A value is invalid; `field` names which one."""

    key = "error.invalid"

    def __init__(self, field: str, message: str, *, key: str | None = None, **params: Any) -> None:
        super().__init__(f"{field}: {message}", key=key, field=field, **params)
        self.field = field
        self.detail = message


class NotFoundError(StepbotError):
    key = "error.not_found"


class PermissionDenied(StepbotError):
    key = "error.permission"
