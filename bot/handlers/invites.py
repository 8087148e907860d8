"""/invite: the partnership's live invites with Revoke, and a new invite step by step:
role → organisation → country → number of uses → validity → deep link."""

from __future__ import annotations

from markupsafe import Markup
from telegram import Update
from telegram.ext import ConversationHandler
from telegram.helpers import create_deep_linked_url

from bot.callbacks import (
    InviteCountry,
    InviteDays,
    InviteRef,
    InviteRevoke,
    InviteRole,
    InviteUses,
)
from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.messaging import answer, reply, show, text_of
from bot.views import texts
from bot.views.keyboards import button, country_rows, in_rows, keyboard
from bot.views.render import bold, code, format_moment
from domain.models import Membership, Role
from services.access import Capability, roles_grantable_by
from services.errors import InvalidInput
from services.invites import MAX_USES, MAX_VALID_DAYS, LiveInvite
from services.validation import MAX_COUNTRY, MAX_ORGANISATION, clean_text

INVITE_ROLE = "invite:role"
INVITE_ORGANISATION = "invite:organisation"
INVITE_COUNTRY = "invite:country"
INVITE_USES = "invite:uses"
INVITE_DAYS = "invite:days"
USES_CHOICES = (1, 5, 25)
DAYS_CHOICES = (1, 7, 30)
#: Live invites listed with a Revoke button each, newest first.
LISTED = 15
DRAFT = "invite"
COMMAND_LINE = N_("the command line")
REVOKE = N_("✖ Revoke {number}")


async def invite_start(update: Update, context: BotContext) -> str:
    """The live invites with their Revoke buttons, and the roles a new invite may give."""
    context.require_caller().require(Capability.INVITE)
    context.draft(DRAFT, fresh=True)
    return await _overview(update, context)


async def invite_revoke(update: Update, context: BotContext) -> str:
    """Revoke one live invite (the service checks the caller may), then list them again."""
    ref = InviteRevoke.of(update).ref
    await context.services.invites.revoke_by_ref(context.require_caller(), ref)
    context.draft(DRAFT, fresh=True)
    return await _overview(
        update, context, context._("Revoked: nobody can join with that invite any more.")
    )


async def _overview(update: Update, context: BotContext, note: Markup | None = None) -> str:
    _ = context._
    caller = context.require_caller()
    membership = caller.require(Capability.INVITE)
    live = await context.services.invites.live(caller)
    shown = live[:LISTED]
    parts: list[Markup | str] = [note] if note else []
    if shown:
        parts.append(
            _.plural(
                "{partnership}: {count} invite can still be used.",
                "{partnership}: {count} invites can still be used.",
                len(live),
                partnership=bold(membership.partnership.name),
            )
        )
        parts += [_invite_line(_, number, item, membership) for number, item in enumerate(shown, 1)]
        if len(live) > len(shown):
            parts.append(
                _.plural(
                    "… and {count} older one, not listed.",
                    "… and {count} older ones, not listed.",
                    len(live) - len(shown),
                )
            )
    else:
        parts.append(
            _(
                "{partnership}: no invite can be used at the moment.",
                partnership=bold(membership.partnership.name),
            )
        )
    parts += [Markup(""), _("Invite people as:")]
    revoke = [
        button(_.text(REVOKE).format(number=number), InviteRevoke(InviteRef(item.invite.ref)))
        for number, item in enumerate(shown, 1)
    ]
    roles = [
        button(texts.role_name(_, role), InviteRole(role))
        for role in roles_grantable_by(membership.role)
    ]
    await show(
        update, Markup("\n").join(parts), keyboard([*in_rows(revoke, 3), *in_rows(roles, 2)])
    )
    return INVITE_ROLE


def _invite_line(_: Translator, number: int, item: LiveInvite, membership: Membership) -> Markup:
    invite = item.invite
    line = _(
        "{number}. {role} · {uses} · until {until} · by {creator}",
        number=number,
        role=texts.role_name(_, invite.role),
        uses=_.plural("{count} use left", "{count} uses left", invite.uses_left),
        until=format_moment(invite.expires_at, membership.partnership.timezone, _.language),
        creator=item.creator if item.creator is not None else _.text(COMMAND_LINE),
    )
    vouched = ", ".join(v for v in (invite.organisation, invite.country) if v)
    return line + Markup(" · ") + _("for {vouched}", vouched=vouched) if vouched else line


async def invite_role(update: Update, context: BotContext) -> str:
    """Take the role and ask which organisation the invite vouches for."""
    role = InviteRole.of(update).role
    membership = context.require_caller().require(Capability.INVITE)
    if role not in roles_grantable_by(membership.role):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return INVITE_ROLE
    context.draft(DRAFT)["role"] = role.value
    return await _ask_organisation(update, context)


async def _ask_organisation(update: Update, context: BotContext) -> str:
    await show(
        update,
        context._(
            "Do the people you invite work for one organisation? Send its name: everyone who"
            " joins with this invite is recorded as working for it, confirmed by you."
            " /skip if not; /back returns to the role."
        ),
    )
    return INVITE_ORGANISATION


async def invite_organisation_typed(update: Update, context: BotContext) -> str:
    """Take the organisation the invite vouches for and ask for the country."""
    try:
        value = clean_text(text_of(update), "vouched_organisation", MAX_ORGANISATION)
    except InvalidInput as error:
        await reply(update, texts.explain(context._, error))
        return INVITE_ORGANISATION
    context.draft(DRAFT)["organisation"] = value
    return await _ask_country(update, context)


async def invite_organisation_skipped(update: Update, context: BotContext) -> str:
    """No organisation: those who join tell their own, which a coordinator confirms."""
    context.draft(DRAFT)["organisation"] = None
    return await _ask_country(update, context)


