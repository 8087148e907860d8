"""/broadcast, Acknowledge and /alerts as coordinators and members use them."""

from __future__ import annotations

from typing import Any

from bot.jobs.reminders import send_due_reminders
from bot.local_api import LocalUser
from domain.models import Partnership, Role
from tests.fakes import BotDriver, FakeClock, texts
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER


async def broadcast(driver: BotDriver, text: str, audience: str, *, urgent: bool = False) -> None:
    await driver.send(COORDINATOR, "/broadcast")
    await driver.send(COORDINATOR, text)
    await driver.press(COORDINATOR, audience)
    await driver.press(COORDINATOR, "Urgent" if urgent else "Normal")
    await driver.press(COORDINATOR, "Send")


def ack_message(driver: BotDriver, person: LocalUser) -> dict[str, Any]:
    return driver.last_keyboard_message(person.id)


async def test_broadcast_reaches_everyone_who_acknowledges_once(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await broadcast(driver, "Meeting moved to <Thursday> & room 2", "Everyone")
    await driver.settle()
    for person in (ADMIN, MEMBER, OBSERVER):
        received = ack_message(driver, person)
        assert "Meeting moved to &lt;Thursday&gt; &amp; room 2" in received["text"]
        assert "Carlos" in received["text"]
    assert driver.api.sent_to(COORDINATOR.id)[-1]["text"].count("Meeting moved") == 0
    await driver.press(MEMBER, "Acknowledge", message=ack_message(driver, MEMBER))
    assert "recorded" in driver.answers()[-1]
    assert (
        "Acknowledged"
        in ack_message(driver, MEMBER)["reply_markup"]["inline_keyboard"][0][0]["text"]
    )
    await driver.press(MEMBER, "Acknowledged", message=ack_message(driver, MEMBER))
    assert "already acknowledged" in driver.answers()[-1]
    await driver.settle()
    status = driver.api.sent_to(COORDINATOR.id)[-1]["text"]
    assert "Delivered 3 · pending 0 · failed 0 · acknowledged 1 of 3" in status
    await driver.send(COORDINATOR, "/alerts")
    # The button says what it opens.
    assert "👥 1. Meeting moved to <Thursday> &…" in buttons_of(driver)
    await driver.press(COORDINATOR, "1")
    detail = driver.text_of(COORDINATOR.id)
    assert "Not acknowledged yet: Aminata, Olga" in detail


async def test_audience_by_role_and_nobody(driver: BotDriver, partnership: Partnership) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await driver.send(COORDINATOR, "/broadcast")
    await driver.send(COORDINATOR, "Observers only")
    await driver.press(COORDINATOR, "By role")
    await driver.press(COORDINATOR, "observer")
    await driver.press(COORDINATOR, "Normal")
    assert "This goes to 1 recipient." in driver.text_of(COORDINATOR.id)
    await driver.press(COORDINATOR, "Send")
    await driver.settle()
    assert "Observers only" in texts(driver.api.sent_to(OBSERVER.id))
    assert "Observers only" not in texts(driver.api.sent_to(MEMBER.id))
    # Linked group chats: none linked, so nobody matches and the step stays.
    await driver.send(COORDINATOR, "/broadcast")
    await driver.send(COORDINATOR, "To the groups")
    await driver.press(COORDINATOR, "group chats")
    assert "No one matches" in driver.text_of(COORDINATOR.id)
    await driver.press(COORDINATOR, "Everyone")  # the audience is still the question
    assert "Is it urgent?" in driver.text_of(COORDINATOR.id)


async def test_broadcast_bad_input_keeps_the_step(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(COORDINATOR, "/broadcast")
    assert "empty" in texts(await driver.send(COORDINATOR, "   "))
    assert "5000 characters" in texts(await driver.send(COORDINATOR, "x" * 5000))
    sticker = {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1, "is_animated": False,
               "is_video": False, "type": "regular"}  # fmt: skip
    assert "a text, a photo or a document" in texts(
        await driver.send_content(COORDINATOR, sticker=sticker)
    )
    assert "Who should receive it?" in texts(await driver.send(COORDINATOR, "Real text"))


async def test_confirm_pressed_twice_sends_once(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await driver.send(COORDINATOR, "/broadcast")
    await driver.send(COORDINATOR, "Only once")
    await driver.press(COORDINATOR, "Everyone")
    await driver.press(COORDINATOR, "Normal")
    confirm = driver.last_keyboard_message(COORDINATOR.id)
    buttons = [b for row in confirm["reply_markup"]["inline_keyboard"] for b in row]
    send = next(b["callback_data"] for b in buttons if b["text"] == "✓ Send")
    await driver.press_data(COORDINATOR, confirm, send)
    await driver.press_data(COORDINATOR, confirm, send)
    await driver.settle()
    assert texts(driver.api.sent_to(MEMBER.id)).count("Only once") == 1


async def test_members_cannot_broadcast_nor_use_coordinator_buttons(
    driver: BotDriver, partnership: Partnership
) -> None:
    assert "Only coordinators" in texts(await driver.send(MEMBER, "/broadcast"))
    assert "Only coordinators" in texts(await driver.send(OBSERVER, "/alerts"))
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await broadcast(driver, "Hello", "Everyone")
    await driver.settle()
    status = driver.api.sent_to(COORDINATOR.id)[-1]
    coordinator_button = status["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    # The coordinator's button, forged onto a message of the member's own chat.
    own = ack_message(driver, MEMBER)
    await driver.press_data(MEMBER, own, coordinator_button)
    assert "Only coordinators" in driver.answers()[-1]
    # Another person's Acknowledge, forged onto the member's own message, records nothing.
    received = ack_message(driver, OBSERVER)
    await driver.press_data(
        MEMBER, own, received["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    )
    assert "could not find" in driver.answers()[-1]


async def test_urgent_broadcast_reminds_once_those_who_did_not_acknowledge(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await broadcast(driver, "Border closed", "Everyone", urgent=True)
    await driver.settle()
    assert "URGENT" in ack_message(driver, MEMBER)["text"]
    await driver.press(ADMIN, "Acknowledge", message=ack_message(driver, ADMIN))
    context = type("Ctx", (), {"services": driver.app.services})()
    await send_due_reminders(context)
    await driver.settle()
    assert "Reminder" not in texts(driver.api.sent_to(MEMBER.id))  # not due yet
    clock.advance(minutes=31)
    await send_due_reminders(context)
    await send_due_reminders(context)
    await driver.settle()
    assert texts(driver.api.sent_to(MEMBER.id)).count("Reminder") == 1
    assert "Reminder" not in texts(driver.api.sent_to(ADMIN.id))
    await driver.press(MEMBER, "Acknowledge", message=ack_message(driver, MEMBER))
    await driver.send(COORDINATOR, "/alerts")
    await driver.press(COORDINATOR, "1")
    assert "Not acknowledged yet: Olga" in driver.text_of(COORDINATOR.id)


async def test_recipients_read_it_in_their_language(
    driver: BotDriver, partnership: Partnership
) -> None:
    french = LocalUser(3001, "Fanta", language_code="fr")
    await driver.app.services.partnerships.add_member(
        partnership, user_id=french.id, name="Fanta", role=Role.MEMBER
    )
    await driver.send(french, "/help")
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await broadcast(driver, "Hello", "Everyone")
    await driver.settle()
    received = ack_message(driver, french)
    # "envoyé par": French would otherwise need "d'" before a name with a vowel (d'Aïssatou).
    assert "Message envoyé par" in received["text"]
    assert "Acknowledge" not in received["reply_markup"]["inline_keyboard"][0][0]["text"]


async def test_a_photo_broadcast_to_the_linked_group(
    driver: BotDriver, partnership: Partnership
) -> None:
    group = driver.updates.group_chat(-100777, "COP team")
    await driver.send(ADMIN, "/linkgroup", chat=group)
    await driver.send(COORDINATOR, "/broadcast")
    photo = [{"file_id": "photo-big", "file_unique_id": "u1", "width": 800, "height": 600}]
    await driver.send_content(COORDINATOR, photo=photo, caption="Map of the <new> route")
    await driver.press(COORDINATOR, "group chats")
    await driver.press(COORDINATOR, "Normal")
    assert "This goes to 1 recipient." in driver.text_of(COORDINATOR.id)
    await driver.press(COORDINATOR, "Send")
    await driver.settle()
    (posted,) = driver.api.sent_to(group["id"])[-1:]
    sends = [c for c in driver.calls("sendPhoto") if c.params["chat_id"] == group["id"]]
    assert sends[-1].params["photo"] == "photo-big"
    assert "Map of the &lt;new&gt; route" in sends[-1].params["caption"]
    assert "reply_markup" not in sends[-1].params  # nobody acknowledges for a whole group
    assert posted["document"]


async def test_audience_by_country_and_organisation_uses_confirmed_values_only(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    # Moussa says he works for Europol, in Mali: his word selects him for nothing.
    await driver.send(MEMBER, "/profile")
    await driver.send(MEMBER, "Europol")
    await driver.press(MEMBER, "Mali")
    await driver.send(COORDINATOR, "/broadcast")
    await driver.send(COORDINATOR, "For Europol")
    await driver.press(COORDINATOR, "By organisation")
    assert "No one matches" in driver.text_of(COORDINATOR.id)
    await driver.press(COORDINATOR, "By country")
    await driver.press(COORDINATOR, "Mali")
    assert "No one matches" in driver.text_of(COORDINATOR.id)
    await driver.send(COORDINATOR, "/cancel")
    # A coordinator confirms his country (not his organisation) in /members.
    await driver.send(COORDINATOR, "/members")
    await driver.press(COORDINATOR, "Moussa")
    await driver.press(COORDINATOR, "Confirm country: Mali")
    await driver.send(COORDINATOR, "/broadcast")
    await driver.send(COORDINATOR, "For Mali")
    await driver.press(COORDINATOR, "By organisation")
    assert "No one matches" in driver.text_of(COORDINATOR.id)
    await driver.press(COORDINATOR, "By country")
    await driver.press(COORDINATOR, "Mali")
    await driver.press(COORDINATOR, "Normal")
    assert "This goes to 1 recipient." in driver.text_of(COORDINATOR.id)
    await driver.press(COORDINATOR, "Send")
    await driver.settle()
    assert "For Mali" in texts(driver.api.sent_to(MEMBER.id))
    assert "For Mali" not in texts(driver.api.sent_to(OBSERVER.id))


async def test_broadcast_to_an_organisation_skips_those_who_only_claim_it(
    driver: BotDriver, partnership: Partnership
) -> None:
    europol = LocalUser(3002, "Eva", language_code="en")
    await driver.app.services.partnerships.add_member(
        partnership, user_id=europol.id, name="Eva", role=Role.MEMBER, organisation="Europol"
    )
    await driver.introduce(europol, ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await driver.send(MEMBER, "/profile")
    await driver.send(MEMBER, "EUROPOL")
    await driver.send(MEMBER, "/skip")
    await driver.send(COORDINATOR, "/broadcast")
    await driver.send(COORDINATOR, "Europol only")
    await driver.press(COORDINATOR, "By organisation")
    await driver.press(COORDINATOR, "Europol")
    await driver.press(COORDINATOR, "Normal")
    assert "This goes to 1 recipient." in driver.text_of(COORDINATOR.id)
    await driver.press(COORDINATOR, "Send")
    await driver.settle()
    assert "Europol only" in texts(driver.api.sent_to(europol.id))
    assert "Europol only" not in texts(driver.api.sent_to(MEMBER.id))


async def test_the_authors_status_is_edited_only_when_it_changes(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await broadcast(driver, "Same figures twice", "Everyone")
    await driver.settle()
    worker = driver.app.worker
    assert worker is not None
    edits = len(driver.calls("editMessageText"))
    broadcast_id = int(
        (await driver.app.services.db.fetchone("SELECT max(id) AS id FROM broadcasts"))["id"]
    )
    for _ in range(3):  # nothing changed since: no edit Telegram would refuse as not modified
        worker.progress(broadcast_id)
        await driver.settle()
    assert len(driver.calls("editMessageText")) == edits
    await driver.press(MEMBER, "Acknowledge", message=ack_message(driver, MEMBER))
    await driver.settle()
    assert len(driver.calls("editMessageText")) == edits + 1
    assert "acknowledged 1 of 3" in driver.calls("editMessageText")[-1].params["text"]


async def test_the_preview_changes_any_answer_and_a_new_audience_asks_its_value(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await driver.send(COORDINATOR, "/broadcast")
    await driver.send(COORDINATOR, "Observers, please")
    await driver.press(COORDINATOR, "Everyone")
    await driver.press(COORDINATOR, "Normal")
    assert "This goes to 3 recipients." in driver.text_of(COORDINATOR.id)  # not the sender
    assert "✎ Recipients" not in buttons_of(driver)  # everyone: no value to change
    await driver.press(COORDINATOR, "✎ Audience")
    await driver.press(COORDINATOR, "By role")
    assert "Choose one:" in driver.text_of(COORDINATOR.id)  # the new kind needs its value
    await driver.press(COORDINATOR, "observer")
    assert "This goes to 1 recipient." in driver.text_of(COORDINATOR.id)
    assert "✎ Recipients" in buttons_of(driver)
    await driver.press(COORDINATOR, "Cancel")
    assert "Nothing was sent" in driver.text_of(COORDINATOR.id)
    await driver.settle()
    assert "Observers, please" not in texts(driver.api.sent_to(OBSERVER.id))


def buttons_of(driver: BotDriver) -> list[str]:
    message = driver.last_keyboard_message(COORDINATOR.id)
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
