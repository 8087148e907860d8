"""Texts used by several handlers: role names, the stranger's reply, error explanations."""

from __future__ import annotations

from markupsafe import Markup

from bot.i18n import N_, Translator
from domain.models import Role
from services.errors import (
    GroupLinkedElsewhere,
    InvalidInput,
    InviteRefusal,
    InviteRefused,
    LastAdmin,
    NotAllowed,
    NotAMember,
    NotFound,
    ServiceError,
)
from services.retention import FORMER_MEMBER
from services.throttle import Throttled

ROLE_NAMES = {
    Role.ADMIN: N_("admin"),
    Role.COORDINATOR: N_("coordinator"),
    Role.MEMBER: N_("member"),
    Role.OBSERVER: N_("observer"),
}

_INVITE_REFUSALS = {
    InviteRefusal.UNKNOWN: N_(
        "This invite code is not valid. Check that you opened the whole link, or ask the"
        " person who invited you for a new one."
    ),
    InviteRefusal.EXPIRED: N_(
        "This invite has expired. Ask the person who invited you for a new one."
    ),
    InviteRefusal.USED_UP: N_(
        "This invite has already been used as many times as allowed. Ask for a new one."
    ),
    InviteRefusal.REVOKED: N_(
        "This invite was withdrawn. Ask the person who invited you for a new one."
    ),
    InviteRefusal.ALREADY_USED: N_(
        "You have already joined with this invite. Send /help to continue."
    ),
    InviteRefusal.REMOVED: N_(
        "You were removed from this partnership, so an invite cannot bring you back. Ask an"
        " admin of the partnership to readmit you; then open the invite link again."
    ),
}

_FIELD_PROBLEMS = {
    "uses": N_("Send a number of uses between 1 and 500."),
    "days": N_("Send a number of days between 1 and 90."),
    "organisation": N_("Send the name of your organisation, up to 100 characters."),
    "country": N_("Send the name of your country, up to 60 characters."),
    "vouched_organisation": N_("Send the name of the organisation, up to 100 characters."),
    "vouched_country": N_("Send the name of the country, up to 60 characters."),
    "language": N_("Choose one of the languages on the buttons."),
}


#: For button presses, whose answers are limited to 200 characters.
STRANGER_SHORT = N_("Partnerbot is by invitation only. Ask your coordinator for an invite link.")


REMOVE = N_("Remove from the partnership")
YES_REMOVE = N_("Yes, remove")
NO_KEEP = N_("No, keep")
#: A button pressed by someone other than the person its message was for.
NOT_YOUR_BUTTON = N_(
    "This button belongs to someone else's message. Send the command yourself to get your own."
)
BUTTON_EXPIRED = N_("This button is no longer active. Send the command again.")


def expired(_: Translator) -> Markup:
    """For buttons of old messages that no longer lead anywhere."""
    return _(BUTTON_EXPIRED)


def query_too_long(_: Translator, limit: int) -> Markup:
    """A search longer than `limit` characters is refused."""
    return _.plural(
        "Search with at most {count} character.", "Search with at most {count} characters.", limit
    )


def role_name(_: Translator, role: Role) -> str:
    """A role's name in the reader's language."""
    return _.text(ROLE_NAMES[role])


def stranger(_: Translator) -> Markup:
    """What someone who is not a member is told, and nothing more."""
    return _(
        "Partnerbot serves the members of operational partnerships against migrant smuggling."
        " Access is by invitation only: ask your partnership's coordinator for an invite link"
        " and open it to join."
    )


def explain(_: Translator, error: ServiceError) -> Markup:
    """A translated reply for a refusal the person caused."""
    match error:
        case NotAMember():
            return stranger(_)
        case NotAllowed(needed=Role.ADMIN):
            return _("Only admins of the partnership can do that.")
        case NotAllowed(needed=Role.MEMBER):
            return _("Observers can read but not add or change anything.")
        case NotAllowed():
            return _("Only coordinators and admins of the partnership can do that.")
        case NotFound():
            return _("I could not find that. It may have been changed or removed.")
        case InviteRefused(reason=reason):
            return _(_INVITE_REFUSALS[reason])
        case GroupLinkedElsewhere():
            return _(
                "This group is already linked to another partnership. Only an admin of that"
                " partnership can unlink it (with /unlinkgroup); then it can be linked again."
            )
        case LastAdmin():
            return _("A partnership needs at least one admin: make someone else admin first.")
        case Throttled(retry_after=seconds):
            return _.plural(
                "You asked for this too often. Try again in {count} second.",
                "You asked for this too often. Try again in {count} seconds.",
                seconds,
            )
        case InvalidInput(field=field) if field in _FIELD_PROBLEMS:
            return _(_FIELD_PROBLEMS[field])
        case _:
            return _("That did not work. Check what you sent and try again.")


def person_name(_: Translator, name: str) -> str:
    """A member's stored name as shown: an anonymised one in the reader's language."""
    return _.text(N_("Former member")) if name == FORMER_MEMBER else name
