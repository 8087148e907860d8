"""/audit: a page of the audit log, one line an entry, and its filter buttons."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup
from telegram import InlineKeyboardMarkup

from bot.callbacks import AuditFamilyFilter, AuditKinds, AuditPage, AuditPeople
from bot.i18n import N_, Translator
from bot.views import challenges as challenge_views
from bot.views.keyboards import button, in_rows, keyboard, pager
from bot.views.render import bold, format_moment, shorten
from bot.views.texts import role_name
from domain.challenges import Severity, Status
from domain.models import Role
from services.audit import AuditFamily, AuditFilter, AuditLine, DetailValue
from services.audit import AuditPage as Page

#: What each action did, after the name of who did it.
ACTION_PHRASES: dict[str, str] = {
    "challenge.flag": N_("flagged a challenge"),
    "challenge.acknowledge": N_("acknowledged a challenge alert"),
    "challenge.status": N_("changed a challenge's status"),
    "challenge.reopen": N_("reopened a challenge"),
    "challenge.edit": N_("edited a challenge"),
    "challenge.escalate": N_("escalated an unacknowledged challenge"),
    "challenge.escalation_rule": N_("changed when challenges are escalated"),
    "challenge.alerts": N_("switched their challenge alerts"),
    "challenge.enqueue": N_("sent a challenge alert"),
    "challenge_update.enqueue": N_("sent a challenge update"),
    "member.add": N_("added a member"),
    "member.role": N_("changed a member's role"),
    "member.remove": N_("removed a member"),
    "member.readmit": N_("let a removed person join again"),
    "member.confirm": N_("confirmed a member's organisation or country"),
    "member.set": N_("set a member's organisation or country"),
    "member.withdraw": N_("withdrew a member's confirmed organisation or country"),
    "member.profile": N_("updated their profile"),
    "invite.create": N_("created an invite"),
    "invite.revoke": N_("revoked an invite"),
    "invite.refused": N_("was refused with an invite"),
    "invite.redeem": N_("joined with an invite"),
    "contact.create": N_("added a contact"),
    "contact.update": N_("edited a contact"),
    "contact.delete": N_("deleted a contact"),
    "contact.own_card": N_("saved their contact card"),
    "contact.own_card_delete": N_("deleted their contact card"),
    "contact.link_request": N_("asked to link a contact to their account"),
    "contact.link": N_("linked a contact to a member"),
    "contact.import": N_("imported contacts"),
    "contact_link.enqueue": N_("sent a request to link a contact"),
    "contact_linked.enqueue": N_("sent a notice of a linked contact"),
    "plan.import": N_("imported the action plan"),
    "milestone.update": N_("updated a milestone"),
    "meeting.create": N_("logged a meeting"),
    "meeting.update": N_("edited a meeting"),
    "meeting.delete": N_("deleted a meeting"),
    "meeting.action_done": N_("marked a follow-up action done"),
    "action_reminder.enqueue": N_("sent a reminder of a follow-up action"),
    "broadcast.enqueue": N_("sent a broadcast"),
    "reminder.enqueue": N_("sent a reminder of a broadcast"),
    "digest.enqueue": N_("sent a digest"),
    "delivery.acknowledge": N_("acknowledged a message"),
    "report.export": N_("made a period report"),
    "export.minutes": N_("exported the minutes of a meeting"),
    "export.calendar": N_("exported a calendar"),
    "partnership.create": N_("created the partnership"),
    "group.link": N_("linked a group chat"),
    "group.unlink": N_("unlinked a group chat"),
    "group.link_refused": N_("tried to link a group chat of another partnership"),
}
#: An action without a phrase of its own: its name.
UNKNOWN_ACTION = N_("{action}")

FAMILY_NAMES: dict[AuditFamily, str] = {
    AuditFamily.MEMBERS: N_("Members and invites"),
    AuditFamily.CONTACTS: N_("Contacts"),
    AuditFamily.MEETINGS: N_("Meetings"),
    AuditFamily.CHALLENGES: N_("Challenges"),
    AuditFamily.MILESTONES: N_("Milestones"),
    AuditFamily.BROADCASTS: N_("Broadcasts"),
    AuditFamily.REPORTS: N_("Reports and exports"),
}

#: How each detail is shown; `{value}` is its value.
DETAIL_LABELS: dict[str, str] = {
    "challenge_id": N_("challenge #{value}"),
    "meeting_id": N_("meeting #{value}"),
    "contact_id": N_("contact #{value}"),
    "member_id": N_("member #{value}"),
    "action_id": N_("action #{value}"),
    "broadcast_id": N_("message #{value}"),
    "delivery_id": N_("delivery #{value}"),
    "chat_id": N_("group chat {value}"),
    "milestone": N_("milestone {value}"),
    "role": N_("role: {value}"),
    "status": N_("status: {value}"),
    "severity": N_("severity: {value}"),
    "category": N_("category: {value}"),
    "progress": N_("progress: {value}%"),
    "fields": N_("fields: {value}"),
    "field": N_("field: {value}"),
    "step": N_("step {value}"),
    "recipients": N_("recipients: {value}"),
    "minutes": N_("after {value} minutes"),
    "include_high": N_("high severity included: {value}"),
    "muted": N_("muted: {value}"),
    "max_uses": N_("uses: {value}"),
    "valid_days": N_("valid for days: {value}"),
    "created": N_("created: {value}"),
    "updated": N_("updated: {value}"),
    "unchanged": N_("unchanged: {value}"),
    "skipped_rows": N_("rows left out: {value}"),
    "added": N_("added: {value}"),
    "removed": N_("removed: {value}"),
    "restricted": N_("restricted: {value}"),
    "format": N_("format: {value}"),
    "file_format": N_("format: {value}"),
    "language": N_("language: {value}"),
    "start": N_("from {value}"),
    "end": N_("to {value}"),
    "meetings": N_("meetings: {value}"),
    "challenges": N_("challenges: {value}"),
    "urgent": N_("urgent: {value}"),
    "slug": N_("short name: {value}"),
}
ANYONE = N_("Anyone")
ANY_KIND = N_("Any kind")
ANY_TIME = N_("Any time")
#: The periods offered as buttons, in days.
PERIODS = (7, 30, 365)


def _value(_: Translator, key: str, value: DetailValue, action: str) -> str:
    """A detail's value in the reader's language where it is a role, status or yes/no."""
    if isinstance(value, bool):
        return _.text(N_("yes") if value else N_("no"))
    if isinstance(value, list):
        return _.join(value)
    if isinstance(value, str):
        if key in ("role", "old", "new") and action.startswith("member.") and value in set(Role):
            return role_name(_, Role(value))
        challenge = action.startswith("challenge.")
        if key in ("old", "new", "status") and challenge and value in set(Status):
            return challenge_views.status_name(_, Status(value))
        if key == "severity" and value in set(Severity):
            return challenge_views.severity_name(_, Severity(value))
    return str(value)


def details(_: Translator, line: AuditLine) -> list[Markup]:
    """The entry's safe details, each in words."""
    shown: list[Markup] = []
    detail = line.detail
    if line.member_name is not None:
        shown.append(bold(line.member_name))
    if "old" in detail and "new" in detail:
        shown.append(
            Markup("{} → {}").format(
                _value(_, "old", detail["old"], line.action),
                _value(_, "new", detail["new"], line.action),
            )
        )
    for key, value in detail.items():
        if key == "member_id" and line.member_name is not None:
            continue  # shown first, by name
        if key in DETAIL_LABELS:
            shown.append(_(DETAIL_LABELS[key], value=_value(_, key, value, line.action)))
    return shown


