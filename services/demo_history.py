"""The demo's history: a year of meetings, challenges and milestone updates, so that lists,
reports, calendars, maps and digests have something to show the first time.

`data/demo_history.yaml` describes it by hand, with every date given in days before the
current day (`days_ago`), so the history always ends at today, whenever the console runs.
It is validated here like `data/demo.yaml`, and written once per demo partnership, after its
people exist (`load_history`, called by `services.demo.load_demo`).

How it is written, and why nothing reaches anyone today:
- Through the services (`MeetingService.save` and `mark_done`, `ChallengeService.submit`,
  `change_status` and `reopen`, `OutboxService.acknowledge` for an alert's button,
  `MilestoneService.update`), so the history obeys the rules of real use: who may do what,
  text limits, the personal-data check of challenges, audit entries, acknowledgements.
- Those services run on a clock of their own (`Services.on_clock`), set to each step's moment
  before the step, so rows carry the dates they describe. Escalations due by then are run at
  each step too, so a critical challenge acknowledged late was escalated in its past.
- Submitting a challenge, acknowledging it and moving it on queue alerts in the outbox, as they
  would have then. Right after each step, the deliveries the history queued are recorded as sent
  at that moment (`storage.deliveries.mark_written_as_sent`), and the escalations still due at
  the end are settled the same way: the delivery worker finds nothing of the past to send, so
  starting the console floods no chat with old alerts. Restricting the marking to broadcasts
  queued after the load began leaves anything else in the outbox alone.
- The console loads the demo before the bot starts (bot/console/run.py), so no job runs while
  the history is written. Open follow-up actions are never due today or tomorrow, so starting
  the console reminds nobody at once.
- A partnership is given its history once: a kv marker records it, and a partnership that has
  meetings or challenges already (someone used it) is left alone.

Everything in the file is fictional and names no suspect or migrant.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.challenges import Category, Severity, Status
from domain.meetings import MeetingKind, Participant
from domain.milestones import MilestoneStatus
from domain.models import Partnership
from services.access import Caller, TelegramIdentity
from services.challenges_input import ChallengeDraft, Observed
from services.container import Services
from services.errors import ServiceError
from services.meeting_fields import ActionDraft, MeetingDraft
from storage import challenges as challenge_store
from storage import deliveries as delivery_store
from storage import kv
from storage import meetings as meeting_store
from storage import members as member_store
from storage import milestones as milestone_store
from storage.challenges import Visibility
from storage.meetings import Filters, Viewer

#: The kv key marking a partnership whose history was written (followed by its slug).
MARKER = "demo.history."
#: How long after a meeting its minutes are logged.
LOGGED_AFTER = timedelta(hours=2)
#: Local time of a step given without one.
DEFAULT_TIME = time(10, 0)

Username = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{4,31}$")]
Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class HistoryDataError(ValueError):
    """The history file is missing, is not YAML, or does not describe a valid history."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class _Dated(_Strict):
    days_ago: int = Field(ge=1, le=400, description="days before today (1: yesterday)")
    time: Clock | None = Field(default=None, description="local time HH:MM of the partnership")

    def moment(self, today: date, zone: ZoneInfo) -> datetime:
        """When it happened, in UTC."""
        at = time.fromisoformat(self.time) if self.time else DEFAULT_TIME
        return datetime.combine(today - timedelta(days=self.days_ago), at, tzinfo=zone).astimezone(
            UTC
        )


class GuestModel(_Strict):
    """Someone at a meeting who is not a member: a name as typed, an organisation."""

    name: str = Field(min_length=1, max_length=120)
    organisation: str = Field(default="", max_length=120)


class ActionModel(_Strict):
    """A follow-up action of a meeting."""

    what: str = Field(min_length=1, max_length=300)
    owner: Username | None = Field(default=None, description="username of a member")
    owner_name: str = Field(default="", max_length=100, description="an owner as typed")
    due_in: int | None = Field(default=None, description="days from today; negative: past")
    done_days_ago: int | None = Field(default=None, ge=1, le=400)

    @model_validator(mode="after")
    def _not_reminded_at_start(self) -> Self:
        # An open action due today or tomorrow would be reminded as soon as the console starts.
        if self.done_days_ago is None and self.due_in in (0, 1):
            raise ValueError("an open action must not be due today or tomorrow")
        if self.owner is not None and self.owner_name:
            raise ValueError("give either owner (a member) or owner_name, not both")
        return self


