"""Coordinator and admin tools: /members (roles, removals, the organisation and country
coordinators vouch for, readmissions), /linkgroup and /unlinkgroup."""

from __future__ import annotations

from markupsafe import Markup
from telegram import InlineKeyboardButton, Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import ConversationHandler

from bot.callbacks import (
    AttributeCode,
    EraseAsked,
    EraseConfirmed,
    MemberConfirm,
    MemberList,
    MemberOpen,
    MemberRemove,
    MemberRemoveConfirmed,
    MemberRole,
    MemberSet,
    ReadmitAsked,
    ReadmitConfirmed,
    RemovedList,
    ValueDigest,
    VouchChoice,
)
from bot.commands import set_member_menu
from bot.context import BotContext
from bot.i18n import N_, Translator, translator
from bot.messaging import reply, show, text_of
from bot.views import texts
from bot.views.keyboards import button, country_rows, keyboard, pager
from bot.views.render import bold, shorten
from domain.models import Membership, Role, unconfirmed
from services.errors import InvalidInput
from services.members import Attribute, may_manage, value_digest

VOUCH_VALUE = "vouch:value"
VOUCH_DRAFT = "vouch"
#: One letter per attribute in callback data.
ATTRIBUTE_CODES: dict[AttributeCode, Attribute] = {
    "o": Attribute.ORGANISATION,
    "c": Attribute.COUNTRY,
}
ATTRIBUTE_LABELS = {Attribute.ORGANISATION: N_("Organisation"), Attribute.COUNTRY: N_("Country")}
CONFIRM_LABELS = {
    Attribute.ORGANISATION: N_("✓ Confirm organisation: {value}"),
    Attribute.COUNTRY: N_("✓ Confirm country: {value}"),
}
SET_LABELS = {
    Attribute.ORGANISATION: N_("✏️ Set organisation"),
    Attribute.COUNTRY: N_("✏️ Set country"),
}
WITHDRAW = N_("Withdraw the confirmation")
AWAITING = "❔"
REMOVED_BUTTON = N_("🚫 Removed: {count}")
YES_READMIT = N_("Yes, readmit")
ERASE = N_("🗑 Erase their data")
YES_ERASE = N_("Yes, erase for good")
NO_KEEP_OUT = N_("No, keep them out")


async def members_list(update: Update, context: BotContext) -> None:
    """A page of the member list, one button per member."""
    page = MemberList.of(update).page if update.callback_query else 0
    await _show_members(update, context, page)


async def _show_members(update: Update, context: BotContext, page: int) -> None:
    _ = context._
    caller = context.require_caller()
    result = await context.services.members.page(caller, page)
    assert caller.membership is not None
    header = _.plural(
        "{partnership}: {count} member. Choose one to change their role or remove them.",
        "{partnership}: {count} members. Choose one to change their role or remove them.",
        result.total,
        partnership=bold(caller.membership.partnership.name),
    )
    rows = [
        [
            button(
                f"{m.name} · {texts.role_name(_, m.role)}"
                + (f" {AWAITING}" if m.awaiting_confirmation else ""),
                MemberOpen(m.member_id, result.page),
            )
        ]
        for m in result.members
    ]
    if any(m.awaiting_confirmation for m in result.members):
        header += Markup("\n") + _(
            "{mark} marks an organisation or country the member gave that awaits your"
            " confirmation.",
            mark=AWAITING,
        )
    paging = pager(result.page, result.pages, MemberList)
    if paging:
        rows.append(paging)
    if result.removed:
        rows.append(
            [button(_.text(REMOVED_BUTTON).format(count=result.removed), RemovedList(page))]
        )
    await show(update, header, keyboard(rows))


async def member_open(update: Update, context: BotContext) -> None:
    """One member with the role changes the caller may make."""
    pressed = MemberOpen.of(update)
    await _show_member(update, context, pressed.member_id, pressed.page)


