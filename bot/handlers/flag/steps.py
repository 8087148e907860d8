"""The steps of the flag flow: what each asks, shows, reads and offers as buttons.

Category → severity → title → description → where (a name and/or a location pin) → route →
when observed → who may see it → attachments. A step answered with buttons also reads a
typed word; the "where" step takes a name and a pin one after the other, the attachments
step files one by one, each time staying until Continue or Done."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from babel.dates import format_date
from markupsafe import Markup
from telegram import Message

from bot.flows.engine import Choice, Invalid, Stay, Turn
from bot.flows.engine import Step as FlowStep
from bot.i18n import N_, Translator
from bot.messaging import reply
from bot.views import challenges as views
from bot.views import texts
from bot.views.render import shorten
from domain.challenges import Attachment, Category, Severity
from services.challenges_input import (
    MAX_ATTACHMENTS,
    MAX_PLACE,
    ChallengeDraft,
    Step,
    TextTooLong,
    check_coordinates,
    clean_description,
    clean_note,
    clean_place,
    clean_route,
    clean_title,
    match_word,
    observed_on,
    parse_observed,
    vocabulary,
)
from services.errors import InvalidInput


@dataclass
class FlagDraft(ChallengeDraft):
    """A challenge being flagged or edited, with the partnership's timezone its dates are
    shown in; an edit keeps the severity it began with and the note on changing it."""

    timezone: str = "UTC"
    was_severity: Severity | None = None
    severity_note: str = ""

    @property
    def severity_changed(self) -> bool:
        """An edit changed the severity."""
        return self.was_severity is not None and self.severity not in (None, self.was_severity)


FlagTurn = Turn[FlagDraft]
E = TypeVar("E", bound=StrEnum)
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
REMOVE_ATTACHMENTS = N_("🗑 Remove them")
#: The value of Continue (after a place) and Done (after attachments).
NEXT = "next"
#: The value of Remove them (the attachments so far).
CLEAR = "clear"


def problem(_: Translator, error: InvalidInput) -> Markup:
    """What was wrong with a typed answer, and what to send instead."""
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


def shows(step: Step) -> Callable[[Translator, FlagDraft], str | Markup | None]:
    """The current answer of a step, for "Now: ..."."""

    def current(_: Translator, draft: FlagDraft) -> str | Markup | None:
        match step:
            case Step.CATEGORY:
                return views.category_name(_, draft.category) if draft.category else None
            case Step.SEVERITY:
                return views.severity_label(_, draft.severity) if draft.severity else None
            case Step.TITLE:
                return draft.title or None
            case Step.DESCRIPTION:
                return shorten(draft.description, 200) if draft.description else None
            case Step.PLACE:
                parts = [draft.place or ""]
                if draft.coordinates:
                    where = views.coordinates_text(*draft.coordinates)
                    parts.append(_("pin at {coordinates}", coordinates=where))
                return Markup(" · ").join(p for p in parts if p) or None
            case Step.ROUTE:
                return draft.route
            case Step.OBSERVED:
                if draft.observed is None:
                    return None
                return views.observed_text(_, draft.observed, draft.timezone)
            case Step.CONFIDENTIALITY:
                return _.text(RESTRICTED if draft.restricted else EVERYONE)
            case Step.ATTACHMENTS:
                if not draft.attachments:
                    return None
                count = len(draft.attachments)
                return _.plural("{count} attachment", "{count} attachments", count)

    return current


# -- typed answers ----------------------------------------------------------------------------


async def _read(turn: FlagTurn, step: Step, text: str) -> FlagDraft:
    _ = turn._
    draft = turn.draft
    match step:
        case Step.CATEGORY:
            draft.category = _named(turn, step, text, views.category_words(_))
        case Step.SEVERITY:
            draft.severity = _named(turn, step, text, views.severity_words(_))
            _ask_why_severity_changed(turn, draft)
        case Step.TITLE:
            draft.title = clean_title(text)
            await _point_out_the_same_title(turn, draft.title)
        case Step.DESCRIPTION:
            draft.description = clean_description(text)
            if not draft.description:
                raise InvalidInput("description", "empty")
        case Step.PLACE:
            return _place_named(turn, draft, text)
        case Step.ROUTE:
            draft.route = clean_route(text)
        case Step.OBSERVED:
            draft.observed = parse_observed(
                text,
                language=_.language,
                now=turn.context.services.clock(),
                timezone=draft.timezone,
            )
            when = views.observed_text(_, draft.observed, draft.timezone)
            await reply(turn.update, _("Observed: {when}.", when=when))
        case Step.CONFIDENTIALITY | Step.ATTACHMENTS:
            raise Stay(_(EXPECTED[step]))
    return draft


async def _point_out_the_same_title(turn: FlagTurn, title: str) -> None:
    """A challenge flagged lately with the same title may be this one: say so, and go on."""
    caller = turn.context.require_caller()
    for earlier in await turn.context.services.challenges.same_title_lately(caller, title):
        await reply(
            turn.update,
            turn._(
                "⚠️ #{number} was flagged with the same title on {day}: check with"
                " /challenges that this is not the same challenge. You may go on.",
                number=earlier.id,
                day=format_date(earlier.created_at.date(), "medium", locale=turn._.locale),
            ),
        )


def _named(turn: FlagTurn, step: Step, text: str, names: Mapping[E, Iterable[str]]) -> E:
    """The value a typed word names; otherwise the step's buttons are shown again."""
    value = match_word(text, vocabulary(names))
    if value is None:
        raise Stay(turn._(EXPECTED[step]))
    return value


