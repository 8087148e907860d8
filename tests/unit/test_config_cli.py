"""Settings and the command line: clear errors, secrets kept secret, admin bootstrap."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cli import main
from bot.config import Settings, explain


def test_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123456:SECRET-value")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert "SECRET" not in repr(settings) and "SECRET" not in str(settings.model_dump())


def test_invalid_configuration_is_one_clear_paragraph(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "not-a-token")
    monkeypatch.setenv("MODE", "webhook")
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Mars/Olympus")
    assert main(["partnership", "list"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    assert "BOT_TOKEN" in err and "DEFAULT_TIMEZONE" in err and ".env.example" in err


def test_webhook_mode_needs_an_https_url() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate(
            {"mode": "webhook", "bot_token": "1:abc", "webhook_url": "http://example.org/x"}
        )
    assert "WEBHOOK_URL" in explain(caught.value) or "https" in explain(caught.value)


WEBHOOK = {"mode": "webhook", "bot_token": "1:abc", "webhook_url": "https://example.org/x"}


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (None, "webhook mode needs WEBHOOK_SECRET, a random string of at least 32 characters"),
        ("", "webhook mode needs WEBHOOK_SECRET"),
        ("a" * 31, "webhook mode needs WEBHOOK_SECRET"),
        ("a" * 31 + "=", "WEBHOOK_SECRET may hold only letters A-Z and a-z, digits, _ and -"),
        ("é" * 40, "WEBHOOK_SECRET may hold only"),
        ("a" * 257, "at most 256"),
    ],
    ids=["missing", "empty", "short", "equals sign", "accents", "too long"],
)
def test_webhook_mode_needs_a_long_secret_of_the_characters_telegram_allows(
    secret: str | None, problem: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({**WEBHOOK, "webhook_secret": secret})
    explained = explain(caught.value)
    assert problem in explained
    assert 'python -c "import secrets; print(secrets.token_urlsafe(32))"' in explained
    for fine in ("a" * 32, "A-z_0" * 7, "b" * 256):
        Settings.model_validate({**WEBHOOK, "webhook_secret": fine})


def test_admin_bootstrap_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.sqlite3"))
    assert main([
        "partnership", "create", "--name", "COP Côte d'Ivoire", "--kind", "cop",
        "--countries", "Côte d'Ivoire", "--timezone", "Africa/Abidjan", "--language", "fr",
    ]) == 0  # fmt: skip
    assert "cop-cote-d-ivoire" in capsys.readouterr().out
    assert (
        main(["admin", "--partnership", "cop-cote-d-ivoire", "--user-id", "42", "--name", "Awa"])
        == 0
    )
    assert main(["invite", "create", "--partnership", "cop-cote-d-ivoire", "--role", "coordinator",
                 "--uses", "3", "--bot-username", "@pbot"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "https://t.me/pbot?start=" in out
    code = out.split("?start=")[1].split()[0]
    assert main(["invite", "revoke", code]) == 0
    assert main(["invite", "revoke", "nope"]) == 1
    assert main(["admin", "--partnership", "missing", "--user-id", "1"]) == 1
    assert main(["invite", "create", "--partnership", "cop-cote-d-ivoire", "--uses", "0"]) == 1
    assert main(["partnership", "list"]) == 0
    assert "COP Côte d'Ivoire" in capsys.readouterr().out


def test_every_subcommand_explains_itself(capsys: pytest.CaptureFixture[str]) -> None:
    commands = (["run"], ["console"], ["partnership", "create"], ["admin"], ["invite", "create"])
    for argv in (["--help"], *([*command, "--help"] for command in commands)):
        with pytest.raises(SystemExit) as exit_code:
            main(argv)
        assert exit_code.value.code == 0
        assert "usage:" in capsys.readouterr().out


def test_invite_codes_never_begin_with_a_dash() -> None:
    """The command line would take such a code for an option."""
    from services.invites import looks_like_code, new_code

    codes = [new_code() for _ in range(2000)]
    assert not any(code.startswith("-") for code in codes)
    assert all(looks_like_code(code) for code in codes)
