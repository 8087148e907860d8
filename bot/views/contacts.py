"""How contacts read in Telegram: cards, result lines, field prompts, problems, import reports.

Every value that comes from people goes through the translator's placeholders, which escape
it; nothing here is sent as raw text.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from bot.callbacks import ContactLink
from bot.i18n import N_, Translator, translator
from bot.views.render import bold, code, country_name, shorten
from domain.contacts import Contact
from services.contact_csv import COLUMNS, CsvRefused, FileProblem
from services.contact_fields import (
    MAX_LANGUAGES,
    MAX_TOPIC_LENGTH,
    MAX_TOPICS,
    ContactDraft,
    Field,
    InvalidField,
    OrganisationType,
    Problem,
    language_name,
    phone_for_display,
)
from services.contact_files import Layout
from services.contacts import ImportProblem, ImportReport, LinkRequest, RowProblem, draft_of
from services.outbox import Rendered

TYPE_NAMES = {
    OrganisationType.BORDER_POLICE: N_("border police"),
    OrganisationType.JUDICIAL_POLICE: N_("judicial police"),
    OrganisationType.GENDARMERIE: N_("gendarmerie"),
    OrganisationType.CUSTOMS: N_("customs"),
    OrganisationType.FINANCIAL_INTELLIGENCE: N_("financial intelligence unit"),
    OrganisationType.JUDICIARY: N_("prosecution or court"),
    OrganisationType.NATIONAL_COMMITTEE: N_("national committee"),
    OrganisationType.MEMBER_STATE_POLICE: N_("EU Member State police"),
    OrganisationType.IMPLEMENTER: N_("implementing agency"),
    OrganisationType.EU_DELEGATION: N_("EU Delegation"),
    OrganisationType.EU_AGENCY: N_("EU agency"),
    OrganisationType.EU_MISSION: N_("EU mission"),
    OrganisationType.INTERPOL: N_("Interpol"),
    OrganisationType.INTERNATIONAL_ORGANISATION: N_("international organisation"),
}

FIELD_LABELS = {
    Field.NAME: N_("Name"),
    Field.ORGANISATION: N_("Organisation"),
    Field.ORGANISATION_TYPE: N_("Type"),
    Field.COUNTRY: N_("Country"),
    Field.ROLE: N_("Role"),
    Field.EXPERTISE: N_("Expertise"),
    Field.LANGUAGES: N_("Languages"),
    Field.PHONE: N_("Phone"),
    Field.EMAIL: N_("E-mail"),
    Field.TELEGRAM: N_("Telegram"),
    Field.NOTES: N_("Notes"),
}

PROMPTS = {
    Field.NAME: N_("Send the full name."),
    Field.ORGANISATION: N_("Send the organisation, e.g. Police nationale — DPAF."),
    Field.ORGANISATION_TYPE: N_("Choose the type of organisation."),
    Field.COUNTRY: N_("Choose the country below, or send its name."),
    Field.ROLE: N_("Send the role or position, e.g. Deputy prosecutor."),
    Field.EXPERTISE: N_(
        "Send the fields of expertise, separated by commas, e.g. document fraud, maritime routes."
    ),
    Field.LANGUAGES: N_(
        "Send the languages spoken, separated by commas, as names or codes, e.g. French,"
        " Wolof, English."
    ),
    Field.PHONE: N_("Send the phone number with its country code, e.g. +221 77 123 45 67."),
    Field.EMAIL: N_("Send the e-mail address, e.g. name@example.org."),
    Field.TELEGRAM: N_("Send the Telegram username, e.g. @name."),
    Field.NOTES: N_(
        "Send notes for colleagues, e.g. the best time to call (up to 500 characters)."
    ),
}

SAVE = N_("Save")
ADD_CONTACT = N_("Add a contact")
ADD_SHARED = N_("➕ Add to the directory")
BY_ORGANISATION = N_("By organisation")
BACK_TO_RESULTS = N_("Back to the results")
EDIT = N_("Edit")
DELETE = N_("Delete")
YES_DELETE = N_("Yes, delete")
NO_KEEP = N_("No, keep")
DELETE_MY_CARD = N_("Delete my card")
IMPORT_VALID_ROWS = N_("Import the valid entries only")
ASK_TO_LINK = N_("Ask a coordinator to link it to me")
LINK_TO = N_("Link it to {name}")
#: Problems listed in one import report; the others are counted.
LISTED_PROBLEMS = 15


def type_name(_: Translator, kind: OrganisationType | str | None) -> str:
    """An organisation type in the reader's language."""
    known = {t.value: t for t in OrganisationType}
    if kind is None or str(kind) not in known:
        return ""
    return _.text(TYPE_NAMES[known[str(kind)]])


