"""Digests: content for a fixed time in each language, schedules across daylight-saving
changes, a digest missed while the bot was down sent once, settings, linked groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.app import build_application, running
from bot.config import Settings
from bot.i18n import FIRST_STRONG_ISOLATE, translator
from bot.jobs.digests import queue_due_digests, render_parts, send_due_digests
from bot.local_api import LocalBotApi, LocalUser
from bot.views.digests import digest_text
from bot.views.milestones import LISTED
from domain.meetings import MeetingKind, Participant
from domain.milestones import MilestoneStatus
from domain.models import Partnership, PartnershipKind, Role
from services.access import TelegramIdentity
from services.container import Services
from services.digests import (
    DEFAULT_SCHEDULE,
    DigestService,
    DueDigest,
    Frequency,
    Schedule,
    latest_slot,
    next_slot,
)
from services.errors import InvalidInput
from services.meeting_fields import ActionDraft, MeetingDraft
from services.plan_file import parse_plan
from storage import milestones as store
from tests.fakes import BotDriver, FakeClock, texts
from tests.helpers import plain
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER
from tests.telegram_format import html_problem

PLAN = """\
title: Digest plan
pillars:
  - code: P1
    title: {en: Partnerships, fr: Partenariats, ar: الشراكات}
    milestones:
      - {code: LATE, title: Seminar report <draft>, due: 2026-11-20, status: in_progress}
      - {code: SOON, title: Steering committee, due: 2026-12-10, owner: CIVIPOL}
      - {code: LATER, title: Annual review, due: 2027-03-01}
      - {code: NOW, title: Joint patrol agreement, due: 2026-11-28, status: in_progress}
      - {code: OLD, title: Launch, due: 2026-01-15, status: done}
