"""The server: its lifecycle, what tests read of it, and the processing of each request
(validation, faults, rate limits, the method table); the parts are mixins of `ServerState`."""

# The waiting helpers take `timeout=` on purpose, like the people's methods in users.py.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import tornado.httpserver
import tornado.netutil
import tornado.web

from tests.e2e.botapi_server.chats import ChatsMixin
from tests.e2e.botapi_server.edits import EditsMixin
from tests.e2e.botapi_server.faults import inject
from tests.e2e.botapi_server.http import (
    ApiHandler,
    ControlHandler,
    FileHandler,
    NotFoundHandler,
    log_request,
)
from tests.e2e.botapi_server.limits import RateLimiter, RateLimits, posts_message
from tests.e2e.botapi_server.messages import MEDIA_METHODS
from tests.e2e.botapi_server.people import PeopleMixin
from tests.e2e.botapi_server.records import (
    GONE,
    JSON,
    MAX_UPLOAD,
    TOKEN_SHAPE,
    ApiCall,
    ApiError,
    Described,
    UploadedFile,
    Violation,
)
from tests.e2e.botapi_server.validation import MethodSpec
from tests.e2e.botapi_server.waiting import Connection
from tests.e2e.users import BotMessage

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.ext import Application, ApplicationBuilder

LOGGER = logging.getLogger(__name__)

Handler = Callable[[JSON, dict[str, UploadedFile]], Awaitable[Any]]


class BotApiServer(PeopleMixin, EditsMixin, ChatsMixin):
    """A local Bot API server with Telegram's state and rules; see the module docstring.

    token, bot_username, bot_first_name, can_join_groups, supports_inline_queries: the bot, as
        getMe describes it.
    can_read_all_group_messages: False is Telegram's privacy mode (the default for bots): in
        groups where the bot is no admin it only gets commands, mentions and replies to it.
    keep_calls: keep every request in `calls` and every update for `redeliver(update_id)`;
        False keeps only the counters, for long benchmarks.
    seed: makes fault fractions and dice reproducible.
    """

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> BotApiServer:
        """Listen on host:port (0: any free port, see `.port`)."""
        application = tornado.web.Application(
            [
                (r"/bot([^/]*)/([^/]*)", ApiHandler, {"server": self}),
                (r"/file/bot([^/]*)/(.+)", FileHandler, {"server": self}),
                (r"/_control/([a-z_]+)", ControlHandler, {"server": self}),
                (r"/.*", NotFoundHandler, {"server": self}),
            ],
            log_function=log_request,
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
        self._rate_limiter = RateLimiter(limits, self.monotonic)

    def disable_rate_limits(self) -> None:
        self._rate_limiter = None

    # -- request processing ------------------------------------------------------------------

    async def handle(
        self,
        token: str,
        method_name: str,
        values: JSON,
        files: dict[str, UploadedFile],
        connection: Connection,
    ) -> tuple[int, JSON] | None:
        """Answer one Bot API request: (HTTP status, body), or None when the client is gone."""
        call = ApiCall(method_name, values, self.monotonic())
        if self.keep_calls:
            self.calls.append(call)
        if not TOKEN_SHAPE.fullmatch(token):
            return self.refuse(call, ApiError(404, "Not Found"))
        if token != self.token:
            return self.refuse(call, ApiError(401, "Unauthorized"))
        spec = self.spec.method(method_name)
        if spec is None:
            return self.refuse(call, ApiError(404, "Not Found"))
        method = call.method = spec.name
        self.stats.calls[method] += 1
        try:
            params, attachments = self.spec.request(spec, values, files)
            call.params = params
            fault = self.faults.pick(method, params)
            if fault is not None:
                self.stats.faults_injected += 1
                execute = functools.partial(self._execute, method, params, attachments, connection)
                result = await inject(fault, execute, connection)
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
        if result is GONE:
            call.status, call.description = 0, "client gone"
            return None
        body: JSON = {"ok": True}
        if isinstance(result, Described):
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

    def _check_rate_limits(self, method: str, params: JSON) -> None:
        if self._rate_limiter is not None and posts_message(method):
            self._rate_limiter.check(self._find_chat(params.get("chat_id")))

    async def _execute(
        self,
        method: str,
        params: JSON,
        attachments: dict[str, UploadedFile],
        connection: Connection,
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

    # -- method table ------------------------------------------------------------------------

    @functools.cached_property
    def _handlers(self) -> dict[str, Handler]:
        """The methods this server carries out, by name."""
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
        for method in MEDIA_METHODS:
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
