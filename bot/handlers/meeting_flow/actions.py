"""The follow-up actions of a meeting: what → who → due, repeated until the person stops;
from the review, a menu to change, remove or add one. The index of the action being asked
is kept in the flow's extra state (`action`). Also the guided order of all the steps."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from markupsafe import Markup

from bot.flows.engine import Choice, Invalid, Stay, Step
from bot.handlers.meeting_flow.fields import (
    Meeting,
    always,
    ask_again,
    buttons_only,
    never,
    people,
    refused,
    timezone,
)
from bot.i18n import N_
from bot.messaging import answer, reply
from bot.views import meetings as views
from bot.views import texts
from bot.views.render import bold, shorten
from services.meeting_fields import (
    MAX_ACTIONS,
    ActionDraft,
    Field,
    InvalidMeetingField,
    MeetingDraft,
    check_what,
    local_today,
    parse_due,
    parse_owner,
)

OWNER_BUTTONS = 10
#: The flow's own action that keeps a due date already past.
PAST_DUE = "pastdue"
KEEP_PAST_DUE = N_("Keep this date")
MORE_MEMBERS = N_("More members ▸")
OTHER_MEMBERS = N_("Other members of the partnership:")
WHAT, WHO, DUE, MENU = "what", "who", "due", Field.ACTIONS.value
#: The questions of one action, in order.
ONE_ACTION = (WHAT, WHO, DUE)
#: The guided order: "what" stands for the actions, which repeat until the person stops.
GUIDED = tuple(WHAT if f is Field.ACTIONS else f.value for f in Field)


def index(turn: Meeting) -> int:
    """The index of the action being asked about."""
    return int(turn.extra.get("action", 0))


def set_index(turn: Meeting, number: int) -> None:
    """Ask about action `number` (one past the last: a new action)."""
    turn.extra["action"] = number


def _action(turn: Meeting) -> ActionDraft | None:
    actions = turn.draft.actions
    return actions[index(turn)] if index(turn) < len(actions) else None


def _existing(turn: Meeting) -> ActionDraft:
    """The action whose owner or due date is asked (gone: the button was an old one)."""
    action = _action(turn)
    if action is None:
        raise Invalid(texts.expired(turn._))
    return action


def _with_action(turn: Meeting, action: ActionDraft) -> MeetingDraft:
    return turn.draft.with_action(index(turn), action)


def listing(turn: Meeting) -> Markup:
    """The draft's actions, numbered."""
    return Markup("\n").join(
        views.action_line(turn._, number, action, None)
        for number, action in enumerate(turn.draft.actions, 1)
    )


# -- what -----------------------------------------------------------------------------------------


async def _what_question(turn: Meeting) -> Markup:
    _ = turn._
    if _action(turn) is not None:
        return _("Follow-up action {number}: what needs doing?", number=index(turn) + 1)
    if turn.draft.actions:
        return (
            listing(turn)
            + Markup("\n")
            + _("Another follow-up action? Send what needs doing, or /skip.")
        )
    return _("Any follow-up action? Send what needs doing (one action at a time), or /skip.")


async def _read_what(turn: Meeting, text: str) -> MeetingDraft:
    try:
        what = check_what(text)
    except InvalidMeetingField as error:
        raise refused(turn, error) from error
    existing = _action(turn)
    if existing is None and len(turn.draft.actions) >= MAX_ACTIONS:
        raise Invalid(
            turn._.plural(
                "A meeting holds at most {count} follow-up action. Send /skip to go on.",
                "A meeting holds at most {count} follow-up actions. Send /skip to go on.",
                MAX_ACTIONS,
            )
        )
    set_index(turn, min(index(turn), len(turn.draft.actions)))
    return _with_action(turn, replace(existing or ActionDraft(what), what=what))


async def _no_more(turn: Meeting) -> list[Choice]:
    if _action(turn) is not None:
        return []
    return [Choice(turn._.text(views.NO_MORE_ACTIONS), "none")]


async def _no_more_pressed(turn: Meeting, value: str) -> MeetingDraft:
    return turn.draft  # the order goes on past the actions (see `after`)


# -- who ------------------------------------------------------------------------------------------


async def _who_question(turn: Meeting) -> Markup:
    return turn._(
        "Who will do it: {what}? Choose a member, send a member's @username, or send"
        " anyone else's name.",
        what=bold(_existing(turn).what),
    )


