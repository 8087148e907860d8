"""`python -m bot audit export`: a partnership's audit log as a file, for an operator."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from bot.cli_common import with_services
from bot.config import Settings
from services.audit import AuditLine, export_csv, export_json
from services.container import Services

FORMATS = ("csv", "json", "jsonl")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`audit export`."""
    audit = commands.add_parser("audit", help="a partnership's audit log")
    audit_commands = audit.add_subparsers(dest="action", required=True)
    export = audit_commands.add_parser(
        "export",
        help="write every entry of a partnership's audit log as CSV or JSON",
        description="Every entry of the partnership's audit log, oldest first: when (UTC),"
        " who (their Telegram id and name; Partnerbot for the bot itself), the action and"
        " its details. Only the details that are safe to share are written: ids, roles,"
        " statuses, counts, formats and periods, never invite codes, names of contacts or"
        " typed texts. CSV is UTF-8 with a byte-order mark; json writes one array, jsonl one"
        " object a line. --since and --until are days (YYYY-MM-DD, both included) in the"
        " partnership's time zone.",
    )
    export.add_argument("--partnership", required=True, help="the partnership's slug")
    export.add_argument("--format", choices=FORMATS, default="csv", help="csv (default)")
    export.add_argument("--since", type=date.fromisoformat, metavar="DATE", help="first day")
    export.add_argument("--until", type=date.fromisoformat, metavar="DATE", help="last day")
    export.add_argument("--out", metavar="FILE", help="where to write (default: stdout)")
    export.set_defaults(handler=_export)


def _export(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> list[AuditLine]:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        return await services.audit.entries(
            partnership, since=arguments.since, until=arguments.until
        )

    lines = with_services(settings, work)
    if arguments.format == "csv":
        data = export_csv(lines)
    else:
        data = export_json(lines, one_per_line=arguments.format == "jsonl")
    if arguments.out is None:
        # The byte-order mark is for spreadsheets, not terminals.
        sys.stdout.write(data.decode("utf-8-sig"))
        return 0
    try:
        with open(arguments.out, "wb") as file:
            file.write(data)
    except OSError as error:
        print(f"error: cannot write {arguments.out}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"Wrote {len(lines)} entr{'y' if len(lines) == 1 else 'ies'} to {arguments.out}.")
    return 0
