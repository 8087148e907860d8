"""The Excel writer: workbooks written by `render_xlsx`, read back with openpyxl."""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime, time, timedelta, timezone
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.documents.model import CellValue, Sheet, Workbook
from bot.documents.xlsx import MAX_WIDTH, MIN_WIDTH, render_xlsx, sheet_title
from services.spreadsheets import safe_cell

HOSTILE = (
    '=HYPERLINK("http://x")',
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=1+1",
    "'=1",
    "=cmd|' /C calc'!A0",
)
LONG = (
    "Échange d'informations sur les réseaux de passeurs entre Dakar et Nouadhibou; "
    "les équipes conjointes présentent leurs résultats, puis la coordination des "
    "patrouilles maritimes est revue avec les garde-côtes."
)

MEETINGS = Sheet(
    title="Réunions",
    header=("Date", "Titre", "Lieu", "Participants", "Durée (h)", "Résumé"),
    rows=(
        (datetime(2026, 3, 4, 10, 0), "Comité de pilotage", "Dakar", 12, 2.5, LONG),
        (datetime(2026, 4, 1, 9, 30), "Réunion bilatérale", None, 3, 1.0, "Court"),
        (datetime(2026, 5, 6, 15, 45), "Formation\nenquêteurs", "Saint-Louis", 0, 0.5, None),
    ),
)
ACTIONS = Sheet(
    title="Actions",
    header=("Échéance", "Action", "Responsable", "Faite le"),
    rows=(
        (date(2026, 3, 18), "Partager la liste des contacts", "أمينة ديالو", None),
        (date(2026, 4, 15), HOSTILE[0], "Carlos", datetime(2026, 4, 10, 17, 5)),
        *((None, text, text, None) for text in HOSTILE[1:]),
    ),
)
EMPTY = Sheet(title="Jalons", header=("Code", "Jalon", "Échéance"), rows=())

FRENCH = Workbook(
    sheets=(MEETINGS, ACTIONS, EMPTY),
    language="fr",
    rtl=False,
    title="Réunions du COP Sénégal",
    marking="DIFFUSION RESTREINTE",
    created=datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
)
ARABIC = Workbook(
    sheets=(
        Sheet(
            title="الاجتماعات",
            header=("التاريخ", "العنوان", "المكان"),
            rows=((date(2026, 3, 4), "لجنة التوجيه، الدورة الأولى", "داكار"),),
        ),
    ),
    language="ar",
    rtl=True,
    title="اجتماعات",
)


def read(workbook: Workbook) -> Any:
    return load_workbook(BytesIO(render_xlsx(workbook)))


