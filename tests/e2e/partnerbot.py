"""Partnerbot against the local Bot API server: in this process, or as a real process; and the
tests' people on that server."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.app import build_application, running
from bot.config import Settings
from bot.context import PartnerbotApplication
from bot.local_api import LocalUser
from services.clock import Clock, utc_now
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.users import BotMessage, TestUser

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_UPDATES = ["message", "callback_query", "inline_query", "my_chat_member"]


def settings_for(server: BotApiServer, database: Path, **extra: Any) -> Settings:
    """Settings pointing the bot at the local server."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        bot_token=SecretStr(server.token),
        bot_api_base_url=server.base_url,
        bot_api_base_file_url=server.base_file_url,
        database_path=database,
        **extra,
    )


def person(server: BotApiServer, who: LocalUser, **extra: Any) -> TestUser:
    """One of the tests' people (`tests/people.py`) on the server, in their private chat."""
    return server.user(**dataclasses.asdict(who), **extra)


async def until(user: TestUser, fragment: str) -> BotMessage:
    """The next message of the bot containing `fragment` (earlier ones are read past)."""
    while True:
        message = await user.next_message()
        if fragment in message.content:
            return message


@asynccontextmanager
async def polling(
    server: BotApiServer,
    database: Path,
    *,
    clock: Clock = utc_now,
    rate_limiter: bool = True,
    **settings: Any,
) -> AsyncIterator[PartnerbotApplication]:
    """The real Application, its real HTTP stack, long polling the local server."""
    application = build_application(
        settings_for(server, database, **settings), clock=clock, rate_limiter=rate_limiter
    )
    async with running(application):
        assert application.updater is not None
        await application.updater.start_polling(timeout=1, allowed_updates=ALLOWED_UPDATES)
        try:
            yield application
        finally:
            await application.updater.stop()


def environment(server: BotApiServer, database: Path, **extra: str) -> dict[str, str]:
    """The environment of a bot process talking to the local server."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BOT_", "WEBHOOK_", "MODE", "DATABASE_"))
    }
    env.update(
        BOT_TOKEN=server.token,
        BOT_API_BASE_URL=server.base_url,
        BOT_API_BASE_FILE_URL=server.base_file_url,
        DATABASE_PATH=str(database),
        LOG_LEVEL="WARNING",
        POLL_TIMEOUT="1",
        **extra,
    )
    return env


class BotProcess:
    """`python -m bot run` as its own process, to be killed like a crashing server."""

    def __init__(self, server: BotApiServer, database: Path, **extra: str) -> None:
        self.server = server
        self.database = database
        self.env = environment(server, database, **extra)
        self.process: subprocess.Popen[bytes] | None = None

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        return self.process

    async def start(self) -> None:
        """Start it and wait until it long-polls the server."""
        process = self._spawn()
        await self.server.wait_for(
            lambda: self.server.polling or process.poll() is not None,
            30,
            "the bot process to start polling",
        )
        assert process.poll() is None, self.stderr()

    async def start_webhook(self) -> None:
        """Start it in webhook mode and wait until it registered its webhook."""
        process = self._spawn()
        await self.server.wait_for(
            lambda: bool(self.server.webhook.url) or process.poll() is not None,
            30,
            "the bot process to set its webhook",
        )
        assert process.poll() is None, self.stderr()

    def run_to_exit(self, timeout: float = 30) -> int:
        """Run it until it stops by itself (e.g. refusing its settings); its exit status."""
        process = self._spawn()
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise

    def stderr(self) -> str:
        """What the process printed on stderr (after it ended)."""
        if self.process is None or self.process.stderr is None or self.process.poll() is None:
            return ""
        return self.process.stderr.read().decode(errors="replace")

    async def kill(self) -> None:
        """SIGKILL: no clean-up at all, as in a power cut."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait)

    async def stop(self) -> None:
        """SIGTERM, as a service manager stops it; returns once it exited."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(self.process.wait, 20)


def stored_state(database: Path, conversation: str) -> list[str]:
    """Conversation steps stored in the SQLite file, read as another process would."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT state FROM conversations WHERE name = ?", (conversation,)
        ).fetchall()
    return [row[0] for row in rows]


def stored_step(database: Path, user_id: int, flow: str) -> str | None:
    """The step of a person's draft of a flow stored in the SQLite file (None: no draft)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        row = connection.execute(
            "SELECT data FROM user_data WHERE user_id = ?", (user_id,)
        ).fetchone()
    step = json.loads(row[0]).get(flow, {}).get("step") if row else None
    return str(step) if step is not None else None
