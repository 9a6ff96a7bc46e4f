"""`python -m bot health`: healthy against a bot running on the fake Bot API; a clear FAIL line
when Telegram is silent, the outbox is stuck, an alert waits, the database is read-only or
unusable, or the bot is not running."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.backup import run_lock
from bot.config import Settings, SettingsError, load_settings
from bot.health import HEARTBEAT_INTERVAL, check, judge
from bot.storage import SCHEMA_VERSION, Database, HealthFacts, to_db
from tests.conftest import PATIENT, STAFF_CHAT, RunningBot
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import FakeClock, outbox_counts
from tests.test_faults import _bot_env, run_cli, spawn_bot


@pytest.fixture
def locked(settings: Settings) -> Iterator[None]:
    """Hold the run lock as `python -m bot run` does (the in-process bot does not)."""
    with run_lock(settings.database_path):
        yield


async def _beat_now(bot: RunningBot) -> None:
    """Wait until the bot has recorded Telegram's answer at the fake clock's current time."""
    want = to_db(bot.clock.now())

    async def current() -> str | None:
        row = await bot.runtime.db.fetchone("SELECT at FROM heartbeat WHERE key = 'telegram'")
        return None if row is None else str(row[0])

    for _ in range(300):
        if await current() == want:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"heartbeat never reached {want}: {await current()}")


async def test_healthy_bot_process_then_stopped(settings: Settings, fake: FakeBotAPI) -> None:
    proc = spawn_bot(_bot_env(settings, fake))
    try:
        await fake.wait_for(lambda: len(fake.calls("getUpdates")) >= 2, timeout=20, what="up")
        out = await asyncio.to_thread(run_cli, "health", env=_bot_env(settings, fake))
        assert out.returncode == 0, out.stdout + out.stderr
        line = out.stdout.strip()
        assert line.startswith(f"OK | db=ok running=yes schema={SCHEMA_VERSION} telegram_age_s=")
        metrics = dict(pair.split("=") for pair in line.split(" | ")[1].split())
        # At most one heartbeat interval plus one long poll (10 s) old.
        assert int(metrics["telegram_age_s"]) <= HEARTBEAT_INTERVAL.total_seconds() + 15
        assert metrics["outbox_pending"] == "0" and metrics["alerts_overdue"] == "0"
        assert metrics["next_reminder"] == "none"
        assert len(out.stdout.splitlines()) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    out = await asyncio.to_thread(run_cli, "health", env=_bot_env(settings, fake))
    assert out.returncode == 1
    assert out.stdout.startswith("FAIL bot not running (run lock free) | db=ok running=no")


async def test_telegram_silent_fails_then_recovers(
    bot: RunningBot, fake: FakeBotAPI, settings: Settings, locked: None
) -> None:
    await _beat_now(bot)
    assert check(settings, bot.clock.now()).line().startswith("OK | ")
    # Answers within HEARTBEAT_INTERVAL are not written again (the cost stays nil)...
    bot.clock.advance(HEARTBEAT_INTERVAL - timedelta(seconds=1))
    await fake.wait_for(lambda: len(fake.calls("getUpdates")) >= 3, what="polls")
    row = await bot.runtime.db.fetchone("SELECT at FROM heartbeat WHERE key = 'telegram'")
    assert row is not None and row[0] != to_db(bot.clock.now())
    # ...past it, the next answer is.
    bot.clock.advance(timedelta(seconds=1))
    await _beat_now(bot)

    fake.stop()  # Telegram unreachable
    bot.clock.advance(timedelta(seconds=301))
    health = check(settings, bot.clock.now())
    assert not health.ok
    assert health.problems == ["telegram silent for 301 s (limit 300 s)"]
    assert health.line().startswith("FAIL telegram silent for 301 s (limit 300 s) | db=ok")


async def test_stuck_outbox_fails(
    bot: RunningBot, fake: FakeBotAPI, settings: Settings, locked: None
) -> None:
    fake.add_fault("sendMessage", 500, times=1000, chat_id=PATIENT)
    fake.send_text(PATIENT, "combien de temps dure l'injection ?")
    for _ in range(300):  # the failed reply is queued once the handler has seen the 500
        if (await outbox_counts(bot.runtime.db)).get("pending"):
            break
        await asyncio.sleep(0.02)
    bot.clock.advance(timedelta(seconds=601))
    await _beat_now(bot)  # Telegram answers getUpdates: only the outbox is wrong
    health = check(settings, bot.clock.now())
    assert health.problems == ["outbox: 1 message(s) waiting, oldest 601 s (limit 600 s)"]
    assert health.metrics["outbox_pending"] == "1"


async def test_alert_waiting_past_the_escalation_fails_until_acknowledged(
    bot: RunningBot, fake: FakeBotAPI, settings: Settings, locked: None
) -> None:
    fake.send_text(PATIENT, "je saigne beaucoup depuis ce matin")
    [alert] = await fake.wait_for_messages(STAFF_CHAT, 1)
    # 10 min between re-posts, 3 re-posts: 40 min, the on-call page included.
    assert settings.alert_overdue_minutes == 40
    bot.clock.advance(timedelta(minutes=39))
    await _beat_now(bot)
    assert check(settings, bot.clock.now()).ok
    bot.clock.advance(timedelta(minutes=2))
    await _beat_now(bot)
    health = check(settings, bot.clock.now())
    assert "alerts: 1 unacknowledged for more than 40 min" in health.problems
    assert health.metrics["alerts_overdue"] == "1"

    fake.press_button(900, alert, fake.buttons(alert)[0][1])  # the nurse takes it
    await fake.wait_for(
        lambda: "Pris en charge" in fake.messages(STAFF_CHAT)[0]["text"], what="acknowledged"
    )
    assert check(settings, bot.clock.now()).metrics["alerts_overdue"] == "0"


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file unwritable even for root (who ignores permission bits): immutable."""
    if os.geteuid() != 0:
        path.chmod(0o400)
        yield
        return
    made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot make a file read-only for root here: {made.stderr!r}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


