"""The driver of the unit tests fails a test on any call Telegram would refuse, with the checker
and the words of the local Bot API server of the end-to-end tests (`tests/telegram_format.py`)."""

from __future__ import annotations

import pytest

from bot.local_api import ApiCall
from tests.fakes import call_problem


def send(text: str, **extra: object) -> ApiCall:
    return ApiCall("sendMessage", {"chat_id": 1, "text": text, "parse_mode": "HTML", **extra})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("<b>bold</i>", 'Unmatched end tag at byte offset 7, expected "</b>", found "</i>"'),
        ("<b>never closed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        (" <b> </b> ", "message text is empty"),
        ("é" * 4097, "message is too long"),
    ],
)
def test_html_telegram_refuses_fails_the_test(text: str, problem: str) -> None:
    found = call_problem(send(text))
    assert found is not None and problem in found


def test_html_telegram_accepts_passes() -> None:
    text = '<b>Koffi N&#39;Guessan</b> · <a href="https://t.me/x?a=1&amp;b=2">link</a> &lt;3'
    assert call_problem(send(text)) is None
    assert call_problem(send("<i>" + "é" * 4096 + "</i>")) is None  # 4,096 once parsed


def test_a_caption_is_counted_after_parsing_and_up_to_1024() -> None:
    photo = {"chat_id": 1, "photo": "p", "parse_mode": "HTML"}
    long_tags = "<b>" + "x" * 1020 + "</b>"
    assert call_problem(ApiCall("sendPhoto", {**photo, "caption": long_tags})) is None
    found = call_problem(ApiCall("sendPhoto", {**photo, "caption": "x" * 1025}))
    assert found is not None and "caption is too long" in found
