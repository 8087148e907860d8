"""The reports benchmark runs end to end on a tiny year (its figures are not checked here)."""

from __future__ import annotations

import pytest

from benchmarks.reports import Sizes, run
from services.reports import ReportFormat


def test_the_reports_benchmark_runs_on_a_small_year(capsys: pytest.CaptureFixture[str]) -> None:
    run(
        Sizes(meetings=20, challenges=6, members=8),
        runs=1,
        rounds=0,
        seed_value=1,
        isolated=False,
        formats=(ReportFormat.DOCX, ReportFormat.XLSX),
    )
    out = capsys.readouterr().out
    assert "20 meetings" in out and "6 challenges" in out and "milestone updates" in out
    assert "| DOCX   | ar " in out and "| XLSX   | en " in out
