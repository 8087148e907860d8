"""The guided meeting flow: /meeting (step by step, or the one-message form), the Edit button
of a meeting, and `/start meeting_<partnership>` from a group's button.

One persistent conversation: each step asks for one field and keeps the step when the answer
is not acceptable; /skip keeps the current value (or leaves an optional field empty), /back
returns one step, and a review shows everything, with a button per field, before saving.
The draft lives in the user's data, so a restart resumes at the same step. Buttons carry the
draft's token: a button of an older draft only says it is no longer active.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from typing import Any

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ConversationHandler

from bot.callbacks import (
    DraftToken,
    LinkTarget,
    MeetingActionEdit,
    MeetingActionRemove,
    MeetingBackToReview,
    MeetingEdit,
    MeetingFieldChosen,
    MeetingLink,
    MeetingOpen,
    MeetingSave,
    MeetingStep,
    MeetingStepName,
    Word,
)
from bot.context import BotContext
from bot.handlers import fallback
from bot.i18n import Translator
from bot.messaging import answer, reply, show, text_of
from bot.views import meetings as views
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard
from bot.views.render import bold, shorten
from domain.meetings import Attachment, AttachmentKind, MeetingKind
from domain.models import MemberInPartnership
from services.errors import NotAllowed, NotAMember
from services.meeting_fields import (
    MAX_ACTIONS,
    MAX_ATTACHMENT_NAME,
    MAX_ATTACHMENTS,
    ActionDraft,
    Field,
    InvalidMeetingField,
    MeetingDraft,
    Problem,
    check_text,
    check_what,
    link,
    link_suggestions,
    local_today,
    parse_due,
    parse_form,
    parse_owner,
    parse_participants,
    parse_when,
)
from services.meetings import draft_of

ASK = "meeting:ask"
REVIEW = "meeting:review"
DRAFT = "meeting"
#: The guided order; "actions" repeats (what → who → due) until the person stops.
STEPS = tuple(Field)
OWNER_BUTTONS = 10
START_PAYLOAD = "meeting"
_COMMAND = re.compile(r"^/\w+(@\w+)?")


class Mode:
    """What the flow is doing."""

    NEW = "new"
    EDIT = "edit"


# -- the draft ------------------------------------------------------------------------------------


def _draft(context: BotContext) -> dict[str, Any]:
    return context.draft(DRAFT)


def _values(context: BotContext) -> MeetingDraft:
    return MeetingDraft.from_json(_draft(context).get("values", {}))


def _store(context: BotContext, values: MeetingDraft) -> None:
    _draft(context)["values"] = values.as_json()


def _step(context: BotContext) -> tuple[str, int]:
    """The current step and, for the steps of one action, its index."""
    name, _sep, index = str(_draft(context).get("step", Field.WHEN.value)).partition(":")
    return name, int(index or 0)


def _set_step(context: BotContext, name: str, index: int | None = None) -> None:
    _draft(context)["step"] = name if index is None else f"{name}:{index}"


def _fresh(context: BotContext, partnership_id: int, mode: str, **extra: Any) -> dict[str, Any]:
    draft = context.draft(DRAFT, fresh=True)
    draft.update(
        token=secrets.token_hex(2), partnership=partnership_id, mode=mode, queue=[], **extra
    )
    return draft


def _token(context: BotContext) -> DraftToken:
    return DraftToken(str(_draft(context).get("token", "")))


def _current_token(context: BotContext, token: DraftToken) -> bool:
    """True if a pressed button's token is the draft's in progress."""
    return token == _token(context)


def _step_button(
    label: str, token: DraftToken, step: MeetingStepName, value: object
) -> InlineKeyboardButton:
    """A button of the current step: a kind, an owner, Done, where a line goes..."""
    return button(label, MeetingStep(token, step, Word(str(value))))


async def _people(context: BotContext) -> list[MemberInPartnership]:
    return await context.services.meetings.people(int(_draft(context)["partnership"]))


def _timezone(context: BotContext) -> str:
    return str(_draft(context).get("timezone") or "UTC")


# -- starting -------------------------------------------------------------------------------------


async def start(update: Update, context: BotContext) -> str | int:
    """/meeting: the guided flow; /meeting followed by lines: the one-message form."""
    membership = await context.services.meetings.author_membership(context.require_caller(), None)
    text = _COMMAND.sub("", text_of(update), count=1).strip()
    _fresh(
        context,
        membership.partnership_id,
        Mode.NEW,
        timezone=membership.partnership.timezone,
        name=membership.partnership.name,
    )
    if text:
        return await _from_form(update, context, text)
    return await _guided(update, context, membership.partnership.name)


async def _guided(update: Update, context: BotContext, partnership: str) -> str:
    """Begin the questions, the date first (now unless told otherwise)."""
    _store(context, MeetingDraft(held_at=context.services.clock()))
    _set_step(context, Field.WHEN.value)
    intro = context._(
        "New meeting for {partnership}. A few short questions; /skip passes an optional"
        " one, /back returns one step, /cancel stops without saving.",
        partnership=bold(partnership),
    )
    return await _ask(update, context, intro)


async def start_from_group(update: Update, context: BotContext) -> str | int:
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
        return ConversationHandler.END
    except NotAllowed:
        await reply(update, _("Observers can read meetings but not log them."))
        return ConversationHandler.END
    _fresh(
        context,
        membership.partnership_id,
        Mode.NEW,
        timezone=membership.partnership.timezone,
        name=membership.partnership.name,
    )
    return await _guided(update, context, membership.partnership.name)


async def edit_start(update: Update, context: BotContext) -> str | int:
    """A meeting's Edit button: the review, where any field can be changed."""
    caller = context.require_caller()
    meeting = await context.services.meetings.get(caller, MeetingEdit.of(update).meeting_id)
    if not context.services.meetings.may_edit(caller, meeting):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return ConversationHandler.END
    await answer(update)
    membership = caller.require_membership()
    _fresh(
        context,
        meeting.partnership_id,
        Mode.EDIT,
        id=meeting.id,
        timezone=membership.partnership.timezone,
        name=membership.partnership.name,
    )
    _store(context, draft_of(meeting))
    return await _review(update, context)


