"""The action plan: /milestones (overview, pillars, chart), /milestone CODE, and the small
flow in which owners and coordinators update a milestone (status → progress → note)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction

from bot.callbacks import (
    MilestoneOpen,
    MilestonesChart,
    MilestonesOverview,
    MilestoneUpdateAsked,
    PillarPage,
)
from bot.context import BotContext
from bot.documents import files
from bot.flows.engine import Choice, Flow, Invalid, Step, Turn
from bot.i18n import N_
from bot.messaging import answer, reply, show
from bot.throttling import spend
from bot.views import milestones as views
from bot.views import texts
from bot.views.keyboards import button, keyboard, pager
from bot.views.render import shorten
from domain.milestones import MilestoneStatus
from domain.models import Role
from services.charts import render_progress_chart
from services.errors import InvalidInput, NotAllowed
from services.milestones import MAX_NOTE, MilestoneView, check_note, check_progress
from services.throttle import Expense

#: Milestones per page of a pillar (one button each).
PAGE_SIZE = 8
PROGRESS_CHOICES = (0, 25, 50, 75, 100)
#: Words that ask /milestones for the chart (besides its button).
CHART_WORDS = frozenset({"chart", "graph", "graphique", "gráfico", "grafico", "رسم"})

CHART_BUTTON = N_("📈 Chart")
OVERVIEW_BUTTON = N_("📋 Overview")
UPDATE_BUTTON = N_("✏️ Update")


# -- reading -----------------------------------------------------------------------------------


async def milestones_command(update: Update, context: BotContext) -> None:
    """/milestones: the overview; /milestones chart: the chart."""
    if context.args and context.args[0].casefold() in CHART_WORDS:
        await _send_chart(update, context)
        return
    await overview(update, context)


async def overview(update: Update, context: BotContext) -> None:
    """The plan at a glance, with a button per pillar (also the « Overview button)."""
    caller = context.require_caller()
    membership = caller.require_membership()
    found = await context.services.milestones.overview(caller)
    _ = context._
    text = views.overview_text(_, found, membership.partnership)
    buttons = [
        [button(shorten(views.pillar_name(s.pillar, _.language), 60), PillarPage(s.pillar.id, 0))]
        for s in found.pillars
    ]
    if found.pillars:
        buttons.append([button(_.text(CHART_BUTTON), MilestonesChart())])
    await show(update, text, keyboard(buttons) if buttons else None)


async def pillar(update: Update, context: BotContext) -> None:
    """A page of a pillar's milestones, a button for each."""
    pressed = PillarPage.of(update)
    pillar_id, page = pressed.pillar_id, pressed.page
    view = await context.services.milestones.pillar(context.require_caller(), pillar_id)
    _ = context._
    pages = max((len(view.milestones) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 0), pages - 1)
    shown = view.milestones[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = [
        [
            button(
                shorten(f"{views.icon(m, view.today)} {m.code} · {m.title}", 60),
                MilestoneOpen(m.id),
            )
        ]
        for m in shown
    ]
    overview = button(_.text(OVERVIEW_BUTTON), MilestonesOverview())
    to_page = partial(PillarPage, pillar_id)
    rows.append(pager(page, pages, to_page, middle=[overview], arrows=("‹", "›")))
    text = views.pillar_text(_, view, shown)
    if pages > 1:
        text += Markup("\n\n") + _("Page {page} of {pages}", page=page + 1, pages=pages)
    await show(update, text, keyboard(rows))


async def milestone_pressed(update: Update, context: BotContext) -> None:
    """A milestone's button."""
    milestone_id = MilestoneOpen.of(update).milestone_id
    view = await context.services.milestones.milestone(context.require_caller(), milestone_id)
    await show(update, *_milestone_message(context, view))


async def milestone_command(update: Update, context: BotContext) -> None:
    """/milestone CODE."""
    if not context.args:
        await reply(
            update,
            context._("Send /milestone and a code, e.g. /milestone M07. /milestones lists them."),
        )
        return
    view = await context.services.milestones.by_code(context.require_caller(), context.args[0])
    await reply(update, *_milestone_message(context, view))


def _milestone_message(
    context: BotContext, view: MilestoneView
) -> tuple[Markup, InlineKeyboardMarkup]:
    _ = context._
    timezone = context.require_caller().require_membership().partnership.timezone
    rows: list[list[InlineKeyboardButton]] = []
    if view.may_update:
        rows.append([button(_.text(UPDATE_BUTTON), MilestoneUpdateAsked(view.milestone.id))])
    rows.append(
        [
            button(f"« {view.pillar.code}", PillarPage(view.pillar.id, 0)),
            button(_.text(OVERVIEW_BUTTON), MilestonesOverview()),
        ]
    )
    return views.milestone_text(_, view, timezone), keyboard(rows)


async def chart_pressed(update: Update, context: BotContext) -> None:
    """The 📈 button of the overview."""
    await _send_chart(update, context)


async def _send_chart(update: Update, context: BotContext) -> None:
    """Draw the progress chart (in the document process: it takes a moment) and send it."""
    spend(context, Expense.CHART)
    caller = context.require_caller()
    partnership = caller.require_membership().partnership
    data = await context.services.milestones.chart_data(caller)
    _ = context._
    if not data.pillars:
        await overview(update, context)  # says there is no plan yet
        return
    await answer(update)  # the button's spinner stops while the chart is drawn
    chat = update.effective_chat
    assert chat is not None
    await chat.send_action(ChatAction.UPLOAD_PHOTO)
    png = await files.in_worker(render_progress_chart, views.chart_of(_, data, partnership))
    await chat.send_photo(
        photo=png,
        filename="action-plan.png",
        caption=_(
            "Action plan of {partnership}: progress per pillar, and milestones planned versus"
            " done over time. /milestones lists them.",
            partnership=partnership.name,
        ),
    )


# -- the update flow ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MilestoneUpdate:
    """An update of one milestone in the making."""

    id: int
    code: str
    status: MilestoneStatus
    progress: int
    note: str = ""


async def _status_question(turn: Turn[MilestoneUpdate]) -> Markup:
    return turn._("Update {code}: choose its status.", code=turn.draft.code)


async def _status_choices(turn: Turn[MilestoneUpdate]) -> list[Choice]:
    _, now = turn._, turn.draft.status
    return [
        Choice(
            ("✓ " if status is now else "")
            + f"{views.STATUS_ICONS[status]} {views.status_name(_, status)}",
            status.value,
        )
        for status in MilestoneStatus
    ]


async def _status_chosen(turn: Turn[MilestoneUpdate], value: str) -> MilestoneUpdate:
    """Done means 100 %: the progress step is then not asked."""
    if value not in {status.value for status in MilestoneStatus}:
        raise Invalid(texts.expired(turn._))
    status = MilestoneStatus(value)
    progress = 100 if status is MilestoneStatus.DONE else turn.draft.progress
    return replace(turn.draft, status=status, progress=progress)


async def _progress_question(turn: Turn[MilestoneUpdate]) -> Markup:
    return turn._(
        "Progress of {code}: choose, or send a number from 0 to 100.", code=turn.draft.code
    )


async def _progress_choices(turn: Turn[MilestoneUpdate]) -> list[Choice]:
    now = turn.draft.progress
    return [
        Choice(("✓ " if now == value else "") + f"{value} %", str(value))
        for value in PROGRESS_CHOICES
    ]


async def _progress_read(turn: Turn[MilestoneUpdate], text: str) -> MilestoneUpdate:
    try:
        progress = check_progress(text)
    except InvalidInput as error:
        raise Invalid(turn._("That is not a percentage between 0 and 100.")) from error
    return replace(turn.draft, progress=progress)


async def _note_question(turn: Turn[MilestoneUpdate]) -> Markup:
    _, draft = turn._, turn.draft
    return _(
        "{code}: {status}, {progress} %. Add a note (what changed, what comes next).",
        code=draft.code,
        status=views.status_name(_, draft.status),
        progress=draft.progress,
    )


async def _note_read(turn: Turn[MilestoneUpdate], text: str) -> MilestoneUpdate:
    try:
        note = check_note(text)
    except InvalidInput as error:
        raise Invalid(
            turn._(
                "The note has {length} characters; at most {limit} fit. Shorten it, or /skip.",
                length=error.problem,
                limit=MAX_NOTE,
            )
        ) from error
    return replace(turn.draft, note=note)


async def _save(turn: Turn[MilestoneUpdate]) -> None:
    """Record the update, and show the milestone as it now stands."""
    draft = turn.draft
    view = await turn.context.services.milestones.update(
        turn.context.require_caller(),
        draft.id,
        status=draft.status,
        progress=draft.progress,
        note=draft.note,
    )
    text, buttons = _milestone_message(turn.context, view)
    await reply(turn.update, turn._("Saved.") + Markup("\n\n") + text, buttons)


UPDATE: Flow[MilestoneUpdate] = Flow(
    name="milestone",
    title=N_("a milestone update"),
    draft=MilestoneUpdate,
    steps=(
        Step(
            name="status",
            label=N_("Status"),
            question=_status_question,
            shows=lambda _, draft: views.status_name(_, draft.status),
            choices=_status_choices,
            chosen=_status_chosen,
        ),
        Step(
            name="progress",
            label=N_("Progress"),
            question=_progress_question,
            shows=lambda _, draft: f"{draft.progress} %",
            reads=_progress_read,
            choices=_progress_choices,
            chosen=_progress_read,
            asked_if=lambda draft: draft.status is not MilestoneStatus.DONE,
            per_row=len(PROGRESS_CHOICES),
        ),
        Step(name="note", label=N_("Note"), question=_note_question, reads=_note_read),
    ),
    save=_save,
    reviewed=False,
)


async def update_start(update: Update, context: BotContext) -> object:
    """The ✏️ Update button: status → progress (unless done) → note, then saved."""
    milestone_id = MilestoneUpdateAsked.of(update).milestone_id
    view = await context.services.milestones.milestone(context.require_caller(), milestone_id)
    if not view.may_update:
        raise NotAllowed(Role.COORDINATOR)
    await answer(update)
    milestone = view.milestone
    draft = MilestoneUpdate(milestone.id, milestone.code, milestone.status, milestone.progress)
    return await UPDATE.start(update, context, draft)
