"""The challenge service without Telegram: retries store and alert once, escalation steps are
sent once even when a run is cut short, and the rules of who may do what."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import WORDING
from domain.challenges import Category, ChallengeEvent, Severity, Status
from domain.models import Partnership, PartnershipKind, Role
from services.access import Caller, TelegramIdentity
from services.challenges import AlertAudience, ChallengeCard
from services.challenges_input import ChallengeDraft
from services.container import Services, Wording
from services.errors import InvalidInput, NotAllowed, NotFound
from services.outbox import Recipient, Rendered
from storage.db import Database
from tests.fakes import FakeClock


class PlainTexts:
    """Messages as plain words, enough to count and read them."""

    def alert(self, card: ChallengeCard, audience: AlertAudience, language: str) -> Rendered:
        return Rendered(f"alert {audience.value} #{card.challenge.id}")

    def escalation(self, card: ChallengeCard, waited: timedelta, language: str) -> Rendered:
        return Rendered(f"escalation #{card.challenge.id}")

    def acknowledged(self, card: ChallengeCard, by: str, role: Role, language: str) -> Rendered:
        return Rendered(f"ack by {by}")

    def status_changed(self, card: ChallengeCard, event: ChallengeEvent, language: str) -> Rendered:
        return Rendered(f"now {event.status.value}")


TEXTS = PlainTexts()
PEOPLE = {1: Role.ADMIN, 2: Role.COORDINATOR, 3: Role.COORDINATOR, 4: Role.MEMBER, 5: Role.OBSERVER}


@pytest.fixture
def services(db: Database, clock: FakeClock) -> Services:
    """The services, with plain messages for challenges."""
    wording = Wording(challenges=TEXTS, contact_links=WORDING.contact_links)
    return Services.create(db, wording=wording, default_language="en", clock=clock)


@pytest.fixture
async def cop(services: Services) -> Partnership:
    created = await services.partnerships.create(
        name="COP", kind=PartnershipKind.COP, countries=(), timezone="UTC", language="en"
    )
    for user_id, role in PEOPLE.items():
        await services.partnerships.add_member(
            created, user_id=user_id, name=f"P{user_id}", role=role
        )
    return created


async def caller(services: Services, user_id: int) -> Caller:
    return await services.access.identify(TelegramIdentity(user_id, f"P{user_id}", None, "en"))


def draft(severity: Severity = Severity.CRITICAL) -> ChallengeDraft:
    return ChallengeDraft(category=Category.ROUTE, severity=severity, title="New track north")


async def deliveries(services: Services) -> list[tuple[int, str]]:
    rows = await services.db.fetchall("SELECT chat_id, text FROM deliveries ORDER BY id")
    return [(row["chat_id"], row["text"]) for row in rows]


async def test_a_retried_submit_stores_and_alerts_once(
    services: Services, cop: Partnership
) -> None:
    reporter = await caller(services, 4)
    first = await services.challenges.submit(reporter, draft(), key="k1")
    assert (first.coordinators, first.members) == (2, 2)  # P2, P3; then P1 and P5
    again = await services.challenges.submit(reporter, draft(), key="k1")
    assert again.challenge.id == first.challenge.id
    assert len(await deliveries(services)) == 4
    # Someone else's key finds nothing of theirs.
    with pytest.raises(NotFound):
        await services.challenges.submit(await caller(services, 3), draft(), key="k1")


async def test_observers_do_not_flag_and_members_do_not_move_challenges(
    services: Services, cop: Partnership
) -> None:
    with pytest.raises(NotAllowed):
        await services.challenges.submit(await caller(services, 5), draft(), key="k")
    submitted = await services.challenges.submit(await caller(services, 4), draft(), key="k")
    with pytest.raises(NotAllowed):
        await services.challenges.change_status(
            await caller(services, 4), submitted.challenge.id, Status.RESOLVED, "",
        )  # fmt: skip
    coordinator = await caller(services, 2)
    await services.challenges.change_status(
        coordinator, submitted.challenge.id, Status.CONFIRMED, "",
    )  # fmt: skip
    with pytest.raises(InvalidInput):  # no way back
        await services.challenges.change_status(
            coordinator, submitted.challenge.id, Status.CORROBORATED, "",
        )  # fmt: skip
    with pytest.raises(NotAllowed):
        await services.challenges.set_escalation_rule(coordinator, minutes=10)
    with pytest.raises(InvalidInput):
        await services.challenges.set_escalation_rule(await caller(services, 1), minutes=2)


async def test_an_escalation_cut_short_is_completed_without_a_duplicate(
    services: Services, cop: Partnership, clock: FakeClock
) -> None:
    submitted = await services.challenges.submit(await caller(services, 4), draft(), key="k")
    number = submitted.challenge.id
    clock.advance(minutes=31)
    # As if a run had queued step 1 and died before recording it.
    await services.outbox.enqueue(
        kind="challenge",
        reference=str(number),
        partnership_id=cop.id,
        recipients=[Recipient(1, 1, "en")],
        render=lambda language: Rendered("escalation (first run)"),
        acknowledge=True,
        idempotency_key=f"challenge:{number}:escalation:1",
    )
    assert await services.challenges.escalate_due() == 1
    assert await services.challenges.escalate_due() == 0
    escalations = [text for _, text in await deliveries(services) if "escalation" in text]
    assert escalations == ["escalation (first run)"]


async def test_an_acknowledged_alert_stops_escalation_even_when_pressed_twice(
    services: Services, cop: Partnership, clock: FakeClock
) -> None:
    submitted = await services.challenges.submit(await caller(services, 4), draft(), key="k")
    row = await services.db.fetchone("SELECT id FROM deliveries WHERE chat_id = 3")
    coordinator = await caller(services, 3)
    for first in (True, False):
        assert (await services.outbox.acknowledge(row["id"], coordinator))[1] is first
        detail = await services.challenges.detail(coordinator, submitted.challenge.id)
        assert detail.card.challenge.status is Status.ACKNOWLEDGED
    assert [text for chat, text in await deliveries(services) if chat == 4] == ["ack by P3"]
    # Another person's delivery counts for nothing.
    other = await services.db.fetchone("SELECT id FROM deliveries WHERE chat_id = 2")
    with pytest.raises(NotFound):
        await services.outbox.acknowledge(other["id"], coordinator)
    clock.advance(hours=2)
    assert await services.challenges.escalate_due() == 0
    steps = await services.db.fetchall(
        "SELECT outcome FROM challenge_escalations WHERE challenge_id = ?",
        (submitted.challenge.id,),
    )
    assert [row["outcome"] for row in steps] == ["not_needed", "not_needed"]


async def test_a_partnership_without_coordinators_alerts_its_admins(services: Services) -> None:
    created = await services.partnerships.create(
        name="Bilateral", kind=PartnershipKind.BILATERAL, countries=(), timezone="UTC",
        language="en",
    )  # fmt: skip
    await services.partnerships.add_member(created, user_id=10, name="A", role=Role.ADMIN)
    await services.partnerships.add_member(created, user_id=11, name="M", role=Role.MEMBER)
    submitted = await services.challenges.submit(
        await caller(services, 11), draft(Severity.LOW), key="k",
    )  # fmt: skip
    assert (submitted.coordinators, submitted.members, submitted.escalation) == (1, 0, None)
    assert await deliveries(services) == [(10, f"alert coordinators #{submitted.challenge.id}")]