async def _from_form(update: Update, context: BotContext, text: str) -> str:
    """Fill the draft from the one-message form; then ask what is missing or unreadable."""
    draft = _draft(context)
    result = parse_form(
        text,
        language=context._.language,
        now=context.services.clock(),
        timezone=_timezone(context),
        members=await _people(context),
    )
    _store(context, result.draft)
    queue = [step for step, _problem in result.ask]
    notes = {step: _note(problem) for step, problem in result.ask if problem is not None}
    if result.unplaced:
        draft["unplaced"] = result.unplaced
        queue.insert(0, "place")
    draft.update(queue=queue, notes=notes, reviewing=True)
    if not queue:
        return await _review(update, context)
    return await _next_in_queue(update, context)


def _note(problem: InvalidMeetingField) -> dict[str, Any]:
    """A problem kept in the draft, to explain when its step is asked."""
    return {
        "field": problem.meeting_field,
        "problem": problem.kind.value,
        "length": problem.length,
        "limit": problem.limit,
    }


def _unnote(data: dict[str, Any]) -> InvalidMeetingField:
    return InvalidMeetingField(
        data["field"], Problem(data["problem"]), length=data["length"], limit=data["limit"]
    )


# -- asking ---------------------------------------------------------------------------------------


async def _ask(update: Update, context: BotContext, intro: Markup | None = None) -> str:
    """Ask for the current step."""
    _ = context._
    name, index = _step(context)
    draft = _draft(context)
    values = _values(context)
    parts: list[Markup] = [intro] if intro is not None else []
    note = draft.get("notes", {}).pop(f"{name}:{index}" if name == "due" else name, None)
    if note is not None:
        parts.append(views.problem(_, _unnote(note)))
    rows: list[list[InlineKeyboardButton]] = []
    token = _token(context)
    if name == "place":
        return await _ask_place(update, context, parts)
    if name in ("what", "who", "due"):
        parts += await _action_prompt(context, name, index, values, rows)
    else:
        meeting_field = Field(name)
        if not draft.get("reviewing"):
            parts.append(
                _("Step {step} of {steps}.", step=STEPS.index(meeting_field) + 1, steps=len(STEPS))
            )
        parts.append(_(views.PROMPTS.get(meeting_field, views.FIELD_LABELS[meeting_field])))
        parts += _current(context, meeting_field, values)
        rows += _field_buttons(_, meeting_field, token, values)
    parts.append(_navigation(context, name))
    await reply(update, Markup("\n").join(parts), keyboard(rows) if rows else None)
    return ASK


