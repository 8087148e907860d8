"""Long HTML replies split into valid messages under Telegram's limit."""

from __future__ import annotations

from markupsafe import Markup, escape

from bot.views.render import split_html
from tests.telegram_format import html_problem


def test_short_text_is_one_chunk() -> None:
    assert split_html("<b>hi</b>") == ["<b>hi</b>"]


def test_long_lines_split_at_line_breaks_and_stay_valid() -> None:
    text = "\n".join(f"<b>{n}</b> {escape('<&> é ' * 20)}" for n in range(400))
    chunks = split_html(text)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= 4096
        assert html_problem(chunk) is None
    assert "".join(chunks).count("<b>") == 400


def test_a_single_huge_line_is_cut_without_breaking_tags_or_entities() -> None:
    text = "<i>" + str(escape("a&b<" * 3000)) + "</i>"
    chunks = split_html(text, limit=1000)
    for chunk in chunks:
        assert len(chunk) <= 1000 and html_problem(chunk) is None
        assert chunk.startswith("<i>") and chunk.endswith("</i>")


def test_markup_is_split_without_escaping_it_again() -> None:
    text = Markup("\n").join(Markup("<b>{}</b>").format("<&> é" * 30) for _ in range(200))
    chunks = split_html(text)
    assert len(chunks) > 1
    for chunk in chunks:
        assert html_problem(chunk) is None and "&amp;lt;" not in chunk
    assert "".join(chunks).count("<b>&lt;&amp;&gt; é") == 200
