"""Broadcasts end to end: the outbox worker against a strict server that fails on purpose."""

from __future__ import annotations

from pathlib import Path

from bot.app import make_services
from domain.models import PartnershipKind, Role
from services.container import Services
from storage.db import Database
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.partnerbot import BotProcess, polling
from tests.e2e.users import TestUser

COORDINATOR_ID = 10
FIRST_MEMBER = 1000


async def seed(services: Services, members: int) -> None:
    partnership = await services.partnerships.create(
        name="NETCOP",
        kind=PartnershipKind.NETWORK,
        countries=("Niger",),
        timezone="UTC",
        language="en",
    )
    await services.partnerships.add_member(
        partnership, user_id=COORDINATOR_ID, name="Coordinator", role=Role.COORDINATOR
    )
    for number in range(members):
        await services.partnerships.add_member(
            partnership, user_id=FIRST_MEMBER + number, name=f"Member {number:03}", role=Role.MEMBER
        )


def people(server: BotApiServer, members: int) -> tuple[TestUser, list[TestUser]]:
    coordinator = server.user(id=COORDINATOR_ID, first_name="Coordinator")
    recipients = [
        server.user(id=FIRST_MEMBER + n, first_name=f"Member {n:03}", started=True)
        for n in range(members)
    ]
    return coordinator, recipients


async def send_broadcast(coordinator: TestUser, text: str) -> None:
    await coordinator.send("/broadcast")
    await coordinator.next_message()
    await coordinator.send(text)
    await coordinator.next_message()
    await coordinator.press("Everyone in the partnership")
    await coordinator.next_message()  # each step is a message of its own
    await coordinator.press("Normal")
    await coordinator.next_message()  # the preview
    await coordinator.next_message()  # "This goes to N recipients" with Send
    await coordinator.press("✓ Send")


def received(server: BotApiServer, user: TestUser, text: str) -> int:
    return sum(1 for message in server.sent_messages(user.id) if text in (message.text or ""))


async def test_broadcast_to_50_members_with_acknowledgements(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services, 50)
        coordinator, members = people(botapi, 50)
        await send_broadcast(coordinator, "Team meeting at 10:00")
        for member in members:
            message = await member.next_message()
            assert "Team meeting at 10:00" in (message.text or "")
        for member in members[:20]:
            await member.press("✅ Acknowledge")
        assert app.worker is not None
        await app.worker.settle()
        status = coordinator.last_message
        assert status is not None
        assert "Delivered 50 · pending 0 · failed 0 · acknowledged 20 of 50" in (status.text or "")
        await coordinator.send("/alerts")
        listing = await coordinator.next_message()
        assert "acknowledged 20 of 50" in (listing.text or "")


async def test_faults_lose_nothing_and_retry_only_what_may_succeed(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    botapi.expect_violations()  # the refusals below are provoked on purpose
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services, 30)
        coordinator, members = people(botapi, 30)
        blocked = members[:3]
        for member in blocked:
            botapi.faults.block(member.id)
        botapi.faults.add("sendMessage", 429, retry_after=0.3, times=4, skip=5)
        botapi.faults.add("sendMessage", 502, fraction=0.2, times=6)
        botapi.faults.add("sendMessage", 500, chat_id=members[10].id, times=2)
        await send_broadcast(coordinator, "Alert: route change")
        reachable = members[3:]
        await botapi.wait_for(
            lambda: all(received(botapi, m, "route change") >= 1 for m in reachable),
            20,
            "the broadcast to reach every reachable member",
        )
        assert app.worker is not None
        await app.worker.settle()
        assert all(received(botapi, m, "route change") == 1 for m in reachable)
        # Blocked people were tried once each and never again.
        for member in blocked:
            attempts = [
                c
                for c in botapi.calls_of("sendMessage")
                if str(c.params.get("chat_id")) == str(member.id)
            ]
            assert len(attempts) == 1
        rows = await app.services.db.fetchall(
            "SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status"
        )
        assert {row["status"]: row["n"] for row in rows} == {"sent": 27, "dead": 3}


async def test_time_outs_are_retried(botapi: BotApiServer, tmp_path: Path) -> None:
    botapi.expect_violations()
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services, 3)
        coordinator, members = people(botapi, 3)
        # The first attempt to the first member hangs until the bot gives up on it; Telegram
        # did deliver it (`takes_effect`), so after the retry that person has it twice: the
        # at-least-once guarantee, bounded by the messages in flight.
        botapi.faults.timeout("sendMessage", chat_id=members[0].id, times=1, takes_effect=True)
        await send_broadcast(coordinator, "Checkpoint moved")
        await botapi.wait_for(
            lambda: received(botapi, members[0], "Checkpoint moved") == 2,
            30,
            "the timed-out message to be sent again",
        )
        assert app.worker is not None
        await app.worker.settle()
        assert [received(botapi, m, "Checkpoint moved") for m in members] == [2, 1, 1]
        row = await app.services.db.fetchone(
            "SELECT status, attempts FROM deliveries WHERE chat_id = ?", (members[0].id,)
        )
        assert (row["status"], row["attempts"]) == ("sent", 2)


async def test_killed_in_the_middle_of_a_broadcast_every_recipient_gets_it(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    db = Database(database)
    await db.open()
    await seed(make_services(db), 500)
    await db.close()
    concurrency = 8
    coordinator, members = people(botapi, 500)
    # Slow sends down so the crash lands in the middle of the broadcast.
    botapi.faults.add("sendMessage", None, delay=0.05, times=None)
    settings = {"OUTBOX_CONCURRENCY": str(concurrency), "RATE_LIMITER": "false"}
    bot = BotProcess(botapi, database, **settings)
    await bot.start()
    try:
        await send_broadcast(coordinator, "Crash-proof message")
        await botapi.wait_for(
            lambda: sum(received(botapi, m, "Crash-proof") for m in members) >= 100,
            30,
            "100 recipients to have the message",
        )
        await bot.kill()
        before_restart = sum(received(botapi, m, "Crash-proof") for m in members)
        assert before_restart < 500, "the crash came too late to test anything"
        bot = BotProcess(botapi, database, **settings)
        await bot.start()
        await botapi.wait_for(
            lambda: all(received(botapi, m, "Crash-proof") >= 1 for m in members),
            60,
            "every recipient to have the message after the restart",
        )
        twice = [m.id for m in members if received(botapi, m, "Crash-proof") > 1]
        # At most the messages in flight at the crash arrive twice.
        assert len(twice) <= concurrency, twice
    finally:
        await bot.stop()


async def test_a_broadcast_keeps_within_telegrams_limits_from_its_first_second(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    # 30 messages in any one second, one a second a chat: more recipients than one second
    # holds, so the burst at the start has to stop at the window's edge.
    botapi.enforce_rate_limits(overall_per_second=30, per_chat_per_second=1)
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services, 48)
        coordinator, members = people(botapi, 48)
        await send_broadcast(coordinator, "Checkpoint moved north")
        await botapi.wait_for(
            lambda: all(received(botapi, m, "Checkpoint moved") >= 1 for m in members),
            30,
            "the broadcast to reach every member",
        )
        assert app.worker is not None
        await app.worker.settle()
        assert all(received(botapi, m, "Checkpoint moved") == 1 for m in members)
        assert botapi.stats.rate_limited == 0
        flood_waits = app.metrics.registry.get_sample_value("partnerbot_telegram_retry_after_total")
        assert flood_waits == 0
