"""How the action plan reads: the overview, a pillar, a milestone with its history, the chart.

Milestone titles, owners and descriptions are data from the plan file: escaped, never
translated. Pillar titles may carry a translation per language in the file.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from markupsafe import Markup

from bot.i18n import N_, Translator
from bot.views.render import DateWidth, bold, code, format_moment, shorten
from bot.views.texts import person_name
from domain.milestones import Milestone, MilestoneStatus, Pillar
from domain.models import Partnership, cldr_locale
from services.charts import ChartTexts, PillarBar, ProgressChart, isolated_run
from services.milestones import (
    UPCOMING_DAYS,
    ChartData,
    MilestoneView,
    Overview,
    PillarView,
    Tally,
)

STATUS_NAMES = {
    MilestoneStatus.PLANNED: N_("planned"),
    MilestoneStatus.IN_PROGRESS: N_("in progress"),
    MilestoneStatus.DONE: N_("done"),
    MilestoneStatus.CANCELLED: N_("cancelled"),
}
STATUS_ICONS = {
    MilestoneStatus.PLANNED: "🗓",
    MilestoneStatus.IN_PROGRESS: "🔄",
    MilestoneStatus.DONE: "✅",
    MilestoneStatus.CANCELLED: "✖️",
}
OVERDUE_ICON = "⚠️"
#: Milestones listed per section before "and N more" (the lists stay readable on a phone).
LISTED = 12
TITLE_LENGTH = 90


def status_name(_: Translator, status: MilestoneStatus) -> str:
    """A status in the reader's language."""
    return _.text(STATUS_NAMES[status])


def day(value: date, language: str, width: DateWidth = "medium") -> str:
    """A day as people of that language write it (a list's medium form by default)."""
    return format_date(value, width, locale=cldr_locale(language))


def icon(milestone: Milestone, today: date) -> str:
    """⚠️ for an overdue milestone, else its status's icon."""
    return OVERDUE_ICON if milestone.overdue(today) else STATUS_ICONS[milestone.status]


def due_text(_: Translator, milestone: Milestone, width: DateWidth = "medium") -> Markup:
    """`due 5 Mar 2026`, `due about 1 Jan 2017` for an estimated date, or `no due date`."""
    if milestone.due_on is None:
        return _("no due date")
    when = day(milestone.due_on, _.language, width)
    if milestone.date_inferred:
        return _("due about {date}", date=when)
    return _("due {date}", date=when)


def milestone_line(
    _: Translator, milestone: Milestone, today: date, width: DateWidth = "medium"
) -> Markup:
    """One milestone in a list: icon, code, title, due date."""
    return Markup("{icon} {code} {title} — {due}").format(
        icon=icon(milestone, today),
        code=code(milestone.code),
        title=shorten(milestone.title, TITLE_LENGTH),
        due=due_text(_, milestone, width),
    )


def milestone_list(
    _: Translator, milestones: list[Milestone], today: date, width: DateWidth = "medium"
) -> list[Markup]:
    """Lines of a list, the rest counted in one line."""
    lines = [milestone_line(_, m, today, width) for m in milestones[:LISTED]]
    hidden = len(milestones) - LISTED
    if hidden > 0:
        lines.append(_.plural("… and {count} more", "… and {count} more", hidden))
    return lines


def tally_line(_: Translator, tally: Tally) -> Markup:
    """Done / in progress / planned / overdue counts and the mean progress."""
    line = _(
        "✅ {done} done · 🔄 {in_progress} in progress · 🗓 {planned} planned · ⚠️ {overdue}"
        " overdue · {progress} %",
        done=tally.done,
        in_progress=tally.in_progress,
        planned=tally.planned,
        overdue=tally.overdue,
        progress=tally.progress,
    )
    if tally.cancelled:
        line += Markup(" · ") + _.plural("{count} cancelled", "{count} cancelled", tally.cancelled)
    return line


def pillar_name(pillar: Pillar, language: str) -> str:
    """`P1 · Operational partnerships ...` in the reader's language when the plan has it."""
    return f"{pillar.code} · {pillar.title(language)}"


