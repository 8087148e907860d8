"""The meeting log's rules: who sees, edits and deletes what; actions; reminders."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.jobs.followups import queue_action_reminders
from domain.meetings import MeetingKind, Participant
from domain.models import Partnership, PartnershipKind, Role
from domain.outbox import Broadcast
from services.access import Caller, TelegramIdentity
from services.container import Services
from services.errors import NotAllowed, NotFound
from services.meeting_fields import ActionDraft, MeetingDraft
from services.meetings import MeetingQuery, draft_of
from storage import audit
from storage.meetings import Viewer
from tests.fakes import FakeClock

ADMIN, COORDINATOR, AUTHOR, NAMED, OWNER, PLAIN, OBSERVER, OUTSIDER = range(201, 209)


async def caller(services: Services, user_id: int) -> Caller:
    return await services.access.identify(TelegramIdentity(user_id, f"U{user_id}", None, "en"))


@pytest.fixture
async def cop(services: Services) -> Partnership:
    partnership = await services.partnerships.create(
        name="COP Mauritanie", kind=PartnershipKind.COP, countries=("Mauritania",),
        timezone="Africa/Nouakchott", language="fr",
    )  # fmt: skip
    for user_id, role in (
        (ADMIN, Role.ADMIN), (COORDINATOR, Role.COORDINATOR), (AUTHOR, Role.MEMBER),
        (NAMED, Role.MEMBER), (OWNER, Role.MEMBER), (PLAIN, Role.MEMBER),
        (OBSERVER, Role.OBSERVER),
    ):  # fmt: skip
        await services.partnerships.add_member(
            partnership, user_id=user_id, name=f"U{user_id}", role=role
        )
    other = await services.partnerships.create(
        name="JIT Niger", kind=PartnershipKind.JIT, countries=("Niger",),
        timezone="Africa/Niamey", language="fr",
    )  # fmt: skip
    await services.partnerships.add_member(
        other, user_id=OUTSIDER, name="Outsider", role=Role.ADMIN
    )
    return partnership


def restricted_draft(clock: FakeClock) -> MeetingDraft:
    return MeetingDraft(
        held_at=clock() - timedelta(days=1),
        title="Confidential steering committee",
        kind=MeetingKind.STEERING,
        participants=(Participant("Named", "DPAF", NAMED), Participant("Europol")),
        summary="Sensitive routes",
        actions=(ActionDraft("Write the report", OWNER, "Owner", date(2026, 12, 5)),),
        restricted=True,
    )


async def test_restricted_meetings_are_seen_only_by_those_named_and_coordinators(
    services: Services, cop: Partnership, clock: FakeClock
) -> None:
    author = await caller(services, AUTHOR)
    secret = await services.meetings.save(author, cop.id, restricted_draft(clock))
    open_draft = replace(
        restricted_draft(clock),
        title="Open workshop",
        summary="Training",
        actions=(),
        restricted=False,
    )
    public = await services.meetings.save(author, cop.id, open_draft)
    allowed = (ADMIN, COORDINATOR, AUTHOR, NAMED, OWNER)
    for user_id in (*allowed, PLAIN, OBSERVER, OUTSIDER):
        who = await caller(services, user_id)
        sees = user_id in allowed
        if user_id == OUTSIDER:
            with pytest.raises(NotFound):
                await services.meetings.get(who, public.id)
            assert (await services.meetings.page(who, MeetingQuery(), 0)).total == 0
            continue
        page = await services.meetings.page(who, MeetingQuery(), 0)
        # Held at the same time: the one logged last comes first.
        assert [m.id for m in page.meetings] == [public.id] + ([secret.id] if sees else [])
        search = await services.meetings.page(who, MeetingQuery(text="sensitive"), 0)
        assert search.total == (1 if sees else 0)
        actions = await services.meetings.actions(who, 0)
        assert actions.total == (1 if sees else 0)
        if sees:
            assert (await services.meetings.get(who, secret.id)).summary == "Sensitive routes"
        else:
            with pytest.raises(NotFound):
                await services.meetings.get(who, secret.id)
    # For digests and exports: a group chat sees partnership-wide meetings only.
    group = await services.meetings.visible_meetings(cop.id, Viewer(None))
    assert [m.title for m in group] == ["Open workshop"]
    plain = await services.meetings.visible_meetings(cop.id, Viewer(PLAIN))
    assert [m.id for m in plain] == [public.id]
    named = await services.meetings.visible_meetings(cop.id, Viewer(NAMED))
    assert {m.id for m in named} == {secret.id, public.id}
    assert named[0].actions[0].what == "Write the report"


async def test_search_kind_and_date_filters(
    services: Services, cop: Partnership, clock: FakeClock
) -> None:
    author = await caller(services, AUTHOR)
    base = replace(restricted_draft(clock), restricted=False)
    for day, title, kind in (
        (1, "Frontex liaison", MeetingKind.BILATERAL),
        (10, "Atelier fraude documentaire", MeetingKind.TRAINING),
        (20, "Steering committee", MeetingKind.STEERING),
    ):
        held = datetime(2026, 11, day, 10, tzinfo=UTC)
        await services.meetings.save(
            author, cop.id, replace(base, held_at=held, title=title, kind=kind)
        )
    who = await caller(services, PLAIN)

    async def titles(query: MeetingQuery) -> list[str]:
        return [m.title for m in (await services.meetings.page(who, query, 0)).meetings]

    assert await titles(MeetingQuery()) == [
        "Steering committee", "Atelier fraude documentaire", "Frontex liaison"
    ]  # fmt: skip
    assert await titles(MeetingQuery(text="FRAUDE doc")) == ["Atelier fraude documentaire"]
    assert await titles(MeetingQuery(text="europol")) == [  # participants are searched too
        "Steering committee", "Atelier fraude documentaire", "Frontex liaison"
    ]  # fmt: skip
    assert await titles(MeetingQuery(kind=MeetingKind.BILATERAL)) == ["Frontex liaison"]
    november = MeetingQuery(since=date(2026, 11, 5), until=date(2026, 11, 20))
    assert await titles(november) == ["Steering committee", "Atelier fraude documentaire"]
    assert await titles(MeetingQuery(text='" OR *')) == []  # no FTS syntax gets through


async def test_paging_newest_first(services: Services, cop: Partnership, clock: FakeClock) -> None:
    author = await caller(services, AUTHOR)
    base = replace(restricted_draft(clock), restricted=False)
    for number in range(14):
        held = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=number)
        await services.meetings.save(
            author, cop.id, replace(base, held_at=held, title=f"M{number}")
        )
    who = await caller(services, PLAIN)
    first = await services.meetings.page(who, MeetingQuery(), 0)
    last = await services.meetings.page(who, MeetingQuery(), 99)
    assert (first.total, first.pages, last.page) == (14, 3, 2)
    assert first.meetings[0].title == "M13" and last.meetings[-1].title == "M0"


async def test_authors_edit_their_own_coordinators_any_observers_none(
    services: Services, cop: Partnership, clock: FakeClock
) -> None:
    author = await caller(services, AUTHOR)
    meeting = await services.meetings.save(
        author, cop.id, replace(restricted_draft(clock), restricted=False)
    )
    other_member = await caller(services, PLAIN)
    with pytest.raises(NotAllowed):
        await services.meetings.save(other_member, cop.id, draft_of(meeting), meeting.id)
    with pytest.raises(NotAllowed):
        await services.meetings.delete(other_member, meeting.id)
    observer = await caller(services, OBSERVER)
    with pytest.raises(NotAllowed):
        await services.meetings.save(observer, cop.id, draft_of(meeting))
    edited = await services.meetings.save(
        author, cop.id, replace(draft_of(meeting), title="Renamed"), meeting.id
    )
    assert edited.title == "Renamed" and edited.author_id == AUTHOR
    coordinator = await caller(services, COORDINATOR)
    await services.meetings.delete(coordinator, meeting.id)
    with pytest.raises(NotFound):  # deleting twice
        await services.meetings.delete(coordinator, meeting.id)
    with pytest.raises(NotFound):
        await services.meetings.get(author, meeting.id)
    entries = [e.action for e in await audit.recent(services.db, cop.id)]
    assert entries[:3] == ["meeting.delete", "meeting.update", "meeting.create"]
    # Soft delete: the row stays for the record.
    row = await services.db.fetchone("SELECT deleted_by FROM meetings WHERE id = ?", (meeting.id,))
    assert row is not None and row["deleted_by"] == COORDINATOR


async def test_actions_mine_first_done_once_and_kept_through_edits(
    services: Services, cop: Partnership, clock: FakeClock
) -> None:
    author = await caller(services, AUTHOR)
    draft = replace(
        restricted_draft(clock),
        restricted=False,
        actions=(
            ActionDraft("Someone else's", NAMED, "Named", date(2026, 11, 1)),
            ActionDraft("Mine", OWNER, "Owner", date(2026, 12, 24)),
            ActionDraft("Nobody's"),
        ),
    )
    meeting = await services.meetings.save(author, cop.id, draft)
    owner = await caller(services, OWNER)
    listing = await services.meetings.actions(owner, 0)
    assert [i.action.what for i in listing.items] == ["Mine", "Someone else's", "Nobody's"]
    assert (listing.mine, listing.overdue) == (1, 1)
    assert [i.may_close for i in listing.items] == [True, False, False]
    mine = listing.items[0].action
    with pytest.raises(NotAllowed):
        await services.meetings.mark_done(owner, listing.items[1].action.id)
    _done, first = await services.meetings.mark_done(owner, mine.id)
    _done, again = await services.meetings.mark_done(owner, mine.id)
    assert (first, again) == (True, False)
    # Editing the meeting keeps the action done (it keeps its id).
    stored = await services.meetings.get(author, meeting.id)
    await services.meetings.save(author, cop.id, draft_of(stored), meeting.id)
    stored = await services.meetings.get(author, meeting.id)
    assert [a.done for a in stored.actions] == [False, True, False]
    outsider = await caller(services, OUTSIDER)
    with pytest.raises(NotFound):
        await services.meetings.mark_done(outsider, stored.actions[0].id)


async def reminders_sent(services: Services) -> list[Broadcast]:
    rows = await services.db.fetchall(
        "SELECT id FROM broadcasts WHERE kind = 'action_reminder' ORDER BY id"
    )
    from storage import deliveries

    found = [await deliveries.get_broadcast(services.db, row["id"]) for row in rows]
    return [b for b in found if b is not None]


async def test_owners_are_reminded_the_day_before_once(
    services: Services, cop: Partnership, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Nouakchott is UTC+0
    author = await caller(services, AUTHOR)
    await caller(services, OWNER)  # the owner has written to the bot: Telegram in English
    draft = replace(
        restricted_draft(clock),
        actions=(
            ActionDraft("Due on the 3rd", OWNER, "Owner", date(2026, 12, 3)),
            ActionDraft("Free-text owner", None, "Frontex", date(2026, 12, 3)),
            ActionDraft("No due date", NAMED, "Named"),
        ),
    )
    meeting = await services.meetings.save(author, cop.id, draft)
    assert await queue_action_reminders(services, "en") == 0  # two days before
    clock.now = datetime(2026, 12, 2, 8, 59, tzinfo=UTC)
    assert await queue_action_reminders(services, "en") == 0  # before 09:00 the day before
    clock.advance(minutes=1)
    assert await queue_action_reminders(services, "en") == 1
    assert await queue_action_reminders(services, "en") == 0  # never twice
    clock.advance(hours=30)
    assert await queue_action_reminders(services, "en") == 0
    sent = await reminders_sent(services)
    assert len(sent) == 1
    rows = await services.db.fetchall(
        "SELECT chat_id, text FROM deliveries WHERE broadcast_id = ?", (sent[0].id,)
    )
    assert [row["chat_id"] for row in rows] == [OWNER]
    assert "Due on the 3rd" in rows[0]["text"] and "tomorrow" in rows[0]["text"]
    # A new due date deserves a new reminder; a done action gets none.
    stored = await services.meetings.get(await caller(services, AUTHOR), meeting.id)
    moved = draft_of(stored)
    moved = moved.with_action(0, replace(moved.actions[0], due_on=date(2026, 12, 5)))
    await services.meetings.save(author, cop.id, moved, meeting.id)
    clock.now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert await queue_action_reminders(services, "en") == 1
    assert len(await reminders_sent(services)) == 2


async def test_reminders_missed_while_down_go_out_on_the_due_day_not_after(
    services: Services, cop: Partnership, clock: FakeClock
) -> None:
    author = await caller(services, AUTHOR)
    clock.now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    draft = replace(
        restricted_draft(clock),
        actions=(
            ActionDraft("Due on the 2nd", OWNER, "Owner", date(2026, 12, 2)),
            ActionDraft("Due on the 1st", OWNER, "Owner", date(2026, 11, 30)),
        ),
    )
    await services.meetings.save(author, cop.id, draft)
    clock.now = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # the bot was down the day before
    assert await queue_action_reminders(services, "en") == 1
    rows = await services.db.fetchall("SELECT text FROM deliveries")
    # The owner never wrote to the bot: reminded in the partnership's language, French.
    assert "échéance aujourd'hui" in rows[0]["text"] and "Due on the 2nd" in rows[0]["text"]
