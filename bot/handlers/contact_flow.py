"""The contact flow, declared on the flow engine: adding a contact, editing one, and a
member's own card (/mycard). One step per field of the card, a review with every field, and
Save, which adds, updates or keeps the member's card (bot/flows/engine.py does the rest)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from enum import StrEnum

from markupsafe import Markup
from telegram import Update

from bot.callbacks import ContactAddShared, ContactEdit
from bot.context import BotContext
from bot.flows.engine import END, Choice, Flow, Invalid, Reads, Step, Turn
from bot.i18n import N_, Translator
from bot.messaging import answer, show
from bot.views import contacts as views
from bot.views import texts
from bot.views.render import bold
from services.access import Capability
from services.contact_fields import (
    REQUIRED,
    ContactDraft,
    Field,
    InvalidField,
    OrganisationType,
    Problem,
    parse_field,
)
from services.contacts import DuplicateContact, draft_of

COUNTRY_BUTTONS = 12


class Mode(StrEnum):
    """What the flow is doing."""

    ADD = "add"
    EDIT = "edit"
    CARD = "card"


# -- the steps ----------------------------------------------------------------------------------


async def _countries(turn: Turn[ContactDraft]) -> list[str]:
    """The partnership's countries, then those of its directory: the country buttons."""
    caller = turn.context.require_caller()
    known = [*caller.require_membership().partnership.countries]
    for name, _count in await turn.context.services.contacts.countries(caller):
        if name not in known:
            known.append(name)
    return known[:COUNTRY_BUTTONS]


def _question(field: Field) -> Callable[[Turn[ContactDraft]], Awaitable[Markup]]:
    async def question(turn: Turn[ContactDraft]) -> Markup:
        if field is Field.COUNTRY and not await _countries(turn):
            return turn._("Send the name of the country.")
        return turn._(views.PROMPTS[field])

    return question


def _reader(field: Field) -> Reads[ContactDraft]:
    async def reads(turn: Turn[ContactDraft], text: str) -> ContactDraft:
        draft = turn.draft
        try:
            value = parse_field(field, text, country=draft.country)
        except InvalidField as invalid:
            raise Invalid(views.problem(turn._, invalid)) from invalid
        if field is Field.COUNTRY and isinstance(value, str):
            caller = turn.context.require_caller()
            value = await turn.context.services.contacts.canonical_country(caller, value)
        if field in REQUIRED and not value:
            raise Invalid(views.problem(turn._, InvalidField(field, Problem.REQUIRED)))
        return draft.with_value(field, value)

    return reads


async def _type_choices(turn: Turn[ContactDraft]) -> list[Choice]:
    return [Choice(turn._.text(views.TYPE_NAMES[k]), k.value) for k in OrganisationType]


async def _type_chosen(turn: Turn[ContactDraft], value: str) -> ContactDraft:
    if value not in {k.value for k in OrganisationType}:
        raise Invalid(texts.expired(turn._))
    return replace(turn.draft, organisation_type=OrganisationType(value))


async def _country_choices(turn: Turn[ContactDraft]) -> list[Choice]:
    countries = await _countries(turn)
    turn.extra["countries"] = countries
    return [
        Choice(views.country_label(turn._, name), str(index))
        for index, name in enumerate(countries)
    ]


async def _country_chosen(turn: Turn[ContactDraft], value: str) -> ContactDraft:
    shown = turn.extra.get("countries") or []
    if not value.isdigit() or int(value) >= len(shown):
        raise Invalid(texts.expired(turn._))
    return replace(turn.draft, country=str(shown[int(value)]))


#: The steps answered with buttons, and how a press reads.
CHOICES = {Field.ORGANISATION_TYPE: _type_choices, Field.COUNTRY: _country_choices}
CHOSEN = {Field.ORGANISATION_TYPE: _type_chosen, Field.COUNTRY: _country_chosen}


