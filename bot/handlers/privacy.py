"""/privacy: what Partnerbot keeps about a person, why, who sees it, for how long, and how to
see it; /mydata: all of it, as a file; /leave: leaving and being forgotten, asked twice."""

from __future__ import annotations

from pathlib import Path

from markupsafe import escape
from telegram import Update
from telegram.constants import ChatAction

from bot.callbacks import LeaveConfirmed, StayHere
from bot.context import BotContext
from bot.messaging import reply, show
from bot.throttling import spend
from bot.views import privacy as views
from bot.views.keyboards import button, keyboard
from bot.views.render import bold
from services.errors import InvalidInput
from services.throttle import Expense


async def privacy(update: Update, context: BotContext) -> None:
    """The privacy notice in the person's language (or the operator's own text)."""
    _ = context._
    replaced = _operator_notice(context.settings.privacy_notice_file, _.language)
    if replaced is not None:
        await reply(update, escape(replaced))
        return
    await reply(update, views.notice(_, context.settings.privacy_contact))


def _operator_notice(pattern: str, language: str) -> str | None:
    """The operator's notice for this language, if they gave one that can be read."""
    if not pattern:
        return None
    path = Path(pattern.replace("{language}", language))
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


async def my_data(update: Update, context: BotContext) -> None:
    """Everything stored about the person, as a JSON file, and a summary of it."""
    _ = context._
    caller = context.require_caller()
    spend(context, Expense.EXPORT)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    data = await context.services.personal_data.of_caller(caller)
    now = context.services.clock()
    await chat.send_document(
        document=data.as_json(now.isoformat()),
        filename=f"partnerbot-my-data-{now.strftime('%Y-%m-%d')}.json",
        caption=_("Everything Partnerbot stores about you, as JSON."),
    )
    await reply(update, views.summary(_, data.counts))


async def leave(update: Update, context: BotContext) -> None:
    """/leave: leaving every partnership and being forgotten, asked twice."""
    _ = context._
    caller = context.require_caller()
    caller.require_membership()
    names = [m.partnership.name for m in await context.services.access.memberships(caller)]
    await reply(
        update,
        _(
            "Leave {partnerships} and be forgotten? You leave every partnership you belong to;"
            " your name, card, settings and drafts are erased, and what you wrote stays in the"
            " partnerships' record as written by a former member.",
            partnerships=_.join(names),
        ),
        keyboard(
            [
                [
                    button(_.text(views.LEAVE), LeaveConfirmed(1)),
                    button(_.text(views.STAY), StayHere()),
                ]
            ]
        ),
    )


async def leave_pressed(update: Update, context: BotContext) -> None:
    """The first Leave asks once more; the second erases."""
    _ = context._
    step = LeaveConfirmed.of(update).step
    context.require_caller()
    if step == 1:
        await show(
            update,
            _("This cannot be undone. Leave and erase everything about you?"),
            keyboard(
                [
                    [
                        button(_.text(views.LEAVE_FOR_GOOD), LeaveConfirmed(2)),
                        button(_.text(views.STAY), StayHere()),
                    ]
                ]
            ),
        )
        return
    try:
        left = await context.services.erasure.leave(context.require_caller())
    except InvalidInput as refused:
        await show(
            update,
            _(
                "You are the only admin of {partnership}: make someone else admin with"
                " /members first, then leave.",
                partnership=bold(refused.problem),
            ),
        )
        return
    await show(
        update,
        _(
            "You left {partnerships} and your data is erased. Goodbye.",
            partnerships=_.join(left),
        ),
    )


async def stay(update: Update, context: BotContext) -> None:
    """Stay: nothing changes."""
    await show(update, context._("Good: nothing changed."))
