"""The outbox: every message the bot must deliver, until it is delivered."""

from __future__ import annotations

from datetime import datetime
from typing import NotRequired, TypedDict, Unpack

import aiosqlite

from bot.storage.core import Core
from bot.storage.rows import OutboxMessage, build, to_db


class Outgoing(TypedDict):
    """One message to deliver; the keyword arguments of :func:`enqueue_in` and ``enqueue``."""

    chat_id: int
    text: str
    purpose: str
    now: datetime
    buttons: NotRequired[str | None]
    reply_to: NotRequired[int | None]
    alert_id: NotRequired[int | None]
    patient_id: NotRequired[int | None]
    priority: NotRequired[int]


async def enqueue_in(c: aiosqlite.Connection, **msg: Unpack[Outgoing]) -> int:
    """Queue a message inside the caller's transaction, so it is sent if and only if the
    rest of that transaction (an alert, a step settled) is committed."""
    now = to_db(msg["now"])
    cur = await c.execute(
        "INSERT INTO outbox (chat_id, text, buttons, reply_to, purpose, alert_id,"
        " patient_id, priority, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            msg["chat_id"],
            msg["text"],
            msg.get("buttons"),
            msg.get("reply_to"),
            msg["purpose"],
            msg.get("alert_id"),
            msg.get("patient_id"),
            msg.get("priority", 0),
            now,
            now,
        ),
    )
    return int(cur.lastrowid or 0)


class OutboxStore(Core):
    """The outbox table."""

    async def enqueue(self, **msg: Unpack[Outgoing]) -> int:
        async with self.tx() as c:
            return await enqueue_in(c, **msg)

    async def claim_outbox(
        self,
        now: datetime,
        limit: int,
        *,
        only_chat: int | None = None,
        exclude_chat: int | None = None,
    ) -> list[OutboxMessage]:
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
        return [build(OutboxMessage, row) for row in rows]

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
        await self._put_back("outbox", "not_before", row_id, not_before, error, count_attempt)

    async def outbox_downgrade(self, row_id: int, text: str, keep_buttons: bool) -> None:
        """Telegram rejected the row: try again at once as plain text (then without buttons)."""
        await self._write(
            "UPDATE outbox SET status = 'pending', text = ?, plain = plain + 1,"
            " buttons = CASE WHEN ? THEN buttons ELSE NULL END, last_error = 'BadRequest'"
            " WHERE id = ?",
            (text, keep_buttons, row_id),
        )

    async def outbox_failed(self, row_id: int, error: str) -> None:
        await self._write(
            "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?",
            (error, row_id),
        )

    async def recover_outbox(self) -> int:
        """After a crash, rows left 'sending' may or may not have gone out: send them again.

        At-least-once on purpose: a staff alert repeated once is better than one lost.
        """
        return await self._write("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")

    async def sent_text(self, chat_id: int, message_id: int) -> str | None:
        """The HTML the bot sent as that message (to edit it without losing formatting)."""
        row = await self.fetchone(
            "SELECT text FROM outbox WHERE chat_id = ? AND message_id = ? AND status = 'sent'",
            (chat_id, message_id),
        )
        return str(row["text"]) if row else None
