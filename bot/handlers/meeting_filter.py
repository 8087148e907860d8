"""The Search and Dates buttons of /meetings: one typed answer narrows the list (a flow)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from markupsafe import Markup
from telegram import Update

from bot.callbacks import (
    ListKey,
    MeetingDates,
    MeetingSearch,
)
from bot.context import BotContext
from bot.flows.engine import END, Flow, Invalid, Step, Turn
from bot.handlers import fallback

# -- typed filters: words and dates (a small persistent conversation) ------------------------------
from bot.handlers.meetings import recall, remember, show_page
from bot.i18n import N_
from bot.messaging import answer
from bot.throttling import spend
from bot.views import texts
from services.access import Capability
from services.meeting_fields import InvalidMeetingField, parse_range
from services.meetings import (
    MAX_QUERY,
    MeetingQuery,
)
from services.throttle import Expense


@dataclass(frozen=True, slots=True)
class MeetingFilter:
    """The Search or Dates answer of a list: the list's key, which filter, the list it makes."""

    key: str
    what: str  # "q": words, "d": days
    narrowed: MeetingQuery | None = None


async def _filter_question(turn: Turn[MeetingFilter]) -> Markup:
    _ = turn._
    if turn.draft.what == "q":
        return _("Send the words to look for in titles, participants, summaries and decisions.")
    return _(
        "Send the days to list, e.g. 1/11 - 30/11, since 1/11, until 30/11, or one day (28/11)."
    )


async def _filter_read(turn: Turn[MeetingFilter], typed: str) -> MeetingFilter:
    """The typed words or days applied to the list (its other filters stay)."""
    _, context, draft = turn._, turn.context, turn.draft
    query = recall(context, draft.key)
    if query is None:
        raise Invalid(texts.expired(_))
    text = typed.strip()
    if draft.what == "q":
        if len(text) > MAX_QUERY:
            raise Invalid(texts.query_too_long(_, MAX_QUERY))
        spend(context, Expense.SEARCH)
        return replace(draft, narrowed=MeetingQuery(text, query.kind, query.since, query.until))
    membership = context.require_caller().require(Capability.READ)
    try:
        since, until = parse_range(
            text,
            language=_.language,
            now=context.services.clock(),
            timezone=membership.partnership.timezone,
        )
    except InvalidMeetingField as error:
        raise Invalid(
            _(
                "I could not read those days. Send e.g. 1/11 - 30/11, since 1/11, until"
                " 30/11 or 28/11, or /cancel."
            )
        ) from error
    return replace(draft, narrowed=MeetingQuery(query.text, query.kind, since, until))


async def _filter_applied(turn: Turn[MeetingFilter]) -> None:
    """The narrowed list, as a list of its own (its buttons keep its filters)."""
    narrowed = turn.draft.narrowed
    if narrowed is None:
        raise Invalid(texts.expired(turn._))
    context = turn.context
    await show_page(turn.update, context, remember(context, narrowed), narrowed, 0)


FILTER: Flow[MeetingFilter] = Flow(
    name="meeting_filter",
    title=N_("a search of meetings"),
    draft=MeetingFilter,
    steps=(
        Step(
            name="filter",
            label=N_("Filter"),
            question=_filter_question,
            reads=_filter_read,
            required=True,
        ),
    ),
    save=_filter_applied,
    reviewed=False,
)


async def search_asked(update: Update, context: BotContext) -> object:
    """The Search button of a list: ask for the words."""
    return await _filter_asked(update, context, "q", MeetingSearch.of(update).list_key)


async def dates_asked(update: Update, context: BotContext) -> object:
    """The Dates button of a list: ask for the days."""
    return await _filter_asked(update, context, "d", MeetingDates.of(update).list_key)


async def _filter_asked(update: Update, context: BotContext, what: str, key: ListKey) -> object:
    if recall(context, key) is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return END
    await answer(update)
    return await FILTER.start(update, context, MeetingFilter(key=key, what=what))


async def filter_cancel(update: Update, context: BotContext) -> int:
    """/cancel while typing a filter: the list stays as it was."""
    return await fallback.cancel(update, context, FILTER.name)
