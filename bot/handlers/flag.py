"""/flag: the guided flow that flags an emerging challenge, and its one-message form.

Steps: category → severity → title → description → where (a name and/or a location pin) →
route → when observed → who may see it → attachments → review → submit. Each step keeps its
place when the answer does not fit and says what to send instead; /skip keeps (or leaves
empty) an optional answer, /back returns one step, the review lets any field be changed.
`/flag high instrumentalisation Buses near X` fills category, severity and title at once and
goes straight to the review. The draft lives in the user's data: a restart resumes the step.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.callbacks import (
    FlagCancel,
    FlagCategory,
    FlagConfidentiality,
    FlagDay,
    FlagEdit,
    FlagFixTexts,
    FlagNext,
    FlagSeverity,
    FlagSubmit,
    FlagSubmitAnyway,
)
from bot.context import BotContext
from bot.i18n import N_
from bot.messaging import answer, reply, show, text_of
from bot.views import challenges as views
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard
from bot.views.render import bold, shorten
from domain.challenges import Attachment, Category, Severity
from services.access import Capability
from services.challenges import PersonalDataSuspected, new_key
from services.challenges_input import (
    MAX_ATTACHMENTS,
    MAX_PLACE,
    ChallengeDraft,
    Step,
    TextTooLong,
    check_coordinates,
    clean_description,
    clean_place,
    clean_route,
    clean_title,
    match_word,
    observed_on,
    parse_observed,
    parse_quick,
    split_quick_text,
    vocabulary,
)
from services.errors import InvalidInput

ASK = "flag:ask"
REVIEW = "flag:review"
CONFIRM = "flag:confirm"
DRAFT = "flag"


STEPS = tuple(Step)
REQUIRED = (Step.CATEGORY, Step.SEVERITY, Step.TITLE)

LABELS = {
    Step.CATEGORY: N_("Category"),
    Step.SEVERITY: N_("Severity"),
    Step.TITLE: N_("Title"),
    Step.DESCRIPTION: N_("Description"),
    Step.PLACE: N_("Where"),
    Step.ROUTE: N_("Route"),
    Step.OBSERVED: N_("When observed"),
    Step.CONFIDENTIALITY: N_("Who sees it"),
    Step.ATTACHMENTS: N_("Attachments"),
}
PROMPTS = {
    Step.CATEGORY: N_("What kind of challenge is it?"),
    Step.SEVERITY: N_(
        "How serious is it? High and critical challenges are sent to every member; a critical"
        " one nobody acknowledges in time is escalated to coordinators and admins."
    ),
    Step.TITLE: N_(
        "Send a short title (up to 120 characters), e.g. Buses bringing groups to the border"
        " near Rosso."
    ),
    Step.DESCRIPTION: N_("Describe what was observed (up to 3000 characters)."),
    Step.PLACE: N_(
        "Where? Send the name of the place, a location pin (📎 → Location), or both one after"
        " the other."
    ),
    Step.ROUTE: N_("Which route is concerned, e.g. Nouadhibou → Canary Islands?"),
    Step.OBSERVED: N_(
        "When was it observed? Send a date such as 28/11, yesterday or 2026-11-28 14:00, or"
        " press a button."
    ),
    Step.CONFIDENTIALITY: N_(
        "Who may see it? Restricted challenges are seen only by coordinators, admins and you,"
        " and are not sent to members or group chats."
    ),
    Step.ATTACHMENTS: N_(
        "Attach photos or documents if they help (at most 5), e.g. a screenshot of an online"
        " advert with personal details hidden. Send them one by one, then press Done."
    ),
}
#: What to send at a step, when something else came.
EXPECTED = {
    Step.CATEGORY: N_("Please choose the category with the buttons above, or send /cancel."),
    Step.SEVERITY: N_("Please choose the severity with the buttons above, or send /cancel."),
    Step.TITLE: N_("Please send the title as text, or /cancel."),
    Step.DESCRIPTION: N_("Please send the description as text, /skip, or /cancel."),
    Step.PLACE: N_("Please send the place as text or as a location pin, /skip, or /cancel."),
    Step.ROUTE: N_("Please send the route as text, /skip, or /cancel."),
    Step.OBSERVED: N_("Please send a date as text, press a button, /skip, or /cancel."),
    Step.CONFIDENTIALITY: N_("Please choose with the buttons above, or send /cancel."),
    Step.ATTACHMENTS: N_("Please send a photo or a document, press Done, or /skip."),
}
EVERYONE = N_("👥 Every member")
RESTRICTED = N_("🔒 Restricted")
TODAY = N_("Today")
YESTERDAY = N_("Yesterday")
CONTINUE = N_("Continue ▸")
DONE = N_("Done ▸")
SUBMIT = N_("✓ Submit")
CANCEL = N_("Cancel")
SUBMIT_ANYWAY = N_("Submit: it is no personal data")
EDIT_TEXTS = N_("✎ Change the texts")


def _draft(context: BotContext) -> dict[str, Any]:
    return context.draft(DRAFT)


def _values(context: BotContext) -> ChallengeDraft:
    return ChallengeDraft.from_json(_draft(context).get("values", {}))


def _store(context: BotContext, values: ChallengeDraft) -> None:
    draft = _draft(context)
    draft["values"] = values.as_json()
    # A change of the texts needs a new look for personal data.
    draft.pop("personal_data_ok", None)


def _step(context: BotContext) -> Step:
    try:
        return Step(_draft(context).get("step", Step.CATEGORY.value))
    except ValueError:
        return Step.CATEGORY


def _timezone(context: BotContext) -> str:
    return context.require_caller().require_membership().partnership.timezone


# -- starting -------------------------------------------------------------------------------


async def flag_start(update: Update, context: BotContext) -> str:
    """/flag alone asks step by step; /flag with text tries the one-message form."""
    _ = context._
    membership = context.require_caller().require(Capability.FLAG_CHALLENGES)
    draft = context.draft(DRAFT, fresh=True)
    draft.update(key=new_key(), values=ChallengeDraft().as_json(), step=Step.CATEGORY.value)
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
        return await _ask(update, context, intro)
    quick = parse_quick(
        rest, categories=views.category_words(_), severities=views.severity_words(_)
    )
    if quick is None:
        values = ChallengeDraft()
        try:
            values.title = clean_title(rest)
            kept = _("Your text is kept as the title.")
        except InvalidInput:
            kept = Markup("")
        _store(context, values)
        note = _(
            "I could not read a severity and a category at the start of your message, as in"
            " /flag high instrumentalisation Buses bringing groups to the border near X."
            " Let us go step by step."
        )
        return await _ask(update, context, Markup(" ").join([note, kept]) + Markup("\n\n") + intro)
    values = ChallengeDraft(category=quick.category, severity=quick.severity)
    if not quick.text:
        _store(context, values)
        draft["step"] = Step.TITLE.value
        return await _ask(update, context, intro)
    title, description = split_quick_text(quick.text)
    values.title = clean_title(title)
    try:
        values.description = clean_description(description)
    except TextTooLong as error:
        _store(context, values)
        draft["step"] = Step.DESCRIPTION.value
        return await _ask(update, context, _problem(context, error))
    _store(context, values)
    return await _review(
        update,
        context,
        _(
            "I read your message as below. Add a place, a date or attachments with the buttons"
            " if you can, then submit."
        ),
    )


# -- asking ---------------------------------------------------------------------------------


async def _ask(update: Update, context: BotContext, intro: Markup | None = None) -> str:
    """Ask the current step's question, with its buttons."""
    _ = context._
    step = _step(context)
    draft = _draft(context)
    values = _values(context)
    reviewing = bool(draft.get("reviewing"))
    parts: list[Markup] = [intro] if intro is not None else []
    question = _(PROMPTS[step])
    if not reviewing:
        question = (
            _("Step {step} of {steps}.", step=STEPS.index(step) + 1, steps=len(STEPS))
            + Markup(" ")
            + question
        )
    parts.append(question)
    current = _current(context, step, values)
    if current:
        parts.append(_("Now: {current}", current=current))
        parts.append(_("/skip keeps it."))
    elif step not in REQUIRED:
        parts.append(_("/skip leaves it empty."))
    if reviewing:
        parts.append(_("/back returns to the summary, /cancel stops without submitting."))
    elif step is STEPS[0]:
        parts.append(_("/cancel stops without submitting."))
    else:
        parts.append(_("/back returns to the previous step, /cancel stops without submitting."))
    if update.callback_query is not None:
        await answer(update)
    await reply(update, Markup("\n").join(parts), _step_keyboard(context, step, values))
    return ASK


