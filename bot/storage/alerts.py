"""Alerts, their posts in the staff group and the relay drafts of staff replies."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.core import Core
from bot.storage.inbox import link_alert
from bot.storage.outbox import enqueue_in
from bot.storage.rows import Alert, AlertPost, AlertState, Draft, DraftStatus, build, to_db

# Alerts with their patient's label (None for a sender who never enrolled), for staff lists.
_LABELLED = "SELECT a.*, p.label FROM alerts a LEFT JOIN patients p ON p.id = a.patient_id"


async def touch_alert(c: aiosqlite.Connection, alert_id: int, now: datetime) -> None:
    await c.execute("UPDATE alerts SET last_activity_at = ? WHERE id = ?", (to_db(now), alert_id))


class AlertStore(Core):
    """Alerts, alert posts and relay drafts."""

    async def _alerts_where(self, where: str, params: tuple[object, ...]) -> list[Alert]:
        """The alerts a periodic task works through, in the order they were raised."""
        return await self._all(Alert, f"SELECT * FROM alerts WHERE {where} ORDER BY id", params)

    async def open_thread(self, chat_id: int, kinds: tuple[str, ...]) -> Alert | None:
        """The newest alert of these kinds still in progress (open or acknowledged)."""
        marks = ",".join("?" * len(kinds))
        return await self._one(
            Alert,
            "SELECT * FROM alerts WHERE chat_id = ? AND status IN ('open', 'acknowledged')"
            f" AND kind IN ({marks}) ORDER BY id DESC LIMIT 1",
            (chat_id, *kinds),
        )

    async def open_alerts(self, limit: int = 50) -> list[Alert]:
        """Alerts in progress, oldest first (/alertes), with the patient's label."""
        return await self._all(
            Alert,
            _LABELLED + " WHERE a.status IN ('open', 'acknowledged') ORDER BY a.created_at, a.id"
            " LIMIT ?",
            (limit,),
        )

    async def quiet_alerts(self, before: datetime) -> list[Alert]:
        """Alerts in progress with no activity since ``before`` (to close by themselves)."""
        return await self._alerts_where(
            "status IN ('open', 'acknowledged') AND COALESCE(last_activity_at, created_at) < ?",
            (to_db(before),),
        )

    async def unpaged_exhausted(
        self, now: datetime, kinds: tuple[str, ...], limit: int
    ) -> list[Alert]:
        """Open alerts re-posted ``limit`` times, one more interval gone: page on-call."""
        marks = ",".join("?" * len(kinds))
        return await self._alerts_where(
            "status = 'open' AND oncall_at IS NULL AND renotify_count >= ?"
            f" AND next_renotify_at <= ? AND kind IN ({marks})",
            (limit, to_db(now), *kinds),
        )

    async def mark_paged(self, alert_id: int, now: datetime) -> bool:
        return await self._changed_one(
            "UPDATE alerts SET oncall_at = ? WHERE id = ? AND oncall_at IS NULL",
            (to_db(now), alert_id),
        )

    async def acknowledged_unclosed(self, before: datetime) -> list[Alert]:
        """Alerts taken before ``before`` and still not closed, not yet reminded."""
        return await self._alerts_where(
            "status = 'acknowledged' AND ack_reminded_at IS NULL AND acknowledged_at < ?"
            " AND kind != 'question'",
            (to_db(before),),
        )

    async def mark_ack_reminded(self, alert_id: int, now: datetime) -> bool:
        return await self._changed_one(
            "UPDATE alerts SET ack_reminded_at = ? WHERE id = ? AND ack_reminded_at IS NULL",
            (to_db(now), alert_id),
        )

    async def touch(self, alert_id: int, now: datetime) -> None:
        async with self.tx() as c:
            await touch_alert(c, alert_id, now)

    async def alert(self, alert_id: int) -> Alert | None:
        return await self._one(Alert, "SELECT * FROM alerts WHERE id = ?", (alert_id,))

    async def alert_by_post(self, chat_id: int, message_id: int) -> Alert | None:
        return await self._one(
            Alert,
            "SELECT a.* FROM alerts a JOIN alert_posts p ON p.alert_id = a.id "
            "WHERE p.chat_id = ? AND p.message_id = ?",
            (chat_id, message_id),
        )

    async def alert_posts(self, alert_id: int) -> list[AlertPost]:
        return await self._all(
            AlertPost,
            "SELECT * FROM alert_posts WHERE alert_id = ? ORDER BY message_id",
            (alert_id,),
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
        status: AlertState = AlertState.OPEN,
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
            await enqueue_in(
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
                await link_alert(c, update_id, alert_id)
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
            await enqueue_in(
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
            await touch_alert(c, alert_id, now)
            if reraise_at is not None:
                await c.execute(
                    "UPDATE alerts SET next_renotify_at = ? WHERE id = ? AND status = 'open'",
                    (to_db(reraise_at), alert_id),
                )
            if update_id is not None:
                await link_alert(c, update_id, alert_id)

    async def acknowledge_alert(
        self, alert_id: int, user_id: int, user_name: str, now: datetime
    ) -> tuple[bool, Alert | None]:
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
        return won, build(Alert, row) if row is not None else None

    async def close_alert(
        self, alert_id: int, now: datetime, status: AlertState = AlertState.CLOSED
    ) -> bool:
        """Open or acknowledged -> closed (by staff) or auto_closed (quiet period)."""
        return await self._changed_one(
            "UPDATE alerts SET status = ?, closed_at = ?, next_renotify_at = NULL"
            " WHERE id = ? AND status IN ('open', 'acknowledged')",
            (status, to_db(now), alert_id),
        )

    async def due_renotifications(self, now: datetime, limit: int) -> list[Alert]:
        """Open alerts due for a re-post (fewer than ``limit`` re-posts so far)."""
        return await self._alerts_where(
            "status = 'open' AND next_renotify_at IS NOT NULL AND next_renotify_at <= ?"
            " AND renotify_count < ? AND kind NOT IN ('question', 'note')",
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
                await enqueue_in(
                    c,
                    chat_id=staff_chat_id,
                    text=text,
                    buttons=buttons,
                    purpose="renotify",
                    alert_id=alert_id,
                    priority=priority,
                    now=now,
                )

    async def alerts_report(self, limit: int = 200) -> list[Alert]:
        return await self._all(
            Alert,
            _LABELLED + " ORDER BY a.id DESC LIMIT ?",
            (limit,),
        )

    async def create_draft(self, alert_id: int, author_id: int, text: str, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO relay_drafts (alert_id, author_id, text, created_at) VALUES (?, ?, ?, ?)",
            (alert_id, author_id, text, to_db(now)),
        )

    async def settle_draft(self, draft_id: int, status: DraftStatus) -> Draft | None:
        """draft -> sent or cancelled, once; the draft row for the winner, None after."""
        async with self.tx() as c:
            cur = await c.execute(
                "UPDATE relay_drafts SET status = ? WHERE id = ? AND status = 'draft'",
                (status, draft_id),
            )
            if cur.rowcount != 1:
                return None
            async with c.execute("SELECT * FROM relay_drafts WHERE id = ?", (draft_id,)) as q:
                row = await q.fetchone()
            return build(Draft, row) if row is not None else None

    async def alert_post_text(self, alert_id: int) -> str | None:
        row = await self.fetchone(
            "SELECT text FROM outbox WHERE alert_id = ? AND purpose = 'alert' ORDER BY id LIMIT 1",
            (alert_id,),
        )
        return str(row["text"]) if row else None
