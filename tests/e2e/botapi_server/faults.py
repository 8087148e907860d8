"""Injected faults: 429s, 5xx, 403s and time-outs on the bot's requests, to test how the bot
copes with Telegram failing."""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from tests.e2e.botapi_server.records import GONE, JSON, ApiError, json_number
from tests.e2e.botapi_server.waiting import Connection

_DEFAULT_DESCRIPTIONS: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(eq=False)
class Fault:
    """One injected failure rule; `hits` counts how often it fired."""

    method: frozenset[str] | None
    status: int | None
    retry_after: float | None
    description: str | None
    chat_id: int | str | None
    times: int | None
    fraction: float | None
    delay: float
    takes_effect: bool
    skip: int
    hits: int = 0
    _seen: int = 0

    def matches(self, method: str, params: JSON, rng: random.Random) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is None and method in ("getUpdates", "getMe"):
            return False  # "any method" means the bot's work, not its polling
        if self.method is not None and method not in self.method:
            return False
        if self.chat_id is not None and str(params.get("chat_id")) != str(self.chat_id):
            return False
        self._seen += 1
        if self._seen <= self.skip:
            return False
        return self.fraction is None or rng.random() < self.fraction

    def error(self) -> ApiError:
        assert self.status is not None
        if self.status == 429:
            retry_after = self.retry_after if self.retry_after is not None else 1
            description = (
                self.description or f"Too Many Requests: retry after {json_number(retry_after)}"
            )
            return ApiError(429, description, retry_after=retry_after, violation=False)
        description = self.description or _DEFAULT_DESCRIPTIONS.get(self.status, "Error")
        return ApiError(self.status, description, violation=False)


class Faults:
    """Failures to inject into the bot's requests, checked in the order they were added."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[Fault] = []
        self._random = random.Random(seed)

    def add(
        self,
        method: str | Iterable[str] | None = None,
        status: int | None = None,
        *,
        retry_after: float | None = None,
        chat_id: int | str | None = None,
        times: int | None = 1,
        fraction: float | None = None,
        description: str | None = None,
        delay: float = 0.0,
        takes_effect: bool = False,
        skip: int = 0,
    ) -> Fault:
        """Fail matching requests.

        method: a method name, several, or None for any (except getUpdates and getMe).
        status: 429 (with retry_after, fractions allowed to keep tests fast), 403, 500, 502, ...;
            None with a delay only slows the request down.
        chat_id: only requests to this chat. times: how many times (None: forever).
        fraction: fail only this share of matching requests (seeded, reproducible).
        delay: hold the request this many seconds before answering; math.inf holds it until the
            client gives up (a time-out).
        takes_effect: carry the request out although the bot sees a failure (Telegram sent the
            message but the answer got lost), to test for duplicates.
        skip: let this many matching requests through first.
        """
        if status is None and not delay:
            raise ValueError("a fault needs a status, a delay, or both")
        methods = None
        if method is not None:
            methods = frozenset([method] if isinstance(method, str) else method)
        fault = Fault(
            methods, status, retry_after, description, chat_id, times, fraction, delay,
            takes_effect, skip,
        )  # fmt: skip
        self._rules.append(fault)
        return fault

    def block(self, chat_id: int, description: str | None = None) -> Fault:
        """403 for everything sent to this chat, for the rest of the test."""
        return self.add(None, 403, chat_id=chat_id, times=None, description=description)

    def timeout(
        self,
        method: str | Iterable[str] | None = None,
        *,
        seconds: float = math.inf,
        times: int | None = 1,
        chat_id: int | None = None,
        takes_effect: bool = False,
    ) -> Fault:
        """Hold requests without answering: for `seconds`, or until the client gives up."""
        return self.add(
            method, None, delay=seconds, times=times, chat_id=chat_id, takes_effect=takes_effect
        )

    def clear(self) -> None:
        self._rules.clear()

    def pick(self, method: str, params: JSON) -> Fault | None:
        for fault in self._rules:
            if fault.matches(method, params, self._random):
                fault.hits += 1
                return fault
        return None

    def __iter__(self) -> Iterator[Fault]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)


async def inject(
    fault: Fault, execute: Callable[[], Awaitable[Any]], connection: Connection
) -> Any:
    """Answer a request as `fault` says: hold it (until the client gives up, for a time-out),
    carry it out or not, then fail it. GONE when the client went away meanwhile."""
    client_gone = False
    if fault.delay:
        timeout = None if math.isinf(fault.delay) else fault.delay
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await connection.closed.wait()
        client_gone = connection.closed.is_set()
    result: Any = GONE
    if (fault.status is None and not client_gone) or fault.takes_effect:
        try:
            result = await execute()
        except ApiError:
            if fault.status is None:
                raise
    if client_gone:
        return GONE
    if fault.status is not None:
        raise fault.error()
    return result
