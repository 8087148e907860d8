"""Text nobody types but a forged or broken update can carry: NUL bytes, other control
characters and lone UTF-16 surrogates. Searches answer as usual, and what is stored is clean."""

from __future__ import annotations

import pytest

from bot.local_api import LocalUser
from domain.models import Partnership
from services.access import TelegramIdentity
from services.contact_fields import ContactDraft
from services.meetings import MeetingQuery
from services.text import clean, one_line
from storage import contacts as contact_store
from storage import members as member_store
from tests.fakes import BotDriver, texts
from tests.people import COORDINATOR, MEMBER

NUL = "\x00"
SURROGATE = "\ud800"  # half of a UTF-16 pair, alone: not encodable as UTF-8
#: Characters that follow a word in the tests: each must find what the word alone finds.
AFTER = pytest.mark.parametrize(
    "after", [NUL, SURROGATE, "\x1b", "\r"], ids=["nul", "surrogate", "escape", "return"]
)


def test_clean_drops_control_characters_and_replaces_lone_surrogates() -> None:
    assert clean("a\x00b\x07c\x1b[0m") == "abc[0m"
    assert clean("line one\r\nline\ttwo") == "line one\nline\ttwo"  # newline and tab stay
    assert clean("a\ud800b\udfff") == "a\ufffdb\ufffd"
    assert clean("\ud83d\ude00") == "😀"  # a pair is the character it encodes
    assert clean("Sénégal السنغال\u200f") == "Sénégal السنغال\u200f"  # nothing else changes
    assert one_line(" a\x00\n b\t\ud800 ") == "a b \ufffd"
    for text in ("a\x00b", "a\ud800b"):
        clean(text).encode("utf-8")  # storable and sendable


@pytest.fixture
async def directory(driver: BotDriver, partnership: Partnership) -> Partnership:
    adama = ContactDraft("Adama Sarr", "Gendarmerie nationale", country="Sénégal", phone=None)
    await driver.app.services.contacts.add_drafts(partnership, [adama], source="test")
    return partnership


@AFTER
async def test_contact_search_and_inline_search(
    driver: BotDriver, directory: Partnership, after: str
) -> None:
    found = texts(await driver.send(MEMBER, f"/contacts sarr{after}"))
    assert "1 contact matches" in found and "Adama Sarr" in found
    answer = await driver.inline(MEMBER, f"adama{after}")
    assert [result["title"] for result in answer["results"]] == ["Adama Sarr"]
    alone = texts(await driver.send(MEMBER, f"/contacts {after}"))
    assert "No contact matches" in alone or "To search, send /contacts" in alone


async def test_a_nul_inside_a_word_is_dropped(driver: BotDriver, directory: Partnership) -> None:
    assert "Adama Sarr" in texts(await driver.send(MEMBER, f"/contacts Sa{NUL}rr"))
    assert (await driver.inline(MEMBER, f"ada{NUL}ma"))["results"]


@AFTER
async def test_meeting_search(driver: BotDriver, partnership: Partnership, after: str) -> None:
    await driver.send(MEMBER, "/meeting Steering committee\nkind: steering")
    await driver.press(MEMBER, "Save")
    found = texts(await driver.send(MEMBER, f"/meetings steering{after}"))
    assert "1 meeting" in found and "Steering committee" in found
    await driver.press(MEMBER, "Search")
    found = texts(await driver.send(MEMBER, f"committee{after}"))
    assert "1 meeting" in found and "Steering committee" in found


async def test_a_contact_field_is_stored_clean(driver: BotDriver, directory: Partnership) -> None:
    await driver.send(COORDINATOR, "/addcontact")
    await driver.send(COORDINATOR, f"Awa{NUL} Diop{SURROGATE}")
    await driver.send(COORDINATOR, f"CENT{NUL}IF")
    for _ in range(9):  # every optional field
        await driver.send(COORDINATOR, "/skip")
    await driver.press(COORDINATOR, "Save")
    stored = await contact_store.all_of(driver.app.services.db, directory.id)
    assert ("Awa Diop\ufffd", "CENTIF") in [(c.name, c.organisation) for c in stored]


async def test_a_meeting_title_is_stored_clean(driver: BotDriver, partnership: Partnership) -> None:
    review = texts(
        await driver.send(MEMBER, f"/meeting Steering{NUL} committee{SURROGATE}\nkind: steering")
    )
    assert "Steering committee\ufffd" in review
    await driver.press(MEMBER, "Save")
    identity = TelegramIdentity(MEMBER.id, "Moussa", None, "en")
    caller = await driver.app.services.access.identify(identity)
    page = await driver.app.services.meetings.page(caller, MeetingQuery(), 0)
    assert [meeting.title for meeting in page.meetings] == ["Steering committee\ufffd"]


async def test_a_challenge_title_is_stored_clean(
    driver: BotDriver, partnership: Partnership
) -> None:
    await driver.send(MEMBER, f"/flag high maritime Pirogue{NUL} capsized{SURROGATE}")
    await driver.press(MEMBER, "Submit")
    assert "Flagged as #" in driver.text_of(MEMBER.id)
    rows = await driver.app.services.db.fetchall("SELECT title FROM challenges")
    assert [row["title"] for row in rows] == ["Pirogue capsized\ufffd"]


async def test_a_telegram_name_and_a_profile_are_stored_clean(
    driver: BotDriver, partnership: Partnership
) -> None:
    forged = LocalUser(MEMBER.id, f"Mou{NUL}ssa{SURROGATE}", language_code="en")
    assert "as member" in texts(await driver.send(forged, "/help"))
    member = await member_store.get(driver.app.services.db, MEMBER.id)
    assert member is not None and member.name == "Moussa\ufffd"
    await driver.send(MEMBER, "/profile")
    await driver.send(MEMBER, f"DP{NUL}AF{SURROGATE}")
    await driver.send(MEMBER, "/skip")
    membership = await member_store.membership(driver.app.services.db, MEMBER.id, partnership.id)
    assert membership is not None and membership.organisation == "DPAF\ufffd"
