"""Patients, their personal links (invites) and their enrolment."""

from __future__ import annotations

from datetime import datetime

from bot.storage.core import Core
from bot.storage.rows import Invite, Patient, PatientOverview, PatientStatus, StepStatus, to_db
from bot.storage.steps import StepRows, insert_steps


def _steps_in(status: StepStatus) -> str:
    """The column ``<status>_steps``: how many of the patient's steps are in that status."""
    return (
        f"(SELECT COUNT(*) FROM steps s WHERE s.patient_id = p.id AND s.status = '{status}')"
        f" AS {status}_steps"
    )


class PatientStore(Core):
    """Patients and invites."""

    async def patient_by_chat(self, chat_id: int) -> Patient | None:
        return await self._one(Patient, "SELECT * FROM patients WHERE chat_id = ?", (chat_id,))

    async def patient(self, patient_id: int) -> Patient | None:
        return await self._one(Patient, "SELECT * FROM patients WHERE id = ?", (patient_id,))

    async def set_patient_status(self, patient_id: int, status: PatientStatus) -> None:
        await self._write("UPDATE patients SET status = ? WHERE id = ?", (status, patient_id))

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

    async def invite(self, token_hash: str) -> Invite | None:
        return await self._one(Invite, "SELECT * FROM invites WHERE token_hash = ?", (token_hash,))

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

    async def pending_invite_for_chat(self, chat_id: int, now: datetime) -> Invite | None:
        return await self._one(
            Invite,
            "SELECT * FROM invites WHERE opened_chat_id = ? AND used_at IS NULL AND expires_at > ?",
            (chat_id, to_db(now)),
        )

    async def decline_invite(self, chat_id: int) -> None:
        """The patient said no: forget which chat opened the link (nothing kept)."""
        await self._write(
            "UPDATE invites SET opened_chat_id = NULL WHERE opened_chat_id = ? AND used_at IS NULL",
            (chat_id,),
        )

    async def accept_invite(
        self,
        token_hash: str,
        chat_id: int,
        now: datetime,
        steps: StepRows,
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
            await insert_steps(c, patient_id, steps)
            return patient_id

    async def reschedule(
        self,
        patient_id: int,
        appointment_at: datetime,
        steps: StepRows,
    ) -> None:
        """New date: steps not yet sent are recomputed; sent ones stay sent."""
        async with self.tx() as c:
            await c.execute(
                "UPDATE patients SET appointment_at = ? WHERE id = ?",
                (to_db(appointment_at), patient_id),
            )
            await insert_steps(c, patient_id, steps)

    async def cancel_patient(self, patient_id: int) -> None:
        async with self.tx() as c:
            await c.execute("UPDATE patients SET status = 'cancelled' WHERE id = ?", (patient_id,))
            await c.execute(
                "UPDATE steps SET status = 'cancelled' WHERE patient_id = ? AND status = 'pending'",
                (patient_id,),
            )

    async def patients_overview(self, since: datetime) -> list[PatientOverview]:
        return await self._all(
            PatientOverview,
            f"SELECT p.*, {_steps_in(StepStatus.SENT)}, {_steps_in(StepStatus.PENDING)}"
            " FROM patients p WHERE p.appointment_at >= ? ORDER BY p.appointment_at",
            (to_db(since),),
        )

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