async def _ask_country(update: Update, context: BotContext) -> str:
    membership = context.require_caller().require(Capability.INVITE)
    rows = country_rows(membership.partnership.countries, InviteCountry)
    await show(
        update,
        context._(
            "Which country do they work for? Choose below or send its name: it is recorded as"
            " confirmed too. /skip if they work for several; /back returns to the organisation."
        ),
        keyboard(rows) if rows else None,
    )
    return INVITE_COUNTRY


async def invite_country_typed(update: Update, context: BotContext) -> str:
    """Take a typed country and ask for the number of uses."""
    try:
        value = clean_text(text_of(update), "vouched_country", MAX_COUNTRY)
    except InvalidInput as error:
        await reply(update, texts.explain(context._, error))
        return INVITE_COUNTRY
    context.draft(DRAFT)["country"] = value
    return await _ask_uses(update, context)


async def invite_country_pressed(update: Update, context: BotContext) -> str:
    """Take one of the partnership's countries from the buttons."""
    index = InviteCountry.of(update).index
    countries = context.require_caller().require(Capability.INVITE).partnership.countries
    if not 0 <= index < len(countries):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return INVITE_COUNTRY
    context.draft(DRAFT)["country"] = countries[index]
    return await _ask_uses(update, context)


async def invite_country_skipped(update: Update, context: BotContext) -> str:
    """No country on the invite."""
    context.draft(DRAFT)["country"] = None
    return await _ask_uses(update, context)


async def _ask_uses(update: Update, context: BotContext) -> str:
    _ = context._
    buttons = [button(str(n), InviteUses(n)) for n in USES_CHOICES]
    await show(
        update,
        _(
            "How many people may join with this invite? Choose or send a number from 1 to {most}.",
            most=MAX_USES,
        ),
        keyboard([buttons]),
    )
    return INVITE_USES


async def invite_uses_pressed(update: Update, context: BotContext) -> str:
    """Take the number of uses from a button."""
    context.draft(DRAFT)["uses"] = InviteUses.of(update).uses
    return await _ask_days(update, context)


async def invite_uses_typed(update: Update, context: BotContext) -> str:
    """Take a typed number of uses."""
    uses = _number(text_of(update), 1, MAX_USES)
    if uses is None:
        await reply(update, texts.explain(context._, InvalidInput("uses", "range")))
        return INVITE_USES
    context.draft(DRAFT)["uses"] = uses
    return await _ask_days(update, context)


async def _ask_days(update: Update, context: BotContext) -> str:
    _ = context._
    buttons = [button(str(n), InviteDays(n)) for n in DAYS_CHOICES]
    await show(
        update,
        _(
            "For how many days may it be used? Choose or send a number from 1 to {most}.",
            most=MAX_VALID_DAYS,
        ),
        keyboard([buttons]),
    )
    return INVITE_DAYS


async def invite_days_pressed(update: Update, context: BotContext) -> int:
    """Take the validity from a button and create the invite."""
    return await _create_invite(update, context, InviteDays.of(update).days)


async def invite_days_typed(update: Update, context: BotContext) -> str | int:
    """Take a typed validity and create the invite."""
    days = _number(text_of(update), 1, MAX_VALID_DAYS)
    if days is None:
        await reply(update, texts.explain(context._, InvalidInput("days", "range")))
        return INVITE_DAYS
    return await _create_invite(update, context, days)


async def invite_back(update: Update, context: BotContext) -> str:
    """Go back one step: the latest answer is forgotten and asked again."""
    draft = context.draft(DRAFT)
    for key, ask in (
        ("uses", _ask_uses),
        ("country", _ask_country),
        ("organisation", _ask_organisation),
    ):
        if key in draft:
            draft.pop(key)
            return await ask(update, context)
    draft.pop("role", None)
    return await _overview(update, context)


async def _create_invite(update: Update, context: BotContext, days: int) -> int:
    _ = context._
    caller = context.require_caller()
    membership = caller.require(Capability.INVITE)
    draft = context.draft(DRAFT)
    if not {"role", "organisation", "country", "uses"} <= draft.keys():
        # A button of an older invite message: the draft it belonged to is gone.
        await show(update, texts.expired(_))
        return ConversationHandler.END
    invite = await context.services.invites.create(
        membership.partnership,
        role=Role(draft["role"]),
        max_uses=int(draft["uses"]),
        valid_days=days,
        created_by=caller,
        organisation=draft["organisation"],
        country=draft["country"],
    )
    context.discard_draft(DRAFT)
    link = create_deep_linked_url(context.bot.username, invite.code)
    role = texts.role_name(_, invite.role)
    until = format_moment(invite.expires_at, membership.partnership.timezone, _.language)
    parts: list[Markup | str] = [
        _.plural(
            "Invite to {partnership} as {role}, for {count} person, valid until {until}:",
            "Invite to {partnership} as {role}, for {count} people, valid until {until}:",
            invite.max_uses,
            partnership=bold(membership.partnership.name),
            role=role,
            until=until,
        ),
        link,
    ]
    vouched = ", ".join(v for v in (invite.organisation, invite.country) if v)
    if vouched:
        parts.append(_("Confirmed for everyone who joins with it: {vouched}.", vouched=vouched))
    parts += [
        Markup(""),
        _(
            "Send this link only to the people it is meant for. Code: {code}",
            code=code(invite.code),
        ),
    ]
    await show(update, Markup("\n").join(parts))
    return ConversationHandler.END


def _number(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if not text.isdigit() or len(text) > 6:
        return None
    value = int(text)
    return value if low <= value <= high else None
