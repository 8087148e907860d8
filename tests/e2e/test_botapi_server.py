"""The local Bot API server, driven by the real python-telegram-bot over HTTP.

These tests pin down the harness the end-to-end tests rely on: Telegram's answers and limits,
long polling, people acting and reading, fault injection and rate limits.
"""

from __future__ import annotations

import asyncio
import html
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputTextMessageContent,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.e2e.botapi_server import (
    DEFAULT_TOKEN,
    BotApiServer,
    EntityParseError,
    parse_html,
    parse_markdown_v2,
    run_polling,
)

ROOT = Path(__file__).resolve().parents[2]
Context = ContextTypes.DEFAULT_TYPE

# python-telegram-bot itself reads RetryAfter.retry_after when it builds the exception, which
# warns about the coming switch to timedelta; that is not something these tests can change.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*will be of type `datetime.timedelta`:telegram.warnings.PTBDeprecationWarning"
)


# -- helpers --------------------------------------------------------------------------------------


def echo_bot(
    server: BotApiServer, rate_limiter: AIORateLimiter | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """A bare echo bot: /start greets with the deep-link payload, text comes back as sent."""
    builder = server.application_builder()
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    application = builder.build()

    async def start(update: Update, context: Context) -> None:
        assert update.message is not None
        payload = html.escape(" ".join(context.args or []))
        await update.message.reply_html(f"<b>Welcome!</b> payload=<code>{payload}</code>")

    async def echo(update: Update, context: Context) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return application


async def raw_post(server: BotApiServer, method: str, **request: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{server.base_url}{server.token}/{method}", **request)


# -- Telegram's answers ---------------------------------------------------------------------------


async def test_get_me_describes_the_bot(botapi: BotApiServer) -> None:
    async with botapi.bot() as bot:
        me = await bot.get_me()
    assert me.username == "partnerbot_test_bot"
    assert me.can_join_groups and me.supports_inline_queries


@pytest.mark.botapi_violations
async def test_wrong_token_and_unknown_method(botapi: BotApiServer) -> None:
    impostor = Bot("123:" + "x" * 35, base_url=botapi.base_url)
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with impostor:
            pass
    async with botapi.bot() as bot:
        with pytest.raises(EndPointNotFound, match="sendTelepathy"):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    async with httpx.AsyncClient() as client:
        malformed = await client.post(f"{botapi.base_url}not-a-token/getMe")
    assert malformed.status_code == 404
    assert malformed.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert [v.status for v in botapi.violations] == [401, 404, 404]


async def test_query_string_json_and_form_bodies_are_understood(botapi: BotApiServer) -> None:
    ana = botapi.user(first_name="Ana", started=True)
    markup = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    as_json = await raw_post(botapi, "sendMessage", json={"chat_id": ana.id, "text": "json"})
    as_form = await raw_post(
        botapi,
        "sendMessage",
        data={
            "chat_id": str(ana.id),
            "text": "form",
            "reply_markup": str(markup).replace("'", '"'),
        },
    )
    async with httpx.AsyncClient() as client:
        as_query = await client.get(f"{botapi.base_url}{botapi.token}/getMe?x_unused=")
    assert as_json.json()["ok"] and as_form.json()["ok"]
    assert as_query.status_code == 400  # unknown parameters are refused everywhere
    first, second = await ana.messages(2)
    assert (first.text, second.text, second.buttons) == ("json", "form", [[("OK", "ok")]])
    botapi.expect_violations('unexpected parameter "x_unused"')


@pytest.mark.botapi_violations
async def test_requests_off_the_spec_are_refused(botapi: BotApiServer) -> None:
    ana = botapi.user(first_name="Ana", started=True)
    unknown = await raw_post(
        botapi, "sendMessage", json={"chat_id": ana.id, "text": "hi", "colour": "red"}
    )
    missing = await raw_post(botapi, "sendMessage", data={"chat_id": str(ana.id)})
    shape = await raw_post(
        botapi,
        "sendMessage",
        json={
            "chat_id": ana.id,
            "text": "hi",
            "reply_markup": {"inline_keyboard": [[{"callback_data": "x"}]]},
        },
    )
    nowhere = await raw_post(botapi, "sendMessage", json={"chat_id": 555, "text": "hi"})
    assert unknown.status_code == 400
    assert unknown.json()["description"] == 'Bad Request: unexpected parameter "colour"'
    assert missing.json()["description"] == "Bad Request: message text is empty"
    assert 'field "text" is required in InlineKeyboardButton' in shape.json()["description"]
    assert nowhere.json()["description"] == "Bad Request: chat not found"
    assert len(botapi.violations) == 4
    assert ana.unread == []


# -- text, HTML, limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("<b>bold</i>", 'Unmatched end tag at byte offset 7, expected "</b>", found "</i>"'),
        ("text</b>", 'Unexpected end tag "b" at byte offset 4'),
        ("<b>never closed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<b", "Unclosed start tag at byte offset 0"),
    ],
)
async def test_bad_html_is_refused(botapi: BotApiServer, text: str, problem: str) -> None:
    ana = botapi.user(started=True)
    async with botapi.bot() as bot:
        with pytest.raises(BadRequest, match="Can't parse entities"):
            await bot.send_message(ana.id, text, parse_mode=ParseMode.HTML)
    botapi.expect_violations("can't parse entities")
    description = botapi.violations[0].description
    assert description.startswith("Bad Request: can't parse entities: ")
    assert problem in description


