"""Report documents written as Word files and read back with python-docx."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import docx
import pytest
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.documents.docx import _PPR, _RPR, _SECTPR, _TCPR, _TRPR, render_docx
from bot.documents.model import (
    Bullets,
    Document,
    Fields,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Span,
    Table,
)

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Operational partnership report",
        "partnership": "Partnership",
        "partnership_name": "Senegal – Spain joint investigation team",
        "period": "Period",
        "period_value": "1 January – 31 March 2026",
        "h1": "Activity",
        "h2": "Meetings",
        "h3": "Follow-up",
        "body": "The partnership met four times.",
        "bold": "Two cases",
        "tail": " were opened on migrant smuggling.",
        "note": "Source: partnership records.",
        "warning": "Personal data of suspects must not be shared outside the partnership.",
        "row": "Coordination meeting {n}",
        "place": "Dakar",
        "empty": "No challenges in this period.",
        "caption": "Figure 1: meetings per month",
        "marking": "RESTRICTED",
        "footer": "Senegal – Spain partnership",
    },
    "ar": {
        "title": "تقرير الشراكة العملياتية",
        "partnership": "الشراكة",
        "partnership_name": "فريق التحقيق المشترك بين السنغال وإسبانيا",
        "period": "الفترة",
        "period_value": "من 1 يناير إلى 31 مارس 2026",
        "h1": "النشاط",
        "h2": "الاجتماعات",
        "h3": "المتابعة",
        "body": "اجتمعت الشراكة أربع مرات.",
        "bold": "قضيتان",
        "tail": " فُتحتا بشأن تهريب المهاجرين.",
        "note": "المصدر: سجلات الشراكة.",
        "warning": "لا يجوز تبادل البيانات الشخصية للمشتبه بهم خارج الشراكة.",
        "row": "اجتماع التنسيق {n}",
        "place": "داكار",
        "empty": "لا توجد تحديات في هذه الفترة.",
        "caption": "الشكل 1: الاجتماعات في كل شهر",
        "marking": "مقيَّد",
        "footer": "شراكة السنغال وإسبانيا",
    },
}
BULLETS = {
    "en": ("Exchange of liaison officers", "Joint training in Dakar"),
    "ar": ("تبادل ضباط الاتصال", "تدريب مشترك في داكار"),
}
HEADERS = {
    "en": ("Meeting", "Place", "Participants"),
    "ar": ("الاجتماع", "المكان", "المشاركون"),
}
CREATED = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)


def _png() -> bytes:
    """A small chart, drawn the way the bot draws its charts."""
    figure = Figure(figsize=(4, 2), dpi=50)
    figure.add_subplot().bar(["Jan", "Feb", "Mar"], [1, 2, 1])
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return buffer.getvalue()


def _report(language: str) -> Document:
    t = TEXTS[language]
    rows = tuple((t["row"].format(n=n), t["place"], str(n % 7 + 2)) for n in range(1, 41))
    return Document(
        title=t["title"],
        language=language,
        rtl=language == "ar",
        cover=(
            Fields(((t["partnership"], t["partnership_name"]), (t["period"], t["period_value"]))),
        ),
        body=(
            Heading(t["h1"]),
            Paragraph.of(t["body"]),
            Paragraph((Span(t["bold"], bold=True), Span(t["tail"]))),
            Paragraph.of(t["note"], "note"),
            Paragraph.of(t["warning"], "warning"),
            Heading(t["h2"], level=2),
            Bullets(BULLETS[language]),
            Table(HEADERS[language], rows, widths=(3, 2, 1), numeric=(False, False, True)),
            Heading(t["h3"], level=3),
            Table(HEADERS[language], (), widths=(3, 2, 1), empty=t["empty"]),
            PageBreak(),
            Image(_png(), caption=t["caption"], width=0.8),
        ),
        footer=t["footer"],
        marking=t["marking"],
        author="Partnerbot",
        created=CREATED,
    )


def _read(document: Document) -> WordDocument:
    return docx.Document(io.BytesIO(render_docx(document)))


def _styled(word: WordDocument) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in word.paragraphs if p.text and p.style is not None]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_report_reads_back_as_word_structure(language: str) -> None:
    t = TEXTS[language]
    word = _read(_report(language))
    styled = _styled(word)
    assert styled[0] == ("Normal", t["marking"])
    assert styled[1] == ("Title", t["title"])
    for style, text in [
        ("Heading 1", t["h1"]),
        ("Heading 2", t["h2"]),
        ("Heading 3", t["h3"]),
        ("Normal", t["body"]),
        ("Normal", t["bold"] + t["tail"]),
        ("Note", t["note"]),
        ("Warning", t["warning"]),
        ("List Bullet", BULLETS[language][0]),
        ("List Bullet", BULLETS[language][1]),
        ("Normal", t["empty"]),
        ("Caption", t["caption"]),
    ]:
        assert (style, text) in styled
    bold = next(p for p in word.paragraphs if p.text == t["bold"] + t["tail"])
    assert [run.bold for run in bold.runs] == [True, None]

    fields, meetings = word.tables  # The empty table is only its sentence.
    assert [[c.text for c in row.cells] for row in fields.rows] == [
        [t["partnership"], t["partnership_name"]],
        [t["period"], t["period_value"]],
    ]
    assert fields.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert fields.style is None or fields.style.name != "Table Grid"  # Borderless.
    assert meetings.style is not None and meetings.style.name == "Table Grid"
    assert [c.text for c in meetings.rows[0].cells] == list(HEADERS[language])
    assert len(meetings.rows) == 41
    assert [c.text for c in meetings.rows[40].cells] == [t["row"].format(n=40), t["place"], "7"]
    header_row = meetings.rows[0]._tr
    assert header_row.trPr is not None and header_row.trPr.find(qn("w:tblHeader")) is not None
    assert all(row._tr.trPr.find(qn("w:tblHeader")) is None for row in meetings.rows[1:])
    number = meetings.rows[5].cells[2].paragraphs[0]
    assert number.alignment == WD_ALIGN_PARAGRAPH.RIGHT  # The end, in either direction.
    assert meetings.rows[5].cells[0].paragraphs[0].alignment is None
    grid = [int(col.get(qn("w:w"))) for col in meetings._tbl.tblGrid.iter(qn("w:gridCol"))]
    assert abs(sum(grid) - Mm(166).twips) <= 3
    assert abs(grid[0] / grid[2] - 3) < 0.01

    (picture,) = word.inline_shapes
    assert abs(picture.width - Mm(166) * 0.8) < Mm(0.1)
    caption_at = next(i for i, p in enumerate(word.paragraphs) if p.text == t["caption"])
    assert word.paragraphs[caption_at - 1]._p.xpath(".//pic:pic")

    body_xml = word.element.body.xml
    assert body_xml.count('w:type="page"') == 2  # After the cover, and the one in the body.

    section = word.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert section.header.paragraphs[0].text == t["marking"]
    assert section.header.paragraphs[0].runs[0].bold
    footer = section.footer.paragraphs[0]
    assert t["footer"] in footer.text
    assert [i.text for i in footer._p.iter(qn("w:instrText"))] == [" PAGE "]

    properties = word.core_properties
    assert properties.title == t["title"]
    assert properties.author == "Partnerbot"
    assert properties.language == {"en": "en-GB", "ar": "ar-SA"}[language]
    assert properties.created == CREATED
    assert properties.comments == ""
    normal_lang = word.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert normal_lang.get(qn("w:val")) == properties.language


def test_arabic_is_right_to_left_everywhere_and_stored_in_logical_order() -> None:
    t = TEXTS["ar"]
    word = _read(_report("ar"))
    cells = [p for table in word.tables for c in table._cells for p in c.paragraphs]
    section = word.sections[0]
    paragraphs = [
        *word.paragraphs,
        *cells,
        *section.header.paragraphs,
        *section.footer.paragraphs,
    ]
    for paragraph in paragraphs:
        assert paragraph._p.pPr.find(qn("w:bidi")) is not None, paragraph.text
        assert paragraph.alignment in (None, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT)
        for run in paragraph.runs:
            assert run.font.rtl or not run.text, run.text
    for table in word.tables:
        assert table._tbl.tblPr.find(qn("w:bidiVisual")) is not None
    assert section._sectPr.find(qn("w:bidi")) is not None

    # As typed: no reshaped presentation forms, no reversal.
    texts = {p.text for p in paragraphs}
    assert {t["title"], t["body"], t["warning"], t["caption"], t["empty"]} <= texts
    assert t["partnership_name"] in texts and t["row"].format(n=7) in texts
    assert not any("\ufb50" <= ch <= "\ufeff" for text in texts for ch in text)

    defaults = word.styles.element.find(qn("w:docDefaults"))
    lang = defaults.find(f".//{qn('w:lang')}")
    assert lang.get(qn("w:bidi")) == "ar-SA"
    fonts = defaults.find(f".//{qn('w:rFonts')}")
    assert fonts.get(qn("w:cs")) in ("Arial", "Traditional Arabic")
    bold_run = next(p for p in word.paragraphs if p.text.startswith(t["bold"])).runs[0]
    assert bold_run.font.cs_bold  # Arabic letters are bold through w:bCs.


def test_an_english_document_has_no_right_to_left_marks() -> None:
    word = _read(_report("en"))
    xml = word.element.body.xml
    assert "<w:bidi/>" not in xml and "<w:rtl/>" not in xml and "bidiVisual" not in xml
    fonts = word.styles.element.find(f"{qn('w:docDefaults')}//{qn('w:rFonts')}")
    assert fonts.get(qn("w:ascii")) == "Calibri"


HOSTILE = (
    "=SUM(A1:A9)",
    "+33 6 12 34 56 78",
    "-1+2",
    "@cmd|' /C calc'!A0",
    "<b>bold?</b> & <script>alert(1)</script>",
    "Fish &amp; chips &lt; 3",
    "]]> \"quoted\" 'single'",
)


def test_values_that_look_like_formulas_or_markup_stay_plain_text() -> None:
    document = Document(
        title=HOSTILE[4],
        language="en",
        rtl=False,
        cover=(Fields(tuple((value, value) for value in HOSTILE)),),
        body=(
            *(Heading(value) for value in HOSTILE),
            *(Paragraph.of(value) for value in HOSTILE),
            Bullets(HOSTILE),
            Table(("A", "B"), tuple((v, v) for v in HOSTILE), widths=(1, 1)),
        ),
        footer=HOSTILE[5],
        marking="=RESTRICTED",
    )
    word = _read(document)
    texts = [p.text for p in word.paragraphs]
    for value in HOSTILE:
        # Heading, paragraph, bullet; and the title on the cover.
        assert texts.count(value) == 3 + (value == document.title)
        for table in word.tables:
            assert [value, value] in [[c.text for c in row.cells] for row in table.rows]
    assert word.core_properties.title == HOSTILE[4]
    assert word.sections[0].header.paragraphs[0].text == "=RESTRICTED"
    assert word.sections[0].footer.paragraphs[0].text.startswith(HOSTILE[5])
    assert "<script>" not in word.element.body.xml  # Escaped, never markup.


def test_characters_xml_cannot_hold_are_dropped_and_lines_kept() -> None:
    document = Document(
        title="Minutes",
        language="fr",
        rtl=False,
        cover=(),
        body=(Paragraph.of("a\x00b\x1bc\ud800d"), Paragraph.of("line one\nline two\tend")),
    )
    word = _read(document)
    texts = [p.text for p in word.paragraphs]
    assert "abcd" in texts
    assert "line one\nline two\tend" in texts
    assert word.core_properties.language == "fr-FR"


def test_the_creation_time_is_stored_in_utc_and_defaults_to_now() -> None:
    paris = timezone(timedelta(hours=2))
    local = Document("T", "en", False, (), (), created=datetime(2026, 4, 2, 11, 30, tzinfo=paris))
    assert _read(local).core_properties.created == CREATED
    before = datetime.now(UTC).replace(microsecond=0)
    created = _read(Document("T", "en", False, (), ())).core_properties.created
    assert before <= created <= before + timedelta(minutes=1)


def test_a_table_without_rows_or_empty_text_writes_nothing() -> None:
    word = _read(Document("T", "en", False, (), (Table(("A",), (), widths=(1,)),)))
    assert word.tables == []


def test_a_tall_picture_is_scaled_down_to_fit_the_page() -> None:
    figure = Figure(figsize=(1, 6), dpi=20)
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    word = _read(Document("T", "en", False, (), (Image(buffer.getvalue()),)))
    (picture,) = word.inline_shapes
    assert picture.height <= Mm(257) * 0.7 + 1
    assert picture.width < Mm(166)
    assert abs(picture.width / picture.height - 1 / 6) < 0.01


@pytest.mark.parametrize("language", ["en", "ar"])
def test_properties_are_written_in_the_order_word_requires(language: str) -> None:
    word = _read(_report(language))
    parts = [
        word.element,
        word.styles.element,
        word.sections[0].header._element,
        word.sections[0].footer._element,
    ]
    for part in parts:
        for tag, order in [("w:pPr", _PPR), ("w:rPr", _RPR), ("w:trPr", _TRPR),
                           ("w:tcPr", _TCPR), ("w:sectPr", _SECTPR)]:  # fmt: skip
            rank = {qn(name): i for i, name in enumerate(order)}
            for properties in part.iter(qn(tag)):
                ranks = [rank[child.tag] for child in properties if child.tag in rank]
                assert ranks == sorted(ranks), (tag, [child.tag for child in properties])


def test_a_paragraph_in_a_latin_script_reads_left_to_right_in_an_arabic_document() -> None:
    document = Document(
        title="تقرير",
        language="ar",
        rtl=True,
        cover=(),
        body=(
            Paragraph.of("Réunion tenue à Dakar."),
            Paragraph.of("اجتماع في داكار."),
            Bullets(("Envoyer le plan.", "إرسال الخطة.")),
        ),
    )
    word = docx.Document(io.BytesIO(render_docx(document)))
    directions = {
        p.text: p._p.pPr.find(qn("w:bidi")).get(qn("w:val")) for p in word.paragraphs if p.text
    }
    assert directions["Réunion tenue à Dakar."] == "0"
    assert directions["Envoyer le plan."] == "0"
    assert directions["اجتماع في داكار."] is None  # on: right to left
    assert directions["إرسال الخطة."] is None
