"""Digests: what a member (or a linked group) should know about the plan, and when.

The content is data built from a `now` passed in; the bot renders it in each reader's
language. Scheduling: every recipient follows a schedule (their own, else the
partnership's, else weekly on Monday at 08:00) in the partnership's timezone. A slot is
the moment the schedule names, computed in local time and turned into UTC, so digests follow
daylight-saving changes (a time the clocks skip happens one hour later that day; a time
that happens twice, the first time). A slot is due when it is past and later than the last
slot sent, than the joining (or linking), and than the latest change of schedule; after a
downtime only the latest missed slot is due, so a digest missed is sent once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from domain.digests import RecipientState, StoredSchedule
from domain.milestones import Milestone
from domain.models import Partnership, Role
from services.access import Caller, Capability, normalise_language
from services.clock import Clock
from services.errors import InvalidInput, NotAllowed, NotAMember, NotFound
from services.milestones import Tally, local_today
from storage import digests as store
from storage import members as member_store
from storage import milestones as milestone_store
from storage import partnerships as partnership_store
from storage.db import Database, to_db_time

#: Milestones due within this many days are announced as coming up.
DUE_SOON_DAYS = 14


class Frequency(StrEnum):
    """How often a digest comes."""

    WEEKLY = "weekly"
    DAILY = "daily"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class Schedule:
    """When digests come: weekly on `weekday` (0 = Monday), or daily, at `hour`:00 local."""

    frequency: Frequency
    weekday: int = 0
    hour: int = 8

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidInput("weekday", "0-6")
        if not 0 <= self.hour <= 23:
            raise InvalidInput("hour", "0-23")

    @property
    def period(self) -> timedelta:
        """The time between two digests (a week when off, for the on-demand look back)."""
        return timedelta(days=1) if self.frequency is Frequency.DAILY else timedelta(days=7)

    @classmethod
    def stored(cls, schedule: StoredSchedule) -> Schedule:
        """From a database row."""
        return cls(Frequency(schedule.frequency), schedule.weekday, schedule.hour)

    def to_store(self) -> StoredSchedule:
        """For a database row."""
        return StoredSchedule(self.frequency.value, self.weekday, self.hour)


DEFAULT_SCHEDULE = Schedule(Frequency.WEEKLY, weekday=0, hour=8)


def _at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """`hour`:00 on `day` in `zone`, in UTC. `fold=0`: a skipped time is read with the offset
    before the change (so it happens an hour later on the clock), a repeated one is the first."""
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def _fires_on(schedule: Schedule, day: date) -> bool:
    return schedule.frequency is Frequency.DAILY or (
        schedule.frequency is Frequency.WEEKLY and day.weekday() == schedule.weekday
    )


def latest_slot(schedule: Schedule, timezone: str, now: datetime) -> datetime | None:
    """The latest moment at or before `now` the schedule names (UTC); None when off."""
    if schedule.frequency is Frequency.OFF:
        return None
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    for back in range(9):
        day = today - timedelta(days=back)
        if _fires_on(schedule, day) and (moment := _at(day, schedule.hour, zone)) <= now:
            return moment
    return None


def next_slot(schedule: Schedule, timezone: str, now: datetime) -> datetime | None:
    """The first moment after `now` the schedule names (UTC); None when off."""
    if schedule.frequency is Frequency.OFF:
        return None
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    for ahead in range(9):
        day = today + timedelta(days=ahead)
        if _fires_on(schedule, day) and (moment := _at(day, schedule.hour, zone)) > now:
            return moment
    return None


@dataclass(frozen=True, slots=True)
class Activity:
    """What other features report for a digest's period. None: the feature reports nothing
    (it does not exist yet, or the reader may not see it)."""

    meetings: int | None = None
    #: New challenges per severity (low, medium, high, critical).
    challenges: dict[str, int] | None = None
    #: The reader's own follow-up actions: open ones, and those of them past due.
    actions_open: int | None = None
    actions_overdue: int | None = None

    def merged(self, other: Activity) -> Activity:
        """This activity completed with what `other` reports."""
        return Activity(
            meetings=self.meetings if self.meetings is not None else other.meetings,
            challenges=self.challenges if self.challenges is not None else other.challenges,
            actions_open=self.actions_open if self.actions_open is not None else other.actions_open,
            actions_overdue=(
                self.actions_overdue if self.actions_overdue is not None else other.actions_overdue
            ),
        )


#: One reader of a digest: a member (None: a linked group) and the moment it covers from.
Reader = tuple[int | None, datetime]


class ActivitySource(Protocol):
    """Extension point: a feature (meetings, challenges) adding its counts to digests.

    It counts for many readers of one partnership at once, in a few queries whatever their
    number, and must count only what each reader may see (None: a linked group, which sees
    only what every member of the partnership may see) and report nothing personal for
    groups.
    """

    async def digest_activities(
        self,
        partnership_id: int,
        readers: Sequence[Reader],
        until: datetime,
        today: date,
    ) -> list[Activity]: ...


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest: for a member (`personal`) or for a linked group."""

    partnership: Partnership
    now: datetime
    today: date
    since: datetime
    personal: bool
    overall: Tally
    overdue: list[Milestone]
    due_soon: list[Milestone]
    completed: list[Milestone]
    activity: Activity = field(default_factory=Activity)

    @property
    def empty(self) -> bool:
        """Nothing to report about milestones."""
        return not (self.overdue or self.due_soon or self.completed)


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """A recipient's schedule as it applies, and where it comes from."""

    partnership: Partnership
    schedule: Schedule
    own: bool  # False: the partnership's schedule (or, for a group, none chosen yet)
    next_at: datetime | None
    group: bool