def value_text(_: Translator, field: Field, draft: ContactDraft) -> str:
    """A field's value as plain text (empty if not set)."""
    match field:
        case Field.ORGANISATION_TYPE:
            return type_name(_, draft.organisation_type)
        case Field.EXPERTISE:
            return _.join(draft.expertise)
        case Field.LANGUAGES:
            return _.join(language_name(c, _.language) for c in draft.languages)
        case Field.PHONE:
            return phone_for_display(draft.phone) if draft.phone else ""
        case Field.TELEGRAM:
            return f"@{draft.telegram}" if draft.telegram else ""
        case Field.COUNTRY:
            return country_name(draft.country, _.language) if draft.country else ""
        case _:
            value = getattr(draft, field.value)
            return str(value) if value else ""


def _value_markup(_: Translator, field: Field, draft: ContactDraft) -> Markup | str:
    """A field's value for a card: the Telegram username is a link."""
    if field is Field.TELEGRAM and draft.telegram:
        return Markup('<a href="https://t.me/{0}">@{0}</a>').format(draft.telegram)
    return value_text(_, field, draft)


def card(_: Translator, draft: ContactDraft, *, empty_fields: bool = False) -> Markup:
    """A contact's details, one labelled line per field (empty ones only if asked)."""
    lines = [bold(draft.name or "…")]
    headline = " · ".join(part for part in (draft.role, draft.organisation) if part)
    if headline:
        lines.append(escape(headline))
    for field in Field:
        if field in (Field.NAME, Field.ROLE, Field.ORGANISATION):
            continue
        value = _value_markup(_, field, draft)
        if not value and not empty_fields:
            continue
        label = _.text(FIELD_LABELS[field])
        lines.append(_("{label}: {value}", label=label, value=value or "—"))
    # E-mail addresses and phone numbers in plain text become links in Telegram by themselves.
    return Markup("\n").join(lines)


def review_card(_: Translator, draft: ContactDraft) -> Markup:
    """Every field, empty ones marked, for the review before saving."""
    lines = []
    for field in Field:
        label = _.text(FIELD_LABELS[field])
        value = _value_markup(_, field, draft)
        lines.append(_("{label}: {value}", label=label, value=value or "—"))
    return Markup("\n").join(lines)


def country_label(_: Translator, country: str) -> str:
    """A country on a button, in the reader's language ("Côte d’Ivoire (Costa do Marfim)"
    fits whole)."""
    return shorten(country_name(country, _.language), 34)


def result_line(_: Translator, number: int, contact: Contact) -> Markup:
    """One search result: number, name in bold, then role, organisation and country."""
    country = country_name(contact.country, _.language) if contact.country else None
    details = " · ".join(
        shorten(part, 80) for part in (contact.role, contact.organisation, country) if part
    )
    return _(
        "{number}. {name} — {details}", number=number, name=bold(contact.name), details=details
    )


def summary(_: Translator, contact: Contact) -> str:
    """A plain one-line description (inline results), the country named in the language of
    the person sharing it, as the card they share is."""
    country = country_name(contact.country, _.language) if contact.country else None
    return " · ".join(part for part in (contact.role, contact.organisation, country) if part)


