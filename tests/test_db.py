from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import SCHEMA_VERSION, Database, DatabaseError, from_db, to_db
from tests.helpers import outbox_counts, schema_version

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


async def test_creates_private_file_with_wal_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "bot.db"
    db = await Database.open(path)
    try:
        assert await schema_version(db) == SCHEMA_VERSION
        row = await db.fetchone("PRAGMA journal_mode")
        assert row is not None and row[0] == "wal"
        row = await db.fetchone("PRAGMA foreign_keys")
        assert row is not None and row[0] == 1
        await db.enqueue(chat_id=1, text="x", purpose="notice", now=NOW)
        for p in (path, path.with_name("bot.db-wal")):
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    finally:
        await db.close()


async def test_reopen_keeps_data_and_version(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    await db.enqueue(chat_id=1, text="bonjour", purpose="notice", now=NOW)
    await db.close()
    db = await Database.open(path)
    try:
        assert await outbox_counts(db) == {"pending": 1}
    finally:
        await db.close()


async def test_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE future (x)")
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match="plus récente"):
        await Database.open(path)
    assert path.read_bytes() == before


async def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError):
        await Database.open(path)


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    try:
        with pytest.raises(RuntimeError):
            async with db.tx() as c:
                await c.execute(
                    "INSERT INTO outbox (chat_id, text, purpose, not_before, created_at)"
                    " VALUES (1, 'x', 'notice', ?, ?)",
                    (to_db(NOW), to_db(NOW)),
                )
                raise RuntimeError("boom")
        assert await outbox_counts(db) == {}
    finally:
        await db.close()


async def test_outbox_claim_is_exclusive_and_recovers_after_crash(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    db = await Database.open(path)
    for i in range(3):
        await db.enqueue(chat_id=1, text=f"m{i}", purpose="notice", now=NOW)
    await db.enqueue(chat_id=1, text="later", purpose="notice", now=NOW + timedelta(hours=1))
    rows = await db.claim_outbox(NOW, 10)
    assert [r.text for r in rows] == ["m0", "m1", "m2"]
    assert await db.claim_outbox(NOW, 10) == []  # claimed rows are not handed out twice
    await db.outbox_sent(int(rows[0].id), 42, NOW)
    await db.close()  # "crash": m1 and m2 were claimed but never settled

    db = await Database.open(path)
    try:
        assert await db.recover_outbox() == 2
        again = await db.claim_outbox(NOW, 10)
        assert [r.text for r in again] == ["m1", "m2"]
        assert [r.attempts for r in again] == [2, 2]
    finally:
        await db.close()


def test_time_format_round_trips_and_sorts() -> None:
    a = datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC)
    b = a + timedelta(seconds=1)
    assert from_db(to_db(a)) == a
    assert to_db(a) < to_db(b)
    with pytest.raises(ValueError):
        to_db(datetime(2026, 1, 1))  # naive datetimes are a bug, not a value
