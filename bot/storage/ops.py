"""Operations outside the running bot's connection (#12, #13): backups and their rotation,
the heartbeat, and what `health`, `backup` and `restore` read from a database file."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.storage.core import BUSY_TIMEOUT_MS, Core, DatabaseError, _create_private, enforce_private
from bot.storage.migrations import SCHEMA_VERSION
from bot.storage.rows import from_db, to_db


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


async def beat(db: Core, key: str, now: datetime) -> None:
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
