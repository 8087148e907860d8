"""The people side of the local Bot API server: users, chats, and what they see of the bot.

A `TestUser` acts the way a person does in a Telegram client (writes, shares a contact or a
location, uploads files, presses buttons, runs inline queries) and reads what the bot sent into
the chat as `BotMessage` objects, which follow the bot's later edits.

Everything waits on the server's activity signal, so nothing here sleeps for a fixed time.
"""

# The waiting methods take `timeout=` on purpose: `await user.next_message(timeout=2)` reads
# best in tests, and the deadline is enforced inside with asyncio.timeout.
# ruff: noqa: ASYNC109

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from tests.e2e.botapi_server import BotApiServer

JSON = dict[str, Any]

#: Default upload contents: small, but with the magic bytes of their formats.
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00partnerbot-test-photo\xff\xd9"
FAKE_OGG = b"OggS\x00\x02partnerbot-test-voice"
FAKE_PDF = b"%PDF-1.4\n% partnerbot test document\n%%EOF\n"


@dataclass(frozen=True, slots=True)
class UserInfo:
    """Who a person is on Telegram."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"
    is_premium: bool = False

    def json(self) -> JSON:
        """The Telegram `User` object."""
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        if self.is_premium:
            data["is_premium"] = True
        return data


class Button(NamedTuple):
    """An inline button as a person sees it: its label and its callback data or URL."""

    text: str
    data: str | None

    @classmethod
    def of(cls, button: JSON) -> Button:
        value = button.get("callback_data", button.get("url"))
        return cls(str(button["text"]), None if value is None else str(value))


@dataclass(frozen=True, slots=True)
class Revision:
    """A version of a bot message before an edit replaced it."""

    json: JSON
    html: str | None
    parse_mode: str | None
    reply_markup: JSON | None


@dataclass(eq=False, slots=True)
class BotMessage:
    """A message the bot sent; edits update it in place and keep the old versions in `edits`."""

    chat_id: int
    message_id: int
    #: The Bot API method that created it (sendMessage, sendPhoto, copyMessage, ...).
    method: str
    #: The `Message` object as Telegram returns it now.
    json: JSON
    #: Text or caption exactly as the bot sent it (with its markup), current version.
    html: str | None
    parse_mode: str | None
    #: The reply_markup as sent, any kind (inline keyboard, reply keyboard, remove, force reply).
    reply_markup: JSON | None
    edits: list[Revision] = field(default_factory=list)
    deleted: bool = False

    @property
    def text(self) -> str | None:
        """Plain text after entity parsing (None for media messages)."""
        value = self.json.get("text")
        return None if value is None else str(value)

    @property
    def caption(self) -> str | None:
        """Plain caption after entity parsing."""
        value = self.json.get("caption")
        return None if value is None else str(value)

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has ("" for neither)."""
        return self.text or self.caption or ""

    @property
    def entities(self) -> list[JSON]:
        """Entities of the text or of the caption."""
        return list(self.json.get("entities") or self.json.get("caption_entities") or [])

    @property
    def version(self) -> int:
        """0 for the message as first sent, +1 for every edit."""
        return len(self.edits)

    @property
    def buttons(self) -> list[list[Button]]:
        """Rows of inline buttons currently attached (empty if none)."""
        markup = self.json.get("reply_markup") or {}
        return [[Button.of(b) for b in row] for row in markup.get("inline_keyboard", [])]

    @property
    def keyboard(self) -> list[list[str]]:
        """Rows of reply-keyboard button labels sent with the message (empty if none)."""
        rows = (self.reply_markup or {}).get("keyboard", [])
        return [[b if isinstance(b, str) else str(b["text"]) for b in row] for row in rows]

    def button(self, label: str) -> Button:
        """The inline button with this label or callback data."""
        for row in self.buttons:
            for button in row:
                if label in (button.text, button.data):
                    return button
        raise LookupError(f"no button {label!r} on message {self.message_id}: {self.buttons}")

    @property
    def reply_to_message_id(self) -> int | None:
        replied = self.json.get("reply_to_message")
        return None if replied is None else int(replied["message_id"])

    # Media and other content, as the `Message` fields of the same name.
    @property
    def photo(self) -> list[JSON] | None:
        return self.json.get("photo")

    @property
    def document(self) -> JSON | None:
        return self.json.get("document")

    @property
    def voice(self) -> JSON | None:
        return self.json.get("voice")

    @property
    def audio(self) -> JSON | None:
        return self.json.get("audio")

    @property
    def video(self) -> JSON | None:
        return self.json.get("video")

    @property
    def contact(self) -> JSON | None:
        return self.json.get("contact")

    @property
    def location(self) -> JSON | None:
        return self.json.get("location")

    @property
    def venue(self) -> JSON | None:
        return self.json.get("venue")

    @property
    def poll(self) -> JSON | None:
        return self.json.get("poll")

    def __repr__(self) -> str:
        flags = " deleted" if self.deleted else ""
        flags += f" edits={self.version}" if self.edits else ""
        body = self.content or self.method
        return f"<BotMessage {self.chat_id}/{self.message_id}{flags}: {body[:80]!r}>"


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """What the bot answered to a button press (answerCallbackQuery)."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass(frozen=True, slots=True)
class InlineAnswer:
    """What the bot answered to an inline query (answerInlineQuery)."""

    query_id: str
    results: list[JSON]
    cache_time: int | None
    is_personal: bool
    next_offset: str | None
    button: JSON | None


@dataclass(frozen=True, slots=True)
class IncomingUpdate:
    """An update a person's action produced, as queued for the bot."""

    update: JSON
    #: False when Telegram would not have delivered it (allowed_updates, group privacy mode).
    delivered: bool = True

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        """The update type: message, edited_message, callback_query, ..."""
        return next(key for key in self.update if key != "update_id")

    @property
    def payload(self) -> JSON:
        result: JSON = self.update[self.kind]
        return result

    @property
    def message_id(self) -> int:
        """The id of the person's message (for message and edited_message updates)."""
        return int(self.payload["message_id"])