def _current(context: BotContext, meeting_field: Field, values: MeetingDraft) -> list[Markup]:
    """The value a step has now, and what /skip does."""
    _ = context._
    tz = _timezone(context)
    shown: Markup | str | None = None
    if meeting_field is Field.WHEN and values.held_at is not None:
        shown = views.full_moment(_, values.held_at, tz)
    elif meeting_field is Field.TITLE and values.title:
        shown = values.title
    elif meeting_field is Field.KIND and values.kind is not None:
        shown = views.kind_name(_, values.kind)
    elif meeting_field is Field.PARTICIPANTS and values.participants:
        shown = ", ".join(p.name for p in values.participants)
    elif meeting_field is Field.LOCATION and values.location:
        shown = values.location
    elif meeting_field is Field.SUMMARY and values.summary:
        shown = shorten(values.summary, 300)
    elif meeting_field is Field.DECISIONS and values.decisions:
        shown = shorten(values.decisions, 300)
    elif meeting_field is Field.ATTACHMENTS and values.attachments:
        shown = _.plural("{count} file", "{count} files", len(values.attachments))
    if meeting_field in (Field.KIND, Field.CONFIDENTIALITY):
        return [_("Now: {current}", current=shown)] if shown else []
    if shown:
        return [_("Now: {current}", current=shown), _("/skip keeps it.")]
    if meeting_field in (Field.TITLE, Field.ATTACHMENTS):
        return []
    return [_("/skip leaves it empty.")]


def _field_buttons(
    _: Translator, meeting_field: Field, token: DraftToken, values: MeetingDraft
) -> list[list[InlineKeyboardButton]]:
    if meeting_field is Field.KIND:
        return in_rows(
            [
                _step_button(views.kind_name(_, kind), token, "kind", kind.value)
                for kind in MeetingKind
            ],
            1,
        )
    if meeting_field is Field.CONFIDENTIALITY:
        mark = ("", "✓ ") if values.restricted else ("✓ ", "")
        return [
            [_step_button(mark[0] + _.text(views.EVERYONE), token, "conf", 0)],
            [_step_button(mark[1] + _.text(views.RESTRICTED), token, "conf", 1)],
        ]
    if meeting_field is Field.ATTACHMENTS:
        rows = [[_step_button("✓ " + _.text(views.DONE), token, "att", "done")]]
        if values.attachments:
            rows.append([_step_button(_.text(views.REMOVE_FILES), token, "att", "clear")])
        return rows
    return []


def _navigation(context: BotContext, name: str) -> Markup:
    _ = context._
    if _draft(context).get("reviewing"):
        return _("/back returns to the summary, /cancel stops without saving.")
    if name == Field.WHEN.value:
        return _("/cancel stops without saving.")
    return _("/back returns to the previous step, /cancel stops without saving.")


async def _action_prompt(
    context: BotContext,
    name: str,
    index: int,
    values: MeetingDraft,
    rows: list[list[InlineKeyboardButton]],
) -> list[Markup]:
    """The questions of one follow-up action: what, who, when due."""
    _ = context._
    token = _token(context)
    existing = values.actions[index] if index < len(values.actions) else None
    parts: list[Markup] = []
    if name == "what":
        if not _draft(context).get("reviewing") and existing is None:
            parts.append(
                _("Step {step} of {steps}.", step=STEPS.index(Field.ACTIONS) + 1, steps=len(STEPS))
            )
        if values.actions and existing is None:
            parts.append(
                Markup("\n").join(
                    views.action_line(_, number, action, None)
                    for number, action in enumerate(values.actions, 1)
                )
            )
        if existing is not None:
            parts.append(_("Follow-up action {number}: what needs doing?", number=index + 1))
            parts.append(_("Now: {current}", current=existing.what))
            parts.append(_("/skip keeps it."))
        elif values.actions:
            parts.append(_("Another follow-up action? Send what needs doing, or /skip."))
            rows.append([_step_button(_.text(views.NO_MORE_ACTIONS), token, "what", "none")])
        else:
            parts.append(
                _("Any follow-up action? Send what needs doing (one action at a time), or /skip.")
            )
            rows.append([_step_button(_.text(views.NO_MORE_ACTIONS), token, "what", "none")])
        return parts
    assert existing is not None
    if name == "who":
        owners = await _owner_choices(context, values)
        _draft(context)["owners"] = [[member_id, label] for member_id, label in owners]
        buttons = [
            _step_button(shorten(label, 30), token, "who", number)
            for number, (_member, label) in enumerate(owners)
        ]
        rows += in_rows(buttons, 2)
        rows.append([_step_button(_.text(views.NOBODY_YET), token, "who", "none")])
        parts.append(
            _(
                "Who will do it: {what}? Choose a member, send a member's @username, or send"
                " anyone else's name.",
                what=bold(existing.what),
            )
        )
        if existing.owner_name:
            parts += [_("Now: {current}", current=existing.owner_name), _("/skip keeps it.")]
        return parts
    rows.append([_step_button(_.text(views.NO_DUE_DATE), token, "due", "none")])
    parts.append(
        _(
            "When is it due? Send a date, e.g. 15/12, next friday, 2026-12-15.",
        )
    )
    if existing.due_on is not None:
        parts += [
            _("Now: {current}", current=views.full_day(_, existing.due_on)),
            _("/skip keeps it."),
        ]
    return parts