def _current(context: BotContext, step: Step, values: ChallengeDraft) -> str | Markup | None:
    """The current answer of a step, for "Now: ..."."""
    _ = context._
    match step:
        case Step.CATEGORY:
            return views.category_name(_, values.category) if values.category else None
        case Step.SEVERITY:
            return views.severity_label(_, values.severity) if values.severity else None
        case Step.TITLE:
            return values.title or None
        case Step.DESCRIPTION:
            return shorten(values.description, 200) if values.description else None
        case Step.PLACE:
            parts = [values.place or ""]
            if values.coordinates:
                parts.append(
                    _(
                        "pin at {coordinates}",
                        coordinates=views.coordinates_text(*values.coordinates),
                    )
                )
            return Markup(" · ").join(p for p in parts if p) or None
        case Step.ROUTE:
            return values.route
        case Step.OBSERVED:
            if values.observed is None:
                return None
            return views.observed_text(_, values.observed, _timezone(context))
        case Step.CONFIDENTIALITY:
            return _.text(RESTRICTED if values.restricted else EVERYONE)
        case Step.ATTACHMENTS:
            if not values.attachments:
                return None
            return _.plural("{count} attachment", "{count} attachments", len(values.attachments))


def _step_keyboard(
    context: BotContext, step: Step, values: ChallengeDraft
) -> InlineKeyboardMarkup | None:
    _ = context._
    match step:
        case Step.CATEGORY:
            buttons = [button(views.category_name(_, c), FlagCategory(c)) for c in Category]
            return keyboard(in_rows(buttons, 1))
        case Step.SEVERITY:
            buttons = [button(views.severity_label(_, s), FlagSeverity(s)) for s in Severity]
            return keyboard(in_rows(buttons, 2))
        case Step.OBSERVED:
            return keyboard(
                [
                    [
                        button(_.text(TODAY), FlagDay(0)),
                        button(_.text(YESTERDAY), FlagDay(1)),
                    ]
                ]
            )
        case Step.CONFIDENTIALITY:
            return keyboard(
                [
                    [button(_.text(EVERYONE), FlagConfidentiality(False))],
                    [button(_.text(RESTRICTED), FlagConfidentiality(True))],
                ]
            )
        case Step.ATTACHMENTS:
            return keyboard([[button(_.text(DONE), FlagNext(Step.ATTACHMENTS))]])
    return None


