"""What Partnerbot's start costs, layer by layer: the time and memory of each import.

Each round is a new process that imports, in the order `python -m bot run` needs them,
python-telegram-bot, pydantic and pydantic-settings (the settings), aiohttp (Partnerbot's
HTTP client), then Partnerbot's own modules, and finally builds the application once; it
reports the seconds and the growth of its resident memory (VmRSS) at each layer, and how many
dataclasses Partnerbot's modules made and the time that took (`dataclasses` writes and
compiles each class's methods when the class is made). The median and the range over the
rounds are printed.

    python -m benchmarks.imports [--rounds 9]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.common import ROOT, importable, machine, spread, table

#: The layers, in the order they are measured; each includes nothing of the ones before it.
LAYERS = (
    ("python-telegram-bot", "import telegram.ext"),
    ("pydantic and pydantic-settings", "import pydantic_settings"),
    ("aiohttp", "import aiohttp"),
    ("Partnerbot's modules", "import bot.cli, bot.app"),
    ("the application built", "build()"),
)

#: The measuring process: one JSON object of per-layer seconds and MiB, dataclass figures.
PROBE = """
import dataclasses, json, os, sys, time

def rss():
    with open("/proc/self/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) / 1024

made = [0, 0.0]
process_class = dataclasses._process_class

def timed(*args, **kwargs):
    began = time.perf_counter()
    try:
        return process_class(*args, **kwargs)
    finally:
        made[0] += 1
        made[1] += time.perf_counter() - began

def build():
    from bot.app import build_application
    from bot.config import Settings
    build_application(Settings(_env_file=None))

layers = json.loads(sys.argv[1])
result = {"layers": []}
for name, statement in layers:
    if name == "Partnerbot's modules":
        dataclasses._process_class = timed
    before, began = rss(), time.perf_counter()
    exec(statement)
    result["layers"].append((name, time.perf_counter() - began, rss() - before))
    dataclasses._process_class = process_class
result["dataclasses"] = made
print(json.dumps(result))
"""


@dataclass(frozen=True, slots=True)
class Probe:
    """One new process's measures."""

    #: (layer, seconds, MiB of resident memory it added), in the order of LAYERS.
    layers: list[tuple[str, float, float]]
    #: How many dataclasses Partnerbot's modules made, and the seconds that took.
    dataclasses: int
    dataclass_seconds: float


def probe() -> Probe:
    """The layers measured in a new process."""
    env = importable(
        {
            **os.environ,
            "BOT_TOKEN": "1:layers",
            "DATABASE_PATH": os.devnull,
            "HTTP_CLIENT": "aiohttp",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(LAYERS)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    made, seconds = result["dataclasses"]
    return Probe([tuple(layer) for layer in result["layers"]], made, seconds)


def report(results: Sequence[Probe]) -> str:
    """Per layer the median and range of its seconds and MiB; the dataclasses' share."""
    rows = []
    for index, (name, _statement) in enumerate(LAYERS):
        seconds = [r.layers[index][1] * 1000 for r in results]
        mib = [r.layers[index][2] for r in results]
        rows.append((name, spread(seconds, digits=0), spread(mib, digits=1)))
    counts = {r.dataclasses for r in results}
    dataclass_ms = [r.dataclass_seconds * 1000 for r in results]
    return "\n".join(
        [
            f"{len(results)} new processes, median (range):",
            "",
            table(("layer", "ms", "MiB"), rows),
            "",
            f"Partnerbot's modules made {', '.join(map(str, sorted(counts)))} dataclasses,"
            f" in {spread(dataclass_ms, digits=0)} ms of the import.",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.imports", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=9, help="processes (default 9)")
    arguments = parser.parse_args(argv)
    print(f"## A start, layer by layer\n\n{machine().line()}\n", flush=True)
    print(report([probe() for _ in range(arguments.rounds)]))


if __name__ == "__main__":
    main()
