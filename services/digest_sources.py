"""What meetings and challenges add to digests, counted with each reader's visibility.

A member sees what their role lets them see (restricted meetings and challenges only as
coordinator or admin, or as a person named in them); a linked group (`viewer_id` None) sees
only what every member may see, and gets no personal counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from domain.models import Role
from services.digests import Activity, Reader
from storage import challenges as challenge_store
from storage import digests as digest_store
from storage import meetings as meeting_store
from storage import members as member_store
from storage.db import Database


async def _privileged(db: Database, partnership_id: int, viewer_id: int | None) -> bool:
    """Whether the viewer's role shows restricted records (coordinators and admins)."""
    if viewer_id is None:
        return False
    membership = await member_store.membership(db, viewer_id, partnership_id)
    return membership is not None and membership.role.at_least(Role.COORDINATOR)


async def _privileged_among(
    db: Database, partnership_id: int, readers: Sequence[Reader]
) -> list[bool]:
    """`_privileged` for each reader, from one read of the partnership's roles."""
    roles = await digest_store.roles(db, partnership_id)
    return [
        viewer is not None and viewer in roles and Role(roles[viewer]).at_least(Role.COORDINATOR)
        for viewer, _since in readers
    ]


class MeetingActivity:
    """Meetings held during the period, and the reader's own open follow-up actions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def digest_activity(
        self,
        partnership_id: int,
        viewer_id: int | None,
        since: datetime,
        until: datetime,
        today: date,
    ) -> Activity:
        """Counts for one digest."""
        viewer = meeting_store.Viewer(
            viewer_id, await _privileged(self._db, partnership_id, viewer_id)
        )
        held = await meeting_store.count(
            self._db, partnership_id, viewer, meeting_store.Filters(since=since, until=until)
        )
        if viewer_id is None:
            return Activity(meetings=held)
        open_actions, overdue = await digest_store.own_open_actions(
            self._db, partnership_id, viewer_id, today
        )
        return Activity(meetings=held, actions_open=open_actions, actions_overdue=overdue)

    async def digest_activities(
        self,
        partnership_id: int,
        readers: Sequence[Reader],
        until: datetime,
        today: date,
    ) -> list[Activity]:
        """`digest_activity` for many readers of one partnership, in three queries."""
        privileged = await _privileged_among(self._db, partnership_id, readers)
        held = await meeting_store.counts_held(
            self._db,
            partnership_id,
            [
                (meeting_store.Viewer(viewer, sees), since)
                for (viewer, since), sees in zip(readers, privileged, strict=True)
            ],
            until,
        )
        actions = await digest_store.open_actions_by_owner(self._db, partnership_id, today)
        found = []
        for (viewer, _since), meetings in zip(readers, held, strict=True):
            if viewer is None:
                found.append(Activity(meetings=meetings))
                continue
            open_actions, overdue = actions.get(viewer, (0, 0))
            found.append(
                Activity(meetings=meetings, actions_open=open_actions, actions_overdue=overdue)
            )
        return found


class ChallengeActivity:
    """Challenges reported during the period, by severity."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def digest_activity(
        self,
        partnership_id: int,
        viewer_id: int | None,
        since: datetime,
        until: datetime,
        today: date,
    ) -> Activity:
        """Counts for one digest (reported up to now: a digest is built at `until`)."""
        visibility = challenge_store.Visibility(
            partnership_id,
            # No member has id 0: a group sees no one's own restricted reports.
            viewer_id if viewer_id is not None else 0,
            sees_restricted=await _privileged(self._db, partnership_id, viewer_id),
        )
        by_severity: dict[str, int] = {}
        for _category, severity, _status, count in await challenge_store.counts(
            self._db, visibility, since
        ):
            by_severity[severity.value] = by_severity.get(severity.value, 0) + count
        return Activity(challenges=by_severity)

    async def digest_activities(
        self,
        partnership_id: int,
        readers: Sequence[Reader],
        until: datetime,
        today: date,
    ) -> list[Activity]:
        """`digest_activity` for many readers of one partnership, in two queries."""
        privileged = await _privileged_among(self._db, partnership_id, readers)
        counted = await challenge_store.severity_counts(
            self._db,
            partnership_id,
            [
                # No member has id 0: a group sees no one's own restricted reports.
                (viewer if viewer is not None else 0, sees, since)
                for (viewer, since), sees in zip(readers, privileged, strict=True)
            ],
        )
        return [Activity(challenges=by_severity) for by_severity in counted]
