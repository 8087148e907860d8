"""The meeting flow's declaration: its steps, the review (a button per field, a 🔗 button per
typed name that may be a member), Save, and how it starts: /meeting (guided, or the
one-message form), `/start meeting_<partnership>` from a group's button, a meeting's Edit."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from markupsafe import Markup
from telegram import Update

from bot.callbacks import MeetingEdit, MeetingOpen
from bot.context import BotContext
from bot.flows.engine import END, Done, Flow, Invalid, Step
from bot.handlers.meeting_flow import actions, form
from bot.handlers.meeting_flow.fields import Meeting, field_step, people, timezone
from bot.i18n import N_
from bot.messaging import answer, reply, text_of
from bot.views import meetings as views
from bot.views import texts
from bot.views.keyboards import button, keyboard
from bot.views.render import bold
from domain.models import Membership
from services.errors import NotAllowed, NotAMember
from services.meeting_fields import (
    Field,
    InvalidMeetingField,
    MeetingDraft,
    link,
    link_suggestions,
    local_today,
)
from services.meetings import draft_of

START_PAYLOAD = "meeting"
_COMMAND = re.compile(r"^/\w+(@\w+)?")


class Mode(StrEnum):
    """What the flow is doing."""

    NEW = "new"
    EDIT = "edit"


# -- the review -----------------------------------------------------------------------------------


async def _summary(turn: Meeting) -> Markup:
    _ = turn._
    values = turn.draft
    title = (
        _("Check the meeting, then save it. Press a field to change it.")
        if turn.extra.get("mode") == Mode.NEW
        else _("Press a field to change it, then save.")
    )
    missing = values.missing()
    if missing:
        title += Markup("\n") + _(
            "Still missing: {fields}.",
            fields=_.join(_.text(views.FIELD_LABELS[f]) for f in missing),
        )
    today = local_today(turn.context.services.clock(), timezone(turn))
    card = views.meeting_card(_, values, timezone(turn), today=today)
    if link_suggestions(values, await people(turn)):
        card += Markup("\n\n") + _(views.LINK_HINT)
    return title + Markup("\n\n") + card


async def _link_buttons(turn: Meeting) -> list[list[tuple[str, str, str]]]:
    """One 🔗 button per typed name that may be a member: linked only when pressed."""
    return [
        [(views.link_label(s), "link", f"{s.target}-{s.member.member_id}")]
        for s in link_suggestions(turn.draft, await people(turn))
    ]


async def _link(turn: Meeting, value: str) -> object:
    """The author says a typed name is that member: link it, then the review again."""
    flow = turn.flow
    chosen = [
        s
        for s in link_suggestions(turn.draft, await people(turn))
        if value == f"{s.target}-{s.member.member_id}"
    ]
    if not chosen:
        await answer(turn.update, turn._.text(texts.BUTTON_EXPIRED))
        return flow.reviewing
    await answer(turn.update)
    turn.draft = link(turn.draft, chosen[0])
    return await flow.review(turn)


async def _save(turn: Meeting) -> Done:
    """Store the meeting (new or edited) and say where it went."""
    _ = turn._
    meeting_id = turn.extra.get("id")
    try:
        saved = await turn.context.services.meetings.save(
            turn.context.require_caller(),
            int(turn.extra["partnership"]),
            turn.draft,
            int(meeting_id) if meeting_id is not None else None,
        )
    except InvalidMeetingField as error:
        raise Invalid(
            views.problem(_, error)
            + Markup("\n")
            + _("Press the field's button on the summary above to fill it in.")
        ) from error
    if meeting_id is not None:
        text = _("Saved the changes to {title}.", title=bold(saved.title))
    else:
        text = _(
            "Saved: {title} is in the meeting log of {partnership}.",
            title=bold(saved.title),
            partnership=bold(str(turn.extra.get("name", ""))),
        )
    # /meetings shows the active partnership: a meeting logged for another one (from a
    # group's button) is opened after switching to it.
    active = turn.context.require_caller().membership
    if active is None or active.partnership_id != saved.partnership_id:
        return Done(text)
    return Done(text, keyboard([[button(_.text(views.OPEN), MeetingOpen(saved.id))]]))


def _back_to_steps(turn: Meeting) -> bool:
    """A new meeting goes back to its last step; an edit stays on the review."""
    return turn.extra.get("mode") == Mode.NEW


def _steps() -> tuple[Step[MeetingDraft], ...]:
    """The fields in order; the action's questions and the lines to place among them."""
    own = [field_step(f) for f in Field if f is not Field.ACTIONS]
    position = list(Field).index(Field.ACTIONS)
    return (*own[:position], *actions.action_steps(), form.PLACE_STEP, *own[position:])