async def _owner_choices(context: BotContext, values: MeetingDraft) -> list[tuple[int, str]]:
    """The caller, the members among the participants, then other members: as buttons."""
    caller = context.require_caller()
    people = await _people(context)
    names = {m.member_id: m.name for m in people}
    ordered = [caller.identity.user_id]
    ordered += [p.member_id for p in values.participants if p.member_id is not None]
    ordered += [m.member_id for m in people]
    chosen: list[tuple[int, str]] = []
    for member_id in dict.fromkeys(ordered):
        if member_id in names and len(chosen) < OWNER_BUTTONS:
            chosen.append((member_id, names[member_id]))
    return chosen


async def _ask_place(update: Update, context: BotContext, parts: list[Markup]) -> str:
    """Ask where a line of the one-message form belongs."""
    _ = context._
    line = str(_draft(context).get("unplaced", [""])[0])
    token = _token(context)
    parts.append(
        _("I could not tell where this line belongs: {line}", line=bold(shorten(line, 500)))
    )
    parts.append(_("Choose where to put it, or leave it out."))
    targets = (Field.TITLE, Field.PARTICIPANTS, Field.LOCATION, Field.SUMMARY, Field.DECISIONS)
    buttons = [
        _step_button(_.text(views.FIELD_LABELS[target]), token, "place", target.value)
        for target in targets
    ]
    buttons.append(_step_button(_.text(views.ACTION_LABEL), token, "place", "action"))
    rows = in_rows(buttons, 2)
    rows.append([_step_button(_.text(views.LEAVE_OUT), token, "place", "drop")])
    parts.append(_("/back goes to the summary, /cancel stops without saving."))
    await reply(update, Markup("\n").join(parts), keyboard(rows))
    return ASK


# -- answers --------------------------------------------------------------------------------------


async def typed(update: Update, context: BotContext) -> str:
    """A typed answer to the current step."""
    name, index = _step(context)
    text = text_of(update)
    values = _values(context)
    clock = context.services.clock()
    language = context._.language
    try:
        if name == Field.WHEN.value:
            held = parse_when(text, language=language, now=clock, timezone=_timezone(context))
            _store(context, replace(values, held_at=held))
            await reply(
                update,
                context._("📅 {when}", when=views.full_moment(context._, held, _timezone(context))),
            )
        elif name == Field.TITLE.value:
            _store(context, replace(values, title=check_text(Field.TITLE, text)))
        elif name == Field.PARTICIPANTS.value:
            people = parse_participants(text, await _people(context))
            _store(context, replace(values, participants=people))
        elif name in (Field.LOCATION.value, Field.SUMMARY.value, Field.DECISIONS.value):
            _store(context, _with_text(values, Field(name), check_text(Field(name), text)))
        elif name == "what":
            return await _typed_what(update, context, index, text)
        elif name == "who":
            owner_id, owner_name = parse_owner(text, await _people(context))
            return await _set_owner(update, context, index, owner_id, owner_name)
        elif name == "due":
            due = parse_due(text, language=language, now=clock, timezone=_timezone(context))
            action = values.actions[index]
            _store(context, values.with_action(index, replace(action, due_on=due)))
            await reply(update, context._("📅 {when}", when=views.full_day(context._, due)))
            return await _after_action(update, context)
        elif name == Field.ATTACHMENTS.value:
            await reply(
                update,
                context._(
                    "Send a photo, a document or a voice note to attach, or press Done"
                    " (/skip) to go on."
                ),
            )
            return ASK
        else:
            # Steps answered with buttons (kind, confidentiality, where a line belongs).
            await fallback.use_the_buttons(update, context)
            return ASK
    except InvalidMeetingField as error:
        await reply(update, views.problem(context._, error))
        return ASK
    return await _advance(update, context)


