"""What the bot did, as terminal text: its messages, edits, alerts and inline results."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from typing import TextIO

from bot.console.terminal import is_terminal
from bot.local_api import JSON, LocalBotApi

BOLD, NORMAL = "\033[1m", "\033[22m"
_SENDS = {"sendMessage", "sendPhoto", "sendDocument", "sendContact", "sendLocation"}
_EDITS = {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}


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


class Screen:
    """The console's output: the bot's new messages, edits and alerts, and its own notes."""

    def __init__(self, api: LocalBotApi, output: TextIO) -> None:
        self.api = api
        self.output = output
        self.color = is_terminal(output) and "NO_COLOR" not in os.environ
        self._seen: dict[tuple[int, int], str] = {}
        self._calls_seen = 0
        self.catch_up()

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

    def catch_up(self) -> None:
        """Mark everything the bot did so far as shown."""
        self._calls_seen = len(self.api.calls)
        for chat_id, messages in self.api.messages.items():
            for message in messages:
                self._seen[(chat_id, message["message_id"])] = _fingerprint(message)

    def show_news(self, here: int, chat_name: Callable[[int], str]) -> int:
        """Print, in the order the bot made them, new messages, edits and alerts; those in
        another chat than `here` are labelled with `chat_name`."""
        shown = 0
        calls = self.api.calls[self._calls_seen :]
        self._calls_seen = len(self.api.calls)
        for call in calls:
            if call.method == "answerCallbackQuery" and call.params.get("text"):
                kind = "alert" if call.params.get("show_alert") else "notice"
                self._print_block(f"bot ({kind})> ", str(call.params["text"]))
                shown += 1
            elif (call.method in _SENDS or call.method in _EDITS) and "chat_id" in call.params:
                chat_id = int(call.params["chat_id"])
                shown += self._show_chat(chat_id, "" if chat_id == here else chat_name(chat_id))
            elif call.method == "answerInlineQuery":
                self._print_block("bot (inline)> ", inline_results(call.params))
                shown += 1
        return shown

    def _show_chat(self, chat_id: int, elsewhere: str) -> int:
        shown = 0
        for message in self.api.sent_to(chat_id):
            key = (chat_id, message["message_id"])
            fingerprint = _fingerprint(message)
            if self._seen.get(key) == fingerprint:
                continue
            edited = key in self._seen
            self._seen[key] = fingerprint
            label = "bot"
            if elsewhere:
                label += f" → {elsewhere}"
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
