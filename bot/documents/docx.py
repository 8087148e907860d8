"""The Word writer: a `Document` as a .docx file people can edit and paste into their templates.

Everything is real Word structure: built-in styles (Title, Heading 1–3, List Bullet, Caption),
tables with a header row repeated on each page, a PAGE field in the footer. Two paragraph
styles of our own, "Note" and "Warning", carry the outline's paragraph styles, so a reader can
restyle them in one place.

Arabic documents are right to left throughout: paragraphs (`w:bidi`), runs (`w:rtl`), tables
(`w:bidiVisual`) and the section. The text is stored in logical order, as typed: Word shapes
and orders it. Alignment is written logically: in a right-to-left paragraph Word reads "left"
as the start and "right" as the end, so "right" puts numbers at the end in both directions.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import docx
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_DIRECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Emu, Mm, Pt, RGBColor
from docx.table import Table as WordTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph as WordParagraph

from bot.documents.model import (
    Block,
    Bullets,
    Document,
    Fields,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Span,
    Table,
    written_left_to_right,
)

# Schema order of the children of the elements we add to (ECMA-376 part 1, transitional):
# Word refuses a file whose children are out of order.
_PPR = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
    "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs",
    "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap",
    "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
    "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
_RPR = (
    "w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps",
    "w:strike", "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof",
    "w:snapToGrid", "w:vanish", "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern",
    "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd",
    "w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
    "w:specVanish", "w:oMath",
)  # fmt: skip
_PBDR = ("w:top", "w:left", "w:bottom", "w:right", "w:between", "w:bar")
_TRPR = (
    "w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter",
    "w:cantSplit", "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden",
    "w:ins", "w:del", "w:trPrChange",
)  # fmt: skip
_TCPR = (
    "w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd",
    "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
    "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange",
)  # fmt: skip
_SECTPR = (
    "w:headerReference", "w:footerReference", "w:footnotePr", "w:endnotePr", "w:type",
    "w:pgSz", "w:pgMar", "w:paperSrc", "w:pgBorders", "w:lnNumType", "w:pgNumType", "w:cols",
    "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi",
    "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange",
)  # fmt: skip

# Millimetres.
_A4_WIDTH, _A4_HEIGHT = 210, 297
_SIDE_MARGIN, _TOP_MARGIN = 22, 20
#: The language tags Word knows for the shipped languages.
_LANGUAGE_TAGS = {"en": "en-GB", "fr": "fr-FR", "ar": "ar-SA", "pt": "pt-PT", "es": "es-ES"}
_LATIN_FONT = "Calibri"
# Arial has Arabic letters on every system Word runs on, where Calibri has none.
_COMPLEX_SCRIPT_FONT = "Arial"
_MARKING_RED = RGBColor(0xC0, 0x00, 0x00)
_GREY = RGBColor(0x59, 0x59, 0x59)
_HEADER_FILL = "E7E6E6"
_WARNING_FILL = "FFF4E0"
_WARNING_BORDER = "C77C02"
_FIELDS_WIDTHS = (0.32, 0.68)
#: Pictures taller than this share of the text height are scaled down to fit a page.
_MAX_IMAGE_HEIGHT = 0.7
# Characters XML 1.0 cannot hold: a stray one from a pasted message would make the file unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class _Out:
    """The Word file being written and what every block needs to know about its pages."""

    word: WordDocument
    rtl: bool
    text_width: int
    text_height: int


def render_docx(document: Document) -> bytes:
    """The document as the bytes of a .docx file: cover, a page break, then the body."""
    word = docx.Document()
    out = _setup(word, document)
    if document.marking:
        _marking(out, out.word.add_paragraph(), document.marking, 14)
    _paragraph(out, (Span(document.title),), style="Title")
    for block in document.cover:
        _block(out, block)
    _page_break(out)
    for block in document.body:
        _block(out, block)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _block(out: _Out, block: Block) -> None:
    """Writes one block of the outline."""
    match block:
        case Heading():
            _heading(out, block)
        case Paragraph():
            _body_paragraph(out, block)
        case Bullets():
            _bullets(out, block)
        case Fields():
            _fields(out, block)
        case Table():
            _table(out, block)
        case Image():
            _image(out, block)
        case PageBreak():
            _page_break(out)


def _heading(out: _Out, heading: Heading) -> None:
    _paragraph(out, (Span(heading.text),), style=f"Heading {heading.level}")


def _body_paragraph(out: _Out, paragraph: Paragraph) -> None:
    style = {"body": None, "note": "Note", "warning": "Warning"}[paragraph.style]
    _paragraph(out, paragraph.spans, style=style, by_content=True)


def _bullets(out: _Out, bullets: Bullets) -> None:
    for item in bullets.items:
        _paragraph(out, (Span(item),), style="List Bullet", by_content=True)


def _fields(out: _Out, fields: Fields) -> None:
    """Label–value pairs as a borderless two-column table, labels bold: values line up."""
    table = _new_table(out, len(fields.pairs), _FIELDS_WIDTHS, style=None)
    for row, (label, value) in zip(table.rows, fields.pairs, strict=True):
        label_cell, value_cell = row.cells
        _cell_text(out, label_cell, label, bold=True, end=False)
        _cell_text(out, value_cell, value, bold=False, end=False)
        for cell in (label_cell, value_cell):
            cell.paragraphs[0].paragraph_format.space_after = Pt(3)
    _paragraph(out, ())  # Keeps what follows from joining the table when edited.


def _table(out: _Out, table: Table) -> None:
    """A grid with a bold, shaded header row repeated on each page; numbers at the end."""
    if not table.rows:
        if table.empty:
            _paragraph(out, (Span(table.empty),))
        return
    numeric = table.numeric + (False,) * (len(table.header) - len(table.numeric))
    grid = _new_table(out, 1 + len(table.rows), table.widths, style="Table Grid")
    header, *body = grid.rows
    _child(header._tr.get_or_add_trPr(), "w:tblHeader", _TRPR)
    for cell, text, end in zip(header.cells, table.header, numeric, strict=True):
        _cell_text(out, cell, text, bold=True, end=end)
        _child(cell._tc.get_or_add_tcPr(), "w:shd", _TCPR, val="clear", color="auto",
               fill=_HEADER_FILL)  # fmt: skip
    for row, values in zip(body, table.rows, strict=True):
        for cell, text, end in zip(row.cells, values, numeric, strict=True):
            _cell_text(out, cell, text, bold=False, end=end)
    _paragraph(out, ())


def _image(out: _Out, image: Image) -> None:
    """The picture centred across its share of the text width, its caption below."""
    picture = _paragraph(out, (), align=WD_ALIGN_PARAGRAPH.CENTER)
    width = Emu(round(out.text_width * min(max(image.width, 0.05), 1.0)))
    shape = picture.add_run().add_picture(io.BytesIO(image.png), width=width)
    limit = round(out.text_height * _MAX_IMAGE_HEIGHT)
    if shape.height > limit:
        shape.width = Emu(round(shape.width * limit / shape.height))
        shape.height = Emu(limit)
    if image.caption:
        picture.paragraph_format.keep_with_next = True
        _paragraph(out, (Span(image.caption),), style="Caption", align=WD_ALIGN_PARAGRAPH.CENTER)


def _page_break(out: _Out) -> None:
    _paragraph(out, ()).add_run().add_break(WD_BREAK.PAGE)


def _paragraph(
    out: _Out,
    spans: tuple[Span, ...],
    *,
    style: str | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
    by_content: bool = False,
) -> WordParagraph:
    """A new body paragraph in the document's direction (`by_content`: in its text's), with
    one run per span."""
    paragraph = out.word.add_paragraph(style=style)
    _fill(out, paragraph, spans, align, by_content=by_content)
    return paragraph


def _fill(
    out: _Out,
    paragraph: WordParagraph,
    spans: tuple[Span, ...],
    align: WD_ALIGN_PARAGRAPH | None,
    *,
    by_content: bool = False,
) -> None:
    """Sets an existing paragraph's direction and alignment and adds its runs.

    Without an alignment a paragraph starts at its start edge: the right in Arabic.
    `by_content`: in an Arabic document, a paragraph written in a left-to-right script (a
    French summary) is laid out left to right."""
    rtl = out.rtl and not (by_content and written_left_to_right("".join(s.text for s in spans)))
    if rtl:
        _child(paragraph._p.get_or_add_pPr(), "w:bidi", _PPR)
    elif out.rtl:
        # The document's styles are right to left: this paragraph says it is not.
        _child(paragraph._p.get_or_add_pPr(), "w:bidi", _PPR, val="0")
    if align is not None:
        paragraph.alignment = align
    for span in spans:
        run = paragraph.add_run(_NOT_XML.sub("", span.text))
        if span.bold:
            run.bold = True
            run.font.cs_bold = True  # Arabic letters take their weight from the w:bCs twin.
        run.font.rtl = True if rtl else (False if out.rtl else None)


def _new_table(out: _Out, rows: int, widths: tuple[float, ...], style: str | None) -> WordTable:
    """An empty table across the text width, columns in the given proportions, in the
    document's direction; rows are never split across pages."""
    total = sum(widths) or 1.0
    columns = [Emu(round(out.text_width * width / total)) for width in widths]
    table: WordTable = out.word.add_table(rows=rows, cols=len(widths))
    table.style = style
    table.autofit = False
    if out.rtl:
        table.table_direction = WD_TABLE_DIRECTION.RTL
    for column, width in zip(table.columns, columns, strict=True):
        column.width = width  # The grid, read by LibreOffice.
    for row in table.rows:
        _child(row._tr.get_or_add_trPr(), "w:cantSplit", _TRPR)
        for cell, width in zip(row.cells, columns, strict=True):
            cell.width = width  # The cell, read by Word.
    return table