async def _typed_what(update: Update, context: BotContext, index: int, text: str) -> str:
    values = _values(context)
    what = check_what(text)
    if index >= len(values.actions) and len(values.actions) >= MAX_ACTIONS:
        await reply(
            update,
            context._(
                "A meeting holds at most {limit} follow-up actions. Send /skip to go on.",
                limit=MAX_ACTIONS,
            ),
        )
        return ASK
    existing = values.actions[index] if index < len(values.actions) else ActionDraft(what)
    _store(context, values.with_action(index, replace(existing, what=what)))
    _set_step(context, "who", min(index, len(values.actions)))
    return await _ask(update, context)


async def _set_owner(
    update: Update, context: BotContext, index: int, owner_id: int | None, owner_name: str
) -> str:
    values = _values(context)
    action = replace(values.actions[index], owner_id=owner_id, owner_name=owner_name)
    _store(context, values.with_action(index, action))
    _set_step(context, "due", index)
    return await _ask(update, context)


async def _after_action(update: Update, context: BotContext) -> str:
    """An action is complete: the next one (guided), or back to the queue or the review."""
    draft = _draft(context)
    if draft.get("queue"):
        return await _next_in_queue(update, context)
    if draft.get("reviewing"):
        return await _review(update, context)
    _set_step(context, "what", len(_values(context).actions))
    return await _ask(update, context)


async def step_pressed(update: Update, context: BotContext) -> str:
    """A button of the current step: kind, owner, confidentiality, Done, where a line goes."""
    pressed = MeetingStep.of(update)
    name, index = _step(context)
    if not _current_token(context, pressed.token) or pressed.step != _button_step(name):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return ASK
    value = pressed.value
    values = _values(context)
    await answer(update)
    if name == Field.KIND.value:
        if value not in {kind.value for kind in MeetingKind}:
            return await _ask(update, context)
        _store(context, replace(values, kind=MeetingKind(value)))
    elif name == Field.CONFIDENTIALITY.value:
        _store(context, replace(values, restricted=value == "1"))
    elif name == Field.ATTACHMENTS.value and value == "clear":
        _store(context, replace(values, attachments=()))
        return await _ask(update, context)
    elif name == "what":
        return await _skip_action(update, context, index)
    elif name == "who":
        if value == "none":
            return await _set_owner(update, context, index, None, "")
        owners = _draft(context).get("owners", [])
        if not value.isdigit() or int(value) >= len(owners):
            return await _ask(update, context)
        member_id, label = owners[int(value)]
        return await _set_owner(update, context, index, int(member_id), str(label))
    elif name == "due":
        action = values.actions[index]
        _store(context, values.with_action(index, replace(action, due_on=None)))
        return await _after_action(update, context)
    elif name == "place":
        return await _place(update, context, value)
    return await _advance(update, context)


def _with_text(values: MeetingDraft, meeting_field: Field, text: str) -> MeetingDraft:
    """The draft with its location, summary or decisions replaced."""
    if meeting_field is Field.LOCATION:
        return replace(values, location=text)
    if meeting_field is Field.SUMMARY:
        return replace(values, summary=text)
    return replace(values, decisions=text)


def _button_step(name: str) -> str:
    """The step name buttons of a step carry."""
    return {Field.KIND.value: "kind", Field.CONFIDENTIALITY.value: "conf"}.get(
        name, "att" if name == Field.ATTACHMENTS.value else name
    )


async def media(update: Update, context: BotContext) -> str:
    """A photo, document, voice note, audio or video: attached at the attachments step."""
    name, _index = _step(context)
    if name != Field.ATTACHMENTS.value:
        await fallback.wrong_kind_of_answer(update, context)
        return ASK
    message = update.effective_message
    assert message is not None
    attachment = _attachment(message)
    if attachment is None:
        await reply(update, context._("Send a photo, a document or a voice note, or press Done."))
        return ASK
    values = _values(context)
    if len(values.attachments) >= MAX_ATTACHMENTS:
        await reply(
            update,
            context._(
                "A meeting holds at most {limit} files. Press Done (/skip) to go on.",
                limit=MAX_ATTACHMENTS,
            ),
        )
        return ASK
    values = replace(values, attachments=(*values.attachments, attachment))
    _store(context, values)
    _ = context._
    await reply(
        update,
        _.plural(
            "Attached: {count} file. Send more, or press Done.",
            "Attached: {count} files. Send more, or press Done.",
            len(values.attachments),
        ),
        keyboard([[_step_button("✓ " + _.text(views.DONE), _token(context), "att", "done")]]),
    )
    return ASK


