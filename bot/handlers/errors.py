"""The global error handler: refusals get their explanation, bugs a polite apology."""

from __future__ import annotations

import logging

from telegram import InlineQueryResultsButton, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.context import BotContext
from bot.handlers.start import HELP_PAYLOAD
from bot.messaging import reply
from bot.views import texts
from services.errors import ServiceError
from services.throttle import Throttled

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    """Tell the person what happened in their language; never show internals."""
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update", exc_info=error)
        return
    await _find_their_language(update, context)
    _ = context._
    if isinstance(error, ServiceError):
        # The class only: some refusals quote what the person typed.
        log.info("update %s refused: %s", update.update_id, type(error).__name__)
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
            # No results; a refusal to wait is said on the button above them.
            wait = isinstance(error, Throttled)
            button = InlineQueryResultsButton(
                text=message.striptags(), start_parameter=HELP_PAYLOAD
            )
            await update.inline_query.answer(
                [], cache_time=0, is_personal=True, button=button if wait else None
            )
        else:
            await reply(update, message)
    except (BadRequest, Forbidden):
        log.info("could not tell user about the error of update %s", update.update_id)
    except TelegramError:
        log.warning(
            "telegram refused the error reply of update %s", update.update_id, exc_info=True
        )


async def _find_their_language(update: Update, context: BotContext) -> None:
    """PTB gives the error handler a fresh context, without the caller the gate found:
    find the person again, so that the answer is in their language."""
    user = update.effective_user
    if context.caller is not None or user is None:
        return
    context.remember_telegram_language(user.language_code)
    try:
        context.caller = await context.services.access.identify_known(user.id)
    except Exception:  # the error may be the database's: Telegram's language will do
        log.warning("could not look up user %s for the error reply", user.id, exc_info=True)
