"""The HTTP client of the Bot API calls: python-telegram-bot's request interface over aiohttp.

python-telegram-bot talks HTTP through `telegram.request.BaseRequest`, its documented
extension point, and ships one implementation on httpx. aiohttp does the same work with a
parser written in C and fewer layers between a call and its socket: for a bot whose every
update costs a getUpdates answer parsed and a sendMessage posted, the HTTP client was the
largest share of its CPU (benchmarks/README.md, "Partnerbot against the echo bot").
`HTTP_CLIENT=httpx` (bot/config.py) goes back to python-telegram-bot's own.
"""

from __future__ import annotations

from typing import Any, TypeVar

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.ext import ApplicationBuilder
from telegram.request import BaseRequest, RequestData

#: python-telegram-bot's defaults for its own client (seconds).
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
#: Uploads (a report, a vCard file) may take longer to write than a text.
MEDIA_WRITE_TIMEOUT = 20.0
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp session with a pool of `connection_pool_size`.

    Timeouts as python-telegram-bot's: `connect_timeout` to open a connection, `pool_timeout`
    to wait for a free one in the pool (together aiohttp's `connect`), `read_timeout` between
    two reads of the answer. aiohttp has no write timeout of its own: a request that cannot be
    written is bounded by the read timeout of its answer plus, for uploads, the media write
    timeout (aiohttp's `total`).
    """

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        connect_timeout: float | None = CONNECT_TIMEOUT,
        read_timeout: float | None = READ_TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
        media_write_timeout: float | None = MEDIA_WRITE_TIMEOUT,
    ) -> None:
        self._pool_size = connection_pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call does not set its own."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (once; again after `shutdown`)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # Answers are read whole and parsed by python-telegram-bot: no cookies, no
                # automatic decompression beyond what the server sends.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; returns the status code and the body of the answer."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = (
            self._connect_timeout
            if connect_timeout is BaseRequest.DEFAULT_NONE
            else connect_timeout
        )
        pool = self._pool_timeout if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        files = request_data.multipart_data if request_data is not None else None
        if files:
            write = (
                self._media_write_timeout
                if write_timeout is BaseRequest.DEFAULT_NONE
                else write_timeout
            )
            body: Any = _multipart(request_data, files)  # type: ignore[arg-type]
            headers = None
        else:
            write = None
            body = request_data.url_encoded_parameters().encode() if request_data else None
            headers = FORM if body else None
        timeout = aiohttp.ClientTimeout(
            total=None if write is None or read is None else write + read,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut from error
        except (aiohttp.ClientError, OSError) as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error


def _multipart(request_data: RequestData, files: dict[str, Any]) -> aiohttp.FormData:
    """The parameters and files of an upload as one multipart form."""
    # Unquoted, as python-telegram-bot's own client sends them: Telegram shows a quoted name
    # ("COP%20S%C3%A9n%C3%A9gal.pdf") as it is.
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


Builder = TypeVar("Builder", bound=ApplicationBuilder[Any, Any, Any, Any, Any, Any])


def over_aiohttp(builder: Builder) -> Builder:
    """`builder` with this client for the bot's calls and for its long polls, in pools of
    python-telegram-bot's own sizes: many calls at once, one long poll."""
    return builder.request(AiohttpRequest(connection_pool_size=256)).get_updates_request(
        AiohttpRequest(connection_pool_size=1)
    )
