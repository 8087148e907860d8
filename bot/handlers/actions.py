"""/actions: the open follow-up actions of meetings, the caller's first, overdue marked; Done."""

from __future__ import annotations

from markupsafe import Markup
from telegram import InlineKeyboardMarkup, Update

from bot.callbacks import (
    ActionDone,
    ActionList,
    MeetingOpen,
)
from bot.context import BotContext
from bot.i18n import Translator
from bot.messaging import show
from bot.views import meetings as views
from bot.views.keyboards import button, in_rows, keyboard, pager
from bot.views.render import bold, shorten
from services.access import Capability
from services.meetings import (
    ACTIONS_PAGE_SIZE,
    ActionPage,
)

# -- follow-up actions ----------------------------------------------------------------------------


async def actions_command(update: Update, context: BotContext) -> None:
    """/actions: open follow-up actions, the caller's first."""
    await _show_actions(update, context, 0)


async def actions_page(update: Update, context: BotContext) -> None:
    """Another page of open actions."""
    await _show_actions(update, context, ActionList.of(update).page)


async def action_done(update: Update, context: BotContext) -> None:
    """Mark an action done, then show the list again."""
    pressed = ActionDone.of(update)
    done, first = await context.services.meetings.mark_done(
        context.require_caller(), pressed.action_id
    )
    _ = context._
    note = _(views.MARKED_DONE if first else views.ALREADY_DONE) + Markup(" ") + bold(done.what)
    await _show_actions(update, context, pressed.page, note)


async def _show_actions(
    update: Update, context: BotContext, number: int, note: Markup | None = None
) -> None:
    _ = context._
    caller = context.require_caller()
    membership = caller.require(Capability.READ)
    found = await context.services.meetings.actions(caller, number)
    text = _actions_text(_, found, membership.partnership.name, membership.partnership.timezone)
    await show(update, note + Markup("\n\n") + text if note else text, _actions_keyboard(found))


def _actions_text(_: Translator, found: ActionPage, partnership: str, timezone: str) -> Markup:
    if found.total == 0:
        return _("No open follow-up actions in {partnership}.", partnership=bold(partnership))
    parts = [
        _.plural(
            "{partnership}: {count} open follow-up action",
            "{partnership}: {count} open follow-up actions",
            found.total,
            partnership=bold(partnership),
        )
        + Markup(" — ")
        + _("yours: {mine}, overdue: {overdue}.", mine=found.mine, overdue=found.overdue)
    ]
    if found.pages > 1:
        parts.append(_("Page {page} of {pages}.", page=found.page + 1, pages=found.pages))
    lines = []
    start = _first_action(found)
    for offset, item in enumerate(found.items):
        action = item.action
        line = Markup("{number}. {mark}{what}").format(
            number=start + offset,
            mark="⚠️ " if item.overdue else ("👤 " if item.mine else ""),
            what=Markup("<b>{}</b>").format(views.isolated(_, action.what)),
        )
        details = [_("for {owner}", owner=views.owner_text(_, action))]
        if action.due_on is not None:
            details.append(
                _("overdue since {day}", day=views.short_day(_, action.due_on))
                if item.overdue
                else _("due {day}", day=views.short_day(_, action.due_on))
            )
        details.append(
            _(
                "from {title} ({day})",
                title=shorten(item.meeting.title, 60),
                day=views.short_day(_, item.meeting.held_at, timezone),
            )
        )
        lines.append(line + Markup("\n   ") + Markup(" — ").join(details))
    return Markup("\n").join(parts) + Markup("\n\n") + Markup("\n").join(lines)


def _first_action(found: ActionPage) -> int:
    return found.page * ACTIONS_PAGE_SIZE + 1


def _actions_keyboard(found: ActionPage) -> InlineKeyboardMarkup | None:
    start = _first_action(found)
    # Each button says what it does and to what: ✔ marks an action done, 📝 opens its meeting.
    rows = [
        [
            button(
                f"✔ {start + offset}. {shorten(item.action.what, 40)}",
                ActionDone(item.action.id, found.page),
            )
        ]
        for offset, item in enumerate(found.items)
        if item.may_close
    ]
    rows += in_rows(
        [
            button(
                f"📝 {start + offset}. {shorten(item.meeting.title, 24)}",
                MeetingOpen(item.meeting.id),
            )
            for offset, item in enumerate(found.items)
        ],
        2,
    )
    paging = pager(found.page, found.pages, ActionList)
    if paging:
        rows.append(paging)
    return keyboard(rows) if rows else None
