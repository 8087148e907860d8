"""The action plan and digests end to end: the real bot over HTTP, people pressing buttons."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.jobs.digests import queue_due_digests
from domain.models import PartnershipKind, Role
from services.clock import utc_now
from services.container import Services
from services.plan_file import parse_plan
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.partnerbot import person, polling
from tests.fakes import FakeClock
from tests.people import COORDINATOR, MEMBER


async def seed(services: Services, clock: FakeClock) -> None:
    """A partnership whose plan has an overdue milestone, one due soon and one later."""
    today = clock.now.date()
    plan = f"""\
title: COP plan
pillars:
  - code: OPS
    title: {{en: Operations, fr: Opérations}}
    milestones:
      - {{code: R1, title: Risk analysis shared, due: {today - timedelta(days=3)},
          status: in_progress, progress: 50}}
      - {{code: T1, title: Joint training in Dakar, due: {today + timedelta(days=5)}}}
      - {{code: Y1, title: Annual report, due: {today + timedelta(days=200)}}}
"""
    partnership = await services.partnerships.create(
        name="COP Sénégal", kind=PartnershipKind.COP, countries=("Senegal",),
        timezone="Africa/Dakar", language="fr", plan=parse_plan(plan),
    )  # fmt: skip
    for who, role in ((COORDINATOR, Role.COORDINATOR), (MEMBER, Role.MEMBER)):
        await services.partnerships.add_member(
            partnership, user_id=who.id, name=who.first_name, role=role
        )


async def test_milestones_update_digest_and_scheduled_digest(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    clock = FakeClock(now=utc_now())
    async with polling(botapi, tmp_path / "bot.sqlite3", clock=clock) as app:
        await seed(app.services, clock)
        member, coordinator = person(botapi, MEMBER), person(botapi, COORDINATOR)

        await member.send("/milestones")
        overview = await member.next_message()
        assert "Overall progress: 17 % · 0 of 3 milestones done" in overview.content
        assert "⚠️ Overdue (1)" in overview.content and "R1 Risk analysis shared" in overview.content
        assert "📅 Due in the next 30 days (1)" in overview.content
        await member.press("OPS · Operations")
        pillar = await member.next_edit()
        assert "1 overdue" in pillar.content
        await member.press("⚠️ R1 · Risk analysis shared")
        detail = await member.next_edit()
        assert "overdue by 3 days" in detail.content and "No updates yet." in detail.content

        await coordinator.send("/milestone R1")
        await coordinator.next_message()
        await coordinator.press("✏️ Update")
        await coordinator.next_message()  # each step is a message of its own
        await coordinator.press("✅ done")
        await coordinator.next_message()
        await coordinator.send("Shared with all partners")
        saved = await coordinator.next_message()
        assert "Saved." in saved.content and "Status: done · 100 %" in saved.content
        assert "Carlos: done, 100 % — Shared with all partners" in saved.content

        await member.send("/digest")
        digest = await member.next_message()
        assert "Digest of COP Sénégal" in digest.content
        assert "Due in the next 14 days (1)" in digest.content and "T1" in digest.content
        assert "✅ Completed since" in digest.content and "R1" in digest.content
        assert "Overdue" not in digest.content
        assert [b.text for row in digest.buttons for b in row] == [
            "📋 Milestones",
            "⚙️ Digest settings",
        ]

        await member.send("/milestones chart")
        chart = await member.next_message(timeout=20)
        assert chart.photo and "progress per pillar" in chart.content

        # The scheduled digest: a week on, the job (every minute) finds Monday 08:00 passed.
        await member.press("⚙️ Digest settings", digest)
        settings = await member.next_edit(digest)
        assert "Weekly, on Monday at 8:00" in settings.content
        clock.advance(days=7)
        assert await queue_due_digests(app) == 2
        scheduled = await member.next_message(timeout=10)
        assert "Digest of COP Sénégal" in scheduled.content
        assert "⚠️ Overdue (1)" in scheduled.content and "T1" in scheduled.content
        assert "Completed since" not in scheduled.content  # R1 was in the last digest
        assert await queue_due_digests(app) == 0
        await member.expect_no_message()
