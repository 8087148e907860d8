"""The console: scripts replayed against the real bot on a temporary database, asserting on
the transcript a developer would read."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import make_services
from bot.config import Settings
from bot.console import DEMO_FILE, plain_text, run_console, script_entries
from storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
AISSATOU = 7100001  # the demo admin the console starts as


async def replay(
    settings: Settings, tmp_path: Path, script: str, demo_file: Path = DEMO_FILE
) -> tuple[int, str]:
    """Run `script` through the console on a database in `tmp_path`; (exit code, transcript)."""
    path = tmp_path / "script.txt"
    path.write_text(script, encoding="utf-8")
    output = io.StringIO()
    code = await run_console(
        settings,
        database=tmp_path / "console.sqlite3",
        script=path,
        fresh=False,
        output=output,
        demo_file=demo_file,
        history_file=None,  # the history has tests of its own (test_demo.py); this is faster
    )
    return code, output.getvalue()


async def chosen_language(tmp_path: Path, member_id: int) -> str | None:
    db = Database(tmp_path / "console.sqlite3")
    await db.open()
    try:
        caller = await make_services(db).access.identify_known(member_id)
        assert caller is not None and caller.member is not None
        return caller.member.language
    finally:
        await db.close()


async def test_banner_then_help_as_plain_text(settings: Settings, tmp_path: Path) -> None:
    code, out = await replay(settings, tmp_path, "/help\n")
    assert code == 0
    assert out.startswith("Partnerbot console")
    assert "You are Aïssatou Ndiaye (@aissatou_ndiaye" in out
    assert "admin of NETCOP demo — West Africa" in out and "::help" in out
    assert "\nAïssatou> /help\nbot> You work in NETCOP demo — West Africa as admin." in out
    assert "     /invite — " in out and "     /members — " in out
    assert "<b>" not in out and "&amp;" not in out and "\033[" not in out


async def test_press_by_number_and_by_text(settings: Settings, tmp_path: Path) -> None:
    script = "/language\n::press 2\n/language\n::press español\n"
    code, out = await replay(settings, tmp_path, script)
    assert code == 0
    assert "     [1] English  [2] Français\n     [3] العربية  [4] Português\n" in out
    assert "-- pressed [2] Français\nbot (edited)> " in out
    assert "-- pressed [5] Español\nbot (edited)> " in out
    assert await chosen_language(tmp_path, AISSATOU) == "es"


async def test_invite_buttons_by_their_label_show_the_deep_link(
    settings: Settings, tmp_path: Path
) -> None:
    script = "::as Kouamé\n/invite\n::press 1\n/skip\n/skip\n::press 5\n::press 7\n::press ✓\n"
    code, out = await replay(settings, tmp_path, script)
    assert code == 0
    assert "Kouamé> /invite" in out
    # A button labelled 5 wins over the fifth button, which this keyboard does not have.
    assert "-- pressed [2] 5\n" in out and "-- pressed [2] 7\n" in out
    assert "https://t.me/partnerbot?start=" in out


async def test_acting_as_members_and_a_stranger_who_is_turned_away(
    settings: Settings, tmp_path: Path
) -> None:
    script = "::as kouame\n::as Someone Unknown\n/help\n::as @mamadou_ouldcheikh\n::who\n"
    code, out = await replay(settings, tmp_path, script)
    assert code == 0
    assert "-- you are now Kouamé Yao (@kouame_yao, Telegram language fr), coordinator of" in out
    assert "-- you are now Someone Unknown (Telegram language en), a stranger in no" in out
    stranger_reply = out.split("Someone> /help\n", 1)[1].split("\n", 1)[0]
    assert "invitation only" in stranger_reply
    assert "NETCOP" not in stranger_reply
    assert "-- you are now Mamadou Ould Cheikh" in out
    assert "member of NETCOP demo — West Africa (active)" in out
    assert "   * Mamadou Ould Cheikh" in out and "     Someone Unknown" in out


async def test_a_line_ending_in_a_backslash_continues_the_message(
    settings: Settings, tmp_path: Path
) -> None:
    script = "/profile\nPolice nationale \\\n— anti-smuggling unit\n/skip\n"
    code, out = await replay(settings, tmp_path, script)
    assert code == 0
    assert "Aïssatou> Police nationale\n     ...> — anti-smuggling unit\nbot> " in out
    assert "Saved. Organisation: Police nationale — anti-smuggling unit." in out


async def test_group_chat_and_media(settings: Settings, tmp_path: Path) -> None:
    script = (
        "::group\n/help\nhello everyone\n::private\n"
        "::location 14.69 -17.44\n::contact\n::photo a boat at the landing site\n"
    )
    code, out = await replay(settings, tmp_path, script)
    assert code == 0
    assert "Aïssatou (group)> /help\nbot> You work in" in out
    assert "Aïssatou (group)> hello everyone\n-- (no reply)" in out  # groups: commands only
    assert "Aïssatou> ::photo a boat at the landing site\nbot> " in out


async def test_unknown_instruction_gets_a_hint_and_the_script_goes_on_but_fails(
    settings: Settings, tmp_path: Path
) -> None:
    code, out = await replay(settings, tmp_path, "::fly to Dakar\n/help\n::location north\n")
    assert code == 1
    assert "!! script.txt line 1: unknown instruction ::fly; ::help lists the instructions" in out
    assert "bot> You work in" in out  # the line after the failure still ran
    assert "usage: ::location LAT LON" in out
    assert "!! 2 lines of script.txt failed:" in out


async def test_pressing_without_a_keyboard_or_a_missing_button_fails(
    settings: Settings, tmp_path: Path
) -> None:
    code, out = await replay(settings, tmp_path, "::press 1\n")
    assert code == 1
    assert "there is no keyboard in this chat" in out
    code, out = await replay(settings, tmp_path, "/language\n::press Klingon\n::press 9\n")
    assert code == 1
    assert "there is no button 'Klingon'; the buttons are: [1] English  [2] Français" in out
    assert "there is no button 9" in out


async def test_a_bug_in_the_bot_fails_the_line(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.handlers.start.help_command", broken)
    code, out = await replay(settings, tmp_path, "/help\n/language\n")
    assert code == 1
    assert "!! script.txt line 1: the bot failed on this: RuntimeError: boom" in out
    assert "Choose your language" in out


async def test_interactive_lines_until_quit_and_a_second_run_on_the_same_file(
    settings: Settings, tmp_path: Path
) -> None:
    database = tmp_path / "console.sqlite3"
    output = io.StringIO()
    lines = ["/language", "::press Français", "", "::quit", "/help"]
    code = await run_console(
        settings, database=database, script=None, fresh=False, output=output, input_lines=lines
    )
    assert code == 0
    out = output.getvalue()
    assert "(loaded now)" in out and out.rstrip().endswith("-- bye")
    assert "Aïssatou> /help" not in out  # nothing runs after ::quit

    # Update ids keep growing across runs: the bot must not take new lines for repeats.
    output = io.StringIO()
    code = await run_console(
        settings, database=database, script=None, fresh=False, output=output, input_lines=["/help"]
    )
    assert code == 0
    assert "(already in the database)" in output.getvalue()
    assert "chose fr" in output.getvalue()
    assert "Aïssatou> /help\nbot> " in output.getvalue()

    output = io.StringIO()
    await run_console(
        settings, database=database, script=None, fresh=True, output=output, input_lines=[]
    )
    assert "(loaded now)" in output.getvalue()
    assert await chosen_language(tmp_path, AISSATOU) is None


async def test_a_broken_demo_file_or_missing_script_is_reported(
    settings: Settings, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("people: []\npartnerships: []\n", encoding="utf-8")
    code, out = await replay(settings, tmp_path, "/help\n", demo_file=broken)
    assert code == 1
    assert "invalid demo data" in out and "people: List should have at least 1 item" in out
    output = io.StringIO()
    missing = tmp_path / "nope.txt"
    code = await run_console(
        settings, database=tmp_path / "x.sqlite3", script=missing, fresh=False, output=output
    )
    assert code == 1 and "cannot read the script" in output.getvalue()


def test_script_lines_skip_comments_and_join_continuations() -> None:
    lines = ["# comment", "", "  ", "/help", "first \\", "# not a comment \\", "\\", "last", "x\\"]
    assert list(script_entries(lines)) == [
        (4, "/help"),
        (5, "first\n# not a comment\n\nlast"),
        (9, "x"),
    ]


def test_plain_text_strips_tags_and_spells_out_links() -> None:
    html = 'Join <b>COP &amp; JIT</b>: <a href="https://t.me/x?start=1">link</a> &lt;ok&gt;'
    assert plain_text(html, is_html=True) == "Join COP & JIT: link (https://t.me/x?start=1) <ok>"
    assert plain_text(html, is_html=True, color=True).startswith("Join \033[1mCOP & JIT\033[22m")
    assert plain_text("<b>as typed</b>", is_html=False) == "<b>as typed</b>"


def commands(transcript: str) -> list[str]:
    """The /commands listed in the first bot message of a transcript part."""
    reply = transcript.split("\nAïssatou", 1)[0]
    return [line.split()[0] for line in reply.splitlines()[1:] if line.strip().startswith("/")]


def test_the_tour_runs_from_the_command_line(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "MODE"}}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--script", "examples/console-tour.txt",
         "--database", str(tmp_path / "tour.sqlite3")],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
    assert "Aïssatou> /language\nbot> " in out
    assert "Aïssatou> ::press Français\n-- pressed [2] Français\nbot (edited)> " in out
    # /help before and after choosing French: the same commands, whatever the language.
    before, after = (commands(part) for part in out.split("Aïssatou> /help\n")[1:3])
    assert "/invite" in before and after[: len(before)] == before
    assert "?start=" in out
    assert "Someone> /help\nbot> " in out and "Mamadou> ::press COP Mauritania" in out
    assert "!!" not in out
    # The tour meets each of the five languages once.
    assert "Plan de Acción renovado de la UE" in out and "✅ completados: 27" in out
    assert "Percorrer por país" in out and "Polónia" in out
    assert "Côte d’Ivoire (Costa do Marfim) (4)" in out
    assert "هذا الإجراء متاح لمنسقي الشراكة ومشرفيها فقط" in out


def test_run_without_a_token_opens_the_console_on_demo_data(tmp_path: Path) -> None:
    """`make run` on a fresh machine: no token, so the console; typed lines get answers."""
    environment = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "MODE"}}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,  # a directory with no .env, as in a fresh clone
        env={**environment, "PYTHONPATH": str(ROOT)},
        input="/help\n::quit\n",
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "No BOT_TOKEN configured" in result.stdout
    assert "/members" in result.stdout  # the demo admin's /help
    assert (tmp_path / "var" / "demo.sqlite3").exists()
