"""A strict local Telegram Bot API server, for end-to-end tests and benchmarks.

It speaks HTTP on 127.0.0.1 the way api.telegram.org does, so the real python-telegram-bot
request stack (httpx, JSON or form/multipart bodies) talks to it unchanged:

    POST /bot<TOKEN>/<method>          → {"ok": true, "result": ...} or a Telegram-shaped error
    GET  /file/bot<TOKEN>/<file_path>  → the bytes of a file the bot or a person uploaded

It is stricter than Telegram where that catches bugs early: every request is checked against the
Bot API specification in `spec/api.min.json` (unknown methods and parameters, missing required
ones, nested object shapes), against Telegram's limits (text and caption length in UTF-16 code
units, callback data size, answer lengths) and against its HTML / MarkdownV2 parsers. Every refusal
is kept in `server.violations`; the `botapi` fixture fails the test that caused one.

People are simulated with `server.user(...)` (see `tests/e2e/users.py`); faults (429, 5xx, 403,
time-outs) are injected with `server.faults.add(...)`; Telegram's flood limits can be enforced with
`server.enforce_rate_limits()`; `server.stats` counts what happened, for benchmarks.

Run on its own for benchmarks: `python -m tests.e2e.botapi_server --port 0` prints the bound port
on the first line of stdout and serves until SIGTERM. A small JSON control API under `/_control/`
lets another process act as people and read the results (see `ControlApi`).
"""

# The waiting helpers take `timeout=` on purpose, like the people's methods in users.py.
# ruff: noqa: ASYNC109

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import logging
import math
import random
import re
import signal
import socket
import sys
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx
import tornado.httpserver
import tornado.httputil
import tornado.netutil
import tornado.web

from tests.e2e.users import (
    FAKE_JPEG,
    BotMessage,
    CallbackAnswer,
    IncomingUpdate,
    InlineAnswer,
    Revision,
    TestChat,
    TestUser,
    UserInfo,
    utf16_len,
)

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import Application, ApplicationBuilder

JSON = dict[str, Any]

LOGGER = logging.getLogger(__name__)

SPEC_PATH: Final = Path(__file__).with_name("spec") / "api.min.json"
DEFAULT_TOKEN: Final = "7000000001:AAHpartnerbot-local-test-token-0123"
DEFAULT_BOT_USERNAME: Final = "partnerbot_test_bot"

#: Telegram's token shape; anything else is answered 404 like api.telegram.org does.
_TOKEN_SHAPE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{30,}")

MAX_TEXT: Final = 4096
MAX_CAPTION: Final = 1024
MAX_CALLBACK_DATA: Final = 64
MAX_CALLBACK_ANSWER: Final = 200
MAX_UPLOAD: Final = 50 * 1024 * 1024
MAX_DOWNLOAD: Final = 20 * 1024 * 1024


# ================================================================================================
# The specification
# ================================================================================================

_SCALARS: Final = frozenset({"Integer", "Float", "String", "Boolean", "InputFile"})
_DISCRIMINATOR = re.compile(r"(?:must be|always)\s+[\"“]?([a-z_]+)")


#: Parameters Telegram ignores on methods that do not declare them, and that
#: python-telegram-bot sends anyway; any other undeclared parameter is refused.
TOLERATED_EXTRAS = frozenset({"parse_mode"})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True, slots=True)
class MethodSpec:
    name: str
    fields: dict[str, FieldSpec]
    returns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TypeSpec:
    name: str
    fields: dict[str, FieldSpec]
    subtypes: tuple[str, ...]
    #: For a subtype told apart by a field value: (field, value), e.g. ("type", "article").
    discriminator: tuple[str, str] | None


def _fields(raw: Iterable[JSON]) -> dict[str, FieldSpec]:
    return {f["name"]: FieldSpec(f["name"], tuple(f["types"]), bool(f["required"])) for f in raw}


class ApiSpec:
    """The Bot API methods and types, from the scraped specification, as a validator."""

    def __init__(self, data: JSON) -> None:
        self.version = str(data.get("version", "?"))
        self.methods = {
            name: MethodSpec(name, _fields(m.get("fields", [])), tuple(m.get("returns", [])))
            for name, m in data["methods"].items()
        }
        # Telegram matches method names case-insensitively.
        self._by_lower = {name.lower(): name for name in self.methods}
        self.types: dict[str, TypeSpec] = {}
        for name, t in data["types"].items():
            fields = _fields(t.get("fields", []))
            discriminator = None
            for key in ("type", "source", "status"):
                if key in fields:
                    description = next(f for f in t["fields"] if f["name"] == key)["description"]
                    found = _DISCRIMINATOR.search(description)
                    if found:
                        discriminator = (key, found.group(1))
                    break
            self.types[name] = TypeSpec(name, fields, tuple(t.get("subtypes", [])), discriminator)

    @classmethod
    @functools.cache
    def load(cls, path: Path = SPEC_PATH) -> ApiSpec:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def method(self, name: str) -> MethodSpec | None:
        canonical = self._by_lower.get(name.lower())
        return None if canonical is None else self.methods[canonical]

    def decode(self, raw: Any, types: Sequence[str], name: str) -> Any:
        """Turn a form value (always a string) into the JSON value its declared types call for.

        python-telegram-bot sends form data: strings as they are, everything else JSON-encoded.
        JSON bodies give typed values already; nested objects may still come as JSON strings.
        """
        if not isinstance(raw, str):
            return raw
        for kind in types:
            if kind == "Integer" and re.fullmatch(r"-?\d+", raw):
                return int(raw)
            if kind == "Float":
                with contextlib.suppress(ValueError):
                    return float(raw)
            if kind == "Boolean" and raw.lower() in ("true", "false", "1", "0"):
                return raw.lower() in ("true", "1")
            if kind in ("String", "InputFile"):
                return raw
        if any(kind not in _SCALARS for kind in types):
            try:
                return json.loads(raw)
            except ValueError:
                raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
        raise ApiError(400, f'Bad Request: parameter "{name}" must be {" or ".join(types)}')

    def check(self, value: Any, types: Sequence[str], path: str) -> str | None:
        """Why `value` is not of any of `types`, or None."""
        problems = [(kind, self._check(value, kind, path)) for kind in types]
        if any(problem is None for _, problem in problems):
            return None
        # Report the problem of the alternative of the same JSON shape as the value.
        for kind, problem in problems:
            if _shape_of_type(kind) == _shape_of_value(value):
                return problem
        return f"{path} must be {' or '.join(types)}"

    def _check(self, value: Any, kind: str, path: str) -> str | None:
        if kind.startswith("Array of "):
            if not isinstance(value, list):
                return f"{path} must be an Array"
            inner = kind.removeprefix("Array of ")
            for index, item in enumerate(value):
                problem = self.check(item, [inner], f"{path}[{index}]")
                if problem:
                    return problem
            return None
        if kind in _SCALARS:
            ok = {
                "Integer": isinstance(value, int) and not isinstance(value, bool),
                "Float": isinstance(value, int | float) and not isinstance(value, bool),
                "String": isinstance(value, str),
                "Boolean": isinstance(value, bool),
                "InputFile": isinstance(value, str | UploadedFile),
            }[kind]
            return None if ok else f"{path} must be {kind}"
        spec = self.types.get(kind)
        if spec is None:
            return None  # a type the scraped specification does not describe
        if not isinstance(value, dict):
            return f"{path} must be a {kind} object"
        if spec.subtypes:
            return self._check_union(value, spec, path)
        if not spec.fields:
            return None  # placeholder types such as CallbackGame
        for key, item in value.items():
            declared = spec.fields.get(key)
            if declared is None:
                return f'{path}: unexpected field "{key}" in {kind}'
            if item is None and not declared.required:
                continue
            problem = self.check(item, declared.types, f"{path}.{key}")
            if problem:
                return problem
        for declared in spec.fields.values():
            if declared.required and value.get(declared.name) is None:
                return f'{path}: field "{declared.name}" is required in {kind}'
        return None

    def _check_union(self, value: JSON, spec: TypeSpec, path: str) -> str | None:
        candidates = []
        for sub in spec.subtypes:
            sub_spec = self.types.get(sub)
            if sub_spec is None:
                continue
            key_value = sub_spec.discriminator
            if key_value is None or value.get(key_value[0]) == key_value[1]:
                candidates.append(sub)
        if not candidates:
            return f"{path}: unknown {spec.name} type {value.get('type')!r}"
        problems = [self.check(value, [sub], path) for sub in candidates]
        if any(problem is None for problem in problems):
            return None

        def overlap(sub: str) -> int:
            return len(set(value) & set(self.types[sub].fields))

        best = max(range(len(candidates)), key=lambda i: overlap(candidates[i]))
        return problems[best]


