"""The one connection, its lock, the migrations runner and the helpers every aggregate uses.

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
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Self, TypeVar

import aiosqlite

from bot.storage.migrations import MIGRATIONS, SCHEMA_VERSION
from bot.storage.rows import build, to_db

log = logging.getLogger("bot.storage")
T = TypeVar("T")

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


class DatabaseError(Exception):
    """The database cannot be used as it is (message meant for the operator)."""


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


class Core:
    """The connection, the lock and the transaction; the aggregates are built on it."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Self:
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
        if version >= SCHEMA_VERSION:
            return
        # Rebuilding a table (migration 7) drops the old one: with foreign keys on, that
        # would cascade into every child table. SQLite ignores this pragma inside a
        # transaction, hence around the loop; the check below replaces it.
        await self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            for number in range(version + 1, SCHEMA_VERSION + 1):
                # executescript commits what is pending, then runs the script: the version
                # bump rides inside the migration's own transaction.
                await self.conn.executescript(
                    "BEGIN IMMEDIATE;\n"
                    + MIGRATIONS[number - 1]
                    + f"\nPRAGMA user_version = {number};"
                )
                async with self.conn.execute("PRAGMA foreign_key_check") as cur:
                    broken = await cur.fetchone()
                if broken is not None:
                    await self.conn.rollback()
                    raise DatabaseError(
                        f"migration {number} de {self.path} abandonnée : la table {broken[0]}"
                        " désigne une ligne absente; la base n'a pas été modifiée."
                    )
                await self.conn.commit()
        finally:
            await self.conn.execute("PRAGMA foreign_keys = ON")

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

    async def _write(self, sql: str, params: tuple[object, ...] = ()) -> int:
        """One statement in its own transaction; the number of rows it changed."""
        async with self.tx() as c:
            cur = await c.execute(sql, params)
            return cur.rowcount

    async def _changed_one(self, sql: str, params: tuple[object, ...]) -> bool:
        """A guarded update ("set once, where still unset"): True for the caller that won."""
        return await self._write(sql, params) == 1

    async def _put_back(
        self,
        table: str,
        at_column: str,
        row_id: int,
        when: datetime,
        error: str,
        count_attempt: bool,
    ) -> None:
        """A row claimed for sending (outbox, steps) goes back to pending until ``when``.

        Claiming counted an attempt; one deferred without being tried (a 429, the rest of a
        chat's batch) gives it back, so only real failures bring a row nearer to giving up.
        """
        await self._write(
            f"UPDATE {table} SET status = 'pending', {at_column} = ?, last_error = ?,"
            " attempts = attempts - ? WHERE id = ?",
            (to_db(when), error, 0 if count_attempt else 1, row_id),
        )

    async def _insert(self, sql: str, params: tuple[object, ...]) -> int:
        """One INSERT in its own transaction; the id of the new row."""
        async with self.tx() as c:
            cur = await c.execute(sql, params)
            return int(cur.lastrowid or 0)

    async def fetchall(self, sql: str, params: tuple[object, ...] = ()) -> list[aiosqlite.Row]:
        """Raw rows, for the few callers that poke SQL on purpose (tests, benchmarks)."""
        async with self._lock, self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: tuple[object, ...] = ()) -> aiosqlite.Row | None:
        async with self._lock, self.conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def _one(self, cls: type[T], sql: str, params: tuple[object, ...] = ()) -> T | None:
        row = await self.fetchone(sql, params)
        return build(cls, row) if row is not None else None

    async def _all(self, cls: type[T], sql: str, params: tuple[object, ...] = ()) -> list[T]:
        return [build(cls, row) for row in await self.fetchall(sql, params)]

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
