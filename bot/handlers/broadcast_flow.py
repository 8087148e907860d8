"""/broadcast on the flow engine: the message (a text, or a photo or document with a caption)
→ the audience (→ the role, country or organisation) → urgency → the review, which is the
preview as recipients will read it with the number of recipients; its Save button sends."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from markupsafe import Markup, escape
from telegram import InlineKeyboardMarkup, Message, Update

from bot.callbacks import AlertOpen
from bot.context import BotContext
from bot.flows.engine import Choice, Flow, Invalid, Step, Turn
from bot.i18n import N_, Translator, translator
from bot.messaging import reply, show
from bot.views import texts
from bot.views.broadcasts import broadcast_message, broadcast_status
from bot.views.keyboards import button
from bot.views.render import shorten
from domain.models import Role
from services.access import Capability
from services.broadcasts import MAX_CAPTION, MAX_TEXT, Audience, AudienceKind, check_body
from services.errors import InvalidInput
from services.outbox import Rendered

AUDIENCE_LABELS = {
    AudienceKind.EVERYONE: N_("Everyone in the partnership"),
    AudienceKind.ROLE: N_("By role"),
    AudienceKind.COUNTRY: N_("By country"),
    AudienceKind.ORGANISATION: N_("By organisation"),
    AudienceKind.GROUPS: N_("The linked group chats"),
}
#: The audiences narrowed to one role, country or organisation (a value step follows).
VALUED = (AudienceKind.ROLE, AudienceKind.COUNTRY, AudienceKind.ORGANISATION)
#: Buttons of a value list: more would not fit a phone screen.
MAX_CHOICES = 30
NOBODY = N_("No one matches this audience. Choose another.")
NORMAL = N_("Normal")
URGENT = N_("🚨 Urgent")
SEND = N_("Send")
CANCEL = N_("Cancel")


@dataclass(frozen=True, slots=True)
class BroadcastDraft:
    """A broadcast in the making."""

    text: str = ""
    media_kind: str | None = None
    file_id: str | None = None
    kind: AudienceKind | None = None
    value: str | None = None
    urgent: bool | None = None

    def audience(self) -> Audience | None:
        """Who it goes to, once chosen."""
        if self.kind is None or (self.kind in VALUED and self.value is None):
            return None
        return Audience(self.kind, self.value)


# -- the message ---------------------------------------------------------------------------------


async def _message_question(turn: Turn[BroadcastDraft]) -> Markup:
    return turn._("Write the message to broadcast: a text, or a photo or document with a caption.")


def _body(
    turn: Turn[BroadcastDraft], text: str, media_kind: str | None, file_id: str | None
) -> BroadcastDraft:
    try:
        body = check_body(text, with_media=media_kind is not None)
    except InvalidInput as error:
        raise Invalid(_too_long(turn._, len(text.strip()), media_kind is not None)) from error
    return replace(turn.draft, text=body, media_kind=media_kind, file_id=file_id)


def _too_long(_: Translator, length: int, with_media: bool) -> Markup:
    if length == 0:
        return _("The message is empty. Write the text to broadcast, or /cancel.")
    return _(
        "The message has {length} characters; at most {limit} fit. Shorten it, or split it"
        " into several broadcasts.",
        length=length,
        limit=MAX_CAPTION if with_media else MAX_TEXT,
    )


async def _message_read(turn: Turn[BroadcastDraft], text: str) -> BroadcastDraft:
    return _body(turn, text, None, None)


async def _message_taken(turn: Turn[BroadcastDraft], message: Message) -> BroadcastDraft:
    """A photo or a document with its caption; anything else is explained."""
    caption = message.caption or ""
    if message.photo:
        return _body(turn, caption, "photo", message.photo[-1].file_id)
    if message.document:
        return _body(turn, caption, "document", message.document.file_id)
    raise Invalid(turn._("Send a text, a photo or a document with a caption, or /cancel."))


def _message_shown(_: Translator, draft: BroadcastDraft) -> str:
    icon = {"photo": "📷 ", "document": "📄 "}.get(draft.media_kind or "", "")
    return (icon + shorten(draft.text, 60)).strip()


# -- the audience --------------------------------------------------------------------------------


async def _audience_question(turn: Turn[BroadcastDraft]) -> Markup:
    return turn._("Who should receive it?")


async def _audience_choices(turn: Turn[BroadcastDraft]) -> list[Choice]:
    return [Choice(turn._.text(AUDIENCE_LABELS[kind]), kind.value) for kind in AudienceKind]


async def _reaches_somebody(turn: Turn[BroadcastDraft], audience: Audience) -> None:
    reach = await turn.context.services.broadcasts.reach(turn.context.require_caller(), audience)
    if not reach.recipients:
        raise Invalid(turn._(NOBODY))


async def _audience_chosen(turn: Turn[BroadcastDraft], value: str) -> BroadcastDraft:
    """Everyone or the groups: on to urgency; a role, country or organisation: its list."""
    kind = next((k for k in AudienceKind if k.value == value), None)
    if kind is None:
        raise Invalid(texts.expired(turn._))
    if kind not in VALUED:
        await _reaches_somebody(turn, Audience(kind))
        return replace(turn.draft, kind=kind, value=None)
    values = await turn.context.services.broadcasts.choices(turn.context.require_caller(), kind)
    if not values:
        raise Invalid(turn._(NOBODY))
    turn.extra["values"] = values[:MAX_CHOICES]
    turn.ask_next("value")  # from the review too: a new kind needs its value
    return replace(turn.draft, kind=kind, value=None)


def _audience_shown(_: Translator, draft: BroadcastDraft) -> str:
    return _.text(AUDIENCE_LABELS[draft.kind]) if draft.kind is not None else ""


async def _value_question(turn: Turn[BroadcastDraft]) -> Markup:
    return turn._("Choose one:")


def _value_label(_: Translator, kind: AudienceKind | None, value: str) -> str:
    return texts.role_name(_, Role(value)) if kind is AudienceKind.ROLE else value


async def _value_choices(turn: Turn[BroadcastDraft]) -> list[Choice]:
    kind = turn.draft.kind
    values: list[str] = turn.extra.get("values") or []
    return [
        Choice(_value_label(turn._, kind, value)[:60], str(index))
        for index, value in enumerate(values)
    ]


async def _value_chosen(turn: Turn[BroadcastDraft], chosen: str) -> BroadcastDraft:
    values: list[str] = turn.extra.get("values") or []
    kind = turn.draft.kind
    if kind not in VALUED or not chosen.isdigit() or int(chosen) >= len(values):
        raise Invalid(texts.expired(turn._))
    value = values[int(chosen)]
    await _reaches_somebody(turn, Audience(kind, value))
    return replace(turn.draft, value=value)


# -- urgency -------------------------------------------------------------------------------------


async def _urgency_question(turn: Turn[BroadcastDraft]) -> Markup:
    return turn._(
        "Is it urgent? Urgent messages are marked as such, and those who have not"
        " acknowledged them get a reminder."
    )


async def _urgency_choices(turn: Turn[BroadcastDraft]) -> list[Choice]:
    return [Choice(turn._.text(NORMAL), "0"), Choice(turn._.text(URGENT), "1")]


async def _urgency_chosen(turn: Turn[BroadcastDraft], value: str) -> BroadcastDraft:
    return replace(turn.draft, urgent=value == "1")


def _urgency_shown(_: Translator, draft: BroadcastDraft) -> str:
    return "" if draft.urgent is None else _.text(URGENT if draft.urgent else NORMAL)


# -- the preview, Send and Cancel ----------------------------------------------------------------


def _render(context: BotContext, draft: BroadcastDraft) -> Callable[[str], Rendered]:
    """How the broadcast reads in each language."""
    caller = context.require_caller()
    membership = caller.require_membership()
    body = escape(draft.text)

    def render(language: str) -> Rendered:
        text = broadcast_message(
            translator(language),
            author=caller.identity.name,
            partnership=membership.partnership.name,
            body=body,
            urgent=bool(draft.urgent),
        )
        return Rendered(str(text), draft.media_kind, draft.file_id)

    return render


async def _send_rendered(update: Update, context: BotContext, rendered: Rendered) -> None:
    chat = update.effective_chat
    assert chat is not None
    if rendered.media_kind == "photo" and rendered.media_file_id:
        await context.bot.send_photo(chat.id, rendered.media_file_id, caption=rendered.text)
    elif rendered.media_kind == "document" and rendered.media_file_id:
        await context.bot.send_document(chat.id, rendered.media_file_id, caption=rendered.text)
    else:
        await reply(update, rendered.text)


async def _preview(turn: Turn[BroadcastDraft]) -> Markup:
    """The review: the message as recipients will read it (a message of its own, as they
    get it), then the number of recipients above Send."""
    _, draft = turn._, turn.draft
    await _send_rendered(turn.update, turn.context, _render(turn.context, draft)(_.language))
    audience = draft.audience()
    caller = turn.context.require_caller()
    reach = (
        None if audience is None else await turn.context.services.broadcasts.reach(caller, audience)
    )
    count = 0 if reach is None else len(reach.recipients)
    summary = _.plural("This goes to {count} recipient.", "This goes to {count} recipients.", count)
    if reach is not None and reach.unreachable:
        summary += Markup(" ") + _.plural(
            "{count} member has blocked the bot and is left out.",
            "{count} members have blocked the bot and are left out.",
            reach.unreachable,
        )
    return summary


async def _send(turn: Turn[BroadcastDraft]) -> None:
    """Send: queue the broadcast once (a second press finds the flow ended; the key guards
    the rest) and show its progress, which the worker keeps up to date."""
    draft, context = turn.draft, turn.context
    audience = draft.audience()
    if audience is None or draft.urgent is None:
        raise Invalid(turn._(NOBODY))
    await _reaches_somebody(turn, audience)
    caller = context.require_caller()
    membership = caller.require_membership()
    broadcast_id, _recipients = await context.services.broadcasts.send(
        caller,
        audience=audience,
        body=draft.text,
        urgent=draft.urgent,
        render=_render(context, draft),
        idempotency_key=str(turn.extra["key"]),
        remind_after=timedelta(minutes=context.settings.urgent_reminder_minutes),
    )
    summary = await context.services.broadcasts.summary(broadcast_id)
    status = await show(
        turn.update,
        broadcast_status(turn._, summary, membership.partnership.timezone),
        InlineKeyboardMarkup([[button("👥", AlertOpen(broadcast_id))]]),
    )
    if status is not None:
        await context.services.broadcasts.set_status_message(
            broadcast_id, status.chat_id, status.message_id
        )
    if context.partnerbot.worker is not None:
        context.partnerbot.worker.progress(broadcast_id)


async def _cancelled(turn: Turn[BroadcastDraft], value: str) -> object:
    """The preview's Cancel button."""
    await show(turn.update, turn._("Cancelled. Nothing was sent."))
    return FLOW.end(turn)