class MeetingModel(_Dated):
    """A meeting held (or, with a negative `days_ago`, planned)."""

    days_ago: int = Field(ge=-60, le=400)
    partnership: str
    kind: MeetingKind
    title: str = Field(min_length=1, max_length=200)
    location: str = Field(default="", max_length=200)
    author: Username
    restricted: bool = False
    members: list[Username] = Field(default_factory=list)
    guests: list[GuestModel] = Field(default_factory=list)
    summary: str = Field(default="", max_length=3000)
    decisions: str = Field(default="", max_length=2000)
    actions: list[ActionModel] = Field(default_factory=list, max_length=15)

    @model_validator(mode="after")
    def _actions_after_the_meeting(self) -> Self:
        for action in self.actions:
            if action.done_days_ago is not None and action.done_days_ago > self.days_ago:
                raise ValueError(f"action {action.what!r} is done before the meeting")
        return self


class StepModel(_Dated):
    """A step of a challenge's life: a status it reached, or its reopening."""

    status: Literal[
        "acknowledged", "corroborated", "confirmed", "resolved", "dismissed", "reopened"
    ]
    by: Username
    note: str = Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _notes(self) -> Self:
        if self.status == "reopened" and not self.note:
            raise ValueError("a reopening needs a note saying why")
        return self


class ChallengeModel(_Dated):
    """A challenge as its reporter flagged it, and what became of it."""

    partnership: str
    reporter: Username
    category: Category
    severity: Severity
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(min_length=1, max_length=3000)
    place: str | None = Field(default=None, max_length=200)
    pin: tuple[Latitude, Longitude] | None = Field(default=None, description="latitude, longitude")
    route: str | None = Field(default=None, max_length=200)
    observed_days_ago: int | None = Field(default=None, ge=1, le=400)
    restricted: bool = False
    steps: list[StepModel] = Field(default_factory=list)

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.observed_days_ago is not None and self.observed_days_ago < self.days_ago:
            raise ValueError("observed after it was reported")
        if any(step.days_ago > self.days_ago for step in self.steps):
            raise ValueError("a step comes before the challenge was reported")
        return self


class MilestoneUpdateModel(_Dated):
    """A change of a milestone of the partnership's action plan."""

    partnership: str
    code: str = Field(min_length=1, max_length=20)
    by: Username
    status: MilestoneStatus
    progress: int | None = Field(default=None, ge=0, le=100)
    note: str = Field(default="", max_length=500)


class HistoryFile(_Strict):
    """The whole history file."""

    meetings: list[MeetingModel] = Field(default_factory=list)
    challenges: list[ChallengeModel] = Field(default_factory=list)
    milestone_updates: list[MilestoneUpdateModel] = Field(default_factory=list)

    def slugs(self) -> set[str]:
        """The partnerships it gives a history to."""
        return {
            entry.partnership
            for entries in (self.meetings, self.challenges, self.milestone_updates)
            for entry in entries
        }


@dataclass(frozen=True, slots=True)
class HistoryLoaded:
    """What a load wrote: the partnerships given their history, and how many records."""

    partnerships: tuple[str, ...] = ()
    meetings: int = 0
    challenges: int = 0
    milestone_updates: int = 0


def read_history_file(path: Path) -> HistoryFile:
    """Parse and validate a history file; HistoryDataError says what is wrong and where."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise HistoryDataError(f"{path}: demo history file not found") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise HistoryDataError(f"{path}: cannot read the demo history: {exc}") from exc
    if not isinstance(raw, dict):
        raise HistoryDataError(f"{path}: expected a mapping with meetings and challenges")
    try:
        return HistoryFile.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for item in exc.errors():
            place = "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in item["loc"]
            )
            message = str(item["msg"]).removeprefix("Value error, ")
            lines.append(f"  - {place.lstrip('.') or 'file'}: {message}")
        raise HistoryDataError(f"{path}: invalid demo history:\n" + "\n".join(lines)) from exc


class _SettableClock:
    """A clock the loader sets to each step's moment."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


Step = tuple[datetime, int, str, Callable[[], Awaitable[None]]]


async def load_history(services: Services, path: Path, people: Mapping[str, int]) -> HistoryLoaded:
    """Write the history of each demo partnership that has none yet; `people` maps the
    usernames the file uses to member ids. HistoryDataError names the entry a service
    refused, or a person or partnership the demo does not know."""
    history = read_history_file(path)
    partnerships = {p.slug: p for p in await services.partnerships.list_all()}
    unknown = sorted(history.slugs() - partnerships.keys())
    if unknown:
        raise HistoryDataError(f"{path}: unknown partnerships: {', '.join(unknown)}")
    loaded = HistoryLoaded()
    for slug in sorted(history.slugs()):
        partnership = partnerships[slug]
        if not await _untouched(services, partnership):
            continue
        writer = _Writer(services, partnership, people, path)
        counts = await writer.write(history)
        async with services.db.transaction() as tx:
            await kv.put(tx, MARKER + slug, True, services.clock())
        loaded = HistoryLoaded(
            partnerships=(*loaded.partnerships, slug),
            meetings=loaded.meetings + counts.meetings,
            challenges=loaded.challenges + counts.challenges,
            milestone_updates=loaded.milestone_updates + counts.milestone_updates,
        )
    return loaded


