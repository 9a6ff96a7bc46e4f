"""Erasure and retention: what goes, and the staff-group posts to redact (#12)."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.core import Core
from bot.storage.rows import Redaction, to_db


async def queue_redactions(
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


class ErasureStore(Core):
    """Deleting across every table, and the redactions queue."""

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
            await queue_redactions(c, "erasure", now, [patient_id], chats)
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
            await queue_redactions(c, "erasure", now, [], [chat_id])
            await c.execute("DELETE FROM outbox WHERE chat_id = ?", (chat_id,))
            await c.execute("DELETE FROM unanswered WHERE chat_id = ?", (chat_id,))
            await c.execute("DELETE FROM alerts WHERE chat_id = ?", (chat_id,))
            await c.execute(
                "UPDATE invites SET opened_chat_id = NULL WHERE opened_chat_id = ?", (chat_id,)
            )
        await self.truncate_wal()

    # --- #12 erasure: staff-group copies and the WAL -------------------------------------------

    async def claim_redactions(self, now: datetime, limit: int) -> list[Redaction]:
        """Due redactions, oldest first (not marked: only the dispatcher's tick runs them)."""
        return await self._all(
            Redaction,
            "SELECT * FROM redactions WHERE status = 'pending' AND not_before <= ?"
            " ORDER BY not_before, created_at LIMIT ?",
            (to_db(now), limit),
        )

    async def redaction_done(self, chat_id: int, message_id: int) -> None:
        await self._write(
            "DELETE FROM redactions WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )

    async def redaction_retry(
        self, chat_id: int, message_id: int, not_before: datetime, error: str
    ) -> None:
        await self._write(
            "UPDATE redactions SET attempts = attempts + 1, not_before = ?, last_error = ?"
            " WHERE chat_id = ? AND message_id = ?",
            (to_db(not_before), error, chat_id, message_id),
        )

    async def redaction_failed(self, chat_id: int, message_id: int, error: str) -> None:
        """Neither edit nor delete is possible: kept (ids only) for the operator to see."""
        await self._write(
            "UPDATE redactions SET status = 'failed', attempts = attempts + 1,"
            " last_error = ? WHERE chat_id = ? AND message_id = ?",
            (error, chat_id, message_id),
        )

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
            counts["staff_posts"] = await queue_redactions(
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