def _reads(step: Step) -> Callable[[FlagTurn, str], Awaitable[FlagDraft]]:
    async def reads(turn: FlagTurn, text: str) -> FlagDraft:
        try:
            return await _read(turn, step, text)
        except InvalidInput as error:
            raise Invalid(problem(turn._, error)) from error

    return reads


def _place_named(turn: FlagTurn, draft: FlagDraft, text: str) -> FlagDraft:
    """A name of the place; without a pin yet, the step stays for one (or Continue)."""
    if turn.extra.get("place_more") and draft.coordinates is None:
        # A name was given; now a pin (or Continue) is expected.
        raise Stay(
            turn._(
                "Please send a location pin (📎 → Location), or press Continue."
                " /back changes the name."
            )
        )
    draft.place = clean_place(text)
    if draft.coordinates is None:
        turn.extra["place_more"] = True
        raise Stay(
            turn._("Noted. You can also send a location pin (📎 → Location), or press Continue."),
            draft,
        )
    return draft


# -- location pins, photos, documents, stickers... --------------------------------------------


def _pinned(turn: FlagTurn, message: Message) -> FlagDraft:
    """A location pin (or a venue) at the "where" step; without a name yet, it stays."""
    assert message.location is not None
    draft = turn.draft
    try:
        draft.latitude, draft.longitude = check_coordinates(
            message.location.latitude, message.location.longitude
        )
    except InvalidInput as error:
        raise Invalid(problem(turn._, error)) from error
    if message.venue is not None and not draft.place:
        draft.place = " ".join(message.venue.title.split())[:MAX_PLACE] or None
    if draft.place:
        return draft
    turn.extra["place_more"] = True
    raise Stay(
        turn._("Pin noted. You can also send the name of the place as text, or press Continue."),
        draft,
    )


async def _attached(turn: FlagTurn, message: Message) -> FlagDraft:
    """A photo or document at the attachments step: it stays for more until Done."""
    _ = turn._
    draft = turn.draft
    if len(draft.attachments) >= MAX_ATTACHMENTS:
        return draft
    if message.photo:
        draft.attachments.append(Attachment("photo", message.photo[-1].file_id))
    elif message.document is not None:
        name = message.document.file_name
        draft.attachments.append(Attachment("document", message.document.file_id, name))
    count = len(draft.attachments)
    if count >= MAX_ATTACHMENTS:
        await reply(turn.update, _("That makes {count}, the most a challenge takes.", count=count))
        return draft
    raise Stay(
        _.plural(
            "{count} attachment received. Send another, or press Done.",
            "{count} attachments received. Send another, or press Done.",
            count,
        ),
        draft,
    )


def _takes(step: Step) -> Callable[[FlagTurn, Message], Awaitable[FlagDraft]]:
    async def takes(turn: FlagTurn, message: Message) -> FlagDraft:
        _ = turn._
        if message.location is not None:
            if step is Step.PLACE:
                return _pinned(turn, message)
            only = _("A location pin only fits the question “Where?”.")
            raise Invalid(only + Markup(" ") + _(EXPECTED[step]))
        if message.photo or message.document is not None:
            if step is Step.ATTACHMENTS:
                return await _attached(turn, message)
            later = _("Photos and documents are asked for at the last step.")
            raise Invalid(later + Markup(" ") + _(EXPECTED[step]))
        raise Stay(_(EXPECTED[step]))  # a sticker, a voice note, a contact...

    return takes


# -- buttons ------------------------------------------------------------------------------------


