"""/start (joining with an invite) and /help."""

from __future__ import annotations

from functools import cache

from markupsafe import Markup
from telegram import Update
from telegram.constants import ChatType

from bot.commands import Where, commands_for, set_member_menu
from bot.context import BotContext
from bot.handlers.meeting_flow.flow import START_PAYLOAD as MEETING_PAYLOAD
from bot.i18n import Translator
from bot.messaging import reply
from bot.views import texts
from bot.views.render import bold
from domain.models import Role
from services.access import Caller

#: The payload of buttons that only lead to the private chat (from an inline answer): /help.
HELP_PAYLOAD = "help"


async def start(update: Update, context: BotContext) -> None:
    """Join with the invite code of a deep link, or greet a known member."""
    caller = context.require_caller()
    # Deep links open private chats; in a group, /start only greets.
    private = update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE
    code = context.args[0] if context.args and private else None
    if code is not None and code.split("_")[0] == MEETING_PAYLOAD:
        # The meeting flow takes its deep links (bot/handlers/meeting_flow/) before this
        # handler; one that reaches here is malformed. It is never an invite code.
        code = None
    if code == HELP_PAYLOAD:
        code = None  # not an invite: a member is greeted, anyone else told how to join
    if code is not None:
        await context.services.invites.redeem(code, caller.identity)
        caller = await context.services.access.identify(caller.identity)
        context.caller = caller
        _ = context._
        assert caller.membership is not None
        await set_member_menu(context.bot, caller.identity.user_id, caller.role, _.language)
        greeting = _(
            "Welcome to {partnership}! You joined as {role}.",
            partnership=bold(caller.membership.partnership.name),
            role=texts.role_name(_, caller.membership.role),
        )
        privacy = _("What Partnerbot keeps about you, and why: /privacy.")
        await reply(
            update, greeting + Markup("\n\n") + help_text(_, caller) + Markup("\n\n") + privacy
        )
        return
    _ = context._
    if caller.membership is None:
        await reply(update, texts.stranger(_))
        return
    greeting = _("Welcome back, {name}.", name=caller.identity.name)
    await reply(update, greeting + Markup("\n\n") + help_text(_, caller))


async def help_command(update: Update, context: BotContext) -> None:
    """List exactly the commands the caller's role may use (in a group: those that work
    there)."""
    chat = update.effective_chat
    in_group = chat is not None and chat.type != ChatType.PRIVATE
    await reply(update, help_text(context._, context.require_caller(), in_group=in_group))


def help_text(_: Translator, caller: Caller, *, in_group: bool = False) -> Markup:
    """The caller's partnership and role, then their commands (in a group: only the
    group's)."""
    membership = caller.membership
    assert membership is not None
    intro = _(
        "You work in {partnership} as {role}.",
        partnership=bold(membership.partnership.name),
        role=texts.role_name(_, membership.role),
    )
    return intro + _commands_of(_, membership.role, in_group)


@cache
def _commands_of(_: Translator, role: Role, in_group: bool) -> Markup:
    """The commands part of the help, the same for everyone of a role and language: made
    once (translators are shared, one per language)."""
    parts: list[Markup] = []
    if not in_group:
        parts += [Markup(""), _("What you can do:")]
        parts += [
            Markup("/{name} — {description}").format(name=c.name, description=_(c.description))
            for c in commands_for(role)
        ]
    in_groups = commands_for(role, Where.GROUP)
    if in_groups:
        parts += [Markup(""), _("In a group chat:")]
        parts += [
            Markup("/{name} — {description}").format(name=c.name, description=_(c.description))
            for c in in_groups
        ]
    return Markup("\n").join([Markup(""), *parts]) if parts else Markup("")
