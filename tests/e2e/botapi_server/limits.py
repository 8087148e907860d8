"""Telegram's flood limits, enforced on request: 429 with retry_after, as Telegram answers."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from tests.e2e.botapi_server.records import ApiError
from tests.e2e.users import TestChat


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Telegram's flood limits (approximate, as documented in its bot FAQ)."""

    overall_per_second: float = 30
    per_chat_per_second: float = 1
    per_group_per_minute: float = 20
    #: Messages a single chat may receive in a burst before the 1/s pace applies.
    chat_burst: int = 3


class _Window:
    """A sliding window: at most `limit` events in any `period` seconds."""

    __slots__ = ("events", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = max(1, limit)
        self.period = period
        self.events: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.events and self.events[0] <= now - self.period:
            self.events.popleft()
        return 0.0 if len(self.events) < self.limit else self.events[0] + self.period - now

    def take(self, now: float) -> None:
        self.events.append(now)


class _Bucket:
    """A token bucket: bursts up to `capacity`, then `rate` events per second."""

    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, capacity: int, rate: float, now: float) -> None:
        self.capacity = float(max(1, capacity))
        self.rate = rate
        self.tokens = self.capacity
        self.updated = now

    def wait(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self.tokens -= 1


class RateLimiter:
    """Counts the messages the bot posts, overall, per chat and per group."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self.overall = _Window(round(limits.overall_per_second), 1.0)
        self.chats: dict[int, _Bucket] = {}
        self.groups: dict[int, _Window] = {}

    def retry_after(self, chat: TestChat | None) -> int | None:
        """Seconds to wait if a message to `chat` now would exceed a limit; else counts it."""
        now = self.clock()
        limits: list[_Window | _Bucket] = [self.overall]
        if chat is not None:
            if chat.id not in self.chats:
                self.chats[chat.id] = _Bucket(
                    self.limits.chat_burst, self.limits.per_chat_per_second, now
                )
            limits.append(self.chats[chat.id])
            if chat.type in ("group", "supergroup"):
                per_minute = round(self.limits.per_group_per_minute)
                limits.append(self.groups.setdefault(chat.id, _Window(per_minute, 60.0)))
        wait = max(limit.wait(now) for limit in limits)
        if wait > 0:
            return max(1, math.ceil(wait))  # Telegram's retry_after is whole seconds
        for limit in limits:
            limit.take(now)
        return None

    def check(self, chat: TestChat | None) -> None:
        """Count a message posted to `chat` now, or refuse it with Telegram's 429."""
        retry_after = self.retry_after(chat)
        if retry_after is not None:
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                retry_after=retry_after,
                violation=False,
            )


#: Methods that post a message into a chat, which Telegram's flood limits apply to.
_NOT_POSTING: Final = frozenset(
    {"sendChatAction", "sendMessageDraft", "sendRichMessageDraft", "sendChatJoinRequestWebApp",
     "sendGift"}
)  # fmt: skip
_POSTING_EXTRA: Final = frozenset(
    {"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"}
)


def posts_message(method: str) -> bool:
    """Whether Telegram's flood limits apply to a method."""
    return (method.startswith("send") and method not in _NOT_POSTING) or method in _POSTING_EXTRA