def _problem(context: BotContext, error: InvalidInput) -> Markup:
    """What was wrong with a typed answer, and what to send instead."""
    _ = context._
    if isinstance(error, TextTooLong):
        return _(
            "That has {length} characters; at most {limit} fit here. Please shorten it.",
            length=error.length,
            limit=error.limit,
        )
    match error.field:
        case "title":
            return _("The title cannot be empty. Send a short title, or /cancel.")
        case "description":
            return _("The description cannot be empty. Send it, or /skip.")
        case "place":
            return _("The place cannot be empty. Send its name, a location pin, or /skip.")
        case "route":
            return _("The route cannot be empty. Send it, or /skip.")
        case "observed" if error.problem == "future":
            return _("That date is in the future. Send when it was observed, or /skip.")
        case "observed":
            return _(
                "I could not read that as a date. Send e.g. 28/11, yesterday, 2026-11-28 14:00,"
                " or /skip."
            )
        case "category" | "severity":
            return _("The category and the severity are needed: press ✎ to choose them.")
        case "coordinates":
            return _("That location is not on the map. Send another pin, or /skip.")
    return texts.explain(_, error)


# -- answers --------------------------------------------------------------------------------


async def typed(update: Update, context: BotContext) -> str:
    """A typed answer to the current step."""
    step = _step(context)
    values = _values(context)
    text = text_of(update)
    _ = context._
    try:
        match step:
            case Step.CATEGORY:
                category = match_word(text, vocabulary(views.category_words(_)))
                if category is None:
                    return await _expected(update, context)
                values.category = category
            case Step.SEVERITY:
                severity = match_word(text, vocabulary(views.severity_words(_)))
                if severity is None:
                    return await _expected(update, context)
                values.severity = severity
            case Step.TITLE:
                values.title = clean_title(text)
            case Step.DESCRIPTION:
                description = clean_description(text)
                if not description:
                    raise InvalidInput("description", "empty")
                values.description = description
            case Step.PLACE:
                if _draft(context).get("place_more") and values.coordinates is None:
                    # A name was given; now a pin (or Continue) is expected.
                    await reply(
                        update,
                        _(
                            "Please send a location pin (📎 → Location), or press Continue."
                            " /back changes the name."
                        ),
                        _continue_keyboard(context),
                    )
                    return ASK
                values.place = clean_place(text)
                _store(context, values)
                if values.coordinates is None:
                    return await _ask_rest_of_place(update, context)
                return await _advance(update, context)
            case Step.ROUTE:
                values.route = clean_route(text)
            case Step.OBSERVED:
                membership = context.require_caller().require_membership()
                values.observed = parse_observed(
                    text,
                    language=_.language,
                    now=context.services.clock(),
                    timezone=membership.partnership.timezone,
                )
            case Step.CONFIDENTIALITY | Step.ATTACHMENTS:
                return await _expected(update, context)
    except InvalidInput as error:
        await reply(update, _problem(context, error))
        return ASK
    _store(context, values)
    if step is Step.OBSERVED and values.observed is not None:
        await reply(
            update,
            _(
                "Observed: {when}.",
                when=views.observed_text(_, values.observed, _timezone(context)),
            ),
        )
    return await _advance(update, context)


