"""The scheduled digest job in batches: exactly the digests the per-member path queues, for
a mixed partnership (roles, languages, restricted items, an unreachable member, a linked
group, two partnerships), and nothing queued twice by a rerun or after a failure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_application
from bot.config import Settings
from bot.context import PartnerbotApplication
from bot.jobs import digests as job
from bot.jobs.digests import queue_due_digests, queue_one_by_one
from bot.local_api import LocalBotApi
from domain.meetings import MeetingKind, Participant
from domain.milestones import MilestoneStatus
from domain.models import PartnershipKind, Role
from services.access import TelegramIdentity
from services.container import Services
from services.digests import DigestService, DueDigest, Frequency
from services.meeting_fields import ActionDraft, MeetingDraft
from services.outbox import Rendered
from services.plan_file import parse_plan
from storage import milestones as milestone_store
from storage.db import to_db_time
from tests.fakes import FakeClock

PLAN = """\
title: Job plan
pillars:
  - code: P1
    title: {en: Partnerships, fr: Partenariats, ar: الشراكات}
    milestones:
      - {code: LATE, title: Seminar report <draft>, due: 2026-11-20, status: in_progress}
      - {code: SOON, title: Steering committee, due: 2026-12-10, owner: CIVIPOL}
      - {code: NOW, title: Joint patrol agreement, due: 2026-11-28, status: in_progress}
      - {code: OLD, title: Launch, due: 2026-01-15, status: done}
