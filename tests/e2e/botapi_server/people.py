"""People and chats: the users and groups of a test, and what they do (write, edit, press a
button, type an inline query, block the bot, add it to a group), queued as updates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from tests.e2e.botapi_server.records import JSON, chat_member, without
from tests.e2e.botapi_server.updates import UpdatesMixin
from tests.e2e.users import BotMessage, IncomingUpdate, TestChat, TestUser, UserInfo
from tests.telegram_format import utf16_len

if TYPE_CHECKING:
    from tests.e2e.botapi_server.server import BotApiServer

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,})?")


class PeopleMixin(UpdatesMixin):
    """Makes people and groups, and turns what they do into updates."""

    @property
    def _server(self) -> BotApiServer:
        """The server people talk to: this part is only ever used within BotApiServer."""
        return cast("BotApiServer", self)

    # -- people and chats --------------------------------------------------------------------

    def user(
        self,
        id: int | None = None,  # Telegram's name for it
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        *,
        started: bool = False,
        is_premium: bool = False,
    ) -> TestUser:
        """A person, acting in their private chat with the bot.

        `started=True` lets the bot write to them before they wrote first (Telegram answers 403
        "bot can't initiate conversation with a user" otherwise).
        """
        user_id = next(self._user_ids) if id is None else id
        info = UserInfo(
            user_id, first_name or f"User{user_id}", last_name, username, language_code, is_premium
        )
        self.users[user_id] = info
        chat = self.chats.get(user_id)
        if chat is None:
            chat = self.chats[user_id] = TestChat(user_id, "private", user=info)
        chat.user = info
        chat.started = chat.started or started
        return TestUser(self._server, info, chat)

    def group(
        self,
        title: str,
        *,
        supergroup: bool = True,
        username: str | None = None,
        members: Iterable[TestUser] = (),
        admins: Iterable[TestUser] = (),
        creator: TestUser | None = None,
        bot_status: str = "member",
        id: int | None = None,  # Telegram's name for it
    ) -> TestChat:
        """A group or supergroup with the bot in it (bot_status "left" for one without)."""
        number = next(self._group_ids)
        chat_id = (
            id
            if id is not None
            else (-1001000000000 - number if supergroup else -4000000000 - number)
        )
        chat = TestChat(
            chat_id, "supergroup" if supergroup else "group", title, username, bot_status=bot_status
        )
        if creator is not None:
            chat.members[creator.id] = "creator"
        for admin in admins:
            chat.members[admin.id] = "administrator"
        for member in members:
            chat.members.setdefault(member.id, "member")
        self.chats[chat_id] = chat
        return chat

    def person(self, user_id: int) -> TestUser:
        """The person created earlier with this id, in their private chat."""
        return TestUser(self._server, self.users[user_id], self.chats[user_id])

    def private_chat(self, user_id: int) -> TestChat:
        return self.chats[user_id]

    def command_entities(self, text: str) -> list[JSON]:
        """The bot_command entity Telegram marks on a text starting with /command[@bot]."""
        found = _COMMAND.match(text)
        if found is None or not found.group().strip():
            return []
        return [{"type": "bot_command", "offset": 0, "length": utf16_len(found.group())}]

    def user_message(
        self,
        info: UserInfo,
        chat: TestChat,
        content: JSON,
        *,
        reply_to: BotMessage | IncomingUpdate | int | None = None,
    ) -> IncomingUpdate:
        """A person's new message in a chat, queued as a `message` update."""
        if chat.type == "private":
            if chat.blocked:
                raise RuntimeError(f"{info.first_name} blocked the bot; call unblock_bot() first")
            chat.started = True
        message: JSON = {
            "message_id": chat.next_message_id(),
            "from": info.json(),
            "chat": chat.json(),
            "date": int(self.clock()),
            **content,
        }
        if reply_to is not None:
            replied_id = (
                reply_to.message_id
                if isinstance(reply_to, BotMessage | IncomingUpdate)
                else reply_to
            )
            replied = chat.messages.get(replied_id)
            if replied is None:
                raise LookupError(f"no message {replied_id} in chat {chat.id} to reply to")
            message["reply_to_message"] = without(replied, "reply_to_message")
        chat.messages[message["message_id"]] = message
        return self._enqueue("message", message, visible=self._bot_sees(chat, message))

    def _bot_sees(self, chat: TestChat, message: JSON) -> bool:
        """Group privacy mode: without admin rights or privacy off, a bot only gets commands,
        mentions of itself and replies to its own messages."""
        if chat.type == "private":
            return True
        if chat.bot_status not in ("member", "administrator"):
            return False
        if self.can_read_all_group_messages or chat.bot_status == "administrator":
            return True
        text = str(message.get("text") or message.get("caption") or "")
        command = _COMMAND.match(text)
        if command:
            _, _, addressee = command.group().partition("@")
            return not addressee or addressee.lower() == self.bot_username.lower()
        replied = message.get("reply_to_message") or {}
        if replied.get("from", {}).get("id") == self.bot_id:
            return True
        return f"@{self.bot_username.lower()}" in text.lower()

    def user_edit(self, info: UserInfo, incoming: IncomingUpdate, new_text: str) -> IncomingUpdate:
        """A person edits their text message: an `edited_message` update."""
        chat = self.chats[int(incoming.payload["chat"]["id"])]
        message = chat.messages.get(incoming.message_id)
        if message is None or "text" not in message:
            raise LookupError(f"no text message {incoming.message_id} in chat {chat.id} to edit")
        message = {**message, "text": new_text, "edit_date": int(self.clock())}
        message.pop("entities", None)
        entities = self.command_entities(new_text)
        if entities:
            message["entities"] = entities
        chat.messages[incoming.message_id] = message
        return self._enqueue("edited_message", message, visible=self._bot_sees(chat, message))

    def user_callback_query(
        self, info: UserInfo, chat: TestChat, message: BotMessage, data: str
    ) -> IncomingUpdate:
        query_id = str(next(self._ids) * 1_000_003 + 4_000_000_000_000_000)
        self._open_queries[query_id] = "callback"
        query = {
            "id": query_id,
            "from": info.json(),
            "message": message.json,
            "chat_instance": str(-chat.id * 31 + 7),
            "data": data,
        }
        return self._enqueue("callback_query", query)

    def user_inline_query(
        self, info: UserInfo, chat: TestChat, query: str, offset: str
    ) -> IncomingUpdate:
        query_id = str(next(self._ids) * 1_000_003 + 5_000_000_000_000_000)
        self._open_queries[query_id] = "inline"
        chat_type = "sender" if chat.type == "private" else chat.type
        payload = {
            "id": query_id,
            "from": info.json(),
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
        return self._enqueue("inline_query", payload)

    def set_blocked(self, info: UserInfo, *, blocked: bool) -> IncomingUpdate:
        chat = self.private_chat(info.id)
        chat.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        return self._enqueue("my_chat_member", self._member_update(chat, info, old, new))

    def add_bot(self, info: UserInfo, group: TestChat, *, admin: bool) -> IncomingUpdate:
        old = group.bot_status
        group.bot_status = "administrator" if admin else "member"
        if "creator" not in group.members.values():
            group.members[info.id] = "creator"
        group.members.setdefault(info.id, "member")
        update = self._enqueue(
            "my_chat_member", self._member_update(group, info, old, group.bot_status)
        )
        service: JSON = {
            "message_id": group.next_message_id(),
            "from": info.json(),
            "chat": group.json(),
            "date": int(self.clock()),
            "new_chat_members": [self.bot_user()],
        }
        group.messages[service["message_id"]] = service
        self._enqueue("message", service)
        return update

    def remove_bot(self, info: UserInfo, group: TestChat) -> IncomingUpdate:
        old, group.bot_status = group.bot_status, "left"
        return self._enqueue("my_chat_member", self._member_update(group, info, old, "left"))

    def _member_update(self, chat: TestChat, actor: UserInfo, old: str, new: str) -> JSON:
        bot = self.bot_user()
        return {
            "chat": chat.json(),
            "from": actor.json(),
            "date": int(self.clock()),
            "old_chat_member": chat_member(old, bot),
            "new_chat_member": chat_member(new, bot),
        }
