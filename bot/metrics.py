"""Prometheus metrics of one running bot, in a registry of its own (`Metrics.registry`).

Updates are counted and timed where the application processes them
(`PartnerbotApplication.process_update`); the outbox's figures are read from the database
when the metrics are scraped (`Metrics.refresh`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler

from bot.callbacks import FAMILIES
from services.health import OutboxFacts

#: Seconds: from a quick answer to a report rendered as a PDF.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
DELIVERY_STATUSES = ("pending", "sending", "sent", "failed", "dead")


class Metrics:
    """Every metric of the bot; each application has its own, and so does each test."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "partnerbot_updates",
            "Updates handled, by kind (command, message, callback, inline, member, other) and"
            " name (the command, or the button family's prefix).",
            ["kind", "name"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "partnerbot_update_seconds",
            "Seconds spent handling one update, by kind and name.",
            ["kind", "name"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.deliveries = Gauge(
            "partnerbot_outbox_deliveries",
            "Deliveries in the outbox by status, read from the database when scraped.",
            ["status"],
            registry=self.registry,
        )
        self.flood_waits = Counter(
            "partnerbot_telegram_retry_after",
            "Times Telegram answered 429 Too Many Requests (flood control).",
            registry=self.registry,
        )
        self.escalations = Counter(
            "partnerbot_escalations",
            "Escalation steps of unacknowledged critical challenges sent.",
            registry=self.registry,
        )
        self.digests = Counter(
            "partnerbot_digests",
            "Scheduled digests written to the outbox.",
            registry=self.registry,
        )
        self._commands: frozenset[str] = frozenset()

    def know_commands(self, commands: Iterable[str]) -> None:
        """The commands the bot answers; others are counted under the name `other`, so that
        what people type cannot grow the metrics without bound."""
        self._commands = frozenset(command.lower() for command in commands)

    def label(self, update: object) -> tuple[str, str]:
        """The kind and name an update is counted under (never any text a person wrote)."""
        if not isinstance(update, Update):
            return "other", ""
        if update.callback_query is not None:
            return "callback", _family(update.callback_query.data)
        if update.inline_query is not None:
            return "inline", ""
        if update.my_chat_member is not None:
            return "member", ""
        message = update.effective_message
        if message is not None:
            text = message.text or ""
            if text.startswith("/"):
                command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if text else ""
                return "command", command if command in self._commands else "other"
            return "message", ""
        return "other", ""

    def observe(self, update: object, seconds: float) -> None:
        """Count one handled update and how long it took."""
        kind, name = self.label(update)
        self.updates.labels(kind, name).inc()
        self.latency.labels(kind, name).observe(seconds)

    def refresh(self, outbox: OutboxFacts) -> None:
        """Set the outbox gauges from the database's figures."""
        for status in DELIVERY_STATUSES:
            self.deliveries.labels(status).set(outbox.totals.get(status, 0))

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)


def registered_commands(handlers: Iterable[BaseHandler[Any, Any, Any]]) -> set[str]:
    """Every command the handlers answer, those inside conversations included."""
    found: set[str] = set()
    for handler in handlers:
        if isinstance(handler, CommandHandler):
            found |= set(handler.commands)
        elif isinstance(handler, ConversationHandler):
            inner = [*handler.entry_points, *handler.fallbacks]
            inner += [h for state in handler.states.values() for h in state]
            found |= registered_commands(inner)
    return found


_PREFIXES = frozenset(family.prefix for family in FAMILIES)


def _family(data: str | None) -> str:
    """The prefix of the button family the data belongs to (the longest that matches)."""
    parts = (data or "").split(":")
    for end in range(len(parts), 0, -1):
        prefix = ":".join(parts[:end])
        if prefix in _PREFIXES:
            return prefix
    return "other"
