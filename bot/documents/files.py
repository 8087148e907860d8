"""Writing documents to bytes, in worker threads: the writer of each format, imported when a
file is first written (they are heavy, and most updates never need them), and the map of
challenges (matplotlib is loaded at start for charts anyway)."""

from __future__ import annotations

from bot.documents.model import Document, Workbook
from bot.i18n import N_, Translator
from bot.views import challenges as challenge_views
from domain.challenges import Severity
from services.maps import MapPoint, MapTexts, country_names
from services.maps import challenge_map as draw_map
from services.reports import ReportData, ReportFormat

MAP_ATTRIBUTION = N_(
    "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com."
)


def render_document(document: Document, file_format: ReportFormat) -> bytes:
    """A report or minutes as a PDF or Word file."""
    if file_format is ReportFormat.PDF:
        from bot.documents.pdf import render_pdf

        return render_pdf(document)
    if file_format is ReportFormat.DOCX:
        from bot.documents.docx import render_docx

        return render_docx(document)
    raise ValueError(f"not a document format: {file_format}")


def render_workbook(workbook: Workbook) -> bytes:
    """A workbook as an Excel file."""
    from bot.documents.xlsx import render_xlsx

    return render_xlsx(workbook)


def challenge_map(data: ReportData, _: Translator) -> bytes | None:
    """The map of the period's challenges that have a location; None when none has."""
    points = [
        MapPoint(c.latitude, c.longitude, c.severity, f"#{c.id}")
        for c in (record.challenge for record in data.challenges)
        if c.latitude is not None and c.longitude is not None
    ]
    if not points:
        return None
    return draw_map(points, map_texts(_, data.partnership.name), rtl=_.rtl)


def map_texts(_: Translator, title: str) -> MapTexts:
    """The map's words in the reader's language."""
    return MapTexts(
        title=title,
        legend={s: challenge_views.severity_name(_, s) for s in Severity},
        attribution=_.text(MAP_ATTRIBUTION),
        empty=_.text(N_("No challenge with a location in this period.")),
        countries=country_names(_.locale),
    )
