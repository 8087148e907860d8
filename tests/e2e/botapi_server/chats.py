"""The bot's commands, menu button and texts, and the chats it is in: getChat, members,
administrators, leaving, invite links."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.e2e.botapi_server.records import JSON, ApiError, UploadedFile, chat_member, pick
from tests.e2e.botapi_server.state import ServerState
from tests.e2e.users import TestChat


class ChatsMixin(ServerState):
    """Keeps the bot's commands and texts, and answers about chats and their members."""

    def my_commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The commands the bot set for a scope and language (what getMyCommands returns)."""
        return self.commands.get((self._scope_key(scope or {"type": "default"}), language_code), [])

    # -- commands, menu, bot texts -----------------------------------------------------------

    def _scope_key(self, scope: JSON) -> str:
        canonical = dict(scope)
        if "chat_id" in canonical:
            chat = self._chat(canonical["chat_id"])
            canonical["chat_id"] = chat.id
            if scope["type"] == "chat_member" and scope["user_id"] not in self.users:
                raise ApiError(400, "Bad Request: user not found")
        return json.dumps(canonical, sort_keys=True)

    @staticmethod
    def _language(params: JSON) -> str:
        language = str(params.get("language_code", ""))
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return language

    async def _set_my_commands(self, params: JSON, attachments: dict[str, UploadedFile]) -> bool:
        commands = params["commands"]
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands specified")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"].strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        names = [command["command"] for command in commands]
        if len(set(names)) != len(names):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        key = (self._scope_key(params.get("scope") or {"type": "default"}), self._language(params))
        if commands:
            self.commands[key] = [pick(c, "command", "description") for c in commands]
        else:
            self.commands.pop(key, None)
        return True

    async def _get_my_commands(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> list[JSON]:
        key = (self._scope_key(params.get("scope") or {"type": "default"}), self._language(params))
        return self.commands.get(key, [])

    async def _delete_my_commands(self, params: JSON, attachments: dict[str, UploadedFile]) -> bool:
        key = (self._scope_key(params.get("scope") or {"type": "default"}), self._language(params))
        self.commands.pop(key, None)
        return True

    async def _set_chat_menu_button(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> bool:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat = self._chat(chat_id)
            if chat.type != "private":
                raise ApiError(400, "Bad Request: menu button can be set only in private chats")
            chat_id = chat.id
        self.menu_buttons[chat_id] = params.get("menu_button") or {"type": "default"}
        return True

    async def _get_chat_menu_button(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> JSON:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat_id = self._chat(chat_id).id
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        return button or {"type": "default"}

    async def _set_bot_text(
        self, kind: str, params: JSON, attachments: dict[str, UploadedFile]
    ) -> bool:
        limits = {"name": 64, "description": 512, "short_description": 120}
        value = str(params.get(kind, ""))
        if len(value) > limits[kind]:
            raise ApiError(400, f"Bad Request: bot {kind.replace('_', ' ')} is too long")
        self.bot_texts[(kind, self._language(params))] = value
        return True

    async def _get_bot_text(
        self, kind: str, params: JSON, attachments: dict[str, UploadedFile]
    ) -> JSON:
        language = self._language(params)
        default = self.bot_first_name if kind == "name" else ""
        value = self.bot_texts.get((kind, language)) or self.bot_texts.get((kind, "")) or default
        return {kind: value}

    # -- chats and members -------------------------------------------------------------------

    async def _get_chat(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._chat(params["chat_id"])
        info = chat.json()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return info

    def _member(self, chat: TestChat, user_id: int) -> JSON:
        if user_id == self.bot_id:
            return chat_member(chat.bot_status, self.bot_user())
        info = self.users.get(user_id)
        if info is None:
            raise ApiError(400, "Bad Request: user not found")
        if chat.type == "private":
            status = "member" if user_id == chat.id else "left"
        else:
            status = chat.members.get(user_id, "left")
        return chat_member(status, info.json())

    async def _get_chat_member(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._chat(params["chat_id"])
        return self._member(chat, params["user_id"])

    async def _get_chat_administrators(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> list[JSON]:
        chat = self._chat(params["chat_id"])
        if chat.type == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        admins = [
            self._member(chat, user_id)
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status == "administrator":
            admins.append(self._member(chat, self.bot_id))
        return admins

    async def _get_chat_member_count(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> int:
        chat = self._chat(params["chat_id"])
        if chat.type == "private":
            return 2
        present = [s for s in chat.members.values() if s not in ("left", "kicked")]
        return len(present) + (chat.bot_status in ("member", "administrator"))

    async def _leave_chat(self, params: JSON, attachments: dict[str, UploadedFile]) -> bool:
        chat = self._chat(params["chat_id"])
        if chat.type == "private":
            raise ApiError(400, "Bad Request: chat member status can't be changed in private chats")
        chat.bot_status = "left"
        return True

    async def _create_chat_invite_link(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> JSON:
        chat = self._admin_chat(params["chat_id"])
        link: JSON = {
            "invite_link": f"https://t.me/+{self._invite_code(chat)}",
            "creator": self.bot_user(),
            "creates_join_request": bool(params.get("creates_join_request", False)),
            "is_primary": False,
            "is_revoked": False,
        }
        link.update(pick(params, "name", "expire_date", "member_limit"))
        return link

    async def _export_chat_invite_link(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> str:
        chat = self._admin_chat(params["chat_id"])
        return f"https://t.me/+{self._invite_code(chat)}"

    def _admin_chat(self, chat_id: Any) -> TestChat:
        chat = self._chat(chat_id)
        if chat.type == "private" or chat.bot_status != "administrator":
            raise ApiError(400, "Bad Request: not enough rights to manage chat invite link")
        return chat

    def _invite_code(self, chat: TestChat) -> str:
        return f"AAAA{abs(chat.id) % 10**8:08d}{next(self._ids):04d}"
