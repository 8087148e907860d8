"""/audit: the partnership's audit log for its admins, page by page, filtered by person, kind
of action and period."""

from __future__ import annotations

from telegram import Update

from bot.callbacks import AuditFamilyFilter, AuditKinds, AuditPage, AuditPeople
from bot.context import BotContext
from bot.messaging import show
from bot.views import audit as views
from services.access import Capability
from services.audit import MAX_DAYS, AuditFamily, AuditFilter


async def audit_command(update: Update, context: BotContext) -> None:
    """/audit, /audit @username, /audit DAYS, or both: the newest entries."""
    caller = context.require_caller()
    caller.require(Capability.READ_AUDIT)
    actor: int | None = None
    days = 0
    for word in context.args or []:
        if word.startswith("@") and len(word) > 1 and actor is None:
            actor = await context.services.audit.actor_by_username(caller, word)
        elif word.isdigit() and not days and 0 < int(word) <= MAX_DAYS:
            days = int(word)
        else:
            _ = context._
            await show(
                update,
                _(
                    "Write /audit for the newest entries, /audit @username for one person's,"
                    " /audit DAYS for those of the last days (at most {max}), or both.",
                    max=MAX_DAYS,
                ),
            )
            return
    await _show(update, context, 0, AuditFilter(actor, None, days))


async def audit_page(update: Update, context: BotContext) -> None:
    """A page button, or a filter chosen in a menu."""
    pressed = AuditPage.of(update)
    filters = AuditFilter(pressed.actor or None, _family(pressed.family), pressed.days)
    await _show(update, context, pressed.page, filters)


async def audit_people(update: Update, context: BotContext) -> None:
    """The People button: everyone who acted, a button each."""
    pressed = AuditPeople.of(update)
    people = await context.services.audit.actors(context.require_caller())
    _ = context._
    await show(
        update, views.people_text(_), views.people_keyboard(_, people, pressed.family, pressed.days)
    )


async def audit_kinds(update: Update, context: BotContext) -> None:
    """The Kinds button: the families of actions, a button each."""
    pressed = AuditKinds.of(update)
    context.require_caller().require(Capability.READ_AUDIT)
    _ = context._
    await show(update, views.kinds_text(_), views.kinds_keyboard(_, pressed.actor, pressed.days))


def _family(value: AuditFamilyFilter) -> AuditFamily | None:
    return None if value == "-" else AuditFamily(value)


async def _show(update: Update, context: BotContext, number: int, filters: AuditFilter) -> None:
    caller = context.require_caller()
    page = await context.services.audit.page(caller, number, filters)
    membership = caller.require(Capability.READ_AUDIT)
    _ = context._
    await show(
        update,
        views.audit_text(_, page, membership.partnership.name),
        views.audit_keyboard(_, page),
    )
