"""Texts shown by several parts of the bot (handlers and jobs): broadcasts and their figures."""

from __future__ import annotations

from markupsafe import Markup

from bot.i18n import Translator
from bot.views.render import bold, format_moment
from domain.outbox import DeliveryCounts
from services.broadcasts import BroadcastSummary


def broadcast_message(
    _: Translator, *, author: str, partnership: str, body: str, urgent: bool
) -> Markup:
    """A broadcast as its recipients read it."""
    if urgent:
        header = _(
            "🚨 URGENT — message from {author} ({partnership}):",
            author=bold(author),
            partnership=partnership,
        )
    else:
        header = _(
            "📢 Message from {author} ({partnership}):",
            author=bold(author),
            partnership=partnership,
        )
    return header + Markup("\n\n") + body if body else header


def reminder_message(_: Translator, *, author: str, body: str) -> Markup:
    """The one reminder of an urgent broadcast nobody acknowledged yet."""
    header = _(
        "⏰ Reminder: please acknowledge this urgent message from {author}.", author=bold(author)
    )
    return header + Markup("\n\n") + body if body else header


def delivery_figures(_: Translator, counts: DeliveryCounts) -> Markup:
    """Delivered / pending / failed / acknowledged counts on one line."""
    return _(
        "Delivered {delivered} · pending {pending} · failed {failed} · acknowledged"
        " {acknowledged} of {total}",
        delivered=counts.delivered,
        pending=counts.pending,
        failed=counts.failed,
        acknowledged=counts.acknowledged,
        total=counts.total,
    )


def broadcast_status(_: Translator, summary: BroadcastSummary, timezone: str) -> Markup:
    """The author's view of a broadcast: when, to how many, and how delivery stands."""
    broadcast = summary.broadcast
    title = (
        _(
            "🚨 Urgent broadcast of {when}",
            when=format_moment(broadcast.created_at, timezone, _.language),
        )
        if broadcast.urgent
        else _(
            "📢 Broadcast of {when}", when=format_moment(broadcast.created_at, timezone, _.language)
        )
    )
    return title + Markup("\n") + delivery_figures(_, summary.counts)
