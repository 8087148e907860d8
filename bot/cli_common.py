"""What the command line's subcommands share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.app import WORDING
from bot.config import Settings
from services.container import Services

T = TypeVar("T")


def with_services(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    """Run `work` once over every service, on the configured database."""

    async def go() -> T:
        async with Services.opened(
            settings.database_path, wording=WORDING, default_language=settings.default_language
        ) as services:
            return await work(services)

    return asyncio.run(go())
