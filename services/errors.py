"""Errors services raise; the bot turns each into a translated reply."""

from __future__ import annotations

from enum import StrEnum

from domain.models import Role


class ServiceError(Exception):
    """Base of every error a person can cause; never a bug."""


class NotAMember(ServiceError):
    """The caller belongs to no partnership (or not to the one asked about)."""


class NotAllowed(ServiceError):
    """The caller's role is too low for the action."""

    def __init__(self, needed: Role) -> None:
        super().__init__(f"needs role {needed}")
        self.needed = needed


class NotFound(ServiceError):
    """The record does not exist, or is not visible to the caller."""


class InviteRefusal(StrEnum):
    """Why an invite code did not let someone in."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    REVOKED = "revoked"
    ALREADY_USED = "already_used"
    REMOVED = "removed"  # removed from the partnership and not readmitted since


class GroupLinkedElsewhere(ServiceError):
    """The group chat is linked to another partnership, which must unlink it first."""


class InviteRefused(ServiceError):
    """An invite code could not be used."""

    def __init__(self, reason: InviteRefusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


class InvalidInput(ServiceError):
    """A value a person typed is not acceptable; `field` names what was wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class LastAdmin(ServiceError):
    """The change would leave a partnership without an admin."""
