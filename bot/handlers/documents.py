"""Files made from the partnership's record for one person: a meeting's minutes (Word or PDF),
a meeting in a calendar file, and /calendar (meetings, the person's own action due dates and
the plan's milestone due dates). Restricted meetings never go into calendar files: a calendar
leaves the bot's protection for phones and mail servers."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction

from bot.callbacks import MeetingCalendar, MeetingMinutes
from bot.context import BotContext
from bot.documents import files
from bot.documents.calendar import calendar_bytes, meeting_calendar_bytes
from bot.documents.report import minutes_document, minutes_file_name
from bot.messaging import answer, reply
from bot.throttling import spend
from bot.views import texts
from bot.views.render import bold
from services.access import Capability
from services.reports import ReportFormat
from services.throttle import Expense


async def minutes(update: Update, context: BotContext) -> None:
    """A meeting's Minutes button: the minutes as a Word or PDF file, in the reader's
    language; restricted minutes are marked so and sent protected."""
    _ = context._
    pressed = MeetingMinutes.of(update)
    caller = context.require_caller()
    meeting = await context.services.meetings.get(caller, pressed.meeting_id)
    spend(context, Expense.EXPORT)
    await answer(update)
    partnership = await context.services.partnerships.get(meeting.partnership_id)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    file_format = ReportFormat(pressed.file_format)
    document = minutes_document(meeting, partnership, _)
    content = await files.in_worker(files.render_document, document, file_format)
    await chat.send_document(
        document=content,
        filename=minutes_file_name(meeting, partnership, file_format.value),
        caption=_("Minutes of {title}.", title=bold(meeting.title)),
        protect_content=meeting.restricted,
    )
    await context.services.reports.record_export(
        caller,
        partnership.id,
        what="minutes",
        file_format=file_format.value,
        meeting_id=meeting.id,
        restricted=meeting.restricted,
    )


async def meeting_calendar(update: Update, context: BotContext) -> None:
    """A meeting's Add to calendar button: a calendar file of that meeting."""
    _ = context._
    caller = context.require_caller()
    meeting_id = MeetingCalendar.of(update).meeting_id
    meeting = await context.services.meetings.get(caller, meeting_id)
    if meeting.restricted:
        await answer(update, _.text(texts.BUTTON_EXPIRED))
        return
    await answer(update)
    partnership = await context.services.partnerships.get(meeting.partnership_id)
    now = context.services.clock()
    content, name = meeting_calendar_bytes(meeting, partnership, _, now)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_document(
        document=content,
        filename=name,
        caption=_(
            "Open the file to add {title} to your calendar; opening it again after a change"
            " updates it.",
            title=bold(meeting.title),
        ),
    )


async def calendar(update: Update, context: BotContext) -> None:
    """/calendar: a calendar file of the partnership's meetings, the caller's own follow-up
    actions and the plan's milestones."""
    _ = context._
    caller = context.require_caller()
    membership = caller.require(Capability.READ)
    spend(context, Expense.EXPORT)
    items = await context.services.reports.calendar(caller)
    if not items.count:
        await reply(update, _("There is nothing to put in a calendar yet."))
        return
    content, name = calendar_bytes(items, _, context.services.clock())
    chat = update.effective_chat
    assert chat is not None
    caption = _.plural(
        "The calendar of {partnership}: {count} date (meetings, your follow-up actions, the"
        " plan's milestones). Import it into your calendar; importing it again updates it"
        " without duplicates. Restricted meetings are left out.",
        "The calendar of {partnership}: {count} dates (meetings, your follow-up actions, the"
        " plan's milestones). Import it into your calendar; importing it again updates it"
        " without duplicates. Restricted meetings are left out.",
        items.count,
        partnership=bold(membership.partnership.name),
    )
    await chat.send_document(document=content, filename=name, caption=caption)
