"""The contact directory: /contacts (search and browse), contact cards, inline search,
deleting, and CSV import (a document) and export (/contacts_export).

The guided add/edit flow and /mycard live in `contact_flow.py`.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResult,
    InlineQueryResultArticle,
    InlineQueryResultContact,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode

from bot.callbacks import (
    ContactAdd,
    ContactAddShared,
    ContactDelete,
    ContactDeleteConfirmed,
    ContactDirectory,
    ContactEdit,
    ContactLink,
    ContactOpen,
    ContactOrganisations,
    ContactResults,
    ContactsOfCountry,
    ContactsOfOrganisation,
    ListKey,
    ValueDigest,
)
from bot.context import BotContext, digest
from bot.handlers.contact_flow import SHARED_SLOT
from bot.i18n import Translator, Verbatim
from bot.messaging import answer, show
from bot.throttling import spend
from bot.views import contacts as views
from bot.views import texts
from bot.views.keyboards import button, in_rows, keyboard, pager
from bot.views.render import bold, shorten
from domain.contacts import Contact
from services.access import Capability
from services.contact_csv import vcard
from services.contact_fields import shared_card_phone
from services.contacts import MAX_QUERY_LENGTH, PAGE_SIZE, ContactPage, draft_of
from services.text import clean
from services.throttle import Expense

#: Searches a person ran recently, so that their result buttons keep working (also after
#: a restart: user data is persisted). Oldest first; only the last few are kept.
SEARCHES = "contact_searches"
MAX_SEARCHES = 20
ORGANISATIONS_PER_PAGE = 10
COUNTRY_BUTTONS = 12
#: Inline results are personal and short-lived: the directory changes, people switch roles.
INLINE_CACHE_SECONDS = 10


def _digest(name: str) -> ValueDigest:
    return ValueDigest(digest(name))


def _remember(context: BotContext, search: dict[str, str]) -> ListKey:
    """Keep a search for its result buttons; returns its key."""
    return ListKey(context.remember(SEARCHES, search, MAX_SEARCHES))


def _recall(context: BotContext, key: str) -> dict[str, str] | None:
    return context.recall(SEARCHES, key)


async def search_command(update: Update, context: BotContext) -> None:
    """/contacts WORDS searches; /contacts alone explains and offers browsing."""
    # Searches are kept for their buttons and shown back: only as much as a search reads
    # is kept, cleaned as the search cleans it.
    text = clean(" ".join(context.args or []))[:MAX_QUERY_LENGTH]
    if not text.strip():
        await _directory(update, context)
        return
    spend(context, Expense.SEARCH)
    key = _remember(context, {"text": text})
    await _results(update, context, key, {"text": text}, 0)


async def page(update: Update, context: BotContext) -> None:
    """Another page of results (or the results again, from a contact's details)."""
    pressed = ContactResults.of(update)
    search = _recall(context, pressed.list_key)
    if search is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return
    await _results(update, context, pressed.list_key, search, pressed.page)


async def _results(
    update: Update, context: BotContext, key: ListKey, search: dict[str, str], number: int
) -> None:
    _ = context._
    found = await context.services.contacts.search(
        context.require_caller(),
        search.get("text", ""),
        country=search.get("country"),
        organisation=search.get("organisation"),
        page=number,
    )
    label = search.get("text") or search.get("country") or search.get("organisation") or ""
    if found.total == 0:
        await show(
            update,
            _(
                "No contact matches {query}. Try other or shorter words, or send /contacts to"
                " browse the directory.",
                query=bold(label),
            ),
        )
        return
    await show(update, _results_text(_, found, label), _results_keyboard(found, key))


def _results_text(_: Translator, found: ContactPage, label: str) -> Markup:
    if found.more_than is not None:
        # A broad search is not counted through: neither its total nor its pages are known.
        header = _.plural(
            "More than {count} contact matches {query}:",
            "More than {count} contacts match {query}:",
            found.more_than,
            query=bold(label),
        )
        header += Markup(" ") + _("Page {page}.", page=found.page + 1)
    else:
        header = _.plural(
            "{count} contact matches {query}:",
            "{count} contacts match {query}:",
            found.total,
            query=bold(label),
        )
        if found.pages > 1:
            header += Markup(" ") + _(
                "Page {page} of {pages}.", page=found.page + 1, pages=found.pages
            )
    start = _first_number(found)
    lines = [views.result_line(_, start + i, c) for i, c in enumerate(found.contacts)]
    return Markup("\n").join([header, *lines])


def _first_number(found: ContactPage) -> int:
    return found.page * PAGE_SIZE + 1


def _results_keyboard(found: ContactPage, key: ListKey) -> InlineKeyboardMarkup:
    start = _first_number(found)
    rows = [
        [button(f"{start + i}. {shorten(c.name, 40)}", ContactOpen(c.id, key, found.page))]
        for i, c in enumerate(found.contacts)
    ]
    paging = pager(found.page, found.pages, lambda n: ContactResults(key, n))
    if paging:
        rows.append(paging)
    return keyboard(rows)


async def _directory(update: Update, context: BotContext) -> None:
    """The directory's size, how to search, and browsing buttons."""
    _ = context._
    caller = context.require_caller()
    directory = await context.services.contacts.directory(caller)
    partnership = bold(directory.partnership.name)
    manager = caller.can(Capability.MANAGE_CONTACTS)
    if directory.total == 0:
        parts = [_("The directory of {partnership} is empty.", partnership=partnership)]
        if manager:
            parts.append(
                _(
                    "Add contacts with /addcontact, or send a CSV file here (/contacts_import"
                    " explains the format)."
                )
            )
        rows = [[button(_.text(views.ADD_CONTACT), ContactAdd())]] if manager else []
        await show(update, Markup("\n\n").join(parts), keyboard(rows) if rows else None)
        return
    username = Verbatim(escape(context.bot.username))
    parts = [
        _.plural(
            "The directory of {partnership} holds {count} contact.",
            "The directory of {partnership} holds {count} contacts.",
            directory.total,
            partnership=partnership,
        ),
        _(
            "To search, send /contacts followed by words, e.g. /contacts gendarmerie senegal."
            " Narrow with country:, org: or role:, e.g. /contacts role:prosecutor"
            " country:senegal."
        ),
        _(
            "In any chat, type @{username} followed by words to share a contact.",
            username=username,
        ),
    ]
    if directory.countries:
        parts.append(_("Browse by country:"))
    buttons = [
        button(
            f"{views.country_label(_, name)} ({count})",
            ContactsOfCountry(_digest(name)),
        )
        for name, count in directory.countries[:COUNTRY_BUTTONS]
    ]
    rows = in_rows(buttons, 2)
    by_organisation = f"{_.text(views.BY_ORGANISATION)} ({directory.organisations})"
    extra = [button(by_organisation, ContactOrganisations(0))]
    if manager:
        extra.append(button(_.text(views.ADD_CONTACT), ContactAdd()))
    rows.append(extra)
    await show(update, Markup("\n\n").join(parts), keyboard(rows))


async def directory_menu(update: Update, context: BotContext) -> None:
    """Back to the directory's browsing buttons."""
    await _directory(update, context)


async def browse_country(update: Update, context: BotContext) -> None:
    """The contacts of the country whose button was pressed."""
    wanted = ContactsOfCountry.of(update).country
    countries = await context.services.contacts.countries(context.require_caller())
    name = next((name for name, _count in countries if digest(name) == wanted), None)
    if name is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return
    search = {"country": name}
    await _results(update, context, _remember(context, search), search, 0)


async def browse_organisations(update: Update, context: BotContext) -> None:
    """A page of the directory's organisations, as buttons."""
    _ = context._
    number = ContactOrganisations.of(update).page
    organisations = await context.services.contacts.organisations(context.require_caller())
    pages = max((len(organisations) + ORGANISATIONS_PER_PAGE - 1) // ORGANISATIONS_PER_PAGE, 1)
    number = min(max(number, 0), pages - 1)
    shown = organisations[number * ORGANISATIONS_PER_PAGE : (number + 1) * ORGANISATIONS_PER_PAGE]
    rows: list[list[InlineKeyboardButton]] = [
        [
            button(
                f"{shorten(name, 50)} ({count})", ContactsOfOrganisation(ValueDigest(digest(name)))
            )
        ]
        for name, count in shown
    ]
    rows.append([*pager(number, pages, ContactOrganisations), button("⌂", ContactDirectory())])
    await show(update, _("Choose an organisation:"), keyboard(rows))


async def browse_organisation(update: Update, context: BotContext) -> None:
    """The contacts of the organisation whose button was pressed."""
    wanted = ContactsOfOrganisation.of(update).organisation
    organisations = await context.services.contacts.organisations(context.require_caller())
    name = next((name for name, _count in organisations if digest(name) == wanted), None)
    if name is None:
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return
    search = {"organisation": name}
    await _results(update, context, _remember(context, search), search, 0)


async def open_contact(update: Update, context: BotContext) -> None:
    """A contact's details, then its contact card (a vCard the phone saves in one tap)."""
    _ = context._
    pressed = ContactOpen.of(update)
    caller = context.require_caller()
    contact = await context.services.contacts.get(caller, pressed.contact_id)
    rows = []
    if caller.can(Capability.MANAGE_CONTACTS) and contact.member_id is None:
        rows.append(
            [
                button(_.text(views.EDIT), ContactEdit(contact.id)),
                button(_.text(views.DELETE), ContactDelete(contact.id)),
            ]
        )
    if pressed.list_key is not None and pressed.page is not None:
        back = ContactResults(pressed.list_key, pressed.page)
        rows.append([button("« " + _.text(views.BACK_TO_RESULTS), back)])
    await show(update, _details(_, contact), keyboard(rows) if rows else None)
    await _send_card(update, contact)


def _details(_: Translator, contact: Contact) -> Markup:
    parts = [views.card(_, draft_of(contact))]
    if contact.member_id is not None:
        parts.append(_("A member's own card, kept up to date by them."))
    if contact.phone is None:
        parts.append(_("No phone number is recorded, so there is no contact card to save."))
    return Markup("\n\n").join(parts)


async def _send_card(update: Update, contact: Contact) -> None:
    chat = update.effective_chat
    if chat is None or contact.phone is None:
        return
    await chat.send_contact(
        phone_number=contact.phone,
        first_name=shorten(contact.name, 64),
        vcard=vcard(contact),
    )


async def delete_asked(update: Update, context: BotContext) -> None:
    """Ask before deleting a contact."""
    _ = context._
    contact_id = ContactDelete.of(update).contact_id
    caller = context.require_caller()
    caller.require(Capability.MANAGE_CONTACTS)
    contact = await context.services.contacts.get(caller, contact_id)
    await show(
        update,
        _("Delete {name} from the directory?", name=bold(contact.name)),
        keyboard(
            [
                [
                    button(_.text(views.YES_DELETE), ContactDeleteConfirmed(contact.id)),
                    button(_.text(views.NO_KEEP), ContactOpen(contact.id)),
                ]
            ]
        ),
    )


async def delete_confirmed(update: Update, context: BotContext) -> None:
    """Delete the contact (pressing twice finds nothing and says so)."""
    contact_id = ContactDeleteConfirmed.of(update).contact_id
    deleted = await context.services.contacts.delete(context.require_caller(), contact_id)
    await show(update, context._("{name} was deleted from the directory.", name=deleted.name))


async def link_pressed(update: Update, context: BotContext) -> None:
    """A coordinator confirms that an entry is the member who asked: it becomes their card."""
    pressed = ContactLink.of(update)
    linked = await context.services.contacts.link_to_member(
        context.require_caller(),
        pressed.contact_id,
        pressed.member_id,
    )
    await show(
        update,
        context._(
            "Linked: {name} is now the card of the member who asked, and they were told.",
            name=linked.name,
        ),
    )


async def inline_search(update: Update, context: BotContext) -> None:
    """`@bot words` in any chat: matching contacts of the caller's partnerships to share."""
    query = update.inline_query
    if query is None:
        return
    offset = int(query.offset) if query.offset.isdigit() else 0
    if query.query.strip():
        spend(context, Expense.SEARCH)
    found, following = await context.services.contacts.search_everywhere(
        context.require_caller(), query.query, offset=offset
    )
    results = [_inline_result(context._, contact) for contact in found]
    await query.answer(
        results,
        cache_time=INLINE_CACHE_SECONDS,
        is_personal=True,
        next_offset=str(following) if following is not None else "",
    )


def _inline_result(_: Translator, contact: Contact) -> InlineQueryResult:
    """A shareable contact card; an article with the details when there is no phone."""
    if contact.phone is not None:
        return InlineQueryResultContact(
            id=f"c{contact.id}",
            phone_number=contact.phone,
            first_name=shorten(contact.name, 64),
            vcard=vcard(contact),
        )
    return InlineQueryResultArticle(
        id=f"a{contact.id}",
        title=shorten(contact.name, 100),
        description=shorten(views.summary(_, contact), 200),
        input_message_content=InputTextMessageContent(
            str(views.card(_, draft_of(contact))), parse_mode=ParseMode.HTML
        ),
    )


async def contact_shared(update: Update, context: BotContext) -> None:
    """A phone contact shared outside a flow: which directory entries it may be (same number,
    then same name); those who keep the directory may add it, name and number filled in for
    them to check. The shared card is the sender's word, so nothing is saved from it as is."""
    caller = context.require_caller()
    message = update.effective_message
    assert message is not None and message.contact is not None
    shared = message.contact
    name = clean(" ".join(p for p in (shared.first_name, shared.last_name) if p))[:80]
    number = shared_card_phone(shared.phone_number)
    found = await context.services.contacts.matching_shared(caller, name, number)
    _ = context._
    label = bold(name or (number or shared.phone_number))
    if found:
        parts = [_("Already in the directory, perhaps:")]
        parts += [views.result_line(_, i + 1, c) for i, c in enumerate(found)]
        text = Markup("\n").join(parts)
    else:
        text = _("{name} is not in the directory.", name=label)
    rows = [
        [button(f"{i + 1}. {shorten(c.name, 40)}", ContactOpen(c.id))] for i, c in enumerate(found)
    ]
    if caller.can(Capability.MANAGE_CONTACTS) and not any(c.phone == number for c in found):
        key = context.remember(SHARED_SLOT, {"name": name, "phone": number})
        rows.append([button(_.text(views.ADD_SHARED), ContactAddShared(ListKey(key)))])
    await show(update, text, keyboard(rows) if rows else None)
