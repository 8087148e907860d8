"""The console: the real bot answering in a terminal, on a local SQLite file with demo data.

Lines typed are messages from the demo member you act as, in their private chat with the
bot (or in the demo group); lines starting with `::` are instructions to the console. The
Application is the one `python -m bot run` builds, with `LocalBotApi` in place of Telegram,
so every handler, flow and check runs as in production and nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import logging
import mimetypes
import os
import re
import sys
import threading
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TextIO

from bot.app import build_application, running
from bot.config import Settings
from bot.context import BotContext, PartnerbotApplication
from bot.local_api import JSON, LocalBotApi, LocalUser, UpdateFactory
from services.demo import DemoData, DemoDataError, DemoMember, load_demo
from services.errors import ServiceError

log = logging.getLogger(__name__)

DEMO_FILE = Path(__file__).resolve().parent.parent / "data" / "demo.yaml"
#: Strangers get user ids far from the demo people's.
FIRST_STRANGER_ID = 990_000_001

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

BOLD, NORMAL = "\033[1m", "\033[22m"
_SENDS = {"sendMessage", "sendPhoto", "sendDocument", "sendContact", "sendLocation"}
_EDITS = {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}


class LineFailed(Exception):
    """A console line could not be carried out; in a script this fails the run."""


@dataclass(frozen=True, slots=True)
class Person:
    """Someone the console can act as: a demo member or a stranger made up on the spot."""

    user: LocalUser
    phone: str
    demo: DemoMember | None = None

    @property
    def name(self) -> str:
        """Full name, as Telegram shows it."""
        return " ".join(part for part in (self.user.first_name, self.user.last_name) if part)


def person_of(member: DemoMember) -> Person:
    """The Telegram user behind a demo member, speaking their Telegram language."""
    first, _, last = member.name.partition(" ")
    user = LocalUser(member.user_id, first, last or None, member.username, member.language)
    return Person(user, member.phone or fake_phone(member.user_id), member)


def fake_phone(user_id: int) -> str:
    """An E.164-shaped number in the unassigned +999 range, for people without one."""
    return f"+999{user_id % 10**9:09d}"


def fold(text: str) -> str:
    """Text compared ignoring case, accents and repeated spaces: 'Aïssatou' == 'aissatou'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


class _PlainText(HTMLParser):
    """Telegram's HTML as terminal text: tags dropped, entities decoded, link targets shown."""

    def __init__(self, color: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.color = color
        self.parts: list[str] = []
        self._links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"b", "strong"} and self.color:
            self.parts.append(BOLD)
        elif tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"b", "strong"} and self.color:
            self.parts.append(NORMAL)
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            if href and href != "".join(self.parts[start:]):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text: str, *, is_html: bool, color: bool = False) -> str:
    """A message text for the terminal; bold as ANSI only when `color` is on."""
    if not is_html:
        return text
    parser = _PlainText(color)
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def buttons_of(message: JSON) -> list[JSON]:
    """The inline buttons of a message, row after row."""
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return [button for row in rows for button in row]


def keyboard_lines(message: JSON) -> list[str]:
    """One line per keyboard row: `[1] Français  [2] English`, numbered across rows."""
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    numbers = itertools.count(1)
    lines = []
    for row in rows:
        labels = []
        for button in row:
            label = f"[{next(numbers)}] {button['text']}"
            if "url" in button:
                label += f" ({button['url']})"
            labels.append(label)
        lines.append("  ".join(labels))
    return lines


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


def script_entries(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(first line number, message) of a script: blank and `#` lines are skipped, and a line
    ending in `\\` continues on the next one (joined with a newline, taken as it is)."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip()
        if not pending:
            if not line or line.lstrip().startswith("#"):
                continue
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].rstrip())
            continue
        pending.append(line)
        yield start, "\n".join(pending).strip()
        pending = []
    if pending:
        yield start, "\n".join(pending).strip()