async def _expected(update: Update, context: BotContext) -> str:
    """Say what the step expects; the step and its answers stay."""
    step = _step(context)
    await answer(update)
    await reply(update, context._(EXPECTED[step]), _step_keyboard(context, step, _values(context)))
    return ASK


async def wrong_kind(update: Update, context: BotContext) -> str:
    """A sticker, voice note, contact... (or a photo or pin where it does not fit)."""
    return await _expected(update, context)


async def location(update: Update, context: BotContext) -> str:
    """A location pin (or a venue): taken at the "where" step only."""
    if _step(context) is not Step.PLACE:
        await reply(
            update,
            context._("A location pin only fits the question “Where?”.")
            + Markup(" ")
            + context._(EXPECTED[_step(context)]),
        )
        return ASK
    message = update.effective_message
    assert message is not None and message.location is not None
    values = _values(context)
    try:
        values.latitude, values.longitude = check_coordinates(
            message.location.latitude, message.location.longitude
        )
    except InvalidInput as error:
        await reply(update, _problem(context, error))
        return ASK
    if message.venue is not None and not values.place:
        values.place = " ".join(message.venue.title.split())[:MAX_PLACE] or None
    _store(context, values)
    if not values.place:
        return await _ask_rest_of_place(update, context)
    return await _advance(update, context)


async def _ask_rest_of_place(update: Update, context: BotContext) -> str:
    """After a name, offer a pin; after a pin, offer a name; Continue goes on."""
    _ = context._
    values = _values(context)
    if values.coordinates is None:
        question = _("Noted. You can also send a location pin (📎 → Location), or press Continue.")
    else:
        question = _(
            "Pin noted. You can also send the name of the place as text, or press Continue."
        )
    _draft(context)["place_more"] = True
    await reply(update, question, _continue_keyboard(context))
    return ASK