FLOW: Flow[MeetingDraft] = Flow(
    name="meeting",
    title=N_("logging a meeting"),
    draft=MeetingDraft,
    steps=_steps(),
    summary=_summary,
    save=_save,
    actions={"link": _link, actions.PAST_DUE: actions.keep_past_due},
    back_from_review_to_steps=_back_to_steps,
    after=actions.after,
    before=actions.before,
    queued=form.queued,
    review_rows=_link_buttons,
)


# -- how it starts --------------------------------------------------------------------------------


def _about(membership: Membership) -> dict[str, Any]:
    """What the flow keeps of the partnership the meeting goes to."""
    partnership = membership.partnership
    return {
        "partnership": membership.partnership_id,
        "timezone": partnership.timezone,
        "name": partnership.name,
    }


async def _guided(update: Update, context: BotContext, membership: Membership) -> object:
    """The questions, the date first (now unless told otherwise)."""
    intro = context._(
        "New meeting for {partnership}. A few short questions; /skip passes an optional"
        " one, /back returns one step, /cancel stops without saving.",
        partnership=bold(membership.partnership.name),
    )
    draft = MeetingDraft(held_at=context.services.clock())
    return await FLOW.start(
        update, context, draft, intro=intro, ask_first=True, mode=Mode.NEW, **_about(membership)
    )


async def start(update: Update, context: BotContext) -> object:
    """/meeting: the guided flow; /meeting followed by lines: the one-message form."""
    membership = await context.services.meetings.author_membership(context.require_caller(), None)
    text = _COMMAND.sub("", text_of(update), count=1).strip()
    if not text:
        return await _guided(update, context, membership)
    about = _about(membership)
    filled = await form.read_form(context, text, membership.partnership_id, about["timezone"])
    return await FLOW.start(
        update,
        context,
        filled.draft,
        review=True,
        queue=filled.queue,
        notes=filled.notes,
        mode=Mode.NEW,
        **about,
        **filled.extra,
    )


async def start_from_group(update: Update, context: BotContext) -> object:
    """`/start meeting_<partnership>`: the button of /meeting in a group chat."""
    _ = context._
    payload = (context.args or [""])[0]
    number = payload.removeprefix(START_PAYLOAD).lstrip("_")
    caller = context.require_caller()
    try:
        membership = await context.services.meetings.author_membership(
            caller, int(number) if number.isdigit() else None
        )
    except NotAMember:
        if caller.membership is None:
            await reply(update, texts.stranger(_))
        else:
            await reply(
                update,
                _(
                    "That group belongs to a partnership you are not a member of, so you"
                    " cannot log its meetings."
                ),
            )
        return END
    except NotAllowed:
        await reply(update, _("Observers can read meetings but not log them."))
        return END
    return await _guided(update, context, membership)


async def edit_start(update: Update, context: BotContext) -> object:
    """A meeting's Edit button: the review, where any field can be changed."""
    caller = context.require_caller()
    meeting = await context.services.meetings.get(caller, MeetingEdit.of(update).meeting_id)
    if not context.services.meetings.may_edit(caller, meeting):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return END
    await answer(update)
    about = _about(caller.require_membership())
    about["partnership"] = meeting.partnership_id
    return await FLOW.start(
        update, context, draft_of(meeting), review=True, mode=Mode.EDIT, id=meeting.id, **about
    )