def what(_: Translator, action: str) -> Markup:
    """The phrase of an action, or its name for an action without one."""
    phrase = ACTION_PHRASES.get(action)
    return _(phrase) if phrase is not None else _(UNKNOWN_ACTION, action=action)


def entry_line(_: Translator, line: AuditLine, timezone: str) -> Markup:
    """One entry: when, who, what (details)."""
    text = Markup("{when} — {who} {what}").format(
        when=format_moment(line.at, timezone, _.language),
        who=bold(line.actor_name),
        what=what(_, line.action),
    )
    shown = details(_, line)
    if shown:
        text += Markup(" (") + Markup(_.join(shown)) + Markup(")")
    return text


def period_name(_: Translator, days: int) -> str:
    """A period's name: the last days, or any time."""
    if not days:
        return _.text(ANY_TIME)
    return str(_.plural("Last {count} day", "Last {count} days", days))


def audit_text(_: Translator, page: Page, partnership: str) -> Markup:
    """The page: a heading with the filters, then one line an entry, newest first."""
    filters = page.filters
    heading = _("Audit log of {partnership}", partnership=bold(partnership))
    shown = [
        _("by {name}", name=page.actor_name) if page.actor_name is not None else _(ANYONE),
        _(FAMILY_NAMES[filters.family]) if filters.family is not None else _(ANY_KIND),
        Markup.escape(period_name(_, filters.days)),
    ]
    parts = [heading, Markup(_.join(shown))]
    if page.total == 0:
        parts.append(_("No entries match these filters."))
        return Markup("\n").join(parts)
    if page.pages > 1:
        parts.append(_("Page {page} of {pages}.", page=page.page + 1, pages=page.pages))
    lines = [entry_line(_, line, page.timezone) for line in page.lines]
    return Markup("\n").join(parts) + Markup("\n\n") + Markup("\n").join(lines)


