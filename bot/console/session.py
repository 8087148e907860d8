"""A console session: people chatting with the running bot, line after line."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from bot.console.errors import LineFailed
from bot.console.instructions import run_instruction
from bot.console.people import Cast, describe
from bot.console.render import Screen
from bot.console.terminal import enable_line_editing, read_line
from bot.context import BotContext, PartnerbotApplication
from bot.local_api import JSON, LocalBotApi, UpdateFactory
from services.demo import DemoData
from services.errors import ServiceError

log = logging.getLogger(__name__)


def _first_update_id() -> int:
    """Update ids that keep growing across console runs on the same database.

    The access gate drops update ids it has seen (Telegram's redelivery guard), so ids that
    restarted at 1 would make a second run on the same file ignore every line.
    """
    return time.time_ns() // 1_000


class Console:
    """Acts as people chatting with the running bot and prints what the bot answers."""

    def __init__(
        self, app: PartnerbotApplication, api: LocalBotApi, demo: DemoData, output: TextIO
    ) -> None:
        self.app = app
        self.api = api
        self.demo = demo
        self.screen = Screen(api, output)
        self.updates = UpdateFactory(api, first_update_id=_first_update_id())
        self.cast = Cast(demo)
        self.me = self.cast.first_admin
        self.in_group = False
        self.failures: list[str] = []
        self._bot_errors: list[BaseException] = []
        app.add_error_handler(self._record_error)

    @property
    def prompt(self) -> str:
        """`Aïssatou> `, or `Aïssatou (group)> ` in the group chat."""
        return f"{self.me.user.first_name}{' (group)' if self.in_group else ''}> "

    def echo(self, text: str) -> None:
        """Show an input line as if typed after the prompt (scripts, piped input)."""
        prompt = self.prompt
        first, *rest = text.split("\n")
        self.screen.print(prompt + first)
        continuation = "...> ".rjust(len(prompt))
        for line in rest:
            self.screen.print(continuation + line)

    async def banner(self, database: Path, demo_file: Path) -> None:
        """Where the bot runs, who you are, and how to use the console."""
        state = "loaded now" if self.demo.created else "already in the database"
        say = self.screen.print
        say("Partnerbot console: the real bot, answering here. Nothing goes to Telegram.")
        say(f"Database {database}; demo data from {demo_file} ({state}).")
        say(f"You are {await describe(self.app.services, self.me)}.")
        say("Type messages and /commands as in Telegram; end a line with \\ to go on.")
        say("Instructions start with :: (::as NAME, ::press N, ::who, ::help, ::quit).")
        say()

    # -- running lines --------------------------------------------------------------------

    async def run_line(self, text: str, where: str = "") -> bool:
        """Carry out one message or instruction; False once the console should stop.

        A failing line is reported and remembered, never raised: the console goes on.
        """
        try:
            if text.startswith("::"):
                name, _, arguments = text[2:].strip().partition(" ")
                if name.lower() in {"quit", "exit", "q"}:
                    return False
                await run_instruction(self, name.lower(), arguments.strip())
            else:
                await self.deliver(self.updates.text(self.me.user, text, self.chat()))
        except LineFailed as failure:
            self._fail(where, text, str(failure))
        except Exception as error:
            # A console line must never end the console; the traceback goes to the log.
            log.warning("console line %r failed", text, exc_info=True)
            self._fail(where, text, f"console error: {type(error).__name__}: {error}")
        return True

    def _fail(self, where: str, text: str, reason: str) -> None:
        self.screen.problem(f"{where + ': ' if where else ''}{reason}")
        first_line = text.split("\n")[0]
        self.failures.append(f"{where or 'line'} ({first_line}): {reason}")

    async def replay(self, entries: Iterable[tuple[int, str]], name: str) -> int:
        """Run a script's lines, echoing each; 1 if any line failed."""
        for number, text in entries:
            self.echo(text)
            if not await self.run_line(text, where=f"{name} line {number}"):
                break
        if self.failures:
            self.screen.print()
            count = len(self.failures)
            self.screen.problem(f"{count} line{'s' if count > 1 else ''} of {name} failed:")
            for failure in self.failures:
                self.screen.problem(f"  {failure}")
            return 1
        return 0

    async def interact(self, lines: Iterable[str] | None) -> int:
        """Read lines until ::quit or end of input; `lines` replaces stdin (tests)."""
        given = iter(lines) if lines is not None else None
        echo = given is not None or not sys.stdin.isatty()
        if given is None and sys.stdin.isatty():
            enable_line_editing()
        pending: list[str] = []
        while True:
            prompt = self.prompt if not pending else "...> ".rjust(len(self.prompt))
            if given is not None:
                line = next(given, None)
            else:
                # Echoed lines print their own prompt; a terminal shows input() its prompt.
                line = await read_line("" if echo else prompt, self.screen.output)
            if line is None:
                break
            line = line.rstrip("\r\n")
            if line.rstrip().endswith("\\"):
                pending.append(line.rstrip()[:-1].rstrip())
                continue
            text = "\n".join([*pending, line]).strip()
            pending = []
            if not text:
                continue
            if echo:
                self.echo(text)
            if not await self.run_line(text):
                break
        self.screen.note("bye")
        return 0

    # -- talking to the bot ---------------------------------------------------------------

    def chat(self) -> JSON | None:
        """The group chat, or None for the current person's private chat."""
        if self.in_group and self.demo.group is not None:
            return self.updates.group_chat(self.demo.group.chat_id, self.demo.group.title)
        return None

    @property
    def chat_id(self) -> int:
        """The chat messages go to now."""
        if self.in_group and self.demo.group is not None:
            return self.demo.group.chat_id
        return self.me.user.id

    async def send_content(self, **content: Any) -> None:
        """A message other than text (location, contact, photo, document) from the current
        person in the current chat."""
        await self.deliver(self.updates.message(self.me.user, self.chat(), **content))

    async def deliver(self, data: JSON) -> None:
        """Hand one update to the bot and print what came of it."""
        self._bot_errors.clear()
        await self.app.process_update(self.updates.as_update(data, self.app.bot))
        await asyncio.sleep(0)  # let tasks the handlers started take their first step
        if not self.screen.show_news(self.chat_id, self.cast.chat_name):
            self.screen.note("(no reply)")
        if self._bot_errors:
            error = self._bot_errors[0]
            raise LineFailed(
                f"the bot failed on this: {type(error).__name__}: {error} (traceback in the log)"
            )

    async def _record_error(self, update: object, context: BotContext) -> None:
        """Bugs (not refusals, which the bot explains) make the line fail."""
        if context.error is not None and not isinstance(context.error, ServiceError):
            self._bot_errors.append(context.error)