def _continue_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    return keyboard([[button(context._.text(CONTINUE), FlagNext(Step.PLACE))]])


async def attachment(update: Update, context: BotContext) -> str:
    """A photo or document: taken at the attachments step only."""
    _ = context._
    step = _step(context)
    if step is not Step.ATTACHMENTS:
        await reply(
            update,
            _("Photos and documents are asked for at the last step.")
            + Markup(" ")
            + _(EXPECTED[step]),
        )
        return ASK
    message = update.effective_message
    assert message is not None
    values = _values(context)
    if len(values.attachments) >= MAX_ATTACHMENTS:
        return await _advance(update, context)
    if message.photo:
        values.attachments.append(Attachment("photo", message.photo[-1].file_id))
    elif message.document is not None:
        name = message.document.file_name
        values.attachments.append(Attachment("document", message.document.file_id, name))
    _store(context, values)
    count = len(values.attachments)
    if count >= MAX_ATTACHMENTS:
        await reply(update, _("That makes {count}, the most a challenge takes.", count=count))
        return await _advance(update, context)
    await reply(
        update,
        _.plural(
            "{count} attachment received. Send another, or press Done.",
            "{count} attachments received. Send another, or press Done.",
            count,
        ),
        keyboard([[button(_.text(DONE), FlagNext(Step.ATTACHMENTS))]]),
    )
    return ASK


async def _pressed_at(update: Update, context: BotContext, step: Step) -> bool:
    """True if a button belongs to the current step; otherwise says it expired."""
    if _step(context) is step:
        return True
    await answer(update, context._.text(texts.BUTTON_EXPIRED))
    return False


async def category_pressed(update: Update, context: BotContext) -> str:
    """A category chosen on its button."""
    if not await _pressed_at(update, context, Step.CATEGORY):
        return ASK
    values = _values(context)
    values.category = FlagCategory.of(update).category
    _store(context, values)
    return await _advance(update, context)


async def severity_pressed(update: Update, context: BotContext) -> str:
    """A severity chosen on its button."""
    if not await _pressed_at(update, context, Step.SEVERITY):
        return ASK
    values = _values(context)
    values.severity = FlagSeverity.of(update).severity
    _store(context, values)
    return await _advance(update, context)


async def day_pressed(update: Update, context: BotContext) -> str:
    """Today or Yesterday, in the partnership's timezone."""
    if not await _pressed_at(update, context, Step.OBSERVED):
        return ASK
    zone = ZoneInfo(_timezone(context))
    today = context.services.clock().astimezone(zone).date()
    values = _values(context)
    days_ago = FlagDay.of(update).days_ago
    values.observed = observed_on(today - timedelta(days=days_ago), zone.key)
    _store(context, values)
    return await _advance(update, context)


async def confidentiality_pressed(update: Update, context: BotContext) -> str:
    """Every member, or restricted."""
    if not await _pressed_at(update, context, Step.CONFIDENTIALITY):
        return ASK
    values = _values(context)
    values.restricted = FlagConfidentiality.of(update).restricted
    _store(context, values)
    return await _advance(update, context)


async def next_pressed(update: Update, context: BotContext) -> str:
    """Continue (after a place) or Done (after attachments)."""
    if not await _pressed_at(update, context, FlagNext.of(update).step):
        return ASK
    return await _advance(update, context)


async def skip(update: Update, context: BotContext) -> str:
    """Keep the answer as it is; a required step needs one."""
    step = _step(context)
    if step in REQUIRED and not _current(context, step, _values(context)):
        await reply(
            update, context._("This one is needed.") + Markup(" ") + context._(EXPECTED[step])
        )
        return ASK
    return await _advance(update, context)


async def back(update: Update, context: BotContext) -> str:
    """One step back; from a field opened on the review, back to the review."""
    draft = _draft(context)
    draft.pop("place_more", None)
    if draft.get("reviewing"):
        return await _review(update, context)
    index = STEPS.index(_step(context))
    draft["step"] = STEPS[max(index - 1, 0)].value
    return await _ask(update, context)


