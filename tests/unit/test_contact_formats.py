"""Contacts from the files officials have: vCards from Android, iPhone and vCard 4.0 programs,
Google's and Outlook's CSV exports, UTF-16 files; the directory as one .vcf read back
unchanged; refusals, problems by card, duplicates, and the command line."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from domain.contacts import Contact
from domain.models import Partnership, PartnershipKind
from services.contact_fields import (
    ContactDraft,
    Field,
    OrganisationType,
    Problem,
    check_draft,
)
from services.contact_files import Layout, read_contacts
from services.contact_rows import CsvRefused, FileProblem
from services.contact_vcard import LINE_OCTETS, read_cards, vcard, write_vcards
from services.contacts import ExportFormat, RowProblem, draft_of
from services.container import Services
from storage import audit
from storage import contacts as store

DATA = Path(__file__).resolve().parent.parent / "data" / "contacts"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
async def cop(services: Services) -> Partnership:
    return await services.partnerships.create(
        name="COP Sénégal", kind=PartnershipKind.COP, countries=("Senegal",),
        timezone="Africa/Dakar", language="fr",
    )  # fmt: skip


def card(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", *lines, "END:VCARD"]) + "\r\n"


# -- vCards as phones and programs write them ----------------------------------------------


def test_an_android_export_in_quoted_printable_is_read_card_by_card() -> None:
    read = read_contacts(data("android.vcf"), "Contacts.vcf")
    assert read.layout is Layout.VCARD and read.by_card
    ali, amelie = read.rows
    assert (ali.line, ali.problems, amelie.line, amelie.problems) == (1, (), 2, ())
    assert ali.draft == ContactDraft(
        name="علي المنصوري",
        organisation="المديرية العامة للجمارك الموريتانية",
        country="موريتانيا",
        role="رئيس مصلحة مكافحة التهريب",
        phone="+22222123456",  # the mobile number, not the office's
        email="ali.mansouri@douanes.gov.mr",
    )
    assert (amelie.draft.name, amelie.draft.phone) == ("Amélie Lefèvre", "+33612345678")
    assert amelie.draft.organisation == "Direction nationale de la police aux frontières"
    # Soft line breaks of quoted-printable are joined; its encoded line break is kept.
    assert amelie.draft.notes == (
        "Officière de liaison à Dakar, référente fraude documentaire et filières"
        " d'immigration irrégulière.\nJoignable en soirée."
    )


def test_an_iphone_export_with_groups_a_photo_and_escapes_is_read() -> None:
    mariama, ousmane = read_cards(data("ios.vcf"))
    assert mariama.problems == () and ousmane.problems == ()
    assert mariama.draft == ContactDraft(
        name="Mariama Diallo",
        organisation="Direction de la Police de l’Air et des Frontières",
        country="Sénégal",
        # ORG's department follows the title, its escaped comma read as a comma.
        role="Commissaire, Brigade, Aéroport",
        phone="+221770000002",
        email="mariama.diallo@interieur.gouv.sn",
        telegram="mariama_diallo",
        notes="Point focal; fraude documentaire, faux visas\nDisponible 24/7",
    )
    # A number without its country code is read in the card's country.
    assert (ousmane.line, ousmane.draft.phone, ousmane.draft.country) == (
        2,
        "+221780000006",
        "Sénégal",
    )


def test_a_vcard_4_card_is_read() -> None:
    (youssef,) = read_contacts(data("vcard4.vcf"), None).rows
    assert youssef.problems == ()
    assert youssef.draft == ContactDraft(
        name="Youssef El Amrani",
        organisation="Direction générale de la sûreté nationale",
        country="Maroc",
        role="Commissaire divisionnaire, Police judiciaire",
        expertise=("traite des êtres humains", "faux documents"),
        phone="+212661234567",  # the cell number, though the work number is preferred
        email="y.elamrani@dgsn.gov.ma",
        telegram="youssef_amrani",
    )


def test_a_card_is_a_vcard_by_its_content_whatever_its_name() -> None:
    text = "\r\n\r\nbegin:vcard\r\nversion:2.1\r\nfn:Awa Diop\r\norg:CENTIF\r\nend:vcard\r\n"
    read = read_contacts(text.encode(), "contacts.csv")
    assert read.layout is Layout.VCARD
    assert (read.rows[0].draft.name, read.rows[0].draft.organisation) == ("Awa Diop", "CENTIF")
    # N is the name when there is no FN.
    (row,) = read_cards(card("N:Diop;Awa;Binta;;", "ORG:CENTIF").encode())
    assert row.draft.name == "Awa Binta Diop"


# -- Google's and Outlook's CSV exports ----------------------------------------------------


def test_a_google_export_is_recognised_and_mapped() -> None:
    read = read_contacts(data("google.csv"), "contacts.csv")
    assert read.layout is Layout.GOOGLE and not read.by_card
    helene, fatima = read.rows
    assert (helene.line, helene.problems, fatima.line, fatima.problems) == (2, (), 6, ())
    assert helene.draft == ContactDraft(
        name="Hélène Awa Mbaye",
        organisation="CENTIF",
        country="Sénégal",
        role="Analyste financière, Division des enquêtes",
        phone="+221770000003",  # the first mobile of "a ::: b", before the work number
        email="h.mbaye@centif.sn",  # the primary ("* Work") address
        notes="Rencontrée à l’atelier de Saly.\nSuit les transferts d’argent mobile.",
    )
    assert fatima.draft == ContactDraft(
        name="فاطمة بنعلي",
        organisation="المديرية العامة للأمن الوطني",
        country="المغرب",
        role="ضابطة شرطة",
        phone="+212661234568",
        email="f.benali@dgsn.gov.ma",
        telegram="fatima_benali",
    )


def test_an_outlook_export_is_recognised_and_mapped() -> None:
    read = read_contacts(data("outlook.csv"), "contacts.csv")
    assert read.layout is Layout.OUTLOOK
    ousmane, mohamed = read.rows
    assert ousmane.draft == ContactDraft(
        name="Ousmane Sarr",
        organisation="Gendarmerie nationale",
        country="Sénégal",
        role="Chef d’escadron, Section de recherches",
        phone="+221770000007",  # mobile first
        email="ousmane.sarr@gendarmerie.sn",
        notes="Référent trafic de migrants, façade atlantique.",
    )
    assert (mohamed.line, mohamed.problems) == (3, ())
    assert (mohamed.draft.name, mohamed.draft.organisation) == (
        "محمد ولد أحمد",
        "الإدارة العامة للأمن الوطني",
    )
    assert (mohamed.draft.phone, mohamed.draft.country) == ("+22246123456", "موريتانيا")


CLASSIC_OUTLOOK = (
    '"Title","First Name","Middle Name","Last Name","Suffix","Company","Department",'
    '"Job Title","Business Street","Business Street 2","Business Street 3","Business City",'
    '"Business State","Business Postal Code","Business Country/Region","Home Street",'
    '"Business Phone","Business Phone 2","Mobile Phone","E-mail Address","E-mail Type",'
    '"E-mail Display Name","Notes","Web Page"\r\n'
    '"","Aïssatou","","Bâ","","DPAF","","Commissaire","","","","Dakar","","","Sénégal","",'
    '"+221 33 800 00 03","","","a.ba@interieur.gouv.sn","SMTP","Aïssatou Bâ","",'
    '"https://t.me/aissatou_ba"\r\n'
)
OLDER_GOOGLE = (
    "Name,Given Name,Additional Name,Family Name,Yomi Name,Notes,Group Membership,"
    "E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,Phone 1 - Value,Address 1 - Country,"
    "Organization 1 - Type,Organization 1 - Name,Organization 1 - Title\n"
    "Mamadou Kane,Mamadou,,Kane,,,* My Contacts,* Work,m.kane@douanes.sn,Work ::: Mobile,"
    "+221 33 800 00 04 ::: 77 000 00 09,Senegal,,Douanes,Inspecteur\n"
)


@pytest.mark.parametrize(
    ("text", "layout", "expected"),
    [
        (
            CLASSIC_OUTLOOK,
            Layout.OUTLOOK,
            ContactDraft(
                name="Aïssatou Bâ", organisation="DPAF", country="Sénégal", role="Commissaire",
                phone="+221338000003", email="a.ba@interieur.gouv.sn", telegram="aissatou_ba",
            ),
        ),
        (
            OLDER_GOOGLE,
            Layout.GOOGLE,
            ContactDraft(
                name="Mamadou Kane", organisation="Douanes", country="Senegal",
                role="Inspecteur", phone="+221770000009", email="m.kane@douanes.sn",
            ),
        ),
    ],
)  # fmt: skip
def test_the_other_export_layouts_are_recognised(
    text: str, layout: Layout, expected: ContactDraft
) -> None:
    read = read_contacts(text.encode(), "export.csv")
    assert read.layout is layout
    assert [(row.line, row.draft, row.problems) for row in read.rows] == [(2, expected, ())]


def test_an_unknown_csv_layout_is_still_refused_with_its_unknown_columns() -> None:
    data = "Nom,Prénom,Société\nDiop,Awa,CENTIF\n".encode()
    with pytest.raises(CsvRefused) as refused:
        read_contacts(data, "contacts.csv")
    assert (refused.value.problem, refused.value.detail) == (
        FileProblem.UNKNOWN_COLUMNS,
        "nom, prenom, societe",
    )
    ours = read_contacts(b"name,organisation\nAwa Diop,CENTIF\n", "x.csv")
    assert ours.layout is Layout.PARTNERBOT and ours.rows[0].draft.organisation == "CENTIF"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (card("FN:Awa", "ORG:CENTIF") + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut short\r\n", "2"),
        (card("FN:Awa", "ORG:CENTIF") + card("FN:Koffi", "this line has no colon"), "2"),
        ("BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=NO-SUCH-CHARSET;QUOTED-PRINTABLE:=41\r\n", "1"),
        (card("FN:Awa", "ORG:CENTIF") + "some words between cards\r\n" + card("FN:B"), ""),
        ("END:VCARD\r\n", ""),
    ],
)
def test_a_broken_vcard_file_is_refused_with_the_card(text: str, detail: str) -> None:
    with pytest.raises(CsvRefused) as refused:
        list(read_cards(text.encode()))
    assert (refused.value.problem, refused.value.detail) == (FileProblem.NOT_VCARD, detail)


def test_vcard_files_are_refused_as_such() -> None:
    # Named .vcf, but not vCards.
    with pytest.raises(CsvRefused) as refused:
        read_contacts(b"Contacts exported on 1 March\n", "Contacts.vcf")
    assert refused.value.problem is FileProblem.NOT_VCARD
    with pytest.raises(CsvRefused) as refused:
        read_contacts(card("FN:A", "ORG:B").encode() * 4, "all.vcf", max_rows=3)
    assert (refused.value.problem, refused.value.detail) == (FileProblem.TOO_MANY_ROWS, "3")
    with pytest.raises(CsvRefused) as refused:
        read_contacts(b" \r\n", "empty.vcf")
    assert refused.value.problem is FileProblem.EMPTY


# -- encodings -----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_with_a_byte_order_mark_are_read(encoding: str) -> None:
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    text = "name,organisation,country\r\nJosé Gómez,Policía Nacional,Sénégal\r\n"
    read = read_contacts(bom + text.encode(encoding), "excel.csv")
    assert read.layout is Layout.PARTNERBOT
    assert (read.rows[0].draft.name, read.rows[0].draft.country) == ("José Gómez", "Sénégal")
    outlook = read_contacts(bom + data("outlook.csv").decode("utf-8-sig").encode(encoding))
    assert outlook.layout is Layout.OUTLOOK and len(outlook.rows) == 2
    cards = read_contacts(bom + data("ios.vcf").decode().encode(encoding))
    assert cards.layout is Layout.VCARD and cards.rows[0].draft.name == "Mariama Diallo"


def test_other_encodings_are_still_refused() -> None:
    with pytest.raises(CsvRefused) as refused:
        read_contacts("name,organisation\nJosé,DPAF\n".encode("cp1252"), "x.csv")
    assert (refused.value.problem, refused.value.detail) == (FileProblem.ENCODING, "2")


# -- importing -----------------------------------------------------------------------------


async def test_phone_exports_are_imported_into_the_directory(
    services: Services, cop: Partnership
) -> None:
    report = await services.contacts.import_file(cop, data("android.vcf"), actor_id=7)
    assert (report.applied, report.created, report.layout) == (True, 2, Layout.VCARD)
    report = await services.contacts.import_file(cop, data("ios.vcf"), "iPhone.vcf")
    assert report.created == 2
    contacts = {c.name: c for c in await store.all_of(services.db, cop.id)}
    # Countries are spelled as the partnership spells them.
    assert contacts["Mariama Diallo"].country == "Senegal"
    assert contacts["علي المنصوري"].phone == "+22222123456"
    entry = (await audit.recent(services.db, cop.id))[0]
    assert entry.action == "contact.import" and entry.detail["source"] == "vcard"
    await services.contacts.import_file(cop, data("google.csv"), "contacts.csv")
    entry = (await audit.recent(services.db, cop.id))[0]
    assert entry.detail["source"] == "google" and entry.detail["created"] == 2


async def test_a_vcard_import_is_all_or_nothing_with_problems_by_card(
    services: Services, cop: Partnership
) -> None:
    text = (
        card("FN:Awa Diop", "ORG:CENTIF", "TEL;TYPE=CELL:+221770000001")
        + card("FN:No Organisation")
        + card("ORG:DPAF", "TEL:+221 77 000 00 02")  # neither FN nor N
        + card("FN:Bad Number", "ORG:DPAF", "TEL;TYPE=CELL:12345")
        + card("FN:awa  diop", "ORG:centif")  # the same contact as card 1
    )
    report = await services.contacts.import_file(cop, text.encode(), "phone.vcf")
    found = [(p.line, p.problem, p.detail) for p in report.problems]
    assert [(line, getattr(p, "reason", p)) for line, p, _ in found] == [
        (2, Problem.REQUIRED),
        (3, Problem.REQUIRED),
        (4, Problem.PHONE_COUNTRY),
        (5, RowProblem.REPEATED),
    ]
    assert [p.contact_field for _, p, _ in found[:2]] == [Field.ORGANISATION, Field.NAME]
    assert found[3][2] == "1"
    assert not report.applied and await store.count(services.db, cop.id) == 0
    assert [p.describe() for p in report.problems][::3] == [
        "card 2: organisation: is required",
        "card 5: the same contact as card 1",
    ]
    skipped = await services.contacts.import_file(cop, text.encode(), skip_invalid=True)
    assert skipped.applied and skipped.created == 1 and skipped.invalid_rows == 4


async def test_a_card_with_the_phone_of_a_contact_updates_it(
    services: Services, cop: Partnership
) -> None:
    csv = b"name,organisation,phone\nAwa Diop,CENTIF,+221770000001\n"
    await services.contacts.import_file(cop, csv, "directory.csv")
    update = card(
        "N:Diop;Awa;;;", "FN:Awa B. Diop", "ORG:CENTIF;Analyse", "TITLE:Analyste",
        "TEL;TYPE=WORK:+221 33 800 00 00", "TEL;TYPE=CELL:+221 77 000 00 01",
    )  # fmt: skip
    report = await services.contacts.import_file(cop, update.encode())
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    (awa,) = await store.all_of(services.db, cop.id)
    assert (awa.name, awa.role, awa.phone) == ("Awa B. Diop", "Analyste, Analyse", "+221770000001")
    again = await services.contacts.import_file(cop, update.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


# -- the directory as vCards ---------------------------------------------------------------

NOW = datetime(2026, 3, 1, tzinfo=UTC)
#: Every field, with what vCard escapes, folding in the middle of two-byte letters, and a
#: "=" where a line is folded (vCard 2.1 readers take a line ending in "=" for a soft break).
DRAFTS = [
    ContactDraft(
        name="Awa; Diop, Jr\\", organisation="CENTIF; Sénégal", country="Côte d'Ivoire",
        organisation_type=OrganisationType.FINANCIAL_INTELLIGENCE, role="Analyste, chef",
        expertise=("mobile money", "hawala", "cash"), languages=("fr", "wo", "mnk"),
        phone="+221770000001", email="Awa@example.org", telegram="awa_diop",
        notes="Deux lignes,\nde notes; avec \\n écrit",
    ),
    ContactDraft(
        name="عبد الله ولد محمد الأمين", organisation="المديرية العامة للأمن الوطني" * 3,
        country="موريتانيا", role="مفوض شرطة رئيسي", notes=("ملاحظة طويلة " * 30).strip(),
        expertise=("تهريب المهاجرين",), languages=("ar", "fr"),
    ),
    ContactDraft(
        name="Quoted", organisation="DPAF",
        notes="see quoted-printable " + "x" * 48 + "=" + "y" * 10 + "=",
    ),
]  # fmt: skip


def contact(number: int, draft: ContactDraft) -> Contact:
    kind = draft.organisation_type.value if draft.organisation_type else None
    values = {f.value: getattr(draft, f.value) for f in Field if f is not Field.ORGANISATION_TYPE}
    return Contact(
        id=number, partnership_id=1, member_id=None, organisation_type=kind,
        created_at=NOW, updated_at=NOW, **values,
    )  # fmt: skip


def test_written_vcards_read_back_to_the_same_drafts() -> None:
    written = write_vcards(contact(n, draft) for n, draft in enumerate(DRAFTS, 1))
    lines = written.split(b"\r\n")
    assert lines[:2] == [b"BEGIN:VCARD", b"VERSION:3.0"] and lines[-1] == b""
    assert b"\n" not in written.replace(b"\r\n", b"")
    for line in lines:
        assert len(line) <= LINE_OCTETS
        line.decode()  # folded between characters, never inside one
    assert b"CATEGORIES:mobile money,hawala,cash\r\n" in written
    assert b"X-PARTNERBOT-ORGANISATION-TYPE:financial_intelligence\r\n" in written
    assert b"X-PARTNERBOT-LANGUAGES:fr,wo,mnk\r\n" in written
    rows = list(read_cards(written))
    assert [check_draft(draft) for draft in DRAFTS] == DRAFTS  # as a directory keeps them
    assert [(row.line, row.problems) for row in rows] == [(1, ()), (2, ()), (3, ())]
    assert [row.draft for row in rows] == DRAFTS


def test_the_card_for_telegram_shares_the_lines_and_keeps_its_limit() -> None:
    single = vcard(contact(1, DRAFTS[0]))
    assert "FN:Awa\\; Diop\\, Jr\\\\" in single and "ORG:CENTIF\\; Sénégal" in single
    assert "NOTE:mobile money; hawala; cash\\nDeux lignes" in single.replace("\\;", ";")
    crowded = vcard(contact(2, DRAFTS[1]))
    assert len(crowded.encode()) <= 2048 and crowded.endswith("END:VCARD")


async def test_the_vcard_export_imports_back_changing_nothing(
    services: Services, cop: Partnership
) -> None:
    await services.contacts.add_drafts(cop, DRAFTS, source="test")
    await services.contacts.import_file(cop, data("android.vcf"))
    await services.contacts.import_file(cop, data("google.csv"))
    exported, count = await services.contacts.export_file(cop, ExportFormat.VCARD)
    assert count == 7 and exported.count(b"BEGIN:VCARD\r\n") == 7
    before = [draft_of(c) for c in await store.all_of(services.db, cop.id)]
    report = await services.contacts.import_file(cop, exported, "directory.vcf")
    assert (report.unchanged, report.created, report.updated, report.problems) == (7, 0, 0, [])
    assert [draft_of(c) for c in await store.all_of(services.db, cop.id)] == before
    csv, _count = await services.contacts.export_file(cop)
    assert csv.startswith(b"\xef\xbb\xbfname,organisation,")


# -- the command line ----------------------------------------------------------------------


def test_vcards_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.sqlite3"))
    assert main(["partnership", "create", "--name", "COP Test", "--kind", "cop"]) == 0
    bad = tmp_path / "bad.vcf"
    bad.write_text(card("FN:Awa Diop", "ORG:CENTIF") + card("FN:No Organisation"))
    capsys.readouterr()
    assert main(["contacts", "import", "--partnership", "cop-test", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "card 2: organisation: is required" in err
    assert "1 of 2 cards have problems" in err
    broken = tmp_path / "broken.vcf"
    broken.write_text("BEGIN:VCARD\r\nFN:Cut short\r\n")
    assert main(["contacts", "import", "--partnership", "cop-test", str(broken)]) == 1
    assert "cannot be read as vCards (card 1)" in capsys.readouterr().err
    phone = DATA / "android.vcf"
    assert main(["contacts", "import", "--partnership", "cop-test", str(phone)]) == 0
    assert "2 added, 0 updated, 0 unchanged, 0 invalid cards left out" in capsys.readouterr().out
    assert main(["contacts", "export", "--partnership", "cop-test", "--format", "vcard"]) == 0
    assert "FN:Amélie Lefèvre\r\n" in capsys.readouterr().out
    out = ["contacts", "export", "--partnership", "cop-test", "--format", "vcard", "out.vcf"]
    assert main(out) == 0
    assert "Wrote 2 contacts to out.vcf" in capsys.readouterr().out
    assert (tmp_path / "out.vcf").read_bytes().startswith(b"BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert main(["contacts", "import", "--partnership", "cop-test", "out.vcf"]) == 0
    assert "0 added, 0 updated, 2 unchanged" in capsys.readouterr().out
    google = DATA / "google.csv"
    assert main(["contacts", "import", "--partnership", "cop-test", str(google)]) == 0
    assert "2 added" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_code:
        main(["contacts", "export", "--help"])
    assert exit_code.value.code == 0
    assert "--format {csv,vcard}" in capsys.readouterr().out
