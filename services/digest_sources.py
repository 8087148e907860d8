"""What meetings and challenges add to digests, counted with each reader's visibility.

A member sees what their role lets them see (restricted meetings and challenges only as
coordinator or admin, or as a person named in them); a linked group (a reader without a member) sees
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
from storage.db import Database


async def _privileged_among(
    db: Database, partnership_id: int, readers: Sequence[Reader]
) -> list[bool]:
    """Whether each reader's role shows restricted records (coordinators and admins), from
    one read of their roles."""
    roles = await digest_store.roles(db, partnership_id, _members(readers))
    return [
        viewer is not None and viewer in roles and Role(roles[viewer]).at_least(Role.COORDINATOR)
        for viewer, _since in readers
    ]


def _members(readers: Sequence[Reader]) -> list[int]:
    """The members among the readers (a linked group is none)."""
    return [viewer for viewer, _since in readers if viewer is not None]


class MeetingActivity:
    """Meetings held during the period, and the reader's own open follow-up actions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def digest_activities(
        self,
        partnership_id: int,
        readers: Sequence[Reader],
        until: datetime,
        today: date,
    ) -> list[Activity]:
        """Each reader's counts, in three queries whatever their number."""
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
        actions = await digest_store.open_actions_by_owner(
            self._db, partnership_id, _members(readers), today
        )
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

    async def digest_activities(
        self,
        partnership_id: int,
        readers: Sequence[Reader],
        until: datetime,
        today: date,
    ) -> list[Activity]:
        """Each reader's counts (reported up to now: a digest is built at `until`), in two
        queries whatever their number."""
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
