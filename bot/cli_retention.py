"""`python -m bot retention`: show and set a partnership's retention rules, and apply them
now (or see, with --dry-run, what applying them would clear)."""

from __future__ import annotations

import argparse
import sys

from bot.cli_common import with_services
from bot.config import Settings
from services.container import Services
from services.retention import SPECS, RetentionReport, Rule, Rules, Unit

OFF = "off"


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`retention show`, `retention set` and `retention apply`."""
    retention = commands.add_parser(
        "retention",
        help="how long partnerships keep sent texts, drafts, challenge files, departed names",
    )
    actions = retention.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", help="a partnership's rules")
    show.add_argument("--partnership", required=True, help="the partnership's slug")
    show.set_defaults(handler=_show)

    change = actions.add_parser(
        "set",
        help="change one rule of a partnership",
        description="Rules: "
        + "; ".join(f"{rule.value} (in {SPECS[rule].unit.value})" for rule in Rule)
        + ". 'off' keeps the records for ever (not allowed for drafts).",
    )
    change.add_argument("--partnership", required=True, help="the partnership's slug")
    change.add_argument("--rule", required=True, choices=[rule.value for rule in Rule])
    amount = change.add_mutually_exclusive_group(required=True)
    amount.add_argument("--days", metavar="N|off", type=_amount, help="for rules in days")
    amount.add_argument("--months", metavar="N|off", type=_amount, help="for rules in months")
    change.set_defaults(handler=_set)

    apply = actions.add_parser(
        "apply", help="clear now what every partnership's rules say is due (the daily job)"
    )
    apply.add_argument(
        "--dry-run", action="store_true", help="only say what would be cleared; change nothing"
    )
    apply.set_defaults(handler=_apply)


def _amount(text: str) -> int | None:
    if text.lower() == OFF:
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number or '{OFF}', not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


def describe(rule: Rule, value: int | None) -> str:
    """A rule's value for the terminal: '30 days', 'off'."""
    return OFF if value is None else f"{value} {SPECS[rule].unit.value}"


def _lines(slug: str, rules: Rules) -> list[str]:
    return [f"Retention in {slug}:"] + [
        f"  {rule.value}: {describe(rule, rules[rule])}"
        + ("" if not rules.is_default(rule) else " (default)")
        for rule in Rule
    ]


def _show(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> Rules:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        return await services.retention.rules(partnership)

    print("\n".join(_lines(arguments.partnership, with_services(settings, work))))
    return 0


def _set(arguments: argparse.Namespace, settings: Settings) -> int:
    rule = Rule(arguments.rule)
    unit = SPECS[rule].unit
    given = Unit.DAYS if arguments.months is None else Unit.MONTHS
    if given is not unit:
        print(f"error: {rule.value} is set in {unit.value}: use --{unit.value}", file=sys.stderr)
        return 2
    value = arguments.days if given is Unit.DAYS else arguments.months

    async def work(services: Services) -> Rules:
        partnership = await services.partnerships.by_slug(arguments.partnership)
        return await services.retention.set_partnership_rule(partnership, rule, value)

    print("\n".join(_lines(arguments.partnership, with_services(settings, work))))
    return 0


def report_lines(report: RetentionReport) -> list[str]:
    """What a run cleared (or, dry, would clear), per partnership and rule."""
    verb = "would clear" if report.dry_run else "cleared"
    if not report.counts:
        return [f"Retention: nothing to clear ({'dry run' if report.dry_run else 'applied'})."]
    lines = [f"Retention ({'dry run, nothing changed' if report.dry_run else 'applied'}):"]
    for count in report.counts:
        where = count.partnership.slug if count.partnership else "(no partnership)"
        lines.append(f"  {where} {count.rule.value}: {verb} {count.count}")
    return lines


def _apply(arguments: argparse.Namespace, settings: Settings) -> int:
    async def work(services: Services) -> RetentionReport:
        return await services.retention.apply(dry_run=arguments.dry_run)

    print("\n".join(report_lines(with_services(settings, work))))
    return 0
