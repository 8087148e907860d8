"""Every benchmark, one after the other, each in its own process (`make bench`).

    python -m benchmarks.run_all            # the full sizes, about 30 minutes on 2 CPUs
                                            # (the soak alone is 10) and the reports'
                                            # (benchmarks/README.md)
    python -m benchmarks.run_all --quick    # the smoke sizes, about 6 minutes
    python -m benchmarks.run_all roundtrip  # only the benchmarks named

Each prints its own tables (Markdown); a benchmark that fails is reported and the others
still run, and the exit status says whether all of them succeeded.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.common import ROOT, machine


@dataclass(frozen=True, slots=True)
class Benchmark:
    """A benchmark module and its arguments for a full and for a smoke run."""

    module: str
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] = ("--quick",)


BENCHMARKS = {
    "roundtrip": Benchmark("benchmarks.roundtrip"),
    "broadcast": Benchmark("benchmarks.broadcast"),
    "limiter": Benchmark("benchmarks.limiter"),
    "contacts_search": Benchmark(
        "benchmarks.contacts_search", quick=("--contacts", "2000", "--runs", "20")
    ),
    "digests": Benchmark("benchmarks.digests"),
    "reports": Benchmark("benchmarks.reports"),
    "startup": Benchmark("benchmarks.startup"),
    "imports": Benchmark("benchmarks.imports", quick=("--rounds", "2")),
    "soak": Benchmark("benchmarks.soak"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks asked for; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run_all", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("only", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="smoke sizes: seconds, not minutes")
    arguments = parser.parse_args(argv)
    if unknown := [name for name in arguments.only if name not in BENCHMARKS]:
        parser.error(f"no benchmark {', '.join(unknown)}; there are {', '.join(BENCHMARKS)}")
    names = arguments.only or list(BENCHMARKS)
    print(f"# Partnerbot benchmarks\n\n{machine().line()}\n", flush=True)
    failed = []
    started = time.perf_counter()
    for name in names:
        benchmark = BENCHMARKS[name]
        extra = benchmark.quick if arguments.quick else benchmark.full
        command = [sys.executable, "-m", benchmark.module, *extra]
        print(f"$ python -m {benchmark.module} {' '.join(extra)}".rstrip(), flush=True)
        began = time.perf_counter()
        status = subprocess.run(command, cwd=ROOT, check=False).returncode
        print(f"\n({name}: {time.perf_counter() - began:.0f} s)\n", flush=True)
        if status != 0:
            failed.append(name)
    total = time.perf_counter() - started
    print(f"All done in {total:.0f} s." if not failed else f"Failed: {', '.join(failed)}.")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
