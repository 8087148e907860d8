"""What the server knows: the bot, people and chats, files, updates, the calls made to it.

Every part of the server (people, updates, files, messages, edits, chats) is a mixin of
`ServerState`, so each reads and changes the same state; `BotApiServer` puts them together.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable
from typing import Any

import tornado.httpserver

from tests.e2e.botapi_server.faults import Faults
from tests.e2e.botapi_server.limits import RateLimiter
from tests.e2e.botapi_server.records import (
    DEFAULT_BOT_USERNAME,
    DEFAULT_TOKEN,
    JSON,
    ApiCall,
    ApiError,
    Stats,
    StoredFile,
    Violation,
    WebhookState,
)
from tests.e2e.botapi_server.validation import ApiSpec
from tests.e2e.botapi_server.waiting import Connection, Poll, Signal
from tests.e2e.users import BotMessage, CallbackAnswer, InlineAnswer, TestChat, UserInfo


class ServerState:
    """The state of a local Bot API server; see `BotApiServer` for the parameters."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = "Partnerbot",
        can_join_groups: bool = True,
        can_read_all_group_messages: bool = False,
        supports_inline_queries: bool = True,
        keep_calls: bool = True,
        seed: int = 0,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.can_join_groups = can_join_groups
        self.can_read_all_group_messages = can_read_all_group_messages
        self.supports_inline_queries = supports_inline_queries
        self.keep_calls = keep_calls
        self.spec = ApiSpec.load()
        #: Wall clock for message dates.
        self.clock: Callable[[], float] = time.time
        self.monotonic: Callable[[], float] = time.monotonic

        self.calls: list[ApiCall] = []
        self.violations: list[Violation] = []
        #: Exceptions raised while serving: bugs of this server, never of the bot.
        self.internal_errors: list[str] = []
        self.stats = Stats()
        self.faults = Faults(seed)
        self._random = random.Random(seed)
        self._rate_limiter: RateLimiter | None = None
        self._violations_expected = False
        self._expected_fragments: list[str] = []

        self.users: dict[int, UserInfo] = {}
        self.chats: dict[int, TestChat] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        #: setMyCommands per (scope as canonical JSON, language_code).
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.bot_texts: dict[
            tuple[str, str], str
        ] = {}  # (name|description|short_description, lang)
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.inline_answers: dict[str, InlineAnswer] = {}
        self._open_queries: dict[str, str] = {}  # query id → "callback" or "inline"
        self.webhook = WebhookState()
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wake = asyncio.Event()

        self._updates: list[JSON] = []
        self._update_log: dict[int, JSON] = {}
        self._redeliveries: list[JSON] = []
        self._update_ids = itertools.count(700_000_001)
        self._confirmed_below = 0
        self._allowed_updates: list[str] = []
        self._poll: Poll | None = None

        self._ids = itertools.count(1)
        self._user_ids = itertools.count(1_000_001)
        self._group_ids = itertools.count(1)
        self._read_cursors: dict[tuple[int, int], int] = {}
        self._seen_versions: dict[int, dict[BotMessage, int]] = {}
        self.last_pressed: dict[tuple[int, int], BotMessage] = {}

        self._activity = Signal()
        self._connections: set[Connection] = set()
        self._http: tornado.httpserver.HTTPServer | None = None
        self._closing = False
        self.host = "127.0.0.1"
        self.port = 0

    # -- the bot and its chats ---------------------------------------------------------------

    def bot_user(self, *, full: bool = False) -> JSON:
        """The bot's `User` object; `full` adds the fields only getMe returns."""
        data: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }
        if full:
            data.update(
                can_join_groups=self.can_join_groups,
                can_read_all_group_messages=self.can_read_all_group_messages,
                supports_inline_queries=self.supports_inline_queries,
                can_connect_to_business=False,
                has_main_web_app=False,
            )
        return data

    def _find_chat(self, chat_id: Any) -> TestChat | None:
        if isinstance(chat_id, int):
            return self.chats.get(chat_id)
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            for chat in self.chats.values():
                name = chat.username or (chat.user.username if chat.user else None)
                if name and name.lower() == wanted and chat.type != "private":
                    return chat
        return None

    def _chat(self, chat_id: Any) -> TestChat:
        chat = self._find_chat(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _writable_chat(self, chat_id: Any) -> TestChat:
        """A chat the bot may post into now, or Telegram's 403."""
        chat = self._chat(chat_id)
        if chat.type == "private":
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        elif chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat
