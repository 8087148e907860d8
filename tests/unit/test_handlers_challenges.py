"""/flag, challenge alerts, acknowledgements, the lifecycle, escalation and /challenges, as
members and coordinators use them."""

from __future__ import annotations

from bot.callbacks import (
    ChallengeEdit,
    ChallengeFiles,
    ChallengeMap,
    ChallengeReopen,
    ChallengeStatusChange,
    EscalationDelay,
)
from bot.config import Settings
from bot.jobs.escalation import send_due_escalations
from bot.local_api import LocalUser
from domain.challenges import EditedField, Status
from domain.models import Partnership, PartnershipKind, Role
from storage import audit
from tests.fakes import BotDriver, FakeClock, texts
from tests.helpers import alert_to, bot_process, buttons, data_of, jit_niger, last
from tests.people import ADMIN, COORDINATOR, HOSTILE, MEMBER, OBSERVER

PHOTO = [{"file_id": "photo-small", "file_unique_id": "s", "width": 90, "height": 60},
         {"file_id": "photo-big", "file_unique_id": "b", "width": 800, "height": 600}]  # fmt: skip
STICKER = {"file_id": "s", "file_unique_id": "s", "width": 1, "height": 1, "is_animated": False,
           "is_video": False, "type": "regular"}  # fmt: skip
PIN = {"latitude": 16.6167, "longitude": -15.5}


async def quick_flag(
    driver: BotDriver, person: LocalUser, text: str, flagged: str = "Flagged as #"
) -> int:
    """The one-message form, then Submit; returns the new challenge's number. `flagged` is
    the start of the confirmation in the person's language."""
    await driver.send(person, f"/flag {text}")
    await driver.press(person, "✓")  # Submit, in the person's language
    final = last(driver, person)
    assert flagged in final, final
    return int(final.split(flagged)[1].split(":")[0])


