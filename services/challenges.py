"""Emerging challenges: flag, alert, acknowledge, escalate, follow through.

Who is told what (README: "Challenges"):
- on submission, the coordinators of the partnership (its admins if it has none); for high and
  critical challenges also every other member who did not opt out, and the linked group chats,
  unless the challenge is restricted (then only coordinators, admins and the reporter see it);
- escalation: a critical challenge (or high, as the partnership chooses) that no coordinator or
  admin acknowledged within the partnership's delay goes again to coordinators and admins, a
  second time after twice the delay; steps are stored, so a restart neither loses nor repeats one;
- the reporter: each coordinator's acknowledgement and each change of status, edit and
  reopening by someone else;
- an edit that raises the severity to high or critical alerts the coordinators again (and, for
  a challenge not restricted that was below high, every member and the linked groups, as a new
  one would have been); a critical one nobody acknowledged yet is scheduled for escalation.
Every message goes through the outbox; the bot supplies their texts (`ChallengeMessages`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Protocol

from domain.challenges import (
    Acknowledgement,
    Attachment,
    Category,
    Challenge,
    ChallengeEvent,
    EditedField,
    EscalationOutcome,
    EscalationSettings,
    EscalationStep,
    EventKind,
    NewChallenge,
    Severity,
    Status,
)
from domain.models import Member, Membership, Partnership, Role
from domain.outbox import Delivery
from services.access import Caller, Capability, language_of
from services.challenges_input import (
    MAX_ATTACHMENTS,
    ChallengeDraft,
    Finding,
    Observed,
    check_coordinates,
    clean_description,
    clean_note,
    clean_place,
    clean_route,
    clean_title,
    personal_data,
)
from services.clock import Clock
from services.errors import InvalidInput, NotAllowed, NotFound, ServiceError
from services.outbox import AfterCommit, OutboxService, Recipient, Rendered
from services.text import fold, one_line, prefix_match
from storage import audit
from storage import challenges as store
from storage import members as member_store
from storage import partnerships as partnership_store
from storage.challenges import Query, Visibility
from storage.db import Database, Transaction

LIFECYCLE = (
    Status.REPORTED,
    Status.ACKNOWLEDGED,
    Status.CORROBORATED,
    Status.CONFIRMED,
    Status.RESOLVED,
)
OPEN_STATUSES = (*LIFECYCLE[:-1],)
ESCALATION_STEPS = 2
ESCALATION_MINUTES = (5, 1440)
PAGE_SIZE = 8
#: The most challenges a map shows.
MAP_POINTS = 500
SUMMARY_PERIODS = (30, 90)


def next_statuses(status: Status) -> list[Status]:
    """Where a challenge may go from a status: any later lifecycle step, or dismissed."""
    if status in (Status.RESOLVED, Status.DISMISSED):
        return []
    return [*LIFECYCLE[LIFECYCLE.index(status) + 1 :], Status.DISMISSED]


def escalates(severity: Severity, rule: EscalationSettings) -> bool:
    """Whether a challenge of this severity is escalated under the partnership's rule."""
    return severity is Severity.CRITICAL or (rule.include_high and severity is Severity.HIGH)