@dataclass(frozen=True, slots=True)
class DueDigest:
    """A scheduled digest to send now."""

    partnership: Partnership
    chat_id: int
    member_id: int | None
    language: str
    slot: datetime
    since: datetime
    unreachable: bool = False

    @property
    def key(self) -> str:
        """The outbox idempotency key: one digest per chat, partnership and slot, ever."""
        return f"digest:{self.chat_id}:{self.partnership.id}:{self.slot:%Y-%m-%dT%H:%MZ}"


class DigestBuilder:
    """Builds digests at one `now`, reading each partnership's plan once (for many readers)."""

    def __init__(self, db: Database, sources: Sequence[ActivitySource], now: datetime) -> None:
        self._db = db
        self._sources = sources
        self.now = now
        self._plans: dict[int, tuple[date, Tally, list[Milestone]]] = {}

    async def _plan(self, partnership: Partnership) -> tuple[date, Tally, list[Milestone]]:
        cached = self._plans.get(partnership.id)
        if cached is None:
            today = local_today(self.now, partnership.timezone)
            horizon = today + timedelta(days=DUE_SOON_DAYS)
            every = await milestone_store.all_of(self._db, partnership.id)
            due = await milestone_store.open_due_before(self._db, partnership.id, horizon)
            cached = (today, Tally.of(every, today), due)
            self._plans[partnership.id] = cached
        return cached

    async def build(
        self, partnership: Partnership, *, member_id: int | None, since: datetime
    ) -> Digest:
        """The digest of `partnership` for a member (None: a linked group) since `since`."""
        (digest,) = await self.build_many(partnership, [(member_id, since)])
        return digest

    async def build_many(self, partnership: Partnership, readers: Sequence[Reader]) -> list[Digest]:
        """The digests of `partnership` for many readers, in order, with what is shared read
        once and each source asked once for all of them."""
        if not readers:
            return []
        today, overall, due = await self._plan(partnership)
        overdue = [m for m in due if m.overdue(today)]
        due_soon = [m for m in due if not m.overdue(today)]
        # Milestones completed since the earliest reader's `since`, then each reader's share,
        # compared as the stored texts are (to the second), as `completed_since` compares.
        earliest = min(since for _, since in readers)
        completed = [
            (to_db_time(m.completed_at), m)
            for m in await milestone_store.completed_since(self._db, partnership.id, earliest)
            if m.completed_at is not None
        ]
        activities = [Activity() for _ in readers]
        for source in self._sources:
            found = await source.digest_activities(partnership.id, readers, self.now, today)
            activities = [a.merged(f) for a, f in zip(activities, found, strict=True)]
        digests = []
        for (viewer, since), activity in zip(readers, activities, strict=True):
            after = to_db_time(since)
            digests.append(
                Digest(
                    partnership=partnership,
                    now=self.now,
                    today=today,
                    since=since,
                    personal=viewer is not None,
                    overall=overall,
                    overdue=list(overdue),
                    due_soon=list(due_soon),
                    completed=[m for stamp, m in completed if stamp > after],
                    activity=activity,
                )
            )
        return digests


