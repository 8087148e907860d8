"""Sending replies: split below Telegram's limits, keyboards on the last part."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.error import BadRequest

from bot.views.render import split_html


async def reply(
    update: Update,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
    *,
    protect: bool = False,
) -> Message | None:
    """Answer in the chat the update came from; long texts become several messages.

    In a group the answer replies to the person's message: everyone sees whom it is for,
    and its buttons act for that person only (see bot/handlers/access.py). `protect`:
    restricted material, which Telegram then forbids forwarding and saving."""
    chat = update.effective_chat
    if chat is None:
        return None
    asked = _asked_in_group(update)
    replying = (
        None
        if asked is None
        else ReplyParameters(message_id=asked.message_id, allow_sending_without_reply=True)
    )
    parts = split_html(text)
    sent: Message | None = None
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        sent = await chat.send_message(
            part,
            reply_markup=keyboard if last else None,
            reply_parameters=replying,
            protect_content=protect,
        )
    return sent


def _asked_in_group(update: Update) -> Message | None:
    """In a group, the person's message an answer belongs to; None in private chats."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return None
    if update.message is not None:
        return update.message
    pressed_on = update.callback_query.message if update.callback_query else None
    return pressed_on.reply_to_message if isinstance(pressed_on, Message) else None


async def show(
    update: Update,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
    *,
    protect: bool = False,
) -> Message | None:
    """For a button press, replace the message that had the button; otherwise reply.

    Protected material always comes in a message of its own: Telegram protects a message
    when it is sent, and an edit cannot protect what was sent without it."""
    query = update.callback_query
    if query is None:
        return await reply(update, text, keyboard, protect=protect)
    await query.answer()
    if query.message is None or len(text) > 4096 or protect:
        return await reply(update, text, keyboard, protect=protect)
    try:
        edited = await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as error:
        # Pressing the same button twice asks for an identical edit; Telegram refuses it.
        if "not modified" in str(error).lower():
            return None
        raise
    return edited if isinstance(edited, Message) else None


def text_of(update: Update) -> str:
    """The text of the message behind the update."""
    message = update.effective_message
    if message is None or message.text is None:
        raise ValueError("not a text message")
    return message.text


async def answer(update: Update, alert: str | None = None) -> None:
    """Stop the button's spinner, optionally with a short alert (plain text, 200 chars)."""
    if update.callback_query is not None:
        await update.callback_query.answer(alert[:200] if alert else None, show_alert=bool(alert))
