"""Each patient's plan steps, claimed and settled like the outbox."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot.storage.core import Core
from bot.storage.outbox import enqueue_in
from bot.storage.rows import DueStep, LabelledStep, SentCheckin, Step, StepStatus, build, to_db

# A patient's planned steps as storage takes them: (step_id, kind, due_at, expires_at, missed),
# every time and the missed flag computed by reminders.plan (plan_for), stored as given.
StepRows = list[tuple[str, str, datetime, datetime, bool]]


async def insert_steps(c: aiosqlite.Connection, patient_id: int, steps: StepRows) -> None:
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


class StepStore(Core):
    """The steps table."""

    async def patient_steps(self, patient_id: int) -> list[Step]:
        return await self._all(
            Step, "SELECT * FROM steps WHERE patient_id = ? ORDER BY due_at", (patient_id,)
        )

    # --- plan steps: claimed and settled like the outbox --------------------------------------

    async def claim_steps(self, now: datetime, limit: int) -> list[DueStep]:
        """Due steps of active patients, marked 'sending'; expired ones are marked missed.

        No expiry rule is written here: ``expires_at`` is the instant reminders.plan computed
        (default delay, appointment cap) and stored; SQL only compares it with now, so a step
        is sent while ``due_at <= now < expires_at``, as plan.py says.
        """
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
                return [build(DueStep, row) for row in await cur.fetchall()]

    async def step_sent(self, row_id: int, message_id: int, now: datetime) -> None:
        await self._write(
            "UPDATE steps SET status = 'sent', message_id = ?, sent_at = ?, last_error = NULL"
            " WHERE id = ?",
            (message_id, to_db(now), row_id),
        )

    async def step_retry(
        self, row_id: int, when: datetime, error: str, *, count_attempt: bool = True
    ) -> None:
        await self._put_back("steps", "next_attempt_at", row_id, when, error, count_attempt)

    async def step_settle(self, row_id: int, status: StepStatus, error: str | None = None) -> None:
        await self._write(
            "UPDATE steps SET status = ?, last_error = ? WHERE id = ?",
            (status, error, row_id),
        )

    async def recover_steps(self) -> int:
        return await self._write("UPDATE steps SET status = 'pending' WHERE status = 'sending'")

    async def step(self, row_id: int) -> LabelledStep | None:
        return await self._one(
            LabelledStep,
            "SELECT s.*, p.chat_id, p.label FROM steps s JOIN patients p ON p.id = s.patient_id"
            " WHERE s.id = ?",
            (row_id,),
        )

    async def record_answer(
        self, row_id: int, answer: str, score: int | None, now: datetime
    ) -> bool:
        """Store a check-in answer; only the first answer counts (a double tap is not two)."""
        return await self._changed_one(
            "UPDATE steps SET answer = ?, score = ?, answered_at = ?"
            " WHERE id = ? AND status = 'sent' AND answer IS NULL",
            (answer, score, to_db(now), row_id),
        )

    async def awaiting_checkin(self, chat_id: int, sent_after: datetime) -> SentCheckin | None:
        """The newest check-in sent to this chat since ``sent_after`` and not yet answered."""
        return await self._one(
            SentCheckin,
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

    async def unanswered_checkins(self, sent_before: datetime) -> list[SentCheckin]:
        return await self._all(
            SentCheckin,
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
                await enqueue_in(
                    c,
                    chat_id=staff_chat_id,
                    text=text,
                    purpose="notice",
                    now=now,
                    patient_id=int(step[0]) if step is not None else None,
                )