"""


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def seeded(
    services: Services, clock: FakeClock, timezone: str = "Africa/Dakar"
) -> Partnership:
    """A partnership with the plan above, a coordinator (7) and a member (8); a week later,
    the coordinator marks NOW done."""
    partnership = await services.partnerships.create(
        name="COP Mauritanie", kind=PartnershipKind.COP, countries=("Mauritania",),
        timezone=timezone, language="fr", plan=parse_plan(PLAN),
    )  # fmt: skip
    await services.partnerships.add_member(
        partnership, user_id=7, name="Carla", role=Role.COORDINATOR
    )
    await services.partnerships.add_member(partnership, user_id=8, name="Moussa", role=Role.MEMBER)
    return partnership


async def finish(services: Services, partnership: Partnership, code: str) -> None:
    carla = await services.access.identify(TelegramIdentity(7, "Carla", None, "en"))
    milestone = await store.by_code(services.db, partnership.id, code)
    await services.milestones.update(
        carla, milestone.id, status=MilestoneStatus.DONE, progress=None, note="signed"
    )


# -- content -----------------------------------------------------------------------------------


async def test_digest_content_for_a_fixed_time(services: Services, clock: FakeClock) -> None:
    clock.now = utc(2026, 11, 23, 9)
    partnership = await seeded(services, clock)
    moussa = await services.access.identify(TelegramIdentity(8, "Moussa", None, "en"))
    clock.now = utc(2026, 11, 30, 9)
    await finish(services, partnership, "NOW")
    digest = await services.digests.builder(clock.now).build(
        partnership, member_id=8, since=utc(2026, 11, 23, 9)
    )
    assert [m.code for m in digest.overdue] == ["LATE"]
    assert [m.code for m in digest.due_soon] == ["SOON"]  # LATER is beyond 14 days
    assert [m.code for m in digest.completed] == ["NOW"]  # OLD was done long before
    english = str(digest_text(translator("en"), digest))
    assert english == (
        "📰 <b>Digest of COP Mauritanie</b>\n"
        "Monday, November 30, 2026 · overall progress 40 %\n"
        "\n"
        "<b>⚠️ Overdue (1)</b>\n"
        "⚠️ <code>LATE</code> Seminar report &lt;draft&gt; — due November 20, 2026\n"
        "\n"
        "<b>📅 Due in the next 14 days (1)</b>\n"
        "🗓 <code>SOON</code> Steering committee — due December 10, 2026\n"
        "\n"
        "<b>✅ Completed since November 23, 2026, 9:00\u202fAM (1)</b>\n"
        "✅ <code>NOW</code> Joint patrol agreement — due November 28, 2026\n"
        "\n"
        "🤝 0 meetings held since November 23, 2026, 9:00\u202fAM — /meetings\n"
        "🚩 New challenges: critical: 0 · high: 0 · medium: 0 · low: 0 — /challenges\n"
        "📌 Your follow-up actions: 0 open, 0 overdue — /actions\n"
        "\n"
        "More: /milestones · /digest settings"
    )
    french = str(digest_text(translator("fr"), digest))
    assert "20 novembre 2026" in french and "10 décembre 2026" in french
    arabic = str(digest_text(translator("ar"), digest))
    # In the long form, as a meeting's card: the month named, not 20‏/11‏/2026.
    assert "20 نوفمبر 2026" in arabic and "الاثنين، 30 نوفمبر 2026" in arabic
    assert "\u200f/" not in arabic and f"{FIRST_STRONG_ISOLATE}COP Mauritanie" in arabic
    for language in ("en", "fr", "ar", "pt", "es"):
        assert html_problem(str(digest_text(translator(language), digest))) is None
    # On demand, the digest covers the time since the member's previous digest.
    first = await services.digests.for_caller(moussa)
    assert first.since == clock.now - timedelta(days=7)
    clock.advance(hours=2)
    assert (await services.digests.for_caller(moussa)).since == utc(2026, 11, 30, 9)


async def test_a_long_digest_is_split_below_telegrams_limit(
    services: Services, clock: FakeClock
) -> None:
    # 20 overdue, 20 due within 14 days, 20 completed during the last week.
    title = "Long title & more " * 6
    lines = "".join(
        f"      - {{code: L{n:02}, title: '{title}{n}', due: 2026-11-{n % 20 + 1:02}}}\n"
        f"      - {{code: S{n:02}, title: '{title}{n}', due: 2026-12-{n % 13 + 1:02}}}\n"
        f"      - {{code: D{n:02}, title: '{title}{n}', due: 2026-11-{n % 6 + 24:02},"
        " status: done}\n"
        for n in range(20)
    )
    plan = PLAN.replace("    milestones:\n", "    milestones:\n" + lines)
    partnership = await services.partnerships.create(
        name="NETCOP", kind=PartnershipKind.NETWORK, countries=(), timezone="UTC",
        language="en", plan=parse_plan(plan),
    )  # fmt: skip
    digest = await services.digests.builder(clock.now).build(
        partnership, member_id=None, since=clock.now - timedelta(days=7)
    )
    due = DueDigest(partnership, -100, None, "ar", clock.now, clock.now - timedelta(days=7))
    parts = render_parts(due, digest)
    assert len(parts) >= 2
    for part in parts:
        assert html_problem(part.text) is None
    # Each list is capped (in Arabic, the group's language here): 22 overdue (with LATE and
    # NOW), 21 due soon (with SOON), 20 completed.
    arabic = translator("ar")
    capped = [
        str(arabic.plural("… and {count} more", "… and {count} more", total - LISTED))
        for total in (22, 21, 20)
    ]
    assert [line for part in parts for line in part.text.splitlines() if line in capped] == capped
    assert all(part.buttons == () for part in parts)  # groups get no buttons


# -- schedules ---------------------------------------------------------------------------------


def test_slots_follow_madrid_across_daylight_saving() -> None:
    weekly = Schedule(Frequency.WEEKLY, weekday=0, hour=8)
    madrid = "Europe/Madrid"
    # Spring: clocks go forward on Sunday 29 March 2026; Monday 08:00 moves from 07:00 UTC
    # (winter time) to 06:00 UTC (summer time).
    assert latest_slot(weekly, madrid, utc(2026, 3, 30, 5, 59)) == utc(2026, 3, 23, 7)
    assert latest_slot(weekly, madrid, utc(2026, 3, 30, 6)) == utc(2026, 3, 30, 6)
    assert next_slot(weekly, madrid, utc(2026, 3, 24)) == utc(2026, 3, 30, 6)
    # Autumn: back on Sunday 25 October 2026.
    assert latest_slot(weekly, madrid, utc(2026, 10, 26, 6, 30)) == utc(2026, 10, 19, 6)
    assert next_slot(weekly, madrid, utc(2026, 10, 20)) == utc(2026, 10, 26, 7)
    # 02:00 does not exist on 29 March (it happens at 03:00 summer time) and happens twice on
    # 25 October (the first one counts).
    night = Schedule(Frequency.DAILY, hour=2)
    assert latest_slot(night, madrid, utc(2026, 3, 29, 1, 30)) == utc(2026, 3, 29, 1)
    assert latest_slot(night, madrid, utc(2026, 10, 25, 1, 30)) == utc(2026, 10, 25, 0)
    assert latest_slot(Schedule(Frequency.OFF), madrid, utc(2026, 3, 29)) is None
    with pytest.raises(InvalidInput):
        Schedule(Frequency.DAILY, hour=24)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (utc(2026, 3, 28, 20), utc(2026, 3, 29, 23), [utc(2026, 3, 29, 1)]),
        (utc(2026, 10, 24, 20), utc(2026, 10, 25, 23), [utc(2026, 10, 25, 0)]),
    ],
)
async def test_a_nightly_digest_comes_once_on_the_nights_the_clocks_change(
    services: Services,
    clock: FakeClock,
    start: datetime,
    end: datetime,
    expected: list[datetime],
) -> None:
    clock.now = start
    partnership = await seeded(services, clock, timezone="Europe/Madrid")
    moussa = await services.access.identify(TelegramIdentity(8, "Moussa", None, "en"))
    await services.digests.choose(moussa, frequency=Frequency.DAILY, hour=2)
    sent: list[datetime] = []
    while clock.now <= end:
        for due in await services.digests.due(clock.now):
            if due.chat_id == 8:
                sent.append(due.slot)
            await services.digests.mark_sent(due, clock.now)
        clock.advance(minutes=10)
    assert sent == expected
    assert partnership.timezone == "Europe/Madrid"


async def test_new_members_and_new_schedules_never_get_a_digest_for_a_past_time(
    services: Services, clock: FakeClock
) -> None:
    clock.now = utc(2026, 11, 30, 9)  # Monday, an hour after the weekly digest
    partnership = await seeded(services, clock)
    assert await services.digests.due(clock.now) == []
    moussa = await services.access.identify(TelegramIdentity(8, "Moussa", None, "en"))
    # Daily at 08:00, chosen at 09:00: the first one is tomorrow.
    await services.digests.choose(moussa, frequency=Frequency.DAILY)
    assert await services.digests.due(clock.now) == []
    clock.advance(days=1)
    assert [d.chat_id for d in await services.digests.due(clock.now)] == [8]
    # The partnership's new schedule counts from its change too.
    await services.digests.set_partnership_schedule(partnership, Schedule(Frequency.DAILY, hour=7))
    assert [d.chat_id for d in await services.digests.due(clock.now)] == [8]
    assert await services.digests.partnership_schedule(partnership) == Schedule(
        Frequency.DAILY, hour=7
    )
    assert Schedule(Frequency.WEEKLY, 0, 8) == DEFAULT_SCHEDULE


async def test_missed_while_down_is_sent_once_after_a_restart(
    settings: Settings, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = LocalBotApi(bot_username="partnerbot_test_bot")
    clock.now = utc(2026, 11, 25, 12)  # a Wednesday
    app = build_application(settings, request=api, clock=clock, rate_limiter=False)
    async with running(app):
        jobs = [job.callback for job in app.job_queue.jobs()]
        assert send_due_digests in jobs  # runs every minute, first right after start-up
        partnership = await seeded(app.services, clock)
        assert await queue_due_digests(app) == 0
    # Down from Wednesday to the next Tuesday: Monday 08:00 passed meanwhile.
    clock.now = utc(2026, 12, 1, 10)
    real_mark = DigestService.mark_sent
    crashes = {"left": 1}

    async def crash_once(self: DigestService, due: DueDigest, now: datetime) -> None:
        if crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("power cut between queueing and marking")
        await real_mark(self, due, now)

    monkeypatch.setattr(DigestService, "mark_sent", crash_once)
    for _restart in range(3):
        app = build_application(settings, request=api, clock=clock, rate_limiter=False)
        async with running(app):
            await queue_due_digests(app)
            assert app.worker is not None
            await app.worker.settle()
    # Neither has written to the bot: their digest is in the partnership's language.
    for person in (7, 8):
        received = [m for m in api.sent_to(person) if "Synthèse de COP Mauritanie" in m["text"]]
        assert len(received) == 1, person
    assert partnership.slug == "cop-mauritanie"


# -- in the bot --------------------------------------------------------------------------------


async def test_scheduled_digest_in_each_language_and_in_a_linked_group(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    group = driver.updates.group_chat(-100555, "COP <team>")
    await driver.send(ADMIN, "/linkgroup", chat=group)
    await driver.send(MEMBER, "/language")
    await driver.press(MEMBER, "Français")
    refused = texts(await driver.send(MEMBER, "/digest settings", chat=group))
    assert "Seuls les administrateurs" in refused  # in the member's language
    shown = await driver.send(ADMIN, "/digest settings", chat=group)
    assert "Off: no scheduled digests" in texts(shown)
    await driver.press(ADMIN, "Weekly", chat_id=group["id"])
    assert "Weekly, on Monday at 8:00" in driver.text_of(group["id"])
    # The admin's buttons act for the admin only: another person is answered privately.
    await driver.press(OBSERVER, "Off", message=driver.last_keyboard_message(group["id"]))
    assert "someone else's message" in driver.answers()[-1]
    assert "Weekly, on Monday at 8:00" in driver.text_of(group["id"])
    clock.advance(days=7)  # next Monday 09:00 in Dakar: the 08:00 digest is due
    await queue_due_digests(driver.app)
    assert driver.app.worker is not None
    await driver.app.worker.settle()
    driver.check_calls()
    # The member chose French; the admin and the observer wrote with Telegram in English; the
    # coordinator never wrote to the bot and the group has no language: the partnership's.
    member = driver.api.sent_to(MEMBER.id)[-1]
    assert "Synthèse de COP Sénégal" in member["text"] and "lundi 7 décembre 2026" in member["text"]
    labels = [b["text"] for row in member["reply_markup"]["inline_keyboard"] for b in row]
    assert len(labels) == 2
    in_group = driver.api.sent_to(group["id"])[-1]["text"]
    assert "Synthèse de COP Sénégal" in in_group and "/digest settings" not in in_group
    for person in (ADMIN, OBSERVER):
        assert "Digest of COP Sénégal" in driver.api.sent_to(person.id)[-1]["text"]
    assert "Synthèse de COP Sénégal" in driver.api.sent_to(COORDINATOR.id)[-1]["text"]
    # The next run finds nothing more to send.
    assert await queue_due_digests(driver.app) == 0


async def test_digest_now_and_its_settings(driver: BotDriver, partnership: Partnership) -> None:
    digest = await driver.send(MEMBER, "/digest")
    assert "Digest of COP Sénégal" in texts(digest)
    await driver.press(MEMBER, "Digest settings")
    assert "Weekly, on Monday at 8:00" in driver.text_of(MEMBER.id)
    assert "partnership's schedule" in driver.text_of(MEMBER.id)
    await driver.press(MEMBER, "Daily")
    await driver.press(MEMBER, "Hour")
    await driver.press(MEMBER, "7:00")
    text = driver.text_of(MEMBER.id)
    assert "Daily at 7:00" in text and "your own choice" in text and "Dec 1, 2026, 7:00" in text
    await driver.press(MEMBER, "Weekly")
    await driver.press(MEMBER, "Fri")
    assert "Weekly, on Friday at 7:00" in driver.text_of(MEMBER.id)
    await driver.press(MEMBER, "Off")
    assert "Next digest" not in driver.text_of(MEMBER.id)
    await driver.press(MEMBER, "partnership's schedule")
    assert "Weekly, on Monday at 8:00" in driver.text_of(MEMBER.id)
    # In a group that is not linked, /digest says so.
    group = driver.updates.group_chat(-100556, "Other")
    assert "could not find" in texts(await driver.send(MEMBER, "/digest", chat=group))


async def test_a_restricted_meeting_never_appears_in_another_members_digest(
    services: Services, clock: FakeClock
) -> None:
    partnership = await seeded(services, clock)
    await services.partnerships.add_member(partnership, user_id=9, name="Awa", role=Role.MEMBER)
    carla = await services.access.identify(TelegramIdentity(7, "Carla", None, "en"))
    since = clock.now - timedelta(days=7)
    yesterday = clock.now.date() - timedelta(days=1)
    await services.meetings.save(
        carla,
        partnership.id,
        MeetingDraft(
            held_at=clock.now - timedelta(days=1),
            title="Informant handling (restricted)",
            kind=MeetingKind.OPERATIONAL,
            participants=(Participant("Awa", member_id=9),),
            restricted=True,
        ),
    )
    await services.meetings.save(
        carla,
        partnership.id,
        MeetingDraft(
            held_at=clock.now - timedelta(days=2),
            title="Steering committee",
            kind=MeetingKind.STEERING,
            actions=(ActionDraft("Send the minutes", owner_id=8, due_on=yesterday),),
        ),
    )
    builder = services.digests.builder(clock.now)
    seen = {
        viewer: (await builder.build(partnership, member_id=viewer, since=since)).activity
        for viewer in (7, 8, 9, None)
    }
    assert {viewer: activity.meetings for viewer, activity in seen.items()} == {
        7: 2,  # coordinators see restricted meetings
        8: 1,
        9: 2,  # named in it
        None: 1,  # a linked group: partnership-wide meetings only
    }
    assert (seen[8].actions_open, seen[8].actions_overdue) == (1, 1)
    assert seen[None].actions_open is None  # nothing personal in a group
    assert seen[8].challenges == {}
    moussa = await builder.build(partnership, member_id=8, since=since)
    text = str(digest_text(translator("en"), moussa))
    assert "🤝 1 meeting held since" in text and "Informant" not in text
    assert "📌 Your follow-up actions: 1 open, 1 overdue — /actions" in text


async def test_the_settings_word_is_understood_in_every_language_and_others_send_nothing(
    driver: BotDriver, partnership: Partnership
) -> None:
    portuguese = LocalUser(901, "Joana", language_code="pt")
    arabic = LocalUser(902, "Salma", language_code="ar")
    for person in (portuguese, arabic):
        await driver.app.services.partnerships.add_member(
            partnership, user_id=person.id, name=person.first_name, role=Role.MEMBER
        )
    # The footer of the digest names the word in the reader's language ...
    assert "/digest definições" in texts(await driver.send(portuguese, "/digest"))
    # ... and each word opens the settings, in any language and without accents.
    for person, words in (
        (portuguese, ("definições", "Definicoes", "settings")),
        (arabic, ("إعدادات", "réglages")),
    ):
        for word in words:
            shown = plain(texts(await driver.send(person, f"/digest {word}")))
            assert "🕗" in str(driver.last_keyboard_message(person.id)), (person, word, shown)
    # An unknown word is explained; no digest is sent and its "since" does not move.
    sent = len(driver.api.sent_to(portuguese.id))
    before = await driver.app.services.db.fetchall("SELECT * FROM digest_recipients")
    explained = texts(await driver.send(portuguese, "/digest semanal"))
    assert "Não conheço semanal depois de /digest" in explained
    assert "/digest definições abre" in explained
    assert len(driver.api.sent_to(portuguese.id)) == sent + 1
    after = await driver.app.services.db.fetchall("SELECT * FROM digest_recipients")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
