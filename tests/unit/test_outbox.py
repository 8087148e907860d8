"""The outbox and its worker: every message arrives once, faults are retried or recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.callbacks import Acknowledge, MilestonesOverview
from bot.local_api import LocalUser
from domain.models import Partnership, Role
from domain.outbox import Delivery, DeliveryStatus
from services.access import Caller, TelegramIdentity
from services.outbox import AfterCommit, Keyed, Recipient, Rendered, RetryLater, backoff
from storage.db import Transaction
from tests.fakes import BotDriver, FakeClock

PEOPLE = [
    LocalUser(2000 + n, f"Person {n}", language_code=("fr", "en", "ar")[n % 3]) for n in range(12)
]


async def enqueue(driver: BotDriver, recipients: list[Recipient], **extra) -> int:
    return await driver.app.services.outbox.enqueue(
        kind="test",
        reference=None,
        partnership_id=None,
        recipients=recipients,
        render=lambda language: Rendered(f"<b>hello</b> in {language}"),
        **extra,
    )


def recipients(people: list[LocalUser] = PEOPLE) -> list[Recipient]:
    return [Recipient(p.id, p.id, p.language_code or "en") for p in people]


async def statuses(driver: BotDriver, broadcast_id: int) -> dict[int, DeliveryStatus]:
    rows = await driver.app.services.db.fetchall(
        "SELECT chat_id, status FROM deliveries WHERE broadcast_id = ?", (broadcast_id,)
    )
    return {row["chat_id"]: DeliveryStatus(row["status"]) for row in rows}


async def test_every_recipient_gets_the_message_in_their_language(driver: BotDriver) -> None:
    broadcast = await enqueue(driver, recipients(), acknowledge=True)
    await driver.settle()
    for person in PEOPLE:
        (message,) = driver.api.sent_to(person.id)
        assert message["text"] == f"<b>hello</b> in {person.language_code}"
        data = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        assert Acknowledge.parse(data) is not None
    assert set((await statuses(driver, broadcast)).values()) == {DeliveryStatus.SENT}


async def test_a_chats_messages_arrive_in_order(driver: BotDriver) -> None:
    person = PEOPLE[:1]
    for number in range(3):
        await driver.app.services.outbox.enqueue(
            kind="test", reference=None, partnership_id=None, recipients=recipients(person),
            render={"fr": Rendered(f"message {number}")},
        )  # fmt: skip
    await driver.settle()
    assert [m["text"] for m in driver.api.sent_to(person[0].id)] == [
        "message 0", "message 1", "message 2"
    ]  # fmt: skip


async def test_flood_control_is_honoured_and_nothing_is_lost(
    driver: BotDriver, clock: FakeClock
) -> None:
    driver.api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=3)
    broadcast = await enqueue(driver, recipients())
    await driver.settle()
    clock.advance(seconds=2)  # the rescheduled ones are due now
    driver.app.worker.poke()
    await driver.settle()
    assert set((await statuses(driver, broadcast)).values()) == {DeliveryStatus.SENT}
    assert all(len(driver.api.sent_to(p.id)) == 1 for p in PEOPLE)
    errors = await driver.app.services.db.fetchall(
        "SELECT attempts FROM deliveries WHERE attempts > 1"
    )
    assert len(errors) == 3


async def test_network_errors_and_5xx_are_retried_with_back_off(
    driver: BotDriver, clock: FakeClock
) -> None:
    target = PEOPLE[0]
    driver.api.fail("sendMessage", 502, "Bad Gateway", chat_id=target.id, times=2)
    broadcast = await enqueue(driver, recipients(PEOPLE[:3]))
    await driver.settle()
    row = await driver.app.services.db.fetchone(
        "SELECT status, attempts, last_error, next_attempt_at FROM deliveries WHERE chat_id = ?",
        (target.id,),
    )
    assert row["status"] == "failed" and "Bad Gateway" in row["last_error"]
    for _ in range(2):
        clock.advance(minutes=1)
        driver.app.worker.poke()
        await driver.settle()
    assert (await statuses(driver, broadcast))[target.id] is DeliveryStatus.SENT
    assert len(driver.api.sent_to(target.id)) == 1


async def test_blocked_recipients_are_marked_and_never_retried(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    blocked = PEOPLE[1]
    await driver.app.services.partnerships.add_member(
        partnership, user_id=blocked.id, name="Blocked", role=Role.MEMBER
    )
    driver.api.fail(
        "sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=blocked.id
    )
    broadcast = await enqueue(driver, recipients(PEOPLE[:3]))
    await driver.settle()
    clock.advance(hours=1)
    driver.app.worker.poke()
    await driver.settle()
    assert (await statuses(driver, broadcast))[blocked.id] is DeliveryStatus.DEAD
    calls = [c for c in driver.calls("sendMessage") if c.params["chat_id"] == blocked.id]
    assert len(calls) == 1
    member = await driver.app.services.access.identify_known(blocked.id)
    assert member is not None and member.member is not None and member.member.unreachable
    # Writing to the bot again makes them reachable.
    await driver.send(blocked, "/help")
    member = await driver.app.services.access.identify_known(blocked.id)
    assert member is not None and member.member is not None and not member.member.unreachable


async def test_a_rejected_message_is_a_dead_letter_with_its_error(driver: BotDriver) -> None:
    driver.api.fail("sendMessage", 400, "Bad Request: chat not found", chat_id=PEOPLE[0].id)
    broadcast = await enqueue(driver, recipients(PEOPLE[:2]))
    await driver.settle()
    row = await driver.app.services.db.fetchone(
        "SELECT status, last_error FROM deliveries WHERE broadcast_id = ? AND chat_id = ?",
        (broadcast, PEOPLE[0].id),
    )
    assert (row["status"], row["last_error"]) == ("dead", "Chat not found")


async def test_deliveries_in_flight_at_a_crash_are_sent_again(driver: BotDriver) -> None:
    outbox = driver.app.services.outbox
    await driver.app.worker.stop()
    broadcast = await enqueue(driver, recipients(PEOPLE[:4]))
    claimed = await outbox.claim(2)  # as if a worker died while sending these two
    assert len(claimed) == 2
    assert await outbox.recover() == 2
    assert set((await statuses(driver, broadcast)).values()) == {DeliveryStatus.PENDING}


async def test_giving_up_after_too_many_attempts(driver: BotDriver) -> None:
    outbox = driver.app.services.outbox
    await driver.app.worker.stop()
    broadcast = await enqueue(driver, recipients(PEOPLE[:1]))
    await driver.app.services.db.fetchall("SELECT 1")
    async with driver.app.services.db.transaction() as tx:
        await tx.execute("UPDATE deliveries SET attempts = 11 WHERE broadcast_id = ?", (broadcast,))
    (delivery,) = await outbox.claim(5)
    await outbox.record(delivery, RetryLater("timed out"))
    assert (await statuses(driver, broadcast))[PEOPLE[0].id] is DeliveryStatus.DEAD


def test_backoff_grows_and_is_capped() -> None:
    delays = [backoff(attempt).total_seconds() for attempt in range(1, 15)]
    assert 1.5 < delays[0] < 2.5
    assert delays[5] > delays[2]
    assert max(delays) <= timedelta(minutes=15).total_seconds() * 1.2


async def test_same_idempotency_key_queues_once(driver: BotDriver) -> None:
    first = await enqueue(driver, recipients(PEOPLE[:2]), idempotency_key="draft-1")
    second = await enqueue(driver, recipients(PEOPLE[:2]), idempotency_key="draft-1")
    await driver.settle()
    assert first == second
    assert len(driver.api.sent_to(PEOPLE[0].id)) == 1


async def test_enqueue_many_writes_what_enqueue_writes(driver: BotDriver) -> None:
    """Digests are queued many at a time: each message's broadcast, delivery and audit entry
    are those `enqueue` writes for it, and a key queues once, even twice in one call."""
    services = driver.app.services
    person = recipients(PEOPLE[:1])[0]
    rendered = Rendered("<b>Synthèse</b>", buttons=(("Jalons", MilestonesOverview().pack()),))
    await services.outbox.enqueue(
        kind="digest",
        reference="digest:1",
        partnership_id=None,
        recipients=[person],
        render={person.language: rendered},
        idempotency_key="digest:1",
    )
    twice = [Keyed("digest:2", "digest:1", None, person, rendered)] * 2
    assert await services.outbox.enqueue_many("digest", twice) == 1
    assert await services.outbox.enqueue_many("digest", twice[:1]) == 0

    broadcasts = await services.db.fetchall(
        "SELECT partnership_id, kind, reference, author_id, urgent, audience, body, remind_at"
        " FROM broadcasts ORDER BY id"
    )
    deliveries = await services.db.fetchall(
        "SELECT chat_id, member_id, language, text, media_kind, media_file_id, acknowledge,"
        " ack_for, buttons, protect_content FROM deliveries ORDER BY id"
    )
    audited = await services.db.fetchall(
        "SELECT partnership_id, actor_id, action, json_remove(detail, '$.broadcast_id')"
        " FROM audit_log WHERE action = 'digest.enqueue' ORDER BY id"
    )
    for rows in (broadcasts, deliveries, audited):
        first, second = (tuple(row) for row in rows)
        assert first == second


async def test_an_acknowledgement_and_what_it_means_are_one_transaction(
    driver: BotDriver,
) -> None:
    """A kind's hook runs in the acknowledgement's transaction: if it fails, nothing of the
    acknowledgement stays; its after-commit work runs only once all is committed."""
    services = driver.app.services
    person = PEOPLE[0]
    told: list[int] = []

    async def failing(tx: Transaction, delivery: Delivery, caller: Caller) -> AfterCommit:
        await tx.execute("UPDATE deliveries SET last_error = 'hooked' WHERE id = ?", (delivery.id,))
        raise RuntimeError("the hook failed")

    async def working(tx: Transaction, delivery: Delivery, caller: Caller) -> AfterCommit:
        async def tell() -> None:
            told.append(delivery.id)

        return tell

    broadcast_id = await enqueue(driver, recipients([person]), acknowledge=True)
    row = await services.db.fetchone(
        "SELECT id FROM deliveries WHERE broadcast_id = ?", (broadcast_id,)
    )
    caller = await services.access.identify(
        TelegramIdentity(person.id, person.first_name, None, person.language_code)
    )
    services.outbox.on_acknowledge("test", failing)
    with pytest.raises(RuntimeError):
        await services.outbox.acknowledge(row["id"], caller)
    delivery = await services.outbox.delivery(row["id"])
    assert delivery is not None and delivery.acknowledged_at is None
    assert delivery.last_error is None and told == []
    services.outbox.on_acknowledge("test", working)
    assert (await services.outbox.acknowledge(row["id"], caller))[1] is True
    assert told == [row["id"]]
