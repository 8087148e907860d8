"""The flag flow's declaration: its review, Submit with the personal-data question, Cancel,
and how /flag starts it, step by step or from one message."""

from __future__ import annotations

from markupsafe import Markup
from telegram import InlineKeyboardButton, Update

from bot.context import BotContext
from bot.flows.engine import Done, Flow, Invalid
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


# -- the review -------------------------------------------------------------------------------


async def _summary(turn: FlagTurn) -> Markup:
    """The whole challenge and the personal-data rule, under what to do with it."""
    _ = turn._
    turn.extra.pop("asked", None)
    if turn.extra.pop("quick", False):
        title = _(
            "I read your message as below. Add a place, a date or attachments with the buttons"
            " if you can, then submit."
        )
    else:
        title = _("Check your challenge, then submit it. Press a field to change it.")
    draft = turn.draft
    return Markup("\n\n").join(
        [title, views.draft_text(_, draft, draft.timezone), _(views.PERSONAL_DATA_RULE)]
    )


async def _submit(turn: FlagTurn) -> Done:
    """Submit; what looks like personal data is asked about first (confirmed once only: a
    change of the texts needs a new look)."""
    _ = turn._
    confirmed = bool(turn.extra.pop("personal_data_ok", False))
    try:
        submitted = await turn.context.services.challenges.submit(
            turn.context.require_caller(),
            turn.draft,
            key=str(turn.extra["key"]),
            personal_data_confirmed=confirmed,
        )
    except PersonalDataSuspected as suspected:
        # The draft as it was asked about: "submit anyway" holds for these texts only.
        turn.extra["asked"] = dict(turn.state["draft"])
        raise Invalid(
            views.personal_data_question(_, suspected),
            actions=[(_.text(EDIT_TEXTS), "fix", "0"), (_.text(SUBMIT_ANYWAY), "anyway", "0")],
        ) from suspected
    except InvalidInput as error:
        raise Invalid(problem(_, error)) from error
    label, data = views.open_button(_, submitted.challenge.id)
    return Done(
        _flagged(_, submitted),
        keyboard([[InlineKeyboardButton(label, callback_data=data)]]),
    )


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
    await show(turn.update, turn._("Cancelled. Nothing was flagged."))
    return FLOW.end(turn)


def _back_to_steps(turn: FlagTurn) -> bool:
    """/back on the review goes to the last step; after the personal-data question, to the
    review again."""
    return not turn.extra.pop("asked", False)


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
