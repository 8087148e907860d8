"""The action plan of a partnership: importing and exporting it, the overview, updates.

Import rules (README, "Milestones and digests"): the file replaces the plan. A milestone
whose code is already in the plan keeps its id and so its update history; its fields come
from the file, and a status or progress that differs from the stored one is recorded in
its history as a change made by the import. A milestone without `status` in the file keeps
its stored status and progress. Milestones whose codes are no longer in the file are
removed with their history; the import reports them. Everything happens in one transaction:
a refused or failed import changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.milestones import (
    Milestone,
    MilestoneStatus,
    MilestoneUpdate,
    NewMilestone,
    Pillar,
    PlanInfo,
)
from domain.models import Partnership, Role, same_value
from services.access import Caller, Capability
from services.clock import Clock
from services.errors import InvalidInput, NotAllowed, NotFound
from services.plan_file import MilestoneEntry, PillarEntry, PlanFile, dump_plan
from services.text import one_line
from storage import audit
from storage import members as member_store
from storage import milestones as store
from storage.db import Database, Transaction

#: How far ahead the overview looks for upcoming milestones.
UPCOMING_DAYS = 30
MAX_NOTE = 500
HISTORY_SHOWN = 10
IMPORT_AUTHOR = "plan import"


def local_today(now: datetime, timezone: str) -> date:
    """The day it is in the partnership's timezone."""
    return now.astimezone(ZoneInfo(timezone)).date()


@dataclass(frozen=True, slots=True)
class Tally:
    """How the milestones of a pillar (or of the whole plan) stand."""

    done: int = 0
    in_progress: int = 0
    planned: int = 0
    cancelled: int = 0
    overdue: int = 0
    #: Mean progress of the milestones that count (all but cancelled ones), 0-100.
    progress: int = 0

    @property
    def total(self) -> int:
        """Milestones that count towards progress."""
        return self.done + self.in_progress + self.planned

    @classmethod
    def of(cls, milestones: list[Milestone], today: date) -> Tally:
        """Count `milestones` as they stand on `today`."""
        statuses = Counter(m.status for m in milestones)
        counted = [m.progress for m in milestones if m.status is not MilestoneStatus.CANCELLED]
        return cls(
            done=statuses[MilestoneStatus.DONE],
            in_progress=statuses[MilestoneStatus.IN_PROGRESS],
            planned=statuses[MilestoneStatus.PLANNED],
            cancelled=statuses[MilestoneStatus.CANCELLED],
            overdue=sum(1 for m in milestones if m.overdue(today)),
            progress=round(sum(counted) / len(counted)) if counted else 0,
        )


@dataclass(frozen=True, slots=True)
class PillarSummary:
    """A pillar with its tally."""

    pillar: Pillar
    tally: Tally


@dataclass(frozen=True, slots=True)
class Overview:
    """The plan at a glance, on the partnership's `today`."""

    plan: PlanInfo | None
    today: date
    pillars: list[PillarSummary]
    overall: Tally
    overdue: list[Milestone]
    upcoming: list[Milestone]


@dataclass(frozen=True, slots=True)
class PillarView:
    """One pillar and its milestones."""

    pillar: Pillar
    tally: Tally
    milestones: list[Milestone]
    today: date


