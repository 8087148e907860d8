"""The command line: run the bot, try it in a console, and administer partnerships."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import ValidationError

from bot import cli_audit, cli_backup, cli_reports, cli_retention
from bot.cli_common import with_services
from bot.config import Mode, Settings, explain
from bot.logs import configure_logging
from domain.models import LANGUAGES, Invite, PartnershipKind, Role
from services.backups import DamagedDatabase, check_health
from services.contact_csv import COLUMNS, CsvRefused, FileProblem
from services.contact_fields import OrganisationType
from services.contact_files import Layout
from services.contacts import ExportFormat, ImportReport
from services.container import Services
from services.digests import Frequency, Schedule
from services.errors import NotFound, ServiceError
from services.milestones import ImportReport as ImportedPlan
from services.plan_file import DEFAULT_PLAN, PlanFile, PlanRefused, parse_plan

DEMO_DATABASE = Path("var/demo.sqlite3")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Partnerbot: the Telegram bot of anti-smuggling operational partnerships.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run the bot (the console on demo data when no BOT_TOKEN is set)",
        description="Run the bot with BOT_TOKEN in polling or webhook mode (MODE setting)."
        " Without a token, start the local console on demo data instead.",
    )
    run.set_defaults(handler=_run)

    status = commands.add_parser(
        "status",
        help="tell whether the bot is healthy, from its database (exit status 1 if not)",
        description="Read the database: is it reachable, how many deliveries wait or were"
        " given up, when the outbox last sent a message, which update was handled last."
        " Exits with 0 when healthy, 1 when not.",
    )
    status.set_defaults(handler=_status)

    console = commands.add_parser(
        "console",
        help="chat with the bot in this terminal, on demo data, with no token",
        description="The real bot on a local SQLite file with demo data, answering in this"
        " terminal. Lines starting with :: are instructions (::help lists them).",
    )
    console.add_argument("--script", type=Path, help="replay the lines of FILE and exit")
    console.add_argument(
        "--database", type=Path, default=DEMO_DATABASE, help=f"default: {DEMO_DATABASE}"
    )
    console.add_argument("--fresh", action="store_true", help="start from new demo data")
    console.set_defaults(handler=_console)

    partnership = commands.add_parser("partnership", help="create and list partnerships")
    partnership_commands = partnership.add_subparsers(dest="action", required=True)
    create = partnership_commands.add_parser("create", help="create a partnership")
    create.add_argument("--name", required=True, help='e.g. "COP Mauritania"')
    create.add_argument(
        "--kind", required=True, choices=[k.value for k in PartnershipKind], help="kind"
    )
    create.add_argument("--countries", default="", help='comma-separated, e.g. "Senegal,Mali"')
    create.add_argument("--timezone", default="UTC", help="IANA timezone, e.g. Africa/Dakar")
    create.add_argument("--language", default="en", choices=LANGUAGES, help="default language")
    create.add_argument("--slug", help="short name used on the command line (derived if omitted)")
    create.add_argument(
        "--plan",
        default=None,
        metavar="FILE|none",
        help="its action plan: a YAML file, or none (default: the EU action plan 2021-2025)",
    )
    create.set_defaults(handler=_partnership_create)
    listing = partnership_commands.add_parser("list", help="list partnerships")
    listing.set_defaults(handler=_partnership_list)

    admin = commands.add_parser("admin", help="make a Telegram user admin of a partnership")
    admin.add_argument("--partnership", required=True, help="the partnership's slug")
    admin.add_argument("--user-id", required=True, type=int, help="the Telegram user id")
    admin.add_argument("--name", default="", help="their name, until Telegram tells us")
    admin.set_defaults(handler=_admin)

    invite = commands.add_parser("invite", help="create or revoke invite codes")
    invite_commands = invite.add_subparsers(dest="action", required=True)
    invite_create = invite_commands.add_parser("create", help="create an invite")
    invite_create.add_argument("--partnership", required=True, help="the partnership's slug")
    invite_create.add_argument(
        "--role", default=Role.MEMBER.value, choices=[r.value for r in Role], help="role"
    )
    invite_create.add_argument("--uses", type=int, default=1, help="how many people (1-500)")
    invite_create.add_argument("--days", type=int, default=7, help="valid for days (1-90)")
    invite_create.add_argument("--bot-username", help="to print the t.me deep link")
    invite_create.add_argument(
        "--organisation", help="recorded as the confirmed organisation of everyone who joins"
    )
    invite_create.add_argument(
        "--country", help="recorded as the confirmed country of everyone who joins"
    )
    invite_create.set_defaults(handler=_invite_create)
    invite_revoke = invite_commands.add_parser("revoke", help="make a code unusable")
    invite_revoke.add_argument("code")
    invite_revoke.set_defaults(handler=_invite_revoke)

    member = commands.add_parser(
        "member", help="people removed from a partnership; erasing a person"
    )
    member_commands = member.add_subparsers(dest="action", required=True)
    readmit = member_commands.add_parser(
        "readmit", help="let someone who was removed join again with an invite"
    )
    readmit.add_argument("--partnership", required=True, help="the partnership's slug")
    readmit.add_argument("--user-id", required=True, type=int, help="their Telegram user id")
    readmit.set_defaults(handler=_member_readmit)
    erase = member_commands.add_parser(
        "erase",
        help="forget a person: out of every partnership, name and personal data erased",
        description="Take the person out of every partnership and erase what is theirs (card,"
        " drafts, settings, the texts of messages sent to them); meetings, challenges and"
        " milestones keep their part as 'former member', and their name, @username and phone"
        " numbers are replaced wherever a text holds them. The audit log records the erasure,"
        " not the data. This cannot be undone.",
    )
    erase.add_argument("--user-id", required=True, type=int, help="their Telegram user id")
    erase.set_defaults(handler=_member_erase)

    contacts = commands.add_parser(
        "contacts",
        help="import or export a partnership's contact directory (CSV or vCard)",
        description="Partnerbot's CSV files are UTF-8 with commas between columns and a first"
        f" row naming the columns: {', '.join(COLUMNS)}. Only name and organisation are"
        " required; expertise topics are separated by semicolons, languages by commas, and"
        " phone numbers carry their country code. organisation_type is empty or one of:"
        f" {', '.join(kind.value for kind in OrganisationType)}. Imports also read the CSV"
        " exports of Google Contacts and Outlook, and vCard files (.vcf) from phones and mail"
        " programs; UTF-16 files with a byte-order mark are read too.",
    )
    contact_commands = contacts.add_subparsers(dest="action", required=True)
    contacts_import = contact_commands.add_parser(
        "import",
        help="add or update contacts from a CSV or vCard file",
        description="Add the file's contacts to the partnership's directory. A row (or card)"
        " with the same name and organisation, or the same phone number, as a contact already"
        " there updates it. If any row is invalid, nothing is imported and every problem is"
        " listed by line number (by card number in a vCard file), unless --skip-invalid is"
        " given.",
    )
    contacts_import.add_argument("--partnership", required=True, help="the partnership's slug")
    contacts_import.add_argument("file", type=Path, metavar="FILE", help="the CSV or vCard file")
    contacts_import.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows, leave out the others"
    )
    contacts_import.set_defaults(handler=_contacts_import)
    contacts_export = contact_commands.add_parser(
        "export",
        help="write the directory as a CSV or vCard file",
        description="Write every contact of the partnership as CSV (UTF-8), or as one vCard"
        " file (.vcf) that phones import, to FILE or to the standard output; either file can"
        " be imported again unchanged, and the CSV can be edited first.",
    )
    contacts_export.add_argument("--partnership", required=True, help="the partnership's slug")
    contacts_export.add_argument(
        "--format",
        choices=[kind.value for kind in ExportFormat],
        default=ExportFormat.CSV.value,
        help="csv (default) or vcard",
    )
    contacts_export.add_argument(
        "file", type=Path, nargs="?", metavar="FILE", help="where to write (default: stdout)"
    )
    contacts_export.set_defaults(handler=_contacts_export)
    _plan_parsers(commands)
    cli_reports.add_parsers(commands)
    cli_backup.add_parsers(commands)
    cli_audit.add_parsers(commands)
    cli_retention.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    arguments = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(explain(error), file=sys.stderr)
        return 2
    configure_logging(settings)
    handler: Callable[[argparse.Namespace, Settings], int] = arguments.handler
    try:
        return handler(arguments, settings)
    except ServiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except DamagedDatabase as damaged:
        print(f"error: {damaged}", file=sys.stderr)
        return 3


def _run(arguments: argparse.Namespace, settings: Settings) -> int:
    if settings.bot_token is None:
        print("No BOT_TOKEN configured: starting the local console on demo data.\n")
        return _console(
            argparse.Namespace(script=None, database=DEMO_DATABASE, fresh=False), settings
        )
    from bot.app import build_application
    from bot.memory import limit_malloc_arenas

    # Before the bot starts a thread (bot/memory.py says why).
    limit_malloc_arenas()
    # Before anything else starts: the bot must not write to a damaged file.
    check_health(settings.database_path)
    application = build_application(settings)
    if settings.mode is Mode.WEBHOOK:
        assert settings.webhook_url is not None
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlparse(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=(
                settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            ),
            allowed_updates=["message", "callback_query", "inline_query", "my_chat_member"],
        )
    else:
        application.run_polling(
            timeout=settings.poll_timeout,
            allowed_updates=["message", "callback_query", "inline_query", "my_chat_member"],
        )
    return 0


def _status(arguments: argparse.Namespace, settings: Settings) -> int:
    from bot.status import print_status

    return print_status(settings)


def _console(arguments: argparse.Namespace, settings: Settings) -> int:
    from bot.console import run_console

    return asyncio.run(
        run_console(
            settings, database=arguments.database, script=arguments.script, fresh=arguments.fresh
        )
    )


def _partnership_create(arguments: argparse.Namespace, settings: Settings) -> int:
    plan: PlanFile | Literal["default"] | None = "default"
    source = DEFAULT_PLAN.name
    if arguments.plan is not None and arguments.plan.lower() == "none":
        plan = None
    elif arguments.plan is not None:
        path = Path(arguments.plan)
        plan, source = _read_plan(path), path.name
        if plan is None:
            return 1

    async def work(services: Services) -> str:
        created = await services.partnerships.create(
            name=arguments.name,
            kind=PartnershipKind(arguments.kind),
            countries=tuple(arguments.countries.split(",")),
            timezone=arguments.timezone,
            language=arguments.language,
            slug=arguments.slug,
            plan=plan,
            plan_source=source,
        )
        return created.slug

    slug = with_services(settings, work)
    print(
        f"Created partnership '{slug}'. Next: python -m bot admin --partnership {slug} --user-id ID"
    )
    return 0


def _partnership_list(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> list[str]:
        return [
            "\t".join(
                (p.slug, p.name, p.kind.value, ", ".join(p.countries), p.timezone, p.language)
            )
            for p in await services.partnerships.list_all()
        ]

    for line in with_services(settings, work) or ["(no partnerships yet)"]:
        print(line)
    return 0


def _admin(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> str:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        await services.partnerships.add_member(
            partnership, user_id=arguments.user_id, name=arguments.name, role=Role.ADMIN
        )
        return partnership.name

    name = with_services(settings, work)
    print(f"User {arguments.user_id} is now an admin of {name}.")
    return 0


def _invite_create(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> Invite:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        return await services.invites.create(
            partnership,
            role=Role(arguments.role),
            max_uses=arguments.uses,
            valid_days=arguments.days,
            organisation=arguments.organisation,
            country=arguments.country,
        )

    invite = with_services(settings, work)
    until = invite.expires_at.isoformat(timespec="minutes")
    print(
        f"Invite code: {invite.code} (role {arguments.role}, {arguments.uses} use(s),"
        f" until {until} UTC)"
    )
    vouched = ", ".join(v for v in (invite.organisation, invite.country) if v)
    if vouched:
        print(f"Confirmed for everyone who joins with it: {vouched}")
    username = arguments.bot_username or "<your_bot_username>"
    print(f"Deep link:   https://t.me/{username.lstrip('@')}?start={invite.code}")
    return 0


def _invite_revoke(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> bool:
        return await services.invites.revoke(arguments.code)

    if not with_services(settings, work):
        print(f"No invite with code {arguments.code}.", file=sys.stderr)
        return 1
    print("Revoked.")
    return 0


def _member_erase(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> None:
        await services.erasure.erase_by_operator(arguments.user_id)

    try:
        with_services(settings, work)
    except NotFound:
        print(f"User {arguments.user_id} is not known: nothing to erase.", file=sys.stderr)
        return 1
    print(f"User {arguments.user_id} is erased.")
    return 0


def _member_readmit(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> str:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        await services.members.readmit(partnership, arguments.user_id)
        return partnership.name

    try:
        name = with_services(settings, work)
    except NotFound:
        print(
            f"User {arguments.user_id} was not removed from {arguments.partnership}"
            " (or the partnership does not exist): nothing to readmit.",
            file=sys.stderr,
        )
        return 1
    print(f"User {arguments.user_id} may join {name} again with an invite.")
    return 0


def _contacts_import(arguments: argparse.Namespace, settings: Settings) -> int:
    try:
        data = arguments.file.read_bytes()
    except OSError as error:
        print(f"error: cannot read {arguments.file}: {error.strerror}", file=sys.stderr)
        return 1

    async def work(services: Services) -> ImportReport:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        return await services.contacts.import_file(
            partnership, data, arguments.file.name, skip_invalid=arguments.skip_invalid
        )

    try:
        report = with_services(settings, work)
    except CsvRefused as refused:
        print(f"error: {arguments.file}: {_file_problem(refused)}", file=sys.stderr)
        return 1
    for problem in report.problems:
        print(f"{arguments.file}: {problem.describe()}", file=sys.stderr)
    rows = "cards" if report.layout is Layout.VCARD else "rows"
    if not report.applied:
        print(
            f"Nothing was imported: {report.invalid_rows} of {report.rows} {rows} have"
            f" problems. Correct them, or run again with --skip-invalid to import the other"
            f" {rows}.",
            file=sys.stderr,
        )
        return 1
    print(
        f"Imported {arguments.file}: {report.created} added, {report.updated} updated,"
        f" {report.unchanged} unchanged, {report.invalid_rows} invalid {rows} left out."
    )
    return 0


def _file_problem(refused: CsvRefused) -> str:
    """A file-level refusal in English."""
    explanations = {
        FileProblem.EMPTY: "the file is empty",
        FileProblem.ENCODING: "the file is neither UTF-8 nor UTF-16 text (save it as 'CSV UTF-8')",
        FileProblem.DELIMITER: f"columns are separated by {refused.detail!r}, not commas",
        FileProblem.NOT_CSV: "the file cannot be read as CSV",
        FileProblem.MISSING_COLUMNS: f"the first row lacks the column(s) {refused.detail}",
        FileProblem.UNKNOWN_COLUMNS: f"unknown column(s) in the first row: {refused.detail}",
        FileProblem.TOO_MANY_ROWS: f"more than {refused.detail} rows or cards: split the file",
        FileProblem.NOT_VCARD: "the file cannot be read as vCards",
    }
    explanation = explanations[refused.problem]
    if refused.problem is FileProblem.ENCODING and refused.detail.isdigit():
        explanation += f"; first problem on line {refused.detail}"
    if refused.problem is FileProblem.NOT_VCARD:
        return explanation + (f" (card {refused.detail})." if refused.detail else ".")
    return explanation + f". Expected columns: {', '.join(COLUMNS)}."


def _contacts_export(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> tuple[bytes, int]:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        return await services.contacts.export_file(partnership, ExportFormat(arguments.format))

    data, count = with_services(settings, work)
    if arguments.file is None:
        # Both formats are UTF-8; the CSV's byte-order mark is for spreadsheets, not terminals.
        sys.stdout.write(data.decode("utf-8-sig"))
        return 0
    try:
        arguments.file.write_bytes(data)
    except OSError as error:
        print(f"error: cannot write {arguments.file}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"Wrote {count} contact{'' if count == 1 else 's'} to {arguments.file}.")
    return 0


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _plan_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`plan import|export` and `digest schedule`."""
    plan = commands.add_parser(
        "plan",
        help="import or export a partnership's action plan (YAML)",
        description="The layout of a plan file is described at the top of"
        f" data/{DEFAULT_PLAN.name}, the default plan.",
    )
    plan_commands = plan.add_subparsers(dest="action", required=True)
    plan_import = plan_commands.add_parser(
        "import",
        help="replace the partnership's plan with a YAML file",
        description="Replace the partnership's plan with FILE. Milestones keep their update"
        " history where their code is unchanged; a milestone without `status` keeps its"
        " stored status and progress; milestones left out of the file are removed with their"
        " history. A file with any problem changes nothing: each problem is listed with its"
        " line.",
    )
    plan_import.add_argument("--partnership", required=True, help="the partnership's slug")
    plan_import.add_argument("file", type=Path, metavar="FILE", help="the YAML file")
    plan_import.set_defaults(handler=_plan_import)
    plan_export = plan_commands.add_parser(
        "export",
        help="write the partnership's plan as YAML",
        description="Write the plan, with each milestone's current status and progress, to"
        " FILE or to the standard output; the file can be edited and imported again.",
    )
    plan_export.add_argument("--partnership", required=True, help="the partnership's slug")
    plan_export.add_argument(
        "file", type=Path, nargs="?", metavar="FILE", help="where to write (default: stdout)"
    )
    plan_export.set_defaults(handler=_plan_export)

    digest = commands.add_parser("digest", help="a partnership's default digest schedule")
    digest_commands = digest.add_subparsers(dest="action", required=True)
    schedule = digest_commands.add_parser(
        "schedule",
        help="show or change when members get the digest (unless they chose themselves)",
        description="Without options, show the schedule. Times are in the partnership's"
        " timezone; the default is weekly, on Monday at 08:00.",
    )
    schedule.add_argument("--partnership", required=True, help="the partnership's slug")
    schedule.add_argument("--frequency", choices=[f.value for f in Frequency])
    schedule.add_argument("--day", choices=WEEKDAYS, help="for weekly digests")
    schedule.add_argument("--hour", type=int, choices=range(24), metavar="0-23")
    schedule.set_defaults(handler=_digest_schedule)


