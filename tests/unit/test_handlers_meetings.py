"""/meeting, /meetings and /actions as people use them: every step, bad answers, restarts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.callbacks import ListKey, MeetingDeleteConfirmed, MeetingEdit, MeetingList, MeetingOpen
from bot.config import Settings
from bot.jobs.followups import queue_action_reminders
from bot.local_api import LocalUser
from domain.meetings import Meeting, MeetingKind, Participant
from domain.models import Partnership, PartnershipKind, Role
from services.access import TelegramIdentity
from services.meeting_fields import ActionDraft, MeetingDraft
from services.meetings import MeetingQuery
from tests.fakes import BotDriver, FakeClock, texts
from tests.helpers import bot_process, buttons, jit_niger, last
from tests.people import ADMIN, COORDINATOR, MEMBER, OBSERVER

PHOTO = [{"file_id": "photo-1", "file_unique_id": "u1", "width": 90, "height": 90}]
HOSTILE = "<b>bold</b> & <script>"
ESCAPED = "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;"


async def meetings_of(driver: BotDriver, who: LocalUser) -> list[Meeting]:
    caller = await driver.app.services.access.identify(
        TelegramIdentity(who.id, who.first_name, None, "en")
    )
    page = await driver.app.services.meetings.page(caller, MeetingQuery(), 0)
    return [await driver.app.services.meetings.get(caller, m.id) for m in page.meetings]


async def log(driver: BotDriver, who: LocalUser, title: str, **extra: Any) -> Meeting:
    """A meeting saved directly through the service."""
    services = driver.app.services
    caller = await services.access.identify(TelegramIdentity(who.id, who.first_name, None, "en"))
    assert caller.membership is not None
    draft = MeetingDraft(
        held_at=extra.pop("held_at", services.clock() - timedelta(days=1)),
        title=title,
        kind=extra.pop("kind", MeetingKind.BILATERAL),
        **extra,
    )
    return await services.meetings.save(caller, caller.membership.partnership_id, draft)


async def test_the_guided_flow_with_hostile_text_in_every_field(
    driver: BotDriver, partnership: Partnership
) -> None:
    started = texts(await driver.send(MEMBER, "/meeting"))
    assert "Step 1 of 10" in started and "When was the meeting" in started
    echoed = texts(await driver.send(MEMBER, "yesterday 15h"))
    assert "Sunday, November 29, 2026, 3:00\u202fPM" in echoed
    await driver.send(MEMBER, f"Steering {HOSTILE}")
    await driver.press(MEMBER, "Steering committee")
    await driver.send(MEMBER, f"Carlos (Guardia {HOSTILE}), Europol, Moussa")
    await driver.send(MEMBER, f"Dakar {HOSTILE}")
    await driver.send(MEMBER, f"Routes\n\n{HOSTILE}")
    await driver.send(MEMBER, f"Decided {HOSTILE}")
    await driver.send(MEMBER, f"Report {HOSTILE}")
    assert "Carlos" in buttons(driver.last_keyboard_message(MEMBER.id))
    await driver.press(MEMBER, "Carlos")
    assert "Tuesday, December 15, 2026" in texts(await driver.send(MEMBER, "15/12"))
    await driver.send(MEMBER, "Call Frontex")
    await driver.send(MEMBER, f"Liaison {HOSTILE}")
    await driver.press(MEMBER, "No due date")
    await driver.send(MEMBER, "/skip")  # no more actions
    await driver.press(MEMBER, "Coordinators and named participants")
    await driver.send_content(MEMBER, photo=PHOTO, caption=f"Whiteboard {HOSTILE}")
    await driver.send_content(
        MEMBER, voice={"file_id": "voice-1", "file_unique_id": "v1", "duration": 3}
    )
    await driver.press(MEMBER, "Done")
    review = last(driver, MEMBER)
    for escaped in (f"Steering {ESCAPED}", f"Dakar {ESCAPED}", f"Decided {ESCAPED}"):
        assert escaped in review
    # Typed names link nobody until the author presses their 🔗 buttons.
    assert "Carlos (Guardia " + ESCAPED + "), Europol, Moussa\n" in review
    assert "🔗 Carlos → Carlos" in buttons(driver.last_keyboard_message(MEMBER.id))
    await driver.press(MEMBER, "🔗 Carlos → Carlos")
    await driver.press(MEMBER, "🔗 Moussa → Moussa")
    review = last(driver, MEMBER)
    assert "Carlos (Guardia " + ESCAPED + ") ✓" in review and "Moussa ✓" in review
    assert "🔗" not in str(buttons(driver.last_keyboard_message(MEMBER.id)))
    assert "🔒 Coordinators and named participants" in review and "2 files" in review
    await driver.press(MEMBER, "Save")
    assert "is in the meeting log of <b>COP Sénégal</b>" in last(driver, MEMBER)
    (saved,) = await meetings_of(driver, MEMBER)
    assert saved.title == f"Steering {HOSTILE}" and saved.restricted
    assert saved.held_at == datetime(2026, 11, 29, 15, 0, tzinfo=UTC)  # Dakar is UTC+0
    assert [(a.what, a.owner_id, a.owner_name, a.due_on) for a in saved.actions] == [
        (f"Report {HOSTILE}", COORDINATOR.id, "Carlos", date(2026, 12, 15)),
        ("Call Frontex", None, f"Liaison {HOSTILE}", None),
    ]
    assert [p.member_id for p in saved.participants] == [COORDINATOR.id, None, MEMBER.id]
    assert [a.kind.value for a in saved.attachments] == ["photo", "voice"]
    assert saved.attachments[0].name == f"Whiteboard {HOSTILE}"


async def test_bad_answers_at_every_step_keep_the_step_and_the_draft(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/meeting")
    old_kind_buttons: dict[str, Any] | None = None
    # When: unreadable, far ahead, a photo, a command.
    assert "could not read that date" in texts(await driver.send(MEMBER, "the day after"))
    assert "more than a year ahead" in texts(await driver.send(MEMBER, "2090-01-01 10:00"))
    assert "expected a text" in texts(await driver.send_content(MEMBER, photo=PHOTO))
    assert "You are in the middle of" in texts(await driver.send(MEMBER, "/members"))
    await driver.send(MEMBER, "2026-11-28 10:00")
    # Title: empty, /skip, too long.
    assert "cannot be empty" in texts(await driver.send(MEMBER, "   "))
    assert "cannot be empty" in texts(await driver.send(MEMBER, "/skip"))
    assert "at most 200 fit" in texts(await driver.send(MEMBER, "T" * 201))
    await driver.send(MEMBER, "Steering committee")
    # Kind: typed text, then a button of an older draft.
    assert "choose one of the buttons below" in texts(await driver.send(MEMBER, "steering"))
    old_kind_buttons = driver.last_keyboard_message(MEMBER.id)
    await driver.press(MEMBER, "Other")
    # Participants: too many people, a sticker.
    many = ", ".join(f"Person {i}" for i in range(31))
    assert "at most 30 fit" in texts(await driver.send(MEMBER, many))
    sticker = {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1,
               "height": 1, "is_animated": False, "is_video": False}  # fmt: skip
    assert "expected a text" in texts(await driver.send_content(MEMBER, sticker=sticker))
    await driver.send(MEMBER, "/skip")
    # The kind buttons of the earlier step no longer count.
    await driver.press(MEMBER, "Training or workshop", message=old_kind_buttons)
    assert "no longer active" in driver.answers()[-1]
    # Location: too long.
    assert "at most 200 fit" in texts(await driver.send(MEMBER, "L" * 300))
    await driver.send(MEMBER, "Nouakchott")
    # Summary: 10,000 characters.
    refused = texts(await driver.send(MEMBER, "S" * 10_000))
    assert "That has 10000 characters; at most 3000 fit here" in refused
    await driver.send(MEMBER, "Short summary")
    await driver.send(MEMBER, "/skip")  # decisions
    # An action with a bad due date, then a far one.
    await driver.send(MEMBER, "Report")
    await driver.send(MEMBER, "Somebody Else")
    assert "could not read that date" in texts(await driver.send(MEMBER, "whenever"))
    assert "five years away" in texts(await driver.send(MEMBER, "2040-01-01"))
    await driver.send(MEMBER, "2026-12-20")
    await driver.press(MEMBER, "No more actions")
    # Confidentiality: typed text.
    assert "choose one of the buttons below" in texts(await driver.send(MEMBER, "secret"))
    await driver.press(MEMBER, "The whole partnership")
    # Attachments: text where a file is expected.
    assert "Send a photo, a document or a voice note" in texts(await driver.send(MEMBER, "x"))
    await driver.send(MEMBER, "/skip")
    review = last(driver, MEMBER)
    for kept in ("Steering committee", "Nouakchott", "Short summary", "Other", "Report"):
        assert kept in review
    assert "Somebody Else — due Dec 20, 2026" in review
    await driver.press(MEMBER, "Save")
    assert len(await meetings_of(driver, MEMBER)) == 1


async def test_back_and_changing_fields_from_the_review(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/meeting")
    await driver.send(MEMBER, "/skip")  # now
    await driver.send(MEMBER, "First title")
    assert "title" in texts(await driver.send(MEMBER, "/back"))
    assert "Now: First title" in last(driver, MEMBER)
    await driver.send(MEMBER, "/skip")
    await driver.press(MEMBER, "Bilateral meeting")
    for _step in range(3):
        await driver.send(MEMBER, "/skip")  # participants, location, summary
    await driver.send(MEMBER, "Decided")
    await driver.send(MEMBER, "Act one")
    assert "what needs doing" in texts(await driver.send(MEMBER, "/back"))
    await driver.send(MEMBER, "Act one, better")
    await driver.press(MEMBER, "Nobody yet")
    await driver.send(MEMBER, "/skip")  # no due date
    await driver.send(MEMBER, "/skip")  # no more actions
    await driver.press(MEMBER, "The whole partnership")
    await driver.send(MEMBER, "/skip")
    # From the review: change the title, then remove the action.
    await driver.press(MEMBER, "✎ Title")
    assert "Now: First title" in last(driver, MEMBER)
    await driver.send(MEMBER, "Better title")
    assert "Better title" in last(driver, MEMBER)
    assert "✓ Save" in buttons(driver.last_keyboard_message(MEMBER.id))
    await driver.press(MEMBER, "✎ Follow-up actions")
    assert "Act one, better" in last(driver, MEMBER)
    await driver.press(MEMBER, "✖ 1")
    assert "No follow-up actions yet" in last(driver, MEMBER)
    await driver.press(MEMBER, "Add an action")
    await driver.send(MEMBER, "Act two")
    await driver.press(MEMBER, "Moussa")
    await driver.send(MEMBER, "friday")
    assert "Act two — for Moussa ✓ — due Dec 4, 2026" in last(driver, MEMBER)
    await driver.send(MEMBER, "/back")  # on the review of a new meeting: the last step
    assert "Send photos, documents or voice notes" in last(driver, MEMBER)
    await driver.send(MEMBER, "/skip")
    await driver.press(MEMBER, "Save")
    (saved,) = await meetings_of(driver, MEMBER)
    assert saved.title == "Better title" and [a.what for a in saved.actions] == ["Act two"]


async def test_cancel_drops_the_draft_and_its_buttons(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/meeting Quick one\nkind: other")
    review = driver.last_keyboard_message(MEMBER.id)
    assert "Stopped" in texts(await driver.send(MEMBER, "/cancel"))
    await driver.press(MEMBER, "Save", message=review)
    assert "no longer active" in driver.answers()[-1]
    assert await meetings_of(driver, MEMBER) == []
    assert "meeting" not in (driver.app.user_data.get(MEMBER.id) or {})


async def test_restart_in_the_middle_of_the_flow_resumes_at_the_same_step(
    settings: Settings, clock: FakeClock
) -> None:
    async with bot_process(settings, clock) as driver:
        await jit_niger(driver.app.services, (MEMBER, Role.MEMBER))
        await driver.send(MEMBER, "/meeting")
        await driver.send(MEMBER, "yesterday 10h")
        await driver.send(MEMBER, "Réunion <JIT>")
        kind_buttons = driver.last_keyboard_message(MEMBER.id)
    # A new process: only the SQLite file remains.
    async with bot_process(settings, clock, first_update_id=1000) as driver:
        await driver.press(MEMBER, "Training or workshop", message=kind_buttons)
        assert "Who took part" in last(driver, MEMBER)
        for _step in range(5):
            await driver.send(MEMBER, "/skip")  # participants ... actions
        await driver.press(MEMBER, "The whole partnership")
        await driver.send(MEMBER, "/skip")
        review = last(driver, MEMBER)
        assert "Réunion &lt;JIT&gt;" in review and "Training or workshop" in review
        assert "Sunday, November 29, 2026" in review
        await driver.press(MEMBER, "Save")
        (saved,) = await meetings_of(driver, MEMBER)
        assert saved.title == "Réunion <JIT>" and saved.kind is MeetingKind.TRAINING


async def test_one_message_form_saves_after_asking_what_it_could_not_read(
    driver: BotDriver, partnership: Partnership
) -> None:
    replies = texts(
        await driver.send(
            MEMBER,
            "/meeting Steering committee COP <Sénégal>\n"
            "when: the day after the storm\n"
            "kind: steering\n"
            "summary: Routes to the Canaries\n"
            "action: draft joint report; Carlos; someday\n"
            "Book the room for December\n"
            "decisions: Joint patrols",
        )
    )
    # The stray line first: where does it belong?
    assert "I could not tell where this line belongs: <b>Book the room for December</b>" in replies
    await driver.press(MEMBER, "Summary")
    assert "could not read that date" in last(driver, MEMBER)  # then the date
    assert "could not read that date" in texts(await driver.send(MEMBER, "still unknown"))
    await driver.send(MEMBER, "28/11 10:00")
    assert "When is it due" in last(driver, MEMBER)  # then the action's due date
    await driver.send(MEMBER, "2026-12-15")
    review = last(driver, MEMBER)
    assert "Steering committee COP &lt;Sénégal&gt;" in review
    assert "Routes to the Canaries\nBook the room for December" in review
    assert "draft joint report — for Carlos — due Dec 15, 2026" in review
    await driver.press(MEMBER, "🔗 Carlos → Carlos")
    assert "draft joint report — for Carlos ✓ — due Dec 15, 2026" in last(driver, MEMBER)
    await driver.press(MEMBER, "Save")
    (saved,) = await meetings_of(driver, MEMBER)
    assert saved.held_at == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert saved.decisions == "Joint patrols"


async def test_a_telegram_name_alone_never_opens_a_restricted_meeting(
    driver: BotDriver, partnership: Partnership
) -> None:
    # A member who calls themselves "Europol" in Telegram.
    impostor = LocalUser(4242, "Europol", language_code="en")
    await driver.app.services.partnerships.add_member(
        partnership, user_id=impostor.id, name="Someone", role=Role.MEMBER
    )
    await driver.send(impostor, "/help")  # the bot learns the Telegram name
    await driver.send(
        COORDINATOR,
        "/meeting Liaison with Europol\nwhen: yesterday 10:00\nkind: other\n"
        "with: Europol, @nobody_here\naction: send the file; Europol; 2026-12-20\n"
        "confidentiality: restricted",
    )
    review = last(driver, COORDINATOR)
    assert "Europol, @nobody_here" in review and "Europol ✓" not in review
    await driver.press(COORDINATOR, "Save")
    (saved,) = await meetings_of(driver, COORDINATOR)
    assert [p.member_id for p in saved.participants] == [None, None]
    assert [a.owner_id for a in saved.actions] == [None]
    assert "No meetings" in texts(await driver.send(impostor, "/meetings"))
    await driver.press_forged(impostor, MeetingOpen(saved.id).pack())
    assert "could not find" in driver.answers()[-1]
    assert "send the file" not in texts(await driver.send(impostor, "/actions"))


async def test_one_message_form_lines_can_be_left_out_on_purpose(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/meeting\nwhen: yesterday\nnotes: x\nkind: other\nfoo: bar")
    assert "foo: bar" in last(driver, MEMBER)
    await driver.press(MEMBER, "Leave it out")
    assert "title" in last(driver, MEMBER).lower()  # then the title, which was missing
    await driver.send(MEMBER, "From one message")
    assert "Check the meeting" in last(driver, MEMBER)
    await driver.press(MEMBER, "Save")
    (saved,) = await meetings_of(driver, MEMBER)
    assert (saved.title, saved.summary, saved.kind) == ("From one message", "x", MeetingKind.OTHER)


async def test_list_paging_filters_and_detail(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    for number in range(8):
        await log(
            driver,
            MEMBER,
            f"Meeting {number}",
            held_at=datetime(2026, 11, 1 + number, 10, tzinfo=UTC),
            kind=MeetingKind.TRAINING if number % 2 else MeetingKind.STEERING,
            summary="fraude documentaire" if number == 3 else "",
        )
    listing = texts(await driver.send(OBSERVER, "/meetings"))
    assert "8 meetings, newest first" in listing and "Page 1 of 2" in listing
    assert listing.index("Meeting 7") < listing.index("Meeting 2")
    await driver.press(OBSERVER, "»")
    assert "Meeting 1" in last(driver, OBSERVER) and "Meeting 7" not in last(driver, OBSERVER)
    # Search with the button (a typed answer).
    await driver.press(OBSERVER, "Search")
    assert "Send the words" in last(driver, OBSERVER)
    found = texts(await driver.send(OBSERVER, "FRAUDE"))
    assert "1 meeting" in found and "Meeting 3" in found and "words: <b>FRAUDE</b>" in found
    await driver.press(OBSERVER, "Clear the filters")
    await driver.press(OBSERVER, "Kind")
    await driver.press(OBSERVER, "Steering committee")
    assert "4 meetings" in last(driver, OBSERVER)
    await driver.press(OBSERVER, "Dates")
    assert "could not read those days" in texts(await driver.send(OBSERVER, "last summer"))
    narrowed = texts(await driver.send(OBSERVER, "1/11 - 4/11"))
    assert "2 meetings" in narrowed and "kind: <b>Steering committee</b>" in narrowed
    await driver.press(OBSERVER, "1")
    detail = last(driver, OBSERVER)
    assert "Meeting 2" in detail and "Logged by Moussa" in detail
    assert "Edit" not in buttons(driver.last_keyboard_message(OBSERVER.id))  # not the author
    await driver.press(OBSERVER, "Back")
    assert "2 meetings" in last(driver, OBSERVER)
    assert "meetings, newest first" in texts(await driver.send(OBSERVER, "/meetings meeting"))
    old_list = driver.last_keyboard_message(OBSERVER.id)
    forgotten = MeetingList(ListKey("0badcafe"), 1)  # a list long forgotten
    await driver.press_data(OBSERVER, old_list, forgotten.pack())
    assert "no longer active" in driver.answers()[-1]
    assert "at most 100 characters" in texts(await driver.send(OBSERVER, "/meetings " + "x" * 101))


async def test_empty_log_and_no_match(driver: BotDriver, partnership: Partnership) -> None:
    assert "No meetings logged" in texts(await driver.send(MEMBER, "/meetings"))
    await log(driver, MEMBER, "Only one")
    assert "No meeting matches" in texts(await driver.send(MEMBER, "/meetings zebra"))


async def test_restricted_meetings_stay_hidden_from_members_not_named(
    driver: BotDriver, partnership: Partnership
) -> None:
    secret = await log(
        driver,
        COORDINATOR,
        "Confidential <route> review",
        restricted=True,
        participants=(Participant("Moussa", "", MEMBER.id),),
    )
    assert "Confidential" in texts(await driver.send(MEMBER, "/meetings"))  # named
    assert "No meetings" in texts(await driver.send(OBSERVER, "/meetings"))
    assert "No meeting matches" in texts(await driver.send(OBSERVER, "/meetings route"))
    await driver.press_forged(OBSERVER, MeetingOpen(secret.id).pack())
    assert "could not find" in driver.answers()[-1]
    await driver.press_forged(OBSERVER, MeetingEdit(secret.id).pack())
    assert "could not find" in driver.answers()[-1]
    # Another partnership's admin sees nothing of it either.
    services = driver.app.services
    other = await services.partnerships.create(
        name="NETCOP", kind=PartnershipKind.NETWORK, countries=(), timezone="UTC", language="en"
    )
    outsider = LocalUser(777, "Outsider")
    await services.partnerships.add_member(other, user_id=777, name="Outsider", role=Role.ADMIN)
    assert "No meetings" in texts(await driver.send(outsider, "/meetings"))
    await driver.press_forged(outsider, MeetingOpen(secret.id).pack())
    assert "could not find" in driver.answers()[-1]


async def test_authors_and_coordinators_edit_and_delete(
    driver: BotDriver, partnership: Partnership
) -> None:
    meeting = await log(driver, MEMBER, "Original")
    await driver.send(MEMBER, "/meetings")
    await driver.press(MEMBER, "1")
    assert {"✎ Edit", "🗑 Delete"} <= set(buttons(driver.last_keyboard_message(MEMBER.id)))
    await driver.press(MEMBER, "Edit")
    assert "Press a field to change it, then save" in last(driver, MEMBER)
    await driver.press(MEMBER, "✎ Date")
    await driver.send(MEMBER, "27/11 11:00")
    await driver.press(MEMBER, "✎ Title")
    await driver.send(MEMBER, "Edited by the author")
    await driver.press(MEMBER, "Save")
    assert "Saved the changes to <b>Edited by the author</b>" in last(driver, MEMBER)
    (stored,) = await meetings_of(driver, MEMBER)
    assert stored.held_at == datetime(2026, 11, 27, 11, tzinfo=UTC) and stored.id == meeting.id
    # A member who is not the author sees no buttons; a crafted press is refused.
    await driver.send(OBSERVER, "/meetings")
    await driver.press(OBSERVER, "1")
    detail = driver.last_keyboard_message(OBSERVER.id)
    await driver.press_data(OBSERVER, detail, MeetingDeleteConfirmed(meeting.id).pack())
    assert "Only coordinators and admins" in driver.answers()[-1]
    # A coordinator deletes it, after confirming.
    await driver.send(COORDINATOR, "/meetings")
    await driver.press(COORDINATOR, "1")
    await driver.press(COORDINATOR, "Delete")
    assert "Delete the meeting <b>Edited by the author</b>?" in last(driver, COORDINATOR)
    confirm = dict(driver.last_keyboard_message(COORDINATOR.id))
    await driver.press(COORDINATOR, "Yes, delete")
    assert "Deleted" in last(driver, COORDINATOR)
    await driver.press_data(
        COORDINATOR, confirm, MeetingDeleteConfirmed(meeting.id).pack()
    )  # twice
    assert "could not find" in driver.answers()[-1]
    assert "No meetings" in texts(await driver.send(MEMBER, "/meetings"))


async def test_actions_mine_first_overdue_and_done(
    driver: BotDriver, partnership: Partnership
) -> None:
    await log(
        driver,
        COORDINATOR,
        "Steering",
        actions=(
            ActionDraft("Late <report>", ADMIN.id, "Aminata", date(2026, 11, 20)),
            ActionDraft("Moussa task", MEMBER.id, "Moussa", date(2026, 12, 10)),
        ),
    )
    listing = texts(await driver.send(MEMBER, "/actions"))
    assert "2 open follow-up actions — yours: 1, overdue: 1." in listing
    assert listing.index("Moussa task") < listing.index("Late &lt;report&gt;")
    assert "overdue since Nov 20, 2026" in listing
    # only their own; each button says what it does, to what
    assert buttons(driver.last_keyboard_message(MEMBER.id))[:1] == ["✔ 1. Moussa task"]
    old_list = dict(driver.last_keyboard_message(MEMBER.id))
    await driver.press(MEMBER, "✔ 1")
    assert "Marked done: <b>Moussa task</b>" in last(driver, MEMBER)
    done_data = old_list["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await driver.press_data(MEMBER, old_list, done_data)  # the old button, pressed again
    assert "Already marked done: <b>Moussa task</b>" in last(driver, MEMBER)
    assert "1 open follow-up action" in last(driver, MEMBER)
    await driver.press(MEMBER, "📝 1")
    assert "✔️ 1. Late" not in last(driver, MEMBER) and "✔️ 2. Moussa" in last(driver, MEMBER)
    observed = texts(await driver.send(OBSERVER, "/actions"))
    assert "1 open follow-up action — yours: 0, overdue: 1." in observed
    assert not [b for b in buttons(driver.last_keyboard_message(OBSERVER.id)) if "✔" in b]


async def test_meeting_in_a_group_opens_the_private_chat_for_that_partnership(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    group = driver.updates.group_chat(-1003, "COP team")
    await driver.send(ADMIN, "/linkgroup", chat=group)
    # Moussa works in another partnership at the moment.
    other = await services.partnerships.create(
        name="NETCOP", kind=PartnershipKind.NETWORK, countries=(), timezone="UTC", language="en"
    )
    await services.partnerships.add_member(other, user_id=MEMBER.id, name="M", role=Role.MEMBER)
    await driver.send(MEMBER, "/partnership")
    await driver.press(MEMBER, "NETCOP")
    answer = (await driver.send(MEMBER, "/meeting Secret stuff", chat=group))[-1]
    url = answer["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert url == f"https://t.me/partnerbot_test_bot?start=meeting_{partnership.id}"
    assert "Secret stuff" not in answer["text"]
    started = texts(await driver.send(MEMBER, f"/start meeting_{partnership.id}"))
    assert "New meeting for <b>COP Sénégal</b>" in started
    await driver.send(MEMBER, "/skip")
    await driver.send(MEMBER, "From the group")
    await driver.press(MEMBER, "Other")
    for _step in range(5):
        await driver.send(MEMBER, "/skip")
    await driver.press(MEMBER, "The whole partnership")
    await driver.send(MEMBER, "/skip")
    await driver.press(MEMBER, "Save")
    assert [m.title for m in await meetings_of(driver, ADMIN)] == ["From the group"]
    # Someone outside that partnership, and an observer, cannot log there.
    outsider = LocalUser(778, "Outsider")
    await services.partnerships.add_member(other, user_id=778, name="O", role=Role.MEMBER)
    refused = texts(await driver.send(outsider, f"/start meeting_{partnership.id}"))
    assert "not a member" in refused
    assert "Observers" in texts(await driver.send(OBSERVER, f"/start meeting_{partnership.id}"))
    assert "Observers" in texts(await driver.send(OBSERVER, "/meeting"))
    # Malformed links are not invite codes.
    assert "Welcome back" in texts(await driver.send(MEMBER, "/start meeting_x"))
    # The list commands stay private.
    assert "private chat" in texts(await driver.send(MEMBER, "/meetings", chat=group))


async def test_files_are_sent_back_by_their_file_ids(
    driver: BotDriver, partnership: Partnership
) -> None:
    from domain.meetings import Attachment, AttachmentKind

    await log(
        driver,
        MEMBER,
        "With files",
        attachments=(
            Attachment(AttachmentKind.PHOTO, "photo-1", "Board <1>"),
            Attachment(AttachmentKind.DOCUMENT, "doc-1", "minutes.pdf"),
            Attachment(AttachmentKind.VOICE, "voice-1", ""),
        ),
    )
    await driver.send(MEMBER, "/meetings")
    await driver.press(MEMBER, "1")
    await driver.press(MEMBER, "Files (3)")
    media = ("photo", "document", "voice")
    sent = [
        (call.method, next(call.params[k] for k in media if k in call.params))
        for call in driver.api.calls
        if call.method in ("sendPhoto", "sendDocument", "sendVoice")
    ]
    assert sent == [("sendPhoto", "photo-1"), ("sendDocument", "doc-1"), ("sendVoice", "voice-1")]
    assert driver.calls("sendPhoto")[0].params["caption"] == "Board &lt;1&gt;"


async def test_owner_gets_the_reminder_the_day_before_once(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    await driver.send(MEMBER, "/help")  # the bot knows Moussa's chat and language
    await log(
        driver,
        COORDINATOR,
        "Steering <committee>",
        actions=(ActionDraft("Send <the> list", MEMBER.id, "Moussa", date(2026, 12, 2)),),
    )
    services = driver.app.services
    assert await queue_action_reminders(services, "en") == 0
    clock.now = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert await queue_action_reminders(services, "en") == 1
    assert await queue_action_reminders(services, "en") == 0
    assert driver.app.worker is not None
    await driver.app.worker.settle()
    driver.check_calls()
    reminder = last(driver, MEMBER)
    assert "due tomorrow, Wednesday, December 2, 2026" in reminder
    assert "Send &lt;the&gt; list" in reminder and "Steering &lt;committee&gt;" in reminder


async def test_the_longest_meeting_is_split_below_telegrams_limits(
    driver: BotDriver, partnership: Partnership
) -> None:
    from services.meeting_fields import (
        MAX_ACTIONS,
        MAX_DECISIONS,
        MAX_OWNER,
        MAX_PARTICIPANTS,
        MAX_PERSON,
        MAX_SUMMARY,
        MAX_TITLE,
        MAX_WHAT,
    )

    def hostile(length: int) -> str:
        return ("<&>é" * length)[:length]

    meeting = await log(
        driver,
        MEMBER,
        hostile(MAX_TITLE),
        location=hostile(200),
        summary=(hostile(79) + "\n") * (MAX_SUMMARY // 80),
        decisions=hostile(MAX_DECISIONS),  # one line without a break
        participants=tuple(
            Participant(hostile(MAX_PERSON // 2), hostile(MAX_PERSON // 2))
            for _ in range(MAX_PARTICIPANTS)
        ),
        actions=tuple(
            ActionDraft(hostile(MAX_WHAT), None, hostile(MAX_OWNER), date(2026, 12, 1))
            for _ in range(MAX_ACTIONS)
        ),
    )
    await driver.send(MEMBER, "/meetings")
    await driver.press(MEMBER, "1")  # checked by the driver: valid HTML, at most 4096 each
    parts = [m for m in driver.api.sent_to(MEMBER.id) if "&lt;&amp;&gt;" in m.get("text", "")]
    assert len(parts) >= 4
    await driver.press(MEMBER, "Edit")
    review = driver.last_keyboard_message(MEMBER.id)
    assert "✓ Save" in buttons(review)
    await driver.press(MEMBER, "Save")
    (stored,) = await meetings_of(driver, MEMBER)
    assert stored.id == meeting.id and stored.decisions == hostile(MAX_DECISIONS)


async def test_arabic_readers_get_values_isolated(
    driver: BotDriver, partnership: Partnership
) -> None:
    arabic = LocalUser(MEMBER.id, "Moussa", language_code="ar")
    await log(
        driver,
        COORDINATOR,
        "COP <Sénégal> 2026",
        participants=(Participant("Carlos", "Guardia Civil", COORDINATOR.id),),
        actions=(ActionDraft("Report", MEMBER.id, "Moussa", date(2026, 12, 1)),),
    )
    listing = texts(await driver.send(arabic, "/meetings"))
    assert "\u2068COP &lt;Sénégal&gt; 2026\u2069" in listing
    await driver.press(arabic, "1")
    detail = driver.text_of(arabic.id)  # as sent, isolates included
    assert "\u2068Carlos\u2069 (\u2068Guardia Civil\u2069)" in detail


async def test_an_action_changed_from_the_review_survives_a_restart_and_the_meeting_opens(
    settings: Settings, clock: FakeClock
) -> None:
    async with bot_process(settings, clock) as driver:
        await jit_niger(driver.app.services, (MEMBER, Role.MEMBER))
        await driver.send(MEMBER, "/meeting Steering\nkind: other\naction: Report; Somebody; 20/12")
        await driver.press(MEMBER, "✎ Follow-up actions")
        assert "Report — for Somebody — due Dec 20, 2026" in last(driver, MEMBER)
        await driver.press(MEMBER, "✎ 1")
        asked = last(driver, MEMBER)
        assert "Follow-up action 1: what needs doing?" in asked and "Now: Report" in asked
        assert "Step " not in asked  # asked from the review: no step number
        await driver.send(MEMBER, "/skip")  # keeps what needs doing
        assert "Now: Somebody" in last(driver, MEMBER)
        owner_buttons = driver.last_keyboard_message(MEMBER.id)
    # A new process: the action being changed is still the first one.
    async with bot_process(settings, clock, first_update_id=1000) as driver:
        await driver.press(MEMBER, "Moussa", message=owner_buttons)
        assert "Now: Sunday, December 20, 2026" in last(driver, MEMBER)
        await driver.press(MEMBER, "No due date")
        review = last(driver, MEMBER)
        assert "Report — for Moussa ✓" in review and "due Dec 20" not in review
        await driver.press(MEMBER, "Save")
        assert "Open" in buttons(driver.last_keyboard_message(MEMBER.id))
        await driver.press(MEMBER, "Open")
        assert "Logged by" in last(driver, MEMBER) and "Steering" in last(driver, MEMBER)


async def test_a_flow_left_open_lets_read_only_commands_through_and_says_where_it_is(
    settings: Settings, clock: FakeClock
) -> None:
    async with bot_process(settings, clock) as driver:
        await jit_niger(driver.app.services, (MEMBER, Role.MEMBER))
        await driver.send(MEMBER, "/meeting")
        await driver.send(MEMBER, "yesterday 10:00")
        await driver.send(MEMBER, "Border post visit")  # now at the kind, on buttons
    # After a restart, in the middle of the flow:
    async with bot_process(settings, clock, first_update_id=1000) as driver:
        # read-only commands answer, and the flow keeps its step;
        assert "/meetings" in texts(await driver.send(MEMBER, "/help"))
        assert "No meetings" in texts(await driver.send(MEMBER, "/meetings"))
        # another command is told which flow is open, with its question and buttons again;
        reminded = await driver.send(MEMBER, "/flag")
        assert "You are in the middle of logging a meeting" in texts(reminded)
        assert "What kind of meeting was it?" in texts(reminded)
        assert "Steering committee" in buttons(reminded[-1])
        # text where a button is expected shows the buttons again, not "above".
        again = await driver.send(MEMBER, "a kind of my own")
        assert "choose one of the buttons below" in texts(again)
        assert "Steering committee" in buttons(again[-1])
        await driver.press(MEMBER, "Other")
        assert "Step 4 of 10" in last(driver, MEMBER)


async def test_meeting_sent_again_asks_before_dropping_the_draft(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/meeting")
    await driver.send(MEMBER, "yesterday 10:00")
    await driver.send(MEMBER, "Border post visit")
    asked = texts(await driver.send(MEMBER, "/meeting"))
    assert "You have an unfinished draft of logging a meeting" in asked
    await driver.press(MEMBER, "Continue the draft")
    assert "What kind of meeting was it?" in last(driver, MEMBER)  # where it was
    await driver.press(MEMBER, "Other")
    await driver.send(MEMBER, "/meeting")
    await driver.press(MEMBER, "Start over")
    assert "Step 1 of 10" in last(driver, MEMBER)
    await driver.send(MEMBER, "/skip")
    assert "Now: Border post visit" not in last(driver, MEMBER)  # a new draft


async def test_a_location_pin_answers_where_the_meeting_was_held(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/meeting")
    await driver.send(MEMBER, "yesterday 10:00")
    await driver.send(MEMBER, "Visit of the Rosso crossing")
    await driver.press(MEMBER, "Other")
    await driver.send(MEMBER, "/skip")  # participants
    assert "Where was it held?" in last(driver, MEMBER)
    await driver.send_content(MEMBER, location={"latitude": 16.5138, "longitude": -15.8050})
    assert "Send a summary" in last(driver, MEMBER)  # the next step
    for _ in range(4):  # summary, decisions, actions, confidentiality
        await driver.send(MEMBER, "/skip")
    await driver.press(MEMBER, "Done")
    assert "📍 16.51380, -15.80500" in last(driver, MEMBER)


async def test_a_past_due_date_is_confirmed_and_a_meeting_ahead_is_warned_of(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/meeting")
    warned = texts(await driver.send(MEMBER, "tomorrow 10:00"))
    assert "This is in the future" in warned
    await driver.send(MEMBER, "/back")
    assert "This is in the future" not in texts(await driver.send(MEMBER, "yesterday 10:00"))
    await driver.send(MEMBER, "Past due check")
    await driver.press(MEMBER, "Other")
    for _ in range(4):  # participants, location, summary, decisions
        await driver.send(MEMBER, "/skip")
    await driver.send(MEMBER, "Send the report")
    await driver.press(MEMBER, "Moussa")
    asked = texts(await driver.send(MEMBER, "2026-11-20"))  # ten days ago
    assert "is already past" in asked and "never reminded" in asked
    assert "When is it due" not in last(driver, MEMBER)  # the question stays until answered
    await driver.press(MEMBER, "Keep this date")
    await driver.send(MEMBER, "/skip")  # no more actions
    await driver.press(MEMBER, "The whole partnership")
    await driver.press(MEMBER, "Done")
    assert "⚠️ overdue since Nov 20, 2026" in last(driver, MEMBER)


async def test_a_flow_left_for_a_day_is_closed_its_draft_kept_for_resume(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    assert "no draft to continue" in texts(await driver.send(MEMBER, "/resume"))
    await driver.send(MEMBER, "/meeting")
    await driver.send(MEMBER, "yesterday 10:00")
    await driver.send(MEMBER, "Left for a day")
    clock.advance(hours=25)
    closed = texts(await driver.send(MEMBER, "an answer a day late"))
    assert "You left logging a meeting untouched for more than 24 hours" in closed
    assert "/resume" in closed
    # The flow is closed: other commands work as usual.
    assert "You are in the middle" not in texts(await driver.send(MEMBER, "/flag"))
    await driver.send(MEMBER, "/cancel")
    await driver.send(MEMBER, "/resume")
    await driver.press(MEMBER, "Continue: logging a meeting")
    resumed = last(driver, MEMBER)
    assert "Here is where you were." in resumed and "What kind of meeting was it?" in resumed
    await driver.press(MEMBER, "Other")
    assert "Step 4 of 10" in last(driver, MEMBER)


async def test_the_first_step_accepts_now_with_one_press(
    driver: BotDriver, partnership: Partnership
) -> None:
    first = await driver.send(MEMBER, "/meeting")
    assert "Now:" in texts(first) and "✓ Keep this date and time" in buttons(first[-1])
    await driver.press(MEMBER, "Keep this date and time")
    assert "Step 2 of 10" in last(driver, MEMBER)


async def test_more_than_ten_members_page_on_who_will_do_it(
    driver: BotDriver, partnership: Partnership
) -> None:
    for number in range(12):
        await driver.app.services.partnerships.add_member(
            partnership, user_id=9100 + number, name=f"Zed {number:02}", role=Role.MEMBER
        )
    await driver.send(MEMBER, "/meeting Page through owners\nwhen: yesterday\nkind: other")
    await driver.press(MEMBER, "✎ Follow-up actions")
    await driver.press(MEMBER, "Add an action")
    await driver.send(MEMBER, "Call the embassy")
    first = buttons(driver.last_keyboard_message(MEMBER.id))
    assert "More members ▸" in first and "Zed 11" not in first
    await driver.press(MEMBER, "More members ▸")
    assert "Other members of the partnership" in last(driver, MEMBER)
    await driver.press(MEMBER, "Zed 11")
    assert "When is it due" in last(driver, MEMBER)
