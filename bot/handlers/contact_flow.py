"""The guided contact flow: adding a contact, editing one, and a member's own card (/mycard).

One persistent conversation serves the three: each step asks for one field and keeps the
step when the answer is not acceptable; /skip keeps the current value of a field, /back
returns one step, and a review shows every field (each can be changed) before saving.
The draft lives in the user's data, so a restart resumes at the same step.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Any

from markupsafe import Markup
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.callbacks import (
    ContactAskToLink,
    ContactCountryChosen,
    ContactDeleteCard,
    ContactEdit,
    ContactFieldChosen,
    ContactSave,
    ContactTypeChosen,
)
from bot.context import BotContext
from bot.handlers import fallback
from bot.messaging import answer, reply, show, text_of
from bot.views import contacts as views
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard
from bot.views.render import bold, shorten
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

ASK = "contact:ask"
REVIEW = "contact:review"
DRAFT = "contact"
STEPS = tuple(Field)
COUNTRY_BUTTONS = 12


class Mode(StrEnum):
    """What the flow is doing."""

    ADD = "add"
    EDIT = "edit"
    CARD = "card"


def _draft(context: BotContext) -> dict[str, Any]:
    return context.draft(DRAFT)


def _values(context: BotContext) -> ContactDraft:
    return ContactDraft.from_json(_draft(context).get("values", {}))


def _store(context: BotContext, values: ContactDraft) -> None:
    _draft(context)["values"] = values.as_json()


def _step(context: BotContext) -> Field:
    return Field(_draft(context).get("step", Field.NAME.value))


async def add_start(update: Update, context: BotContext) -> str:
    """/addcontact or the directory's button: ask for the new contact's fields one by one."""
    membership = context.require_caller().require(Capability.MANAGE_CONTACTS)
    await answer(update)
    context.draft(DRAFT, fresh=True).update(
        mode=Mode.ADD, values=ContactDraft().as_json(), step=Field.NAME.value
    )
    intro = context._(
        "New contact for the directory of {partnership}.",
        partnership=bold(membership.partnership.name),
    )
    return await _ask(update, context, intro)


async def edit_start(update: Update, context: BotContext) -> str | int:
    """A contact's Edit button: the review, where any field can be changed."""
    caller = context.require_caller()
    caller.require(Capability.MANAGE_CONTACTS)
    contact = await context.services.contacts.get(caller, ContactEdit.of(update).contact_id)
    if contact.member_id is not None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return ConversationHandler.END
    await answer(update)
    context.draft(DRAFT, fresh=True).update(
        mode=Mode.EDIT, id=contact.id, values=draft_of(contact).as_json(), step=Field.NAME.value
    )
    return await _review(update, context)


async def card_start(update: Update, context: BotContext) -> str:
    """/mycard: the member's own card; a first card is asked for step by step."""
    caller = context.require_caller()
    membership = caller.require_membership()
    own = await context.services.contacts.own_card(caller)
    draft = context.draft(DRAFT, fresh=True)
    if own is not None:
        draft.update(mode=Mode.CARD, has_card=True, values=draft_of(own).as_json())
        draft["step"] = Field.NAME.value
        return await _review(update, context)
    values = ContactDraft(
        name=caller.identity.name,
        organisation=membership.organisation or "",
        country=membership.country or "",
        telegram=caller.identity.username,
    )
    draft.update(mode=Mode.CARD, has_card=False, values=values.as_json(), step=Field.NAME.value)
    intro = context._(
        "Your card lets the members of {partnership} find and call you. Answer a few short"
        " questions; /skip keeps what is already filled in.",
        partnership=bold(membership.partnership.name),
    )
    return await _ask(update, context, intro)


async def _ask(update: Update, context: BotContext, intro: Markup | None = None) -> str:
    """Ask for the current step's field."""
    _ = context._
    field = _step(context)
    draft = _draft(context)
    values = _values(context)
    reviewing = bool(draft.get("reviewing"))
    parts: list[Markup] = [intro] if intro is not None else []
    if not reviewing:
        parts.append(_("Step {step} of {steps}.", step=STEPS.index(field) + 1, steps=len(STEPS)))
    buttons = await _step_keyboard(context, field)
    if field is Field.COUNTRY and buttons is None:
        parts.append(_("Send the name of the country."))
    else:
        parts.append(_(views.PROMPTS[field]))
    current = views.value_text(_, field, values)
    if current:
        parts.append(_("Now: {current}", current=current))
        parts.append(_("/skip keeps it."))
    elif field not in REQUIRED:
        parts.append(_("/skip leaves it empty."))
    if reviewing:
        parts.append(_("/back returns to the summary, /cancel stops without saving."))
    elif field is STEPS[0]:
        parts.append(_("/cancel stops without saving."))
    else:
        parts.append(_("/back returns to the previous step, /cancel stops without saving."))
    await reply(update, Markup("\n").join(parts), buttons)
    return ASK


