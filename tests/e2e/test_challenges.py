"""A critical challenge end to end, over real HTTP: flagged, alerted, escalated, acknowledged,
resolved; and nothing of it seen from another partnership."""

from __future__ import annotations

from pathlib import Path

from bot.jobs.escalation import send_due_escalations
from domain.models import PartnershipKind, Role
from services.clock import utc_now
from services.container import Services
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.partnerbot import polling
from tests.e2e.users import TestUser
from tests.fakes import FakeClock

ADMIN, REPORTER, OUTSIDER = 20, 30, 40
COORDINATORS = (21, 22, 23)
TITLE = "Pirogue with 80 people missing"


async def seed(services: Services) -> None:
    cop = await services.partnerships.create(
        name="COP Mauritanie", kind=PartnershipKind.COP, countries=("Mauritania", "Spain"),
        timezone="Africa/Nouakchott", language="en",
    )  # fmt: skip
    await services.partnerships.add_member(cop, user_id=ADMIN, name="Admin", role=Role.ADMIN)
    for number, user_id in enumerate(COORDINATORS, start=1):
        await services.partnerships.add_member(
            cop, user_id=user_id, name=f"Coordinator {number}", role=Role.COORDINATOR
        )
    await services.partnerships.add_member(cop, user_id=REPORTER, name="Reporter", role=Role.MEMBER)
    jit = await services.partnerships.create(
        name="JIT Niger", kind=PartnershipKind.JIT, countries=("Niger",), timezone="UTC",
        language="en",
    )  # fmt: skip
    await services.partnerships.add_member(jit, user_id=OUTSIDER, name="Outsider", role=Role.ADMIN)


def mentions(user: TestUser, text: str) -> list[str]:
    return [m.content for m in user.history if text in m.content]


