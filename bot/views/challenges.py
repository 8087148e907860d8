"""How challenges read in Telegram: names, cards, alerts, escalations, notes to the reporter.

Every value that comes from people goes through the translator's placeholders, which escape it
(and isolate it in Arabic). `TEXTS` is what the challenge service calls to render messages.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from markupsafe import Markup, escape

from bot.callbacks import ChallengeOpen
from bot.i18n import N_, Translator, translator
from bot.views.render import bold, format_moment, shorten
from bot.views.texts import person_name, role_name
from domain.challenges import (
    Category,
    Challenge,
    ChallengeEvent,
    EditedField,
    EscalationOutcome,
    EscalationSettings,
    EscalationStep,
    EventKind,
    Severity,
    Status,
)
from domain.models import Partnership, Role
from services.challenges import (
    OPEN_STATUSES,
    AlertAudience,
    ChallengeCard,
    ChallengeDetail,
    ChallengePage,
    Filter,
    PersonalDataSuspected,
    Summary,
)
from services.challenges_input import (
    CATEGORY_WORDS,
    SEVERITY_WORDS,
    ChallengeDraft,
    Observed,
    PersonalData,
)
from services.outbox import Rendered

CATEGORY_NAMES = {
    Category.INSTRUMENTALISATION: N_("Instrumentalisation of migrants"),
    Category.ROUTE: N_("New or shifting route"),
    Category.DIGITAL: N_("Digital smuggling, online advertising"),
    Category.DOCUMENTS: N_("Document or visa fraud"),
    Category.CORRUPTION: N_("Corruption of officials"),
    Category.VIOLENCE: N_("Violence against or exploitation of migrants"),
    Category.MARITIME: N_("Maritime incident, search and rescue"),
    Category.FINANCE: N_("Illicit finance"),
    Category.DISRUPTION: N_("Disruption of a partnership"),
    Category.HUMANITARIAN: N_("Criminalisation of humanitarian actors"),
    Category.OTHER: N_("Other"),
}
SEVERITY_NAMES = {
    Severity.LOW: N_("Low"),
    Severity.MEDIUM: N_("Medium"),
    Severity.HIGH: N_("High"),
    Severity.CRITICAL: N_("Critical"),
}
SEVERITY_MARKS = {
    Severity.LOW: "🟢",
    Severity.MEDIUM: "🟡",
    Severity.HIGH: "🟠",
    Severity.CRITICAL: "🔴",
}
STATUS_NAMES = {
    Status.REPORTED: N_("reported"),
    Status.ACKNOWLEDGED: N_("acknowledged"),
    Status.CORROBORATED: N_("corroborated"),
    Status.CONFIRMED: N_("confirmed"),
    Status.RESOLVED: N_("resolved"),
    Status.DISMISSED: N_("dismissed"),
}
#: The buttons that move a challenge to a status.
STATUS_ACTIONS = {
    Status.ACKNOWLEDGED: N_("Acknowledged"),
    Status.CORROBORATED: N_("Corroborated"),
    Status.CONFIRMED: N_("Confirmed"),
    Status.RESOLVED: N_("Resolved"),
    Status.DISMISSED: N_("Dismiss"),
}
PERSONAL_DATA_NAMES = {
    PersonalData.PHONE: N_("a phone number"),
    PersonalData.PASSPORT: N_("a passport number"),
    PersonalData.ID_NUMBER: N_("an identity number"),
}
OPEN = N_("Open")
EDIT = N_("✎ Edit")
REOPEN = N_("↺ Reopen")
WITHOUT_NOTE = N_("Without a note")
#: The fields an edit changed, as a challenge's history names them.
EDITED_FIELDS = {
    EditedField.CATEGORY: N_("Category"),
    EditedField.SEVERITY: N_("Severity"),
    EditedField.TITLE: N_("Title"),
    EditedField.DESCRIPTION: N_("Description"),
    EditedField.PLACE: N_("Where"),
    EditedField.LOCATION: N_("Location pin"),
    EditedField.ROUTE: N_("Route"),
    EditedField.OBSERVED: N_("When observed"),
    EditedField.RESTRICTED: N_("Who sees it"),
    EditedField.ATTACHMENTS: N_("Attachments"),
}
PERSONAL_DATA_RULE = N_(
    "⚠️ No personal data on suspects or migrants belongs here: no names, phone numbers,"
    " passport or identity numbers, nor photos of faces or of identity documents."
    " Operational intelligence goes through official channels, such as Europol's SIENA."
)
#: How much of a description an alert shows (Open shows it all).
ALERT_DESCRIPTION = 700


def category_name(_: Translator, category: Category) -> str:
    """A category's name in the reader's language."""
    return _.text(CATEGORY_NAMES[category])


def severity_name(_: Translator, severity: Severity) -> str:
    """A severity's name in the reader's language."""
    return _.text(SEVERITY_NAMES[severity])


def status_name(_: Translator, status: Status) -> str:
    """A status's name in the reader's language."""
    return _.text(STATUS_NAMES[status])


def category_words(_: Translator) -> dict[Category, tuple[str, ...]]:
    """Words that name each category in the reader's language and in English."""
    return {c: (*CATEGORY_WORDS[c], CATEGORY_NAMES[c], category_name(_, c)) for c in Category}