def _first_update_id() -> int:
    """Update ids that keep growing across console runs on the same database.

    The access gate drops update ids it has seen (Telegram's redelivery guard), so ids that
    restarted at 1 would make a second run on the same file ignore every line.
    """
    return time.time_ns() // 1_000


class Console:
    """Acts as people chatting with the running bot and prints what the bot answers."""

    def __init__(
        self, app: PartnerbotApplication, api: LocalBotApi, demo: DemoData, output: TextIO
    ) -> None:
        self.app = app
        self.api = api
        self.demo = demo
        self.output = output
        self.color = _is_terminal(output) and "NO_COLOR" not in os.environ
        self.updates = UpdateFactory(api, first_update_id=_first_update_id())
        self.people = [person_of(member) for member in demo.members]
        self.strangers: dict[str, Person] = {}
        self.me = self.people[demo.members.index(demo.first_admin)]
        self.in_group = False
        self.failures: list[str] = []
        self._seen: dict[tuple[int, int], str] = {}
        self._calls_seen = 0
        self._bot_errors: list[BaseException] = []
        self._instructions: dict[str, Callable[[str], Awaitable[None]]] = {
            "as": self._act_as,
            "press": self._press,
            "location": self._location,
            "contact": self._contact,
            "photo": self._photo,
            "file": self._file,
            "inline": self._inline,
            "group": self._group,
            "private": self._private,
            "who": self._who,
            "help": self._help,
        }
        app.add_error_handler(self._record_error)
        self._catch_up()

    # -- output ---------------------------------------------------------------------------

    def print(self, text: str = "") -> None:
        """Write one line (or several) to the console's output."""
        self.output.write(text + "\n")
        self.output.flush()

    def note(self, text: str) -> None:
        """A line from the console itself, told apart from the bot's messages."""
        self.print(f"-- {text}")

    def problem(self, text: str) -> None:
        """Something went wrong with a line."""
        self.print(f"!! {text}")

    @property
    def prompt(self) -> str:
        """`Aïssatou> `, or `Aïssatou (group)> ` in the group chat."""
        return f"{self.me.user.first_name}{' (group)' if self.in_group else ''}> "

    def echo(self, text: str) -> None:
        """Show an input line as if typed after the prompt (scripts, piped input)."""
        prompt = self.prompt
        first, *rest = text.split("\n")
        self.print(prompt + first)
        continuation = "...> ".rjust(len(prompt))
        for line in rest:
            self.print(continuation + line)

    async def banner(self, database: Path, demo_file: Path) -> None:
        """Where the bot runs, who you are, and how to use the console."""
        state = "loaded now" if self.demo.created else "already in the database"
        self.print("Partnerbot console: the real bot, answering here. Nothing goes to Telegram.")
        self.print(f"Database {database}; demo data from {demo_file} ({state}).")
        self.print(f"You are {await self._describe(self.me)}.")
        self.print("Type messages and /commands as in Telegram; end a line with \\ to go on.")
        self.print("Instructions start with :: (::as NAME, ::press N, ::who, ::help, ::quit).")
        self.print()

    # -- running lines --------------------------------------------------------------------

    async def run_line(self, text: str, where: str = "") -> bool:
        """Carry out one message or instruction; False once the console should stop.

        A failing line is reported and remembered, never raised: the console goes on.
        """
        try:
            if text.startswith("::"):
                name, _, arguments = text[2:].strip().partition(" ")
                if name.lower() in {"quit", "exit", "q"}:
                    return False
                await self._instruction(name.lower(), arguments.strip())
            else:
                await self._deliver(self.updates.text(self.me.user, text, self._chat()))
        except LineFailed as failure:
            self._fail(where, text, str(failure))
        except Exception as error:
            # A console line must never end the console; the traceback goes to the log.
            log.warning("console line %r failed", text, exc_info=True)
            self._fail(where, text, f"console error: {type(error).__name__}: {error}")
        return True

    def _fail(self, where: str, text: str, reason: str) -> None:
        self.problem(f"{where + ': ' if where else ''}{reason}")
        first_line = text.split("\n")[0]
        self.failures.append(f"{where or 'line'} ({first_line}): {reason}")

    async def replay(self, entries: Iterable[tuple[int, str]], name: str) -> int:
        """Run a script's lines, echoing each; 1 if any line failed."""
        for number, text in entries:
            self.echo(text)
            if not await self.run_line(text, where=f"{name} line {number}"):
                break
        if self.failures:
            self.print()
            count = len(self.failures)
            self.problem(f"{count} line{'s' if count > 1 else ''} of {name} failed:")
            for failure in self.failures:
                self.problem(f"  {failure}")
            return 1
        return 0

    async def interact(self, lines: Iterable[str] | None) -> int:
        """Read lines until ::quit or end of input; `lines` replaces stdin (tests)."""
        given = iter(lines) if lines is not None else None
        echo = given is not None or not sys.stdin.isatty()
        if given is None and sys.stdin.isatty():
            _enable_line_editing()
        pending: list[str] = []
        while True:
            prompt = self.prompt if not pending else "...> ".rjust(len(self.prompt))
            if given is not None:
                line = next(given, None)
            else:
                # Echoed lines print their own prompt; a terminal shows input() its prompt.
                line = await read_line("" if echo else prompt, self.output)
            if line is None:
                break
            line = line.rstrip("\r\n")
            if line.rstrip().endswith("\\"):
                pending.append(line.rstrip()[:-1].rstrip())
                continue
            text = "\n".join([*pending, line]).strip()
            pending = []
            if not text:
                continue
            if echo:
                self.echo(text)
            if not await self.run_line(text):
                break
        self.note("bye")
        return 0

    async def _instruction(self, name: str, arguments: str) -> None:
        run = self._instructions.get(name)
        if run is None:
            raise LineFailed(f"unknown instruction ::{name}; ::help lists the instructions")
        await run(arguments)

    def _chat(self) -> JSON | None:
        """The group chat, or None for the current person's private chat."""
        if self.in_group and self.demo.group is not None:
            return self.updates.group_chat(self.demo.group.chat_id, self.demo.group.title)
        return None

    @property
    def chat_id(self) -> int:
        """The chat messages go to now."""
        if self.in_group and self.demo.group is not None:
            return self.demo.group.chat_id
        return self.me.user.id

    async def _deliver(self, data: JSON) -> None:
        """Hand one update to the bot and print what came of it."""
        self._bot_errors.clear()
        await self.app.process_update(self.updates.as_update(data, self.app.bot))
        await asyncio.sleep(0)  # let tasks the handlers started take their first step
        if not self._show_news():
            self.note("(no reply)")
        if self._bot_errors:
            error = self._bot_errors[0]
            raise LineFailed(
                f"the bot failed on this: {type(error).__name__}: {error} (traceback in the log)"
            )

    async def _record_error(self, update: object, context: BotContext) -> None:
        """Bugs (not refusals, which the bot explains) make the line fail."""
        if context.error is not None and not isinstance(context.error, ServiceError):
            self._bot_errors.append(context.error)

    # -- showing what the bot did ---------------------------------------------------------

    def _catch_up(self) -> None:
        """Mark everything the bot did so far as shown."""
        self._calls_seen = len(self.api.calls)
        for chat_id, messages in self.api.messages.items():
            for message in messages:
                self._seen[(chat_id, message["message_id"])] = _fingerprint(message)

    def _show_news(self) -> int:
        """Print, in the order the bot made them, new messages, edits and alerts."""
        shown = 0
        calls = self.api.calls[self._calls_seen :]
        self._calls_seen = len(self.api.calls)
        for call in calls:
            if call.method == "answerCallbackQuery" and call.params.get("text"):
                kind = "alert" if call.params.get("show_alert") else "notice"
                self._print_block(f"bot ({kind})> ", str(call.params["text"]))
                shown += 1
            elif (call.method in _SENDS or call.method in _EDITS) and "chat_id" in call.params:
                shown += self._show_chat(int(call.params["chat_id"]))
            elif call.method == "answerInlineQuery":
                self._print_block("bot (inline)> ", inline_results(call.params))
                shown += 1
        return shown

    def _show_chat(self, chat_id: int) -> int:
        shown = 0
        for message in self.api.sent_to(chat_id):
            key = (chat_id, message["message_id"])
            fingerprint = _fingerprint(message)
            if self._seen.get(key) == fingerprint:
                continue
            edited = key in self._seen
            self._seen[key] = fingerprint
            label = "bot"
            if chat_id != self.chat_id:
                label += f" → {self._chat_name(chat_id)}"
            if edited:
                label += " (edited)"
            self._print_block(f"{label}> ", self._render(message), keyboard_lines(message))
            shown += 1
        return shown

    def _render(self, message: JSON) -> str:
        is_html = message.get("parse_mode") == "HTML"
        parts = []
        if "location" in message:
            where = message["location"]
            parts.append(f"[location {where['latitude']}, {where['longitude']}]")
        if "contact" in message:
            card = message["contact"]
            parts.append(f"[contact {card.get('first_name', '')} {card.get('phone_number', '')}]")
        if "document" in message:
            parts.append("[file]")
        for key in ("text", "caption"):
            if message.get(key):
                parts.append(plain_text(str(message[key]), is_html=is_html, color=self.color))
        return "\n".join(parts) or "(empty message)"

    def _print_block(self, label: str, body: str, extra: Iterable[str] = ()) -> None:
        lines = [*body.split("\n"), *extra]
        indent = " " * len(label)
        self.print(label + lines[0])
        for line in lines[1:]:
            self.print((indent + line).rstrip())

    def _chat_name(self, chat_id: int) -> str:
        if self.demo.group is not None and chat_id == self.demo.group.chat_id:
            return self.demo.group.title
        for person in [*self.people, *self.strangers.values()]:
            if person.user.id == chat_id:
                return person.name
        return f"chat {chat_id}"

    # -- instructions ---------------------------------------------------------------------

    async def _act_as(self, arguments: str) -> None:
        if not arguments:
            raise LineFailed("say whom to act as: ::as NAME (::who lists the demo members)")
        self.me = self._find(arguments)
        self.note(f"you are now {await self._describe(self.me)}")

    def _find(self, wanted: str) -> Person:
        """A demo member by full name, @username or first name; else a stranger."""
        key = fold(wanted)
        if key.startswith("@"):
            handle = key[1:]
            for person in self.people:
                if fold(person.user.username or "") == handle:
                    return person
            raise LineFailed(f"no demo member is {wanted}; ::who lists them")
        for person in self.people:
            if key in {fold(person.name), fold(person.user.username or "")}:
                return person
        same_first = [p for p in self.people if fold(p.user.first_name) == key]
        if len(same_first) == 1:
            return same_first[0]
        if same_first:
            names = ", ".join(p.name for p in same_first)
            raise LineFailed(f"{wanted!r} could be {names}; give the full name")
        if key not in self.strangers:
            first, _, last = " ".join(wanted.split()).partition(" ")
            user_id = FIRST_STRANGER_ID + len(self.strangers)
            user = LocalUser(user_id, first, last or None, None, "en")
            self.strangers[key] = Person(user, fake_phone(user_id))
        return self.strangers[key]

    async def _describe(self, person: Person) -> str:
        """Who someone is, with their language and roles as the database has them now."""
        access = self.app.services.access
        caller = await access.identify_known(person.user.id)
        languages = f"Telegram language {person.user.language_code}"
        if caller is not None and caller.member is not None and caller.member.language:
            languages += f", chose {caller.member.language}"
        handle = f"@{person.user.username}, " if person.user.username else ""
        who = f"{person.name} ({handle}{languages})"
        if caller is None or caller.membership is None:
            kind = "a stranger" if person.demo is None else "a demo member"
            return f"{who}, {kind} in no partnership (user id {person.user.id})"
        memberships = await access.memberships(caller)
        active = caller.membership.partnership_id
        roles = "; ".join(
            f"{m.role.value} of {m.partnership.name}"
            + (" (active)" if len(memberships) > 1 and m.partnership_id == active else "")
            for m in memberships
        )
        return f"{who}, {roles}"

    async def _press(self, arguments: str) -> None:
        if not arguments:
            raise LineFailed("say which button: ::press N or ::press TEXT")
        message = next((m for m in reversed(self.api.sent_to(self.chat_id)) if buttons_of(m)), None)
        if message is None:
            raise LineFailed("there is no keyboard in this chat to press a button of")
        buttons = buttons_of(message)
        index = choose_button(buttons, arguments)
        button = buttons[index]
        if "callback_data" not in button:
            self.note(f"[{index + 1}] {button['text']} opens {button.get('url', 'a link')}")
            return
        self.note(f"pressed [{index + 1}] {button['text']}")
        await self._deliver(self.updates.press(self.me.user, message, button["callback_data"]))

    async def _location(self, arguments: str) -> None:
        numbers = [part for part in re.split(r"[\s,;]+", arguments.strip()) if part]
        try:
            latitude, longitude = (float(n) for n in numbers)
        except ValueError:
            raise LineFailed("usage: ::location LAT LON, e.g. ::location 14.69 -17.44") from None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise LineFailed("latitude must be within -90..90 and longitude within -180..180")
        location = {"latitude": latitude, "longitude": longitude}
        await self._deliver(self.updates.message(self.me.user, self._chat(), location=location))

    async def _contact(self, arguments: str) -> None:
        card = {
            "phone_number": self.me.phone,
            "first_name": self.me.user.first_name,
            "user_id": self.me.user.id,
        }
        if self.me.user.last_name:
            card["last_name"] = self.me.user.last_name
        await self._deliver(self.updates.message(self.me.user, self._chat(), contact=card))

    async def _photo(self, arguments: str) -> None:
        unique = f"console-photo-{self.api.next_message_id()}"
        sizes = [
            {"file_id": f"{unique}-{w}", "file_unique_id": f"{unique}-{w}", "width": w,
             "height": w * 3 // 4}
            for w in (320, 1280)
        ]  # fmt: skip
        content: JSON = {"photo": sizes}
        if arguments:
            content["caption"] = arguments
        await self._deliver(self.updates.message(self.me.user, self._chat(), **content))

    async def _file(self, arguments: str) -> None:
        if not arguments:
            raise LineFailed("say which file: ::file PATH")
        try:
            name, content = await asyncio.to_thread(_read_file, arguments)
        except OSError as error:
            raise LineFailed(f"cannot read {arguments}: {error.strerror}") from None
        mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        document = self.api.upload(content, name, mime_type)
        await self._deliver(self.updates.message(self.me.user, self._chat(), document=document))

    async def _inline(self, arguments: str) -> None:
        await self._deliver(self.updates.inline_query(self.me.user, arguments))

    async def _group(self, arguments: str) -> None:
        if self.demo.group is None:
            raise LineFailed("the demo data has no group chat")
        self.in_group = True
        self.note(f"talking in the group {self.demo.group.title!r}; ::private goes back")

    async def _private(self, arguments: str) -> None:
        self.in_group = False
        self.note(f"talking in {self.me.user.first_name}'s private chat with the bot")

    async def _who(self, arguments: str) -> None:
        self.note("demo members (* is you):")
        for person in [*self.people, *self.strangers.values()]:
            mark = "*" if person.user.id == self.me.user.id else " "
            self.print(f"   {mark} {await self._describe(person)}")

    async def _help(self, arguments: str) -> None:
        self.note("anything else you type is a message from you to the bot")
        width = max(len(usage) for usage, _ in INSTRUCTIONS)
        for usage, meaning in INSTRUCTIONS:
            self.print(f"   {usage.ljust(width)}  {meaning}")


def _read_file(location: str) -> tuple[str, bytes]:
    path = Path(location).expanduser()
    return path.name, path.read_bytes()


def inline_results(params: JSON) -> str:
    """What inline mode offers, one numbered line per result."""
    results = params.get("results") or []
    if not results:
        return "(no results)"
    lines = []
    for number, result in enumerate(results, 1):
        if result.get("type") == "contact":
            lines.append(f"[{number}] {result['first_name']} {result['phone_number']}")
        else:
            description = f" — {result['description']}" if result.get("description") else ""
            lines.append(f"[{number}] {result.get('title', '')}{description}")
    if params.get("next_offset"):
        lines.append(f"(more from offset {params['next_offset']})")
    return "\n".join(lines)


def _fingerprint(message: JSON) -> str:
    """What an edit can change, to notice edits."""
    return repr((message.get("text"), message.get("caption"), message.get("reply_markup")))


def _is_terminal(output: TextIO) -> bool:
    try:
        return output.isatty()
    except (AttributeError, ValueError):
        return False


def _enable_line_editing() -> None:
    """Arrow keys and history in input(), where the platform has readline."""
    with suppress(ImportError):
        importlib.import_module("readline")


async def read_line(prompt: str, output: TextIO) -> str | None:
    """One line of stdin, or None at its end (Ctrl-D), read while the event loop runs.

    input() runs in a daemon thread rather than asyncio.to_thread: the default executor is
    joined when asyncio.run ends, so after Ctrl-C the program would wait for one more Enter.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str | None] = loop.create_future()

    def deliver(line: str | None) -> None:
        if not future.done():
            future.set_result(line)

    def read() -> None:
        try:
            line: str | None = input(prompt) if output is sys.stdout else _prompted(prompt, output)
        except (EOFError, KeyboardInterrupt, OSError, ValueError):
            line = None
        # The loop may be gone already when the console ended while this thread waited.
        with suppress(RuntimeError):
            loop.call_soon_threadsafe(deliver, line)

    threading.Thread(target=read, name="console-input", daemon=True).start()
    return await future


def _prompted(prompt: str, output: TextIO) -> str:
    output.write(prompt)
    output.flush()
    return input()


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """Keep INFO chatter of the bot and PTB out of the conversation; DEBUG keeps it all."""
    root = logging.getLogger()
    level = root.level
    if level > logging.DEBUG:
        root.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        root.setLevel(level)


def _remove_database(database: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


async def run_console(
    settings: Settings,
    *,
    database: Path,
    script: Path | None,
    fresh: bool,
    output: TextIO = sys.stdout,
    input_lines: Iterable[str] | None = None,
    demo_file: Path = DEMO_FILE,
) -> int:
    """Run the bot on `database` with the demo data and talk to it.

    With `script`, replay the file and return 1 if a line failed; otherwise read lines
    (from `input_lines`, or stdin) until ::quit, end of input or Ctrl-C, and return 0.
    """
    entries: list[tuple[int, str]] | None = None
    if script is not None:
        try:
            text = await asyncio.to_thread(script.read_text, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            output.write(f"!! cannot read the script {script}: {error}\n")
            return 1
        entries = list(script_entries(text.splitlines()))
    if fresh:
        _remove_database(database)
    api = LocalBotApi()
    # The console never talks to Telegram, so a configured token is not even handed over.
    local = settings.model_copy(update={"database_path": database, "bot_token": None})
    application = build_application(local, request=api, rate_limiter=False)
    with _quiet_logs():
        async with running(application):
            try:
                demo = await load_demo(application.services, demo_file)
            except DemoDataError as error:
                output.write(f"!! {error}\n")
                return 1
            console = Console(application, api, demo, output)
            try:
                await console.banner(database, demo_file)
                if entries is not None:
                    return await console.replay(entries, script.name if script else "script")
                return await console.interact(input_lines)
            except (KeyboardInterrupt, asyncio.CancelledError):
                # Ctrl-C: leave cleanly; the application still stops and closes the database.
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()
                console.print()
                console.note("interrupted; bye")
                return 0 if entries is None else 1
