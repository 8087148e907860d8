"""The contact directory end to end: the real bot over real HTTP, people using it from a phone.

Searching with accents, prefixes and filters, paging, opening a result and saving its contact
card, inline mode in another chat, the guided add and edit flows and a CSV file sent as a
document; and what people outside the partnership see of it: nothing.
"""

from __future__ import annotations

from pathlib import Path

from bot.local_api import LocalUser
from domain.models import Partnership, PartnershipKind, Role
from services.contact_fields import ContactDraft, OrganisationType
from services.container import Services
from storage import contacts as store
from tests.e2e.botapi_server import BotApiServer
from tests.e2e.partnerbot import person, polling, until
from tests.e2e.users import BotMessage
from tests.people import COORDINATOR, MEMBER, STRANGER

T = OrganisationType
OUTSIDER = LocalUser(301, "Ousmane", language_code="en")

DIRECTORY = [
    ContactDraft("Adama Sarr", "Gendarmerie nationale — section de recherches", T.GENDARMERIE,
                 "Sénégal", "Investigator", ("pirogue departures",), ("fr", "wo"),
                 "+221770002202", "adama.sarr@example.org", "adama_sarr_gn", "Saturdays only"),
    ContactDraft("Koffi N'Guessan", "CENTIF", T.FINANCIAL_INTELLIGENCE, "Côte d'Ivoire",
                 "Head of analysis", ("illicit finance",), ("fr", "en"), "+2250701002211"),
    ContactDraft("Rabi Maman", "Police nationale — DST", T.BORDER_POLICE, "Niger",
                 "Commissaire", ("document fraud",), ("fr", "ha"), "+22790000001"),
    ContactDraft("Ibrahim Souley", "Gendarmerie nationale", T.GENDARMERIE, "Niger",
                 "Prosecutor liaison", (), ("fr",), "+22790000002"),
    ContactDraft("Rokhaya <Ndiaye> & Co", "Agence <nationale>", T.NATIONAL_COMMITTEE, "Mali",
                 "Legal adviser", ("<b>law</b>",), ("fr",), None, "rokhaya@example.org"),
    *(
        ContactDraft(f"Gendarme {n:02d}", "Gendarmerie nationale", T.GENDARMERIE, "Sénégal",
                     "Officer", (), (), f"+2217700010{n:02d}")
        for n in range(8)
    ),
]  # fmt: skip


async def seed(services: Services) -> Partnership:
    """COP Sénégal with a coordinator, a member and a directory of thirteen contacts;
    NETCOP with its own admin and one contact of its own."""
    cop = await services.partnerships.create(
        name="COP Sénégal", kind=PartnershipKind.COP, countries=("Senegal",),
        timezone="Africa/Dakar", language="fr",
    )  # fmt: skip
    for who, role in ((COORDINATOR, Role.COORDINATOR), (MEMBER, Role.MEMBER)):
        await services.partnerships.add_member(cop, user_id=who.id, name=who.first_name, role=role)
    report = await services.contacts.add_drafts(cop, DIRECTORY, source="test")
    assert report.created == len(DIRECTORY)
    netcop = await services.partnerships.create(
        name="NETCOP", kind=PartnershipKind.NETWORK, countries=(), timezone="UTC", language="en"
    )
    await services.partnerships.add_member(
        netcop, user_id=OUTSIDER.id, name=OUTSIDER.first_name, role=Role.ADMIN
    )
    own = ContactDraft("Koffi Mensah", "Frontex", T.EU_AGENCY, "Poland", phone="+48221234567")
    await services.contacts.add_drafts(netcop, [own], source="test")
    return cop


def labels(message: BotMessage) -> list[str]:
    return [button.text for row in message.buttons for button in row]


