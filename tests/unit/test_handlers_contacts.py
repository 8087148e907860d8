"""The contact directory as people use it: /contacts, pages, contact cards, inline mode,
the guided add/edit flow, /mycard, CSV files sent to the bot and /contacts_export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.callbacks import (
    ContactDelete,
    ContactDeleteConfirmed,
    ContactEdit,
    ContactOpen,
)
from bot.config import Settings
from bot.console import run_console
from bot.local_api import LocalUser
from domain.models import Partnership, PartnershipKind, Role
from services.contact_fields import ContactDraft, OrganisationType
from storage import audit
from storage import contacts as store
from tests.fakes import BotDriver, FakeClock, texts
from tests.helpers import bot_process, buttons, callback_data, jit_niger
from tests.people import ADMIN, COORDINATOR, HOSTILE, MEMBER, OBSERVER, STRANGER

T = OrganisationType

DIRECTORY = [
    ContactDraft("Adama Sarr", "Gendarmerie nationale — section de recherches", T.GENDARMERIE,
                 "Sénégal", "Investigator", ("pirogue departures",), ("fr", "wo"),
                 "+221770002202", "adama.sarr@example.org", "adama_sarr_gn", "Saturdays only"),
    ContactDraft("Koffi N'Guessan", "CENTIF", T.FINANCIAL_INTELLIGENCE, "Côte d'Ivoire",
                 "Head of analysis", ("illicit finance",), ("fr", "en"), "+2250701002211"),
    ContactDraft("Rabi <Maman> & Co", "Agence <nationale>", T.NATIONAL_COMMITTEE, "Niger",
                 "Legal adviser", ("<b>law</b>",), ("ha",), None, "rabi@example.com"),
]  # fmt: skip


@pytest.fixture
async def directory(driver: BotDriver, partnership: Partnership) -> Partnership:
    report = await driver.app.services.contacts.add_drafts(partnership, DIRECTORY, source="test")
    assert report.created == len(DIRECTORY)
    return partnership


DATA = Path(__file__).parent.parent / "data" / "contacts"


async def test_search_lists_results_and_opening_one_sends_a_contact_card(
    driver: BotDriver, directory: Partnership
) -> None:
    (results,) = await driver.send(MEMBER, "/contacts cote divoire")
    assert "1 contact matches <b>cote divoire</b>:" in results["text"]
    assert (
        "<b>Koffi N&#39;Guessan</b> — Head of analysis · CENTIF · Côte d’Ivoire" in results["text"]
    )
    sent = await driver.press(MEMBER, "Koffi")
    details = driver.text_of(MEMBER.id, -2)
    assert "Head of analysis · CENTIF" in details and "Phone: +225 07 01 00 2211" in details
    (card,) = sent
    assert card["contact"]["phone_number"] == "+2250701002211"
    vcard = card["contact"]["vcard"]
    assert vcard.startswith("BEGIN:VCARD") and "TEL;TYPE=CELL:+2250701002211" in vcard
    # Members see no edit buttons; the way back to the results is there.
    assert buttons(driver.api.sent_to(MEMBER.id)[-2]) == ["« Back to the results"]
    await driver.press(MEMBER, "Back to the results", message=driver.api.sent_to(MEMBER.id)[-2])
    assert "1 contact matches" in driver.text_of(MEMBER.id, -2)


async def test_details_show_links_and_escape_every_value(
    driver: BotDriver, directory: Partnership
) -> None:
    await driver.send(OBSERVER, "/contacts sarr")
    await driver.press(OBSERVER, "Adama")
    details = driver.text_of(OBSERVER.id, -2)
    assert '<a href="https://t.me/adama_sarr_gn">@adama_sarr_gn</a>' in details
    assert "E-mail: adama.sarr@example.org" in details
    await driver.send(OBSERVER, "/contacts maman")
    assert "<b>Rabi &lt;Maman&gt; &amp; Co</b>" in driver.text_of(OBSERVER.id)
    sent = await driver.press(OBSERVER, "Rabi")
    assert sent == []  # no phone: no contact card
    details = driver.text_of(OBSERVER.id)
    assert "Agence &lt;nationale&gt;" in details and "&lt;b&gt;law&lt;/b&gt;" in details
    assert "no contact card" in details


async def test_long_results_are_paged_with_buttons(
    driver: BotDriver, directory: Partnership
) -> None:
    more = [ContactDraft(f"Douanier {n:02d}", "Douanes", T.CUSTOMS, "Sénégal") for n in range(20)]
    await driver.app.services.contacts.add_drafts(directory, more, source="test")
    (first,) = await driver.send(MEMBER, "/contacts douan")
    assert "20 contacts match" in first["text"] and "Page 1 of 3." in first["text"]
    assert buttons(first)[-1] == "»" and "1. Douanier 00" in buttons(first)
    await driver.press(MEMBER, "»")
    second = driver.api.sent_to(MEMBER.id)[-1]
    assert "Page 2 of 3." in second["text"] and "9. Douanier 08" in buttons(second)
    assert buttons(second)[-2:] == ["«", "»"]
    assert all(len(d.encode()) <= 64 for d in callback_data(second))


async def test_contacts_alone_offers_browsing_by_country_and_organisation(
    driver: BotDriver, directory: Partnership
) -> None:
    (menu,) = await driver.send(COORDINATOR, "/contacts")
    assert "holds 3 contacts" in menu["text"] and "@partnerbot_test_bot" in menu["text"]
    assert buttons(menu) == [
        "Côte d’Ivoire (1)", "Niger (1)", "Senegal (1)", "By organisation (3)", "Add a contact"
    ]  # fmt: skip
    await driver.press(COORDINATOR, "Senegal (1)")
    assert "Adama Sarr" in driver.text_of(COORDINATOR.id)
    await driver.send(MEMBER, "/contacts")
    assert "Add a contact" not in buttons(driver.last_keyboard_message(MEMBER.id))
    await driver.press(MEMBER, "By organisation")
    await driver.press(MEMBER, "CENTIF (1)")
    assert "Koffi" in driver.text_of(MEMBER.id)


async def test_nothing_found_and_an_empty_directory(
    driver: BotDriver, partnership: Partnership
) -> None:
    assert "empty" in texts(await driver.send(MEMBER, "/contacts"))
    assert "/addcontact" in texts(await driver.send(ADMIN, "/contacts"))
    assert "No contact matches <b>xyzzy</b>" in texts(await driver.send(MEMBER, "/contacts xyzzy"))


async def test_inline_mode_gives_members_personal_results_of_their_partnerships(
    driver: BotDriver, directory: Partnership
) -> None:
    answer = await driver.inline(MEMBER, "koffi")
    assert answer["is_personal"] is True and answer["cache_time"] <= 60
    (result,) = answer["results"]
    assert result["type"] == "contact" and result["phone_number"] == "+2250701002211"
    assert "BEGIN:VCARD" in result["vcard"]
    (article,) = (await driver.inline(MEMBER, "country:niger"))["results"]
    assert article["type"] == "article" and article["title"] == "Rabi <Maman> & Co"
    assert "&lt;Maman&gt;" in article["input_message_content"]["message_text"]
    assert (await driver.inline(MEMBER, ""))["results"] == []
    assert (await driver.inline(STRANGER, "koffi"))["results"] == []


async def test_inline_results_come_in_pages(driver: BotDriver, directory: Partnership) -> None:
    more = [ContactDraft(f"Douanier {n:02d}", "Douanes", T.CUSTOMS) for n in range(25)]
    await driver.app.services.contacts.add_drafts(directory, more, source="test")
    first = await driver.inline(MEMBER, "douanes")
    assert len(first["results"]) == 20 and first["next_offset"] == "20"
    second = await driver.inline(MEMBER, "douanes", offset="20")
    assert len(second["results"]) == 5 and not second.get("next_offset")


async def test_a_member_of_another_partnership_finds_nothing_from_this_one(
    driver: BotDriver, directory: Partnership
) -> None:
    services = driver.app.services
    other = await services.partnerships.create(
        name="JIT Niger", kind=PartnershipKind.JIT, countries=("Niger",),
        timezone="Africa/Niamey", language="fr",
    )  # fmt: skip
    outsider = LocalUser(777, "Ousmane")
    await services.partnerships.add_member(other, user_id=outsider.id, name="O", role=Role.ADMIN)
    assert (await driver.inline(outsider, "koffi"))["results"] == []
    assert "No contact matches" in texts(await driver.send(outsider, "/contacts koffi"))
    # Buttons of this partnership's results, pressed by the outsider, show nothing.
    await driver.send(MEMBER, "/contacts koffi")
    listing = driver.last_keyboard_message(MEMBER.id)
    contact_id = ContactOpen.parse(callback_data(listing)[0]).contact_id
    assert await driver.press_forged(outsider, ContactOpen(contact_id).pack()) == []
    assert "could not find" in driver.answers()[-1]


async def test_the_add_flow_checks_every_step_and_saves_after_the_review(
    driver: BotDriver, directory: Partnership
) -> None:
    steps = [
        ("/addcontact", "Step 1 of 11"),
        ("x" * 121, "at most 120 characters"),
        ("Awa <b>Diallo</b> & co", "Step 2 of 11"),
        ("/skip", "Organisation cannot be left empty"),
        ("/back", "Step 1 of 11"),
        ("/skip", "Step 2 of 11"),
        ("Gendarmerie <nationale>", "Step 3 of 11"),
        ("gendarmerie", "choose one of the buttons below"),
    ]
    for typed, expected in steps:
        assert expected in texts(await driver.send(COORDINATOR, typed)), typed
    await driver.press(COORDINATOR, "gendarmerie")
    assert "Step 4 of 11" in driver.text_of(COORDINATOR.id)
    steps = [
        ("senegal", "Step 5 of 11"),  # written as the partnership writes it: Senegal
        ("Investigatrice", "Step 6 of 11"),
        ("/skip", "Step 7 of 11"),
        ("klingonese", "I do not know the language klingonese"),
        ("français, wolof", "Step 8 of 11"),
        ("12 34", "not a valid phone number"),
        ("77 123 45 67", "Step 9 of 11"),
        ("not-an-email", "not-an-email is not a valid e-mail address"),
        ("awa@example.org", "Step 10 of 11"),
        ("@ab", "is not a Telegram username"),
        ("@awa_diallo", "Step 11 of 11"),
        ("y" * 501, "at most 500 characters"),
        ("Call before 18:00 <Dakar>", "Check the new contact"),
    ]
    for typed, expected in steps:
        assert expected in texts(await driver.send(COORDINATOR, typed)), typed
    review = driver.text_of(COORDINATOR.id)
    assert "Name: Awa &lt;b&gt;Diallo&lt;/b&gt; &amp; co" in review
    assert "Country: Senegal" in review and "Phone: +221 77 123 45 67" in review
    assert "Languages: French, Wolof" in review
    # Change one field from the review, then save.
    await driver.press(COORDINATOR, "✎ Role")
    assert "Now: Investigatrice" in driver.text_of(COORDINATOR.id)
    assert "/back returns to the summary" in driver.text_of(COORDINATOR.id)
    await driver.send(COORDINATOR, "Cheffe d'enquête")
    assert "Role: Cheffe d&#39;enquête" in driver.text_of(COORDINATOR.id)
    await driver.press(COORDINATOR, "✓ Save")
    assert "Saved: Awa &lt;b&gt;Diallo&lt;/b&gt; &amp; co is in the directory" in driver.text_of(
        COORDINATOR.id
    )
    stored = await store.all_of(driver.app.services.db, directory.id)
    (saved,) = [contact for contact in stored if contact.phone == "+221771234567"]
    assert (saved.country, saved.languages, saved.telegram) == (
        "Senegal",
        ("fr", "wo"),
        "awa_diallo",
    )
    entry = (await audit.recent(driver.app.services.db, directory.id))[0]
    assert (entry.action, entry.actor_id) == ("contact.create", COORDINATOR.id)
    assert "Awa" in texts(await driver.send(MEMBER, "/contacts diallo"))


async def test_edit_delete_and_duplicates(driver: BotDriver, directory: Partnership) -> None:
    await driver.send(ADMIN, "/contacts koffi")
    await driver.press(ADMIN, "Koffi")
    details = driver.api.sent_to(ADMIN.id)[-2]
    assert buttons(details)[:2] == ["Edit", "Delete"]
    await driver.press(ADMIN, "Edit", message=details)
    await driver.press(ADMIN, "✎ Phone")
    await driver.send(ADMIN, "+221 77 000 22 02")  # Adama's number
    await driver.press(ADMIN, "✓ Save")
    assert "already in the directory" in driver.text_of(ADMIN.id)  # the flow stays
    await driver.press(ADMIN, "✎ Phone", message=driver.last_keyboard_message(ADMIN.id))
    await driver.send(ADMIN, "+225 05 01 00 22 10")
    await driver.press(ADMIN, "✓ Save")
    assert "Saved: Koffi N&#39;Guessan" in driver.text_of(ADMIN.id)
    entry = (await audit.recent(driver.app.services.db, directory.id))[0]
    assert entry.action == "contact.update" and entry.detail["fields"] == ["phone"]

    await driver.send(ADMIN, "/contacts koffi")
    await driver.press(ADMIN, "Koffi")
    await driver.press(ADMIN, "Delete", message=driver.api.sent_to(ADMIN.id)[-2])
    confirm = driver.last_keyboard_message(ADMIN.id)
    yes = callback_data(confirm)[0]
    await driver.press(ADMIN, "Yes, delete")
    assert "Koffi N&#39;Guessan was deleted" in driver.text_of(ADMIN.id, -2)
    await driver.press_data(ADMIN, confirm, yes)  # pressed twice
    assert "could not find" in driver.answers()[-1]
    assert "No contact matches" in texts(await driver.send(MEMBER, "/contacts koffi"))


async def test_buttons_leading_back_to_the_review_are_answered_once(
    driver: BotDriver, directory: Partnership
) -> None:
    # The driver fails on a second answerCallbackQuery for the same press, as Telegram does.
    await driver.send(ADMIN, "/contacts koffi")
    await driver.press(ADMIN, "Koffi")
    await driver.press(ADMIN, "Edit", message=driver.api.sent_to(ADMIN.id)[-2])
    assert "Press a field to change it" in driver.text_of(ADMIN.id)
    await driver.press(ADMIN, "✎ Type")
    await driver.press(ADMIN, "customs")
    assert "Type: customs" in driver.text_of(ADMIN.id)
    await driver.press(ADMIN, "✎ Country")
    await driver.press(ADMIN, "Niger")
    assert "Country: Niger" in driver.text_of(ADMIN.id)
    answered = [c.params["callback_query_id"] for c in driver.calls("answerCallbackQuery")]
    assert len(answered) == len(set(answered)) == 6  # Koffi, Edit, ✎ Type, customs, ✎ Country…


async def test_members_and_observers_cannot_change_the_directory(
    driver: BotDriver, directory: Partnership
) -> None:
    for person in (MEMBER, OBSERVER):
        assert "Only coordinators and admins" in texts(await driver.send(person, "/addcontact"))
        assert "Only coordinators and admins" in texts(
            await driver.send(person, "/contacts_export")
        )
        assert "Only coordinators and admins" in texts(
            await driver.send_document(person, b"name,organisation\nA,B\n", "c.csv")
        )
    await driver.send(MEMBER, "/contacts koffi")
    listing = driver.last_keyboard_message(MEMBER.id)
    contact_id = ContactOpen.parse(callback_data(listing)[0]).contact_id
    for data in (
        ContactEdit(contact_id),
        ContactDelete(contact_id),
        ContactDeleteConfirmed(contact_id),
    ):
        await driver.press_data(MEMBER, listing, data.pack())
        assert "Only coordinators and admins" in driver.answers()[-1]
    assert len(await store.all_of(driver.app.services.db, directory.id)) == 3
    assert "/addcontact" not in texts(await driver.send(MEMBER, "/help"))
    assert "/contacts" in texts(await driver.send(MEMBER, "/help"))


async def test_a_coordinator_imports_a_csv_document(
    driver: BotDriver, directory: Partnership
) -> None:
    good = "name,organisation,phone,country\nAwa Diop,CENTIF,77 000 00 01,Senegal\n"
    reply = texts(await driver.send_document(COORDINATOR, good.encode(), "contacts.csv"))
    assert "Added: 1. Updated: 0. Unchanged: 0." in reply
    assert driver.calls("getFile")
    bad = (
        "name,organisation,phone\n"
        "Fatou Sow,DPAF,+221770000055\n"
        "Bad <Phone>,DPAF,12 34\n"
        "No Organisation,,\n"
    )
    (report,) = await driver.send_document(COORDINATOR, bad.encode(), "contacts.csv")
    assert "Nothing was imported: 2 rows have problems." in report["text"]
    assert "Line 3, Phone:" in report["text"] and "Line 4, Organisation:" in report["text"]
    # A file's problems say how to correct the file: there is nothing to send in a flow.
    assert "Line 4, Organisation: This column cannot be empty." in report["text"]
    assert "write it with its country code" in report["text"]
    assert "/cancel" not in report["text"] and "Send" not in report["text"]
    assert buttons(report) == ["Import the valid entries only"]
    await driver.press(COORDINATOR, "Import the valid entries only")
    assert "Added: 1." in driver.text_of(COORDINATOR.id)
    assert "2 rows with problems were left out" in driver.text_of(COORDINATOR.id)
    semicolons = b"name;organisation\nA;B\n"
    assert "separated by <code>;</code> instead of commas" in texts(
        await driver.send_document(COORDINATOR, semicolons, "contacts.csv")
    )
    latin1 = "name,organisation\nJosé,DPAF\n".encode("latin-1")
    assert "neither UTF-8 nor UTF-16 text (the first problem is on line 2)" in texts(
        await driver.send_document(COORDINATOR, latin1, "contacts.csv")
    )
    assert len(await store.all_of(driver.app.services.db, directory.id)) == 5
    # Other documents are not taken for imports.
    assert "I did not understand" in texts(
        await driver.send_document(COORDINATOR, b"%PDF", "report.pdf", "application/pdf")
    )


async def test_export_sends_the_directory_as_a_csv_document(
    driver: BotDriver, directory: Partnership
) -> None:
    await driver.send(ADMIN, "/contacts_export")
    (sent,) = await driver.press(ADMIN, "CSV")
    assert sent["document"]["file_name"].startswith("contacts-cop-senegal-2026-11-30")
    assert "3 contacts (CSV, UTF-8)" in sent["caption"]
    upload = driver.calls("sendDocument")[-1].files["document"]
    rows = list(csv.DictReader(io.StringIO(upload.content.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["Adama Sarr", "Koffi N'Guessan", "Rabi <Maman> & Co"]
    explained = texts(await driver.send(ADMIN, "/contacts_import"))
    assert "a vCard file (.vcf)" in explained and "Google Contacts or Outlook" in explained
    assert "name, organisation, organisation_type" in explained


async def test_the_directory_goes_to_a_phone_as_vcards_and_comes_back_unchanged(
    driver: BotDriver, directory: Partnership
) -> None:
    await driver.send(ADMIN, "/contacts_export")
    (sent,) = await driver.press(ADMIN, "vCard")
    assert sent["document"]["file_name"] == "contacts-cop-senegal-2026-11-30.vcf"
    assert "3 contacts (vCard). Open the file on a phone" in sent["caption"]
    exported = driver.calls("sendDocument")[-1].files["document"].content
    assert exported.count(b"BEGIN:VCARD") == 3 and b"FN:Rabi <Maman> & Co" in exported
    reply = texts(await driver.send_document(ADMIN, exported, "contacts.vcf", "text/x-vcard"))
    assert "Added: 0. Updated: 0. Unchanged: 3." in reply


async def test_a_phones_vcards_are_imported_and_a_broken_file_is_refused_by_card(
    driver: BotDriver, directory: Partnership
) -> None:
    android = (DATA / "android.vcf").read_bytes()
    reply = texts(await driver.send_document(COORDINATOR, android, "00001.vcf", "text/x-vcard"))
    assert "Import into <b>COP Sénégal</b> done. Added:" in reply
    before = len(await store.all_of(driver.app.services.db, directory.id))
    broken = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nORG:B\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:C\r\n"
    assert "card 2 is broken" in texts(
        await driver.send_document(COORDINATOR, broken, "contacts.vcf", "text/vcard")
    )
    no_organisation = (
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Awa Diop\r\nORG:CENTIF\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ousmane\r\nTEL:+221770000077\r\nEND:VCARD\r\n"
    )
    (report,) = await driver.send_document(COORDINATOR, no_organisation, "x.vcf", "text/vcard")
    assert "Nothing was imported: 1 card has problems." in report["text"]
    assert "Card 2, Organisation:" in report["text"]
    await driver.press(COORDINATOR, "Import the valid entries only")
    assert "1 card with problems was left out" in driver.text_of(COORDINATOR.id)
    assert len(await store.all_of(driver.app.services.db, directory.id)) == before + 1
    unknown = b"Vorname,Nachname,Firma\nAwa,Diop,CENTIF\n"
    assert "Exports of Google Contacts and Outlook are read as they are" in texts(
        await driver.send_document(COORDINATOR, unknown, "kontakte.csv")
    )
    # A member may not import a phone's cards either.
    assert "Only coordinators and admins" in texts(
        await driver.send_document(MEMBER, android, "00001.vcf", "text/x-vcard")
    )


async def test_a_formula_in_a_members_card_reaches_the_export_as_text(
    driver: BotDriver, directory: Partnership
) -> None:
    planted = '=HYPERLINK("http://x","Click me")'
    await driver.send(MEMBER, "/mycard")
    await driver.send(MEMBER, planted)  # name
    await driver.send(MEMBER, "DPAF")  # organisation
    for _ in range(9):  # every optional field
        await driver.send(MEMBER, "/skip")
    await driver.press(MEMBER, "✓ Save")
    await driver.send(COORDINATOR, "/contacts_export")
    await driver.press(COORDINATOR, "CSV")
    exported = driver.calls("sendDocument")[-1].files["document"].content
    cells = [row[0] for row in csv.reader(io.StringIO(exported.decode("utf-8-sig")))]
    assert "'" + planted in cells and planted not in cells
    # The file imported again reads the card back as the member wrote it, changing nothing.
    reply = texts(await driver.send_document(COORDINATOR, exported, "contacts.csv"))
    assert "Added: 0. Updated: 0. Unchanged: 4." in reply
    cards = [c for c in await store.all_of(driver.app.services.db, directory.id) if c.member_id]
    assert [card.name for card in cards] == [planted]


async def test_mycard_creates_then_edits_a_members_own_card(
    driver: BotDriver, directory: Partnership
) -> None:
    first = texts(await driver.send(MEMBER, "/mycard"))
    assert "Your card lets the members of <b>COP Sénégal</b> find" in first
    assert "Now: Moussa" in first  # filled in from Telegram
    await driver.send(MEMBER, "/skip")  # name
    await driver.send(MEMBER, "DPAF <Dakar>")  # organisation
    for _ in range(5):  # type, country, role, expertise, languages
        await driver.send(MEMBER, "/skip")
    await driver.send(MEMBER, "+221 77 555 00 11")
    for _ in range(3):  # e-mail, Telegram, notes
        await driver.send(MEMBER, "/skip")
    assert "Your card in the directory of <b>COP Sénégal</b>" in driver.text_of(MEMBER.id)
    await driver.press(MEMBER, "✓ Save")
    assert "Your card is saved" in driver.text_of(MEMBER.id)
    await driver.send(ADMIN, "/contacts moussa")
    await driver.press(ADMIN, "Moussa")
    details = driver.api.sent_to(ADMIN.id)[-2]
    assert "kept up to date by them" in details["text"]
    assert "Edit" not in buttons(details)  # coordinators do not edit members' own cards

    again = texts(await driver.send(MEMBER, "/mycard"))
    assert "Organisation: DPAF &lt;Dakar&gt;" in again and "Delete my card" in buttons(
        driver.last_keyboard_message(MEMBER.id)
    )
    await driver.press(MEMBER, "✎ Country")
    await driver.press(MEMBER, "Mali")
    await driver.press(MEMBER, "✓ Save")
    cards = [c for c in await store.all_of(driver.app.services.db, directory.id) if c.member_id]
    assert [(c.member_id, c.country, c.phone) for c in cards] == [
        (MEMBER.id, "Mali", "+221775550011")
    ]
    await driver.send(MEMBER, "/mycard")
    await driver.press(MEMBER, "Delete my card")
    assert "Your card was removed" in driver.text_of(MEMBER.id)
    assert "No contact matches" in texts(await driver.send(ADMIN, "/contacts moussa"))


async def test_mycard_with_an_entrys_phone_overwrites_nothing_until_a_coordinator_links_it(
    driver: BotDriver, directory: Partnership
) -> None:
    await driver.introduce(ADMIN, COORDINATOR, MEMBER)
    await driver.send(MEMBER, "/mycard")
    await driver.send(MEMBER, "Adama Sarr")  # the name of the coordinator's entry
    await driver.send(MEMBER, "DPAF")
    for _ in range(5):  # type, country, role, expertise, languages
        await driver.send(MEMBER, "/skip")
    await driver.send(MEMBER, "+221 77 000 22 02")  # the entry's phone
    await driver.send(MEMBER, "evil@example.org")
    await driver.send(MEMBER, "/skip")
    await driver.send(MEMBER, "/skip")
    await driver.press(MEMBER, "✓ Save")
    refused = driver.last_keyboard_message(MEMBER.id)
    assert "already has an entry for Adama Sarr" in refused["text"]
    entry = next(c for c in await store.all_of(driver.app.services.db, directory.id))
    assert (entry.name, entry.email, entry.member_id) == (
        "Adama Sarr",
        "adama.sarr@example.org",
        None,
    )
    await driver.press(MEMBER, "Ask a coordinator", message=refused)
    assert "I asked 1 coordinator" in driver.text_of(MEMBER.id)
    await driver.settle()
    request = driver.last_keyboard_message(COORDINATOR.id)
    assert "Moussa" in request["text"] and "Link it only if you know" in request["text"]
    link = next(b["callback_data"] for b in [*request["reply_markup"]["inline_keyboard"][0]])
    # A member forging the coordinator's Link button is refused.
    await driver.press_forged(MEMBER, link)
    assert "Only coordinators" in driver.answers()[-1]
    await driver.press(COORDINATOR, "Link it to Moussa", message=request)
    assert "Linked: Adama Sarr" in driver.text_of(COORDINATOR.id)
    await driver.settle()
    assert "it is your card now" in driver.text_of(MEMBER.id)
    linked = await store.get(driver.app.services.db, directory.id, entry.id)
    assert linked is not None
    assert (linked.email, linked.member_id) == ("adama.sarr@example.org", MEMBER.id)
    actions = [e.action for e in await audit.recent(driver.app.services.db, directory.id)]
    assert "contact.link_request" in actions and "contact.link" in actions


async def test_hostile_names_in_the_card_flow_are_escaped(
    driver: BotDriver, directory: Partnership
) -> None:
    invite = await driver.app.services.invites.create(directory, role=Role.MEMBER)
    await driver.send(HOSTILE, f"/start {invite.code}")
    first = texts(await driver.send(HOSTILE, "/mycard"))
    assert "<script>" not in first and "&lt;script&gt;" in first


async def test_cancel_leaves_the_flow_and_its_buttons_expire(
    driver: BotDriver, directory: Partnership
) -> None:
    await driver.send(ADMIN, "/addcontact")
    await driver.send(ADMIN, "Awa")
    await driver.send(ADMIN, "CENTIF")
    types = driver.last_keyboard_message(ADMIN.id)
    assert "Stopped" in texts(await driver.send(ADMIN, "/cancel"))
    await driver.press(ADMIN, "customs", message=types)
    assert "no longer active" in driver.answers()[-1]
    assert len(await store.all_of(driver.app.services.db, directory.id)) == 3


async def test_directory_commands_in_a_group_point_to_the_private_chat(
    driver: BotDriver, directory: Partnership
) -> None:
    group = driver.updates.group_chat(-1003, "Team")
    for command in ("/contacts koffi", "/mycard", "/addcontact", "/contacts_export"):
        reply = texts(await driver.send(MEMBER, command, chat=group))
        assert "@partnerbot_test_bot" in reply and "Koffi" not in reply


async def test_restart_in_the_middle_of_the_add_flow_resumes_at_the_same_step(
    settings: Settings, clock: FakeClock
) -> None:
    async with bot_process(settings, clock) as driver:
        created = await jit_niger(driver.app.services, (COORDINATOR, Role.COORDINATOR))
        await driver.send(COORDINATOR, "/addcontact")
        await driver.send(COORDINATOR, "Ibrahim Souley")
        await driver.send(COORDINATOR, "Police nationale")
        types = driver.last_keyboard_message(COORDINATOR.id)
    # A new process: only the SQLite file survives.
    async with bot_process(settings, clock, first_update_id=1000) as driver:
        await driver.press(COORDINATOR, "border police", message=types)
        assert "Step 4 of 11" in driver.text_of(COORDINATOR.id)
        await driver.press(COORDINATOR, "Niger")
        for _ in range(7):
            await driver.send(COORDINATOR, "/skip")
        assert "Name: Ibrahim Souley" in driver.text_of(COORDINATOR.id)
        await driver.press(COORDINATOR, "✓ Save")
        (saved,) = await store.all_of(driver.app.services.db, created.id)
        assert (saved.organisation, saved.organisation_type, saved.country) == (
            "Police nationale",
            "border_police",
            "Niger",
        )


async def test_the_directory_speaks_each_members_language(
    driver: BotDriver, directory: Partnership
) -> None:
    services = driver.app.services
    french, arabic = (
        LocalUser(801, "Fatou", language_code="fr"),
        LocalUser(802, "Salem", language_code="ar"),
    )
    for person in (french, arabic):
        await services.partnerships.add_member(
            directory, user_id=person.id, name=person.first_name, role=Role.MEMBER
        )
    assert "1 contact correspond à <b>koffi</b>" in texts(
        await driver.send(french, "/contacts koffi")
    )
    await driver.press(french, "Koffi")
    details = driver.text_of(french.id, -2)
    assert (
        "Téléphone\u00a0: +225 07 01 00 2211" in details
        and "Langues\u00a0: français, anglais" in details
    )
    arabic_results = texts(await driver.send(arabic, "/contacts koffi"))
    assert "جهة اتصال واحدة تطابق" in arabic_results and "ساحل العاج" in arabic_results
    # Arabic names the search filters in Arabic too (country:, role: also work).
    assert "Adama Sarr" in texts(await driver.send(arabic, "/contacts منصب:investig بلد:senegal"))
    assert "Adama Sarr" not in texts(await driver.send(arabic, "/contacts بلد:niger"))
    # Country names come from CLDR in the reader's language, whatever was typed.
    (article,) = (await driver.inline(arabic, "rabi"))["results"]
    assert article["description"] == "Legal adviser · Agence <nationale> · النيجر"
    (menu,) = await driver.send(french, "/contacts")
    assert {"Sénégal (1)", "Niger (1)", "Côte d’Ivoire (1)"} <= set(buttons(menu))
    (menu,) = await driver.send(arabic, "/contacts")
    assert {"السنغال (1)", "النيجر (1)", "ساحل العاج (1)"} <= set(buttons(menu))
    assert "\u200e/addcontact" not in texts(await driver.send(arabic, "/contacts"))
    await driver.send(arabic, "/mycard")
    assert "الخطوة" in driver.text_of(arabic.id) and "\u200e/cancel" in driver.text_of(arabic.id)


async def test_the_console_searches_imports_and_shows_inline_results(
    settings: Settings, tmp_path: Path
) -> None:
    contacts_file = tmp_path / "new.csv"
    contacts_file.write_bytes(b"name,organisation,phone\nAwa Test,CENTIF,+221770000099\n")
    script = tmp_path / "script.txt"
    script.write_text(
        f"/contacts gend\n::inline niger police\n::file {contacts_file}\n::inline xyzzy\n",
        encoding="utf-8",
    )
    output = io.StringIO()
    code = await run_console(
        settings, database=tmp_path / "console.sqlite3", script=script, fresh=False, output=output
    )
    out = output.getvalue()
    assert code == 0, out
    assert "2 contacts match gend:" in out and "Hawa Kourouma" in out
    assert "bot (inline)> [1] Abdoulaye Issoufou +22790002214" in out
    assert "Import into NETCOP demo — West Africa done. Added: 1." in out
    assert "bot (inline)> (no results)" in out


async def test_a_shared_contact_is_looked_up_and_only_a_coordinator_may_add_it(
    driver: BotDriver, directory: Partnership
) -> None:
    # Telegram sends the number without its +; the same number is a match, whatever the name.
    known = {"phone_number": "2250701002211", "first_name": "K.", "last_name": "Koffi"}
    (found,) = await driver.send_content(MEMBER, contact=known)
    assert "Already in the directory, perhaps:" in found["text"]
    assert "<b>Koffi N&#39;Guessan</b>" in found["text"]
    assert buttons(found) == ["1. Koffi N'Guessan"]
    await driver.press(MEMBER, "Koffi")
    assert "Head of analysis" in driver.text_of(MEMBER.id, -2)
    stranger = {"phone_number": "+221 77 000 9999", "first_name": "Awa", "last_name": "<Diop>"}
    (unknown,) = await driver.send_content(MEMBER, contact=stranger)
    assert "<b>Awa &lt;Diop&gt;</b> is not in the directory." in unknown["text"]
    assert "reply_markup" not in unknown  # members look up; they do not add
    (offered,) = await driver.send_content(COORDINATOR, contact=stranger)
    assert buttons(offered) == ["➕ Add to the directory"]
    await driver.press(COORDINATOR, "Add to the directory")
    # The new-contact questions, name and number filled in from the card for the coordinator
    # to check: the card is the sender's word, so nothing is saved without them.
    step = driver.text_of(COORDINATOR.id)
    assert "Step 1 of 11" in step and "Now: Awa &lt;Diop&gt;" in step
    await driver.send(COORDINATOR, "/skip")
    await driver.send(COORDINATOR, "Police nationale")
    for _ in range(2):  # type, country
        await driver.press(COORDINATOR, buttons(driver.last_keyboard_message(COORDINATOR.id))[0])
    for _ in range(3):  # role, expertise, languages
        await driver.send(COORDINATOR, "/skip")
    step = driver.text_of(COORDINATOR.id)
    assert "Step 8 of 11" in step and "Now: +221 77 000 99 99" in step, step
    assert await store.with_phone(driver.app.services.db, directory.id, "+221770009999") == []


async def test_a_shared_contact_answers_in_the_readers_language_and_not_to_strangers(
    driver: BotDriver, directory: Partnership
) -> None:
    await driver.send(MEMBER, "/language")
    await driver.press(MEMBER, "Français")
    card = {"phone_number": "+221770009999", "first_name": "Awa"}
    assert "<b>Awa</b> ne figure pas dans l'annuaire." in texts(
        await driver.send_content(MEMBER, contact=card)
    )
    assert "Awa" not in texts(await driver.send_content(STRANGER, contact=card))