@dataclass(eq=False)
class TestChat:
    """A chat on the server: a private chat with one person, a group or a supergroup."""

    __test__ = False  # not a pytest test class

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user: UserInfo | None = None
    #: Status of each person in a group: creator, administrator, member, left, kicked.
    members: dict[int, str] = field(default_factory=dict)
    #: The bot's own status: member, administrator, left, kicked.
    bot_status: str = "member"
    #: Private chats: whether the person wrote to the bot (bots can't write first).
    started: bool = False
    blocked: bool = False
    #: Every message in the chat by id, people's and the bot's, as `Message` objects.
    messages: dict[int, JSON] = field(default_factory=dict)
    #: The bot's messages in the order it sent them.
    bot_messages: list[BotMessage] = field(default_factory=list)
    #: Chat actions (typing, upload_document, ...) in the order the bot sent them.
    actions: list[str] = field(default_factory=list)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_message_id(self) -> int:
        """Message ids are per chat and shared by people and the bot."""
        return next(self._message_ids)

    def json(self) -> JSON:
        """The `Chat` object as it appears inside messages."""
        data: JSON = {"id": self.id, "type": self.type}
        if self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name is not None:
                data["last_name"] = self.user.last_name
            if self.user.username is not None:
                data["username"] = self.user.username
        else:
            data["title"] = self.title
            if self.username is not None:
                data["username"] = self.username
        return data

    def bot_message(self, message_id: int) -> BotMessage | None:
        for message in reversed(self.bot_messages):
            if message.message_id == message_id:
                return message
        return None

    def __repr__(self) -> str:
        return f"<TestChat {self.type} {self.id} {self.title or self.json().get('first_name')!r}>"


