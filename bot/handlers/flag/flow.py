"""The flag flow's declaration: its review, Submit with the personal-data question, Cancel,
and how it starts: /flag, step by step or from one message, and a challenge's Edit button
(the same review over the challenge as it stands; Submit saves the changes)."""

from __future__ import annotations

from dataclasses import fields

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.callbacks import ChallengeEdit
from bot.context import BotContext
from bot.flows.engine import END, Done, Flow, Invalid
from bot.handlers.flag.steps import STEPS, FlagDraft, FlagTurn, problem
from bot.i18n import N_, Translator
from bot.messaging import answer, show, text_of
from bot.views import challenges as views
from bot.views import texts
from bot.views.keyboards import keyboard
from bot.views.render import bold
from services.access import Capability
from services.challenges import PersonalDataSuspected, Submitted, new_key
from services.challenges_input import (
    ChallengeDraft,
    Step,
    TextTooLong,
    clean_description,
    clean_title,
    parse_quick,
    split_quick_text,
)
from services.errors import InvalidInput

SUBMIT = N_("Submit")
CANCEL = N_("Cancel")
SUBMIT_ANYWAY = N_("Submit: it is no personal data")
EDIT_TEXTS = N_("✎ Change the texts")
CLOSED = N_(
    "It is resolved or dismissed, so it can no longer be changed; a coordinator can reopen it."
)


# -- the review -------------------------------------------------------------------------------


async def _summary(turn: FlagTurn) -> Markup:
    """The whole challenge and the personal-data rule, under what to do with it."""
    _ = turn._
    turn.extra.pop("asked", None)
    draft = turn.draft
    if _editing(turn):
        parts = [
            _("#{number}: press a field to change it, then submit.", number=turn.extra["id"]),
            views.draft_text(_, draft, draft.timezone),
        ]
        if draft.severity_changed and draft.severity_note:
            parts.append(_("Note on the severity: {note}", note=draft.severity_note))
        return Markup("\n\n").join([*parts, _(views.PERSONAL_DATA_RULE)])
    if turn.extra.pop("quick", False):
        title = _(
            "I read your message as below. Add a place, a date or attachments with the buttons"
            " if you can, then submit."
        )
    else:
        title = _("Check your challenge, then submit it. Press a field to change it.")
    return Markup("\n\n").join(
        [title, views.draft_text(_, draft, draft.timezone), _(views.PERSONAL_DATA_RULE)]
    )


def _editing(turn: FlagTurn) -> bool:
    """The flow edits a stored challenge (its Edit button), rather than flagging one."""
    return "id" in turn.extra


async def _submit(turn: FlagTurn) -> Done:
    """Submit (or save an edit); what looks like personal data is asked about first
    (confirmed once only: a change of the texts needs a new look)."""
    _ = turn._
    confirmed = bool(turn.extra.pop("personal_data_ok", False))
    challenges = turn.context.services.challenges
    caller = turn.context.require_caller()
    try:
        if _editing(turn):
            return await _save_edit(turn, confirmed)
        submitted = await challenges.submit(
            caller, turn.draft, key=str(turn.extra["key"]), personal_data_confirmed=confirmed
        )
    except PersonalDataSuspected as suspected:
        # The draft as it was asked about: "submit anyway" holds for these texts only.
        turn.extra["asked"] = dict(turn.state["draft"])
        raise Invalid(
            views.personal_data_question(_, suspected),
            actions=[(_.text(EDIT_TEXTS), "fix", "0"), (_.text(SUBMIT_ANYWAY), "anyway", "0")],
        ) from suspected
    except InvalidInput as error:
        if error.field == "status":
            raise Invalid(_(CLOSED)) from error
        raise Invalid(problem(_, error)) from error
    return Done(_flagged(_, submitted), _open(_, submitted.challenge.id))


def _open(_: Translator, challenge_id: int) -> InlineKeyboardMarkup:
    label, data = views.open_button(_, challenge_id)
    return keyboard([[InlineKeyboardButton(label, callback_data=data)]])


async def _save_edit(turn: FlagTurn, confirmed: bool) -> Done:
    """The changes written over the challenge as it now stands."""
    _ = turn._
    challenge_id = int(turn.extra["id"])
    draft = turn.draft
    edited = await turn.context.services.challenges.edit(
        turn.context.require_caller(),
        challenge_id,
        ChallengeDraft.from_json(turn.extra["original"]),
        draft,
        note=draft.severity_note if draft.severity_changed else "",
        personal_data_confirmed=confirmed,
    )
    if edited.event is None:
        return Done(_("Nothing was changed."), _open(_, challenge_id))
    parts = [
        _(
            "Saved the changes to #{number}: {fields}.",
            number=challenge_id,
            fields=views.changes_text(_, edited.event),
        )
    ]
    if edited.alerted:
        parts.append(
            _.plural(
                "{count} coordinator is alerted to the higher severity.",
                "{count} coordinators are alerted to the higher severity.",
                edited.alerted,
            )
        )
    return Done(Markup(" ").join(parts), _open(_, challenge_id))


