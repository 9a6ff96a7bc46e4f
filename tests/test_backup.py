"""Backups that restore: a copy taken under load restores into a fresh data folder with every
patient, step and alert; `restore` checks what it is given and never overwrites the database
of a running bot; a migration is preceded by a copy."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from bot.backup import lock_path
from bot.config import Settings
from bot.storage import MIGRATIONS, SCHEMA_VERSION
from tests.conftest import HOTLINE, PARIS, RunningBot, start_bot, stop_bot
from tests.fakes.bot_api import FakeBotAPI
from tests.test_faults import _bot_env, run_cli, spawn_bot

TABLES = ("patients", "steps", "alerts")
# Columns the bot may still change after the copy (a step sent, an alert re-posted): the
# restored row must match the live one on everything else.
STABLE = {
    "patients": "id, label, appointment_at, created_at",  # chat_id: set when a link opens
    "steps": "id, patient_id, step_id, kind, due_at, expires_at",
    "alerts": "id, patient_id, chat_id, severity, categories, created_at, kind",
}


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in con.execute(sql)]
    finally:
        con.close()


def _rows(path: Path, table: str) -> dict[int, tuple[object, ...]]:
    return {int(str(r[0])): r for r in _query(path, f"SELECT {STABLE[table]} FROM {table}")}


async def _enrol_patients(bot: RunningBot, count: int, first_chat: int) -> None:
    rt = bot.runtime
    for i in range(count):
        chat = first_chat + i
        bot.fake.add_user(chat, f"P{i}")
        inv = await rt.enrollment.enroll(datetime(2026, 12, 9, 9, 30, tzinfo=PARIS), f"P{i}")
        assert await rt.enrollment.open_link(inv.token, chat) is not None
        assert await rt.enrollment.consent(chat, rt.content.plan) is not None


async def test_backup_under_load_restores_everything(
    bot: RunningBot, fake: FakeBotAPI, settings: Settings, tmp_path: Path
) -> None:
    await _enrol_patients(bot, 30, first_chat=7000)
    for i in range(10):
        fake.add_user(8000 + i, f"U{i}")
        fake.send_text(8000 + i, "je saigne beaucoup depuis ce matin")
    await fake.wait_for(lambda: len(fake.messages(8009)) >= 1, timeout=20, what="urgent replies")
    live = settings.database_path
    before = {t: _rows(live, t) for t in TABLES}
    assert len(before["patients"]) == 30 and len(before["steps"]) >= 30 * 3
    assert len(before["alerts"]) == 10

    # Load while the copy runs: patients keep asking, some urgently, others enrol.
    async def load() -> None:
        for round_ in range(6):
            for i in range(30):
                urgent = i % 10 == 0
                fake.send_text(
                    7000 + i,
                    "j'ai de la fièvre à 39" if urgent else "combien de temps dure l'injection ?",
                )
            await _enrol_patients(bot, 3, first_chat=7100 + 3 * round_)
            await asyncio.sleep(0.1)

    backups = tmp_path / "backups"
    backups.mkdir()
    env = _bot_env(settings, fake, BACKUP_DIR=str(backups))
    loader = asyncio.create_task(load())
    await asyncio.sleep(0.2)
    out = await asyncio.to_thread(run_cli, "backup", env=env)
    await loader
    assert out.returncode == 0, out.stderr
    [copy] = list(backups.iterdir())
    assert copy.name.startswith("bot-backup-") and stat.S_IMODE(copy.stat().st_mode) == 0o600
    await fake.wait_until_consumed()

    fresh = tmp_path / "fresh" / "data" / "bot.db"
    out = await asyncio.to_thread(
        run_cli, "restore", str(copy), env={**env, "DATABASE_PATH": str(fresh)}
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"Base restaurée depuis {copy} dans {fresh}.\n"
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    after = {t: _rows(live, t) for t in TABLES}
    for table in TABLES:
        restored = _rows(fresh, table)
        # Everything there before the copy is there, unchanged...
        assert {k: restored.get(k) for k in before[table]} == before[table], table
        # ...and what the copy holds besides is what the live database held (a snapshot).
        assert {k: after[table].get(k) for k in restored} == restored, table
    chats = "SELECT id, chat_id FROM patients WHERE chat_id IS NOT NULL"
    enrolled = _query(live, chats)
    assert {r for r in _query(fresh, chats) if r[0] in before["patients"]} == {
        r for r in enrolled if r[0] in before["patients"]
    }
    print(
        "backup under load:",
        {t: (len(before[t]), len(_rows(fresh, t)), len(after[t])) for t in TABLES},
    )

    # The restored database runs a bot: it answers, and knows its enrolled patients.
    await stop_bot(bot)
    restored_bot = await start_bot(replace(settings, database_path=fresh), bot.clock, fake)
    try:
        row = await restored_bot.runtime.db.fetchone("SELECT COUNT(*) FROM patients")
        assert row is not None and row[0] >= 30
        fake.send_text(7000, "je saigne beaucoup")
        *_, reply = await fake.wait_for_messages(7000, 1 + len(fake.messages(7000)), timeout=10)
        assert HOTLINE in reply["text"]
    finally:
        await stop_bot(restored_bot)


async def test_restore_refused_while_the_bot_runs(
    settings: Settings, fake: FakeBotAPI, tmp_path: Path
) -> None:
    env = _bot_env(settings, fake)
    proc = spawn_bot(env)
    try:
        await fake.wait_for(lambda: len(fake.calls("getUpdates")) >= 1, timeout=20, what="up")
        copy = tmp_path / "copie.db"
        assert (await asyncio.to_thread(run_cli, "backup", str(copy), env=env)).returncode == 0
        live_before = settings.database_path.stat().st_ino

        out = await asyncio.to_thread(run_cli, "restore", str(copy), env=env)
        assert out.returncode == 2
        assert out.stderr.startswith("Base de données : un bot utilise déjà cette base (processus ")
        assert str(proc.pid) in out.stderr
        assert settings.database_path.stat().st_ino == live_before  # untouched

        # A second bot on the same database is refused the same way (it would steal updates).
        second = await asyncio.to_thread(run_cli, "run", env=env)
        assert second.returncode == 2 and "un bot utilise déjà cette base" in second.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    # Stopped (the kernel released the lock): the same command goes through, the old base
    # is kept aside with its name.
    out = await asyncio.to_thread(run_cli, "restore", str(copy), env=env)
    assert out.returncode == 0, out.stderr
    [aside] = list(settings.database_path.parent.glob("bot-avant-restauration-*.db"))
    assert f"L'ancienne base est conservée sous {aside}" in out.stdout
    assert lock_path(settings.database_path).exists()


async def test_restore_refuses_bad_backups(
    settings: Settings, fake: FakeBotAPI, tmp_path: Path
) -> None:
    env = _bot_env(settings, fake)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\0" * 100 + b"nothing here" * 500)
    newer = tmp_path / "newer.db"
    con = sqlite3.connect(newer)
    con.executescript("".join(MIGRATIONS) + f"PRAGMA user_version = {SCHEMA_VERSION + 1};")
    con.close()
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.executescript("CREATE TABLE t (x); PRAGMA user_version = 1;")
    con.close()
    for path, says in (
        (garbage, "n'est pas une base SQLite lisible"),
        (newer, "vient d'une version plus récente du bot"),
        (other, "n'est pas une base de ce bot"),
        (tmp_path / "absent.db", "n'existe pas"),
    ):
        out = await asyncio.to_thread(run_cli, "restore", str(path), env=env)
        assert out.returncode == 2, path
        assert says in out.stderr, out.stderr
    assert not settings.database_path.exists()  # nothing was put in place


async def test_restore_as_another_user_than_the_owner_is_refused(
    settings: Settings, fake: FakeBotAPI, tmp_path: Path
) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give the folder to another user")
    env = _bot_env(settings, fake)
    copy = tmp_path / "copie.db"
    con = sqlite3.connect(copy)
    con.executescript("".join(MIGRATIONS) + f"PRAGMA user_version = {SCHEMA_VERSION};")
    con.close()
    folder = tmp_path / "data"
    folder.mkdir()
    os.chown(folder, 65534, 65534)
    out = await asyncio.to_thread(
        run_cli, "restore", str(copy), env={**env, "DATABASE_PATH": str(folder / "bot.db")}
    )
    assert out.returncode == 2
    assert f"{folder} appartient à l'utilisateur n° 65534" in out.stderr
    assert list(folder.iterdir()) == []


async def test_corrupted_backup_is_refused(
    settings: Settings, fake: FakeBotAPI, tmp_path: Path
) -> None:
    env = _bot_env(settings, fake)
    copy = tmp_path / "copie.db"
    con = sqlite3.connect(copy)
    con.executescript("".join(MIGRATIONS) + f"PRAGMA user_version = {SCHEMA_VERSION};")
    con.executemany(
        "INSERT INTO patients(label, created_at) VALUES (?, '2026-12-01T08:00:00Z')",
        [(f"P{i}" * 20,) for i in range(2000)],
    )
    con.commit()
    # Migration 7 rebuilds tables, so which page holds what depends on the schema: aim at
    # the patients table's own root page rather than a fixed page number.
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'patients'").fetchone()[0]
    con.close()
    data = bytearray(copy.read_bytes())
    # The header of a b-tree page: structure, not content (SQLite keeps no checksums, so
    # damaged text inside a row would go unseen by any check).
    start = (root - 1) * 4096
    data[start : start + 40] = b"\x07" * 40
    copy.write_bytes(bytes(data))
    out = await asyncio.to_thread(run_cli, "restore", str(copy), env=env)
    assert out.returncode == 2
    assert out.stderr.startswith(f"Base de données : {copy} est abîmée : "), out.stderr
    assert not settings.database_path.exists()


async def test_migration_takes_a_backup_first(
    settings: Settings, fake: FakeBotAPI, tmp_path: Path
) -> None:
    """A database of the previous version: the first command that opens it copies it first."""
    old = SCHEMA_VERSION - 1
    con = sqlite3.connect(settings.database_path)
    con.executescript("".join(MIGRATIONS[:old]) + f"PRAGMA user_version = {old};")
    con.execute("INSERT INTO patients(label, created_at) VALUES ('ANCIEN', '2026-11-01T08:00:00Z')")
    con.commit()
    con.close()
    backups = tmp_path / "sauvegardes"
    env = _bot_env(settings, fake, BACKUP_DIR=str(backups))
    out = await asyncio.to_thread(run_cli, "report", "escalations", env=env)
    assert out.returncode == 0, out.stderr
    [copy] = list(backups.iterdir())
    assert "before its migration" in out.stderr
    con = sqlite3.connect(copy)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == old
        assert con.execute("SELECT label FROM patients").fetchall() == [("ANCIEN",)]
    finally:
        con.close()
    con = sqlite3.connect(settings.database_path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        con.close()
    # Opened again at the current version: no new copy.
    assert (await asyncio.to_thread(run_cli, "report", "escalations", env=env)).returncode == 0
    assert len(list(backups.iterdir())) == 1
    # The rollback path: the old copy restores (older schema: migrated again at next start).
    out = await asyncio.to_thread(run_cli, "restore", str(copy), env=env)
    assert out.returncode == 0, out.stderr


def test_backup_goes_to_backup_dir_by_default(tmp_path: Path) -> None:
    """`backup` with no path writes to BACKUP_DIR (default: backups/ beside the database)."""
    db = tmp_path / "data" / "bot.db"
    db.parent.mkdir()
    con = sqlite3.connect(db)
    con.executescript("".join(MIGRATIONS) + f"PRAGMA user_version = {SCHEMA_VERSION};")
    con.close()
    out = run_cli("backup", env={"DATABASE_PATH": str(db), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    [copy] = list((tmp_path / "data" / "backups").iterdir())
    assert copy.name.startswith("bot-backup-") and f"{copy}" in out.stdout
