"""A member's own choices: /language, /partnership and /profile."""

from __future__ import annotations

from dataclasses import dataclass, replace

from markupsafe import Markup
from telegram import Update

from bot.callbacks import LanguageChosen, LanguageCode, PartnershipChosen
from bot.commands import set_member_menu
from bot.context import BotContext
from bot.flows.engine import Choice, Flow, Invalid, Step, Turn
from bot.i18n import N_
from bot.messaging import reply, show
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard
from bot.views.render import bold
from domain.models import LANGUAGE_NAMES, LANGUAGES
from services.errors import InvalidInput
from services.validation import MAX_COUNTRY, MAX_ORGANISATION, clean_text


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


# -- /profile: organisation → country, saved at once ----------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileDraft:
    """What a member says about themselves (a coordinator confirms it)."""

    organisation: str | None = None
    country: str | None = None


async def _organisation_question(turn: Turn[ProfileDraft]) -> Markup:
    partnership = turn.context.require_caller().require_membership().partnership
    return turn._(
        "Which organisation do you work for in {partnership}? Send its name.",
        partnership=bold(partnership.name),
    )


async def _organisation_read(turn: Turn[ProfileDraft], text: str) -> ProfileDraft:
    try:
        organisation = clean_text(text, "organisation", MAX_ORGANISATION)
    except InvalidInput as error:
        raise Invalid(texts.explain(turn._, error)) from error
    return replace(turn.draft, organisation=organisation)


def _countries(turn: Turn[ProfileDraft]) -> tuple[str, ...]:
    return turn.context.require_caller().require_membership().partnership.countries


async def _country_question(turn: Turn[ProfileDraft]) -> Markup:
    if not _countries(turn):
        return turn._("Send the name of the country.")
    return turn._("Which country do you work for? Choose below or send its name.")


async def _country_read(turn: Turn[ProfileDraft], text: str) -> ProfileDraft:
    try:
        country = clean_text(text, "country", MAX_COUNTRY)
    except InvalidInput as error:
        raise Invalid(texts.explain(turn._, error)) from error
    return replace(turn.draft, country=country)


async def _country_choices(turn: Turn[ProfileDraft]) -> list[Choice]:
    return [Choice(name, str(index)) for index, name in enumerate(_countries(turn))]


async def _country_chosen(turn: Turn[ProfileDraft], value: str) -> ProfileDraft:
    countries = _countries(turn)
    if not value.isdigit() or int(value) >= len(countries):
        raise Invalid(texts.expired(turn._))
    return replace(turn.draft, country=countries[int(value)])


async def _save_profile(turn: Turn[ProfileDraft]) -> Markup:
    _ = turn._
    draft = turn.draft
    membership = await turn.context.services.members.update_profile(
        turn.context.require_caller(), organisation=draft.organisation, country=draft.country
    )
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
    return saved


PROFILE: Flow[ProfileDraft] = Flow(
    name="profile",
    title=N_("your profile"),
    draft=ProfileDraft,
    steps=(
        Step(
            name="organisation",
            label=N_("Organisation"),
            question=_organisation_question,
            shows=lambda _, draft: draft.organisation,
            reads=_organisation_read,
        ),
        Step(
            name="country",
            label=N_("Country"),
            question=_country_question,
            shows=lambda _, draft: draft.country,
            reads=_country_read,
            choices=_country_choices,
            chosen=_country_chosen,
        ),
    ),
    save=_save_profile,
    reviewed=False,
)


async def profile_start(update: Update, context: BotContext) -> object:
    """/profile: the caller's organisation, then country, as they stand, to keep or change."""
    membership = context.require_caller().require_membership()
    draft = ProfileDraft(organisation=membership.organisation, country=membership.country)
    return await PROFILE.start(update, context, draft)
