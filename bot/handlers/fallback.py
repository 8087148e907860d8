"""Last-resort answers: unknown commands, unexpected messages, stale buttons, /cancel."""

from __future__ import annotations

from markupsafe import escape
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ConversationHandler

from bot.context import BotContext
from bot.flows.engine import FLOWS
from bot.i18n import Verbatim
from bot.messaging import answer, reply, text_of
from bot.views import texts
from bot.views.keyboards import keyboard


async def cancel(update: Update, context: BotContext, name: str | None = None) -> int:
    """Leave the current flow (`name`); what it collected is dropped, and the drafts other
    flows keep (for /resume) stay."""
    flows = (name,) if name is not None else tuple(FLOWS)
    for flow in flows:
        context.discard_draft(flow)
    await reply(
        update, context._("Stopped. Nothing was changed. Send /help to see what you can do.")
    )
    return ConversationHandler.END


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    """/cancel outside any flow."""
    await reply(update, context._("There is nothing to cancel."))


async def busy_in_flow(update: Update, context: BotContext, name: str | None = None) -> None:
    """Another command in the middle of a flow: the flow stays where it was, and the person
    is told which flow it is and shown its current question again (flows on the engine)."""
    _ = context._
    flow = FLOWS.get(name or "")
    if flow is not None:
        intro = _(
            "You are in the middle of {flow}. Answer the question below, or send /cancel to"
            " stop it.",
            flow=_.text(flow.title),
        )
        if await flow.show_again(update, context, intro):
            return
    await reply(
        update,
        _(
            "You are in the middle of something. Answer the last question above,"
            " or send /cancel to stop what you were doing."
        ),
    )


async def wrong_kind_of_answer(update: Update, context: BotContext) -> None:
    """Media, stickers or a location where the step expects text or a button."""
    await reply(
        update,
        context._("I expected a text or a button here. Answer the last question, or send /cancel."),
    )


async def use_the_buttons(update: Update, context: BotContext) -> None:
    """Typed text where the step expects a button press."""
    await reply(update, context._("Please choose with the buttons above, or send /cancel."))


async def private_only(update: Update, context: BotContext) -> None:
    """A command that works only in the private chat with the bot, sent in a group."""
    command = text_of(update).split(maxsplit=1)[0].split("@")[0]
    # Markup: a mention must stay intact, without the isolates added around values in Arabic.
    username = Verbatim(escape(context.bot.username))
    await reply(
        update,
        context._(
            "Use {command} in your private chat with me: @{username}",
            command=command,
            username=username,
        ),
    )


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot does not have (or not for this role)."""
    command = text_of(update).split(maxsplit=1)[0].split("@")[0]
    await reply(
        update,
        context._(
            "I do not know the command {command}. Send /help to see what you can do.",
            command=command,
        ),
    )


async def unexpected_message(update: Update, context: BotContext) -> None:
    """Any other message in a private chat, outside a flow."""
    if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
        return  # in groups the bot only answers commands
    await reply(update, context._("I did not understand that. Send /help to see what you can do."))


async def stale_button(update: Update, context: BotContext) -> None:
    """A button of an old message (the flow ended, or the bot was updated)."""
    await answer(update, context._.text(texts.BUTTON_EXPIRED))


async def resume_menu(update: Update, context: BotContext) -> None:
    """/resume: the drafts kept of flows left open too long, each with a button to continue."""
    _ = context._
    buttons = [b for flow in FLOWS.values() if (b := flow.resume_button(context)) is not None]
    if not buttons:
        await reply(update, _("You have no draft to continue."))
        return
    await reply(update, _("Your drafts:"), keyboard([[b] for b in buttons]))
