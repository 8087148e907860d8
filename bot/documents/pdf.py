"""The PDF writer: a `Document` as an A4 file to forward.

A cover page (the title, the cover blocks, the date), then the body from a new page; every page
after the cover has a header (the title, the marking in red) and a footer (the footer text and
the page number). Text is shaped by HarfBuzz (fpdf2's text shaping), so Arabic letters join and
right-to-left documents are laid out from the right: paragraphs and bullets on the right,
tables with their first column on the right.

The font is DejaVu Sans, shipped with matplotlib: it has Latin, Cyrillic, Greek and Arabic, so
nothing is fetched at run time. Characters it lacks (emoji, CJK) are left out rather than
printed as empty boxes.
"""

from __future__ import annotations

import io
import re
import struct
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Literal

import matplotlib
from babel.dates import format_date
from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode
from fpdf.fonts import TTFFont
from fpdf.util import Padding

from bot.documents.model import (
    Block,
    Bullets,
    Document,
    Fields,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Table,
    written_left_to_right,
)

_FONT = "DejaVu"
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_REGULAR = _FONT_DIR / "DejaVuSans.ttf"
_BOLD = _FONT_DIR / "DejaVuSans-Bold.ttf"

_MARGIN = 20.0  # mm, all four sides
_BODY_SIZE = 10.5
_LINE = 5.2  # mm per body line
_HEADING_SIZES = {1: 16.0, 2: 13.0, 3: 11.5}
_HEADING_SPACE = {1: 7.0, 2: 5.0, 3: 3.5}

_TEXT = (33, 37, 41)
_ACCENT = (31, 56, 100)
_GREY = (108, 117, 125)
_RULE = (190, 197, 205)
_MARKING = (192, 0, 0)
_ZEBRA = (243, 245, 248)
_WARNING_FILL = (255, 243, 224)
_WARNING_LINE = (214, 134, 0)

# fpdf2's markdown markers (and its backslash), escaped in texts written with bold runs.
_MARKDOWN = re.compile(r"(\\|\*\*|__|~~|--)")


#: Scripts whose letters change shape or order (Arabic, Hebrew, Syriac, Thaana, N'Ko...) and
#: the presentation forms: a text with one of these needs HarfBuzz.
_COMPLEX = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def needs_shaping(document: Document) -> bool:
    """Whether any text of the document is in a script that needs shaping."""
    return any(_COMPLEX.search(text) for text in _texts(document))


def _texts(document: Document) -> Iterator[str]:
    yield document.title
    yield document.footer
    if document.marking:
        yield document.marking
    for block in (*document.cover, *document.body):
        match block:
            case Heading(text=text):
                yield text
            case Paragraph(spans=spans):
                yield from (span.text for span in spans)
            case Bullets(items=items):
                yield from items
            case Fields(pairs=pairs):
                yield from (part for pair in pairs for part in pair)
            case Table(header=header, rows=rows, empty=empty):
                yield from header
                yield from (cell for row in rows for cell in row)
                yield empty
            case Image(caption=caption):
                yield caption


def render_pdf(document: Document) -> bytes:
    """The document as PDF bytes; its footer numbers pages with `Document.page_label`
    (`{page}` the page's number, `{pages}` the number of pages)."""
    pdf = _ReportPDF(document, document.page_label)
    pdf.write_cover()
    pdf.add_page()
    for block in document.body:
        pdf.write_block(block)
    return bytes(pdf.output())


@cache
def _glyphs() -> frozenset[int]:
    """The code points both fonts (regular and bold) can draw."""
    pdf = FPDF()
    pdf.add_font(_FONT, "", str(_REGULAR))
    pdf.add_font(_FONT, "B", str(_BOLD))
    maps = [set(font.cmap) for font in pdf.fonts.values() if isinstance(font, TTFFont)]
    return frozenset(set.intersection(*maps))


def printable(text: str) -> str:
    """`text` with only what the font can draw: tabs become spaces, other control characters
    and symbols the font lacks (emoji) go, letters and digits it lacks become U+FFFD so a
    missing name still shows that something was there."""
    glyphs = _glyphs()
    out: list[str] = []
    for char in text:
        if char == "\t":
            out.append(" ")
        elif char == "\n" or ord(char) in glyphs:
            out.append(char)
        elif unicodedata.category(char)[0] in "LN":
            out.append("\ufffd")
    # An emoji between two words leaves two spaces.
    return re.sub(r" {2,}", " ", "".join(out))


