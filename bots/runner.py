"""`stepbot run`: wire config, store, core services, calendars and every adapter with a
token, run the background work, and shut down cleanly on Ctrl-C / SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, Protocol

from core.delivery import DeliveryEngine
from core.demo import demo_meetings
from core.outbound import Transport
from core.services import Services

log = logging.getLogger(__name__)


class Component(Protocol):
    """Something that runs alongside the bot: an adapter, the delivery engine, a server."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Maintenance:
    """Keeps this and next week's occurrences materialised and forgets old ones."""

    name = "maintenance"

    def __init__(self, services: Services, every_seconds: float = 3600) -> None:
        self.services = services
        self.every = every_seconds
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> None:
        now = self.services.clock.now()
        await self.services.meetings.ensure_occurrences(now - timedelta(days=1),
                                                        now + timedelta(days=8))
        await self.services.meetings.prune_occurrences(now)

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("maintenance failed")
            await asyncio.sleep(self.every)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="maintenance")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


# Platform adapters: (environment variable, factory path). Each factory takes
# (services, token) and returns a Component.
ADAPTERS: tuple[tuple[str, str], ...] = (
    ("TELEGRAM_TOKEN", "bots.telegram.app:build_adapter"),
    ("DISCORD_TOKEN", "bots.discord.bot:build_adapter"),
)
# Background components that exist once their feature is installed: factory(services).
BACKGROUND: tuple[str, ...] = (
    "calendars.feeds:build_component",
    "calendars.server:build_component",
)


class Delivery:
    """The delivery engine as a runner component, fed by every adapter's transport."""

    name = "delivery"

    def __init__(self, services: Services, transports: dict[str, Transport]) -> None:
        self.engine = DeliveryEngine(services.db, services.clock, transports, services.config,
                                     services.reflections, meetings=services.meetings)
        services.subscriptions.on_change = self.engine.wake
        services.reports.on_change = self.engine.wake

    async def start(self) -> None:
        await self.engine.start()

    async def stop(self) -> None:
        await self.engine.stop()


def _load(path: str) -> Callable[..., Component] | None:
    import importlib

    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    factory = getattr(module, attr, None)
    return factory


async def prepare(services: Services) -> None:
    """First start: load the demo meetings into an empty database when configured."""
    if services.config.demo_data_on_empty and await services.meetings.count() == 0:
        added = await services.meetings.add_many(demo_meetings())
        log.warning("empty database: loaded %d fictional demo meetings", added)


async def run(
    services: Services,
    *,
    console: Callable[[], Coroutine[Any, Any, None]] | None = None,
    console_transport: Transport | None = None,
) -> int:
    await prepare(services)
    components: list[Component] = [Maintenance(services)]
    transports: dict[str, Transport] = {}
    adapters = 0
    for env, path in ADAPTERS:
        token = os.environ.get(env)
        if not token:
            continue
        factory = _load(path)
        if factory is None:
            log.error("%s is set but that adapter is not installed", env)
            continue
        adapter = factory(services, token)
        components.append(adapter)
        transport: Transport | None = getattr(adapter, "transport", None)
        if transport is not None:
            transports[transport.platform] = transport
        adapters += 1
    if adapters == 0 and console_transport is not None:
        transports[console_transport.platform] = console_transport
    components.append(Delivery(services, transports))
    for path in BACKGROUND:
        factory = _load(path)
        if factory is not None:
            component = factory(services)
            if component is not None:
                components.append(component)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    started: list[Component] = []
    try:
        for component in components:
            await component.start()
            started.append(component)
            log.info("started %s", component.name)
        if adapters == 0:
            print("No DISCORD_TOKEN or TELEGRAM_TOKEN in the environment: opening the console "
                  "chat instead (Ctrl-D to leave).", flush=True)
            if console is not None:
                chat_task = asyncio.create_task(console())
                stop_task = asyncio.create_task(stop.wait())
                await asyncio.wait({chat_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
                for task in (chat_task, stop_task):
                    task.cancel()
                return 0
        await stop.wait()
        return 0
    finally:
        for component in reversed(started):
            try:
                await component.stop()
            except Exception:
                log.exception("stopping %s failed", component.name)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