async def test_good_html_becomes_text_and_entities(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)
    source = (
        '<b>Alert</b> 🚨 <i>route <u>Agadez</u></i> &lt;&amp;&gt; &#x1F6A4; <a href="https://'
        'example.org/?a=1&amp;b=2">map</a>\n<pre><code class="language-python">x = 1</code></pre>'
        "<blockquote expandable>quote</blockquote><tg-spoiler>secret</tg-spoiler>"
    )
    async with botapi.bot() as bot:
        sent = await bot.send_message(ana.id, source, parse_mode=ParseMode.HTML)
    message = await ana.next_message()
    assert message.text == "Alert 🚨 route Agadez <&> 🚤 map\nx = 1quotesecret"
    assert message.html == source
    kinds = [(e["type"], e["offset"], e["length"]) for e in message.entities]
    assert kinds == [
        ("bold", 0, 5),
        ("italic", 9, 12),
        ("underline", 15, 6),
        ("text_link", 29, 3),
        ("pre", 33, 5),
        ("expandable_blockquote", 38, 5),
        ("spoiler", 43, 6),
    ]
    assert message.entities[3]["url"] == "https://example.org/?a=1&b=2"
    assert message.entities[4]["language"] == "python"
    assert sent.text == message.text
    assert [e.type for e in sent.entities] == [e["type"] for e in message.entities]


async def test_text_length_counts_utf16_units(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)
    async with botapi.bot() as bot:
        await bot.send_message(ana.id, "x" * 4096)
        await bot.send_message(ana.id, "😀" * 2048)  # 2 UTF-16 units each
        await bot.send_message(ana.id, "<b>" + "y" * 4096 + "</b>", parse_mode=ParseMode.HTML)
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(ana.id, "x" * 4097)
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(ana.id, "😀" * 2049)
        with pytest.raises(BadRequest, match="Message text is empty"):
            await bot.send_message(ana.id, " \n ")
        with pytest.raises(BadRequest, match="caption is too long"):
            await bot.send_photo(ana.id, b"jpeg", caption="c" * 1025)
        await bot.send_photo(ana.id, b"jpeg", caption="c" * 1024)
    assert len(await ana.messages(4)) == 4
    botapi.expect_violations("message is too long", "message text is empty", "caption is too long")


async def test_callback_data_is_limited_to_64_bytes(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])

    async with botapi.bot() as bot:
        await bot.send_message(ana.id, "ok", reply_markup=keyboard("d" * 64))
        for data in ("d" * 65, "é" * 33):
            with pytest.raises(BadRequest, match="Button_data_invalid"):
                await bot.send_message(ana.id, "too long", reply_markup=keyboard(data))
    assert (await ana.next_message()).buttons == [[("Go", "d" * 64)]]
    botapi.expect_violations("BUTTON_DATA_INVALID")


async def test_markdown_v2_reserved_characters_must_be_escaped(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)
    async with botapi.bot() as bot:
        with pytest.raises(BadRequest, match="reserved"):
            await bot.send_message(ana.id, "Meeting at 10.30!", parse_mode=ParseMode.MARKDOWN_V2)
        await bot.send_message(ana.id, r"*Meeting* at 10\.30\!", parse_mode=ParseMode.MARKDOWN_V2)
    message = await ana.next_message()
    assert (message.text, message.entities[0]["type"]) == ("Meeting at 10.30!", "bold")
    botapi.expect_violations("Character '.' is reserved")


