"""/broadcast (write, choose the audience and urgency, preview, send), Acknowledge, /alerts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from markupsafe import Markup, escape
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import ConversationHandler

from bot.callbacks import (
    Acknowledge,
    AlertList,
    AlertOpen,
    BroadcastAudience,
    BroadcastAudienceValue,
    BroadcastBackToAudience,
    BroadcastCancel,
    BroadcastSend,
    BroadcastUrgency,
)
from bot.context import BotContext
from bot.i18n import N_, translator
from bot.messaging import answer, reply, show
from bot.views import texts
from bot.views.broadcasts import broadcast_message, broadcast_status, delivery_figures
from bot.views.keyboards import button, in_rows, keyboard
from bot.views.render import bold, format_moment
from domain.models import Role
from services.access import Capability
from services.broadcasts import MAX_CAPTION, MAX_TEXT, Audience, AudienceKind, check_body
from services.errors import InvalidInput
from services.outbox import Rendered

BC_TEXT = "broadcast:text"
BC_AUDIENCE = "broadcast:audience"
BC_AUDIENCE_VALUE = "broadcast:audience_value"
BC_URGENCY = "broadcast:urgency"
BC_CONFIRM = "broadcast:confirm"
DRAFT = "broadcast"

AUDIENCE_LABELS = {
    AudienceKind.EVERYONE: N_("Everyone in the partnership"),
    AudienceKind.ROLE: N_("By role"),
    AudienceKind.COUNTRY: N_("By country"),
    AudienceKind.ORGANISATION: N_("By organisation"),
    AudienceKind.GROUPS: N_("The linked group chats"),
}
#: Buttons of a value list: more would not fit a phone screen.
MAX_CHOICES = 30


async def broadcast_start(update: Update, context: BotContext) -> str:
    """Ask for the message."""
    context.require_caller().require(Capability.BROADCAST)
    draft = context.draft(DRAFT, fresh=True)
    draft["key"] = uuid.uuid4().hex
    await reply(
        update,
        context._(
            "Write the message to broadcast: a text, or a photo or document with a caption."
            " /cancel stops."
        ),
    )
    return BC_TEXT


async def broadcast_text(update: Update, context: BotContext) -> str:
    """Take the message (text, or media with a caption) and ask for the audience."""
    message = update.effective_message
    assert message is not None
    draft = context.draft(DRAFT)
    media_kind, file_id, text = None, None, message.text or message.caption or ""
    if message.photo:
        media_kind, file_id = "photo", message.photo[-1].file_id
    elif message.document:
        media_kind, file_id = "document", message.document.file_id
    try:
        draft["text"] = check_body(text, with_media=media_kind is not None)
    except InvalidInput:
        await reply(update, _too_long(context, len(text.strip()), media_kind is not None))
        return BC_TEXT
    draft["media_kind"], draft["file_id"] = media_kind, file_id
    return await _ask_audience(update, context)


def _too_long(context: BotContext, length: int, with_media: bool) -> Markup:
    _ = context._
    if length == 0:
        return _("The message is empty. Write the text to broadcast, or /cancel.")
    return _(
        "The message has {length} characters; at most {limit} fit. Shorten it, or split it"
        " into several broadcasts.",
        length=length,
        limit=MAX_CAPTION if with_media else MAX_TEXT,
    )


async def broadcast_wrong_media(update: Update, context: BotContext) -> str:
    """A sticker, voice note, location... where the message is expected."""
    await reply(update, context._("Send a text, a photo or a document with a caption, or /cancel."))
    return BC_TEXT


async def _ask_audience(update: Update, context: BotContext, note: Markup | None = None) -> str:
    _ = context._
    buttons = [
        button(_.text(AUDIENCE_LABELS[kind]), BroadcastAudience(kind)) for kind in AudienceKind
    ]
    question = _("Who should receive it?")
    text = note + Markup("\n\n") + question if note else question
    await show(update, text, keyboard(in_rows(buttons, 1)))
    return BC_AUDIENCE


async def broadcast_audience(update: Update, context: BotContext) -> str:
    """Everyone or the groups: on to urgency; a role, country or organisation: list them."""
    kind = BroadcastAudience.of(update).kind
    draft = context.draft(DRAFT)
    if kind in (AudienceKind.EVERYONE, AudienceKind.GROUPS):
        return await _choose_audience(update, context, Audience(kind))
    caller = context.require_caller()
    choices = (await context.services.broadcasts.choices(caller, kind))[:MAX_CHOICES]
    if not choices:
        await answer(update, context._.text(NOBODY))
        return BC_AUDIENCE
    draft["kind"], draft["choices"] = kind.value, choices
    _ = context._
    labels = [texts.role_name(_, Role(c)) if kind is AudienceKind.ROLE else c for c in choices]
    buttons = [
        button(label[:60], BroadcastAudienceValue(index)) for index, label in enumerate(labels)
    ]
    await show(
        update,
        _("Choose one:"),
        keyboard([*in_rows(buttons, 2), [button("«", BroadcastBackToAudience())]]),
    )
    return BC_AUDIENCE_VALUE


async def broadcast_audience_value(update: Update, context: BotContext) -> str:
    """Take the chosen role, country or organisation."""
    draft = context.draft(DRAFT)
    index = BroadcastAudienceValue.of(update).index
    choices: list[str] = draft.get("choices", [])
    if "kind" not in draft or not 0 <= index < len(choices):
        await show(update, texts.expired(context._))
        return BC_AUDIENCE_VALUE
    return await _choose_audience(
        update, context, Audience(AudienceKind(draft["kind"]), choices[index])
    )


async def broadcast_back_to_audience(update: Update, context: BotContext) -> str:
    """The « button of a value list."""
    return await _ask_audience(update, context)


NOBODY = N_("No one matches this audience. Choose another.")


async def _choose_audience(update: Update, context: BotContext, audience: Audience) -> str:
    reach = await context.services.broadcasts.reach(context.require_caller(), audience)
    if not reach.recipients:
        return await _ask_audience(update, context, note=context._(NOBODY))
    draft = context.draft(DRAFT)
    draft["audience"] = {"kind": audience.kind.value, "value": audience.value}
    _ = context._
    await show(
        update,
        _(
            "Is it urgent? Urgent messages are marked as such, and those who have not"
            " acknowledged them get a reminder."
        ),
        keyboard(
            [
                [
                    button(_.text(NORMAL), BroadcastUrgency(False)),
                    button(_.text(URGENT), BroadcastUrgency(True)),
                ]
            ]
        ),
    )
    return BC_URGENCY


NORMAL = N_("Normal")
URGENT = N_("🚨 Urgent")
SEND = N_("Send")
CANCEL = N_("Cancel")


async def broadcast_urgency(update: Update, context: BotContext) -> str:
    """Show the message as recipients will see it, with the number of recipients."""
    draft = context.draft(DRAFT)
    if "audience" not in draft or "text" not in draft:
        await show(update, texts.expired(context._))
        return ConversationHandler.END  # type: ignore[return-value]
    draft["urgent"] = BroadcastUrgency.of(update).urgent
    await answer(update)
    caller = context.require_caller()
    reach = await context.services.broadcasts.reach(caller, _audience(draft))
    _ = context._
    preview = _render(context, draft)(_.language)
    await _send_rendered(update, context, preview)
    summary = _.plural(
        "This goes to {count} recipient.",
        "This goes to {count} recipients.",
        len(reach.recipients),
    )
    if reach.unreachable:
        summary += Markup(" ") + _.plural(
            "{count} member has blocked the bot and is left out.",
            "{count} members have blocked the bot and are left out.",
            reach.unreachable,
        )
    await reply(
        update,
        summary,
        keyboard(
            [[button(_.text(SEND), BroadcastSend()), button(_.text(CANCEL), BroadcastCancel())]]
        ),
    )
    return BC_CONFIRM


async def _send_rendered(update: Update, context: BotContext, rendered: Rendered) -> None:
    chat = update.effective_chat
    assert chat is not None
    if rendered.media_kind == "photo" and rendered.media_file_id:
        await context.bot.send_photo(chat.id, rendered.media_file_id, caption=rendered.text)
    elif rendered.media_kind == "document" and rendered.media_file_id:
        await context.bot.send_document(chat.id, rendered.media_file_id, caption=rendered.text)
    else:
        await reply(update, rendered.text)


def _audience(draft: dict[str, Any]) -> Audience:
    return Audience(AudienceKind(draft["audience"]["kind"]), draft["audience"]["value"])


def _render(context: BotContext, draft: dict[str, Any]) -> Any:
    """How the broadcast reads in each language."""
    caller = context.require_caller()
    membership = caller.require_membership()
    body = escape(draft["text"])

    def render(language: str) -> Rendered:
        text = broadcast_message(
            translator(language),
            author=caller.identity.name,
            partnership=membership.partnership.name,
            body=body,
            urgent=bool(draft.get("urgent")),
        )
        return Rendered(str(text), draft.get("media_kind"), draft.get("file_id"))

    return render


async def broadcast_send(update: Update, context: BotContext) -> int:
    """Queue the broadcast and show its progress, which the worker keeps up to date."""
    draft = context.draft(DRAFT)
    if "audience" not in draft or "urgent" not in draft:
        await show(update, texts.expired(context._))
        return ConversationHandler.END
    caller = context.require_caller()
    membership = caller.require_membership()
    broadcast_id, _recipients = await context.services.broadcasts.send(
        caller,
        audience=_audience(draft),
        body=draft["text"],
        urgent=bool(draft["urgent"]),
        render=_render(context, draft),
        idempotency_key=draft["key"],
        remind_after=timedelta(minutes=context.settings.urgent_reminder_minutes),
    )
    context.discard_draft(DRAFT)
    summary = await context.services.broadcasts.summary(broadcast_id)
    _ = context._
    status = await show(
        update,
        broadcast_status(_, summary, membership.partnership.timezone),
        InlineKeyboardMarkup([[button("👥", AlertOpen(broadcast_id))]]),
    )
    if status is not None:
        await context.services.broadcasts.set_status_message(
            broadcast_id, status.chat_id, status.message_id
        )
    if context.partnerbot.worker is not None:
        context.partnerbot.worker.progress(broadcast_id)
    return ConversationHandler.END


async def broadcast_cancel_button(update: Update, context: BotContext) -> int:
    """The Cancel button of the preview."""
    context.discard_draft(DRAFT)
    await show(update, context._("Cancelled. Nothing was sent."))
    return ConversationHandler.END


async def broadcast_back(update: Update, context: BotContext) -> str:
    """/back: one step back."""
    draft = context.draft(DRAFT)
    if "urgent" in draft:
        draft.pop("urgent")
        return await _ask_audience(update, context)
    if "audience" in draft or "kind" in draft:
        draft.pop("audience", None)
        draft.pop("kind", None)
        return await _ask_audience(update, context)
    draft.pop("text", None)
    await reply(update, context._("Write the message to broadcast again, or /cancel."))
    return BC_TEXT


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
        buttons.append(button(str(number), AlertOpen(summary.broadcast.id)))
    await show(update, Markup("\n").join(lines), keyboard(in_rows(buttons, 5)))


async def alert_detail(update: Update, context: BotContext) -> None:
    """One broadcast: figures, who has not acknowledged it, who could not be reached."""
    _ = context._
    broadcast_id = AlertOpen.of(update).broadcast_id
    caller = context.require_caller()
    membership = caller.require(Capability.BROADCAST)
    summary, waiting, unreachable = await context.services.broadcasts.detail(caller, broadcast_id)
    parts = [broadcast_status(_, summary, membership.partnership.timezone)]
    if waiting:
        parts.append(_("Not acknowledged yet: {names}", names=", ".join(waiting)))
    else:
        parts.append(_("Everyone has acknowledged."))
    if unreachable:
        parts.append(_("Could not be reached: {names}", names=", ".join(unreachable)))
    await show(update, Markup("\n\n").join(parts), keyboard([[button("«", AlertList())]]))
