"""What a period report holds: the partnership's record between two days, seen with the
requester's eyes.

A report is built with the same visibility rules as lists and digests, and one more: restricted
meetings and challenges are left out unless a coordinator or admin chose to include them (then
the whole document is marked restricted). What was left out for confidentiality is counted,
among what the requester could otherwise see, never more. Every report made is in the audit
log: who, which period, which format and language, whether restricted items were included.

`ReportService.gather` returns plain data (`ReportData`); the bot turns it into documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.challenges import Challenge, ChallengeEvent
from domain.contacts import Contact
from domain.meetings import FollowUp, Meeting
from domain.milestones import Milestone, MilestoneUpdate, Pillar, PlanInfo
from domain.models import Partnership, Role
from services.access import Caller, Capability
from services.clock import Clock
from services.errors import InvalidInput
from services.milestones import ChartData, PillarSummary, Tally, chart_data_of, local_today
from storage import audit
from storage import challenges as challenge_store
from storage import contacts as contact_store
from storage import meetings as meeting_store
from storage import members as member_store
from storage import milestones as milestone_store
from storage.challenges import Visibility
from storage.db import Database
from storage.meetings import Filters, Viewer

REPORT_ACTION = "report.export"
#: How far back a calendar file reaches.
CALENDAR_DAYS = 365
#: The longest period a report may cover.
MAX_DAYS = 3 * 366


class ReportFormat(StrEnum):
    """The files a report is written as."""

    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"


@dataclass(frozen=True, slots=True)
class Period:
    """From one day to another, both included, in the partnership's time zone."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput("period", "reversed")
        if (self.end - self.start).days > MAX_DAYS:
            raise InvalidInput("period", "too long")

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """The period as [first moment, moment after the last day), time-zone aware."""
        zone = ZoneInfo(timezone)
        first = datetime.combine(self.start, time(), zone)
        after = datetime.combine(self.end + timedelta(days=1), time(), zone)
        return first, after

    @property
    def days(self) -> int:
        """How many days it covers."""
        return (self.end - self.start).days + 1