def test_parsers_match_telegram_on_edge_cases() -> None:
    assert parse_html("&#128512; <b>é</b>").entities == [{"type": "bold", "offset": 3, "length": 1}]
    assert parse_html("<B>Upper</B>").text == "Upper"
    spoiler = parse_markdown_v2("||hidden|| __under__ ~gone~ [site](https://x.org/a\\)b)")
    assert [e["type"] for e in spoiler.entities] == [
        "spoiler",
        "underline",
        "strikethrough",
        "text_link",
    ]
    assert spoiler.entities[-1]["url"] == "https://x.org/a)b"
    quote = parse_markdown_v2(">line one\n>line two\nafter")
    assert quote.entities == [{"type": "blockquote", "offset": 0, "length": 17}]
    with pytest.raises(EntityParseError, match="Can't find end of Bold entity"):
        parse_markdown_v2("*open")


# -- long polling ---------------------------------------------------------------------------------


async def test_echo_bot_round_trip_over_long_polling(botapi: BotApiServer) -> None:
    ana = botapi.user(first_name="Ana", language_code="fr")
    group = botapi.group("COP Mauritanie", bot_status="administrator")
    async with run_polling(echo_bot(botapi)):
        await ana.send("/start inv-7Q2")
        welcome = await ana.next_message()
        await ana.send("Un passeur signalé à Agadez <urgent> & confirmé")
        echo = await ana.next_message()
        in_group = ana.in_chat(group)
        said = await in_group.send("Réunion demain 10h")
        group_echo = await in_group.next_message()
    assert welcome.html == "<b>Welcome!</b> payload=<code>inv-7Q2</code>"
    assert welcome.text == "Welcome! payload=inv-7Q2"
    assert echo.text == "Un passeur signalé à Agadez <urgent> & confirmé"
    assert group_echo.text == "Réunion demain 10h"
    assert group_echo.reply_to_message_id == said.message_id  # PTB quotes in groups
    assert ana.unread == [] and in_group.unread == []
    assert botapi.stats.messages_sent == 3


async def test_long_poll_waits_for_an_update_and_honours_offset_and_limit(
    botapi: BotApiServer,
) -> None:
    ana = botapi.user()
    async with botapi.bot() as bot:
        assert await bot.get_updates(timeout=0) == ()
        waiting = asyncio.create_task(bot.get_updates(timeout=10))
        await botapi.wait_for(lambda: botapi.polling, 2, "the long poll to arrive")
        started = time.monotonic()
        first = await ana.send("one")
        assert [u.update_id for u in await waiting] == [first.update_id]
        assert time.monotonic() - started < 1  # woken by the update, not by the timeout
        await ana.send("two")
        await ana.send("three")
        batch = await bot.get_updates(offset=first.update_id + 1, limit=1)
        assert [u.message.text for u in batch if u.message] == ["two"]
        rest = await bot.get_updates(offset=batch[-1].update_id + 1)
        assert [u.message.text for u in rest if u.message] == ["three"]
        assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()
        edited = await ana.edit(first, "one (corrected)")
        (update,) = await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0)
        assert update.edited_message is not None
        assert (update.update_id, update.edited_message.text) == (
            edited.update_id,
            "one (corrected)",
        )
        assert update.edited_message.message_id == first.message_id


async def test_second_poller_terminates_the_first_with_conflict(botapi: BotApiServer) -> None:
    ana = botapi.user()
    async with botapi.bot() as first_bot, botapi.bot() as second_bot:
        first = asyncio.create_task(first_bot.get_updates(timeout=10))
        await botapi.wait_for(lambda: botapi.polling, 2, "the first long poll")
        second = asyncio.create_task(second_bot.get_updates(timeout=10))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
        await ana.send("hello")
        assert len(await second) == 1
    assert botapi.stats.conflicts == 1