async def _untouched(services: Services, partnership: Partnership) -> bool:
    """Neither given its history yet nor used: no meeting, no challenge."""
    if await kv.get(services.db, MARKER + partnership.slug, False):
        return False
    meetings = await meeting_store.count(services.db, partnership.id, Viewer(None, True), Filters())
    challenges = await challenge_store.counts(
        services.db, Visibility(partnership.id, 0, True), datetime(1970, 1, 1, tzinfo=UTC)
    )
    return meetings == 0 and not challenges


class _Writer:
    """Writes one partnership's history, step after step in time order."""

    def __init__(
        self, services: Services, partnership: Partnership, people: Mapping[str, int], path: Path
    ) -> None:
        self._services = services
        self._partnership = partnership
        self._people = people
        self._path = path
        self._now = services.clock()
        self._zone = ZoneInfo(partnership.timezone)
        self._today = self._now.astimezone(self._zone).date()
        self._clock = _SettableClock(self._now)
        self._past = services.on_clock(self._clock)
        self._callers: dict[str, Caller] = {}

    async def write(self, history: HistoryFile) -> HistoryLoaded:
        slug = self._partnership.slug
        steps: list[Step] = []
        meetings = [(i, m) for i, m in enumerate(history.meetings) if m.partnership == slug]
        challenges = [(i, c) for i, c in enumerate(history.challenges) if c.partnership == slug]
        updates = [(i, u) for i, u in enumerate(history.milestone_updates) if u.partnership == slug]
        for index, meeting in meetings:
            steps.extend(self._meeting_steps(index, meeting))
        for index, challenge in challenges:
            steps.extend(self._challenge_steps(index, challenge))
        for index, update in updates:
            steps.append(self._milestone_step(index, update))
        self._first_broadcast = await delivery_store.last_broadcast_id(self._services.db)
        for moment, _, place, run in sorted(steps, key=lambda step: (step[0], step[1])):
            self._clock.now = moment
            await self._past.challenges.escalate_due()
            try:
                await run()
            except (ServiceError, LookupError) as error:
                raise HistoryDataError(
                    f"{self._path}: {place} refused: {type(error).__name__} {error}"
                ) from error
            await self._settle(moment)
        # Escalations due between the last step and now are part of the past as well.
        self._clock.now = self._now
        await self._past.challenges.escalate_due()
        await self._settle(self._now)
        return HistoryLoaded((slug,), len(meetings), len(challenges), len(updates))

    async def _settle(self, moment: datetime) -> None:
        async with self._services.db.transaction() as tx:
            await delivery_store.mark_written_as_sent(tx, self._first_broadcast, moment)

    async def _caller(self, username: str, place: str) -> Caller:
        """A member acting in this partnership (as if it were their active one)."""
        if username in self._callers:
            return self._callers[username]
        member_id = self._people.get(username)
        member = None if member_id is None else await member_store.get(self._services.db, member_id)
        membership = (
            None
            if member is None
            else await member_store.membership(self._services.db, member.id, self._partnership.id)
        )
        if member is None or membership is None:
            raise HistoryDataError(
                f"{self._path}: {place}: {username!r} is not a member of {self._partnership.slug!r}"
            )
        caller = Caller(
            TelegramIdentity(member.id, member.name, member.username, member.telegram_language),
            member,
            membership,
        )
        self._callers[username] = caller
        return caller

    # -- meetings -----------------------------------------------------------------------------

    def _meeting_steps(self, index: int, entry: MeetingModel) -> list[Step]:
        place = f"meetings[{index}]"
        held = entry.moment(self._today, self._zone)
        logged = min(held + LOGGED_AFTER, self._now - timedelta(minutes=5))
        if entry.days_ago < 0:
            logged = self._now - timedelta(hours=1)  # an upcoming meeting, planned lately
        saved: dict[str, list[int]] = {}

        async def save() -> None:
            author = await self._caller(entry.author, f"{place}.author")
            participants = []
            for name in entry.members:
                member = await self._caller(name, f"{place}.members")
                organisation = member.membership.organisation if member.membership else None
                participants.append(
                    Participant(member.identity.name, organisation or "", member.identity.user_id)
                )
            participants += [Participant(g.name, g.organisation) for g in entry.guests]
            actions = []
            for number, action in enumerate(entry.actions):
                owner_id = None
                owner_name = action.owner_name
                if action.owner is not None:
                    owner = await self._caller(action.owner, f"{place}.actions[{number}]")
                    owner_id, owner_name = owner.identity.user_id, owner.identity.name
                due = None if action.due_in is None else self._today + timedelta(action.due_in)
                actions.append(ActionDraft(action.what, owner_id, owner_name, due))
            draft = MeetingDraft(
                held_at=held,
                title=entry.title,
                kind=entry.kind,
                participants=tuple(participants),
                location=entry.location,
                summary=entry.summary,
                decisions=entry.decisions,
                actions=tuple(actions),
                restricted=entry.restricted,
            )
            meeting = await self._past.meetings.save(author, self._partnership.id, draft)
            saved["actions"] = [a.id for a in sorted(meeting.actions, key=lambda a: a.position)]

        steps: list[Step] = [(logged, 0, place, save)]
        for number, action in enumerate(entry.actions):
            if action.done_days_ago is None:
                continue
            done_at = datetime.combine(
                self._today - timedelta(days=action.done_days_ago), time(17), tzinfo=self._zone
            ).astimezone(UTC)
            if done_at <= logged:
                done_at = logged + timedelta(minutes=30)
            closer = action.owner or entry.author

            async def done(number: int = number, closer: str = closer) -> None:
                caller = await self._caller(closer, f"{place}.actions[{number}]")
                await self._past.meetings.mark_done(caller, saved["actions"][number])

            steps.append((done_at, 1, f"{place}.actions[{number}]", done))
        return steps

    # -- challenges ---------------------------------------------------------------------------

    def _challenge_steps(self, index: int, entry: ChallengeModel) -> list[Step]:
        place = f"challenges[{index}]"
        found: dict[str, int] = {}
        observed = None
        if entry.observed_days_ago is not None:
            day = self._today - timedelta(days=entry.observed_days_ago)
            observed = Observed(
                datetime.combine(day, time(12), tzinfo=self._zone).astimezone(UTC), False
            )

        async def submit() -> None:
            reporter = await self._caller(entry.reporter, f"{place}.reporter")
            draft = ChallengeDraft(
                category=entry.category,
                severity=entry.severity,
                title=entry.title,
                description=entry.description,
                place=entry.place,
                latitude=entry.pin[0] if entry.pin else None,
                longitude=entry.pin[1] if entry.pin else None,
                route=entry.route,
                observed=observed,
                restricted=entry.restricted,
            )
            # No personal data is confirmed: the check refuses a history that seems to hold some.
            key = f"demo-history:{self._partnership.slug}:{index}"
            submitted = await self._past.challenges.submit(reporter, draft, key=key)
            found["id"] = submitted.challenge.id

        steps: list[Step] = [(entry.moment(self._today, self._zone), 2, place, submit)]
        for number, step in enumerate(entry.steps):

            async def move(step: StepModel = step, number: int = number) -> None:
                caller = await self._caller(step.by, f"{place}.steps[{number}]")
                await self._challenge_step(found["id"], caller, step)

            steps.append(
                (step.moment(self._today, self._zone), 3 + number, f"{place}.steps[{number}]", move)
            )
        return steps

    async def _challenge_step(self, challenge_id: int, caller: Caller, step: StepModel) -> None:
        challenges = self._past.challenges
        if step.status == "reopened":
            await challenges.reopen(caller, challenge_id, step.note)
            return
        status = Status(step.status)
        if status is Status.ACKNOWLEDGED and not step.note:
            # As in real use: the coordinator presses Acknowledge under the alert they got.
            delivery = await self._alert_to(challenge_id, caller.identity.user_id)
            if delivery is not None:
                await self._past.outbox.acknowledge(delivery, caller)
                return
        await challenges.change_status(caller, challenge_id, status, step.note)

    async def _alert_to(self, challenge_id: int, member_id: int) -> int | None:
        db = self._services.db
        for audience in ("coordinators", "members"):
            broadcast = await delivery_store.broadcast_by_key(
                db, f"challenge:{challenge_id}:alert:{audience}"
            )
            if broadcast is None:
                continue
            for delivery in await delivery_store.unacknowledged(db, broadcast.id):
                if delivery.member_id == member_id:
                    return delivery.id
        return None

    # -- milestones ---------------------------------------------------------------------------

    def _milestone_step(self, index: int, entry: MilestoneUpdateModel) -> Step:
        place = f"milestone_updates[{index}]"

        async def update() -> None:
            caller = await self._caller(entry.by, f"{place}.by")
            milestone = await milestone_store.by_code(
                self._services.db, self._partnership.id, entry.code
            )
            if milestone is None:
                raise HistoryDataError(f"{self._path}: {place}: no milestone {entry.code!r}")
            await self._past.milestones.update(
                caller,
                milestone.id,
                status=entry.status,
                progress=entry.progress,
                note=entry.note,
            )

        return (entry.moment(self._today, self._zone), 9, place, update)