class TestUser:
    """A person using Telegram, in one chat at a time (their private chat with the bot by default).

    Acting methods queue the update Telegram would deliver and return at once; reading methods wait
    for the bot, up to a timeout, and fail with what the chat holds when it never comes.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, server: BotApiServer, info: UserInfo, chat: TestChat) -> None:
        self.server = server
        self.info = info
        self.chat = chat

    # -- identity ----------------------------------------------------------------------------

    @property
    def id(self) -> int:
        return self.info.id

    @property
    def first_name(self) -> str:
        return self.info.first_name

    @property
    def username(self) -> str | None:
        return self.info.username

    @property
    def language_code(self) -> str | None:
        return self.info.language_code

    def json(self) -> JSON:
        return self.info.json()

    @property
    def private_chat(self) -> TestChat:
        return self.server.private_chat(self.id)

    def in_chat(self, chat: TestChat) -> TestUser:
        """The same person acting in another chat (a group); joins it if needed."""
        if chat.type != "private" and chat.members.get(self.id) in (None, "left"):
            chat.members[self.id] = "member"
        return TestUser(self.server, self.info, chat)

    def _chat(self, chat: TestChat | None) -> TestChat:
        return self.in_chat(chat).chat if chat is not None else self.chat

    def __repr__(self) -> str:
        return f"<TestUser {self.id} {self.first_name!r} in {self.chat.id}>"

    # -- acting ------------------------------------------------------------------------------

    async def send(
        self,
        text: str,
        *,
        chat: TestChat | None = None,
        reply_to: BotMessage | IncomingUpdate | int | None = None,
    ) -> IncomingUpdate:
        """Write a text message; a leading /command gets its bot_command entity."""
        content: JSON = {"text": text}
        entities = self.server.command_entities(text)
        if entities:
            content["entities"] = entities
        return self.server.user_message(self.info, self._chat(chat), content, reply_to=reply_to)

    async def send_contact(
        self,
        phone_number: str = "+221770000000",
        first_name: str | None = None,
        last_name: str | None = None,
        *,
        own: bool = True,
        chat: TestChat | None = None,
    ) -> IncomingUpdate:
        """Share a contact; by default one's own (as the "share my phone number" button does)."""
        contact: JSON = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
        }
        if last_name is not None:
            contact["last_name"] = last_name
        if own:
            contact["user_id"] = self.id
        return self.server.user_message(self.info, self._chat(chat), {"contact": contact})

    async def send_location(
        self, latitude: float, longitude: float, *, chat: TestChat | None = None
    ) -> IncomingUpdate:
        location = {"latitude": latitude, "longitude": longitude}
        return self.server.user_message(self.info, self._chat(chat), {"location": location})

    async def send_photo(
        self,
        caption: str | None = None,
        *,
        content: bytes = FAKE_JPEG,
        width: int = 1280,
        height: int = 960,
        chat: TestChat | None = None,
    ) -> IncomingUpdate:
        """Send a photo; the bot gets several sizes of it, each downloadable."""
        sizes = self.server.store_photo(content, width, height)
        message: JSON = {"photo": sizes}
        if caption is not None:
            message["caption"] = caption
        return self.server.user_message(self.info, self._chat(chat), message)

    async def send_document(
        self,
        filename: str = "report.pdf",
        content: bytes = FAKE_PDF,
        mime_type: str = "application/pdf",
        *,
        caption: str | None = None,
        chat: TestChat | None = None,
    ) -> IncomingUpdate:
        """Send a file; the bot can download it with getFile and the file URL."""
        document = self.server.store_file(
            "document", content, file_name=filename, mime_type=mime_type
        )
        message: JSON = {"document": document}
        if caption is not None:
            message["caption"] = caption
        return self.server.user_message(self.info, self._chat(chat), message)

    async def send_voice(
        self, duration: int = 3, *, content: bytes = FAKE_OGG, chat: TestChat | None = None
    ) -> IncomingUpdate:
        voice = self.server.store_file("voice", content, mime_type="audio/ogg", duration=duration)
        return self.server.user_message(self.info, self._chat(chat), {"voice": voice})

    async def edit(self, message: IncomingUpdate, new_text: str) -> IncomingUpdate:
        """Edit one's own earlier text message (an edited_message update)."""
        return self.server.user_edit(self.info, message, new_text)

    async def inline_query(
        self, query: str, *, offset: str = "", timeout: float = 5.0
    ) -> InlineAnswer:
        """Type `@bot query` anywhere; returns the bot's answerInlineQuery."""
        incoming = self.server.user_inline_query(self.info, self.chat, query, offset)
        query_id = self._expect_delivered(incoming)
        await self.server.wait_for(
            lambda: query_id in self.server.inline_answers,
            timeout,
            f"the bot to answer inline query {query!r} of {self.first_name}",
        )
        return self.server.inline_answers[query_id]

    async def press(
        self, button: str, message: BotMessage | None = None, *, timeout: float = 5.0
    ) -> CallbackAnswer:
        """Press an inline button (by label or callback data) of the newest message showing it.

        Returns the bot's answerCallbackQuery; fails if the bot does not answer in time.
        """
        target, data = self.find_button(button, message)
        incoming = self.server.user_callback_query(self.info, self.chat, target, data)
        query_id = self._expect_delivered(incoming)
        self._last_pressed = target
        await self.server.wait_for(
            lambda: query_id in self.server.callback_answers,
            timeout,
            f"the bot to answer the press of {button!r} by {self.first_name} (answerCallbackQuery)",
        )
        return self.server.callback_answers[query_id]

    def _expect_delivered(self, incoming: IncomingUpdate) -> str:
        """The query id; fails at once if the bot is not receiving such updates."""
        if not incoming.delivered:
            raise AssertionError(
                f"the bot does not receive {incoming.kind} updates (see allowed_updates)"
            )
        return str(incoming.payload["id"])

    def find_button(self, label: str, message: BotMessage | None = None) -> tuple[BotMessage, str]:
        """The newest message in this chat with an inline button of this label or callback data,
        and that button's callback data."""
        candidates = [message] if message else list(reversed(self.chat.bot_messages))
        for candidate in candidates:
            if candidate.deleted:
                continue
            for row in candidate.json.get("reply_markup", {}).get("inline_keyboard", []):
                for raw in row:
                    if label not in (raw["text"], raw.get("callback_data")):
                        continue
                    if "callback_data" not in raw:
                        kind = next(k for k in raw if k != "text")
                        raise ValueError(f"button {raw['text']!r} is a {kind} button: {raw}")
                    return candidate, str(raw["callback_data"])
        shown = [
            f"{m.message_id}: {[b.text + ' → ' + str(b.data) for row in m.buttons for b in row]}"
            for m in candidates[:5]
            if m.buttons and not m.deleted
        ]
        raise LookupError(
            f"no inline button {label!r} in chat {self.chat.id}; buttons shown: "
            + ("; ".join(shown) or "none")
        )

    async def choose(self, label: str) -> IncomingUpdate:
        """Tap a reply-keyboard button: sends its text, or the contact / location it asks for."""
        for message in reversed(self.chat.bot_messages):
            markup = message.reply_markup or {}
            if markup.get("remove_keyboard"):
                break
            for row in markup.get("keyboard", []):
                for raw in row:
                    button = {"text": raw} if isinstance(raw, str) else raw
                    if button["text"] != label:
                        continue
                    if button.get("request_contact"):
                        return await self.send_contact()
                    if button.get("request_location"):
                        return await self.send_location(14.6928, -17.4467)
                    return await self.send(label)
        raise LookupError(f"no reply-keyboard button {label!r} shown in chat {self.chat.id}")

    async def block_bot(self) -> IncomingUpdate:
        """Block the bot: it gets a my_chat_member update, and 403 for anything it sends."""
        return self.server.set_blocked(self.info, blocked=True)

    async def unblock_bot(self) -> IncomingUpdate:
        return self.server.set_blocked(self.info, blocked=False)

    async def add_bot_to(self, group: TestChat, *, admin: bool = False) -> IncomingUpdate:
        """Add the bot to a group (my_chat_member update); the person becomes its creator if
        the group had none."""
        return self.server.add_bot(self.info, group, admin=admin)

    async def remove_bot_from(self, group: TestChat) -> IncomingUpdate:
        return self.server.remove_bot(self.info, group)

    # -- reading -----------------------------------------------------------------------------

    @property
    def history(self) -> list[BotMessage]:
        """Everything the bot sent into this chat, oldest first (deleted ones flagged)."""
        return list(self.chat.bot_messages)

    @property
    def last_message(self) -> BotMessage | None:
        """The bot's newest message in this chat, as it is now (after edits)."""
        return self.chat.bot_messages[-1] if self.chat.bot_messages else None

    @property
    def unread(self) -> list[BotMessage]:
        """Bot messages in this chat that `next_message` has not returned yet."""
        return self.chat.bot_messages[self._cursor :]

    @property
    def _cursor(self) -> int:
        return self.server.read_cursor(self.id, self.chat.id)

    async def next_message(self, timeout: float = 5.0) -> BotMessage:
        """The next message the bot sent into this chat that this person has not read yet."""
        chat = self.chat
        await self.server.wait_for(
            lambda: len(chat.bot_messages) > self._cursor,
            timeout,
            f"a message from the bot in chat {chat.id} for {self.first_name}",
        )
        message = chat.bot_messages[self._cursor]
        self.server.advance_cursor(self.id, chat.id)
        self._seen[message] = message.version
        return message

    async def messages(self, count: int, timeout: float = 5.0) -> list[BotMessage]:
        """The next `count` unread messages (the timeout applies to the whole batch)."""
        chat = self.chat
        await self.server.wait_for(
            lambda: len(chat.bot_messages) >= self._cursor + count,
            timeout,
            f"{count} messages from the bot in chat {chat.id} for {self.first_name}",
        )
        return [await self.next_message(0) for _ in range(count)]

    async def expect_no_message(self, within: float = 0.3) -> None:
        """Fail if the bot sends anything into this chat within `within` seconds."""
        chat = self.chat
        arrived = await self.server.wait_until(
            lambda: len(chat.bot_messages) > self._cursor, within
        )
        if arrived:
            raise AssertionError(f"unexpected message from the bot: {self.unread}")

    async def next_edit(
        self, message: BotMessage | None = None, timeout: float = 5.0
    ) -> BotMessage:
        """Wait until the bot edits `message` (default: the one last pressed, else the newest)
        beyond the version this person last saw; returns it."""
        target = message or self._last_pressed or self.last_message
        if target is None:
            raise LookupError(f"no bot message in chat {self.chat.id} to wait for an edit of")
        seen = self._seen.get(target, 0)
        await self.server.wait_for(
            lambda: target.version > seen,
            timeout,
            f"the bot to edit message {target.message_id} in chat {target.chat_id}",
        )
        self._seen[target] = target.version
        return target

    # Per-person reading state, shared by every chat view of the same person.
    @property
    def _seen(self) -> dict[BotMessage, int]:
        return self.server.seen_versions(self.id)

    @property
    def _last_pressed(self) -> BotMessage | None:
        return self.server.last_pressed.get((self.id, self.chat.id))

    @_last_pressed.setter
    def _last_pressed(self, message: BotMessage) -> None:
        self.server.last_pressed[(self.id, self.chat.id)] = message