@dataclass(frozen=True, slots=True)
class MilestoneView:
    """One milestone, its pillar, its latest updates and whether the caller may update it."""

    milestone: Milestone
    pillar: Pillar
    history: list[MilestoneUpdate]
    today: date
    may_update: bool


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did."""

    pillars: int
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    #: Milestones the file repeats as they were.
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: History entries that went with the removed milestones.
    removed_updates: int = 0
    #: @usernames of assignees no member of the partnership has: kept as text, granting nothing.
    unresolved: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ChartData:
    """What a progress chart shows: pillars with their tallies, and each milestone's
    due day and day of completion (for planned versus done over time)."""

    pillars: list[PillarSummary]
    due: list[date]
    done: list[date]
    today: date


def chart_data_of(
    pillars: list[PillarSummary], milestones: list[Milestone], timezone: str, today: date
) -> ChartData:
    """What a progress chart shows of these milestones (cancelled ones do not count); a
    milestone done without a recorded day counts as done on its due day."""
    zone = ZoneInfo(timezone)
    counted = [m for m in milestones if m.status is not MilestoneStatus.CANCELLED]
    done = [
        m.completed_at.astimezone(zone).date() if m.completed_at else m.due_on
        for m in counted
        if m.status is MilestoneStatus.DONE
    ]
    return ChartData(
        pillars=pillars,
        due=sorted(m.due_on for m in counted if m.due_on is not None),
        done=sorted(d for d in done if d is not None),
        today=today,
    )


def check_progress(text: str) -> int:
    """A typed percentage: `40`, `40 %`, `40%`; InvalidInput unless 0-100."""
    cleaned = text.strip().removesuffix("%").strip().translate(_ARABIC_DIGITS)
    if not cleaned.isdigit() or not 0 <= int(cleaned) <= 100:
        raise InvalidInput("progress", "0-100")
    return int(cleaned)


_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def check_note(text: str) -> str:
    """A note of an update: spaces tidied, at most MAX_NOTE characters."""
    note = one_line(text)
    if len(note) > MAX_NOTE:
        raise InvalidInput("milestone_note", str(len(note)))
    return note


def _completion(entry: MilestoneEntry, status: MilestoneStatus, now: datetime) -> datetime | None:
    """When an imported done milestone was reached: its due day (not later than now)."""
    if status is not MilestoneStatus.DONE or entry.due is None:
        return None
    return min(datetime.combine(entry.due, time(12), tzinfo=UTC), now)


async def store_plan(
    tx: Transaction, partnership_id: int, plan: PlanFile, *, source: str, now: datetime
) -> ImportReport:
    """Write `plan` as the partnership's plan inside the caller's transaction."""
    existing = {m.code.casefold(): m for m in await store.all_of(tx, partnership_id)}
    await store.put_plan(
        tx, partnership_id, titles=plan.title, reference=plan.reference, source=source, now=now
    )
    report = ImportReport(pillars=len(plan.pillars))
    kept_pillars: list[int] = []
    resolve = _AssigneeResolver(tx, partnership_id)
    for position, pillar in enumerate(plan.pillars):
        pillar_id = await store.upsert_pillar(
            tx, partnership_id, code=pillar.code, position=position, titles=pillar.title
        )
        kept_pillars.append(pillar_id)
        for index, entry in enumerate(pillar.milestones):
            old = existing.pop(entry.code.casefold(), None)
            assignees = await resolve(entry.assignees)
            await _store_milestone(
                tx, partnership_id, pillar_id, index, entry, assignees, old, now, source
            )
            if old is None:
                report.added.append(entry.code)
            elif _as_kept(old) != _as_kept(await store.get(tx, partnership_id, old.id)):
                report.updated.append(entry.code)
            else:
                report.unchanged.append(entry.code)
    gone = list(existing.values())
    removed_updates = await store.count_updates(tx, [m.id for m in gone])
    await store.delete_milestones(tx, [m.id for m in gone])
    await store.delete_pillars_except(tx, partnership_id, kept_pillars)
    return ImportReport(
        pillars=report.pillars,
        added=report.added,
        updated=report.updated,
        unchanged=report.unchanged,
        removed=sorted(m.code for m in gone),
        removed_updates=removed_updates,
        unresolved=sorted(resolve.unresolved, key=str.casefold),
    )


def _as_kept(milestone: Milestone | None) -> tuple[object, ...] | None:
    """What an import may change of a milestone (its times aside)."""
    if milestone is None:
        return None
    return (
        milestone.pillar_id,
        milestone.code,
        milestone.position,
        milestone.title,
        milestone.description,
        milestone.owner,
        milestone.assignees,
        milestone.due_on,
        milestone.date_inferred,
        milestone.status,
        milestone.progress,
    )


class _AssigneeResolver:
    """Turns `@username` assignees into the user id of the one member of the partnership
    who has that username now, at assignment: rights then follow the person, not a name
    someone else may take later. A name nobody (or more than one member, as last seen)
    has stays text, which grants nothing."""

    def __init__(self, tx: Transaction, partnership_id: int) -> None:
        self._tx = tx
        self._partnership_id = partnership_id
        self.unresolved: set[str] = set()

    async def __call__(self, assignees: list[int | str]) -> tuple[int | str, ...]:
        resolved: list[int | str] = []
        for assignee in assignees:
            if isinstance(assignee, str):
                holders = await member_store.holders_of_username(
                    self._tx, self._partnership_id, assignee
                )
                if len(holders) == 1:
                    assignee = holders[0]
                else:
                    self.unresolved.add(assignee)
            if assignee not in resolved:
                resolved.append(assignee)
        return tuple(resolved)


async def _store_milestone(
    tx: Transaction,
    partnership_id: int,
    pillar_id: int,
    position: int,
    entry: MilestoneEntry,
    assignees: tuple[int | str, ...],
    old: Milestone | None,
    now: datetime,
    source: str,
) -> None:
    if entry.status is None and old is not None:
        status, progress, completed = old.status, old.progress, old.completed_at
    else:
        status = entry.status or MilestoneStatus.PLANNED
        if entry.progress is not None:
            progress = entry.progress
        else:
            progress = 100 if status is MilestoneStatus.DONE else (old.progress if old else 0)
        if old is not None and old.status is status:
            completed = old.completed_at
        elif old is not None and status is MilestoneStatus.DONE:
            completed = now  # it became done with this import
        else:
            completed = _completion(entry, status, now)
    new = NewMilestone(
        code=entry.code,
        position=position,
        title=entry.title,
        description=entry.description,
        owner=entry.owner,
        assignees=assignees,
        due_on=entry.due,
        date_inferred=entry.date_inferred,
        status=status,
        progress=progress,
        completed_at=completed,
    )
    if old is None:
        await store.insert_milestone(tx, partnership_id, pillar_id, new, now)
        return
    await store.rewrite_milestone(tx, old.id, pillar_id, new, now)
    if (old.status, old.progress) != (status, progress):
        # The history explains why the milestone changed: the import did it.
        await store.add_update(
            tx,
            old.id,
            author_id=None,
            author_name=IMPORT_AUTHOR,
            status=status,
            progress=progress,
            note=source,
            now=now,
        )


def _usual_progress(milestone: Milestone) -> bool:
    """Progress a file may leave out: 100 when done, 0 when planned."""
    return (milestone.status, milestone.progress) in (
        (MilestoneStatus.DONE, 100),
        (MilestoneStatus.PLANNED, 0),
    )


class MilestoneService:
    """The partnership's action plan, for members (bot) and admins (command line)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # -- plans, from the command line ----------------------------------------------------------

    async def import_plan(
        self, partnership: Partnership, plan: PlanFile, *, source: str
    ) -> ImportReport:
        """Replace the partnership's plan with `plan`, in one transaction."""
        now = self._clock()
        async with self._db.transaction() as tx:
            report = await store_plan(tx, partnership.id, plan, source=source, now=now)
            await audit.record(
                tx,
                action="plan.import",
                now=now,
                partnership_id=partnership.id,
                source=source,
                added=len(report.added),
                updated=len(report.updated),
                removed=report.removed,
            )
        return report

    async def export_plan(self, partnership: Partnership) -> tuple[str, int]:
        """The partnership's plan as YAML, and how many milestones it has."""
        info = await store.plan_info(self._db, partnership.id)
        if info is None:
            raise NotFound(f"{partnership.slug} has no action plan")
        milestones = await store.all_of(self._db, partnership.id)
        pillars = [
            PillarEntry(
                code=pillar.code,
                title=pillar.titles,
                milestones=[
                    MilestoneEntry(
                        code=m.code,
                        title=m.title,
                        due=m.due_on,
                        date_inferred=m.date_inferred,
                        owner=m.owner,
                        assignees=list(m.assignees),
                        status=m.status,
                        progress=None if _usual_progress(m) else m.progress,
                        description=m.description,
                    )
                    for m in milestones
                    if m.pillar_id == pillar.id
                ],
            )
            for pillar in await store.pillars(self._db, partnership.id)
        ]
        plan = PlanFile(title=info.titles, reference=info.reference, pillars=pillars)
        return dump_plan(plan, name=partnership.name, slug=partnership.slug), len(milestones)

    # -- reading -------------------------------------------------------------------------------

    async def overview(self, caller: Caller) -> Overview:
        """Per pillar tallies, the overall tally, overdue and upcoming milestones."""
        membership = caller.require(Capability.READ)
        partnership = membership.partnership
        today = local_today(self._clock(), partnership.timezone)
        milestones = await store.all_of(self._db, partnership.id)
        pillars = await store.pillars(self._db, partnership.id)
        horizon = today + timedelta(days=UPCOMING_DAYS)
        open_dated = [m for m in milestones if m.status.open and m.due_on is not None]
        return Overview(
            plan=await store.plan_info(self._db, partnership.id),
            today=today,
            pillars=[
                PillarSummary(p, Tally.of([m for m in milestones if m.pillar_id == p.id], today))
                for p in pillars
            ],
            overall=Tally.of(milestones, today),
            overdue=sorted(
                (m for m in open_dated if m.overdue(today)), key=lambda m: (m.due_on, m.code)
            ),
            upcoming=sorted(
                (m for m in open_dated if today <= m.due_on <= horizon),  # type: ignore[operator]
                key=lambda m: (m.due_on, m.code),
            ),
        )

    async def pillar(self, caller: Caller, pillar_id: int) -> PillarView:
        """One pillar of the caller's partnership with its milestones."""
        membership = caller.require(Capability.READ)
        found = await store.pillar(self._db, membership.partnership_id, pillar_id)
        if found is None:
            raise NotFound("pillar")
        milestones = await store.of_pillar(self._db, found.id)
        today = local_today(self._clock(), membership.partnership.timezone)
        return PillarView(found, Tally.of(milestones, today), milestones, today)

    async def milestone(self, caller: Caller, milestone_id: int) -> MilestoneView:
        """One milestone of the caller's partnership, with its latest updates."""
        membership = caller.require(Capability.READ)
        found = await store.get(self._db, membership.partnership_id, milestone_id)
        if found is None:
            raise NotFound("milestone")
        return await self._view(caller, found)

    async def by_code(self, caller: Caller, code: str) -> MilestoneView:
        """A milestone by the code people type (`/milestone M07`)."""
        membership = caller.require(Capability.READ)
        found = await store.by_code(self._db, membership.partnership_id, one_line(code))
        if found is None:
            raise NotFound("milestone")
        return await self._view(caller, found)

    async def _view(self, caller: Caller, milestone: Milestone) -> MilestoneView:
        membership = caller.require_membership()
        pillar = await store.pillar(self._db, membership.partnership_id, milestone.pillar_id)
        assert pillar is not None
        return MilestoneView(
            milestone=milestone,
            pillar=pillar,
            history=await store.history(self._db, milestone.id, HISTORY_SHOWN),
            today=local_today(self._clock(), membership.partnership.timezone),
            may_update=self.may_update(caller, milestone),
        )

    def may_update(self, caller: Caller, milestone: Milestone) -> bool:
        """Coordinators and admins may update any milestone; members the ones they own:
        listed among its assignees by user id, or working for its owner organisation as a
        coordinator or admin confirmed it (or their invite carried it).

        Neither the organisation a member typed in /profile nor a Telegram username grants
        anything: an `@name` assignee that was not resolved to a member at import is text."""
        membership = caller.membership
        if membership is None or membership.partnership_id != milestone.partnership_id:
            return False
        if caller.can(Capability.UPDATE_MILESTONES):
            return True
        if not membership.role.at_least(Role.MEMBER):
            return False
        if any(
            isinstance(assignee, int) and assignee == caller.identity.user_id
            for assignee in milestone.assignees
        ):
            return True
        organisation = membership.confirmed_organisation
        return bool(organisation) and same_value(organisation, milestone.owner)

    async def chart_data(self, caller: Caller) -> ChartData:
        """Tallies per pillar and the dates behind planned versus done over time."""
        overview = await self.overview(caller)
        membership = caller.require_membership()
        milestones = await store.all_of(self._db, membership.partnership_id)
        return chart_data_of(
            overview.pillars, milestones, membership.partnership.timezone, overview.today
        )

    # -- updating ------------------------------------------------------------------------------

    async def update(
        self,
        caller: Caller,
        milestone_id: int,
        *,
        status: MilestoneStatus,
        progress: int | None,
        note: str,
    ) -> MilestoneView:
        """Record a new status, progress (kept when None) and note, with author and time."""
        membership = caller.require(Capability.READ)
        found = await store.get(self._db, membership.partnership_id, milestone_id)
        if found is None:
            raise NotFound("milestone")
        if not self.may_update(caller, found):
            raise NotAllowed(Role.COORDINATOR)
        if status is MilestoneStatus.DONE:
            progress = 100
        elif progress is None:
            progress = found.progress
        if not 0 <= progress <= 100:
            raise InvalidInput("progress", "0-100")
        note = check_note(note)
        now = self._clock()
        if status is MilestoneStatus.DONE:
            completed = found.completed_at if found.status is MilestoneStatus.DONE else now
        else:
            completed = None
        async with self._db.transaction() as tx:
            await store.set_state(
                tx, found.id, status=status, progress=progress, completed_at=completed, now=now
            )
            await store.add_update(
                tx,
                found.id,
                author_id=caller.identity.user_id,
                author_name=caller.identity.name,
                status=status,
                progress=progress,
                note=note,
                now=now,
            )
            await audit.record(
                tx,
                action="milestone.update",
                now=now,
                partnership_id=membership.partnership_id,
                actor_id=caller.identity.user_id,
                milestone=found.code,
                status=status.value,
                progress=progress,
            )
        return await self.milestone(caller, found.id)
