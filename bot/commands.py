"""The commands Partnerbot offers, who may use them, and the command menus Telegram shows."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

from bot.i18n import N_, translator
from domain.models import LANGUAGES, Role
from services.access import Capability

log = logging.getLogger(__name__)


class Where(StrEnum):
    """Where a command is used."""

    PRIVATE = "private"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class Command:
    """One command: its name, a short description to translate, and who may use it."""

    name: str
    description: str
    capability: Capability
    where: Where = Where.PRIVATE


COMMANDS: tuple[Command, ...] = (
    Command("help", N_("What I can do for you"), Capability.READ),
    Command("flag", N_("Flag an emerging challenge"), Capability.FLAG_CHALLENGES),
    Command("challenges", N_("Open challenges: filters and summary"), Capability.READ),
    Command(
        "challenge_alerts", N_("Alerts of high and critical challenges: on or off"), Capability.READ
    ),
    Command("meeting", N_("Log a meeting"), Capability.LOG_MEETINGS),
    Command("meetings", N_("Meetings of the partnership: list and search"), Capability.READ),
    Command("actions", N_("Open follow-up actions of meetings"), Capability.READ),
    Command("resume", N_("Continue a draft left open"), Capability.READ),
    Command("milestones", N_("The action plan: progress, overdue, upcoming"), Capability.READ),
    Command("milestone", N_("One milestone and its history: /milestone CODE"), Capability.READ),
    Command("digest", N_("Your digest now; /digest settings for its schedule"), Capability.READ),
    Command("report", N_("A report for the period: PDF, Word or Excel"), Capability.READ),
    Command("calendar", N_("Meetings and due dates for your calendar"), Capability.READ),
    Command("contacts", N_("Search the partner contacts"), Capability.READ),
    Command("mycard", N_("Your own contact card in the directory"), Capability.READ),
    Command("partnership", N_("Switch to another partnership"), Capability.READ),
    Command("profile", N_("Your organisation and country"), Capability.READ),
    Command("language", N_("Choose your language"), Capability.READ),
    Command("privacy", N_("What is kept about you, and why"), Capability.READ),
    Command("mydata", N_("Everything stored about you, as a file"), Capability.READ),
    Command("leave", N_("Leave and be forgotten"), Capability.READ),
    Command("invite", N_("Invite someone; see and revoke invites"), Capability.INVITE),
    Command("members", N_("Members, roles and removals"), Capability.MANAGE_MEMBERS),
    Command("broadcast", N_("Send a message to the partnership"), Capability.BROADCAST),
    Command("alerts", N_("Recent broadcasts and who acknowledged"), Capability.BROADCAST),
    Command(
        "escalation",
        N_("When unacknowledged challenges are escalated"),
        Capability.CONFIGURE_ESCALATION,
    ),
    Command(
        "retention",
        N_("How long sent texts, drafts and departed names are kept"),
        Capability.MANAGE_RETENTION,
    ),
    Command("addcontact", N_("Add a partner contact"), Capability.MANAGE_CONTACTS),
    Command(
        "contacts_import",
        N_("Import contacts from a phone, Outlook, Google or a CSV file"),
        Capability.MANAGE_CONTACTS,
    ),
    Command(
        "contacts_export",
        N_("Export the contacts for a spreadsheet or a phone"),
        Capability.MANAGE_CONTACTS,
    ),
    Command("audit", N_("Who did what: the audit log"), Capability.READ_AUDIT),
    Command("cancel", N_("Stop what you are doing"), Capability.READ),
    Command(
        "linkgroup", N_("Link this group to your partnership"), Capability.LINK_GROUP, Where.GROUP
    ),
    Command("unlinkgroup", N_("Unlink this group"), Capability.LINK_GROUP, Where.GROUP),
    Command(
        "meeting",
        N_("Log a meeting of this group's partnership (in private)"),
        Capability.LOG_MEETINGS,
        Where.GROUP,
    ),
    Command(
        "digest",
        N_("The partnership's digest here; admins: /digest settings"),
        Capability.READ,
        Where.GROUP,
    ),
)


def commands_for(role: Role | None, where: Where = Where.PRIVATE) -> list[Command]:
    """Commands a role may use in private chats or in groups, in menu order."""
    if role is None:
        return []
    return [
        command
        for command in COMMANDS
        if command.where is where and role.at_least(command.capability.least_role)
    ]


def menu(role: Role | None, language: str, where: Where = Where.PRIVATE) -> list[BotCommand]:
    """The command menu of a role, translated."""
    text = translator(language).text
    if role is None:
        return [BotCommand("start", text(N_("Join with an invite")))]
    return [BotCommand(c.name, text(c.description)) for c in commands_for(role, where)]


async def set_default_menus(bot: Bot) -> None:
    """Set the menus every chat starts with, per language (called at start-up).

    The eighteen calls (three scopes, six languages) are independent of one another: they go
    out together, so that the bot starts polling after one round trip to Telegram, not after
    eighteen in a row (benchmarks/README.md, "Memory and start-up")."""
    calls = []
    for language in (None, *LANGUAGES):
        lang = language or "en"
        code = language or None
        members = menu(Role.MEMBER, lang)
        help_only = [c for c in members if c.command == "help"]
        calls += [
            bot.set_my_commands(
                members, scope=BotCommandScopeAllPrivateChats(), language_code=code
            ),
            bot.set_my_commands(
                help_only, scope=BotCommandScopeAllGroupChats(), language_code=code
            ),
            bot.set_my_commands(
                [*help_only, *menu(Role.ADMIN, lang, Where.GROUP)],
                scope=BotCommandScopeAllChatAdministrators(),
                language_code=code,
            ),
        ]
    await asyncio.gather(*calls)


async def set_member_menu(bot: Bot, chat_id: int, role: Role | None, language: str) -> None:
    """Give one person's private chat the menu of their role in their chosen language."""
    try:
        await bot.set_my_commands(menu(role, language), scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:
        # The menu is a convenience: a person who blocked the bot must not break the action.
        log.warning("could not set the command menu of chat %s: %s", chat_id, error)
