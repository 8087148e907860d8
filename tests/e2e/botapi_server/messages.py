"""Messages the bot posts: text and captions checked as Telegram does (formatting, lengths),
inline keyboards, replies, and every send method."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from tests.e2e.botapi_server.files import FilesMixin
from tests.e2e.botapi_server.records import (
    JSON,
    MAX_CALLBACK_DATA,
    ApiError,
    UploadedFile,
    pick,
    without,
)
from tests.e2e.users import FAKE_JPEG, BotMessage, TestChat
from tests.telegram_format import (
    EntityParseError,
    FormattedText,
    length_problem,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
)

#: Send methods whose main parameter is a file, and the Message field it becomes.
MEDIA_METHODS: Final = {
    "sendPhoto": "photo", "sendDocument": "document", "sendAudio": "audio",
    "sendVideo": "video", "sendAnimation": "animation", "sendVoice": "voice",
    "sendVideoNote": "video_note", "sendSticker": "sticker",
}  # fmt: skip
_CHAT_ACTIONS: Final = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)  # fmt: skip
_MESSAGE_CONTENT: Final = (
    "text", "entities", "caption", "caption_entities", "photo", "document", "audio", "video",
    "animation", "voice", "video_note", "sticker", "contact", "location", "venue", "poll", "dice",
    "has_media_spoiler", "show_caption_above_media", "link_preview_options",
)  # fmt: skip

_PARSERS: Final[dict[str, Callable[[str], FormattedText]]] = {
    "html": parse_html,
    "markdownv2": parse_markdown_v2,
    "markdown": parse_markdown,
}


def parse_formatted(
    text: str, parse_mode: str | None, entities: list[JSON] | None = None
) -> FormattedText:
    """Text and entities as Telegram would store them (before trimming)."""
    if not parse_mode:
        return FormattedText(text, list(entities or []))
    parser = _PARSERS.get(parse_mode.lower())
    if parser is None:
        raise ApiError(400, "Bad Request: unsupported parse_mode")
    return parser(text)


class MessagesMixin(FilesMixin):
    """Posts the bot's messages into chats, as Telegram would accept them."""

    # -- text, markup, replies ---------------------------------------------------------------

    def _formatted(
        self,
        text: str,
        parse_mode: str | None,
        entities: list[JSON] | None,
        *,
        caption: bool = False,
    ) -> FormattedText:
        try:
            parsed = parse_formatted(text, parse_mode, entities).stripped()
        except EntityParseError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        problem = length_problem(parsed, caption=caption)
        if problem is not None:
            raise ApiError(400, f"Bad Request: {problem}")
        return parsed

    def _text_content(self, params: JSON, key: str = "text") -> tuple[JSON, str]:
        parsed = self._formatted(params[key], params.get("parse_mode"), params.get("entities"))
        content: JSON = {"text": parsed.text}
        if parsed.entities:
            content["entities"] = parsed.entities
        return content, params[key]

    def _caption_content(self, params: JSON) -> tuple[JSON, str | None]:
        raw = params.get("caption")
        if not raw:
            return {}, None
        parsed = self._formatted(
            raw, params.get("parse_mode"), params.get("caption_entities"), caption=True
        )
        content: JSON = {}
        if parsed.text:
            content["caption"] = parsed.text
        if parsed.entities:
            content["caption_entities"] = parsed.entities
        if params.get("show_caption_above_media"):
            content["show_caption_above_media"] = True
        return content, raw

    def _check_markup(self, markup: JSON | None) -> None:
        if not markup:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                actions = [k for k in button if k not in ("text", "icon_custom_emoji_id", "style")]
                if not actions:
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard",
                    )
                if len(actions) > 1:
                    raise ApiError(
                        400,
                        "Bad Request: can't parse inline keyboard button: "
                        f"a button must have exactly one action, got {actions}",
                    )
                if not str(button["text"]).strip():
                    raise ApiError(400, "Bad Request: inline keyboard button text is empty")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not re.match(r"(https?|tg)://\S+$", url):
                    raise ApiError(
                        400,
                        f"Bad Request: inline keyboard button URL '{url}' is invalid: "
                        "Wrong HTTP URL",
                    )
        for row in markup.get("keyboard", []):
            for button in row:
                label = button if isinstance(button, str) else button.get("text", "")
                if not str(label).strip():
                    raise ApiError(400, "Bad Request: keyboard button text is empty")

    def _reply_target(self, chat: TestChat, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters") or {}
        if "reply_to_message_id" in params:  # older clients
            reply = {"message_id": params["reply_to_message_id"]}
        if not reply:
            return None
        target_chat = chat
        if reply.get("chat_id") is not None:
            target_chat = self._chat(reply["chat_id"])
        replied = target_chat.messages.get(reply["message_id"])
        if replied is None:
            if reply.get("allow_sending_without_reply") or params.get(
                "allow_sending_without_reply"
            ):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return without(replied, "reply_to_message")

    def _post(
        self,
        chat: TestChat,
        method: str,
        content: JSON,
        params: JSON,
        *,
        html: str | None,
    ) -> BotMessage:
        """Store a message the bot posts into a chat; people can then read it."""
        markup = params.get("reply_markup")
        self._check_markup(markup)
        reply_to = self._reply_target(chat, params)
        data: JSON = {
            "message_id": chat.next_message_id(),
            "from": self.bot_user(),
            "chat": chat.json(),
            "date": int(self.clock()),
        }
        if reply_to is not None:
            data["reply_to_message"] = reply_to
        data.update(content)
        if params.get("protect_content"):
            data["has_protected_content"] = True
        if markup and "inline_keyboard" in markup:
            data["reply_markup"] = markup  # only inline keyboards are part of a Message
        message = BotMessage(
            chat.id, data["message_id"], method, data, html, params.get("parse_mode"), markup
        )
        chat.messages[message.message_id] = data
        chat.bot_messages.append(message)
        self.stats.messages_sent += 1
        return message

    # -- sending -----------------------------------------------------------------------------

    async def _send_message(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        content, raw = self._text_content(params)
        if params.get("link_preview_options"):
            content["link_preview_options"] = params["link_preview_options"]
        return self._post(chat, "sendMessage", content, params, html=raw).json

    def _input_file(
        self, value: Any, kind: str, attachments: dict[str, UploadedFile]
    ) -> JSON | list[JSON]:
        """The media object for an InputFile value: an upload, attach://name, file_id or URL."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = attachments[value.removeprefix("attach://")]
        if isinstance(value, UploadedFile):
            if kind == "photo":
                return self.store_photo(value.content)
            return self.store_file(
                kind, value.content, file_name=value.filename, mime_type=value.content_type
            )
        stored = self.files.get(value)
        if stored is not None:
            if kind == "photo":
                return [stored.json] if stored.kind == "photo" else self.store_photo(stored.content)
            return stored.json if stored.kind == kind else self.store_file(kind, stored.content)
        if re.match(r"https?://\S+$", value):
            name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
            if kind == "photo":
                return self.store_photo(FAKE_JPEG)
            return self.store_file(kind, b"", file_name=name)
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _send_media(
        self, method: str, params: JSON, attachments: dict[str, UploadedFile]
    ) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        kind = MEDIA_METHODS[method]
        content, raw = self._caption_content(params)
        content[kind] = self._input_file(params[kind], kind, attachments)
        if params.get("has_spoiler"):
            content["has_media_spoiler"] = True
        return self._post(chat, method, content, params, html=raw).json

    async def _send_contact(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        contact = pick(params, "phone_number", "first_name", "last_name", "vcard")
        return self._post(chat, "sendContact", {"contact": contact}, params, html=None).json

    def _location(self, params: JSON) -> JSON:
        latitude, longitude = float(params["latitude"]), float(params["longitude"])
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ApiError(400, "Bad Request: wrong location specified")
        location = {"latitude": latitude, "longitude": longitude}
        location.update(pick(params, "horizontal_accuracy", "live_period", "heading"))
        return location

    async def _send_location(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        content = {"location": self._location(params)}
        return self._post(chat, "sendLocation", content, params, html=None).json

    async def _send_venue(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        location = self._location(params)
        venue = {"location": location, **pick(params, "title", "address", "foursquare_id")}
        content = {"venue": venue, "location": location}
        return self._post(chat, "sendVenue", content, params, html=None).json

    async def _send_dice(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        emoji = params.get("emoji", "🎲")
        dice = {"emoji": emoji, "value": self._random.randint(1, 6)}
        return self._post(chat, "sendDice", {"dice": dice}, params, html=None).json

    async def _send_poll(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        options = params["options"]
        if not 2 <= len(options) <= 12:
            raise ApiError(400, "Bad Request: poll must have 2-12 options")
        poll: JSON = {
            "id": str(next(self._ids) + 6_000_000_000),
            "question": params["question"],
            "options": [{"text": option["text"], "voter_count": 0} for option in options],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": params.get("is_anonymous", True),
            "type": params.get("type", "regular"),
            "allows_multiple_answers": params.get("allows_multiple_answers", False),
        }
        return self._post(chat, "sendPoll", {"poll": poll}, params, html=None).json

    async def _send_media_group(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> list[JSON]:
        chat = self._writable_chat(params["chat_id"])
        media = params["media"]
        if not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the group: 2-10 expected")
        group_id = str(next(self._ids) + 13_000_000_000)
        sent = []
        for item in media:
            content, raw = self._caption_content({**params, **item})
            kind = item["type"]
            content[kind] = self._input_file(item["media"], kind, attachments)
            content["media_group_id"] = group_id
            sent.append(self._post(chat, "sendMediaGroup", content, params, html=raw).json)
        return sent

    async def _send_chat_action(self, params: JSON, attachments: dict[str, UploadedFile]) -> bool:
        chat = self._writable_chat(params["chat_id"])
        if params["action"] not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        chat.actions.append(params["action"])
        return True

    def _source_message(self, params: JSON, verb: str) -> JSON:
        source_chat = self._chat(params["from_chat_id"])
        message = source_chat.messages.get(params["message_id"])
        if message is None:
            raise ApiError(400, f"Bad Request: message to {verb} not found")
        return message

    async def _forward_message(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        source = self._source_message(params, "forward")
        content = pick(source, *_MESSAGE_CONTENT)
        sender = source.get("from")
        content["forward_origin"] = (
            {"type": "user", "sender_user": sender, "date": source["date"]}
            if sender
            else {"type": "hidden_user", "sender_user_name": "?", "date": source["date"]}
        )
        html = content.get("text") or content.get("caption")
        return self._post(chat, "forwardMessage", content, params, html=html).json

    async def _copy_message(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        source = self._source_message(params, "copy")
        content = pick(source, *_MESSAGE_CONTENT)
        html = content.get("text") or content.get("caption")
        if "caption" in params and "text" not in content:
            for key in ("caption", "caption_entities"):
                content.pop(key, None)
            caption, html = self._caption_content(params)
            content.update(caption)
        message = self._post(chat, "copyMessage", content, params, html=html)
        return {"message_id": message.message_id}