def expected(value: CellValue) -> CellValue:
    """What openpyxl reads back for a value written to a cell."""
    if isinstance(value, str):
        return safe_cell(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        # A spreadsheet date is a datetime at midnight.
        return datetime.combine(value, time())
    return value


def test_every_sheet_reads_back_with_its_values_and_types() -> None:
    book = read(FRENCH)
    assert book.sheetnames == ["Réunions", "Actions", "Jalons"]
    for sheet, ws in zip(FRENCH.sheets, book.worksheets, strict=True):
        values = [tuple(row) for row in ws.iter_rows(values_only=True)]
        assert values[0] == sheet.header
        assert len(values) == len(sheet.rows) + 1
        for written, read_back in zip(sheet.rows, values[1:], strict=True):
            assert read_back == tuple(expected(value) for value in written)


def test_dates_are_dates_and_numbers_are_numbers() -> None:
    book = read(FRENCH)
    meetings, actions = book["Réunions"], book["Actions"]
    assert meetings["A2"].is_date and meetings["A2"].number_format == "yyyy-mm-dd hh:mm"
    assert meetings["A2"].value == datetime(2026, 3, 4, 10, 0)
    assert actions["A2"].is_date and actions["A2"].number_format == "yyyy-mm-dd"
    assert actions["A2"].value.date() == date(2026, 3, 18)
    assert meetings["D2"].data_type == "n" and meetings["D2"].value == 12
    assert meetings["E2"].data_type == "n" and meetings["E2"].value == 2.5
    assert meetings["C3"].value is None
    assert actions["C2"].value == "أمينة ديالو"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_text_is_ever_a_formula(hostile: str) -> None:
    workbook = Workbook(
        sheets=(Sheet(title=hostile, header=(hostile, "b"), rows=((hostile, hostile),)),),
        language="en",
        rtl=False,
    )
    data = render_xlsx(workbook)
    ws = load_workbook(BytesIO(data)).worksheets[0]
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type == "s"
            assert not str(cell.value).startswith(("=", "+", "-", "@", "\t", "\r"))
    # The file itself holds no formula element a spreadsheet program could run.
    with zipfile.ZipFile(BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_no_cell_of_the_meetings_workbook_is_a_formula() -> None:
    book = read(FRENCH)
    types = {cell.data_type for ws in book.worksheets for row in ws.iter_rows() for cell in row}
    assert "f" not in types
    assert book["Actions"]["B3"].value == safe_cell(HOSTILE[0])


def test_header_row_is_bold_shaded_frozen_and_filtered() -> None:
    book = read(FRENCH)
    for ws, last in zip(book.worksheets, ("F4", "D11", "C1"), strict=True):
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{last}"
        header = ws["A1"]
        assert header.font.bold
        assert header.fill.fill_type == "solid"
        assert not ws["A2"].font.bold
    # The empty sheet keeps its header.
    assert [cell.value for cell in book["Jalons"][1]] == ["Code", "Jalon", "Échéance"]


def test_columns_fit_their_content_within_bounds() -> None:
    ws = read(FRENCH)["Réunions"]
    widths = {letter: ws.column_dimensions[letter].width for letter in "ABCDEF"}
    assert all(MIN_WIDTH <= width <= MAX_WIDTH for width in widths.values())
    # The summary is longer than any column may be: the widest, and its text wraps.
    assert widths["F"] == MAX_WIDTH
    assert ws["F2"].alignment.wrap_text
    assert not ws["F3"].alignment.wrap_text
    # A line break wraps a short text too; the width follows its longest line.
    assert ws["B4"].alignment.wrap_text
    # Datetimes are shown whole; a title is wider than a count.
    assert widths["A"] >= len("2026-03-04 10:00")
    assert widths["B"] > widths["D"]
    assert widths["B"] >= len("Comité de pilotage")


def test_wide_characters_are_counted_generously() -> None:
    workbook = Workbook(
        sheets=(Sheet("w", ("a", "b"), (("x" * 20, "漢" * 20),)),), language="en", rtl=False
    )
    ws = read(workbook).worksheets[0]
    assert ws.column_dimensions["B"].width >= 40 > ws.column_dimensions["A"].width


def test_arabic_sheets_read_right_to_left() -> None:
    ws = read(ARABIC).worksheets[0]
    assert ws.title == "الاجتماعات"
    assert ws.sheet_view.rightToLeft
    assert ws["A1"].alignment.horizontal == "right"
    assert ws["B2"].alignment.horizontal == "right"
    assert ws["B2"].value == "لجنة التوجيه، الدورة الأولى"
    assert not read(FRENCH).worksheets[0].sheet_view.rightToLeft
    assert read(FRENCH).worksheets[0]["B2"].alignment.horizontal is None


def test_marking_heads_every_sheet_and_the_properties() -> None:
    book = read(FRENCH)
    for ws in book.worksheets:
        assert ws.oddHeader.center.text == "DIFFUSION RESTREINTE"
    properties = book.properties
    assert properties.title == "Réunions du COP Sénégal"
    assert properties.creator == "Partnerbot"
    assert properties.created == datetime(2026, 6, 1, 8, 0)
    assert properties.keywords == "DIFFUSION RESTREINTE"
    assert properties.category == "DIFFUSION RESTREINTE"


def test_without_marking_nothing_is_marked() -> None:
    book = read(ARABIC)
    assert not book.worksheets[0].oddHeader.center.text
    assert book.properties.keywords is None
    assert book.properties.title == "اجتماعات"


def test_aware_datetimes_keep_their_wall_clock_time() -> None:
    dakar = timezone(timedelta(hours=0))
    paris = timezone(timedelta(hours=2))
    workbook = Workbook(
        sheets=(
            Sheet(
                "t",
                ("when",),
                (
                    (datetime(2026, 3, 4, 10, 0, tzinfo=dakar),),
                    (datetime(2026, 7, 1, 9, 15, tzinfo=paris),),
                ),
            ),
        ),
        language="fr",
        rtl=False,
    )
    ws = read(workbook).worksheets[0]
    assert ws["A2"].value == datetime(2026, 3, 4, 10, 0)
    assert ws["A3"].value == datetime(2026, 7, 1, 9, 15)


def test_text_excel_cannot_hold_is_left_out() -> None:
    workbook = Workbook(
        sheets=(Sheet("t", ("a",), (("bell\x07 and\x00 nul",), (float("nan"),))),),
        language="en",
        rtl=False,
    )
    ws = read(workbook).worksheets[0]
    assert ws["A2"].value == "bell and nul"
    assert ws["A3"].data_type == "s"


def test_sheet_titles_excel_accepts() -> None:
    taken: set[str] = set()
    first = sheet_title("Réunions: 2026/03 [COP]*?", taken, 1)
    assert first == "Réunions- 2026-03 -COP---"
    long_title = sheet_title("Actions de suivi des réunions opérationnelles", taken, 2)
    assert len(long_title) == 31
    taken = {first.casefold(), long_title.casefold()}
    again = sheet_title("Actions de suivi des réunions opérationnelles", taken, 3)
    assert again != long_title and len(again) <= 31 and again.endswith("(2)")
    assert sheet_title("  ", set(), 4) == "Sheet 4"
    assert sheet_title("'quoted'", set(), 5) == "quoted"
    book = read(
        Workbook(
            sheets=(Sheet("Même", ("a",), ()), Sheet("MÊME", ("a",), ()), Sheet("a/b", ("a",), ())),
            language="fr",
            rtl=False,
        )
    )
    assert book.sheetnames == ["Même", "MÊME (2)", "a-b"]