class DigestService:
    """Digests on demand, digest settings, and the scheduled digests due."""

    def __init__(self, db: Database, clock: Clock, sources: Sequence[ActivitySource] = ()) -> None:
        self._db = db
        self._clock = clock
        self.sources = list(sources)

    def builder(self, now: datetime) -> DigestBuilder:
        """A builder for many digests at the same `now`."""
        return DigestBuilder(self._db, self.sources, now)

    # -- on demand -----------------------------------------------------------------------------

    async def for_caller(self, caller: Caller) -> Digest:
        """The caller's digest of their active partnership now; counts as their last digest."""
        membership = caller.require(Capability.READ)
        now = self._clock()
        state = await store.member_state(self._db, membership.partnership_id, membership.member_id)
        since = _since(state, await self._schedule_of(state, membership.partnership), now)
        digest = await self.builder(now).build(
            membership.partnership, member_id=membership.member_id, since=since
        )
        async with self._db.transaction() as tx:
            await store.mark_digest(tx, membership.partnership_id, membership.member_id, now=now)
        return digest

    async def for_group(self, caller: Caller, chat_id: int) -> Digest:
        """The digest of the partnership a group is linked to, for the group, now."""
        partnership, _ = await self._group(caller, chat_id, Capability.READ)
        now = self._clock()
        state = await store.group_state(self._db, chat_id)
        since = _since(state, await self._schedule_of(state, partnership), now)
        digest = await self.builder(now).build(partnership, member_id=None, since=since)
        async with self._db.transaction() as tx:
            await store.mark_digest(tx, partnership.id, chat_id, now=now)
        return digest

    # -- settings ------------------------------------------------------------------------------

    async def settings(self, caller: Caller, group_chat: int | None = None) -> DigestSettings:
        """The caller's digest schedule, or (with `group_chat`) a linked group's."""
        now = self._clock()
        if group_chat is not None:
            partnership, _ = await self._group(caller, group_chat, Capability.LINK_GROUP)
            state = await store.group_state(self._db, group_chat)
            own = state.own if state else None
            schedule = Schedule.stored(own) if own else Schedule(Frequency.OFF)
            next_at = next_slot(schedule, partnership.timezone, now)
            return DigestSettings(partnership, schedule, own is not None, next_at, group=True)
        membership = caller.require(Capability.READ)
        partnership = membership.partnership
        state = await store.member_state(self._db, partnership.id, membership.member_id)
        schedule = await self._schedule_of(state, partnership)
        next_at = next_slot(schedule, partnership.timezone, now)
        chosen = state is not None and state.own is not None
        return DigestSettings(partnership, schedule, chosen, next_at, group=False)

    async def choose(
        self,
        caller: Caller,
        *,
        group_chat: int | None = None,
        frequency: Frequency | None = None,
        weekday: int | None = None,
        hour: int | None = None,
        follow_partnership: bool = False,
    ) -> DigestSettings:
        """Change one part of the schedule (the rest stays), or follow the partnership's."""
        current = await self.settings(caller, group_chat)
        if follow_partnership and group_chat is None:
            chosen: Schedule | None = None
        else:
            base = current.schedule
            if group_chat is not None and not current.own:
                base = await self._partnership_schedule(current.partnership)
            chosen = Schedule(
                frequency or base.frequency,
                base.weekday if weekday is None else weekday,
                base.hour if hour is None else hour,
            )
            if frequency is None and base.frequency is Frequency.OFF:
                # Picking a day or an hour while off means wanting digests again.
                chosen = replace(chosen, frequency=Frequency.WEEKLY)
        chat_id = group_chat if group_chat is not None else caller.identity.user_id
        async with self._db.transaction() as tx:
            await store.choose(
                tx,
                current.partnership.id,
                chat_id,
                chosen.to_store() if chosen else None,
                self._clock(),
            )
        return await self.settings(caller, group_chat)

    async def partnership_schedule(self, partnership: Partnership) -> Schedule:
        """The partnership's default schedule (command line)."""
        return await self._partnership_schedule(partnership)

    async def set_partnership_schedule(self, partnership: Partnership, schedule: Schedule) -> None:
        """Change the partnership's default schedule (command line)."""
        async with self._db.transaction() as tx:
            await store.set_partnership_schedule(
                tx, partnership.id, schedule.to_store(), self._clock()
            )

    async def _partnership_schedule(self, partnership: Partnership) -> Schedule:
        own = await store.partnership_schedule(self._db, partnership.id)
        return Schedule.stored(own.schedule) if own else DEFAULT_SCHEDULE

    async def _schedule_of(
        self, state: RecipientState | None, partnership: Partnership
    ) -> Schedule:
        if state is not None and state.own is not None:
            return Schedule.stored(state.own)
        if state is not None and state.member_id is None:
            return Schedule(Frequency.OFF)  # groups get digests only once an admin chose
        return await self._partnership_schedule(partnership)

    async def _group(
        self, caller: Caller, chat_id: int, capability: Capability
    ) -> tuple[Partnership, Role]:
        """The partnership a group is linked to, if the caller belongs to it with the role."""
        link = await partnership_store.group_link(self._db, chat_id)
        if link is None:
            raise NotFound("group link")
        membership = await member_store.membership(
            self._db, caller.identity.user_id, link.partnership_id
        )
        if membership is None:
            raise NotAMember()
        if not membership.role.at_least(capability.least_role):
            raise NotAllowed(capability.least_role)
        return membership.partnership, membership.role

    # -- scheduled -----------------------------------------------------------------------------

    async def due(self, now: datetime) -> list[DueDigest]:
        """Every scheduled digest due at `now`: at most one per recipient, for the latest slot."""
        partnerships = {p.id: p for p in await partnership_store.list_all(self._db)}
        own = await store.partnership_schedules(self._db)
        found: list[DueDigest] = []
        # Most recipients share their partnership's schedule and timezone: each slot once.
        slots: dict[tuple[Schedule, str], datetime | None] = {}
        for state in await store.every_recipient(self._db):
            partnership = partnerships[state.partnership_id]
            default = own.get(partnership.id)
            if state.own is not None:
                schedule, changed = Schedule.stored(state.own), state.chosen_at
            elif state.member_id is None:
                continue  # a group without a chosen schedule
            else:
                schedule = Schedule.stored(default.schedule) if default else DEFAULT_SCHEDULE
                # Back to the partnership's schedule: the latest of both changes counts.
                changed = max(
                    (t for t in (state.chosen_at, default.changed_at if default else None) if t),
                    default=None,
                )
            where = (schedule, partnership.timezone)
            if where not in slots:
                slots[where] = latest_slot(schedule, partnership.timezone, now)
            slot = slots[where]
            if slot is None:
                continue
            floor = max(t for t in (state.last_slot, state.since, changed) if t is not None)
            if slot <= floor:
                continue
            found.append(
                DueDigest(
                    partnership=partnership,
                    chat_id=state.chat_id,
                    member_id=state.member_id,
                    language=_language(state, partnership),
                    slot=slot,
                    since=_since(state, schedule, now),
                    unreachable=state.unreachable,
                )
            )
        return found

    async def mark_sent(self, due: DueDigest, now: datetime) -> None:
        """Record that the slot was handled (queued, or skipped for an unreachable member)."""
        await self.mark_sent_many([due], now)

    async def mark_sent_many(self, dues: Sequence[DueDigest], now: datetime) -> None:
        """`mark_sent` for many slots, in one transaction."""
        if not dues:
            return
        # For someone who blocked the bot the slot passes, but their last digest stays as it
        # was: the next one they can read covers what they missed.
        async with self._db.transaction() as tx:
            await store.mark_digests(
                tx,
                [
                    (
                        due.partnership.id,
                        due.chat_id,
                        due.since if due.unreachable else now,
                        due.slot,
                    )
                    for due in dues
                ],
            )


def _since(state: RecipientState | None, schedule: Schedule, now: datetime) -> datetime:
    """What a digest covers: since the recipient's last digest, else one period back."""
    if state is not None and state.last_digest_at is not None:
        return state.last_digest_at
    return now - schedule.period


def _language(state: RecipientState, partnership: Partnership) -> str:
    """A member's language, else their Telegram language, else the partnership's."""
    if state.member_id is None:
        return partnership.language
    return state.language or normalise_language(state.telegram_language) or partnership.language
