"""/privacy: what Partnerbot keeps about a person, why, who sees it, for how long, and how to
see it; /mydata: all of it, as a file."""

from __future__ import annotations

from pathlib import Path

from markupsafe import escape
from telegram import Update
from telegram.constants import ChatAction

from bot.context import BotContext
from bot.messaging import reply
from bot.throttling import spend
from bot.views import privacy as views
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
