"""What the server deals in: its constants, Telegram-shaped errors, the calls it records,
the files it keeps, its counters, and small builders of Telegram objects."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Final

JSON = dict[str, Any]

DEFAULT_TOKEN: Final = "7000000001:AAHpartnerbot-local-test-token-0123"
DEFAULT_BOT_USERNAME: Final = "partnerbot_test_bot"

#: Telegram's token shape; anything else is answered 404 like api.telegram.org does.
TOKEN_SHAPE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{30,}")

MAX_CALLBACK_DATA: Final = 64
MAX_CALLBACK_ANSWER: Final = 200
MAX_UPLOAD: Final = 50 * 1024 * 1024
MAX_DOWNLOAD: Final = 20 * 1024 * 1024


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
            data["parameters"] = {"retry_after": json_number(self.retry_after)}
        return data


def json_number(value: float) -> int | float:
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


@dataclass
class WebhookState:
    """The webhook set with setWebhook, and its last delivery error."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


GONE: Final = object()  # the client went away: answer nothing


@dataclass(frozen=True, slots=True)
class Described:
    """A result with the "description" Telegram adds to some answers ("Webhook was set")."""

    result: Any
    description: str


def pick(data: JSON, *keys: str) -> JSON:
    return {key: data[key] for key in keys if data.get(key) is not None}


def without(data: JSON, *keys: str) -> JSON:
    return {key: value for key, value in data.items() if key not in keys}


_ADMIN_RIGHTS: Final = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories",
)  # fmt: skip


def chat_member(status: str, user: JSON) -> JSON:
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
