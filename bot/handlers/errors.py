"""The global error handler: refusals get their explanation, bugs a polite apology."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError

from bot import texts
from bot.context import BotContext
from bot.messaging import reply
from services.errors import ServiceError

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Tell the person what happened in their language; never show internals."""
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update", exc_info=error)
        return
    # PTB gives error handlers a fresh context: find the person's language again.
    user = update.effective_user
    if user is not None:
        context.remember_telegram_language(user.language_code)
        context.caller = await context.services.access.identify_known(user.id)
    _ = context._
    if isinstance(error, ServiceError):
        log.info("update %s refused: %r", update.update_id, error)
        message = texts.explain(_, error)
    else:
        log.error(
            "error while handling update %s (user %s, chat %s)",
            update.update_id,
            update.effective_user.id if update.effective_user else None,
            update.effective_chat.id if update.effective_chat else None,
            exc_info=error,
        )
        message = _("Sorry, something went wrong on my side. Please try again in a moment.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(message.striptags()[:200], show_alert=True)
        elif update.inline_query is not None:
            await update.inline_query.answer([], cache_time=0, is_personal=True)
        else:
            await reply(update, message)
    except (BadRequest, Forbidden):
        log.info("could not tell user about the error of update %s", update.update_id)
    except TelegramError:
        log.warning(
            "telegram refused the error reply of update %s", update.update_id, exc_info=True
        )