def _step(field: Field) -> Step[ContactDraft]:
    def shows(_: Translator, draft: ContactDraft) -> str:
        return views.value_text(_, field, draft)

    return Step(
        name=field.value,
        label=views.FIELD_LABELS[field],
        question=_question(field),
        shows=shows,
        reads=None if field is Field.ORGANISATION_TYPE else _reader(field),
        choices={Field.ORGANISATION_TYPE: _type_choices, Field.COUNTRY: _country_choices}.get(
            field
        ),
        chosen={Field.ORGANISATION_TYPE: _type_chosen, Field.COUNTRY: _country_chosen}.get(field),
        required=field in REQUIRED,
        required_message=lambda _: views.problem(_, InvalidField(field, Problem.REQUIRED)),
    )


# -- the review, Save and the flow's own buttons ------------------------------------------------


async def _summary(turn: Turn[ContactDraft]) -> Markup:
    _ = turn._
    mode = turn.extra.get("mode")
    if mode == Mode.ADD:
        title = _("Check the new contact, then save it. Press a field to change it.")
    elif mode == Mode.EDIT:
        title = _("Press a field to change it, then save.")
    else:
        partnership = turn.context.require_caller().require_membership().partnership.name
        title = _(
            "Your card in the directory of {partnership}. Press a field to change it, then save.",
            partnership=bold(partnership),
        )
    return title + Markup("\n\n") + views.review_card(_, turn.draft)


def _review_actions(turn: Turn[ContactDraft]) -> list[tuple[str, str, str]]:
    if turn.extra.get("mode") == Mode.CARD and turn.extra.get("has_card"):
        return [(turn._.text(views.DELETE_MY_CARD), "unset", "0")]
    return []


async def _save(turn: Turn[ContactDraft]) -> Markup:
    """Save the contact, or the member's card."""
    _ = turn._
    caller = turn.context.require_caller()
    contacts = turn.context.services.contacts
    mode = turn.extra.get("mode")
    try:
        if mode == Mode.CARD:
            saved = await contacts.save_own_card(caller, turn.draft)
        else:
            contact_id = turn.extra.get("id")
            saved = await contacts.save(
                caller, turn.draft, int(contact_id) if contact_id is not None else None
            )
    except DuplicateContact as duplicate:
        raise _duplicate(turn, duplicate, mode) from duplicate
    except InvalidField as invalid:
        raise Invalid(views.problem(_, invalid)) from invalid
    partnership = bold(caller.require_membership().partnership.name)
    if mode == Mode.CARD:
        return _(
            "Your card is saved. The members of {partnership} find it with /contacts.",
            partnership=partnership,
        )
    return _(
        "Saved: {name} is in the directory of {partnership}.",
        name=saved.name,
        partnership=partnership,
    )


def _duplicate(turn: Turn[ContactDraft], duplicate: DuplicateContact, mode: object) -> Invalid:
    _ = turn._
    existing = duplicate.existing
    if duplicate.linkable and mode == Mode.CARD:
        # The entry may well be them, but saying so is a claim: a coordinator decides.
        return Invalid(
            _(
                "The directory already has an entry for {name} ({organisation}), made by"
                " a coordinator. If it is you, a coordinator can link it to you as your"
                " card; nothing is changed until then. Otherwise change the name or the"
                " phone number, or /cancel.",
                name=existing.name,
                organisation=existing.organisation,
            ),
            actions=[(_.text(views.ASK_TO_LINK), "ask", str(existing.id))],
        )
    return Invalid(
        _(
            "{name} ({organisation}) is already in the directory with the same name and"
            " organisation, or the same phone number. Change one of them, or /cancel.",
            name=existing.name,
            organisation=existing.organisation,
        )
    )


async def _ask_to_link(turn: Turn[ContactDraft], value: str) -> object:
    """The member says an entry is them: the coordinators are asked; the flow ends."""
    caller = turn.context.require_caller()
    asked = await turn.context.services.contacts.ask_to_link(caller, int(value))
    await show(
        turn.update,
        turn._.plural(
            "I asked {count} coordinator to link the entry to you. You will be told here.",
            "I asked {count} coordinators to link the entry to you. You will be told here.",
            asked,
        ),
    )
    return FLOW.end(turn)