async def _step_keyboard(context: BotContext, field: Field) -> InlineKeyboardMarkup | None:
    _ = context._
    if field is Field.ORGANISATION_TYPE:
        buttons = [
            button(_.text(views.TYPE_NAMES[kind]), ContactTypeChosen(kind))
            for kind in OrganisationType
        ]
        return keyboard(in_rows(buttons, 2))
    if field is Field.COUNTRY:
        caller = context.require_caller()
        membership = caller.require_membership()
        known = [*membership.partnership.countries]
        for name, _count in await context.services.contacts.countries(caller):
            if name not in known:
                known.append(name)
        choices = known[:COUNTRY_BUTTONS]
        _draft(context)["countries"] = choices
        if choices:
            buttons = [
                button(shorten(n, 30), ContactCountryChosen(i)) for i, n in enumerate(choices)
            ]
            return keyboard(in_rows(buttons, 2))
    return None


async def typed(update: Update, context: BotContext) -> str:
    """A typed answer to the current step."""
    field = _step(context)
    if field is Field.ORGANISATION_TYPE:
        await fallback.use_the_buttons(update, context)
        return ASK
    values = _values(context)
    try:
        value = parse_field(field, text_of(update), country=values.country)
    except InvalidField as invalid:
        await reply(update, views.problem(context._, invalid))
        return ASK
    if field is Field.COUNTRY and isinstance(value, str):
        value = await context.services.contacts.canonical_country(context.require_caller(), value)
    if field in REQUIRED and not value:
        await reply(update, views.problem(context._, InvalidField(field, Problem.REQUIRED)))
        return ASK
    _store(context, values.with_value(field, value))
    return await _advance(update, context)


async def type_pressed(update: Update, context: BotContext) -> str:
    """An organisation type chosen on its button."""
    if _step(context) is not Field.ORGANISATION_TYPE:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return ASK
    kind = ContactTypeChosen.of(update).kind
    await answer(update)
    _store(context, replace(_values(context), organisation_type=kind))
    return await _advance(update, context)


async def country_pressed(update: Update, context: BotContext) -> str:
    """A country chosen on its button."""
    index = ContactCountryChosen.of(update).index
    choices = _draft(context).get("countries") or []
    if _step(context) is not Field.COUNTRY or not 0 <= index < len(choices):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return ASK
    await answer(update)
    _store(context, replace(_values(context), country=str(choices[index])))
    return await _advance(update, context)


async def skip(update: Update, context: BotContext) -> str:
    """Keep the field as it is (a required field must have a value)."""
    field = _step(context)
    if field in REQUIRED and not getattr(_values(context), field.value):
        await reply(update, views.problem(context._, InvalidField(field, Problem.REQUIRED)))
        return ASK
    return await _advance(update, context)


async def back(update: Update, context: BotContext) -> str:
    """One step back; from a field opened on the review, back to the review."""
    draft = _draft(context)
    if draft.get("reviewing"):
        return await _review(update, context)
    index = STEPS.index(_step(context))
    draft["step"] = STEPS[max(index - 1, 0)].value
    return await _ask(update, context)


async def _advance(update: Update, context: BotContext) -> str:
    draft = _draft(context)
    index = STEPS.index(_step(context))
    if draft.get("reviewing") or index == len(STEPS) - 1:
        return await _review(update, context)
    draft["step"] = STEPS[index + 1].value
    return await _ask(update, context)


