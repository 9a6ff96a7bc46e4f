"""Alerts to staff: raise, follow up, acknowledge, relay, close, re-notify.

Everything here is a database row first (``alerts``, ``outbox``); the dispatcher delivers
the outbox later, retrying until Telegram accepts. So a Telegram outage, a 429 or a restart
between "the patient wrote" and "the staff group saw it" delays an alert but never loses it.
The patient's own reply (with the phone number) is sent by the caller *before* any of this,
so nothing here can stand between an anxious patient and the number to call.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import aiosqlite

from bot import texts
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database, from_db
from bot.triage import TriageResult

# Room left for the header of a staff post inside Telegram's 4096-character limit.
MAX_QUOTED_CHARS = 3000

QUESTION_SEVERITY = "question"


def buttons_json(rows: list[list[tuple[str, str]]]) -> str:
    return json.dumps([[list(b) for b in row] for row in rows], ensure_ascii=False)


def parse_buttons(raw: str | None) -> list[list[tuple[str, str]]]:
    if not raw:
        return []
    return [[(str(b[0]), str(b[1])) for b in row] for row in json.loads(raw)]


def ack_buttons(alert_id: int | str) -> str:
    return buttons_json(
        [
            [
                (texts.STAFF_ACK_BUTTON, f"ack:{alert_id}"),
                (texts.STAFF_CLOSE_BUTTON, f"close:{alert_id}"),
            ]
        ]
    )


def close_buttons(alert_id: int | str) -> str:
    return buttons_json([[(texts.STAFF_CLOSE_BUTTON, f"close:{alert_id}")]])


def quote(text: str) -> str:
    """Patient text made safe to show in an HTML staff post, shortened if needed."""
    if len(text) > MAX_QUOTED_CHARS:
        text = text[:MAX_QUOTED_CHARS] + texts.TRUNCATED
    return html.escape(text, quote=False)


@dataclass(frozen=True)
class AckOutcome:
    won: bool
    alert: aiosqlite.Row | None


class Escalation:
    def __init__(
        self, db: Database, settings: Settings, clock: Clock, severity_label: Callable[[str], str]
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.severity_label = severity_label

    @property
    def staff_chat_id(self) -> int:
        if self.settings.staff_chat_id is None:
            raise RuntimeError("STAFF_CHAT_ID is not set")
        return self.settings.staff_chat_id

    def _tz_now(self) -> tuple[str, str]:
        now = self.clock.now()
        return texts.short_time(now, self.settings.timezone), texts.clock_time(
            now, self.settings.timezone
        )

    async def _describe_patient(self, patient: aiosqlite.Row | None) -> tuple[str, str]:
        """(label, appointment line) for staff posts; never more than staff typed."""
        if patient is None:
            return texts.UNENROLLED_LABEL, texts.NO_APPOINTMENT
        label = str(patient["label"])
        if patient["appointment_at"] is None:
            return label, texts.NO_APPOINTMENT
        when = from_db(str(patient["appointment_at"]))
        tz = self.settings.timezone
        day = texts.relative_day(when, self.clock.now(), tz)
        return label, f"{texts.appointment_words(when, tz)} ({day})"

    async def raise_alert(self, chat_id: int, message: str, found: TriageResult) -> int:
        """Alert staff about an urgent message; joins the open alert's thread if there is one."""
        open_alert = await self.db.open_alert_for_chat(chat_id)
        if open_alert is not None:
            await self.follow_up(open_alert, message, found)
            return int(open_alert["id"])
        patient = await self.db.patient_by_chat(chat_id)
        label, appointment = await self._describe_patient(patient)
        received, _ = self._tz_now()
        post = texts.STAFF_ALERT.format(
            severity=html.escape(self.severity_label(found.severity)),
            categories=html.escape(", ".join(found.labels)),
            label=html.escape(label),
            appointment=html.escape(appointment),
            received=received,
            message=quote(message),
            alert_id="{alert_id}",
        )
        now = self.clock.now()
        renotify = timedelta(minutes=self.settings.escalation_renotify_minutes)
        return await self.db.create_alert(
            chat_id=chat_id,
            patient_id=int(patient["id"]) if patient is not None else None,
            severity=found.severity,
            categories=",".join(found.categories),
            now=now,
            renotify_at=now + renotify if self.settings.escalation_max_renotify > 0 else None,
            staff_chat_id=self.staff_chat_id,
            post_text=post,
            post_buttons=ack_buttons("{alert_id}"),
        )

    async def follow_up(
        self, alert: aiosqlite.Row, message: str, found: TriageResult | None = None
    ) -> None:
        """A further message from a patient whose alert is still in progress."""
        patient = await self.db.patient_by_chat(int(alert["chat_id"]))
        label, _ = await self._describe_patient(patient)
        received, _ = self._tz_now()
        text = texts.STAFF_FOLLOWUP.format(
            label=html.escape(label),
            alert_id=alert["id"],
            received=received,
            message=quote(message),
        )
        if found is not None:
            sev = self.severity_label(found.severity)
            text = f"{html.escape(sev)} — <b>{html.escape(', '.join(found.labels))}</b>\n" + text
        await self.db.enqueue(
            chat_id=self.staff_chat_id,
            text=text,
            purpose="followup",
            alert_id=int(alert["id"]),
            patient_id=alert["patient_id"],
            now=self.clock.now(),
        )

    async def forward_question(self, chat_id: int, message: str) -> int:
        """A question the FAQ could not answer, passed to staff at the patient's request.

        It is an alert of its own kind: staff can reply to it, but it is not urgent, so it
        is never re-notified and does not divert the patient's next messages.
        """
        patient = await self.db.patient_by_chat(chat_id)
        label, _ = await self._describe_patient(patient)
        received, _ = self._tz_now()
        post = texts.STAFF_QUESTION.format(
            label=html.escape(label), received=received, message=quote(message)
        )
        now = self.clock.now()
        alert_id = await self.db.create_alert(
            chat_id=chat_id,
            patient_id=int(patient["id"]) if patient is not None else None,
            severity=QUESTION_SEVERITY,
            categories="",
            now=now,
            renotify_at=None,
            staff_chat_id=self.staff_chat_id,
            post_text=post,
            post_buttons=close_buttons("{alert_id}"),
        )
        # Questions are answered, not acknowledged: no re-notification, not "in progress".
        await self.db.acknowledge_alert(alert_id, 0, "", now)
        return alert_id

    async def open_alert(self, chat_id: int) -> aiosqlite.Row | None:
        row = await self.db.open_alert_for_chat(chat_id)
        if row is not None and row["severity"] == QUESTION_SEVERITY:
            return None
        return row

    async def acknowledge(self, alert_id: int, user_id: int, user_name: str) -> AckOutcome:
        won, row = await self.db.acknowledge_alert(alert_id, user_id, user_name, self.clock.now())
        if won and row is not None:
            await self.db.enqueue(
                chat_id=int(row["chat_id"]),
                text=texts.with_hotline(texts.ALERT_ACKNOWLEDGED, self.settings.hotline_phone),
                purpose="notice",
                patient_id=row["patient_id"],
                now=self.clock.now(),
            )
        return AckOutcome(won, row)

    async def close(self, alert_id: int) -> bool:
        return await self.db.close_alert(alert_id, self.clock.now())

    async def relay(self, alert: aiosqlite.Row, staff_text: str) -> None:
        """A staff reply, sent to the patient by the bot (staff identities stay private)."""
        await self.db.enqueue(
            chat_id=int(alert["chat_id"]),
            text=texts.STAFF_REPLY_TO_PATIENT.format(text=staff_text),
            purpose="relay",
            patient_id=alert["patient_id"],
            now=self.clock.now(),
        )

    async def renotify_due(self) -> int:
        """Post again every open alert nobody acknowledged in time; returns how many."""
        now = self.clock.now()
        count = 0
        for alert in await self.db.due_renotifications(now):
            if alert["severity"] == QUESTION_SEVERITY:
                continue
            done = int(alert["renotify_count"]) + 1
            last = done >= self.settings.escalation_max_renotify
            minutes = int((now - from_db(str(alert["created_at"]))).total_seconds() // 60)
            body = await self.db.alert_post_text(int(alert["id"])) or ""
            await self.db.record_renotification(
                int(alert["id"]),
                next_at=None
                if last
                else now + timedelta(minutes=self.settings.escalation_renotify_minutes),
                staff_chat_id=self.staff_chat_id,
                text=texts.STAFF_RENOTIFY_PREFIX.format(minutes=minutes) + body,
                buttons=ack_buttons(int(alert["id"])),
                now=now,
            )
            count += 1
        return count
