"""Updates: the queue of what people did, served by getUpdates long polling or POSTed to a
webhook, confirmed by offset, and redelivered on request as Telegram sometimes does."""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any, Final

import httpx

from tests.e2e.botapi_server.records import (
    GONE,
    JSON,
    ApiError,
    Described,
    UploadedFile,
    WebhookState,
)
from tests.e2e.botapi_server.state import ServerState
from tests.e2e.botapi_server.waiting import Connection, Poll
from tests.e2e.users import IncomingUpdate

_UPDATE_KINDS_OFF_BY_DEFAULT: Final = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)


class UpdatesMixin(ServerState):
    """Queues updates and serves them by long polling or to a webhook."""

    # -- the queue ---------------------------------------------------------------------------

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

    # -- getUpdates and webhooks -------------------------------------------------------------

    async def _get_updates(self, params: JSON, connection: Connection) -> Any:
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
        poll = Poll()
        self._poll = poll
        connection.on_close(poll.wake.set)
        self._activity.notify()
        try:
            deadline = self.monotonic() + timeout
            while True:
                if poll.superseded:
                    raise ApiError(409, poll.superseded, violation=False)
                if connection.closed.is_set():
                    return GONE
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

    async def _set_webhook(self, params: JSON, attachments: dict[str, UploadedFile]) -> Described:
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
        return Described(True, "Webhook was set")

    async def _delete_webhook(
        self, params: JSON, attachments: dict[str, UploadedFile]
    ) -> Described:
        was_set = bool(self.webhook.url)
        if params.get("drop_pending_updates"):
            self._drop_pending()
        self.webhook = WebhookState()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

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
