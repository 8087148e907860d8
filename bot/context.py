"""The typed context every handler receives: services, the caller, and `_()`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, cast

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.config import Settings

if TYPE_CHECKING:
    from bot.health import HealthServer
    from bot.jobs.delivery import DeliveryWorker
from bot.i18n import Translator, translator
from bot.metrics import Metrics
from services.access import Caller, normalise_language
from services.container import Services

UserData = dict[str, Any]


def digest(value: object) -> str:
    """A short, stable key of a value, for callback data (8 hex characters)."""
    return hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()[:8]


ChatData = dict[Any, Any]
BotData = dict[Any, Any]


class PartnerbotApplication(
    Application[ExtBot[None], "BotContext", UserData, ChatData, BotData, JobQueue["BotContext"]]
):
    """The PTB Application, carrying the services and settings, saving state after each update."""

    def __init__(
        self,
        *,
        services: Services,
        settings: Settings,
        metrics: Metrics | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.services = services
        self.settings = settings
        self.worker: DeliveryWorker | None = None  # started in post_init
        self.metrics = metrics or Metrics()
        self.health_server: HealthServer | None = None  # started in post_init when configured
        #: When the last update was handled (time.time()), for the health check.
        self.last_update_at: float | None = None
        #: Documents being made beside the update queue (see `start_document`).
        self.documents: set[asyncio.Task[Any]] = set()

    def start_document(
        self, work: Coroutine[Any, Any, None], *, update: object | None = None
    ) -> None:
        """Make a document beside the update queue: PTB handles one update at a time, and a
        report takes seconds, during which everyone else's messages would wait. Its errors
        reach the error handler with `update`, which answers the person."""
        task = self.create_task(work, update=update, name="document")
        self.documents.add(task)
        task.add_done_callback(self.documents.discard)

    async def documents_done(self) -> None:
        """Wait until every document being made is sent (tests, a clean stop)."""
        while self.documents:
            await asyncio.gather(*self.documents, return_exceptions=True)

    async def process_update(self, update: object) -> None:
        """Handle an update, then save conversation state at once.

        PTB saves persistence on a timer; saving right after each update means a process
        killed between two messages resumes every conversation at the step it reached.
        """
        started = time.perf_counter()
        try:
            await super().process_update(update)
            if self.persistence is not None and self.running:
                await self.update_persistence()
        finally:
            # One place times every handler, errors and persistence included.
            self.metrics.observe(update, time.perf_counter() - started)
            self.last_update_at = time.time()


class BotContext(CallbackContext[ExtBot[None], UserData, ChatData, BotData]):
    """Context with Partnerbot's services and the person behind the update."""

    if TYPE_CHECKING:
        caller: Caller | None

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.caller = None
        self._translator: Translator | None = None
        self._telegram_language: str | None = None

    @property
    def partnerbot(self) -> PartnerbotApplication:
        """The running application."""
        return cast(PartnerbotApplication, self.application)

    @property
    def services(self) -> Services:
        """Every domain service."""
        return self.partnerbot.services

    @property
    def settings(self) -> Settings:
        """The settings the bot runs with."""
        return self.partnerbot.settings

    @property
    def language(self) -> str:
        """The language to answer in."""
        fallback = normalise_language(self._telegram_language) or self.settings.default_language
        if self.caller is not None:
            return self.caller.language(fallback)
        return fallback

    @property
    def _(self) -> Translator:
        """Translate into the caller's language: `context._("Hello {name}", name=...)`."""
        if self._translator is None or self._translator.language != self.language:
            self._translator = translator(self.language)
        return self._translator

    def remember_telegram_language(self, code: str | None) -> None:
        """Telegram's language of the user, the fallback for people the bot does not know."""
        self._telegram_language = code

    def draft(self, name: str, *, fresh: bool = False) -> dict[str, Any]:
        """The caller's draft of a flow, kept across restarts by the persistence."""
        if self.user_data is None:
            raise RuntimeError("drafts need an update with a user")
        if fresh:
            self.user_data.pop(name, None)
        draft: dict[str, Any] = self.user_data.setdefault(name, {})
        return draft

    def remember(self, slot: str, data: dict[str, Any], keep: int = 20) -> str:
        """Keep what a list shows (a search, its filters) for its buttons, which carry only
        the returned key (8 hex characters of its hash); the `keep` latest stay per slot."""
        if self.user_data is None:
            raise RuntimeError("lists need an update with a user")
        key = digest(data)
        kept: dict[str, Any] = self.user_data.setdefault(slot, {})
        kept.pop(key, None)
        kept[key] = data
        for old in list(kept)[:-keep]:
            kept.pop(old)
        return key

    def recall(self, slot: str, key: str) -> dict[str, Any] | None:
        """What `remember` kept under `key`; None for a list long forgotten."""
        found = (self.user_data or {}).get(slot, {}).get(key)
        return found if isinstance(found, dict) else None

    def discard_draft(self, name: str) -> None:
        """Forget a finished or cancelled draft."""
        if self.user_data is not None:
            self.user_data.pop(name, None)

    def require_caller(self) -> Caller:
        """The caller set by the access gate (which runs before every other handler)."""
        if self.caller is None:
            raise RuntimeError("access gate did not run for this update")
        return self.caller
