"""Telegram's text formatting, as Telegram applies it: HTML, MarkdownV2 and legacy Markdown
parsed into text and entities (offsets in UTF-16 code units), and the length limits.

One checker for every test: the in-process driver (`tests/fakes.py`) and the local Bot API
server of the end-to-end tests (`tests/e2e/botapi_server/`) refuse the same texts, with
Telegram's wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

JSON = dict[str, Any]

MAX_TEXT: Final = 4096
MAX_CAPTION: Final = 1024


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def html_problem(text: str, *, caption: bool = False) -> str | None:
    """Why Telegram would refuse this HTML as a message text (or a caption), or None."""
    try:
        parsed = parse_html(text).stripped()
    except EntityParseError as error:
        return f"can't parse entities: {error}"
    return length_problem(parsed, caption=caption)


def length_problem(parsed: FormattedText, *, caption: bool = False) -> str | None:
    """Telegram's refusal of a parsed, trimmed text or caption for its length, or None."""
    length = utf16_len(parsed.text)
    if caption:
        return "message caption is too long" if length > MAX_CAPTION else None
    if length == 0:
        return "message text is empty"
    if length > MAX_TEXT:
        return "message is too long"
    return None


class EntityParseError(ValueError):
    """Telegram's "can't parse entities" refusal."""


@dataclass(frozen=True, slots=True)
class FormattedText:
    """Text after entity parsing, with entities in UTF-16 offsets, as Telegram stores it."""

    text: str
    entities: list[JSON]

    def stripped(self) -> FormattedText:
        """Without leading and trailing whitespace, as Telegram trims messages."""
        start = len(self.text) - len(self.text.lstrip())
        text = self.text.strip()
        shift, length = utf16_len(self.text[:start]), utf16_len(text)
        entities = []
        for entity in self.entities:
            begin = max(entity["offset"] - shift, 0)
            end = min(entity["offset"] + entity["length"] - shift, length)
            if end > begin:
                entities.append({**entity, "offset": begin, "length": end - begin})
        return FormattedText(text, entities)


