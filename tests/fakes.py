"""Test doubles of things outside our code: a settable clock, and a driver for the bot that
fails a test on any call Telegram would refuse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.context import PartnerbotApplication
from bot.local_api import JSON, ApiCall, LocalBotApi, LocalUser, UpdateFactory
from services.errors import ServiceError
from tests.telegram_format import FormattedText, html_problem, length_problem, utf16_len


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 30, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def call_problem(call: ApiCall) -> str | None:
    """Why Telegram would refuse a call the bot made (text, HTML, buttons, alerts)."""
    params = call.params
    if "text" in params and call.method != "answerCallbackQuery":
        text = str(params["text"])
        if params.get("parse_mode") == "HTML":
            problem = html_problem(text)
        else:
            problem = length_problem(FormattedText(text, []).stripped())
        if problem:
            return f"{call.method}: {problem}"
    if call.method == "answerCallbackQuery" and utf16_len(str(params.get("text", ""))) > 200:
        return "answerCallbackQuery: text over 200 characters"
    if "caption" in params and params.get("parse_mode") == "HTML":
        problem = html_problem(str(params["caption"]), caption=True)
        if problem:
            return f"{call.method}: caption: {problem}"
    if call.method == "sendContact" and len(str(params.get("vcard", "")).encode()) > 2048:
        return "sendContact: vcard over 2048 bytes"
    if call.method == "answerInlineQuery":
        return inline_answer_problem(params)
    markup = params.get("reply_markup") or {}
    if isinstance(markup, dict):
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    return f"{call.method}: callback_data {data!r} out of 1-64 bytes"
    return None


def inline_answer_problem(params: JSON) -> str | None:
    """Why Telegram would refuse an answer to an inline query."""
    results = params.get("results", [])
    if len(results) > 50:
        return "answerInlineQuery: more than 50 results"
    if len({r["id"] for r in results}) != len(results):
        return "answerInlineQuery: repeated result ids"
    for result in results:
        if not 1 <= len(str(result["id"]).encode()) <= 64:
            return f"answerInlineQuery: result id {result['id']!r} out of 1-64 bytes"
        if len(str(result.get("vcard", "")).encode()) > 2048:
            return "answerInlineQuery: vcard over 2048 bytes"
        content = result.get("input_message_content") or {}
        if "message_text" in content and content.get("parse_mode") == "HTML":
            problem = html_problem(str(content["message_text"]))
            if problem:
                return f"answerInlineQuery: {problem}"
    return None


class BotDriver:
    """Acts as people chatting with the bot through `process_update`, and reads the replies."""

    def __init__(
        self, application: PartnerbotApplication, api: LocalBotApi, first_update_id: int = 1
    ) -> None:
        self.app = application
        self.api = api
        # After a restart Telegram's update ids go on; a driver of the restarted bot starts
        # above those the first one used, or the bot would drop its updates as repeats.
        self.updates = UpdateFactory(api, first_update_id=first_update_id)
        self._checked_calls = 0
        #: Callback queries answered so far: Telegram refuses a second answer to the same one.
        self._answered: set[str] = set()
        self.last_update: JSON | None = None
        #: Exceptions handlers raised that were not refusals (`ServiceError`): bugs.
        self.bugs: list[BaseException] = []
        self.bugs_expected = False
        application.add_error_handler(self._record_bug)

    async def _record_bug(self, update: object, context: Any) -> None:
        if not isinstance(context.error, ServiceError):
            self.bugs.append(context.error)

    async def _process(self, data: JSON) -> None:
        self.last_update = data
        await self.app.process_update(self.updates.as_update(data, self.app.bot))
        # What a handler started beside the update queue (a report) is part of its answer.
        await self.app.documents_done()
        self.check_calls()
        if not self.bugs_expected:
            assert self.bugs == [], f"a handler failed: {self.bugs!r}"

    async def settle(self) -> None:
        """Wait until the outbox has sent everything due, then check the calls made."""
        assert self.app.worker is not None
        await self.app.worker.settle()
        self.check_calls()

    async def introduce(self, *people: LocalUser) -> None:
        """Each person writes once, so the bot knows their Telegram language."""
        for person in people:
            await self.send(person, "/help")

    def check_calls(self) -> None:
        """Fail on any call Telegram would have refused."""
        for call in self.api.calls[self._checked_calls :]:
            problem = call_problem(call)
            assert problem is None, problem
            if call.method == "answerCallbackQuery":
                query_id = str(call.params.get("callback_query_id"))
                assert query_id not in self._answered, (
                    f"answerCallbackQuery: callback query {query_id} answered twice"
                )
                self._answered.add(query_id)
        self._checked_calls = len(self.api.calls)

    async def send(self, user: LocalUser, text: str, chat: JSON | None = None) -> list[JSON]:
        """A text message from `user`; returns what the bot sent back into that chat."""
        chat_id = chat["id"] if chat else user.id
        before = len(self.api.sent_to(chat_id))
        await self._process(self.updates.text(user, text, chat))
        return self.api.sent_to(chat_id)[before:]

    async def send_content(self, user: LocalUser, **content: Any) -> list[JSON]:
        """A non-text message (photo, location, contact...) in the private chat."""
        before = len(self.api.sent_to(user.id))
        await self._process(self.updates.message(user, None, **content))
        return self.api.sent_to(user.id)[before:]

    async def send_document(
        self,
        user: LocalUser,
        content: bytes,
        file_name: str,
        mime_type: str = "text/csv",
        *,
        size_known: bool = True,
    ) -> list[JSON]:
        """A file sent by `user` in their private chat; the bot may download it with getFile.
        Without `size_known`, neither the message nor getFile tells the file's size."""
        document = self.api.upload(content, file_name, mime_type, size_known=size_known)
        return await self.send_content(user, document=document)

    async def inline(self, user: LocalUser, query: str, offset: str = "") -> JSON:
        """`@bot query` typed by `user`; returns the parameters of the bot's answer."""
        before = len(self.calls("answerInlineQuery"))
        await self._process(self.updates.inline_query(user, query, offset))
        answers = self.calls("answerInlineQuery")
        assert len(answers) == before + 1, "the inline query got no answer"
        return answers[-1].params

    async def resend_last(self) -> None:
        """Deliver the previous update again, as Telegram does after a crash."""
        assert self.last_update is not None
        await self.app.process_update(self.updates.as_update(self.last_update, self.app.bot))

    def last_keyboard_message(self, chat_id: int) -> JSON:
        """The newest message with buttons in a chat."""
        for message in reversed(self.api.sent_to(chat_id)):
            if message.get("reply_markup", {}).get("inline_keyboard"):
                return message
        raise AssertionError(f"no message with buttons in chat {chat_id}")

    async def press(
        self, user: LocalUser, label: str, message: JSON | None = None, chat_id: int | None = None
    ) -> list[JSON]:
        """Press a button (by text, or callback data) of the newest keyboard in the chat."""
        chat_id = chat_id or user.id
        message = message or self.last_keyboard_message(chat_id)
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        matching = [b for b in buttons if label in (b["text"], b.get("callback_data"))]
        if not matching:
            matching = [b for b in buttons if label.lower() in b["text"].lower()]
        assert matching, f"no button {label!r} among {[b['text'] for b in buttons]}"
        return await self.press_data(user, message, matching[0]["callback_data"])

    async def press_data(self, user: LocalUser, message: JSON, data: str) -> list[JSON]:
        """Press a button with given callback data (even one no longer shown)."""
        chat_id = message["chat"]["id"]
        before = len(self.api.sent_to(chat_id))
        await self._process(self.updates.press(user, message, data))
        return self.api.sent_to(chat_id)[before:]

    async def press_forged(
        self, user: LocalUser, data: str, chat: JSON | None = None
    ) -> list[JSON]:
        """Press made-up callback data on a message meant for the person: in their private
        chat, or in a group a message answering one of theirs. What a forged button can
        reach once the access gate has let it through."""
        if chat is None:
            target: JSON = {"chat_id": user.id, "text": "…"}
            self.updates.private_chat(user)
        else:
            asked = self.updates.message(user, chat, text="…")["message"]
            target = {"chat_id": chat["id"], "text": "…", "reply_parameters": asked}
        message = self.api._send("sendMessage", target, {})
        return await self.press_data(user, message, data)

    def answers(self) -> list[str]:
        """Texts of every answerCallbackQuery alert so far."""
        return [
            str(c.params.get("text", ""))
            for c in self.api.calls
            if c.method == "answerCallbackQuery"
        ]

    def calls(self, method: str) -> list[ApiCall]:
        """Every call of one Bot API method."""
        return [c for c in self.api.calls if c.method == method]

    def text_of(self, chat_id: int, index: int = -1) -> str:
        """A sent message's current text (after edits)."""
        return str(self.api.sent_to(chat_id)[index].get("text", ""))


def texts(messages: list[JSON]) -> str:
    """All texts of some messages, joined, for assertions."""
    return "\n".join(str(m.get("text", m.get("caption", ""))) for m in messages)


Factory = Callable[..., Any]