async def _advance(update: Update, context: BotContext) -> str:
    draft = _draft(context)
    draft.pop("place_more", None)
    index = STEPS.index(_step(context))
    if draft.get("reviewing") or index == len(STEPS) - 1:
        return await _review(update, context)
    draft["step"] = STEPS[index + 1].value
    return await _ask(update, context)


# -- review and submit ----------------------------------------------------------------------


async def _review(update: Update, context: BotContext, intro: Markup | None = None) -> str:
    """The whole challenge, a button per field, the personal-data rule, and Submit."""
    _ = context._
    draft = _draft(context)
    draft["reviewing"] = True
    values = _values(context)
    title = intro or _("Check your challenge, then submit it. Press a field to change it.")
    text = Markup("\n\n").join(
        [title, views.draft_text(_, values, _timezone(context)), _(views.PERSONAL_DATA_RULE)]
    )
    edits = [button("✎ " + _.text(LABELS[s]), FlagEdit(s)) for s in STEPS]
    rows: list[list[InlineKeyboardButton]] = in_rows(edits, 3)
    rows.append([button(_.text(SUBMIT), FlagSubmit()), button(_.text(CANCEL), FlagCancel())])
    await answer(update)
    await reply(update, text, keyboard(rows))
    return REVIEW


async def edit_pressed(update: Update, context: BotContext) -> str:
    """A field's button on the review: ask for it, then come back."""
    draft = _draft(context)
    if "key" not in draft:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return REVIEW
    draft["step"] = FlagEdit.of(update).step.value
    draft["reviewing"] = True
    return await _ask(update, context)


async def review_back(update: Update, context: BotContext) -> str:
    """/back on the review: the last step."""
    draft = _draft(context)
    draft["reviewing"] = False
    draft["step"] = STEPS[-1].value
    return await _ask(update, context)


async def cancel_pressed(update: Update, context: BotContext) -> int:
    """Cancel on the review."""
    context.discard_draft(DRAFT)
    await show(update, context._("Cancelled. Nothing was flagged."))
    return ConversationHandler.END


async def submit_pressed(update: Update, context: BotContext) -> str | int:
    """Submit; what looks like personal data is asked about first."""
    return await _submit(update, context, confirmed=bool(_draft(context).get("personal_data_ok")))


async def submit_anyway(update: Update, context: BotContext) -> str | int:
    """The reporter confirmed that what looked like personal data is not."""
    _draft(context)["personal_data_ok"] = True
    return await _submit(update, context, confirmed=True)


async def back_to_review(update: Update, context: BotContext) -> str:
    """From the personal-data question, back to the review to change the texts."""
    return await _review(update, context)


async def _submit(update: Update, context: BotContext, *, confirmed: bool) -> str | int:
    _ = context._
    draft = _draft(context)
    if "key" not in draft:
        await show(update, texts.expired(_))
        return ConversationHandler.END
    caller = context.require_caller()
    try:
        submitted = await context.services.challenges.submit(
            caller,
            _values(context),
            key=draft["key"],
            personal_data_confirmed=confirmed,
        )
    except PersonalDataSuspected as suspected:
        await answer(update)
        await reply(
            update,
            views.personal_data_question(_, suspected),
            keyboard(
                [
                    [button(_.text(EDIT_TEXTS), FlagFixTexts())],
                    [button(_.text(SUBMIT_ANYWAY), FlagSubmitAnyway())],
                ]
            ),
        )
        return CONFIRM
    except InvalidInput as error:
        await answer(update)
        await reply(update, _problem(context, error))
        return REVIEW
    context.discard_draft(DRAFT)
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
    label, data = views.open_button(_, challenge.id)
    await show(
        update,
        Markup(" ").join(parts),
        keyboard([[InlineKeyboardButton(label, callback_data=data)]]),
    )
    return ConversationHandler.END