async def _delete_card(turn: Turn[ContactDraft], value: str) -> object:
    """Take the member's own card out of the directory."""
    caller = turn.context.require_caller()
    await turn.context.services.contacts.delete_own_card(caller)
    await show(
        turn.update,
        turn._(
            "Your card was removed from the directory of {partnership}.",
            partnership=bold(caller.require_membership().partnership.name),
        ),
    )
    return FLOW.end(turn)


def _back_to_steps(turn: Turn[ContactDraft]) -> bool:
    """A new contact or a first card goes back to its last step; an edit stays."""
    mode = turn.extra.get("mode")
    return mode == Mode.ADD or (mode == Mode.CARD and not turn.extra.get("has_card"))


FLOW: Flow[ContactDraft] = Flow(
    name="contact",
    title=N_("a contact card"),
    draft=ContactDraft,
    steps=tuple(_step(field) for field in Field),
    summary=_summary,
    save=_save,
    review_actions=_review_actions,
    actions={"ask": _ask_to_link, "unset": _delete_card},
    back_from_review_to_steps=_back_to_steps,
)


# -- how it starts --------------------------------------------------------------------------------


async def add_start(update: Update, context: BotContext) -> object:
    """/addcontact or the directory's button: ask for the new contact's fields one by one."""
    membership = context.require_caller().require(Capability.MANAGE_CONTACTS)
    await answer(update)
    intro = context._(
        "New contact for the directory of {partnership}.",
        partnership=bold(membership.partnership.name),
    )
    return await FLOW.start(
        update, context, ContactDraft(), intro=intro, ask_first=True, mode=Mode.ADD
    )


async def edit_start(update: Update, context: BotContext) -> object:
    """A contact's Edit button: the review, where any field can be changed."""
    caller = context.require_caller()
    caller.require(Capability.MANAGE_CONTACTS)
    contact = await context.services.contacts.get(caller, ContactEdit.of(update).contact_id)
    if contact.member_id is not None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return END
    await answer(update)
    return await FLOW.start(
        update, context, draft_of(contact), review=True, mode=Mode.EDIT, id=contact.id
    )


#: Where a contact shared in the chat is kept for its "Add to the directory" button.
SHARED_SLOT = "shared_contacts"


async def add_shared_start(update: Update, context: BotContext) -> object:
    """The "Add to the directory" button under a shared contact: the new-contact questions,
    the shared name and number filled in (each step shows them; /skip keeps them)."""
    membership = context.require_caller().require(Capability.MANAGE_CONTACTS)
    shared = context.recall(SHARED_SLOT, ContactAddShared.of(update).key)
    if shared is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return None
    await answer(update)
    intro = context._(
        "New contact for the directory of {partnership}.",
        partnership=bold(membership.partnership.name),
    )
    values = ContactDraft(name=str(shared["name"]), phone=shared["phone"])
    return await FLOW.start(update, context, values, intro=intro, ask_first=True, mode=Mode.ADD)


async def card_start(update: Update, context: BotContext) -> object:
    """/mycard: the member's own card; a first card is asked for step by step."""
    caller = context.require_caller()
    membership = caller.require_membership()
    own = await context.services.contacts.own_card(caller)
    if own is not None:
        return await FLOW.start(
            update, context, draft_of(own), review=True, mode=Mode.CARD, has_card=True
        )
    values = ContactDraft(
        name=caller.identity.name,
        organisation=membership.organisation or "",
        country=membership.country or "",
        telegram=caller.identity.username,
    )
    intro = context._(
        "Your card lets the members of {partnership} find and call you. Answer a few short"
        " questions; /skip keeps what is already filled in.",
        partnership=bold(membership.partnership.name),
    )
    return await FLOW.start(
        update, context, values, intro=intro, ask_first=True, mode=Mode.CARD, has_card=False
    )