async def test_read_only_database_fails(settings: Settings, fake: FakeBotAPI) -> None:
    db = await Database.open(settings.database_path)
    await db.close()
    env = _bot_env(settings, fake)
    with read_only(settings.database_path):
        out = await asyncio.to_thread(run_cli, "health", env=env)
    assert out.returncode == 1
    line = out.stdout.strip()
    assert "database not writable: attempt to write a readonly database" in line
    assert "db=fail" in line


async def test_missing_or_garbage_database_fails(settings: Settings, fake: FakeBotAPI) -> None:
    env = _bot_env(settings, fake)
    out = await asyncio.to_thread(run_cli, "health", env=env)
    assert out.returncode == 1
    assert out.stdout.startswith(f"FAIL database unusable: {settings.database_path} n'existe pas")
    assert not settings.database_path.exists()  # health never creates a database
    settings.database_path.write_bytes(b"not a database at all, " * 100)
    out = await asyncio.to_thread(run_cli, "health", env=env)
    assert out.returncode == 1
    assert out.stdout.startswith("FAIL database unusable:") and "file is not a database" in (
        out.stdout
    )
    assert out.stdout.rstrip().endswith("| db=fail running=no")


async def test_health_as_another_user_than_the_owner_fails(
    settings: Settings, fake: FakeBotAPI
) -> None:
    """Run as root on a stopped bot's folder, SQLite would leave root-owned -wal/-shm files."""
    if os.geteuid() != 0:
        pytest.skip("only root can give the folder to another user")
    db = await Database.open(settings.database_path)
    await db.close()
    folder = settings.database_path.parent
    owner = folder.stat().st_uid
    os.chown(folder, owner + 1, -1)
    try:
        out = await asyncio.to_thread(run_cli, "health", env=_bot_env(settings, fake))
    finally:
        os.chown(folder, owner, -1)
    assert out.returncode == 1
    assert out.stdout.startswith(f"FAIL database unusable: {folder} appartient à l'utilisateur")
    assert "bot.db-wal" not in os.listdir(folder)


def _facts(now: datetime, **changes: object) -> HealthFacts:
    base = HealthFacts(
        schema_version=6,
        integrity="ok",
        write_error=None,
        heartbeats={"telegram": now},
        outbox_pending=0,
        outbox_oldest=None,
        alerts_waiting=0,
        inbox_pending=0,
        inbox_oldest=None,
        next_step=None,
        steps_late=0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({}, None),
        ({"heartbeats": {}}, "telegram never answered"),
        ({"inbox_pending": 2, "inbox_oldest": -600}, None),
        (
            {"inbox_pending": 2, "inbox_oldest": -601},
            "inbox: 2 update(s) unhandled, oldest 601 s (limit 600 s)",
        ),
        ({"outbox_pending": 3, "outbox_oldest": -60}, None),
        ({"steps_late": 1}, "reminders: 1 late by more than 600 s"),
        ({"integrity": "*** in database main ***"}, "database integrity: *** in database main ***"),
    ],
)
def test_judge_thresholds(
    base_settings: Settings, changes: dict[str, object], problem: str | None
) -> None:
    now = FakeClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC)).now()
    fixed = {
        k: now + timedelta(seconds=v) if isinstance(v, int) and k.endswith("oldest") else v
        for k, v in changes.items()
    }
    health = judge(_facts(now, **fixed), True, base_settings, now)
    assert health.problems == ([problem] if problem else [])
    assert health.ok is (problem is None)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("HEALTH_TELEGRAM_SECONDS", "30", "un entier ≥ 60"),
        ("HEALTH_BACKLOG_SECONDS", "abc", "un entier ≥ 60"),
        ("HEALTH_ALERT_MINUTES", "0", "un entier ≥ 1"),
        ("TELEGRAM_PROXY_URL", "socks5://proxy:1080", "une URL de proxy"),
        ("TELEGRAM_PROXY_URL", "proxy.hopital.local:3128", "une URL de proxy"),
    ],
)
def test_operations_settings_are_checked(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None, environ={name: value})
    assert caught.value.name == name and says in caught.value.expected


def test_operations_settings_defaults_and_values(tmp_path: Path) -> None:
    default = load_settings(env_file=None, environ={"DATABASE_PATH": str(tmp_path / "b.db")})
    assert default.backups == tmp_path / "backups"
    assert default.alert_overdue_minutes == 40 and default.health_telegram_seconds == 300
    custom = load_settings(
        env_file=None,
        environ={
            "BACKUP_DIR": str(tmp_path / "ailleurs"),
            "HEALTH_ALERT_MINUTES": "15",
            "ESCALATION_RENOTIFY_MINUTES": "5",
            "TELEGRAM_PROXY_URL": "http://proxy.hopital.local:3128",
        },
    )
    assert custom.backups == tmp_path / "ailleurs" and custom.alert_overdue_minutes == 15
    assert custom.telegram_proxy_url == "http://proxy.hopital.local:3128"
