"""Security findings that cut across features: buttons act only for the person their message
was for, and restricted material is protected from forwarding."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.access import TelegramIdentity
from services.meeting_fields import MeetingDraft
from storage.meetings import MeetingKind
from storage.models import Partnership
from tests.fakes import BotDriver, texts
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER

JSON = dict[str, Any]


def data_of(message: JSON, label: str) -> str:
    for row in message["reply_markup"]["inline_keyboard"]:
        for b in row:
            if label in b["text"]:
                return str(b["callback_data"])
    raise AssertionError(f"no button {label!r}")


def alert_with_open(driver: BotDriver, chat_id: int) -> JSON:
    for message in reversed(driver.api.sent_to(chat_id)):
        markup = message.get("reply_markup", {}).get("inline_keyboard", [])
        if any("Open" in b["text"] for row in markup for b in row):
            return message
    raise AssertionError("no alert")


async def test_buttons_of_another_persons_message_do_nothing_for_the_presser(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await driver.send(MEMBER, "/flag critical route Convoy heading north")
    await driver.press(MEMBER, "ch:f:submit")
    await driver.settle()
    alert = alert_with_open(driver, COORDINATOR.id)
    before = len(driver.api.sent_to(COORDINATOR.id)), len(driver.api.sent_to(OBSERVER.id))
    edits = len(driver.calls("editMessageText")) + len(driver.calls("editMessageReplyMarkup"))
    # The observer presses Open and Acknowledge of the coordinator's alert (a forged update:
    # Telegram shows a private chat's buttons to its one person only).
    await driver.press_data(OBSERVER, alert, data_of(alert, "Open"))
    assert "someone else's message" in driver.answers()[-1]
    await driver.press_data(OBSERVER, alert, data_of(alert, "Acknowledge"))
    assert "someone else's message" in driver.answers()[-1]
    assert (len(driver.api.sent_to(COORDINATOR.id)), len(driver.api.sent_to(OBSERVER.id))) == before
    assert edits == len(driver.calls("editMessageText")) + len(
        driver.calls("editMessageReplyMarkup")
    )
    await driver.settle()
    assert "acknowledged" not in texts(driver.api.sent_to(MEMBER.id)[-2:])
    # The coordinator's own press works, and the reporter hears of it.
    await driver.press(COORDINATOR, "Acknowledge", message=alert)
    await driver.settle()
    assert "Carlos" in texts(driver.api.sent_to(MEMBER.id)[-1:])


async def test_another_persons_edit_button_opens_no_flow_and_edits_nothing(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    caller = await services.access.identify(
        TelegramIdentity(COORDINATOR.id, COORDINATOR.first_name, None, "en")
    )
    draft = MeetingDraft(
        held_at=services.clock() - timedelta(days=1), title="Joint patrols", kind=MeetingKind.OTHER
    )
    await services.meetings.save(caller, partnership.id, draft)
    await driver.send(COORDINATOR, "/meetings")
    await driver.press(COORDINATOR, "1")
    detail = driver.last_keyboard_message(COORDINATOR.id)
    shown = detail["text"]
    await driver.press_data(MEMBER, detail, data_of(detail, "Edit"))
    assert "someone else's message" in driver.answers()[-1]
    assert await services.access.open_flows(COORDINATOR.id, MEMBER.id) == []
    assert await services.access.open_flows(MEMBER.id, MEMBER.id) == []
    assert driver.text_of(COORDINATOR.id) == shown


async def test_group_buttons_act_for_the_person_who_asked_and_answer_others_privately(
    driver: BotDriver, partnership: Partnership
) -> None:
    group = driver.updates.group_chat(-100777, "COP team")
    await driver.send(ADMIN, "/linkgroup", chat=group)
    await driver.send(COORDINATOR, "/help", chat=group)
    (asked,) = await driver.send(ADMIN, "/digest settings", chat=group)
    assert asked["reply_to_message"]["from"]["id"] == ADMIN.id  # it answers the admin
    await driver.press(COORDINATOR, "Weekly", chat_id=group["id"])
    assert "someone else's message" in driver.answers()[-1]
    assert "Off: no scheduled digests" in driver.text_of(group["id"])
    await driver.press(ADMIN, "Weekly", chat_id=group["id"])
    assert "Weekly, on Monday" in driver.text_of(group["id"])