class _Builder:
    """Plain text under construction, with its length in UTF-16 code units."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[JSON] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.length > start:
            self.entities.append({"type": kind, "offset": start, "length": self.length - start})
            self.entities[-1].update(extra)

    def result(self) -> FormattedText:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self.parts), entities)


_HTML_TAGS: Final = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
_HTML_NAME = re.compile(r"[a-zA-Z0-9-]*")
_HTML_ATTRIBUTE = re.compile(r"[a-zA-Z0-9_-]*")
_HTML_UNQUOTED = re.compile(r"[^\s>]*")
_HTML_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode())


def _html_unescape(source: str, start: int, end: int, origin: str, base: int) -> str:
    """Decode the HTML entities of source[start:end]; a bare "&" is refused."""
    out = []
    i = start
    while i < end:
        if source[i] != "&":
            out.append(source[i])
            i += 1
            continue
        found = _HTML_ENTITY.match(source, i, end)
        if found is None:
            raise EntityParseError(
                f'Unescaped "&" at byte offset {_byte_offset(origin, base + i - start)}; '
                "write it as &amp;"
            )
        name, decimal, hexadecimal = found.groups()
        if name:
            out.append(_NAMED_ENTITIES[name])
        else:
            code = int(decimal) if decimal else int(hexadecimal, 16)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise EntityParseError(
                    f"Invalid character code {code} at byte offset "
                    f"{_byte_offset(origin, base + i - start)}"
                )
            out.append(chr(code))
        i = found.end()
    return "".join(out)


@dataclass(slots=True)
class _OpenTag:
    name: str
    attributes: dict[str, str]
    start: int
    byte_offset: int
    language: str | None = None


def parse_html(source: str) -> FormattedText:
    """Parse Telegram's HTML subset; raise EntityParseError where Telegram would refuse it.

    Stricter than Telegram in one respect: an "&" that does not start one of the supported
    entities (&lt; &gt; &amp; &quot; &#NNN; &#xHH;) is refused, since it means unescaped input.
    """
    out = _Builder()
    stack: list[_OpenTag] = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "&":
            end = i + 1
            found = _HTML_ENTITY.match(source, i)
            end = found.end() if found else i + 1
            out.add(_html_unescape(source, i, end, source, i))
            i = end
        elif char != "<":
            # Copy a run of plain characters at once.
            end = i + 1
            while end < n and source[end] not in "<&":
                end += 1
            out.add(source[i:end])
            i = end
        elif source.startswith("</", i):
            i = _html_end_tag(source, i, stack, out)
        else:
            i = _html_start_tag(source, i, stack, out)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.result()


def _html_start_tag(source: str, i: int, stack: list[_OpenTag], out: _Builder) -> int:
    n = len(source)
    offset = _byte_offset(source, i)
    name_match = _HTML_NAME.match(source, i + 1)
    assert name_match is not None
    name = name_match.group().lower()
    if name not in _HTML_TAGS:
        raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
    j = name_match.end()
    attributes: dict[str, str] = {}
    while True:
        while j < n and source[j].isspace():
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        if source[j] == ">":
            j += 1
            break
        attribute_match = _HTML_ATTRIBUTE.match(source, j)
        assert attribute_match is not None
        attribute = attribute_match.group().lower()
        if not attribute:
            raise EntityParseError(
                f'Empty attribute name in the tag "{name}" at byte offset {offset}'
            )
        j = attribute_match.end()
        while j < n and source[j].isspace():
            j += 1
        value = ""
        if j < n and source[j] == "=":
            j += 1
            while j < n and source[j].isspace():
                j += 1
            if j >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
            if source[j] in "\"'":
                close = source.find(source[j], j + 1)
                if close < 0:
                    raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
                value = _html_unescape(source, j + 1, close, source, j + 1)
                j = close + 1
            else:
                unquoted = _HTML_UNQUOTED.match(source, j)
                assert unquoted is not None
                value = _html_unescape(source, j, unquoted.end(), source, j)
                j = unquoted.end()
        attributes[attribute] = value
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if name == "tg-emoji" and not attributes.get("emoji-id"):
        raise EntityParseError(
            f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {offset}'
        )
    stack.append(_OpenTag(name, attributes, out.length, offset))
    return j


def _html_end_tag(source: str, i: int, stack: list[_OpenTag], out: _Builder) -> int:
    n = len(source)
    offset = _byte_offset(source, i)
    name_match = _HTML_NAME.match(source, i + 2)
    assert name_match is not None
    name = name_match.group().lower()
    j = name_match.end()
    while j < n and source[j].isspace():
        j += 1
    if j >= n or source[j] != ">":
        raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
    if not stack:
        raise EntityParseError(f'Unexpected end tag "{name}" at byte offset {offset}')
    tag = stack.pop()
    if tag.name != name:
        raise EntityParseError(
            f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
            f'found "</{name}>"'
        )
    kind = _HTML_TAGS[name]
    attributes = tag.attributes
    if name == "code" and stack and stack[-1].name == "pre":
        # <pre><code class="language-x"> gives the pre block its language, as Telegram does.
        language = attributes.get("class", "")
        if language.startswith("language-") and stack[-1].start == tag.start:
            stack[-1].language = language.removeprefix("language-")
            return j + 1
    if name == "a":
        if "href" in attributes:
            out.entity("text_link", tag.start, url=attributes["href"])
    elif name == "pre" and tag.language:
        out.entity("pre", tag.start, language=tag.language)
    elif name == "blockquote" and "expandable" in attributes:
        out.entity("expandable_blockquote", tag.start)
    elif name == "tg-emoji":
        out.entity("custom_emoji", tag.start, custom_emoji_id=attributes["emoji-id"])
    else:
        out.entity(kind, tag.start)
    return j + 1


_MDV2_RESERVED: Final = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES: Final = {
    "*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler",
    "[": "TextUrl", "![": "CustomEmoji",
}  # fmt: skip
_MDV2_KINDS: Final = {
    "*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler",
}  # fmt: skip


def parse_markdown_v2(source: str) -> FormattedText:
    """Parse MarkdownV2; reserved characters outside markup must be escaped with a backslash."""
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # (marker, start, byte offset)
    quote: tuple[int, bool] | None = None  # (start, expandable) of an open block quotation
    i, n = 0, len(source)
    line_start = True
    while i < n:
        char = source[i]
        if line_start:
            line_start = False
            if source.startswith("**>", i) and quote is None:
                quote = (out.length, True)
                i += 3
                continue
            if char == ">":
                if quote is None:
                    quote = (out.length, False)
                i += 1
                continue
            if quote is not None:
                # The quotation ended with the previous line (its newline is not part of it).
                out.length -= 1
                out.entity("blockquote", quote[0])
                out.length += 1
                quote = None
        if char == "\\" and i + 1 < n and 1 <= ord(source[i + 1]) <= 126:
            out.add(source[i + 1])
            i += 2
        elif char == "\n":
            out.add(char)
            line_start = True
            i += 1
        elif char == "`":
            i = _mdv2_code(source, i, out)
        elif source.startswith("![", i) or char == "[":
            marker = "![" if char == "!" else "["
            stack.append((marker, out.length, _byte_offset(source, i)))
            i += len(marker)
        elif char == "]" and stack and stack[-1][0] in ("[", "!["):
            i = _mdv2_link(source, i, stack.pop(), out)
        elif (
            quote is not None
            and quote[1]
            and source.startswith("||", i)
            and source[i + 2 : i + 3] in ("", "\n")
            and all(marker != "||" for marker, _, _ in stack)
        ):
            out.entity("expandable_blockquote", quote[0])
            quote = None
            i += 2
        elif char in "*_~" or source.startswith("||", i):
            marker = "__" if source.startswith("__", i) else "||" if char == "|" else char
            if stack and stack[-1][0] == marker:
                _, start, _ = stack.pop()
                out.entity(_MDV2_KINDS[marker], start)
            elif any(open_marker == marker for open_marker, _, _ in stack):
                top, _, top_offset = stack[-1]
                raise EntityParseError(
                    f"Can't find end of {_MDV2_NAMES[top]} entity at byte offset {top_offset}"
                )
            else:
                stack.append((marker, out.length, _byte_offset(source, i)))
            i += len(marker)
        elif char in _MDV2_RESERVED:
            raise EntityParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        else:
            out.add(char)
            i += 1
    if quote is not None:
        out.entity("expandable_blockquote" if quote[1] else "blockquote", quote[0])
    if stack:
        marker, _, offset = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[marker]} entity at byte offset {offset}"
        )
    return out.result()


def _mdv2_code(source: str, i: int, out: _Builder) -> int:
    """`code` or ```pre```: only ` and \\ are escaped inside."""
    offset = _byte_offset(source, i)
    pre = source.startswith("```", i)
    fence = "```" if pre else "`"
    j = i + len(fence)
    language = ""
    if pre:
        newline = source.find("\n", j)
        first_line = source[j:newline] if newline >= 0 else ""
        if first_line and " " not in first_line and "`" not in first_line:
            language, j = first_line, newline + 1
    start = out.length
    while j < len(source):
        if source[j] == "\\" and j + 1 < len(source) and source[j + 1] in "`\\":
            out.add(source[j + 1])
            j += 2
        elif source.startswith(fence, j):
            if pre:
                out.entity("pre", start, **({"language": language} if language else {}))
            else:
                out.entity("code", start)
            return j + len(fence)
        else:
            out.add(source[j])
            j += 1
    raise EntityParseError(
        f"Can't find end of {'Pre' if pre else 'Code'} entity at byte offset {offset}"
    )


def _mdv2_link(source: str, i: int, opened: tuple[str, int, int], out: _Builder) -> int:
    """The ](url) part of [text](url) or ![emoji](tg://emoji?id=...)."""
    marker, start, offset = opened
    if not source.startswith("(", i + 1):
        return i + 1  # "[text]" without a URL is plain text
    j = i + 2
    url = []
    while j < len(source) and source[j] != ")":
        if source[j] == "\\" and j + 1 < len(source) and source[j + 1] in ")\\":
            j += 1
        url.append(source[j])
        j += 1
    if j >= len(source):
        raise EntityParseError(f"Can't find end of a URL at byte offset {offset}")
    target = "".join(url)
    if marker == "![":
        emoji_id = target.removeprefix("tg://emoji?id=")
        out.entity("custom_emoji", start, custom_emoji_id=emoji_id)
    else:
        out.entity("text_link", start, url=target)
    return j + 1


def parse_markdown(source: str) -> FormattedText:
    """Parse legacy Markdown: *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out = _Builder()
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "\\" and i + 1 < n and source[i + 1] in "_*`[":
            out.add(source[i + 1])
            i += 2
            continue
        if char not in "_*`[":
            out.add(char)
            i += 1
            continue
        offset = _byte_offset(source, i)
        missing = EntityParseError(f"Can't find end of the entity starting at byte offset {offset}")
        start = out.length
        if source.startswith("```", i):
            end = source.find("```", i + 3)
            if end < 0:
                raise missing
            body = source[i + 3 : end]
            language = ""
            if "\n" in body and " " not in body.split("\n", 1)[0]:
                language, body = body.split("\n", 1)
            out.add(body)
            out.entity("pre", start, **({"language": language} if language else {}))
            i = end + 3
        elif char == "[":
            close = source.find("](", i + 1)
            end = source.find(")", close + 2) if close >= 0 else -1
            if end < 0:
                raise missing
            out.add(source[i + 1 : close])
            out.entity("text_link", start, url=source[close + 2 : end])
            i = end + 1
        else:
            end = source.find(char, i + 1)
            if end < 0:
                raise missing
            out.add(source[i + 1 : end])
            out.entity({"*": "bold", "_": "italic", "`": "code"}[char], start)
            i = end + 1
    return out.result()
