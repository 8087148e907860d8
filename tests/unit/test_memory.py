"""The bot's memory: the malloc arena limit, and the document process that stops once idle."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest

from bot.documents import files
from bot.memory import limit_malloc_arenas, release_memory

glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")


@glibc
def test_the_arenas_are_limited_unless_the_operator_set_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is True
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False


def test_freed_memory_is_released() -> None:
    garbage: list[object] = []
    garbage.append(garbage)  # a reference cycle, as in a matplotlib figure
    del garbage
    release_memory()


def _gone(pid: int, within: float) -> bool:
    """Whether the process `pid` exits within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


async def test_the_document_process_stops_once_idle_and_starts_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(files, "IDLE_SECONDS", 0.2)
    first = await files.in_worker(os.getpid)
    assert first != os.getpid()
    # Busy again before the delay ran out: the same process serves.
    assert await files.in_worker(os.getpid) == first
    await asyncio.sleep(0.6)
    assert _gone(first, within=20)
    second = await files.in_worker(os.getpid)
    assert second not in (first, os.getpid())
