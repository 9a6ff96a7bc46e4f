"""The database: one aiosqlite connection, numbered migrations, and all of the bot's SQL.

Why one connection and one lock: SQLite allows a single writer. Funnelling every statement
through one connection and an ``asyncio.Lock`` turns "database is locked" races between our
own tasks into plain queueing, and ``BEGIN IMMEDIATE`` takes the write lock up front so a
transaction never fails halfway because another process (a backup) holds it; it waits for
``busy_timeout`` instead.

Times are stored as UTC ISO-8601 strings of fixed width (``2026-12-07T08:30:00Z``) so that
SQL string comparison is time comparison.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

log = logging.getLogger("bot.db")

BUSY_TIMEOUT_MS = 15_000
# SQLite cuts the WAL file back to this size whenever it restarts it. The auto-checkpoint
# keeps it near 1,000 pages (4 MiB) in ordinary use, so ordinary use never shrinks and
# regrows it; a burst (a migration, a large purge) would otherwise leave the file at its
# peak size for good, its tail holding stale copies of pages. Erasures truncate it to zero.
JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024
# A TRUNCATE checkpoint is refused while another process reads (a backup, an admin's shell):
# a few short tries, each waiting at most CHECKPOINT_WAIT_MS so patients' messages never
# queue behind it for long.
CHECKPOINT_TRIES = 5
CHECKPOINT_WAIT_MS = 200
PRIVATE_MODE = 0o600

# Each entry is one schema version; never edit a shipped one, append a new one.
MIGRATIONS: list[str] = [
    # 1: patients, unanswered questions, alerts and the outgoing-message queue.
    """
    CREATE TABLE patients (
        id              INTEGER PRIMARY KEY,
        label           TEXT NOT NULL,
        chat_id         INTEGER UNIQUE,
        appointment_at  TEXT,
        status          TEXT NOT NULL DEFAULT 'invited',
        created_at      TEXT NOT NULL,
        consented_at    TEXT
    );
    CREATE TABLE unanswered (
        id          INTEGER PRIMARY KEY,
        patient_id  INTEGER REFERENCES patients(id) ON DELETE CASCADE,
        chat_id     INTEGER,
        kind        TEXT NOT NULL,
        normalized  TEXT NOT NULL,
        text        TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE INDEX unanswered_created ON unanswered(created_at);
    CREATE TABLE alerts (
        id                    INTEGER PRIMARY KEY,
        patient_id            INTEGER REFERENCES patients(id) ON DELETE CASCADE,
        chat_id               INTEGER NOT NULL,
        severity              TEXT NOT NULL,
        categories            TEXT NOT NULL,
        status                TEXT NOT NULL DEFAULT 'open',
        created_at            TEXT NOT NULL,
        acknowledged_at       TEXT,
        acknowledged_by       INTEGER,
        acknowledged_by_name  TEXT,
        closed_at             TEXT,
        renotify_count        INTEGER NOT NULL DEFAULT 0,
        next_renotify_at      TEXT
    );
    CREATE INDEX alerts_chat_status ON alerts(chat_id, status);
    CREATE TABLE alert_posts (
        chat_id     INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        alert_id    INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        PRIMARY KEY (chat_id, message_id)
    );
    CREATE TABLE outbox (
        id          INTEGER PRIMARY KEY,
        chat_id     INTEGER NOT NULL,
        text        TEXT NOT NULL,
        buttons     TEXT,
        reply_to    INTEGER,
        purpose     TEXT NOT NULL,
        alert_id    INTEGER REFERENCES alerts(id) ON DELETE CASCADE,
        patient_id  INTEGER REFERENCES patients(id) ON DELETE CASCADE,
        status      TEXT NOT NULL DEFAULT 'pending',
        attempts    INTEGER NOT NULL DEFAULT 0,
        not_before  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        sent_at     TEXT,
        message_id  INTEGER,
        last_error  TEXT
    );
    CREATE INDEX outbox_due ON outbox(status, not_before);
    """,
    # 2: personal links and each patient's plan steps.
    """
    CREATE TABLE invites (
        token_hash      TEXT PRIMARY KEY,
        patient_id      INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
        created_at      TEXT NOT NULL,
        expires_at      TEXT NOT NULL,
        opened_chat_id  INTEGER,
        used_at         TEXT
    );
    CREATE INDEX invites_opened ON invites(opened_chat_id);
    CREATE TABLE steps (
        id               INTEGER PRIMARY KEY,
        patient_id       INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
        step_id          TEXT NOT NULL,
        kind             TEXT NOT NULL,
        due_at           TEXT NOT NULL,
        expires_at       TEXT NOT NULL,
        status           TEXT NOT NULL DEFAULT 'pending',
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT,
        sent_at          TEXT,
        message_id       INTEGER,
        last_error       TEXT,
        answer           TEXT,
        score            INTEGER,
        answered_at      TEXT,
        no_answer_noted  INTEGER NOT NULL DEFAULT 0,
        UNIQUE (patient_id, step_id)
    );
    CREATE INDEX steps_due ON steps(status, due_at);
    """,
    # 3: unanswered check-ins are looked up every tick; only the few waiting ones are indexed.
    """
    CREATE INDEX steps_unanswered ON steps(sent_at)
        WHERE kind = 'checkin' AND status = 'sent' AND answer IS NULL AND no_answer_noted = 0;
    """,
    # 4: the durable inbox; alert kinds, thread activity and the escalation policy's marks;
    # relay drafts (no staff text reaches a patient without "Envoyer"); staff post priority.
    """
    CREATE TABLE inbox (
        update_id    INTEGER PRIMARY KEY,
        payload      TEXT,
        status       TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'done', 'failed')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        received_at  TEXT NOT NULL,
        handled_at   TEXT,
        alert_id     INTEGER
    );
    CREATE INDEX inbox_pending ON inbox(update_id) WHERE status = 'pending';
    ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'urgent';
    ALTER TABLE alerts ADD COLUMN last_activity_at TEXT;
    ALTER TABLE alerts ADD COLUMN told TEXT;
    ALTER TABLE alerts ADD COLUMN oncall_at TEXT;
    ALTER TABLE alerts ADD COLUMN ack_reminded_at TEXT;
    UPDATE alerts SET kind = 'question' WHERE severity = 'question';
    UPDATE alerts SET last_activity_at = COALESCE(acknowledged_at, created_at);
    CREATE TABLE relay_drafts (
        id          INTEGER PRIMARY KEY,
        alert_id    INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        author_id   INTEGER NOT NULL,
        text        TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'sent', 'cancelled')),
        created_at  TEXT NOT NULL
    );
    ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN plain INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outbox_staff_due ON outbox(chat_id, status, priority, not_before);
    """,
    # 5 (#12 erasure): the bot's posts in the staff group about an erased patient (or one past
    # the retention period), to be edited to "message effacé" or deleted. Ids only: nothing
    # here says who the patient was.
    """
    CREATE TABLE redactions (
        chat_id     INTEGER NOT NULL,
        message_id  INTEGER NOT NULL,
        reason      TEXT NOT NULL,
        status      TEXT NOT NULL DEFAULT 'pending',
        attempts    INTEGER NOT NULL DEFAULT 0,
        not_before  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        last_error  TEXT,
        PRIMARY KEY (chat_id, message_id)
    );
    CREATE INDEX redactions_due ON redactions(status, not_before);
    """,
    # 6 (#13 operations): when the running bot last talked to Telegram, started, stopped,
    # so that `python -m bot health`, another process, can tell. Times only, no content.
    """
    CREATE TABLE heartbeat (
        key  TEXT PRIMARY KEY,
        at   TEXT NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseError(Exception):
    """The database cannot be used as it is (message meant for the operator)."""


def to_db(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_db(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _create_private(path: Path) -> None:
    """Create the file readable by its owner only, before SQLite opens it.

    SQLite gives the -wal and -shm files the permissions of the main file, so this is
    enough to keep all three private. A file that already exists is made private too.
    """
    if path.exists():
        enforce_private(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_MODE)
    os.close(fd)
    os.chmod(path, PRIVATE_MODE)


def enforce_private(path: Path) -> None:
    """Make a database (or backup) and its -wal and -shm files readable by their owner only.

    A file created by an older version, copied with ``cp`` or restored from elsewhere may
    be readable by others; it holds health data, so it is tightened and the fix logged.
    """
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = p.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode & ~PRIVATE_MODE:
            os.chmod(p, PRIVATE_MODE)
            log.warning("permissions of %s were %o; set to 600 (owner only)", p, mode)


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed), configure and migrate the database."""
        is_memory = str(path) == ":memory:"
        if not is_memory:
            await asyncio.to_thread(_create_private, path)
        try:
            conn = await aiosqlite.connect(str(path), isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseError(f"impossible d'ouvrir la base {path} : {exc}") from exc
        conn.row_factory = aiosqlite.Row
        db = cls(conn, path)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA foreign_keys = ON")
            # Deleted rows are overwritten with zeros, not just unlinked: without it an
            # erased patient's words stay readable in free pages of bot.db (and its backups)
            # until a VACUUM. Per connection, so set on every open.
            await conn.execute("PRAGMA secure_delete = ON")
            await conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
            version = await db._check_version()
            # Only now, knowing the file is ours, may we write to it (WAL changes the header).
            if not is_memory:
                await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await db._migrate(version)
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise DatabaseError(f"{path} n'est pas une base SQLite utilisable : {exc}") from exc
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        await self.conn.close()

    async def _check_version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"{self.path} a été écrite par une version plus récente du bot "
                f"(schéma {version}, ce programme connaît {SCHEMA_VERSION}) : "
                "mettez le bot à jour; la base n'a pas été modifiée."
            )
        return version

    async def _migrate(self, version: int) -> None:
        for number in range(version + 1, SCHEMA_VERSION + 1):
            # executescript commits on its own, so the version bump rides inside the script.
            await self.conn.executescript(
                "BEGIN IMMEDIATE;\n"
                + MIGRATIONS[number - 1]
                + f"\nPRAGMA user_version = {number};\nCOMMIT;"
            )

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; everything inside commits together or not at all."""
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.rollback()
                raise
            else:
                await self.conn.commit()

    async def fetchall(self, sql: str, params: tuple[object, ...] = ()) -> list[aiosqlite.Row]:
        async with self._lock, self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: tuple[object, ...] = ()) -> aiosqlite.Row | None:
        async with self._lock, self.conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def schema_version(self) -> int:
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    # --- patients ---------------------------------------------------------------------------

    async def patient_by_chat(self, chat_id: int) -> aiosqlite.Row | None:
        return await self.fetchone("SELECT * FROM patients WHERE chat_id = ?", (chat_id,))

    async def patient(self, patient_id: int) -> aiosqlite.Row | None:
        return await self.fetchone("SELECT * FROM patients WHERE id = ?", (patient_id,))

    async def set_patient_status(self, patient_id: int, status: str) -> None:
        async with self.tx() as c:
            await c.execute("UPDATE patients SET status = ? WHERE id = ?", (status, patient_id))

    # --- unanswered questions ---------------------------------------------------------------

    async def record_unanswered(
        self,
        *,
        chat_id: int | None,
        patient_id: int | None,
        kind: str,
        normalized: str,
        text: str,
        now: datetime,
    ) -> int:
        async with self.tx() as c:
            cur = await c.execute(
                "INSERT INTO unanswered (patient_id, chat_id, kind, normalized, text, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (patient_id, chat_id, kind, normalized, text, to_db(now)),
            )
            return int(cur.lastrowid or 0)

    async def unanswered(self, unanswered_id: int) -> aiosqlite.Row | None:
        return await self.fetchone("SELECT * FROM unanswered WHERE id = ?", (unanswered_id,))

    async def unanswered_report(self, limit: int = 50) -> list[aiosqlite.Row]:
        """Unanswered questions grouped by normalised text, most frequent first."""
        return await self.fetchall(
            "SELECT normalized, COUNT(*) AS n, MAX(text) AS example, "
            "SUM(kind = 'fallback') AS fallbacks, SUM(kind = 'clarify') AS clarified, "
            "MAX(created_at) AS last_seen FROM unanswered "
            "GROUP BY normalized ORDER BY n DESC, last_seen DESC LIMIT ?",
            (limit,),
        )

    # --- alerts -----------------------------------------------------------------------------

    async def open_thread(self, chat_id: int, kinds: tuple[str, ...]) -> aiosqlite.Row | None:
        """The newest alert of these kinds still in progress (open or acknowledged)."""
        marks = ",".join("?" * len(kinds))
        return await self.fetchone(
            "SELECT * FROM alerts WHERE chat_id = ? AND status IN ('open', 'acknowledged')"
            f" AND kind IN ({marks}) ORDER BY id DESC LIMIT 1",
            (chat_id, *kinds),
        )

    async def open_alerts(self, limit: int = 50) -> list[aiosqlite.Row]:
        """Alerts in progress, oldest first (/alertes), with the patient's label."""
        return await self.fetchall(
            "SELECT a.*, p.label FROM alerts a LEFT JOIN patients p ON p.id = a.patient_id"
            " WHERE a.status IN ('open', 'acknowledged') ORDER BY a.created_at, a.id LIMIT ?",
            (limit,),
        )

    async def quiet_alerts(self, before: datetime) -> list[aiosqlite.Row]:
        """Alerts in progress with no activity since ``before`` (to close by themselves)."""
        return await self.fetchall(
            "SELECT * FROM alerts WHERE status IN ('open', 'acknowledged')"
            " AND COALESCE(last_activity_at, created_at) < ? ORDER BY id",
            (to_db(before),),
        )

    async def unpaged_exhausted(
        self, now: datetime, kinds: tuple[str, ...], limit: int
    ) -> list[aiosqlite.Row]:
        """Open alerts re-posted ``limit`` times, one more interval gone: page on-call."""
        marks = ",".join("?" * len(kinds))
        return await self.fetchall(
            "SELECT * FROM alerts WHERE status = 'open' AND oncall_at IS NULL"
            " AND renotify_count >= ? AND next_renotify_at <= ?"
            f" AND kind IN ({marks}) ORDER BY id",
            (limit, to_db(now), *kinds),
        )

    async def mark_paged(self, alert_id: int, now: datetime) -> bool:
        async with self.tx() as c:
            cur = await c.execute(
                "UPDATE alerts SET oncall_at = ? WHERE id = ? AND oncall_at IS NULL",
                (to_db(now), alert_id),
            )
            return cur.rowcount == 1

    async def acknowledged_unclosed(self, before: datetime) -> list[aiosqlite.Row]:
        """Alerts taken before ``before`` and still not closed, not yet reminded."""
        return await self.fetchall(
            "SELECT * FROM alerts WHERE status = 'acknowledged' AND ack_reminded_at IS NULL"
            " AND acknowledged_at < ? AND kind != 'question' ORDER BY id",
            (to_db(before),),
        )

    async def mark_ack_reminded(self, alert_id: int, now: datetime) -> bool:
        async with self.tx() as c:
            cur = await c.execute(
                "UPDATE alerts SET ack_reminded_at = ? WHERE id = ? AND ack_reminded_at IS NULL",
                (to_db(now), alert_id),
            )
            return cur.rowcount == 1

    async def touch(self, alert_id: int, now: datetime) -> None:
        async with self.tx() as c:
            await self.touch_alert(c, alert_id, now)

    async def touch_alert(self, c: aiosqlite.Connection, alert_id: int, now: datetime) -> None:
        await c.execute(
            "UPDATE alerts SET last_activity_at = ? WHERE id = ?", (to_db(now), alert_id)
        )

    async def alert(self, alert_id: int) -> aiosqlite.Row | None:
        return await self.fetchone("SELECT * FROM alerts WHERE id = ?", (alert_id,))

    async def alert_by_post(self, chat_id: int, message_id: int) -> aiosqlite.Row | None:
        return await self.fetchone(
            "SELECT a.* FROM alerts a JOIN alert_posts p ON p.alert_id = a.id "
            "WHERE p.chat_id = ? AND p.message_id = ?",
            (chat_id, message_id),
        )

    async def alert_posts(self, alert_id: int) -> list[aiosqlite.Row]:
        return await self.fetchall(
            "SELECT * FROM alert_posts WHERE alert_id = ? ORDER BY message_id", (alert_id,)
        )

    async def alert_post_state(self, alert_id: int) -> tuple[str, int | None]:
        """(status, message id) of an alert's first post: threads wait for it, not forever."""
        row = await self.fetchone(
            "SELECT status, message_id FROM outbox WHERE alert_id = ? AND purpose = 'alert'"
            " ORDER BY id LIMIT 1",
            (alert_id,),
        )
        if row is None:
            return "missing", None
        message_id = row["message_id"]
        return str(row["status"]), int(message_id) if message_id is not None else None

    async def create_alert(
        self,
        *,
        chat_id: int,
        patient_id: int | None,
        kind: str,
        severity: str,
        categories: str,
        told: str | None,
        now: datetime,
        renotify_at: datetime | None,
        staff_chat_id: int,
        post_text: str,
        post_buttons: str | None,
        priority: int,
        update_id: int | None = None,
        status: str = "open",
    ) -> int:
        """Insert an alert and its staff post in the outbox, in one transaction.

        ``update_id`` is the inbox update that raised it: handling that update again after a
        crash finds the alert already there (:meth:`inbox_alert`) instead of raising a second.
        """
        async with self.tx() as c:
            cur = await c.execute(
                "INSERT INTO alerts (patient_id, chat_id, kind, severity, categories, told,"
                " status, created_at, last_activity_at, next_renotify_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    patient_id,
                    chat_id,
                    kind,
                    severity,
                    categories,
                    told,
                    status,
                    to_db(now),
                    to_db(now),
                    to_db(renotify_at) if renotify_at else None,
                ),
            )
            alert_id = int(cur.lastrowid or 0)
            await self._enqueue(
                c,
                chat_id=staff_chat_id,
                text=post_text.replace("{alert_id}", str(alert_id)),
                buttons=post_buttons.replace("{alert_id}", str(alert_id)) if post_buttons else None,
                purpose="alert",
                alert_id=alert_id,
                patient_id=patient_id,
                priority=priority,
                now=now,
            )
            if update_id is not None:
                await self._inbox_link(c, update_id, alert_id)
            return alert_id

    async def add_to_thread(
        self,
        *,
        alert_id: int,
        staff_chat_id: int,
        text: str,
        buttons: str | None,
        priority: int,
        now: datetime,
        update_id: int | None = None,
        reraise_at: datetime | None = None,
    ) -> None:
        """A further message in an alert's thread; with ``reraise_at``, re-open it for staff."""
        async with self.tx() as c:
            row = await (
                await c.execute("SELECT patient_id FROM alerts WHERE id = ?", (alert_id,))
            ).fetchone()
            await self._enqueue(
                c,
                chat_id=staff_chat_id,
                text=text,
                buttons=buttons,
                purpose="followup",
                alert_id=alert_id,
                patient_id=row["patient_id"] if row is not None else None,
                priority=priority,
                now=now,
            )
            await self.touch_alert(c, alert_id, now)
            if reraise_at is not None:
                await c.execute(
                    "UPDATE alerts SET next_renotify_at = ? WHERE id = ? AND status = 'open'",
                    (to_db(reraise_at), alert_id),
                )
            if update_id is not None:
                await self._inbox_link(c, update_id, alert_id)

    async def acknowledge_alert(
        self, alert_id: int, user_id: int, user_name: str, now: datetime
    ) -> tuple[bool, aiosqlite.Row | None]:
        """Claim an open alert; (True, row) for the first claimant, (False, row) after."""
        async with self.tx() as c:
            cur = await c.execute(
                "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?,"
                " acknowledged_by = ?, acknowledged_by_name = ?, next_renotify_at = NULL"
                " WHERE id = ? AND status = 'open'",
                (to_db(now), user_id, user_name, alert_id),
            )
            won = cur.rowcount == 1
            async with c.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)) as q:
                row = await q.fetchone()
        return won, row

    async def close_alert(self, alert_id: int, now: datetime, status: str = "closed") -> bool:
        """Open or acknowledged -> closed (by staff) or auto_closed (quiet period)."""
        async with self.tx() as c:
            cur = await c.execute(
                "UPDATE alerts SET status = ?, closed_at = ?, next_renotify_at = NULL"
                " WHERE id = ? AND status IN ('open', 'acknowledged')",
                (status, to_db(now), alert_id),
            )
            return cur.rowcount == 1

    async def due_renotifications(self, now: datetime, limit: int) -> list[aiosqlite.Row]:
        """Open alerts due for a re-post (fewer than ``limit`` re-posts so far)."""
        return await self.fetchall(
            "SELECT * FROM alerts WHERE status = 'open' AND next_renotify_at IS NOT NULL"
            " AND next_renotify_at <= ? AND renotify_count < ?"
            " AND kind NOT IN ('question', 'note') ORDER BY id",
            (to_db(now), limit),
        )

    async def record_renotification(
        self,
        alert_id: int,
        *,
        next_at: datetime | None,
        staff_chat_id: int,
        text: str,
        buttons: str,
        priority: int,
        now: datetime,
    ) -> None:
        async with self.tx() as c:
            cur = await c.execute(
                "UPDATE alerts SET renotify_count = renotify_count + 1, next_renotify_at = ?"
                " WHERE id = ? AND status = 'open'",
                (to_db(next_at) if next_at else None, alert_id),
            )
            if cur.rowcount == 1:
                await self._enqueue(
                    c,
                    chat_id=staff_chat_id,
                    text=text,
                    buttons=buttons,
                    purpose="renotify",
                    alert_id=alert_id,
                    priority=priority,
                    now=now,
                )

    async def alerts_report(self, limit: int = 200) -> list[aiosqlite.Row]:
        return await self.fetchall(
            "SELECT a.*, p.label FROM alerts a LEFT JOIN patients p ON p.id = a.patient_id"
            " ORDER BY a.id DESC LIMIT ?",
            (limit,),
        )

    # --- inbox: every update stored before Telegram is told it was received ---------------

    async def inbox_store(self, updates: list[tuple[int, str]], now: datetime) -> set[int]:
        """Store a batch of updates in one transaction; the ids that were not known yet."""
        new: set[int] = set()
        async with self.tx() as c:
            for update_id, payload in updates:
                cur = await c.execute(
                    "INSERT OR IGNORE INTO inbox (update_id, payload, received_at)"
                    " VALUES (?, ?, ?)",
                    (update_id, payload, to_db(now)),
                )
                if cur.rowcount == 1:
                    new.add(update_id)
        return new

    async def inbox_unhandled(self, max_attempts: int) -> tuple[list[tuple[int, str]], list[int]]:
        """At start: updates stored but never marked handled, counted as one more attempt.

        Returns (to handle again, given up). An update that was being handled when the
        process died ``max_attempts`` times running is a poison pill (it may be what kills
        us): it is given up, and the caller tells the patient to call the line.
        """
        async with self.tx() as c:
            await c.execute("UPDATE inbox SET attempts = attempts + 1 WHERE status = 'pending'")
            async with c.execute(
                "SELECT update_id, payload, attempts FROM inbox WHERE status = 'pending'"
                " ORDER BY update_id"
            ) as cur:
                rows = list(await cur.fetchall())
            retry = [(int(r[0]), str(r[1])) for r in rows if int(r[2]) <= max_attempts]
            failed = [int(r[0]) for r in rows if int(r[2]) > max_attempts]
            if failed:
                marks = ",".join("?" * len(failed))
                await c.execute(
                    f"UPDATE inbox SET status = 'failed' WHERE update_id IN ({marks})", failed
                )
        return retry, failed

    async def inbox_payload(self, update_id: int) -> str | None:
        row = await self.fetchone("SELECT payload FROM inbox WHERE update_id = ?", (update_id,))
        return str(row["payload"]) if row is not None and row["payload"] is not None else None

    async def inbox_done(self, update_id: int, now: datetime) -> None:
        """Handled: the payload (the patient's words) is not kept any longer than that."""
        async with self.tx() as c:
            await c.execute(
                "UPDATE inbox SET status = 'done', payload = NULL, handled_at = ?"
                " WHERE update_id = ?",
                (to_db(now), update_id),
            )

    async def inbox_alert(self, update_id: int) -> int | None:
        """The alert an update already raised or joined (handled again after a crash)."""
        row = await self.fetchone("SELECT alert_id FROM inbox WHERE update_id = ?", (update_id,))
        return int(row["alert_id"]) if row is not None and row["alert_id"] is not None else None

    async def _inbox_link(self, c: aiosqlite.Connection, update_id: int, alert_id: int) -> None:
        await c.execute("UPDATE inbox SET alert_id = ? WHERE update_id = ?", (alert_id, update_id))

    # --- relay drafts: a staff reply waits for "Envoyer au patient" --------------------------

    async def create_draft(self, alert_id: int, author_id: int, text: str, now: datetime) -> int:
        async with self.tx() as c:
            cur = await c.execute(
                "INSERT INTO relay_drafts (alert_id, author_id, text, created_at)"
                " VALUES (?, ?, ?, ?)",
                (alert_id, author_id, text, to_db(now)),
            )
            return int(cur.lastrowid or 0)

    async def settle_draft(self, draft_id: int, status: str) -> aiosqlite.Row | None:
        """draft -> sent or cancelled, once; the draft row for the winner, None after."""
        async with self.tx() as c:
            cur = await c.execute(
                "UPDATE relay_drafts SET status = ? WHERE id = ? AND status = 'draft'",
                (status, draft_id),
            )
            if cur.rowcount != 1:
                return None
            async with c.execute("SELECT * FROM relay_drafts WHERE id = ?", (draft_id,)) as q:
                return await q.fetchone()

    # --- outbox: every message the bot must deliver, until it is delivered -------------------

    async def _enqueue(
        self,
        c: aiosqlite.Connection,
        *,
        chat_id: int,
        text: str,
        purpose: str,
        now: datetime,
        buttons: str | None = None,
        reply_to: int | None = None,
        alert_id: int | None = None,
        patient_id: int | None = None,
        priority: int = 0,
    ) -> int:
        cur = await c.execute(
            "INSERT INTO outbox (chat_id, text, buttons, reply_to, purpose, alert_id,"
            " patient_id, priority, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                chat_id,
                text,
                buttons,
                reply_to,
                purpose,
                alert_id,
                patient_id,
                priority,
                to_db(now),
                to_db(now),
            ),
        )
        return int(cur.lastrowid or 0)

    async def enqueue(
        self,
        *,
        chat_id: int,
        text: str,
        purpose: str,
        now: datetime,
        buttons: str | None = None,
        reply_to: int | None = None,
        alert_id: int | None = None,
        patient_id: int | None = None,
        priority: int = 0,
    ) -> int:
        async with self.tx() as c:
            return await self._enqueue(
                c,
                chat_id=chat_id,
                text=text,
                purpose=purpose,
                now=now,
                buttons=buttons,
                reply_to=reply_to,
                alert_id=alert_id,
                patient_id=patient_id,
                priority=priority,
            )

    async def claim_outbox(
        self,
        now: datetime,
        limit: int,
        *,
        only_chat: int | None = None,
        exclude_chat: int | None = None,
    ) -> list[aiosqlite.Row]:
        """Mark due rows 'sending' and return them; the caller must settle each one."""
        where = "status = 'pending' AND not_before <= ?"
        params: tuple[object, ...] = (to_db(now),)
        if only_chat is not None:
            where += " AND chat_id = ?"
            params += (only_chat,)
        if exclude_chat is not None:
            where += " AND chat_id != ?"
            params += (exclude_chat,)
        async with self.tx() as c:
            async with c.execute(
                # Most severe first (a vital alert never waits behind lower ones), then in
                # order: a thread's posts keep their order (same priority, rising ids).
                f"SELECT * FROM outbox WHERE {where} ORDER BY priority DESC, not_before, id"
                " LIMIT ?",
                (*params, limit),
            ) as cur:
                rows = list(await cur.fetchall())
            if rows:
                marks = ",".join("?" * len(rows))
                ids = tuple(r["id"] for r in rows)
                await c.execute(
                    f"UPDATE outbox SET status = 'sending', attempts = attempts + 1"
                    f" WHERE id IN ({marks})",
                    ids,
                )
                async with c.execute(
                    f"SELECT * FROM outbox WHERE id IN ({marks})"
                    " ORDER BY priority DESC, not_before, id",
                    ids,
                ) as cur:
                    rows = list(await cur.fetchall())
        return rows

    async def outbox_sent(self, row_id: int, message_id: int, now: datetime) -> None:
        async with self.tx() as c:
            await c.execute(
                "UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, last_error = NULL"
                " WHERE id = ?",
                (message_id, to_db(now), row_id),
            )
            async with c.execute(
                "SELECT alert_id, chat_id FROM outbox WHERE id = ?", (row_id,)
            ) as cur:
                row = await cur.fetchone()
            if row is not None and row["alert_id"] is not None:
                # Staff posts of an alert: replies to any of them reach the patient.
                await c.execute(
                    "INSERT OR IGNORE INTO alert_posts (chat_id, message_id, alert_id)"
                    " SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM outbox WHERE id = ?"
                    " AND purpose IN ('alert', 'renotify', 'followup', 'forward'))",
                    (row["chat_id"], message_id, row["alert_id"], row_id),
                )

    async def outbox_retry(
        self, row_id: int, not_before: datetime, error: str, *, count_attempt: bool = True
    ) -> None:
        async with self.tx() as c:
            await c.execute(
                "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ?,"
                " attempts = attempts - ? WHERE id = ?",
                (to_db(not_before), error, 0 if count_attempt else 1, row_id),
            )

    async def outbox_downgrade(self, row_id: int, text: str, keep_buttons: bool) -> None:
        """Telegram rejected the row: try again at once as plain text (then without buttons)."""
        async with self.tx() as c:
            await c.execute(
                "UPDATE outbox SET status = 'pending', text = ?, plain = plain + 1,"
                " buttons = CASE WHEN ? THEN buttons ELSE NULL END, last_error = 'BadRequest'"
                " WHERE id = ?",
                (text, keep_buttons, row_id),
            )

    async def outbox_failed(self, row_id: int, error: str) -> None:
        async with self.tx() as c:
            await c.execute(
                "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
                (error, row_id),
            )

    async def recover_outbox(self) -> int:
        """After a crash, rows left 'sending' may or may not have gone out: send them again.

        At-least-once on purpose: a staff alert repeated once is better than one lost.
        """
        async with self.tx() as c:
            cur = await c.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
            return cur.rowcount

    async def outbox_counts(self) -> dict[str, int]:
        rows = await self.fetchall("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {str(r["status"]): int(r["n"]) for r in rows}

    async def stop_patient_chat(self, chat_id: int) -> None:
        """Telegram says the patient blocked the bot: stop everything queued for them."""
        async with self.tx() as c:
            await c.execute(
                "UPDATE patients SET status = 'stopped' WHERE chat_id = ? AND status = 'active'",
                (chat_id,),
            )
            await c.execute(
                "UPDATE outbox SET status = 'cancelled', last_error = 'blocked'"
                " WHERE chat_id = ? AND status = 'pending'",
                (chat_id,),
            )

    async def sent_text(self, chat_id: int, message_id: int) -> str | None:
        """The HTML the bot sent as that message (to edit it without losing formatting)."""
        row = await self.fetchone(
            "SELECT text FROM outbox WHERE chat_id = ? AND message_id = ? AND status = 'sent'",
            (chat_id, message_id),
        )
        return str(row["text"]) if row else None

    async def alert_post_text(self, alert_id: int) -> str | None:
        row = await self.fetchone(
            "SELECT text FROM outbox WHERE alert_id = ? AND purpose = 'alert' ORDER BY id LIMIT 1",
            (alert_id,),
        )
        return str(row["text"]) if row else None

    # --- enrolment --------------------------------------------------------------------------

    async def create_patient_with_invite(
        self,
        *,
        label: str,
        appointment_at: datetime,
        token_hash: str,
        expires_at: datetime,
        now: datetime,
    ) -> int:
        async with self.tx() as c:
            cur = await c.execute(
                "INSERT INTO patients (label, appointment_at, status, created_at)"
                " VALUES (?, ?, 'invited', ?)",
                (label, to_db(appointment_at), to_db(now)),
            )
            patient_id = int(cur.lastrowid or 0)
            await c.execute(
                "INSERT INTO invites (token_hash, patient_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_hash, patient_id, to_db(now), to_db(expires_at)),
            )
            return patient_id

    async def invite(self, token_hash: str) -> aiosqlite.Row | None:
        return await self.fetchone("SELECT * FROM invites WHERE token_hash = ?", (token_hash,))

    async def open_invite(self, token_hash: str, chat_id: int, now: datetime) -> bool:
        """Bind a valid, unused invite to the chat that opened it (pending consent)."""
        async with self.tx() as c:
            await c.execute(
                "UPDATE invites SET opened_chat_id = NULL WHERE opened_chat_id = ?"
                " AND used_at IS NULL",
                (chat_id,),
            )
            cur = await c.execute(
                "UPDATE invites SET opened_chat_id = ? WHERE token_hash = ? AND used_at IS NULL"
                " AND expires_at > ?",
                (chat_id, token_hash, to_db(now)),
            )
            return cur.rowcount == 1

    async def pending_invite_for_chat(self, chat_id: int, now: datetime) -> aiosqlite.Row | None:
        return await self.fetchone(
            "SELECT * FROM invites WHERE opened_chat_id = ? AND used_at IS NULL AND expires_at > ?",
            (chat_id, to_db(now)),
        )

    async def decline_invite(self, chat_id: int) -> None:
        """The patient said no: forget which chat opened the link (nothing kept)."""
        async with self.tx() as c:
            await c.execute(
                "UPDATE invites SET opened_chat_id = NULL WHERE opened_chat_id = ?"
                " AND used_at IS NULL",
                (chat_id,),
            )

    async def accept_invite(
        self,
        token_hash: str,
        chat_id: int,
        now: datetime,
        steps: list[tuple[str, str, datetime, datetime, bool]],
    ) -> int | None:
        """Consent: link the chat to the patient and lay out the plan, in one transaction.

        ``steps`` are (step_id, kind, due_at, expires_at, missed). Returns the patient id, or
        None if the invite was used or expired meanwhile.
        """
        async with self.tx() as c:
            cur = await c.execute(
                "UPDATE invites SET used_at = ? WHERE token_hash = ? AND opened_chat_id = ?"
                " AND used_at IS NULL AND expires_at > ?",
                (to_db(now), token_hash, chat_id, to_db(now)),
            )
            if cur.rowcount != 1:
                return None
            async with c.execute(
                "SELECT patient_id FROM invites WHERE token_hash = ?", (token_hash,)
            ) as q:
                row = await q.fetchone()
            assert row is not None
            patient_id = int(row[0])
            # One chat follows one appointment: a newer link replaces an older enrolment.
            await c.execute(
                "UPDATE patients SET chat_id = NULL, status = 'cancelled'"
                " WHERE chat_id = ? AND id != ?",
                (chat_id, patient_id),
            )
            await c.execute(
                "UPDATE steps SET status = 'cancelled' WHERE status = 'pending' AND patient_id IN"
                " (SELECT id FROM patients WHERE status = 'cancelled' AND chat_id IS NULL)",
            )
            await c.execute(
                "UPDATE patients SET chat_id = ?, status = 'active', consented_at = ? WHERE id = ?",
                (chat_id, to_db(now), patient_id),
            )
            await self._insert_steps(c, patient_id, steps)
            return patient_id

    async def _insert_steps(
        self,
        c: aiosqlite.Connection,
        patient_id: int,
        steps: list[tuple[str, str, datetime, datetime, bool]],
    ) -> None:
        await c.executemany(
            "INSERT INTO steps (patient_id, step_id, kind, due_at, expires_at, status)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (patient_id, step_id) DO UPDATE SET due_at = excluded.due_at,"
            " expires_at = excluded.expires_at, status = excluded.status, attempts = 0,"
            " next_attempt_at = NULL WHERE steps.status IN ('pending', 'missed', 'cancelled')",
            [
                (
                    patient_id,
                    step_id,
                    kind,
                    to_db(due),
                    to_db(end),
                    "missed" if missed else "pending",
                )
                for step_id, kind, due, end, missed in steps
            ],
        )

    async def reschedule(
        self,
        patient_id: int,
        appointment_at: datetime,
        steps: list[tuple[str, str, datetime, datetime, bool]],
    ) -> None:
        """New date: steps not yet sent are recomputed; sent ones stay sent."""
        async with self.tx() as c:
            await c.execute(
                "UPDATE patients SET appointment_at = ? WHERE id = ?",
                (to_db(appointment_at), patient_id),
            )
            await self._insert_steps(c, patient_id, steps)

    async def cancel_patient(self, patient_id: int) -> None:
        async with self.tx() as c:
            await c.execute("UPDATE patients SET status = 'cancelled' WHERE id = ?", (patient_id,))
            await c.execute(
                "UPDATE steps SET status = 'cancelled' WHERE patient_id = ? AND status = 'pending'",
                (patient_id,),
            )

    async def erase_patient(self, patient_id: int, now: datetime) -> None:
        """Everything about this patient, in every table (foreign keys cascade).

        The bot's posts about them in the staff group are queued for redaction in the same
        transaction (their ids are read before the rows that hold them go), and the WAL is
        emptied afterwards so no copy of the deleted rows stays on disk.
        """
        async with self.tx() as c:
            async with c.execute("SELECT chat_id FROM patients WHERE id = ?", (patient_id,)) as q:
                row = await q.fetchone()
            chats = [int(row[0])] if row is not None and row[0] is not None else []
            await self._queue_redactions(c, "erasure", now, [patient_id], chats)
            await c.execute(
                "DELETE FROM outbox WHERE patient_id = ? OR chat_id ="
                " (SELECT chat_id FROM patients WHERE id = ?)",
                (patient_id, patient_id),
            )
            await c.execute(
                "DELETE FROM unanswered WHERE patient_id = ? OR chat_id ="
                " (SELECT chat_id FROM patients WHERE id = ?)",
                (patient_id, patient_id),
            )
            await c.execute(
                "DELETE FROM alerts WHERE patient_id = ? OR chat_id ="
                " (SELECT chat_id FROM patients WHERE id = ?)",
                (patient_id, patient_id),
            )
            await c.execute("DELETE FROM patients WHERE id = ?", (patient_id,))
        await self.truncate_wal()

    async def erase_chat(self, chat_id: int, now: datetime) -> None:
        """Erase what is kept about a chat that is not (or no longer) a linked patient."""
        async with self.tx() as c:
            await self._queue_redactions(c, "erasure", now, [], [chat_id])
            await c.execute("DELETE FROM outbox WHERE chat_id = ?", (chat_id,))
            await c.execute("DELETE FROM unanswered WHERE chat_id = ?", (chat_id,))
            await c.execute("DELETE FROM alerts WHERE chat_id = ?", (chat_id,))
            await c.execute(
                "UPDATE invites SET opened_chat_id = NULL WHERE opened_chat_id = ?", (chat_id,)
            )
        await self.truncate_wal()

    # --- #12 erasure: staff-group copies and the WAL -------------------------------------------

    async def _queue_redactions(
        self,
        c: aiosqlite.Connection,
        reason: str,
        now: datetime,
        patient_ids: list[int],
        chat_ids: list[int],
        extra_alerts: str = "0",
        extra_params: tuple[object, ...] = (),
    ) -> int:
        """Remember the bot's group posts about these patients, chats (and alerts) for redaction.

        Only group posts (negative chat ids in Telegram): a patient's own private chat is
        theirs to clear. A post still being sent has no message id yet; it is deleted from
        the outbox with the rest and, if Telegram took it, stays (a known narrow window).
        """
        pmarks = ",".join("?" * len(patient_ids))
        cmarks = ",".join("?" * len(chat_ids))
        alerts = (
            f"SELECT id FROM alerts WHERE patient_id IN ({pmarks}) OR chat_id IN ({cmarks})"
            f" OR ({extra_alerts})"
        )
        alert_params = (*patient_ids, *chat_ids, *extra_params)
        stamp = to_db(now)
        cur = await c.execute(
            "INSERT OR IGNORE INTO redactions (chat_id, message_id, reason, not_before,"
            " created_at)"
            " SELECT chat_id, message_id, ?, ?, ? FROM outbox WHERE message_id IS NOT NULL"
            f" AND chat_id < 0 AND (patient_id IN ({pmarks}) OR alert_id IN ({alerts}))"
            " UNION SELECT chat_id, message_id, ?, ?, ? FROM alert_posts"
            f" WHERE chat_id < 0 AND alert_id IN ({alerts})",
            (
                reason,
                stamp,
                stamp,
                *patient_ids,
                *alert_params,
                reason,
                stamp,
                stamp,
                *alert_params,
            ),
        )
        return cur.rowcount

    async def truncate_wal(self) -> bool:
        """Checkpoint the WAL into bot.db and cut it to zero bytes; outside any transaction.

        Deleted rows are zeroed in bot.db (secure_delete) but their earlier versions stay in
        bot.db-wal until it is overwritten: this removes them now. False if another process
        kept it busy through every try (logged; the next erasure or purge tries again).
        """
        if str(self.path) == ":memory:":
            return True
        for attempt in range(CHECKPOINT_TRIES):
            async with self._lock:
                await self.conn.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
                try:
                    async with self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
                        row = await cur.fetchone()
                finally:
                    await self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if row is not None and int(row[0]) == 0:
                return True
            await asyncio.sleep(0.05 * 2**attempt)
        log.warning(
            "WAL checkpoint busy after %d tries (another process reading %s?): erased rows"
            " stay in its -wal file until the next erasure or purge",
            CHECKPOINT_TRIES,
            self.path,
        )
        return False

    async def claim_redactions(self, now: datetime, limit: int) -> list[aiosqlite.Row]:
        """Due redactions, oldest first (not marked: only the dispatcher's tick runs them)."""
        return await self.fetchall(
            "SELECT * FROM redactions WHERE status = 'pending' AND not_before <= ?"
            " ORDER BY not_before, created_at LIMIT ?",
            (to_db(now), limit),
        )

    async def redaction_done(self, chat_id: int, message_id: int) -> None:
        async with self.tx() as c:
            await c.execute(
                "DELETE FROM redactions WHERE chat_id = ? AND message_id = ?",
                (chat_id, message_id),
            )

    async def redaction_retry(
        self, chat_id: int, message_id: int, not_before: datetime, error: str
    ) -> None:
        async with self.tx() as c:
            await c.execute(
                "UPDATE redactions SET attempts = attempts + 1, not_before = ?, last_error = ?"
                " WHERE chat_id = ? AND message_id = ?",
                (to_db(not_before), error, chat_id, message_id),
            )

    async def redaction_failed(self, chat_id: int, message_id: int, error: str) -> None:
        """Neither edit nor delete is possible: kept (ids only) for the operator to see."""
        async with self.tx() as c:
            await c.execute(
                "UPDATE redactions SET status = 'failed', attempts = attempts + 1,"
                " last_error = ? WHERE chat_id = ? AND message_id = ?",
                (error, chat_id, message_id),
            )

    async def patients_overview(self, since: datetime) -> list[aiosqlite.Row]:
        return await self.fetchall(
            "SELECT p.*, (SELECT COUNT(*) FROM steps s WHERE s.patient_id = p.id"
            " AND s.status = 'sent') AS sent_steps,"
            " (SELECT COUNT(*) FROM steps s WHERE s.patient_id = p.id"
            " AND s.status = 'pending') AS pending_steps"
            " FROM patients p WHERE p.appointment_at >= ? ORDER BY p.appointment_at",
            (to_db(since),),
        )

    async def patient_steps(self, patient_id: int) -> list[aiosqlite.Row]:
        return await self.fetchall(
            "SELECT * FROM steps WHERE patient_id = ? ORDER BY due_at", (patient_id,)
        )

    # --- plan steps: claimed and settled like the outbox --------------------------------------

    async def claim_steps(self, now: datetime, limit: int) -> list[aiosqlite.Row]:
        """Due steps of active patients, marked 'sending'; expired ones are marked missed."""
        stamp = to_db(now)
        async with self.tx() as c:
            # "due_at <= now" is implied (a step never expires before it is due) but lets the
            # steps_due index narrow the scan: without it every tick reads every pending row
            # (0.64 s at 100,000 patients, bench/reminders.py; 0.1 ms with it).
            await c.execute(
                "UPDATE steps SET status = 'missed' WHERE status = 'pending' AND due_at <= ?"
                " AND expires_at <= ?",
                (stamp, stamp),
            )
            async with c.execute(
                "SELECT s.id FROM steps s JOIN patients p ON p.id = s.patient_id"
                " WHERE s.status = 'pending' AND s.due_at <= ? AND p.status = 'active'"
                " AND p.chat_id IS NOT NULL"
                " AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= ?)"
                " ORDER BY s.due_at, s.id LIMIT ?",
                (stamp, stamp, limit),
            ) as cur:
                ids = tuple(int(r[0]) for r in await cur.fetchall())
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            await c.execute(
                f"UPDATE steps SET status = 'sending', attempts = attempts + 1"
                f" WHERE id IN ({marks})",
                ids,
            )
            async with c.execute(
                f"SELECT s.*, p.chat_id, p.appointment_at FROM steps s"
                f" JOIN patients p ON p.id = s.patient_id WHERE s.id IN ({marks})"
                f" ORDER BY s.due_at, s.id",
                ids,
            ) as cur:
                return list(await cur.fetchall())

    async def step_sent(self, row_id: int, message_id: int, now: datetime) -> None:
        async with self.tx() as c:
            await c.execute(
                "UPDATE steps SET status = 'sent', message_id = ?, sent_at = ?, last_error = NULL"
                " WHERE id = ?",
                (message_id, to_db(now), row_id),
            )

    async def step_retry(
        self, row_id: int, when: datetime, error: str, *, count_attempt: bool = True
    ) -> None:
        async with self.tx() as c:
            await c.execute(
                "UPDATE steps SET status = 'pending', next_attempt_at = ?, last_error = ?,"
                " attempts = attempts - ? WHERE id = ?",
                (to_db(when), error, 0 if count_attempt else 1, row_id),
            )

    async def step_settle(self, row_id: int, status: str, error: str | None = None) -> None:
        async with self.tx() as c:
            await c.execute(
                "UPDATE steps SET status = ?, last_error = ? WHERE id = ?",
                (status, error, row_id),
            )

    async def recover_steps(self) -> int:
        async with self.tx() as c:
            cur = await c.execute("UPDATE steps SET status = 'pending' WHERE status = 'sending'")
            return cur.rowcount

    async def step(self, row_id: int) -> aiosqlite.Row | None:
        return await self.fetchone(
            "SELECT s.*, p.chat_id, p.label FROM steps s JOIN patients p ON p.id = s.patient_id"
            " WHERE s.id = ?",
            (row_id,),
        )

    async def record_answer(
        self, row_id: int, answer: str, score: int | None, now: datetime
    ) -> bool:
        """Store a check-in answer; only the first answer counts (a double tap is not two)."""
        async with self.tx() as c:
            cur = await c.execute(
                "UPDATE steps SET answer = ?, score = ?, answered_at = ?"
                " WHERE id = ? AND status = 'sent' AND answer IS NULL",
                (answer, score, to_db(now), row_id),
            )
            return cur.rowcount == 1

    async def awaiting_checkin(self, chat_id: int, sent_after: datetime) -> aiosqlite.Row | None:
        """The newest check-in sent to this chat since ``sent_after`` and not yet answered."""
        return await self.fetchone(
            "SELECT s.*, p.chat_id, p.label FROM steps s JOIN patients p ON p.id = s.patient_id"
            " WHERE p.chat_id = ? AND p.status = 'active' AND s.kind = 'checkin'"
            " AND s.status = 'sent' AND s.answer IS NULL AND s.sent_at >= ?"
            " ORDER BY s.sent_at DESC LIMIT 1",
            (chat_id, to_db(sent_after)),
        )

    async def previous_score(self, patient_id: int, before_row: int) -> int | None:
        row = await self.fetchone(
            "SELECT score FROM steps WHERE patient_id = ? AND score IS NOT NULL AND id != ?"
            " ORDER BY answered_at DESC LIMIT 1",
            (patient_id, before_row),
        )
        return int(row["score"]) if row else None

    async def unanswered_checkins(self, sent_before: datetime) -> list[aiosqlite.Row]:
        return await self.fetchall(
            # The planner prefers steps_due (every sent step) unless told: the partial index
            # holds only the check-ins still waiting for an answer (bench/reminders.py).
            "SELECT s.*, p.label, p.chat_id FROM steps s INDEXED BY steps_unanswered"
            " JOIN patients p ON p.id = s.patient_id"
            " WHERE s.kind = 'checkin' AND s.status = 'sent' AND s.answer IS NULL"
            " AND s.no_answer_noted = 0 AND s.sent_at <= ? AND p.status = 'active'",
            (to_db(sent_before),),
        )

    async def note_no_answer(
        self, row_id: int, staff_chat_id: int | None, text: str, now: datetime
    ) -> None:
        """Mark an unanswered check-in as dealt with; post ``text`` unless no chat is given."""
        async with self.tx() as c:
            cur = await c.execute(
                "UPDATE steps SET no_answer_noted = 1 WHERE id = ? AND no_answer_noted = 0",
                (row_id,),
            )
            if cur.rowcount == 1 and staff_chat_id is not None:
                # Tied to the patient: the note names them, so their erasure removes it too.
                async with c.execute("SELECT patient_id FROM steps WHERE id = ?", (row_id,)) as q:
                    step = await q.fetchone()
                await self._enqueue(
                    c,
                    chat_id=staff_chat_id,
                    text=text,
                    purpose="notice",
                    now=now,
                    patient_id=int(step[0]) if step is not None else None,
                )

    # --- retention ----------------------------------------------------------------------------

    async def purge(self, cutoff: datetime) -> dict[str, int]:
        """Erase what the retention period no longer allows us to keep.

        Patients whose appointment is older than the cutoff go with everything attached to
        them (foreign keys cascade), and the bot's staff-group posts about them are queued
        for redaction; unanswered questions, alerts of people who never enrolled, and
        delivered or abandoned outgoing messages not tied to a patient go once older than
        the cutoff (a patient's own rows stay until the patient goes). Redactions are
        stamped with the cutoff: this method is not told the time, and the cutoff is past.
        """
        stamp = to_db(cutoff)
        counts: dict[str, int] = {}
        async with self.tx() as c:
            async with c.execute(
                "SELECT id, chat_id FROM patients WHERE appointment_at < ?", (stamp,)
            ) as cur:
                old = [(int(r[0]), r[1]) for r in await cur.fetchall()]
            counts["staff_posts"] = await self._queue_redactions(
                c,
                "retention",
                cutoff,
                [patient_id for patient_id, _ in old],
                [int(chat_id) for _, chat_id in old if chat_id is not None],
                "patient_id IS NULL AND created_at < ?",
                (stamp,),
            )
            for patient_id, chat_id in old:
                if chat_id is not None:
                    await c.execute("DELETE FROM outbox WHERE chat_id = ?", (chat_id,))
                    await c.execute("DELETE FROM unanswered WHERE chat_id = ?", (chat_id,))
                    await c.execute("DELETE FROM alerts WHERE chat_id = ?", (chat_id,))
                await c.execute("DELETE FROM patients WHERE id = ?", (patient_id,))
            counts["patients"] = len(old)
            for table, where in (
                ("inbox", "status != 'pending' AND received_at < ?"),
                ("unanswered", "created_at < ?"),
                ("alerts", "patient_id IS NULL AND created_at < ?"),
                (
                    "outbox",
                    "status IN ('sent', 'failed', 'cancelled') AND patient_id IS NULL"
                    " AND created_at < ?",
                ),
                ("redactions", "status = 'failed' AND created_at < ?"),
            ):
                cur = await c.execute(f"DELETE FROM {table} WHERE {where}", (stamp,))
                counts[table] = cur.rowcount
        if any(n for name, n in counts.items() if name != "staff_posts"):
            await self.truncate_wal()
        return counts


def backup_database(source: Path, dest: Path) -> None:
    """Copy a live database with SQLite's online backup API (safe while the bot runs).

    The copy is created readable by its owner only, like the original: it holds the same
    health data.
    """
    if not source.exists():
        raise DatabaseError(f"{source} n'existe pas")
    if dest.exists():
        raise DatabaseError(f"{dest} existe déjà : choisissez un autre nom")
    _create_private(dest)
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    # Pages freed by deletions are copied too: zeroed, as in the source (secure_delete).
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        dest.unlink(missing_ok=True)
        raise DatabaseError(f"sauvegarde impossible : {exc}") from exc
    finally:
        src.close()


# --- #12 erasure: backups the `backup` command names itself, and their rotation -------------

_BACKUP_NAME = re.compile(r"^bot-backup-(\d{8}T\d{6}Z)\.db$")


def backup_name(now: datetime) -> str:
    """``bot-backup-20261201T080000Z.db``: sortable, and how rotation knows its own files."""
    return f"bot-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.db"


def rotate_backups(folder: Path, keep_days: int, now: datetime, keep: Path) -> list[Path]:
    """Delete this command's backups in ``folder`` older than ``keep_days``; never ``keep``.

    Age comes from the name (a copy or a touch changes a file's mtime, not its name). Only
    files named by :func:`backup_name` are touched: anything else in the folder is the
    operator's. Those kept are made owner-readable if they were not.
    """
    removed: list[Path] = []
    limit = now - timedelta(days=keep_days)
    for path in sorted(folder.iterdir()):
        match = _BACKUP_NAME.match(path.name)
        if match is None or not path.is_file() or path.resolve() == keep.resolve():
            continue
        made = datetime.strptime(match[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if made >= limit:
            enforce_private(path)
            continue
        for leftover in (path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
        removed.append(path)
    return removed


# --- #13 operations: heartbeat, health facts, restore -----------------------------------------


async def beat(db: Database, key: str, now: datetime) -> None:
    """Record that ``key`` (``telegram``, ``started``, ``stopped``) happened at ``now``."""
    async with db.tx() as c:
        await c.execute(
            "INSERT INTO heartbeat(key, at) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET at = excluded.at",
            (key, to_db(now)),
        )


@dataclass(frozen=True)
class HealthFacts:
    """What `health` reads from the database; judged in bot/health.py."""

    schema_version: int
    integrity: str  # "ok", or SQLite's first complaint
    write_error: str | None
    heartbeats: dict[str, datetime]
    outbox_pending: int
    outbox_oldest: datetime | None
    alerts_waiting: int  # open, acknowledgement due, created before the given limit
    inbox_pending: int
    inbox_oldest: datetime | None
    next_step: datetime | None
    steps_late: int  # due before the given limit, still unsent, not expired


@contextmanager
def _connect_existing(path: Path, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """A plain connection to a database that must already exist (never creates one)."""
    if not path.is_file():
        raise DatabaseError(f"{path} n'existe pas")
    mode = "ro" if read_only else "rw"
    try:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode={mode}",
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
        )
    except sqlite3.Error as exc:
        raise DatabaseError(f"impossible d'ouvrir {path} : {exc}") from exc
    with closing(conn):
        yield conn


def _one(conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> object:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def _when(value: object) -> datetime | None:
    return from_db(value) if isinstance(value, str) else None


def read_health(
    path: Path, now: datetime, alerts_before: datetime, late_before: datetime
) -> HealthFacts:
    """Check and read the database for `health`: quick integrity check, a real write.

    The write (the ``health`` heartbeat row) is what proves the disk, the file's permissions
    and SQLite's locks let the bot write; it waits for the bot's own writes like any other.
    """
    with _connect_existing(path) as conn:
        try:
            integrity = str(_one(conn, "PRAGMA quick_check"))
            version = int(str(_one(conn, "PRAGMA user_version")))
        except sqlite3.Error as exc:
            raise DatabaseError(f"{path} illisible : {exc}") from exc
        if version < SCHEMA_VERSION:
            raise DatabaseError(
                f"{path} est au schéma {version}, ce programme attend {SCHEMA_VERSION} :"
                " le bot n'a pas encore démarré avec cette version"
            )
        write_error = None
        try:
            conn.execute(
                "INSERT INTO heartbeat(key, at) VALUES ('health', ?)"
                " ON CONFLICT(key) DO UPDATE SET at = excluded.at",
                (to_db(now),),
            )
        except sqlite3.Error as exc:
            write_error = str(exc)
        stamp = to_db(now)
        beats = {str(k): from_db(str(v)) for k, v in conn.execute("SELECT key, at FROM heartbeat")}
        outbox = conn.execute(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status IN ('pending', 'sending')"
        ).fetchone()
        inbox = conn.execute(
            "SELECT COUNT(*), MIN(received_at) FROM inbox WHERE status = 'pending'"
        ).fetchone()
        active_steps = (
            " FROM steps s JOIN patients p ON p.id = s.patient_id"
            " WHERE s.status IN ('pending', 'sending') AND p.status = 'active'"
            " AND p.chat_id IS NOT NULL AND s.expires_at > ?"
        )
        return HealthFacts(
            schema_version=version,
            integrity=integrity,
            write_error=write_error,
            heartbeats=beats,
            outbox_pending=int(outbox[0]),
            outbox_oldest=_when(outbox[1]),
            alerts_waiting=int(
                str(
                    _one(
                        conn,
                        "SELECT COUNT(*) FROM alerts WHERE status = 'open'"
                        " AND kind NOT IN ('question', 'note') AND created_at < ?",
                        (to_db(alerts_before),),
                    )
                )
            ),
            inbox_pending=int(inbox[0]),
            inbox_oldest=_when(inbox[1]),
            next_step=_when(_one(conn, "SELECT MIN(s.due_at)" + active_steps, (stamp,))),
            steps_late=int(
                str(
                    _one(
                        conn,
                        "SELECT COUNT(*)" + active_steps + " AND s.due_at < ?",
                        (stamp, to_db(late_before)),
                    )
                )
            ),
        )


def check_backup(path: Path) -> int:
    """Full integrity check of a backup file; returns its schema version.

    Raises DatabaseError when the file is not a sound database of this bot, or was written
    by a newer version (its schema would be unknown here).
    """
    with _connect_existing(path, read_only=True) as conn:
        try:
            problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(20)")]
            version = int(str(_one(conn, "PRAGMA user_version")))
            has_patients = _one(
                conn,
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                ("patients",),
            )
        except sqlite3.Error as exc:
            raise DatabaseError(f"{path} n'est pas une base SQLite lisible : {exc}") from exc
    if problems != ["ok"]:
        raise DatabaseError(f"{path} est abîmée : " + "; ".join(problems[:3]))
    if version < 1 or has_patients != 1:
        raise DatabaseError(f"{path} n'est pas une base de ce bot")
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"{path} vient d'une version plus récente du bot (schéma {version}, ce programme"
            f" connaît {SCHEMA_VERSION}) : restaurez-la avec cette version-là"
        )
    return version


def stored_schema_version(path: Path) -> int:
    """The schema version of an existing database file, without changing it (0 if absent)."""
    if not path.is_file():
        return 0
    with _connect_existing(path, read_only=True) as conn:
        try:
            return int(str(_one(conn, "PRAGMA user_version")))
        except sqlite3.Error as exc:
            raise DatabaseError(f"{path} n'est pas une base SQLite lisible : {exc}") from exc
