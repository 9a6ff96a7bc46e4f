"""The durable inbox: every update stored before Telegram is told it was received."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.core import Core
from bot.storage.rows import to_db


async def link_alert(c: aiosqlite.Connection, update_id: int, alert_id: int) -> None:
    await c.execute("UPDATE inbox SET alert_id = ? WHERE update_id = ?", (alert_id, update_id))


class InboxStore(Core):
    """The inbox table."""

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
        await self._write(
            "UPDATE inbox SET status = 'done', payload = NULL, handled_at = ? WHERE update_id = ?",
            (to_db(now), update_id),
        )

    async def inbox_alert(self, update_id: int) -> int | None:
        """The alert an update already raised or joined (handled again after a crash)."""
        row = await self.fetchone("SELECT alert_id FROM inbox WHERE update_id = ?", (update_id,))
        return int(row["alert_id"]) if row is not None and row["alert_id"] is not None else None
