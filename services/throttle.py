"""Per-person limits on requests that cost the server much more than a message does.

One member asking for a chart or an export in a loop would keep the bot busy for everyone
else. Each person may make a number of each kind of expensive request within a window of
time; one more is refused with the seconds to wait (`Throttled`). The limits are generous:
a person using the bot normally never meets them.

The counts live in memory: a restart forgets them, which costs nothing but one more window.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from services.clock import Clock
from services.errors import ServiceError


class Expense(StrEnum):
    """A kind of expensive request; each has its own limit."""

    CHART = "chart"
    EXPORT = "export"
    IMPORT = "import"
    REPORT = "report"
    SEARCH = "search"


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `times` requests within any `seconds`."""

    times: int
    seconds: int


LIMITS: Mapping[Expense, Limit] = {
    # A chart is drawn by matplotlib: about a second of a core. One look, or one per
    # language or partnership, is what people need.
    Expense.CHART: Limit(times=3, seconds=60),
    # An export reads and writes the whole directory; one is enough, a second after an edit.
    Expense.EXPORT: Limit(times=3, seconds=60),
    # A period report reads the partnership's record and draws and writes a document: a few
    # seconds of a core. One period in its three formats, and a second try, fit.
    Expense.REPORT: Limit(times=4, seconds=60),
    # An import downloads and checks up to 10,000 rows. Correcting a refused file and sending
    # it again, then "import the valid rows only", takes a few of these.
    Expense.IMPORT: Limit(times=5, seconds=60),
    # Searches are cheap one by one, but inline mode sends one at each pause in typing: a fast
    # typist trying several names stays well below one a second.
    Expense.SEARCH: Limit(times=60, seconds=60),
}


class Throttled(ServiceError):
    """The person made too many requests of this kind; `retry_after` seconds to wait."""

    def __init__(self, expense: Expense, retry_after: int) -> None:
        super().__init__(f"{expense.value}: retry after {retry_after} s")
        self.expense = expense
        self.retry_after = retry_after


class Throttle:
    """Counts each person's expensive requests within the limits' windows."""

    def __init__(self, clock: Clock, limits: Mapping[Expense, Limit] = LIMITS) -> None:
        self._clock = clock
        self._limits = limits
        # (person, kind) -> times of the requests still inside the window, oldest first.
        # Only members reach expensive handlers, so this holds a few entries per member.
        self._spent: dict[tuple[int, Expense], deque[float]] = {}

    def spend(self, person_id: int, expense: Expense) -> None:
        """Count one request of `person_id`; Throttled (and not counted) beyond the limit.
        A kind without a limit is not counted."""
        limit = self._limits.get(expense)
        if limit is None:
            return
        now = self._clock().timestamp()
        spent = self._spent.setdefault((person_id, expense), deque())
        while spent and spent[0] <= now - limit.seconds:
            spent.popleft()
        if len(spent) >= limit.times:
            wait = math.ceil(spent[0] + limit.seconds - now)
            # Bounded: a clock set back must not make anyone wait longer than a window.
            raise Throttled(expense, min(max(wait, 1), limit.seconds))
        spent.append(now)