async def _owners(turn: Meeting) -> list[Choice]:
    """The caller, the members among the participants, then other members, a page at a
    time (More ▸ turns the page); Nobody yet."""
    caller = turn.context.require_caller()
    members = await people(turn)
    names = {m.member_id: m.name for m in members}
    ordered = [caller.identity.user_id]
    ordered += [p.member_id for p in turn.draft.participants if p.member_id is not None]
    ordered += [m.member_id for m in members]
    everyone = [(m, names[m]) for m in dict.fromkeys(ordered) if m in names]
    pages = max((len(everyone) + OWNER_BUTTONS - 1) // OWNER_BUTTONS, 1)
    page = int(turn.extra.get("owner_page", 0)) % pages
    owners = everyone[page * OWNER_BUTTONS : (page + 1) * OWNER_BUTTONS]
    turn.extra["owners"] = [[member_id, name] for member_id, name in owners]
    choices = [Choice(shorten(name, 30), str(n)) for n, (_m, name) in enumerate(owners)]
    if pages > 1:
        choices.append(Choice(turn._.text(MORE_MEMBERS), "more"))
    return [*choices, Choice(turn._.text(views.NOBODY_YET), "none")]


async def _owner_chosen(turn: Meeting, value: str) -> MeetingDraft:
    action = _existing(turn)
    if value == "none":
        return _with_action(turn, replace(action, owner_id=None, owner_name=""))
    if value == "more":
        turn.extra["owner_page"] = int(turn.extra.get("owner_page", 0)) + 1
        raise Stay(turn._(OTHER_MEMBERS))
    owners = turn.extra.get("owners") or []
    if not value.isdigit() or int(value) >= len(owners):
        raise Invalid(texts.expired(turn._))
    member_id, name = owners[int(value)]
    return _with_action(turn, replace(action, owner_id=int(member_id), owner_name=str(name)))


async def _read_owner(turn: Meeting, text: str) -> MeetingDraft:
    action = _existing(turn)
    try:
        owner_id, owner_name = parse_owner(text, await people(turn))
    except InvalidMeetingField as error:
        raise refused(turn, error) from error
    return _with_action(turn, replace(action, owner_id=owner_id, owner_name=owner_name))


# -- due ------------------------------------------------------------------------------------------


async def _due_question(turn: Meeting) -> Markup:
    _existing(turn)
    # Why the one-message form asks it (an unreadable date), once.
    note = (turn.extra.get("due_notes") or {}).pop(str(index(turn)), None)
    question = turn._("When is it due? Send a date, e.g. 15/12, next friday, 2026-12-15.")
    return Markup(note) + Markup("\n") + question if note else question


async def _read_due(turn: Meeting, text: str) -> MeetingDraft:
    """A lenient date, echoed back in full."""
    action = _existing(turn)
    now = turn.context.services.clock()
    try:
        due = parse_due(text, language=turn._.language, now=now, timezone=timezone(turn))
    except InvalidMeetingField as error:
        raise refused(turn, error) from error
    if due < local_today(now, timezone(turn)):
        # Born overdue, it would never be reminded: a slip of the keyboard, or on purpose?
        _ = turn._
        raise Invalid(
            _(
                "{day} is already past: the action would be overdue at once and never"
                " reminded. Send another date, or keep this one.",
                day=views.full_day(_, due),
            ),
            actions=[(_.text(KEEP_PAST_DUE), PAST_DUE, due.isoformat())],
        )
    await reply(turn.update, turn._("📅 {when}", when=views.full_day(turn._, due)))
    return _with_action(turn, replace(action, due_on=due))


async def keep_past_due(turn: Meeting, value: str) -> object:
    """The author keeps a due date already past (the button of `_read_due`'s question)."""
    try:
        due = date.fromisoformat(value)
    except ValueError:
        await answer(turn.update, turn._.text(texts.BUTTON_EXPIRED))
        return None
    await answer(turn.update)
    turn.draft = _with_action(turn, replace(_existing(turn), due_on=due))
    return await turn.flow.advance(turn)


async def _no_due(turn: Meeting) -> list[Choice]:
    return [Choice(turn._.text(views.NO_DUE_DATE), "none")]


async def _no_due_pressed(turn: Meeting, value: str) -> MeetingDraft:
    return _with_action(turn, replace(_existing(turn), due_on=None))


# -- the menu of the review -----------------------------------------------------------------------


async def _menu_question(turn: Meeting) -> Markup:
    _ = turn._
    heading = Markup("<b>{}</b>\n").format(_.text(views.FIELD_LABELS[Field.ACTIONS]))
    return heading + (listing(turn) if turn.draft.actions else _("No follow-up actions yet."))


async def _menu(turn: Meeting) -> list[Choice]:
    """✎ and ✖ for each action, ➕ to add one, « back to the review."""
    choices: list[Choice] = []
    for number in range(1, len(turn.draft.actions) + 1):
        choices += [
            Choice(f"✎ {number}", f"e{number - 1}"),
            Choice(f"✖ {number}", f"x{number - 1}"),
        ]
    if len(turn.draft.actions) < MAX_ACTIONS:
        add = "➕ " + turn._.text(views.ADD_ACTION)
        choices.append(Choice(add, f"e{len(turn.draft.actions)}"))
    return [*choices, Choice("« " + turn._.text(views.BACK), "back")]


async def _menu_pressed(turn: Meeting, value: str) -> MeetingDraft:
    values = turn.draft
    number = int(value[1:]) if value[1:].isdigit() else -1
    if value == "back":
        return values
    if value.startswith("e") and 0 <= number <= len(values.actions) and number < MAX_ACTIONS:
        set_index(turn, number)
        turn.state["queue"] = list(ONE_ACTION)  # then the review again
        return values
    if value.startswith("x") and 0 <= number < len(values.actions):
        ask_again(turn, MENU)
        actions = list(values.actions)
        del actions[number]
        return replace(values, actions=tuple(actions))
    raise Invalid(texts.expired(turn._))


# -- the steps and their order --------------------------------------------------------------------


def _what_now(turn: Meeting) -> str | None:
    action = _action(turn)
    return action.what if action else None


def _owner_now(turn: Meeting) -> str | None:
    action = _action(turn)
    return action.owner_name if action and action.owner_name else None


def _due_now(turn: Meeting) -> str | None:
    action = _action(turn)
    return views.full_day(turn._, action.due_on) if action and action.due_on else None


def action_steps() -> tuple[Step[MeetingDraft], ...]:
    """The menu (a button of the review), then what, who and due."""
    return (
        Step(
            name=MENU,
            label=views.FIELD_LABELS[Field.ACTIONS],
            question=_menu_question,
            choices=_menu,
            chosen=_menu_pressed,
            # Answered with its buttons only: /skip says so.
            required=True,
            required_message=buttons_only,
            # Not in the guided order (its steps are), but on the review.
            asked_if=never,
            on_review_if=always,
        ),
        Step(
            name=WHAT,
            label=views.ACTION_LABEL,
            question=_what_question,
            current=_what_now,
            reads=_read_what,
            choices=_no_more,
            chosen=_no_more_pressed,
            on_review=False,
        ),
        Step(
            name=WHO,
            label=views.ACTION_LABEL,
            question=_who_question,
            current=_owner_now,
            reads=_read_owner,
            choices=_owners,
            chosen=_owner_chosen,
            asked_if=never,
            on_review=False,
        ),
        Step(
            name=DUE,
            label=views.ACTION_LABEL,
            question=_due_question,
            current=_due_now,
            reads=_read_due,
            choices=_no_due,
            chosen=_no_due_pressed,
            asked_if=never,
            on_review=False,
        ),
    )


def after(turn: Meeting, step: str) -> str | None:
    """The guided order: after the decisions, actions until the person stops, then the rest."""
    if step == WHAT:
        return WHO if _action(turn) is not None else Field.CONFIDENTIALITY.value
    if step == WHO:
        return DUE
    if step in (DUE, Field.DECISIONS.value):
        set_index(turn, len(turn.draft.actions))  # a new action
        return WHAT
    position = GUIDED.index(step) if step in GUIDED else len(GUIDED)
    return GUIDED[position + 1] if position + 1 < len(GUIDED) else None


def before(turn: Meeting, step: str) -> str:
    """/back in the guided order."""
    if step in (WHO, DUE):
        return ONE_ACTION[ONE_ACTION.index(step) - 1]
    if step == Field.CONFIDENTIALITY.value:
        set_index(turn, len(turn.draft.actions))
        return WHAT
    position = GUIDED.index(step) if step in GUIDED else 0
    return GUIDED[max(position - 1, 0)]
