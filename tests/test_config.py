from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEMO_HOTLINE, SettingsError, load_settings


def test_defaults_need_no_env() -> None:
    s = load_settings(env_file=None, environ={})
    assert s.telegram_bot_token is None
    assert s.hotline_phone == DEMO_HOTLINE and s.hotline_is_demo
    assert s.timezone.key == "Europe/Paris"
    assert s.database_path.name == "bot.db"


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("HOTLINE_PHONE=01 46 41 00 00\nSTAFF_CHAT_ID=-100123\nLOG_LEVEL=debug\n")
    s = load_settings(env_file=env, environ={"STAFF_CHAT_ID": "-100999"})
    assert s.hotline_phone == "01 46 41 00 00" and not s.hotline_is_demo
    assert s.staff_chat_id == -100999
    assert s.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STAFF_CHAT_ID", "groupe"),
        ("STAFF_USER_IDS", "12,abc"),
        ("HOTLINE_PHONE", "appelez-nous"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("TELEGRAM_API_BASE_URL", "ftp://x"),
        ("TIMEZONE", "Mars/Olympus"),
        ("LOG_LEVEL", "chatty"),
        ("ESCALATION_RENOTIFY_MINUTES", "0"),
        ("RETENTION_DAYS", "-3"),
    ],
)
def test_malformed_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(env_file=None, environ={name: value})
    assert info.value.name == name
    assert str(info.value).startswith(f"{name}: ")


def test_run_requires_token_staff_group_and_real_hotline() -> None:
    s = load_settings(env_file=None, environ={})
    with pytest.raises(SettingsError) as info:
        s.require_telegram()
    assert info.value.name == "TELEGRAM_BOT_TOKEN"
    s = load_settings(env_file=None, environ={"TELEGRAM_BOT_TOKEN": "123:abcdefghijklmn"})
    with pytest.raises(SettingsError) as info:
        s.require_telegram()
    assert info.value.name == "STAFF_CHAT_ID"
    s = load_settings(
        env_file=None,
        environ={"TELEGRAM_BOT_TOKEN": "123:abcdefghijklmn", "STAFF_CHAT_ID": "-1"},
    )
    with pytest.raises(SettingsError) as info:
        s.require_telegram()
    assert info.value.name == "HOTLINE_PHONE"


def test_staff_user_ids_parsed() -> None:
    s = load_settings(env_file=None, environ={"STAFF_USER_IDS": " 1, 2 ,3,"})
    assert s.staff_user_ids == frozenset({1, 2, 3})