async def test_allowed_updates_filter_what_is_delivered(botapi: BotApiServer) -> None:
    ana = botapi.user()
    async with botapi.bot() as bot:
        await bot.get_updates(timeout=0, allowed_updates=["message"])
        with pytest.raises(AssertionError, match="does not receive inline_query updates"):
            await ana.inline_query("agadez")
        await ana.send("still delivered")
        updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["still delivered"]
    assert botapi.stats.updates_dropped == 1


async def test_duplicate_delivery_of_an_update(botapi: BotApiServer) -> None:
    seen: list[int] = []
    application = botapi.application_builder().build()

    async def record(update: Update, context: Context) -> None:
        assert update.message is not None
        seen.append(update.update_id)
        await update.message.reply_text(f"recorded #{len(seen)}")

    application.add_handler(MessageHandler(filters.TEXT, record))
    ana = botapi.user()
    async with run_polling(application):
        incoming = await ana.send("meeting report")
        assert (await ana.next_message()).text == "recorded #1"
        botapi.redeliver(incoming)
        assert (await ana.next_message()).text == "recorded #2"
    assert seen == [incoming.update_id, incoming.update_id]


async def test_privacy_mode_in_groups(botapi: BotApiServer) -> None:
    ana = botapi.user(first_name="Ana")
    group = botapi.group("COP Sénégal – coordination")
    in_group = ana.in_chat(group)
    assert not (await in_group.send("just chatting")).delivered
    assert (await in_group.send("/status")).delivered
    assert not (await in_group.send("/status@some_other_bot")).delivered
    assert (await in_group.send("hello @Partnerbot_Test_Bot")).delivered
    group.bot_status = "administrator"
    assert (await in_group.send("just chatting")).delivered


# -- people acting --------------------------------------------------------------------------------


async def test_button_press_is_answered_and_the_message_edited(botapi: BotApiServer) -> None:
    application = botapi.application_builder().build()

    async def alert(update: Update, context: Context) -> None:
        assert update.message is not None
        keyboard = [
            [InlineKeyboardButton("✅ Acknowledge", callback_data="ack:42")],
            [InlineKeyboardButton("Details", url="https://example.org/alerts/42")],
        ]
        await update.message.reply_text(
            "New alert: route change", reply_markup=InlineKeyboardMarkup(keyboard)
        )

    async def acknowledge(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Thanks, noted")
        await query.edit_message_text("New alert: route change — acknowledged ✅")

    application.add_handler(CommandHandler("alert", alert))
    application.add_handler(CallbackQueryHandler(acknowledge, pattern=r"^ack:"))
    ana = botapi.user(first_name="Ana")
    async with run_polling(application):
        await ana.send("/alert")
        alert_message = await ana.next_message()
        assert alert_message.buttons == [
            [("✅ Acknowledge", "ack:42")],
            [("Details", "https://example.org/alerts/42")],
        ]
        with pytest.raises(ValueError, match="is a url button"):
            await ana.press("Details")
        answer = await ana.press("✅ Acknowledge")
        edited = await ana.next_edit()
    assert answer.text == "Thanks, noted" and not answer.show_alert
    assert edited is alert_message and edited.version == 1
    assert edited.text == "New alert: route change — acknowledged ✅"
    assert edited.buttons == []  # editing the text without reply_markup removes the keyboard
    assert edited.edits[0].json["text"] == "New alert: route change"
    with pytest.raises(LookupError, match="no inline button 'ack:42'"):
        await ana.press("ack:42")


@pytest.mark.botapi_violations
async def test_callback_answers_are_checked(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)
    async with botapi.bot() as bot:
        await bot.send_message(
            ana.id,
            "Pick",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]),
        )
        pressing = asyncio.create_task(ana.press("A", timeout=2))
        (update,) = await bot.get_updates(timeout=5)
        assert update.callback_query is not None
        with pytest.raises(BadRequest, match="Message_too_long"):
            await update.callback_query.answer("x" * 201)
        await update.callback_query.answer("x" * 200)
        with pytest.raises(BadRequest, match="Query is too old"):
            await update.callback_query.answer("twice")
    assert (await pressing).text == "x" * 200


