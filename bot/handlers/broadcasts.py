"""Acknowledge, and /alerts: what became of the broadcasts (bot/handlers/broadcast_flow.py
writes and sends them)."""

from __future__ import annotations

from markupsafe import Markup
from telegram import InlineKeyboardMarkup, Message, Update

from bot.callbacks import Acknowledge, AlertList, AlertOpen
from bot.context import BotContext
from bot.i18n import N_
from bot.messaging import show
from bot.views.broadcasts import broadcast_status, delivery_figures
from bot.views.keyboards import button, in_rows, keyboard
from bot.views.render import bold, format_moment, shorten
from services.access import Capability


async def acknowledge(update: Update, context: BotContext) -> None:
    """The Acknowledge button: recorded once; the button becomes a confirmation."""
    delivery_id = Acknowledge.of(update).delivery_id
    caller = context.require_caller()
    delivery, first = await context.services.outbox.acknowledge(delivery_id, caller)
    _ = context._
    query = update.callback_query
    assert query is not None and delivery.acknowledged_at is not None
    timezone = caller.membership.partnership.timezone if caller.membership else "UTC"
    when = format_moment(delivery.acknowledged_at, timezone, _.language)
    label = _.text(ACKNOWLEDGED).format(when=when)
    await query.answer(_.text(THANKS) if first else _.text(ALREADY))
    if first:
        # The button becomes the confirmation; the message's other buttons (Open) stay.
        confirmation = button(label, Acknowledge(delivery_id))
        shown = query.message.reply_markup if isinstance(query.message, Message) else None
        rows = (
            [[confirmation if b.callback_data == query.data else b for b in row]
             for row in shown.inline_keyboard]
            if shown
            else [[confirmation]]
        )  # fmt: skip
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
        if context.partnerbot.worker is not None:
            context.partnerbot.worker.progress(delivery.broadcast_id)


ACKNOWLEDGED = N_("✔ Acknowledged {when}")
THANKS = N_("Thank you: your acknowledgement is recorded.")
ALREADY = N_("You had already acknowledged this message.")


async def alerts(update: Update, context: BotContext) -> None:
    """Recent broadcasts and alerts with their figures; a button each for the details."""
    _ = context._
    caller = context.require_caller()
    membership = caller.require(Capability.BROADCAST)
    recent = await context.services.broadcasts.recent(caller)
    if not recent:
        await show(update, _("No broadcasts yet. Send one with /broadcast."))
        return
    lines = [
        _("Recent broadcasts of {partnership}:", partnership=bold(membership.partnership.name))
    ]
    buttons = []
    for number, summary in enumerate(recent, start=1):
        when = format_moment(
            summary.broadcast.created_at, membership.partnership.timezone, _.language
        )
        marker = "🚨" if summary.broadcast.urgent else "📢"
        excerpt = summary.broadcast.body[:60] + ("…" if len(summary.broadcast.body) > 60 else "")
        lines.append(
            Markup("\n{number}. {marker} {when} — {excerpt}\n").format(
                number=number, marker=marker, when=when, excerpt=excerpt
            )
            + delivery_figures(_, summary.counts)
        )
        # The button says what it opens: who received, acknowledged, could not be reached.
        label = f"👥 {number}. {shorten(summary.broadcast.body, 30)}"
        buttons.append(button(label, AlertOpen(summary.broadcast.id)))
    await show(update, Markup("\n").join(lines), keyboard(in_rows(buttons, 1)))


async def alert_detail(update: Update, context: BotContext) -> None:
    """One broadcast: figures, who has not acknowledged it, who could not be reached."""
    _ = context._
    broadcast_id = AlertOpen.of(update).broadcast_id
    caller = context.require_caller()
    membership = caller.require(Capability.BROADCAST)
    summary, waiting, unreachable = await context.services.broadcasts.detail(caller, broadcast_id)
    parts = [broadcast_status(_, summary, membership.partnership.timezone)]
    if waiting:
        parts.append(_("Not acknowledged yet: {names}", names=_.join(waiting)))
    else:
        parts.append(_("Everyone has acknowledged."))
    if unreachable:
        parts.append(_("Could not be reached: {names}", names=_.join(unreachable)))
    await show(update, Markup("\n\n").join(parts), keyboard([[button("«", AlertList())]]))
