"""The meeting log: /meetings (newest first, paging, search, kind and date filters), a
meeting's detail with its files, deleting, /actions, and /meeting in a group chat.

The guided flow that logs and edits meetings lives in the `meeting_flow` package.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from markupsafe import Markup, escape
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.helpers import create_deep_linked_url

from bot.callbacks import (
    ActionDone,
    ActionList,
    ListKey,
    MeetingClearFilters,
    MeetingDates,
    MeetingDelete,
    MeetingDeleteConfirmed,
    MeetingEdit,
    MeetingFiles,
    MeetingKindChosen,
    MeetingKindMenu,
    MeetingList,
    MeetingOpen,
    MeetingSearch,
)
from bot.context import BotContext
from bot.flows.engine import END, Flow, Invalid, Step, Turn
from bot.handlers import fallback
from bot.handlers.meeting_flow.flow import START_PAYLOAD
from bot.i18n import N_, Translator
from bot.messaging import answer, reply, show
from bot.throttling import spend
from bot.views import meetings as views
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard, pager
from bot.views.render import CAPTION_LIMIT, bold, shorten
from domain.meetings import AttachmentKind, MeetingKind
from services.access import Capability
from services.meeting_fields import InvalidMeetingField, local_today, parse_range
from services.meetings import (
    ACTIONS_PAGE_SIZE,
    MAX_QUERY,
    PAGE_SIZE,
    ActionPage,
    MeetingPage,
    MeetingQuery,
    draft_of,
)
from services.throttle import Expense

#: Lists a person looked at recently, so that their buttons keep working (also after a
#: restart: user data is persisted). Oldest first; only the last few are kept.
QUERIES = "meeting_queries"
MAX_QUERIES = 20


# -- remembered lists -----------------------------------------------------------------------------


def _query_json(query: MeetingQuery) -> dict[str, Any]:
    return {
        "text": query.text,
        "kind": query.kind.value if query.kind else None,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
    }


def _query_of(data: dict[str, Any]) -> MeetingQuery:
    return MeetingQuery(
        text=str(data.get("text") or ""),
        kind=MeetingKind(data["kind"]) if data.get("kind") else None,
        since=date.fromisoformat(data["since"]) if data.get("since") else None,
        until=date.fromisoformat(data["until"]) if data.get("until") else None,
    )


def _remember(context: BotContext, query: MeetingQuery) -> ListKey:
    """Keep a list's filters for its buttons; returns their key (8 hex characters)."""
    return ListKey(context.remember(QUERIES, _query_json(query), MAX_QUERIES))


def _recall(context: BotContext, key: str) -> MeetingQuery | None:
    found = context.recall(QUERIES, key)
    return None if found is None else _query_of(found)


# -- the list -------------------------------------------------------------------------------------


async def list_command(update: Update, context: BotContext) -> None:
    """/meetings: the newest meetings; /meetings WORDS: those matching the words."""
    text = " ".join(context.args or []).strip()
    if len(text) > MAX_QUERY:
        await reply(update, context._("Search with at most {limit} characters.", limit=MAX_QUERY))
        return
    if text:
        spend(context, Expense.SEARCH)
    query = MeetingQuery(text=text)
    await _show_page(update, context, _remember(context, query), query, 0)


async def page(update: Update, context: BotContext) -> None:
    """Another page of a list (also the way back from a meeting's detail)."""
    pressed = MeetingList.of(update)
    query = _recall(context, pressed.list_key)
    if query is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return
    await _show_page(update, context, pressed.list_key, query, pressed.page)


async def _show_page(
    update: Update, context: BotContext, key: ListKey, query: MeetingQuery, number: int
) -> None:
    _ = context._
    caller = context.require_caller()
    membership = caller.require(Capability.READ)
    found = await context.services.meetings.page(caller, query, number)
    text = _page_text(_, found, query, membership.partnership.name, membership.partnership.timezone)
    await show(update, text, _page_keyboard(_, found, query, key))


def _page_text(
    _: Translator, found: MeetingPage, query: MeetingQuery, partnership: str, timezone: str
) -> Markup:
    if found.total == 0 and not query.narrowed:
        return _(
            "No meetings logged in {partnership} yet. Log one with /meeting.",
            partnership=bold(partnership),
        )
    parts = [
        _.plural(
            "{partnership}: {count} meeting, newest first.",
            "{partnership}: {count} meetings, newest first.",
            found.total,
            partnership=bold(partnership),
        )
    ]
    if query.narrowed:
        parts.append(_filters_text(_, query))
    if found.pages > 1:
        parts.append(_("Page {page} of {pages}.", page=found.page + 1, pages=found.pages))
    start = _first_number(found)
    lines = [
        views.list_line(_, start + i, meeting, timezone) for i, meeting in enumerate(found.meetings)
    ]
    if found.total == 0:
        lines = [_("No meeting matches these filters.")]
    return Markup("\n").join(parts) + Markup("\n\n") + Markup("\n").join(lines)


