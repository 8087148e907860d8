"""The action plan: /milestones (overview, pillars, chart), /milestone CODE, and the small
flow in which owners and coordinators update a milestone (status → progress → note)."""

from __future__ import annotations

import asyncio
from functools import partial

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction
from telegram.ext import ConversationHandler

from bot.callbacks import (
    MilestoneOpen,
    MilestoneProgress,
    MilestonesChart,
    MilestonesOverview,
    MilestoneStatusChosen,
    MilestoneUpdateAsked,
    Percent,
    PillarPage,
)
from bot.context import BotContext
from bot.i18n import N_
from bot.messaging import answer, reply, show, text_of
from bot.throttling import spend
from bot.views import milestones as views
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard, pager
from bot.views.render import shorten
from domain.milestones import MilestoneStatus
from domain.models import Role
from services.charts import render_progress_chart
from services.errors import InvalidInput, NotAllowed
from services.milestones import MAX_NOTE, MilestoneView, check_note, check_progress
from services.throttle import Expense

MS_STATUS = "milestone:status"
MS_PROGRESS = "milestone:progress"
MS_NOTE = "milestone:note"
DRAFT = "milestone"
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
    """Draw the progress chart (in a worker thread: it takes a moment) and send it."""
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
    png = await asyncio.to_thread(render_progress_chart, views.chart_of(_, data, partnership))
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


async def update_start(update: Update, context: BotContext) -> str | int:
    """The ✏️ Update button: ask for the new status."""
    milestone_id = MilestoneUpdateAsked.of(update).milestone_id
    view = await context.services.milestones.milestone(context.require_caller(), milestone_id)
    if not view.may_update:
        raise NotAllowed(Role.COORDINATOR)
    draft = context.draft(DRAFT, fresh=True)
    draft.update(
        id=view.milestone.id,
        code=view.milestone.code,
        status=view.milestone.status.value,
        progress=view.milestone.progress,
    )
    return await _ask_status(update, context)


async def _ask_status(update: Update, context: BotContext) -> str:
    _ = context._
    draft = context.draft(DRAFT)
    buttons = [
        button(
            ("✓ " if draft["status"] == status.value else "")
            + f"{views.STATUS_ICONS[status]} {views.status_name(_, status)}",
            MilestoneStatusChosen(status),
        )
        for status in MilestoneStatus
    ]
    await show(
        update,
        _("Update {code}: choose its status. /cancel stops.", code=draft["code"]),
        keyboard(in_rows(buttons, 2)),
    )
    return MS_STATUS


async def status_chosen(update: Update, context: BotContext) -> str:
    """Take the status; done means 100 %, so the progress step is skipped."""
    draft = context.draft(DRAFT)
    if "id" not in draft:
        await show(update, texts.expired(context._))
        return MS_STATUS
    status = MilestoneStatusChosen.of(update).status
    draft["status"] = status.value
    if status is MilestoneStatus.DONE:
        draft["progress"] = 100
        return await _ask_note(update, context)
    return await _ask_progress(update, context)


async def _ask_progress(update: Update, context: BotContext, note: Markup | None = None) -> str:
    _ = context._
    draft = context.draft(DRAFT)
    buttons = [
        button(
            ("✓ " if draft["progress"] == value else "") + f"{value} %",
            MilestoneProgress(Percent(value)),
        )
        for value in PROGRESS_CHOICES
    ]
    question = _(
        "Progress of {code}, now {progress} %: choose, or send a number from 0 to 100."
        " /skip keeps it, /back returns to the status.",
        code=draft["code"],
        progress=draft["progress"],
    )
    text = note + Markup("\n\n") + question if note else question
    if update.callback_query is not None:
        await show(update, text, keyboard([buttons]))
    else:
        await reply(update, text, keyboard([buttons]))
    return MS_PROGRESS


async def progress_pressed(update: Update, context: BotContext) -> str:
    """A progress button."""
    context.draft(DRAFT)["progress"] = MilestoneProgress.of(update).progress
    return await _ask_note(update, context)


async def progress_typed(update: Update, context: BotContext) -> str:
    """A typed percentage; anything else is explained and the step stays."""
    try:
        context.draft(DRAFT)["progress"] = check_progress(text_of(update))
    except InvalidInput:
        return await _ask_progress(
            update, context, context._("That is not a percentage between 0 and 100.")
        )
    return await _ask_note(update, context)


async def progress_skipped(update: Update, context: BotContext) -> str:
    """/skip keeps the progress as it was."""
    return await _ask_note(update, context)


async def progress_back(update: Update, context: BotContext) -> str:
    """/back from the progress to the status."""
    return await _ask_status(update, context)


async def _ask_note(update: Update, context: BotContext) -> str:
    _ = context._
    draft = context.draft(DRAFT)
    text = _(
        "{code}: {status}, {progress} %. Add a note (what changed, what comes next), or /skip."
        " /back returns to the previous step.",
        code=draft["code"],
        status=views.status_name(_, MilestoneStatus(draft["status"])),
        progress=draft["progress"],
    )
    if update.callback_query is not None:
        await show(update, text)
    else:
        await reply(update, text)
    return MS_NOTE


async def note_typed(update: Update, context: BotContext) -> str | int:
    """The note; too long is explained and the step stays."""
    try:
        note = check_note(text_of(update))
    except InvalidInput as error:
        await reply(
            update,
            context._(
                "The note has {length} characters; at most {limit} fit. Shorten it, or /skip.",
                length=error.problem,
                limit=MAX_NOTE,
            ),
        )
        return MS_NOTE
    return await _save(update, context, note)


async def note_skipped(update: Update, context: BotContext) -> int:
    """/skip: save without a note."""
    return await _save(update, context, "")


async def note_back(update: Update, context: BotContext) -> str:
    """/back from the note to the progress (or the status, for a done milestone)."""
    if context.draft(DRAFT).get("status") == MilestoneStatus.DONE.value:
        return await _ask_status(update, context)
    return await _ask_progress(update, context)


async def _save(update: Update, context: BotContext, note: str) -> int:
    draft = context.draft(DRAFT)
    view = await context.services.milestones.update(
        context.require_caller(),
        int(draft["id"]),
        status=MilestoneStatus(draft["status"]),
        progress=int(draft["progress"]),
        note=note,
    )
    context.discard_draft(DRAFT)
    text, buttons = _milestone_message(context, view)
    await reply(update, context._("Saved.") + Markup("\n\n") + text, buttons)
    return ConversationHandler.END
