"""PTB persistence on the SQLite store: conversation steps and drafts survive restarts."""

from __future__ import annotations

import json

from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.context import BotData, ChatData, UserData
from storage import conversations as store
from storage.db import Database


def conversation_key(key: ConversationKey) -> str:
    """How a conversation's key (for Partnerbot's flows: chat id, user id) is stored."""
    return json.dumps(list(key))


class SQLitePersistence(BasePersistence[UserData, ChatData, BotData]):
    """Stores conversation states and user drafts; nothing else needs to survive."""

    def __init__(self, db: Database, update_interval: float = 60) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._db = db
        # What each user's drafts were when last written, as JSON: PTB asks to save the
        # user_data of every update's user, and most updates change nothing in it.
        self._saved: dict[int, str] = {}

    async def get_user_data(self) -> dict[int, UserData]:
        """Drafts of every user, loaded at start-up."""
        await self._db.open()
        loaded = await store.load_user_data(self._db)
        self._saved = {user_id: json.dumps(data) for user_id, data in loaded.items()}
        return loaded

    async def get_chat_data(self) -> dict[int, ChatData]:
        """Not stored."""
        return {}

    async def get_bot_data(self) -> BotData:
        """Not stored."""
        return {}

    async def get_callback_data(self) -> CDCData | None:
        """Not stored: callback data are plain strings."""
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        """Every open conversation of one handler."""
        await self._db.open()
        stored = await store.load_conversations(self._db, name)
        return {tuple(json.loads(key)): state for key, state in stored.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store one conversation's new step (None ends it)."""
        await store.save_conversation(self._db, name, conversation_key(key), new_state)

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        """Store one user's drafts, unless they are as last stored."""
        written = json.dumps(data) if data else ""
        if self._saved.get(user_id, "") == written:
            return
        await store.save_user_data(self._db, user_id, data)
        self._saved[user_id] = written

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        """Not stored."""

    async def update_bot_data(self, data: BotData) -> None:
        """Not stored."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Not stored."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Not stored."""

    async def drop_user_data(self, user_id: int) -> None:
        """Forget a user's drafts."""
        await store.save_user_data(self._db, user_id, {})
        self._saved.pop(user_id, None)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """The in-memory copy is authoritative while running."""

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        """Not stored."""

    async def refresh_bot_data(self, bot_data: BotData) -> None:
        """Not stored."""

    async def flush(self) -> None:
        """Every write is already committed."""