async def test_search_page_open_and_share_a_contact(botapi: BotApiServer, tmp_path: Path) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services)
        member = person(botapi, MEMBER)

        # Without accents or apostrophe, and in any case.
        await member.send("/contacts COTE divoire")
        found = await member.next_message()
        assert "1 contact matches COTE divoire:" in found.text
        assert "Koffi N'Guessan — Head of analysis · CENTIF · Côte d’Ivoire" in found.text
        await member.send("/contacts senegal investigator")
        assert "Adama Sarr" in (await member.next_message()).text

        # A word prefix matches; long results come in pages of eight.
        await member.send("/contacts gend")
        listing = await member.next_message()
        assert "10 contacts match gend: Page 1 of 2." in listing.text
        assert labels(listing)[-1] == "»" and len(labels(listing)) == 9
        await member.press("»")
        second = await member.next_edit(listing)
        assert "Page 2 of 2." in second.text and "9. " in second.text
        assert labels(second)[-1] == "«"
        await member.press("«")
        assert "Page 1 of 2." in (await member.next_edit(listing)).text

        # Filters narrow the search.
        await member.send("/contacts country:niger")
        niger = await member.next_message()
        assert "2 contacts match country:niger:" in niger.text
        assert "Rabi Maman" in niger.text and "Ibrahim Souley" in niger.text
        await member.send("/contacts gendarmerie country:niger")
        filtered = await member.next_message()
        assert "1 contact matches" in filtered.text and "Ibrahim Souley" in filtered.text

        # Opening a result shows the details, then sends the card the phone saves in one tap.
        await member.send("/contacts sarr")
        results = await member.next_message()
        answer = await member.press("1. Adama Sarr")
        assert answer.text is None and not answer.show_alert
        details = await member.next_edit(results)
        assert "Investigator · Gendarmerie nationale — section de recherches" in details.text
        assert "E-mail: adama.sarr@example.org" in details.text
        links = [e.get("url") for e in details.entities if e["type"] == "text_link"]
        assert links == ["https://t.me/adama_sarr_gn"]
        assert labels(details) == ["« Back to the results"]  # members do not edit
        card = await member.next_message()
        assert card.method == "sendContact" and card.contact is not None
        assert card.contact["phone_number"] == "+221770002202"
        assert card.contact["first_name"] == "Adama Sarr"
        vcard = card.contact["vcard"]
        assert vcard.startswith("BEGIN:VCARD") and vcard.endswith("END:VCARD")
        assert "TEL;TYPE=CELL:+221770002202" in vcard and "EMAIL;TYPE=INTERNET:" in vcard
        await member.press("« Back to the results", details)
        assert "1 contact matches sarr:" in (await member.next_edit(details)).text

        # /contacts alone: browsing by country and by organisation.
        await member.send("/contacts")
        menu = await member.next_message()
        assert "holds 13 contacts" in menu.text and "@partnerbot_test_bot" in menu.text
        assert "Add a contact" not in labels(menu)
        await member.press("Niger (2)")
        assert "2 contacts match Niger:" in (await member.next_edit(menu)).text
        await member.send("/contacts")
        menu = await member.next_message()
        await member.press("By organisation (5)")
        organisations = await member.next_edit(menu)
        assert "Choose an organisation:" in organisations.text
        assert labels(organisations)[0] == "Gendarmerie nationale (9)"
        await member.press("⌂")
        assert "holds 13 contacts" in (await member.next_edit(menu)).text
        await member.press("By organisation (5)")
        await member.next_edit(menu)
        await member.press("CENTIF (1)")
        assert "1 contact matches CENTIF:" in (await member.next_edit(menu)).text

        # Inline mode in another chat: personal, short-lived results to share.
        group = botapi.group("Field team", members=[member])
        answer_inline = await member.in_chat(group).inline_query("niger police")
        assert answer_inline.is_personal and answer_inline.cache_time is not None
        assert answer_inline.cache_time <= 10
        (shared,) = answer_inline.results
        assert shared["type"] == "contact" and shared["phone_number"] == "+22790000001"
        assert "BEGIN:VCARD" in shared["vcard"] and shared["first_name"] == "Rabi Maman"
        koffi = await member.in_chat(group).inline_query("koffi")
        assert [r["first_name"] for r in koffi.results] == ["Koffi N'Guessan"]
        assert (await member.inline_query("xyzzy")).results == []
        # Without a phone number: the details to share as a message, escaped.
        (article,) = (await member.in_chat(group).inline_query("agence")).results
        assert article["type"] == "article" and article["title"] == "Rokhaya <Ndiaye> & Co"
        assert "&lt;Ndiaye&gt; &amp; Co" in article["input_message_content"]["message_text"]
        await member.send("/contacts rokhaya")
        results = await member.next_message()
        await member.press("1. Rokhaya <Ndiaye> & Co")
        details = await member.next_edit(results)
        assert "Expertise: <b>law</b>" in details.text and "no contact card" in details.text
        await member.expect_no_message()


async def test_people_outside_the_partnership_find_nothing(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services)
        # A member of another partnership finds their own directory only.
        outsider = person(botapi, OUTSIDER)
        await outsider.send("/contacts koffi")
        own = await outsider.next_message()
        assert "Koffi Mensah" in own.text and "Guessan" not in own.text
        for query in ("cote divoire", "country:niger", "gendarmerie"):
            await outsider.send(f"/contacts {query}")
            assert "No contact matches" in (await outsider.next_message()).text
        inline = await outsider.inline_query("koffi")
        assert [r["first_name"] for r in inline.results] == ["Koffi Mensah"]
        assert (await outsider.inline_query("gendarmerie")).results == []
        # A stranger's inline query gets nothing at all, and nothing is cached for others.
        stranger = person(botapi, STRANGER)
        answer = await stranger.inline_query("koffi")
        assert answer.results == [] and answer.cache_time == 0 and answer.is_personal
        await stranger.send("/contacts koffi")
        turned_away = await stranger.next_message()
        assert "invitation only" in turned_away.text and "Koffi" not in turned_away.text


async def test_a_coordinator_adds_edits_and_imports_contacts(
    botapi: BotApiServer, tmp_path: Path
) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        cop = await seed(app.services)
        coordinator = person(botapi, COORDINATOR)

        # The guided flow, one field at a time, with buttons for the type and the country.
        await coordinator.send("/addcontact")
        await until(coordinator, "Step 1 of 11")
        await coordinator.send("Awa Diop")
        await until(coordinator, "Step 2 of 11")
        await coordinator.send("Douanes sénégalaises")
        types = await until(coordinator, "Step 3 of 11")
        assert "customs" in labels(types)
        await coordinator.press("customs")
        countries = await until(coordinator, "Step 4 of 11")
        assert labels(countries)[0] == "Senegal"
        await coordinator.press("Senegal")
        await until(coordinator, "Step 5 of 11")
        for typed, step in (("Inspectrice", 6), ("/skip", 7), ("français, wolof", 8),
                            ("77 123 45 67", 9), ("awa.diop@example.org", 10),
                            ("@awa_diop", 11)):  # fmt: skip
            await coordinator.send(typed)
            await until(coordinator, f"Step {step} of 11")
        await coordinator.send("/skip")
        review = await until(coordinator, "Check the new contact")
        assert "Type: customs" in review.text and "Phone: +221 77 123 45 67" in review.text

        # From the review, a type button and a country button lead back to the review.
        await coordinator.press("✎ Type", review)
        await until(coordinator, "Choose the type of organisation")
        await coordinator.press("border police")
        review = await until(coordinator, "Check the new contact")
        assert "Type: border police" in review.text
        await coordinator.press("✎ Country", review)
        await until(coordinator, "Choose the country below")
        await coordinator.press("Niger")
        review = await until(coordinator, "Check the new contact")
        assert "Country: Niger" in review.text
        await coordinator.press("✓ Save", review)
        saved = await coordinator.next_edit(review)
        assert "Saved: Awa Diop is in the directory of COP Sénégal." in saved.text

        # Editing an existing contact opens on the review.
        await coordinator.send("/contacts koffi")
        results = await coordinator.next_message()
        await coordinator.press("1. Koffi N'Guessan")
        details = await coordinator.next_edit(results)
        assert labels(details)[:2] == ["Edit", "Delete"]
        assert (await coordinator.next_message()).method == "sendContact"
        await coordinator.press("Edit", details)
        review = await until(coordinator, "Press a field to change it, then save.")
        await coordinator.press("✎ Phone", review)
        await until(coordinator, "Now: +225 07 01 00 2211")
        await coordinator.send("+225 05 01 00 22 10")
        review = await until(coordinator, "Press a field to change it, then save.")
        await coordinator.press("✓ Save", review)
        assert "Saved: Koffi N'Guessan" in (await coordinator.next_edit(review)).text

        # Deleting asks first; "No, keep" goes back to the details.
        await coordinator.send("/contacts ibrahim")
        results = await coordinator.next_message()
        await coordinator.press("1. Ibrahim Souley")
        details = await coordinator.next_edit(results)
        await coordinator.next_message()  # the contact card
        await coordinator.press("Delete", details)
        assert "Delete Ibrahim Souley from the directory?" in (await coordinator.next_edit()).text
        await coordinator.press("No, keep", details)
        assert "Prosecutor liaison" in (await coordinator.next_edit(details)).text
        await coordinator.next_message()  # the contact card again
        await coordinator.press("Delete", details)
        await coordinator.next_edit(details)
        await coordinator.press("Yes, delete", details)
        deleted = await coordinator.next_edit(details)
        assert "Ibrahim Souley was deleted from the directory." in deleted.text

        # A CSV file sent as a document: a bad row stops the import until asked to skip it.
        rows = (
            "name,organisation,organisation_type,country,phone\n"
            "Fatou Sow,DPAF,border_police,Senegal,+221770000055\n"
            "Bad Phone,DPAF,border_police,Senegal,12 34\n"
            "Mamadou Ba,Douanes,customs,Sénégal,77 000 00 66\n"
        )
        await coordinator.send_document("contacts.csv", rows.encode(), "text/csv")
        report = await until(coordinator, "Nothing was imported: 1 row has problems.")
        assert "Line 3, Phone:" in report.text
        assert labels(report) == ["Import the valid entries only"]
        await coordinator.press("Import the valid entries only", report)
        imported = await coordinator.next_edit(report)
        assert "Added: 2." in imported.text and labels(imported) == []

        # Everyone in the partnership finds the new contacts at once.
        member = person(botapi, MEMBER)
        await member.send("/contacts mamadou douanes")
        assert "Mamadou Ba" in (await member.next_message()).text
        await member.send("/contacts awa")
        assert (
            "Awa Diop — Inspectrice · Douanes sénégalaises · Niger"
            in (await member.next_message()).text
        )
        stored = {c.name: c for c in await store.all_of(app.services.db, cop.id)}
        assert stored["Awa Diop"].organisation_type == T.BORDER_POLICE
        assert stored["Koffi N'Guessan"].phone == "+2250501002210"
        assert stored["Mamadou Ba"].phone == "+221770000066"
        assert "Bad Phone" not in stored and "Ibrahim Souley" not in stored

        # The directory as a CSV document.
        await coordinator.send("/contacts_export")
        await coordinator.next_message()
        await coordinator.press("📄 CSV (spreadsheet)")
        exported = await coordinator.next_message()
        assert exported.document is not None
        assert exported.document["file_name"].startswith("contacts-cop-senegal-")
        assert "The directory of COP Sénégal: 15 contacts (CSV, UTF-8)." in exported.caption


