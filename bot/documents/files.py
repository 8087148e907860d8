"""Writing documents to bytes: the writer of each format, imported when a file is first
written (they are heavy, and most updates never need them), the map of challenges, and the
worker process the bot writes them in (`in_worker`).

A report's PDF is seconds of pure Python: in a thread it would share the interpreter's lock
with the bot, whose answers to everyone else would slow down meanwhile; in a process of its
own it takes the other core.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

from bot.documents.model import Document, Workbook
from bot.i18n import N_, Translator
from bot.views import challenges as challenge_views
from domain.challenges import Severity
from services.maps import MapPoint, MapTexts, country_names
from services.maps import challenge_map as draw_map
from services.reports import ReportData, ReportFormat

P = ParamSpec("P")
T = TypeVar("T")


class _Worker:
    """One process, started when first needed, that writes documents one after another."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # "spawn": a fork of the bot would copy its threads' locks in whatever state.
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
            return self._pool

    def forget(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None


_WORKER = _Worker()


async def in_worker(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args)` in the document process; a process that died (killed, out of
    memory) is replaced once."""
    loop = asyncio.get_running_loop()
    for attempt in (1, 2):
        pool = _WORKER.pool()
        try:
            return await loop.run_in_executor(pool, _call, function, args, kwargs)
        except BrokenProcessPool:
            _WORKER.forget(pool)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _call(function: Callable[..., T], args: tuple[object, ...], kwargs: dict[str, object]) -> T:
    return function(*args, **kwargs)


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


def map_of(data: ReportData, _: Translator) -> tuple[list[MapPoint], MapTexts] | None:
    """What the map of the period's challenges shows, in the reader's words; None when no
    challenge has a location."""
    points = [
        MapPoint(c.latitude, c.longitude, c.severity, f"#{c.id}")
        for c in (record.challenge for record in data.challenges)
        if c.latitude is not None and c.longitude is not None
    ]
    if not points:
        return None
    return points, map_texts(_, data.partnership.name)


def challenge_map(data: ReportData, _: Translator) -> bytes | None:
    """The map of the period's challenges that have a location; None when none has."""
    shown = map_of(data, _)
    return None if shown is None else draw_map(*shown, rtl=_.rtl)


def map_texts(_: Translator, title: str) -> MapTexts:
    """The map's words in the reader's language."""
    return MapTexts(
        title=title,
        legend={s: challenge_views.severity_name(_, s) for s in Severity},
        attribution=_.text(MAP_ATTRIBUTION),
        empty=_.text(N_("No challenge with a location in this period.")),
        countries=country_names(_.locale),
    )