def _cell_text(out: _Out, cell: _Cell, text: str, *, bold: bool, end: bool) -> None:
    align = WD_ALIGN_PARAGRAPH.RIGHT if end else None
    _fill(out, cell.paragraphs[0], (Span(text, bold),), align)


def _marking(out: _Out, paragraph: WordParagraph, marking: str, size: float) -> None:
    """The protective marking (RESTRICTED) in bold dark red."""
    _fill(out, paragraph, (Span(marking, bold=True),), WD_ALIGN_PARAGRAPH.CENTER)
    for run in paragraph.runs:
        run.font.color.rgb = _MARKING_RED
        _size(run._r.get_or_add_rPr(), size)


def _setup(word: WordDocument, document: Document) -> _Out:
    """A4 pages, fonts, language, styles, header, footer and properties; what blocks need."""
    section = word.sections[0]
    section.page_width, section.page_height = Mm(_A4_WIDTH), Mm(_A4_HEIGHT)
    section.left_margin = section.right_margin = Mm(_SIDE_MARGIN)
    section.top_margin = section.bottom_margin = Mm(_TOP_MARGIN)
    section.header_distance = section.footer_distance = Mm(10)
    out = _Out(
        word,
        document.rtl,
        text_width=Mm(_A4_WIDTH - 2 * _SIDE_MARGIN),
        text_height=Mm(_A4_HEIGHT - 2 * _TOP_MARGIN),
    )
    if document.rtl:
        _child(section._sectPr, "w:bidi", _SECTPR)
    _fonts_and_language(word, document)
    _own_styles(word)
    _header_and_footer(out, document)
    _properties(word, document)
    return out