async def _show_member(update: Update, context: BotContext, member_id: int, page: int) -> None:
    _ = context._
    caller = context.require_caller()
    target = await context.services.members.get(caller, member_id)
    name = await context.services.members.name_of(member_id)
    assert caller.role is not None
    # Nobody is offered to change their own role (the last-admin rule holds anyway).
    yourself = member_id == caller.identity.user_id
    rows = [
        [button(texts.role_name(_, role), MemberRole(member_id, role, page))]
        for role in Role
        if not yourself and role is not target.role and may_manage(caller.role, target.role, role)
    ]
    if may_manage(caller.role, target.role):
        rows += _vouch_buttons(_, target, page)
    if may_manage(caller.role, target.role) and not yourself:
        rows.append([button(_.text(texts.REMOVE), MemberRemove(member_id, page))])
    rows.append([button("«", MemberList(page))])
    details = Markup("\n").join(
        [
            _("{name} — {role}.", name=bold(name), role=texts.role_name(_, target.role)),
            *(_attribute_line(_, target, attribute) for attribute in Attribute),
        ]
    )
    await show(update, details, keyboard(rows))


def _attribute_line(_: Translator, target: Membership, attribute: Attribute) -> Markup:
    """An organisation or country with whether it was confirmed."""
    label = _.text(ATTRIBUTE_LABELS[attribute])
    declared, confirmed = _values(target, attribute)
    if declared is None and confirmed is None:
        return _("{label}: not set", label=label)
    if not unconfirmed(declared, confirmed):
        return _("{label}: {value} ✓ confirmed", label=label, value=confirmed)
    if confirmed is None:
        return _("{label}: {value} (unconfirmed)", label=label, value=declared)
    return _(
        "{label}: {value} (unconfirmed); confirmed: {confirmed}",
        label=label,
        value=declared,
        confirmed=confirmed,
    )


def _values(target: Membership, attribute: Attribute) -> tuple[str | None, str | None]:
    """What the member declared, and what was confirmed."""
    if attribute is Attribute.ORGANISATION:
        return target.organisation, target.confirmed_organisation
    return target.country, target.confirmed_country


def _vouch_buttons(
    _: Translator, target: Membership, page: int
) -> list[list[InlineKeyboardButton]]:
    """Confirm what the member declared (the button carries a fingerprint of the value it
    shows), and set either value."""
    rows = []
    for letter, attribute in ATTRIBUTE_CODES.items():
        declared, confirmed = _values(target, attribute)
        if declared is not None and unconfirmed(declared, confirmed):
            label = _.text(CONFIRM_LABELS[attribute]).format(value=shorten(declared, 30))
            seen = ValueDigest(value_digest(declared))
            rows.append([button(label, MemberConfirm(target.member_id, letter, seen, page))])
    rows.append(
        [
            button(_.text(SET_LABELS[attribute]), MemberSet(target.member_id, letter, page))
            for letter, attribute in ATTRIBUTE_CODES.items()
        ]
    )
    return rows


async def member_confirm(update: Update, context: BotContext) -> None:
    """Confirm the organisation or country a member declared, as the button showed it."""
    pressed = MemberConfirm.of(update)
    await context.services.members.confirm(
        context.require_caller(),
        pressed.member_id,
        ATTRIBUTE_CODES[pressed.attribute],
        pressed.seen,
    )
    await _show_member(update, context, pressed.member_id, pressed.page)


async def vouch_start(update: Update, context: BotContext) -> str:
    """Ask for the organisation or country to set for a member, as confirmed."""
    _ = context._
    pressed = MemberSet.of(update)
    attribute = ATTRIBUTE_CODES[pressed.attribute]
    target = await context.services.members.vouchable(context.require_caller(), pressed.member_id)
    draft = context.draft(VOUCH_DRAFT, fresh=True)
    draft.update(member_id=target.member_id, attribute=attribute.value, page=pressed.page)
    name = bold(await context.services.members.name_of(target.member_id))
    rows = []
    if attribute is Attribute.COUNTRY:
        rows = country_rows(target.partnership.countries, VouchChoice)
        question = _(
            "Which country does {name} work for? Choose below or send its name: it is"
            " recorded as confirmed by you. /cancel leaves it as it is.",
            name=name,
        )
    else:
        question = _(
            "Which organisation does {name} work for? Send its name: it is recorded as"
            " confirmed by you. /cancel leaves it as it is.",
            name=name,
        )
    if _values(target, attribute)[1] is not None:
        rows.append([button(_.text(WITHDRAW), VouchChoice("x"))])
    await show(update, question, keyboard(rows) if rows else None)
    return VOUCH_VALUE


async def vouch_typed(update: Update, context: BotContext) -> str | int:
    """Take the typed value; a value that is too long is explained and the step stays."""
    try:
        return await _vouch(update, context, text_of(update))
    except InvalidInput as error:
        await reply(update, texts.explain(context._, error))
        return VOUCH_VALUE


