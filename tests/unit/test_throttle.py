"""Limits on expensive requests (charts, exports, imports, searches): per person, per kind,
within a window of time, refused in the person's language with the seconds to wait."""

from __future__ import annotations

import pytest

from bot.callbacks import MilestonesChart
from bot.local_api import LocalUser
from domain.models import Partnership
from services.throttle import LIMITS, Expense, Limit, Throttle, Throttled
from storage import contacts as contact_store
from tests.fakes import BotDriver, FakeClock, texts
from tests.people import ADMIN, COORDINATOR, MEMBER, STRANGER

FRENCH_MEMBER = LocalUser(MEMBER.id, "Moussa", language_code="fr")


def test_each_person_has_a_number_of_requests_per_window(clock: FakeClock) -> None:
    throttle = Throttle(clock, {Expense.CHART: Limit(times=2, seconds=60)})
    throttle.spend(1, Expense.CHART)
    clock.advance(seconds=10)
    throttle.spend(1, Expense.CHART)
    with pytest.raises(Throttled) as refused:
        throttle.spend(1, Expense.CHART)
    assert (refused.value.expense, refused.value.retry_after) == (Expense.CHART, 50)
    throttle.spend(2, Expense.CHART)  # someone else has their own count
    clock.advance(seconds=49.5)
    with pytest.raises(Throttled) as refused:
        throttle.spend(1, Expense.CHART)  # refused requests do not count
    assert refused.value.retry_after == 1
    clock.advance(seconds=0.5)
    throttle.spend(1, Expense.CHART)  # the first request left the window
    with pytest.raises(Throttled):
        throttle.spend(1, Expense.CHART)


def test_kinds_are_counted_apart_and_a_clock_set_back_never_blocks_longer_than_a_window(
    clock: FakeClock,
) -> None:
    throttle = Throttle(clock, {kind: Limit(times=1, seconds=30) for kind in Expense})
    for kind in Expense:
        throttle.spend(7, kind)
    clock.advance(hours=-5)
    with pytest.raises(Throttled) as refused:
        throttle.spend(7, Expense.SEARCH)
    assert refused.value.retry_after == 30


def test_without_limits_nothing_is_counted(clock: FakeClock) -> None:
    throttle = Throttle(clock, {})  # THROTTLE=false, for load tests
    for _ in range(1000):
        throttle.spend(1, Expense.CHART)


def test_the_limits_leave_room_for_normal_use() -> None:
    assert all(limit.seconds == 60 for limit in LIMITS.values())
    assert LIMITS[Expense.CHART].times >= 3 and LIMITS[Expense.EXPORT].times >= 3
    assert LIMITS[Expense.REPORT].times >= 3
    assert LIMITS[Expense.SEARCH].times >= 30


async def test_one_chart_too_many_is_refused_in_french_until_the_window_passed(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    allowed = LIMITS[Expense.CHART].times
    for _ in range(allowed):
        await driver.send(FRENCH_MEMBER, "/milestones graphique")
        clock.advance(seconds=1)
    assert len(driver.calls("sendPhoto")) == allowed
    refused = texts(await driver.send(FRENCH_MEMBER, "/milestones graphique"))
    assert refused == "Vous avez fait cette demande trop souvent. Réessayez dans 57 secondes."
    await driver.send(FRENCH_MEMBER, "/milestones")
    await driver.press(FRENCH_MEMBER, MilestonesChart().pack())  # the chart button: the same limit
    assert driver.answers()[-1] == refused
    clock.advance(seconds=56)
    assert "dans 1 seconde." in texts(await driver.send(FRENCH_MEMBER, "/milestones graphique"))
    assert len(driver.calls("sendPhoto")) == allowed
    await driver.send(ADMIN, "/milestones chart")  # nobody else was held back
    clock.advance(seconds=1)
    await driver.send(FRENCH_MEMBER, "/milestones graphique")
    assert len(driver.calls("sendPhoto")) == allowed + 2


async def test_exports_are_limited_too(driver: BotDriver, partnership: Partnership) -> None:
    await driver.send(COORDINATOR, "/contacts_export")
    choice = driver.last_keyboard_message(COORDINATOR.id)
    for _ in range(LIMITS[Expense.EXPORT].times):
        await driver.press(COORDINATOR, "CSV", message=choice)
    await driver.press(COORDINATOR, "vCard", message=choice)
    assert driver.answers()[-1] == "You asked for this too often. Try again in 60 seconds."
    assert len(driver.calls("sendDocument")) == LIMITS[Expense.EXPORT].times


async def test_searches_and_inline_searches_share_a_generous_limit(
    driver: BotDriver, partnership: Partnership
) -> None:
    allowed = LIMITS[Expense.SEARCH].times
    for number in range(allowed - 1):
        await driver.inline(MEMBER, f"name{number}")
    await driver.send(MEMBER, "/contacts koffi")
    answer = await driver.inline(MEMBER, "one more")
    assert answer["results"] == [] and answer["cache_time"] == 0
    assert answer["button"]["text"] == "You asked for this too often. Try again in 60 seconds."
    assert answer["button"]["start_parameter"] == "help"
    for command in ("/contacts koffi", "/meetings steering", "/challenges critical"):
        assert "Try again in 60 seconds" in texts(await driver.send(MEMBER, command))
    assert (await driver.inline(MEMBER, ""))["results"] == []  # typing nothing costs nothing
    # The button leads to the private chat: a greeting, not a refused invite.
    assert "Welcome back" in texts(await driver.send(MEMBER, "/start help"))
    assert "invitation only" in texts(await driver.send(STRANGER, "/start help"))


async def test_a_csv_without_a_size_is_held_to_the_size_limit(
    driver: BotDriver, partnership: Partnership
) -> None:
    rows = b"".join(b"Awa Diop %d,CENTIF\n" % number for number in range(120_000))
    huge = b"name,organisation\n" + rows
    assert len(huge) > 2 * 1024 * 1024
    reply = texts(await driver.send_document(COORDINATOR, huge, "contacts.csv", size_known=False))
    assert reply == "The file is too large: send at most 2 MB at a time."
    assert await contact_store.all_of(driver.app.services.db, partnership.id) == []