def _attachment(message: Message) -> Attachment | None:
    caption = (message.caption or "")[:MAX_ATTACHMENT_NAME]
    if message.photo:
        return Attachment(AttachmentKind.PHOTO, message.photo[-1].file_id, caption)
    if message.document:
        name = message.document.file_name or caption
        return Attachment(
            AttachmentKind.DOCUMENT, message.document.file_id, name[:MAX_ATTACHMENT_NAME]
        )
    if message.voice:
        return Attachment(AttachmentKind.VOICE, message.voice.file_id, caption)
    if message.audio:
        name = message.audio.file_name or message.audio.title or caption
        return Attachment(AttachmentKind.AUDIO, message.audio.file_id, name[:MAX_ATTACHMENT_NAME])
    if message.video:
        return Attachment(AttachmentKind.VIDEO, message.video.file_id, caption)
    return None


async def skip(update: Update, context: BotContext) -> str:
    """Keep the step's value (a required field must have one) and go on."""
    name, index = _step(context)
    values = _values(context)
    if name == "what":
        return await _skip_action(update, context, index)
    if name == "who":
        return await _set_owner(
            update, context, index, values.actions[index].owner_id, values.actions[index].owner_name
        )
    if name == "due":
        return await _after_action(update, context)
    if name == "place":
        await fallback.use_the_buttons(update, context)
        return ASK
    meeting_field = Field(name)
    if meeting_field in values.missing():
        await reply(update, views.problem(context._, InvalidMeetingField(name, Problem.EMPTY)))
        return ASK
    return await _advance(update, context)


async def _skip_action(update: Update, context: BotContext, index: int) -> str:
    """/skip at "what": keep an existing action as it is, or stop adding actions."""
    values = _values(context)
    if index < len(values.actions):
        _set_step(context, "who", index)
        return await _ask(update, context)
    draft = _draft(context)
    if draft.get("queue"):
        return await _next_in_queue(update, context)
    if draft.get("reviewing"):
        return await _review(update, context)
    _set_step(context, Field.CONFIDENTIALITY.value)
    return await _ask(update, context)


async def _place(update: Update, context: BotContext, target: str) -> str:
    """Put a line of the one-message form where the person said, or leave it out."""
    draft = _draft(context)
    unplaced: list[str] = list(draft.get("unplaced", []))
    if not unplaced:
        return await _next_in_queue(update, context)
    line = unplaced[0]
    values = _values(context)
    try:
        if target == Field.TITLE.value:
            values = replace(values, title=check_text(Field.TITLE, line))
        elif target == Field.PARTICIPANTS.value:
            added = parse_participants(line, await _people(context))
            values = replace(values, participants=(*values.participants, *added))
        elif target == Field.LOCATION.value:
            joined = f"{values.location}, {line}" if values.location else line
            values = replace(values, location=check_text(Field.LOCATION, joined))
        elif target in (Field.SUMMARY.value, Field.DECISIONS.value):
            current = values.summary if target == Field.SUMMARY.value else values.decisions
            joined = f"{current}\n{line}" if current else line
            values = _with_text(values, Field(target), check_text(Field(target), joined))
        elif target == "action":
            if len(values.actions) >= MAX_ACTIONS:
                raise InvalidMeetingField(
                    Field.ACTIONS, Problem.TOO_MANY, length=MAX_ACTIONS + 1, limit=MAX_ACTIONS
                )
            values = replace(values, actions=(*values.actions, ActionDraft(check_what(line))))
        elif target != "drop":
            await fallback.use_the_buttons(update, context)
            return ASK
    except InvalidMeetingField as error:
        await reply(update, views.problem(context._, error))
        return await _ask(update, context)
    _store(context, values)
    draft["unplaced"] = unplaced[1:]
    if draft["unplaced"]:
        return await _ask(update, context)
    draft.pop("unplaced")
    return await _next_in_queue(update, context)


# -- moving between steps -------------------------------------------------------------------------


