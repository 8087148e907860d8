"""Action plans: pillars, milestones and each milestone's update history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class MilestoneStatus(StrEnum):
    """Where a milestone stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def open(self) -> bool:
        """Still to be reached (can become overdue)."""
        return self in (MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS)


def _in(texts: dict[str, str], language: str, default: str) -> str:
    """The text in `language`, else English, else any, else `default`."""
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), default)


@dataclass(frozen=True, slots=True)
class PlanInfo:
    """The plan of a partnership: its name and where it came from; `titles` maps a language
    to the name in it."""

    partnership_id: int
    titles: dict[str, str]
    reference: str | None
    source: str
    imported_at: datetime

    def title(self, language: str) -> str:
        """The name in `language`, else English, else any."""
        return _in(self.titles, language, self.reference or "")


@dataclass(frozen=True, slots=True)
class Pillar:
    """One area of the plan; `titles` maps a language to the title in it."""

    id: int
    partnership_id: int
    code: str
    position: int
    titles: dict[str, str]

    def title(self, language: str) -> str:
        """The title in `language`, else English, else any."""
        return _in(self.titles, language, self.code)


@dataclass(frozen=True, slots=True)
class Milestone:
    """A dated step of the plan."""

    id: int
    partnership_id: int
    pillar_id: int
    code: str
    position: int
    title: str
    description: str
    owner: str | None
    assignees: tuple[int | str, ...]
    due_on: date | None
    date_inferred: bool
    status: MilestoneStatus
    progress: int
    completed_at: datetime | None
    updated_at: datetime

    def overdue(self, today: date) -> bool:
        """Still open after its due day."""
        return self.status.open and self.due_on is not None and self.due_on < today


@dataclass(frozen=True, slots=True)
class MilestoneUpdate:
    """One recorded change of a milestone."""

    id: int
    milestone_id: int
    author_id: int | None
    author_name: str
    at: datetime
    status: MilestoneStatus
    progress: int
    note: str


@dataclass(frozen=True, slots=True)
class NewMilestone:
    """A milestone as an import writes it."""

    code: str
    position: int
    title: str
    description: str
    owner: str | None
    assignees: tuple[int | str, ...]
    due_on: date | None
    date_inferred: bool
    status: MilestoneStatus
    progress: int
    completed_at: datetime | None
