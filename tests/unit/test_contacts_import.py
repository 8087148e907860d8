"""Contacts in and out: CSV import (good files, bad rows by line, encodings, delimiters,
duplicates, skipping invalid rows), export, vCards, field checks and the command line."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.console import DEMO_FILE
from domain.contacts import Contact
from domain.models import Partnership, PartnershipKind
from services.contact_csv import CsvRefused, FileProblem, read_rows, vcard
from services.contact_fields import (
    ContactDraft,
    Field,
    InvalidField,
    OrganisationType,
    Problem,
    parse_field,
)
from services.contacts import RowProblem, draft_of
from services.container import Services
from services.demo import load_demo, read_demo_file
from services.spreadsheets import FORMULA_STARTS, cell_value, safe_cell
from storage import audit
from storage import contacts as store

HEADER = (
    "name,organisation,organisation_type,country,role,expertise,languages,phone,email,telegram,"
    "notes\n"
)


@pytest.fixture
async def cop(services: Services) -> Partnership:
    return await services.partnerships.create(
        name="COP Sénégal", kind=PartnershipKind.COP, countries=("Senegal",),
        timezone="Africa/Dakar", language="fr",
    )  # fmt: skip


async def names(services: Services, partnership: Partnership) -> list[str]:
    return [c.name for c in await store.all_of(services.db, partnership.id)]


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(row + "\n" for row in rows)).encode("utf-8")


GOOD = csv_file(
    'Awa Diop,CENTIF,financial intelligence,Senegal,Analyst,"mobile money; hawala, cash",'
    '"French, Wolof, anglais",77 000 00 01,Awa@Example.ORG,@awa_diop,',
    "Koffi N'Guessan,Douanes,customs,Côte d'Ivoire,,,fr,+225 07 01 00 22 11,,https://t.me/koffi_ng,"
    '"Two lines,\nof notes"',
    "Hawa Kourouma,Gendarmerie nationale,,,,,,,,,",
)


async def test_a_good_file_is_imported_with_every_value_normalised(
    services: Services, cop: Partnership
) -> None:
    report = await services.contacts.import_file(cop, GOOD, actor_id=7)
    assert (report.applied, report.created, report.rows, report.problems) == (True, 3, 3, [])
    contacts = {c.name: c for c in await store.all_of(services.db, cop.id)}
    awa = contacts["Awa Diop"]
    assert awa.phone == "+221770000001"  # a local number, read in the contact's country
    assert awa.email == "Awa@example.org"
    assert awa.telegram == "awa_diop"
    assert awa.languages == ("fr", "wo", "en")
    assert awa.expertise == ("mobile money", "hawala", "cash")
    assert awa.organisation_type == OrganisationType.FINANCIAL_INTELLIGENCE
    koffi = contacts["Koffi N'Guessan"]
    assert (koffi.phone, koffi.telegram, koffi.notes) == (
        "+2250701002211",
        "koffi_ng",
        "Two lines,\nof notes",
    )
    assert contacts["Hawa Kourouma"].phone is None
    entry = (await audit.recent(services.db, cop.id))[0]
    assert entry.action == "contact.import" and entry.actor_id == 7
    assert entry.detail["created"] == 3


async def test_bad_rows_are_reported_by_line_and_nothing_is_imported(
    services: Services, cop: Partnership
) -> None:
    data = csv_file(
        "Awa Diop,CENTIF,,Senegal,,,,+221770000001,,,",  # line 2: good
        '"Quoted, name",DPAF,,,,,,,,,"notes on',  # line 3: good, its notes span two lines
        'two lines"',
        "Bad Phone,DPAF,,Senegal,,,,12345,,,",  # line 5
        "No Organisation,,,,,,,,,,",  # line 6
        "Bad Everything,DPAF,police,,,,martian,0612,x@y,@no,",  # line 7
        "",  # blank lines are skipped
        "Good Too,Frontex,,,,,,,,,",  # line 9
    )
    report = await services.contacts.import_file(cop, data)
    assert not report.applied and await names(services, cop) == []
    problems = [(p.line, p.problem.contact_field, p.problem.reason) for p in report.problems
                if isinstance(p.problem, InvalidField)]  # fmt: skip
    assert problems == [
        (5, Field.PHONE, Problem.PHONE),
        (6, Field.ORGANISATION, Problem.REQUIRED),
        (7, Field.ORGANISATION_TYPE, Problem.ORGANISATION_TYPE),
        (7, Field.LANGUAGES, Problem.LANGUAGE),
        (7, Field.PHONE, Problem.PHONE_COUNTRY),
        (7, Field.EMAIL, Problem.EMAIL),
        (7, Field.TELEGRAM, Problem.USERNAME),
    ]
    assert report.invalid_rows == 3 and report.rows == 6
    assert report.problems[0].describe() == "line 5: phone: '12345' is not a valid phone number"

    skipped = await services.contacts.import_file(cop, data, skip_invalid=True)
    assert skipped.applied and skipped.created == 3 and skipped.invalid_rows == 3
    assert await names(services, cop) == ["Awa Diop", "Good Too", "Quoted, name"]


@pytest.mark.parametrize(
    ("data", "problem", "detail"),
    [
        (HEADER.encode() + "Jos\xe9,DPAF\n".encode("latin-1"), FileProblem.ENCODING, "2"),
        (b"name;organisation\nAwa;CENTIF\n", FileProblem.DELIMITER, ";"),
        (b"name\torganisation\nAwa\tCENTIF\n", FileProblem.DELIMITER, "\t"),
        (b"name,phone\nAwa,+221770000001\n", FileProblem.MISSING_COLUMNS, "organisation"),
        (b"name,organisation,colour\nAwa,CENTIF,blue\n", FileProblem.UNKNOWN_COLUMNS, "colour"),
        (b"", FileProblem.EMPTY, ""),
        (b"\xef\xbb\xbf\r\n", FileProblem.EMPTY, ""),
        (b"name,organisation\n\x00\x01", FileProblem.NOT_CSV, ""),
    ],
)
def test_unreadable_files_are_refused_with_the_reason(
    data: bytes, problem: FileProblem, detail: str
) -> None:
    with pytest.raises(CsvRefused) as refused:
        list(read_rows(data))
    assert (refused.value.problem, refused.value.detail) == (problem, detail)


def test_a_byte_order_mark_aliases_and_missing_columns_are_fine() -> None:
    data = "\ufeffName,Organization,E-mail,Telephone\nAwa,CENTIF,a@example.org,+221770000001\n"
    (row,) = read_rows(data.encode())
    assert row.problems == () and row.line == 2
    assert (row.draft.organisation, row.draft.email) == ("CENTIF", "a@example.org")


def test_too_many_rows_are_refused() -> None:
    with pytest.raises(CsvRefused) as refused:
        list(read_rows(csv_file(*["A,B"] * 4), max_rows=3))
    assert refused.value.problem is FileProblem.TOO_MANY_ROWS


async def test_duplicates_update_instead_of_doubling(services: Services, cop: Partnership) -> None:
    await services.contacts.import_file(cop, GOOD)
    again = csv_file(
        # Same name and organisation, written differently: updates Awa.
        "AWA DIOP,centif,,Senegal,Head of analysis,,,+221770000001,,,",
        # Same phone as Koffi under another name: updates Koffi.
        "K. N'Guessan,Douanes,,,,,,+2250701002211,,,",
        # Exactly as stored: unchanged.
        "Hawa Kourouma,Gendarmerie nationale,,,,,,,,,",
    )
    report = await services.contacts.import_file(cop, again)
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    contacts = {c.phone: c for c in await store.all_of(services.db, cop.id)}
    assert len(contacts) == 3
    assert contacts["+221770000001"].role == "Head of analysis"
    assert contacts["+2250701002211"].name == "K. N'Guessan"


async def test_duplicates_inside_a_file_and_ambiguous_rows_are_problems(
    services: Services, cop: Partnership
) -> None:
    await services.contacts.import_file(cop, GOOD)
    data = csv_file(
        "Fatou Sow,DPAF,,,,,,+221770000099,,,",  # line 2
        "Fatou  Sow,dpaf,,,,,,,,,",  # line 3: same name and organisation as line 2
        "Someone Else,Other,,,,,,+221770000099,,,",  # line 4: same phone as line 2
        # line 5: Awa's name and organisation, with Koffi's phone.
        "Awa Diop,CENTIF,,,,,,+2250701002211,,,",
    )
    report = await services.contacts.import_file(cop, data)
    found = [(p.line, p.problem, p.detail) for p in report.problems]
    assert found == [
        (3, RowProblem.REPEATED, "2"),
        (4, RowProblem.REPEATED, "2"),
        (5, RowProblem.AMBIGUOUS, "Awa Diop, Koffi N'Guessan"),
    ]
    assert not report.applied and len(await names(services, cop)) == 3


async def test_export_then_import_changes_nothing(services: Services, cop: Partnership) -> None:
    await services.contacts.import_file(cop, GOOD)
    exported, count = await services.contacts.export_file(cop)
    assert count == 3 and exported.startswith(b"\xef\xbb\xbfname,organisation,")
    report = await services.contacts.import_file(cop, exported)
    assert (report.unchanged, report.created, report.updated) == (3, 0, 0)


#: Values a spreadsheet would run as formulas, and one that itself begins with a quote.
FORMULAS = [
    ContactDraft(
        name='=HYPERLINK("http://x")', organisation="'=1+1", country="Senegal", role="-5",
        expertise=("=SUM(A1)", "cash"), phone="+221770000001", email="=cmd@example.org",
        notes="@user",
    ),
    ContactDraft(name="Awa Diop", organisation="CENTIF", notes="'just a quote"),
]  # fmt: skip


async def test_exported_cells_are_never_formulas_and_read_back_unchanged(
    services: Services, cop: Partnership
) -> None:
    await services.contacts.add_drafts(cop, FORMULAS, source="test")
    exported, _count = await services.contacts.export_file(cop)
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[1] == [
        "\'=HYPERLINK(\"http://x\")", "\'\'=1+1", "", "Senegal", "\'-5", "\'=SUM(A1); cash", "",
        "\'+221770000001", "\'=cmd@example.org", "", "\'@user",
    ]  # fmt: skip
    assert rows[2][-1] == "'just a quote"  # no formula: left as it is
    report = await services.contacts.import_file(cop, exported)
    assert (report.unchanged, report.created, report.updated) == (2, 0, 0)
    stored = await store.all_of(services.db, cop.id)
    assert [draft_of(contact) for contact in stored] == FORMULAS


@pytest.mark.parametrize(
    "value", ["+221770000001", '=HYPERLINK("http://x")', "-5", "@user", "\'=1", "\'\'+1", "\t=1",
              "\r=1", "\'", "\'plain", "plain", ""],
)  # fmt: skip
def test_a_safe_cell_is_no_formula_and_gives_its_value_back(value: str) -> None:
    cell = safe_cell(value)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell_value(cell) == value


def test_vcards_escape_values_and_stay_within_telegrams_limit() -> None:
    now = datetime.now(UTC)
    contact = Contact(
        id=1, partnership_id=1, member_id=None, name="Awa; Diop, Jr\\", organisation="CENTIF",
        organisation_type=None, country="Sénégal", role="Analyst", expertise=("cash",),
        languages=("fr",), phone="+221770000001", email="a@example.org", telegram="awa_diop",
        notes="line one\nline two", created_at=now, updated_at=now,
    )  # fmt: skip
    card = vcard(contact)
    assert card.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n") and card.endswith("END:VCARD")
    assert "FN:Awa\\; Diop\\, Jr\\\\" in card and "TEL;TYPE=CELL:+221770000001" in card
    assert "NOTE:cash\\nline one\\nline two" in card
    # Long values in a script of two-byte letters: the notes go, the number stays.
    crowded = replace(contact, name="A" * 120, organisation="é" * 150, notes="é" * 900)
    card = vcard(crowded)
    assert len(card.encode()) <= 2048 and "TEL;TYPE=CELL:+221770000001" in card
    assert "NOTE:" not in card and "ORG:" in card


@pytest.mark.parametrize(
    ("field", "typed", "country", "expected"),
    [
        (Field.PHONE, "+221 77 000 00 01", "", "+221770000001"),
        (Field.PHONE, "00221770000001", "", "+221770000001"),
        (Field.PHONE, "77 000 00 01", "Sénégal", "+221770000001"),
        (Field.PHONE, "07 01 00 22 11", "Côte d’Ivoire", "+2250701002211"),
        (Field.PHONE, "", "", None),
        (Field.EMAIL, " mailto:Ana@Example.ORG ", "", "Ana@example.org"),
        (Field.TELEGRAM, "https://t.me/ana_lopez/", "", "ana_lopez"),
        (Field.LANGUAGES, "Français; inglés / wo, mnk", "", ("fr", "en", "wo", "mnk")),
        (Field.LANGUAGES, "French English", "", ("fr", "en")),
        (Field.EXPERTISE, "a; b,\nA, c", "", ("a", "b", "c")),
        (Field.ORGANISATION_TYPE, "Border Police", "", OrganisationType.BORDER_POLICE),
        (Field.NAME, "  Awa \t Diop\x07 ", "", "Awa Diop"),
        (Field.NOTES, " one \n\n two ", "", "one\ntwo"),
    ],
)
def test_fields_are_normalised(field: Field, typed: str, country: str, expected: object) -> None:
    assert parse_field(field, typed, country=country) == expected


@pytest.mark.parametrize(
    ("field", "typed", "problem"),
    [
        (Field.PHONE, "12345", Problem.PHONE_COUNTRY),
        (Field.PHONE, "+221 12", Problem.PHONE),
        (Field.PHONE, "+1 555 ABC", Problem.PHONE),
        (Field.EMAIL, "ana@", Problem.EMAIL),
        (Field.EMAIL, "ana..b@example.org", Problem.EMAIL),
        (Field.TELEGRAM, "@ab", Problem.USERNAME),
        (Field.LANGUAGES, "martian", Problem.LANGUAGE),
        (Field.NAME, "", Problem.REQUIRED),
        (Field.NAME, "x" * 121, Problem.TOO_LONG),
        (Field.EXPERTISE, ", ".join(str(n) for n in range(11)), Problem.TOO_MANY),
        (Field.ORGANISATION_TYPE, "secret service", Problem.ORGANISATION_TYPE),
    ],
)
def test_bad_values_are_refused_with_the_reason(field: Field, typed: str, problem: Problem) -> None:
    with pytest.raises(InvalidField) as refused:
        parse_field(field, typed)
    assert refused.value.reason is problem


def test_drafts_survive_a_round_trip_through_json() -> None:
    draft = ContactDraft("Awa", "CENTIF", OrganisationType.CUSTOMS, expertise=("a",), phone="+1")
    assert ContactDraft.from_json(draft.as_json()) == draft


def test_contacts_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.sqlite3"))
    assert main(["partnership", "create", "--name", "COP Test", "--kind", "cop"]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file("Awa Diop,CENTIF,,,,,,+221770000001,,,", "Bad,DPAF,,,,,,123,,,"))
    capsys.readouterr()
    assert main(["contacts", "import", "--partnership", "cop-test", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "line 3: phone: '123' needs its country code" in err
    assert "Nothing was imported" in err and "--skip-invalid" in err
    assert (
        main(["contacts", "import", "--partnership", "cop-test", str(bad), "--skip-invalid"]) == 0
    )
    assert "1 added, 0 updated, 0 unchanged, 1 invalid rows left out" in capsys.readouterr().out
    semicolons = tmp_path / "semi.csv"
    semicolons.write_bytes(b"name;organisation\nA;B\n")
    assert main(["contacts", "import", "--partnership", "cop-test", str(semicolons)]) == 1
    assert "separated by ';', not commas" in capsys.readouterr().err
    assert main(["contacts", "import", "--partnership", "cop-test", "missing.csv"]) == 1
    assert "cannot read missing.csv" in capsys.readouterr().err
    assert main(["contacts", "export", "--partnership", "cop-test"]) == 0
    assert "Awa Diop,CENTIF" in capsys.readouterr().out
    assert main(["contacts", "export", "--partnership", "cop-test", "out.csv"]) == 0
    assert "Wrote 1 contact to out.csv" in capsys.readouterr().out
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbfname,")
    assert main(["contacts", "export", "--partnership", "nope"]) == 1
    for argv in (["contacts"], ["contacts", "import"], ["contacts", "export"]):
        with pytest.raises(SystemExit) as exit_code:
            main([*argv, "--help"])
        assert exit_code.value.code == 0
        assert "usage:" in capsys.readouterr().out


async def test_the_demo_contacts_are_loaded_once_into_their_partnerships(
    services: Services,
) -> None:
    demo = read_demo_file(DEMO_FILE)
    await load_demo(services, DEMO_FILE)
    for slug in ("netcop-demo", "cop-mauritania-demo"):
        partnership = await services.partnerships.by_slug(slug)
        expected = sorted(c.name for c in demo.contacts if c.partnership == slug)
        assert sorted(await names(services, partnership)) == expected
    netcop = await services.partnerships.by_slug("netcop-demo")
    before = await services.contacts.count(netcop)
    await load_demo(services, DEMO_FILE)
    assert await services.contacts.count(netcop) == before
