"""Coordinator and admin tools: /invite, /members, /linkgroup and /unlinkgroup."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import ConversationHandler
from telegram.helpers import create_deep_linked_url

from bot import texts
from bot.commands import set_member_menu
from bot.context import BotContext
from bot.i18n import translator
from bot.keyboards import button, in_rows, keyboard
from bot.messaging import answer, pressed, reply, show, text_of
from bot.render import bold, code, format_moment
from services.access import Capability
from services.errors import InvalidInput
from services.invites import MAX_USES, MAX_VALID_DAYS, roles_grantable_by
from services.members import may_manage
from storage.models import Role

INVITE_ROLE = "invite:role"
INVITE_USES = "invite:uses"
INVITE_DAYS = "invite:days"
USES_CHOICES = (1, 5, 25)
DAYS_CHOICES = (1, 7, 30)


async def invite_start(update: Update, context: BotContext) -> str:
    """Ask which role the invited people will have."""
    membership = context.require_caller().require(Capability.INVITE)
    context.draft("invite", fresh=True)
    return await _ask_role(update, context, membership.role)


async def _ask_role(update: Update, context: BotContext, role: Role) -> str:
    _ = context._
    buttons = [
        button(texts.role_name(_, r), "inv", "role", r.value) for r in roles_grantable_by(role)
    ]
    await show(update, _("Invite people as:"), keyboard(in_rows(buttons, 2)))
    return INVITE_ROLE


async def invite_role(update: Update, context: BotContext) -> str:
    """Take the role and ask how many people may use the invite."""
    role = Role(pressed(update)[1])
    membership = context.require_caller().require(Capability.INVITE)
    if role not in roles_grantable_by(membership.role):
        await answer(update, context._.text(texts.BUTTON_EXPIRED))
        return INVITE_ROLE
    context.draft("invite")["role"] = role.value
    return await _ask_uses(update, context)


async def _ask_uses(update: Update, context: BotContext) -> str:
    _ = context._
    buttons = [button(str(n), "inv", "uses", n) for n in USES_CHOICES]
    await show(
        update,
        _(
            "How many people may join with this invite? Choose or send a number from 1 to {most}.",
            most=MAX_USES,
        ),
        keyboard([buttons]),
    )
    return INVITE_USES


async def invite_uses_pressed(update: Update, context: BotContext) -> str:
    """Take the number of uses from a button."""
    context.draft("invite")["uses"] = int(pressed(update)[1])
    return await _ask_days(update, context)


async def invite_uses_typed(update: Update, context: BotContext) -> str:
    """Take a typed number of uses."""
    uses = _number(text_of(update), 1, MAX_USES)
    if uses is None:
        await reply(update, texts.explain(context._, InvalidInput("uses", "range")))
        return INVITE_USES
    context.draft("invite")["uses"] = uses
    return await _ask_days(update, context)


async def _ask_days(update: Update, context: BotContext) -> str:
    _ = context._
    buttons = [button(str(n), "inv", "days", n) for n in DAYS_CHOICES]
    await show(
        update,
        _(
            "For how many days may it be used? Choose or send a number from 1 to {most}.",
            most=MAX_VALID_DAYS,
        ),
        keyboard([buttons]),
    )
    return INVITE_DAYS


async def invite_days_pressed(update: Update, context: BotContext) -> int:
    """Take the validity from a button and create the invite."""
    return await _create_invite(update, context, int(pressed(update)[1]))


async def invite_days_typed(update: Update, context: BotContext) -> str | int:
    """Take a typed validity and create the invite."""
    days = _number(text_of(update), 1, MAX_VALID_DAYS)
    if days is None:
        await reply(update, texts.explain(context._, InvalidInput("days", "range")))
        return INVITE_DAYS
    return await _create_invite(update, context, days)


async def invite_back(update: Update, context: BotContext) -> str:
    """Go back one step."""
    draft = context.draft("invite")
    if "uses" in draft:
        draft.pop("uses")
        return await _ask_uses(update, context)
    draft.pop("role", None)
    return await _ask_role(
        update, context, context.require_caller().require(Capability.INVITE).role
    )


async def _create_invite(update: Update, context: BotContext, days: int) -> int:
    _ = context._
    caller = context.require_caller()
    membership = caller.require(Capability.INVITE)
    draft = context.draft("invite")
    if "role" not in draft or "uses" not in draft:
        # A button of an older invite message: the draft it belonged to is gone.
        await show(update, texts.expired(_))
        return ConversationHandler.END
    invite = await context.services.invites.create(
        membership.partnership,
        role=Role(draft["role"]),
        max_uses=int(draft["uses"]),
        valid_days=days,
        created_by=caller,
    )
    context.discard_draft("invite")
    link = create_deep_linked_url(context.bot.username, invite.code)
    role = texts.role_name(_, invite.role)
    until = format_moment(invite.expires_at, membership.partnership.timezone, _.language)
    await show(
        update,
        _.plural(
            "Invite to {partnership} as {role}, for {count} person, valid until {until}:",
            "Invite to {partnership} as {role}, for {count} people, valid until {until}:",
            invite.max_uses,
            partnership=bold(membership.partnership.name),
            role=role,
            until=until,
        )
        + "\n"
        + link
        + "\n\n"
        + _(
            "Send this link only to the people it is meant for. Code: {code}",
            code=code(invite.code),
        ),
    )
    return ConversationHandler.END


def _number(text: str, low: int, high: int) -> int | None:
    text = text.strip()
    if not text.isdigit() or len(text) > 6:
        return None
    value = int(text)
    return value if low <= value <= high else None


async def members_list(update: Update, context: BotContext) -> None:
    """A page of the member list, one button per member."""
    page = int(pressed(update)[1]) if update.callback_query else 0
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
                f"{m.name} · {texts.role_name(_, m.role)}", "mem", "open", m.member_id, result.page
            )
        ]
        for m in result.members
    ]
    paging = []
    if result.page > 0:
        paging.append(button("«", "mem", "page", result.page - 1))
    if result.page < result.pages - 1:
        paging.append(button("»", "mem", "page", result.page + 1))
    if paging:
        rows.append(paging)
    await show(update, header, keyboard(rows))


async def member_open(update: Update, context: BotContext) -> None:
    """One member with the role changes the caller may make."""
    _action, member_id, page = pressed(update)
    await _show_member(update, context, int(member_id), int(page))


async def _show_member(update: Update, context: BotContext, member_id: int, page: int) -> None:
    _ = context._
    caller = context.require_caller()
    target = await context.services.members.get(caller, member_id)
    name = await context.services.members.name_of(member_id)
    assert caller.role is not None
    rows = [
        [button(texts.role_name(_, role), "mem", "role", member_id, role.value, page)]
        for role in Role
        if role is not target.role and may_manage(caller.role, target.role, role)
    ]
    if may_manage(caller.role, target.role) and member_id != caller.identity.user_id:
        rows.append([button(_.text(texts.REMOVE), "mem", "rm", member_id, page)])
    rows.append([button("«", "mem", "page", page)])
    details = _(
        "{name} — {role}. Organisation: {organisation}. Country: {country}.",
        name=bold(name),
        role=texts.role_name(_, target.role),
        organisation=target.organisation or _("not set"),
        country=target.country or _("not set"),
    )
    await show(update, details, keyboard(rows))


async def member_role(update: Update, context: BotContext) -> None:
    """Change a member's role, then tell them."""
    _action, member_id, role, page = pressed(update)
    changed = await context.services.members.change_role(
        context.require_caller(), int(member_id), Role(role)
    )
    await _tell_member(context, changed.member_id, changed.partnership.name, changed.role)
    await _show_member(update, context, int(member_id), int(page))


async def member_remove(update: Update, context: BotContext) -> None:
    """Ask for confirmation before removing a member."""
    _ = context._
    member_id, page = (int(part) for part in pressed(update)[1:])
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
                    button(_.text(texts.YES_REMOVE), "mem", "rmok", member_id, page),
                    button(_.text(texts.NO_KEEP), "mem", "open", member_id, page),
                ]
            ]
        ),
    )


async def member_remove_confirmed(update: Update, context: BotContext) -> None:
    """Remove the member (pressing twice finds nobody to remove and says so)."""
    member_id, page = (int(part) for part in pressed(update)[1:])
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