async def test_edits_and_deletions_are_tracked(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    async with botapi.bot() as bot:
        sent = await bot.send_message(ana.id, "Version 1", reply_markup=keyboard)
        message = await ana.next_message()
        await bot.edit_message_text("Version 2", ana.id, sent.message_id, reply_markup=keyboard)
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text("Version 2", ana.id, sent.message_id, reply_markup=keyboard)
        await bot.edit_message_reply_markup(ana.id, sent.message_id)
        assert [r.json["text"] for r in message.edits] == ["Version 1", "Version 2"]
        assert (message.text, message.buttons) == ("Version 2", [])
        await bot.delete_message(ana.id, sent.message_id)
        assert message.deleted
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await bot.edit_message_text("Version 3", ana.id, sent.message_id)
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await bot.delete_message(ana.id, sent.message_id)
    assert botapi.message(ana.id, sent.message_id) is message
    assert botapi.stats.edits == 2
    botapi.expect_violations("message is not modified", "message to edit not found")


async def test_commands_are_stored_per_scope_and_language(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)
    async with botapi.bot() as bot:
        await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
        await bot.set_my_commands([BotCommand("start", "Démarrer")], language_code="fr")
        await bot.set_my_commands(
            [BotCommand("broadcast", "Send an alert")], scope=BotCommandScopeChat(ana.id)
        )
        assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
        (french,) = await bot.get_my_commands(language_code="fr")
        assert french.description == "Démarrer"
        assert await bot.get_my_commands(language_code="ar") == ()
        await bot.delete_my_commands(language_code="fr")
        assert await bot.get_my_commands(language_code="fr") == ()
        with pytest.raises(BadRequest, match="Bot_command_invalid"):
            await bot.set_my_commands([BotCommand("Start", "capital letters are refused")])
    scope = {"type": "chat", "chat_id": ana.id}
    assert botapi.my_commands(scope) == [{"command": "broadcast", "description": "Send an alert"}]
    botapi.expect_violations("BOT_COMMAND_INVALID")


async def test_inline_query_returns_the_bot_answer(botapi: BotApiServer) -> None:
    application = botapi.application_builder().build()

    async def search(update: Update, context: Context) -> None:
        query = update.inline_query
        assert query is not None
        text = html.escape(query.query)
        result = InlineQueryResultArticle(
            "contact-1",
            f"Contacts for {query.query}",
            InputTextMessageContent(f"<b>{text}</b>", parse_mode=ParseMode.HTML),
        )
        await query.answer([result], cache_time=0, is_personal=True)

    application.add_handler(InlineQueryHandler(search))
    ana = botapi.user()
    async with run_polling(application):
        answer = await ana.inline_query("route <Agadez>")
    assert [r["title"] for r in answer.results] == ["Contacts for route <Agadez>"]
    assert answer.is_personal and answer.cache_time == 0


async def test_files_go_both_ways(botapi: BotApiServer) -> None:
    application = botapi.application_builder().build()

    async def on_document(update: Update, context: Context) -> None:
        assert update.message is not None and update.message.document is not None
        data = await (await update.message.document.get_file()).download_as_bytearray()
        await update.message.reply_document(
            bytes(data).upper(), filename="upper.txt", caption=f"{len(data)} bytes"
        )

    application.add_handler(MessageHandler(filters.Document.ALL, on_document))
    ana = botapi.user()
    async with run_polling(application):
        await ana.send_document("notes.txt", b"field notes", "text/plain")
        reply = await ana.next_message()
    assert reply.caption == "11 bytes"
    assert reply.document is not None and reply.document["file_name"] == "upper.txt"
    stored = botapi.file(reply.document["file_id"])
    async with httpx.AsyncClient() as client:
        download = await client.get(f"{botapi.base_file_url}{botapi.token}/{stored.file_path}")
    assert download.content == b"FIELD NOTES"


async def test_other_content_people_send_and_the_bot_sends(botapi: BotApiServer) -> None:
    ana = botapi.user(first_name="Ana")
    await ana.send_contact("+221 77 000 00 00")
    await ana.send_location(16.97, 7.99)
    await ana.send_photo("border post")
    await ana.send_voice(duration=4)
    async with botapi.bot() as bot:
        updates = await bot.get_updates(timeout=0)
        contact, location, photo, voice = (u.message for u in updates)
        assert contact is not None and contact.contact is not None
        assert contact.contact.user_id == ana.id
        assert location is not None and location.location is not None
        assert location.location.latitude == 16.97
        assert photo is not None and photo.caption == "border post" and len(photo.photo) == 3
        assert voice is not None and voice.voice is not None
        assert voice.voice.mime_type == "audio/ogg"
        biggest = await photo.photo[-1].get_file()
        assert bytes(await biggest.download_as_bytearray()).startswith(b"\xff\xd8")
        await bot.send_media_group(ana.id, [InputMediaPhoto(b"one"), InputMediaPhoto(b"two")])
        await bot.send_location(ana.id, 14.69, -17.44)
        await bot.send_contact(ana.id, "+33 1 00 00 00 00", "Europol desk")
        keyboard = ReplyKeyboardMarkup([[KeyboardButton("Share my number", request_contact=True)]])
        await bot.send_message(ana.id, "Your phone number?", reply_markup=keyboard)
        await bot.send_chat_action(ana.id, "typing")
    first, second, place, card, question = await ana.messages(5)
    assert first.photo and second.photo and first.json["media_group_id"]
    assert place.location == {"latitude": 14.69, "longitude": -17.44}
    assert card.contact is not None and card.contact["first_name"] == "Europol desk"
    assert question.keyboard == [["Share my number"]]
    shared = await ana.choose("Share my number")
    assert shared.payload["contact"]["user_id"] == ana.id
    assert ana.private_chat.actions == ["typing"]


async def test_bot_cannot_write_first_nor_to_who_blocked_it(botapi: BotApiServer) -> None:
    statuses: list[str] = []
    application = botapi.application_builder().build()

    async def member_changed(update: Update, context: Context) -> None:
        assert update.my_chat_member is not None
        statuses.append(update.my_chat_member.new_chat_member.status)

    application.add_handler(ChatMemberHandler(member_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    bob = botapi.user(first_name="Bob")
    bot = application.bot
    async with run_polling(application):
        with pytest.raises(Forbidden, match="can't initiate conversation"):
            await bot.send_message(bob.id, "hello")
        await bob.send("/start")
        await bot.send_message(bob.id, "hello")
        await bob.block_bot()
        await botapi.wait_for(lambda: statuses == ["kicked"], 5, "my_chat_member")
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(bob.id, "are you there?")
    assert [m.text for m in bob.history] == ["hello"]


# -- faults and rate limits -----------------------------------------------------------------------


async def test_retry_after_is_honoured_by_aioratelimiter(botapi: BotApiServer) -> None:
    botapi.faults.add("sendMessage", 429, retry_after=0.3)
    ana = botapi.user()
    async with run_polling(echo_bot(botapi, AIORateLimiter(max_retries=2))):
        await ana.send("flood test")
        reply = await ana.next_message()
    assert reply.text == "flood test"
    refused, accepted = botapi.calls_of("sendMessage")
    assert (refused.status, accepted.status) == (429, 200)
    assert accepted.at - refused.at >= 0.3
    assert botapi.stats.rate_limited == 1 and botapi.violations == []


async def test_forbidden_and_server_errors(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)
    group = botapi.group("JIT Niger")
    botapi.faults.block(group.id, "Forbidden: bot was kicked from the supergroup chat")
    bad_gateway = botapi.faults.add("sendMessage", 502, chat_id=ana.id)
    lost_answer = botapi.faults.add("sendMessage", 500, takes_effect=True)
    async with botapi.bot() as bot:
        with pytest.raises(Forbidden, match="kicked"):
            await bot.send_message(group.id, "hello group")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(ana.id, "first try")
        assert ana.unread == []
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(ana.id, "second try")
        await bot.send_message(ana.id, "third try")
    # The 500 came after Telegram had sent the message: the bot's retry makes a duplicate.
    assert [m.text for m in await ana.messages(2)] == ["second try", "third try"]
    assert (bad_gateway.hits, lost_answer.hits) == (1, 1)
    assert botapi.stats.faults_injected == 3


async def test_time_outs_hold_the_request_until_the_client_gives_up(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)
    botapi.faults.timeout("sendMessage")
    botapi.faults.add("sendMessage", delay=0.05)
    async with botapi.bot(request=HTTPXRequest(read_timeout=0.2)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(ana.id, "lost")
        await bot.send_message(ana.id, "slow but fine")
    assert [m.text for m in ana.history] == ["slow but fine"]
    assert botapi.calls_of("sendMessage")[0].description == "client gone"


async def test_rate_limits_are_enforced_like_telegram(botapi: BotApiServer) -> None:
    ana, bob = botapi.user(started=True), botapi.user(started=True)
    group = botapi.group("NETCOP")
    botapi.enforce_rate_limits(chat_burst=3, per_group_per_minute=5)
    async with botapi.bot() as bot:
        for number in range(3):
            await bot.send_message(ana.id, f"burst {number}")
        with pytest.raises(RetryAfter) as too_fast:
            await bot.send_message(ana.id, "one too many")
        await bot.send_message(bob.id, "another chat is not affected")
        botapi.enforce_rate_limits(chat_burst=100, per_group_per_minute=5)
        for number in range(5):
            await bot.send_message(group.id, f"group {number}")
        with pytest.raises(RetryAfter) as group_limit:
            await bot.send_message(group.id, "sixth this minute")
        botapi.enforce_rate_limits(overall_per_second=2, chat_burst=100)
        await bot.send_message(ana.id, "a")
        await bot.send_message(bob.id, "b")
        with pytest.raises(RetryAfter):
            await bot.send_message(group.id, "c")
    assert "Retry in 1 seconds" in str(too_fast.value)  # 3 in a burst, then 1 per second
    assert re.search(r"Retry in (5\d|60) seconds", str(group_limit.value))
    refused = [c.description for c in botapi.calls_of("sendMessage") if c.status == 429]
    assert refused[0] == "Too Many Requests: retry after 1"
    assert botapi.stats.rate_limited == 3 and botapi.violations == []


# -- harness behaviour ----------------------------------------------------------------------------


async def test_unexpected_violations_fail_the_test() -> None:
    async with BotApiServer() as server:
        ana = server.user(started=True)
        async with server.bot() as bot:
            with pytest.raises(BadRequest):
                await bot.send_message(ana.id, "<b>unclosed", parse_mode=ParseMode.HTML)
    with pytest.raises(AssertionError, match="1 request\\(s\\) Telegram would refuse"):
        server.check_violations()
    server.expect_violations("no such refusal")
    with pytest.raises(AssertionError, match="expected a refusal mentioning 'no such refusal'"):
        server.check_violations()


async def test_waiting_for_a_silent_bot_fails_with_its_recent_calls(botapi: BotApiServer) -> None:
    ana = botapi.user(started=True)
    async with botapi.bot() as bot:
        await bot.send_chat_action(ana.id, "typing")
    with pytest.raises(AssertionError, match=r"(?s)a message from the bot.*sendChatAction → 200"):
        await ana.next_message(timeout=0.05)
    await ana.expect_no_message(within=0.01)


async def test_webhook_delivery_with_secret_token(
    botapi: BotApiServer, unused_tcp_port: int
) -> None:
    application = echo_bot(botapi)
    ana = botapi.user()
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=unused_tcp_port,
            url_path="telegram",
            webhook_url=f"http://127.0.0.1:{unused_tcp_port}/telegram",
            secret_token="s3cret-token",
        )
        try:
            await ana.send("through the webhook")
            reply = await ana.next_message()
            info = await application.bot.get_webhook_info()
            with pytest.raises(Conflict, match="webhook is active"):
                await application.bot.get_updates()
        finally:
            await application.updater.stop()
            await application.stop()
    assert reply.text == "through the webhook"
    assert info.url.endswith("/telegram") and info.pending_update_count == 0


async def test_runs_as_a_subprocess_with_a_control_api() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.botapi_server",
        "--port",
        "0",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        port = int(await asyncio.wait_for(process.stdout.readline(), 20))
        api = f"/bot{DEFAULT_TOKEN}"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get(f"{api}/getMe")).json()["result"]["is_bot"]
            await client.post("/_control/user", json={"id": 7, "first_name": "Ana"})
            await client.post("/_control/send", json={"user_id": 7, "text": "/start"})
            updates = (await client.post(f"{api}/getUpdates", json={"timeout": 5})).json()
            assert updates["result"][0]["message"]["text"] == "/start"
            await client.post(f"{api}/sendMessage", json={"chat_id": 7, "text": "Welcome"})
            waited = await client.post("/_control/wait", json={"chat_id": 7, "count": 1})
            stats = (await client.get("/_control/stats")).json()["result"]
        assert waited.json()["result"] == {"count": 1}
        assert stats["messages_sent"] == 1 and stats["calls"]["getUpdates"] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = await process.communicate()
    assert process.returncode == 0, errors.decode()