def last_month(today: date) -> Period:
    """The whole calendar month before `today`'s."""
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def last_quarter(today: date) -> Period:
    """The whole calendar quarter before `today`'s."""
    first_month = 3 * ((today.month - 1) // 3) + 1
    end = today.replace(month=first_month, day=1) - timedelta(days=1)
    return Period(end.replace(month=3 * ((end.month - 1) // 3) + 1, day=1), end)


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """A follow-up action still open, with the meeting it came from."""

    action: FollowUp
    meeting: Meeting
    overdue: bool


@dataclass(frozen=True, slots=True)
class ChallengeRecord:
    """A challenge flagged in the period, who flagged it and its history."""

    challenge: Challenge
    reporter: str
    events: tuple[ChallengeEvent, ...]


@dataclass(frozen=True, slots=True)
class PillarRecord:
    """A pillar of the plan, how it stands, and its milestones."""

    pillar: Pillar
    tally: Tally
    milestones: tuple[Milestone, ...]


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything a period report shows, already filtered for its reader."""

    partnership: Partnership
    period: Period
    made_at: datetime
    today: date  # in the partnership's time zone
    requester: str
    #: Restricted items are included: the document is marked restricted.
    restricted: bool
    meetings: tuple[Meeting, ...]  # held in the period, oldest first, with all they hold
    open_actions: tuple[ActionRecord, ...]  # open today, overdue first
    actions_opened: int  # written at the period's meetings
    actions_done: int  # of those, done by now
    challenges: tuple[ChallengeRecord, ...]  # flagged in the period, oldest first
    plan: PlanInfo | None
    pillars: tuple[PillarRecord, ...]
    overall: Tally
    milestone_updates: tuple[tuple[Milestone, MilestoneUpdate], ...]  # made in the period
    chart: ChartData
    #: What the reader could see but the report leaves out for confidentiality.
    left_out_meetings: int
    left_out_challenges: int
    #: The directory, for coordinators and admins (the workbook's contacts sheet); else None.
    contacts: tuple[Contact, ...] | None

    @property
    def overdue_actions(self) -> int:
        """Open actions past their due day."""
        return sum(1 for record in self.open_actions if record.overdue)


@dataclass(frozen=True, slots=True)
class CalendarItems:
    """What a calendar file holds: meetings (restricted ones never), follow-up actions with
    their meetings, and the plan's milestones with a due date."""

    partnership: Partnership
    meetings: tuple[Meeting, ...]
    actions: tuple[tuple[FollowUp, Meeting], ...]
    milestones: tuple[Milestone, ...]

    @property
    def count(self) -> int:
        """How many dates it holds."""
        return len(self.meetings) + len(self.actions) + len(self.milestones)


class ReportService:
    """Gathers reports and records that they were made."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def today(self, caller: Caller) -> date:
        """Today in the caller's partnership, for choosing periods."""
        membership = caller.require(Capability.READ)
        return local_today(self._clock(), membership.partnership.timezone)

    async def since_last_report(self, caller: Caller) -> Period | None:
        """From the day after the end of the partnership's last report to today; None if
        there was none, or it ended today."""
        membership = caller.require(Capability.READ)
        last = await audit.latest(self._db, membership.partnership_id, REPORT_ACTION)
        today = self.today(caller)
        if last is None or not isinstance(last.detail.get("end"), str):
            return None
        start = date.fromisoformat(last.detail["end"]) + timedelta(days=1)
        return Period(start, today) if start <= today else None

    async def for_caller(
        self, caller: Caller, period: Period, *, include_restricted: bool = False
    ) -> ReportData:
        """The report of the caller's active partnership; `include_restricted` only for
        coordinators and admins (NotAllowed for others)."""
        membership = caller.require(Capability.READ)
        if include_restricted:
            caller.require(Capability.REPORT_RESTRICTED)
        privileged = membership.role.at_least(Role.COORDINATOR)
        return await self.gather(
            membership.partnership,
            period,
            requester=caller.identity.name,
            viewer=Viewer(membership.member_id, privileged=privileged),
            include_restricted=include_restricted,
            with_contacts=caller.can(Capability.MANAGE_CONTACTS),
        )

    async def for_operator(
        self, partnership: Partnership, period: Period, *, include_restricted: bool
    ) -> ReportData:
        """The report an operator makes on the command line: they see what admins see."""
        return await self.gather(
            partnership,
            period,
            requester="Partnerbot",
            viewer=Viewer(None, privileged=True),
            include_restricted=include_restricted,
            with_contacts=True,
        )

    async def gather(
        self,
        partnership: Partnership,
        period: Period,
        *,
        requester: str,
        viewer: Viewer,
        include_restricted: bool,
        with_contacts: bool,
    ) -> ReportData:
        """A partnership's report for a viewer (`Viewer(None, privileged=True)`: an operator
        on the command line, who sees everything)."""
        now = self._clock()
        today = local_today(now, partnership.timezone)
        start, after = period.bounds(partnership.timezone)
        db = self._db
        seen = await meeting_store.visible(
            db, partnership.id, viewer, Filters(since=start, until=after)
        )
        meetings = [m for m in seen if include_restricted or not m.restricted]
        open_actions = [
            ActionRecord(action, meeting, action.due_on is not None and action.due_on < today)
            for action, meeting in await meeting_store.open_actions(db, partnership.id, viewer)
            if include_restricted or not meeting.restricted
        ]
        open_actions.sort(key=lambda r: (not r.overdue, r.action.due_on or date.max, r.action.id))
        written = [a for m in meetings for a in m.actions]
        visibility = Visibility(
            partnership.id,
            viewer.member_id or 0,
            sees_restricted=viewer.privileged,
        )
        flagged = await challenge_store.created_between(db, visibility, start, after)
        challenges = [c for c in flagged if include_restricted or not c.restricted]
        histories = await challenge_store.events_of(db, [c.id for c in challenges])
        names = await member_store.names(db, {c.reporter_id for c in challenges if c.reporter_id})
        milestones = await milestone_store.all_of(db, partnership.id)
        by_id = {m.id: m for m in milestones}
        pillars = await milestone_store.pillars(db, partnership.id)
        records = tuple(
            PillarRecord(
                pillar,
                Tally.of([m for m in milestones if m.pillar_id == pillar.id], today),
                tuple(m for m in milestones if m.pillar_id == pillar.id),
            )
            for pillar in pillars
        )
        updates = await milestone_store.updates_between(db, partnership.id, start, after)
        return ReportData(
            partnership=partnership,
            period=period,
            made_at=now,
            today=today,
            requester=requester,
            restricted=include_restricted,
            meetings=tuple(meetings),
            open_actions=tuple(open_actions),
            actions_opened=len(written),
            actions_done=sum(1 for a in written if a.done),
            challenges=tuple(
                ChallengeRecord(
                    c, names.get(c.reporter_id or 0, ""), tuple(histories.get(c.id, ()))
                )
                for c in challenges
            ),
            plan=await milestone_store.plan_info(db, partnership.id),
            pillars=records,
            overall=Tally.of(milestones, today),
            milestone_updates=tuple(
                (by_id[u.milestone_id], u) for u in updates if u.milestone_id in by_id
            ),
            chart=chart_data_of(
                [PillarSummary(r.pillar, r.tally) for r in records],
                milestones,
                partnership.timezone,
                today,
            ),
            left_out_meetings=len(seen) - len(meetings),
            left_out_challenges=len(flagged) - len(challenges),
            contacts=tuple(await contact_store.all_of(db, partnership.id))
            if with_contacts
            else None,
        )

    async def calendar(self, caller: Caller) -> CalendarItems:
        """The caller's calendar: the active partnership's meetings they may see from a year
        ago on, restricted ones left out; their own open follow-up actions with a due date;
        the plan's open milestones with a due date."""
        membership = caller.require(Capability.READ)
        viewer = Viewer(membership.member_id, privileged=membership.role.at_least(Role.COORDINATOR))
        items = await self._calendar(membership.partnership, viewer, owner=membership.member_id)
        await self.record_export(caller, membership.partnership_id, what="calendar")
        return items

    async def partnership_calendar(self, partnership: Partnership) -> CalendarItems:
        """A partnership's calendar for an operator: every meeting not restricted, every open
        follow-up action with a due date, the open milestones."""
        return await self._calendar(partnership, Viewer(None, privileged=True), owner=None)

    async def _calendar(
        self, partnership: Partnership, viewer: Viewer, *, owner: int | None
    ) -> CalendarItems:
        since = self._clock() - timedelta(days=CALENDAR_DAYS)
        meetings = await meeting_store.visible(
            self._db, partnership.id, viewer, Filters(since=since)
        )
        actions = [
            (action, meeting)
            for action, meeting in await meeting_store.open_actions(
                self._db, partnership.id, viewer
            )
            if action.due_on is not None
            and not meeting.restricted
            and (owner is None or action.owner_id == owner)
        ]
        milestones = await milestone_store.all_of(self._db, partnership.id)
        return CalendarItems(
            partnership,
            tuple(m for m in meetings if not m.restricted),
            tuple(actions),
            tuple(m for m in milestones if m.due_on is not None and m.status.open),
        )

    async def record(
        self, data: ReportData, *, actor_id: int | None, file_format: str, language: str
    ) -> None:
        """Note in the audit log that a period report was made (also the start of the next
        report "since the last one")."""
        async with self._db.transaction() as tx:
            await audit.record(
                tx,
                action=REPORT_ACTION,
                now=self._clock(),
                partnership_id=data.partnership.id,
                actor_id=actor_id,
                format=file_format,
                language=language,
                start=data.period.start.isoformat(),
                end=data.period.end.isoformat(),
                restricted=data.restricted,
                meetings=len(data.meetings),
                challenges=len(data.challenges),
            )

    async def record_export(
        self, caller: Caller, partnership_id: int, *, what: str, **detail: object
    ) -> None:
        """Note in the audit log that another file left the bot (minutes, a calendar)."""
        async with self._db.transaction() as tx:
            await audit.record(
                tx,
                action=f"export.{what}",
                now=self._clock(),
                partnership_id=partnership_id,
                actor_id=caller.identity.user_id,
                **detail,
            )