async def _advance(update: Update, context: BotContext) -> str:
    """After an accepted answer: the queue, the review, or the next step."""
    draft = _draft(context)
    name, _index = _step(context)
    if draft.get("queue"):
        return await _next_in_queue(update, context)
    if draft.get("reviewing"):
        return await _review(update, context)
    if name == Field.DECISIONS.value:
        _set_step(context, "what", len(_values(context).actions))
        return await _ask(update, context)
    position = STEPS.index(Field(name))
    if position == len(STEPS) - 1:
        return await _review(update, context)
    _set_step(context, STEPS[position + 1].value)
    return await _ask(update, context)


async def _next_in_queue(update: Update, context: BotContext) -> str:
    """The next thing the one-message form left to ask; the review when nothing is left."""
    draft = _draft(context)
    queue: list[str] = list(draft.get("queue", []))
    notes = draft.get("notes", {})
    values = _values(context)
    while queue:
        step = queue.pop(0)
        name = step.partition(":")[0]
        # A required field asked only because it was missing may have been placed since.
        if (
            name in {f.value for f in Field}
            and step not in notes
            and Field(name) not in values.missing()
        ):
            continue
        draft["queue"] = queue
        draft["step"] = step
        return await _ask(update, context)
    draft["queue"] = []
    return await _review(update, context)


async def back(update: Update, context: BotContext) -> str:
    """One step back; from a field opened on the review (or the form), to the review."""
    draft = _draft(context)
    name, index = _step(context)
    if draft.get("reviewing"):
        draft["queue"] = []
        draft.pop("unplaced", None)
        return await _review(update, context)
    if name == "who":
        _set_step(context, "what", index)
    elif name == "due":
        _set_step(context, "who", index)
    elif name == "what":
        _set_step(context, Field.DECISIONS.value)
    elif name == Field.CONFIDENTIALITY.value:
        _set_step(context, "what", len(_values(context).actions))
    else:
        position = STEPS.index(Field(name))
        _set_step(context, STEPS[max(position - 1, 0)].value)
    return await _ask(update, context)


# -- the review -----------------------------------------------------------------------------------


async def _review(update: Update, context: BotContext) -> str:
    """Every field, with a button to change each, and Save."""
    _ = context._
    draft = _draft(context)
    draft["reviewing"] = True
    draft["queue"] = []
    values = _values(context)
    token = _token(context)
    title = (
        _("Check the meeting, then save it. Press a field to change it.")
        if draft.get("mode") == Mode.NEW
        else _("Press a field to change it, then save.")
    )
    missing = values.missing()
    if missing:
        title += Markup("\n") + _(
            "Still missing: {fields}.",
            fields=", ".join(_.text(views.FIELD_LABELS[f]) for f in missing),
        )
    buttons = [
        button("✎ " + _.text(views.FIELD_LABELS[f]), MeetingFieldChosen(token, f)) for f in Field
    ]
    rows = in_rows(buttons, 2)
    suggestions = link_suggestions(values, await _people(context))
    rows += [
        [button(views.link_label(s), MeetingLink(token, LinkTarget(s.target), s.member.member_id))]
        for s in suggestions
    ]
    rows.append([button("✓ " + _.text(views.SAVE), MeetingSave(token))])
    today = local_today(context.services.clock(), _timezone(context))
    card = views.meeting_card(_, values, _timezone(context), today=today)
    if suggestions:
        card += Markup("\n\n") + _(views.LINK_HINT)
    await reply(update, title + Markup("\n\n") + card, keyboard(rows))
    return REVIEW


async def link_pressed(update: Update, context: BotContext) -> str:
    """The author says a typed name is a member: link it, then show the review again."""
    pressed = MeetingLink.of(update)
    values = _values(context)
    chosen = [
        s
        for s in link_suggestions(values, await _people(context))
        if (pressed.target, pressed.member_id) == (s.target, s.member.member_id)
    ]
    if not _current_token(context, pressed.token) or not chosen:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return REVIEW
    await answer(update)
    _store(context, link(values, chosen[0]))
    return await _review(update, context)


async def field_chosen(update: Update, context: BotContext) -> str:
    """A field's button on the review: ask for it, then come back."""
    pressed = MeetingFieldChosen.of(update)
    if not _current_token(context, pressed.token):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return REVIEW
    await answer(update)
    _draft(context)["reviewing"] = True
    if pressed.field is Field.ACTIONS:
        return await _actions_menu(update, context)
    _set_step(context, pressed.field.value)
    return await _ask(update, context)


