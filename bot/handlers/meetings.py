"""The meeting log: /meetings (newest first, paging, search, kind and date filters), a
meeting's detail with its files, deleting, /actions, and /meeting in a group chat.

The guided flow that logs and edits meetings lives in the `meeting_flow` package.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup, escape
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.helpers import create_deep_linked_url

from bot.callbacks import (
    ListKey,
    MeetingCalendar,
    MeetingClearFilters,
    MeetingDates,
    MeetingDelete,
    MeetingDeleteConfirmed,
    MeetingEdit,
    MeetingFiles,
    MeetingKindChosen,
    MeetingKindMenu,
    MeetingList,
    MeetingMinutes,
    MeetingOpen,
    MeetingSearch,
)
from bot.context import BotContext
from bot.handlers.meeting_flow.flow import START_PAYLOAD
from bot.i18n import Translator
from bot.messaging import answer, reply, show
from bot.throttling import spend
from bot.views import meetings as views
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard, pager
from bot.views.render import CAPTION_LIMIT, bold, shorten
from domain.meetings import AttachmentKind, MeetingKind
from services.access import Capability
from services.meeting_fields import local_today
from services.meetings import (
    MAX_QUERY,
    PAGE_SIZE,
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


def remember(context: BotContext, query: MeetingQuery) -> ListKey:
    """Keep a list's filters for its buttons; returns their key (8 hex characters)."""
    return ListKey(context.remember(QUERIES, _query_json(query), MAX_QUERIES))


def recall(context: BotContext, key: str) -> MeetingQuery | None:
    found = context.recall(QUERIES, key)
    return None if found is None else _query_of(found)


# -- the list -------------------------------------------------------------------------------------


async def list_command(update: Update, context: BotContext) -> None:
    """/meetings: the newest meetings; /meetings WORDS: those matching the words."""
    text = " ".join(context.args or []).strip()
    if len(text) > MAX_QUERY:
        await reply(update, texts.query_too_long(context._, MAX_QUERY))
        return
    if text:
        spend(context, Expense.SEARCH)
    query = MeetingQuery(text=text)
    await show_page(update, context, remember(context, query), query, 0)


async def page(update: Update, context: BotContext) -> None:
    """Another page of a list (also the way back from a meeting's detail)."""
    pressed = MeetingList.of(update)
    query = recall(context, pressed.list_key)
    if query is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return
    await show_page(update, context, pressed.list_key, query, pressed.page)


async def show_page(
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
    await show_page(update, context, remember(context, query), query, 0)


async def kind_menu(update: Update, context: BotContext) -> None:
    """Choose the kind of meeting to list."""
    _ = context._
    key = MeetingKindMenu.of(update).list_key
    if recall(context, key) is None:
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
    query = recall(context, pressed.list_key)
    if query is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return
    kind = None if pressed.kind == "any" else pressed.kind
    narrowed = MeetingQuery(query.text, kind, query.since, query.until)
    await show_page(update, context, remember(context, narrowed), narrowed, 0)


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
        author=texts.person_name(_, authors[meeting.author_id]),
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
    documents = [
        button(_.text(views.MINUTES_WORD), MeetingMinutes(meeting.id, "docx")),
        button(_.text(views.MINUTES_PDF), MeetingMinutes(meeting.id, "pdf")),
    ]
    if not meeting.restricted:
        documents.append(button(_.text(views.ADD_TO_CALENDAR), MeetingCalendar(meeting.id)))
    rows.append(documents)
    if back is not None and recall(context, back.list_key) is not None:
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
