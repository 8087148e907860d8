"""/retention (admins, in private): how long the partnership keeps what it no longer needs,
each rule changed with its own buttons."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.callbacks import RetentionMenu, RetentionRule, RetentionSet
from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.messaging import show
from bot.views.keyboards import button, in_rows, keyboard
from bot.views.render import bold
from services.access import Capability
from services.retention import SPECS, Rule, Rules, Unit

#: What each rule removes, as its line of /retention says it.
LABELS = {
    Rule.SENT_MESSAGES: N_("Texts of sent messages (counts and acknowledgements stay)"),
    Rule.DRAFTS: N_("Unfinished drafts"),
    Rule.CHALLENGE_FILES: N_("Attachments and map pins of resolved or dismissed challenges"),
    Rule.DEPARTED_MEMBERS: N_("Names, usernames and phones of people who left"),
}
#: The short name of each rule, on its button.
SHORT = {
    Rule.SENT_MESSAGES: N_("Sent messages"),
    Rule.DRAFTS: N_("Drafts"),
    Rule.CHALLENGE_FILES: N_("Challenge files"),
    Rule.DEPARTED_MEMBERS: N_("People who left"),
}
NEVER = N_("never removed")
BACK = N_("Back")


def period(_: Translator, rule: Rule, value: int | None) -> Markup:
    """A rule's value in words: "after 30 days", "never removed"."""
    if value is None:
        return _(NEVER)
    if SPECS[rule].unit is Unit.MONTHS:
        return _.plural("after {count} month", "after {count} months", value)
    return _.plural("after {count} day", "after {count} days", value)


def rules_text(_: Translator, rules: Rules, partnership: str) -> Markup:
    """Every rule of a partnership, one line each."""
    lines = [
        _(
            "What {partnership} keeps, and for how long. Every day, what is older is removed:",
            partnership=bold(partnership),
        )
    ]
    lines += [
        Markup("• ")
        + _("{rule}: {period}", rule=_.text(LABELS[rule]), period=period(_, rule, rules[rule]))
        for rule in Rule
    ]
    return Markup("\n").join(lines)


async def retention_menu(update: Update, context: BotContext) -> None:
    """The partnership's rules, with a button per rule (admins only)."""
    _ = context._
    membership = context.require_caller().require(Capability.MANAGE_RETENTION)
    rules = await context.services.retention.rules(membership.partnership)
    buttons = [button("✎ " + _.text(SHORT[rule]), RetentionRule(rule)) for rule in Rule]
    await show(
        update,
        rules_text(_, rules, membership.partnership.name)
        + Markup("\n\n")
        + _("Choose a rule to change:"),
        keyboard(in_rows(buttons, 2)),
    )


async def menu_pressed(update: Update, context: BotContext) -> None:
    """Back to the rules."""
    await retention_menu(update, context)


async def rule_pressed(update: Update, context: BotContext) -> None:
    """The choices of one rule, the current one ticked."""
    await _choices(update, context, RetentionRule.of(update).rule)


async def value_chosen(update: Update, context: BotContext) -> None:
    """A value chosen for a rule (the service checks the caller is an admin)."""
    pressed = RetentionSet.of(update)
    await context.services.retention.set_rule(
        context.require_caller(), pressed.rule, pressed.value or None
    )
    await retention_menu(update, context)


async def _choices(update: Update, context: BotContext, rule: Rule) -> None:
    _ = context._
    membership = context.require_caller().require(Capability.MANAGE_RETENTION)
    current = (await context.services.retention.rules(membership.partnership))[rule]
    spec = SPECS[rule]
    values: list[int | None] = [*spec.choices, *([None] if spec.may_be_off else [])]

    def label(value: int | None) -> str:
        ticked = "✓ " if value == current else ""
        return ticked + str(period(_, rule, value))

    choices = [button(label(value), RetentionSet(rule, value or 0)) for value in values]
    rows = [*in_rows(choices, 2), [button("‹ " + _.text(BACK), RetentionMenu())]]
    await show(
        update,
        bold(_.text(LABELS[rule])) + Markup("\n") + _("Choose when they are removed:"),
        keyboard(rows),
    )


def handlers(private: filters.BaseFilter) -> list[BaseHandler[Update, BotContext, Any]]:
    """/retention (in `private` chats) and its buttons, for the handler list."""
    return [
        CommandHandler("retention", retention_menu, filters=private),
        CallbackQueryHandler(menu_pressed, pattern=RetentionMenu.pattern()),
        CallbackQueryHandler(rule_pressed, pattern=RetentionRule.pattern()),
        CallbackQueryHandler(value_chosen, pattern=RetentionSet.pattern()),
    ]