async def _actions_menu(update: Update, context: BotContext) -> str:
    """The follow-up actions of the draft, each to change or remove, and one to add."""
    _ = context._
    values = _values(context)
    token = _token(context)
    rows: list[list[InlineKeyboardButton]] = []
    for number, _action in enumerate(values.actions, 1):
        rows.append(
            [
                button(f"✎ {number}", MeetingActionEdit(token, number - 1)),
                button(f"✖ {number}", MeetingActionRemove(token, number - 1)),
            ]
        )
    if len(values.actions) < MAX_ACTIONS:
        rows.append(
            [
                button(
                    "➕ " + _.text(views.ADD_ACTION), MeetingActionEdit(token, len(values.actions))
                )
            ]
        )
    rows.append([button("« " + _.text(views.BACK), MeetingBackToReview(token))])
    listing = (
        Markup("\n").join(
            views.action_line(_, number, action, None)
            for number, action in enumerate(values.actions, 1)
        )
        if values.actions
        else _("No follow-up actions yet.")
    )
    await reply(
        update,
        Markup("<b>{}</b>\n").format(_.text(views.FIELD_LABELS[Field.ACTIONS])) + listing,
        keyboard(rows),
    )
    return REVIEW


async def action_edit(update: Update, context: BotContext) -> str:
    """Change (or add) one follow-up action from the review."""
    pressed = MeetingActionEdit.of(update)
    values = _values(context)
    if not _current_token(context, pressed.token):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return REVIEW
    index = pressed.index
    if index > len(values.actions) or index >= MAX_ACTIONS:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return REVIEW
    await answer(update)
    _draft(context)["reviewing"] = True
    _set_step(context, "what", index)
    return await _ask(update, context)


async def action_remove(update: Update, context: BotContext) -> str:
    """Remove one follow-up action of the draft."""
    pressed = MeetingActionRemove.of(update)
    values = _values(context)
    if not _current_token(context, pressed.token) or pressed.index >= len(values.actions):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return REVIEW
    await answer(update)
    actions = list(values.actions)
    del actions[pressed.index]
    _store(context, replace(values, actions=tuple(actions)))
    return await _actions_menu(update, context)


async def back_to_review(update: Update, context: BotContext) -> str:
    """The « button of the actions menu."""
    if not _current_token(context, MeetingBackToReview.of(update).token):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return REVIEW
    await answer(update)
    return await _review(update, context)


async def review_back(update: Update, context: BotContext) -> str:
    """/back on the review: to the last step of a new meeting; otherwise stay."""
    draft = _draft(context)
    if draft.get("mode") == Mode.NEW:
        draft["reviewing"] = False
        _set_step(context, STEPS[-1].value)
        return await _ask(update, context)
    return await _review(update, context)


async def save(update: Update, context: BotContext) -> str | int:
    """Save the meeting and end the flow."""
    _ = context._
    if not _current_token(context, MeetingSave.of(update).token):
        await answer(update, _.text(texts.BUTTON_EXPIRED))
        return REVIEW
    draft = _draft(context)
    meeting_id = draft.get("id")
    try:
        saved = await context.services.meetings.save(
            context.require_caller(),
            int(draft["partnership"]),
            _values(context),
            int(meeting_id) if meeting_id is not None else None,
        )
    except InvalidMeetingField as error:
        await answer(update)
        await reply(
            update,
            views.problem(_, error)
            + Markup("\n")
            + _("Press the field's button on the summary above to fill it in."),
        )
        return REVIEW
    context.discard_draft(DRAFT)
    text = (
        _(
            "Saved: {title} is in the meeting log of {partnership}.",
            title=bold(saved.title),
            partnership=bold(str(draft.get("name", ""))),
        )
        if meeting_id is None
        else _("Saved the changes to {title}.", title=bold(saved.title))
    )
    # /meetings shows the active partnership: a meeting logged for another one (from a
    # group's button) is opened after switching to it.
    active = context.require_caller().membership
    opens = active is not None and active.partnership_id == saved.partnership_id
    await show(
        update,
        text,
        InlineKeyboardMarkup([[button(_.text(views.OPEN), MeetingOpen(saved.id))]])
        if opens
        else None,
    )
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel: drop the draft, then leave as every flow does."""
    context.discard_draft(DRAFT)
    return await fallback.cancel(update, context)