def _shape_of_type(kind: str) -> str:
    if kind.startswith("Array of "):
        return "array"
    return {"Integer": "number", "Float": "number", "String": "string", "Boolean": "bool"}.get(
        kind, "string" if kind == "InputFile" else "object"
    )


def _shape_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str | UploadedFile):
        return "string"
    return "array" if isinstance(value, list) else "object"


# ================================================================================================
# Formatting: Telegram's HTML, MarkdownV2 and legacy Markdown parsers
# ================================================================================================


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


# ================================================================================================
# Records
# ================================================================================================


class ApiError(Exception):
    """A Bot API error answer. `violation` marks refusals a correct bot should never provoke."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: float | None = None,
        violation: bool | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.violation = status in (400, 401, 404) if violation is None else violation

    def body(self) -> JSON:
        data: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": _number(self.retry_after)}
        return data


def _number(value: float) -> int | float:
    """Whole numbers as JSON integers (Telegram's retry_after is an integer)."""
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str

    def __repr__(self) -> str:
        return f"<UploadedFile {self.filename!r} {len(self.content)} bytes>"


@dataclass(slots=True)
class ApiCall:
    """One request the bot made, and how it was answered."""

    method: str
    params: JSON
    at: float
    status: int = 200
    description: str | None = None
    result: Any = None


@dataclass(frozen=True, slots=True)
class Violation:
    """A request Telegram would refuse (or that this server could not serve)."""

    method: str
    params: JSON
    description: str
    status: int = 400

    def __str__(self) -> str:
        shown = {
            k: (v if len(repr(v)) < 200 else repr(v)[:200] + "…") for k, v in self.params.items()
        }
        return f"{self.method} → {self.status} {self.description}\n      params: {shown}"


@dataclass(slots=True)
class StoredFile:
    """A file known to the server, downloadable under its file_path."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    kind: str
    #: The media object (Document, Voice, PhotoSize, ...) as it appears in messages.
    json: JSON


# ================================================================================================
# Faults, rate limits, statistics
# ================================================================================================

_DEFAULT_DESCRIPTIONS: Final = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(eq=False)
class Fault:
    """One injected failure rule; `hits` counts how often it fired."""

    method: frozenset[str] | None
    status: int | None
    retry_after: float | None
    description: str | None
    chat_id: int | str | None
    times: int | None
    fraction: float | None
    delay: float
    takes_effect: bool
    skip: int
    hits: int = 0
    _seen: int = 0

    def matches(self, method: str, params: JSON, rng: random.Random) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is None and method in ("getUpdates", "getMe"):
            return False  # "any method" means the bot's work, not its polling
        if self.method is not None and method not in self.method:
            return False
        if self.chat_id is not None and str(params.get("chat_id")) != str(self.chat_id):
            return False
        self._seen += 1
        if self._seen <= self.skip:
            return False
        return self.fraction is None or rng.random() < self.fraction

    def error(self) -> ApiError:
        assert self.status is not None
        if self.status == 429:
            retry_after = self.retry_after if self.retry_after is not None else 1
            description = (
                self.description or f"Too Many Requests: retry after {_number(retry_after)}"
            )
            return ApiError(429, description, retry_after=retry_after, violation=False)
        description = self.description or _DEFAULT_DESCRIPTIONS.get(self.status, "Error")
        return ApiError(self.status, description, violation=False)


class Faults:
    """Failures to inject into the bot's requests, checked in the order they were added."""

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[Fault] = []
        self._random = random.Random(seed)

    def add(
        self,
        method: str | Iterable[str] | None = None,
        status: int | None = None,
        *,
        retry_after: float | None = None,
        chat_id: int | str | None = None,
        times: int | None = 1,
        fraction: float | None = None,
        description: str | None = None,
        delay: float = 0.0,
        takes_effect: bool = False,
        skip: int = 0,
    ) -> Fault:
        """Fail matching requests.

        method: a method name, several, or None for any (except getUpdates and getMe).
        status: 429 (with retry_after, fractions allowed to keep tests fast), 403, 500, 502, ...;
            None with a delay only slows the request down.
        chat_id: only requests to this chat. times: how many times (None: forever).
        fraction: fail only this share of matching requests (seeded, reproducible).
        delay: hold the request this many seconds before answering; math.inf holds it until the
            client gives up (a time-out).
        takes_effect: carry the request out although the bot sees a failure (Telegram sent the
            message but the answer got lost), to test for duplicates.
        skip: let this many matching requests through first.
        """
        if status is None and not delay:
            raise ValueError("a fault needs a status, a delay, or both")
        methods = None
        if method is not None:
            methods = frozenset([method] if isinstance(method, str) else method)
        fault = Fault(
            methods, status, retry_after, description, chat_id, times, fraction, delay,
            takes_effect, skip,
        )  # fmt: skip
        self._rules.append(fault)
        return fault

    def block(self, chat_id: int, description: str | None = None) -> Fault:
        """403 for everything sent to this chat, for the rest of the test."""
        return self.add(None, 403, chat_id=chat_id, times=None, description=description)

    def timeout(
        self,
        method: str | Iterable[str] | None = None,
        *,
        seconds: float = math.inf,
        times: int | None = 1,
        chat_id: int | None = None,
        takes_effect: bool = False,
    ) -> Fault:
        """Hold requests without answering: for `seconds`, or until the client gives up."""
        return self.add(
            method, None, delay=seconds, times=times, chat_id=chat_id, takes_effect=takes_effect
        )

    def clear(self) -> None:
        self._rules.clear()

    def pick(self, method: str, params: JSON) -> Fault | None:
        for fault in self._rules:
            if fault.matches(method, params, self._random):
                fault.hits += 1
                return fault
        return None

    def __iter__(self) -> Iterator[Fault]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Telegram's flood limits (approximate, as documented in its bot FAQ)."""

    overall_per_second: float = 30
    per_chat_per_second: float = 1
    per_group_per_minute: float = 20
    #: Messages a single chat may receive in a burst before the 1/s pace applies.
    chat_burst: int = 3


class _Window:
    """A sliding window: at most `limit` events in any `period` seconds."""

    __slots__ = ("events", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = max(1, limit)
        self.period = period
        self.events: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.events and self.events[0] <= now - self.period:
            self.events.popleft()
        return 0.0 if len(self.events) < self.limit else self.events[0] + self.period - now

    def take(self, now: float) -> None:
        self.events.append(now)


class _Bucket:
    """A token bucket: bursts up to `capacity`, then `rate` events per second."""

    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, capacity: int, rate: float, now: float) -> None:
        self.capacity = float(max(1, capacity))
        self.rate = rate
        self.tokens = self.capacity
        self.updated = now

    def wait(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self.tokens -= 1


class _RateLimiter:
    def __init__(self, limits: RateLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self.overall = _Window(round(limits.overall_per_second), 1.0)
        self.chats: dict[int, _Bucket] = {}
        self.groups: dict[int, _Window] = {}

    def retry_after(self, chat: TestChat | None) -> int | None:
        """Seconds to wait if a message to `chat` now would exceed a limit; else counts it."""
        now = self.clock()
        limits: list[_Window | _Bucket] = [self.overall]
        if chat is not None:
            if chat.id not in self.chats:
                self.chats[chat.id] = _Bucket(
                    self.limits.chat_burst, self.limits.per_chat_per_second, now
                )
            limits.append(self.chats[chat.id])
            if chat.type in ("group", "supergroup"):
                per_minute = round(self.limits.per_group_per_minute)
                limits.append(self.groups.setdefault(chat.id, _Window(per_minute, 60.0)))
        wait = max(limit.wait(now) for limit in limits)
        if wait > 0:
            return max(1, math.ceil(wait))  # Telegram's retry_after is whole seconds
        for limit in limits:
            limit.take(now)
        return None


#: Methods that post a message into a chat, which Telegram's flood limits apply to.
_NOT_POSTING: Final = frozenset(
    {"sendChatAction", "sendMessageDraft", "sendRichMessageDraft", "sendChatJoinRequestWebApp",
     "sendGift"}
)  # fmt: skip
_POSTING_EXTRA: Final = frozenset(
    {"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"}
)


def _posts_message(method: str) -> bool:
    return (method.startswith("send") and method not in _NOT_POSTING) or method in _POSTING_EXTRA


@dataclass
class Stats:
    """Counters for benchmarks and assertions."""

    calls: Counter[str] = field(default_factory=Counter)
    messages_sent: int = 0
    edits: int = 0
    deletions: int = 0
    rate_limited: int = 0
    faults_injected: int = 0
    errors: int = 0
    violations: int = 0
    conflicts: int = 0
    updates_queued: int = 0
    updates_delivered: int = 0
    updates_dropped: int = 0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def as_dict(self) -> JSON:
        data = asdict(self)
        data["calls"] = dict(self.calls)
        data["total_calls"] = self.total_calls
        return data


# ================================================================================================
# Waiting without sleeping
# ================================================================================================


class _Signal:
    """Wakes every waiter whenever something changes; waiters re-check their condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Whether `predicate` became true within `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._event.wait()
        except TimeoutError:
            return predicate()
        return True


class _Connection:
    """One HTTP request in progress; closed when the client goes away or the server stops."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()
        self._callbacks: list[Callable[[], None]] = []

    def on_close(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def close(self) -> None:
        if not self.closed.is_set():
            self.closed.set()
            for callback in self._callbacks:
                callback()


@dataclass(eq=False)
class _Poll:
    """A pending getUpdates long poll."""

    wake: asyncio.Event = field(default_factory=asyncio.Event)
    superseded: str | None = None


@dataclass
class WebhookState:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


_GONE: Final = object()  # the client went away: answer nothing


@dataclass(frozen=True, slots=True)
class _Described:
    """A result with the "description" Telegram adds to some answers ("Webhook was set")."""

    result: Any
    description: str


#: Folders and file_id prefixes by kind, after Telegram's.
_FILE_KINDS: Final = {
    "photo": ("photos", "AgAC", ".jpg"),
    "document": ("documents", "BQAC", ""),
    "voice": ("voice", "AwAC", ".oga"),
    "audio": ("music", "CQAC", ".mp3"),
    "video": ("videos", "BAAC", ".mp4"),
    "animation": ("animations", "CgAC", ".mp4"),
    "video_note": ("video_notes", "DQAC", ".mp4"),
    "sticker": ("stickers", "CAAC", ".webp"),
    "thumbnail": ("thumbnails", "AAMC", ".jpg"),
}
#: Send methods whose main parameter is a file, and the Message field it becomes.
_MEDIA_METHODS: Final = {
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
_UPDATE_KINDS_OFF_BY_DEFAULT: Final = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,})?")
_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)

Handler = Callable[[JSON, dict[str, UploadedFile]], Awaitable[Any]]


# ================================================================================================
# The server
# ================================================================================================


class BotApiServer:
    """A local Bot API server with Telegram's state and rules; see the module docstring.

    token, bot_username, bot_first_name, can_join_groups, supports_inline_queries: the bot, as
        getMe describes it.
    can_read_all_group_messages: False is Telegram's privacy mode (the default for bots): in
        groups where the bot is no admin it only gets commands, mentions and replies to it.
    keep_calls: keep every request in `calls` and every update for `redeliver(update_id)`;
        False keeps only the counters, for long benchmarks.
    seed: makes fault fractions and dice reproducible.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = "Partnerbot",
        can_join_groups: bool = True,
        can_read_all_group_messages: bool = False,
        supports_inline_queries: bool = True,
        keep_calls: bool = True,
        seed: int = 0,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.can_join_groups = can_join_groups
        self.can_read_all_group_messages = can_read_all_group_messages
        self.supports_inline_queries = supports_inline_queries
        self.keep_calls = keep_calls
        self.spec = ApiSpec.load()
        #: Wall clock for message dates.
        self.clock: Callable[[], float] = time.time
        self.monotonic: Callable[[], float] = time.monotonic

        self.calls: list[ApiCall] = []
        self.violations: list[Violation] = []
        #: Exceptions raised while serving: bugs of this server, never of the bot.
        self.internal_errors: list[str] = []
        self.stats = Stats()
        self.faults = Faults(seed)
        self._random = random.Random(seed)
        self._rate_limiter: _RateLimiter | None = None
        self._violations_expected = False
        self._expected_fragments: list[str] = []

        self.users: dict[int, UserInfo] = {}
        self.chats: dict[int, TestChat] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        #: setMyCommands per (scope as canonical JSON, language_code).
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.bot_texts: dict[
            tuple[str, str], str
        ] = {}  # (name|description|short_description, lang)
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.inline_answers: dict[str, InlineAnswer] = {}
        self._open_queries: dict[str, str] = {}  # query id → "callback" or "inline"
        self.webhook = WebhookState()
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_wake = asyncio.Event()

        self._updates: list[JSON] = []
        self._update_log: dict[int, JSON] = {}
        self._redeliveries: list[JSON] = []
        self._update_ids = itertools.count(700_000_001)
        self._confirmed_below = 0
        self._allowed_updates: list[str] = []
        self._poll: _Poll | None = None

        self._ids = itertools.count(1)
        self._user_ids = itertools.count(1_000_001)
        self._group_ids = itertools.count(1)
        self._read_cursors: dict[tuple[int, int], int] = {}
        self._seen_versions: dict[int, dict[BotMessage, int]] = {}
        self.last_pressed: dict[tuple[int, int], BotMessage] = {}

        self._activity = _Signal()
        self._connections: set[_Connection] = set()
        self._http: tornado.httpserver.HTTPServer | None = None
        self._closing = False
        self.host = "127.0.0.1"
        self.port = 0
        self._handlers: dict[str, Handler] = self._method_table()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> BotApiServer:
        """Listen on host:port (0: any free port, see `.port`)."""
        application = tornado.web.Application(
            [
                (r"/bot([^/]*)/([^/]*)", _ApiHandler, {"server": self}),
                (r"/file/bot([^/]*)/(.+)", _FileHandler, {"server": self}),
                (r"/_control/([a-z_]+)", _ControlHandler, {"server": self}),
                (r"/.*", _NotFoundHandler, {"server": self}),
            ],
            log_function=_log_request,
        )
        self._http = tornado.httpserver.HTTPServer(application, max_body_size=2 * MAX_UPLOAD)
        sockets = tornado.netutil.bind_sockets(port, host, family=socket.AF_INET)
        self._http.add_sockets(sockets)
        self.host, self.port = host, sockets[0].getsockname()[1]
        LOGGER.debug("Bot API test server on %s (spec %s)", self.url, self.spec.version)
        return self

    async def stop(self) -> None:
        """Answer pending long polls and held requests, close every connection."""
        self._closing = True
        for connection in list(self._connections):
            connection.close()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._http is not None:
            self._http.stop()
            await self._http.close_all_connections()
            self._http = None

    async def __aenter__(self) -> BotApiServer:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For python-telegram-bot's `base_url` (it appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For python-telegram-bot's `base_file_url` (it appends the token)."""
        return f"{self.url}/file/bot"

    def bot(self, **kwargs: Any) -> Bot:
        """A `telegram.Bot` talking to this server."""
        from telegram import Bot

        return Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url, **kwargs)

    def application_builder(self) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
        """An `ApplicationBuilder` with token and URLs set for this server."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    def bot_user(self, *, full: bool = False) -> JSON:
        """The bot's `User` object; `full` adds the fields only getMe returns."""
        data: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }
        if full:
            data.update(
                can_join_groups=self.can_join_groups,
                can_read_all_group_messages=self.can_read_all_group_messages,
                supports_inline_queries=self.supports_inline_queries,
                can_connect_to_business=False,
                has_main_web_app=False,
            )
        return data

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
        return TestUser(self, info, chat)

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
        return TestUser(self, self.users[user_id], self.chats[user_id])

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
            message["reply_to_message"] = _without(replied, "reply_to_message")
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
            "old_chat_member": _chat_member(old, bot),
            "new_chat_member": _chat_member(new, bot),
        }

    # -- files -------------------------------------------------------------------------------

    def store_file(
        self,
        kind: str,
        content: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        duration: int | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> JSON:
        """Keep a file; returns its media object (Document, Voice, PhotoSize, ...)."""
        number = next(self._ids)
        folder, prefix, extension = _FILE_KINDS.get(kind, ("documents", "BQAC", ""))
        if file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1]
        file_id = f"{prefix}{self.bot_id}-{number:06d}"
        unique_id = f"AQAD{number:06d}"
        media: JSON = {"file_id": file_id, "file_unique_id": unique_id, "file_size": len(content)}
        if kind in ("photo", "thumbnail", "video", "animation", "sticker"):
            media.update(width=width or 1280, height=height or 960)
        if kind in ("voice", "audio", "video", "animation", "video_note"):
            media["duration"] = duration or 1
        if kind == "video_note":
            media["length"] = width or 240
        if kind == "sticker":
            media.update(type="regular", is_animated=False, is_video=False)
        if file_name is not None and kind not in ("photo", "voice", "sticker", "video_note"):
            media["file_name"] = file_name
        if mime_type is not None and kind not in ("photo", "sticker", "video_note"):
            media["mime_type"] = mime_type
        stored = StoredFile(
            file_id, unique_id, content, f"{folder}/file_{number}{extension}", kind, media
        )
        self.files[file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return media

    def store_photo(self, content: bytes, width: int = 1280, height: int = 960) -> list[JSON]:
        """A photo as Telegram delivers it: several sizes, smallest first."""
        sizes = []
        for scale in (0.07, 0.25, 1.0):
            w, h = max(1, round(width * scale)), max(1, round(height * scale))
            sizes.append(self.store_file("photo", content, width=w, height=h))
        return sizes

    def file(self, file_id: str) -> StoredFile:
        return self.files[file_id]

    # -- updates -----------------------------------------------------------------------------

    def _allowed(self, kind: str) -> bool:
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in _UPDATE_KINDS_OFF_BY_DEFAULT

    def _enqueue(self, kind: str, payload: JSON, *, visible: bool = True) -> IncomingUpdate:
        if not visible or not self._allowed(kind):
            self.stats.updates_dropped += 1
            self._activity.notify()
            return IncomingUpdate({"update_id": 0, kind: payload}, delivered=False)
        update_id = next(self._update_ids)
        update = {"update_id": update_id, kind: payload}
        if self.keep_calls:
            self._update_log[update_id] = update
        self._updates.append(update)
        self.stats.updates_queued += 1
        self._wake_consumers()
        return IncomingUpdate(update)

    def redeliver(self, update: IncomingUpdate | JSON | int) -> None:
        """Deliver an update once more, with the same update_id, as Telegram sometimes does."""
        if isinstance(update, int):
            if update not in self._update_log:
                raise LookupError(f"there was no update {update}")
            data = self._update_log[update]
        else:
            data = update.update if isinstance(update, IncomingUpdate) else update
        self._redeliveries.append(data)
        self._wake_consumers()

    @property
    def pending_updates(self) -> int:
        return len(self._updates) + len(self._redeliveries)

    @property
    def polling(self) -> bool:
        """Whether a getUpdates long poll is waiting for updates right now."""
        return self._poll is not None

    def _wake_consumers(self) -> None:
        if self._poll is not None:
            self._poll.wake.set()
        self._webhook_wake.set()
        self._activity.notify()

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
            if self._updates:
                self._confirmed_below = self._updates[0]["update_id"]
        elif offset > self._confirmed_below:
            self._confirmed_below = offset
        self._updates = [u for u in self._updates if u["update_id"] >= self._confirmed_below]

    def _take(self, limit: int) -> list[JSON]:
        batch = self._redeliveries[:limit]
        del self._redeliveries[:limit]
        batch.extend(self._updates[: limit - len(batch)])
        return batch

    # -- reading helpers for people ----------------------------------------------------------

    def read_cursor(self, user_id: int, chat_id: int) -> int:
        return self._read_cursors.get((user_id, chat_id), 0)

    def advance_cursor(self, user_id: int, chat_id: int) -> None:
        self._read_cursors[(user_id, chat_id)] = self.read_cursor(user_id, chat_id) + 1

    def seen_versions(self, user_id: int) -> dict[BotMessage, int]:
        return self._seen_versions.setdefault(user_id, {})

    async def wait_until(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Whether `predicate` became true within `timeout` seconds (re-checked on activity)."""
        return await self._activity.wait(predicate, timeout)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait for `predicate`; fail with the bot's recent calls if it does not come true."""
        if not await self._activity.wait(predicate, timeout):
            raise AssertionError(f"Timed out after {timeout}s waiting for {what}.{self._recent()}")

    def _recent(self) -> str:
        lines = [
            f"\n    {call.method} → {call.status}"
            + (f" {call.description}" if call.description else "")
            for call in self.calls[-8:]
            if call.method != "getUpdates"
        ]
        if self.violations:
            lines.append(f"\n  violations: {[str(v) for v in self.violations]}")
        return (
            ("\n  The bot's last calls:" + "".join(lines)) if lines else " The bot made no calls."
        )

    def calls_of(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method == method]

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        """A message the bot sent, as it is now."""
        found = self.chats[chat_id].bot_message(message_id)
        if found is None:
            raise LookupError(f"the bot sent no message {message_id} in chat {chat_id}")
        return found

    def sent_messages(self, chat_id: int | None = None) -> list[BotMessage]:
        """Messages the bot sent, in one chat or everywhere (in send order per chat)."""
        chats = [self.chats[chat_id]] if chat_id is not None else self.chats.values()
        return [message for chat in chats for message in chat.bot_messages]

    def my_commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The commands the bot set for a scope and language (what getMyCommands returns)."""
        return self.commands.get((self._scope_key(scope or {"type": "default"}), language_code), [])

    # -- strictness controls -----------------------------------------------------------------

    def expect_violations(self, *fragments: str) -> None:
        """This test provokes refusals on purpose; with fragments, each must occur in one."""
        self._violations_expected = True
        self._expected_fragments.extend(fragments)

    def check_violations(self) -> None:
        """Fail on unexpected refusals and on this server's own errors (used by the fixture)."""
        if self.internal_errors:
            raise AssertionError("Bot API test server errors:\n" + "\n".join(self.internal_errors))
        if self._violations_expected:
            for fragment in self._expected_fragments:
                if not any(fragment in v.description for v in self.violations):
                    raise AssertionError(
                        f"expected a refusal mentioning {fragment!r}; got: "
                        + "; ".join(v.description for v in self.violations)
                    )
            return
        if self.violations:
            listing = "\n  ".join(str(v) for v in self.violations)
            count = len(self.violations)
            raise AssertionError(
                f"The bot made {count} request(s) Telegram would refuse:\n  {listing}"
            )

    def enforce_rate_limits(
        self,
        overall_per_second: float = 30,
        per_chat_per_second: float = 1,
        per_group_per_minute: float = 20,
        *,
        chat_burst: int = 3,
    ) -> None:
        """Answer 429 with retry_after, as Telegram does, to messages over its flood limits."""
        limits = RateLimits(
            overall_per_second, per_chat_per_second, per_group_per_minute, chat_burst
        )
        self._rate_limiter = _RateLimiter(limits, self.monotonic)

    def disable_rate_limits(self) -> None:
        self._rate_limiter = None

    # -- request processing ------------------------------------------------------------------

    async def handle(
        self,
        token: str,
        method_name: str,
        values: JSON,
        files: dict[str, UploadedFile],
        connection: _Connection,
    ) -> tuple[int, JSON] | None:
        """Answer one Bot API request: (HTTP status, body), or None when the client is gone."""
        call = ApiCall(method_name, values, self.monotonic())
        if self.keep_calls:
            self.calls.append(call)
        if not _TOKEN_SHAPE.fullmatch(token):
            return self.refuse(call, ApiError(404, "Not Found"))
        if token != self.token:
            return self.refuse(call, ApiError(401, "Unauthorized"))
        spec = self.spec.method(method_name)
        if spec is None:
            return self.refuse(call, ApiError(404, "Not Found"))
        method = call.method = spec.name
        self.stats.calls[method] += 1
        try:
            params, attachments = self._validated(spec, values, files)
            call.params = params
            fault = self.faults.pick(method, params)
            if fault is not None:
                result = await self._inject(fault, method, params, attachments, connection)
            else:
                self._check_rate_limits(method, params)
                result = await self._execute(method, params, attachments, connection)
        except ApiError as error:
            return self.refuse(call, error)
        except Exception as error:  # a bug of this server: report it, fail the test
            LOGGER.exception("Bot API test server failed on %s", method)
            self.internal_errors.append(f"{method}: {error!r}")
            return self.refuse(call, ApiError(500, "Internal Server Error"))
        finally:
            self._activity.notify()
        if result is _GONE:
            call.status, call.description = 0, "client gone"
            return None
        body: JSON = {"ok": True}
        if isinstance(result, _Described):
            body["description"] = result.description
            result = result.result
        body["result"] = call.result = result
        self._check_result(spec, result)
        return 200, body

    def refuse(self, call: ApiCall, error: ApiError) -> tuple[int, JSON]:
        """Answer a call with an error, counting it and keeping violations."""
        call.status, call.description = error.status, error.description
        self.stats.errors += 1
        if error.status == 429:
            self.stats.rate_limited += 1
        if error.status == 409:
            self.stats.conflicts += 1
        if error.violation:
            self.stats.violations += 1
            self.violations.append(
                Violation(call.method, call.params, error.description, error.status)
            )
            LOGGER.warning("Refused %s: %s", call.method, error.description)
        return error.status, error.body()

    def _check_result(self, spec: MethodSpec, result: Any) -> None:
        """Our answers must match the specification too; a mismatch is a bug of this server."""
        problem = self.spec.check(result, spec.returns, "result")
        if problem is not None:
            self.internal_errors.append(f"{spec.name} answered off-spec: {problem}")

    def _validated(
        self, spec: MethodSpec, values: JSON, files: dict[str, UploadedFile]
    ) -> tuple[JSON, dict[str, UploadedFile]]:
        params: JSON = {}
        for name, raw in values.items():
            declared = spec.fields.get(name)
            if declared is None and name in TOLERATED_EXTRAS:
                # python-telegram-bot sends its default parse_mode with every call it routes
                # through one internal helper (editMessageReplyMarkup, sendContact, ...), and
                # Telegram ignores it there; so do we, and nothing else.
                continue
            if declared is None:
                raise ApiError(400, f'Bad Request: unexpected parameter "{name}"')
            if raw is None:
                continue
            value = self.spec.decode(raw, declared.types, name)
            problem = self.spec.check(value, declared.types, name)
            if problem is not None:
                raise ApiError(400, f"Bad Request: can't parse {name}: {problem}")
            params[name] = value
        attachments: dict[str, UploadedFile] = {}
        for name, upload in files.items():
            if len(upload.content) > MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large", violation=True)
            declared = spec.fields.get(name)
            if declared is not None and "InputFile" in declared.types:
                params[name] = upload
            else:
                attachments[name] = upload
        for declared in spec.fields.values():
            if declared.required and declared.name not in params:
                raise ApiError(400, _missing(declared.name))
        referenced = set(_attach_references(params))
        if missing := sorted(referenced - set(attachments)):
            raise ApiError(400, f'Bad Request: can\'t find attached file "{missing[0]}"')
        if unused := sorted(set(attachments) - referenced):
            raise ApiError(400, f'Bad Request: unexpected parameter "{unused[0]}"')
        return params, attachments

    async def _inject(
        self,
        fault: Fault,
        method: str,
        params: JSON,
        attachments: dict[str, UploadedFile],
        connection: _Connection,
    ) -> Any:
        self.stats.faults_injected += 1
        client_gone = False
        if fault.delay:
            timeout = None if math.isinf(fault.delay) else fault.delay
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await connection.closed.wait()
            client_gone = connection.closed.is_set()
        result: Any = _GONE
        if (fault.status is None and not client_gone) or fault.takes_effect:
            try:
                result = await self._execute(method, params, attachments, connection)
            except ApiError:
                if fault.status is None:
                    raise
        if client_gone:
            return _GONE
        if fault.status is not None:
            raise fault.error()
        return result

    def _check_rate_limits(self, method: str, params: JSON) -> None:
        if self._rate_limiter is None or not _posts_message(method):
            return
        chat = self._find_chat(params.get("chat_id"))
        retry_after = self._rate_limiter.retry_after(chat)
        if retry_after is not None:
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                retry_after=retry_after,
                violation=False,
            )

    async def _execute(
        self,
        method: str,
        params: JSON,
        attachments: dict[str, UploadedFile],
        connection: _Connection,
    ) -> Any:
        if method == "getUpdates":
            return await self._get_updates(params, connection)
        handler = self._handlers.get(method)
        if handler is not None:
            return await handler(params, attachments)
        returns = self.spec.methods[method].returns
        if returns == ("Boolean",):
            return True
        if returns[0].startswith("Array of "):
            return []
        raise ApiError(
            400, f"Bad Request: {method} is not implemented by the local Bot API test server"
        )

    # -- chats -------------------------------------------------------------------------------

    def _find_chat(self, chat_id: Any) -> TestChat | None:
        if isinstance(chat_id, int):
            return self.chats.get(chat_id)
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            for chat in self.chats.values():
                name = chat.username or (chat.user.username if chat.user else None)
                if name and name.lower() == wanted and chat.type != "private":
                    return chat
        return None

    def _chat(self, chat_id: Any) -> TestChat:
        chat = self._find_chat(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return chat

    def _writable_chat(self, chat_id: Any) -> TestChat:
        """A chat the bot may post into now, or Telegram's 403."""
        chat = self._chat(chat_id)
        if chat.type == "private":
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        elif chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

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
        length = utf16_len(parsed.text)
        if caption:
            if length > MAX_CAPTION:
                raise ApiError(400, "Bad Request: message caption is too long")
        elif length == 0:
            raise ApiError(400, "Bad Request: message text is empty")
        elif length > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
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
        return _without(replied, "reply_to_message")

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

    # -- method table ------------------------------------------------------------------------

    def _method_table(self) -> dict[str, Handler]:
        table: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendContact": self._send_contact,
            "sendLocation": self._send_location,
            "sendVenue": self._send_venue,
            "sendDice": self._send_dice,
            "sendPoll": self._send_poll,
            "sendMediaGroup": self._send_media_group,
            "sendChatAction": self._send_chat_action,
            "forwardMessage": self._forward_message,
            "copyMessage": self._copy_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageMedia": self._edit_message_media,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "answerInlineQuery": self._answer_inline_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
            "leaveChat": self._leave_chat,
            "getFile": self._get_file,
            "getUserProfilePhotos": self._get_user_profile_photos,
            "createChatInviteLink": self._create_chat_invite_link,
            "exportChatInviteLink": self._export_chat_invite_link,
        }
        for method in _MEDIA_METHODS:
            table[method] = functools.partial(self._send_media, method)
        for kind in ("name", "description", "short_description"):
            camel = "".join(part.title() for part in kind.split("_"))
            table[f"setMy{camel}"] = functools.partial(self._set_bot_text, kind)
            table[f"getMy{camel}"] = functools.partial(self._get_bot_text, kind)
        return table

    async def _true(self, params: JSON, attachments: dict[str, UploadedFile]) -> bool:
        return True

    async def _get_me(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        return self.bot_user(full=True)

    # -- getUpdates and webhooks -------------------------------------------------------------

    async def _get_updates(self, params: JSON, connection: _Connection) -> Any:
        if self.webhook.url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
                violation=False,
            )
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"])
        if "offset" in params:
            self._confirm(int(params["offset"]))
        if self._poll is not None:
            # Telegram answers the older request with 409 and serves the newer one.
            self._poll.superseded = (
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running"
            )
            self._poll.wake.set()
        poll = _Poll()
        self._poll = poll
        connection.on_close(poll.wake.set)
        self._activity.notify()
        try:
            deadline = self.monotonic() + timeout
            while True:
                if poll.superseded:
                    raise ApiError(409, poll.superseded, violation=False)
                if connection.closed.is_set():
                    return _GONE
                batch = self._take(limit)
                remaining = deadline - self.monotonic()
                if batch or remaining <= 0:
                    self.stats.updates_delivered += len(batch)
                    return batch
                poll.wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await poll.wake.wait()
        finally:
            if self._poll is poll:
                self._poll = None

    async def _set_webhook(self, params: JSON, attachments: dict[str, UploadedFile]) -> _Described:
        url = params["url"]
        if not url:
            return await self._delete_webhook(params, attachments)
        parsed = httpx.URL(url)
        local = parsed.host in ("127.0.0.1", "localhost", "::1")
        if parsed.scheme != "https" and not local:
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if not local and parsed.port not in (None, 80, 88, 443, 8443):
            raise ApiError(
                400,
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            )
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"])
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self.webhook = WebhookState(url, secret, int(params.get("max_connections", 40)))
        if self._poll is not None:
            self._poll.superseded = "Conflict: terminated by setWebhook request"
            self._poll.wake.set()
        if self._webhook_task is None:
            self._webhook_task = asyncio.create_task(self._deliver_to_webhook())
        self._webhook_wake.set()
        return _Described(True, "Webhook was set")

    async def _delete_webhook(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> _Described:
        was_set = bool(self.webhook.url)
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self.webhook = WebhookState()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def _drop_pending(self) -> None:
        if self._updates:
            self._confirmed_below = self._updates[-1]["update_id"] + 1
        self._updates.clear()
        self._redeliveries.clear()

    async def _get_webhook_info(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        info: JSON = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": self.pending_updates,
        }
        if self.webhook.url:
            info["max_connections"] = self.webhook.max_connections
            if self._allowed_updates:
                info["allowed_updates"] = self._allowed_updates
            if self.webhook.last_error_date is not None:
                info["last_error_date"] = self.webhook.last_error_date
                info["last_error_message"] = self.webhook.last_error_message
        return info

    async def _deliver_to_webhook(self) -> None:
        """POST pending updates to the webhook one by one, in order, retrying failures."""
        failures = 0
        async with httpx.AsyncClient(timeout=10) as client:
            while self.webhook.url and not self._closing:
                if not self._updates and not self._redeliveries:
                    self._webhook_wake.clear()
                    await self._webhook_wake.wait()
                    continue
                redelivery = bool(self._redeliveries)
                update = self._redeliveries[0] if redelivery else self._updates[0]
                headers = {}
                if self.webhook.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook.secret_token
                try:
                    response = await client.post(self.webhook.url, json=update, headers=headers)
                    error = (
                        None
                        if response.is_success
                        else (
                            f"Wrong response from the webhook: {response.status_code} "
                            f"{response.reason_phrase}"
                        )
                    )
                except httpx.HTTPError as exc:
                    error = f"Connection failed: {exc.__class__.__name__}"
                if error is None:
                    failures = 0
                    (self._redeliveries if redelivery else self._updates).remove(update)
                    self.stats.updates_delivered += 1
                    self._activity.notify()
                    continue
                failures += 1
                self.webhook.last_error_date = int(self.clock())
                self.webhook.last_error_message = error
                # Back off like Telegram does, but briefly: this is a test server.
                self._webhook_wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(0.05 * 2**failures, 2.0)):
                        await self._webhook_wake.wait()

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
        kind = _MEDIA_METHODS[method]
        content, raw = self._caption_content(params)
        content[kind] = self._input_file(params[kind], kind, attachments)
        if params.get("has_spoiler"):
            content["has_media_spoiler"] = True
        return self._post(chat, method, content, params, html=raw).json

    async def _send_contact(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        contact = _pick(params, "phone_number", "first_name", "last_name", "vcard")
        return self._post(chat, "sendContact", {"contact": contact}, params, html=None).json

    def _location(self, params: JSON) -> JSON:
        latitude, longitude = float(params["latitude"]), float(params["longitude"])
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ApiError(400, "Bad Request: wrong location specified")
        location = {"latitude": latitude, "longitude": longitude}
        location.update(_pick(params, "horizontal_accuracy", "live_period", "heading"))
        return location

    async def _send_location(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        content = {"location": self._location(params)}
        return self._post(chat, "sendLocation", content, params, html=None).json

    async def _send_venue(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        chat = self._writable_chat(params["chat_id"])
        location = self._location(params)
        venue = {"location": location, **_pick(params, "title", "address", "foursquare_id")}
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
        content = _pick(source, *_MESSAGE_CONTENT)
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
        content = _pick(source, *_MESSAGE_CONTENT)
        html = content.get("text") or content.get("caption")
        if "caption" in params and "text" not in content:
            for key in ("caption", "caption_entities"):
                content.pop(key, None)
            caption, html = self._caption_content(params)
            content.update(caption)
        message = self._post(chat, "copyMessage", content, params, html=html)
        return {"message_id": message.message_id}

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
        old = _without(message.json, "edit_date")
        if _without(data, "edit_date") == old:
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
        drop = ["caption", "caption_entities", *_MEDIA_METHODS.values()]
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
            self.commands[key] = [_pick(c, "command", "description") for c in commands]
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
            return _chat_member(chat.bot_status, self.bot_user())
        info = self.users.get(user_id)
        if info is None:
            raise ApiError(400, "Bad Request: user not found")
        if chat.type == "private":
            status = "member" if user_id == chat.id else "left"
        else:
            status = chat.members.get(user_id, "left")
        return _chat_member(status, info.json())

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
        link.update(_pick(params, "name", "expire_date", "member_limit"))
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

    # -- files -------------------------------------------------------------------------------

    async def _get_file(self, params: JSON, attachments: dict[str, UploadedFile]) -> JSON:
        stored = self.files.get(params["file_id"])
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def _get_user_profile_photos(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> JSON:
        if params["user_id"] not in self.users:
            raise ApiError(400, "Bad Request: user not found")
        return {"total_count": 0, "photos": []}

    def download(self, token: str, path: str) -> tuple[int, bytes | JSON]:
        """Answer GET /file/bot<token>/<path>."""
        if not _TOKEN_SHAPE.fullmatch(token):
            return 404, ApiError(404, "Not Found").body()
        if token != self.token:
            return 401, ApiError(401, "Unauthorized").body()
        stored = self._files_by_path.get(path)
        if stored is None:
            return 404, ApiError(404, "Not Found").body()
        return 200, stored.content


@contextlib.asynccontextmanager
async def run_polling(
    application: Application[Any, Any, Any, Any, Any, Any], *, timeout: int = 5
) -> AsyncIterator[None]:
    """Run a python-telegram-bot Application in polling mode inside the test's event loop,
    as `run_polling` would, and stop it cleanly on exit."""
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=timeout)
        try:
            yield
        finally:
            await application.updater.stop()
            await application.stop()


# ================================================================================================
# Helpers
# ================================================================================================


def _missing(name: str) -> str:
    """Telegram's wording for a missing required parameter, where known."""
    known = {
        "text": "message text is empty",
        "chat_id": "chat_id is empty",
        "message_id": "message identifier is not specified",
        "callback_query_id": "query_id is empty",
        "inline_query_id": "query_id is empty",
        "user_id": "user_id is empty",
        "file_id": "file_id is empty",
    }
    return "Bad Request: " + known.get(name, f'parameter "{name}" is required')


def _attach_references(value: Any) -> Iterator[str]:
    if isinstance(value, str) and value.startswith("attach://"):
        yield value.removeprefix("attach://")
    elif isinstance(value, dict):
        for item in value.values():
            yield from _attach_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _attach_references(item)


def _pick(data: JSON, *keys: str) -> JSON:
    return {key: data[key] for key in keys if data.get(key) is not None}


def _without(data: JSON, *keys: str) -> JSON:
    return {key: value for key, value in data.items() if key not in keys}


_ADMIN_RIGHTS: Final = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories",
)  # fmt: skip


def _chat_member(status: str, user: JSON) -> JSON:
    """A ChatMember object of the given status with every field Telegram requires."""
    member: JSON = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False)
        member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "kicked":
        member["until_date"] = 0
    return member


# ================================================================================================
# HTTP
# ================================================================================================


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log, at debug level only: tests and benchmarks make many requests."""
    if LOGGER.isEnabledFor(logging.DEBUG):
        request = handler.request
        LOGGER.debug("%s %s → %s", request.method, request.path, handler.get_status())


class _BaseHandler(tornado.web.RequestHandler):
    server: BotApiServer

    def initialize(self, server: BotApiServer) -> None:
        self.server = server

    def compute_etag(self) -> None:
        return None

    def send_json(self, status: int, body: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, ensure_ascii=False).encode())

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.send_json(status_code, ApiError(status_code, self._reason).body())


class _ApiHandler(_BaseHandler):
    """POST or GET /bot<token>/<method>."""

    def prepare(self) -> None:
        self.connection = _Connection()
        self.server._connections.add(self.connection)

    def on_connection_close(self) -> None:
        self.connection.close()

    def on_finish(self) -> None:
        self.server._connections.discard(self.connection)

    async def get(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def post(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def _serve(self, token: str, method: str) -> None:
        try:
            values, files = _request_values(self.request)
        except ApiError as error:
            self.server.refuse(ApiCall(method, {}, self.server.monotonic()), error)
            self.send_json(error.status, error.body())
            return
        answer = await self.server.handle(token, method, values, files, self.connection)
        if answer is not None:
            self.send_json(*answer)
        else:
            # Nobody to answer (the client gave up, or the server is stopping): drop the
            # connection rather than let tornado send an empty 200.
            self.server._connections.discard(self.connection)
            self.detach().close()


def _request_values(
    request: tornado.httputil.HTTPServerRequest,
) -> tuple[JSON, dict[str, UploadedFile]]:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    values: JSON = {k: v[-1].decode("utf-8", "replace") for k, v in request.query_arguments.items()}
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: the JSON request body must be an object")
        values.update(body)
    else:
        values.update(
            {k: v[-1].decode("utf-8", "replace") for k, v in request.body_arguments.items()}
        )
    files = {
        name: UploadedFile(parts[-1].filename, parts[-1].body, parts[-1].content_type)
        for name, parts in request.files.items()
    }
    return values, files


class _FileHandler(_BaseHandler):
    """GET /file/bot<token>/<file_path>."""

    def get(self, token: str, path: str) -> None:
        status, body = self.server.download(token, path)
        if isinstance(body, bytes):
            self.set_header("Content-Type", "application/octet-stream")
            self.finish(body)
        else:
            self.send_json(status, body)


class _NotFoundHandler(_BaseHandler):
    def get(self) -> None:
        self.send_json(404, ApiError(404, "Not Found").body())

    post = get


class _ControlHandler(_BaseHandler):
    """The control API, for a benchmark driving the server from another process."""

    async def get(self, action: str) -> None:
        await self.post(action)

    async def post(self, action: str) -> None:
        try:
            body = json.loads(self.request.body or b"{}")
            for key, values in self.request.query_arguments.items():
                body.setdefault(key, values[-1].decode())
            result = await ControlApi(self.server).run(action, body)
        except (LookupError, ValueError, TypeError) as error:
            self.send_json(400, {"ok": False, "error": f"{error.__class__.__name__}: {error}"})
            return
        self.send_json(200, {"ok": True, "result": result})


class ControlApi:
    """JSON actions under /_control/<action> (POST a JSON object, or GET for reads):

    user {id, first_name?, username?, language_code?, started?}  → {id}
    group {title, supergroup?, members?: [ids], admins?: [ids]}  → {id}
    send {user_id, text, chat_id?}               → {update_id, message_id, delivered}
    press {user_id, button, chat_id?}            → {update_id} (does not wait for the answer)
    wait {chat_id, count, timeout?}              → {count}, once the bot sent that many there
    messages {chat_id}                           → [{message_id, text, buttons, ...}]
    stats, violations, reset_stats
    fault {method?, status?, retry_after?, chat_id?, times?, fraction?, delay?}; clear_faults
    rate_limits {overall_per_second?, per_chat_per_second?, per_group_per_minute?, chat_burst?}
    no_rate_limits
    """

    def __init__(self, server: BotApiServer) -> None:
        self.server = server

    async def run(self, action: str, body: JSON) -> Any:
        handler = getattr(self, f"_{action}", None)
        if handler is None:
            raise LookupError(f"unknown control action {action!r}")
        return await handler(body)

    def _person(self, body: JSON) -> TestUser:
        user_id = int(body["user_id"])
        if user_id not in self.server.users:
            self.server.user(user_id)
        person = self.server.person(user_id)
        if body.get("chat_id") is not None:
            person = person.in_chat(self.server.chats[int(body["chat_id"])])
        return person

    async def _user(self, body: JSON) -> JSON:
        keys = ("id", "first_name", "last_name", "username", "language_code", "started")
        person = self.server.user(**{k: body[k] for k in keys if k in body})
        return {"id": person.id}

    async def _group(self, body: JSON) -> JSON:
        members = [self.server.person(int(i)) for i in body.get("members", [])]
        admins = [self.server.person(int(i)) for i in body.get("admins", [])]
        chat = self.server.group(
            body["title"],
            supergroup=body.get("supergroup", True),
            members=members,
            admins=admins,
        )
        return {"id": chat.id}

    async def _send(self, body: JSON) -> JSON:
        incoming = await self._person(body).send(str(body["text"]))
        return {
            "update_id": incoming.update_id,
            "message_id": incoming.message_id,
            "delivered": incoming.delivered,
        }

    async def _press(self, body: JSON) -> JSON:
        person = self._person(body)
        message, data = person.find_button(str(body["button"]))
        incoming = self.server.user_callback_query(person.info, person.chat, message, data)
        return {"update_id": incoming.update_id}

    async def _wait(self, body: JSON) -> JSON:
        chat = self.server.chats[int(body["chat_id"])]
        count = int(body["count"])
        await self.server.wait_until(
            lambda: len(chat.bot_messages) >= count, float(body.get("timeout", 10))
        )
        return {"count": len(chat.bot_messages)}

    async def _messages(self, body: JSON) -> list[JSON]:
        return [
            {
                "message_id": m.message_id,
                "method": m.method,
                "text": m.text,
                "caption": m.caption,
                "html": m.html,
                "buttons": m.buttons,
                "edits": m.version,
                "deleted": m.deleted,
            }
            for m in self.server.sent_messages(int(body["chat_id"]))
        ]

    async def _stats(self, body: JSON) -> JSON:
        return {**self.server.stats.as_dict(), "pending_updates": self.server.pending_updates}

    async def _violations(self, body: JSON) -> list[JSON]:
        return [asdict(v) for v in self.server.violations]

    async def _reset_stats(self, body: JSON) -> bool:
        self.server.stats = Stats()
        self.server.calls.clear()
        return True

    async def _fault(self, body: JSON) -> bool:
        self.server.faults.add(**body)
        return True

    async def _clear_faults(self, body: JSON) -> bool:
        self.server.faults.clear()
        return True

    async def _rate_limits(self, body: JSON) -> bool:
        self.server.enforce_rate_limits(**body)
        return True

    async def _no_rate_limits(self, body: JSON) -> bool:
        self.server.disable_rate_limits()
        return True


# ================================================================================================
# Command line
# ================================================================================================


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.e2e.botapi_server",
        description="Serve the local Bot API test server until SIGTERM; prints the port first.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--username", default=DEFAULT_BOT_USERNAME)
    parser.add_argument(
        "--rate-limits", action="store_true", help="enforce Telegram's flood limits (429)"
    )
    parser.add_argument(
        "--no-call-log", action="store_true", help="keep counters only (long benchmarks)"
    )
    arguments = parser.parse_args(argv)
    asyncio.run(_serve(arguments))


async def _serve(arguments: argparse.Namespace) -> None:
    server = BotApiServer(
        token=arguments.token,
        bot_username=arguments.username,
        keep_calls=not arguments.no_call_log,
    )
    if arguments.rate_limits:
        server.enforce_rate_limits()
    await server.start(arguments.port, arguments.host)
    print(server.port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    await stop.wait()
    await server.stop()
    print(json.dumps(server.stats.as_dict()), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