async def _review(update: Update, context: BotContext) -> str:
    """Every field, with a button to change each, and Save."""
    _ = context._
    draft = _draft(context)
    draft["reviewing"] = True
    mode = draft.get("mode")
    if mode == Mode.ADD:
        title = _("Check the new contact, then save it. Press a field to change it.")
    elif mode == Mode.EDIT:
        title = _("Press a field to change it, then save.")
    else:
        partnership = context.require_caller().require_membership().partnership.name
        title = _(
            "Your card in the directory of {partnership}. Press a field to change it, then save.",
            partnership=bold(partnership),
        )
    buttons = [button("✎ " + _.text(views.FIELD_LABELS[f]), ContactFieldChosen(f)) for f in Field]
    rows: list[list[InlineKeyboardButton]] = in_rows(buttons, 2)
    last = [button("✓ " + _.text(views.SAVE), ContactSave())]
    if mode == Mode.CARD and draft.get("has_card"):
        last.append(button(_.text(views.DELETE_MY_CARD), ContactDeleteCard()))
    rows.append(last)
    text = title + Markup("\n\n") + views.review_card(_, _values(context))
    # A button that leads here has been answered already: Telegram refuses a second answer.
    await reply(update, text, keyboard(rows))
    return REVIEW


async def field_chosen(update: Update, context: BotContext) -> str:
    """A field's button on the review: ask for that field, then come back."""
    field = ContactFieldChosen.of(update).field
    await answer(update)
    draft = _draft(context)
    draft["step"] = field.value
    draft["reviewing"] = True
    return await _ask(update, context)


async def review_back(update: Update, context: BotContext) -> str:
    """/back on the review: to the last step of a new contact; otherwise stay."""
    draft = _draft(context)
    if draft.get("mode") == Mode.ADD or (
        draft.get("mode") == Mode.CARD and not draft.get("has_card")
    ):
        draft["reviewing"] = False
        draft["step"] = STEPS[-1].value
        return await _ask(update, context)
    return await _review(update, context)


async def save(update: Update, context: BotContext) -> str | int:
    """Save the contact (or the member's card) and end the flow."""
    _ = context._
    caller = context.require_caller()
    draft = _draft(context)
    values = _values(context)
    contacts = context.services.contacts
    try:
        if draft.get("mode") == Mode.CARD:
            saved = await contacts.save_own_card(caller, values)
        else:
            contact_id = draft.get("id")
            saved = await contacts.save(
                caller, values, int(contact_id) if contact_id is not None else None
            )
    except DuplicateContact as duplicate:
        await answer(update)
        existing = duplicate.existing
        if duplicate.linkable and draft.get("mode") == Mode.CARD:
            # The entry may well be them, but saying so is a claim: a coordinator decides.
            await reply(
                update,
                _(
                    "The directory already has an entry for {name} ({organisation}), made by"
                    " a coordinator. If it is you, a coordinator can link it to you as your"
                    " card; nothing is changed until then. Otherwise change the name or the"
                    " phone number, or /cancel.",
                    name=existing.name,
                    organisation=existing.organisation,
                ),
                keyboard([[button(_.text(views.ASK_TO_LINK), ContactAskToLink(existing.id))]]),
            )
            return REVIEW
        await reply(
            update,
            _(
                "{name} ({organisation}) is already in the directory with the same name and"
                " organisation, or the same phone number. Change one of them, or /cancel.",
                name=existing.name,
                organisation=existing.organisation,
            ),
        )
        return REVIEW
    except InvalidField as invalid:
        await answer(update)
        await reply(update, views.problem(_, invalid))
        return REVIEW
    context.discard_draft(DRAFT)
    partnership = bold(caller.require_membership().partnership.name)
    if draft.get("mode") == Mode.CARD:
        text = _(
            "Your card is saved. The members of {partnership} find it with /contacts.",
            partnership=partnership,
        )
    else:
        text = _(
            "Saved: {name} is in the directory of {partnership}.",
            name=saved.name,
            partnership=partnership,
        )
    await show(update, text)
    return ConversationHandler.END


async def ask_to_link(update: Update, context: BotContext) -> int:
    """The member says an entry is them: the coordinators are asked; the flow ends."""
    _ = context._
    caller = context.require_caller()
    contact_id = ContactAskToLink.of(update).contact_id
    asked = await context.services.contacts.ask_to_link(caller, contact_id)
    context.discard_draft(DRAFT)
    await show(
        update,
        _.plural(
            "I asked {count} coordinator to link the entry to you. You will be told here.",
            "I asked {count} coordinators to link the entry to you. You will be told here.",
            asked,
        ),
    )
    return ConversationHandler.END


async def delete_card(update: Update, context: BotContext) -> int:
    """Take the member's own card out of the directory."""
    caller = context.require_caller()
    await context.services.contacts.delete_own_card(caller)
    context.discard_draft(DRAFT)
    await show(
        update,
        context._(
            "Your card was removed from the directory of {partnership}.",
            partnership=bold(caller.require_membership().partnership.name),
        ),
    )
    return ConversationHandler.END