def overview_text(_: Translator, overview: Overview, partnership: Partnership) -> Markup:
    """The plan at a glance."""
    if overview.plan is None or not overview.pillars:
        return _(
            "{partnership} has no action plan yet. An admin can import one from a YAML file"
            " on the command line: python -m bot plan import.",
            partnership=bold(partnership.name),
        )
    overall = overview.overall
    parts: list[Markup] = [
        Markup("📋 ") + bold(overview.plan.title(_.language)),
        _(
            "{partnership} · {today}",
            partnership=partnership.name,
            today=day(overview.today, _.language),
        ),
        _(
            "Overall progress: {progress} % · {done} of {total} milestones done",
            progress=overall.progress,
            done=overall.done,
            total=overall.total,
        ),
    ]
    for summary in overview.pillars:
        parts += [Markup(""), bold(pillar_name(summary.pillar, _.language))]
        parts.append(tally_line(_, summary.tally))
    parts.append(Markup(""))
    if overview.overdue:
        parts.append(bold(_("⚠️ Overdue ({count})", count=len(overview.overdue))))
        parts += milestone_list(_, overview.overdue, overview.today)
    else:
        parts.append(_("⚠️ Nothing is overdue."))
    parts.append(Markup(""))
    if overview.upcoming:
        parts.append(
            bold(
                _(
                    "📅 Due in the next {days} days ({count})",
                    days=UPCOMING_DAYS,
                    count=len(overview.upcoming),
                )
            )
        )
        parts += milestone_list(_, overview.upcoming, overview.today)
    else:
        parts.append(_("📅 Nothing is due in the next {days} days.", days=UPCOMING_DAYS))
    parts += [
        Markup(""),
        _("Open a pillar below, or send /milestone and a code, e.g. /milestone M07."),
    ]
    return Markup("\n").join(parts)


def pillar_text(_: Translator, view: PillarView, page_milestones: list[Milestone]) -> Markup:
    """A pillar, its tally and a page of its milestones."""
    parts: list[Markup] = [
        bold(pillar_name(view.pillar, _.language)),
        tally_line(_, view.tally),
        Markup(""),
    ]
    if not view.milestones:
        parts.append(_("This pillar has no milestones."))
    parts += [milestone_line(_, m, view.today) for m in page_milestones]
    return Markup("\n").join(parts)


def progress_bar(progress: int) -> str:
    """▓▓▓▓░░░░░░ for 40 %."""
    filled = round(progress / 10)
    return "▓" * filled + "░" * (10 - filled)


def milestone_text(_: Translator, view: MilestoneView, timezone: str) -> Markup:
    """One milestone with everything known about it and its latest updates."""
    milestone = view.milestone
    parts: list[Markup] = [
        Markup("{icon} {title}").format(
            icon=icon(milestone, view.today),
            title=bold(f"{milestone.code} · {milestone.title}"),
        ),
        _("Pillar: {pillar}", pillar=pillar_name(view.pillar, _.language)),
        _(
            "Status: {status} · {progress} %",
            status=status_name(_, milestone.status),
            progress=milestone.progress,
        ),
        Markup(progress_bar(milestone.progress)),
    ]
    due = due_text(_, milestone)
    if milestone.overdue(view.today):
        assert milestone.due_on is not None
        late = (view.today - milestone.due_on).days
        due += Markup(" — ") + _.plural(
            "⚠️ overdue by {count} day", "⚠️ overdue by {count} days", late
        )
    parts.append(due)
    if milestone.owner:
        parts.append(_("Owner: {owner}", owner=milestone.owner))
    if milestone.description:
        parts.append(Markup("<i>{}</i>").format(milestone.description))
    parts += [Markup(""), bold(_("History"))]
    if not view.history:
        parts.append(_("No updates yet."))
    for update in view.history:
        line = _(
            "{when} — {author}: {status}, {progress} %",
            when=format_moment(update.at, timezone, _.language),
            author=person_name(_, update.author_name),
            status=status_name(_, update.status),
            progress=update.progress,
        )
        if update.note:
            line += Markup(" — ") + Markup("<i>{}</i>").format(update.note)
        parts.append(Markup("• ") + line)
    return Markup("\n").join(parts)


def chart_of(_: Translator, data: ChartData, partnership: Partnership) -> ProgressChart:
    """The chart's data with every word in the reader's language."""
    texts = ChartTexts(
        title=_.text(N_("Action plan progress")),
        # Each part in its own isolate: in Arabic, a Latin name beside a date of digits and
        # slashes would otherwise be laid out as one mixed run ("2026/12/COP Senegal · 06").
        subtitle=" · ".join(
            isolated_run(part, _.rtl) for part in (partnership.name, day(data.today, _.language))
        ),
        pillars_title=_.text(N_("Progress by pillar")),
        timeline_title=_.text(N_("Planned versus done over time")),
        planned=_.text(N_("Planned (due)")),
        done=_.text(N_("Done")),
        today=_.text(N_("Today")),
        milestones_axis=_.text(N_("Milestones")),
    )
    bars = [
        PillarBar(
            label=pillar_name(s.pillar, _.language),
            progress=s.tally.progress,
            done=s.tally.done,
            total=s.tally.total,
        )
        for s in data.pillars
    ]
    return ProgressChart(texts, bars, data.due, data.done, data.today, rtl=_.rtl)
