"""The PDF writer: a realistic report in English and in Arabic, read back with pypdf."""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from pypdf import PdfReader

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
from bot.documents.pdf import needs_shaping, printable, render_pdf

CREATED = datetime(2026, 5, 31, 18, 30, tzinfo=UTC)
CITIES = ("Dakar", "Nouakchott", "Bamako", "Niamey", "Madrid", "Lisboa")


def chart_png() -> bytes:
    """A bar chart drawn on matplotlib's Agg canvas, as PNG bytes."""
    figure = Figure(figsize=(6, 3), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.bar(["Jan", "Feb", "Mar", "Apr", "May"], [3, 7, 4, 9, 6], color="#1f3864")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def english() -> Document:
    """A monthly partnership report in English, long enough to span pages."""
    rows = tuple(
        (f"Meeting {n:02d} with the {CITIES[n % 6]} prosecutors", CITIES[n % 6], str(n * 7))
        for n in range(1, 61)
    )
    return Document(
        title="Partnership report — May 2026 📊",
        language="en",
        rtl=False,
        cover=(
            Fields(
                (
                    ("Partnership", "Atlantic route task force"),
                    ("Period", "1 – 31 May 2026"),
                    ("Prepared for", "Coordinators, police and prosecutors"),
                )
            ),
        ),
        body=(
            Heading("Summary", 1),
            Paragraph(
                (
                    Span("This month the partnership held "),
                    Span("60 meetings", bold=True),
                    Span(" and closed 4 challenges; a [draft](link) and 2**3 stay as typed."),
                )
            ),
            Paragraph.of("Source: partners' own records, not audited.", "note"),
            Paragraph.of(
                "Personal data: do not forward this report outside the partnership.", "warning"
            ),
            Heading("Priorities", 2),
            Bullets(
                (
                    "Joint investigation team with Senegal",
                    "Training for border police in Nouadhibou, with a long description that "
                    "has to wrap onto a second line of the page to be read in full",
                    "Exchange of liaison officers with commissioner أحمد الطاهر (Nouakchott)",
                )
            ),
            Heading("Meetings", 2),
            Table(
                header=("Meeting", "Place", "Participants"),
                rows=rows,
                widths=(3, 1.5, 1),
                numeric=(False, False, True),
            ),
            Heading("Open challenges", 3),
            Table(
                header=("Challenge", "Owner"),
                rows=(),
                widths=(2, 1),
                empty="No open challenges in this period.",
            ),
            PageBreak(),
            Heading("Activity", 1),
            Image(chart_png(), caption="Meetings per month", width=0.8),
        ),
        footer="Atlantic route task force — confidential",
        marking="RESTRICTED",
        created=CREATED,
    )


def arabic() -> Document:
    """The same report in Arabic, with Latin names and numbers in the Arabic text."""
    rows = tuple(
        (f"اجتماع رقم {n} مع النيابة العامة في {CITIES[n % 6]}", CITIES[n % 6], str(n * 7))
        for n in range(1, 61)
    )
    return Document(
        title="تقرير الشراكة — مايو 2026",
        language="ar",
        rtl=True,
        cover=(
            Fields(
                (
                    ("الشراكة", "فريق عمل الطريق الأطلسي"),
                    ("الفترة", "1 – 31 مايو 2026"),
                )
            ),
        ),
        body=(
            Heading("ملخص", 1),
            Paragraph(
                (
                    Span("عقدت الشراكة هذا الشهر "),
                    Span("60 اجتماعا", bold=True),
                    Span(" مع Europol في Dakar وأغلقت 4 تحديات."),
                )
            ),
            Paragraph.of("المصدر: سجلات الشركاء.", "note"),
            Paragraph.of("بيانات شخصية: لا ترسل هذا التقرير خارج الشراكة.", "warning"),
            Heading("الأولويات", 2),
            Bullets(("فريق تحقيق مشترك مع السنغال", "تبادل ضباط الاتصال")),
            Heading("الاجتماعات", 2),
            Table(
                header=("الاجتماع", "المكان", "المشاركون"),
                rows=rows,
                widths=(3, 1.5, 1),
                numeric=(False, False, True),
            ),
            Table(header=("التحدي", "المسؤول"), rows=(), widths=(2, 1), empty="لا تحديات مفتوحة."),
            PageBreak(),
            Heading("النشاط", 1),
            Image(chart_png(), caption="الاجتماعات في الشهر", width=0.8),
        ),
        footer="فريق عمل الطريق الأطلسي",
        marking="مقيد",
        created=CREATED,
    )


def pages_text(pdf: bytes) -> list[str]:
    """The extracted text of every page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_english_report_reads_back() -> None:
    pdf = render_pdf(replace(english(), page_label="page {page} / {pages}"))
    reader = PdfReader(io.BytesIO(pdf))
    texts = pages_text(pdf)
    count = len(texts)
    assert count > 2
    assert reader.metadata is not None
    assert reader.metadata.title == "Partnership report — May 2026"
    assert reader.metadata.author == "Partnerbot"
    assert all("RESTRICTED" in text for text in texts)
    for number, text in enumerate(texts[1:], start=2):
        assert f"page {number} / {count}" in text
        assert "Atlantic route task force — confidential" in text
    everything = "\n".join(texts)
    assert "Partnership report — May 2026" in texts[0]
    assert "Atlantic route task force" in texts[0]
    assert "31 May 2026" in texts[0]
    assert "60 meetings" in everything
    assert "a [draft]" in everything and "2**3" in everything
    assert "No open challenges in this period." in everything
    assert "Meeting 60 with the Dakar prosecutors" in everything
    assert "420" in everything
    # An Arabic name in English text is shaped right to left and read back as written.
    assert "أحمد الطاهر" in everything
    # The table spans pages and its header comes back on each.
    table_pages = [text for text in texts if "Meeting 0" in text or "Meeting 6" in text]
    assert len(table_pages) >= 2
    assert all("Participants" in text for text in table_pages)


def test_arabic_report_reads_back_in_logical_order() -> None:
    pdf = render_pdf(arabic())
    reader = PdfReader(io.BytesIO(pdf))
    texts = pages_text(pdf)
    count = len(texts)
    assert count > 2
    assert reader.metadata is not None
    assert reader.metadata.title == "تقرير الشراكة — مايو 2026"
    assert all("مقيد" in text for text in texts)
    for number, text in enumerate(texts[1:], start=2):
        # pypdf gives a line's runs from left to right: "2 / 5" drawn right to left.
        assert f"{count} / {number}" in " ".join(text.split())
    everything = "\n".join(texts)
    # Arabic phrases come out as they are read, not mirrored.
    for phrase in (
        "فريق عمل الطريق الأطلسي",
        "عقدت الشراكة هذا الشهر",
        "بيانات شخصية: لا ترسل هذا التقرير خارج الشراكة",
        "فريق تحقيق مشترك مع السنغال",
        "لا تحديات مفتوحة",
        "النيابة العامة في",
        "الاجتماعات في الشهر",
    ):
        assert phrase in everything, phrase
    # Latin names and numbers inside Arabic stay as they are written.
    assert "Europol" in everything and "Dakar" in everything
    assert "420" in everything and "60" in everything
    assert not re.search(r"loporuE|rakaD|024", everything)


def test_arabic_table_starts_on_the_right() -> None:
    pdf = render_pdf(arabic())
    page = PdfReader(io.BytesIO(pdf)).pages[1]
    positions: dict[str, float] = {}

    def visit(text: str, cm: object, tm: list[float], font: object, size: object) -> None:
        for word in ("المكان", "المشاركون"):
            if word in text or word[::-1] in text:
                positions.setdefault(word, tm[4])

    page.extract_text(visitor_text=visit)
    assert positions["المشاركون"] < positions["المكان"]


def test_a_picture_is_never_split_from_its_caption() -> None:
    filler = tuple(Paragraph.of("Filler text of the report. " * 40) for _ in range(4))
    document = Document(
        title="Report",
        language="en",
        rtl=False,
        cover=(),
        body=(*filler, Image(chart_png(), caption="Meetings per month", width=1.0)),
    )
    reader = PdfReader(io.BytesIO(render_pdf(document)))
    drawn = [
        page for page in reader.pages if re.search(rb"/I\d+ Do", page.get_contents().get_data())
    ]
    assert len(drawn) == 1
    assert drawn[0] is reader.pages[-1]
    assert "Meetings per month" in drawn[0].extract_text()


def test_a_table_with_mismatched_widths_still_renders() -> None:
    document = Document(
        title="Report",
        language="en",
        rtl=False,
        cover=(),
        body=(Table(header=("A", "B", "C"), rows=(("1", "2", "3"),), widths=(1, 2)),),
    )
    assert "A B C" in " ".join(pages_text(render_pdf(document))[1].split())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Report 📊 May", "Report May"),
        ("tab\there", "tab here"),
        ("bell\x07", "bell"),
        ("名前 Ali", "\ufffd\ufffd Ali"),
        ("Ünïcödé – ½ ∑ تقرير", "Ünïcödé – ½ ∑ تقرير"),
    ],
)
def test_printable_keeps_what_the_font_draws(text: str, expected: str) -> None:
    assert printable(text) == expected


def test_odd_characters_do_not_break_the_pdf() -> None:
    document = Document(
        title="👮‍♀️ Rapport \U0010fffd \u2028 ☃",
        language="fr",
        rtl=False,
        cover=(),
        body=(Paragraph((Span("**"), Span("\\", bold=True), Span("🚤"))),),
    )
    texts = pages_text(render_pdf(document))
    assert "Rapport" in texts[0]
    assert "☃" in texts[0]


def test_a_paragraph_in_a_latin_script_reads_left_to_right_in_an_arabic_document() -> None:
    document = Document(
        title="تقرير",
        language="ar",
        rtl=True,
        cover=(),
        body=(
            Paragraph.of("Réunion tenue à Dakar le 12 novembre."),
            Bullets(("Envoyer le plan.",)),
        ),
    )
    text = "\n".join(pages_text(render_pdf(document)))
    # Left to right, the full stop ends the sentence instead of opening it.
    assert "Réunion tenue à Dakar le 12 novembre." in text
    assert "Envoyer le plan." in text


def test_a_thousand_pages_are_numbered_without_running_out_of_room() -> None:
    body = tuple(block for _ in range(1001) for block in (Paragraph.of("x"), PageBreak()))
    document = Document(title="Year", language="en", rtl=False, cover=(), body=body)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # fpdf2 warns when the number overflows
        pdf = render_pdf(document)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert "1001 / 1003" in pages[1000].extract_text()


def test_only_documents_with_a_script_that_needs_it_are_shaped() -> None:
    latin = Document(title="Report", language="fr", rtl=False, cover=(),
                     body=(Paragraph.of("Réunion à Dakar — décisions…"),))  # fmt: skip
    assert not needs_shaping(latin)
    named = replace(latin, body=(*latin.body, Table(("Nom",), (("عائشة",),), (1,))))
    assert needs_shaping(named)
    # Shaped or not, the text reads back as written.
    assert "Réunion à Dakar — décisions…" in "\n".join(pages_text(render_pdf(latin)))
    assert "عائشة" in "\n".join(pages_text(render_pdf(named)))