async def test_a_member_keeps_their_own_card(botapi: BotApiServer, tmp_path: Path) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        await seed(app.services)
        member = person(botapi, MEMBER)
        await member.send("/mycard")
        first = await until(member, "Your card lets the members of COP Sénégal find")
        assert "Now: Moussa" in first.text
        await member.send("/skip")
        await until(member, "Step 2 of 11")
        await member.send("DPAF")
        await until(member, "Step 3 of 11")
        for step in range(4, 9):  # type, country, role, expertise, languages
            await member.send("/skip")
            await until(member, f"Step {step} of 11")
        await member.send("+221 77 555 00 11")
        for step in (9, 10, 11):  # e-mail, Telegram, notes
            await until(member, f"Step {step} of 11")
            await member.send("/skip")
        review = await until(member, "Your card in the directory of COP Sénégal")
        await member.press("✓ Save", review)
        assert "Your card is saved" in (await member.next_edit(review)).text

        # Changed later from the review, with the country buttons.
        await member.send("/mycard")
        review = await until(member, "Your card in the directory of COP Sénégal")
        assert "Delete my card" in labels(review)
        await member.press("✎ Country", review)
        await until(member, "Choose the country below")
        await member.press("Niger")
        review = await until(member, "Your card in the directory of COP Sénégal")
        assert "Country: Niger" in review.text
        await member.press("✓ Save", review)
        await member.next_edit(review)
        coordinator = person(botapi, COORDINATOR)
        await coordinator.send("/contacts moussa dpaf")
        results = await coordinator.next_message()
        await coordinator.press("1. Moussa")
        details = await coordinator.next_edit(results)
        assert "kept up to date by them" in details.text and "Edit" not in labels(details)
        card = await coordinator.next_message()
        assert card.contact is not None and card.contact["phone_number"] == "+221775550011"


async def test_contacts_from_a_phone_and_back_to_one(botapi: BotApiServer, tmp_path: Path) -> None:
    async with polling(botapi, tmp_path / "bot.sqlite3") as app:
        cop = await seed(app.services)
        coordinator = person(botapi, COORDINATOR)
        before = len(await store.all_of(app.services.db, cop.id))
        cards = (Path(__file__).parent.parent / "data" / "contacts" / "ios.vcf").read_bytes()
        await coordinator.send_document("Contacts.vcf", cards, "text/x-vcard")
        imported = await until(coordinator, "Import into COP Sénégal done.")
        assert "Added:" in imported.text
        after = await store.all_of(app.services.db, cop.id)
        assert len(after) > before

        # The whole directory as one .vcf, which imports back changing nothing.
        await coordinator.send("/contacts_export")
        await coordinator.next_message()
        await coordinator.press("📇 vCard (phones)")
        exported = await coordinator.next_message()
        assert exported.document is not None
        assert exported.document["file_name"].endswith(".vcf")
        content = botapi.file(exported.document["file_id"]).content
        assert content.count(b"BEGIN:VCARD") == len(after)
        await coordinator.send_document("directory.vcf", content, "text/vcard")
        again = await until(coordinator, "Import into COP Sénégal done.")
        assert f"Unchanged: {len(after)}." in again.text