def _family_value(filters: AuditFilter) -> AuditFamilyFilter:
    return filters.family if filters.family is not None else "-"


def audit_keyboard(_: Translator, page: Page) -> InlineKeyboardMarkup:
    """‹ › through the pages, the person and kind menus, and the periods."""
    filters = page.filters
    actor, family = filters.actor_id or 0, _family_value(filters)

    def to(number: int) -> AuditPage:
        return AuditPage(number, actor, family, filters.days)

    rows = []
    paging = pager(page.page, page.pages, to, arrows=("‹", "›"))
    if paging:
        rows.append(paging)
    rows.append(
        [
            button("👤 " + _.text(N_("People")), AuditPeople(family, filters.days)),
            button("🗂 " + _.text(N_("Kinds")), AuditKinds(actor, filters.days)),
        ]
    )
    rows.append(
        [
            button(("• " if days == filters.days else "") + period_name(_, days), to_days)
            for days, to_days in (
                (days, AuditPage(0, actor, family, days)) for days in (*PERIODS, 0)
            )
        ]
    )
    return keyboard(rows)


def people_text(_: Translator) -> Markup:
    """The heading of the people menu."""
    return _("Whose entries? Everyone who did something in the partnership:")


def people_keyboard(
    _: Translator, people: Sequence[tuple[int, str]], family: AuditFamilyFilter, days: int
) -> InlineKeyboardMarkup:
    """A button a person, and Anyone."""
    buttons = [
        button(shorten(name, 30), AuditPage(0, member_id, family, days))
        for member_id, name in people[:60]
    ]
    rows = [[button(_.text(ANYONE), AuditPage(0, 0, family, days))], *in_rows(buttons, 2)]
    return keyboard(rows)


def kinds_text(_: Translator) -> Markup:
    """The heading of the kinds menu."""
    return _("Which kind of entries?")


def kinds_keyboard(_: Translator, actor: int, days: int) -> InlineKeyboardMarkup:
    """A button a family of actions, and Any kind."""
    buttons = [
        button(_.text(name), AuditPage(0, actor, family, days))
        for family, name in FAMILY_NAMES.items()
    ]
    rows = [[button(_.text(ANY_KIND), AuditPage(0, actor, "-", days))], *in_rows(buttons, 2)]
    return keyboard(rows)