"""
#: People of the first partnership: Telegram id, name, role, Telegram language, chosen one.
PEOPLE = (
    (7, "Carla", Role.COORDINATOR, None, None),
    (8, "Moussa", Role.MEMBER, "en", None),
    (9, "Awa", Role.MEMBER, "pt", "es"),
    (10, "Salma", Role.OBSERVER, "ar", None),
    (11, "Ibrahima", Role.ADMIN, "fr", None),
    (12, "Jon", Role.MEMBER, "en", None),  # blocked the bot
    (13, "Rui", Role.MEMBER, None, None),  # in both partnerships
)
GROUP = -100777


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


async def mixed(services: Services, clock: FakeClock) -> None:
    """Two partnerships in different timezones and languages; restricted meetings and
    challenges, someone named in one, open and overdue actions, a milestone completed, a
    member who blocked the bot, one with a daily schedule of their own, a linked group."""
    clock.now = utc(2026, 11, 20, 9)
    first = await services.partnerships.create(
        name="COP Mauritanie", kind=PartnershipKind.COP, countries=("Mauritania",),
        timezone="Africa/Dakar", language="fr", plan=parse_plan(PLAN),
    )  # fmt: skip
    second = await services.partnerships.create(
        name="NETCOP", kind=PartnershipKind.NETWORK, countries=(), timezone="Europe/Madrid",
        language="en", plan=parse_plan(PLAN.replace("Job plan", "Second plan")),
    )  # fmt: skip
    for user_id, name, role, telegram, chosen in PEOPLE:
        await services.partnerships.add_member(first, user_id=user_id, name=name, role=role)
        if telegram is not None:
            await services.access.identify(TelegramIdentity(user_id, name, None, telegram))
        if chosen is not None:
            async with services.db.transaction() as tx:
                await tx.execute("UPDATE members SET language = ? WHERE id = ?", (chosen, user_id))
    await services.partnerships.add_member(second, user_id=13, name="Rui", role=Role.COORDINATOR)
    await services.partnerships.add_member(second, user_id=14, name="Lena", role=Role.MEMBER)
    async with services.db.transaction() as tx:
        await tx.execute(
            "UPDATE members SET unreachable_at = ? WHERE id = 12", (to_db_time(clock.now),)
        )
    carla = await services.access.identify(TelegramIdentity(7, "Carla", None, None))
    clock.now = utc(2026, 11, 27, 10)
    await services.meetings.save(
        carla,
        first.id,
        MeetingDraft(
            held_at=clock.now - timedelta(days=1),
            title="Informant handling",
            kind=MeetingKind.OPERATIONAL,
            participants=(Participant("Awa", member_id=9),),
            restricted=True,
        ),
    )
    await services.meetings.save(
        carla,
        first.id,
        MeetingDraft(
            held_at=clock.now - timedelta(days=2),
            title="Steering committee",
            kind=MeetingKind.STEERING,
            actions=(
                ActionDraft("Send the minutes", owner_id=8, due_on=clock.now.date()),
                ActionDraft("Book the room", owner_id=10, due_on=utc(2026, 12, 20).date()),
            ),
        ),
    )
    stamp = to_db_time(clock.now)
    async with services.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO challenges (partnership_id, reporter_id, category, severity, title,"
            " restricted, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (first.id, 8, "route", "high", "Own restricted report", 1, stamp, stamp),
                (first.id, 9, "finance", "critical", "Someone else's", 1, stamp, stamp),
                (first.id, 10, "documents", "low", "Open to all", 0, stamp, stamp),
                (second.id, 14, "maritime", "medium", "Elsewhere", 0, stamp, stamp),
            ],
        )
    milestone = await milestone_store.by_code(services.db, first.id, "NOW")
    await services.milestones.update(
        carla, milestone.id, status=MilestoneStatus.DONE, progress=None, note="signed"
    )
    ibrahima = await services.access.identify(TelegramIdentity(11, "Ibrahima", None, "fr"))
    await services.partnerships.link_group(ibrahima, chat_id=GROUP, title="COP team")
    await services.digests.choose(ibrahima, group_chat=GROUP, frequency=Frequency.WEEKLY)
    awa = await services.access.identify(TelegramIdentity(9, "Awa", None, "pt"))
    await services.digests.choose(awa, frequency=Frequency.DAILY, hour=7)
    clock.now = utc(2026, 11, 30, 10)  # Monday, after 08:00 in Dakar and in Madrid


@pytest.fixture
async def two(tmp_path: Path, clock: FakeClock) -> AsyncIterator[list[PartnerbotApplication]]:
    """Two bots on two files holding the same data."""
    made = []
    for name in ("one", "two"):
        settings = Settings(_env_file=None, database_path=tmp_path / f"{name}.sqlite3")  # type: ignore[call-arg]
        app = build_application(
            settings, request=LocalBotApi(bot_username="partnerbot_test_bot"), clock=clock
        )
        await app.services.db.open()
        made.append(app)
    start = clock.now
    for app in made:
        clock.now = start
        await mixed(app.services, clock)
    yield made
    for app in made:
        await app.services.db.close()


async def per_member(app: PartnerbotApplication) -> int:
    """Every due digest one at a time: built and queued in a transaction, then marked."""
    services = app.services
    now = services.clock()
    dues = await services.digests.due(now)
    return await queue_one_by_one(services, services.digests.builder(now), dues, now)


async def outbox(app: PartnerbotApplication) -> list[tuple[object, ...]]:
    """The messages queued, the slots marked and the audit entries written."""
    db = app.services.db
    queued = await db.fetchall(
        "SELECT b.id, b.idempotency_key, b.kind, b.reference, b.partnership_id, b.author_id,"
        " b.urgent, b.audience, b.body, b.created_at, d.id, d.chat_id, d.member_id, d.language,"
        " d.text, d.buttons, d.acknowledge, d.ack_for, d.protect_content, d.status,"
        " d.next_attempt_at FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id"
        " ORDER BY d.id"
    )
    marked = await db.fetchall("SELECT * FROM digest_recipients ORDER BY partnership_id, chat_id")
    audited = await db.fetchall(
        "SELECT at, partnership_id, actor_id, action, detail FROM audit_log"
        " WHERE action = 'digest.enqueue' ORDER BY id"
    )
    return [tuple(row) for rows in (queued, marked, audited) for row in rows]


async def test_batches_queue_exactly_what_one_by_one_queues(
    two: list[PartnerbotApplication], monkeypatch: pytest.MonkeyPatch
) -> None:
    one_by_one, batched = two
    monkeypatch.setattr(job, "BATCH", 2)  # several batches in a partnership
    due = await batched.services.digests.due(batched.services.clock())
    # Seven members and a group in the first partnership (one member unreachable), two
    # members in the second.
    assert sorted(d.chat_id for d in due) == [GROUP, 7, 8, 9, 10, 11, 12, 13, 13, 14]
    assert await per_member(one_by_one) == 9
    assert await queue_due_digests(batched) == 9
    expected = await outbox(one_by_one)
    assert await outbox(batched) == expected
    texts = {(row[4], row[11]): str(row[14]) for row in expected if len(row) > 14}
    assert len(texts) == 9 and (1, 12) not in texts
    assert "Synthèse de COP Mauritanie" in texts[1, 7]  # the partnership's language
    assert "Digest of COP" in texts[1, 8] and "🤝 1 meeting held" in texts[1, 8]
    assert "Boletín de COP" in texts[1, 9]  # the language Awa chose
    assert "النشرة الدورية" in texts[1, 10]  # Salma's Telegram language
    assert "Digest of NETCOP" in texts[2, 14] and "Informant" not in "".join(texts.values())
    # A rerun queues nothing, and nothing is due any more.
    assert await queue_due_digests(batched) == 0
    assert await outbox(batched) == expected
    assert await batched.services.digests.due(batched.services.clock()) == []


async def test_the_batched_digests_are_the_per_member_digests(
    two: list[PartnerbotApplication],
) -> None:
    services = two[0].services
    now = services.clock()
    due = await services.digests.due(now)
    builder = services.digests.builder(now)
    for partnership in {d.partnership for d in due}:
        mine = [d for d in due if d.partnership == partnership and not d.unreachable]
        batch = await builder.build_many(partnership, [(d.member_id, d.since) for d in mine])
        alone = [
            await services.digests.builder(now).build(
                partnership, member_id=d.member_id, since=d.since
            )
            for d in mine
        ]
        assert batch == alone
    # What the readers may see differs, as it must: the coordinator, the member named in
    # the restricted meeting, a member, the group.
    first = next(d.partnership for d in due if d.chat_id == GROUP)
    week = now - timedelta(days=7)
    readers: list[tuple[int | None, datetime]] = [(7, week), (9, week), (8, week), (None, week)]
    seen = [d.activity for d in await builder.build_many(first, readers)]
    assert [a.meetings for a in seen] == [2, 2, 1, 1]
    assert [a.challenges for a in seen] == [
        {"high": 1, "critical": 1, "low": 1},
        {"critical": 1, "low": 1},
        {"high": 1, "low": 1},
        {"low": 1},
    ]
    assert [(a.actions_open, a.actions_overdue) for a in seen] == [
        (0, 0),
        (0, 0),
        (1, 1),
        (None, None),
    ]


async def test_a_failure_after_queueing_sends_nothing_twice(
    two: list[PartnerbotApplication], monkeypatch: pytest.MonkeyPatch
) -> None:
    one_by_one, batched = two
    await per_member(one_by_one)

    async def power_cut(self: DigestService, *_: object) -> None:
        raise RuntimeError("power cut between queueing and marking")

    with monkeypatch.context() as patched:
        patched.setattr(DigestService, "mark_sent_many", power_cut)
        patched.setattr(DigestService, "mark_sent", power_cut)
        await queue_due_digests(batched)  # the rows are written, no slot is marked
    assert len(await batched.services.digests.due(batched.services.clock())) == 10
    await queue_due_digests(batched)
    assert await outbox(batched) == await outbox(one_by_one)
    assert await queue_due_digests(batched) == 0


async def test_a_digest_that_cannot_be_rendered_holds_up_no_one_else(
    two: list[PartnerbotApplication], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = two[1]
    real = job.render_parts

    def broken_for_awa(due: DueDigest, *args: object) -> list[Rendered]:
        if due.chat_id == 9:
            raise ValueError("a broken translation")
        return real(due, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(job, "render_parts", broken_for_awa)
    assert await queue_due_digests(app) == 8
    left = await app.services.digests.due(app.services.clock())
    assert [d.chat_id for d in left] == [9]  # tried again at the next run
