"""Migration 7 (CHECK constraints on status columns) on a database made by version 6.

The database is built with the shipped migrations 1-6 through plain sqlite3, as the previous
release left it, filled with a row of every status; the current code then opens it.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import (
    MIGRATIONS,
    SCHEMA_VERSION,
    AlertKind,
    AlertState,
    Database,
    DatabaseError,
    OutboxStatus,
    PatientStatus,
    RedactionStatus,
    StepStatus,
)

T = "2026-11-01T08:00:00Z"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
INDEXES = {
    "alerts_chat_status",
    "outbox_due",
    "outbox_staff_due",
    "steps_due",
    "steps_unanswered",
    "redactions_due",
    "invites_opened",
    "inbox_pending",
    "unanswered_created",
}


def version_6(path: Path) -> None:
    """A version-6 database holding a row of every status of every constrained column."""
    con = sqlite3.connect(path)
    con.executescript("".join(MIGRATIONS[:6]) + "PRAGMA user_version = 6;")
    for i, status in enumerate(PatientStatus, start=1):
        con.execute(
            "INSERT INTO patients (id, label, chat_id, appointment_at, status, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (i, f"P{i}", 100 + i, T, status, T),
        )
    for i, step in enumerate(StepStatus, start=1):
        con.execute(
            "INSERT INTO steps (id, patient_id, step_id, kind, due_at, expires_at, status,"
            " sent_at, answer) VALUES (?, 1, ?, 'checkin', ?, ?, ?, ?, ?)",
            (i, f"s{i}", T, T, step, T if step == "sent" else None, None),
        )
    alert_id = 0
    for state in AlertState:
        for kind in AlertKind:
            alert_id += 1
            con.execute(
                "INSERT INTO alerts (id, patient_id, chat_id, severity, categories, status,"
                " created_at, kind) VALUES (?, 2, 102, 'grave', 'x', ?, ?, ?)",
                (alert_id, state, T, kind),
            )
    for i, sent in enumerate(OutboxStatus, start=1):
        con.execute(
            "INSERT INTO outbox (id, chat_id, text, purpose, alert_id, patient_id, status,"
            " not_before, created_at, priority, plain) VALUES (?, -5, ?, 'alert', 1, 2, ?, ?, ?,"
            " 7, 1)",
            (i, f"texte {i}", sent, T, T),
        )
    for i, redaction in enumerate(RedactionStatus, start=1):
        con.execute(
            "INSERT INTO redactions (chat_id, message_id, reason, status, not_before,"
            " created_at) VALUES (-5, ?, 'erasure', ?, ?, ?)",
            (i, redaction, T, T),
        )
    con.execute("INSERT INTO alert_posts VALUES (-5, 77, 1)")
    con.execute(
        "INSERT INTO invites (token_hash, patient_id, created_at, expires_at)"
        " VALUES ('h', 2, ?, ?)",
        (T, T),
    )
    con.execute(
        "INSERT INTO relay_drafts (alert_id, author_id, text, created_at) VALUES (1, 9, 'r', ?)",
        (T,),
    )
    con.commit()
    con.close()


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    con = sqlite3.connect(path)
    try:
        return {
            table: con.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in (
                "patients",
                "steps",
                "alerts",
                "outbox",
                "redactions",
                "alert_posts",
                "invites",
                "relay_drafts",
            )
        }
    finally:
        con.close()


async def test_version_6_database_migrates_with_every_row(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    version_6(path)
    before = dump(path)
    assert len(before["alerts"]) == len(AlertState) * len(AlertKind)
    db = await Database.open(path)
    try:
        row = await db.fetchone("PRAGMA user_version")
        assert row is not None and row[0] == SCHEMA_VERSION == 7
        row = await db.fetchone("PRAGMA foreign_keys")
        assert row is not None and row[0] == 1
        names = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master")}
        assert names >= INDEXES
        assert not {n for n in names if n.startswith("new_")}
        # Typed reads of the migrated rows.
        patient = await db.patient(2)
        assert patient is not None and patient.status is PatientStatus.ACTIVE
        assert patient.appointment_at == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
        steps = await db.patient_steps(1)
        assert [s.status for s in steps] == list(StepStatus)
        alert = await db.alert(len(AlertKind) + 2)
        assert alert is not None
        assert (alert.status, alert.kind) == (AlertState.ACKNOWLEDGED, AlertKind.CHECK)
    finally:
        await db.close()
    assert dump(path) == before


async def test_migrated_columns_refuse_unknown_statuses(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    version_6(path)
    await (await Database.open(path)).close()  # migrated on open
    con = sqlite3.connect(path)
    try:
        for sql in (
            "UPDATE patients SET status = 'actif' WHERE id = 1",
            "UPDATE steps SET status = 'envoyé' WHERE id = 1",
            "UPDATE alerts SET status = 'ouverte' WHERE id = 1",
            "UPDATE alerts SET kind = 'urgence' WHERE id = 1",
            "UPDATE outbox SET status = 'queued' WHERE id = 1",
            "UPDATE redactions SET status = 'done' WHERE message_id = 1",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
                con.execute(sql)
        # Known values still pass.
        con.execute("UPDATE patients SET status = 'stopped' WHERE id = 1")
    finally:
        con.close()


async def test_foreign_keys_still_cascade_after_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    version_6(path)
    db = await Database.open(path)
    try:
        await db.erase_patient(1, NOW)
        assert await db.patient_steps(1) == []
        await db.erase_patient(2, NOW)
        row = await db.fetchone("SELECT COUNT(*) FROM alert_posts")
        assert row is not None and row[0] == 0  # alert -> alert_posts cascade
        row = await db.fetchone("SELECT COUNT(*) FROM invites")
        assert row is not None and row[0] == 0  # patient -> invites cascade
    finally:
        await db.close()


async def test_broken_reference_stops_the_migration_untouched(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    version_6(path)
    con = sqlite3.connect(path)
    con.execute("INSERT INTO alert_posts VALUES (-5, 78, 9999)")  # no alert 9999
    con.commit()
    con.close()
    before = dump(path)
    with pytest.raises(DatabaseError, match="migration 7"):
        await Database.open(path)
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] == 6
    finally:
        con.close()
    assert dump(path) == before