class _ReportPDF(FPDF):
    """An A4 page set with the document's header and footer and one writer per block kind."""

    def __init__(self, document: Document, page_label: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.document = document
        self.page_label = page_label
        self.rtl = document.rtl
        # Where text starts and where it ends, as fpdf2 alignments.
        self.start: Literal["L", "R"] = "R" if document.rtl else "L"
        self.end: Literal["L", "R"] = "L" if document.rtl else "R"
        self.add_font(_FONT, "", str(_REGULAR))
        self.add_font(_FONT, "B", str(_BOLD))
        if document.rtl:
            self.set_text_shaping(True, direction="rtl", script="arab", language="ar")
        elif needs_shaping(document):
            self.set_text_shaping(True, direction="ltr")
        # Otherwise no shaping: fpdf2 shapes every line through HarfBuzz again and again while
        # it breaks it, which makes a long report several times slower, for Latin text that
        # needs none.
        # The total is drawn after the page is: its reserved room sits against the words.
        # The alias reserves room for the number of pages: this one, up to 99,999.
        self.alias_nb_pages(alias="{nbpg}", align="R" if document.rtl else "L")
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(True, margin=_MARGIN)
        self.set_title(printable(document.title).strip())
        self.set_author(printable(document.author).strip())
        self.set_creator("Partnerbot")
        self.set_lang(document.language)
        if document.created is not None:
            self.set_creation_date(document.created)
        self.set_font(_FONT, size=_BODY_SIZE)
        self.set_text_color(*_TEXT)

    # Page furniture -------------------------------------------------------------------------

    def header(self) -> None:
        """The title and the marking on every page after the cover; the marking on the cover."""
        marking = printable(self.document.marking or "").strip()
        self.set_y(9)
        if self.page_no() == 1:
            if marking:
                self._marking(marking, "C")
            return
        self.set_font(_FONT, size=8.5)
        self.set_text_color(*_GREY)
        # The title takes what the marking leaves, on the side where text starts.
        marking_width = self.get_string_width(marking) + 4 if marking else 0
        title_width = self.epw - marking_width - 2
        x_title = self.l_margin + (marking_width + 2 if self.rtl else 0)
        self.set_x(x_title)
        title = printable(self.document.title).strip()
        self.cell(title_width, 5, self._fit(title, title_width), align=self.start)
        if marking:
            self.set_x(self.l_margin if self.rtl else self.w - self.r_margin - marking_width)
            self._marking(marking, self.end, marking_width)
        self.set_draw_color(*_RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, 15, self.w - self.r_margin, 15)
        self.set_text_color(*_TEXT)
        self.set_font(_FONT, size=_BODY_SIZE)
        self.set_y(self.t_margin)

    def footer(self) -> None:
        """The footer text and "page N / M" on every page after the cover."""
        if self.page_no() == 1:
            return
        self.set_y(-14)
        self.set_draw_color(*_RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y() - 1.5, self.w - self.r_margin, self.get_y() - 1.5)
        self.set_font(_FONT, size=8.5)
        self.set_text_color(*_GREY)
        number = self.page_label.format(page=self.page_no(), pages=self.str_alias_nb_pages)
        number_width = self.get_string_width(number.replace(self.str_alias_nb_pages, "0000")) + 2
        footer = printable(self.document.footer).strip()
        footer_width = self.epw - number_width - 4
        self.set_x(self.l_margin + (number_width + 4 if self.rtl else 0))
        self.cell(footer_width, 5, self._fit(footer, footer_width), align=self.start)
        self.set_x(self.l_margin if self.rtl else self.w - self.r_margin - number_width)
        self.cell(number_width, 5, printable(number), align=self.end)

    def _marking(self, marking: str, align: Literal["L", "C", "R"], width: float = 0) -> None:
        """The marking (RESTRICTED) in red bold."""
        self.set_font(_FONT, "B", 9)
        self.set_text_color(*_MARKING)
        self.cell(width, 5, marking, align=align)
        self.set_text_color(*_TEXT)

    def _fit(self, text: str, width: float) -> str:
        """`text` cut with an ellipsis to fit one line of `width` in the current font."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text.rstrip() + "…"

    # Cover ----------------------------------------------------------------------------------

    def write_cover(self) -> None:
        """The cover page: the title large, a rule, the cover blocks, the date."""
        self.add_page()
        self.set_y(70)
        self.set_font(_FONT, "B", 24)
        self.set_text_color(*_ACCENT)
        self.multi_cell(0, 11, printable(self.document.title).strip(), align=self.start)
        self.set_draw_color(*_ACCENT)
        self.set_line_width(0.8)
        y = self.get_y() + 4
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.set_y(y + 8)
        self.set_text_color(*_TEXT)
        self.set_font(_FONT, size=_BODY_SIZE)
        for block in self.document.cover:
            self.write_block(block)
        if self.document.created is not None:
            self.ln(6)
            self.set_font(_FONT, size=_BODY_SIZE)
            self.set_text_color(*_GREY)
            created = format_date(
                self.document.created.date(), format="long", locale=self.document.language
            )
            self.multi_cell(0, _LINE, printable(created), align=self.start)
            self.set_text_color(*_TEXT)

    # Blocks ---------------------------------------------------------------------------------

    def write_block(self, block: Block) -> None:
        """Writes one block at the current position."""
        match block:
            case Heading():
                self.write_heading(block)
            case Paragraph():
                self.write_paragraph(block)
            case Bullets():
                self.write_bullets(block)
            case Fields():
                self.write_fields(block)
            case Table():
                self.write_table(block)
            case Image():
                self.write_image(block)
            case PageBreak():
                self.add_page()

    def write_heading(self, heading: Heading) -> None:
        """A section title, bold; level 1 in the accent colour under a rule. Never alone at
        the bottom of a page."""
        size = _HEADING_SIZES[heading.level]
        if self.get_y() + 25 > self.page_break_trigger:
            self.add_page()
        elif self.get_y() > self.t_margin + 1:
            self.ln(_HEADING_SPACE[heading.level])
        if heading.level == 1:
            self.set_draw_color(*_ACCENT)
            self.set_line_width(0.4)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(2.5)
        self.set_font(_FONT, "B", size)
        self.set_text_color(*(_ACCENT if heading.level < 3 else _TEXT))
        self.multi_cell(0, size * 0.5, printable(heading.text), align=self.start)
        self.ln(1.5)
        self.set_text_color(*_TEXT)
        self.set_font(_FONT, size=_BODY_SIZE)

    @contextmanager
    def _direction_of(self, text: str) -> Iterator[Literal["L", "R"]]:
        """Where a paragraph starts: in an Arabic document, one written in a left-to-right
        script (a French summary) is shaped and aligned left to right while it is written."""
        if not (self.rtl and written_left_to_right(text)):
            yield self.start
            return
        self.set_text_shaping(True, direction="ltr")
        try:
            yield "L"
        finally:
            self.set_text_shaping(True, direction="rtl", script="arab", language="ar")

    def write_paragraph(self, paragraph: Paragraph) -> None:
        """Body text with its bold runs; a note smaller and grey, a warning in a shaded box."""
        text, markdown = self._spans(paragraph)
        with self._direction_of(text) as start:
            self._write_paragraph(paragraph, text, markdown, start)

    def _write_paragraph(
        self, paragraph: Paragraph, text: str, markdown: bool, start: Literal["L", "R"]
    ) -> None:
        match paragraph.style:
            case "note":
                self.set_font(_FONT, size=8.5)
                self.set_text_color(*_GREY)
                self.multi_cell(0, 4.3, text, align=start, markdown=markdown)
            case "warning":
                self.set_font(_FONT, size=_BODY_SIZE)
                self.set_fill_color(*_WARNING_FILL)
                self.set_draw_color(*_WARNING_LINE)
                self.set_line_width(0.3)
                self.ln(1)
                self.multi_cell(
                    0,
                    _LINE,
                    text,
                    align=start,
                    markdown=markdown,
                    border=1,
                    fill=True,
                    padding=Padding(top=2.5, right=3, bottom=2.5, left=3),
                )
                self.ln(1)
                self.set_fill_color(255, 255, 255)
            case _:
                self.set_font(_FONT, size=_BODY_SIZE)
                self.multi_cell(0, _LINE, text, align=start, markdown=markdown)
        self.ln(2)
        self.set_text_color(*_TEXT)
        self.set_font(_FONT, size=_BODY_SIZE)

    @staticmethod
    def _spans(paragraph: Paragraph) -> tuple[str, bool]:
        """The paragraph's text, and whether it is fpdf2 markdown (only when a run is bold:
        plain texts are written as they are)."""
        if not any(span.bold for span in paragraph.spans):
            return "".join(printable(span.text) for span in paragraph.spans), False
        parts: list[str] = []
        for span in paragraph.spans:
            text = _MARKDOWN.sub(r"\\\1", printable(span.text))
            # "[x](y)" would be read as a link: a zero-width space keeps it text.
            text = text.replace("](", "]\u200b(")
            parts.append(f"**{text}**" if span.bold and text.strip() else text)
        return "".join(parts), True

    def write_bullets(self, bullets: Bullets) -> None:
        """A bulleted list, the bullets on the side where text starts."""
        indent = 6.0
        for item in bullets.items:
            if self.get_y() + _LINE > self.page_break_trigger:
                self.add_page()
            y = self.get_y()
            bullet_x = self.w - self.r_margin - indent if self.rtl else self.l_margin
            self.set_xy(bullet_x, y)
            self.cell(indent, _LINE, "•", align="C")
            self.set_xy(self.l_margin + (0 if self.rtl else indent), y)
            with self._direction_of(item) as start:
                self.multi_cell(
                    self.epw - indent,
                    _LINE,
                    printable(item),
                    align=start,
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
            self.ln(0.8)
        self.ln(1.5)

    def write_fields(self, fields: Fields) -> None:
        """Label–value pairs in two borderless columns, the labels bold."""
        self.set_font(_FONT, size=_BODY_SIZE)
        widths = (1.0, 2.2)
        with self.table(
            col_widths=widths[::-1] if self.rtl else widths,
            borders_layout="NONE",
            first_row_as_headings=False,
            line_height=_LINE,
            padding=(1, 2),
            text_align=self.start,
        ) as table:
            for label, value in fields.pairs:
                row = table.row()
                cells = [
                    (printable(label), FontFace(emphasis="BOLD")),
                    (printable(value), None),
                ]
                for text, style in cells[::-1] if self.rtl else cells:
                    row.cell(text, style=style)
        self.ln(3)

    def write_table(self, table: Table) -> None:
        """A table across the text width: the header repeated on every page, numbers aligned
        to the end, every other row shaded; its `empty` text when it has no rows."""
        if not table.rows:
            if table.empty:
                self.write_paragraph(Paragraph.of(table.empty, "note"))
            return
        columns = len(table.header)
        numeric = tuple(table.numeric) + (False,) * (columns - len(table.numeric))
        aligns = [self.end if is_number else self.start for is_number in numeric]
        order = list(range(columns))[::-1] if self.rtl else list(range(columns))
        self.set_font(_FONT, size=9)
        self.set_draw_color(*_RULE)
        self.set_line_width(0.2)
        # Rows between the shaded ones take the current fill colour.
        self.set_fill_color(255, 255, 255)
        # Widths that do not match the columns would stop fpdf2: share the width evenly then.
        widths = table.widths if len(table.widths) == columns else (1.0,) * columns
        with self.table(
            col_widths=[widths[i] for i in order],
            width=self.epw,
            borders_layout="HORIZONTAL_LINES",
            cell_fill_color=_ZEBRA,
            cell_fill_mode=TableCellFillMode.EVEN_ROWS,
            headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=_ACCENT),
            line_height=4.6,
            padding=(1.2, 1.8),
            repeat_headings=1,
        ) as pdf_table:
            for values in (table.header, *table.rows):
                row = pdf_table.row()
                for i in order:
                    text = values[i] if i < len(values) else ""
                    row.cell(printable(text), align=aligns[i])
        self.ln(4)
        self.set_font(_FONT, size=_BODY_SIZE)

    def write_image(self, image: Image) -> None:
        """A PNG centred across its share of the text width, its caption below; both on one
        page, shrunk when the picture is taller than a page."""
        pixels_wide, pixels_high = struct.unpack(">II", image.png[16:24])
        width = self.epw * min(max(image.width, 0.05), 1.0)
        height = width * pixels_high / pixels_wide
        caption = printable(image.caption)
        caption_height = _LINE + 2 if caption else 0
        room = self.page_break_trigger - self.t_margin - caption_height - 4
        if height > room:
            width, height = width * room / height, room
        if self.get_y() + height + caption_height + 2 > self.page_break_trigger:
            self.add_page()
        self.ln(1)
        x = self.l_margin + (self.epw - width) / 2
        self.image(io.BytesIO(image.png), x=x, y=self.get_y(), w=width, h=height)
        self.set_y(self.get_y() + height + 1.5)
        if caption:
            self.set_font(_FONT, size=8.5)
            self.set_text_color(*_GREY)
            self.multi_cell(0, 4.3, caption, align="C")
            self.set_text_color(*_TEXT)
            self.set_font(_FONT, size=_BODY_SIZE)
        self.ln(3)
