"""HTTP: the tornado handlers of the Bot API (/bot<token>/<method>), of downloads
(/file/bot<token>/<path>) and of the control API another process uses (/_control/<action>)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import tornado.httputil
import tornado.web

from tests.e2e.botapi_server.records import JSON, ApiCall, ApiError, Stats, UploadedFile
from tests.e2e.botapi_server.waiting import Connection
from tests.e2e.users import TestUser

if TYPE_CHECKING:
    from tests.e2e.botapi_server.server import BotApiServer

LOGGER = logging.getLogger(__name__)


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log, at debug level only: tests and benchmarks make many requests."""
    if LOGGER.isEnabledFor(logging.DEBUG):
        request = handler.request
        LOGGER.debug("%s %s → %s", request.method, request.path, handler.get_status())


class BaseHandler(tornado.web.RequestHandler):
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


class ApiHandler(BaseHandler):
    """POST or GET /bot<token>/<method>."""

    def prepare(self) -> None:
        self.connection = Connection()
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


class FileHandler(BaseHandler):
    """GET /file/bot<token>/<file_path>."""

    def get(self, token: str, path: str) -> None:
        status, body = self.server.download(token, path)
        if isinstance(body, bytes):
            self.set_header("Content-Type", "application/octet-stream")
            self.finish(body)
        else:
            self.send_json(status, body)


class NotFoundHandler(BaseHandler):
    def get(self) -> None:
        self.send_json(404, ApiError(404, "Not Found").body())

    post = get


class ControlHandler(BaseHandler):
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
