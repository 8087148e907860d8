"""The bot's memory: fewer glibc malloc arenas than one per thread, and the document process's
garbage given back after each file.

glibc gives each thread that allocates its own arena (up to eight per core), and memory freed
in one arena cannot serve another thread. The bot's threads are aiosqlite's two connection
threads and the event loop's default executor; two arenas are enough for them, as they take
turns on the interpreter's lock anyway. The soak benchmark (benchmarks/README.md, "Memory and
start-up") measured no difference at its load, 92 MiB either way: the bot's growth had been
matplotlib and its figures, now drawn in the document process. The limit stays as a cap that
costs nothing, so that memory does not grow with the number of threads a later change adds.

An operator's own MALLOC_ARENA_MAX in the environment is glibc's setting and is left as it is.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys

#: The number of arenas the bot asks glibc for.
ARENAS = 2
#: mallopt's parameter for the maximum number of arenas (glibc's malloc.h).
_M_ARENA_MAX = -8


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Ask glibc for at most `arenas` malloc arenas, before the bot starts its threads.

    Returns True if the limit was set; False on another C library or platform, or when the
    environment already sets MALLOC_ARENA_MAX (glibc read it at start)."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        # The symbols the interpreter is linked with, the C library's among them.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, arenas))


def release_memory() -> None:
    """Collect garbage now and give the freed memory back to the system (document process).

    A matplotlib figure is a web of reference cycles: it is only freed when the cyclic
    collector next runs a full pass, and meanwhile each chart or map drawn adds its megabytes
    (the document process grew from 80 to 180 MB under the soak benchmark's load). Collected
    after each file, it stays at about 80 MB."""
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            trim = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):  # not glibc
            return
        trim.argtypes = (ctypes.c_size_t,)
        trim.restype = ctypes.c_int
        trim(0)