async def _choices(turn: FlagTurn, step: Step) -> list[Choice]:
    _ = turn._
    match step:
        case Step.CATEGORY:
            return [Choice(views.category_name(_, c), c.value) for c in Category]
        case Step.SEVERITY:
            return [Choice(views.severity_label(_, s), s.value) for s in Severity]
        case Step.PLACE if turn.extra.get("place_more"):
            return [Choice(_.text(CONTINUE), NEXT)]
        case Step.OBSERVED:
            return [Choice(_.text(TODAY), "0"), Choice(_.text(YESTERDAY), "1")]
        case Step.CONFIDENTIALITY:
            return [Choice(_.text(EVERYONE), "0"), Choice(_.text(RESTRICTED), "1")]
        case Step.ATTACHMENTS if turn.draft.attachments:
            return [Choice(_.text(DONE), NEXT), Choice(_.text(REMOVE_ATTACHMENTS), CLEAR)]
        case Step.ATTACHMENTS:
            return [Choice(_.text(DONE), NEXT)]
    return []


async def _chosen(turn: FlagTurn, step: Step, value: str) -> FlagDraft:
    draft = turn.draft
    try:
        match step:
            case Step.CATEGORY:
                draft.category = Category(value)
            case Step.SEVERITY:
                draft.severity = Severity(value)
                _ask_why_severity_changed(turn, draft)
            case Step.OBSERVED:
                zone = ZoneInfo(draft.timezone)
                today = turn.context.services.clock().astimezone(zone).date()
                draft.observed = observed_on(today - timedelta(days=int(value)), zone.key)
            case Step.CONFIDENTIALITY:
                draft.restricted = value == "1"
            case Step.ATTACHMENTS if value == CLEAR:
                draft.attachments = []
                raise Stay(turn._("Attachments removed. Send others, or press Done."), draft)
    except ValueError as error:
        raise Invalid(texts.expired(turn._)) from error
    return draft


def _ask_why_severity_changed(turn: FlagTurn, draft: FlagDraft) -> None:
    """An edit that changes the severity asks for a note next; back to where it began, the
    note goes."""
    if draft.severity_changed:
        turn.state["queue"] = [SEVERITY_NOTE]
    else:
        draft.severity_note = ""


async def _severity_note_question(turn: FlagTurn) -> Markup:
    _ = turn._
    draft = turn.draft
    assert draft.was_severity is not None and draft.severity is not None
    return _(
        "Severity {old} → {new}. Send a note for the history saying why, or press Without a note.",
        old=views.severity_label(_, draft.was_severity),
        new=views.severity_label(_, draft.severity),
    )


async def _severity_note_read(turn: FlagTurn, text: str) -> FlagDraft:
    draft = turn.draft
    try:
        draft.severity_note = clean_note(text)
    except InvalidInput as error:
        raise Invalid(problem(turn._, error)) from error
    return draft


async def _without_note(turn: FlagTurn) -> list[Choice]:
    return [Choice(turn._.text(views.WITHOUT_NOTE), "none")]


async def _no_note(turn: FlagTurn, value: str) -> FlagDraft:
    draft = turn.draft
    draft.severity_note = ""
    return draft


SEVERITY_NOTE = "severity_note"
#: An edit's note on a changed severity: asked right after the severity, never on its own.
SEVERITY_NOTE_STEP = FlowStep[FlagDraft](
    name=SEVERITY_NOTE,
    label=N_("Note"),
    question=_severity_note_question,
    shows=lambda _, draft: draft.severity_note or None,
    reads=_severity_note_read,
    choices=_without_note,
    chosen=_no_note,
    asked_if=lambda draft: draft.severity_changed,
    on_review=False,
)


def _question(step: Step) -> Callable[[FlagTurn], Awaitable[Markup]]:
    async def question(turn: FlagTurn) -> Markup:
        # Asked afresh: a name or a pin given before counts as the step's answer.
        turn.extra.pop("place_more", None)
        return turn._(PROMPTS[step])

    return question


def _step(step: Step) -> FlowStep[FlagDraft]:
    async def choices(turn: FlagTurn) -> list[Choice]:
        return await _choices(turn, step)

    async def chosen(turn: FlagTurn, value: str) -> FlagDraft:
        return await _chosen(turn, step, value)

    return FlowStep(
        name=step.value,
        label=LABELS[step],
        question=_question(step),
        shows=shows(step),
        reads=_reads(step),
        choices=choices,
        chosen=chosen,
        takes=_takes(step),
        required=step in REQUIRED,
        required_message=lambda _: _("This one is needed.") + Markup(" ") + _(EXPECTED[step]),
        per_row=1 if step in (Step.CATEGORY, Step.CONFIDENTIALITY) else 2,
    )


STEPS = tuple(
    flow_step
    for step in Step
    for flow_step in (
        (_step(step), SEVERITY_NOTE_STEP) if step is Step.SEVERITY else (_step(step),)
    )
)
