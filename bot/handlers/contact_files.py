"""Contacts in files: how to import, a file sent to the bot (our CSV, a Google or Outlook CSV
export, vCards from a phone), importing its valid entries after a refusal, and
/contacts_export as CSV or vCards."""

from __future__ import annotations

from markupsafe import Markup
from telegram import (
    Update,
)

from bot.callbacks import ContactExport, ContactImportValidRows
from bot.context import BotContext
from bot.i18n import N_
from bot.messaging import answer, reply, show
from bot.throttling import spend
from bot.views import contacts as views
from bot.views import texts
from bot.views.keyboards import button, keyboard
from bot.views.render import bold
from services.access import Capability
from services.contact_csv import COLUMNS, CsvRefused
from services.contacts import ExportFormat
from services.throttle import Expense

#: A file refused because of invalid entries, kept (its id and name) to import the valid ones.
PENDING_IMPORT = "contact_import"
MAX_FILE_BYTES = 2 * 1024 * 1024


async def import_help(update: Update, context: BotContext) -> None:
    """How to import contacts from a file."""
    _ = context._
    membership = context.require_caller().require(Capability.MANAGE_CONTACTS)
    await reply(
        update,
        _(
            "To import contacts into {partnership}, send a file here: a vCard file (.vcf)"
            " exported from a phone, Outlook or Google Contacts, a CSV export of Google"
            " Contacts or Outlook as it is, or a CSV file of your own (UTF-8, columns separated"
            " by commas).",
            partnership=bold(membership.partnership.name),
        )
        + Markup("\n\n")
        + _(
            "The first row of your own CSV names the columns: {columns}. Only name and"
            " organisation are required. Inside a cell, separate expertise topics and languages"
            " with semicolons; phone numbers need their country code.",
            columns=", ".join(COLUMNS),
        )
        + Markup("\n\n")
        + _(
            "A contact already in the directory (same name and organisation, or same phone"
            " number) is updated, not added twice. If an entry has a problem, nothing is"
            " imported and I list the problems by line (by card in a vCard file)."
            " /contacts_export gives a file to start from."
        ),
    )


async def document_received(update: Update, context: BotContext) -> None:
    """A CSV file from a coordinator or admin: import it into the directory."""
    _ = context._
    message = update.effective_message
    assert message is not None and message.document is not None
    context.require_caller().require(Capability.MANAGE_CONTACTS)
    document = message.document
    if _too_large(document.file_size):
        await _refuse_too_large(update, context)
        return
    await _import(update, context, document.file_id, document.file_name, skip_invalid=False)


def _too_large(size: int | None) -> bool:
    return size is not None and size > MAX_FILE_BYTES


async def _refuse_too_large(update: Update, context: BotContext) -> None:
    await show(update, context._("The file is too large: send at most 2 MB at a time."))


async def import_valid_rows(update: Update, context: BotContext) -> None:
    """Import the file refused before, leaving out its invalid rows."""
    pending = (context.user_data or {}).get(PENDING_IMPORT)
    if not isinstance(pending, dict) or "file_id" not in pending:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return
    name = pending.get("file_name")
    await _import(
        update,
        context,
        str(pending["file_id"]),
        str(name) if name is not None else None,
        skip_invalid=True,
    )


async def _import(
    update: Update,
    context: BotContext,
    file_id: str,
    file_name: str | None,
    *,
    skip_invalid: bool,
) -> None:
    _ = context._
    caller = context.require_caller()
    membership = caller.require(Capability.MANAGE_CONTACTS)
    spend(context, Expense.IMPORT)
    telegram_file = await context.bot.get_file(file_id)
    # The document may not have said its size: the file itself is held to the limit.
    if _too_large(telegram_file.file_size):
        await _refuse_too_large(update, context)
        return
    data = bytes(await telegram_file.download_as_bytearray())
    if _too_large(len(data)):
        await _refuse_too_large(update, context)
        return
    try:
        report = await context.services.contacts.import_for(
            caller, data, filename=file_name, skip_invalid=skip_invalid
        )
    except CsvRefused as refused:
        await show(update, views.file_problem(_, refused))
        return
    if context.user_data is not None:
        context.user_data.pop(PENDING_IMPORT, None)
    text = views.import_report(_, report, membership.partnership.name)
    if report.applied:
        await show(update, text)
        return
    if context.user_data is not None:
        context.user_data[PENDING_IMPORT] = {"file_id": file_id, "file_name": file_name}
    valid_rows = report.rows - report.invalid_rows
    rows = (
        [[button(_.text(views.IMPORT_VALID_ROWS), ContactImportValidRows())]] if valid_rows else []
    )
    await show(update, text, keyboard(rows) if rows else None)


async def export_asked(update: Update, context: BotContext) -> None:
    """/contacts_export: which file, a spreadsheet's or a phone's?"""
    _ = context._
    membership = context.require_caller().require(Capability.MANAGE_CONTACTS)
    await reply(
        update,
        _(
            "Export the directory of {partnership} as a CSV file, for a spreadsheet (it can be"
            " edited and imported again), or as vCards, which a phone or a mail program adds"
            " to its contacts in one go?",
            partnership=bold(membership.partnership.name),
        ),
        keyboard(
            [
                [
                    button(_.text(EXPORT_CSV), ContactExport(ExportFormat.CSV)),
                    button(_.text(EXPORT_VCARD), ContactExport(ExportFormat.VCARD)),
                ]
            ]
        ),
    )


async def export(update: Update, context: BotContext) -> None:
    """The directory as a document, in the format pressed."""
    _ = context._
    caller = context.require_caller()
    membership = caller.require(Capability.MANAGE_CONTACTS)
    file_format = ContactExport.of(update).file_format
    spend(context, Expense.EXPORT)
    await answer(update)
    data, count = await context.services.contacts.export_for(caller, file_format)
    chat = update.effective_chat
    assert chat is not None
    stamp = context.services.clock().strftime("%Y-%m-%d")
    name = f"contacts-{membership.partnership.slug}-{stamp}"
    partnership = bold(membership.partnership.name)
    if file_format is ExportFormat.VCARD:
        await chat.send_document(
            document=data,
            filename=f"{name}.vcf",
            caption=_.plural(
                "The directory of {partnership}: {count} contact (vCard). Open the file on a"
                " phone to add it to the phone's contacts.",
                "The directory of {partnership}: {count} contacts (vCard). Open the file on a"
                " phone to add them to the phone's contacts.",
                count,
                partnership=partnership,
            ),
        )
        return
    await chat.send_document(
        document=data,
        filename=f"{name}.csv",
        caption=_.plural(
            "The directory of {partnership}: {count} contact (CSV, UTF-8).",
            "The directory of {partnership}: {count} contacts (CSV, UTF-8).",
            count,
            partnership=partnership,
        ),
    )


EXPORT_CSV = N_("📄 CSV (spreadsheet)")
EXPORT_VCARD = N_("📇 vCard (phones)")
