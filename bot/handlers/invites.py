"""/invite: the partnership's live invites with Revoke (a plain screen), and a new invite
on the flow engine: role → organisation → country → number of uses → validity → a review
whose Save creates the invite and shows its deep link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from markupsafe import Markup
from telegram import Update
from telegram.helpers import create_deep_linked_url

from bot.callbacks import InviteRef, InviteRevoke, InviteRole
from bot.context import BotContext
from bot.flows.engine import END, Choice, Flow, Invalid, Step, Turn
from bot.i18n import N_, Translator
from bot.messaging import answer, show
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard
from bot.views.render import bold, code, format_moment
from domain.models import Membership, Role
from services.access import Capability, roles_grantable_by
from services.errors import InvalidInput
from services.invites import MAX_USES, MAX_VALID_DAYS, LiveInvite
from services.validation import MAX_COUNTRY, MAX_ORGANISATION, clean_text

USES_CHOICES = (1, 5, 25)
DAYS_CHOICES = (1, 7, 30)
#: Live invites listed with a Revoke button each, newest first.
LISTED = 15
COMMAND_LINE = N_("the command line")
REVOKE = N_("✖ Revoke {number}")


async def invite_start(update: Update, context: BotContext) -> object:
    """The live invites with their Revoke buttons, and the roles a new invite may give (a
    draft in progress is dropped: /invite starts afresh)."""
    context.require_caller().require(Capability.INVITE)
    context.discard_draft(FLOW.name)
    return await _overview(update, context)


async def invite_revoke(update: Update, context: BotContext) -> object:
    """Revoke one live invite (the service checks the caller may), then list them again."""
    ref = InviteRevoke.of(update).ref
    await context.services.invites.revoke_by_ref(context.require_caller(), ref)
    context.discard_draft(FLOW.name)
    return await _overview(
        update, context, context._("Revoked: nobody can join with that invite any more.")
    )


async def _overview(update: Update, context: BotContext, note: Markup | None = None) -> object:
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
    return END


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
    vouched = _vouched(invite.organisation, invite.country)
    return line + Markup(" · ") + _("for {vouched}", vouched=vouched) if vouched else line


# -- a new invite: the flow ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InviteDraft:
    """A new invite: the role it gives, what it vouches for, how many uses, how many days."""

    role: Role
    organisation: str | None = None
    country: str | None = None
    uses: int | None = None
    days: int | None = None


def _grantable(turn: Turn[InviteDraft]) -> Sequence[Role]:
    return roles_grantable_by(turn.context.require_caller().require(Capability.INVITE).role)


async def _role_question(turn: Turn[InviteDraft]) -> Markup:
    return turn._("Invite people as:")


async def _role_choices(turn: Turn[InviteDraft]) -> list[Choice]:
    return [Choice(texts.role_name(turn._, role), role.value) for role in _grantable(turn)]


async def _role_chosen(turn: Turn[InviteDraft], value: str) -> InviteDraft:
    role = next((r for r in _grantable(turn) if r.value == value), None)
    if role is None:
        raise Invalid(texts.expired(turn._))
    return replace(turn.draft, role=role)


async def _organisation_question(turn: Turn[InviteDraft]) -> Markup:
    return turn._(
        "Do the people you invite work for one organisation? Send its name: everyone who"
        " joins with this invite is recorded as working for it, confirmed by you."
    )


async def _organisation_read(turn: Turn[InviteDraft], text: str) -> InviteDraft:
    try:
        organisation = clean_text(text, "vouched_organisation", MAX_ORGANISATION)
    except InvalidInput as error:
        raise Invalid(texts.explain(turn._, error)) from error
    return replace(turn.draft, organisation=organisation)


def _countries(turn: Turn[InviteDraft]) -> tuple[str, ...]:
    return turn.context.require_caller().require(Capability.INVITE).partnership.countries


async def _country_question(turn: Turn[InviteDraft]) -> Markup:
    return turn._(
        "Which country do they work for? Choose below or send its name: it is recorded as"
        " confirmed too."
    )


async def _country_read(turn: Turn[InviteDraft], text: str) -> InviteDraft:
    try:
        country = clean_text(text, "vouched_country", MAX_COUNTRY)
    except InvalidInput as error:
        raise Invalid(texts.explain(turn._, error)) from error
    return replace(turn.draft, country=country)


async def _country_choices(turn: Turn[InviteDraft]) -> list[Choice]:
    return [Choice(name, str(index)) for index, name in enumerate(_countries(turn))]


async def _country_chosen(turn: Turn[InviteDraft], value: str) -> InviteDraft:
    countries = _countries(turn)
    if not value.isdigit() or int(value) >= len(countries):
        raise Invalid(texts.expired(turn._))
    return replace(turn.draft, country=countries[int(value)])


async def _uses_question(turn: Turn[InviteDraft]) -> Markup:
    return turn._(
        "How many people may join with this invite? Choose or send a number from 1 to {most}.",
        most=MAX_USES,
    )


async def _days_question(turn: Turn[InviteDraft]) -> Markup:
    return turn._(
        "For how many days may it be used? Choose or send a number from 1 to {most}.",
        most=MAX_VALID_DAYS,
    )


def _number_step(
    name: str, label: str, question: Callable[[Turn[InviteDraft]], Awaitable[Markup]]
) -> Step[InviteDraft]:
    """The number of uses or of days: one of a few buttons, or a typed number in range."""
    most, choices = (MAX_USES, USES_CHOICES) if name == "uses" else (MAX_VALID_DAYS, DAYS_CHOICES)

    async def reads(turn: Turn[InviteDraft], text: str) -> InviteDraft:
        number = _number(text, 1, most)
        if number is None:
            raise Invalid(texts.explain(turn._, InvalidInput(name, "range")))
        draft = turn.draft
        return replace(draft, uses=number) if name == "uses" else replace(draft, days=number)

    async def buttons(turn: Turn[InviteDraft]) -> list[Choice]:
        return [Choice(str(n), str(n)) for n in choices]

    def shows(_: Translator, draft: InviteDraft) -> str:
        value = getattr(draft, name)
        return "" if value is None else str(value)

    return Step(
        name=name,
        label=label,
        question=question,
        shows=shows,
        reads=reads,
        choices=buttons,
        chosen=reads,
        required=True,
        per_row=len(choices),
    )


def _vouched(organisation: str | None, country: str | None) -> str:
    return ", ".join(v for v in (organisation, country) if v)


async def _summary(turn: Turn[InviteDraft]) -> Markup:
    """The invite to be created: a button per line changes it; Create makes it."""
    _, draft = turn._, turn.draft
    lines = [
        _("Check the invite, then create it. Press a line to change it."),
        Markup(""),
        _("{label}: {value}", label=_.text(ROLE), value=texts.role_name(_, draft.role)),
        _("{label}: {value}", label=_.text(ORGANISATION), value=draft.organisation or "—"),
        _("{label}: {value}", label=_.text(COUNTRY), value=draft.country or "—"),
        _("{label}: {value}", label=_.text(USES), value=draft.uses or "—"),
        _("{label}: {value}", label=_.text(DAYS), value=draft.days or "—"),
    ]
    return Markup("\n").join(lines)


async def _create_invite(turn: Turn[InviteDraft]) -> Markup:
    """Save: create the invite and give its deep link."""
    _ = turn._
    draft = turn.draft
    caller = turn.context.require_caller()
    membership = caller.require(Capability.INVITE)
    if draft.uses is None or draft.days is None:  # required steps: only a stale draft lacks them
        raise Invalid(texts.expired(_))
    invite = await turn.context.services.invites.create(
        membership.partnership,
        role=draft.role,
        max_uses=draft.uses,
        valid_days=draft.days,
        created_by=caller,
        organisation=draft.organisation,
        country=draft.country,
    )
    link = create_deep_linked_url(turn.context.bot.username, invite.code)
    until = format_moment(invite.expires_at, membership.partnership.timezone, _.language)
    role = texts.role_name(_, invite.role)  # not inside _.plural(): the extractor trips on it
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
    vouched = _vouched(invite.organisation, invite.country)
    if vouched:
        parts.append(_("Confirmed for everyone who joins with it: {vouched}.", vouched=vouched))
    parts += [
        Markup(""),
        _(
            "Send this link only to the people it is meant for. Code: {code}",
            code=code(invite.code),
        ),
    ]
    return Markup("\n").join(parts)


ROLE = N_("Role")
ORGANISATION = N_("Organisation")
COUNTRY = N_("Country")
USES = N_("Number of people")
DAYS = N_("Valid for (days)")
CREATE = N_("Create the invite")

FLOW: Flow[InviteDraft] = Flow(
    name="invite",
    title=N_("a new invite"),
    draft=InviteDraft,
    steps=(
        Step(
            name="role",
            label=ROLE,
            question=_role_question,
            shows=lambda _, draft: texts.role_name(_, draft.role),
            choices=_role_choices,
            chosen=_role_chosen,
        ),
        Step(
            name="organisation",
            label=ORGANISATION,
            question=_organisation_question,
            shows=lambda _, draft: draft.organisation,
            reads=_organisation_read,
        ),
        Step(
            name="country",
            label=COUNTRY,
            question=_country_question,
            shows=lambda _, draft: draft.country,
            reads=_country_read,
            choices=_country_choices,
            chosen=_country_chosen,
        ),
        _number_step("uses", USES, _uses_question),
        _number_step("days", DAYS, _days_question),
    ),
    summary=_summary,
    save=_create_invite,
    save_label=CREATE,
)


async def invite_role(update: Update, context: BotContext) -> object:
    """A role button of the list: a new invite for that role, from its organisation on."""
    role = InviteRole.of(update).role
    membership = context.require_caller().require(Capability.INVITE)
    if role not in roles_grantable_by(membership.role):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return END
    await answer(update)
    return await FLOW.start(update, context, InviteDraft(role=role), at="organisation")


def _number(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if not text.isdigit() or len(text) > 6:
        return None
    value = int(text)
    return value if low <= value <= high else None