def _flagged(_: Translator, submitted: Submitted) -> Markup:
    """The confirmation: who is alerted, and what happens next."""
    challenge = submitted.challenge
    parts = [
        _("Flagged as #{number}: {title}", number=challenge.id, title=challenge.title),
        _.plural(
            "{count} coordinator is alerted.",
            "{count} coordinators are alerted.",
            submitted.coordinators,
        ),
    ]
    if submitted.members or submitted.groups:
        parts.append(
            _.plural(
                "So is {count} other member of the partnership.",
                "So are {count} other members of the partnership.",
                submitted.members,
            )
        )
        if submitted.groups:
            parts.append(
                _.plural(
                    "It is posted in {count} linked group chat.",
                    "It is posted in {count} linked group chats.",
                    submitted.groups,
                )
            )
    if submitted.escalation is not None:
        parts.append(
            _(
                "If no coordinator acknowledges it within {minutes}, it is sent again to"
                " coordinators and admins.",
                minutes=_.plural("{count} minute", "{count} minutes", submitted.escalation.minutes),
            )
        )
    parts.append(_("You will be told when a coordinator acknowledges it, and of every change."))
    # The title is the reporter's text, with no full stop of its own: it gets its own line.
    return parts[0] + Markup("\n\n") + Markup(" ").join(parts[1:])


async def _submit_anyway(turn: FlagTurn, value: str) -> object:
    """The reporter confirmed that what looked like personal data is not; once the draft
    changed or the review was shown again, the question is no longer open."""
    if turn.extra.get("asked") != turn.state["draft"]:
        await answer(turn.update, turn._.text(texts.BUTTON_EXPIRED))
        return None
    turn.extra["personal_data_ok"] = True
    return await FLOW.finish(turn)


async def _fix_texts(turn: FlagTurn, value: str) -> object:
    """From the personal-data question back to the review, to change the texts."""
    await answer(turn.update)
    return await FLOW.review(turn)


async def _cancel(turn: FlagTurn, value: str) -> object:
    """Cancel on the review."""
    _ = turn._
    if _editing(turn):
        await show(turn.update, _("Cancelled. The challenge is unchanged."))
    else:
        await show(turn.update, _("Cancelled. Nothing was flagged."))
    return FLOW.end(turn)


def _back_to_steps(turn: FlagTurn) -> bool:
    """/back on the review goes to the last step of a new challenge; after the personal-data
    question, and in an edit, to the review again."""
    return not turn.extra.pop("asked", False) and not _editing(turn)


FLOW: Flow[FlagDraft] = Flow(
    name="flag",
    title=N_("flagging a challenge"),
    draft=FlagDraft,
    steps=STEPS,
    summary=_summary,
    save=_submit,
    save_label=SUBMIT,
    review_actions=lambda turn: [(turn._.text(CANCEL), "cancel", "0")],
    actions={"anyway": _submit_anyway, "fix": _fix_texts, "cancel": _cancel},
    back_from_review_to_steps=_back_to_steps,
)


# -- how it starts ----------------------------------------------------------------------------


async def flag_start(update: Update, context: BotContext) -> object:
    """/flag alone asks step by step; /flag with text tries the one-message form."""
    _ = context._
    membership = context.require_caller().require(Capability.FLAG_CHALLENGES)
    draft = FlagDraft(timezone=membership.partnership.timezone)
    key = new_key()
    words = text_of(update).strip().split(maxsplit=1)
    rest = words[1].strip() if len(words) > 1 else ""
    intro = (
        _(
            "Flag an emerging challenge to {partnership}.",
            partnership=bold(membership.partnership.name),
        )
        + Markup("\n\n")
        + _(views.PERSONAL_DATA_RULE)
    )
    if not rest:
        return await FLOW.start(update, context, draft, intro=intro, ask_first=True, key=key)
    quick = parse_quick(
        rest, categories=views.category_words(_), severities=views.severity_words(_)
    )
    if quick is None:
        try:
            draft.title = clean_title(rest)
            kept = _("Your text is kept as the title.")
        except InvalidInput:
            kept = Markup("")
        note = _(
            "I could not read a severity and a category at the start of your message, as in"
            " /flag high instrumentalisation Buses bringing groups to the border near X."
            " Let us go step by step."
        )
        intro = Markup(" ").join([note, kept]) + Markup("\n\n") + intro
        return await FLOW.start(update, context, draft, intro=intro, key=key)
    draft.category, draft.severity = quick.category, quick.severity
    if not quick.text:
        return await FLOW.start(update, context, draft, intro=intro, at=Step.TITLE, key=key)
    title, description = split_quick_text(quick.text)
    draft.title = clean_title(title)
    try:
        draft.description = clean_description(description)
    except TextTooLong as error:
        return await FLOW.start(
            update, context, draft, intro=problem(_, error), at=Step.DESCRIPTION, key=key
        )
    return await FLOW.start(update, context, draft, review=True, key=key, quick=True)


async def edit_start(update: Update, context: BotContext) -> object:
    """A challenge's Edit button: the review over the challenge as it stands."""
    _ = context._
    caller = context.require_caller()
    challenge_id = ChallengeEdit.of(update).challenge_id
    challenges = context.services.challenges
    detail = await challenges.detail(caller, challenge_id)
    try:
        stored = await challenges.draft_for_edit(caller, challenge_id)
    except InvalidInput:
        await answer(update, _.text(CLOSED))
        return END
    await answer(update)
    values = {f.name: getattr(stored, f.name) for f in fields(ChallengeDraft)}
    draft = FlagDraft(
        **values, timezone=detail.card.partnership.timezone, was_severity=stored.severity
    )
    return await FLOW.start(
        update,
        context,
        draft,
        review=True,
        ask_first=True,
        id=challenge_id,
        original=stored.as_json(),
    )
