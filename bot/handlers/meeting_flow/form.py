"""The one-message form: `/meeting` followed by lines (`Title`, `when: …`, `action: what;
who; due`…). What it could not read or what is missing is asked afterwards, step by step,
each with a note saying why; a line that fits no field is shown to the person, who places
it (or leaves it out): nothing typed is dropped silently."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from markupsafe import Markup

from bot.context import BotContext
from bot.flows.engine import Choice, Invalid, Step
from bot.handlers.meeting_flow.actions import ONE_ACTION, set_index
from bot.handlers.meeting_flow.fields import (
    Meeting,
    ask_again,
    buttons_only,
    never,
    people,
    refused,
    with_text,
)
from bot.views import meetings as views
from bot.views import texts
from bot.views.render import bold, shorten
from services.meeting_fields import (
    MAX_ACTIONS,
    REQUIRED,
    ActionDraft,
    Field,
    InvalidMeetingField,
    MeetingDraft,
    Problem,
    check_text,
    check_what,
    parse_form,
    parse_participants,
)

PLACE = "place"
#: Where a line may go, besides a new follow-up action or nowhere.
TARGETS = (Field.TITLE, Field.PARTICIPANTS, Field.LOCATION, Field.SUMMARY, Field.DECISIONS)


@dataclass(slots=True)
class Form:
    """What the form gave: the draft, the steps to ask (with why) and the flow's extra."""

    draft: MeetingDraft
    queue: list[str]
    notes: dict[str, Markup]
    extra: dict[str, Any] = field(default_factory=dict)


async def read_form(context: BotContext, text: str, partnership_id: int, timezone: str) -> Form:
    """Read the form into a draft; queue the lines to place, then the steps to ask."""
    _ = context._
    result = parse_form(
        text,
        language=_.language,
        now=context.services.clock(),
        timezone=timezone,
        members=await context.services.meetings.people(partnership_id),
    )
    form = Form(result.draft, [step for step, _problem in result.ask], {})
    due_notes: dict[str, str] = {}
    for step, problem in result.ask:
        if problem is None:
            continue
        name, _sep, number = step.partition(":")
        if number:
            due_notes[number] = str(views.problem(_, problem))
        else:
            form.notes[name] = views.problem(_, problem)
    form.extra["due_notes"] = due_notes
    if result.unplaced:
        form.queue.insert(0, PLACE)
        form.extra["unplaced"] = result.unplaced
    return form


def queued(turn: Meeting, entry: str) -> str | None:
    """The step a queued entry asks: `due:2` is the due date of the third action; a line to
    place or a required field that is no longer needed is passed over."""
    name, _sep, number = entry.partition(":")
    if name == PLACE:
        return name if turn.extra.get("unplaced") else None
    if name in ONE_ACTION:
        if number.isdigit():
            set_index(turn, int(number))
        exists = int(turn.extra.get("action", 0)) < len(turn.draft.actions)
        return name if name == ONE_ACTION[0] or exists else None
    # A required field asked only because it was missing may have been placed since.
    notes = turn.state.get("notes") or {}
    if name in {f.value for f in REQUIRED} and name not in notes:
        return None if Field(name) not in turn.draft.missing() else name
    return name


# -- placing a line -------------------------------------------------------------------------------


async def _place_question(turn: Meeting) -> Markup:
    _ = turn._
    line = str((turn.extra.get("unplaced") or [""])[0])
    return Markup("\n").join(
        [
            _("I could not tell where this line belongs: {line}", line=bold(shorten(line, 500))),
            _("Choose where to put it, or leave it out."),
        ]
    )


async def _targets(turn: Meeting) -> list[Choice]:
    _ = turn._
    choices = [Choice(_.text(views.FIELD_LABELS[t]), t.value) for t in TARGETS]
    choices.append(Choice(_.text(views.ACTION_LABEL), "action"))
    return [*choices, Choice(_.text(views.LEAVE_OUT), "drop")]


async def _placed(turn: Meeting, target: str) -> MeetingDraft:
    """Put the line where the person said (or leave it out); then the next line."""
    unplaced: list[str] = list(turn.extra.get("unplaced") or [])
    if not unplaced:
        raise Invalid(texts.expired(turn._))
    try:
        values = await _with_line(turn, target, unplaced[0])
    except InvalidMeetingField as error:
        raise refused(turn, error) from error
    turn.extra["unplaced"] = unplaced[1:]
    if unplaced[1:]:
        ask_again(turn, PLACE)
    return values


async def _with_line(turn: Meeting, target: str, line: str) -> MeetingDraft:
    values = turn.draft
    if target == Field.TITLE.value:
        return replace(values, title=check_text(Field.TITLE, line))
    if target == Field.PARTICIPANTS.value:
        added = parse_participants(line, await people(turn))
        return replace(values, participants=(*values.participants, *added))
    if target == Field.LOCATION.value:
        joined = f"{values.location}, {line}" if values.location else line
        return replace(values, location=check_text(Field.LOCATION, joined))
    if target in (Field.SUMMARY.value, Field.DECISIONS.value):
        meeting_field = Field(target)
        current = values.summary if meeting_field is Field.SUMMARY else values.decisions
        joined = f"{current}\n{line}" if current else line
        return with_text(values, meeting_field, check_text(meeting_field, joined))
    if target == "action":
        if len(values.actions) >= MAX_ACTIONS:
            raise InvalidMeetingField(
                Field.ACTIONS, Problem.TOO_MANY, length=MAX_ACTIONS + 1, limit=MAX_ACTIONS
            )
        return replace(values, actions=(*values.actions, ActionDraft(check_what(line))))
    if target == "drop":
        return values
    raise Invalid(texts.expired(turn._))


PLACE_STEP: Step[MeetingDraft] = Step(
    name=PLACE,
    label=views.LEAVE_OUT,
    question=_place_question,
    choices=_targets,
    chosen=_placed,
    # Answered with its buttons only: /skip says so.
    required=True,
    required_message=buttons_only,
    asked_if=never,
    on_review=False,
)
