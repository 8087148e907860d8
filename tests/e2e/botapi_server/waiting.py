"""Waiting without sleeping: an activity signal waiters re-check their condition on, and
the connection of a request in progress, and a pending long poll."""

# `wait` takes `timeout=` on purpose, like the people's methods in users.py.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field


class Signal:
    """Wakes every waiter whenever something changes; waiters re-check their condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Whether `predicate` became true within `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._event.wait()
        except TimeoutError:
            return predicate()
        return True


class Connection:
    """One HTTP request in progress; closed when the client goes away or the server stops."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()
        self._callbacks: list[Callable[[], None]] = []

    def on_close(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def close(self) -> None:
        if not self.closed.is_set():
            self.closed.set()
            for callback in self._callbacks:
                callback()


@dataclass(eq=False)
class Poll:
    """A pending getUpdates long poll."""

    wake: asyncio.Event = field(default_factory=asyncio.Event)
    superseded: str | None = None
