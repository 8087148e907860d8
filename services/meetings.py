"""The meeting log: saving meetings, who may see, edit and delete them, lists and search,
follow-up actions and their reminders.

Visibility: a partnership-wide meeting is seen by every member of its partnership; a
restricted one only by coordinators and admins, its author, and the members named in it (as
participants or as owners of a follow-up action). Lists, search, detail, actions and
`visible_meetings` (for digests and exports) all apply that rule in the store's queries.
Every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.meetings import FollowUp, Meeting, MeetingKind, MeetingValues
from domain.models import MemberInPartnership, Membership, Partnership, Role
from services.access import Caller, Capability, language_of
from services.clock import Clock
from services.errors import InvalidInput, NotAllowed, NotAMember, NotFound
from services.meeting_fields import ActionDraft, MeetingDraft, local_today
from services.text import one_line, prefix_match
from storage import audit
from storage import meetings as store
from storage import members as member_store
from storage import partnerships as partnership_store
from storage.db import Database
from storage.meetings import Filters, Viewer

PAGE_SIZE = 6
ACTIONS_PAGE_SIZE = 8
MAX_QUERY = 100
#: Members offered by name for matching; a partnership larger than this still works, by
#: @username and full names of the first ones.
MAX_PEOPLE = 1000
#: Reminders go out from this hour (partnership time) on the day before the due date.
REMINDER_HOUR = 9


@dataclass(frozen=True, slots=True)
class MeetingQuery:
    """What a person narrowed the list to: words, a kind, days (partnership calendar)."""

    text: str = ""
    kind: MeetingKind | None = None
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        # The words are searched, remembered for the list's buttons and shown back.
        object.__setattr__(self, "text", one_line(self.text))

    @property
    def narrowed(self) -> bool:
        """True if any filter is set."""
        return bool(self.text or self.kind or self.since or self.until)


@dataclass(frozen=True, slots=True)
class MeetingPage:
    """One page of the meeting list."""

    meetings: list[Meeting]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class ActionItem:
    """An open follow-up action as its list shows it."""

    action: FollowUp
    meeting: Meeting
    mine: bool
    overdue: bool
    may_close: bool


@dataclass(frozen=True, slots=True)
class ActionPage:
    """One page of open follow-up actions."""

    items: list[ActionItem]
    page: int
    pages: int
    total: int
    mine: int
    overdue: int


@dataclass(frozen=True, slots=True)
class Reminder:
    """A follow-up action whose owner is reminded the day before it is due."""

    action: FollowUp
    meeting: Meeting
    partnership: Partnership
    owner_id: int
    language: str


def viewer_of(caller: Caller) -> Viewer:
    """The viewer a caller is in their active partnership."""
    membership = caller.require(Capability.READ)
    return Viewer(
        caller.identity.user_id, membership.role.at_least(Capability.MANAGE_MEETINGS.least_role)
    )


def draft_of(meeting: Meeting) -> MeetingDraft:
    """A stored meeting as a draft, to edit it (or to show it as the review shows drafts)."""
    return MeetingDraft(
        held_at=meeting.held_at,
        title=meeting.title,
        kind=meeting.kind,
        participants=meeting.participants,
        location=meeting.location,
        summary=meeting.summary,
        decisions=meeting.decisions,
        actions=tuple(
            ActionDraft(a.what, a.owner_id, a.owner_name, a.due_on, a.id, a.done)
            for a in meeting.actions
        ),
        restricted=meeting.restricted,
        attachments=meeting.attachments,
    )


def day_bounds(
    since: date | None, until: date | None, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """UTC bounds from the start of `since` to the end of `until` in a timezone."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(since, time(0), tzinfo=zone) if since else None
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=zone) if until else None
    return start, end


