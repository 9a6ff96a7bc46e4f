"""Keeping the data safe across operations (#13): the run lock, restore, and the copy taken
before a migration.

The run lock is an exclusive ``flock`` on ``<database>.lock`` that `run` holds for its whole
life: the kernel drops it when the process ends, however it ends (SIGKILL, power cut), so a
stale pid file can never make `restore` refuse, nor let it through while a bot writes.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from bot.storage import (
    SCHEMA_VERSION,
    DatabaseError,
    backup_database,
    backup_name,
    check_backup,
    enforce_private,
    stored_schema_version,
)

SIDE_FILES = ("-wal", "-shm", "-journal")


class AlreadyRunning(DatabaseError):
    """Another process holds the run lock of this database."""

    def __init__(self, lock: Path, pid: str) -> None:
        super().__init__(
            f"un bot utilise déjà cette base (processus {pid or '?'}, verrou {lock}) : "
            "arrêtez-le d'abord"
        )


def require_owner(database: Path) -> None:
    """Refuse to touch the data folder as another user than its owner (root included).

    SQLite creates the -wal and -shm files as whoever opens the database first: a `health`
    or `restore` run as root while the bot is stopped would leave files the service user
    cannot open, and the bot would not start again.
    """
    folder = database.parent
    try:
        owner = folder.stat().st_uid
    except FileNotFoundError:
        return
    if owner != os.geteuid():
        raise DatabaseError(
            f"{folder} appartient à l'utilisateur n° {owner} : lancez cette commande sous ce "
            f"compte (sudo -u …), pas sous le n° {os.geteuid()}"
        )


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextmanager
def run_lock(database: Path) -> Iterator[None]:
    """Hold the database's run lock, or raise AlreadyRunning at once (never wait)."""
    lock = lock_path(database)
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise AlreadyRunning(lock, pid) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def is_running(database: Path) -> bool:
    """True while a process holds the run lock of ``database`` (never creates the lock)."""
    try:
        fd = os.open(lock_path(database), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def restore(backup: Path, database: Path, now: datetime) -> Path | None:
    """Put ``backup`` in place of ``database``; return where the replaced database went.

    Checked first (full integrity check, schema not newer than this program), copied next to
    the database under a temporary name, then swapped in with one rename: an interruption
    leaves either the old database or the restored one, never half of each. The replaced
    database (with its -wal, which may hold its latest writes) is kept aside, not deleted.
    """
    check_backup(backup)
    require_owner(database)
    with run_lock(database):
        staging = database.with_name(database.name + ".restoring")
        for leftover in (staging, *(Path(f"{staging}{s}") for s in SIDE_FILES)):
            leftover.unlink(missing_ok=True)
        backup_database(backup, staging)
        aside: Path | None = None
        if database.exists():
            aside = database.with_name(f"{database.stem}-avant-restauration-{backup_name(now)}")
            for suffix in ("", *SIDE_FILES):
                src = Path(f"{database}{suffix}")
                if src.exists():
                    src.rename(Path(f"{aside}{suffix}"))
        staging.rename(database)
        enforce_private(database)
        return aside


def backup_before_migration(database: Path, folder: Path, now: datetime) -> Path | None:
    """Copy an existing database whose schema is older than this program, before `run`
    migrates it: the way back if the new version misbehaves (docs/exploitation.md).

    Named like the `backup` command's copies and put in the same folder, so that the same
    rotation removes it (it holds erased patients' data as long as any backup does).
    """
    version = stored_schema_version(database)
    if version == 0 or version >= SCHEMA_VERSION:
        return None
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    dest = folder / backup_name(now)
    if dest.exists():
        raise DatabaseError(f"{dest} existe déjà : relancez dans une seconde")
    backup_database(database, dest)
    return dest