def _fonts_and_language(word: WordDocument, document: Document) -> None:
    """Calibri for Latin letters and Arial for Arabic, everywhere (the template's headings
    name theme fonts instead); the document's language on the defaults and the Normal style."""
    styles = word.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    assert defaults is not None  # python-docx's template has them.
    default_rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    assert isinstance(default_rpr, BaseOxmlElement)
    style_rprs = [
        rpr for style in word.styles if (rpr := style.element.find(qn("w:rPr"))) is not None
    ]
    for rpr in [default_rpr, *style_rprs]:
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None and rpr is not default_rpr:
            continue
        fonts = _child(rpr, "w:rFonts", _RPR, ascii=_LATIN_FONT, hAnsi=_LATIN_FONT,
                       cs=_COMPLEX_SCRIPT_FONT)  # fmt: skip
        for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme"):
            fonts.attrib.pop(qn(theme), None)
    tag = _LANGUAGE_TAGS.get(document.language, document.language)
    language = {"val": tag, "bidi": tag if document.rtl else "ar-SA"}
    _child(default_rpr, "w:lang", _RPR, **language)
    _child(word.styles["Normal"].element.get_or_add_rPr(), "w:lang", _RPR, **language)
    if document.rtl:
        # New paragraphs typed into the file are Arabic too.
        normal = word.styles["Normal"].element
        _child(normal.get_or_add_pPr(), "w:bidi", _PPR)
        _child(normal.get_or_add_rPr(), "w:rtl", _RPR)


