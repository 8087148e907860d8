"""A Bot API that answers in-process: the console's transport, and the unit tests' network.

It never opens a socket. Every call is recorded; messages the bot sends are kept per chat
with their edits, so a console can print them and a test can read them.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class LocalUser:
    """A person chatting with the bot."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def as_json(self) -> JSON:
        """The Telegram `User` object."""
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file known to the local API: uploaded by the bot, or sent by a person."""

    file_id: str
    file_name: str
    mime_type: str
    content: bytes
    #: Telegram may leave a file's size out (it is optional): then nothing tells it.
    size_known: bool = True

    def size(self) -> JSON:
        """The `file_size` field, when the size is known."""
        return {"file_size": len(self.content)} if self.size_known else {}

    @property
    def file_path(self) -> str:
        """Where getFile says the file can be downloaded, under the file base URL."""
        return f"documents/{self.file_id}"

    def as_document(self) -> JSON:
        """The Telegram `Document` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            **self.size(),
        }


@dataclass(slots=True)
class ApiCall:
    """One request the bot made."""

    method: str
    params: JSON
    #: Files uploaded with the request, by parameter name (e.g. "document").
    files: dict[str, LocalFile] = field(default_factory=dict)


class _Refusal(Exception):
    """An error Telegram would answer instead of a result."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass(slots=True)
class Fault:
    """An error the local API answers instead of a result, as Telegram would."""

    method: str
    status: int
    description: str
    chat_id: int | None = None
    retry_after: int | None = None
    times: int = 1


@dataclass(slots=True)
class LocalBotApi(BaseRequest):
    """Answers Bot API methods locally and records them."""

    bot_id: int = 1
    bot_username: str = "partnerbot"
    calls: list[ApiCall] = field(default_factory=list)
    #: Messages the bot sent, per chat, in order; edits update them in place.
    messages: dict[int, list[JSON]] = field(default_factory=dict)
    chats: dict[int, JSON] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    #: Files people sent or the bot uploaded, by file id (served by getFile and downloads).
    files: dict[str, LocalFile] = field(default_factory=dict)
    #: Messages people sent, by (chat id, message id): what a reply of the bot quotes.
    received: dict[tuple[int, int], JSON] = field(default_factory=dict)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __hash__(self) -> int:
        return id(self)

    @property
    def read_timeout(self) -> float | None:
        """No real I/O: nothing to wait for."""
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def bot_user(self) -> JSON:
        """The bot's own `User` object."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Partnerbot",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    def chat(self, chat_id: int) -> JSON:
        """A chat seen before, or a private chat with that id."""
        return self.chats.get(chat_id, {"id": chat_id, "type": "private", "first_name": "?"})

    def next_message_id(self) -> int:
        """Message ids for messages of people and of the bot alike."""
        return next(self._message_ids)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one Bot API call as Telegram would, without any network."""
        download = self._download(url)
        if download is not None:
            return 200, download
        name = url.rsplit("/", 1)[-1]
        params: JSON = dict(request_data.parameters) if request_data else {}
        uploads = self._uploads(request_data) if request_data else {}
        self.calls.append(ApiCall(name, params, uploads))
        fault = self._fault_for(name, params)
        if fault is not None:
            error: JSON = {
                "ok": False,
                "error_code": fault.status,
                "description": fault.description,
            }
            if fault.retry_after is not None:
                error["parameters"] = {"retry_after": fault.retry_after}
            return fault.status, json.dumps(error).encode()
        try:
            result = self._answer(name, params, uploads)
        except _Refusal as refusal:
            error = {"ok": False, "error_code": refusal.status, "description": refusal.description}
            return refusal.status, json.dumps(error).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def upload(
        self,
        content: bytes,
        file_name: str,
        mime_type: str = "text/csv",
        *,
        size_known: bool = True,
    ) -> JSON:
        """A file a person sends: returns the `Document` object to put in their message."""
        file_id = f"file-{self.next_message_id()}"
        stored = LocalFile(file_id, file_name, mime_type, content, size_known)
        self.files[stored.file_id] = stored
        return stored.as_document()

    def _download(self, url: str) -> bytes | None:
        """The bytes of a file, if `url` is a file download (base file URL + file path)."""
        for stored in self.files.values():
            if url.endswith("/" + stored.file_path):
                return stored.content
        return None

    def _uploads(self, request_data: RequestData) -> dict[str, LocalFile]:
        """Files attached to a request, kept so that tests and getFile can read them."""
        found: dict[str, LocalFile] = {}
        if not request_data.contains_files:
            return found
        for part, (file_name, content, mime_type) in request_data.multipart_data.items():
            data = content if isinstance(content, bytes) else content.read()
            stored = LocalFile(f"file-{self.next_message_id()}", file_name or part, mime_type, data)
            self.files[stored.file_id] = stored
            found[part] = stored
        return found

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        chat_id: int | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` (into `chat_id`, if given) with an error."""
        self.faults.append(Fault(method, status, description, chat_id, retry_after, times))

    def _fault_for(self, method: str, params: JSON) -> Fault | None:
        for fault in self.faults:
            chat_matches = fault.chat_id is None or str(params.get("chat_id")) == str(fault.chat_id)
            if fault.method == method and chat_matches and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    def _answer(self, method: str, params: JSON, uploads: dict[str, LocalFile]) -> Any:
        if method == "getMe":
            return self.bot_user()
        if method == "getUpdates":
            return []
        if method in {
            *("sendMessage", "sendPhoto", "sendDocument", "sendContact", "sendLocation"),
            *("sendVoice", "sendAudio", "sendVideo"),
        }:
            return self._send(method, params, uploads)
        if method == "getFile":
            return self._file(str(params.get("file_id", "")))
        if method in {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}:
            return self._edit(params)
        if method == "getChat":
            return self.chat(int(params["chat_id"]))
        if method == "getMyCommands":
            return []
        return True

    def _file(self, file_id: str) -> JSON:
        stored = self.files.get(file_id)
        if stored is None:
            raise _Refusal(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_id,
            **stored.size(),
            "file_path": stored.file_path,
        }

    def _send(self, method: str, params: JSON, uploads: dict[str, LocalFile]) -> JSON:
        chat_id = int(params["chat_id"])
        message: JSON = {
            "message_id": self.next_message_id(),
            "date": int(time.time()),
            "chat": self.chat(chat_id),
            "from": self.bot_user(),
        }
        for key in ("text", "caption", "reply_markup", "parse_mode"):
            if key in params:
                message[key] = _decoded(params[key])
        replied = self._replied(chat_id, params)
        if replied is not None:
            message["reply_to_message"] = replied
        if method == "sendContact":
            message["contact"] = {
                k: params[k]
                for k in ("phone_number", "first_name", "last_name", "vcard")
                if k in params
            }
        if method == "sendLocation":
            message["location"] = {"latitude": params["latitude"], "longitude": params["longitude"]}
        if method in {"sendPhoto", "sendDocument"}:
            uploaded = uploads.get("document") or uploads.get("photo")
            message["document"] = (
                uploaded.as_document()
                if uploaded is not None
                else {"file_id": "local", "file_unique_id": "local"}
            )
        self.messages.setdefault(chat_id, []).append(message)
        return message

    def _replied(self, chat_id: int, params: JSON) -> JSON | None:
        """The message a new one replies to, as Telegram quotes it (one level deep)."""
        target = _decoded(params.get("reply_parameters")) or {}
        if not isinstance(target, dict) or "message_id" not in target:
            return None
        key = (int(target.get("chat_id", chat_id)), int(target["message_id"]))
        own = {m["message_id"]: m for m in self.messages.get(key[0], [])}
        found = self.received.get(key) or own.get(key[1])
        if found is None:
            return None
        return {k: v for k, v in found.items() if k != "reply_to_message"}

    def _edit(self, params: JSON) -> JSON | bool:
        chat_id = int(params.get("chat_id", 0))
        message_id = int(params.get("message_id", 0))
        for message in self.messages.get(chat_id, []):
            if message["message_id"] == message_id:
                for key in ("text", "caption", "parse_mode"):
                    if key in params:
                        message[key] = params[key]
                # An edit without a keyboard removes the keyboard, as on Telegram.
                if "reply_markup" in params:
                    message["reply_markup"] = _decoded(params["reply_markup"])
                else:
                    message.pop("reply_markup", None)
                message["edited"] = True
                return message
        return True

    def sent_to(self, chat_id: int) -> list[JSON]:
        """Messages the bot sent into a chat."""
        return self.messages.get(chat_id, [])