class PersonalDataSuspected(ServiceError):
    """The texts seem to hold personal data; the reporter must confirm before submitting."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(", ".join(f.kind.value for f in findings))
        self.findings = findings


class AlertAudience(StrEnum):
    """Who an alert of a new challenge is written for."""

    COORDINATORS = "coordinators"
    MEMBERS = "members"
    GROUPS = "groups"


@dataclass(frozen=True, slots=True)
class ChallengeCard:
    """A challenge with what every message about it shows: its partnership and reporter."""

    challenge: Challenge
    partnership: Partnership
    reporter: str


class ChallengeMessages(Protocol):
    """How each message about a challenge reads in a language (the bot writes them)."""

    def alert(self, card: ChallengeCard, audience: AlertAudience, language: str) -> Rendered:
        """A new challenge."""
        ...

    def escalation(self, card: ChallengeCard, waited: timedelta, language: str) -> Rendered:
        """Nobody acknowledged it in time."""
        ...

    def acknowledged(self, card: ChallengeCard, by: str, role: Role, language: str) -> Rendered:
        """To the reporter: a coordinator or admin acknowledged it."""
        ...

    def status_changed(self, card: ChallengeCard, event: ChallengeEvent, language: str) -> Rendered:
        """To the reporter: it moved on, was edited or reopened by someone else."""
        ...

    def raised(
        self, card: ChallengeCard, event: ChallengeEvent, audience: AlertAudience, language: str
    ) -> Rendered:
        """An edit raised its severity to high or critical."""
        ...


@dataclass(frozen=True, slots=True)
class Submitted:
    """A submitted challenge and how many were alerted."""

    challenge: Challenge
    coordinators: int
    members: int
    groups: int
    escalation: EscalationSettings | None  # None when this severity is not escalated


@dataclass(frozen=True, slots=True)
class ChallengeDetail:
    """Everything the Open view shows."""

    card: ChallengeCard
    events: list[ChallengeEvent]
    acknowledgements: list[Acknowledgement]
    escalations: list[EscalationStep]
    attachments: list[Attachment]
    can_manage: bool  # the viewer may move it through its lifecycle
    next_statuses: list[Status]  # empty unless the viewer may move it on
    can_edit: bool = False  # the viewer may change its fields (it is open)
    can_reopen: bool = False  # the viewer may reopen it (it is resolved or dismissed)


@dataclass(frozen=True, slots=True)
class Edited:
    """The outcome of an edit: the challenge as it now stands, and its history's new step
    (None when nothing changed)."""

    challenge: Challenge
    event: ChallengeEvent | None
    alerted: int = 0  # coordinators told of a severity raised to high or critical


@dataclass(frozen=True, slots=True)
class Filter:
    """What a challenge list shows: `statuses` empty means every status; `days` 0 means
    any time."""

    category: Category | None = None
    severity: Severity | None = None
    statuses: tuple[Status, ...] = OPEN_STATUSES
    days: int = 0
    #: Words every shown challenge has (title, description, place, route, notes), or "".
    text: str = ""


@dataclass(frozen=True, slots=True)
class ChallengePage:
    """One page of a challenge list."""

    challenges: list[Challenge]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class Summary:
    """Challenges reported in a period, by category and severity."""

    days: int
    by_category: dict[Category, dict[Severity, int]]
    by_status: dict[Status, int]

    @property
    def total(self) -> int:
        """Every challenge of the period."""
        return sum(self.by_status.values())


#: How far back a challenge flagged with the same title is pointed out to a reporter.
SAME_TITLE_DAYS = 7
#: The kind of outbox message that alerts about a challenge: acknowledging it acknowledges
#: the challenge.
ALERT_KIND = "challenge"


class ChallengeService:
    """Challenges of the caller's partnerships."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        outbox: OutboxService,
        messages: ChallengeMessages,
        default_language: str,
    ) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._messages = messages
        self._default_language = default_language
        # Acknowledging an alert about a challenge acknowledges the challenge, in the same
        # transaction as the acknowledgement itself.
        outbox.on_acknowledge(ALERT_KIND, self._alert_acknowledged)
        # One escalation pass at a time: the periodic job and a test (or a second job run
        # after a slow one) must not both send a step.
        self._escalating = asyncio.Lock()

    def _language_of(self, member: Member, partnership: Partnership) -> str:
        return language_of(member, partnership.language or self._default_language)

    # -- reading --------------------------------------------------------------------------

    async def _membership(self, caller: Caller, partnership_id: int) -> Membership:
        """The caller's membership of a challenge's partnership (alerts may come from a
        partnership that is not their active one)."""
        found = await member_store.membership(self._db, caller.identity.user_id, partnership_id)
        if found is None:
            raise NotFound("challenge")
        return found

    async def _visible(self, caller: Caller, challenge_id: int) -> tuple[Challenge, Membership]:
        challenge = await store.get(self._db, challenge_id)
        if challenge is None:
            raise NotFound("challenge")
        membership = await self._membership(caller, challenge.partnership_id)
        if not self._may_see(challenge, membership):
            raise NotFound("challenge")
        return challenge, membership

    @staticmethod
    def _may_see(challenge: Challenge, membership: Membership) -> bool:
        return (
            not challenge.restricted
            or membership.role.at_least(Role.COORDINATOR)
            or challenge.reporter_id == membership.member_id
        )

    async def _card(self, challenge: Challenge) -> ChallengeCard:
        partnership = await partnership_store.get(self._db, challenge.partnership_id)
        assert partnership is not None
        reporter = (
            await member_store.get(self._db, challenge.reporter_id)
            if challenge.reporter_id
            else None
        )
        return ChallengeCard(challenge, partnership, reporter.name if reporter else "")

    async def detail(self, caller: Caller, challenge_id: int) -> ChallengeDetail:
        """A challenge the caller may see, with its history."""
        challenge, membership = await self._visible(caller, challenge_id)
        manages = membership.role.at_least(Capability.MANAGE_CHALLENGES.least_role)
        return ChallengeDetail(
            card=await self._card(challenge),
            events=await store.events(self._db, challenge.id),
            acknowledgements=await store.acknowledgements(self._db, challenge.id),
            escalations=await store.escalations(self._db, challenge.id),
            attachments=await store.attachments(self._db, challenge.id),
            can_manage=manages,
            next_statuses=next_statuses(challenge.status) if manages else [],
            can_edit=challenge.is_open and self._may_edit(challenge, membership),
            can_reopen=manages and not challenge.is_open,
        )

    @staticmethod
    def _may_edit(challenge: Challenge, membership: Membership) -> bool:
        """Its reporter (while they may flag) and coordinators and admins."""
        if membership.role.at_least(Capability.MANAGE_CHALLENGES.least_role):
            return True
        return challenge.reporter_id == membership.member_id and membership.role.at_least(
            Capability.FLAG_CHALLENGES.least_role
        )

    async def draft_for_edit(self, caller: Caller, challenge_id: int) -> ChallengeDraft:
        """A challenge as a draft to edit (NotAllowed unless the caller may edit it;
        InvalidInput("status", "closed") once it is resolved or dismissed)."""
        challenge, membership = await self._visible(caller, challenge_id)
        self._check_editable(challenge, membership)
        return draft_of(challenge, await store.attachments(self._db, challenge.id))

    def _check_editable(self, challenge: Challenge, membership: Membership) -> None:
        if not self._may_edit(challenge, membership):
            raise NotAllowed(Capability.MANAGE_CHALLENGES.least_role)
        if not challenge.is_open:
            raise InvalidInput("status", "closed")

    def _visibility(self, membership: Membership) -> Visibility:
        return Visibility(
            membership.partnership_id,
            membership.member_id,
            sees_restricted=membership.role.at_least(Role.COORDINATOR),
        )

    def _query(self, wanted: Filter) -> Query:
        """A list's filters as the storage reads them."""
        return Query(
            category=wanted.category,
            severity=wanted.severity,
            statuses=wanted.statuses,
            since=self._clock() - timedelta(days=wanted.days) if wanted.days else None,
            match=prefix_match(wanted.text),
        )

    async def page(self, caller: Caller, wanted: Filter, page: int) -> ChallengePage:
        """A page of the active partnership's challenges (pages count from 0, clamped)."""
        membership = caller.require(Capability.READ)
        query = self._query(wanted)
        visibility = self._visibility(membership)
        page = max(page, 0)
        found, total = await store.search(
            self._db, visibility, query, limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        if page >= pages:  # a button of an older, longer list
            page = pages - 1
            found, total = await store.search(
                self._db, visibility, query, limit=PAGE_SIZE, offset=page * PAGE_SIZE
            )
        return ChallengePage(found, page, pages, total)

    async def pinned(self, caller: Caller, wanted: Filter) -> list[Challenge]:
        """The active partnership's challenges the caller sees that match `wanted` and have a
        location pin (for a map), most serious first; at most MAP_POINTS."""
        membership = caller.require(Capability.READ)
        query = replace(self._query(wanted), pinned=True)
        found, _total = await store.search(
            self._db, self._visibility(membership), query, limit=MAP_POINTS, offset=0
        )
        return found

    async def same_title_lately(
        self, caller: Caller, title: str, days: int = SAME_TITLE_DAYS
    ) -> list[Challenge]:
        """Challenges the caller may see, flagged in the last `days` days with the same title
        (case and accents aside): perhaps the one about to be flagged again."""
        membership = caller.require(Capability.READ)
        match = prefix_match(title)
        if match is None:
            return []
        query = Query(since=self._clock() - timedelta(days=days), match=match)
        found, _total = await store.search(
            self._db, self._visibility(membership), query, limit=20, offset=0
        )
        wanted = fold(title)
        return [c for c in found if fold(c.title) == wanted]

    async def summary(self, caller: Caller, days: int) -> Summary:
        """Challenges reported in the last `days` days, by category and severity."""
        membership = caller.require(Capability.READ)
        if days not in SUMMARY_PERIODS:
            raise InvalidInput("period", "unknown")
        rows = await store.counts(
            self._db, self._visibility(membership), self._clock() - timedelta(days=days)
        )
        by_category: dict[Category, dict[Severity, int]] = {}
        by_status: dict[Status, int] = {}
        for category, severity, status, count in rows:
            cell = by_category.setdefault(category, dict.fromkeys(Severity, 0))
            cell[severity] += count
            by_status[status] = by_status.get(status, 0) + count
        ordered = {c: by_category[c] for c in Category if c in by_category}
        return Summary(days, ordered, by_status)

    # -- flagging ---------------------------------------------------------------------------

    @staticmethod
    def check(draft: ChallengeDraft) -> NewChallenge:
        """Every field of a draft checked again (the bot checked them one by one)."""
        if draft.category is None:
            raise InvalidInput("category", "missing")
        if draft.severity is None:
            raise InvalidInput("severity", "missing")
        coordinates = draft.coordinates
        if coordinates is not None:
            coordinates = check_coordinates(*coordinates)
        if len(draft.attachments) > MAX_ATTACHMENTS or any(
            a.kind not in ("photo", "document") for a in draft.attachments
        ):
            raise InvalidInput("attachments", "too many")
        return NewChallenge(
            partnership_id=0,
            reporter_id=0,
            category=draft.category,
            severity=draft.severity,
            title=clean_title(draft.title),
            description=clean_description(draft.description),
            place=clean_place(draft.place) if draft.place else None,
            latitude=coordinates[0] if coordinates else None,
            longitude=coordinates[1] if coordinates else None,
            route=clean_route(draft.route) if draft.route else None,
            observed_at=draft.observed.at if draft.observed else None,
            observed_has_time=bool(draft.observed and draft.observed.has_time),
            restricted=draft.restricted,
            attachments=tuple(
                replace(a, file_name=one_line(a.file_name)) if a.file_name else a
                for a in draft.attachments
            ),
        )

    async def submit(
        self,
        caller: Caller,
        draft: ChallengeDraft,
        *,
        key: str,
        personal_data_confirmed: bool = False,
    ) -> Submitted:
        """Store the challenge and alert (PersonalDataSuspected until the reporter confirmed
        what looks like personal data). The key (one per draft) makes a retry store and
        alert nothing twice, and completes the alerts of an attempt cut short by a crash."""
        membership = caller.require(Capability.FLAG_CHALLENGES)
        new = replace(
            self.check(draft),
            partnership_id=membership.partnership_id,
            reporter_id=caller.identity.user_id,
        )
        challenge = await store.by_key(self._db, key)
        if challenge is None:
            findings = personal_data(draft.texts())
            if findings and not personal_data_confirmed:
                raise PersonalDataSuspected(findings)
            challenge = await self._store(caller, membership, new, key, findings)
        elif challenge.reporter_id != caller.identity.user_id:
            raise NotFound("challenge")
        return await self._alert(challenge)

    async def _store(
        self,
        caller: Caller,
        membership: Membership,
        new: NewChallenge,
        key: str,
        findings: list[Finding],
    ) -> Challenge:
        now = self._clock()
        rule = await store.settings(self._db, membership.partnership_id)
        async with self._db.transaction() as tx:
            challenge_id = await store.insert(tx, new, key=key, now=now)
            await store.add_event(
                tx,
                challenge_id,
                Status.REPORTED,
                actor_id=caller.identity.user_id,
                actor_name=caller.identity.name,
                note="",
                now=now,
            )
            if escalates(new.severity, rule):
                delay = timedelta(minutes=rule.minutes)
                await store.schedule_escalations(
                    tx,
                    challenge_id,
                    [now + delay * step for step in range(1, 1 + ESCALATION_STEPS)],
                )
            await audit.record(
                tx,
                action="challenge.flag",
                now=now,
                partnership_id=membership.partnership_id,
                actor_id=caller.identity.user_id,
                challenge_id=challenge_id,
                severity=new.severity.value,
                category=new.category.value,
                # Only that the reporter confirmed, never the suspected values themselves.
                personal_data_confirmed=sorted({f.kind.value for f in findings}),
            )
        challenge = await store.get(self._db, challenge_id)
        assert challenge is not None
        return challenge

    async def _alert(
        self,
        challenge: Challenge,
        *,
        occasion: str = "alert",
        wide_too: bool = True,
        render: Callable[[ChallengeCard, AlertAudience, str], Rendered] | None = None,
        besides: int | None = None,
    ) -> Submitted:
        """Alert the coordinators (and, `wide_too`, for a high or critical challenge not
        restricted, the members and linked groups); `occasion` names this round of alerts in
        the outbox's keys, so a retry sends nothing twice. Neither the reporter nor `besides`
        (who raised it) is alerted."""
        card = await self._card(challenge)
        partnership = card.partnership
        render = render or self._messages.alert
        people = [
            (member, role)
            for member, role in await member_store.audience(self._db, partnership.id)
            if member.id not in (challenge.reporter_id, besides) and not member.unreachable
        ]
        coordinators = [m for m, r in people if r is Role.COORDINATOR] or [
            m for m, r in people if r is Role.ADMIN
        ]
        chosen = {m.id for m in coordinators}
        wide = (
            wide_too and challenge.severity.rank >= Severity.HIGH.rank and not challenge.restricted
        )
        members: list[Member] = []
        groups: list[int] = []
        if wide:
            muted = await store.muted_members(self._db, partnership.id)
            members = [m for m, _ in people if m.id not in chosen and m.id not in muted]
            groups = [
                g.chat_id for g in await partnership_store.groups_of(self._db, partnership.id)
            ]

        def private(member: Member) -> Recipient:
            return Recipient(member.id, member.id, self._language_of(member, partnership))

        audiences = (
            (AlertAudience.COORDINATORS, [private(m) for m in coordinators]),
            (AlertAudience.MEMBERS, [private(m) for m in members]),
            (AlertAudience.GROUPS, [Recipient(c, None, partnership.language) for c in groups]),
        )
        for audience, recipients in audiences:
            if recipients:
                await self._send(
                    challenge,
                    recipients,
                    partial(render, card, audience),
                    key=f"challenge:{challenge.id}:{occasion}:{audience.value}",
                    acknowledge=True,
                    urgent=challenge.severity.rank >= Severity.HIGH.rank,
                    audience={"to": audience.value},
                )
        rule = await store.settings(self._db, partnership.id)
        return Submitted(
            challenge,
            coordinators=len(coordinators),
            members=len(members),
            groups=len(groups),
            escalation=rule if await store.escalations(self._db, challenge.id) else None,
        )

    async def _send(
        self,
        challenge: Challenge,
        recipients: Sequence[Recipient],
        render: Callable[[str], Rendered],
        *,
        key: str,
        acknowledge: bool,
        urgent: bool = False,
        audience: dict[str, object] | None = None,
    ) -> int:
        return await self._outbox.enqueue(
            kind=ALERT_KIND if acknowledge else "challenge_update",
            reference=str(challenge.id),
            partnership_id=challenge.partnership_id,
            recipients=recipients,
            render=render,
            acknowledge=acknowledge,
            author_id=challenge.reporter_id,
            urgent=urgent,
            audience=audience,
            body=challenge.title,
            idempotency_key=key,
            protect_content=challenge.restricted,
        )

    # -- acknowledging and following through -------------------------------------------------

    async def _alert_acknowledged(
        self, tx: Transaction, delivery: Delivery, caller: Caller
    ) -> AfterCommit:
        """An alert about a challenge was acknowledged (the outbox calls this in the same
        transaction): so is the challenge, and the first coordinator or admin to do so moves
        it from reported to acknowledged. Its reporter is told once the transaction is
        committed. Safe to run again: nothing is recorded or told twice."""
        challenge_id = await store.challenge_of_delivery(tx, delivery.id)
        challenge = None if challenge_id is None else await store.get(tx, challenge_id)
        if challenge is None:
            return None
        membership = await member_store.membership(
            tx, caller.identity.user_id, challenge.partnership_id
        )
        if membership is None:
            return None
        now = self._clock()
        manages = membership.role.at_least(Capability.MANAGE_CHALLENGES.least_role)
        new = await store.add_acknowledgement(
            tx,
            challenge.id,
            membership.member_id,
            membership.role,
            delivery_id=delivery.id,
            now=now,
        )
        if new and manages:
            await store.mark_acknowledged(tx, challenge.id, now)
            # The first coordinator to acknowledge moves a reported challenge on.
            if await store.set_status(tx, challenge.id, Status.REPORTED, Status.ACKNOWLEDGED, now):
                await store.add_event(
                    tx,
                    challenge.id,
                    Status.ACKNOWLEDGED,
                    actor_id=membership.member_id,
                    actor_name=caller.identity.name,
                    note="",
                    now=now,
                )
        if new:
            await audit.record(
                tx,
                action="challenge.acknowledge",
                now=now,
                partnership_id=challenge.partnership_id,
                actor_id=membership.member_id,
                challenge_id=challenge.id,
                delivery_id=delivery.id,
            )
        if not manages or challenge.reporter_id in (None, membership.member_id):
            return None
        acknowledged_id, role, name = challenge.id, membership.role, caller.identity.name

        async def tell_the_reporter() -> None:
            found = await store.get(self._db, acknowledged_id)
            if found is None:
                return
            card = await self._card(found)
            await self._tell_reporter(
                card,
                lambda language: self._messages.acknowledged(card, name, role, language),
                key=f"challenge:{found.id}:ack:{caller.identity.user_id}",
            )

        return tell_the_reporter

    async def _tell_reporter(
        self,
        card: ChallengeCard,
        render: Callable[[str], Rendered],
        *,
        key: str,
    ) -> None:
        """A message to the reporter, if they are still in the partnership."""
        challenge = card.challenge
        if challenge.reporter_id is None:
            return
        member = await member_store.get(self._db, challenge.reporter_id)
        still_in = await member_store.membership(
            self._db, challenge.reporter_id, challenge.partnership_id
        )
        if member is None or still_in is None or member.unreachable:
            return
        recipient = Recipient(member.id, member.id, self._language_of(member, card.partnership))
        await self._send(challenge, [recipient], render, key=key, acknowledge=False)

    async def change_status(
        self,
        caller: Caller,
        challenge_id: int,
        status: Status,
        note: str,
    ) -> Challenge:
        """Move a challenge on (coordinators and admins); the reporter is told."""
        challenge, membership = await self._managed(caller, challenge_id)
        note = clean_note(note)
        if status not in next_statuses(challenge.status):
            raise InvalidInput("status", challenge.status.value)
        return await self._move(caller, membership, challenge, status, note, EventKind.STATUS)

    async def _managed(self, caller: Caller, challenge_id: int) -> tuple[Challenge, Membership]:
        """A challenge the caller sees and may move through its lifecycle."""
        challenge, membership = await self._visible(caller, challenge_id)
        if not membership.role.at_least(Capability.MANAGE_CHALLENGES.least_role):
            raise NotAllowed(Capability.MANAGE_CHALLENGES.least_role)
        return challenge, membership

    async def _move(
        self,
        caller: Caller,
        membership: Membership,
        challenge: Challenge,
        status: Status,
        note: str,
        kind: EventKind,
    ) -> Challenge:
        """Give a challenge a new status, with a step of its history, an audit entry and a
        word to the reporter."""
        now = self._clock()
        async with self._db.transaction() as tx:
            # The status seen is checked again: two coordinators may press at once.
            if not await store.set_status(tx, challenge.id, challenge.status, status, now):
                raise InvalidInput("status", "changed meanwhile")
            event_id = await store.add_event(
                tx,
                challenge.id,
                status,
                actor_id=membership.member_id,
                actor_name=caller.identity.name,
                note=note,
                now=now,
                kind=kind,
            )
            await audit.record(
                tx,
                action="challenge.reopen" if kind is EventKind.REOPEN else "challenge.status",
                now=now,
                partnership_id=challenge.partnership_id,
                actor_id=membership.member_id,
                challenge_id=challenge.id,
                old=challenge.status.value,
                new=status.value,
            )
        updated = await store.get(self._db, challenge.id)
        event = await store.event(self._db, event_id)
        assert updated is not None and event is not None
        await self._tell_reporter_unless_self(updated, membership, event)
        return updated

    async def edit(
        self,
        caller: Caller,
        challenge_id: int,
        original: ChallengeDraft,
        edited: ChallengeDraft,
        *,
        note: str = "",
        personal_data_confirmed: bool = False,
    ) -> Edited:
        """Change a challenge's fields (its reporter, coordinators and admins, while it is
        open): what differs between `original` (the challenge as the editor began) and
        `edited` is written over the challenge as it now stands, so two people editing
        different fields at once both keep their changes. The history records each changed
        field from and to; `note` goes with it (why the severity changed, say)."""
        challenge, membership = await self._visible(caller, challenge_id)
        self._check_editable(challenge, membership)
        before, after = self.check(original), self.check(edited)
        fields = _changed(before, after)
        if not fields:
            return Edited(challenge, None)
        findings = personal_data(_texts(after, fields))
        if findings and not personal_data_confirmed:
            raise PersonalDataSuspected(findings)
        note = clean_note(note)
        attachments = await store.attachments(self._db, challenge.id)
        now_values = _values(challenge, attachments)
        new_values = _values(after, after.attachments)
        changes = {  # in the fields' order, for the history
            f: (now_values[f], new_values[f])
            for f in EditedField
            if f in fields and now_values[f] != new_values[f]
        }
        if not changes:
            return Edited(challenge, None)
        severity = after.severity if EditedField.SEVERITY in changes else challenge.severity
        now = self._clock()
        rule = await store.settings(self._db, challenge.partnership_id)
        async with self._db.transaction() as tx:
            await store.update_fields(tx, challenge.id, _columns(after, changes), now)
            if EditedField.ATTACHMENTS in changes:
                await store.replace_attachments(tx, challenge.id, after.attachments)
            event_id = await store.add_event(
                tx,
                challenge.id,
                challenge.status,
                actor_id=membership.member_id,
                actor_name=caller.identity.name,
                note=note,
                now=now,
                kind=EventKind.EDIT,
                changes=changes,
            )
            if (
                escalates(severity, rule)
                and challenge.acknowledged_at is None
                and challenge.status is Status.REPORTED
                and not await store.escalations(tx, challenge.id)
            ):
                delay = timedelta(minutes=rule.minutes)
                await store.schedule_escalations(
                    tx,
                    challenge.id,
                    [now + delay * step for step in range(1, 1 + ESCALATION_STEPS)],
                )
            await audit.record(
                tx,
                action="challenge.edit",
                now=now,
                partnership_id=challenge.partnership_id,
                actor_id=membership.member_id,
                challenge_id=challenge.id,
                fields=sorted(changes),
                personal_data_confirmed=sorted({f.kind.value for f in findings}),
            )
        updated = await store.get(self._db, challenge.id)
        event = await store.event(self._db, event_id)
        assert updated is not None and event is not None
        alerted = 0
        if severity.rank >= Severity.HIGH.rank and severity.rank > challenge.severity.rank:
            was_wide = challenge.severity.rank >= Severity.HIGH.rank and not challenge.restricted
            submitted = await self._alert(
                updated,
                occasion=f"raised:{event_id}",
                wide_too=not was_wide,
                besides=membership.member_id,
                render=lambda card, audience, language: self._messages.raised(
                    card, event, audience, language
                ),
            )
            alerted = submitted.coordinators
        await self._tell_reporter_unless_self(updated, membership, event)
        return Edited(updated, event, alerted)

    async def reopen(self, caller: Caller, challenge_id: int, note: str) -> Challenge:
        """Open a resolved or dismissed challenge again (coordinators and admins), with a
        note saying why: it goes back to acknowledged (reported if nobody acknowledged it)."""
        challenge, membership = await self._managed(caller, challenge_id)
        note = clean_note(note)
        if not note:
            raise InvalidInput("note", "empty")
        if challenge.is_open:
            raise InvalidInput("status", challenge.status.value)
        status = Status.ACKNOWLEDGED if challenge.acknowledged_at else Status.REPORTED
        return await self._move(caller, membership, challenge, status, note, EventKind.REOPEN)

    async def _tell_reporter_unless_self(
        self, challenge: Challenge, membership: Membership, event: ChallengeEvent
    ) -> None:
        if challenge.reporter_id == membership.member_id:
            return
        card = await self._card(challenge)
        await self._tell_reporter(
            card,
            lambda language: self._messages.status_changed(card, event, language),
            key=f"challenge:{challenge.id}:event:{event.id}",
        )

    # -- escalation -------------------------------------------------------------------------

    async def escalate_due(self) -> int:
        """Send the escalation steps that are due; returns how many went out.

        A step goes only if the challenge is still reported and no coordinator or admin
        acknowledged it; of several steps due at once (the bot was down) only the last goes.
        Each step is recorded once it is queued, and queued under its own idempotency key,
        so a crash between the two sends it at most once."""
        async with self._escalating:
            now = self._clock()
            by_challenge: dict[int, list[EscalationStep]] = {}
            for step in await store.due_escalations(self._db, now):
                by_challenge.setdefault(step.challenge_id, []).append(step)
            sent = 0
            for challenge_id, steps in by_challenge.items():
                sent += await self._escalate(challenge_id, steps, now)
            return sent

    async def _escalate(
        self,
        challenge_id: int,
        steps: list[EscalationStep],
        now: datetime,
    ) -> int:
        challenge = await store.get(self._db, challenge_id)
        if challenge is None:  # its partnership was deleted meanwhile, steps and all
            return 0
        last = steps[-1]
        needed = challenge.status is Status.REPORTED and challenge.acknowledged_at is None
        recipients: list[Recipient] = []
        if needed:
            card = await self._card(challenge)
            recipients = [
                Recipient(m.id, m.id, self._language_of(m, card.partnership))
                for m, role in await member_store.audience(self._db, challenge.partnership_id)
                if role.at_least(Role.COORDINATOR)
                and m.id != challenge.reporter_id
                and not m.unreachable
            ]
            waited = now - challenge.created_at
            if recipients:
                await self._send(
                    challenge,
                    recipients,
                    lambda language: self._messages.escalation(card, waited, language),
                    key=f"challenge:{challenge.id}:escalation:{last.step}",
                    acknowledge=True,
                    urgent=True,
                    audience={"to": "escalation", "step": last.step},
                )
        async with self._db.transaction() as tx:
            for step in steps:
                if not needed:
                    outcome = EscalationOutcome.NOT_NEEDED
                elif step is last:
                    outcome = EscalationOutcome.SENT
                else:
                    outcome = EscalationOutcome.SUPERSEDED
                await store.finish_escalation(
                    tx,
                    challenge.id,
                    step.step,
                    outcome,
                    recipients=len(recipients) if step is last else 0,
                    now=now,
                )
            if needed:
                await audit.record(
                    tx,
                    action="challenge.escalate",
                    now=now,
                    partnership_id=challenge.partnership_id,
                    challenge_id=challenge.id,
                    step=last.step,
                    recipients=len(recipients),
                )
        return 1 if needed and recipients else 0

    # -- settings ---------------------------------------------------------------------------

    async def escalation_rule(self, caller: Caller) -> EscalationSettings:
        """The active partnership's escalation rule."""
        membership = caller.require(Capability.READ)
        return await store.settings(self._db, membership.partnership_id)

    async def set_escalation_rule(
        self, caller: Caller, *, minutes: int | None = None, include_high: bool | None = None
    ) -> EscalationSettings:
        """Change the delay or the severities escalated (admins); challenges flagged before
        keep the schedule they got."""
        membership = caller.require(Capability.CONFIGURE_ESCALATION)
        rule = await store.settings(self._db, membership.partnership_id)
        if minutes is not None:
            low, high = ESCALATION_MINUTES
            if not low <= minutes <= high:
                raise InvalidInput("escalation_minutes", "out of range")
            rule = replace(rule, minutes=minutes)
        if include_high is not None:
            rule = replace(rule, include_high=include_high)
        now = self._clock()
        async with self._db.transaction() as tx:
            await store.save_settings(tx, membership.partnership_id, rule, now)
            await audit.record(
                tx,
                action="challenge.escalation_rule",
                now=now,
                partnership_id=membership.partnership_id,
                actor_id=caller.identity.user_id,
                minutes=rule.minutes,
                include_high=rule.include_high,
            )
        return rule

    async def alerts_muted(self, caller: Caller) -> bool:
        """Whether the caller opted out of the partnership-wide alerts."""
        membership = caller.require(Capability.READ)
        return membership.member_id in await store.muted_members(
            self._db, membership.partnership_id
        )

    async def set_alerts_muted(self, caller: Caller, muted: bool) -> None:
        """Opt out of (or back into) the alerts of high and critical challenges sent to every
        member; coordinators' alerts and escalations are not affected."""
        membership = caller.require(Capability.READ)
        now = self._clock()
        async with self._db.transaction() as tx:
            await store.set_alerts_muted(
                tx, membership.partnership_id, membership.member_id, muted, now
            )
            await audit.record(
                tx,
                action="challenge.alerts",
                now=now,
                partnership_id=membership.partnership_id,
                actor_id=membership.member_id,
                muted=muted,
            )


def new_key() -> str:
    """A fresh idempotency key for a draft."""
    return uuid.uuid4().hex


def draft_of(challenge: Challenge, attachments: Sequence[Attachment]) -> ChallengeDraft:
    """A stored challenge as a draft (to edit it)."""
    observed = (
        Observed(challenge.observed_at, challenge.observed_has_time)
        if challenge.observed_at
        else None
    )
    return ChallengeDraft(
        category=challenge.category,
        severity=challenge.severity,
        title=challenge.title,
        description=challenge.description,
        place=challenge.place,
        latitude=challenge.latitude,
        longitude=challenge.longitude,
        route=challenge.route,
        observed=observed,
        restricted=challenge.restricted,
        attachments=list(attachments),
    )


def _values(
    challenge: Challenge | NewChallenge, attachments: Sequence[Attachment]
) -> dict[EditedField, str | None]:
    """Each editable field as the text its history keeps (None for empty)."""
    location = (
        f"{challenge.latitude},{challenge.longitude}"
        if challenge.latitude is not None and challenge.longitude is not None
        else None
    )
    observed = challenge.observed_at
    if observed is not None:
        when: str | None = (
            observed.isoformat() if challenge.observed_has_time else observed.date().isoformat()
        )
    else:
        when = None
    return {
        EditedField.CATEGORY: challenge.category.value,
        EditedField.SEVERITY: challenge.severity.value,
        EditedField.TITLE: challenge.title,
        EditedField.DESCRIPTION: challenge.description or None,
        EditedField.PLACE: challenge.place,
        EditedField.LOCATION: location,
        EditedField.ROUTE: challenge.route,
        EditedField.OBSERVED: when,
        EditedField.RESTRICTED: "1" if challenge.restricted else "0",
        EditedField.ATTACHMENTS: str(len(attachments)) if attachments else None,
    }


def _changed(before: NewChallenge, after: NewChallenge) -> set[EditedField]:
    """The fields the editor changed."""
    old, new = _values(before, before.attachments), _values(after, after.attachments)
    changed = {f for f in EditedField if old[f] != new[f]}
    # The same number of different files is a change too.
    if list(before.attachments) != list(after.attachments):
        changed.add(EditedField.ATTACHMENTS)
    return changed


def _texts(new: NewChallenge, fields: set[EditedField]) -> list[str]:
    """The changed texts, to look for personal data in."""
    texts = {
        EditedField.TITLE: new.title,
        EditedField.DESCRIPTION: new.description,
        EditedField.PLACE: new.place or "",
        EditedField.ROUTE: new.route or "",
    }
    return [text for f, text in texts.items() if f in fields and text]


def _columns(new: NewChallenge, changes: Mapping[EditedField, object]) -> dict[str, object]:
    """The challenge's columns an edit writes."""
    columns: dict[str, object] = {}
    for changed in changes:
        match changed:
            case EditedField.CATEGORY:
                columns["category"] = new.category.value
            case EditedField.SEVERITY:
                columns["severity"] = new.severity.value
            case EditedField.TITLE:
                columns["title"] = new.title
            case EditedField.DESCRIPTION:
                columns["description"] = new.description
            case EditedField.PLACE:
                columns["place"] = new.place
            case EditedField.LOCATION:
                columns["latitude"], columns["longitude"] = new.latitude, new.longitude
            case EditedField.ROUTE:
                columns["route"] = new.route
            case EditedField.OBSERVED:
                columns["observed_at"] = new.observed_at
                columns["observed_has_time"] = int(new.observed_has_time)
            case EditedField.RESTRICTED:
                columns["restricted"] = int(new.restricted)
    return columns