async def test_a_critical_challenge_from_flag_to_resolution(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    clock = FakeClock(now=utc_now())
    async with polling(botapi, tmp_path / "bot.sqlite3", clock=clock) as app:
        await seed(app.services)
        admin = botapi.user(id=ADMIN, first_name="Admin", started=True)
        coordinators = [
            botapi.user(id=user_id, first_name=f"Coordinator {n}", started=True)
            for n, user_id in enumerate(COORDINATORS, start=1)
        ]
        reporter = botapi.user(id=REPORTER, first_name="Reporter")
        outsider = botapi.user(id=OUTSIDER, first_name="Outsider")
        await outsider.send("/help")
        await outsider.next_message()

        # The member flags it, step by step, with a location pin.
        await reporter.send("/flag")
        assert "SIENA" in (await reporter.next_message()).content
        await reporter.press("Maritime incident, search and rescue")
        await reporter.next_message()
        await reporter.press("🔴 Critical")
        await reporter.next_message()
        await reporter.send(TITLE)
        await reporter.next_message()
        await reporter.send("/skip")
        assert "Where?" in (await reporter.next_message()).content
        await reporter.send_location(20.9319, -17.0347)
        assert "Pin noted" in (await reporter.next_message()).content
        await reporter.send("Off Nouadhibou")
        await reporter.next_message()
        await reporter.send("/skip")
        await reporter.next_message()
        await reporter.press("Today")
        await reporter.next_message()
        await reporter.press("👥 Every member")
        await reporter.next_message()
        await reporter.send("/skip")
        review = await reporter.next_message()
        assert TITLE in review.content and "Off Nouadhibou" in review.content
        await reporter.press("✓ Submit")
        done = await reporter.next_edit()
        assert "3 coordinators are alerted" in done.content

        # Three coordinators receive it, with Acknowledge and Open.
        for coordinator in coordinators:
            alert = await coordinator.next_message()
            assert "CRITICAL" in alert.content and TITLE in alert.content
            assert [b.text for b in alert.buttons[0]] == ["✅ Acknowledge", "🔎 Open"]
        assert TITLE in (await admin.next_message()).content  # critical: every member

        # Nobody acknowledges; after the delay the escalation reaches the admin.
        clock.advance(minutes=31)
        await send_due_escalations(app.services)
        escalation = await admin.next_message()
        assert "ESCALATION" in escalation.content and TITLE in escalation.content
        for coordinator in coordinators:
            assert "ESCALATION" in (await coordinator.next_message()).content

        # One acknowledges; the reporter sees who.
        second = coordinators[1]
        answer = await second.press("✅ Acknowledge")
        assert "recorded" in (answer.text or "")
        told = await reporter.next_message()
        assert "Coordinator 2 (coordinator) acknowledged your challenge" in told.content
        assert await send_due_escalations(app.services) == 0
        clock.advance(minutes=30)
        assert await send_due_escalations(app.services) == 0  # step 2 is not needed

        # It is resolved, with a note; the reporter is told.
        await second.press("🔎 Open")
        view = await second.next_message()
        assert "Acknowledged by: Coordinator 2 (coordinator)" in view.content
        await second.press("→ Resolved")
        await second.next_message()
        await second.send("Survivors rescued by the coast guard")
        assert "is now resolved" in (await second.next_message()).content
        final = await second.next_message()
        assert "resolved (Coordinator 2): Survivors rescued" in final.content
        told = await reporter.next_message()
        assert "is now resolved" in told.content and "Survivors rescued" in told.content
        assert app.worker is not None
        await app.worker.settle()

        # A member of another partnership saw nothing, and finds nothing.
        assert mentions(outsider, TITLE) == []
        await outsider.send("/challenges")
        assert TITLE not in (await outsider.next_message()).content
        await outsider.expect_no_message()


async def test_a_challenge_corrected_raised_dismissed_and_reopened(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services)
        admin = botapi.user(id=ADMIN, first_name="Admin", started=True)
        coordinator, *_others = [
            botapi.user(id=user_id, first_name=f"Coordinator {n}", started=True)
            for n, user_id in enumerate(COORDINATORS, start=1)
        ]
        reporter = botapi.user(id=REPORTER, first_name="Reporter")

        await reporter.send("/flag medium route Trucks leaving Agadez at night")
        await reporter.next_message()
        await reporter.press("✓ Submit")
        assert "Flagged as #1" in (await reporter.next_edit()).content
        assert "Trucks leaving Agadez" in (await coordinator.next_message()).content

        # The reporter corrects it: a higher severity with a note, and a route.
        await reporter.press("🔎 Open")
        await reporter.next_message()
        await reporter.press("✎ Edit")
        assert "#1: press a field" in (await reporter.next_message()).content
        await reporter.press("✎ Severity")
        await reporter.next_message()
        await reporter.press("🟠 High")
        assert "Send a note" in (await reporter.next_message()).content
        await reporter.send("Three convoys this week")
        await reporter.next_message()
        await reporter.press("✎ Route")
        await reporter.next_message()
        await reporter.send("Agadez → Sebha")
        assert "Agadez → Sebha" in (await reporter.next_message()).content
        await reporter.press("✓ Submit")
        saved = await reporter.next_edit()
        assert "Saved the changes to #1: Severity: 🟡 Medium → 🟠 High, Route." in saved.content

        # Coordinators are alerted again; a high challenge reaches every member now.
        raised = await coordinator.next_message()
        assert "raised to High by Reporter" in raised.content
        assert "Three convoys this week" in raised.content
        assert "raised to High" in (await admin.next_message()).content

        # A coordinator dismisses it, then reopens it with a note; the reporter follows.
        await coordinator.press("🔎 Open")
        view = await coordinator.next_message()
        assert "✎ changed Severity: 🟡 Medium → 🟠 High, Route (Reporter)" in view.content
        await coordinator.press("→ Dismiss")
        await coordinator.next_message()
        await coordinator.press("Without a note")
        assert "is now dismissed" in (await coordinator.next_message()).content
        closed = await coordinator.next_message()
        assert "↺ Reopen" in [b.text for row in closed.buttons for b in row]
        assert "is now dismissed" in (await reporter.next_message()).content
        await coordinator.press("↺ Reopen")
        await coordinator.next_message()
        await coordinator.send("Seen again near Arlit")
        assert "is now reported" in (await coordinator.next_message()).content
        await coordinator.next_message()
        told = await reporter.next_message()
        assert "was reopened by Coordinator 1" in told.content
        assert "Seen again near Arlit" in told.content
        assert app.worker is not None
        await app.worker.settle()
