"""Per-request context: who is asking, in which language and time zone, and the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.conversation.request import Request
from core.i18n import DEFAULT_LANGUAGE, Translator, normalize_language
from core.replies import Reply
from core.services import Services
from core.store.settings import CommunitySettings, UserSettings


@dataclass
class Context:
    request: Request
    services: Services
    user: UserSettings
    community: CommunitySettings
    lang: str
    t: Translator

    @classmethod
    async def build(cls, request: Request, services: Services) -> Context:
        user = await services.settings.user(request.platform, request.user_id)
        community = (
            await services.settings.community(request.community)
            if request.community
            else CommunitySettings()
        )
        # The member's choice, else the community's, else the platform locale, else English.
        lang = (
            normalize_language(user.language)
            or normalize_language(community.language)
            or normalize_language(request.locale)
            or normalize_language(services.config.default_language)
            or DEFAULT_LANGUAGE
        )
        return cls(request, services, user, community, lang, Translator(lang))

    @property
    def viewer_tz(self) -> str:
        return (self.request.timezone or self.user.timezone or self.community.timezone
                or self.services.config.default_timezone)

    @property
    def has_personal_zone(self) -> bool:
        return self.user.timezone is not None or self.request.timezone is not None

    def reply(self, *blocks: str, **kwargs: Any) -> Reply:
        return Reply(lang=self.lang, blocks=list(blocks), **kwargs)

    def continue_in_private(self) -> Reply:
        """Something personal was asked in a community: offer a private chat instead."""
        return Reply(lang=self.lang, blocks=[self.t("privacy.continue_in_private")],
                     continue_in_private=True, private=True)

    def error(self, key: str, **params: Any) -> Reply:
        return Reply(lang=self.lang, blocks=[self.t(key, **params)], error=True,
                     private=True)

    def now(self) -> datetime:
        return self.services.clock.now()