def _read_plan(path: Path) -> PlanFile | None:
    """A plan file, or None after printing why it cannot be used."""
    try:
        return parse_plan(path.read_bytes())
    except OSError as error:
        print(f"error: cannot read {path}: {error.strerror}", file=sys.stderr)
    except PlanRefused as refused:
        for problem in refused.problems:
            print(f"{path}: {problem.describe()}", file=sys.stderr)
        print(f"Nothing was imported: {path} has problems.", file=sys.stderr)
    return None


def _plan_import(arguments: argparse.Namespace, settings: Settings) -> int:
    plan = _read_plan(arguments.file)
    if plan is None:
        return 1

    async def work(services: Services) -> tuple[str, ImportedPlan]:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        report = await services.milestones.import_plan(
            partnership, plan, source=arguments.file.name
        )
        return partnership.name, report

    name, report = with_services(settings, work)
    print(
        f"Imported {arguments.file} into {name}: {report.pillars} pillars,"
        f" {len(report.added)} milestones added, {len(report.updated)} updated,"
        f" {len(report.unchanged)} unchanged,"
        f" {len(report.removed)} removed."
    )
    if report.removed:
        print(
            f"Removed: {', '.join(report.removed)} (with {report.removed_updates} history entries)."
        )
    if report.unresolved:
        print(
            f"Kept as text, giving nobody the right to update (no member of {name} has these"
            f" usernames; import again once they joined): {', '.join(report.unresolved)}"
        )
    return 0


