"""Reading the audit log: pages for admins, and the whole log of a partnership for an export.

Entries keep whatever details the change recorded, some of which must not leave the
database: invite references, names of contacts who are not members, titles, typed values.
Everything read here passes `safe_detail`, an allow-list of the detail keys of each action
(ids, roles, statuses, counts, formats, periods) whose values are plain words or numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.audit import AuditEntry
from domain.models import Partnership
from services.access import Caller, Capability
from services.clock import Clock
from services.errors import InvalidInput, NotFound
from services.spreadsheets import safe_cell
from storage import audit as store
from storage.db import Database

PAGE_SIZE = 15
#: The longest period a person may ask for, in days (ten years).
MAX_DAYS = 3660
#: Who the entries without an actor are by: the bot itself (jobs, the command line).
BOT_NAME = "Partnerbot"


class AuditFamily(StrEnum):
    """Kinds of actions people filter the log by."""

    MEMBERS = "members"
    CONTACTS = "contacts"
    MEETINGS = "meetings"
    CHALLENGES = "challenges"
    MILESTONES = "milestones"
    BROADCASTS = "broadcasts"
    REPORTS = "reports"


#: The families' kinds: the part of an action before its first dot.
FAMILY_KINDS: dict[AuditFamily, tuple[str, ...]] = {
    AuditFamily.MEMBERS: ("member", "invite", "group", "partnership"),
    AuditFamily.CONTACTS: ("contact", "contact_link", "contact_linked"),
    AuditFamily.MEETINGS: ("meeting", "action_reminder"),
    AuditFamily.CHALLENGES: ("challenge", "challenge_update"),
    AuditFamily.MILESTONES: ("milestone", "plan"),
    AuditFamily.BROADCASTS: ("broadcast", "reminder", "delivery", "digest"),
    AuditFamily.REPORTS: ("report", "export"),
}

_CHALLENGE = ("challenge_id",)
_CONTACT = ("contact_id",)
_MEETING = ("meeting_id", "restricted")
#: The detail keys each action may show; an action not listed shows none.
SAFE_KEYS: dict[str, tuple[str, ...]] = {
    "challenge.flag": (*_CHALLENGE, "severity", "category"),
    "challenge.acknowledge": _CHALLENGE,
    "challenge.status": (*_CHALLENGE, "old", "new"),
    "challenge.reopen": (*_CHALLENGE, "old", "new"),
    "challenge.edit": (*_CHALLENGE, "fields"),
    "challenge.escalate": (*_CHALLENGE, "step", "recipients"),
    "challenge.escalation_rule": ("minutes", "include_high"),
    "challenge.alerts": ("muted",),
    "member.role": ("member_id", "old", "new"),
    "member.remove": ("member_id", "role"),
    "member.readmit": ("member_id",),
    "member.add": ("member_id", "role"),
    # Not the value: an organisation or country typed by someone.
    "member.confirm": ("member_id", "field"),
    "member.set": ("member_id", "field"),
    "member.withdraw": ("member_id", "field"),
    # Never the invite's reference, its organisation or country, nor who made it.
    "invite.create": ("role", "max_uses", "valid_days"),
    "invite.revoke": ("role",),
    "invite.redeem": ("role",),
    # Never the name of a contact: contacts are mostly not members.
    "contact.create": _CONTACT,
    "contact.update": (*_CONTACT, "fields"),
    "contact.delete": _CONTACT,
    "contact.own_card": _CONTACT,
    "contact.own_card_delete": _CONTACT,
    "contact.link_request": _CONTACT,
    "contact.link": (*_CONTACT, "member_id"),
    # Not the source: a file name.
    "contact.import": ("created", "updated", "unchanged", "skipped_rows"),
    "plan.import": ("added", "updated", "removed"),
    "milestone.update": ("milestone", "status", "progress"),
    "meeting.create": _MEETING,
    "meeting.update": _MEETING,
    # Not the title.
    "meeting.delete": ("meeting_id",),
    "meeting.action_done": ("meeting_id", "action_id"),
    "report.export": (
        *("format", "language", "start", "end", "restricted"),
        *("meetings", "challenges"),
    ),
    "export.minutes": ("file_format", *_MEETING),
    "export.calendar": (),
    "partnership.create": ("slug",),
    "group.link": ("chat_id",),
    "group.unlink": ("chat_id",),
    "group.link_refused": ("chat_id",),
    "delivery.acknowledge": ("delivery_id",),
}
#: Messages queued for delivery (`broadcast.enqueue`, `digest.enqueue`, ...): not the
#: reference, which may name what the message is about.
ENQUEUE_KEYS = ("broadcast_id", "recipients", "urgent")

#: A value shown as it is: a word or number without spaces, never the start of a formula.
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}")
#: Lists (the fields of an edit) are shown up to this many values.
_LIST_LIMIT = 20

DetailValue = int | bool | str | list[str]


def safe_keys(action: str) -> tuple[str, ...]:
    """The detail keys of an action that may be shown and exported."""
    if action in SAFE_KEYS:
        return SAFE_KEYS[action]
    if action.endswith(".enqueue"):
        return ENQUEUE_KEYS
    return ()


def _plain(value: object) -> DetailValue | None:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, str) and _PLAIN.fullmatch(value):
        return value
    if isinstance(value, list) and len(value) <= _LIST_LIMIT:
        words = [item for item in value if isinstance(item, str) and _PLAIN.fullmatch(item)]
        return words if len(words) == len(value) else None
    return None


def safe_detail(action: str, detail: Mapping[str, object]) -> dict[str, DetailValue]:
    """The details of an entry that may be shown: allowed keys with plain values only."""
    shown: dict[str, DetailValue] = {}
    for key in safe_keys(action):
        value = _plain(detail.get(key))
        if value is not None:
            shown[key] = value
    return shown


def family_of(action: str) -> AuditFamily | None:
    """The family an action belongs to, if any."""
    kind = action.split(".", 1)[0]
    return next((f for f, kinds in FAMILY_KINDS.items() if kind in kinds), None)


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One entry as it may be shown: who (None: the bot), what, and the safe details."""

    at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    detail: dict[str, DetailValue]
    #: The name of the member the entry is about (`member_id`), if they belong or belonged
    #: to the partnership.
    member_name: str | None = None


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What a page of the log shows: one person's entries, one family, the last days (0:
    any time)."""

    actor_id: int | None = None
    family: AuditFamily | None = None
    days: int = 0


@dataclass(frozen=True, slots=True)
class AuditPage:
    """A page of entries, newest first (`page` counts from 0)."""

    lines: list[AuditLine]
    page: int
    pages: int
    total: int
    filters: AuditFilter
    actor_name: str | None  # the filtered person's name
    timezone: str


class AuditService:
    """The audit log, read by the admins of a partnership and by operators."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def page(self, caller: Caller, number: int, filters: AuditFilter) -> AuditPage:
        """A page of the active partnership's log (admins only); a page past the end gives
        the last one."""
        membership = caller.require(Capability.READ_AUDIT)
        partnership = membership.partnership
        if not 0 <= filters.days <= MAX_DAYS:
            raise InvalidInput("audit_days", "range")
        names = await self._names(partnership.id)
        if filters.actor_id is not None and filters.actor_id not in names:
            # Only people who acted in the partnership: nobody else's name is shown.
            raise NotFound("member")
        since = None if not filters.days else self._clock() - timedelta(days=filters.days)
        kinds = None if filters.family is None else FAMILY_KINDS[filters.family]
        total = await store.count(
            self._db, partnership.id, actor_id=filters.actor_id, kinds=kinds, since=since
        )
        pages = max(1, -(-total // PAGE_SIZE))
        number = min(max(number, 0), pages - 1)
        entries = await store.search(
            self._db,
            partnership.id,
            actor_id=filters.actor_id,
            kinds=kinds,
            since=since,
            limit=PAGE_SIZE,
            offset=number * PAGE_SIZE,
        )
        members = await store.member_names(self._db, partnership.id)
        return AuditPage(
            lines=[_line(entry, names, members) for entry in entries],
            page=number,
            pages=pages,
            total=total,
            filters=filters,
            actor_name=None if filters.actor_id is None else names[filters.actor_id],
            timezone=partnership.timezone,
        )

    async def actors(self, caller: Caller) -> list[tuple[int, str]]:
        """(id, name) of everyone who acted in the active partnership (admins only)."""
        membership = caller.require(Capability.READ_AUDIT)
        found = await store.actors(self._db, membership.partnership_id)
        return [(member_id, name) for member_id, name, _username in found]

    async def actor_by_username(self, caller: Caller, username: str) -> int:
        """The id of the person with this Telegram username who acted in the active
        partnership (admins only), or NotFound."""
        membership = caller.require(Capability.READ_AUDIT)
        wanted = username.lstrip("@").lower()
        for member_id, _name, known in await store.actors(self._db, membership.partnership_id):
            if known is not None and known.lower() == wanted:
                return member_id
        raise NotFound("member")

    async def entries(
        self, partnership: Partnership, *, since: date | None = None, until: date | None = None
    ) -> list[AuditLine]:
        """Every entry of a partnership, oldest first, from the day `since` to the day
        `until` (both included, in the partnership's time zone): for the command line."""
        zone = ZoneInfo(partnership.timezone)

        def start_of(day: date) -> datetime:
            return datetime.combine(day, time(), zone).astimezone(UTC)

        found = await store.search(
            self._db,
            partnership.id,
            since=None if since is None else start_of(since),
            until=None if until is None else start_of(until + timedelta(days=1)),
        )
        names = await self._names(partnership.id)
        return [_line(entry, names) for entry in reversed(found)]

    async def _names(self, partnership_id: int) -> dict[int, str]:
        return {
            member_id: name for member_id, name, _ in await store.actors(self._db, partnership_id)
        }


def _line(
    entry: AuditEntry, names: Mapping[int, str], members: Mapping[int, str] | None = None
) -> AuditLine:
    actor = entry.actor_id
    detail = safe_detail(entry.action, entry.detail)
    subject = detail.get("member_id")
    member_name = None
    if members is not None and isinstance(subject, int) and not isinstance(subject, bool):
        member_name = members.get(subject)
    return AuditLine(
        at=entry.at,
        actor_id=actor,
        # Someone the bot no longer knows keeps their id, not a name.
        actor_name=BOT_NAME if actor is None else names.get(actor, f"#{actor}"),
        action=entry.action,
        detail=detail,
        member_name=member_name,
    )


# -- files --------------------------------------------------------------------------------------

#: The columns of the CSV export.
CSV_COLUMNS = ("at", "actor_id", "actor", "action", "detail")


def _record(line: AuditLine) -> dict[str, object]:
    return {
        "at": line.at.astimezone(UTC).isoformat(),
        "actor_id": line.actor_id,
        "actor": line.actor_name,
        "action": line.action,
        "detail": line.detail,
    }


def export_csv(lines: Sequence[AuditLine]) -> bytes:
    """The entries as CSV, UTF-8 with a byte-order mark (spreadsheets then read the
    encoding right), every cell made safe from formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        record = _record(line)
        detail = json.dumps(record["detail"], ensure_ascii=False, sort_keys=True)
        row = [record["at"], record["actor_id"], record["actor"], record["action"], detail]
        writer.writerow([safe_cell("" if value is None else str(value)) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def export_json(lines: Sequence[AuditLine], *, one_per_line: bool = False) -> bytes:
    """The entries as a JSON array, or as JSON lines (one object a line)."""
    records = [_record(line) for line in lines]
    if one_per_line:
        text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    else:
        text = json.dumps(records, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    return text.encode("utf-8")
