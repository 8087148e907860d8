"""Builds the python-telegram-bot Application: settings, store, handlers, jobs, lifecycle."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC
from typing import Any, cast

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.commands import set_default_menus
from bot.config import Settings
from bot.context import BotContext, PartnerbotApplication
from bot.handlers import register
from bot.health import HealthServer
from bot.jobs import schedule_jobs
from bot.jobs.delivery import DeliveryWorker
from bot.metrics import Metrics, registered_commands
from bot.persistence import SQLitePersistence
from bot.ratelimit import SlidingWindowRateLimiter
from bot.views import challenges as challenge_views
from bot.views import contacts as contact_views
from services.clock import Clock, utc_now
from services.container import Services, Wording
from services.throttle import LIMITS, Expense, Limit
from storage.db import Database

log = logging.getLogger(__name__)

#: The token the console uses: nothing leaves the machine, so any well-formed token will do.
OFFLINE_TOKEN = "1:offline-console"


#: How the messages services send on their own read.
WORDING = Wording(challenges=challenge_views.TEXTS, contact_links=contact_views.LINK_TEXTS)


def make_services(
    db: Database,
    default_language: str = "en",
    clock: Clock = utc_now,
    limits: Mapping[Expense, Limit] = LIMITS,
) -> Services:
    """Every service over one database, with the bot's wording (also for the command line,
    the console, tests and benchmarks)."""
    return Services.create(
        db, wording=WORDING, default_language=default_language, clock=clock, limits=limits
    )


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    clock: Clock = utc_now,
    rate_limiter: bool | None = None,
) -> PartnerbotApplication:
    """The bot, wired but not started. `request` replaces the HTTP stack (console, tests)."""
    db = Database(settings.database_path)
    services = make_services(
        db, settings.default_language, clock, LIMITS if settings.throttle else {}
    )
    token = settings.bot_token.get_secret_value() if settings.bot_token else OFFLINE_TOKEN
    metrics = Metrics()
    builder = (
        ApplicationBuilder()
        .application_class(
            PartnerbotApplication,
            {"services": services, "settings": settings, "metrics": metrics},
        )
        .token(token)
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=UTC,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(ContextTypes(context=BotContext))
        .persistence(SQLitePersistence(db))
        .post_init(_on_startup)
        .post_stop(_on_stop)
        .post_shutdown(_on_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    elif settings.http_client == "aiohttp":
        # Imported here: with HTTP_CLIENT=httpx aiohttp is never loaded (some 9 MB).
        from bot.transport import over_aiohttp

        builder = over_aiohttp(builder)
    if settings.rate_limiter if rate_limiter is None else rate_limiter:
        # Replies to people share Telegram's limits with broadcasts; a 429 is retried.
        # Sliding windows, the first second of a burst included (benchmarks/README.md).
        limiter = SlidingWindowRateLimiter(metrics, max_retries=3)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    application = cast(PartnerbotApplication, builder.build())
    register(application)
    metrics.know_commands(
        registered_commands(h for group in application.handlers.values() for h in group)
    )
    return application


@asynccontextmanager
async def running(application: PartnerbotApplication) -> AsyncIterator[PartnerbotApplication]:
    """Start the application without receiving updates (the caller feeds them in)."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    try:
        yield application
    finally:
        await application.stop()
        if application.post_stop is not None:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


async def _on_startup(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Open the store (runs migrations), set the command menus, start the jobs."""
    application = cast(PartnerbotApplication, app)
    await application.services.db.open()
    application.worker = DeliveryWorker(application, application.settings.outbox_concurrency)
    application.worker.start()
    await set_default_menus(application.bot)
    schedule_jobs(application)
    settings = application.settings
    if settings.health_port is not None:
        application.health_server = HealthServer(
            application, settings.health_listen, settings.health_port
        )
        application.health_server.start()
    log.info("Partnerbot started as @%s", application.bot.username)


async def _on_stop(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Let messages in flight finish before the store closes."""
    application = cast(PartnerbotApplication, app)
    if application.health_server is not None:
        await application.health_server.stop()
        application.health_server = None
    if application.worker is not None:
        await application.worker.stop()
        application.worker = None


async def _on_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Close the store."""
    await cast(PartnerbotApplication, app).services.db.close()
