"""The access gate: runs first for every update (group -1)."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.callbacks import answered_in_private
from bot.context import BotContext
from bot.messaging import reply
from bot.views import texts
from services.access import TelegramIdentity

log = logging.getLogger(__name__)


async def gate(update: Update, context: BotContext) -> None:
    """Skip repeated updates, identify the caller, and stop strangers here."""
    if not await context.services.updates.claim(update.update_id):
        log.info("update %s was delivered again; handled already", update.update_id)
        raise ApplicationHandlerStop
    user = update.effective_user
    # Edits of old messages would replay commands and answers: they change nothing.
    if user is None or user.is_bot or update.edited_message or update.edited_channel_post:
        raise ApplicationHandlerStop
    context.remember_telegram_language(user.language_code)
    context.caller = await context.services.access.identify(
        TelegramIdentity(
            user_id=user.id,
            name=user.full_name,
            username=user.username,
            language_code=user.language_code,
        )
    )
    if not (context.caller.is_member or _is_start(update)):
        await _turn_away(update, context)
        raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None and not _pressed_by_its_addressee(query):
        log.warning("user %s pressed a button of a message meant for someone else", user.id)
        await query.answer(context._.text(texts.NOT_YOUR_BUTTON), show_alert=True)
        raise ApplicationHandlerStop


def _pressed_by_its_addressee(query: CallbackQuery) -> bool:
    """True if the person pressing is the one the message was for.

    A private chat's messages are for its one person. In a group, a message with buttons
    for one person answers (replies to) that person's command; other buttons there must
    answer in private. Forged presses on another person's message stop here, before any
    handler could act with the presser's rights on someone else's message.
    """
    message = query.message
    if message is None:  # a message sent through inline mode: none of ours has buttons
        return False
    if message.chat.type == ChatType.PRIVATE:
        return message.chat.id == query.from_user.id
    if answered_in_private(query.data):
        return True  # it shows the group nothing: anyone in the group may press it
    asked = message.reply_to_message if isinstance(message, Message) else None
    return (
        asked is not None
        and asked.from_user is not None
        and (asked.from_user.id == query.from_user.id)
    )


def _is_start(update: Update) -> bool:
    message = update.message
    return bool(
        message
        and message.chat.type == ChatType.PRIVATE
        and message.text
        and message.text.split(maxsplit=1)[0].split("@")[0] == "/start"
    )


async def _turn_away(update: Update, context: BotContext) -> None:
    """Tell a stranger how to get in, showing no data at all."""
    _ = context._
    if update.callback_query:
        await update.callback_query.answer(_.text(texts.STRANGER_SHORT), show_alert=True)
    elif update.inline_query:
        await update.inline_query.answer([], cache_time=0, is_personal=True)
    elif update.message and update.message.chat.type == ChatType.PRIVATE:
        await reply(update, texts.stranger(_))
    elif update.message and update.message.text and update.message.text.startswith("/"):
        # In groups only commands get an answer: the bot must not interrupt conversations.
        await reply(update, texts.stranger(_))
