"""What the benchmarks share: the machine's description, bot processes, seeding, tables.

The end-to-end benchmarks talk to the local Bot API server of the end-to-end tests
(`tests/e2e/botapi_server/`), running in the benchmark's own event loop on 127.0.0.1; the
bots under test are separate processes, as in production.
"""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from bot.app import make_services
from domain.models import PartnershipKind, Role
from storage.db import Database
from tests.e2e.botapi_server import BotApiServer

ROOT = Path(__file__).resolve().parents[1]
#: The coordinator of the seeded partnership, and the first of its members' Telegram ids.
COORDINATOR_ID = 10
FIRST_MEMBER = 100_000


@dataclass(frozen=True, slots=True)
class Machine:
    """Where a benchmark ran, for the record."""

    cpus: int
    cpu_model: str
    ram_gb: float
    python: str
    date: str

    def line(self) -> str:
        return (
            f"{self.cpus} CPUs ({self.cpu_model}), {self.ram_gb:.0f} GB RAM,"
            f" Python {self.python}, {self.date}"
        )


def machine() -> Machine:
    """CPU count and model, RAM and the date, read from /proc where available."""
    model, ram_kb = platform.processor() or "unknown CPU", 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_kb = int(line.split()[1])
                break
    except OSError:
        pass
    # What `nproc` prints: the CPUs this process may run on.
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return Machine(
        cpus=len(usable) if usable is not None else os.cpu_count() or 0,
        cpu_model=model,
        ram_gb=ram_kb / 1024 / 1024,
        python=platform.python_version(),
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which `fraction` of the values fall (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(round(fraction * (len(ordered) - 1)), len(ordered) - 1)]


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> str:
    """Median and range of `values` (each times `scale`): `median (min–max)`."""
    low, mid, high = (v * scale for v in (min(values), statistics.median(values), max(values)))
    return f"{mid:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; numbers are right-aligned."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    numeric = [
        all(_looks_numeric(row[i]) for row in cells) if cells else False
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return (
            "| "
            + " | ".join(
                v.rjust(w) if n else v.ljust(w)
                for v, w, n in zip(values, widths, numeric, strict=True)
            )
            + " |"
        )

    rule = (
        "|"
        + "|".join(
            "-" * (w + 1) + (":" if n else "-") for w, n in zip(widths, numeric, strict=True)
        )
        + "|"
    )
    return "\n".join([line(headers), rule, *(line(row) for row in cells)])


def _looks_numeric(text: str) -> bool:
    """Whether a cell holds a number, a ratio (1.5×) or a share (20%)."""
    return text.replace(".", "", 1).replace("-", "", 1).replace("×", "").replace("%", "").isdigit()


async def seed_partnership(database: Path, members: int) -> None:
    """A partnership with one coordinator and `members` members, made through the services."""
    db = Database(database)
    await db.open()
    try:
        services = make_services(db)
        partnership = await services.partnerships.create(
            name="Benchmark network",
            kind=PartnershipKind.NETWORK,
            countries=("Niger", "Senegal"),
            timezone="UTC",
            language="en",
        )
        await services.partnerships.add_member(
            partnership, user_id=COORDINATOR_ID, name="Coordinator", role=Role.COORDINATOR
        )
        for number in range(members):
            await services.partnerships.add_member(
                partnership,
                user_id=FIRST_MEMBER + number,
                name=f"Member {number:04}",
                role=Role.MEMBER,
            )
    finally:
        await db.close()


def base_environment() -> dict[str, str]:
    """This process's environment without any Partnerbot setting, so none leaks in."""
    prefixes = (
        *("BOT_", "WEBHOOK_", "MODE", "DATABASE_", "RATE_LIMITER", "POLL_", "OUTBOX_"),
        *("THROTTLE", "HTTP_CLIENT"),
    )
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def partnerbot_command(
    server: BotApiServer, database: Path, *, rate_limiter: bool, concurrency: int = 16
) -> tuple[list[str], dict[str, str]]:
    """`python -m bot run` against the local server, every setting that matters spelled out."""
    env = base_environment()
    env.update(
        BOT_TOKEN=server.token,
        BOT_API_BASE_URL=server.base_url,
        BOT_API_BASE_FILE_URL=server.base_file_url,
        DATABASE_PATH=str(database),
        MODE="polling",
        RATE_LIMITER=str(rate_limiter).lower(),
        OUTBOX_CONCURRENCY=str(concurrency),
        POLL_TIMEOUT="1",
        LOG_LEVEL="WARNING",
        DEFAULT_LANGUAGE="en",
        DEFAULT_TIMEZONE="UTC",
        # Simulated members search back to back, far beyond what a person's limits allow.
        THROTTLE="false",
    )
    return [sys.executable, "-m", "bot", "run"], env


def echo_command(server: BotApiServer, *, rate_limiter: bool) -> tuple[list[str], dict[str, str]]:
    """The bare echo bot against the local server."""
    env = base_environment()
    env.update(
        BOT_TOKEN=server.token,
        BOT_API_BASE_URL=server.base_url,
        RATE_LIMITER=str(rate_limiter).lower(),
        POLL_TIMEOUT="1",
    )
    return [sys.executable, "-m", "benchmarks.echo_bot"], env


def importable(env: dict[str, str]) -> dict[str, str]:
    """`env` with this repository on PYTHONPATH: the processes run in a scratch folder (where
    no developer's `.env` is read), and must still import `benchmarks.*`."""
    paths = [str(ROOT), env.get("PYTHONPATH", "")]
    return {**env, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a running process used so far, from /proc; NaN elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    # utime and stime are fields 14 and 15 of proc(5); pid and comm precede the split.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """The resident memory of a running process (VmRSS in /proc), or another of its sizes
    there (VmHWM: the peak), in MiB; NaN elsewhere."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children_rss_mib(pid: int) -> float:
    """The resident memory of a process's children (Partnerbot's document process), in MiB."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    sizes = [rss_mib(int(child)) for child in children]
    return sum(size for size in sizes if size == size)  # a child gone meanwhile is NaN


class BotProcess:
    """A bot under test in its own process; stderr goes to a file, read if it fails."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.command = command
        self.env = importable(env)
        self.cwd = cwd
        self.process: asyncio.subprocess.Process | None = None
        # Kept open as long as the process runs; closed on exit from `async with`.
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115

    async def start(self, server: BotApiServer, *, within: float = 30) -> None:
        """Start it and return once it long-polls the server."""
        self.process = process = await asyncio.create_subprocess_exec(
            *self.command,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        # Whichever comes first: its first long poll, or its exit (a wrong setting, a crash).
        polling = asyncio.ensure_future(server.wait_until(lambda: server.polling, within))
        exited = asyncio.ensure_future(process.wait())
        done, _ = await asyncio.wait((polling, exited), return_when=asyncio.FIRST_COMPLETED)
        started = polling in done and polling.result() and exited not in done
        for waiter in (polling, exited):
            waiter.cancel()
        await asyncio.gather(polling, exited, return_exceptions=True)
        if not started:
            await self.stop()
            raise RuntimeError(f"{self.name} did not start polling:\n{self.errors()}")

    async def stop(self) -> None:
        """SIGTERM, as a service manager stops it; SIGKILL if it takes over 20 seconds."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()

    def cpu_seconds(self) -> float:
        """CPU time the process used so far."""
        return cpu_seconds(self.process.pid) if self.process is not None else float("nan")

    def errors(self, last: int = 3000) -> str:
        """The end of what it printed on stderr."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-last:]

    async def __aenter__(self) -> BotProcess:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
        self._log.close()
