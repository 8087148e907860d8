"""The challenge service without Telegram: retries store and alert once, escalation steps are
sent once even when a run is cut short, and the rules of who may do what."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import WORDING
from domain.challenges import Category, ChallengeEvent, EditedField, EventKind, Severity, Status
from domain.models import Partnership, PartnershipKind, Role
from services.access import Caller, TelegramIdentity
from services.challenges import AlertAudience, ChallengeCard, PersonalDataSuspected
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
        return Rendered(f"{event.kind.value} {event.status.value}")

    def raised(
        self, card: ChallengeCard, event: ChallengeEvent, audience: AlertAudience, language: str
    ) -> Rendered:
        return Rendered(f"raised {audience.value} #{card.challenge.id}")


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


async def test_the_reporter_edits_and_the_history_keeps_each_change_from_and_to(
    services: Services, cop: Partnership
) -> None:
    reporter = await caller(services, 4)
    flagged = await services.challenges.submit(reporter, draft(Severity.MEDIUM), key="k")
    number = flagged.challenge.id
    sent = len(await deliveries(services))
    original = await services.challenges.draft_for_edit(reporter, number)
    edited = replace(
        original, description="Seen twice this week.", place="Rosso", latitude=16.5, longitude=-15.8
    )
    outcome = await services.challenges.edit(reporter, number, original, edited)
    assert outcome.event is not None and outcome.event.kind is EventKind.EDIT
    assert dict(outcome.event.changes) == {
        EditedField.DESCRIPTION: (None, "Seen twice this week."),
        EditedField.PLACE: (None, "Rosso"),
        EditedField.LOCATION: (None, "16.5,-15.8"),
    }
    stored = await services.challenges.detail(reporter, number)
    assert (stored.card.challenge.place, stored.card.challenge.latitude) == ("Rosso", 16.5)
    assert [e.kind for e in stored.events] == [EventKind.STATUS, EventKind.EDIT]
    # Nobody is alerted for a medium challenge edited by its own reporter.
    assert len(await deliveries(services)) == sent
    entry = await services.db.fetchone(
        "SELECT detail FROM audit_log WHERE action = 'challenge.edit'"
    )
    assert entry is not None and "location" in entry["detail"] and "Rosso" not in entry["detail"]
    # The same values again change nothing, and add no step to the history.
    again = await services.challenges.edit(reporter, number, edited, edited)
    assert again.event is None
    assert len((await services.challenges.detail(reporter, number)).events) == 2


async def test_a_severity_raised_to_high_alerts_as_a_new_one_would_and_the_reporter_is_told(
    services: Services, cop: Partnership
) -> None:
    reporter, coordinator = await caller(services, 4), await caller(services, 2)
    flagged = await services.challenges.submit(reporter, draft(Severity.LOW), key="k")
    number = flagged.challenge.id
    before = len(await deliveries(services))
    original = await services.challenges.draft_for_edit(coordinator, number)
    outcome = await services.challenges.edit(
        coordinator,
        number,
        original,
        replace(original, severity=Severity.HIGH),
        note="A second group crossed",
    )
    assert outcome.event is not None and outcome.event.note == "A second group crossed"
    assert outcome.event.changes[EditedField.SEVERITY] == ("low", "high")
    new = [(chat, text) for chat, text in (await deliveries(services))[before:]]
    # Coordinators (but not the editor), then every other member, then the reporter's notice.
    assert sorted(new) == [
        (1, f"raised members #{number}"),
        (3, f"raised coordinators #{number}"),
        (4, "edit reported"),
        (5, f"raised members #{number}"),
    ]
    assert outcome.alerted == 1
    # Lowering it again alerts nobody; raising a high one to critical tells coordinators only,
    # and schedules the escalation a critical challenge has.
    lowered = await services.challenges.draft_for_edit(coordinator, number)
    await services.challenges.edit(
        coordinator, number, lowered, replace(lowered, severity=Severity.MEDIUM)
    )
    medium = await services.challenges.draft_for_edit(coordinator, number)
    await services.challenges.edit(
        coordinator, number, medium, replace(medium, severity=Severity.HIGH)
    )
    high = await services.challenges.draft_for_edit(coordinator, number)
    count = len(await deliveries(services))
    await services.challenges.edit(
        coordinator, number, high, replace(high, severity=Severity.CRITICAL)
    )
    latest = (await deliveries(services))[count:]
    assert sorted(chat for chat, text in latest if text.startswith("raised")) == [3]
    assert len((await services.challenges.detail(coordinator, number)).escalations) == 2


async def test_two_people_editing_different_fields_at_once_both_keep_their_change(
    services: Services, cop: Partnership
) -> None:
    reporter, coordinator = await caller(services, 4), await caller(services, 2)
    number = (await services.challenges.submit(reporter, draft(Severity.LOW), key="k")).challenge.id
    seen_by_both = await services.challenges.draft_for_edit(reporter, number)
    await services.challenges.edit(
        coordinator, number, seen_by_both, replace(seen_by_both, title="Track north of Agadez")
    )
    await services.challenges.edit(
        reporter, number, seen_by_both, replace(seen_by_both, route="Agadez → Sebha")
    )
    challenge = (await services.challenges.detail(reporter, number)).card.challenge
    assert (challenge.title, challenge.route) == ("Track north of Agadez", "Agadez → Sebha")


async def test_only_the_reporter_coordinators_and_admins_edit_and_only_while_open(
    services: Services, cop: Partnership
) -> None:
    reporter, coordinator = await caller(services, 4), await caller(services, 2)
    number = (await services.challenges.submit(reporter, draft(Severity.LOW), key="k")).challenge.id
    original = await services.challenges.draft_for_edit(reporter, number)
    changed = replace(original, title="Changed")
    for other in (5, 6):  # an observer; a member who did not report it
        if other == 6:
            await services.partnerships.add_member(cop, user_id=6, name="P6", role=Role.MEMBER)
        with pytest.raises(NotAllowed):
            await services.challenges.edit(await caller(services, other), number, original, changed)
        with pytest.raises(NotAllowed):
            await services.challenges.draft_for_edit(await caller(services, other), number)
    await services.challenges.edit(await caller(services, 1), number, original, changed)
    await services.challenges.change_status(coordinator, number, Status.RESOLVED, "")
    with pytest.raises(InvalidInput, match="closed"):
        await services.challenges.edit(reporter, number, changed, replace(changed, title="Again"))
    detail = await services.challenges.detail(reporter, number)
    assert not detail.can_edit and not detail.can_reopen
    with pytest.raises(NotAllowed):
        await services.challenges.reopen(reporter, number, "Seen again")
    with pytest.raises(InvalidInput, match="empty"):
        await services.challenges.reopen(coordinator, number, "  ")
    assert (await services.challenges.detail(coordinator, number)).can_reopen
    reopened = await services.challenges.reopen(coordinator, number, "Seen again on Monday")
    assert reopened.status is Status.REPORTED  # nobody had acknowledged it
    events = (await services.challenges.detail(reporter, number)).events
    assert (events[-1].kind, events[-1].note) == (EventKind.REOPEN, "Seen again on Monday")
    assert (4, "reopen reported") in await deliveries(services)
    with pytest.raises(InvalidInput):  # open already
        await services.challenges.reopen(coordinator, number, "Again")
    await services.challenges.edit(reporter, number, changed, replace(changed, title="Again"))


async def test_personal_data_in_an_edited_text_is_asked_about_first(
    services: Services, cop: Partnership
) -> None:
    reporter = await caller(services, 4)
    number = (await services.challenges.submit(reporter, draft(Severity.LOW), key="k")).challenge.id
    original = await services.challenges.draft_for_edit(reporter, number)
    edited = replace(original, description="The driver's phone is +221 77 123 45 67.")
    with pytest.raises(PersonalDataSuspected):
        await services.challenges.edit(reporter, number, original, edited)
    assert (await services.challenges.detail(reporter, number)).card.challenge.description == ""
    await services.challenges.edit(reporter, number, original, edited, personal_data_confirmed=True)