def _own_styles(word: WordDocument) -> None:
    """Our styles "Note" (smaller, grey) and "Warning" (boxed on a pale amber ground: it stands out
    without shouting), both based on Normal."""
    normal = word.styles["Normal"]
    note = word.styles.add_style("Note", WD_STYLE_TYPE.PARAGRAPH)
    note.base_style = normal
    note.font.color.rgb = _GREY
    _size(note.element.get_or_add_rPr(), 9)
    warning = word.styles.add_style("Warning", WD_STYLE_TYPE.PARAGRAPH)
    warning.base_style = normal
    ppr = warning.element.get_or_add_pPr()
    borders = _child(ppr, "w:pBdr", _PPR)
    for side in ("w:top", "w:left", "w:bottom", "w:right"):
        _child(borders, side, _PBDR, val="single", sz="8", space="4", color=_WARNING_BORDER)
    _child(ppr, "w:shd", _PPR, val="clear", color="auto", fill=_WARNING_FILL)
    # The border and its padding sit outside the text: indent so they stay in the margins.
    _child(ppr, "w:ind", _PPR, left="113", right="113")
    _child(ppr, "w:spacing", _PPR, before="120", after="240")


def _header_and_footer(out: _Out, document: Document) -> None:
    """The marking heads every page; the footer text and the page number end every page."""
    section = out.word.sections[0]
    if document.marking:
        _marking(out, section.header.paragraphs[0], document.marking, 10)
    footer = section.footer.paragraphs[0]
    spans = (Span(f"{document.footer}  ·  "),) if document.footer else ()
    _fill(out, footer, spans, WD_ALIGN_PARAGRAPH.CENTER)
    _page_field(out, footer)
    for run in footer.runs:
        run.font.color.rgb = _GREY
        _size(run._r.get_or_add_rPr(), 9)


def _page_field(out: _Out, paragraph: WordParagraph) -> None:
    """A PAGE field (the current page's number), its last result "1" shown until updated."""
    parts: list[tuple[str, str | None]] = [
        ("w:fldChar", "begin"), ("w:instrText", " PAGE "), ("w:fldChar", "separate"),
        ("w:t", "1"), ("w:fldChar", "end"),
    ]  # fmt: skip
    for tag, value in parts:
        run = paragraph.add_run()
        if out.rtl:
            run.font.rtl = True
        element = OxmlElement(tag)
        if tag == "w:fldChar":
            element.set(qn("w:fldCharType"), value or "")
        else:
            element.text = value
            element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run._r.append(element)


def _properties(word: WordDocument, document: Document) -> None:
    """Title, author, language and dates in the file's properties; the template's own
    (author "python-docx", its comments, its 2013 date) replaced."""
    created = document.created or datetime.now(UTC)
    if created.tzinfo is not None:
        # python-docx writes the clock time as UTC whatever the zone.
        created = created.astimezone(UTC).replace(tzinfo=None)
    properties = word.core_properties
    properties.title = document.title
    properties.author = properties.last_modified_by = document.author
    properties.language = _LANGUAGE_TAGS.get(document.language, document.language)
    properties.created = properties.modified = created
    properties.comments = properties.subject = properties.keywords = ""
    properties.revision = 1


def _size(rpr: BaseOxmlElement, points: float) -> None:
    """A font size for Latin and complex-script (Arabic) text alike."""
    half_points = str(round(points * 2))
    _child(rpr, "w:sz", _RPR, val=half_points)
    _child(rpr, "w:szCs", _RPR, val=half_points)


def _child(
    parent: BaseOxmlElement, tag: str, order: tuple[str, ...], **attributes: str
) -> BaseOxmlElement:
    """`parent`'s `tag` child, added in schema order when missing, with `attributes` set.

    Elements python-docx has no class for are plain lxml elements: only lxml's own methods
    are used on them, here and by callers."""
    child = parent.find(qn(tag))
    if child is None:
        child = OxmlElement(tag)
        later = {qn(name) for name in order[order.index(tag) + 1 :]}
        successor = next((sibling for sibling in parent if sibling.tag in later), None)
        if successor is None:
            parent.append(child)
        else:
            successor.addprevious(child)
    for name, value in attributes.items():
        child.set(qn(f"w:{name}"), value)
    return cast("BaseOxmlElement", child)
