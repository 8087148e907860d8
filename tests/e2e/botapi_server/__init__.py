"""A strict local Telegram Bot API server, for end-to-end tests and benchmarks.

It speaks HTTP on 127.0.0.1 the way api.telegram.org does, so the real python-telegram-bot
request stack (httpx, JSON or form/multipart bodies) talks to it unchanged:

    POST /bot<TOKEN>/<method>          → {"ok": true, "result": ...} or a Telegram-shaped error
    GET  /file/bot<TOKEN>/<file_path>  → the bytes of a file the bot or a person uploaded

It is stricter than Telegram where that catches bugs early: every request is checked against the
Bot API specification in `../spec/api.min.json` (unknown methods and parameters, missing required
ones, nested object shapes), against Telegram's limits (text and caption length in UTF-16 code
units, callback data size, answer lengths) and against its HTML / MarkdownV2 parsers. Every refusal
is kept in `server.violations`; the `botapi` fixture fails the test that caused one.

People are simulated with `server.user(...)` (see `tests/e2e/users.py`); faults (429, 5xx, 403,
time-outs) are injected with `server.faults.add(...)`; Telegram's flood limits can be enforced with
`server.enforce_rate_limits()`; `server.stats` counts what happened, for benchmarks.

Run on its own for benchmarks: `python -m tests.e2e.botapi_server --port 0` prints the bound port
on the first line of stdout and serves until SIGTERM. A small JSON control API under `/_control/`
lets another process act as people and read the results (see `ControlApi`).

Where things are:

- `server.py`: `BotApiServer`, its lifecycle, the processing of a request, the method table;
- `state.py`: what the server knows, shared by the parts below (each a mixin);
- `people.py`: users, groups, and what people do, queued as updates;
- `updates.py`: getUpdates long polling, webhooks, confirmation and redelivery;
- `files.py`: uploads, getFile and downloads;
- `messages.py`: the send methods, text and keyboards checked as Telegram does;
- `edits.py`: edits, deletions, answers to button presses and inline queries;
- `chats.py`: commands, menu button, bot texts, chats and their members;
- `validation.py`: requests checked against the specification;
- `faults.py`: injected failures; `limits.py`: Telegram's flood limits;
- `records.py`: errors, calls, files and counters; `waiting.py`: waiting without sleeping;
- `http.py`: the tornado handlers and the control API; `__main__.py`: the command line.

Telegram's formatting (HTML, MarkdownV2, Markdown) is in `tests/telegram_format.py`, shared
with the in-process driver of the unit tests.
"""

from tests.e2e.botapi_server.faults import Fault, Faults
from tests.e2e.botapi_server.http import ControlApi
from tests.e2e.botapi_server.limits import RateLimits
from tests.e2e.botapi_server.messages import parse_formatted
from tests.e2e.botapi_server.records import (
    DEFAULT_BOT_USERNAME,
    DEFAULT_TOKEN,
    JSON,
    MAX_CALLBACK_ANSWER,
    MAX_CALLBACK_DATA,
    MAX_DOWNLOAD,
    MAX_UPLOAD,
    ApiCall,
    ApiError,
    Stats,
    StoredFile,
    UploadedFile,
    Violation,
    WebhookState,
)
from tests.e2e.botapi_server.server import BotApiServer, run_polling
from tests.e2e.botapi_server.validation import SPEC_PATH, ApiSpec
from tests.telegram_format import (
    MAX_CAPTION,
    MAX_TEXT,
    EntityParseError,
    FormattedText,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
)

__all__ = [
    "DEFAULT_BOT_USERNAME",
    "DEFAULT_TOKEN",
    "JSON",
    "MAX_CALLBACK_ANSWER",
    "MAX_CALLBACK_DATA",
    "MAX_CAPTION",
    "MAX_DOWNLOAD",
    "MAX_TEXT",
    "MAX_UPLOAD",
    "SPEC_PATH",
    "ApiCall",
    "ApiError",
    "ApiSpec",
    "BotApiServer",
    "ControlApi",
    "EntityParseError",
    "Fault",
    "Faults",
    "FormattedText",
    "RateLimits",
    "Stats",
    "StoredFile",
    "UploadedFile",
    "Violation",
    "WebhookState",
    "parse_formatted",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "run_polling",
]
