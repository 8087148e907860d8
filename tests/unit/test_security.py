"""Security findings that cut across features: buttons act only for the person their message
was for, and restricted material is protected from forwarding."""

from __future__ import annotations

from datetime import timedelta

from bot.persistence import conversation_key
from domain.meetings import Attachment, AttachmentKind, MeetingKind
from domain.models import Partnership
from services.access import TelegramIdentity
from services.meeting_fields import MeetingDraft
from tests.fakes import BotDriver, texts
from tests.helpers import alert_to, data_of
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER


async def test_buttons_of_another_persons_message_do_nothing_for_the_presser(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await driver.send(MEMBER, "/flag critical route Convoy heading north")
    await driver.press(MEMBER, "Submit")
    await driver.settle()
    alert = alert_to(driver, COORDINATOR)
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
    assert await services.access.open_flows(conversation_key((COORDINATOR.id, MEMBER.id))) == []
    assert await services.access.open_flows(conversation_key((MEMBER.id, MEMBER.id))) == []
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


def protected(driver: BotDriver, chat_id: int, marker: str) -> list[bool]:
    """For each message sent to a chat whose text holds `marker`: was it protected?"""
    return [
        bool(call.params.get("protect_content"))
        for call in driver.calls("sendMessage")
        if int(call.params["chat_id"]) == chat_id and marker in str(call.params.get("text"))
    ]


async def test_restricted_challenges_and_meetings_are_sent_protected_and_others_not(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    photo = [{"file_id": "photo-1", "file_unique_id": "p1", "width": 90, "height": 60}]
    for title, restricted in (("Secret exit stamps", True), ("Open route shift", False)):
        await driver.send(MEMBER, f"/flag critical corruption {title}")
        if restricted:
            await driver.press(MEMBER, "Who sees it")
            await driver.press(MEMBER, "Restricted")
        await driver.press(MEMBER, "Attachments")
        await driver.send_content(MEMBER, photo=photo)
        await driver.send(MEMBER, "/skip")
        await driver.press(MEMBER, "Where")
        await driver.send_content(MEMBER, location={"latitude": 16.6, "longitude": -15.5})
        await driver.press(MEMBER, "Continue")
        await driver.press(MEMBER, "Submit")
    await driver.settle()
    assert protected(driver, COORDINATOR.id, "Secret exit stamps") == [True]  # the alert
    assert protected(driver, COORDINATOR.id, "Open route shift") == [False]
    assert protected(driver, OBSERVER.id, "Open route shift") == [False]
    for title, expected in (("Secret exit stamps", True), ("Open route shift", False)):
        alert = next(
            m
            for m in reversed(driver.api.sent_to(COORDINATOR.id))
            if title in m.get("text", "") and "reply_markup" in m
        )
        await driver.press(COORDINATOR, "Open", message=alert)
        detail = driver.last_keyboard_message(COORDINATOR.id)
        assert driver.calls("sendMessage")[-1].params.get("protect_content", False) is expected
        await driver.press(COORDINATOR, "Attachments", message=detail)
        assert driver.calls("sendPhoto")[-1].params.get("protect_content", False) is expected
        await driver.press(COORDINATOR, "Map", message=detail)
        assert driver.calls("sendLocation")[-1].params.get("protect_content", False) is expected
    # A restricted meeting's detail and files, opened from the list, come protected.
    services = driver.app.services
    caller = await services.access.identify(
        TelegramIdentity(COORDINATOR.id, COORDINATOR.first_name, None, "en")
    )
    for title, restricted in (("Closed door review", True), ("Open plenary", False)):
        draft = MeetingDraft(
            held_at=services.clock() - timedelta(days=1),
            title=title,
            kind=MeetingKind.OTHER,
            restricted=restricted,
            attachments=(Attachment(AttachmentKind.PHOTO, "file-x", "board"),),
        )
        await services.meetings.save(caller, partnership.id, draft)
    for number, expected in (("1", False), ("2", True)):  # newest first
        await driver.send(COORDINATOR, "/meetings")
        await driver.press(COORDINATOR, number)
        detail = driver.last_keyboard_message(COORDINATOR.id)
        assert bool(driver.calls("sendMessage")[-1].params.get("protect_content")) is expected
        await driver.press(COORDINATOR, "📎", message=detail)
        assert driver.calls("sendPhoto")[-1].params.get("protect_content", False) is expected


FTS_SYNTAX = ('" OR *', "NEAR(a b)", "name:x", "-foo", "^a", "{name org}: x", "a AND b OR c", "*")


async def test_search_syntax_is_taken_as_words_everywhere(
    driver: BotDriver, partnership: Partnership
) -> None:
    """FTS5 operators typed into any search are plain words: a normal answer, no error."""
    for query in FTS_SYNTAX:
        for command in ("/contacts", "/meetings", "/challenges"):
            replies = await driver.send(MEMBER, f"{command} {query}")
            assert replies and "went wrong" not in texts(replies)
        assert (await driver.inline(MEMBER, query))["results"] == []
