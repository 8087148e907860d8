"""What the bot does to messages already there: edits, deletions, and the answers to button
presses and inline queries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from tests.e2e.botapi_server.messages import MEDIA_METHODS, MessagesMixin
from tests.e2e.botapi_server.records import (
    JSON,
    MAX_CALLBACK_ANSWER,
    ApiError,
    UploadedFile,
    without,
)
from tests.e2e.users import BotMessage, CallbackAnswer, InlineAnswer, Revision, TestChat
from tests.telegram_format import utf16_len

_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class EditsMixin(MessagesMixin):
    """Edits and deletes the bot's messages, and records its answers to people."""

    # -- editing and deleting ----------------------------------------------------------------

    def _editable(self, params: JSON) -> BotMessage:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        if "chat_id" not in params or "message_id" not in params:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        chat = self._writable_chat(params["chat_id"])
        message = chat.bot_message(params["message_id"])
        if message is None or message.deleted:
            if params["message_id"] in chat.messages:
                raise ApiError(400, "Bad Request: message can't be edited")
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _apply_edit(
        self,
        message: BotMessage,
        content: JSON,
        params: JSON,
        *,
        html: str | None,
        drop: Iterable[str] = (),
    ) -> JSON:
        """Replace content; the inline keyboard is replaced too (absent: removed), as Telegram
        does."""
        markup = params.get("reply_markup")
        self._check_markup(markup)
        data = {k: v for k, v in message.json.items() if k not in drop and k != "reply_markup"}
        data.update(content)
        if markup and "inline_keyboard" in markup:
            data["reply_markup"] = markup
        old = without(message.json, "edit_date")
        if without(data, "edit_date") == old:
            raise ApiError(400, _NOT_MODIFIED)
        message.edits.append(
            Revision(message.json, message.html, message.parse_mode, message.reply_markup)
        )
        data["edit_date"] = int(self.clock())
        message.json = data
        message.html = html
        if "parse_mode" in params or html is not None:
            message.parse_mode = params.get("parse_mode")
        if markup is not None or "inline_keyboard" in (message.reply_markup or {}):
            message.reply_markup = markup  # a reply keyboard stays as it was
        self.chats[message.chat_id].messages[message.message_id] = data
        self.stats.edits += 1
        return data

    async def _edit_message_text(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        message = self._editable(params)
        if "text" not in message.json:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        content, raw = self._text_content(params)
        if params.get("link_preview_options"):
            content["link_preview_options"] = params["link_preview_options"]
        return self._apply_edit(message, content, params, html=raw, drop=("entities",))

    async def _edit_message_caption(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> JSON:
        message = self._editable(params)
        if "text" in message.json:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        content, raw = self._caption_content(params)
        return self._apply_edit(
            message, content, params, html=raw, drop=("caption", "caption_entities")
        )

    async def _edit_message_reply_markup(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> JSON:
        message = self._editable(params)
        return self._apply_edit(message, {}, params, html=message.html)

    async def _edit_message_media(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        message = self._editable(params)
        media = params["media"]
        kind = media["type"]
        if "text" in message.json:
            raise ApiError(400, "Bad Request: there is no media in the message to edit")
        content, raw = self._caption_content({**params, **media})
        content[kind] = self._input_file(media["media"], kind, attachments)
        drop = ["caption", "caption_entities", *MEDIA_METHODS.values()]
        return self._apply_edit(message, content, params, html=raw, drop=drop)

    async def _delete_message(self, params: JSON, attachments: dict[str, UploadedFile]) -> bool:
        chat = self._chat(params["chat_id"])
        self._delete(chat, params["message_id"], strict=True)
        return True

    async def _delete_messages(self, params: JSON, attachments: dict[str, UploadedFile]) -> bool:
        chat = self._chat(params["chat_id"])
        if not 1 <= len(params["message_ids"]) <= 100:
            raise ApiError(400, "Bad Request: too many messages to delete")
        for message_id in params["message_ids"]:
            self._delete(chat, message_id, strict=False)
        return True

    def _delete(self, chat: TestChat, message_id: int, *, strict: bool) -> None:
        message = chat.messages.get(message_id)
        if message is None:
            if strict:
                raise ApiError(400, "Bad Request: message to delete not found")
            return
        own = message.get("from", {}).get("id") == self.bot_id
        if not own and chat.type != "private" and chat.bot_status != "administrator":
            if strict:
                raise ApiError(400, "Bad Request: message can't be deleted")
            return
        del chat.messages[message_id]
        sent = chat.bot_message(message_id)
        if sent is not None:
            sent.deleted = True
        self.stats.deletions += 1

    # -- answering people --------------------------------------------------------------------

    def _open_query(self, query_id: str, kind: str) -> None:
        if self._open_queries.get(query_id) != kind:
            raise ApiError(400, _QUERY_TOO_OLD)
        del self._open_queries[query_id]

    async def _answer_callback_query(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> bool:
        text = params.get("text")
        if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query_id = params["callback_query_id"]
        self._open_query(query_id, "callback")
        self.callback_answers[query_id] = CallbackAnswer(
            query_id,
            text,
            bool(params.get("show_alert", False)),
            params.get("url"),
            int(params.get("cache_time", 0)),
        )
        return True

    async def _answer_inline_query(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> bool:
        results = params["results"]
        if len(results) > 50:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = [str(result["id"]) for result in results]
        if len(set(ids)) != len(ids):
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        if any(not 1 <= len(i.encode()) <= 64 for i in ids):
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        for result in results:
            self._check_markup(result.get("reply_markup"))
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._formatted(
                    content["message_text"], content.get("parse_mode"), content.get("entities")
                )
            if "caption" in result:
                self._formatted(
                    result["caption"],
                    result.get("parse_mode"),
                    result.get("caption_entities"),
                    caption=True,
                )
        query_id = params["inline_query_id"]
        self._open_query(query_id, "inline")
        self.inline_answers[query_id] = InlineAnswer(
            query_id,
            results,
            params.get("cache_time"),
            bool(params.get("is_personal", False)),
            params.get("next_offset"),
            params.get("button"),
        )
        return True
