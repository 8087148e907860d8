"""Expensive requests counted against the person's limits (services/throttle.py).

A handler calls `spend(context, Expense.SEARCH)` where its expensive part begins, after its
cheap checks. Beyond the limit `Throttled` is raised before anything is done; the error
handler tells the person, in their language, how many seconds to wait.
"""

from __future__ import annotations

from bot.context import BotContext
from services.throttle import Expense


def spend(context: BotContext, expense: Expense) -> None:
    """Count one request of the caller; Throttled beyond their limit."""
    context.services.throttle.spend(context.require_caller().identity.user_id, expense)
