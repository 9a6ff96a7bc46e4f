"""What leaves storage: frozen dataclasses with aware UTC datetimes and ``StrEnum`` statuses.

Every status below is also a CHECK constraint of its column (migration 7): a value missing
here is refused by SQLite, so the two lists change together.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


def to_db(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("naive datetime given to the database")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_db(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class PatientStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    STOPPED = "stopped"
    CANCELLED = "cancelled"


class StepStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    MISSED = "missed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class AlertKind(StrEnum):
    URGENT = "urgent"
    CHECK = "check"
    CHECKIN = "checkin"
    REQUEST = "request"
    QUESTION = "question"
    NOTE = "note"


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"
    AUTO_CLOSED = "auto_closed"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class InboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class DraftStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    CANCELLED = "cancelled"


class RedactionStatus(StrEnum):
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class Patient:
    id: int
    label: str
    chat_id: int | None
    # Never NULL: every patient is created with their appointment (create_patient_with_invite).
    appointment_at: datetime
    status: PatientStatus
    created_at: datetime
    consented_at: datetime | None


@dataclass(frozen=True)
class PatientOverview(Patient):
    """A patient with the count of their sent and pending steps (/patients)."""

    sent_steps: int
    pending_steps: int


@dataclass(frozen=True)
class Invite:
    token_hash: str
    patient_id: int
    created_at: datetime
    expires_at: datetime
    opened_chat_id: int | None
    used_at: datetime | None


@dataclass(frozen=True)
class Step:
    """One plan step of one patient."""

    id: int
    patient_id: int
    step_id: str
    kind: str
    due_at: datetime
    expires_at: datetime
    status: StepStatus
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    message_id: int | None
    last_error: str | None
    answer: str | None
    score: int | None
    answered_at: datetime | None
    no_answer_noted: int


@dataclass(frozen=True)
class DueStep(Step):
    """A step claimed for sending, with what its message needs from the patient."""

    chat_id: int
    appointment_at: datetime


@dataclass(frozen=True)
class LabelledStep(Step):
    """A step with its patient's chat and label."""

    chat_id: int
    label: str


@dataclass(frozen=True)
class SentCheckin(LabelledStep):
    """A check-in already sent, so ``sent_at`` is set."""

    sent_at: datetime


@dataclass(frozen=True)
class Question:
    """A message the FAQ could not answer (kept for the team to improve it)."""

    id: int
    patient_id: int | None
    chat_id: int | None
    kind: str
    normalized: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class QuestionGroup:
    """Unanswered questions sharing one normalised text."""

    normalized: str
    n: int
    example: str
    fallbacks: int
    clarified: int
    last_seen: datetime


@dataclass(frozen=True)
class Alert:
    """One alert; ``label`` is the patient's, filled by the queries that join it."""

    id: int
    patient_id: int | None
    chat_id: int
    severity: str
    categories: str
    status: AlertState
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: int | None
    acknowledged_by_name: str | None
    closed_at: datetime | None
    renotify_count: int
    next_renotify_at: datetime | None
    kind: AlertKind
    last_activity_at: datetime | None
    told: str | None
    oncall_at: datetime | None
    ack_reminded_at: datetime | None
    label: str | None = None


@dataclass(frozen=True)
class AlertPost:
    chat_id: int
    message_id: int
    alert_id: int


@dataclass(frozen=True)
class Draft:
    """A staff reply waiting for "Envoyer au patient"."""

    id: int
    alert_id: int
    author_id: int
    text: str
    status: DraftStatus
    created_at: datetime


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    chat_id: int
    text: str
    buttons: str | None
    reply_to: int | None
    purpose: str
    alert_id: int | None
    patient_id: int | None
    status: OutboxStatus
    attempts: int
    not_before: datetime
    created_at: datetime
    sent_at: datetime | None
    message_id: int | None
    last_error: str | None
    priority: int
    plain: int


@dataclass(frozen=True)
class Redaction:
    """A bot post in the staff group to edit to "message effacé" (ids only)."""

    chat_id: int
    message_id: int
    reason: str
    status: RedactionStatus
    attempts: int
    not_before: datetime
    created_at: datetime
    last_error: str | None


Converter = Callable[[object], object]


def _datetime(value: object) -> object:
    return from_db(str(value))


_PLANS: dict[type, dict[str, tuple[Converter | None, bool]]] = {}


def _converters(cls: type) -> dict[str, tuple[Converter | None, bool]]:
    """Per field: how to turn the column into the field's type, and whether it has a default."""
    if cls in _PLANS:
        return _PLANS[cls]
    hints = typing.get_type_hints(cls)
    plan: dict[str, tuple[Converter | None, bool]] = {}
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        # "X | None" is a union; the non-None member says what to build.
        if isinstance(hint, types.UnionType):
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        convert: Converter | None = None
        if hint is datetime:
            convert = _datetime
        elif isinstance(hint, type) and issubclass(hint, StrEnum):
            convert = hint
        has_default = field.default is not dataclasses.MISSING
        plan[field.name] = (convert, has_default)
    _PLANS[cls] = plan
    return plan


def build(cls: type[T], row: sqlite3.Row) -> T:
    """A dataclass from a row: columns by field name, a field the query did not select keeps
    its default, NULL stays None."""
    values: dict[str, object] = {}
    keys = set(row.keys())
    for name, (convert, has_default) in _converters(cls).items():
        if name not in keys:
            if has_default:
                continue
            raise KeyError(f"{cls.__name__}.{name} missing from the row")
        value: object = row[name]
        values[name] = convert(value) if convert is not None and value is not None else value
    factory: Callable[..., T] = cls
    return factory(**values)
