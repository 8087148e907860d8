"""Challenges after they are flagged: Open, the lifecycle with notes, Reopen, /challenge_alerts
(a member's opt-out) and /escalation (an admin's rule). Edit opens the flag flow's review.

Open, the map and the attachments always answer in the presser's private chat: pressed in a
linked group, they show the group nothing more than the alert did.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from markupsafe import Markup
from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden

from bot.callbacks import (
    ChallengeAlertsSwitch,
    ChallengeEdit,
    ChallengeFiles,
    ChallengeMap,
    ChallengeOpen,
    ChallengeReopen,
    ChallengeStatusChange,
    EscalationDelay,
    EscalationScope,
)
from bot.context import BotContext
from bot.flows.engine import END, Choice, Flow, Invalid, Step, Turn
from bot.i18n import N_
from bot.messaging import answer, reply, show
from bot.views import challenges as views
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard
from bot.views.render import bold, split_html
from domain.challenges import Status
from services.access import Capability
from services.challenges import (
    ChallengeDetail,
)
from services.challenges_input import TextTooLong, clean_note
from services.errors import InvalidInput, NotAllowed

DELAYS = (15, 30, 60, 120)
MAP = N_("Map")
ATTACHMENTS = N_("Attachments")
TURN_OFF = N_("🔕 Turn them off")
TURN_ON = N_("🔔 Turn them on")
CRITICAL_ONLY = N_("Critical only")
HIGH_AND_CRITICAL = N_("High and critical")
MINUTES_BUTTON = N_("{count} min")
MOVED_ON = N_("This button is out of date: the challenge moved on. Open it again.")


# -- Open, map, attachments -------------------------------------------------------------------


async def open_challenge(update: Update, context: BotContext) -> None:
    """A challenge in full, with the lifecycle buttons for coordinators and admins."""
    challenge_id = ChallengeOpen.of(update).challenge_id
    detail = await context.services.challenges.detail(context.require_caller(), challenge_id)
    await _to_private(
        update,
        context,
        views.detail_text(context._, detail),
        _detail_keyboard(context, detail),
        protect=detail.card.challenge.restricted,
    )


def _detail_keyboard(context: BotContext, detail: ChallengeDetail) -> InlineKeyboardMarkup | None:
    _ = context._
    challenge = detail.card.challenge
    actions = [
        button("→ " + _.text(views.STATUS_ACTIONS[s]), ChallengeStatusChange(challenge.id, s))
        for s in detail.next_statuses
    ]
    rows = in_rows(actions, 2)
    if detail.can_reopen:
        rows.append([button(_.text(views.REOPEN), ChallengeReopen(challenge.id))])
    more = []
    if detail.can_edit:
        more.append(button(_.text(views.EDIT), ChallengeEdit(challenge.id)))
    if challenge.latitude is not None and challenge.longitude is not None:
        more.append(button("📍 " + _.text(MAP), ChallengeMap(challenge.id)))
    if detail.attachments:
        more.append(button("📎 " + _.text(ATTACHMENTS), ChallengeFiles(challenge.id)))
    if more:
        rows.append(more)
    return keyboard(rows) if rows else None


async def _to_private(
    update: Update,
    context: BotContext,
    text: Markup,
    markup: InlineKeyboardMarkup | None = None,
    *,
    protect: bool = False,
) -> None:
    """Send into the presser's private chat; from a group, say where it went."""
    chat = update.effective_chat
    user = update.effective_user
    assert user is not None
    if chat is not None and chat.type == ChatType.PRIVATE:
        await answer(update)
        await reply(update, text, markup, protect=protect)
        return
    try:
        parts = split_html(str(text))
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await context.bot.send_message(
                user.id, part, reply_markup=markup if last else None, protect_content=protect
            )
    except (Forbidden, BadRequest):
        # Telegram lets a bot write only to people who opened a chat with it.
        await answer(
            update,
            context._.text(N_("Open a private chat with me first, then press the button again.")),
        )
        return
    await answer(update, context._.text(N_("Sent to your private chat with me.")))


async def show_map(update: Update, context: BotContext) -> None:
    """The challenge's location pin."""
    detail = await context.services.challenges.detail(
        context.require_caller(), ChallengeMap.of(update).challenge_id
    )
    challenge = detail.card.challenge
    user = update.effective_user
    assert user is not None
    if challenge.latitude is None or challenge.longitude is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return
    await answer(update)
    try:
        await context.bot.send_location(
            user.id,
            challenge.latitude,
            challenge.longitude,
            protect_content=challenge.restricted,
        )
    except (Forbidden, BadRequest):
        return


