"""`run_console`: the bot started on the demo data, then a console session on it."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from bot.app import WORDING, build_application, running
from bot.config import Settings
from bot.console.session import Console
from bot.console.terminal import script_entries
from bot.local_api import LocalBotApi
from services.container import Services
from services.demo import DemoData, DemoDataError, load_demo

DEMO_FILE = Path(__file__).resolve().parents[2] / "data" / "demo.yaml"
DEMO_HISTORY_FILE = DEMO_FILE.with_name("demo_history.yaml")


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """Keep INFO chatter of the bot and PTB out of the conversation; DEBUG keeps it all."""
    root = logging.getLogger()
    level = root.level
    if level > logging.DEBUG:
        root.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        root.setLevel(level)


def _remove_database(database: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


async def _load(settings: Settings, demo_file: Path, history_file: Path | None) -> DemoData:
    """The demo written before the bot starts: no job or delivery worker runs meanwhile, so
    none of them sees the history half written (services/demo_history.py)."""
    async with Services.opened(
        settings.database_path, wording=WORDING, default_language=settings.default_language
    ) as services:
        return await load_demo(services, demo_file, history_file)


async def run_console(
    settings: Settings,
    *,
    database: Path,
    script: Path | None,
    fresh: bool,
    output: TextIO = sys.stdout,
    input_lines: Iterable[str] | None = None,
    demo_file: Path = DEMO_FILE,
    history_file: Path | None = DEMO_HISTORY_FILE,
) -> int:
    """Run the bot on `database` with the demo data and talk to it.

    With `script`, replay the file and return 1 if a line failed; otherwise read lines
    (from `input_lines`, or stdin) until ::quit, end of input or Ctrl-C, and return 0.
    """
    entries: list[tuple[int, str]] | None = None
    if script is not None:
        try:
            text = await asyncio.to_thread(script.read_text, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            output.write(f"!! cannot read the script {script}: {error}\n")
            return 1
        entries = list(script_entries(text.splitlines()))
    if fresh:
        _remove_database(database)
    api = LocalBotApi()
    # The console never talks to Telegram, so a configured token is not even handed over.
    local = settings.model_copy(update={"database_path": database, "bot_token": None})
    with _quiet_logs():
        try:
            demo = await _load(local, demo_file, history_file)
        except DemoDataError as error:
            output.write(f"!! {error}\n")
            return 1
        application = build_application(local, request=api, rate_limiter=False)
        async with running(application):
            console = Console(application, api, demo, output)
            try:
                await console.banner(database, demo_file)
                if entries is not None:
                    return await console.replay(entries, script.name if script else "script")
                return await console.interact(input_lines)
            except (KeyboardInterrupt, asyncio.CancelledError):
                # Ctrl-C: leave cleanly; the application still stops and closes the database.
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
                console.screen.print()
                console.screen.note("interrupted; bye")
                return 0 if entries is None else 1
