"""/report: the period (last month, last quarter, since the last report, or typed days), the
format (PDF, Word, Excel), the report's language, and for coordinators and admins whether to
include restricted items; then a message that says how far it got, edited in place, and the
file. The report is made beside the update queue, drawn and written in a worker process: the
bot keeps answering everyone meanwhile."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from markupsafe import Markup
from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest

from bot.context import BotContext
from bot.documents import files
from bot.documents.report import file_name, report_document, report_workbook
from bot.flows.engine import Choice, Flow, Invalid, Step, Turn
from bot.i18n import N_, Translator, translator
from bot.messaging import reply
from bot.throttling import spend
from bot.views import milestones as milestone_views
from bot.views.render import period_text
from domain.models import LANGUAGE_NAMES, LANGUAGES, Role
from services.access import Capability
from services.charts import render_progress_chart
from services.errors import InvalidInput
from services.maps import challenge_map as draw_map
from services.meeting_fields import InvalidMeetingField, parse_range
from services.reports import Period, ReportData, ReportFormat, last_month, last_quarter
from services.throttle import Expense

FORMAT_LABELS = {
    ReportFormat.PDF: N_("📕 PDF (to forward)"),
    ReportFormat.DOCX: N_("📘 Word (to edit)"),
    ReportFormat.XLSX: N_("📗 Excel (the data)"),
}
INCLUDE = N_("🔒 Include them (restricted report)")
LEAVE_OUT = N_("Leave them out")


@dataclass
class ReportRequest:
    """What /report asks, as it is answered."""

    start: date | None = None
    end: date | None = None
    file_format: ReportFormat | None = None
    language: str | None = None
    include_restricted: bool = False
    #: The requester may include restricted items (coordinators and admins).
    may_restrict: bool = False

    @property
    def period(self) -> Period:
        """The chosen period (once chosen)."""
        assert self.start is not None and self.end is not None
        return Period(self.start, self.end)


ReportTurn = Turn[ReportRequest]


# -- the period ---------------------------------------------------------------------------------


async def _period_question(turn: ReportTurn) -> Markup:
    return turn._(
        "Which period? Press a button, or send two days, e.g. 1/9/2026 - 30/11/2026, or since 1/9."
    )


def _period_label(_: Translator, title: str, period: Period) -> str:
    return f"{_.text(title)} ({period_text(period.start, period.end, _.language)})"


async def _period_choices(turn: ReportTurn) -> list[Choice]:
    _ = turn._
    reports = turn.context.services.reports
    caller = turn.context.require_caller()
    today = reports.today(caller)
    choices = [
        Choice(_period_label(_, N_("Last month"), last_month(today)), "month"),
        Choice(_period_label(_, N_("Last quarter"), last_quarter(today)), "quarter"),
    ]
    since = await reports.since_last_report(caller)
    if since is not None:
        choices.append(Choice(_period_label(_, N_("Since the last report"), since), "since"))
    return choices


async def _period_chosen(turn: ReportTurn, value: str) -> ReportRequest:
    reports = turn.context.services.reports
    caller = turn.context.require_caller()
    today = reports.today(caller)
    match value:
        case "month":
            period: Period | None = last_month(today)
        case "quarter":
            period = last_quarter(today)
        case _:
            period = await reports.since_last_report(caller)
    if period is None:
        raise Invalid(turn._("There is no earlier report: choose another period."))
    return replace(turn.draft, start=period.start, end=period.end)


async def _period_read(turn: ReportTurn, text: str) -> ReportRequest:
    _ = turn._
    context = turn.context
    partnership = context.require_caller().require(Capability.READ).partnership
    today = context.services.reports.today(context.require_caller())
    try:
        start, end = parse_range(
            text, language=_.language, now=context.services.clock(), timezone=partnership.timezone
        )
        period = Period(start or partnership.created_at.date(), end or today)
    except InvalidMeetingField as error:
        raise Invalid(
            _(
                "I could not read those days. Send e.g. 1/9/2026 - 30/11/2026 or since 1/9,"
                " or /cancel."
            )
        ) from error
    except InvalidInput as error:
        raise Invalid(_("A report covers at most three years: send a shorter period.")) from error
    return replace(turn.draft, start=period.start, end=period.end)


def _period_shows(_: Translator, draft: ReportRequest) -> str | None:
    if draft.start is None or draft.end is None:
        return None
    return period_text(draft.start, draft.end, _.language)


# -- format, language, restricted ---------------------------------------------------------------


async def _format_question(turn: ReportTurn) -> Markup:
    return turn._(
        "Which file? PDF to forward, Word to edit or paste into a template, Excel for the data."
    )


async def _format_choices(turn: ReportTurn) -> list[Choice]:
    return [Choice(turn._.text(label), kind.value) for kind, label in FORMAT_LABELS.items()]


async def _format_chosen(turn: ReportTurn, value: str) -> ReportRequest:
    if value not in set(ReportFormat):
        raise Invalid(turn._("Please choose one of the buttons below."))
    return replace(turn.draft, file_format=ReportFormat(value))


async def _language_question(turn: ReportTurn) -> Markup:
    return turn._("In which language should the report be written?")


async def _language_choices(turn: ReportTurn) -> list[Choice]:
    return [Choice(LANGUAGE_NAMES[code], code) for code in LANGUAGES]


async def _language_chosen(turn: ReportTurn, value: str) -> ReportRequest:
    if value not in LANGUAGES:
        raise Invalid(turn._("Please choose one of the buttons below."))
    return replace(turn.draft, language=value)


async def _restricted_question(turn: ReportTurn) -> Markup:
    return turn._(
        "Include restricted meetings and challenges? The report is then marked RESTRICTED on"
        " every page and sent protected from forwarding; share it only with people entitled to"
        " see them."
    )


async def _restricted_choices(turn: ReportTurn) -> list[Choice]:
    _ = turn._
    return [Choice(_.text(LEAVE_OUT), "0"), Choice(_.text(INCLUDE), "1")]


async def _restricted_chosen(turn: ReportTurn, value: str) -> ReportRequest:
    return replace(turn.draft, include_restricted=value == "1")


async def _typed_not_taken(turn: ReportTurn, text: str) -> ReportRequest:
    raise Invalid(turn._("Please choose one of the buttons below."))


# -- making it ----------------------------------------------------------------------------------


async def _make(turn: ReportTurn) -> None:
    """Start the report beside the update queue (it takes seconds): other people's messages
    are answered meanwhile; one message says how far it got, edited in place."""
    _, context, request = turn._, turn.context, turn.draft
    assert request.file_format is not None and request.language is not None
    caller = context.require_caller()
    data = await context.services.reports.for_caller(
        caller, request.period, include_restricted=request.include_restricted
    )
    progress = await reply(turn.update, _("Preparing the report: meetings and challenges…"))
    assert progress is not None  # a private chat
    context.partnerbot.start_document(
        _send_report(turn.update, context, data, request, progress), update=turn.update
    )


async def _send_report(
    update: Update, context: BotContext, data: ReportData, request: ReportRequest, progress: Message
) -> None:
    """Draw, write and send the report, then note it in the audit log."""
    _ = context._
    assert request.file_format is not None and request.language is not None
    content = await _produce(data, request.file_format, request.language, progress, _)
    chat = update.effective_chat
    assert chat is not None
    await chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    await chat.send_document(
        document=content,
        filename=file_name(data, request.file_format.value),
        caption=_caption(_, data),
        protect_content=data.restricted,
    )
    await _edit(progress, _("The report is ready."))
    await context.services.reports.record(
        data,
        actor_id=context.require_caller().identity.user_id,
        file_format=request.file_format.value,
        language=request.language,
    )


async def _produce(
    data: ReportData,
    file_format: ReportFormat,
    language: str,
    progress: Message,
    _: Translator,
) -> bytes:
    """The file, drawn and written in the document process (`files.in_worker`)."""
    written = translator(language)
    if file_format is ReportFormat.XLSX:
        await _edit(progress, _("Preparing the report: writing the workbook…"))
        return await files.in_worker(files.render_workbook, report_workbook(data, written))
    await _edit(progress, _("Preparing the report: charts and map…"))
    chart = (
        await files.in_worker(
            render_progress_chart, milestone_views.chart_of(written, data.chart, data.partnership)
        )
        if data.pillars
        else None
    )
    shown = files.map_of(data, written)
    challenge_map = (
        None
        if shown is None
        else await files.in_worker(draw_map, shown[0], shown[1], rtl=written.rtl)
    )
    await _edit(progress, _("Preparing the report: writing the document…"))
    document = report_document(data, written, chart_png=chart, map_png=challenge_map)
    return await files.in_worker(files.render_document, document, file_format)


async def _edit(progress: Message, text: Markup) -> None:
    """The progress message says the next step (an edit nobody can see is no loss)."""
    try:
        await progress.edit_text(str(text))
    except BadRequest:
        return


def _caption(_: Translator, data: ReportData) -> Markup:
    text = _(
        "Activity report of {partnership}, {period}.",
        partnership=data.partnership.name,
        period=period_text(data.period.start, data.period.end, _.language),
    )
    if data.restricted:
        text += Markup(" ") + _("🔒 RESTRICTED: it includes restricted items.")
    return text


FLOW: Flow[ReportRequest] = Flow(
    name="report",
    title=N_("a report"),
    draft=ReportRequest,
    steps=(
        Step(
            name="period",
            label=N_("Period"),
            question=_period_question,
            shows=_period_shows,
            reads=_period_read,
            choices=_period_choices,
            chosen=_period_chosen,
            required=True,
            per_row=1,
        ),
        Step(
            name="format",
            label=N_("Format"),
            question=_format_question,
            reads=_typed_not_taken,
            choices=_format_choices,
            chosen=_format_chosen,
            required=True,
            per_row=1,
        ),
        Step(
            name="language",
            label=N_("Language"),
            question=_language_question,
            reads=_typed_not_taken,
            choices=_language_choices,
            chosen=_language_chosen,
            required=True,
            per_row=3,
        ),
        Step(
            name="restricted",
            label=N_("Restricted items"),
            question=_restricted_question,
            reads=_typed_not_taken,
            choices=_restricted_choices,
            chosen=_restricted_chosen,
            asked_if=lambda draft: draft.may_restrict,
            required=True,
            per_row=1,
        ),
    ),
    save=_make,
    reviewed=False,
)


async def report_start(update: Update, context: BotContext) -> object:
    """/report: the questions, one by one."""
    _ = context._
    membership = context.require_caller().require(Capability.READ)
    # Counted when asked for: nobody answers four questions to be told to wait.
    spend(context, Expense.REPORT)
    intro = _(
        "A report of {partnership} for the people you answer to: a few questions, then the"
        " file. /cancel stops.",
        partnership=membership.partnership.name,
    )
    draft = ReportRequest(may_restrict=membership.role.at_least(Role.COORDINATOR))
    return await FLOW.start(update, context, draft, intro=intro)
