"""Fixtures of the end-to-end tests: a local Bot API server per test.

`botapi` fails the test at teardown if the bot made any request Telegram would refuse, unless
the test says it provokes refusals on purpose: `botapi.expect_violations("fragment", ...)` or the
`botapi_violations` marker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.botapi_server import BotApiServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "botapi_violations: the test provokes Bot API refusals on purpose"
    )


@pytest.fixture
async def botapi(request: pytest.FixtureRequest) -> AsyncIterator[BotApiServer]:
    """A started local Bot API server; stopped, and checked for refusals, at teardown."""
    server = BotApiServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    if request.node.get_closest_marker("botapi_violations") is not None:
        server.expect_violations()
    server.check_violations()
