"""Writing documents to bytes: the writer of each format, imported when a file is first
written (they are heavy, and most updates never need them), the map of challenges, and the
worker process the bot writes them in (`in_worker`).

A report's PDF is seconds of pure Python: in a thread it would share the interpreter's lock
with the bot, whose answers to everyone else would slow down meanwhile; in a process of its
own it takes the other core. The progress chart and the map of challenges are drawn there too:
matplotlib then never enters the bot's own process, which stays some 60 MB smaller.
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
from bot.memory import release_memory
from bot.views import challenges as challenge_views
from domain.challenges import Severity
from services.maps import MapPoint, MapTexts, country_names
from services.maps import challenge_map as draw_map
from services.reports import ReportData, ReportFormat

P = ParamSpec("P")
T = TypeVar("T")


#: A document process that has had nothing to do for this long is stopped, and started again
#: when next needed (in about a second): it holds matplotlib and the document writers, some
#: 90 MB that the bot would otherwise keep for good after the first chart (benchmarks/README.md,
#: "Memory and start-up").
IDLE_SECONDS = 300.0


class _Worker:
    """One process, started when first needed, that writes documents one after another, and
    stops once idle for `IDLE_SECONDS`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._busy = 0
        self._idle: asyncio.TimerHandle | None = None

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

    def begin(self) -> None:
        """A task is about to be given to the process: it is not idle."""
        self._busy += 1
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def end(self, loop: asyncio.AbstractEventLoop) -> None:
        """A task is done: once none is left, the process stops after `IDLE_SECONDS`."""
        self._busy -= 1
        if self._busy == 0 and self._idle is None:
            self._idle = loop.call_later(IDLE_SECONDS, self._stop_idle)

    def _stop_idle(self) -> None:
        self._idle = None
        if self._busy:
            return
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)


_WORKER = _Worker()


async def in_worker(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args)` in the document process; a process that died (killed, out of
    memory) is replaced once."""
    loop = asyncio.get_running_loop()
    _WORKER.begin()
    try:
        for attempt in (1, 2):
            pool = _WORKER.pool()
            try:
                return await loop.run_in_executor(pool, _call, function, args, kwargs)
            except BrokenProcessPool:
                _WORKER.forget(pool)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")
    finally:
        _WORKER.end(loop)


def _call(function: Callable[..., T], args: tuple[object, ...], kwargs: dict[str, object]) -> T:
    """Run in the document process: the function, then its garbage collected."""
    try:
        return function(*args, **kwargs)
    finally:
        release_memory()


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
