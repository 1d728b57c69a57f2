"""What a directory publishes about a meeting besides its schedule and place.

Meeting Guide's optional fields: where to report a change (``feedback_url``,
``feedback_emails``, ``edit_url``), the group's own notes, 7th-tradition links (``venmo``,
``paypal``, ``square``), ``homegroup_online``, the service entity behind the listing
(intergroup, area, region) and the member contacts (``contact_N_name/email/phone``).

Member contacts are people: they are kept so an export can write them back, but cards show
them only where a community's admins allowed it (anonymity is the default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Any

MAX_CONTACTS = 3  # contact_1_* … contact_3_* in Meeting Guide
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


def is_email(value: str) -> bool:
    return bool(_EMAIL.fullmatch(value.strip()))


@dataclass(frozen=True, slots=True)
class ServiceEntity:
    """The service body that publishes the listing (``entity_*``)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    url: str | None = None
    location: str | None = None
    logo: str | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True, slots=True)
class Contact:
    """A member who agreed to be a contact of the group (first names only, per the spec)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None

    def __bool__(self) -> bool:
        return bool(self.name or self.email or self.phone)


@dataclass(frozen=True, slots=True)
class MeetingInfo:
    feedback_url: str | None = None
    feedback_emails: tuple[str, ...] = ()
    edit_url: str | None = None
    group_notes: str | None = None
    venmo: str | None = None
    paypal: str | None = None
    square: str | None = None
    homegroup_online: str | None = None
    entity: ServiceEntity = field(default_factory=ServiceEntity)
    contacts: tuple[Contact, ...] = ()

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    @property
    def can_take_reports(self) -> bool:
        """The publisher named somewhere to send corrections."""
        return bool(self.feedback_url or self.feedback_emails or self.edit_url)

    @property
    def contributions(self) -> list[tuple[str, str]]:
        """7th-tradition ways to give: [("Venmo", "@Handle"), ("PayPal", url), …]."""
        pairs = (("Venmo", self.venmo), ("PayPal", self.paypal), ("Square", self.square))
        return [(label, value) for label, value in pairs if value]


NO_INFO = MeetingInfo()


def info_to_dict(info: MeetingInfo) -> dict[str, Any]:
    """Compact JSON-able form (empty values left out)."""
    data: dict[str, Any] = {}
    for f in fields(info):
        value = getattr(info, f.name)
        if not value:
            continue
        if f.name == "entity":
            data["entity"] = {k.name: v for k in fields(value) if (v := getattr(value, k.name))}
        elif f.name == "contacts":
            data["contacts"] = [
                {k.name: v for k in fields(c) if (v := getattr(c, k.name))} for c in value
            ]
        elif f.name == "feedback_emails":
            data[f.name] = list(value)
        else:
            data[f.name] = value
    return data


def info_from_dict(data: dict[str, Any] | None) -> MeetingInfo:
    if not data:
        return NO_INFO
    values = dict(data)
    values["entity"] = ServiceEntity(**values.get("entity", {}))
    values["contacts"] = tuple(Contact(**c) for c in values.get("contacts", ()))
    values["feedback_emails"] = tuple(values.get("feedback_emails", ()))
    return MeetingInfo(**values)