class MeetingService:
    """Meetings of the partnerships the caller belongs to."""

    def __init__(self, db: Database, clock: Clock, default_language: str) -> None:
        self._db = db
        self._clock = clock
        self._default_language = default_language

    # -- writing ------------------------------------------------------------------------------

    async def author_membership(self, caller: Caller, partnership_id: int | None) -> Membership:
        """The caller's membership of the partnership a new meeting goes to (their active
        one when None), if their role there may log meetings."""
        if partnership_id is None:
            return caller.require(Capability.LOG_MEETINGS)
        membership = await member_store.membership(
            self._db, caller.identity.user_id, partnership_id
        )
        if membership is None:
            raise NotAMember()
        if not membership.role.at_least(Capability.LOG_MEETINGS.least_role):
            raise NotAllowed(Capability.LOG_MEETINGS.least_role)
        return membership

    async def people(self, partnership_id: int) -> list[MemberInPartnership]:
        """Members of a partnership, for recognising names typed in a meeting."""
        return await member_store.list_members(self._db, partnership_id, limit=MAX_PEOPLE)

    async def save(
        self,
        caller: Caller,
        partnership_id: int,
        draft: MeetingDraft,
        meeting_id: int | None = None,
    ) -> Meeting:
        """Store a new meeting (`meeting_id` None) or the edit of one."""
        values = draft.values()
        now = self._clock()
        member_ids = {m.member_id for m in await self.people(partnership_id)}
        # Names matched when typed may have left since: keep the name, drop the link.
        values = _only_members(values, member_ids)
        if meeting_id is None:
            membership = await self.author_membership(caller, partnership_id)
            async with self._db.transaction() as tx:
                meeting_id = await store.insert(
                    tx, membership.partnership_id, values, caller.identity.user_id, now
                )
                await audit.record(
                    tx,
                    action="meeting.create",
                    now=now,
                    partnership_id=membership.partnership_id,
                    actor_id=caller.identity.user_id,
                    meeting_id=meeting_id,
                    restricted=values.restricted,
                )
        else:
            existing = await self._editable(caller, meeting_id)
            async with self._db.transaction() as tx:
                await store.update(tx, meeting_id, values, caller.identity.user_id, now)
                await audit.record(
                    tx,
                    action="meeting.update",
                    now=now,
                    partnership_id=existing.partnership_id,
                    actor_id=caller.identity.user_id,
                    meeting_id=meeting_id,
                    restricted=values.restricted,
                )
        saved = await store.get(self._db, meeting_id)
        assert saved is not None
        return saved

    async def delete(self, caller: Caller, meeting_id: int) -> Meeting:
        """Hide a meeting for good (the row stays, for the audit log)."""
        meeting = await self._editable(caller, meeting_id)
        now = self._clock()
        async with self._db.transaction() as tx:
            if not await store.soft_delete(tx, meeting_id, caller.identity.user_id, now):
                raise NotFound("meeting")
            await audit.record(
                tx,
                action="meeting.delete",
                now=now,
                partnership_id=meeting.partnership_id,
                actor_id=caller.identity.user_id,
                meeting_id=meeting_id,
                title=meeting.title,
            )
        return meeting

    async def _editable(self, caller: Caller, meeting_id: int) -> Meeting:
        meeting = await self.get(caller, meeting_id)
        if not self.may_edit(caller, meeting):
            raise NotAllowed(Role.COORDINATOR)
        return meeting

    @staticmethod
    def may_edit(caller: Caller, meeting: Meeting) -> bool:
        """Authors edit and delete their own meetings; coordinators and admins any."""
        membership = caller.membership
        if membership is None or membership.partnership_id != meeting.partnership_id:
            return False
        if caller.can(Capability.MANAGE_MEETINGS):
            return True
        return meeting.author_id == caller.identity.user_id and caller.can(Capability.LOG_MEETINGS)

    # -- reading ------------------------------------------------------------------------------

    async def get(self, caller: Caller, meeting_id: int) -> Meeting:
        """A meeting of the caller's active partnership that they may see."""
        viewer = viewer_of(caller)
        meeting = await store.get(self._db, meeting_id)
        membership = caller.require_membership()
        if (
            meeting is None
            or meeting.partnership_id != membership.partnership_id
            or not store.may_see(meeting, viewer)
        ):
            raise NotFound("meeting")
        return meeting

    async def page(self, caller: Caller, query: MeetingQuery, page: int) -> MeetingPage:
        """A page of the meetings the caller may see, newest first."""
        membership = caller.require(Capability.READ)
        if len(query.text) > MAX_QUERY:
            raise InvalidInput("meeting_query", "too long")
        since, until = day_bounds(query.since, query.until, membership.partnership.timezone)
        filters = Filters(prefix_match(query.text), query.kind, since, until)
        viewer = viewer_of(caller)
        total = await store.count(self._db, membership.partnership_id, viewer, filters)
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        page = min(max(page, 0), pages - 1)
        meetings = await store.search(
            self._db,
            membership.partnership_id,
            viewer,
            filters,
            limit=PAGE_SIZE,
            offset=page * PAGE_SIZE,
        )
        return MeetingPage(meetings, page, pages, total)

    async def visible_meetings(
        self,
        partnership_id: int,
        viewer: Viewer,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Meeting]:
        """Every meeting of a partnership a viewer may see, oldest first, with everything in
        it: for digests and exports. A group chat is `Viewer(None)`: partnership-wide only."""
        return await store.visible(
            self._db, partnership_id, viewer, Filters(since=since, until=until)
        )

    async def names(self, member_ids: set[int]) -> dict[int, str]:
        """Display names of members (authors of meetings)."""
        found = await member_store.names(self._db, member_ids)
        return {member_id: found.get(member_id, str(member_id)) for member_id in member_ids}

    # -- follow-up actions --------------------------------------------------------------------

    async def actions(self, caller: Caller, page: int) -> ActionPage:
        """Open follow-up actions the caller may see: theirs first, then by due date."""
        membership = caller.require(Capability.READ)
        viewer = viewer_of(caller)
        rows = await store.open_actions(self._db, membership.partnership_id, viewer)
        today = local_today(self._clock(), membership.partnership.timezone)
        items = [
            ActionItem(
                action=action,
                meeting=meeting,
                mine=action.owner_id == caller.identity.user_id,
                overdue=action.due_on is not None and action.due_on < today,
                may_close=self._may_close(caller, action, meeting),
            )
            for action, meeting in rows
        ]
        total = len(items)
        pages = max((total + ACTIONS_PAGE_SIZE - 1) // ACTIONS_PAGE_SIZE, 1)
        page = min(max(page, 0), pages - 1)
        start = page * ACTIONS_PAGE_SIZE
        return ActionPage(
            items[start : start + ACTIONS_PAGE_SIZE],
            page,
            pages,
            total,
            mine=sum(1 for i in items if i.mine),
            overdue=sum(1 for i in items if i.overdue),
        )

    def _may_close(self, caller: Caller, action: FollowUp, meeting: Meeting) -> bool:
        return action.owner_id == caller.identity.user_id or self.may_edit(caller, meeting)

    async def mark_done(self, caller: Caller, action_id: int) -> tuple[FollowUp, bool]:
        """Mark an action done (its owner, the meeting's author, coordinators); True the
        first time, False if it was done already."""
        membership = caller.require_membership()
        meeting = await store.action_meeting(self._db, action_id)
        if (
            meeting is None
            or meeting.partnership_id != membership.partnership_id
            or not store.may_see(meeting, viewer_of(caller))
        ):
            raise NotFound("action")
        action = next(a for a in meeting.actions if a.id == action_id)
        if not self._may_close(caller, action, meeting):
            raise NotAllowed(Role.COORDINATOR)
        now = self._clock()
        async with self._db.transaction() as tx:
            first = await store.mark_done(tx, action_id, caller.identity.user_id, now)
            if first:
                await audit.record(
                    tx,
                    action="meeting.action_done",
                    now=now,
                    partnership_id=meeting.partnership_id,
                    actor_id=caller.identity.user_id,
                    meeting_id=meeting.id,
                    action_id=action_id,
                )
        updated = await store.action_meeting(self._db, action_id)
        assert updated is not None
        return next(a for a in updated.actions if a.id == action_id), first

    async def due_reminders(self) -> list[Reminder]:
        """Actions whose owner should be reminded now: due tomorrow (from REMINDER_HOUR in
        the partnership's time) or today, open, never reminded. Rebuilt from the database
        each time, so reminders missed while the bot was down go out when it is back."""
        now = self._clock()
        reminders = []
        # A day either side of today in UTC covers every timezone; each is checked in its
        # own below. Actions past their day are not reminded any more.
        for action, meeting in await store.actions_to_remind(
            self._db, now.date() - timedelta(days=1), now.date() + timedelta(days=2)
        ):
            partnership = await partnership_store.get(self._db, meeting.partnership_id)
            owner = await member_store.get(self._db, action.owner_id or 0)
            if partnership is None or owner is None or action.due_on is None:
                continue
            zone = ZoneInfo(partnership.timezone)
            local = now.astimezone(zone)
            starts = datetime.combine(
                action.due_on - timedelta(days=1), time(REMINDER_HOUR), tzinfo=zone
            )
            if local < starts or local.date() > action.due_on:
                continue
            if owner.unreachable:
                # Not marked reminded: if they write to the bot again in time, it goes out.
                continue
            language = language_of(owner, partnership.language or self._default_language)
            reminders.append(Reminder(action, meeting, partnership, owner.id, language))
        return reminders

    async def mark_reminded(self, action_id: int) -> bool:
        """Record a reminder; False if it was recorded already (never remind twice)."""
        async with self._db.transaction() as tx:
            return await store.mark_reminded(tx, action_id, self._clock())


def _only_members(values: MeetingValues, member_ids: set[int]) -> MeetingValues:
    participants = tuple(
        p if p.member_id is None or p.member_id in member_ids else replace(p, member_id=None)
        for p in values.participants
    )
    actions = tuple(
        a if a.owner_id is None or a.owner_id in member_ids else replace(a, owner_id=None)
        for a in values.actions
    )
    return replace(values, participants=participants, actions=actions)
