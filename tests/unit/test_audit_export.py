"""`python -m bot audit export`: the whole log of a partnership as CSV or JSON, with the safe
details only."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from services.spreadsheets import FORMULA_STARTS
from storage import audit
from storage import members as member_store
from storage import partnerships as partnership_store
from storage.db import Database

#: Personal data and secrets that entries hold today or might: never shown, never exported.
PERSONAL = (
    "Jean Dupont",
    "+221 77 123 45 67",
    "jean@example.org",
    "abc123def456",
    "Q7X9-INVITE",
    "HYPERLINK",
    "Réunion secrète",
    "contacts-jean.csv",
    "Rue 12 Dakar",
)
#: (action, details) of entries holding them, next to details that may be shown.
HOSTILE_ENTRIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("contact.create", {"contact_id": 5, "name": "Jean Dupont"}),
    ("contact.delete", {"contact_id": 5, "name": "Jean Dupont", "phone": "+221 77 123 45 67"}),
    (
        "invite.create",
        {
            "invite": "abc123def456",
            "code": "Q7X9-INVITE",
            "role": "member",
            "max_uses": 3,
            "valid_days": 7,
            "organisation": '=HYPERLINK("http://evil.example")',
            "country": "Rue 12 Dakar",
        },
    ),
    ("invite.redeem", {"invite": "abc123def456", "role": "member", "organisation": "Jean Dupont"}),
    ("member.set", {"member_id": 103, "field": "organisation", "value": "jean@example.org"}),
    ("meeting.delete", {"meeting_id": 4, "title": "Réunion secrète"}),
    (
        "contact.import",
        {
            "source": "contacts-jean.csv",
            "created": 2,
            "updated": 0,
            "unchanged": 1,
            "skipped_rows": 0,
        },
    ),
    ("broadcast.enqueue", {"broadcast_id": 8, "reference": "Jean Dupont", "recipients": 4}),
    # Keys that may be shown, with values that are no plain word: left out as well.
    (
        "member.role",
        {"member_id": 103, "old": '=HYPERLINK("http://evil.example")', "new": "Jean Dupont"},
    ),
    ("challenge.edit", {"challenge_id": 9, "fields": ["title", "+221 77 123 45 67"]}),
    ("made.up", {"phone": "+221 77 123 45 67", "note": "Jean Dupont"}),
)


async def record_hostile_entries(db: Database, partnership_id: int, actor_id: int | None) -> None:
    """Write every hostile entry into the partnership's log."""
    async with db.transaction() as tx:
        for action, detail in HOSTILE_ENTRIES:
            await audit.record(
                tx,
                action=action,
                now=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
                partnership_id=partnership_id,
                actor_id=actor_id,
                **detail,
            )


async def _seed(path: Path) -> None:
    db = Database(path)
    await db.open()
    try:
        partnership = await partnership_store.get_by_slug(db, "cop-test")
        assert partnership is not None
        async with db.transaction() as tx:
            await member_store.upsert(
                tx, member_id=42, name="=cmd|' /C calc'!A0", username=None,
                telegram_language="fr", now=datetime(2026, 11, 1, tzinfo=UTC),
            )  # fmt: skip
            await audit.record(
                tx,
                action="challenge.status",
                now=datetime(2026, 11, 10, 12, tzinfo=UTC),
                partnership_id=partnership.id,
                actor_id=42,
                challenge_id=7,
                old="reported",
                new="acknowledged",
            )
        await record_hostile_entries(db, partnership.id, 42)
    finally:
        await db.close()


@pytest.fixture
def cli_database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A partnership `cop-test` made on the command line, with entries of every kind."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    path = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    assert main(["partnership", "create", "--name", "COP Test", "--kind", "cop"]) == 0
    asyncio.run(_seed(path))
    return path


def test_the_csv_opens_in_the_csv_module_without_formulas_or_personal_data(
    cli_database: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capsys.readouterr()
    assert main(["audit", "export", "--partnership", "cop-test", "--out", "log.csv"]) == 0
    count = 2 + len(HOSTILE_ENTRIES)  # the partnership's creation, the status, the others
    assert f"Wrote {count} entries to log.csv" in capsys.readouterr().out
    data = (tmp_path / "log.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == count
    assert list(rows[0]) == ["at", "actor_id", "actor", "action", "detail"]
    # Oldest first; the bot's own entries are by Partnerbot.
    assert rows[0]["action"] == "partnership.create" and rows[0]["actor"] == "Partnerbot"
    status = rows[1]
    assert status["at"] == "2026-11-10T12:00:00+00:00"
    assert json.loads(status["detail"]) == {
        "challenge_id": 7, "old": "reported", "new": "acknowledged",
    }  # fmt: skip
    # A name that is a formula is written as text.
    assert status["actor"] == "'=cmd|' /C calc'!A0"
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(FORMULA_STARTS), cell
    for secret in PERSONAL:
        assert secret not in data.decode("utf-8-sig"), secret
    by_action = {row["action"]: json.loads(row["detail"]) for row in rows}
    assert by_action["invite.create"] == {"role": "member", "max_uses": 3, "valid_days": 7}
    assert by_action["contact.create"] == {"contact_id": 5}
    assert by_action["member.role"] == {"member_id": 103}
    assert by_action["made.up"] == {}


def test_json_and_json_lines_parse_and_periods_narrow_the_export(
    cli_database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["audit", "export", "--partnership", "cop-test", "--format", "json"]) == 0
    out = capsys.readouterr().out
    entries = json.loads(out)
    assert [e["action"] for e in entries][:2] == ["partnership.create", "challenge.status"]
    assert entries[1]["actor_id"] == 42
    for secret in PERSONAL:
        assert secret not in out, secret
    assert main(["audit", "export", "--partnership", "cop-test", "--format", "jsonl",
                 "--since", "2026-11-10", "--until", "2026-11-10"]) == 0  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["challenge.status"]
    assert main(["audit", "export", "--partnership", "cop-test",
                 "--since", "2026-11-21", "--until", "2026-11-30"]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == "at,actor_id,actor,action,detail"
    assert main(["audit", "export", "--partnership", "nope"]) == 1
    for argv in (["audit"], ["audit", "export"]):
        with pytest.raises(SystemExit) as exit_code:
            main([*argv, "--help"])
        assert exit_code.value.code == 0
        assert "usage:" in capsys.readouterr().out
