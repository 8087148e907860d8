"""What a period report holds: the period's meetings, actions, challenges and milestone
updates, seen with the requester's eyes; restricted items only when a coordinator asks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.challenges import Category, Severity, Status
from domain.meetings import MeetingKind, Participant
from domain.models import Partnership, PartnershipKind, Role
from services.access import Caller, TelegramIdentity
from services.challenges_input import ChallengeDraft
from services.container import Services
from services.errors import InvalidInput, NotAllowed
from services.meeting_fields import ActionDraft, MeetingDraft
from services.reports import Period, last_month, last_quarter
from storage import audit
from tests.fakes import FakeClock

ADMIN, COORDINATOR, NAMED, PLAIN = 301, 302, 303, 304
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


async def caller(services: Services, user_id: int) -> Caller:
    return await services.access.identify(TelegramIdentity(user_id, f"U{user_id}", None, "en"))


@pytest.fixture
async def cop(services: Services, clock: FakeClock) -> Partnership:
    """A partnership with a month of record: two open meetings and a restricted one in
    November, one in October; three challenges in November (one restricted), one earlier."""
    cop = await services.partnerships.create(
        name="COP Sénégal", kind=PartnershipKind.COP, countries=("Senegal",),
        timezone="Africa/Dakar", language="fr",
    )  # fmt: skip
    for user_id, role in ((ADMIN, Role.ADMIN), (COORDINATOR, Role.COORDINATOR),
                          (NAMED, Role.MEMBER), (PLAIN, Role.MEMBER)):  # fmt: skip
        await services.partnerships.add_member(cop, user_id=user_id, name=f"U{user_id}", role=role)
    named = await caller(services, NAMED)
    base = MeetingDraft(
        held_at=datetime(2026, 11, 10, 10, tzinfo=UTC),
        title="Steering committee",
        kind=MeetingKind.STEERING,
        decisions="Open a liaison desk in Rosso\nTrain 20 officers",
        actions=(
            ActionDraft("Send the training plan", NAMED, "U303", date(2026, 11, 20)),
            ActionDraft("Book the venue", NAMED, "U303", date(2026, 12, 15)),
        ),
    )
    await services.meetings.save(named, cop.id, base)
    await services.meetings.save(
        named,
        cop.id,
        replace(
            base,
            title="Bilateral with the DPAF",
            kind=MeetingKind.BILATERAL,
            actions=(),
            held_at=datetime(2026, 11, 30, 22, 30, tzinfo=UTC),
        ),
    )
    await services.meetings.save(
        named,
        cop.id,
        replace(
            base,
            title="Secret planning",
            restricted=True,
            actions=(),
            participants=(Participant("U303", "DPAF", NAMED),),
        ),
    )
    await services.meetings.save(
        named,
        cop.id,
        replace(
            base,
            title="October meeting",
            actions=(),
            held_at=datetime(2026, 10, 31, 12, tzinfo=UTC),
        ),
    )
    for title, severity, restricted, day in (
        ("Convoys near Agadez", Severity.HIGH, False, 5),
        ("New route by sea", Severity.MEDIUM, False, 12),
        ("Corrupt checkpoint", Severity.CRITICAL, True, 20),
        ("Old case", Severity.LOW, False, -20),
    ):
        clock.now = datetime(2026, 11, 1, 12, tzinfo=UTC) + timedelta(days=day)
        await services.challenges.submit(
            named,
            ChallengeDraft(
                category=Category.ROUTE,
                severity=severity,
                title=title,
                restricted=restricted,
                latitude=16.97,
                longitude=7.99,
            ),
            key=title,
        )
    clock.now = datetime(2026, 12, 6, 9, tzinfo=UTC)
    return cop


async def test_a_member_gets_the_period_without_anything_restricted(
    services: Services, cop: Partnership
) -> None:
    data = await services.reports.for_caller(await caller(services, NAMED), NOVEMBER)
    # 30 November 22:30 UTC is still 30 November in Dakar; 31 October is out.
    assert [m.title for m in data.meetings] == ["Steering committee", "Bilateral with the DPAF"]
    assert [r.challenge.title for r in data.challenges] == ["Convoys near Agadez",
                                                           "New route by sea"]  # fmt: skip
    assert (data.actions_opened, data.actions_done, data.overdue_actions) == (2, 0, 1)
    assert data.open_actions[0].overdue and data.open_actions[0].action.what.startswith("Send")
    # The member may see the restricted meeting and their restricted challenge: counted out.
    assert (data.left_out_meetings, data.left_out_challenges) == (1, 1)
    assert not data.restricted and data.contacts is None
    assert [e.status for e in data.challenges[0].events] == [Status.REPORTED]
    plain = await services.reports.for_caller(await caller(services, PLAIN), NOVEMBER)
    # Someone who could not see them is not even told they exist.
    assert (plain.left_out_meetings, plain.left_out_challenges) == (0, 0)
    with pytest.raises(NotAllowed):
        await services.reports.for_caller(
            await caller(services, PLAIN), NOVEMBER, include_restricted=True
        )


async def test_a_coordinator_includes_restricted_items_on_purpose_and_it_is_recorded(
    services: Services, cop: Partnership
) -> None:
    coordinator = await caller(services, COORDINATOR)
    without = await services.reports.for_caller(coordinator, NOVEMBER)
    assert (without.left_out_meetings, without.left_out_challenges) == (1, 1)
    data = await services.reports.for_caller(coordinator, NOVEMBER, include_restricted=True)
    assert data.restricted and data.contacts is not None
    assert "Secret planning" in [m.title for m in data.meetings]
    assert "Corrupt checkpoint" in [r.challenge.title for r in data.challenges]
    assert (data.left_out_meetings, data.left_out_challenges) == (0, 0)
    await services.reports.record(data, actor_id=COORDINATOR, file_format="pdf", language="en")
    entry = (await audit.recent(services.db, cop.id, 1))[0]
    assert entry.action == "report.export" and entry.detail["restricted"] is True
    assert (entry.detail["start"], entry.detail["end"]) == ("2026-11-01", "2026-11-30")
    # The next report can start where this one ended.
    since = await services.reports.since_last_report(coordinator)
    assert since == Period(date(2026, 12, 1), date(2026, 12, 6))


def test_periods_are_whole_months_and_quarters_and_stay_sensible() -> None:
    assert last_month(date(2026, 12, 6)) == NOVEMBER
    assert last_month(date(2026, 1, 15)) == Period(date(2025, 12, 1), date(2025, 12, 31))
    assert last_quarter(date(2026, 12, 6)) == Period(date(2026, 7, 1), date(2026, 9, 30))
    assert last_quarter(date(2026, 2, 1)) == Period(date(2025, 10, 1), date(2025, 12, 31))
    with pytest.raises(InvalidInput):
        Period(date(2026, 11, 30), date(2026, 11, 1))
    with pytest.raises(InvalidInput):
        Period(date(2020, 1, 1), date(2026, 1, 1))
    assert NOVEMBER.days == 30


async def test_a_calendar_holds_what_the_person_may_see_and_nothing_restricted(
    services: Services, cop: Partnership
) -> None:
    items = await services.reports.calendar(await caller(services, NAMED))
    assert "Secret planning" not in [m.title for m in items.meetings]
    assert len(items.meetings) == 3  # the October one too: a year back
    assert [a.what for a, _ in items.actions] == ["Send the training plan", "Book the venue"]
    others = await services.reports.calendar(await caller(services, PLAIN))
    assert others.actions == ()  # their own actions only
