"""What the bot loads at start: the heavy libraries wait until they are first needed.

`python -m bot run` imports bot.cli, reads the settings and builds the application; drawing
(matplotlib, numpy), documents (python-docx, fpdf2, HarfBuzz, openpyxl, pypdf), calendars,
vCards, phone numbers' metadata and Arabic shaping are imported by the code that uses them,
so that the bot starts sooner and stays smaller while nobody asks for them
(benchmarks/README.md, "Memory and start-up").
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

#: Top-level packages that must not be imported until something needs them.
HEAVY = (
    "matplotlib",
    "numpy",
    "PIL",
    "docx",
    "lxml",
    "fpdf",
    "uharfbuzz",
    "openpyxl",
    "pypdf",
    "icalendar",
    "vobject",
    "phonenumbers",
    "arabic_reshaper",
)

#: What `python -m bot run` does before it polls: bot.cli, the settings, the application.
BUILD = """
import json, sys
from bot.cli import _parser
from bot.config import Settings
from bot.app import build_application

_parser().parse_args(["run"])
application = build_application(Settings())
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _modules_after_build(folder: Path) -> set[str]:
    """The top-level packages imported once the application is built, in a fresh process."""
    environment = {
        "BOT_TOKEN": "123456:TEST-token-for-the-start-up-test",
        "DATABASE_PATH": str(folder / "bot.sqlite3"),
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    finished = subprocess.run(
        [sys.executable, "-c", BUILD],
        cwd=folder,  # no developer's .env is read here
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    return set(json.loads(finished.stdout.splitlines()[-1]))


def test_building_the_bot_imports_no_heavy_library(tmp_path: Path) -> None:
    modules = _modules_after_build(tmp_path)
    assert "telegram" in modules and "bot" in modules  # it did build the bot
    assert sorted(modules.intersection(HEAVY)) == []


def test_the_heavy_libraries_still_load_when_used() -> None:
    from services.calendars import calendar_file
    from services.charts import ChartTexts, PillarBar, ProgressChart, render_progress_chart
    from services.contact_vcard import card_rows

    texts = ChartTexts("Plan", "", "Pillars", "Timeline", "planned", "done", "today", "n")
    chart = ProgressChart(texts, [PillarBar("Pillar 1", 40, 1, 3)], [], [], date(2026, 1, 15))
    assert render_progress_chart(chart).startswith(b"\x89PNG")
    ics = calendar_file("Plan", [], timezone="UTC", language="en")
    assert ics.startswith(b"BEGIN:VCALENDAR")
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Awa Diop\r\nORG:Police\r\nEND:VCARD\r\n"
    assert len(list(card_rows(card))) == 1


def test_the_start_up_layers_benchmark_measures_every_layer() -> None:
    from benchmarks.imports import LAYERS, probe, report

    result = probe()
    assert [name for name, _seconds, _mib in result.layers] == [name for name, _ in LAYERS]
    assert all(seconds > 0 for _name, seconds, _mib in result.layers)
    assert result.dataclasses > 100 and result.dataclass_seconds > 0  # the records' classes
    assert f"made {result.dataclasses} dataclasses" in report([result])
