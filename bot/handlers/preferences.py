"""A member's own choices: /language, /partnership and /profile."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from telegram import Update
from telegram.ext import ConversationHandler

from bot.callbacks import LanguageChosen, LanguageCode, PartnershipChosen, ProfileCountry
from bot.commands import set_member_menu
from bot.context import BotContext
from bot.messaging import answer, reply, show, text_of
from bot.views import texts
from bot.views.keyboards import button, country_rows, in_rows, keyboard
from bot.views.render import bold
from domain.models import LANGUAGE_NAMES, LANGUAGES
from services.errors import InvalidInput
from services.validation import MAX_COUNTRY, MAX_ORGANISATION, clean_text

PROFILE_ORGANISATION = "profile:organisation"
PROFILE_COUNTRY = "profile:country"


async def language_menu(update: Update, context: BotContext) -> None:
    """Offer the five languages as buttons."""
    _ = context._
    buttons = [
        button(LANGUAGE_NAMES[code], LanguageChosen(LanguageCode(code))) for code in LANGUAGES
    ]
    await reply(update, _("Choose your language:"), keyboard(in_rows(buttons, 2)))


async def language_chosen(update: Update, context: BotContext) -> None:
    """Store the language picked on a button and answer in it."""
    code = LanguageChosen.of(update).code
    caller = context.require_caller()
    await context.services.access.set_language(caller, code)
    context.caller = await context.services.access.identify(caller.identity)
    _ = context._
    await set_member_menu(context.bot, caller.identity.user_id, context.caller.role, _.language)
    await show(
        update, _("I will speak {language} with you from now on.", language=LANGUAGE_NAMES[code])
    )


async def partnership_menu(update: Update, context: BotContext) -> None:
    """List the caller's partnerships, the active one ticked."""
    _ = context._
    caller = context.require_caller()
    memberships = await context.services.access.memberships(caller)
    active = caller.membership.partnership_id if caller.membership else None
    if len(memberships) <= 1:
        await reply(update, _("You belong to one partnership only: there is nothing to switch."))
        return
    buttons = [
        button(
            ("✓ " if m.partnership_id == active else "")
            + f"{m.partnership.name} · {texts.role_name(_, m.role)}",
            PartnershipChosen(m.partnership_id),
        )
        for m in memberships
    ]
    await reply(
        update, _("Which partnership do you want to work in?"), keyboard(in_rows(buttons, 1))
    )


async def partnership_chosen(update: Update, context: BotContext) -> None:
    """Make the chosen partnership the active one."""
    partnership_id = PartnershipChosen.of(update).partnership_id
    caller = context.require_caller()
    membership = await context.services.access.switch_partnership(caller, partnership_id)
    context.caller = await context.services.access.identify(caller.identity)
    _ = context._
    await set_member_menu(context.bot, caller.identity.user_id, membership.role, _.language)
    await show(
        update,
        _(
            "You now work in {partnership} as {role}.",
            partnership=bold(membership.partnership.name),
            role=texts.role_name(_, membership.role),
        ),
    )


def _draft(context: BotContext) -> dict[str, Any]:
    return context.draft("profile")


async def profile_start(update: Update, context: BotContext) -> str:
    """Show the caller's profile and ask for their organisation."""
    _ = context._
    membership = context.require_caller().require_membership()
    draft = context.draft("profile", fresh=True)
    draft["organisation"] = membership.organisation
    draft["country"] = membership.country
    current = membership.organisation or _("not set")
    await reply(
        update,
        _(
            "Which organisation do you work for in {partnership}? Send its name, or /skip to"
            " keep: {current}",
            partnership=bold(membership.partnership.name),
            current=current,
        ),
    )
    return PROFILE_ORGANISATION


async def profile_organisation(update: Update, context: BotContext) -> str:
    """Take the organisation's name and ask for the country."""
    try:
        _draft(context)["organisation"] = clean_text(
            text_of(update), "organisation", MAX_ORGANISATION
        )
    except InvalidInput as error:
        await reply(update, texts.explain(context._, error))
        return PROFILE_ORGANISATION
    return await _ask_country(update, context)


async def profile_skip_organisation(update: Update, context: BotContext) -> str:
    """Keep the organisation as it was."""
    return await _ask_country(update, context)


async def _ask_country(update: Update, context: BotContext) -> str:
    _ = context._
    membership = context.require_caller().require_membership()
    rows = country_rows(membership.partnership.countries, ProfileCountry)
    current = _draft(context).get("country") or _("not set")
    await reply(
        update,
        _(
            "Which country do you work for? Choose below or send its name; /skip keeps:"
            " {current}; /back returns to the organisation.",
            current=current,
        ),
        keyboard(rows) if rows else None,
    )
    return PROFILE_COUNTRY


async def profile_country_typed(update: Update, context: BotContext) -> str | int:
    """Take a typed country and save."""
    try:
        _draft(context)["country"] = clean_text(text_of(update), "country", MAX_COUNTRY)
    except InvalidInput as error:
        await reply(update, texts.explain(context._, error))
        return PROFILE_COUNTRY
    return await _save_profile(update, context)


async def profile_country_pressed(update: Update, context: BotContext) -> str | int:
    """Take a country from the buttons and save."""
    index = ProfileCountry.of(update).index
    countries = context.require_caller().require_membership().partnership.countries
    if not 0 <= index < len(countries):
        await show(update, texts.expired(context._))
        return PROFILE_COUNTRY
    await answer(update)
    _draft(context)["country"] = countries[index]
    return await _save_profile(update, context)


async def profile_skip_country(update: Update, context: BotContext) -> str | int:
    """Keep the country as it was and save."""
    return await _save_profile(update, context)


async def profile_back(update: Update, context: BotContext) -> str:
    """Return to the organisation step, keeping the draft."""
    _ = context._
    current = _draft(context).get("organisation") or _("not set")
    await reply(
        update,
        _(
            "Which organisation do you work for? Send its name, or /skip to keep: {current}",
            current=current,
        ),
    )
    return PROFILE_ORGANISATION


async def _save_profile(update: Update, context: BotContext) -> int:
    _ = context._
    draft = _draft(context)
    membership = await context.services.members.update_profile(
        context.require_caller(),
        organisation=draft.get("organisation"),
        country=draft.get("country"),
    )
    context.discard_draft("profile")
    saved = _(
        "Saved. Organisation: {organisation}. Country: {country}.",
        organisation=membership.organisation or _("not set"),
        country=membership.country or _("not set"),
    )
    if membership.awaiting_confirmation:
        saved += Markup("\n\n") + _(
            "A coordinator of the partnership confirms them. Until then they are shown as"
            " unconfirmed and give you no rights."
        )
    await reply(update, saved)
    return ConversationHandler.END


async def profile_expects_text(update: Update, context: BotContext) -> None:
    """Anything but text at a text step: say what to send; the step stays."""
    await reply(update, context._("Please answer with text, /skip this step, or /cancel."))
