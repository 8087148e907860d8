"""`python -m bot report` and `python -m bot calendar`: the files of /report and /calendar for
an operator (a scheduled export, say). The operator sees what an admin sees; restricted items
only with --include-restricted."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from bot.cli_common import with_services
from bot.config import Settings
from bot.documents import files
from bot.documents.calendar import calendar_bytes
from bot.documents.report import file_name, report_document, report_workbook
from bot.i18n import translator
from bot.views import milestones as milestone_views
from domain.models import LANGUAGES
from services.charts import render_progress_chart
from services.container import Services
from services.reports import CalendarItems, Period, ReportData, ReportFormat


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`report` and `calendar`."""
    report = commands.add_parser(
        "report",
        help="write a partnership's activity report for a period (PDF, Word or Excel)",
        description="The report /report sends: meetings with their decisions, open actions,"
        " challenges with their history, the plan's progress and a map, for the days FROM to"
        " TO (both included, YYYY-MM-DD). Restricted meetings and challenges are left out"
        " unless --include-restricted is given; then the file is marked RESTRICTED.",
    )
    report.add_argument("--partnership", required=True, help="the partnership's slug")
    report.add_argument("--from", dest="start", required=True, type=date.fromisoformat)
    report.add_argument("--to", dest="end", required=True, type=date.fromisoformat)
    report.add_argument(
        "--format", choices=[kind.value for kind in ReportFormat], default=ReportFormat.PDF.value
    )
    report.add_argument("--language", choices=LANGUAGES, default="en")
    report.add_argument("--include-restricted", action="store_true")
    report.add_argument(
        "--out", type=Path, help="the file to write (default: the report's own name, here)"
    )
    report.set_defaults(handler=_report)
    calendar = commands.add_parser(
        "calendar",
        help="write a partnership's calendar file (meetings, action and milestone due dates)",
        description="An .ics file (RFC 5545) of the partnership's meetings of the last year"
        " and to come (restricted ones left out), the due dates of its open follow-up actions"
        " and of its open milestones. Each item keeps its identifier, so importing a newer"
        " file updates the calendar instead of duplicating it.",
    )
    calendar.add_argument("--partnership", required=True, help="the partnership's slug")
    calendar.add_argument("--language", choices=LANGUAGES, default="en")
    calendar.add_argument("--out", type=Path, help="the file to write (default: stdout)")
    calendar.set_defaults(handler=_calendar)


def render_report(data: ReportData, file_format: ReportFormat, language: str) -> bytes:
    """A report's file, as /report writes it."""
    _ = translator(language)
    if file_format is ReportFormat.XLSX:
        return files.render_workbook(report_workbook(data, _))
    chart = (
        render_progress_chart(milestone_views.chart_of(_, data.chart, data.partnership))
        if data.pillars
        else None
    )
    document = report_document(data, _, chart_png=chart, map_png=files.challenge_map(data, _))
    return files.render_document(document, file_format)


def _report(arguments: argparse.Namespace, settings: Settings) -> int:
    file_format = ReportFormat(arguments.format)
    period = Period(arguments.start, arguments.end)

    async def work(services: Services) -> ReportData:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        data = await services.reports.for_operator(
            partnership, period, include_restricted=arguments.include_restricted
        )
        await services.reports.record(
            data, actor_id=None, file_format=file_format.value, language=arguments.language
        )
        return data

    data = with_services(settings, work)
    content = render_report(data, file_format, arguments.language)
    out: Path = arguments.out or Path(file_name(data, file_format.value))
    try:
        out.write_bytes(content)
    except OSError as error:
        print(f"error: cannot write {out}: {error.strerror}", file=sys.stderr)
        return 1
    print(
        f"Wrote {out}: {len(data.meetings)} meetings, {len(data.challenges)} challenges"
        + (" (RESTRICTED)." if data.restricted else ".")
    )
    return 0


def _calendar(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> tuple[CalendarItems, datetime]:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        return await services.reports.partnership_calendar(partnership), services.clock()

    items, now = with_services(settings, work)
    content, name = calendar_bytes(items, translator(arguments.language), now)
    count = items.count
    if arguments.out is None:
        sys.stdout.write(content.decode("utf-8"))
        return 0
    try:
        arguments.out.write_bytes(content)
    except OSError as error:
        print(f"error: cannot write {arguments.out}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"Wrote {count} dates to {arguments.out} ({name}).")
    return 0