def _plan_export(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> tuple[str, int]:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        return await services.milestones.export_plan(partnership)

    text, count = with_services(settings, work)
    if arguments.file is None:
        sys.stdout.write(text)
        return 0
    try:
        arguments.file.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"error: cannot write {arguments.file}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"Wrote the plan ({count} milestone{'' if count == 1 else 's'}) to {arguments.file}.")
    return 0


def _digest_schedule(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> tuple[str, Schedule]:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        schedule = await services.digests.partnership_schedule(partnership)
        if arguments.frequency or arguments.day or arguments.hour is not None:
            schedule = Schedule(
                Frequency(arguments.frequency) if arguments.frequency else schedule.frequency,
                WEEKDAYS.index(arguments.day) if arguments.day else schedule.weekday,
                schedule.hour if arguments.hour is None else arguments.hour,
            )
            await services.digests.set_partnership_schedule(partnership, schedule)
        return partnership.timezone, schedule

    timezone, schedule = with_services(settings, work)
    when = {
        Frequency.OFF: "off",
        Frequency.DAILY: f"daily at {schedule.hour:02}:00",
        Frequency.WEEKLY: f"weekly on {WEEKDAYS[schedule.weekday].title()} at"
        f" {schedule.hour:02}:00",
    }[schedule.frequency]
    print(f"Digests: {when} ({timezone}), for members who did not choose their own.")
    return 0