def _first_number(found: MeetingPage) -> int:
    return found.page * PAGE_SIZE + 1


def _filters_text(_: Translator, query: MeetingQuery) -> Markup:
    shown = []
    if query.text:
        shown.append(_("words: {text}", text=bold(query.text)))
    if query.kind is not None:
        shown.append(_("kind: {kind}", kind=bold(views.kind_name(_, query.kind))))
    if query.since and query.until and query.since == query.until:
        shown.append(_("on {day}", day=bold(views.short_day(_, query.since))))
    else:
        if query.since:
            shown.append(_("from {day}", day=bold(views.short_day(_, query.since))))
        if query.until:
            shown.append(_("until {day}", day=bold(views.short_day(_, query.until))))
    return _("Filters: {filters}", filters=Markup(" · ").join(shown))


def _page_keyboard(
    _: Translator, found: MeetingPage, query: MeetingQuery, key: ListKey
) -> InlineKeyboardMarkup | None:
    start = _first_number(found)
    numbers = [
        button(str(start + i), MeetingOpen(meeting.id, key, found.page))
        for i, meeting in enumerate(found.meetings)
    ]
    rows = in_rows(numbers, 6)
    paging = pager(found.page, found.pages, lambda n: MeetingList(key, n))
    if paging:
        rows.append(paging)
    if found.total or query.narrowed:
        rows.append(
            [
                button("🔎 " + _.text(views.SEARCH), MeetingSearch(key)),
                button(_.text(views.BY_KIND), MeetingKindMenu(key)),
                button("📅 " + _.text(views.BY_DATE), MeetingDates(key)),
            ]
        )
    if query.narrowed:
        rows.append([button("✖ " + _.text(views.CLEAR), MeetingClearFilters())])
    return keyboard(rows) if rows else None


async def clear_filters(update: Update, context: BotContext) -> None:
    """Every meeting again, without filters."""
    query = MeetingQuery()
    await _show_page(update, context, _remember(context, query), query, 0)


async def kind_menu(update: Update, context: BotContext) -> None:
    """Choose the kind of meeting to list."""
    _ = context._
    key = MeetingKindMenu.of(update).list_key
    if _recall(context, key) is None:
        await answer(update, _.text(texts.BUTTON_EXPIRED))
        return
    buttons = [
        button(views.kind_name(_, kind), MeetingKindChosen(key, kind)) for kind in MeetingKind
    ]
    buttons.append(button(_.text(views.ANY_KIND), MeetingKindChosen(key, "any")))
    rows = in_rows(buttons, 1)
    rows.append([button("«", MeetingList(key, 0))])
    await show(update, _("Which kind of meeting?"), keyboard(rows))


async def kind_chosen(update: Update, context: BotContext) -> None:
    """List the meetings of the chosen kind (the other filters stay)."""
    pressed = MeetingKindChosen.of(update)
    query = _recall(context, pressed.list_key)
    if query is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return
    kind = None if pressed.kind == "any" else pressed.kind
    narrowed = MeetingQuery(query.text, kind, query.since, query.until)
    await _show_page(update, context, _remember(context, narrowed), narrowed, 0)


# -- typed filters: words and dates (a small persistent conversation) ------------------------------


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
    query = _recall(context, draft.key)
    if query is None:
        raise Invalid(texts.expired(_))
    text = typed.strip()
    if draft.what == "q":
        if len(text) > MAX_QUERY:
            raise Invalid(_("Search with at most {limit} characters.", limit=MAX_QUERY))
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
    await _show_page(turn.update, context, _remember(context, narrowed), narrowed, 0)


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
    if _recall(context, key) is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return END
    await answer(update)
    return await FILTER.start(update, context, MeetingFilter(key=key, what=what))


async def filter_cancel(update: Update, context: BotContext) -> int:
    """/cancel while typing a filter: the list stays as it was."""
    context.discard_draft(FILTER.name)
    return await fallback.cancel(update, context)


# -- one meeting ----------------------------------------------------------------------------------


async def open_meeting(update: Update, context: BotContext) -> None:
    """A meeting with everything in it, and what the caller may do with it."""
    pressed = MeetingOpen.of(update)
    back = None
    if pressed.list_key is not None and pressed.page is not None:
        back = MeetingList(pressed.list_key, pressed.page)
    await _show_meeting(update, context, pressed.meeting_id, back)