async def vouch_pressed(update: Update, context: BotContext) -> str | int:
    """One of the partnership's countries, or Withdraw."""
    index = VouchChoice.of(update).choice
    if index == "x":
        return await _vouch(update, context, None)
    countries = context.require_caller().require_membership().partnership.countries
    if not 0 <= index < len(countries):
        await show(update, texts.expired(context._))
        return VOUCH_VALUE
    return await _vouch(update, context, countries[index])


async def _vouch(update: Update, context: BotContext, value: str | None) -> str | int:
    draft = context.draft(VOUCH_DRAFT)
    if "member_id" not in draft:
        await show(update, texts.expired(context._))
        return ConversationHandler.END
    await context.services.members.set_confirmed(
        context.require_caller(), draft["member_id"], Attribute(draft["attribute"]), value
    )
    context.discard_draft(VOUCH_DRAFT)
    await _show_member(update, context, draft["member_id"], draft["page"])
    return ConversationHandler.END


async def removed_list(update: Update, context: BotContext) -> None:
    """People removed from the partnership, each with Readmit (admins)."""
    await _show_removed(update, context, RemovedList.of(update).page)


async def _show_removed(
    update: Update, context: BotContext, page: int, note: Markup | None = None
) -> None:
    _ = context._
    caller = context.require_caller()
    removed = await context.services.members.removed(caller)
    partnership = bold(caller.require_membership().partnership.name)
    if removed:
        text = _(
            "People removed from {partnership}: no invite lets them back in until an admin"
            " readmits them. Choose one to readmit them.",
            partnership=partnership,
        )
    else:
        text = _("Nobody removed from {partnership} is kept out.", partnership=partnership)
    rows = [
        [button(texts.person_name(_, person.name), ReadmitAsked(person.member_id, page))]
        for person in removed
    ]
    rows.append([button("«", MemberList(page))])
    await show(update, note + Markup("\n\n") + text if note else text, keyboard(rows))


async def readmit_asked(update: Update, context: BotContext) -> None:
    """Ask before letting a removed person join again."""
    _ = context._
    pressed = ReadmitAsked.of(update)
    member_id, page = pressed.member_id, pressed.page
    caller = context.require_caller()
    removed = {p.member_id: p for p in await context.services.members.removed(caller)}
    if member_id not in removed:
        await _show_removed(update, context, page)
        return
    await show(
        update,
        _(
            "Readmit {name} to {partnership}? They can then join again with an invite.",
            name=bold(texts.person_name(_, removed[member_id].name)),
            partnership=bold(caller.require_membership().partnership.name),
        )
        + Markup("\n\n")
        + _(
            "Or erase them: their name and personal data are removed for good, and meetings"
            " and challenges keep their part as a former member."
        ),
        keyboard(
            [
                [
                    button(_.text(YES_READMIT), ReadmitConfirmed(member_id, page)),
                    button(_.text(NO_KEEP_OUT), RemovedList(page)),
                ],
                [button(_.text(ERASE), EraseAsked(member_id, page))],
            ]
        ),
    )


async def erase_asked(update: Update, context: BotContext) -> None:
    """Ask once more before erasing a removed person."""
    _ = context._
    pressed = EraseAsked.of(update)
    caller = context.require_caller()
    removed = {p.member_id: p for p in await context.services.members.removed(caller)}
    if pressed.member_id not in removed:
        await _show_removed(update, context, pressed.page)
        return
    await show(
        update,
        _(
            "Erase {name} for good? This cannot be undone.",
            name=bold(texts.person_name(_, removed[pressed.member_id].name)),
        ),
        keyboard(
            [
                [
                    button(_.text(YES_ERASE), EraseConfirmed(pressed.member_id, pressed.page)),
                    button(_.text(NO_KEEP_OUT), RemovedList(pressed.page)),
                ]
            ]
        ),
    )


async def erase_confirmed(update: Update, context: BotContext) -> None:
    """Erase them (a person still in another partnership is that partnership's to keep)."""
    _ = context._
    pressed = EraseConfirmed.of(update)
    try:
        await context.services.erasure.erase_removed(context.require_caller(), pressed.member_id)
    except InvalidInput:
        note = _(
            "They are still a member of another partnership: only the command line, or"
            " they themselves with /leave, can erase them."
        )
        await _show_removed(update, context, pressed.page, note)
        return
    await _show_removed(update, context, pressed.page, _("Erased."))