def problem(_: Translator, invalid: InvalidField) -> Markup:
    """What was wrong with a typed value, and what to send instead."""
    value = invalid.value
    match invalid.reason:
        case Problem.REQUIRED:
            return _(
                "{field} cannot be left empty. Send it, or /cancel.",
                field=_.text(FIELD_LABELS[invalid.contact_field]),
            )
        case Problem.TOO_LONG if invalid.contact_field is Field.EXPERTISE:
            return _.plural(
                "Each topic may have at most {count} character.",
                "Each topic may have at most {count} characters.",
                MAX_TOPIC_LENGTH,
            )
        case Problem.TOO_LONG:
            return _.plural(
                "That is too long: at most {count} character.",
                "That is too long: at most {count} characters.",
                int(value) if value.isdigit() else 0,
            )
        case Problem.TOO_MANY if invalid.contact_field is Field.LANGUAGES:
            return _.plural(
                "At most {count} language, please.",
                "At most {count} languages, please.",
                MAX_LANGUAGES,
            )
        case Problem.TOO_MANY:
            return _.plural(
                "At most {count} topic, please.", "At most {count} topics, please.", MAX_TOPICS
            )
        case Problem.PHONE:
            return _(
                "{value} is not a valid phone number. Send it with its country code,"
                " e.g. +221 77 123 45 67.",
                value=value,
            )
        case Problem.PHONE_COUNTRY:
            return _(
                "I cannot tell which country {value} belongs to. Send the number with its"
                " country code, starting with +, e.g. +221 77 123 45 67.",
                value=value,
            )
        case Problem.EMAIL:
            return _(
                "{value} is not a valid e-mail address. Send it as name@example.org.",
                value=value,
            )
        case Problem.USERNAME:
            return _(
                "{value} is not a Telegram username: it has 5 to 32 letters, digits or"
                " underscores and starts with a letter.",
                value=value,
            )
        case Problem.LANGUAGE:
            return _(
                "I do not know the language {value}. Send names such as French or Wolof,"
                " or codes such as fr or wo.",
                value=value,
            )
        case Problem.ORGANISATION_TYPE:
            return _(
                "{value} is not a known type of organisation. Use one of: {types}.",
                value=value,
                types=", ".join(t.value for t in OrganisationType),
            )


def file_value_problem(_: Translator, invalid: InvalidField) -> Markup:
    """What was wrong with a value of a file's cell: there is nothing to send, the file is
    corrected; the problems whose words fit a file too are those of `problem`."""
    value = invalid.value
    match invalid.reason:
        case Problem.REQUIRED:
            return _("This column cannot be empty.")
        case Problem.PHONE:
            return _(
                "{value} is not a valid phone number: write it with its country code,"
                " e.g. +221 77 123 45 67.",
                value=value,
            )
        case Problem.PHONE_COUNTRY:
            return _(
                "I cannot tell which country {value} belongs to: write it with its country"
                " code, starting with +, or fill in the country column.",
                value=value,
            )
        case Problem.EMAIL:
            return _("{value} is not a valid e-mail address (name@example.org).", value=value)
        case Problem.LANGUAGE:
            return _(
                "I do not know the language {value}: write names such as French or Wolof,"
                " or codes such as fr or wo, separated by semicolons.",
                value=value,
            )
    return problem(_, invalid)


def _row_problem(_: Translator, item: ImportProblem) -> Markup:
    """One problem of an imported file, by line (by card in a vCard file)."""
    where = _("Card {card}", card=item.line) if item.by_card else _("Line {line}", line=item.line)
    match item.problem:
        case RowProblem.REPEATED:
            earlier = int(item.detail) if item.detail.isdigit() else 0
            if item.by_card:
                return _(
                    "{where}: the same contact as card {earlier}.", where=where, earlier=earlier
                )
            return _("{where}: the same contact as line {earlier}.", where=where, earlier=earlier)
        case RowProblem.AMBIGUOUS:
            return _(
                "{where}: it matches several contacts of the directory: {names}.",
                where=where,
                names=item.detail,
            )
        case RowProblem.MEMBER_CARD:
            return _(
                "{where}: {name} keeps their own card up to date with /mycard.",
                where=where,
                name=item.detail,
            )
        case InvalidField() as invalid:
            return _(
                "{where}, {field}: {problem}",
                where=where,
                field=_.text(FIELD_LABELS[invalid.contact_field]),
                problem=file_value_problem(_, invalid),
            )


def import_report(_: Translator, report: ImportReport, partnership: str) -> Markup:
    """What an import did, or why it did nothing, with the problems by line."""
    parts: list[Markup] = []
    cards = report.layout is Layout.VCARD
    if not report.applied and cards:
        parts.append(
            _.plural(
                "Nothing was imported: {count} card has problems.",
                "Nothing was imported: {count} cards have problems.",
                report.invalid_rows,
            )
        )
    elif not report.applied:
        parts.append(
            _.plural(
                "Nothing was imported: {count} row has problems.",
                "Nothing was imported: {count} rows have problems.",
                report.invalid_rows,
            )
        )
    else:
        parts.append(
            _(
                "Import into {partnership} done. Added: {created}. Updated: {updated}."
                " Unchanged: {unchanged}.",
                partnership=bold(partnership),
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
            )
        )
        if report.problems and cards:
            parts.append(
                _.plural(
                    "{count} card with problems was left out:",
                    "{count} cards with problems were left out:",
                    report.invalid_rows,
                )
            )
        elif report.problems:
            parts.append(
                _.plural(
                    "{count} row with problems was left out:",
                    "{count} rows with problems were left out:",
                    report.invalid_rows,
                )
            )
    parts += [_row_problem(_, item) for item in report.problems[:LISTED_PROBLEMS]]
    hidden = len(report.problems) - LISTED_PROBLEMS
    if hidden > 0:
        parts.append(_.plural("… and {count} more.", "… and {count} more.", hidden))
    if not report.applied:
        parts.append(_("Correct the file and send it again, or import only the valid entries."))
    return Markup("\n").join(parts)