def severity_words(_: Translator) -> dict[Severity, tuple[str, ...]]:
    """Words that name each severity in the reader's language and in English."""
    return {s: (*SEVERITY_WORDS[s], SEVERITY_NAMES[s], severity_name(_, s)) for s in Severity}


def severity_label(_: Translator, severity: Severity) -> str:
    """`🔴 Critical`, for buttons and headers."""
    return f"{SEVERITY_MARKS[severity]} {severity_name(_, severity)}"


def observed_text(_: Translator, observed: Observed, timezone: str) -> str:
    """When something was observed: a day, or a day and a time."""
    if observed.has_time:
        return format_moment(observed.at, timezone, _.language)
    local = observed.at.astimezone(ZoneInfo(timezone)).date()
    return format_date(local, "full", locale=_.locale)


def coordinates_text(latitude: float, longitude: float) -> str:
    """A pin's coordinates as people copy them."""
    return f"{latitude:.5f}, {longitude:.5f}"


def duration_text(_: Translator, waited: timedelta) -> Markup:
    """`35 minutes`, `2 hours`: how long something has waited."""
    minutes = max(int(waited.total_seconds() // 60), 0)
    if minutes < 120:
        return _.plural("{count} minute", "{count} minutes", minutes)
    return _.plural("{count} hour", "{count} hours", minutes // 60)


def _fields(
    _: Translator,
    *,
    description: str,
    description_limit: int | None,
    place: str | None,
    coordinates: tuple[float, float] | None,
    route: str | None,
    observed: Observed | None,
    restricted: bool,
    attachments: int,
    timezone: str,
) -> list[Markup]:
    lines: list[Markup] = []
    if description:
        text = shorten(description, description_limit) if description_limit else description
        lines.append(escape(text))
    if place and coordinates:
        lines.append(
            _("📍 {place} ({coordinates})", place=place, coordinates=coordinates_text(*coordinates))
        )
    elif place:
        lines.append(_("📍 {place}", place=place))
    elif coordinates:
        lines.append(_("📍 {coordinates}", coordinates=coordinates_text(*coordinates)))
    if route:
        lines.append(_("🛣 Route: {route}", route=route))
    if observed:
        lines.append(_("👁 Observed: {when}", when=observed_text(_, observed, timezone)))
    if restricted:
        lines.append(_("🔒 Restricted: coordinators, admins and the reporter only"))
    if attachments:
        lines.append(_.plural("📎 {count} attachment", "📎 {count} attachments", attachments))
    return lines


def _observed(challenge: Challenge) -> Observed | None:
    if challenge.observed_at is None:
        return None
    return Observed(challenge.observed_at, challenge.observed_has_time)


def _coordinates(challenge: Challenge) -> tuple[float, float] | None:
    if challenge.latitude is None or challenge.longitude is None:
        return None
    return challenge.latitude, challenge.longitude


def card_text(_: Translator, card: ChallengeCard, *, description_limit: int | None) -> Markup:
    """A challenge: severity, category, number, title, then its details."""
    challenge = card.challenge
    header = _(
        "{severity} · {category} · #{number}",
        severity=severity_label(_, challenge.severity),
        category=category_name(_, challenge.category),
        number=challenge.id,
    )
    lines = [
        header,
        bold(challenge.title),
        *_fields(
            _,
            description=challenge.description,
            description_limit=description_limit,
            place=challenge.place,
            coordinates=_coordinates(challenge),
            route=challenge.route,
            observed=_observed(challenge),
            restricted=challenge.restricted,
            attachments=challenge.attachment_count,
            timezone=card.partnership.timezone,
        ),
    ]
    return Markup("\n").join(lines)


def draft_text(_: Translator, draft: ChallengeDraft, timezone: str) -> Markup:
    """A draft as the reporter reviews it; missing required values are marked."""
    missing = _("(missing)")
    lines = [
        _(
            "{severity} · {category}",
            severity=severity_label(_, draft.severity) if draft.severity else missing,
            category=category_name(_, draft.category) if draft.category else missing,
        ),
        bold(draft.title) if draft.title else _("Title: {title}", title=missing),
        *_fields(
            _,
            description=draft.description,
            description_limit=None,
            place=draft.place,
            coordinates=draft.coordinates,
            route=draft.route,
            observed=draft.observed,
            restricted=draft.restricted,
            attachments=len(draft.attachments),
            timezone=timezone,
        ),
    ]
    if not draft.restricted:
        lines.append(_("👥 Seen by every member of the partnership"))
    return Markup("\n").join(lines)


def open_button(_: Translator, challenge_id: int) -> tuple[str, str]:
    """The Open button of a message about a challenge, as (label, callback data)."""
    return "🔎 " + _.text(OPEN), ChallengeOpen(challenge_id).pack()


def _alert_header(_: Translator, card: ChallengeCard) -> Markup:
    challenge = card.challenge
    partnership = card.partnership.name
    if challenge.severity is Severity.CRITICAL:
        return _("🚨 CRITICAL challenge flagged in {partnership}", partnership=partnership)
    if challenge.severity is Severity.HIGH:
        return _("⚠️ High-severity challenge flagged in {partnership}", partnership=partnership)
    return _("New challenge flagged in {partnership}", partnership=partnership)


def _alert(
    _: Translator, card: ChallengeCard, header: Markup, audience: AlertAudience, note: str = ""
) -> Rendered:
    """An alert: its header, the challenge, a note, who flagged it, what to do."""
    parts = [header, card_text(_, card, description_limit=ALERT_DESCRIPTION)]
    if note:
        parts.append(_("Note: {note}", note=note))
    parts.append(_("Flagged by {name}.", name=person_name(_, card.reporter)))
    if audience is AlertAudience.COORDINATORS:
        parts.append(_("Please acknowledge it, then open it to follow it up."))
    elif audience is AlertAudience.MEMBERS:
        parts.append(
            _(
                "You receive the alerts of high and critical challenges;"
                " /challenge_alerts turns them off."
            )
        )
    return Rendered(str(Markup("\n\n").join(parts)), buttons=(open_button(_, card.challenge.id),))


class ChallengeTexts:
    """The texts of the messages the challenge service sends, per language."""

    def alert(self, card: ChallengeCard, audience: AlertAudience, language: str) -> Rendered:
        """A new challenge, for coordinators, every member, or a linked group."""
        _ = translator(language)
        return _alert(_, card, _alert_header(_, card), audience)

    def raised(
        self, card: ChallengeCard, event: ChallengeEvent, audience: AlertAudience, language: str
    ) -> Rendered:
        """An edit raised the severity to high or critical: alerted as a new one would be."""
        _ = translator(language)
        challenge = card.challenge
        header = _(
            "⬆️ Challenge #{number} of {partnership} raised to {severity} by {name}.",
            number=challenge.id,
            partnership=card.partnership.name,
            severity=bold(severity_name(_, challenge.severity)),
            name=person_name(_, event.actor_name),
        )
        return _alert(_, card, header, audience, note=event.note)

    def escalation(self, card: ChallengeCard, waited: timedelta, language: str) -> Rendered:
        """Nobody acknowledged it in time: for coordinators and admins."""
        _ = translator(language)
        header = _(
            "⏫ ESCALATION — no coordinator has acknowledged this challenge of {partnership}"
            " for {waited}.",
            partnership=card.partnership.name,
            waited=duration_text(_, waited),
        )
        parts = [
            header,
            card_text(_, card, description_limit=ALERT_DESCRIPTION),
            _("Flagged by {name}.", name=person_name(_, card.reporter)),
            _("Please acknowledge it now."),
        ]
        return Rendered(
            str(Markup("\n\n").join(parts)), buttons=(open_button(_, card.challenge.id),)
        )

    def acknowledged(self, card: ChallengeCard, by: str, role: Role, language: str) -> Rendered:
        """To the reporter: a coordinator or admin acknowledged their challenge."""
        _ = translator(language)
        challenge = card.challenge
        text = (
            _(
                "✅ {name} ({role}) acknowledged your challenge #{number}: {title}.",
                name=by,
                role=role_name(_, role),
                number=challenge.id,
                title=challenge.title,
            )
            + Markup("\n")
            + _("Status: {status}", status=status_name(_, challenge.status))
        )
        return Rendered(str(text), buttons=(open_button(_, challenge.id),))

    def status_changed(self, card: ChallengeCard, event: ChallengeEvent, language: str) -> Rendered:
        """To the reporter: their challenge moved on, was edited or reopened."""
        _ = translator(language)
        challenge = card.challenge
        if event.kind is EventKind.EDIT:
            text = _(
                "Your challenge #{number} ({title}) was changed by {name}: {fields}.",
                number=challenge.id,
                title=challenge.title,
                name=person_name(_, event.actor_name),
                fields=changes_text(_, event),
            )
        elif event.kind is EventKind.REOPEN:
            text = _(
                "Your challenge #{number} ({title}) was reopened by {name}; it is now {status}.",
                number=challenge.id,
                title=challenge.title,
                name=person_name(_, event.actor_name),
                status=bold(status_name(_, event.status)),
            )
        else:
            text = _(
                "Your challenge #{number} ({title}) is now {status}, by {name}.",
                number=challenge.id,
                title=challenge.title,
                status=bold(status_name(_, event.status)),
                name=person_name(_, event.actor_name),
            )
        if event.note:
            text += Markup("\n") + _("Note: {note}", note=event.note)
        return Rendered(str(text), buttons=(open_button(_, challenge.id),))


TEXTS = ChallengeTexts()


def _severity_of(value: str | None) -> Severity | None:
    return next((s for s in Severity if s.value == value), None)


def changes_text(_: Translator, event: ChallengeEvent) -> str:
    """What an edit changed: the fields' names, a severity from and to."""
    names: list[str] = []
    for changed, (before, after) in event.changes.items():
        name = _.text(EDITED_FIELDS[changed])
        old, new = _severity_of(before), _severity_of(after)
        if changed is EditedField.SEVERITY and old is not None and new is not None:
            name = _.text(N_("{field}: {old} → {new}")).format(
                field=name, old=severity_label(_, old), new=severity_label(_, new)
            )
        names.append(name)
    return _.join(names)


def _when(_: Translator, moment: datetime, timezone: str) -> str:
    return format_moment(moment, timezone, _.language)


def detail_text(_: Translator, detail: ChallengeDetail) -> Markup:
    """The Open view: the card, who flagged it, its status and history, acknowledgements and
    escalation steps."""
    card = detail.card
    challenge = card.challenge
    timezone = card.partnership.timezone
    parts = [
        card_text(_, card, description_limit=None),
        _(
            "Flagged by {name} on {when}. Status: {status}.",
            name=person_name(_, card.reporter),
            when=_when(_, challenge.created_at, timezone),
            status=bold(status_name(_, challenge.status)),
        ),
    ]
    history = [_("History:")]
    for event in detail.events[-20:]:
        when = _when(_, event.at, timezone)
        if event.kind is EventKind.EDIT:
            line = _(
                "• {when} — ✎ changed {fields} ({name})",
                when=when,
                fields=changes_text(_, event),
                name=person_name(_, event.actor_name),
            )
        elif event.kind is EventKind.REOPEN:
            line = _(
                "• {when} — ↺ reopened: {status} ({name})",
                when=when,
                status=status_name(_, event.status),
                name=person_name(_, event.actor_name),
            )
        else:
            line = _(
                "• {when} — {status} ({name})",
                when=when,
                status=status_name(_, event.status),
                name=person_name(_, event.actor_name),
            )
        if event.note:
            line += Markup(": ") + escape(event.note)
        history.append(line)
    parts.append(Markup("\n").join(history))
    if detail.acknowledgements:
        names = _.join(f"{a.name} ({role_name(_, a.role)})" for a in detail.acknowledgements)
        parts.append(_("Acknowledged by: {names}", names=names))
    else:
        parts.append(_("Nobody has acknowledged it yet."))
    steps = [_escalation_line(_, step, timezone) for step in detail.escalations]
    if steps:
        parts.append(Markup("\n").join([_("Escalation:"), *steps]))
    return Markup("\n\n").join(parts)


def _escalation_line(_: Translator, step: EscalationStep, timezone: str) -> Markup:
    when = _when(_, step.done_at or step.due_at, timezone)
    if step.outcome is EscalationOutcome.SENT:
        return _.plural(
            "• step {step}, {when}: sent to {count} coordinator or admin",
            "• step {step}, {when}: sent to {count} coordinators and admins",
            step.recipients,
            step=step.step,
            when=when,
        )
    if step.outcome is EscalationOutcome.NOT_NEEDED:
        return _("• step {step}, {when}: not needed", step=step.step, when=when)
    if step.outcome is EscalationOutcome.SUPERSEDED:
        return _("• step {step}, {when}: replaced by the next step", step=step.step, when=when)
    return _("• step {step}: due {when} unless acknowledged", step=step.step, when=when)


def personal_data_question(_: Translator, suspected: PersonalDataSuspected) -> Markup:
    """Why the bot asks before submitting, naming what it found."""
    found = Markup("\n").join(
        _(
            "• {what}: {excerpt}",
            what=_.text(PERSONAL_DATA_NAMES[f.kind]),
            excerpt=shorten(f.excerpt, 40),
        )
        for f in suspected.findings
    )
    return Markup("\n\n").join(
        [
            _("This looks like personal data:"),
            found,
            _(PERSONAL_DATA_RULE),
            _(
                "Remove it, unless you are sure it is no personal data on a suspect or a"
                " migrant (a public hotline, for instance)."
            ),
        ]
    )


def escalation_rule_text(_: Translator, rule: EscalationSettings, partnership: str) -> Markup:
    """A partnership's escalation rule in words."""
    minutes = _.plural("{count} minute", "{count} minutes", rule.minutes)
    twice = _.plural("{count} minute", "{count} minutes", rule.minutes * 2)
    if rule.include_high:
        return _(
            "In {partnership}, a high or critical challenge that no coordinator or admin has"
            " acknowledged after {minutes} is sent again to coordinators and admins, and once"
            " more after {twice}.",
            partnership=bold(partnership),
            minutes=minutes,
            twice=twice,
        )
    return _(
        "In {partnership}, a critical challenge that no coordinator or admin has acknowledged"
        " after {minutes} is sent again to coordinators and admins, and once more after"
        " {twice}.",
        partnership=bold(partnership),
        minutes=minutes,
        twice=twice,
    )


ANY_CATEGORY = N_("Any category")
ANY_SEVERITY = N_("Any severity")
OPEN_ONLY = N_("Still open")
ALL_STATUSES = N_("All statuses")
ANY_TIME = N_("Any time")


def period_text(_: Translator, days: int) -> str:
    """`Last 30 days`, or `Any time` for 0."""
    if not days:
        return _.text(ANY_TIME)
    return str(_.plural("Last {count} day", "Last {count} days", days))


def filter_text(_: Translator, wanted: Filter) -> Markup:
    """A list's filters in words: `open · any category · any severity · any time`."""
    if wanted.statuses == OPEN_STATUSES:
        statuses = _.text(OPEN_ONLY)
    elif not wanted.statuses:
        statuses = _.text(ALL_STATUSES)
    else:
        statuses = _.join(status_name(_, s) for s in wanted.statuses)
    parts = [
        statuses,
        category_name(_, wanted.category) if wanted.category else _.text(ANY_CATEGORY),
        severity_label(_, wanted.severity) if wanted.severity else _.text(ANY_SEVERITY),
        period_text(_, wanted.days),
    ]
    if wanted.text:
        parts.append(_("words: {text}", text=bold(wanted.text)))
    return _("Filters: {filters}", filters=Markup(" · ").join(parts))


def list_text(
    _: Translator, result: ChallengePage, wanted: Filter, partnership: Partnership
) -> Markup:
    """A page of challenges, numbered for the buttons below."""
    header = _.plural(
        "{partnership}: {count} challenge.",
        "{partnership}: {count} challenges.",
        result.total,
        partnership=bold(partnership.name),
    )
    lines = [header, filter_text(_, wanted)]
    if not result.challenges:
        lines.append(_("None matches. Change the filters below, or flag one with /flag."))
    for number, challenge in enumerate(result.challenges, start=1):
        lines.append(
            Markup("\n")
            + _(
                "{number}. {mark} #{id} {title}",
                number=number,
                mark=SEVERITY_MARKS[challenge.severity],
                id=challenge.id,
                title=shorten(challenge.title, 80),
            )
            + Markup("\n")
            + _(
                "{category} · {status} · {when}",
                category=category_name(_, challenge.category),
                status=status_name(_, challenge.status),
                when=format_date(
                    challenge.created_at.astimezone(ZoneInfo(partnership.timezone)).date(),
                    "medium",
                    locale=_.locale,
                ),
            )
        )
    if result.pages > 1:
        lines.append(
            Markup("\n") + _("Page {page} of {pages}.", page=result.page + 1, pages=result.pages)
        )
    return Markup("\n").join(lines)


def summary_text(_: Translator, summary: Summary, partnership: Partnership) -> Markup:
    """Challenges of a period by category and severity, and by status."""
    lines = [
        _.plural(
            "📊 {partnership}: {count} challenge reported in the last {days} days.",
            "📊 {partnership}: {count} challenges reported in the last {days} days.",
            summary.total,
            partnership=bold(partnership.name),
            days=summary.days,
        )
    ]
    if not summary.total:
        return lines[0]
    totals = dict.fromkeys(Severity, 0)
    for counts in summary.by_category.values():
        for severity, count in counts.items():
            totals[severity] += count
    lines.append(_severity_counts(totals))
    lines.append(Markup(""))
    for category, counts in summary.by_category.items():
        lines.append(
            _(
                "{category}: {count}",
                category=bold(category_name(_, category)),
                count=sum(counts.values()),
            )
            + Markup(" — ")
            + _severity_counts(counts)
        )
    lines.append(Markup(""))
    statuses = " · ".join(
        f"{status_name(_, s)} {summary.by_status[s]}" for s in Status if s in summary.by_status
    )
    lines.append(_("By status: {statuses}", statuses=statuses))
    return Markup("\n").join(lines)


def _severity_counts(counts: dict[Severity, int]) -> Markup:
    return Markup(" · ").join(
        Markup("{mark} {count}").format(mark=SEVERITY_MARKS[s], count=counts[s])
        for s in reversed(Severity)
    )