async def show_attachments(update: Update, context: BotContext) -> None:
    """The challenge's photos and documents, in the presser's private chat."""
    detail = await context.services.challenges.detail(
        context.require_caller(), ChallengeFiles.of(update).challenge_id
    )
    user = update.effective_user
    assert user is not None
    await answer(update)
    caption = f"#{detail.card.challenge.id}"
    protect = detail.card.challenge.restricted
    try:
        for attachment in detail.attachments:
            if attachment.kind == "photo":
                await context.bot.send_photo(
                    user.id, attachment.file_id, caption=caption, protect_content=protect
                )
            else:
                await context.bot.send_document(
                    user.id, attachment.file_id, caption=caption, protect_content=protect
                )
    except (Forbidden, BadRequest):
        return


# -- the lifecycle -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A lifecycle button pressed: the challenge, its new status, and the note for the history.
    `reopen`: Reopen was pressed (the service chooses the status; the note is needed)."""

    id: int
    status: Status
    note: str = ""
    reopen: bool = False


async def _why_question(turn: Turn[StatusChange]) -> Markup:
    return turn._(
        "Reopen #{number}: send a note for the history saying why (what happened since,"
        " a reference).",
        number=turn.draft.id,
    )


async def _note_question(turn: Turn[StatusChange]) -> Markup:
    _ = turn._
    return _(
        "#{number} → {status}. Send a note for the history (what corroborates it, a"
        " reference, what was done), or press Without a note.",
        number=turn.draft.id,
        status=bold(views.status_name(_, turn.draft.status)),
    )


async def _without_note_choice(turn: Turn[StatusChange]) -> list[Choice]:
    return [Choice(turn._.text(views.WITHOUT_NOTE), "none")]


async def _without_note(turn: Turn[StatusChange], value: str) -> StatusChange:
    return replace(turn.draft, note="")


async def _note_read(turn: Turn[StatusChange], text: str) -> StatusChange:
    try:
        note = clean_note(text)
    except InvalidInput as error:
        raise Invalid(_problem(turn.context, error)) from error
    return replace(turn.draft, note=note)


async def _change_status(turn: Turn[StatusChange]) -> None:
    """The change, with its note; the challenge as it now stands follows."""
    _, context, draft = turn._, turn.context, turn.draft
    challenges = context.services.challenges
    try:
        if draft.reopen:
            changed = await challenges.reopen(context.require_caller(), draft.id, draft.note)
        else:
            changed = await challenges.change_status(
                context.require_caller(), draft.id, draft.status, draft.note
            )
    except InvalidInput as error:
        if error.field != "status":
            raise Invalid(_problem(context, error)) from error
        await reply(turn.update, _("It moved on meanwhile; here it is as it stands now."))
        await _send_detail(turn.update, context, draft.id)
        return
    await reply(
        turn.update,
        _(
            "#{number} is now {status}.",
            number=changed.id,
            status=bold(views.status_name(_, changed.status)),
        ),
    )
    await _send_detail(turn.update, context, changed.id)


STATUS_CHANGE: Flow[StatusChange] = Flow(
    name="challenge_status",
    title=N_("a challenge's status change"),
    draft=StatusChange,
    steps=(
        Step(
            name="note",
            label=N_("Note"),
            question=_note_question,
            reads=_note_read,
            choices=_without_note_choice,
            chosen=_without_note,
            asked_if=lambda draft: not draft.reopen,
        ),
        Step(
            name="why",
            label=N_("Note"),
            question=_why_question,
            reads=_note_read,
            required=True,
            asked_if=lambda draft: draft.reopen,
        ),
    ),
    save=_change_status,
    reviewed=False,
)


async def status_pressed(update: Update, context: BotContext) -> object:
    """A lifecycle button: ask for an optional note."""
    _ = context._
    pressed = ChallengeStatusChange.of(update)
    challenge_id, status = pressed.challenge_id, pressed.status
    detail = await context.services.challenges.detail(context.require_caller(), challenge_id)
    if not detail.can_manage:
        raise NotAllowed(Capability.MANAGE_CHALLENGES.least_role)
    if status not in detail.next_statuses:
        await answer(update, _.text(MOVED_ON))
        return END
    await answer(update)
    return await STATUS_CHANGE.start(update, context, StatusChange(challenge_id, status))


async def reopen_pressed(update: Update, context: BotContext) -> object:
    """Reopen on a resolved or dismissed challenge: ask why."""
    challenge_id = ChallengeReopen.of(update).challenge_id
    detail = await context.services.challenges.detail(context.require_caller(), challenge_id)
    if not detail.can_manage:
        raise NotAllowed(Capability.MANAGE_CHALLENGES.least_role)
    if not detail.can_reopen:
        await answer(update, context._.text(MOVED_ON))
        return END
    await answer(update)
    draft = StatusChange(challenge_id, detail.card.challenge.status, reopen=True)
    return await STATUS_CHANGE.start(update, context, draft, at="why")


def _problem(context: BotContext, error: InvalidInput) -> Markup:
    if isinstance(error, TextTooLong):
        return context._(
            "That has {length} characters; at most {limit} fit here. Please shorten it.",
            length=error.length,
            limit=error.limit,
        )
    return texts.explain(context._, error)


async def _send_detail(update: Update, context: BotContext, challenge_id: int) -> None:
    detail = await context.services.challenges.detail(context.require_caller(), challenge_id)
    await reply(update, views.detail_text(context._, detail), _detail_keyboard(context, detail))


# -- /challenge_alerts and /escalation -------------------------------------------------------


async def alerts_menu(update: Update, context: BotContext) -> None:
    """Whether the caller gets the alerts of high and critical challenges, with a switch."""
    _ = context._
    caller = context.require_caller()
    membership = caller.require_membership()
    muted = await context.services.challenges.alerts_muted(caller)
    state = _("You do not receive them.") if muted else _("You receive them.")
    parts = [
        _(
            "Alerts of high and critical challenges go to every member of {partnership}.",
            partnership=bold(membership.partnership.name),
        )
        + Markup(" ")
        + state
    ]
    if caller.can(Capability.MANAGE_CHALLENGES):
        parts.append(
            _(
                "As a coordinator or admin, you get every challenge and every escalation"
                " whatever you choose here."
            )
        )
    switch = button(_.text(TURN_ON if muted else TURN_OFF), ChallengeAlertsSwitch(not muted))
    await show(update, Markup("\n\n").join(parts), keyboard([[switch]]))


async def alerts_pressed(update: Update, context: BotContext) -> None:
    """The switch of /challenge_alerts."""
    await context.services.challenges.set_alerts_muted(
        context.require_caller(), ChallengeAlertsSwitch.of(update).muted
    )
    await alerts_menu(update, context)


async def escalation_menu(update: Update, context: BotContext) -> None:
    """The partnership's escalation rule; admins change it with the buttons."""
    _ = context._
    caller = context.require_caller()
    membership = caller.require_membership()
    rule = await context.services.challenges.escalation_rule(caller)
    text = views.escalation_rule_text(_, rule, membership.partnership.name)
    if not caller.can(Capability.CONFIGURE_ESCALATION):
        await show(update, text)
        return

    def ticked(label: str, chosen: bool) -> str:
        return ("✓ " if chosen else "") + label

    delays = [
        button(
            ticked(str(_(MINUTES_BUTTON, count=minutes)), rule.minutes == minutes),
            EscalationDelay(minutes),
        )
        for minutes in DELAYS
    ]
    scope = [
        button(ticked(_.text(CRITICAL_ONLY), not rule.include_high), EscalationScope(False)),
        button(ticked(_.text(HIGH_AND_CRITICAL), rule.include_high), EscalationScope(True)),
    ]
    await show(
        update,
        text + Markup("\n\n") + _("Choose the delay and which challenges are escalated:"),
        keyboard([delays, scope]),
    )


async def escalation_delay_pressed(update: Update, context: BotContext) -> None:
    """A delay chosen (admins only: the service checks)."""
    await context.services.challenges.set_escalation_rule(
        context.require_caller(), minutes=EscalationDelay.of(update).minutes
    )
    await escalation_menu(update, context)


async def escalation_scope_pressed(update: Update, context: BotContext) -> None:
    """Critical only, or high and critical (admins only: the service checks)."""
    await context.services.challenges.set_escalation_rule(
        context.require_caller(), include_high=EscalationScope.of(update).include_high
    )
    await escalation_menu(update, context)
