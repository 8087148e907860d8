"""Every handler of the bot, registered in one ordered place.

Groups run in ascending order; inside a group the first matching handler wins.
- group -1: the access gate (deduplication, identification, strangers stopped) for every update;
- group 0: flows first (so a flow's step sees its answers), then plain commands and buttons,
  then the fallbacks, which must stay last.
"""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.context import BotContext, PartnerbotApplication
from bot.handlers import access, admin, broadcasts, errors, fallback, preferences, start

# Flows are tracked per chat and user, not per message, on purpose: a flow's buttons and
# typed answers belong to the same step. PTB warns about that combination; we chose it.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)

PRIVATE = filters.ChatType.PRIVATE
TEXT = filters.TEXT & ~filters.COMMAND
NOT_TEXT = ~filters.TEXT & ~filters.StatusUpdate.ALL

PRIVATE_ONLY = ("language", "partnership", "members", "invite", "profile", "broadcast", "alerts")

Handler = BaseHandler[Update, BotContext, Any]


def _flow_fallbacks() -> list[Handler]:
    """What every flow understands at any step, besides its own answers."""
    return [
        CommandHandler("cancel", fallback.cancel),
        MessageHandler(filters.COMMAND, fallback.busy_in_flow),
        MessageHandler(NOT_TEXT, fallback.wrong_kind_of_answer),
        # Text at a step that expects a button (steps taking text match before this).
        MessageHandler(TEXT, fallback.use_the_buttons),
        CallbackQueryHandler(fallback.stale_button),
    ]


def invite_flow() -> ConversationHandler[BotContext]:
    """/invite: role → number of uses → validity → deep link."""
    back: Handler = CommandHandler("back", admin.invite_back)
    return ConversationHandler(
        name="invite",
        persistent=True,
        allow_reentry=True,
        entry_points=[CommandHandler("invite", admin.invite_start, filters=PRIVATE)],
        states={
            admin.INVITE_ROLE: [CallbackQueryHandler(admin.invite_role, pattern=r"^inv:role:")],
            admin.INVITE_USES: [
                CallbackQueryHandler(admin.invite_uses_pressed, pattern=r"^inv:uses:\d+$"),
                MessageHandler(TEXT, admin.invite_uses_typed),
                back,
            ],
            admin.INVITE_DAYS: [
                CallbackQueryHandler(admin.invite_days_pressed, pattern=r"^inv:days:\d+$"),
                MessageHandler(TEXT, admin.invite_days_typed),
                back,
            ],
        },
        fallbacks=_flow_fallbacks(),
    )


def profile_flow() -> ConversationHandler[BotContext]:
    """/profile: organisation → country."""
    return ConversationHandler(
        name="profile",
        persistent=True,
        allow_reentry=True,
        entry_points=[CommandHandler("profile", preferences.profile_start, filters=PRIVATE)],
        states={
            preferences.PROFILE_ORGANISATION: [
                CommandHandler("skip", preferences.profile_skip_organisation),
                MessageHandler(TEXT, preferences.profile_organisation),
            ],
            preferences.PROFILE_COUNTRY: [
                CommandHandler("skip", preferences.profile_skip_country),
                CommandHandler("back", preferences.profile_back),
                CallbackQueryHandler(preferences.profile_country_pressed, pattern=r"^pf:c:\d+$"),
                MessageHandler(TEXT, preferences.profile_country_typed),
            ],
        },
        fallbacks=_flow_fallbacks(),
    )


def broadcast_flow() -> ConversationHandler[BotContext]:
    """/broadcast: message → audience (→ value) → urgency → preview → send."""
    back: Handler = CommandHandler("back", broadcasts.broadcast_back)
    return ConversationHandler(
        name="broadcast",
        persistent=True,
        allow_reentry=True,
        entry_points=[CommandHandler("broadcast", broadcasts.broadcast_start, filters=PRIVATE)],
        states={
            broadcasts.BC_TEXT: [
                MessageHandler(
                    TEXT | filters.PHOTO | filters.Document.ALL, broadcasts.broadcast_text
                ),
                MessageHandler(NOT_TEXT, broadcasts.broadcast_wrong_media),
            ],
            broadcasts.BC_AUDIENCE: [
                CallbackQueryHandler(broadcasts.broadcast_audience, pattern=r"^bc:aud:[a-z]+$"),
                back,
            ],
            broadcasts.BC_AUDIENCE_VALUE: [
                CallbackQueryHandler(broadcasts.broadcast_audience_value, pattern=r"^bc:val:\d+$"),
                CallbackQueryHandler(broadcasts.broadcast_back_to_audience, pattern=r"^bc:back$"),
                back,
            ],
            broadcasts.BC_URGENCY: [
                CallbackQueryHandler(broadcasts.broadcast_urgency, pattern=r"^bc:urg:[01]$"),
                back,
            ],
            broadcasts.BC_CONFIRM: [
                CallbackQueryHandler(broadcasts.broadcast_send, pattern=r"^bc:send$"),
                CallbackQueryHandler(broadcasts.broadcast_cancel_button, pattern=r"^bc:cancel$"),
                back,
            ],
        },
        fallbacks=_flow_fallbacks(),
    )


def register(application: PartnerbotApplication) -> None:
    """Add every handler in order, and the error handler."""
    application.add_handler(TypeHandler(Update, access.gate), group=-1)
    handlers: list[Handler] = [
        # Flows come first: while one is open, its steps take the messages.
        invite_flow(),
        profile_flow(),
        broadcast_flow(),
        CommandHandler("start", start.start),
        CommandHandler("help", start.help_command),
        CommandHandler("language", preferences.language_menu, filters=PRIVATE),
        CallbackQueryHandler(preferences.language_chosen, pattern=r"^lang:[a-z]{2}$"),
        CommandHandler("partnership", preferences.partnership_menu, filters=PRIVATE),
        CallbackQueryHandler(preferences.partnership_chosen, pattern=r"^ps:\d+$"),
        CommandHandler("members", admin.members_list, filters=PRIVATE),
        CallbackQueryHandler(admin.members_list, pattern=r"^mem:page:\d+$"),
        CallbackQueryHandler(admin.member_open, pattern=r"^mem:open:\d+:\d+$"),
        CallbackQueryHandler(admin.member_role, pattern=r"^mem:role:\d+:[a-z]+:\d+$"),
        CallbackQueryHandler(admin.member_remove, pattern=r"^mem:rm:\d+:\d+$"),
        CallbackQueryHandler(admin.member_remove_confirmed, pattern=r"^mem:rmok:\d+:\d+$"),
        CallbackQueryHandler(broadcasts.acknowledge, pattern=r"^ack:\d+$"),
        CommandHandler("alerts", broadcasts.alerts, filters=PRIVATE),
        CallbackQueryHandler(broadcasts.alerts, pattern=r"^al:list$"),
        CallbackQueryHandler(broadcasts.alert_detail, pattern=r"^al:open:\d+$"),
        CommandHandler("linkgroup", admin.link_group),
        CommandHandler("unlinkgroup", admin.unlink_group),
        CommandHandler("cancel", fallback.nothing_to_cancel),
        # Private-only commands sent in a group: point to the private chat.
        CommandHandler(PRIVATE_ONLY, fallback.private_only),
        # Fallbacks: must stay last.
        MessageHandler(filters.COMMAND, fallback.unknown_command),
        MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, fallback.unexpected_message),
        CallbackQueryHandler(fallback.stale_button),
    ]
    application.add_handlers(handlers, group=0)
    application.add_error_handler(errors.on_error)
