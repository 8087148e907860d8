"""How digests and digest settings read, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, time
from typing import Any, Literal, TypeVar

from babel.dates import format_time, get_day_names
from markupsafe import Markup

from bot.commands import COMMANDS
from bot.i18n import N_, Translator
from bot.views.milestones import day, milestone_list
from bot.views.render import bold, format_moment
from domain.milestones import Milestone
from domain.models import cldr_locale
from services.digests import DUE_SOON_DAYS, Digest, DigestSettings, Frequency, Schedule

SEVERITIES = {
    "critical": N_("critical"),
    "high": N_("high"),
    "medium": N_("medium"),
    "low": N_("low"),
}
SETTINGS_BUTTON = N_("⚙️ Digest settings")
MILESTONES_BUTTON = N_("📋 Milestones")
FREQUENCY_NAMES = {
    Frequency.WEEKLY: N_("Weekly"),
    Frequency.DAILY: N_("Daily"),
    Frequency.OFF: N_("Off"),
}

#: The word after /digest that opens the settings, in the reader's language; the command
#: understands it in every language (bot/handlers/digests.py).
SETTINGS_WORD = N_("settings")


def weekday_name(
    weekday: int, language: str, width: Literal["wide", "abbreviated"] = "wide"
) -> str:
    """Monday (0) to Sunday (6) in the reader's language (CLDR names)."""
    return str(get_day_names(width, locale=cldr_locale(language))[weekday])


def hour_text(hour: int, language: str) -> str:
    """08:00, or 8:00 AM, as the reader's language writes a time."""
    return format_time(time(hour), "short", locale=cldr_locale(language))


def schedule_text(_: Translator, schedule: Schedule) -> Markup:
    """`Weekly, on Monday at 08:00`, `Daily at 07:00` or `Off`."""
    when = hour_text(schedule.hour, _.language)
    if schedule.frequency is Frequency.WEEKLY:
        return _(
            "Weekly, on {day} at {time}",
            day=weekday_name(schedule.weekday, _.language),
            time=when,
        )
    if schedule.frequency is Frequency.DAILY:
        return _("Daily at {time}", time=when)
    return _("Off: no scheduled digests")


def _has_command(name: str) -> bool:
    """Whether the bot offers a command (features are added over time)."""
    return any(command.name == name for command in COMMANDS)


#: What many digests of one run share, rendered once: lists of milestones, moments.
Memo = dict[Hashable, Any]
T = TypeVar("T")


def _once(memo: Memo, key: Hashable, make: Callable[[], T]) -> T:
    """What `make` gives, made once per `key` in `memo`."""
    if key not in memo:
        memo[key] = make()
    made: T = memo[key]
    return made


def _listed(_: Translator, milestones: list[Milestone], today: date, memo: Memo) -> list[Markup]:
    """`milestone_list` in the long form, once per language, list and day in `memo`."""
    key = ("list", _.language, today, tuple(milestones))
    return _once(memo, key, lambda: milestone_list(_, milestones, today, "long"))


def digest_text(_: Translator, digest: Digest, memo: Memo | None = None) -> Markup:
    """A digest: overdue, due soon, completed since the last digest, then activity. Many
    digests rendered with one `memo` render what they share once."""
    memo = {} if memo is None else memo
    timezone = digest.partnership.timezone
    # A digest is read as a report, so its dates name the month, as a meeting's card does.
    since = _once(
        memo,
        ("since", _.language, timezone, digest.since),
        lambda: format_moment(digest.since, timezone, _.language, "long"),
    )
    parts: list[Markup] = [
        Markup("📰 ") + bold(_("Digest of {partnership}", partnership=digest.partnership.name)),
        _(
            "{today} · overall progress {progress} %",
            today=day(digest.today, _.language, "full"),
            progress=digest.overall.progress,
        ),
    ]
    if digest.overdue:
        parts += [Markup(""), bold(_("⚠️ Overdue ({count})", count=len(digest.overdue)))]
        parts += _listed(_, digest.overdue, digest.today, memo)
    if digest.due_soon:
        title = _(
            "📅 Due in the next {days} days ({count})",
            days=DUE_SOON_DAYS,
            count=len(digest.due_soon),
        )
        parts += [Markup(""), bold(title)]
        parts += _listed(_, digest.due_soon, digest.today, memo)
    if digest.completed:
        title = _("✅ Completed since {since} ({count})", since=since, count=len(digest.completed))
        parts += [Markup(""), bold(title)]
        parts += _listed(_, digest.completed, digest.today, memo)
    if digest.empty:
        parts += [
            Markup(""),
            _(
                "Nothing is overdue, nothing is due in the next {days} days, and no milestone"
                " was completed since {since}.",
                days=DUE_SOON_DAYS,
                since=since,
            ),
        ]
    parts += _activity(_, digest, since)
    links = [Markup("/milestones")]
    if digest.personal:
        links.append(Markup("/digest ") + _.text(SETTINGS_WORD))
    parts += [Markup(""), _("More: {links}", links=Markup(" · ").join(links))]
    return Markup("\n").join(parts)


def _activity(_: Translator, digest: Digest, since: str) -> list[Markup]:
    """What other features report; a section appears only where a feature reported."""
    activity = digest.activity
    lines: list[Markup] = []
    if activity.meetings is not None:
        line = _.plural(
            "🤝 {count} meeting held since {since}",
            "🤝 {count} meetings held since {since}",
            activity.meetings,
            since=since,
        )
        lines.append(line + _link("meetings"))
    if activity.challenges is not None:
        counts = Markup(" · ").join(
            _("{severity}: {count}", severity=_.text(label), count=activity.challenges.get(key, 0))
            for key, label in SEVERITIES.items()
        )
        lines.append(_("🚩 New challenges: {counts}", counts=counts) + _link("challenges"))
    if digest.personal and activity.actions_open is not None:
        line = _(
            "📌 Your follow-up actions: {open} open, {overdue} overdue",
            open=activity.actions_open,
            overdue=activity.actions_overdue or 0,
        )
        lines.append(line + _link("actions"))
    return [Markup(""), *lines] if lines else []


def _link(command: str) -> Markup:
    return Markup(" — /{}").format(command) if _has_command(command) else Markup("")


def settings_text(_: Translator, settings: DigestSettings) -> Markup:
    """A recipient's schedule, where it comes from, and the next digest."""
    partnership = settings.partnership
    if settings.group:
        title = _("🗓 Digest of {partnership} in this group", partnership=partnership.name)
    else:
        title = _("🗓 Your digest of {partnership}", partnership=partnership.name)
    parts: list[Markup] = [
        bold(title),
        _(
            "{schedule} ({timezone})",
            schedule=schedule_text(_, settings.schedule),
            timezone=partnership.timezone,
        ),
    ]
    if not settings.group:
        parts.append(
            _("This is your own choice.")
            if settings.own
            else _("This is the partnership's schedule.")
        )
    if settings.next_at is not None:
        parts.append(
            _(
                "Next digest: {when}",
                when=format_moment(settings.next_at, partnership.timezone, _.language),
            )
        )
    parts += [Markup(""), _("Change it with the buttons. /digest sends one now.")]
    return Markup("\n").join(parts)