def file_problem(_: Translator, refused: CsvRefused) -> Markup:
    """Why a whole file could not be read, and how to fix it."""
    expected = ", ".join(COLUMNS)
    match refused.problem:
        case FileProblem.EMPTY:
            return _("The file is empty.")
        case FileProblem.ENCODING if refused.detail.isdigit():
            return _(
                "The file is neither UTF-8 nor UTF-16 text (the first problem is on line"
                " {line}). Save it from your spreadsheet as “CSV UTF-8”, or export the"
                " contacts again as vCards, and send it again.",
                line=int(refused.detail),
            )
        case FileProblem.ENCODING:
            return _(
                "The file is neither UTF-8 nor UTF-16 text. Save it from your spreadsheet as"
                " “CSV UTF-8”, or export the contacts again as vCards, and send it again."
            )
        case FileProblem.DELIMITER:
            separator = "Tab" if refused.detail == "\t" else refused.detail
            return _(
                "The columns are separated by {separator} instead of commas. Save the file"
                " as CSV with commas (“CSV UTF-8 (comma delimited)”) and send it again.",
                separator=code(separator),
            )
        case FileProblem.NOT_CSV:
            return _("This file cannot be read as CSV. Send a .csv file saved from a spreadsheet.")
        case FileProblem.NOT_VCARD if refused.detail.isdigit():
            return _(
                "This file cannot be read as vCards: card {card} is broken. Export the"
                " contacts again from the phone or mail program and send the new .vcf file.",
                card=int(refused.detail),
            )
        case FileProblem.NOT_VCARD:
            return _(
                "This file cannot be read as vCards. Export the contacts again from the phone"
                " or mail program and send the new .vcf file."
            )
        case FileProblem.MISSING_COLUMNS:
            return _(
                "The first row must name the columns, and {columns} is missing. The columns"
                " are: {expected}.",
                columns=refused.detail,
                expected=expected,
            )
        case FileProblem.UNKNOWN_COLUMNS:
            return _(
                "Unknown columns in the first row: {columns}. The columns are: {expected}."
                " Exports of Google Contacts and Outlook are read as they are, and so are"
                " vCard files.",
                columns=refused.detail,
                expected=expected,
            )
        case FileProblem.TOO_MANY_ROWS:
            return _.plural(
                "The file has more than {count} contact: split it and send the parts.",
                "The file has more than {count} contacts: split it and send the parts.",
                int(refused.detail) if refused.detail.isdigit() else 0,
            )


class LinkTexts:
    """The messages of linking a coordinator's entry to the member it describes."""

    def request(self, request: LinkRequest, language: str) -> Rendered:
        """To coordinators: who asks (as Telegram identifies them), and the entry as it is."""
        _ = translator(language)
        who = request.member_name + (
            f" (@{request.member_username})" if request.member_username else ""
        )
        text = Markup("\n\n").join(
            [
                _(
                    "{member}, a member of {partnership}, says this directory entry is them and"
                    " asks to make it their own card:",
                    member=bold(who),
                    partnership=request.partnership.name,
                ),
                card(_, draft_of(request.contact)),
                _(
                    "Link it only if you know it is them. The entry keeps its values; from"
                    " then on they keep it up to date with /mycard, coordinators no longer"
                    " edit it, and it leaves the directory with them."
                ),
            ]
        )
        label = _.text(LINK_TO).format(name=shorten(request.member_name, 40))
        data = ContactLink(request.contact.id, request.member_id).pack()
        return Rendered(str(text), buttons=((label, data),))

    def linked(self, contact: Contact, language: str) -> Rendered:
        """To the member: the entry is their card now."""
        _ = translator(language)
        return Rendered(
            str(
                _(
                    "A coordinator linked the directory entry {name} to you: it is your card"
                    " now. Check it with /mycard.",
                    name=bold(contact.name),
                )
            )
        )


LINK_TEXTS = LinkTexts()