def _decoded(value: Any) -> Any:
    """Nested objects arrive JSON-encoded; keep them as Python structures."""
    if isinstance(value, str) and value[:1] in "{[":
        return json.loads(value)
    return value


class UpdateFactory:
    """Builds the updates Telegram would send when people act."""

    def __init__(self, api: LocalBotApi, first_update_id: int = 1) -> None:
        self.api = api
        # Telegram's update ids keep growing across restarts; callers resuming on an old
        # database pass a first id above those already handled.
        self._update_ids = itertools.count(first_update_id)

    def _envelope(self, **content: JSON) -> JSON:
        return {"update_id": next(self._update_ids), **content}

    def private_chat(self, user: LocalUser) -> JSON:
        """The private chat of a user with the bot."""
        chat = {"id": user.id, "type": "private", "first_name": user.first_name}
        self.api.chats[user.id] = chat
        return chat

    def group_chat(self, chat_id: int, title: str) -> JSON:
        """A group the bot is in."""
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        self.api.chats[chat_id] = chat
        return chat

    def message(self, user: LocalUser, chat: JSON | None = None, **content: Any) -> JSON:
        """A message update with arbitrary content (text, location, contact, photo...)."""
        message = {
            "message_id": self.api.next_message_id(),
            "date": int(time.time()),
            "chat": chat or self.private_chat(user),
            "from": user.as_json(),
            **content,
        }
        self.api.received[(message["chat"]["id"], message["message_id"])] = message
        return self._envelope(message=message)

    def text(self, user: LocalUser, text: str, chat: JSON | None = None) -> JSON:
        """A text message; a leading /command gets its entity as Telegram marks it."""
        content: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [
                {
                    "type": "bot_command",
                    "offset": 0,
                    "length": len(command.encode("utf-16-le")) // 2,
                }
            ]
        return self.message(user, chat, **content)

    def press(self, user: LocalUser, message: JSON, data: str) -> JSON:
        """A button press on one of the bot's messages."""
        return self._envelope(
            callback_query={
                "id": str(next(self._update_ids)),
                "from": user.as_json(),
                "chat_instance": str(message["chat"]["id"]),
                "message": message,
                "data": data,
            }
        )

    def inline_query(self, user: LocalUser, query: str, offset: str = "") -> JSON:
        """Someone typing `@bot query` in any chat."""
        return self._envelope(
            inline_query={
                "id": str(next(self._update_ids)),
                "from": user.as_json(),
                "query": query,
                "offset": offset,
                "chat_type": "sender",
            }
        )

    def as_update(self, data: JSON, bot: Any) -> Update:
        """Turn update JSON into PTB's `Update` bound to the bot."""
        update = Update.de_json(data, bot)
        assert update is not None
        return update