FLOW: Flow[BroadcastDraft] = Flow(
    name="broadcast",
    title=N_("a broadcast"),
    draft=BroadcastDraft,
    steps=(
        Step(
            name="message",
            label=N_("Message"),
            question=_message_question,
            shows=_message_shown,
            reads=_message_read,
            takes=_message_taken,
            required=True,
        ),
        Step(
            name="audience",
            label=N_("Audience"),
            question=_audience_question,
            shows=_audience_shown,
            choices=_audience_choices,
            chosen=_audience_chosen,
            required=True,
            per_row=1,
        ),
        Step(
            name="value",
            label=N_("Recipients"),
            question=_value_question,
            shows=lambda _, draft: _value_label(_, draft.kind, draft.value) if draft.value else "",
            choices=_value_choices,
            chosen=_value_chosen,
            required=True,
            asked_if=lambda draft: draft.kind in VALUED,
        ),
        Step(
            name="urgency",
            label=N_("Urgency"),
            question=_urgency_question,
            shows=_urgency_shown,
            choices=_urgency_choices,
            chosen=_urgency_chosen,
            required=True,
        ),
    ),
    summary=_preview,
    save=_send,
    save_label=SEND,
    review_actions=lambda turn: [(turn._.text(CANCEL), "cancel", "0")],
    actions={"cancel": _cancelled},
)


async def broadcast_start(update: Update, context: BotContext) -> object:
    """/broadcast: ask for the message. The key makes Send idempotent for this draft."""
    context.require_caller().require(Capability.BROADCAST)
    return await FLOW.start(update, context, BroadcastDraft(), key=uuid.uuid4().hex)
