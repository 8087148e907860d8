"""The meeting log end to end: the real bot over real HTTP, people using it from a phone."""

from __future__ import annotations

from pathlib import Path

from bot.local_api import LocalUser
from domain.models import PartnershipKind, Role
from services.clock import utc_now
from services.container import Services
from storage.meetings import Viewer
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.partnerbot import person, polling, until
from tests.fakes import FakeClock
from tests.people import ADMIN, COORDINATOR, MEMBER

OUTSIDER = LocalUser(301, "Outsider", language_code="en")


async def seed(services: Services) -> int:
    """COP Sénégal with an admin, a coordinator and a member; NETCOP with an outsider."""
    cop = await services.partnerships.create(
        name="COP Sénégal", kind=PartnershipKind.COP, countries=("Senegal",),
        timezone="Africa/Dakar", language="fr",
    )  # fmt: skip
    for who, role in ((ADMIN, Role.ADMIN), (COORDINATOR, Role.COORDINATOR),
                      (MEMBER, Role.MEMBER)):  # fmt: skip
        await services.partnerships.add_member(cop, user_id=who.id, name=who.first_name, role=role)
    netcop = await services.partnerships.create(
        name="NETCOP", kind=PartnershipKind.NETWORK, countries=(), timezone="UTC", language="en"
    )
    await services.partnerships.add_member(
        netcop, user_id=OUTSIDER.id, name="Outsider", role=Role.ADMIN
    )
    return cop.id


async def test_log_list_open_edit_and_close_an_action(botapi: BotApiServer, tmp_path: Path) -> None:
    clock = FakeClock(now=utc_now())
    async with polling(botapi, tmp_path / "bot.sqlite3", clock=clock) as app:
        cop_id = await seed(app.services)
        member = person(botapi, MEMBER)
        # Log a meeting, step by step.
        await member.send("/meeting")
        await until(member, "When was the meeting")
        await member.send("yesterday 10:00")
        await until(member, "📅")
        await until(member, "title")
        await member.send("Steering <COP> & partners")
        await until(member, "What kind of meeting")
        await member.press("Steering committee")
        await until(member, "Who took part")
        await member.send("Carlos (Guardia Civil), Europol")
        await until(member, "Where was it held")
        await member.send("/skip")
        await until(member, "summary")
        await member.send("Routes to the Canaries")
        await until(member, "decisions")
        await member.send("Joint patrols")
        await until(member, "follow-up action")
        await member.send("Draft the joint report")
        await until(member, "Who will do it")
        await member.press("Moussa")
        await until(member, "When is it due")
        await member.send("in a while")
        await until(member, "could not read that date")
        await member.send("2099-01-01")
        await until(member, "five years away")
        await member.send("friday")
        await until(member, "Another follow-up action")
        await member.press("No more actions")
        await until(member, "Who may read")
        await member.press("✓ The whole partnership")
        await until(member, "Send photos, documents or voice notes")
        await member.send_photo(caption="Whiteboard")
        await until(member, "Attached: 1 file")
        await member.send_voice()
        await until(member, "Attached: 2 files")
        await member.press("✓ Done")
        review = await until(member, "Check the meeting")
        assert "Steering <COP> & partners" in review.text
        assert "&lt;COP&gt; &amp;" in (review.html or "")
        await member.press("✓ Save")
        saved = await member.next_edit(review)
        assert "is in the meeting log of COP Sénégal" in saved.text

        # List it and open it.
        await member.send("/meetings")
        listing = await until(member, "1 meeting, newest first")
        assert "Steering <COP> & partners" in listing.text
        await member.press("1")
        detail = await member.next_edit(listing)
        assert "Routes to the Canaries" in detail.text and "Logged by Moussa" in detail.text
        await member.press("📎 Files (2)")
        photo = await member.next_message()
        voice = await member.next_message()
        assert photo.photo and voice.voice

        # Edit it: a new title.
        await member.press("✎ Edit", detail)
        await until(member, "Press a field to change it")
        await member.press("✎ Title")
        await until(member, "What is the meeting's title")
        await member.send("Steering committee — final")
        edited_review = await until(member, "Press a field to change it")
        assert "Steering committee — final" in edited_review.text
        await member.press("✓ Save", edited_review)
        assert "Saved the changes" in (await member.next_edit(edited_review)).text

        # Mark its action done.
        await member.send("/actions")
        actions = await until(member, "open follow-up action")
        assert "Draft the joint report" in actions.text and "yours: 1" in actions.text
        await member.press("✔ 1. Draft the joint report")
        closed = await member.next_edit(actions)
        assert "Marked done: Draft the joint report" in closed.text
        assert "No open follow-up actions" in closed.text

        # A member of another partnership sees none of it.
        outsider = person(botapi, OUTSIDER)
        await outsider.send("/meetings")
        assert "No meetings logged in NETCOP" in (await outsider.next_message()).text
        await outsider.send("/actions")
        assert "No open follow-up actions in NETCOP" in (await outsider.next_message()).text
        stored = await app.services.meetings.visible_meetings(cop_id, Viewer(MEMBER.id))
        assert [m.title for m in stored] == ["Steering committee — final"]
        assert stored[0].actions[0].done


async def test_meeting_in_a_group_and_a_restricted_meeting(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services)
        admin = person(botapi, ADMIN)
        coordinator = person(botapi, COORDINATOR)
        member = person(botapi, MEMBER)
        group = botapi.group("COP team", members=[member, coordinator], admins=[admin])
        await admin.in_chat(group).send("/linkgroup")
        await admin.in_chat(group).next_message()
        in_group = member.in_chat(group)
        await in_group.send("/meeting")
        pointer = await until(in_group, "private chat")
        (row,) = pointer.buttons
        assert row[0].data is not None and row[0].data.endswith("?start=meeting_1")
        # The button opens the private chat with the deep link's payload.
        await coordinator.send("/start meeting_1")
        await until(coordinator, "New meeting for COP Sénégal")
        await coordinator.send("/cancel")
        await until(coordinator, "Stopped")
        # A one-message restricted meeting, saved by the coordinator.
        await coordinator.send(
            "/meeting Confidential review\nwhen: yesterday 9h\nkind: operational\n"
            "confidentiality: restricted\nsummary: Sensitive"
        )
        review = await until(coordinator, "Check the meeting")
        await coordinator.press("✓ Save", review)
        await coordinator.next_edit(review)
        await member.send("/meetings")
        assert "No meetings logged" in (await until(member, "COP Sénégal")).text
        await admin.send("/meetings")
        assert "Confidential review" in (await until(admin, "COP Sénégal")).text
