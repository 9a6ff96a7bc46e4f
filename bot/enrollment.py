"""Personal links, consent, rescheduling, opt-out and erasure.

A bot cannot write first, so the care team hands each patient a personal link
(``/start <token>``). The token is random (192 bits), valid 14 days and usable once; only its
SHA-256 is stored, so a leaked database cannot be turned into working links, and the token is
never echoed back or logged.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import texts
from bot.clock import Clock
from bot.config import Settings
from bot.reminders.plan import Plan, plan_for
from bot.storage import Database, Patient, PatientStatus
from bot.storage.steps import StepRows

TOKEN_BYTES = 24  # 192 bits, 32 URL-safe characters: within the 64 allowed by /start.
INVITE_VALIDITY = timedelta(days=14)
MAX_LABEL = 40
# An injection is booked weeks, at most months, ahead; two years leaves room for a late
# control visit and still catches a mistyped year (2062, 9999). The plan's offsets are bounded
# by a year (plan.MAX_SPAN), so every date computed from an accepted appointment stays far from
# datetime's year-9999 limit: no OverflowError downstream.
MAX_AHEAD_YEARS = 2
MAX_AHEAD = timedelta(days=366 * MAX_AHEAD_YEARS)
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME_RE = re.compile(r"^(\d{1,2})[:hH](\d{2})$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def parse_local(date_text: str, time_text: str, tz: ZoneInfo) -> datetime:
    """'2026-12-07', '09:30' in the hospital's zone -> aware datetime; ValueError if malformed."""
    d = _DATE_RE.match(date_text.strip())
    t = _TIME_RE.match(time_text.strip())
    if d is None or t is None:
        raise ValueError("bad date or time")
    naive = datetime(int(d[1]), int(d[2]), int(d[3]), int(t[1]), int(t[2]))
    return naive.replace(tzinfo=tz)


def label_error(label: str) -> str | None:
    """Why staff's label for a patient is refused (French), or None when it is fine.

    Bidi controls (U+202E...), zero-width and other format or control characters are refused:
    shown in /patients they could make one label look like another.
    """
    if not 0 < len(label.strip()) <= MAX_LABEL or "\n" in label:
        return texts.LABEL_INVALID
    for ch in label:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return texts.LABEL_INVISIBLE.format(code=f"U+{ord(ch):04X}")
    return None


def valid_label(label: str) -> bool:
    return label_error(label) is None


def appointment_error(when: datetime, now: datetime) -> str | None:
    """Why an appointment date is refused (French), or None: in the future, within two years."""
    if when <= now:
        return texts.DATE_PAST
    if when - now > MAX_AHEAD:
        return texts.DATE_TOO_FAR.format(years=MAX_AHEAD_YEARS)
    return None


def link_for(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={token}"


@dataclass(frozen=True)
class Invitation:
    patient_id: int
    token: str
    appointment: datetime


class Enrollment:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    def _rows(self, plan: Plan, appointment: datetime) -> StepRows:
        planned = plan_for(plan, appointment, self.settings.timezone, self.clock.now())
        return [(p.step.id, p.step.kind, p.due_at, p.expires_at, p.missed) for p in planned]

    async def enroll(self, appointment: datetime, label: str) -> Invitation:
        """ValueError (French reason) if the label or the date is refused."""
        problem = label_error(label) or appointment_error(appointment, self.clock.now())
        if problem is not None:
            raise ValueError(problem)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self.clock.now()
        patient_id = await self.db.create_patient_with_invite(
            label=label.strip(),
            appointment_at=appointment,
            token_hash=hash_token(token),
            expires_at=now + INVITE_VALIDITY,
            now=now,
        )
        return Invitation(patient_id, token, appointment)

    async def open_link(self, token: str, chat_id: int) -> Patient | None:
        """The patient for a valid link, now waiting for consent; None if invalid."""
        if not _TOKEN_RE.match(token):
            return None
        token_hash = hash_token(token)
        if not await self.db.open_invite(token_hash, chat_id, self.clock.now()):
            return None
        invite = await self.db.invite(token_hash)
        return None if invite is None else await self.db.patient(invite.patient_id)

    async def consent(self, chat_id: int, plan: Plan) -> Patient | None:
        invite = await self.db.pending_invite_for_chat(chat_id, self.clock.now())
        if invite is None:
            return None
        patient = await self.db.patient(invite.patient_id)
        if patient is None or patient.appointment_at is None:
            return None
        appointment = patient.appointment_at
        if appointment - self.clock.now() > MAX_AHEAD:
            return None  # enrolled before dates were bounded (year 9999 overflows the plan)
        rows = self._rows(plan, appointment)
        patient_id = await self.db.accept_invite(
            str(invite.token_hash), chat_id, self.clock.now(), rows
        )
        return None if patient_id is None else await self.db.patient(patient_id)

    async def decline(self, chat_id: int) -> None:
        await self.db.decline_invite(chat_id)

    async def reschedule(self, patient_id: int, appointment: datetime, plan: Plan) -> None:
        """ValueError (French reason) if the new date is refused."""
        problem = appointment_error(appointment, self.clock.now())
        if problem is not None:
            raise ValueError(problem)
        await self.db.reschedule(patient_id, appointment, self._rows(plan, appointment))

    async def cancel(self, patient_id: int) -> None:
        await self.db.cancel_patient(patient_id)

    async def stop(self, chat_id: int) -> Patient | None:
        patient = await self.db.patient_by_chat(chat_id)
        if patient is not None and patient.status == "active":
            await self.db.set_patient_status(patient.id, PatientStatus.STOPPED)
        return patient

    async def resume(self, chat_id: int) -> Patient | None:
        """/start again after /stop: the plan resumes (steps that expired meanwhile stay missed)."""
        patient = await self.db.patient_by_chat(chat_id)
        if patient is None or patient.status != "stopped":
            return None
        await self.db.set_patient_status(patient.id, PatientStatus.ACTIVE)
        return await self.db.patient(patient.id)

    async def erase(self, chat_id: int) -> Patient | None:
        """Erase everything about this chat; returns the erased patient row (for staff notice)."""
        patient = await self.db.patient_by_chat(chat_id)
        now = self.clock.now()
        if patient is not None:
            await self.db.erase_patient(patient.id, now)
        await self.db.erase_chat(chat_id, now)
        return patient