async def _show_meeting(
    update: Update, context: BotContext, meeting_id: int, back: MeetingList | None
) -> None:
    _ = context._
    caller = context.require_caller()
    meeting = await context.services.meetings.get(caller, meeting_id)
    timezone = caller.require_membership().partnership.timezone
    authors = await context.services.meetings.names({meeting.author_id})
    card = views.meeting_card(
        _,
        draft_of(meeting),
        timezone,
        today=local_today(context.services.clock(), timezone),
        author=authors[meeting.author_id],
    )
    rows: list[list[InlineKeyboardButton]] = []
    if context.services.meetings.may_edit(caller, meeting):
        rows.append(
            [
                button("✎ " + _.text(views.EDIT), MeetingEdit(meeting.id)),
                button("🗑 " + _.text(views.DELETE), MeetingDelete(meeting.id)),
            ]
        )
    if meeting.attachments:
        label = _.text(views.FILES).format(count=len(meeting.attachments))
        rows.append([button("📎 " + label, MeetingFiles(meeting.id))])
    if back is not None and _recall(context, back.list_key) is not None:
        rows.append([button("« " + _.text(views.BACK), back)])
    await show(update, card, keyboard(rows) if rows else None, protect=meeting.restricted)


async def delete_asked(update: Update, context: BotContext) -> None:
    """Ask before deleting a meeting."""
    _ = context._
    meeting_id = MeetingDelete.of(update).meeting_id
    caller = context.require_caller()
    meeting = await context.services.meetings.get(caller, meeting_id)
    if not context.services.meetings.may_edit(caller, meeting):
        await answer(update, _.text(texts.BUTTON_EXPIRED))
        return
    await show(
        update,
        _(
            "Delete the meeting {title}? It disappears from every list and search; the audit"
            " log keeps a record of the deletion.",
            title=bold(meeting.title),
        ),
        keyboard(
            [
                [
                    button(_.text(views.YES_DELETE), MeetingDeleteConfirmed(meeting_id)),
                    button(_.text(views.NO_KEEP), MeetingOpen(meeting_id)),
                ]
            ]
        ),
    )


async def delete_confirmed(update: Update, context: BotContext) -> None:
    """Delete the meeting (pressing twice finds nothing to delete and says so)."""
    deleted = await context.services.meetings.delete(
        context.require_caller(), MeetingDeleteConfirmed.of(update).meeting_id
    )
    await show(update, context._("Deleted: {title}.", title=bold(deleted.title)))


async def files(update: Update, context: BotContext) -> None:
    """Send a meeting's attached files into the chat, as they were sent."""
    meeting_id = MeetingFiles.of(update).meeting_id
    meeting = await context.services.meetings.get(context.require_caller(), meeting_id)
    await answer(update)
    chat = update.effective_chat
    assert chat is not None
    protect = meeting.restricted
    for attachment in meeting.attachments:
        caption = str(escape(shorten(attachment.name, CAPTION_LIMIT // 2))) or None
        match attachment.kind:
            case AttachmentKind.PHOTO:
                await chat.send_photo(attachment.file_id, caption=caption, protect_content=protect)
            case AttachmentKind.VOICE:
                await chat.send_voice(attachment.file_id, caption=caption, protect_content=protect)
            case AttachmentKind.AUDIO:
                await chat.send_audio(attachment.file_id, caption=caption, protect_content=protect)
            case AttachmentKind.VIDEO:
                await chat.send_video(attachment.file_id, caption=caption, protect_content=protect)
            case _:
                await chat.send_document(
                    attachment.file_id, caption=caption, protect_content=protect
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
    buttons = [
        button(f"✔ {start + offset}", ActionDone(item.action.id, found.page))
        for offset, item in enumerate(found.items)
        if item.may_close
    ]
    rows = in_rows(buttons, 4)
    opened = [
        button(f"📝 {start + offset}", MeetingOpen(item.meeting.id))
        for offset, item in enumerate(found.items)
    ]
    rows += in_rows(opened, 4)
    paging = pager(found.page, found.pages, ActionList)
    if paging:
        rows.append(paging)
    return keyboard(rows) if rows else None


# -- /meeting in a group chat ---------------------------------------------------------------------


async def from_group(update: Update, context: BotContext) -> None:
    """/meeting in a group: a button opening the flow in private, for the group's partnership
    (details are never collected in the group)."""
    _ = context._
    chat = update.effective_chat
    assert chat is not None
    if chat.type == ChatType.PRIVATE:
        return
    link = await context.services.partnerships.group_link(chat.id)
    payload = f"{START_PAYLOAD}_{link.partnership_id}" if link else START_PAYLOAD
    url = create_deep_linked_url(context.bot.username, payload)
    if link is None:
        text = _(
            "This group is not linked to a partnership, so the meeting will go to your active"
            " partnership. Log it in our private chat:"
        )
    else:
        text = _("Log the meeting in our private chat, where the details stay between us:")
    await reply(
        update,
        text,
        InlineKeyboardMarkup([[InlineKeyboardButton("📝 " + _.text(views.LOG), url=url)]]),
    )