async def readmit_confirmed(update: Update, context: BotContext) -> None:
    """Readmit them (pressing twice finds nobody to readmit and says so)."""
    pressed = ReadmitConfirmed.of(update)
    member_id, page = pressed.member_id, pressed.page
    caller = context.require_caller()
    partnership = caller.require_membership().partnership
    await context.services.members.readmit(partnership, member_id, by=caller)
    name = await context.services.members.name_of(member_id)
    note = context._("{name} may join again with an invite.", name=bold(name))
    await _show_removed(update, context, page, note)


async def member_role(update: Update, context: BotContext) -> None:
    """Change a member's role, then tell them."""
    pressed = MemberRole.of(update)
    changed = await context.services.members.change_role(
        context.require_caller(), pressed.member_id, pressed.role
    )
    await _tell_member(context, changed.member_id, changed.partnership.name, changed.role)
    await _show_member(update, context, pressed.member_id, pressed.page)


async def member_remove(update: Update, context: BotContext) -> None:
    """Ask for confirmation before removing a member."""
    _ = context._
    pressed = MemberRemove.of(update)
    member_id, page = pressed.member_id, pressed.page
    target = await context.services.members.get(context.require_caller(), member_id)
    name = await context.services.members.name_of(target.member_id)
    await show(
        update,
        _(
            "Remove {name} from {partnership}?",
            name=bold(name),
            partnership=bold(target.partnership.name),
        ),
        keyboard(
            [
                [
                    button(_.text(texts.YES_REMOVE), MemberRemoveConfirmed(member_id, page)),
                    button(_.text(texts.NO_KEEP), MemberOpen(member_id, page)),
                ]
            ]
        ),
    )


async def member_remove_confirmed(update: Update, context: BotContext) -> None:
    """Remove the member (pressing twice finds nobody to remove and says so)."""
    pressed = MemberRemoveConfirmed.of(update)
    member_id, page = pressed.member_id, pressed.page
    caller = context.require_caller()
    name = await context.services.members.name_of(member_id)
    await context.services.members.remove(caller, member_id)
    await _tell_member(
        context, member_id, caller.membership.partnership.name if caller.membership else "", None
    )
    await reply(update, context._("{name} was removed.", name=name))
    await _show_members(update, context, page)


async def _tell_member(
    context: BotContext, member_id: int, partnership: str, role: Role | None
) -> None:
    """Best effort: tell a member their role changed and refresh their command menu."""
    caller = await context.services.access.identify_known(member_id)
    if caller is None:
        return
    _ = translator(caller.language(context.settings.default_language))
    if role is None:
        text = _("You were removed from {partnership}.", partnership=bold(partnership))
    else:
        text = _(
            "Your role in {partnership} is now {role}.",
            partnership=bold(partnership),
            role=texts.role_name(_, role),
        )
    try:
        await context.bot.send_message(member_id, text)
    except Forbidden:
        return  # they blocked the bot; the change stands
    await set_member_menu(context.bot, member_id, caller.role, _.language)


async def link_group(update: Update, context: BotContext) -> None:
    """Link the group this is sent in to the admin's active partnership."""
    _ = context._
    chat = update.effective_chat
    assert chat is not None
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        await reply(update, _("Send /linkgroup inside the group chat you want to link."))
        return
    link = await context.services.partnerships.link_group(
        context.require_caller(), chat_id=chat.id, title=chat.title or ""
    )
    membership = context.require_caller().require_membership()
    await reply(
        update,
        _(
            "This group is now linked to {partnership}. Partnership digests and alerts can be"
            " posted here.",
            partnership=bold(membership.partnership.name if link else ""),
        ),
    )


async def unlink_group(update: Update, context: BotContext) -> None:
    """Unlink the group this is sent in."""
    _ = context._
    chat = update.effective_chat
    assert chat is not None
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        await reply(update, _("Send /unlinkgroup inside the group chat you want to unlink."))
        return
    if await context.services.partnerships.unlink_group(context.require_caller(), chat_id=chat.id):
        await reply(update, _("This group is no longer linked to a partnership."))
    else:
        await reply(update, _("This group is not linked to any partnership."))
