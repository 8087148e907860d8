"""The terminal side of the console: lines read while the bot runs, and script files."""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import suppress
from typing import TextIO


def script_entries(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(first line number, message) of a script: blank and `#` lines are skipped, and a line
    ending in `\\` continues on the next one (joined with a newline, taken as it is)."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip()
        if not pending:
            if not line or line.lstrip().startswith("#"):
                continue
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].rstrip())
            continue
        pending.append(line)
        yield start, "\n".join(pending).strip()
        pending = []
    if pending:
        yield start, "\n".join(pending).strip()


def is_terminal(output: TextIO) -> bool:
    """Whether `output` is a terminal (which shows colours)."""
    try:
        return output.isatty()
    except (AttributeError, ValueError):
        return False


def enable_line_editing() -> None:
    """Arrow keys and history in input(), where the platform has readline."""
    with suppress(ImportError):
        importlib.import_module("readline")


async def read_line(prompt: str, output: TextIO) -> str | None:
    """One line of stdin, or None at its end (Ctrl-D), read while the event loop runs.

    input() runs in a daemon thread rather than asyncio.to_thread: the default executor is
    joined when asyncio.run ends, so after Ctrl-C the program would wait for one more Enter.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def deliver(line: str | None) -> None:
        if not future.done():
            future.set_result(line)

    def read() -> None:
        try:
            line: str | None = input(prompt) if output is sys.stdout else _prompted(prompt, output)
        except (EOFError, KeyboardInterrupt, OSError, ValueError):
            line = None
        # The loop may be gone already when the console ended while this thread waited.
        with suppress(RuntimeError):
            loop.call_soon_threadsafe(deliver, line)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return await future


def _prompted(prompt: str, output: TextIO) -> str:
    output.write(prompt)
    output.flush()
    return input()
