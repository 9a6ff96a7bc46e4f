"""All of the bot's SQL, split by aggregate, behind one aiosqlite connection and one lock.

Layout: ``core`` owns the connection, the lock, transactions and the migrations runner
(``migrations`` holds the schema); each aggregate is a module with one class over ``Core``:
``patients`` (patients, personal links, enrolment), ``steps`` (plan steps and check-ins),
``alerts`` (alerts, their staff posts, relay drafts), ``outbox``, ``questions`` (what the FAQ
could not answer), ``inbox`` (updates stored before they are handled) and ``erasure``
(erasure, retention, redactions); ``ops`` is what runs on a database file outside the bot
(backups, health, heartbeat). ``Database`` inherits every aggregate class.

Why one class built from aggregates rather than ``db.patients.get(...)``: callers keep the
method names they had (``db.claim_outbox``, ``db.acknowledge_alert``), so splitting the
1,600-line module changed no call site, and a transaction that spans aggregates (an alert
and its staff post, an erasure across every table) stays one ``async with self.tx()``; the
in-transaction pieces one aggregate lends another are plain functions taking the connection
(``outbox.enqueue_in``, ``inbox.link_alert``, ``steps.insert_steps``...).

Rows leave as the frozen dataclasses of ``rows`` (aware UTC datetimes, ``StrEnum``
statuses); ``fetchone``/``fetchall`` give raw rows to tests and benchmarks that poke SQL.
"""

from bot.storage.core import (
    BUSY_TIMEOUT_MS,
    DatabaseError,
    enforce_private,
)
from bot.storage.database import Database
from bot.storage.migrations import MIGRATIONS, SCHEMA_VERSION
from bot.storage.ops import (
    HealthFacts,
    backup_database,
    backup_name,
    beat,
    check_backup,
    read_health,
    rotate_backups,
    stored_schema_version,
)
from bot.storage.rows import (
    Alert,
    AlertKind,
    AlertPost,
    AlertState,
    Draft,
    DraftStatus,
    DueStep,
    InboxStatus,
    Invite,
    LabelledStep,
    OutboxMessage,
    OutboxStatus,
    Patient,
    PatientOverview,
    PatientStatus,
    Question,
    QuestionGroup,
    Redaction,
    RedactionStatus,
    SentCheckin,
    Step,
    StepStatus,
    from_db,
    to_db,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Alert",
    "AlertKind",
    "AlertPost",
    "AlertState",
    "Database",
    "DatabaseError",
    "Draft",
    "DraftStatus",
    "DueStep",
    "HealthFacts",
    "InboxStatus",
    "Invite",
    "LabelledStep",
    "OutboxMessage",
    "OutboxStatus",
    "Patient",
    "PatientOverview",
    "PatientStatus",
    "Question",
    "QuestionGroup",
    "Redaction",
    "RedactionStatus",
    "SentCheckin",
    "Step",
    "StepStatus",
    "backup_database",
    "backup_name",
    "beat",
    "check_backup",
    "enforce_private",
    "from_db",
    "read_health",
    "rotate_backups",
    "stored_schema_version",
    "to_db",
]
