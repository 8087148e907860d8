"""The console's `::` instructions: act as someone, press a button, send a location, a
contact, a photo or a file, type an inline query, change chats, list people, get help."""

from __future__ import annotations

import asyncio
import mimetypes
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.console.errors import LineFailed
from bot.console.people import describe, fold
from bot.console.render import buttons_of
from bot.local_api import JSON

if TYPE_CHECKING:
    from bot.console.session import Console

INSTRUCTIONS: tuple[tuple[str, str], ...] = (
    ("::as NAME", "act as a demo member (first name, full name or @username);"
     " any other name acts as a stranger"),
    ("::press N | ::press TEXT", "press a button of the last keyboard here, by number or text"),
    ("::location LAT LON", "send a location"),
    ("::contact", "send your contact card"),
    ("::photo [CAPTION]", "send a photo"),
    ("::file PATH", "send a file as a document (e.g. a contacts CSV)"),
    ("::inline QUERY", "type @bot QUERY in a chat: list what inline mode offers"),
    ("::group | ::private", "talk in the demo group chat | in your private chat with the bot"),
    ("::who", "list the demo members and their roles"),
    ("::help", "list these instructions"),
    ("::quit", "leave the console (Ctrl-D does too)"),
)  # fmt: skip

Instruction = Callable[["Console", str], Awaitable[None]]


async def run_instruction(console: Console, name: str, arguments: str) -> None:
    """Carry out `::name arguments`."""
    run = _RUNNERS.get(name)
    if run is None:
        raise LineFailed(f"unknown instruction ::{name}; ::help lists the instructions")
    await run(console, arguments)


def choose_button(buttons: list[JSON], wanted: str) -> int:
    """The index of the button meant by `wanted`.

    A button whose text is exactly `wanted` wins (so `::press 5` presses the button labelled
    5 on a 1/5/25 keyboard), then the Nth button, then the one button whose text contains it.
    """
    texts = [str(b.get("text", "")) for b in buttons]
    key = fold(wanted)
    for index, text in enumerate(texts):
        if fold(text) == key:
            return index
    listing = "  ".join(f"[{n}] {t}" for n, t in enumerate(texts, 1))
    if wanted.isdigit():
        if 1 <= int(wanted) <= len(buttons):
            return int(wanted) - 1
        raise LineFailed(f"there is no button {wanted}; the buttons are: {listing}")
    partial = [index for index, text in enumerate(texts) if key in fold(text)]
    if len(partial) == 1:
        return partial[0]
    if partial:
        several = ", ".join(repr(texts[i]) for i in partial)
        raise LineFailed(f"{wanted!r} matches several buttons ({several}); say which")
    raise LineFailed(f"there is no button {wanted!r}; the buttons are: {listing}")


async def _act_as(console: Console, arguments: str) -> None:
    if not arguments:
        raise LineFailed("say whom to act as: ::as NAME (::who lists the demo members)")
    console.me = console.cast.find(arguments)
    console.screen.note(f"you are now {await describe(console.app.services, console.me)}")


async def _press(console: Console, arguments: str) -> None:
    if not arguments:
        raise LineFailed("say which button: ::press N or ::press TEXT")
    sent = console.api.sent_to(console.chat_id)
    message = next((m for m in reversed(sent) if buttons_of(m)), None)
    if message is None:
        raise LineFailed("there is no keyboard in this chat to press a button of")
    buttons = buttons_of(message)
    index = choose_button(buttons, arguments)
    button = buttons[index]
    if "callback_data" not in button:
        console.screen.note(f"[{index + 1}] {button['text']} opens {button.get('url', 'a link')}")
        return
    console.screen.note(f"pressed [{index + 1}] {button['text']}")
    await console.deliver(console.updates.press(console.me.user, message, button["callback_data"]))


async def _location(console: Console, arguments: str) -> None:
    numbers = [part for part in re.split(r"[\s,;]+", arguments.strip()) if part]
    try:
        latitude, longitude = (float(n) for n in numbers)
    except ValueError:
        raise LineFailed("usage: ::location LAT LON, e.g. ::location 14.69 -17.44") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise LineFailed("latitude must be within -90..90 and longitude within -180..180")
    await console.send_content(location={"latitude": latitude, "longitude": longitude})


async def _contact(console: Console, arguments: str) -> None:
    me = console.me
    card = {"phone_number": me.phone, "first_name": me.user.first_name, "user_id": me.user.id}
    if me.user.last_name:
        card["last_name"] = me.user.last_name
    await console.send_content(contact=card)


async def _photo(console: Console, arguments: str) -> None:
    unique = f"console-photo-{console.api.next_message_id()}"
    sizes = [
        {"file_id": f"{unique}-{w}", "file_unique_id": f"{unique}-{w}", "width": w,
         "height": w * 3 // 4}
        for w in (320, 1280)
    ]  # fmt: skip
    content: JSON = {"photo": sizes}
    if arguments:
        content["caption"] = arguments
    await console.send_content(**content)


async def _file(console: Console, arguments: str) -> None:
    if not arguments:
        raise LineFailed("say which file: ::file PATH")
    try:
        name, content = await asyncio.to_thread(_read_file, arguments)
    except OSError as error:
        raise LineFailed(f"cannot read {arguments}: {error.strerror}") from None
    mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    await console.send_content(document=console.api.upload(content, name, mime_type))


def _read_file(location: str) -> tuple[str, bytes]:
    path = Path(location).expanduser()
    return path.name, path.read_bytes()


async def _inline(console: Console, arguments: str) -> None:
    await console.deliver(console.updates.inline_query(console.me.user, arguments))


async def _group(console: Console, arguments: str) -> None:
    if console.demo.group is None:
        raise LineFailed("the demo data has no group chat")
    console.in_group = True
    console.screen.note(f"talking in the group {console.demo.group.title!r}; ::private goes back")


async def _private(console: Console, arguments: str) -> None:
    console.in_group = False
    console.screen.note(f"talking in {console.me.user.first_name}'s private chat with the bot")


async def _who(console: Console, arguments: str) -> None:
    console.screen.note("demo members (* is you):")
    for person in console.cast.everyone():
        mark = "*" if person.user.id == console.me.user.id else " "
        console.screen.print(f"   {mark} {await describe(console.app.services, person)}")


async def _help(console: Console, arguments: str) -> None:
    console.screen.note("anything else you type is a message from you to the bot")
    width = max(len(usage) for usage, _ in INSTRUCTIONS)
    for usage, meaning in INSTRUCTIONS:
        console.screen.print(f"   {usage.ljust(width)}  {meaning}")


_RUNNERS: dict[str, Instruction] = {
    "as": _act_as,
    "press": _press,
    "location": _location,
    "contact": _contact,
    "photo": _photo,
    "file": _file,
    "inline": _inline,
    "group": _group,
    "private": _private,
    "who": _who,
    "help": _help,
}
