"""The command line: run the bot, try it in a console, and administer partnerships."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

from pydantic import ValidationError

from bot.config import Mode, Settings, explain
from services.clock import utc_now
from services.container import Services
from services.errors import ServiceError
from storage.db import Database
from storage.models import LANGUAGES, PartnershipKind, Role

T = TypeVar("T")
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
    invite_create.set_defaults(handler=_invite_create)
    invite_revoke = invite_commands.add_parser("revoke", help="make a code unusable")
    invite_revoke.add_argument("code")
    invite_revoke.set_defaults(handler=_invite_revoke)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    arguments = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(explain(error), file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL, and URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    handler: Callable[[argparse.Namespace, Settings], int] = arguments.handler
    try:
        return handler(arguments, settings)
    except ServiceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _run(arguments: argparse.Namespace, settings: Settings) -> int:
    if settings.bot_token is None:
        print("No BOT_TOKEN configured: starting the local console on demo data.\n")
        return _console(
            argparse.Namespace(script=None, database=DEMO_DATABASE, fresh=False), settings
        )
    from bot.app import build_application

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


def _console(arguments: argparse.Namespace, settings: Settings) -> int:
    from bot.console import run_console

    return asyncio.run(
        run_console(
            settings, database=arguments.database, script=arguments.script, fresh=arguments.fresh
        )
    )


def _with_services(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    async def go() -> T:
        db = Database(settings.database_path)
        await db.open()
        try:
            return await work(Services.create(db, utc_now))
        finally:
            await db.close()

    return asyncio.run(go())


def _partnership_create(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> str:
        created = await services.partnerships.create(
            name=arguments.name,
            kind=PartnershipKind(arguments.kind),
            countries=tuple(arguments.countries.split(",")),
            timezone=arguments.timezone,
            language=arguments.language,
            slug=arguments.slug,
        )
        return created.slug

    slug = _with_services(settings, work)
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

    for line in _with_services(settings, work) or ["(no partnerships yet)"]:
        print(line)
    return 0


def _admin(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> str:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        await services.partnerships.add_member(
            partnership, user_id=arguments.user_id, name=arguments.name, role=Role.ADMIN
        )
        return partnership.name

    name = _with_services(settings, work)
    print(f"User {arguments.user_id} is now an admin of {name}.")
    return 0


def _invite_create(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> tuple[str, str]:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        invite = await services.invites.create(
            partnership,
            role=Role(arguments.role),
            max_uses=arguments.uses,
            valid_days=arguments.days,
        )
        return invite.code, invite.expires_at.isoformat(timespec="minutes")

    code, until = _with_services(settings, work)
    print(
        f"Invite code: {code} (role {arguments.role}, {arguments.uses} use(s), until {until} UTC)"
    )
    username = arguments.bot_username or "<your_bot_username>"
    print(f"Deep link:   https://t.me/{username.lstrip('@')}?start={code}")
    return 0


def _invite_revoke(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> bool:
        return await services.invites.revoke(arguments.code)

    if not _with_services(settings, work):
        print(f"No invite with code {arguments.code}.", file=sys.stderr)
        return 1
    print("Revoked.")
    return 0