async def test_the_guided_flow_flags_and_alerts_coordinators_members_and_groups(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    group = driver.updates.group_chat(-100555, "COP team")
    await driver.send(ADMIN, "/linkgroup", chat=group)
    start = texts(await driver.send(MEMBER, "/flag"))
    assert "No personal data on suspects or migrants" in start and "SIENA" in start
    assert "Step 1 of 9" in start
    assert "Maritime incident, search and rescue" in buttons(
        driver.last_keyboard_message(MEMBER.id)
    )
    await driver.press(MEMBER, "Maritime incident")
    await driver.press(MEMBER, "Critical")
    assert "Step 3 of 9" in last(driver, MEMBER)
    await driver.send(MEMBER, "Pirogue <departed> & capsized")
    await driver.send(MEMBER, "About 80 people on board; rescue under way.")
    await driver.send(MEMBER, "Off Saint-Louis")
    assert "location pin" in last(driver, MEMBER)
    await driver.send_content(MEMBER, location=PIN)
    await driver.send(MEMBER, "Saint-Louis → Canary Islands")
    await driver.send(MEMBER, "yesterday 23:30")
    assert "Observed:" in texts(driver.api.sent_to(MEMBER.id)[-2:])
    await driver.press(MEMBER, "Every member")
    await driver.send_content(MEMBER, photo=PHOTO)
    assert "1 attachment received" in last(driver, MEMBER)
    await driver.press(MEMBER, "Done")
    review = last(driver, MEMBER)
    assert "Pirogue &lt;departed&gt; &amp; capsized" in review
    assert "Off Saint-Louis (16.61670, -15.50000)" in review
    assert "Saint-Louis → Canary Islands" in review and "📎 1 attachment" in review
    assert "SIENA" in review
    await driver.press(MEMBER, "Submit")
    done = last(driver, MEMBER)
    assert "1 coordinator is alerted" in done and "So are 2 other members" in done
    assert "posted in 1 linked group chat" in done and "30 minutes" in done
    await driver.settle()
    alert = alert_to(driver, COORDINATOR)
    assert "CRITICAL" in alert["text"] and "Pirogue &lt;departed&gt;" in alert["text"]
    assert buttons(alert)[0] == "✅ Acknowledge" and "Open" in buttons(alert)[1]
    assert "Please acknowledge it" in alert["text"]
    for person in (ADMIN, OBSERVER):
        assert "/challenge_alerts turns them off" in alert_to(driver, person)["text"]
    posted = driver.api.sent_to(group["id"])[-1]
    # A group chat has no Telegram language: it reads the partnership's language, French.
    assert "Pirogue" in posted["text"] and buttons(posted) == ["🔎 Ouvrir"]
    assert not [m for m in driver.api.sent_to(MEMBER.id) if "Acknowledge" in str(buttons(m))]


async def test_bad_input_at_every_step_keeps_the_step(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/flag")
    categories = driver.last_keyboard_message(MEMBER.id)
    assert "choose the category" in texts(await driver.send(MEMBER, "something else"))
    assert "choose the category" in texts(await driver.send_content(MEMBER, location=PIN))
    assert "choose the category" in texts(await driver.send_content(MEMBER, sticker=STICKER))
    await driver.send(MEMBER, "corruption")  # a typed name is understood too
    assert "How serious" in last(driver, MEMBER)
    route = data_of(categories, "New or shifting route")
    await driver.press_data(MEMBER, categories, route)  # a button of the step before
    assert "no longer active" in driver.answers()[-1]
    await driver.press(MEMBER, "High")
    # Title: empty, too long, a photo, a location pin, /skip on a required step.
    assert "cannot be empty" in texts(await driver.send(MEMBER, "   "))
    assert "121 characters; at most 120" in texts(await driver.send(MEMBER, "t" * 121))
    assert "at the last step" in texts(await driver.send_content(MEMBER, photo=PHOTO))
    assert "only fits the question" in texts(await driver.send_content(MEMBER, location=PIN))
    assert "This one is needed" in texts(await driver.send(MEMBER, "/skip"))
    assert "You are in the middle of" in texts(await driver.send(MEMBER, "/members"))
    await driver.send(MEMBER, "<b>Officials</b> & fees")
    # Description: 10,000 characters.
    assert "10000 characters; at most 3000" in texts(await driver.send(MEMBER, "d" * 10_000))
    await driver.send(MEMBER, "<i>Fees</i> & <script>x</script>")
    # Place: a sticker; a name, then text where a pin is expected.
    assert "as a location pin" in texts(await driver.send_content(MEMBER, sticker=STICKER))
    await driver.send(MEMBER, "Rosso <crossing>")
    assert "Please send a location pin" in texts(await driver.send(MEMBER, "more text"))
    await driver.press(MEMBER, "Continue")
    await driver.send(MEMBER, "/back")
    assert "Step 5 of 9" in last(driver, MEMBER) and "Rosso &lt;crossing&gt;" in last(
        driver, MEMBER
    )
    await driver.send(MEMBER, "/skip")
    await driver.send(MEMBER, "r" * 201)
    assert "201 characters" in last(driver, MEMBER)
    await driver.send(MEMBER, "N2 & <river>")
    # Observed: unreadable, future, a location.
    assert "could not read that as a date" in texts(await driver.send(MEMBER, "whenever"))
    assert "in the future" in texts(await driver.send(MEMBER, "tomorrow"))
    assert "only fits the question" in texts(await driver.send_content(MEMBER, location=PIN))
    await driver.press(MEMBER, "Yesterday")
    assert "choose with the buttons" in texts(await driver.send(MEMBER, "restricted please"))
    await driver.press(MEMBER, "Restricted")
    assert "send a photo or a document" in texts(await driver.send(MEMBER, "a caption"))
    await driver.send(MEMBER, "/skip")
    review = last(driver, MEMBER)
    expected = ("&lt;b&gt;Officials&lt;/b&gt; &amp; fees", "Rosso &lt;crossing&gt;",
                "&lt;i&gt;Fees&lt;/i&gt; &amp; &lt;script&gt;x&lt;/script&gt;",
                "N2 &amp; &lt;river&gt;", "Restricted", "Corruption of officials")  # fmt: skip
    assert all(part in review for part in expected), review
    assert "choose with the buttons" in texts(await driver.send(MEMBER, "submit"))


async def test_hostile_names_and_html_everywhere_stay_escaped(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.app.services.partnerships.add_member(
        partnership, user_id=HOSTILE.id, name=HOSTILE.first_name, role=Role.MEMBER
    )
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    # Their Telegram language is Arabic: the bot answers them in Arabic.
    number = await quick_flag(
        driver, HOSTILE, "critical route <i>new</i> & </b> route", flagged="تم الإبلاغ برقم #"
    )
    await driver.settle()
    alert = alert_to(driver, COORDINATOR)["text"]
    assert "&lt;i&gt;new&lt;/i&gt; &amp; &lt;/b&gt; route" in alert
    assert "&lt;script&gt;" in alert
    await driver.press(COORDINATOR, "Acknowledge", message=alert_to(driver, COORDINATOR))
    await driver.settle()
    assert f"#{number}" in last(driver, HOSTILE)


async def test_one_message_form_and_its_misreadings(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, "/flag high instrumentalisation Buses bringing groups near X")
    review = last(driver, MEMBER)
    assert "I read your message" in review and "Instrumentalisation of migrants" in review
    assert "🟠 High" in review and "<b>Buses bringing groups near X</b>" in review
    review_message = driver.last_keyboard_message(MEMBER.id)
    submit = data_of(review_message, "Submit")
    await driver.press(MEMBER, "Cancel")
    assert "Nothing was flagged" in last(driver, MEMBER)
    await driver.press_data(MEMBER, review_message, submit)  # a button from before
    assert "no longer active" in driver.answers()[-1]
    started = texts(await driver.send(MEMBER, "/flag hihg instrumentalisation Buses"))
    assert "could not read a severity and a category" in started
    assert "kept as the title" in started and "Step 1 of 9" in started
    await driver.press(MEMBER, "Other")
    await driver.press(MEMBER, "Low")
    assert "Now: hihg instrumentalisation Buses" in last(driver, MEMBER)
    await driver.send(MEMBER, "/cancel")
    await driver.send(MEMBER, "/flag critical maritime")
    assert "Step 3 of 9" in last(driver, MEMBER)  # the title is still needed


async def test_personal_data_is_asked_about_before_submitting(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await driver.send(MEMBER, "/flag medium digital Adverts for crossings")
    await driver.press(MEMBER, "Description")
    await driver.send(MEMBER, "The seller answers on +221 77 123 45 67, passport AB1234567")
    await driver.press(MEMBER, "Submit")
    question = last(driver, MEMBER)
    assert "looks like personal data" in question
    assert "a phone number: +221 77 123 45 67" in question
    assert "a passport number: AB1234567" in question and "SIENA" in question
    assert "Check your challenge" in texts(await driver.send(MEMBER, "/back"))
    assert "Step 9 of 9" in texts(await driver.send(MEMBER, "/back"))  # then the last step
    await driver.send(MEMBER, "/skip")
    await driver.press(MEMBER, "Submit")
    question_message = driver.last_keyboard_message(MEMBER.id)
    await driver.press(MEMBER, "Change the texts")
    # The question is closed once the review is back: its answer no longer counts.
    anyway = data_of(question_message, "it is no personal data")
    await driver.press_data(MEMBER, question_message, anyway)
    assert "no longer active" in driver.answers()[-1]
    await driver.press(MEMBER, "Description")
    await driver.send(MEMBER, "The seller answers on a messaging app.")
    await driver.press(MEMBER, "Submit")
    assert "Flagged as #" in last(driver, MEMBER)
    # Confirmed on purpose: recorded without the values.
    await driver.send(MEMBER, "/flag low other Hotline +221 800 00 00 00 is public")
    await driver.press(MEMBER, "Submit")
    await driver.press(MEMBER, "it is no personal data")
    assert "Flagged as #2" in last(driver, MEMBER)
    entries = await audit.recent(driver.app.services.db, partnership.id)
    flagged = [e for e in entries if e.action == "challenge.flag"]
    assert flagged[0].detail["personal_data_confirmed"] == ["phone"]
    assert "800" not in str(flagged[0].detail)


async def test_acknowledge_counts_for_the_challenge_and_the_reporter_sees_who(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    number = await quick_flag(driver, MEMBER, "critical maritime Boat in distress")
    await driver.settle()
    alert = alert_to(driver, COORDINATOR)
    await driver.press(COORDINATOR, "Acknowledge", message=alert)
    assert "recorded" in driver.answers()[-1]
    after = alert_to(driver, COORDINATOR)
    assert "Acknowledged" in buttons(after)[0] and "Open" in buttons(after)[1]
    await driver.settle()
    told = last(driver, MEMBER)
    assert f"Carlos (coordinator) acknowledged your challenge #{number}" in told
    assert "Status: acknowledged" in told
    # The observer acknowledges too: recorded, without a message to the reporter.
    await driver.press(OBSERVER, "Acknowledge", message=alert_to(driver, OBSERVER))
    await driver.press(COORDINATOR, "Acknowledged", message=alert_to(driver, COORDINATOR))
    assert "already acknowledged" in driver.answers()[-1]
    await driver.settle()
    assert texts(driver.api.sent_to(MEMBER.id)).count("acknowledged your challenge") == 1
    await driver.press(MEMBER, "Open", message=alert_to(driver, MEMBER, "acknowledged"))
    view = last(driver, MEMBER)
    assert "Acknowledged by: Carlos (coordinator), Olga (observer)" in view
    assert "Status: <b>acknowledged</b>" in view
    assert "→" not in str(buttons(driver.api.sent_to(MEMBER.id)[-1]))  # no lifecycle buttons


async def test_lifecycle_with_notes_history_and_refusals(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    number = await quick_flag(driver, MEMBER, "high documents Forged visas sold")
    await driver.settle()
    await driver.press(COORDINATOR, "Open", message=alert_to(driver, COORDINATOR))
    view = driver.api.sent_to(COORDINATOR.id)[-1]
    assert "→ Corroborated" in buttons(view) and "→ Dismiss" in buttons(view)
    # A plain member presses a coordinator's button.
    await driver.press_forged(MEMBER, data_of(view, "Corroborated"))
    assert "Only coordinators and admins" in driver.answers()[-1]
    await driver.press(COORDINATOR, "Corroborated", message=view)
    assert "Send a note" in last(driver, COORDINATOR)
    assert "1001 characters" in texts(await driver.send(COORDINATOR, "n" * 1001))
    await driver.send(COORDINATOR, "Seen by <two> units & DPAF")
    assert f"#{number} is now <b>corroborated</b>" in texts(driver.api.sent_to(COORDINATOR.id)[-2:])
    await driver.settle()
    told = last(driver, MEMBER)
    assert "is now <b>corroborated</b>, by Carlos" in told
    assert "Note: Seen by &lt;two&gt; units &amp; DPAF" in told
    # The old view's buttons are out of date for steps already passed.
    await driver.press(COORDINATOR, "Acknowledged", message=view)
    assert "out of date" in driver.answers()[-1]
    await driver.press(ADMIN, "Open", message=alert_to(driver, ADMIN))
    await driver.press(ADMIN, "Resolved")
    await driver.press(ADMIN, "Without a note")
    await driver.settle()
    assert "is now <b>resolved</b>, by Aminata" in last(driver, MEMBER)
    detail = texts(driver.api.sent_to(ADMIN.id)[-1:])
    for step in ("reported (Moussa)", "corroborated (Carlos): Seen by &lt;two&gt;",
                 "resolved (Aminata)"):  # fmt: skip
        assert step in detail
    assert "→" not in str(buttons(driver.api.sent_to(ADMIN.id)[-1]))


async def test_a_note_too_long_is_not_kept_and_skip_changes_without_one(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await quick_flag(driver, MEMBER, "high documents Forged visas sold")
    await driver.settle()
    await driver.press(COORDINATOR, "Open", message=alert_to(driver, COORDINATOR))
    await driver.press(COORDINATOR, "Corroborated")
    assert "1001 characters" in texts(await driver.send(COORDINATOR, "n" * 1001))
    assert "is now <b>corroborated</b>" in texts(await driver.send(COORDINATOR, "/skip"))
    await driver.settle()
    assert "Note:" not in last(driver, MEMBER)


async def test_acknowledging_works_in_the_middle_of_another_flow(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await driver.send(COORDINATOR, "/broadcast")
    await quick_flag(driver, MEMBER, "critical violence Migrants held in a compound")
    await driver.settle()
    await driver.press(COORDINATOR, "Acknowledge", message=alert_to(driver, COORDINATOR))
    assert "recorded" in driver.answers()[-1]
    assert "Who should receive it?" in texts(await driver.send(COORDINATOR, "Still broadcasting"))


async def test_escalation_reaches_admins_once_per_step(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    assert "You receive them" in texts(await driver.send(MEMBER, "/challenge_alerts"))
    await driver.send(ADMIN, "/challenge_alerts")
    await driver.press(ADMIN, "Turn them off")
    assert "You do not receive them" in last(driver, ADMIN)
    number = await quick_flag(driver, MEMBER, "critical instrumentalisation Groups pushed across")
    high = await quick_flag(driver, MEMBER, "high route Shift to the eastern track")
    await driver.settle()
    assert "CRITICAL" not in texts(driver.api.sent_to(ADMIN.id))  # opted out of wide alerts
    services = driver.app.services
    clock.advance(minutes=29)
    assert await send_due_escalations(services) == 0
    clock.advance(minutes=2)
    assert await send_due_escalations(services) == 1
    assert await send_due_escalations(services) == 0
    await driver.settle()
    escalation = alert_to(driver, ADMIN, "ESCALATION")
    assert "for 31 minutes" in escalation["text"] and f"#{number}" in escalation["text"]
    assert texts(driver.api.sent_to(COORDINATOR.id)).count("ESCALATION") == 1
    assert "ESCALATION" not in texts(driver.api.sent_to(MEMBER.id))
    assert f"#{high}" not in texts(driver.api.sent_to(ADMIN.id))  # high is not escalated
    clock.advance(minutes=30)
    assert await send_due_escalations(services) == 1
    await driver.settle()
    assert texts(driver.api.sent_to(ADMIN.id)).count("ESCALATION") == 2
    # The admin acknowledges through the escalation: that stops everything.
    await driver.press(ADMIN, "Acknowledge", message=alert_to(driver, ADMIN, "ESCALATION"))
    await driver.settle()
    assert f"Aminata (admin) acknowledged your challenge #{number}" in last(driver, MEMBER)
    await driver.press(ADMIN, "Open", message=alert_to(driver, ADMIN, "ESCALATION"))
    view = last(driver, ADMIN)
    assert "step 1" in view and "step 2" in view and "sent to 2 coordinators and admins" in view


async def test_escalation_rule_set_by_an_admin_covers_high_challenges(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    assert "a critical challenge" in texts(await driver.send(MEMBER, "/escalation"))
    assert "Critical only" not in str(buttons(driver.api.sent_to(MEMBER.id)[-1]))
    await driver.send(ADMIN, "/escalation")
    await driver.press(ADMIN, "High and critical")
    await driver.press(ADMIN, "15 min")
    assert "after 15 minutes" in last(driver, ADMIN) and "30 minutes" in last(driver, ADMIN)
    await driver.press_forged(COORDINATOR, EscalationDelay(60).pack())
    assert "Only admins" in driver.answers()[-1]
    await quick_flag(driver, MEMBER, "high finance Cash couriers")
    assert "within 15 minutes" in last(driver, MEMBER)
    clock.advance(minutes=16)
    assert await send_due_escalations(driver.app.services) == 1
    await driver.settle()
    assert "ESCALATION" in texts(driver.api.sent_to(ADMIN.id))


async def test_escalation_survives_a_restart_and_never_fires_twice(
    settings: Settings, clock: FakeClock
) -> None:
    async with bot_process(settings, clock) as driver:
        await jit_niger(
            driver.app.services,
            (ADMIN, Role.ADMIN), (COORDINATOR, Role.COORDINATOR), (MEMBER, Role.MEMBER),
            language="en",
        )  # fmt: skip
        await quick_flag(driver, MEMBER, "critical disruption Cooperation suspended")
        # In the middle of a second flag when the process stops.
        await driver.send(MEMBER, "/flag")
        await driver.press(MEMBER, "Corruption")
        severities = driver.last_keyboard_message(MEMBER.id)
        await driver.settle()
    # Down for 35 minutes: step 1 fell due meanwhile.
    clock.advance(minutes=35)
    async with bot_process(settings, clock, first_update_id=1000) as driver:
        assert await send_due_escalations(driver.app.services) == 1
        assert await send_due_escalations(driver.app.services) == 0
        await driver.settle()
        assert "ESCALATION" in texts(driver.api.sent_to(ADMIN.id))
        # The flow resumes at the step it had reached.
        await driver.press_data(MEMBER, severities, data_of(severities, "Low"))
        assert "Step 3 of 9" in driver.text_of(MEMBER.id)
    # Down again for over an hour: step 2 is due; it goes once, and step 1 never again.
    clock.advance(minutes=70)
    async with bot_process(settings, clock, first_update_id=2000) as driver:
        assert await send_due_escalations(driver.app.services) == 1
        assert await send_due_escalations(driver.app.services) == 0
        await driver.settle()
        assert texts(driver.api.sent_to(COORDINATOR.id)).count("ESCALATION") == 1
        assert "for 105 minutes" in texts(driver.api.sent_to(COORDINATOR.id))


async def test_skipped_steps_after_a_long_outage_send_only_the_last(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    number = await quick_flag(driver, MEMBER, "critical maritime Shipwreck reported")
    clock.advance(hours=3)
    assert await send_due_escalations(driver.app.services) == 1
    await driver.settle()
    assert texts(driver.api.sent_to(COORDINATOR.id)).count("ESCALATION") == 1
    await driver.press(COORDINATOR, "Open", message=alert_to(driver, COORDINATOR))
    view = last(driver, COORDINATOR)
    assert "step 1" in view and "replaced by the next step" in view and f"#{number}" in view


async def test_restricted_challenges_stay_with_coordinators(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    group = driver.updates.group_chat(-100556, "COP team")
    await driver.send(ADMIN, "/linkgroup", chat=group)
    await driver.send(MEMBER, "/flag critical corruption Officer selling exit stamps")
    await driver.press(MEMBER, "Who sees it")
    await driver.press(MEMBER, "Restricted")
    await driver.press(MEMBER, "Submit")
    done = last(driver, MEMBER)
    assert "1 coordinator is alerted" in done and "other member" not in done
    await driver.settle()
    assert "exit stamps" in alert_to(driver, COORDINATOR)["text"]
    assert "exit stamps" not in texts(driver.api.sent_to(OBSERVER.id))
    assert "exit stamps" not in texts(driver.api.sent_to(group["id"]))
    open_data = data_of(alert_to(driver, COORDINATOR), "Open")
    await driver.press_forged(OBSERVER, open_data)
    assert "could not find" in driver.answers()[-1]
    assert "exit stamps" not in texts(await driver.send(OBSERVER, "/challenges"))
    assert "exit stamps" in texts(await driver.send(MEMBER, "/challenges"))
    assert "exit stamps" in texts(await driver.send(COORDINATOR, "/challenges"))


async def test_other_partnerships_see_nothing_and_open_in_a_group_goes_private(
    driver: BotDriver, partnership: Partnership
) -> None:
    services = driver.app.services
    other = await services.partnerships.create(
        name="NETCOP", kind=PartnershipKind.NETWORK, countries=(), timezone="UTC", language="en"
    )
    outsider = LocalUser(700, "Otto", language_code="en")
    await services.partnerships.add_member(other, user_id=outsider.id, name="Otto", role=Role.ADMIN)
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await driver.send(outsider, "/help")
    group = driver.updates.group_chat(-100557, "COP team")
    await driver.send(ADMIN, "/linkgroup", chat=group)
    number = await quick_flag(driver, MEMBER, "critical route Convoy heading north")
    await driver.settle()
    assert "Convoy" not in texts(driver.api.sent_to(outsider.id))
    posted = driver.api.sent_to(group["id"])[-1]
    open_data = data_of(posted, "Ouvrir")  # the group reads the partnership's language, French
    await driver.press_data(outsider, posted, open_data)
    assert "could not find" in driver.answers()[-1]
    for data in (ChallengeMap(number), ChallengeFiles(number)):
        await driver.press_data(outsider, posted, data.pack())
        assert "could not find" in driver.answers()[-1]
    # A lifecycle button forged onto the group's alert acts for nobody there ...
    resolve = ChallengeStatusChange(number, Status.RESOLVED).pack()
    await driver.press_data(outsider, posted, resolve)
    assert "someone else's message" in driver.answers()[-1]
    # ... nor in the outsider's own chat.
    await driver.press_forged(outsider, resolve)
    assert "could not find" in driver.answers()[-1]
    assert "Convoy" not in texts(await driver.send(outsider, "/challenges"))
    before = len(driver.api.sent_to(OBSERVER.id))
    await driver.press_data(OBSERVER, posted, open_data)
    assert "Sent to your private chat" in driver.answers()[-1]
    assert "Convoy heading north" in texts(driver.api.sent_to(OBSERVER.id)[before:])
    assert driver.api.sent_to(group["id"])[-1] is posted  # the group saw nothing more


async def test_map_and_attachments_are_sent_on_demand(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await driver.send(MEMBER, "/flag low digital Ads on a social network")
    await driver.press(MEMBER, "Where")
    await driver.send_content(MEMBER, location=PIN)
    await driver.send(MEMBER, "Dakar")
    await driver.press(MEMBER, "Attachments")
    await driver.send_content(MEMBER, photo=PHOTO)
    await driver.send_content(
        MEMBER, document={"file_id": "doc-1", "file_unique_id": "d1", "file_name": "ad.pdf"}
    )
    await driver.press(MEMBER, "Done")
    assert "📎 2 attachments" in last(driver, MEMBER)
    await driver.press(MEMBER, "Submit")
    await driver.press(MEMBER, "Open")
    await driver.press(MEMBER, "Map")
    sent = driver.calls("sendLocation")[-1].params
    assert (sent["latitude"], sent["longitude"]) == (16.6167, -15.5)
    await driver.press(MEMBER, "Attachments", message=driver.last_keyboard_message(MEMBER.id))
    assert driver.calls("sendPhoto")[-1].params["photo"] == "photo-big"
    assert driver.calls("sendDocument")[-1].params["document"] == "doc-1"


async def test_challenge_list_filters_and_summary(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await quick_flag(driver, MEMBER, "low route Old route reopened")
    clock.advance(days=40)
    await quick_flag(driver, MEMBER, "critical maritime Boat missing")
    await quick_flag(driver, MEMBER, "high maritime Rescue refused")
    assert "Observers can read" in texts(await driver.send(OBSERVER, "/flag"))
    listing = texts(await driver.send(OBSERVER, "/challenges"))
    assert "3 challenges" in listing
    assert (
        listing.index("Boat missing") < listing.index("Rescue refused") < listing.index("Old route")
    )
    await driver.press(OBSERVER, "Category")
    await driver.press(OBSERVER, "Maritime incident")
    filtered = last(driver, OBSERVER)
    assert "2 challenges" in filtered and "Old route" not in filtered
    await driver.press(OBSERVER, "Severity")
    await driver.press(OBSERVER, "Critical")
    assert "1 challenge." in last(driver, OBSERVER) and "Boat missing" in last(driver, OBSERVER)
    await driver.press(OBSERVER, "Severity")
    await driver.press(OBSERVER, "Any severity")
    await driver.press(OBSERVER, "Category")
    await driver.press(OBSERVER, "Any category")
    await driver.press(OBSERVER, "Period")
    await driver.press(OBSERVER, "Last 30 days")
    assert "2 challenges" in last(driver, OBSERVER)
    # Typed filters.
    typed = texts(await driver.send(OBSERVER, "/challenges route"))
    assert "1 challenge." in typed and "Old route" in typed
    # Resolved ones leave the open list and stay under All statuses.
    await driver.send(COORDINATOR, "/challenges critical")
    await driver.press(COORDINATOR, "1")
    await driver.press(COORDINATOR, "Resolved")
    await driver.press(COORDINATOR, "Without a note")
    assert "2 challenges" in texts(await driver.send(OBSERVER, "/challenges"))
    await driver.press(OBSERVER, "Status")
    await driver.press(OBSERVER, "All statuses")
    assert "3 challenges" in last(driver, OBSERVER)
    await driver.press(OBSERVER, "Summary, 30 days")
    summary = last(driver, OBSERVER)
    assert "2 challenges reported in the last 30 days" in summary
    assert "<b>Maritime incident, search and rescue</b>: 2 — 🔴 1 · 🟠 1 · 🟡 0 · 🟢 0" in summary
    assert "resolved 1" in summary
    await driver.press(OBSERVER, "Summary, 90 days")
    assert "3 challenges reported in the last 90 days" in last(driver, OBSERVER)
    # An old list button with data that no longer reads.
    menu = driver.last_keyboard_message(OBSERVER.id)
    await driver.press_data(OBSERVER, menu, "ch:ls:nosuch:-:open:0:0")
    assert "no longer active" in driver.answers()[-1]


async def test_long_lists_page_and_callback_data_stay_short(
    driver: BotDriver, partnership: Partnership
) -> None:
    for number in range(10):
        await quick_flag(driver, COORDINATOR, f"low humanitarian Case {number}")
    await driver.send(MEMBER, "/challenges humanitarian low corroborated 365")
    await driver.send(MEMBER, "/challenges humanitarian low 365")
    assert "10 challenges" in last(driver, MEMBER) and "Page 1 of 2" in last(driver, MEMBER)
    await driver.press(MEMBER, "»")
    assert "Page 2 of 2" in last(driver, MEMBER)
    await driver.press(MEMBER, "Status")
    await driver.press(MEMBER, "corroborated")  # longest data: every filter set
    assert "0 challenges" in last(driver, MEMBER)


async def test_words_search_the_challenges_texts_with_the_typed_filters(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    await quick_flag(driver, MEMBER, "high route Buses bringing groups to the frontière")
    await quick_flag(driver, MEMBER, "medium finance Cash couriers at the airport")
    await driver.send(COORDINATOR, "/flag low route Buses seen by the coordinator only")
    await driver.press(COORDINATOR, "Who sees it")
    await driver.press(COORDINATOR, "Restricted")
    await driver.press(COORDINATOR, "✓")
    # Only the challenges with the words; the restricted one stays with coordinators.
    found = texts(await driver.send(MEMBER, "/challenges buses"))
    assert "1 challenge." in found and "frontière" in found and "Cash" not in found
    assert "words: <b>buses</b>" in found
    assert "2 challenges" in texts(await driver.send(COORDINATOR, "/challenges buses"))
    nothing = texts(await driver.send(MEMBER, "/challenges zzzz"))
    assert "0 challenges" in nothing and "words: <b>zzzz</b>" in nothing
    # Accents do not matter, a word may be the beginning of a word, filters still apply.
    assert "frontière" in texts(await driver.send(MEMBER, "/challenges FRONTIERE"))
    assert "Cash" in texts(await driver.send(MEMBER, "/challenges couri"))
    assert "0 challenges" in texts(await driver.send(MEMBER, "/challenges critical buses"))
    assert "1 challenge." in texts(await driver.send(MEMBER, "/challenges high buses"))
    # The buttons of a searched list keep its words.
    await driver.send(MEMBER, "/challenges buses")
    await driver.press(MEMBER, "Severity")
    await driver.press(MEMBER, "Any severity")
    kept = last(driver, MEMBER)
    assert "words: <b>buses</b>" in kept and "1 challenge." in kept
    # Notes of status changes are searched too.
    await driver.send(COORDINATOR, "/challenges airport")
    await driver.press(COORDINATOR, "1")
    await driver.press(COORDINATOR, "Corroborated")
    await driver.send(COORDINATOR, "Seen again near the harbour")
    assert "Cash" in texts(await driver.send(MEMBER, "/challenges harbour"))


async def test_the_confirmation_keeps_the_title_apart_from_the_next_sentence(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER)
    await quick_flag(driver, MEMBER, "high route Buses bringing groups to the border")
    done = last(driver, MEMBER)
    assert "Buses bringing groups to the border\n\n1 coordinator is alerted." in done


async def test_a_title_flagged_lately_is_pointed_out_and_the_flow_goes_on(
    driver: BotDriver, partnership: Partnership, clock: FakeClock
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER)
    number = await quick_flag(driver, MEMBER, "high route Convoy near Rosso")
    clock.advance(days=2)
    await driver.send(MEMBER, "/flag")
    await driver.press(MEMBER, "New or shifting route")
    await driver.press(MEMBER, "High")
    told = texts(await driver.send(MEMBER, "convoy near ROSSO"))
    assert f"#{number} was flagged with the same title" in told
    assert "Step 4 of 9" in told  # the flow goes on
    clock.advance(days=8)
    await driver.send(MEMBER, "/back")
    assert "same title" not in texts(await driver.send(MEMBER, "Convoy near Rosso"))


async def test_the_reporter_edits_on_the_same_review_and_a_raised_severity_alerts_again(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    number = await quick_flag(driver, MEMBER, "medium route New track north of Agadez")
    await driver.settle()
    await driver.press(MEMBER, "Open")
    await driver.press(MEMBER, "Edit")
    assert f"#{number}: press a field to change it" in last(driver, MEMBER)
    await driver.press(MEMBER, "Severity")
    await driver.press(MEMBER, "High")
    assert "Medium → 🟠 High. Send a note" in last(driver, MEMBER)
    await driver.send(MEMBER, "A second <group> seen")
    review = last(driver, MEMBER)
    assert "Note on the severity: A second &lt;group&gt; seen" in review
    await driver.press(MEMBER, "Description")
    await driver.send(MEMBER, "Trucks leave at night from the bus station.")
    await driver.press(MEMBER, "Submit")
    done = last(driver, MEMBER)
    assert f"Saved the changes to #{number}: Severity: 🟡 Medium → 🟠 High, Description." in done
    assert "1 coordinator is alerted to the higher severity" in done
    await driver.settle()
    alert = alert_to(driver, COORDINATOR, "raised to")
    assert f"Challenge #{number} of" in alert["text"] and "by Moussa" in alert["text"]
    assert "Note: A second &lt;group&gt; seen" in alert["text"]
    assert buttons(alert)[0] == "✅ Acknowledge"
    await driver.press(COORDINATOR, "Open", message=alert)
    view = driver.last_keyboard_message(COORDINATOR.id)
    history = last(driver, COORDINATOR)
    assert "✎ changed Severity: 🟡 Medium → 🟠 High, Description (Moussa): A second" in history
    assert "Trucks leave at night" in history
    # A coordinator edits too, and the reporter is told; Cancel leaves it as it is.
    await driver.press(COORDINATOR, "Edit")
    await driver.press(COORDINATOR, "Route")
    await driver.send(COORDINATOR, "Agadez → Sebha")
    await driver.press(COORDINATOR, "Cancel")
    assert "The challenge is unchanged" in last(driver, COORDINATOR)
    await driver.press(COORDINATOR, "Edit", message=view)
    await driver.press(COORDINATOR, "Route")
    await driver.send(COORDINATOR, "Agadez → Sebha")
    await driver.press(COORDINATOR, "Submit")
    await driver.settle()
    assert f"#{number} (New track north of Agadez) was changed by Carlos: Route." in last(
        driver, MEMBER
    )
    # Attachments are added, then removed, on the same step.
    for action in ("add", "remove"):
        await driver.press(COORDINATOR, "Edit", message=view)
        await driver.press(COORDINATOR, "Attachments")
        if action == "add":
            await driver.send_content(COORDINATOR, photo=PHOTO)
        else:
            await driver.press(COORDINATOR, "Remove them")
            assert "Attachments removed" in last(driver, COORDINATOR)
        await driver.press(COORDINATOR, "Done")
        await driver.press(COORDINATOR, "Submit")
        assert "Saved the changes" in last(driver, COORDINATOR)
    coordinator = await driver.app.services.access.identify_known(COORDINATOR.id)
    assert coordinator is not None
    detail = await driver.app.services.challenges.detail(coordinator, number)
    changes = [event.changes for event in detail.events][-2:]
    assert [c[EditedField.ATTACHMENTS] for c in changes] == [(None, "1"), ("1", None)]


async def test_edits_are_refused_to_others_and_after_resolution_and_reopen_needs_a_note(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER, OBSERVER)
    number = await quick_flag(driver, MEMBER, "low other Leaflets at the market")
    edit = ChallengeEdit(number).pack()
    await driver.press_forged(OBSERVER, edit)
    assert "Only coordinators and admins" in driver.answers()[-1]
    await driver.press_forged(OBSERVER, ChallengeReopen(number).pack())
    assert "Only coordinators and admins" in driver.answers()[-1]
    await driver.press(MEMBER, "Open")
    member_view = driver.last_keyboard_message(MEMBER.id)
    assert "↺ Reopen" not in buttons(member_view)
    await driver.settle()
    await driver.press(COORDINATOR, "Open", message=alert_to(driver, COORDINATOR))
    await driver.press(COORDINATOR, "Dismiss")
    await driver.press(COORDINATOR, "Without a note")
    # The reporter's old Edit button: closed now.
    await driver.press(MEMBER, "Edit", message=member_view)
    assert "can no longer be changed" in driver.answers()[-1]
    await driver.press(COORDINATOR, "Reopen")
    assert "saying why" in last(driver, COORDINATOR)
    assert "/back" not in last(driver, COORDINATOR)
    assert "This answer is needed" in texts(await driver.send(COORDINATOR, "/skip"))
    await driver.send(COORDINATOR, "Seen again on <Monday>")
    assert f"#{number} is now <b>reported</b>" in texts(driver.api.sent_to(COORDINATOR.id)[-2:])
    await driver.settle()
    told = last(driver, MEMBER)
    assert "was reopened by Carlos; it is now <b>reported</b>" in told
    assert "Note: Seen again on &lt;Monday&gt;" in told
    history = last(driver, COORDINATOR)
    assert "↺ reopened: reported (Carlos): Seen again on &lt;Monday&gt;" in history
    await driver.press(MEMBER, "Edit", message=member_view)
    assert "press a field to change it" in last(driver, MEMBER)
