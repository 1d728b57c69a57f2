"""The Telegram adapter as a runner Component: `build_adapter(services, token)`.

Long polling by default. Webhook mode (config `[telegram] mode = "webhook"`) serves the
updates on a small aiohttp endpoint behind your HTTPS proxy, checking Telegram's secret-token
header (env TELEGRAM_WEBHOOK_SECRET, or a random one per start). `base_url` points the bot at a
self-hosted Bot API server — or at the tests' fake.

[telegram] keys: base_url, base_file_url, mode (polling|webhook), webhook_url, webhook_listen,
webhook_port. Rate limiting: PTB's AIORateLimiter with [delivery.rate_limits.telegram].
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from bots.telegram.commands import sync_commands
from bots.telegram.handlers import TelegramHandlers
from bots.telegram.transport import TelegramTransport
from core.config import RateLimits
from core.conversation.outbound import OutboundComposer
from core.errors import ValidationError
from core.services import Services

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_BASE_FILE_URL = "https://api.telegram.org/file/bot"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
SECRET_ENV = "TELEGRAM_WEBHOOK_SECRET"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
CONCURRENT_UPDATES = 16


def _bot_url(url: str) -> str:
    """PTB appends the token to base_url: accept 'https://host' as well as 'https://host/bot'."""
    url = url.rstrip("/")
    return url if url.endswith("/bot") else f"{url}/bot"


@dataclass(frozen=True)
class TelegramSettings:
    base_url: str = DEFAULT_BASE_URL
    base_file_url: str = DEFAULT_BASE_FILE_URL
    mode: str = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = None

    @classmethod
    def from_config(
        cls, raw: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> TelegramSettings:
        env = os.environ if environ is None else environ
        mode = str(raw.get("mode", "polling")).lower()
        if mode not in ("polling", "webhook"):
            raise ValidationError("telegram.mode", f"must be polling or webhook, not {mode!r}")
        base_url = _bot_url(str(raw.get("base_url") or DEFAULT_BASE_URL))
        default_files = (
            DEFAULT_BASE_FILE_URL
            if base_url == DEFAULT_BASE_URL
            else base_url[: -len("/bot")] + "/file/bot"
        )
        base_file_url = str(raw.get("base_file_url") or default_files).rstrip("/")
        webhook_url = raw.get("webhook_url") or None
        if mode == "webhook" and not webhook_url:
            raise ValidationError("telegram.webhook_url", "webhook mode needs webhook_url")
        secret = env.get(SECRET_ENV) or None
        if secret is not None and not _SECRET_RE.match(secret):
            raise ValidationError(SECRET_ENV, "use 1-256 characters from A-Z a-z 0-9 _ -")
        return cls(
            base_url=base_url,
            base_file_url=base_file_url,
            mode=mode,
            webhook_url=str(webhook_url) if webhook_url else None,
            webhook_listen=str(raw.get("webhook_listen", "127.0.0.1")),
            webhook_port=int(raw.get("webhook_port", 8443)),
            webhook_secret=secret,
        )


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO — and Bot API URLs contain the token; PTB logs
    its URLs and every request's parameters (message texts) at DEBUG. Keep both above."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)
    ptb = logging.getLogger("telegram")
    if ptb.getEffectiveLevel() < logging.INFO:
        ptb.setLevel(logging.INFO)


def rate_limiter(limits: RateLimits) -> AIORateLimiter:
    """PTB's limiter with the core's limits (per-chat pacing of broadcasts is the delivery
    engine's); a 429 is not retried here but reported, so the caller can back off."""
    return AIORateLimiter(
        overall_max_rate=limits.overall_per_second,
        overall_time_period=1 if limits.overall_per_second > 0 else 0,
        group_max_rate=limits.per_group_per_minute,
        group_time_period=60 if limits.per_group_per_minute > 0 else 0,
        max_retries=0,
    )


def build_application(
    token: str, settings: TelegramSettings, limits: RateLimits
) -> Application[Any, Any, Any, Any, Any, Any]:
    quiet_http_logs()  # before the Bot exists: it logs its URLs (with the token) at DEBUG
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .rate_limiter(rate_limiter(limits))
        .concurrent_updates(CONCURRENT_UPDATES)
    )
    if settings.mode == "webhook":
        builder = builder.updater(None)
    return builder.build()


def register_handlers(
    application: Application[Any, Any, Any, Any, Any, Any], handlers: TelegramHandlers
) -> None:
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, handlers.on_message))
    application.add_handler(CallbackQueryHandler(handlers.on_callback))
    application.add_handler(
        ChatMemberHandler(handlers.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_error_handler(handlers.on_error)


class WebhookServer:
    """Receives Telegram's POSTs on `path` and queues them for the Application."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        path: str,
        secret: str,
        listen: str,
        port: int,
    ) -> None:
        self.application = application
        self.path = path
        self.secret = secret
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_post(self.path, self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            return web.Response(status=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.application.bot)
        except Exception:  # malformed JSON or not an Update: nothing to log about it
            return web.Response(status=400)
        if update is not None:
            await self.application.update_queue.put(update)
        return web.Response()


class TelegramAdapter:
    """The runner's Component for Telegram."""

    name = "telegram"

    def __init__(
        self, services: Services, token: str, settings: TelegramSettings | None = None
    ) -> None:
        self.services = services
        self.settings = settings or TelegramSettings.from_config(services.config.telegram)
        self.application = build_application(token, self.settings, services.config.telegram_limits)
        self.transport = TelegramTransport(self.application.bot, OutboundComposer(services))
        self.handlers = TelegramHandlers(services, self.transport)
        register_handlers(self.application, self.handlers)
        self.webhook: WebhookServer | None = None

    async def start(self) -> None:
        quiet_http_logs()
        await self.application.initialize()
        try:
            await sync_commands(self.application.bot)
        except TelegramError as exc:
            log.warning("could not update the Telegram command menu: %s", type(exc).__name__)
        await self.application.start()
        if self.settings.mode == "webhook":
            await self._start_webhook()
        else:
            updater = self.application.updater
            assert updater is not None
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        log.info("telegram adapter running (%s)", self.settings.mode)

    async def _start_webhook(self) -> None:
        url = self.settings.webhook_url
        assert url is not None
        secret = self.settings.webhook_secret or secrets.token_urlsafe(32)
        path = urlsplit(url).path or "/"
        self.webhook = WebhookServer(
            self.application, path, secret, self.settings.webhook_listen, self.settings.webhook_port
        )
        await self.webhook.start()
        await self.application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
        )

    async def stop(self) -> None:
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()


def build_adapter(services: Services, token: str) -> TelegramAdapter:
    """The runner's factory (bots.runner.ADAPTERS)."""
    return TelegramAdapter(services, token)
